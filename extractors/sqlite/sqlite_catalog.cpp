#include "extractors/sqlite/sqlite_catalog.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <string_view>

#include "extractors/sqlite/sqlite_ddl.hpp"

namespace connctl::extractors::sqlite {
namespace {

constexpr const char* k_selected_function = "connctl_selected";

// connctl_selected(name): lets a set-based query call a table-valued pragma
// only for the relations in scope (SQLite has no RE2 to apply the filter itself).
void selected_function(sqlite3_context* context, int argc, sqlite3_value** argv) {
  const auto* selected =
      static_cast<const std::set<std::string, std::less<>>*>(sqlite3_user_data(context));
  const auto* text = argc == 1 ? sqlite3_value_text(argv[0]) : nullptr;
  if (!text) {
    sqlite3_result_int(context, 0);
    return;
  }
  std::string_view name(reinterpret_cast<const char*>(text),
                        static_cast<std::size_t>(sqlite3_value_bytes(argv[0])));
  sqlite3_result_int(context, selected->find(name) != selected->end() ? 1 : 0);
}

std::string column_text(const SQLite::Column& column) {
  return column.isNull() ? std::string() : column.getString();
}

std::optional<std::string> optional_text(const SQLite::Column& column) {
  if (column.isNull()) return std::nullopt;
  return column.getString();
}

// Interruption (cancellation) must end the run, never become a per-object warning.
bool is_interrupt(const SQLite::Exception& e) {
  return e.getErrorCode() == SQLITE_INTERRUPT;
}

RelationRow* find_relation(std::map<std::string, RelationRow*, std::less<>>& index,
                           std::string_view name) {
  auto it = index.find(name);
  return it == index.end() ? nullptr : it->second;
}

std::map<std::string, RelationRow*, std::less<>> index_by_name(
    std::vector<RelationRow>& relations) {
  std::map<std::string, RelationRow*, std::less<>> out;
  for (auto& r : relations) out.emplace(r.name, &r);
  return out;
}

ColumnRow column_row(const SQLite::Statement& q, int first) {
  ColumnRow c;
  c.cid = q.getColumn(first).getInt64();
  c.name = column_text(q.getColumn(first + 1));
  c.type = column_text(q.getColumn(first + 2));
  c.not_null = q.getColumn(first + 3).getInt() != 0;
  c.default_value = optional_text(q.getColumn(first + 4));
  c.pk = q.getColumn(first + 5).getInt();
  c.hidden = q.getColumn(first + 6).getInt();
  return c;
}

std::string fold_case(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

RelationNames::RelationNames(const std::vector<RelationRow>& relations) {
  for (const auto& r : relations) m_by_folded_name.emplace(fold_case(r.name), &r);
}

const RelationRow* RelationNames::find(const std::string& name) const {
  auto it = m_by_folded_name.find(fold_case(name));
  return it == m_by_folded_name.end() ? nullptr : it->second;
}

CatalogReader::CatalogReader(SQLite::Database& db, std::string schema, OnFailure on_failure)
    : m_db(db),
      m_schema(std::move(schema)),
      m_quoted_schema(quote_identifier(m_schema)),
      m_on_failure(std::move(on_failure)) {
  int rc = sqlite3_create_function_v2(m_db.getHandle(), k_selected_function, 1, SQLITE_UTF8,
                                      &m_selected, &selected_function, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) throw SQLite::Exception(m_db.getHandle(), rc);
}

CatalogReader::~CatalogReader() {
  sqlite3_create_function_v2(m_db.getHandle(), k_selected_function, 1, SQLITE_UTF8, nullptr,
                             nullptr, nullptr, nullptr, nullptr);
}

bool CatalogReader::select_relations(const std::vector<RelationRow>& relations, RelationType type) {
  m_selected.clear();
  for (const auto& r : relations) {
    if (r.selected && r.type == type) m_selected.insert(r.name);
  }
  return !m_selected.empty();
}

void CatalogReader::read_properties(DatabaseRow& out) {
  out.schema = m_schema;
  auto pragma = [&](const char* name) { return "PRAGMA " + m_quoted_schema + "." + name; };
  out.encoding = m_db.execAndGet(pragma("encoding")).getString();
  out.user_version = m_db.execAndGet(pragma("user_version")).getInt64();
  out.application_id = m_db.execAndGet(pragma("application_id")).getInt64();
  out.page_size = m_db.execAndGet(pragma("page_size")).getInt64();
  out.page_count = m_db.execAndGet(pragma("page_count")).getInt64();
}

std::string CatalogReader::change_signature() {
  DatabaseRow properties;
  read_properties(properties);
  std::string text =
      m_schema + "|" + properties.encoding + "|" + std::to_string(properties.user_version) + "|" +
      std::to_string(properties.application_id) + "|" + std::to_string(properties.page_size) + "\n";
  SQLite::Statement rows(m_db, "SELECT type, name, tbl_name, sql FROM " + m_quoted_schema +
                                   ".sqlite_schema ORDER BY type, name");
  while (rows.executeStep()) {
    for (int i = 0; i < 4; ++i) {
      const std::string value = column_text(rows.getColumn(i));
      // Length-prefixed, so that no text can pass for a field boundary.
      text += std::to_string(value.size()) + ":" + value;
    }
    text += "\n";
  }
  return text;
}

std::vector<RelationRow> CatalogReader::list_relations(const InScope& in_scope) {
  std::map<std::string, std::string, std::less<>> definitions;
  m_trigger_rows.clear();
  m_trigger_tables.clear();
  SQLite::Statement schema_rows(m_db,
                                "SELECT type, name, tbl_name, sql FROM " + m_quoted_schema +
                                    ".sqlite_schema WHERE type IN ('table', 'view', 'trigger')");
  while (schema_rows.executeStep()) {
    std::string type = column_text(schema_rows.getColumn(0));
    std::string name = column_text(schema_rows.getColumn(1));
    std::string sql = column_text(schema_rows.getColumn(3));
    if (type == "trigger") {
      m_trigger_rows.push_back({std::move(name), std::move(sql)});
      m_trigger_tables.push_back(column_text(schema_rows.getColumn(2)));
    } else {
      definitions.emplace(std::move(name), std::move(sql));
    }
  }

  std::vector<RelationRow> out;
  SQLite::Statement list(m_db, "PRAGMA " + m_quoted_schema + ".table_list");
  while (list.executeStep()) {
    RelationRow r;
    r.name = column_text(list.getColumn(1));
    std::string type = column_text(list.getColumn(2));
    if (type == "table") {
      r.type = RelationType::table;
    } else if (type == "view") {
      r.type = RelationType::view;
    } else if (type == "virtual") {
      r.type = RelationType::virtual_table;
    } else {
      continue;  // shadow tables belong to their virtual table
    }
    if (r.name.size() >= 7 && iequals(std::string_view(r.name).substr(0, 7), "sqlite_")) continue;
    r.without_rowid = list.getColumn(4).getInt() != 0;
    r.strict = list.getColumn(5).getInt() != 0;
    if (auto it = definitions.find(r.name); it != definitions.end()) r.sql = it->second;
    r.selected = in_scope(r.name);
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(),
            [](const RelationRow& a, const RelationRow& b) { return a.name < b.name; });
  return out;
}

void CatalogReader::read_details(std::vector<RelationRow>& relations) {
  read_table_columns(relations);
  read_view_columns(relations);
  for (auto& r : relations) {
    if (r.selected && r.type == RelationType::virtual_table) read_columns_one_by_one(r);
  }
  for (auto& r : relations) {
    if (r.selected && r.type != RelationType::view && r.readable) read_column_metadata(r);
  }
  read_foreign_keys(relations);
  read_indexes(relations);
  read_triggers(relations);
}

void CatalogReader::read_table_columns(std::vector<RelationRow>& relations) {
  if (!select_relations(relations, RelationType::table)) return;
  auto index = index_by_name(relations);
  SQLite::Statement q(
      m_db,
      "SELECT s.name, c.cid, c.name, c.type, c.\"notnull\", c.dflt_value, c.pk, c.hidden FROM " +
          m_quoted_schema +
          ".sqlite_schema AS s JOIN pragma_table_xinfo(s.name, ?1) AS c "
          "WHERE s.type = 'table' AND connctl_selected(s.name) ORDER BY s.name, c.cid");
  q.bind(1, m_schema);
  while (q.executeStep()) {
    if (RelationRow* r = find_relation(index, q.getColumn(0).getString()))
      r->columns.push_back(column_row(q, 1));
  }
}

void CatalogReader::read_view_columns(std::vector<RelationRow>& relations) {
  if (!select_relations(relations, RelationType::view)) return;
  auto index = index_by_name(relations);
  try {
    SQLite::Statement q(
        m_db,
        "SELECT s.name, c.cid, c.name, c.type, c.\"notnull\", c.dflt_value, c.pk, c.hidden FROM " +
            m_quoted_schema +
            ".sqlite_schema AS s JOIN pragma_table_xinfo(s.name, ?1) AS c "
            "WHERE s.type = 'view' AND connctl_selected(s.name) ORDER BY s.name, c.cid");
    q.bind(1, m_schema);
    std::vector<std::pair<RelationRow*, ColumnRow>> rows;
    while (q.executeStep()) {
      if (RelationRow* r = find_relation(index, q.getColumn(0).getString()))
        rows.emplace_back(r, column_row(q, 1));
    }
    for (auto& [r, c] : rows) r->columns.push_back(std::move(c));
    return;
  } catch (const SQLite::Exception& e) {
    if (is_interrupt(e)) throw;
    // One view that cannot be prepared fails the joined query as a whole:
    // read the views one by one to find it and keep the others.
  }
  for (auto& r : relations) {
    if (r.selected && r.type == RelationType::view) read_columns_one_by_one(r);
  }
}

void CatalogReader::read_columns_one_by_one(RelationRow& relation) {
  relation.columns.clear();
  try {
    SQLite::Statement q(m_db,
                        "SELECT cid, name, type, \"notnull\", dflt_value, pk, hidden FROM "
                        "pragma_table_xinfo(?1, ?2) "
                        "ORDER BY cid");
    q.bind(1, relation.name);
    q.bind(2, m_schema);
    while (q.executeStep()) relation.columns.push_back(column_row(q, 0));
  } catch (const SQLite::Exception& e) {
    if (is_interrupt(e)) throw;
    relation.columns.clear();
    relation.readable = false;
    m_on_failure({relation.name, std::string("cannot read columns: ") + e.what()});
  }
}

void CatalogReader::read_column_metadata(RelationRow& relation) {
  for (auto& c : relation.columns) {
    const char* type = nullptr;
    const char* collation = nullptr;
    int not_null = 0;
    int primary_key = 0;
    int auto_increment = 0;
    // An in-memory lookup in the loaded schema, not a query.
    int rc = sqlite3_table_column_metadata(m_db.getHandle(), m_schema.c_str(),
                                           relation.name.c_str(), c.name.c_str(), &type, &collation,
                                           &not_null, &primary_key, &auto_increment);
    if (rc != SQLITE_OK) continue;
    if (collation) c.collation = collation;
    c.auto_increment = auto_increment != 0;
  }
}

void CatalogReader::read_foreign_keys(std::vector<RelationRow>& relations) {
  if (!select_relations(relations, RelationType::table)) return;
  auto index = index_by_name(relations);
  SQLite::Statement q(
      m_db,
      "SELECT s.name, f.id, f.seq, f.\"table\", f.\"from\", f.\"to\", f.on_update, f.on_delete, "
      "f.\"match\" FROM " +
          m_quoted_schema +
          ".sqlite_schema AS s JOIN pragma_foreign_key_list(s.name, ?1) AS f "
          "WHERE s.type = 'table' AND connctl_selected(s.name) ORDER BY s.name, f.id, f.seq");
  q.bind(1, m_schema);
  while (q.executeStep()) {
    RelationRow* r = find_relation(index, q.getColumn(0).getString());
    if (!r) continue;
    int id = q.getColumn(1).getInt();
    if (r->foreign_keys.empty() || r->foreign_keys.back().id != id) {
      ForeignKeyRow fk;
      fk.id = id;
      fk.table = column_text(q.getColumn(3));
      fk.on_update = column_text(q.getColumn(6));
      fk.on_delete = column_text(q.getColumn(7));
      fk.match = column_text(q.getColumn(8));
      r->foreign_keys.push_back(std::move(fk));
    }
    r->foreign_keys.back().from.push_back(column_text(q.getColumn(4)));
    r->foreign_keys.back().to.push_back(optional_text(q.getColumn(5)));
  }
}

std::map<std::string, std::vector<std::string>> CatalogReader::primary_keys(
    const std::set<std::string>& tables) {
  std::map<std::string, std::vector<std::string>> out;
  m_selected.clear();
  m_selected.insert(tables.begin(), tables.end());
  if (m_selected.empty()) return out;
  SQLite::Statement q(m_db, "SELECT s.name, c.name FROM " + m_quoted_schema +
                                ".sqlite_schema AS s JOIN pragma_table_info(s.name, ?1) AS c "
                                "WHERE s.type = 'table' AND connctl_selected(s.name) AND c.pk > 0 "
                                "ORDER BY s.name, c.pk");
  q.bind(1, m_schema);
  while (q.executeStep()) out[q.getColumn(0).getString()].push_back(column_text(q.getColumn(1)));
  return out;
}

void CatalogReader::read_indexes(std::vector<RelationRow>& relations) {
  if (!select_relations(relations, RelationType::table)) return;
  auto index = index_by_name(relations);
  SQLite::Statement q(
      m_db,
      "SELECT s.name, il.name, il.\"unique\", il.origin, il.partial, x.cid, x.name, x.\"desc\", "
      "x.coll, si.sql FROM " +
          m_quoted_schema +
          ".sqlite_schema AS s JOIN pragma_index_list(s.name, ?1) AS il "
          "JOIN pragma_index_xinfo(il.name, ?1) AS x LEFT JOIN " +
          m_quoted_schema +
          ".sqlite_schema AS si ON si.type = 'index' AND si.name = il.name "
          "WHERE s.type = 'table' AND connctl_selected(s.name) AND x.key = 1 "
          "ORDER BY s.name, il.name, x.seqno");
  q.bind(1, m_schema);
  while (q.executeStep()) {
    RelationRow* r = find_relation(index, q.getColumn(0).getString());
    if (!r) continue;
    std::string name = column_text(q.getColumn(1));
    if (r->indexes.empty() || r->indexes.back().name != name) {
      IndexRow ix;
      ix.name = std::move(name);
      ix.unique = q.getColumn(2).getInt() != 0;
      ix.origin = column_text(q.getColumn(3));
      ix.partial = q.getColumn(4).getInt() != 0;
      ix.sql = optional_text(q.getColumn(9));
      r->indexes.push_back(std::move(ix));
    }
    IndexKeyRow key;
    key.cid = q.getColumn(5).getInt64();
    key.name = optional_text(q.getColumn(6));
    key.descending = q.getColumn(7).getInt() != 0;
    key.collation = column_text(q.getColumn(8));
    r->indexes.back().keys.push_back(std::move(key));
  }
}

void CatalogReader::read_triggers(std::vector<RelationRow>& relations) {
  auto index = index_by_name(relations);
  RelationNames names(relations);
  for (std::size_t i = 0; i < m_trigger_rows.size(); ++i) {
    // sqlite_schema keeps the table name as the trigger text wrote it.
    const RelationRow* found = names.find(m_trigger_tables[i]);
    RelationRow* r = found ? find_relation(index, found->name) : nullptr;
    if (r && r->selected) r->triggers.push_back(m_trigger_rows[i]);
  }
  for (auto& r : relations) {
    std::sort(r.triggers.begin(), r.triggers.end(),
              [](const TriggerRow& a, const TriggerRow& b) { return a.name < b.name; });
  }
}

void CatalogReader::read_row_counts(std::vector<RelationRow>& relations) {
  for (auto& r : relations) {
    if (!r.selected || r.type != RelationType::table) continue;
    try {
      r.row_count = m_db.execAndGet("SELECT count(*) FROM " + m_quoted_schema + "." +
                                    quote_identifier(r.name))
                        .getInt64();
    } catch (const SQLite::Exception& e) {
      if (is_interrupt(e)) throw;
      m_on_failure({r.name, std::string("cannot count rows: ") + e.what()});
    }
  }
}

}  // namespace connctl::extractors::sqlite
