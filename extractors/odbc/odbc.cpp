#include "extractors/odbc/odbc.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>

#include "core/secrets.hpp"

namespace connctl::extractors::odbc {
namespace {

constexpr std::size_t k_numeric_bytes = 64;  // any number, date, time or interval as text
constexpr std::size_t k_getdata_chunk = 16384;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Calls fn(value_begin, value_end) for the value of every PWD= / PASSWORD=
// attribute in text (a connection string or a message quoting one).
void for_each_password(std::string_view text,
                       const std::function<void(std::size_t, std::size_t)>& fn) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i > 0) {
      char before = text[i - 1];
      if (before != ';' && before != '{' && !std::isspace(static_cast<unsigned char>(before)))
        continue;
    }
    std::size_t key_length = 0;
    for (std::string_view key : {std::string_view("PASSWORD"), std::string_view("PWD")}) {
      if (text.size() - i >= key.size() && iequals(text.substr(i, key.size()), key)) {
        key_length = key.size();
        break;
      }
    }
    if (key_length == 0) continue;
    std::size_t j = i + key_length;
    while (j < text.size() && text[j] == ' ') ++j;
    if (j >= text.size() || text[j] != '=') continue;
    std::size_t begin = j + 1;
    std::size_t end = begin;
    if (end < text.size() && text[end] == '{') {
      ++end;
      while (end < text.size()) {
        if (text[end] == '}') {
          if (end + 1 < text.size() && text[end + 1] == '}') {
            end += 2;
            continue;
          }
          ++end;
          break;
        }
        ++end;
      }
    } else {
      while (end < text.size() && text[end] != ';') ++end;
    }
    fn(begin, end);
    i = end;
  }
}

std::string unquote(std::string_view value) {
  if (value.size() < 2 || value.front() != '{' || value.back() != '}') return std::string(value);
  std::string out;
  std::string_view inner = value.substr(1, value.size() - 2);
  for (std::size_t i = 0; i < inner.size(); ++i) {
    out.push_back(inner[i]);
    if (inner[i] == '}' && i + 1 < inner.size() && inner[i + 1] == '}') ++i;
  }
  return out;
}

std::vector<Diagnostic> diagnostics_of(SQLSMALLINT type, SQLHANDLE handle) {
  std::vector<Diagnostic> out;
  if (handle == SQL_NULL_HANDLE) return out;
  for (SQLSMALLINT i = 1;; ++i) {
    SQLCHAR state[6] = {};
    SQLINTEGER native = 0;
    std::vector<SQLCHAR> message(1024);
    SQLSMALLINT length = 0;
    SQLRETURN rc = SQLGetDiagRec(type, handle, i, state, &native, message.data(),
                                 static_cast<SQLSMALLINT>(message.size()), &length);
    if (rc == SQL_SUCCESS_WITH_INFO && static_cast<std::size_t>(length) >= message.size()) {
      message.resize(static_cast<std::size_t>(length) + 1);
      rc = SQLGetDiagRec(type, handle, i, state, &native, message.data(),
                         static_cast<SQLSMALLINT>(message.size()), &length);
    }
    if (!SQL_SUCCEEDED(rc)) break;
    std::string text(
        reinterpret_cast<const char*>(message.data()),
        std::min<std::size_t>(static_cast<std::size_t>(std::max<SQLSMALLINT>(length, 0)),
                              message.size() - 1));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    std::replace(text.begin(), text.end(), '\n', ' ');
    out.push_back({std::string(reinterpret_cast<const char*>(state)), native,
                   core::redact(scrub_connection_string(text))});
  }
  return out;
}

std::string describe(std::string_view operation, const std::vector<Diagnostic>& diagnostics) {
  if (diagnostics.empty())
    return fmt::format("{} failed (the driver gave no diagnostic)", operation);
  std::string out = fmt::format("{} failed:", operation);
  for (std::size_t i = 0; i < diagnostics.size(); ++i) {
    const Diagnostic& d = diagnostics[i];
    out += fmt::format("{} [{}] {}", i == 0 ? "" : ";", d.sqlstate, d.message);
    if (d.native_code != 0) out += fmt::format(" (native {})", d.native_code);
  }
  return out;
}

