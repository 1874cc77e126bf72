// Helpers for the schedule tests: UTC instants from calendar fields, and run times as ISO strings
// so that a failing expectation prints readable times.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "events/schedule.h"

namespace wharf::events::testing {

inline TimePoint Utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  namespace chr = std::chrono;
  return TimePoint(chr::sys_days(chr::year_month_day{chr::year(y), chr::month(mo), chr::day(d)})) +
         chr::hours(h) + chr::minutes(mi) + chr::seconds(s);
}

inline std::string Iso(const std::optional<TimePoint>& t) {
  return t ? FormatIso8601(*t) : std::string("none");
}

// Parses an expression the test knows to be valid; a parse error fails the test (as an exception
// GoogleTest reports) with the message.
inline Schedule Must(std::string_view expression, std::string_view timezone = "") {
  auto schedule = ParseSchedule(expression, timezone);
  if (!schedule.ok()) throw std::runtime_error(schedule.error().message);
  return std::move(*schedule);
}

// The first `n` runs after `t`, as ISO strings separated by spaces.
inline std::string Runs(const Schedule& schedule, TimePoint t, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    std::optional<TimePoint> next = schedule.NextAfter(t);
    if (!out.empty()) out += ' ';
    out += Iso(next);
    if (!next) break;
    t = *next;
  }
  return out;
}

}  // namespace wharf::events::testing
