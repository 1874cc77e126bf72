// ProcessRegistry: the function processes a wharf has running, kept as one small file per process
// group in a folder of the data folder, so that the next wharf started on that folder can kill
// what a crash left behind. Without it, a function orphaned by `kill -9` of wharf would keep
// running beside its own re-run.
//
// A record holds the kernel's boot id and the process's start time (/proc/PID/stat), so a
// process id reused by an unrelated process is never killed.
// Thread-safety: Add and Remove may be called from any thread; KillLeftovers before any Add.
#pragma once

#include <sys/types.h>

#include <string>

namespace wharf::tasks {

class ProcessRegistry {
 public:
  // `dir` is created when missing.
  explicit ProcessRegistry(std::string dir);

  // Sends SIGKILL to every recorded process group whose leader is still the recorded process,
  // and removes every record. Returns how many groups were killed.
  int KillLeftovers();

  void Add(pid_t pgid);
  void Remove(pid_t pgid);

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace wharf::tasks