// A string argument of a catalog function: NULL for nullopt.
struct Arg {
  explicit Arg(const std::optional<std::string>& value)
      : ptr(value ? reinterpret_cast<SQLCHAR*>(const_cast<char*>(value->c_str())) : nullptr),
        length(value ? static_cast<SQLSMALLINT>(value->size()) : 0) {}
  explicit Arg(const std::string& value)
      : ptr(reinterpret_cast<SQLCHAR*>(const_cast<char*>(value.c_str()))),
        length(static_cast<SQLSMALLINT>(value.size())) {}
  SQLCHAR* ptr;
  SQLSMALLINT length;
};

// Bytes a bound SQL_C_CHAR buffer needs for a column (without the
// terminator), or 0 when the column is long and read with SQLGetData.
std::size_t bound_bytes(const ColumnInfo& column, std::size_t max_bytes, bool trust_sizes) {
  std::size_t bytes = 0;
  switch (column.sql_type) {
    case SQL_LONGVARCHAR:
    case SQL_WLONGVARCHAR:
    case SQL_LONGVARBINARY:
      return 0;
    case SQL_CHAR:
    case SQL_VARCHAR:
    case SQL_WCHAR:
    case SQL_WVARCHAR:
      if (!trust_sizes) return 0;
      bytes = column.size * 4;  // UTF-8: at most 4 bytes a character
      break;
    case SQL_BINARY:
    case SQL_VARBINARY:
      if (!trust_sizes) return 0;
      bytes = column.size * 2;  // hexadecimal
      break;
    case SQL_DECIMAL:
    case SQL_NUMERIC:
      bytes = std::max<std::size_t>(column.size + 3, k_numeric_bytes);
      break;
    case SQL_BIT:
    case SQL_TINYINT:
    case SQL_SMALLINT:
    case SQL_INTEGER:
    case SQL_BIGINT:
    case SQL_REAL:
    case SQL_FLOAT:
    case SQL_DOUBLE:
    case SQL_TYPE_DATE:
    case SQL_TYPE_TIME:
    case SQL_TYPE_TIMESTAMP:
    case SQL_GUID:
      bytes = k_numeric_bytes;
      break;
    default:
      if (!trust_sizes) return 0;
      bytes = column.size == 0 ? 0 : std::max<std::size_t>(column.size * 4, k_numeric_bytes);
  }
  if (bytes == 0 || bytes > max_bytes) return 0;
  return bytes;
}

}  // namespace

// ---------------------------------------------------------------- errors

OdbcError::OdbcError(core::ExitCode code, std::string operation,
                     std::vector<Diagnostic> diagnostics, std::string hint)
    : core::Error(code, describe(operation, diagnostics), std::move(hint)),
      m_diagnostics(std::move(diagnostics)) {}

const std::string& OdbcError::sqlstate() const {
  static const std::string k_empty;
  return m_diagnostics.empty() ? k_empty : m_diagnostics.front().sqlstate;
}

std::int32_t OdbcError::native_code() const {
  return m_diagnostics.empty() ? 0 : m_diagnostics.front().native_code;
}

bool is_authentication_failure(const OdbcError& error) {
  for (const Diagnostic& d : error.diagnostics()) {
    if (d.sqlstate.rfind("28", 0) == 0) return true;
    std::string lower = d.message;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower.find("password authentication failed") != std::string::npos ||
        lower.find("access denied") != std::string::npos ||
        lower.find("authentication failed") != std::string::npos)
      return true;
  }
  return false;
}

bool is_driver_failure(const OdbcError& error) {
  for (const Diagnostic& d : error.diagnostics()) {
    if (d.sqlstate == "IM002" || d.sqlstate == "IM003" || d.sqlstate == "IM004") return true;
    if (d.message.find("Can't open lib") != std::string::npos) return true;
  }
  return false;
}

// ---------------------------------------------------------------- strings

std::string quote_attribute_value(std::string_view value) {
  bool needs = !value.empty() && (value.front() == ' ' || value.back() == ' ');
  for (char c : value) {
    if (std::string_view("[]{}(),;?*=!@").find(c) != std::string_view::npos) needs = true;
  }
  if (!needs) return std::string(value);
  std::string out = "{";
  for (char c : value) {
    out.push_back(c);
    if (c == '}') out.push_back('}');
  }
  out.push_back('}');
  return out;
}

