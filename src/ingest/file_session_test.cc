// FileSession over a real LocalObjectStore in a temporary folder: every operation, the
// permission and quota checks, abandoned uploads, path escapes, and the events each commits.
#include "ingest/file_session.h"

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/json.h"
#include "ingest/file_session_internal.h"
#include "ingest/users.h"
#include "objects/objects_testing.h"

namespace wharf::ingest {
namespace {

using objects::testing::CountTemp;
using objects::testing::Md5Hex;
using objects::testing::TempDir;

class FileSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = objects::testing::OpenStore(dir_.path() + "/objects");
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(*opened);
    alice_.name = "alice";
    alice_.home = "alice/";
    info_.protocol = FileProtocol::kSftp;
    info_.server_id = "s-0123456789abcdef0";
    info_.session_id = "b5a2c3d4e5f60718";
    info_.client_ip = "203.0.113.7";
  }

  std::unique_ptr<FileSession> Session(const UserConfig& user) {
    return std::make_unique<FileSession>(*store_, user, info_);
  }

  // Uploads `bytes` through a session of `user`, in pieces of `piece` bytes.
  Result<objects::ObjectMeta> Put(FileSession& session, std::string_view path,
                                  std::string_view bytes, size_t piece = 4096) {
    WHARF_TRY(std::unique_ptr<Upload> upload, session.OpenUpload(path));
    for (size_t at = 0; at < bytes.size(); at += piece) {
      WHARF_TRY_STATUS(upload->Write(bytes.substr(at, piece)));
    }
    return upload->Finish(true);
  }

  Result<std::string> Get(FileSession& session, std::string_view path, int64_t offset = 0) {
    WHARF_TRY(std::unique_ptr<Download> download, session.OpenDownload(path, offset));
    std::string out;
    char part[3];
    for (;;) {
      WHARF_TRY(size_t got, download->ReadInto(part, sizeof part));
      if (got == 0) break;
      out.append(part, got);
    }
    download->Finish(true);
    return out;
  }

  // The events committed since the last call, parsed; each one's kind is its detail-type.
  std::vector<Json> NewEvents() {
    auto events = store_->ReadEvents(1000, last_seq_);
    EXPECT_TRUE(events.ok());
    std::vector<Json> out;
    if (!events.ok()) return out;
    for (const objects::ObjectEvent& e : *events) {
      last_seq_ = e.seq;
      auto parsed = Json::Parse(e.payload);
      EXPECT_TRUE(parsed.ok()) << e.payload;
      if (!parsed.ok()) continue;
      EXPECT_EQ(e.kind, parsed->find("detail-type")->as_string());
      out.push_back(*parsed);
    }
    return out;
  }

  std::vector<std::string> Kinds(const std::vector<Json>& events) {
    std::vector<std::string> out;
    for (const Json& e : events) out.push_back(e.find("detail-type")->as_string());
    return out;
  }

  bool Exists(const std::string& key) { return store_->Head(key).ok(); }

  // The one event of a failed operation.
  void ExpectFailedEvent(const Error& error, const std::string& detail_type,
                         const std::string& failure_code = "UNKNOWN_ERROR") {
    std::vector<Json> events = NewEvents();
    ASSERT_EQ(Kinds(events), std::vector<std::string>{detail_type});
    const Json& d = *events[0].find("detail");
    EXPECT_EQ(d.find("status-code")->as_string(), "FAILED");
    EXPECT_EQ(d.find("failure-code")->as_string(), failure_code);
    if (failure_code == "UNKNOWN_ERROR") {
      EXPECT_EQ(d.find("failure-message")->as_string().rfind(error.code + ": ", 0), 0u)
          << d.find("failure-message")->as_string();
    }
  }

  TempDir dir_;
  std::unique_ptr<objects::LocalObjectStore> store_;
  UserConfig alice_;
  SessionInfo info_;
  int64_t last_seq_ = 0;
};

#define ASSERT_OK(expr)                                                                        \
  do {                                                                                         \
    const auto& ok_ = (expr);                                                                  \
    ASSERT_TRUE(ok_.ok()) << #expr << ": " << ok_.error().code << ": " << ok_.error().message; \
  } while (0)

#define EXPECT_CODE(expr, want)                               \
  do {                                                        \
    const auto& r_ = (expr);                                  \
    EXPECT_FALSE(r_.ok()) << #expr << " succeeded";           \
    if (!r_.ok()) {                                           \
      EXPECT_EQ(r_.error().code, want) << r_.error().message; \
    }                                                         \
  } while (0)

// --- uploads and their events ---------------------------------------------------------------

