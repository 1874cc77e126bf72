#include "asl/jsonpath.h"

#include <gtest/gtest.h>

namespace wharf::asl {
namespace {

Json J(std::string_view text) {
  auto r = Json::Parse(text);
  EXPECT_TRUE(r.ok()) << text;
  return r.ok() ? *r : Json();
}

JsonPath P(std::string_view text) {
  auto r = JsonPath::Parse(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : JsonPath();
}

const char* kStore = R"({
  "store": {
    "book": [
      {"category": "reference", "author": "Nigel Rees", "title": "Sayings", "price": 8.95},
      {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword", "price": 12.99},
      {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick",
       "isbn": "0-553-21311-3", "price": 8.99},
      {"category": "fiction", "author": "J. R. R. Tolkien", "title": "The Lord",
       "isbn": "0-395-19395-8", "price": 22.99}
    ],
    "bicycle": {"color": "red", "price": 19.95}
  },
  "expensive": 10,
  "a b": 1,
  "x": "y"
})";

struct EvalCase {
  const char* path;
  const char* expected;  // JSON
};

class EvalTest : public ::testing::TestWithParam<EvalCase> {};

TEST_P(EvalTest, MatchesJayway) {
  const EvalCase& c = GetParam();
  Json doc = J(kStore);
  auto r = P(c.path).EvaluateOn(doc);
  ASSERT_TRUE(r.ok()) << c.path << ": " << r.error().message;
  EXPECT_EQ(r->Dump(), J(c.expected).Dump()) << c.path;
}

INSTANTIATE_TEST_SUITE_P(
    Paths, EvalTest,
    ::testing::Values(
        // Definite paths yield the node itself.
        EvalCase{"$.expensive", "10"}, EvalCase{"$['a b']", "1"}, EvalCase{"$[\"x\"]", "\"y\""},
        EvalCase{"$.store.bicycle.color", "\"red\""},
        EvalCase{"$.store.book[0].author", "\"Nigel Rees\""},
        EvalCase{"$.store.book[-1].title", "\"The Lord\""},
        EvalCase{"$['store']['book'][1]['price']", "12.99"},
        EvalCase{"$.store.[\"bicycle\"].price", "19.95"},
        EvalCase{"$.store.book[(@.length-2)].title", "\"Moby Dick\""},
        // A leaf member union is merged into one object (Jayway), missing members left out.
        EvalCase{"$.store.bicycle['color','price','none']", R"({"color":"red","price":19.95})"},
        EvalCase{"$.store.book.length()", "4"},
        // Indefinite paths yield arrays.
        EvalCase{"$.store.book[*].author",
                 R"(["Nigel Rees","Evelyn Waugh","Herman Melville","J. R. R. Tolkien"])"},
        EvalCase{"$.store.book.*.price", "[8.95,12.99,8.99,22.99]"},
        EvalCase{"$.store.bicycle.*", R"(["red",19.95])"},
        EvalCase{"$.store.book[0,2].title", R"(["Sayings","Moby Dick"])"},
        EvalCase{"$.store.book[-1,0].title", R"(["The Lord","Sayings"])"},
        EvalCase{"$.store.book[1:].price", "[12.99,8.99,22.99]"},
        EvalCase{"$.store.book[-2:].price", "[8.99,22.99]"},
        EvalCase{"$.store.book[:2].price", "[8.95,12.99]"},
        EvalCase{"$.store.book[:-1].price", "[8.95,12.99,8.99]"},
        EvalCase{"$.store.book[1:3].price", "[12.99,8.99]"},
        EvalCase{"$.store.book[1:99].price", "[12.99,8.99,22.99]"},
        EvalCase{"$.store.book[3:1].price", "[]"},
        // Jayway ignores a slice step.
        EvalCase{"$.store.book[0:4:2].price", "[8.95,12.99,8.99,22.99]"},
        // [from:to] with a negative start visits from..to-1, counting negatives from the end.
        EvalCase{"$.store.book[-1:2].price", "[22.99,8.95,12.99]"},
        EvalCase{"$.store.book[1:2]", R"([{"category":"fiction","author":"Evelyn Waugh",
                 "title":"Sword","price":12.99}])"},
        EvalCase{"$.store.book[?(@.price < 10)].title", R"(["Sayings","Moby Dick"])"},
        EvalCase{"$.store.book[?(@.price <= 8.99)].title", R"(["Sayings","Moby Dick"])"},
        EvalCase{"$.store.book[?(@.price > 20)].title", R"(["The Lord"])"},
        EvalCase{"$.store.book[?(@.price >= 22.99)].title", R"(["The Lord"])"},
        EvalCase{"$.store.book[?(@.isbn)].title", R"(["Moby Dick","The Lord"])"},
        EvalCase{"$.store.book[?(!@.isbn)].title", R"(["Sayings","Sword"])"},
        EvalCase{"$.store.book[?(@.category == 'reference')].title", R"(["Sayings"])"},
        EvalCase{"$.store.book[?(@.category != \"fiction\")].title", R"(["Sayings"])"},
        EvalCase{"$.store.book[?(@.category == 'fiction' && @.price < 10)].title",
                 R"(["Moby Dick"])"},
        EvalCase{"$.store.book[?(@.price < 9 || @.price > 20)].title",
                 R"(["Sayings","Moby Dick","The Lord"])"},
        EvalCase{"$.store.book[?((@.price < 9 || @.price > 20) && @.isbn)].title",
                 R"(["Moby Dick","The Lord"])"},
        EvalCase{"$.store.book[?(@.price < $.expensive)].price", "[8.95,8.99]"},
        EvalCase{"$.store.book[?(@.author =~ /.*Melville/)].title", R"(["Moby Dick"])"},
        EvalCase{"$.store.book[?(@.author =~ /.*MELVILLE/i)].title", R"(["Moby Dick"])"},
        // Missing members never match a comparison, but != holds (Jayway).
        EvalCase{"$.store.book[?(@.isbn == null)].title", "[]"},
        EvalCase{"$.store.book[?(@.isbn != '0-553-21311-3')].title",
                 R"(["Sayings","Sword","The Lord"])"},
        // Deep scan, in document order.
        EvalCase{"$..author",
                 R"(["Nigel Rees","Evelyn Waugh","Herman Melville","J. R. R. Tolkien"])"},
        EvalCase{"$.store..price", "[8.95,12.99,8.99,22.99,19.95]"},
        EvalCase{"$..book[2].title", R"(["Moby Dick"])"},
        EvalCase{"$..book[?(@.price > 20)].title", R"(["The Lord"])"},
        EvalCase{"$..[?(@.color)].price", "[19.95]"},
        EvalCase{"$.store.bicycle..*", R"(["red",19.95])"}, EvalCase{"$.nothing[*]", "[]"},
        EvalCase{"$.nothing..x", "[]"},
        // A filter on an object tests the object itself.
        EvalCase{"$.store.bicycle[?(@.color == 'red')].price", "[19.95]"},
        EvalCase{"$.store.book[*].length()", "[4,4,5,5]"}));

