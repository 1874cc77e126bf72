// SqliteStore: the StateStore in one SQLite file, the default for one node (docs/schema.md
// describes the tables and the data folder).
//
// The data folder holds `wharf.db` (with its `-wal` and `-shm` files) and `wharf.lock`. Open
// creates the folder and the database when missing, runs the schema migrations, and holds an
// exclusive lock on `wharf.lock` until the store is destroyed, so a second process on the same
// folder is refused. Since no other process can be using the file, Open also releases every
// lease a previous process left (LEASED tasks become READY again; executions lose their owner):
// after a crash, recovery starts at once instead of waiting for leases to expire.
//
// Durability: WAL mode. kProcessCrash (synchronous=NORMAL) keeps every committed transition
// through a crash or kill -9 of the process; kPowerLoss (synchronous=FULL) also through a power
// cut or a kernel crash, at the price of an fsync per commit (figures in docs/schema.md).
//
// Checkpoints (copying the WAL back into the database file, with its fsyncs) run on a thread of
// the store's own when the WAL passes `checkpoint_pages`, so commits do not pay for them; only
// if the WAL reaches `max_wal_pages` (the background thread cannot keep up) does the committing
// thread checkpoint itself.
//
// Thread-safety: as StateStore. All writes go through one connection under a mutex; reads use a
// pool of read-only connections, so they never wait for a write (WAL readers see the last
// committed state).
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/state_store.h"

struct sqlite3;

namespace wharf::store {

namespace sqlite {
class Db;
}

enum class Durability { kProcessCrash, kPowerLoss };

struct SqliteOptions {
  std::string data_dir;
  Durability durability = Durability::kProcessCrash;
  int max_idle_readers = 4;     // read connections kept open between reads
  int checkpoint_pages = 4000;  // WAL size (4 KiB pages) that wakes the checkpoint thread
  int max_wal_pages = 100000;   // WAL size at which a commit checkpoints itself
};

class SqliteStore final : public StateStore {
 public:
  static constexpr char kDatabaseFile[] = "wharf.db";
  static constexpr char kLockFile[] = "wharf.lock";

  static Result<std::unique_ptr<SqliteStore>> Open(const SqliteOptions& options);
  ~SqliteStore() override;

  // The schema version the file had before Open migrated it (0: the file was created).
  int opened_schema_version() const { return opened_schema_version_; }
  const std::string& database_path() const { return db_path_; }

  Result<PutStateMachineResult> PutStateMachine(const StateMachine& machine, PutMode mode,
                                                TimePoint now) override;
  Result<StateMachine> GetStateMachine(std::string_view name_or_arn) override;
  Result<StateMachine> GetStateMachineRevision(std::string_view arn,
                                               std::string_view revision_id) override;
  Result<Page<StateMachine>> ListStateMachines(int limit, std::string_view next_token) override;
  Status DeleteStateMachine(std::string_view name_or_arn) override;

  Result<Execution> GetExecution(std::string_view arn, WithSnapshot with_snapshot) override;
  Result<Page<Execution>> ListExecutions(const ExecutionQuery& query) override;
  Result<std::vector<Execution>> ClaimExecutions(std::string_view owner, int max, TimePoint now,
                                                 TimePoint lease_until) override;
  Status RenewExecutionLeases(std::string_view owner, TimePoint lease_until) override;

  Result<Page<HistoryRecord>> GetHistory(const HistoryQuery& query) override;

  Result<CommitResult> Commit(const Transition& transition) override;

  Result<std::vector<Task>> LeaseTasks(const LeaseRequest& request) override;
  Status CompleteTask(const TaskLease& lease, std::string_view result,
                      Completion completion) override;
  Status ExtendTaskLease(const TaskLease& lease, TimePoint lease_until) override;
  Result<Task> GetTask(std::string_view ticket) override;
  Result<std::vector<Task>> ListFinishedTasks(const FinishedTaskQuery& query) override;
  Result<Task> GetTaskByToken(std::string_view token) override;
  Status CompleteTaskByToken(std::string_view token, std::string_view result) override;
  Status HeartbeatTaskByToken(std::string_view token, TimePoint now) override;

  Result<std::vector<Timer>> ListTimers(const TimerQuery& query) override;

  Result<std::vector<OutboxEvent>> ReadOutbox(int limit, int64_t after_seq) override;
  Status MarkOutboxDelivered(const std::vector<int64_t>& seqs, TimePoint now) override;
  void SetOutboxListener(std::function<void()> listener) override;

  uint64_t TaskEvents() const override;
  uint64_t WaitForTaskEvents(uint64_t seen, std::chrono::milliseconds timeout) override;

  StoreStats Stats() const override;

 private:
  class Reader;  // a read connection borrowed from the pool

  SqliteStore() = default;
  Result<Reader> Read();
  // Runs `body` in a write transaction (BEGIN IMMEDIATE ... COMMIT, ROLLBACK on error) on the
  // writer connection, under the write mutex.
  template <typename Fn>
  auto Write(Fn&& body) -> decltype(body(std::declval<sqlite::Db&>()));
  Result<CommitResult> CommitLocked(sqlite::Db& db, const Transition& t);
  Result<StateMachine> GetStateMachineIn(sqlite::Db& db, std::string_view name_or_arn);
  // Called by SQLite after each commit with the WAL's size in pages.
  static int OnWalCommit(void* self, ::sqlite3* db, const char* name, int pages);
  void RunCheckpoints();
  void NotifyTaskEvent();

  SqliteOptions options_;
  std::string db_path_;
  int lock_fd_ = -1;
  int opened_schema_version_ = 0;

  std::mutex write_mu_;
  std::unique_ptr<sqlite::Db> writer_;

  std::mutex readers_mu_;
  std::vector<std::unique_ptr<sqlite::Db>> idle_readers_;

  std::atomic<int64_t> commits_{0};
  std::atomic<int64_t> transitions_{0};
  std::atomic<int64_t> checkpoints_{0};

  mutable std::mutex task_events_mu_;
  std::condition_variable task_events_cv_;
  uint64_t task_events_ = 0;  // guarded by task_events_mu_

  std::mutex outbox_listener_mu_;
  std::function<void()> outbox_listener_;  // guarded by outbox_listener_mu_

  std::unique_ptr<sqlite::Db> checkpoint_db_;
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false;  // guarded by checkpoint_mu_
  bool stopping_ = false;           // guarded by checkpoint_mu_
  std::thread checkpointer_;        // started last in Open, joined first in the destructor
};

}  // namespace wharf::store
