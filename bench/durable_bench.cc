// durable_bench: the durable engine's figures (issue 3), over a real SQLite store in a fresh
// temporary data folder, with the engine's own worker pool and real function processes.
//
//   transitions   Executions of a state machine started from --clients threads at once through
//                 Engine::StartExecution (each call returns once its start is committed), run to
//                 the end. Reports durable state transitions per second (states entered, divided
//                 by the wall time from the first start to the last close) and store commits per
//                 transition. Two machines:
//                   pass20  20 Pass states: an execution runs in one engine step;
//                   wait20  10 x (Pass, Wait 0 s): every Wait ends the step, so each execution
//                           needs 11 committed steps, grouped with other executions' steps.
//                   mapN    one Map over N items, 10 at a time, each iteration a Wait 0 s and a
//                           Pass (use --executions 1): the cost of snapshotting a big Map.
//   task          One Task state calling a function (/bin/cat), --tasks executions one after
//                 another. Reports the latency from StartExecution to the execution's close at the
//                 median and p99, beside the same function run directly with tasks::Invoke (the
//                 process's own cost); the difference is the engine's overhead per task (queue,
//                 commits, worker hand-off).
//
// Usage: durable_bench transitions|task [--executions N] [--clients N] [--tasks N]
//                      [--machine pass20|wait20|mapN] [--durability normal|full]
// Prints one JSON object on stdout.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "core/memory.h"
#include "engine/engine.h"
#include "store/sqlite_store.h"

namespace {

using namespace wharf;
using Steady = std::chrono::steady_clock;

struct Args {
  std::string mode;
  std::string machine = "pass20";
  int executions = 4000;
  int clients = 64;
  int tasks = 300;
  bool full = false;
};

int Fail(const std::string& m) {
  std::fprintf(stderr, "durable_bench: %s\n", m.c_str());
  return 1;
}

std::string Pass20() {
  std::string s = R"({"StartAt":"S0","States":{)";
  for (int i = 0; i < 20; ++i) {
    if (i) s += ",";
    s += "\"S" + std::to_string(i) + "\":{\"Type\":\"Pass\",\"Result\":" + std::to_string(i) +
         ",\"ResultPath\":\"$.last\"," +
         (i == 19 ? std::string("\"End\":true}") : "\"Next\":\"S" + std::to_string(i + 1) + "\"}");
  }
  return s + "}}";
}

std::string Wait20() {
  std::string s = R"({"StartAt":"P0","States":{)";
  for (int i = 0; i < 10; ++i) {
    if (i) s += ",";
    s += "\"P" + std::to_string(i) + "\":{\"Type\":\"Pass\",\"Result\":" + std::to_string(i) +
         ",\"ResultPath\":\"$.last\",\"Next\":\"W" + std::to_string(i) + "\"},";
    s += "\"W" + std::to_string(i) + "\":{\"Type\":\"Wait\",\"Seconds\":0," +
         (i == 9 ? std::string("\"End\":true}") : "\"Next\":\"P" + std::to_string(i + 1) + "\"}");
  }
  return s + "}}";
}

// One Map over `items` items, 10 iterations at a time, each a Wait 0 s and a Pass: every wave of
// iterations is an engine step, and each step writes the Map's whole snapshot (its inputs and the
// results so far). The cost per step grows with the Map's size: this workload measures how much.
std::string MapOf(int items) {
  (void)items;
  return R"({"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":10,
    "ItemProcessor":{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":0,"Next":"P"},
    "P":{"Type":"Pass","End":true}}},"End":true}}})";
}

std::string MapInput(int items) {
  std::string s = "{\"items\":[";
  for (int i = 0; i < items; ++i) s += (i ? ",{\"n\":" : "{\"n\":") + std::to_string(i) + "}";
  return s + "]}";
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i =
      std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5));
  return v[i];
}

