// A minimal private ODBC session for the mysql extractor (environment,
// connection and statement handles under RAII, diagnostics with SQLSTATE and
// the native error). Written before the shared ODBC layer of
// extractors/odbc/ existed; the two are to be folded together.

#include "extractors/mysql/mysql_connection.hpp"

#include <fmt/format.h>
#include <sql.h>
#include <sqlext.h>

#include <charconv>
#include <cstring>

#include "core/secrets.hpp"

namespace connctl::extractors::mysql {
namespace {

struct Diagnostic {
  std::string sqlstate;
  long native = 0;
  std::string message;
};

Diagnostic diagnose(SQLSMALLINT type, SQLHANDLE handle) {
  Diagnostic out;
  for (SQLSMALLINT i = 1;; ++i) {
    SQLCHAR state[6] = {0};
    SQLINTEGER native = 0;
    SQLCHAR text[1024] = {0};
    SQLSMALLINT len = 0;
    SQLRETURN rc = SQLGetDiagRec(type, handle, i, state, &native, text, sizeof text, &len);
    if (!SQL_SUCCEEDED(rc)) break;
    if (i == 1) {
      out.sqlstate = reinterpret_cast<const char*>(state);
      out.native = native;
    }
    if (!out.message.empty()) out.message += "; ";
    out.message += reinterpret_cast<const char*>(text);
  }
  // The driver prefixes "[ma-3.1.15][10.11.19-MariaDB-…]": keep the server's words.
  while (out.message.size() > 1 && out.message.front() == '[') {
    auto close = out.message.find(']');
    if (close == std::string::npos) break;
    out.message.erase(0, close + 1);
  }
  if (out.message.empty()) out.message = "unknown ODBC error";
  return out;
}

bool is_lost(const Diagnostic& d) {
  return d.sqlstate == "08S01" || d.native == 2006 || d.native == 2013 || d.native == 1927 ||
         d.native == 4031;
}

// A value in a connection string: braced, with '}' doubled, so that no
// character of it can end the attribute.
std::string braced(std::string_view value) {
  std::string out = "{";
  for (char c : value) {
    out += c;
    if (c == '}') out += '}';
  }
  return out + "}";
}

template <SQLSMALLINT Type>
class Handle {
 public:
  Handle(SQLSMALLINT, SQLHANDLE parent) {
    if (!SQL_SUCCEEDED(SQLAllocHandle(Type, parent, &m_handle))) {
      m_handle = SQL_NULL_HANDLE;
      throw MysqlError(FailureKind::connect, "ODBC: cannot allocate a handle");
    }
  }
  ~Handle() {
    if (m_handle != SQL_NULL_HANDLE) SQLFreeHandle(Type, m_handle);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  SQLHANDLE get() const { return m_handle; }

 private:
  SQLHANDLE m_handle = SQL_NULL_HANDLE;
};

}  // namespace

struct Connection::Impl {
  Handle<SQL_HANDLE_ENV> env{SQL_HANDLE_ENV, SQL_NULL_HANDLE};
  std::unique_ptr<Handle<SQL_HANDLE_DBC>> dbc;
  bool connected = false;
  ~Impl() {
    if (connected) SQLDisconnect(dbc->get());
  }

