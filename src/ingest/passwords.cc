// yescrypt hashing and verification through libxcrypt's reentrant calls (crypt_gensalt_rn,
// crypt_rn, crypt_checksalt; crypt(5) describes the hash formats).
#include "ingest/passwords.h"

#include <crypt.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

namespace wharf::ingest {
namespace {

static_assert(kMaxPasswordBytes + 1 == CRYPT_MAX_PASSPHRASE_SIZE);

// struct crypt_data is about 32 KiB: on the heap, not on a server thread's stack. libcrypt asks
// that it be zeroed before its first use.
std::unique_ptr<crypt_data> NewCryptData() { return std::make_unique<crypt_data>(); }

bool Usable(std::string_view password) {
  return !password.empty() && password.size() <= kMaxPasswordBytes &&
         password.find('\0') == std::string_view::npos;
}

}  // namespace

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // Walk the longer string whole, so the time does not tell where a difference is.
  size_t n = std::max(a.size(), b.size());
  volatile unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff = diff | (x ^ y);
  }
  return diff == 0;
}

Result<std::string> HashPassword(std::string_view password) {
  if (password.empty()) return MakeError(kPasswordError, "the password is empty");
  if (password.find('\0') != std::string_view::npos)
    return MakeError(kPasswordError, "the password contains a NUL character");
  if (password.size() > kMaxPasswordBytes)
    return MakeError(kPasswordError,
                     "the password is longer than " + std::to_string(kMaxPasswordBytes) + " bytes");
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  // Count 0 is the library's default cost; null random bytes: it reads the OS's random source.
  if (crypt_gensalt_rn("$y$", 0, nullptr, 0, setting, sizeof setting) == nullptr)
    return MakeError(kPasswordError, std::string("libcrypt could not make a yescrypt salt: ") +
                                         std::strerror(errno));
  std::string phrase(password);
  auto data = NewCryptData();
  const char* hash = crypt_rn(phrase.c_str(), setting, data.get(), sizeof *data);
  if (hash == nullptr || hash[0] == '*')
    return MakeError(kPasswordError,
                     std::string("libcrypt could not hash the password: ") + std::strerror(errno));
  std::string result(hash);
  explicit_bzero(data.get(), sizeof *data);
  explicit_bzero(phrase.data(), phrase.size());
  return result;
}

bool VerifyPassword(std::string_view password, std::string_view hash) {
  if (!Usable(password) || hash.empty() || hash[0] != '$' ||
      hash.find('\0') != std::string_view::npos)
    return false;
  std::string phrase(password);
  std::string setting(hash);
  auto data = NewCryptData();
  const char* computed = crypt_rn(phrase.c_str(), setting.c_str(), data.get(), sizeof *data);
  // crypt_rn returns null on failure; "*0"-style failure tokens never equal a real hash.
  bool equal = computed != nullptr && ConstantTimeEquals(computed, hash);
  explicit_bzero(data.get(), sizeof *data);  // the intermediate state derives from the password
  explicit_bzero(phrase.data(), phrase.size());
  return equal;
}

Status CheckHashSupported(std::string_view hash) {
  std::string setting(hash);
  switch (crypt_checksalt(setting.c_str())) {
    case CRYPT_SALT_OK:
      return {};
    case CRYPT_SALT_METHOD_DISABLED:
      return MakeError(kPasswordError, "this libcrypt was built without the hash's method");
    case CRYPT_SALT_METHOD_LEGACY:
      return MakeError(kPasswordError, "libcrypt considers the hash's method legacy (too weak)");
    case CRYPT_SALT_TOO_CHEAP:
      return MakeError(kPasswordError, "the hash's cost is too low for libcrypt");
    default:
      return MakeError(kPasswordError, "libcrypt does not recognise the hash");
  }
}

}  // namespace wharf::ingest
