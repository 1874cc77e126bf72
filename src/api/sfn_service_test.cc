// SfnService over a real SqliteStore: the state machine actions, StartSyncExecution, the
// request checks and error shapes, and how engine-backed actions reach the engine.
#include "api/sfn_service.h"

#include <gtest/gtest.h>

#include "api/sfn_testing.h"

namespace wharf::api {
namespace {

using testing::At;
using testing::J;
using testing::SfnTest;
using MT = store::MachineType;

constexpr char kPass[] = R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}})";
constexpr char kHello[] =
    R"J({"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"greeting.$":"States.Format('hi {}', $.who)"},"End":true}}})J";
constexpr char kBoom[] =
    R"({"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","Cause":"C"}}})";
constexpr char kRole[] = "arn:aws:iam::111111111111:role/r";

// A definition as a JSON string member value.
std::string Def(const std::string& text) {
  std::string out;
  AppendJsonString(out, text);
  return out;
}

std::string CreateBody(const std::string& name, const std::string& definition,
                       const std::string& extra = "") {
  return R"({"name":)" + Def(name) + R"(,"definition":)" + Def(definition) + R"(,"roleArn":")" +
         kRole + "\"" + extra + "}";
}

class SfnServiceTest : public SfnTest {
 protected:
  void PutExamples() {
    Put("hello", kHello, MT::kExpress);
    Put("boom", kBoom, MT::kExpress);
    Put("standard", kPass, MT::kStandard);
  }
  std::string ArnBody(const std::string& name, const std::string& extra = "") {
    return R"({"stateMachineArn":")" + MachineArn(name) + "\"" + extra + "}";
  }
};

// ---- StartSyncExecution (EXPRESS machines, in memory) -----------------------------------------

