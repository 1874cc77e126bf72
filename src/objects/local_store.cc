// LocalObjectStore: opening a root (layout, lock, index, crash clean-up) and the operations that
// are index transactions: head, delete, copy, rename and the event outbox. Puts and gets stream
// in local_io.cc; List is in local_list.cc. docs/objects.md describes the layout and the schema.
#include "objects/local_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "objects/keys.h"
#include "objects/local_store_internal.h"

namespace wharf::objects {

using internal::Core;
using sqlite::Db;
using sqlite::Query;

namespace {

constexpr int kSchemaVersion = 1;

// The index (docs/objects.md, "The index"). Keys are BLOBs so that every comparison is memcmp:
// UTF-8 binary order, as S3 lists, whatever bytes a range bound holds.
constexpr const char kSchema[] = R"sql(
CREATE TABLE objects (
  key BLOB PRIMARY KEY,
  blob TEXT NOT NULL,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  content_type TEXT NOT NULL,
  modified_ms INTEGER NOT NULL,
  uploaded_by TEXT NOT NULL,
  protocol TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX objects_by_blob ON objects (blob);
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  time_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE settings (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) STRICT;
INSERT INTO settings (name, value) VALUES ('clean_close', 1);
PRAGMA user_version = 1;
)sql";

Error Failure(std::string message) { return MakeError(errc::kStorageFailure, std::move(message)); }

Error NoSuchKey(std::string_view key) {
  return MakeError(errc::kNoSuchKey,
                   fmt::format("The specified key does not exist: {}", QuoteKey(key)));
}

const SystemClock kSystemClock;

Result<int> LockRoot(const std::string& root) {
  std::string path = root + "/lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return internal::OsError("opening the lock file", path, errno);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    char buf[32] = {};
    ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
    ::close(fd);
    if (err != EWOULDBLOCK) return internal::OsError("locking", path, err);
    std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "unknown";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    return Failure(fmt::format(
        "the object store {} is in use by another store (pid {}, lock file {})", root, pid, path));
  }
  std::string pid = fmt::format("{}\n", ::getpid());
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // Not fatal: the lock is what matters; the pid only names the holder in the message above.
  }
  return fd;
}

Status Configure(Db& db, Durability durability) {
  WHARF_TRY(std::string mode, db.QueryText("PRAGMA journal_mode=WAL"));
  if (mode != "wal") {
    return db.MakeError(fmt::format("switching to WAL mode (journal_mode is '{}')", mode));
  }
  // synchronous=FULL syncs the WAL at every commit (survives a power cut); NORMAL only at
  // checkpoints (every commit survives a crash of the process).
  WHARF_TRY_STATUS(db.Exec(durability == Durability::kPowerLoss ? "PRAGMA synchronous=FULL"
                                                                : "PRAGMA synchronous=NORMAL"));
  WHARF_TRY_STATUS(db.Exec("PRAGMA journal_size_limit=67108864"));
  return db.Exec("PRAGMA busy_timeout=10000");
}

Status Migrate(Db& db, const std::string& path) {
  WHARF_TRY_STATUS(db.Exec("BEGIN IMMEDIATE"));
  auto migrate = [&]() -> Status {
    WHARF_TRY(std::string text, db.QueryText("PRAGMA user_version"));
    int found = text.empty() ? 0 : std::stoi(text);
    if (found > kSchemaVersion) {
      return Failure(
          fmt::format("{}: the object index has schema version {}, newer than the {} "
                      "this wharf knows; run a newer wharf",
                      path, found, kSchemaVersion));
    }
    if (found == 0) return db.Exec(kSchema);
    return {};
  };
  Status done = migrate();
  if (!done.ok()) {
    (void)db.Exec("ROLLBACK");
    return done;
  }
  return db.Exec("COMMIT");
}

// Calls `fn(name)` for each entry of `dir` but "." and "..".
Status ForEachEntry(const std::string& dir, const std::function<Status(const std::string&)>& fn) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return internal::OsError("opening the folder", dir, errno);
  Status status;
  for (;;) {
    errno = 0;
    dirent* e = ::readdir(d);
    if (e == nullptr) {
      if (errno != 0) status = internal::OsError("reading the folder", dir, errno);
      break;
    }
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    status = fn(name);
    if (!status.ok()) break;
  }
  ::closedir(d);
  return status;
}

