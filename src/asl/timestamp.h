// Timestamps as the Amazon States Language accepts them (RFC 3339 / ISO-8601 extended offset
// date-time, e.g. "2016-03-14T01:59:00Z" or "2016-03-14T01:59:00.123+02:00"), for the
// Timestamp* Choice operators, IsTimestamp and the Wait state's Timestamp/TimestampPath.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string_view>

#include "core/clock.h"

namespace wharf::asl {

// The instant `text` names, or nullopt when AWS would not accept it as a timestamp.
std::optional<TimePoint> ParseTimestamp(std::string_view text);

}  // namespace wharf::asl
