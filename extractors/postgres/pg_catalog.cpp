#include "extractors/postgres/pg_catalog.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string_view>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "core/error.hpp"
#include "core/log.hpp"
#include "extractors/postgres/pg_lineage.hpp"
#include "extractors/postgres/pg_opclass.hpp"
#include "schema/build_pool.hpp"
#include "schema/entity.hpp"
#include "schema/fqn.hpp"
#include "schema/value.hpp"

namespace connctl::extractors::postgres {
namespace {

using schema::build_threads;
using schema::BuildPool;
using schema::Entities;
using schema::EntityBuilder;
using schema::EntityKind;
using schema::Fqn;
using schema::Value;

using Oid = std::uint32_t;

// Rows between two looks at the cancel token.
constexpr int k_cancel_every = 4096;
// Items (a relation with its columns and children) built ahead of the sink.
constexpr std::size_t k_items_in_flight = 256;

[[noreturn]] void throw_interrupted(const std::string& source) {
  throw core::Error(core::ExitCode::interrupted,
                    fmt::format("postgres source '{}': extraction interrupted", source));
}

Value json_or_null(std::string_view text) {
  if (text.empty()) return Value();
  return schema::parse_json(text);
}

std::string action_name(char code) {
  switch (code) {
    case 'a':
      return "NO ACTION";
    case 'r':
      return "RESTRICT";
    case 'c':
      return "CASCADE";
    case 'n':
      return "SET NULL";
    case 'd':
      return "SET DEFAULT";
    default:
      return std::string(1, code);
  }
}

std::string match_name(char code) {
  switch (code) {
    case 'f':
      return "FULL";
    case 'p':
      return "PARTIAL";
    default:
      return "SIMPLE";
  }
}

std::string type_kind(char typtype, char category) {
  if (category == 'A') return "array";
  switch (typtype) {
    case 'c':
      return "composite";
    case 'd':
      return "domain";
    case 'e':
      return "enum";
    case 'p':
      return "pseudo";
    case 'r':
      return "range";
    case 'm':
      return "multirange";
    default:
      return "base";
  }
}

struct SchemaRow {
  Oid oid = 0;
  std::string name;
  std::string owner;
  std::optional<std::string> comment;
  bool usage = true;
  std::string quoted;  // as SQL would write it, for GRANT hints
  schema::Object enums;
  schema::Object domains;
};

struct RelationRow {
  Oid oid = 0;
  Oid schema_oid = 0;
  std::string name;
  char kind = 'r';
  char persistence = 'p';
  bool is_partition = false;
  Oid parent = 0;
  std::optional<std::string> partition_key;
  std::optional<std::string> partition_bound;
  std::string owner;
  std::optional<std::string> comment;
  std::optional<std::string> definition;
  std::optional<std::string> server;
  std::optional<std::string> options_json;
  bool populated = true;
  double reltuples = -1;
  std::int64_t relpages = 0;
  std::optional<std::int64_t> size_bytes;
  std::optional<std::string> last_vacuum, last_autovacuum, last_analyze, last_autoanalyze;

  Fqn fqn;
  std::string fqn_text;  // fqn.str(), the parent of every child entity
  bool selected = false;
  std::vector<schema::Entity> triggers;
  // Constraints and indexes name their columns by number; the names are
  // filled in from the relation's own column rows, which stream just before
  // they are emitted.
  struct PendingConstraint {
    EntityBuilder builder;
    std::vector<int> columns;
    // The definition as pg_get_constraintdef writes it: the head, then (for
    // a key) the quoted names of `columns` and the tail.
    std::string definition_head;
    std::string definition_tail;
    bool lists_columns = false;
  };
  struct PendingIndex {
    std::string name;
    EntityBuilder builder;
    std::vector<int> keys;  // attnums; 0 for an expression
    std::vector<int> options;
    std::vector<std::uint32_t> collations;
    std::vector<Oid> classes;  // operator classes of the key columns
    Value expressions;         // pg_get_indexdef per key, only for expression indexes
    std::size_t key_count = 0;
    // The server's pg_get_indexdef, or (null) what it would say, written here
    // for the indexes index_sql leaves to the client: it is the costliest call.
    std::optional<std::string> definition;
    std::string method;
    bool unique = false;
    bool can_order = false;
    std::optional<std::string> predicate;  // of a partial index
  };
  std::vector<PendingConstraint> constraints;
  std::vector<PendingIndex> indexes;
  std::vector<std::string> column_names;  // by attnum
  std::vector<Oid> column_types;          // by attnum, for index definitions
  std::vector<Oid> column_collations;     // by attnum
  std::vector<std::size_t> partitions;    // indexes into the relation list, by name
  // Index name -> the contype of the constraint it implements, while the
  // tail is built.
  std::map<std::string, char, std::less<>> index_origin;
  std::vector<std::pair<int, std::string>> view_columns;  // (attnum, name) of a view
};

// "{1,2}" (an array) or "1 2" (an int2vector / oidvector) as numbers.
template <class T>
std::vector<T> numbers(std::string_view text) {
  std::vector<T> out;
  T value = 0;
  bool in_number = false;
  bool negative = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      value = static_cast<T>(value * 10 + (c - '0'));
      in_number = true;
    } else if (c == '-') {
      negative = true;
    } else {
      if (in_number) out.push_back(negative ? static_cast<T>(-value) : value);
      value = 0;
      in_number = negative = false;
    }
  }
  if (in_number) out.push_back(negative ? static_cast<T>(-value) : value);
  return out;
}

std::string in_list(const std::vector<Oid>& oids) {
  if (oids.empty()) return "'{}'::oid[]";
  std::string out = "'{";
  for (std::size_t i = 0; i < oids.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(oids[i]);
  }
  return out + "}'::oid[]";
}

// Rows as COPY sent them, back to back in one buffer (row i ends at
// ends[i]): one allocation, cheap to hand from the thread that reads them to
// the one that parses them.
struct Rows {
  std::string data;
  std::vector<std::size_t> ends;

  void append(const char* line, std::size_t n) {
    data.append(line, n);
    ends.push_back(data.size());
  }
  std::size_t size() const { return ends.size(); }
  // Parses rows [first, last) in place (so each once) and passes them to fn.
  template <class Fn>
  void parse(std::size_t first, std::size_t last, Fn&& fn) {
    CopyRow row;
    for (std::size_t i = first; i < last; ++i) {
      const std::size_t begin = i == 0 ? 0 : ends[i - 1];
      row.parse(data.data() + begin, ends[i] - begin);
      fn(static_cast<const CopyRow&>(row));
    }
  }
};

// A query a helper reads, and its rows.
struct HelperQuery {
  std::string sql;
  Rows rows;
  std::exception_ptr error;
  std::promise<void> read;
  std::shared_future<void> done = read.get_future().share();
};

// Queries read one after the other on their own connection, in the reader's
// snapshot. A helper that cannot open its session (a connection limit, say)
// leaves its queries to the main connection.
struct Helper {
  std::vector<std::unique_ptr<HelperQuery>> queries;
  std::unique_ptr<Connection> connection;
  std::promise<bool> opened;
  std::shared_future<bool> has_session = opened.get_future().share();
  std::thread thread;
};

// The rows of a per-relation catalog query (constraints, indexes) as COPY
// sent them, each relation's found by its oid (the first column, by which
// the query orders them). A relation's rows are parsed when its tail is
// emitted, so that no more than one relation's children are held as
// entities at a time.
struct RowStore {
  Rows rows;
  std::unordered_map<Oid, std::pair<std::size_t, std::size_t>> of_relation;  // [first, last)
};

class DatabaseReader {
 public:
  DatabaseReader(Connection& c, const DatabaseOptions& o, const ExtractRequest& r,
                 schema::EntitySink& s, const core::CancelToken& cancel)
      : m_conn(c), m_options(o), m_request(r), m_sink(s), m_cancel(cancel) {}
  ~DatabaseReader() {
    for (auto& h : m_helpers) {
      if (h->thread.joinable()) h->thread.join();
    }
  }
  DatabaseReader(const DatabaseReader&) = delete;
  DatabaseReader& operator=(const DatabaseReader&) = delete;

  std::vector<schema::ContainerStatus> run();

 private:
  void begin();
  void read_database();
  void read_schemas();
  void read_types();
  void read_relations();
  void read_constraints(RelationRow& rel);
  std::string constraints_sql() const;
  std::string viewdefs_sql() const;
  void constraint_definition(const CopyRow& r, RelationRow::PendingConstraint& c) const;
  void read_indexes(RelationRow& rel);
  std::string index_sql() const;
  // The rows of `sql` into `store`, from its helper or this connection.
  void fetch(const std::string& sql, RowStore& store);
  template <class Fn>
  void for_each_row(RowStore& store, Oid relation, Fn&& fn) {
    auto it = store.of_relation.find(relation);
    if (it != store.of_relation.end()) store.rows.parse(it->second.first, it->second.second, fn);
  }
  void read_collations();
  schema::Entity build_index(const RelationRow& rel, RelationRow::PendingIndex& ix) const;
  std::string index_definition(const RelationRow& rel, const RelationRow::PendingIndex& ix) const;
  std::string quote_identifier(std::string_view ident) const;
  void read_triggers();
  // The sequences of one schema, in name order, from m_sequence_rows.
  void emit_sequences(Oid schema_oid, Entities& out);
  std::string sequences_sql() const;
  void read_routines();
  void stream_columns_and_emit();
  void emit_lineage();

