#include "core/error.hpp"

#include <utility>

namespace connctl::core {

Error::Error(ExitCode code, std::string message, std::string hint)
    : std::runtime_error(std::move(message)), m_code(code), m_hint(std::move(hint)) {}

void throw_usage(std::string message, std::string hint) {
  throw Error(ExitCode::usage, std::move(message), std::move(hint));
}

void throw_connection(std::string message, std::string hint) {
  throw Error(ExitCode::connection, std::move(message), std::move(hint));
}

void throw_runtime(std::string message, std::string hint) {
  throw Error(ExitCode::runtime, std::move(message), std::move(hint));
}

}  // namespace connctl::core
