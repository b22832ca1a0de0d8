/* test_ptime.c - instants and durations without TZ or locale.
 * (ctest runs this with TZ=Asia/Shanghai: nothing here may notice.) */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "runtime/ptime.h"

#define US INT64_C(1000000)

static bool parse(const char *s, int64_t *us) { return ptime_parse(s, strlen(s), us); }

typedef struct {
  const char *text;
  int64_t us;
} GoodTime;

static void test_parse_good(void) {
  static const GoodTime cases[] = {
      {"1970-01-01T00:00:00Z", 0},
      {"1970-01-01", 0},
      {"2026-02-01T00:00:00Z", INT64_C(1769904000) * US},
      {"2026-02-01", INT64_C(1769904000) * US},
      {"2026-02-01t00:00:00z", INT64_C(1769904000) * US},
      {"2026-02-01 00:00:00Z", INT64_C(1769904000) * US},
      {"2026-01-28T10:00:00+08:00", INT64_C(1769565600) * US},
      {"2026-01-28T02:00:00Z", INT64_C(1769565600) * US},
      {"2026-01-27T21:30:00-04:30", INT64_C(1769565600) * US},
      {"2026-01-28T02:00:00-00:00", INT64_C(1769565600) * US},
      {"2026-01-28T02:00:00+23:59", (INT64_C(1769565600) - 86340) * US},
      {"1969-12-31T23:59:59Z", -1 * US},
      {"1969-12-31T23:59:59.5Z", -US / 2},
      {"2000-02-29T12:00:00Z", INT64_C(951825600) * US},
      {"2024-02-29", INT64_C(1709164800) * US},
      {"2026-02-01T00:00:00.1Z", INT64_C(1769904000) * US + 100000},
      {"2026-02-01T00:00:00.123Z", INT64_C(1769904000) * US + 123000},
      {"2026-02-01T00:00:00.123456Z", INT64_C(1769904000) * US + 123456},
      /* Any number of fraction digits, rounded to the microsecond, halves up. */
      {"2026-02-01T00:00:00.123456789Z", INT64_C(1769904000) * US + 123457},
      {"2026-02-01T00:00:00.1234565Z", INT64_C(1769904000) * US + 123457},
      {"2026-02-01T00:00:00.1234564999999999999Z", INT64_C(1769904000) * US + 123456},
      {"2026-02-01T00:00:00.1234567890Z", INT64_C(1769904000) * US + 123457},
      {"2026-02-01T00:00:00.999999999+01:00", INT64_C(1769900400) * US + 1000000},
      {"1969-12-31T23:59:59.9999995Z", 0},
      /* Leap seconds: the following second (RFC 3339's own example). */
      {"1990-12-31T23:59:60Z", INT64_C(662688000) * US},
      {"1990-12-31T15:59:60-08:00", INT64_C(662688000) * US},
      {"2016-12-31T23:59:60.5Z", INT64_C(1483228800) * US + 500000},
      /* The edges of the years 0001..9999 in UTC, offsets applied. */
      {"9999-12-31T23:59:59.999999Z", INT64_C(253402300799) * US + 999999},
      {"9999-12-31T23:59:59+00:01", INT64_C(253402300739) * US},
      {"0001-01-01T00:00:00-00:01", INT64_C(-62135596740) * US},
      {"0001-01-01T00:00:00Z", INT64_C(-62135596800) * US},
      {"9999-12-31T23:59:59Z", INT64_C(253402300799) * US},
      {"2026-12-31T23:59:59Z", INT64_C(1798761599) * US},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    int64_t us = -42;
    g_test_message("%s", cases[i].text);
    g_assert_true(parse(cases[i].text, &us));
    g_assert_cmpint(us, ==, cases[i].us);
  }
}

