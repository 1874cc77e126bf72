// Running one execution of a state machine in memory, to completion: what `wharf run` does and
// what the conformance replay drives. The durable service (a later issue) applies the same
// asl/ decisions through the StateStore instead.
// Thread-safety: RunExecution may be called from several threads at once with separate options.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "asl/definition.h"
#include "core/clock.h"
#include "core/json.h"
#include "store/state_store.h"
#include "tasks/function_runner.h"

namespace wharf::engine {

// The Step Functions history event types wharf records (GetExecutionHistory's `type`).
enum class EventType : uint8_t {
  kExecutionStarted,
  kExecutionSucceeded,
  kExecutionFailed,
  kExecutionTimedOut,
  kExecutionAborted,
  kExecutionRedriven,
  kPassStateEntered,
  kPassStateExited,
  kTaskStateEntered,
  kTaskStateExited,
  kTaskStateAborted,
  kTaskScheduled,
  kTaskStarted,
  kTaskSucceeded,
  kTaskFailed,
  kTaskTimedOut,
  kLambdaFunctionScheduled,
  kLambdaFunctionStarted,
  kLambdaFunctionSucceeded,
  kLambdaFunctionFailed,
  kLambdaFunctionTimedOut,
  kChoiceStateEntered,
  kChoiceStateExited,
  kWaitStateEntered,
  kWaitStateExited,
  kWaitStateAborted,
  kSucceedStateEntered,
  kSucceedStateExited,
  kFailStateEntered,
  kParallelStateEntered,
  kParallelStateExited,
  kParallelStateStarted,
  kParallelStateSucceeded,
  kParallelStateFailed,
  kParallelStateAborted,
  kMapStateEntered,
  kMapStateExited,
  kMapStateStarted,
  kMapStateSucceeded,
  kMapStateFailed,
  kMapStateAborted,
  kMapIterationStarted,
  kMapIterationSucceeded,
  kMapIterationFailed,
  kMapIterationAborted,
};
std::string_view EventTypeName(EventType t);  // "ExecutionStarted", ...

// One history event, stored compactly: the AWS-shaped details object is built only when asked
// for (Details / ToJson), so recording history costs little on the hot path.
struct HistoryEvent {
  // What a failure event reports; shared, since most events have none.
  struct Failure {
    std::optional<std::string> error;
    std::optional<std::string> cause;
  };

  int64_t id = 0;
  int64_t previous_event_id = 0;
  TimePoint timestamp;
  const asl::State* state = nullptr;       // the state the event is about, if any
  Json data;                               // input, output or parameters, as the type implies
  Json assigned;                           // for StateExited: the variables Assign set, or null
  std::shared_ptr<const Failure> failure;  // for failure events
  int64_t index = -1;  // Map iteration index, MapStateStarted length, or redrive count
  EventType type = EventType::kExecutionStarted;

  std::string_view type_name() const { return EventTypeName(type); }
  Json Details() const;  // e.g. {"name": "...", "input": "...", "inputDetails": {...}}
  Json ToJson() const;   // {"id","previousEventId","timestamp","type","<x>EventDetails":{...}}
  store::HistoryRecord ToRecord() const;  // as the store keeps it
};

// The store's execution statuses (AWS's values); the engine ends executions in one of them.
using store::ExecutionStatus;
using store::ExecutionStatusName;  // "SUCCEEDED", ...

struct RunOptions {
  // AWS service quotas: 256 KiB payloads and 25,000 history events. Off with --no-quotas.
  bool quotas = true;
  bool record_history = true;
  std::map<std::string, tasks::FunctionSpec> functions;
  std::string state_machine_name = "wharf";
  std::string execution_name;  // empty: a new UUID
  bool express = false;        // an Express execution (its ARN differs)
  bool synchronous = false;    // started by StartSyncExecution (no RedriveCount in $$)
  std::string region = "us-east-1";
  std::string account = "111111111111";
  Clock* clock = nullptr;    // nullptr: the system clock
  uint64_t random_seed = 0;  // 0: seeded from the OS
  // Runs a task whose Resource is not a function this engine knows (tests inject fakes here).
  // Returning std::nullopt means "not handled".
  std::function<std::optional<tasks::InvocationResult>(const std::string& resource,
                                                       const Json& input)>
      resource_hook;
  int max_parallel_tasks = 64;  // function processes running at once
};

struct RunResult {
  ExecutionStatus status = ExecutionStatus::kRunning;
  Json output;                       // when succeeded
  std::optional<std::string> error;  // when failed; absent when AWS reports none
  std::optional<std::string> cause;
  std::vector<HistoryEvent> history;
  int64_t transitions = 0;     // states entered, for benchmarks
  std::string execution_name;  // as given, or the UUID chosen
  std::string execution_arn;
};

RunResult RunExecution(std::shared_ptr<const asl::StateMachine> machine, const Json& input,
                       const RunOptions& options);

}  // namespace wharf::engine
