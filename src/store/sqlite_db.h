// Thin RAII wrappers over the SQLite C API: a connection (Db) that caches its prepared statements,
// and a statement handle (Query) with typed binds and columns that resets the statement when it
// goes out of scope, so that no read transaction stays open by accident.
//
// Errors come back as Error{errc::kStoreFailure, "<what>: <SQLite's message>"}.
// Thread-safety: a Db, and the Queries made from it, are used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace wharf::store::sqlite {

class Db;

// A prepared statement in use. Text binds do not copy: a bound string must outlive the Query's
// last Step().
class Query {
 public:
  // `in_use`: the cache's flag for this statement, cleared when the Query ends (the statement is
  // then reset); nullptr for a statement the Query owns and finalizes.
  Query(Db* db, sqlite3_stmt* stmt, bool* in_use) : db_(db), stmt_(stmt), in_use_(in_use) {}
  Query(Query&& other) noexcept : db_(other.db_), stmt_(other.stmt_), in_use_(other.in_use_) {
    other.stmt_ = nullptr;
  }
  Query& operator=(Query&&) = delete;
  Query(const Query&) = delete;
  ~Query();

  // Binds are 1-based, as in SQL's ?1, ?2...
  Query& Bind(int i, int64_t v);
  Query& Bind(int i, std::string_view v);
  Query& BindOpt(int i, const std::optional<std::string>& v);  // nullopt binds NULL
  Query& BindOpt(int i, const std::optional<int64_t>& v);
  Query& BindNull(int i);

  // true: a row is available; false: done.
  Result<bool> Step();
  // Runs a statement that returns no rows (or whose rows are not wanted), then resets it (keeping
  // the bindings) so it can be bound and run again.
  Status Run();

  int64_t Int(int col) const;
  std::string Text(int col) const;
  std::string_view View(int col) const;  // valid until the next Step
  std::optional<std::string> OptText(int col) const;
  std::optional<int64_t> OptInt(int col) const;
  bool IsNull(int col) const;

 private:
  Db* db_;
  sqlite3_stmt* stmt_;
  bool* in_use_;
};

class Db {
 public:
  enum class Mode { kReadWrite, kReadOnly };
  static Result<std::unique_ptr<Db>> Open(const std::string& path, Mode mode);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs one or more statements that return no rows (PRAGMA, BEGIN, DDL...).
  Status Exec(const char* sql);
  // The cached prepared statement for `sql`, keyed by the pointer: pass string constants. While
  // one Query of a statement is alive, a second Prepare of it gets a fresh, uncached statement.
  Result<Query> Prepare(const char* sql);
  // A prepared statement that is not cached, for SQL built at run time.
  Result<Query> PrepareOnce(const std::string& sql);
  // A single-value read, e.g. "PRAGMA journal_mode".
  Result<std::string> QueryText(const char* sql);

  int64_t Changes() const;
  int64_t LastInsertRowid() const;
  sqlite3* raw() const { return db_; }
  Error MakeError(std::string_view what) const;

 private:
  friend class Query;
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  struct Cached {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  std::unordered_map<const char*, Cached> cache_;
};

}  // namespace wharf::store::sqlite
