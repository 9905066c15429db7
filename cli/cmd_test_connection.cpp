// connctl test-connection SOURCE: run the extractor's named steps and report
// each, so that an operator sees exactly which grant or setting is missing.

#include "cli/app.hpp"
#include "cli/output.hpp"
#include "cli/source_selection.hpp"

#include <fmt/format.h>
#include "core/error.hpp"
#include "extractors/source.hpp"

namespace connctl::cli {
namespace {

struct TestOptions {
  std::string source;
  std::string format = "text";
};

void print_report_json(const extractors::TestReport& report) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  json_key(w, "source");
  json_string(w, report.source);
  json_key(w, "ok");
  w.Bool(report.ok());
  json_key(w, "steps");
  w.StartArray();
  for (const auto& step : report.steps) {
    w.StartObject();
    json_key(w, "name");
    json_string(w, step.name);
    json_key(w, "status");
    json_string(w, extractors::to_string(step.status));
    json_key(w, "duration_ms");
    w.Int64(step.duration_ms);
    json_key(w, "error");
    json_string_or_null(w, step.error);
    json_key(w, "hint");
    json_string_or_null(w, step.hint);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  print_json(buffer);
}

void print_report_text(const extractors::TestReport& report) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& step : report.steps) {
    std::string detail = step.error;
    if (!step.hint.empty()) detail += detail.empty() ? step.hint : " (" + step.hint + ")";
    rows.push_back({step.name, std::string(extractors::to_string(step.status)),
                    step.status == extractors::StepStatus::skipped
                        ? std::string()
                        : fmt::format("{} ms", step.duration_ms),
                    detail});
  }
  print_table({"STEP", "STATUS", "TIME", "DETAIL"}, rows);
  std::printf("source '%s': %s\n", report.source.c_str(), report.ok() ? "ok" : "FAILED");
}

int run_test_connection(const TestOptions& opts, Context& ctx) {
  auto spec = resolve_source(opts.source, ctx);
  auto extractor = extractors::open_extractor(spec);
  auto report = extractor->test_connection(ctx.cancel());
  report.source = spec.name;
  if (opts.format == "json") {
    print_report_json(report);
  } else {
    print_report_text(report);
  }
  if (ctx.cancel().cancelled()) return static_cast<int>(core::ExitCode::interrupted);
  return static_cast<int>(report.ok() ? core::ExitCode::ok : core::ExitCode::connection);
}

}  // namespace

void add_test_connection_command(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<TestOptions>();
  auto* cmd = app.add_subcommand("test-connection",
                                 "Check that a source can be reached and read, step by step");
  cmd->footer(R"(Examples:
  connctl test-connection sqlite:///abs/path/shop.db
  connctl test-connection shop --format json

Exit codes: 0 every step passed, 2 bad arguments or config, 3 a step failed.)");
  cmd->add_option("source", opts->source, "A configured source name or a URL")->required();
  cmd->add_option("--format", opts->format, "text (a table) or json")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->callback(
      [opts, &ctx] { ctx.action = [opts, &ctx] { return run_test_connection(*opts, ctx); }; });
}

}  // namespace connctl::cli
