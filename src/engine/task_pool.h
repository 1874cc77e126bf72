// TaskPool: runs function invocations on worker threads (started on demand, up to a limit) and
// hands the results back to the executor's loop, which waits for them with Wait().
// Thread-safety: Submit and Wait are called by the executor's thread; workers are internal.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "tasks/function_runner.h"

namespace wharf::engine {

// Runs function invocations on worker threads and hands the results back to the executor.
class TaskPool {
 public:
  struct Done {
    uint64_t ticket;
    tasks::InvocationResult result;
  };
  explicit TaskPool(int threads) : max_threads_(std::max(1, threads)) {}
  ~TaskPool() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    work_cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  void Submit(uint64_t ticket, std::function<tasks::InvocationResult()> work) {
    std::lock_guard lock(mu_);
    queue_.push_back({ticket, std::move(work)});
    if (static_cast<int>(threads_.size()) < max_threads_ && idle_ == 0)
      threads_.emplace_back([this] { Loop(); });
    work_cv_.notify_one();
  }
  // Waits for a finished task until `deadline` (or forever when nullopt); false on timeout.
  bool Wait(std::optional<TimePoint> deadline, std::vector<Done>& out) {
    std::unique_lock lock(mu_);
    auto ready = [&] { return !done_.empty(); };
    if (deadline) {
      if (!done_cv_.wait_until(lock, *deadline, ready)) return false;
    } else {
      done_cv_.wait(lock, ready);
    }
    for (auto& d : done_) out.push_back(std::move(d));
    done_.clear();
    return true;
  }

 private:
  void Loop() {
    std::unique_lock lock(mu_);
    for (;;) {
      ++idle_;
      work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      --idle_;
      if (queue_.empty()) return;
      auto item = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      auto result = item.second();
      lock.lock();
      done_.push_back({item.first, std::move(result)});
      done_cv_.notify_one();
    }
  }
  const int max_threads_;
  std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::deque<std::pair<uint64_t, std::function<tasks::InvocationResult()>>> queue_;
  std::vector<Done> done_;
  std::vector<std::thread> threads_;
  int idle_ = 0;
  bool stopping_ = false;
};

}  // namespace wharf::engine
