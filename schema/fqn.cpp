#include "schema/fqn.hpp"

#include <stdexcept>

namespace connctl::schema {

std::string quote_component(std::string_view component) {
  bool needs_quotes = component.empty();
  for (unsigned char c : component) {
    if (c == '.' || c == '"' || c == ' ' || (c >= 0x09 && c <= 0x0d)) {
      needs_quotes = true;
      break;
    }
  }
  if (!needs_quotes) return std::string(component);
  std::string out = "\"";
  for (char c : component) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string Fqn::str() const {
  std::string out;
  for (std::size_t i = 0; i < m_components.size(); ++i) {
    if (i > 0) out.push_back('.');
    out += quote_component(m_components[i]);
  }
  return out;
}

Fqn Fqn::child(std::string_view name) const {
  Fqn out = *this;
  out.m_components.emplace_back(name);
  return out;
}

Fqn Fqn::parent() const {
  Fqn out = *this;
  if (!out.m_components.empty()) out.m_components.pop_back();
  return out;
}

Fqn Fqn::parse(std::string_view text) {
  std::vector<std::string> parts;
  std::size_t i = 0;
  if (text.empty()) return Fqn();
  while (true) {
    std::string part;
    if (i < text.size() && text[i] == '"') {
      ++i;
      bool closed = false;
      while (i < text.size()) {
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            part.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        part.push_back(text[i++]);
      }
      if (!closed)
        throw std::invalid_argument("unterminated quote in name '" + std::string(text) + "'");
      if (i < text.size() && text[i] != '.') {
        throw std::invalid_argument("unexpected character after a closing quote in name '" +
                                    std::string(text) + "'");
      }
    } else {
      while (i < text.size() && text[i] != '.') part.push_back(text[i++]);
    }
    parts.push_back(std::move(part));
    if (i >= text.size()) break;
    ++i;  // the dot
    if (i == text.size()) {
      parts.emplace_back();
      break;
    }
  }
  return Fqn(std::move(parts));
}

}  // namespace connctl::schema
