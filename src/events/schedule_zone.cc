// The one file that includes date/tz.h: ZoneRules over libdate-tz, which Debian builds with
// USE_OS_TZDB=1 to read /usr/share/zoneinfo (see schedule_zone.h).
//
// A zone becomes a list of offset changes: those libdate-tz reads from the zone's file, and after
// the last of them those of the rule at the file's end (schedule_posix_tz.h), through 2201.
#include "events/schedule_zone.h"

#include <date/tz.h>
#include <sys/stat.h>

#include <algorithm>
#include <exception>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "events/schedule_posix_tz.h"

namespace wharf::events {

namespace chr = std::chrono;

namespace {

// A zone's offsets: offsets[i] is in force from starts[i] (inclusive) until starts[i + 1];
// starts[0] is the smallest int64_t. Neighbours have different offsets.
struct OffsetTable {
  std::vector<int64_t> starts;
  std::vector<int32_t> offsets;

  // Appends a change, keeping the later of two at one instant and dropping one that changes
  // nothing.
  void Append(int64_t at, int32_t offset) {
    if (!starts.empty() && starts.back() >= at) {
      starts.pop_back();
      offsets.pop_back();
    }
    if (!offsets.empty() && offsets.back() == offset) return;
    starts.push_back(starts.empty() ? std::numeric_limits<int64_t>::min() : at);
    offsets.push_back(offset);
  }
};

// Schedules run through 2199 (wall time); one more year leaves room for lookups past the end.
constexpr int kLastYear = 2201;
// More than any zone's offset from UTC has ever been (the largest is 15:13:42, Manila before
// 1845): every instant that shows a wall time w lies within w +- kMaxOffset.
constexpr int64_t kMaxOffset = int64_t{26} * 3600;

Error UnknownZone(std::string_view name) {
  return MakeError("ValidationException",
                   "unknown time zone '" + std::string(name) +
                       "' (expected an IANA time zone name such as America/New_York or UTC)");
}

// The folder libdate-tz reads (its discover_tz_dir): uclibc's folder where it exists, else
// /usr/share/zoneinfo.
const std::string& TzDir() {
  static const std::string dir = [] {
    struct stat sb {};
    if (stat("/usr/share/zoneinfo/uclibc", &sb) == 0 && S_ISDIR(sb.st_mode)) {
      return std::string("/usr/share/zoneinfo/uclibc");
    }
    return std::string("/usr/share/zoneinfo");
  }();
  return dir;
}

// The TZ string at the end of a TZif file of version 2 or later: RFC 8536 section 3.3, "a
// newline character, the TZ string, and another newline". Version 1 files have none.
Result<std::string> ReadFooter(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) {
    return MakeError("InternalFailure", "cannot read the time zone file " + path);
  }
  if (data.size() < 5 || data.compare(0, 4, "TZif") != 0) {
    return MakeError("InternalFailure", path + " is not a TZif time zone file");
  }
  if (data[4] == '\0') return std::string();
  if (data.back() != '\n') {
    return MakeError("InternalFailure", path + " does not end with a TZ string and a newline");
  }
  const size_t open = data.rfind('\n', data.size() - 2);
  if (open == std::string::npos) return MakeError("InternalFailure", path + " has no TZ string");
  return data.substr(open + 1, data.size() - open - 2);
}

int64_t Seconds(date::sys_seconds t) { return t.time_since_epoch().count(); }

Result<OffsetTable> ReadZone(const date::time_zone& zone, const std::string& path) {
  OffsetTable table;
  // libdate-tz gives the file's intervals one after the other; the last one ends at the end of
  // time, since it does not read the footer.
  const date::sys_seconds far_end = date::sys_days(date::year(9999) / 1 / 1);
  date::sys_seconds t = date::sys_days(date::year(1800) / 1 / 1);
  int64_t last_start = 0;
  try {
    for (;;) {
      const date::sys_info info = zone.get_info(t);
      last_start = Seconds(info.begin);
      table.Append(last_start, static_cast<int32_t>(info.offset.count()));
      if (info.end >= far_end || info.end <= t) break;
      t = info.end;
    }
  } catch (const std::exception& e) {
    return MakeError("InternalFailure", "cannot read the time zone file " + path + ": " + e.what());
  }
  auto footer = ReadFooter(path);
  if (!footer.ok()) return std::move(footer).error();
  auto rule = ParsePosixTz(*footer);
  if (!rule.ok()) {
    return MakeError("InternalFailure", path + ": " + rule.error().message);
  }
  if (rule->has_dst) {
    const int first_year = std::max(
        1900, static_cast<int>(chr::year_month_day(chr::floor<chr::days>(
                                                       chr::sys_seconds(chr::seconds(last_start))))
                                   .year()));
    std::vector<OffsetChange> changes;
    for (int year = first_year - 1; year <= kLastYear; ++year) {
      for (const OffsetChange& c : PosixTzChanges(*rule, year)) changes.push_back(c);
    }
    std::stable_sort(changes.begin(), changes.end(),
                     [](const OffsetChange& a, const OffsetChange& b) { return a.at < b.at; });
    // RFC 8536: the TZ string applies to "times after the last transition time".
    for (const OffsetChange& c : changes) {
      if (c.at > last_start) table.Append(c.at, c.offset);
    }
  }
  return table;
}

}  // namespace

