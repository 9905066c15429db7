// The MySQL / MariaDB extractor: registration, settings and URLs, one session
// through MariaDB Connector/ODBC for every database read, and test-connection
// steps that name the grant a failing privilege needs.

#include <fmt/format.h>
#include <netdb.h>
#include <sys/stat.h>

#include <algorithm>

#include "core/error.hpp"
#include "core/secrets.hpp"
#include "extractors/mysql/mysql_catalog.hpp"
#include "extractors/mysql/mysql_connection.hpp"
#include "extractors/registry.hpp"
#include "extractors/url_settings.hpp"

namespace connctl::extractors::mysql {
namespace {

constexpr std::int64_t k_default_connect_timeout_ms = 10000;
constexpr std::int64_t k_default_read_timeout_ms = 5 * 60 * 1000;

struct Options {
  std::string source;
  ConnectOptions connect;
  // unset or ["*"]: every non-system database the user can see
  std::optional<std::vector<std::string>> databases;
  int parallelism = 3;
};

std::string where_of(const Options& o) {
  if (o.connect.socket) return "socket " + *o.connect.socket;
  return fmt::format("{}:{}", o.connect.host, o.connect.port);
}

[[noreturn]] void throw_for(const Options& o, const MysqlError& e) {
  switch (e.kind()) {
    case FailureKind::authenticate:
      core::throw_connection(
          fmt::format("mysql source '{}': cannot log in to {} as '{}': {}", o.source, where_of(o),
                      o.connect.user, e.what()),
          "check `user` and the password (a secret reference), and the account's host part");
    case FailureKind::connect:
      core::throw_connection(
          fmt::format("mysql source '{}': cannot connect to {}: {}", o.source, where_of(o),
                      e.what()),
          "check `host` and `port` (or `socket`), that the server is running and reachable, "
          "and that the ODBC driver `driver` is installed");
    case FailureKind::lost:
      core::throw_connection(
          fmt::format("mysql source '{}': connection lost during extraction: {}", o.source,
                      e.what()),
          "the server restarted or ended the session; nothing was written: run again");
    case FailureKind::query:
      break;
  }
  core::throw_runtime(
      fmt::format("mysql source '{}': catalog query failed: {} (SQLSTATE {}, error {})", o.source,
                  e.what(), e.sqlstate(), e.native()),
      e.native() == 1142 || e.native() == 1227 ? "the user lacks a privilege on a catalog table"
                                               : "");
}

std::optional<std::vector<std::string>> wanted_databases(const Options& o) {
  if (!o.databases) return std::nullopt;
  if (std::find(o.databases->begin(), o.databases->end(), "*") != o.databases->end())
    return std::nullopt;
  return o.databases;
}

class MysqlExtractor final : public Extractor {
 public:
  explicit MysqlExtractor(Options options) : m_options(std::move(options)) {}

  TestReport test_connection(const core::CancelToken& cancel) override;
  ExtractResult extract(const ExtractRequest& request, schema::EntitySink& sink,
                        const core::CancelToken& cancel) override;

