// FileSession's operations on paths and folders, and the events they commit (see
// file_session.h); uploads and downloads are in file_session_transfers.cc.
#include "ingest/file_session.h"

#include "ingest/file_session_internal.h"
#include "ingest/users.h"

namespace wharf::ingest {
namespace {

const Clock& DefaultClock() {
  static const SystemClock clock;
  return clock;
}

Error Err(const char* code, std::string message) { return MakeError(code, std::move(message)); }

bool IsMarker(std::string_view key) { return !key.empty() && key.back() == '/'; }

}  // namespace

// --- Shared --------------------------------------------------------------------------------

FileSession::Shared::Shared(objects::ObjectStore& store, const UserConfig& user, SessionInfo info)
    : store(store),
      user(user),
      info(std::move(info)),
      clock(this->info.clock ? *this->info.clock : DefaultClock()) {}

Result<HomeUsage> FileSession::Shared::Usage() {
  if (!HasQuota()) return HomeUsage{};
  TimePoint now = Now();
  if (usage && now >= usage_counted && now - usage_counted < std::chrono::seconds(1)) {
    return *usage;
  }
  HomeUsage counted;
  objects::ListQuery query;
  query.prefix = user.home;
  for (;;) {
    WHARF_TRY(objects::ListPage page, store.List(query));
    for (const objects::ObjectMeta& o : page.objects) {
      if (IsMarker(o.key)) continue;  // a folder, not a file
      counted.bytes += o.size;
      ++counted.files;
    }
    if (page.next_token.empty()) break;
    query.continuation_token = page.next_token;
  }
  usage = counted;
  usage_counted = now;
  return counted;
}

TransferRecord FileSession::Shared::Record(TransferAction action, std::string path,
                                           TimePoint start) const {
  TransferRecord r;
  r.protocol = info.protocol;
  r.action = action;
  r.server_id = info.server_id;
  r.session_id = info.session_id;
  r.username = user.name;
  r.client_ip = info.client_ip;
  r.path = std::move(path);
  r.start = start;
  r.end = start;
  return r;
}

EventEnvelope FileSession::Shared::Envelope(TimePoint time) const {
  return EventEnvelope{NewEventId(), time, info.region, info.account};
}

objects::ObjectEvent FileSession::Shared::Transfer(const TransferRecord& record) const {
  objects::ObjectEvent e;
  e.kind = TransferDetailType(record.protocol, record.action, record.status);
  e.payload = TransferEvent(Envelope(record.end), record);
  return e;
}

objects::ObjectEvent FileSession::Shared::Created(const objects::ObjectMeta& meta,
                                                  CreateReason reason, TimePoint time) const {
  S3ObjectRecord r;
  r.bucket = info.bucket;
  r.key = meta.key;
  r.size = meta.size;
  r.etag = meta.etag;
  r.sequencer = SequencerFor(time);
  r.request_id = NewRequestId();
  r.requester = info.account;
  // The client's address: on AWS the request to S3 comes from Transfer Family's own hosts, but
  // the client is what a rule on these events wants to know.
  r.source_ip = info.client_ip;
  objects::ObjectEvent e;
  e.kind = kObjectCreated;
  e.payload = S3ObjectCreatedEvent(Envelope(time), r, reason);
  return e;
}

objects::ObjectEvent FileSession::Shared::Deleted(std::string_view key, TimePoint time) const {
  S3ObjectRecord r;
  r.bucket = info.bucket;
  r.key = std::string(key);
  r.sequencer = SequencerFor(time);
  r.request_id = NewRequestId();
  r.requester = info.account;
  r.source_ip = info.client_ip;
  objects::ObjectEvent e;
  e.kind = kObjectDeleted;
  e.payload = S3ObjectDeletedEvent(Envelope(time), r);
  return e;
}

Error FileSession::Shared::Fail(TransferRecord record, Error error, const char* failure_code) {
  record.status = TransferStatus::kFailed;
  record.failure_code = failure_code;
  if (record.failure_message.empty()) record.failure_message = error.code + ": " + error.message;
  record.end = Now();
  Status recorded = internal::CommitEventsAlone(store, {Transfer(record)});
  if (!recorded.ok()) {
    error.message += " (and its \"" +
                     TransferDetailType(record.protocol, record.action, record.status) +
                     "\" event could not be recorded: " + recorded.error().message + ")";
  }
  return error;
}

Status FileSession::Shared::RecordAlone(TransferRecord record) {
  return internal::CommitEventsAlone(store, {Transfer(record)});
}

// --- FileSession ---------------------------------------------------------------------------

FileSession::FileSession(objects::ObjectStore& store, const UserConfig& user, SessionInfo info)
    : store_(store),
      user_(user),
      info_(info),
      shared_(std::make_shared<Shared>(store, user, std::move(info))) {}

Result<VirtualPath> FileSession::Resolve(std::string_view client_path) const {
  return ResolvePath(user_.home, cwd_, client_path);
}

Status FileSession::ChangeDirectory(std::string_view client_path) {
  WHARF_TRY(VirtualPath path, Resolve(client_path));
  WHARF_TRY(EntryType type, ingest::Stat(store_, path));
  if (type == EntryType::kMissing) return Err(kNotFound, "no folder " + path.path);
  if (type == EntryType::kFile) return Err(kNotDirectory, path.path + " is a file, not a folder");
  cwd_ = path.path;
  return {};
}

Result<FileInfo> FileSession::Stat(std::string_view client_path) {
  WHARF_TRY(VirtualPath path, Resolve(client_path));
  WHARF_TRY_STATUS(Users::Require(user_, Permission::kList, path.path));
  FileInfo info;
  info.path = path;
  if (!path.is_root()) {
    auto head = store_.Head(path.key);
    if (head.ok()) {
      info.type = EntryType::kFile;
      info.size = head->size;
      info.modified = head->last_modified;
      return info;
    }
    if (head.error().code != objects::errc::kNoSuchKey) return head.error();
  }
  WHARF_TRY(EntryType type, ingest::Stat(store_, path));
  if (type == EntryType::kMissing) return Err(kNotFound, "no file or folder " + path.path);
  info.type = EntryType::kDirectory;
  // A folder's time is its marker's, when it has one.
  auto marker = store_.Head(path.DirectoryPrefix());
  if (marker.ok()) info.modified = marker->last_modified;
  return info;
}

Result<std::optional<FileInfo>> FileSession::StatUpload(Upload& upload,
                                                        std::string_view client_path) {
  WHARF_TRY(VirtualPath path, Resolve(client_path));
  WHARF_TRY_STATUS(Users::Require(user_, Permission::kList, path.path));
  if (upload.path().key != path.key) return std::optional<FileInfo>();
  return std::optional<FileInfo>(upload.Stored());
}

Result<DirectoryPage> FileSession::List(std::string_view client_path, const std::string& token) {
  WHARF_TRY(VirtualPath path, Resolve(client_path));
  WHARF_TRY_STATUS(Users::Require(user_, Permission::kList, path.path));
  if (token.empty()) {
    WHARF_TRY(EntryType type, ingest::Stat(store_, path));
    if (type == EntryType::kMissing) return Err(kNotFound, "no folder " + path.path);
    if (type == EntryType::kFile) return Err(kNotDirectory, path.path + " is a file, not a folder");
  }
  return ListDirectory(store_, path, token);
}

// No ancestor of `path` may be a file: "a.csv/x" would make a.csv a file and a folder at once.
Status internal::CheckAncestors(objects::ObjectStore& store, const VirtualPath& path) {
  for (VirtualPath p = path.Parent(); !p.is_root(); p = p.Parent()) {
    auto head = store.Head(p.key);
    if (head.ok()) return Err(kNotDirectory, p.path + " is a file, not a folder");
    if (head.error().code != objects::errc::kNoSuchKey) return head.error();
  }
  return {};
}

Status FileSession::MakeDirectory(std::string_view client_path) {
  WHARF_TRY(VirtualPath path, Resolve(client_path));
  Shared& s = *shared_;
  TransferRecord record = s.Record(TransferAction::kMkdir, s.PathOf(path.key), s.Now());
  if (Status ok = Users::Require(user_, Permission::kMkdir, path.path); !ok.ok())
    return s.Fail(record, ok.error());
  if (path.is_root()) return s.Fail(record, Err(kExists, "the folder / exists"));
  auto type = ingest::Stat(store_, path);
  if (!type.ok()) return s.Fail(record, type.error());
  if (*type == EntryType::kFile)
    return s.Fail(record, Err(kExists, "a file " + path.path + " exists"));
  if (*type == EntryType::kDirectory)
    return s.Fail(record, Err(kExists, "the folder " + path.path + " exists"));
  if (Status ok = internal::CheckAncestors(store_, path); !ok.ok())
    return s.Fail(record, ok.error());

  objects::ObjectMeta meta;
  meta.key = path.DirectoryPrefix();
  meta.uploaded_by = user_.name;
  meta.protocol = TransferProtocolName(info_.protocol);
  auto writer = store_.Put(meta);
  if (!writer.ok()) return s.Fail(record, writer.error());
  auto stored = (*writer)->Commit([&s, record](const objects::ObjectMeta& m) {
    TimePoint now = s.Now();
    TransferRecord done = record;
    done.end = now;
    return std::vector<objects::ObjectEvent>{s.Created(m, CreateReason::kPutObject, now),
                                             s.Transfer(done)};
  });
  if (!stored.ok()) return s.Fail(record, stored.error());
  return {};
}

Status FileSession::RemoveDirectory(std::string_view client_path) {
  WHARF_TRY(VirtualPath path, Resolve(client_path));
  Shared& s = *shared_;
  TransferRecord record = s.Record(TransferAction::kRmdir, s.PathOf(path.key), s.Now());
  if (Status ok = Users::Require(user_, Permission::kDelete, path.path); !ok.ok())
    return s.Fail(record, ok.error());
  if (path.is_root())
    return s.Fail(record, Err(kAccessDenied, "the home folder / cannot be removed"));
  auto type = ingest::Stat(store_, path);
  if (!type.ok()) return s.Fail(record, type.error());
  if (*type == EntryType::kMissing) return s.Fail(record, Err(kNotFound, "no folder " + path.path));
  if (*type == EntryType::kFile)
    return s.Fail(record, Err(kNotDirectory, path.path + " is a file, not a folder"));
  auto empty = DirectoryIsEmpty(store_, path);
  if (!empty.ok()) return s.Fail(record, empty.error());
  if (!*empty) return s.Fail(record, Err(kNotEmpty, "the folder " + path.path + " is not empty"));

  bool removed = false;
  Status deleted = store_.Delete(path.DirectoryPrefix(), [&](const objects::ObjectMeta& m) {
    removed = true;
    TimePoint now = s.Now();
    TransferRecord done = record;
    done.end = now;
    return std::vector<objects::ObjectEvent>{s.Deleted(m.key, now), s.Transfer(done)};
  });
  if (!deleted.ok()) return s.Fail(record, deleted.error());
  // No marker: the folder was one only through keys that have gone since the check.
  if (!removed) return s.Fail(record, Err(kNotFound, "no folder " + path.path));
  return {};
}

Status FileSession::Remove(std::string_view client_path) {
  WHARF_TRY(VirtualPath path, Resolve(client_path));
  Shared& s = *shared_;
  TransferRecord record = s.Record(TransferAction::kDelete, s.PathOf(path.key), s.Now());
  if (Status ok = Users::Require(user_, Permission::kDelete, path.path); !ok.ok())
    return s.Fail(record, ok.error());
  if (path.is_root()) return s.Fail(record, Err(kIsDirectory, "/ is a folder"));

  bool removed = false;
  Status deleted = store_.Delete(path.key, [&](const objects::ObjectMeta& m) {
    removed = true;
    TimePoint now = s.Now();
    TransferRecord done = record;
    done.end = now;
    return std::vector<objects::ObjectEvent>{s.Deleted(m.key, now), s.Transfer(done)};
  });
  if (!deleted.ok()) return s.Fail(record, deleted.error());
  if (removed) {
    s.usage.reset();
    return {};
  }
  auto type = ingest::Stat(store_, path);
  if (type.ok() && *type == EntryType::kDirectory)
    return s.Fail(record, Err(kIsDirectory, path.path + " is a folder; remove it as a folder"));
  return s.Fail(record, Err(kNotFound, "no file " + path.path));
}

Status FileSession::Rename(std::string_view from_path, std::string_view to_path, bool replace) {
  WHARF_TRY(VirtualPath from, Resolve(from_path));
  WHARF_TRY(VirtualPath to, Resolve(to_path));
  Shared& s = *shared_;
  TransferRecord record = s.Record(TransferAction::kRename, s.PathOf(from.key), s.Now());
  record.renamed_path = s.PathOf(to.key);
  auto fail = [&](Error e) -> Status { return s.Fail(record, std::move(e)); };
  if (Status ok = Users::Require(user_, Permission::kRename, from.path); !ok.ok())
    return fail(ok.error());
  if (from.is_root() || to.is_root())
    return fail(Err(kAccessDenied, "the home folder / cannot be renamed or replaced"));
  if (from.path == to.path) return {};  // POSIX: nothing to do

  // The source: a file, or a folder (only an empty one moves).
  std::string from_key = from.key;
  std::string to_key = to.key;
  auto head = store_.Head(from.key);
  if (!head.ok() && head.error().code != objects::errc::kNoSuchKey) return fail(head.error());
  bool folder = !head.ok();
  if (folder) {
    auto type = ingest::Stat(store_, from);
    if (!type.ok()) return fail(type.error());
    if (*type == EntryType::kMissing) return fail(Err(kNotFound, "no file or folder " + from.path));
    if (to.path.starts_with(from.path + "/"))
      return fail(Err(kInvalidPath, "cannot move the folder " + from.path + " into itself"));
    auto empty = DirectoryIsEmpty(store_, from);
    if (!empty.ok()) return fail(empty.error());
    if (!*empty)
      return fail(Err(kNotSupported,
                      "cannot rename the folder " + from.path +
                          ": it is not empty, and folders that hold files or folders are not "
                          "renamed (the store keeps keys, not folders); rename its files"));
    from_key = from.DirectoryPrefix();
    to_key = to.DirectoryPrefix();
  }

  // The target.
  auto target = ingest::Stat(store_, to);
  if (!target.ok()) return fail(target.error());
  bool replaces = false;
  if (*target == EntryType::kDirectory) {
    return fail(folder ? Err(kExists, "the folder " + to.path + " exists")
                       : Err(kIsDirectory, to.path + " is a folder"));
  }
  if (*target == EntryType::kFile) {
    if (folder) return fail(Err(kExists, "a file " + to.path + " exists"));
    if (!replace) return fail(Err(kExists, "a file " + to.path + " exists"));
    if (Status ok = Users::Require(user_, Permission::kDelete, to.path); !ok.ok())
      return fail(ok.error());
    replaces = true;
  }
  if (Status ok = internal::CheckAncestors(store_, to); !ok.ok()) return fail(ok.error());

  // S3 has no rename: on S3, Transfer Family copies and deletes, so S3 announces the new key
  // (CopyObject) and the old one's deletion.
  auto moved = store_.Rename(from_key, to_key, [&](const objects::ObjectMeta& m) {
    TimePoint now = s.Now();
    TransferRecord done = record;
    done.end = now;
    objects::ObjectMeta created = m;
    created.key = to_key;
    return std::vector<objects::ObjectEvent>{s.Created(created, CreateReason::kCopyObject, now),
                                             s.Deleted(from_key, now), s.Transfer(done)};
  });
  if (!moved.ok()) {
    if (moved.error().code == objects::errc::kNoSuchKey)
      return fail(Err(kNotFound, "no file or folder " + from.path));
    return fail(moved.error());
  }
  if (replaces) s.usage.reset();
  return {};
}

}  // namespace wharf::ingest
