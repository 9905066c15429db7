#include "support/extractor_support.hpp"

#include <gtest/gtest.h>

#include "core/cancel.hpp"
#include "extractors/source.hpp"

namespace connctl::testing {

core::Setting setting(core::SettingValue value, bool secret) {
  core::Location where;
  where.file = "test.toml";
  where.line = 1;
  return core::Setting{std::move(value), where, secret};
}

extractors::SourceSpec base_spec(const std::string& name, const std::string& type) {
  extractors::SourceSpec s;
  s.name = name;
  s.type = type;
  s.origin = "test.toml:1:1";
  return s;
}

std::unique_ptr<Extraction> extract(const extractors::SourceSpec& s,
                                    const extractors::ExtractRequest& request) {
  auto out = std::make_unique<Extraction>();
  core::CancelToken cancel;
  out->result = extractors::open_extractor(s)->extract(request, out->sink, cancel);
  return out;
}

schema::Value attr(const schema::Entity& e, std::string_view key) {
  for (const auto& [k, v] : e.attributes) {
    if (k == key) return v;
  }
  return {};
}

schema::Value observation(const schema::Entity& e, std::string_view key) {
  for (const auto& [k, v] : e.observations) {
    if (k == key) return v;
  }
  return {};
}

void expect_same_extraction(const Extraction& a, const Extraction& b) {
  ASSERT_EQ(a.sink.entities.size(), b.sink.entities.size());
  for (std::size_t i = 0; i < a.sink.entities.size(); ++i) {
    EXPECT_EQ(a.sink.entities[i].fqn, b.sink.entities[i].fqn);
    EXPECT_EQ(a.sink.entities[i].fingerprint, b.sink.entities[i].fingerprint);
  }
  EXPECT_EQ(a.sink.lineage, b.sink.lineage);
}

}  // namespace connctl::testing
