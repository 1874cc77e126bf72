// ZoneRules: the offsets of one IANA time zone (America/New_York, Europe/Berlin, UTC), read from
// the system's time zone data (/usr/share/zoneinfo, Debian's tzdata package) through Howard
// Hinnant's libdate-tz, so that a schedule can run by the wall clock of a place (docs/events.md,
// "Time zones and daylight saving").
//
// Times are whole seconds. An `instant` counts seconds since 1970-01-01T00:00:00Z; a `wall` time
// counts seconds since 1970-01-01T00:00:00 on the zone's own clock (what the clock on the wall
// shows, written as if it were UTC).
//
// A zone is read once per process, at its first Load, and kept: a later update of the zone data
// takes effect when the process starts again.
//
// Thread-safety: Load may be called from any thread; a ZoneRules is immutable, share it freely.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace wharf::events {

// The instants at which a zone's clocks show one wall time.
struct WallInstants {
  // 1 as a rule; 0 when the clocks skip the wall time (spring forward); 2 when they show it twice
  // (fall back).
  int count = 0;
  // When count > 0: the first and the last instant showing the wall time (equal when count == 1).
  int64_t earliest = 0;
  int64_t latest = 0;
  // When count == 0: the wall time read with the offset in force before the gap, which lands that
  // far after the gap's start (02:30 on a spring-forward night in New York gives 03:30 EDT).
  int64_t after_gap = 0;
};

class ZoneRules {
 public:
  // `name` is an IANA time zone name (a file under /usr/share/zoneinfo, links such as US/Eastern
  // included), or empty for UTC, which needs no zone data. Fails with "ValidationException"
  // naming the zone when the data has no such zone (custom offsets like "GMT+05:00" and the
  // host's own "localtime" are refused too), and with "InternalFailure" naming the file when the
  // zone data is missing or unreadable.
  static Result<std::shared_ptr<const ZoneRules>> Load(std::string_view name);

  ~ZoneRules();
  ZoneRules(const ZoneRules&) = delete;
  ZoneRules& operator=(const ZoneRules&) = delete;

  const std::string& name() const { return name_; }

  // The wall time at `instant`.
  int64_t WallAt(int64_t instant) const;
  // The instants whose wall time is `wall`.
  WallInstants InstantsAt(int64_t wall) const;

  // The version of the system's time zone data, e.g. "2025b" (from tzdata.zi), or "unknown".
  static std::string DataVersion();

 private:
  struct Impl;
  ZoneRules(std::string name, std::unique_ptr<Impl> impl);

  std::string name_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wharf::events
