#pragma once
// Shared helpers of the gtest suites: a temporary directory that removes
// itself, a sink that keeps everything it is given, and paths of the tree.

#include <filesystem>
#include <string>
#include <vector>

#include "schema/entity.hpp"
#include "schema/sink.hpp"

namespace connctl::testing {

// The source tree and the connctl binary under test.
std::filesystem::path source_dir();
std::filesystem::path connctl_binary();

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return m_path; }
  std::filesystem::path operator/(const std::string& name) const { return m_path / name; }

 private:
  std::filesystem::path m_path;
};

// A real sink that keeps what it receives, for assertions.
class CollectingSink final : public schema::EntitySink {
 public:
  void on_entity(const schema::Entity& e) override { entities.push_back(e); }
  void on_lineage(const schema::LineageEdge& e) override { lineage.push_back(e); }
  void on_warning(const schema::Warning& w) override { warnings.push_back(w); }

  std::vector<const schema::Entity*> of_kind(schema::EntityKind kind) const;
  const schema::Entity* find(std::string_view fqn) const;

  std::vector<schema::Entity> entities;
  std::vector<schema::LineageEdge> lineage;
  std::vector<schema::Warning> warnings;
};

// Runs a shell script of SQL through the sqlite3 library into a new database file.
void create_sqlite_db(const std::filesystem::path& db, const std::string& sql);
std::string read_file(const std::filesystem::path& path);

}  // namespace connctl::testing
