// SfnService: the execution reads (DescribeExecution, ListExecutions, GetExecutionHistory,
// DescribeStateMachineForExecution). They go to the StateStore directly: it holds only committed
// steps, so what they answer is what the engine has made durable.
#include <chrono>
#include <utility>
#include <vector>

#include "api/sfn_request.h"
#include "api/sfn_service.h"

namespace wharf::api {

using sfn::Length;

namespace {

constexpr Length kArnLength{1, 256};

// "You can redrive executions ... within 14 days of their failure" (Step Functions developer
// guide, "Redriving executions").
constexpr auto kRedrivablePeriod = std::chrono::hours(24 * 14);
constexpr int64_t kMaxHistoryEvents = 25000;

struct RedriveState {
  const char* status = "NOT_REDRIVABLE";
  std::string reason;  // only when NOT_REDRIVABLE
};

Error NotInEnum(std::string_view value, std::string_view member, std::string_view values) {
  return sfn::ValidationError("Value '" + std::string(value) + "' at '" + std::string(member) +
                              "' failed to satisfy constraint: Member must satisfy enum value "
                              "set: [" +
                              std::string(values) + "]");
}

// A history event's details without the execution data (the `input` and `output` members of
// each details object), for includeExecutionData = false.
Json WithoutExecutionData(const Json& details) {
  std::vector<JsonMember> members;
  for (const auto& [key, value] : details.as_object()) {
    if (!value.is_object()) {
      members.emplace_back(key, value);
      continue;
    }
    std::vector<JsonMember> inner;
    for (const auto& [k, v] : value.as_object()) {
      if (k != "input" && k != "output") inner.emplace_back(k, v);
    }
    members.emplace_back(key, Json::Object(std::move(inner)));
  }
  return Json::Object(std::move(members));
}

}  // namespace

Result<std::string> SfnService::ExecutionArnMember(const Json& request) const {
  WHARF_TRY(std::string arn, sfn::RequiredString(request, "executionArn", kArnLength));
  WHARF_TRY(sfn::Arn parsed, sfn::ParseArn(arn, "execution"));
  (void)parsed;
  return arn;
}

Result<Json> SfnService::DescribeExecution(const Json& request) const {
  WHARF_TRY(std::string arn, ExecutionArnMember(request));
  WHARF_TRY(store::Execution e, store_->GetExecution(arn, store::WithSnapshot::kNo));

  // redriveStatus: "NOT_REDRIVABLE if calling the RedriveExecution API action would return the
  // ExecutionNotRedrivable error", with redriveStatusReason saying why (API reference,
  // DescribeExecution).
  RedriveState redrive;
  using S = store::ExecutionStatus;
  if (e.status == S::kRunning || e.status == S::kPendingRedrive) {
    redrive.reason = "Execution is RUNNING and cannot be redriven.";
  } else if (e.status == S::kSucceeded) {
    redrive.reason = "Execution is SUCCEEDED and cannot be redriven.";
  } else {
    auto revision = store_->GetStateMachineRevision(e.state_machine_arn, e.revision_id);
    auto machine = store_->GetStateMachine(e.state_machine_arn);
    if (revision.ok() && revision->type == store::MachineType::kExpress) {
      redrive.reason = "Execution is of an EXPRESS state machine and cannot be redriven.";
    } else if (!machine.ok() && machine.error().code == store::errc::kStateMachineDoesNotExist) {
      redrive.reason = "State machine is in DELETING status.";
    } else if (options_.quotas && e.last_event_id >= kMaxHistoryEvents) {
      redrive.reason = "Execution history event limit exceeded.";
    } else if (e.stop_time && clock().Now() - *e.stop_time > kRedrivablePeriod) {
      redrive.reason = "Execution redrivable period exceeded.";
    } else {
      redrive.status = "REDRIVABLE";
    }
  }

  std::vector<JsonMember> out;
  out.emplace_back("executionArn", Json::String(e.arn));
  out.emplace_back("stateMachineArn", Json::String(e.state_machine_arn));
  out.emplace_back("name", Json::String(e.name));
  out.emplace_back("status", Json::String(store::ExecutionStatusName(e.status)));
  out.emplace_back("startDate", sfn::EpochSeconds(e.start_time));
  if (e.stop_time) out.emplace_back("stopDate", sfn::EpochSeconds(*e.stop_time));
  out.emplace_back("input", Json::String(e.input));
  out.emplace_back("inputDetails", Json::Object({{"included", Json::Bool(true)}}));
  if (e.status == S::kSucceeded && e.output) {
    out.emplace_back("output", Json::String(*e.output));
    out.emplace_back("outputDetails", Json::Object({{"included", Json::Bool(true)}}));
  }
  if (e.error) out.emplace_back("error", Json::String(*e.error));
  if (e.cause) out.emplace_back("cause", Json::String(*e.cause));
  out.emplace_back("redriveCount", Json::Int(e.redrive_count));
  if (e.redrive_time) out.emplace_back("redriveDate", sfn::EpochSeconds(*e.redrive_time));
  out.emplace_back("redriveStatus", Json::String(redrive.status));
  if (!redrive.reason.empty())
    out.emplace_back("redriveStatusReason", Json::String(redrive.reason));
  return Json::Object(std::move(out));
}

Result<Json> SfnService::ListExecutions(const Json& request) const {
  WHARF_TRY(std::optional<std::string> machine_arn,
            sfn::OptionalString(request, "stateMachineArn", kArnLength));
  WHARF_TRY(std::optional<std::string> map_run_arn,
            sfn::OptionalString(request, "mapRunArn", Length{1, 2000}));
  WHARF_TRY(std::optional<std::string> status_filter,
            sfn::OptionalString(request, "statusFilter", Length{1, 32}));
  WHARF_TRY(std::optional<std::string> redrive_filter,
            sfn::OptionalString(request, "redriveFilter", Length{1, 32}));
  WHARF_TRY(int limit, sfn::MaxResults(request));
  WHARF_TRY(std::string token, sfn::NextToken(request));

  // "You can specify either a mapRunArn or a stateMachineArn, but not both" (API reference).
  if (machine_arn && map_run_arn)
    return sfn::ValidationError(
        "Only one of 'stateMachineArn' and 'mapRunArn' may be specified, not both");
  if (map_run_arn)
    return MakeError("ResourceNotFound", "Map Run Does Not Exist: '" + *map_run_arn +
                                             "' (wharf runs no Distributed Map)");
  if (!machine_arn)
    return sfn::ValidationError(
        "Value null at 'stateMachineArn' failed to satisfy constraint: Member must not be null "
        "(give a stateMachineArn or a mapRunArn)");
  WHARF_TRY(sfn::Arn parsed, sfn::ParseArn(*machine_arn, "stateMachine"));
  (void)parsed;

  store::ExecutionQuery query;
  query.state_machine_arn = *machine_arn;
  query.limit = limit;
  query.next_token = token;
  if (status_filter) {
    query.status = store::ParseExecutionStatus(*status_filter);
    if (!query.status)
      return NotInEnum(*status_filter, "statusFilter",
                       "RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE");
    // "If you provide a stateMachineArn and a PENDING_REDRIVE statusFilter, the API returns a
    // validation exception" (API reference).
    if (*query.status == store::ExecutionStatus::kPendingRedrive)
      return sfn::ValidationError(
          "Value 'PENDING_REDRIVE' at 'statusFilter' failed to satisfy constraint: "
          "PENDING_REDRIVE can only be used with a mapRunArn");
  }
  if (redrive_filter) {
    if (*redrive_filter == "REDRIVEN") {
      query.redrive = store::RedriveFilter::kRedriven;
    } else if (*redrive_filter == "NOT_REDRIVEN") {
      query.redrive = store::RedriveFilter::kNotRedriven;
    } else {
      return NotInEnum(*redrive_filter, "redriveFilter", "REDRIVEN, NOT_REDRIVEN");
    }
  }

  // The machine must exist, and be STANDARD ("This API action is not supported by EXPRESS state
  // machines"). The executions of a deleted machine stay listable while there are any.
  auto machine = store_->GetStateMachine(*machine_arn);
  bool machine_missing = false;
  if (machine.ok()) {
    if (machine->type == store::MachineType::kExpress)
      return MakeError("StateMachineTypeNotSupported",
                       "This operation is not supported by this type of state machine");
  } else if (machine.error().code == store::errc::kStateMachineDoesNotExist) {
    machine_missing = true;
  } else {
    return machine.error();
  }

  WHARF_TRY(store::Page<store::Execution> page, store_->ListExecutions(query));
  if (machine_missing && page.items.empty() && token.empty()) return machine.error();
  JsonArray items;
  items.reserve(page.items.size());
  for (const store::Execution& e : page.items) {
    std::vector<JsonMember> m;
    m.emplace_back("executionArn", Json::String(e.arn));
    m.emplace_back("stateMachineArn", Json::String(e.state_machine_arn));
    m.emplace_back("name", Json::String(e.name));
    m.emplace_back("status", Json::String(store::ExecutionStatusName(e.status)));
    m.emplace_back("startDate", sfn::EpochSeconds(e.start_time));
    if (e.stop_time) m.emplace_back("stopDate", sfn::EpochSeconds(*e.stop_time));
    m.emplace_back("redriveCount", Json::Int(e.redrive_count));
    if (e.redrive_time) m.emplace_back("redriveDate", sfn::EpochSeconds(*e.redrive_time));
    items.push_back(Json::Object(std::move(m)));
  }
  std::vector<JsonMember> out;
  out.emplace_back("executions", Json::Array(std::move(items)));
  if (!page.next_token.empty()) out.emplace_back("nextToken", Json::String(page.next_token));
  return Json::Object(std::move(out));
}

Result<Json> SfnService::GetExecutionHistory(const Json& request) const {
  WHARF_TRY(std::string arn, ExecutionArnMember(request));
  WHARF_TRY(int limit, sfn::MaxResults(request));
  WHARF_TRY(std::string token, sfn::NextToken(request));
  WHARF_TRY(std::optional<bool> reverse, sfn::OptionalBool(request, "reverseOrder"));
  WHARF_TRY(std::optional<bool> include_data, sfn::OptionalBool(request, "includeExecutionData"));
  bool with_data = include_data.value_or(true);

  store::HistoryQuery query;
  query.execution_arn = arn;
  query.order = reverse.value_or(false) ? store::HistoryOrder::kNewestFirst
                                        : store::HistoryOrder::kOldestFirst;
  query.limit = limit;
  query.next_token = token;
  WHARF_TRY(store::Page<store::HistoryRecord> page, store_->GetHistory(query));

  JsonArray events;
  events.reserve(page.items.size());
  for (const store::HistoryRecord& r : page.items) {
    std::vector<JsonMember> m;
    m.emplace_back("timestamp", sfn::EpochSeconds(r.timestamp));
    m.emplace_back("type", Json::String(r.type));
    m.emplace_back("id", Json::Int(r.id));
    m.emplace_back("previousEventId", Json::Int(r.previous_id));
    auto details = Json::Parse(r.details);
    if (!details.ok() || !details->is_object())
      return MakeError("InternalFailure", "the stored details of event " + std::to_string(r.id) +
                                              " of '" + arn + "' are not a JSON object");
    Json d = with_data ? std::move(*details) : WithoutExecutionData(*details);
    for (const auto& [key, value] : d.as_object()) m.emplace_back(key, value);
    events.push_back(Json::Object(std::move(m)));
  }
  std::vector<JsonMember> out;
  out.emplace_back("events", Json::Array(std::move(events)));
  if (!page.next_token.empty()) out.emplace_back("nextToken", Json::String(page.next_token));
  return Json::Object(std::move(out));
}

Result<Json> SfnService::DescribeStateMachineForExecution(const Json& request) const {
  WHARF_TRY(std::string arn, ExecutionArnMember(request));
  WHARF_TRY(store::Execution e, store_->GetExecution(arn, store::WithSnapshot::kNo));
  WHARF_TRY(store::StateMachine m,
            store_->GetStateMachineRevision(e.state_machine_arn, e.revision_id));
  Json config = sfn::MachineConfig(m.config);
  std::vector<JsonMember> out;
  out.emplace_back("stateMachineArn", Json::String(m.arn));
  out.emplace_back("name", Json::String(m.name));
  out.emplace_back("definition", Json::String(m.definition));
  out.emplace_back("roleArn", Json::String(m.role_arn.empty() ? DefaultRoleArn() : m.role_arn));
  out.emplace_back("updateDate", sfn::EpochSeconds(m.updated));
  out.emplace_back("loggingConfiguration", sfn::LoggingConfigurationOf(config));
  out.emplace_back("tracingConfiguration", sfn::TracingConfigurationOf(config));
  if (const Json* enc = config.find("encryptionConfiguration"))
    out.emplace_back("encryptionConfiguration", *enc);
  out.emplace_back("revisionId", Json::String(m.revision_id));
  return Json::Object(std::move(out));
}

}  // namespace wharf::api
