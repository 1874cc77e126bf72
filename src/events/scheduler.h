// Scheduler: schedules that start work by the clock (EventBridge Scheduler's schedules, issue 5,
// "Schedules"; docs/events.md, "Schedules").
//
// A run of a schedule is an event on the bus ("aws.scheduler", "Scheduled Event", resources: the
// schedule's ARN, detail: the target's input) whose id is derived from the schedule's name and the
// run's time. Each schedule has a rule of its own on the bus (managed by "schedules", named
// ScheduleRuleName) that delivers the event's detail to the target state machine, so a run goes
// through the bus's durable outbox and retries like any matched event.
//
// Exactly once per run: Bus::Publish stores the event, its delivery and the schedule's last run
// (the position of the source "schedule:NAME") in one transaction, so a run is recorded exactly
// when its delivery is. A run fired again (a crash before the position was read back, two
// processes) has the same event id, which the bus stores once, and the same execution name
// (DeliveryKey of the event id and the rule), which StartExecution starts once.
//
// Missed runs: after downtime a schedule fires only the latest run it missed, once, and logs
// "schedule NAME: missed N runs while stopped; firing the one at TIME" (Schedule::MissedRun). A
// disabled schedule fires nothing, and the runs it skipped are not made up: enabled again, it
// counts from the start of wharf that finds it enabled. A schedule seen for the first time counts
// from then (its creation time, kept in the file as the position of "schedule-created:NAME"); a
// rate() without a start runs at its creation and counts its periods
// from its creation, as AWS does.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "events/bus.h"
#include "events/schedule.h"

namespace wharf::events {

struct ScheduleSpec {
  std::string name;  // 1 to 64 of [0-9a-zA-Z-_.]
  Schedule schedule;
  bool enabled = true;
  std::string target_arn;    // the state machine the schedule starts
  std::string input = "{}";  // JSON text: what the execution receives
};

struct SchedulerOptions {
  std::string region = "us-east-1";
  std::string account = "111111111111";
  const Clock* clock = nullptr;  // nullptr: the system clock
  std::function<void(const std::string&)> log;
};

class Scheduler {
 public:
  // Puts each schedule's rule on `bus` (deleting the rules of schedules no longer given) and reads
  // each schedule's last run from the bus's file. Errors name the schedule. `bus` must outlive
  // the scheduler.
  static Result<std::unique_ptr<Scheduler>> Open(Bus& bus, std::vector<ScheduleSpec> schedules,
                                                 SchedulerOptions options);
  ~Scheduler();  // Stop()
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  size_t size() const { return states_.size(); }

  // Fires what is due at the clock's time: for each enabled schedule, the latest run after its
  // last one, once. Returns how many runs it fired. The thread calls it each time it wakes.
  Result<int> Check();
  // The earliest run of an enabled schedule after its last run and after the clock's time.
  std::optional<TimePoint> NextRun() const;
  // Publishes the run of schedule `name` at `scheduled` and records it as the schedule's last run
  // (unless a later one is recorded). Idempotent: the same run fired twice starts one execution.
  Status Fire(std::string_view name, TimePoint scheduled);

  // A thread that sleeps until the next run (or Stop) and calls Check. With a virtual clock it
  // looks at the clock every few milliseconds instead.
  void Start();
  void Stop();

 private:
  struct State {
    ScheduleSpec spec;
    std::string arn;
    TimePoint last;  // the last run fired, or just before the creation time
  };
  Scheduler(Bus& bus, SchedulerOptions options);
  Status FireLocked(State& state, TimePoint scheduled);
  void Loop();
  void Log(const std::string& line) const {
    if (options_.log) options_.log(line);
  }

  Bus& bus_;
  SchedulerOptions options_;
  SystemClock system_clock_;
  const Clock* clock_;
  TimePoint opened_;

  mutable std::mutex mu_;  // guards states_' `last`
  std::vector<State> states_;

  std::mutex thread_mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

// arn:aws:scheduler:REGION:ACCOUNT:schedule/default/NAME
std::string ScheduleArn(std::string_view region, std::string_view account, std::string_view name);
// The bus rule that delivers a schedule's runs: "schedule.NAME", or, when that is longer than 64
// characters, "schedule." and the name's first 38 characters, '-' and 16 hex digits of its hash.
std::string ScheduleRuleName(std::string_view name);
// The id of the run of `name` at `scheduled`: a UUID-shaped SHA-256 of the two.
std::string ScheduleEventId(std::string_view name, TimePoint scheduled);

}  // namespace wharf::events
