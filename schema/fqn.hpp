#pragma once
// Fully qualified names: source.database.schema.table.column (a source fills
// the levels it has). A component is written in double quotes when it contains
// a dot, a double quote, whitespace or is empty; a quote inside is doubled.

#include <string>
#include <string_view>
#include <vector>

namespace connctl::schema {

class Fqn {
 public:
  Fqn() = default;
  explicit Fqn(std::vector<std::string> components) : m_components(std::move(components)) {}

  // Parses the written form; throws std::invalid_argument on an unterminated
  // quote or a stray character after a closing quote.
  static Fqn parse(std::string_view text);

  Fqn child(std::string_view name) const;
  Fqn parent() const;  // drops the last component; empty for a single component
  bool empty() const { return m_components.empty(); }
  std::size_t size() const { return m_components.size(); }
  const std::string& name() const { return m_components.back(); }
  const std::vector<std::string>& components() const { return m_components; }

  std::string str() const;

  friend bool operator==(const Fqn&, const Fqn&) = default;
  friend auto operator<=>(const Fqn&, const Fqn&) = default;

 private:
  std::vector<std::string> m_components;
};

// One component as it appears in an FQN (quoted when needed).
std::string quote_component(std::string_view component);

}  // namespace connctl::schema