 private:
  std::vector<std::string> databases_to_read(Connection& c, const Filter& filter);
  Options m_options;
};

std::vector<std::string> MysqlExtractor::databases_to_read(Connection& c, const Filter& filter) {
  const auto wanted = wanted_databases(m_options);
  std::vector<std::string> out = list_databases(c, filter, wanted);
  if (wanted) {
    for (const auto& name : *wanted) {
      if (!filter.may_contain({name})) continue;
      if (std::find(out.begin(), out.end(), name) == out.end()) {
        core::throw_connection(
            fmt::format("mysql source '{}': database '{}' does not exist on {} or user '{}' holds "
                        "no privilege in it",
                        m_options.source, name, where_of(m_options), m_options.connect.user),
            fmt::format("GRANT SELECT, SHOW VIEW, TRIGGER, EVENT ON {}.* TO <user>",
                        quote_identifier(name)));
      }
    }
  }
  return out;
}

ExtractResult MysqlExtractor::extract(const ExtractRequest& request, schema::EntitySink& sink,
                                      const core::CancelToken& cancel) {
  // The session is opened before anything is streamed: an unreachable server
  // or a refused login fails the run with nothing written.
  std::unique_ptr<Connection> connection;
  try {
    connection = std::make_unique<Connection>(m_options.connect, &cancel);
  } catch (const MysqlError& e) {
    throw_for(m_options, e);
  }
  try {
    if (request.stats && !connection->is_mariadb() && connection->version_number() >= 80000) {
      // MySQL 8 caches TABLES statistics for a day by default.
      connection->exec("SET SESSION information_schema_stats_expiry = 0");
    }
    const auto databases = databases_to_read(*connection, request.filter);
    CatalogOptions options;
    options.source = m_options.source;
    options.parallelism = m_options.parallelism;
    options.open_helper = [this, &cancel] {
      return std::make_unique<Connection>(m_options.connect, &cancel);
    };
    return extract_catalog(*connection, options, databases, request, sink, cancel);
  } catch (const MysqlError& e) {
    throw_for(m_options, e);
  }
}

// ---------------------------------------------------------------- test-connection

// 'user'@'host' of CURRENT_USER(), as GRANT statements and the
// *_PRIVILEGES tables write it.
std::string grantee(Connection& c) {
  std::string user = c.value("SELECT CURRENT_USER()").value_or("");
  auto at = user.rfind('@');
  if (at == std::string::npos) return "'" + user + "'";
  return "'" + user.substr(0, at) + "'@'" + user.substr(at + 1) + "'";
}

// Whether the current user (or its current role) holds `privilege` globally
// or on `database` (database-level grants may use LIKE wildcards).
bool has_privilege(Connection& c, const std::string& database, const std::string& privilege) {
  const std::string who =
      "GRANTEE IN (CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', "
      "SUBSTRING_INDEX(CURRENT_USER(), '@', -1), ''''), CONCAT('''', COALESCE(" +
      std::string(c.is_mariadb() ? "CURRENT_ROLE()" : "NULL") + ", ''), ''''))";
  const std::string sql = fmt::format(
      "SELECT (SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES WHERE {0} AND "
      "PRIVILEGE_TYPE = {1}) + (SELECT COUNT(*) FROM information_schema.SCHEMA_PRIVILEGES WHERE "
      "{0} AND PRIVILEGE_TYPE = {1} AND {2} LIKE TABLE_SCHEMA)",
      who, literal(privilege), literal(database));
  return c.value(sql).value_or("0") != "0";
}

TestReport MysqlExtractor::test_connection(const core::CancelToken& cancel) {
  (void)cancel;
  TestReport report;
  report.source = m_options.source;
  StepRunner steps(report);
  const ConnectOptions& co = m_options.connect;

  steps.run("resolve", [&] {
    if (co.socket) {
      struct stat st {};
      if (::stat(co.socket->c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) {
        core::throw_connection(fmt::format("socket '{}' does not exist", *co.socket),
                               "check `socket`: the path of the server's unix socket");
      }
      return;
    }
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    int rc = ::getaddrinfo(co.host.c_str(), nullptr, &hints, &found);
    if (rc != 0) {
      core::throw_connection(fmt::format("cannot resolve host '{}': {}", co.host, gai_strerror(rc)),
                             "check `host` and DNS");
    }
    ::freeaddrinfo(found);
  });

  std::unique_ptr<Connection> c;
  std::optional<MysqlError> connect_error;
  if (!steps.failed()) {
    try {
      c = std::make_unique<Connection>(co);
    } catch (const MysqlError& e) {
      connect_error = e;
    }
  }
  steps.run("connect", [&] {
    if (connect_error && connect_error->kind() != FailureKind::authenticate) {
      core::throw_connection(connect_error->what(),
                             "check `host` and `port`, that the server runs and accepts TCP "
                             "connections from this host, and that the ODBC driver is installed");
    }
  });
  if (steps.failed()) {
    steps.skip("tls", "the server was not reached");
  } else if (connect_error) {
    steps.skip("tls", "the login was refused before the session could be checked");
  } else if (!co.ssl) {
    steps.skip("tls", "TLS not requested (set ssl = true to insist on it)");
  } else {
    steps.run("tls", [&] {
      if (!c->ssl_in_use()) core::throw_connection("the session is not encrypted", "");
    });
  }
  steps.run("authenticate", [&] {
    if (connect_error) {
      core::throw_connection(connect_error->what(),
                             "check `user` and the password, and the account's host part");
    }
  });
  steps.run("server_version", [&] {
    const int v = c->version_number();
    const bool ok = c->is_mariadb() ? v >= 100300 : v >= 80000;
    if (!ok) {
      core::throw_connection(fmt::format("server version {} is not supported", c->server_version()),
                             "connctl reads MariaDB 10.3+ and MySQL 8.0+");
    }
  });
  if (steps.failed()) return report;

  std::vector<std::string> databases;
  steps.run("list_databases", [&] {
    try {
      databases = databases_to_read(*c, Filter());
    } catch (const MysqlError& e) {
      core::throw_connection(e.what(), "");
    }
    if (databases.empty()) {
      core::throw_connection("the user sees no database besides the system ones",
                             "GRANT SELECT, SHOW VIEW, TRIGGER, EVENT ON <database>.* TO <user>");
    }
  });
  if (steps.failed()) return report;
  const std::string who = grantee(*c);

  for (const auto& db : databases) {
    const std::string on = quote_identifier(db) + ".*";
    auto probe = [&](const std::string& step, const std::function<void()>& fn) {
      steps.run(fmt::format("{}:{}", step, db), [&] {
        try {
          fn();
        } catch (const MysqlError& e) {
          core::throw_connection(e.what(), "");
        }
      });
    };
    probe("read_tables", [&] {
      if (!has_privilege(*c, db, "SELECT")) {
        core::throw_connection(
            fmt::format("user {} holds no SELECT on database '{}': information_schema shows only "
                        "the objects a user holds a privilege on",
                        who, db),
            fmt::format("GRANT SELECT ON {} TO {}", on, who));
      }
    });
    probe("read_view_definitions", [&] {
      const std::string hidden =
          c->value("SELECT COUNT(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = " +
                   literal(db) + " AND VIEW_DEFINITION = ''")
              .value_or("0");
      if (hidden != "0" || !has_privilege(*c, db, "SHOW VIEW")) {
        core::throw_connection(
            fmt::format("user {} lacks SHOW VIEW on database '{}': view definitions (and view "
                        "lineage) cannot be read{}",
                        who, db, hidden != "0" ? fmt::format(" ({} views now)", hidden) : ""),
            fmt::format("GRANT SHOW VIEW ON {} TO {}", on, who));
      }
    });
    probe("read_triggers", [&] {
      if (!has_privilege(*c, db, "TRIGGER")) {
        core::throw_connection(
            fmt::format("user {} lacks TRIGGER on database '{}': its triggers are not listed", who,
                        db),
            fmt::format("GRANT TRIGGER ON {} TO {}", on, who));
      }
    });
    probe("read_events", [&] {
      if (!has_privilege(*c, db, "EVENT")) {
        core::throw_connection(
            fmt::format("user {} lacks EVENT on database '{}': its events are not listed", who, db),
            fmt::format("GRANT EVENT ON {} TO {}", on, who));
      }
    });
    probe("read_routine_definitions", [&] {
      const std::string hidden =
          c->value("SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = " +
                   literal(db) + " AND ROUTINE_DEFINITION IS NULL")
              .value_or("0");
      if (hidden != "0") {
        const bool show_routine = c->is_mariadb() ? c->version_number() >= 110300 : true;
        core::throw_connection(
            fmt::format("user {} cannot read the definitions of {} routines of database '{}'", who,
                        hidden, db),
            show_routine ? fmt::format("GRANT {} ON {} TO {}",
                                       c->is_mariadb() ? "SHOW CREATE ROUTINE" : "SHOW_ROUTINE",
                                       c->is_mariadb() ? on : std::string("*.*"), who)
                         : fmt::format("GRANT SELECT ON mysql.proc TO {}", who));
      }
    });
  }
  return report;
}

// ---------------------------------------------------------------- settings

core::Settings settings_from_url(const core::Url& url, std::string& proposed_name) {
  core::Settings settings = server_url_settings(url, "database");
  auto put = [&](const std::string& key, core::SettingValue value, bool secret = false) {
    put_url_setting(settings, key, std::move(value), secret);
  };
  for (const auto& [key, value] : url.query) {
    if (key == "ssl" || key == "ssl_verify") {
      if (value != "true" && value != "false" && value != "1" && value != "0")
        core::throw_usage(fmt::format("mysql URL: {} must be true or false", key));
      put(key, value == "true" || value == "1");
    } else if (key == "ssl_ca" || key == "ssl_cert" || key == "ssl_key" || key == "driver" ||
               key == "socket") {
      put(key, value);
    } else if (key == "connect_timeout") {
      auto ms = core::parse_duration_ms(value);
      if (!ms) core::throw_usage(fmt::format("mysql URL: bad connect_timeout '{}'", value));
      put("connect_timeout", *ms);
    } else {
      core::throw_usage(fmt::format("mysql URL: unknown parameter '{}'", key),
                        "known: ssl, ssl_verify, ssl_ca, ssl_cert, ssl_key, socket, driver, "
                        "connect_timeout; set the others in a [[source]] of the config file");
    }
  }
  if (settings.has("database"))
    proposed_name = *settings.get_string("database");
  else if (settings.has("host"))
    proposed_name = *settings.get_string("host");
  else
    proposed_name = "mysql";
  return settings;
}

std::unique_ptr<Extractor> make_extractor(const SourceSpec& spec) {
  Options o;
  o.source = spec.name;
  const core::Settings& s = spec.settings;
  ConnectOptions& c = o.connect;
  if (auto v = s.get_string("host")) c.host = *v;
  if (auto v = s.get_string("socket")) c.socket = *v;
  if (auto v = s.get_string("user")) c.user = *v;
  if (auto v = s.get_string("driver")) c.driver = *v;
  if (auto v = s.get_string("password")) {
    core::register_secret(*v);
    c.password = *v;
  }
  if (auto port = s.get_integer("port")) {
    if (*port <= 0 || *port > 65535) {
      core::throw_usage(fmt::format("{}: mysql source '{}': port {} out of range",
                                    s.find("port")->where.str(), spec.name, *port));
    }
    c.port = static_cast<int>(*port);
  }
  c.connect_timeout_s = std::max<std::int64_t>(
      1,
      (s.get_duration_ms("connect_timeout").value_or(k_default_connect_timeout_ms) + 999) / 1000);
  c.read_timeout_s = std::max<std::int64_t>(
      1, (s.get_duration_ms("read_timeout").value_or(k_default_read_timeout_ms) + 999) / 1000);
  c.ssl = s.get_bool("ssl").value_or(false);
  c.ssl_verify = s.get_bool("ssl_verify").value_or(false);
  if (auto v = s.get_string("ssl_ca")) c.ssl_ca = *v;
  if (auto v = s.get_string("ssl_cert")) c.ssl_cert = *v;
  if (auto v = s.get_string("ssl_key")) c.ssl_key = *v;
  if (c.ssl_verify || c.ssl_ca || c.ssl_cert) c.ssl = true;

  if (auto p = s.get_integer("parallelism")) {
    if (*p < 1 || *p > 16) {
      core::throw_usage(fmt::format("{}: mysql source '{}': parallelism must be 1 to 16",
                                    s.find("parallelism")->where.str(), spec.name));
    }
    o.parallelism = static_cast<int>(*p);
  }
  auto database = s.get_string("database");
  o.databases = s.get_string_list("databases");
  if (database && o.databases) {
    core::throw_usage(fmt::format("{}: mysql source '{}': set `database` or `databases`, not both",
                                  s.find("databases")->where.str(), spec.name));
  }
  if (database) o.databases = std::vector<std::string>{*database};
  if (o.databases && o.databases->empty()) {
    core::throw_usage(fmt::format("{}: mysql source '{}': `databases` is empty",
                                  s.find("databases")->where.str(), spec.name),
                      "list database names, or [\"*\"] for every database");
  }
  return std::make_unique<MysqlExtractor>(std::move(o));
}

ExtractorInfo mysql_registration() {
  ExtractorInfo info;
  info.type = "mysql";
  info.description =
      "MySQL 8 and MariaDB 10.3+ through MariaDB Connector/ODBC (databases, tables, partitions, "
      "views, columns, constraints, indexes, routines, triggers, events, column-level view "
      "lineage)";
  info.url_schemes = {"mysql", "mariadb"};
  using core::KeyType;
  info.keys = {
      {"host", KeyType::string, false, false, "server host name or address", "localhost"},
      {"port", KeyType::integer, false, false, "server port", "3306"},
      {"socket", KeyType::string, false, false, "unix socket path (instead of host and port)", ""},
      {"user", KeyType::string, false, false, "user to log in as", ""},
      {"password", KeyType::string, false, true, "password; prefer a ${env:} or ${file:} reference",
       ""},
      {"database", KeyType::string, false, false,
       "the one database to read (unset: every non-system database)", ""},
      {"databases", KeyType::string_list, false, false,
       "databases to read; [\"*\"] = every non-system database the user can see", ""},
      {"driver", KeyType::string, false, false, "ODBC driver name in odbcinst.ini",
       "MariaDB Unicode"},
      {"ssl", KeyType::boolean, false, false, "insist on TLS", "false"},
      {"ssl_verify", KeyType::boolean, false, false, "verify the server certificate", "false"},
      {"ssl_ca", KeyType::string, false, false, "CA certificate file", ""},
      {"ssl_cert", KeyType::string, false, false, "client certificate file", ""},
      {"ssl_key", KeyType::string, false, false, "client key file", ""},
      {"connect_timeout", KeyType::duration, false, false, "how long to wait for a connection",
       "10s"},
      {"read_timeout", KeyType::duration, false, false, "limit for each catalog query's reply",
       "5m"},
      {"parallelism", KeyType::integer, false, false,
       "sessions running catalog queries at once (1: one session)", "3"},
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

CONNCTL_REGISTER_EXTRACTOR(mysql_registration());

}  // namespace connctl::extractors::mysql
