// StateStore: the durable record of the service. It holds state machines (with every revision an
// execution may still run), executions, their history, the task queue with leases, timers and the
// event outbox. The engine writes each step as one Transition through Commit() before it acts on
// it; workers lease tasks; the API reads.
//
// The SQLite implementation is sqlite_store.h; docs/schema.md describes its tables and the data
// folder, and docs/postgres-plan.md how a PostgreSQL implementation follows behind this same
// interface (the owner/lease fields below are what several nodes need; with SQLite one node owns
// everything).
//
// How the engine uses it, so that the same engine runs on one node (SQLite) or several sharing a
// PostgreSQL (docs/postgres-plan.md):
// - Each engine process has a unique owner name (host, pid, start time). It passes it as
//   Transition::owner, and at start-up (then every few seconds) calls ClaimExecutions to take
//   the running executions nobody holds, rebuilding each from its snapshot, its timers
//   (ListTimers) and its finished tasks (ListFinishedTasks). It renews its claims with
//   RenewExecutionLeases well before they expire.
// - It commits each step before acting on it. On kLeaseLost it drops that execution from memory
//   (another node has it now) and commits the rest again.
// - Task results reach it through the store, not only in memory: a worker on any node completes
//   a task, or an API call completes it by token; the engine waits with WaitForTaskEvents and
//   reads ListFinishedTasks(owner), then removes the task in the commit that uses its result.
//
// Conventions:
// - Payloads (definitions, inputs, outputs, snapshots, task payloads and results, history details)
//   are JSON text. The store never parses them; callers own their shape.
// - Times are stored at millisecond resolution (what Step Functions reports); finer parts are
//   truncated.
// - Expected failures come back as Error with one of the codes in `errc` below. Where AWS has a
//   name for the condition the code is AWS's, so the API can answer with it unchanged.
//
// Thread-safety: every method may be called from any thread at any time. Writes are serialized
// inside the store; reads run concurrently with each other and with writes, and see only
// committed transitions, whole.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace wharf::store {

// Error codes (Error::code).
namespace errc {
inline constexpr char kStateMachineDoesNotExist[] = "StateMachineDoesNotExist";
inline constexpr char kStateMachineAlreadyExists[] = "StateMachineAlreadyExists";
inline constexpr char kExecutionDoesNotExist[] = "ExecutionDoesNotExist";
inline constexpr char kExecutionAlreadyExists[] = "ExecutionAlreadyExists";
inline constexpr char kTaskDoesNotExist[] = "TaskDoesNotExist";
inline constexpr char kTaskTimedOut[] = "TaskTimedOut";        // the task of a token already ended
inline constexpr char kInvalidToken[] = "InvalidToken";        // a malformed pagination token
inline constexpr char kInvalidArgument[] = "InvalidArgument";  // a caller's bug: bad ids, limits
// The execution (or task) is held by another owner: this node lost its lease. Nothing of the
// transition was written.
inline constexpr char kLeaseLost[] = "LeaseLost";
// The database failed (disk full, corrupt file, I/O error). The message has SQLite's words.
inline constexpr char kStoreFailure[] = "StoreFailure";
}  // namespace errc

enum class MachineType : uint8_t { kStandard, kExpress };
const char* MachineTypeName(MachineType t);  // "STANDARD", "EXPRESS"
std::optional<MachineType> ParseMachineType(std::string_view name);

// AWS's ExecutionStatus values.
enum class ExecutionStatus : uint8_t {
  kRunning,
  kSucceeded,
  kFailed,
  kTimedOut,
  kAborted,
  kPendingRedrive
};
const char* ExecutionStatusName(ExecutionStatus s);  // "RUNNING", "SUCCEEDED", ...
std::optional<ExecutionStatus> ParseExecutionStatus(std::string_view name);
// SUCCEEDED, FAILED, TIMED_OUT and ABORTED: the execution has a stop time and nothing pending.
bool IsClosed(ExecutionStatus s);

// One page of a listing. `next_token` is empty on the last page; otherwise pass it back in the
// next request with the same filters (a token used with other filters is kInvalidToken).
template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_token;
};

// ---- State machines --------------------------------------------------------------------------

struct StateMachine {
  std::string arn;
  std::string name;
  std::string definition;  // the Amazon States Language text as the user gave it
  MachineType type = MachineType::kStandard;
  std::string role_arn;
  // What the API keeps besides, as a JSON object text (description, loggingConfiguration,
  // tracingConfiguration, tags...). The store compares it but never reads it.
  std::string config = "{}";
  // Set by the store: a new UUID whenever a put changes definition, type, role or config.
  std::string revision_id;
  TimePoint created;  // set by the store
  TimePoint updated;  // set by the store: when the current revision was written
};

