// The event-pattern compiler: JSON text -> branches of field conditions (pattern.h).
// Each rule of the language is quoted from the EventBridge User Guide or event-ruler's README in
// a comment beside the code that applies it.
#include "events/pattern.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include <fmt/format.h>

namespace wharf::events {
namespace {

using Op = ValueMatcher::Op;

// The operators; event-ruler refuses them as field names inside `$or`.
constexpr std::string_view kOperators[] = {"prefix",   "suffix",       "equals-ignore-case",
                                           "wildcard", "anything-but", "numeric",
                                           "cidr",     "exists"};

bool IsOperator(std::string_view key) {
  return std::find(std::begin(kOperators), std::end(kOperators), key) != std::end(kOperators);
}

std::string KindOf(const Json& v) { return v.is_number() ? "number" : Json::KindName(v.kind()); }

// Where an error is: the keys from the root, "$or[i]" for alternatives; "event pattern" at the top.
class Where {
 public:
  void Push(std::string s) { parts_.push_back(std::move(s)); }
  void Pop() { parts_.pop_back(); }
  std::string Text() const {
    if (parts_.empty()) return "event pattern";
    std::string out;
    for (const auto& p : parts_) {
      if (!out.empty()) out += '.';
      out += p;
    }
    return out;
  }

 private:
  std::vector<std::string> parts_;
};

class Compiler {
 public:
  explicit Compiler(const PatternLimits& limits) : limits_(limits) {}

  Error Fail(const std::string& message) const {
    return MakeError(kInvalidEventPattern, where_.Text() + ": " + message);
  }

  // Compiles an object of the pattern into its branches. `in_or`: the object is (inside) an
  // alternative of `$or`.
  Result<std::vector<Branch>> Object(const Json& object, bool in_or) {
    // event-ruler: "Empty objects are not allowed".
    if (object.size() == 0) return Fail("an empty object is not allowed; name at least one field");
    std::vector<Branch> branches(1);
    for (const auto& [key, value] : object.as_object()) {
      if (key == "$or") {
        WHARF_TRY(auto alternatives, Or(value, in_or));
        WHARF_TRY_STATUS(Cross(branches, alternatives));
        continue;
      }
      // event-ruler: operator names "cannot be used inside $or" as field names.
      if (in_or && IsOperator(key)) {
        where_.Push(key);
        Error e =
            Fail(fmt::format("\"{}\" is an operator; it cannot name a field inside $or, and "
                             "an operator belongs in a value list such as [{{\"{}\": ...}}]",
                             key, key));
        where_.Pop();
        return e;
      }
      keys_.push_back(key);
      where_.Push(key);
      if (value.is_object()) {
        auto sub = Object(value, in_or);
        if (!sub.ok()) return std::move(sub).error();
        WHARF_TRY_STATUS(Cross(branches, *sub));
      } else if (value.is_array()) {
        auto condition = Values(value);
        if (!condition.ok()) return std::move(condition).error();
        for (auto& b : branches) b.fields.push_back(*condition);
      } else {
        // event-ruler: "must be an object or an array".
        return Fail(
            fmt::format("must be an object or an array of values to match, not {}", KindOf(value)));
      }
      where_.Pop();
      keys_.pop_back();
    }
    return branches;
  }

 private:
  // "$or": [ {...}, {...} ] -- any of the objects (event-ruler README, "The $or primitive": an
  // array of at least two objects).
  Result<std::vector<Branch>> Or(const Json& value, bool /*in_or*/) {
    where_.Push("$or");
    if (!value.is_array() || value.size() < 2) {
      Error e =
          Fail(value.is_array()
                   ? fmt::format("needs an array of at least two objects, found {}", value.size())
                   : fmt::format("needs an array of at least two objects, not {}", KindOf(value)));
      where_.Pop();
      return e;
    }
    where_.Pop();
    std::vector<Branch> all;
    for (size_t i = 0; i < value.size(); ++i) {
      where_.Push(fmt::format("$or[{}]", i));
      const Json& alternative = *value.at(i);
      if (!alternative.is_object()) {
        Error e = Fail(fmt::format("must be an object, not {}", KindOf(alternative)));
        where_.Pop();
        return e;
      }
      auto sub = Object(alternative, /*in_or=*/true);
      if (!sub.ok()) return std::move(sub).error();
      where_.Pop();
      for (auto& b : *sub) all.push_back(std::move(b));
      if (all.size() > limits_.max_branches) return TooManyBranches();
    }
    return all;
  }

