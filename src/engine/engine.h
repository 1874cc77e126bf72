// Engine: the durable, long-running engine of `wharf serve` (docs/durable.md). It runs many
// executions at once over a StateStore: every step is committed before it is acted on, commits
// are grouped across executions, function tasks go through the store's leased task queue to a
// worker pool with per-function concurrency limits, and at start-up it takes back every running
// execution from its snapshot.
//
// One loop thread decides (it owns every in-memory execution); API threads call the methods
// below, which hand their request to the loop and wait until the commit that carries it is
// durable. Reads (DescribeExecution, GetExecutionHistory, ListExecutions) go to the store
// directly: it only ever holds committed steps.
//
// Thread-safety: every public method may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "store/state_store.h"
#include "tasks/function_runner.h"

namespace wharf::engine {

struct EngineOptions {
  store::StateStore* store = nullptr;  // REQUIRED; outlives the engine
  std::map<std::string, tasks::FunctionSpec> functions;
  // Per function: how many of its processes may run at once (0: no limit of its own).
  std::map<std::string, int> concurrency;
  int max_parallel_tasks = 64;  // function processes running at once, all functions together
  std::string region = "us-east-1";
  std::string account = "111111111111";
  bool quotas = true;
  Clock* clock = nullptr;  // nullptr: the system clock
  // This node's name in the store's leases; "" makes one from host, pid and start time.
  std::string owner;
  // Most executions' steps written in one commit.
  int max_batch = 256;
  // Where running function processes are recorded (tasks/process_registry.h), so that the next
  // start kills those a crash left behind; "" for nowhere. `wharf serve`: DATA/processes.
  std::string process_dir;
};

struct StartRequest {
  std::string state_machine;  // name or ARN
  std::string name;           // "" -> a new UUID
  std::string input = "{}";   // JSON text
};

struct StartResponse {
  std::string execution_arn;
  TimePoint start_date;
};

struct RedriveResponse {
  TimePoint redrive_date;
};

// What a task token's SendTask* call delivers.
struct TokenOutcome {
  bool success = true;
  std::string output;  // JSON text, when success
  std::string error;   // when !success
  std::string cause;
};

class Engine {
 public:
  // Recovers the running executions of the store and starts the loop and the workers.
  static Result<std::unique_ptr<Engine>> Start(EngineOptions options);
  virtual ~Engine() = default;

  // Errors carry AWS's names as the code: StateMachineDoesNotExist, ExecutionAlreadyExists,
  // InvalidExecutionInput, ExecutionDoesNotExist, ExecutionNotRedrivable, TaskDoesNotExist,
  // TaskTimedOut, InvalidToken, InvalidOutput, InvalidName...
  virtual Result<StartResponse> StartExecution(const StartRequest& request) = 0;
  // Returns the stop date. A closed execution is not changed (AWS answers it without error).
  virtual Result<TimePoint> StopExecution(const std::string& execution_arn,
                                          std::optional<std::string> error,
                                          std::optional<std::string> cause) = 0;
  virtual Result<RedriveResponse> RedriveExecution(const std::string& execution_arn) = 0;
  virtual Status SendTaskOutcome(const std::string& token, const TokenOutcome& outcome) = 0;
  virtual Status SendTaskHeartbeat(const std::string& token) = 0;

  // Blocks until the execution is closed or `timeout` passes; returns it as stored then.
  virtual Result<store::Execution> WaitForExecution(const std::string& execution_arn,
                                                    std::chrono::milliseconds timeout) = 0;

  // Stops the loop, drops the tasks that have not started, and waits for the function processes
  // that are running: their results are stored and applied at the next start. (A kill -9 does
  // not wait: those tasks run again at the next start, the one repeat the design allows.)
  virtual void Shutdown() = 0;

  struct Stats {
    int64_t transitions = 0;  // states entered
    int64_t commits = 0;      // store commits made by the loop
    int64_t running = 0;      // executions in memory
  };
  virtual Stats GetStats() const = 0;
};

}  // namespace wharf::engine
