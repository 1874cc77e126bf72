// `wharf start`, `executions`, `describe`, `history`, `stop` and `redrive` (see client.h): each
// turns its arguments into Step Functions API calls and prints the answer for people.
// Request and response shapes follow the Step Functions API reference.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli/client.h"
#include "cli/common.h"

namespace wharf::cli {

std::string Str(const Json& object, std::string_view key) {
  const Json* v = object.find(key);
  return v && v->is_string() ? v->as_string() : "";
}

void PrintLine(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
}

void PrintTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(rows[0].size(), 0);
  for (auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  for (auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    PrintLine(line);
  }
}

namespace {

// Parses the arguments and makes the client; on failure prints the message and sets `exit_code`.
struct Invocation {
  ClientArgs args;
  std::optional<SfnClient> client;
  int exit_code = 0;
};

Invocation Begin(const std::vector<std::string>& args, const char* command,
                 std::vector<std::string_view> value_flags,
                 std::vector<std::string_view> switch_flags, size_t min_positional,
                 size_t max_positional, const char* usage) {
  Invocation inv;
  auto parsed = ParseClientArgs(args, command, std::move(value_flags), std::move(switch_flags));
  if (!parsed.ok()) {
    inv.exit_code = ReportError(parsed.error());
    return inv;
  }
  inv.args = std::move(*parsed);
  size_t n = inv.args.positional.size();
  if (n < min_positional || n > max_positional) {
    inv.exit_code = Fail(std::string("usage: ") + usage + " (see `wharf help " + command + "`)");
    return inv;
  }
  auto config = MakeClientConfig(inv.args.connection);
  if (!config.ok()) {
    inv.exit_code = ReportError(config.error());
    return inv;
  }
  inv.client.emplace(std::move(*config));
  return inv;
}

bool IsClosed(const std::string& status) {
  return status != "RUNNING" && status != "PENDING_REDRIVE" && !status.empty();
}

}  // namespace

int StartCommand(const std::vector<std::string>& args) {
  Invocation inv = Begin(args, "start", {"--name", "--input", "--input-file"}, {"--wait"}, 1, 1,
                         "wharf start MACHINE [--name N] [--input JSON | --input-file F] [--wait]");
  if (!inv.client) return inv.exit_code;
  const ClientArgs& a = inv.args;
  const std::string* input_text = a.Value("--input");
  const std::string* input_file = a.Value("--input-file");
  if (input_text && input_file) return Fail("give --input or --input-file, not both");
  std::string input = "{}";
  if (input_text) {
    input = *input_text;
    if (auto parsed = Json::Parse(input); !parsed.ok())
      return Fail("--input is not JSON: " + parsed.error().message);
  } else if (input_file) {
    std::string error;
    if (!ReadFile(*input_file, input, error)) return Fail(error);
    if (auto parsed = Json::Parse(input); !parsed.ok())
      return Fail((*input_file == "-" ? std::string("stdin") : *input_file) +
                  " is not JSON: " + parsed.error().message);
  }

  const SfnClient& client = *inv.client;
  auto machine = client.StateMachineArn(a.positional[0]);
  if (!machine.ok()) return ReportError(machine.error());
  std::vector<JsonMember> request{{"stateMachineArn", Json::String(*machine)},
                                  {"input", Json::String(input)}};
  if (const std::string* name = a.Value("--name"))
    request.emplace_back("name", Json::String(*name));
  auto started = client.Call("StartExecution", Json::Object(std::move(request)));
  if (!started.ok()) return ReportError(started.error());
  std::string arn = Str(*started, "executionArn");
  if (arn.empty())
    return ReportError(
        MakeError(std::string(kTransportError),
                  client.config().endpoint.url +
                      " answered StartExecution without an executionArn: " + started->Dump()));
  PrintLine(arn);
  std::fflush(stdout);
  if (!a.Has("--wait")) return 0;

  // Poll until the execution closes: quickly at first, for short executions, then once a second.
  auto delay = std::chrono::milliseconds(50);
  for (;;) {
    auto described =
        client.Call("DescribeExecution", Json::Object({{"executionArn", Json::String(arn)}}));
    if (!described.ok()) return ReportError(described.error());
    std::string status = Str(*described, "status");
    if (IsClosed(status)) {
      PrintLine(status);
      if (status == "SUCCEEDED") {
        PrintLine(Str(*described, "output"));
        return 0;
      }
      // As `wharf run` prints a failure.
      auto text_or_null = [&](std::string_view key) {
        const Json* v = described->find(key);
        return v && v->is_string() ? *v : Json();
      };
      PrintLine(Json::Object({{"Error", text_or_null("error")}, {"Cause", text_or_null("cause")}})
                    .Dump());
      return 1;
    }
    std::this_thread::sleep_for(delay);
    delay = std::min<std::chrono::milliseconds>(delay * 2, std::chrono::seconds(1));
  }
}

int ExecutionsCommand(const std::vector<std::string>& args) {
  Invocation inv = Begin(args, "executions", {"--status", "--limit"}, {"--json"}, 0, 1,
                         "wharf executions [MACHINE] [--status S] [--limit N] [--json]");
  if (!inv.client) return inv.exit_code;
  const ClientArgs& a = inv.args;
  const SfnClient& client = *inv.client;

  int64_t limit = 100;
  if (const std::string* l = a.Value("--limit")) {
    char* end = nullptr;
    long long v = std::strtoll(l->c_str(), &end, 10);
    if (l->empty() || *end != '\0' || v < 1)
      return Fail("--limit must be a positive number, got '" + *l + "'");
    limit = v;
  }
  std::string status;
  if (const std::string* s = a.Value("--status")) {
    status = *s;
    for (char& c : status) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    static constexpr std::string_view kStatuses[] = {"RUNNING",   "SUCCEEDED", "FAILED",
                                                     "TIMED_OUT", "ABORTED",   "PENDING_REDRIVE"};
    if (std::find(std::begin(kStatuses), std::end(kStatuses), status) == std::end(kStatuses))
      return Fail(
          "--status must be one of RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, "
          "PENDING_REDRIVE; got '" +
          *s + "'");
  }

  // Which state machines: the one named, or every one the service lists.
  std::vector<std::string> machines;
  bool all = a.positional.empty();
  if (!all) {
    auto arn = client.StateMachineArn(a.positional[0]);
    if (!arn.ok()) return ReportError(arn.error());
    machines.push_back(*arn);
  } else {
    std::string token;
    do {
      std::vector<JsonMember> request{{"maxResults", Json::Int(1000)}};
      if (!token.empty()) request.emplace_back("nextToken", Json::String(token));
      auto page = client.Call("ListStateMachines", Json::Object(std::move(request)));
      if (!page.ok()) return ReportError(page.error());
      if (const Json* list = page->find("stateMachines"); list && list->is_array())
        for (const Json& m : list->as_array())
          // ListExecutions answers StateMachineTypeNotSupported for EXPRESS state machines
          // (their executions are not recorded), so listing every machine skips them.
          if (Str(m, "type") != "EXPRESS") machines.push_back(Str(m, "stateMachineArn"));
      token = Str(*page, "nextToken");
    } while (!token.empty());
  }

  JsonArray executions;
  for (const std::string& machine : machines) {
    std::string token;
    int64_t taken = 0;
    do {
      std::vector<JsonMember> request{
          {"stateMachineArn", Json::String(machine)},
          {"maxResults", Json::Int(std::min<int64_t>(limit - taken, 1000))}};
      if (!status.empty()) request.emplace_back("statusFilter", Json::String(status));
      if (!token.empty()) request.emplace_back("nextToken", Json::String(token));
      auto page = client.Call("ListExecutions", Json::Object(std::move(request)));
      if (!page.ok()) return ReportError(page.error());
      if (const Json* list = page->find("executions"); list && list->is_array())
        for (const Json& e : list->as_array()) {
          if (taken == limit) break;
          executions.push_back(e);
          ++taken;
        }
      token = Str(*page, "nextToken");
    } while (!token.empty() && taken < limit);
  }
  // Newest first across machines, as ListExecutions orders one machine's executions.
  if (all) {
    std::stable_sort(executions.begin(), executions.end(), [](const Json& x, const Json& y) {
      const Json* a = x.find("startDate");
      const Json* b = y.find("startDate");
      return (a && a->is_number() ? a->as_double() : 0) >
             (b && b->is_number() ? b->as_double() : 0);
    });
    if (static_cast<int64_t>(executions.size()) > limit) executions.resize(limit);
  }

  if (a.Has("--json")) {
    PrintLine(Json::Array(std::move(executions)).Dump());
    return 0;
  }
  if (executions.empty()) {
    std::fprintf(stderr, "wharf: no executions%s%s\n", status.empty() ? "" : " with status ",
                 status.c_str());
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"NAME", "STATUS", "START", "STOP"});
  if (all) rows[0].insert(rows[0].begin(), "MACHINE");
  for (const Json& e : executions) {
    std::string stop = FormatApiTime(e.find("stopDate"));
    std::vector<std::string> row{Str(e, "name"), Str(e, "status"),
                                 FormatApiTime(e.find("startDate")), stop.empty() ? "-" : stop};
    if (all) {
      std::string machine = Str(e, "stateMachineArn");
      row.insert(row.begin(), machine.substr(machine.rfind(':') + 1));
    }
    rows.push_back(std::move(row));
  }
  PrintTable(rows);
  return 0;
}

