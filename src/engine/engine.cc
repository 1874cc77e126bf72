// Engine (see engine.h and docs/durable.md).
//
// The loop thread owns every running execution in memory (an internal::Executor each). A turn
// takes what arrived (API calls, task results) and what is due (timers), steps the executions
// concerned until each waits again, and writes all their changes in one StateStore commit. Only
// after that commit does it act: answer the callers, hand new tasks to the workers, forget the
// executions that closed. A crash before the commit loses nothing that anyone saw.
#include "engine/engine.h"

#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "core/uuid.h"
#include "engine/executor.h"
#include "engine/worker_pool.h"

namespace wharf::engine {

namespace {

using internal::Executor;

constexpr char kStatusChange[] = "Step Functions Execution Status Change";

// Far enough ahead that a lease of this node never expires while it lives. With SQLite one node
// owns the data folder (the store releases a dead process's leases when it opens); a PostgreSQL
// cluster renews shorter leases instead (docs/postgres-plan.md).
TimePoint NeverExpires(TimePoint now) { return now + std::chrono::hours(24 * 365 * 10); }

// A function task as the store keeps it: what the worker needs to run it again after a crash.
std::string EncodeTask(const Executor::OutgoingTask& t) {
  std::vector<JsonMember> m;
  m.emplace_back("function", Json::String(t.spec->name));
  m.emplace_back("payload", t.invocation.payload);
  if (t.invocation.timeout) m.emplace_back("timeout_ms", Json::Int(t.invocation.timeout->count()));
  m.emplace_back(
      "cause", Json::String(t.invocation.cause_format == tasks::CauseFormat::kPython ? "python"
                                                                                     : "compact"));
  return Json::Object(std::move(m)).Dump();
}

std::string EncodeResult(const tasks::InvocationResult& r) {
  std::vector<JsonMember> m;
  m.emplace_back("ok", Json::Bool(r.ok));
  if (r.ok) {
    m.emplace_back("output", r.output);
  } else {
    m.emplace_back("error", Json::String(r.error.code));
    m.emplace_back("cause", Json::String(r.error.message));
  }
  if (!r.log.empty()) m.emplace_back("log", Json::String(r.log));
  return Json::Object(std::move(m)).Dump();
}

tasks::InvocationResult DecodeResult(std::string_view text) {
  tasks::InvocationResult r;
  auto doc = Json::Parse(text);
  if (!doc.ok() || !doc->is_object()) {
    r.error = MakeError("States.Runtime", "the stored result of a task is not JSON");
    return r;
  }
  const Json* ok = doc->find("ok");
  r.ok = ok && ok->is_bool() && ok->as_bool();
  if (r.ok) {
    const Json* out = doc->find("output");
    r.output = out ? *out : Json();
  } else {
    const Json* e = doc->find("error");
    const Json* c = doc->find("cause");
    r.error = MakeError(e && e->is_string() ? e->as_string() : "States.TaskFailed",
                        c && c->is_string() ? c->as_string() : "");
  }
  if (const Json* log = doc->find("log"); log && log->is_string()) r.log = log->as_string();
  return r;
}

double EpochMillis(TimePoint t) { return static_cast<double>(ToUnixMillis(t)); }

// AWS's rules for execution names: 1 to 80 characters, none of whitespace, brackets, wildcards,
// the special characters "#%\^|~`$&,;:/ and control characters.
std::optional<std::string> BadName(std::string_view name) {
  if (name.empty() || name.size() > 80)
    return "the name must be 1 to 80 characters long (it has " + std::to_string(name.size()) + ")";
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f ||
        std::string_view(" <>{}[]?*\"#%\\^|~`$&,;:/").find(static_cast<char>(c)) !=
            std::string_view::npos)
      return std::string("the name contains the character '") + static_cast<char>(c) +
             "', which execution names may not contain";
  }
  return std::nullopt;
}

struct TaskRun {
  std::string execution_arn;
  std::string attempt_id;
  std::string function;
  std::string token;
  tasks::Invocation invocation;
  store::TaskLease lease;
};

