#include "core/secrets.hpp"

#include <algorithm>
#include <mutex>
#include <vector>

namespace connctl::core {
namespace {

struct SecretRegistry {
  std::mutex mutex;
  std::vector<std::string> values;  // longest first, so that overlapping secrets redact fully
};

SecretRegistry& registry() {
  static SecretRegistry r;
  return r;
}

}  // namespace

void register_secret(std::string_view value) {
  if (value.size() < 3) return;
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  if (std::find(r.values.begin(), r.values.end(), value) != r.values.end()) return;
  r.values.emplace_back(value);
  std::stable_sort(r.values.begin(), r.values.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string redact(std::string_view text) {
  std::string out(text);
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  for (const auto& secret : r.values) {
    for (auto pos = out.find(secret); pos != std::string::npos;
         pos = out.find(secret, pos + k_redacted.size())) {
      out.replace(pos, secret.size(), k_redacted);
    }
  }
  return out;
}

void clear_secrets_for_testing() {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  r.values.clear();
}

}  // namespace connctl::core
