// The event bus (see bus.h): the SQLite file, the rules and their matcher, and the delivery
// threads.
#include "events/bus.h"

#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <shared_mutex>
#include <thread>

#include <fmt/format.h>

#include "events/matcher.h"
#include "store/sqlite_db.h"

namespace wharf::events {
namespace {

using store::sqlite::Db;
using Ms = std::chrono::milliseconds;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS events(
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  body TEXT NOT NULL,
  received_ms INTEGER NOT NULL,
  committed_ms INTEGER) STRICT;
CREATE TABLE IF NOT EXISTS deliveries(
  event_seq INTEGER NOT NULL,
  rule TEXT NOT NULL,
  target TEXT NOT NULL,
  due_ms INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  last_error TEXT,
  PRIMARY KEY(event_seq, rule, target)) STRICT;
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(due_ms);
CREATE TABLE IF NOT EXISTS dead_letters(
  seq INTEGER PRIMARY KEY,
  event_seq INTEGER NOT NULL,
  rule TEXT NOT NULL,
  target TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  reason TEXT NOT NULL,
  failed_ms INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS positions(source TEXT PRIMARY KEY, position INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS rules(name TEXT PRIMARY KEY, body TEXT NOT NULL) STRICT;
)sql";

Error Invalid(std::string message) { return MakeError("ValidationException", std::move(message)); }

int64_t ToMs(TimePoint t) { return std::chrono::duration_cast<Ms>(t.time_since_epoch()).count(); }

bool ValidName(std::string_view name, size_t max) {
  if (name.empty() || name.size() > max) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
  });
}

// The rule as EventBridge's DescribeRule and ListTargetsByRule show it, in one document.
Json RuleToJson(const RuleSpec& rule) {
  JsonArray targets;
  for (const TargetSpec& t : rule.targets) targets.push_back(TargetToJson(t));
  return Json::Object({{"Name", Json::String(rule.name)},
                       {"Description", Json::String(rule.description)},
                       {"EventPattern", Json::String(rule.event_pattern)},
                       {"State", Json::String(rule.enabled ? "ENABLED" : "DISABLED")},
                       {"ManagedBy", Json::String(rule.managed_by)},
                       {"Targets", Json::Array(std::move(targets))}});
}

std::string Str(const Json& doc, std::string_view key) {
  const Json* v = doc.find(key);
  return v != nullptr && v->is_string() ? v->as_string() : std::string();
}

RuleSpec RuleFromJson(const Json& doc) {
  RuleSpec rule;
  rule.name = Str(doc, "Name");
  rule.description = Str(doc, "Description");
  rule.event_pattern = Str(doc, "EventPattern");
  rule.enabled = Str(doc, "State") != "DISABLED";
  rule.managed_by = Str(doc, "ManagedBy");
  if (const Json* targets = doc.find("Targets"); targets != nullptr && targets->is_array()) {
    for (const Json& t : targets->as_array()) {
      TargetSpec target;
      target.id = Str(t, "Id");
      target.arn = Str(t, "Arn");
      if (const Json* v = t.find("Input")) target.input.input = v->as_string();
      if (const Json* v = t.find("InputPath")) target.input.input_path = v->as_string();
      if (const Json* v = t.find("InputTransformer")) {
        TargetInputSpec::Transformer tr;
        if (const Json* paths = v->find("InputPathsMap"); paths != nullptr && paths->is_object())
          for (const auto& [k, p] : paths->as_object()) tr.paths.emplace_back(k, p.as_string());
        tr.input_template = Str(*v, "InputTemplate");
        target.input.transformer = std::move(tr);
      }
      if (const Json* r = t.find("RetryPolicy")) {
        if (const Json* a = r->find("MaximumRetryAttempts"))
          target.retry.maximum_retry_attempts = static_cast<int>(a->as_int());
        if (const Json* a = r->find("MaximumEventAgeInSeconds"))
          target.retry.maximum_event_age = std::chrono::seconds(a->as_int());
      }
      rule.targets.push_back(std::move(target));
    }
  }
  return rule;
}

struct CompiledTarget {
  TargetSpec spec;
  TargetInput input;
};

struct CompiledRule {
  RuleSpec spec;
  std::vector<CompiledTarget> targets;
};

// Checks a rule as PutRule and PutTargets do, and compiles its targets' inputs.
Result<CompiledRule> Compile(const RuleSpec& rule) {
  if (!ValidName(rule.name, 64))
    return Invalid(
        fmt::format("Name: '{}' must have 1 to 64 letters, digits, '.', '-' or '_'", rule.name));
  std::string where = "rule " + rule.name;
  if (rule.description.size() > 512)
    return Invalid(where + ": Description: at most 512 characters");
  auto pattern = Pattern::Compile(rule.event_pattern);
  if (!pattern.ok())
    return Invalid(fmt::format("{}: EventPattern: {}", where, pattern.error().message));
  if (rule.targets.size() > 5)
    return Invalid(fmt::format("{}: at most 5 targets, got {}", where, rule.targets.size()));
  CompiledRule compiled{rule, {}};
  std::set<std::string> ids;
  for (const TargetSpec& t : rule.targets) {
    std::string at = fmt::format("{}: target {}", where, t.id);
    if (!ValidName(t.id, 64))
      return Invalid(fmt::format("{}: Id must have 1 to 64 letters, digits, '.', '-' or '_'", at));
    if (!ids.insert(t.id).second) return Invalid(at + ": Id is used twice");
    if (t.arn.empty()) return Invalid(at + ": Arn is required");
    if (t.retry.maximum_retry_attempts < 0 || t.retry.maximum_retry_attempts > 185)
      return Invalid(at + ": RetryPolicy.MaximumRetryAttempts must be from 0 to 185");
    if (t.retry.maximum_event_age.count() < 60 || t.retry.maximum_event_age.count() > 86400)
      return Invalid(at + ": RetryPolicy.MaximumEventAgeInSeconds must be from 60 to 86400");
    auto input = TargetInput::Compile(t.input);
    if (!input.ok()) return Invalid(fmt::format("{}: {}", at, input.error().message));
    compiled.targets.push_back({t, std::move(*input)});
  }
  return compiled;
}

}  // namespace

