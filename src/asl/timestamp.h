// Timestamps as the Amazon States Language accepts them (RFC 3339 / ISO-8601 extended offset
// date-time, e.g. "2016-03-14T01:59:00Z" or "2016-03-14T01:59:00.123+02:00"), for the
// Timestamp* Choice operators, IsTimestamp and the Wait state's Timestamp/TimestampPath.
//
// AWS's error text ("cannot be parsed as an ISO-8601 extended offset date-time format string")
// names Java's ISO_OFFSET_DATE_TIME, and the recorded cases agree with it, so that is the grammar:
//   date    = year "-" MM "-" dd          year: 4 digits, or "+" and 5..10 digits, or "-" and 4
//   time    = HH ":" mm [":" ss ["." 0..9 digits]]     (seconds are optional)
//   offset  = "Z" | ("+" | "-") HH [":" mm [":" ss]]  (at most 18:00)
//   text    = date "T" time offset        ("T" and "Z" in either case)
// Calendar fields are checked strictly: month 1-12, the day within its month (leap years of the
// proleptic Gregorian calendar), hour 0-23, minute and second 0-59 (no leap second).
// Rejected as AWS rejects them: no offset ("2016-12-05T21:29:29"), a space for "T",
// "05-12-2016T...", month 13, hour 25, more than 9 fraction digits.
// Thread-safety: pure functions.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/clock.h"

namespace wharf::asl {

// An exact instant over the whole range of years the grammar allows (a TimePoint in nanoseconds
// only spans the years 1678-2261).
struct Instant {
  int64_t seconds = 0;  // since 1970-01-01T00:00:00Z
  int32_t nanos = 0;    // 0..999'999'999

  friend auto operator<=>(const Instant&, const Instant&) = default;
};

// The instant `text` names, or nullopt when AWS would not accept it as a timestamp.
std::optional<Instant> ParseInstant(std::string_view text);

// True when AWS accepts `text` as a timestamp (IsTimestamp, Wait's Timestamp).
bool IsValidTimestamp(std::string_view text);

// The instant `text` names, or nullopt when AWS would not accept it as a timestamp. A valid
// timestamp outside TimePoint's range is clamped to TimePoint::min() or TimePoint::max() (a Wait
// until the year 3000 is then "too long", one until the year 1000 is already over).
std::optional<TimePoint> ParseTimestamp(std::string_view text);

}  // namespace wharf::asl
