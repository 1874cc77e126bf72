// Parsing and day matching of AWS cron expressions (see schedule_cron.h). The rules quoted below
// come from the EventBridge "Cron expressions reference" and the Scheduler's "Schedule types".
#include "events/schedule_cron.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace wharf::events {

namespace chr = std::chrono;

namespace {

constexpr const char* kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr const char* kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

struct FieldSpec {
  const char* name;
  int min;
  int max;
  const char* const* names;  // the names of min..max (month, day-of-week), or nullptr
  const char* name_range;    // "JAN-DEC" or "SUN-SAT"
  bool step_allowed;         // '/' (not in day-of-week: "Day-of-week ... , - * ? L #")
  bool wraps;                // a range may run past the end, as 20-2 in hours
};

constexpr FieldSpec kMinutesField{"minutes", 0, 59, nullptr, nullptr, true, true};
constexpr FieldSpec kHoursField{"hours", 0, 23, nullptr, nullptr, true, true};
constexpr FieldSpec kDayOfMonthField{"day-of-month", 1, 31, nullptr, nullptr, true, true};
constexpr FieldSpec kMonthField{"month", 1, 12, kMonthNames, "JAN-DEC", true, true};
constexpr FieldSpec kDayOfWeekField{"day-of-week", 1, 7, kDayNames, "SUN-SAT", false, true};
constexpr FieldSpec kYearField{
    "year", CronExpression::kFirstYear, CronExpression::kLastYear, nullptr, nullptr, true, false};

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string Quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// Parses one field of a cron expression into the values it names.
class FieldParser {
 public:
  FieldParser(const FieldSpec& spec, std::string_view context) : spec_(spec), context_(context) {}

  Error Fail(const std::string& message) const {
    return MakeError("ValidationException",
                     std::string(context_) + ": " + spec_.name + ": " + message);
  }

  // A number or (in month and day-of-week) a name, within the field's range.
  Result<int> Value(std::string_view token) const {
    if (AllDigits(token)) {
      if (token.size() > 9) return Fail(std::string(token) + " is out of range " + Range());
      int v = std::stoi(std::string(token));
      if (v < spec_.min || v > spec_.max) {
        return Fail(std::to_string(v) + " is out of range " + Range());
      }
      return v;
    }
    if (spec_.names != nullptr) {
      std::string upper(token);
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      for (int i = 0; i <= spec_.max - spec_.min; ++i) {
        if (upper == spec_.names[i]) return spec_.min + i;
      }
      return Fail(Quoted(token) + " is not a number (" + Range() + ") or a name (" +
                  spec_.name_range + ")");
    }
    return Fail(Quoted(token) + " is not a number (" + Range() + ")");
  }

  // A comma-separated list of values, ranges and increments, into `out` (bit per value).
  template <size_t N>
  Status List(std::string_view field, std::bitset<N>& out, int offset = 0) const {
    size_t begin = 0;
    while (true) {
      size_t comma = field.find(',', begin);
      std::string_view item = field.substr(
          begin, comma == std::string_view::npos ? field.size() - begin : comma - begin);
      if (item.empty()) return Fail("empty value in " + Quoted(field));
      auto status = Item(item, [&](int v) { out.set(v - offset); });
      if (!status.ok()) return status;
      if (comma == std::string_view::npos) return {};
      begin = comma + 1;
    }
  }

 private:
  std::string Range() const { return std::to_string(spec_.min) + "-" + std::to_string(spec_.max); }

