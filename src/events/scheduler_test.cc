#include "events/scheduler.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "events/schedule_testing.h"

namespace wharf::events {
namespace {

using testing::Iso;
using testing::Must;
using testing::Utc;

constexpr const char* kMachine = "arn:aws:states:us-east-1:111111111111:stateMachine:report";

// A bus in a temporary folder whose target behaves as StartExecution does: an execution name
// already used starts nothing.
class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/wharf-scheduler-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override {
    scheduler_.reset();
    bus_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Opens the bus and a scheduler of `schedules` over it, as `wharf serve` does at start.
  void Open(std::vector<ScheduleSpec> schedules) {
    scheduler_.reset();
    bus_.reset();
    BusOptions o;
    o.path = dir_ + "/events.db";
    o.clock = &clock_;
    o.invoke = [this](const Invocation& call) {
      std::lock_guard lock(mu_);
      ++attempts_;
      if (names_.insert(call.idempotency_key).second) starts_.push_back(call);
      return InvokeResult{};
    };
    auto bus = Bus::Open(o);
    ASSERT_TRUE(bus.ok()) << bus.error().message;
    bus_ = std::move(*bus);
    bus_->Start();
    SchedulerOptions so;
    so.clock = &clock_;
    so.log = [this](const std::string& line) {
      std::lock_guard lock(mu_);
      log_ += line + "\n";
    };
    auto scheduler = Scheduler::Open(*bus_, std::move(schedules), so);
    ASSERT_TRUE(scheduler.ok()) << scheduler.error().message;
    scheduler_ = std::move(*scheduler);
  }
  // Moves the clock to `t` and fires what is due, then waits for the deliveries.
  int At(TimePoint t) {
    clock_.AdvanceTo(t);
    auto fired = scheduler_->Check();
    EXPECT_TRUE(fired.ok()) << fired.error().message;
    EXPECT_TRUE(Delivered());
    return fired.ok() ? *fired : -1;
  }
  bool Delivered() {
    for (int i = 0; i < 1000; ++i) {
      if (bus_->Stats().pending == 0 && bus_->WaitIdle(std::chrono::seconds(5))) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }
  std::vector<Invocation> Starts() {
    std::lock_guard lock(mu_);
    return starts_;
  }
  std::string Log() {
    std::lock_guard lock(mu_);
    return log_;
  }

  static ScheduleSpec Spec(std::string name, Schedule schedule, std::string input = "{}") {
    return ScheduleSpec{std::move(name), std::move(schedule), true, kMachine, std::move(input)};
  }

  std::string dir_;
  VirtualClock clock_{Utc(2026, 3, 1, 12, 0, 0)};
  std::unique_ptr<Bus> bus_;
  std::unique_ptr<Scheduler> scheduler_;
  std::mutex mu_;
  std::set<std::string> names_;
  std::vector<Invocation> starts_;
  int attempts_ = 0;
  std::string log_;
};

TEST_F(SchedulerTest, RateFiresAtCreationAndThenEveryPeriod) {
  Open({Spec("every-5", Must("rate(5 minutes)"), R"({"report": "daily", "n": 1})")});
  EXPECT_EQ(scheduler_->size(), 1u);
  EXPECT_EQ(At(clock_.Now()), 1) << "a rate() runs at once, as AWS's does without a start";
  EXPECT_EQ(Iso(scheduler_->NextRun()), "2026-03-01T12:05:00.000Z");
  EXPECT_EQ(At(Utc(2026, 3, 1, 12, 4, 59)), 0);
  EXPECT_EQ(At(Utc(2026, 3, 1, 12, 5, 0)), 1);
  EXPECT_EQ(At(Utc(2026, 3, 1, 12, 5, 1)), 0);
  EXPECT_EQ(At(Utc(2026, 3, 1, 12, 10, 0)), 1);
  std::vector<Invocation> starts = Starts();
  ASSERT_EQ(starts.size(), 3u);
  EXPECT_EQ(starts[1].target_arn, kMachine);
  EXPECT_EQ(starts[1].input, R"({"report":"daily","n":1})") << "the execution gets the input";
  EXPECT_EQ(starts[1].rule, "schedule.every-5");
  EXPECT_EQ(starts[1].event_id, ScheduleEventId("every-5", Utc(2026, 3, 1, 12, 5, 0)));
  EXPECT_EQ(starts[1].idempotency_key,
            DeliveryKey(starts[1].event_id, "schedule.every-5", "target"));
  EXPECT_EQ(starts[1].idempotency_key.rfind("schedule_every-5-", 0), 0u);
  EXPECT_EQ(Log(), "") << "nothing was missed";

  // The event on the bus is EventBridge Scheduler's.
  auto events = PeekBusEvents(dir_ + "/events.db", 10, 0);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 3u);
  auto event = Json::Parse((*events)[1].body);
  ASSERT_TRUE(event.ok());
  EXPECT_EQ(event->find("source")->as_string(), "aws.scheduler");
  EXPECT_EQ(event->find("detail-type")->as_string(), "Scheduled Event");
  EXPECT_EQ(event->find("time")->as_string(), "2026-03-01T12:05:00Z");
  EXPECT_EQ(event->find("resources")->Dump(),
            R"(["arn:aws:scheduler:us-east-1:111111111111:schedule/default/every-5"])");
  EXPECT_EQ(event->find("detail")->Dump(), R"({"report":"daily","n":1})");
}

TEST_F(SchedulerTest, CronRunsInItsTimeZone) {
  // 06:00 in Berlin: 05:00 UTC in winter, 04:00 UTC after the clocks go forward on 29 March.
  Open({Spec("berlin-6", Must("cron(0 6 * * ? *)", "Europe/Berlin"))});
  EXPECT_EQ(At(clock_.Now()), 0) << "a cron has no run at creation";
  EXPECT_EQ(Iso(scheduler_->NextRun()), "2026-03-02T05:00:00.000Z");
  EXPECT_EQ(At(Utc(2026, 3, 2, 4, 59, 59)), 0);
  EXPECT_EQ(At(Utc(2026, 3, 2, 5, 0, 0)), 1);
  clock_.AdvanceTo(Utc(2026, 3, 29, 0, 0, 0));
  EXPECT_EQ(Iso(scheduler_->NextRun()), "2026-03-29T04:00:00.000Z");
  EXPECT_EQ(At(Utc(2026, 3, 29, 4, 0, 0)), 1) << Log();
  std::vector<Invocation> starts = Starts();
  ASSERT_EQ(starts.size(), 2u);
  EXPECT_EQ(starts[1].event_id, ScheduleEventId("berlin-6", Utc(2026, 3, 29, 4, 0, 0)));
}

TEST_F(SchedulerTest, AfterDowntimeTheLatestMissedRunFiresOnceAndIsLogged) {
  Open({Spec("hourly", Must("cron(0 * * * ? *)"))});
  EXPECT_EQ(At(Utc(2026, 3, 1, 13, 0, 0)), 1);
  // wharf stops; it is back at 17:20, after the runs of 14:00, 15:00, 16:00 and 17:00.
  clock_.AdvanceTo(Utc(2026, 3, 1, 17, 20, 0));
  Open({Spec("hourly", Must("cron(0 * * * ? *)"))});
  EXPECT_EQ(At(clock_.Now()), 1) << "one run, not a burst";
  EXPECT_EQ(At(Utc(2026, 3, 1, 17, 59, 0)), 0);
  std::vector<Invocation> starts = Starts();
  ASSERT_EQ(starts.size(), 2u);
  EXPECT_EQ(starts[1].event_id, ScheduleEventId("hourly", Utc(2026, 3, 1, 17, 0, 0)));
  EXPECT_EQ(Log(),
            "schedule hourly: missed 4 runs while stopped; firing the one at "
            "2026-03-01T17:00:00Z\n");
  // The one that fired is recorded: the next start fires nothing more.
  Open({Spec("hourly", Must("cron(0 * * * ? *)"))});
  EXPECT_EQ(At(clock_.Now()), 0);
  EXPECT_EQ(At(Utc(2026, 3, 1, 18, 0, 0)), 1);
  EXPECT_EQ(Starts().size(), 3u);
}

TEST_F(SchedulerTest, TheSameRunFiredAgainStartsNothingTwice) {
  Open({Spec("hourly", Must("cron(0 * * * ? *)"))});
  TimePoint run = Utc(2026, 3, 1, 13, 0, 0);
  EXPECT_EQ(At(run), 1);
  // Fired again (as after a crash between the start and its record, or by a second process).
  ASSERT_TRUE(scheduler_->Fire("hourly", run).ok());
  ASSERT_TRUE(Delivered());
  Open({Spec("hourly", Must("cron(0 * * * ? *)"))});
  ASSERT_TRUE(scheduler_->Fire("hourly", run).ok());
  ASSERT_TRUE(Delivered());
  EXPECT_EQ(Starts().size(), 1u);
  EXPECT_EQ(attempts_, 1) << "the bus stored the event once, so it was delivered once";
  EXPECT_EQ(scheduler_->Fire("nope", run).error().code, "ResourceNotFoundException");
  // An older run fired by hand does not move the record back.
  ASSERT_TRUE(scheduler_->Fire("hourly", Utc(2026, 3, 1, 12, 0, 0)).ok());
  EXPECT_EQ(Iso(scheduler_->NextRun()), "2026-03-01T14:00:00.000Z");
}

TEST_F(SchedulerTest, AtFiresOnceThenNever) {
  Open({Spec("once", Must("at(2026-03-01T12:30:00)"))});
  EXPECT_EQ(At(Utc(2026, 3, 1, 12, 29, 59)), 0);
  EXPECT_EQ(At(Utc(2026, 3, 1, 12, 30, 0)), 1);
  EXPECT_FALSE(scheduler_->NextRun().has_value());
  EXPECT_EQ(At(Utc(2026, 3, 2, 0, 0, 0)), 0);
  Open({Spec("once", Must("at(2026-03-01T12:30:00)"))});
  EXPECT_EQ(At(Utc(2027, 1, 1, 0, 0, 0)), 0);
  EXPECT_EQ(Starts().size(), 1u);
  EXPECT_EQ(Log(), "");
}

TEST_F(SchedulerTest, AtMissedWhileStoppedFiresOnceWhenBack) {
  Open({Spec("once", Must("at(2026-03-01T12:30:00)"))});
  EXPECT_EQ(At(Utc(2026, 3, 1, 12, 10, 0)), 0);
  clock_.AdvanceTo(Utc(2026, 3, 1, 13, 0, 0));
  Open({Spec("once", Must("at(2026-03-01T12:30:00)"))});
  EXPECT_EQ(At(clock_.Now()), 1);
  EXPECT_EQ(Log(),
            "schedule once: missed 1 run while stopped; firing the one at 2026-03-01T12:30:00Z\n");
  Open({Spec("once", Must("at(2026-03-01T12:30:00)"))});
  EXPECT_EQ(At(Utc(2026, 3, 1, 14, 0, 0)), 0);
  EXPECT_EQ(Starts().size(), 1u);
}

TEST_F(SchedulerTest, AnAtBeforeTheScheduleWasCreatedNeverFires) {
  Open({Spec("past", Must("at(2026-03-01T11:00:00)"))});
  EXPECT_EQ(At(clock_.Now()), 0);
  EXPECT_EQ(At(Utc(2026, 3, 2, 0, 0, 0)), 0);
  EXPECT_EQ(Starts().size(), 0u);
}

TEST_F(SchedulerTest, DisabledSchedulesNeverFireNorMakeUpWhatTheySkipped) {
  ScheduleSpec off = Spec("off", Must("rate(1 minute)"));
  off.enabled = false;
  Open({off, Spec("hourly", Must("cron(0 * * * ? *)"))});
  EXPECT_EQ(At(clock_.Now()), 0);
  EXPECT_EQ(At(Utc(2026, 3, 1, 12, 30, 0)), 0);
  EXPECT_EQ(At(Utc(2026, 3, 1, 13, 0, 0)), 1) << "the enabled one";
  EXPECT_EQ(Iso(scheduler_->NextRun()), "2026-03-01T14:00:00.000Z");
  // Enabled again at 15:00: nothing for the time it was off; then every minute from its start.
  clock_.AdvanceTo(Utc(2026, 3, 1, 15, 0, 30));
  Open({Spec("off", Must("rate(1 minute)")), Spec("hourly", Must("cron(0 * * * ? *)"))});
  std::vector<Invocation> before = Starts();
  EXPECT_EQ(At(clock_.Now()), 1) << "hourly's missed 15:00 run; nothing for off";
  EXPECT_EQ(Starts().size(), before.size() + 1);
  EXPECT_EQ(Starts().back().rule, "schedule.hourly");
  EXPECT_EQ(At(Utc(2026, 3, 1, 15, 1, 0)), 1);
  EXPECT_EQ(Starts().back().rule, "schedule.off");
}

TEST_F(SchedulerTest, StartAndEndBoundTheRuns) {
  Schedule s = Must("rate(10 minutes)");
  s.set_start(Utc(2026, 3, 1, 13, 0, 0));
  s.set_end(Utc(2026, 3, 1, 13, 25, 0));
  Open({Spec("window", s)});
  EXPECT_EQ(At(Utc(2026, 3, 1, 12, 59, 0)), 0);
  EXPECT_EQ(At(Utc(2026, 3, 1, 13, 0, 0)), 1);
  EXPECT_EQ(At(Utc(2026, 3, 1, 13, 20, 0)), 1);
  EXPECT_EQ(At(Utc(2026, 3, 1, 13, 30, 0)), 0);
  EXPECT_FALSE(scheduler_->NextRun().has_value());
}

TEST_F(SchedulerTest, RemovedSchedulesLoseTheirRule) {
  Open({Spec("a", Must("rate(1 hour)")), Spec("b", Must("rate(1 hour)"))});
  EXPECT_TRUE(bus_->GetRule("schedule.a").has_value());
  EXPECT_EQ(bus_->GetRule("schedule.b")->managed_by, "schedules");
  Open({Spec("a", Must("rate(1 hour)"))});
  EXPECT_TRUE(bus_->GetRule("schedule.a").has_value());
  EXPECT_FALSE(bus_->GetRule("schedule.b").has_value());
}

TEST_F(SchedulerTest, LongNamesGetAShortenedRuleName) {
  std::string name(64, 'n');
  std::string rule = ScheduleRuleName(name);
  EXPECT_LE(rule.size(), 64u);
  EXPECT_EQ(rule.rfind("schedule." + std::string(38, 'n') + "-", 0), 0u);
  EXPECT_NE(ScheduleRuleName(std::string(63, 'n') + "m"), rule);
  EXPECT_EQ(ScheduleRuleName("short"), "schedule.short");
  Open({Spec(name, Must("rate(1 hour)"))});
  EXPECT_EQ(At(clock_.Now()), 1);
}

TEST_F(SchedulerTest, BadInputNamesTheSchedule) {
  BusOptions o;
  o.path = dir_ + "/events.db";
  o.invoke = [](const Invocation&) { return InvokeResult{}; };
  auto bus = Bus::Open(o);
  ASSERT_TRUE(bus.ok());
  auto s = Scheduler::Open(**bus, {Spec("bad", Must("rate(1 hour)"), "{nope")}, {});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message.rfind("schedule bad: the target's input is not JSON", 0), 0u)
      << s.error().message;
}

TEST_F(SchedulerTest, TheThreadFiresWhenTheClockGetsThere) {
  Open({Spec("once", Must("at(2026-03-01T12:00:05)"))});
  scheduler_->Start();
  clock_.AdvanceTo(Utc(2026, 3, 1, 12, 0, 5));
  for (int i = 0; i < 1000 && Starts().empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  scheduler_->Stop();
  EXPECT_EQ(Starts().size(), 1u);
}

TEST_F(SchedulerTest, TheThreadSleepsUntilTheRunOnTheSystemClock) {
  // A real clock: an at() 1.5 s ahead, to the second.
  scheduler_.reset();
  bus_.reset();
  BusOptions o;
  o.path = dir_ + "/events.db";
  o.invoke = [this](const Invocation& call) {
    std::lock_guard lock(mu_);
    starts_.push_back(call);
    return InvokeResult{};
  };
  auto bus = Bus::Open(o);
  ASSERT_TRUE(bus.ok());
  (*bus)->Start();
  TimePoint at = std::chrono::ceil<std::chrono::seconds>(std::chrono::system_clock::now() +
                                                         std::chrono::milliseconds(1500));
  std::string text = FormatIso8601(at);
  auto s = Scheduler::Open(**bus, {Spec("soon", Must("at(" + text.substr(0, 19) + ")"))}, {});
  ASSERT_TRUE(s.ok()) << s.error().message;
  (*s)->Start();
  for (int i = 0; i < 800 && Starts().empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto fired_at = std::chrono::system_clock::now();
  (*s)->Stop();
  ASSERT_EQ(Starts().size(), 1u);
  EXPECT_GE(fired_at, at);
  EXPECT_LT(fired_at, at + std::chrono::seconds(1));
  (*bus)->Stop();
}

}  // namespace
}  // namespace wharf::events