// The recorded AWS cases base__test_json_path_array_wildcard_or_slice_with_no_input*:
// an indefinite path on an input that lacks its members yields [] instead of failing.
TEST(JsonPathTest, IndefiniteOnMissingInputIsEmpty) {
  for (const char* path :
       {"$[*]", "$.item.items[*]", "$.item.items[1:]", "$.item.items[:1]", "$.item.items[1:5]",
        "$.item.items[1:5].itemValue", "$.items[*]", "$.items[*].itemValue", "$.items[1:]",
        "$.items[1:].itemValue", "$.items[:1]", "$.items[:1].itemValue"}) {
    auto r = P(path).EvaluateOn(J("{}"));
    ASSERT_TRUE(r.ok()) << path;
    EXPECT_EQ(r->Dump(), "[]") << path;
  }
}

TEST(JsonPathTest, RecordedFilterCase) {
  // base__test_state_pass_regex_json_path_base
  Json in = J(R"({"users":[{"year":1997,"status":0},{"year":1998,"status":1}]})");
  auto r = P("$.users[?(@.status == 0)]").EvaluateOn(in);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Dump(), R"([{"year":1997,"status":0}])");
}

TEST(JsonPathTest, RecordedEscapedBracketName) {
  // scenarios__test_escape_sequence_parsing_ESCAPE_SEQUENCES_JSONPATH: backslashes stay.
  Json in = J(R"({"Test\\\"\"Name\"": "Value\"\\"})");
  auto r = P(R"($['Test\""Name"'])").EvaluateOn(in);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->as_string(), "Value\"\\");
}

