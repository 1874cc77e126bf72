// TZ strings of TZif footers (see schedule_posix_tz.h; RFC 8536 section 3.3, POSIX.1-2017
// section 8.3 "TZ").
#include "events/schedule_posix_tz.h"

#include <cctype>
#include <chrono>
#include <string>

namespace wharf::events {

namespace chr = std::chrono;

namespace {

constexpr int64_t kDay = 86400;

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<PosixTz> Parse() {
    PosixTz tz;
    if (text_.empty()) return tz;
    Begin();
    if (!Name()) return Fail("expected a zone abbreviation");
    int64_t offset = 0;
    // POSIX: "std offset"; the offset is "the value added to the local time to arrive at UTC",
    // so it counts west of Greenwich, and its hours are 0-24 (RFC 8536 allows the same).
    Begin();
    if (!Offset(&offset, 24)) return Fail("expected the standard time's offset");
    tz.std_offset = static_cast<int32_t>(-offset);
    if (AtEnd()) return tz;
    tz.has_dst = true;
    Begin();
    if (!Name()) return Fail("expected the daylight time's abbreviation");
    // "If no offset follows dst, the alternative time is assumed to be one hour ahead of standard
    // time."
    tz.dst_offset = tz.std_offset + 3600;
    if (!AtEnd() && Peek() != ',') {
      Begin();
      if (!Offset(&offset, 24)) return Fail("expected the daylight time's offset");
      tz.dst_offset = static_cast<int32_t>(-offset);
    }
    if (AtEnd()) {
      // No dates: tzcode's default rule, the US rule since 2007.
      tz.dst_start = {.month = 3, .week = 2, .weekday = 0};
      tz.dst_end = {.month = 11, .week = 1, .weekday = 0};
      return tz;
    }
    for (PosixTzDate* date : {&tz.dst_start, &tz.dst_end}) {
      Begin();
      if (!Take(',')) return Fail("expected ','");
      Begin();
      if (!Date(date)) {
        return Fail(date == &tz.dst_start ? "expected the date daylight time starts"
                                          : "expected the date daylight time ends");
      }
    }
    Begin();
    if (!AtEnd()) return Fail("unexpected text");
    return tz;
  }

 private:
  // Marks where the part being read starts, the place an error names.
  void Begin() { part_ = pos_; }
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  bool Take(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }

  Error Fail(std::string_view what) const {
    return MakeError("InvalidTimeZoneData", "TZ string '" + std::string(text_) +
                                                "': " + std::string(what) + " at character " +
                                                std::to_string(part_ + 1));
  }

  // "<" [A-Za-z0-9+-]+ ">" or three or more letters.
  bool Name() {
    if (Take('<')) {
      const size_t start = pos_;
      while (!AtEnd() &&
             (std::isalnum(static_cast<unsigned char>(Peek())) || Peek() == '+' || Peek() == '-')) {
        ++pos_;
      }
      return pos_ - start >= 3 && Take('>');
    }
    const size_t start = pos_;
    while (!AtEnd() && std::isalpha(static_cast<unsigned char>(Peek()))) ++pos_;
    return pos_ - start >= 3;
  }

  bool Number(int64_t* out, int64_t max) {
    if (!std::isdigit(static_cast<unsigned char>(Peek()))) return false;
    int64_t n = 0;
    while (std::isdigit(static_cast<unsigned char>(Peek()))) {
      n = n * 10 + (text_[pos_++] - '0');
      if (n > max) return false;
    }
    *out = n;
    return true;
  }

  // [+-]hh[:mm[:ss]] in seconds, hours at most `max_hours`.
  bool Offset(int64_t* out, int64_t max_hours) {
    int64_t sign = 1;
    if (Take('-')) {
      sign = -1;
    } else {
      Take('+');
    }
    int64_t h = 0;
    int64_t m = 0;
    int64_t s = 0;
    if (!Number(&h, max_hours)) return false;
    if (Take(':')) {
      if (!Number(&m, 59)) return false;
      if (Take(':') && !Number(&s, 59)) return false;
    }
    *out = sign * (h * 3600 + m * 60 + s);
    return true;
  }

  bool Date(PosixTzDate* date) {
    int64_t n = 0;
    if (Take('J')) {
      if (!Number(&n, 365) || n < 1) return false;
      date->kind = PosixTzDate::Kind::kJulian;
      date->day = static_cast<int>(n);
    } else if (Take('M')) {
      int64_t week = 0;
      int64_t weekday = 0;
      if (!Number(&n, 12) || n < 1 || !Take('.') || !Number(&week, 5) || week < 1 || !Take('.') ||
          !Number(&weekday, 6)) {
        return false;
      }
      date->kind = PosixTzDate::Kind::kMonthWeek;
      date->month = static_cast<int>(n);
      date->week = static_cast<int>(week);
      date->weekday = static_cast<int>(weekday);
    } else {
      if (!Number(&n, 365)) return false;
      date->kind = PosixTzDate::Kind::kZeroBased;
      date->day = static_cast<int>(n);
    }
    date->time = int64_t{2} * 3600;
    // RFC 8536 section 3.3.1: "the hours part of the transition times may be signed and range
    // from -167 through 167 instead of the POSIX-required unsigned values from 0 through 24".
    if (Take('/') && !Offset(&date->time, 167)) return false;
    return true;
  }

  std::string_view text_;
  size_t pos_ = 0;
  size_t part_ = 0;
};

// Local midnight of the rule's date in `year`, as seconds of local time since 1970-01-01.
int64_t LocalMidnight(const PosixTzDate& date, int year) {
  const chr::year y{year};
  chr::sys_days day;
  switch (date.kind) {
    case PosixTzDate::Kind::kJulian:
      // "Leap days shall not be counted": J60 is March 1st in every year.
      day = chr::sys_days(y / chr::January / 1) + chr::days(date.day - 1);
      if (y.is_leap() && date.day >= 60) day += chr::days(1);
      break;
    case PosixTzDate::Kind::kZeroBased:
      day = chr::sys_days(y / chr::January / 1) + chr::days(date.day);
      break;
    case PosixTzDate::Kind::kMonthWeek: {
      const chr::month m{static_cast<unsigned>(date.month)};
      const chr::weekday wd{static_cast<unsigned>(date.weekday)};
      // "Week 1 is the first week in which the d'th day occurs. Day zero is Sunday." Week 5 is
      // "the last d day in month m", which may be the fourth.
      day = date.week == 5 ? chr::sys_days(y / m / wd[chr::last])
                           : chr::sys_days(y / m / wd[static_cast<unsigned>(date.week)]);
      break;
    }
  }
  return static_cast<int64_t>(day.time_since_epoch().count()) * kDay;
}

}  // namespace

Result<PosixTz> ParsePosixTz(std::string_view text) { return Parser(text).Parse(); }

std::vector<OffsetChange> PosixTzChanges(const PosixTz& tz, int year) {
  if (!tz.has_dst) return {};
  // "The time fields specify when, in current local time, the change to the other time occurs":
  // the start is read on standard time, the end on daylight time.
  const OffsetChange start{LocalMidnight(tz.dst_start, year) + tz.dst_start.time - tz.std_offset,
                           tz.dst_offset};
  const OffsetChange end{LocalMidnight(tz.dst_end, year) + tz.dst_end.time - tz.dst_offset,
                         tz.std_offset};
  if (start.at < end.at) return {start, end};
  return {end, start};
}

}  // namespace wharf::events
