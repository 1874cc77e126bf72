// LocalObjectStore: every operation, metadata, ranges, events, and keys that try to escape.
#include "objects/local_store.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "objects/objects_testing.h"

namespace wharf::objects {
namespace {

using testing::At;
using testing::CountBlobs;
using testing::CountTemp;
using testing::Event;
using testing::FilesUnder;
using testing::GetBytes;
using testing::Md5Hex;
using testing::OpenStore;
using testing::PutBytes;
using testing::TempDir;

class LocalStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.path() + "/objects";
    auto store = OpenStore(root_, durability_, &clock_);
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(*store);
  }
  void Reopen() {
    store_.reset();
    auto store = OpenStore(root_, durability_, &clock_);
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(*store);
  }
  std::vector<ObjectEvent> AllEvents() {
    auto events = store_->ReadEvents(1000, 0);
    EXPECT_TRUE(events.ok());
    return events.ok() ? *events : std::vector<ObjectEvent>{};
  }

  TempDir dir_;
  std::string root_;
  // Most tests skip the fsyncs, which a busy disk can make slow; PowerLossDurability uses them.
  Durability durability_ = Durability::kProcessCrash;
  VirtualClock clock_{At(0)};
  std::unique_ptr<LocalObjectStore> store_;
};

TEST_F(LocalStoreTest, PutThenHeadAndGetReturnBytesAndMetadata) {
  clock_.AdvanceTo(At(60) + std::chrono::microseconds(1500));
  ObjectMeta meta;
  meta.key = "inbox/report.csv";
  meta.content_type = "text/csv";
  meta.uploaded_by = "partner1";
  meta.protocol = "FTPS";
  auto writer = store_->Put(meta);
  ASSERT_TRUE(writer.ok()) << writer.error().message;
  ASSERT_TRUE((*writer)->Write("hel").ok());
  ASSERT_TRUE((*writer)->Write("").ok());
  ASSERT_TRUE((*writer)->Write("lo").ok());
  EXPECT_EQ((*writer)->written(), 5);
  // Not visible before the commit.
  EXPECT_EQ(store_->Head("inbox/report.csv").error().code, errc::kNoSuchKey);
  auto committed = (*writer)->Commit({});
  ASSERT_TRUE(committed.ok()) << committed.error().message;
  EXPECT_EQ(committed->size, 5);
  EXPECT_EQ(committed->etag, "5d41402abc4b2a76b9719d911017c592");  // MD5("hello")
  EXPECT_EQ(committed->last_modified, At(60) + std::chrono::milliseconds(1));

  auto head = store_->Head("inbox/report.csv");
  ASSERT_TRUE(head.ok()) << head.error().message;
  EXPECT_EQ(head->key, "inbox/report.csv");
  EXPECT_EQ(head->size, 5);
  EXPECT_EQ(head->etag, "5d41402abc4b2a76b9719d911017c592");
  EXPECT_EQ(head->content_type, "text/csv");
  EXPECT_EQ(head->uploaded_by, "partner1");
  EXPECT_EQ(head->protocol, "FTPS");
  EXPECT_EQ(head->last_modified, committed->last_modified);
  EXPECT_EQ(*GetBytes(*store_, "inbox/report.csv"), "hello");

  // The metadata and bytes survive a reopen.
  Reopen();
  EXPECT_EQ(store_->Head("inbox/report.csv")->etag, "5d41402abc4b2a76b9719d911017c592");
  EXPECT_EQ(*GetBytes(*store_, "inbox/report.csv"), "hello");
  EXPECT_EQ(CountTemp(root_), 0u);
}

// The same operations with every fsync on (kPowerLoss), then a reopen.
TEST_F(LocalStoreTest, PowerLossDurability) {
  durability_ = Durability::kPowerLoss;
  Reopen();
  ASSERT_TRUE(PutBytes(*store_, "a", "one", {Event("Object Created", "a")}).ok());
  ASSERT_TRUE(PutBytes(*store_, "a", "two").ok());
  ASSERT_TRUE(store_->Copy("a", "b", {}).ok());
  ASSERT_TRUE(store_->Rename("b", "c", {}).ok());
  ASSERT_TRUE(PutBytes(*store_, "d", "dee").ok());
  ASSERT_TRUE(store_->Delete("d", {}).ok());
  Reopen();
  EXPECT_EQ(*GetBytes(*store_, "a"), "two");
  EXPECT_EQ(*GetBytes(*store_, "c"), "two");
  EXPECT_EQ(store_->Head("b").error().code, errc::kNoSuchKey);
  EXPECT_EQ(store_->Head("d").error().code, errc::kNoSuchKey);
  EXPECT_EQ(CountBlobs(root_), 2u);
  EXPECT_EQ(AllEvents().size(), 1u);
  EXPECT_EQ(store_->swept_at_open(), 0);
}

