// Choice Rules (spec §Choice Rules); see choice.h.
#include "asl/choice.h"

#include <optional>
#include <string>
#include <vector>

#include "asl/jsonpath.h"
#include "asl/timestamp.h"

namespace wharf::asl {
namespace {

// What an operator compares: two values of one type, or (the type tests) one value.
enum class Kind {
  kString,
  kMatches,
  kNumeric,
  kBoolean,
  kTimestamp,
  kIsNull,
  kIsPresent,
  kIsNumeric,
  kIsString,
  kIsBoolean,
  kIsTimestamp,
};
enum class Cmp { kEquals, kLessThan, kGreaterThan, kLessThanEquals, kGreaterThanEquals };
// Whether the right operand is a literal or a path to it (the "...Path" forms).
enum class Operand { kLiteral, kPath };

struct OperatorInfo {
  std::string_view name;
  Kind kind;
  Cmp cmp;
  Operand operand;

  bool IsTypeTest() const { return kind >= Kind::kIsNull; }
};

// The operator called `name`, or nullptr. Every comparison operator of the spec (§Choice Rules),
// Path forms included; there is no StringMatchesPath and no Path form of the type tests.
const OperatorInfo* FindOperator(std::string_view name) {
  using enum Kind;
  using enum Cmp;
  using enum Operand;
  // clang-format off
  static constexpr OperatorInfo kOperators[] = {
      {"StringEquals",                   kString,       kEquals,            kLiteral},
      {"StringEqualsPath",               kString,       kEquals,            kPath},
      {"StringLessThan",                 kString,       kLessThan,          kLiteral},
      {"StringLessThanPath",             kString,       kLessThan,          kPath},
      {"StringGreaterThan",              kString,       kGreaterThan,       kLiteral},
      {"StringGreaterThanPath",          kString,       kGreaterThan,       kPath},
      {"StringLessThanEquals",           kString,       kLessThanEquals,    kLiteral},
      {"StringLessThanEqualsPath",       kString,       kLessThanEquals,    kPath},
      {"StringGreaterThanEquals",        kString,       kGreaterThanEquals, kLiteral},
      {"StringGreaterThanEqualsPath",    kString,       kGreaterThanEquals, kPath},
      {"NumericEquals",                  kNumeric,      kEquals,            kLiteral},
      {"NumericEqualsPath",              kNumeric,      kEquals,            kPath},
      {"NumericLessThan",                kNumeric,      kLessThan,          kLiteral},
      {"NumericLessThanPath",            kNumeric,      kLessThan,          kPath},
      {"NumericGreaterThan",             kNumeric,      kGreaterThan,       kLiteral},
      {"NumericGreaterThanPath",         kNumeric,      kGreaterThan,       kPath},
      {"NumericLessThanEquals",          kNumeric,      kLessThanEquals,    kLiteral},
      {"NumericLessThanEqualsPath",      kNumeric,      kLessThanEquals,    kPath},
      {"NumericGreaterThanEquals",       kNumeric,      kGreaterThanEquals, kLiteral},
      {"NumericGreaterThanEqualsPath",   kNumeric,      kGreaterThanEquals, kPath},
      {"TimestampEquals",                kTimestamp,    kEquals,            kLiteral},
      {"TimestampEqualsPath",            kTimestamp,    kEquals,            kPath},
      {"TimestampLessThan",              kTimestamp,    kLessThan,          kLiteral},
      {"TimestampLessThanPath",          kTimestamp,    kLessThan,          kPath},
      {"TimestampGreaterThan",           kTimestamp,    kGreaterThan,       kLiteral},
      {"TimestampGreaterThanPath",       kTimestamp,    kGreaterThan,       kPath},
      {"TimestampLessThanEquals",        kTimestamp,    kLessThanEquals,    kLiteral},
      {"TimestampLessThanEqualsPath",    kTimestamp,    kLessThanEquals,    kPath},
      {"TimestampGreaterThanEquals",     kTimestamp,    kGreaterThanEquals, kLiteral},
      {"TimestampGreaterThanEqualsPath", kTimestamp,    kGreaterThanEquals, kPath},
      {"BooleanEquals",                  kBoolean,      kEquals,            kLiteral},
      {"BooleanEqualsPath",              kBoolean,      kEquals,            kPath},
      {"StringMatches",                  kMatches,      kEquals,            kLiteral},
      {"IsNull",                         kIsNull,       kEquals,            kLiteral},
      {"IsPresent",                      kIsPresent,    kEquals,            kLiteral},
      {"IsNumeric",                      kIsNumeric,    kEquals,            kLiteral},
      {"IsString",                       kIsString,     kEquals,            kLiteral},
      {"IsBoolean",                      kIsBoolean,    kEquals,            kLiteral},
      {"IsTimestamp",                    kIsTimestamp,  kEquals,            kLiteral},
  };
  // clang-format on
  for (const auto& op : kOperators) {
    if (op.name == name) return &op;
  }
  return nullptr;
}

bool Holds(Cmp cmp, int order) {
  switch (cmp) {
    case Cmp::kEquals:
      return order == 0;
    case Cmp::kLessThan:
      return order < 0;
    case Cmp::kGreaterThan:
      return order > 0;
    case Cmp::kLessThanEquals:
      return order <= 0;
    case Cmp::kGreaterThanEquals:
      return order >= 0;
  }
  return false;
}

// The UTF-8 code point that starts at s[i], or -1 when the bytes there are not UTF-8.
int32_t DecodeAt(std::string_view s, size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  int len = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || i + len > s.size()) return -1;
  int32_t cp = len == 1 ? b0 : b0 & (0x7F >> len);
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (b & 0x3F);
  }
  return cp;
}