class EngineImpl final : public Engine {
 public:
  explicit EngineImpl(EngineOptions options)
      : options_(std::move(options)),
        store_(options_.store),
        clock_(options_.clock ? options_.clock : &system_clock_),
        workers_(options_.max_parallel_tasks, options_.concurrency) {
    run_options_.quotas = options_.quotas;
    run_options_.record_history = true;
    run_options_.functions = options_.functions;
    run_options_.region = options_.region;
    run_options_.account = options_.account;
    run_options_.clock = clock_;
    run_options_.max_parallel_tasks = 1;
    owner_ = options_.owner;
    if (owner_.empty()) {
      char host[256] = {};
      gethostname(host, sizeof host - 1);
      owner_ = std::string(host) + "/" + std::to_string(getpid()) + "/" +
               std::to_string(ToUnixMillis(SystemClock().Now()));
    }
  }

  ~EngineImpl() override { Shutdown(); }

  Status Recover();
  void StartLoop() {
    loop_ = std::thread([this] { Loop(); });
  }

  Result<StartResponse> StartExecution(const StartRequest& request) override;
  Result<TimePoint> StopExecution(const std::string& arn, std::optional<std::string> error,
                                  std::optional<std::string> cause) override;
  Result<RedriveResponse> RedriveExecution(const std::string& arn) override;
  Status SendTaskOutcome(const std::string& token, const TokenOutcome& outcome) override;
  Status SendTaskHeartbeat(const std::string& token) override;
  Result<store::Execution> WaitForExecution(const std::string& arn,
                                            std::chrono::milliseconds timeout) override;
  void Shutdown() override;
  Stats GetStats() const override {
    Stats s;
    s.transitions = transitions_.load();
    s.commits = commits_.load();
    s.running = running_.load();
    return s;
  }

 private:
  // What API threads and workers hand to the loop.
  struct Command {
    enum class Kind { kStart, kStop, kRedrive, kTaskResult };
    Kind kind = Kind::kStart;
    StartRequest start;
    std::string arn;
    std::optional<std::string> error, cause;
    std::string attempt_id;
    tasks::InvocationResult result;
    std::shared_ptr<std::promise<Result<StartResponse>>> start_reply;
    std::shared_ptr<std::promise<Result<TimePoint>>> time_reply;
  };
  struct Live {
    std::unique_ptr<Executor> executor;
    std::string machine_arn;
    std::string revision_id;
    std::optional<TimePoint> wake;  // its entry in wake_index_
  };
  // One turn's writes and what to do once they are committed.
  struct Turn {
    store::Transition transition;
    std::vector<std::string> touched;  // executions stepped this turn, in order
    std::unordered_set<std::string> touched_set;
    struct PendingStart {
      std::string arn;
      bool has_executor = false;
      std::shared_ptr<std::promise<Result<StartResponse>>> reply;
    };
    std::vector<PendingStart> starts;
    std::vector<std::pair<std::string, std::shared_ptr<std::promise<Result<TimePoint>>>>> replies;
    std::vector<TaskRun> tasks;
    std::vector<std::string> closed;
  };

  void Post(Command c) {
    {
      std::lock_guard lock(mu_);
      inbox_.push_back(std::move(c));
    }
    cv_.notify_one();
  }
  void Loop();
  void RunTurn(std::vector<Command>& batch);
  void Apply(Command& c, TimePoint now, Turn& turn);
  void ApplyStart(Command& c, TimePoint now, Turn& turn);
  void ApplyRedrive(Command& c, TimePoint now, Turn& turn);
  void Touch(Turn& turn, const std::string& arn) {
    if (turn.touched_set.insert(arn).second) turn.touched.push_back(arn);
  }
  void Step(const std::string& arn, Live& live, TimePoint now, Turn& turn);
  void SetWake(const std::string& arn, Live& live);
  void Forget(const std::string& arn);
  Result<std::shared_ptr<const asl::StateMachine>> Machine(const std::string& arn,
                                                           const std::string& revision_id);
  Status Restore(const store::Execution& e);
  void SubmitTask(TaskRun run);
  void RunTask(const TaskRun& run);
  store::OutboxEvent StatusChangeEvent(const std::string& arn, const Live& live, TimePoint now);

  EngineOptions options_;
  store::StateStore* store_;
  SystemClock system_clock_;
  Clock* clock_;
  RunOptions run_options_;  // shared by every executor
  std::string owner_;

  // The loop thread's own.
  std::unordered_map<std::string, Live> live_;
  std::set<std::pair<TimePoint, std::string>> wake_index_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<const asl::StateMachine>> machines_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Command> inbox_;  // guarded by mu_
  bool stopping_ = false;      // guarded by mu_
  std::thread loop_;

