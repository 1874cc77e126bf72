#include "events/importer.h"

#include <fmt/format.h>

namespace wharf::events {

constexpr int kBatch = 256;

Importer::Importer(Bus& bus, std::vector<EventSource*> sources, std::chrono::milliseconds interval,
                   std::function<void(const std::string&)> log)
    : bus_(bus), sources_(std::move(sources)), interval_(interval), log_(std::move(log)) {}

Importer::~Importer() { Stop(); }

Status Importer::Drain(EventSource& source) {
  for (;;) {
    WHARF_TRY(int64_t position, bus_.Position(source.name()));
    WHARF_TRY(std::vector<SourceEvent> batch, source.Read(position, kBatch));
    if (batch.empty()) return {};
    std::vector<Json> events;
    std::vector<int64_t> seqs, committed;
    for (const SourceEvent& e : batch) {
      seqs.push_back(e.seq);
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
    WHARF_TRY_STATUS(bus_.Publish(events, source.name(), batch.back().seq, &committed));
    WHARF_TRY_STATUS(source.Forget(seqs));
    if (static_cast<int>(batch.size()) < kBatch) return {};
  }
}

Status Importer::PollOnce() {
  for (EventSource* source : sources_) {
    Status s = Drain(*source);
    if (!s.ok())
      return MakeError(s.error().code, fmt::format("importing the {} events: {}", source->name(),
                                                   s.error().message));
  }
  return {};
}

void Importer::Loop() {
  for (;;) {
    Status s = PollOnce();
    if (!s.ok() && s.error().message != last_error_ && log_) log_("events: " + s.error().message);
    last_error_ = s.ok() ? "" : s.error().message;
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, interval_, [this] { return stopping_ || nudged_; });
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
}

void Importer::Nudge() {
  {
    std::lock_guard lock(mu_);
    nudged_ = true;
  }
  cv_.notify_all();
}

}  // namespace wharf::events
