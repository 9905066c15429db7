// Reading and validating connctl.toml. The parser walks the TOML document in
// source order so that "the first problem found" is the first one in the file,
// and every message is built from the key's own position in the file.

#include "core/config.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <toml++/toml.h>
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <limits>
#include <system_error>
#include <utility>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/secrets.hpp"
#include "core/url.hpp"

namespace connctl::core {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view k_known_reference_kinds = "expected ${env:NAME} or ${file:PATH}";
constexpr std::string_view k_duration_examples =
    R"(a duration such as "30s", "5m", "1h30m" or "250ms")";

// ---------------------------------------------------------------------------
// Small helpers

// Closes a file descriptor on every path out of read_whole_file.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : m_fd(fd) {}
  ~FileDescriptor() {
    if (m_fd >= 0) ::close(m_fd);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return m_fd; }

 private:
  int m_fd;
};

// POSIX rather than iostreams so that the caller gets errno for its message
// ("Permission denied", "Is a directory").
std::error_code read_whole_file(const fs::path& path, std::string& out) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return {errno, std::generic_category()};
  out.clear();
  char buffer[8192];
  while (true) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return {errno, std::generic_category()};
    }
    if (n == 0) return {};
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

[[noreturn]] void fail_at(const Location& where, std::string_view message) {
  throw_usage(fmt::format("{}: {}", where.str(), message));
}

[[noreturn]] void fail_key(const Location& where, std::string_view key, std::string_view message) {
  fail_at(where, fmt::format("key '{}': {}", key, message));
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// Names become the first component of FQNs and appear on command lines, so
// they are kept to characters that need no quoting in either.
bool is_valid_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), is_name_char);
}

bool is_env_name(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return is_name_char(c) && c != '-'; });
}

// Optimal string alignment distance: a swapped pair of letters ("prot") counts
// as one edit, which is the most common typo in a key.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// " (did you mean 'x'?)" when one candidate is close enough to be a typo.
std::string suggestion(std::string_view word, const std::vector<std::string>& candidates) {
  std::size_t limit = word.size() <= 4 ? 1 : 2;
  const std::string* best = nullptr;
  std::size_t best_distance = limit + 1;
  for (const auto& candidate : candidates) {
    std::size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best = &candidate;
      best_distance = distance;
    }
  }
  return best ? fmt::format(" (did you mean '{}'?)", *best) : std::string{};
}

std::string_view describe(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

std::string expected_for(KeyType type) {
  switch (type) {
    case KeyType::string:
      return "a string";
    case KeyType::integer:
      return "an integer";
    case KeyType::boolean:
      return "a boolean";
    case KeyType::duration:
      return std::string(k_duration_examples);
    case KeyType::string_list:
      return "an array of strings";
    case KeyType::string_table:
      return "a table of strings";
  }
  return "a value";
}

// The keys of a table in the order they appear in the file (toml::table is
// sorted by name), so that errors come in reading order.
std::vector<std::pair<const toml::key*, const toml::node*>> in_file_order(
    const toml::table& table) {
  std::vector<std::pair<const toml::key*, const toml::node*>> entries;
  for (const auto& [key, node] : table) entries.emplace_back(&key, &node);
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    const auto& pa = a.first->source().begin;
    const auto& pb = b.first->source().begin;
    return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
  });
  return entries;
}

// ---------------------------------------------------------------------------
// ${env:} / ${file:} references

struct Resolved {
  std::string value;
  bool used_reference = false;
};

fs::path reference_path(std::string_view written, const Location& where) {
  fs::path path(written);
  // "<command line>" and similar pseudo-files have no directory to be relative to.
  if (path.is_absolute() || where.file.empty() || where.file.front() == '<') return path;
  return fs::path(where.file).parent_path() / path;
}

