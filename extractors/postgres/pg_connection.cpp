#include "extractors/postgres/pg_connection.hpp"

#include <charconv>
#include <cstdlib>
#include <stdexcept>

#include "core/secrets.hpp"

namespace connctl::extractors::postgres {
namespace {

// libpq messages end with a newline and may span lines: keep one line.
std::string one_line(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n' || c == '\r') {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return core::redact(out);
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

struct FreeDeleter {
  void operator()(void* p) const { PQfreemem(p); }
};

}  // namespace

std::optional<std::string> CopyRow::opt(std::size_t i) const {
  if (!m_fields[i]) return std::nullopt;
  return std::string(*m_fields[i]);
}

std::int64_t CopyRow::integer(std::size_t i) const {
  std::string_view v = view(i);
  std::int64_t out = 0;
  std::from_chars(v.data(), v.data() + v.size(), out);
  return out;
}

double CopyRow::real(std::size_t i) const {
  return std::strtod(std::string(view(i)).c_str(), nullptr);
}

void CopyRow::parse(char* line, std::size_t length) {
  m_fields.clear();
  char* field_start = line;
  char* out = line;
  bool escaped_null = false;
  auto finish = [&](char* end_of_input) {
    (void)end_of_input;
    if (escaped_null && out - field_start == 0) {
      m_fields.emplace_back(std::nullopt);
    } else {
      m_fields.emplace_back(
          std::string_view(field_start, static_cast<std::size_t>(out - field_start)));
    }
    escaped_null = false;
  };
  for (std::size_t i = 0; i < length; ++i) {
    char c = line[i];
    if (c == '\t') {
      finish(line + i);
      field_start = out = line + i + 1;
      continue;
    }
    if (c != '\\' || i + 1 >= length) {
      *out++ = c;
      continue;
    }
    char e = line[++i];
    switch (e) {
      case 'N':
        escaped_null = true;
        break;
      case 'n':
        *out++ = '\n';
        break;
      case 't':
        *out++ = '\t';
        break;
      case 'r':
        *out++ = '\r';
        break;
      case 'b':
        *out++ = '\b';
        break;
      case 'f':
        *out++ = '\f';
        break;
      case 'v':
        *out++ = '\v';
        break;
      default:
        *out++ = e;  // "\\" and any other escaped character stand for themselves
    }
  }
  finish(line + length);
}

Connection::Connection(const ConnectParams& params) {
  std::vector<const char*> keys;
  std::vector<const char*> values;
  for (const auto& [k, v] : params.values) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  m_conn.reset(PQconnectdbParams(keys.data(), values.data(), 0));
  if (!m_conn) throw PgError(FailureKind::connect, "out of memory");
  if (PQstatus(m_conn.get()) != CONNECTION_OK) {
    std::string message = one_line(PQerrorMessage(m_conn.get()));
    throw PgError(
        is_authentication_failure(message) ? FailureKind::authenticate : FailureKind::connect,
        message);
  }
}

bool is_authentication_failure(std::string_view message) {
  for (std::string_view needle :
       {"authentication failed", "no password supplied", "password is required", "does not exist",
        "no pg_hba.conf entry", "permission denied for database", "is not permitted to log in",
        "certificate authentication failed"}) {
    if (message.find(needle) != std::string_view::npos) return true;
  }
  return false;
}

void Connection::fail(const PGresult* result, std::string_view what) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = state ? state : "";
  std::string message = one_line(result ? PQresultErrorMessage(result) : "");
  if (message.empty()) message = one_line(PQerrorMessage(m_conn.get()));
  if (message.empty()) message = std::string(what) + " failed";
  // A dropped socket, a shutdown or a crash of the server: the session is gone.
  bool lost = PQstatus(m_conn.get()) == CONNECTION_BAD || starts_with(sqlstate, "57P") ||
              starts_with(sqlstate, "08");
  throw PgError(lost ? FailureKind::lost : FailureKind::query, message, sqlstate);
}

Result Connection::exec(const std::string& sql) {
  Result r(PQexec(m_conn.get(), sql.c_str()));
  ExecStatusType status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(r.get(), "query");
  return r;
}

std::optional<std::string> Connection::value(const std::string& sql) {
  Result r = exec(sql);
  if (PQntuples(r.get()) == 0 || PQgetisnull(r.get(), 0, 0)) return std::nullopt;
  return std::string(PQgetvalue(r.get(), 0, 0));
}

void Connection::copy(const std::string& query, const std::function<void(const CopyRow&)>& on_row) {
  CopyRow row;
  copy_lines(query, [&](char* line, std::size_t length) {
    row.parse(line, length);
    on_row(row);
  });
}

void Connection::copy_lines(const std::string& query,
                            const std::function<void(char*, std::size_t)>& on_line) {
  std::string sql = "COPY (" + query + ") TO STDOUT";
  if (!PQsendQuery(m_conn.get(), sql.c_str())) fail(nullptr, "COPY");
  Result first(PQgetResult(m_conn.get()));
  if (!first || PQresultStatus(first.get()) != PGRES_COPY_OUT) {
    Result rest;
    while ((rest = Result(PQgetResult(m_conn.get())))) {
    }
    fail(first.get(), "COPY");
  }
  for (;;) {
    char* buffer = nullptr;
    int n = PQgetCopyData(m_conn.get(), &buffer, 0);
    if (n < 0) break;
    std::unique_ptr<char, FreeDeleter> owned(buffer);
    std::size_t length = static_cast<std::size_t>(n);
    if (length > 0 && buffer[length - 1] == '\n') --length;
    on_line(buffer, length);
  }
  Result end(PQgetResult(m_conn.get()));
  bool ok = end && PQresultStatus(end.get()) == PGRES_COMMAND_OK;
  Result rest;
  while ((rest = Result(PQgetResult(m_conn.get())))) {
  }
  if (!ok) fail(end.get(), "COPY");
}

std::string Connection::quote_literal(std::string_view text) const {
  std::unique_ptr<char, FreeDeleter> q(PQescapeLiteral(m_conn.get(), text.data(), text.size()));
  if (!q) throw PgError(FailureKind::query, one_line(PQerrorMessage(m_conn.get())));
  return q.get();
}

std::string Connection::quote_identifier(std::string_view text) const {
  std::unique_ptr<char, FreeDeleter> q(PQescapeIdentifier(m_conn.get(), text.data(), text.size()));
  if (!q) throw PgError(FailureKind::query, one_line(PQerrorMessage(m_conn.get())));
  return q.get();
}

}  // namespace connctl::extractors::postgres
