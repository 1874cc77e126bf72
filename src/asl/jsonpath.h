// JsonPath: the JSONPath dialect of Step Functions (Jayway JsonPath behaviour, as AWS uses it).
//
// A path starts with "$" (the state's input), "$$" (the context object) or "$name" (a variable
// set by Assign; the rest of the path applies to the variable's value; name characters are
// letters, digits and '_').
// A *reference path* (spec §Reference Paths) names a single node: only member names (.a or
// ['a']) and array indexes ([0]); it is what ResultPath and the Choice Variable need.
// Any other path may use wildcards (.* [*]), slices ([1:] [:2] [1:3]), unions ([0,1] ['a','b']),
// filters ([?(@.price < 10 && @.isbn)]), deep scan (..) and a trailing .length().
//
// Definite vs indefinite follows Jayway: a path is definite when it has no wildcard, slice,
// filter, deep scan or index union. A member union (['a','b']) as the last step is definite: it
// yields one object holding the members found (Jayway "merges" them).
// Jayway details kept on purpose: a slice's third number ([0:4:2]) is parsed and ignored; a
// bracketed name keeps its backslashes ($['a\"b'] names the key a\"b, as recorded on AWS);
// a dotted name runs to the next '.', '[', '(' or space, so $.input-foo-bar is one name.
//
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

  // A default-constructed JsonPath is "$" (the whole input).
  JsonPath();

  const std::string& text() const;
  Root root() const;
  const std::string& variable() const;  // the variable's name when root() == kVariable
  bool IsReferencePath() const;         // only names and indexes
  bool IsDefinite() const;              // evaluates to at most one node (Jayway's definition)

  // Jayway's normalized form of the path, as its error messages print it: "$['a']['b'][0]".
  // The root is always printed "$" (the context object and variables are documents of their own).
  const std::string& Normalized() const;

  // Evaluates against the right root taken from `env`.
  // A definite path yields the node, or an Error when a member or index is missing.
  // An indefinite path yields an array of all matches (possibly empty); it never fails (AWS
  // answers [] where Jayway would throw, e.g. $.items[1:] on {}), except for an undefined
  // variable.
  // Error: code "States.Runtime"; the message is Jayway's bare wording WITHOUT AWS's
  // "Invalid path '<text>' : " prefix, e.g. "Missing property in path $['no']" or
  // "No results for path: $['NoSuchInputPath']". InvalidPathCause() adds the prefix.
  Result<Json> Evaluate(const Env& env) const;
  // Evaluates against an explicit document, ignoring root() (the path's "$" is `doc`).
  Result<Json> EvaluateOn(const Json& doc) const;

  // AWS's cause for a failed InputPath/OutputPath/ItemsPath/...Path:
  // "Invalid path '<text>' : <jayway message>".
  std::string InvalidPathCause(const Error& error) const;

 private:
  friend Result<Json> SetAtPath(const Json& doc, const JsonPath& path, Json value);
  struct Impl;
  explicit JsonPath(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// ResultPath semantics (spec §ResultPath): returns `doc` with the node at `path` replaced by
// `value`, creating missing object members on the way. Only the objects along the path are
// rebuilt; everything else is shared with `doc`. An index step replaces an existing element
// (negative indexes count from the end); it never grows an array.
// REQUIRES: path.IsReferencePath() and path.root() == kInput.
// Errors: "States.ResultPathMatchFailure" when a step of the path meets a value that cannot hold
// it (a member of a string, number, boolean, null or array; an index into a non-array; an index
// past the end), with the cause "Unable to apply step \"<name or index>\" to input <doc as JSON>".
Result<Json> SetAtPath(const Json& doc, const JsonPath& path, Json value);

}  // namespace wharf::asl