TEST_F(LocalStoreTest, EmptyAndLargeObjectsAndDefaultContentType) {
  auto empty = PutBytes(*store_, "empty", "");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->etag, "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(empty->content_type, "application/octet-stream");
  EXPECT_EQ(*GetBytes(*store_, "empty"), "");

  std::string big;
  for (int i = 0; i < 3 * 1024 * 1024 + 7; ++i) big += static_cast<char>((i * 131) % 251);
  auto put = PutBytes(*store_, "big.bin", big, {}, 100000);
  ASSERT_TRUE(put.ok());
  EXPECT_EQ(put->size, static_cast<int64_t>(big.size()));
  EXPECT_EQ(put->etag, Md5Hex(big));
  EXPECT_EQ(*GetBytes(*store_, "big.bin", std::nullopt, 12345), big);
}

// From the first big piece on, an upload's pieces are hashed on a second thread, from copies, while
// the writer goes on; before it, in line. Mixed in one upload, in order, they must give the MD5 of
// the whole, though the caller overwrites each piece as soon as Write returns (more big pieces
// than the hasher holds, so the writer also waits for it), and an aborted writer with a piece
// hashed that way must clean up.
TEST_F(LocalStoreTest, EtagOfBigAndSmallPiecesMixed) {
  std::string all;
  ObjectMeta meta;
  meta.key = "mixed.bin";
  auto writer = store_->Put(meta);
  ASSERT_TRUE(writer.ok());
  std::vector<size_t> sizes = {1, 300 * 1024, 7, 128 * 1024, 128 * 1024 - 1, 2 * 1024 * 1024, 3};
  sizes.insert(sizes.end(), 8, 256 * 1024);
  sizes.push_back(5);
  int n = 0;
  std::string piece;
  for (size_t size : sizes) {
    piece.clear();
    for (size_t i = 0; i < size; ++i) piece += static_cast<char>((i * 7 + ++n) % 256);
    all += piece;
    ASSERT_TRUE((*writer)->Write(piece).ok());
    std::fill(piece.begin(), piece.end(), '!');
  }
  auto committed = (*writer)->Commit({});
  ASSERT_TRUE(committed.ok()) << committed.error().message;
  EXPECT_EQ(committed->etag, Md5Hex(all));
  EXPECT_EQ(*GetBytes(*store_, "mixed.bin"), all);

  meta.key = "dropped.bin";
  auto dropped = store_->Put(meta);
  ASSERT_TRUE(dropped.ok());
  ASSERT_TRUE((*dropped)->Write(std::string(512 * 1024, 'x')).ok());
  (*dropped)->Abort();
  dropped->reset();
  EXPECT_FALSE(store_->Head("dropped.bin").ok());
}

// `wharf cat` reads an object while the serving process holds the store.
TEST_F(LocalStoreTest, PeekObjectReadsWithoutTheLock) {
  ASSERT_TRUE(PutBytes(*store_, "in/a.csv", "sku,price\n").ok());
  auto reader = LocalObjectStore::PeekObject(store_->root(), "in/a.csv");
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  EXPECT_EQ((*reader)->meta().size, 10);
  EXPECT_EQ(*(*reader)->Read(100), "sku,price\n");
  // Replaced after the open: the reader keeps its version, a new peek sees the new one.
  ASSERT_TRUE(PutBytes(*store_, "in/a.csv", "second").ok());
  EXPECT_EQ(*(*reader)->Read(100), "");
  EXPECT_EQ(*(*LocalObjectStore::PeekObject(store_->root(), "in/a.csv"))->Read(100), "second");
  EXPECT_EQ(LocalObjectStore::PeekObject(store_->root(), "in/none.csv").error().code, "NoSuchKey");
  EXPECT_EQ(LocalObjectStore::PeekObject(store_->root(), "../x").error().code,
            ValidateKey("../x").error().code);
}

