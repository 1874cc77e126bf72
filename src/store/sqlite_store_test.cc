// Tests of SqliteStore: opening the data folder, state machines, executions, history, commits and
// execution claims. Tasks, timers and the outbox are in sqlite_tasks_test.cc; crashes in
// sqlite_crash_test.cc.
#include "store/sqlite_store.h"

#include <sqlite3.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "store/sqlite_schema.h"
#include "store/store_testing.h"

namespace wharf::store {
namespace {

using testing::AddStart;
using testing::At;
using testing::Event;
using testing::ExecArn;
using testing::MachineArn;
using testing::MakeTask;
using testing::StoreTest;
using testing::TempDir;

// ---- Opening --------------------------------------------------------------------------------

TEST(SqliteOpen, CreatesTheFolderAndFindsItsContentAgain) {
  TempDir dir;
  SqliteOptions options;
  options.data_dir = dir.path() + "/a/b/data";
  {
    auto store = SqliteStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.error().message;
    EXPECT_EQ((*store)->opened_schema_version(), 0);
    EXPECT_TRUE(std::filesystem::exists(options.data_dir + "/wharf.db"));
    EXPECT_TRUE(std::filesystem::exists(options.data_dir + "/wharf.lock"));
    StateMachine m;
    m.name = "m";
    m.arn = MachineArn("m");
    m.definition = "{}";
    ASSERT_TRUE((*store)->PutStateMachine(m, PutMode::kCreate, At(0)).ok());
  }
  auto again = SqliteStore::Open(options);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ((*again)->opened_schema_version(), sqlite::kSchemaVersion);
  EXPECT_TRUE((*again)->GetStateMachine("m").ok());
}

TEST(SqliteOpen, RefusesASecondOpenOfTheSameFolder) {
  TempDir dir;
  SqliteOptions options;
  options.data_dir = dir.path();
  auto first = SqliteStore::Open(options);
  ASSERT_TRUE(first.ok());
  auto second = SqliteStore::Open(options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, errc::kStoreFailure);
  EXPECT_NE(second.error().message.find("in use by another wharf process (pid " +
                                        std::to_string(::getpid())),
            std::string::npos)
      << second.error().message;
  first->reset();
  EXPECT_TRUE(SqliteStore::Open(options).ok()) << "the lock goes with the store";
}

TEST(SqliteOpen, RefusesADatabaseOfANewerSchema) {
  TempDir dir;
  SqliteOptions options;
  options.data_dir = dir.path();
  ASSERT_TRUE(SqliteStore::Open(options).ok());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() + "/wharf.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE schema_version SET version = 99", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto store = SqliteStore::Open(options);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("schema version 99, newer than the 1"), std::string::npos)
      << store.error().message;
}

TEST(SqliteOpen, RefusesAFileThatIsNotADatabase) {
  TempDir dir;
  {
    std::ofstream f(dir.path() + "/wharf.db");
    f << "this is not SQLite, and it is long enough to have a header of sorts............";
  }
  SqliteOptions options;
  options.data_dir = dir.path();
  auto store = SqliteStore::Open(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, errc::kStoreFailure);
  EXPECT_NE(store.error().message.find("not a database"), std::string::npos)
      << store.error().message;
}

TEST(SqliteOpen, UsesWalModeAtBothDurabilityLevels) {
  for (Durability d : {Durability::kProcessCrash, Durability::kPowerLoss}) {
    TempDir dir;
    SqliteOptions options;
    options.data_dir = dir.path();
    options.durability = d;
    auto store = SqliteStore::Open(options);
    ASSERT_TRUE(store.ok());
    EXPECT_TRUE(std::filesystem::exists(dir.path() + "/wharf.db-wal"));
  }
}

// ---- State machines ---------------------------------------------------------------------------

StateMachine Machine(const std::string& name, const std::string& definition = "{\"v\":1}") {
  StateMachine m;
  m.name = name;
  m.arn = MachineArn(name);
  m.definition = definition;
  m.role_arn = "arn:aws:iam::111111111111:role/r";
  return m;
}

TEST_F(StoreTest, CreatesAStateMachineIdempotently) {
  auto created = store_->PutStateMachine(Machine("m"), PutMode::kCreate, At(1));
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_TRUE(created->changed);
  EXPECT_EQ(created->machine.revision_id.size(), 36u);
  EXPECT_EQ(created->machine.created, At(1));

  auto same = store_->PutStateMachine(Machine("m"), PutMode::kCreate, At(2));
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(same->changed);
  EXPECT_EQ(same->machine.revision_id, created->machine.revision_id);
  EXPECT_EQ(same->machine.created, At(1));

  auto other = store_->PutStateMachine(Machine("m", "{\"v\":2}"), PutMode::kCreate, At(3));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, errc::kStateMachineAlreadyExists);
}

