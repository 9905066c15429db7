#include "extractors/postgres/pg_lineage.hpp"

#include <charconv>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace connctl::extractors::postgres {
namespace {

// Deep enough for any real view; it stops recursive CTEs from looping.
constexpr int k_max_depth = 64;

// One value of the node text: an atom, a list "(...)" or a node "{TYPE :field value ...}".
struct Node {
  enum class Type { atom, list, node };
  Type type = Type::atom;
  std::string_view text;  // an atom's raw text, or a node's type name
  std::vector<Node> items;
  std::vector<std::pair<std::string_view, Node>> fields;

  const Node* field(std::string_view name) const {
    for (const auto& [k, v] : fields) {
      if (k == name) return &v;
    }
    return nullptr;
  }
  bool is(std::string_view type_name) const { return type == Type::node && text == type_name; }
  int integer(std::string_view name, int fallback = 0) const {
    const Node* f = field(name);
    if (!f || f->type != Type::atom) return fallback;
    int out = fallback;
    std::from_chars(f->text.data(), f->text.data() + f->text.size(), out);
    return out;
  }
};

// pg_strtok's rules: whitespace separates, ( ) { } are tokens of their own, and
// a backslash makes the next character part of the token.
class Tokenizer {
 public:
  explicit Tokenizer(std::string_view text) : m_text(text) {}

  std::string_view peek() {
    if (!m_has_peeked) {
      m_peeked = read();
      m_has_peeked = true;
    }
    return m_peeked;
  }
  std::string_view next() {
    std::string_view t = peek();
    m_has_peeked = false;
    return t;
  }
  bool done() { return peek().empty(); }

 private:
  std::string_view read() {
    while (m_pos < m_text.size() && is_space(m_text[m_pos])) ++m_pos;
    if (m_pos >= m_text.size()) return {};
    std::size_t start = m_pos;
    char c = m_text[m_pos];
    if (c == '(' || c == ')' || c == '{' || c == '}') return m_text.substr(m_pos++, 1);
    while (m_pos < m_text.size()) {
      char d = m_text[m_pos];
      if (is_space(d) || d == '(' || d == ')' || d == '{' || d == '}') break;
      m_pos += d == '\\' ? 2 : 1;
    }
    if (m_pos > m_text.size()) m_pos = m_text.size();
    return m_text.substr(start, m_pos - start);
  }
  static bool is_space(char c) {
    return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f';
  }

  std::string_view m_text;
  std::size_t m_pos = 0;
  std::string_view m_peeked;
  bool m_has_peeked = false;
};

Node parse_value(Tokenizer& t, int depth);

Node parse_node(Tokenizer& t, int depth) {
  Node n;
  n.type = Node::Type::node;
  n.text = t.next();
  for (;;) {
    std::string_view tok = t.peek();
    if (tok.empty()) throw std::runtime_error("unterminated node in rule text");
    if (tok == "}") {
      t.next();
      return n;
    }
    if (tok.front() == ':') {
      t.next();
      std::string_view name = tok.substr(1);
      std::string_view after = t.peek();
      if (after == "}" || after.empty()) {
        n.fields.emplace_back(name, Node{});
        continue;
      }
      // The first value always belongs to the field (an atom may start with ':').
      n.fields.emplace_back(name, parse_value(t, depth + 1));
      // Datums print as "len [ b b b ]": extra atoms up to the next field.
      while (!t.peek().empty() && t.peek() != "}" && t.peek().front() != ':')
        parse_value(t, depth + 1);
    } else {
      parse_value(t, depth + 1);
    }
  }
}

Node parse_value(Tokenizer& t, int depth) {
  if (depth > 10000) throw std::runtime_error("rule text nested too deeply");
  std::string_view tok = t.next();
  if (tok.empty()) throw std::runtime_error("unexpected end of rule text");
  if (tok == "{") return parse_node(t, depth);
  if (tok == "(") {
    Node list;
    list.type = Node::Type::list;
    while (t.peek() != ")") {
      if (t.peek().empty()) throw std::runtime_error("unterminated list in rule text");
      list.items.push_back(parse_value(t, depth + 1));
    }
    t.next();
    return list;
  }
  Node atom;
  atom.text = tok;
  return atom;
}

class Resolver {
 public:
  void output_column(std::vector<const Node*>& stack, const Node& query, int resno,
                     std::set<ColumnRef>& out, int depth) {
    if (depth > k_max_depth) return;
    const Node* set_ops = query.field("setOperations");
    const Node* rtable = query.field("rtable");
    if (set_ops && set_ops->type == Node::Type::node && rtable) {
      // UNION / INTERSECT / EXCEPT: every branch feeds the column.
      stack.push_back(&query);
      for (const Node& rte : rtable->items) {
        if (rte.integer("rtekind", -1) != 1) continue;
        if (const Node* sub = rte.field("subquery"); sub && sub->is("QUERY"))
          output_column(stack, *sub, resno, out, depth + 1);
      }
      stack.pop_back();
      return;
    }
    const Node* targets = query.field("targetList");
    if (!targets) return;
    for (const Node& te : targets->items) {
      if (!te.is("TARGETENTRY") || te.integer("resno") != resno) continue;
      stack.push_back(&query);
      if (const Node* expr = te.field("expr")) walk(stack, *expr, out, depth + 1);
      stack.pop_back();
      return;
    }
  }

