// Shared by the files that implement SqliteStore (sqlite_store.cc, sqlite_commit.cc,
// sqlite_tasks.cc): time conversion, the column lists and row readers, the read-connection
// guard and the write-transaction wrapper. Not for other layers.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <limits>
#include <mutex>
#include <utility>

#include "store/sqlite_db.h"
#include "store/sqlite_store.h"

namespace wharf::store {

// Times are Unix milliseconds in the database. TimePoint::max() ("never") maps to INT64_MAX and
// back.
inline int64_t ToMs(TimePoint t) {
  if (t == TimePoint::max()) return std::numeric_limits<int64_t>::max();
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
inline TimePoint FromMs(int64_t ms) {
  constexpr int64_t kMaxMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(TimePoint::max().time_since_epoch())
          .count();
  if (ms >= kMaxMs) return TimePoint::max();
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::milliseconds(ms)));
}
inline std::optional<TimePoint> FromOptMs(std::optional<int64_t> ms) {
  if (!ms) return std::nullopt;
  return FromMs(*ms);
}

// ---- Column lists, in the order the readers below expect ---------------------------------------

// FROM state_machines m JOIN state_machine_revisions r
#define WHARF_MACHINE_COLUMNS                                                                \
  "m.arn, m.name, r.definition, r.type, r.role_arn, r.config, m.revision_id, m.created_ms, " \
  "m.updated_ms"
StateMachine ReadStateMachine(const sqlite::Query& q);

// FROM executions e JOIN execution_state s ON s.execution_id = e.id
#define WHARF_EXECUTION_HEAD "e.arn, e.machine_arn, e.name, e.revision_id, e.status, "
#define WHARF_EXECUTION_TAIL                                                                  \
  "e.error, e.cause, e.start_ms, e.stop_ms, e.redrive_count, e.redrive_ms, s.last_event_id, " \
  "s.owner, s.lease_ms, "
// Without input, output and snapshot (listings).
#define WHARF_EXECUTION_SUMMARY WHARF_EXECUTION_HEAD "'', NULL, " WHARF_EXECUTION_TAIL "''"
#define WHARF_EXECUTION_FULL WHARF_EXECUTION_HEAD "e.input, e.output, " WHARF_EXECUTION_TAIL "''"
#define WHARF_EXECUTION_WITH_SNAPSHOT \
  WHARF_EXECUTION_HEAD "e.input, e.output, " WHARF_EXECUTION_TAIL "s.snapshot"
Execution ReadExecution(const sqlite::Query& q);

#define WHARF_TASK_COLUMNS                                                                 \
  "id, ticket, execution_arn, queue, kind, payload, token, state, lease_owner, lease_ms, " \
  "attempts, result, created_ms, heartbeat_ms"
Task ReadTask(const sqlite::Query& q);
std::optional<TaskState> ParseTaskState(std::string_view name);

// ---- Connections ------------------------------------------------------------------------------

// A read connection borrowed from the pool; returned when the Reader ends. Begin() makes the
// reads that follow one consistent snapshot (ended by the destructor).
class SqliteStore::Reader {
 public:
  Reader(SqliteStore* store, std::unique_ptr<sqlite::Db> db) : store_(store), db_(std::move(db)) {}
  Reader(Reader&& other) noexcept = default;
  ~Reader() {
    if (db_ == nullptr) return;
    if (sqlite3_get_autocommit(db_->raw()) == 0) (void)db_->Exec("COMMIT");
    std::lock_guard lock(store_->readers_mu_);
    if (static_cast<int>(store_->idle_readers_.size()) < store_->options_.max_idle_readers) {
      store_->idle_readers_.push_back(std::move(db_));
    }
  }
  sqlite::Db& db() { return *db_; }
  Status Begin() { return db_->Exec("BEGIN"); }

 private:
  SqliteStore* store_;
  std::unique_ptr<sqlite::Db> db_;
};

inline constexpr char kSqlBegin[] = "BEGIN IMMEDIATE";
inline constexpr char kSqlCommit[] = "COMMIT";
inline constexpr char kSqlRollback[] = "ROLLBACK";

template <typename Fn>
auto SqliteStore::Write(Fn&& body) -> decltype(body(std::declval<sqlite::Db&>())) {
  std::lock_guard lock(write_mu_);
  sqlite::Db& db = *writer_;
  auto run = [&db](const char* sql) -> Status {
    WHARF_TRY(sqlite::Query q, db.Prepare(sql));
    return q.Run();
  };
  if (Status begun = run(kSqlBegin); !begun.ok()) return std::move(begun).error();
  auto result = body(db);
  if (!result.ok()) {
    (void)run(kSqlRollback);
    return result;
  }
  if (Status committed = run(kSqlCommit); !committed.ok()) {
    if (sqlite3_get_autocommit(db.raw()) == 0) (void)run(kSqlRollback);
    return std::move(committed).error();
  }
  commits_.fetch_add(1, std::memory_order_relaxed);
  return result;
}

// Every event whose id is 1 modulo this is anchored in history_anchors; the others are reached
// through the prev_seq chain from the next anchor (or from execution_state.last_seq).
inline constexpr int64_t kHistoryAnchorEvery = 64;
inline bool IsHistoryAnchor(int64_t event_id) { return (event_id - 1) % kHistoryAnchorEvery == 0; }

// Error helpers.
Error NoSuchExecution(std::string_view arn);
Error NoSuchTask(std::string_view ticket);
Error BadArgument(std::string message);
// REQUIRES nothing: clamps a listing limit to AWS's 1..1000 (0 or less means the default 100).
int ClampLimit(int limit);

}  // namespace wharf::store
