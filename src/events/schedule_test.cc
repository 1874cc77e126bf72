// Schedules in UTC: every cron operator, L/W/#, day-of-week numbering, the year range, rate(),
// at(), the StartDate/EndDate window and the missed-run policy. Expected times are worked out by
// hand in the comments (calendar anchors: 2024-01-01 is a Monday, 2024 is a leap year).
#include "events/schedule.h"

#include <gtest/gtest.h>

#include "events/schedule_testing.h"

namespace wharf::events {
namespace {

using testing::Iso;
using testing::Must;
using testing::Runs;
using testing::Utc;

TEST(ScheduleCron, CommaListsValues) {
  // 14:05 and 14:35 each day.
  EXPECT_EQ(Runs(Must("cron(5,35 14 * * ? *)"), Utc(2024, 1, 1), 3),
            "2024-01-01T14:05:00.000Z 2024-01-01T14:35:00.000Z 2024-01-02T14:05:00.000Z");
}

TEST(ScheduleCron, DashIsARange) {
  // Hours 9, 10, 11: after 10:30 comes 11:00, then 09:00 the next day.
  EXPECT_EQ(Runs(Must("cron(0 9-11 * * ? *)"), Utc(2024, 1, 1, 10, 30), 2),
            "2024-01-01T11:00:00.000Z 2024-01-02T09:00:00.000Z");
}

TEST(ScheduleCron, SlashCountsFromItsStart) {
  // "1/10 ... every tenth minute, starting from the first minute": 1, 11, 21, 31, 41, 51.
  EXPECT_EQ(Runs(Must("cron(1/10 * * * ? *)"), Utc(2024, 1, 1, 0, 45), 3),
            "2024-01-01T00:51:00.000Z 2024-01-01T01:01:00.000Z 2024-01-01T01:11:00.000Z");
  // */15 is 0, 15, 30, 45.
  EXPECT_EQ(Runs(Must("cron(*/15 * * * ? *)"), Utc(2024, 1, 1, 0, 46), 2),
            "2024-01-01T01:00:00.000Z 2024-01-01T01:15:00.000Z");
  // A range with an increment: 10, 20, 30.
  EXPECT_EQ(Runs(Must("cron(10-30/10 * * * ? *)"), Utc(2024, 1, 1, 0, 31), 3),
            "2024-01-01T01:10:00.000Z 2024-01-01T01:20:00.000Z 2024-01-01T01:30:00.000Z");
  // Every other day of the month from the 1st: 1, 3, ..., 31; January has a 31st, February
  // 2024 ends on the 29th, so March 1st follows February 29th.
  EXPECT_EQ(Runs(Must("cron(0 0 1/2 * ? *)"), Utc(2024, 1, 30), 2),
            "2024-01-31T00:00:00.000Z 2024-02-01T00:00:00.000Z");
  EXPECT_EQ(Runs(Must("cron(0 0 1/2 * ? *)"), Utc(2024, 2, 28), 2),
            "2024-02-29T00:00:00.000Z 2024-03-01T00:00:00.000Z");
}

TEST(ScheduleCron, AsteriskIsEveryValue) {
  // Every minute, at second 0: after 10:00:30 comes 10:01:00.
  EXPECT_EQ(Runs(Must("cron(* * * * ? *)"), Utc(2024, 1, 1, 10, 0, 30), 2),
            "2024-01-01T10:01:00.000Z 2024-01-01T10:02:00.000Z");
}

TEST(ScheduleCron, NextIsStrictlyAfter) {
  const Schedule noon = Must("cron(0 12 * * ? *)");
  EXPECT_EQ(Iso(noon.NextAfter(Utc(2024, 1, 1, 12))), "2024-01-02T12:00:00.000Z");
  EXPECT_EQ(Iso(noon.NextAfter(Utc(2024, 1, 1, 12) - std::chrono::nanoseconds(1))),
            "2024-01-01T12:00:00.000Z");
}

TEST(ScheduleCron, RangeThatWrapsPastTheEnd) {
  // The reference's "0/30 20-2 ? * MON-FRI *": hours 20-23 and 0-2 on Monday to Friday.
  // Friday 2024-01-05 23:30 is followed by Monday 2024-01-08 00:00 (no weekend runs).
  const Schedule s = Must("cron(0/30 20-2 ? * MON-FRI *)");
  EXPECT_EQ(Iso(s.NextAfter(Utc(2024, 1, 5, 23, 30))), "2024-01-08T00:00:00.000Z");
  // Monday 02:30 is the last run of the morning; 20:00 is next.
  EXPECT_EQ(Runs(s, Utc(2024, 1, 8, 2), 2), "2024-01-08T02:30:00.000Z 2024-01-08T20:00:00.000Z");
  // Months wrap too: NOV-FEB is November, December, January and February.
  const Schedule winter = Must("cron(0 0 1 NOV-FEB ? *)");
  EXPECT_EQ(Runs(winter, Utc(2024, 2, 2), 3),
            "2024-11-01T00:00:00.000Z 2024-12-01T00:00:00.000Z 2025-01-01T00:00:00.000Z");
}

TEST(ScheduleCron, MonthAndDayNames) {
  // Mondays of January and July at noon. After 2024-01-31 (the last January Monday was the 29th)
  // the next is 2024-07-01, a Monday (182 days = 26 weeks after January 1st).
  EXPECT_EQ(Iso(Must("cron(0 12 ? JAN,JUL MON *)").NextAfter(Utc(2024, 1, 31))),
            "2024-07-01T12:00:00.000Z");
  // Names are read without regard to case.
  EXPECT_EQ(Iso(Must("cron(0 12 ? jan,Jul mon *)").NextAfter(Utc(2024, 1, 31))),
            "2024-07-01T12:00:00.000Z");
}

TEST(ScheduleCron, DayOfWeekOneIsSunday) {
  // 2024-01-01 is a Monday: the next Sunday is the 7th, the next Saturday the 6th.
  EXPECT_EQ(Iso(Must("cron(0 0 ? * 1 *)").NextAfter(Utc(2024, 1, 1))), "2024-01-07T00:00:00.000Z");
  EXPECT_EQ(Iso(Must("cron(0 0 ? * SUN *)").NextAfter(Utc(2024, 1, 1))),
            "2024-01-07T00:00:00.000Z");
  EXPECT_EQ(Iso(Must("cron(0 0 ? * 7 *)").NextAfter(Utc(2024, 1, 1))), "2024-01-06T00:00:00.000Z");
  EXPECT_EQ(Iso(Must("cron(0 0 ? * 2 *)").NextAfter(Utc(2024, 1, 1))), "2024-01-08T00:00:00.000Z");
  // '*' in day-of-week (with '?' in day-of-month) is every day.
  EXPECT_EQ(Iso(Must("cron(0 0 ? * * *)").NextAfter(Utc(2024, 1, 1))), "2024-01-02T00:00:00.000Z");
  // L alone in day-of-week is the last day of the week, Saturday.
  EXPECT_EQ(Iso(Must("cron(0 0 ? * L *)").NextAfter(Utc(2024, 1, 1))), "2024-01-06T00:00:00.000Z");
  // 2-6 is Monday to Friday: after Friday the 5th at 00:00, Monday the 8th.
  EXPECT_EQ(Iso(Must("cron(0 0 ? * 2-6 *)").NextAfter(Utc(2024, 1, 5))),
            "2024-01-08T00:00:00.000Z");
  // A wrapping day range: FRI-MON is Friday, Saturday, Sunday, Monday.
  EXPECT_EQ(Runs(Must("cron(0 0 ? * FRI-MON *)"), Utc(2024, 1, 1), 4),
            "2024-01-05T00:00:00.000Z 2024-01-06T00:00:00.000Z 2024-01-07T00:00:00.000Z "
            "2024-01-08T00:00:00.000Z");
}

TEST(ScheduleCron, LastDayOfMonthFollowsLeapYears) {
  const Schedule last = Must("cron(0 0 L * ? *)");
  EXPECT_EQ(Iso(last.NextAfter(Utc(2024, 2, 1))), "2024-02-29T00:00:00.000Z");  // leap year
  EXPECT_EQ(Iso(last.NextAfter(Utc(2023, 2, 1))), "2023-02-28T00:00:00.000Z");
  EXPECT_EQ(Iso(last.NextAfter(Utc(2100, 2, 1))), "2100-02-28T00:00:00.000Z");  // not leap (÷100)
  EXPECT_EQ(Iso(last.NextAfter(Utc(2000, 2, 1))), "2000-02-29T00:00:00.000Z");  // leap (÷400)
  EXPECT_EQ(Iso(last.NextAfter(Utc(2024, 4, 1))), "2024-04-30T00:00:00.000Z");
}

TEST(ScheduleCron, LastWeekdayOfMonth) {
  // March 2024 ends on Sunday the 31st (March 1st is a Friday): LW is Friday the 29th.
  // June 2024 ends on Sunday the 30th: Friday the 28th. August 2024 ends on Saturday the 31st:
  // Friday the 30th. July 2024 ends on Wednesday the 31st: the 31st itself.
  const Schedule lw = Must("cron(0 0 LW * ? *)");
  EXPECT_EQ(Iso(lw.NextAfter(Utc(2024, 3, 1))), "2024-03-29T00:00:00.000Z");
  EXPECT_EQ(Iso(lw.NextAfter(Utc(2024, 6, 1))), "2024-06-28T00:00:00.000Z");
  EXPECT_EQ(Iso(lw.NextAfter(Utc(2024, 7, 1))), "2024-07-31T00:00:00.000Z");
  EXPECT_EQ(Iso(lw.NextAfter(Utc(2024, 8, 1))), "2024-08-30T00:00:00.000Z");
}

TEST(ScheduleCron, NearestWeekdayStaysInItsMonth) {
  // June 1st 2024 is a Saturday: 1W is Monday June 3rd, not Friday May 31st.
  EXPECT_EQ(Iso(Must("cron(0 0 1W * ? *)").NextAfter(Utc(2024, 5, 31))),
            "2024-06-03T00:00:00.000Z");
  // September 1st 2024 is a Sunday: 1W is Monday the 2nd.
  EXPECT_EQ(Iso(Must("cron(0 0 1W * ? *)").NextAfter(Utc(2024, 8, 31))),
            "2024-09-02T00:00:00.000Z");
  // June 30th 2024, the month's last day, is a Sunday: 30W is Friday the 28th, not Monday July 1st.
  EXPECT_EQ(Iso(Must("cron(0 0 30W * ? *)").NextAfter(Utc(2024, 6, 1))),
            "2024-06-28T00:00:00.000Z");
  // August 31st 2024 is a Saturday: 31W is Friday the 30th.
  EXPECT_EQ(Iso(Must("cron(0 0 31W * ? *)").NextAfter(Utc(2024, 8, 1))),
            "2024-08-30T00:00:00.000Z");
  // June has no 31st, so 31W names no day in June; July 31st 2024 is a Wednesday.
  EXPECT_EQ(Iso(Must("cron(0 0 31W * ? *)").NextAfter(Utc(2024, 6, 1))),
            "2024-07-31T00:00:00.000Z");
  // June 15th 2024 is a Saturday (Friday the 14th); September 15th a Sunday (Monday the 16th);
  // January 15th a Monday (itself).
  const Schedule mid = Must("cron(0 0 15W * ? *)");
  EXPECT_EQ(Iso(mid.NextAfter(Utc(2024, 6, 1))), "2024-06-14T00:00:00.000Z");
  EXPECT_EQ(Iso(mid.NextAfter(Utc(2024, 9, 1))), "2024-09-16T00:00:00.000Z");
  EXPECT_EQ(Iso(mid.NextAfter(Utc(2024, 1, 1))), "2024-01-15T00:00:00.000Z");
}

TEST(ScheduleCron, LastWeekdayOfTheMonthWithL) {
  // The reference's example: 10:15 on the last Friday of each month in 2022-2023. January 2022's
  // Fridays are the 7th, 14th, 21st and 28th (January 1st 2022 is a Saturday).
  const Schedule s = Must("cron(15 10 ? * 6L 2022-2023)");
  EXPECT_EQ(Iso(s.NextAfter(Utc(2021, 6, 1))), "2022-01-28T10:15:00.000Z");
  // February 29th 2024 is a Thursday: the last Friday is the 23rd.
  EXPECT_EQ(Iso(Must("cron(0 0 ? * 6L *)").NextAfter(Utc(2024, 2, 1))), "2024-02-23T00:00:00.000Z");
  EXPECT_EQ(Iso(Must("cron(0 0 ? * FRIL *)").NextAfter(Utc(2024, 2, 1))),
            "2024-02-23T00:00:00.000Z");
  // December 29th 2023 is the last Friday of 2023; nothing follows it.
  EXPECT_EQ(Iso(s.NextAfter(Utc(2023, 12, 1))), "2023-12-29T10:15:00.000Z");
  EXPECT_EQ(Iso(s.NextAfter(Utc(2023, 12, 29, 10, 15))), "none");
}

TEST(ScheduleCron, NthWeekdayOfTheMonth) {
  // "3#2 would be the second Tuesday": January 2024's Tuesdays are the 2nd and 9th.
  EXPECT_EQ(Iso(Must("cron(0 0 ? * 3#2 *)").NextAfter(Utc(2024, 1, 1))),
            "2024-01-09T00:00:00.000Z");
  EXPECT_EQ(Iso(Must("cron(0 0 ? * TUE#2 *)").NextAfter(Utc(2024, 1, 1))),
            "2024-01-09T00:00:00.000Z");
  // The first Monday of January 2024 is the 1st itself.
  EXPECT_EQ(Iso(Must("cron(0 8 ? * 2#1 *)").NextAfter(Utc(2024, 1, 1))),
            "2024-01-01T08:00:00.000Z");
  // A fifth Friday: January 2024 (5, 12, 19, 26) and February (2, 9, 16, 23) have none, March has
  // the 29th; April (5, 12, 19, 26) has none, May has the 31st.
  const Schedule fifth = Must("cron(0 0 ? * 6#5 *)");
  EXPECT_EQ(Runs(fifth, Utc(2024, 1, 1), 2), "2024-03-29T00:00:00.000Z 2024-05-31T00:00:00.000Z");
}

TEST(ScheduleCron, YearField) {
  EXPECT_EQ(Iso(Must("cron(0 0 1 1 ? 2030)").NextAfter(Utc(2024, 6, 1))),
            "2030-01-01T00:00:00.000Z");
  EXPECT_EQ(Iso(Must("cron(0 0 1 1 ? 2030)").NextAfter(Utc(2030, 1, 1))), "none");
  // 2024/4: 2024, 2028, ... so after New Year 2024 comes 2028.
  EXPECT_EQ(Iso(Must("cron(0 0 1 1 ? 2024/4)").NextAfter(Utc(2024, 1, 1))),
            "2028-01-01T00:00:00.000Z");
  EXPECT_EQ(Iso(Must("cron(0 0 L 12 ? 2025-2026)").NextAfter(Utc(2026, 12, 31))), "none");
}

TEST(ScheduleCron, YearBounds) {
  // The last run of all: 2199-12-31 23:59; nothing after it.
  const Schedule every = Must("cron(* * * * ? *)");
  EXPECT_EQ(Iso(every.NextAfter(Utc(2199, 12, 31, 23, 58))), "2199-12-31T23:59:00.000Z");
  EXPECT_EQ(Iso(every.NextAfter(Utc(2199, 12, 31, 23, 59))), "none");
  // Before 1970 the first run is 1970-01-01 00:00.
  EXPECT_EQ(Iso(every.NextAfter(Utc(1969, 12, 31, 12))), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(Iso(every.LastAtOrBefore(Utc(1969, 12, 31, 12))), "none");
  // A day no year has: February 30th never runs, and the search ends.
  EXPECT_EQ(Iso(Must("cron(0 0 30 2 ? *)").NextAfter(Utc(2024, 1, 1))), "none");
}

TEST(ScheduleCron, LastAtOrBefore) {
  const Schedule s = Must("cron(0 9-17 ? * MON-FRI *)");
  // Saturday 2024-01-06 noon: the last run was Friday the 5th at 17:00.
  EXPECT_EQ(Iso(s.LastAtOrBefore(Utc(2024, 1, 6, 12))), "2024-01-05T17:00:00.000Z");
  // At a run time exactly, that run.
  EXPECT_EQ(Iso(s.LastAtOrBefore(Utc(2024, 1, 5, 9))), "2024-01-05T09:00:00.000Z");
  EXPECT_EQ(Iso(s.LastAtOrBefore(Utc(2024, 1, 5, 8, 59, 59))), "2024-01-04T17:00:00.000Z");
}

TEST(ScheduleWindow, StartAndEndBoundCron) {
  Schedule s = Must("cron(0 12 * * ? *)");
  s.set_start(Utc(2024, 1, 5, 12));
  s.set_end(Utc(2024, 1, 7, 12));
  // Runs at or after the start...
  EXPECT_EQ(Iso(s.NextAfter(Utc(2024, 1, 1))), "2024-01-05T12:00:00.000Z");
  // ...and before the end (EndDate: "the date ... before which the schedule can invoke").
  EXPECT_EQ(Runs(s, Utc(2024, 1, 5, 12), 2), "2024-01-06T12:00:00.000Z none");
  EXPECT_EQ(Iso(s.LastAtOrBefore(Utc(2024, 1, 9))), "2024-01-06T12:00:00.000Z");
  EXPECT_EQ(Iso(s.LastAtOrBefore(Utc(2024, 1, 5, 11))), "none");
}

TEST(ScheduleRate, CountsPeriodsFromTheStart) {
  Schedule s = Must("rate(5 minutes)");
  EXPECT_EQ(s.kind(), ScheduleKind::kRate);
  EXPECT_EQ(s.period(), std::chrono::minutes(5));
  s.set_start(Utc(2024, 1, 1, 0, 0, 20));
  // The start itself is the first run.
  EXPECT_EQ(Iso(s.NextAfter(Utc(2023, 12, 31))), "2024-01-01T00:00:20.000Z");
  EXPECT_EQ(Runs(s, Utc(2024, 1, 1, 0, 0, 20), 2),
            "2024-01-01T00:05:20.000Z 2024-01-01T00:10:20.000Z");
  EXPECT_EQ(Iso(s.NextAfter(Utc(2024, 1, 1, 0, 7, 30))), "2024-01-01T00:10:20.000Z");
  EXPECT_EQ(Iso(s.LastAtOrBefore(Utc(2024, 1, 1, 0, 12))), "2024-01-01T00:10:20.000Z");
  EXPECT_EQ(Iso(s.LastAtOrBefore(Utc(2024, 1, 1))), "none");
}

TEST(ScheduleRate, WithoutAStartCountsFromTheEpoch) {
  // 2 hours from 1970-01-01T00:00Z: every even hour.
  EXPECT_EQ(Iso(Must("rate(2 hours)").NextAfter(Utc(2024, 1, 1, 1))), "2024-01-01T02:00:00.000Z");
  EXPECT_EQ(Iso(Must("rate(1 minute)").NextAfter(Utc(2024, 1, 1, 1, 0, 1))),
            "2024-01-01T01:01:00.000Z");
}

TEST(ScheduleRate, EndsBeforeTheEnd) {
  Schedule s = Must("rate(1 hour)");
  s.set_start(Utc(2024, 1, 1));
  s.set_end(Utc(2024, 1, 1, 2));
  EXPECT_EQ(Runs(s, Utc(2024, 1, 1), 2), "2024-01-01T01:00:00.000Z none");
  EXPECT_EQ(Iso(s.LastAtOrBefore(Utc(2024, 1, 1, 5))), "2024-01-01T01:00:00.000Z");
}

TEST(ScheduleRate, HugePeriodsDoNotOverflow) {
  Schedule s = Must("rate(999999999 days)");
  s.set_start(Utc(2024, 1, 1));
  EXPECT_EQ(Iso(s.NextAfter(Utc(2024, 1, 1))), "none");  // past what system_clock can hold
  EXPECT_EQ(Iso(s.LastAtOrBefore(Utc(2030, 1, 1))), "2024-01-01T00:00:00.000Z");
}

TEST(ScheduleAt, RunsOnce) {
  const Schedule s = Must("at(2024-11-20T13:00:00)");
  EXPECT_EQ(s.kind(), ScheduleKind::kAt);
  EXPECT_EQ(s.timezone(), "UTC");
  EXPECT_EQ(Iso(s.NextAfter(Utc(2024, 1, 1))), "2024-11-20T13:00:00.000Z");
  EXPECT_EQ(Iso(s.NextAfter(Utc(2024, 11, 20, 13))), "none");
  EXPECT_EQ(Iso(s.LastAtOrBefore(Utc(2024, 11, 20, 13))), "2024-11-20T13:00:00.000Z");
  // Seconds count.
  EXPECT_EQ(Iso(Must("at(2024-11-20T13:00:42)").NextAfter(Utc(2024, 1, 1))),
            "2024-11-20T13:00:42.000Z");
}

TEST(ScheduleAt, IgnoresTheWindow) {
  // "When you configure a one-time schedule, EventBridge Scheduler ignores the StartDate and
  // EndDate you specify for the schedule."
  Schedule s = Must("at(2024-11-20T13:00:00)");
  s.set_start(Utc(2025, 1, 1));
  s.set_end(Utc(2024, 1, 1));
  EXPECT_EQ(Iso(s.NextAfter(Utc(2024, 1, 1))), "2024-11-20T13:00:00.000Z");
}

TEST(ScheduleMissedRun, FiresTheLatestMissedRunOnce) {
  const Schedule hourly = Must("cron(0 * * * ? *)");
  // Down from 10:00 (its last run) to 15:20: 11:00 ... 15:00 were missed; only 15:00 fires.
  EXPECT_EQ(Iso(hourly.MissedRun(Utc(2024, 1, 1, 10), Utc(2024, 1, 1, 15, 20))),
            "2024-01-01T15:00:00.000Z");
  // Nothing missed before 11:00.
  EXPECT_EQ(Iso(hourly.MissedRun(Utc(2024, 1, 1, 10), Utc(2024, 1, 1, 10, 59))), "none");
  // A run due exactly now counts as missed (it has not fired).
  EXPECT_EQ(Iso(hourly.MissedRun(Utc(2024, 1, 1, 10), Utc(2024, 1, 1, 11))),
            "2024-01-01T11:00:00.000Z");
}

TEST(ScheduleMissedRun, AfterLongDowntime) {
  // Five months of a per-minute schedule: one run, the latest (2024-06-01 00:00).
  EXPECT_EQ(Iso(Must("cron(* * * * ? *)").MissedRun(Utc(2024, 1, 1), Utc(2024, 6, 1, 0, 0, 30))),
            "2024-06-01T00:00:00.000Z");
}

TEST(ScheduleMissedRun, RateAndAt) {
  Schedule rate = Must("rate(5 minutes)");
  rate.set_start(Utc(2024, 1, 1));
  EXPECT_EQ(Iso(rate.MissedRun(Utc(2024, 1, 1, 0, 5), Utc(2024, 1, 1, 1, 2, 10))),
            "2024-01-01T01:00:00.000Z");
  const Schedule at = Must("at(2024-01-01T12:00:00)");
  // Created at 11:00, down until 13:00: the one run fires late, once.
  EXPECT_EQ(Iso(at.MissedRun(Utc(2024, 1, 1, 11), Utc(2024, 1, 1, 13))),
            "2024-01-01T12:00:00.000Z");
  EXPECT_EQ(Iso(at.MissedRun(Utc(2024, 1, 1, 12), Utc(2024, 1, 1, 13))), "none");
}

TEST(ScheduleParse, KeepsTheExpressionAndAcceptsBlanks) {
  const Schedule s = Must("  cron( 0   12 * * ?  * )  ", " UTC ");
  EXPECT_EQ(s.expression(), "cron( 0   12 * * ?  * )");
  EXPECT_EQ(s.kind(), ScheduleKind::kCron);
  EXPECT_EQ(Iso(s.NextAfter(Utc(2024, 1, 1))), "2024-01-01T12:00:00.000Z");
}

}  // namespace
}  // namespace wharf::events
