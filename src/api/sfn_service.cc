// SfnService (see sfn_service.h). Shapes follow the Step Functions API reference.
#include "api/sfn_service.h"

#include <algorithm>

#include "engine/run.h"

namespace wharf::api {

namespace {

Error AwsError(std::string type, std::string message) {
  return MakeError(std::move(type), std::move(message));
}

// Step Functions returns times as epoch seconds with a fraction.
Json EpochSeconds(TimePoint t) {
  return Json::Double(static_cast<double>(ToUnixMillis(t)) / 1000.0);
}

const std::string* StringField(const Json& request, std::string_view key) {
  const Json* v = request.find(key);
  return v && v->is_string() ? &v->as_string() : nullptr;
}

}  // namespace

SfnService::SfnService(std::vector<StateMachineEntry> machines, SfnOptions options)
    : machines_(std::move(machines)), options_(std::move(options)) {
  std::sort(machines_.begin(), machines_.end(),
            [](const StateMachineEntry& a, const StateMachineEntry& b) { return a.name < b.name; });
}

std::string SfnService::StateMachineArn(const std::string& name) const {
  return "arn:aws:states:" + options_.region + ":" + options_.account + ":stateMachine:" + name;
}

Result<Json> SfnService::Handle(std::string_view action, const Json& request) const {
  if (!request.is_object())
    return AwsError("SerializationException", "The request body must be a JSON object.");
  if (action == "ValidateStateMachineDefinition") return Validate(request);
  if (action == "ListStateMachines") return List(request);
  if (action == "DescribeStateMachine") return Describe(request);
  if (action == "StartSyncExecution") return StartSync(request);
  return AwsError(
      "UnknownOperationException",
      "wharf does not implement the Step Functions action '" + std::string(action) + "' yet.");
}

Result<Json> SfnService::Validate(const Json& request) const {
  const std::string* definition = StringField(request, "definition");
  if (!definition)
    return AwsError("ValidationException",
                    "1 validation error detected: Value null at 'definition' failed to satisfy "
                    "constraint: Member must not be null");
  auto parsed = asl::ParseDefinition(*definition);
  if (parsed.ok())
    return Json::Object({{"result", Json::String("OK")},
                         {"diagnostics", Json::EmptyArray()},
                         {"truncated", Json::Bool(false)}});
  std::vector<JsonMember> d;
  d.emplace_back("severity", Json::String("ERROR"));
  d.emplace_back("code", Json::String(parsed.error().code == "UnsupportedFeature"
                                          ? "UNSUPPORTED_FEATURE"
                                          : "SCHEMA_VALIDATION_FAILED"));
  d.emplace_back("message", Json::String(parsed.error().message));
  return Json::Object({{"result", Json::String("FAIL")},
                       {"diagnostics", Json::Array({Json::Object(std::move(d))})},
                       {"truncated", Json::Bool(false)}});
}

Result<Json> SfnService::List(const Json& request) const {
  // Pagination: nextToken is the name to continue from; maxResults 1..1000 (default 100).
  size_t max = 100;
  if (const Json* m = request.find("maxResults"); m && m->is_int() && m->as_int() > 0)
    max = static_cast<size_t>(std::min<int64_t>(m->as_int(), 1000));
  const std::string* token = StringField(request, "nextToken");
  JsonArray out;
  std::string next;
  for (auto& e : machines_) {
    if (token && e.name < *token) continue;
    if (out.size() == max) {
      next = e.name;
      break;
    }
    out.push_back(Json::Object({{"stateMachineArn", Json::String(StateMachineArn(e.name))},
                                {"name", Json::String(e.name)},
                                {"type", Json::String(e.express ? "EXPRESS" : "STANDARD")},
                                {"creationDate", EpochSeconds(e.created)}}));
  }
  std::vector<JsonMember> m;
  m.emplace_back("stateMachines", Json::Array(std::move(out)));
  if (!next.empty()) m.emplace_back("nextToken", Json::String(next));
  return Json::Object(std::move(m));
}

Result<const StateMachineEntry*> SfnService::Find(const Json& request) const {
  const std::string* arn = StringField(request, "stateMachineArn");
  if (!arn)
    return AwsError("ValidationException",
                    "1 validation error detected: Value null at 'stateMachineArn' failed to "
                    "satisfy constraint: Member must not be null");
  std::string prefix = StateMachineArn("");
  if (arn->rfind(prefix, 0) != 0 || arn->size() == prefix.size())
    return AwsError("InvalidArn", "Invalid Arn: '" + *arn + "'");
  std::string name = arn->substr(prefix.size());
  for (auto& e : machines_)
    if (e.name == name) return &e;
  return AwsError("StateMachineDoesNotExist", "State Machine Does Not Exist: '" + *arn + "'");
}

Result<Json> SfnService::Describe(const Json& request) const {
  WHARF_TRY(const StateMachineEntry* e, Find(request));
  return Json::Object(
      {{"stateMachineArn", Json::String(StateMachineArn(e->name))},
       {"name", Json::String(e->name)},
       {"status", Json::String("ACTIVE")},
       {"definition", Json::String(e->definition)},
       {"roleArn", Json::String("arn:aws:iam::" + options_.account + ":role/wharf")},
       {"type", Json::String(e->express ? "EXPRESS" : "STANDARD")},
       {"creationDate", EpochSeconds(e->created)}});
}

Result<Json> SfnService::StartSync(const Json& request) const {
  WHARF_TRY(const StateMachineEntry* e, Find(request));
  // "StartSyncExecution is only supported for Express state machines" (API reference).
  if (!e->express)
    return AwsError("StateMachineTypeNotSupported",
                    "This operation is not supported by this type of state machine");
  Json input = Json::EmptyObject();
  if (const std::string* text = StringField(request, "input")) {
    auto parsed = Json::Parse(*text);
    if (!parsed.ok())
      return AwsError("InvalidExecutionInput",
                      "Invalid State Machine Execution Input: '" + parsed.error().message + "'");
    input = std::move(*parsed);
  }
  engine::RunOptions options;
  options.quotas = options_.quotas;
  options.functions = options_.functions;
  options.state_machine_name = e->name;
  options.region = options_.region;
  options.account = options_.account;
  options.clock = options_.clock;
  options.express = true;
  options.synchronous = true;
  options.record_history = false;
  if (const std::string* name = StringField(request, "name")) options.execution_name = *name;
  Clock* clock = options_.clock ? options_.clock : const_cast<SystemClock*>(&system_clock_);
  TimePoint start = clock->Now();
  engine::RunResult r = engine::RunExecution(e->machine, input, options);
  TimePoint stop = clock->Now();

  std::vector<JsonMember> m;
  m.emplace_back("executionArn", Json::String(r.execution_arn));
  m.emplace_back("stateMachineArn", Json::String(StateMachineArn(e->name)));
  m.emplace_back("name", Json::String(r.execution_name));
  m.emplace_back("startDate", EpochSeconds(start));
  m.emplace_back("stopDate", EpochSeconds(stop));
  m.emplace_back("status", Json::String(engine::ExecutionStatusName(r.status)));
  m.emplace_back("input", Json::String(input.Dump()));
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