TEST_F(FileSessionTest, UploadCommitsTheObjectWithItsTwoEvents) {
  auto session = Session(alice_);
  std::string bytes(10000, 'x');
  auto meta = Put(*session, "/in/a.csv", bytes);
  ASSERT_OK(meta);
  EXPECT_EQ(meta->key, "alice/in/a.csv");
  EXPECT_EQ(meta->size, 10000);
  EXPECT_EQ(meta->etag, Md5Hex(bytes));
  EXPECT_EQ(meta->uploaded_by, "alice");
  EXPECT_EQ(meta->protocol, "SFTP");
  auto stored = objects::testing::GetBytes(*store_, "alice/in/a.csv");
  ASSERT_OK(stored);
  EXPECT_EQ(*stored, bytes);

  std::vector<Json> events = NewEvents();
  ASSERT_EQ(Kinds(events),
            (std::vector<std::string>{"Object Created", "SFTP Server File Upload Completed"}));
  const Json& s3 = events[0];
  EXPECT_EQ(s3.find("source")->as_string(), "aws.s3");
  EXPECT_EQ(s3.find("resources")->at(0)->as_string(), "arn:aws:s3:::wharf-landing");
  const Json& created = *s3.find("detail");
  EXPECT_EQ(created.find("bucket")->find("name")->as_string(), "wharf-landing");
  EXPECT_EQ(created.find("object")->find("key")->as_string(), "alice/in/a.csv");
  EXPECT_EQ(created.find("object")->find("size")->as_int(), 10000);
  EXPECT_EQ(created.find("object")->find("etag")->as_string(), Md5Hex(bytes));
  EXPECT_EQ(created.find("reason")->as_string(), "PutObject");
  EXPECT_EQ(created.find("source-ip-address")->as_string(), "203.0.113.7");
  EXPECT_EQ(created.find("requester")->as_string(), "111111111111");

  const Json& tf = events[1];
  EXPECT_EQ(tf.find("source")->as_string(), "aws.transfer");
  EXPECT_EQ(tf.find("account")->as_string(), "111111111111");
  EXPECT_EQ(tf.find("region")->as_string(), "us-east-1");
  EXPECT_EQ(tf.find("resources")->at(0)->as_string(),
            "arn:aws:transfer:us-east-1:111111111111:server/s-0123456789abcdef0");
  const Json& d = *tf.find("detail");
  EXPECT_EQ(d.find("status-code")->as_string(), "COMPLETED");
  EXPECT_EQ(d.find("protocol")->as_string(), "SFTP");
  EXPECT_EQ(d.find("bytes")->as_int(), 10000);
  EXPECT_EQ(d.find("etag")->as_string(), Md5Hex(bytes));
  EXPECT_EQ(d.find("file-path")->as_string(), "/wharf-landing/alice/in/a.csv");
  EXPECT_EQ(d.find("username")->as_string(), "alice");
  EXPECT_EQ(d.find("client-ip")->as_string(), "203.0.113.7");
  EXPECT_EQ(d.find("session-id")->as_string(), "b5a2c3d4e5f60718");
  EXPECT_EQ(d.find("server-id")->as_string(), "s-0123456789abcdef0");
  // ISO 8601 strings of the same form compare as times.
  EXPECT_LE(d.find("start-timestamp")->as_string(), d.find("end-timestamp")->as_string());
  EXPECT_EQ(d.find("failure-code"), nullptr);
}

TEST_F(FileSessionTest, FtpsUploadNamesItsProtocol) {
  info_.protocol = FileProtocol::kFtps;
  auto session = Session(alice_);
  ASSERT_OK(Put(*session, "a.csv", "abc"));
  std::vector<Json> events = NewEvents();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].find("detail-type")->as_string(), "FTPS Server File Upload Completed");
  EXPECT_EQ(events[1].find("detail")->find("protocol")->as_string(), "FTPS");
  EXPECT_EQ(store_->Head("alice/a.csv")->protocol, "FTPS");
}

TEST_F(FileSessionTest, EmptyUploadIsAFile) {
  auto session = Session(alice_);
  auto meta = Put(*session, "empty", "");
  ASSERT_OK(meta);
  EXPECT_EQ(meta->size, 0);
  auto info = session->Stat("empty");
  ASSERT_OK(info);
  EXPECT_EQ(info->type, EntryType::kFile);
}

TEST_F(FileSessionTest, AbandonedUploadLeavesNothingAndRecordsPartialUpload) {
  auto session = Session(alice_);
  {
    auto upload = session->OpenUpload("/in/cut.bin");
    ASSERT_OK(upload);
    ASSERT_OK((*upload)->Write(std::string(5000, 'a')));
    ASSERT_OK((*upload)->Write(std::string(3000, 'b')));
    EXPECT_EQ((*upload)->written(), 8000);
    // The connection is cut: the server destroys the upload unfinished.
  }
  EXPECT_FALSE(Exists("alice/in/cut.bin"));
  EXPECT_EQ(CountTemp(store_->root()), 0u);
  EXPECT_EQ(objects::testing::CountBlobs(store_->root()), 0u);
  auto listed = session->List("/");
  ASSERT_OK(listed);
  EXPECT_TRUE(listed->entries.empty());

  std::vector<Json> events = NewEvents();
  ASSERT_EQ(Kinds(events), std::vector<std::string>{"SFTP Server File Upload Failed"});
  const Json& d = *events[0].find("detail");
  EXPECT_EQ(d.find("failure-code")->as_string(), "PARTIAL_UPLOAD");
  EXPECT_EQ(d.find("status-code")->as_string(), "FAILED");
  EXPECT_EQ(d.find("bytes")->as_int(), 8000);
  EXPECT_EQ(d.find("file-path")->as_string(), "/wharf-landing/alice/in/cut.bin");
  EXPECT_EQ(d.find("etag"), nullptr);
}

