// SfnService: the Step Functions API (AWS JSON 1.0, target prefix "AWSStepFunctions") over the
// durable StateStore and the durable Engine. docs/api-server.md lists the actions and what each
// answers.
//
// - State machines live in the store, with revisions: Create/Update/Describe/List/Delete
//   StateMachine and ValidateStateMachineDefinition. Every definition is checked with
//   asl::ParseDefinition before it is stored.
// - Executions are read from the store (it only ever holds committed steps): DescribeExecution,
//   ListExecutions, GetExecutionHistory, DescribeStateMachineForExecution.
// - StartExecution, StopExecution, RedriveExecution and SendTask{Success,Failure,Heartbeat} go to
//   the engine; without one (engine == nullptr) they answer ServiceUnavailable.
// - StartSyncExecution runs an EXPRESS machine in memory (engine::RunExecution) and answers with
//   its result; parsed definitions are cached by revision id.
//
// Requests and responses are the AWS JSON bodies; errors carry AWS's error names as the Error
// code (StateMachineDoesNotExist, InvalidArn, InvalidName, ValidationException, ...).
//
// Thread-safety: Handle may be called from several threads at once (the store and the engine are
// thread-safe; the parse cache has its own lock). Engine-backed actions and StartSyncExecution
// block the calling thread until the engine answers or the execution ends.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "asl/definition.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/result.h"
#include "engine/engine.h"
#include "store/state_store.h"
#include "tasks/function_runner.h"

namespace wharf::api {

struct SfnOptions {
  std::string region = "us-east-1";
  std::string account = "111111111111";
  bool quotas = true;
  // The functions StartSyncExecution's in-memory executions can call.
  std::map<std::string, tasks::FunctionSpec> functions;
  Clock* clock = nullptr;  // nullptr: the system clock
};

// The ARN of state machine `name`: arn:aws:states:REGION:ACCOUNT:stateMachine:NAME.
std::string StateMachineArn(const SfnOptions& options, std::string_view name);

// The row for a state machine of the project file, as `wharf serve` puts it with
// PutMode::kCreateOrUpdate before it builds the service: ARN from the options, the default role
// (arn:aws:iam::ACCOUNT:role/wharf) and an empty config, so that an unchanged project file
// writes no new revision at the next start. REQUIRES: the definition was validated.
store::StateMachine ProjectStateMachine(const SfnOptions& options, std::string name,
                                        std::string definition, store::MachineType type);

class SfnService {
 public:
  // REQUIRES: `store` outlives the service; `engine`, when not null, too.
  SfnService(store::StateStore* store, engine::Engine* engine, SfnOptions options);

  // Runs `action` (e.g. "StartExecution") on a request body; unknown actions are
  // "UnknownOperationException".
  Result<Json> Handle(std::string_view action, const Json& request) const;

  std::string StateMachineArn(std::string_view name) const;
  // arn:aws:states:REGION:ACCOUNT:execution:MACHINE:NAME
  std::string ExecutionArn(std::string_view machine, std::string_view name) const;

 private:
  // State machines (sfn_machines.cc).
  Result<Json> CreateStateMachine(const Json& request) const;
  Result<Json> UpdateStateMachine(const Json& request) const;
  Result<Json> DescribeStateMachine(const Json& request) const;
  Result<Json> ListStateMachines(const Json& request) const;
  Result<Json> DeleteStateMachine(const Json& request) const;
  Result<Json> ValidateDefinition(const Json& request) const;
  // The stateMachineArn member, checked, and its machine.
  Result<store::StateMachine> FindMachine(const Json& request) const;

  // Execution reads (sfn_executions.cc).
  Result<Json> DescribeExecution(const Json& request) const;
  Result<Json> ListExecutions(const Json& request) const;
  Result<Json> GetExecutionHistory(const Json& request) const;
  Result<Json> DescribeStateMachineForExecution(const Json& request) const;
  // The executionArn member, checked.
  Result<std::string> ExecutionArnMember(const Json& request) const;

  // Engine-backed actions and StartSyncExecution (sfn_run.cc).
  Result<Json> StartExecution(const Json& request) const;
  Result<Json> StopExecution(const Json& request) const;
  Result<Json> RedriveExecution(const Json& request) const;
  Result<Json> SendTaskSuccess(const Json& request) const;
  Result<Json> SendTaskFailure(const Json& request) const;
  Result<Json> SendTaskHeartbeat(const Json& request) const;
  Result<Json> StartSyncExecution(const Json& request) const;
  Result<engine::Engine*> RequireEngine(std::string_view action) const;
  // The parsed definition of a stored revision, from the cache or parsed now.
  Result<std::shared_ptr<const asl::StateMachine>> Parsed(const store::StateMachine& m) const;

  Clock& clock() const;
  std::string DefaultRoleArn() const;

  store::StateStore* store_;
  engine::Engine* engine_;
  SfnOptions options_;
  mutable SystemClock system_clock_;

  mutable std::mutex cache_mu_;
  // Parsed definitions by revision id; guarded by cache_mu_. Cleared when it grows past a bound.
  mutable std::map<std::string, std::shared_ptr<const asl::StateMachine>> parsed_;
};

}  // namespace wharf::api
