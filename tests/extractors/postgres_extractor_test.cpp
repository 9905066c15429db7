// The postgres extractor against a real PostgreSQL 15 (tests/support/pg_server):
// counts equal to pg_catalog's own, every attribute, lineage through a
// three-level view chain down to columns, hostile identifiers, privileges,
// errors (wrong password, unreachable server, a restart mid-extraction),
// several databases, statistics and filters.

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>
#include <string>

#include "core/cancel.hpp"
#include "core/error.hpp"
#include "core/secrets.hpp"
#include "core/url.hpp"
#include "extractors/extractor.hpp"
#include "extractors/postgres/pg_connection.hpp"
#include "extractors/registry.hpp"
#include "extractors/source.hpp"
#include "schema/fqn.hpp"
#include "support/extractor_support.hpp"
#include "support/pg_server.hpp"
#include "support/test_support.hpp"

namespace connctl::testing::postgres {
namespace {

using schema::EntityKind;
using schema::Value;

struct Role {
  std::string user;
  std::string password;
};
const Role k_reader{PgServer::k_reader, PgServer::k_reader_password};
const Role k_limited{PgServer::k_limited, PgServer::k_limited_password};

extractors::SourceSpec spec(const Role& role = k_reader, bool tcp = true) {
  PgServer& server = PgServer::instance();
  extractors::SourceSpec s = base_spec("pg", "postgres");
  s.settings.set("host", setting(tcp ? std::string("127.0.0.1") : server.socket_dir().string()));
  s.settings.set("port", setting(std::int64_t{server.port()}));
  s.settings.set("dbname", setting(std::string(PgServer::k_database)));
  s.settings.set("user", setting(role.user));
  s.settings.set("password", setting(role.password, true));
  s.settings.set("sslmode", setting(std::string("disable")));
  return s;
}

std::string fqn(std::vector<std::string> components) {
  components.insert(components.begin(), {"pg", PgServer::k_database});
  return schema::Fqn(std::move(components)).str();
}

const schema::Entity& get(const Extraction& x, const std::vector<std::string>& components) {
  const schema::Entity* e = x.sink.find(fqn(components));
  if (!e) throw std::runtime_error("no entity " + fqn(components));
  return *e;
}

int count_sql(const std::string& sql) {
  return std::stoi(PgServer::instance().value(PgServer::k_database, sql));
}

const char* k_user_schemas =
    "(SELECT oid FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema')";

class PostgresExtractorTest : public ::testing::Test {
 protected:
  // Started in SetUp, not SetUpTestSuite: gtest reports the tests of a suite
  // whose SetUpTestSuite failed as SKIPPED, which ctest does not count as failed.
  void SetUp() override { PgServer::instance(); }
};

// ---------------------------------------------------------------- no server

TEST(PostgresRegistration, DeclaresTypeSchemesKeysAndCapabilities) {
  const auto* info = extractors::Registry::instance().find("postgres");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->url_schemes, (std::vector<std::string>{"postgresql", "postgres"}));
  std::map<std::string, core::KeySpec> keys;
  for (const auto& k : info->keys) keys[k.name] = k;
  for (const char* k :
       {"host", "port", "dbname", "user", "password", "databases", "sslmode", "sslrootcert",
        "sslcert", "sslkey", "connect_timeout", "statement_timeout", "parallelism"})
    EXPECT_TRUE(keys.count(k)) << k;
  EXPECT_TRUE(keys["password"].secret);
  EXPECT_EQ(keys["port"].type, core::KeyType::integer);
  EXPECT_EQ(keys["databases"].type, core::KeyType::string_list);
  EXPECT_EQ(keys["connect_timeout"].default_value, "10s");
  EXPECT_EQ(keys["statement_timeout"].default_value, "5m");
  EXPECT_EQ(keys["parallelism"].default_value, "2");
  EXPECT_TRUE(info->capabilities.lineage);
  EXPECT_TRUE(info->capabilities.column_lineage);
  EXPECT_TRUE(info->capabilities.stats);
}

TEST(PostgresUrl, SettingsFromUrlWithSecretPassword) {
  const auto* info = extractors::Registry::instance().find_by_scheme("postgres");
  ASSERT_NE(info, nullptr);
  std::string name;
  auto settings = info->settings_from_url(
      core::parse_url("postgresql://alice:s3cr%40t@db.example:6543/sales?sslmode=require"), name);
  EXPECT_EQ(name, "sales");
  EXPECT_EQ(settings.get_string("host"), "db.example");
  EXPECT_EQ(settings.get_integer("port"), 6543);
  EXPECT_EQ(settings.get_string("user"), "alice");
  EXPECT_EQ(settings.get_string("password"), "s3cr@t");
  EXPECT_TRUE(settings.find("password")->secret);
  EXPECT_EQ(settings.get_string("dbname"), "sales");
  EXPECT_EQ(settings.get_string("sslmode"), "require");
  EXPECT_EQ(core::redact("s3cr@t"), "***");

  std::string host_name;
  info->settings_from_url(core::parse_url("postgres://db.example"), host_name);
  EXPECT_EQ(host_name, "db.example");
  EXPECT_THROW(info->settings_from_url(core::parse_url("postgresql://h/d?bogus=1"), name),
               core::Error);
}

TEST(PostgresCopyRow, DecodesEscapesAndNulls) {
  std::string line = "a\\tb\t\\N\t\\\\x\\n\t";
  extractors::postgres::CopyRow row;
  row.parse(line.data(), line.size());
  ASSERT_EQ(row.size(), 4u);
  EXPECT_EQ(row.view(0), "a\tb");
  EXPECT_TRUE(row.is_null(1));
  EXPECT_EQ(row.view(2), "\\x\n");
  EXPECT_FALSE(row.is_null(3));
  EXPECT_EQ(row.view(3), "");
}

// ---------------------------------------------------------------- counts

TEST_F(PostgresExtractorTest, CountsOfEveryKindEqualWhatPgCatalogReports) {
  auto x = extract(spec());
  std::map<std::string, int> got;
  for (const auto& e : x->sink.entities) {
    std::string kind(schema::to_string(e.kind));
    if (e.kind == EntityKind::constraint) kind = attr(e, "constraint_type").as_string();
    if (e.kind == EntityKind::table && !attr(e, "partition_of").is_null()) kind = "partition";
    ++got[kind];
  }
  const std::string in_user = std::string(" IN ") + k_user_schemas;
  std::map<std::string, int> expected = {
      {"database", 1},
      {"schema", count_sql(std::string("SELECT count(*) FROM ") + k_user_schemas + " s")},
      {"table", count_sql("SELECT count(*) FROM pg_class WHERE relkind IN ('r','p','f') AND NOT "
                          "relispartition AND relnamespace" +
                          in_user)},
      {"partition", count_sql("SELECT count(*) FROM pg_class WHERE relispartition AND "
                              "relkind IN ('r','p') AND relnamespace" +
                              in_user)},
      {"view",
       count_sql("SELECT count(*) FROM pg_class WHERE relkind = 'v' AND relnamespace" + in_user)},
      {"materialized_view",
       count_sql("SELECT count(*) FROM pg_class WHERE relkind = 'm' AND relnamespace" + in_user)},
      {"column", count_sql("SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = "
                           "a.attrelid WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN "
                           "('r','p','v','m','f') AND NOT c.relispartition AND c.relnamespace" +
                           in_user)},
      {"index", count_sql("SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
                          "WHERE NOT c.relispartition AND c.relnamespace" +
                          in_user)},
      {"trigger", count_sql("SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = "
                            "t.tgrelid WHERE NOT t.tgisinternal AND NOT c.relispartition AND "
                            "c.relnamespace" +
                            in_user)},
      {"sequence",
       count_sql("SELECT count(*) FROM pg_class WHERE relkind = 'S' AND relnamespace" + in_user)},
      {"routine", count_sql("SELECT count(*) FROM pg_proc WHERE pronamespace" + in_user)},
  };
  for (const auto& [type, name] : std::map<std::string, std::string>{{"p", "primary_key"},
                                                                     {"f", "foreign_key"},
                                                                     {"u", "unique"},
                                                                     {"c", "check"},
                                                                     {"x", "exclusion"}}) {
    expected[name] = count_sql(
        "SELECT count(*) FROM pg_constraint co JOIN pg_class c ON c.oid = "
        "co.conrelid WHERE co.contype = '" +
        type + "' AND NOT c.relispartition AND c.relnamespace" + in_user);
  }
  for (const auto& [kind, n] : expected) {
    EXPECT_EQ(got[kind], n) << kind;
    EXPECT_GT(n, 0) << "the test database lacks a " << kind;
  }
  EXPECT_TRUE(x->sink.warnings.empty());
  for (const auto& c : x->result.completeness) EXPECT_TRUE(c.complete) << c.fqn;
}

// ---------------------------------------------------------------- attributes

TEST_F(PostgresExtractorTest, DatabaseAndSchemaAttributesWithEnumsAndDomains) {
  auto x = extract(spec());
  const auto& db = *x->sink.find(schema::Fqn({"pg", PgServer::k_database}).str());
  EXPECT_EQ(attr(db, "engine"), Value("postgresql"));
  EXPECT_EQ(attr(db, "encoding"), Value("UTF8"));
  EXPECT_EQ(attr(db, "owner"), Value("postgres"));
  EXPECT_TRUE(attr(db, "server_version").is_string());

  const auto& shop = get(*x, {"shop"});
  EXPECT_EQ(shop.kind, EntityKind::schema);
  EXPECT_EQ(attr(shop, "owner"), Value("postgres"));
  EXPECT_EQ(attr(shop, "comment"), Value("the shop's tables"));
  const Value enums = attr(shop, "enums");
  ASSERT_TRUE(enums.is_object());
  EXPECT_EQ(schema::to_canonical_json(*enums.find("mood")), R"j(["sad","ok","happy"])j");
  const Value domains = attr(shop, "domains");
  ASSERT_TRUE(domains.is_object());
  const Value* d = domains.find("positive_int");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(*d->find("data_type"), Value("integer"));
  EXPECT_EQ(*d->find("nullable"), Value(false));
  EXPECT_EQ(*d->find("default"), Value("1"));
  EXPECT_EQ(*d->find("comment"), Value("a positive integer"));
  EXPECT_EQ(schema::to_canonical_json(*d->find("checks")),
            R"j([{"expression":"CHECK ((VALUE > 0))","name":"positive"}])j");
}

TEST_F(PostgresExtractorTest, TablesPartitionsForeignAndUnlogged) {
  auto x = extract(spec());
  const auto& customers = get(*x, {"shop", "customers"});
  EXPECT_EQ(attr(customers, "table_type"), Value("base"));
  EXPECT_EQ(attr(customers, "persistence"), Value("permanent"));
  EXPECT_EQ(attr(customers, "comment"), Value("people who buy"));
  EXPECT_EQ(attr(customers, "owner"), Value("postgres"));
  EXPECT_EQ(attr(get(*x, {"shop", "scratch"}), "persistence"), Value("unlogged"));

  const auto& events = get(*x, {"shop", "events"});
  EXPECT_EQ(attr(events, "table_type"), Value("partitioned"));
  EXPECT_EQ(attr(events, "partition_key"), Value("RANGE (happened)"));
  const auto& p2025 = get(*x, {"shop", "events", "events_2025"});
  EXPECT_EQ(p2025.kind, EntityKind::table);
  EXPECT_EQ(attr(p2025, "partition_of"), Value(fqn({"shop", "events"})));
  EXPECT_EQ(attr(p2025, "partition_bound"),
            Value("FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')"));
  const auto& nested = get(*x, {"shop", "events", "events_2026", "events_2026_a"});
  EXPECT_EQ(attr(nested, "partition_of"), Value(fqn({"shop", "events", "events_2026"})));
  EXPECT_EQ(attr(get(*x, {"shop", "events", "events_2026"}), "partition_key"), Value("LIST (id)"));
  // Partitions are not top-level tables and do not repeat their columns.
  EXPECT_EQ(x->sink.find(fqn({"shop", "events_2025"})), nullptr);
  EXPECT_EQ(x->sink.find(fqn({"shop", "events", "events_2025", "id"})), nullptr);

  const auto& remote = get(*x, {"shop", "remote_items"});
  EXPECT_EQ(attr(remote, "table_type"), Value("foreign"));
  EXPECT_EQ(attr(remote, "server"), Value("remote_srv"));
  EXPECT_EQ(schema::to_canonical_json(attr(remote, "options")),
            R"j({"schema_name":"inv","table_name":"items"})j");
}

TEST_F(PostgresExtractorTest, ColumnsWithTypesDefaultsIdentityGeneratedCollationAndComments) {
  auto x = extract(spec());
  const auto& id = get(*x, {"shop", "customers", "id"});
  EXPECT_EQ(attr(id, "ordinal"), Value(1));
  EXPECT_EQ(attr(id, "data_type"), Value("integer"));
  EXPECT_EQ(attr(id, "nullable"), Value(false));
  EXPECT_EQ(attr(id, "identity"), Value("always"));
  EXPECT_EQ(attr(get(*x, {"shop", "orders", "ref"}), "identity"), Value("by_default"));
  const auto& name = get(*x, {"shop", "customers", "name"});
  EXPECT_EQ(attr(name, "collation"), Value("C"));
  const auto& email = get(*x, {"shop", "customers", "email"});
  EXPECT_EQ(attr(email, "comment"), Value("where to write"));
  EXPECT_EQ(attr(email, "nullable"), Value(true));
  const auto& mood = get(*x, {"shop", "customers", "mood"});
  EXPECT_EQ(attr(mood, "data_type"), Value("shop.mood"));
  EXPECT_EQ(attr(mood, "type_kind"), Value("enum"));
  EXPECT_EQ(attr(mood, "default"), Value("'ok'::shop.mood"));
  EXPECT_EQ(attr(get(*x, {"shop", "customers", "tags"}), "data_type"), Value("text[]"));
  EXPECT_EQ(attr(get(*x, {"shop", "customers", "tags"}), "type_kind"), Value("array"));
  EXPECT_EQ(attr(get(*x, {"shop", "customers", "score"}), "type_kind"), Value("domain"));
  EXPECT_EQ(attr(get(*x, {"shop", "orders", "amount"}), "data_type"), Value("numeric(10,2)"));
  const auto& total = get(*x, {"shop", "orders", "total"});
  EXPECT_EQ(attr(total, "generated"), Value("stored"));
  EXPECT_EQ(attr(total, "generation_expression"), Value("(amount * (quantity)::numeric)"));
  EXPECT_TRUE(attr(total, "default").is_null());
  EXPECT_EQ(attr(get(*x, {"shop", "orders", "quantity"}), "default"), Value("1"));
}

TEST_F(PostgresExtractorTest, ConstraintsWithRealNamesAndForeignKeyDetails) {
  auto x = extract(spec());
  const auto& fk = get(*x, {"shop", "orders", "orders_customer_fk"});
  EXPECT_EQ(attr(fk, "constraint_type"), Value("foreign_key"));
  EXPECT_EQ(schema::to_canonical_json(attr(fk, "columns")), R"j(["customer_id"])j");
  EXPECT_EQ(attr(fk, "referenced_table"), Value(fqn({"shop", "customers"})));
  EXPECT_EQ(schema::to_canonical_json(attr(fk, "referenced_columns")), R"j(["id"])j");
  EXPECT_EQ(attr(fk, "on_update"), Value("CASCADE"));
  EXPECT_EQ(attr(fk, "on_delete"), Value("SET NULL"));
  EXPECT_EQ(attr(fk, "match"), Value("FULL"));
  EXPECT_EQ(attr(fk, "deferrable"), Value(true));
  EXPECT_EQ(attr(fk, "initially_deferred"), Value(true));
  const auto& check = get(*x, {"shop", "orders", "amount_positive"});
  EXPECT_EQ(attr(check, "constraint_type"), Value("check"));
  EXPECT_EQ(attr(check, "expression"), Value("(amount > (0)::numeric)"));
  EXPECT_EQ(attr(check, "comment"), Value("no free lunch"));
  EXPECT_EQ(attr(get(*x, {"shop", "orders", "orders_pkey"}), "constraint_type"),
            Value("primary_key"));
  EXPECT_EQ(attr(get(*x, {"shop", "customers", "customers_email_key"}), "constraint_type"),
            Value("unique"));
  const auto& excl = get(*x, {"shop", "bookings", "no_overlap"});
  EXPECT_EQ(attr(excl, "constraint_type"), Value("exclusion"));
  EXPECT_EQ(attr(excl, "definition"), Value("EXCLUDE USING gist (during WITH &&)"));
}

TEST_F(PostgresExtractorTest, IndexesTriggersSequencesAndRoutines) {
  auto x = extract(spec());
  const auto& expr = get(*x, {"shop", "orders", "orders_lower_note"});
  EXPECT_EQ(expr.kind, EntityKind::index);
  EXPECT_EQ(attr(expr, "method"), Value("btree"));
  EXPECT_EQ(attr(expr, "partial"), Value(true));
  EXPECT_EQ(attr(expr, "predicate"), Value("(amount > (10)::numeric)"));
  EXPECT_EQ(attr(expr, "comment"), Value("for search"));
  EXPECT_EQ(schema::to_canonical_json(attr(expr, "columns")),
            R"j([{"descending":true,"expression":"lower(note::text)","nulls_first":true}])j");
  const auto& unique = get(*x, {"shop", "orders", "orders_customer_ref"});
  EXPECT_EQ(attr(unique, "unique"), Value(true));
  EXPECT_EQ(schema::to_canonical_json(attr(unique, "include")), R"j(["note"])j");
  // The primary key's index shares the constraint's name (and FQN); the kind tells them apart.
  const schema::Entity* pk_index = nullptr;
  for (const auto* e : x->sink.of_kind(EntityKind::index)) {
    if (e->fqn == fqn({"shop", "orders", "orders_pkey"})) pk_index = e;
  }
  ASSERT_NE(pk_index, nullptr);
  const auto& pk = *pk_index;
  EXPECT_EQ(attr(pk, "primary"), Value(true));
  EXPECT_EQ(attr(pk, "origin"), Value("primary_key"));
  EXPECT_TRUE(attr(pk, "definition").as_string().find("CREATE UNIQUE INDEX") == 0);

  const auto& touch = get(*x, {"shop", "orders", "orders_touch"});
  EXPECT_EQ(touch.kind, EntityKind::trigger);
  EXPECT_EQ(attr(touch, "timing"), Value("BEFORE"));
  EXPECT_EQ(schema::to_canonical_json(attr(touch, "events")), R"j(["INSERT","UPDATE"])j");
  EXPECT_EQ(schema::to_canonical_json(attr(touch, "event_columns")), R"j(["note","amount"])j");
  EXPECT_EQ(attr(touch, "level"), Value("row"));
  EXPECT_EQ(attr(touch, "function"), Value("shop.touch"));
  const auto& audit = get(*x, {"shop", "orders", "orders_audit"});
  EXPECT_EQ(attr(audit, "event"), Value("DELETE"));
  EXPECT_EQ(attr(audit, "level"), Value("statement"));
  EXPECT_EQ(attr(audit, "comment"), Value("audit trail"));

  const auto& seq = get(*x, {"shop", "invoice_no"});
  EXPECT_EQ(seq.kind, EntityKind::sequence);
  EXPECT_EQ(attr(seq, "data_type"), Value("integer"));
  EXPECT_EQ(attr(seq, "start"), Value(1000));
  EXPECT_EQ(attr(seq, "increment"), Value(5));
  EXPECT_EQ(attr(seq, "min"), Value(1000));
  EXPECT_EQ(attr(seq, "max"), Value(999999));
  EXPECT_EQ(attr(seq, "cycle"), Value(true));
  EXPECT_EQ(attr(seq, "comment"), Value("invoice numbers"));
  EXPECT_EQ(attr(get(*x, {"shop", "orders_id_seq"}), "owned_by"),
            Value(fqn({"shop", "orders", "id"})));

  const auto& add_int = get(*x, {"shop", "add(integer, integer)"});
  EXPECT_EQ(add_int.kind, EntityKind::routine);
  EXPECT_EQ(attr(add_int, "routine_name"), Value("add"));
  EXPECT_EQ(attr(add_int, "routine_type"), Value("function"));
  EXPECT_EQ(attr(add_int, "signature"), Value("a integer, b integer"));
  EXPECT_EQ(attr(add_int, "language"), Value("sql"));
  EXPECT_EQ(attr(add_int, "return_type"), Value("integer"));
  EXPECT_EQ(attr(add_int, "volatility"), Value("immutable"));
  EXPECT_EQ(attr(add_int, "comment"), Value("adds integers"));
  EXPECT_NE(x->sink.find(fqn({"shop", "add(numeric, numeric)"})), nullptr);
  EXPECT_EQ(attr(get(*x, {"shop", "reset_scratch()"}), "routine_type"), Value("procedure"));
}

TEST_F(PostgresExtractorTest, ViewsAndMaterializedViewsWithDefinitions) {
  auto x = extract(spec());
  const auto& lines = get(*x, {"shop", "order_lines"});
  EXPECT_EQ(lines.kind, EntityKind::view);
  EXPECT_NE(attr(lines, "definition").as_string().find("FROM (shop.orders o"), std::string::npos);
  const auto& totals = get(*x, {"reporting", "customer_totals"});
  EXPECT_EQ(attr(totals, "comment"), Value("money per customer"));
  const auto& top = get(*x, {"reporting", "top_customers"});
  EXPECT_EQ(top.kind, EntityKind::materialized_view);
  EXPECT_EQ(attr(top, "populated"), Value(false));
  EXPECT_NE(attr(top, "definition").as_string().find("reporting.customer_totals"),
            std::string::npos);
  EXPECT_EQ(attr(get(*x, {"reporting", "top_customers", "who"}), "data_type"), Value("text"));
}

// ---------------------------------------------------------------- lineage

TEST_F(PostgresExtractorTest, LineageThroughAThreeLevelViewChainDownToColumns) {
  auto x = extract(spec());
  std::map<std::pair<std::string, std::string>, schema::LineageEdge> edges;
  for (const auto& e : x->sink.lineage) edges[{e.from, e.to}] = e;
  using Pairs = std::vector<std::pair<std::string, std::string>>;

  auto edge = [&](const std::vector<std::string>& from, const std::vector<std::string>& to) {
    auto it = edges.find({fqn(from), fqn(to)});
    if (it == edges.end()) throw std::runtime_error("no edge " + fqn(from) + " -> " + fqn(to));
    return it->second;
  };
  const auto orders = edge({"shop", "orders"}, {"shop", "order_lines"});
  EXPECT_EQ(orders.kind, "view");
  EXPECT_EQ(orders.columns, (Pairs{{"amount", "line_total"},
                                   {"customer_id", "customer_id"},
                                   {"id", "order_id"},
                                   {"quantity", "line_total"}}));
  EXPECT_EQ(edge({"shop", "customers"}, {"shop", "order_lines"}).columns,
            (Pairs{{"name", "customer_name"}}));
  // Level 2, across schemas.
  EXPECT_EQ(edge({"shop", "order_lines"}, {"reporting", "customer_totals"}).columns,
            (Pairs{{"customer_id", "customer_id"},
                   {"customer_name", "customer_name"},
                   {"line_total", "total"}}));
  // Level 3, a materialized view.
  const auto top = edge({"reporting", "customer_totals"}, {"reporting", "top_customers"});
  EXPECT_EQ(top.kind, "materialized_view");
  EXPECT_EQ(top.columns, (Pairs{{"customer_name", "who"}, {"total", "total"}}));
  // Following the columns down: top_customers.who <- customer_totals.customer_name
  // <- order_lines.customer_name <- customers.name.

  auto none = extract(spec(), [] {
    extractors::ExtractRequest r;
    r.lineage = false;
    return r;
  }());
  EXPECT_TRUE(none->sink.lineage.empty());
}

TEST_F(PostgresExtractorTest, HostileIdentifiersSurvive) {
  auto x = extract(spec());
  const std::string weird = "Weird.Schema \"x\"";
  const std::string table = "order.items \"legacy\" archive";
  EXPECT_EQ(get(*x, {weird}).kind, EntityKind::schema);
  EXPECT_EQ(get(*x, {weird, table}).kind, EntityKind::table);
  for (const char* column : {"select", "Mixed Case", "line\nbreak", "ünïcødé_列",
                             "a23456789012345678901234567890123456789012345678901234567890123"})
    EXPECT_EQ(get(*x, {weird, table, column}).kind, EntityKind::column) << column;
  const auto& fk = get(*x, {weird, "User", "User_from_fkey"});
  EXPECT_EQ(attr(fk, "referenced_table"), Value(fqn({weird, table})));
  EXPECT_EQ(schema::to_canonical_json(attr(fk, "columns")), R"j(["from"])j");
  bool found = false;
  for (const auto& e : x->sink.lineage) {
    if (e.to == fqn({weird, "v.w \"q\""})) {
      found = true;
      EXPECT_EQ(e.from, fqn({weird, table}));
      EXPECT_EQ(e.columns, (std::vector<std::pair<std::string, std::string>>{
                               {"Mixed Case", "Mixed Case"}, {"select", "the \"key\""}}));
    }
  }
  EXPECT_TRUE(found);
  // Every FQN parses back to its components.
  for (const auto& e : x->sink.entities) EXPECT_EQ(schema::Fqn::parse(e.fqn).str(), e.fqn);
}

TEST_F(PostgresExtractorTest, SameDatabaseGivesTheSameEntitiesInTheSameOrder) {
  expect_same_extraction(*extract(spec()), *extract(spec(k_reader, false)));
}

// The slowest catalog queries are read by helper sessions in the main
// session's snapshot. A role that may open only one session still extracts
// everything: each query a helper could not take is read by the main session.
TEST_F(PostgresExtractorTest, ARoleLimitedToOneSessionStillExtractsEverything) {
  PgServer& server = PgServer::instance();
  auto helpers = extract(spec());
  server.exec("postgres", std::string("ALTER ROLE ") + PgServer::k_reader + " CONNECTION LIMIT 1");
  struct Restore {
    PgServer& server;
    ~Restore() {
      server.exec("postgres",
                  std::string("ALTER ROLE ") + PgServer::k_reader + " CONNECTION LIMIT -1");
    }
  } restore{server};
  auto alone = extract(spec());
  EXPECT_GT(alone->sink.of_kind(EntityKind::index).size(), 0u);
  EXPECT_GT(alone->sink.of_kind(EntityKind::constraint).size(), 0u);
  EXPECT_GT(alone->sink.of_kind(EntityKind::sequence).size(), 0u);
  expect_same_extraction(*helpers, *alone);
}

// A new empty database `db` on the test server (dropped first if it is there).
void recreate_database(const std::string& db) {
  PgServer::instance().exec("postgres", "DROP DATABASE IF EXISTS " + db);
  PgServer::instance().exec("postgres", "CREATE DATABASE " + db);
}

// Extracts `db` and expects every entity of `kind` to carry the definition
// the server gives for it (`sql_for` its FQN's components); returns how many
// were compared.
std::size_t expect_server_definitions(
    const std::string& db, EntityKind kind,
    const std::function<std::string(const std::vector<std::string>&)>& sql_for) {
  auto s = spec();
  s.settings.set("dbname", setting(db));
  auto x = extract(s);
  std::size_t compared = 0;
  for (const auto* e : x->sink.of_kind(kind)) {
    const auto path = schema::Fqn::parse(e->fqn).components();
    EXPECT_EQ(attr(*e, "definition").as_string(), PgServer::instance().value(db, sql_for(path)))
        << e->fqn;
    ++compared;
  }
  return compared;
}

// Plain indexes get their definition written by the extractor (the server's
// pg_get_indexdef is its costliest call), the others from the server: every
// one must read exactly as pg_get_indexdef has it, whatever the names,
// orderings, methods, classes, collations and options.
TEST_F(PostgresExtractorTest, IndexDefinitionsReadExactlyAsPgGetIndexdef) {
  PgServer& server = PgServer::instance();
  const std::string db = "indexdef_test";
  recreate_database(db);
  server.exec(db, R"sql(
CREATE SCHEMA ix; CREATE SCHEMA "Ix Odd"; GRANT USAGE ON SCHEMA ix, "Ix Odd" TO PUBLIC;
CREATE TABLE ix.t (id int PRIMARY KEY, "select" int, "user" text, name text, "between" int,
  "left" int, "Mixed" int, "a""b" int, "ünï" int, v varchar(20), r int4range, tags int[],
  c text COLLATE "C", n int, _x int, x1 int);
CREATE INDEX plain ON ix.t (n);
CREATE INDEX "Idx.Mixed" ON ix.t ("select", "user", name, "between", "left");
CREATE INDEX keywords ON ix.t ("Mixed", "a""b", "ünï", _x, x1);
CREATE INDEX orders ON ix.t (n DESC, x1 DESC NULLS FIRST, _x NULLS FIRST, "left" ASC NULLS LAST);
CREATE UNIQUE INDEX covering ON ix.t (n, x1) INCLUDE (name, "select");
CREATE INDEX hashed ON ix.t USING hash (n);
CREATE INDEX brin_n ON ix.t USING brin (n);
CREATE INDEX ranges ON ix.t USING gist (r);
CREATE INDEX tag_gin ON ix.t USING gin (tags);
CREATE INDEX pattern ON ix.t (name text_pattern_ops);
CREATE INDEX collated ON ix.t (name COLLATE "C");
CREATE INDEX c_default ON ix.t (c);
CREATE INDEX on_varchar ON ix.t (v);
CREATE INDEX partial ON ix.t (n) WHERE n > 10;
CREATE INDEX expression ON ix.t (lower(name), n);
CREATE INDEX filled ON ix.t (n) WITH (fillfactor = 70);
CREATE TABLE "Ix Odd"."Order Items" (id int, "Line No" int);
CREATE UNIQUE INDEX "Order Items pkey-ish" ON "Ix Odd"."Order Items" ("Line No" DESC, id);
CREATE TABLE ix.parted (id int, at date) PARTITION BY RANGE (at);
CREATE INDEX parted_at ON ix.parted (at);
CREATE TYPE ix.mood AS ENUM ('sad', 'ok');
CREATE DOMAIN ix.small AS int CHECK (VALUE < 100);
CREATE DOMAIN ix.code AS varchar(10);
CREATE DOMAIN ix.codes AS text[];
CREATE TYPE ix.pair AS (a int, b text);
CREATE TABLE ix.types (m ix.mood, moods ix.mood[], s ix.small, cd ix.code, cds ix.codes,
  p ix.pair, ch char(4), nm name, j jsonb, ts tsvector, ip inet, u uuid, b bool, ir int4range,
  vc varchar, t text COLLATE "POSIX", bits bit varying, ia int[], pairs ix.pair[]);
CREATE INDEX on_enum ON ix.types (m);
CREATE INDEX on_enum_array ON ix.types USING gin (moods);
CREATE INDEX on_domain ON ix.types (s, cd);
CREATE INDEX on_domain_array ON ix.types (cds);
CREATE INDEX on_composite ON ix.types (p);
CREATE INDEX on_composite_array ON ix.types (pairs);
CREATE INDEX on_bpchar ON ix.types (ch);
CREATE INDEX on_bpchar_pattern ON ix.types (ch bpchar_pattern_ops);
CREATE INDEX on_name ON ix.types (nm);
CREATE INDEX on_jsonb ON ix.types USING gin (j);
CREATE INDEX on_jsonb_path ON ix.types USING gin (j jsonb_path_ops);
CREATE INDEX on_tsvector ON ix.types USING gin (ts);
CREATE INDEX on_inet ON ix.types USING gist (ip inet_ops);
CREATE INDEX on_inet_spgist ON ix.types USING spgist (ip);
CREATE INDEX on_uuid_hash ON ix.types USING hash (u);
CREATE INDEX on_bool ON ix.types (b);
CREATE INDEX on_range_spgist ON ix.types USING spgist (ir);
CREATE INDEX on_varchar_pattern ON ix.types (vc varchar_pattern_ops, cd text_pattern_ops);
CREATE INDEX on_posix ON ix.types (t, t COLLATE "C", vc COLLATE "POSIX");
CREATE INDEX on_bits ON ix.types (bits);
CREATE INDEX on_int_array ON ix.types (ia);
CREATE INDEX on_int_array_gin ON ix.types USING gin (ia);
CREATE INDEX brin_minmax ON ix.types USING brin (u);
CREATE INDEX partial_text ON ix.types (vc) WHERE vc LIKE 'a%' AND ch IS NOT NULL;
CREATE OPERATOR CLASS ix.int4_alt FOR TYPE int4 USING btree AS OPERATOR 1 <, OPERATOR 2 <=,
  OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 btint4cmp(int4, int4);
CREATE INDEX schema_class ON ix.t (n ix.int4_alt);
CREATE COLLATION ix.c_copy FROM "C";
CREATE INDEX schema_collation ON ix.t (name COLLATE ix.c_copy);
)sql");
  if (std::stoi(server.value(db, "SHOW server_version_num")) >= 150000)
    server.exec(db, "CREATE UNIQUE INDEX distinct_nulls ON ix.t (x1) NULLS NOT DISTINCT");
  const std::size_t compared =
      expect_server_definitions(db, EntityKind::index, [](const std::vector<std::string>& path) {
        return "SELECT pg_catalog.pg_get_indexdef(c.oid) FROM pg_catalog.pg_class c JOIN "
               "pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $q$" +
               path[2] + "$q$ AND c.relname = $q$" + path.back() + "$q$";
      });
  EXPECT_GE(compared, 45u);
  server.exec("postgres", "DROP DATABASE " + db);
}

// Keys, foreign keys and checks get their definition written by the
// extractor (pg_get_constraintdef cost a quarter of the constraints query),
// the rest from the server: every one must read exactly as
// pg_get_constraintdef has it.
TEST_F(PostgresExtractorTest, ConstraintDefinitionsReadExactlyAsPgGetConstraintdef) {
  PgServer& server = PgServer::instance();
  const std::string db = "condef_test";
  recreate_database(db);
  server.exec(db, R"sql(
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE SCHEMA cd; CREATE SCHEMA "Cd Odd"; GRANT USAGE ON SCHEMA cd, "Cd Odd" TO PUBLIC;
CREATE TABLE "Cd Odd"."Order Items" ("Line No" int, "select" int, "a""b" text, "ünï" int,
  CONSTRAINT "PK.Items" PRIMARY KEY ("Line No", "select"),
  CONSTRAINT keyword_unique UNIQUE ("a""b", "ünï"));
CREATE TABLE cd.parent (id int PRIMARY KEY, code text UNIQUE, "user" int, x int,
  UNIQUE ("user", x), UNIQUE (id, "user"), UNIQUE (x, code) DEFERRABLE INITIALLY DEFERRED,
  UNIQUE (x) DEFERRABLE);
CREATE TABLE cd.child (id int, parent_id int, code text, "Line" int, sel int, u int, x int,
  CONSTRAINT simple_fk FOREIGN KEY (parent_id) REFERENCES cd.parent,
  CONSTRAINT code_fk FOREIGN KEY (code) REFERENCES cd.parent (code)
    ON UPDATE CASCADE ON DELETE SET NULL,
  CONSTRAINT odd_fk FOREIGN KEY ("Line", sel) REFERENCES "Cd Odd"."Order Items"
    MATCH FULL ON DELETE RESTRICT,
  CONSTRAINT deferred_fk FOREIGN KEY (u, x) REFERENCES cd.parent ("user", x)
    ON DELETE SET DEFAULT ON UPDATE NO ACTION DEFERRABLE INITIALLY DEFERRED,
  CONSTRAINT positive CHECK (id > 0 AND "Line" IS NOT NULL),
  CONSTRAINT "Odd Check" CHECK (code ~ '^[a-z]+$') NO INHERIT,
  CONSTRAINT covering UNIQUE (id) INCLUDE (code),
  CONSTRAINT no_overlap EXCLUDE USING gist (id WITH =, u WITH <>));
ALTER TABLE cd.child ADD CONSTRAINT late_check CHECK (x < 100) NOT VALID;
ALTER TABLE cd.child ADD CONSTRAINT late_fk FOREIGN KEY (id) REFERENCES cd.parent NOT VALID;
)sql");
  if (std::stoi(server.value(db, "SHOW server_version_num")) >= 150000) {
    server.exec(
        db,
        "ALTER TABLE cd.parent ADD CONSTRAINT nulls_once UNIQUE NULLS NOT DISTINCT (code, x);"
        "ALTER TABLE cd.child ADD CONSTRAINT some_null FOREIGN KEY (parent_id, u) "
        "REFERENCES cd.parent (id, \"user\") ON DELETE SET NULL (u)");
  }
  const std::size_t compared = expect_server_definitions(
      db, EntityKind::constraint, [](const std::vector<std::string>& path) {
        return "SELECT pg_catalog.pg_get_constraintdef(co.oid) FROM pg_catalog.pg_constraint co "
               "JOIN pg_catalog.pg_class c ON c.oid = co.conrelid JOIN pg_catalog.pg_namespace n "
               "ON n.oid = c.relnamespace WHERE n.nspname = $q$" +
               path[2] + "$q$ AND c.relname = $q$" + path[3] + "$q$ AND co.conname = $q$" +
               path.back() + "$q$";
      });
  EXPECT_GE(compared, 17u);
  server.exec("postgres", "DROP DATABASE " + db);
}

// ---------------------------------------------------------------- change signature

// The signature a sync uses to skip an unchanged source: it must change with
// every kind of change extract would show, and must not with data or stats.
TEST_F(PostgresExtractorTest, ChangeSignatureFollowsEveryCatalogChangeButNotDataOrStatistics) {
  PgServer& server = PgServer::instance();
  const std::string db = "signature_test";
  recreate_database(db);
  server.exec(db,
              "CREATE SCHEMA s; GRANT USAGE ON SCHEMA s TO PUBLIC; CREATE TABLE s.t (id int "
              "PRIMARY KEY, v text); CREATE VIEW s.v AS SELECT id FROM s.t; "
              "CREATE ROLE signature_owner; ALTER TABLE s.t OWNER TO signature_owner");
  auto s = spec();
  s.settings.set("dbname", setting(db));
  auto extractor = extractors::open_extractor(s);
  core::CancelToken cancel;
  auto signature = [&] {
    auto value = extractor->change_signature({}, cancel);
    EXPECT_TRUE(value.has_value());
    return value.value_or("");
  };
  std::string last = signature();
  EXPECT_EQ(last, signature()) << "the signature of an unchanged database is stable";

  const std::vector<std::pair<std::string, bool>> steps = {
      {"INSERT INTO s.t SELECT g, 'x' FROM generate_series(1, 1000) g", false},
      {"ANALYZE s.t", false},
      {"VACUUM s.t", false},
      {"ALTER TABLE s.t ADD COLUMN w int", true},
      {"COMMENT ON COLUMN s.t.v IS 'value'", true},
      {"CREATE INDEX t_v ON s.t (v)", true},
      {"CREATE OR REPLACE VIEW s.v AS SELECT id, v FROM s.t", true},
      {"ALTER ROLE signature_owner RENAME TO signature_owner2", true},
      {"COMMENT ON DATABASE " + db + " IS 'about'", true},
      {"CREATE FUNCTION s.f() RETURNS int LANGUAGE sql AS 'SELECT 1'", true},
      {"UPDATE s.t SET v = 'y' WHERE id < 10", false},
  };
  for (const auto& [sql, changes] : steps) {
    server.exec(db, sql);
    const std::string now = signature();
    if (changes) {
      EXPECT_NE(last, now) << sql;
    } else {
      EXPECT_EQ(last, now) << sql;
    }
    last = now;
  }
  extractors::ExtractRequest with_stats;
  with_stats.stats = true;
  EXPECT_FALSE(extractor->change_signature(with_stats, cancel).has_value())
      << "with --stats observations change without DDL: no signature";
  extractor.reset();
  server.exec("postgres", "DROP DATABASE " + db);
  server.exec("postgres", "DROP ROLE signature_owner2");
}

// ---------------------------------------------------------------- scope, stats

TEST_F(PostgresExtractorTest, StatisticsAreObservationsOnlyWhenAsked) {
  extractors::ExtractRequest request;
  request.stats = true;
  auto x = extract(spec(), request);
  const auto& customers = get(*x, {"shop", "customers"});
  EXPECT_TRUE(observation(customers, "row_estimate").is_int());
  EXPECT_TRUE(observation(customers, "pages").is_int());
  EXPECT_GT(observation(customers, "size_bytes").as_int(), 0);
  EXPECT_TRUE(observation(customers, "last_analyze").is_string());
  auto plain = extract(spec());
  EXPECT_TRUE(get(*plain, {"shop", "customers"}).observations.empty());
  EXPECT_EQ(get(*plain, {"shop", "customers"}).fingerprint, customers.fingerprint);
}

TEST_F(PostgresExtractorTest, FiltersSelectSchemasAndTables) {
  extractors::ExtractRequest request;
  request.filter.include(std::string(PgServer::k_database) + ".shop.orders");
  request.filter.include(std::string(PgServer::k_database) + ".reporting");
  request.filter.exclude(std::string(PgServer::k_database) + ".reporting.top_customers");
  auto x = extract(spec(), request);
  EXPECT_NE(x->sink.find(fqn({"shop", "orders", "amount"})), nullptr);
  EXPECT_EQ(x->sink.find(fqn({"shop", "customers"})), nullptr);
  EXPECT_NE(x->sink.find(fqn({"reporting", "customer_totals"})), nullptr);
  EXPECT_EQ(x->sink.find(fqn({"reporting", "top_customers"})), nullptr);
  EXPECT_EQ(x->sink.find(fqn({"restricted"})), nullptr);
}

TEST_F(PostgresExtractorTest, EveryDatabaseInNameOrderInParallel) {
  auto s = spec();
  s.settings.set("databases", setting(std::vector<std::string>{"*"}));
  s.settings.set("parallelism", setting(std::int64_t{2}));
  extractors::ExtractRequest request;
  request.filter.include("connctl_*");
  auto x = extract(s, request);
  std::vector<std::string> databases;
  for (const auto* e : x->sink.of_kind(EntityKind::database)) databases.push_back(e->name);
  EXPECT_EQ(databases,
            (std::vector<std::string>{PgServer::k_other_database, PgServer::k_database}));
  // Every entity of the first database comes before the second's.
  const std::string second = schema::Fqn({"pg", PgServer::k_database}).str();
  bool seen_second = false;
  for (const auto& e : x->sink.entities) {
    bool in_second = (e.fqn + ".").rfind(second + ".", 0) == 0;
    if (in_second) seen_second = true;
    EXPECT_FALSE(seen_second && !in_second) << e.fqn;
  }
  EXPECT_NE(
      x->sink.find(schema::Fqn({"pg", PgServer::k_other_database, "inventory", "items"}).str()),
      nullptr);
}

// ---------------------------------------------------------------- privileges

TEST_F(PostgresExtractorTest, TestConnectionPassesEveryStepForTheReader) {
  core::CancelToken cancel;
  auto report = extractors::open_extractor(spec())->test_connection(cancel);
  std::set<std::string> names;
  for (const auto& s : report.steps) {
    names.insert(s.name);
    EXPECT_NE(s.status, extractors::StepStatus::failed) << s.name << ": " << s.error;
  }
  EXPECT_TRUE(report.ok());
  for (const char* n : {"resolve", "connect", "tls", "authenticate", "server_version"})
    EXPECT_TRUE(names.count(n)) << n;
  EXPECT_TRUE(names.count(std::string("connect_database:") + PgServer::k_database));
  EXPECT_TRUE(names.count(std::string("schema_usage:") + PgServer::k_database + ".restricted"));
  EXPECT_TRUE(names.count(std::string("read_view_definitions:") + PgServer::k_database));
}

TEST_F(PostgresExtractorTest, TestConnectionFailsTheStepOfAMissingGrantAndNamesIt) {
  core::CancelToken cancel;
  auto report = extractors::open_extractor(spec(k_limited))->test_connection(cancel);
  EXPECT_FALSE(report.ok());
  const extractors::TestStep* failed = nullptr;
  for (const auto& s : report.steps) {
    if (s.status == extractors::StepStatus::failed) {
      failed = &s;
      break;
    }
  }
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->name, std::string("schema_usage:") + PgServer::k_database + ".restricted");
  EXPECT_EQ(failed->hint, "GRANT USAGE ON SCHEMA restricted TO connctl_limited");
}