TEST_F(StoreTest, GetsAStateMachineByNameOrArn) {
  ASSERT_TRUE(store_->PutStateMachine(Machine("m"), PutMode::kCreate, At(1)).ok());
  auto by_name = store_->GetStateMachine("m");
  auto by_arn = store_->GetStateMachine(MachineArn("m"));
  ASSERT_TRUE(by_name.ok() && by_arn.ok());
  EXPECT_EQ(by_name->arn, MachineArn("m"));
  EXPECT_EQ(by_arn->name, "m");
  EXPECT_EQ(by_arn->definition, "{\"v\":1}");
  EXPECT_EQ(by_arn->type, MachineType::kStandard);
  EXPECT_EQ(by_arn->role_arn, "arn:aws:iam::111111111111:role/r");
  auto missing = store_->GetStateMachine("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, errc::kStateMachineDoesNotExist);
  EXPECT_EQ(missing.error().message, "State Machine Does Not Exist: 'nope'");
}

TEST_F(StoreTest, UpdatesAStateMachineWithANewRevisionAndKeepsTheOld) {
  auto missing = store_->PutStateMachine(Machine("m"), PutMode::kUpdate, At(1));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, errc::kStateMachineDoesNotExist);

  auto v1 = store_->PutStateMachine(Machine("m"), PutMode::kCreateOrUpdate, At(1));
  ASSERT_TRUE(v1.ok());
  StateMachine changed = Machine("m", "{\"v\":2}");
  changed.type = MachineType::kExpress;
  auto v2 = store_->PutStateMachine(changed, PutMode::kUpdate, At(5));
  ASSERT_TRUE(v2.ok());
  EXPECT_TRUE(v2->changed);
  EXPECT_NE(v2->machine.revision_id, v1->machine.revision_id);
  EXPECT_EQ(v2->machine.created, At(1));
  EXPECT_EQ(v2->machine.updated, At(5));

  auto unchanged = store_->PutStateMachine(changed, PutMode::kCreateOrUpdate, At(6));
  ASSERT_TRUE(unchanged.ok());
  EXPECT_FALSE(unchanged->changed);
  EXPECT_EQ(unchanged->machine.updated, At(5));

  auto current = store_->GetStateMachine("m");
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(current->definition, "{\"v\":2}");
  EXPECT_EQ(current->type, MachineType::kExpress);
  auto old = store_->GetStateMachineRevision(MachineArn("m"), v1->machine.revision_id);
  ASSERT_TRUE(old.ok()) << old.error().message;
  EXPECT_EQ(old->definition, "{\"v\":1}");
  EXPECT_EQ(old->type, MachineType::kStandard);
  EXPECT_FALSE(store_->GetStateMachineRevision(MachineArn("m"), "no-such-revision").ok());
}

TEST_F(StoreTest, ListsStateMachinesByPage) {
  for (const char* name : {"e", "b", "d", "a", "c"}) {
    ASSERT_TRUE(store_->PutStateMachine(Machine(name), PutMode::kCreate, At(0)).ok());
  }
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = store_->ListStateMachines(2, token);
    ASSERT_TRUE(page.ok()) << page.error().message;
    for (const auto& m : page->items) seen.push_back(m.name);
    token = page->next_token;
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(pages, 3);
  auto bad = store_->ListStateMachines(2, "garbage");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, errc::kInvalidToken);
}

