// events_bench: EventBridge pattern matching (issue 5, "events matched per second"). One Matcher
// (src/events/matcher.h) holds N rules that mix the operators the way upload rules do -- source and
// detail-type values, file-path prefixes, suffixes (also ignoring case) and wildcards, usernames
// exact or ignoring case, numeric ranges on bytes, anything-but on status, protocol and username,
// CIDR blocks of client addresses, exists, $or -- each rule about one partner, two rules per
// partner (--partners N sets their number instead). The events are Transfer Family "SFTP Server
// File Upload Completed" events (src/ingest/transfer_events.h) of random partners, paths, sizes and
// addresses: --pool (default 4,096) distinct event texts, used in turn. With two rules per partner
// at every rule count, an event meets about the same number of its partner's rules whether there
// are 10 or 10,000, so the rates compare what the rule count alone costs. (With a fixed 5,000
// partners, an event at 1,000 rules finds its partner's rules one time in five and at 10,000
// always: 0.4 against 1.8 matches per event, and more work per event at 10,000 rules for that
// reason alone.)
//
// For N in --rules (default 10,1000,10000), on one thread: add the rules, warm up for 0.2 s, then
// for --seconds (default 2) of matching time measure three rates, per second of the thread's CPU
// time:
//   - events/s: Match on freshly parsed events, as the bus runs it (it parses an event's text,
//     then matches it): batches of 64 are parsed, untimed, then matched, timed. The wall-clock
//     rate is in parentheses (lower when other work shares the machine).
//   - with-parse events/s: Json::Parse of the text and Match, both timed.
//   - cold events/s: Match on events parsed long before, taken in turn from the pool, so that each
//     event's tree is out of the CPU caches as well (a harsher case than the bus meets; the
//     pool's trees and the automaton compete for the caches, which is what makes this rate fall
//     the most with the rules).
// It also prints the rules matched per event, the states reached and value lookups made per
// event (the work, which is what must not grow with the rules), how many of those states were
// visited through their one-line summary alone (packed, matcher.cc), and the automaton's size.
//
// Usage: events_bench [--seconds S | --events N] [--rules N,N,...] [--pool N] [--partners N]
// --events N matches exactly N events per rule count with no warm-up (for callgrind and the like).
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/json.h"
#include "events/matcher.h"

namespace {

using namespace wharf;
using Steady = std::chrono::steady_clock;

std::string RuleText(int i, int partners, std::mt19937& rng) {
  int p = i % partners;
  std::uniform_int_distribution<int> size(1, 1 << 24);
  switch (rng() % 10) {
    case 0:
      return fmt::format(
          R"({{"source": ["aws.transfer"], "detail-type": ["SFTP Server File Upload Completed"],
              "detail": {{"file-path": [{{"prefix": "/landing/partner{}/"}}]}}}})",
          p);
    case 1:
      return fmt::format(
          R"({{"source": ["aws.transfer"], "detail": {{"file-path": [{{"suffix": "_{}.csv"}}],
              "bytes": [{{"numeric": [">", {}]}}]}}}})",
          p, size(rng));
    case 2:
      return fmt::format(
          R"({{"source": ["aws.transfer"], "detail": {{"username": ["partner{}"],
              "status-code": [{{"anything-but": ["FAILED", "PARTIAL_UPLOAD"]}}]}}}})",
          p);
    case 3:
      return fmt::format(
          R"({{"source": ["aws.transfer"], "detail-type": [{{"prefix": "SFTP Server File"}}],
              "detail": {{"username": [{{"prefix": "partner{}"}}],
                          "protocol": [{{"anything-but": "FTP"}}]}}}})",
          p);
    case 4:
      return fmt::format(
          R"({{"source": ["aws.transfer"],
              "detail": {{"file-path": [{{"wildcard": "/landing/partner{}/*.csv"}}]}}}})",
          p);
    case 5:
      return fmt::format(
          R"({{"source": ["aws.transfer", "aws.s3"],
              "detail": {{"client-ip": [{{"cidr": "10.{}.{}.0/24"}}]}}}})",
          p / 256, p % 256);
    case 6:
      return fmt::format(
          R"({{"source": ["aws.transfer"], "detail": {{"username": [{{"equals-ignore-case": "PARTNER{}"}}],
              "bytes": [{{"numeric": [">=", 1000, "<", {}]}}]}}}})",
          p, size(rng));
    case 7:
      return fmt::format(
          R"({{"detail-type": ["SFTP Server File Upload Completed"],
              "detail": {{"file-path": [{{"suffix": {{"equals-ignore-case": "_{}.CSV"}}}}],
                          "username": [{{"anything-but": {{"prefix": "test"}}}}]}}}})",
          p);
    case 8:
      return fmt::format(
          R"({{"source": ["aws.transfer"],
              "$or": [{{"detail": {{"username": ["partner{}"]}}}},
                      {{"detail": {{"file-path": [{{"prefix": "/landing/shared/partner{}/"}}]}}}}]}})",
          p, p);
    default:
      return fmt::format(
          R"({{"source": ["aws.transfer"], "region": ["us-east-1", "eu-west-1"],
              "detail": {{"file-path": [{{"prefix": "/landing/partner{}/"}}],
                          "session-id": [{{"exists": true}}]}}}})",
          p);
  }
}