  void tick() {
    if (++m_rows % k_cancel_every == 0 && m_cancel.cancelled()) throw_interrupted(m_options.source);
  }
  // Runs a COPY on this transaction's connection (the helper's queries are
  // taken by fetch).
  void copy(const std::string& sql, const std::function<void(const CopyRow&)>& fn) {
    m_conn.copy(sql, [&](const CopyRow& row) {
      tick();
      fn(row);
    });
  }
  void start_helpers();
  // Reads `queries` in turn on a new helper connection in this
  // transaction's snapshot.
  void start_helper(const std::vector<std::string>& queries);
  // The helper that prefetched `sql`, once it is done (its error rethrown);
  // null when no helper reads that query.
  HelperQuery* prefetched(const std::string& sql);
  // Whether a helper with a session reads `sql` (waits for its session only).
  bool has_helper(const std::string& sql) const {
    for (const auto& h : m_helpers) {
      for (const auto& q : h->queries) {
        if (q->sql == sql) return h->has_session.get();
      }
    }
    return false;
  }
  // The kept queries' rows, taken from the helper when the first column row
  // arrives, so that the columns' COPY starts while the helper finishes.
  void read_children() {
    for (auto& k : m_kept) {
      if (k.from_helper) fetch(k.sql, *k.store);
    }
    m_children_read = true;
  }
  Fqn fqn_of(Oid oid, const std::string& schema_name, const std::string& relname) const {
    if (auto it = m_relation_index.find(oid); it != m_relation_index.end())
      return m_relations[it->second].fqn;
    return Fqn({m_options.source, m_database, schema_name, relname});
  }
  const std::string& schema_name(Oid oid) const { return m_schema_names.at(oid); }
  // The relation a child row (constraint, index, trigger) belongs to, or
  // null when that relation was not listed or is out of scope.
  RelationRow* selected_relation(Oid oid) {
    auto it = m_relation_index.find(oid);
    if (it == m_relation_index.end()) return nullptr;
    RelationRow& rel = m_relations[it->second];
    return rel.selected ? &rel : nullptr;
  }

  // Emission.
  // Each builds its entities into `out`, on any thread: what it reads was
  // read before the columns, and what it writes belongs to its relation.
  void emit_schema(const SchemaRow& s, Entities& out) const;
  void emit_relation_header(const RelationRow& r, Entities& out) const;
  void emit_columns(RelationRow& rel, Rows& rows, Entities& out) const;
  void emit_relation_tail(RelationRow& r, Entities& out);
  void emit_partition(RelationRow& r, Entities& out);

  Connection& m_conn;
  const DatabaseOptions& m_options;
  const ExtractRequest& m_request;
  schema::EntitySink& m_sink;
  const core::CancelToken& m_cancel;
  std::int64_t m_rows = 0;

  // A helper connection shares this transaction's snapshot and reads the
  // slowest catalog queries (constraints, indexes, sequences) while this one
  // reads the others; their rows are replayed here in order.
  std::string m_snapshot;
  std::vector<std::unique_ptr<Helper>> m_helpers;

  bool m_children_read = false;
  // The queries whose rows are kept and parsed per relation (or schema) as
  // it is emitted: from the helper at the first column row, or else read
  // before the columns' COPY.
  struct Kept {
    std::string sql;
    RowStore* store;
    bool from_helper = false;
  };
  std::vector<Kept> m_kept;
  RowStore m_constraint_rows;
  RowStore m_index_rows;
  RowStore m_viewdef_rows;

  std::string m_database;
  std::optional<schema::Entity> m_database_entity;
  std::vector<SchemaRow> m_schemas;
  std::map<Oid, std::string> m_schema_names;
  std::vector<Oid> m_readable_schemas;
  std::map<Oid, std::string> m_collations;
  std::unordered_map<Oid, std::string> m_opclass_names;
  OpclassDefaults m_opclass_defaults;
  int m_server_version = 0;
  std::set<std::string, std::less<>> m_keywords;  // that quote_ident quotes
  bool m_quote_all = false;                       // quote_all_identifiers
  std::string m_schema_filter;                    // SQL: the oids of the schemas read

  // Sorted by schema name, relation name; a deque, so that the rows are never
  // moved while the list grows.
  std::deque<RelationRow> m_relations;
  std::unordered_map<Oid, std::size_t> m_relation_index;
  RowStore m_sequence_rows;  // by schema, in schema and name order
  std::vector<schema::Entity> m_routines;
  std::vector<Oid> m_routine_schema;
  std::map<std::pair<Oid, int>, std::string> m_view_columns;  // of selected views
};

void DatabaseReader::begin() {
  m_server_version = m_conn.server_version();
  m_conn.exec(fmt::format(
      "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL search_path = ''; "
      "SET LOCAL statement_timeout = {}; SET LOCAL TimeZone = 'UTC'; "
      "SET LOCAL DateStyle = 'ISO'; SET LOCAL IntervalStyle = 'postgres'; "
      "SET LOCAL extra_float_digits = 3; SET LOCAL max_parallel_workers_per_gather = 0; "
      "SET LOCAL jit = off",
      m_options.statement_timeout_ms));
}

void DatabaseReader::start_helpers() {
  if (!m_options.open_helper) return;
  try {
    if (m_conn.value("SELECT pg_catalog.pg_is_in_recovery()::text").value_or("true") != "false")
      return;
    m_snapshot = m_conn.value("SELECT pg_catalog.pg_export_snapshot()").value_or("");
  } catch (const PgError& e) {
    if (e.kind() == FailureKind::lost) throw;
    return;
  }
  if (m_snapshot.empty()) return;
  // One helper for the three: on a small server, each session more costs
  // more (its start, its own catalog caches) than it saves.
  start_helper({constraints_sql(), index_sql(), sequences_sql(), viewdefs_sql()});
}

void DatabaseReader::start_helper(const std::vector<std::string>& queries) {
  auto& h = *m_helpers.emplace_back(std::make_unique<Helper>());
  for (const auto& sql : queries) {
    h.queries.push_back(std::make_unique<HelperQuery>());
    h.queries.back()->sql = sql;
  }
  h.thread = std::thread([this, &h] {
    try {
      h.connection = m_options.open_helper();
      h.connection->exec(fmt::format(
          "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT {}; "
          "SET LOCAL search_path = ''; SET LOCAL statement_timeout = {}; "
          "SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO'; "
          "SET LOCAL extra_float_digits = 3; SET LOCAL max_parallel_workers_per_gather = 0; "
          "SET LOCAL jit = off",
          h.connection->quote_literal(m_snapshot), m_options.statement_timeout_ms));
    } catch (...) {
      h.opened.set_value(false);
      return;
    }
    h.opened.set_value(true);
    std::exception_ptr error;
    for (auto& q : h.queries) {
      if (!error) {
        try {
          h.connection->copy_lines(q->sql,
                                   [&](char* line, std::size_t n) { q->rows.append(line, n); });
        } catch (...) {
          error = std::current_exception();
        }
      }
      // A query after a failed one fails the same way.
      q->error = error;
      q->read.set_value();
    }
    // Every row is read: a failed COMMIT of this read-only transaction loses nothing.
    if (!error) {
      try {
        h.connection->exec("COMMIT");
      } catch (...) {
      }
    }
  });
}

HelperQuery* DatabaseReader::prefetched(const std::string& sql) {
  for (auto& h : m_helpers) {
    for (auto& q : h->queries) {
      if (q->sql != sql || !h->has_session.get()) continue;
      q->done.wait();
      if (q->error) std::rethrow_exception(q->error);
      return q.get();
    }
  }
  return nullptr;
}

void DatabaseReader::read_database() {
  std::string sql =
      "SELECT d.datname, pg_catalog.pg_encoding_to_char(d.encoding), d.datcollate, d.datctype, "
      "pg_catalog.pg_get_userbyid(d.datdba), ds.description, "
      "pg_catalog.current_setting('server_version'), "
      "pg_catalog.current_setting('server_version_num'), ";
  sql += m_request.stats ? "pg_catalog.pg_database_size(d.oid) " : "NULL ";
  sql +=
      "FROM pg_catalog.pg_database d LEFT JOIN pg_catalog.pg_shdescription ds "
      "ON ds.objoid = d.oid AND ds.classoid = 'pg_catalog.pg_database'::pg_catalog.regclass "
      "WHERE d.datname = pg_catalog.current_database()";
  copy(sql, [&](const CopyRow& r) {
    m_database = r.str(0);
    EntityBuilder b(m_options.source, EntityKind::database, Fqn({m_options.source, m_database}));
    b.set("engine", "postgresql");
    b.set("encoding", r.str(1));
    b.set("collation", r.str(2));
    b.set("ctype", r.str(3));
    b.set("owner", r.str(4));
    b.set_optional("comment", r.opt(5));
    b.set("server_version", r.str(6));
    b.set("server_version_num", r.integer(7));
    if (!r.is_null(8)) b.observe("size_bytes", r.integer(8));
    m_database_entity = b.build();
  });
  if (!m_database_entity) throw PgError(FailureKind::query, "current database not found");
}

