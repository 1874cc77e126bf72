#include "conformance/compare.h"

#include <gtest/gtest.h>

namespace wharf::conformance {
namespace {

Json J(std::string_view text) {
  auto r = Json::Parse(text);
  EXPECT_TRUE(r.ok()) << text;
  return r.ok() ? *r : Json();
}

MatchRules Placeholders() {
  MatchRules r;
  r.placeholders = true;
  r.bare_words = DefaultBareWords();
  return r;
}

TEST(IsoDates, ReplacesTimestampsTheSnapshotToolRecognises) {
  struct Row {
    const char* in;
    const char* out;
  } rows[] = {
      {"2024-01-01T12:00:00.000Z", "date"},
      {"at 2024-01-01T12:00:00Z and 2024-02-29T00:00:00+01:00.", "at date and date."},
      {"2024-01-01T12:00:00.123456789Z", "date"},
      {"2024-01-01T12:00:00-0530", "date"},
      {"2023-02-29T00:00:00Z", "2023-02-29T00:00:00Z"},  // not a leap year
      {"2024-01-01T12:00:00", "2024-01-01T12:00:00"},    // no zone: not replaced
      {"2024-13-01T12:00:00Z", "2024-13-01T12:00:00Z"},  // month 13
      {"2024-01-01T24:00:00Z", "2024-01-01T24:00:00Z"},  // hour 24
      {"no date here", "no date here"},
      {"", ""},
  };
  for (const auto& row : rows) {
    EXPECT_EQ(ReplaceIsoDates(row.in), row.out) << row.in;
    EXPECT_EQ(ContainsIsoDate(row.in), std::string(row.in) != row.out) << row.in;
  }
}

TEST(TokenPattern, AngleTokensMatchAnySubstring) {
  struct Row {
    const char* pattern;
    const char* text;
    bool match;
  } rows[] = {
      {"arn:<partition>:states:<region>:111111111111:stateMachine:<ArnPart_0idx>",
       "arn:aws:states:us-east-1:111111111111:stateMachine:wharf", true},
      {"arn:<partition>:states:<region>:111111111111:stateMachine:<ArnPart_0idx>",
       "arn:aws:states:us-east-1:222222222222:stateMachine:wharf", false},
      {"<uuid:1>", "0d4a-99", true},
      {"<uuid:1>", "", true},
      {"prefix-<x>", "prefix-", true},
      {"prefix-<x>", "prefi-x", false},
      {"<x>-suffix", "a-suffix", true},
      {"<x>-suffix", "a-suffix-", false},
      {"a<x>b<y>c", "abc", true},
      {"a<x>b<y>c", "a1b2c", true},
      {"a<x>b<y>c", "a1c2b", false},
      {"a<x>aa", "aa", false},  // head and tail may not overlap
      {"no tokens", "no tokens", true},
      {"no tokens", "no token", false},
      {"a < b > c", "a < b > c", true},  // "< b >" is a token too and matches itself
  };
  for (const auto& row : rows) {
    EXPECT_EQ(MatchTokenPattern(row.pattern, row.text), row.match)
        << row.pattern << " vs " << row.text;
  }
  EXPECT_TRUE(IsAngleToken("<uuid:1>"));
  EXPECT_FALSE(IsAngleToken("<a><b>"));
  EXPECT_FALSE(IsAngleToken("x<a>"));
  EXPECT_FALSE(IsAngleToken("<>"));
}

TEST(CompareJson, IgnoresKeyOrderAndComparesNumbersNumerically) {
  MatchRules exact;
  EXPECT_EQ(CompareJson(J(R"({"a":1,"b":[1,2.5]})"), J(R"({"b":[1.0,2.5],"a":1.0})"), exact),
            std::nullopt);
  EXPECT_EQ(CompareJson(J("0.30000000000000004"), J("0.30000000000000004"), exact), std::nullopt);
  EXPECT_EQ(CompareJson(J("1e2"), J("100"), exact), std::nullopt);
  auto diff = CompareJson(J(R"({"a":1})"), J(R"({"a":2})"), exact);
  ASSERT_TRUE(diff);
  EXPECT_EQ(*diff, "$.a: expected 1, got 2");
  EXPECT_EQ(*CompareJson(J("1"), J("\"1\""), exact), "$: expected 1, got \"1\"");
  EXPECT_EQ(*CompareJson(J("null"), J("false"), exact), "$: expected null, got false");
  MatchRules form;
  form.number_form = true;
  EXPECT_EQ(*CompareJson(J("[1.0]"), J("[1]"), form), "$[0]: expected 1.0, got 1 (number form)");
  EXPECT_EQ(CompareJson(J("[1.5, 2]"), J("[1.5, 2]"), form), std::nullopt);
}

TEST(CompareJson, ReportsTheFirstDifferenceWithItsPath) {
  MatchRules exact;
  struct Row {
    const char* expected;
    const char* actual;
    const char* diff;
  } rows[] = {
      {R"({"a":{"b":[1,{"c":"x"}]}})", R"({"a":{"b":[1,{"c":"y"}]}})",
       R"($.a.b[1].c: expected "x", got "y")"},
      {R"({"a":1,"b":2})", R"({"a":1})", "$.b: missing (expected 2)"},
      {R"({"a":1})", R"({"a":1,"z":true})", "$.z: unexpected member (value true)"},
      {R"([1,2,3])", R"([1,2])", "$: expected 3 elements, got 2"},
      {R"([1,2,3])", R"([1,5])",
       "$: expected 3 elements, got 2 (first difference $[1]: expected "
       "2, got 5)"},
      {R"({"a b":1})", R"({"a b":2})", R"($["a b"]: expected 1, got 2)"},
  };
  for (const auto& row : rows) {
    auto diff = CompareJson(J(row.expected), J(row.actual), exact);
    ASSERT_TRUE(diff) << row.expected;
    EXPECT_EQ(*diff, row.diff);
  }
}

TEST(CompareJson, ClipsLongStringsInsideTheirQuotes) {
  std::string long_text(200, 'x');
  auto diff = CompareJson(Json::String(long_text), Json::String("y"), MatchRules{});
  ASSERT_TRUE(diff);
  EXPECT_EQ(*diff, "$: expected \"" + std::string(117, 'x') + "...\", got \"y\"");
}

TEST(CompareJson, PlaceholdersOnlyWhenAllowed) {
  MatchRules exact;
  MatchRules loose = Placeholders();
  loose.bare_words.insert("generated-uuid");
  struct Row {
    const char* expected;
    const char* actual;
    bool loose_match;
    bool exact_match;
  } rows[] = {
      {R"("<uuid:1>")", R"({"any":"value"})", true, false},
      {R"("generated-uuid")", R"("3f1c-...")", true, false},
      {R"("date")", R"(12)", true, false},
      {R"("snf_role_arn")", R"("arn:aws:iam::1:role/x")", true, false},
      {R"("arn:<partition>:lambda:<region>:111111111111:function:f")",
       R"("arn:aws:lambda:us-east-1:111111111111:function:f")", true, false},
      {R"("arn:<partition>:lambda:<region>:111111111111:function:f")",
       R"("arn:aws:lambda:us-east-1:111111111111:function:g")", false, false},
      // Literal tokens in inputs match themselves either way.
      {R"("<lambda_function_name>")", R"("<lambda_function_name>")", true, true},
      // A key transformer replaced the value with its key name.
      {R"({"x-amzn-RequestId":"x-amzn-RequestId"})", R"({"x-amzn-RequestId":"abc"})", true, false},
      {R"({"k":"other"})", R"({"k":"abc"})", false, false},
      // A whole-value token still needs the member to exist.
      {R"({"a":"<uuid:1>"})", R"({})", false, false},
  };
  for (const auto& row : rows) {
    EXPECT_EQ(!CompareJson(J(row.expected), J(row.actual), loose), row.loose_match)
        << row.expected << " vs " << row.actual;
    EXPECT_EQ(!CompareJson(J(row.expected), J(row.actual), exact), row.exact_match)
        << row.expected << " vs " << row.actual;
  }
}

TEST(CompareJson, LambdaErrorObjectsCompareTypeAndMessageOnly) {
  MatchRules loose = Placeholders();
  Json recorded = Json::String(
      R"({"errorMessage": "Some exception was raised.", "errorType": "Exception", "requestId": )"
      R"("<uuid:1>", "stackTrace": ["  File \"/var/task/handler.py\", line 2"]})");
  EXPECT_EQ(
      CompareJson(
          recorded,
          Json::String(R"({"errorType":"Exception","errorMessage":"Some exception was raised."})"),
          loose),
      std::nullopt);
  auto diff =
      CompareJson(recorded, Json::String(R"({"errorType":"Exception","errorMessage":"other"})"),
                  loose, "cause");
  ASSERT_TRUE(diff);
  EXPECT_EQ(*diff, R"(cause.errorMessage: expected "Some exception was raised.", got "other")");
  EXPECT_TRUE(CompareJson(recorded, Json::String("plain text"), loose));
  // A regex transformer left the recorded text invalid JSON: the fields are still read.
  Json broken = Json::String(
      R"({"errorMessage":"m","errorType":"E","requestId":<request-id>","stackTrace":[]})");
  EXPECT_EQ(CompareJson(broken, Json::String(R"({"errorType":"E","errorMessage":"m"})"), loose),
            std::nullopt);
  EXPECT_TRUE(CompareJson(broken, Json::String(R"({"errorType":"F","errorMessage":"m"})"), loose));
}

