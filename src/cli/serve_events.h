// The event bus of `wharf serve` (issue 5): the project's rules, the landing store's upload
// events and the engine's status changes imported onto the bus, and deliveries that start state
// machines through the Step Functions service.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/sfn_service.h"
#include "core/project.h"
#include "events/bus.h"
#include "events/importer.h"
#include "events/scheduler.h"
#include "objects/local_store.h"
#include "store/state_store.h"

namespace wharf::cli {

struct ServeEvents {
  std::vector<std::unique_ptr<events::EventSource>> sources;
  std::unique_ptr<events::Bus> bus;
  std::unique_ptr<events::Importer> importer;
  objects::LocalObjectStore* landing = nullptr;  // nudges the importer after each commit
  store::StateStore* store = nullptr;            // nudges it after each commit with events
  std::unique_ptr<events::Scheduler> scheduler;  // the project's schedules

  void Stop();  // the scheduler, the importer, then the deliveries
};

// Opens DATA/events.db, puts the project's rules there (dropping project rules no longer in the
// file), and starts the importer, the delivery threads and the scheduler of the project's
// schedules. An error names the rule and target, or the schedule, where the project file has it.
Result<std::unique_ptr<ServeEvents>> StartEvents(const Project& project, const std::string& data,
                                                 const api::SfnOptions& sfn,
                                                 std::shared_ptr<api::SfnService> service,
                                                 objects::LocalObjectStore& landing,
                                                 store::StateStore& store,
                                                 std::function<void(const std::string&)> log);

// StartExecution for one delivery: the idempotency key is the execution's name, so a delivery
// attempted again after a crash finds its execution (ExecutionAlreadyExists) instead of starting
// a second one.
events::InvokeResult StartExecutionTarget(api::SfnService& service, const events::Invocation& call);

}  // namespace wharf::cli
