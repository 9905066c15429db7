#pragma once
// The ODBC layer shared by every extractor that reads through a driver (the
// generic `odbc` type, MySQL/MariaDB): RAII handles, redacted errors, block
// fetching and the catalog functions, over unixODBC.
//
// For an extractor (e.g. MySQL through "MariaDB Unicode"), use:
//   - ConnectOptions (driver + attributes, a secret marked `secret`; or a DSN),
//     login/query timeouts, read_only; then `Connection conn(options, &cancel)`.
//   - `Statement st = conn.statement(); st.execute(sql, {params…});`
//     `while (const Row* row = st.next()) row->get(i) / row->view(i) …`
//     Rows come out of row-array (block) fetches with column-wise bound buffers.
//     A column wider than max_bound_bytes (LONGVARCHAR, text without a
//     length) is left unbound and read with SQLGetData, and its statement is
//     then fetched row by row; a value longer than its declared size is read
//     again with SQLGetData (SQLSetPos inside a block).
//   - st.tables / columns / primary_keys / foreign_keys / statistics /
//     procedures for the catalog functions (same fetcher, same Row).
//   - Catch OdbcError (a core::Error with SQLSTATE, native code and a
//     redacted driver message); connect failures carry ExitCode::connection.
// Unicode: strings cross the API as UTF-8 through the narrow (A) functions
// and SQL_C_CHAR buffers. The drivers in use take and return UTF-8 there
// (SQLite3 passes bytes through and has no W functions at all; MariaDB when
// the caller sets the attribute CHARSET=utf8mb4; psqlodbcw on a UTF-8
// database). unixODBC's mapping of W calls onto an A-only driver would
// instead depend on the process locale.

#include <sql.h>
#include <sqlext.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

#include "core/cancel.hpp"
#include "core/error.hpp"

namespace connctl::extractors::odbc {

// One diagnostic record of SQLGetDiagRec; message already redacted.
struct Diagnostic {
  std::string sqlstate;
  std::int32_t native_code = 0;
  std::string message;
};

// Every failure of this layer. what() reads
// "<operation> failed: [SQLSTATE] message (native N)".
class OdbcError : public core::Error {
 public:
  OdbcError(core::ExitCode code, std::string operation, std::vector<Diagnostic> diagnostics,
            std::string hint = {});
  const std::string& sqlstate() const;  // of the first record, or empty
  std::int32_t native_code() const;     // of the first record, or 0
  const std::vector<Diagnostic>& diagnostics() const { return m_diagnostics; }

 private:
  std::vector<Diagnostic> m_diagnostics;
};

// Whether a connect failure means the server refused the credentials.
bool is_authentication_failure(const OdbcError& error);
// Whether a connect failure means the driver manager could not find or load
// the driver (IM002, IM003, IM004...).
bool is_driver_failure(const OdbcError& error);

struct ConnectAttribute {
  std::string key;    // UID, PWD, SERVER, PORT, DATABASE, CHARSET, …
  std::string value;  // already resolved (${env:}/${file:} by the config layer)
  bool secret = false;
};

enum class Isolation { read_uncommitted, read_committed, repeatable_read, serializable };

struct ConnectOptions {
  // Exactly one of dsn, driver or connection_string (the latter a secret as a
  // whole); attributes are appended to any of them.
  std::string dsn;
  std::string driver;
  std::optional<std::string> connection_string;
  std::vector<ConnectAttribute> attributes;
  std::chrono::seconds login_timeout{15};
  std::chrono::seconds query_timeout{0};  // 0: none
  bool read_only = true;                  // SQL_ATTR_ACCESS_MODE, where the driver allows
  std::optional<Isolation> isolation;     // SQL_ATTR_TXN_ISOLATION, where the driver allows
  std::size_t rowset_size = 256;          // rows per block fetch
  std::size_t max_bound_bytes = 4096;     // wider columns are read with SQLGetData
  // Whether character columns hold at most their declared size. SQLite does
  // not enforce declared lengths, so by default its character columns are
  // read with SQLGetData; every other driver is trusted.
  std::optional<bool> trust_declared_sizes;
};

// Brace-quotes a value when the ODBC connection-string grammar needs it
// ("{…}" with "}" doubled).
std::string quote_attribute_value(std::string_view value);
// The connection string of the options (contains secrets: never print it).
std::string connection_string(const ConnectOptions& options);
// Replaces the value of every PWD=/PASSWORD= (any case) with "***".
std::string scrub_connection_string(std::string_view text);

// The environment handle (ODBC 3 behaviour).
class Environment {
 public:
  Environment();
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;
  SQLHENV handle() const { return m_env; }

  // The drivers installed in odbcinst.ini (SQLDrivers).
  std::vector<std::string> drivers() const;

 private:
  SQLHENV m_env = SQL_NULL_HENV;
};

struct ColumnInfo {
  std::string name;
  SQLSMALLINT sql_type = 0;
  SQLULEN size = 0;
  SQLSMALLINT decimal_digits = 0;
  bool nullable = true;
};

// One row of a result, decoded: views are valid until the next fetch.
class Row {
 public:
  std::size_t size() const { return m_cells.size(); }
  bool is_null(std::size_t i) const { return !m_cells.at(i).present; }
  std::optional<std::string_view> get(std::size_t i) const;
  std::string_view view(std::size_t i) const { return get(i).value_or(std::string_view{}); }
  std::string str(std::size_t i) const { return std::string(view(i)); }
  std::optional<std::string> opt(std::size_t i) const;
  std::optional<std::int64_t> integer(std::size_t i) const;