  std::mutex closed_mu_;
  std::condition_variable closed_cv_;
  uint64_t closed_count_ = 0;  // guarded by closed_mu_

  int64_t failed_commits_ = 0;  // in a row; the loop's own
  std::chrono::steady_clock::time_point last_failure_log_;
  std::unique_ptr<tasks::ProcessRegistry> registry_;  // set before the workers start
  std::atomic<int64_t> transitions_{0}, commits_{0}, running_{0};
  std::once_flag shutdown_once_;
  WorkerPool workers_;  // last: destroyed (joined) first
};

// ---- recovery ----

Result<std::shared_ptr<const asl::StateMachine>> EngineImpl::Machine(
    const std::string& arn, const std::string& revision_id) {
  auto key = std::make_pair(arn, revision_id);
  if (auto it = machines_.find(key); it != machines_.end()) return it->second;
  WHARF_TRY(store::StateMachine row, store_->GetStateMachineRevision(arn, revision_id));
  asl::ParseOptions parse;
  parse.source_name = row.name;
  WHARF_TRY(auto machine, asl::ParseDefinition(row.definition, parse));
  std::shared_ptr<const asl::StateMachine> shared = std::move(machine);
  machines_[key] = shared;
  return shared;
}

Status EngineImpl::Restore(const store::Execution& e) {
  WHARF_TRY(auto machine, Machine(e.state_machine_arn, e.revision_id));
  auto snapshot = Json::Parse(e.snapshot);
  if (!snapshot.ok())
    return MakeError("States.Runtime", "the snapshot of " + e.arn + " is not JSON");
  WHARF_TRY(auto executor, Executor::Restore(machine, *snapshot, run_options_));
  executor->set_deferred_tasks();
  Live& live = live_[e.arn];
  live.executor = std::move(executor);
  live.machine_arn = e.state_machine_arn;
  live.revision_id = e.revision_id;
  return Status();
}

Status EngineImpl::Recover() {
  if (!options_.process_dir.empty()) {
    registry_ = std::make_unique<tasks::ProcessRegistry>(options_.process_dir);
    // Function processes of a previous wharf that crashed: their tasks run again below.
    if (int killed = registry_->KillLeftovers())
      std::fprintf(stderr, "wharf: killed %d function processes left by a previous run\n", killed);
  }
  TimePoint now = clock_->Now();
  std::vector<std::string> restored;
  for (;;) {
    WHARF_TRY(auto claimed, store_->ClaimExecutions(owner_, 500, now, NeverExpires(now)));
    for (auto& e : claimed) {
      Status s = Restore(e);
      if (!s.ok()) {
        std::fprintf(stderr, "wharf: cannot resume %s: %s\n", e.arn.c_str(),
                     s.error().message.c_str());
        continue;
      }
      restored.push_back(e.arn);
    }
    if (claimed.size() < 500) break;
  }
  // Results that arrived before the crash are applied in the first turn; tasks whose process was
  // lost are READY again (the store released their leases) and run again below.
  std::vector<Command> results;
  for (const std::string& arn : restored) {
    for (const std::string& id : live_[arn].executor->InFlightTasks()) {
      auto task = store_->GetTask(id);
      if (task.ok() && task->state == store::TaskState::kDone && task->result) {
        Command c;
        c.kind = Command::Kind::kTaskResult;
        c.arn = arn;
        c.attempt_id = id;
        c.result = DecodeResult(*task->result);
        results.push_back(std::move(c));
      } else if (!task.ok() && task.error().code == store::errc::kTaskDoesNotExist) {
        Command c;
        c.kind = Command::Kind::kTaskResult;
        c.arn = arn;
        c.attempt_id = id;
        c.result.error = MakeError("States.Runtime", "The task's record was lost.");
        results.push_back(std::move(c));
      }
    }
    SetWake(arn, live_[arn]);
  }
  running_ = static_cast<int64_t>(live_.size());
  for (;;) {
    store::LeaseRequest req;
    req.owner = owner_;
    req.max_tasks = 500;
    req.now = now;
    req.duration = std::chrono::hours(24 * 365 * 10);
    WHARF_TRY(auto leased, store_->LeaseTasks(req));
    for (auto& t : leased) {
      auto payload = Json::Parse(t.payload);
      TaskRun run;
      run.execution_arn = t.execution_arn;
      run.attempt_id = t.ticket;
      run.token = t.token;
      run.lease = t.lease();
      if (payload.ok() && payload->is_object()) {
        const Json* fn = payload->find("function");
        run.function = fn && fn->is_string() ? fn->as_string() : "";
        const Json* p = payload->find("payload");
        run.invocation.payload = p ? *p : Json();
        if (const Json* ms = payload->find("timeout_ms"); ms && ms->is_int())
          run.invocation.timeout = std::chrono::milliseconds(ms->as_int());
        const Json* cause = payload->find("cause");
        run.invocation.cause_format = cause && cause->is_string() && cause->as_string() == "python"
                                          ? tasks::CauseFormat::kPython
                                          : tasks::CauseFormat::kCompact;
      }
      run.invocation.execution_arn = t.execution_arn;
      run.invocation.attempt_id = t.ticket;
      run.invocation.attempt_number = t.attempts;
      SubmitTask(std::move(run));
    }
    if (leased.size() < 500) break;
  }
  if (!results.empty()) {
    std::lock_guard lock(mu_);
    for (auto& c : results) inbox_.push_back(std::move(c));
  }
  return Status();
}

