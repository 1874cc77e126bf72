// EventsService (see events_service.h). Shapes and messages follow the EventBridge API reference
// (PutRule, DescribeRule, ListRules, DeleteRule, EnableRule, DisableRule, PutTargets,
// ListTargetsByRule, RemoveTargets, PutEvents, TestEventPattern); docs/events.md says where wharf
// differs.
#include "api/events_service.h"

#include <algorithm>
#include <ctime>
#include <map>
#include <random>
#include <set>

#include <fmt/format.h>

#include "api/sfn_request.h"
#include "core/clock.h"
#include "core/uuid.h"
#include "events/pattern.h"
#include "events/webhook.h"

namespace wharf::api {
namespace {

using events::RuleSpec;
using events::TargetSpec;

constexpr size_t kMaxTargetsPerRule = 5;  // EventBridge's quota
constexpr size_t kMaxPutTargets = 10;     // PutTargets: "Targets ... Maximum number of 10 items"
constexpr size_t kMaxPutEvents = 10;      // PutEvents: "Entries ... Maximum number of 10 items"
constexpr size_t kMaxEntryBytes = 256 * 1024;

std::string Str(const Json& doc, std::string_view key) {
  const Json* v = doc.find(key);
  return v != nullptr && v->is_string() ? v->as_string() : std::string();
}

Error NotFound(std::string_view rule) {
  return MakeError("ResourceNotFoundException",
                   fmt::format("Rule {} does not exist on EventBus default.", rule));
}

// "[\.\-_A-Za-z0-9]+", 1 to 64 characters: rule names and target ids (API reference).
Status CheckName(std::string_view value, std::string_view member) {
  bool ok = std::all_of(value.begin(), value.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
  });
  if (ok) return {};
  return sfn::ValidationError(
      fmt::format("Value '{}' at '{}' failed to satisfy constraint: Member must satisfy regular "
                  "expression pattern: [\\.\\-_A-Za-z0-9]+",
                  value, member));
}

// EventBusName (or the bus of an event): the default bus by name or ARN; wharf has no other.
Status CheckBus(const Json& request, std::string_view member, const EventsOptions& options) {
  WHARF_TRY(std::optional<std::string> bus,
            sfn::OptionalString(request, member, sfn::Length{1, 1600}));
  if (!bus || *bus == "default" ||
      *bus ==
          fmt::format("arn:aws:events:{}:{}:event-bus/default", options.region, options.account))
    return {};
  return MakeError("ResourceNotFoundException", fmt::format("Event bus {} does not exist.", *bus));
}

Result<int> Limit(const Json& request, int max, int fallback) {
  const Json* v = request.find("Limit");
  if (v == nullptr || v->is_null()) return fallback;
  if (!v->is_int() || v->as_int() < 1 || v->as_int() > max)
    return sfn::ValidationError(
        fmt::format("Value '{}' at 'limit' failed to satisfy constraint: Member must have value "
                    "between 1 and {}",
                    v->Dump(), max));
  return static_cast<int>(v->as_int());
}

// A page of `items` (sorted by key) after the NextToken (the last key of the previous page).
template <typename T, typename KeyOf>
Result<std::pair<std::vector<T>, std::string>> Page(const Json& request, std::vector<T> items,
                                                    KeyOf key_of, int limit) {
  WHARF_TRY(std::optional<std::string> token_member,
            sfn::OptionalString(request, "NextToken", sfn::Length{1, 2048}));
  std::string token = token_member.value_or("");
  std::vector<T> page;
  std::string next;
  for (T& item : items) {
    if (!token.empty() && key_of(item) <= token) continue;
    if (static_cast<int>(page.size()) == limit) {
      next = key_of(page.back());
      break;
    }
    page.push_back(std::move(item));
  }
  return std::pair{std::move(page), std::move(next)};
}

Error InvalidPattern(std::string_view reason) {
  return MakeError(events::kInvalidEventPattern,
                   fmt::format("Event pattern is not valid. Reason: {}", reason));
}

// One element of PutTargets' Targets, checked member by member; `at` names it in messages.
Result<TargetSpec> TargetFromJson(const Json& t, const std::string& at,
                                  const EventsOptions& options) {
  if (!t.is_object()) return sfn::ValidationError(at + ": a target must be an object");
  TargetSpec target;
  WHARF_TRY(target.id, sfn::RequiredString(t, "Id", sfn::Length{1, 64}));
  WHARF_TRY_STATUS(CheckName(target.id, "Id"));
  WHARF_TRY(target.arn, sfn::RequiredString(t, "Arn", sfn::Length{1, 1600}));
  // wharf's deliveries start state machines or POST to webhooks (events/webhook.h,
  // cli/serve_events.h).
  std::string prefix =
      fmt::format("arn:aws:states:{}:{}:stateMachine:", options.region, options.account);
  bool machine = target.arn.rfind(prefix, 0) == 0 && target.arn.size() > prefix.size();
  if (!machine && !events::IsWebhookArn(target.arn))
    return sfn::ValidationError(fmt::format(
        "Target {}: Arn '{}' is not supported: wharf delivers to Step Functions state machines "
        "({}NAME) and to webhooks (an http:// or https:// URL)",
        target.id, target.arn, prefix));
  WHARF_TRY(target.input.input, sfn::OptionalString(t, "Input", sfn::Length{0, 8192}));
  WHARF_TRY(target.input.input_path, sfn::OptionalString(t, "InputPath", sfn::Length{0, 256}));
  WHARF_TRY(std::optional<Json> transformer, sfn::OptionalObject(t, "InputTransformer"));
  if (transformer) {
    events::TargetInputSpec::Transformer tr;
    WHARF_TRY(tr.input_template,
              sfn::RequiredString(*transformer, "InputTemplate", sfn::Length{1, 8192}));
    WHARF_TRY(std::optional<Json> paths, sfn::OptionalObject(*transformer, "InputPathsMap"));
    if (paths) {
      for (const auto& [name, path] : paths->as_object()) {
        if (!path.is_string())
          return sfn::ValidationError(fmt::format(
              "Target {}: InputTransformer.InputPathsMap.{} must be a string", target.id, name));
        tr.paths.emplace_back(name, path.as_string());
      }
    }
    target.input.transformer = std::move(tr);
  }
  int set = (target.input.input ? 1 : 0) + (target.input.input_path ? 1 : 0) +
            (target.input.transformer ? 1 : 0);
  if (set > 1)
    return sfn::ValidationError(fmt::format(
        "Target {}: give at most one of Input, InputPath and InputTransformer", target.id));
  WHARF_TRY(std::optional<Json> retry, sfn::OptionalObject(t, "RetryPolicy"));
  if (retry) {
    if (const Json* a = retry->find("MaximumRetryAttempts"); a != nullptr && !a->is_null()) {
      if (!a->is_int() || a->as_int() < 0 || a->as_int() > 185)
        return sfn::ValidationError(
            fmt::format("Value '{}' at 'targets.{}.member.retryPolicy.maximumRetryAttempts' "
                        "failed to satisfy constraint: Member must have value between 0 and 185",
                        a->Dump(), target.id));
      target.retry.maximum_retry_attempts = static_cast<int>(a->as_int());
    }
    if (const Json* a = retry->find("MaximumEventAgeInSeconds"); a != nullptr && !a->is_null()) {
      if (!a->is_int() || a->as_int() < 60 || a->as_int() > 86400)
        return sfn::ValidationError(fmt::format(
            "Value '{}' at 'targets.{}.member.retryPolicy.maximumEventAgeInSeconds' failed to "
            "satisfy constraint: Member must have value between 60 and 86400",
            a->Dump(), target.id));
      target.retry.maximum_event_age = std::chrono::seconds(a->as_int());
    }
  }
  // Input, InputPath and the transformer as the bus will compile them.
  auto compiled = events::TargetInput::Compile(target.input);
  if (!compiled.ok())
    return MakeError("ValidationException",
                     fmt::format("Target {}: {}", target.id, compiled.error().message));
  return target;
}

std::string NewEventId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t hi = rng();
  return FormatUuidV4(hi, rng());
}

