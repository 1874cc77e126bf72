// json_bench: Google Benchmark micro-benchmarks of the JSON work the engine does at every state,
// wharf's immutable, shared `wharf::Json` against Boost.JSON's mutable DOM (`boost::json::value`).
// docs/json.md quotes the results.
//
// Each benchmark runs on two documents shaped like bench/gen_workloads.js's order (an id and a
// list of line items {sku, name, quantity, price, tags}): "5KB" (~5 KB, ~50 items) and "100KB".
//   ParseDump     text -> document -> text: wharf::Json::Parse + Dump against boost::json::parse +
//                 serialize (default allocator, and a monotonic_resource as its best case);
//                 Parse and Dump time each half alone.
//   ResultPath    put a small result at $.result while keeping the input unchanged for whoever
//                 else holds it: asl::SetAtPath against a DOM copy-then-insert.
//   Parameters    {"items.$": "$.items", "id.$": "$.id", "step": 1} with asl::PayloadTemplate,
//                 against building the same object from a DOM (copying what it picks).
//   JsonPath      $.items[3].sku and $.items[?(@.quantity > 2)] with asl::JsonPath.
// Every benchmark counts one document (or one evaluation) as one item: "items_per_second" is
// documents per second.
//
// Usage: build/bench/json_bench [--benchmark_min_time=0.5] [--benchmark_filter=REGEX] ...
// Like wharf's binaries, it calls wharf::TuneAllocator() first (both sides run under it).
// Thread-safety: a single-threaded program.

#include <benchmark/benchmark.h>

#include <boost/json.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "asl/env.h"
#include "asl/jsonpath.h"
#include "asl/payload.h"
#include "core/json.h"
#include "core/memory.h"

namespace {

using wharf::Json;
namespace asl = wharf::asl;
namespace bj = boost::json;

// The two document sizes, as benchmark arguments.
constexpr int64_t kSmall = 5000;
constexpr int64_t kLarge = 100000;

// An order like bench/gen_workloads.js's bigInput(): line items until the compact text reaches
// `min_bytes`.
std::string MakeOrder(size_t min_bytes) {
  wharf::JsonArray items;
  std::string text;
  for (int i = 0; items.empty() || text.size() < min_bytes; ++i) {
    const double price = 3.5 + i * 1.25;  // a multiple of 0.25: exact, as JS's rounding leaves it
    items.push_back(Json::Object({
        {"sku", Json::String("SKU-" + std::to_string(10000 + i))},
        {"name", Json::String("Item number " + std::to_string(i))},
        {"quantity", Json::Int(i % 7 + 1)},
        {"price", price == static_cast<int64_t>(price) ? Json::Int(static_cast<int64_t>(price))
                                                       : Json::Double(price)},
        {"tags", Json::Array({Json::String("bench"), Json::String(i % 2 ? "odd" : "even")})},
    }));
    text =
        Json::Object({{"id", Json::String("order-000123")}, {"items", Json::Array(items)}}).Dump();
  }
  return text;
}

const std::string& OrderText(int64_t size) {
  static const std::string small = MakeOrder(kSmall);
  static const std::string large = MakeOrder(kLarge);
  return size == kSmall ? small : large;
}

// Aborts the program: a benchmark of a failing operation would measure nothing.
[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "json_bench: %s\n", what.c_str());
  std::exit(1);
}

Json ParseOrDie(const std::string& text) {
  auto parsed = Json::Parse(text);
  if (!parsed.ok()) Die("parse failed: " + parsed.error().message);
  return *parsed;
}

asl::JsonPath PathOrDie(const char* text) {
  auto path = asl::JsonPath::Parse(text);
  if (!path.ok()) Die(std::string("bad path ") + text + ": " + path.error().message);
  return *path;
}

