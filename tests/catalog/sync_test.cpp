// The catalog store and the sync engine, against real SQLite extraction of
// real SQLite databases. The suite is parameterised over a store factory so
// that the PostgreSQL store runs the same tests when it lands.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <cctype>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "catalog/migrations/sqlite_migrations.hpp"
#include "catalog/store.hpp"
#include "catalog/sync.hpp"
#include "core/error.hpp"
#include "extractors/source.hpp"
#include "schema/fqn.hpp"
#include "support/pg_server.hpp"
#include "support/test_support.hpp"

namespace connctl::catalog {
namespace {

using connctl::testing::create_sqlite_db;
using connctl::testing::PgServer;
using connctl::testing::TempDir;

struct StoreFactory {
  std::string name;
  // Opens (or reopens) the store kept under `dir`.
  std::function<std::unique_ptr<CatalogStore>(const std::filesystem::path& dir)> open;
  // Runs raw SQL on the store's database, to break invariants on purpose.
  std::function<void(const std::filesystem::path& dir, const std::string& sql)> exec;
  // Sets the schema version the catalog claims (PRAGMA user_version, connctl_schema).
  std::function<void(const std::filesystem::path& dir, int version)> set_schema_version;
};

const StoreFactory k_sqlite_factory{
    "sqlite",
    [](const std::filesystem::path& dir) {
      return open_store("sqlite://" + (dir / "cat.db").string());
    },
    [](const std::filesystem::path& dir, const std::string& sql) {
      SQLite::Database db((dir / "cat.db").string(), SQLite::OPEN_READWRITE);
      db.exec(sql);
    },
    [](const std::filesystem::path& dir, int version) {
      SQLite::Database db((dir / "cat.db").string(), SQLite::OPEN_READWRITE);
      db.exec("PRAGMA user_version = " + std::to_string(version));
    }};

// A PostgreSQL catalog: one database of the test server per test directory.
std::string pg_database_for(const std::filesystem::path& dir) {
  std::string name = "cat_";
  for (char c : dir.filename().string()) {
    if (std::isalnum(static_cast<unsigned char>(c))) name += static_cast<char>(std::tolower(c));
  }
  auto& server = PgServer::instance();
  if (server.value("postgres", "SELECT count(*) FROM pg_database WHERE datname = '" + name + "'") ==
      "0") {
    server.exec("postgres", "CREATE DATABASE " + name);
  }
  return name;
}

std::string pg_catalog_url(const std::filesystem::path& dir) {
  auto& server = PgServer::instance();
  return "postgresql:///" + pg_database_for(dir) + "?host=" + server.socket_dir().string() +
         "&port=" + std::to_string(server.port()) + "&user=postgres";
}

const StoreFactory k_postgres_factory{
    "postgres", [](const std::filesystem::path& dir) { return open_store(pg_catalog_url(dir)); },
    [](const std::filesystem::path& dir, const std::string& sql) {
      PgServer::instance().exec(pg_database_for(dir), sql);
    },
    [](const std::filesystem::path& dir, int version) {
      PgServer::instance().exec(pg_database_for(dir),
                                "UPDATE connctl_schema SET version = " + std::to_string(version));
    }};

constexpr const char* k_base_schema = R"sql(
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id),
                     total REAL);
CREATE TABLE products (id INTEGER PRIMARY KEY, title TEXT, price REAL);
CREATE TABLE suppliers (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE audit (id INTEGER PRIMARY KEY, at TEXT);
CREATE INDEX orders_by_customer ON orders(customer_id);
CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100;
)sql";

class CatalogSyncTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    m_source = m_dir / "shop.db";
    create_sqlite_db(m_source, k_base_schema);
    m_store = GetParam().open(m_dir.path());
  }

  SyncSummary sync(const std::vector<std::string>& excludes = {}, bool allow_mass_delete = false) {
    auto spec = extractors::resolve_source("sqlite://" + m_source.string(), nullptr);
    spec.name = "shop";
    auto request = extractors::request_from_settings(spec);
    for (const auto& e : excludes) request.filter.exclude(e);
    auto extractor = extractors::open_extractor(spec);
    SyncOptions options;
    options.run.source = "shop";
    options.allow_mass_delete = allow_mass_delete;
    Sync sync(*m_store, options);
    core::CancelToken cancel;
    auto result = extractor->extract(request, sync, cancel);
    auto filter = request.filter;
    return sync.commit(result.completeness, [filter](const std::vector<std::string>& path) {
      return filter.matches(path);
    });
  }

  void change_source(const std::string& sql) { create_sqlite_db(m_source, sql); }

  std::int64_t count(const std::string& table) {
    for (const auto& [name, n] : m_store->table_counts()) {
      if (name == table) return n;
    }
    return -1;
  }

  const StoredEntity* find(const std::vector<StoredEntity>& entities, const std::string& fqn) {
    for (const auto& e : entities) {
      if (e.fqn == fqn) return &e;
    }
    return nullptr;
  }

  TempDir m_dir;
  std::filesystem::path m_source;
  std::unique_ptr<CatalogStore> m_store;
};

TEST_P(CatalogSyncTest, FirstSyncAddsEveryEntityAsOneVersion) {
  auto s = sync();
  EXPECT_EQ(RunStatus::succeeded, s.status);
  EXPECT_GT(s.counts.added, 20);
  EXPECT_EQ(0, s.counts.changed);
  EXPECT_EQ(0, s.counts.removed);
  EXPECT_EQ(s.counts.added, count("versions"));
  EXPECT_EQ(s.counts.added, count("entities"));
  EXPECT_EQ(1, count("lineage"));
  EXPECT_TRUE(m_store->verify().empty());
}

TEST_P(CatalogSyncTest, NoChangeResyncWritesOnlyTheRunRow) {
  auto first = sync();
  const auto versions = count("versions");
  const auto lineage = count("lineage");
  auto second = sync();
  EXPECT_EQ(0, second.counts.added);
  EXPECT_EQ(0, second.counts.changed);
  EXPECT_EQ(0, second.counts.removed);
  EXPECT_EQ(first.counts.added, second.counts.unchanged);
  EXPECT_EQ(versions, count("versions"));
  EXPECT_EQ(lineage, count("lineage"));
  EXPECT_EQ(2, count("runs"));
}

TEST_P(CatalogSyncTest, ChangesAreRecordedExactly) {
  sync();
  change_source(
      "ALTER TABLE customers ADD COLUMN phone TEXT;"
      "CREATE TABLE shipments (id INTEGER PRIMARY KEY);");
  auto s = sync();
  // phone; shipments, its id column and its primary key; customers' body changed.
  EXPECT_EQ(4, s.counts.added);
  EXPECT_EQ(1, s.counts.changed);
  EXPECT_EQ(0, s.counts.removed);
  auto live = m_store->entities_at("shop", std::nullopt);
  EXPECT_NE(nullptr, find(live, "shop.main.customers.phone"));
  EXPECT_NE(nullptr, find(live, "shop.main.shipments"));
  EXPECT_TRUE(m_store->verify().empty());
}

TEST_P(CatalogSyncTest, DroppedTableIsRemovedAndEarlierRunStillShowsIt) {
  auto first = sync();
  change_source("DROP TABLE audit;");
  auto s = sync();
  EXPECT_EQ(4, s.counts.removed);  // the table, its two columns and its primary key
  auto live = m_store->entities_at("shop", std::nullopt);
  EXPECT_EQ(nullptr, find(live, "shop.main.audit"));
  auto before = m_store->entities_at("shop", first.run_id);
  EXPECT_NE(nullptr, find(before, "shop.main.audit"));
  EXPECT_NE(nullptr, find(before, "shop.main.audit.at"));
  auto history = m_store->versions_of("shop.main.audit");
  ASSERT_EQ(1u, history.size());
  EXPECT_EQ(s.run_id, history[0].valid_to_run.value_or(""));
  EXPECT_TRUE(m_store->verify().empty());
}

