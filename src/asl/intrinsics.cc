// Parsing and evaluation of intrinsic function calls (spec §Intrinsic Functions); the functions
// themselves are in intrinsic_functions.cc.
#include "asl/intrinsics.h"

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "asl/intrinsic_functions.h"
#include "asl/jsonpath.h"

namespace wharf::asl {

using intrinsic::Call;
using intrinsic::CheckArgument;
using intrinsic::Compatible;
using intrinsic::Failure;
using intrinsic::FindFunction;
using intrinsic::Fn;
using intrinsic::FnInfo;
using intrinsic::Kind;
using intrinsic::KindText;
using intrinsic::kMaxNesting;
using intrinsic::kVariadic;
using intrinsic::ParamKind;
using intrinsic::SplitTemplate;

// ---- the call tree ----

struct Intrinsic::Node {
  enum class Type { kLiteral, kPath, kCall };
  Type type = Type::kLiteral;
  Json value;                    // kLiteral
  std::string bad_escape;        // kLiteral: an escape other than \' \{ \} \\ (fails at run time)
  std::vector<bool> escaped;     // kLiteral string: which characters came from an escape
  std::optional<JsonPath> path;  // kPath
  const FnInfo* fn = nullptr;    // kCall
  std::vector<Node> args;        // kCall
  std::vector<std::string> pieces;  // States.Format with a literal template: text around the {}

  Kind StaticKind() const {
    switch (type) {
      case Type::kLiteral:
        return value.is_string()   ? Kind::kString
               : value.is_bool()   ? Kind::kBool
               : value.is_int()    ? Kind::kInteger
               : value.is_number() ? Kind::kNumber
                                   : Kind::kAny;
      case Type::kPath:
        return Kind::kAny;
      case Type::kCall:
        return fn->result;
    }
    return Kind::kAny;
  }

  Result<Json> Evaluate(const Env& env) const;
};

Result<Json> Intrinsic::Node::Evaluate(const Env& env) const {
  switch (type) {
    case Type::kLiteral:
      if (!bad_escape.empty()) {
        // "If an open escape backslash \ is found in the intrinsic invocation string, the
        // interpreter will throw a runtime error" (AWS developer guide, reserved characters).
        return MakeError("States.IntrinsicFailure",
                         "Invalid escape sequence '" + bad_escape + "' in a string literal");
      }
      return value;
    case Type::kPath: {
      auto r = path->Evaluate(env);
      if (r.ok() || r.error().code != "States.Runtime") return r;
      bool undefined_variable = path->root() == JsonPath::Root::kVariable &&
                                !(env.vars && env.vars->Lookup(path->variable()));
      if (undefined_variable) return r;
      // A path argument that matches nothing fails as a path field does on AWS:
      // "Invalid path '$.x' : <Jayway's message>".
      return MakeError("States.Runtime", path->InvalidPathCause(r.error()));
    }
    case Type::kCall:
      break;
  }
  std::vector<Json> values;
  values.reserve(args.size());
  for (size_t i = 0; i < args.size(); ++i) {
    WHARF_TRY(Json v, args[i].Evaluate(env));
    if (std::string problem = CheckArgument(*fn, i, v); !problem.empty()) {
      return Failure(*fn, problem);
    }
    values.push_back(std::move(v));
  }
  return Call(*fn, std::move(values), pieces.empty() ? nullptr : &pieces, env);
}

// ---- parsing ----

struct Intrinsic::Parser {
  std::string_view text;
  size_t pos = 0;

  static bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
  static bool IsNameChar(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  }
  void SkipSpaces() {
    while (pos < text.size() && IsSpace(text[pos])) ++pos;
  }
  bool AtDelimiter() const {
    return pos >= text.size() || text[pos] == ',' || text[pos] == ')' || IsSpace(text[pos]);
  }

  Error Fail(std::string_view where, std::string_view problem, size_t at) const {
    return MakeError("InvalidIntrinsic", std::string(where) + ": " + std::string(problem) +
                                             " at character " + std::to_string(at + 1) + " of \"" +
                                             std::string(text) + "\"");
  }