Resolved resolve(std::string_view text, const Location& where, std::string_view key, bool secret) {
  Resolved result;
  std::string& out = result.value;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '$') {
      out.push_back(text[i++]);
      continue;
    }
    if (text.substr(i, 3) == "$${") {
      out += "${";
      i += 3;
      continue;
    }
    if (text.substr(i, 2) != "${") {
      out.push_back(text[i++]);
      continue;
    }
    std::size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos)
      fail_key(where, key, "unterminated '${' (write '$${' for a literal '${')");
    std::string_view reference = text.substr(i + 2, close - i - 2);
    std::size_t colon = reference.find(':');
    std::string_view kind = reference.substr(0, colon);
    std::string_view argument =
        colon == std::string_view::npos ? std::string_view{} : reference.substr(colon + 1);

    std::string value;
    if (colon != std::string_view::npos && kind == "env") {
      if (!is_env_name(argument)) {
        fail_key(where, key, fmt::format("'{}' is not an environment variable name", argument));
      }
      const char* env = std::getenv(std::string(argument).c_str());
      if (!env) fail_key(where, key, fmt::format("environment variable {} is not set", argument));
      value = env;
    } else if (colon != std::string_view::npos && kind == "file") {
      if (argument.empty()) fail_key(where, key, "${file:} names no file");
      fs::path path = reference_path(argument, where);
      if (auto ec = read_whole_file(path, value)) {
        fail_key(where, key, fmt::format("cannot read {}: {}", path.string(), ec.message()));
      }
      // Files written by editors and `echo` end with a newline that is not part
      // of the password.
      if (value.ends_with("\r\n")) {
        value.resize(value.size() - 2);
      } else if (value.ends_with('\n')) {
        value.pop_back();
      }
    } else if (secret) {
      // The text of a secret key may itself be the secret: do not echo it.
      fail_key(where, key,
               fmt::format("unknown reference: {} (write '$${{' for a literal '${{')",
                           k_known_reference_kinds));
    } else {
      fail_key(where, key,
               fmt::format("unknown reference '${{{}}}': {} (write '$${{' for a literal '${{')",
                           reference, k_known_reference_kinds));
    }
    // The piece alone may show up in a driver's message, apart from the rest.
    if (secret) register_secret(value);
    out += value;
    result.used_reference = true;
    i = close + 1;
  }
  if (secret) register_secret(out);
  return result;
}

// ---------------------------------------------------------------------------
// The document

const std::vector<KeySpec>& job_keys() {
  static const std::vector<KeySpec> keys = {
      {"name", KeyType::string, true, false, "the job's name", ""},
      {"source", KeyType::string, true, false, "the [[source]] it syncs", ""},
      {"schedule", KeyType::string, true, false, "a cron expression", ""},
      {"timezone", KeyType::string, false, false, "IANA time zone of the schedule", "UTC"},
      {"mode", KeyType::string, false, false, "incremental | full", "incremental"},
      {"timeout", KeyType::duration, false, false, "cancel a run after this long", ""},
      {"retries", KeyType::integer, false, false, "retries after a failed run", "0"},
      {"overlap", KeyType::string, false, false, "skip | queue", "skip"},
      {"catch_up", KeyType::string, false, false, "none | latest", "none"},
      {"catch_up_deadline", KeyType::duration, false, false, "how late a catch-up may start", ""},
      {"splay", KeyType::duration, false, false, "a per-job delay added to each scheduled time",
       "0s"},
      {"enabled", KeyType::boolean, false, false, "whether the daemon schedules it", "true"},
      {"retry_backoff", KeyType::duration, false, false,
       "delay before the first retry; doubles for each further one, with jitter", "30s"},
      {"on_failure", KeyType::string, false, false,
       "a command (the failed run as JSON on stdin) or an http(s):// webhook URL", ""},
  };
  return keys;
}

const std::vector<KeySpec>& daemon_keys() {
  static const std::vector<KeySpec> keys = {
      {"max_concurrent_runs", KeyType::integer, false, false, "runs at the same time", "4"},
      {"shutdown_grace", KeyType::duration, false, false,
       "how long running syncs may finish after SIGTERM before they are cancelled", "30s"},
      {"on_failure", KeyType::string, false, false, "default for jobs without their own", ""},
      {"failure_threshold", KeyType::integer, false, false,
       "notify when a job has failed this many times in a row", "3"},
      {"lease", KeyType::duration, false, false,
       "how long a daemon's claim on a fire lasts unrenewed before another daemon may take it "
       "over (renewed every third of it)",
       "30s"},
  };
  return keys;
}

