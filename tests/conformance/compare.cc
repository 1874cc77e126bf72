// The conformance comparator; the rules are those of aws-recorded/README.md, "Comparing results".
#include "conformance/compare.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace wharf::conformance {

namespace {

// README rule 3: the ISO-8601 regex of LocalStack's snapshot tool, verbatim.
const std::regex& IsoDateRegex() {
  static const std::regex re(
      R"((?:[1-9]\d{3}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|)"
      R"((?:0[13578]|1[02])-31)|(?:[1-9]\d(?:0[48]|[2468][048]|[13579][26])|)"
      R"((?:[2468][048]|[13579][26])00)-02-29)T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?)"
      R"((?:Z|[+-][01]\d:?([0-5]\d)?))");
  return re;
}

// A cheap test that rules out most strings before running the regex: "dd:dd:dd" after a 'T'.
bool MayHoldIsoDate(std::string_view s) {
  size_t t = s.find('T');
  while (t != std::string_view::npos) {
    if (t >= 10 && t + 9 <= s.size() && s[t + 3] == ':' && s[t + 6] == ':') return true;
    t = s.find('T', t + 1);
  }
  return false;
}

// Replaces every match of `re` in `text` by `replacement` taken literally (Python's re.sub of a
// replacement without group references, as the snapshot tool used).
std::string ReplaceLiteral(const std::string& text, const std::regex& re,
                           const std::string& replacement) {
  std::string out;
  auto begin = std::sregex_iterator(text.begin(), text.end(), re);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    out.append(text, last, static_cast<size_t>(it->position()) - last);
    out += replacement;
    last = static_cast<size_t>(it->position() + it->length());
  }
  out.append(text, last, std::string::npos);
  return out;
}

// A value for a message, clipped; a string is clipped inside its quotes.
std::string Short(const Json& v) {
  constexpr size_t kMax = 120;
  if (v.is_string() && v.as_string().size() > kMax) {
    return Json::String(v.as_string().substr(0, kMax - 3) + "...").Dump();
  }
  std::string s = v.Dump();
  if (s.size() > kMax) s = s.substr(0, kMax - 3) + "...";
  return s;
}

std::string Short(std::string_view s) { return Short(Json::String(std::string(s))); }

std::string Member(const std::string& path, std::string_view key) {
  bool plain = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
  if (plain) return path + "." + std::string(key);
  return path + "[" + Json::String(std::string(key)).Dump() + "]";
}

bool NumbersEqual(const Json& a, const Json& b) {
  if (a.is_int() && b.is_int()) return a.as_int() == b.as_int();
  double x = a.as_double(), y = b.as_double();
  if (x == y) return true;
  double scale = std::max({1.0, std::fabs(x), std::fabs(y)});
  return std::fabs(x - y) <= 1e-12 * scale;
}

bool HasAngleToken(std::string_view s) {
  size_t open = s.find('<');
  while (open != std::string_view::npos) {
    size_t close = s.find_first_of("<>", open + 1);
    if (close == std::string_view::npos) return false;
    if (s[close] == '>' && close > open + 1) return true;
    open = s.find('<', open + 1);
  }
  return false;
}

std::optional<std::string> CompareImpl(const Json& expected, const Json& actual,
                                       const MatchRules& rules, const std::string& path,
                                       std::string_view key);

std::optional<std::string> CompareStrings(const std::string& e, const Json& actual,
                                          const MatchRules& rules, const std::string& path) {
  // Lambda error objects carry AWS's request id and Python stack trace: compare errorType and
  // errorMessage only (README "Caveats").
  if (actual.is_string() && IsRecordedLambdaError(e)) {
    auto want = ParseLambdaError(e);
    auto got = ParseLambdaError(actual.as_string());
    if (!got) {
      return path + ": expected a Lambda error object (errorType " + Short(want->error_type) +
             "), got " + Short(actual);
    }
    if (want->error_type != got->error_type) {
      return path + ".errorType: expected " + Short(want->error_type) + ", got " +
             Short(got->error_type);
    }
    if (want->error_message != got->error_message) {
      return path + ".errorMessage: expected " + Short(want->error_message) + ", got " +
             Short(got->error_message);
    }
    return std::nullopt;
  }
  if (!actual.is_string()) {
    return path + ": expected string " + Short(e) + ", got " + Short(actual);
  }
  const std::string& a = actual.as_string();
  if (e == a) return std::nullopt;
  if (rules.placeholders && HasAngleToken(e) && MatchTokenPattern(e, a)) return std::nullopt;
  return path + ": expected " + Short(e) + ", got " + Short(a);
}

