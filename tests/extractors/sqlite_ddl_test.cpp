// The small DDL reader behind the SQLite extractor: what the pragmas do not
// tell (constraint names, CHECK texts, deferrability, generation expressions,
// index terms and predicates, trigger timing and event).

#include <gtest/gtest.h>

#include "extractors/sqlite/sqlite_ddl.hpp"

namespace connctl::extractors::sqlite {
namespace {

TEST(SqliteDdlTokenizer, SkipsCommentsAndUnquotesIdentifiersAndStrings) {
  auto tokens = tokenize(
      "CREATE /* a ( comment */ TABLE \"a \"\"b\"\"\" -- line ( comment\n"
      "([x y] `z``w` 'it''s', 1.5e-3, x'00ff')");
  std::vector<std::string> texts;
  for (const auto& t : tokens) texts.push_back(t.text);
  EXPECT_EQ(texts, (std::vector<std::string>{"CREATE", "TABLE", "a \"b\"", "(", "x y", "z`w",
                                             "it's", ",", "1.5e-3", ",", "00ff", ")"}));
  EXPECT_EQ(tokens[2].kind, Token::Kind::quoted_identifier);
  EXPECT_EQ(tokens[6].kind, Token::Kind::string);
  EXPECT_EQ(tokens[8].kind, Token::Kind::number);
  EXPECT_EQ(tokens[10].kind, Token::Kind::blob);
  EXPECT_TRUE(tokens[0].is_keyword("create"));
  EXPECT_FALSE(tokens[2].is_keyword("a \"b\""));
}

TEST(SqliteDdlTokenizer, UnterminatedQuoteRunsToTheEnd) {
  auto tokens = tokenize("SELECT 'abc");
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[1].text, "abc");
  EXPECT_TRUE(tokenize("/* never closed").empty());
}

TEST(SqliteDdlTable, ReadsChecksWithNamesInDdlOrder) {
  auto ddl = parse_create_table(
      "CREATE TABLE t (a INT CHECK (a > 0), b TEXT CONSTRAINT b_short CHECK (length(b) < 10 /* ) "
      "*/), "
      "c INT, CONSTRAINT pair CHECK (a < c) CHECK (c IN (1, 2, ')')))");
  ASSERT_EQ(ddl.checks.size(), 4u);
  EXPECT_FALSE(ddl.checks[0].name);
  EXPECT_EQ(ddl.checks[0].expression, "a > 0");
  EXPECT_EQ(ddl.checks[0].column, "a");
  EXPECT_EQ(ddl.checks[1].name, "b_short");
  EXPECT_EQ(ddl.checks[1].expression, "length(b) < 10 /* ) */");
  EXPECT_EQ(ddl.checks[2].name, "pair");
  EXPECT_EQ(ddl.checks[2].expression, "a < c");
  EXPECT_FALSE(ddl.checks[2].column);
  EXPECT_FALSE(ddl.checks[3].name);  // table constraints need no comma between them
  EXPECT_EQ(ddl.checks[3].expression, "c IN (1, 2, ')')");
}

TEST(SqliteDdlTable, ReadsForeignKeysWithDeferrability) {
  auto ddl = parse_create_table(
      "CREATE TABLE t (a INTEGER REFERENCES p (id) ON DELETE SET NULL DEFERRABLE INITIALLY "
      "DEFERRED, "
      "b INT CONSTRAINT b_fk REFERENCES q, c INT, d INT, "
      "FOREIGN KEY (c, d) REFERENCES r (x, y) ON UPDATE NO ACTION MATCH SIMPLE DEFERRABLE, "
      "CONSTRAINT late FOREIGN KEY (d) REFERENCES s NOT DEFERRABLE INITIALLY DEFERRED)");
  ASSERT_EQ(ddl.foreign_keys.size(), 4u);
  EXPECT_EQ(ddl.foreign_keys[0].columns, std::vector<std::string>{"a"});
  EXPECT_EQ(ddl.foreign_keys[0].referenced_table, "p");
  EXPECT_EQ(ddl.foreign_keys[0].referenced_columns, std::vector<std::string>{"id"});
  EXPECT_TRUE(ddl.foreign_keys[0].deferrable);
  EXPECT_TRUE(ddl.foreign_keys[0].initially_deferred);
  EXPECT_EQ(ddl.foreign_keys[1].name, "b_fk");
  EXPECT_TRUE(ddl.foreign_keys[1].referenced_columns.empty());
  EXPECT_FALSE(ddl.foreign_keys[1].deferrable);
  EXPECT_EQ(ddl.foreign_keys[2].columns, (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(ddl.foreign_keys[2].referenced_columns, (std::vector<std::string>{"x", "y"}));
  EXPECT_TRUE(ddl.foreign_keys[2].deferrable);
  EXPECT_FALSE(ddl.foreign_keys[2].initially_deferred);
  EXPECT_EQ(ddl.foreign_keys[3].name, "late");
  EXPECT_FALSE(ddl.foreign_keys[3].deferrable);
  EXPECT_FALSE(ddl.foreign_keys[3].initially_deferred);
}

TEST(SqliteDdlTable, ReadsPrimaryKeyAndUniqueNames) {
  auto ddl = parse_create_table(
      "CREATE TABLE IF NOT EXISTS main.\"t t\" (id INT CONSTRAINT t_pk PRIMARY KEY, e TEXT UNIQUE, "
      "f TEXT, g TEXT NOT NULL, CONSTRAINT fg UNIQUE (f COLLATE nocase, g DESC))");
  EXPECT_EQ(ddl.primary_key_name, "t_pk");
  ASSERT_EQ(ddl.uniques.size(), 2u);
  EXPECT_FALSE(ddl.uniques[0].name);
  EXPECT_EQ(ddl.uniques[0].columns, std::vector<std::string>{"e"});
  EXPECT_EQ(ddl.uniques[1].name, "fg");
  EXPECT_EQ(ddl.uniques[1].columns, (std::vector<std::string>{"f", "g"}));
}

TEST(SqliteDdlTable, ReadsColumnsThatFollowTableConstraints) {
  auto ddl = parse_create_table(
      "CREATE TABLE t (a INT, UNIQUE (a), c INT REFERENCES p DEFERRABLE INITIALLY DEFERRED "
      "CHECK (c > 0))");
  ASSERT_EQ(ddl.foreign_keys.size(), 1u);
  EXPECT_EQ(ddl.foreign_keys[0].columns, std::vector<std::string>{"c"});
  EXPECT_TRUE(ddl.foreign_keys[0].initially_deferred);
  ASSERT_EQ(ddl.checks.size(), 1u);
  EXPECT_EQ(ddl.checks[0].column, "c");
}

TEST(SqliteDdlTable, ConstraintNameAppliesOnlyToTheNextConstraint) {
  auto ddl = parse_create_table("CREATE TABLE t (a INT CONSTRAINT nn NOT NULL CHECK (a > 1))");
  ASSERT_EQ(ddl.checks.size(), 1u);
  EXPECT_FALSE(ddl.checks[0].name);
}

TEST(SqliteDdlTable, ReadsGenerationExpressions) {
  auto ddl = parse_create_table(
      "CREATE TABLE t (a INT DEFAULT (-1), b INT GENERATED ALWAYS AS (a * (2 + a)) VIRTUAL, "
      "\"C\" TEXT AS (lower('X)')) STORED NOT NULL)");
  ASSERT_NE(ddl.generation_expression("b"), nullptr);
  EXPECT_EQ(*ddl.generation_expression("b"), "a * (2 + a)");
  ASSERT_NE(ddl.generation_expression("c"), nullptr);
  EXPECT_EQ(*ddl.generation_expression("c"), "lower('X)')");
  EXPECT_EQ(ddl.generation_expression("a"), nullptr);
}

TEST(SqliteDdlTable, ReadsVirtualTableModule) {
  EXPECT_EQ(parse_create_table("CREATE VIRTUAL TABLE s USING fts5(a, b)").module, "fts5");
  EXPECT_EQ(parse_create_table("CREATE VIRTUAL TABLE IF NOT EXISTS x.\"s\" USING rtree").module,
            "rtree");
  EXPECT_FALSE(parse_create_table("CREATE TABLE t AS SELECT 1").module);
}

TEST(SqliteDdlIndex, ReadsTermsWithoutCollateAndOrder) {
  auto ddl = parse_create_index(
      "CREATE UNIQUE INDEX i ON t (lower(email) COLLATE NOCASE DESC, a, (b || 'x') ASC, c COLLATE "
      "\"rtrim\")");
  EXPECT_EQ(ddl.terms, (std::vector<std::string>{"lower(email)", "a", "(b || 'x')", "c"}));
  EXPECT_FALSE(ddl.predicate);
}

TEST(SqliteDdlIndex, ReadsPartialIndexPredicate) {
  auto ddl =
      parse_create_index("CREATE INDEX IF NOT EXISTS i ON t(a) WHERE status IN ('new', 'paid')\n");
  EXPECT_EQ(ddl.predicate, "status IN ('new', 'paid')");
}

TEST(SqliteDdlTrigger, ReadsTimingAndEvent) {
  auto t =
      parse_create_trigger("CREATE TRIGGER x AFTER UPDATE OF a, \"b c\" ON t BEGIN SELECT 1; END");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->timing, "AFTER");
  EXPECT_EQ(t->event, "UPDATE");
  EXPECT_EQ(t->event_columns, (std::vector<std::string>{"a", "b c"}));

  t = parse_create_trigger(
      "create temp trigger if not exists s.y instead of delete on v begin select 1; end");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->timing, "INSTEAD OF");
  EXPECT_EQ(t->event, "DELETE");

  t = parse_create_trigger("CREATE TRIGGER z INSERT ON t BEGIN SELECT 1; END");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->timing, "BEFORE");  // SQLite's default
  EXPECT_EQ(t->event, "INSERT");

