// Reads the project file (see project.h; every key is documented in README.md, "Project file
// reference").
#include "core/project.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_set>

#include "core/project_internal.h"
#include "core/yaml.h"

namespace wharf {
namespace {

namespace fs = std::filesystem;
using yaml::Node;

constexpr double kMaxTimeoutSeconds = 365.0 * 24 * 3600;  // one year, the longest execution
constexpr int64_t kMaxConcurrency = 100'000;
constexpr size_t kMaxProjectFileBytes = size_t{4} << 20;  // parsing 4 MiB takes < 3 s at worst

// Sections that later versions add (issues 5 to 7): named so that the message says so.
constexpr std::string_view kLaterSections[] = {"tables", "topics"};

bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// CreateStateMachine, `name`: "A name must not contain: white space; brackets < > { } [ ];
// wildcard characters ? *; special characters " # % \ ^ | ~ ` $ & , ; : /; control characters
// (U+0000-001F, U+007F-009F)". Length 1 to 80.
std::optional<std::string> StateMachineNameProblem(std::string_view name) {
  if (name.empty() || name.size() > 80) return "a state machine name has 1 to 80 characters";
  for (size_t i = 0; i < name.size(); ++i) {
    auto c = static_cast<unsigned char>(name[i]);
    bool c1_control = c == 0xC2 && i + 1 < name.size() &&
                      static_cast<unsigned char>(name[i + 1]) >= 0x80 &&
                      static_cast<unsigned char>(name[i + 1]) <= 0x9F;
    if (c <= 0x20 || c == 0x7F || c1_control || std::strchr("<>{}[]?*\"#%\\^|~`$&,;:/", c))
      return "a state machine name may not contain white space, control characters or any of "
             "< > { } [ ] ? * \" # % \\ ^ | ~ ` $ & , ; : /";
  }
  return std::nullopt;
}

// Lambda, FunctionName: the name part matches [a-zA-Z0-9-_]+; "If you specify only the function
// name, it is limited to 64 characters in length." A Task's Resource ARN names it that way.
std::optional<std::string> FunctionNameProblem(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64;
  for (char c : name) ok = ok && (IsAsciiAlnum(c) || c == '-' || c == '_');
  if (!ok) return "a function name has 1 to 64 letters, digits, '-' or '_' (as Lambda's)";
  return std::nullopt;
}

// Access key ids go into SigV4's Credential=ID/date/region/service/aws4_request, so they may not
// hold '/', ',', '=' or spaces. IAM's own pattern is [\w]+; wharf also allows '-' and '.'.
bool IsValidAccessKeyId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (!IsAsciiAlnum(c) && c != '_' && c != '-' && c != '.') return false;
  }
  return true;
}

using project_internal::Quote;

class Loader {
 public:
  Loader(const std::string& file, const std::string& folder, const ProjectLoadOptions& options)
      : r_(file, std::string(kInvalidProject)), folder_(folder), options_(options) {
    project_.folder = folder;
    project_.data_dir = Absolute("data");
  }

  Result<Project> Load(const Node& root) {
    if (!root.is_mapping() && !root.is_null())
      return r_.Fail(root, "",
                     "the project file must be a mapping of sections (state_machines, "
                     "functions, ...), got " +
                         root.Describe());
    if (auto top = r_.AnyMap(root, ""); !top.ok()) return std::move(top).error();
    for (const yaml::Member& m : root.members()) {
      const std::string& key = m.key.text();
      if (key.rfind("x-", 0) == 0) continue;  // extension keys: a place for YAML anchors
      Status status = Section(key, m.key, m.value);
      if (!status.ok()) return std::move(status).error();
    }
    return std::move(project_);
  }