std::vector<std::string> names_of(const std::vector<KeySpec>& keys) {
  std::vector<std::string> names;
  for (const auto& key : keys) names.push_back(key.name);
  return names;
}

class ConfigParser {
 public:
  ConfigParser(std::string file, const SourceTypeLookup& lookup)
      : m_file(std::move(file)), m_lookup(lookup) {}

  Config parse(const toml::table& root) {
    Config config;
    // Every top-level key is checked before anything else so that a misspelt
    // [[sources]] is reported as such and not as "no [[source]] named ...".
    for (const auto& [key, node] : in_file_order(root)) {
      if (key->str() != "catalog" && key->str() != "daemon" && key->str() != "source" &&
          key->str() != "job") {
        fail_at(at(*key),
                fmt::format("unknown top-level key '{}'{}; expected [catalog], [daemon], "
                            "[[source]] or [[job]]",
                            key->str(),
                            suggestion(key->str(), {"catalog", "daemon", "source", "job"})));
      }
    }
    if (auto it = root.find("catalog"); it != root.end())
      parse_catalog(it->first, it->second, config);
    if (auto it = root.find("daemon"); it != root.end())
      parse_daemon(it->first, it->second, config);
    for (const toml::table* table : array_of_tables(root, "source")) {
      config.sources.push_back(parse_source(*table, config));
    }
    for (const toml::table* table : array_of_tables(root, "job")) {
      config.jobs.push_back(parse_job(*table, config));
    }
    return config;
  }

 private:
  Location at(const toml::source_region& region) const {
    return Location{m_file, static_cast<int>(region.begin.line),
                    static_cast<int>(region.begin.column)};
  }
  Location at(const toml::key& key) const { return at(key.source()); }
  Location at(const toml::node& node) const { return at(node.source()); }

  std::vector<const toml::table*> array_of_tables(const toml::table& root,
                                                  std::string_view name) const {
    std::vector<const toml::table*> tables;
    auto it = root.find(name);
    if (it == root.end()) return tables;
    const toml::array* array = it->second.as_array();
    if (!array) {
      fail_at(at(it->first),
              fmt::format("'{0}' must be an array of tables: write [[{0}]], not [{0}]", name));
    }
    for (const auto& element : *array) {
      const toml::table* table = element.as_table();
      if (!table) {
        fail_at(at(element),
                fmt::format("each '{}' must be a table, got {}", name, describe(element)));
      }
      tables.push_back(table);
    }
    return tables;
  }

  void parse_catalog(const toml::key& key, const toml::node& node, Config& config) const {
    const toml::table* table = node.as_table();
    if (!table) fail_at(at(key), fmt::format("'catalog' must be a table, got {}", describe(node)));
    config.catalog.where = at(node);
    for (const auto& [k, value] : in_file_order(*table)) {
      if (k->str() != "url") {
        fail_at(at(*k), fmt::format("catalog: unknown key '{}'{}; the only key is 'url'", k->str(),
                                    suggestion(k->str(), {"url"})));
      }
      const auto* text = value->as_string();
      if (!text) {
        fail_at(at(*k),
                fmt::format("catalog: key 'url': expected a string, got {}", describe(*value)));
      }
      Resolved url = resolve(text->get(), at(*k), "url", false);
      check_url(url, at(*k), "catalog");
      config.catalog.url = std::move(url.value);
    }
  }

