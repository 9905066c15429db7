#pragma once
// A throwaway MariaDB server for the mysql extractor suites: created once per
// test process on first use (mariadb-install-db into a temporary directory,
// mariadbd --no-defaults on 127.0.0.1 and a free port plus a unix socket in
// that directory, durability off), loaded with tests/data/mysql/*.sql, and
// stopped and deleted at exit. Run as root, the server runs as the
// unprivileged system user connctl-test. Grant checks are on (never
// --skip-grant-tables): the test users see only what their grants allow.
//
// Users (password authentication over TCP): root (no password, superuser),
// connctl_reader with only the grants a metadata reader needs, and
// connctl_noview, the same without SHOW VIEW.

#include <filesystem>
#include <string>
#include <vector>

namespace connctl::testing {

class MariadbServer {
 public:
  // Starts the server on first call; throws std::runtime_error when it cannot.
  static MariadbServer& instance();

  ~MariadbServer();
  MariadbServer(const MariadbServer&) = delete;
  MariadbServer& operator=(const MariadbServer&) = delete;

  int port() const { return m_port; }
  std::filesystem::path socket() const { return m_dir / "mysqld.sock"; }
  static constexpr const char* k_shop = "connctl_shop";
  static constexpr const char* k_other = "connctl.other db";
  static constexpr const char* k_reader = "connctl_reader";
  static constexpr const char* k_reader_password = "Reader-Pw-7f3c!x";
  static constexpr const char* k_noview = "connctl_noview";
  static constexpr const char* k_noview_password = "NoView-Pw-91aa";

  // Runs SQL as root; throws with the client's message on error.
  void exec(const std::string& sql) const;
  // The first column of every row, as root (tab-separated batch output,
  // unescaped: keep the queried values plain).
  std::vector<std::string> column(const std::string& sql) const;
  std::string value(const std::string& sql) const;

 private:
  MariadbServer();
  void start();
  void stop() noexcept;
  std::string client(const std::string& sql) const;

  std::filesystem::path m_dir;
  int m_port = 0;
  int m_pid = 0;
};

}  // namespace connctl::testing