Json EntryError(std::string code, std::string message) {
  return Json::Object(
      {{"ErrorCode", Json::String(std::move(code))}, {"ErrorMessage", Json::String(message)}});
}

}  // namespace

EventsService::EventsService(events::Bus* bus, EventsOptions options)
    : bus_(bus), options_(std::move(options)) {}

TimePoint EventsService::Now() const {
  return options_.clock != nullptr ? options_.clock->Now() : system_clock_.Now();
}

Result<Json> EventsService::Handle(std::string_view action, const Json& request) const {
  static const sfn::ActionTable<EventsService> kActions = {
      {"PutRule", &EventsService::PutRule},
      {"DescribeRule", &EventsService::DescribeRule},
      {"ListRules", &EventsService::ListRules},
      {"DeleteRule", &EventsService::DeleteRule},
      {"EnableRule", &EventsService::EnableRule},
      {"DisableRule", &EventsService::DisableRule},
      {"PutTargets", &EventsService::PutTargets},
      {"ListTargetsByRule", &EventsService::ListTargetsByRule},
      {"RemoveTargets", &EventsService::RemoveTargets},
      {"PutEvents", &EventsService::PutEvents},
      {"TestEventPattern", &EventsService::TestEventPattern},
      // wharf's extensions (docs/events.md, "Dead letters through the API").
      {"ListDeadLetters", &EventsService::ListDeadLetters},
      {"ReplayDeadLetter", &EventsService::ReplayDeadLetter},
  };
  Result<Json> r = sfn::Dispatch(*this, kActions, "EventBridge", action, request);
  if (!r.ok() && r.error().code == "StoreFailure")
    return MakeError("InternalException", r.error().message);
  return r;
}

