// Values of event patterns: numbers, IP addresses, case folding, wildcards, one value matcher
// against one event value, and Pattern::Matches, the brute-force reference evaluator.
#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "events/pattern.h"

namespace wharf::events {

// --- Numbers ------------------------------------------------------------------------------------

std::optional<int64_t> ScaledNumber(const Json& number) {
  constexpr int64_t kLimit = 5'000'000'000;  // event-ruler's ComparableNumber: +-5e9
  if (number.is_int()) {
    int64_t i = number.as_int();
    if (i < -kLimit || i > kLimit) return std::nullopt;
    return i * 1'000'000;
  }
  double d = number.as_double();
  if (!std::isfinite(d) || std::fabs(d) > 5e9) return std::nullopt;
  double s = d * 1e6;
  double r = std::nearbyint(s);
  // "six digits to the right of the decimal point": a seventh digit makes the value
  // non-comparable. The tolerance absorbs the rounding of the product only.
  if (std::fabs(s - r) > std::max(1e-3, std::fabs(s) * 1e-14)) return std::nullopt;
  return static_cast<int64_t>(r);
}

std::optional<int64_t> RangeNumber(const Json& number) {
  if (auto scaled = ScaledNumber(number)) return scaled;
  if (!number.is_double()) return std::nullopt;
  double d = number.as_double();
  if (!std::isfinite(d) || std::fabs(d) > 5e9) return std::nullopt;
  return static_cast<int64_t>(std::llround(d * 1e6));
}

NumberKey NumberKeyOf(const Json& number) {
  if (auto scaled = ScaledNumber(number)) return {NumberKey::Kind::kScaled, *scaled};
  if (number.is_int()) return {NumberKey::Kind::kInteger, number.as_int()};
  double d = number.as_double();
  if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9.2e18) {
    return {NumberKey::Kind::kInteger, static_cast<int64_t>(d)};
  }
  int64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  return {NumberKey::Kind::kDouble, bits};
}

// --- IP addresses -------------------------------------------------------------------------------

std::optional<IpAddress> ParseIpAddress(std::string_view text) {
  char buf[64];
  if (text.empty() || text.size() >= sizeof buf) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  unsigned char bytes[16];
  IpAddress ip;
  int n;
  if (inet_pton(AF_INET, buf, bytes) == 1) {
    n = 4;
  } else if (inet_pton(AF_INET6, buf, bytes) == 1) {
    n = 16;
    ip.v6 = true;
  } else {
    return std::nullopt;
  }
  for (int i = 0; i < n; ++i) ip.bits = (ip.bits << 8) | bytes[i];
  return ip;
}

// --- Case folding -------------------------------------------------------------------------------

namespace {

// Small letter of a code point below U+0800 (so the UTF-8 length is kept); others unchanged.
uint32_t FoldCodePoint(uint32_t c) {
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 0x20;  // Latin-1
  if (c >= 0x100 && c <= 0x17F) {                            // Latin Extended-A
    if (c == 0x130 || c == 0x138 || c == 0x149) return c;    // İ (lower is 1 byte), ĸ, ŉ
    if (c == 0x178) return 0xFF;                             // Ÿ
    bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
    return (c % 2 == (odd_upper ? 1u : 0u)) ? c + 1 : c;
  }
  if (c == 0x386) return 0x3AC;  // Greek
  if (c >= 0x388 && c <= 0x38A) return c + 37;
  if (c == 0x38C) return 0x3CC;
  if (c == 0x38E || c == 0x38F) return c + 63;
  if ((c >= 0x391 && c <= 0x3A1) || (c >= 0x3A3 && c <= 0x3AB)) return c + 0x20;
  if (c >= 0x400 && c <= 0x40F) return c + 0x50;  // Cyrillic
  if (c >= 0x410 && c <= 0x42F) return c + 0x20;
  if (((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF)) && c % 2 == 0) return c + 1;
  return c;
}

}  // namespace

