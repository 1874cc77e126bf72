#include "asl/choice.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "asl/timestamp.h"

namespace wharf::asl {
namespace {

Json J(std::string_view text) {
  auto r = Json::Parse(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : Json();
}

// ---------------------------------------------------------------------------------------------
// Timestamps

TEST(Timestamp, AcceptsWhatAwsAccepts) {
  const char* kValid[] = {
      "2016-03-14T01:59:00Z",            // scenarios__test_wait_timestamp_SECONDS
      "2016-03-05T21:29:29.243167252Z",  // ..._NANOSECONDS: nine fraction digits
      "2024-01-01T12:00:00.000000Z",     // base__test_wait_timestamppath_.000000Z
      "2024-01-01T12:00:00.00Z",         // base__test_wait_timestamppath_.00Z
      "2012-10-09T19:00:55+01:00",
      "2012-10-09T19:00:55-05:30",
      "2012-10-09T19:00:55+01",  // Java's lenient offset: minutes optional
      "2012-10-09T19:00:55+01:00:30",
      "2012-10-09T19:00:55-00:00",
      "2012-10-09T19:00Z",      // seconds are optional in ISO_LOCAL_TIME
      "2012-10-09T19:00:55.Z",  // a point with no digits (0..9 fraction digits)
      "2012-10-09t19:00:55z",   // parsed case-insensitively
      "2020-02-29T00:00:00Z",   // leap day
      "2000-02-29T00:00:00Z",
      "0000-01-01T00:00:00Z",
      "+10000-01-01T00:00:00Z",
      "2012-10-09T23:59:59.999999999+18:00",
  };
  for (const char* text : kValid) {
    EXPECT_TRUE(IsValidTimestamp(text)) << text;
    EXPECT_TRUE(ParseTimestamp(text).has_value()) << text;
  }
}

TEST(Timestamp, RejectsWhatAwsRejects) {
  const char* kInvalid[] = {
      "2016-12-05T21:29:29",         // scenarios__test_wait_timestamp_path_NO_Z
      "2024-01-01T12:00:00.000000",  // base__test_wait_timestamppath_.000000
      "2016-12-05 21:29:29Z",        // ..._NO_T
      "05-12-2016T21:29:29Z",        // ..._INVALID_ISO
      "2016-13-05T21:29:29Z",        // ..._INVALID_DATE
      "2016-12-05T25:29:29Z",        // ..._INVALID_TIME
      "2023-02-24 12:15:56.832957",  // choice_operators__test_timestamp_equals__7
      "2023-02-24",
      "",
      " 2016-03-14T01:59:00Z",
      "2016-03-14T01:59:00Z ",
      "2016-03-14T01:59:00.1234567890Z",  // ten fraction digits
      "2016-03-14T01:59:60Z",             // no leap second
      "2016-03-14T24:00:00Z",
      "2016-03-14T01:60:00Z",
      "2019-02-29T00:00:00Z",  // not a leap year
      "1900-02-29T00:00:00Z",
      "2016-04-31T00:00:00Z",
      "2016-00-10T00:00:00Z",
      "2016-01-00T00:00:00Z",
      "16-03-14T01:59:00Z",
      "20160-03-14T01:59:00Z",  // more than 4 digits needs "+"
      "+2016-03-14T01:59:00Z",  // "+" only before more than 4 digits
      "-0000-03-14T01:59:00Z",
      "2016-3-14T01:59:00Z",
      "2016-03-14T1:59:00Z",
      "2016-03-14T01:59:00+0100",  // offset colons are required
      "2016-03-14T01:59:00+1:00",
      "2016-03-14T01:59:00+19:00",  // beyond +-18:00
      "2016-03-14T01:59:00+18:01",
      "2016-03-14T01:59:00+01:60",
      "2016-03-14T01:59:00GMT",
      "2016-03-14T01:59:00ZZ",
      "2016-03-14T01:59Z:00",
      "2016-03-14T01:59.5Z",  // a fraction needs seconds
      "2016-03-14",
      "1457920740",
  };
  for (const char* text : kInvalid) {
    EXPECT_FALSE(IsValidTimestamp(text)) << text;
    EXPECT_FALSE(ParseTimestamp(text).has_value()) << text;
  }
}

TEST(Timestamp, ComputesTheInstant) {
  struct Case {
    const char* text;
    int64_t seconds;
    int32_t nanos;
  };
  const Case kCases[] = {
      {"1970-01-01T00:00:00Z", 0, 0},
      {"2016-03-14T01:59:00Z", 1457920740, 0},
      {"2016-03-14T03:59:00+02:00", 1457920740, 0},
      {"2016-03-13T20:59:00-05:00", 1457920740, 0},
      {"2016-03-14T01:59:00.5Z", 1457920740, 500000000},
      {"2016-03-14T01:59:00.000000001Z", 1457920740, 1},
      {"2016-03-05T21:29:29.243167252Z", 1457213369, 243167252},
      {"1969-12-31T23:59:59Z", -1, 0},
      {"2000-03-01T00:00:00Z", 951868800, 0},
      {"2020-02-29T12:00:00Z", 1582977600, 0},
      {"1600-01-01T00:00:00Z", -11676096000, 0},
      {"9999-12-31T23:59:59Z", 253402300799, 0},
      {"2012-10-09T19:00:55+01:00:30", 1349805625, 0},
  };
  for (const auto& c : kCases) {
    auto t = ParseInstant(c.text);
    ASSERT_TRUE(t.has_value()) << c.text;
    EXPECT_EQ(t->seconds, c.seconds) << c.text;
    EXPECT_EQ(t->nanos, c.nanos) << c.text;
  }
}

TEST(Timestamp, TimePointKeepsNanosecondsAndClampsOutOfRange) {
  auto t = ParseTimestamp("2016-03-05T21:29:29.243167252Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::nanoseconds>(t->time_since_epoch()).count(),
            1457213369243167252);
  EXPECT_EQ(ToUnixMillis(*t), 1457213369243);
  EXPECT_EQ(FormatIso8601(*ParseTimestamp("2024-01-01T13:00:00.5+01:00")),
            "2024-01-01T12:00:00.500Z");
  EXPECT_EQ(*ParseTimestamp("3000-01-01T00:00:00Z"), TimePoint::max());
  EXPECT_EQ(*ParseTimestamp("1000-01-01T00:00:00Z"), TimePoint::min());
}

// ---------------------------------------------------------------------------------------------
// Evaluation

struct EvalCase {
  const char* rule;  // a nested rule (no Next)
  const char* input;
  int expected;  // 1 true, 0 false, -1 a States.Runtime error
};

void PrintTo(const EvalCase& c, std::ostream* os) { *os << c.rule << " on " << c.input; }

class ChoiceEval : public ::testing::TestWithParam<EvalCase> {};

TEST_P(ChoiceEval, Evaluates) {
  const EvalCase& c = GetParam();
  auto rule = ChoiceRule::Parse(J(c.rule), /*top_level=*/false, "state 'S', Choices[0]");
  ASSERT_TRUE(rule.ok()) << rule.error().message;
  Json input = J(c.input);
  Json context = J(R"({"Execution":{"Name":"run-1"}})");
  VarScope vars;
  vars.vars["answer"] = Json::String("42");
  vars.vars["limit"] = Json::Int(10);
  Env env{input, context, &vars};
  auto r = rule->Evaluate(env);
  if (c.expected < 0) {
    ASSERT_FALSE(r.ok()) << "expected an error, got " << *r;
    EXPECT_EQ(r.error().code, "States.Runtime");
  } else {
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, c.expected == 1);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Strings, ChoiceEval,
    ::testing::Values(
        EvalCase{R"({"Variable":"$.s","StringEquals":"abc"})", R"({"s":"abc"})", 1},
        EvalCase{R"({"Variable":"$.s","StringEquals":"abc"})", R"({"s":"abd"})", 0},
        EvalCase{R"({"Variable":"$.s","StringEquals":"1"})", R"({"s":1})", 0},
        EvalCase{R"({"Variable":"$.s","StringLessThan":"b"})", R"({"s":"a"})", 1},
        EvalCase{R"({"Variable":"$.s","StringLessThan":"B"})", R"({"s":"a"})", 0},
        EvalCase{R"({"Variable":"$.s","StringGreaterThan":"A"})", R"({"s":"AB"})", 1},
        EvalCase{R"({"Variable":"$.s","StringLessThanEquals":"A"})", R"({"s":"A"})", 1},
        EvalCase{R"({"Variable":"$.s","StringGreaterThanEquals":"AB"})", R"({"s":"A"})", 0},
        // UTF-16 order, as Java compares: U+FF21 (EF BC A1) sorts after U+1F600 (a surrogate
        // pair, D83D DE00) although its code point is smaller.
        EvalCase{R"({"Variable":"$.s","StringLessThan":"\uff21"})", R"({"s":"\ud83d\ude00"})", 1},
        EvalCase{R"({"Variable":"$.s","StringLessThan":"\u00e9"})", R"({"s":"z"})", 1},
        EvalCase{R"({"Variable":"$.s","StringEqualsPath":"$.t"})", R"({"s":"x","t":"x"})", 1},
        EvalCase{R"({"Variable":"$.s","StringEqualsPath":"$.t"})", R"({"s":"x","t":"y"})", 0},
        EvalCase{R"({"Variable":"$.s","StringLessThanPath":"$.t"})", R"({"s":"a","t":"b"})", 1},
        EvalCase{R"({"Variable":"$.s","StringGreaterThanEqualsPath":"$.t"})", R"({"s":"a","t":1})",
                 0},
        EvalCase{R"({"Variable":"$.s","StringEqualsPath":"$answer"})", R"({"s":"42"})", 1},
        EvalCase{R"({"Variable":"$$.Execution.Name","StringEquals":"run-1"})", R"({})", 1}));

INSTANTIATE_TEST_SUITE_P(
    StringMatches, ChoiceEval,
    ::testing::Values(
        EvalCase{R"({"Variable":"$.f","StringMatches":"log-*.txt"})", R"({"f":"log-1.txt"})", 1},
        EvalCase{R"({"Variable":"$.f","StringMatches":"log-*.txt"})", R"({"f":"log-.txt"})", 1},
        EvalCase{R"({"Variable":"$.f","StringMatches":"log-*.txt"})", R"({"f":"log-1.txt2"})", 0},
        EvalCase{R"({"Variable":"$.f","StringMatches":"*"})", R"({"f":""})", 1},
        EvalCase{R"({"Variable":"$.f","StringMatches":"a*b*c"})", R"({"f":"aXbYbZc"})", 1},
        EvalCase{R"({"Variable":"$.f","StringMatches":"a*b*c"})", R"({"f":"abcb"})", 0},
        EvalCase{R"({"Variable":"$.f","StringMatches":"*ab*ab*"})", R"({"f":"xabab"})", 1},
        EvalCase{R"({"Variable":"$.f","StringMatches":"*ab*ab*"})", R"({"f":"xaba"})", 0},
        EvalCase{R"({"Variable":"$.f","StringMatches":"aa*aa"})", R"({"f":"aaa"})", 0},
        EvalCase{R"({"Variable":"$.f","StringMatches":"exact"})", R"({"f":"exact"})", 1},
        EvalCase{R"({"Variable":"$.f","StringMatches":"exact"})", R"({"f":"exactly"})", 0},
        // "\*" is a literal star, "\\" a literal backslash (JSON doubles each backslash).
        EvalCase{R"({"Variable":"$.f","StringMatches":"a\\*"})", R"({"f":"a*"})", 1},
        EvalCase{R"({"Variable":"$.f","StringMatches":"a\\*"})", R"({"f":"ab"})", 0},
        EvalCase{R"({"Variable":"$.f","StringMatches":"a\\\\*"})", R"({"f":"a\\xyz"})", 1},
        EvalCase{R"({"Variable":"$.f","StringMatches":"a\\\\*"})", R"({"f":"axyz"})", 0},
        EvalCase{R"({"Variable":"$.f","StringMatches":"*"})", R"({"f":5})", 0}));

INSTANTIATE_TEST_SUITE_P(
    Numbers, ChoiceEval,
    ::testing::Values(
        EvalCase{R"({"Variable":"$.n","NumericEquals":1})", R"({"n":1.0})", 1},
        EvalCase{R"({"Variable":"$.n","NumericEquals":1})", R"({"n":"1"})", 0},
        EvalCase{R"({"Variable":"$.n","NumericEquals":1})", R"({"n":true})", 0},
        EvalCase{R"({"Variable":"$.n","NumericEquals":9007199254740993})",
                 R"({"n":9007199254740992})", 0},
        EvalCase{R"({"Variable":"$.n","NumericLessThan":2.5})", R"({"n":2})", 1},
        EvalCase{R"({"Variable":"$.n","NumericGreaterThan":-1})", R"({"n":-1})", 0},
        EvalCase{R"({"Variable":"$.n","NumericLessThanEquals":-1})", R"({"n":-1})", 1},
        EvalCase{R"({"Variable":"$.n","NumericGreaterThanEquals":1e3})", R"({"n":1000})", 1},
        EvalCase{R"({"Variable":"$.n","NumericLessThanPath":"$limit"})", R"({"n":9})", 1},
        EvalCase{R"({"Variable":"$.n","NumericEqualsPath":"$.m"})", R"({"n":3,"m":3.0})", 1},
        EvalCase{R"({"Variable":"$.n","NumericGreaterThanPath":"$.m"})", R"({"n":3,"m":"2"})", 0},
        EvalCase{R"({"Variable":"$.n","NumericLessThanEqualsPath":"$.m"})", R"({"n":3,"m":4})", 1},
        EvalCase{R"({"Variable":"$.n","NumericGreaterThanEqualsPath":"$.m"})", R"({"n":3,"m":4})",
                 0}));

INSTANTIATE_TEST_SUITE_P(
    Booleans, ChoiceEval,
    ::testing::Values(
        EvalCase{R"({"Variable":"$.b","BooleanEquals":false})", R"({"b":false})", 1},
        EvalCase{R"({"Variable":"$.b","BooleanEquals":false})", R"({"b":0})", 0},
        EvalCase{R"({"Variable":"$.b","BooleanEquals":true})", R"({"b":"true"})", 0},
        EvalCase{R"({"Variable":"$.b","BooleanEqualsPath":"$.c"})", R"({"b":true,"c":true})", 1},
        EvalCase{R"({"Variable":"$.b","BooleanEqualsPath":"$.c"})", R"({"b":true,"c":1})", 0}));

INSTANTIATE_TEST_SUITE_P(
    Timestamps, ChoiceEval,
    ::testing::Values(
        EvalCase{R"({"Variable":"$.t","TimestampEquals":"2012-10-09T19:00:55Z"})",
                 R"({"t":"2012-10-09T20:00:55+01:00"})", 1},
        EvalCase{R"({"Variable":"$.t","TimestampEquals":"2012-10-09T19:00:55Z"})",
                 R"({"t":"2012-10-09T19:00:55.000Z"})", 1},
        EvalCase{R"({"Variable":"$.t","TimestampEquals":"2012-10-09T19:00:55Z"})",
                 R"({"t":"2012-10-09T19:00:55.001Z"})", 0},
        EvalCase{R"({"Variable":"$.t","TimestampEquals":"2012-10-09T19:00:55Z"})",
                 R"({"t":"2012-10-09T19:00:55"})", 0},
        EvalCase{R"({"Variable":"$.t","TimestampLessThan":"2012-10-09T19:00:55Z"})",
                 R"({"t":"2012-10-09T19:00:54.999999999Z"})", 1},
        EvalCase{R"({"Variable":"$.t","TimestampGreaterThan":"2012-10-09T19:00:55Z"})",
                 R"({"t":"2012-10-09T19:00:55-00:01"})", 1},
        EvalCase{R"({"Variable":"$.t","TimestampLessThanEquals":"2012-10-09T19:00:55Z"})",
                 R"({"t":"2012-10-09T19:00:55Z"})", 1},
        EvalCase{R"({"Variable":"$.t","TimestampGreaterThanEquals":"2012-10-09T19:00:55Z"})",
                 R"({"t":1349809255})", 0},
        EvalCase{R"({"Variable":"$.t","TimestampEqualsPath":"$.u"})",
                 R"({"t":"2012-10-09T19:00:55Z","u":"2012-10-09T21:00:55+02:00"})", 1},
        EvalCase{R"({"Variable":"$.t","TimestampLessThanPath":"$.u"})",
                 R"({"t":"2012-10-09T19:00:55Z","u":"not a time"})", 0},
        EvalCase{R"({"Variable":"$.t","TimestampGreaterThanPath":"$.u"})",
                 R"({"t":"2012-10-09T19:00:56Z","u":"2012-10-09T19:00:55Z"})", 1},
        EvalCase{R"({"Variable":"$.t","TimestampLessThanEqualsPath":"$.u"})",
                 R"({"t":"2012-10-09T19:00:56Z","u":"2012-10-09T19:00:55Z"})", 0},
        EvalCase{R"({"Variable":"$.t","TimestampGreaterThanEqualsPath":"$.u"})",
                 R"({"t":"2012-10-09T19:00:55Z","u":"2012-10-09T19:00:55Z"})", 1}));

INSTANTIATE_TEST_SUITE_P(
    TypeTests, ChoiceEval,
    ::testing::Values(
        EvalCase{R"({"Variable":"$.v","IsNull":true})", R"({"v":null})", 1},
        EvalCase{R"({"Variable":"$.v","IsNull":false})", R"({"v":null})", 0},
        EvalCase{R"({"Variable":"$.v","IsNull":true})", R"({"v":0})", 0},
        EvalCase{R"({"Variable":"$.v","IsNull":true})", R"({})", -1},
        EvalCase{R"({"Variable":"$.v","IsPresent":true})", R"({"v":null})", 1},
        EvalCase{R"({"Variable":"$.v","IsPresent":true})", R"({})", 0},
        EvalCase{R"({"Variable":"$.v","IsPresent":false})", R"({})", 1},
        EvalCase{R"({"Variable":"$.v.w","IsPresent":false})", R"({"v":"x"})", 1},
        EvalCase{R"({"Variable":"$nothing","IsPresent":true})", R"({})", 0},
        EvalCase{R"({"Variable":"$","IsPresent":true})", R"({})", 1},
        EvalCase{R"({"Variable":"$.v","IsNumeric":true})", R"({"v":1.5})", 1},
        EvalCase{R"({"Variable":"$.v","IsNumeric":true})", R"({"v":"1.5"})", 0},
        EvalCase{R"({"Variable":"$.v","IsString":true})", R"({"v":""})", 1},
        EvalCase{R"({"Variable":"$.v","IsString":false})", R"({"v":[]})", 1},
        EvalCase{R"({"Variable":"$.v","IsBoolean":true})", R"({"v":false})", 1},
        EvalCase{R"({"Variable":"$.v","IsBoolean":true})", R"({"v":"false"})", 0},
        EvalCase{R"({"Variable":"$.v","IsTimestamp":true})", R"({"v":"2016-03-14T01:59:00Z"})", 1},
        EvalCase{R"({"Variable":"$.v","IsTimestamp":true})", R"({"v":"2016-03-14T01:59:00"})", 0},
        EvalCase{R"({"Variable":"$.v","IsTimestamp":false})", R"({"v":20160314})", 1}));

INSTANTIATE_TEST_SUITE_P(
    Combinators, ChoiceEval,
    ::testing::Values(
        EvalCase{R"({"Not":{"Variable":"$.t","StringEquals":"Private"}})", R"({"t":"Public"})", 1},
        EvalCase{R"({"Not":{"Variable":"$.t","StringEquals":"Private"}})", R"({"t":"Private"})", 0},
        EvalCase{R"({"And":[{"Variable":"$.v","NumericGreaterThanEquals":20},
                            {"Variable":"$.v","NumericLessThan":30}]})",
                 R"({"v":22})", 1},
        EvalCase{R"({"And":[{"Variable":"$.v","NumericGreaterThanEquals":20},
                            {"Variable":"$.v","NumericLessThan":30}]})",
                 R"({"v":30})", 0},
        EvalCase{R"({"Or":[{"Variable":"$.v","NumericEquals":2},
                           {"Variable":"$.v","NumericEquals":3}]})",
                 R"({"v":3})", 1},
        EvalCase{R"({"Or":[{"Variable":"$.v","NumericEquals":2},
                           {"Variable":"$.v","NumericEquals":3}]})",
                 R"({"v":4})", 0},
        // An IsPresent guard stops And before the rule that would fail (AWS docs, Choice).
        EvalCase{R"({"And":[{"Variable":"$.k","IsPresent":true},
                            {"Variable":"$.k","StringEquals":"foo"}]})",
                 R"({})", 0},
        EvalCase{R"({"Or":[{"Variable":"$.k","IsPresent":false},
                           {"Variable":"$.k","StringEquals":"foo"}]})",
                 R"({})", 1},
        EvalCase{R"({"And":[{"Variable":"$.v","IsNumeric":true},
                            {"Not":{"Or":[{"Variable":"$.v","NumericLessThan":0},
                                          {"Variable":"$.v","NumericGreaterThan":9}]}}]})",
                 R"({"v":5})", 1}));

