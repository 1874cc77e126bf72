// EventsService over a real Bus in a temporary folder: rules, targets, PutEvents through the
// bus's matching and delivery, TestEventPattern, the dead-letter extensions, and AWS's errors.
#include "api/events_service.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

namespace wharf::api {
namespace {

constexpr char kMachine[] = "arn:aws:states:us-east-1:111111111111:stateMachine:import";
constexpr char kCsvPattern[] =
    R"({"source":["partner.orders"],"detail":{"file":[{"suffix":".csv"}]}})";

Json J(std::string_view text) {
  auto parsed = Json::Parse(text);
  EXPECT_TRUE(parsed.ok()) << text;
  return parsed.ok() ? *parsed : Json();
}

std::string Quoted(std::string_view text) {
  std::string out;
  AppendJsonString(out, text);
  return out;
}

class EventsServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/wharf-events-api-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    events::BusOptions o;
    o.path = dir_ + "/events.db";
    o.retry_base = std::chrono::milliseconds(1);
    o.retry_cap = std::chrono::milliseconds(5);
    o.invoke = [this](const events::Invocation& call) -> events::InvokeResult {
      std::lock_guard lock(mu_);
      calls_.push_back(call);
      if (call.target_arn.ends_with(":missing"))
        return {false, false, "StateMachineDoesNotExist: State Machine Does Not Exist"};
      return {};
    };
    auto bus = events::Bus::Open(o);
    ASSERT_TRUE(bus.ok()) << bus.error().message;
    bus_ = std::move(*bus);
    bus_->Start();
    service_ = std::make_unique<EventsService>(bus_.get(), EventsOptions{});
  }
  void TearDown() override {
    service_.reset();
    bus_.reset();
    std::filesystem::remove_all(dir_);
  }

  Json Ok(std::string_view action, std::string_view body) {
    auto r = service_->Handle(action, J(body));
    EXPECT_TRUE(r.ok()) << action << ": " << r.error().code << ": " << r.error().message;
    return r.ok() ? *r : Json();
  }
  Error Fails(std::string_view action, std::string_view body) {
    auto r = service_->Handle(action, J(body));
    EXPECT_FALSE(r.ok()) << action << " succeeded: " << r->Dump();
    return r.ok() ? Error{} : r.error();
  }
  void PutCsvRule(std::string_view name = "csv") { Ok("PutRule", fmt_rule(name, kCsvPattern)); }
  static std::string fmt_rule(std::string_view name, std::string_view pattern) {
    return R"({"Name":")" + std::string(name) + R"(","EventPattern":)" + Quoted(pattern) + "}";
  }
  std::string PutOrder(std::string_view file) {
    Json r = Ok("PutEvents", R"({"Entries":[{"Source":"partner.orders","DetailType":"Order file",)"
                             R"("Detail":)" +
                                 Quoted(R"({"file":")" + std::string(file) + R"("})") + "}]}");
    EXPECT_EQ(r.find("FailedEntryCount")->as_int(), 0) << r.Dump();
    return r.find("Entries")->at(0)->find("EventId")->as_string();
  }
  std::vector<events::Invocation> Calls() {
    EXPECT_TRUE(bus_->WaitIdle(std::chrono::seconds(5)));
    std::lock_guard lock(mu_);
    return calls_;
  }

  std::string dir_;
  std::unique_ptr<events::Bus> bus_;
  std::unique_ptr<EventsService> service_;
  std::mutex mu_;
  std::vector<events::Invocation> calls_;
};

TEST_F(EventsServiceTest, PutRuleDescribeAndList) {
  Json put = Ok("PutRule", R"({"Name":"csv","EventPattern":)" + Quoted(kCsvPattern) +
                               R"(,"Description":"orders","State":"DISABLED"})");
  EXPECT_EQ(put.find("RuleArn")->as_string(), "arn:aws:events:us-east-1:111111111111:rule/csv");
  Json d = Ok("DescribeRule", R"({"Name":"csv"})");
  EXPECT_EQ(d.find("State")->as_string(), "DISABLED");
  EXPECT_EQ(d.find("Description")->as_string(), "orders");
  EXPECT_EQ(d.find("EventPattern")->as_string(), kCsvPattern);
  EXPECT_EQ(d.find("EventBusName")->as_string(), "default");
  EXPECT_EQ(d.find("CreatedBy")->as_string(), "111111111111");
  EXPECT_EQ(d.find("ManagedBy"), nullptr);

  PutCsvRule("csv2");
  PutCsvRule("other");
  Json page = Ok("ListRules", R"({"NamePrefix":"csv","Limit":1})");
  ASSERT_EQ(page.find("Rules")->size(), 1u);
  EXPECT_EQ(page.find("Rules")->at(0)->find("Name")->as_string(), "csv");
  std::string token = page.find("NextToken")->as_string();
  Json next = Ok("ListRules", R"({"NamePrefix":"csv","Limit":1,"NextToken":")" + token + "\"}");
  ASSERT_EQ(next.find("Rules")->size(), 1u);
  EXPECT_EQ(next.find("Rules")->at(0)->find("Name")->as_string(), "csv2");
  EXPECT_EQ(next.find("NextToken"), nullptr);
  EXPECT_EQ(Ok("ListRules", "{}").find("Rules")->size(), 3u);
}

