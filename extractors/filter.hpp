#pragma once
// Include/exclude patterns on the path of an object below its source:
// database.schema.table for sources with schemas, database.table for SQLite.
// A pattern is a glob per component ('*' and '?' never cross a dot; quoted
// components as in FQNs), or "re:" followed by an RE2 expression matched
// against the whole unquoted dotted path. A glob with fewer components than the
// path matches on its leading components, so "main" selects a whole database.
// Matching is linear time (RE2), whatever the pattern.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace connctl::extractors {

class Filter {
 public:
  Filter();
  ~Filter();
  Filter(const Filter&);
  Filter& operator=(const Filter&);
  Filter(Filter&&) noexcept;
  Filter& operator=(Filter&&) noexcept;

  // Throws core::Error(usage) naming the malformed pattern.
  void include(std::string_view pattern);
  void exclude(std::string_view pattern);

  bool empty() const;

  // The patterns as text ("include:…" and "exclude:…" lines, in the order
  // given): what a run's scope was, for comparing one run's with another's.
  std::string describe() const;

  // Whether an object at this path (components below the source) is in scope:
  // it matches some include (or there are none) and no exclude.
  bool matches(const std::vector<std::string>& path) const;

  // Whether a container could hold in-scope objects, so that it is worth
  // listing: no exclude names it whole, and some include could match below it.
  bool may_contain(const std::vector<std::string>& container_path) const;

 private:
  struct Pattern;
  static std::shared_ptr<const Pattern> compile(std::string_view text);
  std::vector<std::shared_ptr<const Pattern>> m_includes;
  std::vector<std::shared_ptr<const Pattern>> m_excludes;
};

}  // namespace connctl::extractors