void DatabaseReader::read_schemas() {
  copy(
      "SELECT n.oid, n.nspname, pg_catalog.pg_get_userbyid(n.nspowner), ds.description, "
      "pg_catalog.has_schema_privilege(n.oid, 'USAGE'), pg_catalog.quote_ident(n.nspname) "
      "FROM pg_catalog.pg_namespace n LEFT JOIN pg_catalog.pg_description ds "
      "ON ds.objoid = n.oid AND ds.classoid = 'pg_catalog.pg_namespace'::pg_catalog.regclass "
      "AND ds.objsubid = 0 "
      "WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' "
      "ORDER BY n.nspname COLLATE \"C\"",
      [&](const CopyRow& r) {
        SchemaRow s;
        s.oid = r.oid(0);
        s.name = r.str(1);
        if (!m_request.filter.may_contain({m_database, s.name})) return;
        s.owner = r.str(2);
        s.comment = r.opt(3);
        s.usage = r.boolean(4);
        s.quoted = r.str(5);
        m_schema_names[s.oid] = s.name;
        if (s.usage) m_readable_schemas.push_back(s.oid);
        m_schemas.push_back(std::move(s));
      });
  m_schema_filter = in_list(m_readable_schemas);
}

void DatabaseReader::read_types() {
  std::map<Oid, SchemaRow*> by_oid;
  for (auto& s : m_schemas) by_oid[s.oid] = &s;
  copy(
      "SELECT t.typnamespace, t.typname, pg_catalog.json_agg(e.enumlabel ORDER BY e.enumsortorder) "
      "FROM pg_catalog.pg_type t JOIN pg_catalog.pg_enum e ON e.enumtypid = t.oid "
      "WHERE t.typnamespace = ANY(" +
          m_schema_filter + ") GROUP BY t.typnamespace, t.typname",
      [&](const CopyRow& r) {
        if (auto it = by_oid.find(r.oid(0)); it != by_oid.end())
          it->second->enums.emplace_back(r.str(1), json_or_null(r.view(2)));
      });
  copy(
      "SELECT t.typnamespace, t.typname, pg_catalog.format_type(t.typbasetype, t.typtypmod), "
      "t.typnotnull, t.typdefault, co.collname, ds.description, "
      "(SELECT pg_catalog.json_agg(pg_catalog.json_build_object('name', c.conname, 'expression', "
      "pg_catalog.pg_get_constraintdef(c.oid)) ORDER BY c.conname COLLATE \"C\") "
      "FROM pg_catalog.pg_constraint c WHERE c.contypid = t.oid) "
      "FROM pg_catalog.pg_type t "
      "LEFT JOIN pg_catalog.pg_collation co ON co.oid = t.typcollation AND t.typcollation <> 0 "
      "AND t.typcollation <> (SELECT b.typcollation FROM pg_catalog.pg_type b WHERE b.oid = "
      "t.typbasetype) "
      "LEFT JOIN pg_catalog.pg_description ds ON ds.objoid = t.oid "
      "AND ds.classoid = 'pg_catalog.pg_type'::pg_catalog.regclass AND ds.objsubid = 0 "
      "WHERE t.typtype = 'd' AND t.typnamespace = ANY(" +
          m_schema_filter + ")",
      [&](const CopyRow& r) {
        auto it = by_oid.find(r.oid(0));
        if (it == by_oid.end()) return;
        schema::Object d;
        d.reserve(8);
        d.emplace_back("data_type", r.str(2));
        d.emplace_back("nullable", !r.boolean(3));
        if (!r.is_null(4)) d.emplace_back("default", r.str(4));
        if (!r.is_null(5)) d.emplace_back("collation", r.str(5));
        if (!r.is_null(6)) d.emplace_back("comment", r.str(6));
        Value checks = json_or_null(r.view(7));
        d.emplace_back("checks", checks.is_null() ? Value(schema::Array{}) : std::move(checks));
        it->second->domains.emplace_back(r.str(1), Value(std::move(d)));
      });
}

// pg_get_viewdef (about 0.4 ms a view) on its own, off the relations query
// that the columns' query waits for.
std::string DatabaseReader::viewdefs_sql() const {
  return "SELECT c.oid, pg_catalog.pg_get_viewdef(c.oid) FROM pg_catalog.pg_class c "
         "WHERE c.relkind IN ('v', 'm') AND c.relnamespace = ANY(" +
         m_schema_filter + ") ORDER BY c.oid";
}

void DatabaseReader::read_relations() {
  std::string stats = m_request.stats ? "pg_catalog.pg_total_relation_size(c.oid), st.last_vacuum, "
                                        "st.last_autovacuum, st.last_analyze, st.last_autoanalyze "
                                      : "NULL, NULL, NULL, NULL, NULL ";
  std::string sql =
      "SELECT c.oid, c.relnamespace, c.relname, c.relkind, c.relpersistence, c.relispartition, "
      "i.inhparent, "
      "CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END, "
      "CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END, "
      "pg_catalog.pg_get_userbyid(c.relowner), ds.description, "
      // View definitions come from viewdefs_sql.
      "NULL, "
      "fs.srvname, pg_catalog.array_to_json(ft.ftoptions), c.relispopulated, c.reltuples, "
      "c.relpages, " +
      stats +
      "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "LEFT JOIN pg_catalog.pg_inherits i ON i.inhrelid = c.oid AND c.relispartition "
      "LEFT JOIN pg_catalog.pg_description ds ON ds.objoid = c.oid "
      "AND ds.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND ds.objsubid = 0 "
      "LEFT JOIN pg_catalog.pg_foreign_table ft ON ft.ftrelid = c.oid "
      "LEFT JOIN pg_catalog.pg_foreign_server fs ON fs.oid = ft.ftserver ";
  if (m_request.stats) sql += "LEFT JOIN pg_catalog.pg_stat_all_tables st ON st.relid = c.oid ";
  sql += "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relnamespace = ANY(" +
         m_schema_filter + ") ORDER BY n.nspname COLLATE \"C\", c.relname COLLATE \"C\"";
  copy(sql, [&](const CopyRow& r) {
    RelationRow x;
    x.oid = r.oid(0);
    x.schema_oid = r.oid(1);
    x.name = r.str(2);
    x.kind = r.character(3);
    x.persistence = r.character(4);
    x.is_partition = r.boolean(5);
    x.parent = r.is_null(6) ? 0 : r.oid(6);
    x.partition_key = r.opt(7);
    x.partition_bound = r.opt(8);
    x.owner = r.str(9);
    x.comment = r.opt(10);
    x.definition = r.opt(11);
    x.server = r.opt(12);
    x.options_json = r.opt(13);
    x.populated = r.boolean(14);
    x.reltuples = r.real(15);
    x.relpages = r.integer(16);
    if (!r.is_null(17)) x.size_bytes = r.integer(17);
    x.last_vacuum = r.opt(18);
    x.last_autovacuum = r.opt(19);
    x.last_analyze = r.opt(20);
    x.last_autoanalyze = r.opt(21);
    m_relation_index[x.oid] = m_relations.size();
    m_relations.push_back(std::move(x));
  });

  // FQNs: a partition sits under its parent table, at any depth.
  std::function<const Fqn&(std::size_t, int)> resolve = [&](std::size_t i,
                                                            int depth) -> const Fqn& {
    RelationRow& r = m_relations[i];
    if (!r.fqn.empty()) return r.fqn;
    auto parent = m_relation_index.find(r.parent);
    if (r.is_partition && parent != m_relation_index.end() && depth < 64) {
      r.fqn = resolve(parent->second, depth + 1).child(r.name);
    } else {
      r.fqn = Fqn({m_options.source, m_database, schema_name(r.schema_oid), r.name});
    }
    return r.fqn;
  };
  for (std::size_t i = 0; i < m_relations.size(); ++i) resolve(i, 0);
  for (auto& r : m_relations) r.fqn_text = r.fqn.str();
  // Partitions follow their root table into or out of the selection.
  std::function<bool(std::size_t, int)> selected = [&](std::size_t i, int depth) -> bool {
    RelationRow& r = m_relations[i];
    auto parent = m_relation_index.find(r.parent);
    if (r.is_partition && parent != m_relation_index.end() && depth < 64)
      return selected(parent->second, depth + 1);
    return m_request.filter.matches({m_database, schema_name(r.schema_oid), r.name});
  };
  for (std::size_t i = 0; i < m_relations.size(); ++i) {
    RelationRow& r = m_relations[i];
    r.selected = selected(i, 0);
    auto parent = m_relation_index.find(r.parent);
    if (r.is_partition && parent != m_relation_index.end())
      m_relations[parent->second].partitions.push_back(i);
  }
  // Partitions ordered by name under their parent, whatever their schema.
  for (auto& r : m_relations) {
    std::sort(r.partitions.begin(), r.partitions.end(), [&](std::size_t a, std::size_t b) {
      return m_relations[a].name < m_relations[b].name;
    });
  }
}

