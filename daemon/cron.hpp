#pragma once
// Cron schedules evaluated on UTC instants with civil-time arithmetic in the
// job's IANA time zone (Howard Hinnant's date/tz), never through the process's
// TZ. Syntax and DST rules: docs/schedule.md.

#include <bitset>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/config.hpp"

namespace date {
class time_zone;
}

namespace connctl::daemon {

class CronSchedule {
 public:
  // Parses 5 fields (minute hour day-of-month month day-of-week), 6 with a
  // leading seconds field, or an @macro. Throws core::Error(usage) naming the
  // expression and the problem; an expression that can never fire (`0 0 30 2 *`)
  // is rejected here, so next() never searches forever.
  static CronSchedule parse(std::string_view expression, const date::time_zone* zone);

  // The first fire time strictly after t (a fraction of a second rounds up).
  core::TimePoint next(core::TimePoint t) const;

  const std::string& expression() const { return m_expression; }
  const date::time_zone* zone() const { return m_zone; }
  // True when the hour field is a wildcard or a step: the job follows elapsed
  // time (runs in both passes of a repeated hour, skips a missing one);
  // otherwise it runs once per matching local day and time.
  bool follows_elapsed_time() const { return m_elapsed; }

 private:
  struct DomSpecial {
    enum class Kind { last_day, last_weekday, nearest_weekday } kind;
    int day = 0;  // for nearest_weekday
  };
  struct DowSpecial {
    enum class Kind { last_in_month, nth_in_month } kind;
    int weekday = 0;  // 0 = Sunday
    int nth = 0;      // 1..5 for nth_in_month
  };

  bool day_matches(int year, unsigned month, unsigned day) const;
  // Smallest second of the day >= from that matches, or -1.
  int next_second_of_day(int from) const;

  std::string m_expression;
  const date::time_zone* m_zone = nullptr;
  std::bitset<60> m_seconds;
  std::bitset<60> m_minutes;
  std::bitset<24> m_hours;
  std::bitset<32> m_days;     // 1..31
  std::bitset<13> m_months;   // 1..12
  std::bitset<7> m_weekdays;  // 0..6, Sunday = 0
  std::vector<DomSpecial> m_dom_special;
  std::vector<DowSpecial> m_dow_special;
  bool m_dom_restricted = false;
  bool m_dow_restricted = false;
  bool m_elapsed = false;
};

// The zone named (IANA), or the system's zone when name is empty; throws
// core::Error(usage) for an unknown name.
const date::time_zone* find_zone(std::string_view name);

// ISO 8601 with the zone's offset at that instant: 2026-03-29T03:00:00+02:00
// (milliseconds only when not zero).
std::string format_in_zone(core::TimePoint t, const date::time_zone* zone);

// Parses ISO 8601: 2026-11-22T03:14:00Z, …+01:00, fractions of a second, or
// no offset (then local time in `zone`, earliest if ambiguous). Throws
// core::Error(usage).
core::TimePoint parse_time(std::string_view text, const date::time_zone* zone);

// Parses every [[job]]'s schedule in its time zone, so that `config validate`
// and every command that loads the config reject a bad schedule up front;
// errors name the job's file:line:column.
void validate_job_schedules(const core::Config& config);

// A job's schedule in its zone (the system's when the job names none).
CronSchedule schedule_of(const core::JobConfig& job);

}  // namespace connctl::daemon