Json TargetToJson(const TargetSpec& t) {
  std::vector<JsonMember> m = {{"Id", Json::String(t.id)}, {"Arn", Json::String(t.arn)}};
  if (t.input.input) m.emplace_back("Input", Json::String(*t.input.input));
  if (t.input.input_path) m.emplace_back("InputPath", Json::String(*t.input.input_path));
  if (t.input.transformer) {
    std::vector<JsonMember> paths;
    for (const auto& [k, v] : t.input.transformer->paths) paths.emplace_back(k, Json::String(v));
    std::vector<JsonMember> tr;
    if (!paths.empty()) tr.emplace_back("InputPathsMap", Json::Object(std::move(paths)));
    tr.emplace_back("InputTemplate", Json::String(t.input.transformer->input_template));
    m.emplace_back("InputTransformer", Json::Object(std::move(tr)));
  }
  m.emplace_back(
      "RetryPolicy",
      Json::Object({{"MaximumRetryAttempts", Json::Int(t.retry.maximum_retry_attempts)},
                    {"MaximumEventAgeInSeconds", Json::Int(t.retry.maximum_event_age.count())}}));
  return Json::Object(std::move(m));
}

std::string DeliveryKey(std::string_view event_id, std::string_view rule,
                        std::string_view target_id) {
  std::string data = fmt::format("{}\n{}\n{}", event_id, rule, target_id);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  std::string key(rule.substr(0, 47));
  for (char& c : key)
    if (c == '.') c = '_';  // execution names take letters, digits, '-' and '_'
  key += '-';
  for (unsigned int i = 0; i < 16; ++i) key += fmt::format("{:02x}", digest[i]);
  return key;
}

