// The `users` section of the project file: who may log in to the file-transfer servers, with what
// credentials, into which folder of the object store, and what they may do there (see project.h;
// README.md, "Project file reference", documents every key).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>

#include "core/project.h"
#include "core/project_internal.h"

namespace wharf {
namespace project_internal {
namespace {

using yaml::Node;

constexpr int64_t kMaxCount = int64_t{1} << 53;  // far beyond any store, exact in a double
constexpr size_t kMaxHomeBytes = 512;            // keys are at most 1,024 bytes (S3)

bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// AWS Transfer Family, CreateUser `UserName`: "[\w][\w@.-]{2,99}", 3 to 100 characters.
bool IsValidUserName(std::string_view name) {
  if (name.size() < 3 || name.size() > 100 || !IsWordChar(name[0])) return false;
  for (char c : name) {
    if (!IsWordChar(c) && c != '@' && c != '.' && c != '-') return false;
  }
  return true;
}

const Node* KeyNode(const Node& map, std::string_view key) {
  for (const yaml::Member& m : map.members()) {
    if (m.key.text() == key) return &m.key;
  }
  return nullptr;
}

// "partners/acme", "/partners/acme/" -> "partners/acme/"; "/" -> "" (the whole store).
Result<std::string> ReadHome(const yaml::Reader& r, const Node& node, const std::string& path) {
  if (!node.is_scalar() || node.text().empty())
    return r.Fail(node, path,
                  "must be a folder of the object store, for example partners/acme (or / for the "
                  "whole store), got " +
                      node.Describe());
  std::string_view text = node.text();
  if (text.size() > kMaxHomeBytes)
    return r.Fail(node, path, "must be at most " + std::to_string(kMaxHomeBytes) + " bytes");
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
      return r.Fail(node, path, "may not contain control characters");
    if (c == '\\') return r.Fail(node, path, "may not contain '\\'; folders are separated by '/'");
  }
  while (!text.empty() && text.front() == '/') text.remove_prefix(1);
  while (!text.empty() && text.back() == '/') text.remove_suffix(1);
  std::string home;
  while (!text.empty()) {
    size_t slash = text.find('/');
    std::string_view segment = text.substr(0, slash);
    text.remove_prefix(slash == std::string_view::npos ? text.size() : slash + 1);
    if (segment == "..")
      return r.Fail(node, path, "may not contain '..': a home is a fixed folder of the store");
    if (segment == ".") return r.Fail(node, path, "may not contain '.' as a folder name");
    if (segment.empty()) return r.Fail(node, path, "may not contain an empty folder name ('//')");
    home += std::string(segment) + "/";
  }
  return home;
}

// A size in bytes: 1048576, "500MB", "10 GiB", "1.5GB". Units are powers of 1000 (KB, MB, GB,
// TB) or of 1024 (KiB, MiB, GiB, TiB), case-insensitive.
Result<int64_t> ReadBytes(const yaml::Reader& r, const Node& node, const std::string& path) {
  auto bad = [&] {
    return r.Fail(node, path,
                  "must be a size in bytes: a whole number, or a number with a unit (B, KB, MB, "
                  "GB, TB, KiB, MiB, GiB, TiB), for example 10GiB; got " +
                      node.Describe());
  };
  if (!node.is_scalar()) return bad();
  double value = 0;
  if (node.type() == yaml::ScalarType::kInt) {
    value = static_cast<double>(node.as_int());
  } else if (node.type() == yaml::ScalarType::kString) {
    const std::string& t = node.text();
    size_t i = 0;
    while (i < t.size() && ((t[i] >= '0' && t[i] <= '9') || t[i] == '.')) ++i;
    std::string number = t.substr(0, i);
    if (number.empty() || number.front() == '.' || number.back() == '.' ||
        std::count(number.begin(), number.end(), '.') > 1)
      return bad();
    while (i < t.size() && t[i] == ' ') ++i;
    std::string unit;
    for (char c : t.substr(i)) unit.push_back(static_cast<char>(std::tolower(c)));
    static const std::pair<const char*, double> kUnits[] = {
        {"", 1},      {"b", 1},        {"kb", 1e3},        {"mb", 1e6},     {"gb", 1e9},
        {"tb", 1e12}, {"kib", 1024.0}, {"mib", 1048576.0}, {"gib", 0x1p30}, {"tib", 0x1p40}};
    double scale = 0;
    for (const auto& [name, s] : kUnits) {
      if (unit == name) scale = s;
    }
    if (scale == 0) return bad();
    value = std::floor(std::stod(number) * scale);
  } else {
    return bad();
  }
  if (value < 1)
    return r.Fail(node, path,
                  "must be at least 1 byte (leave it out for no limit), got " + node.Describe());
  if (value > static_cast<double>(kMaxCount))
    return r.Fail(node, path, "is larger than wharf can count, got " + node.Describe());
  return static_cast<int64_t>(value);
}

Result<int64_t> ReadCount(const yaml::Reader& r, const Node& node, const std::string& path) {
  if (!node.is_scalar() || node.type() != yaml::ScalarType::kInt || node.as_int() < 1 ||
      node.as_int() > kMaxCount)
    return r.Fail(node, path,
                  "must be a whole number of files, at least 1 (leave it out for no limit), got " +
                      node.Describe());
  return node.as_int();
}

Result<PermissionSet> ReadPermissions(const yaml::Reader& r, const Node& node,
                                      const std::string& path) {
  WHARF_TRY(const std::vector<Node>* items, r.Sequence(node, path));
  PermissionSet set = PermissionSet::None();
  for (size_t i = 0; i < items->size(); ++i) {
    std::string at = yaml::ItemPath(path, i);
    WHARF_TRY(std::string name, r.String((*items)[i], at));
    std::optional<Permission> found;
    for (Permission p : kAllPermissions) {
      if (name == PermissionName(p)) found = p;
    }
    if (!found) {
      std::string message = "unknown permission " + Quote(name) +
                            "; expected list, read, upload, delete, rename, mkdir";
      if (name == "write" || name == "put" || name == "store") {
        message += " (did you mean 'upload'?)";
      } else {
        std::string known =
            yaml::UnknownKeyMessage(name, {"list", "read", "upload", "delete", "rename", "mkdir"});
        if (size_t hint = known.find(" (did you mean"); hint != std::string::npos)
          message += known.substr(hint);
      }
      return r.Fail((*items)[i], at, message);
    }
    if (set.Has(*found)) return r.Fail((*items)[i], at, Quote(name) + " is listed twice");
    set.Add(*found);
  }
  return set;
}

Result<std::vector<FileProtocol>> ReadProtocols(const yaml::Reader& r, const Node& node,
                                                const std::string& path) {
  WHARF_TRY(const std::vector<Node>* items, r.Sequence(node, path));
  if (items->empty())
    return r.Fail(node, path,
                  "an empty list would let the user log in nowhere; list sftp, ftps or ftp "
                  "(leave it out for all three)");
  std::vector<FileProtocol> protocols;
  for (size_t i = 0; i < items->size(); ++i) {
    std::string at = yaml::ItemPath(path, i);
    WHARF_TRY(std::string name, r.String((*items)[i], at));
    std::optional<FileProtocol> found;
    for (FileProtocol p : {FileProtocol::kSftp, FileProtocol::kFtps, FileProtocol::kFtp}) {
      if (name == FileProtocolName(p)) found = p;
    }
    if (!found)
      return r.Fail((*items)[i], at,
                    "unknown protocol " + Quote(name) + "; expected sftp, ftps or ftp");
    if (std::find(protocols.begin(), protocols.end(), *found) != protocols.end())
      return r.Fail((*items)[i], at, Quote(name) + " is listed twice");
    protocols.push_back(*found);
  }
  return protocols;
}

Result<std::vector<SshPublicKey>> ReadSshKeys(const yaml::Reader& r, const Node& node,
                                              const std::string& path) {
  if (!node.is_sequence() && !node.is_null())
    return r.Fail(node, path,
                  "must be a list of OpenSSH public key lines (one item per key), got " +
                      (node.is_scalar() ? std::string("a string") : node.Describe()));
  std::vector<SshPublicKey> keys;
  std::set<std::string> blobs;
  for (size_t i = 0; i < node.items().size(); ++i) {
    const Node& item = node.items()[i];
    std::string at = yaml::ItemPath(path, i);
    if (!item.is_scalar() || item.type() != yaml::ScalarType::kString)
      return r.Fail(item, at,
                    "must be a public key line such as 'ssh-ed25519 AAAAC3Nza... "
                    "alice@laptop', got " +
                        item.Describe());
    auto key = ParseSshPublicKey(item.text());
    if (!key.ok()) return r.Fail(item, at, key.error().message);
    if (!blobs.insert(key->blob).second) return r.Fail(item, at, "the same key is listed twice");
    keys.push_back(std::move(*key));
  }
  return keys;
}

Result<UserConfig> ReadUser(const yaml::Reader& r, const std::string& name, const Node& node,
                            const std::string& path) {
  // A plain-text password gets its own message rather than "unknown key".
  for (const char* plain : {"password", "pass", "passwd"}) {
    if (const Node* key = KeyNode(node, plain))
      return r.Fail(*key, path + "." + plain,
                    "plain-text passwords are not accepted; run `wharf passwd` and put the hash "
                    "it prints under password_hash");
  }
  WHARF_TRY(yaml::Fields f,
            r.Map(node, path,
                  {"password_hash", "ssh_keys", "home", "permissions", "allowed_networks",
                   "protocols", "quota_bytes", "quota_files", "max_file_size"}));
  UserConfig user;
  user.name = name;
  user.home = name + "/";
  user.where = r.Where(node, path);
  if (const Node* hash = f.find("password_hash")) {
    std::string at = f.PathOf("password_hash");
    // The value is never quoted: it may be a password written by mistake.
    if (!hash->is_scalar() || hash->type() != yaml::ScalarType::kString)
      return r.Fail(*hash, at,
                    "must be a password hash as a string; run `wharf passwd` and paste the hash "
                    "it prints");
    if (auto problem = PasswordHashProblem(hash->text())) return r.Fail(*hash, at, *problem);
    user.password_hash = hash->text();
  }
  if (const Node* keys = f.find("ssh_keys")) {
    WHARF_TRY(user.ssh_keys, ReadSshKeys(r, *keys, f.PathOf("ssh_keys")));
  }
  if (user.password_hash.empty() && user.ssh_keys.empty())
    return r.Fail(
        node, path,
        "has neither password_hash nor ssh_keys, so nobody could log in as " + Quote(name));
  if (const Node* home = f.find("home")) {
    WHARF_TRY(user.home, ReadHome(r, *home, f.PathOf("home")));
  }
  if (const Node* permissions = f.find("permissions")) {
    WHARF_TRY(user.permissions, ReadPermissions(r, *permissions, f.PathOf("permissions")));
  }
  if (const Node* networks = f.find("allowed_networks")) {
    WHARF_TRY(user.allowed_networks, ReadNetworks(r, *networks, f.PathOf("allowed_networks")));
    if (user.allowed_networks.empty())
      return r.Fail(*networks, f.PathOf("allowed_networks"),
                    "an empty list would refuse every address; leave it out to allow any");
  }
  if (const Node* protocols = f.find("protocols")) {
    WHARF_TRY(user.protocols, ReadProtocols(r, *protocols, f.PathOf("protocols")));
  }
  if (const Node* n = f.find("quota_bytes")) {
    WHARF_TRY(user.quota_bytes, ReadBytes(r, *n, f.PathOf("quota_bytes")));
  }
  if (const Node* n = f.find("quota_files")) {
    WHARF_TRY(user.quota_files, ReadCount(r, *n, f.PathOf("quota_files")));
  }
  if (const Node* n = f.find("max_file_size")) {
    WHARF_TRY(user.max_file_size, ReadBytes(r, *n, f.PathOf("max_file_size")));
  }
  return user;
}

}  // namespace

Result<std::vector<IpNetwork>> ReadNetworks(const yaml::Reader& r, const Node& node,
                                            const std::string& path) {
  WHARF_TRY(const std::vector<Node>* items, r.Sequence(node, path));
  std::vector<IpNetwork> networks;
  for (size_t i = 0; i < items->size(); ++i) {
    std::string at = yaml::ItemPath(path, i);
    WHARF_TRY(std::string text, r.String((*items)[i], at));
    auto network = ParseIpNetwork(text);
    if (!network.ok()) return r.Fail((*items)[i], at, network.error().message);
    networks.push_back(*network);
  }
  return networks;
}

Status ReadUsers(const yaml::Reader& r, const Node& node, const std::string& path,
                 std::map<std::string, UserConfig>& users) {
  WHARF_TRY(yaml::Fields names, r.AnyMap(node, path));
  for (const yaml::Member& m : node.members()) {
    std::string at = names.PathOf(m.key.text());
    if (!IsValidUserName(m.key.text()))
      return r.Fail(m.key, at,
                    "a user name has 3 to 100 letters, digits, '_', '@', '.' or '-', and starts "
                    "with a letter, a digit or '_' (as AWS Transfer Family's)");
    WHARF_TRY(UserConfig user, ReadUser(r, m.key.text(), m.value, at));
    users[user.name] = std::move(user);
  }
  return {};
}

}  // namespace project_internal

const char* PermissionName(Permission permission) {
  switch (permission) {
    case Permission::kList:
      return "list";
    case Permission::kRead:
      return "read";
    case Permission::kUpload:
      return "upload";
    case Permission::kDelete:
      return "delete";
    case Permission::kRename:
      return "rename";
    case Permission::kMkdir:
      return "mkdir";
  }
  return "?";
}

const char* FileProtocolName(FileProtocol protocol) {
  switch (protocol) {
    case FileProtocol::kSftp:
      return "sftp";
    case FileProtocol::kFtps:
      return "ftps";
    case FileProtocol::kFtp:
      return "ftp";
  }
  return "?";
}

}  // namespace wharf
