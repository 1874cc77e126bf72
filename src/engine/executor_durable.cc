// Executor: the stepping interface the durable engine drives, and snapshots (see executor.h and
// docs/durable.md, "Snapshot").
//
// A snapshot is taken between steps, when every live frame waits for something: a timer, a task,
// or the children of its Parallel/Map job. It records the frame tree with what each frame waits
// for, the execution's counters and its random generator, so that a restored executor decides
// exactly as the lost one would have.
#include <unordered_map>

#include "engine/executor.h"

namespace wharf::engine::internal {

namespace {

Json Nanos(TimePoint t) {
  return Json::Int(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

TimePoint FromNanos(int64_t ns) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::nanoseconds(ns)));
}

int64_t IntAt(const Json& o, std::string_view key, int64_t fallback = 0) {
  const Json* v = o.find(key);
  return v && v->is_int() ? v->as_int() : fallback;
}

const Json& At(const Json& o, std::string_view key) {
  static const Json kNull;
  const Json* v = o.find(key);
  return v ? *v : kNull;
}

bool BoolAt(const Json& o, std::string_view key) {
  const Json* v = o.find(key);
  return v && v->is_bool() && v->as_bool();
}

std::string StringAt(const Json& o, std::string_view key) {
  const Json* v = o.find(key);
  return v && v->is_string() ? v->as_string() : std::string();
}

Error Corrupt(std::string what) {
  return MakeError("States.Runtime", "the execution's snapshot is damaged: " + std::move(what));
}

}  // namespace

// What each frame waits for, gathered once per snapshot.
struct Executor::SnapshotIndex {
  std::unordered_map<const Frame*, std::vector<const Timer*>> timers;
  std::unordered_map<const Frame*, std::pair<uint64_t, const InFlight*>> tasks;
};

// ---- stepping ----

std::vector<HistoryEvent> Executor::TakeHistory() {
  std::vector<HistoryEvent> out = std::move(result_.history);
  result_.history.clear();
  return out;
}

std::vector<Executor::OutgoingTask> Executor::TakeOutgoing() {
  std::vector<OutgoingTask> out = std::move(outgoing_);
  outgoing_.clear();
  return out;
}

bool Executor::ApplyTaskResult(const std::string& attempt_id, tasks::InvocationResult result) {
  for (auto it = in_flight_.begin(); it != in_flight_.end(); ++it) {
    if (it->second.attempt_id != attempt_id) continue;
    InFlight entry = std::move(it->second);
    in_flight_.erase(it);
    if (done_ || entry.frame->aborted || entry.frame->generation != entry.generation) return false;
    TaskDone(entry.frame.get(), std::move(result));
    return true;
  }
  return false;
}

