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
// thread at a time each.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
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
inline constexpr char kStorageFailure[] = "StorageFailure";  // disk full, I/O error: the message says
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
  TimePoint time;
};

class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;
  virtual Status Write(std::string_view bytes) = 0;
  // Makes the object visible under its key with its metadata, replacing an older one, and commits
  // `events` in the same transaction. Returns the metadata as stored (size, etag, time).
  virtual Result<ObjectMeta> Commit(std::vector<ObjectEvent> events) = 0;
  // Drops what was written; nothing becomes visible. Also what the destructor does when neither
  // Commit nor Abort was called (a connection cut mid-upload).
  virtual void Abort() = 0;
  virtual int64_t written() const = 0;
};

class ObjectReader {
 public:
  virtual ~ObjectReader() = default;
  // Reads up to `max` bytes of the requested range; an empty result is the end.
  virtual Result<std::string> Read(size_t max) = 0;
  virtual const ObjectMeta& meta() const = 0;
};

struct ByteRange {
  int64_t first = 0;
  std::optional<int64_t> last;  // inclusive; nullopt: to the end
};

struct ListQuery {
  std::string prefix;
  std::string delimiter;  // "" or usually "/": keys sharing prefix+...+delimiter roll up
  int max_keys = 1000;    // 1..1000
  std::string continuation_token;
};

struct ListPage {
  std::vector<ObjectMeta> objects;          // in UTF-8 binary order of keys, as S3
  std::vector<std::string> common_prefixes;  // with a delimiter
  std::string next_token;                    // "" on the last page
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // Starts a streamed put. `meta.key`, `content_type`, `uploaded_by` and `protocol` are taken;
  // size, etag and time are computed.
  virtual Result<std::unique_ptr<ObjectWriter>> Put(const ObjectMeta& meta) = 0;
  virtual Result<std::unique_ptr<ObjectReader>> Get(std::string_view key,
                                                    std::optional<ByteRange> range) = 0;
  virtual Result<ObjectMeta> Head(std::string_view key) = 0;
  virtual Result<ListPage> List(const ListQuery& query) = 0;
  // Deleting a missing key is no error (as S3). `events` commit with the deletion.
  virtual Status Delete(std::string_view key, std::vector<ObjectEvent> events) = 0;
  virtual Result<ObjectMeta> Copy(std::string_view from, std::string_view to,
                                  std::vector<ObjectEvent> events) = 0;
  // Renames in one step (what SFTP and FTP rename do; S3 has no rename: copy + delete).
  virtual Result<ObjectMeta> Rename(std::string_view from, std::string_view to,
                                    std::vector<ObjectEvent> events) = 0;

  // The event outbox: undelivered events after `after_seq`, in order.
  virtual Result<std::vector<ObjectEvent>> ReadEvents(int limit, int64_t after_seq) = 0;
  virtual Status MarkEventsDelivered(const std::vector<int64_t>& seqs) = 0;
};

// Checks a key: valid UTF-8, 1 to 1,024 bytes, no NUL; and, since keys become paths under the
// local store's root, no "." or ".." segment, no empty segment ("a//b"), no leading "/".
Status ValidateKey(std::string_view key);

}  // namespace wharf::objects
