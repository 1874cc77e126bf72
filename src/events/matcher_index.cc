// The value indexes of the Matcher (matcher_index.h).
#include "events/matcher_index.h"

#include <algorithm>
#include <cassert>
#include <span>

namespace wharf::events::internal {

using Op = ValueMatcher::Op;

// --- StringTable
// ----------------------------------------------------------------------------------

void HashedText::Extend(std::vector<uint64_t>& h, size_t& done, size_t n, bool backward) const {
  if (h.size() < n + 1) h.resize(n + 1);
  if (done == 0) {
    h[0] = kFnvBasis;
    done = 1;
  }
  uint64_t x = h[done - 1];
  const auto* bytes = reinterpret_cast<const unsigned char*>(s_.data());
  if (backward) {
    const unsigned char* end = bytes + s_.size();
    for (size_t i = done - 1; i < n; ++i)
      h[i + 1] = x = FnvStep(x, end[-1 - static_cast<ptrdiff_t>(i)]);
  } else {
    for (size_t i = done - 1; i < n; ++i) h[i + 1] = x = FnvStep(x, bytes[i]);
  }
  done = n + 1;
}

template <typename V>
uint64_t StringTable<V>::HashKey(std::string_view key) const {  // mixed, as the slots hold it
  if (direction_ == Direction::kEqual) return Mix(FullHash(key));
  bool backward = direction_ == Direction::kBackward;
  uint64_t h = kFnvBasis;
  for (size_t i = 0; i < key.size(); ++i) {
    h = FnvStep(h, static_cast<unsigned char>(backward ? key[key.size() - 1 - i] : key[i]));
  }
  return Mix(h);
}

template <typename V>
void StringTable<V>::Insert(uint64_t hash, std::string_view key, V v, bool more) {
  size_t mask = table_.size() - 1;
  size_t i = hash & mask;
  while (table_[i].flags & kUsed) i = (i + 1) & mask;
  Slot& slot = table_[i];
  slot.hash = hash;
  slot.key_size = static_cast<uint32_t>(key.size());
  slot.first = std::move(v);
  slot.flags = kUsed | (more ? kMore : 0);
  std::memcpy(slot.key, key.data(), std::min(key.size(), kInline));
  if (key.size() > kInline) {
    slot.long_at = static_cast<uint32_t>(long_keys_.size());
    long_keys_.emplace_back(key);
  }
  Mark(hash);
  ++count_;
}

template <typename V>
void StringTable<V>::Rebuild(size_t size) {
  std::vector<Slot> old = std::move(table_);
  std::vector<std::string> old_long = std::move(long_keys_);
  table_.assign(size, Slot{});
  filter_.assign(std::max<size_t>(1, size / 4), 0);  // 16 bits per slot, a power of two
  long_keys_.clear();
  count_ = 0;
  for (Slot& slot : old) {
    if (!(slot.flags & kUsed)) continue;
    std::string_view key = slot.key_size <= kInline ? std::string_view(slot.key, slot.key_size)
                                                    : std::string_view(old_long[slot.long_at]);
    Insert(slot.hash, key, std::move(slot.first), slot.flags & kMore);
  }
}

template <typename V>
typename StringTable<V>::Slot* StringTable<V>::FindSlot(uint64_t hash, std::string_view key) {
  if (table_.empty()) return nullptr;
  size_t mask = table_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    Slot& slot = table_[i];
    if (!(slot.flags & kUsed)) return nullptr;
    if (slot.hash == hash && KeyIs(slot, key)) return &slot;
  }
}

template <typename V>
void StringTable<V>::Add(std::string_view key, V v) {
  uint64_t hash = HashKey(key);
  if (Slot* slot = FindSlot(hash, key)) {
    auto it = more_.find(key);
    if (it == more_.end()) it = more_.emplace(std::string(key), std::vector<V>{}).first;
    it->second.push_back(std::move(v));
    slot->flags |= kMore;
    return;
  }
  if (2 * (count_ + 1) > table_.size()) {
    size_t size = 16;
    while (size < 2 * (count_ + 1)) size *= 2;
    Rebuild(size);
  }
  Insert(hash, key, std::move(v), false);
  auto at = std::lower_bound(lengths_.begin(), lengths_.end(), std::make_pair(key.size(), 0ul));
  if (at != lengths_.end() && at->first == key.size()) {
    ++at->second;
  } else {
    lengths_.insert(at, {key.size(), 1});
  }
  max_length_ = lengths_.back().first;
}

