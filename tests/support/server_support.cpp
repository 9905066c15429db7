#include "support/server_support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace connctl::testing {

namespace fs = std::filesystem;

namespace {

void ensure_os_user() {
  if (!is_root() || ::getpwnam(k_server_os_user)) return;
  // Parallel test processes may race here: whoever loses finds the user.
  run({"useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", k_server_os_user},
      "/dev/null", false);
  if (!::getpwnam(k_server_os_user))
    throw std::runtime_error("cannot create the user connctl-test");
}

}  // namespace

bool is_root() {
  return ::geteuid() == 0;
}

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
  if (as_server_user && is_root())
    argv.insert(argv.begin(), {"runuser", "-u", k_server_os_user, "--"});
  return wait_for(spawn(std::move(argv), "/dev/null", log));
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

fs::path make_server_dir(const std::string& prefix) {
  std::string tmpl = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  fs::path dir = tmpl;
  ::chmod(dir.c_str(), 0755);
  try {
    ensure_os_user();
    if (is_root()) {
      passwd* pw = ::getpwnam(k_server_os_user);
      if (::chown(dir.c_str(), pw->pw_uid, pw->pw_gid) != 0)
        throw std::runtime_error("cannot chown the test server's directory");
    }
  } catch (...) {
    std::error_code ec;
    fs::remove_all(dir, ec);
    throw;
  }
  return dir;
}

std::string tail_of(const fs::path& file) {
  std::ifstream in(file);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return all.size() > 2000 ? all.substr(all.size() - 2000) : all;
}

}  // namespace connctl::testing
