// The Matcher: adding, replacing and removing rules; sharing of states; agreement with the
// brute-force Pattern::Matches on random patterns and events; concurrent matching.
#include "events/matcher.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "events/matcher_index.h"

namespace wharf::events {
namespace {

Json J(std::string_view text) {
  auto r = Json::Parse(text);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? *r : Json();
}

using Ids = std::vector<std::string>;

// The ids of the patterns that match the event by Pattern::Matches alone, sorted, as Match
// returns them. `patterns` holds (id, Pattern) pairs.
template <typename Patterns>
Ids BruteForce(const Patterns& patterns, const Json& event) {
  Ids want;
  for (const auto& [id, p] : patterns) {
    if (p.Matches(event)) want.push_back(id);
  }
  std::sort(want.begin(), want.end());
  return want;
}

TEST(MatcherPattern, AddReplaceRemove) {
  Matcher m;
  ASSERT_TRUE(m.Add("csv", R"({"detail": {"file-path": [{"suffix": ".csv"}]}})").ok());
  ASSERT_TRUE(m.Add("all", R"({"source": ["aws.transfer"]})").ok());
  Json upload = J(R"({"source": "aws.transfer", "detail": {"file-path": "/in/a.csv"}})");
  EXPECT_EQ(m.Match(upload), (Ids{"all", "csv"}));
  EXPECT_EQ(m.size(), 2u);
  EXPECT_TRUE(m.Contains("csv"));

  // The same id replaces the rule.
  ASSERT_TRUE(m.Add("csv", R"({"detail": {"file-path": [{"suffix": ".json"}]}})").ok());
  EXPECT_EQ(m.Match(upload), (Ids{"all"}));
  EXPECT_EQ(m.size(), 2u);

  // A pattern that does not compile leaves the matcher as it was.
  Status bad = m.Add("all", R"({"source": [{"prefix": 1}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, kInvalidEventPattern);
  EXPECT_EQ(m.Match(upload), (Ids{"all"}));

  EXPECT_TRUE(m.Remove("all"));
  EXPECT_FALSE(m.Remove("all"));
  EXPECT_TRUE(m.Match(upload).empty());
  EXPECT_TRUE(m.Remove("csv"));
  EXPECT_EQ(m.stats().states, 1u);
  EXPECT_EQ(m.stats().fields, 0u);
}

// Rules that end in the same state come and go: the state's line (HotState) holds its one rule,
// and the state is visited through its State while two end there. Ids of every length come back
// whole.
TEST(MatcherPattern, RulesEndingInOneStateComeAndGo) {
  Matcher m;
  const std::string pattern =
      R"({"source": ["aws.transfer"], "detail": {"n": [{"numeric": [">", 1]}]}})";
  Json event = J(R"({"source": "aws.transfer", "detail": {"n": 5}})");
  auto packed = [&] {
    Matcher::MatchStats stats;
    m.Match(event, &stats);
    return stats.packed;
  };
  std::vector<std::string> ids;
  for (size_t n : {1, 47, 48, 49, 64, 200}) ids.push_back(std::string(n - 1, 'a' + n % 26) + "!");
  ASSERT_TRUE(m.Add(ids[1], pattern).ok());
  EXPECT_EQ(m.Match(event), (Ids{ids[1]}));
  size_t one = packed();
  ASSERT_TRUE(m.Add(ids[3], pattern).ok());
  Ids both = {ids[1], ids[3]};
  std::sort(both.begin(), both.end());
  EXPECT_EQ(m.Match(event), both);
  EXPECT_EQ(packed(), one - 1);
  ASSERT_TRUE(m.Remove(ids[1]));
  EXPECT_EQ(m.Match(event), (Ids{ids[3]}));
  EXPECT_EQ(packed(), one);
  ASSERT_TRUE(m.Add(ids[2], pattern).ok());
  ASSERT_TRUE(m.Remove(ids[3]));
  EXPECT_EQ(m.Match(event), (Ids{ids[2]}));
  // A new rule in a freed slot, ending where the removed one did.
  ASSERT_TRUE(m.Remove(ids[2]));
  ASSERT_TRUE(m.Add("new", pattern).ok());
  EXPECT_EQ(m.Match(event), (Ids{"new"}));
  EXPECT_EQ(packed(), one);
  for (const std::string& id : ids) {
    std::string size = std::to_string(id.size());
    ASSERT_TRUE(m.Add(id, R"({"source": ["aws.transfer"], "size": [")" + size + R"("]})").ok());
    EXPECT_EQ(m.Match(J(R"({"source": "aws.transfer", "size": ")" + size + R"("})")), (Ids{id}));
  }
}

TEST(MatcherPattern, RulesWithTheSameConditionsShareStates) {
  Matcher m;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(
        m.Add("r" + std::to_string(i),
              R"({"source": ["aws.transfer"], "detail-type": ["SFTP Server File Upload Completed"],
                          "detail": {"file-path": [{"suffix": "_)" +
                  std::to_string(i) + R"(.csv"}]}})")
            .ok());
  }
  // Shallow fields come first: the detail-type and source states are shared, then each rule has
  // its own file-path state.
  EXPECT_EQ(m.stats().states, 1u + 2u + 1000u);
  EXPECT_EQ(m.stats().fields, 3u);
  Json e = J(R"({"source": "aws.transfer", "detail-type": "SFTP Server File Upload Completed",
                 "detail": {"file-path": "/in/orders_417.csv"}})");
  EXPECT_EQ(m.Match(e), (Ids{"r417"}));
  // Identical patterns end in one state.
  Matcher same;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(
        same.Add("s" + std::to_string(i), R"({"source": ["a"], "n": [{"numeric": [">", 1]}]})")
            .ok());
  }
  EXPECT_EQ(same.stats().states, 3u);
  EXPECT_EQ(same.Match(J(R"({"source": "a", "n": 2})")).size(), 100u);
}

