// The mysql extractor against a real MariaDB 10.11 (tests/support/mariadb_server)
// through MariaDB Connector/ODBC: counts equal to information_schema's own (as
// root), every attribute on at least one object, lineage through a view on a
// view down to columns, hostile identifiers, privileges (a user without SHOW
// VIEW), errors (wrong password, unreachable server), statistics and filters.

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "core/cancel.hpp"
#include "core/error.hpp"
#include "core/secrets.hpp"
#include "core/url.hpp"
#include "extractors/extractor.hpp"
#include "extractors/mysql/mysql_catalog.hpp"
#include "extractors/mysql/mysql_connection.hpp"
#include "extractors/registry.hpp"
#include "extractors/source.hpp"
#include "schema/fqn.hpp"
#include "support/extractor_support.hpp"
#include "support/mariadb_server.hpp"
#include "support/test_support.hpp"

namespace connctl::testing::mysql {
namespace {

using schema::EntityKind;
using schema::Value;

struct User {
  std::string name;
  std::string password;
};
const User k_reader{MariadbServer::k_reader, MariadbServer::k_reader_password};
const User k_noview{MariadbServer::k_noview, MariadbServer::k_noview_password};

extractors::SourceSpec spec(const User& user = k_reader) {
  MariadbServer& server = MariadbServer::instance();
  extractors::SourceSpec s = base_spec("my", "mysql");
  s.settings.set("host", setting(std::string("127.0.0.1")));
  s.settings.set("port", setting(std::int64_t{server.port()}));
  s.settings.set("user", setting(user.name));
  s.settings.set("password", setting(user.password, true));
  return s;
}

const std::string k_shop = MariadbServer::k_shop;
const std::string k_other = MariadbServer::k_other;

std::string fqn(std::vector<std::string> components) {
  components.insert(components.begin(), "my");
  return schema::Fqn(std::move(components)).str();
}

std::string json(const Value& v) {
  return schema::to_canonical_json(v);
}

const schema::Entity& get(const Extraction& x, const std::vector<std::string>& components) {
  const schema::Entity* e = x.sink.find(fqn(components));
  if (!e) throw std::runtime_error("no entity " + fqn(components));
  return *e;
}

int count_sql(const std::string& sql) {
  return std::stoi(MariadbServer::instance().value(sql));
}

const char* k_user_dbs = " NOT IN ('information_schema', 'mysql', 'performance_schema', 'sys')";

class MysqlExtractorTest : public ::testing::Test {
 protected:
  // Started in SetUp, not SetUpTestSuite: gtest reports the tests of a suite
  // whose SetUpTestSuite failed as SKIPPED, which ctest does not count as failed.
  void SetUp() override { MariadbServer::instance(); }
  // One extraction by the reader, shared by the read-only tests.
  static const Extraction& full() {
    static std::unique_ptr<Extraction> x = extract(spec());
    return *x;
  }
};

// ---------------------------------------------------------------- no server

TEST(MysqlRegistration, DeclaresTypeSchemesKeysAndCapabilities) {
  const auto* info = extractors::Registry::instance().find("mysql");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->url_schemes, (std::vector<std::string>{"mysql", "mariadb"}));
  std::map<std::string, core::KeySpec> keys;
  for (const auto& k : info->keys) keys[k.name] = k;
  for (const char* k :
       {"host", "port", "socket", "user", "password", "database", "databases", "driver", "ssl",
        "ssl_verify", "ssl_ca", "ssl_cert", "ssl_key", "connect_timeout", "read_timeout"})
    EXPECT_TRUE(keys.count(k)) << k;
  EXPECT_TRUE(keys["password"].secret);
  EXPECT_EQ(keys["driver"].default_value, "MariaDB Unicode");
  EXPECT_EQ(keys["databases"].type, core::KeyType::string_list);
  EXPECT_EQ(keys["ssl"].type, core::KeyType::boolean);
  EXPECT_TRUE(info->capabilities.lineage);
  EXPECT_TRUE(info->capabilities.column_lineage);
  EXPECT_TRUE(info->capabilities.stats);
}

TEST(MysqlUrl, SettingsFromUrlWithSecretPassword) {
  const auto* info = extractors::Registry::instance().find_by_scheme("mysql");
  ASSERT_NE(info, nullptr);
  std::string name;
  auto settings = info->settings_from_url(
      core::parse_url("mysql://alice:s3cr%40t@db.example:3307/sales?ssl=true&ssl_ca=/ca.pem"),
      name);
  EXPECT_EQ(name, "sales");
  EXPECT_EQ(settings.get_string("host"), "db.example");
  EXPECT_EQ(settings.get_integer("port"), 3307);
  EXPECT_EQ(settings.get_string("user"), "alice");
  EXPECT_EQ(settings.get_string("password"), "s3cr@t");
  EXPECT_TRUE(settings.find("password")->secret);
  EXPECT_EQ(settings.get_string("database"), "sales");
  EXPECT_EQ(settings.get_bool("ssl"), true);
  EXPECT_EQ(settings.get_string("ssl_ca"), "/ca.pem");
  EXPECT_EQ(core::redact("s3cr@t"), "***");

  std::string host_name;
  auto all = info->settings_from_url(core::parse_url("mysql://reader@db.example/"), host_name);
  EXPECT_EQ(host_name, "db.example");
  EXPECT_FALSE(all.has("database"));
  EXPECT_THROW(info->settings_from_url(core::parse_url("mysql://h/d?bogus=1"), name), core::Error);
}

TEST(MysqlSettings, DatabaseAndDatabasesAreExclusive) {
  extractors::SourceSpec s;
  s.name = "my";
  s.type = "mysql";
  s.settings.set("database", setting(std::string("a")));
  s.settings.set("databases", setting(std::vector<std::string>{"b"}));
  EXPECT_THROW(extractors::open_extractor(s), core::Error);
}

// ---------------------------------------------------------------- counts

TEST_F(MysqlExtractorTest, CountsOfEveryKindEqualWhatInformationSchemaReports) {
  const auto& x = full();
  std::map<std::string, int> got;
  for (const auto& e : x.sink.entities) {
    std::string kind(schema::to_string(e.kind));
    if (e.kind == EntityKind::constraint) kind = attr(e, "constraint_type").as_string();
    if (e.kind == EntityKind::table && !attr(e, "partition_of").is_null()) kind = "partition";
    if (e.kind == EntityKind::routine && attr(e, "routine_type").as_string() == "event")
      kind = "event";
    ++got[kind];
  }
  const std::string in_user = k_user_dbs;
  auto tc = [&](const char* type) {
    return count_sql(std::string("SELECT COUNT(*) FROM information_schema.TABLE_CONSTRAINTS "
                                 "WHERE CONSTRAINT_TYPE = '") +
                     type + "' AND TABLE_SCHEMA" + in_user);
  };
  std::map<std::string, int> expected = {
      {"database",
       count_sql("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME" + in_user)},
      {"table", count_sql("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_TYPE IN "
                          "('BASE TABLE', 'SYSTEM VERSIONED') AND TABLE_SCHEMA" +
                          in_user)},
      {"view", count_sql("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_TYPE = "
                         "'VIEW' AND TABLE_SCHEMA" +
                         in_user)},
      {"sequence", count_sql("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_TYPE = "
                             "'SEQUENCE' AND TABLE_SCHEMA" +
                             in_user)},
      {"partition", count_sql("SELECT COUNT(DISTINCT TABLE_SCHEMA, TABLE_NAME, PARTITION_NAME) + "
                              "COUNT(SUBPARTITION_NAME) FROM information_schema.PARTITIONS WHERE "
                              "PARTITION_NAME IS NOT NULL AND TABLE_SCHEMA" +
                              in_user)},
      {"column", count_sql("SELECT COUNT(*) FROM information_schema.COLUMNS c JOIN "
                           "information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND "
                           // Names compare without case; `Counters` is not `counters`.
                           "BINARY t.TABLE_NAME = BINARY c.TABLE_NAME WHERE "
                           "t.TABLE_TYPE <> 'SEQUENCE' AND c.TABLE_SCHEMA" +
                           in_user)},
      {"primary_key", tc("PRIMARY KEY")},
      {"unique", tc("UNIQUE")},
      {"foreign_key", tc("FOREIGN KEY")},
      {"check", tc("CHECK")},
      {"index", count_sql("SELECT COUNT(DISTINCT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME) FROM "
                          "information_schema.STATISTICS WHERE TABLE_SCHEMA" +
                          in_user)},
      {"trigger", count_sql("SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE "
                            "TRIGGER_SCHEMA" +
                            in_user)},
      {"routine", count_sql("SELECT COUNT(*) FROM information_schema.ROUTINES WHERE "
                            "ROUTINE_SCHEMA" +
                            in_user)},
      {"event",
       count_sql("SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA" + in_user)},
  };
  EXPECT_EQ(got, expected);
  // Not vacuous: the test data has every kind.
  for (const auto& [kind, n] : expected) EXPECT_GT(n, 0) << kind;
  EXPECT_TRUE(x.sink.warnings.empty());
  for (const auto& c : x.result.completeness) EXPECT_TRUE(c.complete) << c.fqn;
  EXPECT_EQ(x.result.completeness.size(), 3u);
}

// ---------------------------------------------------------------- attributes

TEST_F(MysqlExtractorTest, DatabasesWithCharsetCollationAndComment) {
  const auto& x = full();
  const auto& shop = get(x, {k_shop});
  EXPECT_EQ(shop.kind, EntityKind::database);
  EXPECT_EQ(attr(shop, "engine").as_string(), "mariadb");
  EXPECT_EQ(attr(shop, "charset").as_string(), "utf8mb4");
  EXPECT_EQ(attr(shop, "collation").as_string(), "utf8mb4_unicode_ci");
  EXPECT_EQ(attr(shop, "comment").as_string(), "the shop");
  EXPECT_NE(attr(shop, "server_version").as_string().find("MariaDB"), std::string::npos);
  EXPECT_EQ(attr(get(x, {k_other}), "charset").as_string(), "latin1");
  EXPECT_NE(x.sink.find(fqn({"connctl_empty"})), nullptr);
  EXPECT_EQ(x.sink.find(fqn({"mysql"})), nullptr);
  EXPECT_EQ(x.sink.find(fqn({"information_schema"})), nullptr);
}

TEST_F(MysqlExtractorTest, TablesWithEnginesRowFormatsCollationsAndPartitions) {
  const auto& x = full();
  const auto& customers = get(x, {k_shop, "customers"});
  EXPECT_EQ(customers.kind, EntityKind::table);
  EXPECT_EQ(customers.parent, fqn({k_shop}));
  EXPECT_EQ(attr(customers, "table_type").as_string(), "base");
  EXPECT_EQ(attr(customers, "engine").as_string(), "InnoDB");
  EXPECT_EQ(attr(customers, "row_format").as_string(), "Dynamic");
  EXPECT_EQ(attr(customers, "collation").as_string(), "utf8mb4_unicode_ci");
  EXPECT_EQ(attr(customers, "comment").as_string(), "people who buy");
  EXPECT_EQ(attr(get(x, {k_shop, "orders"}), "row_format").as_string(), "Compact");
  EXPECT_EQ(attr(get(x, {k_shop, "counters"}), "engine").as_string(), "MyISAM");
  EXPECT_EQ(attr(get(x, {k_shop, "counters"}), "row_format").as_string(), "Fixed");
  EXPECT_EQ(attr(get(x, {k_shop, "places"}), "engine").as_string(), "Aria");
  EXPECT_EQ(attr(get(x, {k_shop, "places"}), "row_format").as_string(), "Page");
  EXPECT_EQ(get(x, {k_shop, "invoice_numbers"}).kind, EntityKind::sequence);
  EXPECT_EQ(attr(customers, "create_options").as_string(), "row_format=DYNAMIC");
  const auto& history = get(x, {k_shop, "price_history"});
  EXPECT_EQ(attr(history, "system_versioned").as_bool(), true);
  EXPECT_EQ(attr(history, "table_type").as_string(), "base");
  EXPECT_EQ(attr(get(x, {k_shop, "price_history", "internal_note"}), "invisible").as_bool(), true);
  EXPECT_TRUE(attr(get(x, {k_shop, "price_history", "price"}), "invisible").is_null());

  const auto& events = get(x, {k_shop, "events"});
  EXPECT_EQ(attr(events, "partition_key").as_string(), "RANGE (year(`happened`))");
  EXPECT_EQ(attr(events, "subpartition_key").as_string(), "HASH (`id`)");
  const auto& p2024 = get(x, {k_shop, "events", "p2024"});
  EXPECT_EQ(p2024.kind, EntityKind::table);
  EXPECT_EQ(attr(events, "table_type").as_string(), "partitioned");
  EXPECT_EQ(attr(p2024, "table_type").as_string(), "partitioned");  // it has sub-partitions
  EXPECT_EQ(attr(p2024, "partition_of").as_string(), fqn({k_shop, "events"}));
  EXPECT_EQ(attr(p2024, "partition_bound").as_string(), "VALUES LESS THAN (2025)");
  EXPECT_EQ(attr(p2024, "comment").as_string(), "last year");
  EXPECT_EQ(attr(get(x, {k_shop, "events", "pmax"}), "partition_bound").as_string(),
            "VALUES LESS THAN MAXVALUE");
  const auto& sub = get(x, {k_shop, "events", "p2024", "p2024sp1"});
  EXPECT_EQ(attr(sub, "partition_of").as_string(), fqn({k_shop, "events", "p2024"}));
  EXPECT_EQ(attr(sub, "partition_method").as_string(), "HASH");
  EXPECT_EQ(attr(sub, "table_type").as_string(), "base");
  EXPECT_EQ(attr(get(x, {k_shop, "regional_sales", "p_north"}), "partition_bound").as_string(),
            "VALUES IN ('north','arctic')");
  // Partitions repeat no columns of their table.
  EXPECT_EQ(x.sink.find(fqn({k_shop, "events", "p2024", "id"})), nullptr);
}

TEST_F(MysqlExtractorTest, ColumnsWithTypesDefaultsGeneratedOnUpdateCharsetsAndComments) {
  const auto& x = full();
  auto col = [&](const char* table, const char* name) -> const schema::Entity& {
    return get(x, {k_shop, table, name});
  };
  const auto& id = col("customers", "id");
  EXPECT_EQ(attr(id, "ordinal").as_int(), 1);
  EXPECT_EQ(attr(id, "data_type").as_string(), "int(10) unsigned");
  EXPECT_EQ(attr(id, "nullable").as_bool(), false);
  EXPECT_EQ(attr(id, "auto_increment").as_bool(), true);
  EXPECT_EQ(attr(id, "comment").as_string(), "surrogate key");
  EXPECT_TRUE(attr(id, "charset").is_null());
  const auto& email = col("customers", "email");
  EXPECT_EQ(attr(email, "charset").as_string(), "ascii");
  EXPECT_EQ(attr(email, "collation").as_string(), "ascii_bin");
  EXPECT_TRUE(attr(email, "default").is_null());
  EXPECT_EQ(attr(col("customers", "name"), "default").as_string(), "'anonymous'");
  EXPECT_EQ(attr(col("customers", "balance"), "default").as_string(), "0.00");
  EXPECT_EQ(attr(col("customers", "country"), "nullable").as_bool(), true);
  EXPECT_TRUE(attr(col("customers", "country"), "default").is_null());
  EXPECT_EQ(attr(col("customers", "created_at"), "default").as_string(), "current_timestamp()");
  const auto& updated = col("customers", "updated_at");
  EXPECT_EQ(attr(updated, "on_update").as_string(), "current_timestamp()");
  EXPECT_EQ(attr(col("customers", "status"), "data_type").as_string(), "enum('active','blocked')");
  const auto& virt = col("customers", "email_domain");
  EXPECT_EQ(attr(virt, "generated").as_string(), "virtual");
  EXPECT_EQ(attr(virt, "generation_expression").as_string(), "substring_index(`email`,'@',-1)");
  EXPECT_EQ(attr(col("customers", "name_upper"), "generated").as_string(), "stored");
  EXPECT_EQ(attr(col("audit_log", "at"), "default").as_string(), "current_timestamp(3)");
  // View columns are read too.
  EXPECT_EQ(attr(col("top_customers", "customer_name"), "ordinal").as_int(), 2);
}

TEST_F(MysqlExtractorTest, ConstraintsPrimaryForeignUniqueAndCheck) {
  const auto& x = full();
  const auto& pk = get(x, {k_shop, "order_lines", "PRIMARY"});
  EXPECT_EQ(pk.kind, EntityKind::constraint);
  EXPECT_EQ(attr(pk, "constraint_type").as_string(), "primary_key");
  EXPECT_EQ(json(attr(pk, "columns")), R"(["order_id","line_no"])");
  EXPECT_EQ(attr(pk, "index").as_string(), "PRIMARY");

  const auto& fk = get(x, {k_shop, "orders", "fk_orders_customer"});
  EXPECT_EQ(attr(fk, "constraint_type").as_string(), "foreign_key");
  EXPECT_EQ(json(attr(fk, "columns")), R"(["customer_id"])");
  EXPECT_EQ(attr(fk, "referenced_table").as_string(), fqn({k_shop, "customers"}));
  EXPECT_EQ(json(attr(fk, "referenced_columns")), R"(["id"])");
  EXPECT_EQ(attr(fk, "on_delete").as_string(), "CASCADE");
  EXPECT_EQ(attr(fk, "on_update").as_string(), "RESTRICT");
  EXPECT_EQ(attr(get(x, {k_shop, "order_lines", "fk_lines_order"}), "on_update").as_string(),
            "CASCADE");
  EXPECT_EQ(attr(get(x, {k_shop, "audit_log", "fk_audit_order"}), "on_delete").as_string(),
            "SET NULL");

  const auto& uq = get(x, {k_shop, "customers", "uq_customers_email"});
  EXPECT_EQ(uq.kind, EntityKind::constraint);  // the index shares the FQN, not the kind
  EXPECT_EQ(attr(uq, "constraint_type").as_string(), "unique");
  EXPECT_EQ(json(attr(uq, "columns")), R"(["email"])");

  const auto& ck = get(x, {k_shop, "customers", "ck_customers_balance"});
  EXPECT_EQ(attr(ck, "constraint_type").as_string(), "check");
  EXPECT_EQ(attr(ck, "expression").as_string(), "`balance` >= 0");
  EXPECT_EQ(attr(ck, "level").as_string(), "table");
  const auto& qty = get(x, {k_shop, "order_lines", "qty"});
  bool found_check = false;
  for (const auto& e : x.sink.entities) {
    if (e.fqn == qty.fqn && e.kind == EntityKind::constraint) {
      found_check = true;
      EXPECT_EQ(attr(e, "level").as_string(), "column");
      EXPECT_EQ(json(attr(e, "columns")), R"(["qty"])");
      EXPECT_EQ(attr(e, "expression").as_string(), "`qty` > 0");
    }
  }
  EXPECT_TRUE(found_check);
}

TEST_F(MysqlExtractorTest, IndexesWithPrefixesOrderFulltextAndSpatial) {
  const auto& x = full();
  auto index = [&](const char* table, const char* name) -> const schema::Entity* {
    for (const auto& e : x.sink.entities) {
      if (e.kind == EntityKind::index && e.fqn == fqn({k_shop, table, name})) return &e;
    }
    return nullptr;
  };
  const auto* prefix = index("customers", "ix_customers_name_prefix");
  ASSERT_NE(prefix, nullptr);
  EXPECT_EQ(attr(*prefix, "method").as_string(), "btree");
  EXPECT_EQ(attr(*prefix, "unique").as_bool(), false);
  EXPECT_EQ(json(attr(*prefix, "columns")),
            R"([{"name":"name","prefix_length":10},{"descending":true,"name":"country"}])");
  const auto* ft = index("customers", "ft_customers_notes");
  ASSERT_NE(ft, nullptr);
  EXPECT_EQ(attr(*ft, "method").as_string(), "fulltext");
  EXPECT_EQ(attr(*ft, "comment").as_string(), "search");
  const auto* sx = index("places", "sx_places_location");
  ASSERT_NE(sx, nullptr);
  EXPECT_EQ(attr(*sx, "method").as_string(), "spatial");
  const auto* ignored = index("price_history", "ix_price_history_price");
  ASSERT_NE(ignored, nullptr);
  EXPECT_EQ(attr(*ignored, "ignored").as_bool(), true);
  EXPECT_TRUE(attr(*sx, "ignored").is_null());
  const auto* primary = index("customers", "PRIMARY");
  ASSERT_NE(primary, nullptr);
  EXPECT_EQ(attr(*primary, "primary").as_bool(), true);
  EXPECT_EQ(attr(*primary, "unique").as_bool(), true);
  const auto* hostile = index("order.items \"legacy\" archive", "uq \"quoted\".name");
  ASSERT_NE(hostile, nullptr);
  EXPECT_EQ(attr(*hostile, "columns").as_array()[0].as_object().size(), 2u);
}

TEST_F(MysqlExtractorTest, RoutinesTriggersAndEvents) {
  const auto& x = full();
  const auto& fn = get(x, {k_shop, "order_total"});
  EXPECT_EQ(fn.kind, EntityKind::routine);
  EXPECT_EQ(attr(fn, "routine_type").as_string(), "function");
  EXPECT_EQ(attr(fn, "return_type").as_string(), "decimal(12,2)");
  EXPECT_EQ(attr(fn, "deterministic").as_bool(), true);
  EXPECT_EQ(attr(fn, "sql_data_access").as_string(), "READS SQL DATA");
  EXPECT_EQ(attr(fn, "comment").as_string(), "sum of an order");
  EXPECT_NE(attr(fn, "definition").as_string().find("SELECT total FROM orders"), std::string::npos);
  ASSERT_EQ(attr(fn, "arguments").as_array().size(), 1u);
  const auto& proc = get(x, {k_shop, "archive_orders"});
  EXPECT_EQ(attr(proc, "routine_type").as_string(), "procedure");
  EXPECT_EQ(attr(proc, "security_type").as_string(), "INVOKER");
  const Value arguments = attr(proc, "arguments");
  const auto& args = arguments.as_array();
  ASSERT_EQ(args.size(), 3u);
  EXPECT_EQ(json(args[2]), R"x({"data_type":"varchar(20)","mode":"INOUT","name":"p.note"})x");

  // Wider than the ODBC layer's bound buffer: read whole.
  const std::string body = attr(get(x, {k_shop, "long_body"}), "definition").as_string();
  EXPECT_GT(body.size(), 6000u);
  EXPECT_EQ(body.substr(body.size() - 3), "END");
  EXPECT_NE(body.find("SET @n = @n + 70;"), std::string::npos);

  const auto& bi = get(x, {k_shop, "orders", "orders_bi"});
  EXPECT_EQ(attr(bi, "definer").as_string(), "root@localhost");
  EXPECT_EQ(attr(bi, "level").as_string(), "row");
  EXPECT_EQ(bi.kind, EntityKind::trigger);
  EXPECT_EQ(attr(bi, "timing").as_string(), "BEFORE");
  EXPECT_EQ(attr(bi, "event").as_string(), "INSERT");
  EXPECT_NE(attr(bi, "definition").as_string().find("GREATEST"), std::string::npos);
  EXPECT_EQ(attr(get(x, {k_shop, "orders", "orders_au_2"}), "action_order").as_int(), 2);
  EXPECT_NE(x.sink.find(fqn({k_shop, "order.items \"legacy\" archive", "weird trigger.t"})),
            nullptr);

  const auto& purge = get(x, {k_shop, "purge_events"});
  EXPECT_EQ(attr(purge, "routine_type").as_string(), "event");
  EXPECT_EQ(attr(purge, "schedule").as_string(), "EVERY 1 DAY");
  EXPECT_EQ(attr(purge, "starts").as_string(), "2030-01-01 03:00:00");
  EXPECT_EQ(attr(purge, "status").as_string(), "disabled");
  EXPECT_EQ(attr(purge, "comment").as_string(), "nightly purge");
  EXPECT_EQ(attr(purge, "on_completion").as_string(), "PRESERVE");
  EXPECT_EQ(attr(purge, "time_zone").as_string(), "+00:00");
  EXPECT_EQ(attr(purge, "definition").as_string(),
            "DELETE FROM events WHERE happened < '2020-01-01'");
  EXPECT_EQ(attr(fn, "language").as_string(), "sql");
  EXPECT_NE(attr(fn, "sql_mode").as_string().find("STRICT_TRANS_TABLES"), std::string::npos);
  EXPECT_EQ(attr(get(x, {k_shop, "one_shot"}), "schedule").as_string(), "AT '2031-06-01 12:00:00'");
}

TEST_F(MysqlExtractorTest, ViewsWithDefinitionsAndOptions) {
  const auto& x = full();
  const auto& v = get(x, {k_shop, "legacy view.v"});
  EXPECT_EQ(v.kind, EntityKind::view);
  EXPECT_EQ(attr(v, "check_option").as_string(), "CASCADED");
  EXPECT_EQ(attr(v, "algorithm").as_string(), "MERGE");
  EXPECT_EQ(attr(v, "updatable").as_bool(), true);
  EXPECT_NE(attr(v, "definition").as_string().find("`unit.price`"), std::string::npos);
  const auto& top = get(x, {k_shop, "top_customers"});
  EXPECT_EQ(attr(top, "security_type").as_string(), "INVOKER");
  EXPECT_EQ(attr(top, "definer").as_string(), "root@localhost");
}

TEST_F(MysqlExtractorTest, LineageThroughAViewOnAViewDownToColumns) {
  const auto& x = full();
  std::map<std::pair<std::string, std::string>, std::vector<std::pair<std::string, std::string>>>
      edges;
  for (const auto& e : x.sink.lineage) {
    EXPECT_EQ(e.kind, "view");
    edges[{e.from, e.to}] = e.columns;
  }
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  const std::string totals = fqn({k_shop, "customer_totals"});
  const std::string top = fqn({k_shop, "top_customers"});
  ASSERT_TRUE(edges.count({fqn({k_shop, "customers"}), totals}));
  EXPECT_EQ((edges[{fqn({k_shop, "customers"}), totals}]),
            (Pairs{{"id", "customer_id"}, {"name", "name"}}));
  EXPECT_EQ((edges[{fqn({k_shop, "orders"}), totals}]), (Pairs{{"total", "total"}}));
  ASSERT_TRUE(edges.count({totals, top}));
  EXPECT_EQ((edges[{totals, top}]),
            (Pairs{{"customer_id", "customer_id"}, {"name", "customer_name"}, {"total", "total"}}));
  // A union reads two tables into one column; a view reads another database.
  const std::string parties = fqn({k_shop, "all_parties"});
  EXPECT_EQ((edges[{fqn({k_shop, "customers"}), parties}]), (Pairs{{"email", "contact"}}));
  EXPECT_EQ((edges[{fqn({k_shop, "order.items \"legacy\" archive"}), parties}]),
            (Pairs{{"first name", "contact"}}));
  EXPECT_EQ((edges[{fqn({k_shop, "customers"}), fqn({k_other, "customer_notes"})}]),
            (Pairs{{"email", "email"}}));
  // A scalar sub-select's filter columns flow nowhere.
  EXPECT_EQ((edges[{fqn({k_shop, "customers"}), fqn({k_shop, "big_orders"})}]),
            (Pairs{{"email", "email"}}));
  EXPECT_EQ(edges.size(), 10u);
}

TEST_F(MysqlExtractorTest, HostileIdentifiersSurvive) {
  const auto& x = full();
  for (const auto& path : std::vector<std::vector<std::string>>{
           {k_shop, "order.items \"legacy\" archive", "unit.price"},
           {k_shop, "order.items \"legacy\" archive", "it's"},
           {k_shop, "tick`tock", "back`tick"},
           {k_shop, "tick`tock", "ünïcødé 名前"},
           {k_shop, "café_größe_日本", "x"},
           {k_shop, "a_table_name_that_is_exactly_sixty_four_characters_long_xxxxxxxx",
            "a_column_name_that_is_exactly_sixty_four_characters_long_yyyyyyy"},
           {k_shop, "select", "order"},
           {k_shop, "select", "check"},
           {k_shop, "Counters", "Hits"},
           {k_shop, "counters", "hits"},
           {k_other, "notes", "body"},
       })
    EXPECT_NE(x.sink.find(fqn(path)), nullptr) << fqn(path);
  // Two tables whose names differ in case only keep their own columns.
  EXPECT_EQ(x.sink.find(fqn({k_shop, "Counters", "hits"})), nullptr);
  EXPECT_EQ(x.sink.find(fqn({k_shop, "counters", "Hits"})), nullptr);
  EXPECT_EQ(attr(get(x, {k_shop, "Counters"}), "engine").as_string(), "InnoDB");
  EXPECT_EQ(fqn({k_other, "notes"}), "my.\"connctl.other db\".notes");
}

TEST_F(MysqlExtractorTest, SameCatalogGivesTheSameEntitiesInTheSameOrderOnOneOrManySessions) {
  // The shared extraction used three sessions (the default); this one, one.
  auto one_session = spec();
  one_session.settings.set("parallelism", setting(std::int64_t{1}));
  expect_same_extraction(*extract(one_session), full());
}

// MariaDB: each database is read in slices of its tables (runs of table
// names in byte order, one session per slice, so that the server's table
// cache holds what the slice's queries open). Slices of 3 tables on three
// sessions give the same entities, fingerprints, lineage and completeness as
// whole databases on one, with `Counters` and `counters` in different slices.
TEST_F(MysqlExtractorTest, SlicedDatabasesGiveTheSameCatalogAsWholeOnes) {
  MariadbServer& server = MariadbServer::instance();
  extractors::mysql::ConnectOptions connect;
  connect.host = "127.0.0.1";
  connect.port = server.port();
  connect.user = k_reader.name;
  connect.password = k_reader.password;
  core::CancelToken cancel;
  auto run = [&](int parallelism, std::size_t slice) {
    extractors::mysql::Connection c(connect, &cancel);
    extractors::mysql::CatalogOptions options;
    options.source = "my";
    options.parallelism = parallelism;
    options.tables_per_slice = slice;
    options.open_helper = [&] {
      return std::make_unique<extractors::mysql::Connection>(connect, &cancel);
    };
    extractors::ExtractRequest request;
    request.stats = true;
    auto x = std::make_unique<Extraction>();
    const auto databases = extractors::mysql::list_databases(c, request.filter, std::nullopt);
    x->result = extractors::mysql::extract_catalog(c, options, databases, request, x->sink, cancel);
    return x;
  };
  const auto whole = run(1, 100000);
  const auto sliced = run(3, 3);
  ASSERT_GT(whole->sink.entities.size(), 100u);
  expect_same_extraction(*sliced, *whole);
  EXPECT_EQ(sliced->sink.warnings.size(), whole->sink.warnings.size());
  ASSERT_EQ(sliced->result.completeness.size(), whole->result.completeness.size());
  EXPECT_EQ(sliced->result.watermark, whole->result.watermark);
  // The shared extraction (through the registry) read the same catalog.
  EXPECT_EQ(full().sink.entities.size(), whole->sink.entities.size());
}

// A server that refuses the helper sessions (here a user limited to one
// connection) gets everything read on the one session it allows.
TEST_F(MysqlExtractorTest, HelperSessionsTheServerRefusesLeaveTheWorkToTheOthers) {
  MariadbServer& server = MariadbServer::instance();
  const User limited{"connctl_limited", "Limited-Pw-3e9a"};
  server.exec("DROP USER IF EXISTS connctl_limited@'%'");
  server.exec("CREATE USER connctl_limited@'%' IDENTIFIED BY '" + limited.password +
              "' WITH MAX_USER_CONNECTIONS 1");
  for (const char* db : {"connctl_shop", "`connctl.other db`", "connctl_empty"})
    server.exec(std::string("GRANT SELECT, SHOW VIEW, TRIGGER, EVENT ON ") + db +
                ".* TO connctl_limited@'%'");
  server.exec("GRANT SELECT ON mysql.proc TO connctl_limited@'%'");
  auto s = spec(limited);
  s.settings.set("parallelism", setting(std::int64_t{3}));
  expect_same_extraction(*extract(s), full());
  server.exec("DROP USER connctl_limited@'%'");
}

// A slice's names go to the server as IN lists; MariaDB turns a list of 1000
// values or more into a subquery (20 times slower), so longer ones are cut.
TEST_F(MysqlExtractorTest, LongNameListsAreCutAndSelectExactlyTheirTables) {
  std::vector<std::string> names;
  for (int i = 0; i < 1200; ++i) names.push_back("no_such_table_" + std::to_string(i));
  names[3] = "customers";
  names[700] = "order.items \"legacy\" archive";
  names[1199] = "tick`tock";
  const std::string condition = extractors::mysql::in_list("TABLE_NAME", names);
  std::size_t lists = 0;
  for (std::size_t at = condition.find(" IN ("); at != std::string::npos;
       at = condition.find(" IN (", at + 1))
    ++lists;
  EXPECT_EQ(lists, 3u);
  EXPECT_EQ(count_sql("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '" +
                      k_shop + "' AND " + condition),
            3);
  EXPECT_EQ(extractors::mysql::in_list("TABLE_NAME", {}), "FALSE");
  EXPECT_EQ(count_sql("SELECT COUNT(*) FROM information_schema.TABLES WHERE " +
                      extractors::mysql::in_list("TABLE_NAME", {})),
            0);
}

TEST_F(MysqlExtractorTest, StatisticsAreObservationsOnlyWhenAsked) {
  EXPECT_TRUE(observation(get(full(), {k_shop, "customers"}), "table_rows").is_null());
  extractors::ExtractRequest request;
  request.stats = true;
  auto x = extract(spec(), request);
  const auto& customers = get(*x, {k_shop, "customers"});
  EXPECT_TRUE(observation(customers, "table_rows").is_int());
  EXPECT_GT(observation(customers, "data_length").as_int(), 0);
  EXPECT_TRUE(observation(customers, "index_length").is_int());
  EXPECT_TRUE(observation(get(*x, {k_shop, "counters"}), "update_time").is_string());
  // Fingerprints do not see observations.
  EXPECT_EQ(customers.fingerprint, get(full(), {k_shop, "customers"}).fingerprint);
}

TEST_F(MysqlExtractorTest, WatermarkIsTheLatestCreateOrUpdateTime) {
  const auto& x = full();
  ASSERT_TRUE(x.result.watermark);
  const std::string latest = MariadbServer::instance().value(
      "SET time_zone = '+00:00'; SELECT DATE_FORMAT(GREATEST(MAX(CREATE_TIME), "
      "MAX(COALESCE(UPDATE_TIME, CREATE_TIME))), '%Y-%m-%dT%H:%i:%sZ') FROM "
      "information_schema.TABLES WHERE TABLE_SCHEMA" +
      std::string(k_user_dbs));
  EXPECT_GE(*x.result.watermark, latest);
}

TEST_F(MysqlExtractorTest, FiltersAndTheDatabaseSetting) {
  extractors::ExtractRequest request;
  request.filter.include(k_shop + ".orders");
  request.filter.include(k_shop + ".customer*");
  auto x = extract(spec(), request);
  EXPECT_NE(x->sink.find(fqn({k_shop, "orders"})), nullptr);
  EXPECT_NE(x->sink.find(fqn({k_shop, "customers"})), nullptr);
  EXPECT_NE(x->sink.find(fqn({k_shop, "customer_totals"})), nullptr);
  EXPECT_EQ(x->sink.find(fqn({k_shop, "order_lines"})), nullptr);
  EXPECT_EQ(x->sink.find(fqn({k_other})), nullptr);

  auto s = spec();
  s.settings.set("database", setting(k_other));
  auto one = extract(s);
  EXPECT_NE(one->sink.find(fqn({k_other, "notes"})), nullptr);
  EXPECT_EQ(one->sink.find(fqn({k_shop})), nullptr);
  // The view's source outside the selection keeps its FQN.
  std::set<std::string> sources;
  for (const auto& e : one->sink.lineage) sources.insert(e.from);
  EXPECT_EQ(sources, (std::set<std::string>{fqn({k_shop, "customers"}), fqn({k_other, "notes"})}));

  auto missing = spec();
  missing.settings.set("database", setting(std::string("no_such_db")));
  CollectingSink sink;
  core::CancelToken cancel;
  try {
    extractors::open_extractor(missing)->extract({}, sink, cancel);
    FAIL() << "no error";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.code(), core::ExitCode::connection);
  }
}