// Relation children are read for tables, views and foreign tables, never for
// partitions (they repeat their parent's).
const char* k_child_scope =
    "c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition AND c.relnamespace = ANY(";

std::string DatabaseReader::constraints_sql() const {
  // pg_get_constraintdef is left to the server only for what
  // constraint_definition does not write: exclusion constraints, keys with
  // INCLUDE columns or NULLS NOT DISTINCT, and foreign keys that SET NULL or
  // SET DEFAULT only some columns. A check's definition is its expression,
  // which is read anyway.
  const bool v15 = m_server_version >= 150000;
  return "SELECT co.conrelid, co.conname, co.contype, co.conkey::pg_catalog.text, "
         "co.confrelid, rn.nspname, rc.relname, "
         "CASE WHEN co.contype = 'f' THEN (SELECT pg_catalog.json_agg(a.attname ORDER BY k.n) "
         "FROM pg_catalog.unnest(co.confkey) WITH ORDINALITY k(attnum, n) "
         "JOIN pg_catalog.pg_attribute a ON a.attrelid = co.confrelid AND a.attnum = k.attnum) "
         "END, "
         "co.confupdtype, co.confdeltype, co.confmatchtype, co.condeferrable, co.condeferred, "
         "co.convalidated, "
         "CASE WHEN co.contype = 'c' THEN pg_catalog.pg_get_expr(co.conbin, co.conrelid) END, "
         "CASE WHEN co.contype = 'x' OR ci.indnatts > ci.indnkeyatts" +
         std::string(v15 ? " OR ci.indnullsnotdistinct OR co.confdelsetcols IS NOT NULL" : "") +
         " THEN pg_catalog.pg_get_constraintdef(co.oid) END, ds.description, ic.relname, "
         "co.connoinherit "
         "FROM pg_catalog.pg_constraint co JOIN pg_catalog.pg_class c ON c.oid = co.conrelid "
         "LEFT JOIN pg_catalog.pg_class rc ON rc.oid = co.confrelid "
         "LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace "
         "LEFT JOIN pg_catalog.pg_class ic ON ic.oid = co.conindid "
         "LEFT JOIN pg_catalog.pg_index ci ON ci.indexrelid = co.conindid "
         "AND co.contype IN ('p', 'u') "
         "LEFT JOIN pg_catalog.pg_description ds ON ds.objoid = co.oid "
         "AND ds.classoid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND ds.objsubid = 0 "
         "WHERE co.contype IN ('p', 'f', 'u', 'c', 'x') AND " +
         std::string(k_child_scope) + m_schema_filter +
         ") ORDER BY co.conrelid, co.conname COLLATE \"C\"";
}

void DatabaseReader::fetch(const std::string& sql, RowStore& store) {
  Rows& rows = store.rows;
  if (HelperQuery* q = prefetched(sql)) {
    rows = std::move(q->rows);
  } else {
    m_conn.copy_lines(sql, [&](char* line, std::size_t n) {
      tick();
      rows.append(line, n);
    });
  }
  // Rows come ordered by their first column: each oid's are contiguous.
  std::size_t begin = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    Oid oid = 0;
    std::from_chars(rows.data.data() + begin, rows.data.data() + rows.ends[i], oid);
    auto [it, added] = store.of_relation.try_emplace(oid, i, i + 1);
    if (!added) it->second.second = i + 1;
    begin = rows.ends[i];
  }
}

void DatabaseReader::read_constraints(RelationRow& rel) {
  for_each_row(m_constraint_rows, rel.oid, [&](const CopyRow& r) {
    char type = r.character(2);
    EntityBuilder b(m_options.source, EntityKind::constraint, rel.fqn_text, r.view(1));
    static const std::map<char, const char*> k_types = {{'p', "primary_key"},
                                                        {'f', "foreign_key"},
                                                        {'u', "unique"},
                                                        {'c', "check"},
                                                        {'x', "exclusion"}};
    b.set("constraint_type", k_types.at(type));
    std::vector<int> columns = numbers<int>(r.view(3));
    if (type == 'f') {
      b.set("referenced_table", fqn_of(r.oid(4), r.str(5), r.str(6)).str());
      Value ref = json_or_null(r.view(7));
      b.set("referenced_columns", ref.is_null() ? Value(schema::Array{}) : std::move(ref));
      b.set("on_update", action_name(r.character(8)));
      b.set("on_delete", action_name(r.character(9)));
      b.set("match", match_name(r.character(10)));
    }
    b.set("deferrable", r.boolean(11));
    b.set("initially_deferred", r.boolean(12));
    b.set("validated", r.boolean(13));
    b.set_optional("expression", r.opt(14));
    b.set_optional("comment", r.opt(16));
    // A foreign key's conindid is the referenced table's key: not its own.
    if (type != 'f' && !r.is_null(17)) {
      b.set("index", r.str(17));
      rel.index_origin[r.str(17)] = type;
    }
    RelationRow::PendingConstraint c{std::move(b), std::move(columns), {}, {}, false};
    if (!r.is_null(15)) {
      c.definition_head = r.str(15);
    } else {
      constraint_definition(r, c);
    }
    rel.constraints.push_back(std::move(c));
  });
}

// pg_get_constraintdef (ruleutils.c) of a primary key, unique key, foreign
// key or check that constraints_sql leaves to the client: PRIMARY KEY (cols),
// UNIQUE (cols), FOREIGN KEY (cols) REFERENCES schema.table(cols) [MATCH
// FULL|PARTIAL] [ON UPDATE action] [ON DELETE action], CHECK (expression)
// [NO INHERIT]; then [DEFERRABLE] [INITIALLY DEFERRED] [NOT VALID]. The
// referenced table is always qualified: nothing is visible on the empty
// search_path the sessions use.
void DatabaseReader::constraint_definition(const CopyRow& r,
                                           RelationRow::PendingConstraint& c) const {
  auto action = [](char code) -> std::string {
    return code == 'a' ? std::string() : " " + action_name(code);
  };
  switch (r.character(2)) {
    case 'p':
      c.definition_head = "PRIMARY KEY (";
      break;
    case 'u':
      c.definition_head = "UNIQUE (";
      break;
    case 'f': {
      c.definition_head = "FOREIGN KEY (";
      c.definition_tail =
          ") REFERENCES " + quote_identifier(r.view(5)) + "." + quote_identifier(r.view(6)) + "(";
      const Value referenced = json_or_null(r.view(7));
      const char* separator = "";
      if (referenced.is_array()) {
        for (const Value& name : referenced.as_array()) {
          c.definition_tail += separator;
          c.definition_tail += quote_identifier(name.is_string() ? name.as_string() : "");
          separator = ", ";
        }
      }
      c.definition_tail += ")";
      const char match = r.character(10);
      if (match == 'f') c.definition_tail += " MATCH FULL";
      if (match == 'p') c.definition_tail += " MATCH PARTIAL";
      if (const std::string a = action(r.character(8)); !a.empty())
        c.definition_tail += " ON UPDATE" + a;
      if (const std::string a = action(r.character(9)); !a.empty())
        c.definition_tail += " ON DELETE" + a;
      break;
    }
    default:  // 'c'
      c.definition_head = "CHECK (" + r.opt(14).value_or("") + ")";
      if (r.boolean(18)) c.definition_head += " NO INHERIT";
      break;
  }
  c.lists_columns = r.character(2) != 'c';
  if (c.lists_columns && r.character(2) != 'f') c.definition_tail = ")";
  std::string& end = c.lists_columns ? c.definition_tail : c.definition_head;
  if (r.boolean(11)) end += " DEFERRABLE";
  if (r.boolean(12)) end += " INITIALLY DEFERRED";
  if (!r.boolean(13)) end += " NOT VALID";
}