TEST_F(FileSessionTest, UploadGivenUpStoresNothing) {
  auto session = Session(alice_);
  ASSERT_OK(Put(*session, "keep.csv", "old"));
  NewEvents();
  auto upload = session->OpenUpload("keep.csv");
  ASSERT_OK(upload);
  ASSERT_OK((*upload)->Write("new bytes"));
  auto finished = (*upload)->Finish(false);
  EXPECT_CODE(finished, kUploadAborted);
  EXPECT_CODE((*upload)->Write("more"), kUploadAborted);  // over
  auto kept = objects::testing::GetBytes(*store_, "alice/keep.csv");
  ASSERT_OK(kept);
  EXPECT_EQ(*kept, "old");  // the file it would have replaced is untouched
  ExpectFailedEvent(finished.error(), "SFTP Server File Upload Failed", "PARTIAL_UPLOAD");
  upload->reset();  // destroying a finished upload records nothing more
  EXPECT_TRUE(NewEvents().empty());
}

TEST_F(FileSessionTest, ASealedUploadIsInvisibleUntilFinishedAndGivenUpLeavesNothing) {
  auto session = Session(alice_);
  auto kept = session->OpenUpload("sealed.csv");
  ASSERT_OK(kept);
  ASSERT_OK((*kept)->Write("a,b\n"));
  ASSERT_OK((*kept)->Seal());
  // Durable, in its place in the store, and neither visible nor announced yet.
  EXPECT_FALSE(Exists("alice/sealed.csv"));
  EXPECT_TRUE(NewEvents().empty());
  EXPECT_CODE((*kept)->Write("more"), objects::errc::kInvalidArgument);
  auto stored = (*kept)->Finish(true);
  ASSERT_OK(stored);
  EXPECT_EQ(stored->size, 4);
  EXPECT_TRUE(Exists("alice/sealed.csv"));
  EXPECT_EQ(Kinds(NewEvents()),
            (std::vector<std::string>{"Object Created", "SFTP Server File Upload Completed"}));

  // Sealed, then given up (the client never got its answer): nothing stored, no blob left.
  size_t blobs = objects::testing::CountBlobs(store_->root());
  auto dropped = session->OpenUpload("dropped.csv");
  ASSERT_OK(dropped);
  ASSERT_OK((*dropped)->Write(std::string(3000, 'd')));
  ASSERT_OK((*dropped)->Seal());
  EXPECT_EQ(objects::testing::CountBlobs(store_->root()), blobs + 1);
  auto finished = (*dropped)->Finish(false);
  EXPECT_CODE(finished, kUploadAborted);
  EXPECT_FALSE(Exists("alice/dropped.csv"));
  EXPECT_EQ(objects::testing::CountBlobs(store_->root()), blobs);
  ExpectFailedEvent(finished.error(), "SFTP Server File Upload Failed", "PARTIAL_UPLOAD");
}

TEST_F(FileSessionTest, UploadAtAnOffsetIsRefused) {
  auto session = Session(alice_);
  EXPECT_CODE(session->OpenUpload("a.csv", 100), kNotSupported);
}

TEST_F(FileSessionTest, UploadOntoAFolderOrUnderAFileIsRefused) {
  auto session = Session(alice_);
  ASSERT_OK(session->MakeDirectory("dir"));
  ASSERT_OK(Put(*session, "a.csv", "abc"));
  NewEvents();
  auto onto = session->OpenUpload("dir");
  EXPECT_CODE(onto, kIsDirectory);
  if (!onto.ok()) ExpectFailedEvent(onto.error(), "SFTP Server File Upload Failed");
  EXPECT_CODE(session->OpenUpload("a.csv/x"), kNotDirectory);
  EXPECT_CODE(session->OpenUpload("/"), kIsDirectory);
  EXPECT_FALSE(Exists("alice/a.csv/x"));
}

TEST_F(FileSessionTest, UploadNeedsNoFolderAndMakesOne) {
  auto session = Session(alice_);
  ASSERT_OK(Put(*session, "/new/deep/a.csv", "abc"));
  auto info = session->Stat("/new/deep");
  ASSERT_OK(info);
  EXPECT_EQ(info->type, EntryType::kDirectory);
}

// --- limits ---------------------------------------------------------------------------------

TEST_F(FileSessionTest, MaxFileSizeFailsTheWriteThatCrossesIt) {
  alice_.max_file_size = 10;
  auto session = Session(alice_);
  ASSERT_OK(Put(*session, "ten", "0123456789"));  // exactly the limit
  NewEvents();
  auto upload = session->OpenUpload("eleven");
  ASSERT_OK(upload);
  ASSERT_OK((*upload)->Write("012345"));
  auto crossed = (*upload)->Write("6789A");
  EXPECT_CODE(crossed, kFileTooLarge);
  EXPECT_EQ((*upload)->written(), 6);  // the crossing bytes were not taken
  EXPECT_CODE((*upload)->Finish(true), kFileTooLarge);
  EXPECT_FALSE(Exists("alice/eleven"));
  EXPECT_EQ(CountTemp(store_->root()), 0u);
  if (!crossed.ok()) ExpectFailedEvent(crossed.error(), "SFTP Server File Upload Failed");
  upload->reset();
  EXPECT_TRUE(NewEvents().empty());  // one failure, one event
}

