// SqliteStore: opening the data folder, state machines, execution and history reads, and the
// execution claims. Commit is in sqlite_commit.cc; tasks, timers and the outbox in
// sqlite_tasks.cc. The tables are described in docs/schema.md.
#include "store/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

#include <fmt/format.h>

#include "store/page_token.h"
#include "store/sqlite_schema.h"
#include "store/sqlite_store_internal.h"

namespace wharf::store {

using sqlite::Db;
using sqlite::Query;

// ---- Helpers shared by the implementation files ----------------------------------------------

Error NoSuchExecution(std::string_view arn) {
  return MakeError(errc::kExecutionDoesNotExist,
                   fmt::format("Execution Does Not Exist: '{}'", arn));
}

Error NoSuchTask(std::string_view ticket) {
  return MakeError(errc::kTaskDoesNotExist, fmt::format("Task Does Not Exist: '{}'", ticket));
}

Error BadArgument(std::string message) {
  return MakeError(errc::kInvalidArgument, std::move(message));
}

int ClampLimit(int limit) {
  if (limit <= 0) return 100;
  return limit > 1000 ? 1000 : limit;
}

StateMachine ReadStateMachine(const Query& q) {
  StateMachine m;
  m.arn = q.Text(0);
  m.name = q.Text(1);
  m.definition = q.Text(2);
  m.type = ParseMachineType(q.View(3)).value_or(MachineType::kStandard);
  m.role_arn = q.Text(4);
  m.config = q.Text(5);
  m.revision_id = q.Text(6);
  m.created = FromMs(q.Int(7));
  m.updated = FromMs(q.Int(8));
  return m;
}

Execution ReadExecution(const Query& q) {
  Execution e;
  e.arn = q.Text(0);
  e.state_machine_arn = q.Text(1);
  e.name = q.Text(2);
  e.revision_id = q.Text(3);
  e.status = ParseExecutionStatus(q.View(4)).value_or(ExecutionStatus::kRunning);
  e.input = q.Text(5);
  e.output = q.OptText(6);
  e.error = q.OptText(7);
  e.cause = q.OptText(8);
  e.start_time = FromMs(q.Int(9));
  e.stop_time = FromOptMs(q.OptInt(10));
  e.redrive_count = q.Int(11);
  e.redrive_time = FromOptMs(q.OptInt(12));
  e.last_event_id = q.Int(13);
  e.owner = q.Text(14);
  e.lease_expiry = FromMs(q.Int(15));
  e.snapshot = q.Text(16);
  return e;
}

namespace {

Error StoreFailure(std::string message) {
  return MakeError(errc::kStoreFailure, std::move(message));
}

Error NoSuchMachine(std::string_view name_or_arn) {
  return MakeError(errc::kStateMachineDoesNotExist,
                   fmt::format("State Machine Does Not Exist: '{}'", name_or_arn));
}

bool IsArn(std::string_view s) { return s.substr(0, 4) == "arn:"; }

// A version 4 UUID, lower case (RFC 9562 §5.4: version 4 in bits 48-51, variant 10 in 64-65).
std::string NewUuid() {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  uint64_t hi, lo;
  {
    std::lock_guard lock(mu);
    hi = rng();
    lo = rng();
  }
  hi = (hi & 0xffffffffffff0fffull) | 0x0000000000004000ull;
  lo = (lo & 0x3fffffffffffffffull) | 0x8000000000000000ull;
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xffff,
                     hi & 0xffff, lo >> 48, lo & 0xffffffffffffull);
}

// Takes the folder's lock file, or names the process that holds it.
Result<int> LockDataFolder(const std::string& dir) {
  std::string path = (std::filesystem::path(dir) / SqliteStore::kLockFile).string();
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return StoreFailure(fmt::format("opening the lock file {}: {}", path, std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    char buf[32] = {};
    ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
    ::close(fd);
    if (err == EWOULDBLOCK) {
      std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "unknown";
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
      return StoreFailure(fmt::format(
          "the data folder {} is in use by another wharf process (pid {}, lock file {})", dir, pid,
          path));
    }
    return StoreFailure(fmt::format("locking {}: {}", path, std::strerror(err)));
  }
  // The holder's pid, for the message above; advisory only.
  std::string pid = fmt::format("{}\n", ::getpid());
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // Not fatal: the lock is what matters.
  }
  return fd;
}

Status Configure(Db& db, Durability durability, const std::string& path) {
  WHARF_TRY(std::string mode, db.QueryText("PRAGMA journal_mode=WAL"));
  if (mode != "wal") {
    return StoreFailure(
        fmt::format("{}: cannot switch to WAL mode (journal_mode is '{}')", path, mode));
  }
  // synchronous: NORMAL in WAL mode syncs at checkpoints only, which keeps every commit through a
  // crash of the process; FULL syncs the WAL at every commit, which also survives a power cut
  // (sqlite.org/pragma.html#pragma_synchronous). docs/schema.md has the measurements.
  WHARF_TRY_STATUS(db.Exec(durability == Durability::kPowerLoss ? "PRAGMA synchronous=FULL"
                                                                : "PRAGMA synchronous=NORMAL"));
  // A WAL larger than this is truncated after a checkpoint, so a burst does not keep its size.
  WHARF_TRY_STATUS(db.Exec("PRAGMA journal_size_limit=67108864"));
  // Checkpoints run on the store's own thread (RunCheckpoints), not inside commits.
  WHARF_TRY_STATUS(db.Exec("PRAGMA wal_autocheckpoint=0"));
  return db.Exec("PRAGMA busy_timeout=10000");
}

}  // namespace

