// Tests of ParseDefinition: the model it builds, the exact messages of the validator, and the
// conformance corpora (asl-validator fixtures, definitions that ran on AWS).
#include "asl/definition.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace wharf::asl {
namespace {

namespace fs = std::filesystem;

std::shared_ptr<const StateMachine> MustParse(std::string_view text) {
  auto m = ParseDefinition(text, ParseOptions{"t.json"});
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
  return m.ok() ? *m : nullptr;
}

// ---- The model ----

TEST(DefinitionModel, ResolvesTransitionsAndKeepsOrder) {
  auto m = MustParse(R"({
    "Comment": "c", "StartAt": "A", "TimeoutSeconds": 60, "Version": "1.0",
    "States": {
      "A": {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.r", "Next": "B"},
      "B": {"Type": "Choice", "Choices": [
              {"Variable": "$.r.x", "NumericEquals": 1, "Next": "D"},
              {"Variable": "$.r.x", "NumericEquals": 2, "Next": "C"}],
            "Default": "C"},
      "C": {"Type": "Fail", "Error": "E", "Cause": "why"},
      "D": {"Type": "Succeed", "InputPath": null}
    }})");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->comment, "c");
  EXPECT_EQ(m->timeout_seconds, 60);
  EXPECT_EQ(m->version, "1.0");
  ASSERT_EQ(m->states.size(), 4u);
  EXPECT_EQ(m->start_index, 0);
  EXPECT_EQ(m->states[0].name, "A");
  EXPECT_EQ(m->states[0].next_index, 1);
  EXPECT_EQ(*m->states[0].result, Json::Parse(R"({"x":1})").value());
  EXPECT_TRUE(m->states[0].result_path.present);
  EXPECT_EQ(m->states[0].result_path.path->text(), "$.r");
  const State& choice = m->states[1];
  EXPECT_EQ(choice.type, StateType::kChoice);
  ASSERT_EQ(choice.choices.size(), 2u);
  EXPECT_EQ(choice.choice_indexes, (std::vector<int>{3, 2}));
  EXPECT_EQ(choice.default_index, 2);
  EXPECT_EQ(*m->states[2].error, "E");
  EXPECT_EQ(*m->states[2].cause, "why");
  EXPECT_TRUE(m->states[3].input_path.present);
  EXPECT_TRUE(m->states[3].input_path.is_null);
  EXPECT_FALSE(m->states[3].output_path.present);
  EXPECT_EQ(m->Find("C"), &m->states[2]);
  EXPECT_EQ(m->Find("nope"), nullptr);
}

TEST(DefinitionModel, StateTypeNames) {
  const std::pair<StateType, const char*> cases[] = {
      {StateType::kPass, "Pass"},         {StateType::kTask, "Task"},
      {StateType::kChoice, "Choice"},     {StateType::kWait, "Wait"},
      {StateType::kSucceed, "Succeed"},   {StateType::kFail, "Fail"},
      {StateType::kParallel, "Parallel"}, {StateType::kMap, "Map"}};
  for (auto [type, name] : cases) EXPECT_STREQ(StateTypeName(type), name);
}

TEST(DefinitionModel, TaskRetryCatch) {
  auto m = MustParse(R"({"StartAt": "T", "States": {
    "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f:$LATEST",
          "TimeoutSeconds": 30, "HeartbeatSecondsPath": "$.hb",
          "Credentials": {"RoleArn.$": "$.role"},
          "Parameters": {"a.$": "$.x", "b": [1, {"c.$": "$$.Execution.Id"}]},
          "ResultSelector": {"p.$": "$.Payload"},
          "Retry": [{"ErrorEquals": ["E1", "E2"]},
                    {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 3, "MaxAttempts": 0,
                     "BackoffRate": 1.5, "MaxDelaySeconds": 10, "JitterStrategy": "FULL"}],
          "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": null, "Next": "H"}],
          "End": true},
    "H": {"Type": "Pass", "Assign": {"v": 1, "w.$": "$.x"}, "End": true}}})");
  ASSERT_TRUE(m);
  const State& t = m->states[0];
  EXPECT_EQ(t.resource, "arn:aws:lambda:us-east-1:1:function:f:$LATEST");
  EXPECT_EQ(t.timeout_seconds.value, 30);
  EXPECT_FALSE(t.timeout_seconds.path);
  EXPECT_EQ(t.heartbeat_seconds.path->text(), "$.hb");
  EXPECT_TRUE(t.credentials && t.credentials_template);
  EXPECT_TRUE(t.parameters && t.result_selector);
  EXPECT_TRUE(t.end);
  ASSERT_EQ(t.retry.size(), 2u);
  EXPECT_EQ(t.retry[0].error_equals, (std::vector<std::string>{"E1", "E2"}));
  EXPECT_EQ(t.retry[0].interval_seconds, 1);  // the defaults
  EXPECT_EQ(t.retry[0].max_attempts, 3);
  EXPECT_EQ(t.retry[0].backoff_rate, 2.0);
  EXPECT_FALSE(t.retry[0].max_delay_seconds);
  EXPECT_EQ(t.retry[0].jitter, Jitter::kNone);
  EXPECT_EQ(t.retry[1].interval_seconds, 3);
  EXPECT_EQ(t.retry[1].max_attempts, 0);
  EXPECT_EQ(t.retry[1].backoff_rate, 1.5);
  EXPECT_EQ(t.retry[1].max_delay_seconds, 10);
  EXPECT_EQ(t.retry[1].jitter, Jitter::kFull);
  ASSERT_EQ(t.catchers.size(), 1u);
  EXPECT_EQ(t.catchers[0].next, "H");
  EXPECT_EQ(t.catchers[0].next_index, 1);
  EXPECT_TRUE(t.catchers[0].result_path.is_null);
  EXPECT_TRUE(m->states[1].assign);
}

