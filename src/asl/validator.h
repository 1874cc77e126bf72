// The definition validator's internals, shared by definition.cc and validator_*.cc; not a public
// interface. The Validator walks a definition document once, builds the StateMachine model and
// stops at the first problem, remembering where it is (a JSON pointer into the document) so that
// ParseDefinition can name the state, the field and the source line.
// Thread-safety: a Validator is used by one thread for one definition.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "asl/definition.h"
#include "core/json.h"

namespace wharf::asl::internal {

// One step of a JSON pointer: an object member name or an array index.
using Segment = std::variant<std::string, size_t>;

// A place in the definition document.
struct Loc {
  std::vector<Segment> pointer;  // from the document root
  std::string state;             // the enclosing state's name; empty at the top level
  size_t field_from = 0;         // pointer[field_from..] names the field, relative to the state

  Loc Key(std::string_view key) const;
  Loc Index(size_t i) const;
  // The same place, now inside state `name` (whose object is at this pointer).
  Loc EnterState(const std::string& name) const;
  // "Choices[0].Next", "Retry[1].BackoffRate", ... ; empty when the place is the state itself.
  std::string FieldLabel() const;
  // "state 'X' field 'Y'", "state 'X'", "field 'StartAt'" or "definition".
  std::string Describe() const;
};

// The first problem found.
struct Issue {
  std::string code;  // "InvalidDefinition" or "UnsupportedFeature"
  Loc loc;
  std::string text;           // what is wrong
  bool preformatted = false;  // `text` already names the state and field (messages of sub-parsers)
};

class Validator {
 public:
  // Parses the top-level machine. On failure returns nullptr and issue() says why.
  std::shared_ptr<const StateMachine> Run(const Json& doc);
  const Issue& issue() const { return *issue_; }

  // ---- used by the validator_*.cc files ----

  // Records a problem at `loc`; always returns false so callers can `return Fail(...)`.
  bool Fail(const Loc& loc, std::string text);
  // Records a sub-parser's error (PayloadTemplate::Compile, ChoiceRule::Parse) whose message
  // already names the place.
  bool FailPreformatted(const Loc& loc, const Error& error);

  // A machine: the top level, a Parallel branch or a Map ItemProcessor/Iterator.
  enum class MachineKind { kTop, kBranch, kProcessor };
  std::shared_ptr<StateMachine> ParseMachine(const Json& doc, const Loc& loc, MachineKind kind);

  // One state (validator_states.cc).
  bool ParseState(const std::string& name, const Json& body, const Loc& loc, State& out);

  // Fields shared by several state types (validator_fields.cc).
  bool CheckAllowedFields(const Json& body, const Loc& loc, StateType type);
  bool ParseTransition(const Json& body, const Loc& loc, State& out);
  bool ParsePathField(const Json& body, std::string_view key, const Loc& loc, PathField& out);
  bool ParseResultPath(const Json* value, const Loc& loc, ResultPathField& out);
  enum class Shape { kObject, kObjectOrArray };
  bool ParseTemplate(const Json& value, const Loc& loc, std::optional<PayloadTemplate>& out,
                     Shape shape);
  bool ParseAssign(const Json& body, const Loc& loc, std::optional<PayloadTemplate>& out);
  bool ParseRetry(const Json& value, const Loc& loc, std::vector<Retrier>& out);
  bool ParseCatch(const Json& value, const Loc& loc, std::vector<Catcher>& out);
  // A reference path used to read a value (SecondsPath, ItemsPath, ...): any root is allowed.
  bool ParseReferencePath(const Json& value, const Loc& loc, std::optional<JsonPath>& out);
  // A literal integer in [min, max] or, under `key`+"Path", a reference path; not both.
  bool ParseIntOrPath(const Json& body, std::string_view key, const Loc& loc, int64_t min,
                      int64_t max, IntOrPath& out);
  bool ParseInt(const Json& value, const Loc& loc, int64_t min, int64_t max, int64_t& out);
  enum class Empty { kAllowed, kRejected };
  bool ParseString(const Json& value, const Loc& loc, std::string& out, Empty empty);
  bool ParseResource(const Json& value, const Loc& loc, std::string& out);

  // Map extras (validator_map.cc).
  bool ParseMapFields(const Json& body, const Loc& loc, State& out);

 private:
  // Sets `out` to the position of state `target` in `m`, or fails at `loc`.
  bool Resolve(const StateMachine& m, const std::string& target, const Loc& loc, int& out);

  std::optional<Issue> issue_;
  std::set<std::string, std::less<>> known_names_;  // every state name in the document
  std::set<std::string, std::less<>> all_names_;    // state names are unique machine-wide
  std::set<std::string, std::less<>> all_labels_;   // so are Map labels
};

// The first place where the definition asks for JSONata, or nullopt.
std::optional<Loc> FindJsonata(const Json& doc);

// Byte offset in `text` (valid JSON) of the member key or array element that `pointer` names,
// going as deep as the document allows; 0 when nothing matches.
size_t LocateInSource(std::string_view text, const std::vector<Segment>& pointer);

// Number of Unicode code points in a UTF-8 string.
size_t Utf8Length(std::string_view s);

}  // namespace wharf::asl::internal
