#pragma once
// The one exception type of connctl: "this command fails", carrying the exit
// code category that DESIGN.md assigns. Expected, recoverable failures (one
// object that cannot be read) are not exceptions: they are collected as
// schema::Warning records and reported at the end.

#include <stdexcept>
#include <string>

namespace connctl::core {

enum class ExitCode : int {
  ok = 0,
  runtime = 1,       // runtime failure
  usage = 2,         // usage or configuration error
  connection = 3,    // connection or authentication failure
  partial = 4,       // finished, but some objects failed; nothing deleted because of them
  diff_found = 5,    // `diff` found changes at or above --fail-on
  interrupted = 130  // SIGINT / SIGTERM
};

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, std::string message, std::string hint = {});

  ExitCode code() const { return m_code; }
  const std::string& hint() const { return m_hint; }

 private:
  ExitCode m_code;
  std::string m_hint;
};

// Shorthands that read well at the throw site.
[[noreturn]] void throw_usage(std::string message, std::string hint = {});
[[noreturn]] void throw_connection(std::string message, std::string hint = {});
[[noreturn]] void throw_runtime(std::string message, std::string hint = {});

}  // namespace connctl::core