struct Bus::Impl {
  struct Due {
    int64_t event_seq = 0;
    std::string rule;
    std::string target;
    int attempts = 0;
    std::string body;
    int64_t received_ms = 0;
    std::string event_id;
  };

  BusOptions options;
  SystemClock system_clock;
  const Clock* clock = nullptr;

  mutable std::mutex db_mu;
  std::unique_ptr<Db> db;

  mutable std::shared_mutex rules_mu;
  std::map<std::string, CompiledRule, std::less<>> rules;
  Matcher matcher;

  std::mutex work_mu;
  std::condition_variable work_cv;
  std::set<std::tuple<int64_t, std::string, std::string>> in_flight;
  bool stopping = false;
  uint64_t wakeups = 0;
  std::vector<std::thread> threads;
  std::mt19937_64 random{std::random_device{}()};

  std::atomic<int64_t> delivered{0};
  std::atomic<int64_t> retried{0};

  void Log(const std::string& line) const {
    if (options.log) options.log(line);
  }
  int64_t NowMs() const { return ToMs(clock->Now()); }

  // Puts a compiled rule in memory (matcher included). REQUIRES: rules_mu held exclusively.
  void Install(CompiledRule rule) {
    matcher.Remove(rule.spec.name);
    if (rule.spec.enabled) matcher.Add(rule.spec.name, *Pattern::Compile(rule.spec.event_pattern));
    std::string name = rule.spec.name;
    rules.insert_or_assign(std::move(name), std::move(rule));
  }

  Status Transaction(const std::function<Status()>& body) {
    WHARF_TRY_STATUS(db->Exec("BEGIN IMMEDIATE"));
    Status s = body();
    if (!s.ok()) {
      (void)db->Exec("ROLLBACK");
      return s;
    }
    s = db->Exec("COMMIT");
    if (!s.ok()) (void)db->Exec("ROLLBACK");
    return s;
  }

  void Wake() {
    {
      std::lock_guard lock(work_mu);
      ++wakeups;
    }
    work_cv.notify_all();
  }

  std::optional<Due> ClaimDue();
  std::optional<int64_t> NextDueMs();
  void Attempt(const Due& due);
  void DeliveryLoop();
  Ms Backoff(int attempt) {
    double base = static_cast<double>(options.retry_base.count());
    double delay = std::min(base * std::pow(2.0, std::min(attempt - 1, 40)),
                            static_cast<double>(options.retry_cap.count()));
    std::lock_guard lock(work_mu);
    double jitter = 0.5 + 0.5 * std::uniform_real_distribution<double>(0, 1)(random);
    return Ms(std::max<int64_t>(1, static_cast<int64_t>(delay * jitter)));
  }
};

