#include "extractors/mysql/mysql_catalog.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

#include "core/error.hpp"
#include "core/log.hpp"
#include "extractors/mysql/mysql_lineage.hpp"
#include "schema/build_pool.hpp"
#include "schema/entity.hpp"
#include "schema/fqn.hpp"
#include "schema/value.hpp"

namespace connctl::extractors::mysql {
namespace {

using schema::BuildPool;
using schema::Entities;
using schema::EntityBuilder;
using schema::EntityKind;
using schema::Fqn;
using schema::Value;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool contains_word(std::string_view haystack, std::string_view needle) {
  return lower(std::string(haystack)).find(needle) != std::string::npos;
}

// "2026-11-22 06:05:17" (the session is in UTC) -> "2026-11-22T06:05:17Z".
std::string iso(std::string_view datetime) {
  std::string out(datetime);
  if (out.size() >= 19 && out[10] == ' ') out[10] = 'T';
  return out + "Z";
}

using Key = std::pair<std::string, std::string>;  // (database, table)

// A column as COLUMNS sent it (the default already as MariaDB writes it);
// its entity is built with its table's.
struct ColumnRow {
  std::string name;
  std::int64_t ordinal = 0;
  std::string type, extra;
  bool nullable = false;
  std::optional<std::string> default_value, generation_expression, charset, collation, comment;
};

struct ConstraintRow {
  std::string name;
  std::string type;  // PRIMARY KEY, UNIQUE, FOREIGN KEY, CHECK
  std::vector<std::pair<std::int64_t, std::string>> columns;
  std::vector<std::pair<std::int64_t, std::string>> referenced_columns;
  std::optional<Key> referenced;
  std::optional<std::string> on_update, on_delete, expression, level;
  std::optional<bool> enforced;
};

struct IndexRow {
  std::string name;
  bool unique = false;
  std::string method;
  std::optional<std::string> comment;
  bool ignored = false;
  std::vector<std::tuple<std::int64_t, schema::Object>> columns;
};

struct PartitionRow {
  std::string name;
  std::int64_t ordinal = 0;
  std::string method;
  std::optional<std::string> expression, description, comment;
  std::optional<std::int64_t> rows, data_length, index_length;
  std::optional<std::string> create_time, update_time;
  struct Sub {
    std::string name;
    std::int64_t ordinal = 0;
    std::string method;
    std::optional<std::string> expression, comment;
    std::optional<std::int64_t> rows, data_length, index_length;
  };
  std::vector<Sub> subpartitions;
};

struct RelationRow {
  std::string database, name;
  std::string type;  // BASE TABLE, VIEW, SYSTEM VERSIONED, SEQUENCE
  std::optional<std::string> engine, row_format, collation, create_options, comment;
  std::optional<std::string> create_time, update_time;
  std::optional<std::int64_t> rows, data_length, index_length, auto_increment;
  // views
  std::optional<std::string> definition, check_option, definer, security_type, algorithm;
  std::optional<bool> updatable;
  bool view_read = false;  // the VIEWS row was seen

  Fqn fqn;
  std::vector<ColumnRow> columns;
  std::map<std::string, ConstraintRow> constraints;
  std::map<std::string, IndexRow> indexes;
  std::vector<PartitionRow> partitions;
  bool is_view() const { return type == "VIEW"; }
};

// What has keys, indexes and checks: all but views.
bool is_table(const RelationRow& r) {
  return !r.is_view();
}

struct DatabaseRow {
  std::string name;
  std::optional<std::string> charset, collation, comment;
  bool complete = true;
};

// A slice of one database's tables: a run of its table names in byte order
// (the order of the output), or the whole database where unset. Every
// per-table query of a slice runs on one session back to back: the first
// (TABLES) opens the slice's tables and the rest find them in the server's
// table cache, which a whole large database would overflow (each query then
// reopening every table).
struct Shard {
  std::string database;
  std::optional<std::vector<std::string>> names;
  std::vector<RelationRow> relations;                     // in byte order of names once read
  std::map<std::string, std::size_t, std::less<>> index;  // by name
  RelationRow* last = nullptr;                            // the last one found

  // Rows come table by table: the last table found is tried first.
  RelationRow* relation(std::string_view db, std::string_view name) {
    if (db != database) return nullptr;
    if (last && last->name == name) return last;
    auto it = index.find(name);
    if (it == index.end()) return nullptr;
    return last = &relations[it->second];
  }
  // A table of the slice: the server compares names without case, so a
  // slice's query may also return a name that differs in case only.
  bool holds(const std::string& name) const {
    return !names || std::binary_search(names->begin(), names->end(), name);
  }
  // The condition restricting a query to the slice: a literal database (so
  // that the server reads one database directory) and the names (tested
  // before a table is opened).
  std::string where(const std::string& schema_column, const std::string& table_column) const {
    return where(schema_column, table_column, names ? *names : std::vector<std::string>{});
  }
  // The same for some of the slice's names (a whole database stays whole).
  std::string where(const std::string& schema_column, const std::string& table_column,
                    const std::vector<std::string>& some) const {
    std::string out = schema_column + " = " + literal(database);
    if (names) out += " AND " + in_list(table_column, some);
    return out;
  }
  // The names of the relations read that `keep` accepts, in order: a later
  // query names only what it can return, since the server opens every table
  // a query's names match (views included: a view opened is a definition
  // parsed).
  template <class Keep>
  std::vector<std::string> names_read(Keep keep) const {
    std::vector<std::string> kept;
    for (const auto& r : relations) {
      if (keep(r)) kept.push_back(r.name);
    }
    return kept;
  }
};

struct TriggerRow {
  std::string database, table, name;
  schema::Entity entity;
};

// Runs jobs on `sessions` sessions, each on its own thread (the first on the
// reader's connection, the others on helpers it opens), each session taking
// the next job until none is left; the first failure stops the others (a
// helper the server refuses leaves its share to the others). The
// emitting thread waits for a job with wait(), and hands what a job read back
// with release(): it is freed by the thread that read it, which would
// otherwise contend with the emitter for its malloc arena.
class Readers {
 public:
  using Job = std::function<void(Connection&)>;

  Readers(Connection& main, const std::function<std::unique_ptr<Connection>()>& open_helper,
          std::vector<Job> jobs, std::size_t sessions, std::function<void()> check_cancel)
      : m_main(main),
        m_open_helper(open_helper),
        m_jobs(std::move(jobs)),
        m_check_cancel(std::move(check_cancel)),
        m_done(m_jobs.size(), false),
        m_ran_by(m_jobs.size(), 0) {
    sessions = std::clamp<std::size_t>(sessions, 1, std::max<std::size_t>(m_jobs.size(), 1));
    if (!m_open_helper) sessions = 1;
    m_release.resize(sessions);
    for (std::size_t i = 0; i < sessions; ++i) m_threads.emplace_back([this, i] { run(i); });
  }
  ~Readers() { finish(); }
  Readers(const Readers&) = delete;
  Readers& operator=(const Readers&) = delete;

