// JsonPath: the JSONPath dialect of Step Functions (Jayway JsonPath behaviour, as AWS uses it).
//
// A path starts with "$" (the state's input), "$$" (the context object) or "$name" (a variable
// set by Assign; the rest of the path applies to the variable's value).
// A *reference path* (spec §Reference Paths) names a single node: only member names (.a or
// ['a']) and array indexes ([0]); it is what ResultPath and the Choice Variable need.
// Any other path may use wildcards, slices, unions, filters and deep scan; it is *indefinite*
// and evaluates to an array of matches, as Jayway returns them.
// Thread-safety: immutable after Parse; Evaluate may run from any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "asl/env.h"
#include "core/json.h"
#include "core/result.h"

namespace wharf::asl {

class JsonPath {
 public:
  enum class Root { kInput, kContext, kVariable };

  // Parses `text`. The error (code "InvalidPath") says what is wrong and at which character.
  static Result<JsonPath> Parse(std::string_view text);

  const std::string& text() const;
  Root root() const;
  const std::string& variable() const;  // the variable's name when root() == kVariable
  bool IsReferencePath() const;         // only names and indexes
  bool IsDefinite() const;              // evaluates to at most one node (Jayway's definition)

  // Evaluates against the right root taken from `env`.
  // A definite path yields the node, or an Error when a member or index is missing.
  // An indefinite path yields an array of all matches (possibly empty).
  // Error causes use Jayway's wording, e.g. "Missing property in path $['no']" or
  // "No results for path: $['NoSuchInputPath']" (see the conformance cases), code "States.Runtime".
  Result<Json> Evaluate(const Env& env) const;
  // Evaluates against an explicit document, ignoring root() (the path's "$" is `doc`).
  Result<Json> EvaluateOn(const Json& doc) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

// ResultPath semantics (spec §ResultPath): returns `doc` with the node at `path` replaced by
// `value`, creating missing object members on the way. Only the objects along the path are
// rebuilt; everything else is shared with `doc`.
// REQUIRES: path.IsReferencePath() and path.root() == kInput.
// Errors: "States.ResultPathMatchFailure" when a step of the path meets a value that cannot hold
// it (e.g. a member of a string), with AWS's cause text.
Result<Json> SetAtPath(const Json& doc, const JsonPath& path, Json value);

}  // namespace wharf::asl
