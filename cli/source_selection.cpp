#include "cli/source_selection.hpp"

#include "core/url.hpp"

namespace connctl::cli {

void add_source_selection(CLI::App& cmd, SourceSelection& selection, std::string_view stats_help) {
  cmd.add_option("source", selection.source,
                 "A configured source name or a URL (sqlite:///abs/path.db)")
      ->required();
  cmd.add_option("--include", selection.includes,
                 "Only objects matching PATTERN (repeatable; see docs/cli.md)")
      ->type_name("PATTERN");
  cmd.add_option("--exclude", selection.excludes, "Leave out objects matching PATTERN (repeatable)")
      ->type_name("PATTERN");
  cmd.add_flag("--no-lineage", selection.no_lineage, "Do not compute lineage");
  cmd.add_flag("--stats", selection.stats, std::string(stats_help));
}

extractors::SourceSpec resolve_source(std::string_view name_or_url, Context& ctx) {
  const core::Config* config =
      core::looks_like_url(name_or_url) && !ctx.config_explicit() ? nullptr : ctx.config(false);
  return extractors::resolve_source(name_or_url, config);
}

SelectedSource select_source(const SourceSelection& selection, Context& ctx) {
  SelectedSource selected;
  selected.spec = resolve_source(selection.source, ctx);
  selected.request = extractors::request_from_settings(selected.spec);
  for (const auto& p : selection.includes) selected.request.filter.include(p);
  for (const auto& p : selection.excludes) selected.request.filter.exclude(p);
  if (selection.no_lineage) selected.request.lineage = false;
  if (selection.stats) selected.request.stats = true;
  return selected;
}

OpenedSource open_source(const SourceSelection& selection, Context& ctx) {
  auto [spec, request] = select_source(selection, ctx);
  auto extractor = extractors::open_extractor(spec);
  return OpenedSource{std::move(spec), std::move(request), std::move(extractor)};
}

std::unique_ptr<ProgressSink> progress_on_terminal(schema::EntitySink& next,
                                                   const std::string& source, const Context& ctx) {
  if (!stderr_is_terminal() || ctx.options.quiet) return nullptr;
  return std::make_unique<ProgressSink>(next, source);
}

}  // namespace connctl::cli
