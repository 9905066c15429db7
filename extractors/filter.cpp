#include "extractors/filter.hpp"

#include <fmt/format.h>
#include <re2/re2.h>

#include <stdexcept>

#include "core/error.hpp"
#include "schema/fqn.hpp"

namespace connctl::extractors {

struct Filter::Pattern {
  std::string text;
  std::unique_ptr<RE2> whole;                    // "re:" patterns
  std::vector<std::unique_ptr<RE2>> components;  // glob patterns, one per component

  bool matches_prefix(const std::vector<std::string>& path, std::size_t count) const {
    for (std::size_t i = 0; i < count; ++i) {
      if (!RE2::FullMatch(path[i], *components[i])) return false;
    }
    return true;
  }
};

namespace {

std::string glob_to_regex(std::string_view glob) {
  std::string out;
  for (char c : glob) {
    if (c == '*') {
      out += ".*";
    } else if (c == '?') {
      out += ".";
    } else {
      out += RE2::QuoteMeta(std::string_view(&c, 1));
    }
  }
  return out;
}

RE2::Options regex_options() {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_dot_nl(true);
  return options;
}

std::string joined(const std::vector<std::string>& path) {
  std::string out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (i > 0) out.push_back('.');
    out += path[i];
  }
  return out;
}

}  // namespace

std::shared_ptr<const Filter::Pattern> Filter::compile(std::string_view text) {
  auto pattern = std::make_shared<Pattern>();
  pattern->text = std::string(text);
  if (text.empty())
    core::throw_usage("an empty include/exclude pattern matches nothing; remove it");
  if (text.substr(0, 3) == "re:") {
    pattern->whole = std::make_unique<RE2>(text.substr(3), regex_options());
    if (!pattern->whole->ok()) {
      core::throw_usage(fmt::format("invalid pattern '{}': {}", text, pattern->whole->error()));
    }
    return pattern;
  }
  schema::Fqn parts;
  try {
    parts = schema::Fqn::parse(text);
  } catch (const std::invalid_argument& e) {
    core::throw_usage(fmt::format("invalid pattern '{}': {}", text, e.what()));
  }
  for (const auto& component : parts.components()) {
    auto re = std::make_unique<RE2>(glob_to_regex(component), regex_options());
    if (!re->ok()) core::throw_usage(fmt::format("invalid pattern '{}': {}", text, re->error()));
    pattern->components.push_back(std::move(re));
  }
  return pattern;
}

Filter::Filter() = default;
Filter::~Filter() = default;
Filter::Filter(const Filter&) = default;
Filter& Filter::operator=(const Filter&) = default;
Filter::Filter(Filter&&) noexcept = default;
Filter& Filter::operator=(Filter&&) noexcept = default;

void Filter::include(std::string_view pattern) {
  m_includes.push_back(compile(pattern));
}
void Filter::exclude(std::string_view pattern) {
  m_excludes.push_back(compile(pattern));
}

std::string Filter::describe() const {
  std::string out;
  for (const auto& p : m_includes) out += "include:" + p->text + "\n";
  for (const auto& p : m_excludes) out += "exclude:" + p->text + "\n";
  return out;
}

bool Filter::empty() const {
  return m_includes.empty() && m_excludes.empty();
}

bool Filter::matches(const std::vector<std::string>& path) const {
  auto hit = [&](const Pattern& p) {
    if (p.whole) return RE2::FullMatch(joined(path), *p.whole);
    if (p.components.size() > path.size()) return false;
    return p.matches_prefix(path, p.components.size());
  };
  for (const auto& p : m_excludes) {
    if (hit(*p)) return false;
  }
  if (m_includes.empty()) return true;
  for (const auto& p : m_includes) {
    if (hit(*p)) return true;
  }
  return false;
}

bool Filter::may_contain(const std::vector<std::string>& container_path) const {
  for (const auto& p : m_excludes) {
    if (p->whole) {
      if (RE2::FullMatch(joined(container_path), *p->whole)) return false;
    } else if (p->components.size() <= container_path.size() &&
               p->matches_prefix(container_path, p->components.size())) {
      return false;
    }
  }
  if (m_includes.empty()) return true;
  for (const auto& p : m_includes) {
    if (p->whole) return true;  // a regex may match something below; list the container
    std::size_t n = std::min(p->components.size(), container_path.size());
    if (p->matches_prefix(container_path, n)) return true;
  }
  return false;
}

}  // namespace connctl::extractors
