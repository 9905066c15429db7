// The SQLite extractor against the sample database (examples/sample.sql):
// every entity kind and attribute, lineage, filters, statistics, attached
// databases, objects that cannot be read, concurrent writers and open errors.

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "core/error.hpp"
#include "core/url.hpp"
#include "sqlite_test_util.hpp"

namespace connctl::testing::sqlite {
namespace {

namespace fs = std::filesystem;
using schema::EntityKind;
using schema::Value;

class SqliteExtractorTest : public ::testing::Test {
 protected:
  void SetUp() override { m_db = build_sample(m_dir.path()); }

  std::unique_ptr<Extraction> extract(const extractors::ExtractRequest& request = {}) {
    return run_extract(sqlite_spec("shop", m_db), request);
  }

  const schema::Entity& get(const Extraction& x, const std::vector<std::string>& components) {
    const schema::Entity* e = x.sink.find(fqn(components));
    if (!e) throw std::runtime_error("no entity " + fqn(components));
    return *e;
  }

  TempDir m_dir;
  fs::path m_db;
};

// ---------------------------------------------------------------- registration

TEST(SqliteRegistration, DeclaresTypeKeysAndCapabilities) {
  const auto* info = extractors::Registry::instance().find("sqlite");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->url_schemes, std::vector<std::string>{"sqlite"});
  EXPECT_FALSE(info->description.empty());
  std::map<std::string, core::KeySpec> keys;
  for (const auto& k : info->keys) keys[k.name] = k;
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys["path"].type, core::KeyType::string);
  EXPECT_FALSE(keys["path"].required);
  EXPECT_EQ(keys["attach"].type, core::KeyType::string_table);
  EXPECT_EQ(keys["busy_timeout"].type, core::KeyType::duration);
  EXPECT_EQ(keys["busy_timeout"].default_value, "5s");
  for (const auto& [name, k] : keys) EXPECT_FALSE(k.secret) << name;
  EXPECT_TRUE(info->capabilities.lineage);
  EXPECT_TRUE(info->capabilities.column_lineage);
  EXPECT_TRUE(info->capabilities.stats);
  EXPECT_FALSE(info->capabilities.incremental);
  EXPECT_EQ(extractors::Registry::instance().find_by_scheme("sqlite"), info);
}

TEST(SqliteRegistration, AbsoluteUrlGivesPathAndProposesStem) {
  const auto* info = extractors::Registry::instance().find("sqlite");
  std::string name;
  core::Settings s =
      info->settings_from_url(core::parse_url("sqlite:///var/lib/shop/sample.db"), name);
  EXPECT_EQ(s.get_string("path"), "/var/lib/shop/sample.db");
  EXPECT_EQ(s.find("path")->where.file, "<command line>");
  EXPECT_FALSE(s.find("path")->secret);
  EXPECT_EQ(name, "sample");
}

TEST(SqliteRegistration, RelativeUrlIsMadeAbsoluteAgainstCurrentDirectory) {
  const auto* info = extractors::Registry::instance().find("sqlite");
  std::string name;
  core::Settings s = info->settings_from_url(core::parse_url("sqlite:data/shop.db"), name);
  EXPECT_EQ(s.get_string("path"), (fs::current_path() / "data" / "shop.db").string());
  EXPECT_EQ(name, "shop");
}

TEST(SqliteRegistration, UrlWithHostIsUsageError) {
  const auto* info = extractors::Registry::instance().find("sqlite");
  std::string name;
  try {
    info->settings_from_url(core::parse_url("sqlite://server/x.db"), name);
    FAIL() << "expected a usage error";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.code(), core::ExitCode::usage);
    EXPECT_NE(std::string(e.hint()).find("sqlite:///"), std::string::npos);
  }
}

TEST(SqliteRegistration, MissingPathIsUsageErrorNamingTheSource) {
  extractors::SourceSpec spec;
  spec.name = "shop";
  spec.type = "sqlite";
  spec.origin = "connctl.toml:4:1";
  try {
    open_sqlite(spec);
    FAIL() << "expected a usage error";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.code(), core::ExitCode::usage);
    EXPECT_NE(std::string(e.what()).find("'shop'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("connctl.toml:4:1"), std::string::npos) << e.what();
  }
}

TEST(SqliteRegistration, ReservedAttachAliasIsUsageError) {
  TempDir dir;
  auto spec = sqlite_spec("shop", dir / "a.db", {{"main", (dir / "b.db").string()}});
  try {
    open_sqlite(spec);
    FAIL() << "expected a usage error";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.code(), core::ExitCode::usage);
  }
}

// ---------------------------------------------------------------- entities

TEST_F(SqliteExtractorTest, DatabaseEntityDescribesTheFile) {
  auto x = extract();
  const auto& db = get(*x, {"shop", "main"});
  EXPECT_EQ(db.kind, EntityKind::database);
  EXPECT_EQ(db.name, "main");
  EXPECT_FALSE(db.parent);
  EXPECT_EQ(attr(db, "engine"), Value("sqlite"));
  EXPECT_EQ(attr(db, "file"), Value(m_db.string()));
  EXPECT_EQ(attr(db, "encoding"), Value("UTF-8"));
  EXPECT_EQ(attr(db, "user_version"), Value(3));
  EXPECT_EQ(attr(db, "application_id"), Value(1936224112));
  EXPECT_EQ(attr(db, "page_size"), Value(4096));
  EXPECT_TRUE(db.observations.empty());  // only with --stats
  ASSERT_EQ(x->result.completeness.size(), 1u);
  EXPECT_EQ(x->result.completeness[0].fqn, "shop.main");
  EXPECT_EQ(x->result.completeness[0].kind, EntityKind::database);
  EXPECT_TRUE(x->result.completeness[0].complete);
  EXPECT_TRUE(x->sink.warnings.empty());
  EXPECT_FALSE(x->result.watermark);
}

