// The value indexes of the Matcher (matcher_index.h).
#include "events/matcher_index.h"

#include <algorithm>
#include <cassert>

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
uint64_t StringTable<V>::HashKey(std::string_view key) const {
  if (direction_ == Direction::kEqual) return FullHash(key);
  bool backward = direction_ == Direction::kBackward;
  uint64_t h = kFnvBasis;
  for (size_t i = 0; i < key.size(); ++i) {
    h = FnvStep(h, static_cast<unsigned char>(backward ? key[key.size() - 1 - i] : key[i]));
  }
  return h;
}

template <typename V>
void StringTable<V>::Reindex() {
  size_t size = 16;
  while (size < 2 * slots_.size()) size *= 2;
  index_.assign(size, 0);
  for (size_t s = 0; s < slots_.size(); ++s) {
    size_t i = slots_[s].hash & (size - 1);
    while (index_[i] != 0) i = (i + 1) & (size - 1);
    index_[i] = Entry(slots_[s].hash, s);
  }
}

template <typename V>
typename StringTable<V>::Slot* StringTable<V>::FindSlot(uint64_t hash, std::string_view key) {
  if (index_.empty()) return nullptr;
  size_t mask = index_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    uint64_t e = index_[i];
    if (e == 0) return nullptr;
    Slot& slot = slots_[(e & 0xFFFFFFFFu) - 1];
    if (slot.hash == hash && KeyOf(slot) == key) return &slot;
  }
}

template <typename V>
void StringTable<V>::Add(std::string_view key, V v) {
  uint64_t hash = HashKey(key);
  if (Slot* slot = FindSlot(hash, key)) {
    slot->more.push_back(std::move(v));
    return;
  }
  slots_.push_back(Slot{hash,
                        static_cast<uint32_t>(keys_.size()),
                        static_cast<uint32_t>(key.size()),
                        std::move(v),
                        {}});
  keys_ += key;
  if (2 * slots_.size() > index_.size()) {
    Reindex();
  } else {
    size_t mask = index_.size() - 1;
    size_t i = hash & mask;
    while (index_[i] != 0) i = (i + 1) & mask;
    index_[i] = Entry(hash, slots_.size() - 1);
  }
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
  if (slot->first == v) {
    if (!slot->more.empty()) {
      slot->first = std::move(slot->more.back());
      slot->more.pop_back();
      return;
    }
  } else {
    auto pos = std::find(slot->more.begin(), slot->more.end(), v);
    if (pos != slot->more.end()) slot->more.erase(pos);
    return;
  }
  // The key has no value left. The last slot takes its place; the keys are packed again and the
  // index rebuilt (removing rules is rare).
  if (slot != &slots_.back()) *slot = std::move(slots_.back());
  slots_.pop_back();
  std::string packed;
  for (Slot& s : slots_) {
    std::string_view k = KeyOf(s);
    s.key_at = static_cast<uint32_t>(packed.size());
    packed += k;
  }
  keys_ = std::move(packed);
  Reindex();
  auto at = std::lower_bound(lengths_.begin(), lengths_.end(), std::make_pair(key.size(), 0ul));
  if (at != lengths_.end() && at->first == key.size() && --at->second == 0) lengths_.erase(at);
  max_length_ = lengths_.empty() ? 0 : lengths_.back().first;
}

// --- IntervalIndex
// --------------------------------------------------------------------------------

template <typename K>
void IntervalIndex<K>::Add(const Entry& e) {
  auto at = std::upper_bound(entries_.begin(), entries_.end(), e,
                             [](const Entry& a, const Entry& b) { return a.low < b.low; });
  entries_.insert(at, e);
  max_high_.resize(entries_.size());
  Rebuild(0, entries_.size());
}

template <typename K>
void IntervalIndex<K>::Remove(const Entry& e) {
  auto at = std::find(entries_.begin(), entries_.end(), e);
  if (at == entries_.end()) return;
  entries_.erase(at);
  max_high_.resize(entries_.size());
  Rebuild(0, entries_.size());
}

template <typename K>
K IntervalIndex<K>::Rebuild(size_t l, size_t r) {
  if (l >= r) return K{};
  size_t mid = l + (r - l) / 2;
  K m = entries_[mid].high;
  if (l < mid) m = std::max(m, Rebuild(l, mid));
  if (mid + 1 < r) m = std::max(m, Rebuild(mid + 1, r));
  max_high_[mid] = m;
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
  StringTable<StateId> exact, exact_ic;
  StringTable<StateId> prefix{Direction::kForward}, prefix_ic{Direction::kForward};
  StringTable<StateId> suffix{Direction::kBackward}, suffix_ic{Direction::kBackward};
  // wildcards by their literal start (the text before the first '*')
  StringTable<std::pair<const Wildcard*, StateId>> wildcards{
      StringTable<std::pair<const Wildcard*, StateId>>::Direction::kForward};
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

}  // namespace

ValueIndex::Strings& ValueIndex::strings() { return Make(strings_); }
ValueIndex::Numbers& ValueIndex::numbers() { return Make(numbers_); }
ValueIndex::Addresses& ValueIndex::addresses() { return Make(addresses_); }
ValueIndex::AnythingButs& ValueIndex::anything_buts() { return Make(anything_buts_); }

