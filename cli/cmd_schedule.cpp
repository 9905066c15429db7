// connctl schedule next: when a job (or a cron expression) fires next, in its
// time zone, so that an operator can check a schedule before deploying it.

#include <fmt/format.h>

#include "cli/app.hpp"
#include "cli/output.hpp"
#include "core/error.hpp"
#include "daemon/cron.hpp"

namespace connctl::cli {
namespace {

struct NextOptions {
  std::optional<std::string> job;
  std::optional<std::string> cron;
  std::optional<std::string> tz;
  std::optional<std::string> from;
  int count = 5;
  std::string format = "text";
};

int run_next(const NextOptions& opts, Context& ctx) {
  if (opts.job.has_value() == opts.cron.has_value()) {
    core::throw_usage("give either a job name or --cron EXPR",
                      "e.g. connctl schedule next --cron '0 3 * * *'");
  }
  std::string expression;
  std::string zone_name = opts.tz.value_or("");
  if (opts.job) {
    const core::Config* config = ctx.config(true);
    const core::JobConfig* job = config->find_job(*opts.job);
    if (!job) core::throw_usage(fmt::format("no job named '{}' in {}", *opts.job, config->path));
    expression = job->schedule;
    if (!opts.tz && job->timezone) zone_name = *job->timezone;
  } else {
    expression = *opts.cron;
  }
  const auto* zone = daemon::find_zone(zone_name);
  auto schedule = daemon::CronSchedule::parse(expression, zone);
  core::TimePoint t = opts.from ? daemon::parse_time(*opts.from, zone) : core::SystemClock().now();
  std::vector<std::string> times;
  for (int i = 0; i < opts.count; ++i) {
    t = schedule.next(t);
    times.push_back(daemon::format_in_zone(t, zone));
  }
  if (opts.format == "json") {
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartArray();
    for (const auto& time : times) json_string(w, time);
    w.EndArray();
    print_json(buffer);
  } else {
    for (const auto& time : times) std::puts(time.c_str());
  }
  return 0;
}

}  // namespace

void add_schedule_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("schedule", "Inspect cron schedules");
  cmd->require_subcommand(1);
  auto opts = std::make_shared<NextOptions>();
  auto* next = cmd->add_subcommand("next", "The next fire times of a job or a cron expression");
  next->footer(R"(Examples:
  connctl schedule next nightly --count 3
  connctl schedule next --cron '30 2 * * *' --tz Europe/Berlin --from 2026-03-28T12:00:00+01:00
  connctl schedule next --cron '*/15 * * * * *' --format json

Times are ISO 8601 with the zone's offset at each instant; see docs/schedule.md for
the syntax and the daylight-saving rules.)");
  next->add_option("job", opts->job, "A [[job]] name from the config");
  next->add_option("--cron", opts->cron, "A cron expression instead of a job")->type_name("EXPR");
  next->add_option("--tz", opts->tz, "IANA time zone (default: the job's, else the system's)")
      ->type_name("ZONE");
  next->add_option("--from", opts->from, "Start after this ISO 8601 time (default: now)")
      ->type_name("TIME");
  next->add_option("--count", opts->count, "How many fire times")->check(CLI::Range(1, 10000));
  next->add_option("--format", opts->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  next->callback([opts, &ctx] { ctx.action = [opts, &ctx] { return run_next(*opts, ctx); }; });
}

}  // namespace connctl::cli
