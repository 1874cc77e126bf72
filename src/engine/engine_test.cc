// Durable engine tests: a real SQLite store in a temporary folder, real function processes
// (/bin/sh), and restarts of the engine over the same store.
#include "engine/engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "store/sqlite_store.h"
#include "store/store_testing.h"

namespace wharf::engine {
namespace {

using store::testing::TempDir;
using namespace std::chrono_literals;

tasks::FunctionSpec Sh(const std::string& name, const std::string& script) {
  tasks::FunctionSpec f;
  f.name = name;
  f.command = {"/bin/sh", "-c", script};
  return f;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The SQLite store, with commits that fail on demand (a full disk, an I/O error).
class FailingStore final : public store::StateStore {
 public:
  explicit FailingStore(store::StateStore* inner) : s_(inner) {}
  std::atomic<bool> fail_commits{false};
  std::atomic<int> failed{0};

  Result<store::CommitResult> Commit(const store::Transition& t) override {
    if (fail_commits) {
      ++failed;
      return MakeError(store::errc::kStoreFailure, "database or disk is full");
    }
    return s_->Commit(t);
  }
  Result<store::PutStateMachineResult> PutStateMachine(const store::StateMachine& m,
                                                       store::PutMode mode,
                                                       TimePoint now) override {
    return s_->PutStateMachine(m, mode, now);
  }
  Result<store::StateMachine> GetStateMachine(std::string_view n) override {
    return s_->GetStateMachine(n);
  }
  Result<store::StateMachine> GetStateMachineRevision(std::string_view a,
                                                      std::string_view r) override {
    return s_->GetStateMachineRevision(a, r);
  }
  Result<store::Page<store::StateMachine>> ListStateMachines(int l, std::string_view t) override {
    return s_->ListStateMachines(l, t);
  }
  Status DeleteStateMachine(std::string_view n) override { return s_->DeleteStateMachine(n); }
  Result<store::Execution> GetExecution(std::string_view a, store::WithSnapshot w) override {
    return s_->GetExecution(a, w);
  }
  Result<store::Page<store::Execution>> ListExecutions(const store::ExecutionQuery& q) override {
    return s_->ListExecutions(q);
  }
  Result<std::vector<store::Execution>> ClaimExecutions(std::string_view o, int m, TimePoint n,
                                                        TimePoint u) override {
    return s_->ClaimExecutions(o, m, n, u);
  }
  Status RenewExecutionLeases(std::string_view o, TimePoint u) override {
    return s_->RenewExecutionLeases(o, u);
  }
  Result<store::Page<store::HistoryRecord>> GetHistory(const store::HistoryQuery& q) override {
    return s_->GetHistory(q);
  }
  Result<std::vector<store::Task>> LeaseTasks(const store::LeaseRequest& r) override {
    return s_->LeaseTasks(r);
  }
  Status CompleteTask(const store::TaskLease& l, std::string_view r, store::Completion c) override {
    return s_->CompleteTask(l, r, c);
  }
  Status ExtendTaskLease(const store::TaskLease& l, TimePoint u) override {
    return s_->ExtendTaskLease(l, u);
  }
  Result<store::Task> GetTask(std::string_view t) override { return s_->GetTask(t); }
  Result<std::vector<store::Task>> ListFinishedTasks(const store::FinishedTaskQuery& q) override {
    return s_->ListFinishedTasks(q);
  }
  Result<store::Task> GetTaskByToken(std::string_view t) override { return s_->GetTaskByToken(t); }
  Status CompleteTaskByToken(std::string_view t, std::string_view r) override {
    return s_->CompleteTaskByToken(t, r);
  }
  Status HeartbeatTaskByToken(std::string_view t, TimePoint n) override {
    return s_->HeartbeatTaskByToken(t, n);
  }
  Result<std::vector<store::Timer>> ListTimers(const store::TimerQuery& q) override {
    return s_->ListTimers(q);
  }
  Result<std::vector<store::OutboxEvent>> ReadOutbox(int l, int64_t a) override {
    return s_->ReadOutbox(l, a);
  }
  Status MarkOutboxDelivered(const std::vector<int64_t>& s, TimePoint n) override {
    return s_->MarkOutboxDelivered(s, n);
  }
  void SetOutboxListener(std::function<void()> l) override { s_->SetOutboxListener(std::move(l)); }
  uint64_t TaskEvents() const override { return s_->TaskEvents(); }
  uint64_t WaitForTaskEvents(uint64_t s, std::chrono::milliseconds t) override {
    return s_->WaitForTaskEvents(s, t);
  }
  store::StoreStats Stats() const override { return s_->Stats(); }

 private:
  store::StateStore* s_;
};

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override { OpenStore(); }
  void TearDown() override {
    engine_.reset();
    store_.reset();
  }
  void OpenStore() {
    store::SqliteOptions o;
    o.data_dir = dir_.path() + "/data";
    auto s = store::SqliteStore::Open(o);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
  }
  void Define(const std::string& name, const std::string& definition) {
    store::StateMachine m;
    m.arn = "arn:aws:states:us-east-1:111111111111:stateMachine:" + name;
    m.name = name;
    m.definition = definition;
    auto r = store_->PutStateMachine(m, store::PutMode::kCreateOrUpdate, SystemClock().Now());
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  void StartEngine(store::StateStore* over = nullptr) {
    EngineOptions o;
    o.store = over ? over : store_.get();
    o.functions = functions_;
    o.concurrency = concurrency_;
    auto e = Engine::Start(o);
    ASSERT_TRUE(e.ok()) << e.error().message;
    engine_ = std::move(*e);
  }
  // Stops the engine and reopens the store, as a restart of the service does.
  void Restart() {
    engine_.reset();
    store_.reset();
    OpenStore();
    StartEngine();
  }
  std::string Start(const std::string& machine, const std::string& input = "{}",
                    const std::string& name = "") {
    auto r = engine_->StartExecution({machine, name, input});
    EXPECT_TRUE(r.ok()) << r.error().code << ": " << r.error().message;
    return r.ok() ? r->execution_arn : "";
  }
  store::Execution Wait(const std::string& arn, std::chrono::milliseconds timeout = 20s) {
    auto e = engine_->WaitForExecution(arn, timeout);
    EXPECT_TRUE(e.ok());
    return e.ok() ? *e : store::Execution{};
  }
  std::vector<store::HistoryRecord> History(const std::string& arn) {
    std::vector<store::HistoryRecord> all;
    store::HistoryQuery q;
    q.execution_arn = arn;
    q.limit = 1000;
    for (;;) {
      auto page = store_->GetHistory(q);
      EXPECT_TRUE(page.ok());
      if (!page.ok()) break;
      for (auto& e : page->items) all.push_back(e);
      if (page->next_token.empty()) break;
      q.next_token = page->next_token;
    }
    return all;
  }
  std::vector<std::string> Types(const std::string& arn) {
    std::vector<std::string> t;
    for (auto& e : History(arn)) t.push_back(e.type);
    return t;
  }

  TempDir dir_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<Engine> engine_;
  std::map<std::string, tasks::FunctionSpec> functions_;
  std::map<std::string, int> concurrency_;
};

TEST_F(EngineTest, RunsAPassChainAndRecordsItsHistory) {
  Define("chain", R"({"StartAt":"A","States":{
    "A":{"Type":"Pass","Result":1,"ResultPath":"$.a","Next":"B"},
    "B":{"Type":"Pass","Result":2,"ResultPath":"$.b","End":true}}})");
  StartEngine();
  std::string arn = Start("chain", R"({"x":0})", "first");
  EXPECT_EQ(arn, "arn:aws:states:us-east-1:111111111111:execution:chain:first");
  store::Execution e = Wait(arn);
  EXPECT_EQ(e.status, store::ExecutionStatus::kSucceeded);
  EXPECT_EQ(e.output.value_or(""), R"({"x":0,"a":1,"b":2})");
  TimePoint previous;
  for (auto& event : History(arn)) {
    EXPECT_GE(event.timestamp, previous) << "event " << event.id << " goes back in time";
    previous = event.timestamp;
  }
  EXPECT_EQ(Types(arn), (std::vector<std::string>{"ExecutionStarted", "PassStateEntered",
                                                  "PassStateExited", "PassStateEntered",
                                                  "PassStateExited", "ExecutionSucceeded"}));
  // The status change is in the outbox for the events issue.
  auto outbox = store_->ReadOutbox(10, 0);
  ASSERT_TRUE(outbox.ok());
  ASSERT_EQ(outbox->size(), 1u);
  EXPECT_EQ((*outbox)[0].kind, "Step Functions Execution Status Change");
  auto event = Json::Parse((*outbox)[0].payload);
  ASSERT_TRUE(event.ok());
  EXPECT_EQ(event->find("detail")->find("status")->as_string(), "SUCCEEDED");
  EXPECT_EQ(event->find("source")->as_string(), "aws.states");
}

TEST_F(EngineTest, StartIsIdempotentByNameAndInput) {
  Define("w", R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":30,"End":true}}})");
  StartEngine();
  auto a = engine_->StartExecution({"w", "same", R"({"k":1})"});
  auto b = engine_->StartExecution({"w", "same", R"({"k":1})"});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->execution_arn, b->execution_arn);
  EXPECT_EQ(a->start_date, b->start_date);
  auto c = engine_->StartExecution({"w", "same", R"({"k":2})"});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, "ExecutionAlreadyExists");
  auto bad = engine_->StartExecution({"w", "bad name", "{}"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "InvalidName");
  auto input = engine_->StartExecution({"w", "x", "{not json"});
  ASSERT_FALSE(input.ok());
  EXPECT_EQ(input.error().code, "InvalidExecutionInput");
  auto missing = engine_->StartExecution({"nope", "x", "{}"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "StateMachineDoesNotExist");
  EXPECT_EQ(Types(a->execution_arn).size(), 2u);  // started and entered, no second start
}

TEST_F(EngineTest, RunsFunctionsWithTheAttemptIdAndRetries) {
  std::string counter = dir_.path() + "/count";
  functions_["flaky"] =
      Sh("flaky",
         "n=$(cat " + counter + " 2>/dev/null || echo 0); n=$((n+1)); echo $n > " + counter +
             "; if [ $n -lt 3 ]; then echo '{\"errorType\":\"Flaky\",\"errorMessage\":\"no\"}'"
             " >&2; exit 1; fi; printf '{\"id\":\"%s\",\"n\":%s}' \"$WHARF_ATTEMPT_ID\" $n");
  Define(
      "f",
      R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:flaky",
    "Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":1,"BackoffRate":1,"MaxAttempts":5}],"End":true}}})");
  StartEngine();
  std::string arn = Start("f", "{}", "retry");
  store::Execution e = Wait(arn);
  ASSERT_EQ(e.status, store::ExecutionStatus::kSucceeded) << e.cause.value_or("");
  auto out = Json::Parse(*e.output);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->find("n")->as_int(), 3);
  EXPECT_EQ(out->find("id")->as_string(), arn + "/2/2");  // entered at event 2, third try
  int failed = 0;
  for (auto& t : Types(arn)) failed += t == "LambdaFunctionFailed";
  EXPECT_EQ(failed, 2);
}

