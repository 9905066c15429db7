#include "cli/catalog_point.hpp"

#include <fmt/format.h>

#include <cctype>
#include <chrono>

#include "core/clock.hpp"
#include "core/error.hpp"

namespace connctl::cli {
namespace {

bool read_int(std::string_view& s, std::size_t digits, int& out) {
  if (s.size() < digits) return false;
  out = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    out = out * 10 + (s[i] - '0');
  }
  s.remove_prefix(digits);
  return true;
}

bool expect(std::string_view& s, char c) {
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}

}  // namespace

std::optional<std::string> normalise_iso_time(std::string_view s) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
  if (!read_int(s, 4, year) || !expect(s, '-') || !read_int(s, 2, month) || !expect(s, '-') ||
      !read_int(s, 2, day))
    return std::nullopt;
  if (!s.empty() && (s.front() == 'T' || s.front() == ' ')) {
    s.remove_prefix(1);
    if (!read_int(s, 2, hour) || !expect(s, ':') || !read_int(s, 2, minute)) return std::nullopt;
    if (!s.empty() && s.front() == ':') {
      s.remove_prefix(1);
      if (!read_int(s, 2, second)) return std::nullopt;
      if (!s.empty() && s.front() == '.') {
        s.remove_prefix(1);
        int scale = 100;
        while (!s.empty() && std::isdigit(static_cast<unsigned char>(s.front()))) {
          millis += (s.front() - '0') * scale;
          scale /= 10;
          s.remove_prefix(1);
        }
      }
    }
  }
  int offset_minutes = 0;
  if (s == "Z" || s.empty()) {
    s = {};
  } else if (s.front() == '+' || s.front() == '-') {
    const int sign = s.front() == '-' ? -1 : 1;
    s.remove_prefix(1);
    int oh = 0, om = 0;
    if (!read_int(s, 2, oh)) return std::nullopt;
    expect(s, ':');
    if (!read_int(s, 2, om) || !s.empty()) return std::nullopt;
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  std::chrono::year_month_day ymd{std::chrono::year(year), std::chrono::month(month),
                                  std::chrono::day(day)};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  auto t = std::chrono::sys_days(ymd) + std::chrono::hours(hour) + std::chrono::minutes(minute) +
           std::chrono::seconds(second) + std::chrono::milliseconds(millis) -
           std::chrono::minutes(offset_minutes);
  return core::format_iso8601_utc(std::chrono::time_point_cast<std::chrono::milliseconds>(t));
}

bool looks_like_point(std::string_view text) {
  if (text == "latest" || text.starts_with("run:") || text.starts_with("@")) return true;
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

catalog::RunInfo resolve_point(catalog::CatalogStore& store, const std::string& point,
                               std::string_view source) {
  std::string_view text = point;
  if (text == "latest") {
    auto run = store.last_committed_run(source, std::nullopt);
    if (!run)
      core::throw_usage("the catalog holds no completed sync yet", "run 'connctl sync SOURCE'");
    return *run;
  }
  if (text.starts_with("run:")) text.remove_prefix(4);
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos) {
    auto run = store.find_run(std::string(text));
    if (!run)
      core::throw_usage(fmt::format("no run {} in the catalog", text),
                        "'connctl history' lists the runs");
    return *run;
  }
  if (text.starts_with("@")) text.remove_prefix(1);
  auto iso = normalise_iso_time(text);
  if (!iso) {
    core::throw_usage(fmt::format("'{}' is neither a run id nor a time", point),
                      "write run:ID, latest, or a time such as @2026-11-01T00:00Z");
  }
  auto run = store.last_committed_run(source, iso);
  if (!run) {
    core::throw_usage(fmt::format("the catalog holds no completed sync{} at or before {}",
                                  source.empty() ? "" : fmt::format(" of '{}'", source), *iso));
  }
  return *run;
}

}  // namespace connctl::cli