TEST_F(FileSessionTest, ByteQuotaCountsTheHomeAndWhatIsReplaced) {
  alice_.quota_bytes = 100;
  auto session = Session(alice_);
  ASSERT_OK(Put(*session, "a", std::string(60, 'a')));
  // Others' files do not count.
  ASSERT_OK(objects::testing::PutBytes(*store_, "bob/big", std::string(500, 'b')));
  NewEvents();

  auto upload = session->OpenUpload("b");
  ASSERT_OK(upload);
  ASSERT_OK((*upload)->Write(std::string(40, 'b')));  // 100: at the quota
  auto crossed = (*upload)->Write("!");
  EXPECT_CODE(crossed, kQuotaExceeded);
  EXPECT_FALSE(Exists("alice/b"));
  if (!crossed.ok()) ExpectFailedEvent(crossed.error(), "SFTP Server File Upload Failed");

  // Replacing "a" frees its 60 bytes.
  ASSERT_OK(Put(*session, "a", std::string(100, 'c')));
  // Now the home is full: a new session counts it again from the store.
  auto other = Session(alice_);
  auto refused = other->OpenUpload("c");
  ASSERT_OK(refused);
  EXPECT_CODE((*refused)->Write("x"), kQuotaExceeded);
  // A zero-byte file still fits the byte quota.
  ASSERT_OK(Put(*other, "empty", ""));
}

TEST_F(FileSessionTest, FileQuotaRefusesTheUploadAtItsStart) {
  alice_.quota_files = 2;
  auto session = Session(alice_);
  ASSERT_OK(session->MakeDirectory("dir"));  // folders are not files
  ASSERT_OK(Put(*session, "dir/a", "a"));
  ASSERT_OK(Put(*session, "b", "b"));
  NewEvents();
  auto third = session->OpenUpload("c");
  EXPECT_CODE(third, kQuotaExceeded);
  if (!third.ok()) ExpectFailedEvent(third.error(), "SFTP Server File Upload Failed");
  ASSERT_OK(Put(*session, "b", "replaced"));  // replacing adds no file
  ASSERT_OK(session->Remove("b"));
  ASSERT_OK(Put(*session, "c", "c"));  // the delete made room
}

// --- downloads ------------------------------------------------------------------------------

TEST_F(FileSessionTest, DownloadReadsTheFileAndRecordsIt) {
  auto session = Session(alice_);
  ASSERT_OK(Put(*session, "in/a.csv", "hello, world"));
  NewEvents();
  auto whole = Get(*session, "in/a.csv");
  ASSERT_OK(whole);
  EXPECT_EQ(*whole, "hello, world");
  auto tail = Get(*session, "in/a.csv", 7);
  ASSERT_OK(tail);
  EXPECT_EQ(*tail, "world");
  auto past = Get(*session, "in/a.csv", 100);
  ASSERT_OK(past);
  EXPECT_EQ(*past, "");

  std::vector<Json> events = NewEvents();
  ASSERT_EQ(Kinds(events), std::vector<std::string>(3, "SFTP Server File Download Completed"));
  const Json& d = *events[0].find("detail");
  EXPECT_EQ(d.find("bytes")->as_int(), 12);
  EXPECT_EQ(d.find("file-path")->as_string(), "/wharf-landing/alice/in/a.csv");
  EXPECT_EQ(d.find("etag")->as_string(), Md5Hex("hello, world"));
  EXPECT_EQ(events[1].find("detail")->find("bytes")->as_int(), 5);
}

TEST_F(FileSessionTest, DownloadGivenUpRecordsPartialDownload) {
  auto session = Session(alice_);
  ASSERT_OK(Put(*session, "a.csv", std::string(100, 'z')));
  NewEvents();
  {
    auto download = session->OpenDownload("a.csv");
    ASSERT_OK(download);
    EXPECT_EQ((*download)->meta().size, 100);
    char part[40];
    auto got = (*download)->ReadInto(part, sizeof part);
    ASSERT_OK(got);
    ASSERT_EQ(*got, 40u);
  }
  std::vector<Json> events = NewEvents();
  ASSERT_EQ(Kinds(events), std::vector<std::string>{"SFTP Server File Download Failed"});
  EXPECT_EQ(events[0].find("detail")->find("failure-code")->as_string(), "PARTIAL_DOWNLOAD");
  EXPECT_EQ(events[0].find("detail")->find("bytes")->as_int(), 40);
}

TEST_F(FileSessionTest, DownloadOfWhatIsNotAFileIsRefused) {
  auto session = Session(alice_);
  ASSERT_OK(session->MakeDirectory("dir"));
  NewEvents();
  auto missing = session->OpenDownload("nope");
  EXPECT_CODE(missing, kNotFound);
  if (!missing.ok()) ExpectFailedEvent(missing.error(), "SFTP Server File Download Failed");
  EXPECT_CODE(session->OpenDownload("dir"), kIsDirectory);
  EXPECT_CODE(session->OpenDownload("/"), kIsDirectory);
}

// --- folders --------------------------------------------------------------------------------

