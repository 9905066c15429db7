#pragma once
// The SQLite catalog store: one file, WAL, a busy timeout so that concurrent
// syncs wait for each other instead of failing.

#include <filesystem>
#include <memory>

#include "catalog/store.hpp"

namespace connctl::catalog {

// Opens or creates the catalog file and applies pending migrations.
std::unique_ptr<CatalogStore> open_sqlite_store(const std::filesystem::path& path);

}  // namespace connctl::catalog
