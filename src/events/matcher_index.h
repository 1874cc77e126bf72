// ValueIndex: the values that the edges of one (state, field) of the Matcher accept, indexed so
// that finding the edges an event value takes costs about the same for 10 edges as for 10,000.
// Internal to events/matcher.cc.
// Thread-safety: Collect is const and reentrant; Add and Remove need exclusive access.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/json.h"
#include "events/pattern.h"

namespace wharf::events::internal {

using StateId = uint32_t;

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct NumberKeyHash {
  size_t operator()(const NumberKey& k) const {
    return std::hash<int64_t>{}(k.value) * 31 + static_cast<size_t>(k.kind);
  }
};

// FNV-1a over bytes. Hashing a string byte by byte gives the hash of each of its prefixes on the
// way (and, read backwards, of each suffix), so an event value is hashed once and every prefix or
// suffix lookup is one probe.
inline constexpr uint64_t kFnvBasis = 14695981039346656037ull;
inline uint64_t FnvStep(uint64_t h, unsigned char c) { return (h ^ c) * 1099511628211ull; }
// Equality lookups need no prefix hashes: a word-at-a-time hash of the whole string is faster.
inline uint64_t FullHash(std::string_view s) { return std::hash<std::string_view>{}(s); }

// A string with the hashes of its prefixes (Fwd(n)[L]: the first L bytes) and of its suffixes
// read backwards (Rev(n)[L]: the last L bytes, from the last byte to the first), computed on
// demand up to the longest length asked for. The buffers are kept between uses (Reset), so that
// scratch space reuses them.
class HashedText {
 public:
  void Reset(std::string_view s) {
    s_ = s;
    fwd_done_ = rev_done_ = 0;
    has_full_ = false;
  }
  std::string_view s() const { return s_; }
  // The hash of the whole string for equality lookups (FullHash), computed once.
  uint64_t Full() const {
    if (!has_full_) {
      full_ = FullHash(s_);
      has_full_ = true;
    }
    return full_;
  }
  // REQUIRES: n <= s().size(). Valid for lengths 0..n.
  const uint64_t* Fwd(size_t n) const {
    if (n >= fwd_done_) Extend(fwd_, fwd_done_, n, /*backward=*/false);
    return fwd_.data();
  }
  const uint64_t* Rev(size_t n) const {
    if (n >= rev_done_) Extend(rev_, rev_done_, n, /*backward=*/true);
    return rev_.data();
  }

 private:
  void Extend(std::vector<uint64_t>& h, size_t& done, size_t n, bool backward) const;
  std::string_view s_;
  mutable std::vector<uint64_t> fwd_, rev_;
  mutable size_t fwd_done_ = 0, rev_done_ = 0;  // hashes known for lengths below these
  mutable uint64_t full_ = 0;
  mutable bool has_full_ = false;
};

// Values keyed by strings, with lookups of the keys equal to, starting or ending a string: one
// probe per distinct key length, with the hashes the HashedText carries. A table is built for one
// kind of lookup (Direction), which decides how its keys are hashed. Open addressing over slots of
// one cache line each, holding the key (up to the bytes that fit) and its first value, so a probe
// that finds its key reads one line; a bit filter in front turns most probes for absent keys away
// before they touch the table.
template <typename V>
class StringTable {
 public:
  // kEqual tables answer Exact; kForward tables KeysStarting; kBackward tables KeysEnding.
  enum class Direction { kEqual, kForward, kBackward };
  explicit StringTable(Direction d = Direction::kEqual) : direction_(d) {}

  void Add(std::string_view key, V v);
  void Remove(std::string_view key, const V& v);  // one occurrence
  bool empty() const { return count_ == 0; }
  // Whether a probe for `key` gets past the filter to the table (for tests).
  bool MayContain(std::string_view key) const { return !table_.empty() && MayHold(HashKey(key)); }

  // Each lookup calls fn(const V&) for every value of every key found.
  template <typename Fn>
  void Exact(const HashedText& h, Fn&& fn) const {  // REQUIRES: a kEqual table
    if (count_ == 0) return;
    Find(Mix(h.Full()), h.s(), fn);
  }
  template <typename Fn>
  void KeysStarting(const HashedText& h, Fn&& fn) const {  // keys that are prefixes of h.s()
    if (count_ == 0) return;
    std::string_view s = h.s();
    const uint64_t* fwd = h.Fwd(std::min(s.size(), max_length_));
    for (const auto& [len, count] : lengths_) {
      if (len > s.size()) break;
      Find(Mix(fwd[len]), s.substr(0, len), fn);
    }
  }
  template <typename Fn>
  void KeysEnding(const HashedText& h, Fn&& fn) const {  // keys that are suffixes of h.s()
    if (count_ == 0) return;
    std::string_view s = h.s();
    const uint64_t* rev = h.Rev(std::min(s.size(), max_length_));
    for (const auto& [len, count] : lengths_) {
      if (len > s.size()) break;
      Find(Mix(rev[len]), s.substr(s.size() - len), fn);
    }
  }

