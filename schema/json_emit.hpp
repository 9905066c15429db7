#pragma once
// Writing Values with RapidJSON, shared by the canonical form (fingerprints)
// and the output writer so that both spell every value the same way.

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "schema/value.hpp"

namespace connctl::schema::detail {

// Replaces invalid UTF-8 sequences by U+FFFD; returns the input untouched
// (and cheaply) when it is valid, which is nearly always.
std::string_view valid_utf8(std::string_view text, std::string& scratch);

// True when every byte is printable ASCII other than '"' and '\\', so that
// the JSON string is the text between quotes (names, types and ids nearly
// always are). Eight bytes at a time.
inline bool plain_json_text(std::string_view s) {
  constexpr std::uint64_t k_ones = 0x0101010101010101ULL;
  constexpr std::uint64_t k_highs = 0x8080808080808080ULL;
  auto has_zero_byte = [](std::uint64_t v) { return (v - k_ones) & ~v & k_highs; };
  const char* p = s.data();
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t x;
    std::memcpy(&x, p + i, 8);
    // A byte >= 0x80, a byte < 0x20, a quote, a backslash.
    if ((x & k_highs) | ((x - k_ones * 0x20) & ~x & k_highs) | has_zero_byte(x ^ (k_ones * '"')) |
        has_zero_byte(x ^ (k_ones * '\\')))
      return false;
  }
  for (; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') return false;
  }
  return true;
}

// RapidJSON's writer with a string written by copying the text between
// quotes when nothing in it needs escaping or checking; the same bytes as
// String() writes.
class JsonWriter : public rapidjson::Writer<rapidjson::StringBuffer> {
 public:
  using rapidjson::Writer<rapidjson::StringBuffer>::Writer;

  void plain_string(std::string_view s) {
    Prefix(rapidjson::kStringType);
    char* out = os_->Push(s.size() + 2);
    out[0] = '"';
    if (!s.empty()) std::memcpy(out + 1, s.data(), s.size());
    out[s.size() + 1] = '"';
    EndValue(true);
  }
};

template <class Writer>
void emit_string(Writer& w, std::string_view s) {
  if constexpr (std::is_base_of_v<JsonWriter, Writer>) {
    if (plain_json_text(s)) {
      w.plain_string(s);
      return;
    }
  }
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
