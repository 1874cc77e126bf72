// SqliteStore::Commit: one engine Transition in one SQLite transaction (docs/schema.md).
#include <string_view>
#include <unordered_set>

#include <fmt/format.h>

#include "store/sqlite_store.h"
#include "store/sqlite_store_internal.h"

namespace wharf::store {

using sqlite::Db;
using sqlite::Query;

namespace {

constexpr char kSqlExecutionByArn[] =
    "SELECT " WHARF_EXECUTION_FULL
    " FROM executions e JOIN execution_state s ON s.execution_id = e.id WHERE e.arn = ?1";
constexpr char kSqlInsertExecution[] =
    "INSERT INTO executions (arn, machine_arn, name, revision_id, status, input, start_ms)"
    " VALUES (?1, ?2, ?3, ?4, 'RUNNING', ?5, ?6)";
constexpr char kSqlInsertState[] =
    "INSERT INTO execution_state (execution_id, last_event_id, last_seq, owner, lease_ms,"
    " snapshot) VALUES (?1, 0, 0, ?2, ?3, '')";
constexpr char kSqlStepHead[] =
    "SELECT s.execution_id, s.last_event_id, s.owner, s.last_seq FROM executions e"
    " JOIN execution_state s ON s.execution_id = e.id WHERE e.arn = ?1";
constexpr char kSqlInsertEvent[] =
    "INSERT INTO history (execution_id, event_id, prev_seq, previous_id, type, ts_ms, details)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
constexpr char kSqlInsertAnchor[] =
    "INSERT INTO history_anchors (execution_id, event_id, seq) VALUES (?1, ?2, ?3)";
constexpr char kSqlUpdateState[] =
    "UPDATE execution_state SET last_event_id = ?2, last_seq = ?6,"
    " snapshot = coalesce(?3, snapshot), owner = ?4,"
    " lease_ms = CASE WHEN owner = ?4 THEN lease_ms ELSE ?5 END WHERE execution_id = ?1";
constexpr char kSqlRowFields[] =
    "SELECT status, output, error, cause, stop_ms, redrive_count, redrive_ms FROM executions"
    " WHERE id = ?1";
constexpr char kSqlUpdateRow[] =
    "UPDATE executions SET status = ?2, output = ?3, error = ?4, cause = ?5, stop_ms = ?6,"
    " redrive_count = ?7, redrive_ms = ?8 WHERE id = ?1";
constexpr char kSqlRelease[] =
    "UPDATE execution_state SET owner = '', lease_ms = 0 WHERE execution_id = ?1";
constexpr char kSqlRemoveTask[] = "DELETE FROM tasks WHERE ticket = ?1";
constexpr char kSqlEnqueue[] =
    "INSERT INTO tasks (ticket, execution_arn, queue, kind, payload, token, state, lease_owner,"
    " lease_ms, attempts, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    " ON CONFLICT (ticket) DO NOTHING";
constexpr char kSqlCancelTimer[] = "DELETE FROM timers WHERE key = ?1";
constexpr char kSqlAddTimer[] =
    "INSERT INTO timers (key, execution_arn, due_ms, payload) VALUES (?1, ?2, ?3, ?4)"
    " ON CONFLICT (key) DO UPDATE SET execution_arn = excluded.execution_arn,"
    " due_ms = excluded.due_ms, payload = excluded.payload";
constexpr char kSqlOutbox[] =
    "INSERT INTO outbox (kind, execution_arn, payload, created_ms) VALUES (?1, ?2, ?3, ?4)";
constexpr char kSqlDropTasks[] = "DELETE FROM tasks WHERE execution_arn = ?1";
constexpr char kSqlDropTimers[] = "DELETE FROM timers WHERE execution_arn = ?1";

Error AlreadyExists(std::string_view arn) {
  return MakeError(errc::kExecutionAlreadyExists,
                   fmt::format("Execution Already Exists: '{}'", arn));
}

// Creates `n`, or reports what exists under its ARN.
Result<StartOutcome> Start(Db& db, const NewExecution& n, const Transition& t, bool created_here) {
  {
    WHARF_TRY(Query q, db.Prepare(kSqlExecutionByArn));
    q.Bind(1, n.arn);
    WHARF_TRY(bool row, q.Step());
    if (row) {
      Execution existing = ReadExecution(q);
      // "If StartExecution is called with the same name and input as a running execution, the
      // call succeeds and return the same response as the original request. If the execution is
      // closed or if the input is different, it returns a 400 ExecutionAlreadyExists error."
      if ((existing.status == ExecutionStatus::kRunning || created_here) &&
          existing.input == n.input) {
        return StartOutcome{std::move(existing), false};
      }
      return AlreadyExists(n.arn);
    }
  }
  if (n.arn.empty() || n.state_machine_arn.empty() || n.name.empty()) {
    return BadArgument(
        fmt::format("a new execution needs an ARN, a state machine ARN and a name "
                    "(ARN '{}')",
                    n.arn));
  }
  int64_t start_ms = ToMs(n.start_time);
  {
    WHARF_TRY(Query q, db.Prepare(kSqlInsertExecution));
    q.Bind(1, n.arn).Bind(2, n.state_machine_arn).Bind(3, n.name).Bind(4, n.revision_id);
    q.Bind(5, n.input).Bind(6, start_ms);
    WHARF_TRY_STATUS(q.Run());
  }
  int64_t id = db.LastInsertRowid();
  int64_t lease_ms = t.owner.empty() ? 0 : ToMs(t.owner_lease_until);
  {
    WHARF_TRY(Query q, db.Prepare(kSqlInsertState));
    q.Bind(1, id).Bind(2, t.owner).Bind(3, lease_ms);
    WHARF_TRY_STATUS(q.Run());
  }
  StartOutcome out;
  out.created = true;
  Execution& e = out.execution;
  e.arn = n.arn;
  e.state_machine_arn = n.state_machine_arn;
  e.name = n.name;
  e.revision_id = n.revision_id;
  e.input = n.input;
  e.start_time = FromMs(start_ms);
  e.owner = t.owner;
  e.lease_expiry = FromMs(lease_ms);
  return out;
}

bool ChangesRow(const ExecutionStep& s) {
  return s.status || s.output || s.error || s.cause || s.stop_time || s.redrive_time;
}

// Applies the step's status, output, error, cause, stop and redrive to the executions row.
// Returns true when the step closed the execution.
Result<bool> UpdateRow(Db& db, int64_t id, const ExecutionStep& step) {
  std::string status;
  std::optional<std::string> output, error, cause;
  std::optional<int64_t> stop_ms, redrive_ms;
  int64_t redrive_count = 0;
  {
    WHARF_TRY(Query q, db.Prepare(kSqlRowFields));
    q.Bind(1, id);
    WHARF_TRY(bool row, q.Step());
    if (!row) return BadArgument(fmt::format("execution row {} vanished", id));
    status = q.Text(0);
    output = q.OptText(1);
    error = q.OptText(2);
    cause = q.OptText(3);
    stop_ms = q.OptInt(4);
    redrive_count = q.Int(5);
    redrive_ms = q.OptInt(6);
  }
  bool closed = false;
  if (step.status) {
    status = ExecutionStatusName(*step.status);
    if (*step.status == ExecutionStatus::kRunning) {
      // Running again (a redrive): the previous ending is gone.
      output.reset();
      error.reset();
      cause.reset();
      stop_ms.reset();
    } else if (IsClosed(*step.status)) {
      if (!step.stop_time) {
        return BadArgument(
            fmt::format("closing execution '{}' as {} needs a stop time", step.arn, status));
      }
      closed = true;
    }
  }
  if (step.output) output = step.output;
  if (step.error) error = step.error;
  if (step.cause) cause = step.cause;
  if (step.stop_time) stop_ms = ToMs(*step.stop_time);
  if (step.redrive_time) {
    ++redrive_count;
    redrive_ms = ToMs(*step.redrive_time);
  }
  WHARF_TRY(Query q, db.Prepare(kSqlUpdateRow));
  q.Bind(1, id).Bind(2, status).BindOpt(3, output).BindOpt(4, error).BindOpt(5, cause);
  q.BindOpt(6, stop_ms).Bind(7, redrive_count).BindOpt(8, redrive_ms);
  WHARF_TRY_STATUS(q.Run());
  return closed;
}

// Appends the step's events and applies its changes. Returns true when it closed the execution.
Result<bool> ApplyStep(Db& db, const ExecutionStep& step, const Transition& t) {
  int64_t id = 0, last_event_id = 0, last_seq = 0;
  std::string owner;
  {
    WHARF_TRY(Query q, db.Prepare(kSqlStepHead));
    q.Bind(1, step.arn);
    WHARF_TRY(bool row, q.Step());
    if (!row) return NoSuchExecution(step.arn);
    id = q.Int(0);
    last_event_id = q.Int(1);
    owner = q.Text(2);
    last_seq = q.Int(3);
  }
  // The fence: only the holder writes; an unowned execution is taken by the committing node.
  if (!t.owner.empty() && !owner.empty() && owner != t.owner) {
    return MakeError(errc::kLeaseLost,
                     fmt::format("execution '{}' is held by '{}', not by '{}'; nothing of the "
                                 "transition was written",
                                 step.arn, owner, t.owner));
  }
  if (!step.events.empty()) {
    WHARF_TRY(Query q, db.Prepare(kSqlInsertEvent));
    int64_t expected = last_event_id + 1;
    for (const HistoryRecord& ev : step.events) {
      if (ev.id != expected) {
        return BadArgument(fmt::format("history of '{}': event id {} where {} comes next", step.arn,
                                       ev.id, expected));
      }
      q.Bind(1, id).Bind(2, ev.id).Bind(3, last_seq).Bind(4, ev.previous_id).Bind(5, ev.type);
      q.Bind(6, ToMs(ev.timestamp)).Bind(7, ev.details);
      WHARF_TRY_STATUS(q.Run());
      last_seq = db.LastInsertRowid();
      if (IsHistoryAnchor(ev.id)) {
        WHARF_TRY(Query anchor, db.Prepare(kSqlInsertAnchor));
        anchor.Bind(1, id).Bind(2, ev.id).Bind(3, last_seq);
        WHARF_TRY_STATUS(anchor.Run());
      }
      ++expected;
    }
    last_event_id = expected - 1;
  }
  std::string_view new_owner = t.owner.empty() ? std::string_view(owner) : t.owner;
  {
    WHARF_TRY(Query q, db.Prepare(kSqlUpdateState));
    q.Bind(1, id).Bind(2, last_event_id).BindOpt(3, step.snapshot).Bind(4, new_owner);
    q.Bind(5, t.owner.empty() ? int64_t{0} : ToMs(t.owner_lease_until)).Bind(6, last_seq);
    WHARF_TRY_STATUS(q.Run());
  }
  if (!ChangesRow(step)) return false;
  WHARF_TRY(bool closed, UpdateRow(db, id, step));
  if (closed) {
    WHARF_TRY(Query q, db.Prepare(kSqlRelease));
    q.Bind(1, id);
    WHARF_TRY_STATUS(q.Run());
  }
  return closed;
}

}  // namespace

Result<CommitResult> SqliteStore::Commit(const Transition& transition) {
  Result<CommitResult> result =
      Write([&](Db& db) -> Result<CommitResult> { return CommitLocked(db, transition); });
  if (result.ok()) {
    transitions_.fetch_add(1, std::memory_order_relaxed);
    if (!transition.enqueue.empty()) NotifyTaskEvent();
    if (!transition.outbox.empty()) {
      std::lock_guard lock(outbox_listener_mu_);
      if (outbox_listener_) outbox_listener_();
    }
  }
  return result;
}

void SqliteStore::SetOutboxListener(std::function<void()> listener) {
  std::lock_guard lock(outbox_listener_mu_);
  outbox_listener_ = std::move(listener);
}

Result<CommitResult> SqliteStore::CommitLocked(Db& db, const Transition& t) {
  CommitResult out;
  std::unordered_set<std::string_view> created, skipped;
  for (const NewExecution& n : t.starts) {
    bool created_here = created.count(n.arn) > 0;
    Result<StartOutcome> outcome = Start(db, n, t, created_here);
    if (!outcome.ok() && outcome.error().code != errc::kExecutionAlreadyExists) {
      return std::move(outcome).error();
    }
    if (outcome.ok() && outcome->created) {
      created.insert(n.arn);
    } else if (!created_here) {
      skipped.insert(n.arn);
    }
    out.starts.push_back(std::move(outcome));
  }
  auto skip = [&skipped](std::string_view arn) { return !skipped.empty() && skipped.count(arn); };

  std::vector<std::string_view> closed;
  for (const ExecutionStep& step : t.steps) {
    if (skip(step.arn)) continue;
    WHARF_TRY(bool closes, ApplyStep(db, step, t));
    if (closes) closed.push_back(step.arn);
  }
  if (!t.remove_tasks.empty()) {
    WHARF_TRY(Query q, db.Prepare(kSqlRemoveTask));
    for (const std::string& ticket : t.remove_tasks) {
      q.Bind(1, ticket);
      WHARF_TRY_STATUS(q.Run());
    }
  }
  if (!t.enqueue.empty()) {
    WHARF_TRY(Query q, db.Prepare(kSqlEnqueue));
    for (const NewTask& task : t.enqueue) {
      if (skip(task.execution_arn)) continue;
      if (task.ticket.empty()) return BadArgument("a task needs a ticket");
      bool leased = !task.lease_owner.empty();
      q.Bind(1, task.ticket).Bind(2, task.execution_arn).Bind(3, task.queue).Bind(4, task.kind);
      q.Bind(5, task.payload);
      if (task.token.empty()) {
        q.BindNull(6);
      } else {
        q.Bind(6, task.token);
      }
      q.Bind(7, std::string_view(leased ? "LEASED" : "READY")).Bind(8, task.lease_owner);
      q.Bind(9, leased ? ToMs(task.lease_expiry) : int64_t{0}).Bind(10, int64_t{leased ? 1 : 0});
      q.Bind(11, ToMs(SystemClock().Now()));
      WHARF_TRY_STATUS(q.Run());
    }
  }
  if (!t.cancel_timers.empty()) {
    WHARF_TRY(Query q, db.Prepare(kSqlCancelTimer));
    for (const std::string& key : t.cancel_timers) {
      q.Bind(1, key);
      WHARF_TRY_STATUS(q.Run());
    }
  }
  if (!t.add_timers.empty()) {
    WHARF_TRY(Query q, db.Prepare(kSqlAddTimer));
    for (const Timer& timer : t.add_timers) {
      if (skip(timer.execution_arn)) continue;
      q.Bind(1, timer.key).Bind(2, timer.execution_arn).Bind(3, ToMs(timer.due));
      q.Bind(4, timer.payload);
      WHARF_TRY_STATUS(q.Run());
    }
  }
  if (!t.outbox.empty()) {
    WHARF_TRY(Query q, db.Prepare(kSqlOutbox));
    for (const OutboxEvent& ev : t.outbox) {
      if (!ev.execution_arn.empty() && skip(ev.execution_arn)) continue;
      q.Bind(1, ev.kind).Bind(2, ev.execution_arn).Bind(3, ev.payload).Bind(4, ToMs(ev.time));
      WHARF_TRY_STATUS(q.Run());
    }
  }
  // A closed execution waits for nothing: its tasks and timers go (REQUIRES of ExecutionStep).
  for (std::string_view arn : closed) {
    {
      WHARF_TRY(Query q, db.Prepare(kSqlDropTasks));
      q.Bind(1, arn);
      WHARF_TRY_STATUS(q.Run());
    }
    WHARF_TRY(Query q, db.Prepare(kSqlDropTimers));
    q.Bind(1, arn);
    WHARF_TRY_STATUS(q.Run());
  }
  return out;
}

}  // namespace wharf::store
