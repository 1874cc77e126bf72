// Fields that several state types share: which fields each type allows, Next/End, the paths,
// payload templates, Assign, Retry and Catch, and the scalar checks behind them.
#include <cctype>
#include <cmath>
#include <limits>

#include "asl/validator.h"

namespace wharf::asl::internal {

namespace {

constexpr unsigned Bit(StateType t) { return 1u << static_cast<unsigned>(t); }
constexpr unsigned kPass = Bit(StateType::kPass), kTask = Bit(StateType::kTask),
                   kChoice = Bit(StateType::kChoice), kWait = Bit(StateType::kWait),
                   kSucceed = Bit(StateType::kSucceed), kFail = Bit(StateType::kFail),
                   kParallel = Bit(StateType::kParallel), kMap = Bit(StateType::kMap);
constexpr unsigned kAll = kPass | kTask | kChoice | kWait | kSucceed | kFail | kParallel | kMap;

struct FieldRule {
  const char* name;
  unsigned types;  // the state types that accept the field (JSONPath states)
};

// Spec §State Types and the AWS developer guide's tables of fields per state type.
constexpr FieldRule kFieldRules[] = {
    {"Type", kAll},
    {"Comment", kAll},
    {"QueryLanguage", kAll},
    {"InputPath", kAll & ~kFail},
    {"OutputPath", kAll & ~kFail},
    {"ResultPath", kPass | kTask | kParallel | kMap},
    {"Parameters", kPass | kTask | kParallel | kMap},
    {"ResultSelector", kTask | kParallel | kMap},
    {"Assign", kPass | kTask | kChoice | kWait | kParallel | kMap},
    {"Next", kPass | kTask | kWait | kParallel | kMap},
    {"End", kPass | kTask | kWait | kParallel | kMap},
    {"Retry", kTask | kParallel | kMap},
    {"Catch", kTask | kParallel | kMap},
    {"Result", kPass},
    {"Resource", kTask},
    {"TimeoutSeconds", kTask},
    {"TimeoutSecondsPath", kTask},
    {"HeartbeatSeconds", kTask},
    {"HeartbeatSecondsPath", kTask},
    {"Credentials", kTask},
    {"Choices", kChoice},
    {"Default", kChoice},
    {"Seconds", kWait},
    {"SecondsPath", kWait},
    {"Timestamp", kWait},
    {"TimestampPath", kWait},
    {"Error", kFail},
    {"ErrorPath", kFail},
    {"Cause", kFail},
    {"CausePath", kFail},
    {"Branches", kParallel},
    {"ItemsPath", kMap},
    {"Items", kMap},
    {"ItemSelector", kMap},
    {"ItemProcessor", kMap},
    {"Iterator", kMap},
    {"ItemReader", kMap},
    {"ItemBatcher", kMap},
    {"ResultWriter", kMap},
    {"MaxConcurrency", kMap},
    {"MaxConcurrencyPath", kMap},
    {"ToleratedFailurePercentage", kMap},
    {"ToleratedFailurePercentagePath", kMap},
    {"ToleratedFailureCount", kMap},
    {"ToleratedFailureCountPath", kMap},
    {"Label", kMap},
};

// Fields that exist only in JSONata states.
constexpr const char* kJsonataOnly[] = {"Output", "Arguments"};

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string StripDollar(std::string_view key) {
  if (key.size() >= 2 && key.substr(key.size() - 2) == ".$") key.remove_suffix(2);
  return std::string(key);
}

}  // namespace

bool Validator::CheckAllowedFields(const Json& body, const Loc& loc, StateType type) {
  for (const auto& [key, value] : body.as_object()) {
    const FieldRule* rule = nullptr;
    for (const FieldRule& r : kFieldRules)
      if (key == r.name) rule = &r;
    if (rule && (rule->types & Bit(type))) continue;
    if (rule) {
      return Fail(loc.Key(key),
                  std::string("field not allowed in a ") + StateTypeName(type) + " state");
    }
    for (const char* j : kJsonataOnly)
      if (key == j)
        return Fail(loc.Key(key),
                    "field exists only in JSONata states (\"QueryLanguage\": \"JSONata\"), "
                    "which are not supported yet");
    return Fail(loc.Key(key), "unknown field");
  }
  return true;
}

bool Validator::ParseTransition(const Json& body, const Loc& loc, State& out) {
  // Spec §Transitions: a non-terminal state has "Next"; a terminal one has "End": true; not both.
  const Json* next = body.find("Next");
  const Json* end = body.find("End");
  if (next && end) return Fail(loc.Key("End"), "cannot be combined with 'Next'");
  if (next) return ParseString(*next, loc.Key("Next"), out.next, Empty::kRejected);
  if (!end) return Fail(loc, "needs either 'Next' or \"End\": true");
  if (!end->is_bool()) return Fail(loc.Key("End"), "must be a boolean");
  if (!end->as_bool()) return Fail(loc.Key("End"), "is false and there is no 'Next'");
  out.end = true;
  return true;
}

bool Validator::ParsePathField(const Json& body, std::string_view key, const Loc& loc,
                               PathField& out) {
  const Json* v = body.find(key);
  if (!v) return true;
  out.present = true;
  // Spec §InputPath/OutputPath: null is allowed and means "{}".
  if (v->is_null()) {
    out.is_null = true;
    return true;
  }
  if (!v->is_string()) return Fail(loc.Key(key), "must be a path string or null");
  auto path = JsonPath::Parse(v->as_string());
  if (!path.ok())
    return Fail(loc.Key(key),
                "invalid path " + Quote(v->as_string()) + ": " + path.error().message);
  out.path = std::move(*path);
  return true;
}

bool Validator::ParseResultPath(const Json* value, const Loc& loc, ResultPathField& out) {
  if (!value) return true;
  out.present = true;
  if (value->is_null()) {
    out.is_null = true;
    return true;
  }
  if (!value->is_string()) return Fail(loc, "must be a reference path string or null");
  const std::string& text = value->as_string();
  auto path = JsonPath::Parse(text);
  if (!path.ok()) return Fail(loc, "invalid path " + Quote(text) + ": " + path.error().message);
  // Spec §ResultPath: "The value of ResultPath MUST be a Reference Path" into the state input.
  if (path->root() == JsonPath::Root::kVariable)
    return Fail(loc, "cannot refer to a variable (" + Quote(text) +
                         "); ResultPath writes into the state input, use Assign for variables");
  if (path->root() == JsonPath::Root::kContext)
    return Fail(loc, "cannot write to the context object (" + Quote(text) + ")");
  if (!path->IsReferencePath())
    return Fail(
        loc, "must be a reference path (only member names and array indexes), not " + Quote(text));
  out.path = std::move(*path);
  return true;
}

namespace {

// Payload templates (spec §Payload Template): a member whose name ends in ".$" holds a path or an
// intrinsic, and "a name may not appear twice once the .$ suffix is removed".
bool CheckTemplate(Validator& v, const Json& value, const Loc& loc) {
  if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i)
      if (!CheckTemplate(v, *value.at(i), loc.Index(i))) return false;
    return true;
  }
  if (!value.is_object()) return true;
  std::set<std::string, std::less<>> names;
  for (const auto& [key, member] : value.as_object()) {
    std::string name = StripDollar(key);
    if (!names.insert(name).second)
      return v.Fail(loc.Key(key), "'" + name + "' and '" + name +
                                      ".$' cannot both be set: they name the same field");
    if (name.size() != key.size()) {
      if (!member.is_string())
        return v.Fail(loc.Key(key),
                      "a field whose name ends in '.$' must be a string holding a path or an "
                      "intrinsic function, not " +
                          std::string(Json::KindName(member.kind())));
    } else if (!CheckTemplate(v, member, loc.Key(key))) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool Validator::ParseTemplate(const Json& value, const Loc& loc,
                              std::optional<PayloadTemplate>& out, Shape shape) {
  // Spec §Payload Template: a JSON object; AWS also takes an array of them for Parameters.
  if (shape == Shape::kObject && !value.is_object())
    return Fail(loc, "must be a JSON object, not " + std::string(Json::KindName(value.kind())));
  if (shape == Shape::kObjectOrArray && !value.is_object() && !value.is_array())
    return Fail(loc, "must be a JSON object (a payload template), not " +
                         std::string(Json::KindName(value.kind())));
  if (!CheckTemplate(*this, value, loc)) return false;
  auto compiled = PayloadTemplate::Compile(value, loc.Describe());
  if (!compiled.ok()) return FailPreformatted(loc, compiled.error());
  out = std::move(*compiled);
  return true;
}

bool Validator::ParseAssign(const Json& body, const Loc& loc, std::optional<PayloadTemplate>& out) {
  const Json* assign = body.find("Assign");
  if (!assign) return true;
  Loc aloc = loc.Key("Assign");
  if (!assign->is_object()) return Fail(aloc, "must be a JSON object of variable names and values");
  for (const auto& [key, value] : assign->as_object())
    if (StripDollar(key).empty()) return Fail(aloc.Key(key), "a variable name cannot be empty");
  return ParseTemplate(*assign, aloc, out, Shape::kObject);
}

namespace {

// Spec §Error names: "States.ALL" MUST appear alone in ErrorEquals and in the last
// Retrier / Catcher.
bool ParseErrorEquals(Validator& v, const Json& holder, const Loc& loc, bool last,
                      std::vector<std::string>& out) {
  const Json* errors = holder.find("ErrorEquals");
  if (!errors) return v.Fail(loc, "required field 'ErrorEquals' is missing");
  Loc eloc = loc.Key("ErrorEquals");
  if (!errors->is_array() || errors->size() == 0)
    return v.Fail(eloc, "must be a non-empty array of error names");
  for (size_t i = 0; i < errors->size(); ++i) {
    const Json& e = *errors->at(i);
    if (!e.is_string() || e.as_string().empty())
      return v.Fail(eloc.Index(i), "an error name must be a non-empty string");
    out.push_back(e.as_string());
  }
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] != "States.ALL") continue;
    if (out.size() > 1) return v.Fail(eloc.Index(i), "\"States.ALL\" must appear alone");
    if (!last)
      return v.Fail(eloc.Index(i), "\"States.ALL\" must be in the last element of the array");
  }
  return true;
}