INSTANTIATE_TEST_SUITE_P(
    MissingPaths, ChoiceEval,
    ::testing::Values(EvalCase{R"({"Variable":"$.missing","StringEquals":"x"})", R"({})", -1},
                      EvalCase{R"({"Variable":"$.a.b","NumericEquals":1})", R"({"a":{}})", -1},
                      EvalCase{R"({"Variable":"$.s","StringEqualsPath":"$.missing"})",
                               R"({"s":"x"})", -1},
                      EvalCase{R"({"Variable":"$.s","IsString":true})", R"({})", -1},
                      EvalCase{R"({"Not":{"Variable":"$.s","BooleanEquals":true}})", R"({})", -1}));

TEST(ChoiceRule, MissingVariableCauseNamesThePath) {
  auto rule = ChoiceRule::Parse(J(R"({"Variable":"$.value","NumericEquals":0,"Next":"Z"})"),
                                /*top_level=*/true, "state 'S', Choices[0]");
  ASSERT_TRUE(rule.ok()) << rule.error().message;
  Json input = J(R"({"other":1})");
  Env env{input, Json::EmptyObject()};
  auto r = rule->Evaluate(env);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "States.Runtime");
  EXPECT_EQ(r.error().message,
            "Invalid path '$.value': The choice state's condition path references an invalid "
            "value.");
}