TEST(MatcherPattern, OrBranchesReportTheRuleOnce) {
  Matcher m;
  ASSERT_TRUE(
      m.Add("r", R"({"$or": [{"a": ["1"]}, {"b": ["2"]}, {"a": [{"prefix": "1"}]}]})").ok());
  EXPECT_EQ(m.Match(J(R"({"a": "1", "b": "2"})")), (Ids{"r"}));
  EXPECT_TRUE(m.Match(J(R"({"a": "2"})")).empty());
}

TEST(MatcherPattern, ArrayConsistencyThroughTheAutomaton) {
  Matcher m;
  ASSERT_TRUE(
      m.Add("anna-smith", R"({"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}})").ok());
  ASSERT_TRUE(
      m.Add("anna-jones", R"({"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}})").ok());
  ASSERT_TRUE(m.Add("anna", R"({"employees": {"firstName": ["Anna"]}})").ok());
  Json e = J(R"({"employees": [{"firstName": "John", "lastName": "Doe"},
                               {"firstName": "Anna", "lastName": "Smith"},
                               {"firstName": "Peter", "lastName": "Jones"}]})");
  EXPECT_EQ(m.Match(e), (Ids{"anna", "anna-smith"}));
}

TEST(MatcherPattern, EventsThatAreNotObjects) {
  Matcher m;
  ASSERT_TRUE(m.Add("absent", R"({"x": [{"exists": false}]})").ok());
  ASSERT_TRUE(m.Add("present", R"({"x": [{"exists": true}]})").ok());
  EXPECT_EQ(m.Match(J("[1, 2]")), (Ids{"absent"}));
  EXPECT_EQ(m.Match(J("\"x\"")), (Ids{"absent"}));
  EXPECT_EQ(m.Match(J(R"({"x": {"y": 1}})")), (Ids{"absent"}));
}