Bus::Bus(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Bus::~Bus() { Stop(); }

Result<std::unique_ptr<Bus>> Bus::Open(BusOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->clock = impl->options.clock != nullptr ? impl->options.clock : &impl->system_clock;
  WHARF_TRY(impl->db, Db::Open(impl->options.path, Db::Mode::kReadWrite));
  Db& db = *impl->db;
  WHARF_TRY_STATUS(db.Exec("PRAGMA journal_mode=WAL; PRAGMA busy_timeout=5000"));
  WHARF_TRY_STATUS(db.Exec(impl->options.sync_to_disk ? "PRAGMA synchronous=FULL"
                                                      : "PRAGMA synchronous=NORMAL"));
  WHARF_TRY_STATUS(db.Exec(kSchema));
  {
    WHARF_TRY(auto q, db.Prepare("SELECT name, body FROM rules"));
    for (;;) {
      WHARF_TRY(bool row, q.Step());
      if (!row) break;
      auto doc = Json::Parse(q.View(1));
      if (!doc.ok())
        return MakeError("StoreFailure",
                         fmt::format("{}: the stored rule {} is not JSON: {}", impl->options.path,
                                     q.Text(0), doc.error().message));
      auto compiled = Compile(RuleFromJson(*doc));
      if (!compiled.ok())
        return MakeError("StoreFailure",
                         fmt::format("{}: the stored rule {} no longer compiles: {}",
                                     impl->options.path, q.Text(0), compiled.error().message));
      impl->Install(std::move(*compiled));
    }
  }
  return std::unique_ptr<Bus>(new Bus(std::move(impl)));
}

std::string Bus::RuleArn(std::string_view name) const {
  return fmt::format("arn:aws:events:{}:{}:rule/{}", impl_->options.region, impl_->options.account,
                     name);
}

Status Bus::PutRule(const RuleSpec& rule) {
  WHARF_TRY(CompiledRule compiled, Compile(rule));
  std::unique_lock rules_lock(impl_->rules_mu);
  if (auto it = impl_->rules.find(rule.name);
      it != impl_->rules.end() && it->second.spec.managed_by != rule.managed_by) {
    return MakeError(
        "ManagedRuleException",
        fmt::format("rule {} is managed by {}; change it there", rule.name,
                    it->second.spec.managed_by.empty() ? "the API" : it->second.spec.managed_by));
  }
  std::string body = RuleToJson(rule).Dump();
  {
    std::lock_guard lock(impl_->db_mu);
    WHARF_TRY(auto q,
              impl_->db->Prepare("INSERT OR REPLACE INTO rules(name, body) VALUES(?1, ?2)"));
    WHARF_TRY_STATUS(q.Bind(1, rule.name).Bind(2, body).Run());
  }
  impl_->Install(std::move(compiled));
  return {};
}

Status Bus::DeleteRule(std::string_view name, std::string_view managed_by) {
  std::unique_lock rules_lock(impl_->rules_mu);
  auto it = impl_->rules.find(name);
  if (it == impl_->rules.end())
    return MakeError("ResourceNotFoundException", fmt::format("Rule {} does not exist.", name));
  if (it->second.spec.managed_by != managed_by)
    return MakeError(
        "ManagedRuleException",
        fmt::format("rule {} is managed by {}; change it there", name,
                    it->second.spec.managed_by.empty() ? "the API" : it->second.spec.managed_by));
  {
    std::lock_guard lock(impl_->db_mu);
    WHARF_TRY(auto q, impl_->db->Prepare("DELETE FROM rules WHERE name = ?1"));
    WHARF_TRY_STATUS(q.Bind(1, name).Run());
  }
  impl_->matcher.Remove(name);
  impl_->rules.erase(it);
  return {};
}

Status Bus::SyncRules(std::string_view managed_by, const std::vector<RuleSpec>& keep) {
  std::set<std::string, std::less<>> wanted;
  for (const RuleSpec& r : keep) {
    WHARF_TRY_STATUS(PutRule(r));
    wanted.insert(r.name);
  }
  std::vector<std::string> gone;
  {
    std::shared_lock lock(impl_->rules_mu);
    for (const auto& [name, rule] : impl_->rules)
      if (rule.spec.managed_by == managed_by && !wanted.contains(name)) gone.push_back(name);
  }
  for (const std::string& name : gone) WHARF_TRY_STATUS(DeleteRule(name, managed_by));
  return {};
}

std::vector<RuleSpec> Bus::ListRules() const {
  std::shared_lock lock(impl_->rules_mu);
  std::vector<RuleSpec> out;
  for (const auto& [name, rule] : impl_->rules) out.push_back(rule.spec);
  return out;
}

std::optional<RuleSpec> Bus::GetRule(std::string_view name) const {
  std::shared_lock lock(impl_->rules_mu);
  auto it = impl_->rules.find(name);
  if (it == impl_->rules.end()) return std::nullopt;
  return it->second.spec;
}

std::vector<std::string> Bus::Match(const Json& event) const {
  std::shared_lock lock(impl_->rules_mu);
  return impl_->matcher.Match(event);
}

Result<PublishResult> Bus::Publish(const std::vector<Json>& events, std::string_view source,
                                   int64_t position, const std::vector<int64_t>* committed_ms) {
  // Match first (no lock on the file), then store everything in one transaction.
  struct Matched {
    const Json* event;
    std::optional<int64_t> committed_ms;
    std::string id;
    std::vector<std::pair<std::string, std::string>> deliveries;  // rule, target
  };
  std::vector<Matched> matched;
  {
    std::shared_lock lock(impl_->rules_mu);
    for (const Json& event : events) {
      const Json* id = event.find("id");
      if (id == nullptr || !id->is_string() || id->as_string().empty())
        return Invalid("an event without an id cannot be published");
      size_t i = matched.size();
      Matched m{&event,
                committed_ms != nullptr && i < committed_ms->size()
                    ? std::optional<int64_t>((*committed_ms)[i])
                    : std::nullopt,
                id->as_string(),
                {}};
      for (const std::string& rule : impl_->matcher.Match(event)) {
        auto it = impl_->rules.find(rule);
        if (it == impl_->rules.end()) continue;
        for (const CompiledTarget& t : it->second.targets)
          m.deliveries.emplace_back(rule, t.spec.id);
      }
      matched.push_back(std::move(m));
    }
  }
  PublishResult result;
  int64_t now = impl_->NowMs();
  {
    std::lock_guard lock(impl_->db_mu);
    Db& db = *impl_->db;
    WHARF_TRY_STATUS(impl_->Transaction([&]() -> Status {
      for (const Matched& m : matched) {
        std::string body = m.event->Dump();
        WHARF_TRY(auto insert, db.Prepare("INSERT OR IGNORE INTO events(id, body, received_ms, "
                                          "committed_ms) VALUES(?1, ?2, ?3, ?4)"));
        WHARF_TRY_STATUS(
            insert.Bind(1, m.id).Bind(2, body).Bind(3, now).BindOpt(4, m.committed_ms).Run());
        if (db.Changes() == 0) continue;  // already published
        int64_t seq = db.LastInsertRowid();
        ++result.events;
        for (const auto& [rule, target] : m.deliveries) {
          WHARF_TRY(auto d, db.Prepare("INSERT OR IGNORE INTO deliveries(event_seq, rule, target, "
                                       "due_ms, attempts) VALUES(?1, ?2, ?3, ?4, 0)"));
          WHARF_TRY_STATUS(d.Bind(1, seq).Bind(2, rule).Bind(3, target).Bind(4, now).Run());
          ++result.deliveries;
        }
      }
      if (!source.empty()) {
        WHARF_TRY(auto p, db.Prepare("INSERT OR REPLACE INTO positions(source, position) "
                                     "VALUES(?1, ?2)"));
        WHARF_TRY_STATUS(p.Bind(1, source).Bind(2, position).Run());
      }
      return {};
    }));
  }
  if (result.deliveries > 0) impl_->Wake();
  return result;
}

Result<int64_t> Bus::Position(std::string_view source) const {
  std::lock_guard lock(impl_->db_mu);
  WHARF_TRY(auto q, impl_->db->Prepare("SELECT position FROM positions WHERE source = ?1"));
  q.Bind(1, source);
  WHARF_TRY(bool row, q.Step());
  return row ? q.Int(0) : 0;
}

std::optional<Bus::Impl::Due> Bus::Impl::ClaimDue() {
  // The read and the claim happen under db_mu, as does a finished attempt's update and release
  // (Attempt): a claim never acts on a row an attempt has just changed.
  int64_t now = NowMs();
  std::lock_guard db_lock(db_mu);
  auto q = db->Prepare(
      "SELECT d.event_seq, d.rule, d.target, d.attempts, e.body, e.received_ms, e.id "
      "FROM deliveries d JOIN events e ON e.seq = d.event_seq WHERE d.due_ms <= ?1 "
      "ORDER BY d.due_ms LIMIT 64");
  if (!q.ok()) return std::nullopt;
  q->Bind(1, now);
  for (;;) {
    auto row = q->Step();
    if (!row.ok() || !*row) break;
    std::tuple<int64_t, std::string, std::string> key{q->Int(0), q->Text(1), q->Text(2)};
    std::lock_guard lock(work_mu);
    if (!in_flight.insert(key).second) continue;
    return Due{q->Int(0),  q->Text(1), q->Text(2), static_cast<int>(q->Int(3)),
               q->Text(4), q->Int(5),  q->Text(6)};
  }
  return std::nullopt;
}

std::optional<int64_t> Bus::Impl::NextDueMs() {
  std::lock_guard lock(db_mu);
  auto q = db->Prepare("SELECT MIN(due_ms) FROM deliveries");
  if (!q.ok()) return std::nullopt;
  auto row = q->Step();
  if (!row.ok() || !*row || q->IsNull(0)) return std::nullopt;
  return q->Int(0);
}

void Bus::Impl::Attempt(const Due& due) {
  int attempt = due.attempts + 1;
  InvokeResult result;
  std::string dead_reason;
  int max_retries = 185;
  std::optional<Invocation> invocation;
  {
    std::shared_lock lock(rules_mu);
    auto rule = rules.find(due.rule);
    const CompiledTarget* target = nullptr;
    if (rule != rules.end())
      for (const CompiledTarget& t : rule->second.targets)
        if (t.spec.id == due.target) target = &t;
    if (target == nullptr) {
      dead_reason = fmt::format("the rule {} no longer has a target {}", due.rule, due.target);
    } else {
      max_retries = target->spec.retry.maximum_retry_attempts;
      int64_t age_ms = NowMs() - due.received_ms;
      if (age_ms > std::chrono::duration_cast<Ms>(target->spec.retry.maximum_event_age).count()) {
        dead_reason = fmt::format(
            "the event is older than the target's MaximumEventAgeInSeconds ({} s) after {} "
            "attempts",
            target->spec.retry.maximum_event_age.count(), due.attempts);
      } else {
        auto event = Json::Parse(due.body);
        DeliveryContext context{
            fmt::format("arn:aws:events:{}:{}:rule/{}", options.region, options.account, due.rule),
            due.rule, FormatIso8601(TimePoint(Ms(due.received_ms)))};
        invocation = Invocation{due.event_id,
                                due.rule,
                                due.target,
                                target->spec.arn,
                                target->input.Render(event.ok() ? *event : Json(), context),
                                DeliveryKey(due.event_id, due.rule, due.target),
                                attempt};
      }
    }
  }
  if (invocation) {
    result = options.invoke(*invocation);
    if (!result.ok && (!result.retryable || attempt > max_retries)) {
      dead_reason = result.retryable
                        ? fmt::format("{} attempts failed; the last: {}", attempt, result.message)
                        : result.message;
    }
  }
  int64_t now = NowMs();
  Status stored;
  {
    std::lock_guard db_lock(db_mu);
    stored = Transaction([&]() -> Status {
      if (invocation && result.ok) {
        WHARF_TRY(auto q, db->Prepare("DELETE FROM deliveries WHERE event_seq = ?1 AND rule = ?2 "
                                      "AND target = ?3"));
        return q.Bind(1, due.event_seq).Bind(2, due.rule).Bind(3, due.target).Run();
      }
      if (!dead_reason.empty()) {
        WHARF_TRY(auto dl,
                  db->Prepare("INSERT INTO dead_letters(event_seq, rule, target, "
                              "attempts, reason, failed_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"));
        WHARF_TRY_STATUS(dl.Bind(1, due.event_seq)
                             .Bind(2, due.rule)
                             .Bind(3, due.target)
                             .Bind(4, invocation ? attempt : due.attempts)
                             .Bind(5, dead_reason)
                             .Bind(6, now)
                             .Run());
        WHARF_TRY(auto q, db->Prepare("DELETE FROM deliveries WHERE event_seq = ?1 AND rule = ?2 "
                                      "AND target = ?3"));
        return q.Bind(1, due.event_seq).Bind(2, due.rule).Bind(3, due.target).Run();
      }
      WHARF_TRY(auto q, db->Prepare("UPDATE deliveries SET due_ms = ?4, attempts = ?5, "
                                    "last_error = ?6 WHERE event_seq = ?1 AND rule = ?2 AND "
                                    "target = ?3"));
      return q.Bind(1, due.event_seq)
          .Bind(2, due.rule)
          .Bind(3, due.target)
          .Bind(4, now + Backoff(attempt).count())
          .Bind(5, attempt)
          .Bind(6, result.message)
          .Run();
    });
    // Counted and logged before the release, so WaitIdle sees them.
    if (!stored.ok()) {
      Log(fmt::format("events: cannot record the delivery of event {} to {}/{}: {}", due.event_id,
                      due.rule, due.target, stored.error().message));
    } else if (invocation && result.ok) {
      ++delivered;
    } else if (!dead_reason.empty()) {
      Log(fmt::format("events: event {} for {}/{} went to the dead letters: {}", due.event_id,
                      due.rule, due.target, dead_reason));
    } else {
      ++retried;
      Log(fmt::format("events: event {} for {}/{} failed (attempt {}), will retry: {}",
                      due.event_id, due.rule, due.target, attempt, result.message));
    }
    std::lock_guard lock(work_mu);
    in_flight.erase({due.event_seq, due.rule, due.target});
  }
  work_cv.notify_all();
}

void Bus::Impl::DeliveryLoop() {
  for (;;) {
    uint64_t seen;
    {
      std::lock_guard lock(work_mu);
      if (stopping) return;
      seen = wakeups;
    }
    if (auto due = ClaimDue()) {
      Attempt(*due);
      continue;
    }
    std::optional<int64_t> next = NextDueMs();
    Ms wait(1000);
    if (next) wait = std::clamp(Ms(*next - NowMs()), Ms(1), Ms(1000));
    std::unique_lock lock(work_mu);
    work_cv.wait_for(lock, wait, [&] { return stopping || wakeups != seen; });
  }
}

void Bus::Start() {
  std::lock_guard lock(impl_->work_mu);
  if (!impl_->threads.empty()) return;
  impl_->stopping = false;
  for (int i = 0; i < std::max(1, impl_->options.delivery_threads); ++i)
    impl_->threads.emplace_back([this] { impl_->DeliveryLoop(); });
}

void Bus::Stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(impl_->work_mu);
    impl_->stopping = true;
    threads.swap(impl_->threads);
  }
  impl_->work_cv.notify_all();
  for (std::thread& t : threads) t.join();
}