 private:
  Status Section(const std::string& key, const Node& key_node, const Node& value) {
    if (key == "state_machines") return StateMachines(value, key);
    if (key == "functions") return Functions(value, key);
    if (key == "http") return Http(value, key);
    if (key == "auth") return Auth(value, key);
    if (key == "users") return project_internal::ReadUsers(r_, value, key, project_.users);
    if (key == "rules") return project_internal::ReadRules(r_, value, key, project_.rules);
    if (key == "schedules")
      return project_internal::ReadSchedules(r_, value, key, project_.schedules);
    if (key == "servers")
      return project_internal::ReadServers(
          r_, value, key, [this](const std::string& p) { return Absolute(p); }, project_.servers);
    if (key == "quotas") {
      WHARF_TRY(project_.quotas, r_.Bool(value, key));
      return {};
    }
    if (key == "data") {
      WHARF_TRY(std::string dir, NonEmptyString(value, key, "a folder"));
      project_.data_dir = Absolute(dir);
      return {};
    }
    if (key == "durability") {
      WHARF_TRY(std::string d, r_.String(value, key));
      if (d == "process-crash") {
        project_.power_loss_durability = false;
      } else if (d == "power-loss") {
        project_.power_loss_durability = true;
      } else {
        return r_.Fail(value, key, "must be process-crash or power-loss, got " + value.Describe());
      }
      return {};
    }
    for (std::string_view later : kLaterSections) {
      if (key == later) return r_.Fail(key_node, key, "not supported by this version of wharf yet");
    }
    return r_.Fail(
        key_node, key,
        yaml::UnknownKeyMessage(key, {"state_machines", "functions", "http", "auth", "users",
                                      "servers", "rules", "schedules", "quotas", "data",
                                      "durability"}));
  }

  // --- state_machines: NAME: FILE | {definition: FILE, type: STANDARD|EXPRESS} ---------------
  Status StateMachines(const Node& node, const std::string& path) {
    WHARF_TRY(yaml::Fields names, r_.AnyMap(node, path));
    for (const yaml::Member& m : node.members()) {
      std::string at = names.PathOf(m.key.text());
      if (auto problem = StateMachineNameProblem(m.key.text())) return r_.Fail(m.key, at, *problem);
      WHARF_TRY(StateMachineConfig sm, StateMachine(m.key.text(), m.value, at));
      project_.state_machines[sm.name] = std::move(sm);
    }
    return {};
  }

  Result<StateMachineConfig> StateMachine(const std::string& name, const Node& node,
                                          const std::string& path) {
    StateMachineConfig sm;
    sm.name = name;
    const Node* definition = &node;
    std::string definition_path = path;
    if (!node.is_scalar()) {
      if (!node.is_mapping())
        return r_.Fail(node, path,
                       "must be a definition file name or a mapping with definition and type, "
                       "got " +
                           node.Describe());
      WHARF_TRY(yaml::Fields f, r_.Map(node, path, {"definition", "type"}));
      definition = f.find("definition");
      if (definition == nullptr) return r_.Fail(node, f.PathOf("definition"), "is required");
      definition_path = f.PathOf("definition");
      if (const Node* type = f.find("type")) {
        WHARF_TRY(std::string t, r_.String(*type, f.PathOf("type")));
        // CreateStateMachine, `type`: "STANDARD | EXPRESS" (default STANDARD).
        if (t == "STANDARD") {
          sm.type = StateMachineType::kStandard;
        } else if (t == "EXPRESS") {
          sm.type = StateMachineType::kExpress;
        } else {
          return r_.Fail(*type, f.PathOf("type"),
                         "must be STANDARD or EXPRESS, got " + type->Describe());
        }
      }
    }
    WHARF_TRY(std::string file, NonEmptyString(*definition, definition_path, "a file name"));
    sm.definition_file = Absolute(file);
    sm.where = r_.Where(*definition, definition_path);
    std::error_code ec;
    fs::file_status st = fs::status(sm.definition_file, ec);
    if (ec || !fs::exists(st))
      return r_.Fail(
          *definition, definition_path,
          "the file " + Quote(file) + " does not exist (looked for " + sm.definition_file + ")");
    if (fs::is_directory(st))
      return r_.Fail(*definition, definition_path,
                     Quote(file) + " is a folder; name the definition file");
    return sm;
  }