  void parse_daemon(const toml::key& key, const toml::node& node, Config& config) const {
    const toml::table* table = node.as_table();
    if (!table) fail_at(at(key), fmt::format("'daemon' must be a table, got {}", describe(node)));
    DaemonConfig& daemon = config.daemon;
    daemon.where = at(node);
    const std::string context = "daemon";
    Settings settings;
    for (const auto& [k, value] : in_file_order(*table)) {
      const auto& specs = daemon_keys();
      auto spec = std::find_if(specs.begin(), specs.end(),
                               [&](const KeySpec& s) { return s.name == k->str(); });
      if (spec == specs.end()) {
        fail_at(at(*k), fmt::format("{}: unknown key '{}'{}", context, k->str(),
                                    suggestion(k->str(), names_of(specs))));
      }
      bool literal = false;
      settings.set(spec->name,
                   Setting{convert(*spec, *k, *value, context, literal), at(*k), false});
    }
    auto where = [&](std::string_view k) { return settings.find(k)->where; };
    daemon.max_concurrent_runs =
        settings.get_integer("max_concurrent_runs").value_or(daemon.max_concurrent_runs);
    if (daemon.max_concurrent_runs < 1 || daemon.max_concurrent_runs > 256) {
      fail_at(where("max_concurrent_runs"),
              fmt::format("daemon: key 'max_concurrent_runs': must be between 1 and 256, got {}",
                          daemon.max_concurrent_runs));
    }
    daemon.shutdown_grace_ms =
        settings.get_duration_ms("shutdown_grace").value_or(daemon.shutdown_grace_ms);
    daemon.on_failure = settings.get_string("on_failure");
    if (daemon.on_failure) check_on_failure(*daemon.on_failure, where("on_failure"), context);
    daemon.failure_threshold =
        settings.get_integer("failure_threshold").value_or(daemon.failure_threshold);
    daemon.lease_ms = settings.get_duration_ms("lease").value_or(daemon.lease_ms);
    if (daemon.lease_ms < 1000) {
      fail_at(where("lease"), fmt::format("daemon: key 'lease': must be 1s or more, got {}",
                                          core::format_duration_ms(daemon.lease_ms)));
    }
    if (daemon.failure_threshold < 1) {
      fail_at(where("failure_threshold"),
              fmt::format("daemon: key 'failure_threshold': must be 1 or more, got {}",
                          daemon.failure_threshold));
    }
  }

  // A notification target: a command line, or a webhook URL (http or https).
  void check_on_failure(const std::string& value, const Location& where,
                        std::string_view context) const {
    if (value.find_first_not_of(" \t") == std::string::npos) {
      fail_at(where, fmt::format("{}: key 'on_failure': must not be empty", context));
    }
    if (looks_like_url(value) && !value.starts_with("http://") && !value.starts_with("https://")) {
      fail_at(where, fmt::format("{}: key 'on_failure': a webhook must be an http:// or https:// "
                                 "URL, got '{}'",
                                 context, value.substr(0, value.find(':'))));
    }
  }

  // A password inside a URL is a secret like any other: parse_url registers
  // it, and a literal one earns the same warning as a literal secret key.
  void check_url(const Resolved& url, const Location& where, std::string_view context) const {
    if (!looks_like_url(url.value)) return;
    try {
      Url parsed = parse_url(url.value);
      if (!url.used_reference && parsed.password && !parsed.password->empty()) {
        log_warn(
            "{}: {}: key 'url' holds a literal password; use ${{env:NAME}} or ${{file:PATH}} for "
            "it",
            where.str(), context);
      }
    } catch (const Error& e) {
      fail_at(where, fmt::format("{}: key 'url': {}", context, e.what()));
    }
  }

  // The string at `node`, references resolved; `literal` is set when a
  // non-empty string used no reference (for the literal-secret warning).
  std::string string_value(const toml::node& node, const Location& where, std::string_view key,
                           bool secret, bool& literal) const {
    Resolved resolved = resolve(node.as_string()->get(), where, key, secret);
    if (!resolved.used_reference && !resolved.value.empty()) literal = true;
    return std::move(resolved.value);
  }