bool CheckKeys(Validator& v, const Json& obj, const Loc& loc,
               std::initializer_list<std::string_view> allowed, const char* what) {
  for (const auto& [key, value] : obj.as_object()) {
    bool ok = false;
    for (std::string_view a : allowed) ok = ok || key == a;
    if (!ok) return v.Fail(loc.Key(key), std::string("unknown field in a ") + what);
  }
  return true;
}

}  // namespace

bool Validator::ParseRetry(const Json& value, const Loc& loc, std::vector<Retrier>& out) {
  if (!value.is_array()) return Fail(loc, "must be an array of retriers");
  for (size_t i = 0; i < value.size(); ++i) {
    const Json& r = *value.at(i);
    Loc rloc = loc.Index(i);
    if (!r.is_object()) return Fail(rloc, "a retrier must be a JSON object");
    if (!CheckKeys(*this, r, rloc,
                   {"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate",
                    "MaxDelaySeconds", "JitterStrategy", "Comment"},
                   "retrier"))
      return false;
    Retrier retrier;
    if (!ParseErrorEquals(*this, r, rloc, i + 1 == value.size(), retrier.error_equals))
      return false;
    int64_t n = 0;
    // Spec §Retrying after error: IntervalSeconds is a positive integer, MaxAttempts a
    // non-negative integer, BackoffRate a number >= 1.0, MaxDelaySeconds a positive integer.
    if (const Json* f = r.find("IntervalSeconds")) {
      if (!ParseInt(*f, rloc.Key("IntervalSeconds"), 1, 99999999, n)) return false;
      retrier.interval_seconds = static_cast<double>(n);
    }
    if (const Json* f = r.find("MaxAttempts")) {
      if (!ParseInt(*f, rloc.Key("MaxAttempts"), 0, 99999999, n)) return false;
      retrier.max_attempts = n;
    }
    if (const Json* f = r.find("BackoffRate")) {
      if (!f->is_number()) return Fail(rloc.Key("BackoffRate"), "must be a number");
      if (f->as_double() < 1.0) return Fail(rloc.Key("BackoffRate"), "must be at least 1.0");
      retrier.backoff_rate = f->as_double();
    }
    if (const Json* f = r.find("MaxDelaySeconds")) {
      if (!ParseInt(*f, rloc.Key("MaxDelaySeconds"), 1, 31622401, n)) return false;
      retrier.max_delay_seconds = n;
    }
    if (const Json* f = r.find("JitterStrategy")) {
      if (!f->is_string() || (f->as_string() != "FULL" && f->as_string() != "NONE"))
        return Fail(rloc.Key("JitterStrategy"), "must be \"FULL\" or \"NONE\"");
      retrier.jitter = f->as_string() == "FULL" ? Jitter::kFull : Jitter::kNone;
    }
    if (const Json* f = r.find("Comment")) {
      std::string ignored;
      if (!ParseString(*f, rloc.Key("Comment"), ignored, Empty::kAllowed)) return false;
    }
    out.push_back(std::move(retrier));
  }
  return true;
}