TEST_F(SfnServiceTest, StartSyncExecutionRunsAndReturnsTheOutput) {
  PutExamples();
  Json r =
      Ok("StartSyncExecution", ArnBody("hello", R"(,"input":"{\"who\":\"you\"}","name":"n1")"));
  EXPECT_EQ(r.find("status")->as_string(), "SUCCEEDED");
  EXPECT_EQ(r.find("output")->as_string(), R"({"greeting":"hi you"})");
  EXPECT_EQ(r.find("name")->as_string(), "n1");
  EXPECT_EQ(r.find("stateMachineArn")->as_string(), MachineArn("hello"));
  EXPECT_EQ(r.find("executionArn")
                ->as_string()
                .rfind("arn:aws:states:us-east-1:111111111111:express:hello:n1:", 0),
            0u);
}

TEST_F(SfnServiceTest, StartSyncExecutionReportsFailures) {
  PutExamples();
  Json r = Ok("StartSyncExecution", ArnBody("boom"));
  EXPECT_EQ(r.find("status")->as_string(), "FAILED");
  EXPECT_EQ(r.find("error")->as_string(), "E");
  EXPECT_EQ(r.find("cause")->as_string(), "C");
  EXPECT_EQ(r.find("output"), nullptr);
}

TEST_F(SfnServiceTest, StartSyncExecutionRunsTheCurrentRevision) {
  PutExamples();
  EXPECT_EQ(Ok("StartSyncExecution", ArnBody("hello", R"(,"input":"{\"who\":\"a\"}")"))
                .find("output")
                ->as_string(),
            R"({"greeting":"hi a"})");
  Ok("UpdateStateMachine",
     ArnBody(
         "hello",
         R"(,"definition":)" +
             Def(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Result":"v2","End":true}}})")));
  EXPECT_EQ(Ok("StartSyncExecution", ArnBody("hello")).find("output")->as_string(), R"("v2")");
}

TEST_F(SfnServiceTest, StartSyncExecutionErrors) {
  PutExamples();
  Fails("StartSyncExecution", ArnBody("nope"), "StateMachineDoesNotExist");
  Fails("StartSyncExecution", ArnBody("standard"), "StateMachineTypeNotSupported");
  Fails("StartSyncExecution", ArnBody("hello", R"(,"input":"{nope")"), "InvalidExecutionInput");
  Fails("StartSyncExecution", ArnBody("hello", R"(,"name":"a b")"), "InvalidName");
  Fails("StartSyncExecution", R"({"stateMachineArn":"nope"})", "InvalidArn");
}

// ---- Errors common to every action -------------------------------------------------------------

TEST_F(SfnServiceTest, ErrorsHaveAwsNames) {
  PutExamples();
  Fails("DescribeStateMachine", R"({"stateMachineArn":"nope"})", "InvalidArn");
  std::string m = Fails("DescribeStateMachine",
                        R"({"stateMachineArn":")" + ExecArn("hello", "x") + "\"}", "InvalidArn");
  EXPECT_NE(m.find("Resource type not valid in this context: execution"), std::string::npos) << m;
  m = Fails("DescribeStateMachine", "{}", "ValidationException");
  EXPECT_EQ(m,
            "1 validation error detected: Value null at 'stateMachineArn' failed to satisfy "
            "constraint: Member must not be null");
  m = Fails("DescribeStateMachine", R"({"stateMachineArn":7})", "ValidationException");
  EXPECT_NE(m.find("'stateMachineArn'"), std::string::npos) << m;
  m = Fails("DescribeStateMachine", ArnBody("nope"), "StateMachineDoesNotExist");
  EXPECT_NE(m.find(MachineArn("nope")), std::string::npos) << m;
  Fails("FrobnicateStateMachine", "{}", "UnknownOperationException");
  auto not_object = svc_->Handle("ListStateMachines", Json::Array({}));
  ASSERT_FALSE(not_object.ok());
  EXPECT_EQ(not_object.error().code, "SerializationException");
}

// ---- CreateStateMachine ------------------------------------------------------------------------

TEST_F(SfnServiceTest, CreateThenDescribe) {
  clock_.AdvanceTo(At(10.5));
  Json created = Ok("CreateStateMachine", CreateBody("orders", kPass, R"(,"type":"EXPRESS")"));
  EXPECT_EQ(created.find("stateMachineArn")->as_string(), MachineArn("orders"));
  EXPECT_DOUBLE_EQ(created.find("creationDate")->as_double(), 1704067210.5);

  Json d = Ok("DescribeStateMachine", ArnBody("orders"));
  EXPECT_EQ(d.find("stateMachineArn")->as_string(), MachineArn("orders"));
  EXPECT_EQ(d.find("name")->as_string(), "orders");
  EXPECT_EQ(d.find("status")->as_string(), "ACTIVE");
  EXPECT_EQ(d.find("definition")->as_string(), kPass);
  EXPECT_EQ(d.find("roleArn")->as_string(), kRole);
  EXPECT_EQ(d.find("type")->as_string(), "EXPRESS");
  EXPECT_DOUBLE_EQ(d.find("creationDate")->as_double(), 1704067210.5);
  EXPECT_EQ(*d.find("loggingConfiguration"), J(R"({"level":"OFF","includeExecutionData":false})"));
  EXPECT_EQ(*d.find("tracingConfiguration"), J(R"({"enabled":false})"));
  EXPECT_FALSE(d.find("revisionId")->as_string().empty());
}

TEST_F(SfnServiceTest, CreateDefaultsToStandardAndKeepsConfiguration) {
  Ok("CreateStateMachine",
     CreateBody(
         "logged", kPass,
         R"(,"loggingConfiguration":{"level":"ERROR","includeExecutionData":true,)"
         R"("destinations":[{"cloudWatchLogsLogGroup":{"logGroupArn":"arn:aws:logs:us-east-1:111111111111:log-group:g:*"}}]},)"
         R"("tracingConfiguration":{"enabled":true},"tags":[{"key":"team","value":"a"}])"));
  Json d = Ok("DescribeStateMachine", ArnBody("logged"));
  EXPECT_EQ(d.find("type")->as_string(), "STANDARD");
  EXPECT_EQ(d.find("loggingConfiguration")->find("level")->as_string(), "ERROR");
  EXPECT_TRUE(d.find("loggingConfiguration")->find("includeExecutionData")->as_bool());
  EXPECT_EQ(d.find("loggingConfiguration")->find("destinations")->size(), 1u);
  EXPECT_TRUE(d.find("tracingConfiguration")->find("enabled")->as_bool());
  auto row = store_->GetStateMachine("logged");
  ASSERT_TRUE(row.ok());
  EXPECT_NE(row->config.find(R"("tags":[{"key":"team","value":"a"}])"), std::string::npos)
      << row->config;
}

TEST_F(SfnServiceTest, CreateIsIdempotentAndRefusesADifferentMachineOfTheSameName) {
  clock_.AdvanceTo(At(1));
  Json first = Ok("CreateStateMachine", CreateBody("m", kPass));
  clock_.AdvanceTo(At(2));
  // The same parameters (tags and role do not count): the existing machine, unchanged.
  Json again = Ok(
      "CreateStateMachine",
      R"({"name":"m","definition":)" + Def(kPass) +
          R"(,"roleArn":"arn:aws:iam::111111111111:role/other","tags":[{"key":"k","value":"v"}]})");
  EXPECT_EQ(again, first);
  std::string m = Fails("CreateStateMachine", CreateBody("m", kBoom), "StateMachineAlreadyExists");
  EXPECT_NE(m.find(MachineArn("m")), std::string::npos) << m;
  Fails("CreateStateMachine", CreateBody("m", kPass, R"(,"type":"EXPRESS")"),
        "StateMachineAlreadyExists");
}

TEST_F(SfnServiceTest, CreateChecksTheDefinition) {
  std::string m =
      Fails("CreateStateMachine",
            CreateBody("bad", R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}})"),
            "InvalidDefinition");
  EXPECT_EQ(m.rfind("Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: ", 0), 0u) << m;
  EXPECT_NE(m.find("'B'"), std::string::npos) << m;
  Fails("CreateStateMachine", CreateBody("bad", "{not json"), "InvalidDefinition");
  Fails("DescribeStateMachine", ArnBody("bad"), "StateMachineDoesNotExist");
}

TEST_F(SfnServiceTest, CreateChecksTheName) {
  for (std::string bad :
       {std::string("a b"), std::string("a/b"), std::string("x:y"), std::string("{x}"),
        std::string("a*"), std::string("tab\there"), std::string("ctl\x01"),
        std::string("c1\xC2\x85"), std::string("nbsp\xC2\xA0"), std::string(81, 'n'),
        std::string(""), std::string("bad\xFF")}) {
    std::string body = R"({"name":)" + Def(bad) + R"(,"definition":)" + Def(kPass) +
                       R"(,"roleArn":")" + kRole + "\"}";
    if (bad == "bad\xFF")
      body = std::string(R"({"name":"bad)") + "\xFF" + R"(","definition":"{}","roleArn":"arn:x"})";
    auto parsed = Json::Parse(body);
    if (!parsed.ok()) continue;  // not JSON at all: the HTTP layer's SerializationException
    auto r = svc_->Handle("CreateStateMachine", *parsed);
    ASSERT_FALSE(r.ok()) << "accepted the name '" << bad << "'";
    EXPECT_EQ(r.error().code, "InvalidName") << bad << ": " << r.error().message;
  }
  Ok("CreateStateMachine", CreateBody(std::string(80, 'n'), kPass));
  Ok("CreateStateMachine", CreateBody("Order-Flow_2.v1+(x)@!", kPass));
  Ok("CreateStateMachine", CreateBody("\xC3\xA9t\xC3\xA9", kPass));  // "été"
}

TEST_F(SfnServiceTest, CreateChecksItsMembers) {
  std::string m = Fails("CreateStateMachine", R"({"name":"m","roleArn":"arn:aws:iam::1:role/r"})",
                        "ValidationException");
  EXPECT_NE(m.find("Value null at 'definition'"), std::string::npos) << m;
  m = Fails("CreateStateMachine", R"({"name":"m","definition":"{}"})", "ValidationException");
  EXPECT_NE(m.find("'roleArn'"), std::string::npos) << m;
  m = Fails("CreateStateMachine", CreateBody("m", kPass, R"(,"type":"FAST")"),
            "ValidationException");
  EXPECT_NE(m.find("Value 'FAST' at 'type'"), std::string::npos) << m;
  EXPECT_NE(m.find("[STANDARD, EXPRESS]"), std::string::npos) << m;
  m = Fails("CreateStateMachine", R"({"name":5,"definition":"{}","roleArn":"arn:x"})",
            "ValidationException");
  EXPECT_NE(m.find("'name'"), std::string::npos) << m;
  Fails("CreateStateMachine", R"({"name":"m","definition":"{}","roleArn":"role"})", "InvalidArn");
  m = Fails("CreateStateMachine",
            CreateBody("m", kPass, R"(,"loggingConfiguration":{"level":"LOUD"})"),
            "ValidationException");
  EXPECT_NE(m.find("'loggingConfiguration.level'"), std::string::npos) << m;
  Fails("CreateStateMachine", CreateBody("m", kPass, R"(,"loggingConfiguration":{"level":"ALL"})"),
        "InvalidLoggingConfiguration");
  m = Fails("CreateStateMachine", CreateBody("m", kPass, R"(,"tracingConfiguration":true)"),
            "ValidationException");
  EXPECT_NE(m.find("'tracingConfiguration'"), std::string::npos) << m;
  m = Fails("CreateStateMachine", CreateBody("m", kPass, R"(,"tags":[{"value":"v"}])"),
            "ValidationException");
  EXPECT_NE(m.find("'key'"), std::string::npos) << m;
  Fails("DescribeStateMachine", ArnBody("m"), "StateMachineDoesNotExist");
}

// ---- UpdateStateMachine ------------------------------------------------------------------------

TEST_F(SfnServiceTest, UpdateWritesARevision) {
  clock_.AdvanceTo(At(1));
  Ok("CreateStateMachine", CreateBody("m", kPass));
  std::string rev1 = Ok("DescribeStateMachine", ArnBody("m")).find("revisionId")->as_string();
  clock_.AdvanceTo(At(5.25));
  Json u = Ok("UpdateStateMachine", ArnBody("m", R"(,"definition":)" + Def(kBoom)));
  EXPECT_DOUBLE_EQ(u.find("updateDate")->as_double(), 1704067205.25);
  std::string rev2 = u.find("revisionId")->as_string();
  EXPECT_NE(rev2, rev1);
  Json d = Ok("DescribeStateMachine", ArnBody("m"));
  EXPECT_EQ(d.find("definition")->as_string(), kBoom);
  EXPECT_EQ(d.find("revisionId")->as_string(), rev2);
  EXPECT_DOUBLE_EQ(d.find("creationDate")->as_double(), 1704067201.0);
  EXPECT_EQ(d.find("roleArn")->as_string(), kRole);

  // Role and logging alone; the definition stays.
  Json u2 =
      Ok("UpdateStateMachine",
         ArnBody("m", R"(,"roleArn":"arn:aws:iam::111111111111:role/two",)"
                      R"("loggingConfiguration":{"level":"OFF","includeExecutionData":true})"));
  EXPECT_NE(u2.find("revisionId")->as_string(), rev2);
  d = Ok("DescribeStateMachine", ArnBody("m"));
  EXPECT_EQ(d.find("definition")->as_string(), kBoom);
  EXPECT_EQ(d.find("roleArn")->as_string(), "arn:aws:iam::111111111111:role/two");
  EXPECT_TRUE(d.find("loggingConfiguration")->find("includeExecutionData")->as_bool());
}

TEST_F(SfnServiceTest, UpdateErrors) {
  Ok("CreateStateMachine", CreateBody("m", kPass));
  Fails("UpdateStateMachine", ArnBody("m"), "MissingRequiredParameter");
  std::string msg = Fails("UpdateStateMachine",
                          ArnBody("m", R"(,"definition":)" + Def(R"({"StartAt":"X","States":{}})")),
                          "InvalidDefinition");
  EXPECT_NE(msg.find("SCHEMA_VALIDATION_FAILED"), std::string::npos) << msg;
  Fails("UpdateStateMachine", ArnBody("gone", R"(,"definition":)" + Def(kPass)),
        "StateMachineDoesNotExist");
  Fails("UpdateStateMachine", R"({"stateMachineArn":"x","definition":"{}"})", "InvalidArn");
  Fails("UpdateStateMachine", ArnBody("m", R"(,"roleArn":"nope")"), "InvalidArn");
  EXPECT_EQ(Ok("DescribeStateMachine", ArnBody("m")).find("definition")->as_string(), kPass);
}

// ---- DeleteStateMachine ------------------------------------------------------------------------

TEST_F(SfnServiceTest, Delete) {
  Ok("CreateStateMachine", CreateBody("m", kPass));
  EXPECT_EQ(Ok("DeleteStateMachine", ArnBody("m")), Json::EmptyObject());
  Fails("DescribeStateMachine", ArnBody("m"), "StateMachineDoesNotExist");
  // Deleting what is gone succeeds, as in AWS (no "does not exist" error for this action).
  Ok("DeleteStateMachine", ArnBody("m"));
  Fails("DeleteStateMachine", R"({"stateMachineArn":"arn:aws:states:us-east-1:1:activity:a"})",
        "InvalidArn");
  Fails("DeleteStateMachine", "{}", "ValidationException");
  // The name is free again.
  Ok("CreateStateMachine", CreateBody("m", kBoom));
}

// ---- ListStateMachines -------------------------------------------------------------------------

TEST_F(SfnServiceTest, ListsWithPaginationAndDescribes) {
  PutExamples();
  Json page1 = Ok("ListStateMachines", R"({"maxResults":2})");
  ASSERT_EQ(page1.find("stateMachines")->size(), 2u);
  EXPECT_EQ(page1.find("stateMachines")->at(0)->find("name")->as_string(), "boom");
  EXPECT_EQ(page1.find("stateMachines")->at(0)->find("stateMachineArn")->as_string(),
            MachineArn("boom"));
  EXPECT_EQ(page1.find("stateMachines")->at(0)->find("type")->as_string(), "EXPRESS");
  EXPECT_NE(page1.find("stateMachines")->at(0)->find("creationDate"), nullptr);
  ASSERT_NE(page1.find("nextToken"), nullptr);
  Json page2 = *svc_->Handle(
      "ListStateMachines",
      Json::Object({{"nextToken", *page1.find("nextToken")}, {"maxResults", Json::Int(2)}}));
  ASSERT_EQ(page2.find("stateMachines")->size(), 1u);
  EXPECT_EQ(page2.find("stateMachines")->at(0)->find("type")->as_string(), "STANDARD");
  EXPECT_EQ(page2.find("nextToken"), nullptr);
  Json d = Ok("DescribeStateMachine", ArnBody("hello"));
  EXPECT_EQ(d.find("type")->as_string(), "EXPRESS");
  EXPECT_NE(d.find("definition")->as_string().find("States.Format"), std::string::npos);
}

TEST_F(SfnServiceTest, ListPaginationRoundTrip) {
  for (int i = 0; i < 7; ++i) Put("m" + std::to_string(i), kPass);
  std::vector<std::string> names;
  std::string token;
  int pages = 0;
  do {
    std::string body =
        token.empty() ? R"({"maxResults":3})" : R"({"maxResults":3,"nextToken":")" + token + "\"}";
    Json page = Ok("ListStateMachines", body);
    for (const Json& m : page.find("stateMachines")->as_array())
      names.push_back(m.find("name")->as_string());
    token = page.find("nextToken") ? page.find("nextToken")->as_string() : "";
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(names, (std::vector<std::string>{"m0", "m1", "m2", "m3", "m4", "m5", "m6"}));
  // maxResults 0 is AWS's "the default" (100).
  EXPECT_EQ(Ok("ListStateMachines", R"({"maxResults":0})").find("stateMachines")->size(), 7u);
}

TEST_F(SfnServiceTest, ListErrors) {
  std::string m = Fails("ListStateMachines", R"({"maxResults":1001})", "ValidationException");
  EXPECT_EQ(m,
            "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy "
            "constraint: Member must have value less than or equal to 1000");
  m = Fails("ListStateMachines", R"({"maxResults":-1})", "ValidationException");
  EXPECT_NE(m.find("greater than or equal to 0"), std::string::npos) << m;
  m = Fails("ListStateMachines", R"({"maxResults":"2"})", "ValidationException");
  EXPECT_NE(m.find("'maxResults'"), std::string::npos) << m;
  Fails("ListStateMachines", R"({"nextToken":"garbage"})", "InvalidToken");
  Fails("ListStateMachines", R"({"nextToken":""})", "ValidationException");
}

// ---- ValidateStateMachineDefinition ------------------------------------------------------------

TEST_F(SfnServiceTest, ValidateReportsDiagnostics) {
  Json ok = Ok("ValidateStateMachineDefinition", R"({"definition":)" + Def(kPass) + "}");
  EXPECT_EQ(ok.find("result")->as_string(), "OK");
  Json bad = Ok("ValidateStateMachineDefinition",
                R"({"definition":)" +
                    Def(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}})") + "}");
  EXPECT_EQ(bad.find("result")->as_string(), "FAIL");
  EXPECT_NE(bad.find("diagnostics")->at(0)->find("message")->as_string().find("'B'"),
            std::string::npos);
  Fails("ValidateStateMachineDefinition", "{}", "ValidationException");
}

