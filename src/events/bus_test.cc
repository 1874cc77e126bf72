#include "events/bus.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <mutex>
#include <thread>

namespace wharf::events {
namespace {

Json Upload(std::string id, std::string path) {
  return *Json::Parse(
      R"({"version":"0","id":")" + id +
      R"(","detail-type":"SFTP Server File Upload Completed","source":"aws.transfer",)"
      R"("account":"111111111111","time":"2022-11-13T09:30:00Z","region":"us-east-1",)"
      R"("resources":[],"detail":{"file-path":")" +
      path + R"(","file-size":42,"username":"acme"}})");
}

RuleSpec CsvRule() {
  RuleSpec rule;
  rule.name = "csv-uploads";
  rule.event_pattern =
      R"({"source": ["aws.transfer"], "detail": {"file-path": [{"suffix": ".csv"}]}})";
  TargetSpec target;
  target.id = "import";
  target.arn = "arn:aws:states:us-east-1:111111111111:stateMachine:import";
  target.input.transformer =
      TargetInputSpec::Transformer{{{"path", "$.detail.file-path"}, {"size", "$.detail.file-size"}},
                                   R"({"path": <path>, "size": <size>})"};
  rule.targets.push_back(target);
  return rule;
}

class BusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/wharf-bus-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override {
    bus_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Opens the bus with an invoker that answers from `answers_` (ok when empty) and records calls.
  void Open(const Clock* clock = nullptr) {
    BusOptions o;
    o.path = dir_ + "/events.db";
    o.clock = clock;
    o.retry_base = std::chrono::milliseconds(1);
    o.retry_cap = std::chrono::milliseconds(5);
    o.log = [this](const std::string& line) {
      std::lock_guard lock(mu_);
      log_ += line + "\n";
    };
    o.invoke = [this](const Invocation& call) {
      std::lock_guard lock(mu_);
      calls_.push_back(call);
      if (answers_.empty()) return InvokeResult{};
      InvokeResult r = answers_.front();
      answers_.erase(answers_.begin());
      return r;
    };
    auto bus = Bus::Open(o);
    ASSERT_TRUE(bus.ok()) << bus.error().message;
    bus_ = std::move(*bus);
  }
  // Until no delivery is left (retries included), or 5 s.
  bool WaitDelivered() {
    for (int i = 0; i < 1000; ++i) {
      if (bus_->Stats().pending == 0 && bus_->WaitIdle(std::chrono::seconds(5))) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }
  std::vector<Invocation> Calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }

  std::string dir_;
  std::unique_ptr<Bus> bus_;
  std::mutex mu_;
  std::vector<Invocation> calls_;
  std::vector<InvokeResult> answers_;
  std::string log_;
};

TEST_F(BusTest, AMatchingEventIsDeliveredOnceWithItsInput) {
  Open();
  ASSERT_TRUE(bus_->PutRule(CsvRule()).ok());
  bus_->Start();
  auto published = bus_->Publish(
      {Upload("e1", "/landing/in/products.csv"), Upload("e2", "/landing/in/readme.txt")});
  ASSERT_TRUE(published.ok()) << published.error().message;
  EXPECT_EQ(published->events, 2);
  EXPECT_EQ(published->deliveries, 1);  // the .txt matches no rule
  ASSERT_TRUE(bus_->WaitIdle(std::chrono::seconds(5)));
  auto calls = Calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].event_id, "e1");
  EXPECT_EQ(calls[0].rule, "csv-uploads");
  EXPECT_EQ(calls[0].target_arn, "arn:aws:states:us-east-1:111111111111:stateMachine:import");
  EXPECT_EQ(calls[0].input, R"({"path": "/landing/in/products.csv", "size": 42})");
  EXPECT_EQ(calls[0].idempotency_key, DeliveryKey("e1", "csv-uploads", "import"));
  EXPECT_EQ(calls[0].attempt, 1);
  EXPECT_EQ(bus_->Stats().delivered, 1);
  EXPECT_EQ(bus_->Stats().pending, 0);

  // The same event id again is not stored or delivered again; a new id is.
  EXPECT_EQ(bus_->Publish({Upload("e1", "/landing/in/products.csv")})->events, 0);
  EXPECT_EQ(bus_->Publish({Upload("e3", "/landing/in/products.csv")})->deliveries, 1);
  ASSERT_TRUE(bus_->WaitIdle(std::chrono::seconds(5)));
  EXPECT_EQ(Calls().size(), 2u);
  EXPECT_NE(Calls()[1].idempotency_key, Calls()[0].idempotency_key);
}

