// What only the PostgreSQL catalog store has to show: concurrency between
// sessions (threads here, each with its own store as each process has),
// migrations racing on a new catalog, runs whose database session is gone,
// and URLs whose password never shows. The behaviour both stores share is
// the parameterised suite in sync_test.cpp.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "catalog/migrations/postgres_migrations.hpp"
#include "catalog/postgres_store.hpp"
#include "catalog/store.hpp"
#include "catalog/sync.hpp"
#include "core/error.hpp"
#include "core/secrets.hpp"
#include "extractors/source.hpp"
#include "support/pg_server.hpp"
#include "support/test_support.hpp"

namespace connctl::catalog {
namespace {

using connctl::testing::create_sqlite_db;
using connctl::testing::PgServer;
using connctl::testing::TempDir;

int next_database_number() {
  static std::atomic<int> n{0};
  return ++n;
}

// A new, empty database of the test server, and its catalog URL.
class PgCatalogDb {
 public:
  PgCatalogDb()
      : m_name("pgstore_" + std::to_string(::getpid()) + "_" +
               std::to_string(next_database_number())) {
    PgServer::instance().exec("postgres", "CREATE DATABASE " + m_name);
  }
  const std::string& name() const { return m_name; }
  std::string url() const {
    auto& server = PgServer::instance();
    return "postgresql:///" + m_name + "?host=" + server.socket_dir().string() +
           "&port=" + std::to_string(server.port()) + "&user=postgres";
  }
  std::string value(const std::string& sql) const {
    return PgServer::instance().value(m_name, sql);
  }