TEST(ChoiceRule, TopLevelRuleKeepsNextAndAssign) {
  auto rule = ChoiceRule::Parse(
      J(R"({"Variable":"$.x","IsPresent":true,"Next":"Found","Assign":{"seen":true},
             "Comment":"c"})"),
      /*top_level=*/true, "state 'S', Choices[0]");
  ASSERT_TRUE(rule.ok()) << rule.error().message;
  EXPECT_EQ(rule->next(), "Found");
  ASSERT_NE(rule->assign(), nullptr);
  EXPECT_EQ(rule->assign()->source().Dump(), R"({"seen":true})");

  auto plain = ChoiceRule::Parse(J(R"({"Variable":"$.x","IsPresent":true,"Next":"Found"})"),
                                 /*top_level=*/true, "state 'S', Choices[0]");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->assign(), nullptr);
}

// ---------------------------------------------------------------------------------------------
// Parse errors

struct ParseErrorCase {
  const char* rule;
  bool top_level;
  const char* message;  // the whole expected message
};

void PrintTo(const ParseErrorCase& c, std::ostream* os) { *os << c.rule; }

class ChoiceParseError : public ::testing::TestWithParam<ParseErrorCase> {};

TEST_P(ChoiceParseError, NamesPlaceAndField) {
  const ParseErrorCase& c = GetParam();
  auto r = ChoiceRule::Parse(J(c.rule), c.top_level, "state 'Check', Choices[0]");
  ASSERT_FALSE(r.ok()) << c.rule;
  EXPECT_EQ(r.error().code, "InvalidDefinition");
  EXPECT_EQ(r.error().message, c.message);
}