// Orders two strings as Java's String.compareTo does (by UTF-16 code units), which is how AWS
// orders StringLessThan & co. UTF-8 bytes order by code point; the two orders differ only between
// a character above U+FFFF (a surrogate pair, 0xD800..) and one in U+E000..U+FFFF.
int CompareStrings(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  if (i == n) return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
  size_t start = i;  // the code point holding the first difference starts at the same place in both
  while (start > 0 && (static_cast<unsigned char>(a[start]) & 0xC0) == 0x80) --start;
  const int32_t ca = DecodeAt(a, start);
  const int32_t cb = DecodeAt(b, start);
  if (ca < 0 || cb < 0) {
    return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]) ? -1 : 1;
  }
  auto first_unit = [](int32_t cp) { return cp >= 0x10000 ? 0xD800 + ((cp - 0x10000) >> 10) : cp; };
  const int32_t ua = first_unit(ca), ub = first_unit(cb);
  if (ua != ub) return ua < ub ? -1 : 1;
  return ca < cb ? -1 : ca > cb ? 1 : 0;  // same high surrogate: the low ones keep code point order
}

int CompareNumbers(const Json& a, const Json& b) {
  if (a.is_int() && b.is_int()) {
    return a.as_int() < b.as_int() ? -1 : a.as_int() > b.as_int() ? 1 : 0;
  }
  // long double holds every int64 exactly, so 2^53 + 1 is not equal to 2^53.
  const long double x = a.is_int() ? static_cast<long double>(a.as_int()) : a.as_double();
  const long double y = b.is_int() ? static_cast<long double>(b.as_int()) : b.as_double();
  return x < y ? -1 : x > y ? 1 : 0;
}

// StringMatches (spec §Choice Rules): "*" matches any run of characters, possibly empty; "\*"
// is a literal asterisk and "\\" a literal backslash. Kept as the literal pieces between the
// stars: pieces[0] * pieces[1] * ... * pieces[n-1].
std::vector<std::string> CompilePattern(std::string_view pattern) {
  std::vector<std::string> pieces(1);
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      pieces.back() += pattern[++i];  // an escaped character stands for itself
    } else if (c == '*') {
      pieces.emplace_back();
    } else {
      pieces.back() += c;
    }
  }
  return pieces;
}

