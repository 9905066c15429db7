// The generic `odbc` extractor against real drivers: the same database read
// natively (postgres, sqlite, mysql extractors) and through ODBC (psqlodbc,
// sqliteodbc, MariaDB Connector/ODBC) agrees on every object and attribute that
// tests/data/odbc/agreement.txt lists; plus configuration and failure cases.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/cancel.hpp"
#include "core/error.hpp"
#include "extractors/extractor.hpp"
#include "extractors/registry.hpp"
#include "schema/fqn.hpp"
#include "support/extractor_support.hpp"
#include "support/mariadb_server.hpp"
#include "support/pg_server.hpp"
#include "support/test_support.hpp"

namespace connctl::testing::odbc_extractor {
namespace {

using schema::Entity;
using schema::EntityKind;
using schema::Value;

extractors::SourceSpec spec(const std::string& type,
                            const std::map<std::string, core::SettingValue>& values,
                            const std::set<std::string>& secrets = {}) {
  // The same name on both sides, so that FQNs compare directly.
  extractors::SourceSpec s = base_spec("x", type);
  for (const auto& [key, value] : values) s.settings.set(key, setting(value, secrets.count(key)));
  return s;
}

std::string attr_json(const Entity& e, const std::string& key) {
  for (const auto& [k, v] : e.attributes) {
    if (k == key) return schema::to_canonical_json(v);
  }
  return "(absent)";
}

// One rule file: compare / ignore / skip lines for one source type.
struct Rules {
  std::map<std::string, std::vector<std::string>> compare;  // kind -> attributes
  std::map<std::string, std::vector<std::regex>> ignore;    // kind -> FQN patterns
  std::map<std::pair<std::string, std::string>, std::vector<std::regex>> skip;
};

Rules load_rules(const std::string& source_type) {
  std::ifstream in(source_dir() / "tests/data/odbc/agreement.txt");
  if (!in) throw std::runtime_error("tests/data/odbc/agreement.txt not found");
  Rules rules;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string verb, type, kind;
    words >> verb >> type >> kind;
    if (type != source_type) continue;
    if (verb == "compare") {
      auto& attributes = rules.compare[kind];
      for (std::string a; words >> a;) attributes.push_back(a);
    } else if (verb == "ignore") {
      std::string pattern;
      words >> pattern;
      rules.ignore[kind].emplace_back(pattern);
    } else if (verb == "skip") {
      std::string attribute, pattern;
      words >> attribute >> pattern;
      rules.skip[{kind, attribute}].emplace_back(pattern);
    } else {
      throw std::runtime_error("agreement.txt: unknown line: " + line);
    }
  }
  return rules;
}

bool any_match(const std::vector<std::regex>& patterns, const std::string& text) {
  for (const auto& p : patterns) {
    if (std::regex_search(text, p)) return true;
  }
  return false;
}

std::string attr_string(const Entity& e, const std::string& key) {
  for (const auto& [k, v] : e.attributes) {
    if (k == key && v.is_string()) return v.as_string();
  }
  return {};
}

// The key an object is matched by: its FQN, or for constraints the table
// (and the columns of a foreign key).
std::map<std::string, const Entity*> objects_of(const Extraction& x, const std::string& kind,
                                                const Rules& rules) {
  std::map<std::string, const Entity*> out;
  for (const Entity& e : x.sink.entities) {
    std::string key;
    if (kind == "primary_key" || kind == "foreign_key") {
      if (e.kind != EntityKind::constraint || attr_string(e, "constraint_type") != kind) continue;
      key = e.parent.value_or("") + (kind == "foreign_key" ? " " + attr_json(e, "columns") : "");
    } else {
      if (std::string(schema::to_string(e.kind)) != kind) continue;
      key = e.fqn;
    }
    auto it = rules.ignore.find(kind);
    if (it != rules.ignore.end() && any_match(it->second, e.fqn)) continue;
    out[key] = &e;
  }
  return out;
}

void expect_agreement(const Extraction& native, const Extraction& odbc,
                      const std::string& source_type) {
  Rules rules = load_rules(source_type);
  ASSERT_FALSE(rules.compare.empty());
  for (const auto& [kind, attributes] : rules.compare) {
    auto a = objects_of(native, kind, rules);
    auto b = objects_of(odbc, kind, rules);
    std::set<std::string> only_native, only_odbc;
    for (const auto& [key, e] : a) {
      if (!b.count(key)) only_native.insert(key);
    }
    for (const auto& [key, e] : b) {
      if (!a.count(key)) only_odbc.insert(key);
    }
    EXPECT_TRUE(only_native.empty())
        << kind << " only read natively: " << ::testing::PrintToString(only_native);
    EXPECT_TRUE(only_odbc.empty())
        << kind << " only read through ODBC: " << ::testing::PrintToString(only_odbc);
    std::size_t compared = 0;
    for (const auto& [key, e] : a) {
      auto it = b.find(key);
      if (it == b.end()) continue;
      ++compared;
      for (const auto& attribute : attributes) {
        auto skip = rules.skip.find({kind, attribute});
        if (skip != rules.skip.end() && any_match(skip->second, e->fqn)) continue;
        EXPECT_EQ(attr_json(*e, attribute), attr_json(*it->second, attribute))
            << kind << " " << key << " attribute " << attribute;
      }
    }
    EXPECT_GT(compared, 0u) << "nothing of kind " << kind << " to compare";
  }
}

// ---------------------------------------------------------------- registration, config

TEST(OdbcRegistration, DeclaresTypeSchemeAndSecretKeys) {
  const auto* info = extractors::Registry::instance().find("odbc");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->url_schemes, (std::vector<std::string>{"odbc"}));
  std::set<std::string> secrets;
  for (const auto& k : info->keys) {
    if (k.secret) secrets.insert(k.name);
  }
  EXPECT_EQ(secrets, (std::set<std::string>{"connection_string", "pwd"}));
}

