// The events of transfer_events.h against the examples AWS documents: the same field names, in
// the same places, with the same JSON types; and the values' forms.
#include "ingest/transfer_events.h"

#include <chrono>
#include <regex>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "core/json.h"

namespace wharf::ingest {
namespace {

// --- the documented examples ---------------------------------------------------------------
// AWS Transfer Family User Guide, "Transfer Family events detail reference", section "SFTP,
// FTPS, and FTP server events": its example events, as printed there.

constexpr char kAwsFtpUploadCompleted[] = R"({
  "version": "0", "id": "event-ID", "detail-type": "FTP Server File Upload Completed",
  "source": "aws.transfer", "account": "958412138249", "time": "2024-01-29T16:31:43Z",
  "region": "us-east-1",
  "resources": ["arn:aws:transfer:us-east-1:958412138249:server/s-1111aaaa2222bbbb3"],
  "detail": {
    "status-code": "COMPLETED", "protocol": "FTP", "bytes": 1048576, "client-ip": "10.0.0.141",
    "end-timestamp": "2024-01-29T16:31:43.311866408Z",
    "etag": "b6d81b360a5672d80c27430f39153e2c",
    "file-path": "/amzn-s3-demo-bucket/test/1mb_file", "server-id": "s-1111aaaa2222bbbb3",
    "username": "test", "session-id": "event-ID",
    "start-timestamp": "2024-01-29T16:31:42.462088327Z"}})";

constexpr char kAwsSftpDownloadFailed[] = R"({
  "version": "0", "id": "event-ID", "detail-type": "SFTP Server File Download Failed",
  "source": "aws.transfer", "account": "958412138249", "time": "2024-01-29T17:20:27Z",
  "region": "us-east-1",
  "resources": ["arn:aws:transfer:us-east-1:958412138249:server/s-1234abcd5678efghi"],
  "detail": {
    "failure-code": "PARTIAL_DOWNLOAD", "status-code": "FAILED", "protocol": "SFTP",
    "bytes": 4100, "client-ip": "IP-address", "failure-message": "File was partially downloaded.",
    "end-timestamp": "2024-01-29T17:20:27.749749117Z",
    "file-path": "/fs-1234abcd5678efghi/user0/test-file", "server-id": "s-1234abcd5678efghi",
    "username": "test", "session-id": "session-ID",
    "start-timestamp": "2024-01-29T17:20:16.706282454Z"}})";

constexpr char kAwsSftpDeleteCompleted[] = R"({
  "version": "0", "id": "event-ID", "detail-type": "SFTP Server File Delete Completed",
  "source": "aws.transfer", "account": "958412138249", "time": "2025-05-15T14:30:27Z",
  "region": "us-east-1",
  "resources": ["arn:aws:transfer:us-east-1:958412138249:server/s-1234abcd5678efghi"],
  "detail": {
    "status-code": "COMPLETED", "protocol": "SFTP", "client-ip": "IP-address",
    "end-timestamp": "2025-05-15T14:30:27.749749117Z",
    "file-path": "/fs-1234abcd5678efghi/user0/test-file-to-delete.txt",
    "server-id": "s-1234abcd5678efghi", "username": "test", "session-id": "session-ID",
    "start-timestamp": "2025-05-15T14:30:26.706282454Z"}})";

constexpr char kAwsSftpRenameCompleted[] = R"({
  "version": "0", "id": "event-ID", "detail-type": "SFTP Server File Rename Completed",
  "source": "aws.transfer", "account": "958412138249", "time": "2025-05-15T15:45:12Z",
  "region": "us-east-1",
  "resources": ["arn:aws:transfer:us-east-1:958412138249:server/s-1234abcd5678efghi"],
  "detail": {
    "status-code": "COMPLETED", "protocol": "SFTP", "client-ip": "IP-address",
    "end-timestamp": "2025-05-15T15:45:12.749749117Z",
    "original-file-path": "/fs-1234abcd5678efghi/user0/old-filename.txt",
    "renamed-file-path": "/fs-1234abcd5678efghi/user0/new-filename.txt",
    "server-id": "s-1234abcd5678efghi", "username": "test", "session-id": "session-ID",
    "start-timestamp": "2025-05-15T15:45:11.706282454Z"}})";