template <typename V>
void StringTable<V>::Remove(std::string_view key, const V& v) {
  Slot* slot = FindSlot(HashKey(key), key);
  if (slot == nullptr) return;
  if (slot->flags & kMore) {
    auto it = more_.find(key);
    std::vector<V>& rest = it->second;
    if (slot->first == v) {
      slot->first = std::move(rest.back());
      rest.pop_back();
    } else {
      auto pos = std::find(rest.begin(), rest.end(), v);
      if (pos == rest.end()) return;
      rest.erase(pos);
    }
    if (rest.empty()) {
      more_.erase(it);
      slot->flags &= ~kMore;
    }
    return;
  }
  if (!(slot->first == v)) return;
  // The key has no value left: the table is built again without it (removing rules is rare).
  slot->flags = 0;
  Rebuild(table_.size());
  auto at = std::lower_bound(lengths_.begin(), lengths_.end(), std::make_pair(key.size(), 0ul));
  if (at != lengths_.end() && at->first == key.size() && --at->second == 0) lengths_.erase(at);
  max_length_ = lengths_.empty() ? 0 : lengths_.back().first;
}

template class StringTable<StateId>;  // also what the tests use

// --- IntervalIndex
// --------------------------------------------------------------------------------

template <typename K>
void IntervalIndex<K>::Add(const Entry& e) {
  auto at = std::upper_bound(nodes_.begin(), nodes_.end(), e.low,
                             [](const K& low, const Node& n) { return low < n.e.low; });
  nodes_.insert(at, Node{e, K{}});
  Rebuild(0, nodes_.size());
}

template <typename K>
void IntervalIndex<K>::Remove(const Entry& e) {
  auto at = std::find_if(nodes_.begin(), nodes_.end(), [&](const Node& n) { return n.e == e; });
  if (at == nodes_.end()) return;
  nodes_.erase(at);
  Rebuild(0, nodes_.size());
}

template <typename K>
K IntervalIndex<K>::Rebuild(size_t l, size_t r) {
  if (l >= r) return K{};
  size_t mid = l + (r - l) / 2;
  K m = nodes_[mid].e.high;
  if (l < mid) m = std::max(m, Rebuild(l, mid));
  if (mid + 1 < r) m = std::max(m, Rebuild(mid + 1, r));
  nodes_[mid].max_high = m;
  return m;
}

template class IntervalIndex<int64_t>;
template class IntervalIndex<unsigned __int128>;

// --- EventValue
// -----------------------------------------------------------------------------------

void EventValue::Reset(const Json* v) {
  json = v;
  range.reset();
  folded_ready = false;
  ip_state = 0;
  if (v->is_number()) {
    number = NumberKeyOf(*v);
    range = RangeNumber(*v);
  } else if (v->is_string()) {
    text.Reset(v->as_string());
  }
}

const HashedText& EventValue::Folded() const {
  if (!folded_ready) {
    folded = FoldCase(json->as_string());
    folded_text.Reset(folded);
    folded_ready = true;
  }
  return folded_text;
}

const IpAddress* EventValue::Ip() const {
  if (ip_state == 0) {
    auto parsed = ParseIpAddress(json->as_string());
    ip_state = parsed ? 2 : 1;
    if (parsed) ip = *parsed;
  }
  return ip_state == 2 ? &ip : nullptr;
}

// --- ValueIndex
// -----------------------------------------------------------------------------------

using Direction = StringTable<StateId>::Direction;

struct ValueIndex::Strings {
  // Which tables hold keys (kExact << 0 ...): Collect reads this line and then only those tables.
  enum : uint8_t {
    kExact = 1,
    kExactIc = 2,
    kPrefix = 4,
    kPrefixIc = 8,
    kSuffix = 16,
    kSuffixIc = 32,
    kWildcards = 64,
    kIgnoreCase = kExactIc | kPrefixIc | kSuffixIc,
  };
  uint8_t used = 0;
  StringTable<StateId> exact, exact_ic;
  StringTable<StateId> prefix{Direction::kForward}, prefix_ic{Direction::kForward};
  StringTable<StateId> suffix{Direction::kBackward}, suffix_ic{Direction::kBackward};
  // wildcards by their literal start (the text before the first '*')
  StringTable<std::pair<const Wildcard*, StateId>> wildcards{
      StringTable<std::pair<const Wildcard*, StateId>>::Direction::kForward};

