#include "cli/app.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>

#include "catalog/store.hpp"
#include "cli/stop.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/version.hpp"
#include "daemon/cron.hpp"
#include "extractors/registry.hpp"

namespace connctl::cli {
namespace {

void apply_log_options(const GlobalOptions& options) {
  core::LogSettings settings;
  settings.format = options.log_format == "json" ? core::LogFormat::json : core::LogFormat::text;
  if (options.quiet) {
    settings.level = core::LogLevel::error;
  } else if (options.verbose > 0) {
    settings.level = core::LogLevel::debug;
  }
  settings.color = settings.format == core::LogFormat::text && isatty(STDERR_FILENO) &&
                   std::getenv("NO_COLOR") == nullptr;
  core::set_log_settings(settings);
}

void report_error(const core::Error& e) {
  std::string line = e.what();
  if (!e.hint().empty()) line += "; " + e.hint();
  core::log_line(core::LogLevel::error, line);
}

constexpr const char* k_footer = R"(Examples:
  connctl extract sqlite:///abs/path/shop.db > shop.json
  connctl extract shop --format ndjson --include 'main.order*' --output shop.ndjson
  connctl test-connection shop --format json
  connctl extractors describe sqlite
  connctl config validate --config /etc/connctl/config.toml

Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error,
3 connection or authentication failure, 4 partial (some objects skipped),
5 diff found changes at or above --fail-on, 130 interrupted.
Documentation: docs/cli.md, docs/config.md.)";

}  // namespace

const core::Config* Context::config(bool required) {
  if (!m_loaded) {
    m_loaded = true;
    if (auto path = core::find_config_file(options.config_path)) {
      m_config = core::load_config(*path, extractors::Registry::instance().config_lookup());
      daemon::validate_job_schedules(*m_config);
    }
  }
  if (!m_config && required) {
    core::throw_usage(
        "no config file found",
        "pass --config FILE, set CONNCTL_CONFIG, or create ./connctl.toml (see docs/config.md)");
  }
  return m_config ? &*m_config : nullptr;
}

bool Context::config_explicit() const {
  return options.config_path || std::getenv("CONNCTL_CONFIG");
}

core::CancelToken& Context::cancel() {
  return stop_token();
}

std::string Context::catalog_url() {
  if (options.catalog_url) return *options.catalog_url;
  if (const core::Config* cfg = config(false); cfg && cfg->catalog.url) {
    const std::string& url = *cfg->catalog.url;
    std::string_view path = url;
    if (path.starts_with("sqlite://")) path.remove_prefix(9);
    // A relative file path is relative to the config file, like source paths.
    if (path.find("://") == std::string_view::npos) {
      return "sqlite://" +
             core::resolve_config_path(cfg->catalog.where, std::string(path)).string();
    }
    return url;
  }
  return catalog::default_catalog_url();
}

int run(int argc, char** argv) {
  // No allocation statistics in SQLite: they take one process-wide mutex per
  // allocation, which the daemon's concurrent runs contend on. Before any
  // connection opens (sqlite3_config fails once SQLite is initialised).
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  Context ctx;
  CLI::App app{"connctl: extract metadata from databases, warehouses and BI tools", "connctl"};
  app.footer(k_footer);
  app.set_version_flag("--version", fmt::format("connctl {}", core::k_version));
  app.require_subcommand(1);
  // Global flags are accepted after the subcommand too: `connctl extract X --config F`.
  app.fallthrough();
  app.option_defaults()->always_capture_default();
  app.add_option("--config", ctx.options.config_path,
                 "Config file (default: lookup order in docs/config.md)")
      ->type_name("FILE");
  app.add_option("--catalog", ctx.options.catalog_url,
                 "Catalog URL, overriding [catalog] url (default: "
                 "$XDG_STATE_HOME/connctl/catalog.db)")
      ->type_name("URL");
  app.add_option("--log-format", ctx.options.log_format, "Log lines on stderr as text or JSON")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_flag("-q,--quiet", ctx.options.quiet, "Only errors on stderr, no progress");
  app.add_flag("-v,--verbose", ctx.options.verbose, "Debug logging");

  add_extract_command(app, ctx);
  add_test_connection_command(app, ctx);
  add_extractors_command(app, ctx);
  add_config_command(app, ctx);
  add_sync_command(app, ctx);
  add_history_command(app, ctx);
  add_catalog_command(app, ctx);
  add_diff_command(app, ctx);
  add_schedule_command(app, ctx);
  add_daemon_command(app, ctx);

  install_stop_handlers();
  try {
    app.parse(argc, argv);
    apply_log_options(ctx.options);
    return ctx.action ? ctx.action() : 0;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string message = e.what();
    core::log_line(core::LogLevel::error, message + "; run 'connctl --help'");
    return static_cast<int>(core::ExitCode::usage);
  } catch (const core::Error& e) {
    report_error(e);
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    core::log_line(core::LogLevel::error, e.what());
    return static_cast<int>(core::ExitCode::runtime);
  }
}

}  // namespace connctl::cli