TEST_F(LocalStoreTest, PutReplacesAndRemovesTheOldBytes) {
  ASSERT_TRUE(PutBytes(*store_, "k", "first version").ok());
  ASSERT_TRUE(PutBytes(*store_, "k", "second").ok());
  EXPECT_EQ(*GetBytes(*store_, "k"), "second");
  EXPECT_EQ(store_->Head("k")->size, 6);
  EXPECT_EQ(CountBlobs(root_), 1u);
}

TEST_F(LocalStoreTest, ReaderKeepsItsVersionWhileTheKeyIsReplacedOrDeleted) {
  ASSERT_TRUE(PutBytes(*store_, "k", "old bytes").ok());
  auto reader = store_->Get("k", std::nullopt);
  ASSERT_TRUE(reader.ok());
  ASSERT_TRUE(PutBytes(*store_, "k", "new bytes, longer").ok());
  ASSERT_TRUE(store_->Delete("k", {}).ok());
  EXPECT_EQ(*(*reader)->Read(100), "old bytes");
  EXPECT_EQ((*reader)->meta().etag, Md5Hex("old bytes"));
  EXPECT_EQ(*(*reader)->Read(100), "");
}

TEST_F(LocalStoreTest, ByteRangesAsS3) {
  ASSERT_TRUE(PutBytes(*store_, "ten", "0123456789").ok());
  auto range = [&](int64_t first, std::optional<int64_t> last) {
    return GetBytes(*store_, "ten", ByteRange{first, last}, 3);
  };
  EXPECT_EQ(*range(0, 0), "0");
  EXPECT_EQ(*range(0, 9), "0123456789");
  EXPECT_EQ(*range(2, 5), "2345");
  EXPECT_EQ(*range(9, std::nullopt), "9");
  EXPECT_EQ(*range(4, std::nullopt), "456789");
  EXPECT_EQ(*range(5, 100), "56789");  // a last past the end is the end
  for (auto [first, last] : std::vector<std::pair<int64_t, std::optional<int64_t>>>{
           {10, std::nullopt}, {10, 12}, {11, std::nullopt}, {-1, std::nullopt}, {5, 4}}) {
    auto r = range(first, last);
    ASSERT_FALSE(r.ok()) << first;
    EXPECT_EQ(r.error().code, errc::kInvalidRange);
    EXPECT_NE(r.error().message.find("10 bytes"), std::string::npos) << r.error().message;
  }
  ASSERT_TRUE(PutBytes(*store_, "empty", "").ok());
  EXPECT_EQ(GetBytes(*store_, "empty", ByteRange{0, std::nullopt}).error().code,
            errc::kInvalidRange);
  auto reader = store_->Get("ten", ByteRange{2, 5});
  EXPECT_EQ((*reader)->meta().size, 10);  // the whole object's size, whatever the range

  // ReadInto: the same bytes into the caller's buffer, short only at the range's end.
  char buffer[3] = {'x', 'x', 'x'};
  auto first = (*reader)->ReadInto(buffer, 3);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, 3u);
  EXPECT_EQ(std::string_view(buffer, 3), "234");
  auto last = (*reader)->ReadInto(buffer, 3);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, 1u);
  EXPECT_EQ(buffer[0], '5');
  EXPECT_EQ(*(*reader)->ReadInto(buffer, 3), 0u);  // the end
  EXPECT_EQ(*(*reader)->Read(3), "");
}

TEST_F(LocalStoreTest, MissingKeysAndInvalidKeys) {
  EXPECT_EQ(store_->Head("nope").error().code, errc::kNoSuchKey);
  EXPECT_NE(store_->Head("nope").error().message.find("'nope'"), std::string::npos);
  EXPECT_EQ(store_->Get("nope", std::nullopt).error().code, errc::kNoSuchKey);
  EXPECT_EQ(store_->Copy("nope", "x", {}).error().code, errc::kNoSuchKey);
  EXPECT_EQ(store_->Rename("nope", "x", {}).error().code, errc::kNoSuchKey);
  EXPECT_TRUE(store_->Delete("nope", {Event("Object Deleted", "{}")}).ok());
  EXPECT_TRUE(AllEvents().empty());  // nothing was deleted, nothing is announced

  ObjectMeta meta;
  meta.key = "a/../b";
  EXPECT_EQ(store_->Put(meta).error().code, errc::kInvalidKey);
  EXPECT_EQ(store_->Head("").error().code, errc::kInvalidKey);
  EXPECT_EQ(store_->Get("/etc/passwd", std::nullopt).error().code, errc::kInvalidKey);
  EXPECT_EQ(store_->Delete("..", {}).error().code, errc::kInvalidKey);
  EXPECT_EQ(store_->Rename("ok", "../x", {}).error().code, errc::kInvalidKey);
  EXPECT_EQ(store_->Copy("../x", "ok", {}).error().code, errc::kInvalidKey);
}

