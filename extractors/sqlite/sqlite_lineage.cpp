#include "extractors/sqlite/sqlite_lineage.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "extractors/sqlite/sqlite_ddl.hpp"

namespace connctl::extractors::sqlite {
namespace {

struct StatementDeleter {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

// Installs an authorizer for the lifetime of one prepare, and always removes it.
class AuthorizerGuard {
 public:
  using Callback = int (*)(void*, int, const char*, const char*, const char*, const char*);
  AuthorizerGuard(sqlite3* handle, Callback callback, void* user) : m_handle(handle) {
    sqlite3_set_authorizer(m_handle, callback, user);
  }
  ~AuthorizerGuard() { sqlite3_set_authorizer(m_handle, nullptr, nullptr); }
  AuthorizerGuard(const AuthorizerGuard&) = delete;
  AuthorizerGuard& operator=(const AuthorizerGuard&) = delete;

 private:
  sqlite3* m_handle;
};

std::string text_or_empty(const char* text) {
  return text ? std::string(text) : std::string();
}

}  // namespace

ViewLineageReader::ViewLineageReader(sqlite3* handle, std::string database,
                                     std::map<std::string, bool> relations)
    : m_handle(handle), m_database(std::move(database)), m_relations(std::move(relations)) {}

std::optional<std::string> ViewLineageReader::resolve(const std::string& name) const {
  if (m_relations.count(name)) return name;
  for (const auto& [relation, is_view] : m_relations) {
    if (iequals(relation, name)) return relation;
  }
  return std::nullopt;
}

const ViewLineageReader::Prepared& ViewLineageReader::prepare(const std::string& view) {
  if (auto it = m_cache.find(view); it != m_cache.end()) return it->second;

  struct Collector {
    std::vector<Read>* reads;
    const std::string* database;
  };
  Prepared prepared;
  Collector collector{&prepared.reads, &m_database};
  // Called by SQLite's C code: it must not throw, and it must allow everything.
  auto callback = +[](void* user, int action, const char* table, const char* column,
                      const char* database, const char* context) -> int {
    if (action != SQLITE_READ || !table) return SQLITE_OK;
    auto* c = static_cast<Collector*>(user);
    if (database && !iequals(database, *c->database)) return SQLITE_OK;
    try {
      c->reads->push_back({table, text_or_empty(column), text_or_empty(context)});
    } catch (...) {  // out of memory: the read is lost, the prepare goes on
    }
    return SQLITE_OK;
  };

  const std::string sql =
      "SELECT * FROM " + quote_identifier(m_database) + "." + quote_identifier(view);
  {
    AuthorizerGuard guard(m_handle, callback, &collector);
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(m_handle, sql.c_str(), -1, &raw, nullptr);
    StatementPtr stmt(raw);
    if (rc != SQLITE_OK || !stmt) {
      prepared.error = sqlite3_errmsg(m_handle);
    } else {
      const int count = sqlite3_column_count(stmt.get());
      for (int i = 0; i < count; ++i) {
        prepared.output_names.push_back(text_or_empty(sqlite3_column_name(stmt.get(), i)));
        const char* db = sqlite3_column_database_name(stmt.get(), i);
        const char* table = sqlite3_column_table_name(stmt.get(), i);
        const char* column = sqlite3_column_origin_name(stmt.get(), i);
        if (db && table && column) {
          prepared.output_origins.push_back(ColumnOrigin{db, table, column});
        } else {
          prepared.output_origins.push_back(std::nullopt);
        }
      }
    }
  }
  return m_cache.emplace(view, std::move(prepared)).first->second;
}

std::optional<ColumnOrigin> ViewLineageReader::origin_of(const std::string& relation,
                                                         const std::string& column) {
  auto it = m_relations.find(relation);
  if (it == m_relations.end()) return std::nullopt;
  if (!it->second) return ColumnOrigin{m_database, relation, column};
  const Prepared& p = prepare(relation);
  for (std::size_t i = 0; i < p.output_names.size(); ++i) {
    if (p.output_names[i] == column) return p.output_origins[i];
  }
  for (std::size_t i = 0; i < p.output_names.size(); ++i) {
    if (iequals(p.output_names[i], column)) return p.output_origins[i];
  }
  return std::nullopt;
}

std::set<std::string> ViewLineageReader::expansion(const std::string& view) {
  std::set<std::string> out;
  for (const Read& r : prepare(view).reads) {
    if (auto name = resolve(r.table); name && *name != view) out.insert(*name);
  }
  return out;
}

std::vector<ViewSource> ViewLineageReader::sources_of(const std::string& view) {
  const Prepared& p = prepare(view);
  if (!p.error.empty()) throw std::runtime_error(p.error);

  // A column read attributed to this view is a direct read. A table referenced
  // without any column read (count(*), a cross join) is reported after the
  // expansion under whatever view SQLite is in by then: it is this view's only
  // when no view this view reads references it.
  std::map<std::string, std::set<std::string>> direct;
  std::set<std::string> unattributed;
  for (const Read& r : p.reads) {
    auto relation = resolve(r.table);
    if (!relation || *relation == view) continue;
    if (r.column.empty()) {
      unattributed.insert(*relation);
    } else if (iequals(r.context, view)) {
      direct[*relation].insert(r.column);
    }
  }
  auto is_view = [&](const std::string& name) { return m_relations.at(name); };
  auto covered_by_views = [&](const std::set<std::string>& views) {
    std::set<std::string> covered;
    for (const auto& w : views) covered.merge(expansion(w));
    return covered;
  };
  std::set<std::string> direct_views;
  for (const auto& [relation, columns] : direct) {
    if (is_view(relation)) direct_views.insert(relation);
  }
  std::set<std::string> unattributed_views;
  for (const auto& relation : unattributed) {
    if (is_view(relation) && !direct.count(relation)) unattributed_views.insert(relation);
  }
  std::set<std::string> covered = covered_by_views(direct_views);
  for (const auto& w : unattributed_views) {
    bool nested = covered.count(w) > 0;
    for (const auto& other : unattributed_views) {
      if (other != w && expansion(other).count(w)) nested = true;
    }
    if (!nested) {
      direct[w];
      direct_views.insert(w);
    }
  }
  covered = covered_by_views(direct_views);
  for (const auto& relation : unattributed) {
    if (!is_view(relation) && !direct.count(relation) && !covered.count(relation)) direct[relation];
  }

  std::vector<ViewSource> out;
  for (const auto& [relation, columns] : direct) {
    ViewSource source{relation, {}};
    for (std::size_t i = 0; i < p.output_names.size(); ++i) {
      if (!p.output_origins[i]) continue;
      for (const auto& column : columns) {
        if (column.empty()) continue;
        if (origin_of(relation, column) == p.output_origins[i]) {
          source.columns.emplace_back(column, p.output_names[i]);
        }
      }
    }
    std::sort(source.columns.begin(), source.columns.end());
    source.columns.erase(std::unique(source.columns.begin(), source.columns.end()),
                         source.columns.end());
    out.push_back(std::move(source));
  }
  return out;
}

}  // namespace connctl::extractors::sqlite
