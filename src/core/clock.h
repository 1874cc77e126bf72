// Clock: the one way wharf reads time, so that tests can use a virtual clock.
// Thread-safety: implementations are safe to call from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace wharf {

using TimePoint = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
  // The time at a few milliseconds' resolution, for history timestamps on hot paths; cheaper
  // than Now() where the system offers a coarse clock.
  virtual TimePoint NowCoarse() const { return Now(); }
  // True for a virtual clock: the engine may jump it forward to the next timer when every
  // execution is waiting, instead of sleeping.
  virtual bool IsVirtual() const { return false; }
  virtual void AdvanceTo(TimePoint) {}
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
  TimePoint NowCoarse() const override;  // CLOCK_REALTIME_COARSE: ~4 ns instead of ~27 ns here
};

// REQUIRES: calls to AdvanceTo only move forward.
class VirtualClock final : public Clock {
 public:
  explicit VirtualClock(TimePoint start) : now_(start) {}
  TimePoint Now() const override { return now_; }
  bool IsVirtual() const override { return true; }
  void AdvanceTo(TimePoint t) override {
    if (t > now_) now_ = t;
  }

 private:
  TimePoint now_;
};

// ISO-8601 UTC with milliseconds, as Step Functions prints times: 2024-01-01T12:00:00.000Z
std::string FormatIso8601(TimePoint t);
// ISO-8601 UTC to the second, as EventBridge writes an event's "time": 2024-01-01T12:00:00Z
// (the time is floored to its second).
std::string FormatIso8601Seconds(TimePoint t);
// ISO-8601 UTC with nanoseconds, as Transfer Family writes its timestamps:
// 2024-01-01T12:00:00.123456789Z
std::string FormatIso8601Nanos(TimePoint t);
int64_t ToUnixMillis(TimePoint t);

}  // namespace wharf