TEST_F(LocalStoreTest, DeleteCopyRename) {
  clock_.AdvanceTo(At(10));
  ASSERT_TRUE(PutBytes(*store_, "a", "alpha").ok());
  clock_.AdvanceTo(At(20));
  auto copied = store_->Copy("a", "dir/b", {});
  ASSERT_TRUE(copied.ok()) << copied.error().message;
  EXPECT_EQ(copied->key, "dir/b");
  EXPECT_EQ(copied->etag, Md5Hex("alpha"));
  EXPECT_EQ(copied->uploaded_by, "alice");
  EXPECT_EQ(copied->last_modified, At(20));
  EXPECT_EQ(*GetBytes(*store_, "dir/b"), "alpha");
  EXPECT_EQ(CountBlobs(root_), 2u);

  // Deleting one copy leaves the other whole.
  ASSERT_TRUE(store_->Delete("a", {}).ok());
  EXPECT_EQ(store_->Head("a").error().code, errc::kNoSuchKey);
  EXPECT_EQ(*GetBytes(*store_, "dir/b"), "alpha");
  EXPECT_EQ(CountBlobs(root_), 1u);

  // Rename moves the metadata unchanged, time included, and replaces what was at the target.
  clock_.AdvanceTo(At(30));
  ASSERT_TRUE(PutBytes(*store_, "c", "gamma").ok());
  auto renamed = store_->Rename("dir/b", "c", {});
  ASSERT_TRUE(renamed.ok()) << renamed.error().message;
  EXPECT_EQ(renamed->key, "c");
  EXPECT_EQ(renamed->last_modified, At(20));
  EXPECT_EQ(store_->Head("dir/b").error().code, errc::kNoSuchKey);
  EXPECT_EQ(*GetBytes(*store_, "c"), "alpha");
  EXPECT_EQ(store_->Head("c")->last_modified, At(20));
  EXPECT_EQ(CountBlobs(root_), 1u);

  // Onto itself: no change.
  EXPECT_EQ(store_->Rename("c", "c", {Event("x", "{}")})->etag, Md5Hex("alpha"));
  // Copy onto itself gives a new time (as S3's copy in place).
  clock_.AdvanceTo(At(40));
  EXPECT_EQ(store_->Copy("c", "c", {})->last_modified, At(40));
  EXPECT_EQ(*GetBytes(*store_, "c"), "alpha");
  EXPECT_EQ(CountBlobs(root_), 1u);
  EXPECT_EQ(AllEvents().size(), 0u);
}

TEST_F(LocalStoreTest, WriterLifecycle) {
  ObjectMeta meta;
  meta.key = "w";
  auto writer = store_->Put(meta);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Write("abc").ok());
  EXPECT_EQ(CountTemp(root_), 1u);
  (*writer)->Abort();
  EXPECT_EQ(CountTemp(root_), 0u);
  EXPECT_FALSE((*writer)->Write("x").ok());
  EXPECT_FALSE((*writer)->Commit({}).ok());
  EXPECT_EQ(store_->Head("w").error().code, errc::kNoSuchKey);

  // A writer dropped without Commit (a connection cut mid-upload) leaves nothing.
  {
    auto dropped = store_->Put(meta);
    ASSERT_TRUE((*dropped)->Write(std::string(100000, 'z')).ok());
    ASSERT_EQ(CountTemp(root_), 1u);
  }
  EXPECT_EQ(CountTemp(root_), 0u);
  EXPECT_EQ(CountBlobs(root_), 0u);
  EXPECT_EQ(store_->Head("w").error().code, errc::kNoSuchKey);

  // After a commit the writer is finished.
  auto done = store_->Put(meta);
  ASSERT_TRUE((*done)->Commit({}).ok());
  EXPECT_EQ((*done)->Write("more").error().code, errc::kInvalidArgument);
  EXPECT_FALSE((*done)->Commit({}).ok());
  EXPECT_EQ(store_->Head("w")->size, 0);
}

