// connctl extract SOURCE: stream a source's metadata as one JSON document or
// NDJSON to stdout or, atomically, to --output.

#include <chrono>
#include <memory>

#include "cli/app.hpp"
#include "cli/output.hpp"
#include "cli/source_selection.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "extractors/source.hpp"
#include "schema/writer.hpp"

namespace connctl::cli {
namespace {

struct ExtractOptions {
  SourceSelection selection;
  std::string format = "json";
  std::optional<std::string> output;
};

int run_extract(const ExtractOptions& opts, Context& ctx) {
  auto [spec, request, extractor] = open_source(opts.selection, ctx);

  std::unique_ptr<AtomicOutputFile> output;
  if (opts.output) output = std::make_unique<AtomicOutputFile>(*opts.output);
  std::FILE* out = output ? output->file() : stdout;

  auto started = std::chrono::steady_clock::now();
  schema::DocumentHeader header{spec.name, spec.type,
                                core::format_iso8601_utc(core::SystemClock().now())};
  schema::DocumentWriter writer(
      out, opts.format == "ndjson" ? schema::OutputFormat::ndjson : schema::OutputFormat::json,
      header);
  CountingSink counter(writer);
  std::unique_ptr<ProgressSink> progress = progress_on_terminal(counter, spec.name, ctx);
  schema::EntitySink& sink = progress ? static_cast<schema::EntitySink&>(*progress) : counter;

  core::log_debug("extracting source '{}' ({}) defined at {}", spec.name, spec.type, spec.origin);
  auto result = extractor->extract(request, sink, ctx.cancel());
  progress.reset();
  if (ctx.cancel().cancelled()) {
    core::log_error("extract of source '{}' interrupted; nothing was written to the output file",
                    spec.name);
    return static_cast<int>(core::ExitCode::interrupted);
  }
  writer.finish(schema::DocumentFooter{result.completeness, result.watermark});
  if (output) output->commit();

  bool partial = counter.skipped > 0;
  for (const auto& c : result.completeness) partial = partial || !c.complete;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  started)
                .count();
  core::log_info("extracted {} entities and {} lineage edges from source '{}' in {} ms{}",
                 counter.entities, counter.lineage, spec.name, ms,
                 partial ? fmt::format("; {} objects skipped (partial)", counter.skipped) : "");
  return static_cast<int>(partial ? core::ExitCode::partial : core::ExitCode::ok);
}

}  // namespace

void add_extract_command(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<ExtractOptions>();
  auto* cmd = app.add_subcommand("extract", "Print a source's metadata as JSON (or NDJSON)");
  cmd->footer(R"(Examples:
  connctl extract sqlite:///abs/path/shop.db
  connctl extract shop --include 'main.order*' --exclude '*.tmp_*' --output shop.json
  connctl extract shop --format ndjson | jq -c 'select(.record == "entity" and .kind == "table")'

Exit codes: 0 ok, 2 bad arguments or config, 3 source unreachable (nothing written),
4 some objects could not be read (reported as warnings), 130 interrupted.)");
  add_source_selection(*cmd, opts->selection,
                       "Add observations such as row counts (may read data)");
  cmd->add_option("--format", opts->format, "json: one document; ndjson: one record per line")
      ->check(CLI::IsMember({"json", "ndjson"}));
  cmd->add_option("--output,-o", opts->output, "Write to FILE atomically instead of stdout")
      ->type_name("FILE");
  cmd->callback([opts, &ctx] { ctx.action = [opts, &ctx] { return run_extract(*opts, ctx); }; });
}

}  // namespace connctl::cli
