// Timestamp parsing; the grammar is described in timestamp.h.
#include "asl/timestamp.h"

#include <chrono>
#include <limits>

namespace wharf::asl {
namespace {

// A cursor over the text; every Read* consumes only on success.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  bool AtEnd() const { return pos_ == text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }

  bool Consume(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }
  // Matches `c` ignoring ASCII case (Java's parseCaseInsensitive for "T" and "Z").
  bool ConsumeIgnoreCase(char upper) {
    char c = Peek();
    if (c != upper && c != upper - 'A' + 'a') return false;
    ++pos_;
    return true;
  }
  // Exactly `width` digits.
  bool ReadFixed(int width, int64_t* out) {
    if (text_.size() - pos_ < static_cast<size_t>(width)) return false;
    int64_t v = 0;
    for (int i = 0; i < width; ++i) {
      char c = text_[pos_ + i];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    pos_ += width;
    *out = v;
    return true;
  }
  // As many digits as there are, up to `max`; returns how many were read.
  int ReadUpTo(int max, int64_t* out) {
    int n = 0;
    int64_t v = 0;
    while (n < max && pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      v = v * 10 + (text_[pos_] - '0');
      ++pos_;
      ++n;
    }
    *out = v;
    return n;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

bool IsLeapYear(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

int DaysInMonth(int64_t y, int64_t m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. Counting years from March
// puts the leap day last, so a 400-year era has a fixed 146097 days and the day of the year
// follows from the month alone (March..February have 31,30,31,30,31,31,30,31,30,31,31,28/29 days,
// which (153 * month + 2) / 5 sums up).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  if (m <= 2) --y;
  const int64_t era = FloorDiv(y, 400);
  const int64_t year_of_era = y - era * 400;      // 0..399
  const int64_t month_from_march = (m + 9) % 12;  // March = 0
  const int64_t day_of_year = (153 * month_from_march + 2) / 5 + d - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  constexpr int64_t kEpochShift = 719468;  // days from 0000-03-01 to 1970-01-01
  return era * 146097 + day_of_era - kEpochShift;
}

// Java's SignStyle.EXCEEDS_PAD with width 4..10, strict: four unsigned digits, "+" only before
// more than four, "-" only before exactly four (and not "-0000").
bool ReadYear(Scanner& s, int64_t* year) {
  char sign = s.Peek();
  if (sign == '+' || sign == '-') s.Consume(sign);
  int64_t v = 0;
  int n = s.ReadUpTo(10, &v);
  if (n < 4) return false;
  if (sign == '+') {
    if (n == 4 || v > 999'999'999) return false;
  } else {
    if (n > 4) return false;
    if (sign == '-' && v == 0) return false;
  }
  *year = sign == '-' ? -v : v;
  return true;
}

// "Z" or +HH[:mm[:ss]] (Java's lenient appendOffsetId), in seconds east of UTC.
bool ReadOffset(Scanner& s, int64_t* offset) {
  if (s.ConsumeIgnoreCase('Z')) {
    *offset = 0;
    return true;
  }
  char sign = s.Peek();
  if (sign != '+' && sign != '-') return false;
  s.Consume(sign);
  int64_t h = 0, m = 0, sec = 0;
  if (!s.ReadFixed(2, &h)) return false;
  if (s.Consume(':')) {
    if (!s.ReadFixed(2, &m)) return false;
    if (s.Consume(':') && !s.ReadFixed(2, &sec)) return false;
  }
  if (h > 18 || m > 59 || sec > 59) return false;
  int64_t total = h * 3600 + m * 60 + sec;
  if (total > 18 * 3600) return false;
  *offset = sign == '-' ? -total : total;
  return true;
}

}  // namespace

std::optional<Instant> ParseInstant(std::string_view text) {
  Scanner s(text);
  int64_t year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, nanos = 0, offset = 0;
  if (!ReadYear(s, &year) || !s.Consume('-') || !s.ReadFixed(2, &month) || !s.Consume('-') ||
      !s.ReadFixed(2, &day)) {
    return std::nullopt;
  }
  if (!s.ConsumeIgnoreCase('T')) return std::nullopt;
  if (!s.ReadFixed(2, &hour) || !s.Consume(':') || !s.ReadFixed(2, &minute)) return std::nullopt;
  if (s.Consume(':')) {
    if (!s.ReadFixed(2, &second)) return std::nullopt;
    if (s.Consume('.')) {
      // ISO_LOCAL_TIME's appendFraction(NANO_OF_SECOND, 0, 9, true): 0 to 9 digits.
      int64_t digits = 0;
      int n = s.ReadUpTo(9, &digits);
      nanos = digits;
      for (int i = n; i < 9; ++i) nanos *= 10;
    }
  }
  if (!ReadOffset(s, &offset) || !s.AtEnd()) return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) return std::nullopt;
  if (hour > 23 || minute > 59 || second > 59) return std::nullopt;

  Instant t;
  t.seconds = DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
  t.nanos = static_cast<int32_t>(nanos);
  return t;
}

bool IsValidTimestamp(std::string_view text) { return ParseInstant(text).has_value(); }

std::optional<TimePoint> ParseTimestamp(std::string_view text) {
  auto t = ParseInstant(text);
  if (!t) return std::nullopt;
  using Duration = TimePoint::duration;
  using Seconds = std::chrono::duration<int64_t>;
  // The whole seconds that fit in Duration, leaving room for the fraction.
  constexpr int64_t kMaxSeconds = std::chrono::duration_cast<Seconds>(Duration::max()).count() - 1;
  constexpr int64_t kMinSeconds = std::chrono::duration_cast<Seconds>(Duration::min()).count() + 1;
  if (t->seconds > kMaxSeconds) return TimePoint::max();
  if (t->seconds < kMinSeconds) return TimePoint::min();
  return TimePoint(std::chrono::duration_cast<Duration>(Seconds(t->seconds)) +
                   std::chrono::duration_cast<Duration>(std::chrono::nanoseconds(t->nanos)));
}

}  // namespace wharf::asl
