// The text of the FTP protocol, apart from any socket: command lines, PORT/EPRT arguments,
// PASV/EPSV replies, listings (LIST, MLSD and MLST facts), times (MDTM, MFMT) and the replies
// that FileSession's errors map to. Used by the FTP server (ftp_server.h).
//
// Thread-safety: plain functions over values.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/project.h"
#include "core/result.h"
#include "ingest/vpath.h"

namespace wharf::ingest::ftp {

// One command line: the verb in upper case and the rest after one space, as sent.
struct Command {
  std::string verb;
  std::string arg;
};

// Parses a line without its CR LF. Telnet commands (IAC and a byte of 0xF0 to 0xFF, such as the
// IP and DM a client sends before ABOR, RFC 959 section 4.1.3) are dropped, and so is a lone IAC.
Command ParseCommand(std::string_view line);

// An address and port from PORT ("h1,h2,h3,h4,p1,p2", RFC 959) or EPRT ("|1|132.235.1.2|6275|"
// or "|2|::1|6275|", RFC 2428).
struct HostPort {
  std::string host;  // text form of the address
  uint16_t port = 0;
  bool v6 = false;
};
Result<HostPort> ParsePortArgument(std::string_view arg);
// Error code "UnsupportedProtocol" when the network protocol is neither 1 nor 2 (the server
// answers 522).
Result<HostPort> ParseEprtArgument(std::string_view arg);

// "Entering Passive Mode (127,0,0,1,195,80)." and "Entering Extended Passive Mode (|||50000|)".
std::string PasvReplyText(const std::array<uint8_t, 4>& address, uint16_t port);
std::string EpsvReplyText(uint16_t port);

// The time forms of RFC 3659 (MDTM, MFMT, MLST's modify fact): "YYYYMMDDHHMMSS" in UTC.
// Parse accepts fractional seconds ("20240102030405.123") and drops them.
std::string FormatFtpTime(TimePoint time);
std::optional<TimePoint> ParseFtpTime(std::string_view text);

// What a listing shows of one entry.
struct ListEntry {
  std::string name;  // one segment, or a path for LIST of a file
  EntryType type = EntryType::kFile;
  int64_t size = 0;
  std::optional<TimePoint> modified;  // folders have no time of their own
};

// One line of `ls -l` ("-rw-r--r-- 1 ftp ftp 1234 Jan  2 03:04 name"), without CR LF. The date
// shows the year instead of the time when the entry is older than six months or in the future,
// as ls does. Folders without a time show `now`.
std::string ListLine(const ListEntry& entry, TimePoint now);

// The MLST facts a client may choose with OPTS MLST (RFC 3659 section 7.8).
struct MlstFacts {
  bool type = true;
  bool size = true;
  bool modify = true;
  bool perm = true;
};
// Parses "type;size;" (unknown facts ignored) and gives the facts chosen.
MlstFacts ParseMlstOpts(std::string_view arg);
std::string MlstOptsText(const MlstFacts& facts);  // "type;size;modify;perm;"
// "type=file;size=12;modify=20240102030405;perm=rwdf; name" (no CR LF): the facts chosen, the
// perm fact from the user's permissions (RFC 3659 section 7.5.5).
std::string MlsxLine(const ListEntry& entry, const MlstFacts& facts, const PermissionSet& perms);

// LIST and NLST arguments: leading options ("-la", "-a") are dropped; what remains is a path,
// possibly empty.
std::string_view StripListOptions(std::string_view arg);

// A path in a 257 reply, with its quotes doubled (RFC 959, appendix II): "\"/a\"\"b\"".
std::string QuotePath(std::string_view path);

// A name is unfit for a listing line when it holds CR or LF (the line would break).
bool FitsInListing(std::string_view name);

// What an operation reports when FileSession refuses it or fails.
enum class Operation {
  kRead,    // RETR, SIZE, MDTM, MLST, LIST, CWD, RNFR
  kCreate,  // STOR, APPE, MKD, RNTO: a new name (553 when the name itself is not allowed)
  kChange,  // DELE, RMD
};
struct Reply {
  int code = 0;
  std::string text;
};
// kInvalidPath: 550 (553 for kCreate); kAccessDenied, kNotFound, kExists, kNotEmpty,
// kIsDirectory, kNotDirectory: 550; kNotSupported: 554 for offsets (REST), else 550;
// kQuotaExceeded and kFileTooLarge: 552; kUploadAborted: 426; anything else (the store failed):
// 451, with a text that does not repeat the store's message (the server logs it).
Reply ReplyForError(const Error& error, Operation operation);

}  // namespace wharf::ingest::ftp
