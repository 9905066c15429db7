#include "core/log.hpp"

#include <chrono>
#include <cstdio>
#include <mutex>

#include "core/clock.hpp"
#include "core/secrets.hpp"

namespace connctl::core {

std::string json_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out;
}

namespace {

struct LoggerState {
  std::mutex mutex;
  LogSettings settings;
};

LoggerState& state() {
  static LoggerState s;
  return s;
}

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::error:
      return "error";
    case LogLevel::warn:
      return "warn";
    case LogLevel::info:
      return "info";
    case LogLevel::debug:
      return "debug";
  }
  return "info";
}

const char* level_color(LogLevel level) {
  switch (level) {
    case LogLevel::error:
      return "\x1b[31m";
    case LogLevel::warn:
      return "\x1b[33m";
    case LogLevel::info:
      return "\x1b[36m";
    case LogLevel::debug:
      return "\x1b[90m";
  }
  return "";
}

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  out += json_escape(s);
  out.push_back('"');
}

}  // namespace

std::string format_iso8601_utc(TimePoint t) {
  auto ms = t.time_since_epoch().count();
  auto secs = static_cast<std::time_t>(ms / 1000);
  auto frac = static_cast<int>(ms % 1000);
  if (frac < 0) {
    frac += 1000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

void set_log_settings(const LogSettings& settings) {
  std::lock_guard lock(state().mutex);
  state().settings = settings;
}

LogSettings log_settings() {
  std::lock_guard lock(state().mutex);
  return state().settings;
}

bool log_enabled(LogLevel level) {
  std::lock_guard lock(state().mutex);
  return static_cast<int>(level) <= static_cast<int>(state().settings.level);
}

void log_line(LogLevel level, std::string_view message, const LogFields& fields) {
  auto& s = state();
  std::string line;
  std::lock_guard lock(s.mutex);
  if (static_cast<int>(level) > static_cast<int>(s.settings.level)) return;
  if (s.settings.format == LogFormat::json) {
    line += "{\"ts\":";
    append_json_string(line, format_iso8601_utc(SystemClock().now()));
    line += ",\"level\":";
    append_json_string(line, level_name(level));
    line += ",\"msg\":";
    append_json_string(line, redact(message));
    for (const auto& [key, value] : fields) {
      line.push_back(',');
      append_json_string(line, key);
      line.push_back(':');
      append_json_string(line, redact(value));
    }
    line += "}\n";
  } else {
    if (s.settings.color) line += level_color(level);
    line += "connctl: ";
    line += level_name(level);
    if (s.settings.color) line += "\x1b[0m";
    line += ": ";
    line += redact(message);
    for (const auto& [key, value] : fields) {
      line += fmt::format(" {}={}", key, redact(value));
    }
    line.push_back('\n');
  }
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace connctl::core