TEST(OdbcConfig, NeedsExactlyOneOfDsnDriverConnectionString) {
  const auto* info = extractors::Registry::instance().find("odbc");
  try {
    info->factory(spec("odbc", {{"dsn", std::string("a")}, {"driver", std::string("b")}}));
    FAIL() << "accepted";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.code(), core::ExitCode::usage);
  }
  EXPECT_THROW(info->factory(spec("odbc", {})), core::Error);
}

TEST(OdbcExtract, UnknownDriverIsAConnectionErrorNamingIt) {
  auto s = spec(
      "odbc",
      {{"driver", std::string("Nonexistent ODBC 17")}, {"pwd", std::string("Never-Shown-81x")}},
      {"pwd"});
  try {
    extract(s);
    FAIL() << "extracted";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.code(), core::ExitCode::connection);
    EXPECT_NE(std::string(e.what()).find("Nonexistent ODBC 17"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("Never-Shown-81x"), std::string::npos) << e.what();
  }
}

TEST(OdbcExtract, MissingSqliteFileFailsAndIsNotCreated) {
  TempDir dir;
  auto missing = dir / "missing.db";
  try {
    extract(spec("odbc", {{"driver", std::string("SQLite3")}, {"database", missing.string()}}));
    FAIL() << "extracted";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.code(), core::ExitCode::connection) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(missing));
}

// ---------------------------------------------------------------- SQLite

class OdbcSqliteAgreement : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ifstream in(source_dir() / "examples/sample.sql");
    std::stringstream sql;
    sql << in.rdbuf();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(m_file.string().c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    int rc = sqlite3_exec(db, sql.str().c_str(), nullptr, nullptr, &error);
    std::string message = error ? error : "";
    sqlite3_free(error);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << message;
  }
  TempDir m_dir;
  std::filesystem::path m_file = m_dir / "sample.db";
};

TEST_F(OdbcSqliteAgreement, NativeAndOdbcAgree) {
  auto native = extract(spec("sqlite", {{"path", m_file.string()}}));
  auto odbc = extract(spec("odbc", {{"driver", std::string("SQLite3")},
                                    {"database", m_file.string()},
                                    {"database_name", std::string("main")}}));
  expect_agreement(*native, *odbc, "sqlite");
  EXPECT_TRUE(odbc->sink.warnings.empty());
  ASSERT_EQ(odbc->result.completeness.size(), 1u);
  EXPECT_EQ(odbc->result.completeness[0].fqn, "x.main");
  EXPECT_TRUE(odbc->result.completeness[0].complete);
}

