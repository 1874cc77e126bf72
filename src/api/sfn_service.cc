// SfnService (see sfn_service.h): construction and the action table. The actions live in
// sfn_machines.cc (state machines), sfn_executions.cc (execution reads) and sfn_run.cc (what the
// engine does, and StartSyncExecution). Shapes follow the Step Functions API reference.
#include "api/sfn_service.h"

#include <utility>

#include "api/sfn_request.h"

namespace wharf::api {

std::string StateMachineArn(const SfnOptions& options, std::string_view name) {
  return "arn:aws:states:" + options.region + ":" + options.account +
         ":stateMachine:" + std::string(name);
}

store::StateMachine ProjectStateMachine(const SfnOptions& options, std::string name,
                                        std::string definition, store::MachineType type) {
  store::StateMachine m;
  m.arn = StateMachineArn(options, name);
  m.name = std::move(name);
  m.definition = std::move(definition);
  m.type = type;
  m.role_arn = "arn:aws:iam::" + options.account + ":role/wharf";
  m.config = "{}";
  return m;
}

SfnService::SfnService(store::StateStore* store, engine::Engine* engine, SfnOptions options)
    : store_(store), engine_(engine), options_(std::move(options)) {}

std::string SfnService::StateMachineArn(std::string_view name) const {
  return api::StateMachineArn(options_, name);
}

std::string SfnService::ExecutionArn(std::string_view machine, std::string_view name) const {
  return "arn:aws:states:" + options_.region + ":" + options_.account +
         ":execution:" + std::string(machine) + ":" + std::string(name);
}

Clock& SfnService::clock() const { return options_.clock ? *options_.clock : system_clock_; }

std::string SfnService::DefaultRoleArn() const {
  return "arn:aws:iam::" + options_.account + ":role/wharf";
}

Result<Json> SfnService::Handle(std::string_view action, const Json& request) const {
  static const sfn::ActionTable<SfnService> kActions = {
      {"CreateStateMachine", &SfnService::CreateStateMachine},
      {"UpdateStateMachine", &SfnService::UpdateStateMachine},
      {"DescribeStateMachine", &SfnService::DescribeStateMachine},
      {"ListStateMachines", &SfnService::ListStateMachines},
      {"DeleteStateMachine", &SfnService::DeleteStateMachine},
      {"ValidateStateMachineDefinition", &SfnService::ValidateDefinition},
      {"DescribeExecution", &SfnService::DescribeExecution},
      {"ListExecutions", &SfnService::ListExecutions},
      {"GetExecutionHistory", &SfnService::GetExecutionHistory},
      {"DescribeStateMachineForExecution", &SfnService::DescribeStateMachineForExecution},
      {"StartExecution", &SfnService::StartExecution},
      {"StopExecution", &SfnService::StopExecution},
      {"RedriveExecution", &SfnService::RedriveExecution},
      {"SendTaskSuccess", &SfnService::SendTaskSuccess},
      {"SendTaskFailure", &SfnService::SendTaskFailure},
      {"SendTaskHeartbeat", &SfnService::SendTaskHeartbeat},
      {"StartSyncExecution", &SfnService::StartSyncExecution},
  };
  Result<Json> r = sfn::Dispatch(*this, kActions, "Step Functions", action, request);
  if (!r.ok()) return sfn::FromStore(std::move(r).error());
  return r;
}

}  // namespace wharf::api