// ---- Engine-backed actions ---------------------------------------------------------------------

TEST_F(SfnServiceTest, EngineActionsWithoutAnEngineAreUnavailable) {
  PutExamples();
  Fails("StartExecution", ArnBody("standard"), "ServiceUnavailable");
  Fails("StopExecution", R"({"executionArn":")" + ExecArn("standard", "e") + "\"}",
        "ServiceUnavailable");
  Fails("RedriveExecution", R"({"executionArn":")" + ExecArn("standard", "e") + "\"}",
        "ServiceUnavailable");
  Fails("SendTaskSuccess", R"({"taskToken":"t","output":"{}"})", "ServiceUnavailable");
  Fails("SendTaskFailure", R"({"taskToken":"t"})", "ServiceUnavailable");
  Fails("SendTaskHeartbeat", R"({"taskToken":"t"})", "ServiceUnavailable");
  // Malformed requests are refused before that.
  Fails("StartExecution", ArnBody("standard", R"(,"input":"{x")"), "InvalidExecutionInput");
  Fails("StartExecution", ArnBody("standard", R"(,"name":"has space")"), "InvalidName");
  Fails("StartExecution", R"({"stateMachineArn":"arn:nope"})", "InvalidArn");
  Fails("StopExecution", R"({"executionArn":")" + MachineArn("standard") + "\"}", "InvalidArn");
  Fails("SendTaskSuccess", R"({"taskToken":"t","output":"{x"})", "InvalidOutput");
  std::string m = Fails("SendTaskSuccess", R"({"output":"{}"})", "ValidationException");
  EXPECT_NE(m.find("'taskToken'"), std::string::npos) << m;
  m = Fails("SendTaskFailure", R"({"taskToken":"t","error":")" + std::string(257, 'e') + "\"}",
            "ValidationException");
  EXPECT_NE(m.find("'error'"), std::string::npos) << m;
}