TEST_F(SqliteExtractorTest, ListsUserTablesAndViewsOnly) {
  auto x = extract();
  std::vector<std::string> tables;
  for (const auto* e : x->sink.of_kind(EntityKind::table)) tables.push_back(e->name);
  EXPECT_EQ(tables,
            (std::vector<std::string>{"addresses", "audit_log", "categories", "countries",
                                      "customers", "inventory", "order.items \"legacy\" archive",
                                      "order_items", "orders", "payments", "product_search",
                                      "product_suppliers", "products", "reviews", "suppliers"}));
  std::vector<std::string> views;
  for (const auto* e : x->sink.of_kind(EntityKind::view)) views.push_back(e->name);
  EXPECT_EQ(views, (std::vector<std::string>{"customer_revenue", "open_orders", "order_lines",
                                             "order_totals", "top_customers"}));
  for (const auto& e : x->sink.entities) {
    if (e.kind != EntityKind::table && e.kind != EntityKind::view) continue;
    EXPECT_EQ(e.name.rfind("sqlite_", 0), std::string::npos) << e.fqn;
    EXPECT_EQ(e.name.rfind("product_search_", 0), std::string::npos)
        << "shadow table listed: " << e.fqn;
  }
}

TEST_F(SqliteExtractorTest, EmitsInDeterministicOrder) {
  auto x = extract();
  const auto& entities = x->sink.entities;
  ASSERT_FALSE(entities.empty());
  EXPECT_EQ(entities[0].kind, EntityKind::database);
  // Relations sorted by name, each followed by its columns, constraints, indexes, triggers.
  std::string previous_relation;
  int previous_rank = 0;
  std::string previous_name;
  std::int64_t previous_ordinal = 0;
  auto rank = [](EntityKind k) {
    switch (k) {
      case EntityKind::column:
        return 1;
      case EntityKind::constraint:
        return 2;
      case EntityKind::index:
        return 3;
      case EntityKind::trigger:
        return 4;
      default:
        return 0;
    }
  };
  for (std::size_t i = 1; i < entities.size(); ++i) {
    const auto& e = entities[i];
    if (e.kind == EntityKind::table || e.kind == EntityKind::view) {
      EXPECT_LT(previous_relation, e.name);
      previous_relation = e.name;
      previous_rank = 0;
      continue;
    }
    ASSERT_EQ(e.parent, fqn({"shop", "main", previous_relation})) << e.fqn;
    int r = rank(e.kind);
    EXPECT_GE(r, previous_rank) << e.fqn;
    if (r == previous_rank && r == 1) {
      EXPECT_GT(attr(e, "ordinal").as_int(), previous_ordinal) << e.fqn;
    } else if (r == previous_rank) {
      EXPECT_LT(previous_name, e.name) << e.fqn;
    }
    if (r == 1) previous_ordinal = attr(e, "ordinal").as_int();
    previous_rank = r;
    previous_name = e.name;
  }
  // Same database, same output.
  auto again = extract();
  ASSERT_EQ(again->sink.entities.size(), entities.size());
  for (std::size_t i = 0; i < entities.size(); ++i) {
    EXPECT_EQ(again->sink.entities[i].fqn, entities[i].fqn);
    EXPECT_EQ(again->sink.entities[i].fingerprint, entities[i].fingerprint);
  }
  EXPECT_EQ(again->sink.lineage, x->sink.lineage);
}

TEST_F(SqliteExtractorTest, TableAttributes) {
  auto x = extract();
  const auto& orders = get(*x, {"shop", "main", "orders"});
  EXPECT_EQ(orders.parent, "shop.main");
  EXPECT_EQ(attr(orders, "table_type"), Value("base"));
  EXPECT_EQ(attr(orders, "without_rowid"), Value(false));
  EXPECT_EQ(attr(orders, "strict"), Value(false));
  EXPECT_FALSE(has_attr(orders, "module"));
  EXPECT_EQ(attr(orders, "definition").as_string().rfind("CREATE TABLE orders (", 0), 0u);
  EXPECT_TRUE(orders.observations.empty());

  EXPECT_EQ(attr(get(*x, {"shop", "main", "order_items"}), "without_rowid"), Value(true));
  EXPECT_EQ(attr(get(*x, {"shop", "main", "countries"}), "without_rowid"), Value(true));
  EXPECT_EQ(attr(get(*x, {"shop", "main", "payments"}), "strict"), Value(true));

  const auto& search = get(*x, {"shop", "main", "product_search"});
  EXPECT_EQ(attr(search, "table_type"), Value("virtual"));
  EXPECT_EQ(attr(search, "module"), Value("fts5"));
  EXPECT_EQ(attr(search, "definition"),
            Value("CREATE VIRTUAL TABLE product_search USING fts5(name, description, tokenize = "
                  "'porter unicode61')"));
}

TEST_F(SqliteExtractorTest, QuotedTableNameKeepsDotsQuotesAndSpaces) {
  auto x = extract();
  const std::string name = "order.items \"legacy\" archive";
  const auto& t = get(*x, {"shop", "main", name});
  EXPECT_EQ(t.fqn, "shop.main.\"order.items \"\"legacy\"\" archive\"");
  EXPECT_EQ(t.name, name);
  const auto& sku = get(*x, {"shop", "main", name, "sku"});
  EXPECT_EQ(sku.parent, t.fqn);
  EXPECT_EQ(attr(sku, "ordinal"), Value(3));
  EXPECT_EQ(schema::Fqn::parse(sku.fqn).components(),
            (std::vector<std::string>{"shop", "main", name, "sku"}));
}

