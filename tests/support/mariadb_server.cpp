#include "support/mariadb_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "support/test_support.hpp"

namespace connctl::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* k_os_user = "connctl-test";

bool is_root() {
  return ::geteuid() == 0;
}

// Starts argv with stdin from `in` and stdout+stderr appended to `out`;
// returns the child's pid.
pid_t spawn(std::vector<std::string> argv, const fs::path& in, const fs::path& out) {
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    int input = ::open(in.c_str(), O_RDONLY);
    if (input >= 0) ::dup2(input, 0);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int run(std::vector<std::string> argv, const fs::path& log, bool as_server_user) {
  if (as_server_user && is_root()) argv.insert(argv.begin(), {"runuser", "-u", k_os_user, "--"});
  return wait_for(spawn(std::move(argv), "/dev/null", log));
}

void ensure_os_user() {
  if (!is_root() || ::getpwnam(k_os_user)) return;
  // Parallel test processes may race here: whoever loses finds the user.
  run({"useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", k_os_user},
      "/dev/null", false);
  if (!::getpwnam(k_os_user)) throw std::runtime_error("cannot create the user connctl-test");
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

std::string tail_of(const fs::path& file) {
  std::ifstream in(file);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return all.size() > 2000 ? all.substr(all.size() - 2000) : all;
}

}  // namespace

MariadbServer& MariadbServer::instance() {
  static MariadbServer server;
  return server;
}

MariadbServer::MariadbServer() {
  std::string tmpl = (fs::temp_directory_path() / "connctl-mariadb-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  m_dir = tmpl;
  ::chmod(m_dir.c_str(), 0755);
  try {
    ensure_os_user();
    if (is_root()) {
      passwd* pw = ::getpwnam(k_os_user);
      if (::chown(m_dir.c_str(), pw->pw_uid, pw->pw_gid) != 0)
        throw std::runtime_error("cannot chown the test server's directory");
    }
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
           "--auth-root-authentication-method=normal", "--skip-test-db"},
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
    // mariadbd drops to this user itself, so m_pid is the server's own pid.
    if (is_root()) argv.push_back(std::string("--user=") + k_os_user);
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