Result<events::RuleSpec> EventsService::FindRule(const Json& request,
                                                 std::string_view member) const {
  WHARF_TRY_STATUS(CheckBus(request, "EventBusName", options_));
  WHARF_TRY(std::string name, sfn::RequiredString(request, member, sfn::Length{1, 64}));
  WHARF_TRY_STATUS(CheckName(name, member));
  std::optional<RuleSpec> rule = bus_->GetRule(name);
  if (!rule) return NotFound(name);
  return std::move(*rule);
}

Status EventsService::CheckUnmanaged(const events::RuleSpec& rule) const {
  if (rule.managed_by.empty()) return {};
  return MakeError("ManagedRuleException",
                   fmt::format("Rule {} is managed by the project file ({}); change it there, "
                               "not through the API.",
                               rule.name, rule.managed_by));
}

Json EventsService::RuleSummary(const events::RuleSpec& rule) const {
  std::vector<JsonMember> m = {{"Name", Json::String(rule.name)},
                               {"Arn", Json::String(bus_->RuleArn(rule.name))},
                               {"EventPattern", Json::String(rule.event_pattern)},
                               {"State", Json::String(rule.enabled ? "ENABLED" : "DISABLED")}};
  if (!rule.description.empty()) m.emplace_back("Description", Json::String(rule.description));
  if (!rule.managed_by.empty()) m.emplace_back("ManagedBy", Json::String(rule.managed_by));
  m.emplace_back("EventBusName", Json::String("default"));
  return Json::Object(std::move(m));
}

