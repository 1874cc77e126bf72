// Randomness for executions: a fast generator seeded per execution, behind asl::Entropy
// (UUIDs for States.UUID and ids, draws for MathRandom and retry jitter).
// Thread-safety: FreshSeed may be called from any thread; a RandomEntropy belongs to one executor.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>

#include "asl/env.h"
#include "core/uuid.h"

namespace wharf::engine {

// xoshiro256** seeded through splitmix64: cheap to seed for every execution, unlike mt19937_64
// (a 2.5 KB state) or std::random_device (a system call).
class Xoshiro256 {
 public:
  explicit Xoshiro256(uint64_t seed) {
    for (auto& w : s_) w = SplitMix(seed);
  }
  uint64_t operator()() {
    uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // The generator's whole state, for an execution's snapshot.
  std::array<uint64_t, 4> state() const { return {s_[0], s_[1], s_[2], s_[3]}; }
  void set_state(const std::array<uint64_t, 4>& s) {
    for (int i = 0; i < 4; ++i) s_[i] = s[i];
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t SplitMix(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t s_[4];
};

// A fresh seed per execution: one read of the OS's random device per process, then a counter.
inline uint64_t FreshSeed() {
  static const uint64_t base =
      (static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
  static std::atomic<uint64_t> counter{0};
  return base + 0x9e3779b97f4a7c15ULL * (counter.fetch_add(1, std::memory_order_relaxed) + 1);
}

class RandomEntropy final : public asl::Entropy {
 public:
  explicit RandomEntropy(uint64_t seed) : rng_(seed) {}
  std::string NewUuid() override {
    uint64_t hi = rng_();
    return FormatUuidV4(hi, rng_());
  }
  uint64_t NextRandom() override { return rng_(); }
  Xoshiro256& generator() { return rng_; }
  const Xoshiro256& generator() const { return rng_; }

 private:
  Xoshiro256 rng_;
};

}  // namespace wharf::engine
