// The PostgreSQL extractor: registration, settings and URLs, one connection
// and one REPEATABLE READ READ ONLY transaction per database (databases in
// parallel, emitted in name order), and test-connection steps that name the
// grant a failing privilege needs.

#include <fmt/format.h>
#include <netdb.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <filesystem>
#include <mutex>
#include <thread>
#include <variant>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/secrets.hpp"
#include "extractors/postgres/pg_catalog.hpp"
#include "extractors/postgres/pg_connection.hpp"
#include "extractors/registry.hpp"
#include "extractors/url_settings.hpp"
#include "schema/fqn.hpp"

namespace connctl::extractors::postgres {
namespace {

constexpr std::int64_t k_default_connect_timeout_ms = 10000;
constexpr std::int64_t k_default_statement_timeout_ms = 5 * 60 * 1000;
constexpr std::int64_t k_default_parallelism = 2;
constexpr int k_min_server_version = 110000;

struct Options {
  std::string source;
  ConnectParams params;  // without dbname
  std::optional<std::string> dbname;
  std::optional<std::vector<std::string>> databases;
  std::optional<std::string> host;
  std::int64_t statement_timeout_ms = k_default_statement_timeout_ms;
  std::int64_t parallelism = k_default_parallelism;
};

ConnectParams params_for(const Options& o, const std::optional<std::string>& dbname) {
  ConnectParams p = o.params;
  if (dbname) p.values["dbname"] = *dbname;
  return p;
}

std::string where_of(const Options& o) {
  std::string host = o.host.value_or("");
  if (host.empty()) {
    const char* env = std::getenv("PGHOST");
    host = env ? env : "the default socket";
  }
  return host;
}

[[noreturn]] void throw_for(const Options& o, const std::string& database, const PgError& e) {
  switch (e.kind()) {
    case FailureKind::authenticate:
      core::throw_connection(
          fmt::format("postgres source '{}': cannot log in to database '{}' on {}: {}", o.source,
                      database, where_of(o), e.what()),
          "check `user` and the password (secret reference, PGPASSWORD or PGPASSFILE) and the "
          "server's pg_hba.conf");
    case FailureKind::connect:
      core::throw_connection(
          fmt::format("postgres source '{}': cannot connect to {}: {}", o.source, where_of(o),
                      e.what()),
          "check `host` and `port`, that the server is running and accepts TCP connections "
          "(listen_addresses), and firewalls");
    case FailureKind::lost:
      core::throw_connection(
          fmt::format("postgres source '{}': connection to database '{}' lost during extraction: "
                      "{}",
                      o.source, database, e.what()),
          "the server restarted or ended the session; nothing was written: run again");
    case FailureKind::query:
      break;
  }
  if (e.sqlstate() == "57014") {
    core::throw_runtime(
        fmt::format("postgres source '{}': a catalog query on database '{}' timed out: {}",
                    o.source, database, e.what()),
        "raise `statement_timeout` for this source");
  }
  core::throw_runtime(
      fmt::format("postgres source '{}': catalog query on database '{}' failed: {}", o.source,
                  database, e.what()),
      e.sqlstate() == "42501" ? "the role lacks a privilege on a catalog object" : "");
}

// Records buffered for one database, replayed into the real sink in order.
class BufferSink final : public schema::EntitySink {
 public:
  void on_entity(const schema::Entity& e) override { m_records.emplace_back(e); }
  void on_lineage(const schema::LineageEdge& e) override { m_records.emplace_back(e); }
  void on_warning(const schema::Warning& w) override { m_records.emplace_back(w); }
  void replay(schema::EntitySink& sink) {
    for (auto& r : m_records) {
      if (auto* e = std::get_if<schema::Entity>(&r)) sink.on_entity(*e);
      if (auto* l = std::get_if<schema::LineageEdge>(&r)) sink.on_lineage(*l);
      if (auto* w = std::get_if<schema::Warning>(&r)) sink.on_warning(*w);
    }
    m_records.clear();
  }

 private:
  std::vector<std::variant<schema::Entity, schema::LineageEdge, schema::Warning>> m_records;
};

class PostgresExtractor final : public Extractor {
 public:
  explicit PostgresExtractor(Options options) : m_options(std::move(options)) {}

  TestReport test_connection(const core::CancelToken& cancel) override;
  ExtractResult extract(const ExtractRequest& request, schema::EntitySink& sink,
                        const core::CancelToken& cancel) override;
  std::optional<std::string> change_signature(const ExtractRequest& request,
                                              const core::CancelToken& cancel) override;

