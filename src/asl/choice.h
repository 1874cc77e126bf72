// Choice rules (spec §Choice Rules): the comparison operators and their ...Path forms
// (StringEquals, StringLessThan, StringGreaterThan, StringLessThanEquals,
// StringGreaterThanEquals, StringMatches, NumericEquals/LessThan/GreaterThan/LessThanEquals/
// GreaterThanEquals, BooleanEquals, TimestampEquals/LessThan/GreaterThan/LessThanEquals/
// GreaterThanEquals), the type tests IsNull, IsPresent, IsNumeric, IsString, IsBoolean,
// IsTimestamp, and the combinators And, Or, Not.
// Thread-safety: immutable after Parse; Evaluate may run from any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "asl/env.h"
#include "asl/payload.h"
#include "core/json.h"
#include "core/result.h"

namespace wharf::asl {

class ChoiceRule {
 public:
  // Parses one rule. `top_level` rules must have Next (and may have Assign); nested ones (inside
  // And/Or/Not) must not. `where` names the place for messages, e.g. "state 'Check', Choices[2]".
  static Result<ChoiceRule> Parse(const Json& rule, bool top_level, std::string_view where);

  // Evaluates the rule against env.
  // - IsPresent is the only test a missing Variable answers: it is then not present.
  // - Any other operator whose Variable (or ...Path operand) matches nothing fails with
  //   "States.Runtime" and AWS's cause "Invalid path '$.x': The choice state's condition path
  //   references an invalid value." (the interpreter prefixes "An error occurred while executing
  //   the state ...").
  // - A value of the wrong type for the operator (a string for NumericEquals, a non-timestamp
  //   string for TimestampEquals, ...) makes the comparison false, never an error.
  // - And/Or stop at the first rule that settles the answer, so an IsPresent guard protects the
  //   rules after it.
  Result<bool> Evaluate(const Env& env) const;

  const std::string& next() const;        // top-level rules only
  const PayloadTemplate* assign() const;  // the rule's Assign, or nullptr

 private:
  struct Node;
  std::shared_ptr<const Node> root_;
  std::string next_;
  std::shared_ptr<const PayloadTemplate> assign_;
};

}  // namespace wharf::asl