TEST(DefinitionModel, WaitAndFailForms) {
  auto m = MustParse(R"js({"StartAt": "W1", "States": {
    "W1": {"Type": "Wait", "Seconds": 0, "Next": "W2"},
    "W2": {"Type": "Wait", "SecondsPath": "$.s", "Next": "W3"},
    "W3": {"Type": "Wait", "Timestamp": "2016-03-14T01:59:00Z", "Next": "W4"},
    "W4": {"Type": "Wait", "TimestampPath": "$.t", "Next": "F"},
    "F": {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "States.Format('{}', $.c)"}}})js");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->states[0].seconds, 0.0);
  EXPECT_EQ(m->states[1].seconds_path->text(), "$.s");
  EXPECT_EQ(m->states[2].timestamp, "2016-03-14T01:59:00Z");
  EXPECT_EQ(m->states[3].timestamp_path->text(), "$.t");
  const State& f = m->states[4];
  EXPECT_FALSE(f.error);
  EXPECT_TRUE(f.error_path && f.error_path->is_path());
  EXPECT_TRUE(f.cause_path && !f.cause_path->is_path());
}

TEST(DefinitionModel, ParallelAndMapAreNestedMachines) {
  auto m = MustParse(R"({"StartAt": "P", "States": {
    "P": {"Type": "Parallel", "Next": "M", "Branches": [
      {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "Next": "B2"},
                                   "B2": {"Type": "Succeed"}}},
      {"StartAt": "C1", "States": {"C1": {"Type": "Pass", "End": true}}}]},
    "M": {"Type": "Map", "ItemsPath": "$.items", "ItemSelector": {"v.$": "$$.Map.Item.Value"},
          "MaxConcurrencyPath": "$.n", "ToleratedFailureCount": 2,
          "ToleratedFailurePercentagePath": "$.pct", "Label": "ML",
          "ItemBatcher": {"MaxItemsPerBatch": 5, "BatchInput": {"k": 1}},
          "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                            "StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}},
          "Next": "L"},
    "L": {"Type": "Map", "Iterator": {"StartAt": "J", "States": {"J": {"Type": "Succeed"}}},
          "Parameters": {"x.$": "$"}, "MaxConcurrency": 0, "End": true}}})");
  ASSERT_TRUE(m);
  const State& p = m->states[0];
  ASSERT_EQ(p.branches.size(), 2u);
  EXPECT_EQ(p.branches[0]->states.size(), 2u);
  EXPECT_EQ(p.branches[0]->states[0].next_index, 1);
  EXPECT_EQ(p.branches[1]->start_at, "C1");
  const State& map = m->states[1];
  ASSERT_TRUE(map.processor);
  EXPECT_EQ(map.processor->states[0].name, "I");
  EXPECT_TRUE(map.distributed);
  EXPECT_EQ(map.execution_type, "EXPRESS");
  EXPECT_EQ(map.items_path->text(), "$.items");
  EXPECT_TRUE(map.parameters);
  EXPECT_FALSE(map.item_selector_is_parameters);
  EXPECT_EQ(map.max_concurrency.path->text(), "$.n");
  EXPECT_EQ(map.tolerated_failure_count, 2);
  EXPECT_EQ(map.tolerated_failure_percentage_path->text(), "$.pct");
  EXPECT_EQ(map.label, "ML");
  ASSERT_TRUE(map.item_batcher);
  EXPECT_EQ(map.item_batcher->max_items_per_batch.value, 5);
  EXPECT_TRUE(map.item_batcher->batch_input);
  const State& legacy = m->states[2];
  EXPECT_FALSE(legacy.distributed);
  EXPECT_TRUE(legacy.item_selector_is_parameters);
  EXPECT_EQ(legacy.max_concurrency.value, 0);
  EXPECT_EQ(legacy.processor->states[0].type, StateType::kSucceed);
}

