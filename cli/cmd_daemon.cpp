// connctl daemon: run the [[job]]s of the config on their schedules until
// SIGTERM. The service itself lives in daemon/service.cpp.

#include <memory>

#include "cli/app.hpp"
#include "core/clock.hpp"
#include "core/config.hpp"
#include "daemon/cron.hpp"
#include "daemon/service.hpp"
#include "extractors/registry.hpp"

namespace connctl::cli {
namespace {

struct DaemonOptions {
  std::optional<std::string> metrics_listen;
};

int run_daemon(const DaemonOptions& opts, Context& ctx) {
  ctx.config(true);  // a daemon without a config has nothing to do: say so up front
  daemon::ServiceOptions service_options;
  service_options.catalog_url = ctx.catalog_url();
  service_options.metrics_listen = opts.metrics_listen;
  // Read again from the file on every SIGHUP.
  const auto path = core::find_config_file(ctx.options.config_path);
  service_options.load_config = [path] {
    core::Config config =
        core::load_config(*path, extractors::Registry::instance().config_lookup());
    daemon::validate_job_schedules(config);
    return config;
  };
  core::SystemClock clock;
  daemon::Service service(std::move(service_options), clock);
  return service.run();
}

}  // namespace

void add_daemon_command(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<DaemonOptions>();
  auto* cmd = app.add_subcommand("daemon", "Run the config's [[job]]s on their schedules");
  cmd->footer(R"(Examples:
  connctl daemon --config /etc/connctl/config.toml
  connctl daemon --metrics-listen 127.0.0.1:9464

Each run is exactly what `connctl sync SOURCE` does, recorded in the catalog with
its job, trigger (schedule, catch_up, retry, takeover) and scheduled time.
Signals: SIGTERM/SIGINT stop scheduling, let running syncs finish for
[daemon] shutdown_grace, cancel the rest and exit 0; SIGHUP re-reads the
config and keeps the old one when the new one is invalid.
Only one daemon runs on a SQLite catalog; several share a PostgreSQL catalog,
each fire claimed by one of them. See docs/daemon.md.)");
  cmd->add_option("--metrics-listen", opts->metrics_listen,
                  "Serve /metrics (Prometheus) and /healthz on HOST:PORT")
      ->type_name("ADDR");
  cmd->callback([opts, &ctx] { ctx.action = [opts, &ctx] { return run_daemon(*opts, ctx); }; });
}

}  // namespace connctl::cli