  Result<Node> ParseCall(int depth) {
    size_t start = pos;
    while (pos < text.size() && (IsNameChar(text[pos]) || text[pos] == '.')) ++pos;
    std::string_view name = text.substr(start, pos - start);
    const FnInfo* fn = FindFunction(name);
    if (!fn) {
      return Fail("Intrinsic", "unknown function '" + std::string(name) + "'", start);
    }
    if (depth > kMaxNesting) {
      return Fail(fn->name, "intrinsic functions may be nested at most 10 deep", start);
    }
    SkipSpaces();
    if (pos >= text.size() || text[pos] != '(') return Fail(fn->name, "expected '('", pos);
    ++pos;
    Node node;
    node.type = Node::Type::kCall;
    node.fn = fn;
    SkipSpaces();
    if (pos < text.size() && text[pos] == ')') {
      ++pos;
    } else {
      while (true) {
        SkipSpaces();
        size_t arg_start = pos;
        WHARF_TRY(Node arg, ParseArgument(*fn, depth));
        WHARF_TRY_STATUS(CheckStatic(*fn, node.args.size(), arg, arg_start));
        node.args.push_back(std::move(arg));
        SkipSpaces();
        if (pos < text.size() && text[pos] == ',') {
          ++pos;
          continue;
        }
        if (pos < text.size() && text[pos] == ')') {
          ++pos;
          break;
        }
        return Fail(fn->name, pos < text.size() ? "expected ',' or ')'" : "missing ')'", pos);
      }
    }
    int n = static_cast<int>(node.args.size());
    if (n < fn->min_args || n > fn->max_args) {
      std::string expected =
          fn->max_args == kVariadic ? "at least " + std::to_string(fn->min_args)
          : fn->min_args == fn->max_args
              ? std::to_string(fn->min_args)
              : std::to_string(fn->min_args) + " or " + std::to_string(fn->max_args);
      bool singular = fn->min_args == 1 && (fn->max_args == 1 || fn->max_args == kVariadic);
      return Fail(fn->name,
                  "takes " + expected + (singular ? " argument" : " arguments") + " but " +
                      std::to_string(n) + (n == 1 ? " is" : " are") + " given",
                  start);
    }
    if (fn->fn == Fn::kFormat && node.args[0].type == Node::Type::kLiteral &&
        node.args[0].bad_escape.empty()) {
      node.pieces = SplitTemplate(node.args[0].value.as_string(), &node.args[0].escaped);
      if (node.pieces.size() != node.args.size()) {
        return Fail(fn->name,
                    "the template has " + std::to_string(node.pieces.size() - 1) +
                        " placeholders but " + std::to_string(node.args.size() - 1) +
                        " values follow it",
                    start);
      }
    }
    return node;
  }

  // Literal arguments and nested calls of a known result kind are checked now, so that a
  // definition that can never work is rejected when it is loaded.
  Status CheckStatic(const FnInfo& fn, size_t index, const Node& arg, size_t at) const {
    if (index >= static_cast<size_t>(fn.max_args)) return {};  // counted after the list
    if (arg.type == Node::Type::kLiteral) {
      if (!arg.bad_escape.empty()) return {};
      std::string problem = CheckArgument(fn, index, arg.value);
      if (!problem.empty()) return Fail(fn.name, problem, at);
    } else if (arg.type == Node::Type::kCall &&
               !Compatible(ParamKind(fn, index), arg.StaticKind())) {
      return Fail(fn.name,
                  "argument " + std::to_string(index + 1) + " must be " +
                      KindText(ParamKind(fn, index)) + ", but " + std::string(arg.fn->name) +
                      " returns " + KindText(arg.StaticKind()),
                  at);
    }
    return {};
  }

  Result<Node> ParseArgument(const FnInfo& fn, int depth) {
    if (pos >= text.size()) return Fail(fn.name, "missing ')'", pos);
    char c = text[pos];
    if (c == '\'') return ParseString(fn);
    if (c == '$') return ParsePath(fn);
    if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber(fn);
    if (text.substr(pos, 7) == "States.") return ParseCall(depth + 1);
    for (auto [word, value] : {std::pair{"true", Json::Bool(true)},
                               std::pair{"false", Json::Bool(false)}, std::pair{"null", Json()}}) {
      std::string_view w(word);
      if (text.substr(pos, w.size()) != w) continue;
      pos += w.size();
      if (AtDelimiter()) {
        Node node;
        node.value = value;
        return node;
      }
      pos -= w.size();
    }
    return Fail(fn.name,
                "expected a string in single quotes, a number, true, false, null, a path or "
                "an intrinsic function",
                pos);
  }

