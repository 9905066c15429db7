#pragma once
// The command line: global options, lazy config loading, and the shared
// context each subcommand runs with. Nothing else depends on cli/.

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <string>

#include "core/cancel.hpp"
#include "core/config.hpp"

namespace connctl::cli {

struct GlobalOptions {
  std::optional<std::string> config_path;
  std::optional<std::string> catalog_url;  // --catalog: overrides [catalog] url
  std::string log_format = "text";
  bool quiet = false;
  int verbose = 0;
};

class Context {
 public:
  GlobalOptions options;

  // The config file by the lookup order of docs/config.md, loaded on first
  // use; nullptr when none exists and `required` is false.
  const core::Config* config(bool required);

  // Whether the user pointed at a config explicitly (--config or $CONNCTL_CONFIG).
  bool config_explicit() const;

  core::CancelToken& cancel();

  // The catalog to use: --catalog, else [catalog] url (a relative path is
  // relative to the config file), else the default under $XDG_STATE_HOME.
  std::string catalog_url();

  // What the chosen subcommand will do, set while parsing and run after it,
  // so that logging is configured before any work starts. Returns the exit code.
  std::function<int()> action;

 private:
  bool m_loaded = false;
  std::optional<core::Config> m_config;
};

int run(int argc, char** argv);

// One function per subcommand file: each adds its subcommand(s) to the app.
void add_extract_command(CLI::App& app, Context& ctx);
void add_test_connection_command(CLI::App& app, Context& ctx);
void add_extractors_command(CLI::App& app, Context& ctx);
void add_config_command(CLI::App& app, Context& ctx);
void add_sync_command(CLI::App& app, Context& ctx);
void add_history_command(CLI::App& app, Context& ctx);
void add_catalog_command(CLI::App& app, Context& ctx);
void add_diff_command(CLI::App& app, Context& ctx);
void add_schedule_command(CLI::App& app, Context& ctx);
void add_daemon_command(CLI::App& app, Context& ctx);

}  // namespace connctl::cli
