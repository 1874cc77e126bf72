// Helpers for the store's tests: a temporary data folder, fixed times, ARNs and transitions.
#pragma once

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "store/sqlite_store.h"

namespace wharf::store::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "wharf-store-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// 2024-01-01T00:00:00Z plus `seconds`.
inline TimePoint At(double seconds) {
  return TimePoint(std::chrono::seconds(1704067200)) +
         std::chrono::duration_cast<TimePoint::duration>(std::chrono::duration<double>(seconds));
}

inline std::string MachineArn(const std::string& name) {
  return "arn:aws:states:us-east-1:111111111111:stateMachine:" + name;
}
inline std::string ExecArn(const std::string& machine, const std::string& name) {
  return "arn:aws:states:us-east-1:111111111111:execution:" + machine + ":" + name;
}

inline HistoryRecord Event(int64_t id, std::string type, TimePoint ts, std::string details = "{}") {
  HistoryRecord r;
  r.id = id;
  r.previous_id = id - 1;
  r.type = std::move(type);
  r.timestamp = ts;
  r.details = std::move(details);
  return r;
}

inline NewTask MakeTask(std::string ticket, std::string execution_arn, std::string queue = "q",
                        std::string token = "", std::string payload = "{}") {
  NewTask t;
  t.ticket = std::move(ticket);
  t.execution_arn = std::move(execution_arn);
  t.queue = std::move(queue);
  t.kind = "function";
  t.payload = std::move(payload);
  t.token = std::move(token);
  return t;
}

// A start of `machine`/`name` with its ExecutionStarted event and a snapshot.
inline void AddStart(Transition& t, const std::string& machine, const std::string& name,
                     const std::string& input, TimePoint start) {
  NewExecution n;
  n.arn = ExecArn(machine, name);
  n.state_machine_arn = MachineArn(machine);
  n.name = name;
  n.revision_id = "rev-1";
  n.input = input;
  n.start_time = start;
  t.starts.push_back(n);
  ExecutionStep step;
  step.arn = n.arn;
  step.events.push_back(
      Event(1, "ExecutionStarted", start, "{\"executionStartedEventDetails\":{}}"));
  step.snapshot = "{\"at\":\"start\"}";
  t.steps.push_back(std::move(step));
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open(Durability durability = Durability::kProcessCrash) {
    SqliteOptions options;
    options.data_dir = dir_.path() + "/data";
    options.durability = durability;
    auto opened = SqliteStore::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
  }
  void Reopen() {
    store_.reset();
    Open();
  }

  // Starts `name` of machine "m" with `input`; expects it to be created.
  Execution Start(const std::string& name, const std::string& input = "{}", TimePoint start = At(0),
                  const std::string& owner = "") {
    Transition t;
    t.owner = owner;
    AddStart(t, "m", name, input, start);
    auto r = store_->Commit(t);
    EXPECT_TRUE(r.ok()) << r.error().message;
    if (!r.ok()) return {};
    EXPECT_TRUE(r->starts.at(0).ok());
    EXPECT_TRUE(r->starts.at(0)->created);
    return r->starts.at(0)->execution;
  }

  Status Step(ExecutionStep step, const std::string& owner = "") {
    Transition t;
    t.owner = owner;
    t.steps.push_back(std::move(step));
    auto r = store_->Commit(t);
    if (!r.ok()) return std::move(r).error();
    return {};
  }

  TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
};

}  // namespace wharf::store::testing
