#include "schema/diff.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <utility>

namespace connctl::schema {
namespace {

// Grades by (entity kind, change, field) where no finer rule applies; "*"
// matches any. The first matching row wins. docs/diff.md explains each row.
struct Rule {
  std::string_view kind;
  ChangeKind change;
  std::string_view field;
  Grade grade;
};

constexpr Rule k_rules[] = {
    // Removals: what readers depend on is breaking; what only helps or
    // restricts writers is not.
    {"index", ChangeKind::removed, "", Grade::info},
    {"constraint", ChangeKind::removed, "", Grade::compatible},
    {"trigger", ChangeKind::removed, "", Grade::compatible},
    {"*", ChangeKind::removed, "", Grade::breaking},
    // Additions (the column and constraint refinements are in grade_added).
    {"*", ChangeKind::added, "", Grade::compatible},
    // Field changes.
    {"*", ChangeKind::modified, "comment", Grade::info},
    {"*", ChangeKind::modified, "description", Grade::info},
    {"*", ChangeKind::modified, "ordinal_position", Grade::info},
    {"*", ChangeKind::modified, "position", Grade::info},
    {"table", ChangeKind::modified, "definition", Grade::info},
    {"column", ChangeKind::modified, "default", Grade::compatible},
    {"index", ChangeKind::modified, "columns", Grade::compatible},
    {"constraint", ChangeKind::modified, "*", Grade::breaking},
    {"*", ChangeKind::modified, "*", Grade::compatible},
};

Grade rule_grade(std::string_view kind, ChangeKind change, std::string_view field) {
  for (const auto& r : k_rules) {
    if (r.change != change) continue;
    if (r.kind != "*" && r.kind != kind) continue;
    if (r.field != "*" && r.field != field) continue;
    return r.grade;
  }
  return Grade::compatible;
}

std::string lower_collapsed(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space && !(c == '(' || c == ')' || c == ',') && out.back() != '(' && out.back() != ',')
      out += ' ';
    space = false;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool same_ignoring_whitespace(const Value& a, const Value& b) {
  if (!a.is_string() || !b.is_string()) return false;
  auto strip = [](const std::string& s) {
    std::string out;
    for (char c : s) {
      if (!std::isspace(static_cast<unsigned char>(c))) out += c;
    }
    return out;
  };
  return strip(a.as_string()) == strip(b.as_string());
}

struct ParsedType {
  std::string base;
  std::vector<long> params;
};

ParsedType parse_type(std::string_view text) {
  std::string t = lower_collapsed(text);
  ParsedType p;
  auto open = t.find('(');
  p.base = t.substr(0, open);
  while (!p.base.empty() && p.base.back() == ' ') p.base.pop_back();
  if (open != std::string::npos) {
    std::string num;
    for (std::size_t i = open + 1; i < t.size(); ++i) {
      if (std::isdigit(static_cast<unsigned char>(t[i]))) {
        num += t[i];
      } else if (!num.empty()) {
        p.params.push_back(std::stol(num));
        num.clear();
      }
    }
  }
  return p;
}

// Rank within a family of types where a higher rank holds every lower one.
struct Family {
  std::string_view name;
  int rank;
};

std::optional<Family> family_of(const std::string& base) {
  static const std::map<std::string, Family, std::less<>> k_families = {
      {"tinyint", {"int", 1}},
      {"smallint", {"int", 2}},
      {"int2", {"int", 2}},
      {"mediumint", {"int", 3}},
      {"int", {"int", 4}},
      {"integer", {"int", 4}},
      {"int4", {"int", 4}},
      {"bigint", {"int", 5}},
      {"int8", {"int", 5}},
      {"real", {"float", 1}},
      {"float4", {"float", 1}},
      {"float", {"float", 2}},
      {"float8", {"float", 2}},
      {"double", {"float", 2}},
      {"double precision", {"float", 2}},
      {"char", {"text", 1}},
      {"character", {"text", 1}},
      {"nchar", {"text", 1}},
      {"varchar", {"text", 2}},
      {"character varying", {"text", 2}},
      {"nvarchar", {"text", 2}},
      {"text", {"text", 3}},
      {"clob", {"text", 3}},
      {"numeric", {"numeric", 1}},
      {"decimal", {"numeric", 1}},
  };
  auto it = k_families.find(base);
  if (it == k_families.end()) return std::nullopt;
  return it->second;
}

Grade grade_added(const DiffEntity& e, const std::set<std::string>& added_fqns) {
  // Anything inside an entity added in the same diff comes with it.
  if (const Value* parent = e.body.find("parent");
      parent && parent->is_string() && added_fqns.count(parent->as_string()))
    return Grade::compatible;
  if (e.kind == "column") {
    const Value* nullable = e.body.find("nullable");
    const Value* def = e.body.find("default");
    const Value* generated = e.body.find("generated");
    bool required = nullable && nullable->is_bool() && !nullable->as_bool();
    if (required && (!def || def->is_null()) && (!generated || generated->is_null()))
      return Grade::breaking;
    return Grade::compatible;
  }
  if (e.kind == "constraint") {
    // A key or check added to a table that holds data may reject that data.
    return Grade::breaking;
  }
  return rule_grade(e.kind, ChangeKind::added, "");
}

Grade grade_field(const std::string& kind, const FieldChange& f) {
  if (kind == "column" && f.field == "data_type" && f.before.is_string() && f.after.is_string()) {
    return grade_type_change(f.before.as_string(), f.after.as_string());
  }
  if (kind == "column" && f.field == "nullable" && f.before.is_bool() && f.after.is_bool()) {
    return f.after.as_bool() ? Grade::compatible : Grade::breaking;
  }
  if (kind == "index" && f.field == "unique" && f.before.is_bool() && f.after.is_bool()) {
    return f.after.as_bool() ? Grade::breaking : Grade::compatible;
  }
  if (f.field == "definition" && same_ignoring_whitespace(f.before, f.after)) return Grade::info;
  return rule_grade(kind, ChangeKind::modified, f.field);
}

using Key = std::pair<std::string, std::string>;  // (fqn, kind)

}  // namespace

std::string_view to_string(ChangeKind change) {
  switch (change) {
    case ChangeKind::added:
      return "added";
    case ChangeKind::removed:
      return "removed";
    case ChangeKind::modified:
      return "modified";
  }
  return "modified";
}

std::string_view to_string(Grade grade) {
  switch (grade) {
    case Grade::info:
      return "info";
    case Grade::compatible:
      return "compatible";
    case Grade::breaking:
      return "breaking";
  }
  return "breaking";
}

std::optional<Grade> parse_grade(std::string_view text) {
  for (auto g : {Grade::info, Grade::compatible, Grade::breaking}) {
    if (to_string(g) == text) return g;
  }
  return std::nullopt;
}

Grade grade_type_change(std::string_view before, std::string_view after) {
  ParsedType a = parse_type(before);
  ParsedType b = parse_type(after);
  if (a.base == b.base && a.params == b.params) return Grade::info;
  auto fa = family_of(a.base);
  auto fb = family_of(b.base);
  if (fa && fb && fa->name == "int" && fb->name == "numeric") {
    return b.params.empty() ? Grade::compatible : Grade::breaking;
  }
  if (!fa || !fb || fa->name != fb->name) return Grade::breaking;
  if (fa->name == "numeric") {
    if (b.params.empty()) return Grade::compatible;  // unconstrained holds everything
    if (a.params.empty()) return Grade::breaking;
    long pa = a.params[0], sa = a.params.size() > 1 ? a.params[1] : 0;
    long pb = b.params[0], sb = b.params.size() > 1 ? b.params[1] : 0;
    return pb >= pa && sb >= sa && pb - sb >= pa - sa ? Grade::compatible : Grade::breaking;
  }
  if (fa->name == "text") {
    // No length is unbounded, whatever the rank.
    const long la = a.params.empty() || fa->rank == 3 ? -1 : a.params[0];
    const long lb = b.params.empty() || fb->rank == 3 ? -1 : b.params[0];
    if (lb == -1) return Grade::compatible;
    if (la == -1) return Grade::breaking;
    return lb >= la ? Grade::compatible : Grade::breaking;
  }
  return fb->rank >= fa->rank ? Grade::compatible : Grade::breaking;
}

std::vector<Change> diff_entities(const std::vector<DiffEntity>& before,
                                  const std::vector<DiffEntity>& after) {
  std::map<Key, const DiffEntity*> old_by_key;
  std::map<Key, const DiffEntity*> new_by_key;
  for (const auto& e : before) old_by_key[{e.fqn, e.kind}] = &e;
  for (const auto& e : after) new_by_key[{e.fqn, e.kind}] = &e;
  std::set<std::string> added_fqns;
  for (const auto& [key, e] : new_by_key) {
    if (!old_by_key.count(key)) added_fqns.insert(key.first);
  }

  std::vector<Change> changes;
  for (const auto& [key, e] : old_by_key) {
    if (new_by_key.count(key)) continue;
    changes.push_back({key.first,
                       key.second,
                       ChangeKind::removed,
                       rule_grade(key.second, ChangeKind::removed, ""),
                       {}});
  }
  for (const auto& [key, e] : new_by_key) {
    auto old = old_by_key.find(key);
    if (old == old_by_key.end()) {
      changes.push_back(
          {key.first, key.second, ChangeKind::added, grade_added(*e, added_fqns), {}});
      continue;
    }
    if (old->second->body == e->body) continue;
    Change c{key.first, key.second, ChangeKind::modified, Grade::info, {}};
    std::set<std::string> fields;
    if (old->second->body.is_object()) {
      for (const auto& [k, v] : old->second->body.as_object()) fields.insert(k);
    }
    if (e->body.is_object()) {
      for (const auto& [k, v] : e->body.as_object()) fields.insert(k);
    }
    for (const auto& field : fields) {
      const Value* a = old->second->body.find(field);
      const Value* b = e->body.find(field);
      Value va = a ? *a : Value();
      Value vb = b ? *b : Value();
      if (va == vb) continue;
      FieldChange f{field, std::move(va), std::move(vb)};
      c.grade = std::max(c.grade, grade_field(key.second, f));
      c.fields.push_back(std::move(f));
    }
    changes.push_back(std::move(c));
  }
  std::sort(changes.begin(), changes.end(), [](const Change& a, const Change& b) {
    return std::tie(a.fqn, a.kind) < std::tie(b.fqn, b.kind);
  });
  return changes;
}

DiffEntity diff_entity_from_record(const Value& record) {
  DiffEntity e;
  Object body;
  if (record.is_object()) {
    for (const auto& [k, v] : record.as_object()) {
      if (k == "id" || k == "fingerprint" || k == "observations" || k == "record") continue;
      if (k == "kind" && v.is_string()) e.kind = v.as_string();
      if (k == "fqn" && v.is_string()) e.fqn = v.as_string();
      body.emplace_back(k, v);
    }
  }
  e.body = Value(std::move(body));
  return e;
}

}  // namespace connctl::schema
