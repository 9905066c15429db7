#include "schema/fqn.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace connctl::schema {
namespace {

struct FqnCase {
  std::string label;
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
    ::testing::Values(
        FqnCase{"plain", {"shop", "main", "orders", "id"}, "shop.main.orders.id"},
        FqnCase{"dot", {"shop", "main", "order.items"}, R"(shop.main."order.items")"},
        FqnCase{"quote", {"shop", "main", R"(say "hi")"}, R"(shop.main."say ""hi""")"},
        FqnCase{"space", {"shop", "main", "a b"}, R"(shop.main."a b")"},
        FqnCase{"control_characters",
                {"shop", "main", "tab\tand\nnewline"},
                "shop.main.\"tab\tand\nnewline\""},
        FqnCase{"empty_component", {"shop", "", "t"}, R"(shop."".t)"},
        FqnCase{"unicode", {"shop", "main", "ünïcødé"}, "shop.main.ünïcødé"},
        FqnCase{"everything", {"s", "main", R"(o.i "l" a)"}, R"(s.main."o.i ""l"" a")"}),
    [](const ::testing::TestParamInfo<FqnCase>& info) { return info.param.label; });

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
