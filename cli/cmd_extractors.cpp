// connctl extractors list|describe: what the registry holds, straight from
// each extractor's registration.

#include "cli/app.hpp"
#include "cli/output.hpp"

#include <fmt/format.h>
#include "core/error.hpp"
#include "extractors/registry.hpp"

namespace connctl::cli {
namespace {

struct ListOptions {
  std::string format = "text";
};

struct DescribeOptions {
  std::string type;
  std::string format = "text";
};

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += sep;
    out += item;
  }
  return out;
}

std::vector<std::pair<std::string, bool>> capability_list(const extractors::Capabilities& c) {
  return {{"test_connection", c.test_connection},
          {"lineage", c.lineage},
          {"column_lineage", c.column_lineage},
          {"stats", c.stats},
          {"incremental", c.incremental}};
}

std::string capability_text(const extractors::Capabilities& c) {
  std::vector<std::string> names;
  for (const auto& [name, on] : capability_list(c)) {
    if (on) names.push_back(name);
  }
  return join(names, ", ");
}

void write_info_json(JsonWriter& w, const extractors::ExtractorInfo& info, bool with_keys) {
  w.StartObject();
  json_key(w, "type");
  json_string(w, info.type);
  json_key(w, "description");
  json_string(w, info.description);
  json_key(w, "url_schemes");
  w.StartArray();
  for (const auto& s : info.url_schemes) json_string(w, s);
  w.EndArray();
  json_key(w, "capabilities");
  w.StartObject();
  for (const auto& [name, on] : capability_list(info.capabilities)) {
    json_key(w, name);
    w.Bool(on);
  }
  w.EndObject();
  if (with_keys) {
    json_key(w, "keys");
    w.StartArray();
    auto write_key = [&](const core::KeySpec& key, std::string_view scope) {
      w.StartObject();
      json_key(w, "name");
      json_string(w, key.name);
      json_key(w, "type");
      json_string(w, core::to_string(key.type));
      json_key(w, "required");
      w.Bool(key.required);
      json_key(w, "secret");
      w.Bool(key.secret);
      json_key(w, "default");
      json_string_or_null(w, key.default_value);
      json_key(w, "description");
      json_string(w, key.description);
      json_key(w, "scope");
      json_string(w, scope);
      w.EndObject();
    };
    for (const auto& key : info.keys) write_key(key, "type");
    for (const auto& key : core::common_source_keys()) write_key(key, "common");
    w.EndArray();
  }
  w.EndObject();
}

int run_list(const ListOptions& opts) {
  auto infos = extractors::Registry::instance().all();
  if (opts.format == "json") {
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartArray();
    for (const auto* info : infos) write_info_json(w, *info, false);
    w.EndArray();
    print_json(buffer);
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto* info : infos) {
    std::vector<std::string> schemes;
    for (const auto& s : info->url_schemes) schemes.push_back(s + "://");
    rows.push_back({info->type, join(schemes, " "), info->description});
  }
  print_table({"TYPE", "URL", "DESCRIPTION"}, rows);
  return 0;
}

int run_describe(const DescribeOptions& opts) {
  const auto* info = extractors::Registry::instance().find(opts.type);
  if (!info) {
    std::vector<std::string> types;
    for (const auto* i : extractors::Registry::instance().all()) types.push_back(i->type);
    core::throw_usage(fmt::format("unknown extractor type '{}'", opts.type),
                      fmt::format("known types: {}", join(types, ", ")));
  }
  if (opts.format == "json") {
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    write_info_json(w, *info, true);
    print_json(buffer);
    return 0;
  }
  std::vector<std::string> schemes;
  for (const auto& s : info->url_schemes) schemes.push_back(s + "://");
  std::printf("type:         %s\ndescription:  %s\nurl schemes:  %s\ncapabilities: %s\n\n",
              info->type.c_str(), info->description.c_str(), join(schemes, " ").c_str(),
              capability_text(info->capabilities).c_str());
  std::vector<std::vector<std::string>> rows;
  auto add_row = [&](const core::KeySpec& key, const char* scope) {
    rows.push_back({key.name, std::string(core::to_string(key.type)), key.required ? "yes" : "no",
                    key.secret ? "yes" : "no", key.default_value.empty() ? "-" : key.default_value,
                    scope, key.description});
  };
  for (const auto& key : info->keys) add_row(key, info->type.c_str());
  for (const auto& key : core::common_source_keys()) add_row(key, "common");
  print_table({"KEY", "TYPE", "REQUIRED", "SECRET", "DEFAULT", "SCOPE", "DESCRIPTION"}, rows);
  return 0;
}

}  // namespace

void add_extractors_command(CLI::App& app, Context& ctx) {
  auto* cmd =
      app.add_subcommand("extractors", "List the extractor types and their configuration keys");
  cmd->require_subcommand(1);

  auto list_opts = std::make_shared<ListOptions>();
  auto* list = cmd->add_subcommand("list", "One line per extractor type");
  list->add_option("--format", list_opts->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  list->callback([list_opts, &ctx] { ctx.action = [list_opts] { return run_list(*list_opts); }; });

  auto describe_opts = std::make_shared<DescribeOptions>();
  auto* describe = cmd->add_subcommand(
      "describe", "Config keys (type, required, secret) and capabilities of TYPE");
  describe->add_option("type", describe_opts->type, "An extractor type, e.g. sqlite")->required();
  describe->add_option("--format", describe_opts->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  describe->callback([describe_opts, &ctx] {
    ctx.action = [describe_opts] { return run_describe(*describe_opts); };
  });
}

}  // namespace connctl::cli