TEST_F(SqliteExtractorTest, ColumnAttributes) {
  auto x = extract();
  const auto& id = get(*x, {"shop", "main", "customers", "id"});
  EXPECT_EQ(id.kind, EntityKind::column);
  EXPECT_EQ(id.parent, "shop.main.customers");
  EXPECT_EQ(attr(id, "ordinal"), Value(1));
  EXPECT_EQ(attr(id, "data_type"), Value("INTEGER"));
  EXPECT_EQ(attr(id, "affinity"), Value("INTEGER"));
  EXPECT_EQ(attr(id, "nullable"), Value(false));  // a rowid alias is never NULL
  EXPECT_EQ(attr(id, "primary_key_position"), Value(1));
  EXPECT_EQ(attr(id, "auto_increment"), Value(true));
  EXPECT_EQ(attr(id, "collation"), Value("BINARY"));
  EXPECT_FALSE(has_attr(id, "default"));
  EXPECT_FALSE(has_attr(id, "generated"));
  EXPECT_FALSE(has_attr(id, "hidden"));

  const auto& email = get(*x, {"shop", "main", "customers", "email"});
  EXPECT_EQ(attr(email, "collation"), Value("NOCASE"));
  EXPECT_EQ(attr(email, "nullable"), Value(false));
  EXPECT_EQ(attr(email, "auto_increment"), Value(false));
  EXPECT_EQ(attr(email, "primary_key_position"), Value(0));

  const auto& name = get(*x, {"shop", "main", "customers", "name"});
  EXPECT_EQ(attr(name, "data_type"), Value("VARCHAR(120)"));
  EXPECT_EQ(attr(name, "affinity"), Value("TEXT"));

  const auto& country = get(*x, {"shop", "main", "customers", "country_code"});
  EXPECT_EQ(attr(country, "default"), Value("'US'"));
  EXPECT_EQ(attr(get(*x, {"shop", "main", "customers", "created_at"}), "default"),
            Value("datetime('now')"));

  const auto& postal = get(*x, {"shop", "main", "addresses", "postal_code"});
  EXPECT_EQ(attr(postal, "nullable"), Value(true));

  EXPECT_EQ(attr(get(*x, {"shop", "main", "products", "vat_rate"}), "affinity"), Value("REAL"));
  EXPECT_EQ(attr(get(*x, {"shop", "main", "products", "discontinued"}), "affinity"),
            Value("NUMERIC"));
  const auto& details = get(*x, {"shop", "main", "payments", "details"});
  EXPECT_EQ(attr(details, "data_type"), Value("ANY"));
  EXPECT_EQ(attr(details, "affinity"), Value("BLOB"));

  const auto& virt = get(*x, {"shop", "main", "products", "price_with_vat_cents"});
  EXPECT_EQ(attr(virt, "generated"), Value("virtual"));
  EXPECT_EQ(attr(virt, "generation_expression"),
            Value("CAST(round(price_cents * (1 + vat_rate)) AS INTEGER)"));
  EXPECT_EQ(attr(virt, "ordinal"), Value(7));
  const auto& stored = get(*x, {"shop", "main", "order_items", "line_total_cents"});
  EXPECT_EQ(attr(stored, "generated"), Value("stored"));
  EXPECT_EQ(attr(stored, "generation_expression"), Value("quantity * unit_price_cents"));

  // The composite key of a WITHOUT ROWID table.
  EXPECT_EQ(attr(get(*x, {"shop", "main", "order_items", "order_id"}), "primary_key_position"),
            Value(1));
  EXPECT_EQ(attr(get(*x, {"shop", "main", "order_items", "line_no"}), "primary_key_position"),
            Value(2));
  EXPECT_EQ(attr(get(*x, {"shop", "main", "order_items", "line_no"}), "nullable"), Value(false));

  // fts5 declares hidden columns.
  const auto& rank = get(*x, {"shop", "main", "product_search", "rank"});
  EXPECT_EQ(attr(rank, "hidden"), Value(true));
  EXPECT_FALSE(has_attr(get(*x, {"shop", "main", "product_search", "name"}), "hidden"));
}

TEST_F(SqliteExtractorTest, ViewAndViewColumns) {
  auto x = extract();
  const auto& v = get(*x, {"shop", "main", "order_lines"});
  EXPECT_EQ(v.kind, EntityKind::view);
  EXPECT_EQ(
      attr(v, "definition").as_string().rfind("CREATE VIEW order_lines AS\nSELECT oi.order_id", 0),
      0u);
  EXPECT_FALSE(has_attr(v, "table_type"));
  const auto& product_name = get(*x, {"shop", "main", "order_lines", "product_name"});
  EXPECT_EQ(attr(product_name, "ordinal"), Value(4));
  EXPECT_EQ(attr(product_name, "data_type"), Value("TEXT"));
  EXPECT_EQ(attr(product_name, "affinity"), Value("TEXT"));
  EXPECT_EQ(attr(product_name, "nullable"), Value(true));
  EXPECT_FALSE(has_attr(product_name, "collation"));
  const auto& total = get(*x, {"shop", "main", "order_totals", "total_cents"});
  EXPECT_EQ(attr(total, "data_type"), Value(""));
  EXPECT_EQ(attr(total, "affinity"), Value("BLOB"));
}

TEST_F(SqliteExtractorTest, PrimaryKeyUniqueAndCheckConstraints) {
  auto x = extract();
  const auto& pk = get(*x, {"shop", "main", "order_items", "pk"});
  EXPECT_EQ(pk.kind, EntityKind::constraint);
  EXPECT_EQ(pk.parent, "shop.main.order_items");
  EXPECT_EQ(attr(pk, "constraint_type"), Value("primary_key"));
  EXPECT_EQ(attr(pk, "columns"), strings({"order_id", "line_no"}));

  const auto& named_unique = get(*x, {"shop", "main", "customers", "customers_email_unique"});
  EXPECT_EQ(attr(named_unique, "constraint_type"), Value("unique"));
  EXPECT_EQ(attr(named_unique, "columns"), strings({"email"}));
  const auto& sku_unique = get(*x, {"shop", "main", "products", "unique_1"});
  EXPECT_EQ(attr(sku_unique, "constraint_type"), Value("unique"));
  EXPECT_EQ(attr(sku_unique, "columns"), strings({"sku"}));

  const auto& check = get(*x, {"shop", "main", "orders", "check_1"});
  EXPECT_EQ(attr(check, "constraint_type"), Value("check"));
  EXPECT_EQ(attr(check, "expression"), Value("status IN ('new', 'paid', 'shipped', 'cancelled')"));
  EXPECT_EQ(attr(check, "columns"), strings({"status"}));
  const auto& named_check = get(*x, {"shop", "main", "products", "price_not_negative"});
  EXPECT_EQ(attr(named_check, "expression"), Value("price_cents >= 0"));
  const auto& table_check = get(*x, {"shop", "main", "customers", "check_1"});
  EXPECT_EQ(attr(table_check, "expression"), Value("length(name) > 0"));
  EXPECT_EQ(attr(table_check, "columns"), strings({"name"}));

  std::vector<std::string> names;
  for (const auto* e : x->sink.of_kind(EntityKind::constraint)) {
    if (e->parent == "shop.main.customers") names.push_back(e->name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"check_1", "customers_email_unique", "fk_1", "pk"}));
}