  // --- functions: NAME: {command, timeout, env, cwd, concurrency} ----------------------------
  Status Functions(const Node& node, const std::string& path) {
    WHARF_TRY(yaml::Fields names, r_.AnyMap(node, path));
    for (const yaml::Member& m : node.members()) {
      std::string at = names.PathOf(m.key.text());
      if (auto problem = FunctionNameProblem(m.key.text())) return r_.Fail(m.key, at, *problem);
      WHARF_TRY(FunctionConfig fn, Function(m.key.text(), m.value, at));
      project_.functions[fn.name] = std::move(fn);
    }
    return {};
  }

  Result<FunctionConfig> Function(const std::string& name, const Node& node,
                                  const std::string& path) {
    WHARF_TRY(yaml::Fields f,
              r_.Map(node, path, {"command", "timeout", "env", "cwd", "concurrency"}));
    FunctionConfig fn;
    fn.name = name;
    fn.where = r_.Where(node, path);
    fn.working_dir = folder_;

    const Node* command = f.find("command");
    if (command == nullptr) return r_.Fail(node, f.PathOf("command"), "is required");
    std::string at = f.PathOf("command");
    if (!command->is_sequence() || command->items().empty())
      return r_.Fail(*command, at,
                     "must be a non-empty list of strings (the argv), for example "
                     "[node, main.js]; got " +
                         command->Describe());
    for (size_t i = 0; i < command->items().size(); ++i) {
      WHARF_TRY(std::string arg, r_.String(command->items()[i], yaml::ItemPath(at, i)));
      fn.command.push_back(std::move(arg));
    }
    if (fn.command[0].empty())
      return r_.Fail(command->items()[0], yaml::ItemPath(at, 0), "the program is empty");
    if (fn.command[0].find('/') != std::string::npos) fn.command[0] = Absolute(fn.command[0]);

    if (const Node* timeout = f.find("timeout")) {
      at = f.PathOf("timeout");
      bool number = timeout->is_scalar() && (timeout->type() == yaml::ScalarType::kInt ||
                                             timeout->type() == yaml::ScalarType::kFloat);
      double seconds = number ? timeout->as_double() : 0;
      if (!number || std::isnan(seconds) || seconds <= 0)
        return r_.Fail(*timeout, at,
                       "must be a positive number of seconds, got " + timeout->Describe());
      if (seconds > kMaxTimeoutSeconds)
        return r_.Fail(*timeout, at,
                       "must be at most " +
                           std::to_string(static_cast<int64_t>(kMaxTimeoutSeconds)) +
                           " seconds (one year), got " + timeout->Describe());
      fn.timeout = std::chrono::milliseconds(std::max<int64_t>(1, std::llround(seconds * 1000)));
    }

    if (const Node* env = f.find("env")) {
      WHARF_TRY(yaml::Fields vars, r_.AnyMap(*env, f.PathOf("env")));
      for (const yaml::Member& v : env->members()) {
        const std::string& var = v.key.text();
        at = vars.PathOf(var);
        if (var.empty() || var.find('=') != std::string::npos)
          return r_.Fail(v.key, at, "is not a valid environment variable name");
        if (var.rfind("WHARF_", 0) == 0)
          return r_.Fail(v.key, at, "names starting with WHARF_ are set by wharf");
        WHARF_TRY(std::string value, r_.String(v.value, at));
        fn.env[var] = std::move(value);
      }
    }

    if (const Node* cwd = f.find("cwd")) {
      WHARF_TRY(std::string dir, NonEmptyString(*cwd, f.PathOf("cwd"), "a folder"));
      fn.working_dir = Absolute(dir);
    }

    if (const Node* concurrency = f.find("concurrency")) {
      at = f.PathOf("concurrency");
      if (!concurrency->is_scalar() || concurrency->type() != yaml::ScalarType::kInt ||
          concurrency->as_int() < 1 || concurrency->as_int() > kMaxConcurrency)
        return r_.Fail(*concurrency, at,
                       "must be a whole number from 1 to " + std::to_string(kMaxConcurrency) +
                           " (leave it out for no limit), got " + concurrency->Describe());
      fn.concurrency = static_cast<int>(concurrency->as_int());
    }
    return fn;
  }

