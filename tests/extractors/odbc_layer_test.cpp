// The ODBC layer (extractors/odbc/odbc.*) against real drivers: the SQLite3
// driver on a temporary file (block fetches, long values, NULLs, non-ASCII
// identifiers, parameters, catalog functions) and the PostgreSQL Unicode
// driver against the throwaway server (catalog functions, wrong password,
// cancellation of a running query).

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>

#include "core/cancel.hpp"
#include "core/error.hpp"
#include "core/secrets.hpp"
#include "extractors/odbc/odbc.hpp"
#include "support/pg_server.hpp"
#include "support/test_support.hpp"

namespace connctl::testing::odbc {
namespace {

using extractors::odbc::ConnectAttribute;
using extractors::odbc::Connection;
using extractors::odbc::ConnectOptions;
using extractors::odbc::OdbcError;
using extractors::odbc::Row;
using extractors::odbc::Statement;

ConnectOptions sqlite_options(const std::filesystem::path& file) {
  ConnectOptions o;
  o.driver = "SQLite3";
  o.attributes.push_back({"Database", file.string(), false});
  o.attributes.push_back({"SyncPragma", "off", false});
  o.read_only = false;
  return o;
}

ConnectOptions pg_options(const std::string& password = PgServer::k_reader_password) {
  PgServer& server = PgServer::instance();
  ConnectOptions o;
  o.driver = "PostgreSQL Unicode";
  o.attributes = {{"Server", "127.0.0.1", false},
                  {"Port", std::to_string(server.port()), false},
                  {"Database", PgServer::k_database, false},
                  {"UID", PgServer::k_reader, false},
                  {"PWD", password, true},
                  {"SSLmode", "disable", false}};
  return o;
}

TEST(OdbcConnectionString, BraceQuotesValuesThatNeedIt) {
  using extractors::odbc::quote_attribute_value;
  EXPECT_EQ(quote_attribute_value("plain"), "plain");
  EXPECT_EQ(quote_attribute_value("a;b"), "{a;b}");
  EXPECT_EQ(quote_attribute_value("x}y"), "{x}}y}");
  EXPECT_EQ(quote_attribute_value(" lead"), "{ lead}");
  ConnectOptions o;
  o.driver = "PostgreSQL Unicode";
  o.attributes = {{"UID", "me", false}, {"PWD", "p;w}d", true}};
  EXPECT_EQ(extractors::odbc::connection_string(o),
            "DRIVER={PostgreSQL Unicode};UID=me;PWD={p;w}}d}");
}

TEST(OdbcConnectionString, ScrubsPasswordsInText) {
  using extractors::odbc::scrub_connection_string;
  EXPECT_EQ(scrub_connection_string("DRIVER={X};UID=me;PWD={p;w}}d};PORT=1"),
            "DRIVER={X};UID=me;PWD=***;PORT=1");
  EXPECT_EQ(scrub_connection_string("dsn=a; password=hunter22"), "dsn=a; password=***");
  EXPECT_EQ(scrub_connection_string("the password was wrong"), "the password was wrong");
}

class OdbcSqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_options = sqlite_options(m_dir / "layer.db");
    Connection conn(m_options);
    Statement st = conn.statement();
    st.execute(
        R"(CREATE TABLE "größe" ("naïve_列" TEXT PRIMARY KEY, n INTEGER, note VARCHAR(10)))");
    st.execute(R"(CREATE TABLE child (id INTEGER PRIMARY KEY,
                  parent TEXT REFERENCES "größe"("naïve_列")))");
    st.execute("CREATE INDEX child_parent ON child(parent)");
    st.execute(R"(WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < 998)
                  INSERT INTO "größe" SELECT 'kéy-' || i, i,
                  CASE WHEN i % 3 = 0 THEN NULL ELSE 'n' || i END FROM c)");
    // The last row through parameters, NULL included.
    st.execute(R"(INSERT INTO "größe" VALUES (?, ?, ?))",
               {std::string("kéy-999"), std::int64_t{999}, nullptr});
  }

  TempDir m_dir;
  ConnectOptions m_options;
};

