// Schedules in time zones, across daylight-saving transitions. EventBridge Scheduler's rule
// ("Daylight savings time on EventBridge Scheduler"): a cron time the clocks skip in spring is
// skipped that day; a cron time the clocks show twice in autumn runs once, before the shift.
//
// The transitions used, by hand from the zones' rules (second Sunday of March / first Sunday of
// November in the US; last Sunday of March / October in the EU):
//   America/New_York 2024-03-10 02:00 EST (-5) -> 03:00 EDT (-4), at 07:00Z
//   America/New_York 2024-11-03 02:00 EDT (-4) -> 01:00 EST (-5), at 06:00Z
//   Europe/Berlin    2024-03-31 02:00 CET (+1) -> 03:00 CEST (+2), at 01:00Z
//   Europe/Berlin    2024-10-27 03:00 CEST (+2) -> 02:00 CET (+1), at 01:00Z
//   Australia/Lord_Howe 2024-10-06 02:00 (+10:30) -> 02:30 (+11), at 2024-10-05 15:30Z
//   Australia/Lord_Howe 2024-04-07 02:00 (+11) -> 01:30 (+10:30), at 2024-04-06 15:00Z
#include <gtest/gtest.h>

#include "events/schedule.h"
#include "events/schedule_testing.h"
#include "events/schedule_zone.h"

