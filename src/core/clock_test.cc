// The time formats of core/clock.h.
#include "core/clock.h"

#include <gtest/gtest.h>

namespace wharf {
namespace {

TimePoint At(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

TEST(Clock, Iso8601WithMilliseconds) {
  EXPECT_EQ(FormatIso8601(At(1668331800123)), "2022-11-13T09:30:00.123Z");
  EXPECT_EQ(FormatIso8601(At(-1)), "1969-12-31T23:59:59.999Z");
}

TEST(Clock, Iso8601ToTheSecondFloorsTheTime) {
  EXPECT_EQ(FormatIso8601Seconds(At(1668331800000)), "2022-11-13T09:30:00Z");
  EXPECT_EQ(FormatIso8601Seconds(At(1668331800999)), "2022-11-13T09:30:00Z");
  EXPECT_EQ(FormatIso8601Seconds(At(-1)), "1969-12-31T23:59:59Z");
}

TEST(Clock, Iso8601WithNanoseconds) {
  TimePoint t = At(1668331800123) + std::chrono::nanoseconds(456789);
  EXPECT_EQ(FormatIso8601Nanos(t), "2022-11-13T09:30:00.123456789Z");
  EXPECT_EQ(FormatIso8601Nanos(At(-500)), "1969-12-31T23:59:59.500000000Z");
}

}  // namespace
}  // namespace wharf
