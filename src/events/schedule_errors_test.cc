// Bad schedule expressions and time zones: each is refused with "ValidationException" and a
// message naming the expression, the field and the bad token.
#include <gtest/gtest.h>

#include <string>

#include "events/schedule.h"

namespace wharf::events {
namespace {

struct BadCase {
  const char* expression;
  const char* message;
};

std::string ErrorOf(const char* expression, const char* timezone = "") {
  auto schedule = ParseSchedule(expression, timezone);
  if (schedule.ok()) return "accepted";
  EXPECT_EQ(schedule.error().code, "ValidationException") << expression;
  return schedule.error().message;
}

TEST(ScheduleErrors, CronValuesOutOfRange) {
  const BadCase cases[] = {
      {"cron(0 25 * * ? *)", "cron(0 25 * * ? *): hours: 25 is out of range 0-23"},
      {"cron(60 0 * * ? *)", "cron(60 0 * * ? *): minutes: 60 is out of range 0-59"},
      {"cron(0 0 32 * ? *)", "cron(0 0 32 * ? *): day-of-month: 32 is out of range 1-31"},
      {"cron(0 0 0 * ? *)", "cron(0 0 0 * ? *): day-of-month: 0 is out of range 1-31"},
      {"cron(0 0 1 13 ? *)", "cron(0 0 1 13 ? *): month: 13 is out of range 1-12"},
      {"cron(0 0 1 0 ? *)", "cron(0 0 1 0 ? *): month: 0 is out of range 1-12"},
      {"cron(0 0 ? * 8 *)", "cron(0 0 ? * 8 *): day-of-week: 8 is out of range 1-7"},
      {"cron(0 0 ? * 0 *)", "cron(0 0 ? * 0 *): day-of-week: 0 is out of range 1-7"},
      {"cron(0 0 * * ? 1969)", "cron(0 0 * * ? 1969): year: 1969 is out of range 1970-2199"},
      {"cron(0 0 * * ? 2200)", "cron(0 0 * * ? 2200): year: 2200 is out of range 1970-2199"},
      {"cron(0 0 * * ? 2020-2200)",
       "cron(0 0 * * ? 2020-2200): year: 2200 is out of range 1970-2199"},
      {"cron(0 1-24 * * ? *)", "cron(0 1-24 * * ? *): hours: 24 is out of range 0-23"},
      {"cron(0 0 32W * ? *)", "cron(0 0 32W * ? *): day-of-month: 32 is out of range 1-31"},
      {"cron(0 0 ? * 9L *)", "cron(0 0 ? * 9L *): day-of-week: 9 is out of range 1-7"},
      {"cron(0 0 ? * 8#1 *)", "cron(0 0 ? * 8#1 *): day-of-week: 8 is out of range 1-7"},
      {"cron(0 99999999999 * * ? *)",
       "cron(0 99999999999 * * ? *): hours: 99999999999 is out of range 0-23"},
  };
  for (const BadCase& c : cases) EXPECT_EQ(ErrorOf(c.expression), c.message);
}

TEST(ScheduleErrors, CronBadTokens) {
  const BadCase cases[] = {
      {"cron(0 1x * * ? *)", "cron(0 1x * * ? *): hours: '1x' is not a number (0-23)"},
      {"cron(0 0 1 FOO ? *)",
       "cron(0 0 1 FOO ? *): month: 'FOO' is not a number (1-12) or a name (JAN-DEC)"},
      {"cron(0 0 ? * FUN *)",
       "cron(0 0 ? * FUN *): day-of-week: 'FUN' is not a number (1-7) or a name (SUN-SAT)"},
      {"cron(0 0 ? * MONDAY *)",
       "cron(0 0 ? * MONDAY *): day-of-week: 'MONDAY' is not a number (1-7) or a name "
       "(SUN-SAT)"},
      {"cron(0 0 1 1 ? 20x0)", "cron(0 0 1 1 ? 20x0): year: '20x0' is not a number (1970-2199)"},
      {"cron(-5 0 * * ? *)", "cron(-5 0 * * ? *): minutes: '-5' has no start before '-'"},
      {"cron(5- 0 * * ? *)", "cron(5- 0 * * ? *): minutes: '5-' has no end after '-'"},
      {"cron(0 0 1,,2 * ? *)", "cron(0 0 1,,2 * ? *): day-of-month: empty value in '1,,2'"},
      {"cron(0 0 1, * ? *)", "cron(0 0 1, * ? *): day-of-month: empty value in '1,'"},
      {"cron(0 0 * * ? 2030-2020)",
       "cron(0 0 * * ? 2030-2020): year: the range '2030-2020' runs backwards"},
      {"cron(0 0 ? * 5W *)",
       "cron(0 0 ? * 5W *): day-of-week: '5W' is not a number (1-7) or a name (SUN-SAT)"},
  };
  for (const BadCase& c : cases) EXPECT_EQ(ErrorOf(c.expression), c.message);
}

TEST(ScheduleErrors, CronIncrements) {
  const BadCase cases[] = {
      {"cron(*/0 * * * ? *)",
       "cron(*/0 * * * ? *): minutes: the increment in '*/0' is out of range 1-60"},
      {"cron(0/61 * * * ? *)",
       "cron(0/61 * * * ? *): minutes: the increment in '0/61' is out of range 1-60"},
      {"cron(0 */x * * ? *)", "cron(0 */x * * ? *): hours: the increment in '*/x' is not a number"},
      {"cron(/5 * * * ? *)", "cron(/5 * * * ? *): minutes: '/5' has no start before '/'"},
      {"cron(0 0 ? * 1/2 *)",
       "cron(0 0 ? * 1/2 *): day-of-week: '/' is not allowed in this field: "
       "'1/2'"},
  };
  for (const BadCase& c : cases) EXPECT_EQ(ErrorOf(c.expression), c.message);
}

TEST(ScheduleErrors, CronDayFields) {
  const BadCase cases[] = {
      {"cron(0 12 * * * *)",
       "cron(0 12 * * * *): day-of-month and day-of-week cannot both have a value; use '?' in one "
       "of them"},
      {"cron(0 12 1 * MON *)",
       "cron(0 12 1 * MON *): day-of-month and day-of-week cannot both have a value; use '?' in "
       "one of them"},
      {"cron(0 12 ? * ? *)",
       "cron(0 12 ? * ? *): day-of-month and day-of-week cannot both be '?'; give a value in one "
       "of them"},
      {"cron(0 0 1,? * ? *)",
       "cron(0 0 1,? * ? *): day-of-month: '?' must stand alone in the "
       "field: '1,?'"},
      {"cron(? 0 * * ? *)",
       "cron(? 0 * * ? *): minutes: '?' is only allowed in day-of-month and day-of-week: '?'"},
      {"cron(0 0 1 ? ? *)",
       "cron(0 0 1 ? ? *): month: '?' is only allowed in day-of-month and day-of-week: '?'"},
      {"cron(0 L * * ? *)",
       "cron(0 L * * ? *): hours: 'L' is only allowed in day-of-month and day-of-week: 'L'"},
      {"cron(0 0 * * ? 2024W)",
       "cron(0 0 * * ? 2024W): year: 'W' is only allowed in "
       "day-of-month: '2024W'"},
      {"cron(0 0 3#1 * ? *)",
       "cron(0 0 3#1 * ? *): day-of-month: '#' is only allowed in day-of-week: '3#1'"},
  };
  for (const BadCase& c : cases) EXPECT_EQ(ErrorOf(c.expression), c.message);
}

TEST(ScheduleErrors, CronLWAndHash) {
  const BadCase cases[] = {
      {"cron(0 0 1-5W * ? *)",
       "cron(0 0 1-5W * ? *): day-of-month: 'W' follows a single day, as in 15W: '1-5W'"},
      {"cron(0 0 1,15W * ? *)",
       "cron(0 0 1,15W * ? *): day-of-month: 'W' follows a single day, as in 15W: '1,15W'"},
      {"cron(0 0 W * ? *)",
       "cron(0 0 W * ? *): day-of-month: 'W' follows a single day, as in "
       "15W: 'W'"},
      {"cron(0 0 L-3 * ? *)",
       "cron(0 0 L-3 * ? *): day-of-month: 'L' stands alone in the field (L, or LW for the last "
       "weekday): 'L-3'"},
      {"cron(0 0 1,L * ? *)",
       "cron(0 0 1,L * ? *): day-of-month: 'L' stands alone in the field (L, or LW for the last "
       "weekday): '1,L'"},
      {"cron(0 0 ? * 3#1,6#3 *)",
       "cron(0 0 ? * 3#1,6#3 *): day-of-week: '#' allows only one expression in the field: "
       "'3#1,6#3'"},
      {"cron(0 0 ? * 6#6 *)",
       "cron(0 0 ? * 6#6 *): day-of-week: the occurrence after '#' in '6#6' must be 1-5"},
      {"cron(0 0 ? * 6#0 *)",
       "cron(0 0 ? * 6#0 *): day-of-week: the occurrence after '#' in '6#0' must be 1-5"},
      {"cron(0 0 ? * 6# *)",
       "cron(0 0 ? * 6# *): day-of-week: the occurrence after '#' in '6#' must be 1-5"},
      {"cron(0 0 ? * #2 *)", "cron(0 0 ? * #2 *): day-of-week: '#2' has no day before '#'"},
      {"cron(0 0 ? * 2-6#2 *)",
       "cron(0 0 ? * 2-6#2 *): day-of-week: '#' follows a single day, as in 6#3: '2-6#2'"},
      {"cron(0 0 ? * 2-6L *)",
       "cron(0 0 ? * 2-6L *): day-of-week: 'L' stands alone (Saturday) or follows a single day, "
       "as in 6L: '2-6L'"},
  };
  for (const BadCase& c : cases) EXPECT_EQ(ErrorOf(c.expression), c.message);
}

TEST(ScheduleErrors, CronShape) {
  EXPECT_EQ(ErrorOf("cron(0 12 * * ?)"),
            "cron(0 12 * * ?): expected 6 fields (minutes hours day-of-month month day-of-week "
            "year), found 5");
  EXPECT_EQ(ErrorOf("cron(0 0 12 * * ? *)"),
            "cron(0 0 12 * * ? *): expected 6 fields (minutes hours day-of-month month "
            "day-of-week year), found 7");
  EXPECT_EQ(ErrorOf("cron()"),
            "cron(): expected 6 fields (minutes hours day-of-month month day-of-week year), found "
            "0");
  EXPECT_EQ(ErrorOf("cron(0 12 * * ? *"), "'cron(0 12 * * ? *' lacks its closing ')'");
  EXPECT_EQ(
      ErrorOf("0 12 * * ? *"),
      "'0 12 * * ? *' is not a schedule expression; expected cron(...), rate(...) or at(...)");
  EXPECT_EQ(ErrorOf("CRON(0 12 * * ? *)"),
            "'CRON(0 12 * * ? *)' is not a schedule expression; expected cron(...), rate(...) or "
            "at(...)");
  EXPECT_EQ(ErrorOf("   "),
            "the schedule expression is empty; expected cron(...), rate(...) or at(...)");
}

TEST(ScheduleErrors, Rate) {
  const BadCase cases[] = {
      {"rate(0 minutes)", "rate(0 minutes): the value must be a positive whole number: '0'"},
      {"rate(-5 minutes)", "rate(-5 minutes): the value must be a positive whole number: '-5'"},
      {"rate(1.5 hours)", "rate(1.5 hours): the value must be a positive whole number: '1.5'"},
      {"rate(five minutes)",
       "rate(five minutes): the value must be a positive whole number: 'five'"},
      {"rate(1 hours)", "rate(1 hours): the unit must be singular when the value is 1 (hour)"},
      {"rate(1 minutes)",
       "rate(1 minutes): the unit must be singular when the value is 1 (minute)"},
      {"rate(5 hour)",
       "rate(5 hour): the unit must be plural when the value is greater than 1 (hours)"},
      {"rate(2 day)",
       "rate(2 day): the unit must be plural when the value is greater than 1 (days)"},
      {"rate(5 weeks)",
       "rate(5 weeks): the unit 'weeks' is not one of minute, minutes, hour, hours, day, days"},
      {"rate(30 seconds)",
       "rate(30 seconds): the unit 'seconds' is not one of minute, minutes, hour, hours, day, "
       "days"},
      {"rate(5 Minutes)",
       "rate(5 Minutes): the unit 'Minutes' is not one of minute, minutes, hour, hours, day, days"},
      {"rate(5)", "rate(5): expected rate(value unit), as in rate(5 minutes)"},
      {"rate(5 minutes now)",
       "rate(5 minutes now): expected rate(value unit), as in rate(5 minutes)"},
      {"rate(1000000000 minutes)",
       "rate(1000000000 minutes): the value 1000000000 is too large (at most 999999999)"},
  };
  for (const BadCase& c : cases) EXPECT_EQ(ErrorOf(c.expression), c.message);
}

TEST(ScheduleErrors, At) {
  const BadCase cases[] = {
      {"at(2024-02-30T10:00:00)", "at(2024-02-30T10:00:00): 2024-02-30 is not a date"},
      {"at(2023-02-29T10:00:00)", "at(2023-02-29T10:00:00): 2023-02-29 is not a date"},
      {"at(2024-13-01T10:00:00)", "at(2024-13-01T10:00:00): 2024-13-01 is not a date"},
      {"at(2024-01-05T24:00:00)", "at(2024-01-05T24:00:00): 24:00:00 is not a time of day"},
      {"at(2024-01-05T10:60:00)", "at(2024-01-05T10:60:00): 10:60:00 is not a time of day"},
      {"at(2024-1-5T10:00:00)", "at(2024-1-5T10:00:00): expected at(yyyy-mm-ddThh:mm:ss)"},
      {"at(2024-01-05 10:00:00)", "at(2024-01-05 10:00:00): expected at(yyyy-mm-ddThh:mm:ss)"},
      {"at(2024-01-05T10:00)", "at(2024-01-05T10:00): expected at(yyyy-mm-ddThh:mm:ss)"},
      {"at(2024-01-05T10:00:00Z)", "at(2024-01-05T10:00:00Z): expected at(yyyy-mm-ddThh:mm:ss)"},
      {"at(2300-01-01T00:00:00)",
       "at(2300-01-01T00:00:00): the year 2300 is out of range 1970-2199"},
  };
  for (const BadCase& c : cases) EXPECT_EQ(ErrorOf(c.expression), c.message);
}

TEST(ScheduleErrors, TimeZones) {
  EXPECT_EQ(ErrorOf("cron(0 12 * * ? *)", "Mars/Olympus_Mons"),
            "unknown time zone 'Mars/Olympus_Mons' (expected an IANA time zone name such as "
            "America/New_York or UTC)");
  // Custom offsets are not IANA names (there is no such file in /usr/share/zoneinfo).
  EXPECT_EQ(ErrorOf("rate(5 minutes)", "GMT+05:00"),
            "unknown time zone 'GMT+05:00' (expected an IANA time zone name such as "
            "America/New_York or UTC)");
  EXPECT_EQ(ErrorOf("at(2024-01-01T00:00:00)", "Etc/Unknown"),
            "unknown time zone 'Etc/Unknown' (expected an IANA time zone name such as "
            "America/New_York or UTC)");
  // Empty means UTC; IANA links (US/Eastern) are names too.
  EXPECT_EQ(ErrorOf("cron(0 12 * * ? *)", ""), "accepted");
  EXPECT_EQ(ErrorOf("cron(0 12 * * ? *)", "US/Eastern"), "accepted");
  EXPECT_EQ(ErrorOf("cron(0 12 * * ? *)", "Etc/GMT+5"), "accepted");
}

}  // namespace
}  // namespace wharf::events
