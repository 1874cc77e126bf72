// Executor: runs one execution of a state machine in memory (see run.h and
// docs/architecture.md, "How an execution runs"). Internal to the engine layer; its code is
// split by concern: executor.cc (states, errors, history), executor_tasks.cc (Task states and
// functions), executor_jobs.cc (Parallel and Map), run.cc (the event loop).
//
// One thread (the caller's) runs every state; Parallel branches and Map iterations are frames
// that interleave on it, while their tasks run at the same time on the pool. A frame runs its
// states until it must wait (a task, a timer, child frames); then the next ready frame runs.
// With a virtual clock, time jumps to the next timer whenever nothing else can run.
// Thread-safety: an Executor is used by one thread.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "asl/interpreter.h"
#include "engine/entropy.h"
#include "engine/run.h"
#include "engine/task_pool.h"

namespace wharf::engine::internal {

using asl::State;
using asl::StateMachine;
using asl::StateType;

class Executor {
 public:
  Executor(std::shared_ptr<const StateMachine> machine, const Json& input,
           const RunOptions& options)
      : machine_(std::move(machine)),
        options_(options),
        input_(input),
        clock_(options.clock ? options.clock : &system_clock_),
        entropy_(options.random_seed ? options.random_seed : FreshSeed()),
        pool_(options.max_parallel_tasks) {}

  // Runs the execution to its end, in memory (RunExecution).
  RunResult Run();

  // ---- Stepping, for the durable engine (engine.cc) ----
  // The engine drives the same states step by step: Begin (or Restore), then Drain after each
  // input (a task result, a due timer), committing what TakeHistory/TakeOutgoing/Snapshot return
  // before it acts on them. With `deferred_tasks`, StartTask hands function calls to the engine
  // (TakeOutgoing) instead of running them on the executor's own pool.
  struct Identity {
    std::string machine_name;
    std::string name;
    std::string arn;
    TimePoint start;
    int64_t redrive_count = 0;
  };
  struct OutgoingTask {
    std::string attempt_id;  // the store's ticket and the function's WHARF_ATTEMPT_ID
    const tasks::FunctionSpec* spec = nullptr;
    tasks::Invocation invocation;
    std::string token;  // .waitForTaskToken: the token in $$.Task.Token
  };
  void set_deferred_tasks() { deferred_tasks_ = true; }
  void Begin(const Identity& id);  // emits ExecutionStarted, readies the start state
  void Drain();                    // runs until every frame waits or the execution ends
  std::optional<TimePoint> NextWake() const;  // the earliest timer or execution deadline
  void FireDue(TimePoint now);                // timers due by `now`, the execution timeout
  // Applies a deferred task's result; false when nothing waits for it any more.
  bool ApplyTaskResult(const std::string& attempt_id, tasks::InvocationResult result);
  // The in-flight tasks' attempt ids whose waiting frame is gone (aborted branches).
  std::vector<std::string> TakeDroppedTasks();
  std::vector<std::string> InFlightTasks() const;
  // The waitForTaskToken tasks whose HeartbeatSeconds timer is due: the engine answers each
  // with HeartbeatResult (the time of the last heartbeat, or nullopt for none).
  std::vector<std::string> TakeHeartbeatChecks();
  void HeartbeatResult(const std::string& attempt_id, std::optional<TimePoint> last);
  void Stop(std::optional<std::string> error, std::optional<std::string> cause);
  // Re-enters the state where a closed execution stopped (RedriveExecution). REQUIRES: restored
  // from the snapshot the execution closed with, and not succeeded.
  void Redrive(TimePoint now);
  std::vector<HistoryEvent> TakeHistory();
  std::vector<OutgoingTask> TakeOutgoing();
  Json Snapshot() const;
  static Result<std::unique_ptr<Executor>> Restore(std::shared_ptr<const StateMachine> machine,
                                                   const Json& snapshot,
                                                   const RunOptions& options);
  bool done() const { return done_; }
  const RunResult& result() const { return result_; }
  int64_t redrive_count() const { return redrive_count_; }
  const Json& input() const { return input_; }
  TimePoint start_time() const { return start_time_; }

