#include "schema/fqn.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace connctl::schema {
namespace {

struct FqnCase {
  std::vector<std::string> components;
  std::string written;
};

class FqnRoundTrip : public ::testing::TestWithParam<FqnCase> {};

TEST_P(FqnRoundTrip, WritesAndParsesBack) {
  const auto& c = GetParam();
  Fqn fqn(c.components);
  EXPECT_EQ(c.written, fqn.str());
  EXPECT_EQ(fqn, Fqn::parse(c.written));
}

INSTANTIATE_TEST_SUITE_P(
    Quoting, FqnRoundTrip,
    ::testing::Values(FqnCase{{"shop", "main", "orders", "id"}, "shop.main.orders.id"},
                      FqnCase{{"shop", "main", "order.items"}, R"(shop.main."order.items")"},
                      FqnCase{{"shop", "main", R"(say "hi")"}, R"(shop.main."say ""hi""")"},
                      FqnCase{{"shop", "main", "a b"}, R"(shop.main."a b")"},
                      FqnCase{{"shop", "main", "tab\tand\nnewline"},
                              "shop.main.\"tab\tand\nnewline\""},
                      FqnCase{{"shop", "", "t"}, R"(shop."".t)"},
                      FqnCase{{"shop", "main", "ünïcødé"}, "shop.main.ünïcødé"},
                      FqnCase{{"s", "main", R"(o.i "l" a)"}, R"(s.main."o.i ""l"" a")"}));

TEST(Fqn, ParentAndChild) {
  Fqn table({"shop", "main", "orders"});
  EXPECT_EQ("shop.main.orders.id", table.child("id").str());
  EXPECT_EQ("shop.main", table.parent().str());
  EXPECT_EQ("orders", table.name());
}

TEST(Fqn, RejectsUnterminatedQuoteAndStrayCharacters) {
  EXPECT_THROW(Fqn::parse(R"(shop."main)"), std::invalid_argument);
  EXPECT_THROW(Fqn::parse(R"(shop."main"x.t)"), std::invalid_argument);
}

}  // namespace
}  // namespace connctl::schema
