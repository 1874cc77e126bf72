#include "api/sfn_service.h"

#include <gtest/gtest.h>

namespace wharf::api {
namespace {

StateMachineEntry Entry(const std::string& name, const std::string& text, bool express) {
  auto m = asl::ParseDefinition(text);
  EXPECT_TRUE(m.ok());
  return StateMachineEntry{name, text, express, *m, TimePoint{}};
}

SfnService Service() {
  std::vector<StateMachineEntry> machines;
  machines.push_back(Entry(
      "hello",
      R"J({"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"greeting.$":"States.Format('hi {}', $.who)"},"End":true}}})J",
      true));
  machines.push_back(Entry(
      "boom", R"({"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","Cause":"C"}}})", true));
  machines.push_back(
      Entry("standard", R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}})", false));
  return SfnService(std::move(machines), SfnOptions{});
}

Json J(const std::string& s) { return *Json::Parse(s); }

TEST(SfnService, StartSyncExecutionRunsAndReturnsTheOutput) {
  auto svc = Service();
  auto r = svc.Handle(
      "StartSyncExecution",
      J(R"({"stateMachineArn":"arn:aws:states:us-east-1:111111111111:stateMachine:hello","input":"{\"who\":\"you\"}","name":"n1"})"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->find("status")->as_string(), "SUCCEEDED");
  EXPECT_EQ(r->find("output")->as_string(), R"({"greeting":"hi you"})");
  EXPECT_EQ(r->find("name")->as_string(), "n1");
  EXPECT_EQ(r->find("executionArn")
                ->as_string()
                .rfind("arn:aws:states:us-east-1:111111111111:express:hello:n1:", 0),
            0u);
}

TEST(SfnService, StartSyncExecutionReportsFailures) {
  auto svc = Service();
  auto r = svc.Handle(
      "StartSyncExecution",
      J(R"({"stateMachineArn":"arn:aws:states:us-east-1:111111111111:stateMachine:boom"})"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->find("status")->as_string(), "FAILED");
  EXPECT_EQ(r->find("error")->as_string(), "E");
  EXPECT_EQ(r->find("cause")->as_string(), "C");
  EXPECT_EQ(r->find("output"), nullptr);
}

TEST(SfnService, ErrorsHaveAwsNames) {
  auto svc = Service();
  auto missing = svc.Handle(
      "StartSyncExecution",
      J(R"({"stateMachineArn":"arn:aws:states:us-east-1:111111111111:stateMachine:nope"})"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "StateMachineDoesNotExist");
  auto bad_arn = svc.Handle("DescribeStateMachine", J(R"({"stateMachineArn":"nope"})"));
  ASSERT_FALSE(bad_arn.ok());
  EXPECT_EQ(bad_arn.error().code, "InvalidArn");
  auto standard = svc.Handle(
      "StartSyncExecution",
      J(R"({"stateMachineArn":"arn:aws:states:us-east-1:111111111111:stateMachine:standard"})"));
  ASSERT_FALSE(standard.ok());
  EXPECT_EQ(standard.error().code, "StateMachineTypeNotSupported");
  auto input = svc.Handle(
      "StartSyncExecution",
      J(R"({"stateMachineArn":"arn:aws:states:us-east-1:111111111111:stateMachine:hello","input":"{nope"})"));
  ASSERT_FALSE(input.ok());
  EXPECT_EQ(input.error().code, "InvalidExecutionInput");
  auto unknown = svc.Handle("FrobnicateStateMachine", J("{}"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, "UnknownOperationException");
}

TEST(SfnService, ListsWithPaginationAndDescribes) {
  auto svc = Service();
  auto page1 = svc.Handle("ListStateMachines", J(R"({"maxResults":2})"));
  ASSERT_TRUE(page1.ok());
  ASSERT_EQ(page1->find("stateMachines")->size(), 2u);
  EXPECT_EQ(page1->find("stateMachines")->at(0)->find("name")->as_string(), "boom");
  ASSERT_NE(page1->find("nextToken"), nullptr);
  auto page2 =
      svc.Handle("ListStateMachines", Json::Object({{"nextToken", *page1->find("nextToken")}}));
  ASSERT_TRUE(page2.ok());
  ASSERT_EQ(page2->find("stateMachines")->size(), 1u);
  EXPECT_EQ(page2->find("stateMachines")->at(0)->find("type")->as_string(), "STANDARD");
  EXPECT_EQ(page2->find("nextToken"), nullptr);
  auto d = svc.Handle(
      "DescribeStateMachine",
      J(R"({"stateMachineArn":"arn:aws:states:us-east-1:111111111111:stateMachine:hello"})"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->find("type")->as_string(), "EXPRESS");
  EXPECT_NE(d->find("definition")->as_string().find("States.Format"), std::string::npos);
}

TEST(SfnService, ValidateReportsDiagnostics) {
  auto svc = Service();
  auto ok = svc.Handle(
      "ValidateStateMachineDefinition",
      J(R"({"definition":"{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"End\":true}}}"})"));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->find("result")->as_string(), "OK");
  auto bad = svc.Handle(
      "ValidateStateMachineDefinition",
      J(R"({"definition":"{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Next\":\"B\"}}}"})"));
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->find("result")->as_string(), "FAIL");
  EXPECT_NE(bad->find("diagnostics")->at(0)->find("message")->as_string().find("'B'"),
            std::string::npos);
}

}  // namespace
}  // namespace wharf::api
