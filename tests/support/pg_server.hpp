#pragma once
// A throwaway PostgreSQL 15 server for the postgres extractor suites: created
// once per test process on first use (initdb into a temporary directory,
// loopback and a unix socket in that directory only, fsync off, a free port),
// loaded with tests/data/postgres/*.sql, and stopped and deleted at exit.
// Run as root, the server runs as the unprivileged system user connctl-test.
//
// Roles: the superuser `postgres` (trust), and two password (SCRAM) roles:
// connctl_reader with only the grants a metadata reader needs, and
// connctl_limited, which lacks USAGE on the schema `restricted`.

#include <filesystem>
#include <string>
#include <vector>

namespace connctl::testing {

class PgServer {
 public:
  // Starts the server on first call; throws std::runtime_error when it cannot.
  static PgServer& instance();

  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  int port() const { return m_port; }
  const std::filesystem::path& socket_dir() const { return m_dir; }
  static constexpr const char* k_database = "connctl_test";
  static constexpr const char* k_other_database = "connctl_other";
  static constexpr const char* k_reader = "connctl_reader";
  static constexpr const char* k_reader_password = "Reader-Pw-7f3c!x";
  static constexpr const char* k_limited = "connctl_limited";
  static constexpr const char* k_limited_password = "Limited-Pw-91aa";

  // Runs SQL as the superuser on a database; throws on error.
  void exec(const std::string& database, const std::string& sql) const;
  // The first column of every row, as the superuser.
  std::vector<std::string> column(const std::string& database, const std::string& sql) const;
  std::string value(const std::string& database, const std::string& sql) const;

  // pg_ctl restart -m immediate: every session is cut at once; returns when
  // the server accepts connections again.
  void restart_immediate();

 private:
  PgServer();
  void start();
  void stop() noexcept;

  std::filesystem::path m_dir;
  int m_port = 0;
  bool m_running = false;
};

}  // namespace connctl::testing