std::string FoldCase(std::string_view s) {
  std::string out(s);
  size_t i = 0;
  for (; i < s.size(); ++i) {  // ASCII, in place
    unsigned char c = s[i];
    if (c >= 0x80) break;
    if (c >= 'A' && c <= 'Z') out[i] = static_cast<char>(c + 32);
  }
  if (i == s.size()) return out;
  out.resize(i);
  for (; i < s.size(); ++i) {
    unsigned char c = s[i];
    if (c < 0x80) {
      out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : static_cast<char>(c);
    } else if ((c & 0xE0) == 0xC0 && i + 1 < s.size() &&
               (static_cast<unsigned char>(s[i + 1]) & 0xC0) == 0x80) {
      uint32_t cp = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu);
      uint32_t lc = FoldCodePoint(cp);
      out += static_cast<char>(0xC0 | (lc >> 6));
      out += static_cast<char>(0x80 | (lc & 0x3F));
      ++i;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// --- Wildcards ----------------------------------------------------------------------------------

bool Wildcard::Matches(std::string_view s) const {
  if (pieces.size() == 1) return s == pieces[0];
  const std::string& front = pieces.front();
  const std::string& back = pieces.back();
  if (s.size() < front.size() + back.size()) return false;
  if (!s.starts_with(front) || !s.ends_with(back)) return false;
  // '*' matches any run of characters, so taking each middle piece at its first place after the
  // previous one never loses a match.
  size_t pos = front.size();
  size_t end = s.size() - back.size();
  for (size_t k = 1; k + 1 < pieces.size(); ++k) {
    const std::string& p = pieces[k];
    if (p.empty()) continue;
    size_t at = s.substr(0, end).find(p, pos);
    if (at == std::string_view::npos) return false;
    pos = at + p.size();
  }
  return true;
}

// --- One value against one matcher --------------------------------------------------------------

bool ValueMatcher::Matches(const Json& value) const {
  auto str = [&]() -> std::string_view { return value.as_string(); };
  switch (op) {
    case Op::kString:
      return value.is_string() && str() == text;
    case Op::kNumber:
      return value.is_number() && NumberKeyOf(value) == numbers[0];
    case Op::kBool:
      return value.is_bool() && value.as_bool() == flag;
    case Op::kNull:
      return value.is_null();
    // "Prefix matches only work on string-valued fields" (event-ruler README); so do the others.
    case Op::kPrefix:
      return value.is_string() && str().starts_with(text);
    case Op::kPrefixIgnoreCase:
      return value.is_string() && FoldCase(str()).starts_with(text);
    case Op::kSuffix:
      return value.is_string() && str().ends_with(text);
    case Op::kSuffixIgnoreCase:
      return value.is_string() && FoldCase(str()).ends_with(text);
    case Op::kEqualsIgnoreCase:
      return value.is_string() && FoldCase(str()) == text;
    case Op::kWildcard:
      return value.is_string() && wildcards[0].Matches(str());
    case Op::kNumeric: {
      // "Numeric matching works with values that are JSON numbers" (User Guide).
      if (!value.is_number()) return false;
      auto x = RangeNumber(value);
      if (!x) return false;
      return (low_open ? *x > low : *x >= low) && (high_open ? *x < high : *x <= high);
    }
    case Op::kCidr: {
      if (!value.is_string()) return false;
      auto ip = ParseIpAddress(str());
      return ip && ip->v6 == ip_low.v6 && ip->bits >= ip_low.bits && ip->bits <= ip_high.bits;
    }
    case Op::kExists:
      return true;
    case Op::kAbsent:
      return false;
    // Anything-but: a value fails only when it is one of the excluded values (of the excluded
    // kind); every other value present matches, whatever its type.
    case Op::kAnythingButStrings:
      return !(value.is_string() && std::find(texts.begin(), texts.end(), str()) != texts.end());
    case Op::kAnythingButNumbers:
      return !(value.is_number() &&
               std::find(numbers.begin(), numbers.end(), NumberKeyOf(value)) != numbers.end());
    case Op::kAnythingButPrefix:
      return !(value.is_string() && std::any_of(texts.begin(), texts.end(), [&](const auto& t) {
                 return str().starts_with(t);
               }));
    case Op::kAnythingButSuffix:
      return !(value.is_string() && std::any_of(texts.begin(), texts.end(),
                                                [&](const auto& t) { return str().ends_with(t); }));
    case Op::kAnythingButIgnoreCase: {
      if (!value.is_string()) return true;
      std::string folded = FoldCase(str());
      return std::find(texts.begin(), texts.end(), folded) == texts.end();
    }
    case Op::kAnythingButWildcard:
      return !(value.is_string() &&
               std::any_of(wildcards.begin(), wildcards.end(),
                           [&](const Wildcard& w) { return w.Matches(str()); }));
  }
  return false;
}

namespace {

void AppendText(std::string& out, std::string_view s) {
  out += std::to_string(s.size());
  out += ':';
  out += s;
}

std::string Hex128(unsigned __int128 v) {
  return fmt::format("{:016x}{:016x}", static_cast<uint64_t>(v >> 64), static_cast<uint64_t>(v));
}

}  // namespace

std::string ValueMatcher::Encode() const {
  std::string out = std::to_string(static_cast<int>(op));
  out += '|';
  switch (op) {
    case Op::kBool:
      out += flag ? 't' : 'f';
      break;
    case Op::kNumeric:
      out += fmt::format("{}{},{}{}", low_open ? '(' : '[', low, high, high_open ? ')' : ']');
      break;
    case Op::kCidr:
      out += fmt::format("{}{}-{}", ip_low.v6 ? "6:" : "4:", Hex128(ip_low.bits),
                         Hex128(ip_high.bits));
      break;
    default: {
      AppendText(out, text);
      std::vector<std::string> sorted = texts;
      std::sort(sorted.begin(), sorted.end());
      for (const auto& t : sorted) AppendText(out, t);
      std::vector<std::pair<int, int64_t>> nums;
      for (const auto& n : numbers) nums.emplace_back(static_cast<int>(n.kind), n.value);
      std::sort(nums.begin(), nums.end());
      for (const auto& [k, v] : nums) out += fmt::format("#{}:{}", k, v);
    }
  }
  return out;
}

std::string FieldCondition::DottedPath() const {
  std::string out;
  for (const auto& k : path) {
    if (!out.empty()) out += '.';
    out += k;
  }
  return out;
}

std::string FieldCondition::EncodeValues() const {
  std::vector<std::string> parts;
  for (const auto& v : values) parts.push_back(v.Encode());
  std::sort(parts.begin(), parts.end());
  std::string out;
  for (const auto& p : parts) AppendText(out, p);
  return out;
}

// --- Arrays -------------------------------------------------------------------------------------

bool ArrayConsistent(const ArrayPath& a, const ArrayPath& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i].first == b[j].first) {
      if (a[i].second != b[j].second) return false;
      ++i, ++j;
    } else if (a[i].first < b[j].first) {
      ++i;
    } else {
      ++j;
    }
  }
  return true;
}