TEST_F(OdbcSqliteAgreement, TestConnectionPassesEveryStep) {
  const auto* info = extractors::Registry::instance().find("odbc");
  core::CancelToken cancel;
  auto report = info->factory(spec("odbc", {{"driver", std::string("SQLite3")},
                                            {"database", m_file.string()}}))
                    ->test_connection(cancel);
  EXPECT_TRUE(report.ok());
  std::vector<std::string> names;
  for (const auto& step : report.steps) names.push_back(step.name);
  EXPECT_EQ(names, (std::vector<std::string>{"driver_manager", "driver", "connect", "authenticate",
                                             "list_tables", "read_columns", "read_procedures"}));
}

// ---------------------------------------------------------------- PostgreSQL

std::map<std::string, core::SettingValue> pg_native(const std::string& password) {
  PgServer& server = PgServer::instance();
  return {{"host", std::string("127.0.0.1")},
          {"port", std::int64_t{server.port()}},
          {"dbname", std::string(PgServer::k_database)},
          {"user", std::string(PgServer::k_reader)},
          {"password", password},
          {"sslmode", std::string("disable")}};
}

std::map<std::string, core::SettingValue> pg_odbc(const std::string& password) {
  PgServer& server = PgServer::instance();
  return {{"driver", std::string("PostgreSQL Unicode")},
          {"server", std::string("127.0.0.1")},
          {"port", std::int64_t{server.port()}},
          {"database", std::string(PgServer::k_database)},
          {"uid", std::string(PgServer::k_reader)},
          {"pwd", password},
          {"attributes", std::map<std::string, std::string>{{"SSLmode", "disable"}}}};
}

TEST(OdbcPostgresAgreement, NativeAndOdbcAgree) {
  auto native = extract(spec("postgres", pg_native(PgServer::k_reader_password), {"password"}));
  auto odbc = extract(spec("odbc", pg_odbc(PgServer::k_reader_password), {"pwd"}));
  expect_agreement(*native, *odbc, "postgres");
  for (const auto& w : odbc->sink.warnings) ADD_FAILURE() << w.object << ": " << w.message;
}

TEST(OdbcPostgresAgreement, WrongPasswordFailsAuthenticateWithoutThePassword) {
  const std::string password = "Not-The-Pw-3c1e";
  auto s = spec("odbc", pg_odbc(password), {"pwd"});
  try {
    extract(s);
    FAIL() << "extracted";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.code(), core::ExitCode::connection);
    EXPECT_EQ(std::string(e.what()).find(password), std::string::npos) << e.what();
  }
  const auto* info = extractors::Registry::instance().find("odbc");
  core::CancelToken cancel;
  auto report = info->factory(s)->test_connection(cancel);
  EXPECT_FALSE(report.ok());
  for (const auto& step : report.steps) {
    if (step.name == "connect") {
      EXPECT_EQ(step.status, extractors::StepStatus::ok);
    }
    if (step.name == "authenticate") {
      EXPECT_EQ(step.status, extractors::StepStatus::failed);
      EXPECT_EQ(step.error.find(password), std::string::npos) << step.error;
    }
  }
}

// ---------------------------------------------------------------- MariaDB

TEST(OdbcMariadbAgreement, NativeAndOdbcAgree) {
  MariadbServer& server = MariadbServer::instance();
  auto native = extract(spec("mysql",
                             {{"host", std::string("127.0.0.1")},
                              {"port", std::int64_t{server.port()}},
                              {"user", std::string(MariadbServer::k_reader)},
                              {"password", std::string(MariadbServer::k_reader_password)},
                              {"database", std::string(MariadbServer::k_shop)}},
                             {"password"}));
  auto odbc =
      extract(spec("odbc",
                   {{"driver", std::string("MariaDB Unicode")},
                    {"server", std::string("127.0.0.1")},
                    {"port", std::int64_t{server.port()}},
                    {"database", std::string(MariadbServer::k_shop)},
                    {"catalog", std::string(MariadbServer::k_shop)},
                    {"uid", std::string(MariadbServer::k_reader)},
                    {"pwd", std::string(MariadbServer::k_reader_password)},
                    {"attributes", std::map<std::string, std::string>{{"CHARSET", "utf8mb4"}}}},
                   {"pwd"}));
  expect_agreement(*native, *odbc, "mysql");
  for (const auto& w : odbc->sink.warnings) ADD_FAILURE() << w.object << ": " << w.message;
}

}  // namespace
}  // namespace connctl::testing::odbc_extractor
