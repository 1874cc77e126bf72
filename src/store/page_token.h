// Pagination tokens: opaque to clients, they carry the sort key of the last item returned (a
// keyset, so a page costs the same at any depth) and a fingerprint of the query's filters, so a
// token used with other filters is refused (AWS answers InvalidToken in that case).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace wharf::store {

// A 64-bit FNV-1a hash of the filter fields, each followed by a separator.
uint64_t QueryFingerprint(const std::vector<std::string_view>& fields);

// "<fingerprint>.<part>.<part>...", every part hex-encoded.
std::string EncodePageToken(uint64_t fingerprint, const std::vector<std::string>& key);

// The key parts, or errc::kInvalidToken when the token is malformed, was made for other filters,
// or does not have `parts` parts.
Result<std::vector<std::string>> DecodePageToken(std::string_view token, uint64_t fingerprint,
                                                 size_t parts);
// The same for a key of integers.
Result<std::vector<int64_t>> DecodeIntPageToken(std::string_view token, uint64_t fingerprint,
                                                size_t parts);

}  // namespace wharf::store