// ---------------------------------------------------------------- privileges

TEST_F(MysqlExtractorTest, TestConnectionPassesEveryStepForTheReader) {
  core::CancelToken cancel;
  auto report = extractors::open_extractor(spec())->test_connection(cancel);
  std::set<std::string> names;
  for (const auto& s : report.steps) {
    names.insert(s.name);
    EXPECT_NE(s.status, extractors::StepStatus::failed) << s.name << ": " << s.error;
  }
  EXPECT_TRUE(report.ok());
  for (const char* n :
       {"resolve", "connect", "tls", "authenticate", "server_version", "list_databases"})
    EXPECT_TRUE(names.count(n)) << n;
  for (const char* step : {"read_tables", "read_view_definitions", "read_triggers", "read_events",
                           "read_routine_definitions"})
    EXPECT_TRUE(names.count(std::string(step) + ":" + k_shop)) << step;
}

TEST_F(MysqlExtractorTest, TestConnectionWithoutShowViewFailsThatStepAndNamesTheGrant) {
  core::CancelToken cancel;
  auto report = extractors::open_extractor(spec(k_noview))->test_connection(cancel);
  EXPECT_FALSE(report.ok());
  const extractors::TestStep* failed = nullptr;
  for (const auto& s : report.steps) {
    if (s.status == extractors::StepStatus::failed) {
      failed = &s;
      break;
    }
  }
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->name, "read_view_definitions:" + k_other);  // databases in byte order
  EXPECT_EQ(failed->hint, "GRANT SHOW VIEW ON `connctl.other db`.* TO 'connctl_noview'@'%'");
  EXPECT_NE(failed->error.find("SHOW VIEW"), std::string::npos);
}