TEST(JsonPathTest, FilterValueCoercion) {
  Json in = J(R"([{"v":5},{"v":"5"},{"v":5.0},{"v":true},{"v":null},{"v":[1]},{"w":1}])");
  auto count = [&](const char* path) {
    auto r = P(path).EvaluateOn(in);
    EXPECT_TRUE(r.ok()) << path;
    return r.ok() ? r->size() : 0;
  };
  EXPECT_EQ(count("$[?(@.v == 5)]"), 3u);    // 5, "5" (converted), 5.0
  EXPECT_EQ(count("$[?(@.v == '5')]"), 3u);  // a number left operand parses the string
  EXPECT_EQ(count("$[?(@.v == true)]"), 1u);
  EXPECT_EQ(count("$[?(@.v == null)]"), 1u);
  EXPECT_EQ(count("$[?(@.v)]"), 6u);      // existence includes null values
  EXPECT_EQ(count("$[?(@.v < 6)]"), 2u);  // numbers only
  EXPECT_EQ(count("$[?(@.v > 'a')]"), 0u);
}

struct ErrorCase {
  const char* path;
  const char* input;
  const char* message;
};

class DefiniteErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(DefiniteErrorTest, UsesJaywayWording) {
  const ErrorCase& c = GetParam();
  JsonPath path = P(c.path);
  auto r = path.EvaluateOn(J(c.input));
  ASSERT_FALSE(r.ok()) << c.path << " gave " << r->Dump();
  EXPECT_EQ(r.error().code, "States.Runtime");
  EXPECT_EQ(r.error().message, c.message);
}

INSTANTIATE_TEST_SUITE_P(
    Errors, DefiniteErrorTest,
    ::testing::Values(
        // Recorded on AWS (scenarios__test_invalid_jsonpath_*,
        // scenarios__test_catch_states_runtime).
        ErrorCase{"$.NoSuchInputPath", R"({"int-literal":0})",
                  "No results for path: $['NoSuchInputPath']"},
        ErrorCase{"$.no.such.result.path", "{}", "Missing property in path $['no']"},
        ErrorCase{"$.a.b.c", R"({"a":{}})", "Missing property in path $['a']['b']"},
        ErrorCase{"$.a.b", R"({"a":{}})", "No results for path: $['a']['b']"},
        ErrorCase{"$.a[5]", R"({"a":[1]})", "No results for path: $['a'][5]"},
        ErrorCase{"$.a[5].b", R"({"a":[1]})", "No results for path: $['a'][5]['b']"},
        ErrorCase{"$.a[0]", R"({"a":null})", "The path $['a'] is null"},
        ErrorCase{"$.a[0]", R"({"a":{"b":1}})",
                  "Filter: [0] can only be applied to arrays. Current context is: {\"b\":1}"},
        ErrorCase{"$.a.b", R"({"a":"text"})",
                  "Expected to find an object with property ['b'] in path $['a'] but found "
                  "'java.lang.String'. This is not a json object according to the JsonProvider: "
                  "'com.jayway.jsonpath.spi.json.JacksonJsonProvider'."},
        ErrorCase{"$.a", "[1]",
                  "Expected to find an object with property ['a'] in path $ but found "
                  "'java.util.ArrayList'. This is not a json object according to the "
                  "JsonProvider: 'com.jayway.jsonpath.spi.json.JacksonJsonProvider'."}));