constexpr char kAwsSftpDirectoryCreateCompleted[] = R"({
  "version": "0", "id": "event-ID", "detail-type": "SFTP Server Directory Create Completed",
  "source": "aws.transfer", "account": "958412138249", "time": "2025-05-15T16:20:05Z",
  "region": "us-east-1",
  "resources": ["arn:aws:transfer:us-east-1:958412138249:server/s-1234abcd5678efghi"],
  "detail": {
    "status-code": "COMPLETED", "protocol": "SFTP", "client-ip": "IP-address",
    "end-timestamp": "2025-05-15T16:20:05.749749117Z",
    "directory-path": "/fs-1234abcd5678efghi/user0/new-directory",
    "server-id": "s-1234abcd5678efghi", "username": "test", "session-id": "session-ID",
    "start-timestamp": "2025-05-15T16:20:04.706282454Z"}})";

// Amazon S3 User Guide, "EventBridge event message structure", "Object created", without
// "version-id": the example's bucket is versioned, and S3 leaves version-id out for an
// unversioned one (the landing store keeps no versions).
constexpr char kAwsS3ObjectCreated[] = R"({
  "version": "0", "id": "17793124-05d4-b198-2fde-7ededc63b103", "detail-type": "Object Created",
  "source": "aws.s3", "account": "111122223333", "time": "2021-11-12T00:00:00Z",
  "region": "ca-central-1", "resources": ["arn:aws:s3:::amzn-s3-demo-bucket1"],
  "detail": {
    "version": "0", "bucket": {"name": "amzn-s3-demo-bucket1"},
    "object": {"key": "example-key", "size": 5, "etag": "b1946ac92492d2347c6235b4d2611184",
               "sequencer": "617f08299329d189"},
    "request-id": "N4N7GDK58NMKJ12R", "requester": "123456789012",
    "source-ip-address": "1.2.3.4", "reason": "PutObject"}})";

// An "Object Deleted" event of S3 for DeleteObject in an unversioned bucket (as S3 delivers it:
// the object has no size, etag or version-id; deletion-type "Permanently Deleted").
constexpr char kAwsS3ObjectDeleted[] = R"({
  "version": "0", "id": "2ee9cc15-d022-99ea-1fb8-1b1bac4850f9", "detail-type": "Object Deleted",
  "source": "aws.s3", "account": "111122223333", "time": "2021-11-12T00:00:00Z",
  "region": "ca-central-1", "resources": ["arn:aws:s3:::amzn-s3-demo-bucket1"],
  "detail": {
    "version": "0", "bucket": {"name": "amzn-s3-demo-bucket1"},
    "object": {"key": "example-key", "sequencer": "617f0837b476e463"},
    "request-id": "0BH729840619AG5K", "requester": "123456789012",
    "source-ip-address": "1.2.3.4", "reason": "DeleteObject",
    "deletion-type": "Permanently Deleted"}})";

// --- helpers -------------------------------------------------------------------------------

Json ParseOrDie(std::string_view text) {
  auto parsed = Json::Parse(text);
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message) << "\n" << text;
  return parsed.ok() ? *parsed : Json();
}