  void Refresh() {
    used = (exact.empty() ? 0 : kExact) | (exact_ic.empty() ? 0 : kExactIc) |
           (prefix.empty() ? 0 : kPrefix) | (prefix_ic.empty() ? 0 : kPrefixIc) |
           (suffix.empty() ? 0 : kSuffix) | (suffix_ic.empty() ? 0 : kSuffixIc) |
           (wildcards.empty() ? 0 : kWildcards);
  }
};

struct ValueIndex::Numbers {
  std::unordered_map<NumberKey, std::vector<StateId>, NumberKeyHash> equal;
  IntervalIndex<int64_t> ranges;
};

struct ValueIndex::Addresses {
  IntervalIndex<unsigned __int128> ipv4, ipv6;
  std::vector<StateId> true_, false_, null_;
};

// anything-but: all entries, and the indexes that find the ones a value fails.
struct ValueIndex::AnythingButs {
  struct Entry {
    const ValueMatcher* m;
    StateId target;
  };
  std::vector<std::unique_ptr<Entry>> all;
  StringTable<const Entry*> strings, ignore_case;
  StringTable<const Entry*> prefixes{StringTable<const Entry*>::Direction::kForward};
  StringTable<const Entry*> suffixes{StringTable<const Entry*>::Direction::kBackward};
  StringTable<std::pair<const Wildcard*, const Entry*>> wildcards{
      StringTable<std::pair<const Wildcard*, const Entry*>>::Direction::kForward};
  std::unordered_map<NumberKey, std::vector<const Entry*>, NumberKeyHash> numbers;

  void Add(const ValueMatcher& m, StateId t);
  void Remove(const ValueMatcher& m, StateId t);
  void Collect(const EventValue& v, std::vector<StateId>& out) const;
};

// The tables of an index past kSmall matchers. Each part is allocated when a value of its kind is
// added, so that an index holding one kind of value (the usual case) touches little memory.
struct ValueIndex::Big {
  size_t count = 0;  // matchers held (not counting {"exists": false})
  std::vector<StateId> exists;
  std::unique_ptr<Strings> strings;
  std::unique_ptr<Numbers> numbers;
  std::unique_ptr<Addresses> addresses;  // also booleans and null
  std::unique_ptr<AnythingButs> anything_buts;
};

ValueIndex::ValueIndex() = default;
ValueIndex::~ValueIndex() = default;
ValueIndex::ValueIndex(ValueIndex&&) noexcept = default;
ValueIndex& ValueIndex::operator=(ValueIndex&&) noexcept = default;

namespace {

template <typename T>
T& Make(std::unique_ptr<T>& p) {
  if (!p) p = std::make_unique<T>();
  return *p;
}

void EraseOne(std::vector<StateId>& list, StateId t) {
  auto at = std::find(list.begin(), list.end(), t);
  if (at != list.end()) list.erase(at);
}

template <typename Map, typename V>
void EraseFromMap(Map& map, const NumberKey& key, const V& v) {
  auto it = map.find(key);
  if (it == map.end()) return;
  auto at = std::find(it->second.begin(), it->second.end(), v);
  if (at != it->second.end()) it->second.erase(at);
  if (it->second.empty()) map.erase(it);
}

// Whether a matcher of this kind compares a string value with its one `text`.
bool ComparesText(Op op) {
  switch (op) {
    case Op::kString:
    case Op::kPrefix:
    case Op::kPrefixIgnoreCase:
    case Op::kSuffix:
    case Op::kSuffixIgnoreCase:
    case Op::kEqualsIgnoreCase:
      return true;
    default:
      return false;
  }
}

// Whether a matcher of this kind can accept a value of this type, known without reading it.
bool Possible(Op op, Json::Kind kind) {
  if (ComparesText(op)) return kind == Json::Kind::kString;
  switch (op) {
    case Op::kWildcard:
    case Op::kCidr:
      return kind == Json::Kind::kString;
    case Op::kNumber:
    case Op::kNumeric:
      return kind == Json::Kind::kInt || kind == Json::Kind::kDouble;
    case Op::kBool:
      return kind == Json::Kind::kBool;
    case Op::kNull:
      return kind == Json::Kind::kNull;
    default:
      return true;
  }
}

// ValueMatcher::Matches for a value present in the event, with what EventValue computed once:
// the value folded for the ignore-case forms, its address, its number keys.
bool Accepts(const ValueMatcher& m, const EventValue& v) {
  const Json& json = *v.json;
  switch (m.op) {
    case Op::kString:
      return json.is_string() && json.as_string() == m.text;
    case Op::kNumber:
      return json.is_number() && v.number == m.numbers[0];
    case Op::kPrefixIgnoreCase:
      return json.is_string() && v.Folded().s().starts_with(m.text);
    case Op::kSuffixIgnoreCase:
      return json.is_string() && v.Folded().s().ends_with(m.text);
    case Op::kEqualsIgnoreCase:
      return json.is_string() && v.Folded().s() == m.text;
    case Op::kNumeric:
      return v.range && (m.low_open ? *v.range > m.low : *v.range >= m.low) &&
             (m.high_open ? *v.range < m.high : *v.range <= m.high);
    case Op::kCidr: {
      const IpAddress* ip = json.is_string() ? v.Ip() : nullptr;
      return ip != nullptr && ip->v6 == m.ip_low.v6 && ip->bits >= m.ip_low.bits &&
             ip->bits <= m.ip_high.bits;
    }
    case Op::kAnythingButNumbers:
      return !json.is_number() ||
             std::find(m.numbers.begin(), m.numbers.end(), v.number) == m.numbers.end();
    case Op::kAnythingButIgnoreCase:
      return !json.is_string() ||
             std::find(m.texts.begin(), m.texts.end(), v.Folded().s()) == m.texts.end();
    default:
      return m.Matches(json);
  }
}

}  // namespace