INSTANTIATE_TEST_SUITE_P(
    All, ChoiceParseError,
    ::testing::Values(
        ParseErrorCase{R"({"Variable":"$.n","NumericEquals":"1","Next":"A"})", true,
                       "state 'Check', Choices[0]: NumericEquals must be a number"},
        ParseErrorCase{R"({"Variable":"$.n","StringEquals":1,"Next":"A"})", true,
                       "state 'Check', Choices[0]: StringEquals must be a string"},
        ParseErrorCase{R"({"Variable":"$.n","StringMatches":null,"Next":"A"})", true,
                       "state 'Check', Choices[0]: StringMatches must be a string"},
        ParseErrorCase{R"({"Variable":"$.n","BooleanEquals":"true","Next":"A"})", true,
                       "state 'Check', Choices[0]: BooleanEquals must be true or false"},
        ParseErrorCase{R"({"Variable":"$.n","IsPresent":1,"Next":"A"})", true,
                       "state 'Check', Choices[0]: IsPresent must be true or false"},
        ParseErrorCase{R"({"Variable":"$.n","TimestampEquals":"2016-03-14","Next":"A"})", true,
                       "state 'Check', Choices[0]: TimestampEquals must be an ISO-8601 timestamp "
                       "with an offset, such as 2016-03-14T01:59:00Z"},
        ParseErrorCase{R"({"Variable":"$.n","NumericEqualsPath":5,"Next":"A"})", true,
                       "state 'Check', Choices[0]: NumericEqualsPath must be a string holding a "
                       "JSONPath"},
        ParseErrorCase{R"({"NumericEquals":5,"Next":"A"})", true,
                       "state 'Check', Choices[0]: Variable is required with NumericEquals"},
        ParseErrorCase{R"({"Variable":5,"NumericEquals":5,"Next":"A"})", true,
                       "state 'Check', Choices[0]: Variable must be a string holding a JSONPath"},
        ParseErrorCase{R"({"Variable":"$.n","Next":"A"})", true,
                       "state 'Check', Choices[0]: a Choice Rule needs a comparison operator "
                       "(such as StringEquals) or And, Or, Not"},
        ParseErrorCase{R"({"Variable":"$.n","NumericEquals":1,"StringEquals":"1","Next":"A"})",
                       true,
                       "state 'Check', Choices[0]: a Choice Rule takes exactly one comparison "
                       "operator, found NumericEquals, StringEquals"},
        ParseErrorCase{R"({"Variable":"$.n","NumericEquals":1})", true,
                       "state 'Check', Choices[0]: Next is required in a top-level Choice Rule"},
        ParseErrorCase{R"({"Variable":"$.n","NumericEquals":1,"Next":7})", true,
                       "state 'Check', Choices[0]: Next must be the name of a state"},
        ParseErrorCase{R"({"Variable":"$.n","NumericEquals":1,"End":true})", true,
                       "state 'Check', Choices[0]: End is not allowed in a Choice Rule; a Choice "
                       "Rule names its Next"},
        ParseErrorCase{R"({"Variable":"$.n","NumericEquals":1,"Next":"A"})", false,
                       "state 'Check', Choices[0]: Next is only allowed in a top-level Choice "
                       "Rule"},
        ParseErrorCase{R"({"Variable":"$.n","NumericEquals":1,"Assign":{}})", false,
                       "state 'Check', Choices[0]: Assign is only allowed in a top-level Choice "
                       "Rule"},
        ParseErrorCase{R"({"Variable":"$.n","NumericEquals":1,"Next":"A","Assign":[1]})", true,
                       "state 'Check', Choices[0]: Assign must be a JSON object"},
        ParseErrorCase{R"({"Variable":"$.n","NumericEquals":1,"Next":"A","Bogus":1})", true,
                       "state 'Check', Choices[0]: unknown field 'Bogus'"},
        ParseErrorCase{R"({"Condition":"{% true %}","Next":"A"})", true,
                       "state 'Check', Choices[0]: Condition is only allowed when the "
                       "QueryLanguage is JSONata"},
        ParseErrorCase{R"({"And":[],"Next":"A"})", true,
                       "state 'Check', Choices[0]: And must be a non-empty array of Choice Rules"},
        ParseErrorCase{R"({"Or":{"Variable":"$.n","IsNull":true},"Next":"A"})", true,
                       "state 'Check', Choices[0]: Or must be a non-empty array of Choice Rules"},
        ParseErrorCase{R"({"Not":[{"Variable":"$.n","IsNull":true}],"Next":"A"})", true,
                       "state 'Check', Choices[0]: Not must be a single Choice Rule (an object)"},
        ParseErrorCase{R"({"Variable":"$.n","And":[{"Variable":"$.n","IsNull":true}],
                           "Next":"A"})",
                       true, "state 'Check', Choices[0]: Variable is not allowed with And"},
        ParseErrorCase{R"({"And":[{"Variable":"$.n","IsNull":true},
                                  {"Variable":"$.n","NumericEquals":true}],"Next":"A"})",
                       true, "state 'Check', Choices[0].And[1]: NumericEquals must be a number"},
        ParseErrorCase{R"({"Not":{"Or":[{"Variable":"$.n","IsNull":true,"Next":"B"}]},
                           "Next":"A"})",
                       true,
                       "state 'Check', Choices[0].Not.Or[0]: Next is only allowed in a "
                       "top-level Choice Rule"},
        ParseErrorCase{R"("$.n")", true,
                       "state 'Check', Choices[0]: a Choice Rule must be a JSON object"}));