std::vector<std::string> Executor::TakeDroppedTasks() {
  std::vector<std::string> out = std::move(dropped_tasks_);
  dropped_tasks_.clear();
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    if (it->second.frame->aborted || it->second.frame->generation != it->second.generation) {
      out.push_back(std::move(it->second.attempt_id));
      it = in_flight_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

std::vector<std::string> Executor::InFlightTasks() const {
  std::vector<std::string> out;
  for (auto& [ticket, entry] : in_flight_)
    if (!entry.frame->aborted && entry.frame->generation == entry.generation)
      out.push_back(entry.attempt_id);
  return out;
}

std::vector<std::string> Executor::TakeHeartbeatChecks() {
  std::vector<std::string> out = std::move(heartbeat_checks_);
  heartbeat_checks_.clear();
  return out;
}

void Executor::HeartbeatResult(const std::string& attempt_id, std::optional<TimePoint> last) {
  for (auto it = in_flight_.begin(); it != in_flight_.end(); ++it) {
    if (it->second.attempt_id != attempt_id) continue;
    Frame* f = it->second.frame.get();
    if (done_ || f->aborted || f->generation != it->second.generation) return;
    const State& s = f->sm->states[f->state];
    asl::Env env = MakeEnv(f, s, f->effective);
    auto seconds = asl::ResolveIntOrPath(s.heartbeat_seconds, env, "HeartbeatSecondsPath");
    TimePoint now = clock_->Now();
    if (seconds.ok() && *seconds && last && *last + std::chrono::seconds(**seconds) > now) {
      SetTimer(f, *last + std::chrono::seconds(**seconds), Action::kHeartbeat);
      return;
    }
    std::shared_ptr<Frame> keep = it->second.frame;
    in_flight_.erase(it);
    dropped_tasks_.push_back(attempt_id);
    tasks::InvocationResult r;
    r.error = MakeError("States.HeartbeatTimeout", "");
    TaskDone(keep.get(), std::move(r));
    return;
  }
}

void Executor::Stop(std::optional<std::string> error, std::optional<std::string> cause) {
  if (done_) return;
  Abort(root_.get());
  Finish(ExecutionStatus::kAborted, Json(), std::move(error), std::move(cause));
}

void Executor::Redrive(TimePoint now) {
  done_ = false;
  result_.status = ExecutionStatus::kRunning;
  result_.output = Json();
  result_.error.reset();
  result_.cause.reset();
  ++redrive_count_;
  identity_.redrive_count = redrive_count_;
  execution_context_ = execution_context_.Set("RedriveCount", Json::Int(redrive_count_));
  timers_ = TimerQueue();
  in_flight_.clear();
  ready_.clear();
  sync_done_.clear();
  outgoing_.clear();
  now_ = now;
  Frame* root = root_.get();
  root->aborted = false;
  ++root->generation;
  root->job.reset();
  root->token.clear();
  root->task_id.clear();
  root->context = Json();
  Emit(root, EventType::kExecutionRedriven, nullptr, Json(), std::nullopt, std::nullopt,
       redrive_count_);
  if (machine_->timeout_seconds)
    execution_deadline_ = now + std::chrono::seconds(*machine_->timeout_seconds);
  ready_.push_back({root_, Action::kEnter, root->generation});
}

// ---- snapshots ----

Json Executor::Snapshot() const {
  SnapshotIndex index;
  for (const Timer& t : timers_.items())
    if (!t.frame->aborted && t.generation == t.frame->generation)
      index.timers[t.frame.get()].push_back(&t);
  for (auto& [ticket, entry] : in_flight_)
    if (!entry.frame->aborted && entry.generation == entry.frame->generation)
      index.tasks[entry.frame.get()] = {ticket, &entry};
  auto rng = entropy_.generator().state();
  JsonArray rng_words;
  for (uint64_t w : rng) rng_words.push_back(Json::Int(static_cast<int64_t>(w)));
  std::vector<JsonMember> m;
  m.emplace_back("v", Json::Int(1));
  m.emplace_back("machine", Json::String(identity_.machine_name));
  m.emplace_back("name", Json::String(identity_.name));
  m.emplace_back("arn", Json::String(identity_.arn));
  m.emplace_back("start", Nanos(identity_.start));
  m.emplace_back("redrives", Json::Int(redrive_count_));
  m.emplace_back("input", input_);
  m.emplace_back("events", Json::Int(event_count_));
  m.emplace_back("transitions", Json::Int(result_.transitions));
  m.emplace_back("rng", Json::Array(std::move(rng_words)));
  m.emplace_back("tickets", Json::Int(static_cast<int64_t>(next_ticket_)));
  if (execution_deadline_) m.emplace_back("deadline", Nanos(*execution_deadline_));
  m.emplace_back("root", SaveFrame(*root_, index));
  return Json::Object(std::move(m));
}

Json Executor::SaveFrame(const Frame& f, const SnapshotIndex& index) const {
  std::vector<JsonMember> m;
  m.emplace_back("state", Json::Int(f.state));
  m.emplace_back("input", f.input);
  if (!f.parent || !f.inherits_scope) {
    std::vector<JsonMember> vars;
    for (auto& [name, value] : f.vars->vars) vars.emplace_back(name, value);
    m.emplace_back("vars", Json::Object(std::move(vars)));
  }
  m.emplace_back("entered_event", Json::Int(f.entered_event));
  m.emplace_back("last_event", Json::Int(f.last_event));
  m.emplace_back("entered_time", Nanos(f.entered_time));
  m.emplace_back("retry", Json::Int(f.retry_count));
  JsonArray attempts;
  for (int64_t a : f.attempts) attempts.push_back(Json::Int(a));
  m.emplace_back("attempts", Json::Array(std::move(attempts)));
  m.emplace_back("effective", f.effective);
  if (!f.assigned.is_null()) m.emplace_back("assigned", f.assigned);
  if (f.job_started) m.emplace_back("job_started", Json::Bool(true));
  if (f.task_is_invoke) m.emplace_back("invoke", Json::Bool(true));
  if (f.log_tail) m.emplace_back("tail", Json::Bool(true));
  if (!f.token.empty()) m.emplace_back("token", Json::String(f.token));
  if (!f.task_id.empty()) m.emplace_back("task_id", Json::String(f.task_id));
  if (auto it = index.timers.find(&f); it != index.timers.end()) {
    JsonArray timers;
    for (const Timer* t : it->second)
      timers.push_back(Json::Object(
          {{"at", Nanos(t->at)}, {"action", Json::Int(static_cast<int64_t>(t->action))}}));
    m.emplace_back("timers", Json::Array(std::move(timers)));
  }
  if (auto it = index.tasks.find(&f); it != index.tasks.end())
    m.emplace_back("task",
                   Json::Object({{"ticket", Json::Int(static_cast<int64_t>(it->second.first))},
                                 {"id", Json::String(it->second.second->attempt_id)}}));
  if (f.job) {
    const Job& job = *f.job;
    std::string slots(job.inputs.size(), 'n');
    JsonArray children;
    for (size_t i = 0; i < job.inputs.size(); ++i) {
      if (!job.started[i]) continue;
      if (job.children[i]) {
        slots[i] = 'r';
        children.push_back(Json::Object({{"slot", Json::Int(static_cast<int64_t>(i))},
                                         {"frame", SaveFrame(*job.children[i], index)}}));
      } else {
        slots[i] = 'd';
      }
    }
    std::vector<JsonMember> j;
    j.emplace_back("map", Json::Bool(job.is_map));
    j.emplace_back("inputs", Json::Array(job.inputs));
    j.emplace_back("results", Json::Array(job.results));
    j.emplace_back("slots", Json::String(std::move(slots)));
    j.emplace_back("next", Json::Int(static_cast<int64_t>(job.next)));
    j.emplace_back("succeeded", Json::Int(static_cast<int64_t>(job.succeeded)));
    j.emplace_back("failed", Json::Int(static_cast<int64_t>(job.failed)));
    j.emplace_back("max_concurrency", Json::Int(job.max_concurrency));
    j.emplace_back("tolerance_count", Json::Int(job.tolerance.count));
    j.emplace_back("tolerance_percentage", Json::Double(job.tolerance.percentage));
    j.emplace_back("children", Json::Array(std::move(children)));
    m.emplace_back("job", Json::Object(std::move(j)));
  }
  return Json::Object(std::move(m));
}

Status Executor::LoadFrame(Frame& f, const Json& j) {
  if (!j.is_object()) return Corrupt("a frame is not an object");
  int64_t state = IntAt(j, "state", -1);
  if (state < 0 || static_cast<size_t>(state) >= f.sm->states.size())
    return Corrupt("state index " + std::to_string(state) + " is out of range");
  f.state = static_cast<int>(state);
  f.input = At(j, "input");
  const Frame* owner = f.parent ? f.parent->owner : nullptr;
  if (const Json* vars = j.find("vars"); vars && vars->is_object()) {
    auto scope = std::make_shared<asl::VarScope>();
    if (owner) scope->outer = owner->vars;
    for (auto& [name, value] : vars->as_object()) scope->vars.emplace(name, value);
    f.vars = std::move(scope);
    f.inherits_scope = false;
  } else {
    if (!owner) return Corrupt("the top-level frame has no variables");
    f.vars = owner->vars;
    f.inherits_scope = true;
  }
  f.entered_event = IntAt(j, "entered_event");
  f.last_event = IntAt(j, "last_event");
  f.entered_time = FromNanos(IntAt(j, "entered_time"));
  f.retry_count = IntAt(j, "retry");
  f.attempts.clear();
  if (const Json* a = j.find("attempts"); a && a->is_array())
    for (auto& v : a->as_array()) f.attempts.push_back(v.is_int() ? v.as_int() : 0);
  f.effective = At(j, "effective");
  f.assigned = At(j, "assigned");
  f.job_started = BoolAt(j, "job_started");
  f.task_is_invoke = BoolAt(j, "invoke");
  f.log_tail = BoolAt(j, "tail");
  f.token = StringAt(j, "token");
  f.task_id = StringAt(j, "task_id");
  std::shared_ptr<Frame> self = f.shared_from_this();
  if (const Json* timers = j.find("timers"); timers && timers->is_array()) {
    for (auto& t : timers->as_array()) {
      int64_t action = IntAt(t, "action", -1);
      if (action < 0 || action > static_cast<int64_t>(Action::kHeartbeat))
        return Corrupt("a timer has an unknown action");
      timers_.push(Timer{FromNanos(IntAt(t, "at")), timer_seq_++, self, static_cast<Action>(action),
                         f.generation});
    }
  }
  if (const Json* task = j.find("task"); task && task->is_object()) {
    uint64_t ticket = static_cast<uint64_t>(IntAt(*task, "ticket"));
    in_flight_[ticket] = InFlight{self, f.generation, StringAt(*task, "id")};
  }
  const Json* job_json = j.find("job");
  if (!job_json || !job_json->is_object()) return Status();
  const State& s = f.sm->states[f.state];
  auto job = std::make_unique<Job>();
  job->owner = &f;
  job->state = &s;
  job->is_map = BoolAt(*job_json, "map");
  if (job->is_map != (s.type == StateType::kMap) ||
      (s.type != StateType::kMap && s.type != StateType::kParallel))
    return Corrupt("a job does not match its state '" + s.name + "'");
  const Json& inputs = At(*job_json, "inputs");
  const Json& results = At(*job_json, "results");
  std::string slots = StringAt(*job_json, "slots");
  if (!inputs.is_array() || !results.is_array() || results.as_array().size() != slots.size() ||
      inputs.as_array().size() != slots.size())
    return Corrupt("the job of '" + s.name + "' has inconsistent sizes");
  size_t n = slots.size();
  if (!job->is_map && n != s.branches.size())
    return Corrupt("the Parallel state '" + s.name + "' has another number of branches");
  job->inputs = inputs.as_array();
  job->results = results.as_array();
  job->children.resize(n);
  job->started.assign(n, false);
  for (size_t i = 0; i < n; ++i) job->started[i] = slots[i] != 'n';
  job->next = static_cast<size_t>(IntAt(*job_json, "next"));
  job->succeeded = static_cast<size_t>(IntAt(*job_json, "succeeded"));
  job->failed = static_cast<size_t>(IntAt(*job_json, "failed"));
  job->max_concurrency = IntAt(*job_json, "max_concurrency");
  job->tolerance.count = IntAt(*job_json, "tolerance_count", -1);
  const Json& pct = At(*job_json, "tolerance_percentage");
  job->tolerance.percentage = pct.is_number() ? pct.as_double() : -1;
  f.job = std::move(job);
  Job* jp = f.job.get();
  const Json& children = At(*job_json, "children");
  if (!children.is_array()) return Corrupt("the job of '" + s.name + "' has no children list");
  for (auto& c : children.as_array()) {
    int64_t slot = IntAt(c, "slot", -1);
    if (slot < 0 || static_cast<size_t>(slot) >= n || slots[slot] != 'r')
      return Corrupt("a child of '" + s.name + "' has a bad slot");
    auto child = std::make_shared<Frame>();
    child->parent = jp;
    child->slot = static_cast<size_t>(slot);
    child->sm = jp->is_map ? s.processor.get() : s.branches[slot].get();
    jp->children[slot] = child;
    ++jp->running;
    WHARF_TRY_STATUS(LoadFrame(*child, At(c, "frame")));
  }
  return Status();
}

Result<std::unique_ptr<Executor>> Executor::Restore(std::shared_ptr<const StateMachine> machine,
                                                    const Json& snapshot,
                                                    const RunOptions& options) {
  if (!snapshot.is_object() || IntAt(snapshot, "v") != 1)
    return Corrupt("unknown snapshot version");
  auto ex = std::make_unique<Executor>(machine, At(snapshot, "input"), options);
  Identity id;
  id.machine_name = StringAt(snapshot, "machine");
  id.name = StringAt(snapshot, "name");
  id.arn = StringAt(snapshot, "arn");
  id.start = FromNanos(IntAt(snapshot, "start"));
  id.redrive_count = IntAt(snapshot, "redrives");
  ex->SetIdentity(id);
  ex->start_time_ = id.start;
  ex->event_count_ = IntAt(snapshot, "events");
  ex->result_.transitions = IntAt(snapshot, "transitions");
  const Json& rng = At(snapshot, "rng");
  if (!rng.is_array() || rng.as_array().size() != 4) return Corrupt("no random generator state");
  std::array<uint64_t, 4> words{};
  for (size_t i = 0; i < 4; ++i) {
    const Json& w = rng.as_array()[i];
    words[i] = w.is_int() ? static_cast<uint64_t>(w.as_int()) : 0;
  }
  ex->entropy_.generator().set_state(words);
  ex->next_ticket_ = static_cast<uint64_t>(IntAt(snapshot, "tickets", 1));
  if (snapshot.find("deadline")) ex->execution_deadline_ = FromNanos(IntAt(snapshot, "deadline"));
  ex->root_ = std::make_shared<Frame>();
  ex->root_->sm = ex->machine_.get();
  WHARF_TRY_STATUS(ex->LoadFrame(*ex->root_, At(snapshot, "root")));
  return ex;
}

}  // namespace wharf::engine::internal