// The same members at every level (names and JSON kinds; integers and doubles are both numbers).
void ExpectSameShape(const Json& want, const Json& got, const std::string& where = "$") {
  auto kind = [](const Json& j) { return j.is_number() ? Json::Kind::kInt : j.kind(); };
  ASSERT_EQ(kind(want), kind(got)) << where << ": " << Json::KindName(want.kind()) << " expected, "
                                   << Json::KindName(got.kind()) << " built";
  if (want.is_object()) {
    std::set<std::string> want_keys, got_keys;
    for (const auto& [k, v] : want.as_object()) want_keys.insert(k);
    for (const auto& [k, v] : got.as_object()) got_keys.insert(k);
    EXPECT_EQ(want_keys, got_keys) << where;
    for (const auto& [k, v] : want.as_object()) {
      if (const Json* g = got.find(k)) ExpectSameShape(v, *g, where + "." + k);
    }
  } else if (want.is_array()) {
    ASSERT_EQ(want.size(), got.size()) << where;
    for (size_t i = 0; i < want.size(); ++i) {
      ExpectSameShape(*want.at(i), *got.at(i), where + "[" + std::to_string(i) + "]");
    }
  }
}

// Member names in order: AWS's examples print them in a fixed order, and so do these events.
std::vector<std::string> Keys(const Json& object) {
  std::vector<std::string> out;
  for (const auto& [k, v] : object.as_object()) out.push_back(k);
  return out;
}

const std::string& Str(const Json& event, std::string_view a, std::string_view b = {}) {
  static const std::string kMissing = "<missing>";
  const Json* j = event.find(a);
  if (j && !b.empty()) j = j->find(b);
  return j && j->is_string() ? j->as_string() : kMissing;
}

TimePoint At(int64_t unix_seconds, int64_t nanos = 0) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(
      std::chrono::seconds(unix_seconds) + std::chrono::nanoseconds(nanos)));
}

EventEnvelope Env(TimePoint time) {
  return EventEnvelope{"6a7e8feb-b491-4cf7-a9f1-bf3703467718", time, "us-east-1", "958412138249"};
}

TransferRecord Record(FileProtocol protocol, TransferAction action, TransferStatus status) {
  TransferRecord r;
  r.protocol = protocol;
  r.action = action;
  r.status = status;
  r.server_id = "s-1234abcd5678efabc";
  r.session_id = "1d1c7a2e6b0f4b51";
  r.username = "alice";
  r.client_ip = "203.0.113.7";
  r.path = "/wharf-landing/alice/in/a.csv";
  r.start = At(1706545902, 462088327);  // 2024-01-29T16:31:42.462088327Z
  r.end = At(1706545903, 311866408);
  return r;
}

// --- Transfer Family -----------------------------------------------------------------------

TEST(TransferEvents, UploadCompletedHasTheShapeOfAwsExample) {
  TransferRecord r =
      Record(FileProtocol::kFtp, TransferAction::kUpload, TransferStatus::kCompleted);
  r.bytes = 1048576;
  r.etag = "b6d81b360a5672d80c27430f39153e2c";
  Json got = ParseOrDie(TransferEvent(Env(r.end), r));
  Json want = ParseOrDie(kAwsFtpUploadCompleted);
  ExpectSameShape(want, got);
  EXPECT_EQ(Keys(want), Keys(got));
  EXPECT_EQ(Keys(*want.find("detail")), Keys(*got.find("detail")));
  EXPECT_EQ(Str(got, "detail-type"), "FTP Server File Upload Completed");
  EXPECT_EQ(Str(got, "source"), "aws.transfer");
  EXPECT_EQ(Str(got, "version"), "0");
  EXPECT_EQ(Str(got, "time"), "2024-01-29T16:31:43Z");
  EXPECT_EQ(got.find("resources")->at(0)->as_string(),
            "arn:aws:transfer:us-east-1:958412138249:server/s-1234abcd5678efabc");
  EXPECT_EQ(Str(got, "detail", "status-code"), "COMPLETED");
  EXPECT_EQ(Str(got, "detail", "protocol"), "FTP");
  EXPECT_EQ(got.find("detail")->find("bytes")->as_int(), 1048576);
  EXPECT_EQ(Str(got, "detail", "file-path"), "/wharf-landing/alice/in/a.csv");
  EXPECT_EQ(Str(got, "detail", "start-timestamp"), "2024-01-29T16:31:42.462088327Z");
  EXPECT_EQ(Str(got, "detail", "end-timestamp"), "2024-01-29T16:31:43.311866408Z");
}