enum class PutMode {
  // CreateStateMachine: a new name is created; the same name with identical definition, type,
  // role and config returns the existing machine unchanged; anything else is
  // kStateMachineAlreadyExists. "CreateStateMachine is an idempotent API... if a state machine
  // with the same name exists and has different parameters, it fails" (AWS API reference).
  kCreate,
  // UpdateStateMachine: the machine must exist (kStateMachineDoesNotExist otherwise).
  kUpdate,
  // Either: what `wharf serve` does with the machines of the project file at start-up.
  kCreateOrUpdate,
};

struct PutStateMachineResult {
  StateMachine machine;  // as stored now
  bool changed = false;  // a machine or a revision was written
};

// ---- Executions ------------------------------------------------------------------------------

struct Execution {
  std::string arn;
  std::string state_machine_arn;
  std::string name;
  std::string revision_id;  // the state machine revision it runs (GetStateMachineRevision)
  ExecutionStatus status = ExecutionStatus::kRunning;
  std::string input;                  // JSON text
  std::optional<std::string> output;  // JSON text, when succeeded
  std::optional<std::string> error;
  std::optional<std::string> cause;
  TimePoint start_time;
  std::optional<TimePoint> stop_time;  // set exactly when the status is closed
  int64_t redrive_count = 0;
  std::optional<TimePoint> redrive_time;
  int64_t last_event_id = 0;  // id of its newest history event; 0 before the first
  // The engine's own record of where the execution stands (frames, retry counters, pending work),
  // JSON text written with each step. Only filled when asked for (WithSnapshot::kYes); "" before
  // the first step that sets one.
  std::string snapshot;
  // The node whose engine runs it ("" for none) and until when that claim holds.
  std::string owner;
  TimePoint lease_expiry;
};

enum class WithSnapshot : bool { kNo, kYes };

enum class RedriveFilter { kAny, kRedriven, kNotRedriven };

struct ExecutionQuery {
  std::string state_machine_arn;  // "" for every machine
  std::optional<ExecutionStatus> status;
  RedriveFilter redrive = RedriveFilter::kAny;
  int limit = 100;  // 1..1000
  std::string next_token;
};

// A new execution, created by a Transition (so that its first events, tasks and the start itself
// are one commit).
struct NewExecution {
  std::string arn;
  std::string state_machine_arn;
  std::string name;
  std::string revision_id;
  std::string input;  // JSON text
  TimePoint start_time;
};

// ---- History ---------------------------------------------------------------------------------

// One event as GetExecutionHistory returns it.
struct HistoryRecord {
  int64_t id = 0;
  int64_t previous_id = 0;
  std::string type;  // "ExecutionStarted", "PassStateEntered", ...
  TimePoint timestamp;
  // The members of the event besides id, previousEventId, timestamp and type, as a JSON object
  // text, e.g. {"stateEnteredEventDetails":{"name":"A","input":"{}"}}; "{}" for none.
  std::string details = "{}";
};

enum class HistoryOrder { kOldestFirst, kNewestFirst };  // kNewestFirst is reverseOrder=true

struct HistoryQuery {
  std::string execution_arn;
  HistoryOrder order = HistoryOrder::kOldestFirst;
  int limit = 100;  // 1..1000
  std::string next_token;
};

// ---- Tasks -----------------------------------------------------------------------------------

// READY -> LEASED (by a worker) -> DONE (result stored), and for .waitForTaskToken tasks
// LEASED -> WAITING (the invocation went out) -> DONE (SendTaskSuccess/Failure). An expired lease
// makes a LEASED task leasable again; the engine removes a DONE task when it commits its result.
enum class TaskState : uint8_t { kReady, kLeased, kWaiting, kDone };
const char* TaskStateName(TaskState s);  // "READY", ...

struct NewTask {
  // Unique and chosen by the engine, e.g. "<execution ARN>/<event id>/<retry>": a function can
  // tell a repeat from a retry by it. Enqueuing a ticket that exists does nothing.
  std::string ticket;
  std::string execution_arn;
  std::string queue;    // what LeaseRequest::queues selects on: the function name, say
  std::string kind;     // free text for the engine and workers ("function", "lambda:invoke"...)
  std::string payload;  // JSON text
  std::string token;    // non-empty for .waitForTaskToken: unique, SendTask* find the task by it
  // Non-empty: the task starts out LEASED to this owner until lease_expiry, for a node that runs
  // the task itself (saves the commit of a LeaseTasks).
  std::string lease_owner;
  TimePoint lease_expiry;
};

// What proves a worker holds a task: `attempt` is the task's lease count when it was leased, so
// a worker whose lease expired and was taken over cannot complete it.
struct TaskLease {
  std::string ticket;
  std::string owner;
  int64_t attempt = 0;
};