std::string DatabaseReader::index_sql() const {
  // Indexes whose definition build_index writes as pg_get_indexdef would
  // (ruleutils.c), which is most of this query's cost on the server: column
  // keys only, operator classes and collations from pg_catalog, no opclass
  // options, no storage parameters, on a table that is neither partitioned
  // nor temporary. Whether a key's class is its type's default is decided on
  // the client (OpclassDefaults); the predicate of a partial index is the
  // pg_get_expr this query reads anyway. The others still ask the server.
  // The two array sub-selects are uncorrelated: each runs once per query.
  const std::string written_here =
      std::string(
          "i.indexprs IS NULL AND ic.reloptions IS NULL AND c.relkind <> 'p' AND "
          "c.relpersistence <> 't' ") +
      (m_server_version >= 150000 ? "AND NOT i.indnullsnotdistinct " : "") +
      "AND i.indclass::pg_catalog.oid[] OPERATOR(pg_catalog.<@) (SELECT "
      "pg_catalog.array_agg(o.oid) FROM pg_catalog.pg_opclass o "
      "WHERE o.opcnamespace = 'pg_catalog'::pg_catalog.regnamespace) "
      "AND i.indcollation::pg_catalog.oid[] OPERATOR(pg_catalog.<@) (SELECT "
      "pg_catalog.array_append(pg_catalog.array_agg(co.oid), 0::pg_catalog.oid) "
      "FROM pg_catalog.pg_collation co "
      "WHERE co.collnamespace = 'pg_catalog'::pg_catalog.regnamespace) "
      "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute ia "
      "WHERE ia.attrelid = i.indexrelid AND ia.attoptions IS NOT NULL)";
  return "SELECT i.indrelid, ic.relname, am.amname, i.indisunique, i.indisprimary, i.indnkeyatts, "
         "pg_catalog.pg_get_expr(i.indpred, i.indrelid), CASE WHEN " +
         written_here +
         " THEN NULL ELSE pg_catalog.pg_get_indexdef(i.indexrelid) END, "
         "i.indkey::pg_catalog.text, i.indoption::pg_catalog.text, "
         "i.indcollation::pg_catalog.text, i.indnatts, "
         "CASE WHEN i.indexprs IS NOT NULL THEN (SELECT pg_catalog.json_agg("
         "pg_catalog.pg_get_indexdef(i.indexrelid, k.n, true) ORDER BY k.n) "
         "FROM pg_catalog.generate_series(1, i.indnatts::int) k(n)) END, "
         "ds.description, i.indisvalid, pg_catalog.pg_indexam_has_property(am.oid, 'can_order'), "
         "i.indclass::pg_catalog.text "
         "FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid "
         "JOIN pg_catalog.pg_class c ON c.oid = i.indrelid "
         "JOIN pg_catalog.pg_am am ON am.oid = ic.relam "
         "LEFT JOIN pg_catalog.pg_description ds ON ds.objoid = i.indexrelid "
         "AND ds.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND ds.objsubid = 0 "
         "WHERE " +
         std::string(k_child_scope) + m_schema_filter +
         ") ORDER BY i.indrelid, ic.relname COLLATE \"C\"";
}

void DatabaseReader::read_indexes(RelationRow& rel) {
  for_each_row(m_index_rows, rel.oid, [&](const CopyRow& r) {
    EntityBuilder b(m_options.source, EntityKind::index, rel.fqn_text, r.view(1));
    b.set("method", r.str(2));
    b.set("unique", r.boolean(3));
    b.set("primary", r.boolean(4));
    const std::int64_t key_count = r.integer(5);  // the rest are INCLUDE columns
    b.set("partial", !r.is_null(6));
    b.set_optional("predicate", r.opt(6));
    b.set_optional("comment", r.opt(13));
    if (!r.boolean(14)) b.set("valid", false);
    RelationRow::PendingIndex pending{r.str(1),
                                      std::move(b),
                                      numbers<int>(r.view(8)),
                                      numbers<int>(r.view(9)),
                                      numbers<std::uint32_t>(r.view(10)),
                                      numbers<Oid>(r.view(16)),
                                      json_or_null(r.view(12)),
                                      static_cast<std::size_t>(key_count),
                                      r.opt(7),
                                      r.str(2),
                                      r.boolean(3),
                                      r.boolean(15),
                                      r.opt(6)};
    rel.indexes.push_back(std::move(pending));
  });
}

void DatabaseReader::read_collations() {
  copy("SELECT oid, collname FROM pg_catalog.pg_collation",
       [&](const CopyRow& r) { m_collations[r.oid(0)] = r.str(1); });
  // What quote_ident quotes besides unusual characters (for index_definition).
  copy("SELECT word FROM pg_catalog.pg_get_keywords() WHERE catcode <> 'U'",
       [&](const CopyRow& r) { m_keywords.insert(r.str(0)); });
  m_quote_all =
      m_conn.value("SELECT pg_catalog.current_setting('quote_all_identifiers')").value_or("off") ==
      "on";
  // What decides whether pg_get_indexdef prints a key's operator class.
  copy("SELECT oid, opcname, opcmethod, opcintype, opcdefault FROM pg_catalog.pg_opclass",
       [&](const CopyRow& r) {
         m_opclass_names[r.oid(0)] = r.str(1);
         m_opclass_defaults.add_opclass(r.oid(0), {r.oid(2), r.oid(3), r.boolean(4)});
       });
  copy(
      "SELECT castsource, casttarget FROM pg_catalog.pg_cast "
      "WHERE castmethod = 'b' AND castcontext = 'i'",
      [&](const CopyRow& r) { m_opclass_defaults.add_binary_cast(r.oid(0), r.oid(1)); });
  // A true array type (get_element_type): typsubscript from 14 on, typlen before.
  const std::string true_array =
      m_server_version >= 140000
          ? "t.typsubscript = 'pg_catalog.array_subscript_handler'::pg_catalog.regproc"
          : "t.typlen = -1";
  copy("SELECT t.oid, t.typtype, t.typcategory, t.typispreferred, t.typbasetype, CASE WHEN " +
           true_array + " THEN t.typelem ELSE 0 END FROM pg_catalog.pg_type t",
       [&](const CopyRow& r) {
         m_opclass_defaults.add_type(
             r.oid(0), {r.character(1), r.character(2), r.boolean(3), r.oid(4), r.oid(5)});
       });
}

// quote_identifier of ruleutils.c: as is when it is lower case letters,
// digits and underscores, starts with a letter or underscore and is not a
// keyword other than an unreserved one; otherwise in double quotes.
std::string DatabaseReader::quote_identifier(std::string_view ident) const {
  bool safe = !ident.empty() && ((ident[0] >= 'a' && ident[0] <= 'z') || ident[0] == '_');
  for (char ch : ident) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')) safe = false;
  }
  if (safe && (m_quote_all || m_keywords.contains(ident))) safe = false;
  if (safe) return std::string(ident);
  std::string out = "\"";
  for (char ch : ident) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

// pg_get_indexdef of an index index_sql leaves to the client, as
// pg_get_indexdef_worker writes it: CREATE [UNIQUE] INDEX name ON
// schema.table USING method (key [COLLATE c] [opclass] [DESC] [NULLS
// FIRST|LAST], ...) [INCLUDE (column, ...)] [WHERE predicate]. A key's
// collation is shown when it is not its column's, its operator class when it
// is not the default for the column's type (both from pg_catalog, so never
// schema-qualified).
std::string DatabaseReader::index_definition(const RelationRow& rel,
                                             const RelationRow::PendingIndex& ix) const {
  std::string out =
      fmt::format("CREATE {}INDEX {} ON {}.{} USING {} (", ix.unique ? "UNIQUE " : "",
                  quote_identifier(ix.name), quote_identifier(schema_name(rel.schema_oid)),
                  quote_identifier(rel.name), quote_identifier(ix.method));
  const char* separator = "";
  for (std::size_t n = 0; n < ix.keys.size(); ++n) {
    if (n == ix.key_count) {
      out += ") INCLUDE (";
      separator = "";
    }
    out += separator;
    separator = ", ";
    // Names, types and collations are kept side by side, by attnum.
    const auto attnum = static_cast<std::size_t>(ix.keys[n]);
    const bool listed = attnum < rel.column_names.size();
    out += quote_identifier(listed ? std::string_view(rel.column_names[attnum]) : "");
    if (n >= ix.key_count) continue;
    const Oid collation = n < ix.collations.size() ? ix.collations[n] : 0;
    if (collation != 0 && collation != (listed ? rel.column_collations[attnum] : 0)) {
      auto it = m_collations.find(collation);
      out += " COLLATE " + quote_identifier(it == m_collations.end() ? "" : it->second);
    }
    const Oid opclass = n < ix.classes.size() ? ix.classes[n] : 0;
    if (!m_opclass_defaults.is_default(opclass, listed ? rel.column_types[attnum] : 0)) {
      auto name = m_opclass_names.find(opclass);
      out += " " + quote_identifier(name == m_opclass_names.end() ? "" : name->second);
    }
    if (ix.can_order) {
      const int option = n < ix.options.size() ? ix.options[n] : 0;
      if ((option & 1) != 0) {
        out += " DESC";
        if ((option & 2) == 0) out += " NULLS LAST";
      } else if ((option & 2) != 0) {
        out += " NULLS FIRST";
      }
    }
  }
  out += ")";
  if (ix.predicate) out += " WHERE " + *ix.predicate;
  return out;
}

schema::Entity DatabaseReader::build_index(const RelationRow& rel,
                                           RelationRow::PendingIndex& ix) const {
  auto column = [&](int attnum) -> std::string {
    if (attnum > 0 && static_cast<std::size_t>(attnum) < rel.column_names.size())
      return rel.column_names[static_cast<std::size_t>(attnum)];
    return std::string();
  };
  schema::Array keys, include;
  for (std::size_t n = 0; n < ix.keys.size(); ++n) {
    const int attnum = ix.keys[n];
    if (n >= ix.key_count) {
      include.emplace_back(column(attnum));
      continue;
    }
    schema::Object key;
    key.reserve(4);
    if (attnum == 0) {
      const Value* e = ix.expressions.is_array() && n < ix.expressions.as_array().size()
                           ? &ix.expressions.as_array()[n]
                           : nullptr;
      key.emplace_back("expression", e && e->is_string() ? *e : Value(""));
    } else {
      key.emplace_back("name", column(attnum));
    }
    const int option = n < ix.options.size() ? ix.options[n] : 0;
    key.emplace_back("descending", (option & 1) != 0);
    if ((option & 2) != 0) key.emplace_back("nulls_first", true);
    // 0: not collatable; 100: the database default.
    const std::uint32_t collation = n < ix.collations.size() ? ix.collations[n] : 0;
    if (collation != 0 && collation != 100) {
      if (auto it = m_collations.find(collation); it != m_collations.end())
        key.emplace_back("collation", it->second);
    }
    keys.emplace_back(std::move(key));
  }
  ix.builder.set("columns", std::move(keys));
  if (!include.empty()) ix.builder.set("include", std::move(include));
  std::string origin = "create_index";
  if (auto it = rel.index_origin.find(ix.name); it != rel.index_origin.end()) {
    origin = it->second == 'p'   ? "primary_key"
             : it->second == 'u' ? "unique_constraint"
                                 : "exclusion_constraint";
  }
  ix.builder.set("origin", origin);
  ix.builder.set("definition", ix.definition ? *ix.definition : index_definition(rel, ix));
  return ix.builder.build();
}

