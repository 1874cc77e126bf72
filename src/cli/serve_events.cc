#include "cli/serve_events.h"

#include <fmt/format.h>

#include "events/webhook.h"

#include "asl/timestamp.h"

namespace wharf::cli {
namespace {

int64_t ToMs(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// The landing store's outbox: upload, download, delete and rename events (Transfer Family and
// S3 shapes).
class ObjectEvents final : public events::EventSource {
 public:
  explicit ObjectEvents(objects::ObjectStore& store) : store_(store) {}
  std::string name() const override { return "objects"; }
  Result<std::vector<events::SourceEvent>> Read(int64_t after, int limit) override {
    WHARF_TRY(std::vector<objects::ObjectEvent> read, store_.ReadEvents(limit, after));
    std::vector<events::SourceEvent> out;
    for (auto& e : read) out.push_back({e.seq, std::move(e.payload), ToMs(e.time)});
    return out;
  }
  Status Forget(const std::vector<int64_t>& seqs) override {
    return store_.MarkEventsDelivered(seqs);
  }

 private:
  objects::ObjectStore& store_;
};

// The state store's outbox: "Step Functions Execution Status Change".
class ExecutionEvents final : public events::EventSource {
 public:
  explicit ExecutionEvents(store::StateStore& store) : store_(store) {}
  std::string name() const override { return "executions"; }
  Result<std::vector<events::SourceEvent>> Read(int64_t after, int limit) override {
    WHARF_TRY(std::vector<store::OutboxEvent> read, store_.ReadOutbox(limit, after));
    std::vector<events::SourceEvent> out;
    for (auto& e : read) out.push_back({e.seq, std::move(e.payload), ToMs(e.time)});
    return out;
  }
  Status Forget(const std::vector<int64_t>& seqs) override {
    return store_.MarkOutboxDelivered(seqs, SystemClock().Now());
  }

 private:
  store::StateStore& store_;
};

// How often the importer looks at the two outboxes when no commit nudged it: a safety net (both
// stores nudge it after every commit that adds events), so an idle server wakes once a second
// rather than a hundred times.
constexpr auto kImportPoll = std::chrono::seconds(1);

// StartExecution's errors that no retry can fix.
bool Permanent(std::string_view code) {
  return code == "StateMachineDoesNotExist" || code == "StateMachineDeleting" ||
         code == "InvalidArn" || code == "InvalidName" || code == "InvalidExecutionInput" ||
         code == "ValidationException";
}

}  // namespace

events::InvokeResult StartExecutionTarget(api::SfnService& service,
                                          const events::Invocation& call) {
  auto started = service.Handle("StartExecution",
                                Json::Object({{"stateMachineArn", Json::String(call.target_arn)},
                                              {"name", Json::String(call.idempotency_key)},
                                              {"input", Json::String(call.input)}}));
  if (started.ok()) return {};
  const Error& e = started.error();
  if (e.code == "ExecutionAlreadyExists") return {};  // started by an earlier attempt
  return {false, !Permanent(e.code), e.code + ": " + e.message};
}

void ServeEvents::Stop() {
  if (landing) landing->SetCommitListener({});
  if (store) store->SetOutboxListener({});
  if (scheduler) scheduler->Stop();
  if (importer) importer->Stop();
  if (bus) bus->Stop();
}

Result<std::unique_ptr<ServeEvents>> StartEvents(const Project& project, const std::string& data,
                                                 const api::SfnOptions& sfn,
                                                 std::shared_ptr<api::SfnService> service,
                                                 objects::LocalObjectStore& landing,
                                                 store::StateStore& store,
                                                 std::function<void(const std::string&)> log) {
  // A target's state machine: one of the project's, or an ARN.
  auto machine_arn = [&](const std::string& machine,
                         const std::string& where) -> Result<std::string> {
    if (machine.rfind("arn:", 0) == 0) return machine;
    if (project.state_machines.contains(machine)) return api::StateMachineArn(sfn, machine);
    std::string known;
    for (const auto& [m, c] : project.state_machines) known += (known.empty() ? "" : ", ") + m;
    return MakeError("ValidationException",
                     fmt::format("{}: state_machine '{}' is not a state machine of the "
                                 "project ({}) nor an ARN",
                                 where, machine, known.empty() ? "none" : known));
  };
  // The project's schedules and rules, checked before anything opens.
  std::vector<events::ScheduleSpec> schedules;
  for (const auto& [name, config] : project.schedules) {
    auto invalid = [&](std::string_view what) {
      return MakeError("ValidationException", fmt::format("{}: {}", config.where, what));
    };
    auto schedule = events::ParseSchedule(config.expression, config.timezone);
    if (!schedule.ok()) return invalid(schedule.error().message);
    for (auto [key, text] : {std::pair{"start", &config.start}, std::pair{"end", &config.end}}) {
      if (text->empty()) continue;
      std::optional<TimePoint> t = asl::ParseTimestamp(*text);
      if (!t)
        return invalid(
            fmt::format("{}: '{}' is not a time such as 2026-12-01T06:00:00Z (an "
                        "ISO-8601 timestamp with Z or an offset)",
                        key, *text));
      if (std::string_view(key) == "start")
        schedule->set_start(*t);
      else
        schedule->set_end(*t);
    }
    if (schedule->start() && schedule->end() && *schedule->end() <= *schedule->start())
      return invalid(fmt::format("end ({}) must be after start ({})", config.end, config.start));
    WHARF_TRY(std::string arn, machine_arn(config.state_machine, config.where + ".target"));
    schedules.push_back(
        events::ScheduleSpec{name, std::move(*schedule), config.enabled, arn, config.input});
  }
  std::vector<events::RuleSpec> rules;
  for (const auto& [name, config] : project.rules) {
    events::RuleSpec rule;
    rule.name = name;
    rule.description = config.description;
    rule.event_pattern = config.event_pattern;
    rule.enabled = config.enabled;
    rule.managed_by = "project";
    for (const RuleTargetConfig& t : config.targets) {
      events::TargetSpec target;
      target.id = t.id;
      if (!t.webhook.empty()) {
        target.arn = t.webhook;
      } else {
        WHARF_TRY(target.arn, machine_arn(t.state_machine, t.where));
      }
      target.input.input = t.input;
      target.input.input_path = t.input_path;
      if (t.has_transformer)
        target.input.transformer =
            events::TargetInputSpec::Transformer{t.input_paths, t.input_template};
      target.retry.maximum_retry_attempts = t.maximum_retry_attempts;
      target.retry.maximum_event_age = std::chrono::seconds(t.maximum_event_age_seconds);
      rule.targets.push_back(std::move(target));
    }
    rules.push_back(std::move(rule));
  }

  auto events = std::make_unique<ServeEvents>();
  events::BusOptions options;
  options.path = data + "/events.db";
  options.region = sfn.region;
  options.account = sfn.account;
  options.sync_to_disk = project.power_loss_durability;
  options.log = log;
  options.invoke = [service](const events::Invocation& call) {
    if (events::IsWebhookArn(call.target_arn)) return events::PostWebhook(call);
    return StartExecutionTarget(*service, call);
  };
  WHARF_TRY(events->bus, events::Bus::Open(options));
  Status synced = events->bus->SyncRules("project", rules);
  if (!synced.ok()) {
    // Name the rule where the project file has it.
    for (const auto& [name, config] : project.rules) {
      if (synced.error().message.find("rule " + name + ":") != std::string::npos)
        return MakeError(synced.error().code,
                         fmt::format("{}: {}", config.where, synced.error().message));
    }
    return synced.error();
  }
  events->sources.push_back(std::make_unique<ObjectEvents>(landing));
  events->sources.push_back(std::make_unique<ExecutionEvents>(store));
  std::vector<events::EventSource*> sources;
  for (auto& s : events->sources) sources.push_back(s.get());
  events->importer =
      std::make_unique<events::Importer>(*events->bus, std::move(sources), kImportPoll, log);
  events->bus->Start();
  events->importer->Start();
  // An upload's event, or an execution's status change, is imported as soon as it is committed,
  // not at the next poll.
  events::Importer* importer = events->importer.get();
  landing.SetCommitListener([importer] { importer->Nudge(); });
  events->landing = &landing;
  store.SetOutboxListener([importer] { importer->Nudge(); });
  events->store = &store;
  events::SchedulerOptions scheduler_options;
  scheduler_options.region = sfn.region;
  scheduler_options.account = sfn.account;
  scheduler_options.log = log;
  auto scheduler =
      events::Scheduler::Open(*events->bus, std::move(schedules), std::move(scheduler_options));
  if (!scheduler.ok()) {
    events->Stop();
    // Name the schedule where the project file has it.
    for (const auto& [name, config] : project.schedules) {
      if (scheduler.error().message.rfind("schedule " + name + ":", 0) == 0)
        return MakeError(scheduler.error().code,
                         fmt::format("{}: {}", config.where, scheduler.error().message));
    }
    return scheduler.error();
  }
  events->scheduler = std::move(*scheduler);
  events->scheduler->Start();
  return events;
}

}  // namespace wharf::cli