void MergeArrayPath(ArrayPath& into, const ArrayPath& from) {
  if (from.empty()) return;
  ArrayPath out;
  out.reserve(into.size() + from.size());
  std::set_union(into.begin(), into.end(), from.begin(), from.end(), std::back_inserter(out),
                 [](const auto& x, const auto& y) { return x.first < y.first; });
  into = std::move(out);
}

// --- The reference evaluator --------------------------------------------------------------------

namespace {

struct Leaf {
  std::vector<std::string> path;
  const Json* value;
  ArrayPath arrays;
};

// Every scalar of the event with its path. "The array structure is 'crushed out' ... any contained
// objects are treated as if they are the value of the parent field" (event-ruler README, "JSON
// Array Matching"); elements that are objects or arrays record which element they are.
void Flatten(const Json& v, std::vector<std::string>& path, ArrayPath& arrays, uint32_t& next_array,
             std::vector<Leaf>& out) {
  if (v.is_object()) {
    for (const auto& [k, child] : v.as_object()) {
      path.push_back(k);
      Flatten(child, path, arrays, next_array, out);
      path.pop_back();
    }
  } else if (v.is_array()) {
    uint32_t id = next_array++;
    uint32_t index = 0;
    for (const Json& e : v.as_array()) {
      bool container = e.is_object() || e.is_array();
      if (container) arrays.emplace_back(id, index);
      Flatten(e, path, arrays, next_array, out);
      if (container) arrays.pop_back();
      ++index;
    }
  } else if (!path.empty()) {
    out.push_back(Leaf{path, &v, arrays});
  }
}

bool MatchFrom(const Branch& branch, size_t i, const ArrayPath& used,
               const std::vector<Leaf>& leaves) {
  if (i == branch.fields.size()) return true;
  const FieldCondition& field = branch.fields[i];
  bool present = false;
  for (const Leaf& leaf : leaves) {
    if (leaf.path != field.path) continue;
    present = true;
    if (!ArrayConsistent(used, leaf.arrays)) continue;
    bool any = std::any_of(field.values.begin(), field.values.end(),
                           [&](const ValueMatcher& m) { return m.Matches(*leaf.value); });
    if (!any) continue;
    ArrayPath next = used;
    MergeArrayPath(next, leaf.arrays);
    if (MatchFrom(branch, i + 1, next, leaves)) return true;
  }
  // {"exists": false}: the field has no value (a leaf) anywhere in the event.
  if (!present && std::any_of(field.values.begin(), field.values.end(),
                              [](const auto& m) { return m.op == ValueMatcher::Op::kAbsent; })) {
    return MatchFrom(branch, i + 1, used, leaves);
  }
  return false;
}

}  // namespace

bool Pattern::Matches(const Json& event) const {
  std::vector<Leaf> leaves;
  std::vector<std::string> path;
  ArrayPath arrays;
  uint32_t next_array = 0;
  Flatten(event, path, arrays, next_array, leaves);
  return std::any_of(branches_.begin(), branches_.end(),
                     [&](const Branch& b) { return MatchFrom(b, 0, {}, leaves); });
}

}  // namespace wharf::events
