// ValidateKey and the UTF-8 check (see keys.h and object_store.h).
#include "objects/keys.h"

#include <fmt/format.h>

#include "objects/object_store.h"

namespace wharf::objects {
namespace {

Error BadKey(std::string_view key, std::string problem) {
  return MakeError(errc::kInvalidKey, fmt::format("invalid key {}: {}", QuoteKey(key), problem));
}

}  // namespace

std::optional<Utf8Problem> FindUtf8Problem(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    auto b0 = static_cast<unsigned char>(text[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    // RFC 3629 §4: the lead byte says how many continuation bytes (10xxxxxx) follow.
    int extra;
    uint32_t cp;
    if (b0 >= 0xC0 && b0 <= 0xDF) {
      extra = 1;
      cp = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      extra = 2;
      cp = b0 & 0x0F;
    } else if (b0 >= 0xF0 && b0 <= 0xF7) {
      extra = 3;
      cp = b0 & 0x07;
    } else if (b0 >= 0x80 && b0 <= 0xBF) {
      return Utf8Problem{i, fmt::format("a continuation byte 0x{:02X} without a lead byte", b0)};
    } else {
      return Utf8Problem{i, fmt::format("byte 0x{:02X}, which UTF-8 never uses", b0)};
    }
    if (i + static_cast<size_t>(extra) >= text.size()) {
      return Utf8Problem{
          i, fmt::format("a sequence cut short (lead byte 0x{:02X} needs {} more)", b0, extra)};
    }
    for (int k = 1; k <= extra; ++k) {
      auto b = static_cast<unsigned char>(text[i + k]);
      if ((b & 0xC0) != 0x80) {
        return Utf8Problem{i, fmt::format("a sequence cut short (lead byte 0x{:02X} needs {} "
                                          "continuation bytes, byte {} is 0x{:02X})",
                                          b0, extra, i + k, b)};
      }
      cp = (cp << 6) | (b & 0x3F);
    }
    static constexpr uint32_t kMinForLength[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[extra]) {
      return Utf8Problem{i, fmt::format("an overlong encoding of U+{:04X}", cp)};
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) {
      return Utf8Problem{i, fmt::format("a UTF-16 surrogate U+{:04X}", cp)};
    }
    if (cp > 0x10FFFF) {
      return Utf8Problem{i, fmt::format("U+{:X}, past U+10FFFF", cp)};
    }
    i += static_cast<size_t>(extra) + 1;
  }
  return std::nullopt;
}

std::string QuoteKey(std::string_view key) {
  constexpr size_t kShown = 200;
  std::string out = "'";
  size_t i = 0;
  while (i < key.size() && i < kShown) {
    auto b = static_cast<unsigned char>(key[i]);
    if (b >= 0x20 && b < 0x7F && b != '\'' && b != '\\') {
      out += static_cast<char>(b);
      ++i;
      continue;
    }
    if (b >= 0xC2 && b <= 0xF4) {
      // A valid multi-byte sequence is shown as it is.
      size_t len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
      std::string_view seq = key.substr(i, len);
      if (seq.size() == len && !FindUtf8Problem(seq)) {
        out += seq;
        i += len;
        continue;
      }
    }
    out += fmt::format("\\x{:02X}", b);
    ++i;
  }
  if (i < key.size()) out += "...";
  out += '\'';
  return out;
}

Status ValidateKey(std::string_view key) {
  if (key.empty()) return BadKey(key, "the key is empty");
  if (key.size() > kMaxKeyBytes) {
    return BadKey(key, fmt::format("the key is {} bytes long; the limit is {} bytes of UTF-8",
                                   key.size(), kMaxKeyBytes));
  }
  if (size_t nul = key.find('\0'); nul != std::string_view::npos) {
    return BadKey(key, fmt::format("a NUL byte at offset {}", nul));
  }
  if (auto problem = FindUtf8Problem(key)) {
    return BadKey(key,
                  fmt::format("not valid UTF-8: {} at byte {}", problem->what, problem->offset));
  }
  if (key.front() == '/') {
    return BadKey(key, "it starts with '/'; keys are relative to the store's root");
  }
  // Segment rules: keys are shown as paths by SFTP and FTP (see object_store.h).
  size_t start = 0;
  while (start < key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    std::string_view segment = key.substr(start, end - start);
    if (segment.empty()) {
      return BadKey(key, fmt::format("an empty segment ('//') at byte {}", start - 1));
    }
    if (segment == "." || segment == "..") {
      return BadKey(key, fmt::format("a '{}' segment at byte {}", segment, start));
    }
    start = end + 1;  // past the end for a trailing '/': one folder marker slash is allowed
  }
  return {};
}

}  // namespace wharf::objects