// --- PackedMatcher
// --------------------------------------------------------------------------------

bool PackedMatcher::Pack(const ValueMatcher& m, PackedMatcher& out) {
  out = PackedMatcher{};
  out.op_ = m.op;
  auto texts = [&out](std::span<const std::string> list) {
    size_t at = 0;
    if (list.size() > kTexts) return false;
    for (std::string_view t : list) {
      if (at + t.size() > kText) return false;
      std::memcpy(out.bytes_ + at, t.data(), t.size());
      out.sizes_[out.count_++] = static_cast<uint8_t>(t.size());
      at += t.size();
    }
    return true;
  };
  auto words = [&out](int64_t a, int64_t b) {
    std::memcpy(out.bytes_, &a, sizeof a);
    std::memcpy(out.bytes_ + 8, &b, sizeof b);
  };
  if (ComparesText(m.op)) return texts(std::span(&m.text, 1));
  switch (m.op) {
    case Op::kAnythingButStrings:
    case Op::kAnythingButPrefix:
    case Op::kAnythingButSuffix:
    case Op::kAnythingButIgnoreCase:
      return texts(m.texts);
    case Op::kNumber:
      out.bits_ = static_cast<uint8_t>(m.numbers[0].kind);
      words(m.numbers[0].value, 0);
      return true;
    case Op::kNumeric:
      out.bits_ = (m.low_open ? 1 : 0) | (m.high_open ? 2 : 0);
      words(m.low, m.high);
      return true;
    case Op::kBool:
      out.bits_ = m.flag ? 1 : 0;
      return true;
    case Op::kNull:
    case Op::kExists:
      return true;
    default:  // wildcards, CIDR blocks, anything-but numbers or wildcards, {"exists": false}
      return false;
  }
}

std::string_view PackedMatcher::Text(size_t i) const {
  size_t at = 0;
  for (size_t j = 0; j < i; ++j) at += sizes_[j];
  return std::string_view(bytes_ + at, sizes_[i]);
}

