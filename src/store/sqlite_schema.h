// The SQLite schema of the state store and its forward migrations (docs/schema.md describes the
// tables). Thread-safety: call with the writer connection, before the store is shared.
#pragma once

#include "core/result.h"
#include "store/sqlite_db.h"

namespace wharf::store::sqlite {

// The version this build writes. Migrations take an older file forward to it at open.
inline constexpr int kSchemaVersion = 1;

// Creates the tables of a new file, or runs the migrations an older file lacks, in one
// transaction. A file written by a newer wharf (a higher version) is refused, naming both
// versions. Returns the version found before migrating (0 for a new file).
Result<int> Migrate(Db& db, const std::string& path);

}  // namespace wharf::store::sqlite
