// The SQLite extractor: opens a database file read-only (plus attached
// databases), reads every catalog query inside one read transaction so that a
// concurrent writer never shows a half-changed schema, and streams databases,
// tables, views, columns, constraints, indexes, triggers and view lineage.

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <tuple>
#include <vector>

#include "core/error.hpp"
#include "extractors/registry.hpp"
#include "extractors/sqlite/sqlite_catalog.hpp"
#include "extractors/sqlite/sqlite_ddl.hpp"
#include "extractors/sqlite/sqlite_entities.hpp"
#include "extractors/sqlite/sqlite_lineage.hpp"
#include "extractors/url_settings.hpp"

namespace connctl::extractors::sqlite {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t k_default_busy_timeout_ms = 5000;
// Virtual machine steps between two looks at the cancel token.
constexpr int k_progress_steps = 1000;

struct Options {
  std::string source;
  fs::path path;
  std::map<std::string, fs::path> attach;  // alias -> file, sorted by alias
  std::int64_t busy_timeout_ms = k_default_busy_timeout_ms;
};

fs::path absolute_path(const std::string& path) {
  return fs::absolute(fs::path(path)).lexically_normal();
}

// A read-only URI filename: SQLite never creates or writes the file, and an
// ATTACH of it stays read-only whatever the main connection allows.
std::string read_only_uri(const fs::path& path) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string out = "file:";
  for (unsigned char c : path.string()) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '/' || c == '.' || c == '-' || c == '_' || c == '~';
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(k_hex[c >> 4]);
      out.push_back(k_hex[c & 0xF]);
    }
  }
  return out + "?mode=ro";
}

[[noreturn]] void throw_interrupted(const std::string& source) {
  throw core::Error(core::ExitCode::interrupted,
                    fmt::format("sqlite source '{}': extraction interrupted", source));
}

std::string hint_for(int code, std::int64_t busy_timeout_ms) {
  switch (code & 0xFF) {
    case SQLITE_NOTADB:
      return "the file is not an SQLite 3 database (or it is encrypted): check `path`";
    case SQLITE_CORRUPT:
      return "the file is damaged: check it with `sqlite3 FILE 'PRAGMA integrity_check'` or "
             "restore a backup";
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return fmt::format(
          "another process held a lock for longer than busy_timeout ({} ms): retry, or raise "
          "`busy_timeout`",
          busy_timeout_ms);
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
      return "check the file's permissions; a WAL database also needs its -shm file to be readable "
             "(or its "
             "directory writable)";
    default:
      return "check the file with the sqlite3 shell";
  }
}

[[noreturn]] void throw_open_error(const Options& o, const fs::path& file,
                                   const SQLite::Exception& e) {
  if (e.getErrorCode() == SQLITE_INTERRUPT) throw_interrupted(o.source);
  throw core::Error(
      core::ExitCode::connection,
      fmt::format("sqlite source '{}': cannot open {}: {}", o.source, file.string(), e.what()),
      hint_for(e.getErrorCode(), o.busy_timeout_ms));
}

// Existence is checked first: SQLite would only say "unable to open database file".
void check_file(const Options& o, const fs::path& file) {
  std::error_code ec;
  fs::file_status status = fs::status(file, ec);
  if (ec || !fs::exists(status)) {
    throw core::Error(
        core::ExitCode::connection,
        fmt::format("sqlite source '{}': cannot open {}: no such file", o.source, file.string()),
        "check `path` (or the sqlite: URL); connctl opens databases read-only and never creates "
        "them");
  }
  if (fs::is_directory(status)) {
    throw core::Error(
        core::ExitCode::connection,
        fmt::format("sqlite source '{}': cannot open {}: is a directory", o.source, file.string()),
        "`path` must name the database file itself");
  }
  if (::access(file.c_str(), R_OK) != 0) {
    throw core::Error(core::ExitCode::connection,
                      fmt::format("sqlite source '{}': cannot open {}: permission denied", o.source,
                                  file.string()),
                      "the user running connctl needs read permission on the file");
  }
}

