#pragma once
// Naming a point in the catalog's history on the command line: a run id
// (`42` or `run:42`), a time (`@2026-11-01T00:00Z` or an ISO 8601 time) or
// `latest`. Shared by `catalog show --at` and `diff`.

#include <optional>
#include <string>

#include "catalog/store.hpp"

namespace connctl::cli {

// ISO 8601 (YYYY-MM-DDTHH:MM[:SS[.fff]] with Z or ±HH:MM) normalised to the
// catalog's UTC form, or nullopt when malformed.
std::optional<std::string> normalise_iso_time(std::string_view text);

// The run whose committed state `point` names for `source` (any source when
// empty). Throws a usage error naming what was wrong.
catalog::RunInfo resolve_point(catalog::CatalogStore& store, const std::string& point,
                               std::string_view source);

// Whether the text names a catalog point rather than a file or a source.
bool looks_like_point(std::string_view text);

}  // namespace connctl::cli
