#include "cli/stop.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

#include "core/error.hpp"
#include "core/log.hpp"

namespace connctl::cli {
namespace {

core::CancelToken g_stop;
// The handler writes a byte per signal, the watcher reads them.
int g_pipe[2] = {-1, -1};

std::mutex g_files_mutex;
std::set<std::string>& files() {
  static std::set<std::string> f;
  return f;
}

extern "C" void on_stop_signal(int) {
  const int saved = errno;
  g_stop.cancel();
  const char byte = 1;
  [[maybe_unused]] const ssize_t n = ::write(g_pipe[1], &byte, 1);
  errno = saved;
}

// The signals that arrive within `timeout_ms` (-1: waits for one).
int take_signals(int timeout_ms) {
  pollfd p{g_pipe[0], POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return 0;
  char bytes[16];
  const ssize_t n = ::read(g_pipe[0], bytes, sizeof bytes);
  return n > 0 ? static_cast<int>(n) : 0;
}

[[noreturn]] void end_now(const std::string& why) {
  {
    std::lock_guard lock(g_files_mutex);
    for (const auto& f : files()) ::unlink(f.c_str());
  }
  core::log_line(core::LogLevel::error, why);
  std::_Exit(static_cast<int>(core::ExitCode::interrupted));
}

void watch() {
  int seen = 0;
  while (seen == 0) seen = take_signals(-1);
  if (seen == 1)
    seen += take_signals(static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(k_stop_grace).count()));
  end_now(seen > 1 ? std::string("interrupted again: stopped at once")
                   : fmt::format("interrupted: still running {} s after the signal (a source that "
                                 "does not answer?); stopped at once",
                                 k_stop_grace.count()));
}

}  // namespace

core::CancelToken& stop_token() {
  return g_stop;
}

void install_stop_handlers() {
  if (::pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
    core::throw_runtime(fmt::format("cannot create a pipe: {}", std::strerror(errno)));
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  // No SA_RESTART: a wait in progress (a lock, a sleep) returns early and
  // the command sees the token sooner.
  sa.sa_flags = 0;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // The watcher is started with every signal blocked, and keeps them so.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  std::thread(watch).detach();
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

void remove_on_forced_stop(const std::string& path) {
  std::lock_guard lock(g_files_mutex);
  files().insert(path);
}

void forget_on_forced_stop(const std::string& path) {
  std::lock_guard lock(g_files_mutex);
  files().erase(path);
}

}  // namespace connctl::cli