// ---- API calls ----

Result<StartResponse> EngineImpl::StartExecution(const StartRequest& request) {
  auto reply = std::make_shared<std::promise<Result<StartResponse>>>();
  auto future = reply->get_future();
  Command c;
  c.kind = Command::Kind::kStart;
  c.start = request;
  c.start_reply = reply;
  Post(std::move(c));
  return future.get();
}

Result<TimePoint> EngineImpl::StopExecution(const std::string& arn,
                                            std::optional<std::string> error,
                                            std::optional<std::string> cause) {
  auto reply = std::make_shared<std::promise<Result<TimePoint>>>();
  auto future = reply->get_future();
  Command c;
  c.kind = Command::Kind::kStop;
  c.arn = arn;
  c.error = std::move(error);
  c.cause = std::move(cause);
  c.time_reply = reply;
  Post(std::move(c));
  return future.get();
}

Result<RedriveResponse> EngineImpl::RedriveExecution(const std::string& arn) {
  auto reply = std::make_shared<std::promise<Result<TimePoint>>>();
  auto future = reply->get_future();
  Command c;
  c.kind = Command::Kind::kRedrive;
  c.arn = arn;
  c.time_reply = reply;
  Post(std::move(c));
  WHARF_TRY(TimePoint date, future.get());
  return RedriveResponse{date};
}

// Task tokens are 64 lower-case hex characters (executor.cc). A malformed one is InvalidToken; a
// well-formed one the store does not know belonged to a task that has closed since (its record
// is removed with the result), which AWS answers with TaskTimedOut.
Status CheckToken(const std::string& token) {
  bool hex = token.size() == 64 && std::all_of(token.begin(), token.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
             });
  if (!hex) return MakeError("InvalidToken", "Invalid Token: '" + token + "'");
  return Status();
}

Error TokenError(Error e) {
  if (e.code == store::errc::kTaskDoesNotExist)
    return MakeError("TaskTimedOut", "Task Timed Out: the task of this token has already closed.");
  return e;
}

Status EngineImpl::SendTaskOutcome(const std::string& token, const TokenOutcome& outcome) {
  WHARF_TRY_STATUS(CheckToken(token));
  tasks::InvocationResult r;
  if (outcome.success) {
    auto output = Json::Parse(outcome.output);
    if (!output.ok())
      return MakeError("InvalidOutput", "The output is not valid JSON: " + output.error().message);
    r.ok = true;
    r.output = std::move(*output);
  } else {
    r.error = MakeError(outcome.error, outcome.cause);
  }
  auto task = store_->GetTaskByToken(token);
  if (!task.ok()) return TokenError(task.error());
  Status done = store_->CompleteTaskByToken(token, EncodeResult(r));
  if (!done.ok()) return TokenError(done.error());
  Command c;
  c.kind = Command::Kind::kTaskResult;
  c.arn = task->execution_arn;
  c.attempt_id = task->ticket;
  c.result = std::move(r);
  Post(std::move(c));
  return Status();
}

Status EngineImpl::SendTaskHeartbeat(const std::string& token) {
  WHARF_TRY_STATUS(CheckToken(token));
  Status s = store_->HeartbeatTaskByToken(token, clock_->Now());
  if (!s.ok()) return TokenError(s.error());
  return s;
}