std::optional<std::string> CompareObjects(const Json& expected, const Json& actual,
                                          const MatchRules& rules, const std::string& path) {
  for (const auto& [k, v] : expected.as_object()) {
    const Json* a = actual.find(k);
    std::string p = Member(path, k);
    if (a == nullptr) return p + ": missing (expected " + Short(v) + ")";
    if (auto diff = CompareImpl(v, *a, rules, p, k)) return diff;
  }
  for (const auto& [k, v] : actual.as_object()) {
    if (expected.find(k) == nullptr) {
      return Member(path, k) + ": unexpected member (value " + Short(v) + ")";
    }
  }
  return std::nullopt;
}

std::optional<std::string> CompareArrays(const Json& expected, const Json& actual,
                                         const MatchRules& rules, const std::string& path) {
  const JsonArray& e = expected.as_array();
  const JsonArray& a = actual.as_array();
  std::optional<std::string> first;
  for (size_t i = 0; i < std::min(e.size(), a.size()) && !first; ++i) {
    first = CompareImpl(e[i], a[i], rules, path + "[" + std::to_string(i) + "]", {});
  }
  if (e.size() != a.size()) {
    std::string msg = path + ": expected " + std::to_string(e.size()) + " elements, got " +
                      std::to_string(a.size());
    if (first) msg += " (first difference " + *first + ")";
    return msg;
  }
  return first;
}

std::optional<std::string> CompareImpl(const Json& expected, const Json& actual,
                                       const MatchRules& rules, const std::string& path,
                                       std::string_view key) {
  if (expected.is_string()) {
    const std::string& e = expected.as_string();
    // Rule 4: one token (or a bare word, or a key transformer's "value = key name") stands for
    // any value.
    if (rules.placeholders &&
        (IsAngleToken(e) || rules.bare_words.count(e) > 0 || (!key.empty() && e == key))) {
      return std::nullopt;
    }
    return CompareStrings(e, actual, rules, path);
  }
  if (expected.is_number() && actual.is_number()) {
    if (rules.number_form && expected.is_int() != actual.is_int()) {
      return path + ": expected " + Short(expected) + ", got " + Short(actual) + " (number form)";
    }
    if (NumbersEqual(expected, actual)) return std::nullopt;
    return path + ": expected " + Short(expected) + ", got " + Short(actual);
  }
  if (expected.kind() != actual.kind()) {
    return path + ": expected " + Short(expected) + ", got " + Short(actual);
  }
  switch (expected.kind()) {
    case Json::Kind::kObject:
      return CompareObjects(expected, actual, rules, path);
    case Json::Kind::kArray:
      return CompareArrays(expected, actual, rules, path);
    default:
      if (expected == actual) return std::nullopt;
      return path + ": expected " + Short(expected) + ", got " + Short(actual);
  }
}

// Applies `f` to every string (member names included) of `v`, rebuilding only what changed.
template <typename F>
Json MapStrings(const Json& v, const F& f) {
  switch (v.kind()) {
    case Json::Kind::kString: {
      auto s = f(v.as_string());
      return s ? Json::String(std::move(*s)) : v;
    }
    case Json::Kind::kArray: {
      JsonArray items;
      bool changed = false;
      items.reserve(v.size());
      for (const Json& item : v.as_array()) {
        items.push_back(MapStrings(item, f));
        changed = changed || !items.back().SameNode(item);
      }
      return changed ? Json::Array(std::move(items)) : v;
    }
    case Json::Kind::kObject: {
      std::vector<JsonMember> members;
      bool changed = false;
      members.reserve(v.size());
      for (const auto& [k, item] : v.as_object()) {
        auto nk = f(k);
        members.emplace_back(nk ? *nk : k, MapStrings(item, f));
        changed = changed || nk || !members.back().second.SameNode(item);
      }
      return changed ? Json::Object(std::move(members)) : v;
    }
    default:
      return v;
  }
}

}  // namespace

