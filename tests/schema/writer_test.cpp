#include "schema/writer.hpp"

#include <gtest/gtest.h>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <random>

#include "schema/json_emit.hpp"
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

// Strings that need no escaping are copied between quotes; every string must
// come out as RapidJSON's own String() writes it (after the U+FFFD repair).
TEST(JsonWriterTest, PlainStringsAreWrittenAsRapidJsonWritesThem) {
  auto fast = [](std::string_view s) {
    rapidjson::StringBuffer buffer;
    detail::JsonWriter w(buffer);
    w.StartArray();
    detail::emit_string(w, s);
    detail::emit_string(w, s);
    w.EndArray();
    return std::string(buffer.GetString(), buffer.GetSize());
  };
  auto slow = [](std::string_view s) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    std::string scratch;
    const std::string_view v = detail::valid_utf8(s, scratch);
    w.StartArray();
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    w.EndArray();
    return std::string(buffer.GetString(), buffer.GetSize());
  };
  // Each special byte at every position of one and two eight-byte words.
  const std::string specials = std::string("\"\\\x01\x1f\x7f\x80\xff\t\n", 10) + '\0';
  for (std::size_t length = 0; length <= 17; ++length) {
    const std::string base(length, 'a');
    EXPECT_EQ(fast(base), slow(base));
    EXPECT_EQ(detail::plain_json_text(base), true);
    for (std::size_t at = 0; at < length; ++at) {
      for (char c : specials) {
        std::string s = base;
        s[at] = c;
        EXPECT_EQ(fast(s), slow(s)) << length << " " << at << " " << int(c);
        EXPECT_EQ(detail::plain_json_text(s), c == '\x7f') << length << " " << at << " " << int(c);
      }
    }
  }
  std::mt19937 random(7);
  for (int i = 0; i < 20000; ++i) {
    std::string s(random() % 40, ' ');
    for (char& c : s) c = static_cast<char>(random() % 4 ? 0x20 + random() % 0x60 : random() % 256);
    ASSERT_EQ(fast(s), slow(s)) << s;
  }
  EXPECT_EQ(fast("ünïcødé 名前"), "[\"ünïcødé 名前\",\"ünïcødé 名前\"]");
}

}  // namespace
}  // namespace connctl::schema
