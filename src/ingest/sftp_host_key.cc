// The SFTP server's host key: read, or created at first start (see sftp_server.h).
#include <fcntl.h>
#include <libssh/libssh.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "ingest/sftp_server.h"

namespace wharf::ingest {
namespace {

Error Fail(std::string message) { return MakeError(kSftpServerError, std::move(message)); }

// Writes `text` to `path` through a temporary file that is synced and renamed, with `mode`.
Status WriteFileAtomically(const std::string& path, const std::string& text, mode_t mode) {
  std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());  // what an interrupted earlier start left
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return Fail(fmt::format("cannot create {}: {}", tmp, std::strerror(errno)));
  size_t at = 0;
  while (at < text.size()) {
    ssize_t n = ::write(fd, text.data() + at, text.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Fail(fmt::format("cannot write {}: {}", tmp, std::strerror(e)));
    }
    at += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return Fail(fmt::format("cannot write {}: {}", tmp, std::strerror(e)));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return Fail(fmt::format("cannot rename {} to {}: {}", tmp, path, std::strerror(e)));
  }
  // The rename itself survives a power cut once its folder is synced.
  std::string folder = std::filesystem::path(path).parent_path().string();
  int dir = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    (void)::fsync(dir);
    ::close(dir);
  }
  return {};
}

// "SHA256:..." and "TYPE BASE64" of `key`.
Status Describe(ssh_key key, const std::string& path, HostKey& out) {
  unsigned char* hash = nullptr;
  size_t length = 0;
  if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) != SSH_OK) {
    return Fail(fmt::format("cannot compute the fingerprint of the host key {}", path));
  }
  char* fingerprint = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length);
  ssh_clean_pubkey_hash(&hash);
  if (fingerprint == nullptr) {
    return Fail(fmt::format("cannot compute the fingerprint of the host key {}", path));
  }
  out.fingerprint = fingerprint;
  ssh_string_free_char(fingerprint);
  char* base64 = nullptr;
  if (ssh_pki_export_pubkey_base64(key, &base64) != SSH_OK) {
    return Fail(fmt::format("cannot export the public half of the host key {}", path));
  }
  out.public_key = fmt::format("{} {}", ssh_key_type_to_char(ssh_key_type(key)), base64);
  ssh_string_free_char(base64);
  return {};
}

}  // namespace

Result<HostKey> LoadOrCreateHostKey(const std::string& path) {
  if (path.empty()) return Fail("no host key file given");
  HostKey out;
  std::error_code ec;
  bool exists = std::filesystem::exists(path, ec);
  if (ec) return Fail(fmt::format("cannot look at the host key {}: {}", path, ec.message()));

  ssh_key key = nullptr;
  if (exists) {
    if (ssh_pki_import_privkey_file(path.c_str(), nullptr, nullptr, nullptr, &key) != SSH_OK) {
      return Fail(fmt::format(
          "the host key {} is not an OpenSSH private key without a passphrase that libssh "
          "can read (remove it to have an ed25519 key made)",
          path));
    }
  } else {
    std::filesystem::path folder = std::filesystem::path(path).parent_path();
    if (!folder.empty()) {
      std::filesystem::create_directories(folder, ec);
      if (ec)
        return Fail(fmt::format("cannot create the folder {}: {}", folder.string(), ec.message()));
    }
    if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK) {
      return Fail("cannot generate an ed25519 host key");
    }
    char* pem = nullptr;
    if (ssh_pki_export_privkey_base64(key, nullptr, nullptr, nullptr, &pem) != SSH_OK) {
      ssh_key_free(key);
      return Fail("cannot export the new ed25519 host key");
    }
    std::string text = pem;
    ssh_string_free_char(pem);
    if (text.empty() || text.back() != '\n') text += '\n';
    Status wrote = WriteFileAtomically(path, text, 0600);
    if (!wrote.ok()) {
      ssh_key_free(key);
      return wrote.error();
    }
    out.created = true;
  }
  Status described = Describe(key, path, out);
  ssh_key_free(key);
  if (!described.ok()) return described.error();
  if (out.created) {
    // The public half beside it, as ssh-keygen leaves it, for partners' known_hosts.
    Status wrote =
        WriteFileAtomically(path + ".pub", out.public_key + " wharf-sftp-host-key\n", 0644);
    if (!wrote.ok()) return wrote.error();
  }
  return out;
}

}  // namespace wharf::ingest