TEST_F(PostgresExtractorTest, ASchemaWithoutUsageIsSkippedReportedAndPartial) {
  auto x = extract(spec(k_limited));
  ASSERT_EQ(x->sink.warnings.size(), 1u);
  EXPECT_TRUE(x->sink.warnings[0].skipped);
  EXPECT_EQ(x->sink.warnings[0].object, fqn({"restricted"}));
  EXPECT_NE(x->sink.warnings[0].message.find("GRANT USAGE ON SCHEMA restricted"),
            std::string::npos);
  EXPECT_EQ(x->sink.find(fqn({"restricted", "secrets"})), nullptr);
  EXPECT_NE(x->sink.find(fqn({"shop", "orders"})), nullptr);
  bool restricted_partial = false;
  for (const auto& c : x->result.completeness) {
    if (c.fqn == fqn({"restricted"})) restricted_partial = !c.complete;
    if (c.fqn == fqn({"shop"})) {
      EXPECT_TRUE(c.complete);
    }
  }
  EXPECT_TRUE(restricted_partial);
}

// ---------------------------------------------------------------- errors

TEST_F(PostgresExtractorTest, AWrongPasswordIsAConnectionErrorThatNeverShowsThePassword) {
  const std::string wrong = "Wrong-Pw-d00d";
  core::register_secret(wrong);
  CollectingSink sink;
  core::CancelToken cancel;
  try {
    extractors::open_extractor(spec(Role{PgServer::k_reader, wrong}))->extract({}, sink, cancel);
    FAIL() << "no error";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.code(), core::ExitCode::connection);
    EXPECT_EQ(std::string(e.what()).find(wrong), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("password authentication failed"), std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(sink.entities.empty());
  auto report =
      extractors::open_extractor(spec(Role{PgServer::k_reader, wrong}))->test_connection(cancel);
  for (const auto& s : report.steps) {
    if (s.name == "connect") {
      EXPECT_EQ(s.status, extractors::StepStatus::ok);
    }
    if (s.name == "authenticate") {
      EXPECT_EQ(s.status, extractors::StepStatus::failed);
    }
  }
}

TEST_F(PostgresExtractorTest, AnUnreachableServerIsAConnectionError) {
  auto s = spec();
  s.settings.set("port", setting(std::int64_t{1}));
  CollectingSink sink;
  core::CancelToken cancel;
  try {
    extractors::open_extractor(s)->extract({}, sink, cancel);
    FAIL() << "no error";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.code(), core::ExitCode::connection);
  }
  EXPECT_TRUE(sink.entities.empty());
}

// A real sink that restarts the server when it receives its Nth entity.
class RestartingSink final : public schema::EntitySink {
 public:
  explicit RestartingSink(std::size_t n) : m_n(n) {}
  void on_entity(const schema::Entity& e) override {
    entities.push_back(e);
    if (entities.size() == m_n) PgServer::instance().restart_immediate();
  }
  void on_lineage(const schema::LineageEdge&) override {}
  void on_warning(const schema::Warning&) override {}
  std::vector<schema::Entity> entities;

 private:
  std::size_t m_n;
};

TEST_F(PostgresExtractorTest, AServerRestartMidExtractionIsAConnectionError) {
  RestartingSink sink(5);
  core::CancelToken cancel;
  try {
    extractors::open_extractor(spec())->extract({}, sink, cancel);
    FAIL() << "no error";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.code(), core::ExitCode::connection);
    EXPECT_NE(std::string(e.what()).find("lost during extraction"), std::string::npos) << e.what();
  }
  // The server is back: a new extraction works.
  EXPECT_NO_THROW(extract(spec()));
}

}  // namespace
}  // namespace connctl::testing::postgres
