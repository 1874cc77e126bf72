#include "asl/intrinsics.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "asl/jsonpath.h"

namespace wharf::asl {
namespace {

class FakeEntropy : public Entropy {
 public:
  std::string NewUuid() override { return "0b9fa4d1-2c1e-4f3a-9a53-8f1d3c6e2a10"; }
  uint64_t NextRandom() override { return next_random; }
  uint64_t next_random = 0;
};

Json ParseJson(std::string_view text) {
  auto j = Json::Parse(text);
  EXPECT_TRUE(j.ok()) << text;
  return j.ok() ? *j : Json();
}

const char* kInput = R"({
  "s": "HelloWorld", "empty": "", "n": 7, "f": 1.5, "t": true, "nul": null,
  "arr": [1, 2, 3, 4, 5], "dup": [1, 2, 2, 3, 1, {"a": 1, "b": 2}, {"b": 2, "a": 1}, [1], [1]],
  "obj": {"Arg1": 1, "Arg2": [], "Arg3": "x"}, "o2": {"Arg2": "y", "z": null},
  "tmpl": "Hello, my name is {}.", "json": "{\"foo\": \"bar\"}", "b64": "RGF0YSB0byBlbmNvZGU=",
  "big": 2147483648, "floats": [1.0, 0.5, 1e21, 0.0001, 123456789.0]
})";
const char* kContext = R"({"Execution": {"Id": "arn:aws:states:us-east-1:1:execution:sm:ex-1",
  "Name": "ex-1"}, "StateMachine": {"Id": "arn:aws:states:us-east-1:1:stateMachine:sm",
  "Name": "sm-name-part"}})";

class IntrinsicTest : public ::testing::Test {
 protected:
  Result<Json> Run(std::string_view text) {
    auto parsed = Intrinsic::Parse(text);
    if (!parsed.ok()) return parsed.error();
    Env env{input_, context_, &vars_, &entropy_};
    return parsed->Evaluate(env);
  }

  Json input_ = ParseJson(kInput);
  Json context_ = ParseJson(kContext);
  VarScope vars_{nullptr, {{"name", Json::String("Arnav")}, {"list", ParseJson("[3, 4]")}}};
  FakeEntropy entropy_;
};

// Same value and same number forms (an integer stays an integer, a float a float).
bool SameForm(const Json& a, const Json& b) {
  if (a.is_number() || b.is_number()) return a.is_int() == b.is_int() && a == b;
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!SameForm(*a.at(i), *b.at(i))) return false;
    }
    return true;
  }
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (const auto& [key, value] : a.as_object()) {
      const Json* other = b.find(key);
      if (!other || !SameForm(value, *other)) return false;
    }
    return true;
  }
  return a == b;
}

struct OkCase {
  const char* call;
  const char* expected;  // JSON
};

