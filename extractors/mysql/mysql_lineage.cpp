#include "extractors/mysql/mysql_lineage.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

namespace connctl::extractors::mysql {
namespace {

enum class TokenType { identifier, word, string, number, punct };

struct Token {
  TokenType type;
  std::string text;  // identifiers unquoted; words lower-cased
};

std::vector<Token> tokenize(std::string_view s) {
  std::vector<Token> out;
  std::size_t i = 0;
  const std::size_t n = s.size();
  auto quoted = [&](char q) {
    std::string text;
    ++i;
    for (;;) {
      if (i >= n) throw std::runtime_error("unterminated quoted text in the view definition");
      char c = s[i];
      if (c == '\\' && q != '`' && i + 1 < n) {
        text += s[i + 1];
        i += 2;
        continue;
      }
      if (c == q) {
        if (i + 1 < n && s[i + 1] == q) {
          text += q;
          i += 2;
          continue;
        }
        ++i;
        return text;
      }
      text += c;
      ++i;
    }
  };
  while (i < n) {
    const char c = s[i];
    const auto uc = static_cast<unsigned char>(c);
    if (std::isspace(uc)) {
      ++i;
    } else if (c == '`') {
      out.push_back({TokenType::identifier, quoted('`')});
    } else if (c == '\'' || c == '"') {
      out.push_back({TokenType::string, quoted(c)});
    } else if (c == '#' || (c == '-' && i + 2 < n && s[i + 1] == '-' &&
                            std::isspace(static_cast<unsigned char>(s[i + 2])))) {
      while (i < n && s[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < n && s[i + 1] == '*') {
      auto end = s.find("*/", i + 2);
      if (end == std::string_view::npos)
        throw std::runtime_error("unterminated comment in the view definition");
      i = end + 2;
    } else if (std::isdigit(uc)) {
      std::size_t start = i;
      while (i < n && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
      out.push_back({TokenType::number, std::string(s.substr(start, i - start))});
    } else if (std::isalpha(uc) || c == '_' || c == '@' || c == '$' || uc >= 0x80) {
      std::size_t start = i;
      while (i < n) {
        const auto d = static_cast<unsigned char>(s[i]);
        if (!(std::isalnum(d) || s[i] == '_' || s[i] == '@' || s[i] == '$' || d >= 0x80)) break;
        ++i;
      }
      std::string word(s.substr(start, i - start));
      for (auto& ch : word) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      out.push_back({TokenType::word, std::move(word)});
    } else {
      out.push_back({TokenType::punct, std::string(1, c)});
      ++i;
    }
  }
  return out;
}

bool is_clause_end(const std::string& w) {
  static const std::set<std::string> k_words = {
      "where",  "group",     "having", "order", "limit", "window",    "union",
      "except", "intersect", "into",   "for",   "lock",  "procedure", "returning"};
  return k_words.count(w) > 0;
}

bool is_set_operator(const std::string& w) {
  return w == "union" || w == "except" || w == "intersect";
}

// Words that may follow a table factor and are never its alias.
bool is_not_alias(const std::string& w) {
  static const std::set<std::string> k_words = {
      "join",  "left",   "right",     "inner",    "cross",  "natural", "straight_join",
      "on",    "using",  "where",     "group",    "having", "order",   "limit",
      "union", "except", "intersect", "window",   "for",    "lock",    "into",
      "use",   "ignore", "force",     "partition"};
  return k_words.count(w) > 0;
}

// The walk's state for one level of parentheses.
struct Frame {
  bool branch = false;        // a query at the top level (or a parenthesised UNION branch)
  bool in_from = false;       // inside this level's FROM clause
  bool expect_table = false;  // the next thing is a table factor
  bool derived = false;       // a SELECT that stands in a FROM clause (derived table)
  bool saw_token = false;
  bool filtering = false;  // past this level's select list (FROM, WHERE, …)
};

struct RawColumn {
  std::vector<std::string> parts;  // 2 (alias, column) or 3 (database, table, column)
};

class Walker {
 public:
  explicit Walker(std::vector<Token> tokens) : m_t(std::move(tokens)) {}

  ViewReferences run() {
    Frame root;
    root.branch = true;
    m_frames.push_back(root);
    for (m_i = 0; m_i < m_t.size();) step();
    return resolve();
  }

 private:
  const Token* peek(std::size_t ahead = 0) const {
    return m_i + ahead < m_t.size() ? &m_t[m_i + ahead] : nullptr;
  }
  bool is_punct(const Token* t, char c) const {
    return t && t->type == TokenType::punct && t->text.size() == 1 && t->text[0] == c;
  }
  bool is_word(const Token* t, const char* w) const {
    return t && t->type == TokenType::word && t->text == w;
  }
  Frame& top() { return m_frames.back(); }
  std::size_t depth() const { return m_frames.size() - 1; }

  // A dotted chain of identifiers starting at m_i: `a`.`b`.`c`.
  std::vector<std::string> chain() {
    std::vector<std::string> parts{m_t[m_i].text};
    ++m_i;
    while (is_punct(peek(), '.') && peek(1) && peek(1)->type == TokenType::identifier) {
      parts.push_back(m_t[m_i + 1].text);
      m_i += 2;
    }
    return parts;
  }

  std::optional<std::string> alias_after() {
    if (is_word(peek(), "as")) ++m_i;
    const Token* t = peek();
    if (t && (t->type == TokenType::identifier ||
              (t->type == TokenType::word && !is_not_alias(t->text)))) {
      ++m_i;
      return t->text;
    }
    return std::nullopt;
  }

  // Inside an output column's expression, and not in the FROM or WHERE of a
  // sub-select in it (those columns filter; they do not flow into the output).
  bool capturing() const {
    if (!m_capture) return false;
    for (std::size_t d = m_capture_depth + 1; d < m_frames.size(); ++d) {
      if (m_frames[d].filtering) return false;
    }
    return true;
  }

  void end_capture_at_or_below(std::size_t d) {
    if (m_capture && m_capture_depth >= d) m_capture = false;
  }

  void step() {
    const Token& tok = m_t[m_i];
    const bool first_in_frame = !top().saw_token;
    top().saw_token = true;
    if (tok.type == TokenType::identifier) {
      if (top().expect_table) {
        auto parts = chain();
        top().expect_table = false;
        std::optional<TableRef> ref;
        if (parts.size() == 2) ref = TableRef{parts[0], parts[1]};
        // One part: a CTE or a derived name (servers qualify every table).
        if (ref) m_tables.insert(*ref);
        auto alias = alias_after();
        const std::string key = alias ? *alias : parts.back();
        add_alias(key, ref);
        return;
      }
      auto parts = chain();
      if (is_punct(peek(), '(')) return;  // a stored function call
      if (capturing() && parts.size() >= 2 && parts.size() <= 3)
        m_items[m_item].push_back(RawColumn{parts});
      return;
    }
    if (tok.type == TokenType::punct) {
      const char c = tok.text[0];
      if (c == '(') {
        Frame f;
        const Token* before = m_i > 0 ? &m_t[m_i - 1] : nullptr;
        f.branch = top().branch &&
                   (first_in_frame || (before && before->type == TokenType::word &&
                                       (is_set_operator(before->text) || before->text == "all" ||
                                        before->text == "distinct")));
        if (top().expect_table) {
          f.in_from = true;
          f.expect_table = true;
          top().expect_table = false;
        }
        m_frames.push_back(f);
        ++m_i;
        return;
      }
      if (c == ')') {
        if (m_frames.size() > 1) {
          const bool derived = top().derived;
          m_frames.pop_back();
          end_capture_at_or_below(depth() + 1);
          ++m_i;
          if (derived) add_alias(alias_after().value_or(""), std::nullopt);
        } else {
          ++m_i;
        }
        return;
      }
      if (c == ',') {
        if (m_capture && m_capture_depth == depth()) ++m_item, ensure_item();
        if (top().in_from) top().expect_table = true;
        ++m_i;
        return;
      }
      ++m_i;
      return;
    }
    if (tok.type == TokenType::word) {
      const std::string& w = tok.text;
      if (w == "select") {
        if (top().in_from && top().expect_table) {
          top().derived = true;
        }
        top().in_from = false;
        top().expect_table = false;
        top().filtering = false;
        if (top().branch && !top().derived) {
          m_capture = true;
          m_capture_depth = depth();
          m_item = 0;
          ensure_item();
        }
      } else if (w == "from") {
        end_capture_at_or_below(depth());
        top().filtering = true;
        top().in_from = true;
        top().expect_table = true;
      } else if (w == "join" || w == "straight_join") {
        top().expect_table = true;
      } else if (w == "on" || w == "using") {
        top().expect_table = false;
      } else if (is_clause_end(w)) {
        end_capture_at_or_below(depth());
        top().filtering = true;
        top().in_from = false;
        top().expect_table = false;
      }
      ++m_i;
      return;
    }
    ++m_i;
  }

  void ensure_item() {
    if (m_items.size() <= m_item) m_items.resize(m_item + 1);
  }

  void add_alias(const std::string& alias, const std::optional<TableRef>& ref) {
    if (alias.empty()) return;
    auto [it, inserted] = m_aliases.emplace(alias, ref);
    if (!inserted && it->second != ref) m_ambiguous.insert(alias);
  }

  ViewReferences resolve() const {
    ViewReferences out;
    out.tables.assign(m_tables.begin(), m_tables.end());
    out.columns.resize(m_items.size());
    for (std::size_t i = 0; i < m_items.size(); ++i) {
      std::set<ColumnSource> found;
      for (const auto& raw : m_items[i]) {
        if (raw.parts.size() == 3) {
          TableRef ref{raw.parts[0], raw.parts[1]};
          if (m_tables.count(ref)) found.insert({ref, raw.parts[2]});
          continue;
        }
        const std::string& alias = raw.parts[0];
        if (m_ambiguous.count(alias)) continue;
        auto it = m_aliases.find(alias);
        if (it == m_aliases.end() || !it->second) continue;
        found.insert({*it->second, raw.parts[1]});
      }
      out.columns[i].assign(found.begin(), found.end());
    }
    return out;
  }

  std::vector<Token> m_t;
  std::size_t m_i = 0;
  std::vector<Frame> m_frames;
  std::set<TableRef> m_tables;
  std::map<std::string, std::optional<TableRef>> m_aliases;
  std::set<std::string> m_ambiguous;
  // Column references of the output columns of the top-level branches; all
  // branches of a UNION add to the same positions.
  std::vector<std::vector<RawColumn>> m_items;
  bool m_capture = false;
  std::size_t m_capture_depth = 0;
  std::size_t m_item = 0;
};

}  // namespace

ViewReferences parse_view_definition(std::string_view definition) {
  Walker walker(tokenize(definition));
  return walker.run();
}

}  // namespace connctl::extractors::mysql
