// The model of a state machine definition, compiled once from its JSON: states by index,
// transitions resolved, paths, templates and Choice rules parsed. The interpreter reads only
// this model, never the raw JSON.
// ParseDefinition validates everything the Amazon States Language and AWS's
// ValidateStateMachineDefinition check, and rejects a definition with a message that names the
// state, the field and (where it can) the line.
// Thread-safety: immutable after ParseDefinition; share it freely between threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "asl/choice.h"
#include "asl/jsonpath.h"
#include "asl/payload.h"
#include "core/json.h"
#include "core/result.h"

namespace wharf::asl {

enum class StateType { kPass, kTask, kChoice, kWait, kSucceed, kFail, kParallel, kMap };
enum class QueryLanguage { kJsonPath, kJsonata };

const char* StateTypeName(StateType t);  // "Pass", "Task", ...

// InputPath / OutputPath: absent means "$"; JSON null means "{}" goes in / out (spec §InputPath).
struct PathField {
  bool present = false;  // false: the default "$"
  bool is_null = false;  // the field is JSON null
  std::optional<JsonPath> path;
};

// ResultPath: absent means "$" (the result replaces the input); null discards the result.
struct ResultPathField {
  bool present = false;
  bool is_null = false;
  std::optional<JsonPath> path;  // a reference path
};

enum class Jitter { kNone, kFull };

struct Retrier {
  std::vector<std::string> error_equals;
  double interval_seconds = 1;
  int64_t max_attempts = 3;
  double backoff_rate = 2.0;
  std::optional<int64_t> max_delay_seconds;
  Jitter jitter = Jitter::kNone;
};

struct Catcher {
  std::vector<std::string> error_equals;
  std::string next;
  int next_index = -1;
  ResultPathField result_path;
  std::optional<PayloadTemplate> assign;
};

// A number given literally or through a path (TimeoutSeconds / TimeoutSecondsPath, ...).
struct IntOrPath {
  std::optional<int64_t> value;
  std::optional<JsonPath> path;
  bool present() const { return value.has_value() || path.has_value(); }
};

struct StateMachine;

struct ItemBatcher {
  IntOrPath max_items_per_batch;
  IntOrPath max_input_bytes_per_batch;
  std::optional<PayloadTemplate> batch_input;
};

struct State {
  std::string name;
  StateType type = StateType::kPass;
  std::string comment;
  QueryLanguage query_language = QueryLanguage::kJsonPath;

  // Transition. Exactly one of next/end for states that transition (not Choice/Succeed/Fail).
  std::string next;
  int next_index = -1;
  bool end = false;

  // The path pipeline.
  PathField input_path;
  PathField output_path;
  ResultPathField result_path;
  std::optional<PayloadTemplate> parameters;  // Parameters (Map: ItemSelector)
  std::optional<PayloadTemplate> result_selector;
  std::optional<PayloadTemplate> assign;
  std::optional<Json> result;  // Pass: Result

  std::vector<Retrier> retry;
  std::vector<Catcher> catchers;

  // Task.
  std::string resource;
  IntOrPath timeout_seconds;
  IntOrPath heartbeat_seconds;
  std::optional<Json> credentials;
  std::optional<PayloadTemplate> credentials_template;  // the same, compiled

  // Choice.
  std::vector<ChoiceRule> choices;
  std::vector<int> choice_indexes;  // choices[i].next() resolved to a position in the machine
  std::string default_next;
  int default_index = -1;

  // Wait: exactly one of these.
  std::optional<double> seconds;  // an integer >= 0 in practice
  std::optional<JsonPath> seconds_path;
  std::optional<std::string> timestamp;
  std::optional<JsonPath> timestamp_path;

  // Fail.
  std::optional<std::string> error;
  std::optional<std::string> cause;
  std::optional<Expression> error_path;  // a path or an intrinsic
  std::optional<Expression> cause_path;

  // Parallel.
  std::vector<std::shared_ptr<const StateMachine>> branches;

  // Map.
  std::shared_ptr<const StateMachine> processor;  // ItemProcessor or Iterator
  bool distributed = false;                       // ProcessorConfig.Mode == DISTRIBUTED
  std::string execution_type;                     // ProcessorConfig.ExecutionType, if given
  std::optional<JsonPath> items_path;             // default "$"
  std::optional<Json> items;                      // Items (JSONPath mode: literal array)
  bool item_selector_is_parameters = false;       // true when the definition used "Parameters"
  IntOrPath max_concurrency;
  std::optional<JsonPath> tolerated_failure_count_path;
  std::optional<int64_t> tolerated_failure_count;
  std::optional<JsonPath> tolerated_failure_percentage_path;
  std::optional<double> tolerated_failure_percentage;
  std::optional<ItemBatcher> item_batcher;
  std::optional<Json> item_reader;  // kept raw; a later issue reads objects
  std::optional<Json> result_writer;
  std::string label;

  // True when something in the state may read the context object ($$); the engine builds the
  // context only for such states. Set by ParseDefinition.
  bool reads_context = true;
};

struct StateMachine {
  std::string comment;
  std::string start_at;
  int start_index = -1;
  std::optional<int64_t> timeout_seconds;
  std::string version;  // "Version" ("1.0"), empty when absent
  QueryLanguage query_language = QueryLanguage::kJsonPath;
  std::vector<State> states;
  std::unordered_map<std::string, int> index;  // name -> position in `states`

  const State* Find(std::string_view name) const;
};

struct ParseOptions {
  // Where the definition came from, for messages ("orders.asl.json").
  std::string source_name = "definition";
};

// Parses and validates a definition. On failure the Error has code "InvalidDefinition" and a
// message such as:
//   orders.asl.json:14: state 'Check' field 'Choices[0].Next': no state named 'Nowhere'
// Definitions that use JSONata (QueryLanguage "JSONata" at the top or in a state) are rejected
// with code "UnsupportedFeature" and a message saying JSONata is not supported yet.
Result<std::shared_ptr<const StateMachine>> ParseDefinition(std::string_view text,
                                                            const ParseOptions& options = {});
// The same, from an already parsed document (line numbers are then unknown).
Result<std::shared_ptr<const StateMachine>> ParseDefinition(const Json& doc,
                                                            const ParseOptions& options = {});

}  // namespace wharf::asl