// The work of a match depends on the event and on the rules that (nearly) match it, not on how
// many other rules the matcher holds.
TEST(MatcherPattern, WorkDoesNotGrowWithTheRules) {
  auto rule = [](int i, int partners) {
    int p = i % partners;
    switch (i / partners % 4) {
      case 0:
        return R"({"source": ["aws.transfer"], "detail": {"username": ["partner)" +
               std::to_string(p) + R"("], "status-code": [{"anything-but": "FAILED"}]}})";
      case 1:
        return R"({"source": ["aws.transfer"], "detail": {"file-path": [{"prefix": "/in/partner)" +
               std::to_string(p) + R"(/"}], "bytes": [{"numeric": [">", 10]}]}})";
      case 2:
        return R"({"detail-type": ["SFTP Server File Upload Completed"], "detail": {"file-path": [{"suffix": "_)" +
               std::to_string(p) + R"(.csv"}]}})";
      default:
        return R"({"source": ["aws.transfer"], "detail": {"file-path": [{"wildcard": "/in/partner)" +
               std::to_string(p) + R"(/*.csv"}], "client-ip": [{"cidr": "10.0.0.0/8"}]}})";
    }
  };
  auto build = [&](int rules) {
    Matcher m;
    for (int i = 0; i < rules; ++i)
      EXPECT_TRUE(m.Add("r" + std::to_string(i), rule(i, rules / 4)).ok());
    return m;
  };
  Matcher small = build(100);
  Matcher big = build(10000);
  Matcher::MatchStats small_work, big_work;
  size_t small_matches = 0, big_matches = 0;
  for (int q = 0; q < 25; ++q) {
    Json e = J(R"({"source": "aws.transfer", "detail-type": "SFTP Server File Upload Completed",
                   "detail": {"username": "partner)" +
               std::to_string(q) + R"(", "bytes": 2048,
                              "file-path": "/in/partner)" +
               std::to_string(q) + "/orders_" + std::to_string(q) +
               R"(.csv", "client-ip": "10.1.2.3", "status-code": "COMPLETED"}})");
    small_matches += small.Match(e, &small_work).size();
    big_matches += big.Match(e, &big_work).size();
  }
  EXPECT_EQ(small_matches, 25u * 4);
  EXPECT_EQ(big_matches, 25u * 4);
  EXPECT_EQ(big_work.values, small_work.values);
  EXPECT_EQ(big_work.states, small_work.states);
  EXPECT_EQ(big_work.lookups, small_work.lookups);
  // Past the shared first conditions, the states an event reaches are visited through one line.
  EXPECT_EQ(big_work.packed, small_work.packed);
  EXPECT_GT(big_work.packed * 2, big_work.states) << big_work.packed << " of " << big_work.states;
}

// --- Random patterns and events against the brute-force evaluator -----------------------------

// Event values and value matchers of every kind, for the random rules and events.
const std::vector<std::string> kScalars = {R"("aws.transfer")",
                                           R"("aws.s3")",
                                           R"("x")",
                                           R"("xy")",
                                           R"("Xy")",
                                           R"("abc")",
                                           R"("a.csv")",
                                           R"("b.CSV")",
                                           R"("10.0.0.5")",
                                           R"("2001:db8::1")",
                                           R"("")",
                                           "0",
                                           "1",
                                           "5",
                                           "5.0",
                                           "5.5",
                                           "100",
                                           "-3",
                                           "1e10",
                                           "true",
                                           "false",
                                           "null"};

const std::vector<std::string> kMatcherTexts = {R"("aws.transfer")",
                                                R"("x")",
                                                R"("")",
                                                "5",
                                                "5.5",
                                                "1e10",
                                                "true",
                                                "null",
                                                R"({"prefix": "a"})",
                                                R"({"prefix": ""})",
                                                R"({"prefix": "aws."})",
                                                R"({"prefix": {"equals-ignore-case": "X"}})",
                                                R"({"suffix": ".csv"})",
                                                R"({"suffix": {"equals-ignore-case": ".csv"}})",
                                                R"({"suffix": "y"})",
                                                R"({"equals-ignore-case": "xy"})",
                                                R"({"wildcard": "*"})",
                                                R"({"wildcard": "a*"})",
                                                R"({"wildcard": "*.csv"})",
                                                R"({"wildcard": "x*y"})",
                                                R"({"wildcard": "*s*"})",
                                                R"({"anything-but": "x"})",
                                                R"({"anything-but": ["x", "aws.s3"]})",
                                                R"({"anything-but": 5})",
                                                R"({"anything-but": [0, 100]})",
                                                R"({"anything-but": {"prefix": "aws."}})",
                                                R"({"anything-but": {"suffix": ".csv"}})",
                                                R"({"anything-but": {"equals-ignore-case": "XY"}})",
                                                R"({"anything-but": {"wildcard": "*.csv"}})",
                                                R"({"numeric": [">", 0]})",
                                                R"({"numeric": [">=", 1, "<", 100]})",
                                                R"({"numeric": ["<=", 5]})",
                                                R"({"numeric": ["=", 5]})",
                                                R"({"numeric": [">", -10, "<=", 5.5]})",
                                                R"({"cidr": "10.0.0.0/8"})",
                                                R"({"cidr": "2001:db8::/32"})",
                                                R"({"exists": true})",
                                                R"({"exists": false})"};

