// SfnService: the Step Functions actions that need no durable store yet, over a registry of state
// machines: ValidateStateMachineDefinition, ListStateMachines, DescribeStateMachine and
// StartSyncExecution (which runs an Express execution in memory and answers with its result).
// Requests and responses are the AWS JSON 1.0 bodies; errors carry AWS's error names
// (StateMachineDoesNotExist, InvalidArn, InvalidDefinition, ...) as the Error code.
// The durable actions (StartExecution, DescribeExecution, GetExecutionHistory, ...) come with
// the state store (docs/durable.md).
// Thread-safety: Handle may be called from several threads at once; the registry is fixed after
// construction.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "asl/definition.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/result.h"
#include "tasks/function_runner.h"

namespace wharf::api {

struct StateMachineEntry {
  std::string name;
  std::string definition;  // the text, as DescribeStateMachine returns it
  bool express = false;
  std::shared_ptr<const asl::StateMachine> machine;
  TimePoint created;
};

struct SfnOptions {
  std::string region = "us-east-1";
  std::string account = "111111111111";
  bool quotas = true;
  std::map<std::string, tasks::FunctionSpec> functions;
  Clock* clock = nullptr;  // nullptr: the system clock
};

class SfnService {
 public:
  SfnService(std::vector<StateMachineEntry> machines, SfnOptions options);

  // Runs `action` (e.g. "StartSyncExecution") on a request body; unknown actions are
  // "UnknownOperationException".
  Result<Json> Handle(std::string_view action, const Json& request) const;

  std::string StateMachineArn(const std::string& name) const;

 private:
  Result<Json> Validate(const Json& request) const;
  Result<Json> List(const Json& request) const;
  Result<Json> Describe(const Json& request) const;
  Result<Json> StartSync(const Json& request) const;
  Result<const StateMachineEntry*> Find(const Json& request) const;

  std::vector<StateMachineEntry> machines_;
  SfnOptions options_;
  SystemClock system_clock_;
};

}  // namespace wharf::api
