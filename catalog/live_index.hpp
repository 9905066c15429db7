#pragma once
// The live fingerprints of one source, held while a sync streams: for each
// entity id, whether the version the catalog holds has the same fingerprint,
// and whether the run has seen the entity. Ids and fingerprints are 32 hex
// digits (128 bits), kept as two integers each in one flat open-addressing
// table: a 10,000-table source has about 270,000 entities, and a map of
// strings spent more time allocating and hashing than the sync spent in SQL.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace connctl::catalog {

struct Hex128 {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  bool operator==(const Hex128&) const = default;

  // nullopt unless `text` is exactly 32 hex digits.
  static std::optional<Hex128> parse(std::string_view text) {
    if (text.size() != 32) return std::nullopt;
    Hex128 out;
    for (std::size_t i = 0; i < 32; ++i) {
      const char c = text[i];
      std::uint64_t digit;
      if (c >= '0' && c <= '9') {
        digit = static_cast<std::uint64_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        digit = static_cast<std::uint64_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        digit = static_cast<std::uint64_t>(c - 'A' + 10);
      } else {
        return std::nullopt;
      }
      std::uint64_t& half = i < 16 ? out.hi : out.lo;
      half = (half << 4) | digit;
    }
    return out;
  }
};

class LiveIndex {
 public:
  enum class Match { absent, same, different };

  void clear() {
    m_slots.clear();
    m_size = 0;
    m_seen = 0;
  }
  void reserve(std::size_t n) {
    std::size_t capacity = 16;
    while (capacity < n * 2) capacity *= 2;
    m_slots.assign(capacity, Slot{});
    m_size = 0;
  }
  std::size_t size() const { return m_size; }
  std::size_t seen() const { return m_seen; }

  void insert(const Hex128& id, const Hex128& fingerprint) {
    if ((m_size + 1) * 2 > m_slots.size()) grow();
    Slot& slot = find_slot(m_slots, id);
    if (!slot.used) ++m_size;
    slot = Slot{id, fingerprint, true, false};
  }

  // Marks the entity seen and tells how its fingerprint compares.
  Match see(const Hex128& id, const Hex128& fingerprint) {
    if (m_slots.empty()) return Match::absent;
    Slot& slot = find_slot(m_slots, id);
    if (!slot.used) return Match::absent;
    if (!slot.seen) {
      slot.seen = true;
      ++m_seen;
    }
    return slot.fingerprint == fingerprint ? Match::same : Match::different;
  }

  // Calls fn(id, seen) for every live entity.
  template <class Fn>
  void each(Fn&& fn) const {
    for (const auto& slot : m_slots) {
      if (slot.used) fn(slot.id, slot.seen);
    }
  }

 private:
  struct Slot {
    Hex128 id;
    Hex128 fingerprint;
    bool used = false;
    bool seen = false;
  };

  static Slot& find_slot(std::vector<Slot>& slots, const Hex128& id) {
    // Ids are SHA-256 prefixes: their bits are already uniformly spread.
    const std::size_t mask = slots.size() - 1;
    std::size_t i = static_cast<std::size_t>(id.lo ^ id.hi) & mask;
    while (slots[i].used && !(slots[i].id == id)) i = (i + 1) & mask;
    return slots[i];
  }

  void grow() {
    std::vector<Slot> bigger(m_slots.empty() ? 16 : m_slots.size() * 2);
    for (const auto& slot : m_slots) {
      if (slot.used) find_slot(bigger, slot.id) = slot;
    }
    m_slots.swap(bigger);
  }

  std::vector<Slot> m_slots;
  std::size_t m_size = 0;
  std::size_t m_seen = 0;
};

// Lower-case hex of a Hex128, as ids are written.
inline std::string to_hex(const Hex128& value) {
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    out[static_cast<std::size_t>(15 - i)] = k_digits[(value.hi >> (4 * i)) & 0xf];
    out[static_cast<std::size_t>(31 - i)] = k_digits[(value.lo >> (4 * i)) & 0xf];
  }
  return out;
}

// How a staged entity compares with the live state begin() read.
enum class StageState { unchanged = 0, changed = 1, added = 2 };

// What both stores keep around a LiveIndex while a sync stages: the source
// and commit sequence it was read at, whether it can be trusted at apply, and
// how many unchanged entities were held back from the stage.
class LiveStage {
 public:
  struct Decision {
    StageState state = StageState::added;
    bool stage = true;  // false: unchanged and held back (the index remembers it)
  };

  void begin(std::string_view source, std::int64_t seq) {
    m_index.clear();
    m_source = source;
    m_seq = seq;
    m_usable = true;
    m_unstaged = 0;
  }
  void reserve(std::size_t n) { m_index.reserve(n); }
  // One live row as the store reads it.
  void add_live(std::string_view id, std::string_view fingerprint) {
    auto i = Hex128::parse(id);
    auto f = Hex128::parse(fingerprint);
    if (!i || !f) {
      m_usable = false;  // not an id this connctl writes: compare in SQL
      return;
    }
    m_index.insert(*i, *f);
  }

  Decision classify(std::string_view id, std::string_view fingerprint, bool has_observations) {
    Decision d;
    const auto i = Hex128::parse(id);
    const auto f = Hex128::parse(fingerprint);
    if (!i || !f) {
      m_usable = false;
      return d;
    }
    const auto seen_before = m_index.seen();
    const auto match = m_index.see(*i, *f);
    switch (match) {
      case LiveIndex::Match::absent:
        d.state = StageState::added;
        break;
      case LiveIndex::Match::same:
        d.state = StageState::unchanged;
        break;
      case LiveIndex::Match::different:
        d.state = StageState::changed;
        break;
    }
    // An id staged twice (rare): its last row must win, so it is staged even
    // when unchanged, and apply compares in SQL, where held-back rows never
    // displace a staged one.
    const bool repeated = match != LiveIndex::Match::absent && m_index.seen() == seen_before;
    if (repeated) m_usable = false;
    if (d.state == StageState::unchanged && !has_observations && !repeated) {
      d.stage = false;
      ++m_unstaged;
    }
    return d;
  }

  // Whether what begin() read still holds at apply: the same source, and no
  // other run of it committed since (`seq_now` is its newest commit now).
  bool trusted(std::string_view source, std::int64_t seq_now) const {
    return m_usable && m_source == source && seq_now == m_seq;
  }

  const LiveIndex& index() const { return m_index; }
  std::int64_t seq() const { return m_seq; }
  std::int64_t unstaged() const { return m_unstaged; }

  void clear() {
    m_index.clear();
    m_source.clear();
    m_unstaged = 0;
  }

 private:
  LiveIndex m_index;
  std::string m_source;
  std::int64_t m_seq = -1;
  bool m_usable = false;
  std::int64_t m_unstaged = 0;
};

}  // namespace connctl::catalog
