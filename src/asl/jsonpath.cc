// JsonPath: parser and evaluator (see jsonpath.h). The rules follow Jayway JsonPath 2.x, which
// Step Functions uses; comments name the Jayway class whose behaviour a piece reproduces.
#include "asl/jsonpath.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <regex>
#include <vector>

namespace wharf::asl {

namespace {

struct Filter;

enum class StepKind : uint8_t {
  kName,         // .a  ['a']
  kNames,        // ['a','b']
  kIndex,        // [0]  [-1]
  kIndexes,      // [0,1]
  kLengthIndex,  // [(@.length-1)]: index counted from the end (jsonpath-plus style scripts)
  kSlice,        // [1:]  [:2]  [1:3]
  kWildcard,     // .*  [*]
  kFilter,       // [?(...)]
  kLength,       // .length()
};

struct Step {
  StepKind kind = StepKind::kName;
  bool scan = false;  // preceded by ".." (deep scan)
  std::string name;
  std::vector<std::string> names;
  int64_t index = 0;  // kIndex; kLengthIndex: the offset added to the length
  std::vector<int64_t> indexes;
  std::optional<int64_t> from, to;  // kSlice
  std::shared_ptr<const Filter> filter;
  size_t frag_end = 0;  // end of this step's fragment in the normalized text
};

// An operand of a filter comparison.
struct Operand {
  enum class Kind { kLiteral, kPath, kRegex };
  Kind kind = Kind::kLiteral;
  Json literal;
  bool absolute = false;  // $ (the document) rather than @ (the current item)
  bool definite = true;
  std::vector<Step> steps;
  std::shared_ptr<const std::regex> regex;
};

enum class CmpOp { kEq, kNe, kLt, kLe, kGt, kGe, kMatch };

struct Filter {
  enum class Kind { kOr, kAnd, kNot, kExists, kCompare };
  Kind kind = Kind::kExists;
  std::vector<Filter> children;  // kOr, kAnd: operands; kNot: one
  CmpOp op = CmpOp::kEq;
  Operand lhs, rhs;  // kExists uses lhs
};

Error Runtime(std::string message) { return MakeError("States.Runtime", std::move(message)); }

bool IsDefiniteSteps(const std::vector<Step>& steps) {
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    if (s.scan) return false;
    switch (s.kind) {
      case StepKind::kName:
      case StepKind::kIndex:
      case StepKind::kLengthIndex:
      case StepKind::kLength:
        break;
      // Jayway PropertyPathToken: "in case of leaf multiprops will be merged, so it's kinda
      // definite".
      case StepKind::kNames:
        if (i + 1 != steps.size()) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

void AppendFragment(std::string& out, const Step& s) {
  if (s.scan) out += "..";
  switch (s.kind) {
    case StepKind::kName:
      out += "['" + s.name + "']";
      break;
    case StepKind::kNames:
      out += '[';
      for (size_t i = 0; i < s.names.size(); ++i) {
        if (i) out += ',';
        out += "'" + s.names[i] + "'";
      }
      out += ']';
      break;
    case StepKind::kIndex:
      out += "[" + std::to_string(s.index) + "]";
      break;
    case StepKind::kIndexes:
      out += '[';
      for (size_t i = 0; i < s.indexes.size(); ++i) {
        if (i) out += ',';
        out += std::to_string(s.indexes[i]);
      }
      out += ']';
      break;
    case StepKind::kLengthIndex:
      out += "[(@.length" + std::string(s.index < 0 ? "" : "+") + std::to_string(s.index) + ")]";
      break;
    case StepKind::kSlice:
      out += '[';
      if (s.from) out += std::to_string(*s.from);
      out += ':';
      if (s.to) out += std::to_string(*s.to);
      out += ']';
      break;
    case StepKind::kWildcard:
      out += "[*]";
      break;
    case StepKind::kFilter:
      out += "[?]";
      break;
    case StepKind::kLength:
      out += ".length()";
      break;
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsVarChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '_';
}

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Error Fail(const std::string& what) const {
    return MakeError("InvalidPath", what + " at character " + std::to_string(pos_ + 1));
  }
  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek(size_t ahead = 0) const { return pos_ + ahead < s_.size() ? s_[pos_ + ahead] : '\0'; }
  void SkipSpaces() {
    while (!AtEnd() && IsSpace(s_[pos_])) ++pos_;
  }
  size_t pos() const { return pos_; }
  void set_pos(size_t p) { pos_ = p; }
  std::string_view text() const { return s_; }

  // Parses steps until the end of the text or, inside a filter, until a character that cannot
  // continue a path (an operator, a space, a closing parenthesis).
  Status ParseSteps(std::vector<Step>& steps, bool in_filter) {
    while (!AtEnd()) {
      char c = Peek();
      if (c != '.' && c != '[') {
        if (in_filter) return {};
        return Fail(std::string("unexpected character '") + c + "'");
      }
      if (!steps.empty() && steps.back().kind == StepKind::kLength)
        return Fail("a function such as length() must be the last step of a path");
      Step step;
      if (c == '.') {
        if (Peek(1) == '.') {
          step.scan = true;
          pos_ += 2;
          if (AtEnd()) return Fail("a path must not end with '..'");
          if (Peek() == '.') return Fail("unexpected '.'");
        } else {
          ++pos_;
          if (AtEnd()) return Fail("a path must not end with '.'");
          if (Peek() == '.') return Fail("unexpected '.'");
        }
        if (Peek() == '[') {
          WHARF_TRY_STATUS(ParseBracket(step));
        } else if (Peek() == '*') {
          ++pos_;
          step.kind = StepKind::kWildcard;
        } else {
          WHARF_TRY_STATUS(ParseDotName(step, in_filter));
          if (step.scan && step.kind == StepKind::kLength)
            return Fail("length() cannot follow a deep scan");
        }
      } else {
        WHARF_TRY_STATUS(ParseBracket(step));
      }
      steps.push_back(std::move(step));
    }
    return {};
  }

  Status ParseFilterExpr(Filter& out) { return ParseOr(out); }

 private:
  // Jayway PathCompiler.readPropertyOrFunctionToken: a dotted name runs to the next '.', '[',
  // '(' or space; inside a filter it also stops at operators and ')'.
  Status ParseDotName(Step& step, bool in_filter) {
    size_t start = pos_;
    while (!AtEnd()) {
      char c = Peek();
      if (c == '.' || c == '[' || c == '(') break;
      if (IsSpace(c)) {
        if (in_filter) break;
        return Fail("a name with spaces needs the bracket notation ['my name']");
      }
      if (in_filter && (c == ')' || c == ']' || c == '<' || c == '>' || c == '=' || c == '!' ||
                        c == '~' || c == '&' || c == '|' || c == ','))
        break;
      ++pos_;
    }
    if (pos_ == start) return Fail("expected a member name");
    std::string name(s_.substr(start, pos_ - start));
    if (Peek() == '(') {
      if (name != "length") return Fail("unsupported function '" + name + "()'");
      ++pos_;
      SkipSpaces();
      if (Peek() != ')') return Fail("length() takes no arguments");
      ++pos_;
      step.kind = StepKind::kLength;
      return {};
    }
    step.kind = StepKind::kName;
    step.name = std::move(name);
    return {};
  }

  // A quoted name inside brackets. A backslash keeps the next character from closing the
  // string; the text is kept as written (AWS matched $['Test\""Name"'] to the key Test\""Name").
  Result<std::string> ParseQuotedName() {
    char quote = Peek();
    ++pos_;
    size_t start = pos_;
    while (!AtEnd() && Peek() != quote) {
      if (Peek() == '\\') ++pos_;
      ++pos_;
    }
    if (AtEnd()) return Fail("unterminated quoted name");
    std::string name(s_.substr(start, pos_ - start));
    ++pos_;
    return name;
  }

  Result<int64_t> ParseInt() {
    size_t start = pos_;
    if (Peek() == '-') ++pos_;
    while (IsDigit(Peek())) ++pos_;
    int64_t v = 0;
    auto [p, ec] = std::from_chars(s_.data() + start, s_.data() + pos_, v);
    if (ec != std::errc() || p != s_.data() + pos_) {
      pos_ = start;
      return Fail("expected an integer");
    }
    return v;
  }

  Status ExpectClose() {
    SkipSpaces();
    if (Peek() != ']') return Fail("expected ']'");
    ++pos_;
    return {};
  }

  Status ParseBracket(Step& step) {
    ++pos_;  // '['
    SkipSpaces();
    char c = Peek();
    if (c == '?') {
      ++pos_;
      SkipSpaces();
      if (Peek() != '(') return Fail("expected '(' after '[?'");
      ++pos_;
      auto filter = std::make_shared<Filter>();
      WHARF_TRY_STATUS(ParseOr(*filter));
      SkipSpaces();
      if (Peek() != ')') return Fail("expected ')' to close the filter");
      ++pos_;
      step.kind = StepKind::kFilter;
      step.filter = std::move(filter);
      return ExpectClose();
    }
    if (c == '(') {
      // [(@.length-1)]
      ++pos_;
      SkipSpaces();
      if (s_.substr(pos_, 8) != "@.length") return Fail("only (@.length-N) scripts are supported");
      pos_ += 8;
      SkipSpaces();
      int64_t sign = 1;
      if (Peek() == '-')
        sign = -1;
      else if (Peek() != '+')
        return Fail("expected '-' or '+' after @.length");
      ++pos_;
      SkipSpaces();
      WHARF_TRY(int64_t n, ParseInt());
      SkipSpaces();
      if (Peek() != ')') return Fail("expected ')'");
      ++pos_;
      step.kind = StepKind::kLengthIndex;
      step.index = sign * n;
      return ExpectClose();
    }
    if (c == '*') {
      ++pos_;
      step.kind = StepKind::kWildcard;
      return ExpectClose();
    }
    if (c == '\'' || c == '"') {
      std::vector<std::string> names;
      while (true) {
        if (Peek() != '\'' && Peek() != '"') return Fail("expected a quoted name");
        WHARF_TRY(std::string name, ParseQuotedName());
        names.push_back(std::move(name));
        SkipSpaces();
        if (Peek() == ',') {
          ++pos_;
          SkipSpaces();
          continue;
        }
        break;
      }
      WHARF_TRY_STATUS(ExpectClose());
      if (names.size() == 1) {
        step.kind = StepKind::kName;
        step.name = std::move(names[0]);
      } else {
        step.kind = StepKind::kNames;
        step.names = std::move(names);
      }
      return {};
    }
    if (IsDigit(c) || c == '-' || c == ':') {
      // Jayway ArraySliceOperation / ArrayIndexOperation.
      std::optional<int64_t> parts[3];
      int colons = 0;
      std::vector<int64_t> list;
      while (true) {
        SkipSpaces();
        if (IsDigit(Peek()) || Peek() == '-') {
          WHARF_TRY(int64_t v, ParseInt());
          if (colons < 3) parts[colons] = v;
          list.push_back(v);
          SkipSpaces();
        }
        if (Peek() == ':') {
          if (++colons > 2) return Fail("too many ':' in a slice");
          ++pos_;
          continue;
        }
        if (Peek() == ',' && colons == 0) {
          ++pos_;
          SkipSpaces();
          if (!IsDigit(Peek()) && Peek() != '-') return Fail("expected an index after ','");
          continue;
        }
        break;
      }
      WHARF_TRY_STATUS(ExpectClose());
      if (colons > 0) {
        if (list.size() > 3 || (!parts[0] && !parts[1]))
          return Fail("a slice needs a start or an end");
        // Jayway ignores a third (step) number.
        step.kind = StepKind::kSlice;
        step.from = parts[0];
        step.to = parts[1];
        return {};
      }
      if (list.empty()) return Fail("expected an index");
      if (list.size() == 1) {
        step.kind = StepKind::kIndex;
        step.index = list[0];
      } else {
        step.kind = StepKind::kIndexes;
        step.indexes = std::move(list);
      }
      return {};
    }
    if (AtEnd()) return Fail("unterminated '['");
    return Fail(std::string("unexpected character '") + c + "' after '['");
  }

  // ---- filters (Jayway FilterCompiler) ----

  Status ParseOr(Filter& out) {
    Filter first;
    WHARF_TRY_STATUS(ParseAnd(first));
    SkipSpaces();
    if (!(Peek() == '|' && Peek(1) == '|')) {
      out = std::move(first);
      return {};
    }
    out.kind = Filter::Kind::kOr;
    out.children.push_back(std::move(first));
    while (Peek() == '|' && Peek(1) == '|') {
      pos_ += 2;
      Filter next;
      WHARF_TRY_STATUS(ParseAnd(next));
      out.children.push_back(std::move(next));
      SkipSpaces();
    }
    return {};
  }

  Status ParseAnd(Filter& out) {
    Filter first;
    WHARF_TRY_STATUS(ParseUnary(first));
    SkipSpaces();
    if (!(Peek() == '&' && Peek(1) == '&')) {
      out = std::move(first);
      return {};
    }
    out.kind = Filter::Kind::kAnd;
    out.children.push_back(std::move(first));
    while (Peek() == '&' && Peek(1) == '&') {
      pos_ += 2;
      Filter next;
      WHARF_TRY_STATUS(ParseUnary(next));
      out.children.push_back(std::move(next));
      SkipSpaces();
    }
    return {};
  }

  Status ParseUnary(Filter& out) {
    SkipSpaces();
    if (Peek() == '!' && Peek(1) != '=') {
      ++pos_;
      Filter inner;
      WHARF_TRY_STATUS(ParseUnary(inner));
      out.kind = Filter::Kind::kNot;
      out.children.push_back(std::move(inner));
      return {};
    }
    if (Peek() == '(') {
      ++pos_;
      WHARF_TRY_STATUS(ParseOr(out));
      SkipSpaces();
      if (Peek() != ')') return Fail("expected ')'");
      ++pos_;
      return {};
    }
    WHARF_TRY_STATUS(ParseOperand(out.lhs));
    SkipSpaces();
    std::optional<CmpOp> op;
    auto two = s_.substr(pos_, 2);
    if (two == "==")
      op = CmpOp::kEq;
    else if (two == "!=")
      op = CmpOp::kNe;
    else if (two == "<=")
      op = CmpOp::kLe;
    else if (two == ">=")
      op = CmpOp::kGe;
    else if (two == "=~")
      op = CmpOp::kMatch;
    if (op) {
      pos_ += 2;
    } else if (Peek() == '<') {
      op = CmpOp::kLt;
      ++pos_;
    } else if (Peek() == '>') {
      op = CmpOp::kGt;
      ++pos_;
    }
    if (!op) {
      // [?(@.isbn)]: the item has the member.
      if (out.lhs.kind != Operand::Kind::kPath)
        return Fail("a filter needs a path to test or a comparison");
      out.kind = Filter::Kind::kExists;
      return {};
    }
    out.kind = Filter::Kind::kCompare;
    out.op = *op;
    WHARF_TRY_STATUS(ParseOperand(out.rhs));
    if (*op == CmpOp::kMatch && out.rhs.kind != Operand::Kind::kRegex &&
        out.lhs.kind != Operand::Kind::kRegex)
      return Fail("'=~' needs a /regular expression/");
    return {};
  }

  Status ParseOperand(Operand& out) {
    SkipSpaces();
    char c = Peek();
    if (c == '@' || c == '$') {
      ++pos_;
      out.kind = Operand::Kind::kPath;
      out.absolute = c == '$';
      WHARF_TRY_STATUS(ParseSteps(out.steps, /*in_filter=*/true));
      out.definite = IsDefiniteSteps(out.steps);
      return {};
    }
    if (c == '\'' || c == '"') {
      ++pos_;
      std::string value;
      while (!AtEnd() && Peek() != c) {
        if (Peek() == '\\' && pos_ + 1 < s_.size()) {
          char e = Peek(1);
          if (e == '\\' || e == '\'' || e == '"') {
            value += e;
            pos_ += 2;
            continue;
          }
        }
        value += Peek();
        ++pos_;
      }
      if (AtEnd()) return Fail("unterminated string");
      ++pos_;
      out.literal = Json::String(std::move(value));
      return {};
    }
    if (IsDigit(c) || (c == '-' && IsDigit(Peek(1)))) {
      size_t start = pos_;
      if (c == '-') ++pos_;
      bool is_double = false;
      while (!AtEnd()) {
        char d = Peek();
        if (IsDigit(d)) {
        } else if (d == '.' || d == 'e' || d == 'E') {
          is_double = true;
        } else if ((d == '+' || d == '-') && (s_[pos_ - 1] == 'e' || s_[pos_ - 1] == 'E')) {
        } else {
          break;
        }
        ++pos_;
      }
      std::string_view num = s_.substr(start, pos_ - start);
      if (!is_double) {
        int64_t v = 0;
        auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
        if (ec == std::errc() && p == num.data() + num.size()) {
          out.literal = Json::Int(v);
          return {};
        }
      }
      double d = 0;
      auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), d);
      if (ec != std::errc() || p != num.data() + num.size()) {
        pos_ = start;
        return Fail("invalid number");
      }
      out.literal = Json::Double(d);
      return {};
    }
    if (c == '/') {
      ++pos_;
      std::string pattern;
      while (!AtEnd() && Peek() != '/') {
        if (Peek() == '\\' && pos_ + 1 < s_.size()) {
          if (Peek(1) != '/') pattern += '\\';
          pattern += Peek(1);
          pos_ += 2;
          continue;
        }
        pattern += Peek();
        ++pos_;
      }
      if (AtEnd()) return Fail("unterminated regular expression");
      ++pos_;
      auto flags = std::regex::ECMAScript;
      while (Peek() >= 'a' && Peek() <= 'z') {
        if (Peek() == 'i') flags |= std::regex::icase;
        ++pos_;
      }
      try {
        out.regex = std::make_shared<const std::regex>(pattern, flags);
      } catch (const std::regex_error&) {
        return Fail("invalid regular expression /" + pattern + "/");
      }
      out.kind = Operand::Kind::kRegex;
      return {};
    }
    if (IsVarChar(c)) {
      size_t start = pos_;
      while (IsVarChar(Peek()) || Peek() == '-') ++pos_;
      std::string_view word = s_.substr(start, pos_ - start);
      if (word == "true")
        out.literal = Json::Bool(true);
      else if (word == "false")
        out.literal = Json::Bool(false);
      else if (word == "null")
        out.literal = Json::Null();
      // A bare word is taken as a string (asl-validator accepts [?(@.OutputKey == FooBar)]).
      else
        out.literal = Json::String(std::string(word));
      return {};
    }
    if (AtEnd()) return Fail("unterminated filter");
    return Fail(std::string("unexpected character '") + c + "' in a filter");
  }

  std::string_view s_;
  size_t pos_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Evaluation

// A filter operand's value; `undefined` when a path found nothing.
struct Value {
  bool undefined = true;
  Json json;
};

void Collect(const std::vector<Step>& steps, size_t i, const Json& node, const Json& root,
             JsonArray& out);

Json LengthOf(const Json& node) {
  if (node.is_array() || node.is_object()) return Json::Int(static_cast<int64_t>(node.size()));
  return Json::Null();
}

// Jayway ArrayIndexToken.handleArrayIndex: a negative index counts from the end.
const Json* IndexInto(const Json& array, int64_t index) {
  int64_t n = static_cast<int64_t>(array.size());
  int64_t effective = index < 0 ? n + index : index;
  if (effective < 0 || effective >= n) return nullptr;
  return &array.as_array()[static_cast<size_t>(effective)];
}

// Walks a definite path without building messages. False when nothing is there.
bool TryDefinite(const std::vector<Step>& steps, const Json& doc, Json& result) {
  const Json* cur = &doc;
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    switch (s.kind) {
      case StepKind::kName:
        cur = cur->find(s.name);
        if (!cur) return false;
        break;
      case StepKind::kIndex:
        if (!cur->is_array()) return false;
        cur = IndexInto(*cur, s.index);
        if (!cur) return false;
        break;
      case StepKind::kLengthIndex:
        if (!cur->is_array()) return false;
        cur = IndexInto(*cur, static_cast<int64_t>(cur->size()) + s.index);
        if (!cur) return false;
        break;
      case StepKind::kNames: {
        if (!cur->is_object()) return false;
        std::vector<JsonMember> merged;
        for (const auto& name : s.names)
          if (const Json* v = cur->find(name)) merged.emplace_back(name, *v);
        result = Json::Object(std::move(merged));
        return true;
      }
      case StepKind::kLength:
        result = LengthOf(*cur);
        return true;
      default:
        return false;  // not reached for definite paths
    }
  }
  result = *cur;
  return true;
}

// The Java class Jayway's Jackson provider would report for a value.
const char* JavaClass(const Json& v) {
  switch (v.kind()) {
    case Json::Kind::kNull:
      return "null";
    case Json::Kind::kBool:
      return "java.lang.Boolean";
    case Json::Kind::kInt:
      return v.as_int() >= std::numeric_limits<int32_t>::min() &&
                     v.as_int() <= std::numeric_limits<int32_t>::max()
                 ? "java.lang.Integer"
                 : "java.lang.Long";
    case Json::Kind::kDouble:
      return "java.lang.Double";
    case Json::Kind::kString:
      return "java.lang.String";
    case Json::Kind::kArray:
      return "java.util.ArrayList";
    case Json::Kind::kObject:
      return "java.util.LinkedHashMap";
  }
  return "null";
}

// Walks a definite path that TryDefinite could not follow and words the failure as Jayway does
// (PropertyPathToken, PathToken.handleObjectProperty, ArrayPathToken.checkArrayModel,
// EvaluationContextImpl.getValue).
Error DiagnoseDefinite(const std::vector<Step>& steps, const std::string& normalized,
                       const Json& doc) {
  const Json* cur = &doc;
  size_t prefix = 1;  // "$"
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    std::string current_path = normalized.substr(0, prefix);
    switch (s.kind) {
      case StepKind::kName:
      case StepKind::kNames: {
        if (!cur->is_object()) {
          std::string fragment = normalized.substr(prefix, s.frag_end - prefix);
          return Runtime("Expected to find an object with property " + fragment + " in path " +
                         current_path + " but found '" + JavaClass(*cur) +
                         "'. This is not a json object according to the JsonProvider: "
                         "'com.jayway.jsonpath.spi.json.JacksonJsonProvider'.");
        }
        if (s.kind == StepKind::kNames) return Runtime("No results for path: " + normalized);
        const Json* next = cur->find(s.name);
        if (!next) {
          if (i + 1 == steps.size()) return Runtime("No results for path: " + normalized);
          return Runtime("Missing property in path " + normalized.substr(0, s.frag_end));
        }
        cur = next;
        break;
      }
      case StepKind::kIndex:
      case StepKind::kLengthIndex: {
        if (cur->is_null()) return Runtime("The path " + current_path + " is null");
        if (!cur->is_array()) {
          std::string fragment = normalized.substr(prefix, s.frag_end - prefix);
          return Runtime("Filter: " + fragment +
                         " can only be applied to arrays. Current context is: " + cur->Dump());
        }
        int64_t index =
            s.kind == StepKind::kIndex ? s.index : static_cast<int64_t>(cur->size()) + s.index;
        cur = IndexInto(*cur, index);
        if (!cur) return Runtime("No results for path: " + normalized);
        break;
      }
      default:
        return Runtime("No results for path: " + normalized);
    }
    prefix = s.frag_end;
  }
  return Runtime("No results for path: " + normalized);
}

Value EvaluateOperand(const Operand& op, const Json& item, const Json& root) {
  Value v;
  if (op.kind == Operand::Kind::kLiteral) {
    v.undefined = false;
    v.json = op.literal;
    return v;
  }
  const Json& base = op.absolute ? root : item;
  if (op.definite) {
    v.undefined = !TryDefinite(op.steps, base, v.json);
    return v;
  }
  JsonArray out;
  Collect(op.steps, 0, base, root, out);
  v.undefined = false;
  v.json = Json::Array(std::move(out));
  return v;
}

bool ParseNumber(const std::string& s, double& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

int CompareNumbers(const Json& a, const Json& b) {
  if (a.is_int() && b.is_int()) return a.as_int() < b.as_int() ? -1 : a.as_int() > b.as_int();
  double x = a.as_double(), y = b.as_double();
  return x < y ? -1 : x > y;
}

// Jayway ValueNode equality: numbers compare by value, a string and a number compare after
// converting the right operand to the left one's kind, objects and arrays deeply.
bool ValuesEqual(const Value& l, const Value& r) {
  if (l.undefined || r.undefined) return false;
  const Json& a = l.json;
  const Json& b = r.json;
  if (a.is_number() && b.is_number()) return CompareNumbers(a, b) == 0;
  if (a.is_number() && b.is_string()) {
    double d;
    return ParseNumber(b.as_string(), d) && a.as_double() == d;
  }
  if (a.is_string() && b.is_number()) return a.as_string() == b.Dump();
  if (a.kind() != b.kind()) return false;
  return a == b;
}

bool ValuesLess(const Value& l, const Value& r, bool or_equal) {
  if (l.undefined || r.undefined) return false;
  const Json& a = l.json;
  const Json& b = r.json;
  int c;
  if (a.is_number() && b.is_number())
    c = CompareNumbers(a, b);
  else if (a.is_string() && b.is_string())
    c = a.as_string().compare(b.as_string());
  else
    return false;
  return or_equal ? c <= 0 : c < 0;
}

bool RegexMatches(const Operand& pattern, const Value& v) {
  std::string input;
  if (!v.undefined) {
    if (v.json.is_string())
      input = v.json.as_string();
    else if (v.json.is_number())
      input = v.json.Dump();
    else if (v.json.is_bool())
      input = v.json.as_bool() ? "true" : "false";
  }
  return std::regex_match(input, *pattern.regex);
}

bool Test(const Filter& f, const Json& item, const Json& root) {
  switch (f.kind) {
    case Filter::Kind::kOr:
      for (const auto& c : f.children)
        if (Test(c, item, root)) return true;
      return false;
    case Filter::Kind::kAnd:
      for (const auto& c : f.children)
        if (!Test(c, item, root)) return false;
      return true;
    case Filter::Kind::kNot:
      return !Test(f.children[0], item, root);
    case Filter::Kind::kExists: {
      Value v = EvaluateOperand(f.lhs, item, root);
      if (v.undefined) return false;
      return f.lhs.definite || v.json.size() > 0;
    }
    case Filter::Kind::kCompare:
      break;
  }
  if (f.op == CmpOp::kMatch) {
    if (f.rhs.kind == Operand::Kind::kRegex)
      return RegexMatches(f.rhs, EvaluateOperand(f.lhs, item, root));
    return RegexMatches(f.lhs, EvaluateOperand(f.rhs, item, root));
  }
  Value l = EvaluateOperand(f.lhs, item, root);
  Value r = EvaluateOperand(f.rhs, item, root);
  switch (f.op) {
    case CmpOp::kEq:
      return ValuesEqual(l, r);
    case CmpOp::kNe:
      return !ValuesEqual(l, r);
    case CmpOp::kLt:
      return ValuesLess(l, r, false);
    case CmpOp::kLe:
      return ValuesLess(l, r, true);
    case CmpOp::kGt:
      return ValuesLess(r, l, false);
    case CmpOp::kGe:
      return ValuesLess(r, l, true);
    case CmpOp::kMatch:
      break;
  }
  return false;
}

// Applies steps[i] (ignoring its scan flag) to `node` and continues with the rest.
void ApplyStep(const std::vector<Step>& steps, size_t i, const Json& node, const Json& root,
               JsonArray& out) {
  const Step& s = steps[i];
  auto next = [&](const Json& child) { Collect(steps, i + 1, child, root, out); };
  switch (s.kind) {
    case StepKind::kName:
      if (const Json* c = node.find(s.name)) next(*c);
      return;
    case StepKind::kNames:
      if (!node.is_object()) return;
      if (i + 1 == steps.size()) {
        // Jayway merges the members of a leaf union into one object.
        std::vector<JsonMember> merged;
        for (const auto& name : s.names)
          if (const Json* v = node.find(name)) merged.emplace_back(name, *v);
        out.push_back(Json::Object(std::move(merged)));
        return;
      }
      for (const auto& name : s.names)
        if (const Json* v = node.find(name)) next(*v);
      return;
    case StepKind::kIndex:
      if (!node.is_array()) return;
      if (const Json* c = IndexInto(node, s.index)) next(*c);
      return;
    case StepKind::kIndexes:
      if (!node.is_array()) return;
      for (int64_t index : s.indexes)
        if (const Json* c = IndexInto(node, index)) next(*c);
      return;
    case StepKind::kLengthIndex:
      if (!node.is_array()) return;
      if (const Json* c = IndexInto(node, static_cast<int64_t>(node.size()) + s.index)) next(*c);
      return;
    case StepKind::kSlice: {
      // Jayway ArraySliceToken: [from:] counts a negative start from the end; [:to] likewise for
      // the end; [from:to] clips `to` to the length and visits from..to-1, where a negative
      // index again counts from the end.
      if (!node.is_array()) return;
      const JsonArray& a = node.as_array();
      int64_t n = static_cast<int64_t>(a.size());
      if (n == 0) return;
      int64_t from, to;
      if (s.from && !s.to) {
        from = *s.from < 0 ? std::max<int64_t>(0, n + *s.from) : *s.from;
        to = n;
      } else if (!s.from) {
        from = 0;
        to = std::min(n, *s.to < 0 ? n + *s.to : *s.to);
      } else {
        from = *s.from;
        to = std::min(n, *s.to);
      }
      for (int64_t k = from; k < to; ++k)
        if (const Json* c = IndexInto(node, k)) next(*c);
      return;
    }
    case StepKind::kWildcard:
      if (node.is_array()) {
        for (const auto& e : node.as_array()) next(e);
      } else if (node.is_object()) {
        for (const auto& m : node.as_object()) next(m.second);
      }
      return;
    case StepKind::kFilter:
      // Jayway PredicatePathToken: an array's elements are tested one by one; an object is
      // tested as a whole.
      if (node.is_array()) {
        for (const auto& e : node.as_array())
          if (Test(*s.filter, e, root)) next(e);
      } else if (node.is_object()) {
        if (Test(*s.filter, node, root)) next(node);
      }
      return;
    case StepKind::kLength:
      next(LengthOf(node));
      return;
  }
}

// Jayway ScanPathToken: which nodes a deep scan hands to the step after "..".
bool ScanMatches(const Step& s, const Json& node, const Json& root) {
  switch (s.kind) {
    case StepKind::kName:
      return node.find(s.name) != nullptr;
    case StepKind::kNames:
      if (!node.is_object()) return false;
      for (const auto& name : s.names)
        if (!node.find(name)) return false;
      return true;
    case StepKind::kIndex:
    case StepKind::kIndexes:
    case StepKind::kLengthIndex:
    case StepKind::kSlice:
      return node.is_array();
    case StepKind::kWildcard:
      return true;
    case StepKind::kFilter:
      return Test(*s.filter, node, root);
    case StepKind::kLength:
      return false;
  }
  return false;
}

void Walk(const std::vector<Step>& steps, size_t i, const Json& node, const Json& root,
          JsonArray& out) {
  const Step& s = steps[i];
  if (node.is_object()) {
    if (ScanMatches(s, node, root)) ApplyStep(steps, i, node, root, out);
    for (const auto& m : node.as_object()) Walk(steps, i, m.second, root, out);
  } else if (node.is_array()) {
    if (ScanMatches(s, node, root)) {
      if (i + 1 == steps.size()) {
        ApplyStep(steps, i, node, root, out);
      } else {
        // Jayway ScanPathToken.walkArray hands each element to the token after the matched one.
        for (const auto& e : node.as_array()) Collect(steps, i + 1, e, root, out);
      }
    }
    for (const auto& e : node.as_array()) Walk(steps, i, e, root, out);
  }
}

void Collect(const std::vector<Step>& steps, size_t i, const Json& node, const Json& root,
             JsonArray& out) {
  if (i == steps.size()) {
    out.push_back(node);
    return;
  }
  if (steps[i].scan)
    Walk(steps, i, node, root, out);
  else
    ApplyStep(steps, i, node, root, out);
}

}  // namespace

struct JsonPath::Impl {
  std::string text;
  Root root = Root::kInput;
  std::string variable;
  std::vector<Step> steps;
  std::string normalized;
  bool definite = true;
  bool reference = true;

