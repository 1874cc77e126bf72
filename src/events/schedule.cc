// Schedule expressions and their run times (see schedule.h and docs/events.md, "Schedules").
#include "events/schedule.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <utility>
#include <vector>

#include "events/schedule_cron.h"
#include "events/schedule_zone.h"

namespace wharf::events {

namespace chr = std::chrono;

namespace {

constexpr int64_t kDay = 86400;
// The largest step a zone's clocks have taken backwards (two hours, double summer time) with room
// to spare: a wall time this far after the wall time of t is first shown after t.
constexpr int64_t kMaxShift = 3 * 3600;

Error Invalid(std::string message) { return MakeError("ValidationException", std::move(message)); }

int64_t FloorSeconds(TimePoint t) { return chr::floor<chr::seconds>(t).time_since_epoch().count(); }
int64_t CeilSeconds(TimePoint t) { return chr::ceil<chr::seconds>(t).time_since_epoch().count(); }
TimePoint FromSeconds(int64_t s) { return TimePoint(chr::seconds(s)); }

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

chr::year_month_day DayOf(int64_t wall) {
  return chr::year_month_day(chr::sys_days(chr::days(FloorDiv(wall, kDay))));
}
int64_t WallOf(chr::year_month_day day) {
  return static_cast<int64_t>(chr::sys_days(day).time_since_epoch().count()) * kDay;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> Words(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t start = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// rate(value unit): "value: A positive number. unit: ... Valid values: minute | minutes | hour |
// hours | day | days. If the value is equal to 1, then the unit must be singular. If the value is
// greater than 1, the unit must be plural." (EventBridge, "Rate expressions").
Result<chr::seconds> ParseRate(std::string_view body, const std::string& expression) {
  std::vector<std::string_view> words = Words(body);
  if (words.size() != 2) {
    return Invalid(expression + ": expected rate(value unit), as in rate(5 minutes)");
  }
  const std::string_view value_text = words[0];
  const std::string_view unit = words[1];
  if (!AllDigits(value_text) ||
      std::all_of(value_text.begin(), value_text.end(), [](char c) { return c == '0'; })) {
    return Invalid(expression + ": the value must be a positive whole number: '" +
                   std::string(value_text) + "'");
  }
  if (value_text.size() > 9) {
    return Invalid(expression + ": the value " + std::string(value_text) +
                   " is too large (at most 999999999)");
  }
  const int64_t value = std::stoll(std::string(value_text));
  int64_t unit_seconds = 0;
  std::string_view singular;
  if (unit == "minute" || unit == "minutes") {
    unit_seconds = 60;
    singular = "minute";
  } else if (unit == "hour" || unit == "hours") {
    unit_seconds = 3600;
    singular = "hour";
  } else if (unit == "day" || unit == "days") {
    unit_seconds = kDay;  // "days represents a 24-hour duration on the clock"
    singular = "day";
  } else {
    return Invalid(expression + ": the unit '" + std::string(unit) +
                   "' is not one of minute, minutes, hour, hours, day, days");
  }
  const bool plural = unit.size() > singular.size();
  if (value == 1 && plural) {
    return Invalid(expression + ": the unit must be singular when the value is 1 (" +
                   std::string(singular) + ")");
  }
  if (value > 1 && !plural) {
    return Invalid(expression + ": the unit must be plural when the value is greater than 1 (" +
                   std::string(singular) + "s)");
  }
  return chr::seconds(value * unit_seconds);
}

// at(yyyy-mm-ddThh:mm:ss), a wall time in the schedule's zone.
Result<int64_t> ParseAtWall(std::string_view body, const std::string& expression) {
  const std::string_view shape = "dddd-dd-ddTdd:dd:dd";
  bool ok = body.size() == shape.size();
  for (size_t i = 0; ok && i < shape.size(); ++i) {
    ok = shape[i] == 'd' ? std::isdigit(static_cast<unsigned char>(body[i])) != 0
                         : body[i] == shape[i];
  }
  if (!ok) return Invalid(expression + ": expected at(yyyy-mm-ddThh:mm:ss)");
  auto number = [&](size_t pos, size_t len) {
    return std::stoi(std::string(body.substr(pos, len)));
  };
  const int year = number(0, 4);
  const int month = number(5, 2);
  const int day = number(8, 2);
  const int hour = number(11, 2);
  const int minute = number(14, 2);
  const int second = number(17, 2);
  // The cron year range bounds at() too, which keeps every run inside system_clock's range.
  if (year < CronExpression::kFirstYear || year > CronExpression::kLastYear) {
    return Invalid(expression + ": the year " + std::to_string(year) +
                   " is out of range 1970-2199");
  }
  const chr::year_month_day date{chr::year(year), chr::month(static_cast<unsigned>(month)),
                                 chr::day(static_cast<unsigned>(day))};
  if (!date.ok()) {
    return Invalid(expression + ": " + std::string(body.substr(0, 10)) + " is not a date");
  }
  if (hour > 23 || minute > 59 || second > 59) {
    return Invalid(expression + ": " + std::string(body.substr(11)) + " is not a time of day");
  }
  return WallOf(date) + hour * 3600 + minute * 60 + second;
}

}  // namespace

Result<Schedule> ParseSchedule(std::string_view expression_text, std::string_view timezone) {
  const std::string_view text = Trim(expression_text);
  const std::string expression(text);
  if (text.empty()) {
    return Invalid("the schedule expression is empty; expected cron(...), rate(...) or at(...)");
  }
  Schedule schedule;
  schedule.expression_ = expression;
  std::string_view body;
  for (auto [prefix, kind] : {std::pair{std::string_view("cron("), ScheduleKind::kCron},
                              std::pair{std::string_view("rate("), ScheduleKind::kRate},
                              std::pair{std::string_view("at("), ScheduleKind::kAt}}) {
    if (text.substr(0, prefix.size()) == prefix) {
      if (text.back() != ')') return Invalid("'" + expression + "' lacks its closing ')'");
      body = text.substr(prefix.size(), text.size() - prefix.size() - 1);
      schedule.kind_ = kind;
      break;
    }
    if (kind == ScheduleKind::kAt) {
      return Invalid("'" + expression +
                     "' is not a schedule expression; expected cron(...), rate(...) or at(...)");
    }
  }

  auto zone = ZoneRules::Load(Trim(timezone));
  if (!zone.ok()) return std::move(zone).error();
  schedule.zone_ = *zone;

  switch (schedule.kind_) {
    case ScheduleKind::kCron: {
      auto cron = CronExpression::Parse(body, expression);
      if (!cron.ok()) return std::move(cron).error();
      schedule.cron_ = std::make_shared<const CronExpression>(std::move(*cron));
      break;
    }
    case ScheduleKind::kRate: {
      auto period = ParseRate(body, expression);
      if (!period.ok()) return std::move(period).error();
      schedule.period_ = *period;
      break;
    }
    case ScheduleKind::kAt: {
      auto wall = ParseAtWall(Trim(body), expression);
      if (!wall.ok()) return std::move(wall).error();
      // A wall time the zone skips runs that far after the gap (02:30 on a spring-forward night
      // in New York runs at 03:30 EDT); one the zone shows twice runs at its first showing, as
      // cron times do.
      const WallInstants at = schedule.zone_->InstantsAt(*wall);
      schedule.at_ = FromSeconds(at.count > 0 ? at.earliest : at.after_gap);
      break;
    }
  }
  return schedule;
}

const std::string& Schedule::timezone() const { return zone_->name(); }

std::optional<TimePoint> Schedule::NextAfter(TimePoint t) const {
  switch (kind_) {
    case ScheduleKind::kCron:
      return CronNextAfter(t);
    case ScheduleKind::kRate:
      return RateNextAfter(t);
    case ScheduleKind::kAt:
      if (at_ > t) return at_;
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<TimePoint> Schedule::LastAtOrBefore(TimePoint t) const {
  switch (kind_) {
    case ScheduleKind::kCron:
      return CronLastAtOrBefore(t);
    case ScheduleKind::kRate:
      return RateLastAtOrBefore(t);
    case ScheduleKind::kAt:
      if (at_ <= t) return at_;
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<TimePoint> Schedule::MissedRun(TimePoint last_fire, TimePoint now) const {
  std::optional<TimePoint> latest = LastAtOrBefore(now);
  if (latest && *latest > last_fire) return latest;
  return std::nullopt;
}

// Cron runs are the wall times the fields name, each at the first instant the zone's clocks show
// it; a wall time the clocks skip has no run. "When time shifts forward in the Spring, if a cron
// expression falls on a non-existent date and time, your schedule invocation is skipped. When time
// shifts backwards in the Fall, your schedule runs only once and does not repeat its invocation."
std::optional<TimePoint> Schedule::CronNextAfter(TimePoint t) const {
  int64_t after = FloorSeconds(t);  // runs are whole seconds: run > t iff run > floor(t)
  if (start_) after = std::max(after, CeilSeconds(*start_) - 1);
  // A wall time at or before the wall time of `after` was shown at or before `after` (the clocks
  // show every wall time they reach; one they jumped over has no run), so only later wall times
  // are looked up.
  const int64_t wall_now = zone_->WallAt(after);
  chr::year_month_day from = DayOf(wall_now);
  while (std::optional<chr::year_month_day> day = cron_->FirstDayFrom(from)) {
    const int64_t midnight = WallOf(*day);
    for (int hour : cron_->hours()) {
      if (midnight + hour * 3600 + 3599 <= wall_now) continue;
      for (int minute : cron_->minutes()) {
        const int64_t wall = midnight + hour * 3600 + minute * 60;
        if (wall <= wall_now) continue;
        const WallInstants instants = zone_->InstantsAt(wall);
        if (instants.count == 0 || instants.earliest <= after) continue;
        const TimePoint run = FromSeconds(instants.earliest);
        if (end_ && run >= *end_) return std::nullopt;
        return run;
      }
    }
    from = chr::sys_days(*day) + chr::days(1);
  }
  return std::nullopt;
}

std::optional<TimePoint> Schedule::CronLastAtOrBefore(TimePoint t) const {
  int64_t until = FloorSeconds(t);
  if (end_) until = std::min(until, CeilSeconds(*end_) - 1);
  const int64_t wall_now = zone_->WallAt(until);
  chr::year_month_day from = DayOf(wall_now + kDay);
  while (std::optional<chr::year_month_day> day = cron_->LastDayUpTo(from)) {
    const int64_t midnight = WallOf(*day);
    const std::vector<int>& hours = cron_->hours();
    const std::vector<int>& minutes = cron_->minutes();
    for (auto hour = hours.rbegin(); hour != hours.rend(); ++hour) {
      if (midnight + *hour * 3600 > wall_now + kMaxShift) continue;
      for (auto minute = minutes.rbegin(); minute != minutes.rend(); ++minute) {
        const int64_t wall = midnight + *hour * 3600 + *minute * 60;
        if (wall > wall_now + kMaxShift) continue;
        const WallInstants instants = zone_->InstantsAt(wall);
        if (instants.count == 0 || instants.earliest > until) continue;
        const TimePoint run = FromSeconds(instants.earliest);
        if (start_ && run < *start_) return std::nullopt;
        return run;
      }
    }
    from = chr::sys_days(*day) - chr::days(1);
  }
  return std::nullopt;
}

// Rate runs are start + k * period, k = 0, 1, ...; the zone plays no part ("days represents a
// 24-hour duration on the clock"). Computed in 128 bits: a period of 999999999 days overflows
// nanoseconds in 64.
std::optional<TimePoint> Schedule::RateNextAfter(TimePoint t) const {
  using Wide = __int128;
  const Wide anchor = start_.value_or(TimePoint{}).time_since_epoch().count();
  const Wide period =
      static_cast<Wide>(chr::duration_cast<TimePoint::duration>(chr::seconds(1)).count()) *
      period_.count();
  const Wide now = t.time_since_epoch().count();
  const Wide k = now < anchor ? 0 : (now - anchor) / period + 1;
  const Wide run = anchor + k * period;
  if (run > std::numeric_limits<TimePoint::rep>::max()) return std::nullopt;
  const TimePoint out{TimePoint::duration(static_cast<TimePoint::rep>(run))};
  if (end_ && out >= *end_) return std::nullopt;
  return out;
}

std::optional<TimePoint> Schedule::RateLastAtOrBefore(TimePoint t) const {
  using Wide = __int128;
  const Wide anchor = start_.value_or(TimePoint{}).time_since_epoch().count();
  const Wide period =
      static_cast<Wide>(chr::duration_cast<TimePoint::duration>(chr::seconds(1)).count()) *
      period_.count();
  Wide limit = t.time_since_epoch().count();
  if (end_) limit = std::min<Wide>(limit, end_->time_since_epoch().count() - 1);
  if (limit < anchor) return std::nullopt;
  const Wide run = anchor + (limit - anchor) / period * period;
  return TimePoint{TimePoint::duration(static_cast<TimePoint::rep>(run))};
}

}  // namespace wharf::events