bool Bus::WaitIdle(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    bool busy;
    {
      std::lock_guard lock(impl_->work_mu);
      busy = !impl_->in_flight.empty();
    }
    if (!busy) {
      std::optional<int64_t> next = impl_->NextDueMs();
      if (!next || *next > impl_->NowMs()) return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(Ms(5));
  }
}

Result<std::vector<DeadLetter>> Bus::ListDeadLetters(int limit) const {
  std::lock_guard lock(impl_->db_mu);
  WHARF_TRY(auto q, impl_->db->Prepare(
                        "SELECT l.seq, e.id, l.rule, l.target, l.attempts, l.reason, l.failed_ms, "
                        "e.body FROM dead_letters l JOIN events e ON e.seq = l.event_seq "
                        "ORDER BY l.seq LIMIT ?1"));
  q.Bind(1, limit);
  std::vector<DeadLetter> out;
  for (;;) {
    WHARF_TRY(bool row, q.Step());
    if (!row) break;
    DeadLetter d{q.Int(0),  q.Text(1), q.Text(2), q.Text(3), static_cast<int>(q.Int(4)),
                 q.Text(5), q.Int(6),  Json()};
    auto body = Json::Parse(q.View(7));
    if (body.ok()) d.event = std::move(*body);
    out.push_back(std::move(d));
  }
  return out;
}