std::string connection_string(const ConnectOptions& options) {
  std::vector<std::string> parts;
  if (options.connection_string) {
    std::string_view base = *options.connection_string;
    while (!base.empty() && (base.back() == ';' || base.back() == ' ')) base.remove_suffix(1);
    if (!base.empty()) parts.emplace_back(base);
  }
  if (!options.dsn.empty()) parts.push_back("DSN=" + quote_attribute_value(options.dsn));
  if (!options.driver.empty()) {
    std::string driver = options.driver;
    if (driver.front() != '{') driver = "{" + driver + "}";
    parts.push_back("DRIVER=" + driver);
  }
  for (const ConnectAttribute& a : options.attributes)
    parts.push_back(a.key + "=" + quote_attribute_value(a.value));
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += ';';
    out += p;
  }
  return out;
}

std::string scrub_connection_string(std::string_view text) {
  std::string out;
  std::size_t copied = 0;
  for_each_password(text, [&](std::size_t begin, std::size_t end) {
    out.append(text.substr(copied, begin - copied));
    out.append(core::k_redacted);
    copied = end;
  });
  out.append(text.substr(copied));
  return out;
}

// ---------------------------------------------------------------- environment

Environment::Environment() {
  if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &m_env)))
    throw OdbcError(core::ExitCode::connection, "allocate the ODBC environment", {},
                    "is unixODBC installed (libodbc.so.2)?");
  SQLRETURN rc = SQLSetEnvAttr(m_env, SQL_ATTR_ODBC_VERSION,
                               reinterpret_cast<SQLPOINTER>(static_cast<SQLLEN>(SQL_OV_ODBC3)), 0);
  if (!SQL_SUCCEEDED(rc)) {
    auto diagnostics = diagnostics_of(SQL_HANDLE_ENV, m_env);
    SQLFreeHandle(SQL_HANDLE_ENV, m_env);
    throw OdbcError(core::ExitCode::connection, "set ODBC version 3", std::move(diagnostics));
  }
}

Environment::~Environment() {
  if (m_env != SQL_NULL_HENV) SQLFreeHandle(SQL_HANDLE_ENV, m_env);
}

std::vector<std::string> Environment::drivers() const {
  std::vector<std::string> out;
  SQLUSMALLINT direction = SQL_FETCH_FIRST;
  for (;;) {
    SQLCHAR description[512];
    SQLCHAR attributes[4096];
    SQLSMALLINT description_length = 0;
    SQLSMALLINT attributes_length = 0;
    SQLRETURN rc =
        SQLDrivers(m_env, direction, description, sizeof(description), &description_length,
                   attributes, sizeof(attributes), &attributes_length);
    if (rc == SQL_NO_DATA) break;
    if (!SQL_SUCCEEDED(rc))
      throw OdbcError(core::ExitCode::connection, "list the ODBC drivers (SQLDrivers)",
                      diagnostics_of(SQL_HANDLE_ENV, m_env));
    out.emplace_back(reinterpret_cast<const char*>(description));
    direction = SQL_FETCH_NEXT;
  }
  return out;
}

// ---------------------------------------------------------------- row

std::optional<std::string_view> Row::get(std::size_t i) const {
  const Cell& cell = m_cells.at(i);
  if (!cell.present) return std::nullopt;
  return std::string_view(m_data).substr(cell.offset, cell.length);
}

std::optional<std::string> Row::opt(std::size_t i) const {
  auto v = get(i);
  if (!v) return std::nullopt;
  return std::string(*v);
}

std::optional<std::int64_t> Row::integer(std::size_t i) const {
  auto v = get(i);
  if (!v) return std::nullopt;
  std::int64_t out = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc()) return std::nullopt;
  return out;
}

// ---------------------------------------------------------------- connection

Connection::DbcGuard::~DbcGuard() {
  if (*dbc == SQL_NULL_HDBC) return;
  if (connected) SQLDisconnect(*dbc);
  SQLFreeHandle(SQL_HANDLE_DBC, *dbc);
}

