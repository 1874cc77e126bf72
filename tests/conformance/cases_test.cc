#include "conformance/cases.h"

#include <gtest/gtest.h>

namespace wharf::conformance {
namespace {

Json J(std::string_view text) {
  auto r = Json::Parse(text);
  EXPECT_TRUE(r.ok()) << text;
  return r.ok() ? *r : Json();
}

TEST(Cases, ParsesTheIndexAndSortsOutUnsupportedNeeds) {
  auto index = ParseIndex(J(R"([
    {"case":"a__x","area":"a","status":"SUCCEEDED","needs":[]},
    {"case":"b__y","area":"b","status":"FAILED","needs":["lambda","variables","item_batcher"]},
    {"case":"c__z","area":"c","status":"SUCCEEDED","needs":["jsonata","lambda","s3"]}])"));
  ASSERT_TRUE(index.ok()) << index.error().message;
  ASSERT_EQ(index->size(), 3u);
  EXPECT_EQ((*index)[1].name, "b__y");
  EXPECT_EQ((*index)[1].area, "b");
  EXPECT_EQ((*index)[1].status, "FAILED");
  EXPECT_TRUE(UnsupportedNeeds((*index)[0]).empty());
  EXPECT_TRUE(UnsupportedNeeds((*index)[1]).empty());
  EXPECT_EQ(UnsupportedNeeds((*index)[2]), (std::vector<std::string>{"jsonata", "s3"}));
  EXPECT_FALSE(ParseIndex(J(R"([{"area":"a"}])")).ok());
  EXPECT_FALSE(ParseIndex(J(R"({})")).ok());
}

TEST(Cases, FunctionNameFromArn) {
  EXPECT_EQ(
      FunctionNameFromArn("arn:aws:lambda:us-east-1:111111111111:function:<lambda_function_name>"),
      "<lambda_function_name>");
  EXPECT_EQ(FunctionNameFromArn("arn:aws:lambda:us-east-1:111111111111:function:f:$LATEST"), "f");
  EXPECT_EQ(FunctionNameFromArn("plain"), "plain");
}

TEST(Cases, BuildsTheLambdaFunctionsAsWharfFunctions) {
  auto fns = BuildFunctions(J(R"({"lambda":[
    {"name":"e","arn":"arn:aws:lambda:us-east-1:111111111111:function:e","behaviour":"echo"},
    {"name":"c","arn":"arn:aws:lambda:us-east-1:111111111111:function:c","behaviour":"constant",
     "value":{"Return":"HelloWorld"}},
    {"name":"r","arn":"arn:aws:lambda:us-east-1:111111111111:function:r","behaviour":"raise",
     "error_type":"CustomException","message":"it's \"bad\""}]})"));
  ASSERT_TRUE(fns.ok()) << fns.error().message;
  ASSERT_EQ(fns->size(), 3u);
  EXPECT_EQ(fns->at("e").command, (std::vector<std::string>{"cat"}));
  EXPECT_EQ(fns->at("c").command[0], "/bin/sh");
  EXPECT_EQ(fns->at("c").env.at("WHARF_CONSTANT"), R"({"Return":"HelloWorld"})");
  EXPECT_EQ(fns->at("r").env.at("WHARF_ERROR"),
            R"({"errorType":"CustomException","errorMessage":"it's \"bad\""})");
  EXPECT_FALSE(BuildFunctions(J(R"({"lambda":[{"name":"x","behaviour":"sing"}]})")).ok());
  EXPECT_TRUE(BuildFunctions(J("{}"))->empty());
}

TEST(Cases, RebuildsStatesFromHistory) {
  std::vector<Json> events = {
      J(R"({"type":"ExecutionStarted","executionStartedEventDetails":{"input":"{}"}})"),
      J(R"({"type":"MapStateEntered","stateEnteredEventDetails":{"name":"M","input":"[1,2]"}})"),
      J(R"({"type":"PassStateEntered","stateEnteredEventDetails":{"name":"P","input":"1"}})"),
      J(R"({"type":"PassStateEntered","stateEnteredEventDetails":{"name":"P","input":"2"}})"),
      J(R"({"type":"PassStateExited","stateExitedEventDetails":{"name":"P","output":"\"a\"",
            "assignedVariables":{"v":"1"}}})"),
      J(R"({"type":"PassStateExited","stateExitedEventDetails":{"name":"P","output":"\"b\""}})"),
      J(R"({"type":"FailStateEntered",
            "stateEnteredEventDetails":{"name":"F","input":"{\"x\":1}"}})"),
      J(R"({"type":"ExecutionFailed","executionFailedEventDetails":{"error":"E"}})"),
  };
  EXPECT_EQ(HistoryTypes(events).front(), "ExecutionStarted");
  EXPECT_EQ(HistoryTypes(events).size(), 8u);
  // Exits pair with entries by name in FIFO order; states that never exited have no output.
  EXPECT_EQ(StatesFromHistory(events).Dump(),
            R"([{"name":"M","type":"Map","enteredInput":[1,2]},)"
            R"({"name":"P","type":"Pass","enteredInput":1,"exitedOutput":"a",)"
            R"("assignedVariables":{"v":"1"}},)"
            R"({"name":"P","type":"Pass","enteredInput":2,"exitedOutput":"b"},)"
            R"({"name":"F","type":"Fail","enteredInput":{"x":1}}])");
}

}  // namespace
}  // namespace wharf::conformance