// An engine that records what it is asked and answers as told: how the service translates
// requests and passes the engine's AWS error names through.
class RecordingEngine final : public engine::Engine {
 public:
  Result<engine::StartResponse> StartExecution(const engine::StartRequest& r) override {
    start = r;
    if (fail) return *fail;
    return engine::StartResponse{"arn:aws:states:us-east-1:111111111111:execution:standard:x",
                                 At(3)};
  }
  Result<TimePoint> StopExecution(const std::string& arn, std::optional<std::string> error,
                                  std::optional<std::string> cause) override {
    stopped = arn;
    stop_error = error;
    stop_cause = cause;
    if (fail) return *fail;
    return At(4);
  }
  Result<engine::RedriveResponse> RedriveExecution(const std::string& arn) override {
    redriven = arn;
    if (fail) return *fail;
    return engine::RedriveResponse{At(5)};
  }
  Status SendTaskOutcome(const std::string& token, const engine::TokenOutcome& o) override {
    outcome_token = token;
    outcome = o;
    if (fail) return *fail;
    return {};
  }
  Status SendTaskHeartbeat(const std::string& token) override {
    heartbeat = token;
    if (fail) return *fail;
    return {};
  }
  Result<store::Execution> WaitForExecution(const std::string&,
                                            std::chrono::milliseconds) override {
    return MakeError("ServiceUnavailable", "not used");
  }
  void Shutdown() override {}
  Stats GetStats() const override { return {}; }