static void test_parse_bad(void) {
  static const char *const bad[] = {
      "", "2026", "2026-02", "2026-2-01", "2026-02-1", "26-02-01",
      "0000-01-01", "10000-01-01", "2026-00-01", "2026-13-01", "2026-01-00",
      "2026-01-32", "2026-02-30", "2026-02-29", "1900-02-29", "2100-02-29",
      "2026-04-31", "2026-06-31", "2026-09-31", "2026-11-31",
      "2026-02-01T", "2026-02-01T00:00:00", "2026-02-01T00:00Z", "2026-02-01T24:00:00Z",
      "2026-02-01T23:60:00Z", "2026-02-01T23:58:60Z", "2026-02-01T23:59:61Z", "2026-02-01X00:00:00Z",
      "2026-02-01T00:00:00.Z", "2026-02-01T00:00:00.12a4Z",
      /* outside 0001..9999 in UTC once the offset is applied */
      "9999-12-31T23:59:59-00:01", "0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59.9999995Z",
      "9999-12-31T23:59:60Z",
      "2026-02-01T00:00:00+8:00", "2026-02-01T00:00:00+08", "2026-02-01T00:00:00+0800",
      "2026-02-01T00:00:00+24:00", "2026-02-01T00:00:00+08:60", "2026-02-01T00:00:00+08:00Z",
      "2026-02-01T00:00:00ZZ", "2026-02-01T00:00:00Z ", " 2026-02-01T00:00:00Z",
      "2026-02-01 ", "yesterday", "2026-02-01T00:00:00UTC", "2026/02/01", "+2026-02-01",
      "-001-01-01", "2026-02-01T0:00:00Z", "2026-02-01T00:00:00.+08:00",
      "２０２６-02-01", /* fullwidth digits */
  };
  for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
    int64_t us = -42;
    g_test_message("'%s'", bad[i]);
    g_assert_false(parse(bad[i], &us));
    g_assert_cmpint(us, ==, -42);
  }
  int64_t out;
  g_assert_cmpint(ptime_parse_status("9999-12-31T23:59:59-00:01", 25, &out), ==, PTIME_OUT_OF_RANGE);
  g_assert_cmpint(ptime_parse_status("2026-02-31T00:00:00Z", 20, &out), ==, PTIME_BAD);
  /* Length is honoured: no reading past len, no NUL needed. */
  int64_t us;
  g_assert_false(ptime_parse("2026-02-01T00:00:00Z", 19, &us));
  g_assert_true(ptime_parse("2026-02-01T00:00:00Zjunk", 20, &us));
  g_assert_true(ptime_parse("2026-02-01junk", 10, &us));
}

typedef struct {
  int64_t us;
  const char *text;
} Formatted;

