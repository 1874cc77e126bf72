// The Matcher's automaton (matcher.h; the design is in docs/events.md, "How matching works").
#include "events/matcher.h"

#include <algorithm>
#include <cassert>
#include <optional>
#include <set>
#include <unordered_map>

#include "events/matcher_index.h"

namespace wharf::events {

using internal::EventValue;
using internal::StateId;
using internal::StringHash;
using internal::ValueIndex;

namespace {

constexpr StateId kRoot = 0;
constexpr uint32_t kRootPath = 0;

// A transition on one field's whole value list; the branches through it share its next state.
struct Edge {
  std::vector<ValueMatcher> values;  // the matchers the ValueIndex points into
  StateId next = 0;
  uint32_t refs = 0;  // branches that pass through this edge
};

// The transitions of one state on one field.
// What Match reads (field, index) comes first, in one cache line; the edges serve Add and Remove.
struct FieldOut {
  uint32_t field = 0;  // a PathNode index
  ValueIndex index;
  std::unordered_map<std::string, std::unique_ptr<Edge>> edges;  // by FieldCondition::EncodeValues
};

// The slots of the rules whose branch ends in a state (with repeats): the first in place, since
// most states end one rule or none, and reading it then costs no second cache miss.
class RuleList {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;
  bool empty() const { return first_ == kNone; }
  void Add(uint32_t slot) {
    if (first_ == kNone) {
      first_ = slot;
    } else {
      more_.push_back(slot);
    }
  }
  void Remove(uint32_t slot) {  // REQUIRES: present
    if (first_ == slot) {
      if (more_.empty()) {
        first_ = kNone;
      } else {
        first_ = more_.back();
        more_.pop_back();
      }
      return;
    }
    more_.erase(std::find(more_.begin(), more_.end(), slot));
  }
  // The one rule, kNone when none, or nullopt when more than one.
  std::optional<uint32_t> Single() const {
    if (!more_.empty()) return std::nullopt;
    return first_;
  }
  void AppendTo(std::vector<uint32_t>& out) const {
    if (first_ == kNone) return;
    out.push_back(first_);
    out.insert(out.end(), more_.begin(), more_.end());
  }

 private:
  uint32_t first_ = kNone;
  std::vector<uint32_t> more_;
};

// A state's fields, the first in place: most states have one, and Match then reads the state,
// its field and its small value index from one or two adjacent cache lines.
class OutList {
 public:
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const FieldOut& operator[](size_t i) const { return i == 0 ? first_ : more_[i - 1]; }
  FieldOut& operator[](size_t i) { return i == 0 ? first_ : more_[i - 1]; }
  FieldOut* Find(uint32_t field) {
    for (size_t i = 0; i < size_; ++i) {
      if ((*this)[i].field == field) return &(*this)[i];
    }
    return nullptr;
  }
  FieldOut& Add(uint32_t field) {
    FieldOut& o = size_ == 0 ? first_ : more_.emplace_back();
    ++size_;
    o.field = field;
    return o;
  }
  void Erase(FieldOut* o) {  // REQUIRES: one of this list's, its edges gone
    if (o == &first_) {
      if (more_.empty()) {
        first_ = FieldOut{};
      } else {
        first_ = std::move(more_.back());
        more_.pop_back();
      }
    } else {
      more_.erase(more_.begin() + (o - more_.data()));
    }
    --size_;
  }

 private:
  uint32_t size_ = 0;
  FieldOut first_;
  std::vector<FieldOut> more_;
};

// What Match reads first -- the first rule, the fields -- comes first.
struct State {
  RuleList rules;
  OutList out;
};

// What Match needs of a state, in one cache line, when that is little: at most one rule ends in
// it, and it tests at most one field with one matcher that packs (PackedMatcher). Past the first
// conditions of the rules, nearly every state is such: one condition of one rule. A visit then
// reads this line only; the State, its value index, the matcher and the matcher's text -- four
// more cache misses at thousands of rules, with the automaton larger than the caches -- are left
// alone. Other states are marked kFull and visited through their State. Kept up to date from the
// State by Impl::Refresh whenever Add or Remove changes it.
struct alignas(64) HotState {
  static constexpr uint8_t kFull = 1, kTests = 2;  // kTests: `field`, `target` and `matcher` hold
  uint32_t rule = RuleList::kNone;
  uint32_t field = 0;
  StateId target = 0;
  uint8_t flags = 0;
  internal::PackedMatcher matcher;
};
static_assert(sizeof(HotState) == 64);

// Child nodes by key: a short list searched in place, with a hash index once it grows.
class Children {
 public:
  const uint32_t* Find(std::string_view key) const {
    if (!index_.empty()) {
      auto it = index_.find(key);
      return it == index_.end() ? nullptr : &list_[it->second].second;
    }
    for (const auto& [k, node] : list_) {
      // The first byte and the size turn most keys away before a comparison of the bytes.
      if (k.size() == key.size() && (key.empty() || k[0] == key[0]) && k == key) return &node;
    }
    return nullptr;
  }
  void Add(std::string_view key, uint32_t node) {
    list_.emplace_back(std::string(key), node);
    if (list_.size() > kListMax) Reindex();
  }
  void Remove(std::string_view key) {
    list_.erase(std::find_if(list_.begin(), list_.end(),
                             [&](const auto& entry) { return entry.first == key; }));
    Reindex();
  }
  bool empty() const { return list_.empty(); }