bool MatchPattern(const std::vector<std::string>& pieces, std::string_view s) {
  if (pieces.size() == 1) return s == pieces[0];
  const std::string& head = pieces.front();
  const std::string& tail = pieces.back();
  if (s.size() < head.size() + tail.size()) return false;
  if (s.substr(0, head.size()) != head || s.substr(s.size() - tail.size()) != tail) return false;
  // With stars on both sides, taking each middle piece at its leftmost place leaves the most room
  // for the rest, so a greedy scan is exact.
  std::string_view middle = s.substr(head.size(), s.size() - head.size() - tail.size());
  for (size_t k = 1; k + 1 < pieces.size(); ++k) {
    size_t at = middle.find(pieces[k]);
    if (at == std::string_view::npos) return false;
    middle.remove_prefix(at + pieces[k].size());
  }
  return true;
}

Error Invalid(std::string_view where, const std::string& what) {
  return MakeError("InvalidDefinition", std::string(where) + ": " + what);
}

Error InvalidPathAtRuntime(const JsonPath& path) {
  return MakeError("States.Runtime", "Invalid path '" + path.text() +
                                         "': The choice state's condition path references an "
                                         "invalid value.");
}

// The value `path` selects, or nullopt when it selects nothing.
std::optional<Json> Lookup(const JsonPath& path, const Env& env) {
  auto v = path.Evaluate(env);
  if (!v.ok()) return std::nullopt;
  // An indefinite path yields the array of its matches; with no match there is nothing there.
  if (!path.IsDefinite() && v->is_array() && v->size() == 0) return std::nullopt;
  return std::move(*v);
}

}  // namespace

struct ChoiceRule::Node {
  enum class Type { kAnd, kOr, kNot, kComparison };
  Type type = Type::kComparison;
  std::vector<std::shared_ptr<const Node>> children;  // And, Or, Not

  const OperatorInfo* op = nullptr;
  JsonPath variable;
  Json literal;                          // the literal operand
  std::optional<JsonPath> operand_path;  // the ...Path operand
  Instant timestamp;                     // a Timestamp* literal, parsed
  std::vector<std::string> pattern;      // StringMatches, compiled

  using Ptr = std::shared_ptr<const Node>;
  static Result<Ptr> Parse(const Json& rule, bool top_level, const std::string& where);
  static Result<Ptr> ParseComparison(const Json& rule, const OperatorInfo& op,
                                     const std::string& where);
  static Result<Ptr> ParseCombinator(const Json& rule, const std::string& key,
                                     const std::string& where);

  Result<bool> Evaluate(const Env& env) const;
  bool Compare(const Json& left, const Json& right) const;
};

namespace {
bool IsCombinator(std::string_view key) { return key == "And" || key == "Or" || key == "Not"; }
}  // namespace

Result<ChoiceRule::Node::Ptr> ChoiceRule::Node::ParseComparison(const Json& rule,
                                                                const OperatorInfo& op,
                                                                const std::string& where) {
  auto node = std::make_shared<Node>();
  node->type = Type::kComparison;
  node->op = &op;
  const std::string name(op.name);

  // "A Choice Rule's comparison ... Variable field whose value MUST be a Path" (spec §Choice
  // Rules). AWS accepts any JSONPath here, which may also start with $$ or $var.
  const Json* variable = rule.find("Variable");
  if (!variable) return Invalid(where, "Variable is required with " + name);
  if (!variable->is_string()) return Invalid(where, "Variable must be a string holding a JSONPath");
  auto path = JsonPath::Parse(variable->as_string());
  if (!path.ok()) {
    return Invalid(where, "Variable is not a valid JSONPath: " + path.error().message);
  }
  node->variable = std::move(*path);

  const Json& value = *rule.find(op.name);
  if (op.operand == Operand::kPath) {
    // "the value of the ...Path field MUST be a Path" (spec §Choice Rules).
    if (!value.is_string()) return Invalid(where, name + " must be a string holding a JSONPath");
    auto p = JsonPath::Parse(value.as_string());
    if (!p.ok()) return Invalid(where, name + " is not a valid JSONPath: " + p.error().message);
    node->operand_path = std::move(*p);
    return Ptr(std::move(node));
  }

  switch (op.kind) {
    case Kind::kString:
    case Kind::kMatches:
      if (!value.is_string()) return Invalid(where, name + " must be a string");
      if (op.kind == Kind::kMatches) node->pattern = CompilePattern(value.as_string());
      break;
    case Kind::kNumeric:
      if (!value.is_number()) return Invalid(where, name + " must be a number");
      break;
    case Kind::kTimestamp: {
      // "Timestamps values MUST conform to the RFC3339 profile of ISO 8601" (spec §Choice Rules).
      std::optional<Instant> t = value.is_string() ? ParseInstant(value.as_string()) : std::nullopt;
      if (!t) {
        return Invalid(where, name +
                                  " must be an ISO-8601 timestamp with an offset, such as "
                                  "2016-03-14T01:59:00Z");
      }
      node->timestamp = *t;
      break;
    }
    default:  // BooleanEquals and the type tests
      if (!value.is_bool()) return Invalid(where, name + " must be true or false");
      break;
  }
  node->literal = value;
  return Ptr(std::move(node));
}

