// Help texts of the client commands (see client.h), in the style of main.cc's.
#include <map>
#include <string>

#include "cli/client.h"

namespace wharf::cli {

namespace {

constexpr const char* kConnectionHelp = R"(
Connection (every client command):
  --endpoint URL      The API's address, http://HOST:PORT. Without it: the http.listen of
                      --project FILE if given, else $WHARF_ENDPOINT, else the http.listen of
                      ./wharf.yaml if it exists, else http://127.0.0.1:8700.
  --project FILE      The project file whose http.listen names the endpoint.
  --region REGION     The SigV4 signing region (default: $AWS_REGION, $AWS_DEFAULT_REGION,
                      us-east-1).
  --unsigned          Send unsigned requests (for `wharf serve --unauthenticated`). Requests are
                      also unsigned when $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY are not
                      set; when they are, each request is signed with them (SigV4, service
                      "states", or "events" for dead-letters; $AWS_SESSION_TOKEN is sent when
                      set).

Exit codes: 0 done; 1 the service answered with an error, printed as
"wharf: <ErrorType>: <message>", or the endpoint could not be reached; 2 bad usage.
)";

constexpr const char* kStartHelp =
    R"(wharf start MACHINE [--name N] [--input JSON | --input-file F] [--wait] [connection]

Starts an execution of a STANDARD state machine (StartExecution) and prints its ARN.
MACHINE is a state machine's ARN or its name (looked up with ListStateMachines).

Options:
  --name N            The execution's name (default: one the service makes, a UUID).
  --input JSON        The execution's input as JSON text. Default: {}.
  --input-file F      Read the input from file F; "-" reads stdin.
  --wait              Then poll DescribeExecution until the execution closes and print its
                      status, then its output (SUCCEEDED, exit 0) or {"Error": ..., "Cause": ...}
                      (FAILED, TIMED_OUT, ABORTED: exit 1).
)";

constexpr const char* kExecutionsHelp =
    R"(wharf executions [MACHINE] [--status S] [--limit N] [--json] [connection]

Lists executions, newest first (ListExecutions, following nextToken pages), as a table of
name, status, start and stop time (UTC). MACHINE is a state machine's ARN or name; without it,
the executions of every STANDARD state machine, with a MACHINE column.

Options:
  --status S          Only executions with status S: RUNNING, SUCCEEDED, FAILED, TIMED_OUT,
                      ABORTED or PENDING_REDRIVE.
  --limit N           At most N executions (default 100).
  --json              Print the executions as a JSON array, as ListExecutions returns them.
)";

constexpr const char* kDescribeHelp = R"(wharf describe EXECUTION [--json] [connection]

Shows an execution (DescribeExecution): its ARN, state machine, name, status, start and stop
times, redrives, input, and output or error and cause. EXECUTION is an execution's ARN or
MACHINE:NAME (a state machine's name, a colon, the execution's name).

Options:
  --json              Print DescribeExecution's answer as JSON instead.
)";

constexpr const char* kHistoryHelp = R"(wharf history EXECUTION [--reverse] [--json] [connection]

Prints an execution's history (GetExecutionHistory, every page), one line per event: id, time
(UTC), type, the state's name (with [INDEX] for a Map iteration), and error: cause for
failures. EXECUTION is an execution's ARN or MACHINE:NAME.

Options:
  --reverse           Newest event first.
  --json              Print the events as a JSON array, as GetExecutionHistory returns them.
)";

constexpr const char* kStopHelp = R"(wharf stop EXECUTION [--error E] [--cause C] [connection]

Stops a running execution (StopExecution); it ends ABORTED. Prints the stop time.
EXECUTION is an execution's ARN or MACHINE:NAME.

Options:
  --error E           The error code recorded with the stop.
  --cause C           A longer explanation recorded with it.
)";

constexpr const char* kRedriveHelp = R"(wharf redrive EXECUTION [connection]

Restarts a FAILED, TIMED_OUT or ABORTED execution from the state that did not succeed
(RedriveExecution), keeping what already succeeded. Prints the redrive time.
EXECUTION is an execution's ARN or MACHINE:NAME.
)";

constexpr const char* kDeadLettersHelp =
    R"(wharf dead-letters [--limit N] [--json] [connection]
wharf dead-letters replay ID [connection]

Lists the event bus's dead letters, oldest first: deliveries of a matched event to a rule's
target that failed for good (the target refused it, its retries ran out, or the event grew older
than the target's MaximumEventAgeInSeconds), with the reason. Columns: ID, FAILED, RULE, TARGET,
ATTEMPTS, EVENT (the event's id) and REASON. `replay ID` queues that delivery again as a first
attempt and removes the dead letter; if it fails again it comes back with a new ID.
These call wharf's EventBridge extensions AWSEvents.ListDeadLetters and
AWSEvents.ReplayDeadLetter (docs/events.md); AWS has no such actions.

  --limit N           At most N dead letters (1 to 1000, default 100).
  --json              Print the DeadLetters array as ListDeadLetters returns it (with each
                      event as JSON text).
)";

}  // namespace

const char* ClientCommandHelp(std::string_view command) {
  const char* text = command == "start"          ? kStartHelp
                     : command == "executions"   ? kExecutionsHelp
                     : command == "describe"     ? kDescribeHelp
                     : command == "history"      ? kHistoryHelp
                     : command == "stop"         ? kStopHelp
                     : command == "redrive"      ? kRedriveHelp
                     : command == "dead-letters" ? kDeadLettersHelp
                                                 : nullptr;
  if (!text) return nullptr;
  // Built once per command; main's thread only.
  static std::map<std::string, std::string, std::less<>> texts;
  auto [it, added] = texts.try_emplace(std::string(command));
  if (added) it->second = std::string(text) + kConnectionHelp;
  return it->second.c_str();
}

}  // namespace wharf::cli