TEST_F(EngineTest, AWaitKeepsItsDeadlineAcrossARestart) {
  Define("wait", R"({"StartAt":"P","States":{
    "P":{"Type":"Pass","Next":"W"},
    "W":{"Type":"Wait","Seconds":2,"Next":"Q"},
    "Q":{"Type":"Pass","End":true}}})");
  StartEngine();
  auto started = SystemClock().Now();
  std::string arn = Start("wait", R"({"v":1})", "w1");
  std::this_thread::sleep_for(500ms);
  Restart();
  store::Execution e = Wait(arn);
  auto took = SystemClock().Now() - started;
  EXPECT_EQ(e.status, store::ExecutionStatus::kSucceeded);
  EXPECT_GE(took, 2s);
  EXPECT_LT(took, 4s);  // not restarted from zero after the restart
  std::vector<std::string> want = {"ExecutionStarted", "PassStateEntered",  "PassStateExited",
                                   "WaitStateEntered", "WaitStateExited",   "PassStateEntered",
                                   "PassStateExited",  "ExecutionSucceeded"};
  EXPECT_EQ(Types(arn), want);
}

TEST_F(EngineTest, ATaskLostInARestartRunsAgainWithTheSameAttemptId) {
  std::string log = dir_.path() + "/log";
  // The first run outlives the engine; the engine's restart runs it again.
  functions_["slow"] =
      Sh("slow", "echo \"$WHARF_ATTEMPT_ID $WHARF_ATTEMPT_NUMBER\" >> " + log +
                     "; if [ $WHARF_ATTEMPT_NUMBER = 1 ]; then sleep 1; fi; echo 7");
  Define("t",
         R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
    "Parameters":{"FunctionName":"slow","Payload":{}},"OutputPath":"$.Payload","End":true}}})");
  StartEngine();
  std::string arn = Start("t", "{}", "lost");
  for (int i = 0; i < 100 && ReadAll(log).empty(); ++i) std::this_thread::sleep_for(20ms);
  // Simulate the loss: forget the engine without letting it store the result. The store is
  // reopened, which releases the dead owner's leases as a restart after kill -9 does.
  engine_->Shutdown();  // waits for the running process, whose result is then stored...
  engine_.reset();
  store_.reset();
  OpenStore();
  StartEngine();
  store::Execution e = Wait(arn);
  EXPECT_EQ(e.status, store::ExecutionStatus::kSucceeded);
  EXPECT_EQ(e.output.value_or(""), "7");
  // ... so the task ran once: a stored result is never run again.
  std::string lines = ReadAll(log);
  EXPECT_EQ(lines, arn + "/2/0 1\n");
}

