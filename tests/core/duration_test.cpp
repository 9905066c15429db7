// core/duration: the duration syntax of the config file and the command line.

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <ostream>
#include <string>

#include "core/config.hpp"

namespace connctl::core {
namespace {

struct ParseCase {
  const char* text;
  std::optional<std::int64_t> ms;
};

const ParseCase k_parse_cases[] = {
    {"250ms", 250},
    {"30s", 30'000},
    {"5m", 300'000},
    {"2h", 7'200'000},
    {"1d", 86'400'000},
    {"1h30m", 5'400'000},
    {"1d2h3m4s5ms", 93'784'005},
    {"1m500ms", 60'500},
    {"0s", 0},
    {"0", 0},
    {"90", 90'000},  // a bare integer means seconds
    {"007s", 7'000},
    {"9223372036854775ms", 9'223'372'036'854'775},
    {"9223372036854775807ms", std::numeric_limits<std::int64_t>::max()},
    // Malformed.
    {"", std::nullopt},
    {"-5s", std::nullopt},
    {"+5s", std::nullopt},
    {"5", 5'000},
    {"s", std::nullopt},
    {"5x", std::nullopt},
    {"5 s", std::nullopt},
    {" 5s", std::nullopt},
    {"5s ", std::nullopt},
    {"1.5h", std::nullopt},
    {"5S", std::nullopt},
    {"1h30", std::nullopt},   // a trailing number without its unit
    {"30m1h", std::nullopt},  // units from the largest down only
    {"5m5m", std::nullopt},   // each unit once
    {"5ms5s", std::nullopt},
    {"5us", std::nullopt},
    {"9223372036854775808ms", std::nullopt},  // overflow
    {"9223372036854776s", std::nullopt},
    {"9223372036854775807", std::nullopt},  // seconds overflow as milliseconds
    {"106751991167d", 9'223'372'036'828'800'000},
    {"106751991168d", std::nullopt},
    {"106751991167d8h", std::nullopt},
    {"106751991167d7h12m55s807ms", 9'223'372'036'854'775'807},  // the largest, built from parts
    {"106751991167d7h12m55s808ms", std::nullopt},
};

void PrintTo(const ParseCase& c, std::ostream* os) {
  *os << '"' << c.text << "\" -> " << (c.ms ? std::to_string(*c.ms) : "nullopt");
}

class DurationParseTest : public ::testing::TestWithParam<ParseCase> {};

TEST_P(DurationParseTest, Parses) {
  EXPECT_EQ(parse_duration_ms(GetParam().text), GetParam().ms);
}

INSTANTIATE_TEST_SUITE_P(Duration, DurationParseTest, ::testing::ValuesIn(k_parse_cases));

TEST(DurationFormatTest, UsesTheLargestUnitsFirst) {
  EXPECT_EQ(format_duration_ms(0), "0s");
  EXPECT_EQ(format_duration_ms(250), "250ms");
  EXPECT_EQ(format_duration_ms(30'000), "30s");
  EXPECT_EQ(format_duration_ms(5'400'000), "1h30m");
  EXPECT_EQ(format_duration_ms(86'400'000), "1d");
  EXPECT_EQ(format_duration_ms(93'784'005), "1d2h3m4s5ms");
  EXPECT_EQ(format_duration_ms(-1'500), "-1s500ms");
  EXPECT_EQ(format_duration_ms(std::numeric_limits<std::int64_t>::min()),
            "-106751991167d7h12m55s808ms");
}

TEST(DurationFormatTest, RoundTrips) {
  for (std::int64_t ms : {std::int64_t{1}, std::int64_t{999}, std::int64_t{1'000},
                          std::int64_t{61'001}, std::int64_t{3'600'000}, std::int64_t{90'061'001},
                          std::numeric_limits<std::int64_t>::max()}) {
    EXPECT_EQ(parse_duration_ms(format_duration_ms(ms)), ms) << ms;
  }
}

}  // namespace
}  // namespace connctl::core