 private:
  static constexpr size_t kListMax = 12;
  void Reindex() {
    index_.clear();
    if (list_.size() <= kListMax) return;
    for (size_t i = 0; i < list_.size(); ++i) index_.emplace(list_[i].first, i);
  }
  std::vector<std::pair<std::string, uint32_t>> list_;
  std::unordered_map<std::string, size_t, StringHash, std::equal_to<>> index_;
};

// The trie of field paths the rules name; a node is a field when conditions name it.
struct PathNode {
  Children children;
  uint32_t parent = 0;
  std::string key;
  uint32_t refs = 0;        // conditions naming this path or a path below it
  uint32_t field_refs = 0;  // conditions naming exactly this path
};

struct Step {
  StateId from;
  uint32_t field;
  std::string edge_key;
};

struct RuleBranch {
  std::vector<Step> steps;
  StateId end;
};

struct Rule {
  std::string id;
  std::vector<RuleBranch> branches;
};

// One value of the event on a field the rules name: its EventValue and the arrays of objects
// around it are kept in Scratch.
struct Leaf {
  uint32_t field;
  uint32_t value;        // index in Scratch::values
  uint32_t arrays_from;  // range in Scratch::array_pool
  uint32_t arrays_to;
};

struct Item {
  StateId state;
  ArrayPath arrays;
};

// Per-thread scratch space of Match, reused between calls.
struct Scratch {
  std::vector<Leaf> leaves;
  std::vector<EventValue> values;  // values[0, leaves.size()) are this event's; never shrunk
  ArrayPath array_pool;
  ArrayPath arrays;  // the arrays of objects around the value being flattened
  std::vector<Item> stack;
  std::vector<StateId> targets;
  std::vector<uint32_t> found;
  // The states reached with no array constraint: a short list searched in place while an event
  // reaches few states (most do; the list stays in the first-level cache), then stamps[state] ==
  // generation, an array over all states that costs a cache miss per state at thousands of rules.
  std::vector<StateId> seen;
  bool spilled = false;
  std::vector<uint32_t> stamps;
  // leaves[field_from[f], field_to[f]) are the values of field f when field_stamps[f] ==
  // generation (f is a PathNode index).
  std::vector<uint32_t> field_stamps, field_from, field_to;
  uint32_t generation = 0;
};

// ArrayConsistent and MergeArrayPath (pattern.h) for a leaf's arrays held in the pool.
bool Consistent(const ArrayPath& used, const std::pair<uint32_t, uint32_t>* from,
                const std::pair<uint32_t, uint32_t>* to) {
  if (from == to || used.empty()) return true;
  return ArrayConsistent(used, ArrayPath(from, to));
}

Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

}  // namespace

struct Matcher::Impl {
  // By value, so that reaching a state is one memory access (the states are what a match walks).
  std::vector<State> states;
  std::vector<HotState> hot;  // by StateId, beside `states`
  std::vector<StateId> free_states;
  std::vector<PathNode> paths;
  std::vector<uint32_t> free_paths;
  std::vector<std::unique_ptr<Rule>> rules;  // by slot
  std::vector<std::string> rule_ids;         // by slot, apart from the rules: what Match reads
  std::vector<uint32_t> free_rules;
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> slots;
  size_t live_states = 1;
  size_t live_fields = 0;

  Impl() {
    states.emplace_back();
    hot.emplace_back();
    paths.emplace_back();
  }

  StateId NewState() {
    ++live_states;
    if (!free_states.empty()) {
      StateId id = free_states.back();
      free_states.pop_back();
      return id;
    }
    states.emplace_back();
    hot.emplace_back();
    return static_cast<StateId>(states.size() - 1);
  }

