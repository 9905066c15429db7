#pragma once
// What SQLite's pragmas do not tell, read back from the CREATE statements kept
// in sqlite_schema: constraint names, CHECK expressions, foreign-key
// deferrability, generation expressions, index expressions and predicates,
// trigger timing and event. A small tokenizer, not a full SQL parser: it
// understands quoting, comments and parentheses, and recognises the clauses it
// is asked about. Malformed text never throws; it yields what could be read.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace connctl::extractors::sqlite {

struct Token {
  enum class Kind { word, quoted_identifier, string, number, blob, variable, punct };
  Kind kind = Kind::punct;
  std::string text;       // identifiers and strings unquoted, words as written
  std::size_t begin = 0;  // offset of the first byte in the source
  std::size_t end = 0;    // offset one past the last byte

  // Case-insensitive match of an unquoted word.
  bool is_keyword(std::string_view keyword) const;
  bool is_punct(char c) const { return kind == Kind::punct && text.size() == 1 && text[0] == c; }
  // A name: a word, a quoted identifier or (as SQLite accepts) a string literal.
  bool is_name() const {
    return kind == Kind::word || kind == Kind::quoted_identifier || kind == Kind::string;
  }
};

// Splits SQL text into tokens, dropping whitespace and comments. An
// unterminated quote or comment runs to the end of the text.
std::vector<Token> tokenize(std::string_view sql);

struct CheckDef {
  std::optional<std::string> name;    // CONSTRAINT name, when given
  std::string expression;             // the text inside CHECK( … ), as written
  std::optional<std::string> column;  // set for a column-level CHECK
};

struct ForeignKeyDef {
  std::optional<std::string> name;
  std::vector<std::string> columns;
  std::string referenced_table;
  std::vector<std::string> referenced_columns;
  bool deferrable = false;
  bool initially_deferred = false;
};

struct UniqueDef {
  std::optional<std::string> name;
  std::vector<std::string> columns;
};

struct GeneratedDef {
  std::string column;
  std::string expression;
};

struct TableDdl {
  std::optional<std::string> primary_key_name;
  std::vector<CheckDef> checks;             // DDL order
  std::vector<ForeignKeyDef> foreign_keys;  // DDL order (column- and table-level interleaved)
  std::vector<UniqueDef> uniques;           // DDL order
  std::vector<GeneratedDef> generated;      // DDL order
  std::optional<std::string> module;        // CREATE VIRTUAL TABLE … USING module

  // The generation expression of a column (names compare case-insensitively).
  const std::string* generation_expression(std::string_view column) const;
};

TableDdl parse_create_table(std::string_view sql);

struct IndexDdl {
  // One entry per indexed term, in key order: its text without a trailing
  // COLLATE name or ASC/DESC.
  std::vector<std::string> terms;
  std::optional<std::string> predicate;  // the WHERE of a partial index
};

IndexDdl parse_create_index(std::string_view sql);

struct TriggerDdl {
  std::string timing;                      // BEFORE | AFTER | INSTEAD OF
  std::string event;                       // INSERT | UPDATE | DELETE
  std::vector<std::string> event_columns;  // UPDATE OF a, b
};

std::optional<TriggerDdl> parse_create_trigger(std::string_view sql);

// SQLite's column affinity rules (datatype3.html, section 3.1) applied to a
// declared type; a STRICT table's ANY column has no affinity, reported as BLOB.
std::string column_affinity(std::string_view declared_type, bool strict_table = false);

// ASCII case-insensitive equality, as SQLite compares identifiers.
bool iequals(std::string_view a, std::string_view b);

// An identifier in double quotes, inner quotes doubled: safe in any SQL text.
std::string quote_identifier(std::string_view name);

}  // namespace connctl::extractors::sqlite
