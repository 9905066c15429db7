#pragma once
// Output helpers shared by the subcommands: terminal detection, aligned text
// tables, JSON to stdout, the atomic --output file and the progress line.

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "schema/sink.hpp"

namespace connctl::cli {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

bool stdout_is_terminal();
bool stderr_is_terminal();

// Prints rows aligned under headers (two spaces between columns).
void print_table(const std::vector<std::string>& headers,
                 const std::vector<std::vector<std::string>>& rows);

// Writes a JSON string value (helper for the many small documents).
void json_string(JsonWriter& w, std::string_view s);
void json_key(JsonWriter& w, std::string_view k);
void json_string_or_null(JsonWriter& w, std::string_view s);  // null when empty

// Writes the buffer and a newline to stdout.
void print_json(const rapidjson::StringBuffer& buffer);

// An output file that appears only when the command succeeds: data goes to a
// temporary file in the same directory, commit() renames it over the target.
// Without commit() the temporary file is removed and the target is untouched.
class AtomicOutputFile {
 public:
  explicit AtomicOutputFile(const std::filesystem::path& target);
  ~AtomicOutputFile();
  AtomicOutputFile(const AtomicOutputFile&) = delete;
  AtomicOutputFile& operator=(const AtomicOutputFile&) = delete;

  std::FILE* file() { return m_file; }
  void commit();

 private:
  std::filesystem::path m_target;
  std::filesystem::path m_temp;
  std::FILE* m_file = nullptr;
  bool m_committed = false;
};

// Forwards to another sink and keeps a progress line on stderr up to date,
// at most a few times a second. Only used when stderr is a terminal.
class ProgressSink final : public schema::EntitySink {
 public:
  ProgressSink(schema::EntitySink& next, std::string source);
  ~ProgressSink() override;

  void on_entity(const schema::Entity& entity) override;
  void on_lineage(const schema::LineageEdge& edge) override { m_next.on_lineage(edge); }
  void on_warning(const schema::Warning& warning) override;

 private:
  void draw();
  void clear();
  schema::EntitySink& m_next;
  std::string m_source;
  std::size_t m_count = 0;
  std::chrono::steady_clock::time_point m_last_draw{};
  bool m_drawn = false;
};

// Counts what passes through, for the summary and the exit code.
class CountingSink final : public schema::EntitySink {
 public:
  explicit CountingSink(schema::EntitySink& next) : m_next(next) {}
  void on_entity(const schema::Entity& entity) override {
    ++entities;
    m_next.on_entity(entity);
  }
  void on_lineage(const schema::LineageEdge& edge) override {
    ++lineage;
    m_next.on_lineage(edge);
  }
  void on_warning(const schema::Warning& warning) override;

  std::size_t entities = 0;
  std::size_t lineage = 0;
  std::size_t warnings = 0;
  std::size_t skipped = 0;

 private:
  schema::EntitySink& m_next;
};

}  // namespace connctl::cli
