// `wharf dead-letters` (see client.h): the event bus's dead letters through wharf's EventBridge
// extensions AWSEvents.ListDeadLetters and AWSEvents.ReplayDeadLetter (docs/events.md), signed
// for the service "events" as the EventBridge SDKs sign.
#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "cli/client.h"
#include "cli/common.h"

namespace wharf::cli {
namespace {

constexpr const char* kUsage = "wharf dead-letters [--limit N] [--json] | replay ID";

Result<Json> CallEvents(const SfnClient& client, std::string_view action, const Json& request) {
  return client.CallService("AWSEvents", "events", "application/x-amz-json-1.1", action, request);
}

// A positive integer argument, or nullopt.
std::optional<int64_t> PositiveNumber(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value > 0 ? std::optional<int64_t>(value) : std::nullopt;
}

}  // namespace

int DeadLettersCommand(const std::vector<std::string>& args) {
  auto parsed = ParseClientArgs(args, "dead-letters", {"--limit"}, {"--json"});
  if (!parsed.ok()) return ReportError(parsed.error());
  const ClientArgs& a = *parsed;
  bool replay = !a.positional.empty() && a.positional[0] == "replay";
  if ((replay && a.positional.size() != 2) || (!replay && !a.positional.empty()))
    return Fail(std::string("usage: ") + kUsage + " (see `wharf help dead-letters`)");
  auto config = MakeClientConfig(a.connection);
  if (!config.ok()) return ReportError(config.error());
  SfnClient client(std::move(*config));

  if (replay) {
    std::optional<int64_t> id = PositiveNumber(a.positional[1]);
    if (!id)
      return Fail(
          "dead-letters replay: ID must be a dead letter's number (the ID column of "
          "`wharf dead-letters`), not '" +
          a.positional[1] + "'");
    auto r = CallEvents(client, "ReplayDeadLetter", Json::Object({{"Id", Json::Int(*id)}}));
    if (!r.ok()) return ReportError(r.error());
    PrintLine("dead letter " + std::to_string(*id) + " queued for delivery again");
    return 0;
  }

  int64_t limit = 100;
  if (const std::string* text = a.Value("--limit")) {
    std::optional<int64_t> n = PositiveNumber(*text);
    if (!n || *n > 1000)
      return Fail("--limit must be a number from 1 to 1000, not '" + *text + "'");
    limit = *n;
  }
  auto r = CallEvents(client, "ListDeadLetters", Json::Object({{"Limit", Json::Int(limit)}}));
  if (!r.ok()) return ReportError(r.error());
  const Json* letters = r->find("DeadLetters");
  if (letters == nullptr || !letters->is_array())
    return ReportError(MakeError(
        std::string(kTransportError),
        client.config().endpoint.url +
            " answered ListDeadLetters without DeadLetters: " + r->Dump().substr(0, 200)));
  if (a.Has("--json")) {
    PrintLine(letters->Dump());
    return 0;
  }
  if (letters->size() == 0) {
    std::fprintf(stderr, "wharf: no dead letters\n");
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"ID", "FAILED", "RULE", "TARGET", "ATTEMPTS", "EVENT", "REASON"});
  for (const Json& d : letters->as_array()) {
    const Json* id = d.find("Id");
    const Json* attempts = d.find("Attempts");
    rows.push_back({id && id->is_int() ? std::to_string(id->as_int()) : "?",
                    FormatApiTime(d.find("FailedAt")), Str(d, "Rule"), Str(d, "TargetId"),
                    attempts && attempts->is_int() ? std::to_string(attempts->as_int()) : "?",
                    Str(d, "EventId"), Str(d, "Reason")});
  }
  PrintTable(rows);
  return 0;
}

}  // namespace wharf::cli
