// The view-definition reader of the mysql extractor on definitions as
// MariaDB 10.11 stores them (copied from information_schema.VIEWS of the test
// server's tests/data/mysql views) and on hand-written edge cases.

#include "extractors/mysql/mysql_lineage.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace connctl::extractors::mysql {
namespace {

using Sources = std::vector<ColumnSource>;

ColumnSource col(std::string db, std::string table, std::string column) {
  return ColumnSource{TableRef{std::move(db), std::move(table)}, std::move(column)};
}

TEST(MysqlViewDefinition, JoinWithAliasesAndAggregates) {
  auto r = parse_view_definition(
      "select `c`.`id` AS `customer_id`,`c`.`name` AS `name`,sum(`o`.`total`) AS `total`,"
      "count(0) AS `orders` from (`connctl_shop`.`customers` `c` join `connctl_shop`.`orders` `o` "
      "on(`o`.`customer_id` = `c`.`id`)) group by `c`.`id`,`c`.`name`");
  EXPECT_EQ(r.tables,
            (std::vector<TableRef>{{"connctl_shop", "customers"}, {"connctl_shop", "orders"}}));
  ASSERT_EQ(r.columns.size(), 4u);
  EXPECT_EQ(r.columns[0], (Sources{col("connctl_shop", "customers", "id")}));
  EXPECT_EQ(r.columns[1], (Sources{col("connctl_shop", "customers", "name")}));
  EXPECT_EQ(r.columns[2], (Sources{col("connctl_shop", "orders", "total")}));
  EXPECT_TRUE(r.columns[3].empty());
}

TEST(MysqlViewDefinition, HostileNamesWithThreePartColumns) {
  auto r = parse_view_definition(
      "select `connctl_shop`.`order.items \"legacy\" archive`.`unit.price` AS `price`,"
      "`connctl_shop`.`order.items \"legacy\" archive`.`first name` AS `who` from "
      "`connctl_shop`.`order.items \"legacy\" archive` where "
      "`connctl_shop`.`order.items \"legacy\" archive`.`from` is null");
  const TableRef t{"connctl_shop", "order.items \"legacy\" archive"};
  EXPECT_EQ(r.tables, (std::vector<TableRef>{t}));
  ASSERT_EQ(r.columns.size(), 2u);
  EXPECT_EQ(r.columns[0], (Sources{{t, "unit.price"}}));
  EXPECT_EQ(r.columns[1], (Sources{{t, "first name"}}));
}

TEST(MysqlViewDefinition, UnionBranchesAddToTheSamePositions) {
  auto r = parse_view_definition(
      "select `connctl_shop`.`customers`.`email` AS `contact` from `connctl_shop`.`customers` "
      "union all select `connctl_shop`.`x`.`first name` AS `first name` from "
      "`connctl_shop`.`x`");
  ASSERT_EQ(r.columns.size(), 1u);
  EXPECT_EQ(r.columns[0], (Sources{col("connctl_shop", "customers", "email"),
                                   col("connctl_shop", "x", "first name")}));
}

TEST(MysqlViewDefinition, ScalarSubqueryFiltersGiveNoPairs) {
  auto r = parse_view_definition(
      "select `o`.`id` AS `id`,`o`.`total` AS `total`,(select `cu`.`email` from "
      "`connctl_shop`.`customers` `cu` where `cu`.`id` = `o`.`customer_id`) AS `email` from "
      "`connctl_shop`.`orders` `o` where `o`.`total` > (select "
      "avg(`connctl_shop`.`orders`.`total`) "
      "from `connctl_shop`.`orders`)");
  EXPECT_EQ(r.tables,
            (std::vector<TableRef>{{"connctl_shop", "customers"}, {"connctl_shop", "orders"}}));
  ASSERT_EQ(r.columns.size(), 3u);
  EXPECT_EQ(r.columns[2], (Sources{col("connctl_shop", "customers", "email")}));
}

TEST(MysqlViewDefinition, DerivedTablesAndParenthesisedBranches) {
  auto r = parse_view_definition(
      "(select `d`.`a` AS `a`, `t`.`b` AS `b` from (select `x`.`a` AS `a` from `db`.`x`) `d` "
      "join `db 2`.`t` on(`t`.`a` = `d`.`a`)) union (select `y`.`a`, `y`.`b` from `db`.`y`)");
  EXPECT_EQ(r.tables, (std::vector<TableRef>{{"db", "x"}, {"db", "y"}, {"db 2", "t"}}));
  ASSERT_EQ(r.columns.size(), 2u);
  EXPECT_EQ(r.columns[0], (Sources{col("db", "y", "a")}));  // `d` is derived: no pair
  EXPECT_EQ(r.columns[1], (Sources{col("db", "y", "b"), col("db 2", "t", "b")}));
}

TEST(MysqlViewDefinition, FunctionsStringsAndCommentsAreNotColumns) {
  auto r = parse_view_definition(
      "select `db`.`f`(`t`.`a`) AS `x`, 'it''s `t`.`b`' AS `s`, /* `t`.`c` */ `t`.`d` AS `d` "
      "from `db`.`t` `t`");
  ASSERT_EQ(r.columns.size(), 3u);
  EXPECT_EQ(r.columns[0], (Sources{col("db", "t", "a")}));
  EXPECT_TRUE(r.columns[1].empty());
  EXPECT_EQ(r.columns[2], (Sources{col("db", "t", "d")}));
}

TEST(MysqlViewDefinition, BacktickEscapesAndUnterminatedText) {
  auto r = parse_view_definition("select `a``b`.`c` AS `c` from `d`.`tick``tock` `a``b`");
  ASSERT_EQ(r.columns.size(), 1u);
  EXPECT_EQ(r.columns[0], (Sources{col("d", "tick`tock", "c")}));
  EXPECT_THROW(parse_view_definition("select `a from `b`.`c`"), std::runtime_error);
  EXPECT_THROW(parse_view_definition("select 1 /* open"), std::runtime_error);
}

}  // namespace
}  // namespace connctl::extractors::mysql