TEST_F(OdbcSqliteTest, FetchesEveryRowInBlocksWithNullsAndUtf8) {
  m_options.rowset_size = 64;
  Connection conn(m_options);
  Statement st = conn.statement();
  st.execute(R"(SELECT "naïve_列", n, note FROM "größe" ORDER BY n)");
  ASSERT_EQ(st.result_columns().size(), 3u);
  EXPECT_EQ(st.result_columns()[0].name, "naïve_列");
  std::int64_t expected = 0;
  while (const Row* row = st.next()) {
    EXPECT_EQ(row->str(0), "kéy-" + std::to_string(expected));
    EXPECT_EQ(row->integer(1), expected);
    if (expected % 3 == 0) {
      EXPECT_FALSE(row->get(2).has_value());
    } else {
      EXPECT_EQ(row->str(2), "n" + std::to_string(expected));
    }
    ++expected;
  }
  EXPECT_EQ(expected, 1000);
}

TEST_F(OdbcSqliteTest, ParametersSelectRows) {
  Connection conn(m_options);
  Statement st = conn.statement();
  st.execute(R"(SELECT n FROM "größe" WHERE "naïve_列" = ? OR n = ?)",
             {std::string("kéy-7"), std::int64_t{9}});
  std::set<std::string> got;
  st.for_each([&](const Row& row) { got.insert(row.str(0)); });
  EXPECT_EQ(got, (std::set<std::string>{"7", "9"}));
}

TEST_F(OdbcSqliteTest, LongValuesAreReadWholeInsideBlocks) {
  std::string long_text;
  for (int i = 0; i < 20000; ++i) long_text += "αβγ-" + std::to_string(i % 10);
  {
    Connection conn(m_options);
    Statement st = conn.statement();
    st.execute(R"(UPDATE "größe" SET note = ? WHERE n IN (5, 6, 700))", {long_text});
  }
  // A declared VARCHAR(10) holds 100k bytes (SQLite does not enforce the
  // length): read unbound with SQLGetData inside blocks by default, and with
  // SQLGetData after a truncated bound value when sizes are trusted (row by
  // row), and with every column unbound when the bound limit is tiny.
  struct Case {
    std::size_t max_bound;
    std::size_t rowset;
    std::optional<bool> trust;
  };
  for (Case c : {Case{4096, 32, std::nullopt}, Case{4096, 1, true}, Case{16, 32, true}}) {
    std::size_t max_bound = c.max_bound;
    m_options.max_bound_bytes = c.max_bound;
    m_options.rowset_size = c.rowset;
    m_options.trust_declared_sizes = c.trust;
    Connection conn(m_options);
    Statement st = conn.statement();
    st.execute(R"(SELECT n, note FROM "größe" ORDER BY n)");
    std::size_t rows = 0;
    while (const Row* row = st.next()) {
      std::int64_t n = *row->integer(0);
      if (n == 5 || n == 6 || n == 700) {
        EXPECT_TRUE(row->view(1) == long_text) << "row " << n << " max_bound " << max_bound;
      } else if (n % 3 == 0) {
        EXPECT_TRUE(row->is_null(1)) << n;
      } else {
        EXPECT_EQ(row->str(1), "n" + std::to_string(n));
      }
      ++rows;
    }
    EXPECT_EQ(rows, 1000u);
  }
}

TEST_F(OdbcSqliteTest, CatalogFunctionsSeeTablesColumnsKeysAndIndexes) {
  Connection conn(m_options);
  Statement st = conn.statement();
  std::set<std::string> tables;
  st.tables(std::nullopt, std::nullopt, std::string("%"), std::string("TABLE"));
  st.for_each([&](const Row& row) { tables.insert(row.str(2)); });
  EXPECT_EQ(tables, (std::set<std::string>{"child", "größe"}));

  std::set<std::string> columns;
  st.columns(std::nullopt, std::nullopt, std::string("%"), std::string("%"));
  st.for_each([&](const Row& row) { columns.insert(row.str(2) + "." + row.str(3)); });
  EXPECT_EQ(columns, (std::set<std::string>{"child.id", "child.parent", "größe.naïve_列", "größe.n",
                                            "größe.note"}));

  st.primary_keys(std::nullopt, std::nullopt, "größe");
  std::vector<std::string> pk;
  st.for_each([&](const Row& row) { pk.push_back(row.str(3)); });
  EXPECT_EQ(pk, (std::vector<std::string>{"naïve_列"}));

  st.foreign_keys(std::nullopt, std::nullopt, "child");
  std::vector<std::string> fk;
  st.for_each(
      [&](const Row& row) { fk.push_back(row.str(2) + "." + row.str(3) + "<-" + row.str(7)); });
  EXPECT_EQ(fk, (std::vector<std::string>{"größe.naïve_列<-parent"}));

  st.statistics(std::nullopt, std::nullopt, "child");
  std::set<std::string> indexes;
  st.for_each([&](const Row& row) {
    if (row.get(5)) indexes.insert(row.str(5) + ":" + row.str(8));
  });
  EXPECT_TRUE(indexes.count("child_parent:parent")) << ::testing::PrintToString(indexes);
}