class Gen {
 public:
  explicit Gen(uint32_t seed) : rng_(seed) {}

  std::string Pick(const std::vector<std::string>& v) { return v[Below(v.size())]; }
  size_t Below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }

  std::string Scalar() { return Pick(kScalars); }

  std::string Value() {
    if (!Chance(0.25)) return Scalar();
    std::string out = "[";
    for (size_t i = 0, n = 1 + Below(3); i < n; ++i) out += (i ? "," : "") + Scalar();
    return out + "]";
  }

  std::string Event() {
    std::string out = "{";
    auto field = [&](const std::string& name, const std::string& value) {
      out += (out.size() > 1 ? "," : "") + ("\"" + name + "\":") + value;
    };
    if (Chance(0.7)) field("source", Value());
    if (Chance(0.6)) field("detail-type", Value());
    if (Chance(0.8)) {
      std::string detail = "{";
      for (const char* k : {"a", "b", "n"}) {
        if (Chance(0.6))
          detail += (detail.size() > 1 ? "," : "") + ("\"" + std::string(k) + "\":") + Value();
      }
      if (Chance(0.1)) detail += (detail.size() > 1 ? "," : "") + std::string(R"("a":{"z":1})");
      field("detail", detail + "}");
    }
    if (Chance(0.5)) {
      std::string items = "[";
      for (size_t i = 0, n = 1 + Below(3); i < n; ++i) {
        items += i ? ",{" : "{";
        bool any = false;
        for (const char* k : {"k", "v"}) {
          if (Chance(0.7)) {
            items += (any ? "," : "") + ("\"" + std::string(k) + "\":") + Value();
            any = true;
          }
        }
        items += "}";
      }
      field("items", items + "]");
    }
    return out + "}";
  }

  std::string ValueText() { return Pick(kMatcherTexts); }

  std::string List() {
    std::string out = "[";
    for (size_t i = 0, n = 1 + Below(3); i < n; ++i) out += (i ? "," : "") + ValueText();
    return out + "]";
  }

  // A pattern object over the event's fields; `depth` bounds $or nesting.
  std::string PatternText(int depth = 0) {
    static const std::vector<std::string> kFields = {
        "source", "detail-type", "detail.a", "detail.b", "detail.n", "items.k", "items.v"};
    std::map<std::string, std::map<std::string, std::string>> groups;  // parent -> child -> list
    for (size_t i = 0, n = 1 + Below(3); i < n; ++i) {
      std::string f = Pick(kFields);
      size_t dot = f.find('.');
      if (dot == std::string::npos) {
        groups[""][f] = List();
      } else {
        groups[f.substr(0, dot)][f.substr(dot + 1)] = List();
      }
    }
    std::string out = "{";
    auto add = [&](const std::string& k, const std::string& v) {
      out += (out.size() > 1 ? "," : "") + ("\"" + k + "\":") + v;
    };
    for (const auto& [parent, children] : groups) {
      if (parent.empty()) {
        for (const auto& [k, v] : children) add(k, v);
      } else {
        std::string sub = "{";
        for (const auto& [k, v] : children)
          sub += (sub.size() > 1 ? "," : "") + ("\"" + k + "\":") + v;
        add(parent, sub + "}");
      }
    }
    if (depth < 2 && Chance(0.25))
      add("$or", "[" + PatternText(depth + 1) + "," + PatternText(depth + 1) + "]");
    return out + "}";
  }

 private:
  std::mt19937 rng_;
};