TEST_F(EngineTest, WaitForTaskTokenCompletesBySendTaskSuccessAndFailure) {
  std::string tokens = dir_.path() + "/tokens";
  functions_["notify"] = Sh("notify", "cat >> " + tokens + "; echo >> " + tokens + "; echo '{}'");
  Define("cb", R"({"StartAt":"T","States":{"T":{"Type":"Task",
    "Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
    "Parameters":{"FunctionName":"notify","Payload":{"token.$":"$$.Task.Token"}},"End":true}}})");
  StartEngine();
  std::string ok_arn = Start("cb", "{}", "ok");
  std::string token;
  for (int i = 0; i < 200 && token.empty(); ++i) {
    std::this_thread::sleep_for(20ms);
    std::istringstream lines(ReadAll(tokens));
    std::string line;
    if (std::getline(lines, line) && !line.empty()) {
      auto doc = Json::Parse(line);
      if (doc.ok()) token = doc->find("token")->as_string();
    }
  }
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(engine_->SendTaskOutcome(token, {true, "not json", "", ""}).error().code,
            "InvalidOutput");
  EXPECT_TRUE(engine_->SendTaskHeartbeat(token).ok());
  ASSERT_TRUE(engine_->SendTaskOutcome(token, {true, R"({"answer":42})", "", ""}).ok());
  store::Execution e = Wait(ok_arn);
  EXPECT_EQ(e.status, store::ExecutionStatus::kSucceeded);
  EXPECT_EQ(e.output.value_or(""), R"({"answer":42})");
  // The token is spent.
  auto again = engine_->SendTaskOutcome(token, {true, "{}", "", ""});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "TaskTimedOut");  // as AWS answers a closed task's token
  EXPECT_EQ(engine_->SendTaskHeartbeat(token).error().code, "TaskTimedOut");
  EXPECT_EQ(engine_->SendTaskOutcome("no-such-token", {true, "{}", "", ""}).error().code,
            "InvalidToken");

  std::string fail_arn = Start("cb", "{}", "fail");
  std::string token2;
  for (int i = 0; i < 200 && token2.empty(); ++i) {
    std::this_thread::sleep_for(20ms);
    std::istringstream lines(ReadAll(tokens));
    std::string line;
    int n = 0;
    while (std::getline(lines, line))
      if (!line.empty() && ++n == 2) token2 = Json::Parse(line)->find("token")->as_string();
  }
  ASSERT_FALSE(token2.empty());
  ASSERT_TRUE(engine_->SendTaskOutcome(token2, {false, "", "Rejected", "by a person"}).ok());
  e = Wait(fail_arn);
  EXPECT_EQ(e.status, store::ExecutionStatus::kFailed);
  EXPECT_EQ(e.error.value_or(""), "Rejected");
  EXPECT_EQ(e.cause.value_or(""), "by a person");
}

