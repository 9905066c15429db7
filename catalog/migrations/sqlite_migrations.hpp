#pragma once
// The SQLite catalog's schema, one migration per version, applied in order on
// open. PRAGMA user_version holds the version reached. Never edit a released
// migration: add the next one.

#include <string_view>
#include <vector>

namespace connctl::catalog {

struct Migration {
  int version;
  std::string_view sql;
};

const std::vector<Migration>& sqlite_migrations();

}  // namespace connctl::catalog
