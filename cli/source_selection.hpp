#pragma once
// What the commands that read a source share: the SOURCE argument and the
// filter flags, resolving a name or URL (a URL needs no config), opening the
// extractor with its request, and the progress line on a terminal.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cli/app.hpp"
#include "cli/output.hpp"
#include "extractors/extractor.hpp"
#include "extractors/source.hpp"

namespace connctl::cli {

struct SourceSelection {
  std::string source;
  std::vector<std::string> includes;
  std::vector<std::string> excludes;
  bool no_lineage = false;
  bool stats = false;
};

// Adds SOURCE, --include, --exclude, --no-lineage and --stats to a subcommand.
void add_source_selection(CLI::App& cmd, SourceSelection& selection, std::string_view stats_help);

// The spec of a configured source name or a URL. A URL needs no config file;
// one named explicitly (--config, $CONNCTL_CONFIG) is still read and validated.
extractors::SourceSpec resolve_source(std::string_view name_or_url, Context& ctx);

struct OpenedSource {
  extractors::SourceSpec spec;
  extractors::ExtractRequest request;  // the source's settings plus the command's flags
  std::unique_ptr<extractors::Extractor> extractor;
};

struct SelectedSource {
  extractors::SourceSpec spec;
  extractors::ExtractRequest request;  // the source's settings plus the command's flags
};

// The spec and request without opening the extractor (sync opens it itself).
SelectedSource select_source(const SourceSelection& selection, Context& ctx);

OpenedSource open_source(const SourceSelection& selection, Context& ctx);

// A progress line on stderr when it is a terminal and --quiet is not set;
// null otherwise.
std::unique_ptr<ProgressSink> progress_on_terminal(schema::EntitySink& next,
                                                   const std::string& source, const Context& ctx);

}  // namespace connctl::cli