// One schema of the connection: "main" or an attach alias, and its file.
struct SchemaFile {
  std::string schema;
  fs::path file;
};

// An open, validated connection: files checked, opened read-only, attached,
// and each schema read once so that "file is not a database" and "database
// disk image is malformed" are reported here, before anything is streamed.
class Connection {
 public:
  Connection(const Options& o, const core::CancelToken& cancel)
      : m_busy{o.busy_timeout_ms, &cancel} {
    check_file(o, o.path);
    for (const auto& [alias, file] : o.attach) check_file(o, file);
    try {
      m_db = std::make_unique<SQLite::Database>(read_only_uri(o.path),
                                                SQLite::OPEN_READONLY | SQLite::OPEN_URI);
      sqlite3_busy_handler(m_db->getHandle(), &Connection::on_busy, &m_busy);
      // The schema is read lazily: read it now, before an ATTACH would.
      m_db->execAndGet("SELECT count(*) FROM main.sqlite_schema");
    } catch (const SQLite::Exception& e) {
      if (cancel.cancelled()) throw_interrupted(o.source);
      throw_open_error(o, o.path, e);
    }
    m_schemas.push_back({"main", o.path});
    for (const auto& [alias, file] : o.attach) {
      try {
        SQLite::Statement attach(*m_db, "ATTACH DATABASE ?1 AS ?2");
        attach.bind(1, read_only_uri(file));
        attach.bind(2, alias);
        attach.exec();
        m_db->execAndGet("SELECT count(*) FROM " + quote_identifier(alias) + ".sqlite_schema");
      } catch (const SQLite::Exception& e) {
        if (cancel.cancelled()) throw_interrupted(o.source);
        throw_open_error(o, file, e);
      }
      m_schemas.push_back({alias, file});
    }
  }

  SQLite::Database& db() { return *m_db; }
  sqlite3* handle() { return m_db->getHandle(); }
  const std::vector<SchemaFile>& schemas() const { return m_schemas; }

 private:
  // Waiting for another process's lock, in short sleeps, so that Ctrl-C
  // interrupts the wait instead of sitting out the whole busy_timeout.
  struct BusyWait {
    std::int64_t timeout_ms;
    const core::CancelToken* cancel;
  };
  static constexpr int k_busy_sleep_ms = 10;
  static int on_busy(void* context, int attempts) {
    auto* wait = static_cast<BusyWait*>(context);
    if (wait->cancel->cancelled()) return 0;
    if (static_cast<std::int64_t>(attempts) * k_busy_sleep_ms >= wait->timeout_ms) return 0;
    sqlite3_sleep(k_busy_sleep_ms);
    return 1;
  }

  BusyWait m_busy;
  std::unique_ptr<SQLite::Database> m_db;
  std::vector<SchemaFile> m_schemas;
};

// The change signatures a process computed, kept for its next runs (the
// daemon's): a source whose files stat(2) the same as when its signature was
// read has the same signature, and is not opened at all. Only files that have
// settled are trusted: the clocks of mtime and ctime are coarse (a few ms), so
// a write within the same tick as the last one could leave both unchanged;
// one a second or more after the last change cannot. ctime covers chmod and
// writes that put the old mtime back. The -wal and -journal files are part of
// the state: a committed WAL transaction changes only the -wal file.
struct FileState {
  bool exists = false;
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;
  friend bool operator==(const FileState&, const FileState&) = default;
};

constexpr std::int64_t k_settled_ns = 1'000'000'000;

FileState state_of(const fs::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return {};
  auto ns = [](const timespec& t) {
    return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
  };
  return {true, st.st_dev, st.st_ino, st.st_size, ns(st.st_mtim), ns(st.st_ctim)};
}

