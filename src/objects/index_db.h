// A thin RAII wrapper over the SQLite C API for the object store's index (the same shape as the
// state store's, kept here because objects/ may use core/ only): a connection (Db) that caches
// its prepared statements, and a statement in use (Query) that resets itself when it goes out of
// scope, so that no read transaction stays open by accident.
//
// Errors come back as Error{errc::kStorageFailure, "<what> in <database path>: <SQLite's
// message>"}. Thread-safety: a Db, and the Queries made from it, are used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace wharf::objects::sqlite {

class Db;

// A prepared statement in use. Binds do not copy: bound text must outlive the Query's last Step.
class Query {
 public:
  Query(Db* db, sqlite3_stmt* stmt, bool* in_use) : db_(db), stmt_(stmt), in_use_(in_use) {}
  Query(Query&& other) noexcept : db_(other.db_), stmt_(other.stmt_), in_use_(other.in_use_) {
    other.stmt_ = nullptr;
  }
  Query& operator=(Query&&) = delete;
  Query(const Query&) = delete;
  ~Query();

  // Binds are 1-based, as SQL's ?1, ?2...
  Query& Bind(int i, int64_t v);
  Query& Bind(int i, std::string_view text);
  Query& BindBlob(int i, std::string_view bytes);

  // true: a row is available; false: done.
  Result<bool> Step();
  // Runs a statement whose rows are not wanted, then resets it for another run.
  Status Run();

  int64_t Int(int col) const;
  std::string Text(int col) const;  // TEXT or BLOB, as bytes

 private:
  Db* db_;
  sqlite3_stmt* stmt_;
  bool* in_use_;  // the cache's flag; nullptr for a statement the Query owns and finalizes
};

class Db {
 public:
  static Result<std::unique_ptr<Db>> Open(const std::string& path);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs statements that return no rows (PRAGMA, BEGIN, DDL...).
  Status Exec(const char* sql);
  // Runs one statement that returns no rows through the statement cache: for those run again
  // and again (BEGIN, COMMIT), which Exec would compile every time. Pass string constants.
  Status Run(const char* sql);
  // The cached prepared statement for `sql`, keyed by the pointer: pass string constants.
  Result<Query> Prepare(const char* sql);
  // A single value, e.g. "PRAGMA journal_mode"; "" when there is no row.
  Result<std::string> QueryText(const char* sql);

  int64_t Changes() const;
  int64_t LastInsertRowid() const;
  Error MakeError(std::string_view what) const;

 private:
  friend class Query;
  Db(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
  struct Cached {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  std::unordered_map<const char*, Cached> cache_;
};

}  // namespace wharf::objects::sqlite
