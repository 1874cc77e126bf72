// What a rule's target receives (EventBridge's Target: Input, InputPath, InputTransformer):
//   - nothing set: the whole event;
//   - Input: a constant JSON text;
//   - InputPath: the part of the event a JSONPath names;
//   - InputTransformer: variables taken from the event by InputPathsMap, put into InputTemplate.
//
// InputTemplate follows EventBridge:
//   - `<name>` is a placeholder when `name` is a key of InputPathsMap or a reserved variable
//     (aws.events.rule-arn, aws.events.rule-name, aws.events.event.ingestion-time,
//     aws.events.event, aws.events.event.json); any other `<...>` is text. `<` and `>` cannot be
//     escaped.
//   - Outside a JSON string a placeholder becomes the value's JSON (a string with its quotes);
//     inside one, a string's characters (escaped for JSON) or any other value's JSON text
//     (escaped). A path that finds nothing gives null outside a string and nothing inside one.
//     In a free-text template (not a JSON object), a string outside quotes is its characters.
//   - aws.events.event is the event without its `detail`, aws.events.event.json the whole event;
//     both are inserted as JSON and not escaped, so they belong outside strings.
//   - A template that is a JSON object (it starts with '{') must stay valid JSON whatever the
//     values, and may not use a placeholder as a key; any other template is free text, and what
//     the target receives is that text.
// Paths are the Jayway JSONPath of asl/jsonpath.h, the dialect EventBridge documents (dots,
// dashes, indexes, wildcards); a path with a wildcard gives an array of what it matched.
//
// Thread-safety: immutable after Compile; Render may run from any thread.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "asl/jsonpath.h"
#include "core/json.h"
#include "core/result.h"

namespace wharf::events {

inline constexpr size_t kMaxInputPaths = 100;           // entries of InputPathsMap
inline constexpr size_t kMaxInputTemplateBytes = 8192;  // InputTemplate
inline constexpr size_t kMaxInputBytes = 8192;          // Input
inline constexpr size_t kMaxInputPathBytes = 256;       // InputPath, and each InputPathsMap path

// The target's input settings as PutTargets takes them (each optional; at most one set).
struct TargetInputSpec {
  std::optional<std::string> input;       // Input: JSON text
  std::optional<std::string> input_path;  // InputPath
  struct Transformer {
    std::vector<std::pair<std::string, std::string>> paths;  // InputPathsMap, in order
    std::string input_template;                              // InputTemplate
  };
  std::optional<Transformer> transformer;  // InputTransformer
};

// What the reserved variables stand for when one event goes to one target.
struct DeliveryContext {
  std::string rule_arn;
  std::string rule_name;
  std::string ingestion_time;  // ISO 8601, as the event's time field
};

class TargetInput {
 public:
  // Checks the settings as PutTargets does. Errors have the code ValidationException and name
  // the field: "InputTransformer.InputPathsMap.path: ...", "InputTemplate: ...", "Input: ...".
  static Result<TargetInput> Compile(const TargetInputSpec& spec);

  TargetInput();  // the whole event

  // The text the target receives for `event`. It is JSON except from a free-text template.
  std::string Render(const Json& event, const DeliveryContext& context) const;

 private:
  struct Impl;
  explicit TargetInput(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace wharf::events
