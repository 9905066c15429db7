// Durations of the config file and the command line: "250ms", "30s", "5m",
// "2h", "1d", combinations from the largest unit down ("1h30m", "1d12h"), or a
// bare integer meaning seconds. Values are milliseconds in an int64.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "core/config.hpp"

namespace connctl::core {
namespace {

struct Unit {
  std::string_view name;
  std::int64_t ms;
};

// Largest first: parsing requires this order so that "30m1h" or "5m5m" (most
// likely typos) are rejected instead of silently summed.
constexpr Unit k_units[] = {
    {"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}, {"ms", 1},
};
constexpr std::int64_t k_max = std::numeric_limits<std::int64_t>::max();

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Reads the digits at text[pos...]; nullopt on overflow or when there are none.
std::optional<std::int64_t> read_number(std::string_view text, std::size_t& pos) {
  std::size_t start = pos;
  std::int64_t value = 0;
  for (; pos < text.size() && is_digit(text[pos]); ++pos) {
    int digit = text[pos] - '0';
    if (value > (k_max - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  if (pos == start) return std::nullopt;
  return value;
}

// Index into k_units of the unit at text[pos...]; "ms" must win over "m".
std::optional<std::size_t> read_unit(std::string_view text, std::size_t& pos) {
  std::string_view rest = text.substr(pos);
  std::size_t end = 0;
  while (end < rest.size() && !is_digit(rest[end])) ++end;
  std::string_view name = rest.substr(0, end);
  for (std::size_t i = 0; i < std::size(k_units); ++i) {
    if (k_units[i].name == name) {
      pos += end;
      return i;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::int64_t> parse_duration_ms(std::string_view text) {
  if (text.empty()) return std::nullopt;

  std::size_t pos = 0;
  auto first = read_number(text, pos);
  if (!first) return std::nullopt;
  if (pos == text.size()) {  // a bare integer: seconds
    if (*first > k_max / 1000) return std::nullopt;
    return *first * 1000;
  }

  std::int64_t total = 0;
  std::optional<std::size_t> previous_unit;
  std::optional<std::int64_t> number = first;
  while (true) {
    auto unit = read_unit(text, pos);
    if (!unit) return std::nullopt;
    if (previous_unit && *unit <= *previous_unit) return std::nullopt;
    previous_unit = unit;
    std::int64_t factor = k_units[*unit].ms;
    if (*number > k_max / factor) return std::nullopt;
    std::int64_t part = *number * factor;
    if (total > k_max - part) return std::nullopt;
    total += part;
    if (pos == text.size()) return total;
    number = read_number(text, pos);
    if (!number || pos == text.size()) return std::nullopt;  // a trailing number lacks its unit
  }
}

std::string format_duration_ms(std::int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  // Unsigned so that the magnitude of INT64_MIN is representable.
  std::uint64_t rest = ms < 0 ? 0 - static_cast<std::uint64_t>(ms) : static_cast<std::uint64_t>(ms);
  if (ms < 0) out.push_back('-');
  for (const auto& unit : k_units) {
    auto factor = static_cast<std::uint64_t>(unit.ms);
    if (rest >= factor) {
      out += std::to_string(rest / factor);
      out += unit.name;
      rest %= factor;
    }
  }
  return out;
}

}  // namespace connctl::core
