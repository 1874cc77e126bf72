// Password hashes for the file-transfer users, with Debian's libcrypt (libxcrypt): new hashes are
// yescrypt ("$y$") at libcrypt's default cost; any hash the project file accepts (see
// wharf::PasswordHashProblem) can be checked.
//
// Thread-safety: every function is reentrant (each call has its own crypt_data).
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace wharf::ingest {

// Error code of HashPassword and CheckHashSupported.
inline constexpr char kPasswordError[] = "PasswordError";

// Passwords longer than this are refused: libcrypt takes at most 511 bytes
// (CRYPT_MAX_PASSPHRASE_SIZE - 1), and SHA-512 crypt's cost grows with the length.
inline constexpr size_t kMaxPasswordBytes = 511;

// A yescrypt hash of `password` with a fresh random salt, e.g.
// "$y$j9T$UcisLRQBjER9lzyyrFoP31$eGSqap/z12uWa.RjKWI78Pl9MaMGB95.VR6okIMSOc1".
// Fails on an empty password, one with a NUL byte, or one over kMaxPasswordBytes.
Result<std::string> HashPassword(std::string_view password);

// True when `password` hashes to `hash`. The comparison takes the same time wherever the two
// differ. False for anything malformed (an empty hash, a NUL in the password, an unknown scheme).
bool VerifyPassword(std::string_view password, std::string_view hash);

// Whether this libcrypt can check `hash` (crypt_checksalt): an error names a method that is
// unknown, disabled, or considered legacy by the library.
Status CheckHashSupported(std::string_view hash);

// Compares two byte strings in time that depends only on their lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace wharf::ingest
