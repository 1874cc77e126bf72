#include "ingest/lockout.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

namespace wharf::ingest {
namespace {

using std::chrono::seconds;

class LockoutTest : public ::testing::Test {
 protected:
  LockoutTest() : clock_(TimePoint(seconds(1'700'000'000))) {}

  void Advance(seconds d) { clock_.AdvanceTo(clock_.Now() + d); }

  // `n` failures from `address`, one second apart; how many of them locked it out.
  int Fail(Lockout& lockout, const std::string& address, int n) {
    int locked = 0;
    for (int i = 0; i < n; ++i) {
      locked += lockout.RecordFailure(address) ? 1 : 0;
      Advance(seconds(1));
    }
    return locked;
  }

  VirtualClock clock_;
  std::vector<std::string> log_;
  Lockout::LogHook hook_ = [this](const std::string& line) { log_.push_back(line); };
};

TEST_F(LockoutTest, FifthFailureWithinTheWindowLocksOut) {
  Lockout lockout(LockoutConfig{}, clock_, hook_);  // 5 in 300 s -> 60 s, up to 3600 s
  EXPECT_EQ(Fail(lockout, "203.0.113.9", 4), 0);
  EXPECT_TRUE(lockout.Check("203.0.113.9").allowed);
  EXPECT_TRUE(lockout.RecordFailure("203.0.113.9"));
  Lockout::Verdict v = lockout.Check("203.0.113.9");
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.retry_after, seconds(60));
  ASSERT_EQ(log_.size(), 1u);
  EXPECT_EQ(log_[0],
            "lockout: 203.0.113.9 locked out for 60 s after 5 failed logins within 300 s "
            "(offence 1)");

  // Other addresses are not concerned.
  EXPECT_TRUE(lockout.Check("203.0.113.10").allowed);

  Advance(seconds(59));
  v = lockout.Check("203.0.113.9");
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.retry_after, seconds(1));
  Advance(seconds(1));
  EXPECT_TRUE(lockout.Check("203.0.113.9").allowed);

  LockoutCounters c = lockout.counters();
  EXPECT_EQ(c.failures, 5u);
  EXPECT_EQ(c.lockouts, 1u);
  EXPECT_EQ(c.refused, 2u);
}

TEST_F(LockoutTest, TheWindowSlides) {
  Lockout lockout(LockoutConfig{}, clock_, hook_);
  // One failure a minute and a quarter: never 5 within 300 s.
  for (int i = 0; i < 20; ++i) {
    EXPECT_FALSE(lockout.RecordFailure("192.0.2.1"));
    Advance(seconds(75));
  }
  EXPECT_TRUE(lockout.Check("192.0.2.1").allowed);
  EXPECT_EQ(lockout.counters().lockouts, 0u);
  // Four, a pause past the window, four more: still none.
  EXPECT_EQ(Fail(lockout, "192.0.2.2", 4), 0);
  Advance(seconds(300));
  EXPECT_EQ(Fail(lockout, "192.0.2.2", 4), 0);
  // The fifth within the window does it.
  EXPECT_TRUE(lockout.RecordFailure("192.0.2.2"));
}

TEST_F(LockoutTest, RepeatOffencesDoubleUpToTheCap) {
  Lockout lockout(LockoutConfig{}, clock_, hook_);
  std::vector<int64_t> bans;
  for (int offence = 0; offence < 9; ++offence) {
    ASSERT_EQ(Fail(lockout, "198.51.100.4", 5), 1);
    Lockout::Verdict v = lockout.Check("198.51.100.4");
    ASSERT_FALSE(v.allowed);
    bans.push_back(v.retry_after.count() + 1);  // Fail advanced 1 s after the locking failure
    Advance(v.retry_after);
    ASSERT_TRUE(lockout.Check("198.51.100.4").allowed);
  }
  EXPECT_EQ(bans, (std::vector<int64_t>{60, 120, 240, 480, 960, 1920, 3600, 3600, 3600}));
  EXPECT_EQ(lockout.counters().lockouts, 9u);
  EXPECT_EQ(log_.back(),
            "lockout: 198.51.100.4 locked out for 3600 s after 5 failed logins within 300 s "
            "(offence 9)");
}

TEST_F(LockoutTest, QuietSourcesAreForgiven) {
  Lockout lockout(LockoutConfig{}, clock_, hook_);
  Fail(lockout, "192.0.2.7", 5);
  Advance(seconds(60));
  Fail(lockout, "192.0.2.7", 5);
  EXPECT_EQ(lockout.Check("192.0.2.7").retry_after, seconds(119));  // the second offence
  // A day after the end of that lock-out, the next one is a first offence again.
  Advance(seconds(119) + seconds(86'400));
  Fail(lockout, "192.0.2.7", 5);
  EXPECT_EQ(lockout.Check("192.0.2.7").retry_after, seconds(59));
  // Quiet for less than that: still a repeat.
  Advance(seconds(59) + seconds(86'000));
  Fail(lockout, "192.0.2.7", 5);
  EXPECT_EQ(lockout.Check("192.0.2.7").retry_after, seconds(119));
}

TEST_F(LockoutTest, SuccessForgetsRecentFailuresButNotOffences) {
  Lockout lockout(LockoutConfig{}, clock_, hook_);
  Fail(lockout, "192.0.2.8", 4);
  lockout.RecordSuccess("192.0.2.8");
  EXPECT_EQ(Fail(lockout, "192.0.2.8", 4), 0);  // counting starts again
  EXPECT_EQ(Fail(lockout, "192.0.2.8", 1), 1);
  Advance(seconds(60));
  lockout.RecordSuccess("192.0.2.8");
  EXPECT_EQ(Fail(lockout, "192.0.2.8", 5), 1);
  EXPECT_EQ(lockout.Check("192.0.2.8").retry_after, seconds(119));  // still a repeat offence
  // A source with nothing against it is not remembered after a success.
  lockout.RecordSuccess("192.0.2.99");
  Fail(lockout, "192.0.2.98", 1);
  lockout.RecordSuccess("192.0.2.98");
  EXPECT_EQ(lockout.tracked(), 1u);
}

TEST_F(LockoutTest, FailuresDuringALockOutChangeNothing) {
  Lockout lockout(LockoutConfig{}, clock_, hook_);
  Fail(lockout, "192.0.2.3", 5);
  // Logins already under way when the lock-out began may still fail.
  EXPECT_EQ(Fail(lockout, "192.0.2.3", 10), 0);
  EXPECT_EQ(lockout.counters().lockouts, 1u);
  EXPECT_EQ(lockout.Check("192.0.2.3").retry_after, seconds(49));
}

TEST_F(LockoutTest, ConfigurableLimits) {
  LockoutConfig config;
  config.max_failures = 2;
  config.window = seconds(10);
  config.ban = seconds(5);
  config.max_ban = seconds(12);
  config.forgive_after = seconds(100);
  Lockout lockout(config, clock_, hook_);
  EXPECT_EQ(Fail(lockout, "192.0.2.1", 2), 1);
  EXPECT_EQ(log_.back(),
            "lockout: 192.0.2.1 locked out for 5 s after 2 failed logins within 10 s (offence 1)");
  Advance(seconds(4));
  EXPECT_EQ(Fail(lockout, "192.0.2.1", 2), 1);
  EXPECT_EQ(lockout.Check("192.0.2.1").retry_after, seconds(9));  // 10 s, 1 s gone
  Advance(seconds(9));
  EXPECT_EQ(Fail(lockout, "192.0.2.1", 2), 1);
  EXPECT_EQ(lockout.Check("192.0.2.1").retry_after, seconds(11));  // 20 s capped to 12
}

TEST_F(LockoutTest, ExemptNetworksAreNeverLockedOut) {
  LockoutConfig config;
  config.exempt_networks = {*ParseIpNetwork("10.0.0.0/8"), *ParseIpNetwork("2001:db8::/32")};
  Lockout lockout(config, clock_, hook_);
  EXPECT_EQ(Fail(lockout, "10.1.2.3", 50), 0);
  EXPECT_EQ(Fail(lockout, "::ffff:10.1.2.3", 50), 0);
  EXPECT_EQ(Fail(lockout, "2001:db8::1", 50), 0);
  EXPECT_TRUE(lockout.Check("10.1.2.3").allowed);
  EXPECT_EQ(lockout.counters().failures, 150u);
  EXPECT_EQ(lockout.tracked(), 0u);
  EXPECT_EQ(Fail(lockout, "11.1.2.3", 5), 1);
}

TEST_F(LockoutTest, SourcesAreAddressesAndIpv6Slash64s) {
  EXPECT_EQ(Lockout::SourceKey("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(Lockout::SourceKey("::ffff:192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(Lockout::SourceKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(Lockout::SourceKey("[2001:db8:1:2::5]"), "2001:db8:1:2::/64");
  EXPECT_EQ(Lockout::SourceKey("fe80::1%eth0"), "fe80::/64");
  EXPECT_EQ(Lockout::SourceKey("not an address"), "not an address");

  Lockout lockout(LockoutConfig{}, clock_, hook_);
  // An attacker rotating through the addresses of one /64 is one source.
  for (int i = 1; i <= 5; ++i) lockout.RecordFailure("2001:db8:1:2::" + std::to_string(i));
  EXPECT_FALSE(lockout.Check("2001:db8:1:2::ffff").allowed);
  EXPECT_TRUE(lockout.Check("2001:db8:1:3::1").allowed);
  // IPv4 seen through an IPv6 socket is the same source as IPv4 seen directly.
  Fail(lockout, "::ffff:198.51.100.1", 4);
  lockout.RecordFailure("198.51.100.1");
  EXPECT_FALSE(lockout.Check("198.51.100.1").allowed);
  EXPECT_FALSE(lockout.Check("::ffff:198.51.100.1").allowed);
  EXPECT_EQ(lockout.LockedOutNow(), 2u);
}

TEST_F(LockoutTest, MemoryIsBounded) {
  Lockout lockout(LockoutConfig{}, clock_, hook_);
  for (uint32_t i = 0; i < kMaxTrackedSources + 20'000; ++i) {
    std::string address = "10." + std::to_string((i >> 16) & 255) + "." +
                          std::to_string((i >> 8) & 255) + "." + std::to_string(i & 255);
    lockout.RecordFailure(address);
    ASSERT_LE(lockout.tracked(), kMaxTrackedSources) << i;
  }
  // Locked-out sources are kept through the flood.
  Fail(lockout, "192.0.2.200", 5);
  for (uint32_t i = 0; i < kMaxTrackedSources; ++i) {
    char address[48];
    std::snprintf(address, sizeof address, "2001:db8:%x:%x::1", i >> 16, i & 0xFFFF);
    lockout.RecordFailure(address);
  }
  EXPECT_FALSE(lockout.Check("192.0.2.200").allowed);
  // Stale sources go when their windows have passed (a sweep comes after at most as many
  // failures as there are sources).
  Advance(seconds(301));
  for (size_t i = 0; i <= kMaxTrackedSources; ++i) lockout.RecordFailure("192.0.2.1");
  EXPECT_LE(lockout.tracked(), 3u);
}

TEST_F(LockoutTest, ThreadSafe) {
  Lockout lockout(LockoutConfig{}, clock_, {});
  std::atomic<int> locked{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        std::string address = "192.0.2." + std::to_string(i % 16);
        if (!lockout.Check(address).allowed) continue;
        if (lockout.RecordFailure(address)) ++locked;
        if (t == 0 && i % 7 == 0) lockout.RecordSuccess(address);
      }
    });
  }
  for (auto& th : threads) th.join();
  // The clock stood still: each of the 16 sources was locked out exactly once.
  EXPECT_EQ(locked.load(), 16);
  EXPECT_EQ(lockout.counters().lockouts, 16u);
  EXPECT_EQ(lockout.LockedOutNow(), 16u);
}

}  // namespace
}  // namespace wharf::ingest
