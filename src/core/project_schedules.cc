// The `schedules` section of the project file: EventBridge Scheduler style schedules whose target
// starts one of the project's state machines (see project.h; README.md, "Project file reference",
// documents every key). The expression, the time zone and the window stay text here: the events
// layer parses them when the service starts (events/schedule.h) and names the schedule on error.
#include <algorithm>

#include "core/project.h"
#include "core/project_internal.h"

namespace wharf {
namespace project_internal {
namespace {

using yaml::Node;

Result<std::string> NonEmpty(const yaml::Reader& r, const Node& node, const std::string& path,
                             std::string_view what) {
  WHARF_TRY(std::string text, r.String(node, path));
  if (text.empty()) return r.Fail(node, path, "must not be empty: " + std::string(what));
  return text;
}

}  // namespace

Status ReadSchedules(const yaml::Reader& r, const Node& node, const std::string& path,
                     std::map<std::string, ScheduleConfig>& schedules) {
  WHARF_TRY(yaml::Fields names, r.AnyMap(node, path));
  for (const yaml::Member& m : node.members()) {
    const std::string& name = m.key.text();
    std::string at = names.PathOf(name);
    if (!IsEventBridgeName(name))
      return r.Fail(m.key, at, "a schedule's name has 1 to 64 letters, digits, '.', '-' or '_'");
    WHARF_TRY(yaml::Fields f,
              r.Map(m.value, at, {"expression", "timezone", "enabled", "start", "end", "target"}));
    ScheduleConfig schedule;
    schedule.where = r.Where(m.value, at);
    const Node* expression = f.find("expression");
    if (expression == nullptr)
      return r.Fail(m.value, at,
                    "expression is required: cron(...), rate(...) or at(...), as in "
                    "'cron(0 6 * * ? *)'");
    WHARF_TRY(schedule.expression,
              NonEmpty(r, *expression, f.PathOf("expression"), "cron(...), rate(...) or at(...)"));
    if (const Node* zone = f.find("timezone")) {
      WHARF_TRY(schedule.timezone, NonEmpty(r, *zone, f.PathOf("timezone"),
                                            "an IANA time zone such as Europe/Berlin"));
    }
    if (const Node* e = f.find("enabled")) {
      WHARF_TRY(schedule.enabled, r.Bool(*e, f.PathOf("enabled")));
    }
    if (const Node* s = f.find("start")) {
      WHARF_TRY(schedule.start,
                NonEmpty(r, *s, f.PathOf("start"), "a time such as 2026-12-01T06:00:00Z"));
    }
    if (const Node* e = f.find("end")) {
      WHARF_TRY(schedule.end,
                NonEmpty(r, *e, f.PathOf("end"), "a time such as 2026-12-31T00:00:00Z"));
    }
    const Node* target = f.find("target");
    if (target == nullptr)
      return r.Fail(m.value, at, "target is required: {state_machine: NAME, input: ...}");
    std::string tat = f.PathOf("target");
    WHARF_TRY(yaml::Fields tf, r.Map(*target, tat, {"state_machine", "input"}));
    const Node* machine = tf.find("state_machine");
    if (machine == nullptr)
      return r.Fail(*target, tat,
                    "state_machine is required: the state machine the schedule starts");
    WHARF_TRY(schedule.state_machine, NonEmpty(r, *machine, tf.PathOf("state_machine"),
                                               "a state machine of the project or an ARN"));
    if (const Node* input = tf.find("input")) {
      WHARF_TRY(schedule.input, ReadJsonDocument(r, *input, tf.PathOf("input"), false));
    }
    schedules[name] = std::move(schedule);
  }
  return {};
}

}  // namespace project_internal
}  // namespace wharf
