// The generic ODBC extractor (`type = "odbc"`): any driver unixODBC can load,
// read through the catalog functions only. SQLTables, SQLColumns and
// SQLProcedures run once over the whole catalog; SQLPrimaryKeys,
// SQLForeignKeys and SQLStatistics take one table name each (the ODBC
// specification makes the table argument mandatory), so they run once per
// table. What ODBC can express is what this emits: see docs/sources/odbc.md.

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/error.hpp"
#include "core/log.hpp"
#include "extractors/odbc/odbc.hpp"
#include "extractors/registry.hpp"
#include "extractors/url_settings.hpp"
#include "schema/fqn.hpp"

namespace connctl::extractors::odbc {
namespace {

using schema::EntityBuilder;
using schema::EntityKind;
using schema::Fqn;
using schema::Value;

constexpr std::int64_t k_default_login_timeout_ms = 15000;
constexpr std::int64_t k_default_query_timeout_ms = 5 * 60 * 1000;

struct Options {
  std::string source;
  ConnectOptions connect;
  std::optional<std::string> catalog;  // catalog-function argument (exact name)
  std::optional<std::string> schema;   // catalog-function argument (pattern)
  std::string database_name;           // the database level when the driver names no catalog
};

// Where a table lives, as the driver names it (empty: the driver has no such level).
struct TableKey {
  std::string catalog;
  std::string schema;
  std::string name;
  friend auto operator<=>(const TableKey&, const TableKey&) = default;
};

struct TableInfo {
  std::string type;  // TABLE, VIEW, MATERIALIZED VIEW
  std::optional<std::string> remarks;
  Fqn fqn;
};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::optional<std::string> non_empty(std::optional<std::string> value) {
  if (value && value->empty()) return std::nullopt;
  return value;
}

std::optional<std::string> arg(const std::string& value) {
  if (value.empty()) return std::nullopt;
  return value;
}

std::string rule_name(std::optional<std::int64_t> rule) {
  switch (rule.value_or(-1)) {
    case SQL_CASCADE:
      return "CASCADE";
    case SQL_RESTRICT:
      return "RESTRICT";
    case SQL_SET_NULL:
      return "SET NULL";
    case SQL_NO_ACTION:
      return "NO ACTION";
    case SQL_SET_DEFAULT:
      return "SET DEFAULT";
    default:
      return "";
  }
}

std::string odbc_type_name(std::int64_t type) {
  switch (type) {
    case SQL_CHAR:
      return "CHAR";
    case SQL_VARCHAR:
      return "VARCHAR";
    case SQL_LONGVARCHAR:
      return "LONGVARCHAR";
    case SQL_WCHAR:
      return "WCHAR";
    case SQL_WVARCHAR:
      return "WVARCHAR";
    case SQL_WLONGVARCHAR:
      return "WLONGVARCHAR";
    case SQL_DECIMAL:
      return "DECIMAL";
    case SQL_NUMERIC:
      return "NUMERIC";
    case SQL_SMALLINT:
      return "SMALLINT";
    case SQL_INTEGER:
      return "INTEGER";
    case SQL_REAL:
      return "REAL";
    case SQL_FLOAT:
      return "FLOAT";
    case SQL_DOUBLE:
      return "DOUBLE";
    case SQL_BIT:
      return "BIT";
    case SQL_TINYINT:
      return "TINYINT";
    case SQL_BIGINT:
      return "BIGINT";
    case SQL_BINARY:
      return "BINARY";
    case SQL_VARBINARY:
      return "VARBINARY";
    case SQL_LONGVARBINARY:
      return "LONGVARBINARY";
    case SQL_TYPE_DATE:
      return "DATE";
    case SQL_TYPE_TIME:
      return "TIME";
    case SQL_TYPE_TIMESTAMP:
      return "TIMESTAMP";
    case SQL_GUID:
      return "GUID";
    default:
      return std::to_string(type);
  }
}

std::optional<EntityKind> kind_of_table_type(const std::string& type) {
  if (type == "TABLE" || type == "FOREIGN TABLE") return EntityKind::table;
  if (type == "VIEW") return EntityKind::view;
  if (type == "MATERIALIZED VIEW") return EntityKind::materialized_view;
  return std::nullopt;  // SYSTEM TABLE, SYSTEM VIEW, ALIAS, SYNONYM, TEMPORARY …
}

schema::Array string_array(const std::vector<std::string>& values) {
  schema::Array out;
  for (const auto& v : values) out.emplace_back(v);
  return out;
}

class OdbcExtractor final : public Extractor {
 public:
  explicit OdbcExtractor(Options options) : m_options(std::move(options)) {}

