// The in-memory executor: runs one execution to completion by sequencing the interpreter's pure
// functions (asl/interpreter.h), recording history, running function tasks on a worker pool and
// keeping timers for Wait states and retry back-off.
//
// One thread (the caller's) runs every state; Parallel branches and Map iterations are frames
// that interleave on it, while their tasks run at the same time on the pool. A frame runs its
// states until it must wait (a task, a timer, child frames); then the next ready frame runs.
// With a virtual clock, time jumps to the next timer whenever nothing else can run.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <queue>
#include <random>
#include <thread>
#include <unordered_map>

#include <openssl/evp.h>

#include "asl/interpreter.h"
#include "engine/run.h"

namespace wharf::engine {

namespace {

using asl::State;
using asl::StateMachine;
using asl::StateType;

// xoshiro256** seeded through splitmix64: cheap to seed for every execution, unlike mt19937_64
// (a 2.5 KB state) or std::random_device (a system call).
class Xoshiro256 {
 public:
  explicit Xoshiro256(uint64_t seed) {
    for (auto& w : s_) w = SplitMix(seed);
  }
  uint64_t operator()() {
    uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t SplitMix(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t s_[4];
};

// A fresh seed per execution: one read of the OS's random device per process, then a counter.
uint64_t FreshSeed() {
  static const uint64_t base = (static_cast<uint64_t>(std::random_device{}()) << 32) ^
                               std::random_device{}();
  static std::atomic<uint64_t> counter{0};
  return base + 0x9e3779b97f4a7c15ULL * (counter.fetch_add(1, std::memory_order_relaxed) + 1);
}

class RandomEntropy final : public asl::Entropy {
 public:
  explicit RandomEntropy(uint64_t seed) : rng_(seed) {}
  std::string NewUuid() override {
    uint64_t a = rng_(), b = rng_();
    a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
    b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                  static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xffff),
                  static_cast<unsigned>(b >> 48),
                  static_cast<unsigned long long>(b & 0xffffffffffffULL));
    return buf;
  }
  uint64_t NextRandom() override { return rng_(); }

 private:
  Xoshiro256 rng_;
};

// Runs function invocations on worker threads and hands the results back to the executor.
class TaskPool {
 public:
  struct Done {
    uint64_t ticket;
    tasks::InvocationResult result;
  };
  explicit TaskPool(int threads) : max_threads_(std::max(1, threads)) {}
  ~TaskPool() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    work_cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  void Submit(uint64_t ticket, std::function<tasks::InvocationResult()> work) {
    std::lock_guard lock(mu_);
    queue_.push_back({ticket, std::move(work)});
    if (static_cast<int>(threads_.size()) < max_threads_ && idle_ == 0)
      threads_.emplace_back([this] { Loop(); });
    work_cv_.notify_one();
  }
  // Waits for a finished task until `deadline` (or forever when nullopt); false on timeout.
  bool Wait(std::optional<TimePoint> deadline, std::vector<Done>& out) {
    std::unique_lock lock(mu_);
    auto ready = [&] { return !done_.empty(); };
    if (deadline) {
      if (!done_cv_.wait_until(lock, *deadline, ready)) return false;
    } else {
      done_cv_.wait(lock, ready);
    }
    for (auto& d : done_) out.push_back(std::move(d));
    done_.clear();
    return true;
  }

 private:
  void Loop() {
    std::unique_lock lock(mu_);
    for (;;) {
      ++idle_;
      work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      --idle_;
      if (queue_.empty()) return;
      auto item = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      auto result = item.second();
      lock.lock();
      done_.push_back({item.first, std::move(result)});
      done_cv_.notify_one();
    }
  }
  const int max_threads_;
  std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::deque<std::pair<uint64_t, std::function<tasks::InvocationResult()>>> queue_;
  std::vector<Done> done_;
  std::vector<std::thread> threads_;
  int idle_ = 0;
  bool stopping_ = false;
};

class Executor {
 public:
  Executor(std::shared_ptr<const StateMachine> machine, const Json& input, const RunOptions& options)
      : machine_(std::move(machine)), options_(options), input_(input),
        clock_(options.clock ? options.clock : &system_clock_),
        entropy_(options.random_seed ? options.random_seed : FreshSeed()),
        pool_(options.max_parallel_tasks) {}

