#include "schema/writer.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "schema/json_emit.hpp"

namespace connctl::schema {
namespace {

// Records are written by RapidJSON into a memory buffer (its SSE2 string
// scanning works only on a StringBuffer) that goes to the FILE* in large
// chunks; a write error is remembered and reported by finish().
class FileStream {
 public:
  explicit FileStream(std::FILE* out) : m_out(out) {}

  rapidjson::StringBuffer& buffer() { return m_buffer; }
  void Put(char c) { m_buffer.Put(c); }
  void flush_if_large() {
    if (m_buffer.GetSize() >= k_chunk) flush();
  }
  void flush() {
    if (m_buffer.GetSize() == 0) return;
    if (!m_failed &&
        std::fwrite(m_buffer.GetString(), 1, m_buffer.GetSize(), m_out) != m_buffer.GetSize()) {
      m_failed = true;
      m_errno = errno;
    }
    m_buffer.Clear();
  }
  void flush_file() {
    flush();
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
  rapidjson::StringBuffer m_buffer;
  bool m_failed = false;
  int m_errno = 0;
};

using detail::JsonWriter;

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
  explicit Impl(std::FILE* out) : stream(out), writer(stream.buffer()) {}

  void raw(std::string_view text) {
    for (char c : text) stream.Put(c);
  }

  // Every element and every NDJSON record is written as its own root value
  // (RapidJSON validates one root at a time), so that the document can put one
  // element per line: outputs then diff cleanly line by line.
  template <class Fn>
  void element(std::size_t& count, Fn&& fn) {
    raw(count++ == 0 ? "\n" : ",\n");
    writer.Reset(stream.buffer());
    fn(writer);
    stream.flush_if_large();
  }

  template <class Fn>
  void record(std::string_view tag, Fn&& fn) {
    writer.Reset(stream.buffer());
    writer.StartObject();
    key(writer, "record");
    detail::emit_string(writer, tag);
    fn(writer);
    writer.EndObject();
    raw("\n");
    stream.flush_if_large();
  }

  template <class Fn>
  void root_value(std::string_view key_text, Fn&& fn) {
    raw(",\"");
    raw(key_text);
    raw("\":");
    writer.Reset(stream.buffer());
    fn(writer);
  }

  // The header is written with the first record, so that a source that
  // cannot be reached leaves the output empty.
  void ensure_started() {
    if (started) return;
    started = true;
    if (format == OutputFormat::json) {
      raw("{\"format_version\":");
      raw(std::to_string(k_format_version));
      root_value("source", [&](JsonWriter& w) { detail::emit_string(w, header.source); });
      root_value("extractor", [&](JsonWriter& w) { detail::emit_string(w, header.extractor); });
      root_value("extracted_at",
                 [&](JsonWriter& w) { detail::emit_string(w, header.extracted_at); });
      raw(",\"entities\":[");
    } else {
      record("header", [&](JsonWriter& w) { emit_header_fields(w, header); });
    }
  }

  FileStream stream;
  JsonWriter writer;
  OutputFormat format = OutputFormat::json;
  DocumentHeader header;
  bool started = false;
  std::size_t entities_written = 0;
  std::vector<LineageEdge> lineage;  // JSON document: written after the entities
  std::vector<Warning> warnings;
};

DocumentWriter::DocumentWriter(std::FILE* out, OutputFormat format, const DocumentHeader& header)
    : m_impl(new Impl(out)) {
  m_impl->format = format;
  m_impl->header = header;
}

DocumentWriter::~DocumentWriter() {
  delete m_impl;
}

void DocumentWriter::on_entity(const Entity& entity) {
  m_impl->ensure_started();
  ++m_entities;
  auto fields = [&](JsonWriter& w) { emit_entity_fields(w, entity); };
  if (m_impl->format == OutputFormat::json) {
    m_impl->element(m_impl->entities_written, [&](JsonWriter& w) {
      w.StartObject();
      fields(w);
      w.EndObject();
    });
  } else {
    m_impl->record("entity", fields);
  }
}

void DocumentWriter::on_lineage(const LineageEdge& edge) {
  m_impl->ensure_started();
  if (m_impl->format == OutputFormat::json) {
    m_impl->lineage.push_back(edge);
  } else {
    m_impl->record("lineage", [&](JsonWriter& w) { emit_edge_fields(w, edge); });
  }
}

void DocumentWriter::on_warning(const Warning& warning) {
  m_impl->ensure_started();
  if (m_impl->format == OutputFormat::json) {
    m_impl->warnings.push_back(warning);
  } else {
    m_impl->record("warning", [&](JsonWriter& w) { emit_warning_fields(w, warning); });
  }
}

void DocumentWriter::finish(const DocumentFooter& footer) {
  m_impl->ensure_started();
  auto& impl = *m_impl;
  auto completeness = [&](JsonWriter& w) { emit_completeness(w, footer.completeness); };
  auto watermark = [&](JsonWriter& w) { detail::emit_string(w, *footer.watermark); };
  if (impl.format == OutputFormat::json) {
    auto close_array = [&](std::size_t count) { impl.raw(count > 0 ? "\n]" : "]"); };
    close_array(impl.entities_written);
    impl.raw(",\"lineage\":[");
    std::size_t n = 0;
    for (const auto& edge : impl.lineage) {
      impl.element(n, [&](JsonWriter& w) {
        w.StartObject();
        emit_edge_fields(w, edge);
        w.EndObject();
      });
    }
    close_array(n);
    impl.raw(",\"warnings\":[");
    n = 0;
    for (const auto& warning : impl.warnings) {
      impl.element(n, [&](JsonWriter& w) {
        w.StartObject();
        emit_warning_fields(w, warning);
        w.EndObject();
      });
    }
    close_array(n);
    impl.root_value("completeness", completeness);
    if (footer.watermark) impl.root_value("watermark", watermark);
    impl.raw("}\n");
  } else {
    impl.record("end", [&](JsonWriter& w) {
      key(w, "entity_count");
      w.Uint64(m_entities);
      key(w, "completeness");
      completeness(w);
      if (footer.watermark) {
        key(w, "watermark");
        watermark(w);
      }
    });
  }
  impl.stream.flush_file();
  if (impl.stream.failed()) {
    throw std::runtime_error(std::string("cannot write the output: ") +
                             std::strerror(impl.stream.error_number()));
  }
}

std::string entity_to_json(const Entity& entity) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  emit_entity_fields(w, entity);
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace connctl::schema