TEST_F(LocalStoreTest, ASealedWriterIsDurableButInvisibleUntilItsCommit) {
  ObjectMeta meta;
  meta.key = "sealed";
  auto writer = store_->Put(meta);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Write("hello").ok());
  ASSERT_TRUE((*writer)->Seal().ok());
  EXPECT_TRUE((*writer)->Seal().ok());  // again: nothing to do
  // The bytes are in blobs/, out of tmp/, and no key shows them yet.
  EXPECT_EQ(CountTemp(root_), 0u);
  EXPECT_EQ(CountBlobs(root_), 1u);
  EXPECT_EQ(store_->Head("sealed").error().code, errc::kNoSuchKey);
  EXPECT_EQ((*writer)->Write("more").error().code, errc::kInvalidArgument);
  auto stored = (*writer)->Commit({});
  ASSERT_TRUE(stored.ok()) << stored.error().message;
  EXPECT_EQ(stored->size, 5);
  EXPECT_EQ(stored->etag, testing::Md5Hex("hello"));
  EXPECT_EQ(store_->Head("sealed")->etag, stored->etag);

  // A sealed writer given up, or dropped, leaves no blob behind.
  auto abandoned = store_->Put(meta);
  ASSERT_TRUE((*abandoned)->Write("other bytes").ok());
  ASSERT_TRUE((*abandoned)->Seal().ok());
  EXPECT_EQ(CountBlobs(root_), 2u);
  (*abandoned)->Abort();
  EXPECT_EQ(CountBlobs(root_), 1u);
  {
    auto dropped = store_->Put(meta);
    ASSERT_TRUE((*dropped)->Seal().ok());
    EXPECT_EQ(CountBlobs(root_), 2u);
  }
  EXPECT_EQ(CountBlobs(root_), 1u);
  EXPECT_EQ(store_->Head("sealed")->size, 5);
}

TEST_F(LocalStoreTest, FixModifiedSetsTheTimeTheCommitStores) {
  ObjectMeta meta;
  meta.key = "fixed";
  clock_.AdvanceTo(At(100) + std::chrono::microseconds(2500));
  auto writer = store_->Put(meta);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Write("bytes").ok());
  ASSERT_TRUE((*writer)->Seal().ok());
  clock_.AdvanceTo(At(110) + std::chrono::microseconds(1500));
  // Milliseconds, as the index keeps them; the first call fixes it.
  TimePoint fixed = At(110) + std::chrono::milliseconds(1);
  EXPECT_EQ((*writer)->FixModified(), fixed);
  clock_.AdvanceTo(At(120));
  EXPECT_EQ((*writer)->FixModified(), fixed);
  clock_.AdvanceTo(At(130));
  auto stored = (*writer)->Commit({Event("created", "{}")});
  ASSERT_TRUE(stored.ok()) << stored.error().message;
  EXPECT_EQ(stored->last_modified, fixed);
  EXPECT_EQ(store_->Head("fixed")->last_modified, fixed);

  // Without a call, the commit's own time.
  auto later = store_->Put(meta);
  ASSERT_TRUE((*later)->Write("more bytes").ok());
  clock_.AdvanceTo(At(140));
  ASSERT_TRUE((*later)->Commit({}).ok());
  EXPECT_EQ(store_->Head("fixed")->last_modified, At(140));
}

TEST_F(LocalStoreTest, WritersAndReadersMayOutliveTheStore) {
  ObjectMeta meta;
  meta.key = "late";
  auto writer = store_->Put(meta);
  ASSERT_TRUE(writer.ok());
  store_.reset();
  ASSERT_TRUE((*writer)->Write("still here").ok());
  ASSERT_TRUE((*writer)->Commit({}).ok());
  writer->reset();
  Reopen();
  EXPECT_EQ(*GetBytes(*store_, "late"), "still here");
}

