// Importer: moves events from the outboxes of the parts that raise them (the landing store's
// upload events, the engine's execution status changes) onto the bus.
//
// Each source is read from the position the bus stored for it; a batch is published together
// with its last position in one bus transaction, and only then removed from the source's outbox.
// So a crash between the two imports nothing twice and loses nothing: the source still holds
// what the bus has not stored, and the bus's position skips what it has.
//
// Thread-safety: Start/Stop from one thread; PollOnce from one thread at a time.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/result.h"
#include "events/bus.h"

namespace wharf::events {

struct SourceEvent {
  int64_t seq = 0;           // increasing within the source
  std::string payload;       // an EventBridge event, JSON
  int64_t committed_ms = 0;  // when the source committed it
};

class EventSource {
 public:
  virtual ~EventSource() = default;
  virtual std::string name() const = 0;  // the bus's position key, e.g. "objects"
  // Up to `limit` events with seq > after, in order.
  virtual Result<std::vector<SourceEvent>> Read(int64_t after, int limit) = 0;
  // The bus holds these now: the source may drop them.
  virtual Status Forget(const std::vector<int64_t>& seqs) = 0;
};

class Importer {
 public:
  Importer(Bus& bus, std::vector<EventSource*> sources, std::chrono::milliseconds interval,
           std::function<void(const std::string&)> log);
  ~Importer();  // stops

  // Imports everything the sources hold now. The error names the source.
  Status PollOnce();
  void Start();  // polls every `interval` on a thread of its own
  void Stop();
  // Polls now, without waiting for the interval (the caller knows there is something new).
  void Nudge();

 private:
  Status Drain(EventSource& source);
  void Loop();

  Bus& bus_;
  std::vector<EventSource*> sources_;
  std::chrono::milliseconds interval_;
  std::function<void(const std::string&)> log_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool nudged_ = false;
  std::thread thread_;
  std::string last_error_;
};

}  // namespace wharf::events