TEST(ChoiceRule, RejectsPathsThatAreNotPaths) {
  // validation/invalid/choice-state-variable.json: an intrinsic is not a Variable.
  auto r = ChoiceRule::Parse(
      J(R"js({"Variable":"States.ArrayContains($.clients.unique, 'null')","NumericEquals":1,
               "Next":"A"})js"),
      true, "state 'ChoiceState', Choices[0]");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind(
                "state 'ChoiceState', Choices[0]: Variable is not a valid JSONPath: ", 0),
            0u)
      << r.error().message;

  auto p = ChoiceRule::Parse(J(R"({"Variable":"$.a","StringEqualsPath":"b","Next":"A"})"), true,
                             "state 'C', Choices[1]");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message.rfind("state 'C', Choices[1]: StringEqualsPath is not a valid "
                                    "JSONPath: ",
                                    0),
            0u)
      << p.error().message;
}

// ---------------------------------------------------------------------------------------------
// Replay of the AWS-recorded cases (../shared/conformance/aws-recorded, see its README.md)

std::filesystem::path RecordedDir() {
  if (const char* dir = std::getenv("WHARF_CONFORMANCE_DIR")) {
    return std::filesystem::path(dir) / "aws-recorded";
  }
#ifdef WHARF_SOURCE_DIR
  return std::filesystem::path(WHARF_SOURCE_DIR) / ".." / "shared" / "conformance" / "aws-recorded";
#else
  return "../shared/conformance/aws-recorded";
#endif
}

