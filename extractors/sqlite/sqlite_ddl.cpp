#include "extractors/sqlite/sqlite_ddl.hpp"

#include <algorithm>
#include <utility>

namespace connctl::extractors::sqlite {
namespace {

char ascii_upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

bool is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool is_digit(unsigned char c) {
  return c >= '0' && c <= '9';
}
bool is_alpha(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
// SQLite treats every byte >= 0x80 as part of an identifier (UTF-8 names).
bool is_word_start(unsigned char c) {
  return is_alpha(c) || c == '_' || c >= 0x80;
}
bool is_word_char(unsigned char c) {
  return is_word_start(c) || is_digit(c) || c == '$';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && is_space(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_upper(c);
  return out;
}

// Reads a quoted run starting at the opening quote; `doubled` says whether a
// doubled closing quote stands for one quote character. Returns one past the end.
std::size_t read_quoted(std::string_view s, std::size_t i, char close, bool doubled,
                        std::string& out) {
  std::size_t j = i + 1;
  while (j < s.size()) {
    if (s[j] == close) {
      if (doubled && j + 1 < s.size() && s[j + 1] == close) {
        out.push_back(close);
        j += 2;
        continue;
      }
      return j + 1;
    }
    out.push_back(s[j]);
    ++j;
  }
  return s.size();
}

// A cursor over the tokens of one statement with the helpers the parsers share.
class Cursor {
 public:
  Cursor(std::string_view sql) : m_sql(sql), m_tokens(tokenize(sql)) {}

  std::size_t size() const { return m_tokens.size(); }
  const Token& at(std::size_t i) const { return m_tokens[i]; }
  bool keyword_at(std::size_t i, std::string_view kw) const {
    return i < m_tokens.size() && m_tokens[i].is_keyword(kw);
  }
  bool punct_at(std::size_t i, char c) const {
    return i < m_tokens.size() && m_tokens[i].is_punct(c);
  }

  // Index one past the ')' matching the '(' at i (the end when unmatched).
  std::size_t skip_group(std::size_t i) const {
    int depth = 0;
    for (std::size_t j = i; j < m_tokens.size(); ++j) {
      if (m_tokens[j].is_punct('(')) ++depth;
      if (m_tokens[j].is_punct(')') && --depth == 0) return j + 1;
    }
    return m_tokens.size();
  }

  // Ranges [begin, end) of the comma-separated elements between b and e, at depth 0.
  std::vector<std::pair<std::size_t, std::size_t>> split(std::size_t b, std::size_t e) const {
    std::vector<std::pair<std::size_t, std::size_t>> out;
    std::size_t start = b;
    std::size_t i = b;
    while (i < e) {
      if (m_tokens[i].is_punct('(')) {
        i = std::min(skip_group(i), e);
        continue;
      }
      if (m_tokens[i].is_punct(',')) {
        out.emplace_back(start, i);
        start = i + 1;
      }
      ++i;
    }
    out.emplace_back(start, e);
    return out;
  }

  // The source text of tokens [b, e), trimmed.
  std::string text(std::size_t b, std::size_t e) const {
    if (b >= e || b >= m_tokens.size()) return {};
    e = std::min(e, m_tokens.size());
    return std::string(
        trim(m_sql.substr(m_tokens[b].begin, m_tokens[e - 1].end - m_tokens[b].begin)));
  }

  // The source text strictly inside the group whose '(' is at i.
  std::string inside(std::size_t open) const {
    std::size_t after = skip_group(open);
    std::size_t close = (after > 0 && after <= m_tokens.size() && m_tokens[after - 1].is_punct(')'))
                            ? after - 1
                            : after;
    if (open + 1 >= close) return {};
    return std::string(
        trim(m_sql.substr(m_tokens[open].end, m_tokens[close].begin - m_tokens[open].end)));
  }

  // The first token of each element of the group at i: the column names of an
  // indexed-column list such as (a COLLATE nocase, b DESC).
  std::vector<std::string> names_in_group(std::size_t open) const {
    std::vector<std::string> out;
    std::size_t after = skip_group(open);
    std::size_t close = after > open + 1 && m_tokens[after - 1].is_punct(')') ? after - 1 : after;
    for (auto [b, e] : split(open + 1, close)) {
      if (b < e) out.push_back(m_tokens[b].text);
    }
    return out;
  }

  // Skips [schema.]name starting at i; returns the index after it.
  std::size_t skip_qualified_name(std::size_t i) const {
    if (i >= size()) return i;
    ++i;
    if (punct_at(i, '.')) i += 2;
    return std::min(i, size());
  }

  // Skips IF NOT EXISTS at i when present.
  std::size_t skip_if_not_exists(std::size_t i) const {
    if (keyword_at(i, "IF") && keyword_at(i + 1, "NOT") && keyword_at(i + 2, "EXISTS"))
      return i + 3;
    return i;
  }

 private:
  std::string_view m_sql;
  std::vector<Token> m_tokens;
};

bool is_column_constraint_start(const Token& t) {
  static constexpr std::string_view k_starts[] = {"CONSTRAINT", "PRIMARY",   "NOT",     "NULL",
                                                  "UNIQUE",     "CHECK",     "DEFAULT", "COLLATE",
                                                  "REFERENCES", "GENERATED", "AS"};
  return std::any_of(std::begin(k_starts), std::end(k_starts),
                     [&](std::string_view k) { return t.is_keyword(k); });
}

bool is_table_constraint_start(const Token& t) {
  return t.is_keyword("CONSTRAINT") || t.is_keyword("PRIMARY") || t.is_keyword("UNIQUE") ||
         t.is_keyword("CHECK") || t.is_keyword("FOREIGN");
}

class TableParser {
 public:
  explicit TableParser(std::string_view sql) : m_cur(sql) {}

  TableDdl parse() {
    std::size_t i = 0;
    if (!m_cur.keyword_at(i, "CREATE")) return std::move(m_ddl);
    ++i;
    if (m_cur.keyword_at(i, "TEMP") || m_cur.keyword_at(i, "TEMPORARY")) ++i;
    if (m_cur.keyword_at(i, "VIRTUAL")) {
      i = m_cur.skip_if_not_exists(i + 2);  // VIRTUAL TABLE
      i = m_cur.skip_qualified_name(i);
      if (m_cur.keyword_at(i, "USING") && i + 1 < m_cur.size()) m_ddl.module = m_cur.at(i + 1).text;
      return std::move(m_ddl);
    }
    if (!m_cur.keyword_at(i, "TABLE")) return std::move(m_ddl);
    i = m_cur.skip_qualified_name(m_cur.skip_if_not_exists(i + 1));
    if (!m_cur.punct_at(i, '(')) return std::move(m_ddl);  // CREATE TABLE … AS SELECT
    std::size_t after = m_cur.skip_group(i);
    std::size_t close = m_cur.at(after - 1).is_punct(')') ? after - 1 : after;
    for (auto [b, e] : m_cur.split(i + 1, close)) {
      if (b >= e) continue;
      // Per element: a definition may mix table constraints and columns.
      if (is_table_constraint_start(m_cur.at(b))) {
        table_constraints(b, e);
      } else {
        column_def(b, e);
      }
    }
    return std::move(m_ddl);
  }

 private:
  void column_def(std::size_t b, std::size_t e) {
    const std::string column = m_cur.at(b).text;
    std::size_t i = b + 1;
    while (i < e && !is_column_constraint_start(m_cur.at(i))) {
      i = m_cur.at(i).is_punct('(') ? m_cur.skip_group(i) : i + 1;
    }
    std::optional<std::string> pending;
    while (i < e) {
      const Token& t = m_cur.at(i);
      if (t.is_keyword("CONSTRAINT")) {
        pending = i + 1 < e ? std::optional(m_cur.at(i + 1).text) : std::nullopt;
        i += 2;
        continue;
      }
      if (t.is_keyword("PRIMARY")) {
        if (pending) m_ddl.primary_key_name = pending;
        i += 2;
      } else if (t.is_keyword("UNIQUE")) {
        m_ddl.uniques.push_back({pending, {column}});
        ++i;
      } else if (t.is_keyword("CHECK")) {
        ++i;
        if (m_cur.punct_at(i, '(')) {
          m_ddl.checks.push_back({pending, m_cur.inside(i), column});
          i = m_cur.skip_group(i);
        }
      } else if (t.is_keyword("DEFAULT")) {
        ++i;
        if (m_cur.punct_at(i, '(')) {
          i = m_cur.skip_group(i);
        } else if (m_cur.punct_at(i, '-') || m_cur.punct_at(i, '+')) {
          i += 2;
        } else {
          ++i;
        }
      } else if (t.is_keyword("COLLATE")) {
        i += 2;
      } else if (t.is_keyword("NOT") || t.is_keyword("NULL")) {
        i += m_cur.keyword_at(i + 1, "NULL") && t.is_keyword("NOT") ? 2 : 1;
      } else if (t.is_keyword("REFERENCES")) {
        ForeignKeyDef fk;
        fk.name = pending;
        fk.columns = {column};
        i = foreign_key_clause(i, e, fk);
        m_ddl.foreign_keys.push_back(std::move(fk));
      } else if (t.is_keyword("GENERATED") || t.is_keyword("AS")) {
        if (t.is_keyword("GENERATED")) i += 2;  // GENERATED ALWAYS
        if (m_cur.keyword_at(i, "AS")) ++i;
        if (m_cur.punct_at(i, '(')) {
          m_ddl.generated.push_back({column, m_cur.inside(i)});
          i = m_cur.skip_group(i);
        }
      } else {
        ++i;  // ASC, DESC, AUTOINCREMENT, ON CONFLICT …, STORED, VIRTUAL
        continue;
      }
      pending.reset();
    }
  }

  void table_constraints(std::size_t b, std::size_t e) {
    std::optional<std::string> pending;
    std::size_t i = b;
    while (i < e) {
      const Token& t = m_cur.at(i);
      if (t.is_keyword("CONSTRAINT")) {
        pending = i + 1 < e ? std::optional(m_cur.at(i + 1).text) : std::nullopt;
        i += 2;
        continue;
      }
      if (t.is_keyword("PRIMARY")) {
        if (pending) m_ddl.primary_key_name = pending;
        i += 2;
        if (m_cur.punct_at(i, '(')) i = m_cur.skip_group(i);
      } else if (t.is_keyword("UNIQUE")) {
        ++i;
        UniqueDef unique{pending, {}};
        if (m_cur.punct_at(i, '(')) {
          unique.columns = m_cur.names_in_group(i);
          i = m_cur.skip_group(i);
        }
        m_ddl.uniques.push_back(std::move(unique));
      } else if (t.is_keyword("CHECK")) {
        ++i;
        if (m_cur.punct_at(i, '(')) {
          m_ddl.checks.push_back({pending, m_cur.inside(i), std::nullopt});
          i = m_cur.skip_group(i);
        }
      } else if (t.is_keyword("FOREIGN")) {
        i += 2;  // FOREIGN KEY
        ForeignKeyDef fk;
        fk.name = pending;
        if (m_cur.punct_at(i, '(')) {
          fk.columns = m_cur.names_in_group(i);
          i = m_cur.skip_group(i);
        }
        if (m_cur.keyword_at(i, "REFERENCES")) i = foreign_key_clause(i, e, fk);
        m_ddl.foreign_keys.push_back(std::move(fk));
      } else {
        ++i;  // ON CONFLICT …
        continue;
      }
      pending.reset();
    }
  }

  // REFERENCES table [(columns)] [ON DELETE|UPDATE action | MATCH name]…
  // [[NOT] DEFERRABLE [INITIALLY DEFERRED|IMMEDIATE]]; i is at REFERENCES.
  std::size_t foreign_key_clause(std::size_t i, std::size_t e, ForeignKeyDef& fk) {
    ++i;
    if (i < e) fk.referenced_table = m_cur.at(i++).text;
    if (i < e && m_cur.punct_at(i, '(')) {
      fk.referenced_columns = m_cur.names_in_group(i);
      i = m_cur.skip_group(i);
    }
    while (i < e) {
      if (m_cur.keyword_at(i, "ON")) {
        i += 2;  // ON DELETE / ON UPDATE
        i += (m_cur.keyword_at(i, "SET") || m_cur.keyword_at(i, "NO")) ? 2 : 1;
      } else if (m_cur.keyword_at(i, "MATCH")) {
        i += 2;
      } else if (m_cur.keyword_at(i, "NOT") && m_cur.keyword_at(i + 1, "DEFERRABLE")) {
        i += 2;
        fk.deferrable = false;
        fk.initially_deferred = false;
        if (m_cur.keyword_at(i, "INITIALLY")) i += 2;
      } else if (m_cur.keyword_at(i, "DEFERRABLE")) {
        ++i;
        fk.deferrable = true;
        if (m_cur.keyword_at(i, "INITIALLY")) {
          fk.initially_deferred = m_cur.keyword_at(i + 1, "DEFERRED");
          i += 2;
        }
      } else {
        break;
      }
    }
    return std::min(i, e);
  }

  Cursor m_cur;
  TableDdl m_ddl;
};

}  // namespace

bool Token::is_keyword(std::string_view keyword) const {
  return kind == Kind::word && iequals(text, keyword);
}

std::vector<Token> tokenize(std::string_view s) {
  std::vector<Token> out;
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (is_space(c)) {
      ++i;
      continue;
    }
    if (c == '-' && i + 1 < n && s[i + 1] == '-') {
      std::size_t nl = s.find('\n', i);
      i = nl == std::string_view::npos ? n : nl + 1;
      continue;
    }
    if (c == '/' && i + 1 < n && s[i + 1] == '*') {
      std::size_t close = s.find("*/", i + 2);
      i = close == std::string_view::npos ? n : close + 2;
      continue;
    }
    Token t;
    t.begin = i;
    if (c == '\'') {
      t.kind = Token::Kind::string;
      i = read_quoted(s, i, '\'', true, t.text);
    } else if (c == '"' || c == '`') {
      t.kind = Token::Kind::quoted_identifier;
      i = read_quoted(s, i, static_cast<char>(c), true, t.text);
    } else if (c == '[') {
      t.kind = Token::Kind::quoted_identifier;
      i = read_quoted(s, i, ']', false, t.text);
    } else if ((c == 'x' || c == 'X') && i + 1 < n && s[i + 1] == '\'') {
      t.kind = Token::Kind::blob;
      i = read_quoted(s, i + 1, '\'', false, t.text);
    } else if (is_digit(c) ||
               (c == '.' && i + 1 < n && is_digit(static_cast<unsigned char>(s[i + 1])))) {
      t.kind = Token::Kind::number;
      std::size_t j = i;
      while (j < n) {
        const auto d = static_cast<unsigned char>(s[j]);
        if (is_digit(d) || is_alpha(d) || d == '.' || d == '_') {
          ++j;
        } else if ((d == '+' || d == '-') && (s[j - 1] == 'e' || s[j - 1] == 'E') &&
                   !(j >= i + 2 && (s[i + 1] == 'x' || s[i + 1] == 'X'))) {
          ++j;  // exponent sign, not inside a hex literal
        } else {
          break;
        }
      }
      t.text = std::string(s.substr(i, j - i));
      i = j;
    } else if (is_word_start(c)) {
      t.kind = Token::Kind::word;
      std::size_t j = i + 1;
      while (j < n && is_word_char(static_cast<unsigned char>(s[j]))) ++j;
      t.text = std::string(s.substr(i, j - i));
      i = j;
    } else if (c == '?' || c == ':' || c == '@' || c == '$' || c == '#') {
      t.kind = Token::Kind::variable;
      std::size_t j = i + 1;
      while (j < n && is_word_char(static_cast<unsigned char>(s[j]))) ++j;
      t.text = std::string(s.substr(i, j - i));
      i = j;
    } else {
      t.kind = Token::Kind::punct;
      static constexpr std::string_view k_multi[] = {
          "->>", "->", "||", "<=", ">=", "!=", "<>", "==", "<<", ">>"};
      std::size_t len = 1;
      for (std::string_view op : k_multi) {
        if (s.substr(i, op.size()) == op) {
          len = op.size();
          break;
        }
      }
      t.text = std::string(s.substr(i, len));
      i += len;
    }
    t.end = i;
    out.push_back(std::move(t));
  }
  return out;
}

const std::string* TableDdl::generation_expression(std::string_view column) const {
  for (const auto& g : generated) {
    if (iequals(g.column, column)) return &g.expression;
  }
  return nullptr;
}

TableDdl parse_create_table(std::string_view sql) {
  return TableParser(sql).parse();
}

IndexDdl parse_create_index(std::string_view sql) {
  IndexDdl ddl;
  Cursor cur(sql);
  std::size_t i = 0;
  if (!cur.keyword_at(i, "CREATE")) return ddl;
  ++i;
  if (cur.keyword_at(i, "UNIQUE")) ++i;
  if (!cur.keyword_at(i, "INDEX")) return ddl;
  i = cur.skip_qualified_name(cur.skip_if_not_exists(i + 1));
  if (!cur.keyword_at(i, "ON")) return ddl;
  i += 2;  // ON table
  if (!cur.punct_at(i, '(')) return ddl;
  std::size_t after = cur.skip_group(i);
  std::size_t close = cur.at(after - 1).is_punct(')') ? after - 1 : after;
  for (auto [b, e] : cur.split(i + 1, close)) {
    if (e > b && (cur.at(e - 1).is_keyword("ASC") || cur.at(e - 1).is_keyword("DESC"))) --e;
    if (e >= b + 2 && cur.at(e - 2).is_keyword("COLLATE")) e -= 2;
    ddl.terms.push_back(cur.text(b, e));
  }
  if (cur.keyword_at(after, "WHERE")) ddl.predicate = cur.text(after + 1, cur.size());
  return ddl;
}

std::optional<TriggerDdl> parse_create_trigger(std::string_view sql) {
  Cursor cur(sql);
  std::size_t i = 0;
  if (!cur.keyword_at(i, "CREATE")) return std::nullopt;
  ++i;
  if (cur.keyword_at(i, "TEMP") || cur.keyword_at(i, "TEMPORARY")) ++i;
  if (!cur.keyword_at(i, "TRIGGER")) return std::nullopt;
  i = cur.skip_qualified_name(cur.skip_if_not_exists(i + 1));
  TriggerDdl ddl;
  ddl.timing = "BEFORE";  // SQLite's default when no timing is written
  if (cur.keyword_at(i, "BEFORE") || cur.keyword_at(i, "AFTER")) {
    ddl.timing = upper(cur.at(i).text);
    ++i;
  } else if (cur.keyword_at(i, "INSTEAD") && cur.keyword_at(i + 1, "OF")) {
    ddl.timing = "INSTEAD OF";
    i += 2;
  }
  if (!(cur.keyword_at(i, "INSERT") || cur.keyword_at(i, "UPDATE") ||
        cur.keyword_at(i, "DELETE"))) {
    return std::nullopt;
  }
  ddl.event = upper(cur.at(i).text);
  ++i;
  if (ddl.event == "UPDATE" && cur.keyword_at(i, "OF")) {
    ++i;
    while (i < cur.size() && !cur.keyword_at(i, "ON")) {
      if (cur.at(i).is_name()) ddl.event_columns.push_back(cur.at(i).text);
      ++i;
    }
  }
  return ddl;
}

std::string column_affinity(std::string_view declared_type, bool strict_table) {
  const std::string t = upper(declared_type);
  if (strict_table && trim(t) == "ANY") return "BLOB";
  if (t.find("INT") != std::string::npos) return "INTEGER";
  if (t.find("CHAR") != std::string::npos || t.find("CLOB") != std::string::npos ||
      t.find("TEXT") != std::string::npos) {
    return "TEXT";
  }
  if (t.find("BLOB") != std::string::npos || trim(t).empty()) return "BLOB";
  if (t.find("REAL") != std::string::npos || t.find("FLOA") != std::string::npos ||
      t.find("DOUB") != std::string::npos) {
    return "REAL";
  }
  return "NUMERIC";
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_upper(a[i]) != ascii_upper(b[i])) return false;
  }
  return true;
}

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    out.push_back(c);
    if (c == '"') out.push_back('"');
  }
  out.push_back('"');
  return out;
}

}  // namespace connctl::extractors::sqlite
