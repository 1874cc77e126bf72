// RunExecution and the executor's event loop (see executor.h).
#include <thread>

#include "engine/executor.h"

namespace wharf::engine::internal {

// ---- the loop ----

void Executor::Begin(const Identity& id) {
  SetIdentity(id);
  Start(id.start);
}

void Executor::SetIdentity(const Identity& id) {
  identity_ = id;
  std::string prefix = "arn:aws:states:" + options_.region + ":" + options_.account + ":";
  machine_context_ =
      Json::Object({{"Id", Json::String(prefix + "stateMachine:" + id.machine_name)},
                    {"Name", Json::String(id.machine_name)}});
  redrive_count_ = id.redrive_count;
  std::vector<JsonMember> ctx;
  ctx.emplace_back("Id", Json::String(id.arn));
  ctx.emplace_back("Input", input_);
  ctx.emplace_back("Name", Json::String(id.name));
  ctx.emplace_back("RoleArn", Json::String("arn:aws:iam::" + options_.account + ":role/wharf"));
  ctx.emplace_back("StartTime", Json::String(FormatIso8601(id.start)));
  // A synchronous execution cannot be redriven, so its context has no RedriveCount (as AWS
  // records it).
  if (!options_.synchronous) ctx.emplace_back("RedriveCount", Json::Int(id.redrive_count));
  execution_context_ = Json::Object(std::move(ctx));
  result_.execution_name = id.name;
  result_.execution_arn = id.arn;
}

void Executor::Start(TimePoint start) {
  start_time_ = start;
  root_ = std::make_shared<Frame>();
  root_->sm = machine_.get();
  root_->state = machine_->start_index;
  root_->input = input_;
  root_->vars = std::make_shared<asl::VarScope>();
  // Two events per state of a straight run through the top level, plus start and end.
  if (options_.record_history) result_.history.reserve(2 * machine_->states.size() + 8);
  now_ = start;
  root_->last_event = Emit(nullptr, EventType::kExecutionStarted, nullptr, input_);
  if (machine_->timeout_seconds)
    execution_deadline_ = start + std::chrono::seconds(*machine_->timeout_seconds);
  ready_.push_back({root_, Action::kEnter, 0});
}

void Executor::Drain() {
  dead_jobs_.clear();
  for (;;) {
    while (!ready_.empty() && !done_) {
      Ready r = ready_.front();
      ready_.pop_front();
      if (r.frame->aborted || r.generation != r.frame->generation) continue;
      RunFrame(r.frame.get(), r.action);
      dead_jobs_.clear();
    }
    if (done_ || sync_done_.empty()) return;
    SyncDone d = std::move(sync_done_.front());
    sync_done_.pop_front();
    if (!d.frame->aborted && d.generation == d.frame->generation)
      TaskDone(d.frame.get(), std::move(d.result));
    dead_jobs_.clear();
  }
}

std::optional<TimePoint> Executor::NextWake() const {
  if (done_) return std::nullopt;
  std::optional<TimePoint> next;
  if (!timers_.empty()) next = timers_.top().at;
  if (execution_deadline_ && (!next || *execution_deadline_ < *next)) next = execution_deadline_;
  return next;
}

void Executor::FireDue(TimePoint now) {
  if (done_) return;
  if (execution_deadline_ && now >= *execution_deadline_) {
    Finish(ExecutionStatus::kTimedOut, Json(), std::string("States.Timeout"),
           "The execution timed out after " + std::to_string(*machine_->timeout_seconds) +
               " seconds.");
    return;
  }
  while (!timers_.empty() && timers_.top().at <= now) {
    Timer t = timers_.top();
    timers_.pop();
    if (t.frame->aborted || t.generation != t.frame->generation) continue;
    ready_.push_back({t.frame, t.action, t.generation});
  }
}

// ---- the in-memory loop ----

RunResult Executor::Run() {
  TimePoint start = clock_->Now();
  Identity id;
  id.machine_name = options_.state_machine_name;
  id.name = options_.execution_name.empty() ? entropy_.NewUuid() : options_.execution_name;
  std::string prefix = "arn:aws:states:" + options_.region + ":" + options_.account + ":";
  // Express execution ARNs carry a second id.
  id.arn = options_.express ? prefix + "express:" + id.machine_name + ":" + id.name + ":" +
                                  entropy_.NewUuid()
                            : prefix + "execution:" + id.machine_name + ":" + id.name;
  id.start = start;
  Begin(id);

  std::vector<TaskPool::Done> finished;
  while (!done_) {
    Drain();
    if (done_) break;
    // Finished tasks first, then timers.
    finished.clear();
    std::optional<TimePoint> next_timer = NextWake();
    if (!in_flight_.empty()) {
      // A virtual clock does not move while tasks run: wait for them, or only poll when a timer
      // is already due. A real clock waits until the next timer at most.
      if (clock_->IsVirtual()) {
        if (next_timer && *next_timer <= clock_->Now())
          pool_.Wait(std::chrono::system_clock::now(), finished);
        else
          pool_.Wait(std::nullopt, finished);
      } else if (next_timer) {
        pool_.Wait(std::chrono::system_clock::now() + (*next_timer - clock_->Now()), finished);
      } else {
        pool_.Wait(std::nullopt, finished);
      }
      for (auto& d : finished) {
        auto it = in_flight_.find(d.ticket);
        if (it == in_flight_.end()) continue;
        InFlight entry = std::move(it->second);
        in_flight_.erase(it);
        if (entry.frame->aborted || entry.frame->generation != entry.generation) continue;
        TaskDone(entry.frame.get(), std::move(d.result));
        dead_jobs_.clear();
      }
      if (!finished.empty()) continue;
    }
    if (!next_timer) {
      if (in_flight_.empty() && ready_.empty()) {
        // Nothing can make progress: a definition bug the validator should have caught.
        Finish(ExecutionStatus::kFailed, Json(), std::string("States.Runtime"),
               "The execution cannot make progress.");
      }
      continue;
    }
    if (clock_->IsVirtual()) {
      clock_->AdvanceTo(*next_timer);
    } else if (in_flight_.empty()) {
      auto delay = *next_timer - clock_->Now();
      if (delay > std::chrono::nanoseconds(0)) std::this_thread::sleep_for(delay);
    }
    FireDue(clock_->Now());
  }
  // Running processes of aborted branches finish on the pool; its destructor waits for them.
  return std::move(result_);
}

}  // namespace wharf::engine::internal

namespace wharf::engine {

RunResult RunExecution(std::shared_ptr<const asl::StateMachine> machine, const Json& input,
                       const RunOptions& options) {
  internal::Executor executor(std::move(machine), input, options);
  return executor.Run();
}

}  // namespace wharf::engine