 private:
  struct SlotHead {
    uint64_t hash = 0;  // Mix(the key's hash)
    uint32_t key_size = 0;
    uint32_t long_at = 0;  // in long_keys_, for keys longer than kInline
    V first{};
    uint8_t flags = 0;  // kUsed, kMore
  };
  static constexpr uint8_t kUsed = 1, kMore = 2;  // kMore: more values in more_
  static constexpr size_t kInline = 64 - sizeof(SlotHead);
  struct alignas(64) Slot : SlotHead {
    char key[kInline];  // the key, or its first kInline bytes
  };
  bool KeyIs(const Slot& slot, std::string_view key) const {
    if (slot.key_size != key.size()) return false;
    if (key.size() <= kInline) return std::memcmp(slot.key, key.data(), key.size()) == 0;
    return long_keys_[slot.long_at] == key;
  }
  std::string_view KeyOf(const Slot& slot) const {
    return slot.key_size <= kInline ? std::string_view(slot.key, slot.key_size)
                                    : std::string_view(long_keys_[slot.long_at]);
  }
  // The tables work on the key's hash mixed again: FNV-1a's last step leaves the middle bits of
  // a prefix's hash nearly the same for keys that differ in their last byte ("partner12",
  // "partner13"), and the slot and the filter's word and bits are taken from those bits.
  static uint64_t Mix(uint64_t h) {
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ull;
    return h ^ (h >> 32);
  }
  // A blocked filter in front of the table, 1/32 of its size and small enough to stay in the CPU
  // caches: most probes are for keys that are not there, and once the table outgrows the caches
  // each slot read is a cache miss. A key sets three bits of one 64-bit word, 16 bits per slot
  // (32 or more per key), which lets about one absent key in 1,000 through.
  static uint64_t FilterBits(uint64_t mixed) {
    return uint64_t{1} << (mixed >> 58) | uint64_t{1} << ((mixed >> 52) & 63) |
           uint64_t{1} << ((mixed >> 46) & 63);
  }
  size_t FilterWord(uint64_t mixed) const { return (mixed >> 20) & (filter_.size() - 1); }
  bool MayHold(uint64_t mixed) const {
    uint64_t bits = FilterBits(mixed);
    return (filter_[FilterWord(mixed)] & bits) == bits;
  }
  void Mark(uint64_t mixed) { filter_[FilterWord(mixed)] |= FilterBits(mixed); }
  template <typename Fn>
  void Find(uint64_t hash, std::string_view key, Fn& fn) const {  // hash: mixed
    if (!MayHold(hash)) return;
    size_t mask = table_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& slot = table_[i];
      if (!(slot.flags & kUsed)) return;
      if (slot.hash == hash && KeyIs(slot, key)) {
        fn(slot.first);
        if (slot.flags & kMore) {
          for (const V& v : more_.find(key)->second) fn(v);
        }
        return;
      }
    }
  }
  Slot* FindSlot(uint64_t hash, std::string_view key);
  uint64_t HashKey(std::string_view key) const;
  void Insert(uint64_t hash, std::string_view key, V v, bool more);
  void Rebuild(size_t size);

  Direction direction_;
  std::vector<Slot> table_;             // power-of-two size, at most half full
  size_t count_ = 0;                    // keys
  std::vector<uint64_t> filter_;        // table_.size() / 4 words (MayHold)
  std::vector<std::string> long_keys_;  // keys longer than kInline
  std::unordered_map<std::string, std::vector<V>, StringHash, std::equal_to<>> more_;
  std::vector<std::pair<size_t, size_t>> lengths_;  // (key length, number of keys), sorted
  size_t max_length_ = 0;                           // of the keys
};

// Closed or open intervals over K, found by stabbing: a sorted array (by low end) read as an
// implicit balanced tree whose nodes know the largest high end below them.
template <typename K>
class IntervalIndex {
 public:
  struct Entry {
    K low, high;
    bool low_open, high_open;
    StateId target;
    bool operator==(const Entry&) const = default;
  };
  void Add(const Entry& e);
  void Remove(const Entry& e);
  bool empty() const { return nodes_.empty(); }
  template <typename Fn>
  void Stab(K x, Fn&& fn) const {
    Stab(0, nodes_.size(), x, fn);
  }

 private:
  // An entry with the largest high end of its subtree, side by side: a step of the search reads
  // one node.
  struct Node {
    Entry e;
    K max_high;
  };
  template <typename Fn>
  void Stab(size_t l, size_t r, K x, Fn& fn) const {
    while (l < r) {
      size_t mid = l + (r - l) / 2;
      const Node& n = nodes_[mid];
      if (n.max_high < x) return;
      Stab(l, mid, x, fn);
      const Entry& e = n.e;
      if (e.low > x) return;  // the right half starts even higher
      if ((e.low_open ? x > e.low : x >= e.low) && (e.high_open ? x < e.high : x <= e.high)) {
        fn(e.target);
      }
      l = mid + 1;
    }
  }
  K Rebuild(size_t l, size_t r);

