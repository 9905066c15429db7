#pragma once
// The streaming writer behind `connctl extract`: one JSON document, or NDJSON
// with one record per line (also the wire protocol of out-of-process
// extractors). Entities are written as they arrive, so memory stays bounded by
// the lineage and warnings, not by the number of columns.

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "schema/entity.hpp"
#include "schema/sink.hpp"

namespace connctl::schema {

inline constexpr int k_format_version = 1;

enum class OutputFormat { json, ndjson };

struct DocumentHeader {
  std::string source;
  std::string extractor;
  std::string extracted_at;  // ISO 8601 with offset
};

struct DocumentFooter {
  std::vector<ContainerStatus> completeness;
  std::optional<std::string> watermark;
};

class DocumentWriter final : public EntitySink {
 public:
  // Does not own `out`; the caller closes it. Writes the header at once.
  DocumentWriter(std::FILE* out, OutputFormat format, const DocumentHeader& header);
  ~DocumentWriter() override;
  DocumentWriter(const DocumentWriter&) = delete;
  DocumentWriter& operator=(const DocumentWriter&) = delete;

  void on_entity(const Entity& entity) override;
  void on_lineage(const LineageEdge& edge) override;
  void on_warning(const Warning& warning) override;

  // Writes what was buffered and the closing record, then flushes. Throws
  // std::runtime_error when the stream could not be written.
  void finish(const DocumentFooter& footer);

  std::size_t entity_count() const { return m_entities; }

 private:
  struct Impl;
  Impl* m_impl;
  std::size_t m_entities = 0;
};

// One entity record as compact JSON, as it appears in the output (without the
// NDJSON "record" discriminator).
std::string entity_to_json(const Entity& entity);

}  // namespace connctl::schema
