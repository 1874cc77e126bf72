// Executor: Task states and the functions they call (see executor.h).
#include <openssl/evp.h>

#include <algorithm>

#include "engine/executor.h"

namespace wharf::engine::internal {

// ---- tasks ----

bool Executor::StartTask(Frame* f, const State& s, const Json& params) {
  static const std::string kInvoke = "arn:aws:states:::lambda:invoke";
  const std::string& resource = s.resource;
  std::string function;
  Json payload = params;
  f->task_is_invoke = false;
  if (resource.rfind(kInvoke, 0) == 0) {
    f->task_is_invoke = true;
    const Json* name = params.find("FunctionName");
    function = name && name->is_string() ? name->as_string() : "";
    // Lambda receives Payload as bytes: a string is sent as it is (so it arrives parsed when it
    // holds JSON), and no payload or null arrives as {} -- as the AWS recordings show.
    const Json* p = params.find("Payload");
    payload = p && !p->is_null() ? *p : Json::EmptyObject();
    if (payload.is_string()) {
      auto parsed = Json::Parse(payload.as_string());
      if (parsed.ok()) payload = std::move(*parsed);
    }
    const Json* log_type = params.find("LogType");
    f->log_tail = log_type && log_type->is_string() && log_type->as_string() == "Tail";
  } else if (resource.rfind("arn:aws:lambda:", 0) == 0) {
    function = resource;
  } else {
    if (options_.resource_hook) {
      auto r = options_.resource_hook(resource, params);
      if (r) {
        Emit(f, EventType::kTaskScheduled, &s, params);
        Emit(f, EventType::kTaskStarted, &s);
        sync_done_.push_back({f->shared_from_this(), f->generation, std::move(*r)});
        return false;
      }
    }
    return HandleError(f, s,
                       MakeError("States.Runtime",
                                 "The resource '" + resource + "' is not supported by wharf yet."),
                       false);
  }
  // A function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]) or a bare name.
  std::string name = function;
  if (auto pos = function.find(":function:"); pos != std::string::npos) {
    name = function.substr(pos + 10);
    if (auto q = name.find(':'); q != std::string::npos) name.resize(q);
  }
  if (f->task_is_invoke) {
    Emit(f, EventType::kTaskScheduled, &s, params);
    Emit(f, EventType::kTaskStarted, &s);
  } else {
    Emit(f, EventType::kLambdaFunctionScheduled, &s, params);
    Emit(f, EventType::kLambdaFunctionStarted, &s);
  }
  asl::Env env = MakeEnv(f, s, f->effective);
  auto timeout = asl::ResolveIntOrPath(s.timeout_seconds, env, "TimeoutSecondsPath");
  if (!timeout.ok()) return HandleError(f, s, timeout.error(), false);
  auto it = options_.functions.find(name);
  if (it == options_.functions.end()) {
    tasks::InvocationResult r;
    // AWS's text, with the function's full ARN; the request id is ours.
    std::string arn = function.rfind("arn:", 0) == 0 ? function
                                                     : "arn:aws:lambda:" + options_.region + ":" +
                                                           options_.account + ":function:" + name;
    if (std::count(arn.begin(), arn.end(), ':') < 7) arn += ":$LATEST";
    r.error = MakeError("Lambda.ResourceNotFoundException",
                        "Function not found: " + arn +
                            " (Service: AWSLambda; Status Code: 404; Error Code: "
                            "ResourceNotFoundException; Request ID: " +
                            entropy_.NewUuid() + "; Proxy: null)");
    sync_done_.push_back({f->shared_from_this(), f->generation, std::move(r)});
    return false;
  }
  tasks::Invocation inv;
  inv.payload = payload;
  inv.execution_arn = execution_context_.find("Id")->as_string();
  inv.attempt_id = inv.execution_arn + "/" + std::to_string(f->entered_event) + "/" +
                   std::to_string(f->retry_count);
  // A token task's TimeoutSeconds bounds the wait for SendTask*, not the function's run.
  if (*timeout && f->token.empty()) inv.timeout = std::chrono::seconds(**timeout);
  // AWS words a function's error object differently per resource: Python's json.dumps style for
  // a function ARN, compact JSON for lambda:invoke (see the recorded error_handling cases).
  inv.cause_format = f->task_is_invoke ? tasks::CauseFormat::kCompact : tasks::CauseFormat::kPython;
  uint64_t ticket = next_ticket_++;
  f->task_id = inv.attempt_id;
  in_flight_[ticket] = {f->shared_from_this(), f->generation, inv.attempt_id};
  const tasks::FunctionSpec* spec = &it->second;
  if (deferred_tasks_) {
    if (!f->token.empty()) {
      auto heartbeat = asl::ResolveIntOrPath(s.heartbeat_seconds, env, "HeartbeatSecondsPath");
      if (!heartbeat.ok()) return HandleError(f, s, heartbeat.error(), false);
      if (*timeout) SetTimer(f, clock_->Now() + std::chrono::seconds(**timeout), Action::kTaskTimeout);
      if (*heartbeat) SetTimer(f, clock_->Now() + std::chrono::seconds(**heartbeat), Action::kHeartbeat);
    }
    outgoing_.push_back(OutgoingTask{inv.attempt_id, spec, std::move(inv), f->token});
    return false;
  }
  pool_.Submit(ticket, [spec, inv = std::move(inv)] { return tasks::Invoke(*spec, inv); });
  return false;
}

// The result of arn:aws:states:::lambda:invoke, in the shape AWS's Lambda integration returns:
// the payload plus the HTTP metadata of the Invoke call (headers as Lambda sends them).
Json Executor::InvokeResult(const tasks::InvocationResult& r, bool log_tail) {
  std::string length = std::to_string(r.output.Dump().size());
  std::string request_id = entropy_.NewUuid();
  std::string date = FormatIso8601(clock_->Now());
  std::string trace = "Root=1-" + entropy_.NewUuid();
  std::string log;
  if (log_tail) {
    // LogType "Tail": the last 4 KB of the function's log, base64-encoded.
    std::string_view tail(r.log);
    if (tail.size() > 4096) tail = tail.substr(tail.size() - 4096);
    log.resize(4 * ((tail.size() + 2) / 3) + 1);
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(log.data()),
                            reinterpret_cast<const unsigned char*>(tail.data()),
                            static_cast<int>(tail.size()));
    log.resize(static_cast<size_t>(n));
  }
  auto list = [](const std::string& v) { return Json::Array({Json::String(v)}); };
  std::vector<JsonMember> all, headers;
  if (log_tail) all.emplace_back("X-Amz-Log-Result", list(log));
  all.emplace_back("X-Amz-Executed-Version", list("$LATEST"));
  all.emplace_back("x-amzn-Remapped-Content-Length", list("0"));
  all.emplace_back("Connection", list("keep-alive"));
  all.emplace_back("x-amzn-RequestId", list(request_id));
  all.emplace_back("Content-Length", list(length));
  all.emplace_back("Date", list(date));
  all.emplace_back("X-Amzn-Trace-Id", list(trace));
  all.emplace_back("Content-Type", list("application/json"));
  headers.emplace_back("Connection", Json::String("keep-alive"));
  headers.emplace_back("Content-Length", Json::String(length));
  headers.emplace_back("Content-Type", Json::String("application/json"));
  headers.emplace_back("Date", Json::String(date));
  headers.emplace_back("X-Amz-Executed-Version", Json::String("$LATEST"));
  if (log_tail) headers.emplace_back("X-Amz-Log-Result", Json::String(log));
  headers.emplace_back("x-amzn-Remapped-Content-Length", Json::String("0"));
  headers.emplace_back("x-amzn-RequestId", Json::String(request_id));
  headers.emplace_back("X-Amzn-Trace-Id", Json::String(trace));
  std::vector<JsonMember> m;
  m.emplace_back("ExecutedVersion", Json::String("$LATEST"));
  if (log_tail) m.emplace_back("LogResult", Json::String(log));
  m.emplace_back("Payload", r.output);
  m.emplace_back("SdkHttpMetadata", Json::Object({{"AllHttpHeaders", Json::Object(std::move(all))},
                                                  {"HttpHeaders", Json::Object(std::move(headers))},
                                                  {"HttpStatusCode", Json::Int(200)}}));
  m.emplace_back("SdkResponseMetadata", Json::Object({{"RequestId", Json::String(request_id)}}));
  m.emplace_back("StatusCode", Json::Int(200));
  return Json::Object(std::move(m));
}

