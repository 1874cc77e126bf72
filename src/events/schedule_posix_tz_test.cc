// The TZ strings at the end of TZif files (schedule_posix_tz.h), with rules taken from Debian's
// tzdata 2025b footers. The instants were worked out by hand from the rules and checked against
// the zones' published changes of 2024.
#include "events/schedule_posix_tz.h"

#include <gtest/gtest.h>

#include <string>

namespace wharf::events {
namespace {

PosixTz MustParse(std::string_view text) {
  auto tz = ParsePosixTz(text);
  EXPECT_TRUE(tz.ok()) << tz.error().message;
  return tz.ok() ? *tz : PosixTz{};
}

// "at>offset at>offset" for the changes of a year.
std::string Changes(std::string_view text, int year) {
  std::string out;
  for (const OffsetChange& c : PosixTzChanges(MustParse(text), year)) {
    if (!out.empty()) out += ' ';
    out += std::to_string(c.at) + '>' + std::to_string(c.offset);
  }
  return out;
}

std::string ErrorOf(std::string_view text) {
  auto tz = ParsePosixTz(text);
  if (tz.ok()) return "accepted";
  EXPECT_EQ(tz.error().code, "InvalidTimeZoneData");
  return tz.error().message;
}

TEST(PosixTz, WithoutDaylightTime) {
  const PosixTz empty = MustParse("");
  EXPECT_FALSE(empty.has_dst);
  EXPECT_EQ(empty.std_offset, 0);
  EXPECT_EQ(MustParse("UTC0").std_offset, 0);
  // The offset counts west: "<+03>-3" is three hours east of UTC.
  const PosixTz istanbul = MustParse("<+03>-3");
  EXPECT_FALSE(istanbul.has_dst);
  EXPECT_EQ(istanbul.std_offset, 3 * 3600);
  EXPECT_EQ(MustParse("EST5").std_offset, -5 * 3600);
  EXPECT_EQ(MustParse("EST+5").std_offset, -5 * 3600);
  EXPECT_EQ(MustParse("<+0545>-5:45").std_offset, 5 * 3600 + 45 * 60);
  EXPECT_EQ(MustParse("<-0930>9:30").std_offset, -(9 * 3600 + 30 * 60));
  EXPECT_EQ(Changes("<+03>-3", 2024), "");
}

TEST(PosixTz, NewYork) {
  const PosixTz tz = MustParse("EST5EDT,M3.2.0,M11.1.0");
  EXPECT_TRUE(tz.has_dst);
  EXPECT_EQ(tz.std_offset, -5 * 3600);
  EXPECT_EQ(tz.dst_offset, -4 * 3600);
  EXPECT_EQ(tz.dst_start.time, 2 * 3600);
  // 2024-03-10 02:00 EST is 07:00Z (1710054000); 2024-11-03 02:00 EDT is 06:00Z (1730613600).
  EXPECT_EQ(Changes("EST5EDT,M3.2.0,M11.1.0", 2024), "1710054000>-14400 1730613600>-18000");
}

TEST(PosixTz, DaylightTimeWithoutDatesFollowsTheUsRule) {
  EXPECT_EQ(Changes("CST6CDT", 2024), Changes("CST6CDT,M3.2.0,M11.1.0", 2024));
  // An explicit daylight offset: "EST5EDT4" is the same as "EST5EDT".
  EXPECT_EQ(MustParse("EST5EDT4").dst_offset, -4 * 3600);
  EXPECT_EQ(Changes("EST5EDT4", 2024), "1710054000>-14400 1730613600>-18000");
}

TEST(PosixTz, SouthernHemisphereHalfHour) {
  // Lord Howe: +10:30, and +11 in summer. 2024-04-07 02:00 (+11) is 2024-04-06T15:00Z
  // (1712415600); 2024-10-06 02:00 (+10:30) is 2024-10-05T15:30Z (1728142200).
  EXPECT_EQ(Changes("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", 2024),
            "1712415600>37800 1728142200>39600");
}

TEST(PosixTz, DublinsWinterTimeIsTheDaylightTime) {
  // Europe/Dublin keeps IST (+1) as standard time and GMT as its winter "daylight" time: GMT ends
  // on 2024-03-31 at 01:00 GMT (01:00Z, 1711846800) and starts on 2024-10-27 at 02:00 IST (01:00Z,
  // 1729990800).
  EXPECT_EQ(Changes("IST-1GMT0,M10.5.0,M3.5.0/1", 2024), "1711846800>3600 1729990800>0");
}

TEST(PosixTz, SignedAndLongTimes) {
  // America/Nuuk: -2, -1 in summer, changing at 01:00Z like the EU. The start is "-1" hours on
  // the last Sunday of March: 23:00 (-2) on Saturday 2024-03-30, which is 01:00Z on the 31st.
  EXPECT_EQ(Changes("<-02>2<-01>,M3.5.0/-1,M10.5.0/0", 2024), "1711846800>-3600 1729990800>-7200");
  // Asia/Jerusalem: "M3.4.4/26" is 26:00 on the fourth Thursday of March (the 28th in 2024), that
  // is 02:00 on Friday the 29th (+2), 00:00Z (1711670400).
  EXPECT_EQ(Changes("IST-2IDT,M3.4.4/26,M10.5.0", 2024).substr(0, 16), "1711670400>10800");
  EXPECT_EQ(MustParse("EET-2EEST,M3.4.4/50,M10.4.4/50").dst_start.time, 50 * 3600);
  EXPECT_EQ(MustParse("<-03>3<-02>,M3.5.0/-2:30:15,M10.5.0").dst_start.time,
            -(2 * 3600 + 30 * 60 + 15));
}

TEST(PosixTz, JulianDays) {
  // "Jn": February 29th is never counted, so J60 is March 1st in 2024 too. "n" counts from 0 and
  // counts February 29th, so 59 is February 29th in 2024.
  const PosixTz j = MustParse("XXX0YYY,J60/0,J300/0");
  EXPECT_EQ(j.dst_start.kind, PosixTzDate::Kind::kJulian);
  EXPECT_EQ(PosixTzChanges(j, 2024)[0].at, 1709251200);  // 2024-03-01T00:00:00Z
  EXPECT_EQ(PosixTzChanges(j, 2023)[0].at, 1677628800);  // 2023-03-01T00:00:00Z
  const PosixTz n = MustParse("XXX0YYY,59/0,299/0");
  EXPECT_EQ(n.dst_start.kind, PosixTzDate::Kind::kZeroBased);
  EXPECT_EQ(PosixTzChanges(n, 2024)[0].at, 1709164800);  // 2024-02-29T00:00:00Z
  EXPECT_EQ(PosixTzChanges(n, 2023)[0].at, 1677628800);  // 2023-03-01T00:00:00Z
}

TEST(PosixTz, DaylightTimeAllYear) {
  // RFC 8536's example of daylight time all year: it starts at 00:00 EST on January 1st (05:00Z)
  // and ends at 25:00 EDT on December 31st, the same instant as the next year's start.
  EXPECT_EQ(Changes("EST5EDT,0/0,J365/25", 2024), "1704085200>-14400 1735707600>-18000");
  EXPECT_EQ(Changes("EST5EDT,0/0,J365/25", 2025).substr(0, 17), "1735707600>-14400");
}

TEST(PosixTz, Errors) {
  EXPECT_EQ(ErrorOf("EST"), "TZ string 'EST': expected the standard time's offset at character 4");
  EXPECT_EQ(ErrorOf("ES5"), "TZ string 'ES5': expected a zone abbreviation at character 1");
  EXPECT_EQ(ErrorOf("<+0-3"), "TZ string '<+0-3': expected a zone abbreviation at character 1");
  EXPECT_EQ(ErrorOf("EST25"),
            "TZ string 'EST25': expected the standard time's offset at character 4");
  EXPECT_EQ(ErrorOf("EST5E"),
            "TZ string 'EST5E': expected the daylight time's abbreviation at character 5");
  EXPECT_EQ(ErrorOf("EST5EDT4x"), "TZ string 'EST5EDT4x': expected ',' at character 9");
  EXPECT_EQ(ErrorOf("EST5EDT,M13.1.0,M11.1.0"),
            "TZ string 'EST5EDT,M13.1.0,M11.1.0': expected the date daylight time starts at "
            "character 9");
  EXPECT_EQ(ErrorOf("EST5EDT,J0,J365"),
            "TZ string 'EST5EDT,J0,J365': expected the date daylight time starts at character 9");
  EXPECT_EQ(ErrorOf("EST5EDT,M3.2.0"), "TZ string 'EST5EDT,M3.2.0': expected ',' at character 15");
  EXPECT_EQ(ErrorOf("EST5EDT,M3.2.0,M11.1.7"),
            "TZ string 'EST5EDT,M3.2.0,M11.1.7': expected the date daylight time ends at "
            "character 16");
  EXPECT_EQ(ErrorOf("EST5EDT,M3.2.0,M11.1.0/200"),
            "TZ string 'EST5EDT,M3.2.0,M11.1.0/200': expected the date daylight time ends at "
            "character 16");
  EXPECT_EQ(ErrorOf("EST5EDT,M3.2.0,M11.1.0x"),
            "TZ string 'EST5EDT,M3.2.0,M11.1.0x': unexpected text at character 23");
}

}  // namespace
}  // namespace wharf::events