struct Fixture {
  std::string dir;
  std::unique_ptr<store::SqliteStore> store;
  std::unique_ptr<engine::Engine> engine;
  ~Fixture() {
    engine.reset();
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

Status Open(Fixture& f, const Args& a, const std::string& name, const std::string& definition,
            std::map<std::string, tasks::FunctionSpec> functions = {}) {
  char tmpl[] = "/tmp/wharf-durable-bench-XXXXXX";
  f.dir = mkdtemp(tmpl);
  store::SqliteOptions so;
  so.data_dir = f.dir;
  if (a.full) so.durability = store::Durability::kPowerLoss;
  WHARF_TRY(f.store, store::SqliteStore::Open(so));
  store::StateMachine m;
  m.arn = "arn:aws:states:us-east-1:111111111111:stateMachine:" + name;
  m.name = name;
  m.definition = definition;
  WHARF_TRY(auto put, f.store->PutStateMachine(m, store::PutMode::kCreate, SystemClock().Now()));
  (void)put;
  engine::EngineOptions eo;
  eo.store = f.store.get();
  eo.functions = std::move(functions);
  WHARF_TRY(f.engine, engine::Engine::Start(eo));
  return Status();
}

int Transitions(const Args& a) {
  Fixture f;
  bool map = a.machine.rfind("map", 0) == 0;
  int items = map ? std::atoi(a.machine.c_str() + 3) : 0;
  std::string definition = map ? MapOf(items) : a.machine == "wait20" ? Wait20() : Pass20();
  std::string input = map ? MapInput(items) : "{\"n\":1}";
  if (Status s = Open(f, a, a.machine, definition); !s.ok()) return Fail(s.error().message);
  std::atomic<int> next{0}, failed{0};
  std::vector<std::string> arns(a.executions);
  auto begin = Steady::now();
  std::vector<std::thread> clients;
  for (int c = 0; c < a.clients; ++c) {
    clients.emplace_back([&] {
      for (int i; (i = next.fetch_add(1)) < a.executions;) {
        auto r = f.engine->StartExecution({a.machine, "e" + std::to_string(i), input});
        if (!r.ok()) {
          ++failed;
          continue;
        }
        arns[i] = r->execution_arn;
      }
    });
  }
  for (auto& t : clients) t.join();
  double start_seconds = std::chrono::duration<double>(Steady::now() - begin).count();
  for (auto& arn : arns) {
    if (arn.empty()) continue;
    auto e = f.engine->WaitForExecution(arn, std::chrono::seconds(120));
    if (!e.ok() || e->status != store::ExecutionStatus::kSucceeded) ++failed;
  }
  double seconds = std::chrono::duration<double>(Steady::now() - begin).count();
  auto stats = f.engine->GetStats();
  auto store_stats = f.store->Stats();
  if (failed) return Fail(std::to_string(failed.load()) + " executions failed");
  std::printf(
      "{\"mode\":\"transitions\",\"machine\":\"%s\",\"durability\":\"%s\",\"executions\":%d,"
      "\"clients\":%d,\"transitions\":%lld,\"seconds\":%.3f,\"transitions_per_second\":%.0f,"
      "\"engine_commits\":%lld,\"store_commits\":%lld,\"commits_per_transition\":%.4f,"
      "\"starts_per_second\":%.0f}\n",
      a.machine.c_str(), a.full ? "full" : "normal", a.executions, a.clients,
      static_cast<long long>(stats.transitions), seconds,
      static_cast<double>(stats.transitions) / seconds, static_cast<long long>(stats.commits),
      static_cast<long long>(store_stats.commits),
      static_cast<double>(store_stats.commits) / static_cast<double>(stats.transitions),
      a.executions / start_seconds);
  return 0;
}

int TaskOverhead(const Args& a) {
  tasks::FunctionSpec cat;
  cat.name = "cat";
  cat.command = {"/bin/cat"};
  Fixture f;
  std::string definition =
      R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:cat","End":true}}})";
  if (Status s = Open(f, a, "task", definition, {{"cat", cat}}); !s.ok())
    return Fail(s.error().message);
  // Alternating, so that both see the same machine load: the process alone (the runner's spawn,
  // stdin/stdout and wait, without the engine), then a whole execution around the same call.
  std::vector<double> direct, durable;
  for (int i = 0; i < a.tasks; ++i) {
    tasks::Invocation inv;
    inv.payload = Json::Object({{"n", Json::Int(1)}});
    inv.attempt_id = "bench/" + std::to_string(i);
    auto t0 = Steady::now();
    auto r = tasks::Invoke(cat, inv);
    if (!r.ok) return Fail("cat failed: " + r.error.message);
    direct.push_back(std::chrono::duration<double, std::milli>(Steady::now() - t0).count());
    t0 = Steady::now();
    auto started = f.engine->StartExecution({"task", "t" + std::to_string(i), "{\"n\":1}"});
    if (!started.ok()) return Fail(started.error().message);
    auto e = f.engine->WaitForExecution(started->execution_arn, std::chrono::seconds(30));
    if (!e.ok() || e->status != store::ExecutionStatus::kSucceeded)
      return Fail("the task execution did not succeed");
    durable.push_back(std::chrono::duration<double, std::milli>(Steady::now() - t0).count());
  }
  double dm = Percentile(direct, 0.5), d99 = Percentile(direct, 0.99);
  double em = Percentile(durable, 0.5), e99 = Percentile(durable, 0.99);
  std::printf(
      "{\"mode\":\"task\",\"tasks\":%d,\"process_median_ms\":%.3f,\"process_p99_ms\":%.3f,"
      "\"execution_median_ms\":%.3f,\"execution_p99_ms\":%.3f,\"overhead_median_ms\":%.3f,"
      "\"overhead_p99_ms\":%.3f}\n",
      a.tasks, dm, d99, em, e99, em - dm, e99 - d99);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  wharf::TuneAllocator();
  Args a;
  if (argc < 2) return Fail("usage: durable_bench transitions|task [options]");
  a.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string k = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (k == "--executions")
      a.executions = std::atoi(value().c_str());
    else if (k == "--clients")
      a.clients = std::atoi(value().c_str());
    else if (k == "--tasks")
      a.tasks = std::atoi(value().c_str());
    else if (k == "--machine")
      a.machine = value();
    else if (k == "--durability")
      a.full = value() == "full";
    else
      return Fail("unknown option " + k);
  }
  if (a.mode == "transitions") return Transitions(a);
  if (a.mode == "task") return TaskOverhead(a);
  return Fail("unknown mode " + a.mode);
}
