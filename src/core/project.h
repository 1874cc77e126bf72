// The project file (`wharf.yaml`): what a wharf service runs. It declares the state machines
// (name -> definition file), the functions (name -> command, timeout, env, working directory,
// concurrency limit), where the HTTP API listens, the access keys it accepts, whether AWS quotas
// hold, and the data folder. README.md ("Project file reference") documents every key.
//
// The model is plain structs so that every layer can read it; the layers that act on a section
// convert it (the CLI makes tasks::FunctionSpec from a FunctionConfig, the API reads `auth`,
// ingest/ reads `users` and `servers`). Later issues add `rules`, `tables` and `topics`: each is
// one more struct here and one more section parser, read with yaml::Reader. The `users` and
// `servers` sections are read in project_users.cc and project_servers.cc.
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

#include <array>
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

// --- users ---------------------------------------------------------------------------------

// What a file-transfer user may do. `kDelete` also removes empty folders; `kUpload` also
// overwrites; `kRename` renames files and folders.
enum class Permission : uint8_t { kList, kRead, kUpload, kDelete, kRename, kMkdir };
inline constexpr Permission kAllPermissions[] = {Permission::kList,   Permission::kRead,
                                                 Permission::kUpload, Permission::kDelete,
                                                 Permission::kRename, Permission::kMkdir};
// "list", "read", "upload", "delete", "rename", "mkdir": as the project file spells them.
const char* PermissionName(Permission permission);

// A set of permissions; by default all of them.
class PermissionSet {
 public:
  static PermissionSet All() { return PermissionSet(0x3F); }
  static PermissionSet None() { return PermissionSet(0); }
  bool Has(Permission p) const { return (bits_ >> static_cast<int>(p)) & 1u; }
  void Add(Permission p) { bits_ |= 1u << static_cast<int>(p); }
  bool operator==(const PermissionSet&) const = default;

 private:
  explicit PermissionSet(uint8_t bits) : bits_(bits) {}
  uint8_t bits_ = 0x3F;
};

// The protocols a user may log in with. kFtps is FTP whose control connection is under TLS
// (AUTH TLS); kFtp is plain FTP.
enum class FileProtocol : uint8_t { kSftp, kFtps, kFtp };
const char* FileProtocolName(FileProtocol protocol);  // "sftp", "ftps", "ftp"

// An IPv4 or IPv6 network in CIDR notation ("10.0.0.0/8", "2001:db8::/32"); a bare address is a
// network of that one address (/32 or /128).
struct IpNetwork {
  bool v6 = false;
  std::array<uint8_t, 16> address{};  // network byte order; an IPv4 network uses the first 4
  int prefix_length = 0;              // 0..32 (IPv4) or 0..128 (IPv6)
  std::string ToString() const;       // "10.0.0.0/8", "2001:db8::/32"
};

// Parses CIDR notation. Host bits must be zero ("10.1.2.3/8" is refused and the message names
// 10.0.0.0/8); zone ids ("fe80::1%eth0") are refused. The message has no location.
Result<IpNetwork> ParseIpNetwork(std::string_view text);

// An OpenSSH public key line, as in a `.pub` file or authorized_keys without options:
// "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI... alice@laptop".
struct SshPublicKey {
  std::string type;              // "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", ...
  std::string blob;              // the key in SSH wire format (the decoded base64)
  std::string comment;           // may be empty
  std::string ToString() const;  // "TYPE BASE64 COMMENT"
};

// Parses and checks a public key line: a known type (ed25519, RSA of 1024 bits or more, ECDSA
// on nistp256/384/521, and their FIDO "sk-" forms), strict base64, and a blob whose structure
// matches its type. DSA keys and certificates are refused. The message has no location.
Result<SshPublicKey> ParseSshPublicKey(std::string_view line);

// Why `hash` is not a password hash wharf accepts, or nullopt when it is one. Accepted: yescrypt
// ($y$, and $gy$), scrypt ($7$), bcrypt ($2b$, $2y$) and SHA-512 crypt ($6$), each complete
// (a salt and a hash of the right length). The message never repeats the value: a mistaken
// plain-text password must not end up in a log.
std::optional<std::string> PasswordHashProblem(std::string_view hash);

struct UserConfig {
  std::string name;           // AWS Transfer Family's rule: [A-Za-z0-9_][A-Za-z0-9_@.-]{2,99}
  std::string password_hash;  // a crypt(3) hash (see PasswordHashProblem); "": keys only
  std::vector<SshPublicKey> ssh_keys;
  // The user's folder in the object store, as a key prefix: "" (the whole store) or
  // "a/b/" (canonical segments, ending in '/'). Default: "NAME/".
  std::string home;
  PermissionSet permissions = PermissionSet::All();
  std::vector<IpNetwork> allowed_networks;  // empty: any address
  std::vector<FileProtocol> protocols{FileProtocol::kSftp, FileProtocol::kFtps, FileProtocol::kFtp};
  std::optional<int64_t> quota_bytes;    // bytes the home may hold
  std::optional<int64_t> quota_files;    // objects the home may hold
  std::optional<int64_t> max_file_size;  // bytes of one upload
  std::string where;                     // "wharf.yaml:30:3: users.alice"
};

