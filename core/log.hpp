#pragma once
// Logging to stderr, as text or JSON lines. Data goes to stdout, never here.
// Every line passes through core::redact(). The logger's settings are set once
// by main() from the global flags; the functions are safe from any thread.

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace connctl::core {

enum class LogLevel { error = 0, warn = 1, info = 2, debug = 3 };
enum class LogFormat { text, json };

struct LogSettings {
  LogLevel level = LogLevel::info;
  LogFormat format = LogFormat::text;
  bool color = false;  // only on a terminal, and never with NO_COLOR set
};

void set_log_settings(const LogSettings& settings);
LogSettings log_settings();
bool log_enabled(LogLevel level);

// Optional structured fields, e.g. {{"source", "sample"}, {"object", fqn}}.
using LogFields = std::vector<std::pair<std::string, std::string>>;

void log_line(LogLevel level, std::string_view message, const LogFields& fields = {});

// The text as the inside of a JSON string (quotes, backslashes and control
// characters escaped), for the JSON log lines and the daemon's events.
std::string json_escape(std::string_view text);

template <class... Args>
void log_error(fmt::format_string<Args...> f, Args&&... args) {
  if (log_enabled(LogLevel::error))
    log_line(LogLevel::error, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void log_warn(fmt::format_string<Args...> f, Args&&... args) {
  if (log_enabled(LogLevel::warn))
    log_line(LogLevel::warn, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void log_info(fmt::format_string<Args...> f, Args&&... args) {
  if (log_enabled(LogLevel::info))
    log_line(LogLevel::info, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void log_debug(fmt::format_string<Args...> f, Args&&... args) {
  if (log_enabled(LogLevel::debug))
    log_line(LogLevel::debug, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace connctl::core