std::string EventText(int partners, std::mt19937& rng) {
  int q = static_cast<int>(rng() % partners);
  static const char* kKinds[] = {"orders", "products", "prices", "stock"};
  static const char* kExt[] = {"csv", "CSV", "json", "xml"};
  static const char* kProtocols[] = {"SFTP", "SFTP", "FTPS", "FTP"};
  bool shared = rng() % 8 == 0;
  std::string path = fmt::format("/landing/{}partner{}/{}_{}.{}", shared ? "shared/" : "", q,
                                 kKinds[rng() % 4], q, kExt[rng() % 4]);
  return fmt::format(
      R"({{"version": "0", "id": "{:08x}-6a3b-4f3e-9d3c-1f0e7c2a9b11",
          "detail-type": "SFTP Server File Upload Completed", "source": "aws.transfer",
          "account": "123456789012", "time": "2024-01-29T16:31:43Z", "region": "us-east-1",
          "resources": ["arn:aws:transfer:us-east-1:123456789012:server/s-1234567890abcdef0"],
          "detail": {{"max-session-duration": 0, "server-id": "s-1234567890abcdef0",
                      "session-id": "{:016x}", "username": "partner{}", "protocol": "{}",
                      "client-ip": "10.{}.{}.{}", "file-path": "{}", "bytes": {},
                      "start-timestamp": "2024-01-29T16:31:42.104Z",
                      "end-timestamp": "2024-01-29T16:31:43.097Z",
                      "status-code": "{}", "etag": "9b2cf535f27731c974343645a3985328"}}}})",
      static_cast<uint32_t>(rng()), static_cast<uint64_t>(rng()) << 32 | rng(), q,
      kProtocols[rng() % 4], q / 256, q % 256, rng() % 256, path, rng() % (1 << 24),
      rng() % 50 == 0 ? "FAILED" : "COMPLETED");
}

struct Args {
  double seconds = 2.0;
  size_t pool = 4096;  // distinct events, matched in turn
  size_t events = 0;   // when set: match exactly this many events per rule count, no warm-up
  int partners = 0;    // 0: half the rule count (two rules per partner)
  std::vector<int> rules = {10, 1000, 10000};
};

Args ParseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--seconds" && i + 1 < argc) {
      a.seconds = std::atof(argv[++i]);
    } else if (arg == "--pool" && i + 1 < argc) {
      a.pool = std::max<size_t>(1, std::strtoul(argv[++i], nullptr, 10));
    } else if (arg == "--partners" && i + 1 < argc) {
      a.partners = std::atoi(argv[++i]);
    } else if (arg == "--events" && i + 1 < argc) {
      a.events = std::strtoul(argv[++i], nullptr, 10);
    } else if (arg == "--rules" && i + 1 < argc) {
      a.rules.clear();
      std::string list = argv[++i];
      for (size_t at = 0; at <= list.size();) {
        size_t comma = list.find(',', at);
        if (comma == std::string::npos) comma = list.size();
        a.rules.push_back(std::atoi(list.substr(at, comma - at).c_str()));
        at = comma + 1;
      }
    } else {
      std::fprintf(stderr,
                   "usage: events_bench [--seconds S | --events N] [--rules N,N,...] [--pool N] "
                   "[--partners N]\n");
      std::exit(2);
    }
  }
  return a;
}

double Since(Steady::time_point t0) {
  return std::chrono::duration<double>(Steady::now() - t0).count();
}