// --- servers -------------------------------------------------------------------------------

inline constexpr std::chrono::seconds kDefaultIdleTimeout{600};

struct SftpServerConfig {
  ListenAddress listen{"127.0.0.1", 2222};
  // The host key (OpenSSH private key file), absolute; "": DATA/ssh_host_ed25519_key, created
  // at first start.
  std::string host_key;
  std::chrono::seconds idle_timeout = kDefaultIdleTimeout;
  std::string where;  // "wharf.yaml:40:3: servers.sftp"
};

struct FtpServerConfig {
  ListenAddress listen{"127.0.0.1", 2121};
  // Ports for passive data connections (PASV, EPSV), inclusive; 0 and 0: any free port.
  uint16_t passive_port_min = 0;
  uint16_t passive_port_max = 0;
  // The IPv4 address PASV replies announce (the address clients reach through NAT); "": the
  // local address of the control connection.
  std::string public_address;
  bool require_tls = false;  // true: USER is refused until AUTH TLS, data needs PROT P
  // PEM files, absolute; both or neither. Neither: a self-signed certificate made at first start
  // in the data folder.
  std::string certificate;
  std::string private_key;
  bool allow_active = false;  // PORT and EPRT (the server connects to the client)
  std::chrono::seconds idle_timeout = kDefaultIdleTimeout;
  // In clear, how long an upload whose 226 the client's TCP acknowledged waits, with no command
  // from the client, for a reset before it is committed (see
  // FtpServerOptions::upload_end_grace); 0 to 1,000 ms.
  std::chrono::milliseconds upload_end_grace{5};
  std::string where;
};

// Brute-force lockout, shared by every server: `max_failures` failed logins from one address
// within `window` refuse it for `ban`, doubled on each repeat offence up to `max_ban`; an address
// quiet for `forgive_after` starts again from `ban`.
struct LockoutConfig {
  int max_failures = 5;
  std::chrono::seconds window{300};
  std::chrono::seconds ban{60};
  std::chrono::seconds max_ban{3600};
  std::chrono::seconds forgive_after{86400};
  std::vector<IpNetwork> exempt_networks;  // never locked out (monitoring, the office)
};

struct ServersConfig {
  std::optional<SftpServerConfig> sftp;  // nullopt: no SFTP server (unless --sftp)
  std::optional<FtpServerConfig> ftp;    // nullopt: no FTP server (unless --ftp)
  LockoutConfig lockout;
};

// `rules`: EventBridge rules of the project (events/bus.h). Patterns and inputs are kept as JSON
// text here and compiled by the bus when the service starts, which names the rule on error.
struct RuleTargetConfig {
  std::string id;             // unique in the rule; default: the state machine's name, or "webhook"
  std::string state_machine;  // a state machine of the project, or a state machine ARN
  std::string webhook;        // or: an http(s) URL that gets each event as a POST
  std::optional<std::string> input;       // Input: JSON text
  std::optional<std::string> input_path;  // InputPath
  bool has_transformer = false;
  std::vector<std::pair<std::string, std::string>> input_paths;  // InputTransformer.InputPathsMap
  std::string input_template;                                    // InputTransformer.InputTemplate
  int maximum_retry_attempts = 185;
  int64_t maximum_event_age_seconds = 86400;
  std::string where;  // "wharf.yaml:12:7: rules.csv-uploads.targets[0]"
};

struct RuleConfig {
  std::string description;
  std::string event_pattern;  // JSON text
  bool enabled = true;
  std::vector<RuleTargetConfig> targets;
  std::string where;  // "wharf.yaml:9:3: rules.csv-uploads"
};

// `schedules`: EventBridge Scheduler style schedules that start a state machine by the clock
// (events/scheduler.h). The expression, zone and window are kept as text here and checked by the
// events layer when the service starts, which names the schedule on error.
struct ScheduleConfig {
  std::string expression;  // cron(...), rate(...) or at(...)
  std::string timezone;    // an IANA name; empty: UTC
  bool enabled = true;
  std::string start;          // StartDate: an ISO-8601 timestamp with its offset, or empty
  std::string end;            // EndDate: the same
  std::string state_machine;  // a state machine of the project, or a state machine ARN
  std::string input = "{}";   // JSON text: what the execution receives
  std::string where;          // "wharf.yaml:9:3: schedules.nightly"
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
  std::map<std::string, UserConfig> users;
  ServersConfig servers;
  std::map<std::string, RuleConfig> rules;
  std::map<std::string, ScheduleConfig> schedules;
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