class SignatureMemory {
 public:
  static SignatureMemory& instance() {
    static SignatureMemory memory;
    return memory;
  }
  // The state of every file of the source, and whether all of them settled.
  static std::pair<std::vector<FileState>, bool> states(const Options& o) {
    std::vector<fs::path> files = {o.path};
    for (const auto& [alias, file] : o.attach) files.push_back(file);
    std::vector<FileState> out;
    bool settled = true;
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    const std::int64_t now_ns = static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
    for (const auto& file : files) {
      for (const char* suffix : {"", "-wal", "-journal"}) {
        FileState state = state_of(file.string() + suffix);
        if (state.exists && now_ns - std::max(state.mtime_ns, state.ctime_ns) < k_settled_ns)
          settled = false;
        out.push_back(state);
      }
    }
    return {std::move(out), settled};
  }
  std::optional<std::string> find(const std::string& key, const std::vector<FileState>& states) {
    std::lock_guard lock(m_mutex);
    auto it = m_signatures.find(key);
    if (it == m_signatures.end() || it->second.first != states) return std::nullopt;
    return it->second.second;
  }
  void remember(const std::string& key, std::vector<FileState> states, std::string signature) {
    std::lock_guard lock(m_mutex);
    if (m_signatures.size() >= k_capacity) m_signatures.clear();
    m_signatures[key] = {std::move(states), std::move(signature)};
  }

 private:
  static constexpr std::size_t k_capacity = 4096;
  std::mutex m_mutex;
  std::map<std::string, std::pair<std::vector<FileState>, std::string>> m_signatures;
};

// Lets a long query (count(*) of a big table) stop when the run is cancelled.
class ProgressGuard {
 public:
  ProgressGuard(sqlite3* handle, const core::CancelToken& cancel) : m_handle(handle) {
    sqlite3_progress_handler(
        m_handle, k_progress_steps,
        [](void* token) -> int {
          return static_cast<const core::CancelToken*>(token)->cancelled() ? 1 : 0;
        },
        const_cast<core::CancelToken*>(&cancel));
  }
  ~ProgressGuard() { sqlite3_progress_handler(m_handle, 0, nullptr, nullptr); }
  ProgressGuard(const ProgressGuard&) = delete;
  ProgressGuard& operator=(const ProgressGuard&) = delete;

 private:
  sqlite3* m_handle;
};

// BEGIN … COMMIT: every query of the run sees one snapshot of each file.
class ReadTransaction {
 public:
  explicit ReadTransaction(SQLite::Database& db) : m_db(db) { m_db.exec("BEGIN"); }
  ~ReadTransaction() {
    if (m_open) m_db.tryExec("ROLLBACK");
  }
  void commit() {
    m_db.exec("COMMIT");
    m_open = false;
  }
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;

 private:
  SQLite::Database& m_db;
  bool m_open = true;
};

class SqliteExtractor final : public Extractor {
 public:
  explicit SqliteExtractor(Options options) : m_options(std::move(options)) {}

  TestReport test_connection(const core::CancelToken& cancel) override;
  ExtractResult extract(const ExtractRequest& request, schema::EntitySink& sink,
                        const core::CancelToken& cancel) override;
  std::optional<std::string> change_signature(const ExtractRequest& request,
                                              const core::CancelToken& cancel) override;

 private:
  [[noreturn]] void throw_for(const SQLite::Exception& e, const core::CancelToken& cancel) const;
  schema::ContainerStatus extract_database(Connection& connection, const SchemaFile& schema_file,
                                           const ExtractRequest& request, schema::EntitySink& sink,
                                           const core::CancelToken& cancel);

  Options m_options;
};

bool is_interrupt(const SQLite::Exception& e) {
  return e.getErrorCode() == SQLITE_INTERRUPT;
}

ExtractResult SqliteExtractor::extract(const ExtractRequest& request, schema::EntitySink& sink,
                                       const core::CancelToken& cancel) {
  Connection connection(m_options, cancel);
  ProgressGuard progress(connection.handle(), cancel);
  ExtractResult result;
  try {
    ReadTransaction transaction(connection.db());
    for (const SchemaFile& schema_file : connection.schemas()) {
      if (cancel.cancelled()) throw_interrupted(m_options.source);
      if (!request.filter.may_contain({schema_file.schema})) continue;
      result.completeness.push_back(
          extract_database(connection, schema_file, request, sink, cancel));
    }
    transaction.commit();
  } catch (const SQLite::Exception& e) {
    throw_for(e, cancel);
  }
  return result;
}

