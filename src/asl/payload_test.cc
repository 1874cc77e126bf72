#include "asl/payload.h"

#include <gtest/gtest.h>

namespace wharf::asl {
namespace {

Json J(std::string_view text) {
  auto r = Json::Parse(text);
  EXPECT_TRUE(r.ok()) << text;
  return r.ok() ? *r : Json();
}

PayloadTemplate T(std::string_view text) {
  auto r = PayloadTemplate::Compile(J(text), "state 'S', field 'Parameters'");
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : PayloadTemplate();
}

struct Fixture {
  Json input = J(R"({"a":1,"list":[{"v":1},{"v":2}],"obj":{"k":"v"}})");
  Json context = J(R"({"Execution":{"Id":"arn:exec","Input":{"int-literal":0}}})");
  VarScope vars;
  Env env() const { return Env{input, context, &vars, nullptr}; }
};

TEST(PayloadTemplateTest, EvaluatesPathsAndKeepsConstants) {
  Fixture f;
  f.vars.vars["greeting"] = Json::String("hi");
  auto t = T(R"({
    "const": "x", "num": 2, "nested": {"deep": [1, {"z": true}]},
    "a.$": "$.a", "obj.$": "$.obj", "vs.$": "$.list[*].v", "id.$": "$$.Execution.Id",
    "var.$": "$greeting", "whole.$": "$",
    "inner": {"k.$": "$.obj.k", "c": 1},
    "arr": [{"x.$": "$.a"}, "lit", [1, 2]]
  })");
  auto r = t.Evaluate(f.env());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->Dump(),
            J(R"({"const":"x","num":2,"nested":{"deep":[1,{"z":true}]},"a":1,"obj":{"k":"v"},
                 "vs":[1,2],"id":"arn:exec","var":"hi",
                 "whole":{"a":1,"list":[{"v":1},{"v":2}],"obj":{"k":"v"}},
                 "inner":{"k":"v","c":1},"arr":[{"x":1},"lit",[1,2]]})")
                .Dump());
  // Constant subtrees are the template's own nodes; path results are the input's nodes.
  EXPECT_TRUE(r->find("nested")->SameNode(*t.source().find("nested")));
  EXPECT_TRUE(r->find("arr")->at(2)->SameNode(*t.source().find("arr")->at(2)));
  EXPECT_TRUE(r->find("obj")->SameNode(*f.input.find("obj")));
  EXPECT_TRUE(r->find("whole")->SameNode(f.input));
}

TEST(PayloadTemplateTest, ConstantTemplateIsTheSourceItself) {
  Fixture f;
  auto t = T(R"({"a":{"b":[1,2,3]},"c":"$.not_a_path_without_suffix"})");
  auto r = t.Evaluate(f.env());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->SameNode(t.source()));
  // Scalars and arrays are templates too.
  auto s = T(R"("text")").Evaluate(f.env());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->as_string(), "text");
}

TEST(PayloadTemplateTest, IntrinsicMember) {
  Fixture f;
  auto t = T(R"j({"u.$": "States.JsonToString($.obj)"})j");
  auto r = t.Evaluate(f.env());
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->find("u"));
  EXPECT_TRUE(r->find("u")->is_string());
}

// The recorded AWS cases scenarios__test_invalid_jsonpath_INVALID_JSONPATH_IN_STRING_EXPR_*.
TEST(PayloadTemplateTest, MissingPathUsesAwsCause) {
  Fixture f;
  f.input = J(R"({"int-literal":0})");
  for (auto [tmpl, path] : {std::pair{R"({"value.$": "$.no_such_jsonpath"})", "$.no_such_jsonpath"},
                            std::pair{R"({"value.$": "$$.Execution.Input.no_such_jsonpath"})",
                                      "$$.Execution.Input.no_such_jsonpath"}}) {
    auto r = T(tmpl).Evaluate(f.env());
    ASSERT_FALSE(r.ok()) << tmpl;
    EXPECT_EQ(r.error().code, "States.Runtime");
    EXPECT_EQ(r.error().message, std::string("The JSONPath '") + path +
                                     "' specified for the field 'value.$' could not be found in "
                                     "the input '{\"int-literal\":0}'");
  }
  // Nested members name their own key.
  auto nested = T(R"({"outer":{"deep.$":"$.nope"}})").Evaluate(f.env());
  ASSERT_FALSE(nested.ok());
  EXPECT_NE(nested.error().message.find("for the field 'deep.$'"), std::string::npos);
}

TEST(PayloadTemplateTest, IndefinitePathNeverFails) {
  // base__test_json_path_array_wildcard_or_slice_with_no_input_*.
  Fixture f;
  f.input = J("{}");
  auto r = T(R"({"item.$": "$.item.items[1:]"})").Evaluate(f.env());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Dump(), R"({"item":[]})");
}

TEST(PayloadTemplateTest, CompileErrorsNameTheMember) {
  struct Case {
    const char* tmpl;
    const char* needle;
  } cases[] = {
      {R"({"a.$": "not a path"})", "member 'a.$'"},
      {R"({"x": {"b.$": 5}})", "member 'x/b.$' must be a string"},
      {R"({"x": [{"c.$": "$.a b"}]})", "member 'x/0/c.$' is not a valid JSONPath"},
      {R"({"x": "1", "x.$": "$.a"})", "collide"},
  };
  for (const Case& c : cases) {
    auto r = PayloadTemplate::Compile(J(c.tmpl), "state 'S', field 'Parameters'");
    ASSERT_FALSE(r.ok()) << c.tmpl;
    EXPECT_EQ(r.error().code, "InvalidDefinition");
    EXPECT_EQ(r.error().message.rfind("state 'S', field 'Parameters': ", 0), 0u)
        << r.error().message;
    EXPECT_NE(r.error().message.find(c.needle), std::string::npos) << r.error().message;
  }
}

TEST(ExpressionTest, ParsesPathsAndIntrinsics) {
  auto p = Expression::Parse("$.a.b");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->is_path());
  ASSERT_NE(p->path(), nullptr);
  EXPECT_EQ(p->path()->text(), "$.a.b");
  EXPECT_EQ(p->text(), "$.a.b");

  auto i = Expression::Parse("States.Array($.a)");
  ASSERT_TRUE(i.ok()) << i.error().message;
  EXPECT_FALSE(i->is_path());
  EXPECT_EQ(i->path(), nullptr);

  auto bad = Expression::Parse("hello");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "InvalidExpression");
  auto bad_path = Expression::Parse("$.a[");
  ASSERT_FALSE(bad_path.ok());
  EXPECT_EQ(bad_path.error().code, "InvalidPath");
}

TEST(ExpressionTest, FieldNamedInCause) {
  // scenarios__test_invalid_jsonpath_INVALID_JSONPATH_IN_ERRORPATH.
  Fixture f;
  f.input = J(R"({"Error":"error-value"})");
  auto e = Expression::Parse("$.ErrorX");
  ASSERT_TRUE(e.ok());
  auto r = e->Evaluate(f.env(), "ErrorPath");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "The JSONPath '$.ErrorX' specified for the field 'ErrorPath' could not be found in "
            "the input '{\"Error\":\"error-value\"}'");
  auto ok = Expression::Parse("$.Error")->Evaluate(f.env(), "ErrorPath");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->as_string(), "error-value");
}

}  // namespace
}  // namespace wharf::asl