int DescribeCommand(const std::vector<std::string>& args) {
  Invocation inv =
      Begin(args, "describe", {}, {"--json"}, 1, 1, "wharf describe EXECUTION [--json]");
  if (!inv.client) return inv.exit_code;
  auto arn = inv.client->ExecutionArn(inv.args.positional[0]);
  if (!arn.ok()) return ReportError(arn.error());
  auto e =
      inv.client->Call("DescribeExecution", Json::Object({{"executionArn", Json::String(*arn)}}));
  if (!e.ok()) return ReportError(e.error());
  if (inv.args.Has("--json")) {
    PrintLine(e->Dump());
    return 0;
  }
  std::vector<std::pair<std::string, std::string>> lines = {
      {"execution", Str(*e, "executionArn")},
      {"state machine", Str(*e, "stateMachineArn")},
      {"name", Str(*e, "name")},
      {"status", Str(*e, "status")},
      {"started", FormatApiTime(e->find("startDate"))},
      {"stopped", FormatApiTime(e->find("stopDate"))},
  };
  if (const Json* n = e->find("redriveCount"); n && n->is_int() && n->as_int() > 0)
    lines.emplace_back("redrives", std::to_string(n->as_int()) + ", last at " +
                                       FormatApiTime(e->find("redriveDate")));
  lines.emplace_back("redrive status", Str(*e, "redriveStatus"));
  lines.emplace_back("redrive reason", Str(*e, "redriveStatusReason"));
  lines.emplace_back("input", Str(*e, "input"));
  lines.emplace_back("output", Str(*e, "output"));
  lines.emplace_back("error", Str(*e, "error"));
  lines.emplace_back("cause", Str(*e, "cause"));
  for (auto& [label, value] : lines)
    if (!value.empty()) PrintLine(label + ":" + std::string(15 - label.size(), ' ') + value);
  return 0;
}

