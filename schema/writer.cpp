#include "schema/writer.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "schema/json_emit.hpp"

namespace connctl::schema {
namespace {

// A RapidJSON output stream that buffers and writes to a FILE* in large
// chunks; a write error is remembered and reported by finish().
class FileStream {
 public:
  using Ch = char;
  explicit FileStream(std::FILE* out) : m_out(out) { m_buffer.reserve(k_chunk + 1024); }

  void Put(char c) {
    m_buffer.push_back(c);
    if (m_buffer.size() >= k_chunk) Flush();
  }
  void Flush() {
    if (m_buffer.empty()) return;
    if (!m_failed && std::fwrite(m_buffer.data(), 1, m_buffer.size(), m_out) != m_buffer.size()) {
      m_failed = true;
      m_errno = errno;
    }
    m_buffer.clear();
  }
  void flush_file() {
    Flush();
    if (!m_failed && std::fflush(m_out) != 0) {
      m_failed = true;
      m_errno = errno;
    }
  }
  bool failed() const { return m_failed; }
  int error_number() const { return m_errno; }

 private:
  static constexpr std::size_t k_chunk = 1 << 16;
  std::FILE* m_out;
  std::string m_buffer;
  bool m_failed = false;
  int m_errno = 0;
};

using JsonWriter = rapidjson::Writer<FileStream>;

template <class Writer>
void key(Writer& w, std::string_view k) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}

template <class Writer>
void emit_entity_fields(Writer& w, const Entity& e) {
  key(w, "kind");
  detail::emit_string(w, to_string(e.kind));
  key(w, "fqn");
  detail::emit_string(w, e.fqn);
  key(w, "name");
  detail::emit_string(w, e.name);
  if (e.parent) {
    key(w, "parent");
    detail::emit_string(w, *e.parent);
  }
  key(w, "id");
  detail::emit_string(w, e.id);
  key(w, "fingerprint");
  detail::emit_string(w, e.fingerprint);
  for (const auto& [k, v] : e.attributes) {
    detail::emit_string(w, k);
    detail::emit_value(w, v);
  }
  if (!e.observations.empty()) {
    key(w, "observations");
    w.StartObject();
    for (const auto& [k, v] : e.observations) {
      detail::emit_string(w, k);
      detail::emit_value(w, v);
    }
    w.EndObject();
  }
}

template <class Writer>
void emit_edge_fields(Writer& w, const LineageEdge& edge) {
  key(w, "from");
  detail::emit_string(w, edge.from);
  key(w, "to");
  detail::emit_string(w, edge.to);
  key(w, "kind");
  detail::emit_string(w, edge.kind);
  if (!edge.columns.empty()) {
    key(w, "columns");
    w.StartArray();
    for (const auto& [from, to] : edge.columns) {
      w.StartArray();
      detail::emit_string(w, from);
      detail::emit_string(w, to);
      w.EndArray();
    }
    w.EndArray();
  }
}

template <class Writer>
void emit_warning_fields(Writer& w, const Warning& warning) {
  key(w, "object");
  detail::emit_string(w, warning.object);
  key(w, "message");
  detail::emit_string(w, warning.message);
  key(w, "skipped");
  w.Bool(warning.skipped);
}

template <class Writer>
void emit_completeness(Writer& w, const std::vector<ContainerStatus>& containers) {
  bool complete = true;
  for (const auto& c : containers) complete = complete && c.complete;
  w.StartObject();
  key(w, "status");
  detail::emit_string(w, complete ? "complete" : "partial");
  key(w, "containers");
  w.StartArray();
  for (const auto& c : containers) {
    w.StartObject();
    key(w, "fqn");
    detail::emit_string(w, c.fqn);
    key(w, "kind");
    detail::emit_string(w, to_string(c.kind));
    key(w, "status");
    detail::emit_string(w, c.complete ? "complete" : "partial");
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

template <class Writer>
void emit_header_fields(Writer& w, const DocumentHeader& h) {
  key(w, "format_version");
  w.Int(k_format_version);
  key(w, "source");
  detail::emit_string(w, h.source);
  key(w, "extractor");
  detail::emit_string(w, h.extractor);
  key(w, "extracted_at");
  detail::emit_string(w, h.extracted_at);
}

}  // namespace

struct DocumentWriter::Impl {
  explicit Impl(std::FILE* out) : stream(out), writer(stream) {}

  // RapidJSON's writer validates one top-level value; NDJSON needs one per
  // line, so it is reset before every record.
  void begin_line() { writer.Reset(stream); }
  void end_line() { stream.Put('\n'); }
  // The header is written with the first record, so that a source that
  // cannot be reached leaves the output empty.
  void ensure_started();
  // One array element per line in the JSON document, so that outputs diff
  // cleanly line by line.
  void element_break() { stream.Put('\n'); }

  DocumentHeader header;
  bool started = false;

  FileStream stream;
  JsonWriter writer;
  OutputFormat format = OutputFormat::json;
  std::vector<LineageEdge> lineage;  // JSON document: written after the entities
  std::vector<Warning> warnings;
};

DocumentWriter::DocumentWriter(std::FILE* out, OutputFormat format, const DocumentHeader& header)
    : m_impl(new Impl(out)) {
  m_impl->format = format;
  m_impl->header = header;
}

void DocumentWriter::Impl::ensure_started() {
  if (started) return;
  started = true;
  if (format == OutputFormat::json) {
    writer.StartObject();
    emit_header_fields(writer, header);
    key(writer, "entities");
    writer.StartArray();
  } else {
    begin_line();
    writer.StartObject();
    key(writer, "record");
    writer.String("header");
    emit_header_fields(writer, header);
    writer.EndObject();
    end_line();
  }
}

DocumentWriter::~DocumentWriter() {
  delete m_impl;
}

void DocumentWriter::on_entity(const Entity& entity) {
  m_impl->ensure_started();
  auto& w = m_impl->writer;
  ++m_entities;
  if (m_impl->format == OutputFormat::json) {
    m_impl->element_break();
    w.StartObject();
    emit_entity_fields(w, entity);
    w.EndObject();
  } else {
    m_impl->begin_line();
    w.StartObject();
    key(w, "record");
    w.String("entity");
    emit_entity_fields(w, entity);
    w.EndObject();
    m_impl->end_line();
  }
}

void DocumentWriter::on_lineage(const LineageEdge& edge) {
  m_impl->ensure_started();
  if (m_impl->format == OutputFormat::json) {
    m_impl->lineage.push_back(edge);
    return;
  }
  auto& w = m_impl->writer;
  m_impl->begin_line();
  w.StartObject();
  key(w, "record");
  w.String("lineage");
  emit_edge_fields(w, edge);
  w.EndObject();
  m_impl->end_line();
}

void DocumentWriter::on_warning(const Warning& warning) {
  m_impl->ensure_started();
  if (m_impl->format == OutputFormat::json) {
    m_impl->warnings.push_back(warning);
    return;
  }
  auto& w = m_impl->writer;
  m_impl->begin_line();
  w.StartObject();
  key(w, "record");
  w.String("warning");
  emit_warning_fields(w, warning);
  w.EndObject();
  m_impl->end_line();
}

void DocumentWriter::finish(const DocumentFooter& footer) {
  m_impl->ensure_started();
  auto& w = m_impl->writer;
  if (m_impl->format == OutputFormat::json) {
    if (m_entities > 0) m_impl->element_break();
    w.EndArray();  // entities
    key(w, "lineage");
    w.StartArray();
    for (const auto& edge : m_impl->lineage) {
      m_impl->element_break();
      w.StartObject();
      emit_edge_fields(w, edge);
      w.EndObject();
    }
    if (!m_impl->lineage.empty()) m_impl->element_break();
    w.EndArray();
    key(w, "warnings");
    w.StartArray();
    for (const auto& warning : m_impl->warnings) {
      m_impl->element_break();
      w.StartObject();
      emit_warning_fields(w, warning);
      w.EndObject();
    }
    if (!m_impl->warnings.empty()) m_impl->element_break();
    w.EndArray();
    key(w, "completeness");
    emit_completeness(w, footer.completeness);
    if (footer.watermark) {
      key(w, "watermark");
      detail::emit_string(w, *footer.watermark);
    }
    w.EndObject();
    m_impl->stream.Put('\n');
  } else {
    m_impl->begin_line();
    w.StartObject();
    key(w, "record");
    w.String("end");
    key(w, "entity_count");
    w.Uint64(m_entities);
    key(w, "completeness");
    emit_completeness(w, footer.completeness);
    if (footer.watermark) {
      key(w, "watermark");
      detail::emit_string(w, *footer.watermark);
    }
    w.EndObject();
    m_impl->end_line();
  }
  m_impl->stream.flush_file();
  if (m_impl->stream.failed()) {
    throw std::runtime_error(std::string("cannot write the output: ") +
                             std::strerror(m_impl->stream.error_number()));
  }
}

std::string entity_to_json(const Entity& entity) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  emit_entity_fields(w, entity);
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace connctl::schema
