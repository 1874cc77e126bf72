// SfnService's execution reads over a real SqliteStore: executions are written with
// StateStore::Commit as the engine writes them, then read back through the API actions.
#include <gtest/gtest.h>

#include "api/sfn_testing.h"

namespace wharf::api {
namespace {

using testing::At;
using testing::J;
using testing::SfnTest;
using S = store::ExecutionStatus;

constexpr char kPass[] = R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}})";
constexpr char kPass2[] = R"({"StartAt":"B","States":{"B":{"Type":"Pass","Result":2,"End":true}}})";

class SfnExecutionsTest : public SfnTest {
 protected:
  void SetUp() override {
    SfnTest::SetUp();
    machine_ = Put("m", kPass);
  }

  std::string ExecBody(const std::string& name, const std::string& extra = "") {
    return R"({"executionArn":")" + ExecArn("m", name) + "\"" + extra + "}";
  }
  std::string ListBody(const std::string& extra = "") {
    return R"({"stateMachineArn":")" + MachineArn("m") + "\"" + extra + "}";
  }

  // An execution that ran A and ended with `status` at `stop`.
  void Finish(const std::string& name, S status, TimePoint stop, int64_t next_id = 2) {
    store::ExecutionStep step;
    step.arn = ExecArn("m", name);
    step.events.push_back(store::testing::Event(
        next_id, "PassStateEntered", stop,
        R"({"stateEnteredEventDetails":{"name":"A","input":"{\"x\":1}","inputDetails":{"truncated":false}}})"));
    step.events.push_back(store::testing::Event(
        next_id + 1, "PassStateExited", stop,
        R"({"stateExitedEventDetails":{"name":"A","output":"{\"x\":1}","outputDetails":{"truncated":false}}})"));
    if (status == S::kSucceeded) {
      step.events.push_back(store::testing::Event(
          next_id + 2, "ExecutionSucceeded", stop,
          R"({"executionSucceededEventDetails":{"output":"{\"x\":1}","outputDetails":{"truncated":false}}})"));
      step.output = R"({"x":1})";
    } else {
      step.events.push_back(
          store::testing::Event(next_id + 2, "ExecutionFailed", stop,
                                R"({"executionFailedEventDetails":{"error":"E","cause":"C"}})"));
      step.error = "E";
      step.cause = "C";
    }
    step.status = status;
    step.stop_time = stop;
    Step(std::move(step));
  }

  store::StateMachine machine_;
};

// ---- DescribeExecution -------------------------------------------------------------------------

TEST_F(SfnExecutionsTest, DescribeARunningExecution) {
  StartExecution(machine_, "run", R"({"x":1})", At(1.5));
  Json d = Ok("DescribeExecution", ExecBody("run"));
  EXPECT_EQ(d.find("executionArn")->as_string(),
            "arn:aws:states:us-east-1:111111111111:execution:m:run");
  EXPECT_EQ(d.find("stateMachineArn")->as_string(), MachineArn("m"));
  EXPECT_EQ(d.find("name")->as_string(), "run");
  EXPECT_EQ(d.find("status")->as_string(), "RUNNING");
  EXPECT_DOUBLE_EQ(d.find("startDate")->as_double(), 1704067201.5);
  EXPECT_EQ(d.find("stopDate"), nullptr);
  EXPECT_EQ(d.find("input")->as_string(), R"({"x":1})");
  EXPECT_EQ(*d.find("inputDetails"), J(R"({"included":true})"));
  EXPECT_EQ(d.find("output"), nullptr);
  EXPECT_EQ(d.find("error"), nullptr);
  EXPECT_EQ(d.find("redriveCount")->as_int(), 0);
  EXPECT_EQ(d.find("redriveDate"), nullptr);
  EXPECT_EQ(d.find("redriveStatus")->as_string(), "NOT_REDRIVABLE");
  EXPECT_EQ(d.find("redriveStatusReason")->as_string(),
            "Execution is RUNNING and cannot be redriven.");
}

TEST_F(SfnExecutionsTest, DescribeASucceededExecution) {
  StartExecution(machine_, "ok", "{}", At(1));
  Finish("ok", S::kSucceeded, At(2.25));
  Json d = Ok("DescribeExecution", ExecBody("ok"));
  EXPECT_EQ(d.find("status")->as_string(), "SUCCEEDED");
  EXPECT_DOUBLE_EQ(d.find("stopDate")->as_double(), 1704067202.25);
  EXPECT_EQ(d.find("output")->as_string(), R"({"x":1})");
  EXPECT_EQ(*d.find("outputDetails"), J(R"({"included":true})"));
  EXPECT_EQ(d.find("redriveStatus")->as_string(), "NOT_REDRIVABLE");
  EXPECT_EQ(d.find("redriveStatusReason")->as_string(),
            "Execution is SUCCEEDED and cannot be redriven.");
}