  Error TooManyBranches() const {
    return MakeError(kInvalidEventPattern,
                     fmt::format("{}: the pattern's $or combinations expand into more than {} "
                                 "alternatives",
                                 where_.Text(), limits_.max_branches));
  }

  // branches := branches x alternatives (each branch ANDed with each alternative).
  Status Cross(std::vector<Branch>& branches, const std::vector<Branch>& alternatives) {
    if (branches.size() * alternatives.size() > limits_.max_branches) return TooManyBranches();
    std::vector<Branch> out;
    out.reserve(branches.size() * alternatives.size());
    for (const auto& b : branches) {
      for (const auto& a : alternatives) {
        Branch c = b;
        c.fields.insert(c.fields.end(), a.fields.begin(), a.fields.end());
        out.push_back(std::move(c));
      }
    }
    branches = std::move(out);
    return {};
  }

  // A field's list of values: "The value of each field in an event pattern is an array
  // containing one or more values" (User Guide, "Arrays in event patterns").
  Result<FieldCondition> Values(const Json& list) {
    if (list.size() == 0) {
      return Fail("an empty list matches nothing; give at least one value");  // event-ruler
    }
    FieldCondition condition;
    condition.path = keys_;
    for (const Json& item : list.as_array()) {
      ValueMatcher m;
      switch (item.kind()) {
        case Json::Kind::kString:
          m.op = Op::kString;
          m.text = item.as_string();
          break;
        case Json::Kind::kInt:
        case Json::Kind::kDouble:
          m.op = Op::kNumber;
          m.numbers.push_back(NumberKeyOf(item));
          break;
        case Json::Kind::kBool:
          m.op = Op::kBool;
          m.flag = item.as_bool();
          break;
        case Json::Kind::kNull:
          m.op = Op::kNull;
          break;
        case Json::Kind::kObject: {
          WHARF_TRY(m, Expression(item));
          break;
        }
        case Json::Kind::kArray:
          return Fail(
              "a value to match must be a string, number, boolean, null or an operator object, "
              "not array");
      }
      condition.values.push_back(std::move(m));
    }
    return condition;
  }

  // {"operator": operand}: event-ruler: "Only one key allowed in match expression".
  Result<ValueMatcher> Expression(const Json& expr) {
    if (expr.size() != 1) {
      std::string names;
      for (const auto& [k, v] : expr.as_object()) {
        names += names.empty() ? "" : ", ";
        names += "\"" + k + "\"";
      }
      return Fail(expr.size() == 0
                      ? std::string("a match expression needs one operator, found none")
                      : fmt::format("a match expression holds exactly one operator, found {} ({})",
                                    expr.size(), names));
    }
    const auto& [name, operand] = expr.as_object().members().front();
    ValueMatcher m;
    if (name == "prefix" || name == "suffix") {
      bool prefix = name == "prefix";
      // User Guide: "prefix" / "suffix" take a string, or {"equals-ignore-case": string}.
      if (operand.is_string()) {
        m.op = prefix ? Op::kPrefix : Op::kSuffix;
        m.text = operand.as_string();
        return m;
      }
      const Json* ic =
          operand.is_object() && operand.size() == 1 ? operand.find("equals-ignore-case") : nullptr;
      if (ic != nullptr && ic->is_string()) {
        m.op = prefix ? Op::kPrefixIgnoreCase : Op::kSuffixIgnoreCase;
        m.text = FoldCase(ic->as_string());
        return m;
      }
      return Fail(fmt::format("\"{}\" needs a string or {{\"equals-ignore-case\": string}}, not {}",
                              name, operand.is_object() ? operand.Dump() : KindOf(operand)));
    }
    if (name == "equals-ignore-case") {
      if (!operand.is_string()) {
        return Fail(fmt::format("\"equals-ignore-case\" needs a string, not {}", KindOf(operand)));
      }
      m.op = Op::kEqualsIgnoreCase;
      m.text = FoldCase(operand.as_string());
      return m;
    }
    if (name == "wildcard") {
      if (!operand.is_string()) {
        return Fail(fmt::format("\"wildcard\" needs a string, not {}", KindOf(operand)));
      }
      m.op = Op::kWildcard;
      m.text = operand.as_string();
      WHARF_TRY(auto w, ParseWildcard("wildcard", m.text));
      m.wildcards.push_back(std::move(w));
      return m;
    }
    if (name == "anything-but") return AnythingBut(operand);
    if (name == "numeric") return Numeric(operand);
    if (name == "cidr") return Cidr(operand);
    if (name == "exists") {
      // User Guide: {"exists": true} / {"exists": false}; "Exists matching only works on leaf
      // nodes".
      if (!operand.is_bool()) {
        return Fail(fmt::format("\"exists\" needs true or false, not {}", operand.Dump()));
      }
      m.op = operand.as_bool() ? Op::kExists : Op::kAbsent;
      return m;
    }
    return Fail(fmt::format(
        "unknown operator \"{}\"; the operators are prefix, suffix, equals-ignore-case, "
        "wildcard, anything-but, numeric, cidr and exists",
        name));
  }

