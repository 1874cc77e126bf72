// engine_bench: times wharf's in-memory engine on one workload folder written by
// bench/gen_workloads.js (definition.json, input.json, meta.json), the same way
// bench/peer/asl_peer.js times the peer.
//
// The definition is parsed once; then RunExecution runs executions one after another for about
// --seconds, with AWS quotas off and history recording on (recording is part of the engine's
// work). Throughput is state transitions per second, from RunResult::transitions (states entered,
// counting a Map state and every state inside it); the first execution is checked against the
// count in meta.json.
//
// Usage: engine_bench WORKLOAD_DIR [--seconds S] [--warmup S] [--output-file FILE]
//                     [--executions N]   (exactly N timed executions instead of --seconds)
//                     [--no-tune-allocator]  (skip wharf::TuneAllocator, which wharf's binaries
//                                             call at start-up and so does this by default)
// Prints one JSON object on stdout; exits 1 when the workload fails or counts disagree.
// Thread-safety: a single-threaded program.

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "asl/definition.h"
#include "core/json.h"
#include "core/memory.h"
#include "engine/run.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::string dir;
  double seconds = 2.0;
  double warmup = 0.3;
  int64_t min_executions = 3;  // --executions N: exactly N timed executions (for profilers)
  bool fixed_count = false;
  bool tune_allocator = true;  // as the wharf binary does at start-up
  std::string output_file;
};

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

int Fail(const std::string& message) {
  std::cerr << "engine_bench: " << message << "\n";
  return 1;
}

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

bool ParseArgs(int argc, char** argv, Args* args) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        std::cerr << "engine_bench: " << name << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--seconds") {
      args->seconds = std::atof(next("--seconds"));
    } else if (a == "--warmup") {
      args->warmup = std::atof(next("--warmup"));
    } else if (a == "--executions") {
      args->min_executions = std::atoll(next("--executions"));
      args->fixed_count = true;
    } else if (a == "--no-tune-allocator") {
      args->tune_allocator = false;
    } else if (a == "--output-file") {
      args->output_file = next("--output-file");
    } else if (args->dir.empty() && !a.starts_with("--")) {
      args->dir = a;
    } else {
      return false;
    }
  }
  return !args->dir.empty();
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, &args)) {
    std::cerr << "usage: engine_bench WORKLOAD_DIR [--seconds S] [--warmup S] "
                 "[--output-file FILE] [--executions N] [--no-tune-allocator]\n";
    return 2;
  }
  if (args.tune_allocator) wharf::TuneAllocator();
  std::string definition_text, input_text, meta_text;
  if (!ReadFile(args.dir + "/definition.json", &definition_text) ||
      !ReadFile(args.dir + "/input.json", &input_text) ||
      !ReadFile(args.dir + "/meta.json", &meta_text)) {
    return Fail("cannot read the workload files in " + args.dir);
  }
  auto input = wharf::Json::Parse(input_text);
  if (!input.ok()) return Fail("input.json: " + input.error().message);
  auto meta = wharf::Json::Parse(meta_text);
  if (!meta.ok()) return Fail("meta.json: " + meta.error().message);
  const wharf::Json* per_execution_json = meta->find("transitions_per_execution");
  const wharf::Json* name_json = meta->find("name");
  if (per_execution_json == nullptr || !per_execution_json->is_int() || name_json == nullptr ||
      !name_json->is_string()) {
    return Fail("meta.json: needs 'name' and an integer 'transitions_per_execution'");
  }
  const int64_t expected = per_execution_json->as_int();

  wharf::asl::ParseOptions parse_options;
  parse_options.source_name = args.dir + "/definition.json";
  auto machine = wharf::asl::ParseDefinition(definition_text, parse_options);
  if (!machine.ok()) return Fail(machine.error().code + ": " + machine.error().message);

  wharf::engine::RunOptions options;
  options.quotas = false;  // 10,000 Map iterations exceed the 25,000-event history quota

  // One checked execution: it must succeed and enter as many states as the workload says.
  wharf::engine::RunResult first = wharf::engine::RunExecution(*machine, *input, options);
  if (first.status != wharf::engine::ExecutionStatus::kSucceeded) {
    return Fail(std::string("the execution ended ") +
                wharf::engine::ExecutionStatusName(first.status) + ": " + first.error.value_or("") +
                ": " + first.cause.value_or(""));
  }
  if (first.transitions != expected) {
    return Fail("wharf counted " + std::to_string(first.transitions) +
                " transitions, meta.json says " + std::to_string(expected));
  }
  if (!args.output_file.empty()) {
    std::ofstream out(args.output_file, std::ios::binary);
    out << first.output.Dump() << "\n";
  }

  // Warm up caches and the allocator, then measure: for --seconds and at least 3 executions, or
  // exactly --executions.
  Clock::time_point warmup_start = Clock::now();
  while (Since(warmup_start) < args.warmup) {
    wharf::engine::RunResult r = wharf::engine::RunExecution(*machine, *input, options);
    if (r.status != wharf::engine::ExecutionStatus::kSucceeded) return Fail("warm-up failed");
  }

  int64_t executions = 0;
  int64_t transitions = 0;
  size_t history_events = 0;
  Clock::time_point start = Clock::now();
  double elapsed = 0;
  do {
    wharf::engine::RunResult r = wharf::engine::RunExecution(*machine, *input, options);
    if (r.status != wharf::engine::ExecutionStatus::kSucceeded) return Fail("an execution failed");
    transitions += r.transitions;
    history_events += r.history.size();
    ++executions;
    elapsed = Since(start);
  } while (executions < args.min_executions || (!args.fixed_count && elapsed < args.seconds));

  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);

  std::printf(
      "{\"engine\":\"wharf\",\"workload\":\"%s\",\"transitions_per_execution\":%lld,"
      "\"history_events_per_execution\":%lld,\"executions\":%lld,\"seconds\":%.6f,"
      "\"transitions\":%lld,\"transitions_per_sec\":%.1f,\"peak_rss_kb\":%ld}\n",
      name_json->as_string().c_str(), static_cast<long long>(expected),
      static_cast<long long>(history_events / executions), static_cast<long long>(executions),
      elapsed, static_cast<long long>(transitions), static_cast<double>(transitions) / elapsed,
      usage.ru_maxrss);
  return 0;
}
