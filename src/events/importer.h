// Importer: moves events from the outboxes of the parts that raise them (the landing store's
// upload events, the engine's execution status changes) onto the bus.
//
// Each source is read from the position the bus stored for it; a batch is published together
// with its last position in one bus transaction, and only then removed from the source's outbox.
// So a crash between the two imports nothing twice and loses nothing: the source still holds
// what the bus has not stored, and the bus's position skips what it has.
//
// The removal is lazy: the sources are read past the position, so rows the bus holds may stay in
// an outbox a while. They are removed kForgetBatch at a time, or kForgetAfter after the first
// of them was published, and at Stop. An upload's event then costs the landing store's index
// no write transaction of its own (the removal shares one with its neighbours), and the bus's
// position is read once, then kept.
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
  void Stop();   // and removes from the outboxes what the bus holds
  // Removes from the outboxes what the bus holds, now (Stop does it too).
  Status Flush();
  // Polls now, without waiting for the interval (the caller knows there is something new).
  void Nudge();

 private:
  struct SourceState {
    bool position_known = false;
    int64_t position = 0;            // the bus's, once read
    std::vector<int64_t> published;  // on the bus, still in the source's outbox
    std::chrono::steady_clock::time_point first_published;
  };
  // The shortest time between two polls. Waking to poll after every commit cost small uploads
  // about a fifth of their rate: with lftp putting 1,000 files of 10 KiB by FTP, 5 ms raised it
  // by about that much (docs/events.md, "The bus and delivery"). An upload after a quiet spell
  // is still imported at once.
  static constexpr std::chrono::milliseconds kGather{5};
  static constexpr size_t kForgetBatch = 256;
  static constexpr std::chrono::seconds kForgetAfter{1};

  Status Drain(size_t i);
  // Removes what the bus holds from source i's outbox when it is due (or now, with `now`).
  Status ForgetPublished(size_t i, bool now);
  void Loop();

  Bus& bus_;
  std::vector<EventSource*> sources_;
  std::vector<SourceState> state_;  // by source
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
