// Matcher: many rules (id -> compiled Pattern) in one automaton; Match(event) returns the ids of
// the rules whose pattern matches, at a cost that does not grow with the number of rules.
//
// Design (docs/events.md, "How matching works"): every branch of every pattern is a sequence of
// (field path, value list) conditions in a canonical order, inserted into a trie of states whose
// edges are keyed by the field and the whole value list, so rules sharing leading conditions share
// states. Each (state, field) keeps one value index over all its edges: hash tables for exact and
// ignore-case values, tables by length for prefixes, suffixes and the literal starts of wildcards,
// augmented interval trees for numeric ranges and CIDR blocks, and a "failed" index for
// anything-but (every anything-but matches unless an excluded value is found, as event-ruler
// does). Match flattens the event once along a trie of the field paths the rules name (other
// fields are never looked at), then walks the states from the root: from each reached state only
// the event's values of that state's fields are looked up.
//
// Thread-safety: Match is const and may run from any number of threads at once; Add and Remove
// need exclusive access (no Match at the same time). Callers hold a shared_mutex or similar.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "events/pattern.h"

namespace wharf::events {

class Matcher {
 public:
  Matcher();
  ~Matcher();
  Matcher(Matcher&&) noexcept;
  Matcher& operator=(Matcher&&) noexcept;

  // Adds the rule `id`, replacing a rule of that id.
  void Add(std::string_view id, const Pattern& pattern);
  // Compiles and adds; on error the matcher is unchanged.
  Status Add(std::string_view id, std::string_view pattern_text, const PatternLimits& limits = {});
  // Removes the rule; false when there is none of that id.
  bool Remove(std::string_view id);

  bool Contains(std::string_view id) const;
  size_t size() const;

  // What one Match did, for tests and benchmarks: the work grows with these, not with the rules.
  struct MatchStats {
    size_t values = 0;   // event values on fields the rules name
    size_t states = 0;   // states reached
    size_t lookups = 0;  // value-index lookups (one per reached state, field and value)
    size_t packed = 0;   // of the states, those visited through their one-line summary alone
  };

  // The ids of the rules that match `event`, sorted, each once. With `stats`, adds its counts.
  std::vector<std::string> Match(const Json& event, MatchStats* stats = nullptr) const;

  // The automaton's size, for tests and benchmarks.
  struct Stats {
    size_t rules = 0;
    size_t states = 0;  // live states, the root included
    size_t fields = 0;  // distinct field paths the rules name
  };
  Stats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wharf::events
