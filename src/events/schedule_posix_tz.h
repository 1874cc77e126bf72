// PosixTz: the rule at the end of a TZif file (RFC 8536 section 3.3, "TZ string"), such as
// "EST5EDT,M3.2.0,M11.1.0", which gives a zone's offsets after the last transition the file
// lists. Debian's zone files list transitions up to 2037 only, and libdate-tz 3.0.1 does not read
// this rule, so ZoneRules (schedule_zone.h) extends a zone's transitions with it through 2199.
//
// The syntax is POSIX's TZ variable with RFC 8536's extensions (section 3.3.1): a rule time may be
// negative or up to 167 hours ("M3.5.0/-1" in America/Nuuk, "M3.4.4/26" in Asia/Jerusalem).
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace wharf::events {

// One of the two dates of a daylight-saving rule, with the local time of the change.
struct PosixTzDate {
  enum class Kind {
    kJulian,     // "Jn": day n of 1-365, February 29th never counted
    kZeroBased,  // "n": day n of 0-365, February 29th counted
    kMonthWeek,  // "Mm.w.d": weekday d (0 = Sunday) of week w (1-4, 5 = last) of month m
  };
  Kind kind = Kind::kMonthWeek;
  int day = 0;      // kJulian, kZeroBased
  int month = 0;    // kMonthWeek, 1-12
  int week = 0;     // kMonthWeek, 1-5
  int weekday = 0;  // kMonthWeek, 0-6
  // Seconds after local midnight of that date, on the clock in force before the change; 02:00
  // when the string gives none.
  int64_t time = int64_t{2} * 3600;
};

struct PosixTz {
  int32_t std_offset = 0;  // seconds east of UTC (the string counts west: "EST5" is -5 hours)
  bool has_dst = false;
  int32_t dst_offset = 0;  // seconds east of UTC; one hour east of standard time unless given
  PosixTzDate dst_start;   // the change to dst_offset, read on standard time
  PosixTzDate dst_end;     // the change back to std_offset, read on daylight time
};

// A change of offset: from `at` (seconds since 1970-01-01T00:00:00Z) the offset is `offset`.
struct OffsetChange {
  int64_t at = 0;
  int32_t offset = 0;
};

// Parses a TZ string. An empty string or one without daylight time ("<+03>-3") gives has_dst ==
// false. A daylight time without dates gets the US rule, "M3.2.0,M11.1.0", as tzcode does. Fails
// with "InvalidTimeZoneData" naming the string and the place.
Result<PosixTz> ParsePosixTz(std::string_view text);

// The two changes of `year` (by standard-time calendar), in order of time; none without daylight
// time. A rule whose daylight time lasts all year ("EST5EDT,0/0,J365/25") gives a change back to
// standard time at the same instant as the next year's change to daylight time; the caller keeps
// the later of two changes at one instant.
std::vector<OffsetChange> PosixTzChanges(const PosixTz& tz, int year);

}  // namespace wharf::events
