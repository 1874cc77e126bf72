// The scheduler (see scheduler.h): each schedule's rule on the bus, its last run in the bus's
// file, and the thread that fires runs when they are due.
#include "events/scheduler.h"

#include <openssl/evp.h>

#include <algorithm>

#include <fmt/format.h>

namespace wharf::events {
namespace {

using Ms = std::chrono::milliseconds;

constexpr int kCountLimit = 100000;  // missed runs counted for the log line, at most

std::string Sha256Hex(std::string_view data, unsigned int bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < std::min(bytes, length); ++i)
    hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

std::string LastRunSource(std::string_view name) { return fmt::format("schedule:{}", name); }
std::string DisabledSource(std::string_view name) {
  return fmt::format("schedule-disabled:{}", name);
}
std::string CreatedSource(std::string_view name) {
  return fmt::format("schedule-created:{}", name);
}

TimePoint FromMs(int64_t ms) { return TimePoint(Ms(ms)); }

}  // namespace

std::string ScheduleArn(std::string_view region, std::string_view account, std::string_view name) {
  return fmt::format("arn:aws:scheduler:{}:{}:schedule/default/{}", region, account, name);
}

std::string ScheduleRuleName(std::string_view name) {
  std::string rule = fmt::format("schedule.{}", name);
  if (rule.size() <= 64) return rule;
  return fmt::format("schedule.{}-{}", name.substr(0, 38), Sha256Hex(name, 8));
}

std::string ScheduleEventId(std::string_view name, TimePoint scheduled) {
  std::string hex = Sha256Hex(fmt::format("{}\n{}", name, ToUnixMillis(scheduled)), 16);
  return fmt::format("{}-{}-{}-{}-{}", hex.substr(0, 8), hex.substr(8, 4), hex.substr(12, 4),
                     hex.substr(16, 4), hex.substr(20, 12));
}

Scheduler::Scheduler(Bus& bus, SchedulerOptions options)
    : bus_(bus),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &system_clock_),
      opened_(clock_->Now()) {}

Scheduler::~Scheduler() { Stop(); }

Result<std::unique_ptr<Scheduler>> Scheduler::Open(Bus& bus, std::vector<ScheduleSpec> schedules,
                                                   SchedulerOptions options) {
  std::unique_ptr<Scheduler> s(new Scheduler(bus, std::move(options)));
  std::vector<RuleSpec> rules;
  for (ScheduleSpec& spec : schedules) {
    std::string at = "schedule " + spec.name;
    auto input = Json::Parse(spec.input);
    if (!input.ok())
      return MakeError("ValidationException", fmt::format("{}: the target's input is not JSON: {}",
                                                          at, input.error().message));
    std::string arn = ScheduleArn(s->options_.region, s->options_.account, spec.name);
    RuleSpec rule;
    rule.name = ScheduleRuleName(spec.name);
    rule.description = "the runs of schedule " + spec.name;
    rule.event_pattern = Json::Object({{"source", Json::Array({Json::String("aws.scheduler")})},
                                       {"resources", Json::Array({Json::String(arn)})}})
                             .Dump();
    rule.managed_by = "schedules";
    TargetSpec target;
    target.id = "target";
    target.arn = spec.target_arn;
    target.input.input_path = "$.detail";
    rule.targets.push_back(std::move(target));
    if (Status put = bus.PutRule(rule); !put.ok())
      return MakeError(put.error().code, fmt::format("{}: {}", at, put.error().message));
    rules.push_back(std::move(rule));

    // The creation time, then the last run.
    TimePoint now = s->clock_->Now();
    WHARF_TRY(int64_t created_ms, bus.Position(CreatedSource(spec.name)));
    if (created_ms == 0) {
      created_ms = ToUnixMillis(now);
      WHARF_TRY_STATUS(bus.Publish({}, CreatedSource(spec.name), created_ms));
    }
    if (spec.schedule.kind() == ScheduleKind::kRate && !spec.schedule.start())
      spec.schedule.set_start(FromMs(created_ms));
    WHARF_TRY(int64_t last_ms, bus.Position(LastRunSource(spec.name)));
    // Never fired: its creation time; for a rate(), just before it, so that it runs at once, as
    // AWS's does.
    TimePoint last = last_ms != 0                                  ? FromMs(last_ms)
                     : spec.schedule.kind() == ScheduleKind::kRate ? FromMs(created_ms) - Ms(1)
                                                                   : FromMs(created_ms);
    // What a disabled schedule skips is not made up later: enabled again, it counts from now.
    WHARF_TRY(int64_t was_disabled, bus.Position(DisabledSource(spec.name)));
    if (!spec.enabled && was_disabled == 0) {
      WHARF_TRY_STATUS(bus.Publish({}, DisabledSource(spec.name), 1));
    } else if (spec.enabled && was_disabled != 0) {
      last = std::max(last, now);
      WHARF_TRY_STATUS(bus.Publish({}, LastRunSource(spec.name), ToUnixMillis(last)));
      WHARF_TRY_STATUS(bus.Publish({}, DisabledSource(spec.name), 0));
    }
    s->states_.push_back({std::move(spec), std::move(arn), last});
  }
  WHARF_TRY_STATUS(bus.SyncRules("schedules", rules));
  return s;
}