int HistoryCommand(const std::vector<std::string>& args) {
  Invocation inv = Begin(args, "history", {}, {"--reverse", "--json"}, 1, 1,
                         "wharf history EXECUTION [--reverse] [--json]");
  if (!inv.client) return inv.exit_code;
  auto arn = inv.client->ExecutionArn(inv.args.positional[0]);
  if (!arn.ok()) return ReportError(arn.error());

  JsonArray events;
  std::string token;
  do {
    std::vector<JsonMember> request{{"executionArn", Json::String(*arn)},
                                    {"maxResults", Json::Int(1000)},
                                    {"reverseOrder", Json::Bool(inv.args.Has("--reverse"))}};
    if (!token.empty()) request.emplace_back("nextToken", Json::String(token));
    auto page = inv.client->Call("GetExecutionHistory", Json::Object(std::move(request)));
    if (!page.ok()) return ReportError(page.error());
    if (const Json* list = page->find("events"); list && list->is_array())
      for (const Json& e : list->as_array()) events.push_back(e);
    token = Str(*page, "nextToken");
  } while (!token.empty());

  if (inv.args.Has("--json")) {
    PrintLine(Json::Array(std::move(events)).Dump());
    return 0;
  }
  // One line per event: id, time, type, then the state's name and an error with its cause, read
  // from whichever <kind>EventDetails the event carries.
  size_t type_width = 0;
  for (const Json& e : events) type_width = std::max(type_width, Str(e, "type").size());
  for (const Json& e : events) {
    std::string state, error, cause;
    if (e.is_object())
      for (const auto& [key, details] : e.as_object()) {
        if (!key.ends_with("EventDetails") || !details.is_object()) continue;
        if (state.empty()) state = Str(details, "name");
        if (const Json* index = details.find("index"); index && index->is_int() && !state.empty())
          state += "[" + std::to_string(index->as_int()) + "]";
        if (error.empty()) error = Str(details, "error");
        if (cause.empty()) cause = Str(details, "cause");
      }
    const Json* id = e.find("id");
    std::string type = Str(e, "type");
    std::string line = std::to_string(id && id->is_int() ? id->as_int() : 0);
    line = std::string(line.size() < 4 ? 4 - line.size() : 0, ' ') + line + "  " +
           FormatApiTime(e.find("timestamp")) + "  " + type;
    if (!state.empty() || !error.empty() || !cause.empty())
      line += std::string(type_width - type.size() + 2, ' ') + state;
    if (!error.empty() || !cause.empty())
      line += (state.empty() ? "" : "  ") + error + (cause.empty() ? "" : ": " + cause);
    PrintLine(line);
  }
  return 0;
}