Connection::Connection(const ConnectOptions& options, const core::CancelToken* cancel)
    : m_options(options), m_cancel(cancel) {
  for (const ConnectAttribute& a : options.attributes) {
    if (a.secret) core::register_secret(a.value);
  }
  if (options.connection_string) {
    core::register_secret(*options.connection_string);
    std::string_view cs = *options.connection_string;
    for_each_password(cs, [&](std::size_t begin, std::size_t end) {
      core::register_secret(unquote(cs.substr(begin, end - begin)));
    });
  }
  std::string target = !options.dsn.empty()      ? fmt::format("DSN '{}'", options.dsn)
                       : !options.driver.empty() ? fmt::format("driver '{}'", options.driver)
                                                 : std::string("the connection string");
  if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_DBC, m_env.handle(), &m_dbc)))
    throw OdbcError(core::ExitCode::connection, "allocate an ODBC connection handle",
                    diagnostics_of(SQL_HANDLE_ENV, m_env.handle()));
  if (options.login_timeout.count() > 0) {
    SQLSetConnectAttr(
        m_dbc, SQL_ATTR_LOGIN_TIMEOUT,
        reinterpret_cast<SQLPOINTER>(static_cast<SQLULEN>(options.login_timeout.count())), 0);
  }
  if (options.read_only) {
    // Before connecting: some drivers read the access mode only at login.
    m_read_only_applied = SQL_SUCCEEDED(SQLSetConnectAttr(
        m_dbc, SQL_ATTR_ACCESS_MODE,
        reinterpret_cast<SQLPOINTER>(static_cast<SQLULEN>(SQL_MODE_READ_ONLY)), 0));
  }
  std::string cs = connection_string(options);
  SQLCHAR out[1024];
  SQLSMALLINT out_length = 0;
  SQLRETURN rc = SQLDriverConnect(m_dbc, nullptr, reinterpret_cast<SQLCHAR*>(cs.data()),
                                  static_cast<SQLSMALLINT>(cs.size()), out, sizeof(out),
                                  &out_length, SQL_DRIVER_NOPROMPT);
  std::fill(cs.begin(), cs.end(), '\0');
  if (!SQL_SUCCEEDED(rc)) {
    OdbcError error(core::ExitCode::connection, "connect to " + target,
                    diagnostics_of(SQL_HANDLE_DBC, m_dbc));
    std::string hint;
    if (is_driver_failure(error)) {
      hint = "`odbcinst -q -d` lists the installed drivers; the name must match one exactly";
    } else if (is_authentication_failure(error)) {
      hint = "check the user name and password (uid, pwd)";
    } else {
      hint = "check server, port and database, and that the server accepts connections";
    }
    throw OdbcError(core::ExitCode::connection, "connect to " + target, error.diagnostics(), hint);
  }
  m_dbc_guard.connected = true;
  if (options.read_only && !m_read_only_applied) {
    m_read_only_applied = SQL_SUCCEEDED(SQLSetConnectAttr(
        m_dbc, SQL_ATTR_ACCESS_MODE,
        reinterpret_cast<SQLPOINTER>(static_cast<SQLULEN>(SQL_MODE_READ_ONLY)), 0));
  }
  if (options.isolation) {
    SQLULEN level = SQL_TXN_SERIALIZABLE;
    switch (*options.isolation) {
      case Isolation::read_uncommitted:
        level = SQL_TXN_READ_UNCOMMITTED;
        break;
      case Isolation::read_committed:
        level = SQL_TXN_READ_COMMITTED;
        break;
      case Isolation::repeatable_read:
        level = SQL_TXN_REPEATABLE_READ;
        break;
      case Isolation::serializable:
        level = SQL_TXN_SERIALIZABLE;
        break;
    }
    m_isolation_applied = SQL_SUCCEEDED(
        SQLSetConnectAttr(m_dbc, SQL_ATTR_TXN_ISOLATION, reinterpret_cast<SQLPOINTER>(level), 0));
  }
  SQLUINTEGER extensions = 0;
  if (SQL_SUCCEEDED(
          SQLGetInfo(m_dbc, SQL_GETDATA_EXTENSIONS, &extensions, sizeof(extensions), nullptr)))
    m_getdata_extensions = extensions;
  if (options.trust_declared_sizes) {
    m_trust_declared_sizes = *options.trust_declared_sizes;
  } else {
    std::string name = driver_name();
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    m_trust_declared_sizes = name.find("sqlite") == std::string::npos;
  }
  if (m_cancel != nullptr) m_watcher = std::jthread([this](std::stop_token stop) { watch(stop); });
}

Connection::~Connection() {
  if (m_watcher.joinable()) {
    m_watcher.request_stop();
    m_watcher.join();
  }
}

void Connection::watch(std::stop_token stop) {
  std::unique_lock lock(m_statements_mutex);
  while (!stop.stop_requested()) {
    if (m_cancel->cancelled()) {
      for (SQLHSTMT stmt : m_statements) SQLCancel(stmt);
    }
    m_wake.wait_for(lock, stop, std::chrono::milliseconds(50), [] { return false; });
  }
}