TEST_F(EngineTest, HeartbeatSecondsFailsATaskWithoutHeartbeats) {
  functions_["quiet"] = Sh("quiet", "cat > /dev/null; echo '{}'");
  Define("hb", R"({"StartAt":"T","States":{"T":{"Type":"Task",
    "Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken","HeartbeatSeconds":1,
    "Parameters":{"FunctionName":"quiet","Payload":{"t.$":"$$.Task.Token"}},"End":true}}})");
  StartEngine();
  std::string arn = Start("hb", "{}", "hb");
  store::Execution e = Wait(arn);
  EXPECT_EQ(e.status, store::ExecutionStatus::kFailed);
  EXPECT_EQ(e.error.value_or(""), "States.HeartbeatTimeout");
  auto types = Types(arn);
  EXPECT_NE(std::find(types.begin(), types.end(), "TaskTimedOut"), types.end());
}

TEST_F(EngineTest, StopAbortsARunningExecution) {
  Define("w", R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}})");
  StartEngine();
  std::string arn = Start("w", "{}", "stopme");
  auto stopped = engine_->StopExecution(arn, std::string("Halt"), std::string("by a test"));
  ASSERT_TRUE(stopped.ok());
  store::Execution e = Wait(arn, 5s);
  EXPECT_EQ(e.status, store::ExecutionStatus::kAborted);
  EXPECT_EQ(e.error.value_or(""), "Halt");
  EXPECT_EQ(Types(arn).back(), "ExecutionAborted");
  auto missing = engine_->StopExecution(arn + "x", std::nullopt, std::nullopt);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "ExecutionDoesNotExist");
}