TEST_F(SqliteExtractorTest, ForeignKeyConstraints) {
  auto x = extract();
  const auto& named = get(*x, {"shop", "main", "orders", "orders_customer_fk"});
  EXPECT_EQ(attr(named, "constraint_type"), Value("foreign_key"));
  EXPECT_EQ(attr(named, "columns"), strings({"customer_id"}));
  EXPECT_EQ(attr(named, "referenced_table"), Value("shop.main.customers"));
  EXPECT_EQ(attr(named, "referenced_columns"), strings({"id"}));
  EXPECT_EQ(attr(named, "on_delete"), Value("RESTRICT"));
  EXPECT_EQ(attr(named, "on_update"), Value("NO ACTION"));
  EXPECT_EQ(attr(named, "match"), Value("NONE"));
  EXPECT_EQ(attr(named, "deferrable"), Value(false));
  EXPECT_EQ(attr(named, "initially_deferred"), Value(false));

  // The second foreign key of the DDL: fk_2, deferred.
  const auto& deferred = get(*x, {"shop", "main", "orders", "fk_2"});
  EXPECT_EQ(attr(deferred, "columns"), strings({"shipping_address_id"}));
  EXPECT_EQ(attr(deferred, "referenced_table"), Value("shop.main.addresses"));
  EXPECT_EQ(attr(deferred, "on_delete"), Value("SET NULL"));
  EXPECT_EQ(attr(deferred, "deferrable"), Value(true));
  EXPECT_EQ(attr(deferred, "initially_deferred"), Value(true));

  const auto& cascade = get(*x, {"shop", "main", "products", "fk_1"});
  EXPECT_EQ(attr(cascade, "on_delete"), Value("SET NULL"));
  EXPECT_EQ(attr(cascade, "on_update"), Value("CASCADE"));

  // REFERENCES countries (no columns): the referenced table's primary key.
  const auto& omitted = get(*x, {"shop", "main", "addresses", "fk_2"});
  EXPECT_EQ(attr(omitted, "referenced_table"), Value("shop.main.countries"));
  EXPECT_EQ(attr(omitted, "referenced_columns"), strings({"code"}));
  const auto& self = get(*x, {"shop", "main", "categories", "fk_1"});
  EXPECT_EQ(attr(self, "referenced_table"), Value("shop.main.categories"));
}

TEST_F(SqliteExtractorTest, Indexes) {
  auto x = extract();
  const auto& partial = get(*x, {"shop", "main", "orders", "idx_orders_open"});
  EXPECT_EQ(partial.kind, EntityKind::index);
  EXPECT_EQ(partial.parent, "shop.main.orders");
  EXPECT_EQ(attr(partial, "unique"), Value(false));
  EXPECT_EQ(attr(partial, "origin"), Value("create_index"));
  EXPECT_EQ(attr(partial, "partial"), Value(true));
  EXPECT_EQ(attr(partial, "predicate"), Value("status IN ('new', 'paid')"));
  EXPECT_EQ(
      attr(partial, "definition"),
      Value("CREATE INDEX idx_orders_open ON orders (ordered_at) WHERE status IN ('new', 'paid')"));

  const auto& multi = get(*x, {"shop", "main", "orders", "idx_orders_customer"});
  EXPECT_EQ(attr(multi, "partial"), Value(false));
  EXPECT_FALSE(has_attr(multi, "predicate"));
  EXPECT_EQ(attr(multi, "columns"),
            Value(schema::Array{
                Value(schema::Object{
                    {"collation", "BINARY"}, {"descending", false}, {"name", "customer_id"}}),
                Value(schema::Object{
                    {"collation", "BINARY"}, {"descending", true}, {"name", "ordered_at"}})}));

  const auto& expression = get(*x, {"shop", "main", "customers", "idx_customers_email_lower"});
  EXPECT_EQ(attr(expression, "unique"), Value(true));
  EXPECT_EQ(attr(expression, "columns"),
            Value(schema::Array{Value(schema::Object{
                {"collation", "BINARY"}, {"descending", false}, {"expression", "lower(email)"}})}));

  const auto& nocase = get(*x, {"shop", "main", "products", "idx_products_name"});
  EXPECT_EQ(attr(nocase, "columns"),
            Value(schema::Array{Value(schema::Object{
                {"collation", "NOCASE"}, {"descending", false}, {"name", "name"}})}));

  const auto& unique_auto = get(*x, {"shop", "main", "customers", "sqlite_autoindex_customers_1"});
  EXPECT_EQ(attr(unique_auto, "origin"), Value("unique_constraint"));
  EXPECT_EQ(attr(unique_auto, "unique"), Value(true));
  EXPECT_FALSE(has_attr(unique_auto, "definition"));
  const auto& pk_auto = get(*x, {"shop", "main", "order_items", "sqlite_autoindex_order_items_1"});
  EXPECT_EQ(attr(pk_auto, "origin"), Value("primary_key"));
}

TEST_F(SqliteExtractorTest, Triggers) {
  auto x = extract();
  const auto& audit = get(*x, {"shop", "main", "orders", "trg_orders_status_audit"});
  EXPECT_EQ(audit.kind, EntityKind::trigger);
  EXPECT_EQ(audit.parent, "shop.main.orders");
  EXPECT_EQ(attr(audit, "timing"), Value("AFTER"));
  EXPECT_EQ(attr(audit, "event"), Value("UPDATE"));
  EXPECT_EQ(attr(audit, "event_columns"), strings({"status"}));
  EXPECT_EQ(attr(audit, "definition")
                .as_string()
                .rfind("CREATE TRIGGER trg_orders_status_audit AFTER", 0),
            0u);

  const auto& insert = get(*x, {"shop", "main", "products", "trg_products_search_insert"});
  EXPECT_EQ(attr(insert, "event"), Value("INSERT"));
  EXPECT_FALSE(has_attr(insert, "event_columns"));

  const auto& instead = get(*x, {"shop", "main", "open_orders", "trg_open_orders_cancel"});
  EXPECT_EQ(instead.parent, "shop.main.open_orders");
  EXPECT_EQ(attr(instead, "timing"), Value("INSTEAD OF"));
  EXPECT_EQ(attr(instead, "event"), Value("DELETE"));
}

// ---------------------------------------------------------------- lineage