  // --- http: {listen: HOST:PORT} -------------------------------------------------------------
  Status Http(const Node& node, const std::string& path) {
    WHARF_TRY(yaml::Fields f, r_.Map(node, path, {"listen"}));
    if (const Node* listen = f.find("listen")) {
      WHARF_TRY(std::string text, r_.String(*listen, f.PathOf("listen")));
      auto address = ParseListenAddress(text);
      if (!address.ok()) return r_.Fail(*listen, f.PathOf("listen"), address.error().message);
      project_.http.listen = std::move(*address);
    }
    return {};
  }

  // --- auth: {access_keys: [{access_key_id, secret_access_key | secret_access_key_env}],
  //            unauthenticated} ---------------------------------------------------------------
  Status Auth(const Node& node, const std::string& path) {
    WHARF_TRY(yaml::Fields f, r_.Map(node, path, {"access_keys", "unauthenticated"}));
    if (const Node* flag = f.find("unauthenticated")) {
      WHARF_TRY(project_.auth.unauthenticated, r_.Bool(*flag, f.PathOf("unauthenticated")));
    }
    const Node* keys = f.find("access_keys");
    if (keys == nullptr) return {};
    std::string list_path = f.PathOf("access_keys");
    WHARF_TRY(const std::vector<Node>* items, r_.Sequence(*keys, list_path));
    std::unordered_set<std::string> ids;
    for (size_t i = 0; i < items->size(); ++i) {
      const Node& item = (*items)[i];
      std::string at = yaml::ItemPath(list_path, i);
      WHARF_TRY(yaml::Fields k,
                r_.Map(item, at, {"access_key_id", "secret_access_key", "secret_access_key_env"}));
      AccessKey key;
      const Node* id = k.find("access_key_id");
      if (id == nullptr) return r_.Fail(item, k.PathOf("access_key_id"), "is required");
      WHARF_TRY(key.access_key_id, r_.String(*id, k.PathOf("access_key_id")));
      if (!IsValidAccessKeyId(key.access_key_id))
        return r_.Fail(*id, k.PathOf("access_key_id"),
                       "must be 1 to 128 letters, digits, '_', '-' or '.', got " + id->Describe());
      if (!ids.insert(key.access_key_id).second)
        return r_.Fail(*id, k.PathOf("access_key_id"),
                       "the access key id " + Quote(key.access_key_id) + " is listed twice");
      const Node* secret = k.find("secret_access_key");
      const Node* secret_env = k.find("secret_access_key_env");
      if (secret != nullptr && secret_env != nullptr)
        return r_.Fail(*secret_env, k.PathOf("secret_access_key_env"),
                       "give either secret_access_key or secret_access_key_env, not both");
      if (secret != nullptr) {
        // The secret itself is never quoted in a message.
        if (!secret->is_scalar() || secret->text().empty())
          return r_.Fail(*secret, k.PathOf("secret_access_key"), "must be a non-empty string");
        key.secret_access_key = secret->text();
      } else if (secret_env != nullptr) {
        std::string env_path = k.PathOf("secret_access_key_env");
        WHARF_TRY(std::string var, NonEmptyString(*secret_env, env_path, "a variable name"));
        std::optional<std::string> value =
            options_.getenv ? options_.getenv(var) : DefaultGetenv(var);
        if (!value) return r_.Fail(*secret_env, env_path, "the variable " + var + " is not set");
        if (value->empty())
          return r_.Fail(*secret_env, env_path, "the variable " + var + " is empty");
        key.secret_access_key = std::move(*value);
      } else {
        return r_.Fail(item, k.PathOf("secret_access_key"),
                       "is required (or secret_access_key_env, to read it from the environment)");
      }
      project_.auth.access_keys.push_back(std::move(key));
    }
    return {};
  }

