// LocalObjectStore under crashes, failures and concurrency: a child process killed mid-put or at
// random moments, blobs orphaned by a crash, a disk that fills (RLIMIT_FSIZE makes writes past a
// size fail with EFBIG, as a full disk fails them with ENOSPC), and writers racing on keys.
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "objects/objects_testing.h"

namespace wharf::objects {
namespace {

using testing::CountBlobs;
using testing::CountTemp;
using testing::Event;
using testing::GetBytes;
using testing::Md5Hex;
using testing::OpenStore;
using testing::PutBytes;
using testing::TempDir;

// Runs `child` in a forked process, which exits with its return value.
pid_t Spawn(const std::function<int()>& child) {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(child());
  return pid;
}

// Waits for one byte from `fd` for up to 10 s; false on timeout or EOF.
bool AwaitByte(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 10000) != 1) return false;
  char c;
  return ::read(fd, &c, 1) == 1;
}

void KillAndReap(pid_t pid) {
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
}

TEST(LocalCrash, AChildKilledMidPutLeavesNoTrace) {
  TempDir dir;
  std::string root = dir.path() + "/objects";
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t pid = Spawn([&]() -> int {
    auto store = OpenStore(root, Durability::kPowerLoss);
    if (!store.ok()) return 3;
    if (!PutBytes(**store, "keep", "kept", {Event("Object Created", "keep")}).ok()) return 4;
    ObjectMeta meta;
    meta.key = "partial";
    auto writer = (*store)->Put(meta);
    if (!writer.ok() || !(*writer)->Write(std::string(1 << 20, 'p')).ok()) return 5;
    if (::write(fds[1], "x", 1) != 1) return 6;
    ::pause();
    return 7;
  });
  ::close(fds[1]);
  ASSERT_TRUE(AwaitByte(fds[0])) << "the child did not get mid-put";
  KillAndReap(pid);
  ::close(fds[0]);
  ASSERT_EQ(CountTemp(root), 1u);  // what the crash left

  auto store = OpenStore(root);
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ(CountTemp(root), 0u);
  EXPECT_EQ((*store)->Head("partial").error().code, errc::kNoSuchKey);
  EXPECT_EQ(*GetBytes(**store, "keep"), "kept");
  EXPECT_EQ(CountBlobs(root), 1u);
  auto events = (*store)->ReadEvents(100, 0);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].payload, "keep");
  auto list = (*store)->List(ListQuery{});
  ASSERT_EQ(list->objects.size(), 1u);
}

// A crash between a put's rename into blobs/ and its commit (or between a replacement's commit
// and the unlink of the old bytes) leaves a blob no row references: the next open removes it.
TEST(LocalCrash, BlobsOrphanedByACrashAreSweptAtOpen) {
  TempDir dir;
  std::string root = dir.path() + "/objects";
  const std::string orphan = root + "/blobs/ab/ab0123456789abcdef0123456789abcd";
  pid_t pid = Spawn([&]() -> int {
    auto store = OpenStore(root);
    if (!store.ok()) return 3;
    if (!PutBytes(**store, "a", "version 1").ok()) return 4;
    if (!PutBytes(**store, "b", "bee").ok()) return 4;
    std::ofstream(orphan) << "bytes that never committed";
    std::ofstream(root + "/tmp/0123") << "an upload in progress";
    ::_exit(0);  // no destructor runs: the store does not close cleanly
  });
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_EQ(CountBlobs(root), 3u);

  auto store = OpenStore(root);
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ((*store)->swept_at_open(), 1);
  EXPECT_FALSE(std::filesystem::exists(orphan));
  EXPECT_EQ(CountTemp(root), 0u);
  EXPECT_EQ(CountBlobs(root), 2u);
  EXPECT_EQ(*GetBytes(**store, "a"), "version 1");
  EXPECT_EQ(*GetBytes(**store, "b"), "bee");

  // After a clean close nothing needs sweeping.
  store->reset();
  store = OpenStore(root);
  EXPECT_EQ((*store)->swept_at_open(), 0);
}

std::string Content(int round, int i) {
  size_t size = static_cast<size_t>((i * 7919 + round * 104729) % 300000);
  std::string out(size, '\0');
  for (size_t j = 0; j < size; ++j) out[j] = static_cast<char>('a' + (i + j) % 26);
  return out;
}

std::string KeyOf(int round, int i) { return fmt::format("r{}/k{:05}", round, i); }