TEST_F(EventsServiceTest, RuleErrorsUseAwsNames) {
  Error e = Fails("DescribeRule", R"({"Name":"nope"})");
  EXPECT_EQ(e.code, "ResourceNotFoundException");
  EXPECT_EQ(e.message, "Rule nope does not exist on EventBus default.");
  e = Fails("PutRule", R"({"Name":"bad","EventPattern":"{\"source\":\"x\"}"})");
  EXPECT_EQ(e.code, "InvalidEventPatternException");
  EXPECT_NE(e.message.find("Event pattern is not valid."), std::string::npos) << e.message;
  e = Fails("PutRule", R"({"Name":"bad name","EventPattern":"{}"})");
  EXPECT_EQ(e.code, "ValidationException");
  EXPECT_NE(e.message.find("regular expression pattern"), std::string::npos) << e.message;
  e = Fails("PutRule", R"J({"Name":"tick","ScheduleExpression":"rate(5 minutes)"})J");
  EXPECT_EQ(e.code, "ValidationException");
  EXPECT_NE(e.message.find("not supported yet"), std::string::npos);
  e = Fails("PutRule", R"({"Name":"none"})");
  EXPECT_EQ(e.message, "Parameter(s) EventPattern or ScheduleExpression must be specified.");
  e = Fails("ListRules", R"({"EventBusName":"orders-bus"})");
  EXPECT_EQ(e.code, "ResourceNotFoundException");
  EXPECT_EQ(Fails("Frobnicate", "{}").code, "UnknownOperationException");
}

TEST_F(EventsServiceTest, TargetsAndDeleteRule) {
  PutCsvRule();
  Json put = Ok("PutTargets", R"({"Rule":"csv","Targets":[{"Id":"import","Arn":")" +
                                  std::string(kMachine) +
                                  R"(","InputTransformer":{"InputPathsMap":{"f":"$.detail.file"},)"
                                  R"("InputTemplate":"{\"path\": <f>}"},)"
                                  R"("RetryPolicy":{"MaximumRetryAttempts":3}}]})");
  EXPECT_EQ(put.find("FailedEntryCount")->as_int(), 0);
  // PutRule again keeps the targets.
  PutCsvRule();
  Json list = Ok("ListTargetsByRule", R"({"Rule":"csv"})");
  ASSERT_EQ(list.find("Targets")->size(), 1u);
  const Json& t = *list.find("Targets")->at(0);
  EXPECT_EQ(t.find("Arn")->as_string(), kMachine);
  EXPECT_EQ(t.find("InputTransformer")->find("InputTemplate")->as_string(), "{\"path\": <f>}");
  EXPECT_EQ(t.find("RetryPolicy")->find("MaximumRetryAttempts")->as_int(), 3);

  Error e = Fails("DeleteRule", R"({"Name":"csv"})");
  EXPECT_EQ(e.code, "ValidationException");
  EXPECT_EQ(e.message, "Rule can't be deleted since it has targets.");

  Json removed = Ok("RemoveTargets", R"({"Rule":"csv","Ids":["import","ghost"]})");
  EXPECT_EQ(removed.find("FailedEntryCount")->as_int(), 1);
  EXPECT_EQ(removed.find("FailedEntries")->at(0)->find("TargetId")->as_string(), "ghost");
  Ok("DeleteRule", R"({"Name":"csv"})");
  EXPECT_EQ(Fails("DescribeRule", R"({"Name":"csv"})").code, "ResourceNotFoundException");
}