bool Validator::ParseCatch(const Json& value, const Loc& loc, std::vector<Catcher>& out) {
  if (!value.is_array()) return Fail(loc, "must be an array of catchers");
  for (size_t i = 0; i < value.size(); ++i) {
    const Json& c = *value.at(i);
    Loc cloc = loc.Index(i);
    if (!c.is_object()) return Fail(cloc, "a catcher must be a JSON object");
    if (!CheckKeys(*this, c, cloc, {"ErrorEquals", "Next", "ResultPath", "Assign", "Comment"},
                   "catcher"))
      return false;
    Catcher catcher;
    if (!ParseErrorEquals(*this, c, cloc, i + 1 == value.size(), catcher.error_equals))
      return false;
    const Json* next = c.find("Next");
    if (!next) return Fail(cloc, "required field 'Next' is missing");
    if (!ParseString(*next, cloc.Key("Next"), catcher.next, Empty::kRejected)) return false;
    if (!ParseResultPath(c.find("ResultPath"), cloc.Key("ResultPath"), catcher.result_path))
      return false;
    if (!ParseAssign(c, cloc, catcher.assign)) return false;
    if (const Json* f = c.find("Comment")) {
      std::string ignored;
      if (!ParseString(*f, cloc.Key("Comment"), ignored, Empty::kAllowed)) return false;
    }
    out.push_back(std::move(catcher));
  }
  return true;
}