bool PackedMatcher::Accepts(const EventValue& v) const {
  const Json& json = *v.json;
  auto folded = [&v] { return v.Folded().s(); };
  switch (op_) {
    case Op::kString:
      return json.is_string() && json.as_string() == Text(0);
    case Op::kPrefix:
      return json.is_string() && std::string_view(json.as_string()).starts_with(Text(0));
    case Op::kSuffix:
      return json.is_string() && std::string_view(json.as_string()).ends_with(Text(0));
    case Op::kPrefixIgnoreCase:
      return json.is_string() && folded().starts_with(Text(0));
    case Op::kSuffixIgnoreCase:
      return json.is_string() && folded().ends_with(Text(0));
    case Op::kEqualsIgnoreCase:
      return json.is_string() && folded() == Text(0);
    case Op::kAnythingButStrings:
      return !json.is_string() ||
             !AnyText([&](std::string_view t) { return json.as_string() == t; });
    case Op::kAnythingButPrefix:
      return !json.is_string() || !AnyText([&](std::string_view t) {
        return std::string_view(json.as_string()).starts_with(t);
      });
    case Op::kAnythingButSuffix:
      return !json.is_string() || !AnyText([&](std::string_view t) {
        return std::string_view(json.as_string()).ends_with(t);
      });
    case Op::kAnythingButIgnoreCase:
      return !json.is_string() || !AnyText([&](std::string_view t) { return folded() == t; });
    case Op::kNumber:
      return json.is_number() &&
             v.number == NumberKey{static_cast<NumberKey::Kind>(bits_), Word(0)};
    case Op::kNumeric: {
      if (!v.range) return false;
      int64_t x = *v.range, low = Word(0), high = Word(1);
      return ((bits_ & 1) ? x > low : x >= low) && ((bits_ & 2) ? x < high : x <= high);
    }
    case Op::kBool:
      return json.is_bool() && json.as_bool() == (bits_ == 1);
    case Op::kNull:
      return json.is_null();
    case Op::kExists:
      return true;
    default:
      return false;  // not packed
  }
}

// --- ValueIndex (continued)
// -----------------------------------------------------------------------------------

void ValueIndex::Add(const ValueMatcher& m, StateId t) {
  if (m.op == Op::kAbsent) {
    absent_.push_back(t);
    return;
  }
  if (!big_) {
    if (small_count_ < kSmall) {
      small_[small_count_++] = Entry{&m, t, m.op};
      return;
    }
    big_ = std::make_unique<Big>();
    for (uint32_t i = 0; i < small_count_; ++i) AddToBig(*small_[i].m, small_[i].target);
    small_count_ = 0;
  }
  AddToBig(m, t);
}

void ValueIndex::Remove(const ValueMatcher& m, StateId t) {
  if (m.op == Op::kAbsent) {
    EraseOne(absent_, t);
    return;
  }
  if (!big_) {
    Entry* end = small_ + small_count_;
    Entry* at =
        std::find_if(small_, end, [&](const Entry& e) { return e.m == &m && e.target == t; });
    if (at != end) {
      std::copy(at + 1, end, at);
      --small_count_;
    }
    return;
  }
  RemoveFromBig(m, t);
  if (big_->count == 0) big_.reset();  // empty: small again
}

void ValueIndex::AddToBig(const ValueMatcher& m, StateId t) {
  Big& b = *big_;
  ++b.count;
  switch (m.op) {
    case Op::kString:
      Make(b.strings).exact.Add(m.text, t);
      break;
    case Op::kNumber:
      Make(b.numbers).equal[m.numbers[0]].push_back(t);
      break;
    case Op::kBool:
      (m.flag ? Make(b.addresses).true_ : Make(b.addresses).false_).push_back(t);
      break;
    case Op::kNull:
      Make(b.addresses).null_.push_back(t);
      break;
    case Op::kPrefix:
      Make(b.strings).prefix.Add(m.text, t);
      break;
    case Op::kPrefixIgnoreCase:
      Make(b.strings).prefix_ic.Add(m.text, t);
      break;
    case Op::kSuffix:
      Make(b.strings).suffix.Add(m.text, t);
      break;
    case Op::kSuffixIgnoreCase:
      Make(b.strings).suffix_ic.Add(m.text, t);
      break;
    case Op::kEqualsIgnoreCase:
      Make(b.strings).exact_ic.Add(m.text, t);
      break;
    case Op::kWildcard:
      Make(b.strings).wildcards.Add(m.wildcards[0].pieces[0], {&m.wildcards[0], t});
      break;
    case Op::kNumeric:
      Make(b.numbers).ranges.Add({m.low, m.high, m.low_open, m.high_open, t});
      break;
    case Op::kCidr:
      (m.ip_low.v6 ? Make(b.addresses).ipv6 : Make(b.addresses).ipv4)
          .Add({m.ip_low.bits, m.ip_high.bits, false, false, t});
      break;
    case Op::kExists:
      b.exists.push_back(t);
      break;
    default:
      Make(b.anything_buts).Add(m, t);
  }
  if (b.strings) b.strings->Refresh();
}

