#include "objects/index_db.h"

#include <sqlite3.h>

#include <cstring>

#include <fmt/format.h>

#include "objects/object_store.h"

namespace wharf::objects::sqlite {
namespace {

// "; <strerror>" for a failure that came from the OS (I/O error, disk full, cannot open), else "".
std::string OsCause(sqlite3* db) {
  int primary = sqlite3_extended_errcode(db) & 0xff;
  if (primary != SQLITE_IOERR && primary != SQLITE_FULL && primary != SQLITE_CANTOPEN) return "";
  // SQLite keeps the errno of a failed call on the file it failed on; in WAL mode a commit
  // writes the WAL, so look there first, then at the database file.
  int os_error = sqlite3_system_errno(db);
  if (os_error == 0) {
    sqlite3_file* wal = nullptr;
    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal) == SQLITE_OK &&
        wal != nullptr && wal->pMethods != nullptr) {
      wal->pMethods->xFileControl(wal, SQLITE_FCNTL_LAST_ERRNO, &os_error);
    }
  }
  if (os_error == 0) sqlite3_file_control(db, "main", SQLITE_FCNTL_LAST_ERRNO, &os_error);
  if (os_error == 0) return "";
  return fmt::format("; {}", std::strerror(os_error));
}

}  // namespace

Query::~Query() {
  if (stmt_ == nullptr) return;
  if (in_use_ == nullptr) {
    sqlite3_finalize(stmt_);
  } else {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    *in_use_ = false;
  }
}

Query& Query::Bind(int i, int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}

Query& Query::Bind(int i, std::string_view text) {
  // SQLITE_STATIC: SQLite does not copy; the caller keeps the text alive (see the header).
  sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
  return *this;
}

Query& Query::BindBlob(int i, std::string_view bytes) {
  // A zero-length blob still binds a BLOB (not NULL) when the pointer is not null.
  static const char kEmpty = 0;
  sqlite3_bind_blob(stmt_, i, bytes.empty() ? &kEmpty : bytes.data(),
                    static_cast<int>(bytes.size()), SQLITE_STATIC);
  return *this;
}

Result<bool> Query::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->MakeError(fmt::format("running '{:.60}'", sqlite3_sql(stmt_)));
}

Status Query::Run() {
  for (;;) {
    Result<bool> row = Step();
    if (!row.ok() || !*row) {
      sqlite3_reset(stmt_);
      if (!row.ok()) return std::move(row).error();
      return {};
    }
  }
}

int64_t Query::Int(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string Query::Text(int col) const {
  // sqlite3_column_blob returns the bytes of TEXT and BLOB values alike, without conversion.
  const void* p = sqlite3_column_blob(stmt_, col);
  if (p == nullptr) return {};
  return std::string(static_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

Result<std::unique_ptr<Db>> Db::Open(const std::string& path) {
  // NOMUTEX: each connection is used by one thread at a time (the store's own locks).
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close(raw);
    return wharf::MakeError(errc::kStorageFailure,
                            fmt::format("opening the object index {}: {}", path, msg));
  }
  sqlite3_extended_result_codes(raw, 1);
  return std::unique_ptr<Db>(new Db(raw, path));
}

Db::~Db() {
  for (auto& [sql, cached] : cache_) sqlite3_finalize(cached.stmt);
  sqlite3_close(db_);
}

Error Db::MakeError(std::string_view what) const {
  // The OS's error behind an I/O failure (disk full, EIO...), when SQLite saw one.
  return wharf::MakeError(
      errc::kStorageFailure,
      fmt::format("{} in the object index {}: {} (SQLite error {}{})", what, path_,
                  sqlite3_errmsg(db_), sqlite3_extended_errcode(db_), OsCause(db_)));
}

Status Db::Exec(const char* sql) {
  char* msg = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &msg);
  if (rc == SQLITE_OK) return {};
  std::string text = msg ? msg : sqlite3_errstr(rc);
  sqlite3_free(msg);
  return wharf::MakeError(
      errc::kStorageFailure,
      fmt::format("running '{:.60}' in the object index {}: {} (SQLite error {}{})", sql, path_,
                  text, sqlite3_extended_errcode(db_), OsCause(db_)));
}

Status Db::Run(const char* sql) {
  WHARF_TRY(Query q, Prepare(sql));
  return q.Run();
}

Result<Query> Db::Prepare(const char* sql) {
  Cached& cached = cache_[sql];
  if (cached.in_use) {
    // A second Query of the same statement: a fresh one that the Query finalizes.
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) != SQLITE_OK) {
      return MakeError(fmt::format("preparing '{:.60}'", sql));
    }
    return Query(this, stmt, nullptr);
  }
  if (cached.stmt == nullptr && sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                                   &cached.stmt, nullptr) != SQLITE_OK) {
    cache_.erase(sql);
    return MakeError(fmt::format("preparing '{:.60}'", sql));
  }
  cached.in_use = true;
  return Query(this, cached.stmt, &cached.in_use);
}

Result<std::string> Db::QueryText(const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) != SQLITE_OK) {
    return MakeError(fmt::format("preparing '{:.60}'", sql));
  }
  Query q(this, stmt, nullptr);
  WHARF_TRY(bool row, q.Step());
  if (!row) return std::string();
  return q.Text(0);
}

int64_t Db::Changes() const { return sqlite3_changes64(db_); }
int64_t Db::LastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }

}  // namespace wharf::objects::sqlite