// Everything in tmp/ is an upload that never committed.
Status WipeTemp(const Core& core) {
  return ForEachEntry(core.tmp_dir, [&](const std::string& name) -> Status {
    std::error_code ec;
    std::filesystem::remove_all(core.tmp_dir + "/" + name, ec);
    if (ec) return Failure(fmt::format("removing {}/{}: {}", core.tmp_dir, name, ec.message()));
    return {};
  });
}

// Removes the blobs no committed row references: a put that crashed between its rename into
// blobs/ and its commit, or a replaced or deleted blob whose unlink a crash prevented.
Result<int64_t> SweepBlobs(Core& core) {
  int64_t removed = 0;
  Status walked = ForEachEntry(core.blobs_dir, [&](const std::string& sub) -> Status {
    std::string dir = core.blobs_dir + "/" + sub;
    if (sub.size() != 2) return {};  // not a fan-out folder of ours
    return ForEachEntry(dir, [&](const std::string& name) -> Status {
      if (!internal::IsBlobId(name)) return {};
      WHARF_TRY(Query q, core.writer->Prepare("SELECT 1 FROM objects WHERE blob = ?1"));
      q.Bind(1, std::string_view(name));
      WHARF_TRY(bool referenced, q.Step());
      if (referenced) return {};
      std::string path = dir + "/" + name;
      if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return internal::OsError("removing the unreferenced blob", path, errno);
      }
      ++removed;
      return {};
    });
  });
  if (!walked.ok()) return std::move(walked).error();
  return removed;
}

Status SetCleanClose(Db& db, int64_t value) {
  WHARF_TRY(Query q, db.Prepare("UPDATE settings SET value = ?1 WHERE name = 'clean_close'"));
  q.Bind(1, value);
  return q.Run();
}

}  // namespace

// ---- Core ------------------------------------------------------------------------------------

namespace internal {

Core::~Core() {
  if (writer != nullptr && !needs_sweep.load()) {
    std::lock_guard lock(write_mu);
    (void)SetCleanClose(*writer, 1);
  }
  reader.reset();
  writer.reset();
  if (lock_fd >= 0) ::close(lock_fd);
}

std::string Core::BlobPath(std::string_view id) const {
  return fmt::format("{}/{}/{}", blobs_dir, id.substr(0, 2), id);
}

std::string Core::TempPath(std::string_view id) const { return fmt::format("{}/{}", tmp_dir, id); }

TimePoint Core::NowMs() const {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(clock->Now());
}

Status Core::Write(const std::function<Status(Db&)>& body) {
  Status done;
  {
    std::lock_guard lock(write_mu);
    WHARF_TRY_STATUS(writer->Run("BEGIN IMMEDIATE"));
    done = body(*writer);
    if (done.ok()) done = writer->Run("COMMIT");
    if (!done.ok()) (void)writer->Exec("ROLLBACK");
  }
  if (done.ok()) {
    std::lock_guard lock(listener_mu);
    if (on_commit) on_commit();
  }
  return done;
}

void Core::DropBlobs(const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  std::lock_guard lock(read_mu);
  for (const std::string& id : ids) {
    std::string path = BlobPath(id);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) needs_sweep = true;
  }
}

ObjectMeta ReadMeta(const Query& q, int first) {
  ObjectMeta m;
  m.key = q.Text(first);
  m.size = q.Int(first + 1);
  m.etag = q.Text(first + 2);
  m.content_type = q.Text(first + 3);
  m.last_modified = TimePoint(std::chrono::milliseconds(q.Int(first + 4)));
  m.uploaded_by = q.Text(first + 5);
  m.protocol = q.Text(first + 6);
  return m;
}

Status InsertEvents(Db& db, std::vector<ObjectEvent>& events, TimePoint now) {
  for (ObjectEvent& e : events) {
    if (e.time == TimePoint{}) e.time = now;
    WHARF_TRY(Query q,
              db.Prepare("INSERT INTO events (kind, payload, time_ms) VALUES (?1, ?2, ?3)"));
    q.Bind(1, std::string_view(e.kind))
        .Bind(2, std::string_view(e.payload))
        .Bind(3, ToUnixMillis(e.time));
    WHARF_TRY_STATUS(q.Run());
    e.seq = db.LastInsertRowid();
  }
  return {};
}