void Connection::add_statement(SQLHSTMT stmt) {
  std::lock_guard lock(m_statements_mutex);
  m_statements.push_back(stmt);
}

void Connection::remove_statement(SQLHSTMT stmt) {
  std::lock_guard lock(m_statements_mutex);
  m_statements.erase(std::remove(m_statements.begin(), m_statements.end(), stmt),
                     m_statements.end());
}

void Connection::throw_if_cancelled() const {
  if (m_cancel != nullptr && m_cancel->cancelled())
    throw core::Error(core::ExitCode::interrupted, "ODBC query cancelled");
}

std::string Connection::info_string(SQLUSMALLINT info) const {
  std::vector<char> buffer(512);
  SQLSMALLINT length = 0;
  SQLRETURN rc =
      SQLGetInfo(m_dbc, info, buffer.data(), static_cast<SQLSMALLINT>(buffer.size()), &length);
  if (SQL_SUCCEEDED(rc) && static_cast<std::size_t>(length) >= buffer.size()) {
    buffer.resize(static_cast<std::size_t>(length) + 1);
    rc = SQLGetInfo(m_dbc, info, buffer.data(), static_cast<SQLSMALLINT>(buffer.size()), &length);
  }
  if (!SQL_SUCCEEDED(rc))
    throw OdbcError(core::ExitCode::runtime, fmt::format("SQLGetInfo({})", info),
                    diagnostics_of(SQL_HANDLE_DBC, m_dbc));
  return std::string(buffer.data(),
                     std::min<std::size_t>(static_cast<std::size_t>(length), buffer.size() - 1));
}

SQLUINTEGER Connection::info_uint(SQLUSMALLINT info) const {
  SQLUINTEGER value = 0;
  SQLRETURN rc = SQLGetInfo(m_dbc, info, &value, sizeof(value), nullptr);
  if (!SQL_SUCCEEDED(rc))
    throw OdbcError(core::ExitCode::runtime, fmt::format("SQLGetInfo({})", info),
                    diagnostics_of(SQL_HANDLE_DBC, m_dbc));
  return value;
}

// ---------------------------------------------------------------- statement

Statement::Statement(Connection& connection) : m_connection(connection) {
  if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, connection.handle(), &m_stmt)))
    throw OdbcError(core::ExitCode::runtime, "allocate an ODBC statement",
                    diagnostics_of(SQL_HANDLE_DBC, connection.handle()));
  auto timeout = connection.options().query_timeout.count();
  if (timeout > 0) {
    // A driver that cannot time out says so (HYC00); the query then runs without.
    SQLSetStmtAttr(m_stmt, SQL_ATTR_QUERY_TIMEOUT,
                   reinterpret_cast<SQLPOINTER>(static_cast<SQLULEN>(timeout)), 0);
  }
  m_connection.add_statement(m_stmt);
}

Statement::~Statement() {
  m_connection.remove_statement(m_stmt);
  SQLFreeHandle(SQL_HANDLE_STMT, m_stmt);
}

void Statement::check(SQLRETURN rc, std::string_view operation) {
  if (SQL_SUCCEEDED(rc) || rc == SQL_NO_DATA) return;
  m_connection.throw_if_cancelled();
  throw OdbcError(core::ExitCode::runtime, std::string(operation),
                  diagnostics_of(SQL_HANDLE_STMT, m_stmt));
}

void Statement::close() {
  if (m_open) SQLFreeStmt(m_stmt, SQL_CLOSE);
  SQLFreeStmt(m_stmt, SQL_UNBIND);
  SQLFreeStmt(m_stmt, SQL_RESET_PARAMS);
  m_open = false;
  m_done = true;
  m_columns.clear();
  m_bindings.clear();
  m_rows_fetched = 0;
  m_position = 0;
  m_positioned = 0;
}

