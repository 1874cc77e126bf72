// What the parts of FileSession share (file_session.cc: the session's operations;
// file_session_transfers.cc: uploads and downloads): the session's context, the building of its
// events, and the commit of events that go with no object change. Not for use outside
// src/ingest/file_session*.cc and its tests.
//
// Thread-safety: as FileSession's; a Shared is used by one connection's thread at a time.
#pragma once

#include <concepts>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "ingest/file_session.h"
#include "ingest/transfer_events.h"
#include "ingest/users.h"

namespace wharf::ingest {

namespace internal {

// Events with no object change (a download, a refused or failed operation).
inline Status CommitEventsAlone(objects::ObjectStore& store,
                                std::vector<objects::ObjectEvent> events) {
  return store.CommitEvents(std::move(events));
}

// kNotDirectory when an ancestor of `path` is a file: "a.csv/x" would make a.csv a file and a
// folder at once.
Status CheckAncestors(objects::ObjectStore& store, const VirtualPath& path);

}  // namespace internal

struct FileSession::Shared {
  Shared(objects::ObjectStore& store, const UserConfig& user, SessionInfo info);

  objects::ObjectStore& store;
  const UserConfig& user;
  SessionInfo info;
  const Clock& clock;

  // The home's usage (only counted for a user with a quota): when it was counted, and what this
  // session's own uploads have added since.
  std::optional<HomeUsage> usage;
  TimePoint usage_counted;

  TimePoint Now() const { return clock.Now(); }
  bool HasQuota() const { return user.quota_bytes.has_value() || user.quota_files.has_value(); }
  // The usage to check an upload against: counted again unless counted within the last second.
  Result<HomeUsage> Usage();

  // A Transfer Family record of this session for `action` on `path` (TransferPath's form).
  TransferRecord Record(TransferAction action, std::string path, TimePoint start) const;
  std::string PathOf(std::string_view key) const { return TransferPath(info.bucket, key); }
  EventEnvelope Envelope(TimePoint time) const;

  // The events of one change, as the store's commit sees it at `time`.
  objects::ObjectEvent Transfer(const TransferRecord& record) const;
  objects::ObjectEvent Created(const objects::ObjectMeta& meta, CreateReason reason,
                               TimePoint time) const;
  objects::ObjectEvent Deleted(std::string_view key, TimePoint time) const;

  // Records `record` as failed with `error` (failure-code `failure_code`) and returns `error`,
  // its message noting it when the event could not be committed.
  Error Fail(TransferRecord record, Error error, const char* failure_code = kUnknownError);
  // Commits a completed event that goes with no object change (a download). Returns the
  // store's error.
  Status RecordAlone(TransferRecord record);
};

}  // namespace wharf::ingest