Status Bus::Replay(int64_t dead_letter_seq) {
  {
    std::lock_guard lock(impl_->db_mu);
    Db& db = *impl_->db;
    WHARF_TRY_STATUS(impl_->Transaction([&]() -> Status {
      WHARF_TRY(auto q,
                db.Prepare("SELECT event_seq, rule, target FROM dead_letters WHERE seq = ?1"));
      q.Bind(1, dead_letter_seq);
      WHARF_TRY(bool row, q.Step());
      if (!row)
        return MakeError("ResourceNotFoundException",
                         fmt::format("there is no dead letter {}", dead_letter_seq));
      int64_t event_seq = q.Int(0);
      std::string rule = q.Text(1), target = q.Text(2);
      WHARF_TRY(auto d, db.Prepare("INSERT OR REPLACE INTO deliveries(event_seq, rule, target, "
                                   "due_ms, attempts) VALUES(?1, ?2, ?3, ?4, 0)"));
      WHARF_TRY_STATUS(
          d.Bind(1, event_seq).Bind(2, rule).Bind(3, target).Bind(4, impl_->NowMs()).Run());
      WHARF_TRY(auto del, db.Prepare("DELETE FROM dead_letters WHERE seq = ?1"));
      return del.Bind(1, dead_letter_seq).Run();
    }));
  }
  impl_->Wake();
  return {};
}