TEST_F(FileSessionTest, MakeDirectoryWritesAMarkerWithItsEvents) {
  auto session = Session(alice_);
  ASSERT_OK(session->MakeDirectory("docs"));
  EXPECT_TRUE(Exists("alice/docs/"));
  std::vector<Json> events = NewEvents();
  ASSERT_EQ(Kinds(events),
            (std::vector<std::string>{"Object Created", "SFTP Server Directory Create Completed"}));
  EXPECT_EQ(events[0].find("detail")->find("object")->find("key")->as_string(), "alice/docs/");
  EXPECT_EQ(events[0].find("detail")->find("object")->find("size")->as_int(), 0);
  const Json& d = *events[1].find("detail");
  EXPECT_EQ(d.find("directory-path")->as_string(), "/wharf-landing/alice/docs");
  EXPECT_EQ(d.find("file-path"), nullptr);

  auto info = session->Stat("/docs");
  ASSERT_OK(info);
  EXPECT_EQ(info->type, EntryType::kDirectory);
  auto listed = session->List("/");
  ASSERT_OK(listed);
  ASSERT_EQ(listed->entries.size(), 1u);
  EXPECT_EQ(listed->entries[0].name, "docs");
  EXPECT_EQ(listed->entries[0].type, EntryType::kDirectory);
  auto inside = session->List("/docs");
  ASSERT_OK(inside);
  EXPECT_TRUE(inside->entries.empty());  // the marker is not an entry

  auto again = session->MakeDirectory("docs");
  EXPECT_CODE(again, kExists);
  if (!again.ok()) ExpectFailedEvent(again.error(), "SFTP Server Directory Create Failed");
  EXPECT_CODE(session->MakeDirectory("/"), kExists);
  ASSERT_OK(Put(*session, "f", "x"));
  EXPECT_CODE(session->MakeDirectory("f"), kExists);
  EXPECT_CODE(session->MakeDirectory("f/sub"), kNotDirectory);
  ASSERT_OK(session->MakeDirectory("a/b/c"));  // no parent needed, as on S3
}

TEST_F(FileSessionTest, RemoveDirectoryRemovesAnEmptyFolderOnly) {
  auto session = Session(alice_);
  ASSERT_OK(session->MakeDirectory("docs"));
  ASSERT_OK(Put(*session, "docs/a", "a"));
  ASSERT_OK(Put(*session, "file", "f"));
  NewEvents();
  auto full = session->RemoveDirectory("docs");
  EXPECT_CODE(full, kNotEmpty);
  if (!full.ok()) ExpectFailedEvent(full.error(), "SFTP Server Directory Delete Failed");
  EXPECT_CODE(session->RemoveDirectory("missing"), kNotFound);
  EXPECT_CODE(session->RemoveDirectory("file"), kNotDirectory);
  EXPECT_CODE(session->RemoveDirectory("/"), kAccessDenied);
  NewEvents();

  ASSERT_OK(session->Remove("docs/a"));
  NewEvents();
  ASSERT_OK(session->RemoveDirectory("docs"));
  EXPECT_FALSE(Exists("alice/docs/"));
  std::vector<Json> events = NewEvents();
  ASSERT_EQ(Kinds(events),
            (std::vector<std::string>{"Object Deleted", "SFTP Server Directory Delete Completed"}));
  EXPECT_EQ(events[0].find("detail")->find("object")->find("key")->as_string(), "alice/docs/");
  EXPECT_EQ(events[1].find("detail")->find("directory-path")->as_string(),
            "/wharf-landing/alice/docs");
  EXPECT_CODE(session->Stat("docs"), kNotFound);
}

TEST_F(FileSessionTest, ChangeDirectoryAndRelativePaths) {
  auto session = Session(alice_);
  ASSERT_OK(session->MakeDirectory("in"));
  ASSERT_OK(Put(*session, "f", "x"));
  ASSERT_OK(session->ChangeDirectory("in"));
  EXPECT_EQ(session->cwd(), "/in");
  ASSERT_OK(Put(*session, "b.csv", "b"));
  EXPECT_TRUE(Exists("alice/in/b.csv"));
  ASSERT_OK(session->ChangeDirectory(".."));
  EXPECT_EQ(session->cwd(), "/");
  EXPECT_CODE(session->ChangeDirectory("nope"), kNotFound);
  EXPECT_CODE(session->ChangeDirectory("f"), kNotDirectory);
  EXPECT_EQ(session->cwd(), "/");
  auto resolved = session->Resolve("in/../in/./b.csv");
  ASSERT_OK(resolved);
  EXPECT_EQ(resolved->path, "/in/b.csv");
  EXPECT_EQ(resolved->key, "alice/in/b.csv");
}