TEST(TransferEvents, DownloadFailedHasTheShapeOfAwsExample) {
  TransferRecord r =
      Record(FileProtocol::kSftp, TransferAction::kDownload, TransferStatus::kFailed);
  r.bytes = 4100;
  r.failure_code = kPartialDownload;
  r.failure_message = "File was partially downloaded.";
  Json got = ParseOrDie(TransferEvent(Env(r.end), r));
  Json want = ParseOrDie(kAwsSftpDownloadFailed);
  ExpectSameShape(want, got);  // no etag: it is left out when unknown, as in the example
  EXPECT_EQ(Keys(*want.find("detail")), Keys(*got.find("detail")));
  EXPECT_EQ(Str(got, "detail-type"), "SFTP Server File Download Failed");
  EXPECT_EQ(Str(got, "detail", "failure-code"), "PARTIAL_DOWNLOAD");
  EXPECT_EQ(Str(got, "detail", "status-code"), "FAILED");
}

TEST(TransferEvents, DeleteRenameAndDirectoryEventsHaveTheShapeOfAwsExamples) {
  TransferRecord del =
      Record(FileProtocol::kSftp, TransferAction::kDelete, TransferStatus::kCompleted);
  del.bytes = 99;        // not reported for a delete
  del.etag = "ignored";  // nor this
  Json got = ParseOrDie(TransferEvent(Env(del.end), del));
  ExpectSameShape(ParseOrDie(kAwsSftpDeleteCompleted), got);
  EXPECT_EQ(Keys(*ParseOrDie(kAwsSftpDeleteCompleted).find("detail")), Keys(*got.find("detail")));

  TransferRecord ren =
      Record(FileProtocol::kSftp, TransferAction::kRename, TransferStatus::kCompleted);
  ren.renamed_path = "/wharf-landing/alice/in/b.csv";
  got = ParseOrDie(TransferEvent(Env(ren.end), ren));
  ExpectSameShape(ParseOrDie(kAwsSftpRenameCompleted), got);
  EXPECT_EQ(Keys(*ParseOrDie(kAwsSftpRenameCompleted).find("detail")), Keys(*got.find("detail")));
  EXPECT_EQ(Str(got, "detail", "original-file-path"), "/wharf-landing/alice/in/a.csv");
  EXPECT_EQ(Str(got, "detail", "renamed-file-path"), "/wharf-landing/alice/in/b.csv");

  TransferRecord dir =
      Record(FileProtocol::kSftp, TransferAction::kMkdir, TransferStatus::kCompleted);
  dir.path = TransferPath("wharf-landing", "alice/in/");
  got = ParseOrDie(TransferEvent(Env(dir.end), dir));
  ExpectSameShape(ParseOrDie(kAwsSftpDirectoryCreateCompleted), got);
  EXPECT_EQ(Str(got, "detail", "directory-path"), "/wharf-landing/alice/in");
  EXPECT_EQ(Str(got, "detail-type"), "SFTP Server Directory Create Completed");

  dir.action = TransferAction::kRmdir;
  got = ParseOrDie(TransferEvent(Env(dir.end), dir));
  ExpectSameShape(ParseOrDie(kAwsSftpDirectoryCreateCompleted)
                      .Set("detail-type", Json::String("SFTP Server Directory Delete Completed")),
                  got);
  EXPECT_EQ(Str(got, "detail-type"), "SFTP Server Directory Delete Completed");
}

