#pragma once
// Template part of StepRunner, kept out of the contract's header body.

#include <chrono>
#include <exception>

#include "core/error.hpp"

namespace connctl::extractors {

template <class Fn>
bool StepRunner::run(std::string name, Fn&& fn) {
  if (m_failed) {
    record(std::move(name), StepStatus::skipped, 0, "", "");
    return false;
  }
  auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start)
        .count();
  };
  try {
    fn();
    record(std::move(name), StepStatus::ok, elapsed(), "", "");
    return true;
  } catch (const core::Error& e) {
    record(std::move(name), StepStatus::failed, elapsed(), e.what(), e.hint());
  } catch (const std::exception& e) {
    record(std::move(name), StepStatus::failed, elapsed(), e.what(), "");
  }
  m_failed = true;
  return false;
}

}  // namespace connctl::extractors
