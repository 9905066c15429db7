#include "schema/entity.hpp"

#include <openssl/evp.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <array>
#include <cassert>
#include <memory>
#include <stdexcept>

#include "schema/json_emit.hpp"

namespace connctl::schema {
namespace {

constexpr std::array<std::string_view, 16> k_kind_names = {
    "database",   "schema",    "table",   "view",     "materialized_view", "column",
    "constraint", "index",     "routine", "sequence", "trigger",           "project",
    "workbook",   "dashboard", "chart",   "dataset",
};

constexpr std::array<std::string_view, 8> k_reserved = {
    "kind", "fqn", "name", "parent", "id", "fingerprint", "observations", "record"};

// Hex of the first 16 bytes of SHA-256: 128 bits is plenty for identity and
// keeps ids short in the output and the catalog. The digest is fetched once
// and the context reused per thread: an implicit fetch on every call costs
// more than hashing a typical entity.
std::string short_sha256_hex(std::string_view data) {
  static EVP_MD* const k_md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  struct CtxDeleter {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  thread_local std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx(EVP_MD_CTX_new());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!k_md || !ctx || EVP_DigestInit_ex2(ctx.get(), k_md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest, &len) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out(32, '0');
  for (unsigned int i = 0; i < 16 && i < len; ++i) {
    out[2 * i] = k_hex[digest[i] >> 4];
    out[2 * i + 1] = k_hex[digest[i] & 0xF];
  }
  return out;
}

}  // namespace

std::string_view to_string(EntityKind kind) {
  return k_kind_names[static_cast<std::size_t>(kind)];
}

std::optional<EntityKind> parse_entity_kind(std::string_view text) {
  for (std::size_t i = 0; i < k_kind_names.size(); ++i) {
    if (k_kind_names[i] == text) return static_cast<EntityKind>(i);
  }
  return std::nullopt;
}

const std::vector<EntityKind>& all_entity_kinds() {
  static const std::vector<EntityKind> kinds = [] {
    std::vector<EntityKind> out;
    for (std::size_t i = 0; i < k_kind_names.size(); ++i) out.push_back(static_cast<EntityKind>(i));
    return out;
  }();
  return kinds;
}

bool is_reserved_field(std::string_view key) {
  for (auto r : k_reserved) {
    if (r == key) return true;
  }
  return false;
}

Value Entity::body() const {
  Object body = attributes;
  body.emplace_back("fqn", fqn);
  body.emplace_back("kind", std::string(to_string(kind)));
  body.emplace_back("name", name);
  if (parent) body.emplace_back("parent", *parent);
  canonicalize(body);
  return Value(std::move(body));
}

std::string make_entity_id(std::string_view source, EntityKind kind, std::string_view fqn) {
  // One buffer per thread: an id is made for every entity.
  thread_local std::string key;
  key.clear();
  key.append(source).push_back('\x1f');
  key.append(to_string(kind)).push_back('\x1f');
  key.append(fqn);
  return short_sha256_hex(key);
}

std::string short_digest(std::string_view data) {
  return short_sha256_hex(data);
}

std::string fingerprint_of(const Value& body) {
  return short_sha256_hex(to_canonical_json(body));
}

namespace {

// to_canonical_json(entity.body()) into `buffer`, written straight from the
// entity.
void write_canonical_body(const Entity& entity, rapidjson::StringBuffer& buffer) {
  // The fixed fields merged, in key order, into the already sorted attributes.
  std::pair<std::string_view, std::string_view> fixed[4] = {
      {"fqn", entity.fqn}, {"kind", to_string(entity.kind)}, {"name", entity.name}, {"parent", ""}};
  std::size_t fixed_count = entity.parent ? 4 : 3;
  if (entity.parent) fixed[3].second = *entity.parent;
  detail::JsonWriter w(buffer);
  w.StartObject();
  std::size_t f = 0;
  auto emit_fixed = [&] {
    detail::emit_string(w, fixed[f].first);
    detail::emit_string(w, fixed[f].second);
    ++f;
  };
  for (const auto& [key, value] : entity.attributes) {
    while (f < fixed_count && fixed[f].first < key) emit_fixed();
    detail::emit_string(w, key);
    detail::emit_value(w, value);
  }
  while (f < fixed_count) emit_fixed();
  w.EndObject();
}

}  // namespace

std::string canonical_body_json(const Entity& entity) {
  rapidjson::StringBuffer buffer;
  write_canonical_body(entity, buffer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string fingerprint_of(const Entity& entity) {
  // One buffer per thread, kept at its largest size: every entity is
  // fingerprinted.
  thread_local rapidjson::StringBuffer buffer;
  buffer.Clear();
  write_canonical_body(entity, buffer);
  return short_sha256_hex(std::string_view(buffer.GetString(), buffer.GetSize()));
}

EntityBuilder::EntityBuilder(std::string_view source, EntityKind kind, const Fqn& fqn)
    : m_source(source) {
  if (fqn.empty()) throw std::invalid_argument("an entity needs a non-empty FQN");
  m_entity.kind = kind;
  m_entity.fqn = fqn.str();
  m_entity.name = fqn.name();
  // The first component is the source, which is not an entity itself. The
  // parent's FQN is this one without its last component and the dot.
  if (fqn.size() > 2) {
    const std::size_t last = quote_component(fqn.name()).size() + 1;
    m_entity.parent = m_entity.fqn.substr(0, m_entity.fqn.size() - last);
  }
  m_entity.attributes.reserve(k_attributes_reserved);
}

EntityBuilder::EntityBuilder(std::string_view source, EntityKind kind, std::string_view parent_fqn,
                             std::string_view name)
    : m_source(source) {
  if (parent_fqn.empty()) throw std::invalid_argument("an entity needs a parent FQN");
  m_entity.kind = kind;
  const std::string quoted = quote_component(name);
  m_entity.fqn.reserve(parent_fqn.size() + 1 + quoted.size());
  m_entity.fqn.append(parent_fqn).append(".").append(quoted);
  m_entity.name = name;
  m_entity.parent = std::string(parent_fqn);
  m_entity.attributes.reserve(k_attributes_reserved);
}

EntityBuilder& EntityBuilder::set(std::string key, Value value) {
  assert(!is_reserved_field(key));
  m_entity.attributes.emplace_back(std::move(key), std::move(value));
  return *this;
}

EntityBuilder& EntityBuilder::observe(std::string key, Value value) {
  m_entity.observations.emplace_back(std::move(key), std::move(value));
  return *this;
}

Entity EntityBuilder::build() {
  canonicalize(m_entity.attributes);
  canonicalize(m_entity.observations);
  m_entity.id = make_entity_id(m_source, m_entity.kind, m_entity.fqn);
  m_entity.fingerprint = fingerprint_of(m_entity);
  return std::move(m_entity);
}

}  // namespace connctl::schema
