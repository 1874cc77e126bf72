// The client commands of `wharf`: `start`, `executions`, `describe`, `history`, `stop` and
// `redrive` call the Step Functions API that `wharf serve` serves (AWS JSON 1.0: POST / with
// `X-Amz-Target: AWSStepFunctions.<Action>`, SigV4-signed), as the AWS CLI would.
//
// Where they connect, first match wins (README "Command reference"):
//   1. `--endpoint URL`;
//   2. `--project FILE`: http://<http.listen of that project file>;
//   3. $WHARF_ENDPOINT;
//   4. ./wharf.yaml when it exists: http://<its http.listen>;
//   5. http://127.0.0.1:8700, the default http.listen.
// A listen address on every interface (0.0.0.0, ::) is reached through the loopback address.
//
// Signing: with $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY set (and $AWS_SESSION_TOKEN when
// set), every request carries a SigV4 signature for the service "states" in the region of
// `--region`, else $AWS_REGION, else $AWS_DEFAULT_REGION, else us-east-1. Without credentials, or
// with `--unsigned`, requests go unsigned (for `wharf serve --unauthenticated`).
//
// Exit codes: 0 done; 1 the service answered with an error (printed as "wharf: <ErrorType>:
// <message>"), the endpoint could not be reached, or `start --wait` saw an execution that did not
// succeed; 2 bad usage or unreadable input.
//
// The transport (SendHttp) lives alone in client_http.cc, the only file of cli/ that includes
// Beast, which is slow to compile.
//
// Thread-safety: everything here is called from main's thread; SendHttp and SfnClient hold no
// shared state and may be used from several threads, each with its own SfnClient.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json.h"
#include "core/result.h"

namespace wharf::cli {

// Commands; each takes the arguments after its name and returns the process's exit code.
int StartCommand(const std::vector<std::string>& args);
int ExecutionsCommand(const std::vector<std::string>& args);
int DescribeCommand(const std::vector<std::string>& args);
int HistoryCommand(const std::vector<std::string>& args);
int StopCommand(const std::vector<std::string>& args);
int RedriveCommand(const std::vector<std::string>& args);
// `wharf dead-letters [--json]` and `wharf dead-letters replay ID`: the event bus's dead letters
// through wharf's EventBridge extensions (AWSEvents.ListDeadLetters, AWSEvents.ReplayDeadLetter).
int DeadLettersCommand(const std::vector<std::string>& args);

// The help of client command `command`, for `wharf help COMMAND` and `wharf COMMAND --help`;
// nullptr for a name that is not a client command.
const char* ClientCommandHelp(std::string_view command);

// --- Transport -------------------------------------------------------------------------------

// Error code of a failure to reach the endpoint (resolve, connect, send, receive, time out).
// Its message names the endpoint and is printed without the code.
inline constexpr std::string_view kTransportError = "Transport";
// Error code of a mistake in what the user typed or configured (exit code 2).
inline constexpr std::string_view kUsageError = "Usage";

// Where an endpoint URL points: "http://HOST[:PORT][/PATH]".
struct HttpEndpoint {
  std::string url;          // as given, for messages
  std::string host;         // without brackets for IPv6
  std::string port = "80";  // as text, for the resolver
  std::string host_header;  // HOST[:PORT] as in the URL, brackets kept
  std::string path = "/";   // the request target
};

// Parses an endpoint URL. Only http:// is supported; the message says what is wrong.
Result<HttpEndpoint> ParseEndpointUrl(std::string_view url);

struct HttpRequest {
  std::string method = "POST";
  std::string target = "/";
  std::vector<std::pair<std::string, std::string>> headers;  // sent as given
  std::string body;
};

struct HttpReply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;

  // The first header of that (lower-case) name, or "".
  std::string Header(std::string_view lower_name) const;
};

// Sends one HTTP/1.1 request on a new connection and reads the reply. Each step (connect, write,
// read) must finish within `timeout`. Errors carry kTransportError and name the endpoint.
Result<HttpReply> SendHttp(const HttpEndpoint& endpoint, const HttpRequest& request,
                           std::chrono::milliseconds timeout);

// --- The Step Functions client ----------------------------------------------------------------

struct ClientConfig {
  HttpEndpoint endpoint;
  std::string region = "us-east-1";
  std::string access_key_id;  // empty: requests go unsigned
  std::string secret_access_key;
  std::string session_token;
  std::chrono::milliseconds timeout{60'000};
};

class SfnClient {
 public:
  explicit SfnClient(ClientConfig config) : config_(std::move(config)) {}

  // Calls AWSStepFunctions.<action> with `request`. A service error comes back as an Error whose
  // code is AWS's error name (from `__type` after '#', else `code`, else x-amzn-ErrorType) and
  // whose message is the service's `message`.
  Result<Json> Call(std::string_view action, const Json& request) const;

  // The same for another AWS JSON service of `wharf serve`: `target_prefix` ("AWSEvents"),
  // signed for `signing_name` ("events"), sent as `content_type` (application/x-amz-json-1.1).
  Result<Json> CallService(std::string_view target_prefix, std::string_view signing_name,
                           std::string_view content_type, std::string_view action,
                           const Json& request) const;

  // A state machine's ARN from its ARN (returned as is) or its name (looked up with
  // ListStateMachines; StateMachineDoesNotExist when no machine has that name).
  Result<std::string> StateMachineArn(const std::string& name_or_arn) const;

  // An execution's ARN from its ARN (returned as is) or "MACHINE:NAME".
  Result<std::string> ExecutionArn(const std::string& arn_or_shorthand) const;

  const ClientConfig& config() const { return config_; }

 private:
  ClientConfig config_;
};

// --- Shared by the commands (client.cc) -------------------------------------------------------

// The options every client command takes: --endpoint URL, --project FILE, --region R, --unsigned.
struct ConnectionFlags {
  std::string endpoint;
  std::string project;
  std::string region;
  bool unsigned_requests = false;
};

// A client command's arguments, split into the connection options, the command's own options
// and the positional arguments.
struct ClientArgs {
  ConnectionFlags connection;
  std::vector<std::pair<std::string, std::string>> values;  // options with a value
  std::vector<std::string> switches;                        // options without one
  std::vector<std::string> positional;

  const std::string* Value(std::string_view flag) const;
  bool Has(std::string_view flag) const;
};

// Parses `args` for `command`: `value_flags` take the next argument as their value,
// `switch_flags` take none. The error message names the option and `wharf help COMMAND`.
Result<ClientArgs> ParseClientArgs(const std::vector<std::string>& args, const char* command,
                                   std::vector<std::string_view> value_flags,
                                   std::vector<std::string_view> switch_flags);

// Resolves the endpoint (order in the file comment), region and credentials from the flags and
// the environment. Errors (a bad URL, a project file that does not load, half a credential
// pair) are usage errors.
Result<ClientConfig> MakeClientConfig(const ConnectionFlags& flags);

// Prints "wharf: <ErrorType>: <message>" on stderr and returns 1; for a transport error
// "wharf: <message>" and 1; for a usage error "wharf: <message>" and 2.
int ReportError(const Error& error);

// "2024-01-02T03:04:05.678Z" from epoch seconds as the API sends them; "" when `t` is no number.
std::string FormatApiTime(const Json* t);

// A string member, or "" when absent or not a string.
std::string Str(const Json& object, std::string_view key);
// Writes `text` and a newline to stdout.
void PrintLine(const std::string& text);
// Prints `rows` (the first is the header) as columns two spaces apart. REQUIRES: !rows.empty().
void PrintTable(const std::vector<std::vector<std::string>>& rows);

}  // namespace wharf::cli