Result<store::Execution> EngineImpl::WaitForExecution(const std::string& arn,
                                                      std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    uint64_t seen;
    {
      std::lock_guard lock(closed_mu_);
      seen = closed_count_;
    }
    WHARF_TRY(store::Execution e, store_->GetExecution(arn, store::WithSnapshot::kNo));
    if (store::IsClosed(e.status) || std::chrono::steady_clock::now() >= deadline) return e;
    std::unique_lock lock(closed_mu_);
    closed_cv_.wait_until(lock, deadline, [&] { return closed_count_ != seen; });
  }
}

void EngineImpl::Shutdown() {
  std::call_once(shutdown_once_, [this] {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (loop_.joinable()) loop_.join();
    workers_.Stop();
    // Callers still waiting get an answer.
    std::lock_guard lock(mu_);
    for (auto& c : inbox_) {
      Error e = MakeError("ServiceUnavailable", "wharf is stopping");
      if (c.start_reply) c.start_reply->set_value(e);
      if (c.time_reply) c.time_reply->set_value(e);
    }
    inbox_.clear();
  });
}

// ---- the loop ----

void EngineImpl::Loop() {
  std::vector<Command> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      for (;;) {
        if (stopping_) return;
        if (!inbox_.empty()) break;
        if (!wake_index_.empty()) {
          TimePoint wake = wake_index_.begin()->first;
          TimePoint now = clock_->Now();
          if (wake <= now) break;
          cv_.wait_for(lock, wake - now);
        } else {
          cv_.wait(lock);
        }
      }
      size_t n = std::min(inbox_.size(), static_cast<size_t>(std::max(1, options_.max_batch)));
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(inbox_.front()));
        inbox_.pop_front();
      }
    }
    RunTurn(batch);
    batch.clear();
  }
}