  std::vector<Node> nodes_;  // sorted by low end
};

// An event value with what the indexes need from it, computed once per value. The Matcher keeps
// these in per-thread scratch space and reuses them (Reset) so that their buffers are reused too.
struct EventValue {
  const Json* json = nullptr;
  NumberKey number;              // numbers: for equality
  std::optional<int64_t> range;  // numbers: RangeNumber, for numeric ranges
  HashedText text;               // strings: hashes of the prefixes and suffixes
  mutable bool folded_ready = false;
  mutable std::string folded;  // strings: FoldCase, on first use
  mutable HashedText folded_text;
  mutable int8_t ip_state = 0;  // strings: 0 not parsed yet, 1 not an address, 2 `ip` is set
  mutable IpAddress ip;

  void Reset(const Json* v);
  const HashedText& Text() const { return text; }
  const HashedText& Folded() const;
  const IpAddress* Ip() const;
};

// One matcher packed into 48 bytes with all that checking a value needs -- no pointer to follow.
// Most states of a large automaton test one matcher of one rule; the Matcher keeps such a state's
// matcher in a line of its own (matcher.cc, HotState), so that visiting it reads that one line
// instead of the state, the matcher and the matcher's text, each a cache miss at thousands of
// rules. Only what fits is packed: texts up to kText bytes in all (up to kTexts of them for an
// anything-but list), numbers and numeric ranges, booleans, null and exists.
class PackedMatcher {
 public:
  static constexpr size_t kText = 40, kTexts = 4;
  // False when `m` does not fit (a wildcard, a CIDR block, a long text, a long list).
  static bool Pack(const ValueMatcher& m, PackedMatcher& out);
  // ValueMatcher::Matches for a value present in the event, with what EventValue computed once.
  bool Accepts(const EventValue& v) const;

 private:
  std::string_view Text(size_t i) const;
  template <typename Fn>
  bool AnyText(Fn&& fn) const {
    for (size_t i = 0; i < count_; ++i) {
      if (fn(Text(i))) return true;
    }
    return false;
  }
  int64_t Word(size_t i) const {
    int64_t w;
    std::memcpy(&w, bytes_ + 8 * i, sizeof w);
    return w;
  }

  ValueMatcher::Op op_ = ValueMatcher::Op::kExists;
  uint8_t count_ = 0;  // texts
  uint8_t bits_ = 0;   // kNumeric: 1 low open, 2 high open; kBool: the value; kNumber: the kind
  uint8_t sizes_[kTexts] = {};
  char bytes_[kText] = {};  // the texts one after another, or the numbers (Word)
};
static_assert(sizeof(PackedMatcher) <= 48);

// An index starts small: up to kSmall matchers are kept in one short list and each is checked in
// turn, which touches one or two cache lines. Most indexes stay small -- the states after a rule's
// first narrow test usually hold one condition of one rule -- and with thousands of rules the
// cache misses of reaching an index's parts, not the comparisons, are the cost of a match. Past
// kSmall the matchers move to tables, each part allocated when a value of its kind is added.
class ValueIndex {
 public:
  static constexpr size_t kSmall = 3;
  ValueIndex();
  ~ValueIndex();
  ValueIndex(ValueIndex&&) noexcept;
  ValueIndex& operator=(ValueIndex&&) noexcept;
  // REQUIRES: `m` stays at its address until removed (the Matcher keeps it in its edge).
  void Add(const ValueMatcher& m, StateId target);
  void Remove(const ValueMatcher& m, StateId target);

  // Appends the targets of the values that `v` matches (a target may appear more than once).
  void Collect(const EventValue& v, std::vector<StateId>& out) const;
  // The targets of {"exists": false}, taken when the event has no value for the field.
  const std::vector<StateId>& absent() const { return absent_; }
  bool small() const { return big_ == nullptr; }  // for tests
  // The index's one matcher and its target, when that is all it holds ({"exists": false} too).
  std::optional<std::pair<const ValueMatcher*, StateId>> Single() const {
    if (big_ || small_count_ != 1 || !absent_.empty()) return std::nullopt;
    return std::pair(small_[0].m, small_[0].target);
  }

 private:
  struct Entry {
    const ValueMatcher* m;
    StateId target;
    ValueMatcher::Op op;  // m->op, here so that a value of another type does not read *m
  };
  struct Strings;
  struct Numbers;
  struct Addresses;
  struct AnythingButs;
  struct Big;
  void AddToBig(const ValueMatcher& m, StateId target);
  void RemoveFromBig(const ValueMatcher& m, StateId target);
  void CollectFromBig(const EventValue& v, std::vector<StateId>& out) const;

  // Collect reads big_, small_count_ and small_: the first 64 bytes.
  std::unique_ptr<Big> big_;
  uint32_t small_count_ = 0;
  Entry small_[kSmall] = {};  // while small: every matcher but {"exists": false}
  std::vector<StateId> absent_;
};

}  // namespace wharf::events::internal