  // event-ruler README, "Wildcard matching": "consecutive wildcard characters are not allowed
  // ... a wildcard character can be escaped with a backslash. Two consecutive backslashes ...
  // represents the actual backslash character. A backslash escaping any character other than
  // asterisk or backslash is not allowed."
  Result<Wildcard> ParseWildcard(std::string_view op, std::string_view text) {
    Wildcard w;
    w.pieces.emplace_back();
    for (size_t i = 0; i < text.size(); ++i) {
      char c = text[i];
      if (c == '*') {
        if (i + 1 < text.size() && text[i + 1] == '*') {
          return Fail(
              fmt::format("\"{}\" value \"{}\" has consecutive '*' at position {}; use "
                          "one '*'",
                          op, text, i));
        }
        w.pieces.emplace_back();
      } else if (c == '\\') {
        if (i + 1 < text.size() && (text[i + 1] == '*' || text[i + 1] == '\\')) {
          w.pieces.back() += text[++i];
        } else {
          return Fail(
              fmt::format("\"{}\" value \"{}\" has a '\\' at position {} that escapes "
                          "neither '*' nor '\\'",
                          op, text, i));
        }
      } else {
        w.pieces.back() += c;
      }
    }
    return w;
  }

  // event-ruler README, "Anything-but matching": a string or number, a list "which have to
  // contain entirely strings or entirely numerics", or an object with prefix, suffix,
  // equals-ignore-case or wildcard (each a string or a list of strings).
  Result<ValueMatcher> AnythingBut(const Json& operand) {
    ValueMatcher m;
    const char* kShape =
        "\"anything-but\" needs a string, a number, a list of strings or of numbers, or an object "
        "with one of prefix, suffix, equals-ignore-case or wildcard";
    if (operand.is_object()) {
      if (operand.size() != 1) return Fail(fmt::format("{}, not {}", kShape, operand.Dump()));
      const auto& [op, inner] = operand.as_object().members().front();
      if (op == "prefix") {
        m.op = Op::kAnythingButPrefix;
      } else if (op == "suffix") {
        m.op = Op::kAnythingButSuffix;
      } else if (op == "equals-ignore-case") {
        m.op = Op::kAnythingButIgnoreCase;
      } else if (op == "wildcard") {
        m.op = Op::kAnythingButWildcard;
      } else {
        return Fail(
            fmt::format("\"anything-but\" cannot hold \"{}\"; it takes prefix, suffix, "
                        "equals-ignore-case or wildcard",
                        op));
      }
      std::vector<std::string> texts;
      if (inner.is_string()) {
        texts.push_back(inner.as_string());
      } else if (inner.is_array() && inner.size() > 0) {
        for (const Json& t : inner.as_array()) {
          if (!t.is_string()) {
            return Fail(fmt::format("\"anything-but\" \"{}\" list holds only strings, not {}", op,
                                    KindOf(t)));
          }
          texts.push_back(t.as_string());
        }
      } else {
        return Fail(
            fmt::format("\"anything-but\" \"{}\" needs a string or a list of strings, not "
                        "{}",
                        op, inner.is_array() ? "an empty list" : KindOf(inner)));
      }
      for (auto& t : texts) {
        // event-ruler: "Null prefix/suffix not allowed" (an empty one would exclude everything).
        if (t.empty() && (m.op == Op::kAnythingButPrefix || m.op == Op::kAnythingButSuffix)) {
          return Fail(fmt::format("\"anything-but\" \"{}\" may not be empty", op));
        }
        if (m.op == Op::kAnythingButWildcard) {
          WHARF_TRY(auto w, ParseWildcard("anything-but wildcard", t));
          m.wildcards.push_back(std::move(w));
        }
        if (m.op == Op::kAnythingButIgnoreCase) t = FoldCase(t);
      }
      m.texts = std::move(texts);
      return m;
    }
    std::vector<const Json*> items;
    if (operand.is_array()) {
      for (const Json& v : operand.as_array()) items.push_back(&v);
      if (items.empty()) return Fail(fmt::format("{}, not an empty list", kShape));
    } else {
      items.push_back(&operand);
    }
    bool strings = false, numbers = false;
    for (const Json* v : items) {
      if (v->is_string()) {
        strings = true;
        m.texts.push_back(v->as_string());
      } else if (v->is_number()) {
        numbers = true;
        WHARF_TRY(int64_t scaled, Scaled("anything-but", *v));
        m.numbers.push_back(NumberKey{NumberKey::Kind::kScaled, scaled});
      } else {
        return Fail(fmt::format("{}, not {}", kShape,
                                operand.is_array() ? "a list holding " + KindOf(*v) : KindOf(*v)));
      }
    }
    if (strings && numbers) {
      return Fail(
          "\"anything-but\" list mixes strings and numbers; use all strings or all numbers");
    }
    m.op = strings ? Op::kAnythingButStrings : Op::kAnythingButNumbers;
    return m;
  }