TEST_F(EventsServiceTest, PutTargetsChecksEachTarget) {
  PutCsvRule();
  Error e = Fails(
      "PutTargets",
      R"({"Rule":"csv","Targets":[{"Id":"x","Arn":"arn:aws:lambda:us-east-1:111111111111:function:f"}]})");
  EXPECT_EQ(e.code, "ValidationException");
  EXPECT_NE(e.message.find("state machines"), std::string::npos) << e.message;
  Ok("PutTargets", R"({"Rule":"csv","Targets":[{"Id":"hook","Arn":"https://example.com/in"}]})");
  e = Fails("PutTargets", R"({"Rule":"csv","Targets":[{"Id":"x","Arn":")" + std::string(kMachine) +
                              R"(","InputTransformer":{"InputPathsMap":{"f":"detail"},)"
                              R"("InputTemplate":"<f>"}}]})");
  EXPECT_EQ(e.code, "ValidationException");
  EXPECT_NE(e.message.find("Target x"), std::string::npos) << e.message;
  std::string six;
  for (int i = 0; i < 6; ++i)
    six += std::string(i ? "," : "") + R"({"Id":"t)" + std::to_string(i) + R"(","Arn":")" +
           kMachine + "\"}";
  EXPECT_EQ(Fails("PutTargets", R"({"Rule":"csv","Targets":[)" + six + "]}").code,
            "LimitExceededException");
  EXPECT_EQ(Fails("PutTargets", R"({"Rule":"nope","Targets":[{"Id":"x","Arn":")" +
                                    std::string(kMachine) + "\"}]}")
                .code,
            "ResourceNotFoundException");
}

TEST_F(EventsServiceTest, PutEventsMatchesAndDeliversThroughTheBus) {
  PutCsvRule();
  Ok("PutTargets", R"({"Rule":"csv","Targets":[{"Id":"import","Arn":")" + std::string(kMachine) +
                       R"(","InputTransformer":{"InputPathsMap":{"f":"$.detail.file"},)"
                       R"("InputTemplate":"{\"path\": <f>}"}}]})");
  std::string id = PutOrder("a.csv");
  PutOrder("b.txt");
  auto calls = Calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].event_id, id);
  EXPECT_EQ(calls[0].rule, "csv");
  EXPECT_EQ(J(calls[0].input).Dump(), R"({"path":"a.csv"})");
  EXPECT_EQ(id.size(), 36u);
  EXPECT_EQ(id[14], '4');  // UUID v4

  // A disabled rule matches nothing; enabled again, it does.
  Ok("DisableRule", R"({"Name":"csv"})");
  EXPECT_EQ(Ok("DescribeRule", R"({"Name":"csv"})").find("State")->as_string(), "DISABLED");
  PutOrder("c.csv");
  EXPECT_EQ(Calls().size(), 1u);
  Ok("EnableRule", R"({"Name":"csv"})");
  PutOrder("d.csv");
  EXPECT_EQ(Calls().size(), 2u);
}

TEST_F(EventsServiceTest, PutEventsReportsBadEntriesOneByOne) {
  Json r = Ok("PutEvents",
              R"({"Entries":[{"Source":"a","DetailType":"t","Detail":"{}","Time":1700000000},)"
              R"({"DetailType":"t","Detail":"{}"},{"Source":"a","DetailType":"t","Detail":"[1"},)"
              R"({"Source":"a","DetailType":"t","Detail":"{}","EventBusName":"other"}]})");
  EXPECT_EQ(r.find("FailedEntryCount")->as_int(), 3) << r.Dump();
  const Json& entries = *r.find("Entries");
  EXPECT_NE(entries.at(0)->find("EventId"), nullptr);
  EXPECT_EQ(entries.at(1)->find("ErrorCode")->as_string(), "InvalidArgument");
  EXPECT_EQ(entries.at(1)->find("ErrorMessage")->as_string(),
            "Parameter Source is not valid. Reason: Source is a required argument.");
  EXPECT_EQ(entries.at(2)->find("ErrorCode")->as_string(), "MalformedDetail");
  EXPECT_EQ(entries.at(3)->find("ErrorCode")->as_string(), "InvalidArgument");
  auto stored = events::PeekBusEvents(dir_ + "/events.db", 10, 0);
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 1u);
  Json event = J((*stored)[0].body);
  EXPECT_EQ(event.find("time")->as_string(), "2023-11-14T22:13:20Z");
  EXPECT_EQ(event.find("account")->as_string(), "111111111111");
  EXPECT_EQ(event.find("detail-type")->as_string(), "t");

  std::string eleven;
  for (int i = 0; i < 11; ++i)
    eleven += std::string(i ? "," : "") + R"({"Source":"a","DetailType":"t","Detail":"{}"})";
  EXPECT_EQ(Fails("PutEvents", R"({"Entries":[)" + eleven + "]}").code, "ValidationException");
}

