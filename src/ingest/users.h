// The file-transfer users of the project (`users` in wharf.yaml): login by password or public key,
// the allow-list of networks, the protocols each may use, permissions and quotas. The SFTP and
// FTP servers ask this class, and every failed login is counted by the shared Lockout.
//
// A login's `reason` is for the server's log only. The client must get the same answer for an
// unknown user, a wrong password and a refused address, so that it learns nothing; for the same
// reason an unknown user costs a hash computation like a known one.
//
// Public keys (SSH): a client first asks whether a key would do (KeyStage::kProbe) and signs only
// when told yes (kSigned; the SSH library has checked the signature). Probes are not counted as
// failures, since an agent offers each of its keys in turn; the SFTP server calls
// RecordFailedConnection when a connection closes without logging in, so key-only guessing is
// still counted, once per connection.
//
// Thread-safety: after construction a Users is read-only and may be used from any thread; the
// Lockout it counts with is thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/project.h"
#include "core/result.h"
#include "ingest/lockout.h"

namespace wharf::ingest {

// Error codes of Require and CheckUpload.
inline constexpr char kAccessDenied[] = "AccessDenied";
inline constexpr char kQuotaExceeded[] = "QuotaExceeded";
inline constexpr char kFileTooLarge[] = "FileTooLarge";

enum class LoginResult { kAccepted, kRejected, kLockedOut };

struct Login {
  LoginResult result = LoginResult::kRejected;
  const UserConfig* user = nullptr;     // kAccepted only
  std::string reason;                   // for the log: "wrong password", "unknown user 'x'"
  std::chrono::seconds retry_after{0};  // kLockedOut: the time left
  bool accepted() const { return result == LoginResult::kAccepted; }
};

enum class KeyStage { kProbe, kSigned };

// What a user's home holds now (the servers ask the object store).
struct HomeUsage {
  int64_t bytes = 0;
  int64_t files = 0;
};

class Users {
 public:
  // REQUIRES: `lockout` outlives the Users.
  Users(std::map<std::string, UserConfig> users, Lockout& lockout);

  const UserConfig* Find(std::string_view name) const;
  size_t size() const { return users_.size(); }

  // Password login from `source` (the client's address as the socket gives it).
  Login Authenticate(std::string_view user, std::string_view password, std::string_view source,
                     FileProtocol protocol);
  // Public-key login over SFTP: `key_blob` is the key in SSH wire format.
  Login AuthenticateKey(std::string_view user, std::string_view key_blob, std::string_view source,
                        KeyStage stage);
  // A connection from `source` closed without logging in after key probes only.
  void RecordFailedConnection(std::string_view source);

  static bool AllowsNetwork(const UserConfig& user, std::string_view source);
  static bool AllowsProtocol(const UserConfig& user, FileProtocol protocol);

  // AccessDenied naming the user, the action and the path when `user` lacks `permission`.
  static Status Require(const UserConfig& user, Permission permission,
                        std::string_view virtual_path);

  // Whether an upload may go on, checked before it starts (upload_bytes 0) and as it grows:
  // `upload_bytes` written so far, `replaced_bytes` the size of the file it overwrites (nullopt
  // for a new file). QuotaExceeded or FileTooLarge name the limit.
  static Status CheckUpload(const UserConfig& user, const HomeUsage& used, int64_t upload_bytes,
                            std::optional<int64_t> replaced_bytes);

 private:
  // Counts a failure and builds the rejected Login.
  Login Reject(std::string_view source, std::string reason, KeyStage stage = KeyStage::kSigned);

  std::map<std::string, UserConfig, std::less<>> users_;
  Lockout& lockout_;
  // Checked when the user is unknown or has no password, so that such a login costs as much as
  // a real one.
  std::string decoy_hash_;
};

}  // namespace wharf::ingest
