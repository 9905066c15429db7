#pragma once
// Writing Values with RapidJSON, shared by the canonical form (fingerprints)
// and the output writer so that both spell every value the same way.

#include <rapidjson/writer.h>

#include <cmath>
#include <string>
#include <string_view>

#include "schema/value.hpp"

namespace connctl::schema::detail {

// Replaces invalid UTF-8 sequences by U+FFFD; returns the input untouched
// (and cheaply) when it is valid, which is nearly always.
std::string_view valid_utf8(std::string_view text, std::string& scratch);

template <class Writer>
void emit_string(Writer& w, std::string_view s) {
  std::string scratch;
  std::string_view v = valid_utf8(s, scratch);
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}

template <class Writer>
void emit_value(Writer& w, const Value& value) {
  const auto& st = value.storage();
  switch (st.index()) {
    case 0:
      w.Null();
      break;
    case 1:
      w.Bool(std::get<bool>(st));
      break;
    case 2:
      w.Int64(std::get<std::int64_t>(st));
      break;
    case 3: {
      double d = std::get<double>(st);
      if (std::isfinite(d)) {
        w.Double(d);
      } else {
        w.Null();  // JSON has no NaN or infinity
      }
      break;
    }
    case 4:
      emit_string(w, std::get<std::string>(st));
      break;
    case 5:
      w.StartArray();
      for (const auto& item : std::get<Array>(st)) emit_value(w, item);
      w.EndArray();
      break;
    case 6:
      w.StartObject();
      for (const auto& [key, item] : std::get<Object>(st)) {
        emit_string(w, key);
        emit_value(w, item);
      }
      w.EndObject();
      break;
  }
}

}  // namespace connctl::schema::detail
