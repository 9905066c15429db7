#include "schema/entity.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "schema/writer.hpp"

namespace connctl::schema {
namespace {

Entity column(std::string_view source, std::string data_type, std::int64_t rows = 0) {
  EntityBuilder b(source, EntityKind::column,
                  Fqn({std::string(source), "main", "orders", "total"}));
  b.set("nullable", true).set("data_type", std::move(data_type)).set("ordinal", 3);
  if (rows) b.observe("row_count", rows);
  return b.build();
}

TEST(Entity, ParentIsTheContainerAndAbsentForADatabase) {
  EXPECT_EQ("shop.main.orders", column("shop", "REAL").parent);
  auto db = EntityBuilder("shop", EntityKind::database, Fqn({"shop", "main"})).build();
  EXPECT_FALSE(db.parent.has_value());
}

// A child built from its parent's written FQN is the entity the parsed FQN
// gives, whatever needs quoting in the name or the parent.
TEST(Entity, ChildOfAWrittenParentFqnEqualsTheOneFromTheFqn) {
  for (const auto& [parent, name] : std::vector<std::pair<Fqn, std::string>>{
           {Fqn({"shop", "main", "orders"}), "total"},
           {Fqn({"shop", "my db", "a.b", "Order \"Items\""}), "line no."},
           {Fqn({"shop", "main"}), ""},
       }) {
    EntityBuilder from_fqn("shop", EntityKind::column, parent.child(name));
    EntityBuilder from_text("shop", EntityKind::column, parent.str(), name);
    from_fqn.set("ordinal", 1);
    from_text.set("ordinal", 1);
    const Entity a = from_fqn.build();
    const Entity b = from_text.build();
    EXPECT_EQ(a.fqn, b.fqn);
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.parent, b.parent);
    EXPECT_EQ(parent.str(), b.parent);
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.fingerprint, b.fingerprint);
    EXPECT_EQ(Fqn::parse(b.fqn), parent.child(name));
  }
}

TEST(Entity, IdIsStableAndDependsOnSourceKindAndFqn) {
  EXPECT_EQ(column("shop", "REAL").id, column("shop", "REAL").id);
  EXPECT_EQ(make_entity_id("shop", EntityKind::column, "shop.main.orders.total"),
            column("shop", "REAL").id);
  EXPECT_NE(make_entity_id("shop", EntityKind::table, "shop.main.orders.total"),
            column("shop", "REAL").id);
  EXPECT_EQ(32u, column("shop", "REAL").id.size());
}

TEST(Entity, FingerprintFollowsTheBodyNotTheObservations) {
  EXPECT_EQ(column("shop", "REAL").fingerprint, column("shop", "REAL", 42).fingerprint);
  EXPECT_NE(column("shop", "REAL").fingerprint, column("shop", "INTEGER").fingerprint);
}

TEST(Entity, AttributesAreCanonicalWhateverTheOrderTheyWereSetIn) {
  auto a =
      EntityBuilder("s", EntityKind::table, Fqn({"s", "d", "t"})).set("b", 1).set("a", 2).build();
  auto b =
      EntityBuilder("s", EntityKind::table, Fqn({"s", "d", "t"})).set("a", 2).set("b", 1).build();
  EXPECT_EQ(a.fingerprint, b.fingerprint);
  EXPECT_EQ("a", a.attributes.front().first);
  EXPECT_EQ(entity_to_json(a), entity_to_json(b));
}

TEST(Entity, CanonicalBodyHasSortedKeysAndNoVolatileFields) {
  auto e = column("shop", "REAL", 7);
  EXPECT_EQ(
      R"({"data_type":"REAL","fqn":"shop.main.orders.total","kind":"column","name":"total","nullable":true,)"
      R"("ordinal":3,"parent":"shop.main.orders"})",
      to_canonical_json(e.body()));
}

TEST(Entity, DirectCanonicalBodyEqualsTheBuiltBody) {
  for (const Entity& e : {column("shop", "REAL", 7),
                          EntityBuilder("s", EntityKind::database, Fqn({"s", "d"})).build(),
                          EntityBuilder("s", EntityKind::index, Fqn({"s", "d", "t", "i"}))
                              .set("a_first", 1)
                              .set("zz_last", Array{Value("x"), Value(Object{{"b", 1}, {"a", 2}})})
                              .set("name_ish", "n")
                              .set("parent_like", true)
                              .build()}) {
    EXPECT_EQ(to_canonical_json(e.body()), canonical_body_json(e));
    EXPECT_EQ(fingerprint_of(e.body()), e.fingerprint);
  }
}

TEST(Entity, KindNamesRoundTrip) {
  for (auto kind : all_entity_kinds()) EXPECT_EQ(kind, parse_entity_kind(to_string(kind)));
  EXPECT_FALSE(parse_entity_kind("tabel"));
}

TEST(Value, InvalidUtf8IsReplacedSoTheJsonStaysValid) {
  Value v(std::string("ok\xff\xfe end"));
  EXPECT_EQ("\"ok\xEF\xBF\xBD\xEF\xBF\xBD end\"", to_canonical_json(v));
  EXPECT_EQ("\"café\"", to_canonical_json(Value("café")));
}

TEST(Value, ParseJsonCanonicalisesObjects) {
  Value v = parse_json(R"({"b":[1,2.5,"x",null,true],"a":{"z":1,"y":2}})");
  EXPECT_EQ(R"({"a":{"y":2,"z":1},"b":[1,2.5,"x",null,true]})", to_canonical_json(v));
  EXPECT_THROW(parse_json("{\"a\":"), std::runtime_error);
}

TEST(Value, NonFiniteDoublesBecomeNull) {
  EXPECT_EQ("[null]",
            to_canonical_json(Value(Array{Value(std::numeric_limits<double>::quiet_NaN())})));
}

}  // namespace
}  // namespace connctl::schema
