// connctl diff FROM TO: the graded semantic diff between two states, each a
// catalog point (run:ID, @TIME, latest), a file written by `connctl extract`,
// or a live source (extracted in memory).

#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <sstream>

#include "catalog/store.hpp"
#include "cli/app.hpp"
#include "cli/catalog_point.hpp"
#include "cli/output.hpp"
#include "cli/source_selection.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/url.hpp"
#include "extractors/source.hpp"
#include "schema/diff.hpp"
#include "schema/value.hpp"

namespace connctl::cli {
namespace {

struct DiffOptions {
  std::string from;
  std::string to;
  std::optional<std::string> fail_on;
  std::string format = "text";
};

struct Side {
  std::string label;
  std::string source;  // the source it belongs to, when known
  std::vector<schema::DiffEntity> entities;
  bool resolved = false;
};

// Keeps entity bodies of a live extraction; lineage and warnings are not diffed.
class BodySink final : public schema::EntitySink {
 public:
  void on_entity(const schema::Entity& e) override {
    entities.push_back({std::string(schema::to_string(e.kind)), e.fqn, e.body()});
  }
  void on_lineage(const schema::LineageEdge&) override {}
  void on_warning(const schema::Warning& w) override {
    if (w.skipped) ++skipped;
  }
  std::vector<schema::DiffEntity> entities;
  std::size_t skipped = 0;
};

Side load_file(const std::string& path) {
  Side side{path, "", {}, true};
  std::string text;
  try {
    text = [&] {
      std::FILE* f = std::fopen(path.c_str(), "rb");
      if (!f) core::throw_usage(fmt::format("cannot read {}", path));
      std::string out;
      char buf[65536];
      std::size_t n;
      while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
      std::fclose(f);
      return out;
    }();
    schema::Value doc = schema::parse_json(text);
    if (const schema::Value* s = doc.find("source"); s && s->is_string())
      side.source = s->as_string();
    const schema::Value* list = doc.find("entities");
    if (!list || !list->is_array()) core::throw_usage(fmt::format("{} has no entities[]", path));
    for (const auto& r : list->as_array())
      side.entities.push_back(schema::diff_entity_from_record(r));
    return side;
  } catch (const core::Error&) {
    throw;
  } catch (const std::exception&) {
  }
  // NDJSON: one record per line.
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    schema::Value record;
    try {
      record = schema::parse_json(line);
    } catch (const std::exception& e) {
      core::throw_usage(
          fmt::format("{} is neither a JSON document nor NDJSON from 'connctl "
                      "extract': {}",
                      path, e.what()));
    }
    const schema::Value* kind = record.find("record");
    if (kind && kind->is_string() && kind->as_string() == "entity") {
      side.entities.push_back(schema::diff_entity_from_record(record));
    } else if (kind && kind->is_string() && kind->as_string() == "header") {
      if (const schema::Value* s = record.find("source"); s && s->is_string())
        side.source = s->as_string();
    }
  }
  return side;
}

Side load_live(const std::string& name, Context& ctx) {
  auto spec = resolve_source(name, ctx);
  auto request = extractors::request_from_settings(spec);
  auto extractor = extractors::open_extractor(spec);
  BodySink sink;
  extractor->extract(request, sink, ctx.cancel());
  if (ctx.cancel().cancelled()) core::throw_runtime("interrupted");
  if (sink.skipped > 0) {
    core::log_warn("source '{}': {} objects could not be read; they appear as removed", spec.name,
                   sink.skipped);
  }
  return Side{name, spec.name, std::move(sink.entities), true};
}

Side load_point(catalog::CatalogStore& store, const std::string& text, const std::string& source) {
  auto run = resolve_point(store, text, source);
  Side side{text, run.source, {}, true};
  // A time or `latest` names the state of one source when the other side names it.
  const std::string scope =
      text.starts_with("run:") || (!text.empty() && std::isdigit(text[0])) ? run.source : source;
  for (const auto& e : store.entities_at(scope, run.id)) {
    side.entities.push_back(schema::diff_entity_from_record(schema::parse_json(e.body)));
  }
  side.label = fmt::format("{} (run {})", text, run.id);
  return side;
}

void write_value(JsonWriter& w, const schema::Value& v) {
  std::string json = schema::to_canonical_json(v);
  w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}

int run_diff(const DiffOptions& opts, Context& ctx) {
  std::optional<schema::Grade> fail_on;
  if (opts.fail_on) fail_on = schema::parse_grade(*opts.fail_on);

  std::unique_ptr<catalog::CatalogStore> store;
  auto catalog_store = [&]() -> catalog::CatalogStore& {
    if (!store) store = catalog::open_store(ctx.catalog_url());
    return *store;
  };
  Side sides[2] = {{opts.from, "", {}, false}, {opts.to, "", {}, false}};
  // Files and live sources first, then run ids: they tell which source a
  // time or `latest` on the other side means.
  for (auto& side : sides) {
    if (looks_like_point(side.label)) continue;
    side = std::filesystem::is_regular_file(side.label) && !core::looks_like_url(side.label)
               ? load_file(side.label)
               : load_live(side.label, ctx);
  }
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < 2; ++i) {
      Side& side = sides[i];
      if (side.resolved) continue;
      const bool by_id =
          side.label.starts_with("run:") || (!side.label.empty() && std::isdigit(side.label[0]));
      if (pass == 0 && !by_id) continue;
      side = load_point(catalog_store(), side.label, sides[1 - i].source);
    }
  }

  auto changes = schema::diff_entities(sides[0].entities, sides[1].entities);
  bool gate = false;
  for (const auto& c : changes) gate = gate || (fail_on && c.grade >= *fail_on);

  if (opts.format == "json") {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    json_key(w, "from");
    json_string(w, opts.from);
    json_key(w, "to");
    json_string(w, opts.to);
    json_key(w, "changes");
    w.StartArray();
    for (const auto& c : changes) {
      w.StartObject();
      json_key(w, "fqn");
      json_string(w, c.fqn);
      json_key(w, "kind");
      json_string(w, c.kind);
      json_key(w, "change");
      json_string(w, schema::to_string(c.change));
      json_key(w, "grade");
      json_string(w, schema::to_string(c.grade));
      json_key(w, "fields");
      w.StartArray();
      for (const auto& f : c.fields) {
        w.StartObject();
        json_key(w, "field");
        json_string(w, f.field);
        json_key(w, "before");
        write_value(w, f.before);
        json_key(w, "after");
        write_value(w, f.after);
        w.EndObject();
      }
      w.EndArray();
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    print_json(buf);
  } else {
    std::printf("diff %s -> %s: %zu changes\n", sides[0].label.c_str(), sides[1].label.c_str(),
                changes.size());
    for (const auto& c : changes) {
      std::printf("%-10s %-8s %-10s %s\n", std::string(schema::to_string(c.grade)).c_str(),
                  std::string(schema::to_string(c.change)).c_str(), c.kind.c_str(), c.fqn.c_str());
      for (const auto& f : c.fields) {
        std::printf("    %s: %s -> %s\n", f.field.c_str(),
                    schema::to_canonical_json(f.before).c_str(),
                    schema::to_canonical_json(f.after).c_str());
      }
    }
  }
  return static_cast<int>(gate ? core::ExitCode::diff_found : core::ExitCode::ok);
}

}  // namespace

