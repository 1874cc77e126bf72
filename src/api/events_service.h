// EventsService: the EventBridge API (AWS JSON 1.1, target prefix "AWSEvents", signing name
// "events") over wharf's event bus (events/bus.h), the default event bus only. docs/events.md,
// "The EventBridge API", lists the actions and where they differ from AWS.
//
// - Rules: PutRule, DescribeRule, ListRules, DeleteRule, EnableRule, DisableRule. Rules of the
//   project file (managed_by "project") can be read but not changed: ManagedRuleException.
// - Targets: PutTargets, ListTargetsByRule, RemoveTargets. A target is a Step Functions state
//   machine (arn:aws:states:REGION:ACCOUNT:stateMachine:NAME) with Input, InputPath or
//   InputTransformer and a RetryPolicy.
// - PutEvents stores the events on the bus (Bus::Publish), which matches them against the rules
//   and delivers them durably; TestEventPattern matches one event against one pattern.
// - Two wharf extensions, not AWS actions: ListDeadLetters and ReplayDeadLetter.
//
// Errors carry AWS's names as the code: ResourceNotFoundException, ValidationException,
// ManagedRuleException, InvalidEventPatternException, LimitExceededException.
//
// Thread-safety: Handle may be called from several threads at once. Changes of one rule's
// targets (read, modify, write) are serialized by the service's own lock.
#pragma once

#include <mutex>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/json.h"
#include "core/result.h"
#include "events/bus.h"

namespace wharf::api {

struct EventsOptions {
  std::string region = "us-east-1";
  std::string account = "111111111111";
  const Clock* clock = nullptr;  // nullptr: the system clock (PutEvents' default Time)
};

class EventsService {
 public:
  // REQUIRES: `bus` outlives the service.
  EventsService(events::Bus* bus, EventsOptions options);

  // Runs `action` (e.g. "PutRule") on a request body; unknown actions are
  // "UnknownOperationException".
  Result<Json> Handle(std::string_view action, const Json& request) const;

 private:
  Result<Json> PutRule(const Json& request) const;
  Result<Json> DescribeRule(const Json& request) const;
  Result<Json> ListRules(const Json& request) const;
  Result<Json> DeleteRule(const Json& request) const;
  Result<Json> EnableRule(const Json& request) const;
  Result<Json> DisableRule(const Json& request) const;
  Result<Json> SetState(const Json& request, bool enabled) const;
  Result<Json> PutTargets(const Json& request) const;
  Result<Json> ListTargetsByRule(const Json& request) const;
  Result<Json> RemoveTargets(const Json& request) const;
  Result<Json> PutEvents(const Json& request) const;
  Result<Json> TestEventPattern(const Json& request) const;
  Result<Json> ListDeadLetters(const Json& request) const;
  Result<Json> ReplayDeadLetter(const Json& request) const;

  // The rule named by `member` ("Name" or "Rule"), after checking EventBusName.
  Result<events::RuleSpec> FindRule(const Json& request, std::string_view member) const;
  // ManagedRuleException for a rule the API may not change.
  Status CheckUnmanaged(const events::RuleSpec& rule) const;
  Json RuleSummary(const events::RuleSpec& rule) const;
  TimePoint Now() const;

  events::Bus* bus_;
  EventsOptions options_;
  SystemClock system_clock_;
  // Serializes read-modify-write of rules (PutRule keeps the targets; PutTargets, RemoveTargets,
  // Enable and Disable rewrite the rule).
  mutable std::mutex rules_mu_;
};

}  // namespace wharf::api
