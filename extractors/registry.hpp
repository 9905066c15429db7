#pragma once
// The extractor registry. Each extractor registers itself with one line beside
// its implementation:
//
//   CONNCTL_REGISTER_EXTRACTOR(sqlite_registration());
//
// Nothing central lists extractor types; `connctl extractors list` reads this.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "core/url.hpp"
#include "extractors/extractor.hpp"

namespace connctl::extractors {

struct Capabilities {
  bool lineage = false;         // table-level lineage
  bool column_lineage = false;  // column pairs on lineage edges
  bool stats = false;           // observations (row counts, sizes)
  bool incremental = false;     // accepts `since` and returns a watermark
  bool test_connection = true;
};

struct ExtractorInfo {
  std::string type;         // the `type = ` of a [[source]]
  std::string description;  // one line
  std::vector<std::string> url_schemes;
  std::vector<core::KeySpec> keys;  // type-specific config keys
  Capabilities capabilities;
  // Turns a URL on the command line (or `url = ` in a [[source]]) into
  // settings, and proposes a source name when none is given.
  std::function<core::Settings(const core::Url& url, std::string& proposed_name)> settings_from_url;
  std::function<std::unique_ptr<Extractor>(const SourceSpec& spec)> factory;
};

class Registry {
 public:
  static Registry& instance();

  // Returns true so that it can initialise a static; a duplicate type aborts
  // at start-up (a programming error, not a user error).
  bool add(ExtractorInfo info);

  const ExtractorInfo* find(std::string_view type) const;
  const ExtractorInfo* find_by_scheme(std::string_view scheme) const;
  std::vector<const ExtractorInfo*> all() const;  // sorted by type

  // For core::parse_config.
  core::SourceTypeLookup config_lookup() const;

 private:
  std::vector<ExtractorInfo> m_infos;
};

#define CONNCTL_REGISTRY_CONCAT2(a, b) a##b
#define CONNCTL_REGISTRY_CONCAT(a, b) CONNCTL_REGISTRY_CONCAT2(a, b)
#define CONNCTL_REGISTER_EXTRACTOR(info)                                               \
  namespace {                                                                          \
  [[maybe_unused]] const bool CONNCTL_REGISTRY_CONCAT(connctl_registered_, __LINE__) = \
      ::connctl::extractors::Registry::instance().add(info);                           \
  }

}  // namespace connctl::extractors
