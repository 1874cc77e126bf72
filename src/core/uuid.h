// Random (version 4) UUIDs in their usual text form. Thread-safety: a pure function.
#pragma once

#include <cstdint>
#include <string>

namespace wharf {

// Formats 128 random bits as a version 4, RFC 4122-variant UUID ("xxxxxxxx-xxxx-4xxx-yxxx-...").
std::string FormatUuidV4(uint64_t hi, uint64_t lo);

}  // namespace wharf
