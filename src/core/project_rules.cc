// The `rules` section of the project file: EventBridge rules whose targets start the project's
// state machines (see project.h; README.md, "Project file reference", documents every key).
// Patterns and target inputs may be written as YAML or as JSON text; both are kept as JSON text
// and compiled by the event bus when the service starts.
#include <algorithm>
#include <set>

#include "core/project.h"
#include "core/project_internal.h"

namespace wharf {
namespace project_internal {
namespace {

using yaml::Node;

Result<RuleTargetConfig> ReadTarget(const yaml::Reader& r, const Node& node,
                                    const std::string& path) {
  WHARF_TRY(yaml::Fields f, r.Map(node, path,
                                  {"id", "state_machine", "webhook", "input", "input_path",
                                   "input_transformer", "retry_policy"}));
  RuleTargetConfig t;
  t.where = r.Where(node, path);
  const Node* machine = f.find("state_machine");
  const Node* webhook = f.find("webhook");
  if ((machine == nullptr) == (webhook == nullptr))
    return r.Fail(node, path,
                  "needs one of state_machine (the state machine the rule starts) and webhook "
                  "(a URL that gets each event as a POST)");
  if (machine != nullptr) {
    WHARF_TRY(t.state_machine, r.String(*machine, f.PathOf("state_machine")));
    t.id = t.state_machine.substr(t.state_machine.rfind(':') + 1);
  } else {
    WHARF_TRY(t.webhook, r.String(*webhook, f.PathOf("webhook")));
    if (!t.webhook.starts_with("http://") && !t.webhook.starts_with("https://"))
      return r.Fail(*webhook, f.PathOf("webhook"),
                    "must be an http:// or https:// URL, got " + webhook->Describe());
    t.id = "webhook";
  }
  if (const Node* id = f.find("id")) {
    WHARF_TRY(t.id, r.String(*id, f.PathOf("id")));
  }
  if (!IsEventBridgeName(t.id))
    return r.Fail(f.find("id") ? *f.find("id") : node, f.PathOf("id"),
                  "must have 1 to 64 letters, digits, '.', '-' or '_', got " + Quote(t.id));
  int inputs = 0;
  if (const Node* input = f.find("input")) {
    ++inputs;
    WHARF_TRY(t.input, ReadJsonDocument(r, *input, f.PathOf("input"), false));
  }
  if (const Node* input_path = f.find("input_path")) {
    ++inputs;
    WHARF_TRY(t.input_path, r.String(*input_path, f.PathOf("input_path")));
  }
  if (const Node* tr = f.find("input_transformer")) {
    ++inputs;
    std::string at = f.PathOf("input_transformer");
    WHARF_TRY(yaml::Fields tf, r.Map(*tr, at, {"input_paths_map", "input_template"}));
    t.has_transformer = true;
    if (const Node* paths = tf.find("input_paths_map")) {
      WHARF_TRY(yaml::Fields pf, r.AnyMap(*paths, tf.PathOf("input_paths_map")));
      for (const yaml::Member& m : paths->members()) {
        WHARF_TRY(std::string p, r.String(m.value, pf.PathOf(m.key.text())));
        t.input_paths.emplace_back(m.key.text(), std::move(p));
      }
    }
    const Node* tmpl = tf.find("input_template");
    if (tmpl == nullptr)
      return r.Fail(*tr, at, "input_template is required: what the target receives");
    if (tmpl->is_scalar()) {
      WHARF_TRY(t.input_template, r.String(*tmpl, tf.PathOf("input_template")));
    } else {
      return r.Fail(
          *tmpl, tf.PathOf("input_template"),
          "must be text, such as '{\"path\": <path>}' (quote it in YAML), got " + tmpl->Describe());
    }
  }
  if (inputs > 1)
    return r.Fail(node, path, "takes at most one of input, input_path and input_transformer");
  if (const Node* retry = f.find("retry_policy")) {
    std::string at = f.PathOf("retry_policy");
    WHARF_TRY(yaml::Fields rf,
              r.Map(*retry, at, {"maximum_retry_attempts", "maximum_event_age_seconds"}));
    if (const Node* n = rf.find("maximum_retry_attempts")) {
      WHARF_TRY(int64_t v, r.Integer(*n, rf.PathOf("maximum_retry_attempts")));
      if (v < 0 || v > 185)
        return r.Fail(*n, rf.PathOf("maximum_retry_attempts"),
                      "must be from 0 to 185, got " + n->Describe());
      t.maximum_retry_attempts = static_cast<int>(v);
    }
    if (const Node* n = rf.find("maximum_event_age_seconds")) {
      WHARF_TRY(std::chrono::seconds age,
                ReadSeconds(r, *n, rf.PathOf("maximum_event_age_seconds"), 60, 86400));
      t.maximum_event_age_seconds = age.count();
    }
  }
  return t;
}

}  // namespace

bool IsEventBridgeName(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
  });
}