TEST_F(EngineTest, RedriveRestartsFromTheFailedState) {
  std::string flag = dir_.path() + "/fixed";
  std::string count = dir_.path() + "/first-runs";
  functions_["first"] = Sh("first", "echo x >> " + count + "; echo '{\"a\":1}'");
  functions_["second"] = Sh("second", "if [ -e " + flag +
                                          " ]; then echo '{\"b\":2}'; else echo "
                                          "'{\"errorType\":\"NotYet\",\"errorMessage\":\"m\"}'; "
                                          "exit 1; fi");
  Define("r", R"({"StartAt":"One","States":{
    "One":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:first","Next":"Two"},
    "Two":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:second","End":true}}})");
  StartEngine();
  std::string arn = Start("r", "{}", "redrive");
  store::Execution e = Wait(arn);
  ASSERT_EQ(e.status, store::ExecutionStatus::kFailed);
  EXPECT_EQ(e.error.value_or(""), "NotYet");
  std::ofstream(flag) << "1";
  Restart();  // the redrive works from the stored snapshot, not from memory
  auto redriven = engine_->RedriveExecution(arn);
  ASSERT_TRUE(redriven.ok()) << redriven.error().message;
  e = Wait(arn);
  EXPECT_EQ(e.status, store::ExecutionStatus::kSucceeded);
  EXPECT_EQ(e.output.value_or(""), R"({"b":2})");
  EXPECT_EQ(e.redrive_count, 1);
  EXPECT_EQ(ReadAll(count), "x\n");  // the state that succeeded did not run again
  auto types = Types(arn);
  EXPECT_NE(std::find(types.begin(), types.end(), "ExecutionRedriven"), types.end());
  auto again = engine_->RedriveExecution(arn);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "ExecutionNotRedrivable");
}

TEST_F(EngineTest, PerFunctionConcurrencyLimit) {
  std::string lock = dir_.path() + "/lock";
  std::string overlap = dir_.path() + "/overlap";
  std::string script = "cat >/dev/null; if mkdir " + lock + " 2>/dev/null; then sleep 0.2; rmdir " +
                       lock + "; else echo x >> " + overlap + "; sleep 0.2; fi; echo 1";
  functions_["one"] = Sh("one", script);
  functions_["many"] = Sh("many", script);
  concurrency_["one"] = 1;
  Define("m", R"({"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{
    "ProcessorConfig":{"Mode":"INLINE"},"StartAt":"T","States":{"T":{"Type":"Task",
    "Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName.$":"$.f","Payload":{}},
    "OutputPath":"$.Payload","End":true}}},"ItemSelector":{"f.$":"$$.Map.Item.Value"},"End":true}}})");
  StartEngine();
  std::string limited = Start("m", R"({"items":["one","one","one","one"]})", "limited");
  EXPECT_EQ(Wait(limited).status, store::ExecutionStatus::kSucceeded);
  EXPECT_EQ(ReadAll(overlap), "");  // never two at once
  std::string free = Start("m", R"({"items":["many","many","many","many"]})", "free");
  EXPECT_EQ(Wait(free).status, store::ExecutionStatus::kSucceeded);
  EXPECT_NE(ReadAll(overlap), "");  // without a limit they overlap: the check above can fail
}