TEST_P(CatalogSyncTest, ExcludedTableIsNotRemoved) {
  sync();
  auto s = sync({"main.audit"});
  EXPECT_EQ(0, s.counts.removed);
  EXPECT_NE(nullptr, find(m_store->entities_at("shop", std::nullopt), "shop.main.audit"));
}

TEST_P(CatalogSyncTest, MassDeleteIsRefusedAndWritesOnlyTheFailedRun) {
  auto first = sync();
  const auto versions = count("versions");
  change_source("DROP VIEW big_orders; DROP TABLE orders; DROP TABLE products; DROP TABLE audit;");
  try {
    sync();
    FAIL() << "the mass delete was not refused";
  } catch (const core::Error& e) {
    EXPECT_EQ(core::ExitCode::runtime, e.code());
    EXPECT_NE(std::string(e.what()).find("refusing to remove"), std::string::npos) << e.what();
  }
  EXPECT_EQ(versions, count("versions"));
  auto runs = m_store->runs({});
  ASSERT_EQ(2u, runs.size());
  EXPECT_EQ(RunStatus::failed, runs[0].status);
  EXPECT_EQ(m_store->entities_at("shop", std::nullopt).size(),
            m_store->entities_at("shop", first.run_id).size());

  auto allowed = sync({}, true);
  EXPECT_GT(allowed.counts.removed, 0);
  EXPECT_EQ(nullptr, find(m_store->entities_at("shop", std::nullopt), "shop.main.orders"));
}

TEST_P(CatalogSyncTest, DroppedViewClosesItsLineageEdge) {
  auto first = sync();
  change_source("DROP VIEW big_orders;");
  sync();
  EXPECT_TRUE(m_store->edges_at("shop", std::nullopt).empty());
  EXPECT_EQ(1u, m_store->edges_at("shop", first.run_id).size());
}

TEST_P(CatalogSyncTest, RunLeftRunningByADeadProcessIsInterruptedOnOpen) {
  sync();
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  auto run_id = m_store->start_run(RunStart{"shop", "", "manual", std::nullopt});
  m_store.reset();
  GetParam().exec(m_dir.path(),
                  "UPDATE runs SET pid = " + std::to_string(child) + " WHERE id = " + run_id);
  m_store = GetParam().open(m_dir.path());
  auto run = m_store->find_run(run_id);
  ASSERT_TRUE(run);
  EXPECT_EQ(RunStatus::interrupted, run->status);
  EXPECT_TRUE(m_store->verify().empty());
}

TEST_P(CatalogSyncTest, RunOfALiveProcessStaysRunning) {
  auto run_id = m_store->start_run(RunStart{"shop", "", "manual", std::nullopt});
  m_store = GetParam().open(m_dir.path());
  EXPECT_EQ(RunStatus::running, m_store->find_run(run_id)->status);
}

TEST_P(CatalogSyncTest, VerifyReportsOverlappingVersions) {
  sync();
  m_store.reset();
  GetParam().exec(m_dir.path(),
                  "DROP INDEX versions_live;"
                  "INSERT INTO versions SELECT entity, valid_from_run, NULL, valid_from_seq + 1, "
                  "NULL, fingerprint, body FROM versions LIMIT 1;");
  m_store = GetParam().open(m_dir.path());
  auto problems = m_store->verify();
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(problems[0].find("overlap"), std::string::npos) << problems[0];
}

TEST_P(CatalogSyncTest, HistoryIsNewestFirstAndFilteredByStatus) {
  sync();
  auto failed = m_store->start_run(RunStart{"shop", "", "manual", std::nullopt});
  m_store->finish_run(failed, RunStatus::failed, "unreachable");
  sync();
  auto runs = m_store->runs({});
  ASSERT_EQ(3u, runs.size());
  EXPECT_EQ("3", runs[0].id);
  EXPECT_EQ("1", runs[2].id);
  RunQuery only_failed;
  only_failed.status = RunStatus::failed;
  auto f = m_store->runs(only_failed);
  ASSERT_EQ(1u, f.size());
  EXPECT_EQ("unreachable", f[0].error);
}