Result<std::string> UpsertObject(Db& db, const ObjectMeta& meta, const std::string& blob) {
  std::string old;
  {
    WHARF_TRY(Query q, db.Prepare("SELECT blob FROM objects WHERE key = ?1"));
    q.BindBlob(1, meta.key);
    WHARF_TRY(bool found, q.Step());
    if (found) old = q.Text(0);
  }
  WHARF_TRY(
      Query q,
      db.Prepare("INSERT INTO objects (key, blob, size, etag, content_type, modified_ms, "
                 "uploaded_by, protocol) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                 "ON CONFLICT (key) DO UPDATE SET blob = excluded.blob, size = excluded.size, "
                 "etag = excluded.etag, content_type = excluded.content_type, "
                 "modified_ms = excluded.modified_ms, uploaded_by = excluded.uploaded_by, "
                 "protocol = excluded.protocol"));
  q.BindBlob(1, meta.key)
      .Bind(2, std::string_view(blob))
      .Bind(3, meta.size)
      .Bind(4, std::string_view(meta.etag))
      .Bind(5, std::string_view(meta.content_type))
      .Bind(6, ToUnixMillis(meta.last_modified))
      .Bind(7, std::string_view(meta.uploaded_by))
      .Bind(8, std::string_view(meta.protocol));
  WHARF_TRY_STATUS(q.Run());
  return old;
}

}  // namespace internal

// ---- Open ------------------------------------------------------------------------------------

Result<std::unique_ptr<LocalObjectStore>> LocalObjectStore::Open(const LocalOptions& options) {
  if (options.root.empty()) {
    return MakeError(errc::kInvalidArgument, "the object store's root folder is not set");
  }
  auto core = std::make_shared<Core>();
  core->options = options;
  core->clock = options.clock != nullptr ? options.clock : &kSystemClock;
  core->root = options.root;
  while (core->root.size() > 1 && core->root.back() == '/') core->root.pop_back();
  core->tmp_dir = core->root + "/tmp";
  core->blobs_dir = core->root + "/blobs";
  core->index_path = core->root + "/index.db";

  std::error_code ec;
  std::filesystem::create_directories(core->root, ec);
  if (ec) return Failure(fmt::format("creating the folder {}: {}", core->root, ec.message()));
  WHARF_TRY(core->lock_fd, LockRoot(core->root));
  WHARF_TRY_STATUS(internal::MakeDir(core->tmp_dir));
  WHARF_TRY_STATUS(internal::MakeDir(core->blobs_dir));
  for (int i = 0; i < 256; ++i) {
    WHARF_TRY_STATUS(internal::MakeDir(fmt::format("{}/{:02x}", core->blobs_dir, i)));
  }
  if (core->SyncToDisk()) {
    WHARF_TRY_STATUS(internal::SyncDir(core->blobs_dir));
    WHARF_TRY_STATUS(internal::SyncDir(core->root));
  }

  WHARF_TRY(core->writer, Db::Open(core->index_path));
  WHARF_TRY_STATUS(Configure(*core->writer, options.durability));
  WHARF_TRY_STATUS(Migrate(*core->writer, core->index_path));

  WHARF_TRY_STATUS(WipeTemp(*core));
  WHARF_TRY(std::string clean,
            core->writer->QueryText("SELECT value FROM settings WHERE name = 'clean_close'"));
  if (clean != "1") {
    // Should the sweep fail half-way, the flag must stay unset for the next Open.
    core->needs_sweep = true;
    WHARF_TRY(core->swept_at_open, SweepBlobs(*core));
    core->needs_sweep = false;
  }
  // Until the close that sets it again, a crash leaves the flag at 0 and the next Open sweeps.
  // This commit is synced whatever the durability, so that a power cut cannot undo it.
  WHARF_TRY_STATUS(core->writer->Exec("PRAGMA synchronous=FULL"));
  WHARF_TRY_STATUS(SetCleanClose(*core->writer, 0));
  if (!core->SyncToDisk()) WHARF_TRY_STATUS(core->writer->Exec("PRAGMA synchronous=NORMAL"));

  WHARF_TRY(core->reader, Db::Open(core->index_path));
  WHARF_TRY_STATUS(core->reader->Exec("PRAGMA busy_timeout=10000; PRAGMA query_only=1"));
  return std::unique_ptr<LocalObjectStore>(new LocalObjectStore(std::move(core)));
}

LocalObjectStore::~LocalObjectStore() = default;