TEST_F(EngineTest, ParallelAndMapSurviveARestartMidway) {
  Define("pm", R"({"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[
      {"StartAt":"W1","States":{"W1":{"Type":"Wait","Seconds":1,"Next":"A"},"A":{"Type":"Pass","Result":"a","End":true}}},
      {"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.xs","ItemProcessor":{"StartAt":"W2","States":{
         "W2":{"Type":"Wait","Seconds":1,"Next":"S"},"S":{"Type":"Pass","End":true}}},"End":true}}}],
    "End":true}}})");
  StartEngine();
  std::string arn = Start("pm", R"({"xs":[1,2,3]})", "pm");
  std::this_thread::sleep_for(300ms);
  Restart();
  store::Execution e = Wait(arn);
  ASSERT_EQ(e.status, store::ExecutionStatus::kSucceeded) << e.cause.value_or("");
  EXPECT_EQ(e.output.value_or(""), R"(["a",[1,2,3]])");
  int entered = 0;
  for (auto& t : Types(arn)) entered += t == "WaitStateEntered";
  EXPECT_EQ(entered, 4);  // each Wait entered once, none again after the restart
}

TEST_F(EngineTest, QueuedTasksSurviveARestart) {
  std::string log = dir_.path() + "/log";
  functions_["one"] =
      Sh("one", "cat >/dev/null; echo \"$WHARF_ATTEMPT_ID\" >> " + log + "; sleep 0.3; echo 1");
  concurrency_["one"] = 1;
  Define("q", R"({"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{
    "StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
    "Parameters":{"FunctionName":"one","Payload":{}},"OutputPath":"$.Payload","End":true}}},"End":true}}})");
  StartEngine();
  std::string arn = Start("q", R"({"items":[1,2,3,4]})", "queued");
  std::this_thread::sleep_for(100ms);  // one task runs, three wait in the queue
  Restart();
  store::Execution e = Wait(arn);
  EXPECT_EQ(e.status, store::ExecutionStatus::kSucceeded);
  EXPECT_EQ(e.output.value_or(""), "[1,1,1,1]");
  std::istringstream lines(ReadAll(log));
  std::set<std::string> ids;
  int runs = 0;
  for (std::string line; std::getline(lines, line); ++runs) ids.insert(line);
  EXPECT_EQ(runs, 4);  // each once: the running one finished before the stop, the queued ones after
  EXPECT_EQ(ids.size(), 4u);
}

TEST_F(EngineTest, AFailedCommitLosesNothingAndTheExecutionCarriesOn) {
  Define("w", R"({"StartAt":"P","States":{
    "P":{"Type":"Pass","Next":"W"},
    "W":{"Type":"Wait","Seconds":1,"Next":"Q"},
    "Q":{"Type":"Pass","Result":"done","End":true}}})");
  FailingStore failing(store_.get());
  StartEngine(&failing);
  std::string arn = Start("w", "{}", "survivor");
  failing.fail_commits = true;
  auto refused = engine_->StartExecution({"w", "refused", "{}"});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "StoreFailure");
  std::this_thread::sleep_for(1500ms);  // the Wait ends while the disk is full
  EXPECT_GT(failing.failed.load(), 1);  // the engine kept trying
  failing.fail_commits = false;
  store::Execution e = Wait(arn);
  EXPECT_EQ(e.status, store::ExecutionStatus::kSucceeded);
  EXPECT_EQ(e.output.value_or(""), "\"done\"");
  std::vector<std::string> want = {"ExecutionStarted", "PassStateEntered",  "PassStateExited",
                                   "WaitStateEntered", "WaitStateExited",   "PassStateEntered",
                                   "PassStateExited",  "ExecutionSucceeded"};
  EXPECT_EQ(Types(arn), want);
  auto missing = store_->GetExecution("arn:aws:states:us-east-1:111111111111:execution:w:refused",
                                      store::WithSnapshot::kNo);
  EXPECT_FALSE(missing.ok());  // a start whose commit failed never existed
  engine_.reset();             // before `failing` goes
}

}  // namespace
}  // namespace wharf::engine