// ---- Open and close
// ------------------------------------------------------------------------------

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const SqliteOptions& options) {
  if (options.data_dir.empty()) return BadArgument("the data folder is not set");
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    return StoreFailure(
        fmt::format("creating the data folder {}: {}", options.data_dir, ec.message()));
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore());
  store->options_ = options;
  store->db_path_ = (std::filesystem::path(options.data_dir) / kDatabaseFile).string();
  WHARF_TRY(store->lock_fd_, LockDataFolder(options.data_dir));
  WHARF_TRY(store->writer_, Db::Open(store->db_path_, Db::Mode::kReadWrite));
  WHARF_TRY_STATUS(Configure(*store->writer_, options.durability, store->db_path_));
  WHARF_TRY(store->opened_schema_version_, sqlite::Migrate(*store->writer_, store->db_path_));

  // The lock proves no other process uses the file: every lease in it belonged to a process that
  // is gone. Release them so recovery can start now.
  Status released = store->Write([](Db& db) -> Status {
    WHARF_TRY_STATUS(db.Exec(
        "UPDATE tasks SET state = 'READY', lease_owner = '', lease_ms = 0 WHERE state = 'LEASED';"
        "UPDATE execution_state SET owner = '', lease_ms = 0 WHERE owner != ''"));
    return {};
  });
  if (!released.ok()) return std::move(released).error();

  WHARF_TRY(store->checkpoint_db_, Db::Open(store->db_path_, Db::Mode::kReadWrite));
  WHARF_TRY_STATUS(store->checkpoint_db_->Exec("PRAGMA busy_timeout=10000"));
  sqlite3_wal_hook(store->writer_->raw(), &SqliteStore::OnWalCommit, store.get());
  store->checkpointer_ = std::thread([s = store.get()] { s->RunCheckpoints(); });
  return store;
}

int SqliteStore::OnWalCommit(void* self, sqlite3* db, const char* /*name*/, int pages) {
  auto* store = static_cast<SqliteStore*>(self);
  if (pages >= store->options_.max_wal_pages) {
    // The checkpoint thread cannot keep up: checkpoint here, between two commits, where nothing
    // writes. PASSIVE copies what no reader still needs; the next write then restarts the WAL.
    sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    store->checkpoints_.fetch_add(1, std::memory_order_relaxed);
  } else if (pages >= store->options_.checkpoint_pages) {
    std::lock_guard lock(store->checkpoint_mu_);
    if (!store->checkpoint_wanted_) {
      store->checkpoint_wanted_ = true;
      store->checkpoint_cv_.notify_one();
    }
  }
  return SQLITE_OK;
}

