#include "extractors/sqlite/sqlite_entities.hpp"

#include <algorithm>
#include <charconv>
#include <set>

#include "extractors/sqlite/sqlite_ddl.hpp"

namespace connctl::extractors::sqlite {
namespace {

using schema::EntityBuilder;
using schema::EntityKind;
using schema::Fqn;
using schema::Value;

Fqn relation_fqn(const EntityOptions& o, const std::string& relation) {
  return Fqn({o.source, o.schema, relation});
}

Fqn child_fqn(const EntityOptions& o, const std::string& relation, const std::string& child) {
  return Fqn({o.source, o.schema, relation, child});
}

schema::Array string_array(const std::vector<std::string>& items) {
  schema::Array out;
  for (const auto& s : items) out.emplace_back(s);
  return out;
}

// The relation's own spelling of a name the DDL may have written in another case.
std::string canonical_column(const RelationRow& relation, const std::string& name) {
  for (const auto& c : relation.columns) {
    if (iequals(c.name, name)) return c.name;
  }
  return name;
}

bool same_columns(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(),
                    [](const auto& x, const auto& y) { return iequals(x, y); });
}

// N of "sqlite_autoindex_<table>_<N>": SQLite numbers them in DDL order.
int autoindex_number(const std::string& name) {
  auto underscore = name.rfind('_');
  if (underscore == std::string::npos) return 0;
  int n = 0;
  std::from_chars(name.data() + underscore + 1, name.data() + name.size(), n);
  return n;
}

std::string index_origin(const std::string& origin) {
  if (origin == "u") return "unique_constraint";
  if (origin == "pk") return "primary_key";
  return "create_index";
}

struct NamedConstraint {
  std::string name;
  std::string type;
  std::vector<std::string> columns;
  schema::Object extra;
};

// Columns of the table an expression names, in ordinal order.
std::vector<std::string> columns_in_expression(const RelationRow& relation,
                                               const std::string& expression) {
  std::set<std::int64_t> cids;
  for (const Token& t : tokenize(expression)) {
    if (t.kind != Token::Kind::word && t.kind != Token::Kind::quoted_identifier) continue;
    for (const auto& c : relation.columns) {
      if (iequals(c.name, t.text)) cids.insert(c.cid);
    }
  }
  std::vector<std::string> out;
  for (const auto& c : relation.columns) {
    if (cids.count(c.cid)) out.push_back(c.name);
  }
  return out;
}

std::vector<NamedConstraint> constraints_of(
    const EntityOptions& o, const RelationRow& relation, const TableDdl& ddl,
    const RelationNames& relations,
    const std::map<std::string, std::vector<std::string>>& primary_keys) {
  std::vector<NamedConstraint> out;

  std::vector<const ColumnRow*> pk_columns;
  for (const auto& c : relation.columns) {
    if (c.pk > 0) pk_columns.push_back(&c);
  }
  std::sort(pk_columns.begin(), pk_columns.end(), [](auto* a, auto* b) { return a->pk < b->pk; });
  if (!pk_columns.empty()) {
    NamedConstraint pk{ddl.primary_key_name.value_or("pk"), "primary_key", {}, {}};
    for (auto* c : pk_columns) pk.columns.push_back(c->name);
    out.push_back(std::move(pk));
  }

  const std::size_t fk_count = relation.foreign_keys.size();
  std::vector<bool> ddl_used(ddl.foreign_keys.size(), false);
  for (const auto& fk : relation.foreign_keys) {
    // pragma ids count from the last declared foreign key.
    std::size_t position = fk_count - 1 - static_cast<std::size_t>(fk.id);
    const ForeignKeyDef* def = nullptr;
    if (ddl.foreign_keys.size() == fk_count && position < fk_count &&
        same_columns(ddl.foreign_keys[position].columns, fk.from)) {
      def = &ddl.foreign_keys[position];
      ddl_used[position] = true;
    } else {
      for (std::size_t i = 0; i < ddl.foreign_keys.size(); ++i) {
        if (!ddl_used[i] && same_columns(ddl.foreign_keys[i].columns, fk.from) &&
            iequals(ddl.foreign_keys[i].referenced_table, fk.table)) {
          def = &ddl.foreign_keys[i];
          ddl_used[i] = true;
          break;
        }
      }
    }
    const RelationRow* target = relations.find(fk.table);
    const std::string target_name = target ? target->name : fk.table;
    std::vector<std::string> referenced;
    bool omitted =
        std::any_of(fk.to.begin(), fk.to.end(), [](const auto& t) { return !t.has_value(); });
    if (omitted) {
      if (auto it = primary_keys.find(target_name); it != primary_keys.end())
        referenced = it->second;
    } else {
      for (const auto& t : fk.to) referenced.push_back(*t);
    }
    NamedConstraint c;
    c.name = def && def->name ? *def->name : "fk_" + std::to_string(position + 1);
    c.type = "foreign_key";
    c.columns = fk.from;
    c.extra = {
        {"referenced_table", relation_fqn(o, target_name).str()},
        {"referenced_columns", string_array(referenced)},
        {"on_update", fk.on_update},
        {"on_delete", fk.on_delete},
        {"match", fk.match},
        {"deferrable", def ? def->deferrable : false},
        {"initially_deferred", def ? def->initially_deferred : false},
    };
    out.push_back(std::move(c));
  }

  std::vector<const IndexRow*> unique_indexes;
  for (const auto& ix : relation.indexes) {
    if (ix.origin == "u") unique_indexes.push_back(&ix);
  }
  std::stable_sort(unique_indexes.begin(), unique_indexes.end(), [](auto* a, auto* b) {
    return autoindex_number(a->name) < autoindex_number(b->name);
  });
  for (std::size_t i = 0; i < unique_indexes.size(); ++i) {
    NamedConstraint c;
    c.type = "unique";
    for (const auto& key : unique_indexes[i]->keys) c.columns.push_back(key.name.value_or(""));
    c.name = "unique_" + std::to_string(i + 1);
    for (const auto& def : ddl.uniques) {
      if (def.name && same_columns(def.columns, c.columns)) {
        c.name = *def.name;
        break;
      }
    }
    out.push_back(std::move(c));
  }

  for (std::size_t i = 0; i < ddl.checks.size(); ++i) {
    const CheckDef& def = ddl.checks[i];
    NamedConstraint c;
    c.name = def.name.value_or("check_" + std::to_string(i + 1));
    c.type = "check";
    c.columns = def.column ? std::vector<std::string>{canonical_column(relation, *def.column)}
                           : columns_in_expression(relation, def.expression);
    c.extra = {{"expression", def.expression}};
    out.push_back(std::move(c));
  }

  std::set<std::string> taken;
  for (auto& c : out) {
    std::string name = c.name;
    for (int n = 2; taken.count(name); ++n) name = c.name + "_" + std::to_string(n);
    c.name = name;
    taken.insert(name);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

// An INTEGER PRIMARY KEY of a rowid table is the rowid itself and never NULL,
// although SQLite reports no NOT NULL for it. "INTEGER PRIMARY KEY DESC" is
// not an alias: it gets an automatic index, which is how it is told apart.
std::optional<std::int64_t> rowid_alias(const RelationRow& relation) {
  if (relation.type != RelationType::table || relation.without_rowid) return std::nullopt;
  const ColumnRow* key = nullptr;
  for (const auto& c : relation.columns) {
    if (c.pk == 0) continue;
    if (key) return std::nullopt;
    key = &c;
  }
  if (!key || !iequals(key->type, "INTEGER")) return std::nullopt;
  for (const auto& ix : relation.indexes) {
    if (ix.origin == "pk") return std::nullopt;
  }
  return key->cid;
}

schema::Entity column_entity(const EntityOptions& o, const RelationRow& relation,
                             const ColumnRow& c, const TableDdl& ddl, bool is_rowid_alias) {
  EntityBuilder b(o.source, EntityKind::column, child_fqn(o, relation.name, c.name));
  b.set("ordinal", c.cid + 1);
  b.set("data_type", c.type);
  b.set("affinity", column_affinity(c.type, relation.strict));
  b.set("nullable", !c.not_null && !is_rowid_alias);
  if (relation.type == RelationType::view) return b.build();
  b.set_optional("default", c.default_value);
  b.set("primary_key_position", c.pk);
  b.set_optional("collation", c.collation);
  b.set("auto_increment", c.auto_increment);
  if (c.hidden == 2 || c.hidden == 3) {
    b.set("generated", c.hidden == 2 ? "virtual" : "stored");
    if (const std::string* expression = ddl.generation_expression(c.name))
      b.set("generation_expression", *expression);
  }
  if (c.hidden == 1) b.set("hidden", true);
  return b.build();
}

schema::Entity index_entity(const EntityOptions& o, const RelationRow& relation,
                            const IndexRow& ix) {
  IndexDdl ddl = ix.sql ? parse_create_index(*ix.sql) : IndexDdl{};
  EntityBuilder b(o.source, EntityKind::index, child_fqn(o, relation.name, ix.name));
  b.set("unique", ix.unique);
  b.set("origin", index_origin(ix.origin));
  b.set("partial", ix.partial);
  if (ix.partial && ddl.predicate) b.set("predicate", *ddl.predicate);
  schema::Array columns;
  for (std::size_t i = 0; i < ix.keys.size(); ++i) {
    const IndexKeyRow& key = ix.keys[i];
    schema::Object column;
    if (key.cid == -2) {
      column.emplace_back("expression", i < ddl.terms.size() ? ddl.terms[i] : std::string());
    } else {
      column.emplace_back("name", key.name.value_or(key.cid == -1 ? "rowid" : ""));
    }
    column.emplace_back("descending", key.descending);
    column.emplace_back("collation", key.collation);
    columns.emplace_back(std::move(column));
  }
  b.set("columns", std::move(columns));
  b.set_optional("definition", ix.sql);
  return b.build();
}

schema::Entity trigger_entity(const EntityOptions& o, const RelationRow& relation,
                              const TriggerRow& t) {
  EntityBuilder b(o.source, EntityKind::trigger, child_fqn(o, relation.name, t.name));
  if (auto ddl = parse_create_trigger(t.sql)) {
    b.set("timing", ddl->timing);
    b.set("event", ddl->event);
    if (!ddl->event_columns.empty()) b.set("event_columns", string_array(ddl->event_columns));
  }
  b.set("definition", t.sql);
  return b.build();
}

}  // namespace

schema::Entity database_entity(const EntityOptions& o, const DatabaseRow& database,
                               const std::string& file, bool properties_read) {
  EntityBuilder b(o.source, EntityKind::database, Fqn({o.source, o.schema}));
  b.set("engine", "sqlite");
  b.set("file", file);
  if (properties_read) {
    b.set("encoding", database.encoding);
    b.set("user_version", database.user_version);
    b.set("application_id", database.application_id);
    b.set("page_size", database.page_size);
    if (o.stats) {
      b.observe("page_count", database.page_count);
      b.observe("size_bytes", database.page_count * database.page_size);
    }
  }
  return b.build();
}

std::vector<schema::Entity> relation_entities(
    const EntityOptions& o, const RelationRow& relation, const RelationNames& relations,
    const std::map<std::string, std::vector<std::string>>& primary_keys) {
  std::vector<schema::Entity> out;
  const bool is_view = relation.type == RelationType::view;
  const TableDdl ddl = is_view ? TableDdl{} : parse_create_table(relation.sql);

  EntityBuilder b(o.source, is_view ? EntityKind::view : EntityKind::table,
                  relation_fqn(o, relation.name));
  if (!is_view) {
    const bool is_virtual = relation.type == RelationType::virtual_table;
    b.set("table_type", is_virtual ? "virtual" : "base");
    b.set("without_rowid", relation.without_rowid);
    b.set("strict", relation.strict);
    if (is_virtual) b.set_optional("module", ddl.module);
    if (o.stats && relation.row_count) b.observe("row_count", *relation.row_count);
  }
  b.set("definition", relation.sql);
  out.push_back(b.build());

  std::vector<const ColumnRow*> columns;
  for (const auto& c : relation.columns) columns.push_back(&c);
  std::sort(columns.begin(), columns.end(), [](auto* a, auto* b) { return a->cid < b->cid; });
  const auto alias = rowid_alias(relation);
  for (const ColumnRow* c : columns)
    out.push_back(column_entity(o, relation, *c, ddl, alias == c->cid));

  if (relation.type == RelationType::table) {
    for (auto& c : constraints_of(o, relation, ddl, relations, primary_keys)) {
      EntityBuilder cb(o.source, EntityKind::constraint, child_fqn(o, relation.name, c.name));
      cb.set("constraint_type", c.type);
      cb.set("columns", string_array(c.columns));
      for (auto& [key, value] : c.extra) cb.set(key, std::move(value));
      out.push_back(cb.build());
    }
  }

  std::vector<const IndexRow*> indexes;
  for (const auto& ix : relation.indexes) indexes.push_back(&ix);
  std::sort(indexes.begin(), indexes.end(), [](auto* a, auto* b) { return a->name < b->name; });
  for (const IndexRow* ix : indexes) out.push_back(index_entity(o, relation, *ix));

  for (const auto& t : relation.triggers) out.push_back(trigger_entity(o, relation, t));
  return out;
}

}  // namespace connctl::extractors::sqlite
