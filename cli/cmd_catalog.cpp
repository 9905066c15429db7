// connctl catalog show | search | lineage | verify | stats: read the catalog directly;
// catalog migrate: copy it whole into another store.

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include "catalog/store.hpp"
#include "cli/app.hpp"
#include "cli/catalog_point.hpp"
#include "cli/output.hpp"
#include "core/error.hpp"
#include "schema/fqn.hpp"
#include "schema/value.hpp"

namespace connctl::cli {
namespace {

struct ShowOptions {
  std::string fqn;
  std::optional<std::string> at;
};

int run_show(const ShowOptions& opts, Context& ctx) {
  auto store = catalog::open_store(ctx.catalog_url());
  schema::Fqn fqn = schema::Fqn::parse(opts.fqn);
  const std::string source = fqn.components().front();
  std::optional<std::string> run_id;
  if (opts.at) run_id = resolve_point(*store, *opts.at, source).id;
  std::vector<catalog::StoredEntity> found;
  for (auto& e : store->entities_at(source, run_id)) {
    if (e.fqn == fqn.str()) found.push_back(std::move(e));
  }
  if (found.empty()) {
    core::throw_usage(fmt::format("no entity '{}' in the catalog{}", opts.fqn,
                                  run_id ? fmt::format(" at run {}", *run_id) : ""),
                      "'connctl catalog search TEXT' finds names");
  }
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartArray();
  for (const auto& e : found) {
    w.StartObject();
    json_key(w, "fqn");
    json_string(w, e.fqn);
    json_key(w, "kind");
    json_string(w, e.kind);
    json_key(w, "valid_from_run");
    json_string(w, e.valid_from_run);
    json_key(w, "valid_to_run");
    json_string_or_null(w, e.valid_to_run.value_or(""));
    json_key(w, "fingerprint");
    json_string(w, e.fingerprint);
    json_key(w, "body");
    w.RawValue(e.body.data(), e.body.size(), rapidjson::kObjectType);
    w.EndObject();
  }
  w.EndArray();
  print_json(buf);
  return 0;
}

struct SearchOptions {
  std::string text;
  std::size_t limit = 50;
  std::string format = "text";
};

int run_search(const SearchOptions& opts, Context& ctx) {
  auto store = catalog::open_store(ctx.catalog_url());
  auto found = store->search(opts.text, opts.limit);
  if (opts.format == "json") {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartArray();
    for (const auto& e : found) {
      w.StartObject();
      json_key(w, "fqn");
      json_string(w, e.fqn);
      json_key(w, "kind");
      json_string(w, e.kind);
      w.EndObject();
    }
    w.EndArray();
    print_json(buf);
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : found) rows.push_back({e.kind, e.fqn});
  print_table({"KIND", "FQN"}, rows);
  return 0;
}

struct LineageOptions {
  std::string fqn;
  bool upstream = false;
  bool downstream = false;
  int depth = 1;
  std::string format = "text";
};

int run_lineage(const LineageOptions& opts, Context& ctx) {
  if (opts.upstream == opts.downstream) {
    core::throw_usage("give exactly one of --upstream and --downstream");
  }
  auto store = catalog::open_store(ctx.catalog_url());
  const std::string source = schema::Fqn::parse(opts.fqn).components().front();
  auto edges = store->edges_at(source, std::nullopt);
  // Breadth first over live edges, each relation listed once at its nearest depth.
  struct Hop {
    std::string fqn;
    int depth;
    std::string via;
  };
  std::vector<Hop> hops;
  std::vector<std::string> frontier{opts.fqn};
  std::set<std::string> seen{opts.fqn};
  for (int depth = 1; depth <= opts.depth && !frontier.empty(); ++depth) {
    std::vector<std::string> next;
    for (const auto& node : frontier) {
      for (const auto& e : edges) {
        const std::string& here = opts.upstream ? e.to : e.from;
        const std::string& there = opts.upstream ? e.from : e.to;
        if (here != node || !seen.insert(there).second) continue;
        hops.push_back({there, depth, e.kind});
        next.push_back(there);
      }
    }
    frontier = std::move(next);
  }
  if (opts.format == "json") {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartArray();
    for (const auto& h : hops) {
      w.StartObject();
      json_key(w, "fqn");
      json_string(w, h.fqn);
      json_key(w, "depth");
      w.Int(h.depth);
      json_key(w, "kind");
      json_string(w, h.via);
      w.EndObject();
    }
    w.EndArray();
    print_json(buf);
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& h : hops) rows.push_back({std::to_string(h.depth), h.via, h.fqn});
  print_table({"DEPTH", "KIND", "FQN"}, rows);
  return 0;
}

int run_verify(Context& ctx) {
  auto store = catalog::open_store(ctx.catalog_url());
  auto problems = store->verify();
  for (const auto& p : problems) std::printf("%s\n", p.c_str());
  if (!problems.empty()) {
    core::throw_runtime(
        fmt::format("catalog {}: {} invariant violations", store->describe(), problems.size()));
  }
  std::printf("%s: ok\n", store->describe().c_str());
  return 0;
}

int run_stats(Context& ctx, const std::string& format) {
  auto store = catalog::open_store(ctx.catalog_url());
  auto counts = store->table_counts();
  if (format == "json") {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    for (const auto& [table, n] : counts) {
      json_key(w, table);
      w.Int64(n);
    }
    w.EndObject();
    print_json(buf);
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& [table, n] : counts) rows.push_back({table, std::to_string(n)});
  print_table({"TABLE", "ROWS"}, rows);
  return 0;
}

struct MigrateOptions {
  std::string to;
  std::string format = "text";
};

// Copies every row of the current catalog into an empty one, table by table
// in the portable row form, then checks the target row for row.
int run_migrate(const MigrateOptions& opts, Context& ctx) {
  auto from = catalog::open_store(ctx.catalog_url());
  auto to = catalog::open_store(opts.to);
  if (from->describe() == to->describe()) {
    core::throw_usage("catalog migrate: --to names the current catalog",
                      "name another, empty catalog");
  }
  const auto started = std::chrono::steady_clock::now();
  // Rows counted as they pass: the source's snapshot, whatever commits later.
  std::map<std::string, std::int64_t, std::less<>> exported;
  for (const auto& table : catalog::catalog_tables()) exported[std::string(table.name)] = 0;
  to->import_rows([&](const catalog::RawRowSink& sink) {
    from->export_rows([&](std::string_view table, const catalog::RawRow& row) {
      ++exported.find(table)->second;
      sink(table, row);
    });
  });
  const auto target_counts = to->table_counts();
  std::vector<std::string> problems;
  for (const auto& [table, n] : exported) {
    std::int64_t copied = -1;
    for (const auto& [t, m] : target_counts) {
      if (t == table) copied = m;
    }
    if (copied != n) {
      problems.push_back(fmt::format("{}: {} rows in {}, {} in {}", table, n, from->describe(),
                                     copied, to->describe()));
    }
  }
  for (auto& p : to->verify()) problems.push_back(std::move(p));
  const auto duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - started)
                               .count();
  if (opts.format == "json") {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    json_key(w, "from");
    json_string(w, from->describe());
    json_key(w, "to");
    json_string(w, to->describe());
    json_key(w, "tables");
    w.StartObject();
    for (const auto& [table, n] : target_counts) {
      json_key(w, table);
      w.Int64(n);
    }
    w.EndObject();
    json_key(w, "verified");
    w.Bool(problems.empty());
    json_key(w, "problems");
    w.StartArray();
    for (const auto& p : problems) json_string(w, p);
    w.EndArray();
    json_key(w, "duration_ms");
    w.Int64(duration_ms);
    w.EndObject();
    print_json(buf);
  } else {
    std::printf("copied %s -> %s\n", from->describe().c_str(), to->describe().c_str());
    std::vector<std::vector<std::string>> rows;
    for (const auto& [table, n] : target_counts) rows.push_back({table, std::to_string(n)});
    print_table({"TABLE", "ROWS"}, rows);
    for (const auto& p : problems) std::printf("%s\n", p.c_str());
  }
  if (!problems.empty()) {
    core::throw_runtime(fmt::format("catalog migrate: the copy in {} does not match ({} problems)",
                                    to->describe(), problems.size()),
                        "the source catalog is unchanged; drop the target and try again");
  }
  return 0;
}

}  // namespace

