// History events: names and the AWS-shaped details objects (GetExecutionHistory).
#include "engine/run.h"

namespace wharf::engine {

std::string_view EventTypeName(EventType t) {
  switch (t) {
#define WHARF_EVENT(x)  \
  case EventType::k##x: \
    return #x;
    WHARF_EVENT(ExecutionStarted)
    WHARF_EVENT(ExecutionSucceeded) WHARF_EVENT(ExecutionFailed) WHARF_EVENT(
        ExecutionTimedOut) WHARF_EVENT(ExecutionAborted) WHARF_EVENT(ExecutionRedriven) WHARF_EVENT(PassStateEntered)
        WHARF_EVENT(PassStateExited) WHARF_EVENT(TaskStateEntered) WHARF_EVENT(
            TaskStateExited) WHARF_EVENT(TaskStateAborted) WHARF_EVENT(TaskScheduled)
            WHARF_EVENT(TaskStarted) WHARF_EVENT(TaskSucceeded) WHARF_EVENT(TaskFailed) WHARF_EVENT(
                TaskTimedOut) WHARF_EVENT(LambdaFunctionScheduled)
                WHARF_EVENT(LambdaFunctionStarted) WHARF_EVENT(LambdaFunctionSucceeded) WHARF_EVENT(
                    LambdaFunctionFailed) WHARF_EVENT(LambdaFunctionTimedOut)
                    WHARF_EVENT(ChoiceStateEntered) WHARF_EVENT(ChoiceStateExited) WHARF_EVENT(
                        WaitStateEntered) WHARF_EVENT(WaitStateExited) WHARF_EVENT(WaitStateAborted)
                        WHARF_EVENT(SucceedStateEntered) WHARF_EVENT(SucceedStateExited)
                            WHARF_EVENT(FailStateEntered) WHARF_EVENT(ParallelStateEntered)
                                WHARF_EVENT(ParallelStateExited) WHARF_EVENT(ParallelStateStarted)
                                    WHARF_EVENT(ParallelStateSucceeded) WHARF_EVENT(
                                        ParallelStateFailed) WHARF_EVENT(ParallelStateAborted)
                                        WHARF_EVENT(MapStateEntered) WHARF_EVENT(MapStateExited)
                                            WHARF_EVENT(MapStateStarted) WHARF_EVENT(
                                                MapStateSucceeded) WHARF_EVENT(MapStateFailed)
                                                WHARF_EVENT(MapStateAborted)
                                                    WHARF_EVENT(MapIterationStarted)
                                                        WHARF_EVENT(MapIterationSucceeded)
                                                            WHARF_EVENT(MapIterationFailed)
                                                                WHARF_EVENT(MapIterationAborted)
#undef WHARF_EVENT
  }
  return "Unknown";
}

namespace {

Json Text(const Json& doc) { return Json::String(doc.Dump()); }
Json NotTruncated() { return Json::Object({{"truncated", Json::Bool(false)}}); }

void AddError(std::vector<JsonMember>& m, const HistoryEvent& e) {
  if (!e.failure) return;
  if (e.failure->error) m.emplace_back("error", Json::String(*e.failure->error));
  if (e.failure->cause) m.emplace_back("cause", Json::String(*e.failure->cause));
}

// The details member's name: the type with a lower-case first letter + "EventDetails", except
// where AWS shares one shape between types.
std::string DetailsKey(EventType t) {
  std::string_view name = EventTypeName(t);
  if (name.size() > 7 && name.substr(name.size() - 7) == "Entered")
    return "stateEnteredEventDetails";
  if (name.size() > 6 && name.substr(name.size() - 6) == "Exited") return "stateExitedEventDetails";
  std::string key(name);
  key[0] = static_cast<char>(key[0] - 'A' + 'a');
  return key + "EventDetails";
}

}  // namespace

Json HistoryEvent::Details() const {
  std::vector<JsonMember> m;
  std::string_view name = EventTypeName(type);
  bool entered = name.size() > 7 && name.substr(name.size() - 7) == "Entered";
  bool exited = name.size() > 6 && name.substr(name.size() - 6) == "Exited";
  if (entered) {
    m.emplace_back("name", Json::String(state ? state->name : ""));
    m.emplace_back("input", Text(data));
    m.emplace_back("inputDetails", NotTruncated());
    return Json::Object(std::move(m));
  }
  if (exited) {
    m.emplace_back("name", Json::String(state ? state->name : ""));
    m.emplace_back("output", Text(data));
    m.emplace_back("outputDetails", NotTruncated());
    if (assigned.is_object()) {
      // Assigned values are recorded as JSON text, as AWS records them.
      std::vector<JsonMember> vars;
      for (auto& v : assigned.as_object()) vars.emplace_back(v.first, Text(v.second));
      m.emplace_back("assignedVariables", Json::Object(std::move(vars)));
      m.emplace_back("assignedVariablesDetails", NotTruncated());
    }
    return Json::Object(std::move(m));
  }
  switch (type) {
    case EventType::kExecutionStarted:
      m.emplace_back("input", Text(data));
      m.emplace_back("inputDetails", NotTruncated());
      m.emplace_back("roleArn", Json::String("arn:aws:iam::111111111111:role/wharf"));
      break;
    case EventType::kExecutionSucceeded:
    case EventType::kLambdaFunctionSucceeded:
      m.emplace_back("output", Text(data));
      m.emplace_back("outputDetails", NotTruncated());
      break;
    case EventType::kTaskSucceeded:
      m.emplace_back("resourceType", Json::String("lambda"));
      m.emplace_back("resource", Json::String("invoke"));
      m.emplace_back("output", Text(data));
      m.emplace_back("outputDetails", NotTruncated());
      break;
    case EventType::kExecutionFailed:
    case EventType::kExecutionTimedOut:
    case EventType::kExecutionAborted:
    case EventType::kLambdaFunctionFailed:
    case EventType::kLambdaFunctionTimedOut:
    case EventType::kMapStateFailed:
    case EventType::kParallelStateFailed:
      AddError(m, *this);
      break;
    case EventType::kTaskFailed:
    case EventType::kTaskTimedOut:
      m.emplace_back("resourceType", Json::String("lambda"));
      m.emplace_back("resource", Json::String("invoke"));
      AddError(m, *this);
      break;
    case EventType::kTaskScheduled:
      m.emplace_back("resourceType", Json::String("lambda"));
      m.emplace_back("resource", Json::String(state && state->resource.ends_with(".waitForTaskToken")
                                                  ? "invoke.waitForTaskToken"
                                                  : "invoke"));
      m.emplace_back("region", Json::String("us-east-1"));
      m.emplace_back("parameters", Text(data));
      break;
    case EventType::kTaskStarted:
      m.emplace_back("resourceType", Json::String("lambda"));
      m.emplace_back("resource", Json::String("invoke"));
      break;
    case EventType::kLambdaFunctionScheduled:
      m.emplace_back("resource", Json::String(state ? state->resource : ""));
      m.emplace_back("input", Text(data));
      m.emplace_back("inputDetails", NotTruncated());
      break;
    case EventType::kExecutionRedriven:
      m.emplace_back("redriveCount", Json::Int(index));
      break;
    case EventType::kMapStateStarted:
      m.emplace_back("length", Json::Int(index));
      break;
    case EventType::kMapIterationStarted:
    case EventType::kMapIterationSucceeded:
    case EventType::kMapIterationFailed:
    case EventType::kMapIterationAborted:
      m.emplace_back("name", Json::String(state ? state->name : ""));
      m.emplace_back("index", Json::Int(index));
      break;
    default:
      return Json();
  }
  return Json::Object(std::move(m));
}

Json HistoryEvent::ToJson() const {
  std::vector<JsonMember> m;
  m.emplace_back("id", Json::Int(id));
  m.emplace_back("previousEventId", Json::Int(previous_event_id));
  m.emplace_back("timestamp", Json::String(FormatIso8601(timestamp)));
  m.emplace_back("type", Json::String(std::string(EventTypeName(type))));
  Json d = Details();
  if (!d.is_null()) m.emplace_back(DetailsKey(type), std::move(d));
  return Json::Object(std::move(m));
}

store::HistoryRecord HistoryEvent::ToRecord() const {
  store::HistoryRecord r;
  r.id = id;
  r.previous_id = previous_event_id;
  r.type = std::string(EventTypeName(type));
  r.timestamp = timestamp;
  Json d = Details();
  r.details = d.is_null() ? "{}" : Json::Object({{DetailsKey(type), std::move(d)}}).Dump();
  return r;
}

}  // namespace wharf::engine