  SettingValue convert(const KeySpec& spec, const toml::key& key, const toml::node& node,
                       const std::string& context, bool& literal) const {
    Location where = at(key);
    auto wrong_type = [&]() { fail_wrong_type(spec, where, node, context); };
    switch (spec.type) {
      case KeyType::string:
        if (!node.is_string()) wrong_type();
        return string_value(node, where, spec.name, spec.secret, literal);
      case KeyType::integer:
        if (!node.is_integer()) wrong_type();
        return node.as_integer()->get();
      case KeyType::boolean:
        if (!node.is_boolean()) wrong_type();
        return node.as_boolean()->get();
      case KeyType::duration:
        return duration_value(spec, where, node, context, literal);
      case KeyType::string_list: {
        const toml::array* array = node.as_array();
        if (!array) wrong_type();
        std::vector<std::string> items;
        for (std::size_t i = 0; i < array->size(); ++i) {
          const toml::node& element = *array->get(i);
          if (!element.is_string()) {
            fail_at(at(element), fmt::format("{}: key '{}': item {}: expected a string, got {}",
                                             context, spec.name, i + 1, describe(element)));
          }
          items.push_back(string_value(element, at(element), spec.name, spec.secret, literal));
        }
        return items;
      }
      case KeyType::string_table: {
        const toml::table* table = node.as_table();
        if (!table) wrong_type();
        std::map<std::string, std::string> entries;
        for (const auto& [k, value] : in_file_order(*table)) {
          std::string name = fmt::format("{}.{}", spec.name, k->str());
          if (!value->is_string()) {
            fail_at(at(*k), fmt::format("{}: key '{}': expected a string, got {}", context, name,
                                        describe(*value)));
          }
          entries.emplace(k->str(), string_value(*value, at(*k), name, spec.secret, literal));
        }
        return entries;
      }
    }
    fail_wrong_type(spec, where, node, context);
  }

  [[noreturn]] static void fail_wrong_type(const KeySpec& spec, const Location& where,
                                           const toml::node& node, const std::string& context) {
    std::string hint;
    if (spec.type == KeyType::string_list && node.is_string()) {
      hint = fmt::format(" (write {} = [\"…\"] for a single item)", spec.name);
    }
    fail_at(where, fmt::format("{}: key '{}': expected {}, got {}{}", context, spec.name,
                               expected_for(spec.type), describe(node), hint));
  }

  // A string ("1h30m", references allowed) or an integer number of seconds.
  std::int64_t duration_value(const KeySpec& spec, const Location& where, const toml::node& node,
                              const std::string& context, bool& literal) const {
    if (const auto* seconds = node.as_integer()) {
      std::int64_t s = seconds->get();
      if (s < 0 || s > std::numeric_limits<std::int64_t>::max() / 1000) {
        fail_at(where, fmt::format("{}: key '{}': expected {}, got {} seconds", context, spec.name,
                                   k_duration_examples, s));
      }
      return s * 1000;
    }
    if (!node.is_string()) {
      fail_at(where, fmt::format("{}: key '{}': expected {}, got {}", context, spec.name,
                                 k_duration_examples, describe(node)));
    }
    std::string text = string_value(node, where, spec.name, spec.secret, literal);
    auto ms = parse_duration_ms(text);
    if (!ms) {
      std::string got = spec.secret ? std::string("something else") : fmt::format("\"{}\"", text);
      fail_at(where, fmt::format("{}: key '{}': expected {}, got {}", context, spec.name,
                                 k_duration_examples, got));
    }
    return *ms;
  }

  // The value of a required string key such as name or type, unresolved:
  // identities are written out, never taken from the environment.
  std::pair<std::string, Location> identity(const toml::table& table, std::string_view key,
                                            const std::string& context) const {
    auto it = table.find(key);
    if (it == table.end()) {
      fail_at(at(table), fmt::format("{}: missing required key '{}'", context, key));
    }
    const auto* text = it->second.as_string();
    if (!text) {
      fail_at(at(it->first), fmt::format("{}: key '{}': expected a string, got {}", context, key,
                                         describe(it->second)));
    }
    return {text->get(), at(it->first)};
  }