  // --- helpers -------------------------------------------------------------------------------
  Result<std::string> NonEmptyString(const Node& node, const std::string& path,
                                     std::string_view what) {
    if (!node.is_scalar() || node.text().empty())
      return r_.Fail(node, path, "must be " + std::string(what) + ", got " + node.Describe());
    return node.text();
  }

  // `path` against the project folder, normalized ("a/./b/../c" -> "a/c"), no trailing '/'.
  std::string Absolute(const std::string& path) const {
    if (path.empty()) return path;
    fs::path p = path.front() == '/' || folder_.empty() ? fs::path(path) : fs::path(folder_) / path;
    std::string s = p.lexically_normal().string();
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return s;
  }

  static std::optional<std::string> DefaultGetenv(const std::string& name) {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  }

  yaml::Reader r_;
  std::string folder_;
  const ProjectLoadOptions& options_;
  Project project_;
};

}  // namespace

std::string project_internal::Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

const char* StateMachineTypeName(StateMachineType type) {
  return type == StateMachineType::kExpress ? "EXPRESS" : "STANDARD";
}

std::string ListenAddress::ToString() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return h + ":" + std::to_string(port);
}

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  auto bad = [&](std::string why) {
    return MakeError(std::string(kInvalidProject), std::move(why));
  };
  std::string shown = Quote(text.substr(0, 80));
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return bad("must be [IPV6]:PORT, for example [::1]:8700; got " + shown);
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    bool ok = host.find(':') != std::string_view::npos;
    for (char c : host) ok = ok && (IsAsciiAlnum(c) || c == ':' || c == '.' || c == '%');
    if (!ok) return bad("the host " + Quote(host) + " is not an IPv6 address");
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos)
      return bad("must be HOST:PORT, for example 127.0.0.1:8700; got " + shown);
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return bad("an IPv6 address goes in brackets, for example [::1]:8700; got " + shown);
    if (host.empty()) return bad("the host is missing, for example 127.0.0.1:8700; got " + shown);
    bool ok = host.size() <= 253;
    for (char c : host) ok = ok && (IsAsciiAlnum(c) || c == '-' || c == '.' || c == '_');
    if (!ok) return bad("the host " + Quote(host) + " is not a host name or an address");
  }
  bool digits = !port.empty() && port.size() <= 5;
  for (char c : port) digits = digits && c >= '0' && c <= '9';
  if (!digits) return bad("the port must be a number from 0 to 65535; got " + shown);
  int value = std::stoi(std::string(port));
  if (value > 65535) return bad("the port must be a number from 0 to 65535; got " + shown);
  return ListenAddress{std::string(host), static_cast<uint16_t>(value)};
}

Result<Project> ParseProject(std::string_view text, const std::string& file,
                             const std::string& folder, const ProjectLoadOptions& options) {
  WHARF_TRY(Node root, yaml::Parse(text, file, kInvalidProject));
  Loader loader(file, folder, options);
  WHARF_TRY(Project project, loader.Load(root));
  project.file = file;
  return project;
}

Result<Project> LoadProject(const std::string& path, const ProjectLoadOptions& options) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return MakeError("Io", path + ": cannot read: it is a folder");
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError("Io", path + ": cannot read: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return MakeError("Io", path + ": cannot read: " + std::strerror(errno));
  std::string content = std::move(text).str();
  if (content.size() > kMaxProjectFileBytes)
    return MakeError(std::string(kInvalidProject),
                     path + ": the project file is larger than 4 MiB");
  fs::path abs = fs::absolute(path, ec).lexically_normal();
  if (ec) return MakeError("Io", path + ": cannot resolve its folder: " + ec.message());
  WHARF_TRY(Project project, ParseProject(content, path, abs.parent_path().string(), options));
  project.file = abs.string();
  return project;
}

}  // namespace wharf