// ---- Messages ----

struct MessageCase {
  const char* name;
  const char* definition;
  const char* code;
  const char* message;
};

// Each definition breaks exactly one rule; the message must name the place and the line.
const MessageCase kMessageCases[] = {
    {"NextToNowhere", R"({"StartAt": "A",
  "States": {
    "A": {"Type": "Pass",
          "Next": "Nowhere"}}})",
     "InvalidDefinition", "t.json:4: state 'A' field 'Next': no state named 'Nowhere'"},
    {"ChoiceNextToNowhere", R"({"StartAt": "Check", "States": {
  "Check": {"Type": "Choice", "Default": "Done",
    "Choices": [
      {"Variable": "$.x", "BooleanEquals": true,
       "Next": "Nowhere"}]},
  "Done": {"Type": "Succeed"}}})",
     "InvalidDefinition",
     "t.json:5: state 'Check' field 'Choices[0].Next': no state named "
     "'Nowhere'"},
    {"StartAtUnknown", R"({
  "StartAt": "B",
  "States": {"A": {"Type": "Succeed"}}})",
     "InvalidDefinition", "t.json:2: field 'StartAt': no state named 'B'"},
    {"ResultPathOnFail", R"({"StartAt": "F", "States": {
  "F": {"Type": "Fail",
        "ResultPath": "$.x"}}})",
     "InvalidDefinition",
     "t.json:3: state 'F' field 'ResultPath': field not allowed in a Fail "
     "state"},
    {"NextOnSucceed", R"({"StartAt": "S", "States": {
  "S": {"Type": "Succeed", "Next": "S"}}})",
     "InvalidDefinition",
     "t.json:2: state 'S' field 'Next': field not allowed in a Succeed "
     "state"},
    {"NextAndEnd", R"({"StartAt": "A", "States": {
  "A": {"Type": "Pass", "Next": "B",
        "End": true},
  "B": {"Type": "Succeed"}}})",
     "InvalidDefinition", "t.json:3: state 'A' field 'End': cannot be combined with 'Next'"},
    {"NeitherNextNorEnd", R"({"StartAt": "A", "States": {
  "A": {"Type": "Pass"}}})",
     "InvalidDefinition", "t.json:2: state 'A': needs either 'Next' or \"End\": true"},
    {"EndFalse", R"({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": false}}})",
     "InvalidDefinition", "t.json:1: state 'A' field 'End': is false and there is no 'Next'"},
    {"UnknownField", R"({"StartAt": "A", "States": {
  "A": {"Type": "Pass", "End": true,
        "bugInputPath": "$.x"}}})",
     "InvalidDefinition", "t.json:3: state 'A' field 'bugInputPath': unknown field"},
    {"JsonataOnlyField", R"({"StartAt": "A", "States": {
  "A": {"Type": "Pass", "End": true, "Output": {}}}})",
     "InvalidDefinition",
     "t.json:2: state 'A' field 'Output': field exists only in JSONata "
     "states (\"QueryLanguage\": \"JSONata\"), which are not supported yet"},
    {"UnknownTopLevelField", R"({"StartAt": "A", "Bogus": 1,
  "States": {"A": {"Type": "Succeed"}}})",
     "InvalidDefinition", "t.json:1: field 'Bogus': unknown top-level field"},
    {"MissingType", R"({"StartAt": "A", "States": {
  "A": {"End": true}}})",
     "InvalidDefinition", "t.json:2: state 'A': required field 'Type' is missing"},
    {"UnknownType", R"({"StartAt": "A", "States": {
  "A": {"Type": "Sleep", "End": true}}})",
     "InvalidDefinition",
     "t.json:2: state 'A' field 'Type': unknown state type 'Sleep' "
     "(expected Pass, Task, Choice, Wait, Succeed, Fail, Parallel or Map)"},
    {"Unreachable", R"({"StartAt": "A", "States": {
  "A": {"Type": "Pass", "Next": "C"},
  "B": {"Type": "Pass", "Next": "C"},
  "C": {"Type": "Succeed"}}})",
     "InvalidDefinition",
     "t.json:3: state 'B': unreachable: no transition leads here from "
     "StartAt 'A'"},
    {"NoTerminal", R"({"StartAt": "A",
  "States": {
  "A": {"Type": "Pass", "Next": "B"},
  "B": {"Type": "Pass", "Next": "A"}}})",
     "InvalidDefinition",
     "t.json:2: field 'States': no terminal state: at least one state must "
     "have \"End\": true or be a Succeed or Fail state"},
    {"NameTooLong", R"({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next":
 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},
 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx":
   {"Type": "Succeed"}}})",
     "InvalidDefinition",
     "t.json:3: state "
     "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx': "
     "state name is 81 characters long; the limit is 80"},
    {"DuplicateAcrossBranch", R"({"StartAt": "P", "States": {
  "P": {"Type": "Parallel", "End": true, "Branches": [
    {"StartAt": "P", "States": {"P": {"Type": "Succeed"}}}]}}})",
     "InvalidDefinition",
     "t.json:3: state 'P': duplicate state name: state names must be unique "
     "in the whole state machine, including Parallel branches and Map "
     "processors"},
    {"NextLeavesBranch", R"({"StartAt": "P", "States": {
  "P": {"Type": "Parallel", "Next": "After", "Branches": [
    {"StartAt": "B", "States": {
      "B": {"Type": "Pass", "Next": "After"}}}]},
  "After": {"Type": "Succeed"}}})",
     "InvalidDefinition",
     "t.json:4: state 'B' field 'Next': state 'After' is outside this state "
     "machine's scope: a transition cannot leave or enter a Parallel branch "
     "or a Map processor"},
    {"WaitTwoFields", R"({"StartAt": "W", "States": {
  "W": {"Type": "Wait", "Seconds": 1,
        "SecondsPath": "$.s", "End": true}}})",
     "InvalidDefinition",
     "t.json:3: state 'W' field 'SecondsPath': cannot be combined with "
     "'Seconds': a Wait state takes exactly one of Seconds, SecondsPath, "
     "Timestamp, TimestampPath"},
    {"WaitNoField", R"({"StartAt": "W", "States": {"W": {"Type": "Wait", "End": true}}})",
     "InvalidDefinition",
     "t.json:1: state 'W': a Wait state needs one of Seconds, SecondsPath, "
     "Timestamp, TimestampPath"},
    {"WaitNegative", R"({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": -1,
  "End": true}}})",
     "InvalidDefinition", "t.json:1: state 'W' field 'Seconds': must be at least 0"},
    {"WaitBadTimestamp", R"({"StartAt": "W", "States": {"W": {"Type": "Wait",
  "Timestamp": "yesterday", "End": true}}})",
     "InvalidDefinition",
     "t.json:2: state 'W' field 'Timestamp': 'yesterday' is not an RFC 3339 "
     "timestamp (e.g. 2016-03-14T01:59:00Z)"},
    {"RetryMaxAttemptsNegative", R"({"StartAt": "T", "States": {
  "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
        "Retry": [
          {"ErrorEquals": ["E"],
           "MaxAttempts": -1}]}}})",
     "InvalidDefinition", "t.json:5: state 'T' field 'Retry[0].MaxAttempts': must be at least 0"},
    {"RetryBackoffBelowOne", R"({"StartAt": "T", "States": {
  "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
        "Retry": [{"ErrorEquals": ["E"], "BackoffRate": 0.5}]}}})",
     "InvalidDefinition",
     "t.json:3: state 'T' field 'Retry[0].BackoffRate': must be at least "
     "1.0"},
    {"RetryIntervalZero", R"({"StartAt": "T", "States": {
  "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
        "Retry": [{"ErrorEquals": ["E"], "IntervalSeconds": 0}]}}})",
     "InvalidDefinition",
     "t.json:3: state 'T' field 'Retry[0].IntervalSeconds': must be at "
     "least 1"},
    {"RetryIntervalFraction", R"({"StartAt": "T", "States": {
  "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
        "Retry": [{"ErrorEquals": ["E"], "IntervalSeconds": 1.5}]}}})",
     "InvalidDefinition",
     "t.json:3: state 'T' field 'Retry[0].IntervalSeconds': must be an "
     "integer"},
    {"RetryMaxDelayTooBig", R"({"StartAt": "T", "States": {
  "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
        "Retry": [{"ErrorEquals": ["E"], "MaxDelaySeconds": 31622402}]}}})",
     "InvalidDefinition",
     "t.json:3: state 'T' field 'Retry[0].MaxDelaySeconds': must be at most "
     "31622401"},
    {"RetryJitter", R"({"StartAt": "T", "States": {
  "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
        "Retry": [{"ErrorEquals": ["E"], "JitterStrategy": "HALF"}]}}})",
     "InvalidDefinition",
     "t.json:3: state 'T' field 'Retry[0].JitterStrategy': must be \"FULL\" "
     "or \"NONE\""},
    {"RetryStatesAllNotAlone", R"({"StartAt": "T", "States": {
  "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
        "Retry": [{"ErrorEquals": ["E",
                                   "States.ALL"]}]}}})",
     "InvalidDefinition",
     "t.json:4: state 'T' field 'Retry[0].ErrorEquals[1]': \"States.ALL\" "
     "must appear alone"},
    {"CatchStatesAllNotLast", R"({"StartAt": "T", "States": {
  "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"},
                  {"ErrorEquals": ["E"], "Next": "H"}]},
  "H": {"Type": "Succeed"}}})",
     "InvalidDefinition",
     "t.json:3: state 'T' field 'Catch[0].ErrorEquals[0]': \"States.ALL\" "
     "must be in the last element of the array"},
    {"RetryEmptyErrorEquals", R"({"StartAt": "T", "States": {
  "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
        "Retry": [{"ErrorEquals": []}]}}})",
     "InvalidDefinition",
     "t.json:3: state 'T' field 'Retry[0].ErrorEquals': must be a non-empty "
     "array of error names"},
    {"CatchWithoutNext", R"({"StartAt": "T", "States": {
  "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
        "Catch": [{"ErrorEquals": ["E"]}]}}})",
     "InvalidDefinition",
     "t.json:3: state 'T' field 'Catch[0]': required field 'Next' is "
     "missing"},
    {"ResultPathVariable", R"({"StartAt": "A", "States": {
  "A": {"Type": "Pass", "ResultPath": "$foo", "End": true}}})",
     "InvalidDefinition",
     "t.json:2: state 'A' field 'ResultPath': cannot refer to a variable "
     "('$foo'); ResultPath writes into the state input, use Assign for "
     "variables"},
    {"ResultPathContext", R"({"StartAt": "A", "States": {
  "A": {"Type": "Pass", "ResultPath": "$$.x", "End": true}}})",
     "InvalidDefinition",
     "t.json:2: state 'A' field 'ResultPath': cannot write to the context "
     "object ('$$.x')"},
    {"ResultPathNotReference", R"({"StartAt": "A", "States": {
  "A": {"Type": "Pass", "ResultPath": "$.a[*]", "End": true}}})",
     "InvalidDefinition",
     "t.json:2: state 'A' field 'ResultPath': must be a reference path "
     "(only member names and array indexes), not '$.a[*]'"},
    {"ResourceNotArn", R"({"StartAt": "T", "States": {
  "T": {"Type": "Task", "End": true,
        "Resource": "${lambdaArn}"}}})",
     "InvalidDefinition",
     "t.json:3: state 'T' field 'Resource': is not a valid resource ARN: "
     "'${lambdaArn}'"},
    {"ResourceLambdaEmptyAlias", R"({"StartAt": "T", "States": {
  "T": {"Type": "Task", "End": true, "Resource": "arn:aws:lambda:r:1:function:f:"}}})",
     "InvalidDefinition",
     "t.json:2: state 'T' field 'Resource': Lambda function ARN with an "
     "invalid version or alias ''"},
    {"ResourceMissing", R"({"StartAt": "T", "States": {
  "T": {"Type": "Task", "End": true}}})",
     "InvalidDefinition", "t.json:2: state 'T': required field 'Resource' is missing"},
    {"TimeoutAndPath", R"({"StartAt": "T", "States": {
  "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
        "TimeoutSeconds": 5,
        "TimeoutSecondsPath": "$.t"}}})",
     "InvalidDefinition",
     "t.json:4: state 'T' field 'TimeoutSecondsPath': cannot be combined "
     "with 'TimeoutSeconds'"},
    {"HeartbeatNotBelowTimeout", R"({"StartAt": "T", "States": {
  "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
        "TimeoutSeconds": 5, "HeartbeatSeconds": 5}}})",
     "InvalidDefinition",
     "t.json:3: state 'T' field 'HeartbeatSeconds': must be smaller than "
     "TimeoutSeconds (5)"},
    {"CredentialsNull", R"({"StartAt": "T", "States": {
  "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
        "Credentials": null}}})",
     "InvalidDefinition",
     "t.json:3: state 'T' field 'Credentials': must be a JSON object, not "
     "null"},
    {"TemplateDuplicate", R"({"StartAt": "P", "States": {
  "P": {"Type": "Pass", "End": true, "Parameters": {"d": {
    "conflict": "value",
    "conflict.$": "$.value"}}}}})",
     "InvalidDefinition",
     "t.json:4: state 'P' field 'Parameters.d.conflict.$': 'conflict' and "
     "'conflict.$' cannot both be set: they name the same field"},
    {"TemplateDollarNotString", R"({"StartAt": "P", "States": {
  "P": {"Type": "Pass", "End": true, "Parameters": {"a.$": 3}}}})",
     "InvalidDefinition",
     "t.json:2: state 'P' field 'Parameters.a.$': a field whose name ends in "
     "'.$' must be a string holding a path or an intrinsic function, not "
     "integer"},
    {"FailErrorAndErrorPath", R"({"StartAt": "F", "States": {
  "F": {"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}}})",
     "InvalidDefinition",
     "t.json:2: state 'F' field 'ErrorPath': cannot be combined with "
     "'Error'"},
    {"ChoiceRuleWithEnd", R"({"StartAt": "C", "States": {
  "C": {"Type": "Choice", "Default": "D", "Choices": [
    {"Variable": "$.foo", "NumericEquals": 1, "End": true}]},
  "D": {"Type": "Succeed"}}})",
     "InvalidDefinition",
     "t.json:3: state 'C' field 'Choices[0].End': a Choice Rule cannot end "
     "the execution; it needs 'Next'"},
    {"ChoiceEmpty", R"({"StartAt": "C", "States": {
  "C": {"Type": "Choice", "Choices": []}}})",
     "InvalidDefinition",
     "t.json:2: state 'C' field 'Choices': must be a non-empty array of "
     "Choice Rules"},
    {"ParallelNoBranches", R"({"StartAt": "P", "States": {
  "P": {"Type": "Parallel", "End": true}}})",
     "InvalidDefinition", "t.json:2: state 'P': required field 'Branches' is missing"},
    {"ParallelBranchNotObject", R"({"StartAt": "P", "States": {
  "P": {"Type": "Parallel", "End": true, "Branches": [
    []]}}})",
     "InvalidDefinition",
     "t.json:3: state 'P' field 'Branches[0]': a state machine must be a "
     "JSON object, not array"},
    {"BranchWithoutStartAt", R"({"StartAt": "P", "States": {
  "P": {"Type": "Parallel", "End": true, "Branches": [
    {"States": {"B": {"Type": "Succeed"}}}]}}})",
     "InvalidDefinition",
     "t.json:3: state 'P' field 'Branches[0]': required field 'StartAt' is "
     "missing"},
    {"MapWithoutProcessor", R"({"StartAt": "M", "States": {
  "M": {"Type": "Map", "End": true}}})",
     "InvalidDefinition",
     "t.json:2: state 'M': required field 'ItemProcessor' (or 'Iterator') is "
     "missing"},
    {"MapBadMode", R"({"StartAt": "M", "States": {
  "M": {"Type": "Map", "End": true, "ItemProcessor": {
    "ProcessorConfig": {"Mode": "PARALLEL"},
    "StartAt": "I", "States": {"I": {"Type": "Succeed"}}}}}})",
     "InvalidDefinition",
     "t.json:3: state 'M' field 'ItemProcessor.ProcessorConfig.Mode': must "
     "be \"INLINE\" or \"DISTRIBUTED\""},
    {"MapPercentageTooHigh", R"({"StartAt": "M", "States": {
  "M": {"Type": "Map", "End": true, "ToleratedFailurePercentage": 105,
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}}}})",
     "InvalidDefinition",
     "t.json:2: state 'M' field 'ToleratedFailurePercentage': must be "
     "between 0 and 100"},
    {"MapItemReaderMaxItemsTwice", R"({"StartAt": "M", "States": {
  "M": {"Type": "Map", "End": true,
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                       "ReaderConfig": {"MaxItems": 1, "MaxItemsPath": "$.n"}},
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}}}})",
     "InvalidDefinition",
     "t.json:4: state 'M' field 'ItemReader.ReaderConfig.MaxItemsPath': "
     "cannot be combined with 'MaxItems'"},
    {"MapDuplicateLabel", R"({"StartAt": "M", "States": {
  "M": {"Type": "Map", "Label": "L", "Next": "N",
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}},
  "N": {"Type": "Map", "End": true,
        "Label": "L",
        "ItemProcessor": {"StartAt": "J", "States": {"J": {"Type": "Succeed"}}}}}})",
     "InvalidDefinition",
     "t.json:5: state 'N' field 'Label': duplicate label: Map labels must "
     "be unique in the state machine"},
    {"MapNextLeavesProcessor", R"({"StartAt": "M", "States": {
  "M": {"Type": "Map", "Next": "Out", "ItemProcessor": {"StartAt": "I", "States": {
    "I": {"Type": "Pass", "Next": "Out"}}}},
  "Out": {"Type": "Succeed"}}})",
     "InvalidDefinition",
     "t.json:3: state 'I' field 'Next': state 'Out' is outside this state "
     "machine's scope: a transition cannot leave or enter a Parallel branch "
     "or a Map processor"},
    {"VersionNotOne", R"({"Version": "2.0", "StartAt": "A", "States": {"A": {"Type": "Succeed"}}})",
     "InvalidDefinition", "t.json:1: field 'Version': must be \"1.0\""},
    {"NotAnObject", R"([1, 2])", "InvalidDefinition",
     "t.json:1: definition: a state machine must be a JSON object, not array"},
    {"InvalidJson", "{\"StartAt\": \"A\",\n \"States\": {\n", "InvalidDefinition", nullptr},
    {"JsonataTopLevel", R"({"QueryLanguage": "JSONata", "StartAt": "A",
  "States": {"A": {"Type": "Succeed"}}})",
     "UnsupportedFeature",
     "t.json:1: field 'QueryLanguage': JSONata is not supported yet "
     "(QueryLanguage \"JSONata\"); write the state machine with JSONPath"},
    {"JsonataInBranch", R"({"StartAt": "P", "States": {
  "P": {"Type": "Parallel", "End": true, "Branches": [
    {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true,
      "QueryLanguage": "JSONata"}}}]}}})",
     "UnsupportedFeature",
     "t.json:4: state 'B' field 'QueryLanguage': JSONata is not supported "
     "yet (QueryLanguage \"JSONata\"); write the state machine with "
     "JSONPath"},
};