TEST_F(SfnExecutionsTest, AFailedExecutionIsRedrivableForFourteenDays) {
  StartExecution(machine_, "bad", "{}", At(1));
  Finish("bad", S::kFailed, At(2));
  clock_.AdvanceTo(At(3));
  Json d = Ok("DescribeExecution", ExecBody("bad"));
  EXPECT_EQ(d.find("status")->as_string(), "FAILED");
  EXPECT_EQ(d.find("error")->as_string(), "E");
  EXPECT_EQ(d.find("cause")->as_string(), "C");
  EXPECT_EQ(d.find("output"), nullptr);
  EXPECT_EQ(d.find("redriveStatus")->as_string(), "REDRIVABLE");
  EXPECT_EQ(d.find("redriveStatusReason"), nullptr);

  clock_.AdvanceTo(At(2 + 14 * 86400 + 1));
  d = Ok("DescribeExecution", ExecBody("bad"));
  EXPECT_EQ(d.find("redriveStatus")->as_string(), "NOT_REDRIVABLE");
  EXPECT_EQ(d.find("redriveStatusReason")->as_string(), "Execution redrivable period exceeded.");
}

TEST_F(SfnExecutionsTest, TimedOutAndAbortedAreRedrivableAndADeletedMachineIsNot) {
  StartExecution(machine_, "t", "{}", At(1));
  Finish("t", S::kTimedOut, At(2));
  StartExecution(machine_, "a", "{}", At(1));
  Finish("a", S::kAborted, At(2));
  EXPECT_EQ(Ok("DescribeExecution", ExecBody("t")).find("status")->as_string(), "TIMED_OUT");
  EXPECT_EQ(Ok("DescribeExecution", ExecBody("t")).find("redriveStatus")->as_string(),
            "REDRIVABLE");
  EXPECT_EQ(Ok("DescribeExecution", ExecBody("a")).find("redriveStatus")->as_string(),
            "REDRIVABLE");
  Ok("DeleteStateMachine", ListBody());
  Json d = Ok("DescribeExecution", ExecBody("a"));
  EXPECT_EQ(d.find("redriveStatus")->as_string(), "NOT_REDRIVABLE");
  EXPECT_EQ(d.find("redriveStatusReason")->as_string(), "State machine is in DELETING status.");
}

TEST_F(SfnExecutionsTest, ARedrivenExecutionCountsItsRedrives) {
  StartExecution(machine_, "r", "{}", At(1));
  Finish("r", S::kFailed, At(2));
  store::ExecutionStep redrive;
  redrive.arn = ExecArn("m", "r");
  redrive.status = S::kRunning;
  redrive.redrive_time = At(10);
  redrive.events.push_back(store::testing::Event(
      5, "ExecutionRedriven", At(10), R"({"executionRedrivenEventDetails":{"redriveCount":1}})"));
  Step(std::move(redrive));
  Json d = Ok("DescribeExecution", ExecBody("r"));
  EXPECT_EQ(d.find("status")->as_string(), "RUNNING");
  EXPECT_EQ(d.find("redriveCount")->as_int(), 1);
  EXPECT_DOUBLE_EQ(d.find("redriveDate")->as_double(), 1704067210.0);
  EXPECT_EQ(d.find("error"), nullptr);
  EXPECT_EQ(d.find("stopDate"), nullptr);
}

TEST_F(SfnExecutionsTest, DescribeErrors) {
  std::string m = Fails("DescribeExecution", ExecBody("nope"), "ExecutionDoesNotExist");
  EXPECT_NE(m.find(ExecArn("m", "nope")), std::string::npos) << m;
  Fails("DescribeExecution", R"({"executionArn":"nope"})", "InvalidArn");
  m = Fails("DescribeExecution", R"({"executionArn":")" + MachineArn("m") + "\"}", "InvalidArn");
  EXPECT_NE(m.find("stateMachine"), std::string::npos) << m;
  Fails("DescribeExecution",
        R"({"executionArn":"arn:aws:states:us-east-1:111111111111:express:m:x:y"})", "InvalidArn");
  m = Fails("DescribeExecution", "{}", "ValidationException");
  EXPECT_NE(m.find("'executionArn'"), std::string::npos) << m;
}

// ---- ListExecutions ----------------------------------------------------------------------------