TEST_F(FileSessionTest, StatAndListPages) {
  auto session = Session(alice_);
  ASSERT_OK(Put(*session, "a", "12345"));
  auto info = session->Stat("a");
  ASSERT_OK(info);
  EXPECT_EQ(info->type, EntryType::kFile);
  EXPECT_EQ(info->size, 5);
  EXPECT_EQ(info->path.path, "/a");
  EXPECT_NE(info->modified, TimePoint());
  auto root = session->Stat("/");
  ASSERT_OK(root);
  EXPECT_EQ(root->type, EntryType::kDirectory);
  EXPECT_CODE(session->Stat("b"), kNotFound);
  EXPECT_CODE(session->List("a"), kNotDirectory);
  EXPECT_CODE(session->List("b"), kNotFound);

  for (int i = 0; i < 1005; ++i) {
    ASSERT_OK(objects::testing::PutBytes(*store_, "alice/many/" + std::to_string(10000 + i), "x"));
  }
  size_t seen = 0;
  std::string token;
  int pages = 0;
  do {
    auto page = session->List("many", token);
    ASSERT_OK(page);
    seen += page->entries.size();
    token = page->next_token;
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(seen, 1005u);
  EXPECT_EQ(pages, 2);
}

// --- delete and rename ----------------------------------------------------------------------

TEST_F(FileSessionTest, RemoveDeletesTheFileWithItsEvents) {
  auto session = Session(alice_);
  ASSERT_OK(Put(*session, "a.csv", "abc"));
  ASSERT_OK(session->MakeDirectory("dir"));
  NewEvents();
  ASSERT_OK(session->Remove("a.csv"));
  EXPECT_FALSE(Exists("alice/a.csv"));
  std::vector<Json> events = NewEvents();
  ASSERT_EQ(Kinds(events),
            (std::vector<std::string>{"Object Deleted", "SFTP Server File Delete Completed"}));
  const Json& s3 = *events[0].find("detail");
  EXPECT_EQ(s3.find("object")->find("key")->as_string(), "alice/a.csv");
  EXPECT_EQ(s3.find("reason")->as_string(), "DeleteObject");
  EXPECT_EQ(s3.find("deletion-type")->as_string(), "Permanently Deleted");
  EXPECT_EQ(events[1].find("detail")->find("file-path")->as_string(), "/wharf-landing/alice/a.csv");

  auto missing = session->Remove("a.csv");
  EXPECT_CODE(missing, kNotFound);
  if (!missing.ok()) ExpectFailedEvent(missing.error(), "SFTP Server File Delete Failed");
  EXPECT_CODE(session->Remove("dir"), kIsDirectory);
  EXPECT_CODE(session->Remove("/"), kIsDirectory);
  EXPECT_TRUE(Exists("alice/dir/"));
}

TEST_F(FileSessionTest, RenameMovesAFileWithItsEvents) {
  auto session = Session(alice_);
  ASSERT_OK(Put(*session, "a.csv", "abc"));
  NewEvents();
  ASSERT_OK(session->Rename("a.csv", "/done/b.csv", false));
  EXPECT_FALSE(Exists("alice/a.csv"));
  auto moved = store_->Head("alice/done/b.csv");
  ASSERT_OK(moved);
  EXPECT_EQ(moved->etag, Md5Hex("abc"));
  std::vector<Json> events = NewEvents();
  ASSERT_EQ(Kinds(events), (std::vector<std::string>{"Object Created", "Object Deleted",
                                                     "SFTP Server File Rename Completed"}));
  EXPECT_EQ(events[0].find("detail")->find("object")->find("key")->as_string(), "alice/done/b.csv");
  EXPECT_EQ(events[0].find("detail")->find("object")->find("size")->as_int(), 3);
  EXPECT_EQ(events[0].find("detail")->find("reason")->as_string(), "CopyObject");
  EXPECT_EQ(events[1].find("detail")->find("object")->find("key")->as_string(), "alice/a.csv");
  const Json& d = *events[2].find("detail");
  EXPECT_EQ(d.find("original-file-path")->as_string(), "/wharf-landing/alice/a.csv");
  EXPECT_EQ(d.find("renamed-file-path")->as_string(), "/wharf-landing/alice/done/b.csv");

  ASSERT_OK(session->Rename("/done/b.csv", "/done/b.csv", false));  // onto itself: nothing
  EXPECT_TRUE(NewEvents().empty());
}

TEST_F(FileSessionTest, RenameOntoAnExistingFileReplacesOnlyWhenAsked) {
  auto session = Session(alice_);
  ASSERT_OK(Put(*session, "a", "new"));
  ASSERT_OK(Put(*session, "b", "old"));
  NewEvents();
  auto refused = session->Rename("a", "b", false);
  EXPECT_CODE(refused, kExists);
  if (!refused.ok()) ExpectFailedEvent(refused.error(), "SFTP Server File Rename Failed");
  ASSERT_OK(session->Rename("a", "b", true));
  auto b = objects::testing::GetBytes(*store_, "alice/b");
  ASSERT_OK(b);
  EXPECT_EQ(*b, "new");
  EXPECT_FALSE(Exists("alice/a"));
}

TEST_F(FileSessionTest, RenameRefusals) {
  auto session = Session(alice_);
  ASSERT_OK(Put(*session, "a", "a"));
  ASSERT_OK(Put(*session, "full/x", "x"));
  ASSERT_OK(session->MakeDirectory("empty"));
  NewEvents();
  auto missing = session->Rename("nope", "b", false);
  EXPECT_CODE(missing, kNotFound);
  if (!missing.ok()) ExpectFailedEvent(missing.error(), "SFTP Server File Rename Failed");
  EXPECT_CODE(session->Rename("a", "full", true), kIsDirectory);
  auto folder = session->Rename("full", "full2", false);
  EXPECT_CODE(folder, kNotSupported);
  if (!folder.ok()) {
    EXPECT_NE(folder.error().message.find("not empty"), std::string::npos);
  }
  EXPECT_TRUE(Exists("alice/full/x"));
  EXPECT_CODE(session->Rename("/", "elsewhere", false), kAccessDenied);
  EXPECT_CODE(session->Rename("a", "/", true), kAccessDenied);
  EXPECT_CODE(session->Rename("a", "a/b", false), kNotDirectory);  // under a file
  EXPECT_CODE(session->Rename("empty", "empty/inner", false), kInvalidPath);
  EXPECT_CODE(session->Rename("empty", "a", true), kExists);
  EXPECT_CODE(session->Rename("empty", "full", true), kExists);
}

TEST_F(FileSessionTest, RenameMovesAnEmptyFolder) {
  auto session = Session(alice_);
  ASSERT_OK(session->MakeDirectory("typo"));
  NewEvents();
  ASSERT_OK(session->Rename("typo", "fixed", false));
  EXPECT_FALSE(Exists("alice/typo/"));
  EXPECT_TRUE(Exists("alice/fixed/"));
  std::vector<Json> events = NewEvents();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].find("detail")->find("object")->find("key")->as_string(), "alice/fixed/");
  EXPECT_EQ(events[1].find("detail")->find("object")->find("key")->as_string(), "alice/typo/");
  EXPECT_EQ(events[2].find("detail")->find("original-file-path")->as_string(),
            "/wharf-landing/alice/typo");
  EXPECT_EQ(events[2].find("detail")->find("renamed-file-path")->as_string(),
            "/wharf-landing/alice/fixed");
}

