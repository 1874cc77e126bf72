// Key checks and key text for messages, shared by the store and its tests. ValidateKey itself is
// declared in object_store.h.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace wharf::objects {

inline constexpr size_t kMaxKeyBytes = 1024;  // S3's limit, in bytes of UTF-8

// A UTF-8 problem of `text` and its byte offset, or nullopt when `text` is valid UTF-8 (RFC 3629:
// shortest form only, no surrogates U+D800..U+DFFF, nothing above U+10FFFF).
struct Utf8Problem {
  size_t offset = 0;
  std::string what;  // "an overlong encoding of U+002E", "a lone surrogate U+D800", ...
};
std::optional<Utf8Problem> FindUtf8Problem(std::string_view text);

// The key quoted for an error message: printable ASCII and valid UTF-8 as they are, control
// bytes, quotes, backslashes and invalid bytes as \xNN; cut at 200 bytes with "...".
std::string QuoteKey(std::string_view key);

}  // namespace wharf::objects
