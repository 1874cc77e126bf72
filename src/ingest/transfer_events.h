// The EventBridge events that file transfers raise, as AWS shapes them, built as whole events
// (envelope and detail) in JSON text for the object store's outbox (objects/object_store.h):
//
//   - Transfer Family ("source": "aws.transfer"): "<SFTP|FTPS|FTP> Server File Upload
//     Completed|Failed", "... File Download ...", "... File Delete ...", "... File Rename ...",
//     "... Directory Create ...", "... Directory Delete ...". AWS Transfer Family User Guide,
//     "Transfer Family events detail reference", section "SFTP, FTPS, and FTP server events".
//   - Amazon S3 ("source": "aws.s3"): "Object Created" and "Object Deleted". Amazon S3 User
//     Guide, "EventBridge event message structure".
//
// Where the references are specific (field names, value sets, the examples' types and forms),
// these functions follow them; where they are vague, the comments in transfer_events.cc say what
// was decided.
//
// Thread-safety: pure functions, except NewEventId and NewRequestId, which draw random bits and
// may be called from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/project.h"

namespace wharf::ingest {

// The envelope fields every event shares (EventBridge, "Event structure reference").
struct EventEnvelope {
  std::string id;       // a UUID (NewEventId)
  TimePoint time;       // printed in ISO 8601 UTC to the second: "2024-01-29T16:31:43Z"
  std::string region;   // "us-east-1"
  std::string account;  // 12 digits
};

// --- Transfer Family ------------------------------------------------------------------------

enum class TransferAction { kUpload, kDownload, kDelete, kRename, kMkdir, kRmdir };
enum class TransferStatus { kCompleted, kFailed };

// Transfer Family's failure categories (the reference's only values).
inline constexpr char kPartialUpload[] = "PARTIAL_UPLOAD";
inline constexpr char kPartialDownload[] = "PARTIAL_DOWNLOAD";
inline constexpr char kUnknownError[] = "UNKNOWN_ERROR";

// "SFTP", "FTPS", "FTP": the form of the `protocol` field and of detail-types.
const char* TransferProtocolName(FileProtocol protocol);

// "SFTP Server File Upload Completed", "FTP Server Directory Create Failed", ...
std::string TransferDetailType(FileProtocol protocol, TransferAction action, TransferStatus status);

// "/BUCKET/KEY", the form of Transfer Family's file-path (and directory-path, renamed-file-path)
// for an S3-backed server. A trailing '/' of `key` (a folder marker) is dropped, and an empty key
// (the bucket's root) gives "/BUCKET".
std::string TransferPath(std::string_view bucket, std::string_view key);

// One operation of one session, as the Transfer Family event reports it.
struct TransferRecord {
  FileProtocol protocol = FileProtocol::kSftp;
  TransferAction action = TransferAction::kUpload;
  TransferStatus status = TransferStatus::kCompleted;
  std::string server_id;  // "s-" + 17 hex digits
  std::string session_id;
  std::string username;
  std::string client_ip;
  // file-path for uploads, downloads and deletes; directory-path for folder events;
  // original-file-path for renames. TransferPath's form.
  std::string path;
  std::string renamed_path;  // renamed-file-path (renames only)
  int64_t bytes = 0;         // uploads and downloads: the bytes transferred
  std::string etag;          // uploads and downloads of an object: its etag; "" leaves it out
  std::string failure_code;  // kFailed: kPartialUpload, kPartialDownload or kUnknownError
  std::string failure_message;
  TimePoint start;
  TimePoint end;
};

// The whole Transfer Family event: {"version": "0", "id", "detail-type", "source":
// "aws.transfer", "account", "time", "region", "resources": ["arn:aws:transfer:REGION:ACCOUNT:
// server/SERVER_ID"], "detail": {...}}.
std::string TransferEvent(const EventEnvelope& envelope, const TransferRecord& record);

// --- Amazon S3 ------------------------------------------------------------------------------

inline constexpr char kObjectCreated[] = "Object Created";
inline constexpr char kObjectDeleted[] = "Object Deleted";

// Why an object was created: S3's `reason` values for these operations.
enum class CreateReason { kPutObject, kCopyObject };

struct S3ObjectRecord {
  std::string bucket;
  std::string key;
  int64_t size = 0;        // Object Created only
  std::string etag;        // Object Created only
  std::string sequencer;   // SequencerFor
  std::string request_id;  // NewRequestId
  std::string requester;   // the account id
  std::string source_ip;   // source-ip-address; "" leaves it out
};

// "Object Created", reason "PutObject" or "CopyObject".
std::string S3ObjectCreatedEvent(const EventEnvelope& envelope, const S3ObjectRecord& record,
                                 CreateReason reason);
// "Object Deleted", reason "DeleteObject", deletion-type "Permanently Deleted" (the store keeps
// no versions, so a delete removes the object for good, as in an unversioned bucket).
std::string S3ObjectDeletedEvent(const EventEnvelope& envelope, const S3ObjectRecord& record);

// --- identifiers ----------------------------------------------------------------------------

// A random version 4 UUID, for an event's `id`.
std::string NewEventId();
// 16 characters of [0-9A-Z], the form of S3's request ids ("N4N7GDK58NMKJ12R").
std::string NewRequestId();
// S3's `sequencer`: 18 upper-case hex digits that, compared as strings, order the events of one
// key as their changes happened. Built from `time` (milliseconds) and a counter of this process,
// so two changes in the same millisecond still order.
std::string SequencerFor(TimePoint time);

// The time forms: envelope `time` ("2024-01-29T16:31:43Z") and Transfer Family's
// start-/end-timestamp, in nanoseconds ("2024-01-29T16:31:43.311866408Z").
std::string FormatEventTime(TimePoint time);
std::string FormatTransferTimestamp(TimePoint time);

}  // namespace wharf::ingest
