#pragma once
// View lineage from a view's definition as the server stores it
// (information_schema.VIEWS.VIEW_DEFINITION): MariaDB and MySQL rewrite it
// into a normalised SELECT where every table is `database`.`table` and every
// column `alias`.`column` or `database`.`table`.`column`. A small tokenizer
// and a paren-aware walk turn that text into the tables it reads and, for each
// output column, the table columns its expression reads.

#include <string>
#include <string_view>
#include <vector>

namespace connctl::extractors::mysql {

struct TableRef {
  std::string database;
  std::string table;
  friend auto operator<=>(const TableRef&, const TableRef&) = default;
};

struct ColumnSource {
  TableRef table;
  std::string column;
  friend auto operator<=>(const ColumnSource&, const ColumnSource&) = default;
};

struct ViewReferences {
  std::vector<TableRef> tables;  // every table or view read, sorted, distinct
  // Per output column by position (0-based): the columns its expression reads
  // in every branch of a UNION, sorted, distinct. Empty where nothing can be
  // derived (a derived table, an ambiguous alias, a constant).
  std::vector<std::vector<ColumnSource>> columns;
};

// Throws std::runtime_error on text it cannot tokenize (an unterminated
// quote or comment).
ViewReferences parse_view_definition(std::string_view definition);

}  // namespace connctl::extractors::mysql