  void FreeState(StateId id) {
    assert(states[id].out.empty() && states[id].rules.empty());
    states[id] = State{};
    hot[id] = HotState{};
    free_states.push_back(id);
    --live_states;
  }

  // Brings hot[id] up to date with states[id].
  void Refresh(StateId id) {
    HotState h;
    if (!Summarize(states[id], h)) {
      h = HotState{};
      h.flags = HotState::kFull;
    }
    hot[id] = h;
  }

  // Fills `h` for `state`; false when the state's rules or tests do not fit in it.
  static bool Summarize(const State& state, HotState& h) {
    std::optional<uint32_t> rule = state.rules.Single();
    if (!rule || state.out.size() > 1) return false;
    h.rule = *rule;
    if (state.out.empty()) return true;
    const FieldOut& out = state.out[0];
    auto only = out.index.Single();
    if (!only || !internal::PackedMatcher::Pack(*only->first, h.matcher)) return false;
    h.field = out.field;
    h.target = only->second;
    h.flags = HotState::kTests;
    return true;
  }

  uint32_t InternPath(const std::vector<std::string>& path) {
    uint32_t node = kRootPath;
    ++paths[node].refs;
    for (const auto& key : path) {
      const uint32_t* found = paths[node].children.Find(key);
      uint32_t child;
      if (found != nullptr) {
        child = *found;
      } else {
        if (!free_paths.empty()) {
          child = free_paths.back();
          free_paths.pop_back();
          paths[child] = PathNode{};
        } else {
          child = static_cast<uint32_t>(paths.size());
          paths.emplace_back();
        }
        paths[child].parent = node;
        paths[child].key = key;
        paths[node].children.Add(key, child);
      }
      node = child;
      ++paths[node].refs;
    }
    if (paths[node].field_refs++ == 0) ++live_fields;
    return node;
  }

  void ReleasePath(uint32_t node) {
    if (--paths[node].field_refs == 0) --live_fields;
    while (true) {
      uint32_t parent = paths[node].parent;
      if (--paths[node].refs == 0 && node != kRootPath) {
        paths[parent].children.Remove(paths[node].key);
        paths[node] = PathNode{};
        free_paths.push_back(node);
      }
      if (node == kRootPath) break;
      node = parent;
    }
  }

  void Add(std::string_view id, const Pattern& pattern) {
    uint32_t slot;
    if (!free_rules.empty()) {
      slot = free_rules.back();
      free_rules.pop_back();
    } else {
      slot = static_cast<uint32_t>(rules.size());
      rules.emplace_back();
      rule_ids.emplace_back();
    }
    auto rule = std::make_unique<Rule>();
    rule->id = std::string(id);
    for (const Branch& branch : pattern.branches()) {
      RuleBranch rb;
      StateId s = kRoot;
      for (const FieldCondition& f : branch.fields) {
        uint32_t field = InternPath(f.path);
        FieldOut* out = states[s].out.Find(field);
        if (out == nullptr) out = &states[s].out.Add(field);
        std::string key = f.EncodeValues();
        auto& edge = out->edges[key];
        if (!edge) {
          edge = std::make_unique<Edge>();
          edge->values = f.values;
          edge->next = NewState();  // may move the states, and `out` with them; the edge stays
          out = states[s].out.Find(field);
          for (const ValueMatcher& m : edge->values) out->index.Add(m, edge->next);
          Refresh(s);
        }
        ++edge->refs;
        rb.steps.push_back(Step{s, field, std::move(key)});
        s = edge->next;
      }
      states[s].rules.Add(slot);
      Refresh(s);
      rb.end = s;
      rule->branches.push_back(std::move(rb));
    }
    rule_ids[slot] = rule->id;
    rules[slot] = std::move(rule);
    slots.emplace(std::string(id), slot);
  }

  bool Remove(std::string_view id) {
    auto it = slots.find(id);
    if (it == slots.end()) return false;
    uint32_t slot = it->second;
    slots.erase(it);
    std::unique_ptr<Rule> rule = std::move(rules[slot]);
    free_rules.push_back(slot);
    rule_ids[slot].clear();
    for (const RuleBranch& rb : rule->branches) {
      states[rb.end].rules.Remove(slot);
      Refresh(rb.end);
      // From the deepest edge up: an edge no branch uses any more takes its (now empty) state.
      for (auto step = rb.steps.rbegin(); step != rb.steps.rend(); ++step) {
        State& from = states[step->from];
        FieldOut* out = from.out.Find(step->field);
        auto e = out->edges.find(step->edge_key);
        Edge& edge = *e->second;
        if (--edge.refs == 0) {
          for (const ValueMatcher& m : edge.values) out->index.Remove(m, edge.next);
          FreeState(edge.next);
          out->edges.erase(e);
          if (out->edges.empty()) {
            from.out.Erase(out);
          }
          Refresh(step->from);
        }
        ReleasePath(step->field);
      }
    }
    return true;
  }