  // One item: "*", "v", "a-b", each optionally followed by "/step"; "v/step" runs to the end.
  // "The / (slash) wildcard specifies increments. In the Minutes field, you could enter 1/10 to
  // specify every tenth minute, starting from the first minute of the hour."
  template <typename Add>
  Status Item(std::string_view item, Add add) const {
    int step = 1;
    size_t slash = item.find('/');
    std::string_view base = item.substr(0, slash);
    if (slash != std::string_view::npos) {
      if (!spec_.step_allowed) return Fail("'/' is not allowed in this field: " + Quoted(item));
      std::string_view step_text = item.substr(slash + 1);
      const int span = spec_.max - spec_.min + 1;
      if (!AllDigits(step_text)) {
        return Fail("the increment in " + Quoted(item) + " is not a number");
      }
      if (step_text.size() > 9 || std::stoi(std::string(step_text)) < 1 ||
          std::stoi(std::string(step_text)) > span) {
        return Fail("the increment in " + Quoted(item) + " is out of range 1-" +
                    std::to_string(span));
      }
      step = std::stoi(std::string(step_text));
      if (base.empty()) return Fail(Quoted(item) + " has no start before '/'");
    }
    int first = spec_.min;
    int last = spec_.max;
    if (base == "*") {
      // "The * (asterisk) wildcard includes all values in the field."
    } else if (size_t dash = base.find('-', 1);
               dash != std::string_view::npos && base.front() != '-') {
      if (dash + 1 == base.size()) return Fail(Quoted(item) + " has no end after '-'");
      auto a = Value(base.substr(0, dash));
      if (!a.ok()) return a.error();
      auto b = Value(base.substr(dash + 1));
      if (!b.ok()) return b.error();
      first = *a;
      last = *b;
      if (first > last && !spec_.wraps) {
        return Fail("the range " + Quoted(base) + " runs backwards");
      }
    } else {
      if (!base.empty() && base.front() == '-') {
        return Fail(Quoted(item) + " has no start before '-'");
      }
      auto v = Value(base);
      if (!v.ok()) return v.error();
      first = *v;
      last = slash == std::string_view::npos ? *v : spec_.max;
    }
    // A range whose end comes before its start wraps past the field's end: hours 20-2 are 20, 21,
    // 22, 23, 0, 1, 2 (the reference's example "0/30 20-2 ? * MON-FRI *").
    const int span = spec_.max - spec_.min + 1;
    const int count = ((last - first) % span + span) % span;
    for (int i = 0; i <= count; i += step) add(spec_.min + (first - spec_.min + i) % span);
    return {};
  }

  const FieldSpec& spec_;
  std::string_view context_;
};

// Rejects the day-only wildcards in a field that does not take them.
Status CheckPlainField(const FieldParser& parser, std::string_view field, bool letters_are_names) {
  if (field.find('?') != std::string_view::npos) {
    return parser.Fail("'?' is only allowed in day-of-month and day-of-week: " + Quoted(field));
  }
  if (field.find('#') != std::string_view::npos) {
    return parser.Fail("'#' is only allowed in day-of-week: " + Quoted(field));
  }
  if (!letters_are_names) {
    for (char c : {'L', 'W'}) {
      if (field.find(c) != std::string_view::npos) {
        return parser.Fail(std::string("'") + c + "' is only allowed in " +
                           (c == 'L' ? "day-of-month and day-of-week: " : "day-of-month: ") +
                           Quoted(field));
      }
    }
  }
  return {};
}

std::vector<int> Bits(const std::bitset<60>& set, int size) {
  std::vector<int> out;
  for (int i = 0; i < size; ++i) {
    if (set[i]) out.push_back(i);
  }
  return out;
}

std::vector<std::string_view> SplitFields(std::string_view text) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

bool HasAny(std::string_view s, std::string_view chars) {
  return s.find_first_of(chars) != std::string_view::npos;
}

unsigned LastDay(chr::year_month_day day) {
  return static_cast<unsigned>(chr::year_month_day_last(day.year(), day.month() / chr::last).day());
}

// Day-of-week as the expression numbers it: 1 = Sunday ... 7 = Saturday.
int AwsWeekday(chr::year_month_day day) {
  return static_cast<int>(chr::weekday(chr::sys_days(day)).c_encoding()) + 1;
}

}  // namespace