  void walk(std::vector<const Node*>& stack, const Node& n, std::set<ColumnRef>& out, int depth) {
    if (depth > k_max_depth * 4) return;
    if (n.type == Node::Type::list) {
      for (const Node& item : n.items) walk(stack, item, out, depth + 1);
      return;
    }
    if (n.type != Node::Type::node) return;
    if (n.is("VAR")) {
      int levels_up = n.integer("varlevelsup");
      if (levels_up < 0 || static_cast<std::size_t>(levels_up) >= stack.size()) return;
      std::size_t level = stack.size() - 1 - static_cast<std::size_t>(levels_up);
      var(stack, level, n.integer("varno"), n.integer("varattno"), out, depth + 1);
      return;
    }
    if (n.is("QUERY")) {
      // A sub-select inside an expression: its output feeds the value.
      if (const Node* targets = n.field("targetList")) {
        stack.push_back(&n);
        for (const Node& te : targets->items) {
          if (const Node* expr = te.field("expr")) walk(stack, *expr, out, depth + 1);
        }
        stack.pop_back();
      }
      return;
    }
    for (const auto& [name, value] : n.fields) walk(stack, value, out, depth + 1);
  }

 private:
  void var(std::vector<const Node*>& stack, std::size_t level, int varno, int attno,
           std::set<ColumnRef>& out, int depth) {
    const Node& query = *stack[level];
    const Node* rtable = query.field("rtable");
    if (!rtable || varno < 1 || static_cast<std::size_t>(varno) > rtable->items.size()) return;
    const Node& rte = rtable->items[static_cast<std::size_t>(varno) - 1];
    // The enclosing queries of this Var's own level.
    std::vector<const Node*> scope(stack.begin(), stack.begin() + static_cast<long>(level) + 1);
    switch (rte.integer("rtekind", -1)) {
      case 0:  // a relation
        if (attno > 0) out.emplace(static_cast<std::uint32_t>(rte.integer("relid")), attno);
        break;
      case 1:  // a sub-select in FROM
        if (const Node* sub = rte.field("subquery"); sub && sub->is("QUERY")) {
          scope.pop_back();
          scope.push_back(&query);
          output_column(scope, *sub, attno, out, depth + 1);
        }
        break;
      case 2:  // a join: its columns are aliases of the joined inputs' columns
        if (const Node* vars = rte.field("joinaliasvars");
            vars && attno > 0 && static_cast<std::size_t>(attno) <= vars->items.size()) {
          scope.pop_back();
          scope.push_back(&query);
          walk(scope, vars->items[static_cast<std::size_t>(attno) - 1], out, depth + 1);
        }
        break;
      case 6:  // a CTE of this or an enclosing query
        cte(scope, rte, attno, out, depth + 1);
        break;
      default:  // functions, VALUES, ...: no relation column behind them
        break;
    }
  }

  void cte(std::vector<const Node*>& scope, const Node& rte, int attno, std::set<ColumnRef>& out,
           int depth) {
    const Node* name = rte.field("ctename");
    int levels_up = rte.integer("ctelevelsup");
    if (!name || levels_up < 0 || static_cast<std::size_t>(levels_up) >= scope.size()) return;
    std::size_t level = scope.size() - 1 - static_cast<std::size_t>(levels_up);
    const Node* ctes = scope[level]->field("cteList");
    if (!ctes) return;
    for (const Node& c : ctes->items) {
      const Node* cname = c.field("ctename");
      const Node* q = c.field("ctequery");
      if (!cname || cname->text != name->text || !q || !q->is("QUERY")) continue;
      std::vector<const Node*> outer(scope.begin(), scope.begin() + static_cast<long>(level) + 1);
      output_column(outer, *q, attno, out, depth + 1);
      return;
    }
  }
};

}  // namespace

std::map<int, std::set<ColumnRef>> view_column_sources(std::string_view ev_action) {
  Tokenizer t(ev_action);
  Node actions = parse_value(t, 0);
  const Node* query = nullptr;
  if (actions.type == Node::Type::list && !actions.items.empty() && actions.items[0].is("QUERY"))
    query = &actions.items[0];
  else if (actions.is("QUERY"))
    query = &actions;
  if (!query) throw std::runtime_error("the view's rule holds no query");

  std::map<int, std::set<ColumnRef>> out;
  const Node* targets = query->field("targetList");
  if (!targets) return out;
  Resolver resolver;
  for (const Node& te : targets->items) {
    if (!te.is("TARGETENTRY")) continue;
    const Node* junk = te.field("resjunk");
    if (junk && junk->text == "true") continue;
    int resno = te.integer("resno");
    std::vector<const Node*> stack;
    resolver.output_column(stack, *query, resno, out[resno], 0);
  }
  return out;
}

}  // namespace connctl::extractors::postgres
