#include "store/sqlite_schema.h"

#include <iterator>
#include <string>

#include <fmt/format.h>

#include "store/state_store.h"

namespace wharf::store::sqlite {
namespace {

// Migration N takes a file from version N-1 to N. Never edit one that has shipped; add the next.
// Times are Unix milliseconds; payloads are JSON text (see docs/schema.md).
constexpr const char* kMigrations[] = {
    // 1: the initial schema.
    R"sql(
CREATE TABLE state_machines (
  arn TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  revision_id TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE state_machine_revisions (
  machine_arn TEXT NOT NULL,
  revision_id TEXT NOT NULL,
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  definition TEXT NOT NULL,
  role_arn TEXT NOT NULL,
  config TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (machine_arn, revision_id)
) STRICT;

CREATE TABLE executions (
  id INTEGER PRIMARY KEY,
  arn TEXT NOT NULL UNIQUE,
  machine_arn TEXT NOT NULL,
  name TEXT NOT NULL,
  revision_id TEXT NOT NULL,
  status TEXT NOT NULL,
  input TEXT NOT NULL,
  output TEXT,
  error TEXT,
  cause TEXT,
  start_ms INTEGER NOT NULL,
  stop_ms INTEGER,
  redrive_count INTEGER NOT NULL DEFAULT 0,
  redrive_ms INTEGER
) STRICT;
CREATE INDEX executions_by_machine ON executions (machine_arn, start_ms, id);
CREATE INDEX executions_by_start ON executions (start_ms, id);
CREATE INDEX executions_running ON executions (id) WHERE status = 'RUNNING';

CREATE TABLE execution_state (
  execution_id INTEGER PRIMARY KEY,
  last_event_id INTEGER NOT NULL,
  last_seq INTEGER NOT NULL,
  owner TEXT NOT NULL,
  lease_ms INTEGER NOT NULL,
  snapshot TEXT NOT NULL
) STRICT;
CREATE INDEX execution_state_by_owner ON execution_state (owner) WHERE owner != '';

-- Events in commit order. An execution's events form a chain through prev_seq, anchored every
-- 64 events in history_anchors, so a commit touches the table's last pages and not one index
-- page per execution (docs/schema.md, "History").
CREATE TABLE history (
  seq INTEGER PRIMARY KEY,
  execution_id INTEGER NOT NULL,
  event_id INTEGER NOT NULL,
  prev_seq INTEGER NOT NULL,
  previous_id INTEGER NOT NULL,
  type TEXT NOT NULL,
  ts_ms INTEGER NOT NULL,
  details TEXT NOT NULL
) STRICT;

CREATE TABLE history_anchors (
  execution_id INTEGER NOT NULL,
  event_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (execution_id, event_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE tasks (
  id INTEGER PRIMARY KEY,
  ticket TEXT NOT NULL UNIQUE,
  execution_arn TEXT NOT NULL,
  queue TEXT NOT NULL,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  token TEXT,
  state TEXT NOT NULL,
  lease_owner TEXT NOT NULL,
  lease_ms INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  result TEXT,
  created_ms INTEGER NOT NULL,
  heartbeat_ms INTEGER
) STRICT;
CREATE UNIQUE INDEX tasks_by_token ON tasks (token) WHERE token IS NOT NULL;
CREATE INDEX tasks_by_state ON tasks (state, id);
CREATE INDEX tasks_by_execution ON tasks (execution_arn);

CREATE TABLE timers (
  key TEXT PRIMARY KEY,
  execution_arn TEXT NOT NULL,
  due_ms INTEGER NOT NULL,
  payload TEXT NOT NULL
) STRICT;
CREATE INDEX timers_by_due ON timers (due_ms, key);
CREATE INDEX timers_by_execution ON timers (execution_arn);

CREATE TABLE outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  execution_arn TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  delivered_ms INTEGER
) STRICT;
CREATE INDEX outbox_undelivered ON outbox (seq) WHERE delivered_ms IS NULL;
)sql",
};

static_assert(std::size(kMigrations) == kSchemaVersion, "one migration per schema version");

Result<int> MigrateInTransaction(Db& db, const std::string& path) {
  WHARF_TRY_STATUS(
      db.Exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL) STRICT"));
  WHARF_TRY(std::string found_text, db.QueryText("SELECT max(version) FROM schema_version"));
  int found = found_text.empty() ? 0 : std::stoi(found_text);
  if (found > kSchemaVersion) {
    return MakeError(errc::kStoreFailure,
                     fmt::format("{}: the database has schema version {}, newer than the {} this "
                                 "wharf knows; run a newer wharf",
                                 path, found, kSchemaVersion));
  }
  for (int v = found + 1; v <= kSchemaVersion; ++v) {
    Status applied = db.Exec(kMigrations[v - 1]);
    if (!applied.ok()) {
      return MakeError(errc::kStoreFailure,
                       fmt::format("{}: migrating the schema to version {}: {}", path, v,
                                   applied.error().message));
    }
  }
  if (found != kSchemaVersion) {
    WHARF_TRY_STATUS(db.Exec("DELETE FROM schema_version"));
    WHARF_TRY(Query q, db.PrepareOnce("INSERT INTO schema_version (version) VALUES (?1)"));
    q.Bind(1, int64_t{kSchemaVersion});
    WHARF_TRY_STATUS(q.Run());
  }
  return found;
}

}  // namespace

Result<int> Migrate(Db& db, const std::string& path) {
  WHARF_TRY_STATUS(db.Exec("BEGIN IMMEDIATE"));
  Result<int> found = MigrateInTransaction(db, path);
  if (!found.ok()) {
    (void)db.Exec("ROLLBACK");
    return found;
  }
  WHARF_TRY_STATUS(db.Exec("COMMIT"));
  return found;
}

}  // namespace wharf::store::sqlite