TEST_F(BusTest, DeliveryKeysAreExecutionNames) {
  std::string key = DeliveryKey("e1", "csv.uploads", "import");
  EXPECT_EQ(key.rfind("csv_uploads-", 0), 0u) << key;
  EXPECT_EQ(key.size(), std::string("csv_uploads-").size() + 32);
  EXPECT_EQ(key, DeliveryKey("e1", "csv.uploads", "import"));
  EXPECT_NE(key, DeliveryKey("e1", "csv.uploads", "other"));
  EXPECT_LE(DeliveryKey("e", std::string(64, 'r'), "t").size(), 80u);
}

TEST_F(BusTest, RetriesWithTheSameKeyThenSucceeds) {
  Open();
  answers_ = {{false, true, "ThrottlingException"}, {false, true, "service unavailable"}};
  ASSERT_TRUE(bus_->PutRule(CsvRule()).ok());
  bus_->Start();
  ASSERT_TRUE(bus_->Publish({Upload("e1", "/a.csv")}).ok());
  ASSERT_TRUE(WaitDelivered());
  auto calls = Calls();
  ASSERT_EQ(calls.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(calls[i].attempt, i + 1);
    EXPECT_EQ(calls[i].idempotency_key, calls[0].idempotency_key);
  }
  EXPECT_EQ(bus_->Stats().retried, 2);
  EXPECT_EQ(bus_->Stats().delivered, 1);
  EXPECT_NE(log_.find("failed (attempt 1), will retry: ThrottlingException"), std::string::npos)
      << log_;
}

TEST_F(BusTest, RefusalsAndSpentRetriesGoToTheDeadLettersAndReplay) {
  Open();
  RuleSpec rule = CsvRule();
  rule.targets[0].retry.maximum_retry_attempts = 1;
  ASSERT_TRUE(bus_->PutRule(rule).ok());
  answers_ = {{false, false, "StateMachineDoesNotExist: no state machine import"},
              {false, true, "boom 1"},
              {false, true, "boom 2"}};
  bus_->Start();
  ASSERT_TRUE(bus_->Publish({Upload("refused", "/a.csv")}).ok());
  ASSERT_TRUE(WaitDelivered());
  ASSERT_TRUE(bus_->Publish({Upload("spent", "/b.csv")}).ok());
  ASSERT_TRUE(WaitDelivered());
  EXPECT_EQ(Calls().size(), 3u);  // 1 refused, then 1 + 1 retry

  auto dead = bus_->ListDeadLetters(10);
  ASSERT_TRUE(dead.ok());
  ASSERT_EQ(dead->size(), 2u);
  EXPECT_EQ((*dead)[0].event_id, "refused");
  EXPECT_EQ((*dead)[0].attempts, 1);
  EXPECT_EQ((*dead)[0].reason, "StateMachineDoesNotExist: no state machine import");
  EXPECT_EQ((*dead)[1].event_id, "spent");
  EXPECT_EQ((*dead)[1].attempts, 2);
  EXPECT_EQ((*dead)[1].reason, "2 attempts failed; the last: boom 2");
  EXPECT_EQ((*dead)[1].event.find("detail")->find("file-path")->as_string(), "/b.csv");
  EXPECT_EQ(bus_->Stats().dead_letters, 2);

  // Replayed, it is delivered (the invoker now says yes) and leaves the dead letters.
  ASSERT_TRUE(bus_->Replay((*dead)[0].seq).ok());
  ASSERT_TRUE(WaitDelivered());
  EXPECT_EQ(Calls().back().event_id, "refused");
  EXPECT_EQ(Calls().back().attempt, 1);
  EXPECT_EQ(bus_->ListDeadLetters(10)->size(), 1u);
  EXPECT_EQ(bus_->Replay(999).error().code, "ResourceNotFoundException");
}