Result<std::string> ReadJsonDocument(const yaml::Reader& r, const Node& node,
                                     const std::string& path, bool object_only) {
  Json doc;
  if (node.is_scalar() && node.type() == yaml::ScalarType::kString) {
    auto parsed = Json::Parse(node.text());
    if (!parsed.ok()) return r.Fail(node, path, "is not valid JSON: " + parsed.error().message);
    doc = std::move(*parsed);
  } else {
    WHARF_TRY(doc, r.ToJson(node, path));
  }
  if (object_only && !doc.is_object())
    return r.Fail(node, path, "must be a JSON object (a mapping), got " + node.Describe());
  return doc.Dump();
}

Status ReadRules(const yaml::Reader& r, const Node& node, const std::string& path,
                 std::map<std::string, RuleConfig>& rules) {
  WHARF_TRY(yaml::Fields names, r.AnyMap(node, path));
  for (const yaml::Member& m : node.members()) {
    const std::string& name = m.key.text();
    std::string at = names.PathOf(name);
    if (!IsEventBridgeName(name))
      return r.Fail(m.key, at, "a rule's name has 1 to 64 letters, digits, '.', '-' or '_'");
    WHARF_TRY(yaml::Fields f,
              r.Map(m.value, at, {"description", "event_pattern", "enabled", "targets"}));
    RuleConfig rule;
    rule.where = r.Where(m.value, at);
    if (const Node* d = f.find("description")) {
      WHARF_TRY(rule.description, r.String(*d, f.PathOf("description")));
    }
    const Node* pattern = f.find("event_pattern");
    if (pattern == nullptr)
      return r.Fail(m.value, at, "event_pattern is required: the events the rule matches");
    WHARF_TRY(rule.event_pattern, ReadJsonDocument(r, *pattern, f.PathOf("event_pattern"), true));
    if (const Node* e = f.find("enabled")) {
      WHARF_TRY(rule.enabled, r.Bool(*e, f.PathOf("enabled")));
    }
    if (const Node* targets = f.find("targets")) {
      std::string tat = f.PathOf("targets");
      WHARF_TRY(const std::vector<Node>* items, r.Sequence(*targets, tat));
      std::set<std::string> ids;
      for (size_t i = 0; i < items->size(); ++i) {
        std::string item_at = tat + "[" + std::to_string(i) + "]";
        WHARF_TRY(RuleTargetConfig t, ReadTarget(r, (*items)[i], item_at));
        if (!ids.insert(t.id).second)
          return r.Fail((*items)[i], item_at,
                        "the id " + Quote(t.id) +
                            " is used twice in this rule; give each target "
                            "its own id");
        rule.targets.push_back(std::move(t));
      }
      if (rule.targets.size() > 5) return r.Fail(*targets, tat, "a rule has at most 5 targets");
    }
    rules[name] = std::move(rule);
  }
  return {};
}

}  // namespace project_internal
}  // namespace wharf
