#include "daemon/instance_lock.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "core/error.hpp"

namespace connctl::daemon {

std::string InstanceLock::path_for(const std::string& catalog_url) {
  std::string_view path = catalog_url;
  if (path.starts_with("sqlite://")) path.remove_prefix(9);
  return std::string(path) + ".daemon.lock";
}

InstanceLock::InstanceLock(const std::string& catalog_url) : m_path(path_for(catalog_url)) {
  m_fd = ::open(m_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (m_fd < 0) {
    core::throw_runtime(
        fmt::format("cannot open the daemon lock file {}: {}", m_path, std::strerror(errno)),
        "the catalog's directory must be writable by the daemon");
  }
  if (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    char buffer[32] = {};
    const ssize_t n = ::pread(m_fd, buffer, sizeof buffer - 1, 0);
    std::string holder = n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : "";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    ::close(m_fd);
    m_fd = -1;
    if (error == EWOULDBLOCK) {
      core::throw_runtime(
          fmt::format("another connctl daemon{} is already running on the catalog {} (lock {})",
                      holder.empty() ? "" : " (pid " + holder + ")", catalog_url, m_path),
          "stop it first, or give this daemon its own catalog with --catalog");
    }
    core::throw_runtime(fmt::format("cannot lock {}: {}", m_path, std::strerror(error)));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(m_fd, 0) == 0) {
    [[maybe_unused]] ssize_t written = ::pwrite(m_fd, pid.data(), pid.size(), 0);
  }
}

InstanceLock::~InstanceLock() {
  if (m_fd >= 0) ::close(m_fd);
}

}  // namespace connctl::daemon