TEST_F(SqliteExtractorTest, LineageFollowsViewChainDownToColumns) {
  auto x = extract();
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  std::map<std::pair<std::string, std::string>, Pairs> edges;
  for (const auto& e : x->sink.lineage) {
    EXPECT_EQ(e.kind, "view");
    edges[{e.from, e.to}] = e.columns;
  }
  // Level 1: order_lines reads order_items and products.
  EXPECT_EQ(edges.at({"shop.main.order_items", "shop.main.order_lines"}),
            (Pairs{{"line_no", "line_no"},
                   {"line_total_cents", "line_total_cents"},
                   {"order_id", "order_id"},
                   {"product_id", "product_id"},
                   {"quantity", "quantity"},
                   {"unit_price_cents", "unit_price_cents"}}));
  EXPECT_EQ(edges.at({"shop.main.products", "shop.main.order_lines"}),
            (Pairs{{"name", "product_name"}}));
  // Level 2: order_totals reads orders and the view order_lines (aggregates have no column origin).
  EXPECT_EQ(edges.at({"shop.main.orders", "shop.main.order_totals"}),
            (Pairs{{"customer_id", "customer_id"},
                   {"id", "order_id"},
                   {"ordered_at", "ordered_at"},
                   {"status", "status"}}));
  EXPECT_TRUE(edges.count({"shop.main.order_lines", "shop.main.order_totals"}));
  EXPECT_FALSE(edges.count({"shop.main.products", "shop.main.order_totals"}))
      << "a read of a nested view";
  // Level 3 and 4: columns map through views to the view that was read.
  EXPECT_EQ(edges.at({"shop.main.customers", "shop.main.customer_revenue"}),
            (Pairs{{"email", "email"}, {"id", "customer_id"}, {"name", "name"}}));
  EXPECT_TRUE(edges.count({"shop.main.order_totals", "shop.main.customer_revenue"}));
  EXPECT_EQ(edges.at({"shop.main.customer_revenue", "shop.main.top_customers"}),
            (Pairs{{"customer_id", "customer_id"}, {"email", "email"}}));
  EXPECT_EQ(
      edges.at({"shop.main.order_totals", "shop.main.open_orders"}),
      (Pairs{
          {"customer_id", "customer_id"}, {"order_id", "order_id"}, {"ordered_at", "ordered_at"}}));
  EXPECT_EQ(edges.size(), 8u);
  // Sorted by (to, from).
  for (std::size_t i = 1; i < x->sink.lineage.size(); ++i) {
    const auto& a = x->sink.lineage[i - 1];
    const auto& b = x->sink.lineage[i];
    EXPECT_LT(std::tie(a.to, a.from), std::tie(b.to, b.from));
  }
}

TEST_F(SqliteExtractorTest, NoLineageWhenNotRequested) {
  extractors::ExtractRequest request;
  request.lineage = false;
  auto x = extract(request);
  EXPECT_TRUE(x->sink.lineage.empty());
  EXPECT_NE(x->sink.find("shop.main.order_lines"), nullptr);
}

TEST(SqliteLineage, TablesReadWithoutColumnsAreAttributedToTheirView) {
  TempDir dir;
  create_sqlite_db(dir / "l.db",
                   "CREATE TABLE t (a, b); CREATE TABLE u (x, y);"
                   "CREATE VIEW counted AS SELECT count(*) AS n FROM t;"
                   "CREATE VIEW crossed AS SELECT t.* FROM t, u;"
                   "CREATE VIEW nested AS SELECT n FROM counted;"
                   "CREATE VIEW joined AS SELECT c.a, u.x FROM crossed AS c JOIN u ON u.y = c.b;");
  auto x = run_extract(sqlite_spec("l", dir / "l.db"));
  std::set<std::pair<std::string, std::string>> edges;
  for (const auto& e : x->sink.lineage) edges.insert({e.from, e.to});
  EXPECT_EQ(edges, (std::set<std::pair<std::string, std::string>>{
                       {"l.main.t", "l.main.counted"},
                       {"l.main.t", "l.main.crossed"},
                       {"l.main.u", "l.main.crossed"},
                       {"l.main.counted", "l.main.nested"},
                       {"l.main.crossed", "l.main.joined"},
                       {"l.main.u", "l.main.joined"},
                   }));
  for (const auto& e : x->sink.lineage) {
    if (e.to == "l.main.joined" && e.from == "l.main.crossed") {
      EXPECT_EQ(e.columns, (std::vector<std::pair<std::string, std::string>>{{"a", "a"}}));
    }
  }
}

// ---------------------------------------------------------------- filters, stats, attach

TEST_F(SqliteExtractorTest, IncludeFilterSelectsTablesWithTheirChildren) {
  extractors::ExtractRequest request;
  request.filter.include("main.order*");
  auto x = extract(request);
  std::set<std::string> relations;
  for (const auto& e : x->sink.entities) {
    if (e.kind == EntityKind::table || e.kind == EntityKind::view) relations.insert(e.name);
    if (e.parent && e.kind != EntityKind::table && e.kind != EntityKind::view) {
      auto parent = schema::Fqn::parse(*e.parent);
      EXPECT_EQ(parent.name().rfind("order", 0), 0u) << e.fqn;
    }
  }
  EXPECT_EQ(relations, (std::set<std::string>{"order.items \"legacy\" archive", "order_items",
                                              "order_lines", "order_totals", "orders"}));
  EXPECT_NE(x->sink.find("shop.main.orders.trg_orders_status_audit"), nullptr);
  EXPECT_NE(x->sink.find("shop.main.orders.idx_orders_open"), nullptr);
  // A foreign key to a table outside the filter still names it.
  EXPECT_EQ(attr(*x->sink.find("shop.main.orders.orders_customer_fk"), "referenced_table"),
            Value("shop.main.customers"));
  // Lineage only into selected views, from whatever they read.
  for (const auto& e : x->sink.lineage) {
    EXPECT_TRUE(e.to == "shop.main.order_lines" || e.to == "shop.main.order_totals") << e.to;
  }
  EXPECT_EQ(x->sink.lineage.size(), 4u);
  ASSERT_EQ(x->result.completeness.size(), 1u);
  EXPECT_TRUE(x->result.completeness[0].complete);
}

TEST_F(SqliteExtractorTest, ExcludeFilterRemovesTables) {
  extractors::ExtractRequest request;
  request.filter.exclude("main.product*");
  request.filter.exclude("main.\"order.items \"\"legacy\"\" archive\"");  // quoted as in FQNs
  auto x = extract(request);
  for (const auto& e : x->sink.entities) {
    EXPECT_EQ(e.fqn.find("shop.main.product"), std::string::npos) << e.fqn;
    EXPECT_EQ(e.fqn.find("legacy"), std::string::npos) << e.fqn;
  }
  EXPECT_NE(x->sink.find("shop.main.orders"), nullptr);
}