Result<std::vector<StoredEvent>> PeekBusEvents(const std::string& path, int limit, int64_t after) {
  WHARF_TRY(auto db, Db::Open(path, Db::Mode::kReadOnly));
  WHARF_TRY_STATUS(db->Exec("PRAGMA busy_timeout=5000"));
  WHARF_TRY(auto q, db->Prepare("SELECT seq, received_ms, committed_ms, body FROM events "
                                "WHERE seq > ?1 ORDER BY seq LIMIT ?2"));
  q.Bind(1, after).Bind(2, limit);
  std::vector<StoredEvent> out;
  for (;;) {
    WHARF_TRY(bool row, q.Step());
    if (!row) break;
    out.push_back({q.Int(0), q.Int(1), q.OptInt(2), q.Text(3)});
  }
  return out;
}

Result<int64_t> PeekBusPosition(const std::string& path, std::string_view source) {
  WHARF_TRY(auto db, Db::Open(path, Db::Mode::kReadOnly));
  WHARF_TRY_STATUS(db->Exec("PRAGMA busy_timeout=5000"));
  WHARF_TRY(auto q, db->Prepare("SELECT position FROM positions WHERE source = ?1"));
  q.Bind(1, source);
  WHARF_TRY(bool row, q.Step());
  return row ? q.Int(0) : 0;
}

BusStats Bus::Stats() const {
  BusStats stats;
  stats.delivered = impl_->delivered.load();
  stats.retried = impl_->retried.load();
  std::lock_guard lock(impl_->db_mu);
  if (auto q = impl_->db->Prepare("SELECT (SELECT COUNT(*) FROM deliveries), "
                                  "(SELECT COUNT(*) FROM dead_letters)");
      q.ok() && q->Step().ok() && !q->IsNull(0)) {
    stats.pending = q->Int(0);
    stats.dead_letters = q->Int(1);
  }
  return stats;
}

}  // namespace wharf::events