TEST_F(SfnExecutionsTest, ListNewestFirstWithFilters) {
  StartExecution(machine_, "e1", "{}", At(1));
  StartExecution(machine_, "e2", "{}", At(2));
  StartExecution(machine_, "e3", "{}", At(3));
  Finish("e1", S::kSucceeded, At(4));
  Finish("e2", S::kFailed, At(5));
  store::ExecutionStep redrive;
  redrive.arn = ExecArn("m", "e2");
  redrive.status = S::kRunning;
  redrive.redrive_time = At(6);
  Step(std::move(redrive));

  Json all = Ok("ListExecutions", ListBody());
  const Json& items = *all.find("executions");
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items.at(0)->find("name")->as_string(), "e3");
  EXPECT_EQ(items.at(1)->find("name")->as_string(), "e2");
  EXPECT_EQ(items.at(2)->find("name")->as_string(), "e1");
  const Json& e1 = *items.at(2);
  EXPECT_EQ(e1.find("executionArn")->as_string(), ExecArn("m", "e1"));
  EXPECT_EQ(e1.find("stateMachineArn")->as_string(), MachineArn("m"));
  EXPECT_EQ(e1.find("status")->as_string(), "SUCCEEDED");
  EXPECT_DOUBLE_EQ(e1.find("startDate")->as_double(), 1704067201.0);
  EXPECT_DOUBLE_EQ(e1.find("stopDate")->as_double(), 1704067204.0);
  EXPECT_EQ(e1.find("redriveCount")->as_int(), 0);
  EXPECT_EQ(items.at(0)->find("stopDate"), nullptr);
  EXPECT_EQ(items.at(1)->find("redriveCount")->as_int(), 1);
  EXPECT_DOUBLE_EQ(items.at(1)->find("redriveDate")->as_double(), 1704067206.0);
  EXPECT_EQ(all.find("nextToken"), nullptr);

  Json running = Ok("ListExecutions", ListBody(R"(,"statusFilter":"RUNNING")"));
  ASSERT_EQ(running.find("executions")->size(), 2u);
  Json succeeded = Ok("ListExecutions", ListBody(R"(,"statusFilter":"SUCCEEDED")"));
  ASSERT_EQ(succeeded.find("executions")->size(), 1u);
  EXPECT_EQ(succeeded.find("executions")->at(0)->find("name")->as_string(), "e1");
  Json redriven = Ok("ListExecutions", ListBody(R"(,"redriveFilter":"REDRIVEN")"));
  ASSERT_EQ(redriven.find("executions")->size(), 1u);
  EXPECT_EQ(redriven.find("executions")->at(0)->find("name")->as_string(), "e2");
  EXPECT_EQ(Ok("ListExecutions", ListBody(R"(,"redriveFilter":"NOT_REDRIVEN")"))
                .find("executions")
                ->size(),
            2u);
}

TEST_F(SfnExecutionsTest, ListPaginationRoundTrip) {
  for (int i = 0; i < 5; ++i) StartExecution(machine_, "e" + std::to_string(i), "{}", At(i));
  std::vector<std::string> names;
  std::string token;
  int pages = 0;
  do {
    Json page = Ok(
        "ListExecutions",
        ListBody(R"(,"maxResults":2)" + (token.empty() ? "" : R"(,"nextToken":")" + token + "\"")));
    for (const Json& e : page.find("executions")->as_array())
      names.push_back(e.find("name")->as_string());
    token = page.find("nextToken") ? page.find("nextToken")->as_string() : "";
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(names, (std::vector<std::string>{"e4", "e3", "e2", "e1", "e0"}));

  // A token is bound to the filters it was made with.
  Json first = Ok("ListExecutions", ListBody(R"(,"maxResults":2)"));
  std::string t = first.find("nextToken")->as_string();
  Fails("ListExecutions", ListBody(R"(,"statusFilter":"RUNNING","nextToken":")" + t + "\""),
        "InvalidToken");
  Fails("ListExecutions", ListBody(R"(,"nextToken":"zzz")"), "InvalidToken");
}