namespace wharf::events {
namespace {

using testing::Iso;
using testing::Must;
using testing::Runs;
using testing::Utc;

constexpr const char* kNewYork = "America/New_York";
constexpr const char* kBerlin = "Europe/Berlin";

TEST(ScheduleDst, NewYorkSpringForwardHourly) {
  // 00:30 EST is 05:30Z. Runs: 01:00 EST (06:00Z); 02:00 does not exist; 03:00 EDT (07:00Z).
  EXPECT_EQ(Runs(Must("cron(0 * * * ? *)", kNewYork), Utc(2024, 3, 10, 5, 30), 3),
            "2024-03-10T06:00:00.000Z 2024-03-10T07:00:00.000Z 2024-03-10T08:00:00.000Z");
  // At half past: 01:30 EST (06:30Z), then 03:30 EDT (07:30Z); 02:30 is skipped.
  EXPECT_EQ(Runs(Must("cron(30 * * * ? *)", kNewYork), Utc(2024, 3, 10, 6), 2),
            "2024-03-10T06:30:00.000Z 2024-03-10T07:30:00.000Z");
}

TEST(ScheduleDst, NewYorkSpringForwardDailySkipsTheDay) {
  // 02:30 daily: March 9th at 02:30 EST (07:30Z); March 10th has no 02:30, so no run; March 11th
  // at 02:30 EDT (06:30Z). The docs' own example, in Los Angeles, behaves the same way.
  const Schedule s = Must("cron(30 2 * * ? *)", kNewYork);
  EXPECT_EQ(Runs(s, Utc(2024, 3, 8, 12), 3),
            "2024-03-09T07:30:00.000Z 2024-03-11T06:30:00.000Z 2024-03-12T06:30:00.000Z");
  // The skipped run is not "missed" either: after the 9th's run, nothing is owed on the 10th.
  EXPECT_EQ(Iso(s.MissedRun(Utc(2024, 3, 9, 7, 30), Utc(2024, 3, 10, 12))), "none");
  EXPECT_EQ(Iso(s.LastAtOrBefore(Utc(2024, 3, 10, 12))), "2024-03-09T07:30:00.000Z");
}

TEST(ScheduleDst, NewYorkDailyKeepsItsWallTime) {
  // The docs' "cron(30 8 * * ? *)" in New York: 08:30 EST (13:30Z), then 08:30 EDT (12:30Z).
  EXPECT_EQ(Runs(Must("cron(30 8 * * ? *)", kNewYork), Utc(2024, 3, 9), 2),
            "2024-03-09T13:30:00.000Z 2024-03-10T12:30:00.000Z");
  // And back in November: 08:30 EDT (12:30Z) on the 2nd, 08:30 EST (13:30Z) on the 3rd.
  EXPECT_EQ(Runs(Must("cron(30 8 * * ? *)", kNewYork), Utc(2024, 11, 2), 2),
            "2024-11-02T12:30:00.000Z 2024-11-03T13:30:00.000Z");
}

TEST(ScheduleDst, NewYorkFallBackHourlyRunsTheRepeatedHourOnce) {
  // From 23:30 EDT on November 2nd (03:30Z): 00:00 EDT (04:00Z), 01:00 EDT (05:00Z); 01:00 EST
  // (06:00Z) shows 01:00 again and does not run; 02:00 EST (07:00Z), 03:00 EST (08:00Z).
  const Schedule s = Must("cron(0 * * * ? *)", kNewYork);
  EXPECT_EQ(Runs(s, Utc(2024, 11, 3, 3, 30), 4),
            "2024-11-03T04:00:00.000Z 2024-11-03T05:00:00.000Z 2024-11-03T07:00:00.000Z "
            "2024-11-03T08:00:00.000Z");
  // Asked during the second 01:xx (01:30 EST = 06:30Z), the next run is 02:00 EST.
  EXPECT_EQ(Iso(s.NextAfter(Utc(2024, 11, 3, 6, 30))), "2024-11-03T07:00:00.000Z");
}

TEST(ScheduleDst, NewYorkFallBackDailyRunsBeforeTheShift) {
  // 01:30 daily: November 3rd at 01:30 EDT (05:30Z), not again at 01:30 EST (06:30Z); November
  // 4th at 01:30 EST (06:30Z).
  const Schedule s = Must("cron(30 1 * * ? *)", kNewYork);
  EXPECT_EQ(Runs(s, Utc(2024, 11, 2, 6), 3),
            "2024-11-03T05:30:00.000Z 2024-11-04T06:30:00.000Z 2024-11-05T06:30:00.000Z");
  EXPECT_EQ(Iso(s.LastAtOrBefore(Utc(2024, 11, 3, 6, 45))), "2024-11-03T05:30:00.000Z");
  EXPECT_EQ(Iso(s.MissedRun(Utc(2024, 11, 3, 5, 30), Utc(2024, 11, 3, 6, 45))), "none");
  // At 01:45 EST (06:45Z) the clocks have passed 01:50 once already, at 05:50Z (EDT).
  EXPECT_EQ(Iso(Must("cron(50 1 * * ? *)", kNewYork).LastAtOrBefore(Utc(2024, 11, 3, 6, 45))),
            "2024-11-03T05:50:00.000Z");
  // Every quarter hour of 01:xx: the four EDT quarters (05:00Z-05:45Z), none in EST, then 01:00
  // EST on the 4th (06:00Z).
  EXPECT_EQ(Runs(Must("cron(0/15 1 * * ? *)", kNewYork), Utc(2024, 11, 3, 4, 59), 5),
            "2024-11-03T05:00:00.000Z 2024-11-03T05:15:00.000Z 2024-11-03T05:30:00.000Z "
            "2024-11-03T05:45:00.000Z 2024-11-04T06:00:00.000Z");
}

TEST(ScheduleDst, BerlinSpringForward) {
  // From 00:30 CET on March 31st (23:30Z on the 30th): 01:00 CET (00:00Z); 02:00 does not exist;
  // 03:00 CEST (01:00Z).
  EXPECT_EQ(Runs(Must("cron(0 * * * ? *)", kBerlin), Utc(2024, 3, 30, 23, 30), 3),
            "2024-03-31T00:00:00.000Z 2024-03-31T01:00:00.000Z 2024-03-31T02:00:00.000Z");
  // 02:30 daily: March 30th at 02:30 CET (01:30Z), none on the 31st, April 1st at 02:30 CEST
  // (00:30Z).
  EXPECT_EQ(Runs(Must("cron(30 2 * * ? *)", kBerlin), Utc(2024, 3, 30), 3),
            "2024-03-30T01:30:00.000Z 2024-04-01T00:30:00.000Z 2024-04-02T00:30:00.000Z");
}

TEST(ScheduleDst, BerlinFallBack) {
  // From 00:30 CEST on October 27th (22:30Z on the 26th): 01:00 CEST (23:00Z), 02:00 CEST
  // (00:00Z); 02:00 CET (01:00Z) repeats and does not run; 03:00 CET (02:00Z), 04:00 CET (03:00Z).
  EXPECT_EQ(Runs(Must("cron(0 * * * ? *)", kBerlin), Utc(2024, 10, 26, 22, 30), 4),
            "2024-10-26T23:00:00.000Z 2024-10-27T00:00:00.000Z 2024-10-27T02:00:00.000Z "
            "2024-10-27T03:00:00.000Z");
  // 02:30 daily: October 27th at 02:30 CEST (00:30Z) only; the 28th at 02:30 CET (01:30Z).
  EXPECT_EQ(Runs(Must("cron(30 2 * * ? *)", kBerlin), Utc(2024, 10, 26, 1), 3),
            "2024-10-27T00:30:00.000Z 2024-10-28T01:30:00.000Z 2024-10-29T01:30:00.000Z");
}

TEST(ScheduleDst, HalfHourShiftOnLordHowe) {
  // Lord Howe moves its clocks by 30 minutes. On October 6th 2024, 02:00-02:29 do not exist:
  // 02:00 and 02:15 are skipped; 02:30 (+11) is 15:30Z on the 5th, 02:45 is 15:45Z. The day
  // before, 02:45 (+10:30) was 16:15Z on the 4th; the day after, 02:00 (+11) is 15:00Z on the 6th.
  EXPECT_EQ(Runs(Must("cron(0/15 2 * * ? *)", "Australia/Lord_Howe"), Utc(2024, 10, 4, 16), 4),
            "2024-10-04T16:15:00.000Z 2024-10-05T15:30:00.000Z 2024-10-05T15:45:00.000Z "
            "2024-10-06T15:00:00.000Z");
  // On April 7th 2024, 01:30-01:59 come twice: 01:45 runs at +11 (14:45Z on the 6th), not at
  // +10:30 (15:15Z); April 8th's 01:45 (+10:30) is 15:15Z on the 7th.
  EXPECT_EQ(Runs(Must("cron(45 1 * * ? *)", "Australia/Lord_Howe"), Utc(2024, 4, 6), 2),
            "2024-04-06T14:45:00.000Z 2024-04-07T15:15:00.000Z");
}

TEST(ScheduleDst, ZonesWithoutDaylightSaving) {
  // Tokyo is +9 all year: 09:00 JST is 00:00Z every day, the US and EU transition days included.
  const Schedule tokyo = Must("cron(0 9 * * ? *)", "Asia/Tokyo");
  EXPECT_EQ(Runs(tokyo, Utc(2024, 3, 9, 12), 3),
            "2024-03-10T00:00:00.000Z 2024-03-11T00:00:00.000Z 2024-03-12T00:00:00.000Z");
  EXPECT_EQ(Runs(tokyo, Utc(2024, 10, 26, 12), 2),
            "2024-10-27T00:00:00.000Z 2024-10-28T00:00:00.000Z");
  // Kolkata is +5:30: 09:00 IST is 03:30Z.
  EXPECT_EQ(Iso(Must("cron(0 9 * * ? *)", "Asia/Kolkata").NextAfter(Utc(2024, 3, 10))),
            "2024-03-10T03:30:00.000Z");
  // An hourly schedule in UTC runs 24 times on New York's spring-forward day.
  const Schedule utc = Must("cron(0 * * * ? *)", "UTC");
  EXPECT_EQ(Iso(utc.NextAfter(Utc(2024, 3, 10, 6))), "2024-03-10T07:00:00.000Z");
  EXPECT_EQ(Iso(utc.NextAfter(Utc(2024, 3, 10, 7))), "2024-03-10T08:00:00.000Z");
}

TEST(ScheduleDst, RateIgnoresTheZone) {
  // "days represents a 24-hour duration on the clock": from 12:00Z (07:00 EST) on March 9th the
  // runs stay at 12:00Z, which is 08:00 EDT from the 10th on.
  Schedule s = Must("rate(1 day)", kNewYork);
  s.set_start(Utc(2024, 3, 9, 12));
  EXPECT_EQ(Runs(s, Utc(2024, 3, 9, 12), 2), "2024-03-10T12:00:00.000Z 2024-03-11T12:00:00.000Z");
  EXPECT_EQ(s.timezone(), kNewYork);
}

TEST(ScheduleDst, AtReadsItsTimeInTheZone) {
  // The docs' example: 13:00 in Los Angeles on November 20th 2022 (PST, -8) is 21:00Z.
  EXPECT_EQ(Iso(Must("at(2022-11-20T13:00:00)", "America/Los_Angeles").NextAfter(Utc(2022, 1, 1))),
            "2022-11-20T21:00:00.000Z");
  // 02:30 on New York's spring-forward night does not exist; it runs an hour after 01:30 EST,
  // at 03:30 EDT (07:30Z).
  EXPECT_EQ(Iso(Must("at(2024-03-10T02:30:00)", kNewYork).NextAfter(Utc(2024, 1, 1))),
            "2024-03-10T07:30:00.000Z");
  // 01:30 on the fall-back night comes twice; it runs at the first, 01:30 EDT (05:30Z).
  EXPECT_EQ(Iso(Must("at(2024-11-03T01:30:00)", kNewYork).NextAfter(Utc(2024, 1, 1))),
            "2024-11-03T05:30:00.000Z");
}

TEST(ZoneRules, WallTimesAroundTransitions) {
  auto zone = ZoneRules::Load(kNewYork);
  ASSERT_TRUE(zone.ok()) << zone.error().message;
  const int64_t mar10 = 1710028800;  // 2024-03-10T00:00:00 as a wall time (19792 days * 86400)
  // 01:59 EST exists once (06:59Z); 02:00 to 02:59 do not exist; 03:00 EDT is 07:00Z.
  WallInstants before = (*zone)->InstantsAt(mar10 + 1 * 3600 + 59 * 60);
  EXPECT_EQ(before.count, 1);
  EXPECT_EQ(before.earliest, 1710053940);  // 2024-03-10T06:59:00Z
  WallInstants gap = (*zone)->InstantsAt(mar10 + 2 * 3600 + 30 * 60);
  EXPECT_EQ(gap.count, 0);
  EXPECT_EQ(gap.after_gap, 1710055800);  // 2024-03-10T07:30:00Z = 03:30 EDT
  const int64_t nov3 = 1730592000;       // 2024-11-03T00:00:00 as a wall time (20030 days)
  WallInstants twice = (*zone)->InstantsAt(nov3 + 1 * 3600 + 30 * 60);
  EXPECT_EQ(twice.count, 2);
  EXPECT_EQ(twice.earliest, 1730611800);  // 2024-11-03T05:30:00Z (EDT)
  EXPECT_EQ(twice.latest, 1730615400);    // 2024-11-03T06:30:00Z (EST)
  EXPECT_EQ((*zone)->WallAt(1730615400), nov3 + 1 * 3600 + 30 * 60);
}

}  // namespace
}  // namespace wharf::events