TEST_F(LocalStoreTest, ASecondStoreOnTheSameRootIsRefused) {
  auto second = OpenStore(root_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, errc::kStorageFailure);
  EXPECT_NE(
      second.error().message.find("in use by another store (pid " + std::to_string(::getpid())),
      std::string::npos)
      << second.error().message;
}

TEST_F(LocalStoreTest, EventsCommitWithTheirChangeAndSeeItsMetadata) {
  clock_.AdvanceTo(At(100));
  auto put = PutBytes(*store_, "in/a.csv", "x,y\n1,2\n", [](const ObjectMeta& m) {
    return std::vector<ObjectEvent>{
        Event("SFTP Server File Upload Completed", "{\"file-path\":\"/" + m.key + "\"}"),
        Event("Object Created", fmt::format("{{\"size\":{},\"etag\":\"{}\"}}", m.size, m.etag))};
  });
  ASSERT_TRUE(put.ok());
  auto copied = store_->Copy("in/a.csv", "out/a.csv", [](const ObjectMeta& m) {
    return std::vector<ObjectEvent>{Event("Object Created", m.key + " " + m.etag)};
  });
  ASSERT_TRUE(copied.ok());
  ASSERT_TRUE(store_
                  ->Rename("out/a.csv", "done/a.csv",
                           [](const ObjectMeta& m) {
                             return std::vector<ObjectEvent>{Event("Object Renamed", m.key)};
                           })
                  .ok());
  ObjectEvent fixed = Event("Object Deleted", "{\"key\":\"in/a.csv\"}");
  fixed.time = At(5);
  ASSERT_TRUE(store_->Delete("in/a.csv", {fixed}).ok());

  std::vector<ObjectEvent> events = AllEvents();
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0].kind, "SFTP Server File Upload Completed");
  EXPECT_EQ(events[0].payload, "{\"file-path\":\"/in/a.csv\"}");
  EXPECT_EQ(events[1].payload, "{\"size\":8,\"etag\":\"" + Md5Hex("x,y\n1,2\n") + "\"}");
  EXPECT_EQ(events[1].time, At(100));  // no time given: the commit's
  EXPECT_EQ(events[2].payload, "out/a.csv " + Md5Hex("x,y\n1,2\n"));
  EXPECT_EQ(events[3].payload, "done/a.csv");
  EXPECT_EQ(events[4].kind, "Object Deleted");
  EXPECT_EQ(events[4].time, At(5));  // a given time is kept
  for (size_t i = 1; i < events.size(); ++i) EXPECT_GT(events[i].seq, events[i - 1].seq);

  // Reading after a seq, in pages; delivered events leave the outbox; seqs are never reused.
  auto after = store_->ReadEvents(2, events[1].seq);
  ASSERT_EQ(after->size(), 2u);
  EXPECT_EQ((*after)[0].seq, events[2].seq);
  ASSERT_TRUE(store_->MarkEventsDelivered({events[0].seq, events[1].seq, 99999}).ok());
  EXPECT_EQ(AllEvents().size(), 3u);
  ASSERT_TRUE(store_->MarkEventsDelivered({events[2].seq, events[3].seq, events[4].seq}).ok());
  EXPECT_TRUE(AllEvents().empty());
  Reopen();
  ASSERT_TRUE(PutBytes(*store_, "again", "1", {Event("Object Created", "again")}).ok());
  ASSERT_EQ(AllEvents().size(), 1u);
  EXPECT_GT(AllEvents()[0].seq, events[4].seq);
}

TEST_F(LocalStoreTest, ListArgumentsAreChecked) {
  ListQuery q;
  q.max_keys = 0;
  EXPECT_EQ(store_->List(q).error().code, errc::kInvalidArgument);
  q.max_keys = 5000;  // taken as 1000
  EXPECT_TRUE(store_->List(q).ok());
  q.prefix = "\xC0\xAE";
  EXPECT_EQ(store_->List(q).error().code, errc::kInvalidArgument);
}

