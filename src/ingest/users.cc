// Logins, permissions and quotas of the file-transfer users (see users.h).
#include "ingest/users.h"

#include <algorithm>

#include "ingest/address.h"
#include "ingest/passwords.h"

namespace wharf::ingest {
namespace {

// A yescrypt hash at libcrypt's default cost, of a password nobody knows, for decoy checks when
// no user has a password of their own.
constexpr char kDecoyHash[] =
    "$y$j9T$UcisLRQBjER9lzyyrFoP31$eGSqap/z12uWa.RjKWI78Pl9MaMGB95.VR6okIMSOc1";

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string PermissionList(const PermissionSet& set) {
  std::string list;
  for (Permission p : kAllPermissions) {
    if (set.Has(p)) list += (list.empty() ? "" : ", ") + std::string(PermissionName(p));
  }
  return list.empty() ? "none" : list;
}

}  // namespace

Users::Users(std::map<std::string, UserConfig> users, Lockout& lockout)
    : users_(users.begin(), users.end()), lockout_(lockout), decoy_hash_(kDecoyHash) {
  // The decoy costs what a real check costs: take a real user's hash (its scheme and cost).
  for (const auto& [name, user] : users_) {
    if (!user.password_hash.empty()) {
      decoy_hash_ = user.password_hash;
      break;
    }
  }
}

const UserConfig* Users::Find(std::string_view name) const {
  auto it = users_.find(name);
  return it == users_.end() ? nullptr : &it->second;
}

bool Users::AllowsNetwork(const UserConfig& user, std::string_view source) {
  if (user.allowed_networks.empty()) return true;
  auto address = ParseIpAddress(source);
  return address && AnyNetworkContains(user.allowed_networks, *address);
}

bool Users::AllowsProtocol(const UserConfig& user, FileProtocol protocol) {
  return std::find(user.protocols.begin(), user.protocols.end(), protocol) != user.protocols.end();
}

Login Users::Reject(std::string_view source, std::string reason, KeyStage stage) {
  if (stage == KeyStage::kSigned && lockout_.RecordFailure(source))
    reason += "; the address is now locked out";
  Login login;
  login.result = LoginResult::kRejected;
  login.reason = std::move(reason);
  return login;
}

Login Users::Authenticate(std::string_view name, std::string_view password, std::string_view source,
                          FileProtocol protocol) {
  Lockout::Verdict verdict = lockout_.Check(source);
  if (!verdict.allowed) {
    Login login;
    login.result = LoginResult::kLockedOut;
    login.retry_after = verdict.retry_after;
    login.reason =
        "the address is locked out for " + std::to_string(verdict.retry_after.count()) + " s more";
    return login;
  }
  const UserConfig* user = Find(name);
  bool has_password = user != nullptr && !user->password_hash.empty();
  // One hash computation whatever happens next, so the time taken tells nothing.
  bool password_ok =
      VerifyPassword(password, has_password ? user->password_hash : decoy_hash_) && has_password;
  if (user == nullptr) return Reject(source, "unknown user " + Quote(name.substr(0, 100)));
  if (!has_password) return Reject(source, "user " + Quote(name) + " has no password (keys only)");
  if (!AllowsNetwork(*user, source))
    return Reject(source, "user " + Quote(name) + " may not log in from " + std::string(source) +
                              " (allowed_networks)");
  if (!AllowsProtocol(*user, protocol))
    return Reject(source, "user " + Quote(name) + " may not log in by " +
                              FileProtocolName(protocol) + " (protocols)");
  if (!password_ok) return Reject(source, "wrong password for user " + Quote(name));
  lockout_.RecordSuccess(source);
  Login login;
  login.result = LoginResult::kAccepted;
  login.user = user;
  return login;
}

Login Users::AuthenticateKey(std::string_view name, std::string_view key_blob,
                             std::string_view source, KeyStage stage) {
  Lockout::Verdict verdict = lockout_.Check(source);
  if (!verdict.allowed) {
    Login login;
    login.result = LoginResult::kLockedOut;
    login.retry_after = verdict.retry_after;
    login.reason =
        "the address is locked out for " + std::to_string(verdict.retry_after.count()) + " s more";
    return login;
  }
  const UserConfig* user = Find(name);
  if (user == nullptr) return Reject(source, "unknown user " + Quote(name.substr(0, 100)), stage);
  if (!AllowsNetwork(*user, source))
    return Reject(source,
                  "user " + Quote(name) + " may not log in from " + std::string(source) +
                      " (allowed_networks)",
                  stage);
  if (!AllowsProtocol(*user, FileProtocol::kSftp))
    return Reject(source, "user " + Quote(name) + " may not log in by sftp (protocols)", stage);
  bool known = std::any_of(user->ssh_keys.begin(), user->ssh_keys.end(),
                           [&](const SshPublicKey& k) { return k.blob == key_blob; });
  if (!known) return Reject(source, "user " + Quote(name) + " has no such key in ssh_keys", stage);
  if (stage == KeyStage::kSigned) lockout_.RecordSuccess(source);
  Login login;
  login.result = LoginResult::kAccepted;
  login.user = user;
  return login;
}

void Users::RecordFailedConnection(std::string_view source) { lockout_.RecordFailure(source); }

Status Users::Require(const UserConfig& user, Permission permission,
                      std::string_view virtual_path) {
  if (user.permissions.Has(permission)) return {};
  return MakeError(kAccessDenied, "user " + Quote(user.name) + " may not " +
                                      PermissionName(permission) + " " + std::string(virtual_path) +
                                      " (permissions: " + PermissionList(user.permissions) + ")");
}

Status Users::CheckUpload(const UserConfig& user, const HomeUsage& used, int64_t upload_bytes,
                          std::optional<int64_t> replaced_bytes) {
  if (user.max_file_size && upload_bytes > *user.max_file_size)
    return MakeError(kFileTooLarge, "the file is larger than the " +
                                        std::to_string(*user.max_file_size) + " bytes user " +
                                        Quote(user.name) + " may upload");
  if (user.quota_files && !replaced_bytes && used.files + 1 > *user.quota_files)
    return MakeError(kQuotaExceeded, "user " + Quote(user.name) + " has " +
                                         std::to_string(used.files) + " files, the quota is " +
                                         std::to_string(*user.quota_files));
  int64_t after = used.bytes - replaced_bytes.value_or(0) + upload_bytes;
  if (user.quota_bytes && after > *user.quota_bytes)
    return MakeError(kQuotaExceeded, "the upload would bring the home of user " + Quote(user.name) +
                                         " to " + std::to_string(after) +
                                         " bytes, over the quota of " +
                                         std::to_string(*user.quota_bytes));
  return {};
}

}  // namespace wharf::ingest