  std::string checked_name(const toml::table& table, std::string_view what, std::size_t index,
                           const std::map<std::string, Location, std::less<>>& seen) const {
    std::string context = fmt::format("{} #{}", what, index);
    auto [name, where] = identity(table, "name", context);
    if (!is_valid_name(name)) {
      fail_at(
          where,
          fmt::format("{}: key 'name': '{}' is not a valid name: use letters, digits, '_' and '-'",
                      context, name));
    }
    if (auto it = seen.find(name); it != seen.end()) {
      fail_at(where, fmt::format("{}: duplicate {} name '{}' (first defined at {})", context, what,
                                 name, it->second.str()));
    }
    return name;
  }

  SourceConfig parse_source(const toml::table& table, const Config& config) {
    SourceConfig source;
    source.where = at(table);
    source.name = checked_name(table, "source", config.sources.size() + 1, m_source_names);
    m_source_names.emplace(source.name, source.where);
    std::string context = fmt::format("source '{}'", source.name);

    auto type_and_where = identity(table, "type", context);
    const std::string& type = type_and_where.first;
    const Location& type_where = type_and_where.second;
    std::optional<SourceTypeSchema> schema = m_lookup ? m_lookup(type) : std::nullopt;
    if (!schema) {
      fail_at(type_where,
              fmt::format("{}: unknown source type '{}'; run 'connctl extractors list' to see "
                          "the known types",
                          context, type));
    }
    source.type = type;

    // A type may redeclare a common key (to mark it secret, say); its own spec wins.
    std::vector<KeySpec> specs;
    for (const auto& spec : common_source_keys()) {
      bool redeclared = std::any_of(schema->keys.begin(), schema->keys.end(),
                                    [&](const KeySpec& k) { return k.name == spec.name; });
      if (!redeclared || spec.name == "name" || spec.name == "type") specs.push_back(spec);
    }
    for (const auto& spec : schema->keys) {
      if (spec.name != "name" && spec.name != "type") specs.push_back(spec);
    }

    for (const auto& entry : in_file_order(table)) {
      const toml::key* key = entry.first;
      const toml::node* node = entry.second;
      if (key->str() == "name" || key->str() == "type") continue;
      auto spec = std::find_if(specs.begin(), specs.end(),
                               [&](const KeySpec& s) { return s.name == key->str(); });
      if (spec == specs.end()) {
        std::string hint = suggestion(key->str(), names_of(specs));
        if (hint.empty()) {
          hint = fmt::format("; run 'connctl extractors describe {}' to list its keys", type);
        }
        fail_at(at(*key), fmt::format("{}: unknown key '{}' for type '{}'{}", context, key->str(),
                                      type, hint));
      }
      bool literal = false;
      SettingValue value = convert(*spec, *key, *node, context, literal);
      if (spec->secret && literal) {
        log_warn(
            "{}: {}: key '{}' holds a literal secret; use ${{env:NAME}} or ${{file:PATH}} so that "
            "it is not written in the config file",
            at(*key).str(), context, spec->name);
      }
      if (const auto* url = std::get_if<std::string>(&value); url && spec->name == "url") {
        check_url(Resolved{*url, !literal}, at(*key), context);
      }
      source.settings.set(spec->name, Setting{std::move(value), at(*key), spec->secret});
    }

    // A `url` can carry the connection keys of the type, so the type's own
    // required keys are then checked by the extractor after merging.
    bool has_url = source.settings.has("url");
    for (const auto& spec : specs) {
      if (!spec.required || spec.name == "name" || spec.name == "type" ||
          source.settings.has(spec.name)) {
        continue;
      }
      bool is_common = std::any_of(common_source_keys().begin(), common_source_keys().end(),
                                   [&](const KeySpec& k) { return k.name == spec.name; });
      if (has_url && !is_common) continue;
      fail_at(source.where, fmt::format("{}: missing required key '{}'", context, spec.name));
    }
    return source;
  }

