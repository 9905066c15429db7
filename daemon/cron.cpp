#include "daemon/cron.hpp"

#include <date/date.h>
#include <date/tz.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <stdexcept>

#include "core/error.hpp"

namespace connctl::daemon {
namespace {

using std::chrono::seconds;
using Days = date::days;

struct FieldSpec {
  const char* name;
  int min;
  int max;
  std::array<const char*, 12> names;  // empty strings when the field has none
  int name_base;
};

constexpr FieldSpec k_second{"second", 0, 59, {}, 0};
constexpr FieldSpec k_minute{"minute", 0, 59, {}, 0};
constexpr FieldSpec k_hour{"hour", 0, 23, {}, 0};
constexpr FieldSpec k_dom{"day-of-month", 1, 31, {}, 0};
constexpr FieldSpec k_month{
    "month",
    1,
    12,
    {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"},
    1};
constexpr FieldSpec k_dow{
    "day-of-week", 0, 7, {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}, 0};

// 400 Gregorian years repeat the calendar exactly: nothing found in one cycle
// is never found.
constexpr int k_cycle_days = 146097;

class Parser {
 public:
  explicit Parser(std::string_view expression) : m_expression(expression) {}

  [[noreturn]] void fail(const FieldSpec& field, std::string_view item,
                         std::string_view why) const {
    core::throw_usage(
        fmt::format("cron expression '{}': {} field '{}': {}", m_expression, field.name, item, why),
        "see docs/schedule.md for the syntax");
  }

  int value(const FieldSpec& field, std::string_view item, std::string_view token) const {
    if (token.empty()) fail(field, item, "a value is missing");
    std::string upper;
    for (char c : token)
      upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    for (std::size_t i = 0; i < field.names.size(); ++i) {
      if (field.names[i] && *field.names[i] && upper == field.names[i])
        return static_cast<int>(i) + field.name_base;
    }
    int v = 0;
    for (char c : token) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || v > 1000)
        fail(field, item, "not a number or a name");
      v = v * 10 + (c - '0');
    }
    if (v < field.min || v > field.max) {
      fail(field, item, fmt::format("{} is outside {}-{}", v, field.min, field.max));
    }
    return v;
  }

  // A plain item: *, ?, a, a-b, with an optional /step.
  template <std::size_t N>
  void plain_item(const FieldSpec& field, std::string_view item, std::bitset<N>& bits) const {
    std::string_view base = item;
    int step = 1;
    if (auto slash = item.find('/'); slash != std::string_view::npos) {
      base = item.substr(0, slash);
      std::string_view step_text = item.substr(slash + 1);
      if (step_text.empty()) fail(field, item, "a step is missing after '/'");
      step = 0;
      for (char c : step_text) {
        if (!std::isdigit(static_cast<unsigned char>(c)) || step > 1000)
          fail(field, item, "the step is not a number");
        step = step * 10 + (c - '0');
      }
      if (step < 1 || step > field.max - field.min + 1)
        fail(field, item, "the step is out of range");
    }
    int lo = field.min;
    int hi = field.max;
    if (base == "*" || base == "?") {
      if (&field == &k_dow) hi = 6;  // 7 is an alias of Sunday, not an eighth day
    } else if (auto dash = base.find('-'); dash != std::string_view::npos) {
      lo = value(field, item, base.substr(0, dash));
      hi = value(field, item, base.substr(dash + 1));
      if (hi < lo) fail(field, item, "a range must go from low to high");
    } else {
      lo = value(field, item, base);
      if (item.find('/') == std::string_view::npos) hi = lo;
    }
    for (int v = lo; v <= hi; v += step) bits.set(static_cast<std::size_t>(v));
  }

  std::string_view expression() const { return m_expression; }