  RunResult Run();

 private:
  struct Job;
  // Frames are shared: the ready queue, timers and running tasks keep the ones they refer to
  // alive, so a frame that ends or is aborted can be dropped by its job at any time.
  struct Frame : std::enable_shared_from_this<Frame> {
    const StateMachine* sm = nullptr;
    int state = -1;
    Json input;                                  // raw input of the current state
    std::shared_ptr<const asl::VarScope> vars;
    bool inherits_scope = false;                 // `vars` is the enclosing frame's scope
    Job* parent = nullptr;                       // the Parallel/Map this frame belongs to
    size_t slot = 0;
    int64_t entered_event = 0;
    int64_t last_event = 0;
    std::vector<int64_t> attempts;               // per retrier of the current state
    int64_t retry_count = 0;
    TimePoint entered_time;
    Json effective;                              // input after InputPath (+ Parameters)
    std::unique_ptr<Job> job;                    // the child job of a Parallel/Map state
    uint64_t generation = 0;                     // bumped to ignore stale tasks/timers
    bool aborted = false;
    Json context;                                // built lazily for the current attempt
    Json assigned;                               // a Wait's Assign values, until it exits
    bool job_started = false;                    // Map/ParallelStateStarted emitted this attempt
    bool task_is_invoke = false;                 // lambda:invoke (Task*) vs function ARN
    bool log_tail = false;                       // lambda:invoke with LogType "Tail"
  };
  struct Job {
    Frame* owner = nullptr;
    const State* state = nullptr;
    bool is_map = false;
    JsonArray inputs;                            // per child: its input (Map: the raw items)
    JsonArray results;
    std::vector<std::shared_ptr<Frame>> children;
    std::vector<bool> started;
    size_t next = 0, running = 0, succeeded = 0, failed = 0;
    int64_t max_concurrency = 0;
    asl::Tolerance tolerance;
    bool finished = false;
  };
  enum class Action { kEnter, kAttempt, kWaitDone, kStartIteration };
  struct Ready {
    std::shared_ptr<Frame> frame;
    Action action;
    uint64_t generation;
  };
  struct Timer {
    TimePoint at;
    uint64_t seq;
    std::shared_ptr<Frame> frame;
    Action action;
    uint64_t generation;
    bool operator>(const Timer& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };

  int64_t Emit(Frame* f, EventType type, const State* state, Json data = Json(),
               std::optional<std::string> error = std::nullopt,
               std::optional<std::string> cause = std::nullopt, int64_t index = -1);
  void EmitExited(Frame* f, const State& s, const Json& output, Json assigned);
  // The frame's own variable scope, made on first use by a branch or iteration.
  std::shared_ptr<const asl::VarScope> OwnScope(Frame* f);
  void RunFrame(Frame* f, Action action);
  bool Attempt(Frame* f);  // true: continue with the frame's next state
  bool Complete(Frame* f, const State& s, Json result, bool apply_selector);
  bool HandleError(Frame* f, const State& s, Error error, bool catchable = true);
  void FinishFrame(Frame* f, bool ok, Json output, std::optional<std::string> error,
                   std::optional<std::string> cause);
  bool StartTask(Frame* f, const State& s, const Json& params);
  void TaskDone(Frame* f, tasks::InvocationResult result);
  Json InvokeResult(const tasks::InvocationResult& r, bool log_tail);
  bool StartJob(Frame* f, const State& s);
  void StartChild(Job* job, size_t i);
  void ChildDone(Job* job, size_t slot, bool ok, Json output, std::optional<std::string> error,
                 std::optional<std::string> cause);
  void JobDone(Job* job, bool ok, Error error, bool has_cause);
  void Abort(Frame* f);
  void SetTimer(Frame* f, TimePoint at, Action action);
  const Json& Context(Frame* f, const State& s);
  asl::Env MakeEnv(Frame* f, const State& s, const Json& input);
  Error StateError(Frame* f, const State& s, Error e);
  std::optional<Error> CheckSize(const State& s, const Json& doc);
  void Finish(ExecutionStatus status, Json output, std::optional<std::string> error,
              std::optional<std::string> cause);