TEST_P(CatalogSyncTest, TimedOutRunIsRecordedAndListedByStatus) {
  auto run_id = m_store->start_run(RunStart{"shop", "nightly", "schedule", "2026-11-22T03:00:00Z"});
  m_store->finish_run(run_id, RunStatus::timed_out, "timed out after 30 s");
  RunQuery query;
  query.status = RunStatus::timed_out;
  auto runs = m_store->runs(query);
  ASSERT_EQ(1u, runs.size());
  EXPECT_EQ("nightly", runs[0].job);
  EXPECT_EQ("schedule", runs[0].trigger);
  EXPECT_EQ("2026-11-22T03:00:00Z", runs[0].scheduled_for.value_or(""));
  EXPECT_TRUE(runs[0].finished_at.has_value());
  EXPECT_TRUE(m_store->verify().empty());
}

TEST_P(CatalogSyncTest, AnUnchangedSignatureRecordsARunWithoutExtractingAndTimeTravelStillWorks) {
  auto spec = extractors::resolve_source("sqlite://" + m_source.string(), nullptr);
  spec.name = "shop";
  auto request = extractors::request_from_settings(spec);
  core::CancelToken cancel;
  SyncOptions options;
  options.run.source = "shop";

  Sync first(*m_store, options);
  EXPECT_FALSE(first.use_signature("sig-1")) << "no run has this signature yet";
  auto result = extractors::open_extractor(spec)->extract(request, first, cancel);
  const auto one = first.commit(result.completeness, {});
  EXPECT_EQ("sig-1", m_store->find_run(one.run_id)->signature.value_or(""));
  const auto versions = count("versions");

  Sync second(*m_store, options);
  ASSERT_TRUE(second.use_signature("sig-1"));
  const auto two = second.commit_unchanged();
  EXPECT_EQ(RunStatus::succeeded, two.status);
  EXPECT_EQ(one.counts.added, two.counts.unchanged);
  EXPECT_EQ(0, two.counts.added + two.counts.changed + two.counts.removed);
  EXPECT_EQ(versions, count("versions"));
  EXPECT_EQ(m_store->entities_at("shop", one.run_id).size(),
            m_store->entities_at("shop", two.run_id).size());
  EXPECT_EQ(two.run_id, m_store->last_committed_run("shop", std::nullopt)->id);
  EXPECT_TRUE(m_store->verify().empty());

  Sync third(*m_store, options);
  EXPECT_FALSE(third.use_signature("sig-2")) << "another signature means extracting";
  third.abandon(RunStatus::failed, "not run");
}

TEST_P(CatalogSyncTest, CatalogNewerThanTheBinaryIsRefused) {
  m_store.reset();
  GetParam().set_schema_version(m_dir.path(), 999);
  try {
    GetParam().open(m_dir.path());
    FAIL() << "a newer catalog was opened";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("newer than this connctl"), std::string::npos);
  }
}

TEST_P(CatalogSyncTest, OverlappingSyncsOfOneSourceCommitInOrderWithoutOverlappingVersions) {
  const auto first = sync();
  // Run A starts first and stages the old state; run B starts later, sees a
  // change and commits first; A commits last and so is the newer state.
  auto spec = extractors::resolve_source("sqlite://" + m_source.string(), nullptr);
  spec.name = "shop";
  auto request = extractors::request_from_settings(spec);
  core::CancelToken cancel;
  auto other = GetParam().open(m_dir.path());
  SyncOptions options;
  options.run.source = "shop";
  Sync a(*m_store, options);
  auto a_result = extractors::open_extractor(spec)->extract(request, a, cancel);
  change_source("ALTER TABLE suppliers ADD COLUMN country TEXT;");
  Sync b(*other, options);
  auto b_result = extractors::open_extractor(spec)->extract(request, b, cancel);
  auto b_summary = b.commit(b_result.completeness, {});
  EXPECT_EQ(1, b_summary.counts.added);
  auto a_summary = a.commit(a_result.completeness, {});
  EXPECT_EQ(1, a_summary.counts.removed);  // A did not see the new column
  EXPECT_TRUE(m_store->verify().empty());
  EXPECT_NE(nullptr,
            find(m_store->entities_at("shop", b_summary.run_id), "shop.main.suppliers.country"));
  EXPECT_EQ(nullptr,
            find(m_store->entities_at("shop", a_summary.run_id), "shop.main.suppliers.country"));
  // A staged the table unchanged from the first run (a store may keep only its
  // fingerprint); B changed it in between; A's state is the first run's again.
  const auto first_state = m_store->entities_at("shop", first.run_id);
  const auto a_state = m_store->entities_at("shop", a_summary.run_id);
  const auto* before = find(first_state, "shop.main.suppliers");
  const auto* after = find(a_state, "shop.main.suppliers");
  ASSERT_NE(nullptr, before);
  ASSERT_NE(nullptr, after);
  EXPECT_EQ(before->body, after->body);
  EXPECT_EQ(before->fingerprint, after->fingerprint);
  EXPECT_EQ(a_summary.run_id, after->valid_from_run);
}

