#pragma once
// The metadata model: entities with a canonical body and a fingerprint,
// volatile observations kept apart, lineage edges and warnings. One model for
// every source; a source fills what it has.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schema/fqn.hpp"
#include "schema/value.hpp"

namespace connctl::schema {

enum class EntityKind {
  database,
  schema,
  table,
  view,
  materialized_view,
  column,
  constraint,
  index,
  routine,
  sequence,
  trigger,
  project,
  workbook,
  dashboard,
  chart,
  dataset,
};

std::string_view to_string(EntityKind kind);
std::optional<EntityKind> parse_entity_kind(std::string_view text);
const std::vector<EntityKind>& all_entity_kinds();

// Keys an attribute may not use: they are the record's own fields.
bool is_reserved_field(std::string_view key);

struct Entity {
  EntityKind kind = EntityKind::table;
  std::string fqn;
  std::string name;
  std::optional<std::string> parent;  // the container's FQN; absent for a database or project
  Object attributes;                  // the kind's fields, canonical (sorted keys)
  Object observations;      // volatile: row counts, sizes, last analyzed; not in the fingerprint
  std::string id;           // stable: derived from (source, kind, fqn)
  std::string fingerprint;  // of the canonical body

  // The canonical body: kind, fqn, name, parent and the attributes, sorted.
  Value body() const;
};

// Builds an entity: collects attributes, then build() canonicalises them and
// computes the id and fingerprint.
class EntityBuilder {
 public:
  EntityBuilder(std::string_view source, EntityKind kind, const Fqn& fqn);
  // The same as EntityBuilder(source, kind, Fqn::parse(parent_fqn).child(name))
  // for a parent that is an entity (not the bare source) whose FQN is already
  // written: a table's, for each of its columns.
  EntityBuilder(std::string_view source, EntityKind kind, std::string_view parent_fqn,
                std::string_view name);

  EntityBuilder& set(std::string key, Value value);
  // Sets the key only when the value is present; absent optionals are left out.
  template <class T>
  EntityBuilder& set_optional(std::string key, const std::optional<T>& value) {
    if (value) set(std::move(key), Value(*value));
    return *this;
  }
  EntityBuilder& observe(std::string key, Value value);

  Entity build();

 private:
  // Most entities have fewer attributes: one allocation instead of growing.
  static constexpr std::size_t k_attributes_reserved = 12;
  std::string m_source;
  Entity m_entity;
};

std::string make_entity_id(std::string_view source, EntityKind kind, std::string_view fqn);
// The first 128 bits of SHA-256 of `data`, as 32 hex digits (ids and
// fingerprints are made this way).
std::string short_digest(std::string_view data);
std::string fingerprint_of(const Value& body);
// The same as fingerprint_of(entity.body()), without building the body.
std::string fingerprint_of(const Entity& entity);

// to_canonical_json(entity.body()), written straight from the entity.
std::string canonical_body_json(const Entity& entity);

// A lineage edge: data flows from `from` to `to`. `columns` pairs
// [from_column, to_column] where the source tells us.
struct LineageEdge {
  std::string from;
  std::string to;
  std::string kind;  // "view": a view or materialized view reads a relation
  std::vector<std::pair<std::string, std::string>> columns;

  friend bool operator==(const LineageEdge&, const LineageEdge&) = default;
};

// An object that could not be read (skipped = true makes the run partial,
// exit 4), or a note about the extraction that loses nothing (skipped = false).
struct Warning {
  std::string object;  // FQN of the object concerned, or the source name
  std::string message;
  bool skipped = false;
};

// Which containers were listed in full. Nothing inside a partial container
// may be marked deleted by a catalog sync.
struct ContainerStatus {
  std::string fqn;
  EntityKind kind = EntityKind::database;
  bool complete = true;
};

}  // namespace connctl::schema
