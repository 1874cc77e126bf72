// Payload templates (spec §Payload Template) and the dynamic values they contain.
//
// A template is a JSON value in which an object member whose name ends in ".$" takes its value
// from an Expression: a path ($.x, $$.Execution.Id, $var.x) or an intrinsic function call.
// Parameters, ResultSelector, ItemSelector and Assign are all templates; templates are compiled
// once when the definition is loaded and evaluated at every state.
// Thread-safety: immutable after Compile; Evaluate may run from any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "asl/env.h"
#include "asl/intrinsics.h"
#include "asl/jsonpath.h"
#include "core/json.h"
#include "core/result.h"

namespace wharf::asl {

// A path or an intrinsic call.
class Expression {
 public:
  // Text starting with "$" is a path, text starting with "States." an intrinsic call.
  // Errors: code "InvalidPath" / "InvalidIntrinsic" from the parsers, or "InvalidExpression" when
  // the text is neither.
  static Result<Expression> Parse(std::string_view text);
  const std::string& text() const;
  bool is_path() const;
  const JsonPath* path() const;  // nullptr for an intrinsic

  // `field` names the member for error causes, e.g. "value.$", "ErrorPath".
  // A definite path that finds nothing is "States.Runtime": "The JSONPath '$.x' specified for
  // the field 'value.$' could not be found in the input '<env.input as compact JSON>'" (AWS's
  // text; the input printed is always env.input, also for $$ and $var paths). An indefinite
  // path yields the array of its matches. An intrinsic's own errors pass through unchanged.
  Result<Json> Evaluate(const Env& env, std::string_view field) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

class PayloadTemplate {
 public:
  // Compiles `tmpl`. `where` prefixes error messages (e.g. "state 'X', field 'Parameters'").
  // Errors (code "InvalidDefinition") name the member whose expression is bad: a "x.$" member
  // whose value is not a string, not a path and not an intrinsic, or two members that are the
  // same name once ".$" is removed.
  static Result<PayloadTemplate> Compile(const Json& tmpl, std::string_view where);

  // Builds the payload: each "x.$" member becomes "x" with the expression's value; objects and
  // arrays nest. Constant subtrees (no "x.$" inside) are shared with the template, not copied;
  // a template without any expression evaluates to source() itself.
  // Errors: those of Expression::Evaluate, with the member's name ("x.$") as the field.
  Result<Json> Evaluate(const Env& env) const;

  const Json& source() const;

 private:
  struct Node;
  std::shared_ptr<const Node> root_;
  Json source_;
};

}  // namespace wharf::asl