void DatabaseReader::read_triggers() {
  copy(
      "SELECT t.tgrelid, t.tgname, t.tgtype, pg_catalog.pg_get_triggerdef(t.oid), "
      "(SELECT pg_catalog.json_agg(a.attname ORDER BY k.n) FROM "
      "pg_catalog.unnest(t.tgattr::pg_catalog.int2[]) WITH ORDINALITY k(attnum, n) "
      "JOIN pg_catalog.pg_attribute a ON a.attrelid = t.tgrelid AND a.attnum = k.attnum), "
      "pg_catalog.quote_ident(pn.nspname) || '.' || pg_catalog.quote_ident(p.proname), NULL, "
      "t.tgenabled, ds.description "
      "FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid "
      "JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid "
      "JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace "
      "LEFT JOIN pg_catalog.pg_description ds ON ds.objoid = t.oid "
      "AND ds.classoid = 'pg_catalog.pg_trigger'::pg_catalog.regclass AND ds.objsubid = 0 "
      "WHERE NOT t.tgisinternal AND " +
          std::string(k_child_scope) + m_schema_filter +
          ") ORDER BY t.tgrelid, t.tgname COLLATE \"C\"",
      [&](const CopyRow& r) {
        RelationRow* found = selected_relation(r.oid(0));
        if (!found) return;
        RelationRow& rel = *found;
        const std::int64_t type = r.integer(2);
        EntityBuilder b(m_options.source, EntityKind::trigger, rel.fqn_text, r.view(1));
        b.set("timing", (type & 64) ? "INSTEAD OF" : (type & 2) ? "BEFORE" : "AFTER");
        schema::Array events;
        if (type & 4) events.emplace_back("INSERT");
        if (type & 16) events.emplace_back("UPDATE");
        if (type & 8) events.emplace_back("DELETE");
        if (type & 32) events.emplace_back("TRUNCATE");
        if (events.size() == 1) b.set("event", events[0]);
        b.set("events", std::move(events));
        b.set("level", (type & 1) ? "row" : "statement");
        Value columns = json_or_null(r.view(4));
        if (columns.is_array()) b.set("event_columns", std::move(columns));
        b.set("definition", r.str(3));
        b.set("function", r.str(5));
        const char enabled = r.character(7);
        b.set("enabled", enabled == 'D'   ? "disabled"
                         : enabled == 'R' ? "replica"
                         : enabled == 'A' ? "always"
                                          : "origin");
        b.set_optional("comment", r.opt(8));
        rel.triggers.push_back(b.build());
      });
}

std::string DatabaseReader::sequences_sql() const {
  return "SELECT c.relnamespace, c.relname, pg_catalog.format_type(s.seqtypid, NULL), s.seqstart, "
         "s.seqincrement, s.seqmin, s.seqmax, s.seqcycle, s.seqcache, "
         "pg_catalog.pg_get_userbyid(c.relowner), ds.description, d.refobjid, tn.nspname, "
         "tc.relname, ta.attname, d.deptype "
         "FROM pg_catalog.pg_sequence s JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid "
         "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
         "LEFT JOIN pg_catalog.pg_depend d ON d.classid = "
         "'pg_catalog.pg_class'::pg_catalog.regclass "
         "AND d.objid = c.oid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass "
         "AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i') "
         "LEFT JOIN pg_catalog.pg_class tc ON tc.oid = d.refobjid "
         "LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace "
         "LEFT JOIN pg_catalog.pg_attribute ta ON ta.attrelid = d.refobjid "
         "AND ta.attnum = d.refobjsubid "
         "LEFT JOIN pg_catalog.pg_description ds ON ds.objoid = c.oid "
         "AND ds.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND ds.objsubid = 0 "
         "WHERE c.relnamespace = ANY(" +
         m_schema_filter + ") ORDER BY n.nspname COLLATE \"C\", c.relname COLLATE \"C\"";
}

void DatabaseReader::emit_sequences(Oid schema_oid, Entities& out) {
  for_each_row(m_sequence_rows, schema_oid, [&](const CopyRow& r) {
    const std::string& nsp = schema_name(r.oid(0));
    if (!m_request.filter.matches({m_database, nsp, r.str(1)})) return;
    EntityBuilder b(m_options.source, EntityKind::sequence,
                    Fqn({m_options.source, m_database, nsp, r.str(1)}));
    b.set("data_type", r.str(2));
    b.set("start", r.integer(3));
    b.set("increment", r.integer(4));
    b.set("min", r.integer(5));
    b.set("max", r.integer(6));
    b.set("cycle", r.boolean(7));
    b.set("cache", r.integer(8));
    b.set("owner", r.str(9));
    b.set_optional("comment", r.opt(10));
    if (!r.is_null(11) && !r.is_null(14)) {
      b.set("owned_by", fqn_of(r.oid(11), r.str(12), r.str(13)).child(r.view(14)).str());
      b.set("identity", r.character(15) == 'i');
    }
    out.push_back(b.build());
  });
}

void DatabaseReader::read_routines() {
  copy(
      "SELECT p.pronamespace, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid), "
      "p.prokind, l.lanname, pg_catalog.pg_get_function_result(p.oid), "
      "pg_catalog.pg_get_function_arguments(p.oid), p.provolatile, p.prosecdef, p.proisstrict, "
      "pg_catalog.pg_get_userbyid(p.proowner), ds.description, "
      "CASE WHEN p.prokind IN ('f', 'p') THEN pg_catalog.pg_get_functiondef(p.oid) END, "
      "pg_catalog.oidvectortypes(p.proargtypes) "
      "FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
      "JOIN pg_catalog.pg_language l ON l.oid = p.prolang "
      "LEFT JOIN pg_catalog.pg_description ds ON ds.objoid = p.oid "
      "AND ds.classoid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND ds.objsubid = 0 "
      "WHERE p.pronamespace = ANY(" +
          m_schema_filter +
          ") ORDER BY n.nspname COLLATE \"C\", p.proname COLLATE \"C\", "
          "pg_catalog.oidvectortypes(p.proargtypes) COLLATE \"C\"",
      [&](const CopyRow& r) {
        const std::string& nsp = schema_name(r.oid(0));
        const std::string name = r.str(1);
        if (!m_request.filter.matches({m_database, nsp, name})) return;
        // One entity per overload: the argument types are part of the name.
        const std::string component = name + "(" + r.str(13) + ")";
        EntityBuilder b(m_options.source, EntityKind::routine,
                        Fqn({m_options.source, m_database, nsp, component}));
        b.set("routine_name", name);
        const char kind = r.character(3);
        b.set("routine_type", kind == 'p'   ? "procedure"
                              : kind == 'a' ? "aggregate"
                              : kind == 'w' ? "window"
                                            : "function");
        b.set("signature", r.str(2));
        b.set("language", r.str(4));
        b.set_optional("return_type", r.opt(5));
        b.set("arguments", r.str(6));
        const char volatility = r.character(7);
        b.set("volatility", volatility == 'i'   ? "immutable"
                            : volatility == 's' ? "stable"
                                                : "volatile");
        b.set("security_definer", r.boolean(8));
        b.set("strict", r.boolean(9));
        b.set("owner", r.str(10));
        b.set_optional("comment", r.opt(11));
        b.set_optional("definition", r.opt(12));
        m_routines.push_back(b.build());
        m_routine_schema.push_back(r.oid(0));
      });
}

void DatabaseReader::emit_schema(const SchemaRow& s, Entities& out) const {
  EntityBuilder b(m_options.source, EntityKind::schema,
                  Fqn({m_options.source, m_database, s.name}));
  b.set("owner", s.owner);
  b.set_optional("comment", s.comment);
  if (!s.enums.empty()) b.set("enums", s.enums);
  if (!s.domains.empty()) b.set("domains", s.domains);
  out.push_back(b.build());
}