const std::string& LocalObjectStore::root() const { return core_->root; }
int64_t LocalObjectStore::swept_at_open() const { return core_->swept_at_open; }

// ---- Operations ------------------------------------------------------------------------------

Result<std::unique_ptr<ObjectWriter>> LocalObjectStore::Put(const ObjectMeta& meta) {
  WHARF_TRY_STATUS(ValidateKey(meta.key));
  return internal::NewWriter(core_, meta);
}

Result<ObjectMeta> LocalObjectStore::Head(std::string_view key) {
  WHARF_TRY_STATUS(ValidateKey(key));
  std::lock_guard lock(core_->read_mu);
  static const std::string kSql =
      fmt::format("SELECT {} FROM objects WHERE key = ?1", internal::kMetaColumns);
  WHARF_TRY(Query q, core_->reader->Prepare(kSql.c_str()));
  q.BindBlob(1, key);
  WHARF_TRY(bool found, q.Step());
  if (!found) return NoSuchKey(key);
  return internal::ReadMeta(q, 0);
}

Result<std::unique_ptr<ObjectReader>> LocalObjectStore::Get(std::string_view key,
                                                            std::optional<ByteRange> range) {
  WHARF_TRY_STATUS(ValidateKey(key));
  ObjectMeta meta;
  std::string path;
  int fd = -1;
  {
    // The lookup and the open happen under read_mu, which DropBlobs also takes: a blob found
    // here is opened before a committed replacement can unlink it.
    std::lock_guard lock(core_->read_mu);
    static const std::string kSql =
        fmt::format("SELECT {}, blob FROM objects WHERE key = ?1", internal::kMetaColumns);
    WHARF_TRY(Query q, core_->reader->Prepare(kSql.c_str()));
    q.BindBlob(1, key);
    WHARF_TRY(bool found, q.Step());
    if (!found) return NoSuchKey(key);
    meta = internal::ReadMeta(q, 0);
    path = core_->BlobPath(q.Text(7));
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return internal::OsError(fmt::format("opening the bytes of {} at", QuoteKey(key)), path,
                               errno);
    }
  }
  int64_t first = 0, end = meta.size;
  if (range) {
    // S3 answers 416 InvalidRange when the first byte is not inside the object.
    if (range->first < 0 || range->first >= meta.size ||
        (range->last && *range->last < range->first)) {
      ::close(fd);
      return MakeError(errc::kInvalidRange,
                       fmt::format("The requested range is not satisfiable: bytes={}-{} of {} "
                                   "({} bytes)",
                                   range->first, range->last ? std::to_string(*range->last) : "",
                                   QuoteKey(key), meta.size));
    }
    first = range->first;
    if (range->last && *range->last + 1 < end) end = *range->last + 1;
  }
  return internal::NewReader(fd, std::move(path), std::move(meta), first, end);
}

Status LocalObjectStore::Delete(std::string_view key, ChangeEvents events) {
  WHARF_TRY_STATUS(ValidateKey(key));
  std::string dropped;
  TimePoint now = core_->NowMs();
  WHARF_TRY_STATUS(core_->Write([&](Db& db) -> Status {
    static const std::string kSql =
        fmt::format("SELECT {}, blob FROM objects WHERE key = ?1", internal::kMetaColumns);
    ObjectMeta meta;
    {
      WHARF_TRY(Query q, db.Prepare(kSql.c_str()));
      q.BindBlob(1, key);
      WHARF_TRY(bool found, q.Step());
      if (!found) return {};  // as S3: no error, and no change to announce
      meta = internal::ReadMeta(q, 0);
      dropped = q.Text(7);
    }
    WHARF_TRY(Query del, db.Prepare("DELETE FROM objects WHERE key = ?1"));
    del.BindBlob(1, key);
    WHARF_TRY_STATUS(del.Run());
    std::vector<ObjectEvent> list = events.For(meta);
    return internal::InsertEvents(db, list, now);
  }));
  if (!dropped.empty()) core_->DropBlobs({dropped});
  return {};
}

