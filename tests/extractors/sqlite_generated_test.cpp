// The SQLite extractor on a generated database of 2,000 tables
// (tests/tools/gen_sqlite_db.py): every count must match what SQLite itself
// reports through sqlite_schema and its pragmas, asked here one table at a time.

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <set>

#include "sqlite_test_util.hpp"

namespace connctl::testing::sqlite {
namespace {

namespace fs = std::filesystem;
using schema::EntityKind;

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

struct SqliteCounts {
  std::map<EntityKind, std::int64_t> kinds;
  std::map<std::string, std::int64_t> constraints;  // by constraint_type
  std::int64_t generated_columns = 0;
};

// What SQLite says, without the extractor: one pragma per table.
SqliteCounts count_with_pragmas(const fs::path& path) {
  SqliteCounts c;
  SQLite::Database db(path.string(), SQLite::OPEN_READONLY);
  std::vector<std::pair<std::string, std::string>> relations;  // name, type
  SQLite::Statement list(db, "PRAGMA main.table_list");
  while (list.executeStep()) {
    std::string name = list.getColumn(1).getString();
    std::string type = list.getColumn(2).getString();
    if (name.rfind("sqlite_", 0) == 0 || type == "shadow") continue;
    relations.emplace_back(name, type);
  }
  for (const auto& [name, type] : relations) {
    c.kinds[type == "view" ? EntityKind::view : EntityKind::table]++;
    SQLite::Statement columns(db, "SELECT hidden, pk FROM pragma_table_xinfo(?1)");
    columns.bind(1, name);
    bool has_pk = false;
    while (columns.executeStep()) {
      c.kinds[EntityKind::column]++;
      int hidden = columns.getColumn(0).getInt();
      if (hidden == 2 || hidden == 3) c.generated_columns++;
      if (columns.getColumn(1).getInt() > 0) has_pk = true;
    }
    if (type != "table") continue;
    if (has_pk) c.constraints["primary_key"]++;
    SQLite::Statement keys(db, "SELECT count(DISTINCT id) FROM pragma_foreign_key_list(?1)");
    keys.bind(1, name);
    keys.executeStep();
    c.constraints["foreign_key"] += keys.getColumn(0).getInt64();
    SQLite::Statement indexes(db, "SELECT origin FROM pragma_index_list(?1)");
    indexes.bind(1, name);
    while (indexes.executeStep()) {
      c.kinds[EntityKind::index]++;
      if (indexes.getColumn(0).getString() == "u") c.constraints["unique"]++;
    }
  }
  c.kinds[EntityKind::trigger] =
      db.execAndGet("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'").getInt64();
  return c;
}

TEST(SqliteGenerated, TwoThousandTablesMatchWhatSqliteReports) {
  TempDir dir;
  const fs::path db = dir / "generated.db";
  const fs::path manifest_path = dir / "generated.json";
  const std::string command =
      "/usr/bin/python3 " +
      shell_quote((source_dir() / "tests" / "tools" / "gen_sqlite_db.py").string()) + " " +
      shell_quote(db.string()) + " --tables 2000 --manifest " + shell_quote(manifest_path.string());
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  const schema::Value manifest = schema::parse_json(read_file(manifest_path));
  const SqliteCounts expected = count_with_pragmas(db);
  ASSERT_EQ(expected.kinds.at(EntityKind::table), 2004);  // 2,000 tables and 4 fts5 tables

  extractors::ExtractRequest request;
  const auto start = std::chrono::steady_clock::now();
  auto x = run_extract(sqlite_spec("gen", db), request);
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - start)
                           .count();
  std::cout << "[ info     ] extracted " << x->sink.entities.size() << " entities and "
            << x->sink.lineage.size() << " lineage edges in " << elapsed << " ms\n";

  EXPECT_TRUE(x->sink.warnings.empty());
  SqliteCounts actual;
  std::int64_t deferrable = 0;
  for (const auto& e : x->sink.entities) {
    actual.kinds[e.kind]++;
    if (e.kind == EntityKind::constraint) {
      actual.constraints[attr(e, "constraint_type").as_string()]++;
      if (attr(e, "deferrable") == schema::Value(true)) deferrable++;
    }
    if (e.kind == EntityKind::column && has_attr(e, "generated")) actual.generated_columns++;
  }
  EXPECT_EQ(actual.kinds[EntityKind::database], 1);
  for (EntityKind kind : {EntityKind::table, EntityKind::view, EntityKind::column,
                          EntityKind::index, EntityKind::trigger}) {
    EXPECT_EQ(actual.kinds[kind], expected.kinds.at(kind)) << schema::to_string(kind);
  }
  EXPECT_EQ(actual.kinds[EntityKind::view], manifest.find("views")->as_int());
  EXPECT_EQ(actual.constraints["primary_key"], expected.constraints.at("primary_key"));
  EXPECT_EQ(actual.constraints["foreign_key"], expected.constraints.at("foreign_key"));
  EXPECT_EQ(actual.constraints["unique"], expected.constraints.at("unique"));
  EXPECT_EQ(actual.constraints["check"], manifest.find("check_constraints")->as_int());
  EXPECT_EQ(deferrable, manifest.find("deferrable_foreign_keys")->as_int());
  EXPECT_EQ(actual.generated_columns, expected.generated_columns);
  EXPECT_EQ(static_cast<std::int64_t>(x->sink.lineage.size()),
            manifest.find("lineage_edges")->as_int());
  std::int64_t constraints = 0;
  for (const auto& [type, n] : actual.constraints) constraints += n;
  EXPECT_EQ(actual.kinds[EntityKind::constraint], constraints);

  // Entity identities are unique: no two children of a table collide.
  std::set<std::string> ids;
  for (const auto& e : x->sink.entities) EXPECT_TRUE(ids.insert(e.id).second) << e.fqn;
  // A bound on the whole run (sanitizers included), to notice a regression by orders of magnitude.
  EXPECT_LT(elapsed, 60000);
}

}  // namespace
}  // namespace connctl::testing::sqlite
