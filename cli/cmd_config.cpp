// connctl config validate: load and validate the config file the way every
// other command would, and say which file that is.

#include "cli/app.hpp"
#include "cli/output.hpp"
#include "core/log.hpp"

namespace connctl::cli {
namespace {

struct ValidateOptions {
  std::string format = "text";
};

int run_validate(const ValidateOptions& opts, Context& ctx) {
  const core::Config* config = ctx.config(true);
  if (opts.format == "json") {
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    json_key(w, "path");
    json_string(w, config->path);
    json_key(w, "ok");
    w.Bool(true);
    json_key(w, "sources");
    w.StartArray();
    for (const auto& s : config->sources) {
      w.StartObject();
      json_key(w, "name");
      json_string(w, s.name);
      json_key(w, "type");
      json_string(w, s.type);
      w.EndObject();
    }
    w.EndArray();
    json_key(w, "jobs");
    w.StartArray();
    for (const auto& j : config->jobs) json_string(w, j.name);
    w.EndArray();
    w.EndObject();
    print_json(buffer);
  } else {
    std::printf("%s: ok (%zu sources, %zu jobs)\n", config->path.c_str(), config->sources.size(),
                config->jobs.size());
  }
  return 0;
}

}  // namespace

void add_config_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("config", "Work with the config file");
  cmd->require_subcommand(1);
  auto opts = std::make_shared<ValidateOptions>();
  auto* validate = cmd->add_subcommand(
      "validate", "Validate the config file (exit 2 with file:line:column if not)");
  validate->add_option("--format", opts->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  validate->callback(
      [opts, &ctx] { ctx.action = [opts, &ctx] { return run_validate(*opts, ctx); }; });
}

}  // namespace connctl::cli
