// Crash safety: a child process commits transitions in a loop and is killed with SIGKILL at a
// random moment, 20 times over the same data folder. After each kill the database must open, and
// every transition must be there whole or not at all, including every one the child saw commit.
// Also a throughput measurement, disabled by default (run with --gtest_also_run_disabled_tests).
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "store/sqlite_store.h"
#include "store/store_testing.h"

namespace wharf::store {
namespace {

using testing::AddStart;
using testing::At;
using testing::Event;
using testing::ExecArn;
using testing::MakeTask;
using testing::TempDir;

const std::string kA = ExecArn("m", "a");
const std::string kB = ExecArn("m", "b");

std::string Snapshot(int64_t k) { return "{\"k\":" + std::to_string(k) + "}"; }

// Commit k (k >= 1) appends events 2k and 2k+1 to execution a and event k+1 to b, sets both
// snapshots to {"k":k}, enqueues task t<k>, replaces timer k<k-1> by k<k> and adds one outbox
// event. Some commits carry a large snapshot, so that they span many pages.
Transition CommitNumber(int64_t k) {
  Transition t;
  std::string padding(k % 7 == 0 ? 200000 : 2000, 'x');
  ExecutionStep a;
  a.arn = kA;
  a.events = {Event(2 * k, "PassStateEntered", At(k), "{\"pad\":\"" + padding + "\"}"),
              Event(2 * k + 1, "PassStateExited", At(k))};
  a.snapshot = Snapshot(k);
  ExecutionStep b;
  b.arn = kB;
  b.events = {Event(k + 1, "WaitStateEntered", At(k))};
  b.snapshot = Snapshot(k);
  t.steps = {a, b};
  t.enqueue.push_back(MakeTask("t" + std::to_string(k), kA));
  t.cancel_timers.push_back("k" + std::to_string(k - 1));
  t.add_timers.push_back(Timer{"k" + std::to_string(k), kB, At(k), "{}"});
  t.outbox.push_back(OutboxEvent{0, "commit", kA, Snapshot(k), At(k)});
  return t;
}

// The child: opens the store, creates the two executions if needed, then commits forever,
// writing each committed k to `fd`.
[[noreturn]] void CommitForever(const std::string& dir, Durability durability, int fd) {
  SqliteOptions options;
  options.data_dir = dir;
  options.durability = durability;
  auto store = SqliteStore::Open(options);
  if (!store.ok()) ::_exit(3);
  auto a = (*store)->GetExecution(kA, WithSnapshot::kNo);
  if (!a.ok()) {
    Transition t;
    AddStart(t, "m", "a", "{}", At(0));
    AddStart(t, "m", "b", "{}", At(0));
    if (!(*store)->Commit(t).ok()) ::_exit(4);
    a = (*store)->GetExecution(kA, WithSnapshot::kNo);
  }
  for (int64_t k = (a->last_event_id - 1) / 2 + 1;; ++k) {
    if (!(*store)->Commit(CommitNumber(k)).ok()) ::_exit(5);
    if (::write(fd, &k, sizeof(k)) != sizeof(k)) ::_exit(6);
  }
}

// Checks the invariants and returns the number of commits found.
int64_t CheckWholeCommits(const std::string& dir, int64_t acknowledged) {
  SqliteOptions options;
  options.data_dir = dir;
  auto opened = SqliteStore::Open(options);
  EXPECT_TRUE(opened.ok()) << opened.error().message;
  if (!opened.ok()) return -1;
  SqliteStore& store = **opened;
  auto a = store.GetExecution(kA, WithSnapshot::kYes);
  if (!a.ok()) {
    EXPECT_EQ(acknowledged, 0) << "a commit was acknowledged but the executions are missing";
    EXPECT_FALSE(store.GetExecution(kB, WithSnapshot::kNo).ok()) << "half of the first commit";
    return 0;
  }
  auto b = store.GetExecution(kB, WithSnapshot::kYes);
  EXPECT_TRUE(b.ok()) << "half of the first commit";
  if (!b.ok()) return -1;
  int64_t n = (a->last_event_id - 1) / 2;
  EXPECT_EQ(a->last_event_id, 2 * n + 1);
  EXPECT_EQ(b->last_event_id, n + 1) << "execution b disagrees with a about the commit count";
  EXPECT_GE(n, acknowledged) << "a commit the child saw succeed is lost";
  EXPECT_EQ(a->snapshot, n == 0 ? "{\"at\":\"start\"}" : Snapshot(n));
  EXPECT_EQ(b->snapshot, a->snapshot);

  HistoryQuery hq;
  hq.execution_arn = kA;
  hq.order = HistoryOrder::kNewestFirst;
  hq.limit = 1;
  auto newest = store.GetHistory(hq);
  EXPECT_TRUE(newest.ok() && newest->items.size() == 1 && newest->items[0].id == 2 * n + 1);
  // The whole chain of a's events is intact, oldest first.
  hq.order = HistoryOrder::kOldestFirst;
  hq.limit = 1000;
  int64_t expected_id = 1;
  do {
    auto page = store.GetHistory(hq);
    EXPECT_TRUE(page.ok());
    if (!page.ok()) break;
    for (const HistoryRecord& r : page->items) EXPECT_EQ(r.id, expected_id++);
    hq.next_token = page->next_token;
  } while (!hq.next_token.empty());
  EXPECT_EQ(expected_id, 2 * n + 2);

  EXPECT_TRUE(store.GetTask("t" + std::to_string(n)).ok() || n == 0);
  EXPECT_FALSE(store.GetTask("t" + std::to_string(n + 1)).ok());
  auto timers = store.ListTimers({});
  EXPECT_TRUE(timers.ok());
  if (n > 0) {
    EXPECT_EQ(timers->size(), 1u);
    if (!timers->empty()) {
      EXPECT_EQ((*timers)[0].key, "k" + std::to_string(n));
    }
  }
  auto outbox = store.ReadOutbox(1000000, 0);
  EXPECT_TRUE(outbox.ok());
  EXPECT_EQ(static_cast<int64_t>(outbox->size()), n);
  if (!outbox->empty()) {
    EXPECT_EQ(outbox->back().payload, Snapshot(n));
  }
  return n;
}

TEST(SqliteCrash, EveryCommitIsWholeOrAbsentAfterKill9) {
  TempDir dir;
  std::mt19937 rng(std::random_device{}());
  int64_t total = 0;
  int killed_while_committing = 0;
  for (int round = 0; round < 20; ++round) {
    Durability durability = round % 2 ? Durability::kPowerLoss : Durability::kProcessCrash;
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      CommitForever(dir.path(), durability, fds[1]);
    }
    ::close(fds[1]);
    // Every fourth round kills at a random moment after the fork, often while the store opens;
    // the others wait for the first commit, then kill at a random moment of the commit loop.
    bool during_open = round % 4 == 3;
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(during_open ? 5000 : 10000);
    auto kill_after = std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 120)(rng));
    if (during_open) deadline = std::chrono::steady_clock::now() + kill_after;
    int64_t acknowledged = 0, first_ack = -1, k = 0;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fds[0], POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      ssize_t got = ::read(fds[0], &k, sizeof(k));
      if (got <= 0) break;  // the child died by itself: checked below
      if (first_ack < 0) {
        first_ack = k;
        if (!during_open) deadline = std::chrono::steady_clock::now() + kill_after;
      }
      acknowledged = k;
    }
    ::kill(pid, SIGKILL);
    while (::read(fds[0], &k, sizeof(k)) == sizeof(k)) acknowledged = k;
    ::close(fds[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the child stopped by itself, exit code " << WEXITSTATUS(status);
    if (first_ack >= 0) ++killed_while_committing;
    int64_t n = CheckWholeCommits(dir.path(), acknowledged);
    ASSERT_GE(n, total) << "commits went missing across rounds (round " << round << ")";
    total = n;
    if (::testing::Test::HasFailure()) break;
  }
  EXPECT_GT(total, 20) << "the child hardly committed anything";
  EXPECT_GE(killed_while_committing, 15);
  std::printf("[ crash    ] %lld commits over 20 kills, %d of them mid-commit-loop\n",
              static_cast<long long>(total), killed_while_committing);
}

