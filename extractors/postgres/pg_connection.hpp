#pragma once
// A libpq connection with RAII handles, plain queries and COPY streaming.
// libpq is used directly (beside libpqxx 6.4, whose stream_from cannot stream
// a query): catalog rows arrive through `COPY (SELECT …) TO STDOUT`, parsed in
// place, so a 200k-column catalog costs one round trip and no per-row result.

#include <libpq-fe.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace connctl::extractors::postgres {

// Connection parameters; an absent value leaves libpq to its PG* environment
// variables and defaults.
struct ConnectParams {
  std::map<std::string, std::string> values;  // libpq keyword -> value
};

// What kind of failure a libpq error is, for exit codes and test steps.
enum class FailureKind { connect, authenticate, lost, query };

// Thrown by this layer; messages are already redacted.
class PgError : public std::runtime_error {
 public:
  PgError(FailureKind kind, std::string message, std::string sqlstate = {})
      : std::runtime_error(std::move(message)), m_kind(kind), m_sqlstate(std::move(sqlstate)) {}
  FailureKind kind() const { return m_kind; }
  const std::string& sqlstate() const { return m_sqlstate; }

 private:
  FailureKind m_kind;
  std::string m_sqlstate;
};

// One row of a COPY text stream: fields decoded in place; a null field is
// absent. Views are valid until the next row.
class CopyRow {
 public:
  std::size_t size() const { return m_fields.size(); }
  bool is_null(std::size_t i) const { return !m_fields[i].has_value(); }
  std::string_view view(std::size_t i) const { return m_fields[i].value_or(std::string_view{}); }
  std::string str(std::size_t i) const { return std::string(view(i)); }
  std::optional<std::string> opt(std::size_t i) const;
  std::int64_t integer(std::size_t i) const;
  double real(std::size_t i) const;
  std::uint32_t oid(std::size_t i) const { return static_cast<std::uint32_t>(integer(i)); }
  bool boolean(std::size_t i) const { return view(i) == "t"; }
  char character(std::size_t i) const { return view(i).empty() ? '\0' : view(i)[0]; }

  // Splits and unescapes one COPY text line (without its newline).
  void parse(char* line, std::size_t length);

 private:
  std::vector<std::optional<std::string_view>> m_fields;
};

// A result of PQexec, cleared on destruction.
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

class Connection {
 public:
  // Throws PgError(connect | authenticate) with a redacted message.
  explicit Connection(const ConnectParams& params);
  ~Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  PGconn* handle() const { return m_conn.get(); }

  // Runs SQL (one or more statements) and returns the last result; throws
  // PgError(query | lost) on failure.
  Result exec(const std::string& sql);
  // A single value of the first row, or nullopt when null or no rows.
  std::optional<std::string> value(const std::string& sql);

  // Streams `COPY (query) TO STDOUT` row by row.
  void copy(const std::string& query, const std::function<void(const CopyRow&)>& on_row);
  // The same, handing over each raw line (without its newline), unparsed.
  void copy_lines(const std::string& query, const std::function<void(char*, std::size_t)>& on_line);

  std::string quote_literal(std::string_view text) const;
  std::string quote_identifier(std::string_view text) const;

  bool ssl_in_use() const { return PQsslInUse(m_conn.get()) != 0; }
  int server_version() const { return PQserverVersion(m_conn.get()); }

 private:
  [[noreturn]] void fail(const PGresult* result, std::string_view what);

  struct ConnDeleter {
    void operator()(PGconn* c) const { PQfinish(c); }
  };
  std::unique_ptr<PGconn, ConnDeleter> m_conn;
};

// Whether a connection failure text means the credentials were refused
// (the server was reached).
bool is_authentication_failure(std::string_view message);

}  // namespace connctl::extractors::postgres
