// The client commands' connection to the Step Functions API (see client.h): where the endpoint
// is, SigV4 signing, AWS JSON 1.0 calls and their errors, names to ARNs, and argument parsing
// shared by the commands (client_commands.cc).
#include "cli/client.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "api/sigv4.h"
#include "core/clock.h"
#include "core/project.h"

namespace wharf::cli {

namespace {

constexpr std::string_view kDefaultEndpoint = "http://127.0.0.1:8700";  // default http.listen
constexpr std::string_view kDefaultProject = "wharf.yaml";

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

Error Usage(std::string message) { return MakeError(std::string(kUsageError), std::move(message)); }

// http://<http.listen of the project file>.
Result<std::string> EndpointFromProject(const std::string& path) {
  ProjectLoadOptions options;
  // The client never uses the project's secrets; a secret_access_key_env that the server's
  // environment sets need not be set in the client's.
  options.getenv = [](const std::string&) -> std::optional<std::string> { return "unused"; };
  auto project = LoadProject(path, options);
  if (!project.ok()) return Usage(project.error().message);
  const ListenAddress& listen = project->http.listen;
  if (listen.port == 0)
    return Usage(project->file +
                 ": http.listen has port 0 (a free port chosen when `wharf serve` starts), so "
                 "the client cannot know it; pass --endpoint http://HOST:PORT as `wharf serve` "
                 "printed it");
  std::string host = listen.host;
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(listen.port);
}

Result<std::string> ResolveEndpoint(const ConnectionFlags& flags) {
  if (!flags.endpoint.empty()) return flags.endpoint;
  if (!flags.project.empty()) return EndpointFromProject(flags.project);
  if (std::string env = Env("WHARF_ENDPOINT"); !env.empty()) return env;
  std::error_code ec;
  if (std::filesystem::exists(std::string(kDefaultProject), ec))
    return EndpointFromProject(std::string(kDefaultProject));
  return std::string(kDefaultEndpoint);
}

// The error name from an AWS JSON 1.0 error reply, as the AWS SDKs read it: `__type` (the part
// after '#'), then `code`, then the x-amzn-ErrorType header (the part before ':').
std::string ErrorType(const Json* body, const HttpReply& reply) {
  if (body) {
    if (const Json* t = body->find("__type"); t && t->is_string() && !t->as_string().empty()) {
      const std::string& s = t->as_string();
      auto hash = s.rfind('#');
      return hash == std::string::npos ? s : s.substr(hash + 1);
    }
    if (const Json* c = body->find("code"); c && c->is_string() && !c->as_string().empty())
      return c->as_string();
  }
  std::string header = reply.Header("x-amzn-errortype");
  return header.substr(0, header.find(':'));
}

}  // namespace

Result<HttpEndpoint> ParseEndpointUrl(std::string_view url) {
  HttpEndpoint e;
  e.url = std::string(url);
  auto bad = [&](const std::string& why) {
    return Usage("endpoint " + e.url + ": " + why + " (expected http://HOST:PORT)");
  };
  constexpr std::string_view kScheme = "http://";
  if (url.starts_with("https://"))
    return bad("https is not supported; `wharf serve` speaks plain HTTP");
  if (!url.starts_with(kScheme)) return bad("must start with http://");
  std::string_view rest = url.substr(kScheme.size());
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  if (end != std::string_view::npos) {
    if (rest[end] == '#') return bad("a fragment has no meaning here");
    e.path = std::string(rest.substr(end));
    if (e.path[0] == '?') e.path = "/" + e.path;
  }
  if (authority.empty()) return bad("no host");
  if (authority.find('@') != std::string_view::npos)
    return bad("user information is not supported");
  e.host_header = std::string(authority);
  std::string_view port;
  if (authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unclosed '[' in the host");
    e.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return bad("unexpected text after ']'");
      port = after.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    e.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (e.host.empty()) return bad("no host");
  if (!port.empty()) {
    int value = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || value > 65535) return bad("the port must be a number");
      value = value * 10 + (c - '0');
    }
    if (value < 1 || value > 65535) return bad("the port must be between 1 and 65535");
    e.port = std::string(port);
  }
  return e;
}