static void test_format(void) {
  static const Formatted cases[] = {
      {0, "1970-01-01T00:00:00Z"},
      {INT64_C(1769904000) * US, "2026-02-01T00:00:00Z"},
      {INT64_C(1769904000) * US + 123000, "2026-02-01T00:00:00.123Z"},
      {INT64_C(1769904000) * US + 100000, "2026-02-01T00:00:00.100Z"},
      {INT64_C(1769904000) * US + 123456, "2026-02-01T00:00:00.123456Z"},
      {INT64_C(1769904000) * US + 1, "2026-02-01T00:00:00.000001Z"},
      {-1, "1969-12-31T23:59:59.999999Z"},
      {-US, "1969-12-31T23:59:59Z"},
      {INT64_C(-62135596800) * US, "0001-01-01T00:00:00Z"},
      {INT64_C(253402300799) * US, "9999-12-31T23:59:59Z"},
      {INT64_C(951782400) * US, "2000-02-29T00:00:00Z"},
      {INT64_C(253402300800) * US, "10000-01-01T00:00:00Z"},
      {INT64_C(-62135596801) * US, "0000-12-31T23:59:59Z"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    char buf[PTIME_BUF];
    size_t n = ptime_format(cases[i].us, buf);
    g_assert_cmpstr(buf, ==, cases[i].text);
    g_assert_cmpuint(n, ==, strlen(cases[i].text));
  }
  /* Extremes of int64 must not overflow the buffer or crash. */
  char buf[PTIME_BUF];
  g_assert_cmpuint(ptime_format(INT64_MIN, buf), <, PTIME_BUF);
  g_assert_cmpuint(ptime_format(INT64_MAX, buf), <, PTIME_BUF);
}

static void test_round_trip(void) {
  /* Every day of years around leap-year rules, and instants with
   * fractions: format then parse gives the same instant. */
  int64_t start = ptime_days_from_civil(1899, 12, 25);
  int64_t stop = ptime_days_from_civil(2101, 1, 5);
  for (int64_t day = start; day < stop; day++) {
    int64_t us = day * 86400 * US + (day % 86400) * US + (day % 3 ? 0 : (day % 1000) * 1000 + 7);
    char buf[PTIME_BUF];
    size_t n = ptime_format(us, buf);
    int64_t back;
    g_assert_true(ptime_parse(buf, n, &back));
    g_assert_cmpint(back, ==, us);
  }
}

static void test_days_from_civil(void) {
  g_assert_cmpint(ptime_days_from_civil(1970, 1, 1), ==, 0);
  g_assert_cmpint(ptime_days_from_civil(1970, 1, 2), ==, 1);
  g_assert_cmpint(ptime_days_from_civil(1969, 12, 31), ==, -1);
  g_assert_cmpint(ptime_days_from_civil(2000, 3, 1), ==, 11017);
  g_assert_cmpint(ptime_days_from_civil(2000, 2, 29), ==, 11016);
  g_assert_cmpint(ptime_days_from_civil(1, 1, 1), ==, -719162);
  /* Year lengths: 365, 366 (div by 4), 365 (by 100), 366 (by 400). */
  g_assert_cmpint(ptime_days_from_civil(2025, 1, 1) - ptime_days_from_civil(2024, 1, 1), ==, 366);
  g_assert_cmpint(ptime_days_from_civil(2026, 1, 1) - ptime_days_from_civil(2025, 1, 1), ==, 365);
  g_assert_cmpint(ptime_days_from_civil(1901, 1, 1) - ptime_days_from_civil(1900, 1, 1), ==, 365);
  g_assert_cmpint(ptime_days_from_civil(2001, 1, 1) - ptime_days_from_civil(2000, 1, 1), ==, 366);
}

static void test_fields(void) {
  int y, mo, d, h, mi, s, wd;
  int64_t us;
  g_assert_true(parse("2026-02-01T13:14:15.5Z", &us));
  ptime_fields(us, &y, &mo, &d, &h, &mi, &s, &wd);
  g_assert_cmpint(y, ==, 2026);
  g_assert_cmpint(mo, ==, 2);
  g_assert_cmpint(d, ==, 1);
  g_assert_cmpint(h, ==, 13);
  g_assert_cmpint(mi, ==, 14);
  g_assert_cmpint(s, ==, 15);
  g_assert_cmpint(wd, ==, 7); /* a Sunday */
  ptime_fields(0, &y, &mo, &d, &h, &mi, &s, &wd);
  g_assert_cmpint(wd, ==, 4); /* Thursday */
  ptime_fields(-1, &y, &mo, &d, &h, &mi, &s, &wd);
  g_assert_cmpint(y, ==, 1969);
  g_assert_cmpint(mo, ==, 12);
  g_assert_cmpint(d, ==, 31);
  g_assert_cmpint(h, ==, 23);
  g_assert_cmpint(s, ==, 59);
  g_assert_cmpint(wd, ==, 3); /* Wednesday */
  g_assert_true(parse("2026-01-26", &us));
  ptime_fields(us, NULL, NULL, NULL, NULL, NULL, NULL, &wd);
  g_assert_cmpint(wd, ==, 1); /* Monday */
}

static void test_unix_seconds(void) {
  int64_t us;
  g_assert_true(ptime_from_unix_seconds(0, &us));
  g_assert_cmpint(us, ==, 0);
  g_assert_true(ptime_from_unix_seconds(1769904000, &us));
  g_assert_cmpint(us, ==, INT64_C(1769904000) * US);
  g_assert_true(ptime_from_unix_seconds(1769904000.25, &us));
  g_assert_cmpint(us, ==, INT64_C(1769904000) * US + 250000);
  g_assert_true(ptime_from_unix_seconds(1.000001, &us));
  g_assert_cmpint(us, ==, 1000001);
  g_assert_true(ptime_from_unix_seconds(-1.5, &us));
  g_assert_cmpint(us, ==, -1500000);
  g_assert_true(ptime_from_unix_seconds(-62135596800.0, &us));
  g_assert_false(ptime_from_unix_seconds(-62135596801.0, &us));
  g_assert_true(ptime_from_unix_seconds(253402300799.0, &us));
  g_assert_false(ptime_from_unix_seconds(253402300800.0, &us));
  g_assert_false(ptime_from_unix_seconds(1e300, &us));
  g_assert_false(ptime_from_unix_seconds(INFINITY, &us));
  g_assert_false(ptime_from_unix_seconds(NAN, &us));
}

typedef struct {
  const char *text;
  int64_t us;
} GoodDuration;

static void test_duration_parse(void) {
  static const GoodDuration good[] = {
      {"30s", 30 * US},
      {"15m", 900 * US},
      {"12h", 43200 * US},
      {"7d", 604800 * US},
      {"2w", 1209600 * US},
      {"0s", 0},
      {"0w", 0},
      {"1d", 86400 * US},
      {"0.5s", US / 2},
      {"1.000001s", US + 1},
      {"-3h", -10800 * US},
      {"9223372036854s", INT64_C(9223372036854) * US},
      {"-9223372036854.775808s", INT64_MIN},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
    int64_t us = -42;
    g_test_message("%s", good[i].text);
    g_assert_true(pduration_parse(good[i].text, strlen(good[i].text), &us));
    g_assert_cmpint(us, ==, good[i].us);
  }
  static const char *const bad[] = {
      "", "s", "30", "30x", "30 s", " 30s", "30s ", "1.5m", "0.5d", "1.s", ".5s",
      "1.0000001s", "+3s", "--3s", "3ss", "9223372036855s", "99999999999999999999999w",
      "15250284452472w", "30S", "1e3s",
  };
  for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
    int64_t us = -42;
    g_test_message("'%s'", bad[i]);
    g_assert_false(pduration_parse(bad[i], strlen(bad[i]), &us));
    g_assert_cmpint(us, ==, -42);
  }
}