// Entities handed to the sink directly: what the stores do with an id staged
// twice and with observations of an entity whose body did not change.
schema::Entity made_table(const std::string& comment, std::optional<std::int64_t> rows) {
  schema::EntityBuilder b("made", schema::EntityKind::table, schema::Fqn::parse("made.main.t"));
  b.set("comment", schema::Value(comment));
  if (rows) b.observe("row_count", schema::Value(*rows));
  return b.build();
}

SyncSummary sync_entities(CatalogStore& store, const std::vector<schema::Entity>& entities) {
  SyncOptions options;
  options.run.source = "made";
  Sync sync(store, options);
  for (const auto& e : entities) sync.on_entity(e);
  return sync.commit({}, {});
}

TEST_P(CatalogSyncTest, AnIdStagedTwiceKeepsTheLastStagedRow) {
  auto first =
      sync_entities(*m_store, {made_table("one", std::nullopt), made_table("two", std::nullopt)});
  EXPECT_EQ(1, first.counts.added);
  auto live = m_store->entities_at("made", std::nullopt);
  ASSERT_EQ(1u, live.size());
  EXPECT_NE(std::string::npos, live[0].body.find("two"));
  // Changed, then unchanged again within one run: the last row says unchanged.
  auto second =
      sync_entities(*m_store, {made_table("three", std::nullopt), made_table("two", std::nullopt)});
  EXPECT_EQ(0, second.counts.changed);
  EXPECT_EQ(1, second.counts.unchanged);
  EXPECT_EQ(1, count("versions"));
  // Unchanged, then changed: the last row says changed.
  auto third =
      sync_entities(*m_store, {made_table("two", std::nullopt), made_table("four", std::nullopt)});
  EXPECT_EQ(1, third.counts.changed);
  EXPECT_EQ(0, third.counts.unchanged);
  EXPECT_EQ(2, count("versions"));
  // Unchanged twice: counted once.
  auto fourth =
      sync_entities(*m_store, {made_table("four", std::nullopt), made_table("four", std::nullopt)});
  EXPECT_EQ(1, fourth.counts.unchanged);
  EXPECT_EQ(0, fourth.counts.changed + fourth.counts.added);
  EXPECT_TRUE(m_store->verify().empty());
}

TEST_P(CatalogSyncTest, ObservationsOfAnUnchangedEntityAreRecordedEveryRun) {
  sync_entities(*m_store, {made_table("same", 5)});
  auto second = sync_entities(*m_store, {made_table("same", 7)});
  EXPECT_EQ(1, second.counts.unchanged);
  EXPECT_EQ(1, count("versions"));
  EXPECT_EQ(2, count("observations"));
  std::vector<std::string> bodies;
  m_store->export_rows([&](std::string_view table, const RawRow& row) {
    if (table == "observations") bodies.push_back(row[2].value_or(""));
  });
  ASSERT_EQ(2u, bodies.size());
  EXPECT_NE(std::string::npos, bodies[1].find('7')) << bodies[1];
}