 private:
  std::string_view m_expression;
};

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    auto pos = text.find(sep, start);
    out.push_back(
        text.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

std::vector<std::string_view> fields_of(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    std::size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

std::string_view expand_macro(std::string_view text) {
  static constexpr std::pair<std::string_view, std::string_view> k_macros[] = {
      {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
      {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
      {"@hourly", "0 * * * *"},
  };
  for (const auto& [name, expansion] : k_macros) {
    if (text == name) return expansion;
  }
  return {};
}

bool starts_unrestricted(std::string_view field) {
  return !field.empty() && (field[0] == '*' || field[0] == '?');
}

unsigned last_day_of(int year, unsigned month) {
  return static_cast<unsigned>(
      date::year_month_day_last{date::year{year} / date::month{month} / date::last}.day());
}

unsigned weekday_of(int year, unsigned month, unsigned day) {
  return date::weekday{date::year{year} / date::month{month} / date::day{day}}.c_encoding();
}

date::local_seconds to_local(date::sys_seconds s, seconds offset) {
  return date::local_seconds{(s + offset).time_since_epoch()};
}

date::sys_seconds to_sys(date::local_seconds l, seconds offset) {
  return date::sys_seconds{l.time_since_epoch()} - offset;
}

}  // namespace

CronSchedule CronSchedule::parse(std::string_view expression, const date::time_zone* zone) {
  CronSchedule s;
  s.m_expression = std::string(expression);
  s.m_zone = zone;
  Parser parser(expression);
  std::string_view text = expression;
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  if (!text.empty() && text.front() == '@') {
    std::string_view expansion = expand_macro(text);
    if (expansion.empty()) {
      core::throw_usage(fmt::format("cron expression '{}': unknown macro", expression),
                        "macros: @yearly @annually @monthly @weekly @daily @midnight @hourly");
    }
    text = expansion;
  }
  auto fields = fields_of(text);
  if (fields.size() == 5) {
    s.m_seconds.set(0);
  } else if (fields.size() == 6) {
    for (auto item : split(fields[0], ',')) parser.plain_item(k_second, item, s.m_seconds);
    fields.erase(fields.begin());
  } else {
    core::throw_usage(fmt::format(
        "cron expression '{}': expected 5 fields (minute hour day-of-month month day-of-week) or 6 "
        "with seconds first, found {}",
        expression, fields.size()));
  }
  for (auto item : split(fields[0], ',')) parser.plain_item(k_minute, item, s.m_minutes);
  for (auto item : split(fields[1], ',')) parser.plain_item(k_hour, item, s.m_hours);
  for (auto item : split(fields[2], ',')) {
    std::string upper;
    for (char c : item)
      upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    if (upper == "L") {
      s.m_dom_special.push_back({DomSpecial::Kind::last_day, 0});
    } else if (upper == "LW") {
      s.m_dom_special.push_back({DomSpecial::Kind::last_weekday, 0});
    } else if (upper.size() > 1 && upper.back() == 'W') {
      int day = parser.value(k_dom, item, item.substr(0, item.size() - 1));
      s.m_dom_special.push_back({DomSpecial::Kind::nearest_weekday, day});
    } else {
      parser.plain_item(k_dom, item, s.m_days);
    }
  }
  for (auto item : split(fields[3], ',')) parser.plain_item(k_month, item, s.m_months);
  for (auto item : split(fields[4], ',')) {
    if (auto hash = item.find('#'); hash != std::string_view::npos) {
      int weekday = parser.value(k_dow, item, item.substr(0, hash)) % 7;
      std::string_view nth_text = item.substr(hash + 1);
      if (nth_text.size() != 1 || nth_text[0] < '1' || nth_text[0] > '5') {
        parser.fail(k_dow, item, "'#' takes a number from 1 to 5");
      }
      s.m_dow_special.push_back({DowSpecial::Kind::nth_in_month, weekday, nth_text[0] - '0'});
    } else if (item.size() > 1 && (item.back() == 'L' || item.back() == 'l')) {
      int weekday = parser.value(k_dow, item, item.substr(0, item.size() - 1)) % 7;
      s.m_dow_special.push_back({DowSpecial::Kind::last_in_month, weekday, 0});
    } else {
      std::bitset<8> bits;
      parser.plain_item(k_dow, item, bits);
      for (int d = 0; d < 7; ++d) {
        if (bits.test(static_cast<std::size_t>(d))) s.m_weekdays.set(static_cast<std::size_t>(d));
      }
      if (bits.test(7)) s.m_weekdays.set(0);
    }
  }
  s.m_dom_restricted = !starts_unrestricted(fields[2]);
  s.m_dow_restricted = !starts_unrestricted(fields[4]);
  s.m_elapsed = fields[1].find('*') != std::string_view::npos ||
                fields[1].find('/') != std::string_view::npos;

  // Reject what can never fire, so that next() always finds an answer.
  date::sys_days day = date::year{2000} / 1 / 1;
  bool found = false;
  for (int i = 0; i < k_cycle_days && !found; ++i, day += Days{1}) {
    date::year_month_day ymd{day};
    found = s.day_matches(static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                          static_cast<unsigned>(ymd.day()));
  }
  if (!found) {
    core::throw_usage(
        fmt::format("cron expression '{}' never fires: no calendar day matches its day-of-month, "
                    "month and day-of-week fields",
                    expression));
  }
  return s;
}

bool CronSchedule::day_matches(int year, unsigned month, unsigned day) const {
  if (!m_months.test(month)) return false;
  unsigned last = last_day_of(year, month);
  unsigned weekday = weekday_of(year, month, day);
  bool dom = m_days.test(day);
  for (const auto& special : m_dom_special) {
    switch (special.kind) {
      case DomSpecial::Kind::last_day:
        dom = dom || day == last;
        break;
      case DomSpecial::Kind::last_weekday: {
        unsigned target = last;
        unsigned wd = weekday_of(year, month, last);
        if (wd == 6) target = last - 1;
        if (wd == 0) target = last - 2;
        dom = dom || day == target;
        break;
      }
      case DomSpecial::Kind::nearest_weekday: {
        auto n = static_cast<unsigned>(special.day);
        if (n > last) break;  // that day does not exist this month
        unsigned target = n;
        unsigned wd = weekday_of(year, month, n);
        if (wd == 6) target = n == 1 ? n + 2 : n - 1;  // never into another month
        if (wd == 0) target = n == last ? n - 2 : n + 1;
        dom = dom || day == target;
        break;
      }
    }
  }
  bool dow = m_weekdays.test(weekday);
  for (const auto& special : m_dow_special) {
    if (static_cast<unsigned>(special.weekday) != weekday) continue;
    if (special.kind == DowSpecial::Kind::last_in_month) dow = dow || day + 7 > last;
    if (special.kind == DowSpecial::Kind::nth_in_month)
      dow = dow || (day - 1) / 7 + 1 == static_cast<unsigned>(special.nth);
  }
  // Vixie cron: when both day fields are restricted, either may match.
  if (m_dom_restricted && m_dow_restricted) return dom || dow;
  return dom && dow;
}

int CronSchedule::next_second_of_day(int from) const {
  int h0 = from / 3600;
  int m0 = (from / 60) % 60;
  int s0 = from % 60;
  for (int h = h0; h < 24; ++h) {
    if (!m_hours.test(static_cast<std::size_t>(h))) continue;
    for (int m = h == h0 ? m0 : 0; m < 60; ++m) {
      if (!m_minutes.test(static_cast<std::size_t>(m))) continue;
      for (int s = (h == h0 && m == m0) ? s0 : 0; s < 60; ++s) {
        if (m_seconds.test(static_cast<std::size_t>(s))) return h * 3600 + m * 60 + s;
      }
    }
  }
  return -1;
}

core::TimePoint CronSchedule::next(core::TimePoint t) const {
  // The smallest local time >= from that matches every field.
  auto next_local = [this](date::local_seconds from) {
    auto day = date::floor<Days>(from);
    int second = static_cast<int>((from - day).count());
    for (int i = 0; i <= k_cycle_days; ++i, day += Days{1}, second = 0) {
      date::year_month_day ymd{day};
      if (!day_matches(static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                       static_cast<unsigned>(ymd.day()))) {
        continue;
      }
      int s = next_second_of_day(second);
      if (s >= 0) return date::local_seconds{day} + seconds{s};
    }
    throw std::logic_error("cron: a validated schedule found no fire time");
  };

  date::sys_seconds s0 = date::floor<seconds>(t) + seconds{1};
  date::sys_info info = m_zone->get_info(s0);
  // Offsets never move by a day or more, so a local time whose instant lies
  // this far inside s0's period maps to that instant alone.
  constexpr seconds k_margin = std::chrono::hours{26};
  // Local times just before local(s0) still have an instant at or after s0
  // when s0 is in either pass of a repeated interval: start the search there.
  seconds back{0};
  if (s0 - info.begin < k_margin) {
    date::sys_info previous = m_zone->get_info(info.begin - seconds{1});
    if (previous.offset > info.offset && s0 < info.begin + (previous.offset - info.offset)) {
      back = previous.offset - info.offset;
    }
  }
  if (info.end - s0 < k_margin) {
    date::sys_info following = m_zone->get_info(info.end);
    if (info.offset > following.offset && s0 + (info.offset - following.offset) >= info.end) {
      back = std::max(back, info.offset - following.offset);
    }
  }
  date::local_seconds candidate = next_local(to_local(s0, info.offset) - back);

  std::optional<date::sys_seconds> best;
  while (true) {
    date::sys_seconds in_period = to_sys(candidate, info.offset);
    date::local_info li;
    if (in_period - info.begin >= k_margin && info.end - in_period > k_margin) {
      li.result = date::local_info::unique;
      li.first = info;
    } else {
      li = m_zone->get_info(candidate);
    }
    // The earliest instant of a local time never decreases as local time
    // grows: once it passes the best answer, nothing later can beat it.
    date::sys_seconds earliest = li.result == date::local_info::nonexistent
                                     ? li.second.begin
                                     : to_sys(candidate, li.first.offset);
    if (best && earliest > *best) break;
    if (earliest >= s0 && (li.result != date::local_info::nonexistent || !m_elapsed)) {
      // A fixed-time job runs at the first instant after a gap and at the
      // first pass of a repeated time; nothing later can come before this.
      if (!best || earliest < *best) best = earliest;
      break;
    }
    if (li.result == date::local_info::ambiguous && m_elapsed) {
      // An elapsed-time job also runs in the second pass.
      date::sys_seconds second_pass = to_sys(candidate, li.second.offset);
      if (second_pass >= s0 && (!best || second_pass < *best)) best = second_pass;
    }
    candidate = next_local(candidate + seconds{1});
  }
  return std::chrono::time_point_cast<std::chrono::milliseconds>(*best);
}

const date::time_zone* find_zone(std::string_view name) {
  try {
    if (name.empty()) return date::current_zone();
    return date::locate_zone(name);
  } catch (const std::exception&) {
    if (name.empty()) return date::locate_zone("Etc/UTC");
    core::throw_usage(fmt::format("unknown time zone '{}'", name),
                      "use an IANA name such as Europe/Berlin or UTC (see /usr/share/zoneinfo)");
  }
}

std::string format_in_zone(core::TimePoint t, const date::time_zone* zone) {
  auto secs = date::floor<seconds>(t);
  auto ms = (t - secs).count();
  auto offset = zone->get_info(secs).offset;
  auto local = date::sys_seconds{secs.time_since_epoch()} + offset;
  auto day = date::floor<Days>(local);
  date::year_month_day ymd{day};
  date::hh_mm_ss<seconds> tod{local - day};
  std::string out =
      fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  tod.hours().count(), tod.minutes().count(), tod.seconds().count());
  if (ms != 0) out += fmt::format(".{:03}", ms);
  auto off = offset.count();
  char sign = off < 0 ? '-' : '+';
  off = off < 0 ? -off : off;
  out += fmt::format("{}{:02}:{:02}", sign, off / 3600, (off / 60) % 60);
  return out;
}

core::TimePoint parse_time(std::string_view text, const date::time_zone* zone) {
  auto fail = [&] {
    core::throw_usage(fmt::format("cannot read time '{}'", text),
                      "use ISO 8601, e.g. 2026-11-22T03:00:00Z or 2026-11-22T04:00:00.250+01:00");
  };
  std::size_t i = 0;
  auto number = [&](std::size_t digits) {
    if (i + digits > text.size()) fail();
    int v = 0;
    for (std::size_t k = 0; k < digits; ++k, ++i) {
      if (!std::isdigit(static_cast<unsigned char>(text[i]))) fail();
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  auto expect = [&](char c) {
    if (i >= text.size() || text[i] != c) fail();
    ++i;
  };
  int year = number(4);
  expect('-');
  int month = number(2);
  expect('-');
  int day = number(2);
  if (i >= text.size() || (text[i] != 'T' && text[i] != 't' && text[i] != ' ')) fail();
  ++i;
  int hour = number(2);
  expect(':');
  int minute = number(2);
  int second = 0;
  std::int64_t millis = 0;
  if (i < text.size() && text[i] == ':') {
    ++i;
    second = number(2);
    if (i < text.size() && (text[i] == '.' || text[i] == ',')) {
      ++i;
      std::size_t digits = 0;
      std::int64_t nanos = 0;
      while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
        if (digits < 9) nanos = nanos * 10 + (text[i] - '0');
        ++digits;
        ++i;
      }
      if (digits == 0) fail();
      for (std::size_t k = std::min<std::size_t>(digits, 9); k < 9; ++k) nanos *= 10;
      millis = (nanos + 999'999) / 1'000'000;  // a fraction rounds up, never down
    }
  }
  date::year_month_day ymd{date::year{year} / month / day};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 60) fail();
  auto local = date::local_days{ymd} + std::chrono::hours{hour} + std::chrono::minutes{minute} +
               seconds{second};
  date::sys_seconds instant;
  if (i == text.size()) {
    date::local_info li = zone->get_info(local);
    instant = li.result == date::local_info::nonexistent ? li.second.begin
                                                         : to_sys(local, li.first.offset);
  } else if (text[i] == 'Z' || text[i] == 'z') {
    ++i;
    instant = date::sys_seconds{local.time_since_epoch()};
  } else if (text[i] == '+' || text[i] == '-') {
    int sign = text[i] == '-' ? -1 : 1;
    ++i;
    int oh = number(2);
    if (i < text.size() && text[i] == ':') ++i;
    int om = number(2);
    instant = to_sys(local, seconds{sign * (oh * 3600 + om * 60)});
  } else {
    fail();
  }
  if (i != text.size()) fail();
  return std::chrono::time_point_cast<std::chrono::milliseconds>(instant) +
         std::chrono::milliseconds{millis};
}

CronSchedule schedule_of(const core::JobConfig& job) {
  try {
    return CronSchedule::parse(job.schedule, find_zone(job.timezone.value_or("")));
  } catch (const core::Error& e) {
    throw core::Error(core::ExitCode::usage,
                      fmt::format("{}: job '{}': {}", job.where.str(), job.name, e.what()),
                      e.hint());
  }
}

void validate_job_schedules(const core::Config& config) {
  for (const auto& job : config.jobs) schedule_of(job);
}

}  // namespace connctl::daemon