  // User Guide, "Numeric matching": "limited to values between -5.0e9 and +5.0e9 inclusive,
  // with 15 digits of precision, or six digits to the right of the decimal point."
  Result<int64_t> Scaled(std::string_view op, const Json& v) {
    auto scaled = ScaledNumber(v);
    if (scaled) return *scaled;
    if (std::fabs(v.as_double()) > 5e9 || !std::isfinite(v.as_double())) {
      return Fail(fmt::format("\"{}\" value {} is outside the range -5e9 to 5e9", op, v.Dump()));
    }
    return Fail(fmt::format("\"{}\" value {} has more than six digits after the decimal point", op,
                            v.Dump()));
  }

  // {"numeric": ["=", 5]}, [">", 0], [">=", 0, "<", 5], ["<=", 5] ...
  Result<ValueMatcher> Numeric(const Json& operand) {
    const char* kShape =
        "\"numeric\" needs a list such as [\"=\", 5], [\"<\", 10] or [\">\", 0, "
        "\"<=\", 5]";
    if (!operand.is_array() || (operand.size() != 2 && operand.size() != 4)) {
      return Fail(fmt::format("{}, not {}", kShape, operand.Dump()));
    }
    ValueMatcher m;
    m.op = Op::kNumeric;
    auto op_at = [&](size_t i) -> Result<std::string> {
      const Json& op = *operand.at(i);
      if (!op.is_string()) {
        return Fail(fmt::format("{}; found {} where an operator belongs", kShape, op.Dump()));
      }
      const std::string& s = op.as_string();
      if (s != "=" && s != "<" && s != "<=" && s != ">" && s != ">=") {
        return Fail(fmt::format("\"numeric\" has no operator \"{}\"; use =, <, <=, > or >=", s));
      }
      return s;
    };
    auto number_at = [&](size_t i, const std::string& op) -> Result<int64_t> {
      const Json& v = *operand.at(i);
      if (!v.is_number()) {
        return Fail(
            fmt::format("\"numeric\" operator \"{}\" needs a number, not {}", op, v.Dump()));
      }
      return Scaled("numeric", v);
    };
    WHARF_TRY(std::string first, op_at(0));
    WHARF_TRY(int64_t a, number_at(1, first));
    bool lower = first[0] == '>';
    if (first == "=") {
      m.low = m.high = a;
    } else if (lower) {
      m.low = a;
      m.low_open = first == ">";
    } else {
      m.high = a;
      m.high_open = first == "<";
    }
    if (operand.size() == 4) {
      // event-ruler: a range is a lower bound (> or >=) followed by an upper bound (< or <=).
      WHARF_TRY(std::string second, op_at(2));
      if (!lower || second[0] != '<') {
        return Fail(
            fmt::format("\"numeric\" range must be a lower bound (> or >=) then an upper "
                        "bound (< or <=), not \"{}\" then \"{}\"",
                        first, second));
      }
      WHARF_TRY(int64_t b, number_at(3, second));
      m.high = b;
      m.high_open = second == "<";
      if (m.low > m.high || (m.low == m.high && (m.low_open || m.high_open))) {
        return Fail(fmt::format("\"numeric\" range {} matches no number", operand.Dump()));
      }
    }
    return m;
  }

