// Schedules read the system's time zone data (/usr/share/zoneinfo, Debian's tzdata package), so
// rule changes after ICU 72's built-in data (2022e) are in force: Mexico's end of daylight saving
// (tz 2022f), America/Ciudad_Juarez (tz 2022g). Past 2037, where Debian's zone files end, the
// rule at the end of each file decides; glibc's localtime_r, which reads the same files, is the
// reference there.
#include <date/tz.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

#include "events/schedule.h"
#include "events/schedule_testing.h"
#include "events/schedule_zone.h"

namespace wharf::events {
namespace {

using testing::Iso;
using testing::Must;
using testing::Runs;
using testing::Utc;

int64_t Seconds(TimePoint t) {
  return std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
}

std::string ZoneError(std::string_view zone) {
  auto schedule = ParseSchedule("cron(0 12 * * ? *)", zone);
  if (schedule.ok()) return "accepted";
  EXPECT_EQ(schedule.error().code, "ValidationException");
  return schedule.error().message;
}

std::string Unknown(std::string_view zone) {
  return "unknown time zone '" + std::string(zone) +
         "' (expected an IANA time zone name such as America/New_York or UTC)";
}

TEST(ScheduleTzdata, DataIsNewerThanIcusBuiltIn) {
  // The tests below need tz 2022g or later (Debian 12 has 2025b and its updates).
  const std::string version = ZoneRules::DataVersion();
  EXPECT_NE(version, "unknown");
  EXPECT_GE(version, "2022g");
}

TEST(ScheduleTzdata, MexicoCityHasNoDaylightSavingSince2022) {
  // Mexico's 2022 law ended daylight saving on 2022-10-30; Mexico City stays on CST (-6). 12:00
  // is 18:00Z every day, also after April 2nd 2023, when the old rule would have moved the clocks
  // forward (ICU's 2022e data runs at 17:00Z from then on).
  const Schedule daily = Must("cron(0 12 * * ? *)", "America/Mexico_City");
  EXPECT_EQ(Runs(daily, Utc(2023, 3, 31, 19), 4),
            "2023-04-01T18:00:00.000Z 2023-04-02T18:00:00.000Z 2023-04-03T18:00:00.000Z "
            "2023-04-04T18:00:00.000Z");
  EXPECT_EQ(Iso(daily.NextAfter(Utc(2023, 7, 1))), "2023-07-01T18:00:00.000Z");
  EXPECT_EQ(Iso(Must("at(2023-07-01T12:00:00)", "America/Mexico_City").NextAfter(Utc(2023, 1, 1))),
            "2023-07-01T18:00:00.000Z");
  // The first Sunday of April 2023 has all its hours: 02:00 and 02:30 run.
  EXPECT_EQ(Runs(Must("cron(0/30 2 * * ? *)", "America/Mexico_City"), Utc(2023, 4, 2, 7), 3),
            "2023-04-02T08:00:00.000Z 2023-04-02T08:30:00.000Z 2023-04-03T08:00:00.000Z");
}

TEST(ScheduleTzdata, CiudadJuarezIsKnown) {
  // Split from America/Ojinaga in tz 2022g; it follows the US rule on MST (-7) / MDT (-6).
  EXPECT_EQ(ZoneError("America/Ciudad_Juarez"), "accepted");
  const Schedule daily = Must("cron(0 12 * * ? *)", "America/Ciudad_Juarez");
  EXPECT_EQ(Runs(daily, Utc(2023, 3, 11), 2), "2023-03-11T19:00:00.000Z 2023-03-12T18:00:00.000Z");
  EXPECT_EQ(Iso(daily.NextAfter(Utc(2023, 7, 1))), "2023-07-01T18:00:00.000Z");
  EXPECT_EQ(daily.timezone(), "America/Ciudad_Juarez");
}

TEST(ScheduleTzdata, NamesAreTheFilesOfTheZoneData) {
  // Links and the old System V names that tzdata still ships are files there, so they work.
  for (const char* zone : {"US/Pacific", "US/Eastern", "PST8PDT", "EST", "GMT", "UTC", "Etc/UTC",
                           "Etc/GMT-14", "Asia/Calcutta", "Europe/Kiev", "Europe/Kyiv"}) {
    EXPECT_EQ(ZoneError(zone), "accepted") << zone;
  }
  EXPECT_EQ(Iso(Must("cron(0 12 * * ? *)", "US/Pacific").NextAfter(Utc(2024, 7, 1))),
            "2024-07-01T19:00:00.000Z");
  // ICU's own aliases (PST, CTT, IST) are not IANA names, nor are custom offsets, the
  // host's localtime, the tables and folders beside the zones, or names in another case.
  for (const char* zone : {"PST", "CTT", "IST", "GMT+05:00", "UTC+1", "localtime", "posixrules",
                           "Factory", "right/UTC", "posix/UTC", "zone.tab", "tzdata.zi",
                           "leapseconds", "America", "../zoneinfo/UTC", "/usr/share/zoneinfo/UTC",
                           "america/new_york", "America/New_York/", "Etc/Unknown"}) {
    EXPECT_EQ(ZoneError(zone), Unknown(zone)) << zone;
  }
}

TEST(ScheduleTzdata, EmptyZoneIsUtc) {
  const Schedule s = Must("cron(0 12 * * ? *)", "");
  EXPECT_EQ(s.timezone(), "UTC");
  EXPECT_EQ(Iso(s.NextAfter(Utc(2024, 3, 10))), "2024-03-10T12:00:00.000Z");
}

TEST(ScheduleTzdata, DaylightSavingGoesOnAfter2037) {
  // Debian's zone files list changes through 2037; the rule at their end goes on to 2199. New
  // York in 2150: EST in January, EDT in July, spring forward on March 8th, fall back on
  // November 1st.
  const Schedule noon = Must("cron(0 12 * * ? *)", "America/New_York");
  EXPECT_EQ(Iso(noon.NextAfter(Utc(2150, 1, 15))), "2150-01-15T17:00:00.000Z");
  EXPECT_EQ(Iso(noon.NextAfter(Utc(2150, 7, 1))), "2150-07-01T16:00:00.000Z");
  EXPECT_EQ(Runs(Must("cron(0 * * * ? *)", "America/New_York"), Utc(2150, 3, 8, 5, 30), 3),
            "2150-03-08T06:00:00.000Z 2150-03-08T07:00:00.000Z 2150-03-08T08:00:00.000Z");
  EXPECT_EQ(Runs(Must("cron(30 1 * * ? *)", "America/New_York"), Utc(2150, 10, 31, 12), 2),
            "2150-11-01T05:30:00.000Z 2150-11-02T06:30:00.000Z");
  EXPECT_EQ(Iso(Must("at(2199-07-04T12:00:00)", "America/New_York").NextAfter(Utc(2199, 1, 1))),
            "2199-07-04T16:00:00.000Z");
  // The southern summer: Sydney is +11 in January and +10 in July.
  const Schedule sydney = Must("cron(0 12 * * ? *)", "Australia/Sydney");
  EXPECT_EQ(Iso(sydney.NextAfter(Utc(2150, 1, 14, 12))), "2150-01-15T01:00:00.000Z");
  EXPECT_EQ(Iso(sydney.NextAfter(Utc(2150, 7, 14, 12))), "2150-07-15T02:00:00.000Z");
}

// The offset glibc gives for `instant` in `zone`, read from the same file.
class GlibcZone {
 public:
  explicit GlibcZone(const std::string& zone) {
    if (const char* tz = std::getenv("TZ")) saved_ = tz;
    setenv("TZ", (":" + zone).c_str(), 1);
    tzset();
  }
  ~GlibcZone() {
    if (saved_) {
      setenv("TZ", saved_->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }
  int64_t OffsetAt(int64_t instant) const {
    const time_t t = static_cast<time_t>(instant);
    std::tm tm{};
    localtime_r(&t, &tm);
    return tm.tm_gmtoff;
  }

 private:
  std::optional<std::string> saved_;
};

TEST(ScheduleTzdata, OffsetsAgreeWithGlibcThroughEveryKindOfRule) {
  // One zone for each shape of rule in tzdata 2025b's footers: northern and southern, half-hour
  // and 45-minute offsets, Dublin's negative daylight time, times past midnight or before it.
  const char* zones[] = {
      "America/New_York",    "Europe/Berlin",    "Europe/Dublin",  "Australia/Sydney",
      "Australia/Lord_Howe", "Pacific/Chatham",  "America/Nuuk",   "Asia/Jerusalem",
      "Africa/Cairo",        "America/Santiago", "Pacific/Easter", "Antarctica/Troll",
      "America/Havana",      "Asia/Gaza"};
  constexpr int64_t kStep = int64_t{15} * 60;
  // 400 days from each: the end of the files' changes, the year 2100 (not a leap year), and the
  // last year schedules run.
  const int64_t starts[] = {Seconds(Utc(2037, 1, 1)), Seconds(Utc(2099, 12, 1)),
                            Seconds(Utc(2199, 1, 1))};
  for (const char* name : zones) {
    auto zone = ZoneRules::Load(name);
    ASSERT_TRUE(zone.ok()) << zone.error().message;
    GlibcZone glibc(name);
    int mismatches = 0;
    for (const int64_t from : starts) {
      for (int64_t t = from; t < from + int64_t{400} * 86400 && mismatches < 3; t += kStep) {
        const int64_t ours = (*zone)->WallAt(t) - t;
        const int64_t theirs = glibc.OffsetAt(t);
        if (ours != theirs) {
          ++mismatches;
          ADD_FAILURE() << name << " at " << t << ": offset " << ours << ", glibc " << theirs;
        }
      }
    }
  }
}

TEST(ScheduleTzdata, EveryZoneOfTheDataLoadsAndAgreesWithGlibc) {
  // Each zone twice a month at two times of day, in 2024 (from the file's own changes) and in
  // 2100 (from the rule at its end).
  int zones = 0;
  for (const date::time_zone& tz : date::get_tzdb().zones) {
    const std::string& name = tz.name();
    if (name == "localtime") continue;
    auto zone = ZoneRules::Load(name);
    ASSERT_TRUE(zone.ok()) << zone.error().message;
    ++zones;
    GlibcZone glibc(name);
    for (int year : {2024, 2100}) {
      for (unsigned month = 1; month <= 12; ++month) {
        for (unsigned day : {1u, 15u}) {
          for (int hour : {0, 12}) {
            const int64_t t = Seconds(Utc(year, month, day, hour));
            EXPECT_EQ((*zone)->WallAt(t) - t, glibc.OffsetAt(t)) << name << " at " << t;
          }
        }
      }
    }
  }
  EXPECT_GT(zones, 500);
}

}  // namespace
}  // namespace wharf::events
