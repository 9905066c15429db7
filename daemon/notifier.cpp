#include "daemon/notifier.hpp"

#include <fmt/format.h>
#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.hpp"
#include "core/log.hpp"

extern char** environ;

namespace connctl::daemon {

int run_command_with_input(const std::string& command, const std::string& input) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return -1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[0], STDIN_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // The daemon blocks its signals for signalfd; the hook gets a clean mask.
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  pid_t pid = 0;
  const int spawned =
      posix_spawn(&pid, "/bin/sh", &actions, &attr, const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(fds[0]);
  if (spawned != 0) {
    ::close(fds[1]);
    return -1;
  }
  // SIGPIPE is blocked in the daemon (see cmd_daemon), so a hook that does
  // not read its stdin makes write() fail with EPIPE instead of killing us.
  std::size_t done = 0;
  while (done < input.size()) {
    const ssize_t n = ::write(fds[1], input.data() + done, input.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fds[1]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int post_json(const std::string& url, const std::string& json) {
  // scheme://host[:port] for the client, the rest as the request path.
  const std::size_t authority = url.find("://");
  if (authority == std::string::npos) core::throw_usage(fmt::format("not a URL: {}", url));
  const std::size_t slash = url.find('/', authority + 3);
  const std::string origin = slash == std::string::npos ? url : url.substr(0, slash);
  const std::string path = slash == std::string::npos ? "/" : url.substr(slash);
  httplib::Client client(origin);
  client.set_connection_timeout(std::chrono::seconds(5));
  client.set_read_timeout(std::chrono::seconds(10));
  client.set_write_timeout(std::chrono::seconds(10));
  auto response = client.Post(path, json, "application/json");
  if (!response) {
    core::throw_runtime(
        fmt::format("webhook {}: {}", origin, httplib::to_string(response.error())));
  }
  return response->status;
}

Notifier::Notifier() : m_thread([this] { loop(); }) {}

Notifier::~Notifier() {
  {
    std::lock_guard lock(m_mutex);
    m_stop = true;
  }
  m_wake.notify_all();
  m_thread.join();
}

void Notifier::send(Notification notification) {
  {
    std::lock_guard lock(m_mutex);
    m_queue.push_back(std::move(notification));
  }
  m_wake.notify_all();
}

void Notifier::loop() {
  std::unique_lock lock(m_mutex);
  while (true) {
    m_wake.wait(lock, [this] { return m_stop || !m_queue.empty(); });
    if (m_queue.empty()) return;  // stopping, and everything delivered
    Notification next = std::move(m_queue.front());
    m_queue.pop_front();
    lock.unlock();
    deliver(next);
    lock.lock();
  }
}

void Notifier::deliver(const Notification& n) {
  try {
    if (n.target.starts_with("http://") || n.target.starts_with("https://")) {
      const int status = post_json(n.target, n.json);
      if (status < 200 || status >= 300) {
        core::log_warn("job '{}': failure webhook answered HTTP {}", n.job, status);
      } else {
        core::log_debug("job '{}': failure webhook delivered (HTTP {})", n.job, status);
      }
      return;
    }
    const int status = run_command_with_input(n.target, n.json);
    if (status != 0) {
      core::log_warn("job '{}': on_failure command exited with status {}", n.job, status);
    }
  } catch (const std::exception& e) {
    core::log_warn("job '{}': failure notification not delivered: {}", n.job, e.what());
  }
}

}  // namespace connctl::daemon