Result<Json> EventsService::PutRule(const Json& request) const {
  WHARF_TRY_STATUS(CheckBus(request, "EventBusName", options_));
  RuleSpec rule;
  WHARF_TRY(rule.name, sfn::RequiredString(request, "Name", sfn::Length{1, 64}));
  WHARF_TRY_STATUS(CheckName(rule.name, "name"));
  WHARF_TRY(std::optional<std::string> pattern,
            sfn::OptionalString(request, "EventPattern", sfn::Length{1, 4096}));
  WHARF_TRY(std::optional<std::string> schedule,
            sfn::OptionalString(request, "ScheduleExpression", sfn::Length{1, 256}));
  WHARF_TRY(std::optional<std::string> state,
            sfn::OptionalString(request, "State", sfn::Length{1, 64}));
  WHARF_TRY(std::optional<std::string> description,
            sfn::OptionalString(request, "Description", sfn::Length{0, 512}));
  if (schedule)
    return MakeError("ValidationException",
                     "ScheduleExpression is not supported yet by wharf's EventBridge API; give "
                     "an EventPattern");
  if (!pattern)
    return MakeError("ValidationException",
                     "Parameter(s) EventPattern or ScheduleExpression must be specified.");
  if (auto compiled = events::Pattern::Compile(*pattern); !compiled.ok())
    return InvalidPattern(compiled.error().message);
  // "If you omit arguments in PutRule, the old values for those arguments are not kept": a
  // missing State is ENABLED. The targets are not PutRule's, so they stay.
  if (state && *state != "ENABLED" && *state != "DISABLED")
    return sfn::ValidationError(
        fmt::format("Value '{}' at 'state' failed to satisfy constraint: Member must satisfy "
                    "enum value set: [ENABLED, DISABLED]",
                    *state));
  rule.event_pattern = *pattern;
  rule.enabled = !state || *state == "ENABLED";
  rule.description = description.value_or("");
  std::lock_guard lock(rules_mu_);
  if (std::optional<RuleSpec> old = bus_->GetRule(rule.name)) {
    WHARF_TRY_STATUS(CheckUnmanaged(*old));
    rule.targets = old->targets;
  }
  WHARF_TRY_STATUS(bus_->PutRule(rule));
  return Json::Object({{"RuleArn", Json::String(bus_->RuleArn(rule.name))}});
}

Result<Json> EventsService::DescribeRule(const Json& request) const {
  WHARF_TRY(RuleSpec rule, FindRule(request, "Name"));
  Json summary = RuleSummary(rule);
  return summary.Set("CreatedBy", Json::String(options_.account));
}

Result<Json> EventsService::ListRules(const Json& request) const {
  WHARF_TRY_STATUS(CheckBus(request, "EventBusName", options_));
  WHARF_TRY(std::optional<std::string> prefix,
            sfn::OptionalString(request, "NamePrefix", sfn::Length{1, 64}));
  WHARF_TRY(int limit, Limit(request, 100, 100));
  std::vector<RuleSpec> rules;
  for (RuleSpec& r : bus_->ListRules())  // sorted by name
    if (!prefix || r.name.rfind(*prefix, 0) == 0) rules.push_back(std::move(r));
  WHARF_TRY(auto page,
            Page(
                request, std::move(rules), [](const RuleSpec& r) { return r.name; }, limit));
  JsonArray out;
  for (const RuleSpec& r : page.first) out.push_back(RuleSummary(r));
  std::vector<JsonMember> m = {{"Rules", Json::Array(std::move(out))}};
  if (!page.second.empty()) m.emplace_back("NextToken", Json::String(page.second));
  return Json::Object(std::move(m));
}

Result<Json> EventsService::DeleteRule(const Json& request) const {
  std::lock_guard lock(rules_mu_);
  WHARF_TRY(RuleSpec rule, FindRule(request, "Name"));
  WHARF_TRY_STATUS(CheckUnmanaged(rule));
  if (!rule.targets.empty())
    return MakeError("ValidationException", "Rule can't be deleted since it has targets.");
  WHARF_TRY_STATUS(bus_->DeleteRule(rule.name, ""));
  return Json::EmptyObject();
}

Result<Json> EventsService::EnableRule(const Json& request) const {
  return SetState(request, true);
}

Result<Json> EventsService::DisableRule(const Json& request) const {
  return SetState(request, false);
}

