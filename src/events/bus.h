// Bus: wharf's event bus (EventBridge's default bus). Events arrive from the landing store
// (uploads), from the engine (execution status changes) and from PutEvents; rules match them with
// EventBridge patterns; each match becomes a delivery to one of the rule's targets.
//
// Durability (docs/events.md, "Delivery"):
//   - Publish stores the events and the deliveries they match in one SQLite transaction (the
//     bus's own file, DATA/events.db), together with the position reached in the source they came
//     from, so a source's outbox is read once: an event imported before a crash is not imported
//     again, and one not yet imported is imported after it.
//   - A delivery stays in the file until its target took it, or until it is dead-lettered: when
//     the target refuses it for good, after MaximumRetryAttempts retries, or once the event is
//     older than MaximumEventAgeInSeconds. Retries back off exponentially with jitter.
//   - Every attempt of one delivery carries the same idempotency key, derived from the event id,
//     the rule and the target, so a target that dedupes on it (StartExecution's name) acts once
//     even when wharf crashed between acting and recording it.
//   - Dead letters keep the event, the rule, the target and the reason; Replay delivers one again.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/json.h"
#include "core/result.h"
#include "events/target_input.h"

namespace wharf::events {

struct RetryPolicy {
  int maximum_retry_attempts = 185;                   // EventBridge's default
  std::chrono::seconds maximum_event_age{24 * 3600};  // 60 s to 24 h
};

struct TargetSpec {
  std::string id;   // unique within the rule
  std::string arn;  // a state machine's ARN, or an http(s) URL for a webhook
  TargetInputSpec input;
  RetryPolicy retry;
};

struct RuleSpec {
  std::string name;
  std::string description;
  std::string event_pattern;  // JSON text
  bool enabled = true;
  std::string managed_by;  // "project" for rules of the project file, which the API cannot change
  std::vector<TargetSpec> targets;
};

// One event for one target, as the invoker gets it.
struct Invocation {
  std::string event_id;
  std::string rule;
  std::string target_id;
  std::string target_arn;
  std::string input;            // what the target receives (TargetInput::Render)
  std::string idempotency_key;  // the same on every attempt: [A-Za-z0-9_-], at most 80
  int attempt = 1;              // 1 for the first
};

struct InvokeResult {
  bool ok = true;
  bool retryable = true;  // when !ok: false sends the delivery to the dead letters at once
  std::string message;    // when !ok: why
};
using TargetInvoker = std::function<InvokeResult(const Invocation&)>;

struct BusOptions {
  std::string path;  // the SQLite file, created if missing
  std::string region = "us-east-1";
  std::string account = "111111111111";
  TargetInvoker invoke;
  const Clock* clock = nullptr;  // nullptr: the system clock
  // Back-off before retry n (1-based): min(base * 2^(n-1), cap), times a random factor in
  // [0.5, 1] (jitter).
  std::chrono::milliseconds retry_base{1000};
  std::chrono::milliseconds retry_cap{std::chrono::minutes(5)};
  int delivery_threads = 2;
  bool sync_to_disk = false;  // true: synchronous=FULL (durability: power-loss)
  std::function<void(const std::string&)> log;
};

struct PublishResult {
  int64_t events = 0;      // events stored (an id already stored is skipped)
  int64_t deliveries = 0;  // deliveries they matched
};

struct DeadLetter {
  int64_t seq = 0;
  std::string event_id;
  std::string rule;
  std::string target_id;
  int attempts = 0;
  std::string reason;
  int64_t failed_ms = 0;
  Json event;
};

struct BusStats {
  int64_t pending = 0;       // deliveries waiting for their target
  int64_t dead_letters = 0;  // not replayed
  int64_t delivered = 0;     // since this process started
  int64_t retried = 0;       // since this process started
};

class Bus {
 public:
  static Result<std::unique_ptr<Bus>> Open(BusOptions options);
  ~Bus();  // stops the delivery threads
  Bus(const Bus&) = delete;
  Bus& operator=(const Bus&) = delete;

  // Creates or replaces a rule (kept in the file). Errors: ValidationException naming the
  // field, ManagedRuleException when `managed_by` differs from the stored rule's.
  Status PutRule(const RuleSpec& rule);
  Status DeleteRule(std::string_view name, std::string_view managed_by);
  std::vector<RuleSpec> ListRules() const;
  std::optional<RuleSpec> GetRule(std::string_view name) const;
  // Rules of `managed_by` not in `keep` are deleted: the project file's rules as they are now.
  Status SyncRules(std::string_view managed_by, const std::vector<RuleSpec>& keep);
  std::string RuleArn(std::string_view name) const;

  // Stores `events` (each an EventBridge event with an "id") and their deliveries; with a
  // `source`, also that source's position `position`, in the same transaction. `committed_ms`,
  // when given, has for each event the time its source committed it (kept with the event, for
  // the figures of the time from an upload to its execution).
  Result<PublishResult> Publish(const std::vector<Json>& events, std::string_view source = "",
                                int64_t position = 0,
                                const std::vector<int64_t>* committed_ms = nullptr);
  // The position stored for `source` (0 when none).
  Result<int64_t> Position(std::string_view source) const;
  // The names of the rules `event` matches, without storing anything.
  std::vector<std::string> Match(const Json& event) const;

  void Start();  // the delivery threads; REQUIRES: options.invoke
  void Stop();
  // Blocks until no delivery is due now or being attempted, or `timeout` passes; true when idle.
  bool WaitIdle(std::chrono::milliseconds timeout);

  Result<std::vector<DeadLetter>> ListDeadLetters(int limit) const;
  // Queues the dead letter's delivery again (as a first attempt) and removes the dead letter.
  Status Replay(int64_t dead_letter_seq);

  BusStats Stats() const;

  struct Impl;

 private:
  explicit Bus(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// What the bus at `path` holds, read-only (for `wharf events`, also while `wharf serve` runs):
// events with seq > `after`, oldest first, and the position stored for each source.
struct StoredEvent {
  int64_t seq = 0;
  int64_t received_ms = 0;
  std::optional<int64_t> committed_ms;  // when its source committed it, if known
  std::string body;
};
Result<std::vector<StoredEvent>> PeekBusEvents(const std::string& path, int limit, int64_t after);
Result<int64_t> PeekBusPosition(const std::string& path, std::string_view source);

// A target as EventBridge's ListTargetsByRule shows it (and as the bus stores it): Id, Arn,
// Input / InputPath / InputTransformer, RetryPolicy.
Json TargetToJson(const TargetSpec& target);

// The idempotency key of (event id, rule, target): the rule's name (cut to 47 characters), '-',
// and 32 hex digits of a SHA-256 of the three; a valid Step Functions execution name.
std::string DeliveryKey(std::string_view event_id, std::string_view rule,
                        std::string_view target_id);

}  // namespace wharf::events