TEST_P(CatalogSyncTest, SearchFindsLiveEntitiesByNameAndForgetsRemovedOnes) {
  sync();
  auto found = m_store->search("suppl", 10);
  ASSERT_FALSE(found.empty());
  EXPECT_NE(nullptr, find(found, "shop.main.suppliers"));
  EXPECT_NE(nullptr, find(m_store->search("audit", 10), "shop.main.audit"));
  change_source("DROP TABLE audit;");
  sync();
  EXPECT_EQ(nullptr, find(m_store->search("audit", 10), "shop.main.audit"));
  // FTS syntax is never passed through: punctuation alone finds nothing and does not throw.
  EXPECT_TRUE(m_store->search("\"*( ) -", 10).empty());
  // Punctuation separates words, each a prefix that must match.
  EXPECT_NE(nullptr, find(m_store->search("main:suppl'*", 10), "shop.main.suppliers"));
  EXPECT_EQ(nullptr, find(m_store->search("main:suppl'*zzz", 10), "shop.main.suppliers"));
}

// --- fire claims: several daemons on one catalog --------------------------

constexpr std::chrono::milliseconds k_long_lease{60'000};
constexpr std::chrono::milliseconds k_short_lease{1};

FireClaim fire_claim(const std::string& daemon_id) {
  return FireClaim{"nightly", "2026-11-22T03:00:00.000Z", daemon_id};
}

RunStart claimed_run(const std::string& daemon_id) {
  RunStart start{"shop", "nightly", "schedule", "2026-11-22T03:00:00.000Z"};
  start.claimed_by = daemon_id;
  return start;
}

void outlive_short_lease() {
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

TEST_P(CatalogSyncTest, AFireIsClaimedOnceAndADoneFireIsNeverClaimedAgain) {
  auto other = GetParam().open(m_dir.path());
  auto won = m_store->claim_fire(fire_claim("a"), k_long_lease);
  EXPECT_EQ(ClaimResult::won, won.result);
  auto held = other->claim_fire(fire_claim("b"), k_long_lease);
  EXPECT_EQ(ClaimResult::held, held.result);
  EXPECT_EQ("a", held.holder);
  // A retry of the holder's own fire keeps the claim.
  EXPECT_EQ(ClaimResult::own, m_store->claim_fire(fire_claim("a"), k_long_lease).result);
  // Another fire of the job, or the same instant of another job, is a claim of its own.
  EXPECT_EQ(ClaimResult::won,
            other->claim_fire({"nightly", "2026-11-22T04:00:00.000Z", "b"}, k_long_lease).result);
  EXPECT_EQ(ClaimResult::won,
            other->claim_fire({"hourly", "2026-11-22T03:00:00.000Z", "b"}, k_long_lease).result);
  EXPECT_FALSE(other->renew_claim(fire_claim("b"), k_long_lease));
  EXPECT_TRUE(m_store->renew_claim(fire_claim("a"), k_long_lease));
  m_store->end_claim(fire_claim("a"), true);
  EXPECT_FALSE(m_store->renew_claim(fire_claim("a"), k_long_lease));
  EXPECT_EQ(ClaimResult::done, other->claim_fire(fire_claim("b"), k_short_lease).result);
  EXPECT_EQ(ClaimResult::done, m_store->claim_fire(fire_claim("a"), k_short_lease).result);
  EXPECT_TRUE(other->expired_claims(10).empty());
}

TEST_P(CatalogSyncTest, AnExpiredLeaseIsTakenOverOnlyOnceItsRunsProcessIsGone) {
  auto taker = GetParam().open(m_dir.path());
  ASSERT_EQ(ClaimResult::won, m_store->claim_fire(fire_claim("a"), k_short_lease).result);
  const std::string run_id = m_store->start_run(claimed_run("a"));
  outlive_short_lease();
  auto expired = taker->expired_claims(10);
  ASSERT_EQ(1u, expired.size());
  EXPECT_EQ("nightly", expired[0].job);
  EXPECT_EQ("a", expired[0].daemon_id);
  // The lease ran out, but the run's process (and its database session) lives.
  EXPECT_EQ(ClaimResult::held, taker->claim_fire(fire_claim("b"), k_long_lease).result);
  EXPECT_EQ(RunStatus::running, taker->find_run(run_id)->status);

  // The holder dies: its process is gone, and with it its session.
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  GetParam().exec(m_dir.path(),
                  "UPDATE runs SET pid = " + std::to_string(child) + " WHERE id = " + run_id);
  m_store.reset();
  ClaimOutcome taken;
  for (int i = 0; i < 100; ++i) {  // PostgreSQL ends the closed session's backend in a moment
    taken = taker->claim_fire(fire_claim("b"), k_long_lease);
    if (taken.result != ClaimResult::held) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(ClaimResult::taken_over, taken.result);
  EXPECT_EQ("a", taken.holder);
  EXPECT_EQ(run_id, taken.previous_run.value_or(""));
  auto dead_run = taker->find_run(run_id);
  EXPECT_EQ(RunStatus::interrupted, dead_run->status);
  EXPECT_TRUE(taker->expired_claims(10).empty());

  // The old holder, back, has lost the claim and cannot record a run under it.
  m_store = GetParam().open(m_dir.path());
  EXPECT_FALSE(m_store->renew_claim(fire_claim("a"), k_long_lease));
  EXPECT_EQ(ClaimResult::held, m_store->claim_fire(fire_claim("a"), k_long_lease).result);
  EXPECT_THROW(m_store->start_run(claimed_run("a")), core::Error);
  EXPECT_EQ(1u, m_store->runs(RunQuery{}).size());

  const std::string second = taker->start_run(claimed_run("b"));
  taker->finish_run(second, RunStatus::succeeded, "");
  taker->end_claim(fire_claim("b"), true);
  EXPECT_EQ(ClaimResult::done, m_store->claim_fire(fire_claim("a"), k_long_lease).result);
  EXPECT_TRUE(m_store->verify().empty());
}

TEST_P(CatalogSyncTest, AnExpiredClaimWhoseRunSucceededIsDoneNotRunAgain) {
  auto taker = GetParam().open(m_dir.path());
  ASSERT_EQ(ClaimResult::won, m_store->claim_fire(fire_claim("a"), k_short_lease).result);
  const std::string run_id = m_store->start_run(claimed_run("a"));
  m_store->finish_run(run_id, RunStatus::succeeded, "");
  // The holder died after its run committed, before it marked the claim done.
  outlive_short_lease();
  EXPECT_EQ(ClaimResult::done, taker->claim_fire(fire_claim("b"), k_long_lease).result);
  EXPECT_EQ(RunStatus::succeeded, taker->find_run(run_id)->status);
  EXPECT_TRUE(taker->expired_claims(10).empty());
}

TEST_P(CatalogSyncTest, AReleasedClaimIsFreeAtOnceAndDoneClaimsArePruned) {
  auto other = GetParam().open(m_dir.path());
  ASSERT_EQ(ClaimResult::won, m_store->claim_fire(fire_claim("a"), k_long_lease).result);
  m_store->end_claim(fire_claim("a"), false);  // a shutdown cancelled its run
  outlive_short_lease();
  EXPECT_EQ(1u, other->expired_claims(10).size());
  EXPECT_EQ(ClaimResult::taken_over, other->claim_fire(fire_claim("b"), k_long_lease).result);

  // A daemon alone on its catalog (the SQLite flock) frees every other claim at start.
  ASSERT_EQ(ClaimResult::won,
            m_store->claim_fire({"hourly", "2026-11-22T03:00:00.000Z", "a"}, k_long_lease).result);
  EXPECT_TRUE(other->expired_claims(10).empty());
  other->expire_claims_except("b");
  outlive_short_lease();
  auto expired = other->expired_claims(10);
  ASSERT_EQ(1u, expired.size());
  EXPECT_EQ("hourly", expired[0].job);

  other->end_claim(fire_claim("b"), true);
  EXPECT_EQ(0, other->prune_claims(std::chrono::hours(1)));
  outlive_short_lease();
  EXPECT_EQ(1, other->prune_claims(std::chrono::milliseconds(0)));
  // Pruned, the fire could be claimed anew: pruning keeps a day in the daemon.
  EXPECT_EQ(ClaimResult::won, other->claim_fire(fire_claim("b"), k_long_lease).result);
}

INSTANTIATE_TEST_SUITE_P(Stores, CatalogSyncTest,
                         ::testing::Values(k_sqlite_factory, k_postgres_factory),
                         [](const auto& info) { return info.param.name; });

// Deletion safety without a catalog: what a run may remove.
// A catalog written by a binary that knew schema version 2 keeps every run,
// version and reference when version 3 rebuilds the runs table.
TEST(SqliteMigrationTest, Version2CatalogMigratesKeepingRunsAndReferences) {
  TempDir dir;
  const auto path = dir / "old.db";
  {
    SQLite::Database db(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    for (const auto& m : sqlite_migrations()) {
      if (m.version > 2) break;
      db.exec(std::string(m.sql));
    }
    db.exec("PRAGMA user_version = 2");
    db.exec(
        "INSERT INTO runs (source, trigger, started_at, finished_at, status, added, host, pid, "
        "seq) VALUES ('shop', 'manual', '2026-11-01T00:00:00Z', '2026-11-01T00:00:01Z', "
        "'succeeded', 1, 'h', 1, 1);"
        "INSERT INTO entities VALUES ('e1', 'shop', 'table', 'shop.main.t', 1);"
        "INSERT INTO versions VALUES ('e1', 1, NULL, 1, NULL, 'f', '{}');");
  }
  auto store = open_store("sqlite://" + path.string());
  auto run = store->find_run("1");
  ASSERT_TRUE(run);
  EXPECT_EQ(RunStatus::succeeded, run->status);
  EXPECT_EQ(1, run->added);
  EXPECT_EQ(1u, store->entities_at("shop", std::string("1")).size());
  EXPECT_TRUE(store->verify().empty());
  auto next = store->start_run(RunStart{"shop", "", "manual", std::nullopt});
  store->finish_run(next, RunStatus::timed_out, "timed out");
  EXPECT_EQ(RunStatus::timed_out, store->find_run(next)->status);
  store.reset();
  SQLite::Database db(path.string());
  EXPECT_EQ(sqlite_migrations().back().version, db.execAndGet("PRAGMA user_version").getInt());
  EXPECT_EQ(0, db.execAndGet("SELECT count(*) FROM pragma_foreign_key_check").getInt());
}

TEST(RemovableTest, OnlyInsideCompleteContainersInScopeAndNotBelowSkippedObjects) {
  std::vector<schema::ContainerStatus> complete{{"shop.main", schema::EntityKind::database, true},
                                                {"shop.aux", schema::EntityKind::database, false}};
  std::vector<schema::Warning> warnings{{"shop.main.broken", "cannot read", true},
                                        {"shop.main.noted", "a note", false}};
  ScopeFn all = [](const std::vector<std::string>&) { return true; };
  EXPECT_TRUE(removable("shop.main.orders", complete, warnings, all));
  EXPECT_TRUE(removable("shop.main.noted.col", complete, warnings, all));
  EXPECT_FALSE(removable("shop.aux.orders", complete, warnings, all));
  EXPECT_FALSE(removable("shop.main.broken", complete, warnings, all));
  EXPECT_FALSE(removable("shop.main.broken.id", complete, warnings, all));
  EXPECT_FALSE(removable("shop.other.t", complete, warnings, all));
  ScopeFn no_audit = [](const std::vector<std::string>& path) {
    return path.size() < 2 || path[1] != "audit";
  };
  EXPECT_FALSE(removable("shop.main.audit.id", complete, warnings, no_audit));
  EXPECT_TRUE(removable("shop.main.orders.id", complete, warnings, no_audit));
}

}  // namespace
}  // namespace connctl::catalog