// Every escape attempt: the ones ValidateKey refuses, and the ones it accepts as literal keys,
// which must land inside the index like any other key. Afterwards nothing exists outside the root
// and the root holds only the store's own layout.
TEST_F(LocalStoreTest, NoKeyReachesOutsideTheRoot) {
  std::ofstream(dir_.path() + "/secret") << "secret";
  const std::vector<std::string> refused = {
      "..",
      "../secret",
      "../../etc/passwd",
      "/abs",
      "/etc/passwd",
      "a/../../x",
      "a/./b",
      "./a",
      "a//b",
      std::string("..\0/x", 5),
      std::string("a\0", 2),
      "\xC0\xAE\xC0\xAE/secret",             // overlong '.'
      std::string("..\xC0\xAF") + "secret",  // overlong '/'
      "\xE0\x80\xAE\xE0\x80\xAE/x",          // overlong '.' in 3 bytes
      "\xED\xA0\x80/x",                      // lone surrogate
      "\xF4\x90\x80\x80",                    // past U+10FFFF
      std::string(1025, 'a'),
  };
  for (const std::string& key : refused) {
    ObjectMeta meta;
    meta.key = key;
    auto put = store_->Put(meta);
    ASSERT_FALSE(put.ok()) << testing::FilesUnder(root_).size();
    EXPECT_EQ(put.error().code, errc::kInvalidKey);
    EXPECT_EQ(store_->Head(key).error().code, errc::kInvalidKey);
  }
  const std::vector<std::string> literal = {
      "%2e%2e/%2e%2e/secret",
      "%2e%2e%2fsecret",
      "..%2fsecret",
      "..\\..\\secret",
      "a\\..\\..\\x",
      "...",
      "..../x",
      "~/x",
      "$HOME/x",
      "a/..b",
      "C:\\Windows\\x",
      "\\\\server\\share",
      "sub/",
      "spaces and  tabs\t/日本/😀 #?%&.txt",
      std::string(300, 'n') + "/" + std::string(300, 'm'),
  };
  for (const std::string& key : literal) {
    auto put = PutBytes(*store_, key, "literal:" + key);
    ASSERT_TRUE(put.ok()) << key << ": " << put.error().message;
    EXPECT_EQ(*GetBytes(*store_, key), "literal:" + key);
  }
  auto renamed = store_->Rename("%2e%2e/%2e%2e/secret", "..\\renamed", {});
  ASSERT_TRUE(renamed.ok());
  ASSERT_TRUE(store_->Copy("..\\renamed", "..%2fcopy", {}).ok());

  // Outside the root: only what was there.
  std::vector<std::string> outside;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
    outside.push_back(e.path().filename().string());
  }
  std::sort(outside.begin(), outside.end());
  EXPECT_EQ(outside, (std::vector<std::string>{"objects", "secret"}));
  std::ifstream secret(dir_.path() + "/secret");
  std::string text((std::istreambuf_iterator<char>(secret)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "secret");
  // Inside: the index, the lock, and blobs named by id.
  for (const std::string& file : FilesUnder(root_)) {
    bool layout = file == "lock" || file.starts_with("index.db");
    if (file.starts_with("blobs/")) {
      std::string id = file.substr(9);
      layout = file.size() == 9 + 32 && file.substr(6, 2) == id.substr(0, 2) &&
               id.find_first_not_of("0123456789abcdef") == std::string::npos;
    }
    EXPECT_TRUE(layout) << file;
  }
  EXPECT_EQ(CountBlobs(root_), literal.size() + 1);
}

}  // namespace
}  // namespace wharf::objects

namespace wharf::objects {
namespace {

// `wharf events` reads the outbox while `wharf serve` holds the store.
TEST(LocalStorePeek, EventsCanBeReadWhileTheStoreIsOpen) {
  testing::TempDir dir;
  std::string root = dir.path() + "/objects";
  auto none = LocalObjectStore::PeekEvents(root, 10, 0);
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_TRUE(none->empty());
  auto store = testing::OpenStore(root);
  ASSERT_TRUE(store.ok());
  ObjectEvent created{0, "Object Created", R"({"key":"a"})", {}};
  ASSERT_TRUE(testing::PutBytes(**store, "a", "bytes", {created}).ok());
  ASSERT_TRUE((*store)->CommitEvents({ObjectEvent{0, "Download", "{}", {}}}).ok());
  auto events = LocalObjectStore::PeekEvents(root, 10, 0);
  ASSERT_TRUE(events.ok()) << events.error().message;
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].kind, "Object Created");
  EXPECT_EQ((*events)[1].kind, "Download");
  auto after = LocalObjectStore::PeekEvents(root, 10, (*events)[0].seq);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->size(), 1u);
}

}  // namespace
}  // namespace wharf::objects