TEST_F(SqliteExtractorTest, ExcludedDatabaseIsNotListed) {
  extractors::ExtractRequest request;
  request.filter.exclude("main");
  auto x = extract(request);
  EXPECT_TRUE(x->sink.entities.empty());
  EXPECT_TRUE(x->result.completeness.empty());
}

TEST_F(SqliteExtractorTest, StatsAddRowCountsAndSizes) {
  extractors::ExtractRequest request;
  request.stats = true;
  auto x = extract(request);
  EXPECT_EQ(observation(get(*x, {"shop", "main", "orders"}), "row_count"), Value(4));
  EXPECT_EQ(observation(get(*x, {"shop", "main", "order_items"}), "row_count"), Value(5));
  EXPECT_EQ(observation(get(*x, {"shop", "main", "audit_log"}), "row_count"), Value(1));
  EXPECT_EQ(observation(get(*x, {"shop", "main", "suppliers"}), "row_count"), Value(2));
  EXPECT_TRUE(get(*x, {"shop", "main", "order_lines"}).observations.empty());
  const auto& db = get(*x, {"shop", "main"});
  const std::int64_t pages = observation(db, "page_count").as_int();
  EXPECT_GT(pages, 10);
  EXPECT_EQ(observation(db, "size_bytes"), Value(pages * 4096));
  EXPECT_EQ(static_cast<std::int64_t>(fs::file_size(m_db)), pages * 4096);
  // Observations never change the fingerprint.
  auto plain = extract();
  EXPECT_EQ(plain->sink.find("shop.main.orders")->fingerprint,
            x->sink.find("shop.main.orders")->fingerprint);
}

TEST_F(SqliteExtractorTest, AttachedDatabasesFollowMainSortedByAlias) {
  create_sqlite_db(m_dir / "zeta.db",
                   "PRAGMA user_version = 9; CREATE TABLE z (id INTEGER PRIMARY KEY);");
  create_sqlite_db(m_dir / "archive.db",
                   "CREATE TABLE old_orders (id INTEGER PRIMARY KEY, total INT);"
                   "CREATE VIEW big_orders AS SELECT id FROM old_orders WHERE total > 100;");
  auto spec = sqlite_spec(
      "shop", m_db,
      {{"zeta", (m_dir / "zeta.db").string()}, {"archive", (m_dir / "archive.db").string()}});
  auto x = run_extract(spec);
  std::vector<std::string> databases;
  for (const auto* e : x->sink.of_kind(EntityKind::database)) databases.push_back(e->fqn);
  EXPECT_EQ(databases, (std::vector<std::string>{"shop.main", "shop.archive", "shop.zeta"}));
  const auto& archive = get(*x, {"shop", "archive"});
  EXPECT_EQ(attr(archive, "file"), Value((m_dir / "archive.db").string()));
  EXPECT_EQ(attr(get(*x, {"shop", "zeta"}), "user_version"), Value(9));
  EXPECT_EQ(get(*x, {"shop", "archive", "old_orders", "total"}).parent, "shop.archive.old_orders");
  // Entities of a database are contiguous: main, then archive, then zeta.
  std::vector<std::string> order;
  for (const auto& e : x->sink.entities) {
    std::string db = schema::Fqn::parse(e.fqn).components()[1];
    if (order.empty() || order.back() != db) order.push_back(db);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"main", "archive", "zeta"}));
  bool found = false;
  for (const auto& e : x->sink.lineage) {
    if (e.to == "shop.archive.big_orders") {
      EXPECT_EQ(e.from, "shop.archive.old_orders");
      EXPECT_EQ(e.columns, (std::vector<std::pair<std::string, std::string>>{{"id", "id"}}));
      found = true;
    }
  }
  EXPECT_TRUE(found);
  ASSERT_EQ(x->result.completeness.size(), 3u);
  EXPECT_EQ(x->result.completeness[1].fqn, "shop.archive");

  extractors::ExtractRequest only_archive;
  only_archive.filter.include("archive");
  auto y = run_extract(spec, only_archive);
  ASSERT_EQ(y->result.completeness.size(), 1u);
  EXPECT_EQ(y->result.completeness[0].fqn, "shop.archive");
  EXPECT_EQ(y->sink.find("shop.main"), nullptr);
}

// ---------------------------------------------------------------- objects that cannot be read

TEST(SqliteUnreadable, ViewOnDroppedTableIsSkippedAndTheRestExtracted) {
  TempDir dir;
  create_sqlite_db(dir / "b.db",
                   "CREATE TABLE t (a, b); CREATE TABLE u (x INTEGER, y TEXT);"
                   "CREATE VIEW broken AS SELECT a FROM t;"
                   "CREATE VIEW fine AS SELECT x, y FROM u;"
                   "DROP TABLE t;");
  auto x = run_extract(sqlite_spec("b", dir / "b.db"));
  ASSERT_EQ(x->sink.warnings.size(), 1u);
  EXPECT_EQ(x->sink.warnings[0].object, "b.main.broken");
  EXPECT_TRUE(x->sink.warnings[0].skipped);
  EXPECT_NE(x->sink.warnings[0].message.find("no such table"), std::string::npos)
      << x->sink.warnings[0].message;
  const auto* broken = x->sink.find("b.main.broken");
  ASSERT_NE(broken, nullptr);
  EXPECT_EQ(attr(*broken, "definition"), Value("CREATE VIEW broken AS SELECT a FROM t"));
  EXPECT_NE(x->sink.find("b.main.fine.y"), nullptr);
  EXPECT_NE(x->sink.find("b.main.u.x"), nullptr);
  ASSERT_EQ(x->sink.lineage.size(), 1u);
  EXPECT_EQ(x->sink.lineage[0].to, "b.main.fine");
  EXPECT_TRUE(x->result.completeness[0].complete);
}