void DatabaseReader::emit_relation_header(const RelationRow& r, Entities& out) const {
  EntityKind kind = r.kind == 'v'   ? EntityKind::view
                    : r.kind == 'm' ? EntityKind::materialized_view
                                    : EntityKind::table;
  EntityBuilder b(m_options.source, kind, r.fqn);
  if (kind == EntityKind::table) {
    b.set("table_type", r.kind == 'p' ? "partitioned" : r.kind == 'f' ? "foreign" : "base");
    b.set("persistence", r.persistence == 'u'   ? "unlogged"
                         : r.persistence == 't' ? "temporary"
                                                : "permanent");
    b.set_optional("partition_key", r.partition_key);
    if (r.is_partition) {
      if (auto it = m_relation_index.find(r.parent); it != m_relation_index.end())
        b.set("partition_of", m_relations[it->second].fqn.str());
      b.set_optional("partition_bound", r.partition_bound);
    }
    if (r.kind == 'f') {
      b.set_optional("server", r.server);
      schema::Object options;
      if (r.options_json) {
        Value list = schema::parse_json(*r.options_json);
        if (list.is_array()) {
          for (const Value& item : list.as_array()) {
            if (!item.is_string()) continue;
            const std::string& kv = item.as_string();
            auto eq = kv.find('=');
            options.emplace_back(kv.substr(0, eq),
                                 eq == std::string::npos ? std::string() : kv.substr(eq + 1));
          }
        }
      }
      b.set("options", std::move(options));
    }
  } else {
    b.set_optional("definition", r.definition);
    if (kind == EntityKind::materialized_view) b.set("populated", r.populated);
  }
  b.set("owner", r.owner);
  b.set_optional("comment", r.comment);
  if (m_request.stats) {
    if (r.kind != 'v') {
      b.observe("row_estimate", static_cast<std::int64_t>(r.reltuples));
      b.observe("pages", r.relpages);
    }
    if (r.size_bytes) b.observe("size_bytes", *r.size_bytes);
    if (r.last_vacuum) b.observe("last_vacuum", *r.last_vacuum);
    if (r.last_autovacuum) b.observe("last_autovacuum", *r.last_autovacuum);
    if (r.last_analyze) b.observe("last_analyze", *r.last_analyze);
    if (r.last_autoanalyze) b.observe("last_autoanalyze", *r.last_autoanalyze);
  }
  out.push_back(b.build());
}

void DatabaseReader::emit_relation_tail(RelationRow& r, Entities& out) {
  read_constraints(r);
  read_indexes(r);
  auto column = [&](int attnum) -> std::string {
    if (attnum > 0 && static_cast<std::size_t>(attnum) < r.column_names.size())
      return r.column_names[static_cast<std::size_t>(attnum)];
    return std::string();
  };
  for (auto& c : r.constraints) {
    schema::Array names;
    std::string definition = std::move(c.definition_head);
    const char* separator = "";
    for (int attnum : c.columns) {
      std::string name = column(attnum);
      if (c.lists_columns) {
        definition += separator;
        definition += quote_identifier(name);
        separator = ", ";
      }
      names.emplace_back(std::move(name));
    }
    if (c.lists_columns) definition += c.definition_tail;
    c.builder.set("columns", std::move(names));
    c.builder.set("definition", std::move(definition));
    out.push_back(c.builder.build());
  }
  for (auto& ix : r.indexes) out.push_back(build_index(r, ix));
  for (auto& t : r.triggers) out.push_back(std::move(t));
  r.constraints = {};
  r.indexes = {};
  r.triggers = {};
  r.index_origin = {};
  r.column_names = {};
  r.column_types = {};
  r.column_collations = {};
  for (std::size_t p : r.partitions) emit_partition(m_relations[p], out);
}

void DatabaseReader::emit_partition(RelationRow& r, Entities& out) {
  emit_relation_header(r, out);
  emit_relation_tail(r, out);
}

void DatabaseReader::emit_columns(RelationRow& rel, Rows& rows, Entities& out) const {
  rows.parse(0, rows.size(), [&](const CopyRow& r) {
    const std::string_view column = r.view(2);
    const auto attnum = static_cast<std::size_t>(r.integer(1));
    if (rel.column_names.size() <= attnum) {
      rel.column_names.resize(attnum + 1);
      rel.column_types.resize(attnum + 1);
      rel.column_collations.resize(attnum + 1);
    }
    rel.column_names[attnum] = std::string(column);
    rel.column_types[attnum] = r.oid(13);
    rel.column_collations[attnum] = r.oid(14);
    EntityBuilder b(m_options.source, EntityKind::column, rel.fqn_text, column);
    b.set("ordinal", r.integer(1));
    b.set("data_type", r.str(3));
    b.set("type_kind", type_kind(r.character(10), r.character(11)));
    const char relkind = r.character(12);
    if (relkind != 'v') {
      b.set("nullable", !r.boolean(4));
      const char identity = r.character(6);
      const char generated = r.character(7);
      if (generated == 's') {
        b.set("generated", "stored");
        b.set_optional("generation_expression", r.opt(5));
      } else {
        b.set_optional("default", r.opt(5));
      }
      if (identity == 'a') b.set("identity", "always");
      if (identity == 'd') b.set("identity", "by_default");
    } else {
      // A view column has no NOT NULL of its own.
      b.set("nullable", true);
      b.set_optional("default", r.opt(5));
    }
    b.set_optional("collation", r.opt(8));
    b.set_optional("comment", r.opt(9));
    out.push_back(b.build());
    if (relkind == 'v' || relkind == 'm')
      rel.view_columns.emplace_back(static_cast<int>(r.integer(1)), std::string(column));
  });
}

void DatabaseReader::stream_columns_and_emit() {
  m_sink.on_entity(*m_database_entity);

  // The emission plan: schemas in name order, each followed by its top-level
  // relations, sequences and routines. Column rows arrive in the same order.
  struct Item {
    enum class Type { schema, relation, sequences, routine } type;
    std::size_t index;
  };
  std::vector<Item> plan;
  std::unordered_map<Oid, std::size_t> plan_of_relation;
  std::vector<Oid> column_order;
  {
    std::map<Oid, std::vector<std::size_t>> relations_of, routines_of;
    for (std::size_t i = 0; i < m_relations.size(); ++i) {
      const RelationRow& r = m_relations[i];
      if (r.selected && !(r.is_partition && m_relation_index.count(r.parent)))
        relations_of[r.schema_oid].push_back(i);
    }
    for (std::size_t i = 0; i < m_routines.size(); ++i)
      routines_of[m_routine_schema[i]].push_back(i);
    for (std::size_t s = 0; s < m_schemas.size(); ++s) {
      plan.push_back({Item::Type::schema, s});
      const Oid oid = m_schemas[s].oid;
      for (std::size_t i : relations_of[oid]) {
        plan_of_relation[m_relations[i].oid] = plan.size();
        column_order.push_back(m_relations[i].oid);
        plan.push_back({Item::Type::relation, i});
      }
      plan.push_back({Item::Type::sequences, s});
      for (std::size_t i : routines_of[oid]) plan.push_back({Item::Type::routine, i});
    }
  }

  // This thread reads the columns' COPY and hands each item's entities to
  // the sink in plan order; the items themselves (a relation once all its
  // column rows are in) are built on the pool's threads.
  BuildPool pool(build_threads());
  auto deliver = [&](const Entities& entities) {
    for (const auto& e : entities) m_sink.on_entity(e);
  };
  auto submit = [&](std::size_t k, Rows rows) {
    const Item item = plan[k];
    pool.submit([this, item, rows = std::move(rows)](Entities& out) mutable {
      switch (item.type) {
        case Item::Type::schema:
          emit_schema(m_schemas[item.index], out);
          break;
        case Item::Type::relation: {
          RelationRow& rel = m_relations[item.index];
          for_each_row(m_viewdef_rows, rel.oid,
                       [&](const CopyRow& r) { rel.definition = r.opt(1); });
          emit_relation_header(rel, out);
          emit_columns(rel, rows, out);
          emit_relation_tail(rel, out);
          break;
        }
        case Item::Type::sequences:
          emit_sequences(m_schemas[item.index].oid, out);
          break;
        case Item::Type::routine:
          out.push_back(m_routines[item.index]);
          break;
      }
    });
    // Entities wait in memory for at most this many items.
    while (pool.deliver_next(pool.pending() > k_items_in_flight, deliver)) {
    }
  };
  std::size_t next = 0;             // the first item not yet submitted
  std::optional<std::size_t> open;  // the relation whose column rows are arriving
  Rows rows;

  // Generated columns came with PostgreSQL 12.
  const std::string generated =
      m_server_version >= 120000 ? "a.attgenerated" : "''::pg_catalog.\"char\"";
  std::string sql =
      "SELECT a.attrelid, a.attnum, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), "
      // A default cannot refer to a column, so it is deparsed without the
      // relation (which pg_get_expr would open for every call: half of this
      // query's cost); a generated column's expression does refer to columns.
      "a.attnotnull, pg_catalog.pg_get_expr(ad.adbin, CASE WHEN " +
      generated + " = '' THEN 0 ELSE ad.adrelid END), a.attidentity, " + generated +
      ", co.collname, ds.description, t.typtype, t.typcategory, c.relkind, "
      "a.atttypid, a.attcollation "
      "FROM pg_catalog.unnest(" +
      in_list(column_order) +
      ") WITH ORDINALITY o(rel, pos) "
      "JOIN pg_catalog.pg_attribute a ON a.attrelid = o.rel "
      "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
      "JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
      "LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum "
      "LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation "
      "AND a.attcollation <> t.typcollation "
      "LEFT JOIN pg_catalog.pg_description ds ON ds.objoid = a.attrelid "
      "AND ds.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND ds.objsubid = a.attnum "
      "WHERE a.attnum > 0 AND NOT a.attisdropped "
      // Emission order, passed as positions: sorting integers beats sorting names.
      "ORDER BY o.pos, a.attnum";
  m_conn.copy_lines(sql, [&](char* line, std::size_t n) {
    tick();
    if (!m_children_read) read_children();
    Oid oid = 0;
    std::from_chars(line, line + n, oid);
    auto p = plan_of_relation.find(oid);
    if (p == plan_of_relation.end()) return;
    const std::size_t k = p->second;
    if (!open || *open != k) {
      if (open) submit(*open, std::move(rows));
      rows = {};
      while (next < k) submit(next++, {});
      open = k;
      next = k + 1;
    }
    rows.append(line, n);
  });
  if (!m_children_read) read_children();
  if (open) submit(*open, std::move(rows));
  while (next < plan.size()) submit(next++, {});
  while (pool.deliver_next(true, deliver)) {
  }
  for (const auto& rel : m_relations) {
    for (const auto& [attnum, name] : rel.view_columns) m_view_columns[{rel.oid, attnum}] = name;
  }
}

