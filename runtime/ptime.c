/* ptime.c - UTC instants and durations, parsed and printed by hand.
 *
 * No strptime/mktime/timegm/strftime: those read TZ and LC_TIME, and the
 * result of an evaluation must not depend on the machine. The calendar
 * arithmetic is Howard Hinnant's days_from_civil / civil_from_days
 * (http://howardhinnant.github.io/date_algorithms.html), exact for every
 * proleptic Gregorian date that fits in int64 days.
 */
#include "ptime.h"

#include <math.h>
#include <string.h>

#define USEC_PER_SEC INT64_C(1000000)
#define SEC_PER_DAY INT64_C(86400)
#define USEC_PER_DAY (SEC_PER_DAY * USEC_PER_SEC)

/* Floor division and modulo: instants before 1970 are negative and must
 * still map to the right day and time of day. */
static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
  return q;
}

static int64_t floor_mod(int64_t a, int64_t b) {
  int64_t r = a % b; /* not a - floor_div(a, b) * b: that overflows at INT64_MIN */
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

int64_t ptime_days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = (unsigned)(y - era * 400);                  /* [0, 399] */
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;     /* [0, 146096] */
  return era * 146097 + (int64_t)doe - 719468;
}

/* Inverse of ptime_days_from_civil. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = (unsigned)(z - era * 146097);                        /* [0, 146096] */
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);             /* [0, 365] */
  const unsigned mp = (5 * doy + 2) / 153;                                  /* [0, 11] */
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool is_leap(unsigned y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static unsigned days_in_month(unsigned y, unsigned m) {
  static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Two ASCII digits at s as a number, or -1. Unsigned subtraction makes one
 * comparison per digit. */
static int two_digits(const char *s) {
  unsigned a = (unsigned)(unsigned char)s[0] - '0';
  unsigned b = (unsigned)(unsigned char)s[1] - '0';
  if (a > 9 || b > 9) return -1;
  return (int)(a * 10 + b);
}

static int four_digits(const char *s) {
  int hi = two_digits(s), lo = two_digits(s + 2);
  if (hi < 0 || lo < 0) return -1;
  return hi * 100 + lo;
}

/* The date cache of ptime.h (per thread). */
_Thread_local PTimeDateEntry ptime_date_cache[PTIME_DATE_CACHE];

static bool parse_date_uncached(const char *s, int64_t *days);

/* "YYYY-MM-DD" at s (10 bytes readable) when it is not in the cache:
 * validated, converted and remembered. */
static bool ptime_parse_date_slow(const char *s, int64_t *days) {
  uint64_t head;
  uint16_t tail;
  memcpy(&head, s, 8);
  memcpy(&tail, s + 8, 2);
  if (!parse_date_uncached(s, days)) return false;
  ptime_date_cache[ptime_date_slot(head, tail)] = (PTimeDateEntry){head, tail, true, *days};
  return true;
}

/* "YYYY-MM-DD" at s (10 bytes available): days since the epoch. */
static bool parse_date_uncached(const char *s, int64_t *days) {
  if (s[4] != '-' || s[7] != '-') return false;
  int y = four_digits(s), m = two_digits(s + 5), d = two_digits(s + 8);
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  if ((unsigned)d > days_in_month((unsigned)y, (unsigned)m)) return false;
  *days = ptime_days_from_civil(y, (unsigned)m, (unsigned)d);
  return true;
}

/* "YYYY-MM-DD" at s (10 bytes readable): days since the epoch. */
static bool ptime_parse_date(const char *s, int64_t *days) {
  return ptime_date_cached(s, days) || ptime_parse_date_slow(s, days);
}

/* The instants whose text ptime_parse accepts: the years 0001..9999 in
 * UTC, after the offset is applied. */
#define MIN_US (INT64_C(-62135596800) * USEC_PER_SEC) /* 0001-01-01T00:00:00Z */
#define END_US (INT64_C(253402300800) * USEC_PER_SEC) /* 10000-01-01T00:00:00Z */

/* "HH:MM:60" at s: a leap second, read as the second that follows
 * "HH:MM:59" (POSIX time has no second 60). Only at the end of a minute
 * of any hour, since the offset moves 23:59:60 UTC to other local hours. */
static bool parse_leap_clock(const char *s, int64_t *secs) {
  if (s[6] != '6' || s[7] != '0') return false;
  char clock[8];
  memcpy(clock, s, 8);
  clock[6] = '5';
  clock[7] = '9';
  if (!ptime_parse_clock(clock, secs) || two_digits(s + 3) != 59) return false;
  *secs += 1;
  return true;
}

PTimeStatus ptime_parse_status(const char *s, size_t len, int64_t *out_us) {
  int64_t days, secs;
  if (len < 10 || !ptime_parse_date(s, &days)) return PTIME_BAD;
  if (len == 10) {
    *out_us = days * USEC_PER_DAY;
    return PTIME_OK;
  }
  if (len < 20 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ')) return PTIME_BAD;
  if (!ptime_parse_clock(s + 11, &secs) && !parse_leap_clock(s + 11, &secs)) return PTIME_BAD;

  /* The common JSON shape "YYYY-MM-DDTHH:MM:SSZ" ends here. */
  size_t i = 19;
  int64_t frac_us = 0;
  if (s[i] == '.') {
    size_t start = ++i;
    int64_t scale = 100000; /* value of the first fraction digit in us */
    while (i < len && (unsigned)(unsigned char)s[i] - '0' <= 9) {
      if (scale > 0) frac_us += (s[i] - '0') * scale;
      else if (scale == 0 && s[i] >= '5') frac_us++; /* the 7th digit rounds, halves up */
      scale = scale > 0 ? scale / 10 : -1;
      i++;
    }
    if (i == start) return PTIME_BAD;
  }
  if (i >= len) return PTIME_BAD;
  int64_t offset = 0;
  if (s[i] == 'Z' || s[i] == 'z') {
    i++;
  } else if (s[i] == '+' || s[i] == '-') {
    if (len - i < 6 || s[i + 3] != ':') return PTIME_BAD;
    int oh = two_digits(s + i + 1), om = two_digits(s + i + 4);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return PTIME_BAD;
    offset = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return PTIME_BAD;
  }
  if (i != len) return PTIME_BAD;
  /* Local time minus its offset is UTC. */
  int64_t us = (days * SEC_PER_DAY + secs - offset) * USEC_PER_SEC + frac_us;
  if (us < MIN_US || us >= END_US) return PTIME_OUT_OF_RANGE;
  *out_us = us;
  return PTIME_OK;
}

bool ptime_parse(const char *s, size_t len, int64_t *out_us) {
  return ptime_parse_status(s, len, out_us) == PTIME_OK;
}

/* The instants whose text ptime_parse accepts, as whole seconds. */
static const double MIN_UNIX_SECS = -62135596800.0; /* 0001-01-01T00:00:00Z */
static const double END_UNIX_SECS = 253402300800.0; /* 10000-01-01T00:00:00Z */

bool ptime_from_unix_seconds(double secs, int64_t *out_us) {
  if (!isfinite(secs) || secs < MIN_UNIX_SECS || secs >= END_UNIX_SECS) return false;
  /* Rounded, not truncated: 1.000001 is 1000000.9999999999 us in binary. */
  *out_us = (int64_t)llround(secs * 1e6);
  return true;
}

/* Writes n as exactly `width` digits (n >= 0, n < 10^width). */
static char *put_digits(char *p, int64_t n, int width) {
  for (int i = width - 1; i >= 0; i--) {
    p[i] = (char)('0' + n % 10);
    n /= 10;
  }
  return p + width;
}

static char *put_year(char *p, int64_t y) {
  /* Years outside 0000..9999 only come from arithmetic, never from
   * parsed text; print them in full with a sign rather than wrapping. */
  if (y < 0) {
    *p++ = '-';
    y = -y;
  }
  int width = 4;
  for (int64_t t = 10000; y >= t && width < 19; t *= 10) width++;
  return put_digits(p, y, width);
}

size_t ptime_format(int64_t us, char *buf) {
  int64_t days = floor_div(us, USEC_PER_DAY);
  int64_t in_day = floor_mod(us, USEC_PER_DAY);
  int64_t y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  int64_t secs = in_day / USEC_PER_SEC, frac = in_day % USEC_PER_SEC;
  char *p = put_year(buf, y);
  *p++ = '-';
  p = put_digits(p, m, 2);
  *p++ = '-';
  p = put_digits(p, d, 2);
  *p++ = 'T';
  p = put_digits(p, secs / 3600, 2);
  *p++ = ':';
  p = put_digits(p, secs / 60 % 60, 2);
  *p++ = ':';
  p = put_digits(p, secs % 60, 2);
  if (frac != 0) {
    *p++ = '.';
    p = frac % 1000 == 0 ? put_digits(p, frac / 1000, 3) : put_digits(p, frac, 6);
  }
  *p++ = 'Z';
  *p = '\0';
  return (size_t)(p - buf);
}

void ptime_fields(int64_t us, int *year, int *month, int *day, int *hour,
                  int *minute, int *second, int *weekday) {
  int64_t days = floor_div(us, USEC_PER_DAY);
  int64_t secs = floor_mod(us, USEC_PER_DAY) / USEC_PER_SEC;
  int64_t y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  if (year) *year = (int)y;
  if (month) *month = (int)m;
  if (day) *day = (int)d;
  if (hour) *hour = (int)(secs / 3600);
  if (minute) *minute = (int)(secs / 60 % 60);
  if (second) *second = (int)(secs % 60);
  /* 1970-01-01 was a Thursday (4). */
  if (weekday) *weekday = (int)(floor_mod(days + 3, 7) + 1);
}

/* ---- durations --------------------------------------------------------- */

typedef struct {
  char suffix;
  int64_t us;
} DurationUnit;

/* Smallest first: pduration_format prefers the smaller unit on a tie. */
static const DurationUnit UNITS[] = {
    {'s', USEC_PER_SEC},
    {'m', 60 * USEC_PER_SEC},
    {'h', 3600 * USEC_PER_SEC},
    {'d', SEC_PER_DAY * USEC_PER_SEC},
    {'w', 7 * SEC_PER_DAY * USEC_PER_SEC},
};

bool pduration_parse(const char *s, size_t len, int64_t *out_us) {
  size_t i = 0;
  bool neg = false;
  if (i < len && s[i] == '-') {
    neg = true;
    i++;
  }
  size_t start = i;
  uint64_t n = 0;
  while (i < len && (unsigned)(unsigned char)s[i] - '0' <= 9) {
    if (n > (UINT64_MAX - 9) / 10) return false;
    n = n * 10 + (uint64_t)(s[i] - '0');
    i++;
  }
  if (i == start) return false;
  /* A fraction only on seconds, to read back what pduration_format
   * writes for sub-second durations ("0.5s"); at most microseconds. */
  uint64_t frac_us = 0;
  bool has_frac = false;
  if (i < len && s[i] == '.') {
    size_t fstart = ++i;
    uint64_t scale = 100000;
    while (i < len && (unsigned)(unsigned char)s[i] - '0' <= 9) {
      frac_us += (uint64_t)(s[i] - '0') * scale;
      scale /= 10;
      i++;
    }
    if (i == fstart || i - fstart > 6) return false;
    has_frac = true;
  }
  if (i + 1 != len) return false;
  const DurationUnit *unit = NULL;
  for (size_t u = 0; u < sizeof UNITS / sizeof UNITS[0]; u++)
    if (UNITS[u].suffix == s[i]) unit = &UNITS[u];
  if (!unit || (has_frac && unit->suffix != 's')) return false;
  uint64_t limit = (uint64_t)INT64_MAX + (neg ? 1 : 0);
  if (n > (limit - frac_us) / (uint64_t)unit->us) return false;
  uint64_t total = n * (uint64_t)unit->us + frac_us;
  *out_us = neg ? (int64_t)(0 - total) : (int64_t)total;
  return true;
}

/* Decimal digits of n; returns the length written (no NUL). */
static size_t put_u64(char *buf, uint64_t n) {
  char tmp[24];
  size_t k = 0;
  do {
    tmp[k++] = (char)('0' + n % 10);
    n /= 10;
  } while (n);
  for (size_t j = 0; j < k; j++) buf[j] = tmp[k - 1 - j];
  return k;
}

size_t pduration_format(int64_t us, char *buf) {
  char *p = buf;
  uint64_t a = (uint64_t)us;
  if (us < 0) {
    *p++ = '-';
    a = 0 - a; /* well defined for INT64_MIN too */
  }
  if (a == 0) {
    memcpy(p, "0s", 3);
    return (size_t)(p - buf) + 2;
  }
  /* The unit giving the shortest text wins; a tie goes to the smaller
   * unit, so 7 days is "7d" rather than "1w" but 14 days is "2w". */
  size_t best_len = 0;
  for (size_t u = 0; u < sizeof UNITS / sizeof UNITS[0]; u++) {
    uint64_t unit = (uint64_t)UNITS[u].us;
    if (a % unit != 0) continue;
    char tmp[24];
    size_t n = put_u64(tmp, a / unit);
    if (best_len == 0 || n + 1 < best_len) {
      memcpy(p, tmp, n);
      p[n] = UNITS[u].suffix;
      best_len = n + 1;
    }
  }
  if (best_len == 0) {
    /* Not whole seconds: seconds with the fraction, trailing zeros cut. */
    size_t n = put_u64(p, a / (uint64_t)USEC_PER_SEC);
    char frac[7];
    put_digits(frac, (int64_t)(a % (uint64_t)USEC_PER_SEC), 6);
    size_t fl = 6;
    while (frac[fl - 1] == '0') fl--;
    p[n] = '.';
    memcpy(p + n + 1, frac, fl);
    p[n + 1 + fl] = 's';
    best_len = n + fl + 2;
  }
  p += best_len;
  *p = '\0';
  return (size_t)(p - buf);
}
