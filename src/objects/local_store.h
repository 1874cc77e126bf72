// LocalObjectStore: the ObjectStore on the local file system, under the data folder's objects/
// (docs/objects.md has the layout, the index schema and the crash story).
//
//   ROOT/index.db    SQLite (WAL): key -> metadata and blob id, and the event outbox
//   ROOT/blobs/XX/ID object bytes, one immutable file per stored version, named by a random id
//   ROOT/tmp/ID      uploads in progress; never visible
//   ROOT/lock        flock'd while a store has the root open
//
// A put streams into tmp/ while computing the MD5, fsyncs the file, renames it into blobs/ and
// fsyncs that folder, then commits the index row and its events in one SQLite transaction: that
// commit is the moment the object becomes visible. Keys never become paths, so no key can reach
// outside the root, and rename, replace and delete are single index transactions.
//
// Thread-safety: every method may be called from any thread (one mutex orders writes, another
// reads); a writer or reader is used by one thread at a time and may outlive the store.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "objects/object_store.h"

namespace wharf::objects {

namespace internal {
struct Core;
}

// kPowerLoss: every put fsyncs its file and folder and the index commits with synchronous=FULL,
// so an acknowledged object survives a power cut. kProcessCrash: no fsync; an acknowledged object
// survives a crash or kill -9 of wharf, not of the machine.
enum class Durability { kPowerLoss, kProcessCrash };

struct LocalOptions {
  std::string root;  // the data folder's objects/; created when missing
  Durability durability = Durability::kPowerLoss;
  const Clock* clock = nullptr;  // nullptr: the system clock
};

class LocalObjectStore final : public ObjectStore {
 public:
  // Creates the layout when missing and takes the root's lock (a second store on the same root,
  // in this process or another, is refused with StorageFailure naming the holder's pid). Removes
  // what a crash left: everything in tmp/, and, when the last store on this root did not close
  // cleanly, every blob that no committed row references.
  static Result<std::unique_ptr<LocalObjectStore>> Open(const LocalOptions& options);
  ~LocalObjectStore() override;

  Result<std::unique_ptr<ObjectWriter>> Put(const ObjectMeta& meta) override;
  Result<std::unique_ptr<ObjectReader>> Get(std::string_view key,
                                            std::optional<ByteRange> range) override;
  Result<ObjectMeta> Head(std::string_view key) override;
  Result<ListPage> List(const ListQuery& query) override;
  Status Delete(std::string_view key, ChangeEvents events) override;
  Result<ObjectMeta> Copy(std::string_view from, std::string_view to, ChangeEvents events) override;
  Result<ObjectMeta> Rename(std::string_view from, std::string_view to,
                            ChangeEvents events) override;
  Status CommitEvents(std::vector<ObjectEvent> events) override;
  Result<std::vector<ObjectEvent>> ReadEvents(int limit, int64_t after_seq) override;
  Status MarkEventsDelivered(const std::vector<int64_t>& seqs) override;

  // The undelivered events of the store at `root`, read without taking its lock, so that a
  // command can show them while `wharf serve` holds the store (SQLite WAL lets a reader in).
  // An absent index is no error: no events.
  // `listener` is called after every commit (an object put, deleted, copied or renamed, events
  // committed or dropped), on the committing thread, outside the store's locks: the event bus
  // uses it to import new events at once instead of at its next poll. It must be quick and must
  // not call the store. Replaces the previous listener; an empty function removes it.
  void SetCommitListener(std::function<void()> listener);

  // One object of the store at `root`, read the same way (for `wharf cat`): the reader keeps
  // the version it opened, as Get's does. NoSuchKey when there is none.
  static Result<std::unique_ptr<ObjectReader>> PeekObject(const std::string& root,
                                                          std::string_view key);
  static Result<std::vector<ObjectEvent>> PeekEvents(const std::string& root, int limit,
                                                     int64_t after_seq);

  const std::string& root() const;
  // How many blobs the last Open removed because no committed row referenced them (tests).
  int64_t swept_at_open() const;

 private:
  explicit LocalObjectStore(std::shared_ptr<internal::Core> core) : core_(std::move(core)) {}
  std::shared_ptr<internal::Core> core_;
};

}  // namespace wharf::objects