// A child commits puts in a loop (each with its event, built from the stored metadata) and
// reports each commit; it is killed at a random moment. The reopened store must hold every
// reported object whole, at most the one in flight besides, each with exactly its one event, and
// no stray file.
TEST(LocalCrash, KilledAtRandomMomentsKeepsEveryCommitWhole) {
  TempDir dir;
  std::string root = dir.path() + "/objects";
  std::mt19937 rng(77);
  size_t expected_objects = 0;
  for (int round = 0; round < 5; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    // Mostly without fsync (more puts per round, so more kill points); one round with them.
    Durability durability = round == 2 ? Durability::kPowerLoss : Durability::kProcessCrash;
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = Spawn([&]() -> int {
      ::close(fds[0]);
      auto store = OpenStore(root, durability);
      if (!store.ok()) return 3;
      for (int i = 0;; ++i) {
        auto put = PutBytes(
            **store, KeyOf(round, i), Content(round, i),
            [](const ObjectMeta& m) {
              return std::vector<ObjectEvent>{Event("Object Created", m.key + " " + m.etag)};
            },
            32768);
        if (!put.ok()) return 4;
        if (::write(fds[1], &i, sizeof(i)) != sizeof(i)) return 5;
      }
    });
    ::close(fds[1]);
    // Let it start and commit a few (opening costs some fsyncs), then kill it.
    int reported = -1;
    ASSERT_EQ(::read(fds[0], &reported, sizeof(reported)), static_cast<ssize_t>(sizeof(int)));
    std::this_thread::sleep_for(std::chrono::milliseconds(5 + rng() % 60));
    KillAndReap(pid);
    int i = 0;
    while (::read(fds[0], &i, sizeof(i)) == sizeof(i)) reported = i;
    ::close(fds[0]);

    auto store = OpenStore(root);
    ASSERT_TRUE(store.ok()) << store.error().message;
    EXPECT_EQ(CountTemp(root), 0u);
    for (int k = 0; k <= reported; ++k) {
      auto bytes = GetBytes(**store, KeyOf(round, k));
      ASSERT_TRUE(bytes.ok()) << KeyOf(round, k) << ": " << bytes.error().message;
      ASSERT_EQ(*bytes, Content(round, k)) << KeyOf(round, k);
    }
    ListQuery q;
    q.prefix = fmt::format("r{}/", round);
    auto page = (*store)->List(q);
    ASSERT_TRUE(page.ok());
    ASSERT_GE(page->objects.size(), static_cast<size_t>(reported) + 1);
    ASSERT_LE(page->objects.size(), static_cast<size_t>(reported) + 2);  // + the one in flight
    if (page->objects.size() == static_cast<size_t>(reported) + 2) {
      EXPECT_EQ(*GetBytes(**store, KeyOf(round, reported + 1)), Content(round, reported + 1));
    }
    expected_objects += page->objects.size();
    EXPECT_EQ(CountBlobs(root), expected_objects);

    // Every object of the round has exactly its event, and no event announces a missing object.
    std::multiset<std::string> announced;
    int64_t after = 0;
    for (;;) {
      auto events = (*store)->ReadEvents(1000, after);
      ASSERT_TRUE(events.ok());
      if (events->empty()) break;
      for (const ObjectEvent& e : *events) {
        if (e.payload.starts_with(q.prefix)) announced.insert(e.payload);
        after = e.seq;
      }
    }
    std::multiset<std::string> stored;
    for (const ObjectMeta& m : page->objects) stored.insert(m.key + " " + m.etag);
    EXPECT_EQ(announced, stored);
  }
}

// RLIMIT_FSIZE for this process while it lives: writes past `bytes` fail with EFBIG.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &old_);
    old_handler_ = ::signal(SIGXFSZ, SIG_IGN);
    rlimit limit = old_;
    limit.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old_);
    ::signal(SIGXFSZ, old_handler_);
  }

 private:
  rlimit old_{};
  sighandler_t old_handler_;
};

