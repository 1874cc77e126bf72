// EventBridge event patterns: the compiler (JSON text -> Pattern) and a direct evaluator.
//
// A pattern is compiled into branches (the disjunctive form of its nested `$or`s); a branch is the
// AND of field conditions; a field condition holds the path of keys from the event's root and the
// OR of the values it accepts (docs/events.md, "Patterns", lists the language and where wharf
// departs from AWS). Pattern::Matches evaluates one pattern by brute force and is the reference
// the shared automaton (events/matcher.h) is tested against; rules are matched through a Matcher.
//
// Sources: EventBridge User Guide, "Amazon EventBridge event patterns", "Content filtering in
// Amazon EventBridge event patterns", "Matching null values and empty strings", "Arrays in
// Amazon EventBridge event patterns"; Amazon's event-ruler README (the matcher EventBridge runs).
//
// Thread-safety: a Pattern is immutable after Compile; Matches may run from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/result.h"

namespace wharf::events {

// The error code of every compile error, as EventBridge names it (PutRule, TestEventPattern).
inline constexpr char kInvalidEventPattern[] = "InvalidEventPatternException";

struct PatternLimits {
  // EventBridge: "Event pattern size: 2048 characters by default, adjustable up to 4096" (service
  // quotas). wharf accepts the adjustable maximum by default.
  size_t max_chars = 4096;
  // wharf's guard against `$or` nests that multiply into very many branches.
  size_t max_branches = 1000;
};

// A number as EventBridge compares it. Numbers within [-5e9, 5e9] with at most six decimals are
// kept as integers scaled by 10^6 (event-ruler's "ComparableNumber"), so 5, 5.0 and 5e0 are one
// value; other numbers are kept as they are (an integer, or the bits of a double).
struct NumberKey {
  enum class Kind : uint8_t { kScaled, kInteger, kDouble };
  Kind kind = Kind::kScaled;
  int64_t value = 0;
  friend bool operator==(const NumberKey&, const NumberKey&) = default;
};
NumberKey NumberKeyOf(const Json& number);  // REQUIRES: number.is_number()
// The number times 10^6 when it lies in [-5e9, 5e9] and has at most six decimals.
std::optional<int64_t> ScaledNumber(const Json& number);
// An event value as numeric ranges see it: times 10^6, rounded to the nearest integer ("15 digits
// of precision, or six digits to the right of the decimal point"); none outside [-5e9, 5e9].
std::optional<int64_t> RangeNumber(const Json& number);

// An IP address as a 128-bit unsigned integer; IPv4 and IPv6 are kept apart.
struct IpAddress {
  bool v6 = false;
  unsigned __int128 bits = 0;
};
std::optional<IpAddress> ParseIpAddress(std::string_view text);

// Simple case folding for equals-ignore-case: ASCII, Latin-1, Latin Extended-A, Greek and
// Cyrillic capitals become small letters; every other byte is kept.
std::string FoldCase(std::string_view s);

// A wildcard value split at its unescaped '*': pieces.size() - 1 stars. pieces[0] must start the
// string and pieces.back() end it; the others appear in order between them.
struct Wildcard {
  std::vector<std::string> pieces;
  bool Matches(std::string_view s) const;
};

// One value of a field's list. Strings of the ignore-case operators are stored folded.
struct ValueMatcher {
  enum class Op : uint8_t {
    kString,            // "abc"
    kNumber,            // 5 (numeric equality, see NumberKey)
    kBool,              // true / false
    kNull,              // null
    kPrefix,            // {"prefix": "abc"}
    kPrefixIgnoreCase,  // {"prefix": {"equals-ignore-case": "abc"}}
    kSuffix,            // {"suffix": "abc"}
    kSuffixIgnoreCase,  // {"suffix": {"equals-ignore-case": "abc"}}
    kEqualsIgnoreCase,  // {"equals-ignore-case": "abc"}
    kWildcard,          // {"wildcard": "a*c"}
    kNumeric,           // {"numeric": [">", 0, "<=", 5]}
    kCidr,              // {"cidr": "10.0.0.0/24"}
    kExists,            // {"exists": true}
    kAbsent,            // {"exists": false}
    // {"anything-but": ...}: matches every value of the field except those listed.
    kAnythingButStrings,     // "a" or ["a", "b"]
    kAnythingButNumbers,     // 1 or [1, 2]
    kAnythingButPrefix,      // {"prefix": "a" | [...]}
    kAnythingButSuffix,      // {"suffix": "a" | [...]}
    kAnythingButIgnoreCase,  // {"equals-ignore-case": "a" | [...]}
    kAnythingButWildcard,    // {"wildcard": "a*" | [...]}
  };
  Op op = Op::kString;
  std::string text;                 // kString, kPrefix..kEqualsIgnoreCase, kWildcard (raw)
  std::vector<std::string> texts;   // kAnythingBut{Strings,Prefix,Suffix,IgnoreCase,Wildcard}
  std::vector<NumberKey> numbers;   // kNumber (one), kAnythingButNumbers
  std::vector<Wildcard> wildcards;  // kWildcard (one), kAnythingButWildcard
  bool flag = false;                // kBool
  // kNumeric, in scaled units (NumberKey): no bound is INT64_MIN / INT64_MAX, closed.
  int64_t low = INT64_MIN, high = INT64_MAX;
  bool low_open = false, high_open = false;
  IpAddress ip_low, ip_high;  // kCidr: the block's first and last address

  bool IsAnythingBut() const { return op >= Op::kAnythingButStrings; }
  // Whether a value present in the event (a leaf: string, number, boolean or null) matches.
  // kAbsent never matches a present value.
  bool Matches(const Json& value) const;
  // A canonical text of the matcher; equal texts mean equal matchers.
  std::string Encode() const;
};

struct FieldCondition {
  std::vector<std::string> path;     // keys from the event's root
  std::vector<ValueMatcher> values;  // any of them
  std::string DottedPath() const;    // "detail.file-path"
  std::string EncodeValues() const;  // canonical text of the value list (order-insensitive)
};

struct Branch {
  // All of them, in a canonical order: narrow conditions before broad ones (exact values,
  // then prefix/suffix/wildcard/cidr, then numeric, then anything-but and exists), shallow paths
  // before deep ones, then by path and values (pattern.cc says why).
  std::vector<FieldCondition> fields;
};

class Pattern {
 public:
  // Compiles pattern text. Errors have code kInvalidEventPattern and a message that starts with
  // the field's path, e.g. `detail.file-path: "prefix" needs a string, not number`.
  static Result<Pattern> Compile(std::string_view text, const PatternLimits& limits = {});

  // Evaluates this pattern alone against an event, by brute force.
  bool Matches(const Json& event) const;

  const std::vector<Branch>& branches() const { return branches_; }

 private:
  std::vector<Branch> branches_;
};

// Membership of a value in the arrays of objects around it: (array number, element index) pairs,
// outermost first. Two values are "array-consistent" when every array they share puts them in
// the same element (event-ruler: no match may use fields of different elements of one array).
using ArrayPath = std::vector<std::pair<uint32_t, uint32_t>>;
bool ArrayConsistent(const ArrayPath& a, const ArrayPath& b);
void MergeArrayPath(ArrayPath& into, const ArrayPath& from);

}  // namespace wharf::events