// ---- Throughput (not a test: a measurement for docs/schema.md) ---------------------------------

double CommitsPerSecond(SqliteStore& store, int executions, int commits, int64_t& next_id) {
  auto begin = std::chrono::steady_clock::now();
  for (int c = 0; c < commits; ++c) {
    Transition t;
    t.steps.reserve(executions);
    for (int e = 0; e < executions; ++e) {
      ExecutionStep s;
      s.arn = ExecArn("m", "e" + std::to_string(e));
      s.events = {Event(next_id, "PassStateEntered", At(1),
                        "{\"stateEnteredEventDetails\":{\"name\":\"P\",\"input\":\"{}\"}}"),
                  Event(next_id + 1, "PassStateExited", At(1),
                        "{\"stateExitedEventDetails\":{\"name\":\"P\",\"output\":\"{}\"}}")};
      s.snapshot = "{\"frames\":[{\"state\":" + std::to_string(next_id) + "}]}";
      t.steps.push_back(std::move(s));
    }
    if (!store.Commit(t).ok()) return -1;
    next_id += 2;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  return commits / secs;
}

TEST(SqliteThroughput, DISABLED_CommitsPerSecond) {
  for (Durability d : {Durability::kProcessCrash, Durability::kPowerLoss}) {
    TempDir dir;
    SqliteOptions options;
    options.data_dir = dir.path();
    options.durability = d;
    auto store = SqliteStore::Open(options);
    ASSERT_TRUE(store.ok());
    Transition starts;
    for (int e = 0; e < 50; ++e) AddStart(starts, "m", "e" + std::to_string(e), "{}", At(0));
    ASSERT_TRUE((*store)->Commit(starts).ok());
    // The single-execution transitions all go to e0; the batches touch e0..e49, so e0's next
    // event id is shared.
    int64_t next_single = 2;
    double single =
        CommitsPerSecond(**store, 1, d == Durability::kPowerLoss ? 500 : 5000, next_single);
    // The batched runs start each execution after e0's ids: give every execution the same id.
    TempDir dir2;
    options.data_dir = dir2.path();
    auto store2 = SqliteStore::Open(options);
    ASSERT_TRUE(store2.ok());
    ASSERT_TRUE((*store2)->Commit(starts).ok());
    int64_t next_batch = 2;
    int batches = d == Durability::kPowerLoss ? 200 : 1000;
    double batched = CommitsPerSecond(**store2, 50, batches, next_batch);
    std::printf(
        "[ sqlite   ] %s: 1 execution x 2 events: %.0f commits/s; 50 executions x 2 "
        "events: %.0f commits/s = %.0f execution steps/s\n",
        d == Durability::kPowerLoss ? "synchronous=FULL  " : "synchronous=NORMAL", single, batched,
        batched * 50);
  }
}

}  // namespace
}  // namespace wharf::store
