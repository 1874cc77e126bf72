// The `wharf` command line. Thread-safety: single-threaded entry point.
// The client commands (start, executions, describe, history, stop, redrive) are in client*.cc.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "asl/definition.h"
#include "cli/client.h"
#include "cli/common.h"
#include "cli/events.h"
#include "cli/passwd.h"
#include "cli/serve.h"
#include "core/memory.h"
#include "engine/run.h"
#include "tasks/function_runner.h"

namespace {

using wharf::Json;

constexpr const char* kUsage =
    R"(wharf: a batch pipeline in one binary (Amazon States Language engine)

Usage:
  wharf run DEFINITION.json [--input FILE|-] [--functions FILE] [--history] [--no-quotas] [--pretty]
  wharf validate DEFINITION.json
  wharf serve [--project wharf.yaml] [--http HOST:PORT] [--sftp HOST:PORT] [--ftp HOST:PORT]
              [--data DIR] [--unauthenticated]
  wharf start MACHINE [--name N] [--input JSON | --input-file F] [--wait]
  wharf executions [MACHINE] [--status S] [--limit N] [--json]
  wharf describe EXECUTION [--json]
  wharf history EXECUTION [--reverse] [--json]
  wharf stop EXECUTION [--error E] [--cause C]
  wharf redrive EXECUTION
  wharf dead-letters [--limit N] [--json] | replay ID
  wharf passwd [--verify HASH]
  wharf events [--project wharf.yaml] [--data DIR] [--after SEQ] [--limit N] [--json]
  wharf cat KEY [--project wharf.yaml] [--data DIR]
  wharf help [COMMAND]
  wharf --help | --version

Commands:
  run        Runs one execution of a state machine and prints its output as JSON.
  validate   Checks a definition and prints "valid" or what is wrong and where.
  serve      Serves the project's state machines through the Step Functions API.
  start      Starts an execution through that API (and waits for it with --wait).
  executions Lists executions.
  describe   Shows an execution.
  history    Prints an execution's history events.
  stop       Stops a running execution.
  redrive    Restarts a failed execution from where it failed.
  dead-letters Lists the event deliveries that failed for good; replays one.
  passwd     Prints a password hash for a file-transfer user of the project file.
  events     Lists the event bus: uploads, downloads, deletes, renames, status changes.
  cat        Prints a file of the landing store.
  help       Shows help for a command.

Run `wharf help run` for the exit codes and options of `run`. The client commands (start ...
redrive) find the API through --endpoint, --project, $WHARF_ENDPOINT or ./wharf.yaml and sign
with $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY; `wharf help start` says how.
)";

constexpr const char* kRunHelp = R"(wharf run DEFINITION.json [options]

Runs one execution of the state machine in DEFINITION.json (Amazon States Language, JSONPath
mode) in memory and prints one JSON document on stdout:
  - the execution's output, exit code 0, when it succeeds;
  - {"Error": ..., "Cause": ...}, exit code 1, when it fails or times out;
  - nothing on stdout and a message on stderr, exit code 2, when the definition is invalid or a
    file cannot be read.

Options:
  --input FILE|-      The execution input (JSON); "-" reads stdin. Default: {}.
  --functions FILE    The functions file: {"NAME": {"command": [argv...], "timeout": seconds,
                      "env": {...}}}. Task states call them through
                      arn:aws:lambda:REGION:ACCOUNT:function:NAME or arn:aws:states:::lambda:invoke.
  --history           Print the execution's history events (GetExecutionHistory shape) instead.
  --no-quotas         Lift the AWS quotas (256 KiB payloads, 25,000 history events).
  --pretty            Indent the printed JSON.
  --name NAME         The execution's name (default: a random UUID).
)";

constexpr const char* kValidateHelp = R"(wharf validate DEFINITION.json

Checks a state machine definition as AWS's ValidateStateMachineDefinition does. Prints "valid"
and exits 0, or prints each problem with the file, line, state and field, and exits 2.
)";

constexpr const char* kServeHelp = R"(wharf serve [--project wharf.yaml] [options]

Loads the project file (default ./wharf.yaml; its keys are in the README), opens the data
folder (an SQLite database, created at first start), puts the project's state machines in it,
resumes the executions that were running, and serves the Step Functions API (AWS JSON 1.0
protocol) so that the AWS CLI and SDKs work with --endpoint-url. Every request must carry a
SigV4 signature made with one of the project's access keys.

Every step of an execution is committed before it is acted on: after a crash or kill -9, start
it again and the executions carry on where they stood. SIGINT or SIGTERM stops it; running
function processes are waited for.

Options:
  --project FILE      The project file.
  --http HOST:PORT    Where the API listens, overriding http.listen (port 0 picks a free one).
  --data DIR          The data folder, overriding the project's `data`.
  --sftp HOST:PORT    Serve SFTP there, overriding servers.sftp.listen (and enabling it).
  --ftp HOST:PORT     Serve FTP and explicit FTPS there, overriding servers.ftp.listen.
  --unauthenticated   Accept unsigned requests (local use only).
)";

using wharf::cli::ClientCommandHelp;
using wharf::cli::Fail;
using wharf::cli::ReadFile;

wharf::Result<std::shared_ptr<const wharf::asl::StateMachine>> LoadDefinition(
    const std::string& path) {
  std::string text, error;
  if (!ReadFile(path, text, error)) return wharf::MakeError("Io", error);
  wharf::asl::ParseOptions options;
  options.source_name = path;
  return wharf::asl::ParseDefinition(text, options);
}

int Validate(const std::vector<std::string>& args) {
  if (args.size() != 1) return Fail("usage: wharf validate DEFINITION.json");
  auto machine = LoadDefinition(args[0]);
  if (!machine.ok()) return Fail(machine.error().message);
  std::puts("valid");
  return 0;
}