  // The event's values on the fields the rules name: the event is walked along the path trie, so
  // the fields no rule names cost one lookup each and their subtrees nothing.
  void Flatten(const Json& v, uint32_t node, uint32_t& next_array, Scratch& sc) const {
    const PathNode& p = paths[node];
    switch (v.kind()) {
      case Json::Kind::kObject:
        if (p.children.empty()) return;  // an object is no leaf: no value for this field
        for (const auto& [key, child] : v.as_object()) {
          if (const uint32_t* n = p.children.Find(key)) Flatten(child, *n, next_array, sc);
        }
        return;
      case Json::Kind::kArray: {
        // Arrays are "crushed out": each element is a value of the same field. Elements that are
        // objects or arrays record which element they are, for array consistency.
        uint32_t id = next_array++;
        uint32_t index = 0;
        for (const Json& e : v.as_array()) {
          bool container = e.is_object() || e.is_array();
          if (container) sc.arrays.emplace_back(id, index);
          Flatten(e, node, next_array, sc);
          if (container) sc.arrays.pop_back();
          ++index;
        }
        return;
      }
      default: {
        if (p.field_refs == 0) return;
        uint32_t i = static_cast<uint32_t>(sc.leaves.size());
        if (sc.values.size() <= i) sc.values.resize(i + 1);
        sc.values[i].Reset(&v);
        uint32_t from = static_cast<uint32_t>(sc.array_pool.size());
        sc.array_pool.insert(sc.array_pool.end(), sc.arrays.begin(), sc.arrays.end());
        sc.leaves.push_back(Leaf{node, i, from, static_cast<uint32_t>(sc.array_pool.size())});
      }
    }
  }