TEST_F(EventsServiceTest, TestEventPattern) {
  std::string event = Quoted(
      R"({"id":"1","account":"111111111111","source":"partner.orders","time":"2024-01-01T00:00:00Z",)"
      R"("region":"us-east-1","resources":[],"detail-type":"x","detail":{"file":"a.csv"}})");
  EXPECT_TRUE(Ok("TestEventPattern",
                 R"({"EventPattern":)" + Quoted(kCsvPattern) + R"(,"Event":)" + event + "}")
                  .find("Result")
                  ->as_bool());
  EXPECT_FALSE(
      Ok("TestEventPattern", R"({"EventPattern":"{\"source\":[\"other\"]}","Event":)" + event + "}")
          .find("Result")
          ->as_bool());
  EXPECT_EQ(Fails("TestEventPattern",
                  R"({"EventPattern":"{\"source\":[{\"nope\":1}]}","Event":)" + event + "}")
                .code,
            "InvalidEventPatternException");
  EXPECT_EQ(Fails("TestEventPattern",
                  R"({"EventPattern":"{\"source\":[\"x\"]}","Event":"{\"source\":\"x\"}"})")
                .code,
            "ValidationException");
}

TEST_F(EventsServiceTest, ProjectRulesAreManaged) {
  events::RuleSpec rule;
  rule.name = "from-project";
  rule.event_pattern = kCsvPattern;
  rule.managed_by = "project";
  ASSERT_TRUE(bus_->PutRule(rule).ok());
  EXPECT_EQ(Ok("DescribeRule", R"({"Name":"from-project"})").find("ManagedBy")->as_string(),
            "project");
  for (auto [action, body] : std::vector<std::pair<std::string, std::string>>{
           {"PutRule", fmt_rule("from-project", kCsvPattern)},
           {"DeleteRule", R"({"Name":"from-project"})"},
           {"DisableRule", R"({"Name":"from-project"})"},
           {"PutTargets", R"({"Rule":"from-project","Targets":[{"Id":"x","Arn":")" +
                              std::string(kMachine) + "\"}]}"},
           {"RemoveTargets", R"({"Rule":"from-project","Ids":["x"]})"}}) {
    EXPECT_EQ(Fails(action, body).code, "ManagedRuleException") << action;
  }
  EXPECT_TRUE(bus_->GetRule("from-project")->enabled);
}

TEST_F(EventsServiceTest, DeadLettersAreListedAndReplayed) {
  PutCsvRule();
  Ok("PutTargets",
     R"({"Rule":"csv","Targets":[{"Id":"gone","Arn":"arn:aws:states:us-east-1:111111111111:stateMachine:missing"}]})");
  std::string id = PutOrder("a.csv");
  Calls();
  Json list = Ok("ListDeadLetters", "{}");
  ASSERT_EQ(list.find("DeadLetters")->size(), 1u) << list.Dump();
  const Json& d = *list.find("DeadLetters")->at(0);
  EXPECT_EQ(d.find("EventId")->as_string(), id);
  EXPECT_EQ(d.find("Rule")->as_string(), "csv");
  EXPECT_EQ(d.find("TargetId")->as_string(), "gone");
  EXPECT_EQ(d.find("Attempts")->as_int(), 1);
  EXPECT_NE(d.find("Reason")->as_string().find("StateMachineDoesNotExist"), std::string::npos);
  EXPECT_EQ(J(d.find("Event")->as_string()).find("id")->as_string(), id);
  int64_t seq = d.find("Id")->as_int();

  Ok("ReplayDeadLetter", R"({"Id":)" + std::to_string(seq) + "}");
  EXPECT_EQ(Calls().size(), 2u);  // attempted again (and dead-lettered again)
  EXPECT_EQ(Fails("ReplayDeadLetter", R"({"Id":9999})").code, "ResourceNotFoundException");
  EXPECT_EQ(Fails("ReplayDeadLetter", R"({"Id":"x"})").code, "ValidationException");
}

}  // namespace
}  // namespace wharf::api