Result<CronExpression> CronExpression::Parse(std::string_view text, std::string_view context) {
  std::vector<std::string_view> fields = SplitFields(text);
  if (fields.size() != 6) {
    return MakeError("ValidationException",
                     std::string(context) +
                         ": expected 6 fields (minutes hours day-of-month month day-of-week "
                         "year), found " +
                         std::to_string(fields.size()));
  }
  CronExpression cron;

  FieldParser minutes(kMinutesField, context);
  WHARF_TRY_STATUS(CheckPlainField(minutes, fields[0], false));
  std::bitset<60> minute_bits;
  WHARF_TRY_STATUS(minutes.List(fields[0], minute_bits));
  cron.minutes_ = Bits(minute_bits, 60);

  FieldParser hours(kHoursField, context);
  WHARF_TRY_STATUS(CheckPlainField(hours, fields[1], false));
  std::bitset<60> hour_bits;
  WHARF_TRY_STATUS(hours.List(fields[1], hour_bits));
  cron.hours_ = Bits(hour_bits, 24);

  // Day-of-month: "? / L W" besides ", - *".
  const std::string_view dom = fields[2];
  FieldParser dom_parser(kDayOfMonthField, context);
  const bool dom_any = dom == "?";
  if (dom_any) {
    // Settled with day-of-week below.
  } else if (HasAny(dom, "?")) {
    return dom_parser.Fail("'?' must stand alone in the field: " + Quoted(dom));
  } else if (dom == "L") {
    // "The L wildcard in the Day-of-month ... field specifies the last day of the month."
    cron.day_rule_ = DayRule::kLastDayOfMonth;
  } else if (dom == "LW") {
    cron.day_rule_ = DayRule::kLastWeekdayOfMonth;
  } else if (HasAny(dom, "L")) {
    return dom_parser.Fail("'L' stands alone in the field (L, or LW for the last weekday): " +
                           Quoted(dom));
  } else if (HasAny(dom, "W")) {
    // "In the Day-of-month field, 3W specifies the weekday closest to the third day of the month."
    if (dom.size() < 2 || dom.back() != 'W' || !AllDigits(dom.substr(0, dom.size() - 1))) {
      return dom_parser.Fail("'W' follows a single day, as in 15W: " + Quoted(dom));
    }
    auto day = dom_parser.Value(dom.substr(0, dom.size() - 1));
    if (!day.ok()) return day.error();
    cron.day_rule_ = DayRule::kNearestWeekday;
    cron.day_arg_ = *day;
  } else {
    WHARF_TRY_STATUS(CheckPlainField(dom_parser, dom, false));
    WHARF_TRY_STATUS(dom_parser.List(dom, cron.days_of_month_));
  }

  FieldParser month(kMonthField, context);
  WHARF_TRY_STATUS(CheckPlainField(month, fields[3], true));
  WHARF_TRY_STATUS(month.List(fields[3], cron.months_));

  // Day-of-week: "? L #" besides ", - *"; 1-7 or SUN-SAT, 1 being Sunday.
  const std::string_view dow = fields[4];
  FieldParser dow_parser(kDayOfWeekField, context);
  const bool dow_any = dow == "?";
  if (dow_any) {
  } else if (HasAny(dow, "?")) {
    return dow_parser.Fail("'?' must stand alone in the field: " + Quoted(dow));
  } else if (HasAny(dow, "#")) {
    // "If you use a '#' character, you can define only one expression in the day-of-week field.
    // For example, "3#1,6#3" is not valid because it is interpreted as two expressions."
    if (HasAny(dow, ",")) {
      return dow_parser.Fail("'#' allows only one expression in the field: " + Quoted(dow));
    }
    size_t hash = dow.find('#');
    std::string_view nth = dow.substr(hash + 1);
    if (hash == 0) return dow_parser.Fail(Quoted(dow) + " has no day before '#'");
    if (HasAny(dow.substr(0, hash), "-*/L")) {
      return dow_parser.Fail("'#' follows a single day, as in 6#3: " + Quoted(dow));
    }
    auto day = dow_parser.Value(dow.substr(0, hash));
    if (!day.ok()) return day.error();
    if (!AllDigits(nth) || nth.size() > 1 || nth[0] < '1' || nth[0] > '5') {
      return dow_parser.Fail("the occurrence after '#' in " + Quoted(dow) + " must be 1-5");
    }
    cron.day_rule_ = DayRule::kNthOfMonth;
    cron.day_arg_ = *day;
    cron.nth_ = nth[0] - '0';
  } else if (dow == "L") {
    // "The L wildcard in the ... Day-of-week field specifies the last day of the ... week":
    // Saturday (7).
    cron.day_rule_ = DayRule::kDaysOfWeek;
    cron.days_of_week_.set(7);
  } else if (HasAny(dow, "L") && dow.back() == 'L' && !HasAny(dow, ",-*/") && dow.size() > 1) {
    // 6L or FRIL: the last Friday of the month.
    auto day = dow_parser.Value(dow.substr(0, dow.size() - 1));
    if (!day.ok()) return day.error();
    cron.day_rule_ = DayRule::kLastOfMonth;
    cron.day_arg_ = *day;
  } else if (HasAny(dow, "L")) {
    return dow_parser.Fail("'L' stands alone (Saturday) or follows a single day, as in 6L: " +
                           Quoted(dow));
  } else {
    WHARF_TRY_STATUS(CheckPlainField(dow_parser, dow, true));
    cron.day_rule_ = DayRule::kDaysOfWeek;
    WHARF_TRY_STATUS(dow_parser.List(dow, cron.days_of_week_));
  }

  FieldParser year(kYearField, context);
  WHARF_TRY_STATUS(CheckPlainField(year, fields[5], false));
  WHARF_TRY_STATUS(year.List(fields[5], cron.years_, kFirstYear));

  // "You can't specify the Day-of-month and Day-of-week fields in the same cron expression. If you
  // specify a value or a * (asterisk) in one of the fields, you must use a ? (question mark) in
  // the other."
  if (dom_any == dow_any) {
    return MakeError("ValidationException",
                     std::string(context) +
                         (dom_any ? ": day-of-month and day-of-week cannot both be '?'; give a "
                                    "value in one of them"
                                  : ": day-of-month and day-of-week cannot both have a value; use "
                                    "'?' in one of them"));
  }
  return cron;
}