class DefinitionMessage : public testing::TestWithParam<MessageCase> {};

TEST_P(DefinitionMessage, NamesStateFieldAndLine) {
  const MessageCase& c = GetParam();
  auto m = ParseDefinition(c.definition, ParseOptions{"t.json"});
  ASSERT_FALSE(m.ok()) << "accepted: " << c.definition;
  EXPECT_EQ(m.error().code, c.code);
  if (c.message) {
    EXPECT_EQ(m.error().message, c.message);
  } else {
    EXPECT_EQ(m.error().message.rfind("t.json:3: invalid JSON at line 3", 0), 0u)
        << m.error().message;
  }
}

INSTANTIATE_TEST_SUITE_P(All, DefinitionMessage, testing::ValuesIn(kMessageCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(DefinitionMessage, ParsedDocumentHasNoLine) {
  auto doc = Json::Parse(R"({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}})");
  ASSERT_TRUE(doc.ok());
  auto m = ParseDefinition(*doc);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message, "definition: state 'A' field 'Next': no state named 'B'");
}

TEST(DefinitionMessage, LineOfEscapedAndDuplicateKeys) {
  // The key is written with an escape; the later of two duplicate keys is the one in force.
  auto m = ParseDefinition(R"({"StartAt": "A\u00e9", "States": {
  "A\u00e9": {"Type": "Pass", "Next": "B"},
  "B": {"Type": "Pass", "End": true},
  "B": {"Type": "Pass",
        "End": "yes"}}})",
                           ParseOptions{"t.json"});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message, "t.json:5: state 'B' field 'End': must be a boolean");
}