TEST_F(SfnExecutionsTest, ListErrors) {
  std::string m = Fails("ListExecutions", "{}", "ValidationException");
  EXPECT_NE(m.find("'stateMachineArn'"), std::string::npos) << m;
  Fails("ListExecutions", R"({"stateMachineArn":"x"})", "InvalidArn");
  Fails("ListExecutions", R"({"stateMachineArn":")" + MachineArn("nope") + "\"}",
        "StateMachineDoesNotExist");
  m = Fails("ListExecutions", ListBody(R"(,"statusFilter":"DONE")"), "ValidationException");
  EXPECT_NE(m.find("Value 'DONE' at 'statusFilter'"), std::string::npos) << m;
  Fails("ListExecutions", ListBody(R"(,"statusFilter":"PENDING_REDRIVE")"), "ValidationException");
  m = Fails("ListExecutions", ListBody(R"(,"redriveFilter":"SOMETIMES")"), "ValidationException");
  EXPECT_NE(m.find("'redriveFilter'"), std::string::npos) << m;
  m = Fails("ListExecutions", ListBody(R"(,"maxResults":5000)"), "ValidationException");
  EXPECT_NE(m.find("'maxResults'"), std::string::npos) << m;
  Fails("ListExecutions",
        ListBody(R"(,"mapRunArn":"arn:aws:states:us-east-1:111111111111:mapRun:m/x:y")"),
        "ValidationException");
  Put("fast", kPass, store::MachineType::kExpress);
  Fails("ListExecutions", R"({"stateMachineArn":")" + MachineArn("fast") + "\"}",
        "StateMachineTypeNotSupported");
}

TEST_F(SfnExecutionsTest, ExecutionsOfADeletedMachineStayListable) {
  StartExecution(machine_, "e", "{}", At(1));
  Finish("e", S::kSucceeded, At(2));
  Ok("DeleteStateMachine", ListBody());
  EXPECT_EQ(Ok("ListExecutions", ListBody()).find("executions")->size(), 1u);
  EXPECT_EQ(Ok("DescribeExecution", ExecBody("e")).find("status")->as_string(), "SUCCEEDED");
}

// ---- GetExecutionHistory -----------------------------------------------------------------------

TEST_F(SfnExecutionsTest, HistoryEventsHaveAwsShape) {
  StartExecution(machine_, "h", R"({"x":1})", At(1));
  Finish("h", S::kSucceeded, At(2.5));
  Json h = Ok("GetExecutionHistory", ExecBody("h"));
  const Json& events = *h.find("events");
  ASSERT_EQ(events.size(), 4u);
  const Json& first = *events.at(0);
  EXPECT_DOUBLE_EQ(first.find("timestamp")->as_double(), 1704067201.0);
  EXPECT_EQ(first.find("type")->as_string(), "ExecutionStarted");
  EXPECT_EQ(first.find("id")->as_int(), 1);
  EXPECT_EQ(first.find("previousEventId")->as_int(), 0);
  EXPECT_EQ(first.find("executionStartedEventDetails")->find("input")->as_string(), R"({"x":1})");
  const Json& entered = *events.at(1);
  EXPECT_EQ(entered.find("type")->as_string(), "PassStateEntered");
  EXPECT_EQ(entered.find("id")->as_int(), 2);
  EXPECT_EQ(entered.find("previousEventId")->as_int(), 1);
  EXPECT_EQ(*entered.find("stateEnteredEventDetails"),
            J(R"({"name":"A","input":"{\"x\":1}","inputDetails":{"truncated":false}})"));
  // The members are in AWS's order: timestamp, type, id, previousEventId, then the details.
  std::vector<std::string> keys;
  for (const auto& [k, v] : entered.as_object()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"timestamp", "type", "id", "previousEventId",
                                            "stateEnteredEventDetails"}));
  EXPECT_EQ(events.at(3)->find("type")->as_string(), "ExecutionSucceeded");
  EXPECT_EQ(h.find("nextToken"), nullptr);
}

TEST_F(SfnExecutionsTest, HistoryWithoutExecutionData) {
  StartExecution(machine_, "h", R"({"x":1})", At(1));
  Finish("h", S::kSucceeded, At(2));
  Json h = Ok("GetExecutionHistory", ExecBody("h", R"(,"includeExecutionData":false)"));
  const Json& events = *h.find("events");
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events.at(0)->find("executionStartedEventDetails")->find("input"), nullptr);
  EXPECT_NE(events.at(0)->find("executionStartedEventDetails")->find("roleArn"), nullptr);
  EXPECT_EQ(events.at(1)->find("stateEnteredEventDetails")->find("input"), nullptr);
  EXPECT_EQ(events.at(1)->find("stateEnteredEventDetails")->find("name")->as_string(), "A");
  EXPECT_EQ(events.at(2)->find("stateExitedEventDetails")->find("output"), nullptr);
  EXPECT_EQ(events.at(3)->find("executionSucceededEventDetails")->find("output"), nullptr);
  EXPECT_EQ(events.at(3)->find("id")->as_int(), 4);
}

