// One state: its type, the fields every type shares, then the fields of Pass, Task, Choice, Wait,
// Succeed, Fail and Parallel (Map is in validator_map.cc).
#include "asl/timestamp.h"
#include "asl/validator.h"

namespace wharf::asl::internal {

namespace {

std::optional<StateType> TypeFromName(std::string_view name) {
  static constexpr StateType kTypes[] = {
      StateType::kPass,    StateType::kTask, StateType::kChoice,   StateType::kWait,
      StateType::kSucceed, StateType::kFail, StateType::kParallel, StateType::kMap};
  for (StateType t : kTypes)
    if (name == StateTypeName(t)) return t;
  return std::nullopt;
}

bool HasResultPath(StateType t) {
  return t == StateType::kPass || t == StateType::kTask || t == StateType::kParallel ||
         t == StateType::kMap;
}

bool Transitions(StateType t) {
  return t != StateType::kChoice && t != StateType::kSucceed && t != StateType::kFail;
}

}  // namespace

bool Validator::ParseState(const std::string& name, const Json& body, const Loc& loc, State& out) {
  if (!body.is_object())
    return Fail(loc,
                "a state must be a JSON object, not " + std::string(Json::KindName(body.kind())));
  out.name = name;
  const Json* type = body.find("Type");
  if (!type) return Fail(loc, "required field 'Type' is missing");
  if (!type->is_string()) return Fail(loc.Key("Type"), "must be a string");
  auto t = TypeFromName(type->as_string());
  if (!t)
    return Fail(loc.Key("Type"), "unknown state type '" + type->as_string() +
                                     "' (expected Pass, Task, Choice, Wait, Succeed, Fail, "
                                     "Parallel or Map)");
  out.type = *t;
  if (!CheckAllowedFields(body, loc, out.type)) return false;

  if (const Json* c = body.find("Comment"))
    if (!ParseString(*c, loc.Key("Comment"), out.comment, Empty::kAllowed)) return false;
  if (const Json* q = body.find("QueryLanguage")) {
    // "JSONata" was turned away before validation started.
    if (!q->is_string() || q->as_string() != "JSONPath")
      return Fail(loc.Key("QueryLanguage"), "must be \"JSONPath\" or \"JSONata\"");
  }

  // The path pipeline (spec §Input and Output Processing).
  if (!ParsePathField(body, "InputPath", loc, out.input_path)) return false;
  if (!ParsePathField(body, "OutputPath", loc, out.output_path)) return false;
  if (HasResultPath(out.type) &&
      !ParseResultPath(body.find("ResultPath"), loc.Key("ResultPath"), out.result_path))
    return false;
  if (out.type != StateType::kMap) {
    if (const Json* p = body.find("Parameters"))
      if (!ParseTemplate(*p, loc.Key("Parameters"), out.parameters, Shape::kObjectOrArray))
        return false;
  }
  if (const Json* p = body.find("ResultSelector"))
    if (!ParseTemplate(*p, loc.Key("ResultSelector"), out.result_selector, Shape::kObjectOrArray))
      return false;
  if (!ParseAssign(body, loc, out.assign)) return false;
  if (const Json* r = body.find("Retry"))
    if (!ParseRetry(*r, loc.Key("Retry"), out.retry)) return false;
  if (const Json* c = body.find("Catch"))
    if (!ParseCatch(*c, loc.Key("Catch"), out.catchers)) return false;
  if (Transitions(out.type) && !ParseTransition(body, loc, out)) return false;

  switch (out.type) {
    case StateType::kPass:
      if (const Json* r = body.find("Result")) out.result = *r;
      return true;

    case StateType::kTask: {
      const Json* resource = body.find("Resource");
      if (!resource) return Fail(loc, "required field 'Resource' is missing");
      if (!ParseResource(*resource, loc.Key("Resource"), out.resource)) return false;
      // Spec §Task State: TimeoutSeconds and HeartbeatSeconds are positive integers, each may be
      // given through a ...Path instead, and HeartbeatSeconds must be smaller than TimeoutSeconds.
      if (!ParseIntOrPath(body, "TimeoutSeconds", loc, 1, 99999999, out.timeout_seconds))
        return false;
      if (!ParseIntOrPath(body, "HeartbeatSeconds", loc, 1, 99999999, out.heartbeat_seconds))
        return false;
      if (out.timeout_seconds.value && out.heartbeat_seconds.value &&
          *out.heartbeat_seconds.value >= *out.timeout_seconds.value)
        return Fail(loc.Key("HeartbeatSeconds"), "must be smaller than TimeoutSeconds (" +
                                                     std::to_string(*out.timeout_seconds.value) +
                                                     ")");
      if (const Json* c = body.find("Credentials")) {
        if (!ParseTemplate(*c, loc.Key("Credentials"), out.credentials_template, Shape::kObject))
          return false;
        out.credentials = *c;
      }
      return true;
    }

    case StateType::kChoice: {
      // Spec §Choice State: "Choices" is a non-empty array of Choice Rules; top-level rules
      // transition with "Next" (never "End"); "Default" is optional.
      const Json* choices = body.find("Choices");
      if (!choices) return Fail(loc, "required field 'Choices' is missing");
      if (!choices->is_array() || choices->size() == 0)
        return Fail(loc.Key("Choices"), "must be a non-empty array of Choice Rules");
      for (size_t i = 0; i < choices->size(); ++i) {
        const Json& rule = *choices->at(i);
        Loc rloc = loc.Key("Choices").Index(i);
        if (!rule.is_object()) return Fail(rloc, "a Choice Rule must be a JSON object");
        if (rule.find("End"))
          return Fail(rloc.Key("End"), "a Choice Rule cannot end the execution; it needs 'Next'");
        const Json* next = rule.find("Next");
        if (!next) return Fail(rloc, "required field 'Next' is missing");
        std::string ignored;
        if (!ParseString(*next, rloc.Key("Next"), ignored, Empty::kRejected)) return false;
        auto parsed = ChoiceRule::Parse(rule, true, rloc.Describe());
        if (!parsed.ok()) return FailPreformatted(rloc, parsed.error());
        out.choices.push_back(std::move(*parsed));
      }
      if (const Json* d = body.find("Default"))
        if (!ParseString(*d, loc.Key("Default"), out.default_next, Empty::kRejected)) return false;
      return true;
    }

    case StateType::kWait: {
      // Spec §Wait State: exactly one of Seconds, SecondsPath, Timestamp, TimestampPath.
      static constexpr const char* kFields[] = {"Seconds", "SecondsPath", "Timestamp",
                                                "TimestampPath"};
      std::vector<std::string> given;
      for (const char* f : kFields)
        if (body.find(f)) given.push_back(f);
      if (given.empty())
        return Fail(loc,
                    "a Wait state needs one of Seconds, SecondsPath, Timestamp, "
                    "TimestampPath");
      if (given.size() > 1)
        return Fail(loc.Key(given[1]), "cannot be combined with '" + given[0] +
                                           "': a Wait state takes exactly one of Seconds, "
                                           "SecondsPath, Timestamp, TimestampPath");
      if (const Json* s = body.find("Seconds")) {
        int64_t n = 0;
        if (!ParseInt(*s, loc.Key("Seconds"), 0, 99999999, n)) return false;
        out.seconds = static_cast<double>(n);
      }
      if (const Json* s = body.find("SecondsPath"))
        if (!ParseReferencePath(*s, loc.Key("SecondsPath"), out.seconds_path)) return false;
      if (const Json* s = body.find("Timestamp")) {
        std::string text;
        if (!ParseString(*s, loc.Key("Timestamp"), text, Empty::kRejected)) return false;
        if (!ParseTimestamp(text))
          return Fail(loc.Key("Timestamp"),
                      "'" + text + "' is not an RFC 3339 timestamp (e.g. 2016-03-14T01:59:00Z)");
        out.timestamp = std::move(text);
      }
      if (const Json* s = body.find("TimestampPath"))
        if (!ParseReferencePath(*s, loc.Key("TimestampPath"), out.timestamp_path)) return false;
      return true;
    }

    case StateType::kSucceed:
      return true;

    case StateType::kFail: {
      // Spec §Fail State: Error / ErrorPath and Cause / CausePath are each mutually exclusive;
      // the ...Path forms take a reference path or an intrinsic function.
      struct Pair {
        const char* literal;
        const char* path;
        std::optional<std::string>* value;
        std::optional<Expression>* expr;
      };
      Pair pairs[] = {{"Error", "ErrorPath", &out.error, &out.error_path},
                      {"Cause", "CausePath", &out.cause, &out.cause_path}};
      for (const Pair& p : pairs) {
        const Json* lit = body.find(p.literal);
        const Json* path = body.find(p.path);
        if (lit && path)
          return Fail(loc.Key(p.path), std::string("cannot be combined with '") + p.literal + "'");
        if (lit) {
          std::string s;
          if (!ParseString(*lit, loc.Key(p.literal), s, Empty::kAllowed)) return false;
          *p.value = std::move(s);
        }
        if (path) {
          Loc ploc = loc.Key(p.path);
          if (!path->is_string()) return Fail(ploc, "must be a path or intrinsic function string");
          auto expr = Expression::Parse(path->as_string());
          if (!expr.ok())
            return Fail(ploc, "invalid path or intrinsic function '" + path->as_string() +
                                  "': " + expr.error().message);
          if (expr->is_path() && !expr->path()->IsReferencePath())
            return Fail(ploc,
                        "must be a reference path (only member names and array indexes) "
                        "or an intrinsic function, not '" +
                            path->as_string() + "'");
          *p.expr = std::move(*expr);
        }
      }
      return true;
    }

    case StateType::kParallel: {
      // Spec §Parallel State: "Branches" is a non-empty array of state machines (objects with
      // StartAt and States); a branch is self-contained.
      const Json* branches = body.find("Branches");
      if (!branches) return Fail(loc, "required field 'Branches' is missing");
      if (!branches->is_array() || branches->size() == 0)
        return Fail(loc.Key("Branches"), "must be a non-empty array of state machines");
      for (size_t i = 0; i < branches->size(); ++i) {
        auto branch =
            ParseMachine(*branches->at(i), loc.Key("Branches").Index(i), MachineKind::kBranch);
        if (!branch) return false;
        out.branches.push_back(std::move(branch));
      }
      return true;
    }

    case StateType::kMap:
      return ParseMapFields(body, loc, out);
  }
  return true;
}

}  // namespace wharf::asl::internal
