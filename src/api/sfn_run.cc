// SfnService: the actions that run something. StartExecution, StopExecution, RedriveExecution
// and SendTask{Success,Failure,Heartbeat} hand their request to the durable engine and answer
// once it is committed; the engine's error codes are AWS's names and pass through unchanged.
// StartSyncExecution runs an EXPRESS machine in memory with engine::RunExecution.
#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include "api/sfn_request.h"
#include "api/sfn_service.h"
#include "engine/run.h"

namespace wharf::api {

using sfn::Length;

namespace {

constexpr Length kArnLength{1, 256};
constexpr Length kTokenLength{1, 2048};
constexpr Length kErrorLength{0, 256};
constexpr Length kCauseLength{0, 32768};
// Execution input and task output: "Length constraints: Maximum length of 262144" (256 KiB),
// lifted with the other quotas.
constexpr size_t kPayloadMax = 262144;
// Parsed definitions kept before the cache starts over.
constexpr size_t kMaxCachedDefinitions = 256;

Length PayloadLength(bool quotas, size_t min) {
  return Length{min, quotas ? kPayloadMax : std::numeric_limits<size_t>::max()};
}

// The optional name and input of StartExecution and StartSyncExecution, checked.
struct StartMembers {
  std::optional<std::string> name;
  std::string input_text = "{}";
  Json input = Json::EmptyObject();
};

Result<StartMembers> ReadStartMembers(const Json& request, bool quotas) {
  StartMembers s;
  WHARF_TRY(s.name, sfn::OptionalString(request, "name", Length{0, 4096}));
  if (s.name) WHARF_TRY_STATUS(sfn::CheckName(*s.name));
  WHARF_TRY(std::optional<std::string> input,
            sfn::OptionalString(request, "input", PayloadLength(quotas, 0)));
  if (input) {
    auto parsed = Json::Parse(*input);
    if (!parsed.ok())
      return MakeError("InvalidExecutionInput",
                       "Invalid State Machine Execution Input: '" + parsed.error().message + "'");
    s.input_text = std::move(*input);
    s.input = std::move(*parsed);
  }
  // traceHeader (X-Ray) is accepted and ignored: wharf has no tracing service.
  WHARF_TRY(std::optional<std::string> trace,
            sfn::OptionalString(request, "traceHeader", Length{0, 256}));
  (void)trace;
  return s;
}

}  // namespace

Result<engine::Engine*> SfnService::RequireEngine(std::string_view action) const {
  if (!engine_)
    return MakeError("ServiceUnavailable", std::string(action) +
                                               " needs the durable engine, and this service "
                                               "runs without one");
  return engine_;
}

Result<Json> SfnService::StartExecution(const Json& request) const {
  WHARF_TRY(std::string arn, sfn::RequiredString(request, "stateMachineArn", kArnLength));
  WHARF_TRY(sfn::Arn parsed, sfn::ParseArn(arn, "stateMachine"));
  (void)parsed;
  WHARF_TRY(StartMembers members, ReadStartMembers(request, options_.quotas));
  WHARF_TRY(engine::Engine * engine, RequireEngine("StartExecution"));
  engine::StartRequest start;
  start.state_machine = arn;
  start.name = members.name.value_or("");
  start.input = std::move(members.input_text);
  WHARF_TRY(engine::StartResponse r, engine->StartExecution(start));
  return Json::Object({{"executionArn", Json::String(r.execution_arn)},
                       {"startDate", sfn::EpochSeconds(r.start_date)}});
}

Result<Json> SfnService::StopExecution(const Json& request) const {
  WHARF_TRY(std::string arn, ExecutionArnMember(request));
  WHARF_TRY(std::optional<std::string> error, sfn::OptionalString(request, "error", kErrorLength));
  WHARF_TRY(std::optional<std::string> cause, sfn::OptionalString(request, "cause", kCauseLength));
  WHARF_TRY(engine::Engine * engine, RequireEngine("StopExecution"));
  WHARF_TRY(TimePoint stopped, engine->StopExecution(arn, std::move(error), std::move(cause)));
  return Json::Object({{"stopDate", sfn::EpochSeconds(stopped)}});
}

Result<Json> SfnService::RedriveExecution(const Json& request) const {
  WHARF_TRY(std::string arn, ExecutionArnMember(request));
  // clientToken makes a retried call idempotent in AWS; the engine's redrive of an execution that
  // is already running again is refused (ExecutionNotRedrivable), so the token is only checked.
  WHARF_TRY(std::optional<std::string> token,
            sfn::OptionalString(request, "clientToken", Length{1, 64}));
  (void)token;
  WHARF_TRY(engine::Engine * engine, RequireEngine("RedriveExecution"));
  WHARF_TRY(engine::RedriveResponse r, engine->RedriveExecution(arn));
  return Json::Object({{"redriveDate", sfn::EpochSeconds(r.redrive_date)}});
}

Result<Json> SfnService::SendTaskSuccess(const Json& request) const {
  WHARF_TRY(std::string token, sfn::RequiredString(request, "taskToken", kTokenLength));
  WHARF_TRY(std::string output,
            sfn::RequiredString(request, "output", PayloadLength(options_.quotas, 1)));
  auto parsed = Json::Parse(output);
  if (!parsed.ok())
    return MakeError("InvalidOutput", "Invalid Output: '" + parsed.error().message + "'");
  WHARF_TRY(engine::Engine * engine, RequireEngine("SendTaskSuccess"));
  engine::TokenOutcome outcome;
  outcome.success = true;
  outcome.output = std::move(output);
  WHARF_TRY_STATUS(engine->SendTaskOutcome(token, outcome));
  return Json::EmptyObject();
}

Result<Json> SfnService::SendTaskFailure(const Json& request) const {
  WHARF_TRY(std::string token, sfn::RequiredString(request, "taskToken", kTokenLength));
  WHARF_TRY(std::optional<std::string> error, sfn::OptionalString(request, "error", kErrorLength));
  WHARF_TRY(std::optional<std::string> cause, sfn::OptionalString(request, "cause", kCauseLength));
  WHARF_TRY(engine::Engine * engine, RequireEngine("SendTaskFailure"));
  engine::TokenOutcome outcome;
  outcome.success = false;
  outcome.error = error.value_or("");
  outcome.cause = cause.value_or("");
  WHARF_TRY_STATUS(engine->SendTaskOutcome(token, outcome));
  return Json::EmptyObject();
}

Result<Json> SfnService::SendTaskHeartbeat(const Json& request) const {
  WHARF_TRY(std::string token, sfn::RequiredString(request, "taskToken", kTokenLength));
  WHARF_TRY(engine::Engine * engine, RequireEngine("SendTaskHeartbeat"));
  WHARF_TRY_STATUS(engine->SendTaskHeartbeat(token));
  return Json::EmptyObject();
}

Result<std::shared_ptr<const asl::StateMachine>> SfnService::Parsed(
    const store::StateMachine& m) const {
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = parsed_.find(m.revision_id);
    if (it != parsed_.end()) return it->second;
  }
  asl::ParseOptions options;
  options.source_name = m.name;
  auto parsed = asl::ParseDefinition(m.definition, options);
  if (!parsed.ok())
    return MakeError("InvalidDefinition",
                     "Invalid State Machine Definition: '" + parsed.error().message + "'");
  std::lock_guard<std::mutex> lock(cache_mu_);
  if (parsed_.size() >= kMaxCachedDefinitions) parsed_.clear();
  parsed_.emplace(m.revision_id, *parsed);
  return std::move(*parsed);
}