TEST_F(StoreTest, DeletesAStateMachineButKeepsWhatExecutionsRun) {
  auto v1 = store_->PutStateMachine(Machine("m"), PutMode::kCreate, At(0));
  ASSERT_TRUE(v1.ok());
  Transition t;
  AddStart(t, "m", "e1", "{}", At(1));
  t.starts[0].revision_id = v1->machine.revision_id;
  ASSERT_TRUE(store_->Commit(t).ok());
  auto v2 = store_->PutStateMachine(Machine("m", "{\"v\":2}"), PutMode::kUpdate, At(2));
  ASSERT_TRUE(v2.ok());

  ASSERT_TRUE(store_->DeleteStateMachine("m").ok());
  EXPECT_EQ(store_->GetStateMachine("m").error().code, errc::kStateMachineDoesNotExist);
  EXPECT_EQ(store_->DeleteStateMachine(MachineArn("m")).error().code,
            errc::kStateMachineDoesNotExist);
  EXPECT_TRUE(store_->GetStateMachineRevision(MachineArn("m"), v1->machine.revision_id).ok());
  EXPECT_FALSE(store_->GetStateMachineRevision(MachineArn("m"), v2->machine.revision_id).ok());
  EXPECT_TRUE(store_->GetExecution(ExecArn("m", "e1"), WithSnapshot::kNo).ok());
}

// ---- Executions -------------------------------------------------------------------------------

TEST_F(StoreTest, StartsAnExecutionWithItsFirstEvents) {
  Execution e = Start("e1", "{\"x\":1}", At(10));
  EXPECT_EQ(e.arn, ExecArn("m", "e1"));
  EXPECT_EQ(e.status, ExecutionStatus::kRunning);

  auto got = store_->GetExecution(ExecArn("m", "e1"), WithSnapshot::kNo);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->name, "e1");
  EXPECT_EQ(got->state_machine_arn, MachineArn("m"));
  EXPECT_EQ(got->revision_id, "rev-1");
  EXPECT_EQ(got->input, "{\"x\":1}");
  EXPECT_EQ(got->start_time, At(10));
  EXPECT_FALSE(got->stop_time.has_value());
  EXPECT_FALSE(got->output.has_value());
  EXPECT_EQ(got->last_event_id, 1);
  EXPECT_EQ(got->snapshot, "") << "only asked for";
  auto with = store_->GetExecution(ExecArn("m", "e1"), WithSnapshot::kYes);
  ASSERT_TRUE(with.ok());
  EXPECT_EQ(with->snapshot, "{\"at\":\"start\"}");

  auto missing = store_->GetExecution(ExecArn("m", "nope"), WithSnapshot::kNo);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, errc::kExecutionDoesNotExist);
}

TEST_F(StoreTest, StartIsIdempotentByNameAndInputWhileRunning) {
  Start("e1", "{\"x\":1}");
  Transition again;
  AddStart(again, "m", "e1", "{\"x\":1}", At(99));
  again.enqueue.push_back(MakeTask("t-dup", ExecArn("m", "e1")));
  auto r = store_->Commit(again);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->starts[0].ok());
  EXPECT_FALSE(r->starts[0]->created);
  EXPECT_EQ(r->starts[0]->execution.start_time, At(0)) << "the original";
  // The skipped start's events and task were not written.
  auto e = store_->GetExecution(ExecArn("m", "e1"), WithSnapshot::kNo);
  EXPECT_EQ(e->last_event_id, 1);
  EXPECT_EQ(store_->GetTask("t-dup").error().code, errc::kTaskDoesNotExist);

  Transition different;
  AddStart(different, "m", "e1", "{\"x\":2}", At(99));
  AddStart(different, "m", "e2", "{}", At(99));  // commits although its neighbour conflicts
  r = store_->Commit(different);
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->starts[0].ok());
  EXPECT_EQ(r->starts[0].error().code, errc::kExecutionAlreadyExists);
  EXPECT_EQ(r->starts[0].error().message, "Execution Already Exists: '" + ExecArn("m", "e1") + "'");
  ASSERT_TRUE(r->starts[1].ok());
  EXPECT_TRUE(r->starts[1]->created);
  EXPECT_TRUE(store_->GetExecution(ExecArn("m", "e2"), WithSnapshot::kNo).ok());
}