namespace {

// Copies the file `from` to a new file `to` (created), for a file system without hard links.
Status CopyFile(const std::string& from, const std::string& to, bool sync) {
  int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return internal::OsError("opening", from, errno);
  int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (out < 0) {
    int err = errno;
    ::close(in);
    return internal::OsError("creating", to, err);
  }
  Status status;
  std::string buf(1 << 20, '\0');
  for (;;) {
    ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = internal::OsError("reading", from, errno);
      break;
    }
    if (n == 0) break;
    status = internal::WriteAll(out, std::string_view(buf.data(), static_cast<size_t>(n)), to);
    if (!status.ok()) break;
  }
  if (status.ok() && sync) status = internal::SyncFile(out, to);
  ::close(in);
  if (::close(out) != 0 && status.ok()) status = internal::OsError("closing", to, errno);
  if (!status.ok()) ::unlink(to.c_str());
  return status;
}

}  // namespace

Result<ObjectMeta> LocalObjectStore::Copy(std::string_view from, std::string_view to,
                                          ChangeEvents events) {
  WHARF_TRY_STATUS(ValidateKey(from));
  WHARF_TRY_STATUS(ValidateKey(to));
  std::string id = internal::NewBlobId();
  std::string path = core_->BlobPath(id);
  bool created = false;
  std::string replaced;
  ObjectMeta meta;
  TimePoint now = core_->NowMs();
  Status done = core_->Write([&](Db& db) -> Status {
    static const std::string kSql =
        fmt::format("SELECT {}, blob FROM objects WHERE key = ?1", internal::kMetaColumns);
    std::string source;
    {
      WHARF_TRY(Query q, db.Prepare(kSql.c_str()));
      q.BindBlob(1, from);
      WHARF_TRY(bool found, q.Step());
      if (!found) return NoSuchKey(from);
      meta = internal::ReadMeta(q, 0);
      source = core_->BlobPath(q.Text(7));
    }
    // Blobs are never changed once written, so the copy can share the bytes: a hard link (its own
    // name, so deleting either key leaves the other whole), or a byte copy where links fail.
    if (::link(source.c_str(), path.c_str()) != 0) {
      int err = errno;
      if (err != EPERM && err != EMLINK && err != EXDEV && err != ENOTSUP && err != EOPNOTSUPP) {
        return internal::OsError(fmt::format("linking {} to", source), path, err);
      }
      std::string temp = core_->TempPath(id);
      WHARF_TRY_STATUS(CopyFile(source, temp, core_->SyncToDisk()));
      if (::rename(temp.c_str(), path.c_str()) != 0) {
        int rename_err = errno;
        ::unlink(temp.c_str());
        return internal::OsError(fmt::format("renaming {} to", temp), path, rename_err);
      }
    }
    created = true;
    if (core_->SyncToDisk()) {
      WHARF_TRY_STATUS(internal::SyncDir(path.substr(0, path.rfind('/'))));
    }
    meta.key = std::string(to);
    meta.last_modified = now;
    WHARF_TRY(replaced, internal::UpsertObject(db, meta, id));
    std::vector<ObjectEvent> list = events.For(meta);
    return internal::InsertEvents(db, list, now);
  });
  if (!done.ok()) {
    if (created) ::unlink(path.c_str());
    return std::move(done).error();
  }
  if (!replaced.empty()) core_->DropBlobs({replaced});
  return meta;
}

Result<ObjectMeta> LocalObjectStore::Rename(std::string_view from, std::string_view to,
                                            ChangeEvents events) {
  WHARF_TRY_STATUS(ValidateKey(from));
  WHARF_TRY_STATUS(ValidateKey(to));
  if (from == to) return Head(from);
  std::string replaced;
  ObjectMeta meta;
  TimePoint now = core_->NowMs();
  WHARF_TRY_STATUS(core_->Write([&](Db& db) -> Status {
    static const std::string kSql =
        fmt::format("SELECT {}, blob FROM objects WHERE key = ?1", internal::kMetaColumns);
    std::string blob;
    {
      WHARF_TRY(Query q, db.Prepare(kSql.c_str()));
      q.BindBlob(1, from);
      WHARF_TRY(bool found, q.Step());
      if (!found) return NoSuchKey(from);
      meta = internal::ReadMeta(q, 0);
      blob = q.Text(7);
    }
    WHARF_TRY(Query del, db.Prepare("DELETE FROM objects WHERE key = ?1"));
    del.BindBlob(1, from);
    WHARF_TRY_STATUS(del.Run());
    meta.key = std::string(to);
    WHARF_TRY(replaced, internal::UpsertObject(db, meta, blob));
    std::vector<ObjectEvent> list = events.For(meta);
    return internal::InsertEvents(db, list, now);
  }));
  if (!replaced.empty()) core_->DropBlobs({replaced});
  return meta;
}

