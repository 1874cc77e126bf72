#include "core/clock.h"

#include <time.h>

#include <cstdio>
#include <ctime>

namespace wharf {

namespace {

// "2024-01-01T12:00:00" for the second `t` falls in (floored), then `fraction`, then "Z".
std::string FormatUtc(TimePoint t, const char* fraction) {
  std::time_t secs = static_cast<std::time_t>(
      std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count());
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];  // sized for any int year, so the compiler can prove no truncation
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, fraction);
  return buf;
}

}  // namespace

std::string FormatIso8601(TimePoint t) {
  auto ms = std::chrono::floor<std::chrono::milliseconds>(t.time_since_epoch()).count();
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03d", static_cast<int>(((ms % 1000) + 1000) % 1000));
  return FormatUtc(t, millis);
}

std::string FormatIso8601Seconds(TimePoint t) { return FormatUtc(t, ""); }

std::string FormatIso8601Nanos(TimePoint t) {
  auto ns = std::chrono::floor<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  char nanos[16];
  std::snprintf(nanos, sizeof nanos, ".%09lld",
                static_cast<long long>(((ns % 1'000'000'000) + 1'000'000'000) % 1'000'000'000));
  return FormatUtc(t, nanos);
}

TimePoint SystemClock::NowCoarse() const {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(
      std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec)));
}

int64_t ToUnixMillis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace wharf