TEST_F(StoreTest, StartOfAClosedExecutionsNameIsAConflictEvenWithTheSameInput) {
  Start("e1", "{}");
  ExecutionStep end;
  end.arn = ExecArn("m", "e1");
  end.status = ExecutionStatus::kSucceeded;
  end.stop_time = At(1);
  end.output = "{}";
  ASSERT_TRUE(Step(end).ok());
  Transition again;
  AddStart(again, "m", "e1", "{}", At(2));
  auto r = store_->Commit(again);
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->starts[0].ok());
  EXPECT_EQ(r->starts[0].error().code, errc::kExecutionAlreadyExists);
}

TEST_F(StoreTest, AStepAppendsEventsAndUpdatesTheSnapshot) {
  Start("e1");
  ExecutionStep step;
  step.arn = ExecArn("m", "e1");
  step.events = {Event(2, "PassStateEntered", At(1), "{\"stateEnteredEventDetails\":{}}"),
                 Event(3, "PassStateExited", At(1))};
  step.snapshot = "{\"at\":\"pass\"}";
  ASSERT_TRUE(Step(step).ok());
  auto e = store_->GetExecution(ExecArn("m", "e1"), WithSnapshot::kYes);
  EXPECT_EQ(e->last_event_id, 3);
  EXPECT_EQ(e->snapshot, "{\"at\":\"pass\"}");
  EXPECT_EQ(e->status, ExecutionStatus::kRunning);

  // A step without a snapshot keeps the last one.
  ExecutionStep more;
  more.arn = step.arn;
  more.events = {Event(4, "PassStateEntered", At(2))};
  ASSERT_TRUE(Step(more).ok());
  e = store_->GetExecution(ExecArn("m", "e1"), WithSnapshot::kYes);
  EXPECT_EQ(e->snapshot, "{\"at\":\"pass\"}");
  EXPECT_EQ(e->last_event_id, 4);
}

TEST_F(StoreTest, AFailingPartWritesNothingOfTheTransition) {
  Start("e1");
  Start("e2");
  Transition t;
  ExecutionStep good;
  good.arn = ExecArn("m", "e1");
  good.events = {Event(2, "PassStateEntered", At(1))};
  good.snapshot = "{\"changed\":true}";
  ExecutionStep gap;
  gap.arn = ExecArn("m", "e2");
  gap.events = {Event(3, "PassStateEntered", At(1))};  // 2 comes next
  t.steps = {good, gap};
  t.enqueue.push_back(MakeTask("t1", ExecArn("m", "e1")));
  t.add_timers.push_back(Timer{"k1", ExecArn("m", "e1"), At(5), "{}"});
  t.outbox.push_back(OutboxEvent{0, "x", ExecArn("m", "e1"), "{}", At(1)});
  auto r = store_->Commit(t);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, errc::kInvalidArgument);
  EXPECT_NE(r.error().message.find("event id 3 where 2 comes next"), std::string::npos)
      << r.error().message;

  auto e1 = store_->GetExecution(ExecArn("m", "e1"), WithSnapshot::kYes);
  EXPECT_EQ(e1->last_event_id, 1);
  EXPECT_EQ(e1->snapshot, "{\"at\":\"start\"}");
  EXPECT_FALSE(store_->GetTask("t1").ok());
  EXPECT_TRUE(store_->ListTimers({}).value().empty());
  EXPECT_TRUE(store_->ReadOutbox(10, 0).value().empty());

  ExecutionStep unknown;
  unknown.arn = ExecArn("m", "nope");
  Status s = Step(unknown);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, errc::kExecutionDoesNotExist);
}

