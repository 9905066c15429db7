#pragma once
// Maps what CatalogReader read into connctl entities: the attribute names and
// the constraint-naming rule of the SQLite extractor live here.
//
// Constraint names: the `CONSTRAINT name` of the DDL when it gives one;
// otherwise "pk" for the primary key, "fk_<n>", "unique_<n>" and "check_<n>"
// where n is the 1-based position of the constraint among the table's
// constraints of that type in the order of the CREATE TABLE text (for unique
// constraints, the order of their automatic indexes, which SQLite numbers in
// that same order). A name already taken gets "_2", "_3", … appended.

#include <map>
#include <string>
#include <vector>

#include "extractors/sqlite/sqlite_catalog.hpp"
#include "schema/entity.hpp"

namespace connctl::extractors::sqlite {

struct EntityOptions {
  std::string source;
  std::string schema;  // "main" or the attach alias
  bool stats = false;
};

schema::Entity database_entity(const EntityOptions& options, const DatabaseRow& database,
                               const std::string& file, bool properties_read);

// The relation, then its columns (by ordinal), constraints, indexes and
// triggers (each by name): the order in which they are emitted.
// `relations` finds the referenced tables of foreign keys; `primary_keys`
// holds the key columns of tables referenced by foreign keys that omit them.
std::vector<schema::Entity> relation_entities(
    const EntityOptions& options, const RelationRow& relation, const RelationNames& relations,
    const std::map<std::string, std::vector<std::string>>& primary_keys);

}  // namespace connctl::extractors::sqlite
