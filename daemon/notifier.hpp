#pragma once
// Failure notifications: a command (the event as JSON on stdin) or a webhook
// (the same JSON POSTed). Delivery happens on the notifier's own thread, so
// that a slow hook never holds up the scheduler; a failed delivery is logged.

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace connctl::daemon {

struct Notification {
  std::string target;  // a command line, or an http(s):// URL
  std::string json;    // the event
  std::string job;     // for the log
};

// Runs `command` with /bin/sh -c, `input` on its stdin, and waits for it.
// Returns its exit status (-1 when it could not be started or was killed).
int run_command_with_input(const std::string& command, const std::string& input);

// POSTs `json` to `url`; returns the HTTP status or throws core::Error.
int post_json(const std::string& url, const std::string& json);

class Notifier {
 public:
  Notifier();
  ~Notifier();  // delivers what is queued, then stops
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  void send(Notification notification);

 private:
  void deliver(const Notification& notification);
  void loop();

  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::deque<Notification> m_queue;
  bool m_stop = false;
  std::thread m_thread;
};

}  // namespace connctl::daemon