typedef struct {
  int64_t us;
  const char *text;
} FormattedDuration;

static void test_duration_format(void) {
  static const FormattedDuration cases[] = {
      {0, "0s"},
      {30 * US, "30s"},
      {60 * US, "1m"},
      {90 * US, "90s"},
      {900 * US, "15m"},
      {3600 * US, "1h"},
      {36 * 3600 * US, "36h"},
      {86400 * US, "1d"},
      {7 * 86400 * US, "7d"},  /* tie with "1w": the smaller unit */
      {14 * 86400 * US, "2w"},
      {70 * 86400 * US, "70d"},
      {US / 2, "0.5s"},
      {1500000, "1.5s"},
      {1, "0.000001s"},
      {-3 * 3600 * US, "-3h"},
      {-1, "-0.000001s"},
      {INT64_MIN, "-9223372036854.775808s"},
      {INT64_MAX, "9223372036854.775807s"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    char buf[PTIME_BUF];
    size_t n = pduration_format(cases[i].us, buf);
    g_assert_cmpstr(buf, ==, cases[i].text);
    g_assert_cmpuint(n, ==, strlen(buf));
    int64_t back;
    g_assert_true(pduration_parse(buf, n, &back));
    g_assert_cmpint(back, ==, cases[i].us);
  }
}

/* The decoder's shortcut for "YYYY-MM-DDTHH:MM:SSZ" agrees with the
 * general parser on every 20-byte text: good ones, and each good one with
 * one byte replaced by each of a set of bytes (digits out of range,
 * separators, letters, quotes, high bytes). Before the general parser has
 * seen a date the shortcut may only decline; after, it must agree. */
static void check_utc20(const char *t) {
  int64_t a = -1, b = -1, c = -1;
  gboolean early = ptime_parse_utc20_cached(t, &c);
  gboolean ok_a = ptime_parse(t, 20, &a), ok_b = ptime_parse_utc20_cached(t, &b);
  g_assert_cmpint(ok_a, ==, ok_b);
  if (ok_a) g_assert_cmpint(a, ==, b);
  if (early) g_assert_true(ok_a && c == a);
}

static void test_utc20(void) {
  static const char *const good[] = {"2026-01-28T10:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
                                     "2024-02-29 12:34:56z", "2026-11-22t00:00:01Z"};
  static const char repl[] = {'0', '9', '/', ':', '-', 'T', 'Z', ' ', 'a', '"', '\\', '\x80', '\xff', '\0', '6', '3'};
  for (gsize g = 0; g < G_N_ELEMENTS(good); g++) {
    char s[21];
    memcpy(s, good[g], 21);
    for (int pos = -1; pos < 20; pos++) {
      for (gsize r = 0; r < (pos < 0 ? 1 : G_N_ELEMENTS(repl)); r++) {
        char t[20];
        memcpy(t, s, 20);
        if (pos >= 0) t[pos] = repl[r];
        check_utc20(t);
      }
    }
  }
}

/* The clock HH:MM:SS, parsed 8 bytes at a time, against a byte-by-byte
 * reading: every second of the day, and every byte value at each of the
 * eight places of two clocks. */
static bool clock_reference(const char *c, int64_t *secs) {
  for (int i = 0; i < 8; i++)
    if (i == 2 || i == 5 ? c[i] != ':' : !g_ascii_isdigit(c[i])) return false;
  int h = (c[0] - '0') * 10 + c[1] - '0', m = (c[3] - '0') * 10 + c[4] - '0', s = (c[6] - '0') * 10 + c[7] - '0';
  if (h > 23 || m > 59 || s > 59) return false;
  *secs = h * 3600 + m * 60 + s;
  return true;
}

static void check_clock(const char *clock) {
  char t[21] = "2026-01-28T00:00:00Z";
  memcpy(t + 11, clock, 8);
  int64_t us = -1, secs = -1;
  bool want = clock_reference(clock, &secs);
  int64_t day;
  g_assert_true(ptime_parse("2026-01-28", 10, &day)); /* the date is cached */
  g_assert_cmpint(ptime_parse_utc20_cached(t, &us), ==, want);
  if (want) g_assert_cmpint(us, ==, (INT64_C(1769558400) + secs) * 1000000);
}

static void test_clock(void) {
  char c[9];
  for (int s = 0; s < 86400; s++) {
    g_snprintf(c, sizeof c, "%02d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    check_clock(c);
  }
  static const char *const base[] = {"23:59:59", "00:00:00"};
  for (gsize b = 0; b < G_N_ELEMENTS(base); b++)
    for (int pos = 0; pos < 8; pos++)
      for (int v = 0; v < 256; v++) {
        memcpy(c, base[b], 8);
        c[pos] = (char)v;
        check_clock(c);
      }
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/runtime/ptime/parse-good", test_parse_good);
  g_test_add_func("/runtime/ptime/parse-bad", test_parse_bad);
  g_test_add_func("/runtime/ptime/utc20", test_utc20);
  g_test_add_func("/runtime/ptime/clock", test_clock);
  g_test_add_func("/runtime/ptime/format", test_format);
  g_test_add_func("/runtime/ptime/round-trip", test_round_trip);
  g_test_add_func("/runtime/ptime/days-from-civil", test_days_from_civil);
  g_test_add_func("/runtime/ptime/fields", test_fields);
  g_test_add_func("/runtime/ptime/unix-seconds", test_unix_seconds);
  g_test_add_func("/runtime/ptime/duration-parse", test_duration_parse);
  g_test_add_func("/runtime/ptime/duration-format", test_duration_format);
  return g_test_run();
}