TEST_F(SfnExecutionsTest, HistoryReverseOrderAndPagination) {
  StartExecution(machine_, "h", "{}", At(1));
  Finish("h", S::kFailed, At(2));  // events 1..4
  Json reversed = Ok("GetExecutionHistory", ExecBody("h", R"(,"reverseOrder":true)"));
  std::vector<int64_t> ids;
  for (const Json& e : reversed.find("events")->as_array()) ids.push_back(e.find("id")->as_int());
  EXPECT_EQ(ids, (std::vector<int64_t>{4, 3, 2, 1}));
  EXPECT_EQ(reversed.find("events")->at(0)->find("type")->as_string(), "ExecutionFailed");

  for (bool reverse : {false, true}) {
    std::vector<int64_t> got;
    std::string token;
    int pages = 0;
    std::string order = reverse ? R"(,"reverseOrder":true)" : "";
    do {
      Json page = Ok("GetExecutionHistory",
                     ExecBody("h", R"(,"maxResults":3)" + order +
                                       (token.empty() ? "" : R"(,"nextToken":")" + token + "\"")));
      for (const Json& e : page.find("events")->as_array()) got.push_back(e.find("id")->as_int());
      token = page.find("nextToken") ? page.find("nextToken")->as_string() : "";
      ++pages;
    } while (!token.empty() && pages < 10);
    EXPECT_EQ(pages, 2) << reverse;
    EXPECT_EQ(got,
              reverse ? (std::vector<int64_t>{4, 3, 2, 1}) : (std::vector<int64_t>{1, 2, 3, 4}));
  }
  // A forward token does not continue a reversed listing.
  Json first = Ok("GetExecutionHistory", ExecBody("h", R"(,"maxResults":1)"));
  Fails("GetExecutionHistory",
        ExecBody("h", R"(,"reverseOrder":true,"nextToken":")" +
                          first.find("nextToken")->as_string() + "\""),
        "InvalidToken");
}

TEST_F(SfnExecutionsTest, HistoryErrors) {
  Fails("GetExecutionHistory", ExecBody("nope"), "ExecutionDoesNotExist");
  Fails("GetExecutionHistory", R"({"executionArn":"x"})", "InvalidArn");
  StartExecution(machine_, "h", "{}", At(1));
  std::string m = Fails("GetExecutionHistory", ExecBody("h", R"(,"reverseOrder":"yes")"),
                        "ValidationException");
  EXPECT_NE(m.find("'reverseOrder'"), std::string::npos) << m;
  Fails("GetExecutionHistory", ExecBody("h", R"(,"maxResults":1001)"), "ValidationException");
}

// ---- DescribeStateMachineForExecution ----------------------------------------------------------

TEST_F(SfnExecutionsTest, DescribeStateMachineForExecutionShowsTheRevisionItRuns) {
  clock_.AdvanceTo(At(1));
  StartExecution(machine_, "old", "{}", At(1));
  clock_.AdvanceTo(At(7));
  Json updated = Ok("UpdateStateMachine", ListBody(R"(,"definition":)" + Quote(kPass2)));
  store::StateMachine now = *store_->GetStateMachine("m");
  StartExecution(now, "new", "{}", At(8));

  Json d = Ok("DescribeStateMachineForExecution", ExecBody("old"));
  EXPECT_EQ(d.find("stateMachineArn")->as_string(), MachineArn("m"));
  EXPECT_EQ(d.find("name")->as_string(), "m");
  EXPECT_EQ(d.find("definition")->as_string(), kPass);
  EXPECT_EQ(d.find("revisionId")->as_string(), machine_.revision_id);
  EXPECT_EQ(d.find("roleArn")->as_string(), "arn:aws:iam::111111111111:role/wharf");
  EXPECT_DOUBLE_EQ(d.find("updateDate")->as_double(), 1704067200.0);
  EXPECT_EQ(*d.find("loggingConfiguration"), J(R"({"level":"OFF","includeExecutionData":false})"));
  EXPECT_NE(d.find("tracingConfiguration"), nullptr);

  Json d2 = Ok("DescribeStateMachineForExecution", ExecBody("new"));
  EXPECT_EQ(d2.find("definition")->as_string(), kPass2);
  EXPECT_EQ(d2.find("revisionId")->as_string(), updated.find("revisionId")->as_string());
  EXPECT_DOUBLE_EQ(d2.find("updateDate")->as_double(), 1704067207.0);

  Fails("DescribeStateMachineForExecution", ExecBody("nope"), "ExecutionDoesNotExist");
  Fails("DescribeStateMachineForExecution", R"({"executionArn":"x"})", "InvalidArn");
}

}  // namespace
}  // namespace wharf::api
