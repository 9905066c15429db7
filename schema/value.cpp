#include "schema/value.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "schema/json_emit.hpp"

namespace connctl::schema {
namespace detail {

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 when invalid.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  // Reject overlong forms, surrogates and code points past U+10FFFF.
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)) return 0;
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

}  // namespace

std::string_view valid_utf8(std::string_view text, std::string& scratch) {
  std::size_t i = 0;
  // Text is nearly always ASCII: skip those bytes fast, eight at a time.
  for (std::uint64_t word; i + 8 <= text.size(); i += 8) {
    std::memcpy(&word, text.data() + i, 8);
    if (word & 0x8080808080808080ULL) break;
  }
  while (i < text.size() && static_cast<unsigned char>(text[i]) < 0x80) ++i;
  while (i < text.size()) {
    std::size_t n = utf8_sequence_length(text, i);
    if (n == 0) break;
    i += n;
  }
  if (i == text.size()) return text;
  scratch.assign(text.substr(0, i));
  while (i < text.size()) {
    std::size_t n = utf8_sequence_length(text, i);
    if (n == 0) {
      scratch += "\xEF\xBF\xBD";
      ++i;
    } else {
      scratch.append(text.substr(i, n));
      i += n;
    }
  }
  return scratch;
}

}  // namespace detail

const Value* Value::find(std::string_view key) const {
  if (!is_object()) return nullptr;
  for (const auto& [k, v] : as_object()) {
    if (k == key) return &v;
  }
  return nullptr;
}

void canonicalize(Object& object) {
  for (auto& entry : object) canonicalize(entry.second);
  // Insertion sort: stable, no allocation, and fast for the short, mostly
  // sorted attribute lists entities have.
  for (std::size_t i = 1; i < object.size(); ++i) {
    if (!(object[i].first < object[i - 1].first)) continue;
    auto item = std::move(object[i]);
    std::size_t j = i;
    while (j > 0 && item.first < object[j - 1].first) {
      object[j] = std::move(object[j - 1]);
      --j;
    }
    object[j] = std::move(item);
  }
  // Keep the last of repeated keys.
  std::size_t out = 0;
  for (std::size_t i = 0; i < object.size(); ++i) {
    if (out > 0 && object[out - 1].first == object[i].first) {
      object[out - 1].second = std::move(object[i].second);
    } else {
      if (out != i) object[out] = std::move(object[i]);
      ++out;
    }
  }
  object.resize(out);
}

void canonicalize(Value& value) {
  if (value.is_object()) {
    canonicalize(value.as_object());
  } else if (value.is_array()) {
    for (auto& item : value.as_array()) canonicalize(item);
  }
}

std::string to_canonical_json(const Value& value) {
  rapidjson::StringBuffer buffer;
  detail::JsonWriter writer(buffer);
  detail::emit_value(writer, value);
  return std::string(buffer.GetString(), buffer.GetSize());
}

namespace {

Value from_rapidjson(const rapidjson::Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      return Value();
    case rapidjson::kFalseType:
      return Value(false);
    case rapidjson::kTrueType:
      return Value(true);
    case rapidjson::kStringType:
      return Value(std::string(v.GetString(), v.GetStringLength()));
    case rapidjson::kNumberType:
      if (v.IsInt64()) return Value(v.GetInt64());
      if (v.IsUint64()) return Value(static_cast<double>(v.GetUint64()));
      return Value(v.GetDouble());
    case rapidjson::kArrayType: {
      Array a;
      a.reserve(v.Size());
      for (const auto& item : v.GetArray()) a.push_back(from_rapidjson(item));
      return Value(std::move(a));
    }
    case rapidjson::kObjectType: {
      Object o;
      o.reserve(v.MemberCount());
      for (const auto& m : v.GetObject()) {
        o.emplace_back(std::string(m.name.GetString(), m.name.GetStringLength()),
                       from_rapidjson(m.value));
      }
      canonicalize(o);
      return Value(std::move(o));
    }
  }
  return Value();
}

}  // namespace

Value parse_json(std::string_view text) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseFullPrecisionFlag>(text.data(), text.size());
  if (doc.HasParseError()) {
    throw std::runtime_error("invalid JSON at offset " + std::to_string(doc.GetErrorOffset()) +
                             ": " + rapidjson::GetParseError_En(doc.GetParseError()));
  }
  return from_rapidjson(doc);
}

}  // namespace connctl::schema
