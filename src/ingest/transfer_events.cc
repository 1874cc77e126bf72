// Transfer Family and S3 events as EventBridge delivers them (see transfer_events.h).
#include "ingest/transfer_events.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <utility>
#include <vector>

#include "core/json.h"
#include "core/uuid.h"

namespace wharf::ingest {
namespace {

std::mt19937_64& Rng() {
  thread_local std::mt19937_64 rng{(static_cast<uint64_t>(std::random_device{}()) << 32) ^
                                   std::random_device{}()};
  return rng;
}

const char* ActionWords(TransferAction action) {
  switch (action) {
    case TransferAction::kUpload:
      return "File Upload";
    case TransferAction::kDownload:
      return "File Download";
    case TransferAction::kDelete:
      return "File Delete";
    case TransferAction::kRename:
      return "File Rename";
    case TransferAction::kMkdir:
      return "Directory Create";
    case TransferAction::kRmdir:
      return "Directory Delete";
  }
  return "File Upload";
}

bool IsTransfer(TransferAction action) {
  return action == TransferAction::kUpload || action == TransferAction::kDownload;
}

Json Str(std::string s) { return Json::String(std::move(s)); }

// The envelope of EventBridge's "Event structure reference", in the order AWS's examples print
// it.
std::string Envelope(const EventEnvelope& e, std::string detail_type, std::string source,
                     std::string resource, Json detail) {
  return Json::Object({
                          {"version", Str("0")},
                          {"id", Str(e.id)},
                          {"detail-type", Str(std::move(detail_type))},
                          {"source", Str(std::move(source))},
                          {"account", Str(e.account)},
                          {"time", Str(FormatEventTime(e.time))},
                          {"region", Str(e.region)},
                          {"resources", Json::Array({Str(std::move(resource))})},
                          {"detail", std::move(detail)},
                      })
      .Dump();
}

}  // namespace

const char* TransferProtocolName(FileProtocol protocol) {
  switch (protocol) {
    case FileProtocol::kSftp:
      return "SFTP";
    case FileProtocol::kFtps:
      return "FTPS";
    case FileProtocol::kFtp:
      return "FTP";
  }
  return "SFTP";
}

std::string TransferDetailType(FileProtocol protocol, TransferAction action,
                               TransferStatus status) {
  return std::string(TransferProtocolName(protocol)) + " Server " + ActionWords(action) +
         (status == TransferStatus::kCompleted ? " Completed" : " Failed");
}

std::string TransferPath(std::string_view bucket, std::string_view key) {
  while (!key.empty() && key.back() == '/') key.remove_suffix(1);
  std::string out = "/" + std::string(bucket);
  if (!key.empty()) out += "/" + std::string(key);
  return out;
}

// The detail follows "SFTP, FTPS, and FTP server events" of the Transfer Family events detail
// reference, its members in the order of the reference's examples. Where the reference is vague,
// decided here:
//   - `bytes` appears in upload and download events only (its examples of delete, rename and
//     directory events have none), failed ones included: the bytes that did arrive.
//   - `etag` ("only used for Amazon S3 files") appears when the object's etag is known: a
//     completed upload, a download. A failed upload stored nothing, so it has none.
//   - start-timestamp and end-timestamp ("for successful transfers") appear in failed events
//     too, as in the reference's "SFTP Server File Download Failed" example.
//   - failure-code takes the reference's values only: PARTIAL_UPLOAD for an upload cut short,
//     PARTIAL_DOWNLOAD for a download given up, UNKNOWN_ERROR for anything else (refused by
//     permissions, quota or size, a missing file, a storage failure), whose failure-message
//     starts with wharf's error code ("AccessDenied: ...").
//   - Paths are "/BUCKET/KEY", the form of an S3-backed server's file-path.
std::string TransferEvent(const EventEnvelope& envelope, const TransferRecord& r) {
  bool failed = r.status == TransferStatus::kFailed;
  std::vector<JsonMember> d;
  if (failed)
    d.emplace_back("failure-code", Str(r.failure_code.empty() ? kUnknownError : r.failure_code));
  d.emplace_back("status-code", Str(failed ? "FAILED" : "COMPLETED"));
  d.emplace_back("protocol", Str(TransferProtocolName(r.protocol)));
  if (IsTransfer(r.action)) d.emplace_back("bytes", Json::Int(r.bytes));
  d.emplace_back("client-ip", Str(r.client_ip));
  if (failed) d.emplace_back("failure-message", Str(r.failure_message));
  d.emplace_back("end-timestamp", Str(FormatTransferTimestamp(r.end)));
  if (IsTransfer(r.action) && !r.etag.empty()) d.emplace_back("etag", Str(r.etag));
  switch (r.action) {
    case TransferAction::kRename:
      d.emplace_back("original-file-path", Str(r.path));
      d.emplace_back("renamed-file-path", Str(r.renamed_path));
      break;
    case TransferAction::kMkdir:
    case TransferAction::kRmdir:
      d.emplace_back("directory-path", Str(r.path));
      break;
    default:
      d.emplace_back("file-path", Str(r.path));
  }
  d.emplace_back("server-id", Str(r.server_id));
  d.emplace_back("username", Str(r.username));
  d.emplace_back("session-id", Str(r.session_id));
  d.emplace_back("start-timestamp", Str(FormatTransferTimestamp(r.start)));
  return Envelope(
      envelope, TransferDetailType(r.protocol, r.action, r.status), "aws.transfer",
      "arn:aws:transfer:" + envelope.region + ":" + envelope.account + ":server/" + r.server_id,
      Json::Object(std::move(d)));
}

// S3's "EventBridge event message structure" examples: detail {version, bucket {name}, object
// {key, size, etag, version-id, sequencer}, request-id, requester, source-ip-address, reason}.
// The store keeps no versions, so `version-id` is left out, as S3 does for an unversioned bucket.
std::string S3ObjectCreatedEvent(const EventEnvelope& envelope, const S3ObjectRecord& r,
                                 CreateReason reason) {
  std::vector<JsonMember> d;
  d.emplace_back("version", Str("0"));
  d.emplace_back("bucket", Json::Object({{"name", Str(r.bucket)}}));
  d.emplace_back("object", Json::Object({{"key", Str(r.key)},
                                         {"size", Json::Int(r.size)},
                                         {"etag", Str(r.etag)},
                                         {"sequencer", Str(r.sequencer)}}));
  d.emplace_back("request-id", Str(r.request_id));
  d.emplace_back("requester", Str(r.requester));
  if (!r.source_ip.empty()) d.emplace_back("source-ip-address", Str(r.source_ip));
  d.emplace_back("reason", Str(reason == CreateReason::kPutObject ? "PutObject" : "CopyObject"));
  return Envelope(envelope, kObjectCreated, "aws.s3", "arn:aws:s3:::" + r.bucket,
                  Json::Object(std::move(d)));
}

// An unversioned bucket's DeleteObject: object {key, sequencer} (no size, etag or version-id),
// reason "DeleteObject", deletion-type "Permanently Deleted".
std::string S3ObjectDeletedEvent(const EventEnvelope& envelope, const S3ObjectRecord& r) {
  std::vector<JsonMember> d;
  d.emplace_back("version", Str("0"));
  d.emplace_back("bucket", Json::Object({{"name", Str(r.bucket)}}));
  d.emplace_back("object", Json::Object({{"key", Str(r.key)}, {"sequencer", Str(r.sequencer)}}));
  d.emplace_back("request-id", Str(r.request_id));
  d.emplace_back("requester", Str(r.requester));
  if (!r.source_ip.empty()) d.emplace_back("source-ip-address", Str(r.source_ip));
  d.emplace_back("reason", Str("DeleteObject"));
  d.emplace_back("deletion-type", Str("Permanently Deleted"));
  return Envelope(envelope, kObjectDeleted, "aws.s3", "arn:aws:s3:::" + r.bucket,
                  Json::Object(std::move(d)));
}

std::string NewEventId() {
  uint64_t hi = Rng()();
  return FormatUuidV4(hi, Rng()());
}

std::string NewRequestId() {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::string out(16, '0');
  for (char& c : out) c = kAlphabet[Rng()() % 36];
  return out;
}

std::string SequencerFor(TimePoint time) {
  static std::atomic<uint32_t> counter{0};
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  uint32_t n = counter.fetch_add(1, std::memory_order_relaxed) & 0xFFFFFF;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%012llX%06X",
                static_cast<unsigned long long>(ms < 0 ? 0 : ms) & 0xFFFFFFFFFFFFULL, n);
  return buf;
}

std::string FormatEventTime(TimePoint time) { return FormatIso8601Seconds(time); }

std::string FormatTransferTimestamp(TimePoint time) { return FormatIso8601Nanos(time); }

}  // namespace wharf::ingest