TEST_F(MysqlExtractorTest, ExtractWithoutShowViewReportsTheViewsItCouldNotRead) {
  auto x = extract(spec(k_noview));
  std::set<std::string> skipped;
  for (const auto& w : x->sink.warnings) {
    EXPECT_TRUE(w.skipped);
    EXPECT_NE(w.message.find("SHOW VIEW"), std::string::npos);
    skipped.insert(w.object);
  }
  const int views = count_sql("SELECT COUNT(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA" +
                              std::string(k_user_dbs));
  EXPECT_EQ(static_cast<int>(skipped.size()), views);
  EXPECT_TRUE(skipped.count(fqn({k_shop, "top_customers"})));
  // The views are still listed, without a definition; tables are complete.
  const auto& top = get(*x, {k_shop, "top_customers"});
  EXPECT_TRUE(attr(top, "definition").is_null());
  EXPECT_NE(x->sink.find(fqn({k_shop, "orders", "total"})), nullptr);
  EXPECT_TRUE(x->sink.lineage.empty());
  for (const auto& c : x->result.completeness) {
    EXPECT_EQ(c.complete, c.fqn == fqn({"connctl_empty"})) << c.fqn;
  }
}

// ---------------------------------------------------------------- errors

TEST_F(MysqlExtractorTest, AWrongPasswordIsAConnectionErrorThatNeverShowsThePassword) {
  const std::string wrong = "Wrong-Pw-d00d";
  core::register_secret(wrong);
  CollectingSink sink;
  core::CancelToken cancel;
  try {
    extractors::open_extractor(spec(User{MariadbServer::k_reader, wrong}))
        ->extract({}, sink, cancel);
    FAIL() << "no error";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.code(), core::ExitCode::connection);
    EXPECT_EQ(std::string(e.what()).find(wrong), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("Access denied"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(sink.entities.empty());
  auto report = extractors::open_extractor(spec(User{MariadbServer::k_reader, wrong}))
                    ->test_connection(cancel);
  bool saw_auth = false;
  for (const auto& s : report.steps) {
    if (s.name == "connect") {
      EXPECT_EQ(s.status, extractors::StepStatus::ok);
    }
    if (s.name == "authenticate") {
      saw_auth = true;
      EXPECT_EQ(s.status, extractors::StepStatus::failed);
      EXPECT_EQ(s.error.find(wrong), std::string::npos);
    }
  }
  EXPECT_TRUE(saw_auth);
}

TEST_F(MysqlExtractorTest, AnUnreachableServerIsAConnectionError) {
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
  auto report = extractors::open_extractor(s)->test_connection(cancel);
  EXPECT_FALSE(report.ok());
}

}  // namespace
}  // namespace connctl::testing::mysql