void SqliteExtractor::throw_for(const SQLite::Exception& e, const core::CancelToken& cancel) const {
  if (is_interrupt(e) || cancel.cancelled()) throw_interrupted(m_options.source);
  throw core::Error(core::ExitCode::runtime,
                    fmt::format("sqlite source '{}': {}: {}", m_options.source,
                                m_options.path.string(), e.what()),
                    hint_for(e.getErrorCode(), m_options.busy_timeout_ms));
}

std::optional<std::string> SqliteExtractor::change_signature(const ExtractRequest& request,
                                                             const core::CancelToken& cancel) {
  // Row and page counts change without DDL: with --stats, always extract.
  if (request.stats) return std::nullopt;
  std::string key = m_options.path.string() + "\n" + request.filter.describe();
  for (const auto& [alias, file] : m_options.attach) key += "\n" + alias + "=" + file.string();
  auto [states, settled] = SignatureMemory::states(m_options);
  if (settled) {
    if (auto known = SignatureMemory::instance().find(key, states)) return known;
  }
  Connection connection(m_options, cancel);
  ProgressGuard progress(connection.handle(), cancel);
  std::string text;
  try {
    ReadTransaction transaction(connection.db());
    for (const SchemaFile& schema_file : connection.schemas()) {
      if (!request.filter.may_contain({schema_file.schema})) continue;
      CatalogReader reader(connection.db(), schema_file.schema, [](const ReadFailure&) {});
      text += schema_file.file.string() + "\n" + reader.change_signature();
    }
    transaction.commit();
  } catch (const SQLite::Exception& e) {
    throw_for(e, cancel);
  }
  if (settled) SignatureMemory::instance().remember(key, std::move(states), text);
  return text;
}

schema::ContainerStatus SqliteExtractor::extract_database(Connection& connection,
                                                          const SchemaFile& schema_file,
                                                          const ExtractRequest& request,
                                                          schema::EntitySink& sink,
                                                          const core::CancelToken& cancel) {
  const std::string& name = schema_file.schema;
  const EntityOptions options{m_options.source, name, request.stats};
  const std::string database_fqn = schema::Fqn({m_options.source, name}).str();
  auto relation_fqn = [&](const std::string& relation) {
    return schema::Fqn({m_options.source, name, relation}).str();
  };
  auto skipped = [&](std::string object, std::string message) {
    sink.on_warning(schema::Warning{std::move(object), std::move(message), true});
  };

  CatalogReader reader(connection.db(), name,
                       [&](const ReadFailure& f) { skipped(relation_fqn(f.relation), f.message); });
  DatabaseRow database;
  std::vector<RelationRow> relations;
  std::map<std::string, std::vector<std::string>> primary_keys;
  bool properties_read = false;
  bool complete = true;
  try {
    reader.read_properties(database);
    properties_read = true;
    relations = reader.list_relations([&](const std::string& relation) {
      return request.filter.matches({name, relation});
    });
    reader.read_details(relations);

    // Foreign keys that omit their referenced columns point at the primary key.
    RelationNames names(relations);
    std::set<std::string> referenced;
    for (const auto& r : relations) {
      for (const auto& fk : r.foreign_keys) {
        if (std::none_of(fk.to.begin(), fk.to.end(), [](const auto& t) { return !t.has_value(); }))
          continue;
        if (const RelationRow* target = names.find(fk.table)) referenced.insert(target->name);
      }
    }
    primary_keys = reader.primary_keys(referenced);
    if (request.stats) reader.read_row_counts(relations);
  } catch (const SQLite::Exception& e) {
    if (is_interrupt(e) || cancel.cancelled()) throw_interrupted(m_options.source);
    skipped(database_fqn, fmt::format("cannot list database '{}' ({}): {}", name,
                                      schema_file.file.string(), e.what()));
    relations.clear();
    complete = false;
  }

  std::vector<schema::LineageEdge> edges;
  if (request.lineage && complete) {
    std::map<std::string, bool> all;
    for (const auto& r : relations) all.emplace(r.name, r.type == RelationType::view);
    ViewLineageReader lineage(connection.handle(), name, std::move(all));
    for (const auto& r : relations) {
      if (!r.selected || r.type != RelationType::view || !r.readable) continue;
      if (cancel.cancelled()) throw_interrupted(m_options.source);
      try {
        for (auto& source : lineage.sources_of(r.name)) {
          edges.push_back({relation_fqn(source.relation), relation_fqn(r.name), "view",
                           std::move(source.columns)});
        }
      } catch (const std::runtime_error& e) {
        skipped(relation_fqn(r.name), std::string("cannot read lineage: ") + e.what());
      }
    }
    std::sort(edges.begin(), edges.end(), [](const auto& a, const auto& b) {
      return std::tie(a.to, a.from) < std::tie(b.to, b.from);
    });
  }

  sink.on_entity(database_entity(options, database, schema_file.file.string(), properties_read));
  const RelationNames names(relations);
  for (const auto& r : relations) {
    if (!r.selected) continue;
    if (cancel.cancelled()) throw_interrupted(m_options.source);
    for (const auto& entity : relation_entities(options, r, names, primary_keys))
      sink.on_entity(entity);
  }
  for (const auto& edge : edges) sink.on_lineage(edge);
  return schema::ContainerStatus{database_fqn, schema::EntityKind::database, complete};
}