// Match keeps each event value (with its case-folded text, made on first use) in per-thread
// scratch space that grows with the values an event has and is reused by later events. Events of
// growing and shrinking value counts, against many rules of the ignore-case operators, must give
// what the brute-force evaluator gives: under AddressSanitizer a view kept into a value that the
// growth moved, or one left over from an earlier event, fails here.
TEST(MatcherPattern, ScratchValuesSurviveGrowthBetweenEvents) {
  Matcher m;
  std::vector<std::pair<std::string, Pattern>> patterns;
  for (int i = 0; i < 1000; ++i) {
    std::string n = std::to_string(i % 250);
    std::string text;
    switch (i % 5) {
      case 0:
        text = R"({"detail": {"username": [{"equals-ignore-case": "PARTNER)" + n + R"("}]}})";
        break;
      case 1:
        text = R"({"detail": {"file-path": [{"suffix": {"equals-ignore-case": "_)" + n +
               R"(.CSV"}}]}})";
        break;
      case 2:
        text = R"({"detail": {"username": [{"prefix": {"equals-ignore-case": "Partner)" + n +
               R"("}}]}})";
        break;
      case 3:
        text = R"({"detail": {"username": [{"anything-but": {"equals-ignore-case": ["partner)" + n +
               R"("]}}]}})";
        break;
      default:
        text = R"({"detail": {"file-path": [{"wildcard": "/in/partner)" + n + R"(/*.csv"}]}})";
    }
    auto p = Pattern::Compile(text);
    ASSERT_TRUE(p.ok()) << text << ": " << p.error().message;
    std::string id = "r" + std::to_string(i);
    m.Add(id, *p);
    patterns.emplace_back(id, std::move(*p));
  }
  // 1, 2, 4, ... 256 values per field and back: each larger event grows the scratch past
  // values whose folded text an earlier event made.
  std::vector<size_t> sizes;
  for (size_t k = 1; k <= 256; k *= 2) sizes.push_back(k);
  for (size_t k = 128; k >= 1; k /= 2) sizes.push_back(k);
  size_t matched = 0;
  for (size_t round = 0; round < sizes.size(); ++round) {
    size_t count = sizes[round];
    std::string users, paths;
    for (size_t j = 0; j < count; ++j) {
      // Long mixed-case values (past the short-string buffer) and short ones alternate.
      size_t n = (round * 131 + j * 7) % 300;
      std::string user =
          j % 2 ? "PaRtNeR" + std::to_string(n)
                : "PARTNER" + std::to_string(n) + "-with-a-long-suffix-" + std::to_string(j);
      std::string path = j % 3 ? "/in/partner" + std::to_string(n) + "/Orders_" +
                                     std::to_string(n) + (j % 2 ? ".CSV" : ".csv")
                               : "/X_" + std::to_string(n) + ".Csv";
      users += (j ? "," : "") + ("\"" + user + "\"");
      paths += (j ? "," : "") + ("\"" + path + "\"");
    }
    Json event = J(R"({"detail": {"username": [)" + users + R"(], "file-path": [)" + paths + "]}}");
    Ids want = BruteForce(patterns, event);
    Ids got = m.Match(event);
    matched += got.size();
    ASSERT_EQ(got, want) << "event with " << count << " values per field";
  }
  EXPECT_GT(matched, sizes.size());
}

TEST(MatcherPattern, AgreesWithTheBruteForceEvaluatorOnRandomRules) {
  Gen gen(20240129);
  std::vector<std::pair<std::string, Pattern>> patterns;
  Matcher m;
  for (int i = 0; i < 400; ++i) {
    std::string text = gen.PatternText();
    auto p = Pattern::Compile(text);
    ASSERT_TRUE(p.ok()) << text << ": " << p.error().message;
    std::string id = "p" + std::to_string(i);
    m.Add(id, *p);
    patterns.emplace_back(id, std::move(*p));
  }
  size_t matched = 0;
  for (int i = 0; i < 400; ++i) {
    std::string text = gen.Event();
    Json event = J(text);
    Ids want = BruteForce(patterns, event);
    Ids got = m.Match(event);
    matched += got.size();
    EXPECT_EQ(got, want) << "event " << text;
  }
  // The generator makes rules that do match, and rules that do not.
  EXPECT_GT(matched, 400u);
  EXPECT_LT(matched, 400u * 400u / 2);
}

TEST(MatcherPattern, ConcurrentMatchesAgree) {
  Matcher m;
  Gen gen(7);
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(m.Add("p" + std::to_string(i), gen.PatternText()).ok());
  std::vector<Json> events;
  for (int i = 0; i < 100; ++i) events.push_back(J(gen.Event()));
  std::vector<Ids> expected;
  for (const auto& e : events) expected.push_back(m.Match(e));
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 20; ++round) {
        for (size_t i = 0; i < events.size(); ++i) {
          if (m.Match(events[i]) != expected[i]) ++mismatches;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

// A value index checks up to kSmall matchers one by one and moves them to tables past that. Every
// set of 1 to kSmall matchers (random, of every kind) must find, for every kind of event value,
// the targets that the same matchers find once in tables.
TEST(MatcherPattern, SmallIndexesAgreeWithTables) {
  using internal::EventValue;
  using internal::StateId;
  using internal::ValueIndex;
  std::vector<ValueMatcher> all;
  for (const std::string& text : kMatcherTexts) {
    auto p = Pattern::Compile(R"({"f": [)" + text + "]}");
    ASSERT_TRUE(p.ok()) << text;
    all.push_back(p->branches()[0].fields[0].values[0]);
  }
  std::vector<Json> values;
  for (const std::string& text : kScalars) values.push_back(J(text));
  // Fillers make the second index hold its matchers in tables; they match none of the values.
  auto filler = Pattern::Compile(R"({"f": ["not one of the values"]})");
  ASSERT_TRUE(filler.ok());
  const ValueMatcher& fill = filler->branches()[0].fields[0].values[0];
  constexpr StateId kFillTarget = 999;
  std::mt19937 rng(5);
  size_t found = 0;
  for (int round = 0; round < 2000; ++round) {
    size_t n = 1 + rng() % ValueIndex::kSmall;
    ValueIndex small, tables;
    for (size_t i = 0; i < n; ++i) {
      const ValueMatcher& m = all[rng() % all.size()];
      small.Add(m, static_cast<StateId>(i));
      tables.Add(m, static_cast<StateId>(i));
    }
    while (tables.small()) tables.Add(fill, kFillTarget);
    ASSERT_TRUE(small.small());
    ASSERT_FALSE(tables.small());
    EventValue v;
    for (const Json& value : values) {
      std::vector<StateId> a, b;
      v.Reset(&value);
      small.Collect(v, a);
      v.Reset(&value);
      tables.Collect(v, b);
      std::sort(a.begin(), a.end());
      std::sort(b.begin(), b.end());
      ASSERT_EQ(a, b) << "round " << round << ", value " << value.Dump();
      found += a.size();
    }
  }
  EXPECT_GT(found, 1000u);
}

// A packed matcher must answer as the ValueMatcher it packs, for values of every kind; most kinds
// of matcher pack.
TEST(MatcherPattern, PackedMatchersAgreeWithTheirMatchers) {
  using internal::EventValue;
  using internal::PackedMatcher;
  std::vector<std::string> texts = kMatcherTexts;
  for (const char* more : {R"({"anything-but": ["FAILED", "PARTIAL_UPLOAD"]})",
                           R"({"prefix": "/landing/shared/partner1234/"})",
                           R"({"anything-but": {"prefix": ["a", "b", "aws.", "xy"]}})",
                           R"({"anything-but": {"suffix": [".csv", "y"]}})",
                           R"({"anything-but": {"equals-ignore-case": ["XY", "ABC"]}})",
                           R"({"numeric": [">", 0, "<", 5]})", "false", "0", "-3", "100"}) {
    texts.push_back(more);
  }
  size_t packed = 0, checked = 0;
  for (const std::string& text : texts) {
    auto p = Pattern::Compile(R"({"f": [)" + text + "]}");
    ASSERT_TRUE(p.ok()) << text;
    const ValueMatcher& m = p->branches()[0].fields[0].values[0];
    PackedMatcher pm;
    if (!PackedMatcher::Pack(m, pm)) continue;
    ++packed;
    EventValue v;
    for (const std::string& scalar : kScalars) {
      Json value = J(scalar);
      v.Reset(&value);
      EXPECT_EQ(pm.Accepts(v), m.Matches(value)) << text << " on " << scalar;
      ++checked;
    }
  }
  EXPECT_GE(packed, 35u) << "of " << texts.size();
  // What does not fit stays unpacked: wildcards, CIDR blocks, texts past the room.
  for (const std::string& text :
       {std::string(R"({"wildcard": "a*"})"), std::string(R"({"cidr": "10.0.0.0/8"})"),
        R"(")" + std::string(PackedMatcher::kText + 1, 'x') + R"(")",
        std::string(R"({"anything-but": ["a", "b", "c", "d", "e"]})")}) {
    auto p = Pattern::Compile(R"({"f": [)" + text + "]}");
    ASSERT_TRUE(p.ok()) << text;
    PackedMatcher pm;
    EXPECT_FALSE(PackedMatcher::Pack(p->branches()[0].fields[0].values[0], pm)) << text;
  }
  // A text that just fits.
  auto p = Pattern::Compile(R"({"f": [")" + std::string(PackedMatcher::kText, 'x') + R"("]})");
  ASSERT_TRUE(p.ok());
  PackedMatcher pm;
  ASSERT_TRUE(PackedMatcher::Pack(p->branches()[0].fields[0].values[0], pm));
  for (size_t n : {PackedMatcher::kText - 1, PackedMatcher::kText, PackedMatcher::kText + 1}) {
    Json value = Json::String(std::string(n, 'x'));
    EventValue v;
    v.Reset(&value);
    EXPECT_EQ(pm.Accepts(v), n == PackedMatcher::kText) << n;
  }
}

// The filter in front of a string table must let every key through and turn nearly every absent
// key away, also keys that differ from the table's only in their last bytes: with thousands of
// rules, each absent key it lets through costs a cache miss in the table. (Prefix hashes taken
// straight from FNV-1a let about one absent "partnerN" in four through.)
TEST(MatcherPattern, StringTableFiltersTurnAbsentKeysAway) {
  using internal::StringTable;
  using Direction = StringTable<uint32_t>::Direction;
  for (Direction d : {Direction::kEqual, Direction::kForward, Direction::kBackward}) {
    StringTable<uint32_t> table(d);
    for (uint32_t i = 0; i < 2000; i += 2) table.Add("partner" + std::to_string(i), i);
    size_t passed = 0;
    for (uint32_t i = 0; i < 2000; i += 2) {
      ASSERT_TRUE(table.MayContain("partner" + std::to_string(i))) << i;
      passed += table.MayContain("partner" + std::to_string(i + 1));
      passed += table.MayContain("partner" + std::to_string(i) + "/");
      passed += table.MayContain("/landing/partner" + std::to_string(i));
    }
    EXPECT_LT(passed, 30u) << "of 3,000 absent keys, direction " << static_cast<int>(d);
  }
}

// Indexes grow past kSmall and shrink back as rules come and go; the matches must stay those of
// the brute-force evaluator throughout.
TEST(MatcherPattern, AgreesWithTheBruteForceEvaluatorWhileRulesComeAndGo) {
  Gen gen(99);
  std::map<std::string, Pattern> live;
  Matcher m;
  std::vector<Json> events;
  for (int i = 0; i < 60; ++i) events.push_back(J(gen.Event()));
  int next = 0;
  size_t matched = 0;
  for (int round = 0; round < 12; ++round) {
    // Odd rounds remove most rules, even rounds add many.
    if (round % 2 == 0) {
      for (int i = 0; i < 80; ++i) {
        std::string id = "p" + std::to_string(next++);
        auto p = Pattern::Compile(gen.PatternText());
        ASSERT_TRUE(p.ok());
        m.Add(id, *p);
        live.insert_or_assign(id, std::move(*p));
      }
    } else {
      for (auto it = live.begin(); it != live.end();) {
        if (gen.Chance(0.8)) {
          ASSERT_TRUE(m.Remove(it->first));
          it = live.erase(it);
        } else {
          ++it;
        }
      }
    }
    ASSERT_EQ(m.size(), live.size());
    for (const Json& event : events) {
      Ids want = BruteForce(live, event);
      Ids got = m.Match(event);
      matched += got.size();
      ASSERT_EQ(got, want) << "round " << round << ", event " << event.Dump();
    }
  }
  EXPECT_GT(matched, 200u);
}

}  // namespace
}  // namespace wharf::events
