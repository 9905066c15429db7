#pragma once
// Turns what the user named (a config source name or a URL) into a SourceSpec
// and opens its extractor.

#include <memory>
#include <optional>
#include <string_view>

#include "core/config.hpp"
#include "extractors/extractor.hpp"
#include "extractors/registry.hpp"

namespace connctl::extractors {

// `config` may be null when no config file was found. A name that is neither a
// URL nor a configured source is a usage error that says so.
SourceSpec resolve_source(std::string_view name_or_url, const core::Config* config);

// The spec of a configured source (its `url =`, if any, expanded).
SourceSpec spec_from_config(const core::SourceConfig& source);

// Creates the extractor for a spec; an unknown type is a usage error.
std::unique_ptr<Extractor> open_extractor(const SourceSpec& spec);

// Include/exclude/lineage/stats settings common to every source, merged with
// what the command line adds.
ExtractRequest request_from_settings(const SourceSpec& spec);

}  // namespace connctl::extractors