TEST(JsonPathTest, InvalidPathCauseAddsAwsPrefix) {
  JsonPath path = P("$.NoSuchInputPath");
  auto r = path.EvaluateOn(J(R"({"int-literal":0})"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(path.InvalidPathCause(r.error()),
            "Invalid path '$.NoSuchInputPath' : No results for path: $['NoSuchInputPath']");
}

struct ShapeCase {
  const char* path;
  JsonPath::Root root;
  const char* variable;
  bool reference;
  bool definite;
  const char* normalized;
};

class ShapeTest : public ::testing::TestWithParam<ShapeCase> {};

TEST_P(ShapeTest, Classifies) {
  const ShapeCase& c = GetParam();
  JsonPath p = P(c.path);
  EXPECT_EQ(p.text(), c.path);
  EXPECT_EQ(p.root(), c.root) << c.path;
  EXPECT_EQ(p.variable(), c.variable) << c.path;
  EXPECT_EQ(p.IsReferencePath(), c.reference) << c.path;
  EXPECT_EQ(p.IsDefinite(), c.definite) << c.path;
  EXPECT_EQ(p.Normalized(), c.normalized) << c.path;
}

using R = JsonPath::Root;
INSTANTIATE_TEST_SUITE_P(
    Shapes, ShapeTest,
    ::testing::Values(
        ShapeCase{"$", R::kInput, "", true, true, "$"},
        ShapeCase{"$$", R::kContext, "", true, true, "$"},
        ShapeCase{"$$.Execution.Id", R::kContext, "", true, true, "$['Execution']['Id']"},
        ShapeCase{"$var", R::kVariable, "var", true, true, "$"},
        ShapeCase{"$my_var2.a[0]", R::kVariable, "my_var2", true, true, "$['a'][0]"},
        ShapeCase{"$.a.b[0]", R::kInput, "", true, true, "$['a']['b'][0]"},
        ShapeCase{"$['a b'][\"c\"]", R::kInput, "", true, true, "$['a b']['c']"},
        ShapeCase{"$.delivery-partner", R::kInput, "", true, true, "$['delivery-partner']"},
        ShapeCase{"$.books[-2]", R::kInput, "", true, true, "$['books'][-2]"},
        ShapeCase{"$.[0]", R::kInput, "", true, true, "$[0]"},
        ShapeCase{" $.a ", R::kInput, "", true, true, "$['a']"},
        ShapeCase{"$['a','b']", R::kInput, "", false, true, "$['a','b']"},
        ShapeCase{"$['a','b'].c", R::kInput, "", false, false, "$['a','b']['c']"},
        ShapeCase{"$.a[0,1]", R::kInput, "", false, false, "$['a'][0,1]"},
        ShapeCase{"$.a[*]", R::kInput, "", false, false, "$['a'][*]"},
        ShapeCase{"$.*", R::kInput, "", false, false, "$[*]"},
        ShapeCase{"$.a[1:]", R::kInput, "", false, false, "$['a'][1:]"},
        ShapeCase{"$.a[:2]", R::kInput, "", false, false, "$['a'][:2]"},
        ShapeCase{"$..a", R::kInput, "", false, false, "$..['a']"},
        ShapeCase{"$.a[?(@.b)]", R::kInput, "", false, false, "$['a'][?]"},
        ShapeCase{"$.a.length()", R::kInput, "", false, true, "$['a'].length()"},
        ShapeCase{"$[(@.length-1)].bar", R::kInput, "", false, true, "$[(@.length-1)]['bar']"}));

TEST(JsonPathTest, RejectsInvalidPaths) {
  for (const char* text : {"",
                           ".guid",
                           "..guid",
                           "()",
                           "$...",
                           "$.",
                           "$..",
                           "$a b",
                           "$.a b",
                           "$[",
                           "$['a'",
                           "$['a']x",
                           "$[a]",
                           "$[1:2:3:4]",
                           "$[:]",
                           "$[?(@.a ==)]",
                           "$[?(@.a)",
                           "$.a.foo()",
                           "$.a.length().b",
                           "bug$.library.movies",
                           "$$$",
                           "$.a[?(@.b =~ 'x')]",
                           "$[?(@.a =~ /[/)]",
                           "@.a"}) {
    auto r = JsonPath::Parse(text);
    EXPECT_FALSE(r.ok()) << "accepted '" << text << "'";
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, "InvalidPath") << text;
    }
  }
}

TEST(JsonPathTest, ParseErrorNamesThePosition) {
  auto r = JsonPath::Parse("$.a[x]");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("at character 5"), std::string::npos) << r.error().message;
}

TEST(JsonPathTest, AcceptsValidatorFixturePaths) {
  // From the validation fixtures (current-value-predicate.json, path-array-context.json).
  for (const char* text : {"$.DescribeRecord.RecordOutputs[?(@.OutputKey == FooBar)].OutputValue",
                           "$[(@.length-1)].bar", "$.input-foo-bar", "$['Test\\\"\"Name\"']"}) {
    auto r = JsonPath::Parse(text);
    EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
  }
}