TEST_F(OdbcSqliteTest, QueryErrorCarriesSqlstateAndMessage) {
  Connection conn(m_options);
  Statement st = conn.statement();
  try {
    st.execute("SELECT * FROM no_such_table");
    FAIL() << "no error";
  } catch (const OdbcError& e) {
    EXPECT_EQ(e.code(), core::ExitCode::runtime);
    EXPECT_FALSE(e.sqlstate().empty());
    EXPECT_NE(std::string(e.what()).find("no_such_table"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(e.sqlstate()), std::string::npos) << e.what();
  }
}

TEST(OdbcDriver, UnknownDriverIsAConnectionErrorNamingIt) {
  ConnectOptions o;
  o.driver = "No Such Driver 9";
  o.attributes.push_back({"PWD", "Secret-Pw-4411", true});
  try {
    Connection conn(o);
    FAIL() << "connected";
  } catch (const OdbcError& e) {
    EXPECT_EQ(e.code(), core::ExitCode::connection);
    EXPECT_TRUE(extractors::odbc::is_driver_failure(e)) << e.what();
    std::string text = e.what();
    EXPECT_NE(text.find("No Such Driver 9"), std::string::npos) << text;
    EXPECT_EQ(text.find("Secret-Pw-4411"), std::string::npos) << text;
  }
}

TEST(OdbcEnvironment, ListsTheInstalledDrivers) {
  extractors::odbc::Environment env;
  auto drivers = env.drivers();
  std::set<std::string> names(drivers.begin(), drivers.end());
  EXPECT_TRUE(names.count("SQLite3"));
  EXPECT_TRUE(names.count("PostgreSQL Unicode"));
}

TEST(OdbcPostgres, ReadsCatalogFunctionsAndNonAsciiData) {
  Connection conn(pg_options());
  EXPECT_EQ(conn.dbms_name(), "PostgreSQL");
  Statement st = conn.statement();
  st.execute("SELECT 'größe 世界'::text, NULL::text, 42::int, repeat('x', 100000)");
  const Row* row = st.next();
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->str(0), "größe 世界");
  EXPECT_TRUE(row->is_null(1));
  EXPECT_EQ(row->integer(2), 42);
  EXPECT_EQ(row->view(3).size(), 100000u);
  EXPECT_EQ(st.next(), nullptr);

  std::size_t tables = 0;
  // psqlodbc reads a NULL schema as "the search path": "%" means all schemas.
  st.tables(std::nullopt, std::string("%"), std::string("%"), std::string("TABLE"));
  st.for_each([&](const Row&) { ++tables; });
  std::size_t columns = 0;
  st.columns(std::nullopt, std::string("%"), std::string("%"), std::string("%"));
  st.for_each([&](const Row&) { ++columns; });
  EXPECT_GT(columns, tables);
}

TEST(OdbcPostgres, WrongPasswordIsAConnectionErrorWithoutThePassword) {
  const std::string password = "Wrong-Pw-5e8d0";
  try {
    Connection conn(pg_options(password));
    FAIL() << "connected";
  } catch (const OdbcError& e) {
    EXPECT_EQ(e.code(), core::ExitCode::connection);
    EXPECT_TRUE(extractors::odbc::is_authentication_failure(e)) << e.what();
    EXPECT_FALSE(e.sqlstate().empty());
    EXPECT_EQ(std::string(e.what()).find(password), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.hint()).find(password), std::string::npos);
  }
}

TEST(OdbcPostgres, CancelTokenStopsARunningQuery) {
  core::CancelToken cancel;
  ConnectOptions o = pg_options();
  Connection conn(o, &cancel);
  Statement st = conn.statement();
  std::jthread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancel.cancel();
  });
  auto start = std::chrono::steady_clock::now();
  try {
    st.execute("SELECT pg_sleep(30)");
    st.next();
    FAIL() << "not cancelled";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.code(), core::ExitCode::interrupted) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(OdbcPostgres, QueryTimeoutEndsALongQuery) {
  ConnectOptions o = pg_options();
  o.query_timeout = std::chrono::seconds(1);
  Connection conn(o);
  Statement st = conn.statement();
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(st.execute("SELECT pg_sleep(30)"), OdbcError);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

}  // namespace
}  // namespace connctl::testing::odbc
