// The semantic diff, driven by the cases in tests/data/diff/*.json: each file
// holds either type-change cases or two entity sets and the expected changes.

#include "schema/diff.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "support/test_support.hpp"

namespace connctl::schema {
namespace {

std::filesystem::path diff_data() {
  return connctl::testing::source_dir() / "tests" / "data" / "diff";
}

Value load(const std::string& name) {
  return parse_json(connctl::testing::read_file(diff_data() / name));
}

std::vector<DiffEntity> entities(const Value& array) {
  std::vector<DiffEntity> out;
  for (const auto& record : array.as_array()) out.push_back(diff_entity_from_record(record));
  return out;
}

std::string describe(const Change& c) {
  std::string s = c.fqn + " " + c.kind + " " + std::string(to_string(c.change)) + " " +
                  std::string(to_string(c.grade));
  for (const auto& f : c.fields) s += " " + f.field;
  return s;
}

std::string describe_expected(const Value& c) {
  std::string s = c.find("fqn")->as_string() + " " + c.find("kind")->as_string() + " " +
                  c.find("change")->as_string() + " " + c.find("grade")->as_string();
  if (const Value* fields = c.find("fields")) {
    for (const auto& f : fields->as_array()) s += " " + f.as_string();
  }
  return s;
}

TEST(DiffTest, TypeChangesAreGradedAsTheCasesSay) {
  Value doc = load("types.json");
  for (const auto& c : doc.find("cases")->as_array()) {
    const auto& before = c.find("before")->as_string();
    const auto& after = c.find("after")->as_string();
    EXPECT_EQ(c.find("grade")->as_string(), to_string(grade_type_change(before, after)))
        << before << " -> " << after;
  }
}

TEST(DiffTest, EntityCasesProduceExactlyTheExpectedChanges) {
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(diff_data())) {
    if (entry.path().filename() == "types.json") continue;
    ++files;
    Value doc = load(entry.path().filename().string());
    auto changes = diff_entities(entities(*doc.find("before")), entities(*doc.find("after")));
    std::vector<std::string> got;
    for (const auto& c : changes) got.push_back(describe(c));
    std::vector<std::string> want;
    for (const auto& c : doc.find("changes")->as_array()) want.push_back(describe_expected(c));
    EXPECT_EQ(want, got) << entry.path().filename();
  }
  EXPECT_GE(files, 2u);
}

TEST(DiffTest, IdenticalSetsHaveNoChanges) {
  Value doc = load("columns.json");
  auto before = entities(*doc.find("before"));
  EXPECT_TRUE(diff_entities(before, before).empty());
}

TEST(DiffTest, FieldChangesCarryBeforeAndAfter) {
  Value doc = load("columns.json");
  auto changes = diff_entities(entities(*doc.find("before")), entities(*doc.find("after")));
  ASSERT_GE(changes.size(), 2u);
  ASSERT_EQ(1u, changes[1].fields.size());
  EXPECT_EQ(Value("int"), changes[1].fields[0].before);
  EXPECT_EQ(Value("bigint"), changes[1].fields[0].after);
}

}  // namespace
}  // namespace connctl::schema
