#pragma once
// One session with a MySQL or MariaDB server through MariaDB Connector/ODBC
// and the shared ODBC layer (extractors/odbc): the connection attributes built
// from settings (the password marked secret), the session set up for catalog
// reading (UTC, utf8mb4, a known sql_mode), and queries whose rows arrive as
// text, fetched in blocks.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/cancel.hpp"
#include "extractors/odbc/odbc.hpp"

namespace connctl::extractors::mysql {

enum class FailureKind { connect, authenticate, query, lost };

// Carries the SQLSTATE and the server's error number, so that callers can
// tell a refused login (28000 / 1045) from an unreachable host (08001 / 2002).
class MysqlError : public std::runtime_error {
 public:
  MysqlError(FailureKind kind, const std::string& message, std::string sqlstate = {},
             long native = 0)
      : std::runtime_error(message),
        m_kind(kind),
        m_sqlstate(std::move(sqlstate)),
        m_native(native) {}
  FailureKind kind() const { return m_kind; }
  const std::string& sqlstate() const { return m_sqlstate; }
  long native() const { return m_native; }

 private:
  FailureKind m_kind;
  std::string m_sqlstate;
  long m_native;
};

struct ConnectOptions {
  std::string driver = "MariaDB Unicode";
  std::string host = "localhost";
  int port = 3306;
  std::optional<std::string> socket;
  std::string user;
  std::optional<std::string> password;
  std::optional<std::string> database;
  std::int64_t connect_timeout_s = 10;
  std::int64_t read_timeout_s = 300;
  // TLS: none of these set = the driver's default (no TLS).
  bool ssl = false;
  bool ssl_verify = false;
  std::optional<std::string> ssl_ca, ssl_cert, ssl_key;
};

// A row of text values (a view of the ODBC layer's row, valid until the next
// fetch); NULLs are told apart from empty strings.
class Row {
 public:
  explicit Row(const odbc::Row& row) : m_row(row) {}
  std::size_t size() const { return m_row.size(); }
  bool is_null(std::size_t i) const { return m_row.is_null(i); }
  std::string_view view(std::size_t i) const { return m_row.view(i); }
  std::string str(std::size_t i) const { return m_row.str(i); }
  std::optional<std::string> opt(std::size_t i) const { return m_row.opt(i); }
  // Non-empty text only; NULL and '' are absent.
  std::optional<std::string> text(std::size_t i) const {
    auto v = m_row.get(i);
    return v && !v->empty() ? std::optional<std::string>(*v) : std::nullopt;
  }
  std::int64_t integer(std::size_t i) const;
  std::optional<std::int64_t> opt_integer(std::size_t i) const;

 private:
  const odbc::Row& m_row;
};

class Connection {
 public:
  // Throws MysqlError(connect | authenticate). A set cancel token stops a
  // running query (core::Error, interrupted).
  explicit Connection(const ConnectOptions& options, const core::CancelToken* cancel = nullptr);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs a statement and calls fn for every row. Throws MysqlError.
  void query(const std::string& sql, const std::function<void(const Row&)>& fn);
  void exec(const std::string& sql);
  std::optional<std::string> value(const std::string& sql);

  // VERSION(): "10.11.19-MariaDB-0+deb12u1" or "8.0.36".
  const std::string& server_version() const { return m_version; }
  bool is_mariadb() const { return m_mariadb; }
  // major * 10000 + minor * 100 + patch.
  int version_number() const { return m_version_number; }
  bool ssl_in_use();

 private:
  std::unique_ptr<odbc::Connection> m_odbc;
  std::string m_version;
  bool m_mariadb = false;
  int m_version_number = 0;
};

// A string literal for SQL text: _utf8mb4 X'…' (no escaping rules apply,
// whatever the session's sql_mode).
std::string literal(std::string_view text);

// `name` with backticks doubled, for SQL text and GRANT hints.
std::string quote_identifier(std::string_view name);

}  // namespace connctl::extractors::mysql