// --- permissions ----------------------------------------------------------------------------

UserConfig Without(UserConfig user, Permission missing) {
  PermissionSet set = PermissionSet::None();
  for (Permission p : kAllPermissions) {
    if (p != missing) set.Add(p);
  }
  user.permissions = set;
  return user;
}

TEST_F(FileSessionTest, EachOperationNeedsItsPermission) {
  {
    auto setup = Session(alice_);
    ASSERT_OK(Put(*setup, "a", "a"));
    ASSERT_OK(setup->MakeDirectory("empty"));
  }
  NewEvents();

  UserConfig no_upload_user = Without(alice_, Permission::kUpload);
  auto no_upload = Session(no_upload_user);
  auto upload = no_upload->OpenUpload("b");
  EXPECT_CODE(upload, kAccessDenied);
  if (!upload.ok()) {
    EXPECT_NE(upload.error().message.find("upload"), std::string::npos);
    ExpectFailedEvent(upload.error(), "SFTP Server File Upload Failed");
  }

  UserConfig no_delete_user = Without(alice_, Permission::kDelete);
  auto no_delete = Session(no_delete_user);
  auto removed = no_delete->Remove("a");
  EXPECT_CODE(removed, kAccessDenied);
  if (!removed.ok()) ExpectFailedEvent(removed.error(), "SFTP Server File Delete Failed");
  EXPECT_CODE(no_delete->RemoveDirectory("empty"), kAccessDenied);
  EXPECT_CODE(no_delete->OpenUpload("a"), kAccessDenied);  // overwriting deletes the old file
  ASSERT_OK(Put(*no_delete, "new", "n"));                  // a new file is fine
  ASSERT_OK(no_delete->Rename("new", "new2", false));
  EXPECT_CODE(no_delete->Rename("new2", "a", true), kAccessDenied);  // replacing deletes
  EXPECT_TRUE(Exists("alice/a"));
  NewEvents();

  UserConfig no_rename_user = Without(alice_, Permission::kRename);
  auto no_rename = Session(no_rename_user);
  auto renamed = no_rename->Rename("a", "c", false);
  EXPECT_CODE(renamed, kAccessDenied);
  if (!renamed.ok()) ExpectFailedEvent(renamed.error(), "SFTP Server File Rename Failed");

  UserConfig no_mkdir_user = Without(alice_, Permission::kMkdir);
  auto no_mkdir = Session(no_mkdir_user);
  auto made = no_mkdir->MakeDirectory("d");
  EXPECT_CODE(made, kAccessDenied);
  if (!made.ok()) ExpectFailedEvent(made.error(), "SFTP Server Directory Create Failed");

  UserConfig no_read_user = Without(alice_, Permission::kRead);
  auto no_read = Session(no_read_user);
  auto read = no_read->OpenDownload("a");
  EXPECT_CODE(read, kAccessDenied);
  if (!read.ok()) ExpectFailedEvent(read.error(), "SFTP Server File Download Failed");

  UserConfig no_list_user = Without(alice_, Permission::kList);
  auto no_list = Session(no_list_user);
  EXPECT_CODE(no_list->List("/"), kAccessDenied);
  EXPECT_CODE(no_list->Stat("a"), kAccessDenied);
  EXPECT_TRUE(NewEvents().empty());  // listing records no event
  auto got = Get(*no_list, "a");     // reading needs no list permission
  ASSERT_OK(got);

  EXPECT_TRUE(Exists("alice/a"));
  EXPECT_FALSE(Exists("alice/b"));
  EXPECT_FALSE(Exists("alice/c"));
  EXPECT_FALSE(Exists("alice/d/"));
}