struct Task {
  int64_t id = 0;  // enqueue order
  std::string ticket;
  std::string execution_arn;
  std::string queue;
  std::string kind;
  std::string payload;
  std::string token;
  TaskState state = TaskState::kReady;
  std::string lease_owner;
  TimePoint lease_expiry;
  int64_t attempts = 0;               // how many times it was leased
  std::optional<std::string> result;  // JSON text, once DONE
  TimePoint created;
  std::optional<TimePoint> heartbeat;  // the last SendTaskHeartbeat

  TaskLease lease() const { return TaskLease{ticket, lease_owner, attempts}; }
};

struct LeaseRequest {
  std::string owner;
  int max_tasks = 1;
  TimePoint now;
  std::chrono::milliseconds duration{std::chrono::seconds(60)};
  std::vector<std::string> queues;  // empty: any queue
};

enum class Completion {
  kDone,        // the task is finished: its result waits for the engine
  kAwaitToken,  // .waitForTaskToken: the invocation went out, now wait for SendTask*
};

struct FinishedTaskQuery {
  std::string owner;          // "" for any; else only tasks of executions this owner holds
  std::string execution_arn;  // "" for any
  int limit = 1000;
};

// ---- Timers and outbox -----------------------------------------------------------------------

struct Timer {
  std::string key;  // unique, chosen by the engine; adding an existing key replaces it
  std::string execution_arn;
  TimePoint due;
  std::string payload;  // JSON text
};

struct TimerQuery {
  TimePoint due_before = TimePoint::max();  // due <= this
  std::string execution_arn;                // "" for any
  int limit = 1000;
};

struct OutboxEvent {
  int64_t seq = 0;            // set by the store: increasing, never reused
  std::string kind;           // e.g. "Step Functions Execution Status Change"
  std::string execution_arn;  // the execution it is about, if any
  std::string payload;        // JSON text
  TimePoint time;
};

// ---- The transition ----------------------------------------------------------------------------

// What one step of one execution changes.
struct ExecutionStep {
  std::string arn;
  // Appended in order. REQUIRES: ids continue the history: last_event_id + 1, + 2, ...
  std::vector<HistoryRecord> events;
  // Row changes; unset fields keep their value. Setting RUNNING (a redrive) clears stop_time,
  // output, error and cause. Setting a closed status REQUIRES stop_time and removes the
  // execution's tasks and timers when the transition commits (a closed execution waits for
  // nothing).
  std::optional<ExecutionStatus> status;
  std::optional<std::string> output;
  std::optional<std::string> error;
  std::optional<std::string> cause;
  std::optional<TimePoint> stop_time;
  std::optional<TimePoint> redrive_time;  // counts one redrive: redrive_count + 1
  std::optional<std::string> snapshot;
};

// Everything one engine step writes, for one execution or many: one commit, all or nothing.
// Group the steps of many executions into one Transition where you can: commits, not rows, bound
// the throughput.
struct Transition {
  // The node committing. Non-empty: every step's execution must be held by this owner
  // (kLeaseLost otherwise, and nothing is written), and new executions are held by it until
  // owner_lease_until. Empty: no check, new executions are unowned.
  std::string owner;
  TimePoint owner_lease_until = TimePoint::max();

  // Created first, idempotently by ARN (the ARN names machine and execution). "If StartExecution
  // is called with the same name and input as a running execution, the call succeeds and return
  // the same response as the original request. If the execution is closed or if the input is
  // different, it returns a 400 ExecutionAlreadyExists error" (AWS API reference). When a start
  // does not create, every other part of this transition naming that ARN (steps, tasks, timers,
  // outbox events) is skipped, and the rest commits.
  std::vector<NewExecution> starts;
  std::vector<ExecutionStep> steps;
  std::vector<std::string> remove_tasks;  // tickets whose results the engine has consumed
  std::vector<NewTask> enqueue;
  std::vector<std::string> cancel_timers;  // keys; a missing key is no error
  std::vector<Timer> add_timers;
  std::vector<OutboxEvent> outbox;  // seq is assigned by the store
};

struct StartOutcome {
  // Created: the row as the start wrote it, before this transition's steps (last_event_id 0, no
  // snapshot). Not created: the existing execution as it was (without snapshot).
  Execution execution;
  bool created = false;  // false: it existed, running, with the same input
};

struct CommitResult {
  // One per Transition::starts, in order: the outcome or kExecutionAlreadyExists.
  std::vector<Result<StartOutcome>> starts;
};

struct StoreStats {
  int64_t commits = 0;      // write transactions committed, of every kind
  int64_t transitions = 0;  // Commit() calls that committed
  int64_t checkpoints = 0;  // SQLite: WAL checkpoints run
};

// ---- The interface -------------------------------------------------------------------------

class StateStore {
 public:
  virtual ~StateStore() = default;

