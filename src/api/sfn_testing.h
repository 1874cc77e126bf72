// Helpers for the SfnService tests: a real SqliteStore in a temporary folder, a virtual clock,
// and short ways to call actions and to write executions the way the engine does (Commit).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "api/sfn_service.h"
#include "store/sqlite_store.h"
#include "store/store_testing.h"

namespace wharf::api::testing {

using store::testing::At;

inline Json J(const std::string& text) {
  auto parsed = Json::Parse(text);
  EXPECT_TRUE(parsed.ok()) << text;
  return parsed.ok() ? *parsed : Json();
}

class SfnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::SqliteOptions o;
    o.data_dir = dir_.path() + "/data";
    auto opened = store::SqliteStore::Open(o);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
    options_.clock = &clock_;
    svc_ = std::make_unique<SfnService>(store_.get(), engine_, options_);
  }

  Result<Json> Call(std::string_view action, const std::string& body) {
    return svc_->Handle(action, J(body));
  }
  // Calls an action that must succeed.
  Json Ok(std::string_view action, const std::string& body) {
    auto r = Call(action, body);
    EXPECT_TRUE(r.ok()) << action << ": " << r.error().code << ": " << r.error().message;
    return r.ok() ? *r : Json::EmptyObject();
  }
  // Calls an action that must fail with `code`; returns the message.
  std::string Fails(std::string_view action, const std::string& body, const std::string& code) {
    auto r = Call(action, body);
    EXPECT_FALSE(r.ok()) << action << " " << body << " answered " << (r.ok() ? r->Dump() : "");
    if (r.ok()) return "";
    EXPECT_EQ(r.error().code, code) << action << " " << body << ": " << r.error().message;
    return r.error().message;
  }

  // Puts a machine as `wharf serve` does for the project file.
  store::StateMachine Put(const std::string& name, const std::string& definition,
                          store::MachineType type = store::MachineType::kStandard) {
    auto r = store_->PutStateMachine(ProjectStateMachine(options_, name, definition, type),
                                     store::PutMode::kCreateOrUpdate, clock_.Now());
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? r->machine : store::StateMachine{};
  }

  std::string MachineArn(const std::string& name) { return svc_->StateMachineArn(name); }
  std::string ExecArn(const std::string& machine, const std::string& name) {
    return svc_->ExecutionArn(machine, name);
  }

  // Starts execution `name` of `machine` (its current revision) at `start`, with the
  // ExecutionStarted event, as the engine's first commit does.
  void StartExecution(const store::StateMachine& machine, const std::string& name,
                      const std::string& input, TimePoint start) {
    store::Transition t;
    store::NewExecution n;
    n.arn = ExecArn(machine.name, name);
    n.state_machine_arn = machine.arn;
    n.name = name;
    n.revision_id = machine.revision_id;
    n.input = input;
    n.start_time = start;
    t.starts.push_back(n);
    store::ExecutionStep step;
    step.arn = n.arn;
    step.events.push_back(store::testing::Event(
        1, "ExecutionStarted", start,
        R"({"executionStartedEventDetails":{"input":)" + Quote(input) +
            R"(,"inputDetails":{"truncated":false},"roleArn":"arn:aws:iam::111111111111:role/wharf"}})"));
    t.steps.push_back(std::move(step));
    auto r = store_->Commit(t);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_TRUE(r->starts.at(0).ok()) << r->starts.at(0).error().message;
  }

  // Appends events and row changes to an execution, as one engine step.
  void Step(store::ExecutionStep step) {
    store::Transition t;
    t.steps.push_back(std::move(step));
    auto r = store_->Commit(t);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  static std::string Quote(const std::string& s) {
    std::string out;
    AppendJsonString(out, s);
    return out;
  }

  store::testing::TempDir dir_;
  std::unique_ptr<store::SqliteStore> store_;
  VirtualClock clock_{At(0)};
  SfnOptions options_;
  engine::Engine* engine_ = nullptr;
  std::unique_ptr<SfnService> svc_;
};

}  // namespace wharf::api::testing