void ValueIndex::Add(const ValueMatcher& m, StateId t) {
  switch (m.op) {
    case Op::kString:
      strings().exact.Add(m.text, t);
      return;
    case Op::kNumber:
      numbers().equal[m.numbers[0]].push_back(t);
      return;
    case Op::kBool:
      (m.flag ? addresses().true_ : addresses().false_).push_back(t);
      return;
    case Op::kNull:
      addresses().null_.push_back(t);
      return;
    case Op::kPrefix:
      strings().prefix.Add(m.text, t);
      return;
    case Op::kPrefixIgnoreCase:
      strings().prefix_ic.Add(m.text, t);
      return;
    case Op::kSuffix:
      strings().suffix.Add(m.text, t);
      return;
    case Op::kSuffixIgnoreCase:
      strings().suffix_ic.Add(m.text, t);
      return;
    case Op::kEqualsIgnoreCase:
      strings().exact_ic.Add(m.text, t);
      return;
    case Op::kWildcard:
      strings().wildcards.Add(m.wildcards[0].pieces[0], {&m.wildcards[0], t});
      return;
    case Op::kNumeric:
      numbers().ranges.Add({m.low, m.high, m.low_open, m.high_open, t});
      return;
    case Op::kCidr:
      (m.ip_low.v6 ? addresses().ipv6 : addresses().ipv4)
          .Add({m.ip_low.bits, m.ip_high.bits, false, false, t});
      return;
    case Op::kExists:
      exists_.push_back(t);
      return;
    case Op::kAbsent:
      absent_.push_back(t);
      return;
    default:
      anything_buts().Add(m, t);
  }
}

void ValueIndex::Remove(const ValueMatcher& m, StateId t) {
  switch (m.op) {
    case Op::kString:
      strings().exact.Remove(m.text, t);
      return;
    case Op::kNumber:
      EraseFromMap(numbers().equal, m.numbers[0], t);
      return;
    case Op::kBool:
      EraseOne(m.flag ? addresses().true_ : addresses().false_, t);
      return;
    case Op::kNull:
      EraseOne(addresses().null_, t);
      return;
    case Op::kPrefix:
      strings().prefix.Remove(m.text, t);
      return;
    case Op::kPrefixIgnoreCase:
      strings().prefix_ic.Remove(m.text, t);
      return;
    case Op::kSuffix:
      strings().suffix.Remove(m.text, t);
      return;
    case Op::kSuffixIgnoreCase:
      strings().suffix_ic.Remove(m.text, t);
      return;
    case Op::kEqualsIgnoreCase:
      strings().exact_ic.Remove(m.text, t);
      return;
    case Op::kWildcard:
      strings().wildcards.Remove(m.wildcards[0].pieces[0], {&m.wildcards[0], t});
      return;
    case Op::kNumeric:
      numbers().ranges.Remove({m.low, m.high, m.low_open, m.high_open, t});
      return;
    case Op::kCidr:
      (m.ip_low.v6 ? addresses().ipv6 : addresses().ipv4)
          .Remove({m.ip_low.bits, m.ip_high.bits, false, false, t});
      return;
    case Op::kExists:
      EraseOne(exists_, t);
      return;
    case Op::kAbsent:
      EraseOne(absent_, t);
      return;
    default:
      anything_buts().Remove(m, t);
  }
}

void ValueIndex::Collect(const EventValue& v, std::vector<StateId>& out) const {
  auto add = [&out](const std::vector<StateId>& targets) {
    for (StateId t : targets) out.push_back(t);
  };
  auto add1 = [&out](StateId t) { out.push_back(t); };
  const Json& json = *v.json;
  add(exists_);  // {"exists": true}: any value present
  switch (json.kind()) {
    case Json::Kind::kString: {
      if (strings_) {
        const Strings& t = *strings_;
        const HashedText& h = v.Text();
        t.exact.Exact(h, add1);
        t.prefix.KeysStarting(h, add1);
        t.suffix.KeysEnding(h, add1);
        if (!t.exact_ic.empty() || !t.prefix_ic.empty() || !t.suffix_ic.empty()) {
          const HashedText& f = v.Folded();
          t.exact_ic.Exact(f, add1);
          t.prefix_ic.KeysStarting(f, add1);
          t.suffix_ic.KeysEnding(f, add1);
        }
        t.wildcards.KeysStarting(h, [&](const auto& entry) {
          if (entry.first->Matches(h.s())) out.push_back(entry.second);
        });
      }
      if (addresses_ && (!addresses_->ipv4.empty() || !addresses_->ipv6.empty())) {
        if (const IpAddress* ip = v.Ip()) {
          (ip->v6 ? addresses_->ipv6 : addresses_->ipv4).Stab(ip->bits, [&](StateId t) {
            out.push_back(t);
          });
        }
      }
      break;
    }
    case Json::Kind::kInt:
    case Json::Kind::kDouble: {
      if (!numbers_) break;
      if (!numbers_->equal.empty()) {
        auto it = numbers_->equal.find(v.number);
        if (it != numbers_->equal.end()) add(it->second);
      }
      // "Numeric matching works with values that are JSON numbers", within +-5e9 (User Guide).
      if (v.range && !numbers_->ranges.empty()) {
        numbers_->ranges.Stab(*v.range, [&](StateId t) { out.push_back(t); });
      }
      break;
    }
    case Json::Kind::kBool:
      if (addresses_) add(json.as_bool() ? addresses_->true_ : addresses_->false_);
      break;
    case Json::Kind::kNull:
      if (addresses_) add(addresses_->null_);
      break;
    default:
      break;
  }
  if (anything_buts_) anything_buts_->Collect(v, out);
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