  // Waits for a job to be done; rethrows a session's failure.
  void wait(std::size_t job) {
    std::unique_lock lock(m_mutex);
    while (!m_done[job] && !m_error) {
      m_changed.wait_for(lock, std::chrono::milliseconds(100));
      lock.unlock();
      m_check_cancel();
      lock.lock();
    }
    if (m_error) std::rethrow_exception(m_error);
  }
  // Runs `free` on the thread that ran `job` (done).
  void release(std::size_t job, std::function<void()> free) {
    {
      std::lock_guard lock(m_mutex);
      m_release[m_ran_by[job]].push_back(std::move(free));
    }
    m_changed.notify_all();
  }
  // Stops taking jobs, frees what was released and joins the sessions; the
  // connection is the caller's again.
  void finish() {
    {
      std::lock_guard lock(m_mutex);
      m_stop = true;
    }
    m_changed.notify_all();
    for (auto& t : m_threads) {
      if (t.joinable()) t.join();
    }
  }

 private:
  void run(std::size_t me) {
    std::unique_ptr<Connection> own;
    if (me > 0) {
      try {
        own = m_open_helper();
      } catch (const std::exception& e) {
        // A session the server refuses (max_user_connections, say) leaves
        // its share of the jobs to the others.
        core::log_debug("mysql: a helper session could not be opened, the others read on: {}",
                        e.what());
        return;
      }
    }
    Connection* c = own ? own.get() : &m_main;
    try {
      for (;;) {
        std::size_t job = 0;
        {
          std::lock_guard lock(m_mutex);
          if (m_stop || m_error || m_next >= m_jobs.size()) break;
          job = m_next++;
        }
        m_jobs[job](*c);
        {
          std::lock_guard lock(m_mutex);
          m_done[job] = true;
          m_ran_by[job] = me;
        }
        m_changed.notify_all();
        free_released(me, false);
      }
    } catch (...) {
      {
        std::lock_guard lock(m_mutex);
        if (!m_error) m_error = std::current_exception();
      }
      m_changed.notify_all();
    }
    free_released(me, true);
  }
  // Frees what was released to this session; with `until_stop`, waits for
  // more until finish().
  void free_released(std::size_t me, bool until_stop) {
    std::unique_lock lock(m_mutex);
    for (;;) {
      if (until_stop) m_changed.wait(lock, [&] { return m_stop || !m_release[me].empty(); });
      std::vector<std::function<void()>> list = std::move(m_release[me]);
      m_release[me].clear();
      lock.unlock();
      for (auto& free : list) free();
      list.clear();
      lock.lock();
      if (!until_stop || (m_stop && m_release[me].empty())) return;
    }
  }

  Connection& m_main;
  const std::function<std::unique_ptr<Connection>()>& m_open_helper;
  std::vector<Job> m_jobs;
  std::function<void()> m_check_cancel;
  std::mutex m_mutex;
  std::condition_variable m_changed;  // a job done, a failure, a release, or stop
  std::vector<bool> m_done;
  std::vector<std::size_t> m_ran_by;
  std::vector<std::vector<std::function<void()>>> m_release;  // by session
  std::size_t m_next = 0;
  std::exception_ptr m_error;
  bool m_stop = false;
  std::vector<std::thread> m_threads;
};

class CatalogReader {
 public:
  CatalogReader(Connection& c, const CatalogOptions& o, const std::vector<std::string>& dbs,
                const ExtractRequest& r, schema::EntitySink& s, const core::CancelToken& cancel)
      : m_conn(c),
        m_source(o.source),
        m_names(dbs),
        m_request(r),
        m_sink(s),
        m_cancel(cancel),
        m_options(o) {}

  ExtractResult run();

 private:
  void query(Connection& c, const std::string& sql, const std::function<void(const Row&)>& fn) {
    c.query(sql, [&](const Row& row) {
      if (++m_rows % 4096 == 0 && m_cancel.cancelled()) interrupted();
      fn(row);
    });
  }
  [[noreturn]] void interrupted() const {
    throw core::Error(core::ExitCode::interrupted,
                      fmt::format("mysql source '{}': extraction interrupted", m_source));
  }
  void check_cancel() const {
    if (m_cancel.cancelled()) interrupted();
  }
  std::string where(const std::string& column) const { return in_list(column, m_names); }
  Fqn fqn_of(const std::string& db, const std::string& name) const {
    return Fqn({m_source, db, name});
  }
  void note_stamp(const std::optional<std::string>& stamp) {
    std::lock_guard lock(m_stamp_mutex);
    if (stamp && (!m_watermark || *stamp > *m_watermark)) m_watermark = stamp;
  }

  void read_databases(Connection& c);
  std::vector<Shard> plan_shards(Connection& c, std::size_t sessions);
  void read_shard(Connection& c, Shard& shard);
  void read_relations(Connection& c, Shard& shard);
  void read_views(Connection& c, Shard& shard);
  void read_partitions(Connection& c, Shard& shard);
  void read_columns(Connection& c, Shard& shard);
  void read_constraints(Connection& c, Shard& shard);
  void read_indexes(Connection& c, Shard& shard);
  void read_triggers(Connection& c);
  void read_routines(Connection& c);
  void read_events(Connection& c);
  void emit(std::vector<Shard>& shards, Readers& readers);
  void emit_relation(const RelationRow& r, Entities& out) const;
  void emit_lineage();

  Connection& m_conn;
  const std::string& m_source;
  const std::vector<std::string>& m_names;
  const ExtractRequest& m_request;
  schema::EntitySink& m_sink;
  const core::CancelToken& m_cancel;
  std::atomic<std::int64_t> m_rows = 0;
  std::mutex m_stamp_mutex;
  std::optional<std::string> m_watermark;
  const CatalogOptions& m_options;

  std::vector<DatabaseRow> m_databases;
  std::map<std::string, std::vector<schema::Entity>> m_routines;  // by database
  std::vector<schema::Warning> m_warnings;
  std::vector<TriggerRow> m_trigger_rows;
  std::map<Key, std::vector<const TriggerRow*>> m_triggers_of;  // by table, in name order