bool ContainsIsoDate(std::string_view text) {
  if (!MayHoldIsoDate(text)) return false;
  return std::regex_search(text.begin(), text.end(), IsoDateRegex());
}

std::string ReplaceIsoDates(std::string_view text) {
  std::string s(text);
  if (!MayHoldIsoDate(text)) return s;
  return ReplaceLiteral(s, IsoDateRegex(), "date");
}

bool IsAngleToken(std::string_view s) {
  return s.size() >= 3 && s.front() == '<' && s.back() == '>' &&
         s.find_first_of("<>", 1) == s.size() - 1;
}

bool MatchTokenPattern(std::string_view pattern, std::string_view text) {
  // Split the pattern into literal pieces around the tokens; a classic '*' wildcard match where
  // the first piece anchors at the start, the last at the end and the middle ones are found
  // left-most in order.
  std::vector<std::string_view> pieces;
  size_t pos = 0, lit_start = 0;
  while (pos < pattern.size()) {
    if (pattern[pos] == '<') {
      size_t close = pattern.find_first_of("<>", pos + 1);
      if (close != std::string_view::npos && pattern[close] == '>' && close > pos + 1) {
        pieces.push_back(pattern.substr(lit_start, pos - lit_start));
        pos = close + 1;
        lit_start = pos;
        continue;
      }
    }
    ++pos;
  }
  pieces.push_back(pattern.substr(lit_start));
  if (pieces.size() == 1) return pattern == text;  // no token
  // pieces.front() must be a prefix, pieces.back() a suffix (either may be empty).
  std::string_view head = pieces.front(), tail = pieces.back();
  if (text.size() < head.size() + tail.size()) return false;
  if (text.substr(0, head.size()) != head) return false;
  if (text.substr(text.size() - tail.size()) != tail) return false;
  size_t at = head.size();
  size_t limit = text.size() - tail.size();
  for (size_t i = 1; i + 1 < pieces.size(); ++i) {
    if (pieces[i].empty()) continue;
    size_t found = text.substr(0, limit).find(pieces[i], at);
    if (found == std::string_view::npos) return false;
    at = found + pieces[i].size();
  }
  return true;
}