TEST(CompareCause, JsonCausesCompareTypeAndMessage) {
  MatchRules loose = Placeholders();
  Json expected = J(R"({"errorMessage":"boom","errorType":"Exception","requestId":"<uuid:1>",
                        "stackTrace":["..."]})");
  EXPECT_EQ(
      CompareCause(expected, true, R"({"errorType":"Exception","errorMessage":"boom"})", loose),
      std::nullopt);
  auto diff = CompareCause(expected, true, R"({"errorType":"Error","errorMessage":"boom"})", loose);
  ASSERT_TRUE(diff);
  EXPECT_EQ(*diff, R"(cause.errorType: expected "Exception", got "Error")");
  diff = CompareCause(expected, true, "not json", loose);
  ASSERT_TRUE(diff);
  EXPECT_EQ(*diff, R"(cause: expected a JSON error object, got "not json")");
  EXPECT_EQ(CompareCause(Json::String("x"), false, "x", MatchRules{}), std::nullopt);
  EXPECT_TRUE(CompareCause(Json::String("x"), false, "y", MatchRules{}));
}

TEST(Normalizer, AppliesRegexTransformersThenDates) {
  auto n = Normalizer::Create(J(R"([
      {"kind":"regex","pattern":"2024\\-01\\-01T12:00:00Z","replacement":"<timestamp>"},
      {"kind":"jsonpath","path":"$..FunctionResult","replacement":"RandomNumberGenerated"},
      {"kind":"parallel_events_sorted"}])"));
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(
      n->Apply(J(R"({"start_at":"2024-01-01T12:00:00Z","t":"2024-01-02T00:00:00.5Z"})")).Dump(),
      R"({"start_at":"<timestamp>","t":"date"})");
  ASSERT_EQ(n->bare_words().size(), 1u);
  EXPECT_EQ(n->bare_words()[0], "RandomNumberGenerated");
  EXPECT_EQ(n->ApplyToString("started 2024-05-05T01:02:03.000Z"), "started date");
  // Regexes see the value's JSON text, escapes included (as the snapshot tool's dump).
  auto escaped = Normalizer::Create(J(R"([{"kind":"regex",
      "pattern":"\\\\\"requestId\\\\\":\\\\\"([a-f0-9\\-]+)\\\\\"",
      "replacement":"\\\"requestId\\\":<request-id>\\\""}])"));
  ASSERT_TRUE(escaped.ok()) << escaped.error().message;
  EXPECT_EQ(escaped->ApplyToString(R"({"requestId":"ab-12","x":1})"),
            R"({"requestId":<request-id>","x":1})");
  EXPECT_FALSE(Normalizer::Create(J(R"([{"kind":"regex","pattern":"(","replacement":"x"}])")).ok());
}

