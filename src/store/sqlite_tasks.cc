// SqliteStore: the task queue with leases, task tokens, timers and the outbox (docs/schema.md).
#include <algorithm>

#include <fmt/format.h>

#include "core/json.h"
#include "store/sqlite_store.h"
#include "store/sqlite_store_internal.h"

namespace wharf::store {

using sqlite::Db;
using sqlite::Query;

std::optional<TaskState> ParseTaskState(std::string_view name) {
  for (auto s : {TaskState::kReady, TaskState::kLeased, TaskState::kWaiting, TaskState::kDone}) {
    if (name == TaskStateName(s)) return s;
  }
  return std::nullopt;
}

Task ReadTask(const Query& q) {
  Task t;
  t.id = q.Int(0);
  t.ticket = q.Text(1);
  t.execution_arn = q.Text(2);
  t.queue = q.Text(3);
  t.kind = q.Text(4);
  t.payload = q.Text(5);
  t.token = q.Text(6);  // NULL reads as ""
  t.state = ParseTaskState(q.View(7)).value_or(TaskState::kReady);
  t.lease_owner = q.Text(8);
  t.lease_expiry = FromMs(q.Int(9));
  t.attempts = q.Int(10);
  t.result = q.OptText(11);
  t.created = FromMs(q.Int(12));
  t.heartbeat = FromOptMs(q.OptInt(13));
  return t;
}

namespace {

// Leasable tasks, oldest first: expired leases and READY tasks, optionally of some queues (a JSON
// array of names in ?3).
constexpr char kSqlExpired[] =
    "SELECT id FROM tasks WHERE state = 'LEASED' AND lease_ms < ?1 ORDER BY id LIMIT ?2";
constexpr char kSqlReady[] = "SELECT id FROM tasks WHERE state = 'READY' ORDER BY id LIMIT ?2";
constexpr char kSqlExpiredIn[] =
    "SELECT id FROM tasks WHERE state = 'LEASED' AND lease_ms < ?1"
    " AND queue IN (SELECT value FROM json_each(?3)) ORDER BY id LIMIT ?2";
constexpr char kSqlReadyIn[] =
    "SELECT id FROM tasks WHERE state = 'READY' AND queue IN (SELECT value FROM json_each(?3))"
    " ORDER BY id LIMIT ?2";
constexpr char kSqlTake[] =
    "UPDATE tasks SET state = 'LEASED', lease_owner = ?2, lease_ms = ?3, attempts = attempts + 1"
    " WHERE id = ?1 RETURNING " WHARF_TASK_COLUMNS;
constexpr char kSqlByTicket[] = "SELECT " WHARF_TASK_COLUMNS " FROM tasks WHERE ticket = ?1";
constexpr char kSqlByToken[] = "SELECT " WHARF_TASK_COLUMNS " FROM tasks WHERE token = ?1";

Result<std::vector<int64_t>> Ids(Db& db, const char* sql, int64_t now_ms, int64_t max,
                                 const std::string& queues) {
  WHARF_TRY(Query q, db.Prepare(sql));
  q.Bind(1, now_ms).Bind(2, max).Bind(3, queues);
  std::vector<int64_t> ids;
  for (;;) {
    WHARF_TRY(bool row, q.Step());
    if (!row) return ids;
    ids.push_back(q.Int(0));
  }
}

Result<std::optional<Task>> FindTask(Db& db, const char* sql, std::string_view key) {
  WHARF_TRY(Query q, db.Prepare(sql));
  q.Bind(1, key);
  WHARF_TRY(bool row, q.Step());
  if (!row) return std::optional<Task>();
  return std::optional<Task>(ReadTask(q));
}

// The task `lease` names, REQUIRED to be LEASED by it.
Result<Task> HeldTask(Db& db, const TaskLease& lease) {
  WHARF_TRY(std::optional<Task> task, FindTask(db, kSqlByTicket, lease.ticket));
  if (!task) return NoSuchTask(lease.ticket);
  if (task->state == TaskState::kDone) {
    return MakeError(errc::kTaskTimedOut,
                     fmt::format("task '{}' already has a result", lease.ticket));
  }
  if (task->state != TaskState::kLeased || task->lease_owner != lease.owner ||
      task->attempts != lease.attempt) {
    return MakeError(errc::kLeaseLost,
                     fmt::format("task '{}' attempt {} is no longer leased to '{}' (now {} by "
                                 "'{}', attempt {})",
                                 lease.ticket, lease.attempt, lease.owner,
                                 TaskStateName(task->state), task->lease_owner, task->attempts));
  }
  return std::move(*task);
}

Error TokenGone(std::string_view token) {
  return MakeError(errc::kTaskDoesNotExist,
                   fmt::format("Task Does Not Exist: no task waits for token '{}'", token));
}

Error TokenTimedOut(std::string_view token) {
  return MakeError(errc::kTaskTimedOut,
                   fmt::format("Task Timed Out: the task of token '{}' already ended", token));
}

}  // namespace

Result<std::vector<Task>> SqliteStore::LeaseTasks(const LeaseRequest& request) {
  if (request.owner.empty()) return BadArgument("LeaseTasks needs an owner");
  if (request.max_tasks <= 0) return std::vector<Task>();
  std::string queues;
  if (!request.queues.empty()) {
    queues = "[";
    for (const std::string& name : request.queues) {
      if (queues.size() > 1) queues += ',';
      AppendJsonString(queues, name);
    }
    queues += ']';
  }
  bool filtered = !request.queues.empty();
  int64_t now_ms = ToMs(request.now);
  int64_t until_ms = ToMs(request.now + request.duration);
  return Write([&](Db& db) -> Result<std::vector<Task>> {
    WHARF_TRY(std::vector<int64_t> ids,
              Ids(db, filtered ? kSqlExpiredIn : kSqlExpired, now_ms, request.max_tasks, queues));
    WHARF_TRY(std::vector<int64_t> ready,
              Ids(db, filtered ? kSqlReadyIn : kSqlReady, now_ms, request.max_tasks, queues));
    ids.insert(ids.end(), ready.begin(), ready.end());
    std::sort(ids.begin(), ids.end());
    if (static_cast<int>(ids.size()) > request.max_tasks) ids.resize(request.max_tasks);
    std::vector<Task> leased;
    WHARF_TRY(Query q, db.Prepare(kSqlTake));
    for (int64_t id : ids) {
      q.Bind(1, id).Bind(2, request.owner).Bind(3, until_ms);
      WHARF_TRY(bool row, q.Step());
      if (row) leased.push_back(ReadTask(q));
      WHARF_TRY_STATUS(q.Run());  // finishes the statement and resets it for the next id
    }
    return leased;
  });
}

Status SqliteStore::CompleteTask(const TaskLease& lease, std::string_view result,
                                 Completion completion) {
  Status done = Write([&](Db& db) -> Status {
    WHARF_TRY(Task task, HeldTask(db, lease));
    if (completion == Completion::kAwaitToken) {
      if (task.token.empty()) {
        return BadArgument(fmt::format("task '{}' has no token to wait for", lease.ticket));
      }
      WHARF_TRY(Query q, db.Prepare("UPDATE tasks SET state = 'WAITING', lease_owner = '',"
                                    " lease_ms = 0 WHERE id = ?1"));
      q.Bind(1, task.id);
      return q.Run();
    }
    WHARF_TRY(Query q, db.Prepare("UPDATE tasks SET state = 'DONE', result = ?2,"
                                  " lease_owner = '', lease_ms = 0 WHERE id = ?1"));
    q.Bind(1, task.id).Bind(2, result);
    return q.Run();
  });
  if (done.ok()) NotifyTaskEvent();
  return done;
}

Status SqliteStore::ExtendTaskLease(const TaskLease& lease, TimePoint lease_until) {
  return Write([&](Db& db) -> Status {
    WHARF_TRY(Task task, HeldTask(db, lease));
    WHARF_TRY(Query q, db.Prepare("UPDATE tasks SET lease_ms = ?2 WHERE id = ?1"));
    q.Bind(1, task.id).Bind(2, ToMs(lease_until));
    return q.Run();
  });
}

Result<Task> SqliteStore::GetTask(std::string_view ticket) {
  WHARF_TRY(Reader reader, Read());
  WHARF_TRY(std::optional<Task> task, FindTask(reader.db(), kSqlByTicket, ticket));
  if (!task) return NoSuchTask(ticket);
  return std::move(*task);
}

Result<std::vector<Task>> SqliteStore::ListFinishedTasks(const FinishedTaskQuery& query) {
  static constexpr char kSql[] =
      "SELECT " WHARF_TASK_COLUMNS
      " FROM tasks t WHERE state = 'DONE' AND (?1 = '' OR execution_arn = ?1)"
      " AND (?2 = '' OR EXISTS (SELECT 1 FROM executions e JOIN execution_state s"
      " ON s.execution_id = e.id WHERE e.arn = t.execution_arn AND s.owner = ?2))"
      " ORDER BY id LIMIT ?3";
  WHARF_TRY(Reader reader, Read());
  WHARF_TRY(Query q, reader.db().Prepare(kSql));
  q.Bind(1, query.execution_arn).Bind(2, query.owner).Bind(3, int64_t{std::max(query.limit, 1)});
  std::vector<Task> tasks;
  for (;;) {
    WHARF_TRY(bool row, q.Step());
    if (!row) return tasks;
    tasks.push_back(ReadTask(q));
  }
}

Result<Task> SqliteStore::GetTaskByToken(std::string_view token) {
  if (token.empty()) return TokenGone(token);
  WHARF_TRY(Reader reader, Read());
  WHARF_TRY(std::optional<Task> task, FindTask(reader.db(), kSqlByToken, token));
  if (!task) return TokenGone(token);
  return std::move(*task);
}

Status SqliteStore::CompleteTaskByToken(std::string_view token, std::string_view result) {
  if (token.empty()) return TokenGone(token);
  Status done = Write([&](Db& db) -> Status {
    WHARF_TRY(std::optional<Task> task, FindTask(db, kSqlByToken, token));
    if (!task) return TokenGone(token);
    if (task->state == TaskState::kDone) return TokenTimedOut(token);
    // The first ending wins: a callback may even come before the invocation returned, and the
    // worker's later CompleteTask then finds the task done.
    WHARF_TRY(Query q, db.Prepare("UPDATE tasks SET state = 'DONE', result = ?2,"
                                  " lease_owner = '', lease_ms = 0 WHERE id = ?1"));
    q.Bind(1, task->id).Bind(2, result);
    return q.Run();
  });
  if (done.ok()) NotifyTaskEvent();
  return done;
}

Status SqliteStore::HeartbeatTaskByToken(std::string_view token, TimePoint now) {
  if (token.empty()) return TokenGone(token);
  return Write([&](Db& db) -> Status {
    WHARF_TRY(std::optional<Task> task, FindTask(db, kSqlByToken, token));
    if (!task) return TokenGone(token);
    if (task->state == TaskState::kDone) return TokenTimedOut(token);
    WHARF_TRY(Query q, db.Prepare("UPDATE tasks SET heartbeat_ms = ?2 WHERE id = ?1"));
    q.Bind(1, task->id).Bind(2, ToMs(now));
    return q.Run();
  });
}

// ---- Timers -----------------------------------------------------------------------------------

Result<std::vector<Timer>> SqliteStore::ListTimers(const TimerQuery& query) {
  static constexpr char kSqlDue[] =
      "SELECT key, execution_arn, due_ms, payload FROM timers WHERE due_ms <= ?1"
      " ORDER BY due_ms, key LIMIT ?3";
  static constexpr char kSqlOfExecution[] =
      "SELECT key, execution_arn, due_ms, payload FROM timers WHERE due_ms <= ?1"
      " AND execution_arn = ?2 ORDER BY due_ms, key LIMIT ?3";
  WHARF_TRY(Reader reader, Read());
  WHARF_TRY(Query q, reader.db().Prepare(query.execution_arn.empty() ? kSqlDue : kSqlOfExecution));
  q.Bind(1, ToMs(query.due_before)).Bind(2, query.execution_arn);
  q.Bind(3, int64_t{std::max(query.limit, 1)});
  std::vector<Timer> timers;
  for (;;) {
    WHARF_TRY(bool row, q.Step());
    if (!row) return timers;
    Timer& t = timers.emplace_back();
    t.key = q.Text(0);
    t.execution_arn = q.Text(1);
    t.due = FromMs(q.Int(2));
    t.payload = q.Text(3);
  }
}

// ---- Outbox -----------------------------------------------------------------------------------

Result<std::vector<OutboxEvent>> SqliteStore::ReadOutbox(int limit, int64_t after_seq) {
  static constexpr char kSql[] =
      "SELECT seq, kind, execution_arn, payload, created_ms FROM outbox"
      " WHERE delivered_ms IS NULL AND seq > ?1 ORDER BY seq LIMIT ?2";
  WHARF_TRY(Reader reader, Read());
  WHARF_TRY(Query q, reader.db().Prepare(kSql));
  q.Bind(1, after_seq).Bind(2, int64_t{std::max(limit, 1)});
  std::vector<OutboxEvent> events;
  for (;;) {
    WHARF_TRY(bool row, q.Step());
    if (!row) return events;
    OutboxEvent& e = events.emplace_back();
    e.seq = q.Int(0);
    e.kind = q.Text(1);
    e.execution_arn = q.Text(2);
    e.payload = q.Text(3);
    e.time = FromMs(q.Int(4));
  }
}

Status SqliteStore::MarkOutboxDelivered(const std::vector<int64_t>& seqs, TimePoint now) {
  if (seqs.empty()) return {};
  return Write([&](Db& db) -> Status {
    WHARF_TRY(Query q, db.Prepare("UPDATE outbox SET delivered_ms = ?2 WHERE seq = ?1"
                                  " AND delivered_ms IS NULL"));
    for (int64_t seq : seqs) {
      q.Bind(1, seq).Bind(2, ToMs(now));
      WHARF_TRY_STATUS(q.Run());
    }
    return {};
  });
}

}  // namespace wharf::store