Json ReadJson(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  auto r = Json::Parse(ss.str());
  EXPECT_TRUE(r.ok()) << file << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : Json();
}

// The state a Choice state moves to on `input`: the Next of its first matching rule, else its
// Default, else "" (States.NoChoiceMatched).
Result<std::string> Choose(const Json& state, const std::string& name, const Env& env) {
  const Json* choices = state.find("Choices");
  if (!choices || !choices->is_array()) return MakeError("Test", "no Choices");
  for (size_t i = 0; i < choices->size(); ++i) {
    WHARF_TRY(auto rule,
              ChoiceRule::Parse(*choices->at(i), /*top_level=*/true,
                                "state '" + name + "', Choices[" + std::to_string(i) + "]"));
    WHARF_TRY(bool matched, rule.Evaluate(env));
    if (matched) return rule.next();
  }
  const Json* def = state.find("Default");
  return def && def->is_string() ? def->as_string() : std::string();
}

// Each choice_operators case is a Choice state "CheckValues" whose branches are Pass states with
// a constant Result; the execution's output is the Result of the branch taken.
TEST(ChoiceConformance, ReplaysEveryChoiceOperatorsCase) {
  const auto root = RecordedDir();
  if (!std::filesystem::is_directory(root)) GTEST_SKIP() << "no conformance data at " << root;
  std::vector<std::filesystem::path> cases;
  for (const auto& entry : std::filesystem::directory_iterator(root)) {
    if (entry.path().filename().string().rfind("choice_operators__", 0) == 0) {
      cases.push_back(entry.path());
    }
  }
  std::sort(cases.begin(), cases.end());
  ASSERT_GE(cases.size(), 491u);

  int passed = 0;
  for (const auto& dir : cases) {
    SCOPED_TRACE(dir.filename().string());
    Json def = ReadJson(dir / "definition.json");
    Json input = ReadJson(dir / "input.json");
    Json expected = ReadJson(dir / "expected.json");
    const Json* states = def.find("States");
    ASSERT_NE(states, nullptr);
    const Json* start = def.find("StartAt");
    ASSERT_NE(start, nullptr);
    const Json* choice = states->find(start->as_string());
    ASSERT_NE(choice, nullptr);

    Env env{input, Json::EmptyObject()};
    auto next = Choose(*choice, start->as_string(), env);
    if (!next.ok()) {
      ADD_FAILURE() << next.error().code << ": " << next.error().message;
      continue;
    }
    const Json* branch = states->find(*next);
    if (!branch) {
      ADD_FAILURE() << "no state named '" << *next << "'";
      continue;
    }
    ASSERT_EQ(expected.find("status")->as_string(), "SUCCEEDED");
    const Json* result = branch->find("Result");
    ASSERT_NE(result, nullptr);
    if (*result == *expected.find("output")) {
      ++passed;
    } else {
      ADD_FAILURE() << "took " << *next << " (" << result->Dump() << "), AWS produced "
                    << expected.find("output")->Dump() << " on input " << input.Dump();
    }
  }
  std::printf("[ choice  ] %d of %zu choice_operators cases pass\n", passed, cases.size());
  RecordProperty("passed", passed);
  EXPECT_EQ(passed, static_cast<int>(cases.size()));
}