TEST_F(BusTest, TooOldEventsAreNotDelivered) {
  VirtualClock clock(TimePoint(std::chrono::hours(1000)));
  Open(&clock);
  RuleSpec rule = CsvRule();
  rule.targets[0].retry.maximum_event_age = std::chrono::seconds(60);
  ASSERT_TRUE(bus_->PutRule(rule).ok());
  answers_ = {{false, true, "down"}};
  bus_->Start();
  ASSERT_TRUE(bus_->Publish({Upload("old", "/a.csv")}).ok());
  ASSERT_TRUE(bus_->WaitIdle(std::chrono::seconds(5)));
  clock.AdvanceTo(clock.Now() + std::chrono::seconds(61));
  ASSERT_TRUE(bus_->WaitIdle(std::chrono::seconds(5)));
  EXPECT_EQ(Calls().size(), 1u) << log_;
  auto dead = bus_->ListDeadLetters(10);
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].reason,
            "the event is older than the target's MaximumEventAgeInSeconds (60 s) after 1 "
            "attempts");
}

TEST_F(BusTest, DeliveriesRulesAndPositionsSurviveAReopen) {
  Open();
  RuleSpec rule = CsvRule();
  rule.managed_by = "project";
  ASSERT_TRUE(bus_->PutRule(rule).ok());
  // Published but not delivered (no delivery thread), with the source's position.
  ASSERT_TRUE(bus_->Publish({Upload("e1", "/a.csv")}, "objects", 17).ok());
  bus_.reset();

  Open();
  EXPECT_EQ(*bus_->Position("objects"), 17);
  EXPECT_EQ(*bus_->Position("nothing"), 0);
  ASSERT_TRUE(bus_->GetRule("csv-uploads").has_value());
  EXPECT_EQ(bus_->GetRule("csv-uploads")->targets[0].input.transformer->input_template,
            R"({"path": <path>, "size": <size>})");
  EXPECT_EQ(bus_->Match(Upload("x", "/b.csv")), std::vector<std::string>{"csv-uploads"});
  bus_->Start();
  ASSERT_TRUE(bus_->WaitIdle(std::chrono::seconds(5)));
  ASSERT_EQ(Calls().size(), 1u);
  EXPECT_EQ(Calls()[0].event_id, "e1");

  // A project rule is not the API's to change; SyncRules drops the project's rules it omits.
  rule.managed_by = "";
  EXPECT_EQ(bus_->PutRule(rule).error().code, "ManagedRuleException");
  EXPECT_EQ(bus_->DeleteRule("csv-uploads", "").error().code, "ManagedRuleException");
  ASSERT_TRUE(bus_->SyncRules("project", {}).ok());
  EXPECT_FALSE(bus_->GetRule("csv-uploads").has_value());
  EXPECT_TRUE(bus_->Match(Upload("y", "/b.csv")).empty());
}

TEST_F(BusTest, BadRulesNameTheField) {
  Open();
  RuleSpec rule = CsvRule();
  rule.event_pattern = R"({"detail": {"file-path": [{"suffix": 5}]}})";
  auto put = bus_->PutRule(rule);
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().code, "ValidationException");
  EXPECT_EQ(put.error().message.rfind("rule csv-uploads: EventPattern: ", 0), 0u)
      << put.error().message;
  EXPECT_NE(put.error().message.find("file-path"), std::string::npos) << put.error().message;

  rule = CsvRule();
  rule.targets[0].input.transformer->input_template = R"({<path>: 1})";
  EXPECT_EQ(bus_->PutRule(rule).error().message,
            "rule csv-uploads: target import: InputTransformer.InputTemplate: a placeholder "
            "cannot be used as an object key");
  rule = CsvRule();
  rule.targets[0].retry.maximum_retry_attempts = 200;
  EXPECT_EQ(bus_->PutRule(rule).error().message,
            "rule csv-uploads: target import: RetryPolicy.MaximumRetryAttempts must be from 0 to "
            "185");
  rule = CsvRule();
  rule.name = "bad name";
  EXPECT_EQ(bus_->PutRule(rule).error().message,
            "Name: 'bad name' must have 1 to 64 letters, digits, '.', '-' or '_'");
  EXPECT_TRUE(bus_->ListRules().empty());
}

}  // namespace
}  // namespace wharf::events