  [[noreturn]] void fail(SQLSMALLINT type, SQLHANDLE h, FailureKind kind) {
    Diagnostic d = diagnose(type, h);
    if (kind == FailureKind::query && is_lost(d)) kind = FailureKind::lost;
    throw MysqlError(kind, core::redact(d.message), d.sqlstate, d.native);
  }
};

std::int64_t Row::integer(std::size_t i) const {
  return opt_integer(i).value_or(0);
}

std::optional<std::int64_t> Row::opt_integer(std::size_t i) const {
  const auto& v = m_values.at(i);
  if (!v || v->empty()) return std::nullopt;
  std::int64_t out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc()) {
    // UNSIGNED BIGINT beyond int64 (AUTO_INCREMENT near its end): clamp.
    unsigned long long u = 0;
    auto [q, ec2] = std::from_chars(v->data(), v->data() + v->size(), u);
    if (ec2 == std::errc())
      return static_cast<std::int64_t>(std::min<unsigned long long>(u, INT64_MAX));
    return std::nullopt;
  }
  return out;
}

Connection::Connection(const ConnectOptions& o) : m_impl(std::make_unique<Impl>()) {
  SQLSetEnvAttr(m_impl->env.get(), SQL_ATTR_ODBC_VERSION,
                reinterpret_cast<SQLPOINTER>(SQL_OV_ODBC3), 0);
  m_impl->dbc = std::make_unique<Handle<SQL_HANDLE_DBC>>(SQL_HANDLE_DBC, m_impl->env.get());
  SQLHDBC dbc = m_impl->dbc->get();
  SQLSetConnectAttr(dbc, SQL_ATTR_LOGIN_TIMEOUT,
                    reinterpret_cast<SQLPOINTER>(static_cast<SQLULEN>(o.connect_timeout_s)), 0);

  std::string cs = "DRIVER=" + braced(o.driver) + ";";
  if (o.socket) {
    cs += "SOCKET=" + braced(*o.socket) + ";";
  } else {
    cs += "SERVER=" + braced(o.host) + ";PORT=" + std::to_string(o.port) + ";";
  }
  cs += "UID=" + braced(o.user) + ";";
  if (o.password) cs += "PWD=" + braced(*o.password) + ";";
  if (o.database) cs += "DATABASE=" + braced(*o.database) + ";";
  cs += "CHARSET=utf8mb4;";
  cs += fmt::format("CONN_TIMEOUT={};READ_TIMEOUT={};WRITE_TIMEOUT={};", o.connect_timeout_s,
                    o.read_timeout_s, o.read_timeout_s);
  if (o.ssl) cs += "FORCETLS=1;";
  if (o.ssl_verify) cs += "SSLVERIFY=1;";
  if (o.ssl_ca) cs += "SSLCA=" + braced(*o.ssl_ca) + ";";
  if (o.ssl_cert) cs += "SSLCERT=" + braced(*o.ssl_cert) + ";";
  if (o.ssl_key) cs += "SSLKEY=" + braced(*o.ssl_key) + ";";
  cs += "NO_CACHE=1;";

  SQLCHAR out[1024];
  SQLSMALLINT out_len = 0;
  SQLRETURN rc = SQLDriverConnect(dbc, nullptr, reinterpret_cast<SQLCHAR*>(cs.data()),
                                  static_cast<SQLSMALLINT>(cs.size()), out, sizeof out, &out_len,
                                  SQL_DRIVER_NOPROMPT);
  if (!SQL_SUCCEEDED(rc)) {
    Diagnostic d = diagnose(SQL_HANDLE_DBC, dbc);
    // 28000 / 1045: access denied; 42000 / 1044 or 1049: no such (or no
    // access to the) database. The rest is the network or the driver.
    const bool auth = d.sqlstate == "28000" || d.native == 1045 || d.native == 1044 ||
                      d.native == 1049 || d.native == 1698;
    if (d.sqlstate == "IM002")
      d.message =
          fmt::format("ODBC driver '{}' not found in odbcinst.ini: {}", o.driver, d.message);
    throw MysqlError(auth ? FailureKind::authenticate : FailureKind::connect,
                     core::redact(d.message), d.sqlstate, d.native);
  }
  m_impl->connected = true;
  exec("SET SESSION time_zone = '+00:00', SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION'");
  m_version = value("SELECT VERSION()").value_or("");
  m_mariadb = m_version.find("MariaDB") != std::string::npos;
  int parts[3] = {0, 0, 0};
  const char* p = m_version.c_str();
  for (int& part : parts) {
    auto [next, ec] = std::from_chars(p, m_version.c_str() + m_version.size(), part);
    if (ec != std::errc() || *next != '.') {
      if (ec == std::errc()) p = next;
      break;
    }
    p = next + 1;
  }
  m_version_number = parts[0] * 10000 + parts[1] * 100 + parts[2];
}

Connection::~Connection() = default;

void Connection::query(const std::string& sql, const std::function<void(const Row&)>& fn) {
  Handle<SQL_HANDLE_STMT> stmt(SQL_HANDLE_STMT, m_impl->dbc->get());
  SQLHSTMT h = stmt.get();
  SQLRETURN rc = SQLExecDirect(h, reinterpret_cast<SQLCHAR*>(const_cast<char*>(sql.c_str())),
                               static_cast<SQLINTEGER>(sql.size()));
  if (rc == SQL_NO_DATA) return;
  if (!SQL_SUCCEEDED(rc)) m_impl->fail(SQL_HANDLE_STMT, h, FailureKind::query);
  SQLSMALLINT columns = 0;
  SQLNumResultCols(h, &columns);
  if (columns == 0) return;
  Row row;
  row.m_values.resize(static_cast<std::size_t>(columns));
  std::vector<char> buffer(8192);
  for (;;) {
    rc = SQLFetch(h);
    if (rc == SQL_NO_DATA) break;
    if (!SQL_SUCCEEDED(rc)) m_impl->fail(SQL_HANDLE_STMT, h, FailureKind::query);
    for (SQLSMALLINT c = 1; c <= columns; ++c) {
      auto& value = row.m_values[static_cast<std::size_t>(c - 1)];
      value.reset();
      for (;;) {
        SQLLEN indicator = 0;
        rc = SQLGetData(h, static_cast<SQLUSMALLINT>(c), SQL_C_CHAR, buffer.data(),
                        static_cast<SQLLEN>(buffer.size()), &indicator);
        if (rc == SQL_NO_DATA) break;
        if (!SQL_SUCCEEDED(rc)) m_impl->fail(SQL_HANDLE_STMT, h, FailureKind::query);
        if (indicator == SQL_NULL_DATA) break;
        if (!value) value.emplace();
        // Truncated: the buffer is full but for its terminator; else `indicator` bytes.
        const bool more =
            rc == SQL_SUCCESS_WITH_INFO &&
            (indicator == SQL_NO_TOTAL || indicator >= static_cast<SQLLEN>(buffer.size()));
        value->append(buffer.data(),
                      more ? buffer.size() - 1 : static_cast<std::size_t>(indicator));
        if (!more) break;
      }
    }
    fn(row);
  }
}

void Connection::exec(const std::string& sql) {
  query(sql, [](const Row&) {});
}

std::optional<std::string> Connection::value(const std::string& sql) {
  std::optional<std::string> out;
  bool first = true;
  query(sql, [&](const Row& r) {
    if (first && r.size() > 0) out = r.opt(0);
    first = false;
  });
  return out;
}

bool Connection::ssl_in_use() {
  std::optional<std::string> cipher;
  query("SHOW SESSION STATUS LIKE 'Ssl_cipher'", [&](const Row& r) {
    if (r.size() > 1) cipher = r.text(1);
  });
  return cipher.has_value();
}

std::string literal(std::string_view text) {
  static const char* k_hex = "0123456789ABCDEF";
  if (text.empty()) return "''";
  std::string out = "_utf8mb4 X'";
  for (unsigned char c : text) {
    out += k_hex[c >> 4];
    out += k_hex[c & 15];
  }
  return out + "'";
}

std::string quote_identifier(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    out += c;
    if (c == '`') out += '`';
  }
  return out + "`";
}

}  // namespace connctl::extractors::mysql
