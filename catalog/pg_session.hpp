#pragma once
// One libpq session of the PostgreSQL catalog store: parameterised queries
// and bulk loading through COPY FROM STDIN. The extractor's own libpq layer
// (extractors/postgres/pg_connection) reads catalogs through COPY TO STDOUT;
// the catalog may not depend on extractors, and needs the other direction and
// parameters, so it has this small layer. Both redact through core::redact.

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace connctl::catalog::pg {

using Param = std::optional<std::string>;  // nullopt is SQL NULL
using Params = std::vector<Param>;

// A query result, cleared on destruction; values are text.
class PgResult {
 public:
  explicit PgResult(PGresult* result) : m_result(result) {}
  PGresult* get() const { return m_result.get(); }
  int rows() const { return PQntuples(m_result.get()); }
  bool is_null(int row, int col) const { return PQgetisnull(m_result.get(), row, col) != 0; }
  std::string text(int row, int col) const { return PQgetvalue(m_result.get(), row, col); }
  std::optional<std::string> opt(int row, int col) const;
  std::int64_t integer(int row, int col) const;

 private:
  struct Deleter {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  std::unique_ptr<PGresult, Deleter> m_result;
};

class PgSession {
 public:
  // `conninfo` is a postgresql:// URL or key=value string; a password comes
  // from it, PGPASSWORD or the passfile. Throws core::Error(connection) with
  // `describe` (the URL without its password) in the message.
  PgSession(const std::string& conninfo, const std::string& describe);
  PgSession(const PgSession&) = delete;
  PgSession& operator=(const PgSession&) = delete;

  // Runs one statement with text parameters ($1, $2, …); throws
  // core::Error(runtime), or (connection) when the session is lost.
  PgResult exec(const std::string& sql, const Params& params = {});
  // Runs one or more statements without parameters.
  void exec_script(const std::string& sql);
  std::optional<std::string> value(const std::string& sql, const Params& params = {});

  // COPY `target` FROM STDIN (text format): begin, rows, end. While a copy is
  // open no other statement may run; end_copy() is idempotent.
  void begin_copy(const std::string& target);
  void copy_row(const Params& row);
  void end_copy();
  bool copying() const { return m_copying; }

  int backend_pid() const { return PQbackendPID(m_conn.get()); }

 private:
  [[noreturn]] void fail(const PGresult* result, std::string_view what);
  void flush_copy_buffer();

  struct ConnDeleter {
    void operator()(PGconn* c) const { PQfinish(c); }
  };
  std::unique_ptr<PGconn, ConnDeleter> m_conn;
  std::string m_describe;
  bool m_copying = false;
  std::string m_copy_buffer;
};

// Escapes one field for COPY text format.
void append_copy_field(std::string& out, const Param& field);

}  // namespace connctl::catalog::pg