Result<Json> SfnService::StartSyncExecution(const Json& request) const {
  WHARF_TRY(store::StateMachine machine, FindMachine(request));
  // "StartSyncExecution is only supported for Express state machines" (API reference).
  if (machine.type != store::MachineType::kExpress)
    return MakeError("StateMachineTypeNotSupported",
                     "This operation is not supported by this type of state machine");
  WHARF_TRY(StartMembers members, ReadStartMembers(request, options_.quotas));
  WHARF_TRY(std::shared_ptr<const asl::StateMachine> parsed, Parsed(machine));

  engine::RunOptions options;
  options.quotas = options_.quotas;
  options.functions = options_.functions;
  options.state_machine_name = machine.name;
  options.region = options_.region;
  options.account = options_.account;
  options.clock = options_.clock;
  options.express = true;
  options.synchronous = true;
  options.record_history = false;
  if (members.name) options.execution_name = *members.name;
  TimePoint start = clock().Now();
  engine::RunResult r = engine::RunExecution(parsed, members.input, options);
  TimePoint stop = clock().Now();

  std::vector<JsonMember> m;
  m.emplace_back("executionArn", Json::String(r.execution_arn));
  m.emplace_back("stateMachineArn", Json::String(machine.arn));
  m.emplace_back("name", Json::String(r.execution_name));
  m.emplace_back("startDate", sfn::EpochSeconds(start));
  m.emplace_back("stopDate", sfn::EpochSeconds(stop));
  m.emplace_back("status", Json::String(engine::ExecutionStatusName(r.status)));
  m.emplace_back("input", Json::String(members.input.Dump()));
  m.emplace_back("inputDetails", Json::Object({{"included", Json::Bool(true)}}));
  if (r.status == engine::ExecutionStatus::kSucceeded) {
    m.emplace_back("output", Json::String(r.output.Dump()));
    m.emplace_back("outputDetails", Json::Object({{"included", Json::Bool(true)}}));
  } else {
    if (r.error) m.emplace_back("error", Json::String(*r.error));
    if (r.cause) m.emplace_back("cause", Json::String(*r.cause));
  }
  auto billed_ms = std::max<int64_t>(100, ToUnixMillis(stop) - ToUnixMillis(start));
  m.emplace_back("billingDetails",
                 Json::Object({{"billedMemoryUsedInMB", Json::Int(64)},
                               {"billedDurationInMilliseconds", Json::Int(billed_ms)}}));
  return Json::Object(std::move(m));
}

}  // namespace wharf::api