  // {"cidr": "10.0.0.0/24"}: "IP address matching for IPv4 and IPv6 addresses" (User Guide).
  Result<ValueMatcher> Cidr(const Json& operand) {
    if (!operand.is_string()) {
      return Fail(
          fmt::format("\"cidr\" needs a string such as \"10.0.0.0/24\", not {}", KindOf(operand)));
    }
    std::string_view text = operand.as_string();
    size_t slash = text.find('/');
    auto bad = [&] {
      return Fail(
          fmt::format("\"cidr\" value \"{}\" is not an IPv4 or IPv6 block such as "
                      "\"10.0.0.0/24\" or \"2001:db8::/32\"",
                      text));
    };
    if (slash == std::string_view::npos) return bad();
    auto ip = ParseIpAddress(text.substr(0, slash));
    std::string_view len_text = text.substr(slash + 1);
    if (!ip || len_text.empty() || len_text.size() > 3 ||
        !std::all_of(len_text.begin(), len_text.end(),
                     [](char c) { return c >= '0' && c <= '9'; })) {
      return bad();
    }
    int bits = ip->v6 ? 128 : 32;
    int len = std::stoi(std::string(len_text));
    if (len > bits) {
      return Fail(fmt::format("\"cidr\" value \"{}\" has a prefix length over {}", text, bits));
    }
    using U = unsigned __int128;
    U all = bits == 128 ? ~U(0) : ((U(1) << 32) - 1);
    U host = len == bits ? U(0) : (all >> len);
    ValueMatcher m;
    m.op = Op::kCidr;
    m.ip_low = IpAddress{ip->v6, ip->bits & ~host & all};
    m.ip_high = IpAddress{ip->v6, (ip->bits | host) & all};
    return m;
  }

  const PatternLimits& limits_;
  std::vector<std::string> keys_;
  Where where_;
};

// How many event values a condition is likely to accept: its broadest value decides.
int Breadth(const FieldCondition& f) {
  int breadth = 0;
  for (const auto& v : f.values) {
    int b;
    switch (v.op) {
      case Op::kString:
      case Op::kNumber:
      case Op::kBool:
      case Op::kNull:
      case Op::kEqualsIgnoreCase:
        b = 0;
        break;
      case Op::kPrefix:
      case Op::kPrefixIgnoreCase:
      case Op::kSuffix:
      case Op::kSuffixIgnoreCase:
      case Op::kWildcard:
      case Op::kCidr:
        b = 1;
        break;
      case Op::kNumeric:
        b = 2;
        break;
      default:  // anything-but, exists
        b = 3;
    }
    breadth = std::max(breadth, b);
  }
  return breadth;
}

size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

Result<Pattern> Pattern::Compile(std::string_view text, const PatternLimits& limits) {
  size_t chars = Utf8Length(text);
  if (chars > limits.max_chars) {
    return MakeError(kInvalidEventPattern,
                     fmt::format("event pattern: {} characters is over the limit of {}", chars,
                                 limits.max_chars));
  }
  auto parsed = Json::Parse(text);
  if (!parsed.ok()) {
    return MakeError(kInvalidEventPattern,
                     "event pattern: not valid JSON: " + parsed.error().message);
  }
  if (!parsed->is_object()) {
    return MakeError(kInvalidEventPattern,
                     "event pattern: must be a JSON object, not " + KindOf(*parsed));
  }
  Compiler compiler(limits);
  WHARF_TRY(auto branches, compiler.Object(*parsed, /*in_or=*/false));
  for (auto& b : branches) {
    // A canonical order of the fields (events/matcher.cc walks a branch in this order):
    // - narrow conditions first (exact values before prefixes, suffixes and wildcards, before
    //   numeric ranges, before anything-but and exists), so that a rule's states fan out on a
    //   selective test before a broad one; a broad first test would keep the states of many rules
    //   alive for nearly every event;
    // - then shallow fields first: envelope fields such as source and detail-type are the ones
    //   many rules have in common, and rules that share leading conditions share states;
    // - then by path and by values.
    struct Keyed {
      int breadth;
      std::string values;
      FieldCondition field;
    };
    std::vector<Keyed> keyed;
    for (auto& f : b.fields) {
      int breadth = Breadth(f);
      std::string values = f.EncodeValues();
      keyed.push_back(Keyed{breadth, std::move(values), std::move(f)});
    }
    std::sort(keyed.begin(), keyed.end(), [](const Keyed& x, const Keyed& y) {
      const auto& a = x.field.path;
      const auto& b = y.field.path;
      if (x.breadth != y.breadth) return x.breadth < y.breadth;
      if (a.size() != b.size()) return a.size() < b.size();
      if (a != b) return a < b;
      return x.values < y.values;
    });
    b.fields.clear();
    for (auto& k : keyed) b.fields.push_back(std::move(k.field));
  }
  Pattern p;
  p.branches_ = std::move(branches);
  return p;
}

}  // namespace wharf::events