struct ZoneRules::Impl {
  OffsetTable table;
};

Result<std::shared_ptr<const ZoneRules>> ZoneRules::Load(std::string_view name) {
  // Each zone is read once and kept, so that a zone's offsets never mix two versions of the data.
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const ZoneRules>, std::less<>> loaded;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = loaded.find(name); it != loaded.end()) return it->second;
  auto impl = std::make_unique<Impl>();
  if (name.empty()) {
    // The default zone works without any zone data installed.
    impl->table.Append(0, 0);
  } else {
    // "localtime" names whatever /etc/localtime is on this host, not a place.
    if (name == "localtime") return UnknownZone(name);
    try {
      date::get_tzdb();
    } catch (const std::exception& e) {
      return MakeError("InternalFailure", "cannot read the time zone data in " + TzDir() +
                                              " (Debian's tzdata package): " + e.what());
    }
    const date::time_zone* zone = nullptr;
    try {
      // The names are the files under the folder (links included); posix/, right/, Factory and
      // the tables are left out.
      zone = date::locate_zone(name);
    } catch (const std::exception&) {
      return UnknownZone(name);
    }
    auto read = ReadZone(*zone, TzDir() + "/" + std::string(zone->name()));
    if (!read.ok()) return std::move(read).error();
    impl->table = std::move(*read);
  }
  std::shared_ptr<const ZoneRules> rules(
      new ZoneRules(name.empty() ? std::string("UTC") : std::string(name), std::move(impl)));
  loaded.emplace(std::string(name), rules);
  return rules;
}

ZoneRules::ZoneRules(std::string name, std::unique_ptr<Impl> impl)
    : name_(std::move(name)), impl_(std::move(impl)) {}

ZoneRules::~ZoneRules() = default;

int64_t ZoneRules::WallAt(int64_t instant) const {
  const OffsetTable& t = impl_->table;
  const auto it = std::upper_bound(t.starts.begin(), t.starts.end(), instant);
  return instant + t.offsets[static_cast<size_t>(it - t.starts.begin()) - 1];
}

WallInstants ZoneRules::InstantsAt(int64_t wall) const {
  const std::vector<int64_t>& starts = impl_->table.starts;
  const std::vector<int32_t>& offsets = impl_->table.offsets;
  // The intervals that may hold an instant showing `wall`: those from wall - kMaxOffset to
  // wall + kMaxOffset. Interval i shows `wall` at wall - offsets[i] if that instant lies in it.
  auto index = [&](int64_t instant) {
    return static_cast<size_t>(std::upper_bound(starts.begin(), starts.end(), instant) -
                               starts.begin()) -
           1;
  };
  const size_t first = index(wall - kMaxOffset);
  const size_t last = index(wall + kMaxOffset);
  WallInstants out;
  for (size_t i = first; i <= last; ++i) {
    const int64_t instant = wall - offsets[i];
    if (instant < starts[i] || (i + 1 < starts.size() && instant >= starts[i + 1])) continue;
    if (out.count == 0) out.earliest = instant;
    out.latest = instant;
    out.count = std::min(out.count + 1, 2);
  }
  if (out.count > 0) return out;
  // A gap: the clocks jumped from starts[i] + offsets[i - 1] to starts[i] + offsets[i]. Read with
  // the offset before the jump, the wall time lands as far after the jump as it lies past the
  // gap's start.
  out.after_gap = wall - offsets[first];
  for (size_t i = first + 1; i <= last; ++i) {
    if (starts[i] + offsets[i - 1] <= wall && wall < starts[i] + offsets[i]) {
      out.after_gap = wall - offsets[i - 1];
      break;
    }
  }
  return out;
}

std::string ZoneRules::DataVersion() {
  // tzdata.zi, the zone data as text that Debian's tzdata ships, starts "# version 2025b".
  std::ifstream in(TzDir() + "/tzdata.zi");
  std::string line;
  if (!std::getline(in, line)) return "unknown";
  constexpr std::string_view kPrefix = "# version ";
  if (line.compare(0, kPrefix.size(), kPrefix) != 0) return "unknown";
  return line.substr(kPrefix.size());
}

}  // namespace wharf::events