TEST_F(FileSessionTest, StatUploadShowsASealedUploadAsItWillBeStored) {
  auto session = Session(alice_);
  ASSERT_OK(Put(*session, "in/other.csv", "x"));
  auto upload = session->OpenUpload("in/new.csv");
  ASSERT_OK(upload);
  ASSERT_OK((*upload)->Write("a,b,c\n"));
  ASSERT_OK((*upload)->Seal());
  // Another file: nothing to say; the store has the answer.
  auto other = session->StatUpload(**upload, "/in/other.csv");
  ASSERT_OK(other);
  EXPECT_FALSE(other->has_value());
  // Its own path, however named: the size written and a time that the commit keeps.
  ASSERT_OK(session->ChangeDirectory("in"));
  auto stat = session->StatUpload(**upload, "../in/./new.csv");
  ASSERT_OK(stat);
  ASSERT_TRUE(stat->has_value());
  EXPECT_EQ((*stat)->path.path, "/in/new.csv");
  EXPECT_EQ((*stat)->type, EntryType::kFile);
  EXPECT_EQ((*stat)->size, 6);
  EXPECT_FALSE(Exists("alice/in/new.csv"));
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto stored = (*upload)->Finish(true);
  ASSERT_OK(stored);
  EXPECT_EQ(stored->last_modified, (*stat)->modified);
  auto after = session->Stat("new.csv");
  ASSERT_OK(after);
  EXPECT_EQ(after->size, (*stat)->size);
  EXPECT_EQ(after->modified, (*stat)->modified);

  // It needs the list permission, as Stat does; an escape is refused.
  UserConfig no_list_user = Without(alice_, Permission::kList);
  auto no_list = Session(no_list_user);
  auto hidden = no_list->OpenUpload("hidden.csv");
  ASSERT_OK(hidden);
  EXPECT_CODE(no_list->StatUpload(**hidden, "hidden.csv"), kAccessDenied);
}

// --- escapes --------------------------------------------------------------------------------

TEST_F(FileSessionTest, EscapesAreRefusedByEveryOperation) {
  ASSERT_OK(objects::testing::PutBytes(*store_, "bob/secret", "bob's"));
  auto session = Session(alice_);
  ASSERT_OK(Put(*session, "mine", "m"));
  auto pending = session->OpenUpload("pending");
  ASSERT_OK(pending);
  NewEvents();
  const std::vector<std::string> escapes = {"../bob/secret",
                                            "/../bob/secret",
                                            "a/../../bob/secret",
                                            "..",
                                            "../..",
                                            "..\\bob\\secret",
                                            std::string("a\0b", 3),
                                            "bad\xff",
                                            "\xc0\xaf"
                                            "etc",
                                            "a\x01"};
  for (const std::string& p : escapes) {
    SCOPED_TRACE(p);
    EXPECT_CODE(session->OpenUpload(p), kInvalidPath);
    EXPECT_CODE(session->OpenDownload(p), kInvalidPath);
    EXPECT_CODE(session->Stat(p), kInvalidPath);
    EXPECT_CODE(session->StatUpload(**pending, p), kInvalidPath);
    EXPECT_CODE(session->List(p), kInvalidPath);
    EXPECT_CODE(session->Remove(p), kInvalidPath);
    EXPECT_CODE(session->MakeDirectory(p), kInvalidPath);
    EXPECT_CODE(session->RemoveDirectory(p), kInvalidPath);
    EXPECT_CODE(session->ChangeDirectory(p), kInvalidPath);
    EXPECT_CODE(session->Rename("mine", p, true), kInvalidPath);
    EXPECT_CODE(session->Rename(p, "stolen", true), kInvalidPath);
  }
  EXPECT_EQ(session->cwd(), "/");
  EXPECT_TRUE(NewEvents().empty());  // a path that names no file records no event
  auto secret = objects::testing::GetBytes(*store_, "bob/secret");
  ASSERT_OK(secret);
  EXPECT_EQ(*secret, "bob's");
  EXPECT_TRUE(Exists("alice/mine"));
  EXPECT_FALSE(Exists("alice/stolen"));

  // An absolute path is absolute in the user's view: it lands in the home.
  ASSERT_OK(Put(*session, "/etc/passwd", "not the host's"));
  EXPECT_TRUE(Exists("alice/etc/passwd"));
  // Percent signs are not decoded.
  ASSERT_OK(Put(*session, "%2e%2e%2fbob", "x"));
  EXPECT_TRUE(Exists("alice/%2e%2e%2fbob"));
  // Every key the session wrote is in the home.
  objects::ListQuery all;
  auto page = store_->List(all);
  ASSERT_OK(page);
  for (const objects::ObjectMeta& o : page->objects) {
    EXPECT_TRUE(o.key.starts_with("alice/") || o.key == "bob/secret") << o.key;
  }
}

TEST_F(FileSessionTest, AHomeOfTheWholeStore) {
  UserConfig admin;
  admin.name = "admin";
  admin.home = "";
  auto session = Session(admin);
  ASSERT_OK(Put(*session, "top.csv", "t"));
  EXPECT_TRUE(Exists("top.csv"));
  NewEvents();
  ASSERT_OK(session->MakeDirectory("d"));
  std::vector<Json> events = NewEvents();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].find("detail")->find("directory-path")->as_string(), "/wharf-landing/d");
  EXPECT_CODE(session->OpenUpload("../x"), kInvalidPath);
}

}  // namespace
}  // namespace wharf::ingest
