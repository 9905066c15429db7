#pragma once
// View lineage from SQLite itself: preparing `SELECT * FROM view` with an
// authorizer installed reports every column each view in the expansion reads
// (the innermost view is named in the callback), and the prepared statement
// knows the base-table column behind each output column. No SQL parsing.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

struct sqlite3;

namespace connctl::extractors::sqlite {

// The base-table column an output column comes from.
struct ColumnOrigin {
  std::string database;
  std::string table;
  std::string column;
  friend auto operator<=>(const ColumnOrigin&, const ColumnOrigin&) = default;
};

// One direct source of a view with the column pairs [source column, view column].
struct ViewSource {
  std::string relation;
  std::vector<std::pair<std::string, std::string>> columns;  // sorted
};

class ViewLineageReader {
 public:
  // `relations`: the tables and views of the database (name -> is a view); reads
  // of anything else (sqlite_schema, …) are not lineage.
  ViewLineageReader(sqlite3* handle, std::string database, std::map<std::string, bool> relations);

  // The direct sources of a view, sorted by relation name. Throws
  // std::runtime_error with SQLite's message when the view cannot be prepared.
  std::vector<ViewSource> sources_of(const std::string& view);

 private:
  struct Read {
    std::string table;
    std::string column;   // "" for a table referenced without reading a column (count(*))
    std::string context;  // the innermost view, "" at top level
  };
  struct Prepared {
    std::vector<Read> reads;
    std::vector<std::string> output_names;
    std::vector<std::optional<ColumnOrigin>> output_origins;
    std::string error;  // set when the view could not be prepared
  };

  const Prepared& prepare(const std::string& view);
  std::optional<ColumnOrigin> origin_of(const std::string& relation, const std::string& column);
  // Every relation referenced anywhere in a view's expansion, nested views included.
  std::set<std::string> expansion(const std::string& view);
  std::optional<std::string> resolve(const std::string& name) const;

  sqlite3* m_handle;
  std::string m_database;
  std::map<std::string, bool> m_relations;
  std::map<std::string, Prepared> m_cache;
};

}  // namespace connctl::extractors::sqlite