  // What lineage needs of a view, kept as its slice is emitted.
  struct ViewRow {
    std::string database, name;
    Fqn fqn;
    std::optional<std::string> definition;
    std::vector<std::string> columns;  // by ordinal
  };
  std::vector<ViewRow> m_views;
};

void CatalogReader::read_databases(Connection& c) {
  const bool comments = m_conn.is_mariadb() && m_conn.version_number() >= 100500;
  query(c,
        fmt::format("SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME, {} "
                    "FROM information_schema.SCHEMATA WHERE {}",
                    comments ? "SCHEMA_COMMENT" : "NULL", where("SCHEMA_NAME")),
        [&](const Row& r) {
          if (std::find(m_names.begin(), m_names.end(), r.view(0)) == m_names.end()) return;
          m_databases.push_back({r.str(0), r.opt(1), r.opt(2), r.text(3), true});
        });
  std::sort(m_databases.begin(), m_databases.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
}

void CatalogReader::read_relations(Connection& c, Shard& shard) {
  std::vector<RelationRow>& rows = shard.relations;
  // The statistics columns make the server ask the engine (a full open of
  // every table); they are read only when asked for.
  const bool stats = m_request.stats;
  query(c,
        fmt::format("SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, ENGINE, ROW_FORMAT, "
                    "TABLE_COLLATION, CREATE_OPTIONS, TABLE_COMMENT, CREATE_TIME, UPDATE_TIME, "
                    "{} FROM information_schema.TABLES WHERE {}",
                    stats ? "TABLE_ROWS, DATA_LENGTH, INDEX_LENGTH, AUTO_INCREMENT"
                          : "NULL, NULL, NULL, NULL",
                    shard.where("TABLE_SCHEMA", "TABLE_NAME")),
        [&](const Row& r) {
          RelationRow x;
          x.database = r.str(0);
          x.name = r.str(1);
          if (x.database != shard.database || !shard.holds(x.name)) return;
          if (!m_request.filter.matches({x.database, x.name})) return;
          x.type = r.str(2);
          if (x.type == "TEMPORARY") return;
          x.engine = r.text(3);
          x.row_format = r.text(4);
          x.collation = r.text(5);
          x.create_options = r.text(6);
          if (x.type != "VIEW") x.comment = r.text(7);
          x.create_time = r.text(8);
          x.update_time = r.text(9);
          x.rows = r.opt_integer(10);
          x.data_length = r.opt_integer(11);
          x.index_length = r.opt_integer(12);
          x.auto_increment = r.opt_integer(13);
          x.fqn = Fqn({m_source, x.database, x.name});
          if (x.create_time) note_stamp(iso(*x.create_time));
          if (x.update_time) note_stamp(iso(*x.update_time));
          rows.push_back(std::move(x));
        });
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  for (std::size_t i = 0; i < rows.size(); ++i) shard.index.emplace(rows[i].name, i);
}

void CatalogReader::read_views(Connection& c, Shard& shard) {
  const auto views = shard.names_read([](const RelationRow& r) { return r.is_view(); });
  if (views.empty()) return;
  const bool algorithm = m_conn.is_mariadb();
  query(c,
        fmt::format("SELECT TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION, CHECK_OPTION, IS_UPDATABLE, "
                    "DEFINER, SECURITY_TYPE, {} FROM information_schema.VIEWS WHERE {}",
                    algorithm ? "ALGORITHM" : "NULL",
                    shard.where("TABLE_SCHEMA", "TABLE_NAME", views)),
        [&](const Row& r) {
          RelationRow* v = shard.relation(r.view(0), r.view(1));
          if (!v) return;
          v->view_read = true;
          v->definition = r.text(2);
          v->check_option = r.text(3);
          if (!r.is_null(4)) v->updatable = r.view(4) == "YES";
          v->definer = r.text(5);
          v->security_type = r.text(6);
          v->algorithm = r.text(7);
        });
}

void CatalogReader::read_partitions(Connection& c, Shard& shard) {
  const auto names = shard.names_read([](const RelationRow& r) {
    return r.create_options && contains_word(*r.create_options, "partitioned");
  });
  if (names.empty()) return;
  query(c,
        "SELECT TABLE_SCHEMA, TABLE_NAME, PARTITION_NAME, SUBPARTITION_NAME, "
        "PARTITION_ORDINAL_POSITION, SUBPARTITION_ORDINAL_POSITION, PARTITION_METHOD, "
        "SUBPARTITION_METHOD, PARTITION_EXPRESSION, SUBPARTITION_EXPRESSION, "
        "PARTITION_DESCRIPTION, PARTITION_COMMENT, TABLE_ROWS, DATA_LENGTH, INDEX_LENGTH, "
        "CREATE_TIME, UPDATE_TIME FROM information_schema.PARTITIONS WHERE PARTITION_NAME IS NOT "
        "NULL AND TABLE_SCHEMA = " +
            literal(shard.database) + " AND " + in_list("TABLE_NAME", names),
        [&](const Row& r) {
          RelationRow* t = shard.relation(r.view(0), r.view(1));
          if (!t) return;
          const std::string name = r.str(2);
          auto it = std::find_if(t->partitions.begin(), t->partitions.end(),
                                 [&](const auto& p) { return p.name == name; });
          if (it == t->partitions.end()) {
            PartitionRow p;
            p.name = name;
            p.ordinal = r.opt_integer(4).value_or(0);
            p.method = r.str(6);
            p.expression = r.text(8);
            p.description = r.text(10);
            p.comment = r.text(11);
            p.create_time = r.text(15);
            p.update_time = r.text(16);
            t->partitions.push_back(std::move(p));
            it = std::prev(t->partitions.end());
          }
          if (r.is_null(3)) {
            it->rows = r.opt_integer(12);
            it->data_length = r.opt_integer(13);
            it->index_length = r.opt_integer(14);
          } else {
            PartitionRow::Sub s{r.str(3),          r.opt_integer(5).value_or(0),
                                r.str(7),          r.text(9),
                                r.text(11),        r.opt_integer(12),
                                r.opt_integer(13), r.opt_integer(14)};
            it->rows = it->rows.value_or(0) + s.rows.value_or(0);
            it->data_length = it->data_length.value_or(0) + s.data_length.value_or(0);
            it->index_length = it->index_length.value_or(0) + s.index_length.value_or(0);
            it->subpartitions.push_back(std::move(s));
          }
        });
  for (auto& r : shard.relations) {
    std::sort(r.partitions.begin(), r.partitions.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    for (auto& p : r.partitions) {
      std::sort(p.subpartitions.begin(), p.subpartitions.end(),
                [](const auto& a, const auto& b) { return a.name < b.name; });
    }
  }
}

// MySQL 8 writes literal defaults unquoted; MariaDB (10.2.7+) writes every
// default as an SQL expression. Both come out as MariaDB writes them.
std::optional<std::string> normalised_default(const Row& r, bool mariadb) {
  if (r.is_null(4)) return std::nullopt;
  std::string d = r.str(4);
  if (mariadb) {
    if (d == "NULL") return std::nullopt;  // the implicit DEFAULT NULL
    return d;
  }
  const std::string extra = lower(r.str(10));
  if (extra.find("default_generated") != std::string::npos) return d;
  static const std::set<std::string> k_numeric = {"tinyint", "smallint", "mediumint", "int",
                                                  "integer", "bigint",   "decimal",   "numeric",
                                                  "float",   "double",   "real",      "bit"};
  if (k_numeric.count(lower(r.str(6)))) return d;
  std::string quoted = "'";
  for (char c : d) {
    if (c == '\'') quoted += '\'';
    quoted += c;
  }
  return quoted + "'";
}

void CatalogReader::read_columns(Connection& c, Shard& shard) {
  const bool mariadb = m_conn.is_mariadb();
  query(c,
        "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_DEFAULT, "
        "IS_NULLABLE, DATA_TYPE, COLUMN_TYPE, CHARACTER_SET_NAME, COLLATION_NAME, EXTRA, "
        "COLUMN_COMMENT, GENERATION_EXPRESSION FROM information_schema.COLUMNS WHERE " +
            shard.where("TABLE_SCHEMA", "TABLE_NAME"),
        [&](const Row& r) {
          RelationRow* t = shard.relation(r.view(0), r.view(1));
          if (!t || t->type == "SEQUENCE") return;
          ColumnRow& c = t->columns.emplace_back();
          c.name = r.str(2);
          c.ordinal = r.integer(3);
          c.type = r.str(7);
          c.nullable = r.view(5) == "YES";
          c.extra = r.str(10);
          c.default_value = normalised_default(r, mariadb);
          c.generation_expression = r.text(12);
          c.charset = r.text(8);
          c.collation = r.text(9);
          c.comment = r.text(11);
        });
  for (auto& r : shard.relations) {
    std::sort(r.columns.begin(), r.columns.end(),
              [](const auto& a, const auto& b) { return a.ordinal < b.ordinal; });
  }
}

void CatalogReader::read_constraints(Connection& c, Shard& shard) {
  const bool mariadb = m_conn.is_mariadb();
  // MySQL 8.0.16+ has TABLE_CONSTRAINTS.ENFORCED; MariaDB has no such column.
  const bool enforced = !mariadb && m_conn.version_number() >= 80016;
  // Each query below costs the server a pass over every table's definition.
  // MariaDB's TABLE_CONSTRAINTS tells nothing that KEY_COLUMN_USAGE (keys
  // and foreign keys, with their columns) and CHECK_CONSTRAINTS (with the
  // table) do not: it is read on MySQL only, for ENFORCED and for its checks
  // (whose rows there name no table).
  // Views have no keys or checks: they are left out.
  const auto tables = shard.names_read(is_table);
  if (tables.empty()) return;
  bool any_check = mariadb;
  if (!mariadb) {
    query(c,
          fmt::format("SELECT TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, CONSTRAINT_TYPE, {} "
                      "FROM information_schema.TABLE_CONSTRAINTS WHERE {}",
                      enforced ? "ENFORCED" : "NULL", shard.where("TABLE_SCHEMA", "TABLE_NAME")),
          [&](const Row& r) {
            RelationRow* t = shard.relation(r.view(0), r.view(1));
            if (!t) return;
            ConstraintRow c;
            c.name = r.str(2);
            c.type = r.str(3);
            if (!r.is_null(4)) c.enforced = r.view(4) == "YES";
            any_check = any_check || c.type == "CHECK";
            t->constraints.emplace(c.name, std::move(c));
          });
  }
  query(c,
        "SELECT TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, ORDINAL_POSITION, "
        "REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME "
        "FROM information_schema.KEY_COLUMN_USAGE WHERE " +
            shard.where("TABLE_SCHEMA", "TABLE_NAME", tables),
        [&](const Row& r) {
          RelationRow* t = shard.relation(r.view(0), r.view(1));
          if (!t) return;
          const std::string name = r.str(2);
          auto it = t->constraints.find(name);
          if (it == t->constraints.end()) {
            if (!mariadb) return;  // MySQL: only what TABLE_CONSTRAINTS lists
            // KEY_COLUMN_USAGE lists the primary key (always PRIMARY), the
            // unique keys and the foreign keys (those reference a table).
            ConstraintRow k;
            k.name = name;
            k.type = !r.is_null(6) ? "FOREIGN KEY" : name == "PRIMARY" ? "PRIMARY KEY" : "UNIQUE";
            it = t->constraints.emplace(name, std::move(k)).first;
          }
          const std::int64_t pos = r.integer(4);
          it->second.columns.emplace_back(pos, r.str(3));
          if (!r.is_null(6)) {
            it->second.referenced = Key{r.str(5), r.str(6)};
            it->second.referenced_columns.emplace_back(pos, r.str(7));
          }
        });
  // The rules of the foreign keys, of the tables that have one.
  const auto referencing = shard.names_read([](const RelationRow& r) {
    return std::any_of(r.constraints.begin(), r.constraints.end(),
                       [](const auto& k) { return k.second.type == "FOREIGN KEY"; });
  });
  if (!referencing.empty()) {
    query(c,
          "SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, UPDATE_RULE, DELETE_RULE "
          "FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE " +
              shard.where("CONSTRAINT_SCHEMA", "TABLE_NAME", referencing),
          [&](const Row& r) {
            RelationRow* t = shard.relation(r.view(0), r.view(1));
            if (!t) return;
            auto it = t->constraints.find(r.str(2));
            if (it == t->constraints.end()) return;
            it->second.on_update = r.text(3);
            it->second.on_delete = r.text(4);
          });
  }
  if (any_check && (mariadb || m_conn.version_number() >= 80016)) {
    // MariaDB names the table (and says whether the check is a column's);
    // MySQL 8 does not, but its check names are unique in a database (and a
    // MySQL shard is a whole database).
    const std::string checks = mariadb ? shard.where("CONSTRAINT_SCHEMA", "TABLE_NAME", tables)
                                       : "CONSTRAINT_SCHEMA = " + literal(shard.database);
    query(c,
          fmt::format("SELECT CONSTRAINT_SCHEMA, {}, CONSTRAINT_NAME, CHECK_CLAUSE, {} FROM "
                      "information_schema.CHECK_CONSTRAINTS WHERE {}",
                      mariadb ? "TABLE_NAME" : "NULL", mariadb ? "LEVEL" : "NULL", checks),
          [&](const Row& r) {
            const std::string db = r.str(0), name = r.str(2);
            auto attach = [&](RelationRow& t) {
              auto it = t.constraints.find(name);
              if (it == t.constraints.end()) {
                if (!mariadb) return false;
                ConstraintRow k;
                k.name = name;
                k.type = "CHECK";
                it = t.constraints.emplace(name, std::move(k)).first;
              }
              if (it->second.type != "CHECK") return false;
              it->second.expression = r.str(3);
              if (auto level = r.text(4)) {
                it->second.level = lower(*level);
                if (it->second.level == "column") it->second.columns.emplace_back(1, name);
              }
              return true;
            };
            if (!r.is_null(1)) {
              if (RelationRow* t = shard.relation(db, r.view(1))) attach(*t);
              return;
            }
            for (auto& t : shard.relations) {
              if (t.database == db && attach(t)) return;
            }
          });
  }
  // Key columns by position, as the entities list them.
  for (auto& t : shard.relations) {
    for (auto& [name, k] : t.constraints) {
      std::sort(k.columns.begin(), k.columns.end());
      std::sort(k.referenced_columns.begin(), k.referenced_columns.end());
    }
  }
}

void CatalogReader::read_indexes(Connection& c, Shard& shard) {
  const bool mariadb = m_conn.is_mariadb();
  // Ignored (MariaDB 10.6+) and invisible (MySQL 8) indexes; functional key
  // parts (MySQL 8.0.13+).
  const std::string ignored = mariadb ? (m_conn.version_number() >= 100600 ? "IGNORED" : "NULL")
                                      : (m_conn.version_number() >= 80000 ? "IS_VISIBLE" : "NULL");
  const std::string expression =
      !mariadb && m_conn.version_number() >= 80013 ? "EXPRESSION" : "NULL";
  const auto tables = shard.names_read(is_table);
  if (tables.empty()) return;
  query(c,
        fmt::format("SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, "
                    "COLUMN_NAME, COLLATION, SUB_PART, INDEX_TYPE, INDEX_COMMENT, {}, {} "
                    "FROM information_schema.STATISTICS WHERE {}",
                    ignored, expression, shard.where("TABLE_SCHEMA", "TABLE_NAME", tables)),
        [&](const Row& r) {
          RelationRow* t = shard.relation(r.view(0), r.view(1));
          if (!t) return;
          IndexRow& ix = t->indexes[r.str(2)];
          ix.name = r.str(2);
          ix.unique = r.integer(3) == 0;
          ix.method = lower(r.str(8));
          ix.comment = r.text(9);
          if (auto flag = r.text(10))
            ix.ignored = mariadb ? *flag == "YES" : *flag == "NO";  // IS_VISIBLE = NO
          schema::Object key;
          if (auto column = r.opt(5)) {
            key.emplace_back("name", *column);
          } else {
            key.emplace_back("expression", r.str(11));
          }
          if (r.view(6) == "D") key.emplace_back("descending", true);
          if (auto prefix = r.opt_integer(7); prefix && ix.method != "spatial")
            key.emplace_back("prefix_length", *prefix);
          ix.columns.emplace_back(r.integer(4), std::move(key));
        });
  // Key parts by position, as the entities list them.
  for (auto& t : shard.relations) {
    for (auto& [name, ix] : t.indexes) {
      std::sort(ix.columns.begin(), ix.columns.end(),
                [](const auto& a, const auto& b) { return std::get<0>(a) < std::get<0>(b); });
    }
  }
}

void CatalogReader::read_triggers(Connection& c) {
  query(c,
        "SELECT EVENT_OBJECT_SCHEMA, EVENT_OBJECT_TABLE, TRIGGER_NAME, EVENT_MANIPULATION, "
        "ACTION_TIMING, ACTION_ORDER, ACTION_STATEMENT, DEFINER, TRIGGER_SCHEMA "
        "FROM information_schema.TRIGGERS WHERE " +
            where("EVENT_OBJECT_SCHEMA"),
        [&](const Row& r) {
          const std::string db = r.str(0), table = r.str(1);
          if (std::find(m_names.begin(), m_names.end(), db) == m_names.end()) return;
          EntityBuilder b(m_source, EntityKind::trigger, Fqn({m_source, db, table, r.str(2)}));
          b.set("timing", r.str(4));
          b.set("events", schema::Array{Value(r.str(3))});
          b.set("event", r.str(3));
          b.set("level", "row");
          if (auto order = r.opt_integer(5)) b.set("action_order", *order);
          b.set("definition", r.str(6));
          b.set_optional("definer", r.text(7));
          m_trigger_rows.push_back({db, table, r.str(2), b.build()});
        });
}

std::string routine_type_name(std::string type) {
  type = lower(std::move(type));
  std::replace(type.begin(), type.end(), ' ', '_');
  return type;
}

void CatalogReader::read_routines(Connection& c) {
  struct Param {
    std::int64_t ordinal;
    schema::Object value;
  };
  std::map<std::tuple<std::string, std::string, std::string>, std::vector<Param>> params;
  query(c,
        "SELECT SPECIFIC_SCHEMA, SPECIFIC_NAME, ROUTINE_TYPE, ORDINAL_POSITION, PARAMETER_MODE, "
        "PARAMETER_NAME, DTD_IDENTIFIER FROM information_schema.PARAMETERS WHERE " +
            where("SPECIFIC_SCHEMA"),
        [&](const Row& r) {
          const std::int64_t ordinal = r.integer(3);
          if (ordinal == 0) return;  // a function's return value
          schema::Object p;
          p.emplace_back("name", r.str(5));
          if (auto mode = r.text(4)) p.emplace_back("mode", *mode);
          p.emplace_back("data_type", r.str(6));
          params[{r.str(0), r.str(1), r.str(2)}].push_back({ordinal, std::move(p)});
        });
  query(c,
        "SELECT ROUTINE_SCHEMA, ROUTINE_NAME, ROUTINE_TYPE, DTD_IDENTIFIER, ROUTINE_BODY, "
        "ROUTINE_DEFINITION, IS_DETERMINISTIC, SQL_DATA_ACCESS, SECURITY_TYPE, ROUTINE_COMMENT, "
        "DEFINER, LAST_ALTERED, SQL_MODE FROM information_schema.ROUTINES WHERE " +
            where("ROUTINE_SCHEMA"),
        [&](const Row& r) {
          const std::string db = r.str(0), name = r.str(1), type = r.str(2);
          if (std::find(m_names.begin(), m_names.end(), db) == m_names.end()) return;
          const Fqn fqn({m_source, db, name});
          EntityBuilder b(m_source, EntityKind::routine, fqn);
          b.set("routine_name", name);
          b.set("routine_type", routine_type_name(type));
          auto& list = params[{db, name, type}];
          std::sort(list.begin(), list.end(),
                    [](const auto& a, const auto& b) { return a.ordinal < b.ordinal; });
          schema::Array arguments;
          for (auto& p : list) arguments.emplace_back(std::move(p.value));
          b.set("arguments", std::move(arguments));
          if (type == "FUNCTION") b.set_optional("return_type", r.text(3));
          b.set("language", lower(r.str(4)));
          b.set("deterministic", r.view(6) == "YES");
          b.set_optional("sql_data_access", r.text(7));
          b.set_optional("security_type", r.text(8));
          b.set_optional("comment", r.text(9));
          b.set_optional("definer", r.text(10));
          b.set_optional("sql_mode", r.text(12));
          if (auto def = r.opt(5)) {
            b.set("definition", *def);
          } else {
            m_warnings.push_back(schema::Warning{
                fqn.str(),
                fmt::format("definition of {} '{}' not readable: the user needs SELECT on "
                            "mysql.proc (MariaDB before 11.3), SHOW CREATE ROUTINE (MariaDB "
                            "11.3+) or SHOW_ROUTINE (MySQL 8.0.20+)",
                            lower(type), name),
                true});
          }
          if (auto altered = r.text(11)) note_stamp(iso(*altered));
          m_routines[db].push_back(b.build());
        });
}

void CatalogReader::read_events(Connection& c) {
  query(c,
        "SELECT EVENT_SCHEMA, EVENT_NAME, DEFINER, TIME_ZONE, EVENT_DEFINITION, EVENT_TYPE, "
        "EXECUTE_AT, INTERVAL_VALUE, INTERVAL_FIELD, STARTS, ENDS, STATUS, ON_COMPLETION, "
        "EVENT_COMMENT, LAST_ALTERED, SQL_MODE FROM information_schema.EVENTS WHERE " +
            where("EVENT_SCHEMA"),
        [&](const Row& r) {
          const std::string db = r.str(0), name = r.str(1);
          if (std::find(m_names.begin(), m_names.end(), db) == m_names.end()) return;
          EntityBuilder b(m_source, EntityKind::routine, Fqn({m_source, db, name}));
          b.set("routine_name", name);
          b.set("routine_type", "event");
          b.set("language", "sql");
          b.set("definition", r.str(4));
          b.set_optional("definer", r.text(2));
          b.set_optional("time_zone", r.text(3));
          if (r.view(5) == "ONE TIME") {
            b.set("schedule", fmt::format("AT '{}'", r.view(6)));
          } else {
            b.set("schedule", fmt::format("EVERY {} {}", r.view(7), r.view(8)));
            b.set_optional("starts", r.text(9));
            b.set_optional("ends", r.text(10));
          }
          b.set("status", lower(r.str(11)));
          b.set_optional("on_completion", r.text(12));
          b.set_optional("comment", r.text(13));
          b.set_optional("sql_mode", r.text(15));
          if (auto altered = r.text(14)) note_stamp(iso(*altered));
          m_routines[db].push_back(b.build());
        });
}

std::string partition_bound(const std::string& method, const std::optional<std::string>& desc) {
  if (!desc) return {};
  if (method.rfind("RANGE", 0) == 0)
    return *desc == "MAXVALUE" ? "VALUES LESS THAN MAXVALUE" : "VALUES LESS THAN (" + *desc + ")";
  if (method.rfind("LIST", 0) == 0) return "VALUES IN (" + *desc + ")";
  return *desc;
}

// The entities of a table, view or sequence: itself, then its columns,
// constraints, indexes, triggers and partitions.
void CatalogReader::emit_relation(const RelationRow& r, Entities& out) const {
  const bool view = r.is_view();
  EntityKind kind = view                   ? EntityKind::view
                    : r.type == "SEQUENCE" ? EntityKind::sequence
                                           : EntityKind::table;
  EntityBuilder b(m_source, kind, r.fqn);
  if (kind == EntityKind::table) {
    // The published schema's table types: a partitioned table (or a partition
    // with sub-partitions) is `partitioned`; system versioning is a flag.
    b.set("table_type", r.partitions.empty() ? "base" : "partitioned");
    if (r.type == "SYSTEM VERSIONED") b.set("system_versioned", true);
    b.set_optional("engine", r.engine);
    b.set_optional("row_format", r.row_format);
    b.set_optional("collation", r.collation);
    b.set_optional("create_options", r.create_options);
    b.set_optional("comment", r.comment);
    if (!r.partitions.empty()) {
      const auto& p = r.partitions.front();
      b.set("partition_key", fmt::format("{} ({})", p.method, p.expression.value_or("")));
      if (!p.subpartitions.empty()) {
        const auto& s = p.subpartitions.front();
        b.set("subpartition_key", fmt::format("{} ({})", s.method, s.expression.value_or("")));
      }
    }
  } else if (kind == EntityKind::sequence) {
    b.set_optional("engine", r.engine);
    b.set_optional("comment", r.comment);
  } else {
    b.set_optional("definition", r.definition);
    b.set_optional("check_option", r.check_option);
    if (r.updatable) b.set("updatable", *r.updatable);
    b.set_optional("definer", r.definer);
    b.set_optional("security_type", r.security_type);
    b.set_optional("algorithm", r.algorithm);
  }
  if (m_request.stats && !view) {
    if (r.rows) b.observe("table_rows", *r.rows);
    if (r.data_length) b.observe("data_length", *r.data_length);
    if (r.index_length) b.observe("index_length", *r.index_length);
    if (r.update_time) b.observe("update_time", iso(*r.update_time));
    if (r.auto_increment) b.observe("auto_increment", *r.auto_increment);
  }
  out.push_back(b.build());

  const std::string fqn = r.fqn.str();
  for (const auto& c : r.columns) {
    EntityBuilder cb(m_source, EntityKind::column, fqn, c.name);
    cb.set("ordinal", c.ordinal);
    cb.set("data_type", c.type);
    cb.set("nullable", c.nullable);
    const std::string extra = lower(c.extra);
    const bool generated = extra.find("generated") != std::string::npos &&
                           extra.find("default_generated") == std::string::npos;
    if (generated) {
      cb.set("generated", extra.find("stored") != std::string::npos ? "stored" : "virtual");
      cb.set_optional("generation_expression", c.generation_expression);
    } else {
      cb.set_optional("default", c.default_value);
    }
    if (extra.find("auto_increment") != std::string::npos) cb.set("auto_increment", true);
    if (auto at = extra.find("on update "); at != std::string::npos) {
      std::string rest = c.extra.substr(at + 10);
      cb.set("on_update", rest.substr(0, rest.find(' ')));
    }
    if (extra.find("invisible") != std::string::npos) cb.set("invisible", true);
    cb.set_optional("charset", c.charset);
    cb.set_optional("collation", c.collation);
    cb.set_optional("comment", c.comment);
    out.push_back(cb.build());
  }
  for (const auto& [name, c] : r.constraints) {
    static const std::map<std::string, const char*> k_types = {{"PRIMARY KEY", "primary_key"},
                                                               {"FOREIGN KEY", "foreign_key"},
                                                               {"UNIQUE", "unique"},
                                                               {"CHECK", "check"}};
    auto type = k_types.find(c.type);
    if (type == k_types.end()) continue;
    EntityBuilder cb(m_source, EntityKind::constraint, fqn, name);
    cb.set("constraint_type", type->second);
    schema::Array columns;
    for (const auto& [pos, column] : c.columns) columns.emplace_back(column);
    cb.set("columns", std::move(columns));
    if (c.type == "FOREIGN KEY") {
      if (c.referenced)
        cb.set("referenced_table", fqn_of(c.referenced->first, c.referenced->second).str());
      schema::Array ref;
      for (const auto& [pos, column] : c.referenced_columns) ref.emplace_back(column);
      cb.set("referenced_columns", std::move(ref));
      cb.set_optional("on_update", c.on_update);
      cb.set_optional("on_delete", c.on_delete);
    }
    if (c.type == "PRIMARY KEY" || c.type == "UNIQUE") cb.set("index", name);
    if (c.type == "CHECK") {
      cb.set_optional("expression", c.expression);
      cb.set_optional("level", c.level);
    }
    if (c.enforced && !*c.enforced) cb.set("enforced", false);
    out.push_back(cb.build());
  }
  for (const auto& [name, ix] : r.indexes) {
    EntityBuilder ib(m_source, EntityKind::index, fqn, name);
    ib.set("method", ix.method);
    ib.set("unique", ix.unique);
    ib.set("primary", name == "PRIMARY");
    schema::Array columns;
    for (const auto& [pos, key] : ix.columns) columns.emplace_back(key);
    ib.set("columns", std::move(columns));
    ib.set_optional("comment", ix.comment);
    if (ix.ignored) ib.set("ignored", true);
    out.push_back(ib.build());
  }
  if (auto it = m_triggers_of.find({r.database, r.name}); it != m_triggers_of.end()) {
    for (const TriggerRow* t : it->second) out.push_back(t->entity);
  }
  for (const auto& p : r.partitions) {
    const Fqn pf = r.fqn.child(p.name);
    EntityBuilder pb(m_source, EntityKind::table, pf);
    pb.set("table_type", p.subpartitions.empty() ? "base" : "partitioned");
    pb.set("partition_of", r.fqn.str());
    pb.set("partition_method", p.method);
    pb.set_optional("partition_expression", p.expression);
    if (auto bound = partition_bound(p.method, p.description); !bound.empty())
      pb.set("partition_bound", bound);
    pb.set("ordinal", p.ordinal);
    pb.set_optional("comment", p.comment);
    if (m_request.stats) {
      if (p.rows) pb.observe("table_rows", *p.rows);
      if (p.data_length) pb.observe("data_length", *p.data_length);
      if (p.index_length) pb.observe("index_length", *p.index_length);
      if (p.update_time) pb.observe("update_time", iso(*p.update_time));
    }
    out.push_back(pb.build());
    for (const auto& s : p.subpartitions) {
      EntityBuilder sb(m_source, EntityKind::table, pf.child(s.name));
      sb.set("table_type", "base");
      sb.set("partition_of", pf.str());
      sb.set("partition_method", s.method);
      sb.set_optional("partition_expression", s.expression);
      sb.set("ordinal", s.ordinal);
      sb.set_optional("comment", s.comment);
      if (m_request.stats) {
        if (s.rows) sb.observe("table_rows", *s.rows);
        if (s.data_length) sb.observe("data_length", *s.data_length);
        if (s.index_length) sb.observe("index_length", *s.index_length);
      }
      out.push_back(sb.build());
    }
  }
}

// Hands the entities to the sink in order (each database, its tables and
// views by name, its routines), each slice's as soon as it and the slices
// before it are read; the entities are built on the pool's threads. Job 0
// reads the triggers, job 1 the routines, job 2 + i slice i.
void CatalogReader::emit(std::vector<Shard>& shards, Readers& readers) {
  // Entities wait in memory for at most this many items.
  constexpr std::size_t k_items_in_flight = 256;
  // What the items refer to outlives the pool, whose destructor waits for
  // the items being built when an exception leaves this function.
  const std::string engine = m_conn.is_mariadb() ? "mariadb" : "mysql";
  const std::string version = m_conn.server_version();
  BuildPool pool(schema::build_threads());
  std::size_t submitted = 0, delivered = 0;
  // Warnings go out just before the item they are about (by its number).
  std::deque<std::pair<std::size_t, schema::Warning>> warnings;
  // Slices whose items are all submitted: released once delivered.
  std::deque<std::pair<std::size_t, std::size_t>> held;  // (slice, items submitted)
  auto deliver = [&](const Entities& entities) {
    for (; !warnings.empty() && warnings.front().first == delivered; warnings.pop_front())
      m_sink.on_warning(warnings.front().second);
    for (const auto& e : entities) m_sink.on_entity(e);
    ++delivered;
    for (; !held.empty() && held.front().second <= delivered; held.pop_front()) {
      Shard& shard = shards[held.front().first];
      readers.release(2 + held.front().first, [&shard] {
        shard.relations = {};
        shard.index = {};
        shard.last = nullptr;
      });
    }
  };
  auto submit = [&](BuildPool::Build build) {
    pool.submit(std::move(build));
    ++submitted;
    while (pool.deliver_next(pool.pending() > k_items_in_flight, deliver)) {
    }
  };

  readers.wait(0);
  for (const auto& t : m_trigger_rows) m_triggers_of[{t.database, t.table}].push_back(&t);
  for (auto& [key, list] : m_triggers_of) {
    std::sort(list.begin(), list.end(),
              [](const auto* a, const auto* b) { return a->name < b->name; });
  }
  readers.wait(1);
  std::size_t next = 0;  // the first slice not yet emitted
  for (auto& d : m_databases) {
    submit([this, &d, &engine, &version](Entities& out) {
      EntityBuilder b(m_source, EntityKind::database, Fqn({m_source, d.name}));
      b.set("engine", engine);
      b.set_optional("charset", d.charset);
      b.set_optional("collation", d.collation);
      b.set_optional("comment", d.comment);
      b.set("server_version", version);
      out.push_back(b.build());
    });
    for (; next < shards.size() && shards[next].database == d.name; ++next) {
      while (pool.deliver_next(false, deliver)) {
      }
      readers.wait(2 + next);
      check_cancel();
      for (const RelationRow& r : shards[next].relations) {
        if (r.is_view()) {
          if (!r.definition) {
            d.complete = false;
            warnings.emplace_back(
                submitted,
                schema::Warning{r.fqn.str(),
                                fmt::format("definition of view '{}' not readable: the user "
                                            "needs SHOW VIEW (GRANT SHOW VIEW ON {}.* TO <user>)",
                                            r.name, quote_identifier(d.name)),
                                true});
          }
          ViewRow& v = m_views.emplace_back(ViewRow{r.database, r.name, r.fqn, r.definition, {}});
          for (const auto& c : r.columns) v.columns.push_back(c.name);
        }
        submit([this, &r](Entities& out) { emit_relation(r, out); });
      }
      held.emplace_back(next, submitted);
    }
    auto& routines = m_routines[d.name];
    std::sort(routines.begin(), routines.end(), [](const auto& a, const auto& b) {
      return std::tie(a.fqn, a.id) < std::tie(b.fqn, b.id);
    });
    for (const auto& e : routines) submit([&e](Entities& out) { out.push_back(e); });
  }
  while (pool.deliver_next(true, deliver)) {
  }
  for (; !warnings.empty(); warnings.pop_front()) m_sink.on_warning(warnings.front().second);
  for (const auto& w : m_warnings) m_sink.on_warning(w);
}

void CatalogReader::emit_lineage() {
  // MySQL 8.0.13+ lists what each view reads; MariaDB does not, and the
  // definition is read instead (it also gives the column pairs).
  std::map<Key, std::set<Key>> usage;
  const bool has_usage = !m_conn.is_mariadb() && m_conn.version_number() >= 80013;
  if (has_usage) {
    query(m_conn,
          "SELECT VIEW_SCHEMA, VIEW_NAME, TABLE_SCHEMA, TABLE_NAME FROM "
          "information_schema.VIEW_TABLE_USAGE WHERE " +
              where("VIEW_SCHEMA"),
          [&](const Row& r) {
            usage[{r.str(0), r.str(1)}].insert({r.str(2), r.str(3)});
          });
  }
  std::vector<schema::LineageEdge> edges;
  for (const auto& v : m_views) {
    std::map<Key, std::vector<std::pair<std::string, std::string>>> sources;
    if (auto it = usage.find({v.database, v.name}); it != usage.end()) {
      for (const auto& k : it->second) sources[k];
    }
    if (v.definition) {
      try {
        ViewReferences refs = parse_view_definition(*v.definition);
        for (const auto& t : refs.tables) sources[{t.database, t.table}];
        const auto& names = v.columns;
        for (std::size_t i = 0; i < refs.columns.size() && i < names.size(); ++i) {
          for (const auto& src : refs.columns[i]) {
            auto s = sources.find({src.table.database, src.table.table});
            if (s == sources.end()) continue;
            s->second.emplace_back(src.column, names[i]);
          }
        }
      } catch (const std::exception& e) {
        m_sink.on_warning(schema::Warning{
            v.fqn.str(), std::string("view definition not parsed for lineage: ") + e.what(),
            false});
      }
    }
    for (auto& [key, pairs] : sources) {
      schema::LineageEdge edge;
      edge.from = fqn_of(key.first, key.second).str();
      edge.to = v.fqn.str();
      edge.kind = "view";
      std::sort(pairs.begin(), pairs.end());
      pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
      edge.columns = std::move(pairs);
      edges.push_back(std::move(edge));
    }
  }
  std::sort(edges.begin(), edges.end(), [](const auto& a, const auto& b) {
    return std::tie(a.to, a.from) < std::tie(b.to, b.from);
  });
  for (const auto& e : edges) m_sink.on_lineage(e);
}

std::vector<Shard> CatalogReader::plan_shards(Connection& c, std::size_t sessions) {
  std::vector<Shard> shards;
  if (!m_conn.is_mariadb()) {
    // MySQL 8's information_schema reads its data dictionary (no table is
    // opened): one slice per database.
    for (const auto& d : m_databases) shards.push_back(Shard{d.name, {}, {}, {}});
    return shards;
  }
  // A slice holds what the sessions can keep open together in the table
  // cache (and at least 100 tables: each query also lists the database
  // directory). The names come from the database directories (no table
  // opened); those the filter leaves out are not read at all.
  std::size_t size = m_options.tables_per_slice;
  if (size == 0) {
    const std::int64_t cache =
        std::atoll(c.value("SELECT @@table_open_cache").value_or("2000").c_str());
    size = static_cast<std::size_t>(
        std::clamp<std::int64_t>(cache / static_cast<std::int64_t>(sessions + 1), 100, 4000));
  }
  std::map<std::string, std::vector<std::string>> names;
  query(c,
        "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE " +
            where("TABLE_SCHEMA"),
        [&](const Row& r) {
          std::string db = r.str(0), name = r.str(1);
          if (m_request.filter.matches({db, name})) names[db].push_back(std::move(name));
        });
  for (const auto& d : m_databases) {
    auto& list = names[d.name];
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
    const std::size_t count = (list.size() + size - 1) / size;
    for (std::size_t i = 0; i < count; ++i) {
      auto from = list.begin() + static_cast<std::ptrdiff_t>(i * list.size() / count);
      auto to = list.begin() + static_cast<std::ptrdiff_t>((i + 1) * list.size() / count);
      shards.push_back(Shard{d.name, std::vector<std::string>(from, to), {}, {}});
    }
  }
  return shards;
}

void CatalogReader::read_shard(Connection& c, Shard& shard) {
  read_relations(c, shard);  // first: opens the slice's tables
  if (shard.relations.empty()) return;
  read_columns(c, shard);
  read_indexes(c, shard);
  read_constraints(c, shard);
  read_views(c, shard);
  read_partitions(c, shard);
}

ExtractResult CatalogReader::run() {
  read_databases(m_conn);
  const std::size_t sessions =
      m_options.open_helper ? static_cast<std::size_t>(std::max(1, m_options.parallelism)) : 1;
  std::vector<Shard> shards = plan_shards(m_conn, sessions);
  // The database-wide queries first (small), then the slices, on up to
  // `parallelism` sessions: the server's work spreads over its cores while
  // the slices already read are turned into entities and written. A job
  // writes only its own slice (or its own member).
  std::vector<Readers::Job> jobs = {
      [this](Connection& c) { read_triggers(c); },
      [this](Connection& c) {
        read_routines(c);
        read_events(c);
      },
  };
  for (auto& shard : shards)
    jobs.push_back([this, &shard](Connection& c) { read_shard(c, shard); });
  {
    Readers readers(m_conn, m_options.open_helper, std::move(jobs), sessions,
                    [this] { check_cancel(); });
    emit(shards, readers);
  }  // the sessions are done with the connection
  check_cancel();
  if (m_request.lineage) emit_lineage();

  ExtractResult result;
  for (const auto& d : m_databases)
    result.completeness.push_back(
        {Fqn({m_source, d.name}).str(), EntityKind::database, d.complete});
  result.watermark = m_watermark;
  return result;
}

}  // namespace

// MariaDB turns an IN list of 1000
// values or more (in_predicate_conversion_threshold) into a subquery, which
// made a slice's queries 20 times slower: longer lists are cut into ORed
// lists of 500.
std::string in_list(const std::string& column, const std::vector<std::string>& names) {
  constexpr std::size_t k_per_list = 500;
  if (names.empty()) return "FALSE";
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i % k_per_list == 0) {
      if (i) out += ") OR ";
      out += column + " IN (";
    } else {
      out += ',';
    }
    out += literal(names[i]);
  }
  out += ')';
  return names.size() > k_per_list ? "(" + out + ")" : out;
}

bool is_system_database(std::string_view name) {
  return name == "information_schema" || name == "mysql" || name == "performance_schema" ||
         name == "sys";
}

std::vector<std::string> list_databases(Connection& connection, const Filter& filter,
                                        const std::optional<std::vector<std::string>>& wanted) {
  std::vector<std::string> out;
  connection.query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA", [&](const Row& r) {
    std::string name = r.str(0);
    if (is_system_database(name)) return;
    if (wanted && std::find(wanted->begin(), wanted->end(), name) == wanted->end()) return;
    if (!filter.may_contain({name})) return;
    out.push_back(std::move(name));
  });
  std::sort(out.begin(), out.end());
  return out;
}

ExtractResult extract_catalog(Connection& connection, const CatalogOptions& options,
                              const std::vector<std::string>& databases,
                              const ExtractRequest& request, schema::EntitySink& sink,
                              const core::CancelToken& cancel) {
  if (databases.empty()) return {};
  CatalogReader reader(connection, options, databases, request, sink, cancel);
  return reader.run();
}

}  // namespace connctl::extractors::mysql
