#include "events/target_input.h"

#include <gtest/gtest.h>

namespace wharf::events {
namespace {

// The Transfer Family upload event of DESIGN.md, trimmed.
const char* kUpload = R"({
  "version": "0", "id": "2f7a3b1c-0000-4000-8000-000000000001",
  "detail-type": "SFTP Server File Upload Completed", "source": "aws.transfer",
  "account": "111111111111", "time": "2022-11-13T09:30:00Z", "region": "us-east-1",
  "resources": ["arn:aws:transfer:us-east-1:111111111111:server/s-1"],
  "detail": {"file-path": "/wharf-landing/incoming/products_20221113.csv", "file-size": 4213,
             "username": "acme", "status-code": "COMPLETED",
             "tags": [{"k": "a"}, {"k": "b"}], "note": "say \"hi\""}
})";

Json Event() { return *Json::Parse(kUpload); }

DeliveryContext Context() {
  return {"arn:aws:events:us-east-1:111111111111:rule/csv-uploads", "csv-uploads",
          "2022-11-13T09:30:01Z"};
}

TargetInputSpec Transformer(std::vector<std::pair<std::string, std::string>> paths,
                            std::string input_template) {
  TargetInputSpec spec;
  spec.transformer = TargetInputSpec::Transformer{std::move(paths), std::move(input_template)};
  return spec;
}

std::string Render(const TargetInputSpec& spec) {
  auto input = TargetInput::Compile(spec);
  EXPECT_TRUE(input.ok()) << input.error().message;
  if (!input.ok()) return "";
  return input->Render(Event(), Context());
}

std::string ErrorOf(const TargetInputSpec& spec) {
  auto input = TargetInput::Compile(spec);
  if (input.ok()) return "(no error)";
  EXPECT_EQ(input.error().code, "ValidationException");
  return input.error().message;
}

TEST(TargetInputTest, WholeEventConstantAndPath) {
  EXPECT_EQ(Render({}), Event().Dump());

  TargetInputSpec constant;
  constant.input = R"({ "fixed" : [1, 2] })";
  EXPECT_EQ(Render(constant), R"({"fixed":[1,2]})");

  TargetInputSpec path;
  path.input_path = "$.detail.username";
  EXPECT_EQ(Render(path), R"("acme")");
  path.input_path = "$.detail.tags[1]";
  EXPECT_EQ(Render(path), R"({"k":"b"})");
  path.input_path = "$.detail.missing";
  EXPECT_EQ(Render(path), "null");
}

// The issue's end-to-end case: the path and size of an upload, as JSON values.
TEST(TargetInputTest, ValuesOutsideStringsAreJson) {
  auto spec = Transformer({{"path", "$.detail.file-path"}, {"size", "$.detail.file-size"}},
                          R"({"file": <path>, "bytes": <size>, "tags": <tags>})");
  // <tags> is not a variable: it stays as text, which is not JSON, so the template is refused.
  EXPECT_NE(ErrorOf(spec).find("must be a JSON object"), std::string::npos) << ErrorOf(spec);

  spec = Transformer({{"path", "$.detail.file-path"},
                      {"size", "$.detail.file-size"},
                      {"first", "$.detail.tags[0]"}},
                     R"({"file": <path>, "bytes": <size>, "first": <first>})");
  EXPECT_EQ(Render(spec),
            R"({"file": "/wharf-landing/incoming/products_20221113.csv", "bytes": 4213, )"
            R"("first": {"k":"a"}})");
}

TEST(TargetInputTest, ValuesInsideStringsAreEscapedText) {
  auto spec =
      Transformer({{"path", "$.detail.file-path"},
                   {"size", "$.detail.file-size"},
                   {"note", "$.detail.note"},
                   {"first", "$.detail.tags[0]"}},
                  R"({"msg": "<path> has <size> bytes", "note": "<note>", "first": "<first>"})");
  std::string out = Render(spec);
  EXPECT_EQ(out, R"({"msg": "/wharf-landing/incoming/products_20221113.csv has 4213 bytes", )"
                 R"("note": "say \"hi\"", "first": "{\"k\":\"a\"}"})");
  auto parsed = Json::Parse(out);
  ASSERT_TRUE(parsed.ok()) << out;
  EXPECT_EQ(parsed->find("note")->as_string(), "say \"hi\"");
  EXPECT_EQ(parsed->find("first")->as_string(), R"({"k":"a"})");
}

TEST(TargetInputTest, AQuoteInAValueOutsideAStringStaysJson) {
  auto spec = Transformer({{"note", "$.detail.note"}}, R"({"note": <note>})");
  EXPECT_EQ(Render(spec), R"({"note": "say \"hi\""})");
}

TEST(TargetInputTest, APathThatFindsNothing) {
  auto spec = Transformer({{"gone", "$.detail.gone"}}, R"({"a": <gone>, "b": "[<gone>]"})");
  EXPECT_EQ(Render(spec), R"({"a": null, "b": "[]"})");
}

TEST(TargetInputTest, WildcardsGiveArrays) {
  auto spec = Transformer({{"ks", "$.detail.tags[*].k"}}, R"({"ks": <ks>})");
  EXPECT_EQ(Render(spec), R"({"ks": ["a","b"]})");
}

