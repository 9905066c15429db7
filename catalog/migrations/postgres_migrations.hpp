#pragma once
// The PostgreSQL catalog's schema, one migration per version, applied in
// order on open under an advisory lock. The table connctl_schema holds the
// version reached. The tables and their meaning are the SQLite store's
// (sqlite_migrations.cpp); never edit a released migration: add the next one.

#include <vector>

#include "catalog/migrations/sqlite_migrations.hpp"

namespace connctl::catalog {

const std::vector<Migration>& postgres_migrations();

}  // namespace connctl::catalog
