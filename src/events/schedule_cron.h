// CronExpression: the six fields of an AWS cron(...) schedule expression, parsed and checked, and
// the calendar questions a schedule asks of them. Pure: no clock and no time zone; schedule.h turns
// the days and times of day into instants in a zone.
//
// The syntax is EventBridge's and EventBridge Scheduler's ("Cron expressions reference";
// docs/events.md):
//   cron(minutes hours day-of-month month day-of-week year)
//   minutes 0-59, hours 0-23, day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 1-7 or SUN-SAT
//   (1 = Sunday), year 1970-2199; wildcards , - * / in every field but day-of-week (no /);
//   ? L W in day-of-month, ? L # in day-of-week; exactly one of the two day fields is '?'.
//
// Thread-safety: a plain value type.
#pragma once

#include <bitset>
#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace wharf::events {

class CronExpression {
 public:
  static constexpr int kFirstYear = 1970;
  static constexpr int kLastYear = 2199;

  // `fields` is the text between "cron(" and ")". `context` (the whole expression) begins every
  // error message, followed by the field and the bad token:
  //   "cron(0 25 * * ? *): hours: 25 is out of range 0-23". Errors are "ValidationException".
  static Result<CronExpression> Parse(std::string_view fields, std::string_view context);

  // Whether the year, month, day-of-month and day-of-week fields accept `day`.
  // REQUIRES: day.ok().
  bool MatchesDay(std::chrono::year_month_day day) const;
  // The first day at or after `from` that MatchesDay, or nullopt when none is left before 2200.
  std::optional<std::chrono::year_month_day> FirstDayFrom(std::chrono::year_month_day from) const;
  // The last day at or before `from` that MatchesDay, or nullopt when none is left after 1969.
  std::optional<std::chrono::year_month_day> LastDayUpTo(std::chrono::year_month_day from) const;

  // The hours and minutes the expression names, ascending.
  const std::vector<int>& hours() const { return hours_; }
  const std::vector<int>& minutes() const { return minutes_; }

 private:
  // How days are chosen: by day-of-month (day-of-week is '?') or by day-of-week (the reverse).
  enum class DayRule {
    kDaysOfMonth,         // 1,15 / 1-5 / */2 / *
    kLastDayOfMonth,      // L
    kLastWeekdayOfMonth,  // LW
    kNearestWeekday,      // 15W: the Monday-Friday day nearest the 15th, within the month
    kDaysOfWeek,          // MON-FRI / 2,4 / * / L (Saturday, the last day of the week)
    kLastOfMonth,         // 6L: the month's last Friday
    kNthOfMonth,          // 6#3: the month's third Friday
  };

  CronExpression() = default;

  std::vector<int> minutes_;
  std::vector<int> hours_;
  std::bitset<32> days_of_month_;  // bit d for day d
  std::bitset<13> months_;         // bit m for month m
  std::bitset<8> days_of_week_;    // bit w for day w, 1 = Sunday
  std::bitset<kLastYear - kFirstYear + 1> years_;
  DayRule day_rule_ = DayRule::kDaysOfMonth;
  int day_arg_ = 0;  // the day of kNearestWeekday; the weekday of kLastOfMonth and kNthOfMonth
  int nth_ = 0;      // the occurrence of kNthOfMonth, 1-5
};

}  // namespace wharf::events