void Executor::TaskDone(Frame* f, tasks::InvocationResult r) {
  now_ = clock_->Now();
  // A token task's timeout and heartbeat timers are stale now.
  if (!f->token.empty()) ++f->generation;
  f->task_id.clear();
  const State& s = f->sm->states[f->state];
  bool invoke = f->task_is_invoke;
  if (r.ok) {
    // A token task's result is what SendTaskSuccess sent, not the invocation's.
    Json result = invoke && f->token.empty() ? InvokeResult(r, f->log_tail) : r.output;
    Emit(f, invoke ? EventType::kTaskSucceeded : EventType::kLambdaFunctionSucceeded, &s, result);
    if (Complete(f, s, std::move(result), true))
      ready_.push_back({f->shared_from_this(), Action::kEnter, f->generation});
    return;
  }
  bool timed_out = r.error.code == "States.Timeout" || r.error.code == "States.HeartbeatTimeout";
  EventType type =
      invoke ? (timed_out ? EventType::kTaskTimedOut : EventType::kTaskFailed)
             : (timed_out ? EventType::kLambdaFunctionTimedOut : EventType::kLambdaFunctionFailed);
  Emit(f, type, &s, Json(), r.error.code, r.error.message);
  if (HandleError(f, s, r.error, true))
    ready_.push_back({f->shared_from_this(), Action::kEnter, f->generation});
}

}  // namespace wharf::engine::internal
