#include "extractors/postgres/pg_opclass.hpp"

namespace connctl::extractors::postgres {
namespace {

// Fixed OIDs of the pseudo-types IsBinaryCoercible treats specially (the
// same in every server version that has them).
constexpr Oid k_any = 2276;
constexpr Oid k_anyelement = 2283;
constexpr Oid k_anycompatible = 5077;
constexpr Oid k_anyarray = 2277;
constexpr Oid k_anycompatiblearray = 5078;
constexpr Oid k_anynonarray = 2776;
constexpr Oid k_anycompatiblenonarray = 5079;
constexpr Oid k_anyenum = 3500;
constexpr Oid k_anyrange = 3831;
constexpr Oid k_anycompatiblerange = 5080;
constexpr Oid k_anymultirange = 4537;
constexpr Oid k_anycompatiblemultirange = 4538;
constexpr Oid k_record = 2249;
constexpr Oid k_record_array = 2287;

}  // namespace

void OpclassDefaults::add_opclass(Oid oid, const Opclass& opclass) {
  m_methods[oid] = opclass.method;
  if (opclass.is_default) m_defaults[opclass.method].emplace_back(oid, opclass.input_type);
}

Oid OpclassDefaults::base_type(Oid type) const {
  for (int depth = 0; depth < 64; ++depth) {
    auto it = m_types.find(type);
    if (it == m_types.end() || it->second.typtype != 'd') return type;
    type = it->second.base;
  }
  return type;
}

bool OpclassDefaults::is_binary_coercible(Oid source, Oid target) const {
  if (source == target) return true;
  if (target == k_any || target == k_anyelement || target == k_anycompatible) return true;
  source = base_type(source);
  if (source == target) return true;
  auto it = m_types.find(source);
  const Type* type = it == m_types.end() ? nullptr : &it->second;
  const bool is_array = type && type->element != 0;
  if ((target == k_anyarray || target == k_anycompatiblearray) && is_array) return true;
  if ((target == k_anynonarray || target == k_anycompatiblenonarray) && !is_array) return true;
  if (target == k_anyenum && type && type->typtype == 'e') return true;
  if ((target == k_anyrange || target == k_anycompatiblerange) && type && type->typtype == 'r')
    return true;
  if ((target == k_anymultirange || target == k_anycompatiblemultirange) && type &&
      type->typtype == 'm')
    return true;
  auto is_complex = [&](Oid t) {
    if (t == k_record) return true;
    auto found = m_types.find(t);
    return found != m_types.end() && found->second.typtype == 'c';
  };
  if (target == k_record && is_complex(source)) return true;
  if (target == k_record_array && is_array && is_complex(type->element)) return true;
  return m_casts.count({source, target}) != 0;
}

std::optional<Oid> OpclassDefaults::default_for(Oid type, Oid method) const {
  {
    std::lock_guard lock(m_memo_mutex);
    if (auto memo = m_memo.find({type, method}); memo != m_memo.end()) return memo->second;
  }
  const Oid base = base_type(type);
  auto type_it = m_types.find(base);
  const char category = type_it == m_types.end() ? 0 : type_it->second.category;
  auto preferred = [&](Oid t) {
    auto it = m_types.find(t);
    if (it == m_types.end()) return false;
    return (category == 0 || category == it->second.category) && it->second.preferred;
  };
  std::optional<Oid> result;
  int exact = 0, compatible = 0, compatible_preferred = 0;
  if (auto classes = m_defaults.find(method); classes != m_defaults.end()) {
    for (const auto& [oid, input] : classes->second) {
      if (input == base) {
        ++exact;
        result = oid;
      } else if (exact == 0 && is_binary_coercible(base, input)) {
        if (preferred(input)) {
          ++compatible_preferred;
          result = oid;
        } else if (compatible_preferred == 0) {
          ++compatible;
          result = oid;
        }
      }
    }
  }
  if (!(exact == 1 || compatible_preferred == 1 || (compatible_preferred == 0 && compatible == 1)))
    result.reset();
  std::lock_guard lock(m_memo_mutex);
  m_memo[{type, method}] = result;
  return result;
}

bool OpclassDefaults::is_default(Oid opclass, Oid type) const {
  auto method = m_methods.find(opclass);
  return method != m_methods.end() && default_for(type, method->second) == opclass;
}

}  // namespace connctl::extractors::postgres
