#pragma once
// Column-level view lineage from the stored rule of a view: pg_rewrite.ev_action
// is PostgreSQL's node-tree text ({QUERY :rtable (...) :targetList (...)}).
// This reads that text (it is not SQL) and follows every Var of each output
// column through joins, subqueries, CTEs and set operations down to the
// relation columns it reads. No SQL is parsed.

#include <cstdint>
#include <map>
#include <set>
#include <string_view>
#include <utility>

namespace connctl::extractors::postgres {

// (relation oid, attnum) of a column.
using ColumnRef = std::pair<std::uint32_t, int>;

// For each output column (resno) of the view's query, the relation columns
// its value is computed from. Throws std::runtime_error on text it cannot read.
std::map<int, std::set<ColumnRef>> view_column_sources(std::string_view ev_action);

}  // namespace connctl::extractors::postgres