TEST(Normalizer, LeavesUnchangedDocumentsShared) {
  Normalizer n;
  Json doc = J(R"({"a":[1,"x"],"b":{"c":"2024-01-01T12:00:00.000Z"}})");
  Json out = n.Apply(doc);
  EXPECT_TRUE(out.find("a")->SameNode(*doc.find("a")));
  EXPECT_EQ(out.find("b")->find("c")->as_string(), "date");
}

TEST(CompareHistoryTypes, ReportsFirstDifference) {
  std::vector<std::string> aws = {"ExecutionStarted", "PassStateEntered", "PassStateExited",
                                  "ExecutionSucceeded"};
  EXPECT_EQ(CompareHistoryTypes(aws, aws), std::nullopt);
  auto shorter = aws;
  shorter.pop_back();
  EXPECT_EQ(*CompareHistoryTypes(aws, shorter),
            "history[3]: expected ExecutionSucceeded, got end of history (4 events on AWS, 3 in "
            "wharf)");
  EXPECT_EQ(
      *CompareHistoryTypes(shorter, aws),
      "history[3]: unexpected ExecutionSucceeded after the end (3 events on AWS, 4 in wharf)");
  auto other = aws;
  other[2] = "ExecutionFailed";
  EXPECT_EQ(*CompareHistoryTypes(aws, other),
            "history[2]: expected PassStateExited, got ExecutionFailed (4 events on AWS, 4 in "
            "wharf)");
}