void SqliteStore::RunCheckpoints() {
  std::unique_lock lock(checkpoint_mu_);
  for (;;) {
    checkpoint_cv_.wait(lock, [this] { return checkpoint_wanted_ || stopping_; });
    if (stopping_) return;
    checkpoint_wanted_ = false;
    lock.unlock();
    // PASSIVE: copies the frames no reader needs without blocking the writer or readers
    // (sqlite.org/c3ref/wal_checkpoint_v2.html). A failure is retried at the next wake-up.
    sqlite3_wal_checkpoint_v2(checkpoint_db_->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                              nullptr);
    checkpoints_.fetch_add(1, std::memory_order_relaxed);
    lock.lock();
  }
}

SqliteStore::~SqliteStore() {
  if (checkpointer_.joinable()) {
    {
      std::lock_guard lock(checkpoint_mu_);
      stopping_ = true;
    }
    checkpoint_cv_.notify_one();
    checkpointer_.join();
  }
  checkpoint_db_.reset();
  idle_readers_.clear();
  writer_.reset();  // the last connection checkpoints the WAL into the database
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Result<SqliteStore::Reader> SqliteStore::Read() {
  {
    std::lock_guard lock(readers_mu_);
    if (!idle_readers_.empty()) {
      std::unique_ptr<Db> db = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return Reader(this, std::move(db));
    }
  }
  WHARF_TRY(std::unique_ptr<Db> db, Db::Open(db_path_, Db::Mode::kReadWrite));
  WHARF_TRY_STATUS(db->Exec("PRAGMA query_only=ON; PRAGMA busy_timeout=10000"));
  return Reader(this, std::move(db));
}

void SqliteStore::NotifyTaskEvent() {
  {
    std::lock_guard lock(task_events_mu_);
    ++task_events_;
  }
  task_events_cv_.notify_all();
}

uint64_t SqliteStore::TaskEvents() const {
  std::lock_guard lock(task_events_mu_);
  return task_events_;
}

uint64_t SqliteStore::WaitForTaskEvents(uint64_t seen, std::chrono::milliseconds timeout) {
  std::unique_lock lock(task_events_mu_);
  task_events_cv_.wait_for(lock, timeout, [&] { return task_events_ != seen; });
  return task_events_;
}

StoreStats SqliteStore::Stats() const {
  StoreStats s;
  s.commits = commits_.load(std::memory_order_relaxed);
  s.transitions = transitions_.load(std::memory_order_relaxed);
  s.checkpoints = checkpoints_.load(std::memory_order_relaxed);
  return s;
}

// ---- State machines --------------------------------------------------------------------------

namespace {
constexpr char kSqlMachineByArn[] =
    "SELECT " WHARF_MACHINE_COLUMNS
    " FROM state_machines m JOIN state_machine_revisions r"
    " ON r.machine_arn = m.arn AND r.revision_id = m.revision_id WHERE m.arn = ?1";
constexpr char kSqlMachineByName[] =
    "SELECT " WHARF_MACHINE_COLUMNS
    " FROM state_machines m JOIN state_machine_revisions r"
    " ON r.machine_arn = m.arn AND r.revision_id = m.revision_id WHERE m.name = ?1";
constexpr char kSqlInsertRevision[] =
    "INSERT INTO state_machine_revisions"
    " (machine_arn, revision_id, name, type, definition, role_arn, config, created_ms)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
constexpr char kSqlInsertMachine[] =
    "INSERT INTO state_machines (arn, name, revision_id, created_ms, updated_ms)"
    " VALUES (?1, ?2, ?3, ?4, ?4)";
constexpr char kSqlUpdateMachine[] =
    "UPDATE state_machines SET revision_id = ?2, updated_ms = ?3 WHERE arn = ?1";

bool SameParameters(const StateMachine& a, const StateMachine& b) {
  return a.definition == b.definition && a.type == b.type && a.role_arn == b.role_arn &&
         a.config == b.config;
}

Status InsertRevision(Db& db, const StateMachine& m, int64_t now_ms) {
  WHARF_TRY(Query q, db.Prepare(kSqlInsertRevision));
  q.Bind(1, m.arn).Bind(2, m.revision_id).Bind(3, m.name).Bind(4, MachineTypeName(m.type));
  q.Bind(5, m.definition).Bind(6, m.role_arn).Bind(7, m.config).Bind(8, now_ms);
  return q.Run();
}
}  // namespace

Result<StateMachine> SqliteStore::GetStateMachineIn(Db& db, std::string_view name_or_arn) {
  WHARF_TRY(Query q, db.Prepare(IsArn(name_or_arn) ? kSqlMachineByArn : kSqlMachineByName));
  q.Bind(1, name_or_arn);
  WHARF_TRY(bool row, q.Step());
  if (!row) return NoSuchMachine(name_or_arn);
  return ReadStateMachine(q);
}

Result<PutStateMachineResult> SqliteStore::PutStateMachine(const StateMachine& machine,
                                                           PutMode mode, TimePoint now) {
  if (machine.name.empty() || machine.arn.empty()) {
    return BadArgument("a state machine needs a name and an ARN");
  }
  return Write([&](Db& db) -> Result<PutStateMachineResult> {
    int64_t now_ms = ToMs(now);
    Result<StateMachine> existing = GetStateMachineIn(db, machine.arn);
    if (!existing.ok() && existing.error().code != errc::kStateMachineDoesNotExist) {
      return std::move(existing).error();
    }
    if (!existing.ok()) {
      if (mode == PutMode::kUpdate) return NoSuchMachine(machine.arn);
      StateMachine m = machine;
      m.revision_id = NewUuid();
      m.created = m.updated = FromMs(now_ms);
      WHARF_TRY_STATUS(InsertRevision(db, m, now_ms));
      WHARF_TRY(Query q, db.Prepare(kSqlInsertMachine));
      q.Bind(1, m.arn).Bind(2, m.name).Bind(3, m.revision_id).Bind(4, now_ms);
      Status inserted = q.Run();
      if (!inserted.ok()) {
        // The name is taken under another ARN (UNIQUE(name)).
        return MakeError(errc::kStateMachineAlreadyExists,
                         fmt::format("State Machine Already Exists: '{}'", m.name));
      }
      return PutStateMachineResult{std::move(m), true};
    }
    StateMachine current = std::move(existing).value();
    if (SameParameters(current, machine)) return PutStateMachineResult{std::move(current), false};
    if (mode == PutMode::kCreate) {
      return MakeError(errc::kStateMachineAlreadyExists,
                       fmt::format("State Machine Already Exists: '{}'", current.arn));
    }
    StateMachine m = machine;
    m.arn = current.arn;
    m.name = current.name;
    m.created = current.created;
    m.updated = FromMs(now_ms);
    m.revision_id = NewUuid();
    WHARF_TRY_STATUS(InsertRevision(db, m, now_ms));
    WHARF_TRY(Query q, db.Prepare(kSqlUpdateMachine));
    q.Bind(1, m.arn).Bind(2, m.revision_id).Bind(3, now_ms);
    WHARF_TRY_STATUS(q.Run());
    return PutStateMachineResult{std::move(m), true};
  });
}

Result<StateMachine> SqliteStore::GetStateMachine(std::string_view name_or_arn) {
  WHARF_TRY(Reader reader, Read());
  return GetStateMachineIn(reader.db(), name_or_arn);
}

Result<StateMachine> SqliteStore::GetStateMachineRevision(std::string_view arn,
                                                          std::string_view revision_id) {
  static constexpr char kSql[] =
      "SELECT r.machine_arn, r.name, r.definition, r.type, r.role_arn, r.config, r.revision_id,"
      " coalesce(m.created_ms, r.created_ms), r.created_ms"
      " FROM state_machine_revisions r LEFT JOIN state_machines m ON m.arn = r.machine_arn"
      " WHERE r.machine_arn = ?1 AND r.revision_id = ?2";
  WHARF_TRY(Reader reader, Read());
  WHARF_TRY(Query q, reader.db().Prepare(kSql));
  q.Bind(1, arn).Bind(2, revision_id);
  WHARF_TRY(bool row, q.Step());
  if (!row) {
    return MakeError(
        errc::kStateMachineDoesNotExist,
        fmt::format("State Machine Does Not Exist: '{}' (revision {})", arn, revision_id));
  }
  return ReadStateMachine(q);
}

Result<Page<StateMachine>> SqliteStore::ListStateMachines(int limit, std::string_view next_token) {
  static constexpr char kSql[] = "SELECT " WHARF_MACHINE_COLUMNS
                                 " FROM state_machines m JOIN state_machine_revisions r"
                                 " ON r.machine_arn = m.arn AND r.revision_id = m.revision_id"
                                 " WHERE m.name > ?1 ORDER BY m.name LIMIT ?2";
  limit = ClampLimit(limit);
  uint64_t fingerprint = QueryFingerprint({"state-machines"});
  std::string after;
  if (!next_token.empty()) {
    WHARF_TRY(std::vector<std::string> key, DecodePageToken(next_token, fingerprint, 1));
    after = std::move(key[0]);
  }
  WHARF_TRY(Reader reader, Read());
  WHARF_TRY(Query q, reader.db().Prepare(kSql));
  q.Bind(1, after).Bind(2, int64_t{limit} + 1);
  Page<StateMachine> page;
  for (;;) {
    WHARF_TRY(bool row, q.Step());
    if (!row) break;
    if (static_cast<int>(page.items.size()) == limit) {
      page.next_token = EncodePageToken(fingerprint, {page.items.back().name});
      break;
    }
    page.items.push_back(ReadStateMachine(q));
  }
  return page;
}

Status SqliteStore::DeleteStateMachine(std::string_view name_or_arn) {
  return Write([&](Db& db) -> Status {
    WHARF_TRY(StateMachine m, GetStateMachineIn(db, name_or_arn));
    WHARF_TRY(Query del, db.Prepare("DELETE FROM state_machines WHERE arn = ?1"));
    del.Bind(1, m.arn);
    WHARF_TRY_STATUS(del.Run());
    // Revisions that no execution runs go with it; the others stay for their executions.
    WHARF_TRY(Query prune,
              db.Prepare("DELETE FROM state_machine_revisions WHERE machine_arn = ?1 AND NOT"
                         " EXISTS (SELECT 1 FROM executions e WHERE e.machine_arn = ?1"
                         " AND e.revision_id = state_machine_revisions.revision_id)"));
    prune.Bind(1, m.arn);
    return prune.Run();
  });
}

// ---- Executions --------------------------------------------------------------------------------

namespace {
constexpr char kSqlExecutionFull[] =
    "SELECT " WHARF_EXECUTION_FULL
    " FROM executions e JOIN execution_state s ON s.execution_id = e.id WHERE e.arn = ?1";
constexpr char kSqlExecutionWithSnapshot[] =
    "SELECT " WHARF_EXECUTION_WITH_SNAPSHOT
    " FROM executions e JOIN execution_state s ON s.execution_id = e.id WHERE e.arn = ?1";

// The listing's SQL for each combination of filters: [machine][status][redrive].
const std::string& ListExecutionsSql(bool by_machine, bool by_status, RedriveFilter redrive) {
  static const std::array<std::string, 12> kSql = [] {
    std::array<std::string, 12> sql;
    for (int i = 0; i < 12; ++i) {
      bool machine = i & 1, status = i & 2;
      int r = i / 4;
      std::string s = "SELECT " WHARF_EXECUTION_SUMMARY
                      ", e.id FROM executions e JOIN execution_state s ON s.execution_id = e.id"
                      " WHERE (e.start_ms, e.id) < (?3, ?4)";
      if (machine) s += " AND e.machine_arn = ?1";
      if (status) s += " AND e.status = ?2";
      if (r == 1) s += " AND e.redrive_count > 0";
      if (r == 2) s += " AND e.redrive_count = 0";
      s += " ORDER BY e.start_ms DESC, e.id DESC LIMIT ?5";
      sql[i] = std::move(s);
    }
    return sql;
  }();
  int r = redrive == RedriveFilter::kAny ? 0 : redrive == RedriveFilter::kRedriven ? 1 : 2;
  return kSql[(by_machine ? 1 : 0) + (by_status ? 2 : 0) + 4 * r];
}
}  // namespace

Result<Execution> SqliteStore::GetExecution(std::string_view arn, WithSnapshot with_snapshot) {
  WHARF_TRY(Reader reader, Read());
  WHARF_TRY(Query q,
            reader.db().Prepare(with_snapshot == WithSnapshot::kYes ? kSqlExecutionWithSnapshot
                                                                    : kSqlExecutionFull));
  q.Bind(1, arn);
  WHARF_TRY(bool row, q.Step());
  if (!row) return NoSuchExecution(arn);
  return ReadExecution(q);
}

Result<Page<Execution>> SqliteStore::ListExecutions(const ExecutionQuery& query) {
  int limit = ClampLimit(query.limit);
  std::string status = query.status ? ExecutionStatusName(*query.status) : "";
  uint64_t fingerprint =
      QueryFingerprint({"executions", query.state_machine_arn, status,
                        query.redrive == RedriveFilter::kAny        ? ""
                        : query.redrive == RedriveFilter::kRedriven ? "redriven"
                                                                    : "not-redriven"});
  int64_t before_ms = std::numeric_limits<int64_t>::max();
  int64_t before_id = std::numeric_limits<int64_t>::max();
  if (!query.next_token.empty()) {
    WHARF_TRY(std::vector<int64_t> key, DecodeIntPageToken(query.next_token, fingerprint, 2));
    before_ms = key[0];
    before_id = key[1];
  }
  WHARF_TRY(Reader reader, Read());
  const std::string& sql =
      ListExecutionsSql(!query.state_machine_arn.empty(), query.status.has_value(), query.redrive);
  WHARF_TRY(Query q, reader.db().Prepare(sql.c_str()));
  q.Bind(1, query.state_machine_arn).Bind(2, status).Bind(3, before_ms).Bind(4, before_id);
  q.Bind(5, int64_t{limit} + 1);
  Page<Execution> page;
  int64_t last_ms = 0, last_id = 0;
  for (;;) {
    WHARF_TRY(bool row, q.Step());
    if (!row) break;
    if (static_cast<int>(page.items.size()) == limit) {
      page.next_token =
          EncodePageToken(fingerprint, {std::to_string(last_ms), std::to_string(last_id)});
      break;
    }
    page.items.push_back(ReadExecution(q));
    last_ms = q.Int(9);
    last_id = q.Int(17);
  }
  return page;
}

Result<std::vector<Execution>> SqliteStore::ClaimExecutions(std::string_view owner, int max,
                                                            TimePoint now, TimePoint lease_until) {
  if (owner.empty()) return BadArgument("ClaimExecutions needs an owner");
  static constexpr char kSqlFree[] =
      "SELECT e.id FROM executions e JOIN execution_state s ON s.execution_id = e.id"
      " WHERE e.status = 'RUNNING' AND (s.owner = '' OR s.lease_ms < ?1) ORDER BY e.id LIMIT ?2";
  static constexpr char kSqlTake[] =
      "UPDATE execution_state SET owner = ?2, lease_ms = ?3 WHERE execution_id = ?1";
  static constexpr char kSqlRead[] =
      "SELECT " WHARF_EXECUTION_WITH_SNAPSHOT
      " FROM executions e JOIN execution_state s ON s.execution_id = e.id WHERE e.id = ?1";
  return Write([&](Db& db) -> Result<std::vector<Execution>> {
    std::vector<int64_t> ids;
    {
      WHARF_TRY(Query q, db.Prepare(kSqlFree));
      q.Bind(1, ToMs(now)).Bind(2, int64_t{max});
      for (;;) {
        WHARF_TRY(bool row, q.Step());
        if (!row) break;
        ids.push_back(q.Int(0));
      }
    }
    std::vector<Execution> claimed;
    for (int64_t id : ids) {
      {
        WHARF_TRY(Query take, db.Prepare(kSqlTake));
        take.Bind(1, id).Bind(2, owner).Bind(3, ToMs(lease_until));
        WHARF_TRY_STATUS(take.Run());
      }
      WHARF_TRY(Query read, db.Prepare(kSqlRead));
      read.Bind(1, id);
      WHARF_TRY(bool row, read.Step());
      if (row) claimed.push_back(ReadExecution(read));
    }
    return claimed;
  });
}

Status SqliteStore::RenewExecutionLeases(std::string_view owner, TimePoint lease_until) {
  if (owner.empty()) return BadArgument("RenewExecutionLeases needs an owner");
  return Write([&](Db& db) -> Status {
    WHARF_TRY(Query q, db.Prepare("UPDATE execution_state SET lease_ms = ?2 WHERE owner = ?1"));
    q.Bind(1, owner).Bind(2, ToMs(lease_until));
    return q.Run();
  });
}

// ---- History -----------------------------------------------------------------------------------

// An execution's events are a chain through prev_seq (newest to oldest), entered at the nearest
// anchor at or after the newest event wanted (docs/schema.md, "History"). So a page of n events
// costs at most n + kHistoryAnchorEvery row lookups, at any depth.
Result<Page<HistoryRecord>> SqliteStore::GetHistory(const HistoryQuery& query) {
  static constexpr char kSqlHead[] =
      "SELECT e.id, s.last_event_id, s.last_seq FROM executions e"
      " JOIN execution_state s ON s.execution_id = e.id WHERE e.arn = ?1";
  static constexpr char kSqlAnchor[] =
      "SELECT seq FROM history_anchors WHERE execution_id = ?1 AND event_id >= ?2"
      " ORDER BY event_id LIMIT 1";
  static constexpr char kSqlEvent[] =
      "SELECT event_id, prev_seq, previous_id, type, ts_ms, details FROM history WHERE seq = ?1";
  int limit = ClampLimit(query.limit);
  bool newest_first = query.order == HistoryOrder::kNewestFirst;
  uint64_t fingerprint =
      QueryFingerprint({"history", query.execution_arn, newest_first ? "reverse" : "forward"});
  std::optional<int64_t> after;  // the id of the last event of the previous page
  if (!query.next_token.empty()) {
    WHARF_TRY(std::vector<int64_t> key, DecodeIntPageToken(query.next_token, fingerprint, 1));
    after = key[0];
  }
  WHARF_TRY(Reader reader, Read());
  WHARF_TRY_STATUS(reader.Begin());
  Db& db = reader.db();
  int64_t execution_id = 0, last_event_id = 0, seq = 0;
  {
    WHARF_TRY(Query q, db.Prepare(kSqlHead));
    q.Bind(1, query.execution_arn);
    WHARF_TRY(bool row, q.Step());
    if (!row) return NoSuchExecution(query.execution_arn);
    execution_id = q.Int(0);
    last_event_id = q.Int(1);
    seq = q.Int(2);
  }
  // The page is the events lo..hi.
  int64_t lo, hi;
  if (newest_first) {
    hi = std::min(after ? *after - 1 : last_event_id, last_event_id);
    lo = std::max<int64_t>(hi - limit + 1, 1);
  } else {
    lo = after ? *after + 1 : 1;
    hi = std::min<int64_t>(lo + limit - 1, last_event_id);
  }
  Page<HistoryRecord> page;
  if (lo > hi) return page;
  {
    WHARF_TRY(Query q, db.Prepare(kSqlAnchor));
    q.Bind(1, execution_id).Bind(2, hi);
    WHARF_TRY(bool row, q.Step());
    if (row) seq = q.Int(0);
  }
  WHARF_TRY(Query q, db.Prepare(kSqlEvent));
  while (seq != 0) {
    q.Bind(1, seq);
    WHARF_TRY(bool row, q.Step());
    if (!row) {
      return MakeError(errc::kStoreFailure,
                       fmt::format("history of '{}' is broken: event row {} is missing",
                                   query.execution_arn, seq));
    }
    int64_t id = q.Int(0);
    if (id < lo) break;
    seq = q.Int(1);
    if (id <= hi) {
      HistoryRecord& r = page.items.emplace_back();
      r.id = id;
      r.previous_id = q.Int(2);
      r.type = q.Text(3);
      r.timestamp = FromMs(q.Int(4));
      r.details = q.Text(5);
    }
    WHARF_TRY_STATUS(q.Run());  // resets the statement for the next row
  }
  if (!newest_first) std::reverse(page.items.begin(), page.items.end());
  if (newest_first ? lo > 1 : hi < last_event_id) {
    page.next_token = EncodePageToken(fingerprint, {std::to_string(newest_first ? lo : hi)});
  }
  return page;
}

}  // namespace wharf::store