std::optional<LambdaError> ParseLambdaError(std::string_view text) {
  auto doc = Json::Parse(text);
  if (doc.ok() && doc->is_object()) {
    const Json* type = doc->find("errorType");
    if (type == nullptr || !type->is_string()) return std::nullopt;
    const Json* message = doc->find("errorMessage");
    LambdaError e{type->as_string(), ""};
    if (message != nullptr)
      e.error_message = message->is_string() ? message->as_string() : message->Dump();
    return e;
  }
  // A regex transformer may have left the text invalid JSON: read the two fields one by one.
  static const std::regex type_re(R"rx("errorType"\s*:\s*"((?:[^"\\]|\\.)*)")rx");
  static const std::regex message_re(R"rx("errorMessage"\s*:\s*"((?:[^"\\]|\\.)*)")rx");
  std::string s(text);
  std::smatch m;
  if (!std::regex_search(s, m, type_re)) return std::nullopt;
  auto unescape = [](const std::string& body) {
    auto v = Json::Parse("\"" + body + "\"");
    return v.ok() && v->is_string() ? v->as_string() : body;
  };
  LambdaError e{unescape(m[1].str()), ""};
  if (std::regex_search(s, m, message_re)) e.error_message = unescape(m[1].str());
  return e;
}

bool IsRecordedLambdaError(std::string_view text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || text[first] != '{') return false;
  return text.find("\"errorType\"") != std::string_view::npos &&
         (text.find("\"stackTrace\"") != std::string_view::npos ||
          text.find("\"requestId\"") != std::string_view::npos);
}

std::set<std::string, std::less<>> DefaultBareWords() {
  // The README spells it "snf_role_arn"; the recorded data says "sfn_role_arn": accept both.
  return {"date", "timestamp", "snf_role_arn", "sfn_role_arn", "RequestId"};
}

std::optional<std::string> CompareJson(const Json& expected, const Json& actual,
                                       const MatchRules& rules, const std::string& path) {
  return CompareImpl(expected, actual, rules, path, {});
}

Result<Normalizer> Normalizer::Create(const Json& transformers) {
  Normalizer n;
  if (!transformers.is_array()) return n;
  for (const Json& t : transformers.as_array()) {
    const Json* kind = t.find("kind");
    const Json* replacement = t.find("replacement");
    if (kind == nullptr || !kind->is_string()) continue;
    if (kind->as_string() == "regex") {
      const Json* pattern = t.find("pattern");
      if (pattern == nullptr || !pattern->is_string() || replacement == nullptr ||
          !replacement->is_string()) {
        return MakeError("BadCase", "regex transformer without pattern/replacement");
      }
      try {
        n.regexes_.push_back({std::regex(pattern->as_string()), replacement->as_string()});
      } catch (const std::regex_error& e) {
        return MakeError("BadCase",
                         "transformer regex '" + pattern->as_string() + "': " + e.what());
      }
    } else if (replacement != nullptr && replacement->is_string()) {
      n.bare_words_.push_back(replacement->as_string());
    }
  }
  return n;
}

Json Normalizer::Apply(const Json& actual) const {
  Json v = actual;
  if (!regexes_.empty()) {
    std::string text = v.Dump();
    std::string replaced = text;
    for (const auto& r : regexes_) replaced = ReplaceLiteral(replaced, r.re, r.replacement);
    if (replaced != text) {
      auto parsed = Json::Parse(replaced);
      if (parsed.ok()) v = *parsed;
    }
  }
  return MapStrings(v, [](const std::string& s) -> std::optional<std::string> {
    if (!ContainsIsoDate(s)) return std::nullopt;
    return ReplaceIsoDates(s);
  });
}

std::string Normalizer::ApplyToString(const std::string& actual) const {
  Json v = Apply(Json::String(actual));
  return v.is_string() ? v.as_string() : v.Dump();
}

std::optional<std::string> CompareHistoryTypes(const std::vector<std::string>& expected,
                                               const std::vector<std::string>& actual) {
  size_t n = std::min(expected.size(), actual.size());
  for (size_t i = 0; i < n; ++i) {
    if (expected[i] != actual[i]) {
      return "history[" + std::to_string(i) + "]: expected " + expected[i] + ", got " + actual[i] +
             " (" + std::to_string(expected.size()) + " events on AWS, " +
             std::to_string(actual.size()) + " in wharf)";
    }
  }
  if (expected.size() > actual.size()) {
    return "history[" + std::to_string(n) + "]: expected " + expected[n] +
           ", got end of history (" + std::to_string(expected.size()) + " events on AWS, " +
           std::to_string(actual.size()) + " in wharf)";
  }
  if (actual.size() > expected.size()) {
    return "history[" + std::to_string(n) + "]: unexpected " + actual[n] + " after the end (" +
           std::to_string(expected.size()) + " events on AWS, " + std::to_string(actual.size()) +
           " in wharf)";
  }
  return std::nullopt;
}

namespace {

// assignedVariables values are JSON text; the snapshot tool parsed those starting with '{'.
Json AssignedAsValues(const Json& vars) {
  if (!vars.is_object()) return vars;
  std::vector<JsonMember> members;
  for (const auto& [k, v] : vars.as_object()) {
    if (v.is_string()) {
      auto parsed = Json::Parse(v.as_string());
      members.emplace_back(k, parsed.ok() ? *parsed : v);
    } else {
      members.emplace_back(k, v);
    }
  }
  return Json::Object(std::move(members));
}

bool IsEmptyOrAbsent(const Json* v) {
  return v == nullptr || v->is_null() || (v->is_object() && v->size() == 0);
}

std::optional<std::string> CompareState(const Json& e, const Json& a, const MatchRules& rules,
                                        const std::string& path) {
  const Json* et = e.find("type");
  const Json* at = a.find("type");
  if (et != nullptr && (at == nullptr || *et != *at)) {
    return path + ".type: expected " + Short(*et) + ", got " + (at ? Short(*at) : "none");
  }
  for (const char* field : {"enteredInput", "exitedOutput"}) {
    const Json* ev = e.find(field);
    const Json* av = a.find(field);
    if (ev == nullptr && av == nullptr) continue;
    if (ev == nullptr) return Member(path, field) + ": the state exited in wharf, not on AWS";
    if (av == nullptr) return Member(path, field) + ": the state never exited in wharf";
    if (auto diff = CompareJson(*ev, *av, rules, Member(path, field))) return diff;
  }
  const Json* ev = e.find("assignedVariables");
  const Json* av = a.find("assignedVariables");
  if (IsEmptyOrAbsent(ev) && IsEmptyOrAbsent(av)) return std::nullopt;
  if (IsEmptyOrAbsent(ev)) return path + ".assignedVariables: unexpected " + Short(*av);
  if (IsEmptyOrAbsent(av)) return path + ".assignedVariables: missing " + Short(*ev);
  return CompareJson(AssignedAsValues(*ev), AssignedAsValues(*av), rules,
                     path + ".assignedVariables");
}

std::string NameOf(const Json& state) {
  const Json* n = state.find("name");
  return n != nullptr && n->is_string() ? n->as_string() : "";
}

}  // namespace

std::optional<std::string> CompareStatesMultiset(const Json& expected, const Json& actual,
                                                 const MatchRules& rules) {
  if (!expected.is_array()) return std::nullopt;
  if (!actual.is_array()) return std::string("states: wharf recorded no states");
  std::map<std::string, std::vector<std::pair<const Json*, bool>>> by_name;
  for (const Json& a : actual.as_array()) by_name[NameOf(a)].emplace_back(&a, false);
  std::map<std::string, int> seen;
  for (const Json& e : expected.as_array()) {
    std::string name = NameOf(e);
    int nth = seen[name]++;
    std::string path = "states[" + Json::String(name).Dump() + "#" + std::to_string(nth) + "]";
    auto& candidates = by_name[name];
    const Json* first_unused = nullptr;
    bool matched = false;
    for (auto& [a, used] : candidates) {
      if (used) continue;
      if (first_unused == nullptr) first_unused = a;
      if (!CompareState(e, *a, rules, path)) {
        used = true;
        matched = true;
        break;
      }
    }
    if (matched) continue;
    if (first_unused == nullptr) {
      size_t want = 0;
      for (const Json& x : expected.as_array()) want += NameOf(x) == name;
      return "states: '" + name + "' entered " + std::to_string(want) + " times on AWS, " +
             std::to_string(candidates.size()) + " in wharf";
    }
    return CompareState(e, *first_unused, rules, path);
  }
  for (const auto& [name, candidates] : by_name) {
    size_t extra = std::count_if(candidates.begin(), candidates.end(),
                                 [](const auto& c) { return !c.second; });
    if (extra > 0) {
      return "states: '" + name + "' entered " + std::to_string(candidates.size()) +
             " times in wharf, " + std::to_string(candidates.size() - extra) + " on AWS";
    }
  }
  return std::nullopt;
}

std::optional<std::string> CompareCause(const Json& expected, bool cause_is_json,
                                        const std::string& actual, const MatchRules& rules) {
  if (!cause_is_json) return CompareJson(expected, Json::String(actual), rules, "cause");
  // The recorded cause was a JSON object (a Lambda error payload): parse the engine's text and
  // compare errorType and errorMessage only (README, `cause_is_json`).
  auto parsed = Json::Parse(actual);
  if (!parsed.ok() || !parsed->is_object()) {
    return "cause: expected a JSON error object, got " + Short(actual);
  }
  for (const char* field : {"errorType", "errorMessage"}) {
    const Json* e = expected.find(field);
    if (e == nullptr) continue;
    const Json* a = parsed->find(field);
    if (a == nullptr) return std::string("cause.") + field + ": missing in " + Short(actual);
    if (auto diff = CompareJson(*e, *a, rules, std::string("cause.") + field)) return diff;
  }
  return std::nullopt;
}

}  // namespace wharf::conformance