void Statement::execute(const std::string& sql, const std::vector<Param>& params) {
  close();
  m_connection.throw_if_cancelled();
  m_param_strings.assign(params.size(), {});
  m_param_integers.assign(params.size(), 0);
  m_param_indicators.assign(params.size(), 0);
  for (std::size_t i = 0; i < params.size(); ++i) {
    auto number = static_cast<SQLUSMALLINT>(i + 1);
    SQLRETURN rc = SQL_SUCCESS;
    if (const auto* text = std::get_if<std::string>(&params[i])) {
      m_param_strings[i] = *text;
      m_param_indicators[i] = static_cast<SQLLEN>(text->size());
      rc = SQLBindParameter(m_stmt, number, SQL_PARAM_INPUT, SQL_C_CHAR, SQL_VARCHAR,
                            std::max<SQLULEN>(text->size(), 1), 0, m_param_strings[i].data(),
                            static_cast<SQLLEN>(text->size()), &m_param_indicators[i]);
    } else if (const auto* integer = std::get_if<std::int64_t>(&params[i])) {
      m_param_integers[i] = *integer;
      rc = SQLBindParameter(m_stmt, number, SQL_PARAM_INPUT, SQL_C_SBIGINT, SQL_BIGINT, 0, 0,
                            &m_param_integers[i], 0, nullptr);
    } else {
      m_param_indicators[i] = SQL_NULL_DATA;
      rc = SQLBindParameter(m_stmt, number, SQL_PARAM_INPUT, SQL_C_CHAR, SQL_VARCHAR, 1, 0, nullptr,
                            0, &m_param_indicators[i]);
    }
    check(rc, fmt::format("bind parameter {}", number));
  }
  SQLRETURN rc = SQLExecDirect(m_stmt, reinterpret_cast<SQLCHAR*>(const_cast<char*>(sql.c_str())),
                               static_cast<SQLINTEGER>(sql.size()));
  check(rc, "execute a query");
  if (rc == SQL_NO_DATA) return;  // a searched UPDATE or DELETE that touched nothing
  prepare_result("fetch the query result");
}

void Statement::tables(const std::optional<std::string>& catalog,
                       const std::optional<std::string>& schema,
                       const std::optional<std::string>& table,
                       const std::optional<std::string>& types) {
  close();
  m_connection.throw_if_cancelled();
  Arg c(catalog), s(schema), t(table), y(types);
  check(SQLTables(m_stmt, c.ptr, c.length, s.ptr, s.length, t.ptr, t.length, y.ptr, y.length),
        "SQLTables");
  prepare_result("SQLTables");
}

void Statement::columns(const std::optional<std::string>& catalog,
                        const std::optional<std::string>& schema,
                        const std::optional<std::string>& table,
                        const std::optional<std::string>& column) {
  close();
  m_connection.throw_if_cancelled();
  Arg c(catalog), s(schema), t(table), n(column);
  check(SQLColumns(m_stmt, c.ptr, c.length, s.ptr, s.length, t.ptr, t.length, n.ptr, n.length),
        "SQLColumns");
  prepare_result("SQLColumns");
}

void Statement::primary_keys(const std::optional<std::string>& catalog,
                             const std::optional<std::string>& schema, const std::string& table) {
  close();
  m_connection.throw_if_cancelled();
  Arg c(catalog), s(schema), t(table);
  check(SQLPrimaryKeys(m_stmt, c.ptr, c.length, s.ptr, s.length, t.ptr, t.length),
        "SQLPrimaryKeys");
  prepare_result("SQLPrimaryKeys");
}

void Statement::foreign_keys(const std::optional<std::string>& catalog,
                             const std::optional<std::string>& schema, const std::string& table) {
  close();
  m_connection.throw_if_cancelled();
  Arg c(catalog), s(schema), t(table);
  check(SQLForeignKeys(m_stmt, nullptr, 0, nullptr, 0, nullptr, 0, c.ptr, c.length, s.ptr, s.length,
                       t.ptr, t.length),
        "SQLForeignKeys");
  prepare_result("SQLForeignKeys");
}

void Statement::statistics(const std::optional<std::string>& catalog,
                           const std::optional<std::string>& schema, const std::string& table,
                           bool unique_only) {
  close();
  m_connection.throw_if_cancelled();
  Arg c(catalog), s(schema), t(table);
  check(SQLStatistics(m_stmt, c.ptr, c.length, s.ptr, s.length, t.ptr, t.length,
                      unique_only ? SQL_INDEX_UNIQUE : SQL_INDEX_ALL, SQL_QUICK),
        "SQLStatistics");
  prepare_result("SQLStatistics");
}

void Statement::procedures(const std::optional<std::string>& catalog,
                           const std::optional<std::string>& schema,
                           const std::optional<std::string>& procedure) {
  close();
  m_connection.throw_if_cancelled();
  Arg c(catalog), s(schema), p(procedure);
  check(SQLProcedures(m_stmt, c.ptr, c.length, s.ptr, s.length, p.ptr, p.length), "SQLProcedures");
  prepare_result("SQLProcedures");
}