// ---- The event outbox ------------------------------------------------------------------------

namespace {

// Undelivered events after `after_seq`, oldest first; `limit` <= 0 means 100, at most 1,000.
Result<std::vector<ObjectEvent>> SelectEvents(Db& db, int limit, int64_t after_seq) {
  if (limit <= 0) limit = 100;
  limit = std::min(limit, 1000);
  WHARF_TRY(Query q, db.Prepare("SELECT seq, kind, payload, time_ms FROM events "
                                "WHERE seq > ?1 ORDER BY seq LIMIT ?2"));
  q.Bind(1, after_seq).Bind(2, int64_t{limit});
  std::vector<ObjectEvent> out;
  for (;;) {
    WHARF_TRY(bool row, q.Step());
    if (!row) break;
    ObjectEvent e;
    e.seq = q.Int(0);
    e.kind = q.Text(1);
    e.payload = q.Text(2);
    e.time = TimePoint(std::chrono::milliseconds(q.Int(3)));
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

Result<std::vector<ObjectEvent>> LocalObjectStore::ReadEvents(int limit, int64_t after_seq) {
  std::lock_guard lock(core_->read_mu);
  return SelectEvents(*core_->reader, limit, after_seq);
}

Result<std::vector<ObjectEvent>> LocalObjectStore::PeekEvents(const std::string& root, int limit,
                                                              int64_t after_seq) {
  std::string path = root + "/index.db";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::vector<ObjectEvent>{};
  WHARF_TRY(std::unique_ptr<Db> db, Db::Open(path));
  WHARF_TRY_STATUS(db->Exec("PRAGMA busy_timeout = 5000"));
  return SelectEvents(*db, limit, after_seq);
}

Result<std::unique_ptr<ObjectReader>> LocalObjectStore::PeekObject(const std::string& root,
                                                                   std::string_view key) {
  WHARF_TRY_STATUS(ValidateKey(key));
  std::string index = root + "/index.db";
  std::error_code ec;
  if (!std::filesystem::exists(index, ec)) return NoSuchKey(key);
  WHARF_TRY(std::unique_ptr<Db> db, Db::Open(index));
  WHARF_TRY_STATUS(db->Exec("PRAGMA busy_timeout = 5000"));
  static const std::string kSql =
      fmt::format("SELECT {}, blob FROM objects WHERE key = ?1", internal::kMetaColumns);
  // The serving process may replace the object between the lookup and the open, and unlink the
  // old bytes: then the lookup is done again and finds the new version.
  for (int attempt = 0;; ++attempt) {
    WHARF_TRY(Query q, db->Prepare(kSql.c_str()));
    q.BindBlob(1, key);
    WHARF_TRY(bool found, q.Step());
    if (!found) return NoSuchKey(key);
    ObjectMeta meta = internal::ReadMeta(q, 0);
    std::string id = q.Text(7);
    std::string path = fmt::format("{}/blobs/{}/{}", root, id.substr(0, 2), id);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    int64_t size = meta.size;
    if (fd >= 0) return internal::NewReader(fd, std::move(path), std::move(meta), 0, size);
    if (errno != ENOENT || attempt >= 3)
      return internal::OsError(fmt::format("opening the bytes of {} at", QuoteKey(key)), path,
                               errno);
  }
}

void LocalObjectStore::SetCommitListener(std::function<void()> listener) {
  std::lock_guard lock(core_->listener_mu);
  core_->on_commit = std::move(listener);
}

Status LocalObjectStore::CommitEvents(std::vector<ObjectEvent> events) {
  if (events.empty()) return {};
  TimePoint now = core_->NowMs();
  return core_->Write([&](Db& db) -> Status { return internal::InsertEvents(db, events, now); });
}

Status LocalObjectStore::MarkEventsDelivered(const std::vector<int64_t>& seqs) {
  if (seqs.empty()) return {};
  return core_->Write([&](Db& db) -> Status {
    for (int64_t seq : seqs) {
      WHARF_TRY(Query q, db.Prepare("DELETE FROM events WHERE seq = ?1"));
      q.Bind(1, seq);
      WHARF_TRY_STATUS(q.Run());
    }
    return {};
  });
}

}  // namespace wharf::objects