  JobConfig parse_job(const toml::table& table, const Config& config) {
    JobConfig job;
    job.where = at(table);
    job.name = checked_name(table, "job", config.jobs.size() + 1, m_job_names);
    m_job_names.emplace(job.name, job.where);
    std::string context = fmt::format("job '{}'", job.name);

    Settings settings;
    for (const auto& entry : in_file_order(table)) {
      const toml::key* key = entry.first;
      const toml::node* node = entry.second;
      if (key->str() == "name") continue;
      const auto& specs = job_keys();
      auto spec = std::find_if(specs.begin(), specs.end(),
                               [&](const KeySpec& s) { return s.name == key->str(); });
      if (spec == specs.end()) {
        fail_at(at(*key), fmt::format("{}: unknown key '{}'{}", context, key->str(),
                                      suggestion(key->str(), names_of(specs))));
      }
      bool literal = false;
      settings.set(spec->name,
                   Setting{convert(*spec, *key, *node, context, literal), at(*key), false});
    }
    for (const auto& spec : job_keys()) {
      if (spec.required && spec.name != "name" && !settings.has(spec.name)) {
        fail_at(job.where, fmt::format("{}: missing required key '{}'", context, spec.name));
      }
    }

    auto where = [&](std::string_view key) { return settings.find(key)->where; };
    auto one_of = [&](std::string_view key, std::initializer_list<std::string_view> allowed,
                      std::string fallback) {
      auto value = settings.get_string(key);
      if (!value) return fallback;
      if (std::find(allowed.begin(), allowed.end(), *value) == allowed.end()) {
        fail_at(where(key), fmt::format("{}: key '{}': expected \"{}\", got \"{}\"", context, key,
                                        fmt::join(allowed, "\" or \""), *value));
      }
      return *value;
    };

    job.source = *settings.get_string("source");
    if (!config.find_source(job.source)) {
      std::vector<std::string> names;
      for (const auto& s : config.sources) names.push_back(s.name);
      fail_at(where("source"), fmt::format("{}: key 'source': no [[source]] named '{}'{}", context,
                                           job.source, suggestion(job.source, names)));
    }
    job.schedule = *settings.get_string("schedule");
    if (job.schedule.find_first_not_of(" \t") == std::string::npos) {
      fail_at(where("schedule"), fmt::format("{}: key 'schedule': must not be empty", context));
    }
    job.timezone = settings.get_string("timezone");
    if (job.timezone && job.timezone->empty()) {
      fail_at(where("timezone"), fmt::format("{}: key 'timezone': must not be empty", context));
    }
    job.mode = one_of("mode", {"incremental", "full"}, job.mode);
    job.overlap = one_of("overlap", {"skip", "queue"}, job.overlap);
    job.catch_up = one_of("catch_up", {"none", "latest"}, job.catch_up);
    job.timeout_ms = settings.get_duration_ms("timeout");
    if (job.timeout_ms && *job.timeout_ms == 0) {
      fail_at(where("timeout"), fmt::format("{}: key 'timeout': must be longer than 0s", context));
    }
    job.catch_up_deadline_ms = settings.get_duration_ms("catch_up_deadline");
    if (job.catch_up_deadline_ms && *job.catch_up_deadline_ms == 0) {
      fail_at(where("catch_up_deadline"),
              fmt::format("{}: key 'catch_up_deadline': must be longer than 0s", context));
    }
    job.splay_ms = settings.get_duration_ms("splay").value_or(job.splay_ms);
    job.retries = settings.get_integer("retries").value_or(job.retries);
    if (job.retries < 0) {
      fail_at(where("retries"),
              fmt::format("{}: key 'retries': must be 0 or more, got {}", context, job.retries));
    }
    job.enabled = settings.get_bool("enabled").value_or(job.enabled);
    job.retry_backoff_ms = settings.get_duration_ms("retry_backoff").value_or(job.retry_backoff_ms);
    if (job.retry_backoff_ms == 0 && settings.has("retry_backoff")) {
      fail_at(where("retry_backoff"),
              fmt::format("{}: key 'retry_backoff': must be longer than 0s", context));
    }
    job.on_failure = settings.get_string("on_failure");
    if (job.on_failure) check_on_failure(*job.on_failure, where("on_failure"), context);
    return job;
  }

  std::string m_file;
  const SourceTypeLookup& m_lookup;
  std::map<std::string, Location, std::less<>> m_source_names;
  std::map<std::string, Location, std::less<>> m_job_names;
};