void Statement::prepare_result(std::string_view operation) {
  m_operation = std::string(operation);
  SQLSMALLINT count = 0;
  check(SQLNumResultCols(m_stmt, &count), m_operation);
  if (count <= 0) return;  // no result set (DDL, DML)
  m_open = true;
  m_done = false;
  const ConnectOptions& options = m_connection.options();
  SQLUINTEGER extensions = m_connection.getdata_extensions();
  m_columns.resize(static_cast<std::size_t>(count));
  m_bindings.resize(static_cast<std::size_t>(count));
  bool unbound_seen = false;
  for (SQLUSMALLINT i = 0; i < static_cast<SQLUSMALLINT>(count); ++i) {
    ColumnInfo& column = m_columns[i];
    std::vector<SQLCHAR> name(256);
    SQLSMALLINT name_length = 0;
    SQLSMALLINT nullable = SQL_NULLABLE_UNKNOWN;
    check(SQLDescribeCol(m_stmt, static_cast<SQLUSMALLINT>(i + 1), name.data(),
                         static_cast<SQLSMALLINT>(name.size()), &name_length, &column.sql_type,
                         &column.size, &column.decimal_digits, &nullable),
          m_operation);
    column.name.assign(reinterpret_cast<const char*>(name.data()),
                       std::min<std::size_t>(static_cast<std::size_t>(name_length), 255));
    column.nullable = nullable != SQL_NO_NULLS;
    std::size_t bytes =
        bound_bytes(column, options.max_bound_bytes, m_connection.trust_declared_sizes());
    // Without SQL_GD_ANY_COLUMN, SQLGetData only reaches columns after the
    // last bound one: once one column is unbound, so are the rest.
    if (unbound_seen && (extensions & SQL_GD_ANY_COLUMN) == 0) bytes = 0;
    if (bytes == 0) unbound_seen = true;
    m_bindings[i].bound = bytes > 0;
    m_bindings[i].capacity = bytes + 1;
  }
  // A statement with unbound columns is fetched row by row: SQLGetData
  // inside a block needs SQLSetPos, which drivers get wrong (SQLite3 claims
  // SQL_GD_BLOCK and loses rows once a column is bound).
  m_rowset = unbound_seen ? 1 : std::max<std::size_t>(options.rowset_size, 1);
  check(SQLSetStmtAttr(m_stmt, SQL_ATTR_ROW_BIND_TYPE,
                       reinterpret_cast<SQLPOINTER>(static_cast<SQLULEN>(SQL_BIND_BY_COLUMN)), 0),
        m_operation);
  SQLRETURN rc = SQLSetStmtAttr(m_stmt, SQL_ATTR_ROW_ARRAY_SIZE,
                                reinterpret_cast<SQLPOINTER>(static_cast<SQLULEN>(m_rowset)), 0);
  if (rc == SQL_SUCCESS_WITH_INFO) {
    // The driver lowered the block size (01S02): use what it took.
    SQLULEN taken = 1;
    SQLGetStmtAttr(m_stmt, SQL_ATTR_ROW_ARRAY_SIZE, &taken, 0, nullptr);
    m_rowset = std::max<SQLULEN>(taken, 1);
  } else if (!SQL_SUCCEEDED(rc)) {
    m_rowset = 1;
  }
  m_row_status.assign(m_rowset, SQL_ROW_SUCCESS);
  check(SQLSetStmtAttr(m_stmt, SQL_ATTR_ROW_STATUS_PTR, m_row_status.data(), 0), m_operation);
  check(SQLSetStmtAttr(m_stmt, SQL_ATTR_ROWS_FETCHED_PTR, &m_rows_fetched, 0), m_operation);
  for (std::size_t i = 0; i < m_bindings.size(); ++i) {
    Binding& b = m_bindings[i];
    if (!b.bound) continue;
    b.buffer.assign(b.capacity * m_rowset, '\0');
    b.indicators.assign(m_rowset, 0);
    check(SQLBindCol(m_stmt, static_cast<SQLUSMALLINT>(i + 1), SQL_C_CHAR, b.buffer.data(),
                     static_cast<SQLLEN>(b.capacity), b.indicators.data()),
          m_operation);
  }
  m_row.m_cells.assign(m_columns.size(), {});
}

