// ObjectStore: the landing store that uploads go into and workflows read from (docs/objects.md).
// Keys are any valid UTF-8 (S3's rule: 1 to 1,024 bytes); a store never lets a key reach outside
// its root. An object becomes visible only when its writer commits: whole, with its metadata, or
// not at all.
//
// The local file-system implementation is local_store.h; an S3-compatible one can follow behind
// this same interface (docs/objects.md, "S3 later").
//
// Object events (S3's "Object Created", "Object Deleted", and the upload events ingest adds) are
// committed by the store in the same transaction as the metadata they describe, into an outbox
// of its own that the event bus drains (ReadEvents / MarkEventsDelivered): an object is never
// visible without its event, nor announced without being visible.
//
// Thread-safety: every method may be called from any thread; writers and readers are used by one
// thread at a time each. Writers and readers may outlive the store that made them.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace wharf::objects {

// Error codes (Error::code), S3's names where S3 has one.
namespace errc {
inline constexpr char kNoSuchKey[] = "NoSuchKey";
inline constexpr char kInvalidKey[] = "InvalidObjectName";  // not UTF-8, empty, too long, escapes
inline constexpr char kInvalidRange[] = "InvalidRange";
inline constexpr char kInvalidToken[] = "InvalidToken";  // a malformed continuation token
// Disk full, I/O error: the message names the file and the system's error.
inline constexpr char kStorageFailure[] = "StorageFailure";
// A bad argument other than a key, e.g. max_keys below 1, or a finished writer used again.
inline constexpr char kInvalidArgument[] = "InvalidArgument";
}  // namespace errc

struct ObjectMeta {
  std::string key;
  int64_t size = 0;
  std::string etag;  // hex MD5 of the bytes, as S3 computes it for a single-part upload
  std::string content_type = "application/octet-stream";
  TimePoint last_modified;
  // Who put it and how: the user name and "SFTP", "FTPS", "FTP", "HTTP", "API"...
  std::string uploaded_by;
  std::string protocol;
};

// An event to commit with an object change: its kind ("Object Created", "SFTP Server File
// Upload Completed", ...) and its whole EventBridge-shaped JSON text. The store never parses it.
struct ObjectEvent {
  int64_t seq = 0;  // set by the store: increasing, never reused
  std::string kind;
  std::string payload;
  TimePoint time;  // the epoch (default): the store sets the commit's time
};

// A function that builds a change's events from the object's metadata.
template <typename F>
concept EventMaker = std::is_invocable_r_v<std::vector<ObjectEvent>, F&, const ObjectMeta&>;

// The events to commit with a change: a fixed list, or a function that builds them from the
// object's metadata as the change stores it. The function form exists because an "Object Created"
// event carries the size and etag that only Commit knows, and a copy's or rename's event the
// metadata of the source as the same transaction reads it. The function may run inside the
// store's write lock: it must not call the store.
class ChangeEvents {
 public:
  using Maker = std::function<std::vector<ObjectEvent>(const ObjectMeta& meta)>;

  ChangeEvents() = default;
  ChangeEvents(std::vector<ObjectEvent> events)  // NOLINT(google-explicit-constructor)
      : fixed_(std::move(events)) {}
  ChangeEvents(std::initializer_list<ObjectEvent> events)  // NOLINT(google-explicit-constructor)
      : fixed_(events) {}
  template <EventMaker F>
  ChangeEvents(F make) : make_(std::move(make)) {}  // NOLINT(google-explicit-constructor)

  // The events for a change that stores (or, for a delete, removes) `meta`.
  std::vector<ObjectEvent> For(const ObjectMeta& meta) const {
    return make_ ? make_(meta) : fixed_;
  }

 private:
  std::vector<ObjectEvent> fixed_;
  Maker make_;
};

class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;
  virtual Status Write(std::string_view bytes) = 0;
  // Ends the writing and makes the bytes durable, still invisible: everything of Commit that can
  // fail for the disk's sake (a full disk, an I/O error), so that a protocol can acknowledge the
  // upload and commit it later, when it knows the client got the acknowledgement. Commit then
  // only has the index transaction left. Optional: Commit seals a writer that is not sealed. After
  // a failed Seal the writer is dropped (as by Abort) and Commit returns the error; Write after
  // Seal is an error.
  virtual Status Seal() { return {}; }
  // The time the object will have once committed (its last_modified), fixed by the first call;
  // without a call, Commit takes its own. For a protocol that answers a question about the file
  // (its time, after a sealed upload) before it commits it (plain FTP, docs/ftp.md).
  virtual TimePoint FixModified() = 0;
  // Makes the object visible under its key with its metadata, replacing an older one, and commits
  // `events` in the same transaction. Returns the metadata as stored (size, etag, time). After a
  // failed Write or Seal, Commit returns that error and nothing becomes visible; a writer is
  // finished after Commit, whatever it returned.
  virtual Result<ObjectMeta> Commit(ChangeEvents events) = 0;
  // Drops what was written; nothing becomes visible. Also what the destructor does when neither
  // Commit nor Abort was called (a connection cut mid-upload).
  virtual void Abort() = 0;
  virtual int64_t written() const = 0;
};

