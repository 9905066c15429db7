#pragma once
// Time comes from a Clock so that code stamping or scheduling things can be
// tested with a fixed or stepped clock instead of sleeping.

#include <chrono>
#include <string>

namespace connctl::core {

using TimePoint = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
  }
};

class FixedClock final : public Clock {
 public:
  explicit FixedClock(TimePoint t) : m_now(t) {}
  TimePoint now() const override { return m_now; }
  void set(TimePoint t) { m_now = t; }

 private:
  TimePoint m_now;
};

// ISO 8601 in UTC with milliseconds and an explicit offset: 2026-11-22T03:14:43.123Z.
std::string format_iso8601_utc(TimePoint t);

}  // namespace connctl::core
