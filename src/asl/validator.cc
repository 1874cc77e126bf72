// Machine-level validation: StartAt, States, state names, transitions, terminal states and
// reachability, for the top level and for every Parallel branch and Map processor. Also the
// places (Loc) that messages name and the search for JSONata.
#include <deque>

#include "asl/validator.h"

namespace wharf::asl::internal {

// ---- Loc ----

Loc Loc::Key(std::string_view key) const {
  Loc l = *this;
  l.pointer.emplace_back(std::string(key));
  return l;
}

Loc Loc::Index(size_t i) const {
  Loc l = *this;
  l.pointer.emplace_back(i);
  return l;
}

Loc Loc::EnterState(const std::string& name) const {
  Loc l = *this;
  l.state = name;
  l.field_from = pointer.size();
  return l;
}

std::string Loc::FieldLabel() const {
  std::string out;
  for (size_t i = field_from; i < pointer.size(); ++i) {
    if (auto* key = std::get_if<std::string>(&pointer[i])) {
      if (!out.empty()) out += '.';
      out += *key;
    } else {
      out += '[' + std::to_string(std::get<size_t>(pointer[i])) + ']';
    }
  }
  return out;
}

std::string Loc::Describe() const {
  std::string field = FieldLabel();
  std::string out;
  if (!state.empty()) out = "state '" + state + "'";
  if (!field.empty()) out += (out.empty() ? "" : " ") + ("field '" + field + "'");
  return out.empty() ? "definition" : out;
}

// ---- Validator ----

bool Validator::Fail(const Loc& loc, std::string text) {
  if (!issue_) issue_ = Issue{"InvalidDefinition", loc, std::move(text), false};
  return false;
}

bool Validator::FailPreformatted(const Loc& loc, const Error& error) {
  if (!issue_) issue_ = Issue{"InvalidDefinition", loc, error.message, true};
  return false;
}

namespace {

// Every state name in the document, to tell "no such state" from "a state of another branch".
void CollectNames(const Json& machine, std::set<std::string, std::less<>>& names) {
  const Json* states = machine.find("States");
  if (!states || !states->is_object()) return;
  for (const auto& [name, body] : states->as_object()) {
    names.insert(name);
    if (const Json* branches = body.find("Branches"); branches && branches->is_array())
      for (const Json& b : branches->as_array()) CollectNames(b, names);
    for (const char* key : {"ItemProcessor", "Iterator"})
      if (const Json* p = body.find(key)) CollectNames(*p, names);
  }
}

bool IsTerminal(const State& s) {
  return s.end || s.type == StateType::kSucceed || s.type == StateType::kFail;
}

}  // namespace

std::shared_ptr<const StateMachine> Validator::Run(const Json& doc) {
  CollectNames(doc, known_names_);
  auto machine = ParseMachine(doc, Loc{}, MachineKind::kTop);
  if (!machine) return nullptr;
  return machine;
}

bool Validator::Resolve(const StateMachine& m, const std::string& target, const Loc& loc,
                        int& out) {
  auto it = m.index.find(target);
  if (it != m.index.end()) {
    out = it->second;
    return true;
  }
  // Spec §Parallel / §Map: a branch (processor) is self-contained; "Next" may not leave it.
  if (known_names_.count(target))
    return Fail(loc, "state '" + target +
                         "' is outside this state machine's scope: a transition cannot leave or "
                         "enter a Parallel branch or a Map processor");
  return Fail(loc, "no state named '" + target + "'");
}

std::shared_ptr<StateMachine> Validator::ParseMachine(const Json& doc, const Loc& loc,
                                                      MachineKind kind) {
  if (!doc.is_object()) {
    Fail(loc,
         "a state machine must be a JSON object, not " + std::string(Json::KindName(doc.kind())));
    return nullptr;
  }
  auto machine = std::make_shared<StateMachine>();
  for (const auto& [key, value] : doc.as_object()) {
    bool known = key == "StartAt" || key == "States" || key == "Comment" ||
                 (kind == MachineKind::kTop &&
                  (key == "TimeoutSeconds" || key == "Version" || key == "QueryLanguage")) ||
                 (kind == MachineKind::kProcessor && key == "ProcessorConfig");
    if (!known) {
      Fail(loc.Key(key), kind == MachineKind::kTop ? "unknown top-level field"
                         : kind == MachineKind::kBranch
                             ? "unknown field in a Parallel branch (allowed: StartAt, States, "
                               "Comment)"
                             : "unknown field in a Map processor (allowed: StartAt, States, "
                               "Comment, ProcessorConfig)");
      return nullptr;
    }
  }
  if (const Json* c = doc.find("Comment"))
    if (!ParseString(*c, loc.Key("Comment"), machine->comment, Empty::kAllowed)) return nullptr;
  if (kind == MachineKind::kTop) {
    if (const Json* t = doc.find("TimeoutSeconds")) {
      int64_t v = 0;
      if (!ParseInt(*t, loc.Key("TimeoutSeconds"), 0, 99999999, v)) return nullptr;
      machine->timeout_seconds = v;
    }
    if (const Json* v = doc.find("Version")) {
      // Spec §Top-level fields: "Version" is the version of the language, "1.0".
      if (!ParseString(*v, loc.Key("Version"), machine->version, Empty::kRejected)) return nullptr;
      if (machine->version != "1.0") {
        Fail(loc.Key("Version"), "must be \"1.0\"");
        return nullptr;
      }
    }
    if (const Json* q = doc.find("QueryLanguage")) {
      if (!q->is_string() || (q->as_string() != "JSONPath" && q->as_string() != "JSONata")) {
        Fail(loc.Key("QueryLanguage"), "must be \"JSONPath\" or \"JSONata\"");
        return nullptr;
      }
    }
  }

  // Spec §Top-level fields: "StartAt" (required) names one of the states.
  const Json* start = doc.find("StartAt");
  if (!start) {
    Fail(loc, "required field 'StartAt' is missing");
    return nullptr;
  }
  if (!ParseString(*start, loc.Key("StartAt"), machine->start_at, Empty::kRejected)) return nullptr;
  const Json* states = doc.find("States");
  if (!states) {
    Fail(loc, "required field 'States' is missing");
    return nullptr;
  }
  if (!states->is_object() || states->size() == 0) {
    Fail(loc.Key("States"), "must be a non-empty object of states");
    return nullptr;
  }

  Loc states_loc = loc.Key("States");
  machine->states.reserve(states->size());
  for (const auto& [name, body] : states->as_object()) {
    Loc sloc = states_loc.Key(name).EnterState(name);
    // Spec §States: names MUST be unique within the whole machine and at most 80 characters.
    if (name.empty()) {
      Fail(sloc, "a state name cannot be empty");
      return nullptr;
    }
    if (Utf8Length(name) > 80) {
      Fail(sloc, "state name is " + std::to_string(Utf8Length(name)) +
                     " characters long; the limit is 80");
      return nullptr;
    }
    if (!all_names_.insert(name).second) {
      Fail(sloc,
           "duplicate state name: state names must be unique in the whole state machine, "
           "including Parallel branches and Map processors");
      return nullptr;
    }
    State state;
    if (!ParseState(name, body, sloc, state)) return nullptr;
    machine->index.emplace(name, static_cast<int>(machine->states.size()));
    machine->states.push_back(std::move(state));
  }

  // Transitions name states of this machine.
  if (!Resolve(*machine, machine->start_at, loc.Key("StartAt"), machine->start_index))
    return nullptr;
  for (State& s : machine->states) {
    Loc sloc = states_loc.Key(s.name).EnterState(s.name);
    if (!s.next.empty() && !Resolve(*machine, s.next, sloc.Key("Next"), s.next_index))
      return nullptr;
    if (!s.default_next.empty() &&
        !Resolve(*machine, s.default_next, sloc.Key("Default"), s.default_index))
      return nullptr;
    s.choice_indexes.assign(s.choices.size(), -1);
    for (size_t i = 0; i < s.choices.size(); ++i)
      if (!Resolve(*machine, s.choices[i].next(), sloc.Key("Choices").Index(i).Key("Next"),
                   s.choice_indexes[i]))
        return nullptr;
    for (size_t i = 0; i < s.catchers.size(); ++i)
      if (!Resolve(*machine, s.catchers[i].next, sloc.Key("Catch").Index(i).Key("Next"),
                   s.catchers[i].next_index))
        return nullptr;
  }

  // AWS MISSING_END_STATE: every machine needs at least one terminal state.
  bool has_terminal = false;
  for (const State& s : machine->states) has_terminal = has_terminal || IsTerminal(s);
  if (!has_terminal) {
    Fail(states_loc,
         "no terminal state: at least one state must have \"End\": true or be a "
         "Succeed or Fail state");
    return nullptr;
  }

  // Every state must be reachable from StartAt (AWS rejects unreachable states).
  std::vector<bool> seen(machine->states.size(), false);
  std::deque<int> todo{machine->start_index};
  seen[machine->start_index] = true;
  auto visit = [&](int i) {
    if (i >= 0 && !seen[i]) {
      seen[i] = true;
      todo.push_back(i);
    }
  };
  while (!todo.empty()) {
    const State& s = machine->states[todo.front()];
    todo.pop_front();
    visit(s.next_index);
    visit(s.default_index);
    for (int i : s.choice_indexes) visit(i);
    for (const Catcher& c : s.catchers) visit(c.next_index);
  }
  for (size_t i = 0; i < seen.size(); ++i) {
    if (!seen[i]) {
      const std::string& name = machine->states[i].name;
      Fail(states_loc.Key(name).EnterState(name),
           "unreachable: no transition leads here from StartAt '" + machine->start_at + "'");
      return nullptr;
    }
  }
  return machine;
}

// ---- JSONata ----

namespace {

bool IsJsonata(const Json& body) {
  const Json* q = body.find("QueryLanguage");
  return q && q->is_string() && q->as_string() == "JSONata";
}

std::optional<Loc> FindJsonataIn(const Json& machine, const Loc& loc) {
  const Json* states = machine.find("States");
  if (!states || !states->is_object()) return std::nullopt;
  for (const auto& [name, body] : states->as_object()) {
    Loc sloc = loc.Key("States").Key(name).EnterState(name);
    if (IsJsonata(body)) return sloc.Key("QueryLanguage");
    if (const Json* branches = body.find("Branches"); branches && branches->is_array()) {
      for (size_t i = 0; i < branches->size(); ++i)
        if (auto found = FindJsonataIn(*branches->at(i), sloc.Key("Branches").Index(i)))
          return found;
    }
    for (const char* key : {"ItemProcessor", "Iterator"})
      if (const Json* p = body.find(key))
        if (auto found = FindJsonataIn(*p, sloc.Key(key))) return found;
  }
  return std::nullopt;
}

}  // namespace

std::optional<Loc> FindJsonata(const Json& doc) {
  if (IsJsonata(doc)) return Loc{}.Key("QueryLanguage");
  return FindJsonataIn(doc, Loc{});
}

// ---- Source locations ----

namespace {

// A scanner over text that is known to be valid JSON.
class Scanner {
 public:
  explicit Scanner(std::string_view t) : t_(t) {}
  size_t pos() const { return p_; }
  void Seek(size_t p) { p_ = p; }
  void SkipSpace() {
    while (p_ < t_.size() && (t_[p_] == ' ' || t_[p_] == '\n' || t_[p_] == '\r' || t_[p_] == '\t'))
      ++p_;
  }
  bool Eat(char c) {
    SkipSpace();
    if (p_ < t_.size() && t_[p_] == c) {
      ++p_;
      return true;
    }
    return false;
  }
  char Peek() {
    SkipSpace();
    return p_ < t_.size() ? t_[p_] : '\0';
  }
  // Reads a string literal (at a '"'), decoding the common escapes; \u escapes are decoded to
  // UTF-8 so that keys compare equal to the parsed document's.
  std::string String() {
    SkipSpace();
    std::string out;
    ++p_;  // opening quote
    while (p_ < t_.size() && t_[p_] != '"') {
      char c = t_[p_++];
      if (c != '\\' || p_ >= t_.size()) {
        out += c;
        continue;
      }
      char e = t_[p_++];
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'u': {
          unsigned cp = Hex4();
          if (cp >= 0xD800 && cp < 0xDC00 && p_ + 1 < t_.size() && t_[p_] == '\\' &&
              t_[p_ + 1] == 'u') {
            p_ += 2;
            unsigned lo = Hex4();
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          AppendUtf8(out, cp);
          break;
        }
        default:
          out += e;  // \" \\ \/
      }
    }
    ++p_;  // closing quote
    return out;
  }
  void SkipValue() {
    char c = Peek();
    if (c == '"') {
      String();
    } else if (c == '{' || c == '[') {
      char close = c == '{' ? '}' : ']';
      ++p_;
      if (Eat(close)) return;
      do {
        if (c == '{') {
          String();
          Eat(':');
        }
        SkipValue();
      } while (Eat(','));
      Eat(close);
    } else {
      while (p_ < t_.size() && t_[p_] != ',' && t_[p_] != '}' && t_[p_] != ']' && t_[p_] != ' ' &&
             t_[p_] != '\n' && t_[p_] != '\r' && t_[p_] != '\t')
        ++p_;
    }
  }