int Run(const std::vector<std::string>& args) {
  std::string definition, input_path, functions_path, name;
  bool history = false, pretty = false;
  wharf::engine::RunOptions options;
  wharf::cli::ArgCursor arg(args);
  while (arg.Next()) {
    const std::string& a = arg.Current();
    if (arg.Is("--input")) {
      if (!arg.Value(input_path)) return Fail("--input needs a file name or -");
    } else if (arg.Is("--functions")) {
      if (!arg.Value(functions_path)) return Fail("--functions needs a file name");
    } else if (arg.Is("--name")) {
      if (!arg.Value(name)) return Fail("--name needs a value");
    } else if (a == "--history") {
      history = true;
    } else if (a == "--no-quotas") {
      options.quotas = false;
    } else if (a == "--pretty") {
      pretty = true;
    } else if (a.rfind("--", 0) == 0) {
      return Fail("unknown option " + a + " (see `wharf help run`)");
    } else if (definition.empty()) {
      definition = a;
    } else {
      return Fail("unexpected argument " + a + " (see `wharf help run`)");
    }
  }
  if (definition.empty())
    return Fail("usage: wharf run DEFINITION.json [--input FILE|-] (see `wharf help run`)");
  auto machine = LoadDefinition(definition);
  if (!machine.ok()) return Fail(machine.error().message);

  Json input = Json::EmptyObject();
  if (!input_path.empty()) {
    std::string text, error;
    if (!ReadFile(input_path, text, error)) return Fail(error);
    auto parsed = Json::Parse(text);
    if (!parsed.ok())
      return Fail((input_path == "-" ? "stdin" : input_path) + ": " + parsed.error().message);
    input = std::move(*parsed);
  }
  if (!functions_path.empty()) {
    auto functions = wharf::tasks::LoadFunctions(functions_path);
    if (!functions.ok()) return Fail(functions.error().message);
    options.functions = std::move(*functions);
  }
  options.execution_name = name;
  auto dot = definition.find_last_of('/');
  std::string base = definition.substr(dot == std::string::npos ? 0 : dot + 1);
  options.state_machine_name = base.substr(0, base.find('.'));
  options.record_history = true;

  auto result = wharf::engine::RunExecution(*machine, input, options);
  auto print = [&](const Json& j) {
    std::string text = pretty ? j.Pretty() : j.Dump();
    text.push_back('\n');
    std::fwrite(text.data(), 1, text.size(), stdout);
  };
  if (history) {
    wharf::JsonArray events;
    events.reserve(result.history.size());
    for (auto& e : result.history) events.push_back(e.ToJson());
    print(Json::Array(std::move(events)));
  } else if (result.status == wharf::engine::ExecutionStatus::kSucceeded) {
    print(result.output);
  } else {
    std::vector<wharf::JsonMember> m;
    m.emplace_back("Error", result.error ? Json::String(*result.error) : Json());
    m.emplace_back("Cause", result.cause ? Json::String(*result.cause) : Json());
    print(Json::Object(std::move(m)));
  }
  return result.status == wharf::engine::ExecutionStatus::kSucceeded ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  wharf::TuneAllocator();
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version") {
    std::puts("wharf 0.1.0");
    return 0;
  }
  std::string command = args[0];
  args.erase(args.begin());
  if (command == "help") {
    if (args.empty())
      std::fputs(kUsage, stdout);
    else if (args[0] == "run")
      std::fputs(kRunHelp, stdout);
    else if (args[0] == "validate")
      std::fputs(kValidateHelp, stdout);
    else if (args[0] == "serve")
      std::fputs(kServeHelp, stdout);
    else if (args[0] == "passwd")
      std::fputs(wharf::cli::kPasswdHelp, stdout);
    else if (args[0] == "events")
      std::fputs(wharf::cli::kEventsHelp, stdout);
    else if (args[0] == "cat")
      std::fputs(wharf::cli::kCatHelp, stdout);
    else if (const char* help = ClientCommandHelp(args[0]))
      std::fputs(help, stdout);
    else
      return Fail("no help for unknown command '" + args[0] + "'");
    return 0;
  }
  for (auto& a : args)
    if (a == "--help" || a == "-h") {
      std::fputs(command == "run"             ? kRunHelp
                 : command == "validate"      ? kValidateHelp
                 : command == "serve"         ? kServeHelp
                 : command == "passwd"        ? wharf::cli::kPasswdHelp
                 : command == "events"        ? wharf::cli::kEventsHelp
                 : command == "cat"           ? wharf::cli::kCatHelp
                 : ClientCommandHelp(command) ? ClientCommandHelp(command)
                                              : kUsage,
                 stdout);
      return 0;
    }
  if (command == "run") return Run(args);
  if (command == "validate") return Validate(args);
  if (command == "serve") return wharf::cli::Serve(args);
  if (command == "start") return wharf::cli::StartCommand(args);
  if (command == "executions") return wharf::cli::ExecutionsCommand(args);
  if (command == "describe") return wharf::cli::DescribeCommand(args);
  if (command == "history") return wharf::cli::HistoryCommand(args);
  if (command == "stop") return wharf::cli::StopCommand(args);
  if (command == "redrive") return wharf::cli::RedriveCommand(args);
  if (command == "dead-letters") return wharf::cli::DeadLettersCommand(args);
  if (command == "passwd") return wharf::cli::PasswdCommand(args);
  if (command == "events") return wharf::cli::EventsCommand(args);
  if (command == "cat") return wharf::cli::CatCommand(args);
  return Fail("unknown command '" + command + "' (see `wharf --help`)");
}
