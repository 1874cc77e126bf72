#include "store/state_store.h"

namespace wharf::store {

const char* MachineTypeName(MachineType t) {
  return t == MachineType::kExpress ? "EXPRESS" : "STANDARD";
}

std::optional<MachineType> ParseMachineType(std::string_view name) {
  if (name == "STANDARD") return MachineType::kStandard;
  if (name == "EXPRESS") return MachineType::kExpress;
  return std::nullopt;
}

const char* ExecutionStatusName(ExecutionStatus s) {
  switch (s) {
    case ExecutionStatus::kRunning:
      return "RUNNING";
    case ExecutionStatus::kSucceeded:
      return "SUCCEEDED";
    case ExecutionStatus::kFailed:
      return "FAILED";
    case ExecutionStatus::kTimedOut:
      return "TIMED_OUT";
    case ExecutionStatus::kAborted:
      return "ABORTED";
    case ExecutionStatus::kPendingRedrive:
      return "PENDING_REDRIVE";
  }
  return "RUNNING";
}

std::optional<ExecutionStatus> ParseExecutionStatus(std::string_view name) {
  for (auto s :
       {ExecutionStatus::kRunning, ExecutionStatus::kSucceeded, ExecutionStatus::kFailed,
        ExecutionStatus::kTimedOut, ExecutionStatus::kAborted, ExecutionStatus::kPendingRedrive}) {
    if (name == ExecutionStatusName(s)) return s;
  }
  return std::nullopt;
}

bool IsClosed(ExecutionStatus s) {
  return s == ExecutionStatus::kSucceeded || s == ExecutionStatus::kFailed ||
         s == ExecutionStatus::kTimedOut || s == ExecutionStatus::kAborted;
}

const char* TaskStateName(TaskState s) {
  switch (s) {
    case TaskState::kReady:
      return "READY";
    case TaskState::kLeased:
      return "LEASED";
    case TaskState::kWaiting:
      return "WAITING";
    case TaskState::kDone:
      return "DONE";
  }
  return "READY";
}

}  // namespace wharf::store