 private:
  unsigned Hex4() {
    unsigned v = 0;
    for (int i = 0; i < 4 && p_ < t_.size(); ++i, ++p_) {
      char h = t_[p_];
      v = v * 16 + (h >= '0' && h <= '9'   ? h - '0'
                    : h >= 'a' && h <= 'f' ? h - 'a' + 10
                    : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                           : 0);
    }
    return v;
  }
  static void AppendUtf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string_view t_;
  size_t p_ = 0;
};

}  // namespace

size_t LocateInSource(std::string_view text, const std::vector<Segment>& pointer) {
  Scanner s(text);
  size_t found = 0;
  s.SkipSpace();
  for (const Segment& seg : pointer) {
    char open = s.Peek();
    if (auto* key = std::get_if<std::string>(&seg)) {
      if (open != '{') return found;
      s.Eat('{');
      // Json::Object keeps the last of duplicate keys; so does this search.
      size_t key_at = std::string::npos, value_at = 0;
      if (s.Peek() != '}') {
        do {
          s.SkipSpace();
          size_t at = s.pos();
          std::string k = s.String();
          s.Eat(':');
          s.SkipSpace();
          if (k == *key) {
            key_at = at;
            value_at = s.pos();
          }
          s.SkipValue();
        } while (s.Eat(','));
      }
      if (key_at == std::string::npos) return found;
      found = key_at;
      s.Seek(value_at);
    } else {
      size_t index = std::get<size_t>(seg);
      if (open != '[') return found;
      s.Eat('[');
      if (s.Peek() == ']') return found;
      for (size_t i = 0; i < index; ++i) {
        s.SkipValue();
        if (!s.Eat(',')) return found;
      }
      s.SkipSpace();
      found = s.pos();
    }
  }
  return found;
}

size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace wharf::asl::internal