// ---- Conformance corpora ----

fs::path ConformanceRoot() {
  if (const char* env = std::getenv("WHARF_SHARED_CONFORMANCE")) return env;
#ifdef WHARF_SOURCE_DIR
  return fs::path(WHARF_SOURCE_DIR) / ".." / "shared" / "conformance";
#else
  return "../shared/conformance";
#endif
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<fs::path> JsonFiles(const fs::path& dir) {
  std::vector<fs::path> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".json") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

bool UsesJsonata(const std::string& text) { return text.find("\"JSONata\"") != std::string::npos; }

// Valid asl-validator fixtures that AWS itself rejects: wharf follows AWS (the validation README
// marks the asl-validator-specific ones; these are the other direction).
const std::set<std::string> kValidButAwsRejects = {
    // "Resource": "${lambdaArn}" is a CloudFormation DefinitionSubstitutions placeholder; AWS
    // only sees the substituted ARN and rejects the raw text ("Value is not a valid resource
    // ARN").
    "cfn-definition-substitutions.json",
    // "Resource": {"Fn::GetAtt": ...} / {"Ref": ...} are CloudFormation intrinsics, resolved
    // before the definition reaches AWS; a Resource must be a string ARN.
    "task-intrisic-function.json",
};

TEST(DefinitionConformance, ValidFixturesAreAccepted) {
  auto files = JsonFiles(ConformanceRoot() / "validation" / "valid");
  if (files.empty()) GTEST_SKIP() << "no fixtures under " << ConformanceRoot();
  for (const fs::path& f : files) {
    std::string text = ReadFile(f);
    auto m = ParseDefinition(text, ParseOptions{f.filename().string()});
    std::string name = f.filename().string();
    if (UsesJsonata(text)) {
      ASSERT_FALSE(m.ok()) << name;
      EXPECT_EQ(m.error().code, "UnsupportedFeature") << name << ": " << m.error().message;
    } else if (kValidButAwsRejects.count(name)) {
      ASSERT_FALSE(m.ok()) << name;
      EXPECT_EQ(m.error().code, "InvalidDefinition") << name;
    } else {
      EXPECT_TRUE(m.ok()) << name << ": " << m.error().message;
    }
  }
}

TEST(DefinitionConformance, InvalidFixturesAreRejected) {
  auto files = JsonFiles(ConformanceRoot() / "validation" / "invalid");
  if (files.empty()) GTEST_SKIP() << "no fixtures under " << ConformanceRoot();
  for (const fs::path& f : files) {
    std::string text = ReadFile(f);
    std::string name = f.filename().string();
    auto m = ParseDefinition(text, ParseOptions{name});
    EXPECT_FALSE(m.ok()) << name << " was accepted";
    if (!m.ok() && UsesJsonata(text)) {
      EXPECT_EQ(m.error().code, "UnsupportedFeature") << name;
    }
  }
}

TEST(DefinitionConformance, DefinitionsThatRanOnAwsAreAccepted) {
  fs::path root = ConformanceRoot() / "aws-recorded";
  if (!fs::is_directory(root)) GTEST_SKIP() << "no recorded cases under " << root;
  size_t checked = 0;
  for (const auto& e : fs::directory_iterator(root)) {
    fs::path def = e.path() / "definition.json";
    if (!fs::exists(def)) continue;
    std::string text = ReadFile(def);
    if (UsesJsonata(text)) continue;
    auto m = ParseDefinition(text, ParseOptions{e.path().filename().string()});
    EXPECT_TRUE(m.ok()) << m.error().message;
    ++checked;
  }
  EXPECT_GT(checked, 800u);
}

}  // namespace
}  // namespace wharf::asl
