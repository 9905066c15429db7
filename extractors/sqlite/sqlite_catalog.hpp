#pragma once
// Reads the catalog of one SQLite database (main or an attached alias) into
// plain structs with a fixed number of set-based queries: sqlite_schema joined
// with the table-valued pragmas. Objects that cannot be read one by one
// (views on dropped tables, virtual tables whose module is not loaded) are
// reported through a callback and the rest is read.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace SQLite {
class Database;
}

namespace connctl::extractors::sqlite {

struct ColumnRow {
  std::int64_t cid = 0;  // position in pragma table_xinfo (0-based, hidden columns included)
  std::string name;
  std::string type;  // declared type as written
  bool not_null = false;
  std::optional<std::string> default_value;
  int pk = 0;      // position in the primary key, 0 when not in it
  int hidden = 0;  // 0 normal, 1 hidden (virtual table), 2 generated virtual, 3 generated stored
  std::optional<std::string> collation;  // from sqlite3_table_column_metadata (tables only)
  bool auto_increment = false;
};

struct ForeignKeyRow {
  int id = 0;  // pragma foreign_key_list id: 0 is the last one declared
  std::string table;
  std::vector<std::string> from;
  std::vector<std::optional<std::string>> to;  // null when the DDL omits the referenced columns
  std::string on_update;
  std::string on_delete;
  std::string match;
};

struct IndexKeyRow {
  std::int64_t cid = 0;  // -2 for an expression, -1 for the rowid
  std::optional<std::string> name;
  bool descending = false;
  std::string collation;
};

struct IndexRow {
  std::string name;
  bool unique = false;
  std::string origin;  // c | u | pk
  bool partial = false;
  std::vector<IndexKeyRow> keys;   // key columns, in key order
  std::optional<std::string> sql;  // absent for automatic indexes
};

struct TriggerRow {
  std::string name;
  std::string sql;
};

enum class RelationType { table, view, virtual_table };

struct RelationRow {
  std::string name;
  RelationType type = RelationType::table;
  bool without_rowid = false;
  bool strict = false;
  std::string sql;        // the CREATE statement as stored in sqlite_schema
  bool selected = false;  // in scope of the request's filter
  bool readable = true;   // false when its columns could not be read
  std::vector<ColumnRow> columns;
  std::vector<ForeignKeyRow> foreign_keys;  // by id
  std::vector<IndexRow> indexes;            // by name
  std::vector<TriggerRow> triggers;         // by name
  std::optional<std::int64_t> row_count;
};

struct DatabaseRow {
  std::string schema;  // "main" or the attach alias
  std::string encoding;
  std::int64_t user_version = 0;
  std::int64_t application_id = 0;
  std::int64_t page_size = 0;
  std::int64_t page_count = 0;
  std::vector<RelationRow> relations;  // sorted by name (bytes)
};

// Finds relations by name as SQLite does: ASCII case-insensitively (a
// foreign key or trigger may spell a table's name in another case).
class RelationNames {
 public:
  explicit RelationNames(const std::vector<RelationRow>& relations);
  const RelationRow* find(const std::string& name) const;

 private:
  std::map<std::string, const RelationRow*> m_by_folded_name;
};

// A relation or column that could not be read: FQN-free, the caller names it.
struct ReadFailure {
  std::string relation;
  std::string message;
};

// Reads one database of an open connection. Every method throws
// SQLite::Exception when a set-based query fails as a whole.
class CatalogReader {
 public:
  using OnFailure = std::function<void(const ReadFailure&)>;
  using InScope = std::function<bool(const std::string& relation)>;

  CatalogReader(SQLite::Database& db, std::string schema, OnFailure on_failure);
  ~CatalogReader();
  CatalogReader(const CatalogReader&) = delete;
  CatalogReader& operator=(const CatalogReader&) = delete;

  void read_properties(DatabaseRow& out);
  // What everything but row and page counts is derived from: the properties
  // read_properties returns but page_count, and every row of sqlite_schema.
  std::string change_signature();
  // Tables, views and virtual tables, without shadow and sqlite_ tables.
  std::vector<RelationRow> list_relations(const InScope& in_scope);
  // Columns, foreign keys, indexes and triggers of the selected relations.
  void read_details(std::vector<RelationRow>& relations);
  // SELECT count(*) of each selected base table; a failure is reported, not thrown.
  void read_row_counts(std::vector<RelationRow>& relations);

  // The primary key columns of tables, in key order, for foreign keys that
  // omit their referenced columns.
  std::map<std::string, std::vector<std::string>> primary_keys(const std::set<std::string>& tables);

 private:
  void read_table_columns(std::vector<RelationRow>& relations);
  void read_view_columns(std::vector<RelationRow>& relations);
  void read_columns_one_by_one(RelationRow& relation);
  void read_column_metadata(RelationRow& relation);
  void read_foreign_keys(std::vector<RelationRow>& relations);
  void read_indexes(std::vector<RelationRow>& relations);
  void read_triggers(std::vector<RelationRow>& relations);

  SQLite::Database& m_db;
  std::string m_schema;
  std::string m_quoted_schema;
  OnFailure m_on_failure;
  // The relations the `connctl_selected(name)` SQL function lets through.
  // Fills m_selected (what connctl_selected() answers) with the in-scope
  // relations of one type; false when there are none.
  bool select_relations(const std::vector<RelationRow>& relations, RelationType type);
  std::set<std::string, std::less<>> m_selected;
  // sqlite_schema rows read by list_relations, for the triggers and index texts.
  std::vector<TriggerRow> m_trigger_rows;
  std::vector<std::string> m_trigger_tables;
};

}  // namespace connctl::extractors::sqlite