  std::shared_ptr<const StateMachine> machine_;
  const RunOptions& options_;
  Json input_;
  SystemClock system_clock_;
  Clock* clock_;
  RandomEntropy entropy_;
  TaskPool pool_;
  RunResult result_;
  bool done_ = false;
  int64_t event_count_ = 0;
  std::deque<Ready> ready_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  uint64_t timer_seq_ = 0;
  std::unordered_map<uint64_t, std::pair<std::shared_ptr<Frame>, uint64_t>> in_flight_;  // ticket -> frame, gen
  uint64_t next_ticket_ = 1;
  std::shared_ptr<Frame> root_;
  Json execution_context_, machine_context_;
  const Json* last_checked_ = nullptr;  // the last document that passed the size quota
  Json last_checked_doc_;
  TimePoint now_;  // the clock, read once per state and per event-loop turn
  struct SyncDone {
    std::shared_ptr<Frame> frame;
    uint64_t generation;
    tasks::InvocationResult result;
  };
  std::deque<SyncDone> sync_done_;                 // tasks that finished without the pool
  // Jobs that ended while their code was still on the stack; freed by the loop.
  std::vector<std::unique_ptr<Job>> dead_jobs_;
};

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
  e.timestamp = now_;
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
  if (options_.record_history && assigned.is_object()) result_.history.back().assigned = std::move(assigned);
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
    f->context = Json::Object({{"Execution", execution_context_},
                               {"State", Json::Object(std::move(st))},
                               {"StateMachine", machine_context_}});
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
    case StateType::kPass: return EventType::kPassStateEntered;
    case StateType::kTask: return EventType::kTaskStateEntered;
    case StateType::kChoice: return EventType::kChoiceStateEntered;
    case StateType::kWait: return EventType::kWaitStateEntered;
    case StateType::kSucceed: return EventType::kSucceedStateEntered;
    case StateType::kFail: return EventType::kFailStateEntered;
    case StateType::kParallel: return EventType::kParallelStateEntered;
    case StateType::kMap: return EventType::kMapStateEntered;
  }
  return EventType::kPassStateEntered;
}

static EventType ExitedType(StateType t) {
  switch (t) {
    case StateType::kPass: return EventType::kPassStateExited;
    case StateType::kTask: return EventType::kTaskStateExited;
    case StateType::kChoice: return EventType::kChoiceStateExited;
    case StateType::kWait: return EventType::kWaitStateExited;
    case StateType::kSucceed: return EventType::kSucceedStateExited;
    case StateType::kParallel: return EventType::kParallelStateExited;
    case StateType::kMap: return EventType::kMapStateExited;
    case StateType::kFail: break;
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
    case Action::kEnter: break;
    case Action::kAttempt:
      f->context = Json();
      more = Attempt(f);
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
        if (!assigned.is_object()) assigned = v->values;
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
                       MakeError("States.Runtime", "The resource '" + resource +
                                                       "' is not supported by wharf yet."),
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
    std::string arn = function.rfind("arn:", 0) == 0
                          ? function
                          : "arn:aws:lambda:" + options_.region + ":" + options_.account + ":function:" + name;
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
  if (*timeout) inv.timeout = std::chrono::seconds(**timeout);
  // AWS words a function's error object differently per resource: Python's json.dumps style for
  // a function ARN, compact JSON for lambda:invoke (see the recorded error_handling cases).
  inv.cause_format = f->task_is_invoke ? tasks::CauseFormat::kCompact : tasks::CauseFormat::kPython;
  uint64_t ticket = next_ticket_++;
  in_flight_[ticket] = {f->shared_from_this(), f->generation};
  const tasks::FunctionSpec* spec = &it->second;
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
  m.emplace_back("SdkHttpMetadata",
                 Json::Object({{"AllHttpHeaders", Json::Object(std::move(all))},
                               {"HttpHeaders", Json::Object(std::move(headers))},
                               {"HttpStatusCode", Json::Int(200)}}));
  m.emplace_back("SdkResponseMetadata", Json::Object({{"RequestId", Json::String(request_id)}}));
  m.emplace_back("StatusCode", Json::Int(200));
  return Json::Object(std::move(m));
}

void Executor::TaskDone(Frame* f, tasks::InvocationResult r) {
  now_ = clock_->Now();
  const State& s = f->sm->states[f->state];
  bool invoke = f->task_is_invoke;
  if (r.ok) {
    Json result = invoke ? InvokeResult(r, f->log_tail) : r.output;
    Emit(f, invoke ? EventType::kTaskSucceeded : EventType::kLambdaFunctionSucceeded, &s, result);
    if (Complete(f, s, std::move(result), true)) ready_.push_back({f->shared_from_this(), Action::kEnter, f->generation});
    return;
  }
  bool timed_out = r.error.code == "States.Timeout";
  EventType type = invoke ? (timed_out ? EventType::kTaskTimedOut : EventType::kTaskFailed)
                          : (timed_out ? EventType::kLambdaFunctionTimedOut
                                       : EventType::kLambdaFunctionFailed);
  Emit(f, type, &s, Json(), r.error.code, r.error.message);
  if (HandleError(f, s, r.error, true)) ready_.push_back({f->shared_from_this(), Action::kEnter, f->generation});
}

// ---- Parallel and Map ----

bool Executor::StartJob(Frame* f, const State& s) {
  asl::Env env = MakeEnv(f, s, f->effective);
  auto job = std::make_unique<Job>();
  job->owner = f;
  job->state = &s;
  if (s.type == StateType::kParallel) {
    auto params = asl::ApplyParameters(s, f->effective, env);
    if (!params.ok()) return HandleError(f, s, params.error(), false);
    job->inputs.assign(s.branches.size(), *params);
  } else {
    job->is_map = true;
    auto items = asl::MapItems(s, env);
    if (!items.ok()) return HandleError(f, s, items.error(), false);
    auto tol = asl::MapTolerance(s, env);
    if (!tol.ok()) return HandleError(f, s, tol.error(), false);
    auto conc = asl::MapMaxConcurrency(s, env);
    if (!conc.ok()) return HandleError(f, s, conc.error(), false);
    auto batches = asl::MapBatches(s, *items, env);
    if (!batches.ok()) return HandleError(f, s, batches.error(), false);
    job->tolerance = *tol;
    job->max_concurrency = *conc;
    job->inputs = batches->as_array();
  }
  size_t n = job->inputs.size();
  job->results.assign(n, Json());
  job->children.resize(n);
  job->started.assign(n, false);
  Job* j = job.get();
  f->job = std::move(job);
  f->job_started = true;
  // A Map records four events per iteration; make room once instead of growing step by step.
  if (options_.record_history) result_.history.reserve(result_.history.size() + 4 * n + 8);
  if (j->is_map)
    Emit(f, EventType::kMapStateStarted, &s, Json(), std::nullopt, std::nullopt,
         static_cast<int64_t>(n));
  else
    Emit(f, EventType::kParallelStateStarted, &s);
  if (n == 0) {
    JobDone(j, true, Error{}, false);
    return false;
  }
  size_t first = j->is_map && j->max_concurrency > 0
                     ? std::min<size_t>(n, static_cast<size_t>(j->max_concurrency))
                     : n;
  for (size_t i = 0; i < first && !j->finished; ++i) StartChild(j, i);
  return false;
}

void Executor::StartChild(Job* job, size_t i) {
  Frame* owner = job->owner;
  const State& s = *job->state;
  auto child = std::make_shared<Frame>();
  child->parent = job;
  child->slot = i;
  child->last_event = owner->last_event;
  // Branches and iterations read the enclosing variables; their own assignments stay inside, in
  // a scope of their own made at the first Assign (OwnScope).
  child->vars = owner->vars;
  child->inherits_scope = true;
  if (job->is_map) {
    child->sm = s.processor.get();
    if (s.item_batcher) {
      child->input = job->inputs[i];
    } else {
      asl::Env env = MakeEnv(owner, s, owner->effective);
      auto in = asl::MapIterationInput(s, owner->effective, env.context, owner->vars.get(),
                                       &entropy_, static_cast<int64_t>(i), job->inputs[i]);
      if (!in.ok()) {
        // An ItemSelector failure fails the Map state itself.
        job->finished = true;
        Error e = in.error();
        JobDone(job, false, e, true);
        return;
      }
      child->input = std::move(*in);
    }
  } else {
    child->sm = s.branches[i].get();
    child->input = job->inputs[i];
  }
  child->state = child->sm->start_index;
  job->started[i] = true;
  ++job->running;
  ++job->next;
  ready_.push_back({child, job->is_map ? Action::kStartIteration : Action::kEnter, child->generation});
  job->children[i] = std::move(child);
}

void Executor::ChildDone(Job* job, size_t slot, bool ok, Json output,
                         std::optional<std::string> error, std::optional<std::string> cause) {
  if (job->finished) return;
  Frame* owner = job->owner;
  const State& s = *job->state;
  --job->running;
  if (job->is_map) {
    Emit(owner, ok ? EventType::kMapIterationSucceeded : EventType::kMapIterationFailed, &s,
         Json(), std::nullopt, std::nullopt, static_cast<int64_t>(slot));
  }
  Frame* child = job->children[slot].get();
  if (child) owner->last_event = std::max(owner->last_event, child->last_event);
  if (ok) {
    ++job->succeeded;
    job->results[slot] = std::move(output);
  } else {
    ++job->failed;
    Error e{error.value_or(""), cause.value_or("")};
    bool tolerated = false;
    if (job->is_map && (job->tolerance.count >= 0 || job->tolerance.percentage >= 0)) {
      double total = static_cast<double>(job->inputs.size());
      bool over_count = job->tolerance.count >= 0 &&
                        static_cast<int64_t>(job->failed) > job->tolerance.count;
      bool over_pct = job->tolerance.percentage >= 0 &&
                      100.0 * static_cast<double>(job->failed) / total > job->tolerance.percentage;
      bool count_ok = job->tolerance.count >= 0 && !over_count;
      bool pct_ok = job->tolerance.percentage >= 0 && !over_pct;
      tolerated = count_ok || pct_ok;
      if (!tolerated)
        e = MakeError("States.ExceedToleratedFailureThreshold",
                      "The specified tolerated failure threshold was exceeded");
      else
        job->results[slot] = asl::ErrorOutput(e, cause.has_value());
    }
    if (!tolerated) {
      job->finished = true;
      for (auto& c : job->children)
        if (c && c.get() != child) Abort(c.get());
      job->children[slot].reset();
      JobDone(job, false, e, cause.has_value() || e.code.rfind("States.", 0) == 0);
      return;
    }
  }
  job->children[slot].reset();
  if (job->next < job->inputs.size()) StartChild(job, job->next);
  if (job->running == 0 && job->next >= job->inputs.size()) {
    job->finished = true;
    JobDone(job, true, Error{}, false);
  }
}

void Executor::JobDone(Job* job, bool ok, Error error, bool has_cause) {
  Frame* owner = job->owner;
  const State& s = *job->state;
  if (ok) {
    Emit(owner, job->is_map ? EventType::kMapStateSucceeded : EventType::kParallelStateSucceeded, &s);
    Json results = Json::Array(std::move(job->results));
    dead_jobs_.push_back(std::move(owner->job));
    if (Complete(owner, s, std::move(results), true))
      ready_.push_back({owner->shared_from_this(), Action::kEnter, owner->generation});
    return;
  }
  (void)has_cause;
  // The failing child's code is still on the stack: free the job from the loop.
  dead_jobs_.push_back(std::move(owner->job));
  if (HandleError(owner, s, error, true)) ready_.push_back({owner->shared_from_this(), Action::kEnter, owner->generation});
}

void Executor::Abort(Frame* f) {
  f->aborted = true;
  ++f->generation;
  if (f->job) {
    f->job->finished = true;
    for (auto& c : f->job->children)
      if (c) Abort(c.get());
  }
}

void Executor::SetTimer(Frame* f, TimePoint at, Action action) {
  timers_.push(Timer{at, timer_seq_++, f->shared_from_this(), action, f->generation});
}

// ---- the loop ----

RunResult Executor::Run() {
  TimePoint start = clock_->Now();
  std::string name = options_.execution_name.empty() ? entropy_.NewUuid() : options_.execution_name;
  std::string prefix = "arn:aws:states:" + options_.region + ":" + options_.account + ":";
  machine_context_ = Json::Object(
      {{"Id", Json::String(prefix + "stateMachine:" + options_.state_machine_name)},
       {"Name", Json::String(options_.state_machine_name)}});
  // Express execution ARNs carry a second id; a synchronous execution cannot be redriven, so its
  // context has no RedriveCount (as AWS records it).
  std::string id = options_.express
                       ? prefix + "express:" + options_.state_machine_name + ":" + name + ":" + entropy_.NewUuid()
                       : prefix + "execution:" + options_.state_machine_name + ":" + name;
  std::vector<JsonMember> ctx;
  ctx.emplace_back("Id", Json::String(id));
  ctx.emplace_back("Input", input_);
  ctx.emplace_back("Name", Json::String(name));
  ctx.emplace_back("RoleArn", Json::String("arn:aws:iam::" + options_.account + ":role/wharf"));
  ctx.emplace_back("StartTime", Json::String(FormatIso8601(start)));
  if (!options_.synchronous) ctx.emplace_back("RedriveCount", Json::Int(0));
  execution_context_ = Json::Object(std::move(ctx));

  root_ = std::make_shared<Frame>();
  root_->sm = machine_.get();
  root_->state = machine_->start_index;
  root_->input = input_;
  root_->vars = std::make_shared<asl::VarScope>();
  // Two events per state of a straight run through the top level, plus start and end.
  if (options_.record_history) result_.history.reserve(2 * machine_->states.size() + 8);
  now_ = start;
  root_->last_event = Emit(nullptr, EventType::kExecutionStarted, nullptr, input_);

  std::optional<TimePoint> execution_deadline;
  if (machine_->timeout_seconds) execution_deadline = start + std::chrono::seconds(*machine_->timeout_seconds);

  ready_.push_back({root_, Action::kEnter, 0});
  std::vector<TaskPool::Done> finished;
  while (!done_) {
    while (!ready_.empty() && !done_) {
      Ready r = ready_.front();
      ready_.pop_front();
      if (r.frame->aborted || r.generation != r.frame->generation) continue;
      RunFrame(r.frame.get(), r.action);
      dead_jobs_.clear();
    }
    if (!sync_done_.empty()) {
      SyncDone d = std::move(sync_done_.front());
      sync_done_.pop_front();
      if (!d.frame->aborted && d.generation == d.frame->generation)
        TaskDone(d.frame.get(), std::move(d.result));
      dead_jobs_.clear();
      continue;
    }
    if (done_) break;
    // Finished tasks first, then timers.
    finished.clear();
    std::optional<TimePoint> next_timer;
    if (!timers_.empty()) next_timer = timers_.top().at;
    if (execution_deadline && (!next_timer || *execution_deadline < *next_timer))
      next_timer = execution_deadline;
    if (!in_flight_.empty()) {
      std::optional<TimePoint> wait_until = clock_->IsVirtual() ? std::nullopt : next_timer;
      if (clock_->IsVirtual() && next_timer && *next_timer <= clock_->Now()) wait_until = TimePoint::min();
      if (wait_until && *wait_until == TimePoint::min()) {
        pool_.Wait(std::chrono::system_clock::now(), finished);
      } else {
        pool_.Wait(wait_until ? std::optional<TimePoint>(std::chrono::system_clock::now() +
                                                         (*wait_until - clock_->Now()))
                              : std::nullopt,
                   finished);
      }
      for (auto& d : finished) {
        auto it = in_flight_.find(d.ticket);
        if (it == in_flight_.end()) continue;
        auto [frame, gen] = std::move(it->second);
        in_flight_.erase(it);
        if (frame->aborted || frame->generation != gen) continue;
        TaskDone(frame.get(), std::move(d.result));
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
    TimePoint now = clock_->Now();
    if (execution_deadline && now >= *execution_deadline) {
      Finish(ExecutionStatus::kTimedOut, Json(), std::string("States.Timeout"),
             "The execution timed out after " + std::to_string(*machine_->timeout_seconds) +
                 " seconds.");
      break;
    }
    while (!timers_.empty() && timers_.top().at <= now) {
      Timer t = timers_.top();
      timers_.pop();
      if (t.frame->aborted || t.generation != t.frame->generation) continue;
      ready_.push_back({t.frame, t.action, t.generation});
    }
  }
  // Running processes of aborted branches finish on the pool; its destructor waits for them.
  return std::move(result_);
}

}  // namespace

RunResult RunExecution(std::shared_ptr<const asl::StateMachine> machine, const Json& input,
                       const RunOptions& options) {
  Executor executor(std::move(machine), input, options);
  return executor.Run();
}

}  // namespace wharf::engine