void add_catalog_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("catalog",
                                 "Read the catalog: show, search, lineage, stats, verify, migrate");
  cmd->require_subcommand(1);

  auto show = std::make_shared<ShowOptions>();
  auto* show_cmd = cmd->add_subcommand("show", "An entity as the catalog holds it (JSON)");
  show_cmd->add_option("fqn", show->fqn, "The entity's FQN, e.g. shop.main.orders")->required();
  show_cmd
      ->add_option("--at", show->at, "As of a run (ID or run:ID) or a time (@2026-11-01T00:00Z)")
      ->type_name("RUN|TIME");
  show_cmd->callback([show, &ctx] { ctx.action = [show, &ctx] { return run_show(*show, ctx); }; });

  auto search = std::make_shared<SearchOptions>();
  auto* search_cmd =
      cmd->add_subcommand("search", "Find live entities by name, FQN or comment (full text)");
  search_cmd->add_option("text", search->text, "Words to find (each as a prefix)")->required();
  search_cmd->add_option("--limit", search->limit, "At most N results")->check(CLI::PositiveNumber);
  search_cmd->add_option("--format", search->format, "A table or JSON")
      ->check(CLI::IsMember({"text", "json"}));
  search_cmd->callback(
      [search, &ctx] { ctx.action = [search, &ctx] { return run_search(*search, ctx); }; });

  auto lineage = std::make_shared<LineageOptions>();
  auto* lineage_cmd =
      cmd->add_subcommand("lineage", "What a relation reads from or what reads from it");
  lineage_cmd->add_option("fqn", lineage->fqn, "A table or view FQN")->required();
  lineage_cmd->add_flag("--upstream", lineage->upstream, "What it reads from");
  lineage_cmd->add_flag("--downstream", lineage->downstream, "What reads from it");
  lineage_cmd->add_option("--depth", lineage->depth, "How many hops (default 1)")
      ->check(CLI::PositiveNumber);
  lineage_cmd->add_option("--format", lineage->format, "A table or JSON")
      ->check(CLI::IsMember({"text", "json"}));
  lineage_cmd->callback(
      [lineage, &ctx] { ctx.action = [lineage, &ctx] { return run_lineage(*lineage, ctx); }; });

  auto* verify_cmd = cmd->add_subcommand(
      "verify", "Check the catalog's invariants; exit 1 listing the violations");
  verify_cmd->callback([&ctx] { ctx.action = [&ctx] { return run_verify(ctx); }; });

  auto migrate = std::make_shared<MigrateOptions>();
  auto* migrate_cmd = cmd->add_subcommand(
      "migrate", "Copy the whole catalog with its history into an empty catalog, then verify it");
  migrate_cmd->add_option("--to", migrate->to, "The target catalog (sqlite:///… or postgresql://…)")
      ->required()
      ->type_name("URL");
  migrate_cmd->add_option("--format", migrate->format, "A summary table or JSON")
      ->check(CLI::IsMember({"text", "json"}));
  migrate_cmd->callback(
      [migrate, &ctx] { ctx.action = [migrate, &ctx] { return run_migrate(*migrate, ctx); }; });

  auto format = std::make_shared<std::string>("text");
  auto* stats_cmd = cmd->add_subcommand("stats", "Row counts of the catalog's tables");
  stats_cmd->add_option("--format", *format, "A table or JSON")
      ->check(CLI::IsMember({"text", "json"}));
  stats_cmd->callback(
      [format, &ctx] { ctx.action = [format, &ctx] { return run_stats(ctx, *format); }; });
}

}  // namespace connctl::cli
