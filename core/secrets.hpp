#pragma once
// Secret values known to this process (passwords, tokens, resolved
// ${env:}/${file:} references of keys marked secret). Every log line and every
// error message passes through redact() before it is written, so a secret that
// slips into a driver's error text is still never printed. This is one of the
// few process-wide registries (see docs/architecture.md).

#include <string>
#include <string_view>

namespace connctl::core {

inline constexpr std::string_view k_redacted = "***";

// Remembers a secret value; values shorter than 3 characters are not
// remembered (they would redact ordinary text) but are still never printed by
// connctl's own code.
void register_secret(std::string_view value);

// Replaces every occurrence of every registered secret with "***".
std::string redact(std::string_view text);

// For tests: forget every registered secret.
void clear_secrets_for_testing();

}  // namespace connctl::core
