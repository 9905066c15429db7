#include "catalog/pg_session.hpp"

#include <fmt/format.h>

#include <charconv>

#include "core/error.hpp"
#include "core/secrets.hpp"

namespace connctl::catalog::pg {
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

constexpr std::size_t k_copy_chunk = 1 << 20;

}  // namespace

std::optional<std::string> PgResult::opt(int row, int col) const {
  if (is_null(row, col)) return std::nullopt;
  return text(row, col);
}

std::int64_t PgResult::integer(int row, int col) const {
  const char* v = PQgetvalue(m_result.get(), row, col);
  std::int64_t out = 0;
  std::from_chars(v, v + std::char_traits<char>::length(v), out);
  return out;
}

void append_copy_field(std::string& out, const Param& field) {
  if (!field) {
    out += "\\N";
    return;
  }
  for (char c : *field) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out.push_back(c);
    }
  }
}

PgSession::PgSession(const std::string& conninfo, const std::string& describe)
    : m_describe(describe) {
  m_conn.reset(PQconnectdb(conninfo.c_str()));
  if (!m_conn) core::throw_connection("cannot connect to catalog " + describe + ": out of memory");
  if (PQstatus(m_conn.get()) != CONNECTION_OK) {
    core::throw_connection(
        fmt::format("cannot connect to catalog {}: {}", describe,
                    one_line(PQerrorMessage(m_conn.get()))),
        "check the URL, that the server runs, and the password (in the URL, PGPASSWORD or "
        "~/.pgpass)");
  }
  // Quiet NOTICEs (IF NOT EXISTS …) would otherwise go to stderr.
  PQsetNoticeProcessor(
      m_conn.get(), [](void*, const char*) {}, nullptr);
}

void PgSession::fail(const PGresult* result, std::string_view what) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = state ? state : "";
  std::string message = one_line(result ? PQresultErrorMessage(result) : "");
  if (message.empty()) message = one_line(PQerrorMessage(m_conn.get()));
  if (message.empty()) message = std::string(what) + " failed";
  const bool lost = PQstatus(m_conn.get()) == CONNECTION_BAD || sqlstate.starts_with("57P") ||
                    sqlstate.starts_with("08");
  if (lost) core::throw_connection(fmt::format("catalog {}: {}", m_describe, message));
  core::throw_runtime(fmt::format("catalog {}: {}", m_describe, message));
}

PgResult PgSession::exec(const std::string& sql, const Params& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  PgResult r(PQexecParams(m_conn.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                          values.data(), nullptr, nullptr, 0));
  const ExecStatusType status = r.get() ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(r.get(), "query");
  return r;
}

void PgSession::exec_script(const std::string& sql) {
  PgResult r(PQexec(m_conn.get(), sql.c_str()));
  const ExecStatusType status = r.get() ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(r.get(), "query");
}

std::optional<std::string> PgSession::value(const std::string& sql, const Params& params) {
  PgResult r = exec(sql, params);
  if (r.rows() == 0 || r.is_null(0, 0)) return std::nullopt;
  return r.text(0, 0);
}

void PgSession::begin_copy(const std::string& target) {
  PgResult r(PQexec(m_conn.get(), ("COPY " + target + " FROM STDIN").c_str()));
  if (!r.get() || PQresultStatus(r.get()) != PGRES_COPY_IN) fail(r.get(), "COPY");
  m_copying = true;
  m_copy_buffer.clear();
}

void PgSession::copy_row(const Params& row) {
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (i > 0) m_copy_buffer.push_back('\t');
    append_copy_field(m_copy_buffer, row[i]);
  }
  m_copy_buffer.push_back('\n');
  if (m_copy_buffer.size() >= k_copy_chunk) flush_copy_buffer();
}

void PgSession::flush_copy_buffer() {
  if (m_copy_buffer.empty()) return;
  if (PQputCopyData(m_conn.get(), m_copy_buffer.data(), static_cast<int>(m_copy_buffer.size())) !=
      1) {
    m_copying = false;
    fail(nullptr, "COPY");
  }
  m_copy_buffer.clear();
}

void PgSession::end_copy() {
  if (!m_copying) return;
  m_copying = false;
  flush_copy_buffer();
  if (PQputCopyEnd(m_conn.get(), nullptr) != 1) fail(nullptr, "COPY");
  PgResult end(PQgetResult(m_conn.get()));
  const bool ok = end.get() && PQresultStatus(end.get()) == PGRES_COMMAND_OK;
  for (PgResult rest(PQgetResult(m_conn.get())); rest.get();
       rest = PgResult(PQgetResult(m_conn.get()))) {
  }
  if (!ok) fail(end.get(), "COPY");
}

}  // namespace connctl::catalog::pg