TEST(LocalFailure, AFullDiskFailsThePutWithTheFileAndLeavesNothing) {
  TempDir dir;
  std::string root = dir.path() + "/objects";
  auto store = OpenStore(root);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(PutBytes(**store, "before", "ok").ok());
  // Pieces of 64 KiB are hashed in line; from 128 KiB on, on the writer's hashing thread.
  for (size_t piece : {size_t{65536}, size_t{262144}}) {
    SCOPED_TRACE(piece);
    FileSizeLimit limit(1 << 20);
    ObjectMeta meta;
    meta.key = "too big";
    auto writer = (*store)->Put(meta);
    ASSERT_TRUE(writer.ok());
    Status failed;
    for (int i = 0; i < 32 && failed.ok(); ++i) failed = (*writer)->Write(std::string(piece, 'f'));
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.error().code, errc::kStorageFailure);
    EXPECT_NE(failed.error().message.find("writing " + root + "/tmp/"), std::string::npos)
        << failed.error().message;
    EXPECT_NE(failed.error().message.find("File too large"), std::string::npos)
        << failed.error().message;
    auto commit = (*writer)->Commit({Event("Object Created", "too big")});
    ASSERT_FALSE(commit.ok());
    EXPECT_EQ(commit.error().code, errc::kStorageFailure);
  }
  EXPECT_EQ((*store)->Head("too big").error().code, errc::kNoSuchKey);
  EXPECT_EQ(CountTemp(root), 0u);
  EXPECT_EQ(CountBlobs(root), 1u);
  EXPECT_TRUE((*store)->ReadEvents(100, 0)->empty());
}

TEST(LocalFailure, AFailedIndexCommitShowsNeitherTheObjectNorItsEvents) {
  TempDir dir;
  std::string root = dir.path() + "/objects";
  auto store = OpenStore(root);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(PutBytes(**store, "before", "ok", {Event("Object Created", "before")}).ok());
  {
    // The bytes fit; the index's WAL cannot take the 2 MiB event.
    FileSizeLimit limit(1 << 20);
    auto put = PutBytes(
        **store, "small", "tiny",
        {Event("Object Created", "small"), Event("Upload Completed", std::string(2 << 20, 'e'))});
    ASSERT_FALSE(put.ok());
    EXPECT_EQ(put.error().code, errc::kStorageFailure);
    EXPECT_NE(put.error().message.find(root + "/index.db"), std::string::npos)
        << put.error().message;
    EXPECT_NE(put.error().message.find("File too large"), std::string::npos) << put.error().message;
    // Copy, rename and delete fail the same way, changing nothing.
    std::vector<ObjectEvent> big = {Event("x", std::string(2 << 20, 'e'))};
    EXPECT_EQ((*store)->Copy("before", "copy", big).error().code, errc::kStorageFailure);
    EXPECT_EQ((*store)->Rename("before", "moved", big).error().code, errc::kStorageFailure);
    EXPECT_EQ((*store)->Delete("before", big).error().code, errc::kStorageFailure);
  }
  EXPECT_EQ((*store)->Head("small").error().code, errc::kNoSuchKey);
  EXPECT_EQ((*store)->Head("copy").error().code, errc::kNoSuchKey);
  EXPECT_EQ((*store)->Head("moved").error().code, errc::kNoSuchKey);
  EXPECT_EQ(*GetBytes(**store, "before"), "ok");
  EXPECT_EQ(CountTemp(root), 0u);
  EXPECT_EQ(CountBlobs(root), 1u);
  auto events = (*store)->ReadEvents(100, 0);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].payload, "before");

  // The store goes on once there is room again.
  ASSERT_TRUE(PutBytes(**store, "after", "fine", {Event("Object Created", "after")}).ok());
  EXPECT_EQ((*store)->ReadEvents(100, 0)->size(), 2u);
  store->reset();
  store = OpenStore(root);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(*GetBytes(**store, "after"), "fine");
  EXPECT_EQ((*store)->Head("small").error().code, errc::kNoSuchKey);
  EXPECT_EQ((*store)->ReadEvents(100, 0)->size(), 2u);
}

TEST(LocalConcurrency, WritersToDifferentKeys) {
  TempDir dir;
  std::string root = dir.path() + "/objects";
  auto store = OpenStore(root);
  ASSERT_TRUE(store.ok());
  constexpr int kThreads = 8, kEach = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        std::string key = fmt::format("t{}/o{}", t, i);
        if (!PutBytes(**store, key, std::string(1000 + i * 100, static_cast<char>('a' + t)),
                      {Event("Object Created", key)}, 700)
                 .ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kEach; ++i) {
      EXPECT_EQ(*GetBytes(**store, fmt::format("t{}/o{}", t, i)),
                std::string(1000 + i * 100, static_cast<char>('a' + t)));
    }
  }
  EXPECT_EQ(CountBlobs(root), static_cast<size_t>(kThreads * kEach));
  EXPECT_EQ((*store)->ReadEvents(1000, 0)->size(), static_cast<size_t>(kThreads * kEach));
}