 private:
  friend class Statement;
  struct Cell {
    std::size_t offset = 0;
    std::size_t length = 0;
    bool present = false;
  };
  std::string m_data;
  std::vector<Cell> m_cells;
};

using Param = std::variant<std::nullptr_t, std::int64_t, std::string>;

class Connection;

// A statement handle with at most one open result. execute() or a catalog
// call opens it; next() walks it block by block.
class Statement {
 public:
  explicit Statement(Connection& connection);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  SQLHSTMT handle() const { return m_stmt; }

  // SQLExecDirect, with `?` parameters bound from params.
  void execute(const std::string& sql, const std::vector<Param>& params = {});

  // Catalog functions; std::nullopt passes NULL (all). Pattern arguments
  // take % and _.
  void tables(const std::optional<std::string>& catalog, const std::optional<std::string>& schema,
              const std::optional<std::string>& table, const std::optional<std::string>& types);
  void columns(const std::optional<std::string>& catalog, const std::optional<std::string>& schema,
               const std::optional<std::string>& table, const std::optional<std::string>& column);
  void primary_keys(const std::optional<std::string>& catalog,
                    const std::optional<std::string>& schema, const std::string& table);
  // Foreign keys of the table (its imported keys).
  void foreign_keys(const std::optional<std::string>& catalog,
                    const std::optional<std::string>& schema, const std::string& table);
  void statistics(const std::optional<std::string>& catalog,
                  const std::optional<std::string>& schema, const std::string& table,
                  bool unique_only = false);
  void procedures(const std::optional<std::string>& catalog,
                  const std::optional<std::string>& schema,
                  const std::optional<std::string>& procedure);

  const std::vector<ColumnInfo>& result_columns() const { return m_columns; }
  // The next row, or nullptr at the end; throws OdbcError, or core::Error
  // (interrupted) once the connection's cancel token is set.
  const Row* next();
  // Every remaining row.
  template <class Fn>
  void for_each(Fn&& fn) {
    while (const Row* row = next()) fn(*row);
  }
  void close();  // closes the open result, if any

 private:
  void prepare_result(std::string_view operation);
  bool fetch_block();
  void decode_row(std::size_t index);
  void read_long(std::size_t row_index, std::size_t column, bool bound);
  void check(SQLRETURN rc, std::string_view operation);

  struct Binding {
    bool bound = false;
    std::size_t capacity = 0;  // bytes per row, with the terminator
    std::vector<char> buffer;
    std::vector<SQLLEN> indicators;
  };

  Connection& m_connection;
  SQLHSTMT m_stmt = SQL_NULL_HSTMT;
  std::string m_operation;
  std::vector<ColumnInfo> m_columns;
  std::vector<Binding> m_bindings;
  std::vector<SQLUSMALLINT> m_row_status;
  SQLULEN m_rows_fetched = 0;
  std::size_t m_rowset = 1;
  std::size_t m_position = 0;    // next row in the block
  std::size_t m_positioned = 0;  // 1-based row SQLSetPos last moved to, 0: none
  bool m_open = false;
  bool m_done = false;
  std::vector<std::string> m_param_strings;
  std::vector<SQLLEN> m_param_indicators;
  std::vector<std::int64_t> m_param_integers;
  std::vector<char> m_chunk;  // SQLGetData buffer, reused
  Row m_row;
};

class Connection {
 public:
  // Connects (SQLDriverConnect) and applies read-only and isolation where
  // the driver takes them. Secret attribute values are registered with
  // core::register_secret before anything can print them. cancel (optional)
  // is watched while the connection lives: when set, the running statement is
  // cancelled with SQLCancel.
  explicit Connection(const ConnectOptions& options, const core::CancelToken* cancel = nullptr);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  SQLHDBC handle() const { return m_dbc; }
  const ConnectOptions& options() const { return m_options; }
  const core::CancelToken* cancel_token() const { return m_cancel; }

  Statement statement() { return Statement(*this); }

  std::string info_string(SQLUSMALLINT info) const;  // SQLGetInfo, a string item
  SQLUINTEGER info_uint(SQLUSMALLINT info) const;    // SQLGetInfo, a 32-bit item
  std::string dbms_name() const { return info_string(SQL_DBMS_NAME); }
  std::string dbms_version() const { return info_string(SQL_DBMS_VER); }
  std::string driver_name() const { return info_string(SQL_DRIVER_NAME); }
  SQLUINTEGER getdata_extensions() const { return m_getdata_extensions; }
  bool trust_declared_sizes() const { return m_trust_declared_sizes; }

  // Whether read-only / the isolation level were accepted by the driver.
  bool read_only_applied() const { return m_read_only_applied; }
  bool isolation_applied() const { return m_isolation_applied; }

  void throw_if_cancelled() const;

 private:
  friend class Statement;
  void watch(std::stop_token stop);
  void add_statement(SQLHSTMT stmt);
  void remove_statement(SQLHSTMT stmt);

  ConnectOptions m_options;
  const core::CancelToken* m_cancel;
  Environment m_env;
  SQLHDBC m_dbc = SQL_NULL_HDBC;  // freed by m_dbc_guard
  struct DbcGuard {
    SQLHDBC* dbc;
    bool connected = false;
    ~DbcGuard();
  } m_dbc_guard{&m_dbc};
  SQLUINTEGER m_getdata_extensions = 0;
  bool m_trust_declared_sizes = true;
  bool m_read_only_applied = false;
  bool m_isolation_applied = false;

  std::mutex m_statements_mutex;  // a statement is not freed while SQLCancel runs on it
  std::vector<SQLHSTMT> m_statements;
  std::condition_variable_any m_wake;
  std::jthread m_watcher;  // last: stopped before the handles are freed
};

}  // namespace connctl::extractors::odbc