Result<Json> EventsService::SetState(const Json& request, bool enabled) const {
  std::lock_guard lock(rules_mu_);
  WHARF_TRY(RuleSpec rule, FindRule(request, "Name"));
  WHARF_TRY_STATUS(CheckUnmanaged(rule));
  rule.enabled = enabled;
  WHARF_TRY_STATUS(bus_->PutRule(rule));
  return Json::EmptyObject();
}

Result<Json> EventsService::PutTargets(const Json& request) const {
  WHARF_TRY(std::optional<Json> targets, sfn::OptionalArray(request, "Targets"));
  if (!targets)
    return sfn::ValidationError(
        "Value null at 'targets' failed to satisfy constraint: Member must not be null");
  if (targets->size() < 1 || targets->size() > kMaxPutTargets)
    return sfn::ValidationError(
        fmt::format("Value at 'targets' failed to satisfy constraint: Member must have length "
                    "less than or equal to {} and greater than or equal to 1",
                    kMaxPutTargets));
  std::lock_guard lock(rules_mu_);
  WHARF_TRY(RuleSpec rule, FindRule(request, "Rule"));
  WHARF_TRY_STATUS(CheckUnmanaged(rule));
  std::set<std::string> seen;
  for (size_t i = 0; i < targets->size(); ++i) {
    WHARF_TRY(TargetSpec target,
              TargetFromJson(*targets->at(i), fmt::format("Targets[{}]", i), options_));
    if (!seen.insert(target.id).second)
      return MakeError("ValidationException",
                       fmt::format("Target {} is given twice in one request.", target.id));
    auto same = std::find_if(rule.targets.begin(), rule.targets.end(),
                             [&](const TargetSpec& t) { return t.id == target.id; });
    if (same != rule.targets.end()) {
      *same = std::move(target);  // an existing Id is replaced
    } else {
      rule.targets.push_back(std::move(target));
    }
  }
  if (rule.targets.size() > kMaxTargetsPerRule)
    return MakeError("LimitExceededException",
                     fmt::format("The requested resource exceeds the maximum number allowed: "
                                 "rule {} would have {} targets, at most {}.",
                                 rule.name, rule.targets.size(), kMaxTargetsPerRule));
  WHARF_TRY_STATUS(bus_->PutRule(rule));
  return Json::Object({{"FailedEntryCount", Json::Int(0)}, {"FailedEntries", Json::EmptyArray()}});
}

Result<Json> EventsService::ListTargetsByRule(const Json& request) const {
  WHARF_TRY(RuleSpec rule, FindRule(request, "Rule"));
  WHARF_TRY(int limit, Limit(request, 100, 100));
  // Pages are taken in the order of the targets' Ids; the token is the last Id of a page.
  std::sort(rule.targets.begin(), rule.targets.end(),
            [](const TargetSpec& a, const TargetSpec& b) { return a.id < b.id; });
  WHARF_TRY(auto page,
            Page(
                request, std::move(rule.targets), [](const TargetSpec& t) { return t.id; }, limit));
  JsonArray out;
  for (const TargetSpec& t : page.first) out.push_back(TargetToJson(t));
  std::vector<JsonMember> m = {{"Targets", Json::Array(std::move(out))}};
  if (!page.second.empty()) m.emplace_back("NextToken", Json::String(page.second));
  return Json::Object(std::move(m));
}

