#include "daemon/cron.hpp"

#include <date/tz.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "support/test_support.hpp"

namespace connctl::daemon {
namespace {

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

struct Vector {
  int line = 0;
  std::string expression;
  std::string zone;
  std::string from;
  std::vector<std::string> expected;
};

std::vector<Vector> load_vectors() {
  std::ifstream in(connctl::testing::source_dir() / "tests/data/cron/vectors.tsv");
  std::vector<Vector> out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cols;
    std::istringstream row(line);
    for (std::string col; std::getline(row, col, '\t');) cols.push_back(col);
    if (cols.size() != 4)
      ADD_FAILURE() << "vectors.tsv:" << n << ": expected 4 tab-separated columns";
    if (cols.size() != 4) continue;
    out.push_back({n, cols[0], cols[1], cols[2], split_words(cols[3])});
  }
  return out;
}

TEST(CronVectors, EveryVectorGivesItsFireTimesInOrder) {
  auto vectors = load_vectors();
  ASSERT_GT(vectors.size(), 40u);
  for (const auto& v : vectors) {
    SCOPED_TRACE("vectors.tsv:" + std::to_string(v.line) + ": " + v.expression + " in " + v.zone);
    const auto* zone = find_zone(v.zone);
    auto schedule = CronSchedule::parse(v.expression, zone);
    auto t = parse_time(v.from, zone);
    std::vector<std::string> got;
    for (std::size_t i = 0; i < v.expected.size(); ++i) {
      auto next = schedule.next(t);
      ASSERT_GT(next, t);
      got.push_back(format_in_zone(next, zone));
      t = next;
    }
    EXPECT_EQ(v.expected, got);
  }
}

TEST(CronVectors, InvalidExpressionsAreRejectedWithAUsageError) {
  std::ifstream in(connctl::testing::source_dir() / "tests/data/cron/invalid.txt");
  int count = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    ++count;
    try {
      CronSchedule::parse(line, find_zone("UTC"));
      ADD_FAILURE() << "accepted: " << line;
    } catch (const core::Error& e) {
      EXPECT_EQ(core::ExitCode::usage, e.code()) << line;
      EXPECT_NE(std::string(e.what()).find(line.substr(0, 3)), std::string::npos) << e.what();
    }
  }
  EXPECT_GT(count, 10);
}

TEST(Cron, NeverFiringExpressionSaysSo) {
  try {
    CronSchedule::parse("0 0 30 2 *", find_zone("UTC"));
    FAIL();
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("never fires"), std::string::npos) << e.what();
  }
}

TEST(Cron, HourFieldDecidesBetweenFixedAndElapsedTime) {
  const auto* utc = find_zone("UTC");
  EXPECT_FALSE(CronSchedule::parse("30 2 * * *", utc).follows_elapsed_time());
  EXPECT_FALSE(CronSchedule::parse("0 1-3 * * *", utc).follows_elapsed_time());
  EXPECT_TRUE(CronSchedule::parse("30 * * * *", utc).follows_elapsed_time());
  EXPECT_TRUE(CronSchedule::parse("0 */2 * * *", utc).follows_elapsed_time());
  EXPECT_TRUE(CronSchedule::parse("@hourly", utc).follows_elapsed_time());
}

TEST(Cron, TimesParseWithFractionsAndOffsetsAndRoundTrip) {
  const auto* berlin = find_zone("Europe/Berlin");
  auto t = parse_time("2026-11-22T04:00:00.250+01:00", berlin);
  EXPECT_EQ("2026-11-22T04:00:00.250+01:00", format_in_zone(t, berlin));
  EXPECT_EQ(parse_time("2026-11-22T03:00:00.250Z", berlin), t);
  EXPECT_EQ(parse_time("2026-11-22T04:00:00.25", berlin), t);  // local time in the zone
  EXPECT_THROW(parse_time("2026-13-01T00:00:00Z", berlin), core::Error);
  EXPECT_THROW(parse_time("yesterday", berlin), core::Error);
  EXPECT_THROW(find_zone("Mars/Olympus_Mons"), core::Error);
}

// Every zone's offset changes in [from, to).
std::vector<date::sys_info> transitions(const date::time_zone& zone, date::sys_seconds from,
                                        date::sys_seconds to) {
  std::vector<date::sys_info> out;
  for (auto t = from; t < to;) {
    auto info = zone.get_info(t);
    if (info.end <= t) break;
    out.push_back(info);
    t = info.end;
  }
  return out;
}

TEST(CronProperty, DailyFixedTimeJobFiresOncePerLocalDayInEveryZone2020To2030) {
  using namespace std::chrono;
  const auto from = date::sys_days{date::year{2020} / 1 / 2};
  const auto to = date::sys_days{date::year{2030} / 12 / 30};
  std::size_t zones = 0;
  for (const auto& zone : date::get_tzdb().zones) {
    ++zones;
    SCOPED_TRACE(zone.name());
    // 02:30 falls in most zones' spring-forward gap and fall-back overlap;
    // midnight transitions are covered by the vectors (America/Havana).
    for (const char* expression : {"30 2 * * *"}) {
      auto schedule = CronSchedule::parse(expression, &zone);
      auto first_local = date::floor<date::days>(zone.to_local(from));
      auto t = schedule.next(time_point_cast<milliseconds>(from) - milliseconds{1});
      auto expected_day = date::floor<date::days>(zone.to_local(date::floor<seconds>(t)));
      ASSERT_LE(expected_day - first_local, date::days{1});
      bool ok = true;
      while (t < time_point_cast<milliseconds>(to) && ok) {
        auto day = date::floor<date::days>(zone.to_local(date::floor<seconds>(t)));
        if (day != expected_day) {
          ADD_FAILURE() << expression << ": expected a fire on local day "
                        << date::format("%F", expected_day) << ", got " << format_in_zone(t, &zone);
          ok = false;
        }
        expected_day += date::days{1};
        t = schedule.next(t);
      }
    }
  }
  EXPECT_GT(zones, 300u);
}

TEST(CronProperty, HourlyJobFiresOncePerElapsedHourAcrossEveryTransition2020To2030) {
  using namespace std::chrono;
  const auto from = date::sys_days{date::year{2020} / 1 / 1};
  const auto to = date::sys_days{date::year{2031} / 1 / 1};
  std::size_t checked = 0;
  for (const auto& zone : date::get_tzdb().zones) {
    SCOPED_TRACE(zone.name());
    auto schedule = CronSchedule::parse("15 * * * *", &zone);
    for (const auto& info : transitions(zone, from, to)) {
      if (info.begin <= date::sys_seconds{from}) continue;
      auto shift = info.offset - zone.get_info(info.begin - seconds{1}).offset;
      bool whole_hours = shift % hours{1} == seconds{0};
      auto t = schedule.next(time_point_cast<milliseconds>(info.begin - hours{30}));
      auto end = time_point_cast<milliseconds>(info.begin + hours{30});
      while (t < end) {
        auto next = schedule.next(t);
        auto gap = duration_cast<minutes>(next - t);
        if (whole_hours) {
          ASSERT_EQ(minutes{60}, gap) << "after " << format_in_zone(t, &zone);
        } else {
          ASSERT_GE(gap, minutes{30}) << "after " << format_in_zone(t, &zone);
          ASSERT_LE(gap, minutes{90}) << "after " << format_in_zone(t, &zone);
        }
        ++checked;
        t = next;
      }
    }
  }
  EXPECT_GT(checked, 10000u);
}

}  // namespace
}  // namespace connctl::daemon
