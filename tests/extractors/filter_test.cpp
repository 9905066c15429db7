#include "extractors/filter.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace connctl::extractors {
namespace {

using Path = std::vector<std::string>;

TEST(Filter, EmptyFilterMatchesEverything) {
  Filter f;
  EXPECT_TRUE(f.matches({"main", "orders"}));
  EXPECT_TRUE(f.may_contain({"main"}));
}

TEST(Filter, DescribeListsThePatternsSoThatTwoScopesCanBeCompared) {
  Filter a;
  EXPECT_EQ("", a.describe());
  a.include("main.*");
  a.exclude("main.tmp_*");
  EXPECT_EQ("include:main.*\nexclude:main.tmp_*\n", a.describe());
  Filter b;
  b.include("main.*");
  EXPECT_NE(a.describe(), b.describe());
}

TEST(Filter, GlobStarStaysInsideOneComponent) {
  Filter f;
  f.include("main.order*");
  EXPECT_TRUE(f.matches({"main", "orders"}));
  EXPECT_TRUE(f.matches({"main", "order_items"}));
  EXPECT_FALSE(f.matches({"main", "customers"}));
  EXPECT_FALSE(f.matches({"aux", "orders"}));
  // A name holding a dot is one component: '*' may match its dot.
  EXPECT_TRUE(f.matches({"main", "order.archive"}));
}

TEST(Filter, FewerComponentsSelectAWholeContainer) {
  Filter f;
  f.include("aux");
  EXPECT_TRUE(f.matches({"aux", "anything"}));
  EXPECT_FALSE(f.matches({"main", "orders"}));
  EXPECT_TRUE(f.may_contain({"aux"}));
  EXPECT_FALSE(f.may_contain({"main"}));
}

TEST(Filter, ExcludeWinsOverInclude) {
  Filter f;
  f.include("*");
  f.exclude("*.tmp_?");
  EXPECT_TRUE(f.matches({"main", "tmp_ab"}));
  EXPECT_FALSE(f.matches({"main", "tmp_a"}));
  EXPECT_TRUE(f.may_contain({"main"}));
  Filter g;
  g.exclude("main");
  EXPECT_FALSE(g.may_contain({"main"}));
  EXPECT_FALSE(g.matches({"main", "t"}));
}

TEST(Filter, QuotedComponentsMatchLiterally) {
  Filter f;
  f.include(R"(main."a.b c")");
  EXPECT_TRUE(f.matches({"main", "a.b c"}));
  EXPECT_FALSE(f.matches({"main", "axb c"}));
}

TEST(Filter, RegexPatternsMatchTheWholeDottedPath) {
  Filter f;
  f.include("re:main\\.(orders|customers)");
  EXPECT_TRUE(f.matches({"main", "orders"}));
  EXPECT_FALSE(f.matches({"main", "orders2"}));
  EXPECT_TRUE(f.may_contain({"main"}));
}

TEST(Filter, MalformedPatternsAreUsageErrors) {
  Filter f;
  try {
    f.include("re:(unclosed");
    FAIL() << "expected an error";
  } catch (const core::Error& e) {
    EXPECT_EQ(core::ExitCode::usage, e.code());
    EXPECT_NE(std::string(e.what()).find("re:(unclosed"), std::string::npos);
  }
  EXPECT_THROW(f.include(R"(main."open)"), core::Error);
  EXPECT_THROW(f.include(""), core::Error);
}

}  // namespace
}  // namespace connctl::extractors
