// Loading the AWS-recorded conformance cases; the layout is described in aws-recorded/README.md.
#include "conformance/cases.h"

#include <deque>
#include <fstream>
#include <sstream>

namespace wharf::conformance {

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError("NotFound", path + ": cannot open");
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

namespace {

Result<Json> ReadJson(const std::string& path) {
  WHARF_TRY(std::string text, ReadFile(path));
  auto doc = Json::Parse(text);
  if (!doc.ok()) return MakeError("BadCase", path + ": " + doc.error().message);
  return std::move(*doc);
}

std::string StringOr(const Json& obj, std::string_view key, std::string fallback = "") {
  const Json* v = obj.find(key);
  return v != nullptr && v->is_string() ? v->as_string() : fallback;
}

}  // namespace

Result<std::vector<CaseEntry>> ParseIndex(const Json& index) {
  if (!index.is_array()) return MakeError("BadCase", "index.json: expected an array of cases");
  std::vector<CaseEntry> out;
  out.reserve(index.size());
  for (size_t i = 0; i < index.size(); ++i) {
    const Json& c = *index.at(i);
    CaseEntry e{StringOr(c, "case"), StringOr(c, "area"), StringOr(c, "status"), {}};
    if (e.name.empty()) {
      return MakeError("BadCase", "index.json[" + std::to_string(i) + "]: no 'case' name");
    }
    if (const Json* needs = c.find("needs"); needs != nullptr && needs->is_array()) {
      for (const Json& n : needs->as_array()) {
        if (n.is_string()) e.needs.push_back(n.as_string());
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::vector<CaseEntry>> LoadIndex(const std::string& root) {
  WHARF_TRY(Json index, ReadJson(root + "/index.json"));
  return ParseIndex(index);
}

bool IsSupportedNeed(std::string_view need) {
  return need == "variables" || need == "lambda" || need == "item_batcher";
}

std::vector<std::string> UnsupportedNeeds(const CaseEntry& entry) {
  std::vector<std::string> out;
  for (const auto& n : entry.needs) {
    if (!IsSupportedNeed(n)) out.push_back(n);
  }
  return out;
}

Result<Case> LoadCase(const std::string& root, const CaseEntry& entry) {
  Case c;
  c.entry = entry;
  c.dir = root + "/" + entry.name;
  WHARF_TRY(c.definition_text, ReadFile(c.dir + "/definition.json"));
  WHARF_TRY(c.input, ReadJson(c.dir + "/input.json"));
  WHARF_TRY(c.expected, ReadJson(c.dir + "/expected.json"));
  WHARF_TRY(c.info, ReadJson(c.dir + "/case.json"));
  return c;
}

std::string FunctionNameFromArn(std::string_view arn) {
  constexpr std::string_view kMarker = ":function:";
  size_t at = arn.find(kMarker);
  if (at == std::string_view::npos) return std::string(arn);
  std::string_view name = arn.substr(at + kMarker.size());
  if (size_t colon = name.find(':'); colon != std::string_view::npos) name = name.substr(0, colon);
  return std::string(name);
}

Result<std::map<std::string, tasks::FunctionSpec>> BuildFunctions(const Json& info) {
  std::map<std::string, tasks::FunctionSpec> out;
  const Json* list = info.find("lambda");
  if (list == nullptr || !list->is_array()) return out;
  for (const Json& l : list->as_array()) {
    std::string arn = StringOr(l, "arn");
    std::string name = arn.empty() ? StringOr(l, "name") : FunctionNameFromArn(arn);
    std::string behaviour = StringOr(l, "behaviour");
    tasks::FunctionSpec spec;
    spec.name = name;
    // The functions read their event first, so the runner never writes into a closed pipe.
    if (behaviour == "echo") {
      spec.command = {"cat"};
    } else if (behaviour == "constant") {
      const Json* value = l.find("value");
      spec.command = {"/bin/sh", "-c", "cat >/dev/null; printf '%s' \"$WHARF_CONSTANT\""};
      spec.env["WHARF_CONSTANT"] = value != nullptr ? value->Dump() : "null";
    } else if (behaviour == "raise") {
      // Lambda's error contract (DESIGN.md "Functions"): a last stdout line with errorType and
      // errorMessage, and a non-zero exit.
      Json error = Json::Object({{"errorType", Json::String(StringOr(l, "error_type"))},
                                 {"errorMessage", Json::String(StringOr(l, "message"))}});
      spec.command = {"/bin/sh", "-c", "cat >/dev/null; printf '%s\\n' \"$WHARF_ERROR\"; exit 1"};
      spec.env["WHARF_ERROR"] = error.Dump();
    } else {
      return MakeError("BadCase", "lambda '" + name + "': unknown behaviour '" + behaviour + "'");
    }
    out[name] = std::move(spec);
  }
  return out;
}

std::vector<std::string> HistoryTypes(const std::vector<Json>& events) {
  std::vector<std::string> out;
  out.reserve(events.size());
  for (const Json& e : events) out.push_back(StringOr(e, "type"));
  return out;
}

namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Event details carry documents as JSON text (GetExecutionHistory); accept a document too.
Json DocumentOf(const Json* v) {
  if (v == nullptr) return Json();
  if (!v->is_string()) return *v;
  auto parsed = Json::Parse(v->as_string());
  return parsed.ok() ? *parsed : *v;
}

struct StateRecord {
  std::string name;
  std::string type;
  Json entered_input;
  bool exited = false;
  Json exited_output;
  Json assigned;  // null when the exit had none
};

}  // namespace

Json StatesFromHistory(const std::vector<Json>& events) {
  std::deque<StateRecord> records;
  for (const Json& e : events) {
    std::string type = StringOr(e, "type");
    if (EndsWith(type, "StateEntered")) {
      const Json* d = e.find("stateEnteredEventDetails");
      StateRecord r;
      r.type = type.substr(0, type.size() - std::string_view("StateEntered").size());
      if (d != nullptr) {
        r.name = StringOr(*d, "name");
        r.entered_input = DocumentOf(d->find("input"));
      }
      records.push_back(std::move(r));
    } else if (EndsWith(type, "StateExited")) {
      const Json* d = e.find("stateExitedEventDetails");
      std::string name = d != nullptr ? StringOr(*d, "name") : "";
      for (auto& r : records) {
        if (r.exited || r.name != name) continue;
        r.exited = true;
        if (d != nullptr) {
          r.exited_output = DocumentOf(d->find("output"));
          if (const Json* vars = d->find("assignedVariables")) r.assigned = *vars;
        }
        break;
      }
    }
  }
  JsonArray out;
  out.reserve(records.size());
  for (auto& r : records) {
    std::vector<JsonMember> m;
    m.emplace_back("name", Json::String(r.name));
    m.emplace_back("type", Json::String(r.type));
    m.emplace_back("enteredInput", r.entered_input);
    if (r.exited) m.emplace_back("exitedOutput", r.exited_output);
    if (!r.assigned.is_null()) m.emplace_back("assignedVariables", r.assigned);
    out.push_back(Json::Object(std::move(m)));
  }
  return Json::Array(std::move(out));
}

}  // namespace wharf::conformance