TestReport SqliteExtractor::test_connection(const core::CancelToken& cancel) {
  TestReport report;
  report.source = m_options.source;
  StepRunner steps(report);
  auto guarded = [&](auto&& fn) {
    return [&, fn] {
      if (cancel.cancelled()) throw_interrupted(m_options.source);
      try {
        fn();
      } catch (const SQLite::Exception& e) {
        throw core::Error(core::ExitCode::runtime, e.what(),
                          hint_for(e.getErrorCode(), m_options.busy_timeout_ms));
      }
    };
  };
  std::unique_ptr<Connection> connection;
  steps.run("resolve", guarded([&] {
              check_file(m_options, m_options.path);
              for (const auto& [alias, file] : m_options.attach) check_file(m_options, file);
            }));
  steps.run("connect",
            guarded([&] { connection = std::make_unique<Connection>(m_options, cancel); }));
  auto for_each_schema = [&](const std::string& sql_template) {
    for (const auto& s : connection->schemas()) {
      SQLite::Statement q(connection->db(),
                          fmt::format(fmt::runtime(sql_template), quote_identifier(s.schema)));
      while (q.executeStep()) {
      }
    }
  };
  steps.run("list_tables", guarded([&] { for_each_schema("PRAGMA {}.table_list"); }));
  steps.run("read_columns", guarded([&] {
              for (const auto& s : connection->schemas()) {
                SQLite::Statement q(connection->db(),
                                    "SELECT count(*) FROM " + quote_identifier(s.schema) +
                                        ".sqlite_schema AS t JOIN pragma_table_xinfo(t.name, ?1) "
                                        "WHERE t.type = 'table' AND t.rootpage > 0");
                q.bind(1, s.schema);
                q.executeStep();
              }
            }));
  steps.run("read_view_definitions", guarded([&] {
              for_each_schema("SELECT name, sql FROM {}.sqlite_schema WHERE type = 'view'");
            }));
  steps.run("read_statistics", guarded([&] { for_each_schema("PRAGMA {}.page_count"); }));
  return report;
}