Result<Json> SfnClient::Call(std::string_view action, const Json& request) const {
  return CallService("AWSStepFunctions", "states", "application/x-amz-json-1.0", action, request);
}

Result<Json> SfnClient::CallService(std::string_view target_prefix, std::string_view signing_name,
                                    std::string_view content_type, std::string_view action,
                                    const Json& request) const {
  HttpRequest http;
  http.target = config_.endpoint.path;
  http.body = request.Dump();
  http.headers = {{"Host", config_.endpoint.host_header},
                  {"Content-Type", std::string(content_type)},
                  {"X-Amz-Target", std::string(target_prefix) + "." + std::string(action)}};
  if (!config_.access_key_id.empty()) {
    if (!config_.session_token.empty())
      http.headers.emplace_back("X-Amz-Security-Token", config_.session_token);
    api::SigV4Request signing{"POST", http.target, std::move(http.headers), http.body};
    api::SignSigV4(signing, config_.access_key_id, config_.secret_access_key, config_.region,
                   std::string(signing_name), std::chrono::system_clock::now());
    http.headers = std::move(signing.headers);
  }
  WHARF_TRY(HttpReply reply, SendHttp(config_.endpoint, http, config_.timeout));

  std::optional<Json> body;
  if (reply.body.empty()) {
    body = Json::EmptyObject();
  } else if (auto parsed = Json::Parse(reply.body); parsed.ok()) {
    body = std::move(*parsed);
  }
  if (reply.status >= 200 && reply.status < 300) {
    if (!body || !body->is_object())
      return MakeError(std::string(kTransportError),
                       config_.endpoint.url + " answered " + std::string(action) +
                           " with a body that is not a JSON object: " + reply.body.substr(0, 200));
    return std::move(*body);
  }
  std::string type = ErrorType(body ? &*body : nullptr, reply);
  std::string message;
  if (body)
    for (const char* key : {"message", "Message"})
      if (const Json* m = body->find(key); m && m->is_string()) {
        message = m->as_string();
        break;
      }
  if (type.empty() && message.empty())
    return MakeError(std::string(kTransportError),
                     config_.endpoint.url + " answered " + std::string(action) + " with HTTP " +
                         std::to_string(reply.status) +
                         " and no AWS error: " + reply.body.substr(0, 200));
  if (type.empty()) type = "HTTP " + std::to_string(reply.status);
  return MakeError(std::move(type), std::move(message));
}

Result<std::string> SfnClient::StateMachineArn(const std::string& name_or_arn) const {
  if (name_or_arn.starts_with("arn:")) return name_or_arn;
  std::string token;
  std::vector<std::string> names;
  do {
    std::vector<JsonMember> request{{"maxResults", Json::Int(1000)}};
    if (!token.empty()) request.emplace_back("nextToken", Json::String(token));
    WHARF_TRY(Json page, Call("ListStateMachines", Json::Object(std::move(request))));
    if (const Json* machines = page.find("stateMachines"); machines && machines->is_array())
      for (const Json& m : machines->as_array()) {
        const Json* name = m.find("name");
        const Json* arn = m.find("stateMachineArn");
        if (!name || !name->is_string() || !arn || !arn->is_string()) continue;
        if (name->as_string() == name_or_arn) return arn->as_string();
        names.push_back(name->as_string());
      }
    const Json* next = page.find("nextToken");
    token = next && next->is_string() ? next->as_string() : "";
  } while (!token.empty());
  std::string known;
  for (size_t i = 0; i < names.size() && i < 20; ++i) known += (i ? ", " : "") + names[i];
  if (names.size() > 20) known += ", ...";
  return MakeError("StateMachineDoesNotExist",
                   "no state machine named '" + name_or_arn + "' at " + config_.endpoint.url +
                       (known.empty() ? " (it has none)" : " (it has: " + known + ")"));
}

