#pragma once
// The configuration file (TOML): [catalog], [daemon], [[source]] and [[job]].
// Parsing and validation live here; what keys a source type accepts comes
// from the extractor registry through a SourceTypeLookup, so that core/ does
// not depend on extractors/. Every error names the file, line, column and key.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace connctl::core {

enum class KeyType { string, integer, boolean, duration, string_list, string_table };
std::string_view to_string(KeyType type);

// One configuration key a source type accepts, as its registration declares it.
struct KeySpec {
  std::string name;
  KeyType type = KeyType::string;
  bool required = false;
  bool secret = false;
  std::string description;
  std::string default_value;  // shown by `extractors describe`; empty when none
};

// Where a value came from, for error messages: "connctl.toml:12:3", or a
// pseudo-file such as "<command line>" for URLs given as arguments.
struct Location {
  std::string file;
  int line = 0;
  int column = 0;
  std::string str() const;  // "file:line:column", or "file" when line is 0
};

// A resolved value: durations are stored as milliseconds in the int64 slot.
using SettingValue = std::variant<std::string, std::int64_t, bool, std::vector<std::string>,
                                  std::map<std::string, std::string>>;

struct Setting {
  SettingValue value;
  Location where;
  bool secret = false;
};

// The type-specific settings of one source, after ${env:}/${file:} resolution.
class Settings {
 public:
  void set(std::string key, Setting setting);
  bool has(std::string_view key) const;
  const Setting* find(std::string_view key) const;

  // Typed getters: nullopt when absent; a value of another type is a usage
  // error naming the key and its location.
  std::optional<std::string> get_string(std::string_view key) const;
  std::optional<std::int64_t> get_integer(std::string_view key) const;
  std::optional<bool> get_bool(std::string_view key) const;
  std::optional<std::int64_t> get_duration_ms(std::string_view key) const;
  std::optional<std::vector<std::string>> get_string_list(std::string_view key) const;
  std::optional<std::map<std::string, std::string>> get_string_table(std::string_view key) const;
  // A string naming a file: relative paths are taken relative to the
  // directory of the config file that set them (see resolve_config_path).
  std::optional<std::filesystem::path> get_path(std::string_view key) const;

  const std::map<std::string, Setting, std::less<>>& all() const { return m_values; }

 private:
  std::map<std::string, Setting, std::less<>> m_values;
};

struct CatalogConfig {
  std::optional<std::string> url;
  Location where;
};

struct SourceConfig {
  std::string name;
  std::string type;
  Settings settings;  // every key of the [[source]] table except name and type
  Location where;     // the [[source]] table itself
};

struct JobConfig {
  std::string name;
  std::string source;
  std::string schedule;
  std::optional<std::string> timezone;
  std::string mode = "incremental";  // incremental | full
  std::optional<std::int64_t> timeout_ms;
  std::int64_t retries = 0;
  std::string overlap = "skip";   // skip | queue
  std::string catch_up = "none";  // none | latest
  std::optional<std::int64_t> catch_up_deadline_ms;
  std::int64_t splay_ms = 0;
  bool enabled = true;
  std::int64_t retry_backoff_ms = 30'000;  // the first retry's delay; doubles each time
  std::optional<std::string> on_failure;   // a command, or an http(s):// webhook URL
  Location where;
};

// [daemon]: settings of `connctl daemon` as a whole.
struct DaemonConfig {
  std::int64_t max_concurrent_runs = 4;
  std::int64_t shutdown_grace_ms = 30'000;
  std::optional<std::string> on_failure;  // for jobs without their own
  std::int64_t failure_threshold = 3;     // notify once a job has failed this many times in a row
  // How long a claim on a fire lasts without renewal when several daemons
  // share a catalog; renewed every third of it while the fire is going on.
  std::int64_t lease_ms = 30'000;
  Location where;
};

struct Config {
  std::string path;  // the file it was read from ("" when built in memory)
  CatalogConfig catalog;
  DaemonConfig daemon;
  std::vector<SourceConfig> sources;
  std::vector<JobConfig> jobs;

  const SourceConfig* find_source(std::string_view name) const;
  const JobConfig* find_job(std::string_view name) const;
};

// What validation needs to know about one source type.
struct SourceTypeSchema {
  std::string type;
  std::vector<KeySpec> keys;  // type-specific keys; the common keys are added by core
};
using SourceTypeLookup = std::function<std::optional<SourceTypeSchema>(std::string_view type)>;

// Keys every [[source]] accepts whatever its type: name, type, url, include,
// exclude, lineage, stats.
const std::vector<KeySpec>& common_source_keys();

// Parses and validates; throws core::Error(ExitCode::usage) naming
// file:line:column and the key on the first problem found.
Config parse_config(std::string_view text, const std::string& file_for_messages,
                    const SourceTypeLookup& lookup);
Config load_config(const std::filesystem::path& path, const SourceTypeLookup& lookup);

// The config file to use, in this order: explicit (--config), $CONNCTL_CONFIG,
// ./connctl.toml, $XDG_CONFIG_HOME/connctl/config.toml (default ~/.config),
// /etc/connctl/config.toml. An explicit path or $CONNCTL_CONFIG that does not
// exist is a usage error; otherwise nullopt when none of the others exists.
std::optional<std::filesystem::path> find_config_file(
    const std::optional<std::string>& explicit_path);

// Resolves ${env:NAME} and ${file:PATH} references inside a string value
// (whole or embedded; "$${" escapes a literal "${"). ${file:} content loses one
// trailing newline. Unset variables and unreadable files are usage errors
// naming `where` and `key`. When `secret` is set, the resolved value is
// registered with core::register_secret.
std::string resolve_references(std::string_view text, const Location& where, std::string_view key,
                               bool secret);

// A path written in a config file is relative to that file's directory, so
// that a daemon started in / finds the same files as an operator in their
// home; one from the command line is relative to the current directory.
// The result is absolute and lexically normal.
std::filesystem::path resolve_config_path(const Location& where, const std::string& path);

// Durations: "250ms", "30s", "5m", "2h", "1d", combinations such as "1h30m",
// or a bare integer meaning seconds. nullopt when malformed.
std::optional<std::int64_t> parse_duration_ms(std::string_view text);
std::string format_duration_ms(std::int64_t ms);

}  // namespace connctl::core