int StopCommand(const std::vector<std::string>& args) {
  Invocation inv = Begin(args, "stop", {"--error", "--cause"}, {}, 1, 1,
                         "wharf stop EXECUTION [--error E] [--cause C]");
  if (!inv.client) return inv.exit_code;
  auto arn = inv.client->ExecutionArn(inv.args.positional[0]);
  if (!arn.ok()) return ReportError(arn.error());
  std::vector<JsonMember> request{{"executionArn", Json::String(*arn)}};
  if (const std::string* e = inv.args.Value("--error"))
    request.emplace_back("error", Json::String(*e));
  if (const std::string* c = inv.args.Value("--cause"))
    request.emplace_back("cause", Json::String(*c));
  auto stopped = inv.client->Call("StopExecution", Json::Object(std::move(request)));
  if (!stopped.ok()) return ReportError(stopped.error());
  PrintLine("stopped " + *arn + " at " + FormatApiTime(stopped->find("stopDate")));
  return 0;
}

int RedriveCommand(const std::vector<std::string>& args) {
  Invocation inv = Begin(args, "redrive", {}, {}, 1, 1, "wharf redrive EXECUTION");
  if (!inv.client) return inv.exit_code;
  auto arn = inv.client->ExecutionArn(inv.args.positional[0]);
  if (!arn.ok()) return ReportError(arn.error());
  auto redriven =
      inv.client->Call("RedriveExecution", Json::Object({{"executionArn", Json::String(*arn)}}));
  if (!redriven.ok()) return ReportError(redriven.error());
  PrintLine("redriven " + *arn + " at " + FormatApiTime(redriven->find("redriveDate")));
  return 0;
}

}  // namespace wharf::cli
