// WorkerPool: the threads that run the durable engine's function tasks. At most `max_threads`
// run at once, and at most `limits[function]` of one function (0 or absent: no limit of its
// own); work over a limit waits, first come first served per function, while other functions'
// work goes ahead.
// Thread-safety: Submit and Stop may be called from any thread.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace wharf::engine {

class WorkerPool {
 public:
  WorkerPool(int max_threads, std::map<std::string, int> limits)
      : max_threads_(std::max(1, max_threads)), limits_(std::move(limits)) {}
  ~WorkerPool() { Stop(); }

  void Submit(std::string function, std::function<void()> work) {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    queue_.push_back({std::move(function), std::move(work)});
    if (idle_ == 0 && static_cast<int>(threads_.size()) < max_threads_)
      threads_.emplace_back([this] { Loop(); });
    cv_.notify_all();
  }

  // Drops the work that has not started and waits for the running work to finish.
  void Stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      queue_.clear();
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  int running(const std::string& function) const {
    std::lock_guard lock(mu_);
    auto it = running_.find(function);
    return it == running_.end() ? 0 : it->second;
  }

 private:
  struct Item {
    std::string function;
    std::function<void()> work;
  };

  // The first queued item whose function is under its limit; queue_.end() for none.
  std::deque<Item>::iterator Runnable() {
    for (auto it = queue_.begin(); it != queue_.end(); ++it) {
      auto limit = limits_.find(it->function);
      if (limit == limits_.end() || limit->second <= 0 || running_[it->function] < limit->second)
        return it;
    }
    return queue_.end();
  }

  void Loop() {
    std::unique_lock lock(mu_);
    for (;;) {
      ++idle_;
      std::deque<Item>::iterator it;
      cv_.wait(lock, [&] { return stopping_ || (it = Runnable()) != queue_.end(); });
      --idle_;
      if (stopping_) return;
      Item item = std::move(*it);
      queue_.erase(it);
      ++running_[item.function];
      lock.unlock();
      item.work();
      lock.lock();
      --running_[item.function];
      cv_.notify_all();  // a slot of this function is free again
    }
  }

  const int max_threads_;
  const std::map<std::string, int> limits_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  std::map<std::string, int> running_;
  std::vector<std::thread> threads_;
  int idle_ = 0;
  bool stopping_ = false;
};

}  // namespace wharf::engine