Result<std::string> SfnClient::ExecutionArn(const std::string& arn_or_shorthand) const {
  if (arn_or_shorthand.starts_with("arn:")) return arn_or_shorthand;
  // Neither a state machine's nor an execution's name may contain ':' (CreateStateMachine,
  // StartExecution), so MACHINE:NAME splits at the one colon.
  size_t colon = arn_or_shorthand.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == arn_or_shorthand.size() ||
      arn_or_shorthand.find(':', colon + 1) != std::string::npos)
    return Usage("'" + arn_or_shorthand +
                 "' is neither an execution ARN nor MACHINE:NAME (a state machine's name, a "
                 "colon, and the execution's name)");
  WHARF_TRY(std::string machine, StateMachineArn(arn_or_shorthand.substr(0, colon)));
  constexpr std::string_view kMachine = ":stateMachine:";
  size_t at = machine.find(kMachine);
  if (at == std::string::npos)
    return Usage("the state machine ARN " + machine + " has no ':stateMachine:' part");
  return machine.substr(0, at) + ":execution:" + machine.substr(at + kMachine.size()) + ":" +
         arn_or_shorthand.substr(colon + 1);
}

const std::string* ClientArgs::Value(std::string_view flag) const {
  for (const auto& [f, v] : values)
    if (f == flag) return &v;
  return nullptr;
}

bool ClientArgs::Has(std::string_view flag) const {
  for (const auto& s : switches)
    if (s == flag) return true;
  return false;
}

Result<ClientArgs> ParseClientArgs(const std::vector<std::string>& args, const char* command,
                                   std::vector<std::string_view> value_flags,
                                   std::vector<std::string_view> switch_flags) {
  ClientArgs out;
  std::string see = std::string(" (see `wharf help ") + command + "`)";
  auto is_one_of = [](const std::string& a, const std::vector<std::string_view>& set) {
    for (auto f : set)
      if (a == f) return true;
    return false;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string* connection_value = a == "--endpoint"  ? &out.connection.endpoint
                                    : a == "--project" ? &out.connection.project
                                    : a == "--region"  ? &out.connection.region
                                                       : nullptr;
    bool own_value = is_one_of(a, value_flags);
    if (connection_value || own_value) {
      if (i + 1 >= args.size()) return Usage(a + " needs a value" + see);
      const std::string& v = args[++i];
      if (connection_value) {
        *connection_value = v;
      } else {
        for (auto& [f, old] : out.values)
          if (f == a) return Usage(a + " is given twice" + see);
        out.values.emplace_back(a, v);
      }
    } else if (a == "--unsigned") {
      out.connection.unsigned_requests = true;
    } else if (is_one_of(a, switch_flags)) {
      out.switches.push_back(a);
    } else if (a.starts_with("--")) {
      return Usage("unknown option " + a + see);
    } else {
      out.positional.push_back(a);
    }
  }
  return out;
}

Result<ClientConfig> MakeClientConfig(const ConnectionFlags& flags) {
  ClientConfig config;
  WHARF_TRY(std::string url, ResolveEndpoint(flags));
  WHARF_TRY(config.endpoint, ParseEndpointUrl(url));
  config.region = !flags.region.empty()                ? flags.region
                  : !Env("AWS_REGION").empty()         ? Env("AWS_REGION")
                  : !Env("AWS_DEFAULT_REGION").empty() ? Env("AWS_DEFAULT_REGION")
                                                       : "us-east-1";
  if (flags.unsigned_requests) return config;
  std::string id = Env("AWS_ACCESS_KEY_ID"), secret = Env("AWS_SECRET_ACCESS_KEY");
  if (id.empty() != secret.empty())
    return Usage(std::string(id.empty()
                                 ? "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"
                                 : "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not") +
                 "; set both to sign requests, or pass --unsigned");
  config.access_key_id = std::move(id);
  config.secret_access_key = std::move(secret);
  if (!config.access_key_id.empty()) config.session_token = Env("AWS_SESSION_TOKEN");
  return config;
}

int ReportError(const Error& error) {
  if (error.code == kTransportError || error.code == kUsageError)
    std::fprintf(stderr, "wharf: %s\n", error.message.c_str());
  else
    std::fprintf(stderr, "wharf: %s: %s\n", error.code.c_str(), error.message.c_str());
  return error.code == kUsageError ? 2 : 1;
}

std::string FormatApiTime(const Json* t) {
  if (!t || !t->is_number()) return "";
  auto ms = static_cast<int64_t>(std::llround(t->as_double() * 1000.0));
  return FormatIso8601(TimePoint(std::chrono::milliseconds(ms)));
}

}  // namespace wharf::cli