  Result<Node> ParseString(const FnInfo& fn) {
    size_t start = pos++;
    std::string value;
    std::vector<bool> escaped;
    Node node;
    while (pos < text.size() && text[pos] != '\'') {
      char c = text[pos++];
      if (c != '\\') {
        value.push_back(c);
        escaped.push_back(false);
        continue;
      }
      if (pos >= text.size()) break;
      char e = text[pos++];
      // Reserved characters: \' \{ \} \\ stand for ' { } \ (spec §Intrinsic Functions).
      if (e != '\'' && e != '{' && e != '}' && e != '\\' && node.bad_escape.empty()) {
        node.bad_escape = std::string("\\") + e;
      }
      value.push_back(e);
      escaped.push_back(true);
    }
    if (pos >= text.size()) return Fail(fn.name, "unterminated string literal", start);
    ++pos;  // the closing quote
    if (!AtDelimiter()) return Fail(fn.name, "expected ',' or ')' after the string", pos);
    node.value = Json::String(std::move(value));
    node.escaped = std::move(escaped);
    return node;
  }

  Result<Node> ParseNumber(const FnInfo& fn) {
    size_t start = pos;
    if (text[pos] == '-') ++pos;
    auto digits = [&] {
      size_t from = pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
      return pos > from;
    };
    bool ok = digits();
    bool is_int = true;
    if (ok && pos < text.size() && text[pos] == '.') {
      ++pos;
      ok = digits();
      is_int = false;
    }
    if (ok && pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
      ++pos;
      if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) ++pos;
      ok = digits();
      is_int = false;
    }
    if (!ok || !AtDelimiter()) return Fail(fn.name, "invalid number", start);
    std::string_view s = text.substr(start, pos - start);
    Node node;
    int64_t i = 0;
    if (is_int && std::from_chars(s.data(), s.data() + s.size(), i).ec == std::errc()) {
      node.value = Json::Int(i);
    } else {
      double d = 0;
      std::from_chars(s.data(), s.data() + s.size(), d);
      node.value = Json::Double(d);
    }
    return node;
  }

  // A path runs to the next ',' ')' or space that is outside brackets, parentheses and quotes,
  // so filters such as $.a[?(@.k == 'x, y')].v stay whole.
  Result<Node> ParsePath(const FnInfo& fn) {
    size_t start = pos;
    std::string open;  // the brackets and parentheses not closed yet
    char quote = 0;
    for (; pos < text.size(); ++pos) {
      char c = text[pos];
      if (quote) {
        if (c == '\\')
          ++pos;
        else if (c == quote)
          quote = 0;
        continue;
      }
      if (!open.empty() && (c == '\'' || c == '"')) {
        quote = c;
      } else if (c == '[' || c == '(') {
        open.push_back(c);
      } else if (c == ']' || c == ')') {
        if (open.empty() || open.back() != (c == ']' ? '[' : '(')) break;
        open.pop_back();
      } else if (open.empty() && (c == ',' || IsSpace(c))) {
        break;
      }
    }
    std::string_view path_text = text.substr(start, pos - start);
    auto path = JsonPath::Parse(path_text);
    if (!path.ok()) {
      return Fail(fn.name,
                  "invalid path '" + std::string(path_text) + "' (" + path.error().message + ")",
                  start);
    }
    Node node;
    node.type = Node::Type::kPath;
    node.path = std::move(path).value();
    return node;
  }
};

bool Intrinsic::Looks(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && Parser::IsSpace(text[i])) ++i;
  if (text.substr(i, 7) != "States.") return false;
  i += 7;
  size_t name_start = i;
  while (i < text.size() && Parser::IsNameChar(text[i])) ++i;
  if (i == name_start) return false;
  while (i < text.size() && Parser::IsSpace(text[i])) ++i;
  return i < text.size() && text[i] == '(';
}

Result<Intrinsic> Intrinsic::Parse(std::string_view text) {
  Parser p{text};
  p.SkipSpaces();
  if (text.substr(p.pos, 7) != "States.") {
    return p.Fail("Intrinsic", "expected an intrinsic function such as States.Format(...)", p.pos);
  }
  WHARF_TRY(Node root, p.ParseCall(1));
  p.SkipSpaces();
  if (p.pos < text.size()) {
    return p.Fail(root.fn->name, "unexpected text after the call", p.pos);
  }
  Intrinsic out;
  out.root_ = std::make_shared<const Node>(std::move(root));
  return out;
}

Result<Json> Intrinsic::Evaluate(const Env& env) const {
  if (!root_) return MakeError("States.Runtime", "Evaluate called on an unparsed intrinsic");
  return root_->Evaluate(env);
}

}  // namespace wharf::asl
