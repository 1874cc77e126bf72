// Executor tests: the orchestration rules that the AWS recordings do not pin down (real
// concurrency, virtual time, quotas). Functions are real processes run through /bin/sh.
#include "engine/run.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace wharf::engine {
namespace {

std::shared_ptr<const asl::StateMachine> Machine(const std::string& text) {
  auto m = asl::ParseDefinition(text);
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
  return m.ok() ? *m : nullptr;
}

Json J(const std::string& text) { return *Json::Parse(text); }

tasks::FunctionSpec Sh(const std::string& name, const std::string& script) {
  tasks::FunctionSpec f;
  f.name = name;
  f.command = {"/bin/sh", "-c", script};
  return f;
}

std::vector<std::string> Types(const RunResult& r) {
  std::vector<std::string> t;
  for (auto& e : r.history) t.emplace_back(e.type_name());
  return t;
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/wharf-run-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(Run, PassChainWithPathsAndTemplates) {
  auto m = Machine(R"({"StartAt":"A","States":{
    "A":{"Type":"Pass","Parameters":{"x.$":"$.in","k":1},"ResultPath":"$.a","Next":"B"},
    "B":{"Type":"Pass","InputPath":"$.a","Result":{"done":true},"ResultPath":"$.r","OutputPath":"$.r","End":true}}})");
  VirtualClock clock(TimePoint{});
  RunOptions o;
  o.clock = &clock;
  auto r = RunExecution(m, J(R"({"in":"v"})"), o);
  ASSERT_EQ(r.status, ExecutionStatus::kSucceeded) << r.cause.value_or("");
  EXPECT_EQ(r.output, J(R"({"done":true})"));
  EXPECT_EQ(Types(r), (std::vector<std::string>{"ExecutionStarted", "PassStateEntered",
                                                "PassStateExited", "PassStateEntered",
                                                "PassStateExited", "ExecutionSucceeded"}));
  EXPECT_EQ(r.transitions, 2);
}

TEST(Run, RetryBacksOffOnTheVirtualClockAndKeepsCountersPerRetrier) {
  TempDir dir;
  auto m = Machine(R"({"StartAt":"T","States":{"T":{"Type":"Task",
    "Resource":"arn:aws:lambda:us-east-1:111111111111:function:flaky",
    "Retry":[{"ErrorEquals":["Busy"],"IntervalSeconds":2,"BackoffRate":3,"MaxAttempts":2},
             {"ErrorEquals":["States.ALL"],"IntervalSeconds":1,"MaxAttempts":5}],
    "End":true}}})");
  RunOptions o;
  VirtualClock clock(TimePoint{});
  o.clock = &clock;
  // Fails with "Busy" on the first two calls, then succeeds.
  std::string counter = dir.path() + "/n";
  o.functions["flaky"] =
      Sh("flaky", "n=$(cat " + counter + " 2>/dev/null || echo 0); echo $((n+1)) > " + counter +
                      "; if [ $n -lt 2 ]; then echo "
                      "'{\"errorType\":\"Busy\",\"errorMessage\":\"later\"}'; exit 1; fi; cat");
  auto r = RunExecution(m, J(R"({"v":1})"), o);
  ASSERT_EQ(r.status, ExecutionStatus::kSucceeded) << r.cause.value_or("");
  EXPECT_EQ(r.output, J(R"({"v":1})"));
  int scheduled = 0;
  std::vector<TimePoint> starts;
  for (auto& e : r.history)
    if (e.type == EventType::kLambdaFunctionScheduled) {
      ++scheduled;
      starts.push_back(e.timestamp);
    }
  EXPECT_EQ(scheduled, 3);
  ASSERT_EQ(starts.size(), 3u);
  // Interval 2 s, then 2 * 3 = 6 s.
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(starts[1] - starts[0]).count(), 2);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(starts[2] - starts[1]).count(), 6);
}

TEST(Run, CatchPutsErrorAtResultPathAndTimeoutKillsTheFunction) {
  auto m = Machine(R"({"StartAt":"T","States":{"T":{"Type":"Task",
    "Resource":"arn:aws:lambda:us-east-1:111111111111:function:slow","TimeoutSeconds":1,
    "Catch":[{"ErrorEquals":["States.Timeout"],"ResultPath":"$.error","Next":"Done"}],
    "End":true},"Done":{"Type":"Pass","End":true}}})");
  RunOptions o;
  o.functions["slow"] = Sh("slow", "sleep 30");
  auto r = RunExecution(m, J(R"({"v":1})"), o);
  ASSERT_EQ(r.status, ExecutionStatus::kSucceeded) << r.cause.value_or("");
  ASSERT_NE(r.output.find("error"), nullptr);
  EXPECT_EQ(r.output.find("error")->find("Error")->as_string(), "States.Timeout");
  EXPECT_EQ(r.output.find("v")->as_int(), 1);
  auto t = Types(r);
  EXPECT_NE(std::find(t.begin(), t.end(), "LambdaFunctionTimedOut"), t.end());
}