  // State machines. `name_or_arn`: an ARN when it starts with "arn:", else a name.
  virtual Result<PutStateMachineResult> PutStateMachine(const StateMachine& machine, PutMode mode,
                                                        TimePoint now) = 0;
  virtual Result<StateMachine> GetStateMachine(std::string_view name_or_arn) = 0;
  // A revision an execution runs, even after the machine was updated (or deleted while
  // executions of the revision remain).
  virtual Result<StateMachine> GetStateMachineRevision(std::string_view arn,
                                                       std::string_view revision_id) = 0;
  virtual Result<Page<StateMachine>> ListStateMachines(int limit, std::string_view next_token) = 0;
  // Removes the machine and the revisions no execution runs. Executions stay readable.
  virtual Status DeleteStateMachine(std::string_view name_or_arn) = 0;

  // Executions.
  virtual Result<Execution> GetExecution(std::string_view arn, WithSnapshot with_snapshot) = 0;
  // Newest first (by start time). Items carry no input, output or snapshot.
  virtual Result<Page<Execution>> ListExecutions(const ExecutionQuery& query) = 0;
  // Takes up to `max` RUNNING executions that nobody holds (owner "" or lease expired before
  // `now`) for `owner` until `lease_until`, with their snapshots: recovery at start-up, and in a
  // cluster the executions of a node that died. Call until it returns fewer than `max`.
  virtual Result<std::vector<Execution>> ClaimExecutions(std::string_view owner, int max,
                                                         TimePoint now, TimePoint lease_until) = 0;
  // Extends every claim of `owner`: a node's heartbeat.
  virtual Status RenewExecutionLeases(std::string_view owner, TimePoint lease_until) = 0;

  // History.
  virtual Result<Page<HistoryRecord>> GetHistory(const HistoryQuery& query) = 0;

  // The one way the engine writes: see Transition.
  virtual Result<CommitResult> Commit(const Transition& transition) = 0;

  // Tasks, for workers. LeaseTasks takes READY tasks and LEASED ones whose lease expired, oldest
  // first, and counts an attempt on each.
  virtual Result<std::vector<Task>> LeaseTasks(const LeaseRequest& request) = 0;
  // REQUIRES the lease to be current (kLeaseLost when another holder took it over,
  // kTaskDoesNotExist when the task is gone: the execution closed). `result` is JSON text;
  // ignored for kAwaitToken.
  virtual Status CompleteTask(const TaskLease& lease, std::string_view result,
                              Completion completion) = 0;
  virtual Status ExtendTaskLease(const TaskLease& lease, TimePoint lease_until) = 0;
  virtual Result<Task> GetTask(std::string_view ticket) = 0;
  // DONE tasks whose results wait for the engine, oldest first.
  virtual Result<std::vector<Task>> ListFinishedTasks(const FinishedTaskQuery& query) = 0;

  // Task tokens (.waitForTaskToken). kTaskDoesNotExist for an unknown token; kTaskTimedOut when
  // its task already has a result. Completing by token stores `result` and makes the task DONE
  // whatever its state (a callback may come before the invocation returns).
  virtual Result<Task> GetTaskByToken(std::string_view token) = 0;
  virtual Status CompleteTaskByToken(std::string_view token, std::string_view result) = 0;
  virtual Status HeartbeatTaskByToken(std::string_view token, TimePoint now) = 0;

  // Timers, ordered by due time. They are added and cancelled by Commit.
  virtual Result<std::vector<Timer>> ListTimers(const TimerQuery& query) = 0;

  // Outbox: undelivered events in seq order, after `after_seq`.
  virtual Result<std::vector<OutboxEvent>> ReadOutbox(int limit, int64_t after_seq) = 0;
  virtual Status MarkOutboxDelivered(const std::vector<int64_t>& seqs, TimePoint now) = 0;
  // Called after each Commit that added outbox events, on the committing thread, so that a
  // reader of the outbox need not poll it often; it must return at once. An empty function:
  // none.
  virtual void SetOutboxListener(std::function<void()> listener) = 0;

  // Task events: a counter that grows after every commit that made a task leasable (enqueued
  // one) or finished one (CompleteTask, CompleteTaskByToken), on this node or, where the
  // implementation can tell (PostgreSQL: LISTEN/NOTIFY), on any node. Workers and the engine wait
  // on it instead of polling. WaitForTaskEvents returns the counter once it differs from `seen`,
  // or when `timeout` passes (an expired lease raises no event: wait with a timeout).
  virtual uint64_t TaskEvents() const = 0;
  virtual uint64_t WaitForTaskEvents(uint64_t seen, std::chrono::milliseconds timeout) = 0;

  virtual StoreStats Stats() const = 0;
};

}  // namespace wharf::store
