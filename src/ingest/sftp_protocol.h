// The SFTP version 3 wire format (draft-ietf-secsh-filexfer-02, the version OpenSSH speaks) and
// the OpenSSH extensions wharf serves: packet types, status codes, attribute and open flags, and a
// reader and writer for the packets' fields. The server (sftp_handler.h) frames packets itself
// instead of using libssh 0.10's sftp_get_client_message: that API cannot announce
// limits@openssh.com (without it OpenSSH's client moves 32 KiB per request instead of ~256 KiB),
// has no reply for statvfs@openssh.com, and its handle table holds 256 handles.
//
// A packet on the wire: uint32 length, byte type, then the type's fields; every request but INIT
// carries a uint32 request id first. Integers are big-endian, strings are uint32 length + bytes.
//
// Thread-safety: plain values and functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wharf::ingest::sftp {

// Packet types (draft-02 §3).
inline constexpr uint8_t kInit = 1;
inline constexpr uint8_t kVersion = 2;
inline constexpr uint8_t kOpen = 3;
inline constexpr uint8_t kClose = 4;
inline constexpr uint8_t kRead = 5;
inline constexpr uint8_t kWrite = 6;
inline constexpr uint8_t kLstat = 7;
inline constexpr uint8_t kFstat = 8;
inline constexpr uint8_t kSetstat = 9;
inline constexpr uint8_t kFsetstat = 10;
inline constexpr uint8_t kOpendir = 11;
inline constexpr uint8_t kReaddir = 12;
inline constexpr uint8_t kRemove = 13;
inline constexpr uint8_t kMkdir = 14;
inline constexpr uint8_t kRmdir = 15;
inline constexpr uint8_t kRealpath = 16;
inline constexpr uint8_t kStat = 17;
inline constexpr uint8_t kRename = 18;
inline constexpr uint8_t kReadlink = 19;
inline constexpr uint8_t kSymlink = 20;
inline constexpr uint8_t kStatus = 101;
inline constexpr uint8_t kHandle = 102;
inline constexpr uint8_t kData = 103;
inline constexpr uint8_t kName = 104;
inline constexpr uint8_t kAttrs = 105;
inline constexpr uint8_t kExtended = 200;
inline constexpr uint8_t kExtendedReply = 201;

// Status codes: version 3 defines 0 to 8 (draft-02 §7).
enum class StatusCode : uint32_t {
  kOk = 0,
  kEof = 1,
  kNoSuchFile = 2,
  kPermissionDenied = 3,
  kFailure = 4,
  kBadMessage = 5,
  kNoConnection = 6,
  kConnectionLost = 7,
  kOpUnsupported = 8,
};

// Attribute flags (draft-02 §5).
inline constexpr uint32_t kAttrSize = 0x1;
inline constexpr uint32_t kAttrUidGid = 0x2;
inline constexpr uint32_t kAttrPermissions = 0x4;
inline constexpr uint32_t kAttrAcModTime = 0x8;
inline constexpr uint32_t kAttrExtended = 0x80000000;

// Open flags (draft-02 §6.3).
inline constexpr uint32_t kOpenRead = 0x1;
inline constexpr uint32_t kOpenWrite = 0x2;
inline constexpr uint32_t kOpenAppend = 0x4;
inline constexpr uint32_t kOpenCreate = 0x8;
inline constexpr uint32_t kOpenTruncate = 0x10;
inline constexpr uint32_t kOpenExclusive = 0x20;

// Permission bits of the file type, as in stat(2).
inline constexpr uint32_t kModeRegular = 0100000;
inline constexpr uint32_t kModeDirectory = 0040000;

// OpenSSH's extensions (PROTOCOL in OpenSSH's sources, §4).
inline constexpr char kPosixRename[] = "posix-rename@openssh.com";
inline constexpr char kStatvfs[] = "statvfs@openssh.com";
inline constexpr char kLimits[] = "limits@openssh.com";

struct Attributes {
  uint32_t flags = 0;
  uint64_t size = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t permissions = 0;
  uint32_t atime = 0;
  uint32_t mtime = 0;
};

// Reads fields from a packet's bytes; each getter returns false, and reads nothing, when the
// packet is too short.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  bool U8(uint8_t* out);
  bool U32(uint32_t* out);
  bool U64(uint64_t* out);
  bool String(std::string_view* out);
  // Flags, then the fields they name; extended pairs are read and dropped.
  bool Attrs(Attributes* out);
  size_t remaining() const { return bytes_.size() - at_; }

 private:
  std::string_view bytes_;
  size_t at_ = 0;
};

// Appends one packet to `out`: the constructor writes the length (patched by the destructor)
// and the type; the fields follow.
class PacketWriter {
 public:
  PacketWriter(std::string& out, uint8_t type);
  ~PacketWriter();
  PacketWriter(const PacketWriter&) = delete;
  PacketWriter& operator=(const PacketWriter&) = delete;

  PacketWriter& U32(uint32_t v);
  PacketWriter& U64(uint64_t v);
  PacketWriter& String(std::string_view s);
  PacketWriter& Attrs(const Attributes& a);

 private:
  std::string& out_;
  size_t start_;
};

// The first complete packet at the front of `in` (type and fields, without the length), or
// nullopt when more bytes are needed. `*consumed` is its size on the wire. A length of zero or
// over `max_length` is an error, returned as `*error`; the connection cannot go on.
std::optional<std::string_view> NextPacket(std::string_view in, uint32_t max_length,
                                           size_t* consumed, std::string* error);

// ls -l's line for an entry, as OpenSSH's sftp-server writes its long names:
// "-rw-r--r--    1 alice    alice        1234 Mar  4 12:00 a.csv" (the year instead of the
// time when the date is more than six months from `now`; UTC).
std::string LongName(std::string_view name, const Attributes& attrs, std::string_view owner,
                     int64_t now);

}  // namespace wharf::ingest::sftp
