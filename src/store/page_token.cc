#include "store/page_token.h"

#include <charconv>

#include <fmt/format.h>

#include "store/state_store.h"

namespace wharf::store {
namespace {

constexpr char kHex[] = "0123456789abcdef";

Error BadToken() {
  return MakeError(errc::kInvalidToken,
                   "the pagination token is invalid or belongs to another "
                   "query");
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

uint64_t QueryFingerprint(const std::vector<std::string_view>& fields) {
  uint64_t h = 14695981039346656037ull;
  auto mix = [&h](unsigned char c) {
    h ^= c;
    h *= 1099511628211ull;
  };
  for (std::string_view f : fields) {
    for (char c : f) mix(static_cast<unsigned char>(c));
    mix(0xff);  // a byte UTF-8 never uses: ("ab","c") and ("a","bc") differ
  }
  return h;
}

std::string EncodePageToken(uint64_t fingerprint, const std::vector<std::string>& key) {
  std::string out = fmt::format("{:016x}", fingerprint);
  for (const std::string& part : key) {
    out += '.';
    for (char c : part) {
      auto u = static_cast<unsigned char>(c);
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

Result<std::vector<std::string>> DecodePageToken(std::string_view token, uint64_t fingerprint,
                                                 size_t parts) {
  if (token.size() < 16 || token.substr(0, 16) != fmt::format("{:016x}", fingerprint)) {
    return BadToken();
  }
  std::vector<std::string> key;
  size_t pos = 16;
  while (pos < token.size()) {
    if (token[pos] != '.') return BadToken();
    size_t end = token.find('.', pos + 1);
    if (end == std::string_view::npos) end = token.size();
    std::string_view hex = token.substr(pos + 1, end - pos - 1);
    if (hex.size() % 2 != 0) return BadToken();
    std::string part;
    for (size_t i = 0; i < hex.size(); i += 2) {
      int hi = HexValue(hex[i]), lo = HexValue(hex[i + 1]);
      if (hi < 0 || lo < 0) return BadToken();
      part += static_cast<char>(hi * 16 + lo);
    }
    key.push_back(std::move(part));
    pos = end;
  }
  if (key.size() != parts) return BadToken();
  return key;
}

Result<std::vector<int64_t>> DecodeIntPageToken(std::string_view token, uint64_t fingerprint,
                                                size_t parts) {
  WHARF_TRY(std::vector<std::string> key, DecodePageToken(token, fingerprint, parts));
  std::vector<int64_t> out;
  for (const std::string& part : key) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (ec != std::errc() || end != part.data() + part.size()) return BadToken();
    out.push_back(v);
  }
  return out;
}

}  // namespace wharf::store
