// ProcessRegistry (see process_registry.h).
#include "tasks/process_registry.h"

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace wharf::tasks {

namespace {

std::string ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

const std::string& BootId() {
  static const std::string id = ReadFirstLine("/proc/sys/kernel/random/boot_id");
  return id;
}

// Field 22 of /proc/PID/stat: the start time in clock ticks after boot; "" when the process is
// gone. The command name (field 2) may hold spaces and parentheses, so count from the last ')'.
std::string StartTime(pid_t pid) {
  std::string stat = ReadFirstLine("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  if (close == std::string::npos) return "";
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i)
    if (i == 22) return field;
  return "";
}

}  // namespace

ProcessRegistry::ProcessRegistry(std::string dir) : dir_(std::move(dir)) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
}

int ProcessRegistry::KillLeftovers() {
  int killed = 0;
  const std::string& boot = BootId();
  std::error_code ec;
  for (auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    std::string name = entry.path().filename().string();
    pid_t pid = static_cast<pid_t>(std::atol(name.c_str()));
    std::istringstream record(ReadFirstLine(entry.path().string()));
    std::string recorded_boot, recorded_start;
    record >> recorded_boot >> recorded_start;
    if (pid > 1 && recorded_boot == boot && !recorded_start.empty() &&
        StartTime(pid) == recorded_start && ::kill(-pid, SIGKILL) == 0)
      ++killed;
    std::filesystem::remove(entry.path(), ec);
  }
  return killed;
}

void ProcessRegistry::Add(pid_t pgid) {
  std::ofstream out(dir_ + "/" + std::to_string(pgid), std::ios::trunc);
  out << BootId() << " " << StartTime(pgid) << "\n";
}

void ProcessRegistry::Remove(pid_t pgid) {
  std::error_code ec;
  std::filesystem::remove(dir_ + "/" + std::to_string(pgid), ec);
}

}  // namespace wharf::tasks
