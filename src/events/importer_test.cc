// The Importer: sources read from the bus's position, published once, removed from their outbox
// lazily and at Stop, and nothing imported twice across a restart.
#include "events/importer.h"

#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include <unistd.h>

#include <gtest/gtest.h>

namespace wharf::events {
namespace {

// An outbox in memory: what the Importer needs of a source, and a count of its removals.
class MemoryOutbox final : public EventSource {
 public:
  std::string name() const override { return "memory"; }
  Result<std::vector<SourceEvent>> Read(int64_t after, int limit) override {
    std::lock_guard lock(mu);
    ++reads;
    std::vector<SourceEvent> out;
    for (auto it = rows.upper_bound(after);
         it != rows.end() && static_cast<int>(out.size()) < limit; ++it) {
      out.push_back(SourceEvent{it->first, it->second, 1000});
    }
    return out;
  }
  Status Forget(const std::vector<int64_t>& seqs) override {
    std::lock_guard lock(mu);
    ++forgets;
    for (int64_t s : seqs) rows.erase(s);
    return {};
  }
  void Add(int n) {
    std::lock_guard lock(mu);
    for (int i = 0; i < n; ++i) {
      int64_t seq = ++last;
      rows[seq] = R"({"version": "0", "id": ")" + id_prefix + std::to_string(seq) +
                  R"(", "source": "test", "detail-type": "T", "detail": {}})";
    }
  }
  int Reads() {
    std::lock_guard lock(mu);
    return reads;
  }
  std::mutex mu;  // for a started Importer's thread
  std::map<int64_t, std::string> rows;
  int64_t last = 0;
  std::string id_prefix = "e-";
  int reads = 0, forgets = 0;
};

class ImporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("wharf-importer-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<Bus> OpenBus() {
    BusOptions o;
    o.path = (dir_ / "events.db").string();
    o.invoke = [](const Invocation&) { return InvokeResult{}; };
    auto bus = Bus::Open(o);
    EXPECT_TRUE(bus.ok()) << bus.error().message;
    return bus.ok() ? std::move(*bus) : nullptr;
  }
  int64_t BusEvents() {
    auto events = PeekBusEvents((dir_ / "events.db").string(), 1000, 0);
    EXPECT_TRUE(events.ok());
    return events.ok() ? static_cast<int64_t>(events->size()) : -1;
  }
  std::filesystem::path dir_;
};

TEST_F(ImporterTest, RemovesImportedEventsLazilyAndAtStop) {
  MemoryOutbox outbox;
  auto bus = OpenBus();
  ASSERT_NE(bus, nullptr);
  {
    Importer importer(*bus, {&outbox}, std::chrono::milliseconds(10), nullptr);
    for (int round = 0; round < 5; ++round) {
      outbox.Add(1);
      ASSERT_TRUE(importer.PollOnce().ok());
    }
    EXPECT_EQ(BusEvents(), 5);
    // Published, not yet removed: one event each is no reason for a write to the outbox.
    EXPECT_EQ(outbox.forgets, 0);
    EXPECT_EQ(outbox.rows.size(), 5u);
    // A full batch is removed at once.
    outbox.Add(300);
    ASSERT_TRUE(importer.PollOnce().ok());
    EXPECT_EQ(BusEvents(), 305);
    EXPECT_EQ(outbox.forgets, 1);
    EXPECT_TRUE(outbox.rows.empty());
    outbox.Add(2);
    ASSERT_TRUE(importer.PollOnce().ok());
    EXPECT_EQ(outbox.rows.size(), 2u);
    importer.Stop();
    EXPECT_TRUE(outbox.rows.empty()) << "Stop removes what the bus holds";
  }
  EXPECT_EQ(BusEvents(), 307);
}

TEST_F(ImporterTest, RowsLeftInTheOutboxAreNotImportedAgain) {
  MemoryOutbox outbox;
  auto bus = OpenBus();
  ASSERT_NE(bus, nullptr);
  {
    Importer importer(*bus, {&outbox}, std::chrono::milliseconds(10), nullptr);
    outbox.Add(3);
    ASSERT_TRUE(importer.PollOnce().ok());
  }
  ASSERT_EQ(outbox.rows.size(), 0u) << "the destructor stops, and removes";
  // Put back the rows a crash before the removal would have left (with other ids, so that the
  // bus's dedupe by id cannot be what skips them), and start over on the same bus.
  outbox.last = 0;
  outbox.id_prefix = "again-";
  outbox.Add(3);
  outbox.Add(2);  // two new ones
  Importer again(*bus, {&outbox}, std::chrono::milliseconds(10), nullptr);
  ASSERT_TRUE(again.PollOnce().ok());
  EXPECT_EQ(BusEvents(), 5) << "the three already on the bus are skipped by its position";
}

TEST_F(ImporterTest, AnOldOutboxIsRemovedAfterAWhile) {
  MemoryOutbox outbox;
  auto bus = OpenBus();
  ASSERT_NE(bus, nullptr);
  Importer importer(*bus, {&outbox}, std::chrono::milliseconds(10), nullptr);
  outbox.Add(1);
  ASSERT_TRUE(importer.PollOnce().ok());
  EXPECT_EQ(outbox.rows.size(), 1u);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  ASSERT_TRUE(importer.PollOnce().ok());  // nothing new; the old row is due
  EXPECT_TRUE(outbox.rows.empty());
  EXPECT_EQ(BusEvents(), 1);
}

// Started, the importer polls when nudged, at most once per kGather (5 ms): a nudge after a
// quiet spell is served at once, not at the interval (an hour here), and commits that come one
// after another import in a few polls, not in one each.
TEST_F(ImporterTest, ANudgeIsServedAtOnceAndABurstInFewPolls) {
  MemoryOutbox outbox;
  auto bus = OpenBus();
  ASSERT_NE(bus, nullptr);
  Importer importer(*bus, {&outbox}, std::chrono::hours(1), nullptr);
  importer.Start();
  auto wait_for_bus = [&](int64_t n) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (BusEvents() < n && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return BusEvents();
  };
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // past the poll at Start
  outbox.Add(1);
  importer.Nudge();
  ASSERT_EQ(wait_for_bus(1), 1);

  // 50 commits 0.2 ms apart, each nudging: a poll (a bus transaction) takes about 0.1 ms, so
  // one poll per nudge would make about 50. With at most one per kGather, the polls are bounded
  // by the time the burst took, however slow the machine made it.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  int reads_before = outbox.Reads();
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) {
    outbox.Add(1);
    importer.Nudge();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ASSERT_EQ(wait_for_bus(51), 51);
  auto took = std::chrono::steady_clock::now() - start;
  int polls = outbox.Reads() - reads_before;
  int bound = static_cast<int>(took / std::chrono::milliseconds(5)) + 2;
  EXPECT_LE(polls, bound) << "a burst of 50 nudges over "
                          << std::chrono::duration<double, std::milli>(took).count()
                          << " ms took " << polls << " polls";
  EXPECT_GE(polls, 1);
  importer.Stop();
}

}  // namespace
}  // namespace wharf::events
