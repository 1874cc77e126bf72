// Address parsing with inet_pton and prefix matching (see address.h).
#include "ingest/address.h"

#include <arpa/inet.h>

#include <algorithm>

namespace wharf::ingest {
namespace {

constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};

bool PrefixEquals(const uint8_t* a, const uint8_t* b, int bits) {
  int whole = bits / 8;
  if (!std::equal(a, a + whole, b)) return false;
  int rest = bits % 8;
  if (rest == 0) return true;
  auto mask = static_cast<uint8_t>(0xFF00 >> rest);
  return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

std::string IpAddress::ToString() const {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), text, sizeof text);
  return text;
}

std::optional<IpAddress> ParseIpAddress(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']')
    text = text.substr(1, text.size() - 2);
  text = text.substr(0, text.find('%'));
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  std::string s(text);
  IpAddress a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) return a;
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) != 1) return std::nullopt;
  a.v6 = true;
  if (std::equal(kMappedPrefix, kMappedPrefix + 12, a.bytes.begin())) {
    // ::ffff:a.b.c.d is the IPv4 client a.b.c.d (RFC 4291 §2.5.5.2).
    std::copy(a.bytes.begin() + 12, a.bytes.end(), a.bytes.begin());
    std::fill(a.bytes.begin() + 4, a.bytes.end(), 0);
    a.v6 = false;
  }
  return a;
}

bool NetworkContains(const IpNetwork& network, const IpAddress& address) {
  if (network.v6 == address.v6)
    return PrefixEquals(network.address.data(), address.bytes.data(), network.prefix_length);
  if (network.v6 && !address.v6) {
    // A network written as IPv4-mapped IPv6 ("::ffff:10.0.0.0/104") still matches IPv4 clients.
    std::array<uint8_t, 16> mapped{};
    std::copy(kMappedPrefix, kMappedPrefix + 12, mapped.begin());
    std::copy(address.bytes.begin(), address.bytes.begin() + 4, mapped.begin() + 12);
    return PrefixEquals(network.address.data(), mapped.data(), network.prefix_length);
  }
  return false;
}

bool AnyNetworkContains(const std::vector<IpNetwork>& networks, const IpAddress& address) {
  for (const IpNetwork& n : networks) {
    if (NetworkContains(n, address)) return true;
  }
  return false;
}

}  // namespace wharf::ingest