// Documents (or evaluations) per second; bytes per second only where the whole text is handled.
void SetCounters(benchmark::State& state, int64_t text_bytes = 0) {
  state.SetItemsProcessed(state.iterations());
  if (text_bytes > 0) state.SetBytesProcessed(state.iterations() * text_bytes);
  state.SetLabel(state.range(0) == kSmall ? "5KB" : "100KB");
}

// The result a Task would return, inserted by ResultPath.
constexpr const char* kResultText = R"({"status":"ok","code":200,"ref":"r-42"})";

// ---- parse + serialize ----

void BM_ParseDump_Wharf(benchmark::State& state) {
  const std::string& text = OrderText(state.range(0));
  for (auto _ : state) {
    auto doc = Json::Parse(text);
    std::string out = doc->Dump();
    benchmark::DoNotOptimize(out.data());
  }
  SetCounters(state, static_cast<int64_t>(text.size()));
}

void BM_ParseDump_BoostDom(benchmark::State& state) {
  const std::string& text = OrderText(state.range(0));
  for (auto _ : state) {
    bj::value doc = bj::parse(text);
    std::string out = bj::serialize(doc);
    benchmark::DoNotOptimize(out.data());
  }
  SetCounters(state, static_cast<int64_t>(text.size()));
}

// Boost.JSON's fastest configuration: a monotonic arena per document, freed at once.
void BM_ParseDump_BoostDomMonotonic(benchmark::State& state) {
  const std::string& text = OrderText(state.range(0));
  for (auto _ : state) {
    bj::monotonic_resource arena;
    bj::value doc = bj::parse(text, &arena);
    std::string out = bj::serialize(doc);
    benchmark::DoNotOptimize(out.data());
  }
  SetCounters(state, static_cast<int64_t>(text.size()));
}

// The two halves apart, to show where the time goes.
void BM_Parse_Wharf(benchmark::State& state) {
  const std::string& text = OrderText(state.range(0));
  for (auto _ : state) {
    auto doc = Json::Parse(text);
    benchmark::DoNotOptimize(doc);
  }
  SetCounters(state, static_cast<int64_t>(text.size()));
}

void BM_Parse_BoostDom(benchmark::State& state) {
  const std::string& text = OrderText(state.range(0));
  for (auto _ : state) {
    bj::value doc = bj::parse(text);
    benchmark::DoNotOptimize(doc);
  }
  SetCounters(state, static_cast<int64_t>(text.size()));
}

void BM_Dump_Wharf(benchmark::State& state) {
  const std::string& text = OrderText(state.range(0));
  const Json doc = ParseOrDie(text);
  for (auto _ : state) {
    std::string out = doc.Dump();
    benchmark::DoNotOptimize(out.data());
  }
  SetCounters(state, static_cast<int64_t>(text.size()));
}

void BM_Dump_BoostDom(benchmark::State& state) {
  const std::string& text = OrderText(state.range(0));
  const bj::value doc = bj::parse(text);
  for (auto _ : state) {
    std::string out = bj::serialize(doc);
    benchmark::DoNotOptimize(out.data());
  }
  SetCounters(state, static_cast<int64_t>(text.size()));
}

// ---- ResultPath: $.result = result, the input kept for other holders ----

void BM_ResultPath_Wharf(benchmark::State& state) {
  const std::string& text = OrderText(state.range(0));
  const Json input = ParseOrDie(text);
  const Json result = ParseOrDie(kResultText);
  const asl::JsonPath path = PathOrDie("$.result");
  auto check = asl::SetAtPath(input, path, result);
  if (!check.ok() || !check->find("result") || check->size() != 3 || input.find("result")) {
    Die("SetAtPath did not insert $.result");
  }
  for (auto _ : state) {
    auto out = asl::SetAtPath(input, path, result);
    benchmark::DoNotOptimize(out);
  }
  SetCounters(state);
}