TEST_F(StoreTest, ClosingAnExecutionRecordsItsEndingAndDropsItsPendingWork) {
  Start("e1");
  Transition pending;
  pending.enqueue.push_back(MakeTask("t1", ExecArn("m", "e1")));
  pending.add_timers.push_back(Timer{"k1", ExecArn("m", "e1"), At(5), "{}"});
  ASSERT_TRUE(store_->Commit(pending).ok());

  ExecutionStep no_stop;
  no_stop.arn = ExecArn("m", "e1");
  no_stop.status = ExecutionStatus::kFailed;
  Status s = Step(no_stop);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, errc::kInvalidArgument);

  ExecutionStep fail;
  fail.arn = ExecArn("m", "e1");
  fail.events = {Event(2, "ExecutionFailed", At(3))};
  fail.status = ExecutionStatus::kFailed;
  fail.error = "States.TaskFailed";
  fail.cause = "boom";
  fail.stop_time = At(3);
  ASSERT_TRUE(Step(fail).ok());
  auto e = store_->GetExecution(ExecArn("m", "e1"), WithSnapshot::kNo);
  EXPECT_EQ(e->status, ExecutionStatus::kFailed);
  EXPECT_EQ(e->error, "States.TaskFailed");
  EXPECT_EQ(e->cause, "boom");
  EXPECT_EQ(e->stop_time, At(3));
  EXPECT_EQ(e->owner, "");
  EXPECT_FALSE(store_->GetTask("t1").ok());
  EXPECT_TRUE(store_->ListTimers({}).value().empty());

  // A redrive runs it again: the ending goes, the count goes up.
  ExecutionStep redrive;
  redrive.arn = ExecArn("m", "e1");
  redrive.events = {Event(3, "ExecutionRedriven", At(10))};
  redrive.status = ExecutionStatus::kRunning;
  redrive.redrive_time = At(10);
  ASSERT_TRUE(Step(redrive).ok());
  e = store_->GetExecution(ExecArn("m", "e1"), WithSnapshot::kNo);
  EXPECT_EQ(e->status, ExecutionStatus::kRunning);
  EXPECT_FALSE(e->stop_time.has_value());
  EXPECT_FALSE(e->error.has_value());
  EXPECT_EQ(e->redrive_count, 1);
  EXPECT_EQ(e->redrive_time, At(10));

  ExecutionStep succeed;
  succeed.arn = ExecArn("m", "e1");
  succeed.status = ExecutionStatus::kSucceeded;
  succeed.output = "{\"done\":true}";
  succeed.stop_time = At(11);
  ASSERT_TRUE(Step(succeed).ok());
  e = store_->GetExecution(ExecArn("m", "e1"), WithSnapshot::kNo);
  EXPECT_EQ(e->output, "{\"done\":true}");
  EXPECT_EQ(e->redrive_count, 1);
}

TEST_F(StoreTest, ListsExecutionsNewestFirstWithFiltersAndPages) {
  for (int i = 0; i < 7; ++i) Start("e" + std::to_string(i), "{}", At(i));
  Transition other;
  AddStart(other, "other", "x", "{}", At(100));
  ASSERT_TRUE(store_->Commit(other).ok());
  for (int i : {1, 4}) {
    ExecutionStep end;
    end.arn = ExecArn("m", "e" + std::to_string(i));
    end.status = ExecutionStatus::kFailed;
    end.stop_time = At(50);
    ASSERT_TRUE(Step(end).ok());
  }
  ExecutionStep redrive;
  redrive.arn = ExecArn("m", "e4");
  redrive.status = ExecutionStatus::kRunning;
  redrive.redrive_time = At(60);
  ASSERT_TRUE(Step(redrive).ok());

  auto names = [&](ExecutionQuery q) {
    std::vector<std::string> out;
    int pages = 0;
    do {
      auto page = store_->ListExecutions(q);
      EXPECT_TRUE(page.ok()) << page.error().message;
      if (!page.ok()) break;
      for (const auto& e : page->items) {
        out.push_back(e.name);
        EXPECT_EQ(e.input, "") << "listings carry no input";
      }
      q.next_token = page->next_token;
      ++pages;
    } while (!q.next_token.empty() && pages < 100);
    return out;
  };
  ExecutionQuery all;
  all.limit = 3;
  EXPECT_EQ(names(all), (std::vector<std::string>{"x", "e6", "e5", "e4", "e3", "e2", "e1", "e0"}));
  ExecutionQuery of_m;
  of_m.state_machine_arn = MachineArn("m");
  of_m.limit = 2;
  EXPECT_EQ(names(of_m), (std::vector<std::string>{"e6", "e5", "e4", "e3", "e2", "e1", "e0"}));
  ExecutionQuery failed = of_m;
  failed.status = ExecutionStatus::kFailed;
  EXPECT_EQ(names(failed), (std::vector<std::string>{"e1"}));
  ExecutionQuery redriven = of_m;
  redriven.redrive = RedriveFilter::kRedriven;
  EXPECT_EQ(names(redriven), (std::vector<std::string>{"e4"}));
  ExecutionQuery not_redriven = of_m;
  not_redriven.redrive = RedriveFilter::kNotRedriven;
  not_redriven.status = ExecutionStatus::kRunning;
  EXPECT_EQ(names(not_redriven), (std::vector<std::string>{"e6", "e5", "e3", "e2", "e0"}));

  // A token only works with the filters it was made for.
  auto first = store_->ListExecutions(of_m);
  ASSERT_TRUE(first.ok());
  ExecutionQuery mismatched = failed;
  mismatched.next_token = first->next_token;
  auto bad = store_->ListExecutions(mismatched);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, errc::kInvalidToken);
}