void ValueIndex::RemoveFromBig(const ValueMatcher& m, StateId t) {
  Big& b = *big_;
  --b.count;
  switch (m.op) {
    case Op::kString:
      Make(b.strings).exact.Remove(m.text, t);
      break;
    case Op::kNumber:
      EraseFromMap(Make(b.numbers).equal, m.numbers[0], t);
      break;
    case Op::kBool:
      EraseOne(m.flag ? Make(b.addresses).true_ : Make(b.addresses).false_, t);
      break;
    case Op::kNull:
      EraseOne(Make(b.addresses).null_, t);
      break;
    case Op::kPrefix:
      Make(b.strings).prefix.Remove(m.text, t);
      break;
    case Op::kPrefixIgnoreCase:
      Make(b.strings).prefix_ic.Remove(m.text, t);
      break;
    case Op::kSuffix:
      Make(b.strings).suffix.Remove(m.text, t);
      break;
    case Op::kSuffixIgnoreCase:
      Make(b.strings).suffix_ic.Remove(m.text, t);
      break;
    case Op::kEqualsIgnoreCase:
      Make(b.strings).exact_ic.Remove(m.text, t);
      break;
    case Op::kWildcard:
      Make(b.strings).wildcards.Remove(m.wildcards[0].pieces[0], {&m.wildcards[0], t});
      break;
    case Op::kNumeric:
      Make(b.numbers).ranges.Remove({m.low, m.high, m.low_open, m.high_open, t});
      break;
    case Op::kCidr:
      (m.ip_low.v6 ? Make(b.addresses).ipv6 : Make(b.addresses).ipv4)
          .Remove({m.ip_low.bits, m.ip_high.bits, false, false, t});
      break;
    case Op::kExists:
      EraseOne(b.exists, t);
      break;
    default:
      Make(b.anything_buts).Remove(m, t);
  }
  if (b.strings) b.strings->Refresh();
}

void ValueIndex::Collect(const EventValue& v, std::vector<StateId>& out) const {
  if (big_) {
    CollectFromBig(v, out);
    return;
  }
  const Json::Kind kind = v.json->kind();
  for (uint32_t i = 0; i < small_count_; ++i) {
    const Entry& e = small_[i];
    if (Possible(e.op, kind) && Accepts(*e.m, v)) out.push_back(e.target);
  }
}

void ValueIndex::CollectFromBig(const EventValue& v, std::vector<StateId>& out) const {
  const Big& b = *big_;
  auto add = [&out](const std::vector<StateId>& targets) {
    for (StateId t : targets) out.push_back(t);
  };
  auto add1 = [&out](StateId t) { out.push_back(t); };
  const Json& json = *v.json;
  add(b.exists);  // {"exists": true}: any value present
  switch (json.kind()) {
    case Json::Kind::kString: {
      if (b.strings) {
        const Strings& t = *b.strings;
        const HashedText& h = v.Text();
        if (t.used & Strings::kExact) t.exact.Exact(h, add1);
        if (t.used & Strings::kPrefix) t.prefix.KeysStarting(h, add1);
        if (t.used & Strings::kSuffix) t.suffix.KeysEnding(h, add1);
        if (t.used & Strings::kIgnoreCase) {
          const HashedText& f = v.Folded();
          if (t.used & Strings::kExactIc) t.exact_ic.Exact(f, add1);
          if (t.used & Strings::kPrefixIc) t.prefix_ic.KeysStarting(f, add1);
          if (t.used & Strings::kSuffixIc) t.suffix_ic.KeysEnding(f, add1);
        }
        if (t.used & Strings::kWildcards) {
          t.wildcards.KeysStarting(h, [&](const auto& entry) {
            if (entry.first->Matches(h.s())) out.push_back(entry.second);
          });
        }
      }
      const Addresses* a = b.addresses.get();
      if (a != nullptr && (!a->ipv4.empty() || !a->ipv6.empty())) {
        if (const IpAddress* ip = v.Ip()) {
          (ip->v6 ? a->ipv6 : a->ipv4).Stab(ip->bits, [&](StateId t) { out.push_back(t); });
        }
      }
      break;
    }
    case Json::Kind::kInt:
    case Json::Kind::kDouble: {
      const Numbers* n = b.numbers.get();
      if (n == nullptr) break;
      if (!n->equal.empty()) {
        auto it = n->equal.find(v.number);
        if (it != n->equal.end()) add(it->second);
      }
      // "Numeric matching works with values that are JSON numbers", within +-5e9 (User Guide).
      if (v.range && !n->ranges.empty()) {
        n->ranges.Stab(*v.range, [&](StateId t) { out.push_back(t); });
      }
      break;
    }
    case Json::Kind::kBool:
      if (b.addresses) add(json.as_bool() ? b.addresses->true_ : b.addresses->false_);
      break;
    case Json::Kind::kNull:
      if (b.addresses) add(b.addresses->null_);
      break;
    default:
      break;
  }
  if (b.anything_buts) b.anything_buts->Collect(v, out);
}