  EXPECT_FALSE(parse_create_trigger("CREATE TABLE t (a)"));
}

TEST(SqliteDdlAffinity, FollowsSqliteRules) {
  EXPECT_EQ(column_affinity("INTEGER"), "INTEGER");
  EXPECT_EQ(column_affinity("tinyint"), "INTEGER");
  EXPECT_EQ(column_affinity("VARCHAR(20)"), "TEXT");
  EXPECT_EQ(column_affinity("CLOB"), "TEXT");
  EXPECT_EQ(column_affinity("BLOB"), "BLOB");
  EXPECT_EQ(column_affinity(""), "BLOB");
  EXPECT_EQ(column_affinity("DOUBLE PRECISION"), "REAL");
  EXPECT_EQ(column_affinity("FLOAT"), "REAL");
  EXPECT_EQ(column_affinity("DECIMAL(10,5)"), "NUMERIC");
  EXPECT_EQ(column_affinity("BOOLEAN"), "NUMERIC");
  EXPECT_EQ(column_affinity("CHARINT"), "INTEGER");  // rule 1 wins
  EXPECT_EQ(column_affinity("ANY"), "NUMERIC");
  EXPECT_EQ(column_affinity("ANY", true), "BLOB");
}

TEST(SqliteDdlQuote, DoublesInnerQuotes) {
  EXPECT_EQ(quote_identifier("a\"b"), "\"a\"\"b\"");
  EXPECT_TRUE(iequals("Main", "mAIN"));
  EXPECT_FALSE(iequals("main", "mainx"));
}

}  // namespace
}  // namespace connctl::extractors::sqlite