bool Validator::ParseReferencePath(const Json& value, const Loc& loc,
                                   std::optional<JsonPath>& out) {
  if (!value.is_string()) return Fail(loc, "must be a reference path string");
  auto path = JsonPath::Parse(value.as_string());
  if (!path.ok())
    return Fail(loc, "invalid path " + Quote(value.as_string()) + ": " + path.error().message);
  if (!path->IsReferencePath())
    return Fail(loc, "must be a reference path (only member names and array indexes), not " +
                         Quote(value.as_string()));
  out = std::move(*path);
  return true;
}

bool Validator::ParseIntOrPath(const Json& body, std::string_view key, const Loc& loc, int64_t min,
                               int64_t max, IntOrPath& out) {
  std::string path_key = std::string(key) + "Path";
  const Json* v = body.find(key);
  const Json* p = body.find(path_key);
  if (v && p) return Fail(loc.Key(path_key), "cannot be combined with '" + std::string(key) + "'");
  if (v) {
    int64_t n = 0;
    if (!ParseInt(*v, loc.Key(key), min, max, n)) return false;
    out.value = n;
  }
  if (p) return ParseReferencePath(*p, loc.Key(path_key), out.path);
  return true;
}

bool Validator::ParseInt(const Json& value, const Loc& loc, int64_t min, int64_t max,
                         int64_t& out) {
  if (value.is_int()) {
    out = value.as_int();
  } else if (value.is_double()) {
    double d = value.as_double();
    if (d != std::floor(d)) return Fail(loc, "must be an integer");
    if (d < static_cast<double>(min)) return Fail(loc, "must be at least " + std::to_string(min));
    if (d > static_cast<double>(max)) return Fail(loc, "must be at most " + std::to_string(max));
    out = static_cast<int64_t>(d);
  } else {
    return Fail(loc, "must be an integer, not " + std::string(Json::KindName(value.kind())));
  }
  if (out < min) return Fail(loc, "must be at least " + std::to_string(min));
  if (out > max) return Fail(loc, "must be at most " + std::to_string(max));
  return true;
}

bool Validator::ParseString(const Json& value, const Loc& loc, std::string& out, Empty empty) {
  if (!value.is_string())
    return Fail(loc, "must be a string, not " + std::string(Json::KindName(value.kind())));
  if (empty == Empty::kRejected && value.as_string().empty()) return Fail(loc, "must not be empty");
  out = value.as_string();
  return true;
}

namespace {

bool IsQualifierChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '$';
}

}  // namespace

bool Validator::ParseResource(const Json& value, const Loc& loc, std::string& out) {
  if (!ParseString(value, loc, out, Empty::kRejected)) return false;
  // AWS (SCHEMA_VALIDATION_FAILED "Value is not a valid resource ARN"): the Resource is an ARN,
  // arn:<partition>:<service>:<region>:<account>:<resource>; region and account may be empty.
  std::vector<std::string_view> parts;
  std::string_view rest = out;
  for (int i = 0; i < 5; ++i) {
    size_t colon = rest.find(':');
    if (colon == std::string_view::npos) {
      parts.clear();
      break;
    }
    parts.push_back(rest.substr(0, colon));
    rest.remove_prefix(colon + 1);
  }
  if (parts.size() != 5 || parts[0] != "arn" || parts[1].empty() || parts[2].empty() ||
      rest.empty())
    return Fail(loc, "is not a valid resource ARN: " + Quote(out));
  // A Lambda function ARN: function:<name>[:<version or alias>].
  if (parts[2] == "lambda" && rest.substr(0, 9) == "function:") {
    std::string_view fn = rest.substr(9);
    size_t colon = fn.find(':');
    std::string_view name = fn.substr(0, colon);
    if (name.empty()) return Fail(loc, "Lambda function ARN without a function name");
    if (colon != std::string_view::npos) {
      std::string_view qualifier = fn.substr(colon + 1);
      bool ok = !qualifier.empty();
      for (char c : qualifier) ok = ok && IsQualifierChar(c);
      if (!ok)
        return Fail(loc,
                    "Lambda function ARN with an invalid version or alias " + Quote(qualifier));
    }
  }
  return true;
}

}  // namespace wharf::asl::internal