TEST(TargetInputTest, ReservedVariables) {
  auto spec = Transformer({}, R"({"rule": <aws.events.rule-name>, "arn": "<aws.events.rule-arn>",)"
                              R"( "at": <aws.events.event.ingestion-time>})");
  EXPECT_EQ(Render(spec),
            R"({"rule": "csv-uploads", "arn": "arn:aws:events:us-east-1:111111111111:rule/)"
            R"(csv-uploads", "at": "2022-11-13T09:30:01Z"})");

  // aws.events.event leaves `detail` out; aws.events.event.json is the whole event.
  auto whole = Transformer({}, R"({"e": <aws.events.event>, "j": <aws.events.event.json>})");
  auto out = Json::Parse(Render(whole));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->find("e")->find("detail"), nullptr);
  EXPECT_EQ(out->find("e")->find("source")->as_string(), "aws.transfer");
  EXPECT_EQ(out->find("j")->Dump(), Event().Dump());
}

TEST(TargetInputTest, FreeTextTemplates) {
  auto spec = Transformer({{"user", "$.detail.username"}, {"size", "$.detail.file-size"}},
                          "<user> sent <size> bytes");
  EXPECT_EQ(Render(spec), "acme sent 4213 bytes");
  // The user guide's form: the whole text quoted, so the target gets a JSON string.
  spec = Transformer({{"user", "$.detail.username"}, {"note", "$.detail.note"}},
                     R"("<user> is in state <note>")");
  EXPECT_EQ(Render(spec), R"("acme is in state say \"hi\"")");
  EXPECT_EQ(Json::Parse(Render(spec))->as_string(), "acme is in state say \"hi\"");
}

TEST(TargetInputTest, AngleBracketsThatAreNotPlaceholdersStay) {
  auto spec = Transformer({{"size", "$.detail.file-size"}},
                          R"({"cmp": "1 < 2 and <size> > 0 and <unknown>", "n": <size>})");
  EXPECT_EQ(Render(spec), R"({"cmp": "1 < 2 and 4213 > 0 and <unknown>", "n": 4213})");
}

TEST(TargetInputTest, BadSettingsNameTheField) {
  TargetInputSpec two;
  two.input = "{}";
  two.input_path = "$.detail";
  EXPECT_EQ(ErrorOf(two), "a target takes at most one of Input, InputPath and InputTransformer");

  TargetInputSpec bad_json;
  bad_json.input = "{nope}";
  EXPECT_EQ(ErrorOf(bad_json).rfind("Input: not valid JSON", 0), 0u) << ErrorOf(bad_json);

  TargetInputSpec bad_path;
  bad_path.input_path = "detail.x";
  EXPECT_EQ(ErrorOf(bad_path),
            "InputPath: 'detail.x' is not a JSON path into the event; it starts with $, as in "
            "$.detail.file-path");
  bad_path.input_path = "$$.Execution";
  EXPECT_NE(ErrorOf(bad_path).find("InputPath: '$$.Execution' is not a JSON path"),
            std::string::npos);

  EXPECT_EQ(ErrorOf(Transformer({{"x", "$.detail["}}, "<x>"))
                .rfind("InputTransformer.InputPathsMap.x: ", 0),
            0u);
  EXPECT_EQ(ErrorOf(Transformer({{"aws.mine", "$.detail"}}, "<aws.mine>")),
            "InputTransformer.InputPathsMap.aws.mine: names that start with 'aws' are reserved");
  EXPECT_EQ(ErrorOf(Transformer({{"a b", "$.detail"}}, "x")),
            "InputTransformer.InputPathsMap.a b: a variable's name has 1 to 256 letters, digits, "
            "'_', '-' or '.'");
  EXPECT_EQ(ErrorOf(Transformer({{"x", "$.a"}, {"x", "$.b"}}, "<x>")),
            "InputTransformer.InputPathsMap.x: defined twice");
  EXPECT_EQ(ErrorOf(Transformer({}, "")),
            "InputTransformer.InputTemplate: is required and may not be empty");
  EXPECT_EQ(ErrorOf(Transformer({{"k", "$.detail.username"}}, R"({<k>: 1})")),
            "InputTransformer.InputTemplate: a placeholder cannot be used as an object key");
  EXPECT_EQ(ErrorOf(Transformer({{"k", "$.detail.username"}}, R"({"<k>" : 1})")),
            "InputTransformer.InputTemplate: a placeholder cannot be used as an object key");
  EXPECT_NE(ErrorOf(Transformer({{"k", "$.detail.username"}}, R"({"a": <k>,})"))
                .find("InputTransformer.InputTemplate: a template that starts with '{' must be a "
                      "JSON object"),
            std::string::npos);

  std::vector<std::pair<std::string, std::string>> many;
  for (int i = 0; i <= 100; ++i) many.emplace_back("v" + std::to_string(i), "$.detail");
  EXPECT_EQ(ErrorOf(Transformer(many, "x")),
            "InputTransformer.InputPathsMap: at most 100 variables, got 101");
  EXPECT_EQ(ErrorOf(Transformer({}, std::string(8193, 'x'))),
            "InputTransformer.InputTemplate: at most 8192 characters");
}

}  // namespace
}  // namespace wharf::events