TEST(SqliteUnreadable, VirtualTableWithUnknownModuleIsSkipped) {
  TempDir dir;
  create_sqlite_db(dir / "v.db",
                   "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT);"
                   "CREATE VIRTUAL TABLE s USING fts5(body);"
                   "PRAGMA writable_schema = ON;"
                   "INSERT INTO sqlite_schema (type, name, tbl_name, rootpage, sql) VALUES "
                   "('table', 'vt', 'vt', 0, 'CREATE VIRTUAL TABLE vt USING nosuchmodule(a, b)');");
  extractors::ExtractRequest request;
  request.stats = true;
  auto x = run_extract(sqlite_spec("v", dir / "v.db"), request);
  ASSERT_EQ(x->sink.warnings.size(), 1u);
  EXPECT_EQ(x->sink.warnings[0].object, "v.main.vt");
  EXPECT_TRUE(x->sink.warnings[0].skipped);
  EXPECT_NE(x->sink.warnings[0].message.find("no such module"), std::string::npos)
      << x->sink.warnings[0].message;
  const auto* vt = x->sink.find("v.main.vt");
  ASSERT_NE(vt, nullptr);
  EXPECT_EQ(attr(*vt, "table_type"), Value("virtual"));
  EXPECT_EQ(attr(*vt, "module"), Value("nosuchmodule"));
  EXPECT_NE(x->sink.find("v.main.t.b"), nullptr);
  EXPECT_NE(x->sink.find("v.main.s.body"), nullptr);
  EXPECT_EQ(observation(*x->sink.find("v.main.t"), "row_count"), Value(0));
}

// ---------------------------------------------------------------- the file is only read

TEST_F(SqliteExtractorTest, ExtractsWhileAnotherConnectionWrites) {
  {
    SQLite::Database setup(m_db.string(), SQLite::OPEN_READWRITE);
    setup.exec("PRAGMA journal_mode = WAL");
  }
  std::atomic<bool> stop{false};
  std::atomic<int> inserted{0};
  std::thread writer([&] {
    SQLite::Database db(m_db.string(), SQLite::OPEN_READWRITE, 5000);
    while (!stop.load()) {
      SQLite::Transaction txn(db);
      db.exec("INSERT INTO audit_log (table_name, row_id, action) VALUES ('orders', 1, 'poke')");
      db.exec("UPDATE inventory SET on_hand = on_hand + 1 WHERE product_id = 1");
      txn.commit();
      ++inserted;
    }
  });
  while (inserted.load() < 5) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::size_t entities = 0;
  for (int i = 0; i < 5; ++i) {
    extractors::ExtractRequest request;
    request.stats = true;
    auto x = extract(request);
    EXPECT_TRUE(x->sink.warnings.empty());
    EXPECT_GT(observation(get(*x, {"shop", "main", "audit_log"}), "row_count").as_int(), 1);
    if (entities) {
      EXPECT_EQ(x->sink.entities.size(), entities);
    }
    entities = x->sink.entities.size();
  }
  stop = true;
  writer.join();
  EXPECT_GT(inserted.load(), 5);
}

TEST_F(SqliteExtractorTest, WaitsForAWriterLockWithinBusyTimeout) {
  SQLite::Database writer(m_db.string(), SQLite::OPEN_READWRITE);
  writer.exec("BEGIN EXCLUSIVE");  // a rollback-journal writer blocks readers
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    writer.exec("COMMIT");
  });
  const auto start = std::chrono::steady_clock::now();
  auto x = extract();  // busy_timeout defaults to 5s
  release.join();
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(250));
  EXPECT_NE(x->sink.find("shop.main.orders"), nullptr);
}

TEST_F(SqliteExtractorTest, LockHeldBeyondBusyTimeoutIsConnectionError) {
  SQLite::Database writer(m_db.string(), SQLite::OPEN_READWRITE);
  writer.exec("BEGIN EXCLUSIVE");
  auto spec = sqlite_spec("shop", m_db);
  spec.settings.set("busy_timeout", setting(std::int64_t{150}));
  CollectingSink sink;
  core::CancelToken cancel;
  const auto start = std::chrono::steady_clock::now();
  try {
    open_sqlite(spec)->extract({}, sink, cancel);
    FAIL() << "expected a connection error";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.code(), core::ExitCode::connection);
    EXPECT_NE(std::string(e.what()).find("database is locked"), std::string::npos) << e.what();
    EXPECT_NE(e.hint().find("busy_timeout (150 ms)"), std::string::npos) << e.hint();
  }
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(140));
  EXPECT_LT(waited, std::chrono::milliseconds(4000));
  writer.exec("ROLLBACK");
}