  std::vector<std::string> Match(const Json& event, MatchStats* stats) const {
    Scratch& sc = ThreadScratch();
    sc.leaves.clear();
    sc.array_pool.clear();
    sc.arrays.clear();
    sc.stack.clear();
    sc.found.clear();
    if (sc.stamps.size() < states.size()) sc.stamps.resize(states.size(), 0);
    if (sc.field_stamps.size() < paths.size()) {
      sc.field_stamps.resize(paths.size(), 0);
      sc.field_from.resize(paths.size());
      sc.field_to.resize(paths.size());
    }
    if (++sc.generation == 0) {
      std::fill(sc.stamps.begin(), sc.stamps.end(), 0);
      std::fill(sc.field_stamps.begin(), sc.field_stamps.end(), 0);
      sc.generation = 1;
    }
    const uint32_t gen = sc.generation;

    if (event.is_object()) {
      uint32_t next_array = 0;
      Flatten(event, kRootPath, next_array, sc);
    }
    std::sort(sc.leaves.begin(), sc.leaves.end(), [](const Leaf& a, const Leaf& b) {
      return a.field != b.field ? a.field < b.field : a.value < b.value;
    });
    if (stats != nullptr) stats->values += sc.leaves.size();
    for (uint32_t i = 0; i < sc.leaves.size(); ++i) {
      uint32_t f = sc.leaves[i].field;
      if (sc.field_stamps[f] != gen) {
        sc.field_stamps[f] = gen;
        sc.field_from[f] = i;
      }
      sc.field_to[f] = i + 1;
    }

    // States reached under array constraints are remembered with them.
    std::set<std::pair<StateId, ArrayPath>> constrained;
    sc.seen.clear();
    sc.spilled = false;
    auto first_visit = [&sc, gen](StateId t) {
      constexpr size_t kSeenList = 32;
      if (!sc.spilled) {
        if (std::find(sc.seen.begin(), sc.seen.end(), t) != sc.seen.end()) return false;
        sc.seen.push_back(t);
        if (sc.seen.size() < kSeenList) return true;
        for (StateId s : sc.seen) sc.stamps[s] = gen;
        sc.spilled = true;
        return true;
      }
      if (sc.stamps[t] == gen) return false;
      sc.stamps[t] = gen;
      return true;
    };
    auto push = [&](StateId t, const ArrayPath& arrays) {
      if (arrays.empty()) {
        if (!first_visit(t)) return;
      } else if (!constrained.emplace(t, arrays).second) {
        return;
      }
      __builtin_prefetch(&hot[t]);
      sc.stack.push_back(Item{t, arrays});
    };
    // The values of `field` in the event: [first, last).
    auto values = [&sc, gen](uint32_t field) -> std::pair<const Leaf*, const Leaf*> {
      if (sc.field_stamps[field] != gen) return {nullptr, nullptr};
      return {sc.leaves.data() + sc.field_from[field], sc.leaves.data() + sc.field_to[field]};
    };
    // From the state of `item`, along the edges the values [first, last) of one of its fields
    // take: `collect(value, targets)` appends the states a value leads to.
    auto follow = [&](const Item& item, const Leaf* first, const Leaf* last, auto&& collect) {
      for (auto leaf = first; leaf != last; ++leaf) {
        const auto* arrays_from = sc.array_pool.data() + leaf->arrays_from;
        const auto* arrays_to = sc.array_pool.data() + leaf->arrays_to;
        if (!Consistent(item.arrays, arrays_from, arrays_to)) continue;
        sc.targets.clear();
        collect(sc.values[leaf->value], sc.targets);
        if (stats != nullptr) ++stats->lookups;
        if (sc.targets.empty()) continue;
        if (arrays_from == arrays_to) {
          for (StateId t : sc.targets) push(t, item.arrays);
        } else {
          ArrayPath merged = item.arrays;
          MergeArrayPath(merged, ArrayPath(arrays_from, arrays_to));
          for (StateId t : sc.targets) push(t, merged);
        }
      }
    };
    push(kRoot, {});
    while (!sc.stack.empty()) {
      Item item = std::move(sc.stack.back());
      sc.stack.pop_back();
      if (stats != nullptr) ++stats->states;
      const HotState& h = hot[item.state];
      if (!(h.flags & HotState::kFull)) {
        if (stats != nullptr) ++stats->packed;
        if (h.rule != RuleList::kNone) sc.found.push_back(h.rule);
        if (h.flags & HotState::kTests) {
          auto [first, last] = values(h.field);
          follow(item, first, last, [&h](const EventValue& v, std::vector<StateId>& targets) {
            if (h.matcher.Accepts(v)) targets.push_back(h.target);
          });
        }
        continue;
      }
      const State& state = states[item.state];
      state.rules.AppendTo(sc.found);
      for (size_t o = 0; o < state.out.size(); ++o) {
        const FieldOut* out = &state.out[o];
        auto [first, last] = values(out->field);
        if (first == last) {
          // {"exists": false}: "matches any event that does not have" the field (User Guide).
          for (StateId t : out->index.absent()) push(t, item.arrays);
          continue;
        }
        follow(item, first, last, [out](const EventValue& v, std::vector<StateId>& targets) {
          out->index.Collect(v, targets);
        });
      }
    }
    std::sort(sc.found.begin(), sc.found.end());
    sc.found.erase(std::unique(sc.found.begin(), sc.found.end()), sc.found.end());
    std::vector<std::string> ids;
    ids.reserve(sc.found.size());
    for (uint32_t slot : sc.found) ids.push_back(rule_ids[slot]);
    std::sort(ids.begin(), ids.end());
    return ids;
  }
};

Matcher::Matcher() : impl_(std::make_unique<Impl>()) {}
Matcher::~Matcher() = default;
Matcher::Matcher(Matcher&&) noexcept = default;
Matcher& Matcher::operator=(Matcher&&) noexcept = default;

void Matcher::Add(std::string_view id, const Pattern& pattern) {
  impl_->Remove(id);
  impl_->Add(id, pattern);
}

Status Matcher::Add(std::string_view id, std::string_view pattern_text,
                    const PatternLimits& limits) {
  WHARF_TRY(Pattern pattern, Pattern::Compile(pattern_text, limits));
  Add(id, pattern);
  return {};
}

bool Matcher::Remove(std::string_view id) { return impl_->Remove(id); }

bool Matcher::Contains(std::string_view id) const { return impl_->slots.contains(id); }

size_t Matcher::size() const { return impl_->slots.size(); }

std::vector<std::string> Matcher::Match(const Json& event, MatchStats* stats) const {
  return impl_->Match(event, stats);
}

Matcher::Stats Matcher::stats() const {
  return Stats{impl_->slots.size(), impl_->live_states, impl_->live_fields};
}

}  // namespace wharf::events