// A mutable DOM must copy the input before inserting: a Parallel sibling, a Map iteration or the
// history still refers to the original.
void BM_ResultPath_BoostDomCopy(benchmark::State& state) {
  const std::string& text = OrderText(state.range(0));
  const bj::value input = bj::parse(text);
  const bj::value result = bj::parse(kResultText);
  for (auto _ : state) {
    bj::value out = input;  // deep copy
    out.as_object()["result"] = result;
    benchmark::DoNotOptimize(out);
  }
  SetCounters(state);
}

// ---- Parameters: {"items.$": "$.items", "id.$": "$.id", "step": 1} ----

void BM_Parameters_Wharf(benchmark::State& state) {
  const std::string& text = OrderText(state.range(0));
  const Json input = ParseOrDie(text);
  const Json context = Json::EmptyObject();
  auto tmpl = asl::PayloadTemplate::Compile(
      ParseOrDie(R"({"items.$": "$.items", "id.$": "$.id", "step": 1})"), "bench");
  if (!tmpl.ok()) Die("template: " + tmpl.error().message);
  const asl::Env env{input, context, nullptr, nullptr};
  auto check = tmpl->Evaluate(env);
  if (!check.ok() || check->size() != 3 || !check->find("items")->SameNode(*input.find("items"))) {
    Die("Parameters did not build {items, id, step}");
  }
  for (auto _ : state) {
    auto out = tmpl->Evaluate(env);
    benchmark::DoNotOptimize(out);
  }
  SetCounters(state);
}

// The same payload built from a DOM: the picked values are copied into the new object (a DOM
// value has one owner), which is what a mutable-DOM engine pays per state.
void BM_Parameters_BoostDomCopy(benchmark::State& state) {
  const std::string& text = OrderText(state.range(0));
  const bj::value input = bj::parse(text);
  for (auto _ : state) {
    const bj::object& in = input.as_object();
    bj::object out;
    out.emplace("items", in.at("items"));
    out.emplace("id", in.at("id"));
    out.emplace("step", 1);
    benchmark::DoNotOptimize(out);
  }
  SetCounters(state);
}

// ---- JsonPath ----

void BM_JsonPath(benchmark::State& state, const char* path_text) {
  const std::string& text = OrderText(state.range(0));
  const Json input = ParseOrDie(text);
  const asl::JsonPath path = PathOrDie(path_text);
  if (!path.EvaluateOn(input).ok()) Die(std::string("path fails: ") + path_text);
  for (auto _ : state) {
    auto out = path.EvaluateOn(input);
    benchmark::DoNotOptimize(out);
  }
  SetCounters(state);
}

void Sizes(benchmark::internal::Benchmark* b) { b->Arg(kSmall)->Arg(kLarge); }

BENCHMARK(BM_ParseDump_Wharf)->Apply(Sizes);
BENCHMARK(BM_ParseDump_BoostDom)->Apply(Sizes);
BENCHMARK(BM_ParseDump_BoostDomMonotonic)->Apply(Sizes);
BENCHMARK(BM_Parse_Wharf)->Apply(Sizes);
BENCHMARK(BM_Parse_BoostDom)->Apply(Sizes);
BENCHMARK(BM_Dump_Wharf)->Apply(Sizes);
BENCHMARK(BM_Dump_BoostDom)->Apply(Sizes);
BENCHMARK(BM_ResultPath_Wharf)->Apply(Sizes);
BENCHMARK(BM_ResultPath_BoostDomCopy)->Apply(Sizes);
BENCHMARK(BM_Parameters_Wharf)->Apply(Sizes);
BENCHMARK(BM_Parameters_BoostDomCopy)->Apply(Sizes);
BENCHMARK_CAPTURE(BM_JsonPath, index, "$.items[3].sku")->Apply(Sizes);
BENCHMARK_CAPTURE(BM_JsonPath, filter, "$.items[?(@.quantity > 2)]")->Apply(Sizes);

}  // namespace

int main(int argc, char** argv) {
  wharf::TuneAllocator();
  std::printf("documents: 5KB = %zu bytes, 100KB = %zu bytes\n", OrderText(kSmall).size(),
              OrderText(kLarge).size());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