Status Scheduler::FireLocked(State& state, TimePoint scheduled) {
  auto detail = Json::Parse(state.spec.input);
  if (!detail.ok()) return detail.error();
  Json event = Json::Object({{"version", Json::String("0")},
                             {"id", Json::String(ScheduleEventId(state.spec.name, scheduled))},
                             {"detail-type", Json::String("Scheduled Event")},
                             {"source", Json::String("aws.scheduler")},
                             {"account", Json::String(options_.account)},
                             {"time", Json::String(FormatIso8601Seconds(scheduled))},
                             {"region", Json::String(options_.region)},
                             {"resources", Json::Array({Json::String(state.arn)})},
                             {"detail", std::move(*detail)}});
  TimePoint last = std::max(state.last, scheduled);
  WHARF_TRY_STATUS(bus_.Publish({event}, LastRunSource(state.spec.name), ToUnixMillis(last)));
  state.last = last;
  return {};
}

Status Scheduler::Fire(std::string_view name, TimePoint scheduled) {
  std::lock_guard lock(mu_);
  for (State& state : states_)
    if (state.spec.name == name) return FireLocked(state, scheduled);
  return MakeError("ResourceNotFoundException", fmt::format("there is no schedule {}", name));
}

Result<int> Scheduler::Check() {
  std::lock_guard lock(mu_);
  TimePoint now = clock_->Now();
  int fired = 0;
  Status first_error;
  for (State& state : states_) {
    if (!state.spec.enabled) continue;
    const Schedule& schedule = state.spec.schedule;
    std::optional<TimePoint> due = schedule.MissedRun(state.last, now);
    if (!due) continue;
    int missed = 0;
    for (std::optional<TimePoint> t = schedule.NextAfter(state.last);
         t && *t <= *due && missed <= kCountLimit; t = schedule.NextAfter(*t))
      ++missed;
    std::string count = missed > kCountLimit
                            ? fmt::format("more than {} runs", kCountLimit)
                            : fmt::format("{} run{}", missed, missed == 1 ? "" : "s");
    if (*due < opened_) {
      Log(fmt::format("schedule {}: missed {} while stopped; firing the one at {}", state.spec.name,
                      count, FormatIso8601Seconds(*due)));
    } else if (missed > 1) {
      Log(fmt::format("schedule {}: missed {}; firing the one at {}", state.spec.name, count,
                      FormatIso8601Seconds(*due)));
    }
    Status s = FireLocked(state, *due);
    if (!s.ok()) {
      Log(fmt::format("schedule {}: cannot fire the run at {}: {}", state.spec.name,
                      FormatIso8601Seconds(*due), s.error().message));
      if (first_error.ok()) first_error = s;
      continue;
    }
    ++fired;
  }
  if (!first_error.ok()) return first_error.error();
  return fired;
}

std::optional<TimePoint> Scheduler::NextRun() const {
  std::lock_guard lock(mu_);
  TimePoint now = clock_->Now();
  std::optional<TimePoint> next;
  for (const State& state : states_) {
    if (!state.spec.enabled) continue;
    std::optional<TimePoint> t = state.spec.schedule.NextAfter(std::max(state.last, now));
    if (t && (!next || *t < *next)) next = t;
  }
  return next;
}

void Scheduler::Loop() {
  for (;;) {
    Ms wait(60000);  // a look at the clock at least every minute (it may be set)
    if (auto fired = Check(); !fired.ok()) wait = Ms(1000);  // retried; Check logged it
    if (clock_->IsVirtual()) {
      wait = Ms(2);
    } else if (std::optional<TimePoint> next = NextRun()) {
      wait = std::clamp(std::chrono::ceil<Ms>(*next - clock_->Now()), Ms(1), wait);
    }
    std::unique_lock lock(thread_mu_);
    if (cv_.wait_for(lock, wait, [this] { return stopping_; })) return;
  }
}

void Scheduler::Start() {
  std::lock_guard lock(thread_mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void Scheduler::Stop() {
  std::thread thread;
  {
    std::lock_guard lock(thread_mu_);
    stopping_ = true;
    thread.swap(thread_);
  }
  cv_.notify_all();
  if (thread.joinable()) thread.join();
}

}  // namespace wharf::events