TEST(JsonPathTest, EvaluatePicksTheRoot) {
  Json input = J(R"({"a":1})");
  Json context = J(R"({"Execution":{"Id":"arn:x"}})");
  auto scope = std::make_shared<VarScope>();
  scope->vars["v"] = J(R"({"k":[10,20]})");
  VarScope inner;
  inner.outer = scope;
  Env env{input, context, &inner, nullptr};

  auto a = P("$.a").Evaluate(env);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->as_int(), 1);
  auto id = P("$$.Execution.Id").Evaluate(env);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->as_string(), "arn:x");
  auto v = P("$v.k[1]").Evaluate(env);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->as_int(), 20);
  auto whole = P("$v").Evaluate(env);
  ASSERT_TRUE(whole.ok());
  EXPECT_TRUE(whole->SameNode(scope->vars["v"]));
  auto missing = P("$nope").Evaluate(env);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "States.Runtime");
  EXPECT_NE(missing.error().message.find("$nope"), std::string::npos);
}

TEST(JsonPathTest, DefiniteResultSharesTheNode) {
  Json in = J(R"({"a":{"b":{"c":[1,2,3]}}})");
  auto r = P("$.a.b").EvaluateOn(in);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->SameNode(*in.find("a")->find("b")));
}

// ---- SetAtPath ----

TEST(SetAtPathTest, ReplacesAndSharesUntouchedSubtrees) {
  Json doc = J(R"({"keep":{"big":[1,2,3]},"a":{"b":1,"other":{"x":1}}})");
  auto r = SetAtPath(doc, P("$.a.b"), J(R"({"new":true})"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->Dump(), R"({"keep":{"big":[1,2,3]},"a":{"b":{"new":true},"other":{"x":1}}})");
  EXPECT_TRUE(r->find("keep")->SameNode(*doc.find("keep")));
  EXPECT_TRUE(r->find("a")->find("other")->SameNode(*doc.find("a")->find("other")));
  EXPECT_FALSE(r->find("a")->SameNode(*doc.find("a")));
  // The original is unchanged.
  EXPECT_EQ(doc.find("a")->find("b")->as_int(), 1);
}

TEST(SetAtPathTest, CreatesMissingMembers) {
  Json doc = J(R"({"x":1})");
  auto r = SetAtPath(doc, P("$.a.b.c"), Json::Int(7));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Dump(), R"({"x":1,"a":{"b":{"c":7}}})");
  auto root = SetAtPath(doc, P("$"), Json::Int(7));
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->Dump(), "7");
}

TEST(SetAtPathTest, IndexReplacesAnElement) {
  Json doc = J(R"({"list":[{"v":1},{"v":2},{"v":3}]})");
  auto r = SetAtPath(doc, P("$.list[1].v"), Json::String("two"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->Dump(), R"({"list":[{"v":1},{"v":"two"},{"v":3}]})");
  EXPECT_TRUE(r->find("list")->at(0)->SameNode(*doc.find("list")->at(0)));
  EXPECT_TRUE(r->find("list")->at(2)->SameNode(*doc.find("list")->at(2)));
  auto last = SetAtPath(doc, P("$.list[-1]"), Json::Null());
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->Dump(), R"({"list":[{"v":1},{"v":2},null]})");
}

TEST(SetAtPathTest, FailsWhereTheStepCannotApply) {
  struct Case {
    const char* doc;
    const char* path;
    const char* cause;
  } cases[] = {
      {R"({"a":"text"})", "$.a.b", R"(Unable to apply step "b" to input {"a":"text"})"},
      {R"("hello")", "$.x", R"(Unable to apply step "x" to input "hello")"},
      {R"({"a":[1]})", "$.a.b", R"(Unable to apply step "b" to input {"a":[1]})"},
      {R"({"a":[1]})", "$.a[3]", R"(Unable to apply step "3" to input {"a":[1]})"},
      {R"({"a":{}})", "$.a[0]", R"(Unable to apply step "0" to input {"a":{}})"},
      {R"({})", "$.a[0]", R"(Unable to apply step "0" to input {})"},
  };
  for (const Case& c : cases) {
    auto r = SetAtPath(J(c.doc), P(c.path), Json::Int(1));
    ASSERT_FALSE(r.ok()) << c.path << " on " << c.doc;
    EXPECT_EQ(r.error().code, "States.ResultPathMatchFailure");
    EXPECT_EQ(r.error().message, c.cause);
  }
}

}  // namespace
}  // namespace wharf::asl