void EngineImpl::RunTurn(std::vector<Command>& batch) {
  TimePoint now = clock_->Now();
  Turn turn;
  turn.transition.owner = owner_;
  turn.transition.owner_lease_until = NeverExpires(now);
  for (Command& c : batch) Apply(c, now, turn);
  // Due timers, a bounded number per turn so that a burst cannot starve the inbox.
  size_t fired = 0;
  while (!wake_index_.empty() && wake_index_.begin()->first <= now &&
         fired < static_cast<size_t>(std::max(1, options_.max_batch))) {
    std::string arn = wake_index_.begin()->second;
    wake_index_.erase(wake_index_.begin());
    auto it = live_.find(arn);
    if (it == live_.end()) continue;
    it->second.wake.reset();
    it->second.executor->FireDue(now);
    Touch(turn, arn);
    ++fired;
  }
  for (const std::string& arn : turn.touched) {
    auto it = live_.find(arn);
    if (it != live_.end()) Step(arn, it->second, now, turn);
  }
  if (turn.transition.starts.empty() && turn.transition.steps.empty() &&
      turn.transition.remove_tasks.empty())
    return;
  auto committed = store_->Commit(turn.transition);
  if (!committed.ok()) {
    // Nothing of the turn is written: forget what it decided and take the executions back from
    // their last committed snapshots, as after a crash.
    // Said once, then every 10 s while it lasts.
    auto wall = std::chrono::steady_clock::now();
    ++failed_commits_;
    if (failed_commits_ == 1 || wall - last_failure_log_ > std::chrono::seconds(10)) {
      std::fprintf(stderr,
                   "wharf: cannot commit to the store (%lld attempts so far), retrying: %s\n",
                   static_cast<long long>(failed_commits_), committed.error().message.c_str());
      last_failure_log_ = wall;
    }
    for (auto& s : turn.starts)
      if (s.reply) s.reply->set_value(committed.error());
    for (auto& [arn, reply] : turn.replies) reply->set_value(committed.error());
    for (const std::string& arn : turn.touched) {
      Forget(arn);
      auto e = store_->GetExecution(arn, store::WithSnapshot::kYes);
      if (e.ok() && !store::IsClosed(e->status) && !e->snapshot.empty() && Restore(*e).ok())
        SetWake(arn, live_[arn]);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return;
  }
  ++commits_;
  if (failed_commits_) {
    std::fprintf(stderr, "wharf: the store takes commits again after %lld failed attempts\n",
                 static_cast<long long>(failed_commits_));
    failed_commits_ = 0;
  }
  // Starts that did not create: the name exists (same input and running: the same answer; else
  // ExecutionAlreadyExists). Their executor, if this turn made one, never existed.
  std::unordered_set<std::string> not_created;
  for (size_t i = 0; i < turn.starts.size(); ++i) {
    auto& s = turn.starts[i];
    auto& outcome = committed->starts[i];
    if (!outcome.ok() || !outcome->created) {
      if (s.has_executor) {
        not_created.insert(s.arn);
        Forget(s.arn);
      }
    }
    if (!outcome.ok())
      s.reply->set_value(outcome.error());
    else
      s.reply->set_value(StartResponse{outcome->execution.arn, outcome->execution.start_time});
  }
  for (auto& [arn, reply] : turn.replies) reply->set_value(now);
  for (TaskRun& run : turn.tasks)
    if (!not_created.count(run.execution_arn)) SubmitTask(std::move(run));
  if (!turn.closed.empty()) {
    for (const std::string& arn : turn.closed) Forget(arn);
    {
      std::lock_guard lock(closed_mu_);
      closed_count_ += turn.closed.size();
    }
    closed_cv_.notify_all();
  }
  running_ = static_cast<int64_t>(live_.size());
}

void EngineImpl::Apply(Command& c, TimePoint now, Turn& turn) {
  switch (c.kind) {
    case Command::Kind::kStart:
      ApplyStart(c, now, turn);
      return;
    case Command::Kind::kRedrive:
      ApplyRedrive(c, now, turn);
      return;
    case Command::Kind::kStop: {
      auto it = live_.find(c.arn);
      if (it != live_.end()) {
        it->second.executor->Stop(std::move(c.error), std::move(c.cause));
        Touch(turn, c.arn);
        turn.replies.emplace_back(c.arn, c.time_reply);
        return;
      }
      auto e = store_->GetExecution(c.arn, store::WithSnapshot::kNo);
      if (!e.ok()) {
        c.time_reply->set_value(e.error());
      } else if (e->stop_time) {
        c.time_reply->set_value(*e->stop_time);  // already closed: nothing to stop
      } else {
        c.time_reply->set_value(
            MakeError("ServiceUnavailable", "the execution is not loaded on this node; try again"));
      }
      return;
    }
    case Command::Kind::kTaskResult: {
      auto it = live_.find(c.arn);
      // Consumed or stale, the task's record has served its purpose.
      turn.transition.remove_tasks.push_back(c.attempt_id);
      if (it == live_.end()) return;
      if (it->second.executor->ApplyTaskResult(c.attempt_id, std::move(c.result)))
        Touch(turn, c.arn);
      return;
    }
  }
}

void EngineImpl::ApplyStart(Command& c, TimePoint now, Turn& turn) {
  auto fail = [&](Error e) { c.start_reply->set_value(std::move(e)); };
  auto machine_row = store_->GetStateMachine(c.start.state_machine);
  if (!machine_row.ok()) return fail(machine_row.error());
  std::string name = c.start.name;
  if (name.empty()) {
    Xoshiro256 rng(FreshSeed());
    uint64_t hi = rng();
    name = FormatUuidV4(hi, rng());
  }
  if (auto bad = BadName(name))
    return fail(MakeError("InvalidName", "Invalid Name: '" + name + "': " + *bad));
  auto input = Json::Parse(c.start.input.empty() ? "{}" : c.start.input);
  if (!input.ok())
    return fail(MakeError("InvalidExecutionInput", "Invalid State Machine Execution Input: '" +
                                                       input.error().message + "'"));
  if (c.start.input.size() > 262144)
    return fail(MakeError("InvalidExecutionInput",
                          "The input is larger than the maximum of 262144 bytes."));
  std::string arn = "arn:aws:states:" + options_.region + ":" + options_.account +
                    ":execution:" + machine_row->name + ":" + name;
  store::NewExecution start;
  start.arn = arn;
  start.state_machine_arn = machine_row->arn;
  start.name = name;
  start.revision_id = machine_row->revision_id;
  start.input = c.start.input.empty() ? "{}" : c.start.input;
  start.start_time = now;
  Turn::PendingStart pending;
  pending.arn = arn;
  pending.reply = c.start_reply;
  if (!live_.count(arn)) {
    auto machine = Machine(machine_row->arn, machine_row->revision_id);
    if (!machine.ok()) return fail(machine.error());
    auto executor = std::make_unique<Executor>(*machine, *input, run_options_);
    executor->set_deferred_tasks();
    Executor::Identity id;
    id.machine_name = machine_row->name;
    id.name = name;
    id.arn = arn;
    id.start = now;
    executor->Begin(id);
    Live& live = live_[arn];
    live.executor = std::move(executor);
    live.machine_arn = machine_row->arn;
    live.revision_id = machine_row->revision_id;
    pending.has_executor = true;
    Touch(turn, arn);
  }
  turn.transition.starts.push_back(std::move(start));
  turn.starts.push_back(std::move(pending));
}

void EngineImpl::ApplyRedrive(Command& c, TimePoint now, Turn& turn) {
  auto fail = [&](Error e) { c.time_reply->set_value(std::move(e)); };
  if (live_.count(c.arn) || turn.touched_set.count(c.arn))
    return fail(MakeError("ExecutionNotRedrivable",
                          "Execution " + c.arn + " cannot be redriven: it is RUNNING."));
  auto e = store_->GetExecution(c.arn, store::WithSnapshot::kYes);
  if (!e.ok()) return fail(e.error());
  if (e->status == store::ExecutionStatus::kSucceeded ||
      e->status == store::ExecutionStatus::kRunning)
    return fail(
        MakeError("ExecutionNotRedrivable", "Execution " + c.arn + " cannot be redriven: it is " +
                                                store::ExecutionStatusName(e->status) + "."));
  Status restored = Restore(*e);
  if (!restored.ok()) return fail(restored.error());
  Live& live = live_[c.arn];
  live.executor->Redrive(now);
  Touch(turn, c.arn);
  turn.replies.emplace_back(c.arn, c.time_reply);
}

void EngineImpl::Step(const std::string& arn, Live& live, TimePoint now, Turn& turn) {
  Executor& ex = *live.executor;
  int64_t before = ex.result().transitions;
  for (;;) {
    ex.Drain();
    auto checks = ex.TakeHeartbeatChecks();
    if (checks.empty()) break;
    for (const std::string& id : checks) {
      auto task = store_->GetTask(id);
      ex.HeartbeatResult(id, task.ok() ? task->heartbeat : std::nullopt);
    }
  }
  transitions_ += ex.result().transitions - before;
  store::ExecutionStep step;
  step.arn = arn;
  for (const HistoryEvent& e : ex.TakeHistory()) step.events.push_back(e.ToRecord());
  for (std::string& id : ex.TakeDroppedTasks())
    turn.transition.remove_tasks.push_back(std::move(id));
  for (Executor::OutgoingTask& t : ex.TakeOutgoing()) {
    store::NewTask task;
    task.ticket = t.attempt_id;
    task.execution_arn = arn;
    task.queue = t.spec->name;
    task.kind = t.token.empty() ? "function" : "function.waitForTaskToken";
    task.payload = EncodeTask(t);
    task.token = t.token;
    task.lease_owner = owner_;
    task.lease_expiry = NeverExpires(now);
    TaskRun run;
    run.execution_arn = arn;
    run.attempt_id = t.attempt_id;
    run.function = t.spec->name;
    run.token = t.token;
    run.invocation = std::move(t.invocation);
    run.lease = store::TaskLease{t.attempt_id, owner_, 1};
    turn.transition.enqueue.push_back(std::move(task));
    turn.tasks.push_back(std::move(run));
  }
  const RunResult& r = ex.result();
  bool redriven = !step.events.empty() && step.events.front().type == "ExecutionRedriven";
  if (redriven) step.redrive_time = now;
  if (ex.done()) {
    step.status = r.status;
    step.stop_time = now;
    if (r.status == ExecutionStatus::kSucceeded) step.output = r.output.Dump();
    if (r.error) step.error = *r.error;
    if (r.cause) step.cause = *r.cause;
    turn.transition.outbox.push_back(StatusChangeEvent(arn, live, now));
    turn.closed.push_back(arn);
  } else if (redriven) {
    step.status = ExecutionStatus::kRunning;
  }
  // The snapshot a closed execution keeps is where RedriveExecution starts again.
  step.snapshot = ex.Snapshot().Dump();
  turn.transition.steps.push_back(std::move(step));
  SetWake(arn, live);
}

store::OutboxEvent EngineImpl::StatusChangeEvent(const std::string& arn, const Live& live,
                                                 TimePoint now) {
  const RunResult& r = live.executor->result();
  std::vector<JsonMember> detail;
  detail.emplace_back("executionArn", Json::String(arn));
  detail.emplace_back("stateMachineArn", Json::String(live.machine_arn));
  detail.emplace_back("name", Json::String(r.execution_name));
  detail.emplace_back("status", Json::String(ExecutionStatusName(r.status)));
  detail.emplace_back("startDate", Json::Double(EpochMillis(live.executor->start_time())));
  detail.emplace_back("stopDate", Json::Double(EpochMillis(now)));
  detail.emplace_back("input", Json::String(live.executor->input().Dump()));
  detail.emplace_back(
      "output", r.status == ExecutionStatus::kSucceeded ? Json::String(r.output.Dump()) : Json());
  detail.emplace_back("error", r.error ? Json::String(*r.error) : Json());
  detail.emplace_back("cause", r.cause ? Json::String(*r.cause) : Json());
  std::vector<JsonMember> event;
  Xoshiro256 rng(FreshSeed());
  uint64_t hi = rng();
  event.emplace_back("version", Json::String("0"));
  event.emplace_back("id", Json::String(FormatUuidV4(hi, rng())));
  event.emplace_back("detail-type", Json::String(kStatusChange));
  event.emplace_back("source", Json::String("aws.states"));
  event.emplace_back("account", Json::String(options_.account));
  event.emplace_back("time", Json::String(FormatIso8601(now)));
  event.emplace_back("region", Json::String(options_.region));
  event.emplace_back("resources", Json::Array({Json::String(arn)}));
  event.emplace_back("detail", Json::Object(std::move(detail)));
  store::OutboxEvent out;
  out.kind = kStatusChange;
  out.execution_arn = arn;
  out.payload = Json::Object(std::move(event)).Dump();
  out.time = now;
  return out;
}

void EngineImpl::SetWake(const std::string& arn, Live& live) {
  std::optional<TimePoint> wake = live.executor->NextWake();
  if (wake == live.wake) return;
  if (live.wake) wake_index_.erase({*live.wake, arn});
  live.wake = wake;
  if (wake) wake_index_.insert({*wake, arn});
}

void EngineImpl::Forget(const std::string& arn) {
  auto it = live_.find(arn);
  if (it == live_.end()) return;
  if (it->second.wake) wake_index_.erase({*it->second.wake, arn});
  live_.erase(it);
}

// ---- workers ----

void EngineImpl::SubmitTask(TaskRun run) {
  std::string function = run.function;
  workers_.Submit(std::move(function), [this, run = std::move(run)] { RunTask(run); });
}

void EngineImpl::RunTask(const TaskRun& run) {
  tasks::InvocationResult r;
  auto spec = options_.functions.find(run.function);
  if (spec == options_.functions.end()) {
    r.error = MakeError("Lambda.ResourceNotFoundException",
                        "Function not found: " + run.function + " (no longer in the project)");
  } else if (registry_) {
    tasks::Invocation invocation = run.invocation;
    invocation.registry = registry_.get();
    r = tasks::Invoke(spec->second, invocation);
  } else {
    r = tasks::Invoke(spec->second, run.invocation);
  }
  if (!run.token.empty() && r.ok) {
    // The invocation went out; SendTaskSuccess/Failure completes the task.
    (void)store_->CompleteTask(run.lease, "", store::Completion::kAwaitToken);
    return;
  }
  Status stored = store_->CompleteTask(run.lease, EncodeResult(r), store::Completion::kDone);
  if (!stored.ok()) return;  // the execution closed or another holder took the task over
  Command c;
  c.kind = Command::Kind::kTaskResult;
  c.arn = run.execution_arn;
  c.attempt_id = run.attempt_id;
  c.result = std::move(r);
  Post(std::move(c));
}

}  // namespace

Result<std::unique_ptr<Engine>> Engine::Start(EngineOptions options) {
  if (!options.store) return MakeError("InvalidArgument", "the engine needs a store");
  auto engine = std::make_unique<EngineImpl>(std::move(options));
  WHARF_TRY_STATUS(engine->Recover());
  engine->StartLoop();
  return std::unique_ptr<Engine>(std::move(engine));
}

}  // namespace wharf::engine
