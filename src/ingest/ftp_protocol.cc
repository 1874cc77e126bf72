// The text of the FTP protocol (see ftp_protocol.h).
#include "ingest/ftp_protocol.h"

#include <time.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>

#include <fmt/format.h>

#include "ingest/address.h"
#include "ingest/file_session.h"
#include "ingest/users.h"
#include "objects/object_store.h"

namespace wharf::ingest::ftp {
namespace {

constexpr unsigned char kIac = 0xFF;
constexpr char kMonths[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

Error Invalid(std::string message) { return MakeError("InvalidArgument", std::move(message)); }

std::optional<unsigned> ParseNumber(std::string_view text, unsigned max) {
  unsigned value = 0;
  if (text.empty() || text.size() > 5) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

struct tm UtcOf(TimePoint time) {
  time_t seconds = std::chrono::system_clock::to_time_t(time);
  struct tm out {};
  gmtime_r(&seconds, &out);
  return out;
}

// The message of a FileSession error without what only the server's log needs: FileSession
// appends why an event of a failed operation could not be recorded.
std::string ClientMessage(const Error& error) {
  std::string message = error.message;
  size_t cut = message.find(" (and its \"");
  if (cut != std::string::npos) message.resize(cut);
  return message;
}

}  // namespace

Command ParseCommand(std::string_view line) {
  std::string clean;
  clean.reserve(line.size());
  for (size_t i = 0; i < line.size(); ++i) {
    auto c = static_cast<unsigned char>(line[i]);
    if (c == kIac) {
      // IAC IAC is a data byte 0xFF, which no command or UTF-8 path holds: drop it too.
      if (i + 1 < line.size() && static_cast<unsigned char>(line[i + 1]) >= 0xF0) ++i;
      continue;
    }
    clean.push_back(static_cast<char>(c));
  }
  while (!clean.empty() && (clean.back() == '\r' || clean.back() == '\n')) clean.pop_back();
  // Clients send the Synch's data mark inline on some stacks: anything before the verb that is
  // not a letter is noise.
  size_t start = 0;
  while (start < clean.size() && !std::isalpha(static_cast<unsigned char>(clean[start]))) ++start;
  std::string_view rest(clean);
  rest.remove_prefix(start);
  Command command;
  size_t space = rest.find(' ');
  std::string_view verb = rest.substr(0, space);
  command.verb.reserve(verb.size());
  for (char c : verb) command.verb.push_back(static_cast<char>(std::toupper(c)));
  if (space != std::string_view::npos) command.arg = std::string(rest.substr(space + 1));
  return command;
}

Result<HostPort> ParsePortArgument(std::string_view arg) {
  unsigned parts[6];
  int n = 0;
  while (n < 6) {
    size_t comma = arg.find(',');
    std::string_view piece = arg.substr(0, comma);
    while (!piece.empty() && piece.front() == ' ') piece.remove_prefix(1);
    while (!piece.empty() && piece.back() == ' ') piece.remove_suffix(1);
    auto value = ParseNumber(piece, 255);
    if (!value) break;
    parts[n++] = *value;
    if (comma == std::string_view::npos) {
      arg = {};
      break;
    }
    arg.remove_prefix(comma + 1);
  }
  if (n != 6 || !arg.empty()) {
    return Invalid("PORT takes six numbers from 0 to 255: h1,h2,h3,h4,p1,p2");
  }
  HostPort out;
  out.host = fmt::format("{}.{}.{}.{}", parts[0], parts[1], parts[2], parts[3]);
  out.port = static_cast<uint16_t>(parts[4] * 256 + parts[5]);
  return out;
}

Result<HostPort> ParseEprtArgument(std::string_view arg) {
  // The first character is the delimiter; it must be one of the printable ASCII characters
  // 33 to 126 (RFC 2428 section 2), and "|" is the usual one.
  if (arg.size() < 7 || arg[0] < 33 || arg[0] > 126 || arg.back() != arg[0]) {
    return Invalid("EPRT takes |PROTOCOL|ADDRESS|PORT|");
  }
  char d = arg[0];
  std::string_view body = arg.substr(1, arg.size() - 2);
  size_t a = body.find(d);
  size_t b = a == std::string_view::npos ? a : body.find(d, a + 1);
  if (b == std::string_view::npos || body.find(d, b + 1) != std::string_view::npos) {
    return Invalid("EPRT takes |PROTOCOL|ADDRESS|PORT|");
  }
  std::string_view protocol = body.substr(0, a);
  std::string_view host = body.substr(a + 1, b - a - 1);
  std::string_view port = body.substr(b + 1);
  if (protocol != "1" && protocol != "2") {
    return MakeError("UnsupportedProtocol", "EPRT network protocol must be 1 (IPv4) or 2 (IPv6)");
  }
  auto address = ParseIpAddress(host);
  auto number = ParseNumber(port, 65535);
  if (!address || host.find('%') != std::string_view::npos || !number) {
    return Invalid("EPRT: '" + std::string(host) + "' port '" + std::string(port) +
                   "' is not an address and a port");
  }
  bool v6 = protocol == "2";
  if (address->v6 != v6) return Invalid("EPRT: the address does not match the protocol number");
  HostPort out;
  out.host = address->ToString();
  out.port = static_cast<uint16_t>(*number);
  out.v6 = v6;
  return out;
}

std::string PasvReplyText(const std::array<uint8_t, 4>& a, uint16_t port) {
  return fmt::format("Entering Passive Mode ({},{},{},{},{},{}).", a[0], a[1], a[2], a[3],
                     port >> 8, port & 0xFF);
}

std::string EpsvReplyText(uint16_t port) {
  return fmt::format("Entering Extended Passive Mode (|||{}|)", port);
}

std::string FormatFtpTime(TimePoint time) {
  struct tm t = UtcOf(time);
  return fmt::format("{:04}{:02}{:02}{:02}{:02}{:02}", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday,
                     t.tm_hour, t.tm_min, t.tm_sec);
}

std::optional<TimePoint> ParseFtpTime(std::string_view text) {
  size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  if (whole.size() != 14) return std::nullopt;
  if (dot != std::string_view::npos) {
    std::string_view fraction = text.substr(dot + 1);
    if (fraction.empty() || fraction.size() > 9) return std::nullopt;
    for (char c : fraction)
      if (c < '0' || c > '9') return std::nullopt;
  }
  for (char c : whole)
    if (c < '0' || c > '9') return std::nullopt;
  auto field = [&](size_t at, size_t n) {
    int v = 0;
    for (size_t i = at; i < at + n; ++i) v = v * 10 + (whole[i] - '0');
    return v;
  };
  int year = field(0, 4), month = field(4, 2), day = field(6, 2);
  int hour = field(8, 2), minute = field(10, 2), second = field(12, 2);
  using namespace std::chrono;
  year_month_day date{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                      std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  return TimePoint(sys_days(date)) + hours(hour) + minutes(minute) + seconds(second);
}

std::string ListLine(const ListEntry& entry, TimePoint now) {
  bool folder = entry.type == EntryType::kDirectory;
  TimePoint when = entry.modified.value_or(now);
  struct tm t = UtcOf(when);
  // ls shows the time of day for the last six months, the year otherwise (and for the future).
  constexpr auto kHalfYear = std::chrono::hours(24 * 182);
  bool recent = when <= now + std::chrono::hours(1) && now - when < kHalfYear;
  std::string date =
      recent
          ? fmt::format("{} {:>2} {:02}:{:02}", kMonths[t.tm_mon], t.tm_mday, t.tm_hour, t.tm_min)
          : fmt::format("{} {:>2}  {}", kMonths[t.tm_mon], t.tm_mday, t.tm_year + 1900);
  return fmt::format("{} 1 ftp ftp {:>12} {} {}", folder ? "drwxr-xr-x" : "-rw-r--r--",
                     folder ? 0 : entry.size, date, entry.name);
}

MlstFacts ParseMlstOpts(std::string_view arg) {
  MlstFacts facts{false, false, false, false};
  while (!arg.empty()) {
    size_t semi = arg.find(';');
    std::string fact;
    for (char c : arg.substr(0, semi)) fact.push_back(static_cast<char>(std::tolower(c)));
    arg.remove_prefix(semi == std::string_view::npos ? arg.size() : semi + 1);
    if (fact == "type") facts.type = true;
    if (fact == "size") facts.size = true;
    if (fact == "modify") facts.modify = true;
    if (fact == "perm") facts.perm = true;
  }
  return facts;
}

std::string MlstOptsText(const MlstFacts& facts) {
  std::string out;
  if (facts.type) out += "type;";
  if (facts.size) out += "size;";
  if (facts.modify) out += "modify;";
  if (facts.perm) out += "perm;";
  return out;
}

std::string MlsxLine(const ListEntry& entry, const MlstFacts& facts, const PermissionSet& perms) {
  bool folder = entry.type == EntryType::kDirectory;
  std::string out;
  if (facts.type) out += folder ? "type=dir;" : "type=file;";
  if (facts.size && !folder) out += fmt::format("size={};", entry.size);
  if (facts.modify && entry.modified) out += "modify=" + FormatFtpTime(*entry.modified) + ";";
  if (facts.perm) {
    // RFC 3659 section 7.5.5: files r (RETR), w (STOR), d (DELE), f (RNFR); folders e (CWD),
    // l (LIST), c (STOR into), m (MKD), d (RMD), f (RNFR). "a" (APPE) is not offered: an
    // existing file cannot be appended to.
    std::string p;
    if (folder) {
      p += 'e';
      if (perms.Has(Permission::kList)) p += 'l';
      if (perms.Has(Permission::kUpload)) p += 'c';
      if (perms.Has(Permission::kMkdir)) p += 'm';
      if (perms.Has(Permission::kDelete)) p += 'd';
      if (perms.Has(Permission::kRename)) p += 'f';
    } else {
      if (perms.Has(Permission::kRead)) p += 'r';
      if (perms.Has(Permission::kUpload)) p += 'w';
      if (perms.Has(Permission::kDelete)) p += 'd';
      if (perms.Has(Permission::kRename)) p += 'f';
    }
    out += "perm=" + p + ";";
  }
  return out + " " + entry.name;
}

std::string_view StripListOptions(std::string_view arg) {
  for (;;) {
    while (!arg.empty() && arg.front() == ' ') arg.remove_prefix(1);
    if (arg.empty() || arg.front() != '-') return arg;
    size_t space = arg.find(' ');
    arg.remove_prefix(space == std::string_view::npos ? arg.size() : space);
  }
}

std::string QuotePath(std::string_view path) {
  std::string out = "\"";
  for (char c : path) {
    out.push_back(c);
    if (c == '"') out.push_back('"');
  }
  return out + "\"";
}

bool FitsInListing(std::string_view name) {
  return name.find('\r') == std::string_view::npos && name.find('\n') == std::string_view::npos;
}

Reply ReplyForError(const Error& error, Operation operation) {
  const std::string& code = error.code;
  std::string message = ClientMessage(error);
  if (code == kInvalidPath) {
    return {operation == Operation::kCreate ? 553 : 550, "Path not allowed: " + message};
  }
  if (code == kAccessDenied) return {550, "Permission denied: " + message};
  if (code == kNotFound || code == kExists || code == kNotEmpty || code == kIsDirectory ||
      code == kNotDirectory) {
    return {550, message};
  }
  if (code == kNotSupported) {
    bool offset = message.find("offset") != std::string::npos;
    return {offset ? 554 : 550, message};
  }
  if (code == kQuotaExceeded || code == kFileTooLarge) {
    return {552, "Exceeded storage allocation: " + message};
  }
  if (code == kUploadAborted) return {426, "Connection closed; transfer aborted: " + message};
  return {451, "Local error in processing: the store failed; nothing was changed"};
}

}  // namespace wharf::ingest::ftp
