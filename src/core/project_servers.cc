// The `servers` section of the project file: where the SFTP and FTP servers listen, their keys and
// certificates, FTP's passive ports, and the brute-force lockout they share (see project.h;
// README.md, "Project file reference", documents every key).
#include <arpa/inet.h>

#include <filesystem>

#include "core/project.h"
#include "core/project_internal.h"

namespace wharf {
namespace project_internal {
namespace {

namespace fs = std::filesystem;
using yaml::Node;

constexpr int64_t kOneDay = 86'400;
constexpr int64_t kOneYear = 365 * kOneDay;

Result<ListenAddress> ReadListen(const yaml::Reader& r, const Node& node, const std::string& path) {
  WHARF_TRY(std::string text, r.String(node, path));
  auto address = ParseListenAddress(text);
  if (!address.ok()) return r.Fail(node, path, address.error().message);
  return std::move(*address);
}

// A file that must exist when the project is loaded (`hint` says what to do instead).
Result<std::string> ReadFile(const yaml::Reader& r, const Node& node, const std::string& path,
                             const AbsolutePath& absolute, std::string_view hint) {
  if (!node.is_scalar() || node.text().empty())
    return r.Fail(node, path, "must be a file name, got " + node.Describe());
  std::string file = absolute(node.text());
  std::error_code ec;
  fs::file_status st = fs::status(file, ec);
  if (ec || !fs::exists(st))
    return r.Fail(node, path,
                  "the file " + Quote(node.text()) + " does not exist (looked for " + file + ")" +
                      std::string(hint));
  if (fs::is_directory(st)) return r.Fail(node, path, Quote(node.text()) + " is a folder");
  return file;
}

Result<SftpServerConfig> ReadSftp(const yaml::Reader& r, const Node& node, const std::string& path,
                                  const AbsolutePath& absolute) {
  WHARF_TRY(yaml::Fields f, r.Map(node, path, {"listen", "host_key", "idle_timeout"}));
  SftpServerConfig sftp;
  sftp.where = r.Where(node, path);
  if (const Node* listen = f.find("listen")) {
    WHARF_TRY(sftp.listen, ReadListen(r, *listen, f.PathOf("listen")));
  }
  if (const Node* key = f.find("host_key")) {
    WHARF_TRY(sftp.host_key,
              ReadFile(r, *key, f.PathOf("host_key"), absolute,
                       "; leave host_key out and wharf makes one in the data folder"));
  }
  if (const Node* idle = f.find("idle_timeout")) {
    WHARF_TRY(sftp.idle_timeout, ReadSeconds(r, *idle, f.PathOf("idle_timeout"), 1, kOneDay));
  }
  return sftp;
}

// "50000-50100", or one port "50000".
Status ReadPassivePorts(const yaml::Reader& r, const Node& node, const std::string& path,
                        FtpServerConfig& ftp) {
  WHARF_TRY(std::string text, r.String(node, path));
  auto port = [](std::string_view s) -> int {
    if (s.empty() || s.size() > 5) return -1;
    for (char c : s) {
      if (c < '0' || c > '9') return -1;
    }
    int v = std::stoi(std::string(s));
    return v >= 1 && v <= 65535 ? v : -1;
  };
  size_t dash = text.find('-');
  int low = port(std::string_view(text).substr(0, dash));
  int high = dash == std::string::npos ? low : port(std::string_view(text).substr(dash + 1));
  if (low < 0 || high < 0)
    return r.Fail(node, path,
                  "must be a range of ports LOW-HIGH from 1 to 65535, for example 50000-50100; "
                  "got " +
                      node.Describe());
  if (low > high)
    return r.Fail(node, path,
                  "the range starts after it ends; write LOW-HIGH, got " + node.Describe());
  ftp.passive_port_min = static_cast<uint16_t>(low);
  ftp.passive_port_max = static_cast<uint16_t>(high);
  return {};
}

Result<FtpServerConfig> ReadFtp(const yaml::Reader& r, const Node& node, const std::string& path,
                                const AbsolutePath& absolute) {
  WHARF_TRY(yaml::Fields f,
            r.Map(node, path,
                  {"listen", "passive_ports", "public_address", "require_tls", "certificate",
                   "private_key", "allow_active", "idle_timeout", "upload_end_grace_ms"}));
  FtpServerConfig ftp;
  ftp.where = r.Where(node, path);
  if (const Node* listen = f.find("listen")) {
    WHARF_TRY(ftp.listen, ReadListen(r, *listen, f.PathOf("listen")));
  }
  if (const Node* ports = f.find("passive_ports")) {
    WHARF_TRY_STATUS(ReadPassivePorts(r, *ports, f.PathOf("passive_ports"), ftp));
  }
  if (const Node* address = f.find("public_address")) {
    std::string at = f.PathOf("public_address");
    WHARF_TRY(ftp.public_address, r.String(*address, at));
    unsigned char bytes[4];
    if (inet_pton(AF_INET, ftp.public_address.c_str(), bytes) != 1)
      return r.Fail(
          *address, at,
          "must be an IPv4 address (PASV replies carry only IPv4), got " + address->Describe());
  }
  if (const Node* tls = f.find("require_tls")) {
    WHARF_TRY(ftp.require_tls, r.Bool(*tls, f.PathOf("require_tls")));
  }
  const Node* certificate = f.find("certificate");
  const Node* private_key = f.find("private_key");
  if ((certificate == nullptr) != (private_key == nullptr)) {
    const char* missing = certificate == nullptr ? "certificate" : "private_key";
    return r.Fail(certificate != nullptr ? *certificate : *private_key, f.PathOf(missing),
                  "is required with " +
                      std::string(certificate == nullptr ? "private_key" : "certificate") +
                      ": give both, or neither for a self-signed certificate made at first start");
  }
  if (certificate != nullptr) {
    WHARF_TRY(ftp.certificate,
              ReadFile(r, *certificate, f.PathOf("certificate"), absolute, " (a PEM file)"));
    WHARF_TRY(ftp.private_key,
              ReadFile(r, *private_key, f.PathOf("private_key"), absolute, " (a PEM file)"));
  }
  if (const Node* active = f.find("allow_active")) {
    WHARF_TRY(ftp.allow_active, r.Bool(*active, f.PathOf("allow_active")));
  }
  if (const Node* idle = f.find("idle_timeout")) {
    WHARF_TRY(ftp.idle_timeout, ReadSeconds(r, *idle, f.PathOf("idle_timeout"), 1, kOneDay));
  }
  if (const Node* grace = f.find("upload_end_grace_ms")) {
    if (!grace->is_scalar() || grace->type() != yaml::ScalarType::kInt || grace->as_int() < 0 ||
        grace->as_int() > 1000)
      return r.Fail(
          *grace, f.PathOf("upload_end_grace_ms"),
          "must be a whole number of milliseconds from 0 to 1000, got " + grace->Describe());
    ftp.upload_end_grace = std::chrono::milliseconds(grace->as_int());
  }
  return ftp;
}

Result<LockoutConfig> ReadLockout(const yaml::Reader& r, const Node& node,
                                  const std::string& path) {
  WHARF_TRY(yaml::Fields f, r.Map(node, path,
                                  {"max_failures", "window", "ban", "max_ban", "forgive_after",
                                   "exempt_networks"}));
  LockoutConfig lockout;
  if (const Node* n = f.find("max_failures")) {
    if (!n->is_scalar() || n->type() != yaml::ScalarType::kInt || n->as_int() < 1 ||
        n->as_int() > 1000)
      return r.Fail(*n, f.PathOf("max_failures"),
                    "must be a whole number from 1 to 1000, got " + n->Describe());
    lockout.max_failures = static_cast<int>(n->as_int());
  }
  if (const Node* n = f.find("window")) {
    WHARF_TRY(lockout.window, ReadSeconds(r, *n, f.PathOf("window"), 1, kOneDay));
  }
  if (const Node* n = f.find("ban")) {
    WHARF_TRY(lockout.ban, ReadSeconds(r, *n, f.PathOf("ban"), 1, kOneYear));
  }
  if (const Node* n = f.find("max_ban")) {
    WHARF_TRY(lockout.max_ban, ReadSeconds(r, *n, f.PathOf("max_ban"), 1, kOneYear));
  }
  if (lockout.max_ban < lockout.ban) {
    const Node* at = f.find("max_ban") != nullptr ? f.find("max_ban") : f.find("ban");
    return r.Fail(*at, f.find("max_ban") != nullptr ? f.PathOf("max_ban") : f.PathOf("ban"),
                  "max_ban (" + std::to_string(lockout.max_ban.count()) +
                      " s) must be at least ban (" + std::to_string(lockout.ban.count()) + " s)");
  }
  if (const Node* n = f.find("forgive_after")) {
    WHARF_TRY(lockout.forgive_after, ReadSeconds(r, *n, f.PathOf("forgive_after"), 1, kOneYear));
  }
  if (const Node* n = f.find("exempt_networks")) {
    WHARF_TRY(lockout.exempt_networks, ReadNetworks(r, *n, f.PathOf("exempt_networks")));
  }
  return lockout;
}

}  // namespace

Result<std::chrono::seconds> ReadSeconds(const yaml::Reader& r, const Node& node,
                                         const std::string& path, int64_t min, int64_t max) {
  if (!node.is_scalar() || node.type() != yaml::ScalarType::kInt || node.as_int() < min ||
      node.as_int() > max)
    return r.Fail(node, path,
                  "must be a whole number of seconds from " + std::to_string(min) + " to " +
                      std::to_string(max) + ", got " + node.Describe());
  return std::chrono::seconds(node.as_int());
}

Status ReadServers(const yaml::Reader& r, const Node& node, const std::string& path,
                   const AbsolutePath& absolute, ServersConfig& servers) {
  WHARF_TRY(yaml::Fields f, r.Map(node, path, {"sftp", "ftp", "lockout"}));
  if (const Node* sftp = f.find("sftp")) {
    WHARF_TRY(servers.sftp, ReadSftp(r, *sftp, f.PathOf("sftp"), absolute));
  }
  if (const Node* ftp = f.find("ftp")) {
    WHARF_TRY(servers.ftp, ReadFtp(r, *ftp, f.PathOf("ftp"), absolute));
  }
  if (const Node* lockout = f.find("lockout")) {
    WHARF_TRY(servers.lockout, ReadLockout(r, *lockout, f.PathOf("lockout")));
  }
  if (servers.sftp && servers.ftp && servers.ftp->listen.port != 0 &&
      servers.sftp->listen.host == servers.ftp->listen.host &&
      servers.sftp->listen.port == servers.ftp->listen.port) {
    const Node* ftp_listen = f.find("ftp")->find("listen");
    return r.Fail(
        ftp_listen != nullptr ? *ftp_listen : *f.find("ftp"), f.PathOf("ftp.listen"),
        "is the address servers.sftp listens on (" + servers.sftp->listen.ToString() + ")");
  }
  return {};
}

}  // namespace project_internal
}  // namespace wharf