TEST_F(IntrinsicTest, EvaluatesEveryFunction) {
  const OkCase cases[] = {
      // States.Format: strings bare, numbers as Java prints them, containers as Java's toString.
      {"States.Format('Hello, my name is {}.', $name)", R"("Hello, my name is Arnav.")"},
      {"States.Format($.tmpl, $name)", R"("Hello, my name is Arnav.")"},
      {"States.Format('{} {} {} {} {}', $.n, $.f, $.t, $.nul, $.empty)", R"("7 1.5 true null ")"},
      {"States.Format('{}', $.obj)", R"("{Arg1=1, Arg2=[], Arg3=x}")"},
      {"States.Format('{}', $.arr)", R"("[1, 2, 3, 4, 5]")"},
      {"States.Format('{}|{}|{}|{}|{}', $.floats[0], $.floats[1], $.floats[2], $.floats[3], "
       "$.floats[4])",
       R"("1.0|0.5|1.0E21|1.0E-4|1.23456789E8")"},
      {"States.Format('no placeholders')", R"("no placeholders")"},
      {"States.Format('\\{} is not a placeholder, {} is', 1)",
       R"("{} is not a placeholder, 1 is")"},
      {"States.Format('a\\'b\\\\c\\{\\}')", R"("a'b\\c{}")"},
      {"States.Format('{}', 'it\\'s')", R"("it's")"},
      {"States.Format('{}{}', -3, 2.50)", R"("-32.5")"},
      {"States.Format('{}', States.Array(1, 'a', null))", R"("[1, a, null]")"},
      {"  States.Format( '{}' ,  $.s )  ", R"("HelloWorld")"},
      // States.StringToJson / States.JsonToString.
      {"States.StringToJson($.json)", R"({"foo": "bar"})"},
      {"States.StringToJson('{\"a\": [1, 2.5]}')", R"({"a": [1, 2.5]})"},
      {"States.StringToJson($.empty)", "null"},
      {"States.StringToJson(' ')", "null"},
      {"States.StringToJson('-0')", "0"},
      {"States.StringToJson('\"x\"')", R"("x")"},
      {"States.JsonToString($.obj)", R"("{\"Arg1\":1,\"Arg2\":[],\"Arg3\":\"x\"}")"},
      {"States.JsonToString($.s)", R"("\"HelloWorld\"")"},
      {"States.JsonToString($.f)", R"("1.5")"},
      {"States.JsonToString($.nul)", R"("null")"},
      {"States.JsonToString(States.StringToJson($.json))", R"("{\"foo\":\"bar\"}")"},
      // Arrays.
      {"States.Array()", "[]"},
      {"States.Array('Foo', 2020, $.obj, null, true, 1.25)",
       R"(["Foo", 2020, {"Arg1": 1, "Arg2": [], "Arg3": "x"}, null, true, 1.25])"},
      {"States.ArrayPartition($.arr, 2)", "[[1, 2], [3, 4], [5]]"},
      {"States.ArrayPartition($.arr, 5)", "[[1, 2, 3, 4, 5]]"},
      {"States.ArrayPartition($.arr, 9)", "[[1, 2, 3, 4, 5]]"},
      {"States.ArrayPartition(States.Array(), 3)", "[]"},
      {"States.ArrayPartition($.arr, 2.0)", "[[1, 2], [3, 4], [5]]"},
      {"States.ArrayContains($.arr, 3)", "true"},
      {"States.ArrayContains($.arr, 3.0)", "true"},
      {"States.ArrayContains($.arr, '3')", "false"},
      {"States.ArrayContains($.dup, $.o2)", "false"},
      {"States.ArrayContains($.dup, States.StringToJson('{\"b\": 2, \"a\": 1}'))", "true"},
      {"States.ArrayContains(States.Array(States.Array()), States.Array())", "true"},
      {"States.ArrayRange(1, 9, 2)", "[1, 3, 5, 7, 9]"},
      {"States.ArrayRange(0, 10, 3)", "[0, 3, 6, 9]"},
      {"States.ArrayRange(1, 9, 9)", "[1]"},
      {"States.ArrayRange(5, 1, -2)", "[5, 3, 1]"},
      {"States.ArrayRange(5, 1, 2)", "[]"},
      {"States.ArrayRange(-2, 2, 1)", "[-2, -1, 0, 1, 2]"},
      {"States.ArrayLength(States.ArrayRange(1, 1000, 1))", "1000"},
      {"States.ArrayGetItem($.arr, 0)", "1"},
      {"States.ArrayGetItem($.arr, 4)", "5"},
      {"States.ArrayGetItem($list, $.arr[0])", "4"},
      {"States.ArrayLength($.arr)", "5"},
      {"States.ArrayLength(States.Array())", "0"},
      {"States.ArrayUnique($.dup)", R"([1, 2, 3, {"a": 1, "b": 2}, [1]])"},
      {"States.ArrayUnique($.arr)", "[1, 2, 3, 4, 5]"},
      // Encodings and hashes.
      {"States.Base64Encode('Data to encode')", R"("RGF0YSB0byBlbmNvZGU=")"},
      {"States.Base64Encode('')", R"("")"},
      {"States.Base64Encode('a')", R"("YQ==")"},
      {"States.Base64Encode('ab')", R"("YWI=")"},
      {"States.Base64Encode('é✓')", R"("w6ninJM=")"},
      {"States.Base64Decode($.b64)", R"("Data to encode")"},
      {"States.Base64Decode('YQ')", R"("a")"},
      {"States.Base64Decode('w6ninJM=')", R"("é✓")"},
      {"States.Base64Decode('/w==')", R"("\ufffd")"},
      {"States.Base64Decode(States.Base64Encode($.s))", R"("HelloWorld")"},
      {"States.Hash('input data', 'MD5')", R"("812f45842bc6d66ee14572ce20db8e86")"},
      {"States.Hash('input data', 'SHA-1')", R"("aaff4a450a104cd177d28d18d74485e8cae074b7")"},
      {"States.Hash('input data', 'SHA-256')",
       R"("b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3")"},
      {"States.Hash('input data', 'SHA-384')",
       R"("d28a7d5cf25a74f11a50a18452b75e04bb3d70c9dd0510d6123aa008c756511b87525bdc835ebb27e1fb9e9374a15562")"},
      {"States.Hash('input data', 'SHA-512')",
       R"("6ce4adb348546d4f449c4d25aad9a7c9cb711d9e91982d3f0b29ca2f3f47d4ce2deba23bf2954f0f1d593fc50283731a533d30d425402d4f91316d871303aac4")"},
      // JSON merge (shallow: the second object's members win, nested objects are replaced).
      {"States.JsonMerge($.obj, $.o2, false)",
       R"({"Arg1": 1, "Arg2": "y", "Arg3": "x", "z": null})"},
      {"States.JsonMerge(States.StringToJson('{\"a\": {\"a1\": 1}, \"d\": 3}'), "
       "States.StringToJson('{\"a\": {\"a3\": 1}, \"c\": 3}'), false)",
       R"({"a": {"a3": 1}, "d": 3, "c": 3})"},
      // Math: operands are rounded half up, as recorded on AWS.
      {"States.MathAdd(1, 2)", "3"},
      {"States.MathAdd($.n, -10)", "-3"},
      {"States.MathAdd(1.49, 1.5)", "3"},
      {"States.MathAdd(1.5, 1.51)", "4"},
      {"States.MathAdd(-1.5, 0)", "-1"},
      {"States.MathAdd(-2.5, 0)", "-2"},
      {"States.MathAdd(-0.5, 0.5)", "1"},
      {"States.MathAdd(-1.51, 0)", "-2"},
      {"States.MathAdd(2147483647, 2147483647)", "4294967294"},
      {"States.MathAdd(States.ArrayLength($.arr), -1)", "4"},
      // Strings.
      {"States.StringSplit('1,2,3,4,5', ',')", R"(["1", "2", "3", "4", "5"])"},
      {"States.StringSplit(', , ,', ',')", R"([" ", " "])"},
      {"States.StringSplit(',,,,', ',')", "[]"},
      {"States.StringSplit('This.is+a,test=string', '.+,=')",
       R"(["This", "is", "a", "test", "string"])"},
      {"States.StringSplit('Hello\nWorld', '\n')", R"(["Hello", "World"])"},
      {"States.StringSplit('a✓b✓c', '✓')", R"(["a", "b", "c"])"},
      {"States.StringSplit('abc', '')", R"(["abc"])"},
      {"States.StringSplit('', ',')", "[]"},
      {"States.UUID()", R"("0b9fa4d1-2c1e-4f3a-9a53-8f1d3c6e2a10")"},
      // Context object, nesting.
      {"States.Format('{} of {}', $$.Execution.Name, $$.StateMachine)",
       R"("ex-1 of {Id=arn:aws:states:us-east-1:1:stateMachine:sm, Name=sm-name-part}")"},
      {"States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), "
       "States.MathAdd(States.ArrayLength(States.StringSplit($$.StateMachine.Name, '-')), -1))",
       R"("part")"},
      {"States.Format('{}.{}', States.ArrayGetItem(States.StringSplit('a/b.c/d', '/'), 1), "
       "States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit('a/b.c/d', "
       "'/'), 1), '.'), 0))",
       R"("b.c.b")"},
  };
  for (const OkCase& c : cases) {
    SCOPED_TRACE(c.call);
    auto got = Run(c.call);
    ASSERT_TRUE(got.ok()) << got.error().code << ": " << got.error().message;
    Json want = ParseJson(c.expected);
    EXPECT_TRUE(SameForm(*got, want)) << "got " << got->Dump() << ", want " << want.Dump();
  }
}

struct ErrorCase {
  const char* call;
  const char* code;
  const char* message_part;
};

TEST_F(IntrinsicTest, ReportsParseErrors) {
  const ErrorCase cases[] = {
      {"States.Foo(1)", "InvalidIntrinsic", "unknown function 'States.Foo'"},
      {"$.a", "InvalidIntrinsic", "expected an intrinsic function"},
      {"States.Format", "InvalidIntrinsic", "States.Format: expected '('"},
      {"States.Format('x'", "InvalidIntrinsic", "States.Format: missing ')'"},
      {"States.Format('x' 'y')", "InvalidIntrinsic", "expected ',' or ')'"},
      {"States.Format('x)", "InvalidIntrinsic", "unterminated string literal"},
      {"States.Format('x') trailing", "InvalidIntrinsic", "unexpected text after the call"},
      {"States.Format()", "InvalidIntrinsic", "takes at least 1 argument but 0 are given"},
      {"States.Format('{} {}', 1)", "InvalidIntrinsic", "2 placeholders but 1 values follow"},
      {"States.Format('{}', 1, 2)", "InvalidIntrinsic", "1 placeholders but 2 values follow"},
      {"States.Format(1)", "InvalidIntrinsic", "argument 1 must be a string"},
      {"States.Format(States.Array(), 1)", "InvalidIntrinsic", "States.Array returns an array"},
      {"States.UUID(1)", "InvalidIntrinsic", "States.UUID: takes 0 arguments but 1 is given"},
      {"States.MathAdd(1)", "InvalidIntrinsic", "takes 2 arguments but 1 is given"},
      {"States.MathAdd(1,'-1')", "InvalidIntrinsic", "argument 2 must be a number"},
      {"States.MathAdd(1, 2, 3)", "InvalidIntrinsic", "takes 2 arguments but 3 are given"},
      {"States.MathRandom(1)", "InvalidIntrinsic", "takes 2 or 3 arguments but 1 is given"},
      {"States.MathAdd(1, tru)", "InvalidIntrinsic", "expected a string in single quotes"},
      {"States.MathAdd(1, 2x)", "InvalidIntrinsic", "invalid number"},
      {"States.MathAdd(1, -)", "InvalidIntrinsic", "invalid number"},
      {"States.ArrayLength('abc')", "InvalidIntrinsic", "argument 1 must be an array"},
      {"States.ArrayLength(null)", "InvalidIntrinsic", "argument 1 must be an array"},
      {"States.ArrayPartition($.arr, 0)", "InvalidIntrinsic", "must be a positive integer"},
      {"States.ArrayPartition($.arr, 1.5)", "InvalidIntrinsic", "argument 2 must be an integer"},
      {"States.ArrayRange(1, 9, 0)", "InvalidIntrinsic", "the step (argument 3) must not be 0"},
      {"States.Hash('x', 'SHA-2')", "InvalidIntrinsic", "hashing algorithm must be one of"},
      {"States.Hash('x', 'sha-256')", "InvalidIntrinsic", "hashing algorithm must be one of"},
      {"States.JsonMerge($.obj, $.o2, true)", "InvalidIntrinsic", "deep merging is not supported"},
      {"States.JsonMerge($.obj, $.o2, 'false')", "InvalidIntrinsic", "must be a boolean"},
      {"States.StringSplit(States.Array(), ',')", "InvalidIntrinsic", "must be a string"},
      {"States.MathAdd(States.Format('1'), 2)", "InvalidIntrinsic",
       "States.Format returns a string"},
      {"States.Format('{}', $.a[)", "InvalidIntrinsic", "invalid path '$.a['"},
      {"States.Format('{}', $..)", "InvalidIntrinsic", "invalid path"},
      {"States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array("
       "States.Array(States.Array(States.Array(States.Array())))))))))))",
       "InvalidIntrinsic", "nested at most 10 deep"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.call);
    auto got = Intrinsic::Parse(c.call);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().code, c.code);
    EXPECT_NE(got.error().message.find(c.message_part), std::string::npos) << got.error().message;
  }
  // Ten levels are allowed.
  EXPECT_TRUE(Intrinsic::Parse("States.Array(States.Array(States.Array(States.Array(States.Array("
                               "States.Array(States.Array(States.Array(States.Array(States.Array("
                               "))))))))))")
                  .ok());
}

TEST_F(IntrinsicTest, ReportsRuntimeFailures) {
  const ErrorCase cases[] = {
      {"States.Format($.n)", "States.IntrinsicFailure", "argument 1 must be a string, but it is 7"},
      {"States.Format($.tmpl)", "States.IntrinsicFailure", "1 placeholders but 0 values follow"},
      {"States.Format('bad \\n escape')", "States.IntrinsicFailure",
       "Invalid escape sequence '\\n'"},
      {"States.StringToJson($.n)", "States.IntrinsicFailure", "argument 1 must be a string"},
      {"States.StringToJson('{not json')", "States.IntrinsicFailure", "not valid JSON"},
      {"States.StringToJson('1 2')", "States.IntrinsicFailure", "not valid JSON"},
      {"States.ArrayPartition($.s, 2)", "States.IntrinsicFailure", "argument 1 must be an array"},
      {"States.ArrayPartition($.arr, $.f)", "States.IntrinsicFailure",
       "argument 2 must be an integer, but it is 1.5"},
      {"States.ArrayContains($.obj, 1)", "States.IntrinsicFailure", "must be an array"},
      {"States.ArrayRange(1, 1001, 1)", "States.IntrinsicFailure",
       "the range would have 1001 items; at most 1000 are allowed"},
      {"States.ArrayRange(0, $.f, 1)", "States.IntrinsicFailure", "argument 2 must be an integer"},
      {"States.ArrayGetItem($.arr, 5)", "States.IntrinsicFailure",
       "the index 5 is out of bounds for an array of 5 items"},
      {"States.ArrayGetItem($.arr, -1)", "States.IntrinsicFailure", "index -1 is out of bounds"},
      {"States.ArrayLength($.obj)", "States.IntrinsicFailure", "must be an array"},
      {"States.ArrayUnique($.nul)", "States.IntrinsicFailure", "must be an array, but it is null"},
      {"States.Base64Encode($.n)", "States.IntrinsicFailure", "must be a string"},
      {"States.Base64Decode('abc*')", "States.IntrinsicFailure", "not valid Base64"},
      {"States.Base64Decode('a')", "States.IntrinsicFailure", "not valid Base64"},
      {"States.Base64Decode('YQ=')", "States.IntrinsicFailure", "not valid Base64"},
      {"States.Hash($.arr, 'MD5')", "States.IntrinsicFailure", "must be a string"},
      {"States.Hash($.s, $.s)", "States.IntrinsicFailure", "hashing algorithm must be one of"},
      {"States.JsonMerge($.obj, $.arr, false)", "States.IntrinsicFailure",
       "argument 2 must be a JSON object"},
      {"States.JsonMerge($.obj, $.o2, $.t)", "States.IntrinsicFailure",
       "deep merging is not supported"},
      {"States.MathAdd($.s, 1)", "States.IntrinsicFailure", "argument 1 must be a number"},
      {"States.MathAdd($.big, 1)", "States.IntrinsicFailure",
       "argument 1 must be in the range -2147483648 to 2147483647, but it is 2147483648"},
      {"States.MathRandom(5, 5)", "States.IntrinsicFailure",
       "the end number (5) must be greater than the start number (5)"},
      {"States.MathRandom($.s, 5)", "States.IntrinsicFailure", "argument 1 must be a number"},
      {"States.StringSplit($.arr, ',')", "States.IntrinsicFailure", "must be a string"},
      {"States.Array($.missing)", "States.Runtime", "Invalid path '$.missing' : "},
      {"States.Format('{}', $.obj.nope)", "States.Runtime", "Invalid path '$.obj.nope' : "},
      {"States.Array($nope)", "States.Runtime", "$nope"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.call);
    auto got = Run(c.call);
    ASSERT_FALSE(got.ok()) << got->Dump();
    EXPECT_EQ(got.error().code, c.code) << got.error().message;
    EXPECT_NE(got.error().message.find(c.message_part), std::string::npos) << got.error().message;
  }
  // The cause names the function.
  auto got = Run("States.ArrayGetItem($.arr, 7)");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().message,
            "Invalid arguments in States.ArrayGetItem: the index 7 is out of bounds for an array "
            "of 5 items");
}

TEST_F(IntrinsicTest, Base64AndHashInputsAreLimitedTo10000Characters) {
  input_ = Json::Object({{"ok", Json::String(std::string(10000, 'x'))},
                         {"long", Json::String(std::string(10001, 'x'))}});
  EXPECT_TRUE(Run("States.Base64Encode($.ok)").ok());
  EXPECT_TRUE(Run("States.Hash($.ok, 'MD5')").ok());
  for (const char* call : {"States.Base64Encode($.long)", "States.Base64Decode($.long)",
                           "States.Hash($.long, 'MD5')"}) {
    auto got = Run(call);
    ASSERT_FALSE(got.ok()) << call;
    EXPECT_NE(got.error().message.find("at most 10000 characters, but it has 10001"),
              std::string::npos)
        << got.error().message;
  }
}

TEST_F(IntrinsicTest, MathRandomUsesTheEntropySourceOrTheSeed) {
  // Unseeded: the 64 random bits scale onto [start, end).
  entropy_.next_random = 0;
  EXPECT_EQ(Run("States.MathRandom(10, 20)")->as_int(), 10);
  entropy_.next_random = ~uint64_t{0};
  EXPECT_EQ(Run("States.MathRandom(10, 20)")->as_int(), 19);
  entropy_.next_random = uint64_t{1} << 63;
  EXPECT_EQ(Run("States.MathRandom(-99999, -9999)")->as_int(), -99999 + 45000);
  EXPECT_EQ(Run("States.MathRandom(12.5, 44.51)")->as_int(), 13 + 16);  // rounds to [13, 45)
  // Seeded: java.util.Random(seed).nextInt(end - start) + start, the same every time.
  // new Random(42).nextInt() is -1170105035, so next(31) is 1562431130.
  EXPECT_EQ(Run("States.MathRandom(0, 1000, 42)")->as_int(), 1562431130 % 1000);
  EXPECT_EQ(Run("States.MathRandom(0, 1073741824, 42)")->as_int(), 1562431130 / 2);
  EXPECT_EQ(Run("States.MathRandom(100, 1100, 42)")->as_int(), 100 + 1562431130 % 1000);
  Json first = *Run("States.MathRandom(0, 999, 3)");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(*Run("States.MathRandom(0, 999, 3)"), first);
  EXPECT_NE(*Run("States.MathRandom(0, 1000000, 3)"), *Run("States.MathRandom(0, 1000000, 4)"));
  // Without an entropy source the unseeded forms fail instead of inventing numbers.
  auto parsed = Intrinsic::Parse("States.MathRandom(1, 2)");
  ASSERT_TRUE(parsed.ok());
  Env env{input_, context_, nullptr, nullptr};
  EXPECT_EQ(parsed->Evaluate(env).error().code, "States.IntrinsicFailure");
  EXPECT_EQ(Intrinsic::Parse("States.UUID()")->Evaluate(env).error().code,
            "States.IntrinsicFailure");
  EXPECT_TRUE(Intrinsic::Parse("States.MathRandom(1, 9, 7)")->Evaluate(env).ok());
}

TEST_F(IntrinsicTest, ParsesOnceAndEvaluatesManyTimes) {
  auto parsed = Intrinsic::Parse("States.Format('{}-{}', $.k, States.MathAdd($.k, 1))");
  ASSERT_TRUE(parsed.ok());
  for (int k = 0; k < 3; ++k) {
    Json in = Json::Object({{"k", Json::Int(k)}});
    Env env{in, context_, nullptr, nullptr};
    auto got = parsed->Evaluate(env);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->as_string(), std::to_string(k) + "-" + std::to_string(k + 1));
  }
}

TEST(IntrinsicLooks, RecognisesCalls) {
  EXPECT_TRUE(Intrinsic::Looks("States.Format('x')"));
  EXPECT_TRUE(Intrinsic::Looks("  States.UUID ()"));
  EXPECT_TRUE(Intrinsic::Looks("States.Nope(1)"));  // looks like one; Parse says it is unknown
  EXPECT_FALSE(Intrinsic::Looks("$.States.Format"));
  EXPECT_FALSE(Intrinsic::Looks("States.Format"));
  EXPECT_FALSE(Intrinsic::Looks("States.(1)"));
  EXPECT_FALSE(Intrinsic::Looks("states.format('x')"));
  EXPECT_FALSE(Intrinsic::Looks(""));
}

// ---- the AWS-recorded cases that are a single Pass state with intrinsics in Parameters ----

std::filesystem::path RecordedDir() {
#ifdef WHARF_SOURCE_DIR
  return std::filesystem::path(WHARF_SOURCE_DIR) / ".." / "shared" / "conformance" / "aws-recorded";
#else
  return "../shared/conformance/aws-recorded";
#endif
}

Json ReadJson(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseJson(ss.str());
}

TEST(IntrinsicRecorded, MatchesAwsOnSinglePassStates) {
  std::filesystem::path dir = RecordedDir();
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "no conformance data at " << dir;
  FakeEntropy entropy;
  int compared = 0, evaluated = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("intrinsic_functions__", 0) != 0) continue;
    Json def = ReadJson(entry.path() / "definition.json");
    const Json* states = def.find("States");
    if (!states || states->size() != 1) continue;
    const Json& state = states->as_object().members()[0].second;
    const Json* params = state.find("Parameters");
    const Json* type = state.find("Type");
    // Only Type, Parameters and End: the output is the Parameters as they evaluate.
    if (!params || !params->is_object() || !type || type->as_string() != "Pass" ||
        state.size() != 3 || !state.find("End")) {
      continue;
    }
    SCOPED_TRACE(name);
    Json input = ReadJson(entry.path() / "input.json");
    Json expected = ReadJson(entry.path() / "expected.json");
    Json context = Json::Object(
        {{"Execution", Json::Object({{"Input", input}, {"Name", Json::String("exec-name")}})},
         {"StateMachine", Json::Object({{"Id", Json::String("arn:aws:states:r:1:stateMachine:sm")},
                                        {"Name", Json::String("sm-name")}})}});
    Env env{input, context, nullptr, &entropy};
    std::vector<JsonMember> out;
    bool all_intrinsic = true;
    for (const auto& [key, value] : params->as_object()) {
      if (key.size() < 2 || key.substr(key.size() - 2) != ".$" || !value.is_string() ||
          !Intrinsic::Looks(value.as_string())) {
        all_intrinsic = false;
        break;
      }
      auto parsed = Intrinsic::Parse(value.as_string());
      ASSERT_TRUE(parsed.ok()) << parsed.error().message;
      auto result = parsed->Evaluate(env);
      ASSERT_TRUE(result.ok()) << result.error().code << ": " << result.error().message;
      out.emplace_back(key.substr(0, key.size() - 2), *result);
    }
    if (!all_intrinsic) continue;
    ++evaluated;
    ASSERT_EQ(expected.find("status")->as_string(), "SUCCEEDED");
    const Json* placeholders = expected.find("placeholders");
    if (placeholders && placeholders->as_bool()) continue;  // random values, ARNs, UUIDs
    Json got = Json::Object(std::move(out));
    EXPECT_TRUE(SameForm(got, *expected.find("output")))
        << "got " << got.Dump() << ", want " << expected.find("output")->Dump();
    ++compared;
  }
  // 164 intrinsic cases were recorded; those that are JSONata or have other fields are skipped.
  EXPECT_GE(evaluated, 120);
  EXPECT_GE(compared, 110);
  std::cout << "recorded intrinsic cases evaluated: " << evaluated << ", compared: " << compared
            << "\n";
}

}  // namespace
}  // namespace wharf::asl