void ValueIndex::AnythingButs::Add(const ValueMatcher& m, StateId t) {
  all.push_back(std::make_unique<Entry>(Entry{&m, t}));
  const Entry* e = all.back().get();
  switch (m.op) {
    case Op::kAnythingButStrings:
      for (const auto& s : m.texts) strings.Add(s, e);
      break;
    case Op::kAnythingButNumbers:
      for (const auto& n : m.numbers) numbers[n].push_back(e);
      break;
    case Op::kAnythingButPrefix:
      for (const auto& s : m.texts) prefixes.Add(s, e);
      break;
    case Op::kAnythingButSuffix:
      for (const auto& s : m.texts) suffixes.Add(s, e);
      break;
    case Op::kAnythingButIgnoreCase:
      for (const auto& s : m.texts) ignore_case.Add(s, e);
      break;
    case Op::kAnythingButWildcard:
      for (const auto& w : m.wildcards) wildcards.Add(w.pieces[0], {&w, e});
      break;
    default:
      assert(false);
  }
}

void ValueIndex::AnythingButs::Remove(const ValueMatcher& m, StateId t) {
  auto at = std::find_if(all.begin(), all.end(),
                         [&](const auto& e) { return e->m == &m && e->target == t; });
  if (at == all.end()) return;
  const Entry* e = at->get();
  switch (m.op) {
    case Op::kAnythingButStrings:
      for (const auto& s : m.texts) strings.Remove(s, e);
      break;
    case Op::kAnythingButNumbers:
      for (const auto& n : m.numbers) EraseFromMap(numbers, n, e);
      break;
    case Op::kAnythingButPrefix:
      for (const auto& s : m.texts) prefixes.Remove(s, e);
      break;
    case Op::kAnythingButSuffix:
      for (const auto& s : m.texts) suffixes.Remove(s, e);
      break;
    case Op::kAnythingButIgnoreCase:
      for (const auto& s : m.texts) ignore_case.Remove(s, e);
      break;
    case Op::kAnythingButWildcard:
      for (const auto& w : m.wildcards) wildcards.Remove(w.pieces[0], {&w, e});
      break;
    default:
      assert(false);
  }
  all.erase(at);
}

// event-ruler's way with anything-but: assume every one matches, find through the indexes the
// ones this value fails (it equals, starts with, ends with ... an excluded value), and take the
// rest. The work grows with the matches, not with the anything-buts held.
void ValueIndex::AnythingButs::Collect(const EventValue& v, std::vector<StateId>& out) const {
  thread_local std::vector<const Entry*> scratch;  // reused; this is not reentrant
  std::vector<const Entry*>& failed = scratch;
  failed.clear();
  auto fail = [&failed](const Entry* e) { failed.push_back(e); };
  const Json& json = *v.json;
  if (json.is_string()) {
    const HashedText& h = v.Text();
    strings.Exact(h, fail);
    prefixes.KeysStarting(h, fail);
    suffixes.KeysEnding(h, fail);
    if (!ignore_case.empty()) ignore_case.Exact(v.Folded(), fail);
    wildcards.KeysStarting(h, [&](const auto& entry) {
      if (entry.first->Matches(h.s())) failed.push_back(entry.second);
    });
  } else if (json.is_number() && !numbers.empty()) {
    auto it = numbers.find(v.number);
    if (it != numbers.end()) failed.insert(failed.end(), it->second.begin(), it->second.end());
  }
  std::sort(failed.begin(), failed.end());
  for (const auto& e : all) {
    if (!std::binary_search(failed.begin(), failed.end(), e.get())) out.push_back(e->target);
  }
}

}  // namespace wharf::events::internal
