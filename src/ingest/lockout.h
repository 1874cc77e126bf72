// Brute-force lockout for the file-transfer servers (issue 4). Failed logins are counted per
// source within a sliding window (LockoutConfig::window); the failure that reaches
// `max_failures` locks the source out for `ban`, and each repeat offence doubles that, up to
// `max_ban`. A source with no failure and no lock-out for `forgive_after` starts again from
// `ban`. A successful login forgets the source's recent failures but not its offences.
//
// A source is an IPv4 address, or an IPv6 /64 (one customer's LAN, which an attacker can fill
// with addresses at will); IPv4-mapped IPv6 counts as IPv4. Addresses in `exempt_networks` are
// never counted. Each lock-out is reported through the log hook, and the counters feed the
// metrics (wharf_ingest_lockouts_total, wharf_ingest_refused_logins_total).
//
// At most kMaxTrackedSources sources are remembered: past that, sources that are not locked out
// are forgotten first, so a flood of addresses costs bounded memory.
//
// Thread-safety: every method may be called from any thread (one mutex). The log hook runs
// outside the mutex, on the thread that recorded the failure.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"
#include "core/project.h"

namespace wharf::ingest {

inline constexpr size_t kMaxTrackedSources = 100'000;

struct LockoutCounters {
  uint64_t failures = 0;  // failed logins recorded (exempt sources included)
  uint64_t lockouts = 0;  // times a source was locked out
  uint64_t refused = 0;   // attempts refused because their source was locked out
};

class Lockout {
 public:
  using LogHook = std::function<void(const std::string& line)>;

  struct Verdict {
    bool allowed = true;
    std::chrono::seconds retry_after{0};  // when refused: the time left, rounded up
  };

  // REQUIRES: `clock` outlives the Lockout; config.max_failures >= 1, ban <= max_ban.
  Lockout(LockoutConfig config, const Clock& clock, LogHook log = {});

  // Before checking credentials: whether `address` may try now. A refusal counts in `refused`.
  Verdict Check(std::string_view address);
  // A failed login from `address`. True when this failure locked it out.
  bool RecordFailure(std::string_view address);
  // A successful login from `address`.
  void RecordSuccess(std::string_view address);

  LockoutCounters counters() const;
  size_t LockedOutNow() const;  // sources locked out at this moment (a gauge)
  size_t tracked() const;       // sources remembered

  // The key a source is counted under: "192.0.2.7", "2001:db8:1:2::/64"; text that is not an
  // address is its own key.
  static std::string SourceKey(std::string_view address);

 private:
  struct Entry {
    std::deque<TimePoint> failures;  // within the window, oldest first
    TimePoint locked_until{};
    TimePoint last_event{};  // the last failure or the end of the last lock-out
    int offences = 0;
  };

  bool Exempt(std::string_view address) const;
  void Forgive(Entry& e, TimePoint now) const;
  void PruneLocked(TimePoint now);  // REQUIRES: mu_ held

  const LockoutConfig config_;
  const Clock& clock_;
  const LogHook log_;

  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  LockoutCounters counters_;
  uint64_t operations_ = 0;  // failures recorded
  uint64_t next_prune_ = 0;  // when operations_ reaches it, stale sources are swept
};

}  // namespace wharf::ingest