  TestReport test_connection(const core::CancelToken& cancel) override;
  ExtractResult extract(const ExtractRequest& request, schema::EntitySink& sink,
                        const core::CancelToken& cancel) override;

 private:
  std::string where() const {
    if (!m_options.connect.dsn.empty()) return fmt::format("DSN '{}'", m_options.connect.dsn);
    if (!m_options.connect.driver.empty())
      return fmt::format("driver '{}'", m_options.connect.driver);
    return "the connection string";
  }
  // Turns a layer error into the command's error, named after the source.
  [[noreturn]] void rethrow(const core::Error& e) const {
    throw core::Error(e.code(), fmt::format("odbc source '{}': {}", m_options.source, e.what()),
                      e.hint());
  }
  std::optional<std::string> schema_argument(Connection& connection) const {
    if (m_options.schema) return m_options.schema;
    // psqlodbc reads a NULL schema as "the search path only": ask for all.
    if (connection.info_uint(SQL_SCHEMA_USAGE) != 0) return std::string("%");
    return std::nullopt;
  }
  std::string database_of(const std::string& catalog) const {
    return catalog.empty() ? m_options.database_name : catalog;
  }
  Fqn table_fqn(const TableKey& key) const {
    std::vector<std::string> parts{m_options.source, database_of(key.catalog)};
    if (!key.schema.empty()) parts.push_back(key.schema);
    parts.push_back(key.name);
    return Fqn(std::move(parts));
  }
  std::vector<std::string> path_of(const Fqn& fqn) const {
    const auto& c = fqn.components();
    return std::vector<std::string>(c.begin() + 1, c.end());
  }