Result<Json> EventsService::RemoveTargets(const Json& request) const {
  WHARF_TRY(std::optional<Json> ids, sfn::OptionalArray(request, "Ids"));
  if (!ids || ids->size() < 1 || ids->size() > 100)
    return sfn::ValidationError(
        "Value at 'ids' failed to satisfy constraint: Member must have length less than or "
        "equal to 100 and greater than or equal to 1");
  std::lock_guard lock(rules_mu_);
  WHARF_TRY(RuleSpec rule, FindRule(request, "Rule"));
  WHARF_TRY_STATUS(CheckUnmanaged(rule));
  JsonArray failed;
  for (const Json& id : ids->as_array()) {
    if (!id.is_string())
      return sfn::ValidationError(
          "Value at 'ids' failed to satisfy constraint: Member must be a "
          "list of strings");
    auto it = std::find_if(rule.targets.begin(), rule.targets.end(),
                           [&](const TargetSpec& t) { return t.id == id.as_string(); });
    if (it == rule.targets.end()) {
      failed.push_back(Json::Object(
          {{"TargetId", id},
           {"ErrorCode", Json::String("ResourceNotFoundException")},
           {"ErrorMessage",
            Json::String(fmt::format("Rule {} has no target {}.", rule.name, id.as_string()))}}));
      continue;
    }
    rule.targets.erase(it);
  }
  WHARF_TRY_STATUS(bus_->PutRule(rule));
  int64_t count = static_cast<int64_t>(failed.size());
  return Json::Object(
      {{"FailedEntryCount", Json::Int(count)}, {"FailedEntries", Json::Array(std::move(failed))}});
}

Result<Json> EventsService::PutEvents(const Json& request) const {
  WHARF_TRY(std::optional<Json> entries, sfn::OptionalArray(request, "Entries"));
  if (!entries)
    return sfn::ValidationError(
        "Value null at 'entries' failed to satisfy constraint: Member must not be null");
  if (entries->size() < 1 || entries->size() > kMaxPutEvents)
    return sfn::ValidationError(
        fmt::format("Value at 'entries' failed to satisfy constraint: Member must have length "
                    "less than or equal to {} and greater than or equal to 1",
                    kMaxPutEvents));
  std::string now = FormatIso8601Seconds(Now());
  std::vector<Json> events;
  std::vector<Json> results;  // per entry: {EventId} or {ErrorCode, ErrorMessage}
  auto invalid = [](std::string_view member, std::string_view reason) {
    return EntryError("InvalidArgument",
                      fmt::format("Parameter {} is not valid. Reason: {}", member, reason));
  };
  for (const Json& e : entries->as_array()) {
    if (!e.is_object()) {
      results.push_back(invalid("Entries", "each entry must be an object."));
      continue;
    }
    if (Status bus = CheckBus(e, "EventBusName", options_); !bus.ok()) {
      results.push_back(EntryError("InvalidArgument", bus.error().message));
      continue;
    }
    std::string source = Str(e, "Source"), detail_type = Str(e, "DetailType");
    std::string detail_text = Str(e, "Detail");
    if (source.empty()) {
      results.push_back(invalid("Source", "Source is a required argument."));
      continue;
    }
    if (detail_type.empty()) {
      results.push_back(invalid("DetailType", "DetailType is a required argument."));
      continue;
    }
    if (detail_text.empty()) {
      results.push_back(invalid("Detail", "Detail is a required argument."));
      continue;
    }
    auto detail = Json::Parse(detail_text);
    if (!detail.ok() || !detail->is_object()) {
      results.push_back(EntryError("MalformedDetail", "Detail is malformed."));
      continue;
    }
    JsonArray resources;
    if (const Json* r = e.find("Resources"); r != nullptr && !r->is_null()) {
      bool strings = r->is_array() && std::all_of(r->as_array().begin(), r->as_array().end(),
                                                  [](const Json& x) { return x.is_string(); });
      if (!strings) {
        results.push_back(invalid("Resources", "Resources must be a list of strings."));
        continue;
      }
      resources = r->as_array();
    }
    // Time: the SDKs send epoch seconds; a string is taken as the caller wrote it.
    std::string time = now;
    if (const Json* t = e.find("Time"); t != nullptr && !t->is_null()) {
      if (t->is_number()) {
        time = FormatIso8601Seconds(TimePoint(std::chrono::duration_cast<TimePoint::duration>(
            std::chrono::duration<double>(t->as_double()))));
      } else if (t->is_string() && !t->as_string().empty()) {
        time = t->as_string();
      }
    }
    std::string id = NewEventId();
    Json event = Json::Object({{"version", Json::String("0")},
                               {"id", Json::String(id)},
                               {"detail-type", Json::String(detail_type)},
                               {"source", Json::String(source)},
                               {"account", Json::String(options_.account)},
                               {"time", Json::String(time)},
                               {"region", Json::String(options_.region)},
                               {"resources", Json::Array(std::move(resources))},
                               {"detail", std::move(*detail)}});
    if (event.Dump().size() > kMaxEntryBytes) {
      results.push_back(invalid("Entries", "the event is larger than 256 KB."));
      continue;
    }
    events.push_back(std::move(event));
    results.push_back(Json::Object({{"EventId", Json::String(id)}}));
  }
  if (!events.empty()) {
    auto published = bus_->Publish(events);
    if (!published.ok())
      return MakeError("InternalException",
                       "the events could not be stored: " + published.error().message);
  }
  int64_t failed = std::count_if(results.begin(), results.end(),
                                 [](const Json& r) { return r.find("ErrorCode") != nullptr; });
  return Json::Object(
      {{"FailedEntryCount", Json::Int(failed)}, {"Entries", Json::Array(std::move(results))}});
}