void add_diff_command(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<DiffOptions>();
  auto* cmd = app.add_subcommand("diff", "Graded semantic diff between two states of metadata");
  cmd->footer(R"(FROM and TO are each one of:
  run:ID | ID          the state after that sync run
  @2026-11-01T00:00Z   the state at that time (the last run finished by then)
  latest               the newest synced state
  FILE                 a JSON document (or NDJSON) written by 'connctl extract'
  SOURCE               a configured source name or URL, extracted now

Examples:
  connctl diff run:12 latest --fail-on breaking
  connctl diff @2026-11-01T00:00Z shop --format json
  connctl diff before.json after.json

Grades (docs/diff.md): breaking, compatible, info. Exit codes: 0 no change at
or above --fail-on, 5 such a change exists, 2 bad arguments, 3 source unreachable.)");
  cmd->add_option("from", opts->from, "The earlier state")->required();
  cmd->add_option("to", opts->to, "The later state")->required();
  cmd->add_option("--fail-on", opts->fail_on, "Exit 5 when a change at or above GRADE exists")
      ->check(CLI::IsMember({"breaking", "compatible", "info"}))
      ->type_name("GRADE");
  cmd->add_option("--format", opts->format, "Readable text or JSON")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->callback([opts, &ctx] { ctx.action = [opts, &ctx] { return run_diff(*opts, ctx); }; });
}

}  // namespace connctl::cli
