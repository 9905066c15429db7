#include "support/mariadb_server.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "support/server_support.hpp"
#include "support/test_support.hpp"

namespace connctl::testing {
namespace fs = std::filesystem;

MariadbServer& MariadbServer::instance() {
  static MariadbServer server;
  return server;
}

MariadbServer::MariadbServer() {
  m_dir = make_server_dir("connctl-mariadb");
  try {
    start();
  } catch (...) {
    stop();
    throw;
  }
}

MariadbServer::~MariadbServer() {
  stop();
}

void MariadbServer::start() {
  const fs::path log = m_dir / "setup.log";
  if (run({"mariadb-install-db", "--no-defaults", "--datadir=" + (m_dir / "data").string(),
           "--auth-root-authentication-method=normal", "--skip-test-db",
           "--tmpdir=" + m_dir.string()},
          log, true) != 0) {
    throw std::runtime_error("mariadb-install-db failed: " + tail_of(log));
  }
  // Another process may take the port between our probe and the server's
  // bind: try a few.
  const fs::path error_log = m_dir / "error.log";
  for (int attempt = 0; attempt < 5 && m_pid == 0; ++attempt) {
    m_port = free_port();
    std::vector<std::string> argv = {"mariadbd",
                                     "--no-defaults",
                                     "--datadir=" + (m_dir / "data").string(),
                                     "--socket=" + socket().string(),
                                     "--port=" + std::to_string(m_port),
                                     "--bind-address=127.0.0.1",
                                     "--pid-file=" + (m_dir / "mariadbd.pid").string(),
                                     "--log-error=" + error_log.string(),
                                     "--skip-name-resolve",
                                     "--skip-log-bin",
                                     "--character-set-server=utf8mb4",
                                     "--collation-server=utf8mb4_general_ci",
                                     "--event-scheduler=OFF",
                                     "--innodb-buffer-pool-size=32M",
                                     "--innodb-log-file-size=16M",
                                     "--innodb-flush-log-at-trx-commit=0",
                                     "--innodb-doublewrite=0",
                                     "--innodb-flush-method=nosync",
                                     "--max-connections=60"};
    // Its own tmpdir: a starting server deletes every #sql* file in its
    // tmpdir, the temporary tables of other servers included.
    argv.push_back("--tmpdir=" + m_dir.string());
    // mariadbd drops to this user itself, so m_pid is the server's own pid.
    if (is_root()) argv.push_back(std::string("--user=") + k_server_os_user);
    pid_t pid = spawn(argv, "/dev/null", log);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    bool up = false;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) break;  // exited: port taken or worse
      if (run({"mariadb-admin", "--no-defaults", "-S", socket().string(), "-uroot", "ping"},
              "/dev/null", false) == 0) {
        up = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    if (up) {
      m_pid = pid;
    } else if (::kill(pid, 0) == 0) {
      ::kill(pid, SIGKILL);
      wait_for(pid);
    }
  }
  if (m_pid == 0) throw std::runtime_error("the test server did not start: " + tail_of(error_log));

  const fs::path data = source_dir() / "tests" / "data" / "mysql";
  exec(read_file(data / "schema.sql"));
  exec(read_file(data / "other.sql"));
  exec(read_file(data / "users.sql"));
  exec(std::string("ALTER USER ") + k_reader + "@'%' IDENTIFIED BY '" + k_reader_password +
       "'; ALTER USER " + k_noview + "@'%' IDENTIFIED BY '" + k_noview_password + "'");
  exec("ANALYZE TABLE connctl_shop.customers, connctl_shop.orders");
}

void MariadbServer::stop() noexcept {
  try {
    if (m_pid > 0) {
      ::kill(m_pid, SIGTERM);
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      int status = 0;
      while (::waitpid(m_pid, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
          ::kill(m_pid, SIGKILL);
          wait_for(m_pid);
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      m_pid = 0;
    }
    std::error_code ec;
    if (!m_dir.empty()) fs::remove_all(m_dir, ec);
  } catch (...) {
  }
}

std::string MariadbServer::client(const std::string& sql) const {
  TempDir tmp;
  const fs::path in = tmp / "in.sql";
  const fs::path out = tmp / "out.txt";
  {
    std::ofstream f(in, std::ios::binary);
    f << sql;
  }
  int rc = wait_for(
      spawn({"mariadb", "--no-defaults", "-S", socket().string(), "-uroot", "--batch",
             "--skip-column-names", "--raw", "--comments", "--default-character-set=utf8mb4"},
            in, out));
  std::string text = read_file(out);
  if (rc != 0) throw std::runtime_error("test server SQL failed: " + text);
  return text;
}

void MariadbServer::exec(const std::string& sql) const {
  client(sql);
}

std::vector<std::string> MariadbServer::column(const std::string& sql) const {
  std::string text = client(sql);
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    out.push_back(line.substr(0, line.find('\t')));
    start = end + 1;
  }
  return out;
}

std::string MariadbServer::value(const std::string& sql) const {
  auto rows = column(sql);
  if (rows.empty()) throw std::runtime_error("no rows: " + sql);
  return rows.front();
}

}  // namespace connctl::testing