// ---- History ----------------------------------------------------------------------------------

TEST_F(StoreTest, ReadsHistoryByPageInEitherOrder) {
  Start("e1");
  ExecutionStep step;
  step.arn = ExecArn("m", "e1");
  for (int id = 2; id <= 10; ++id) {
    step.events.push_back(
        Event(id, "PassStateEntered", At(id), "{\"n\":" + std::to_string(id) + "}"));
  }
  ASSERT_TRUE(Step(step).ok());

  auto ids = [&](HistoryOrder order, int limit) {
    HistoryQuery q;
    q.execution_arn = ExecArn("m", "e1");
    q.order = order;
    q.limit = limit;
    std::vector<int64_t> out;
    do {
      auto page = store_->GetHistory(q);
      EXPECT_TRUE(page.ok()) << page.error().message;
      if (!page.ok()) break;
      for (const auto& r : page->items) out.push_back(r.id);
      q.next_token = page->next_token;
    } while (!q.next_token.empty());
    return out;
  };
  EXPECT_EQ(ids(HistoryOrder::kOldestFirst, 4),
            (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(ids(HistoryOrder::kNewestFirst, 3),
            (std::vector<int64_t>{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}));
  EXPECT_EQ(ids(HistoryOrder::kOldestFirst, 1000).size(), 10u);

  HistoryQuery q;
  q.execution_arn = ExecArn("m", "e1");
  q.limit = 1;
  auto page = store_->GetHistory(q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 1u);
  const HistoryRecord& first = page->items[0];
  EXPECT_EQ(first.type, "ExecutionStarted");
  EXPECT_EQ(first.previous_id, 0);
  EXPECT_EQ(first.timestamp, At(0));
  EXPECT_EQ(first.details, "{\"executionStartedEventDetails\":{}}");

  HistoryQuery reversed = q;
  reversed.order = HistoryOrder::kNewestFirst;
  reversed.next_token = page->next_token;
  EXPECT_EQ(store_->GetHistory(reversed).error().code, errc::kInvalidToken);

  HistoryQuery missing;
  missing.execution_arn = ExecArn("m", "nope");
  EXPECT_EQ(store_->GetHistory(missing).error().code, errc::kExecutionDoesNotExist);
}

// Long histories of executions committed together: their events interleave in the table, and a
// page is found through the anchors at any depth.
TEST_F(StoreTest, ReadsLongInterleavedHistoriesAtAnyDepth) {
  Start("a");
  Start("b");
  int64_t next = 2;
  while (next <= 300) {
    Transition t;
    for (const char* name : {"a", "b"}) {
      ExecutionStep s;
      s.arn = ExecArn("m", name);
      for (int64_t id = next; id < next + 3 && id <= 300; ++id) {
        s.events.push_back(Event(id, "PassStateEntered", At(id),
                                 std::string("{\"") + name + "\":" + std::to_string(id) + "}"));
      }
      t.steps.push_back(std::move(s));
    }
    ASSERT_TRUE(store_->Commit(t).ok());
    next += 3;
  }
  for (HistoryOrder order : {HistoryOrder::kOldestFirst, HistoryOrder::kNewestFirst}) {
    for (int limit : {1, 7, 63, 64, 65, 100, 1000}) {
      HistoryQuery q;
      q.execution_arn = ExecArn("m", "b");
      q.order = order;
      q.limit = limit;
      std::vector<int64_t> ids;
      int pages = 0;
      do {
        auto page = store_->GetHistory(q);
        ASSERT_TRUE(page.ok()) << page.error().message;
        ASSERT_LE(static_cast<int>(page->items.size()), limit);
        for (const HistoryRecord& r : page->items) {
          ids.push_back(r.id);
          if (r.id > 1) {
            EXPECT_EQ(r.details, "{\"b\":" + std::to_string(r.id) + "}");
          }
          EXPECT_EQ(r.previous_id, r.id - 1);
        }
        q.next_token = page->next_token;
        ++pages;
      } while (!q.next_token.empty());
      ASSERT_EQ(ids.size(), 300u) << "limit " << limit;
      EXPECT_EQ(pages, (300 + limit - 1) / limit);
      for (int i = 0; i < 300; ++i) {
        ASSERT_EQ(ids[i], order == HistoryOrder::kOldestFirst ? i + 1 : 300 - i) << limit;
      }
    }
  }
}

TEST_F(StoreTest, KeepsMillisecondTimestamps) {
  Start("e1", "{}", At(1.2345));
  auto e = store_->GetExecution(ExecArn("m", "e1"), WithSnapshot::kNo);
  EXPECT_EQ(e->start_time, At(1.234));
}

// ---- Batching, owners and claims -------------------------------------------------------------

TEST_F(StoreTest, OneCommitCarriesTheStepsOfManyExecutions) {
  Transition starts;
  for (int i = 0; i < 50; ++i) AddStart(starts, "m", "e" + std::to_string(i), "{}", At(0));
  int64_t before = store_->Stats().commits;
  ASSERT_TRUE(store_->Commit(starts).ok());
  Transition steps;
  for (int i = 0; i < 50; ++i) {
    ExecutionStep s;
    s.arn = ExecArn("m", "e" + std::to_string(i));
    s.events = {Event(2, "PassStateEntered", At(1)), Event(3, "PassStateExited", At(1))};
    steps.steps.push_back(std::move(s));
  }
  ASSERT_TRUE(store_->Commit(steps).ok());
  EXPECT_EQ(store_->Stats().commits - before, 2);
  EXPECT_EQ(store_->GetExecution(ExecArn("m", "e49"), WithSnapshot::kNo)->last_event_id, 3);
}

TEST_F(StoreTest, OnlyTheOwnerWritesAnExecution) {
  Execution e = Start("e1", "{}", At(0), "node-a");
  EXPECT_EQ(e.owner, "node-a");
  ExecutionStep step;
  step.arn = e.arn;
  step.events = {Event(2, "PassStateEntered", At(1))};
  Status lost = Step(step, "node-b");
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().code, errc::kLeaseLost);
  EXPECT_NE(lost.error().message.find("held by 'node-a', not by 'node-b'"), std::string::npos);
  EXPECT_EQ(store_->GetExecution(e.arn, WithSnapshot::kNo)->last_event_id, 1);
  EXPECT_TRUE(Step(step, "node-a").ok());
}

TEST_F(StoreTest, ClaimsRunningExecutionsWithTheirSnapshots) {
  Start("e1", "{}", At(0), "node-a");
  Start("e2", "{}", At(0), "node-a");
  Start("done", "{}", At(0), "node-a");
  ExecutionStep end;
  end.arn = ExecArn("m", "done");
  end.status = ExecutionStatus::kSucceeded;
  end.stop_time = At(1);
  ASSERT_TRUE(Step(end, "node-a").ok());

  // Held (lease never expires for a transition's default owner_lease_until): nothing to claim.
  EXPECT_TRUE(store_->ClaimExecutions("node-b", 10, At(100), At(200))->empty());

  // After a restart every lease is released: the running ones can be claimed.
  Reopen();
  auto claimed = store_->ClaimExecutions("node-b", 1, At(100), At(130));
  ASSERT_TRUE(claimed.ok()) << claimed.error().message;
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ((*claimed)[0].arn, ExecArn("m", "e1"));
  EXPECT_EQ((*claimed)[0].snapshot, "{\"at\":\"start\"}");
  EXPECT_EQ((*claimed)[0].owner, "node-b");
  EXPECT_EQ((*claimed)[0].lease_expiry, At(130));
  claimed = store_->ClaimExecutions("node-b", 10, At(100), At(130));
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ((*claimed)[0].arn, ExecArn("m", "e2"));

  // Held until 130: node-c gets nothing before, both after; a renewal moves the deadline.
  EXPECT_TRUE(store_->ClaimExecutions("node-c", 10, At(120), At(200))->empty());
  ASSERT_TRUE(store_->RenewExecutionLeases("node-b", At(150)).ok());
  EXPECT_TRUE(store_->ClaimExecutions("node-c", 10, At(140), At(200))->empty());
  claimed = store_->ClaimExecutions("node-c", 10, At(151), At(200));
  EXPECT_EQ(claimed->size(), 2u);

  // node-b lost them: its next step is refused.
  ExecutionStep step;
  step.arn = ExecArn("m", "e1");
  step.events = {Event(2, "PassStateEntered", At(152))};
  EXPECT_EQ(Step(step, "node-b").error().code, errc::kLeaseLost);
  EXPECT_TRUE(Step(step, "node-c").ok());
}

TEST_F(StoreTest, ReopenFindsEverything) {
  ASSERT_TRUE(store_->PutStateMachine(Machine("m"), PutMode::kCreate, At(0)).ok());
  Transition t;
  AddStart(t, "m", "e1", "{\"in\":1}", At(1));
  t.enqueue.push_back(MakeTask("t1", ExecArn("m", "e1"), "q", "tok-1", "{\"p\":1}"));
  t.add_timers.push_back(Timer{"k1", ExecArn("m", "e1"), At(30), "{\"wait\":1}"});
  t.outbox.push_back(OutboxEvent{0, "Step Functions Execution Status Change", ExecArn("m", "e1"),
                                 "{\"status\":\"RUNNING\"}", At(1)});
  ASSERT_TRUE(store_->Commit(t).ok());
  LeaseRequest lease;
  lease.owner = "w";
  lease.now = At(2);
  ASSERT_EQ(store_->LeaseTasks(lease)->size(), 1u);

  Reopen();
  EXPECT_EQ(store_->GetStateMachine("m")->definition, "{\"v\":1}");
  auto e = store_->GetExecution(ExecArn("m", "e1"), WithSnapshot::kYes);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->input, "{\"in\":1}");
  EXPECT_EQ(e->snapshot, "{\"at\":\"start\"}");
  HistoryQuery hq;
  hq.execution_arn = e->arn;
  EXPECT_EQ(store_->GetHistory(hq)->items.size(), 1u);
  auto task = store_->GetTaskByToken("tok-1");
  ASSERT_TRUE(task.ok());
  EXPECT_EQ(task->state, TaskState::kReady) << "the lease of the previous process is released";
  EXPECT_EQ(task->attempts, 1);
  EXPECT_EQ(task->payload, "{\"p\":1}");
  auto timers = store_->ListTimers({});
  ASSERT_EQ(timers->size(), 1u);
  EXPECT_EQ((*timers)[0].due, At(30));
  auto outbox = store_->ReadOutbox(10, 0);
  ASSERT_EQ(outbox->size(), 1u);
  EXPECT_EQ((*outbox)[0].payload, "{\"status\":\"RUNNING\"}");
}

// Writers and readers on several threads at once: every commit lands, reads never fail.
TEST_F(StoreTest, WritersAndReadersOnManyThreads) {
  constexpr int kThreads = 4, kSteps = 50;
  for (int i = 0; i < kThreads; ++i) Start("e" + std::to_string(i));
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int n = 0; n < kSteps; ++n) {
        Transition t;
        ExecutionStep s;
        s.arn = ExecArn("m", "e" + std::to_string(i));
        s.events = {Event(2 + n, "PassStateEntered", At(n))};
        t.steps.push_back(std::move(s));
        if (!store_->Commit(t).ok()) failed = true;
      }
    });
    threads.emplace_back([&, i] {
      for (int n = 0; n < kSteps; ++n) {
        HistoryQuery q;
        q.execution_arn = ExecArn("m", "e" + std::to_string(i));
        if (!store_->GetHistory(q).ok()) failed = true;
        if (!store_->ListExecutions({}).ok()) failed = true;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(failed);
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_EQ(store_->GetExecution(ExecArn("m", "e" + std::to_string(i)), WithSnapshot::kNo)
                  ->last_event_id,
              1 + kSteps);
  }
}

}  // namespace
}  // namespace wharf::store