class ObjectReader {
 public:
  virtual ~ObjectReader() = default;
  // Reads up to `max` bytes of the requested range; an empty result is the end.
  // REQUIRES: max > 0.
  virtual Result<std::string> Read(size_t max) = 0;
  // The same into `into`: the number of bytes read, fewer than `max` only at the end of the
  // range, 0 past it. For callers that keep their buffers between reads.
  virtual Result<size_t> ReadInto(char* into, size_t max) = 0;
  // The object's metadata; `size` is the whole object's, whatever the range.
  virtual const ObjectMeta& meta() const = 0;
};

// As HTTP's "Range: bytes=first-last". `first` at or past the end (any `first` of an empty
// object), a negative `first`, or `last` before `first` is InvalidRange (S3's 416); a `last` past
// the end is taken as the end.
struct ByteRange {
  int64_t first = 0;
  std::optional<int64_t> last;  // inclusive; nullopt: to the end
};

// As S3's ListObjectsV2. Objects and common prefixes together count toward max_keys.
struct ListQuery {
  std::string prefix;
  std::string delimiter;  // "" or usually "/": keys sharing prefix+...+delimiter roll up
  int max_keys = 1000;    // 1..1000; more is taken as 1000 (as S3), less is InvalidArgument
  // From the previous page's next_token, with the same prefix and delimiter (else InvalidToken).
  // A token stays valid across changes: the next page starts after the last entry returned.
  std::string continuation_token;
};

struct ListPage {
  std::vector<ObjectMeta> objects;           // in UTF-8 binary order of keys, as S3
  std::vector<std::string> common_prefixes;  // with a delimiter
  std::string next_token;                    // "" on the last page
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // Starts a streamed put. `meta.key`, `content_type` (empty: application/octet-stream),
  // `uploaded_by` and `protocol` are taken; size, etag and time are computed.
  virtual Result<std::unique_ptr<ObjectWriter>> Put(const ObjectMeta& meta) = 0;
  virtual Result<std::unique_ptr<ObjectReader>> Get(std::string_view key,
                                                    std::optional<ByteRange> range) = 0;
  virtual Result<ObjectMeta> Head(std::string_view key) = 0;
  virtual Result<ListPage> List(const ListQuery& query) = 0;
  // Deleting a missing key is no error (as S3). `events` commit with the deletion, built from the
  // metadata of the object removed; a missing key changes nothing and commits no event.
  virtual Status Delete(std::string_view key, ChangeEvents events) = 0;
  // Copies the bytes and metadata (S3's MetadataDirective COPY) to `to`, replacing an object
  // there, with a new time. `events` are built from the new object's metadata. NoSuchKey when
  // `from` is missing.
  virtual Result<ObjectMeta> Copy(std::string_view from, std::string_view to,
                                  ChangeEvents events) = 0;
  // Renames in one step (what SFTP and FTP rename do; S3 has no rename: copy + delete), replacing
  // an object at `to`; the metadata, time included, moves unchanged. NoSuchKey when `from` is
  // missing; renaming a key onto itself changes nothing and commits no event.
  virtual Result<ObjectMeta> Rename(std::string_view from, std::string_view to,
                                    ChangeEvents events) = 0;

  // The event outbox: undelivered events after `after_seq`, in order. `limit`: 1..1000 (others
  // are taken as 100 and 1000).
  // Commits events that come with no object change (a download, a refused or failed operation)
  // into the outbox, in one transaction.
  virtual Status CommitEvents(std::vector<ObjectEvent> events) = 0;
  virtual Result<std::vector<ObjectEvent>> ReadEvents(int limit, int64_t after_seq) = 0;
  // Removes delivered events from the outbox; unknown seqs are ignored. Seqs are never reused.
  virtual Status MarkEventsDelivered(const std::vector<int64_t>& seqs) = 0;
};

// Checks a key: valid UTF-8 (no overlong form, no surrogate, nothing past U+10FFFF), 1 to 1,024
// bytes, no NUL; and, since SFTP and FTP show keys as paths, every key must be a normalized
// relative path that a client can name: no "." or ".." segment, no empty segment ("a//b"), no
// leading "/". One trailing "/" is allowed: a folder marker, what S3's console and Transfer
// Family's mkdir create. Anything else is accepted (spaces, backslashes, "#?%&", any script). On
// failure the error (errc::kInvalidKey) names the problem and its byte offset. Whatever a key
// holds, no store lets it reach outside the store's root.
Status ValidateKey(std::string_view key);

}  // namespace wharf::objects
