#include "extractors/mysql/mysql_connection.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <climits>

#include "core/secrets.hpp"

namespace connctl::extractors::mysql {
namespace {

// The driver prefixes its messages with "[ma-3.1.15][10.11.19-MariaDB…]":
// keep the server's words.
std::string server_words(const odbc::OdbcError& e) {
  std::string message = e.diagnostics().empty() ? e.what() : e.diagnostics().front().message;
  while (message.size() > 1 && message.front() == '[') {
    auto close = message.find(']');
    if (close == std::string::npos) break;
    message.erase(0, close + 1);
  }
  return core::redact(message.empty() ? e.what() : message);
}

bool is_lost(const odbc::OdbcError& e) {
  const int n = e.native_code();
  return e.sqlstate() == "08S01" || n == 2006 || n == 2013 || n == 1927 || n == 4031;
}

MysqlError query_error(const odbc::OdbcError& e) {
  return MysqlError(is_lost(e) ? FailureKind::lost : FailureKind::query, server_words(e),
                    e.sqlstate(), e.native_code());
}

}  // namespace

std::int64_t Row::integer(std::size_t i) const {
  return opt_integer(i).value_or(0);
}

std::optional<std::int64_t> Row::opt_integer(std::size_t i) const {
  auto v = m_row.get(i);
  if (!v || v->empty()) return std::nullopt;
  std::int64_t out = 0;
  if (std::from_chars(v->data(), v->data() + v->size(), out).ec == std::errc()) return out;
  // UNSIGNED BIGINT beyond int64 (an AUTO_INCREMENT near its end): clamped.
  unsigned long long u = 0;
  if (std::from_chars(v->data(), v->data() + v->size(), u).ec == std::errc())
    return static_cast<std::int64_t>(std::min<unsigned long long>(u, LLONG_MAX));
  return std::nullopt;
}

Connection::Connection(const ConnectOptions& o, const core::CancelToken* cancel) {
  odbc::ConnectOptions options;
  options.driver = o.driver;
  auto add = [&](std::string key, std::string value, bool secret = false) {
    options.attributes.push_back({std::move(key), std::move(value), secret});
  };
  if (o.socket) {
    add("SOCKET", *o.socket);
  } else {
    add("SERVER", o.host);
    add("PORT", std::to_string(o.port));
  }
  add("UID", o.user);
  if (o.password) add("PWD", *o.password, true);
  if (o.database) add("DATABASE", *o.database);
  add("CHARSET", "utf8mb4");
  add("CONN_TIMEOUT", std::to_string(o.connect_timeout_s));
  add("READ_TIMEOUT", std::to_string(o.read_timeout_s));
  add("WRITE_TIMEOUT", std::to_string(o.read_timeout_s));
  if (o.ssl) add("FORCETLS", "1");
  if (o.ssl_verify) add("SSLVERIFY", "1");
  if (o.ssl_ca) add("SSLCA", *o.ssl_ca);
  if (o.ssl_cert) add("SSLCERT", *o.ssl_cert);
  if (o.ssl_key) add("SSLKEY", *o.ssl_key);
  options.login_timeout = std::chrono::seconds(o.connect_timeout_s);
  options.read_only = true;
  try {
    m_odbc = std::make_unique<odbc::Connection>(options, cancel);
  } catch (const odbc::OdbcError& e) {
    // 28000 / 1045: access denied; 1044: no access to the database named.
    const bool auth =
        odbc::is_authentication_failure(e) || e.native_code() == 1044 || e.native_code() == 1698;
    std::string message = server_words(e);
    if (odbc::is_driver_failure(e))
      message = fmt::format("ODBC driver '{}' cannot be loaded (see odbcinst.ini): {}", o.driver,
                            message);
    throw MysqlError(auth ? FailureKind::authenticate : FailureKind::connect, message, e.sqlstate(),
                     e.native_code());
  }
  exec("SET SESSION time_zone = '+00:00', SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION'");
  m_version = value("SELECT VERSION()").value_or("");
  m_mariadb = m_version.find("MariaDB") != std::string::npos;
  int parts[3] = {0, 0, 0};
  const char* p = m_version.c_str();
  const char* end = p + m_version.size();
  for (int& part : parts) {
    auto [next, ec] = std::from_chars(p, end, part);
    if (ec != std::errc() || next == end || *next != '.') break;
    p = next + 1;
  }
  m_version_number = parts[0] * 10000 + parts[1] * 100 + parts[2];
}

Connection::~Connection() = default;

void Connection::query(const std::string& sql, const std::function<void(const Row&)>& fn) {
  try {
    odbc::Statement statement = m_odbc->statement();
    statement.execute(sql);
    if (statement.result_columns().empty()) return;
    statement.for_each([&](const odbc::Row& r) { fn(Row(r)); });
  } catch (const odbc::OdbcError& e) {
    throw query_error(e);
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