 private:
  std::string m_name;
};

SyncSummary sync_sqlite_source(CatalogStore& store, const std::filesystem::path& db,
                               const std::string& name) {
  auto spec = extractors::resolve_source("sqlite://" + db.string(), nullptr);
  spec.name = name;
  auto request = extractors::request_from_settings(spec);
  SyncOptions options;
  options.run.source = name;
  Sync sync(store, options);
  core::CancelToken cancel;
  auto result = extractors::open_extractor(spec)->extract(request, sync, cancel);
  return sync.commit(result.completeness, {});
}

TEST(PostgresStoreTest, ConcurrentSyncsFromManySessionsAllCommitInSeqOrder) {
  TempDir dir;
  PgCatalogDb db;
  open_store(db.url());  // migrate once up front; the race has its own test
  constexpr int k_sources = 4;
  for (int i = 0; i < k_sources; ++i) {
    std::string sql;
    for (int t = 0; t < 30; ++t)
      sql += "CREATE TABLE t" + std::to_string(t) + " (id INTEGER PRIMARY KEY, v TEXT);";
    create_sqlite_db(dir / ("s" + std::to_string(i) + ".db"), sql);
  }
  std::vector<std::thread> threads;
  std::vector<std::string> errors(k_sources * 2);
  for (int i = 0; i < k_sources * 2; ++i) {
    // Two syncs of each source, each thread with its own store (session).
    threads.emplace_back([&, i] {
      try {
        auto store = open_store(db.url());
        const int source = i % k_sources;
        sync_sqlite_source(*store, dir / ("s" + std::to_string(source) + ".db"),
                           "s" + std::to_string(source));
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ("", e);
  auto store = open_store(db.url());
  RunQuery all;
  all.limit = 100;
  auto runs = store->runs(all);
  ASSERT_EQ(static_cast<std::size_t>(k_sources * 2), runs.size());
  for (const auto& r : runs) EXPECT_EQ(RunStatus::succeeded, r.status) << r.id << " " << r.error;
  EXPECT_EQ(std::to_string(k_sources * 2), db.value("SELECT count(DISTINCT seq) FROM runs"));
  EXPECT_EQ(std::to_string(k_sources * 2), db.value("SELECT max(seq) FROM runs"));
  // Each source: one sync added everything, the other found it unchanged.
  EXPECT_EQ(std::to_string(k_sources),
            db.value("SELECT count(*) FROM runs WHERE added = 0 AND unchanged > 0"));
  EXPECT_TRUE(store->verify().empty());
}

TEST(PostgresStoreTest, ProcessesOpeningANewCatalogAtOnceMigrateItOnce) {
  PgCatalogDb db;
  constexpr int k_openers = 6;
  std::vector<std::thread> threads;
  std::atomic<int> opened{0};
  std::vector<std::string> errors(k_openers);
  for (int i = 0; i < k_openers; ++i) {
    threads.emplace_back([&, i] {
      try {
        auto store = open_store(db.url());
        store->table_counts();
        ++opened;
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ("", e);
  EXPECT_EQ(k_openers, opened.load());
  EXPECT_EQ("1", db.value("SELECT count(*) FROM connctl_schema"));
  EXPECT_EQ(std::to_string(postgres_migrations().back().version),
            db.value("SELECT version FROM connctl_schema"));
  EXPECT_EQ("1", db.value("SELECT count(*) FROM pg_tables WHERE tablename = 'versions'"));
}

TEST(PostgresStoreTest, RunWhoseSessionIsGoneIsInterruptedThoughItsProcessLives) {
  PgCatalogDb db;
  auto owner = open_store(db.url());
  auto run_id = owner->start_run(RunStart{"shop", "", "manual", std::nullopt});
  // Another host's view: the run's process (this one) lives, but its session
  // is cut, as when a daemon's host loses the network or dies.
  EXPECT_EQ(RunStatus::running, open_store(db.url())->find_run(run_id)->status);
  PgServer::instance().exec(
      db.name(), "SELECT pg_terminate_backend(backend_pid) FROM runs WHERE id = " + run_id);
  auto other = open_store(db.url());
  auto run = other->find_run(run_id);
  ASSERT_TRUE(run);
  EXPECT_EQ(RunStatus::interrupted, run->status);
  EXPECT_TRUE(other->verify().empty());
}

TEST(PostgresStoreTest, VerifyReportsARunLeftOpenByAGoneSession) {
  PgCatalogDb db;
  auto store = open_store(db.url());
  auto run_id = store->start_run(RunStart{"shop", "", "manual", std::nullopt});
  EXPECT_TRUE(store->verify().empty());  // its own open run is fine
  // Cut its session: the run's lock goes with it.
  PgServer::instance().exec(
      db.name(), "SELECT pg_terminate_backend(backend_pid) FROM runs WHERE id = " + run_id);
  auto other = open_store(db.url());
  // Opening marked it interrupted; a run forced back to running is reported.
  PgServer::instance().exec(db.name(), "UPDATE runs SET status = 'running', finished_at = NULL");
  auto problems = other->verify();
  ASSERT_EQ(1u, problems.size());
  EXPECT_NE(problems[0].find("session that is gone"), std::string::npos) << problems[0];
}

TEST(PostgresStoreTest, DescribeHidesThePasswordInUserinfoAndParameters) {
  EXPECT_EQ("postgresql://cat@db.example:5432/catalog",
            strip_password("postgresql://cat:S3cret-pw@db.example:5432/catalog"));
  EXPECT_EQ("postgres://cat@h/c?sslmode=require",
            strip_password("postgres://cat@h/c?password=Other-pw1&sslmode=require"));
  EXPECT_EQ("postgresql://h/c", strip_password("postgresql://h/c"));
  // The password, as written and decoded, is registered for redaction.
  strip_password("postgresql://u:Pct%21pw9@h/c");
  EXPECT_EQ("x *** y", core::redact("x Pct!pw9 y"));

  PgCatalogDb db;
  const std::string password = "Catalog-Pw-77f1";
  PgServer::instance().exec("postgres", "CREATE ROLE " + db.name() + "_owner LOGIN PASSWORD '" +
                                            password + "'; ALTER DATABASE " + db.name() +
                                            " OWNER TO " + db.name() + "_owner");
  const std::string url = "postgresql://" + db.name() + "_owner:" + password +
                          "@127.0.0.1:" + std::to_string(PgServer::instance().port()) + "/" +
                          db.name() + "?sslmode=disable";
  auto store = open_store(url);
  EXPECT_EQ(std::string::npos, store->describe().find(password)) << store->describe();
  EXPECT_NE(std::string::npos, store->describe().find(db.name() + "_owner@127.0.0.1"));
  try {
    open_store("postgresql://" + db.name() + "_owner:Wrong-Pw-1234@127.0.0.1:" +
               std::to_string(PgServer::instance().port()) + "/" + db.name() + "?sslmode=disable");
    FAIL() << "a wrong password was accepted";
  } catch (const core::Error& e) {
    EXPECT_EQ(core::ExitCode::connection, e.code());
    EXPECT_EQ(std::string::npos, std::string(e.what()).find("Wrong-Pw-1234")) << e.what();
  }
}

TEST(PostgresStoreTest, AnUnreachableServerIsAConnectionError) {
  try {
    open_store("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2");
    FAIL() << "opened a catalog on port 1";
  } catch (const core::Error& e) {
    EXPECT_EQ(core::ExitCode::connection, e.code());
  }
}

}  // namespace
}  // namespace connctl::catalog