void DatabaseReader::emit_lineage() {
  std::vector<Oid> views;
  for (const auto& r : m_relations) {
    if (r.selected && (r.kind == 'v' || r.kind == 'm')) views.push_back(r.oid);
  }
  if (views.empty()) return;
  const std::string view_list = in_list(views);

  // What each view's rule depends on: relations (subid 0) and their columns.
  struct Source {
    std::string schema_name, name;
    std::map<int, std::string> columns;  // attnum -> name, of the columns pg_depend lists
  };
  std::map<Oid, std::map<Oid, Source>> depends;  // view -> relation -> columns read
  copy(
      "SELECT r.ev_class, d.refobjid, d.refobjsubid, a.attname, sn.nspname, s.relname "
      "FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_depend d "
      "ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = r.oid "
      "AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid <> r.ev_class "
      "JOIN pg_catalog.pg_class s ON s.oid = d.refobjid AND s.relkind IN ('r', 'p', 'v', 'm', 'f') "
      "JOIN pg_catalog.pg_namespace sn ON sn.oid = s.relnamespace "
      "LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid "
      "AND a.attnum = d.refobjsubid AND d.refobjsubid > 0 "
      "WHERE r.rulename = '_RETURN' AND r.ev_class = ANY(" +
          view_list + ")",
      [&](const CopyRow& r) {
        Source& s = depends[r.oid(0)][r.oid(1)];
        s.schema_name = r.str(4);
        s.name = r.str(5);
        if (r.integer(2) > 0 && !r.is_null(3)) s.columns[static_cast<int>(r.integer(2))] = r.str(3);
      });

  std::vector<schema::LineageEdge> edges;
  std::map<Oid, std::map<int, std::set<ColumnRef>>> column_sources;
  copy(
      "SELECT r.ev_class, r.ev_action FROM pg_catalog.pg_rewrite r WHERE r.rulename = '_RETURN' "
      "AND r.ev_class = ANY(" +
          view_list + ")",
      [&](const CopyRow& r) {
        try {
          column_sources[r.oid(0)] = view_column_sources(r.view(1));
        } catch (const std::exception& e) {
          const RelationRow& v = m_relations[m_relation_index.at(r.oid(0))];
          m_sink.on_warning(schema::Warning{
              v.fqn.str(), std::string("column lineage not read: ") + e.what(), false});
        }
      });

  for (const auto& [view_oid, sources] : depends) {
    const RelationRow& view = m_relations[m_relation_index.at(view_oid)];
    const auto& per_column = column_sources[view_oid];
    for (const auto& [source_oid, source] : sources) {
      schema::LineageEdge edge;
      edge.from = fqn_of(source_oid, source.schema_name, source.name).str();
      edge.to = view.fqn.str();
      edge.kind = view.kind == 'm' ? "materialized_view" : "view";
      for (const auto& [resno, refs] : per_column) {
        auto target = m_view_columns.find({view_oid, resno});
        if (target == m_view_columns.end()) continue;
        for (const auto& [rel, attnum] : refs) {
          if (rel != source_oid) continue;
          // Only what pg_depend confirms: the node walk never invents a column.
          auto col = source.columns.find(attnum);
          if (col == source.columns.end()) continue;
          edge.columns.emplace_back(col->second, target->second);
        }
      }
      std::sort(edge.columns.begin(), edge.columns.end());
      edge.columns.erase(std::unique(edge.columns.begin(), edge.columns.end()), edge.columns.end());
      edges.push_back(std::move(edge));
    }
  }
  std::sort(edges.begin(), edges.end(), [](const auto& a, const auto& b) {
    return std::tie(a.to, a.from) < std::tie(b.to, b.from);
  });
  for (const auto& e : edges) m_sink.on_lineage(e);
}

std::vector<schema::ContainerStatus> DatabaseReader::run() {
  begin();
  read_database();
  read_schemas();
  start_helpers();
  read_types();
  read_relations();
  read_triggers();
  read_routines();
  read_collations();
  m_kept = {{constraints_sql(), &m_constraint_rows},
            {index_sql(), &m_index_rows},
            {sequences_sql(), &m_sequence_rows},
            {viewdefs_sql(), &m_viewdef_rows}};
  for (auto& k : m_kept) {
    k.from_helper = has_helper(k.sql);
    if (!k.from_helper) fetch(k.sql, *k.store);
  }
  if (m_cancel.cancelled()) throw_interrupted(m_options.source);
  stream_columns_and_emit();
  if (m_request.lineage) emit_lineage();
  m_conn.exec("COMMIT");

  std::vector<schema::ContainerStatus> out;
  bool all_readable = true;
  for (const auto& s : m_schemas) all_readable = all_readable && s.usage;
  out.push_back({Fqn({m_options.source, m_database}).str(), EntityKind::database, all_readable});
  for (const auto& s : m_schemas) {
    const std::string fqn = Fqn({m_options.source, m_database, s.name}).str();
    if (!s.usage) {
      m_sink.on_warning(schema::Warning{
          fqn,
          fmt::format("schema '{}' not read: the role has no USAGE privilege on it (GRANT USAGE "
                      "ON SCHEMA {} TO <role>)",
                      s.name, s.quoted),
          true});
    }
    out.push_back({fqn, EntityKind::schema, s.usage});
  }
  return out;
}

}  // namespace

std::vector<schema::ContainerStatus> extract_database(Connection& connection,
                                                      const DatabaseOptions& options,
                                                      const ExtractRequest& request,
                                                      schema::EntitySink& sink,
                                                      const core::CancelToken& cancel) {
  DatabaseReader reader(connection, options, request, sink, cancel);
  return reader.run();
}

std::vector<RelationStamp> relation_stamps(Connection& connection) {
  std::vector<RelationStamp> out;
  connection.copy(
      "SELECT c.oid, n.nspname, c.relname, c.relkind, c.xmin::text || ':' || c.relfilenode "
      "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND n.nspname !~ '^pg_' "
      "AND n.nspname <> 'information_schema' "
      "ORDER BY n.nspname COLLATE \"C\", c.relname COLLATE \"C\"",
      [&](const CopyRow& r) {
        out.push_back({r.oid(0), r.str(1), r.str(2), r.character(3), r.str(4)});
      });
  return out;
}

std::string catalog_signature(Connection& connection) {
  std::string sql = "SELECT pg_catalog.md5(pg_catalog.string_agg(x, ',' ORDER BY x)) FROM (";
  // Every catalog a row of extract_database comes from; shared catalogs
  // (databases and their comments) too. ANALYZE and VACUUM update pg_class in
  // place and keep xmin, so statistics alone do not change the signature.
  const char* catalogs[] = {"pg_namespace",
                            "pg_class",
                            "pg_attribute",
                            "pg_attrdef",
                            "pg_constraint",
                            "pg_index",
                            "pg_trigger",
                            "pg_proc",
                            "pg_type",
                            "pg_enum",
                            "pg_rewrite",
                            "pg_sequence",
                            "pg_description",
                            "pg_depend",
                            "pg_inherits",
                            "pg_foreign_table",
                            "pg_foreign_server",
                            "pg_foreign_data_wrapper",
                            "pg_collation",
                            "pg_language",
                            "pg_database",
                            "pg_shdescription",
                            "pg_partitioned_table"};
  for (const char* c : catalogs) {
    sql += fmt::format(
        "SELECT '{0}:' || pg_catalog.count(*) || ':' || "
        "coalesce(pg_catalog.sum(pg_catalog.hashtext(xmin::text)), 0) AS x "
        "FROM pg_catalog.{0} UNION ALL ",
        c);
  }
  // Owners are shown by name: a renamed role changes the output. pg_authid is
  // not readable by a plain role; pg_roles is.
  sql +=
      "SELECT 'roles:' || pg_catalog.md5(pg_catalog.string_agg(oid::text || '=' || rolname, ',' "
      "ORDER BY oid)) FROM pg_catalog.pg_roles) s";
  return connection.value(sql).value_or("");
}

}  // namespace connctl::extractors::postgres
