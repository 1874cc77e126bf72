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

  // Evaluates the rule against env. A Variable path that matches nothing is false for every
  // operator except IsPresent (which is then false: spec) -- but AWS raises States.Runtime for a
  // missing Variable outside IsPresent; follow AWS and the conformance cases.
  Result<bool> Evaluate(const Env& env) const;

  const std::string& next() const;                 // top-level rules only
  const PayloadTemplate* assign() const;           // the rule's Assign, or nullptr

 private:
  struct Node;
  std::shared_ptr<const Node> root_;
  std::string next_;
  std::shared_ptr<const PayloadTemplate> assign_;
};

}  // namespace wharf::asl