TEST(CompareStatesMultiset, IgnoresOrderWithinAName) {
  MatchRules exact;
  Json expected = J(R"([
    {"name":"P","type":"Parallel","enteredInput":{},"exitedOutput":[1,2]},
    {"name":"A","type":"Pass","enteredInput":1,"exitedOutput":1},
    {"name":"A","type":"Pass","enteredInput":2,"exitedOutput":2,
     "assignedVariables":{"x":"2","o":{"k":"v"}}}])");
  Json reordered = J(R"([
    {"name":"A","type":"Pass","enteredInput":2,"exitedOutput":2,
     "assignedVariables":{"o":"{\"k\":\"v\"}","x":"2"}},
    {"name":"A","type":"Pass","enteredInput":1,"exitedOutput":1,"assignedVariables":{}},
    {"name":"P","type":"Parallel","enteredInput":{},"exitedOutput":[1,2]}])");
  EXPECT_EQ(CompareStatesMultiset(expected, reordered, exact), std::nullopt);

  Json missing = J(R"([
    {"name":"P","type":"Parallel","enteredInput":{},"exitedOutput":[1,2]},
    {"name":"A","type":"Pass","enteredInput":1,"exitedOutput":1}])");
  EXPECT_EQ(*CompareStatesMultiset(expected, missing, exact),
            "states: 'A' entered 2 times on AWS, 1 in wharf");

  Json extra = J(R"([
    {"name":"P","type":"Parallel","enteredInput":{},"exitedOutput":[1,2]},
    {"name":"A","type":"Pass","enteredInput":1,"exitedOutput":1},
    {"name":"A","type":"Pass","enteredInput":2,"exitedOutput":2,
     "assignedVariables":{"x":"2","o":{"k":"v"}}},
    {"name":"B","type":"Pass","enteredInput":3,"exitedOutput":3}])");
  EXPECT_EQ(*CompareStatesMultiset(expected, extra, exact),
            "states: 'B' entered 1 times in wharf, 0 on AWS");

  Json not_exited = J(R"([
    {"name":"P","type":"Parallel","enteredInput":{}},
    {"name":"A","type":"Pass","enteredInput":1,"exitedOutput":1},
    {"name":"A","type":"Pass","enteredInput":2,"exitedOutput":2,
     "assignedVariables":{"x":"2","o":{"k":"v"}}}])");
  EXPECT_EQ(*CompareStatesMultiset(expected, not_exited, exact),
            R"(states["P"#0].exitedOutput: the state never exited in wharf)");

  Json wrong_var = J(R"([
    {"name":"P","type":"Parallel","enteredInput":{},"exitedOutput":[1,2]},
    {"name":"A","type":"Pass","enteredInput":1,"exitedOutput":1},
    {"name":"A","type":"Pass","enteredInput":2,"exitedOutput":2,
     "assignedVariables":{"x":"3","o":{"k":"v"}}}])");
  EXPECT_EQ(*CompareStatesMultiset(expected, wrong_var, exact),
            R"(states["A"#1].assignedVariables.x: expected 2, got 3)");
}

}  // namespace
}  // namespace wharf::conformance
