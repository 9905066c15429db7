// connctl sync SOURCE: extract a source into the catalog incrementally. The
// extraction is exactly extract's; the sink is the catalog's sync engine.

#include <memory>

#include "catalog/store.hpp"
#include "catalog/sync.hpp"
#include "cli/app.hpp"
#include "cli/output.hpp"
#include "cli/source_selection.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/url.hpp"
#include "daemon/run_sync.hpp"
#include "extractors/source.hpp"

namespace connctl::cli {
namespace {

struct SyncCommandOptions {
  SourceSelection selection;
  std::string format = "text";
  bool allow_mass_delete = false;
  bool full = false;
};

void print_summary(const catalog::SyncSummary& s, const std::string& format) {
  if (format == "json") {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    json_key(w, "run_id");
    json_string(w, s.run_id);
    json_key(w, "source");
    json_string(w, s.source);
    json_key(w, "status");
    json_string(w, catalog::to_string(s.status));
    json_key(w, "added");
    w.Int64(s.counts.added);
    json_key(w, "changed");
    w.Int64(s.counts.changed);
    json_key(w, "removed");
    w.Int64(s.counts.removed);
    json_key(w, "unchanged");
    w.Int64(s.counts.unchanged);
    json_key(w, "duration_ms");
    w.Int64(s.duration_ms);
    json_key(w, "warnings");
    w.StartArray();
    for (const auto& warning : s.warnings) {
      w.StartObject();
      json_key(w, "object");
      json_string(w, warning.object);
      json_key(w, "message");
      json_string(w, warning.message);
      json_key(w, "skipped");
      w.Bool(warning.skipped);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    print_json(buf);
    return;
  }
  std::printf(
      "run %s of source '%s': %s, %lld added, %lld changed, %lld removed, %lld unchanged "
      "in %lld ms%s\n",
      s.run_id.c_str(), s.source.c_str(), std::string(catalog::to_string(s.status)).c_str(),
      static_cast<long long>(s.counts.added), static_cast<long long>(s.counts.changed),
      static_cast<long long>(s.counts.removed), static_cast<long long>(s.counts.unchanged),
      static_cast<long long>(s.duration_ms),
      s.warnings.empty() ? "" : fmt::format(", {} warnings", s.warnings.size()).c_str());
}

int run_sync(const SyncCommandOptions& opts, Context& ctx) {
  auto [spec, request] = select_source(opts.selection, ctx);
  auto store = catalog::open_store(ctx.catalog_url());

  daemon::SyncRunOptions run_options;
  run_options.allow_mass_delete = opts.allow_mass_delete;
  run_options.full = opts.full;
  run_options.wrap_sink = [&](schema::EntitySink& next) -> std::unique_ptr<schema::EntitySink> {
    return progress_on_terminal(next, spec.name, ctx);
  };
  daemon::SyncRunResult result = daemon::run_sync(spec, request, *store, run_options, ctx.cancel());
  const catalog::SyncSummary& summary = result.summary;
  if (summary.status == catalog::RunStatus::interrupted && !result.error) {
    core::log_error("sync of source '{}' interrupted; the catalog is unchanged (run {})", spec.name,
                    summary.run_id);
    return static_cast<int>(core::ExitCode::interrupted);
  }
  if (result.error) std::rethrow_exception(result.error);
  print_summary(summary, opts.format);
  core::log_info("synced source '{}' into {}: run {} {}", spec.name, store->describe(),
                 summary.run_id, catalog::to_string(summary.status));
  return static_cast<int>(result.exit_code);
}

}  // namespace

void add_sync_command(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<SyncCommandOptions>();
  auto* cmd = app.add_subcommand("sync", "Extract a source into the catalog, keeping history");
  cmd->footer(R"(Examples:
  connctl sync shop
  connctl sync sqlite:///abs/path/shop.db --format json --catalog sqlite:///tmp/catalog.db
  connctl sync shop --exclude 'main.tmp_*'

Only new, changed and removed entities are written, in one transaction.
Removals happen only inside containers listed in full and in filter scope, and
never for more than 20% of a source's entities unless --allow-mass-delete.

Exit codes: 0 ok, 1 runtime failure or mass delete refused, 2 bad arguments,
3 source unreachable (a failed run is recorded, nothing else), 4 partial
(some objects skipped; nothing removed because of them), 130 interrupted.)");
  add_source_selection(*cmd, opts->selection, "Record observations such as row counts");
  cmd->add_option("--format", opts->format, "Summary as a text line or JSON")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_flag("--full", opts->full,
                "Extract even when the source's change signature says nothing changed");
  cmd->add_flag("--allow-mass-delete", opts->allow_mass_delete,
                "Allow removing more than 20% of the source's entities");
  cmd->callback([opts, &ctx] { ctx.action = [opts, &ctx] { return run_sync(*opts, ctx); }; });
}

}  // namespace connctl::cli