// CPU time of this thread: on a machine shared with other work, the wall-clock rate undercounts
// what one core does, so both are reported.
double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  Args args = ParseArgs(argc, argv);
  for (int n : args.rules) {
    int partners = args.partners > 0 ? args.partners : std::max(1, n / 2);
    std::mt19937 rng(20240129);
    std::vector<std::string> texts;
    std::vector<Json> events;
    for (size_t i = 0; i < args.pool; ++i) {
      texts.push_back(EventText(partners, rng));
      events.push_back(*Json::Parse(texts.back()));
    }
    std::mt19937 rule_rng(7);
    events::Matcher matcher;
    auto t0 = Steady::now();
    for (int i = 0; i < n; ++i) {
      Status s = matcher.Add(fmt::format("rule-{}", i), RuleText(i, partners, rule_rng));
      if (!s.ok()) {
        std::fprintf(stderr, "rule %d: %s\n", i, s.error().message.c_str());
        return 1;
      }
    }
    double build = Since(t0);

    // Match on freshly parsed events, as the bus does: a batch of kBatch events is parsed from
    // their text (not timed), then matched (timed), so each event's tree is in the CPU caches as
    // it is right after the bus parsed it, and the parsing between batches pushes the rules'
    // automaton out of them as other work in the server would.
    constexpr size_t kBatch = 64;
    size_t k = 0, matched = 0, count = 0;
    std::vector<Json> batch;
    auto parse_batch = [&] {
      batch.clear();
      for (size_t j = 0; j < kBatch; ++j) batch.push_back(*Json::Parse(texts[k++ % args.pool]));
    };
    for (auto w = Steady::now(); args.events == 0 && Since(w) < 0.2;) {
      parse_batch();
      for (const Json& e : batch) matched += matcher.Match(e).size();
    }
    matched = 0;
    double cpu = 0, elapsed = 0;
    while (args.events > 0 ? count < args.events : cpu < args.seconds) {
      parse_batch();
      auto w0 = Steady::now();
      double c0 = ThreadCpuSeconds();
      for (const Json& e : batch) matched += matcher.Match(e).size();
      cpu += ThreadCpuSeconds() - c0;
      elapsed += Since(w0);
      count += kBatch;
    }
    double rate = count / elapsed;
    double cpu_rate = count / cpu;

    // Match on events parsed long before, matched in turn from the pool: each event's tree is
    // out of the CPU caches too.
    size_t count_cold = 0;
    t0 = Steady::now();
    double cpu0 = ThreadCpuSeconds();
    elapsed = 0;
    while (args.events > 0 ? count_cold < args.events : elapsed < args.seconds / 2) {
      for (int j = 0; j < 256; ++j)
        matched += matcher.Match(events[(count_cold + j) % args.pool]).size();
      count_cold += 256;
      elapsed = Since(t0);
    }
    double cpu_rate_cold = count_cold / (ThreadCpuSeconds() - cpu0);

    // Parse the JSON text, then match.
    size_t count_parsed = 0;
    volatile size_t sink = 0;
    t0 = Steady::now();
    cpu0 = ThreadCpuSeconds();
    elapsed = 0;
    while (args.events > 0 ? count_parsed < args.events / 4 : elapsed < args.seconds / 2) {
      for (int j = 0; j < 256; ++j) {
        auto e = Json::Parse(texts[(count_parsed + j) % args.pool]);
        sink = sink + matcher.Match(*e).size();
      }
      count_parsed += 256;
      elapsed = Since(t0);
    }
    double cpu_rate_parsed = count_parsed / (ThreadCpuSeconds() - cpu0);

    auto st = matcher.stats();
    // The work per event, counted over the pool.
    events::Matcher::MatchStats work;
    size_t pool_matches = 0;
    for (size_t i = 0; i < args.pool; ++i) pool_matches += matcher.Match(events[i], &work).size();
    double per = static_cast<double>(args.pool);
    std::printf(
        "rules=%-6d partners=%-5d events/s=%-8.0f (wall %-8.0f) ns/event=%-5.0f "
        "with-parse events/s=%-7.0f cold events/s=%-7.0f matches/event=%.2f "
        "states/event=%.1f lookups/event=%.1f packed/event=%.1f states=%zu build=%.0fms\n",
        n, partners, cpu_rate, rate, 1e9 / cpu_rate, cpu_rate_parsed, cpu_rate_cold,
        static_cast<double>(pool_matches) / per, work.states / per, work.lookups / per,
        work.packed / per, st.states, build * 1e3);
    std::fflush(stdout);
  }
  return 0;
}