// The Failed form of an event without bytes: the Completed example's members plus failure-code
// and failure-message, in the reference's order.
TEST(TransferEvents, FailedEventsAddFailureCodeAndMessage) {
  TransferRecord r = Record(FileProtocol::kFtps, TransferAction::kDelete, TransferStatus::kFailed);
  r.failure_message = "AccessDenied: user 'alice' may not delete /in/a.csv";
  Json got = ParseOrDie(TransferEvent(Env(r.end), r));
  EXPECT_EQ(Str(got, "detail-type"), "FTPS Server File Delete Failed");
  EXPECT_EQ(Keys(*got.find("detail")),
            (std::vector<std::string>{"failure-code", "status-code", "protocol", "client-ip",
                                      "failure-message", "end-timestamp", "file-path", "server-id",
                                      "username", "session-id", "start-timestamp"}));
  EXPECT_EQ(Str(got, "detail", "failure-code"), "UNKNOWN_ERROR");  // none given
  EXPECT_EQ(Str(got, "detail", "failure-message"), r.failure_message);
}

TEST(TransferEvents, PartialUploadHasBytesAndNoEtag) {
  TransferRecord r = Record(FileProtocol::kSftp, TransferAction::kUpload, TransferStatus::kFailed);
  r.bytes = 65536;
  r.failure_code = kPartialUpload;
  r.failure_message = "File was partially uploaded.";
  Json got = ParseOrDie(TransferEvent(Env(r.end), r));
  // The download-failed example's members, for an upload.
  ExpectSameShape(ParseOrDie(kAwsSftpDownloadFailed), got);
  EXPECT_EQ(Str(got, "detail-type"), "SFTP Server File Upload Failed");
  EXPECT_EQ(Str(got, "detail", "failure-code"), "PARTIAL_UPLOAD");
  EXPECT_EQ(got.find("detail")->find("bytes")->as_int(), 65536);
  EXPECT_EQ(got.find("detail")->find("etag"), nullptr);
}

TEST(TransferEvents, DetailTypesOfEveryProtocolActionAndStatus) {
  std::set<std::string> names;
  for (FileProtocol p : {FileProtocol::kSftp, FileProtocol::kFtps, FileProtocol::kFtp}) {
    for (TransferAction a :
         {TransferAction::kUpload, TransferAction::kDownload, TransferAction::kDelete,
          TransferAction::kRename, TransferAction::kMkdir, TransferAction::kRmdir}) {
      for (TransferStatus s : {TransferStatus::kCompleted, TransferStatus::kFailed}) {
        names.insert(TransferDetailType(p, a, s));
      }
    }
  }
  // The 36 names the reference lists.
  std::set<std::string> want;
  for (std::string p : {"FTP", "FTPS", "SFTP"}) {
    for (std::string a : {"Directory Create", "Directory Delete", "File Delete", "File Download",
                          "File Rename", "File Upload"}) {
      for (std::string s : {"Completed", "Failed"}) want.insert(p + " Server " + a + " " + s);
    }
  }
  EXPECT_EQ(names, want);
}

TEST(TransferEvents, ValuesHaveAwsForms) {
  TransferRecord r =
      Record(FileProtocol::kSftp, TransferAction::kUpload, TransferStatus::kCompleted);
  r.start = At(1706545902);  // a whole second still prints nine digits
  EventEnvelope env = Env(At(1706545903, 999'999'999));
  env.id = NewEventId();
  Json got = ParseOrDie(TransferEvent(env, r));
  EXPECT_TRUE(std::regex_match(Str(got, "id"),
                               std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                                          "[0-9a-f]{12}")))
      << Str(got, "id");
  EXPECT_EQ(Str(got, "time"), "2024-01-29T16:31:43Z");  // seconds, not rounded up
  EXPECT_EQ(Str(got, "detail", "start-timestamp"), "2024-01-29T16:31:42.000000000Z");
  EXPECT_NE(NewEventId(), NewEventId());
  EXPECT_EQ(FormatEventTime(At(0)), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatTransferTimestamp(At(-1, 500'000'000)), "1969-12-31T23:59:59.500000000Z");
}

TEST(TransferEvents, PathsAreBucketAndKey) {
  EXPECT_EQ(TransferPath("wharf-landing", "alice/in/a.csv"), "/wharf-landing/alice/in/a.csv");
  EXPECT_EQ(TransferPath("wharf-landing", "alice/in/"), "/wharf-landing/alice/in");
  EXPECT_EQ(TransferPath("wharf-landing", ""), "/wharf-landing");
}

