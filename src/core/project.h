// The project file (`wharf.yaml`): what a wharf service runs. It declares the state machines
// (name -> definition file), the functions (name -> command, timeout, env, working directory,
// concurrency limit), where the HTTP API listens, the access keys it accepts, whether AWS quotas
// hold, and the data folder. README.md ("Project file reference") documents every key.
//
// The model is plain structs so that every layer can read it; the layers that act on a section
// convert it (the CLI makes tasks::FunctionSpec from a FunctionConfig, the API reads `auth`).
// Later issues add `servers`, `users`, `rules`, `tables` and `topics`: each is one more struct
// here and one more section parser in project.cc, read with yaml::Reader.
//
// Loading checks everything that can be checked without running anything: unknown keys, types,
// ranges, names, duplicate names, that each definition file exists, that secrets taken from the
// environment are set. Each error's message names the file, the line and column, and the key
// path: "wharf.yaml:12:5: functions.preprocess.timeout: must be a positive number of seconds,
// got -3". Definitions are not parsed here (core cannot use asl/); the caller validates them and
// can prefix its messages with StateMachineConfig::where.
//
// Thread-safety: LoadProject and ParseProject are reentrant; a Project is a plain value.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace wharf {

// Error codes: "InvalidProject" for anything wrong in the file, "Io" when it cannot be read.
inline constexpr std::string_view kInvalidProject = "InvalidProject";

enum class StateMachineType { kStandard, kExpress };
// "STANDARD" or "EXPRESS", as the Step Functions API spells them.
const char* StateMachineTypeName(StateMachineType type);

struct StateMachineConfig {
  std::string name;
  std::string definition_file;  // absolute and normalized; the file exists at load time
  StateMachineType type = StateMachineType::kStandard;
  // "wharf.yaml:5:17: state_machines.products.definition": a prefix for messages about the
  // definition ("<where>: products.asl.json:12: ...").
  std::string where;
};

inline constexpr std::chrono::milliseconds kDefaultFunctionTimeout{900'000};  // as Lambda

struct FunctionConfig {
  std::string name;
  // argv. command[0] without '/' is looked up in PATH at each invocation; a relative one with
  // '/' is made absolute against the project folder.
  std::vector<std::string> command;
  std::chrono::milliseconds timeout = kDefaultFunctionTimeout;  // > 0, at most one year
  std::map<std::string, std::string> env;
  std::string working_dir;  // absolute; default: the project folder
  int concurrency = 0;      // invocations at once; 0: no limit of its own (the pool bounds it)
  std::string where;        // "wharf.yaml:9:3: functions.preprocess"
};

struct ListenAddress {
  std::string host;   // a name, an IPv4 address, or an IPv6 address without brackets
  uint16_t port = 0;  // 0: a free port chosen when the server starts
  // "127.0.0.1:8700", "[::1]:8700".
  std::string ToString() const;
};

// Parses "HOST:PORT" ("127.0.0.1:8700", "localhost:0", "[::1]:8700", "0.0.0.0:8700"), for the
// project file and for command-line overrides (`--http`, later `--sftp`, `--ftp`). The message
// describes the problem without a location (callers add it).
Result<ListenAddress> ParseListenAddress(std::string_view text);

struct HttpConfig {
  ListenAddress listen{"127.0.0.1", 8700};
};

struct AccessKey {
  std::string access_key_id;
  std::string secret_access_key;  // never printed in messages
};

struct AuthConfig {
  std::vector<AccessKey> access_keys;  // in file order; ids are unique
  bool unauthenticated = false;        // true: the API accepts unsigned requests
};

struct Project {
  std::string file;    // the project file: absolute from LoadProject, as given to ParseProject
  std::string folder;  // its folder, absolute: relative paths are resolved against it
  std::map<std::string, StateMachineConfig> state_machines;
  std::map<std::string, FunctionConfig> functions;
  HttpConfig http;
  AuthConfig auth;
  // `durability`: process-crash (false: every commit survives a crash or kill of wharf) or
  // power-loss (true: also a power cut or kernel crash, at an fsync per commit).
  bool power_loss_durability = false;
  bool quotas = true;    // false lifts the 256 KiB payload and 25,000-event history quotas
  std::string data_dir;  // absolute; default: <folder>/data
};

struct ProjectLoadOptions {
  // Reads an environment variable (for secret_access_key_env); default: the process's
  // environment. Tests pass a fake.
  std::function<std::optional<std::string>(const std::string&)> getenv;
};

// Reads and checks the project file at `path`. Messages name the file as `path` is written.
Result<Project> LoadProject(const std::string& path, const ProjectLoadOptions& options = {});

// The same on text already read: `file` names it in messages and `folder` (absolute) is the
// folder relative paths are resolved against.
Result<Project> ParseProject(std::string_view text, const std::string& file,
                             const std::string& folder, const ProjectLoadOptions& options = {});

}  // namespace wharf
