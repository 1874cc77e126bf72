// ParseDefinition and the small parts of the model (see definition.h). The checks themselves live
// in validator.cc (machines and transitions), validator_states.cc (each state type),
// validator_fields.cc (shared fields) and validator_map.cc (the Map state).
#include "asl/definition.h"

#include <cctype>

#include "asl/validator.h"

namespace wharf::asl {

using internal::Issue;
using internal::Loc;
using internal::Segment;

const char* StateTypeName(StateType t) {
  switch (t) {
    case StateType::kPass:
      return "Pass";
    case StateType::kTask:
      return "Task";
    case StateType::kChoice:
      return "Choice";
    case StateType::kWait:
      return "Wait";
    case StateType::kSucceed:
      return "Succeed";
    case StateType::kFail:
      return "Fail";
    case StateType::kParallel:
      return "Parallel";
    case StateType::kMap:
      return "Map";
  }
  return "?";
}

const State* StateMachine::Find(std::string_view name) const {
  auto it = index.find(std::string(name));
  return it == index.end() ? nullptr : &states[it->second];
}

namespace {

// 1-based line of byte `offset` in `text`.
size_t LineOf(std::string_view text, size_t offset) {
  size_t line = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) line += text[i] == '\n';
  return line;
}

// "<source>:<line>: <place>: <what>" (the line only when the source text is known).
Error Format(const Issue& issue, const ParseOptions& options, std::string_view text) {
  std::string msg = options.source_name;
  if (!text.empty()) {
    msg += ':';
    msg += std::to_string(LineOf(text, internal::LocateInSource(text, issue.loc.pointer)));
  }
  msg += ": ";
  if (!issue.preformatted) {
    msg += issue.loc.Describe();
    msg += ": ";
  }
  msg += issue.text;
  return MakeError(issue.code, std::move(msg));
}

bool Mentions(std::string_view text) { return text.find("$$") != std::string_view::npos; }

// Does the state mention the context object anywhere? Choice rules and Map (whose ItemSelector
// reads $$.Map.Item) are assumed to.
bool ReadsContext(const State& s) {
  if (s.type == StateType::kChoice || s.type == StateType::kMap) return true;
  auto tmpl = [](const std::optional<PayloadTemplate>& t) {
    return t && Mentions(t->source().Dump());
  };
  auto path = [](const auto& p) { return p && Mentions(p->text()); };
  bool reads = tmpl(s.parameters) || tmpl(s.result_selector) || tmpl(s.assign) ||
               tmpl(s.credentials_template) || path(s.input_path.path) ||
               path(s.output_path.path) || path(s.error_path) || path(s.cause_path) ||
               path(s.seconds_path) || path(s.timestamp_path) || path(s.timeout_seconds.path) ||
               path(s.heartbeat_seconds.path);
  for (auto& c : s.catchers) reads = reads || tmpl(c.assign);
  return reads;
}

void MarkContextReaders(StateMachine& machine) {
  for (auto& s : machine.states) {
    s.reads_context = ReadsContext(s);
    for (auto& b : s.branches) MarkContextReaders(const_cast<StateMachine&>(*b));
    if (s.processor) MarkContextReaders(const_cast<StateMachine&>(*s.processor));
  }
}

Result<std::shared_ptr<const StateMachine>> Parse(const Json& doc, const ParseOptions& options,
                                                  std::string_view text) {
  // JSONata is recognised but not implemented: say so before anything else, since the rest of
  // such a definition is written in a language the validator does not check.
  if (auto where = internal::FindJsonata(doc)) {
    Issue issue{"UnsupportedFeature", *where,
                "JSONata is not supported yet (QueryLanguage \"JSONata\"); write the state "
                "machine with JSONPath",
                false};
    return Format(issue, options, text);
  }
  internal::Validator validator;
  auto machine = validator.Run(doc);
  if (!machine) return Format(validator.issue(), options, text);
  // The nested machines were built here and are not shared yet, so marking them is safe.
  MarkContextReaders(const_cast<StateMachine&>(*machine));
  return machine;
}

}  // namespace

Result<std::shared_ptr<const StateMachine>> ParseDefinition(std::string_view text,
                                                            const ParseOptions& options) {
  auto doc = Json::Parse(text);
  if (!doc.ok()) {
    // Json::Parse says "invalid JSON at line N, column M: why"; lead with "<source>:<N>: ".
    const std::string& why = doc.error().message;
    std::string line;
    size_t at = why.find("line ");
    if (at != std::string::npos) {
      for (size_t i = at + 5; i < why.size() && std::isdigit(static_cast<unsigned char>(why[i]));
           ++i)
        line += why[i];
    }
    return MakeError("InvalidDefinition",
                     options.source_name + (line.empty() ? "" : ":" + line) + ": " + why);
  }
  return Parse(*doc, options, text);
}

Result<std::shared_ptr<const StateMachine>> ParseDefinition(const Json& doc,
                                                            const ParseOptions& options) {
  return Parse(doc, options, {});
}

}  // namespace wharf::asl
