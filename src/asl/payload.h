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
  static Result<Expression> Parse(std::string_view text);
  const std::string& text() const;
  bool is_path() const;
  const JsonPath* path() const;  // nullptr for an intrinsic

  // `field` names the member for error causes, e.g. "value.$", "ErrorPath".
  // A missing path is "States.Runtime": "The JSONPath '$.x' specified for the field 'value.$'
  // could not be found in the input '<input as JSON>'" (AWS's text).
  Result<Json> Evaluate(const Env& env, std::string_view field) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

class PayloadTemplate {
 public:
  // Compiles `tmpl`. `where` prefixes error messages (e.g. "state 'X', field 'Parameters'").
  // Errors (code "InvalidDefinition") name the member whose expression is bad.
  static Result<PayloadTemplate> Compile(const Json& tmpl, std::string_view where);

  // Builds the payload. Constant subtrees are shared with the template, not copied.
  Result<Json> Evaluate(const Env& env) const;

  const Json& source() const;

 private:
  struct Node;
  std::shared_ptr<const Node> root_;
  Json source_;
};

}  // namespace wharf::asl
