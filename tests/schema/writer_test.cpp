#include "schema/writer.hpp"

#include <gtest/gtest.h>

#include <cstdio>

#include "schema/value.hpp"
#include "support/test_support.hpp"

namespace connctl::schema {
namespace {

std::string write_document(OutputFormat format, bool with_records) {
  connctl::testing::TempDir dir;
  auto path = dir / "out";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  {
    DocumentWriter w(f, format, {"shop", "sqlite", "2026-11-22T00:00:00.000Z"});
    if (with_records) {
      w.on_entity(EntityBuilder("shop", EntityKind::database, Fqn({"shop", "main"}))
                      .set("engine", "sqlite")
                      .build());
      w.on_lineage({"shop.main.t", "shop.main.v", "view", {{"a", "a"}}});
      w.on_warning({"shop.main.x", "no such module: vec0", true});
    }
    w.finish({{{"shop.main", EntityKind::database, true}}, std::nullopt});
  }
  std::fclose(f);
  return connctl::testing::read_file(path);
}

TEST(DocumentWriter, JsonDocumentHasOneElementPerLine) {
  std::string doc = write_document(OutputFormat::json, true);
  EXPECT_EQ(
      "{\"format_version\":1,\"source\":\"shop\",\"extractor\":\"sqlite\",\"extracted_at\":\"2026-"
      "11-22T00:00:00.000Z\","
      "\"entities\":[\n"
      "{\"kind\":\"database\",\"fqn\":\"shop.main\",\"name\":\"main\",\"id\":\"" +
          make_entity_id("shop", EntityKind::database, "shop.main") + "\",\"fingerprint\":\"" +
          EntityBuilder("shop", EntityKind::database, Fqn({"shop", "main"}))
              .set("engine", "sqlite")
              .build()
              .fingerprint +
          "\",\"engine\":\"sqlite\"}\n"
          "],\"lineage\":[\n"
          "{\"from\":\"shop.main.t\",\"to\":\"shop.main.v\",\"kind\":\"view\",\"columns\":[[\"a\","
          "\"a\"]]}\n"
          "],\"warnings\":[\n"
          "{\"object\":\"shop.main.x\",\"message\":\"no such module: vec0\",\"skipped\":true}\n"
          "],\"completeness\":{\"status\":\"complete\",\"containers\":[{\"fqn\":\"shop.main\","
          "\"kind\":\"database\","
          "\"status\":\"complete\"}]}}\n",
      doc);
  EXPECT_NO_THROW(parse_json(doc));
}

TEST(DocumentWriter, NdjsonHasOneRecordPerLineWithADiscriminator) {
  std::string doc = write_document(OutputFormat::ndjson, true);
  std::vector<std::string> lines;
  for (std::size_t start = 0, end; (end = doc.find('\n', start)) != std::string::npos;
       start = end + 1) {
    lines.push_back(doc.substr(start, end - start));
  }
  ASSERT_EQ(5u, lines.size());
  const char* records[] = {"header", "entity", "lineage", "warning", "end"};
  for (std::size_t i = 0; i < lines.size(); ++i) {
    Value v = parse_json(lines[i]);
    EXPECT_EQ(records[i], v.find("record")->as_string()) << lines[i];
  }
  EXPECT_EQ(1, parse_json(lines[4]).find("entity_count")->as_int());
}

TEST(DocumentWriter, EmptyExtractionIsStillAValidDocument) {
  Value v = parse_json(write_document(OutputFormat::json, false));
  EXPECT_TRUE(v.find("entities")->as_array().empty());
  EXPECT_EQ("complete", v.find("completeness")->find("status")->as_string());
}

TEST(DocumentWriter, WritesNothingUntilTheFirstRecord) {
  connctl::testing::TempDir dir;
  auto path = dir / "out";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  { DocumentWriter w(f, OutputFormat::json, {"shop", "sqlite", "2026-11-22T00:00:00.000Z"}); }
  std::fclose(f);
  EXPECT_EQ("", connctl::testing::read_file(path));
}

}  // namespace
}  // namespace connctl::schema
