// Schedules: when an EventBridge Scheduler style schedule fires. Parses the three expression kinds
//   cron(minutes hours day-of-month month day-of-week year)   e.g. cron(30 8 ? * MON-FRI *)
//   rate(value unit)                                         e.g. rate(5 minutes), rate(1 day)
//   at(yyyy-mm-ddThh:mm:ss)                                  e.g. at(2025-11-20T13:00:00)
// in an IANA time zone (UTC by default), and answers "when is the next run after t?" and "which run
// did a pause miss?". Pure: no clock; the scheduler passes the times in (docs/events.md,
// "Schedules").
//
// Daylight saving, as EventBridge Scheduler does it ("Daylight savings time on EventBridge
// Scheduler"): a cron time the clocks skip (spring forward) does not run that day; a cron time the
// clocks show twice (fall back) runs once, at its first showing. rate() counts fixed periods from
// its start and ignores the zone; at() reads its time in the zone.
//
// Thread-safety: a Schedule is immutable after its setters; const methods may run on any thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"

namespace wharf::events {

class CronExpression;
class ZoneRules;

enum class ScheduleKind { kCron, kRate, kAt };

class Schedule {
 public:
  ScheduleKind kind() const { return kind_; }
  // The expression as given, without surrounding blanks.
  const std::string& expression() const { return expression_; }
  // The time zone's IANA name; "UTC" when none was given.
  const std::string& timezone() const;
  // rate(): the period (value times 60, 3600 or 86400 seconds; a day is always 24 hours).
  std::chrono::seconds period() const { return period_; }

  // The window of AWS's StartDate and EndDate. A cron or rate schedule runs at or after `start` and
  // before `end`; at() ignores both, as AWS does. A rate schedule's runs are start + k * period
  // (k = 0, 1, ...); without a start they count from 1970-01-01T00:00:00Z, so the scheduler sets
  // start to the creation time to run "immediately", as AWS does without a StartDate.
  void set_start(TimePoint start) { start_ = start; }
  void set_end(TimePoint end) { end_ = end; }
  const std::optional<TimePoint>& start() const { return start_; }
  const std::optional<TimePoint>& end() const { return end_; }

  // The first run strictly after `t`, or nullopt when none is left (a past at(), the end of the
  // window, the year 2199 of cron).
  std::optional<TimePoint> NextAfter(TimePoint t) const;
  // The last run at or before `t`, or nullopt when there was none.
  std::optional<TimePoint> LastAtOrBefore(TimePoint t) const;

  // The missed-run policy: after downtime, a schedule fires the run it missed once, not a burst.
  // Returns the latest run in (last_fire, now] (the one to fire now), or nullopt when none was
  // missed. `last_fire` is the schedule's last fire time, or its creation time if it never fired.
  std::optional<TimePoint> MissedRun(TimePoint last_fire, TimePoint now) const;

 private:
  friend Result<Schedule> ParseSchedule(std::string_view, std::string_view);
  Schedule() = default;

  std::optional<TimePoint> CronNextAfter(TimePoint t) const;
  std::optional<TimePoint> CronLastAtOrBefore(TimePoint t) const;
  std::optional<TimePoint> RateNextAfter(TimePoint t) const;
  std::optional<TimePoint> RateLastAtOrBefore(TimePoint t) const;

  ScheduleKind kind_ = ScheduleKind::kCron;
  std::string expression_;
  std::shared_ptr<const CronExpression> cron_;
  std::shared_ptr<const ZoneRules> zone_;
  std::chrono::seconds period_{0};
  TimePoint at_;
  std::optional<TimePoint> start_;
  std::optional<TimePoint> end_;
};

// Parses `expression` for the zone `timezone` (an IANA name; empty means UTC). Errors are
// "ValidationException" with a message that names the expression, the field and the bad token:
//   "cron(0 25 * * ? *): hours: 25 is out of range 0-23"
//   "rate(5 hour): the unit must be plural when the value is greater than 1 (hours)"
//   "unknown time zone 'Mars/Olympus' (expected an IANA time zone name ...)"
Result<Schedule> ParseSchedule(std::string_view expression, std::string_view timezone);

}  // namespace wharf::events
