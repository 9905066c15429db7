#include "support/test_support.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace connctl::testing {

std::filesystem::path source_dir() {
  return CONNCTL_SOURCE_DIR;
}
std::filesystem::path connctl_binary() {
  return CONNCTL_BINARY;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "connctl-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  m_path = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(m_path, ec);
}

std::vector<const schema::Entity*> CollectingSink::of_kind(schema::EntityKind kind) const {
  std::vector<const schema::Entity*> out;
  for (const auto& e : entities) {
    if (e.kind == kind) out.push_back(&e);
  }
  return out;
}

const schema::Entity* CollectingSink::find(std::string_view fqn) const {
  for (const auto& e : entities) {
    if (e.fqn == fqn) return &e;
  }
  return nullptr;
}

void create_sqlite_db(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* handle = nullptr;
  if (sqlite3_open(db.c_str(), &handle) != SQLITE_OK) {
    std::string msg = handle ? sqlite3_errmsg(handle) : "out of memory";
    sqlite3_close(handle);
    throw std::runtime_error("cannot create " + db.string() + ": " + msg);
  }
  char* err = nullptr;
  if (sqlite3_exec(handle, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    sqlite3_close(handle);
    throw std::runtime_error("SQL failed on " + db.string() + ": " + msg);
  }
  sqlite3_close(handle);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace connctl::testing