Result<ChoiceRule::Node::Ptr> ChoiceRule::Node::ParseCombinator(const Json& rule,
                                                                const std::string& key,
                                                                const std::string& where) {
  auto node = std::make_shared<Node>();
  if (rule.find("Variable")) return Invalid(where, "Variable is not allowed with " + key);
  const Json& value = *rule.find(key);
  if (key == "Not") {
    // "A Not Choice Rule MUST contain a single Choice Rule" (spec §Choice Rules).
    node->type = Type::kNot;
    if (!value.is_object()) return Invalid(where, "Not must be a single Choice Rule (an object)");
    WHARF_TRY(auto child, Parse(value, /*top_level=*/false, where + ".Not"));
    node->children.push_back(std::move(child));
    return Ptr(std::move(node));
  }
  // "An And or Or Choice Rule MUST contain a non-empty array of Choice Rules" (spec §Choice
  // Rules).
  node->type = key == "And" ? Type::kAnd : Type::kOr;
  if (!value.is_array() || value.size() == 0) {
    return Invalid(where, key + " must be a non-empty array of Choice Rules");
  }
  for (size_t i = 0; i < value.size(); ++i) {
    WHARF_TRY(auto child, Parse(*value.at(i), /*top_level=*/false,
                                where + "." + key + "[" + std::to_string(i) + "]"));
    node->children.push_back(std::move(child));
  }
  return Ptr(std::move(node));
}

Result<ChoiceRule::Node::Ptr> ChoiceRule::Node::Parse(const Json& rule, bool top_level,
                                                      const std::string& where) {
  if (!rule.is_object()) return Invalid(where, "a Choice Rule must be a JSON object");

  // "Each Choice Rule MUST contain exactly one field containing a comparison operator" (or
  // And / Or / Not), and "Choice Rules MUST NOT contain Next" except at the top level
  // (spec §Choice Rules).
  std::vector<std::string> operators;
  for (const auto& [key, value] : rule.as_object()) {
    if (FindOperator(key) || IsCombinator(key)) {
      operators.push_back(key);
    } else if (key == "Next" || key == "Assign") {
      if (!top_level) {
        return Invalid(where, key + " is only allowed in a top-level Choice Rule");
      }
    } else if (key == "End") {
      return Invalid(where, "End is not allowed in a Choice Rule; a Choice Rule names its Next");
    } else if (key == "Condition") {
      return Invalid(where, "Condition is only allowed when the QueryLanguage is JSONata");
    } else if (key != "Variable" && key != "Comment") {
      return Invalid(where, "unknown field '" + key + "'");
    }
  }
  if (operators.empty()) {
    return Invalid(where,
                   "a Choice Rule needs a comparison operator (such as StringEquals) or "
                   "And, Or, Not");
  }
  if (operators.size() > 1) {
    std::string list;
    for (const auto& op : operators) list += (list.empty() ? "" : ", ") + op;
    return Invalid(where, "a Choice Rule takes exactly one comparison operator, found " + list);
  }
  if (IsCombinator(operators[0])) return ParseCombinator(rule, operators[0], where);
  return ParseComparison(rule, *FindOperator(operators[0]), where);
}

