#pragma once
// Which operator class the server takes as the default for a column type and
// an index access method, decided on the client from pg_type, pg_opclass and
// pg_cast exactly as the server's GetDefaultOpClass (indexcmds.c) and
// IsBinaryCoercible (parse_coerce.c) decide it. pg_get_indexdef prints an
// index key's operator class only when it is not that default; knowing it
// here lets the extractor write index definitions itself instead of asking
// the server for each one.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace connctl::extractors::postgres {

using Oid = std::uint32_t;

class OpclassDefaults {
 public:
  struct Type {
    char typtype = 'b';  // b, c, d, e, p, r, m
    char category = 0;   // typcategory
    bool preferred = false;
    Oid base = 0;     // typbasetype (domains)
    Oid element = 0;  // the element type of a true array type, else 0
  };
  struct Opclass {
    Oid method = 0;
    Oid input_type = 0;
    bool is_default = false;
  };

  void add_type(Oid oid, const Type& type) { m_types[oid] = type; }
  void add_opclass(Oid oid, const Opclass& opclass);
  // An implicit binary-coercible cast (castmethod 'b', castcontext 'i').
  void add_binary_cast(Oid source, Oid target) { m_casts.insert({source, target}); }

  // GetDefaultOpClass(type, method): the default class, or nullopt when there
  // is none or it is ambiguous.
  std::optional<Oid> default_for(Oid type, Oid method) const;
  // Whether `opclass` is the default class for `type` in its own method
  // (what get_opclass_name of ruleutils.c asks before printing the class).
  bool is_default(Oid opclass, Oid type) const;

 private:
  Oid base_type(Oid type) const;
  bool is_binary_coercible(Oid source, Oid target) const;

  std::unordered_map<Oid, Type> m_types;
  std::unordered_map<Oid, Oid> m_methods;                                // class -> method
  std::unordered_map<Oid, std::vector<std::pair<Oid, Oid>>> m_defaults;  // method -> (class, input)
  std::set<std::pair<Oid, Oid>> m_casts;
  // default_for's answers; it is asked from several threads at once.
  mutable std::mutex m_memo_mutex;
  mutable std::map<std::pair<Oid, Oid>, std::optional<Oid>> m_memo;
};

}  // namespace connctl::extractors::postgres