bool path_exists(const fs::path& path, std::error_code& ec) {
  bool exists = fs::exists(path, ec);
  return exists && !ec;
}

}  // namespace

std::string_view to_string(KeyType type) {
  switch (type) {
    case KeyType::string:
      return "string";
    case KeyType::integer:
      return "integer";
    case KeyType::boolean:
      return "boolean";
    case KeyType::duration:
      return "duration";
    case KeyType::string_list:
      return "string_list";
    case KeyType::string_table:
      return "string_table";
  }
  return "unknown";
}

const std::vector<KeySpec>& common_source_keys() {
  static const std::vector<KeySpec> keys = {
      {"name", KeyType::string, true, false,
       "the source's name: used on the command line and as the first component of every FQN", ""},
      {"type", KeyType::string, true, false, "the extractor type (see 'connctl extractors list')",
       ""},
      {"url", KeyType::string, false, false,
       "connection URL (scheme://user@host:port/path?query); keys set beside it override its parts",
       ""},
      {"include", KeyType::string_list, false, false,
       "patterns of objects to extract (a glob per dotted component, or re:REGEX); default "
       "everything",
       ""},
      {"exclude", KeyType::string_list, false, false, "patterns of objects to skip", ""},
      {"lineage", KeyType::boolean, false, false, "extract lineage edges", "true"},
      {"stats", KeyType::boolean, false, false, "collect statistics such as row counts and sizes",
       "false"},
  };
  return keys;
}

const SourceConfig* Config::find_source(std::string_view name) const {
  for (const auto& source : sources) {
    if (source.name == name) return &source;
  }
  return nullptr;
}

const JobConfig* Config::find_job(std::string_view name) const {
  for (const auto& job : jobs) {
    if (job.name == name) return &job;
  }
  return nullptr;
}

std::string resolve_references(std::string_view text, const Location& where, std::string_view key,
                               bool secret) {
  return resolve(text, where, key, secret).value;
}

Config parse_config(std::string_view text, const std::string& file_for_messages,
                    const SourceTypeLookup& lookup) {
  toml::table root;
  try {
    root = toml::parse(text, std::string_view(file_for_messages));
  } catch (const toml::parse_error& e) {
    throw_usage(fmt::format("{}:{}:{}: {}", file_for_messages, e.source().begin.line,
                            e.source().begin.column, e.description()));
  }
  return ConfigParser(file_for_messages, lookup).parse(root);
}

Config load_config(const fs::path& path, const SourceTypeLookup& lookup) {
  std::string text;
  if (auto ec = read_whole_file(path, text)) {
    throw_usage(fmt::format("cannot read config {}: {}", path.string(), ec.message()));
  }
  Config config = parse_config(text, path.string(), lookup);
  config.path = path.string();
  return config;
}

std::optional<fs::path> find_config_file(const std::optional<std::string>& explicit_path) {
  // A file the user named must exist: silently falling back to another one
  // would run against the wrong sources.
  auto named = [](const std::string& path, std::string_view origin) {
    std::error_code ec;
    if (!path_exists(path, ec)) {
      if (ec && ec != std::errc::no_such_file_or_directory) {
        throw_usage(
            fmt::format("cannot access config file {} ({}): {}", path, origin, ec.message()));
      }
      throw_usage(fmt::format("config file {} ({}) does not exist", path, origin));
    }
    return fs::path(path);
  };
  if (explicit_path) return named(*explicit_path, "given with --config");
  if (const char* env = std::getenv("CONNCTL_CONFIG"); env && *env) {
    return named(env, "named by $CONNCTL_CONFIG");
  }

  std::vector<fs::path> candidates = {"connctl.toml"};
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg) {
    candidates.push_back(fs::path(xdg) / "connctl" / "config.toml");
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    candidates.push_back(fs::path(home) / ".config" / "connctl" / "config.toml");
  }
  candidates.emplace_back("/etc/connctl/config.toml");
  for (const auto& candidate : candidates) {
    std::error_code ec;
    if (path_exists(candidate, ec)) return candidate;
  }
  return std::nullopt;
}

}  // namespace connctl::core