// Each branch records when it started and ended; the intervals must overlap.
TEST(Run, ParallelBranchesRunTheirFunctionsAtTheSameTime) {
  TempDir dir;
  auto m = Machine(R"({"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
    {"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:stamp","End":true}}},
    {"StartAt":"B","States":{"B":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:stamp","End":true}}},
    {"StartAt":"C","States":{"C":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:stamp","End":true}}}]}}})");
  RunOptions o;
  o.functions["stamp"] =
      Sh("stamp", "s=$(date +%s%N); sleep 0.4; e=$(date +%s%N); echo \"[$s,$e]\"");
  auto r = RunExecution(m, J("{}"), o);
  ASSERT_EQ(r.status, ExecutionStatus::kSucceeded) << r.cause.value_or("");
  ASSERT_EQ(r.output.size(), 3u);
  int64_t latest_start = 0, earliest_end = INT64_MAX;
  for (auto& iv : r.output.as_array()) {
    latest_start = std::max<int64_t>(latest_start, static_cast<int64_t>(iv.at(0)->as_double()));
    earliest_end = std::min<int64_t>(earliest_end, static_cast<int64_t>(iv.at(1)->as_double()));
  }
  EXPECT_LT(latest_start, earliest_end) << "the three branches did not overlap";
}

// With MaxConcurrency 2 no more than two iterations may run at once; with 6 items and a
// function that takes a while, exactly two must have overlapped at some point.
TEST(Run, MapHonoursMaxConcurrency) {
  auto m = Machine(R"({"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":2,"End":true,
    "ItemProcessor":{"StartAt":"S","States":{"S":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:stamp","End":true}}}}}})");
  RunOptions o;
  o.functions["stamp"] =
      Sh("stamp", "s=$(date +%s%N); sleep 0.2; e=$(date +%s%N); echo \"[$s,$e]\"");
  auto r = RunExecution(m, J("[1,2,3,4,5,6]"), o);
  ASSERT_EQ(r.status, ExecutionStatus::kSucceeded) << r.cause.value_or("");
  std::vector<std::pair<double, int>> edges;
  for (auto& iv : r.output.as_array()) {
    edges.emplace_back(iv.at(0)->as_double(), +1);
    edges.emplace_back(iv.at(1)->as_double(), -1);
  }
  std::sort(edges.begin(), edges.end());
  int running = 0, peak = 0;
  for (auto& e : edges) peak = std::max(peak, running += e.second);
  EXPECT_EQ(peak, 2);
}

TEST(Run, PayloadQuotaFailsAndStatesAllDoesNotCatchIt) {
  auto m = Machine(R"({"StartAt":"Big","States":{"Big":{"Type":"Pass",
    "Parameters":{"a.$":"$.s","b.$":"$.s"},"End":true}}})");
  std::string s(140 * 1024, 'x');
  Json input = Json::Object({{"s", Json::String(s)}});
  RunOptions o;
  auto r = RunExecution(m, input, o);
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error.value_or(""), "States.DataLimitExceeded");
  o.quotas = false;
  r = RunExecution(m, input, o);
  EXPECT_EQ(r.status, ExecutionStatus::kSucceeded);
}

TEST(Run, HistoryQuotaStopsAt25000Events) {
  auto m = Machine(R"({"StartAt":"M","States":{"M":{"Type":"Map","End":true,
    "ItemProcessor":{"StartAt":"S","States":{"S":{"Type":"Pass","End":true}}}}}})");
  JsonArray items(7000, Json::Int(1));  // 4 events per iteration: 28,000 in all
  RunOptions o;
  auto r = RunExecution(m, Json::Array(items), o);
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_LE(r.history.size(), 25'001u);
  o.quotas = false;
  r = RunExecution(m, Json::Array(items), o);
  EXPECT_EQ(r.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(r.output.size(), 7000u);
}

TEST(Run, ExecutionTimeoutSecondsTimesOutOnTheVirtualClock) {
  auto m = Machine(
      R"({"TimeoutSeconds":10,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}})");
  VirtualClock clock(TimePoint{});
  RunOptions o;
  o.clock = &clock;
  auto r = RunExecution(m, J("{}"), o);
  EXPECT_EQ(r.status, ExecutionStatus::kTimedOut);
  EXPECT_EQ(r.history.back().type, EventType::kExecutionTimedOut);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(clock.Now() - TimePoint{}).count(),
            10);
}

TEST(Run, VariablesAssignedInAMapIterationStayInside) {
  auto m = Machine(R"({"StartAt":"Init","States":{
    "Init":{"Type":"Pass","Assign":{"outer":"o"},"Next":"M"},
    "M":{"Type":"Map","Next":"After","ItemProcessor":{"StartAt":"S","States":{
      "S":{"Type":"Pass","Assign":{"inner.$":"$"},"Next":"T"},
      "T":{"Type":"Pass","Parameters":{"seen.$":"$outer","mine.$":"$inner"},"End":true}}}},
    "After":{"Type":"Pass","Parameters":{"outer.$":"$outer","results.$":"$"},"End":true}}})");
  RunOptions o;
  auto r = RunExecution(m, J("[1,2]"), o);
  ASSERT_EQ(r.status, ExecutionStatus::kSucceeded) << r.cause.value_or("");
  EXPECT_EQ(r.output,
            J(R"({"outer":"o","results":[{"seen":"o","mine":1},{"seen":"o","mine":2}]})"));
}

TEST(Run, MissingFunctionIsAClearTaskError) {
  auto m = Machine(R"({"StartAt":"T","States":{"T":{"Type":"Task",
    "Resource":"arn:aws:lambda:us-east-1:111111111111:function:nope","End":true}}})");
  auto r = RunExecution(m, J("{}"), RunOptions{});
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error.value_or(""), "Lambda.ResourceNotFoundException");
  EXPECT_NE(r.cause.value_or("").find("nope"), std::string::npos);
}

}  // namespace
}  // namespace wharf::engine
