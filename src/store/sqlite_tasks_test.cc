// Tests of SqliteStore's task queue (leases, expiry, stealing, tokens), timers and outbox.
#include <thread>

#include <gtest/gtest.h>

#include "store/sqlite_store.h"
#include "store/store_testing.h"

namespace wharf::store {
namespace {

using std::chrono::seconds;
using testing::AddStart;
using testing::At;
using testing::Event;
using testing::ExecArn;
using testing::MakeTask;
using testing::StoreTest;

class TaskTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    Start("e1");
    Start("e2");
  }
  void Enqueue(std::vector<NewTask> tasks) {
    Transition t;
    t.enqueue = std::move(tasks);
    auto r = store_->Commit(t);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  std::vector<Task> Lease(const std::string& owner, int max, TimePoint now,
                          std::vector<std::string> queues = {}, seconds duration = seconds(30)) {
    LeaseRequest req;
    req.owner = owner;
    req.max_tasks = max;
    req.now = now;
    req.duration = duration;
    req.queues = std::move(queues);
    auto r = store_->LeaseTasks(req);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : std::vector<Task>();
  }
  static std::vector<std::string> Tickets(const std::vector<Task>& tasks) {
    std::vector<std::string> out;
    out.reserve(tasks.size());
    for (const Task& t : tasks) out.push_back(t.ticket);
    return out;
  }
  const std::string e1_ = ExecArn("m", "e1");
  const std::string e2_ = ExecArn("m", "e2");
};

TEST_F(TaskTest, LeasesReadyTasksOldestFirstOnce) {
  Enqueue({MakeTask("a", e1_), MakeTask("b", e1_), MakeTask("c", e2_)});
  auto first = Lease("w1", 2, At(0));
  EXPECT_EQ(Tickets(first), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(first[0].state, TaskState::kLeased);
  EXPECT_EQ(first[0].lease_owner, "w1");
  EXPECT_EQ(first[0].lease_expiry, At(30));
  EXPECT_EQ(first[0].attempts, 1);
  EXPECT_EQ(first[0].execution_arn, e1_);
  EXPECT_EQ(first[0].kind, "function");
  EXPECT_EQ(Tickets(Lease("w2", 5, At(1))), (std::vector<std::string>{"c"}));
  EXPECT_TRUE(Lease("w2", 5, At(2)).empty());
}

TEST_F(TaskTest, LeasesOnlyTheQueuesAsked) {
  Enqueue({MakeTask("a", e1_, "slow"), MakeTask("b", e1_, "fast"), MakeTask("c", e1_, "other")});
  EXPECT_EQ(Tickets(Lease("w", 5, At(0), {"fast", "other"})), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(Tickets(Lease("w", 5, At(0), {"fast"})), std::vector<std::string>{});
  EXPECT_EQ(Tickets(Lease("w", 5, At(0))), (std::vector<std::string>{"a"}));
}

TEST_F(TaskTest, EnqueueingAKnownTicketDoesNothing) {
  Enqueue({MakeTask("a", e1_, "q", "", "{\"first\":1}")});
  Enqueue({MakeTask("a", e1_, "q", "", "{\"second\":1}")});
  EXPECT_EQ(store_->GetTask("a")->payload, "{\"first\":1}");
  EXPECT_EQ(Lease("w", 5, At(0)).size(), 1u);
}

TEST_F(TaskTest, OnlyTheHolderCompletes) {
  Enqueue({MakeTask("a", e1_)});
  Task t = Lease("w1", 1, At(0)).at(0);
  TaskLease wrong = t.lease();
  wrong.owner = "w2";
  EXPECT_EQ(store_->CompleteTask(wrong, "{}", Completion::kDone).error().code, errc::kLeaseLost);
  ASSERT_TRUE(store_->CompleteTask(t.lease(), "{\"ok\":1}", Completion::kDone).ok());
  Task done = store_->GetTask("a").value();
  EXPECT_EQ(done.state, TaskState::kDone);
  EXPECT_EQ(done.result, "{\"ok\":1}");
  EXPECT_EQ(store_->CompleteTask(t.lease(), "{}", Completion::kDone).error().code,
            errc::kTaskTimedOut);
  TaskLease gone{"nope", "w1", 1};
  EXPECT_EQ(store_->CompleteTask(gone, "{}", Completion::kDone).error().code,
            errc::kTaskDoesNotExist);
}

TEST_F(TaskTest, AnExpiredLeaseIsTakenOverAndTheOldHolderIsFencedOff) {
  Enqueue({MakeTask("a", e1_)});
  Task first = Lease("w1", 1, At(0), {}, seconds(10)).at(0);
  EXPECT_TRUE(Lease("w2", 1, At(9.999)).empty()) << "still held";
  std::vector<Task> stolen = Lease("w2", 1, At(10.001));
  ASSERT_EQ(stolen.size(), 1u);
  EXPECT_EQ(stolen[0].attempts, 2);
  EXPECT_EQ(stolen[0].lease_owner, "w2");

  EXPECT_EQ(store_->CompleteTask(first.lease(), "{}", Completion::kDone).error().code,
            errc::kLeaseLost);
  EXPECT_EQ(store_->ExtendTaskLease(first.lease(), At(100)).error().code, errc::kLeaseLost);
  // The same owner name with an old attempt is fenced off too (a restarted worker).
  TaskLease old_attempt = stolen[0].lease();
  old_attempt.attempt = 1;
  EXPECT_EQ(store_->CompleteTask(old_attempt, "{}", Completion::kDone).error().code,
            errc::kLeaseLost);
  EXPECT_TRUE(store_->CompleteTask(stolen[0].lease(), "{}", Completion::kDone).ok());
}

TEST_F(TaskTest, AHeartbeatExtendsTheLease) {
  Enqueue({MakeTask("a", e1_)});
  Task t = Lease("w1", 1, At(0), {}, seconds(10)).at(0);
  ASSERT_TRUE(store_->ExtendTaskLease(t.lease(), At(20)).ok());
  EXPECT_TRUE(Lease("w2", 1, At(15)).empty());
  EXPECT_EQ(store_->GetTask("a")->lease_expiry, At(20));
  EXPECT_EQ(Lease("w2", 1, At(21)).size(), 1u);
}

TEST_F(TaskTest, ATaskCanBeEnqueuedAlreadyLeased) {
  NewTask mine = MakeTask("a", e1_);
  mine.lease_owner = "node";
  mine.lease_expiry = At(60);
  Enqueue({mine});
  Task t = store_->GetTask("a").value();
  EXPECT_EQ(t.state, TaskState::kLeased);
  EXPECT_EQ(t.attempts, 1);
  EXPECT_TRUE(Lease("w", 1, At(10)).empty());
  EXPECT_TRUE(store_->CompleteTask(TaskLease{"a", "node", 1}, "{}", Completion::kDone).ok());
}

TEST_F(TaskTest, FinishedTasksWaitForTheEngineUntilATransitionRemovesThem) {
  Start("mine", "{}", At(0), "node-a");
  const std::string mine = ExecArn("m", "mine");
  Enqueue({MakeTask("a", e1_), MakeTask("b", mine), MakeTask("c", mine)});
  for (const Task& t : Lease("w", 3, At(0))) {
    ASSERT_TRUE(
        store_->CompleteTask(t.lease(), "{\"r\":\"" + t.ticket + "\"}", Completion::kDone).ok());
  }
  FinishedTaskQuery all;
  EXPECT_EQ(Tickets(store_->ListFinishedTasks(all).value()),
            (std::vector<std::string>{"a", "b", "c"}));
  FinishedTaskQuery owned;
  owned.owner = "node-a";
  EXPECT_EQ(Tickets(store_->ListFinishedTasks(owned).value()),
            (std::vector<std::string>{"b", "c"}));
  FinishedTaskQuery of_e1;
  of_e1.execution_arn = e1_;
  EXPECT_EQ(Tickets(store_->ListFinishedTasks(of_e1).value()), std::vector<std::string>{"a"});

  Transition consume;
  ExecutionStep step;
  step.arn = mine;
  step.events = {Event(2, "TaskSucceeded", At(1))};
  consume.steps.push_back(step);
  consume.owner = "node-a";
  consume.remove_tasks = {"b"};
  ASSERT_TRUE(store_->Commit(consume).ok());
  EXPECT_EQ(Tickets(store_->ListFinishedTasks(owned).value()), std::vector<std::string>{"c"});
  EXPECT_EQ(store_->GetTask("b").error().code, errc::kTaskDoesNotExist);
}

// ---- Task tokens
// ---------------------------------------------------------------------------------

TEST_F(TaskTest, ATokenTaskWaitsForItsCallback) {
  Enqueue({MakeTask("a", e1_, "q", "tok-a")});
  Task t = Lease("w", 1, At(0)).at(0);
  EXPECT_EQ(t.token, "tok-a");
  ASSERT_TRUE(store_->CompleteTask(t.lease(), "", Completion::kAwaitToken).ok());
  EXPECT_EQ(store_->GetTaskByToken("tok-a")->state, TaskState::kWaiting);
  EXPECT_TRUE(Lease("w", 1, At(100)).empty()) << "a waiting task is not leasable";

  ASSERT_TRUE(store_->HeartbeatTaskByToken("tok-a", At(5)).ok());
  EXPECT_EQ(store_->GetTaskByToken("tok-a")->heartbeat, At(5));

  ASSERT_TRUE(store_->CompleteTaskByToken("tok-a", "{\"cb\":1}").ok());
  Task done = store_->GetTaskByToken("tok-a").value();
  EXPECT_EQ(done.state, TaskState::kDone);
  EXPECT_EQ(done.result, "{\"cb\":1}");
  EXPECT_EQ(store_->CompleteTaskByToken("tok-a", "{}").error().code, errc::kTaskTimedOut);
  EXPECT_EQ(store_->HeartbeatTaskByToken("tok-a", At(6)).error().code, errc::kTaskTimedOut);

  EXPECT_EQ(store_->GetTaskByToken("nope").error().code, errc::kTaskDoesNotExist);
  EXPECT_EQ(store_->CompleteTaskByToken("nope", "{}").error().code, errc::kTaskDoesNotExist);
  EXPECT_EQ(store_->HeartbeatTaskByToken("", At(1)).error().code, errc::kTaskDoesNotExist);
}

TEST_F(TaskTest, ACallbackMayComeBeforeTheInvocationReturns) {
  Enqueue({MakeTask("a", e1_, "q", "tok-a")});
  Task t = Lease("w", 1, At(0)).at(0);
  ASSERT_TRUE(store_->CompleteTaskByToken("tok-a", "{\"early\":1}").ok());
  EXPECT_EQ(store_->CompleteTask(t.lease(), "", Completion::kAwaitToken).error().code,
            errc::kTaskTimedOut);
  EXPECT_EQ(store_->GetTask("a")->result, "{\"early\":1}");
}

TEST_F(TaskTest, OnlyATokenTaskCanAwaitAToken) {
  Enqueue({MakeTask("a", e1_)});
  Task t = Lease("w", 1, At(0)).at(0);
  EXPECT_EQ(store_->CompleteTask(t.lease(), "", Completion::kAwaitToken).error().code,
            errc::kInvalidArgument);
}

TEST_F(TaskTest, TaskEventsWakeWaiters) {
  uint64_t seen = store_->TaskEvents();
  EXPECT_EQ(store_->WaitForTaskEvents(seen, std::chrono::milliseconds(1)), seen) << "timed out";
  Enqueue({MakeTask("a", e1_, "q", "tok-a")});
  EXPECT_GT(store_->TaskEvents(), seen) << "an enqueue is an event";
  seen = store_->TaskEvents();
  Task t = Lease("w", 1, At(0)).at(0);
  EXPECT_EQ(store_->TaskEvents(), seen) << "a lease is not";

  std::thread waiter([&] {
    uint64_t now = store_->WaitForTaskEvents(seen, std::chrono::seconds(30));
    EXPECT_NE(now, seen);
  });
  ASSERT_TRUE(store_->CompleteTaskByToken("tok-a", "{}").ok());
  waiter.join();
  seen = store_->TaskEvents();
  Enqueue({MakeTask("b", e1_)});
  t = Lease("w", 1, At(0)).at(0);
  seen = store_->TaskEvents();
  ASSERT_TRUE(store_->CompleteTask(t.lease(), "{}", Completion::kDone).ok());
  EXPECT_GT(store_->TaskEvents(), seen) << "a completion is an event";
}

// ---- Timers ----------------------------------------------------------------------------------

TEST_F(TaskTest, TimersComeDueInOrderAndAreReplacedAndCancelledByKey) {
  Transition t;
  t.add_timers = {Timer{"late", e1_, At(30), "{\"n\":1}"}, Timer{"early", e2_, At(10), "{}"},
                  Timer{"mid", e1_, At(20), "{}"}};
  ASSERT_TRUE(store_->Commit(t).ok());
  auto keys = [&](const TimerQuery& q) {
    std::vector<Timer> timers = store_->ListTimers(q).value();
    std::vector<std::string> out;
    out.reserve(timers.size());
    for (const Timer& timer : timers) out.push_back(timer.key);
    return out;
  };
  TimerQuery due;
  due.due_before = At(20);
  EXPECT_EQ(keys(due), (std::vector<std::string>{"early", "mid"}));
  EXPECT_EQ(keys({}), (std::vector<std::string>{"early", "mid", "late"}));
  TimerQuery of_e1;
  of_e1.execution_arn = e1_;
  EXPECT_EQ(keys(of_e1), (std::vector<std::string>{"mid", "late"}));
  TimerQuery one;
  one.limit = 1;
  EXPECT_EQ(keys(one), std::vector<std::string>{"early"});

  Transition change;
  change.add_timers = {Timer{"late", e1_, At(5), "{\"n\":2}"}};
  change.cancel_timers = {"mid", "never-existed"};
  ASSERT_TRUE(store_->Commit(change).ok());
  auto all = store_->ListTimers({}).value();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].key, "late");
  EXPECT_EQ(all[0].due, At(5));
  EXPECT_EQ(all[0].payload, "{\"n\":2}");
  EXPECT_EQ(all[0].execution_arn, e1_);
}

// ---- Outbox ----------------------------------------------------------------------------------

TEST_F(TaskTest, ACommitWithOutboxEventsCallsTheOutboxListener) {
  int calls = 0;
  bool saw_events = false;
  store_->SetOutboxListener([&] {
    ++calls;
    // Called after the commit: the events are there to read.
    saw_events = !store_->ReadOutbox(10, 0).value().empty();
  });
  Transition none;
  none.add_timers.push_back(Timer{"t", e1_, At(5), "{}"});
  ASSERT_TRUE(store_->Commit(none).ok());
  EXPECT_EQ(calls, 0);

  Transition some;
  some.outbox.push_back(OutboxEvent{0, "Step Functions Execution Status Change", e1_, "{}", At(1)});
  ASSERT_TRUE(store_->Commit(some).ok());
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(saw_events);

  store_->SetOutboxListener({});
  ASSERT_TRUE(store_->Commit(some).ok());
  EXPECT_EQ(calls, 1);
}

TEST_F(TaskTest, OutboxEventsAreReadInOrderUntilDelivered) {
  Transition t;
  for (int i = 0; i < 5; ++i) {
    t.outbox.push_back(OutboxEvent{0, "Step Functions Execution Status Change", e1_,
                                   "{\"i\":" + std::to_string(i) + "}", At(i)});
  }
  ASSERT_TRUE(store_->Commit(t).ok());
  auto events = store_->ReadOutbox(3, 0).value();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].payload, "{\"i\":0}");
  EXPECT_EQ(events[0].kind, "Step Functions Execution Status Change");
  EXPECT_EQ(events[0].execution_arn, e1_);
  EXPECT_EQ(events[2].time, At(2));
  EXPECT_LT(events[0].seq, events[1].seq);
  auto rest = store_->ReadOutbox(10, events[2].seq).value();
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].payload, "{\"i\":3}");

  ASSERT_TRUE(store_->MarkOutboxDelivered({events[0].seq, events[2].seq}, At(9)).ok());
  auto left = store_->ReadOutbox(10, 0).value();
  ASSERT_EQ(left.size(), 3u);
  EXPECT_EQ(left[0].payload, "{\"i\":1}");
  EXPECT_EQ(left[1].payload, "{\"i\":3}");
}

TEST_F(TaskTest, ASkippedStartTakesItsOutboxEventsWithIt) {
  Transition again;
  AddStart(again, "m", "e1", "{\"different\":1}", At(5));
  again.outbox.push_back(OutboxEvent{0, "x", e1_, "{}", At(5)});
  again.outbox.push_back(OutboxEvent{0, "y", "", "{}", At(5)});
  ASSERT_TRUE(store_->Commit(again).ok());
  auto events = store_->ReadOutbox(10, 0).value();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, "y");
}

}  // namespace
}  // namespace wharf::store
