#include "events/importer.h"

#include <fmt/format.h>

namespace wharf::events {

constexpr int kBatch = 256;

Importer::Importer(Bus& bus, std::vector<EventSource*> sources, std::chrono::milliseconds interval,
                   std::function<void(const std::string&)> log)
    : bus_(bus),
      sources_(std::move(sources)),
      state_(sources_.size()),
      interval_(interval),
      log_(std::move(log)) {}

Importer::~Importer() { Stop(); }

Status Importer::Drain(size_t i) {
  EventSource& source = *sources_[i];
  SourceState& st = state_[i];
  if (!st.position_known) {
    WHARF_TRY(st.position, bus_.Position(source.name()));
    st.position_known = true;
  }
  for (;;) {
    WHARF_TRY(std::vector<SourceEvent> batch, source.Read(st.position, kBatch));
    if (batch.empty()) break;
    std::vector<Json> events;
    std::vector<int64_t> committed;
    for (const SourceEvent& e : batch) {
      auto parsed = Json::Parse(e.payload);
      if (!parsed.ok() || parsed->find("id") == nullptr) {
        // Not an event the bus can hold: said once, then passed over so the rest flows.
        if (log_)
          log_(fmt::format("events: {} event {} is not an EventBridge event and is skipped: {}",
                           source.name(), e.seq,
                           parsed.ok() ? "it has no id" : parsed.error().message));
        continue;
      }
      events.push_back(std::move(*parsed));
      committed.push_back(e.committed_ms);
    }
    auto published = bus_.Publish(events, source.name(), batch.back().seq, &committed);
    if (!published.ok()) {
      st.position_known = false;  // read it again: the transaction may or may not have landed
      return published.error();
    }
    st.position = batch.back().seq;
    if (st.published.empty()) st.first_published = std::chrono::steady_clock::now();
    for (const SourceEvent& e : batch) st.published.push_back(e.seq);
    if (static_cast<int>(batch.size()) < kBatch) break;
  }
  return ForgetPublished(i, false);
}

Status Importer::ForgetPublished(size_t i, bool now) {
  SourceState& st = state_[i];
  if (st.published.empty()) return {};
  if (!now && st.published.size() < kForgetBatch &&
      std::chrono::steady_clock::now() - st.first_published < kForgetAfter) {
    return {};
  }
  WHARF_TRY_STATUS(sources_[i]->Forget(st.published));
  st.published.clear();
  return {};
}

Status Importer::PollOnce() {
  for (size_t i = 0; i < sources_.size(); ++i) {
    Status s = Drain(i);
    if (!s.ok())
      return MakeError(s.error().code, fmt::format("importing the {} events: {}",
                                                   sources_[i]->name(), s.error().message));
  }
  return {};
}

Status Importer::Flush() {
  for (size_t i = 0; i < sources_.size(); ++i) {
    Status s = ForgetPublished(i, true);
    if (!s.ok())
      return MakeError(s.error().code, fmt::format("removing the imported {} events: {}",
                                                   sources_[i]->name(), s.error().message));
  }
  return {};
}

void Importer::Loop() {
  for (;;) {
    auto polled = std::chrono::steady_clock::now();
    Status s = PollOnce();
    if (!s.ok() && s.error().message != last_error_ && log_) log_("events: " + s.error().message);
    last_error_ = s.ok() ? "" : s.error().message;
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, interval_, [this] { return stopping_ || nudged_; });
    // At most one poll per kGather: a nudge after a quiet spell is served at once, the commits of
    // a burst in batches.
    cv_.wait_until(lock, polled + kGather, [this] { return stopping_; });
    if (stopping_) return;
    nudged_ = false;
  }
}

void Importer::Start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void Importer::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  Status s = Flush();
  if (!s.ok() && log_) log_("events: " + s.error().message);
  // What could not be removed stays in the outboxes, harmless: the bus's position skips it.
  for (SourceState& st : state_) st.published.clear();
}

void Importer::Nudge() {
  {
    std::lock_guard lock(mu_);
    nudged_ = true;
  }
  cv_.notify_all();
}

}  // namespace wharf::events
