// The interpreter's pure functions: each takes a state of the compiled definition, the values it
// works on and an Env, and returns a value or a States error. None of them does I/O, reads the
// clock or draws random numbers (the caller passes `now` and random bits in), so the engine can
// replay them exactly. The engine (src/engine/) sequences them, records history and runs tasks.
// Thread-safety: all functions are reentrant.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "asl/definition.h"
#include "asl/env.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/result.h"

namespace wharf::asl {

// The maximum size of a payload in bytes (AWS quota: 256 KiB of UTF-8).
inline constexpr size_t kMaxPayloadBytes = 256 * 1024;
// The maximum number of events in a Standard execution's history.
inline constexpr int64_t kMaxHistoryEvents = 25'000;

// Size in bytes of `doc` serialized compactly, without building the text; stops counting early
// once it exceeds `limit`.
size_t SerializedSize(const Json& doc, size_t limit = SIZE_MAX);

// InputPath (spec §InputPath): "$" by default; null gives {}.
Result<Json> ApplyInputPath(const State& state, const Json& raw_input, const Env& env);
// Parameters (or Map's ItemSelector) evaluated on the effective input, or the input unchanged.
Result<Json> ApplyParameters(const State& state, const Json& effective_input, const Env& env);
// ResultSelector applied to a task / Parallel / Map result, or the result unchanged.
Result<Json> ApplyResultSelector(const State& state, const Json& result, const Env& env);
// ResultPath (spec §ResultPath): "$" replaces the input by the result; null keeps the raw input;
// a reference path inserts the result into the raw input.
Result<Json> ApplyResultPath(const ResultPathField& result_path, const Json& raw_input,
                             Json result);
// OutputPath (spec §OutputPath): "$" by default; null gives {}.
Result<Json> ApplyOutputPath(const State& state, const Json& doc, const Env& env);

// Evaluates an Assign template and returns the new variable scope: the state's new values are
// visible from the next state on (all expressions of Assign see the values from before).
struct Assigned {
  std::shared_ptr<const VarScope> scope;  // the scope with the new values
  Json values;                            // the object of assigned names and values
};
Result<Assigned> ApplyAssign(const PayloadTemplate& assign,
                             const std::shared_ptr<const VarScope>& scope, const Env& env);

// Does an ErrorEquals list match `error`? States.ALL matches every error except States.Runtime
// and States.DataLimitExceeded; States.TaskFailed matches every error except States.Timeout
// and those two; States.Runtime is never caught or retried.
bool ErrorMatches(const std::vector<std::string>& error_equals, std::string_view error);

struct RetryDecision {
  bool retry = false;
  int retrier = -1;  // the matching retrier, even when exhausted
  std::chrono::milliseconds delay{0};
};
// Decides whether to retry after `error`, given how many times each retrier already fired
// (`attempts`, one counter per retrier; incremented here when retrying). `random_bits` drives
// JitterStrategy FULL.
RetryDecision DecideRetry(const State& state, std::string_view error,
                          std::vector<int64_t>& attempts, uint64_t random_bits);
// The first catcher that matches `error`, or -1.
int FindCatcher(const State& state, std::string_view error);
// {"Error": ..., "Cause": ...} as a catcher's result (members omitted when absent).
Json ErrorOutput(const Error& error, bool has_cause);

// Choice: the index of the next state and the matching rule's Assign (or nullptr).
struct ChoiceDecision {
  int next_index = -1;
  const PayloadTemplate* assign = nullptr;
};
Result<ChoiceDecision> DecideChoice(const StateMachine& machine, const State& state,
                                    const Env& env);

// Wait: when the wait ends. `env.input` is the effective input.
Result<TimePoint> WaitUntil(const State& state, const Env& env, TimePoint now);

// Fail: the error and cause, each possibly absent.
struct FailInfo {
  std::optional<std::string> error, cause;
};
Result<FailInfo> EvaluateFail(const State& state, const Env& env);

// A number given literally or by a path (TimeoutSeconds, HeartbeatSeconds, MaxConcurrency...).
// `field` names the field for messages.
Result<std::optional<int64_t>> ResolveIntOrPath(const IntOrPath& v, const Env& env,
                                                std::string_view field);

// Map: the items to iterate (ItemsPath or Items) from the effective input.
Result<Json> MapItems(const State& state, const Env& env);
// Map: the input of iteration `index` (ItemSelector with $$.Map.Item, or the item itself).
// `context` is the state's context object; `Map.Item` is added to it here.
Result<Json> MapIterationInput(const State& state, const Json& effective_input, const Json& context,
                               const VarScope* vars, Entropy* entropy, int64_t index,
                               const Json& item);
// Map: ItemBatcher's batches ({"Items": [...]} plus BatchInput) or the items unchanged.
Result<Json> MapBatches(const State& state, const Json& items, const Env& env);

struct Tolerance {
  int64_t count = -1;      // -1: not set
  double percentage = -1;  // -1: not set
};
Result<Tolerance> MapTolerance(const State& state, const Env& env);
Result<int64_t> MapMaxConcurrency(const State& state, const Env& env);  // 0: unlimited

}  // namespace wharf::asl
