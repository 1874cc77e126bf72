// ZoneRules: the offsets of one IANA time zone (America/New_York, Europe/Berlin, UTC), read through
// ICU, so that a schedule can run by the wall clock of a place (docs/events.md, "Time zones").
//
// Times are whole seconds. An `instant` counts seconds since 1970-01-01T00:00:00Z; a `wall` time
// counts seconds since 1970-01-01T00:00:00 on the zone's own clock (what the clock on the wall
// shows, written as if it were UTC).
//
// Thread-safety: immutable once loaded; share it between threads freely.
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
  // `name` is an IANA time zone name, or empty for UTC. Fails with "ValidationException" naming
  // the zone when ICU does not know it (custom ids like "GMT+5" are refused too).
  static Result<std::shared_ptr<const ZoneRules>> Load(std::string_view name);

  ~ZoneRules();
  ZoneRules(const ZoneRules&) = delete;
  ZoneRules& operator=(const ZoneRules&) = delete;

  const std::string& name() const { return name_; }

  // The wall time at `instant`.
  int64_t WallAt(int64_t instant) const;
  // The instants whose wall time is `wall`.
  WallInstants InstantsAt(int64_t wall) const;

  // The version of the time zone data ICU carries, e.g. "2022e".
  static std::string DataVersion();

 private:
  struct Impl;
  ZoneRules(std::string name, std::unique_ptr<Impl> impl);

  std::string name_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wharf::events
