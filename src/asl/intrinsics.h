// Intrinsic functions of the Amazon States Language (spec §Intrinsic Functions): all 18 of them,
// States.Format, States.StringToJson, States.JsonToString, States.Array, States.ArrayPartition,
// States.ArrayContains, States.ArrayRange, States.ArrayGetItem, States.ArrayLength,
// States.ArrayUnique, States.Base64Encode, States.Base64Decode, States.Hash, States.JsonMerge,
// States.MathRandom, States.MathAdd, States.StringSplit, States.UUID.
// Arguments are string literals in single quotes (with the \' \{ \} \\ escapes), numbers,
// booleans, null, paths ($, $$, $name) and nested intrinsic calls.
// Thread-safety: immutable after Parse; Evaluate may run from any thread.
#pragma once

#include <memory>
#include <string_view>

#include "asl/env.h"
#include "core/json.h"
#include "core/result.h"

namespace wharf::asl {

class Intrinsic {
 public:
  // True when `text` looks like an intrinsic call ("States.Xxx(" after optional spaces).
  static bool Looks(std::string_view text);
  // Parses a call; the error (code "InvalidIntrinsic") names the function and the problem.
  static Result<Intrinsic> Parse(std::string_view text);

  // Evaluates the call. Failures are "States.IntrinsicFailure" (or "States.Runtime" where AWS
  // raises that) with AWS's cause text.
  Result<Json> Evaluate(const Env& env) const;

 private:
  struct Node;    // the parsed call tree (intrinsics.cc)
  struct Parser;  // recursive-descent parser over the call text (intrinsics.cc)
  std::shared_ptr<const Node> root_;
};

}  // namespace wharf::asl