bool Statement::fetch_block() {
  m_connection.throw_if_cancelled();
  constexpr SQLULEN k_untouched = ~SQLULEN{0};
  m_rows_fetched = k_untouched;
  std::fill(m_row_status.begin(), m_row_status.end(), SQL_ROW_NOROW);
  m_position = 0;
  m_positioned = 0;
  SQLRETURN rc = SQLFetch(m_stmt);
  if (rc == SQL_NO_DATA) {
    m_rows_fetched = 0;
    m_done = true;
    return false;
  }
  check(rc, m_operation);
  if (m_rows_fetched == k_untouched) {
    // Some result sets (psqlodbc's catalog functions) leave the count unset:
    // count the row statuses, or take the one row of a row-by-row fetch.
    m_rows_fetched = static_cast<SQLULEN>(
        std::count_if(m_row_status.begin(), m_row_status.end(),
                      [](SQLUSMALLINT status) { return status != SQL_ROW_NOROW; }));
    if (m_rows_fetched == 0 && m_rowset == 1) {
      m_rows_fetched = 1;
      m_row_status[0] = SQL_ROW_SUCCESS;
    }
  }
  if (m_rows_fetched == 0) {
    m_done = true;
    return false;
  }
  return true;
}

const Row* Statement::next() {
  if (!m_open) return nullptr;
  for (;;) {
    if (m_position >= m_rows_fetched) {
      if (m_done || !fetch_block()) return nullptr;
    }
    std::size_t index = m_position++;
    SQLUSMALLINT status = m_row_status[index];
    if (status == SQL_ROW_NOROW) continue;
    if (status == SQL_ROW_ERROR)
      throw OdbcError(core::ExitCode::runtime, m_operation + ": a row could not be fetched",
                      diagnostics_of(SQL_HANDLE_STMT, m_stmt));
    decode_row(index);
    return &m_row;
  }
}

void Statement::decode_row(std::size_t index) {
  m_row.m_data.clear();
  for (std::size_t c = 0; c < m_columns.size(); ++c) {
    Row::Cell& cell = m_row.m_cells[c];
    const Binding& b = m_bindings[c];
    if (!b.bound) {
      read_long(index, c, false);
      continue;
    }
    SQLLEN indicator = b.indicators[index];
    if (indicator == SQL_NULL_DATA) {
      cell = {};
      continue;
    }
    if (indicator == SQL_NO_TOTAL || static_cast<std::size_t>(indicator) >= b.capacity) {
      read_long(index, c, true);  // truncated: the driver under-declared the column
      continue;
    }
    cell.offset = m_row.m_data.size();
    cell.length = static_cast<std::size_t>(indicator);
    cell.present = true;
    m_row.m_data.append(b.buffer.data() + index * b.capacity, cell.length);
  }
}

void Statement::read_long(std::size_t index, std::size_t column, bool bound) {
  if (m_rowset > 1 && m_positioned != index + 1) {
    check(
        SQLSetPos(m_stmt, static_cast<SQLSETPOSIROW>(index + 1), SQL_POSITION, SQL_LOCK_NO_CHANGE),
        m_operation + ": position in the block for SQLGetData");
    m_positioned = index + 1;
  }
  Row::Cell& cell = m_row.m_cells[column];
  cell = {};
  cell.offset = m_row.m_data.size();
  std::vector<char>& chunk = m_chunk;
  if (chunk.size() != k_getdata_chunk) chunk.resize(k_getdata_chunk);
  for (;;) {
    SQLLEN indicator = 0;
    SQLRETURN rc = SQLGetData(m_stmt, static_cast<SQLUSMALLINT>(column + 1), SQL_C_CHAR,
                              chunk.data(), static_cast<SQLLEN>(chunk.size()), &indicator);
    if (rc == SQL_NO_DATA) break;
    if (!SQL_SUCCEEDED(rc))
      check(rc, fmt::format("{}: SQLGetData of column '{}'{}", m_operation, m_columns[column].name,
                            bound ? " (longer than declared)" : ""));
    if (indicator == SQL_NULL_DATA) return;
    cell.present = true;
    bool more = rc == SQL_SUCCESS_WITH_INFO &&
                (indicator == SQL_NO_TOTAL || static_cast<std::size_t>(indicator) >= chunk.size());
    std::size_t got = more ? chunk.size() - 1 : static_cast<std::size_t>(indicator);
    m_row.m_data.append(chunk.data(), got);
    if (!more) break;
  }
  cell.length = m_row.m_data.size() - cell.offset;
}

}  // namespace connctl::extractors::odbc
