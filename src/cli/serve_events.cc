#include "cli/serve_events.h"

#include <fmt/format.h>

namespace wharf::cli {
namespace {

// The landing store's outbox: upload, download, delete and rename events (Transfer Family and
// S3 shapes).
class ObjectEvents final : public events::EventSource {
 public:
  explicit ObjectEvents(objects::ObjectStore& store) : store_(store) {}
  std::string name() const override { return "objects"; }
  Result<std::vector<events::SourceEvent>> Read(int64_t after, int limit) override {
    WHARF_TRY(std::vector<objects::ObjectEvent> read, store_.ReadEvents(limit, after));
    std::vector<events::SourceEvent> out;
    for (auto& e : read) out.push_back({e.seq, std::move(e.payload)});
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
    for (auto& e : read) out.push_back({e.seq, std::move(e.payload)});
    return out;
  }
  Status Forget(const std::vector<int64_t>& seqs) override {
    return store_.MarkOutboxDelivered(seqs, SystemClock().Now());
  }

 private:
  store::StateStore& store_;
};

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
  if (importer) importer->Stop();
  if (bus) bus->Stop();
}

Result<std::unique_ptr<ServeEvents>> StartEvents(const Project& project, const std::string& data,
                                                 const api::SfnOptions& sfn,
                                                 std::shared_ptr<api::SfnService> service,
                                                 objects::ObjectStore& landing,
                                                 store::StateStore& store,
                                                 std::function<void(const std::string&)> log) {
  // The project's rules, checked before anything opens.
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
      if (t.state_machine.rfind("arn:", 0) == 0) {
        target.arn = t.state_machine;
      } else if (project.state_machines.contains(t.state_machine)) {
        target.arn = api::StateMachineArn(sfn, t.state_machine);
      } else {
        std::string known;
        for (const auto& [m, c] : project.state_machines) known += (known.empty() ? "" : ", ") + m;
        return MakeError("ValidationException",
                         fmt::format("{}: state_machine '{}' is not a state machine of the "
                                     "project ({}) nor an ARN",
                                     t.where, t.state_machine, known.empty() ? "none" : known));
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
  events->importer = std::make_unique<events::Importer>(*events->bus, std::move(sources),
                                                        std::chrono::milliseconds(10), log);
  events->bus->Start();
  events->importer->Start();
  return events;
}

}  // namespace wharf::cli