core::Settings settings_from_url(const core::Url& url, std::string& proposed_name) {
  const std::string example = "write sqlite:///abs/path.db (three slashes) or sqlite:relative.db";
  if (!url.host.empty() && url.host != "localhost") {
    core::throw_usage(
        fmt::format("sqlite URL names a host ('{}'): SQLite reads a local file", url.host),
        example);
  }
  if (url.user || url.password || url.port) {
    core::throw_usage("sqlite URL has a user, password or port: SQLite reads a local file",
                      example);
  }
  if (!url.query.empty()) {
    core::throw_usage(fmt::format("sqlite URL: unknown parameter '{}'", url.query.begin()->first),
                      "set busy_timeout and attach in a [[source]] of the config file");
  }
  if (url.path.empty() || url.path == "/")
    core::throw_usage("sqlite URL names no database file", example);
  fs::path path = absolute_path(url.path);
  core::Settings settings;
  put_url_setting(settings, "path", path.string());
  proposed_name = path.stem().string();
  return settings;
}

std::unique_ptr<Extractor> make_extractor(const SourceSpec& spec) {
  Options o;
  o.source = spec.name;
  auto path = spec.settings.get_string("path");
  if (!path || path->empty()) {
    core::throw_usage(
        fmt::format("{}: sqlite source '{}' names no database file", spec.origin, spec.name),
        "set `path = \"/path/to/file.db\"` or `url = \"sqlite:///path/to/file.db\"`");
  }
  o.path = core::resolve_config_path(spec.settings.find("path")->where, *path);
  if (auto attach = spec.settings.get_string_table("attach")) {
    const std::string where = spec.settings.find("attach")->where.str();
    for (const auto& [alias, file] : *attach) {
      if (alias.empty() || iequals(alias, "main") || iequals(alias, "temp")) {
        core::throw_usage(fmt::format("{}: sqlite source '{}': attach alias '{}' is reserved",
                                      where, spec.name, alias),
                          "choose another alias than main and temp");
      }
      for (const auto& [other, ignored] : o.attach) {
        if (iequals(other, alias)) {
          core::throw_usage(
              fmt::format(
                  "{}: sqlite source '{}': attach aliases '{}' and '{}' differ only in case", where,
                  spec.name, other, alias),
              "SQLite compares database names without case: rename one");
        }
      }
      if (file.empty()) {
        core::throw_usage(fmt::format("{}: sqlite source '{}': attach '{}' names no file", where,
                                      spec.name, alias));
      }
      o.attach.emplace(alias, core::resolve_config_path(spec.settings.find("attach")->where, file));
    }
  }
  if (auto timeout = spec.settings.get_duration_ms("busy_timeout")) {
    if (*timeout < 0 || *timeout > std::numeric_limits<int>::max()) {
      core::throw_usage(fmt::format("{}: sqlite source '{}': busy_timeout out of range",
                                    spec.settings.find("busy_timeout")->where.str(), spec.name));
    }
    o.busy_timeout_ms = *timeout;
  }
  return std::make_unique<SqliteExtractor>(std::move(o));
}

ExtractorInfo sqlite_registration() {
  ExtractorInfo info;
  info.type = "sqlite";
  info.description =
      "SQLite database files, read-only (tables, views, indexes, triggers, view lineage)";
  info.url_schemes = {"sqlite"};
  info.keys = {
      {"path", core::KeyType::string, false, false,
       "the database file; needed unless the source has a `url` such as sqlite:///abs/path.db", ""},
      {"attach", core::KeyType::string_table, false, false,
       "more databases to attach read-only: alias -> path", ""},
      {"busy_timeout", core::KeyType::duration, false, false,
       "how long to wait for a lock held by another process", "5s"},
  };
  info.capabilities.lineage = true;
  info.capabilities.column_lineage = true;
  info.capabilities.stats = true;
  info.capabilities.incremental = false;
  info.settings_from_url = settings_from_url;
  info.factory = make_extractor;
  return info;
}

}  // namespace

CONNCTL_REGISTER_EXTRACTOR(sqlite_registration());

}  // namespace connctl::extractors::sqlite