  Options m_options;
};

TestReport OdbcExtractor::test_connection(const core::CancelToken& cancel) {
  TestReport report;
  report.source = m_options.source;
  StepRunner steps(report);
  std::vector<std::string> drivers;
  steps.run("driver_manager", [&] {
    Environment env;
    drivers = env.drivers();
  });
  if (!m_options.connect.driver.empty()) {
    steps.run("driver", [&] {
      if (std::find(drivers.begin(), drivers.end(), m_options.connect.driver) == drivers.end()) {
        std::string known;
        for (const auto& d : drivers) known += (known.empty() ? "" : ", ") + d;
        core::throw_connection(
            fmt::format("ODBC driver '{}' is not installed", m_options.connect.driver),
            fmt::format("installed drivers (odbcinst -q -d): {}", known.empty() ? "none" : known));
      }
    });
  } else {
    steps.skip("driver", "the driver is named by the DSN or the connection string");
  }
  std::unique_ptr<Connection> connection;
  std::optional<OdbcError> connect_error;
  if (!steps.failed()) {
    try {
      connection = std::make_unique<Connection>(m_options.connect, &cancel);
    } catch (const OdbcError& e) {
      connect_error = e;
    }
  }
  steps.run("connect", [&] {
    if (connect_error && !is_authentication_failure(*connect_error)) throw *connect_error;
  });
  steps.run("authenticate", [&] {
    if (connect_error) throw *connect_error;
  });
  if (steps.failed() || !connection) return report;
  std::optional<std::string> schema_arg;
  steps.run("list_tables", [&] {
    schema_arg = schema_argument(*connection);
    Statement st = connection->statement();
    st.tables(m_options.catalog, schema_arg, std::string("%"), std::nullopt);
    st.for_each([](const Row&) {});
  });
  steps.run("read_columns", [&] {
    Statement st = connection->statement();
    st.columns(m_options.catalog, schema_arg, std::string("%"), std::string("%"));
    st.for_each([](const Row&) {});
  });
  steps.run("read_procedures", [&] {
    Statement st = connection->statement();
    st.procedures(m_options.catalog, schema_arg, std::string("%"));
    st.for_each([](const Row&) {});
  });
  return report;
}

ExtractResult OdbcExtractor::extract(const ExtractRequest& request, schema::EntitySink& sink,
                                     const core::CancelToken& cancel) {
  ExtractResult result;
  std::unique_ptr<Connection> connection;
  try {
    connection = std::make_unique<Connection>(m_options.connect, &cancel);
  } catch (const core::Error& e) {
    rethrow(e);
  }
  const std::string& source = m_options.source;
  std::map<TableKey, TableInfo> tables;
  std::set<std::string> catalogs;
  std::set<std::pair<std::string, std::string>> schemas;  // (catalog, schema)
  std::map<TableKey, std::vector<std::pair<std::int64_t, schema::Entity>>> columns;
  std::vector<schema::Entity> routines;
  std::string dbms;
  std::string dbms_version;
  std::optional<std::string> schema_arg;
  try {
    dbms = connection->dbms_name();
    dbms_version = connection->dbms_version();
    schema_arg = schema_argument(*connection);
    Statement st = connection->statement();
    st.tables(m_options.catalog, schema_arg, std::string("%"), std::nullopt);
    st.for_each([&](const Row& r) {
      TableKey key{r.str(0), r.str(1), r.str(2)};
      std::string type = r.str(3);
      auto kind = kind_of_table_type(type);
      if (!kind) return;
      Fqn fqn = table_fqn(key);
      if (!request.filter.matches(path_of(fqn))) return;
      catalogs.insert(key.catalog);
      if (!key.schema.empty()) schemas.insert({key.catalog, key.schema});
      tables[key] = TableInfo{type, non_empty(r.opt(4)), std::move(fqn)};
    });
    // Schemas without tables: the ODBC enumeration of schemas, where the
    // driver has one ("" catalog, "%" schema, "" table).
    if (connection->info_uint(SQL_SCHEMA_USAGE) != 0) {
      std::set<std::string> system_only;
      try {
        st.tables(std::string(""), std::string("%"), std::string(""), std::string(""));
        std::vector<std::string> listed;
        st.for_each([&](const Row& r) {
          if (auto s = non_empty(r.opt(1))) listed.push_back(*s);
        });
        // A schema holding only system objects (pg_catalog, information_schema) is not emitted.
        std::set<std::string> user_schemas;
        std::set<std::string> system_schemas;
        st.tables(m_options.catalog, schema_arg, std::string("%"), std::nullopt);
        st.for_each([&](const Row& r) {
          (kind_of_table_type(r.str(3)) ? user_schemas : system_schemas).insert(r.str(1));
        });
        std::string catalog =
            catalogs.empty() ? connection->info_string(SQL_DATABASE_NAME) : *catalogs.begin();
        for (const auto& s : listed) {
          if (system_schemas.count(s) && !user_schemas.count(s)) continue;
          if (s.rfind("pg_", 0) == 0) continue;  // pg_toast and friends: no ODBC-visible objects
          if (!request.filter.may_contain({database_of(catalog), s})) continue;
          catalogs.insert(catalog);
          schemas.insert({catalog, s});
        }
      } catch (const OdbcError& e) {
        sink.on_warning(
            {source, fmt::format("schemas without tables not listed: {}", e.what()), false});
      }
    }
    if (catalogs.empty()) catalogs.insert(std::string());
    st.columns(m_options.catalog, schema_arg, std::string("%"), std::string("%"));
    st.for_each([&](const Row& r) {
      TableKey key{r.str(0), r.str(1), r.str(2)};
      auto it = tables.find(key);
      if (it == tables.end()) return;
      EntityBuilder b(source, EntityKind::column, it->second.fqn.child(r.view(3)));
      b.set("data_type", r.str(5));
      if (auto t = r.integer(4)) b.set("odbc_type", odbc_type_name(*t));
      if (auto size = r.integer(6)) b.set("column_size", *size);
      if (auto digits = r.integer(8)) b.set("decimal_digits", *digits);
      if (auto nullable = r.integer(10); nullable && *nullable != SQL_NULLABLE_UNKNOWN)
        b.set("nullable", *nullable == SQL_NULLABLE);
      b.set_optional("comment", non_empty(r.opt(11)));
      if (r.size() > 12) b.set_optional("default", r.opt(12));
      std::int64_t ordinal = 0;
      if (r.size() > 16) {
        ordinal = r.integer(16).value_or(0);
        b.set("ordinal", ordinal);
      }
      columns[key].emplace_back(ordinal, b.build());
    });
    st.procedures(m_options.catalog, schema_arg, std::string("%"));
    std::set<std::string> seen;
    st.for_each([&](const Row& r) {
      std::string catalog = r.str(0);
      std::string schema_name = r.str(1);
      if (schema_name == "pg_catalog" || schema_name == "information_schema") return;
      std::vector<std::string> parts{source, database_of(catalog)};
      if (!schema_name.empty()) parts.push_back(schema_name);
      parts.push_back(r.str(2));
      Fqn fqn(std::move(parts));
      if (!request.filter.matches(path_of(fqn))) return;
      if (!seen.insert(fqn.str()).second) return;  // overloads share a name in ODBC
      EntityBuilder b(source, EntityKind::routine, fqn);
      b.set("routine_name", r.str(2));
      auto type = r.integer(7).value_or(SQL_PT_UNKNOWN);
      b.set("routine_type", type == SQL_PT_PROCEDURE  ? "procedure"
                            : type == SQL_PT_FUNCTION ? "function"
                                                      : "unknown");
      b.set_optional("comment", non_empty(r.opt(6)));
      routines.push_back(b.build());
    });
  } catch (const core::Error& e) {
    rethrow(e);
  }

  // Emit: databases, schemas, then every table with its columns, keys and
  // indexes, then routines; all in name order.
  for (const auto& catalog : catalogs) {
    EntityBuilder b(source, EntityKind::database, Fqn({source, database_of(catalog)}));
    b.set("engine", dbms);
    b.set("dbms_version", dbms_version);
    b.set("driver", connection->driver_name());
    sink.on_entity(b.build());
  }
  for (const auto& [catalog, name] : schemas) {
    sink.on_entity(
        EntityBuilder(source, EntityKind::schema, Fqn({source, database_of(catalog), name}))
            .build());
  }
  std::set<std::string> partial_containers;
  for (const auto& [key, info] : tables) {
    if (cancel.cancelled())
      throw core::Error(core::ExitCode::interrupted,
                        fmt::format("odbc source '{}': extraction interrupted", source));
    EntityBuilder tb(source, *kind_of_table_type(info.type), info.fqn);
    if (info.type == "TABLE") tb.set("table_type", "base");
    if (info.type == "FOREIGN TABLE") tb.set("table_type", "foreign");
    tb.set_optional("comment", info.remarks);
    sink.on_entity(tb.build());
    auto& cols = columns[key];
    std::stable_sort(cols.begin(), cols.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& c : cols) sink.on_entity(c.second);
    if (*kind_of_table_type(info.type) != EntityKind::table) continue;
    try {
      Statement st = connection->statement();
      std::vector<schema::Entity> children;
      // Primary key.
      st.primary_keys(arg(key.catalog), arg(key.schema), key.name);
      std::map<std::int64_t, std::string> pk_columns;
      std::string pk_name;
      st.for_each([&](const Row& r) {
        pk_columns[r.integer(4).value_or(0)] = r.str(3);
        if (auto n = non_empty(r.opt(5))) pk_name = *n;
      });
      if (!pk_columns.empty()) {
        if (pk_name.empty()) pk_name = key.name + "_pkey";
        std::vector<std::string> names;
        for (auto& [seq, name] : pk_columns) names.push_back(name);
        EntityBuilder b(source, EntityKind::constraint, info.fqn.child(pk_name));
        b.set("constraint_type", "primary_key");
        b.set("columns", string_array(names));
        children.push_back(b.build());
      }
      // Foreign keys, one constraint per FK_NAME (or per KEY_SEQ run when unnamed).
      st.foreign_keys(arg(key.catalog), arg(key.schema), key.name);
      struct Fk {
        std::string name;
        TableKey referenced;
        std::map<std::int64_t, std::pair<std::string, std::string>> pairs;
        std::string on_update, on_delete;
      };
      std::vector<Fk> fks;
      st.for_each([&](const Row& r) {
        std::int64_t seq = r.integer(8).value_or(1);
        std::string name = r.str(11);
        bool start = fks.empty() || (name.empty() ? seq == 1 : fks.back().name != name);
        if (start) {
          fks.push_back(Fk{name,
                           TableKey{r.str(0), r.str(1), r.str(2)},
                           {},
                           rule_name(r.integer(9)),
                           rule_name(r.integer(10))});
        }
        fks.back().pairs[seq] = {r.str(7), r.str(3)};
      });
      for (std::size_t i = 0; i < fks.size(); ++i) {
        Fk& fk = fks[i];
        if (fk.name.empty()) fk.name = fmt::format("{}_fkey{}", key.name, i + 1);
        std::vector<std::string> from, to;
        for (auto& [seq, pair] : fk.pairs) {
          from.push_back(pair.first);
          to.push_back(pair.second);
        }
        EntityBuilder b(source, EntityKind::constraint, info.fqn.child(fk.name));
        b.set("constraint_type", "foreign_key");
        b.set("columns", string_array(from));
        b.set("referenced_table", table_fqn(fk.referenced).str());
        b.set("referenced_columns", string_array(to));
        if (!fk.on_update.empty()) b.set("on_update", fk.on_update);
        if (!fk.on_delete.empty()) b.set("on_delete", fk.on_delete);
        children.push_back(b.build());
      }
      // Indexes.
      st.statistics(arg(key.catalog), arg(key.schema), key.name);
      struct Index {
        bool unique = false;
        std::int64_t type = 0;
        std::map<std::int64_t, std::pair<std::string, bool>> columns;  // name, descending
        std::optional<std::string> filter;
      };
      std::map<std::string, Index> indexes;
      st.for_each([&](const Row& r) {
        auto type = r.integer(6).value_or(SQL_TABLE_STAT);
        auto name = non_empty(r.opt(5));
        if (type == SQL_TABLE_STAT || !name) return;
        Index& ix = indexes[*name];
        ix.unique = r.integer(3).value_or(1) == 0;
        ix.type = type;
        ix.columns[r.integer(7).value_or(0)] = {r.str(8), r.view(9) == "D"};
        if (r.size() > 12) ix.filter = non_empty(r.opt(12));
      });
      for (auto& [name, ix] : indexes) {
        schema::Array index_columns;
        for (auto& [seq, column] : ix.columns) {
          schema::Object c{{"name", Value(column.first)}};
          if (column.second) c.emplace_back("descending", Value(true));
          index_columns.emplace_back(std::move(c));
        }
        EntityBuilder b(source, EntityKind::index, info.fqn.child(name));
        b.set("unique", ix.unique);
        b.set("columns", std::move(index_columns));
        b.set("index_type", ix.type == SQL_INDEX_CLUSTERED ? "clustered"
                            : ix.type == SQL_INDEX_HASHED  ? "hashed"
                                                           : "other");
        b.set_optional("predicate", ix.filter);
        children.push_back(b.build());
      }
      std::sort(children.begin(), children.end(),
                [](const schema::Entity& a, const schema::Entity& b) {
                  return std::tie(a.kind, a.fqn) < std::tie(b.kind, b.fqn);
                });
      for (const auto& c : children) sink.on_entity(c);
    } catch (const OdbcError& e) {
      sink.on_warning(
          {info.fqn.str(), fmt::format("keys and indexes not read: {}", e.what()), true});
      partial_containers.insert(info.fqn.parent().str());
    }
  }
  std::sort(routines.begin(), routines.end(),
            [](const schema::Entity& a, const schema::Entity& b) { return a.fqn < b.fqn; });
  for (const auto& r : routines) sink.on_entity(r);

  for (const auto& catalog : catalogs) {
    std::string fqn = Fqn({source, database_of(catalog)}).str();
    result.completeness.push_back({fqn, EntityKind::database, !partial_containers.count(fqn)});
  }
  for (const auto& [catalog, name] : schemas) {
    std::string fqn = Fqn({source, database_of(catalog), name}).str();
    result.completeness.push_back({fqn, EntityKind::schema, !partial_containers.count(fqn)});
  }
  return result;
}

core::Settings settings_from_url(const core::Url& url, std::string& proposed_name) {
  if (url.host.empty())
    core::throw_usage("odbc URL names no data source", "write odbc://DSN (a DSN of odbc.ini)");
  if (url.user || url.password || url.port || (!url.path.empty() && url.path != "/") ||
      !url.query.empty()) {
    core::throw_usage("odbc URL: only odbc://DSN is understood",
                      "set uid, pwd and other keys in a [[source]] of the config file");
  }
  core::Settings settings;
  put_url_setting(settings, "dsn", url.host);
  proposed_name = url.host;
  return settings;
}

std::unique_ptr<Extractor> make_extractor(const SourceSpec& spec) {
  Options o;
  o.source = spec.name;
  const core::Settings& s = spec.settings;
  auto dsn = s.get_string("dsn");
  auto driver = s.get_string("driver");
  auto connection_string = s.get_string("connection_string");
  int given = (dsn ? 1 : 0) + (driver ? 1 : 0) + (connection_string ? 1 : 0);
  if (given != 1) {
    core::throw_usage(
        fmt::format("{}: odbc source '{}' needs exactly one of dsn, driver or connection_string",
                    spec.origin, spec.name),
        "e.g. driver = \"PostgreSQL Unicode\" with server, port, database, uid and pwd");
  }
  o.connect.dsn = dsn.value_or("");
  o.connect.driver = driver.value_or("");
  o.connect.connection_string = connection_string;
  for (const char* key : {"server", "port", "database", "uid", "pwd"}) {
    const core::Setting* setting = s.find(key);
    if (!setting) continue;
    std::string value;
    if (const auto* text = std::get_if<std::string>(&setting->value)) {
      value = *text;
    } else if (const auto* number = std::get_if<std::int64_t>(&setting->value)) {
      value = std::to_string(*number);
    }
    std::string upper = key;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    o.connect.attributes.push_back({upper, value, setting->secret || upper == "PWD"});
  }
  bool no_create_given = false;
  if (auto extra = s.get_string_table("attributes")) {
    for (const auto& [key, value] : *extra) {
      o.connect.attributes.push_back({key, value, false});
      if (iequals(key, "NoCreat")) no_create_given = true;
    }
  }
  // sqliteodbc creates a missing database file; a metadata reader must not.
  std::string lower_driver = o.connect.driver;
  std::transform(lower_driver.begin(), lower_driver.end(), lower_driver.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower_driver.find("sqlite") != std::string::npos && !no_create_given)
    o.connect.attributes.push_back({"NoCreat", "1", false});
  o.connect.login_timeout = std::chrono::seconds(
      (s.get_duration_ms("login_timeout").value_or(k_default_login_timeout_ms) + 999) / 1000);
  o.connect.query_timeout = std::chrono::seconds(
      (s.get_duration_ms("query_timeout").value_or(k_default_query_timeout_ms) + 999) / 1000);
  o.connect.read_only = true;
  o.catalog = s.get_string("catalog");
  o.schema = s.get_string("schema");
  o.database_name = s.get_string("database_name").value_or("");
  if (o.database_name.empty()) {
    o.database_name = s.get_string("database").value_or(dsn.value_or("default"));
  }
  return std::make_unique<OdbcExtractor>(std::move(o));
}

ExtractorInfo odbc_registration() {
  ExtractorInfo info;
  info.type = "odbc";
  info.description =
      "any ODBC driver, through the catalog functions (tables, views, columns, keys, indexes, "
      "procedures)";
  info.url_schemes = {"odbc"};
  info.keys = {
      {"dsn", core::KeyType::string, false, false, "a data source of odbc.ini", ""},
      {"driver", core::KeyType::string, false, false,
       "a driver of odbcinst.ini, e.g. \"PostgreSQL Unicode\"", ""},
      {"connection_string", core::KeyType::string, false, true,
       "a whole ODBC connection string (a secret: it may hold PWD=)", ""},
      {"server", core::KeyType::string, false, false, "SERVER= of the connection string", ""},
      {"port", core::KeyType::integer, false, false, "PORT= of the connection string", ""},
      {"database", core::KeyType::string, false, false, "DATABASE= of the connection string", ""},
      {"uid", core::KeyType::string, false, false, "UID= of the connection string", ""},
      {"pwd", core::KeyType::string, false, true, "PWD= of the connection string", ""},
      {"attributes", core::KeyType::string_table, false, false,
       "more connection-string keys: KEY -> value (brace-quoted as needed)", ""},
      {"catalog", core::KeyType::string, false, false,
       "the catalog to read (default: the connection's current one)", ""},
      {"schema", core::KeyType::string, false, false,
       "a schema pattern for the catalog functions (% and _)", "%"},
      {"database_name", core::KeyType::string, false, false,
       "the database level of FQNs when the driver names no catalog (SQLite: main)",
       "database, else the DSN"},
      {"login_timeout", core::KeyType::duration, false, false, "SQL_ATTR_LOGIN_TIMEOUT", "15s"},
      {"query_timeout", core::KeyType::duration, false, false,
       "SQL_ATTR_QUERY_TIMEOUT of each catalog call", "5m"},
  };
  info.capabilities.lineage = false;
  info.capabilities.stats = false;
  info.capabilities.incremental = false;
  info.settings_from_url = settings_from_url;
  info.factory = make_extractor;
  return info;
}

}  // namespace

CONNCTL_REGISTER_EXTRACTOR(odbc_registration());

}  // namespace connctl::extractors::odbc