 private:
  // The databases to read, in name order, and notes about others.
  std::vector<std::string> list_databases(Connection& first, const ExtractRequest& request,
                                          std::vector<schema::Warning>& notes);
  std::vector<schema::ContainerStatus> extract_one(Connection& connection,
                                                   const std::string& database,
                                                   const ExtractRequest& request,
                                                   schema::EntitySink& sink,
                                                   const core::CancelToken& cancel);
  Options m_options;
};

bool wants_all(const std::optional<std::vector<std::string>>& databases) {
  return databases && std::find(databases->begin(), databases->end(), "*") != databases->end();
}

std::vector<std::string> PostgresExtractor::list_databases(Connection& first,
                                                           const ExtractRequest& request,
                                                           std::vector<schema::Warning>& notes) {
  std::vector<std::string> out;
  if (!m_options.databases) {
    out.push_back(first.value("SELECT pg_catalog.current_database()").value_or(""));
    return out;
  }
  if (wants_all(m_options.databases)) {
    first.copy(
        "SELECT datname, pg_catalog.has_database_privilege(oid, 'CONNECT') "
        "FROM pg_catalog.pg_database WHERE datallowconn AND NOT datistemplate "
        "ORDER BY datname COLLATE \"C\"",
        [&](const CopyRow& r) {
          std::string name = r.str(0);
          if (!request.filter.may_contain({name})) return;
          if (!r.boolean(1)) {
            notes.push_back(schema::Warning{
                schema::Fqn({m_options.source, name}).str(),
                fmt::format("database '{}' not read: the role has no CONNECT privilege (GRANT "
                            "CONNECT ON DATABASE {} TO <role>)",
                            name, name),
                false});
            return;
          }
          out.push_back(std::move(name));
        });
    return out;
  }
  for (const auto& d : *m_options.databases) {
    if (request.filter.may_contain({d})) out.push_back(d);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<schema::ContainerStatus> PostgresExtractor::extract_one(
    Connection& connection, const std::string& database, const ExtractRequest& request,
    schema::EntitySink& sink, const core::CancelToken& cancel) {
  DatabaseOptions options{m_options.source, m_options.statement_timeout_ms, {}};
  options.open_helper = [this, database] {
    return std::make_unique<Connection>(params_for(m_options, database));
  };
  try {
    return extract_database(connection, options, request, sink, cancel);
  } catch (const PgError& e) {
    throw_for(m_options, database, e);
  }
}

ExtractResult PostgresExtractor::extract(const ExtractRequest& request, schema::EntitySink& sink,
                                         const core::CancelToken& cancel) {
  const bool explicit_list = m_options.databases && !wants_all(m_options.databases);
  std::optional<std::string> first_db = m_options.dbname;
  if (explicit_list && !m_options.databases->empty()) {
    std::vector<std::string> sorted = *m_options.databases;
    std::sort(sorted.begin(), sorted.end());
    first_db = sorted.front();
  }
  // The first connection is made before anything is streamed: an unreachable
  // server or a refused password fails the run with nothing written.
  std::unique_ptr<Connection> first;
  try {
    first = std::make_unique<Connection>(params_for(m_options, first_db));
  } catch (const PgError& e) {
    throw_for(m_options, first_db.value_or("(default)"), e);
  }
  std::vector<schema::Warning> notes;
  std::vector<std::string> databases;
  try {
    databases = list_databases(*first, request, notes);
  } catch (const PgError& e) {
    throw_for(m_options, first_db.value_or("(default)"), e);
  }
  std::string first_name = first->value("SELECT pg_catalog.current_database()").value_or("");

  ExtractResult result;
  for (const auto& n : notes) sink.on_warning(n);
  if (databases.empty()) return result;

  auto connect_to = [&](const std::string& database) -> std::unique_ptr<Connection> {
    if (first && database == first_name) return std::move(first);
    try {
      return std::make_unique<Connection>(params_for(m_options, database));
    } catch (const PgError& e) {
      throw_for(m_options, database, e);
    }
  };

  const std::size_t workers = std::min<std::size_t>(
      databases.size(), static_cast<std::size_t>(std::max<std::int64_t>(1, m_options.parallelism)));
  if (workers == 1) {
    for (const auto& database : databases) {
      if (cancel.cancelled()) {
        throw core::Error(
            core::ExitCode::interrupted,
            fmt::format("postgres source '{}': extraction interrupted", m_options.source));
      }
      auto connection = connect_to(database);
      auto containers = extract_one(*connection, database, request, sink, cancel);
      result.completeness.insert(result.completeness.end(), containers.begin(), containers.end());
    }
    return result;
  }

  // Several databases at once, each buffered and emitted in name order.
  struct Slot {
    BufferSink buffer;
    std::vector<schema::ContainerStatus> containers;
    std::exception_ptr error;
    bool done = false;
  };
  std::vector<Slot> slots(databases.size());
  std::mutex mutex;
  std::condition_variable changed;
  std::size_t next_job = 0;
  std::unique_ptr<Connection> first_for_worker = std::move(first);
  core::CancelToken stop;  // set when one database fails, so that the others stop early
  // The failure that set `stop`: the others then fail as "interrupted", and
  // the run must report the cause, whichever database comes first by name.
  std::exception_ptr first_error;
  auto worker = [&] {
    for (;;) {
      std::size_t job;
      std::unique_ptr<Connection> connection;
      {
        std::lock_guard lock(mutex);
        if (next_job >= databases.size()) return;
        job = next_job++;
        if (first_for_worker && databases[job] == first_name)
          connection = std::move(first_for_worker);
      }
      Slot& slot = slots[job];
      try {
        if (stop.cancelled() || cancel.cancelled()) {
          throw core::Error(
              core::ExitCode::interrupted,
              fmt::format("postgres source '{}': extraction interrupted", m_options.source));
        }
        if (!connection) {
          try {
            connection = std::make_unique<Connection>(params_for(m_options, databases[job]));
          } catch (const PgError& e) {
            throw_for(m_options, databases[job], e);
          }
        }
        slot.containers = extract_one(*connection, databases[job], request, slot.buffer, stop);
      } catch (...) {
        slot.error = std::current_exception();
        {
          std::lock_guard lock(mutex);
          if (!first_error) first_error = slot.error;
        }
        stop.cancel();
      }
      {
        std::lock_guard lock(mutex);
        slot.done = true;
      }
      changed.notify_all();
    }
  };
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < workers; ++i) threads.emplace_back(worker);
  std::exception_ptr error;
  for (std::size_t i = 0; i < slots.size() && !error; ++i) {
    {
      std::unique_lock lock(mutex);
      // Polls the caller's token too: workers only watch `stop`.
      while (!slots[i].done) {
        changed.wait_for(lock, std::chrono::milliseconds(100));
        if (cancel.cancelled()) stop.cancel();
      }
    }
    if (slots[i].error) {
      error = slots[i].error;
      break;
    }
    slots[i].buffer.replay(sink);
    result.completeness.insert(result.completeness.end(), slots[i].containers.begin(),
                               slots[i].containers.end());
  }
  if (error) stop.cancel();
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(first_error ? first_error : error);
  return result;
}

// ---------------------------------------------------------------- change signature

std::optional<std::string> PostgresExtractor::change_signature(const ExtractRequest& request,
                                                               const core::CancelToken& cancel) {
  // Observations change without DDL: with --stats, always extract.
  if (request.stats) return std::nullopt;
  const bool explicit_list = m_options.databases && !wants_all(m_options.databases);
  std::optional<std::string> first_db = m_options.dbname;
  if (explicit_list && !m_options.databases->empty()) {
    first_db = *std::min_element(m_options.databases->begin(), m_options.databases->end());
  }
  try {
    auto first = std::make_unique<Connection>(params_for(m_options, first_db));
    std::vector<schema::Warning> notes;
    const auto databases = list_databases(*first, request, notes);
    const std::string first_name =
        first->value("SELECT pg_catalog.current_database()").value_or("");
    // The databases read, the ones left out, and each database's catalogs.
    std::string text;
    for (const auto& n : notes) text += "note:" + n.object + "\n";
    for (const auto& database : databases) {
      if (cancel.cancelled()) return std::nullopt;
      std::unique_ptr<Connection> own;
      Connection* connection = first.get();
      if (database != first_name) {
        own = std::make_unique<Connection>(params_for(m_options, database));
        connection = own.get();
      }
      text += database + "=" + catalog_signature(*connection) + "\n";
    }
    return text;
  } catch (const PgError& e) {
    throw_for(m_options, first_db.value_or("(default)"), e);
  }
}

// ---------------------------------------------------------------- test-connection

TestReport PostgresExtractor::test_connection(const core::CancelToken& cancel) {
  TestReport report;
  report.source = m_options.source;
  StepRunner steps(report);
  (void)cancel;

  std::string host = m_options.host.value_or("");
  if (host.empty()) {
    const char* env = std::getenv("PGHOST");
    host = env ? env : "";
  }
  const bool socket = host.empty() || host.front() == '/' || host.front() == '@';
  if (host.empty()) {
    steps.skip("resolve", "no host set: libpq uses its default unix socket");
  } else {
    steps.run("resolve", [&] {
      if (socket) {
        struct stat st {};
        if (::stat(host.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
          core::throw_connection(fmt::format("socket directory '{}' does not exist", host),
                                 "check `host`: a path names the directory of the server's socket");
        }
        return;
      }
      addrinfo hints{};
      hints.ai_socktype = SOCK_STREAM;
      addrinfo* found = nullptr;
      int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
      if (rc != 0) {
        core::throw_connection(fmt::format("cannot resolve host '{}': {}", host, gai_strerror(rc)),
                               "check `host` and DNS");
      }
      ::freeaddrinfo(found);
    });
  }

  std::optional<std::string> first_db = m_options.dbname;
  if (m_options.databases && !wants_all(m_options.databases) && !m_options.databases->empty()) {
    std::vector<std::string> sorted = *m_options.databases;
    std::sort(sorted.begin(), sorted.end());
    first_db = sorted.front();
  }
  std::unique_ptr<Connection> connection;
  std::optional<PgError> connect_error;
  try {
    connection = std::make_unique<Connection>(params_for(m_options, first_db));
  } catch (const PgError& e) {
    connect_error = e;
  }
  steps.run("connect", [&] {
    if (connect_error && connect_error->kind() != FailureKind::authenticate) {
      core::throw_connection(connect_error->what(),
                             "check `host` and `port`, that the server runs and accepts "
                             "connections from this host");
    }
  });
  if (steps.failed()) {
    steps.skip("tls", "the server was not reached");
  } else if (connect_error) {
    steps.skip("tls", "the login was refused before the session could be checked");
  } else if (socket) {
    steps.skip("tls", "unix socket: TLS does not apply");
  } else if (!connection->ssl_in_use()) {
    steps.skip("tls",
               "the session is not encrypted (set sslmode=require or verify-full to "
               "insist on TLS)");
  } else {
    steps.run("tls", [&] {
      std::string ssl = connection
                            ->value(
                                "SELECT ssl::text FROM pg_catalog.pg_stat_ssl WHERE pid = "
                                "pg_catalog.pg_backend_pid()")
                            .value_or("false");
      if (ssl != "true") core::throw_connection("the session is not encrypted", "");
    });
  }
  steps.run("authenticate", [&] {
    if (connect_error) {
      core::throw_connection(connect_error->what(),
                             "check `user` and the password (secret reference, PGPASSWORD or "
                             "PGPASSFILE) and the server's pg_hba.conf");
    }
  });
  steps.run("server_version", [&] {
    int v = connection->server_version();
    if (v < k_min_server_version) {
      core::throw_connection(fmt::format("server version {} is not supported", v),
                             "connctl reads PostgreSQL 11 or later");
    }
  });
  if (steps.failed()) return report;

  // Which databases and schemas extraction would read.
  std::vector<std::string> databases;
  std::vector<schema::Warning> notes;
  steps.run("list_databases", [&] {
    try {
      ExtractRequest request;
      databases = list_databases(*connection, request, notes);
    } catch (const PgError& e) {
      core::throw_connection(e.what(), "");
    }
  });
  const std::string role = connection->value("SELECT current_user").value_or("");
  const std::string role_sql =
      connection->value("SELECT pg_catalog.quote_ident(current_user)").value_or(role);
  for (const auto& database : databases) {
    steps.run(fmt::format("connect_database:{}", database), [&] {
      auto has = connection->value(
          fmt::format("SELECT pg_catalog.has_database_privilege({}, 'CONNECT')::text",
                      connection->quote_literal(database)));
      if (has.value_or("false") != "true") {
        core::throw_connection(
            fmt::format("role '{}' may not connect to database '{}'", role, database),
            fmt::format("GRANT CONNECT ON DATABASE {} TO {}",
                        connection
                            ->value("SELECT pg_catalog.quote_ident(" +
                                    connection->quote_literal(database) + ")")
                            .value_or(database),
                        role_sql));
      }
    });
  }
  if (steps.failed()) return report;

  for (const auto& database : databases) {
    std::unique_ptr<Connection> db;
    steps.run(fmt::format("open_database:{}", database), [&] {
      try {
        db = std::make_unique<Connection>(params_for(m_options, database));
      } catch (const PgError& e) {
        core::throw_connection(e.what(), "check pg_hba.conf for this database");
      }
    });
    if (!db) break;
    struct SchemaAccess {
      std::string name, quoted;
      bool usage;
    };
    std::vector<SchemaAccess> schemas;
    try {
      db->copy(
          "SELECT n.nspname, pg_catalog.has_schema_privilege(n.oid, 'USAGE'), "
          "pg_catalog.quote_ident(n.nspname) "
          "FROM pg_catalog.pg_namespace n WHERE n.nspname !~ '^pg_' "
          "AND n.nspname <> 'information_schema' ORDER BY n.nspname COLLATE \"C\"",
          [&](const CopyRow& r) {
            schemas.push_back({r.str(0), r.str(2), r.boolean(1)});
          });
    } catch (const PgError&) {
    }
    for (const auto& schema_access : schemas) {
      const std::string& name = schema_access.name;
      steps.run(fmt::format("schema_usage:{}.{}", database, name), [&] {
        if (!schema_access.usage) {
          core::throw_connection(
              fmt::format("role '{}' has no USAGE privilege on schema '{}' of database '{}'", role,
                          name, database),
              fmt::format("GRANT USAGE ON SCHEMA {} TO {}", schema_access.quoted, role_sql));
        }
      });
    }
    auto probe = [&](const std::string& step, const std::string& sql, const std::string& hint) {
      steps.run(fmt::format("{}:{}", step, database), [&] {
        try {
          db->exec(sql);
        } catch (const PgError& e) {
          core::throw_connection(e.what(), hint);
        }
      });
    };
    probe("read_catalog",
          "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_attribute a ON "
          "a.attrelid = c.oid JOIN pg_catalog.pg_constraint co ON co.conrelid = c.oid "
          "WHERE false",
          "the role needs SELECT on pg_catalog (granted to PUBLIC by default)");
    probe("read_view_definitions",
          "SELECT pg_catalog.pg_get_viewdef(c.oid) FROM pg_catalog.pg_class c "
          "WHERE c.relkind IN ('v', 'm') AND c.relnamespace IN (SELECT oid FROM "
          "pg_catalog.pg_namespace WHERE pg_catalog.has_schema_privilege(oid, 'USAGE')) LIMIT 1",
          "view definitions need USAGE on the view's schema");
    probe("read_dependencies",
          "SELECT count(*) FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_rewrite r ON r.oid = "
          "d.objid WHERE false",
          "the role needs SELECT on pg_depend and pg_rewrite (granted to PUBLIC by default)");
    probe("read_statistics", "SELECT count(*) FROM pg_catalog.pg_stat_all_tables WHERE false",
          "GRANT pg_read_all_stats TO <role> for sizes and vacuum times");
  }
  return report;
}

// ---------------------------------------------------------------- settings

const std::vector<std::string>& query_keys() {
  static const std::vector<std::string> keys = {
      "sslmode", "sslrootcert",     "sslcert", "sslkey",   "host",
      "port",    "connect_timeout", "user",    "password", "dbname"};
  return keys;
}

core::Settings settings_from_url(const core::Url& url, std::string& proposed_name) {
  core::Settings settings = server_url_settings(url, "dbname");
  auto put = [&](const std::string& key, core::SettingValue value, bool secret = false) {
    put_url_setting(settings, key, std::move(value), secret);
  };
  for (const auto& [key, value] : url.query) {
    if (std::find(query_keys().begin(), query_keys().end(), key) == query_keys().end()) {
      core::throw_usage(fmt::format("postgresql URL: unknown parameter '{}'", key),
                        "known: sslmode, sslrootcert, sslcert, sslkey, host, port, "
                        "connect_timeout; set the others in a [[source]] of the config file");
    }
    if (key == "port") {
      try {
        put("port", static_cast<std::int64_t>(std::stoi(value)));
      } catch (const std::exception&) {
        core::throw_usage(fmt::format("postgresql URL: port '{}' is not a number", value));
      }
    } else if (key == "connect_timeout") {
      auto ms = core::parse_duration_ms(value);
      if (!ms) core::throw_usage(fmt::format("postgresql URL: bad connect_timeout '{}'", value));
      put("connect_timeout", *ms);
    } else {
      put(key, value, key == "password");
    }
  }
  if (settings.has("dbname"))
    proposed_name = *settings.get_string("dbname");
  else if (settings.has("host") && settings.get_string("host")->front() != '/')
    proposed_name = *settings.get_string("host");
  else
    proposed_name = "postgres";
  return settings;
}

std::unique_ptr<Extractor> make_extractor(const SourceSpec& spec) {
  Options o;
  o.source = spec.name;
  const core::Settings& s = spec.settings;
  auto& v = o.params.values;
  for (const char* key : {"host", "user", "sslmode", "sslrootcert", "sslcert", "sslkey"}) {
    if (auto value = s.get_string(key)) v[key] = *value;
  }
  if (auto password = s.get_string("password")) {
    core::register_secret(*password);
    v["password"] = *password;
  }
  if (auto port = s.get_integer("port")) {
    if (*port <= 0 || *port > 65535) {
      core::throw_usage(fmt::format("{}: postgres source '{}': port {} out of range",
                                    s.find("port")->where.str(), spec.name, *port));
    }
    v["port"] = std::to_string(*port);
  }
  const std::int64_t connect_ms =
      s.get_duration_ms("connect_timeout").value_or(k_default_connect_timeout_ms);
  // libpq counts whole seconds and treats anything below 2 as 2.
  v["connect_timeout"] = std::to_string(std::max<std::int64_t>(2, (connect_ms + 999) / 1000));
  v["application_name"] = "connctl";
  o.host = s.get_string("host");
  o.dbname = s.get_string("dbname");
  o.databases = s.get_string_list("databases");
  if (o.databases && o.databases->empty()) {
    core::throw_usage(fmt::format("{}: postgres source '{}': `databases` is empty",
                                  s.find("databases")->where.str(), spec.name),
                      "list database names, or [\"*\"] for every database");
  }
  if (auto t = s.get_duration_ms("statement_timeout")) {
    if (*t < 0)
      core::throw_usage(fmt::format("postgres source '{}': negative statement_timeout", spec.name));
    o.statement_timeout_ms = *t;
  }
  if (auto p = s.get_integer("parallelism")) {
    if (*p < 1 || *p > 64) {
      core::throw_usage(fmt::format("{}: postgres source '{}': parallelism must be 1 to 64",
                                    s.find("parallelism")->where.str(), spec.name));
    }
    o.parallelism = *p;
  }
  return std::make_unique<PostgresExtractor>(std::move(o));
}

ExtractorInfo postgres_registration() {
  ExtractorInfo info;
  info.type = "postgres";
  info.description =
      "PostgreSQL 11+ catalogs (schemas, tables, partitions, views, columns, constraints, indexes, "
      "sequences, routines, triggers, column-level view lineage)";
  info.url_schemes = {"postgresql", "postgres"};
  using core::KeyType;
  info.keys = {
      {"host", KeyType::string, false, false,
       "server host name, address or socket directory (unset: PGHOST or the default socket)", ""},
      {"port", KeyType::integer, false, false, "server port (unset: PGPORT or 5432)", ""},
      {"dbname", KeyType::string, false, false,
       "the database to read (unset: PGDATABASE or the user name)", ""},
      {"user", KeyType::string, false, false, "role to log in as (unset: PGUSER or the OS user)",
       ""},
      {"password", KeyType::string, false, true,
       "password; prefer a ${env:} or ${file:} reference, PGPASSWORD or PGPASSFILE", ""},
      {"databases", KeyType::string_list, false, false,
       "databases to read; [\"*\"] = every connectable non-template database", ""},
      {"sslmode", KeyType::string, false, false,
       "disable | allow | prefer | require | verify-ca | verify-full", ""},
      {"sslrootcert", KeyType::string, false, false, "CA certificate file", ""},
      {"sslcert", KeyType::string, false, false, "client certificate file", ""},
      {"sslkey", KeyType::string, false, false, "client key file", ""},
      {"connect_timeout", KeyType::duration, false, false, "how long to wait for a connection",
       "10s"},
      {"statement_timeout", KeyType::duration, false, false,
       "limit for each catalog query (0 = none)", "5m"},
      {"parallelism", KeyType::integer, false, false, "databases read at the same time", "2"},
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

CONNCTL_REGISTER_EXTRACTOR(postgres_registration());

}  // namespace connctl::extractors::postgres
