#include "core/json.h"

#include <gtest/gtest.h>

namespace wharf {
namespace {

TEST(Json, ParsesAndPrintsCompactly) {
  auto r = Json::Parse(R"( {"a": [1, 2.5, "x\n", true, null], "b": {"c": 1.0}} )");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->Dump(), R"({"a":[1,2.5,"x\n",true,null],"b":{"c":1.0}})");
}

TEST(Json, KeepsInsertionOrderAndLastDuplicateWins) {
  auto r = Json::Parse(R"({"z":1,"a":2,"z":3})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Dump(), R"({"z":3,"a":2})");
}

TEST(Json, ErrorNamesLineAndColumn) {
  auto r = Json::Parse("{\n  \"a\": ,\n}");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("line 2"), std::string::npos) << r.error().message;
}

TEST(Json, SetSharesUnchangedMembers) {
  auto doc = *Json::Parse(R"({"big":[1,2,3],"small":1})");
  Json changed = doc.Set("small", Json::Int(2));
  EXPECT_TRUE(changed.find("big")->SameNode(*doc.find("big")));
  EXPECT_EQ(changed.Dump(), R"({"big":[1,2,3],"small":2})");
  EXPECT_EQ(doc.Dump(), R"({"big":[1,2,3],"small":1})");
  EXPECT_EQ(doc.Set("new", Json()).Dump(), R"({"big":[1,2,3],"small":1,"new":null})");
}

TEST(Json, LargeObjectsUseTheIndex) {
  std::vector<JsonMember> m;
  for (int i = 0; i < 100; ++i) m.emplace_back("k" + std::to_string(i), Json::Int(i));
  Json o = Json::Object(std::move(m));
  ASSERT_NE(o.find("k77"), nullptr);
  EXPECT_EQ(o.find("k77")->as_int(), 77);
  EXPECT_EQ(o.find("nope"), nullptr);
}

TEST(Json, EqualityIgnoresKeyOrderAndNumberForm) {
  EXPECT_EQ(*Json::Parse(R"({"a":1,"b":[2.0]})"), *Json::Parse(R"({"b":[2],"a":1.0})"));
  EXPECT_NE(*Json::Parse(R"({"a":1})"), *Json::Parse(R"({"a":"1"})"));
}

TEST(Json, EscapesControlCharactersButNotUnicode) {
  EXPECT_EQ(Json::String("é\x01\"").Dump(), "\"é\\u0001\\\"\"");
}

}  // namespace
}  // namespace wharf