bool ChoiceRule::Node::Compare(const Json& left, const Json& right) const {
  // A value of another type than the operator's makes the comparison false (the recorded AWS
  // cases: e.g. "0" or true with NumericEquals 0).
  switch (op->kind) {
    case Kind::kString:
      return left.is_string() && right.is_string() &&
             Holds(op->cmp, CompareStrings(left.as_string(), right.as_string()));
    case Kind::kMatches:
      return left.is_string() && MatchPattern(pattern, left.as_string());
    case Kind::kNumeric:
      return left.is_number() && right.is_number() && Holds(op->cmp, CompareNumbers(left, right));
    case Kind::kBoolean:
      return left.is_bool() && right.is_bool() && left.as_bool() == right.as_bool();
    case Kind::kTimestamp: {
      if (!left.is_string()) return false;
      auto l = ParseInstant(left.as_string());
      if (!l) return false;
      Instant r = timestamp;
      if (operand_path) {
        auto parsed = right.is_string() ? ParseInstant(right.as_string()) : std::nullopt;
        if (!parsed) return false;
        r = *parsed;
      }
      return Holds(op->cmp, *l < r ? -1 : *l > r ? 1 : 0);
    }
    default:  // the type tests have no right operand
      break;
  }
  return false;
}

Result<bool> ChoiceRule::Node::Evaluate(const Env& env) const {
  switch (type) {
    case Type::kAnd:
      for (const auto& child : children) {
        WHARF_TRY(bool b, child->Evaluate(env));
        if (!b) return false;
      }
      return true;
    case Type::kOr:
      for (const auto& child : children) {
        WHARF_TRY(bool b, child->Evaluate(env));
        if (b) return true;
      }
      return false;
    case Type::kNot: {
      WHARF_TRY(bool b, children[0]->Evaluate(env));
      return !b;
    }
    case Type::kComparison:
      break;
  }

  std::optional<Json> left = Lookup(variable, env);
  if (op->kind == Kind::kIsPresent) {
    // IsPresent: "if the Variable-field Path fails to match anything in the input, no exception
    // is thrown and the Choice Rule just returns false" for IsPresent: true (spec §Choice Rules).
    return left.has_value() == literal.as_bool();
  }
  if (!left) return InvalidPathAtRuntime(variable);

  if (op->IsTypeTest()) {
    bool is = false;
    switch (op->kind) {
      case Kind::kIsNull:
        is = left->is_null();
        break;
      case Kind::kIsNumeric:
        is = left->is_number();
        break;
      case Kind::kIsString:
        is = left->is_string();
        break;
      case Kind::kIsBoolean:
        is = left->is_bool();
        break;
      case Kind::kIsTimestamp:
        is = left->is_string() && IsValidTimestamp(left->as_string());
        break;
      default:
        break;
    }
    return is == literal.as_bool();
  }

  if (operand_path) {
    std::optional<Json> right = Lookup(*operand_path, env);
    if (!right) return InvalidPathAtRuntime(*operand_path);
    return Compare(*left, *right);
  }
  return Compare(*left, literal);
}

Result<ChoiceRule> ChoiceRule::Parse(const Json& rule, bool top_level, std::string_view where) {
  const std::string place(where);
  WHARF_TRY(Node::Ptr root, Node::Parse(rule, top_level, place));
  ChoiceRule out;
  out.root_ = std::move(root);
  if (!top_level) return out;

  // "Each Choice Rule in the Choices array MUST have a Next field" (spec §Choice State).
  const Json* next = rule.find("Next");
  if (!next) return Invalid(place, "Next is required in a top-level Choice Rule");
  if (!next->is_string() || next->as_string().empty()) {
    return Invalid(place, "Next must be the name of a state");
  }
  out.next_ = next->as_string();

  // Assign on a Choice Rule sets variables when that rule is taken (AWS "Passing data between
  // states with variables").
  if (const Json* assign = rule.find("Assign")) {
    if (!assign->is_object()) return Invalid(place, "Assign must be a JSON object");
    WHARF_TRY(auto tmpl, PayloadTemplate::Compile(*assign, place + ", field 'Assign'"));
    out.assign_ = std::make_shared<const PayloadTemplate>(std::move(tmpl));
  }
  return out;
}

Result<bool> ChoiceRule::Evaluate(const Env& env) const { return root_->Evaluate(env); }

const std::string& ChoiceRule::next() const { return next_; }

const PayloadTemplate* ChoiceRule::assign() const { return assign_.get(); }

}  // namespace wharf::asl