bool CronExpression::MatchesDay(chr::year_month_day day) const {
  const int year = static_cast<int>(day.year());
  if (year < kFirstYear || year > kLastYear || !years_[year - kFirstYear]) return false;
  if (!months_[static_cast<unsigned>(day.month())]) return false;
  const int d = static_cast<int>(static_cast<unsigned>(day.day()));
  const int last = static_cast<int>(LastDay(day));
  const int weekday = AwsWeekday(day);
  switch (day_rule_) {
    case DayRule::kDaysOfMonth:
      return days_of_month_[d];
    case DayRule::kLastDayOfMonth:
      return d == last;
    case DayRule::kLastWeekdayOfMonth: {
      const int last_weekday = AwsWeekday(day.year() / day.month() / chr::day(last));
      const int target = last_weekday == 7 ? last - 1 : last_weekday == 1 ? last - 2 : last;
      return d == target;
    }
    case DayRule::kNearestWeekday: {
      // The weekday nearest the given day without leaving the month: a Saturday moves to the
      // Friday before (to Monday the 3rd when it is the 1st), a Sunday to the Monday after (to
      // Friday when it is the month's last day). A day the month lacks (31W in April) names none.
      if (day_arg_ > last) return false;
      const int given = AwsWeekday(day.year() / day.month() / chr::day(day_arg_));
      int target = day_arg_;
      if (given == 7) target = day_arg_ == 1 ? 3 : day_arg_ - 1;
      if (given == 1) target = day_arg_ == last ? day_arg_ - 2 : day_arg_ + 1;
      return d == target;
    }
    case DayRule::kDaysOfWeek:
      return days_of_week_[weekday];
    case DayRule::kLastOfMonth:
      return weekday == day_arg_ && d + 7 > last;
    case DayRule::kNthOfMonth:
      // "3#2 would be the second Tuesday of the month"; a fifth one the month lacks names no day.
      return weekday == day_arg_ && (d - 1) / 7 + 1 == nth_;
  }
  return false;
}

std::optional<chr::year_month_day> CronExpression::FirstDayFrom(chr::year_month_day from) const {
  const chr::year_month_day first{chr::year(kFirstYear), chr::January, chr::day(1)};
  chr::year_month_day d = chr::sys_days(from) < chr::sys_days(first) ? first : from;
  while (static_cast<int>(d.year()) <= kLastYear) {
    const int year = static_cast<int>(d.year());
    if (!years_[year - kFirstYear]) {
      int next = year + 1;
      while (next <= kLastYear && !years_[next - kFirstYear]) ++next;
      if (next > kLastYear) return std::nullopt;
      d = chr::year(next) / chr::January / 1;
      continue;
    }
    if (!months_[static_cast<unsigned>(d.month())]) {
      const chr::year_month next = chr::year_month(d.year(), d.month()) + chr::months(1);
      d = next / 1;
      continue;
    }
    if (MatchesDay(d)) return d;
    d = chr::sys_days(d) + chr::days(1);
  }
  return std::nullopt;
}

std::optional<chr::year_month_day> CronExpression::LastDayUpTo(chr::year_month_day from) const {
  const chr::year_month_day last{chr::year(kLastYear), chr::December, chr::day(31)};
  chr::year_month_day d = chr::sys_days(from) > chr::sys_days(last) ? last : from;
  while (static_cast<int>(d.year()) >= kFirstYear) {
    const int year = static_cast<int>(d.year());
    if (!years_[year - kFirstYear]) {
      int prev = year - 1;
      while (prev >= kFirstYear && !years_[prev - kFirstYear]) --prev;
      if (prev < kFirstYear) return std::nullopt;
      d = chr::year(prev) / chr::December / 31;
      continue;
    }
    if (!months_[static_cast<unsigned>(d.month())]) {
      d = chr::sys_days(chr::year_month(d.year(), d.month()) / 1) - chr::days(1);
      continue;
    }
    if (MatchesDay(d)) return d;
    d = chr::sys_days(d) - chr::days(1);
  }
  return std::nullopt;
}

}  // namespace wharf::events