// The other recorded executions with a JSONPath Choice state and a recorded history: each time a
// Choice state was entered, the state entered next must be the one the rules choose from the
// recorded input. Cases that need variables are left to the interpreter's replay.
void CollectChoiceStates(const Json& states, std::map<std::string, Json>* out) {
  for (const auto& [name, state] : states.as_object()) {
    const Json* type = state.find("Type");
    if (type && type->is_string() && type->as_string() == "Choice") out->emplace(name, state);
    for (const char* key : {"Iterator", "ItemProcessor"}) {
      if (const Json* sub = state.find(key); sub && sub->find("States")) {
        CollectChoiceStates(*sub->find("States"), out);
      }
    }
    if (const Json* branches = state.find("Branches"); branches && branches->is_array()) {
      for (const auto& b : branches->as_array()) {
        if (b.find("States")) CollectChoiceStates(*b.find("States"), out);
      }
    }
  }
}

TEST(ChoiceConformance, ReplaysChoiceStatesOfOtherRecordedCases) {
  const auto root = RecordedDir();
  if (!std::filesystem::is_directory(root)) GTEST_SKIP() << "no conformance data at " << root;
  int decisions = 0, cases_used = 0;
  for (const auto& entry : std::filesystem::directory_iterator(root)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("choice_operators__", 0) == 0) continue;
    if (!std::filesystem::exists(entry.path() / "definition.json")) continue;
    Json def = ReadJson(entry.path() / "definition.json");
    std::string text = def.Dump();
    if (text.find("\"Choice\"") == std::string::npos) continue;
    if (text.find("JSONata") != std::string::npos) continue;
    Json expected = ReadJson(entry.path() / "expected.json");
    const Json* recorded = expected.find("states");
    if (!recorded || !recorded->is_array()) continue;
    if (expected.find("parallel_events_sorted")) continue;
    Json info = ReadJson(entry.path() / "case.json");
    if (info.find("needs") && info.find("needs")->Dump().find("variables") != std::string::npos) {
      continue;
    }
    std::map<std::string, Json> choice_states;
    CollectChoiceStates(*def.find("States"), &choice_states);
    Json exec_input = ReadJson(entry.path() / "input.json");
    Json context = Json::Object({{"Execution", Json::Object({{"Input", exec_input}})}});

    SCOPED_TRACE(name);
    bool used = false;
    const auto& list = recorded->as_array();
    for (size_t i = 0; i + 1 < list.size(); ++i) {
      const std::string& entered = list[i].find("name")->as_string();
      auto it = choice_states.find(entered);
      if (it == choice_states.end() || !list[i].find("enteredInput")) continue;
      const Json& input = *list[i].find("enteredInput");
      Env env{input, context};
      auto next = Choose(it->second, entered, env);
      ASSERT_TRUE(next.ok()) << next.error().message;
      EXPECT_EQ(*next, list[i + 1].find("name")->as_string()) << "input " << input.Dump();
      ++decisions;
      used = true;
    }
    cases_used += used;
  }
  std::printf("[ choice  ] %d Choice decisions replayed from %d other recorded cases\n", decisions,
              cases_used);
  EXPECT_GT(decisions, 0);
}

}  // namespace
}  // namespace wharf::asl
