// What the parts of LocalObjectStore share: the open root (Core) and small POSIX helpers.
// Not for use outside src/objects/.
// Thread-safety: Core's members say which mutex guards them; the helpers are free functions.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "objects/index_db.h"
#include "objects/local_store.h"

namespace wharf::objects::internal {

// The open root. Writers and readers keep it alive with a shared_ptr, so they may outlive the
// LocalObjectStore that made them.
struct Core {
  LocalOptions options;
  const Clock* clock = nullptr;
  std::string root, tmp_dir, blobs_dir, index_path;
  int lock_fd = -1;
  int64_t swept_at_open = 0;

  // Called after each commit (SetCommitListener).
  std::mutex listener_mu;
  std::function<void()> on_commit;

  // Guards `writer`: every change is one BEGIN IMMEDIATE ... COMMIT on it.
  std::mutex write_mu;
  std::unique_ptr<sqlite::Db> writer;
  // Guards `reader`. Also held while replaced or deleted blobs are unlinked, so that a Get that
  // looked a blob up (before the change committed) has opened it before it goes.
  std::mutex read_mu;
  std::unique_ptr<sqlite::Db> reader;
  // An unlink failed: the next Open sweeps blobs even after a clean close.
  std::atomic<bool> needs_sweep{false};

  ~Core();  // records a clean close, then closes the index and the lock

  bool SyncToDisk() const { return options.durability == Durability::kPowerLoss; }
  std::string BlobPath(std::string_view id) const;  // ROOT/blobs/<id[0..2]>/<id>
  std::string TempPath(std::string_view id) const;  // ROOT/tmp/<id>
  // Runs `body` in one write transaction under write_mu; rolls back when it or COMMIT fails.
  Status Write(const std::function<Status(sqlite::Db&)>& body);
  // Unlinks blobs that no committed row references any more. REQUIRES: their change committed.
  void DropBlobs(const std::vector<std::string>& ids);
  // The commit time: the clock's now, at the millisecond the index keeps.
  TimePoint NowMs() const;
};

// The metadata columns, in this order, that ReadMeta reads from `first`.
inline constexpr const char kMetaColumns[] =
    "key, size, etag, content_type, modified_ms, uploaded_by, protocol";
ObjectMeta ReadMeta(const sqlite::Query& q, int first);

// Appends events to the outbox, setting their seq; an event without a time gets `now`.
Status InsertEvents(sqlite::Db& db, std::vector<ObjectEvent>& events, TimePoint now);

// Stores `meta` under its key with `blob`, replacing a row there; returns the replaced blob id
// ("" when the key was new).
Result<std::string> UpsertObject(sqlite::Db& db, const ObjectMeta& meta, const std::string& blob);

// ---- Streams (local_io.cc) ----

// A writer of `meta` (its key already validated) into a new file under tmp/.
Result<std::unique_ptr<ObjectWriter>> NewWriter(std::shared_ptr<Core> core, ObjectMeta meta);
// A reader of bytes [first, end) of the open blob `fd` (which it closes).
std::unique_ptr<ObjectReader> NewReader(int fd, std::string path, ObjectMeta meta, int64_t first,
                                        int64_t end);

// ---- POSIX helpers (local_files.cc) ----

// StorageFailure "<what> <path>: <strerror(err)>".
Error OsError(std::string_view what, const std::string& path, int err);
Status WriteAll(int fd, std::string_view bytes, const std::string& path);
Status SyncFile(int fd, const std::string& path);
Status SyncDir(const std::string& dir);
Status MakeDir(const std::string& dir);  // mkdir; an existing folder is fine
std::string NewBlobId();                 // 32 random hex digits
bool IsBlobId(std::string_view name);

}  // namespace wharf::objects::internal