// Writers interleave their chunks into one key while readers read it: every read sees one
// writer's bytes whole, and the key ends with the bytes of the writer whose commit came last
// (its event, committed in the same transaction, has the highest seq).
TEST(LocalConcurrency, WritersToTheSameKeyLastCommitWinsNeverAMix) {
  TempDir dir;
  std::string root = dir.path() + "/objects";
  auto store = OpenStore(root);
  ASSERT_TRUE(store.ok());
  constexpr int kWriters = 6;
  constexpr size_t kSize = size_t{256} * 1024;
  for (int rep = 0; rep < 3; ++rep) {
    std::atomic<bool> writing{true};
    std::atomic<int> bad_reads{0}, reads{0};
    std::thread reader([&] {
      while (writing.load()) {
        auto reader = (*store)->Get("shared", std::nullopt);
        if (!reader.ok()) continue;  // not there yet
        std::string bytes;
        for (;;) {
          auto part = (*reader)->Read(10000);
          if (!part.ok() || part->empty()) break;
          bytes += *part;
        }
        ++reads;
        bool uniform = bytes.size() == kSize &&
                       bytes.find_first_not_of(bytes[0]) == std::string::npos &&
                       Md5Hex(bytes) == (*reader)->meta().etag;
        if (!uniform) ++bad_reads;
      }
    });
    std::vector<std::thread> writers;
    writers.reserve(kWriters);
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        ObjectMeta meta;
        meta.key = "shared";
        auto writer = (*store)->Put(meta);
        if (!writer.ok()) return;
        std::string chunk(8192, static_cast<char>('A' + w));
        for (size_t at = 0; at < kSize; at += chunk.size()) {
          (void)(*writer)->Write(chunk);
          if (at % 65536 == 0) std::this_thread::yield();
        }
        (void)(*writer)->Commit({Event("Object Created", std::to_string(w))});
      });
    }
    for (auto& th : writers) th.join();
    writing = false;
    reader.join();
    EXPECT_EQ(bad_reads.load(), 0) << "of " << reads.load();

    auto bytes = GetBytes(**store, "shared");
    ASSERT_TRUE(bytes.ok());
    ASSERT_EQ(bytes->size(), kSize);
    EXPECT_EQ(bytes->find_first_not_of((*bytes)[0]), std::string::npos);
    auto events = (*store)->ReadEvents(1000, 0);
    ASSERT_EQ(events->size(), static_cast<size_t>(kWriters * (rep + 1)));
    EXPECT_EQ(events->back().payload, std::to_string((*bytes)[0] - 'A'));
    EXPECT_EQ(CountBlobs(root), 1u);
    EXPECT_EQ(CountTemp(root), 0u);
  }
}

// Small-file puts per second on this machine, for each durability (docs/objects.md has the
// figures). Disabled by default: run with --gtest_also_run_disabled_tests.
TEST(LocalThroughput, DISABLED_SmallPutsPerSecond) {
  for (Durability durability : {Durability::kPowerLoss, Durability::kProcessCrash}) {
    TempDir dir;
    auto store = OpenStore(dir.path() + "/objects", durability);
    ASSERT_TRUE(store.ok());
    std::string body(size_t{10} * 1024, 'x');
    constexpr int kPuts = 300;
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kPuts; ++i) {
      ASSERT_TRUE(PutBytes(**store, fmt::format("in/f{:05}", i), body,
                           {Event("Object Created", "{}"), Event("Upload Completed", "{}")})
                      .ok());
    }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%s: %d puts of 10 KiB in %.3f s: %.0f puts/s\n",
                durability == Durability::kPowerLoss ? "kPowerLoss" : "kProcessCrash", kPuts,
                seconds, kPuts / seconds);
  }
}

TEST(LocalThroughput, DISABLED_LargePutMegabytesPerSecond) {
  TempDir dir;
  auto store = OpenStore(dir.path() + "/objects", Durability::kPowerLoss);
  ASSERT_TRUE(store.ok());
  std::string chunk(size_t{256} * 1024, 'y');
  constexpr int kChunks = 1024;  // 256 MiB
  auto start = std::chrono::steady_clock::now();
  ObjectMeta meta;
  meta.key = "big";
  auto writer = (*store)->Put(meta);
  ASSERT_TRUE(writer.ok());
  for (int i = 0; i < kChunks; ++i) ASSERT_TRUE((*writer)->Write(chunk).ok());
  ASSERT_TRUE((*writer)->Commit({}).ok());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("one 256 MiB put (kPowerLoss): %.3f s: %.0f MB/s\n", seconds,
              kChunks * chunk.size() / seconds / 1e6);
}

}  // namespace
}  // namespace wharf::objects