 private:
  struct Job;
  // Frames are shared: the ready queue, timers and running tasks keep the ones they refer to
  // alive, so a frame that ends or is aborted can be dropped by its job at any time.
  struct Frame : std::enable_shared_from_this<Frame> {
    const StateMachine* sm = nullptr;
    int state = -1;
    Json input;  // raw input of the current state
    std::shared_ptr<const asl::VarScope> vars;
    bool inherits_scope = false;  // `vars` is the enclosing frame's scope
    Job* parent = nullptr;        // the Parallel/Map this frame belongs to
    size_t slot = 0;
    int64_t entered_event = 0;
    int64_t last_event = 0;
    std::vector<int64_t> attempts;  // per retrier of the current state
    int64_t retry_count = 0;
    TimePoint entered_time;
    Json effective;            // input after InputPath (+ Parameters)
    std::unique_ptr<Job> job;  // the child job of a Parallel/Map state
    uint64_t generation = 0;   // bumped to ignore stale tasks/timers
    bool aborted = false;
    Json context;                 // built lazily for the current attempt
    Json assigned;                // a Wait's Assign values, until it exits
    bool job_started = false;     // Map/ParallelStateStarted emitted this attempt
    bool task_is_invoke = false;  // lambda:invoke (Task*) vs function ARN
    bool log_tail = false;        // lambda:invoke with LogType "Tail"
    std::string token;            // .waitForTaskToken: this attempt's task token
    std::string task_id;          // the attempt id of the task it waits for, if any
  };
  struct Job {
    Frame* owner = nullptr;
    const State* state = nullptr;
    bool is_map = false;
    JsonArray inputs;  // per child: its input (Map: the raw items)
    JsonArray results;
    std::vector<std::shared_ptr<Frame>> children;
    std::vector<bool> started;
    size_t next = 0, running = 0, succeeded = 0, failed = 0;
    int64_t max_concurrency = 0;
    asl::Tolerance tolerance;
    bool finished = false;
  };
  // kTaskTimeout and kHeartbeat are the deferred .waitForTaskToken task's TimeoutSeconds and
  // HeartbeatSeconds (a process's own timeout is the function runner's).
  enum class Action { kEnter, kAttempt, kWaitDone, kStartIteration, kTaskTimeout, kHeartbeat };
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
  void SetIdentity(const Identity& id);  // the context object's Execution and StateMachine
  void Start(TimePoint start);           // the root frame and ExecutionStarted
  void OnTimer(Frame* f, Action action);
  // The snapshot and its inverse (executor_snapshot.cc).
  struct SnapshotIndex;
  Json SaveFrame(const Frame& f, const SnapshotIndex& index) const;
  Status LoadFrame(Frame& f, const Json& j);
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
  // A priority queue whose items the snapshot can read.
  struct TimerQueue : std::priority_queue<Timer, std::vector<Timer>, std::greater<>> {
    const std::vector<Timer>& items() const { return c; }
  };
  TimerQueue timers_;
  std::optional<TimePoint> execution_deadline_;
  bool deferred_tasks_ = false;
  int64_t redrive_count_ = 0;
  TimePoint start_time_;
  std::vector<OutgoingTask> outgoing_;
  std::vector<std::string> dropped_tasks_;
  std::vector<std::string> heartbeat_checks_;
  Identity identity_;
  uint64_t timer_seq_ = 0;
  struct InFlight {
    std::shared_ptr<Frame> frame;
    uint64_t generation;
    std::string attempt_id;
  };
  std::unordered_map<uint64_t, InFlight> in_flight_;  // by ticket
  uint64_t next_ticket_ = 1;
  std::shared_ptr<Frame> root_;
  Json execution_context_, machine_context_;
  const Json* last_checked_ = nullptr;  // the last document that passed the size quota
  Json last_checked_doc_;
  TimePoint now_;  // the clock, read once per state and per event-loop turn
  TimePoint last_stamp_;  // the newest history timestamp so far
  struct SyncDone {
    std::shared_ptr<Frame> frame;
    uint64_t generation;
    tasks::InvocationResult result;
  };
  std::deque<SyncDone> sync_done_;  // tasks that finished without the pool
  // Jobs that ended while their code was still on the stack; freed by the loop.
  std::vector<std::unique_ptr<Job>> dead_jobs_;
};

}  // namespace wharf::engine::internal
