#pragma once
// Helpers shared by the SQLite extractor suites: open the extractor through
// the registry as the CLI does, build the sample database, read attributes.

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "core/cancel.hpp"
#include "core/config.hpp"
#include "extractors/extractor.hpp"
#include "extractors/registry.hpp"
#include "schema/entity.hpp"
#include "schema/fqn.hpp"
#include "schema/value.hpp"
#include "support/extractor_support.hpp"
#include "support/test_support.hpp"

namespace connctl::schema {
// Readable gtest failure messages for attribute values.
inline void PrintTo(const Value& value, std::ostream* os) {
  *os << to_canonical_json(value);
}
}  // namespace connctl::schema

namespace connctl::testing::sqlite {

inline core::Setting setting(core::SettingValue value) {
  core::Location where;
  where.file = "test.toml";
  where.line = 1;
  where.column = 1;
  return core::Setting{std::move(value), where, false};
}

inline extractors::SourceSpec sqlite_spec(const std::string& name,
                                          const std::filesystem::path& path,
                                          const std::map<std::string, std::string>& attach = {}) {
  extractors::SourceSpec spec;
  spec.name = name;
  spec.type = "sqlite";
  spec.origin = "test.toml:1:1";
  spec.settings.set("path", setting(path.string()));
  if (!attach.empty()) spec.settings.set("attach", setting(attach));
  return spec;
}

inline std::unique_ptr<extractors::Extractor> open_sqlite(const extractors::SourceSpec& spec) {
  const extractors::ExtractorInfo* info = extractors::Registry::instance().find("sqlite");
  if (!info) throw std::runtime_error("the sqlite extractor is not registered");
  return info->factory(spec);
}

// An extraction through the registry (spec.type is sqlite).
inline std::unique_ptr<Extraction> run_extract(const extractors::SourceSpec& spec,
                                               const extractors::ExtractRequest& request = {}) {
  return testing::extract(spec, request);
}

// The sample database of examples/sample.sql, built in `dir`.
inline std::filesystem::path build_sample(const std::filesystem::path& dir,
                                          const std::string& file = "sample.db") {
  std::filesystem::path db = dir / file;
  create_sqlite_db(db, read_file(source_dir() / "examples" / "sample.sql"));
  return db;
}

inline std::string fqn(std::vector<std::string> components) {
  return schema::Fqn(std::move(components)).str();
}

inline bool has_attr(const schema::Entity& e, std::string_view key) {
  for (const auto& [k, v] : e.attributes) {
    if (k == key) return true;
  }
  return false;
}

inline schema::Value strings(std::vector<std::string> items) {
  schema::Array out;
  for (auto& s : items) out.emplace_back(std::move(s));
  return schema::Value(std::move(out));
}

}  // namespace connctl::testing::sqlite
