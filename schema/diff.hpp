#pragma once
// The semantic diff: what changed between two sets of entities, each change
// graded breaking, compatible or info by the rules of docs/diff.md, so that a
// CI job can gate on it. It knows nothing of where the sets come from.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schema/value.hpp"

namespace connctl::schema {

enum class ChangeKind { added, removed, modified };
// Ordered: a grade "at or above" another compares with >=.
enum class Grade { info = 0, compatible = 1, breaking = 2 };

std::string_view to_string(ChangeKind change);
std::string_view to_string(Grade grade);
std::optional<Grade> parse_grade(std::string_view text);

// One side of a diff: an entity's canonical body (kind, fqn, name, parent and
// its attributes; no id, fingerprint or observations).
struct DiffEntity {
  std::string kind;
  std::string fqn;
  Value body;
};

struct FieldChange {
  std::string field;
  Value before;  // null when absent
  Value after;
};

struct Change {
  std::string fqn;
  std::string kind;
  ChangeKind change = ChangeKind::modified;
  Grade grade = Grade::info;
  std::vector<FieldChange> fields;  // for modified entities; empty for added and removed
};

// Changes ordered by FQN, then kind.
std::vector<Change> diff_entities(const std::vector<DiffEntity>& before,
                                  const std::vector<DiffEntity>& after);

// How a column's declared type change is graded: info when only the spelling
// changed, compatible when every old value fits the new type, else breaking.
Grade grade_type_change(std::string_view before, std::string_view after);

// A body from an entity record of `connctl extract` (drops id, fingerprint
// and observations).
DiffEntity diff_entity_from_record(const Value& record);

}  // namespace connctl::schema
