// The SFTP v3 wire format (see sftp_protocol.h).
#include "ingest/sftp_protocol.h"

#include <time.h>

#include <algorithm>

#include <fmt/format.h>

namespace wharf::ingest::sftp {

bool Reader::U8(uint8_t* out) {
  if (remaining() < 1) return false;
  *out = static_cast<uint8_t>(bytes_[at_]);
  at_ += 1;
  return true;
}

bool Reader::U32(uint32_t* out) {
  if (remaining() < 4) return false;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(bytes_[at_ + i]);
  *out = v;
  at_ += 4;
  return true;
}

bool Reader::U64(uint64_t* out) {
  if (remaining() < 8) return false;
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(bytes_[at_ + i]);
  *out = v;
  at_ += 8;
  return true;
}

bool Reader::String(std::string_view* out) {
  size_t start = at_;
  uint32_t length = 0;
  if (!U32(&length)) return false;
  if (remaining() < length) {
    at_ = start;
    return false;
  }
  *out = bytes_.substr(at_, length);
  at_ += length;
  return true;
}

bool Reader::Attrs(Attributes* out) {
  size_t start = at_;
  auto fail = [&] {
    at_ = start;
    return false;
  };
  Attributes a;
  if (!U32(&a.flags)) return fail();
  if ((a.flags & kAttrSize) && !U64(&a.size)) return fail();
  if ((a.flags & kAttrUidGid) && !(U32(&a.uid) && U32(&a.gid))) return fail();
  if ((a.flags & kAttrPermissions) && !U32(&a.permissions)) return fail();
  if ((a.flags & kAttrAcModTime) && !(U32(&a.atime) && U32(&a.mtime))) return fail();
  if (a.flags & kAttrExtended) {
    uint32_t count = 0;
    if (!U32(&count)) return fail();
    for (uint32_t i = 0; i < count; ++i) {
      std::string_view type, data;
      if (!String(&type) || !String(&data)) return fail();
    }
  }
  *out = a;
  return true;
}

PacketWriter::PacketWriter(std::string& out, uint8_t type) : out_(out), start_(out.size()) {
  out_.append(4, '\0');
  out_.push_back(static_cast<char>(type));
}

PacketWriter::~PacketWriter() {
  uint32_t length = static_cast<uint32_t>(out_.size() - start_ - 4);
  for (int i = 0; i < 4; ++i) out_[start_ + i] = static_cast<char>(length >> (24 - 8 * i));
}

PacketWriter& PacketWriter::U32(uint32_t v) {
  for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>(v >> (24 - 8 * i)));
  return *this;
}

PacketWriter& PacketWriter::U64(uint64_t v) {
  for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>(v >> (56 - 8 * i)));
  return *this;
}

PacketWriter& PacketWriter::String(std::string_view s) {
  U32(static_cast<uint32_t>(s.size()));
  out_.append(s);
  return *this;
}

PacketWriter& PacketWriter::Attrs(const Attributes& a) {
  uint32_t flags = a.flags & (kAttrSize | kAttrUidGid | kAttrPermissions | kAttrAcModTime);
  U32(flags);
  if (flags & kAttrSize) U64(a.size);
  if (flags & kAttrUidGid) U32(a.uid).U32(a.gid);
  if (flags & kAttrPermissions) U32(a.permissions);
  if (flags & kAttrAcModTime) U32(a.atime).U32(a.mtime);
  return *this;
}

std::optional<std::string_view> NextPacket(std::string_view in, uint32_t max_length,
                                           size_t* consumed, std::string* error) {
  if (in.size() < 4) return std::nullopt;
  uint32_t length = 0;
  for (int i = 0; i < 4; ++i) length = (length << 8) | static_cast<uint8_t>(in[i]);
  if (length == 0 || length > max_length) {
    *error = fmt::format("an SFTP packet of {} bytes: this server accepts packets of 1 to {} bytes",
                         length, max_length);
    return std::nullopt;
  }
  if (in.size() - 4 < length) return std::nullopt;
  *consumed = 4 + static_cast<size_t>(length);
  return in.substr(4, length);
}

std::string LongName(std::string_view name, const Attributes& attrs, std::string_view owner,
                     int64_t now) {
  uint32_t mode = attrs.permissions;
  std::string modes = (mode & 0170000) == kModeDirectory ? "d" : "-";
  const char* rwx = "rwxrwxrwx";
  for (int bit = 0; bit < 9; ++bit) modes.push_back((mode >> (8 - bit)) & 1 ? rwx[bit] : '-');
  modes.push_back(' ');  // strmode(3)'s eleventh column (ACLs), blank as in OpenSSH's listings

  time_t t = static_cast<time_t>(attrs.mtime);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char date[32];
  constexpr int64_t kSixMonths = 365 * 24 * 3600 / 2;
  bool recent = attrs.mtime > now - kSixMonths && attrs.mtime <= now + 3600;
  strftime(date, sizeof date, recent ? "%b %e %H:%M" : "%b %e  %Y", &tm);

  size_t width = std::max<size_t>(owner.size(), 8);
  return fmt::format("{} {:>3} {:<{}} {:<{}} {:>8} {} {}", modes, 1, owner, width, owner, width,
                     attrs.size, date, name);
}

}  // namespace wharf::ingest::sftp
