// FunctionRunner: runs a wharf *function* (the Lambda of wharf) as a child process, following the
// contract of DESIGN.md ("Functions"):
//   - the event goes to stdin as JSON; the result comes back on stdout as JSON;
//   - stderr is the function's log, kept whole (up to a cap) with the invocation;
//   - exit 0 is success; otherwise a last stdout line that is a JSON object with "errorType"
//     (and "errorMessage") names the error and cause, as Lambda does; else the error is
//     "States.TaskFailed" with the tail of stderr as the cause;
//   - past the timeout the whole process group is killed (SIGKILL) and the error is
//     "States.Timeout".
// Environment: the function's own env plus WHARF_FUNCTION_NAME, WHARF_EXECUTION_ARN,
// WHARF_DEADLINE_MS (Unix epoch milliseconds) and WHARF_ATTEMPT_ID.
// Thread-safety: Invoke may be called from many threads at once; each call owns its process.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/result.h"

namespace wharf::tasks {

struct FunctionSpec {
  std::string name;
  std::vector<std::string> command;            // argv; command[0] is looked up in PATH
  std::chrono::milliseconds timeout{900'000};  // default 900 s, as Lambda
  std::map<std::string, std::string> env;
  std::string working_dir;                     // empty: inherit
};

struct Invocation {
  Json payload;                                // written to stdin
  std::string execution_arn;
  std::string attempt_id;
  std::optional<std::chrono::milliseconds> timeout;  // the state's TimeoutSeconds, if shorter
};

struct InvocationResult {
  bool ok = false;
  Json output;            // when ok
  Error error;            // when !ok: code = error name, message = cause
  std::string log;        // stderr
  int exit_code = 0;      // -signal when killed by a signal
  std::chrono::microseconds duration{0};
};

// Loads the functions file: {"name": {"command": [...], "timeout": seconds, "env": {...}}}.
// Errors name the file, the function and the field.
Result<std::map<std::string, FunctionSpec>> LoadFunctions(const std::string& path);
Result<std::map<std::string, FunctionSpec>> ParseFunctions(const Json& doc, const std::string& where);

// Runs one invocation to completion (blocking). Spawn failures are errors of the invocation
// (ok == false, code "States.TaskFailed"), not of the caller.
InvocationResult Invoke(const FunctionSpec& spec, const Invocation& invocation);

}  // namespace wharf::tasks
