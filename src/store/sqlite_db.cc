#include "store/sqlite_db.h"

#include <sqlite3.h>

#include <fmt/format.h>

#include "store/state_store.h"

namespace wharf::store::sqlite {

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

Query& Query::Bind(int i, std::string_view v) {
  // SQLITE_STATIC: SQLite does not copy; the caller keeps the text alive (see the header).
  sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  return *this;
}

Query& Query::BindOpt(int i, const std::optional<std::string>& v) {
  if (v) return Bind(i, std::string_view(*v));
  return BindNull(i);
}

Query& Query::BindOpt(int i, const std::optional<int64_t>& v) {
  if (v) return Bind(i, *v);
  return BindNull(i);
}

Query& Query::BindNull(int i) {
  sqlite3_bind_null(stmt_, i);
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

std::string_view Query::View(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  if (p == nullptr) return {};
  return std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::string Query::Text(int col) const { return std::string(View(col)); }

bool Query::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

std::optional<std::string> Query::OptText(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Text(col);
}

std::optional<int64_t> Query::OptInt(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Int(col);
}

Result<std::unique_ptr<Db>> Db::Open(const std::string& path, Mode mode) {
  // NOMUTEX: each connection is used by one thread at a time (the store's own locking).
  int flags =
      SQLITE_OPEN_NOMUTEX |
      (mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close(raw);
    return wharf::MakeError(errc::kStoreFailure,
                            fmt::format("opening the database {}: {}", path, msg));
  }
  sqlite3_extended_result_codes(raw, 1);
  return std::unique_ptr<Db>(new Db(raw));
}

Db::~Db() {
  for (auto& [sql, cached] : cache_) sqlite3_finalize(cached.stmt);
  sqlite3_close(db_);
}

Error Db::MakeError(std::string_view what) const {
  return wharf::MakeError(errc::kStoreFailure,
                          fmt::format("{}: {} (SQLite error {})", what, sqlite3_errmsg(db_),
                                      sqlite3_extended_errcode(db_)));
}

Status Db::Exec(const char* sql) {
  char* msg = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &msg);
  if (rc == SQLITE_OK) return {};
  std::string text = msg ? msg : sqlite3_errstr(rc);
  sqlite3_free(msg);
  return wharf::MakeError(errc::kStoreFailure, fmt::format("running '{:.60}': {}", sql, text));
}

Result<Query> Db::Prepare(const char* sql) {
  Cached& cached = cache_[sql];
  if (cached.in_use) return PrepareOnce(sql);
  if (cached.stmt == nullptr && sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                                   &cached.stmt, nullptr) != SQLITE_OK) {
    cache_.erase(sql);
    return MakeError(fmt::format("preparing '{:.60}'", sql));
  }
  cached.in_use = true;
  return Query(this, cached.stmt, &cached.in_use);
}

Result<Query> Db::PrepareOnce(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    return MakeError(fmt::format("preparing '{:.60}'", sql));
  }
  return Query(this, stmt, nullptr);
}

Result<std::string> Db::QueryText(const char* sql) {
  WHARF_TRY(Query q, PrepareOnce(sql));
  WHARF_TRY(bool row, q.Step());
  if (!row) return std::string();
  return q.Text(0);
}

int64_t Db::Changes() const { return sqlite3_changes64(db_); }
int64_t Db::LastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }

}  // namespace wharf::store::sqlite
