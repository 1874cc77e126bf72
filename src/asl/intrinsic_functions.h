// The 18 intrinsic functions of the Amazon States Language (spec §Intrinsic Functions): their
// signatures, the checks of their arguments and their bodies. Internal to the asl layer: the
// parser and evaluator of calls (intrinsics.h) is the public interface.
// Thread-safety: stateless functions; the signature table is immutable.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "asl/env.h"
#include "core/json.h"
#include "core/result.h"

namespace wharf::asl::intrinsic {

enum class Fn {
  kFormat,
  kStringToJson,
  kJsonToString,
  kArray,
  kArrayPartition,
  kArrayContains,
  kArrayRange,
  kArrayGetItem,
  kArrayLength,
  kArrayUnique,
  kBase64Encode,
  kBase64Decode,
  kHash,
  kJsonMerge,
  kMathRandom,
  kMathAdd,
  kStringSplit,
  kUuid,
};

// What an argument must be (checked on literals at Parse and on every value at Evaluate), and
// what a call returns (so that a nested call of the wrong kind is caught at Parse).
enum class Kind { kAny, kString, kNumber, kInteger, kArray, kObject, kBool };

constexpr int kVariadic = 1000;
// "You can nest up to 10 intrinsic functions within a field" (AWS developer guide).
constexpr int kMaxNesting = 10;

struct FnInfo {
  Fn fn;
  std::string_view name;  // "States.Format"
  int min_args, max_args;
  std::vector<Kind> params;  // the last entry repeats for variadic functions
  Kind result;
};

// The function named `name` ("States.Format"), or nullptr.
const FnInfo* FindFunction(std::string_view name);
Kind ParamKind(const FnInfo& f, size_t index);
const char* KindText(Kind kind);  // "a string", "an array", ...
// Whether a value of static kind `have` may satisfy a parameter of kind `param`.
bool Compatible(Kind param, Kind have);

// Checks argument `index` of `f` on its own (kind and single-value limits such as a positive
// chunk size or a known hash algorithm). Returns the problem, or "" when the value is fine.
std::string CheckArgument(const FnInfo& f, size_t index, const Json& value);

// The runtime failure of `f`: code "States.IntrinsicFailure",
// cause "Invalid arguments in States.X: <problem>".
Error Failure(const FnInfo& f, std::string_view problem);

// Splits a States.Format template at its "{}" placeholders. `escaped` (one flag per byte of
// `text`, or nullptr) marks braces written \{ \} in a string literal, which are not placeholders.
std::vector<std::string> SplitTemplate(std::string_view text, const std::vector<bool>* escaped);

// Runs `f` on arguments that passed CheckArgument. `format_pieces` is the split template of a
// States.Format whose template is a literal, else nullptr.
Result<Json> Call(const FnInfo& f, std::vector<Json> args,
                  const std::vector<std::string>* format_pieces, const Env& env);

}  // namespace wharf::asl::intrinsic
