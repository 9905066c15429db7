#pragma once
// Helpers of the extractor suites: settings and source specs as a
// configuration file would give them, and an extraction through the registry
// as the CLI runs it.

#include <memory>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "extractors/extractor.hpp"
#include "schema/entity.hpp"
#include "schema/value.hpp"
#include "support/test_support.hpp"

namespace connctl::testing {

// A setting as read from test.toml line 1.
core::Setting setting(core::SettingValue value, bool secret = false);

// A spec named `name` of `type`, from test.toml, with no settings yet.
extractors::SourceSpec base_spec(const std::string& name, const std::string& type);

struct Extraction {
  CollectingSink sink;
  extractors::ExtractResult result;
};

// Opens s's extractor (extractors::open_extractor, as the CLI does) and
// extracts into a CollectingSink.
std::unique_ptr<Extraction> extract(const extractors::SourceSpec& s,
                                    const extractors::ExtractRequest& request = {});

// An attribute (observation) of an entity, or a null value when absent.
schema::Value attr(const schema::Entity& e, std::string_view key);
schema::Value observation(const schema::Entity& e, std::string_view key);

// Expects the same entities (FQN and fingerprint) in the same order, and the
// same lineage.
void expect_same_extraction(const Extraction& a, const Extraction& b);

}  // namespace connctl::testing
