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
//
// Invoke in detail:
//   - Process. The command runs in a new process group, with stdin/stdout/stderr on pipes and no
//     other file descriptor inherited (every descriptor from 3 up is closed in the child), the
//     signal mask empty and every signal at its default action. command[0] without a '/' is
//     looked up in the PATH the function will see (its env's PATH, else wharf's); with a '/' it
//     is used as given (relative to working_dir when that is set).
//   - Environment. Only PATH, HOME, LANG, LC_ALL, TZ and TMPDIR are inherited from wharf (so
//     wharf's own secrets do not reach functions); then the spec's env; then the four WHARF_*
//     variables, which always win.
//   - I/O. The payload is written to stdin while stdout and stderr are read, all at once with
//     poll(), so a function may write its output before reading all of its input. A function
//     that exits or closes stdin without reading the payload is not an error (no SIGPIPE reaches
//     wharf: the calling thread blocks it while it writes).
//   - End. The invocation ends when the function's main process exits; whatever it left running
//     in its process group is then killed (SIGKILL), as Lambda freezes a sandbox after a return.
//     A descendant that left the group (setsid) and keeps a pipe open is waited for at most
//     kDrainGrace, then abandoned.
//   - Timeout. The effective timeout is the shorter of spec.timeout and invocation.timeout (a
//     non-positive invocation timeout is ignored). Past it the process group gets SIGKILL, the
//     error is "States.Timeout" and the cause "Function 'NAME' timed out after N seconds.".
//   - Results (first that applies):
//       killed for the timeout         -> States.Timeout (exit_code = -SIGKILL)
//       stdout beyond max_output_bytes -> States.TaskFailed; the group is killed at once
//       killed by a signal             -> States.TaskFailed, cause "Function 'NAME' was killed by
//                                         signal N (SIGNAME)." then the stderr tail on new lines
//       exit 0                         -> ok; output = stdout parsed as one JSON document, or
//                                         null when stdout is empty or only whitespace. Stdout
//                                         that is not JSON is States.TaskFailed with the parse
//                                         error and the start of stdout as the cause: a function
//                                         that printed junk did not produce a result, and a
//                                         Catch on States.TaskFailed / States.ALL handles it.
//       exit != 0 with an error object -> error = its errorType, cause = the object serialized
//                                         in Lambda's shape (see LambdaErrorCause). The object is
//                                         the last non-empty stdout line, or else the whole of
//                                         stdout (a pretty-printed object); "errorType" must be a
//                                         non-empty string.
//       exit != 0 otherwise            -> States.TaskFailed, cause = the last kCauseTailBytes of
//                                         stderr (from a line start when one is near, trailing
//                                         whitespace trimmed, invalid UTF-8 replaced by U+FFFD);
//                                         "Function 'NAME' exited with status N." when stderr is
//                                         empty.
//       cannot start (no such command, bad working_dir, no file descriptors left)
//                                      -> States.TaskFailed naming the function, the command
//                                         and the system error.
//   - log holds the raw stderr bytes; beyond kMaxLogBytes only the last kMaxLogBytes are kept,
//     after a line "[wharf: N earlier bytes of log dropped]".
// Limits: a descendant that calls setsid() escapes the process-group kill (only a cgroup could
// hold it); such processes are not wharf's to track.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/result.h"
#include "tasks/process_registry.h"

namespace wharf::tasks {

inline constexpr size_t kMaxLogBytes = size_t{1} << 20;      // stderr kept: the last 1 MiB
inline constexpr size_t kMaxOutputBytes = size_t{64} << 20;  // stdout larger than this fails
inline constexpr size_t kCauseTailBytes = 4096;              // stderr tail used as a cause
inline constexpr std::chrono::milliseconds kDrainGrace{1000};

struct FunctionSpec {
  std::string name;
  std::vector<std::string> command;            // argv; command[0] is looked up in PATH
  std::chrono::milliseconds timeout{900'000};  // default 900 s, as Lambda; REQUIRES: positive
  std::map<std::string, std::string> env;
  std::string working_dir;                    // empty: inherit
  size_t max_output_bytes = kMaxOutputBytes;  // stdout beyond this fails the invocation
};

// How the cause of a function error object is printed. AWS prints it differently per resource
// (see the AWS recordings in shared/conformance/aws-recorded/error_handling__task_*):
//   kCompact: arn:aws:states:::lambda:invoke -> {"errorMessage":"m","errorType":"E",...}
//   kPython:  arn:aws:lambda:...:function:X  -> {"errorMessage": "m", "errorType": "E", ...}
//             (the Python runtime's json.dumps: ", " and ": " separators, non-ASCII as \uXXXX)
enum class CauseFormat { kCompact, kPython };

struct Invocation {
  Json payload;  // written to stdin
  std::string execution_arn;
  std::string attempt_id;
  // 1 for the first run of this attempt id; more when the durable engine runs it again because
  // its process was lost (a crash or kill of wharf while it ran).
  int64_t attempt_number = 1;
  // Records the process while it runs, so that a wharf started after a crash can kill it
  // (process_registry.h); nullptr for none.
  ProcessRegistry* registry = nullptr;
  std::optional<std::chrono::milliseconds> timeout;  // the state's TimeoutSeconds, if shorter
  CauseFormat cause_format = CauseFormat::kCompact;  // for an errorType object's cause
};

struct InvocationResult {
  bool ok = false;
  Json output;        // when ok
  Error error;        // when !ok: code = error name, message = cause
  std::string log;    // stderr
  int exit_code = 0;  // -signal when killed by a signal
  std::chrono::microseconds duration{0};
  Json error_object;  // the function's error object (errorType line), else null
};

// Loads the functions file (functions_file.cc): {"name": {"command": [...], "timeout": seconds,
// "env": {...}, "cwd": "dir"}}.
//   command: required, a non-empty array of strings (no NUL characters).
//   timeout: a number of seconds, > 0 and at most one year (31,536,000); default 900. Fractions
//            are kept to the millisecond.
//   env:     an object of strings; names are non-empty, without '=' or NUL; the WHARF_* names the
//            runner sets are refused.
//   cwd:     a string; relative paths are relative to the functions file's folder. Default: the
//            functions file's folder (docs/decisions.md), so ["node", "main.js"] works from
//            anywhere.
// A command[0] that contains a '/' and is relative is made absolute against the functions file's
// folder (not against cwd); one without '/' is looked up in PATH at each invocation.
// Unknown keys and bad values are errors (code "InvalidFunctions", "Io" when the file cannot be
// read) whose message names the file, the function and the field.
Result<std::map<std::string, FunctionSpec>> LoadFunctions(const std::string& path);
// `where` names the document in messages. `base_dir` (absolute) is the folder relative paths
// are resolved against and the default working directory; empty: relative paths are kept as
// written and the working directory is inherited.
Result<std::map<std::string, FunctionSpec>> ParseFunctions(const Json& doc,
                                                           const std::string& where,
                                                           const std::string& base_dir = "");

// Runs one invocation to completion (blocking). Spawn failures are errors of the invocation
// (ok == false, code "States.TaskFailed"), not of the caller.
InvocationResult Invoke(const FunctionSpec& spec, const Invocation& invocation);

// The cause AWS reports for a Lambda function error: the error object with "errorMessage" first
// ("" when the function gave none), then "errorType", then the function's other members
// (requestId, stackTrace, ...) in their order. REQUIRES: error_object is an object.
std::string LambdaErrorCause(const Json& error_object, CauseFormat format);

}  // namespace wharf::tasks
