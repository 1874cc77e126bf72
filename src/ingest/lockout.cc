// The lockout's sliding windows and doubling lock-outs (see lockout.h).
#include "ingest/lockout.h"

#include <algorithm>

#include "ingest/address.h"

namespace wharf::ingest {
namespace {

using std::chrono::seconds;

constexpr uint64_t kPruneEvery = 1024;  // failures between sweeps of stale sources, at least

seconds CeilSeconds(std::chrono::system_clock::duration d) { return std::chrono::ceil<seconds>(d); }

}  // namespace

Lockout::Lockout(LockoutConfig config, const Clock& clock, LogHook log)
    : config_(std::move(config)), clock_(clock), log_(std::move(log)) {}

std::string Lockout::SourceKey(std::string_view address) {
  auto a = ParseIpAddress(address);
  if (!a) return std::string(address);
  if (!a->v6) return a->ToString();
  IpNetwork net;
  net.v6 = true;
  net.prefix_length = 64;
  std::copy(a->bytes.begin(), a->bytes.begin() + 8, net.address.begin());
  return net.ToString();
}

bool Lockout::Exempt(std::string_view address) const {
  if (config_.exempt_networks.empty()) return false;
  auto a = ParseIpAddress(address);
  return a && AnyNetworkContains(config_.exempt_networks, *a);
}

void Lockout::Forgive(Entry& e, TimePoint now) const {
  if (e.offences > 0 && e.locked_until <= now && now - e.last_event >= config_.forgive_after)
    e.offences = 0;
}

Lockout::Verdict Lockout::Check(std::string_view address) {
  if (Exempt(address)) return {};
  std::string key = SourceKey(address);
  std::lock_guard lock(mu_);
  TimePoint now = clock_.Now();
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.locked_until <= now) return {};
  ++counters_.refused;
  return {false, CeilSeconds(it->second.locked_until - now)};
}

bool Lockout::RecordFailure(std::string_view address) {
  bool exempt = Exempt(address);
  std::string key = SourceKey(address);
  std::string line;
  {
    std::lock_guard lock(mu_);
    ++counters_.failures;
    if (exempt) return false;
    TimePoint now = clock_.Now();
    // Sweeps come no more often than one per entry tracked: amortized O(1) per failure.
    if (++operations_ >= next_prune_ || entries_.size() >= kMaxTrackedSources) {
      PruneLocked(now);
      next_prune_ = operations_ + std::max<uint64_t>(kPruneEvery, entries_.size());
    }
    Entry& e = entries_[key];
    // A failure that was already under way when the lock-out began changes nothing.
    if (e.locked_until > now) return false;
    Forgive(e, now);
    while (!e.failures.empty() && now - e.failures.front() >= config_.window)
      e.failures.pop_front();
    e.failures.push_back(now);
    e.last_event = now;
    if (static_cast<int>(e.failures.size()) < config_.max_failures) return false;

    // ban * 2^offences, capped (the shift is bounded so that it cannot overflow).
    seconds ban = config_.ban;
    for (int i = 0; i < e.offences && ban < config_.max_ban; ++i) ban *= 2;
    ban = std::min(ban, config_.max_ban);
    e.locked_until = now + ban;
    e.last_event = e.locked_until;
    ++e.offences;
    e.failures.clear();
    ++counters_.lockouts;
    line = "lockout: " + key + " locked out for " + std::to_string(ban.count()) + " s after " +
           std::to_string(config_.max_failures) + " failed logins within " +
           std::to_string(config_.window.count()) + " s (offence " + std::to_string(e.offences) +
           ")";
  }
  if (log_) log_(line);
  return true;
}

void Lockout::RecordSuccess(std::string_view address) {
  if (Exempt(address)) return;
  std::string key = SourceKey(address);
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  it->second.failures.clear();
  if (it->second.offences == 0 && it->second.locked_until <= clock_.Now()) entries_.erase(it);
}

void Lockout::PruneLocked(TimePoint now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    Entry& e = it->second;
    bool stale = false;
    if (e.locked_until <= now) {
      Forgive(e, now);
      while (!e.failures.empty() && now - e.failures.front() >= config_.window)
        e.failures.pop_front();
      stale = e.failures.empty() && e.offences == 0;
    }
    it = stale ? entries_.erase(it) : std::next(it);
  }
  if (entries_.size() < kMaxTrackedSources) return;
  // Still full: forget sources that are not locked out (their offences go with them).
  std::erase_if(entries_, [&](const auto& kv) { return kv.second.locked_until <= now; });
}

LockoutCounters Lockout::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

size_t Lockout::LockedOutNow() const {
  std::lock_guard lock(mu_);
  TimePoint now = clock_.Now();
  return std::count_if(entries_.begin(), entries_.end(),
                       [&](const auto& kv) { return kv.second.locked_until > now; });
}

size_t Lockout::tracked() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace wharf::ingest
