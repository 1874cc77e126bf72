// Client addresses: parsing what a server reads from its socket ("192.0.2.7", "::ffff:192.0.2.7",
// "[2001:db8::1]", "fe80::1%eth0") and matching it against the project's CIDR networks.
// An IPv4-mapped IPv6 address (what a server listening on [::] sees for an IPv4 client) is
// taken as the IPv4 address it maps, so "10.0.0.0/8" matches "::ffff:10.1.2.3".
//
// Thread-safety: plain functions over values.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/project.h"

namespace wharf::ingest {

struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // network byte order; IPv4 uses the first 4
  std::string ToString() const;     // "192.0.2.7", "2001:db8::1"
};

// nullopt when `text` is not an address (the zone id of a link-local address is dropped).
std::optional<IpAddress> ParseIpAddress(std::string_view text);

bool NetworkContains(const IpNetwork& network, const IpAddress& address);
bool AnyNetworkContains(const std::vector<IpNetwork>& networks, const IpAddress& address);

}  // namespace wharf::ingest
