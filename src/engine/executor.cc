// Executor: running states, errors and retries, history (see executor.h).
#include "engine/executor.h"

#include <algorithm>

namespace wharf::engine::internal {

static EventType ExitedType(StateType t);

// ---- history ----

int64_t Executor::Emit(Frame* f, EventType type, const State* state, Json data,
                       std::optional<std::string> error, std::optional<std::string> cause,
                       int64_t index) {
  ++event_count_;
  if (!options_.record_history) return event_count_;
  HistoryEvent& e = result_.history.emplace_back();
  e.id = event_count_;
  e.previous_event_id = f ? f->last_event : 0;
  e.type = type;
  // The coarse clock (state entries) can lag the precise one (task results) by a tick; history
  // times never go backwards.
  if (now_ > last_stamp_) last_stamp_ = now_;
  e.timestamp = last_stamp_;
  e.state = state;
  e.data = std::move(data);
  if (error || cause)
    e.failure = std::make_shared<const HistoryEvent::Failure>(
        HistoryEvent::Failure{std::move(error), std::move(cause)});
  e.index = index;
  if (f) f->last_event = e.id;
  return e.id;
}

std::shared_ptr<const asl::VarScope> Executor::OwnScope(Frame* f) {
  if (!f->inherits_scope) return f->vars;
  auto scope = std::make_shared<asl::VarScope>();
  scope->outer = f->vars;
  f->vars = std::move(scope);
  f->inherits_scope = false;
  return f->vars;
}

void Executor::EmitExited(Frame* f, const State& s, const Json& output, Json assigned) {
  Emit(f, ExitedType(s.type), &s, output);
  if (options_.record_history && assigned.is_object())
    result_.history.back().assigned = std::move(assigned);
}

void Executor::Finish(ExecutionStatus status, Json output, std::optional<std::string> error,
                      std::optional<std::string> cause) {
  if (done_) return;
  done_ = true;
  now_ = clock_->Now();
  result_.status = status;
  // An error or cause that was never given stays absent, as AWS reports it.
  if (error && error->empty()) error.reset();
  if (cause && cause->empty()) cause.reset();
  EventType type = status == ExecutionStatus::kSucceeded  ? EventType::kExecutionSucceeded
                   : status == ExecutionStatus::kTimedOut ? EventType::kExecutionTimedOut
                   : status == ExecutionStatus::kAborted  ? EventType::kExecutionAborted
                                                          : EventType::kExecutionFailed;
  Emit(root_.get(), type, nullptr, output, error, cause);
  result_.output = std::move(output);
  result_.error = std::move(error);
  result_.cause = std::move(cause);
}

// ---- context object ($$) ----

const Json& Executor::Context(Frame* f, const State& s) {
  if (f->context.is_null()) {
    std::vector<JsonMember> st;
    st.emplace_back("EnteredTime", Json::String(FormatIso8601(f->entered_time)));
    st.emplace_back("Name", Json::String(s.name));
    // AWS gives RetryCount only to the states that can retry.
    if (s.type == StateType::kTask || s.type == StateType::kParallel || s.type == StateType::kMap)
      st.emplace_back("RetryCount", Json::Int(f->retry_count));
    std::vector<JsonMember> ctx;
    ctx.emplace_back("Execution", execution_context_);
    ctx.emplace_back("State", Json::Object(std::move(st)));
    ctx.emplace_back("StateMachine", machine_context_);
    if (!f->token.empty())
      ctx.emplace_back("Task", Json::Object({{"Token", Json::String(f->token)}}));
    f->context = Json::Object(std::move(ctx));
  }
  return f->context;
}

asl::Env Executor::MakeEnv(Frame* f, const State& s, const Json& input) {
  static const Json kNoContext = Json::EmptyObject();
  return asl::Env{input, s.reads_context ? Context(f, s) : kNoContext, f->vars.get(), &entropy_};
}

Error Executor::StateError(Frame* f, const State& s, Error e) {
  // AWS prefixes runtime errors with the state and the id of its StateEntered event.
  if (e.code == "States.Runtime" && e.message.rfind("An error occurred", 0) != 0)
    e.message = "An error occurred while executing the state '" + s.name +
                "' (entered at the event id #" + std::to_string(f->entered_event) + "). " +
                e.message;
  return e;
}

std::optional<Error> Executor::CheckSize(const State& s, const Json& doc) {
  if (!options_.quotas) return std::nullopt;
  if (last_checked_ && doc.SameNode(last_checked_doc_)) return std::nullopt;
  if (asl::SerializedSize(doc, asl::kMaxPayloadBytes + 1) > asl::kMaxPayloadBytes)
    return MakeError("States.DataLimitExceeded",
                     "The state/task '" + s.name +
                         "' returned a result with a size exceeding the maximum number of bytes "
                         "service limit.");
  last_checked_doc_ = doc;
  last_checked_ = &last_checked_doc_;
  return std::nullopt;
}

// ---- running states ----

static EventType EnteredType(StateType t) {
  switch (t) {
    case StateType::kPass:
      return EventType::kPassStateEntered;
    case StateType::kTask:
      return EventType::kTaskStateEntered;
    case StateType::kChoice:
      return EventType::kChoiceStateEntered;
    case StateType::kWait:
      return EventType::kWaitStateEntered;
    case StateType::kSucceed:
      return EventType::kSucceedStateEntered;
    case StateType::kFail:
      return EventType::kFailStateEntered;
    case StateType::kParallel:
      return EventType::kParallelStateEntered;
    case StateType::kMap:
      return EventType::kMapStateEntered;
  }
  return EventType::kPassStateEntered;
}

static EventType ExitedType(StateType t) {
  switch (t) {
    case StateType::kPass:
      return EventType::kPassStateExited;
    case StateType::kTask:
      return EventType::kTaskStateExited;
    case StateType::kChoice:
      return EventType::kChoiceStateExited;
    case StateType::kWait:
      return EventType::kWaitStateExited;
    case StateType::kSucceed:
      return EventType::kSucceedStateExited;
    case StateType::kParallel:
      return EventType::kParallelStateExited;
    case StateType::kMap:
      return EventType::kMapStateExited;
    case StateType::kFail:
      break;
  }
  return EventType::kPassStateExited;
}

void Executor::RunFrame(Frame* f, Action action) {
  now_ = clock_->Now();
  bool more = true;
  switch (action) {
    case Action::kStartIteration:
      f->last_event = Emit(f->parent->owner, EventType::kMapIterationStarted, f->parent->state,
                           Json(), std::nullopt, std::nullopt, static_cast<int64_t>(f->slot));
      [[fallthrough]];
    case Action::kEnter:
      break;
    case Action::kAttempt:
      f->context = Json();
      more = Attempt(f);
      break;
    case Action::kTaskTimeout: {
      more = false;
      std::string id = f->task_id;
      tasks::InvocationResult r;
      r.error = MakeError("States.Timeout", "");
      if (ApplyTaskResult(id, std::move(r))) dropped_tasks_.push_back(std::move(id));
      break;
    }
    case Action::kHeartbeat:
      more = false;
      heartbeat_checks_.push_back(f->task_id);
      break;
    case Action::kWaitDone: {
      const State& s = f->sm->states[f->state];
      asl::Env env = MakeEnv(f, s, f->effective);
      auto out = asl::ApplyOutputPath(s, f->effective, env);
      if (!out.ok()) {
        more = HandleError(f, s, out.error(), false);
        break;
      }
      EmitExited(f, s, *out, std::move(f->assigned));
      if (s.end) {
        FinishFrame(f, true, std::move(*out), std::nullopt, std::nullopt);
        more = false;
      } else {
        f->state = s.next_index;
        f->input = std::move(*out);
      }
      break;
    }
  }
  // Run states until the frame waits or ends.
  while (more && !done_ && !f->aborted) {
    const State& s = f->sm->states[f->state];
    if (options_.quotas && event_count_ >= asl::kMaxHistoryEvents) {
      Finish(ExecutionStatus::kFailed, Json(), std::string("States.Runtime"),
             "The execution reached the maximum number of history events (" +
                 std::to_string(asl::kMaxHistoryEvents) + ").");
      return;
    }
    now_ = clock_->NowCoarse();
    f->entered_time = now_;
    f->context = Json();
    f->attempts.clear();
    f->retry_count = 0;
    f->entered_event = Emit(f, EnteredType(s.type), &s, f->input);
    ++result_.transitions;
    more = Attempt(f);
  }
}

bool Executor::Attempt(Frame* f) {
  const State& s = f->sm->states[f->state];
  // A .waitForTaskToken task of the durable engine gets its token before Parameters, which pass
  // it on from $$.Task.Token.
  if (!f->token.empty()) {
    f->token.clear();
    f->context = Json();
  }
  if (deferred_tasks_ && s.type == StateType::kTask && s.resource.ends_with(".waitForTaskToken")) {
    f->token = entropy_.NewUuid() + entropy_.NewUuid();
    f->token.erase(std::remove(f->token.begin(), f->token.end(), '-'), f->token.end());
    f->context = Json();
  }
  asl::Env env = MakeEnv(f, s, f->input);
  if (s.input_path.present) {
    auto effective = asl::ApplyInputPath(s, f->input, env);
    if (!effective.ok()) return HandleError(f, s, effective.error(), false);
    f->effective = std::move(*effective);
  } else {
    f->effective = f->input;
  }
  const Json* effective = &f->effective;
  f->job_started = false;
  switch (s.type) {
    case StateType::kPass: {
      // "Result: ... the output of a virtual task to be passed on" (spec §Pass State).
      if (!s.parameters) return Complete(f, s, s.result ? *s.result : *effective, false);
      auto params = asl::ApplyParameters(s, *effective, env);
      if (!params.ok()) return HandleError(f, s, params.error(), false);
      return Complete(f, s, s.result ? *s.result : std::move(*params), false);
    }
    case StateType::kTask: {
      auto params = asl::ApplyParameters(s, *effective, env);
      if (!params.ok()) return HandleError(f, s, params.error(), false);
      return StartTask(f, s, *params);
    }
    case StateType::kChoice: {
      asl::Env cenv{*effective, env.context, env.vars, env.entropy};
      auto d = asl::DecideChoice(*f->sm, s, cenv);
      if (!d.ok()) return HandleError(f, s, d.error(), false);
      auto out = asl::ApplyOutputPath(s, *effective, env);
      if (!out.ok()) return HandleError(f, s, out.error(), false);
      auto vars = d->assign || s.assign ? OwnScope(f) : f->vars;
      Json assigned;
      for (const asl::PayloadTemplate* a : {d->assign, s.assign ? &*s.assign : nullptr}) {
        if (!a) continue;
        auto v = asl::ApplyAssign(*a, vars, cenv);
        if (!v.ok()) return HandleError(f, s, v.error(), false);
        vars = std::move(v->scope);
        if (!assigned.is_object())
          assigned = v->values;
        else if (v->values.is_object())
          for (auto& m : v->values.as_object()) assigned = assigned.Set(m.first, m.second);
      }
      f->vars = std::move(vars);
      EmitExited(f, s, *out, std::move(assigned));
      f->state = d->next_index;
      f->input = std::move(*out);
      return true;
    }
    case StateType::kWait: {
      asl::Env wenv{*effective, env.context, env.vars, env.entropy};
      auto until = asl::WaitUntil(s, wenv, clock_->Now());
      if (!until.ok()) return HandleError(f, s, until.error(), false);
      f->assigned = Json();
      if (s.assign) {
        auto v = asl::ApplyAssign(*s.assign, OwnScope(f), wenv);
        if (!v.ok()) return HandleError(f, s, v.error(), false);
        f->vars = std::move(v->scope);
        f->assigned = std::move(v->values);
      }
      SetTimer(f, *until, Action::kWaitDone);
      return false;
    }
    case StateType::kSucceed: {
      auto out = asl::ApplyOutputPath(s, *effective, env);
      if (!out.ok()) return HandleError(f, s, out.error(), false);
      Emit(f, EventType::kSucceedStateExited, &s, *out);
      FinishFrame(f, true, std::move(*out), std::nullopt, std::nullopt);
      return false;
    }
    case StateType::kFail: {
      auto info = asl::EvaluateFail(s, env);
      if (!info.ok()) return HandleError(f, s, info.error(), false);
      FinishFrame(f, false, Json(), info->error, info->cause);
      return false;
    }
    case StateType::kParallel:
    case StateType::kMap:
      return StartJob(f, s);
  }
  return false;
}

bool Executor::Complete(Frame* f, const State& s, Json result, bool apply_selector) {
  asl::Env env = MakeEnv(f, s, f->input);
  if (apply_selector) {
    auto sel = asl::ApplyResultSelector(s, result, env);
    if (!sel.ok()) return HandleError(f, s, sel.error(), false);
    result = std::move(*sel);
  }
  std::shared_ptr<const asl::VarScope> vars = f->vars;
  Json assigned;
  if (s.assign) {
    // Assign sees the state's result as "$" and the variables from before the state.
    asl::Env aenv{result, env.context, env.vars, env.entropy};
    auto v = asl::ApplyAssign(*s.assign, OwnScope(f), aenv);
    if (!v.ok()) return HandleError(f, s, v.error(), false);
    vars = std::move(v->scope);
    assigned = std::move(v->values);
  }
  Json out;
  if (s.result_path.present) {
    auto doc = asl::ApplyResultPath(s.result_path, f->input, std::move(result));
    if (!doc.ok()) return HandleError(f, s, doc.error(), s.type == StateType::kTask);
    out = std::move(*doc);
  } else {
    out = std::move(result);
  }
  if (s.output_path.present) {
    auto o = asl::ApplyOutputPath(s, out, env);
    if (!o.ok()) return HandleError(f, s, o.error(), false);
    out = std::move(*o);
  }
  if (auto err = CheckSize(s, out)) return HandleError(f, s, *err, false);
  f->vars = std::move(vars);
  EmitExited(f, s, out, std::move(assigned));
  if (s.end) {
    FinishFrame(f, true, std::move(out), std::nullopt, std::nullopt);
    return false;
  }
  f->state = s.next_index;
  f->input = std::move(out);
  return true;
}

bool Executor::HandleError(Frame* f, const State& s, Error error, bool catchable) {
  error = StateError(f, s, std::move(error));
  bool may_handle = catchable || s.type == StateType::kTask || s.type == StateType::kParallel ||
                    s.type == StateType::kMap;
  if (may_handle && error.code != "States.Runtime") {
    auto d = asl::DecideRetry(s, error.code, f->attempts, entropy_.NextRandom());
    if (d.retry) {
      ++f->retry_count;
      SetTimer(f, clock_->Now() + d.delay, Action::kAttempt);
      return false;
    }
    int c = asl::FindCatcher(s, error.code);
    if (f->job_started && s.type == StateType::kMap)
      Emit(f, EventType::kMapStateFailed, &s, Json(), error.code, error.message);
    else if (f->job_started && s.type == StateType::kParallel)
      Emit(f, EventType::kParallelStateFailed, &s, Json(), error.code, error.message);
    if (c >= 0) {
      const asl::Catcher& catcher = s.catchers[c];
      Json err_out = asl::ErrorOutput(error, true);
      asl::Env env = MakeEnv(f, s, err_out);
      std::shared_ptr<const asl::VarScope> vars = f->vars;
      Json assigned;
      if (catcher.assign) {
        auto v = asl::ApplyAssign(*catcher.assign, OwnScope(f), env);
        if (!v.ok()) {
          FinishFrame(f, false, Json(), v.error().code, StateError(f, s, v.error()).message);
          return false;
        }
        vars = std::move(v->scope);
        assigned = std::move(v->values);
      }
      auto out = asl::ApplyResultPath(catcher.result_path, f->input, err_out);
      if (!out.ok()) {
        FinishFrame(f, false, Json(), out.error().code, out.error().message);
        return false;
      }
      f->vars = std::move(vars);
      EmitExited(f, s, *out, std::move(assigned));
      f->state = catcher.next_index;
      f->input = std::move(*out);
      return true;
    }
  } else if (f->job_started && s.type == StateType::kMap) {
    Emit(f, EventType::kMapStateFailed, &s, Json(), error.code, error.message);
  } else if (f->job_started && s.type == StateType::kParallel) {
    Emit(f, EventType::kParallelStateFailed, &s, Json(), error.code, error.message);
  }
  FinishFrame(f, false, Json(), std::move(error.code), std::move(error.message));
  return false;
}

void Executor::FinishFrame(Frame* f, bool ok, Json output, std::optional<std::string> error,
                           std::optional<std::string> cause) {
  if (!f->parent) {
    Finish(ok ? ExecutionStatus::kSucceeded : ExecutionStatus::kFailed, std::move(output),
           std::move(error), std::move(cause));
    return;
  }
  ChildDone(f->parent, f->slot, ok, std::move(output), std::move(error), std::move(cause));
}

}  // namespace wharf::engine::internal
