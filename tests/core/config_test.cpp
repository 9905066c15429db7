// core/config: parsing connctl.toml, validation errors (with their exact
// file:line:column), ${env:}/${file:} references, secrets and the lookup order
// of the config file.

#include "core/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/secrets.hpp"
#include "support/test_support.hpp"

namespace connctl::core {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

// Two source types described as data, as an extractor's registration would:
// the tests do not depend on which extractors are linked.
std::optional<SourceTypeSchema> test_lookup(std::string_view type) {
  if (type == "sqlite") {
    return SourceTypeSchema{"sqlite",
                            {{"path", KeyType::string, true, false, "database file", ""},
                             {"attach", KeyType::string_table, false, false, "alias -> path", ""},
                             {"busy_timeout", KeyType::duration, false, false, "lock wait", "5s"}}};
  }
  if (type == "postgres") {
    return SourceTypeSchema{
        "postgres",
        {{"host", KeyType::string, false, false, "server", ""},
         {"port", KeyType::integer, false, false, "port", "5432"},
         {"dbname", KeyType::string, false, false, "database", ""},
         {"user", KeyType::string, false, false, "role", ""},
         {"password", KeyType::string, false, true, "password", ""},
         {"options", KeyType::string_table, false, false, "libpq options", ""}}};
  }
  return std::nullopt;
}

Config parse(std::string_view text) {
  return parse_config(text, "connctl.toml", test_lookup);
}

// The message of the usage error that parsing `text` throws ("" when none).
std::string parse_error(std::string_view text) {
  try {
    parse(text);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    return e.what();
  }
  return "";
}

void write_file(const fs::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

// Sets (or unsets) an environment variable for the lifetime of the object.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::optional<std::string>& value) : m_name(std::move(name)) {
    if (const char* old = std::getenv(m_name.c_str())) m_old = old;
    if (value) {
      ::setenv(m_name.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(m_name.c_str());
    }
  }
  ~ScopedEnv() {
    if (m_old) {
      ::setenv(m_name.c_str(), m_old->c_str(), 1);
    } else {
      ::unsetenv(m_name.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string m_name;
  std::optional<std::string> m_old;
};

class ScopedCwd {
 public:
  explicit ScopedCwd(const fs::path& dir) : m_old(fs::current_path()) { fs::current_path(dir); }
  ~ScopedCwd() { fs::current_path(m_old); }
  ScopedCwd(const ScopedCwd&) = delete;
  ScopedCwd& operator=(const ScopedCwd&) = delete;

 private:
  fs::path m_old;
};

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { clear_secrets_for_testing(); }
  void TearDown() override { clear_secrets_for_testing(); }
};

// ---------------------------------------------------------------------------
// A full, valid file

constexpr std::string_view k_full_config = R"(# every section and key kind
[catalog]
url = "sqlite:///var/lib/connctl/catalog.db"

[[source]]
name = "shop"
type = "postgres"
host = "db.internal"
port = 5432
user = "reader"
password = "${env:CONNCTL_TEST_PGPASS}"
include = ["public.*", "re:^sales\\..*"]
exclude = []
lineage = false
stats = true
options = { sslmode = "require", application_name = "connctl" }

[[source]]
name = "local_db-2"
type = "sqlite"
path = "examples/sample.db"
busy_timeout = "1m30s"

[source.attach]
other = "other.db"

[[job]]
name = "nightly"
source = "shop"
schedule = "0 3 * * *"
timezone = "Europe/Berlin"
mode = "full"
timeout = "2h"
retries = 3
overlap = "queue"
catch_up = "latest"
catch_up_deadline = "6h"
splay = 30
enabled = false

[[job]]
name = "hourly"
source = "local_db-2"
schedule = "@hourly"
)";

TEST_F(ConfigTest, ParsesAFullConfig) {
  ScopedEnv pass("CONNCTL_TEST_PGPASS", "s3cret-pw");
  Config config = parse(k_full_config);

  EXPECT_EQ(config.path, "");
  EXPECT_EQ(config.catalog.url, "sqlite:///var/lib/connctl/catalog.db");
  EXPECT_EQ(config.catalog.where.str(), "connctl.toml:2:1");

  ASSERT_EQ(config.sources.size(), 2u);
  const SourceConfig* shop = config.find_source("shop");
  ASSERT_NE(shop, nullptr);
  EXPECT_EQ(shop->type, "postgres");
  EXPECT_EQ(shop->where.str(), "connctl.toml:5:1");
  EXPECT_FALSE(shop->settings.has("name"));
  EXPECT_FALSE(shop->settings.has("type"));
  EXPECT_EQ(shop->settings.get_string("host"), "db.internal");
  EXPECT_EQ(shop->settings.get_integer("port"), 5432);
  EXPECT_EQ(shop->settings.get_string("password"), "s3cret-pw");
  EXPECT_TRUE(shop->settings.find("password")->secret);
  EXPECT_FALSE(shop->settings.find("host")->secret);
  EXPECT_EQ(shop->settings.find("password")->where.str(), "connctl.toml:11:1");
  EXPECT_EQ(shop->settings.get_string_list("include"),
            (std::vector<std::string>{"public.*", "re:^sales\\..*"}));
  EXPECT_EQ(shop->settings.get_string_list("exclude"), std::vector<std::string>{});
  EXPECT_EQ(shop->settings.get_bool("lineage"), false);
  EXPECT_EQ(shop->settings.get_bool("stats"), true);
  EXPECT_EQ(shop->settings.get_string_table("options"),
            (std::map<std::string, std::string>{{"sslmode", "require"},
                                                {"application_name", "connctl"}}));

  const SourceConfig* local = config.find_source("local_db-2");
  ASSERT_NE(local, nullptr);
  EXPECT_EQ(local->settings.get_string("path"), "examples/sample.db");
  EXPECT_EQ(local->settings.get_duration_ms("busy_timeout"), 90'000);
  EXPECT_EQ(local->settings.get_string_table("attach"),
            (std::map<std::string, std::string>{{"other", "other.db"}}));
  // Absent keys stay absent: defaults belong to the extractor.
  EXPECT_FALSE(local->settings.has("lineage"));
  EXPECT_EQ(config.find_source("nope"), nullptr);

  ASSERT_EQ(config.jobs.size(), 2u);
  const JobConfig* nightly = config.find_job("nightly");
  ASSERT_NE(nightly, nullptr);
  EXPECT_EQ(nightly->source, "shop");
  EXPECT_EQ(nightly->schedule, "0 3 * * *");
  EXPECT_EQ(nightly->timezone, "Europe/Berlin");
  EXPECT_EQ(nightly->mode, "full");
  EXPECT_EQ(nightly->timeout_ms, 7'200'000);
  EXPECT_EQ(nightly->retries, 3);
  EXPECT_EQ(nightly->overlap, "queue");
  EXPECT_EQ(nightly->catch_up, "latest");
  EXPECT_EQ(nightly->catch_up_deadline_ms, 21'600'000);
  EXPECT_EQ(nightly->splay_ms, 30'000);
  EXPECT_FALSE(nightly->enabled);
  EXPECT_EQ(nightly->where.str(), "connctl.toml:27:1");

  const JobConfig* hourly = config.find_job("hourly");
  ASSERT_NE(hourly, nullptr);
  EXPECT_EQ(hourly->schedule, "@hourly");
  EXPECT_EQ(hourly->timezone, std::nullopt);
  EXPECT_EQ(hourly->mode, "incremental");
  EXPECT_EQ(hourly->timeout_ms, std::nullopt);
  EXPECT_EQ(hourly->retries, 0);
  EXPECT_EQ(hourly->overlap, "skip");
  EXPECT_EQ(hourly->catch_up, "none");
  EXPECT_EQ(hourly->catch_up_deadline_ms, std::nullopt);
  EXPECT_EQ(hourly->splay_ms, 0);
  EXPECT_TRUE(hourly->enabled);
  EXPECT_EQ(config.find_job("nope"), nullptr);
}

TEST_F(ConfigTest, ParsesDaemonSettingsAndJobNotifications) {
  Config config = parse(R"([daemon]
max_concurrent_runs = 2
shutdown_grace = "45s"
on_failure = "https://hooks.example.com/connctl"
failure_threshold = 5
lease = "9s"

[[source]]
name = "a"
type = "sqlite"
path = "a.db"

[[job]]
name = "j"
source = "a"
schedule = "@daily"
retry_backoff = "10s"
on_failure = "logger -t connctl"

[[job]]
name = "k"
source = "a"
schedule = "@daily"
)");
  EXPECT_EQ(config.daemon.max_concurrent_runs, 2);
  EXPECT_EQ(config.daemon.shutdown_grace_ms, 45'000);
  EXPECT_EQ(config.daemon.on_failure, "https://hooks.example.com/connctl");
  EXPECT_EQ(config.daemon.failure_threshold, 5);
  EXPECT_EQ(config.daemon.lease_ms, 9'000);
  EXPECT_EQ(config.find_job("j")->retry_backoff_ms, 10'000);
  EXPECT_EQ(config.find_job("j")->on_failure, "logger -t connctl");
  EXPECT_EQ(config.find_job("k")->retry_backoff_ms, 30'000);
  EXPECT_EQ(config.find_job("k")->on_failure, std::nullopt);

  Config defaults = parse("");
  EXPECT_EQ(defaults.daemon.max_concurrent_runs, 4);
  EXPECT_EQ(defaults.daemon.shutdown_grace_ms, 30'000);
  EXPECT_EQ(defaults.daemon.on_failure, std::nullopt);
  EXPECT_EQ(defaults.daemon.failure_threshold, 3);
  EXPECT_EQ(defaults.daemon.lease_ms, 30'000);
}

TEST_F(ConfigTest, DaemonSettingsAreValidated) {
  const std::string job =
      "[[source]]\nname = \"a\"\ntype = \"sqlite\"\npath = \"a.db\"\n[[job]]\n"
      "name = \"j\"\nsource = \"a\"\nschedule = \"@daily\"\n";
  const std::pair<std::string, std::string> cases[] = {
      {"[daemon]\nmax_concurrent_runs = 0\n",
       "connctl.toml:2:1: daemon: key 'max_concurrent_runs': must be between 1 and 256, got 0"},
      {"[daemon]\nfailure_threshold = 0\n",
       "connctl.toml:2:1: daemon: key 'failure_threshold': must be 1 or more, got 0"},
      {"[daemon]\nlease = \"500ms\"\n",
       "connctl.toml:2:1: daemon: key 'lease': must be 1s or more, got 500ms"},
      {"[daemon]\nshutdown_grase = \"5s\"\n",
       "connctl.toml:2:1: daemon: unknown key 'shutdown_grase' (did you mean 'shutdown_grace'?)"},
      {"[daemon]\non_failure = \"ftp://x/y\"\n",
       "connctl.toml:2:1: daemon: key 'on_failure': a webhook must be an http:// or https:// URL, "
       "got 'ftp'"},
      {"daemon = 3\n", "connctl.toml:1:1: 'daemon' must be a table, got an integer"},
      {job + "retry_backoff = \"0s\"\n",
       "connctl.toml:9:1: job 'j': key 'retry_backoff': must be longer than 0s"},
      {job + "on_failure = \"  \"\n",
       "connctl.toml:9:1: job 'j': key 'on_failure': must not be empty"},
  };
  for (const auto& [toml, message] : cases) {
    EXPECT_EQ(parse_error(toml), message) << toml;
  }
}

TEST_F(ConfigTest, AcceptsAnEmptyFile) {
  Config config = parse("# nothing configured yet\n");
  EXPECT_FALSE(config.catalog.url);
  EXPECT_TRUE(config.sources.empty());
  EXPECT_TRUE(config.jobs.empty());
}

TEST_F(ConfigTest, UrlStandsInForTheTypesRequiredKeys) {
  Config config = parse(R"([[source]]
name = "local"
type = "sqlite"
url = "sqlite:///data/app.db"
)");
  EXPECT_EQ(config.sources.at(0).settings.get_string("url"), "sqlite:///data/app.db");
  EXPECT_FALSE(config.sources.at(0).settings.has("path"));
}

TEST_F(ConfigTest, DurationsAcceptIntegerSeconds) {
  Config config = parse(R"([[source]]
name = "a"
type = "sqlite"
path = "a.db"
busy_timeout = 7
)");
  EXPECT_EQ(config.sources.at(0).settings.get_duration_ms("busy_timeout"), 7'000);
}

TEST_F(ConfigTest, CommonKeysAreDescribed) {
  std::vector<std::string> names;
  for (const auto& key : common_source_keys()) {
    names.push_back(key.name);
    EXPECT_FALSE(key.description.empty()) << key.name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"name", "type", "url", "include", "exclude", "lineage",
                                             "stats"}));
  EXPECT_TRUE(common_source_keys()[0].required);
  EXPECT_TRUE(common_source_keys()[1].required);
  EXPECT_EQ(common_source_keys()[3].type, KeyType::string_list);
  EXPECT_EQ(common_source_keys()[5].default_value, "true");
  EXPECT_EQ(common_source_keys()[6].default_value, "false");
}

TEST_F(ConfigTest, KeyTypeNames) {
  EXPECT_EQ(to_string(KeyType::string), "string");
  EXPECT_EQ(to_string(KeyType::integer), "integer");
  EXPECT_EQ(to_string(KeyType::boolean), "boolean");
  EXPECT_EQ(to_string(KeyType::duration), "duration");
  EXPECT_EQ(to_string(KeyType::string_list), "string_list");
  EXPECT_EQ(to_string(KeyType::string_table), "string_table");
}

TEST_F(ConfigTest, ExampleConfigIsValid) {
  std::string text = testing::read_file(testing::source_dir() / "config.example.toml");
  Config config = parse(text);
  ASSERT_NE(config.find_source("sample"), nullptr);
  EXPECT_EQ(config.find_source("sample")->settings.get_string("path"), "examples/sample.db");
  ASSERT_NE(config.find_job("sample-nightly"), nullptr);

  // The commented postgres source is valid too once uncommented (the other
  // commented types are checked against the real registry in tests/cli).
  std::string uncommented;
  std::vector<std::string> block;
  auto flush = [&] {
    bool postgres = false;
    for (const auto& l : block) postgres = postgres || l == "# type = \"postgres\"";
    for (const auto& l : block) uncommented += (postgres ? l.substr(2) : l) + "\n";
    block.clear();
  };
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line == "# [[source]]") flush();
    if (!block.empty() || line == "# [[source]]") {
      if (line.starts_with("# ")) {
        block.push_back(line);
        continue;
      }
      flush();
    }
    uncommented += line + "\n";
  }
  flush();
  ScopedEnv pass("PGPASSWORD", "example-pw");
  config = parse(uncommented);
  ASSERT_NE(config.find_source("shop"), nullptr);
  EXPECT_EQ(config.find_source("shop")->settings.get_string("password"), "example-pw");
  EXPECT_EQ(config.find_source("shop")->settings.get_integer("port"), 5432);
}

// ---------------------------------------------------------------------------
// Errors: every one names file:line:column and the key. Each case is the
// whole file and the whole message.

struct ErrorCase {
  const char* name;
  const char* toml;
  const char* message;
};

const ErrorCase k_error_cases[] = {
    {"unknown_top_level_key_with_suggestion", "[[sources]]\nname = \"a\"\n",
     "connctl.toml:1:3: unknown top-level key 'sources' (did you mean 'source'?); expected "
     "[catalog], [daemon], [[source]] or [[job]]"},
    {"unknown_top_level_key", "verbose = true\n",
     "connctl.toml:1:1: unknown top-level key 'verbose'; expected [catalog], [daemon], "
     "[[source]] or [[job]]"},
    {"source_as_single_table", "[source]\nname = \"a\"\n",
     "connctl.toml:1:2: 'source' must be an array of tables: write [[source]], not [source]"},
    {"source_element_not_a_table", "source = [1]\n",
     "connctl.toml:1:11: each 'source' must be a table, got an integer"},
    {"catalog_not_a_table", "catalog = \"x.db\"\n",
     "connctl.toml:1:1: 'catalog' must be a table, got a string"},
    {"catalog_unknown_key", "[catalog]\nurl = \"a\"\npath = \"b\"\n",
     "connctl.toml:3:1: catalog: unknown key 'path'; the only key is 'url'"},
    {"catalog_url_wrong_type", "[catalog]\nurl = 5\n",
     "connctl.toml:2:1: catalog: key 'url': expected a string, got an integer"},
    {"catalog_url_bad_port", "[catalog]\nurl = \"postgresql://h:0/db\"\n",
     "connctl.toml:2:1: catalog: key 'url': malformed URL: port '0' is not a number from 1 to "
     "65535"},
    {"source_missing_name", "[[source]]\ntype = \"sqlite\"\n",
     "connctl.toml:1:1: source #1: missing required key 'name'"},
    {"source_name_wrong_type", "[[source]]\nname = 1\n",
     "connctl.toml:2:1: source #1: key 'name': expected a string, got an integer"},
    {"source_name_with_a_dot", "[[source]]\nname = \"a.b\"\ntype = \"sqlite\"\n",
     "connctl.toml:2:1: source #1: key 'name': 'a.b' is not a valid name: use letters, digits, '_' "
     "and "
     "'-'"},
    {"source_duplicate_name",
     "[[source]]\nname = \"a\"\ntype = \"sqlite\"\npath = \"a.db\"\n\n[[source]]\nname = \"a\"\n",
     "connctl.toml:7:1: source #2: duplicate source name 'a' (first defined at connctl.toml:1:1)"},
    {"source_missing_type", "[[source]]\nname = \"a\"\n",
     "connctl.toml:1:1: source 'a': missing required key 'type'"},
    {"source_unknown_type", "[[source]]\nname = \"a\"\n  type = \"oracle\"\n",
     "connctl.toml:3:3: source 'a': unknown source type 'oracle'; run 'connctl extractors list' to "
     "see "
     "the known types"},
    {"source_unknown_key_with_suggestion",
     "[[source]]\nname = \"shop\"\ntype = \"postgres\"\npasword = \"${env:X}\"\n",
     "connctl.toml:4:1: source 'shop': unknown key 'pasword' for type 'postgres' (did you mean "
     "'password'?)"},
    {"source_unknown_key_transposed",
     "[[source]]\nname = \"shop\"\ntype = \"postgres\"\nprot = 1\n",
     "connctl.toml:4:1: source 'shop': unknown key 'prot' for type 'postgres' (did you mean "
     "'port'?)"},
    {"source_unknown_key", "[[source]]\nname = \"shop\"\ntype = \"postgres\"\nwarehouse = \"x\"\n",
     "connctl.toml:4:1: source 'shop': unknown key 'warehouse' for type 'postgres'; run 'connctl "
     "extractors describe postgres' to list its keys"},
    {"source_wrong_type_integer",
     "[[source]]\nname = \"shop\"\ntype = \"postgres\"\n\nport = \"5432\"\n",
     "connctl.toml:5:1: source 'shop': key 'port': expected an integer, got a string"},
    {"source_wrong_type_boolean",
     "[[source]]\nname = \"shop\"\ntype = \"postgres\"\nlineage = \"yes\"\n",
     "connctl.toml:4:1: source 'shop': key 'lineage': expected a boolean, got a string"},
    {"source_wrong_type_string", "[[source]]\nname = \"shop\"\ntype = \"postgres\"\nhost = 1.5\n",
     "connctl.toml:4:1: source 'shop': key 'host': expected a string, got a float"},
    {"source_list_given_a_string",
     "[[source]]\nname = \"shop\"\ntype = \"postgres\"\ninclude = \"public.*\"\n",
     "connctl.toml:4:1: source 'shop': key 'include': expected an array of strings, got a string "
     "(write include = [\"…\"] for a single item)"},
    {"source_list_item_wrong_type",
     "[[source]]\nname = \"shop\"\ntype = \"postgres\"\nexclude = [\"a\",\n  2]\n",
     "connctl.toml:5:3: source 'shop': key 'exclude': item 2: expected a string, got an integer"},
    {"source_table_given_a_string",
     "[[source]]\nname = \"l\"\ntype = \"sqlite\"\npath = \"a.db\"\nattach = \"b.db\"\n",
     "connctl.toml:5:1: source 'l': key 'attach': expected a table of strings, got a string"},
    {"source_table_value_wrong_type",
     "[[source]]\nname = \"l\"\ntype = \"sqlite\"\npath = \"a.db\"\n[source.attach]\nb = "
     "\"b.db\"\nc = 3\n",
     "connctl.toml:7:1: source 'l': key 'attach.c': expected a string, got an integer"},
    {"source_duration_malformed",
     "[[source]]\nname = \"l\"\ntype = \"sqlite\"\npath = \"a.db\"\nbusy_timeout = \"5 minutes\"\n",
     "connctl.toml:5:1: source 'l': key 'busy_timeout': expected a duration such as \"30s\", "
     "\"5m\", "
     "\"1h30m\" or \"250ms\", got \"5 minutes\""},
    {"source_duration_negative",
     "[[source]]\nname = \"l\"\ntype = \"sqlite\"\npath = \"a.db\"\nbusy_timeout = -5\n",
     "connctl.toml:5:1: source 'l': key 'busy_timeout': expected a duration such as \"30s\", "
     "\"5m\", "
     "\"1h30m\" or \"250ms\", got -5 seconds"},
    {"source_duration_wrong_type",
     "[[source]]\nname = \"l\"\ntype = \"sqlite\"\npath = \"a.db\"\nbusy_timeout = true\n",
     "connctl.toml:5:1: source 'l': key 'busy_timeout': expected a duration such as \"30s\", "
     "\"5m\", "
     "\"1h30m\" or \"250ms\", got a boolean"},
    {"source_missing_required_type_key", "\n[[source]]\nname = \"l\"\ntype = \"sqlite\"\n",
     "connctl.toml:2:1: source 'l': missing required key 'path'"},
    {"source_url_bad_port",
     "[[source]]\nname = \"shop\"\ntype = \"postgres\"\nurl = \"postgresql://h:99999/db\"\n",
     "connctl.toml:4:1: source 'shop': key 'url': malformed URL: port '99999' is not a number from "
     "1 "
     "to 65535"},
    {"reference_unset_variable",
     "[[source]]\nname = \"shop\"\ntype = \"postgres\"\nhost = \"h\"\npassword = "
     "\"${env:CONNCTL_TEST_UNSET}\"\n",
     "connctl.toml:5:1: key 'password': environment variable CONNCTL_TEST_UNSET is not set"},
    {"reference_in_list_points_at_the_item",
     "[[source]]\nname = \"shop\"\ntype = \"postgres\"\ninclude = [\"a\", "
     "\"${env:CONNCTL_TEST_UNSET}\"]\n",
     "connctl.toml:4:17: key 'include': environment variable CONNCTL_TEST_UNSET is not set"},
    {"job_missing_name", "[[job]]\nsource = \"a\"\n",
     "connctl.toml:1:1: job #1: missing required key 'name'"},
    {"job_unknown_key_with_suggestion",
     "[[source]]\nname = \"a\"\ntype = \"sqlite\"\npath = \"a.db\"\n[[job]]\nname = \"j\"\nsource "
     "= "
     "\"a\"\nschedule = \"@daily\"\ntime_zone = \"UTC\"\n",
     "connctl.toml:9:1: job 'j': unknown key 'time_zone' (did you mean 'timezone'?)"},
    {"job_missing_schedule",
     "[[source]]\nname = \"a\"\ntype = \"sqlite\"\npath = \"a.db\"\n[[job]]\nname = \"j\"\nsource "
     "= \"a\"\n",
     "connctl.toml:5:1: job 'j': missing required key 'schedule'"},
    {"job_empty_schedule",
     "[[source]]\nname = \"a\"\ntype = \"sqlite\"\npath = \"a.db\"\n[[job]]\nname = \"j\"\nsource "
     "= "
     "\"a\"\nschedule = \" \"\n",
     "connctl.toml:8:1: job 'j': key 'schedule': must not be empty"},
    {"job_unknown_source",
     "[[source]]\nname = \"shop\"\ntype = \"sqlite\"\npath = \"a.db\"\n[[job]]\nname = "
     "\"j\"\nsource = "
     "\"shpo\"\nschedule = \"@daily\"\n",
     "connctl.toml:7:1: job 'j': key 'source': no [[source]] named 'shpo' (did you mean 'shop'?)"},
    {"job_bad_mode",
     "[[source]]\nname = \"a\"\ntype = \"sqlite\"\npath = \"a.db\"\n[[job]]\nname = \"j\"\nsource "
     "= "
     "\"a\"\nschedule = \"@daily\"\nmode = \"fast\"\n",
     "connctl.toml:9:1: job 'j': key 'mode': expected \"incremental\" or \"full\", got \"fast\""},
    {"job_bad_overlap",
     "[[source]]\nname = \"a\"\ntype = \"sqlite\"\npath = \"a.db\"\n[[job]]\nname = \"j\"\nsource "
     "= "
     "\"a\"\nschedule = \"@daily\"\noverlap = \"kill\"\n",
     "connctl.toml:9:1: job 'j': key 'overlap': expected \"skip\" or \"queue\", got \"kill\""},
    {"job_bad_catch_up",
     "[[source]]\nname = \"a\"\ntype = \"sqlite\"\npath = \"a.db\"\n[[job]]\nname = \"j\"\nsource "
     "= "
     "\"a\"\nschedule = \"@daily\"\ncatch_up = \"all\"\n",
     "connctl.toml:9:1: job 'j': key 'catch_up': expected \"none\" or \"latest\", got \"all\""},
    {"job_negative_retries",
     "[[source]]\nname = \"a\"\ntype = \"sqlite\"\npath = \"a.db\"\n[[job]]\nname = \"j\"\nsource "
     "= "
     "\"a\"\nschedule = \"@daily\"\nretries = -1\n",
     "connctl.toml:9:1: job 'j': key 'retries': must be 0 or more, got -1"},
    {"job_zero_timeout",
     "[[source]]\nname = \"a\"\ntype = \"sqlite\"\npath = \"a.db\"\n[[job]]\nname = \"j\"\nsource "
     "= "
     "\"a\"\nschedule = \"@daily\"\ntimeout = \"0s\"\n",
     "connctl.toml:9:1: job 'j': key 'timeout': must be longer than 0s"},
    {"job_wrong_type",
     "[[source]]\nname = \"a\"\ntype = \"sqlite\"\npath = \"a.db\"\n[[job]]\nname = \"j\"\nsource "
     "= "
     "\"a\"\nschedule = \"@daily\"\nenabled = \"yes\"\n",
     "connctl.toml:9:1: job 'j': key 'enabled': expected a boolean, got a string"},
    {"job_bad_splay",
     "[[source]]\nname = \"a\"\ntype = \"sqlite\"\npath = \"a.db\"\n[[job]]\nname = \"j\"\nsource "
     "= "
     "\"a\"\nschedule = \"@daily\"\nsplay = \"1x\"\n",
     "connctl.toml:9:1: job 'j': key 'splay': expected a duration such as \"30s\", \"5m\", "
     "\"1h30m\" "
     "or \"250ms\", got \"1x\""},
    {"job_duplicate_name",
     "[[source]]\nname = \"a\"\ntype = \"sqlite\"\npath = \"a.db\"\n[[job]]\nname = \"j\"\nsource "
     "= "
     "\"a\"\nschedule = \"@daily\"\n[[job]]\nname = \"j\"\n",
     "connctl.toml:10:1: job #2: duplicate job name 'j' (first defined at connctl.toml:5:1)"},
};

class ConfigErrorTest : public ::testing::TestWithParam<ErrorCase> {
 protected:
  void SetUp() override { ::unsetenv("CONNCTL_TEST_UNSET"); }
};

TEST_P(ConfigErrorTest, NamesFileLineColumnAndKey) {
  EXPECT_EQ(parse_error(GetParam().toml), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(Config, ConfigErrorTest, ::testing::ValuesIn(k_error_cases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_F(ConfigTest, TomlSyntaxErrorNamesFileLineColumn) {
  std::string message = parse_error("[[source]]\nname = \"a\"\ntype = \n");
  EXPECT_THAT(message, ::testing::StartsWith("connctl.toml:3:8: "));
  EXPECT_THAT(message, HasSubstr("expected value"));
}

TEST_F(ConfigTest, FirstErrorInFileOrderIsReported) {
  // toml++ keeps keys sorted by name; the report must follow the file.
  std::string message = parse_error(
      "[[source]]\nname = \"shop\"\ntype = \"postgres\"\nzzz = 1\nport = \"x\"\naaa = 2\n");
  EXPECT_EQ(message,
            "connctl.toml:4:1: source 'shop': unknown key 'zzz' for type 'postgres'; run "
            "'connctl extractors describe postgres' to list its keys");
}

// ---------------------------------------------------------------------------
// References

TEST_F(ConfigTest, ResolvesEnvironmentReferences) {
  ScopedEnv host("CONNCTL_TEST_HOST", "db1.example.com");
  ScopedEnv port("CONNCTL_TEST_PORT", "6432");
  Location where{"connctl.toml", 3, 1};
  struct Case {
    const char* text;
    const char* expected;
  };
  const Case cases[] = {
      {"${env:CONNCTL_TEST_HOST}", "db1.example.com"},
      {"tcp://${env:CONNCTL_TEST_HOST}:${env:CONNCTL_TEST_PORT}/x", "tcp://db1.example.com:6432/x"},
      {"$${env:CONNCTL_TEST_HOST}", "${env:CONNCTL_TEST_HOST}"},
      {"cost: $5 and $$", "cost: $5 and $$"},
      {"a$", "a$"},
      {"}{", "}{"},
      {"", ""},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(resolve_references(c.text, where, "host", false), c.expected) << c.text;
  }
}

TEST_F(ConfigTest, ResolvesFileReferencesRelativeToTheConfigFile) {
  testing::TempDir dir;
  fs::create_directories(dir / "conf");
  write_file(dir / "conf" / "pw.txt", "from-file\n");
  write_file(dir / "conf" / "crlf.txt", "crlf-value\r\n");
  write_file(dir / "conf" / "two.txt", "two\n\n");
  write_file(dir / "conf" / "none.txt", "no-newline");
  write_file(dir / "abs.txt", "absolute\n");
  Location where{(dir / "conf" / "connctl.toml").string(), 4, 1};

  EXPECT_EQ(resolve_references("${file:pw.txt}", where, "password", false), "from-file");
  EXPECT_EQ(resolve_references("${file:crlf.txt}", where, "password", false), "crlf-value");
  EXPECT_EQ(resolve_references("${file:two.txt}", where, "password", false), "two\n");
  EXPECT_EQ(resolve_references("${file:none.txt}", where, "password", false), "no-newline");
  EXPECT_EQ(resolve_references("[${file:" + (dir / "abs.txt").string() + "}]", where, "k", false),
            "[absolute]");
  EXPECT_EQ(resolve_references("${file:../abs.txt}", where, "k", false), "absolute");
}

TEST_F(ConfigTest, FileReferencesOfPseudoFilesAreRelativeToTheWorkingDirectory) {
  testing::TempDir dir;
  write_file(dir / "token", "tok\n");
  ScopedCwd cwd(dir.path());
  EXPECT_EQ(resolve_references("${file:token}", Location{"<command line>"}, "token", false), "tok");
}

TEST_F(ConfigTest, ResolvedContentIsNotResolvedAgain) {
  ScopedEnv nested("CONNCTL_TEST_NESTED", "${env:HOME}");
  EXPECT_EQ(resolve_references("${env:CONNCTL_TEST_NESTED}", Location{"c.toml", 1, 1}, "k", false),
            "${env:HOME}");
}

TEST_F(ConfigTest, ReferenceErrors) {
  ::unsetenv("CONNCTL_TEST_UNSET");
  testing::TempDir dir;
  Location where{(dir / "connctl.toml").string(), 7, 3};
  std::string prefix = where.str() + ": ";
  struct Case {
    std::string text;
    std::string message;
  };
  const Case cases[] = {
      {"${env:CONNCTL_TEST_UNSET}",
       "key 'password': environment variable CONNCTL_TEST_UNSET is not set"},
      {"${env:1BAD}", "key 'password': '1BAD' is not an environment variable name"},
      {"${file:}", "key 'password': ${file:} names no file"},
      {"${foo:x}",
       "key 'password': unknown reference '${foo:x}': expected ${env:NAME} or ${file:PATH} (write "
       "'$${' for a literal '${')"},
      {"${HOME}",
       "key 'password': unknown reference '${HOME}': expected ${env:NAME} or ${file:PATH} (write "
       "'$${' for a literal '${')"},
      {"abc${env:X", "key 'password': unterminated '${' (write '$${' for a literal '${')"},
      {"${file:missing.txt}", "key 'password': cannot read " + (dir / "missing.txt").string() +
                                  ": No such file or directory"},
  };
  for (const auto& c : cases) {
    try {
      resolve_references(c.text, where, "password", false);
      ADD_FAILURE() << "no error for " << c.text;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::usage);
      EXPECT_EQ(e.what(), prefix + c.message) << c.text;
    }
  }
}

TEST_F(ConfigTest, UnreadableReferencedFileNamesErrno) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads any file";
  testing::TempDir dir;
  write_file(dir / "secret.txt", "x\n");
  ::chmod((dir / "secret.txt").c_str(), 0);
  try {
    resolve_references("${file:secret.txt}", Location{(dir / "c.toml").string(), 1, 1}, "password",
                       true);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(),
                HasSubstr("cannot read " + (dir / "secret.txt").string() + ": Permission denied"));
  }
}

// ---------------------------------------------------------------------------
// Secrets

TEST_F(ConfigTest, SecretKeysAreRegisteredAndRedacted) {
  testing::TempDir dir;
  write_file(dir / "token.txt", "file-secret-value\n");
  ScopedEnv pass("CONNCTL_TEST_PGPASS", "env-secret-value");
  Config config = parse_config(R"([[source]]
name = "shop"
type = "postgres"
password = "prefix-${env:CONNCTL_TEST_PGPASS}"
[[source]]
name = "other"
type = "postgres"
password = "${file:token.txt}"
)",
                               (dir / "connctl.toml").string(), test_lookup);
  EXPECT_EQ(config.sources[0].settings.get_string("password"), "prefix-env-secret-value");
  EXPECT_EQ(config.sources[1].settings.get_string("password"), "file-secret-value");
  EXPECT_EQ(redact("a prefix-env-secret-value b"), "a *** b");
  // The referenced piece alone is a secret too (a driver may echo just it).
  EXPECT_EQ(redact("password env-secret-value rejected"), "password *** rejected");
  EXPECT_EQ(redact("file-secret-value"), "***");
}

TEST_F(ConfigTest, NonSecretKeysAreNotRegistered) {
  ScopedEnv host("CONNCTL_TEST_HOST", "db1.example.com");
  parse("[[source]]\nname = \"shop\"\ntype = \"postgres\"\nhost = \"${env:CONNCTL_TEST_HOST}\"\n");
  EXPECT_EQ(redact("db1.example.com"), "db1.example.com");
}

TEST_F(ConfigTest, ErrorsNeverContainSecretValues) {
  ScopedEnv pass("CONNCTL_TEST_PGPASS", "env-secret-value");
  // An error after a secret was resolved.
  std::string message = parse_error(
      "[[source]]\nname = \"shop\"\ntype = \"postgres\"\npassword = "
      "\"${env:CONNCTL_TEST_PGPASS}\"\nport = "
      "\"x\"\n");
  EXPECT_EQ(message,
            "connctl.toml:5:1: source 'shop': key 'port': expected an integer, got a string");
  // A malformed reference inside a literal secret: the text is not echoed.
  message = parse_error(
      "[[source]]\nname = \"shop\"\ntype = \"postgres\"\npassword = \"Lit3ral-${oops:x}\"\n");
  EXPECT_EQ(message,
            "connctl.toml:4:1: key 'password': unknown reference: expected ${env:NAME} or "
            "${file:PATH} (write '$${' for a literal '${')");
  EXPECT_THAT(message, Not(HasSubstr("Lit3ral")));
  EXPECT_THAT(message, Not(HasSubstr("oops")));
  // A literal password inside a malformed URL.
  message = parse_error(
      "[[source]]\nname = \"shop\"\ntype = \"postgres\"\nurl = "
      "\"postgresql://u:UrlPass99@h:0/db\"\n");
  EXPECT_THAT(message, HasSubstr("connctl.toml:4:1: source 'shop': key 'url': malformed URL"));
  EXPECT_THAT(message, Not(HasSubstr("UrlPass99")));
}

TEST_F(ConfigTest, LiteralSecretIsAcceptedWithAWarning) {
  ::testing::internal::CaptureStderr();
  Config config =
      parse("[[source]]\nname = \"shop\"\ntype = \"postgres\"\n\npassword = \"Lit3ral-pw\"\n");
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(config.sources[0].settings.get_string("password"), "Lit3ral-pw");
  EXPECT_THAT(log,
              HasSubstr("connctl.toml:5:1: source 'shop': key 'password' holds a literal secret"));
  EXPECT_THAT(log, Not(HasSubstr("Lit3ral-pw")));
  EXPECT_EQ(redact("Lit3ral-pw"), "***");
}

TEST_F(ConfigTest, LiteralPasswordInUrlIsWarnedAboutAndRegistered) {
  ::testing::internal::CaptureStderr();
  Config config = parse(
      "[[source]]\nname = \"shop\"\ntype = \"postgres\"\nurl = "
      "\"postgresql://u:UrlPass99@h/db\"\n");
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(log,
              HasSubstr("connctl.toml:4:1: source 'shop': key 'url' holds a literal password"));
  EXPECT_THAT(log, Not(HasSubstr("UrlPass99")));
  EXPECT_EQ(redact("UrlPass99"), "***");
}

TEST_F(ConfigTest, ReferencedSecretIsNotWarnedAbout) {
  ScopedEnv pass("CONNCTL_TEST_PGPASS", "env-secret-value");
  ::testing::internal::CaptureStderr();
  parse(
      "[[source]]\nname = \"shop\"\ntype = \"postgres\"\npassword = "
      "\"${env:CONNCTL_TEST_PGPASS}\"\n"
      "url = \"postgresql://u:${env:CONNCTL_TEST_PGPASS}@h/db\"\n");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

// ---------------------------------------------------------------------------
// Loading and finding the file

TEST_F(ConfigTest, LoadConfigSetsThePath) {
  testing::TempDir dir;
  write_file(dir / "c.toml", "[[source]]\nname = \"a\"\ntype = \"sqlite\"\npath = \"a.db\"\n");
  Config config = load_config(dir / "c.toml", test_lookup);
  EXPECT_EQ(config.path, (dir / "c.toml").string());
  EXPECT_EQ(config.sources.at(0).where.str(), (dir / "c.toml").string() + ":1:1");
}

TEST_F(ConfigTest, LoadConfigNamesAMissingFile) {
  testing::TempDir dir;
  try {
    load_config(dir / "absent.toml", test_lookup);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_EQ(e.what(), "cannot read config " + (dir / "absent.toml").string() +
                            ": No such file or directory");
  }
}

TEST_F(ConfigTest, LoadConfigNamesAnUnreadableFile) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads any file";
  testing::TempDir dir;
  write_file(dir / "c.toml", "");
  ::chmod((dir / "c.toml").c_str(), 0);
  try {
    load_config(dir / "c.toml", test_lookup);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.what(), "cannot read config " + (dir / "c.toml").string() + ": Permission denied");
  }
}

TEST_F(ConfigTest, ReadErrorsCarryTheErrnoText) {
  // A directory fails at read() whoever runs the test, root included.
  testing::TempDir dir;
  fs::create_directories(dir / "conf.d");
  try {
    load_config(dir / "conf.d", test_lookup);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.what(), "cannot read config " + (dir / "conf.d").string() + ": Is a directory");
  }
  try {
    resolve_references("${file:conf.d}", Location{(dir / "c.toml").string(), 2, 1}, "token", false);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.what(), (dir / "c.toml").string() + ":2:1: key 'token': cannot read " +
                            (dir / "conf.d").string() + ": Is a directory");
  }
}

class ConfigFindTest : public ::testing::Test {
 protected:
  ConfigFindTest()
      : m_cwd(m_dir.path()),
        m_config(std::string("CONNCTL_CONFIG"), std::nullopt),
        m_xdg(std::string("XDG_CONFIG_HOME"), (m_dir / "xdg").string()),
        m_home(std::string("HOME"), (m_dir / "home").string()) {
    fs::create_directories(m_dir / "xdg" / "connctl");
    fs::create_directories(m_dir / "home" / ".config" / "connctl");
  }

  testing::TempDir m_dir;
  ScopedCwd m_cwd;
  ScopedEnv m_config;
  ScopedEnv m_xdg;
  ScopedEnv m_home;
};

TEST_F(ConfigFindTest, FollowsTheLookupOrder) {
  std::error_code ec;
  if (fs::exists("/etc/connctl/config.toml", ec))
    GTEST_SKIP() << "/etc/connctl/config.toml exists here";
  EXPECT_EQ(find_config_file(std::nullopt), std::nullopt);

  write_file(m_dir / "home" / ".config" / "connctl" / "config.toml", "");
  {
    // Without XDG_CONFIG_HOME, ~/.config is the default.
    ScopedEnv no_xdg("XDG_CONFIG_HOME", std::nullopt);
    EXPECT_EQ(find_config_file(std::nullopt),
              m_dir / "home" / ".config" / "connctl" / "config.toml");
  }
  EXPECT_EQ(find_config_file(std::nullopt), std::nullopt);  // XDG_CONFIG_HOME set: ~/.config unused

  write_file(m_dir / "xdg" / "connctl" / "config.toml", "");
  EXPECT_EQ(find_config_file(std::nullopt), m_dir / "xdg" / "connctl" / "config.toml");

  write_file(m_dir / "connctl.toml", "");
  EXPECT_EQ(find_config_file(std::nullopt), fs::path("connctl.toml"));

  write_file(m_dir / "env.toml", "");
  ScopedEnv from_env("CONNCTL_CONFIG", (m_dir / "env.toml").string());
  EXPECT_EQ(find_config_file(std::nullopt), m_dir / "env.toml");

  write_file(m_dir / "explicit.toml", "");
  EXPECT_EQ(find_config_file((m_dir / "explicit.toml").string()), m_dir / "explicit.toml");
}

TEST_F(ConfigFindTest, NamedFilesMustExist) {
  write_file(m_dir / "connctl.toml", "");  // never a silent fallback
  std::string missing = (m_dir / "missing.toml").string();
  try {
    find_config_file(missing);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_EQ(e.what(), "config file " + missing + " (given with --config) does not exist");
  }
  ScopedEnv from_env("CONNCTL_CONFIG", missing);
  try {
    find_config_file(std::nullopt);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.what(), "config file " + missing + " (named by $CONNCTL_CONFIG) does not exist");
  }
}

TEST_F(ConfigFindTest, EmptyEnvironmentVariableIsIgnored) {
  ScopedEnv empty("CONNCTL_CONFIG", "");
  write_file(m_dir / "connctl.toml", "");
  EXPECT_EQ(find_config_file(std::nullopt), fs::path("connctl.toml"));
}

}  // namespace
}  // namespace connctl::core