// A process (the daemon) remembers the change signature of a source whose
// files settled (last changed a second or more ago) and, while they stat the
// same, answers without opening them: here, past a lock that would make an
// open fail. A file changed less than a second ago is always read, and a
// change that puts the old mtime back is still seen (ctime).
TEST_F(SqliteExtractorTest, ARememberedSignatureServesOnlySettledUnchangedFiles) {
  auto spec = sqlite_spec("shop", m_db);
  spec.settings.set("busy_timeout", setting(std::int64_t{50}));
  core::CancelToken cancel;
  auto signature = [&] { return open_sqlite(spec)->change_signature({}, cancel).value_or(""); };
  auto locked_out = [&] {
    try {
      signature();
      return false;
    } catch (const core::Error& e) {
      EXPECT_NE(std::string(e.what()).find("database is locked"), std::string::npos) << e.what();
      return true;
    }
  };
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // the sample settles
  const std::string settled = signature();
  ASSERT_FALSE(settled.empty());
  {
    SQLite::Database writer(m_db.string(), SQLite::OPEN_READWRITE);
    ASSERT_EQ(writer.execAndGet("PRAGMA journal_mode").getString(), "delete");
    writer.exec("BEGIN EXCLUSIVE");  // readers cannot open the schema now
    EXPECT_EQ(signature(), settled) << "remembered, the file is not opened";
    CollectingSink sink;
    EXPECT_THROW(open_sqlite(spec)->extract({}, sink, cancel), core::Error)
        << "an extraction does open it";
    writer.exec("ROLLBACK");
  }

  // A schema change that keeps the size, with the old mtime put back.
  const auto mtime = fs::last_write_time(m_db);
  const auto size = fs::file_size(m_db);
  {
    SQLite::Database writer(m_db.string(), SQLite::OPEN_READWRITE);
    writer.exec("ALTER TABLE addresses RENAME COLUMN line1 TO line_1");
  }
  fs::last_write_time(m_db, mtime);
  ASSERT_EQ(fs::file_size(m_db), size);
  const std::string fresh = signature();
  EXPECT_NE(fresh, settled);
  {
    SQLite::Database writer(m_db.string(), SQLite::OPEN_READWRITE);
    writer.exec("BEGIN EXCLUSIVE");
    EXPECT_TRUE(locked_out()) << "a file changed less than a second ago is read again";
    writer.exec("ROLLBACK");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(signature(), fresh);
  {
    SQLite::Database writer(m_db.string(), SQLite::OPEN_READWRITE);
    writer.exec("BEGIN EXCLUSIVE");
    EXPECT_EQ(signature(), fresh) << "settled again: remembered";
    writer.exec("ROLLBACK");
  }
}

TEST_F(SqliteExtractorTest, LeavesFileBytesAndMtimeUnchanged) {
  const std::string before = read_file(m_db);
  const auto mtime = fs::last_write_time(m_db);
  std::set<fs::path> files_before;
  for (const auto& entry : fs::directory_iterator(m_dir.path())) files_before.insert(entry.path());

  extractors::ExtractRequest request;
  request.stats = true;
  auto x = extract(request);
  core::CancelToken cancel;
  auto report = open_sqlite(sqlite_spec("shop", m_db))->test_connection(cancel);
  EXPECT_TRUE(report.ok());

  EXPECT_EQ(read_file(m_db), before);
  EXPECT_EQ(fs::last_write_time(m_db), mtime);
  std::set<fs::path> files_after;
  for (const auto& entry : fs::directory_iterator(m_dir.path())) files_after.insert(entry.path());
  EXPECT_EQ(files_after, files_before);  // no journal, -wal or -shm left behind
}

TEST(SqlitePaths, FileNamesWithUriCharactersOpen) {
  TempDir dir;
  fs::create_directories(dir / "my data#1");
  const fs::path db = dir / "my data#1" / "shop?v=2 100%é.db";
  const fs::path aux = dir / "my data#1" / "aux&mode=rw.db";
  create_sqlite_db(db, "CREATE TABLE t (a);");
  create_sqlite_db(aux, "CREATE TABLE u (b);");
  auto x = run_extract(sqlite_spec("p", db, {{"aux", aux.string()}}));
  EXPECT_NE(x->sink.find("p.main.t.a"), nullptr);
  EXPECT_NE(x->sink.find("p.aux.u.b"), nullptr);
  EXPECT_EQ(attr(*x->sink.find("p.main"), "file"), Value(db.string()));
  EXPECT_EQ(attr(*x->sink.find("p.aux"), "file"), Value(aux.string()));
}

// ---------------------------------------------------------------- open errors

void expect_connection_error(const extractors::SourceSpec& spec, const std::string& fragment) {
  CollectingSink sink;
  core::CancelToken cancel;
  try {
    open_sqlite(spec)->extract({}, sink, cancel);
    FAIL() << "expected a connection error";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.code(), core::ExitCode::connection);
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'" + spec.name + "'"), std::string::npos) << e.what();
    EXPECT_FALSE(e.hint().empty());
  }
  EXPECT_TRUE(sink.entities.empty());
}

TEST(SqliteOpenErrors, MissingFileIsConnectionErrorAndIsNotCreated) {
  TempDir dir;
  const fs::path missing = dir / "missing.db";
  expect_connection_error(sqlite_spec("shop", missing), missing.string() + ": no such file");
  EXPECT_FALSE(fs::exists(missing));
  core::CancelToken cancel;
  auto report = open_sqlite(sqlite_spec("shop", missing))->test_connection(cancel);
  EXPECT_FALSE(report.ok());
  ASSERT_FALSE(report.steps.empty());
  EXPECT_EQ(report.steps[0].name, "resolve");
  EXPECT_EQ(report.steps[0].status, extractors::StepStatus::failed);
  EXPECT_NE(report.steps[0].error.find("no such file"), std::string::npos);
  EXPECT_FALSE(fs::exists(missing));
}

TEST(SqliteOpenErrors, NotADatabaseIsConnectionError) {
  TempDir dir;
  std::ofstream(dir / "notes.db") << "these are my notes, not a database\n"
                                  << std::string(5000, 'x');
  expect_connection_error(sqlite_spec("shop", dir / "notes.db"), "file is not a database");
}

TEST(SqliteOpenErrors, CorruptSchemaIsConnectionError) {
  TempDir dir;
  const fs::path db = dir / "corrupt.db";
  create_sqlite_db(db, "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT); CREATE INDEX tb ON t (b);");
  {
    // Page 1 holds sqlite_schema after the 100-byte file header.
    std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    const std::string garbage(4096 - 100, '\xA5');
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  expect_connection_error(sqlite_spec("shop", db), "database disk image is malformed");
}

TEST(SqliteOpenErrors, DirectoryIsConnectionError) {
  TempDir dir;
  expect_connection_error(sqlite_spec("shop", dir.path()), "is a directory");
}

TEST(SqliteOpenErrors, MissingAttachedFileIsConnectionErrorNamingIt) {
  TempDir dir;
  create_sqlite_db(dir / "main.db", "CREATE TABLE t (a);");
  const fs::path missing = dir / "gone.db";
  expect_connection_error(sqlite_spec("shop", dir / "main.db", {{"aux", missing.string()}}),
                          missing.string() + ": no such file");
  EXPECT_FALSE(fs::exists(missing));
}

// ---------------------------------------------------------------- test-connection, cancellation

TEST_F(SqliteExtractorTest, TestConnectionRunsEveryStep) {
  core::CancelToken cancel;
  auto report = open_sqlite(sqlite_spec("shop", m_db))->test_connection(cancel);
  EXPECT_EQ(report.source, "shop");
  EXPECT_TRUE(report.ok());
  std::vector<std::string> names;
  for (const auto& s : report.steps) {
    names.push_back(s.name);
    EXPECT_EQ(s.status, extractors::StepStatus::ok) << s.name << ": " << s.error;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"resolve", "connect", "list_tables", "read_columns",
                                             "read_view_definitions", "read_statistics"}));
}

TEST_F(SqliteExtractorTest, CancelledRunStopsAsInterrupted) {
  CollectingSink sink;
  core::CancelToken cancel;
  cancel.cancel();
  try {
    open_sqlite(sqlite_spec("shop", m_db))->extract({}, sink, cancel);
    FAIL() << "expected an interruption";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.code(), core::ExitCode::interrupted);
  }
}

}  // namespace
}  // namespace connctl::testing::sqlite