Result<Json> EventsService::TestEventPattern(const Json& request) const {
  WHARF_TRY(std::string pattern_text,
            sfn::RequiredString(request, "EventPattern", sfn::Length{1, 4096}));
  WHARF_TRY(std::string event_text, sfn::RequiredString(request, "Event", sfn::Length{1, 262144}));
  auto pattern = events::Pattern::Compile(pattern_text);
  if (!pattern.ok()) return InvalidPattern(pattern.error().message);
  auto event = Json::Parse(event_text);
  if (!event.ok() || !event->is_object())
    return MakeError("ValidationException",
                     "Parameter Event is not valid: it is not a JSON "
                     "object.");
  // The fields every event has (TestEventPattern: "the event must contain ... id, account,
  // source, time, region, resources, detail-type").
  for (const char* field : {"id", "account", "source", "time", "region", "detail-type"}) {
    if (event->find(field) == nullptr)
      return MakeError("ValidationException",
                       fmt::format("Parameter Event is not valid: the event has no '{}'.", field));
  }
  return Json::Object({{"Result", Json::Bool(pattern->Matches(*event))}});
}

Result<Json> EventsService::ListDeadLetters(const Json& request) const {
  WHARF_TRY(int limit, Limit(request, 1000, 100));
  WHARF_TRY(std::vector<events::DeadLetter> letters, bus_->ListDeadLetters(limit));
  JsonArray out;
  for (const events::DeadLetter& d : letters) {
    out.push_back(Json::Object({{"Id", Json::Int(d.seq)},
                                {"EventId", Json::String(d.event_id)},
                                {"Rule", Json::String(d.rule)},
                                {"TargetId", Json::String(d.target_id)},
                                {"Attempts", Json::Int(d.attempts)},
                                {"Reason", Json::String(d.reason)},
                                {"FailedAt", Json::Double(static_cast<double>(d.failed_ms) / 1000)},
                                {"Event", Json::String(d.event.Dump())}}));
  }
  return Json::Object({{"DeadLetters", Json::Array(std::move(out))}});
}

Result<Json> EventsService::ReplayDeadLetter(const Json& request) const {
  const Json* id = request.find("Id");
  if (id == nullptr || !id->is_int() || id->as_int() < 1)
    return sfn::ValidationError(
        "Value at 'id' failed to satisfy constraint: Member must be a positive integer (the Id "
        "ListDeadLetters gives)");
  Status replayed = bus_->Replay(id->as_int());
  if (!replayed.ok() && replayed.error().code == "ResourceNotFoundException")
    return MakeError(
        "ResourceNotFoundException",
        fmt::format("Dead letter {} does not exist (see ListDeadLetters).", id->as_int()));
  WHARF_TRY_STATUS(std::move(replayed));
  return Json::EmptyObject();
}

}  // namespace wharf::api
