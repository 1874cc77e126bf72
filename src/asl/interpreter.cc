// The interpreter's pure functions (see interpreter.h).
#include "asl/interpreter.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "asl/timestamp.h"

namespace wharf::asl {

namespace {

// An integer given by a path: a JSON integer, an integral double, or a string holding one
// (AWS parses the value's text, so "1" is accepted for MaxConcurrencyPath).
std::optional<int64_t> AsInteger(const Json& v) {
  if (v.is_int()) return v.as_int();
  if (v.is_double() && std::floor(v.as_double()) == v.as_double() &&
      std::fabs(v.as_double()) < 9e18)
    return static_cast<int64_t>(v.as_double());
  if (v.is_string() && !v.as_string().empty()) {
    const std::string& t = v.as_string();
    char* end = nullptr;
    errno = 0;
    long long n = std::strtoll(t.c_str(), &end, 10);
    if (errno == 0 && end == t.c_str() + t.size()) return static_cast<int64_t>(n);
  }
  return std::nullopt;
}

Error Runtime(std::string message) { return MakeError("States.Runtime", std::move(message)); }

// A JSONPath failure as AWS words it for InputPath/OutputPath/...: "Invalid path '<p>' : <why>".
Error InvalidPath(const JsonPath& path, const Error& e) {
  if (e.message.rfind("Invalid path", 0) == 0) return Runtime(e.message);
  return Runtime("Invalid path '" + path.text() + "' : " + e.message);
}

size_t StringSize(std::string_view s) {
  size_t n = 2;
  for (unsigned char c : s) {
    if (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f')
      n += 2;
    else if (c < 0x20)
      n += 6;
    else
      n += 1;
  }
  return n;
}

void AddSize(const Json& j, size_t& n, size_t limit) {
  if (n > limit) return;
  switch (j.kind()) {
    case Json::Kind::kNull:
      n += 4;
      break;
    case Json::Kind::kBool:
      n += j.as_bool() ? 4 : 5;
      break;
    case Json::Kind::kInt:
    case Json::Kind::kDouble: {
      std::string s;
      j.DumpTo(s);
      n += s.size();
      break;
    }
    case Json::Kind::kString:
      n += StringSize(j.as_string());
      break;
    case Json::Kind::kArray:
      n += 2 + (j.size() ? j.size() - 1 : 0);
      for (auto& e : j.as_array()) AddSize(e, n, limit);
      break;
    case Json::Kind::kObject:
      n += 2 + (j.size() ? j.size() - 1 : 0);
      for (auto& m : j.as_object()) {
        n += StringSize(m.first) + 1;
        AddSize(m.second, n, limit);
      }
      break;
  }
}

}  // namespace

size_t SerializedSize(const Json& doc, size_t limit) {
  size_t n = 0;
  AddSize(doc, n, limit);
  return n;
}

Result<Json> ApplyInputPath(const State& state, const Json& raw_input, const Env& env) {
  const PathField& f = state.input_path;
  if (!f.present) return raw_input;
  // "If the value of InputPath is null, the state's input is the empty object" (spec §InputPath).
  if (f.is_null) return Json::EmptyObject();
  Env e{raw_input, env.context, env.vars, env.entropy};
  auto r = f.path->Evaluate(e);
  if (!r.ok()) return InvalidPath(*f.path, r.error());
  return std::move(*r);
}

Result<Json> ApplyParameters(const State& state, const Json& effective_input, const Env& env) {
  if (!state.parameters) return effective_input;
  Env e{effective_input, env.context, env.vars, env.entropy};
  return state.parameters->Evaluate(e);
}

Result<Json> ApplyResultSelector(const State& state, const Json& result, const Env& env) {
  if (!state.result_selector) return result;
  Env e{result, env.context, env.vars, env.entropy};
  return state.result_selector->Evaluate(e);
}

Result<Json> ApplyResultPath(const ResultPathField& rp, const Json& raw_input, Json result) {
  // "If the value of ResultPath is null, the state's own raw output is discarded and its raw
  // input becomes its result" (spec §ResultPath).
  if (rp.present && rp.is_null) return raw_input;
  if (!rp.present || !rp.path) return result;
  if (rp.path->IsReferencePath() && rp.path->text() == "$") return result;
  return SetAtPath(raw_input, *rp.path, std::move(result));
}

Result<Json> ApplyOutputPath(const State& state, const Json& doc, const Env& env) {
  const PathField& f = state.output_path;
  if (!f.present) return doc;
  // "If the value of OutputPath is null, ... the effective output is the empty object".
  if (f.is_null) return Json::EmptyObject();
  Env e{doc, env.context, env.vars, env.entropy};
  auto r = f.path->Evaluate(e);
  if (!r.ok()) return InvalidPath(*f.path, r.error());
  return std::move(*r);
}

Result<Assigned> ApplyAssign(const PayloadTemplate& assign,
                             const std::shared_ptr<const VarScope>& scope, const Env& env) {
  WHARF_TRY(Json values, assign.Evaluate(env));
  auto next = std::make_shared<VarScope>();
  if (scope) {
    next->outer = scope->outer;
    next->vars = scope->vars;
  }
  if (values.is_object())
    for (auto& m : values.as_object()) next->vars[m.first] = m.second;
  return Assigned{std::move(next), std::move(values)};
}

bool ErrorMatches(const std::vector<std::string>& error_equals, std::string_view error) {
  // States.Runtime "is not retriable and cannot be caught" (AWS developer guide, error names).
  if (error == "States.Runtime") return false;
  for (auto& e : error_equals) {
    if (e == error) return true;
    // "States.ALL ... matches any known error name" except DataLimitExceeded and Runtime.
    if (e == "States.ALL" && error != "States.DataLimitExceeded") return true;
    // "States.TaskFailed ... matches any known error name except for States.Timeout".
    if (e == "States.TaskFailed" && error != "States.Timeout" &&
        error != "States.DataLimitExceeded" && error != "States.ExceedToleratedFailureThreshold" &&
        error != "States.NoChoiceMatched" && error != "States.ItemReaderFailed" &&
        error != "States.ResultWriterFailed")
      return true;
  }
  return false;
}

RetryDecision DecideRetry(const State& state, std::string_view error,
                          std::vector<int64_t>& attempts, uint64_t random_bits) {
  RetryDecision d;
  if (attempts.size() < state.retry.size()) attempts.resize(state.retry.size(), 0);
  for (size_t i = 0; i < state.retry.size(); ++i) {
    const Retrier& r = state.retry[i];
    if (!ErrorMatches(r.error_equals, error)) continue;
    d.retrier = static_cast<int>(i);
    // "MaxAttempts ... a value of 0 means the error is never retried" (spec §Retrying after error).
    if (attempts[i] >= r.max_attempts) return d;
    double delay = r.interval_seconds * std::pow(r.backoff_rate, static_cast<double>(attempts[i]));
    if (r.max_delay_seconds) delay = std::min(delay, static_cast<double>(*r.max_delay_seconds));
    if (r.jitter == Jitter::kFull) {
      double unit = static_cast<double>(random_bits >> 11) / static_cast<double>(1ULL << 53);
      delay *= unit;
    }
    ++attempts[i];
    d.retry = true;
    d.delay = std::chrono::milliseconds(static_cast<int64_t>(std::llround(delay * 1000.0)));
    return d;
  }
  return d;
}

int FindCatcher(const State& state, std::string_view error) {
  for (size_t i = 0; i < state.catchers.size(); ++i)
    if (ErrorMatches(state.catchers[i].error_equals, error)) return static_cast<int>(i);
  return -1;
}

Json ErrorOutput(const Error& error, bool has_cause) {
  std::vector<JsonMember> m;
  m.emplace_back("Error", Json::String(error.code));
  if (has_cause) m.emplace_back("Cause", Json::String(error.message));
  return Json::Object(std::move(m));
}

Result<ChoiceDecision> DecideChoice(const StateMachine& machine, const State& state,
                                    const Env& env) {
  // "the interpreter attempts pattern-matches against the rules in array order and transitions
  // to the state specified in the Next field on the first Choice Rule where there is an exact
  // match" (spec §Choice State).
  for (auto& rule : state.choices) {
    WHARF_TRY(bool match, rule.Evaluate(env));
    if (match) {
      auto it = machine.index.find(rule.next());
      return ChoiceDecision{it == machine.index.end() ? -1 : it->second, rule.assign()};
    }
  }
  if (state.default_index >= 0) return ChoiceDecision{state.default_index, nullptr};
  // "If no Choice matches and no Default is given, the interpreter raises
  // States.NoChoiceMatched" (spec §Choice State).
  return MakeError("States.NoChoiceMatched", "No Matches!");
}

Result<TimePoint> WaitUntil(const State& state, const Env& env, TimePoint now) {
  using std::chrono::milliseconds;
  if (state.seconds) return now + milliseconds(static_cast<int64_t>(*state.seconds * 1000));
  if (state.timestamp) {
    auto t = ParseTimestamp(*state.timestamp);
    if (!t)
      return Runtime("The Timestamp field does not contain a valid ISO-8601 timestamp: " +
                     *state.timestamp);
    return *t;
  }
  if (state.seconds_path) {
    auto v = state.seconds_path->Evaluate(env);
    if (!v.ok() || v->is_null())
      return Runtime("The SecondsPath parameter does not reference an input value: " +
                     state.seconds_path->text());
    if (!v->is_int() && !(v->is_double() && std::floor(v->as_double()) == v->as_double() &&
                          std::fabs(v->as_double()) < 9e18))
      return Runtime("The SecondsPath parameter cannot be parsed as a long value: " +
                     state.seconds_path->text() +
                     " == " + (v->is_string() ? v->as_string() : v->Dump()));
    int64_t secs = v->is_int() ? v->as_int() : static_cast<int64_t>(v->as_double());
    if (secs < 0)
      return Runtime("The SecondsPath parameter references a negative value: " +
                     state.seconds_path->text() + " == " + std::to_string(secs));
    // AWS: a Wait may last at most one year (Standard execution duration).
    if (secs > 99999999) return Runtime("Wait state delay is too long.");
    return now + std::chrono::seconds(secs);
  }
  if (state.timestamp_path) {
    auto v = state.timestamp_path->Evaluate(env);
    if (!v.ok() || v->is_null())
      return Runtime("The TimestampPath parameter does not reference an input value: " +
                     state.timestamp_path->text());
    std::string text = v->is_string() ? v->as_string() : v->Dump();
    auto t = v->is_string() ? ParseTimestamp(text) : std::nullopt;
    if (!t)
      return Runtime(
          "The TimestampPath parameter does not reference a valid ISO-8601 extended offset "
          "date-time format string: " +
          state.timestamp_path->text() + " == " + text);
    // Wait states may not wait further than the longest execution (about 68 years from epoch
    // in AWS's implementation: the boundary case is 24855 days from now).
    if (*t - now > std::chrono::hours(24 * 24855)) return Runtime("Wait state delay is too long.");
    return *t;
  }
  return now;
}

Result<FailInfo> EvaluateFail(const State& state, const Env& env) {
  FailInfo info;
  info.error = state.error;
  info.cause = state.cause;
  if (state.error_path) {
    WHARF_TRY(Json v, state.error_path->Evaluate(env, "ErrorPath"));
    info.error = v.is_string() ? v.as_string() : v.Dump();
  }
  if (state.cause_path) {
    WHARF_TRY(Json v, state.cause_path->Evaluate(env, "CausePath"));
    info.cause = v.is_string() ? v.as_string() : v.Dump();
  }
  return info;
}

Result<std::optional<int64_t>> ResolveIntOrPath(const IntOrPath& v, const Env& env,
                                                std::string_view field) {
  if (v.value) return std::optional<int64_t>(*v.value);
  if (!v.path) return std::optional<int64_t>();
  auto r = v.path->Evaluate(env);
  if (!r.ok()) return InvalidPath(*v.path, r.error());
  if (auto n = AsInteger(*r)) return std::optional<int64_t>(*n);
  return Runtime("The " + std::string(field) + " field refers to value \"" +
                 (r->is_string() ? r->as_string() : r->Dump()) +
                 "\" which is not a valid integer: " + v.path->text());
}

Result<Json> MapItems(const State& state, const Env& env) {
  Json items;
  if (state.items) {
    items = *state.items;
  } else if (state.items_path) {
    auto r = state.items_path->Evaluate(env);
    if (!r.ok()) return InvalidPath(*state.items_path, r.error());
    items = std::move(*r);
  } else {
    items = env.input;
  }
  if (!items.is_array())
    return Runtime("Map state input must be an array, got " +
                   std::string(Json::KindName(items.kind())) + ": " + items.Dump());
  return items;
}

Result<Json> MapIterationInput(const State& state, const Json& effective_input, const Json& context,
                               const VarScope* vars, Entropy* entropy, int64_t index,
                               const Json& item) {
  if (!state.parameters) return item;
  // "$$.Map.Item.Index" and "$$.Map.Item.Value" are available to ItemSelector (AWS guide, Map).
  Json map = Json::Object({{"Item", Json::Object({{"Index", Json::Int(index)}, {"Value", item}})}});
  Json ctx = context.is_object() ? context.Set("Map", map) : Json::Object({{"Map", map}});
  Env e{effective_input, ctx, vars, entropy};
  return state.parameters->Evaluate(e);
}

Result<Json> MapBatches(const State& state, const Json& items, const Env& env) {
  if (!state.item_batcher) return items;
  const ItemBatcher& b = *state.item_batcher;
  WHARF_TRY(auto max_items, ResolveIntOrPath(b.max_items_per_batch, env, "MaxItemsPerBatchPath"));
  WHARF_TRY(auto max_bytes,
            ResolveIntOrPath(b.max_input_bytes_per_batch, env, "MaxInputBytesPerBatchPath"));
  Json batch_input;
  bool has_batch_input = false;
  if (b.batch_input) {
    WHARF_TRY(batch_input, b.batch_input->Evaluate(env));
    has_batch_input = true;
  }
  int64_t per = max_items && *max_items > 0 ? *max_items : INT64_MAX;
  int64_t bytes_cap = max_bytes && *max_bytes > 0 ? *max_bytes : INT64_MAX;
  JsonArray batches;
  JsonArray current;
  int64_t current_bytes = 0;
  auto flush = [&] {
    if (current.empty()) return;
    std::vector<JsonMember> m;
    if (has_batch_input) m.emplace_back("BatchInput", batch_input);
    m.emplace_back("Items", Json::Array(std::move(current)));
    batches.push_back(Json::Object(std::move(m)));
    current.clear();
    current_bytes = 0;
  };
  for (auto& item : items.as_array()) {
    int64_t sz = static_cast<int64_t>(SerializedSize(item));
    if (!current.empty() &&
        (static_cast<int64_t>(current.size()) >= per || current_bytes + sz > bytes_cap))
      flush();
    current.push_back(item);
    current_bytes += sz;
  }
  flush();
  return Json::Array(std::move(batches));
}

Result<Tolerance> MapTolerance(const State& state, const Env& env) {
  Tolerance t;
  if (state.tolerated_failure_count) t.count = *state.tolerated_failure_count;
  if (state.tolerated_failure_count_path) {
    auto r = state.tolerated_failure_count_path->Evaluate(env);
    if (!r.ok()) return InvalidPath(*state.tolerated_failure_count_path, r.error());
    auto n = AsInteger(*r);
    if (!n)
      return Runtime(
          "The ToleratedFailureCountPath field refers to value \"" +
          (r->is_string() ? r->as_string() : r->Dump()) +
          "\" which is not a valid integer: " + state.tolerated_failure_count_path->text());
    t.count = *n;
  }
  if (t.count < -1 || (t.count == -1 && state.tolerated_failure_count_path))
    return Runtime("ToleratedFailureCount cannot be negative.");
  if (state.tolerated_failure_percentage) t.percentage = *state.tolerated_failure_percentage;
  if (state.tolerated_failure_percentage_path) {
    auto r = state.tolerated_failure_percentage_path->Evaluate(env);
    if (!r.ok()) return InvalidPath(*state.tolerated_failure_percentage_path, r.error());
    if (!r->is_number())
      return Runtime(
          "The ToleratedFailurePercentagePath field refers to value \"" +
          (r->is_string() ? r->as_string() : r->Dump()) +
          "\" which is not a valid float: " + state.tolerated_failure_percentage_path->text());
    t.percentage = r->as_double();
    if (t.percentage < 0 || t.percentage > 100)
      return Runtime("ToleratedFailurePercentage must be between 0 and 100.");
  }
  return t;
}

Result<int64_t> MapMaxConcurrency(const State& state, const Env& env) {
  WHARF_TRY(auto v, ResolveIntOrPath(state.max_concurrency, env, "MaxConcurrencyPath"));
  if (!v) return int64_t{0};
  if (*v < 0) return Runtime("MaxConcurrency cannot be negative.");
  return *v;
}

}  // namespace wharf::asl
