#pragma once
// A small JSON value for entity attributes. Objects keep their keys sorted and
// unique (canonical form), so that the same metadata always serialises to the
// same bytes and the same fingerprint.

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace connctl::schema {

class Value;
using Array = std::vector<Value>;
using Object = std::vector<std::pair<std::string, Value>>;  // sorted by key once canonical

class Value {
 public:
  using Storage =
      std::variant<std::monostate, bool, std::int64_t, double, std::string, Array, Object>;

  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool b) : m_v(b) {}
  template <std::integral T>
  requires(!std::same_as<T, bool>) Value(T i) : m_v(static_cast<std::int64_t>(i)) {}
  Value(double d) : m_v(d) {}
  Value(std::string s) : m_v(std::move(s)) {}
  Value(std::string_view s) : m_v(std::string(s)) {}
  Value(const char* s) : m_v(std::string(s)) {}
  Value(Array a) : m_v(std::move(a)) {}
  Value(Object o) : m_v(std::move(o)) {}

  bool is_null() const { return std::holds_alternative<std::monostate>(m_v); }
  bool is_bool() const { return std::holds_alternative<bool>(m_v); }
  bool is_int() const { return std::holds_alternative<std::int64_t>(m_v); }
  bool is_double() const { return std::holds_alternative<double>(m_v); }
  bool is_string() const { return std::holds_alternative<std::string>(m_v); }
  bool is_array() const { return std::holds_alternative<Array>(m_v); }
  bool is_object() const { return std::holds_alternative<Object>(m_v); }

  bool as_bool() const { return std::get<bool>(m_v); }
  std::int64_t as_int() const { return std::get<std::int64_t>(m_v); }
  double as_double() const { return std::get<double>(m_v); }
  const std::string& as_string() const { return std::get<std::string>(m_v); }
  const Array& as_array() const { return std::get<Array>(m_v); }
  const Object& as_object() const { return std::get<Object>(m_v); }
  Array& as_array() { return std::get<Array>(m_v); }
  Object& as_object() { return std::get<Object>(m_v); }

  const Storage& storage() const { return m_v; }

  // Member of an object value, or nullptr.
  const Value* find(std::string_view key) const;

  friend bool operator==(const Value& a, const Value& b) = default;

 private:
  Storage m_v;
};

// Sorts object keys recursively; a repeated key keeps its last value.
void canonicalize(Value& value);
void canonicalize(Object& object);

// Compact JSON with sorted keys and no whitespace; invalid UTF-8 in strings is
// replaced by U+FFFD so the output is always valid JSON.
std::string to_canonical_json(const Value& value);

// Parses JSON text into a Value (objects canonicalised). Throws
// std::runtime_error with the offset of the first error.
Value parse_json(std::string_view text);

}  // namespace connctl::schema