  static TimePoint At(double s) { return testing::At(s); }

  std::optional<Error> fail;
  engine::StartRequest start;
  std::string stopped, redriven, outcome_token, heartbeat;
  std::optional<std::string> stop_error, stop_cause;
  engine::TokenOutcome outcome;
};

class SfnEngineTest : public SfnServiceTest {
 protected:
  void SetUp() override {
    engine_ = &engine;
    SfnServiceTest::SetUp();
  }
  RecordingEngine engine;
};

TEST_F(SfnEngineTest, ActionsReachTheEngine) {
  Json started = Ok("StartExecution", ArnBody("standard", R"(,"name":"x","input":"{\"a\":1}")"));
  EXPECT_EQ(engine.start.state_machine, MachineArn("standard"));
  EXPECT_EQ(engine.start.name, "x");
  EXPECT_EQ(engine.start.input, R"({"a":1})");
  EXPECT_EQ(started.find("executionArn")->as_string(),
            "arn:aws:states:us-east-1:111111111111:execution:standard:x");
  EXPECT_DOUBLE_EQ(started.find("startDate")->as_double(), 1704067203.0);

  Ok("StartExecution", ArnBody("standard"));
  EXPECT_EQ(engine.start.name, "");  // the engine picks a UUID
  EXPECT_EQ(engine.start.input, "{}");

  std::string exec = ExecArn("standard", "x");
  Json stopped =
      Ok("StopExecution", R"({"executionArn":")" + exec + R"(","error":"E","cause":"C"})");
  EXPECT_EQ(engine.stopped, exec);
  EXPECT_EQ(engine.stop_error, "E");
  EXPECT_EQ(engine.stop_cause, "C");
  EXPECT_DOUBLE_EQ(stopped.find("stopDate")->as_double(), 1704067204.0);

  Json redriven =
      Ok("RedriveExecution", R"({"executionArn":")" + exec + R"(","clientToken":"t1"})");
  EXPECT_EQ(engine.redriven, exec);
  EXPECT_DOUBLE_EQ(redriven.find("redriveDate")->as_double(), 1704067205.0);

  EXPECT_EQ(Ok("SendTaskSuccess", R"({"taskToken":"tok","output":"[1]"})"), Json::EmptyObject());
  EXPECT_EQ(engine.outcome_token, "tok");
  EXPECT_TRUE(engine.outcome.success);
  EXPECT_EQ(engine.outcome.output, "[1]");
  Ok("SendTaskFailure", R"({"taskToken":"tok2","error":"Bad","cause":"why"})");
  EXPECT_EQ(engine.outcome_token, "tok2");
  EXPECT_FALSE(engine.outcome.success);
  EXPECT_EQ(engine.outcome.error, "Bad");
  EXPECT_EQ(engine.outcome.cause, "why");
  Ok("SendTaskHeartbeat", R"({"taskToken":"tok3"})");
  EXPECT_EQ(engine.heartbeat, "tok3");
}

TEST_F(SfnEngineTest, EngineErrorsPassThrough) {
  engine.fail = MakeError("ExecutionAlreadyExists", "Execution Already Exists: 'x'");
  EXPECT_EQ(
      Fails("StartExecution", ArnBody("standard", R"(,"name":"x")"), "ExecutionAlreadyExists"),
      "Execution Already Exists: 'x'");
  engine.fail = MakeError("ExecutionNotRedrivable", "not now");
  Fails("RedriveExecution", R"({"executionArn":")" + ExecArn("standard", "x") + "\"}",
        "ExecutionNotRedrivable");
  engine.fail = MakeError("TaskTimedOut", "late");
  Fails("SendTaskSuccess", R"({"taskToken":"t","output":"{}"})", "TaskTimedOut");
  engine.fail = MakeError("TaskDoesNotExist", "who");
  Fails("SendTaskHeartbeat", R"({"taskToken":"t"})", "TaskDoesNotExist");
  // A failing database is AWS's InternalFailure, not a name the SDKs do not know.
  engine.fail = MakeError(store::errc::kStoreFailure, "disk I/O error");
  Fails("StopExecution", R"({"executionArn":")" + ExecArn("standard", "x") + "\"}",
        "InternalFailure");
}

}  // namespace
}  // namespace wharf::api
