// connctl history [SOURCE]: the runs recorded in the catalog, newest first.

#include <memory>

#include "catalog/store.hpp"
#include "cli/app.hpp"
#include "cli/output.hpp"
#include "core/error.hpp"

namespace connctl::cli {
namespace {

struct HistoryOptions {
  std::optional<std::string> source;
  std::size_t limit = 20;
  std::optional<std::string> status;
  std::string format = "text";
};

void write_run(JsonWriter& w, const catalog::RunInfo& r) {
  w.StartObject();
  json_key(w, "id");
  json_string(w, r.id);
  json_key(w, "source");
  json_string(w, r.source);
  json_key(w, "job");
  json_string_or_null(w, r.job);
  json_key(w, "trigger");
  json_string(w, r.trigger);
  json_key(w, "status");
  json_string(w, catalog::to_string(r.status));
  json_key(w, "scheduled_for");
  json_string_or_null(w, r.scheduled_for.value_or(""));
  json_key(w, "started_at");
  json_string(w, r.started_at);
  json_key(w, "finished_at");
  json_string_or_null(w, r.finished_at.value_or(""));
  json_key(w, "added");
  w.Int64(r.added);
  json_key(w, "changed");
  w.Int64(r.changed);
  json_key(w, "removed");
  w.Int64(r.removed);
  json_key(w, "unchanged");
  w.Int64(r.unchanged);
  json_key(w, "error");
  json_string_or_null(w, r.error);
  w.EndObject();
}

int run_history(const HistoryOptions& opts, Context& ctx) {
  catalog::RunQuery query;
  query.source = opts.source;
  query.limit = opts.limit;
  if (opts.status) query.status = catalog::parse_run_status(*opts.status);
  auto store = catalog::open_store(ctx.catalog_url());
  auto runs = store->runs(query);
  if (opts.format == "json") {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartArray();
    for (const auto& r : runs) write_run(w, r);
    w.EndArray();
    print_json(buf);
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : runs) {
    rows.push_back({r.id, r.source, std::string(catalog::to_string(r.status)), r.started_at,
                    r.finished_at.value_or("-"), std::to_string(r.added), std::to_string(r.changed),
                    std::to_string(r.removed), std::to_string(r.unchanged), r.error});
  }
  print_table({"ID", "SOURCE", "STATUS", "STARTED", "FINISHED", "ADDED", "CHANGED", "REMOVED",
               "UNCHANGED", "ERROR"},
              rows);
  return 0;
}

}  // namespace

void add_history_command(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<HistoryOptions>();
  auto* cmd = app.add_subcommand("history", "List the catalog's sync runs, newest first");
  cmd->footer(R"(Examples:
  connctl history
  connctl history shop --limit 5 --status failed --format json)");
  cmd->add_option("source", opts->source, "Only runs of this source");
  cmd->add_option("--limit", opts->limit, "At most N runs")->check(CLI::PositiveNumber);
  cmd->add_option("--status", opts->status, "Only runs with this status")
      ->check(
          CLI::IsMember({"running", "succeeded", "partial", "failed", "interrupted", "timed_out"}));
  cmd->add_option("--format", opts->format, "A table or JSON")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->callback([opts, &ctx] { ctx.action = [opts, &ctx] { return run_history(*opts, ctx); }; });
}

}  // namespace connctl::cli
