#include <fmt/format.h>

#include "core/config.hpp"
#include "core/error.hpp"

namespace connctl::core {
namespace {

template <class T>
std::optional<T> get_as(const Settings& settings, std::string_view key, std::string_view expected) {
  const Setting* s = settings.find(key);
  if (!s) return std::nullopt;
  if (const T* v = std::get_if<T>(&s->value)) return *v;
  throw_usage(fmt::format("{}: key '{}': expected {}", s->where.str(), key, expected));
}

}  // namespace

std::string Location::str() const {
  if (line <= 0) return file;
  return fmt::format("{}:{}:{}", file, line, column);
}

void Settings::set(std::string key, Setting setting) {
  m_values[std::move(key)] = std::move(setting);
}

bool Settings::has(std::string_view key) const {
  return m_values.find(key) != m_values.end();
}

const Setting* Settings::find(std::string_view key) const {
  auto it = m_values.find(key);
  return it == m_values.end() ? nullptr : &it->second;
}

std::optional<std::string> Settings::get_string(std::string_view key) const {
  return get_as<std::string>(*this, key, "a string");
}

std::optional<std::int64_t> Settings::get_integer(std::string_view key) const {
  return get_as<std::int64_t>(*this, key, "an integer");
}

std::optional<bool> Settings::get_bool(std::string_view key) const {
  return get_as<bool>(*this, key, "a boolean");
}

std::optional<std::int64_t> Settings::get_duration_ms(std::string_view key) const {
  return get_as<std::int64_t>(*this, key, "a duration");
}

std::optional<std::vector<std::string>> Settings::get_string_list(std::string_view key) const {
  return get_as<std::vector<std::string>>(*this, key, "a list of strings");
}

std::optional<std::map<std::string, std::string>> Settings::get_string_table(
    std::string_view key) const {
  return get_as<std::map<std::string, std::string>>(*this, key, "a table of strings");
}

std::optional<std::filesystem::path> Settings::get_path(std::string_view key) const {
  auto text = get_string(key);
  if (!text) return std::nullopt;
  return resolve_config_path(find(key)->where, *text);
}

std::filesystem::path resolve_config_path(const Location& where, const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_relative() && !where.file.empty() && where.file.front() != '<') {
    p = std::filesystem::absolute(std::filesystem::path(where.file)).parent_path() / p;
  }
  return std::filesystem::absolute(p).lexically_normal();
}

}  // namespace connctl::core