  Result<Json> EvaluateDoc(const Json& doc) const {
    if (definite) {
      Json result;
      if (TryDefinite(steps, doc, result)) return result;
      return DiagnoseDefinite(steps, normalized, doc);
    }
    JsonArray out;
    Collect(steps, 0, doc, doc, out);
    return Json::Array(std::move(out));
  }
};

JsonPath::JsonPath() {
  static const std::shared_ptr<const Impl> kDollar = [] {
    auto impl = std::make_shared<Impl>();
    impl->text = "$";
    impl->normalized = "$";
    return std::shared_ptr<const Impl>(std::move(impl));
  }();
  impl_ = kDollar;
}

Result<JsonPath> JsonPath::Parse(std::string_view text) {
  auto impl = std::make_shared<Impl>();
  impl->text = std::string(text);
  // Jayway trims the path before compiling it.
  size_t b = 0, e = text.size();
  while (b < e && IsSpace(text[b])) ++b;
  while (e > b && IsSpace(text[e - 1])) --e;
  std::string_view body = text.substr(b, e - b);
  Parser p(body);
  if (body.empty()) return p.Fail("a path must not be empty");
  if (body[0] != '$') return p.Fail("a path must start with '$'");
  size_t pos = 1;
  if (body.size() > 1 && body[1] == '$') {
    impl->root = Root::kContext;
    pos = 2;
  } else if (body.size() > 1 && IsVarChar(body[1])) {
    impl->root = Root::kVariable;
    while (pos < body.size() && IsVarChar(body[pos])) ++pos;
    impl->variable = std::string(body.substr(1, pos - 1));
  }
  p.set_pos(pos);
  WHARF_TRY_STATUS(p.ParseSteps(impl->steps, /*in_filter=*/false));
  impl->definite = IsDefiniteSteps(impl->steps);
  impl->reference = true;
  impl->normalized = "$";
  for (Step& s : impl->steps) {
    if (s.scan || (s.kind != StepKind::kName && s.kind != StepKind::kIndex))
      impl->reference = false;
    AppendFragment(impl->normalized, s);
    s.frag_end = impl->normalized.size();
  }
  return JsonPath(std::shared_ptr<const Impl>(std::move(impl)));
}

const std::string& JsonPath::text() const { return impl_->text; }
JsonPath::Root JsonPath::root() const { return impl_->root; }
const std::string& JsonPath::variable() const { return impl_->variable; }
bool JsonPath::IsReferencePath() const { return impl_->reference; }
bool JsonPath::IsDefinite() const { return impl_->definite; }
const std::string& JsonPath::Normalized() const { return impl_->normalized; }

Result<Json> JsonPath::Evaluate(const Env& env) const {
  switch (impl_->root) {
    case Root::kInput:
      return impl_->EvaluateDoc(env.input);
    case Root::kContext:
      return impl_->EvaluateDoc(env.context);
    case Root::kVariable:
      break;
  }
  const Json* value = env.vars ? env.vars->Lookup(impl_->variable) : nullptr;
  if (!value) return Runtime("The variable '$" + impl_->variable + "' is not defined");
  return impl_->EvaluateDoc(*value);
}

Result<Json> JsonPath::EvaluateOn(const Json& doc) const { return impl_->EvaluateDoc(doc); }

std::string JsonPath::InvalidPathCause(const Error& error) const {
  return "Invalid path '" + impl_->text + "' : " + error.message;
}

// ---------------------------------------------------------------------------------------------
// ResultPath

namespace {

struct SetContext {
  const Json& doc;
  const std::vector<Step>& steps;
};

Error MatchFailure(const SetContext& ctx, const Step& s) {
  std::string step = s.kind == StepKind::kName ? s.name : std::to_string(s.index);
  return MakeError("States.ResultPathMatchFailure",
                   "Unable to apply step \"" + step + "\" to input " + ctx.doc.Dump());
}

// Returns `node` (absent when `node` is nullptr) with steps[i..] set to `value`.
Result<Json> SetFrom(const SetContext& ctx, const Json* node, size_t i, Json value) {
  if (i == ctx.steps.size()) return value;
  const Step& s = ctx.steps[i];
  if (s.kind == StepKind::kName) {
    // "If the ResultPath ... names a field that does not exist, the field is created"; a field
    // of a value that is not an object cannot be set (spec §ResultPath,
    // States.ResultPathMatchFailure).
    if (node && !node->is_object()) return MatchFailure(ctx, s);
    const Json* child = node ? node->find(s.name) : nullptr;
    WHARF_TRY(Json new_child, SetFrom(ctx, child, i + 1, std::move(value)));
    const Json& base = node ? *node : Json::EmptyObject();
    return base.Set(s.name, std::move(new_child));
  }
  // An index step replaces an existing element.
  if (!node || !node->is_array()) return MatchFailure(ctx, s);
  int64_t n = static_cast<int64_t>(node->size());
  int64_t index = s.index < 0 ? n + s.index : s.index;
  if (index < 0 || index >= n) return MatchFailure(ctx, s);
  const JsonArray& items = node->as_array();
  WHARF_TRY(Json new_child,
            SetFrom(ctx, &items[static_cast<size_t>(index)], i + 1, std::move(value)));
  JsonArray copy = items;
  copy[static_cast<size_t>(index)] = std::move(new_child);
  return Json::Array(std::move(copy));
}

}  // namespace

Result<Json> SetAtPath(const Json& doc, const JsonPath& path, Json value) {
  if (path.root() != JsonPath::Root::kInput || !path.IsReferencePath()) {
    return MakeError("States.Runtime",
                     "ResultPath '" + path.text() + "' is not a reference path into the input");
  }
  SetContext ctx{doc, path.impl_->steps};
  return SetFrom(ctx, &doc, 0, std::move(value));
}

}  // namespace wharf::asl