TEST(TransferEvents, StringsAreEscaped) {
  TransferRecord r =
      Record(FileProtocol::kSftp, TransferAction::kUpload, TransferStatus::kCompleted);
  r.path = "/wharf-landing/alice/a \"quoted\" \\ name ü.csv";
  Json got = ParseOrDie(TransferEvent(Env(r.end), r));
  EXPECT_EQ(Str(got, "detail", "file-path"), r.path);
}

// --- S3 ------------------------------------------------------------------------------------

S3ObjectRecord S3Record() {
  S3ObjectRecord r;
  r.bucket = "wharf-landing";
  r.key = "alice/in/a.csv";
  r.size = 5;
  r.etag = "b1946ac92492d2347c6235b4d2611184";
  r.sequencer = SequencerFor(At(1636675200));
  r.request_id = NewRequestId();
  r.requester = "111111111111";
  r.source_ip = "203.0.113.7";
  return r;
}

TEST(TransferEvents, ObjectCreatedHasTheShapeOfAwsExample) {
  S3ObjectRecord r = S3Record();
  Json got = ParseOrDie(S3ObjectCreatedEvent(Env(At(1636675200)), r, CreateReason::kPutObject));
  Json want = ParseOrDie(kAwsS3ObjectCreated);
  ExpectSameShape(want, got);
  EXPECT_EQ(Keys(want), Keys(got));
  EXPECT_EQ(Keys(*want.find("detail")), Keys(*got.find("detail")));
  EXPECT_EQ(Keys(*want.find("detail")->find("object")), Keys(*got.find("detail")->find("object")));
  EXPECT_EQ(Str(got, "detail-type"), "Object Created");
  EXPECT_EQ(Str(got, "source"), "aws.s3");
  EXPECT_EQ(got.find("resources")->at(0)->as_string(), "arn:aws:s3:::wharf-landing");
  EXPECT_EQ(Str(got, "detail", "version"), "0");
  EXPECT_EQ(Str(got, "detail", "reason"), "PutObject");
  EXPECT_EQ(got.find("detail")->find("object")->find("size")->as_int(), 5);
  EXPECT_EQ(got.find("detail")->find("object")->find("key")->as_string(), "alice/in/a.csv");

  got = ParseOrDie(S3ObjectCreatedEvent(Env(At(1636675200)), r, CreateReason::kCopyObject));
  EXPECT_EQ(Str(got, "detail", "reason"), "CopyObject");
}

TEST(TransferEvents, ObjectDeletedHasTheShapeOfAwsExample) {
  Json got = ParseOrDie(S3ObjectDeletedEvent(Env(At(1636675200)), S3Record()));
  Json want = ParseOrDie(kAwsS3ObjectDeleted);
  ExpectSameShape(want, got);
  EXPECT_EQ(Keys(*want.find("detail")), Keys(*got.find("detail")));
  EXPECT_EQ(Str(got, "detail-type"), "Object Deleted");
  EXPECT_EQ(Str(got, "detail", "reason"), "DeleteObject");
  EXPECT_EQ(Str(got, "detail", "deletion-type"), "Permanently Deleted");
}

TEST(TransferEvents, RequestIdsAndSequencersHaveS3Forms) {
  EXPECT_TRUE(std::regex_match(NewRequestId(), std::regex("[0-9A-Z]{16}")));
  EXPECT_NE(NewRequestId(), NewRequestId());
  std::string a = SequencerFor(At(1636675200));
  std::string b = SequencerFor(At(1636675200));  // the same millisecond
  std::string c = SequencerFor(At(1636675201));
  EXPECT_TRUE(std::regex_match(a, std::regex("[0-9A-F]{18}"))) << a;
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
}

}  // namespace
}  // namespace wharf::ingest
