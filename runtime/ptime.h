/* ptime.h - instants and durations in UTC, without the C library's time
 * zone or locale.
 *
 * An instant is microseconds since 1970-01-01T00:00:00Z (int64). Parsing
 * and printing are done here by hand, so results never depend on TZ or
 * LC_* of the process, and the fixed format of JSON timestamps parses at
 * the speed of reading digits.
 *
 * Ownership: times are plain int64 values; text goes into buffers the
 * caller owns. The date cache is per thread and owned here.
 */
#ifndef PERSONA_PTIME_H
#define PERSONA_PTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Accepts RFC 3339 with an offset ("2026-01-28T10:00:00+08:00",
 * "…T10:00:00Z", "…T10:00:00.123456Z"; a space may stand for 'T'; 'z' and
 * 't' in lower case) or a date alone ("2026-01-28" = midnight UTC).
 * Years 0001..9999, real calendar dates (leap years), hours 00..23,
 * seconds 00..59, and 60 at the end of a minute: a leap second, read as
 * the following second (UTC instants here are POSIX seconds, which have
 * no second 60). A fraction of any number of digits, rounded to the
 * microsecond (halves up). Offsets -23:59..+23:59. The instant, offset
 * applied, must fall in the years 0001..9999 in UTC
 * (PTIME_OUT_OF_RANGE otherwise: it could not be printed back). */
typedef enum { PTIME_OK, PTIME_BAD, PTIME_OUT_OF_RANGE } PTimeStatus;
PTimeStatus ptime_parse_status(const char *s, size_t len, int64_t *out_us);
/* ptime_parse_status() == PTIME_OK. */
bool ptime_parse(const char *s, size_t len, int64_t *out_us);
/* The common JSON shape alone: exactly the 20 bytes "YYYY-MM-DDTHH:MM:SSZ"
 * at s, on a date this thread has parsed before: the same result as
 * ptime_parse(s, 20, out_us), with less work, or false (for a date not
 * seen yet, which ptime_parse() then reads and remembers). Inline (below):
 * the decoder parses one per event. */
static inline bool ptime_parse_utc20_cached(const char *s, int64_t *out_us);

/* Unix seconds as a JSON number (integral or fractional) to microseconds;
 * false when not finite or out of the years 0001..9999. */
bool ptime_from_unix_seconds(double secs, int64_t *out_us);

/* "2026-02-01T00:00:00Z"; a fraction is printed only when non-zero, with 3
 * digits when the instant is a whole millisecond, else 6. Writes at most
 * PTIME_BUF-1 chars plus NUL; returns the length. */
#define PTIME_BUF 40
size_t ptime_format(int64_t us, char *buf);

/* Calendar fields of an instant (UTC). weekday: 1 = Monday … 7 = Sunday. */
void ptime_fields(int64_t us, int *year, int *month, int *day, int *hour,
                  int *minute, int *second, int *weekday);

/* Days from civil date (proleptic Gregorian) to 1970-01-01; exact. */
int64_t ptime_days_from_civil(int64_t y, unsigned m, unsigned d);

/* Durations as written in the language and in JSON: "30s" "15m" "12h" "7d"
 * "2w" (an integer then one unit). Also accepted, so that everything
 * pduration_format writes reads back: a leading '-' and, on seconds only,
 * a fraction of 1..6 digits ("0.5s", "-1.000001s"). Returns false on
 * anything else or overflow. */
bool pduration_parse(const char *s, size_t len, int64_t *out_us);
/* Shortest exact form: "7d", "36h", "90s", "1500000us" is never produced:
 * sub-second durations print as seconds with a fraction ("0.5s"). The unit
 * giving the shortest text wins, a tie going to the smaller unit ("7d",
 * "2w", "1m", "0s"); negative durations get a '-'. buf holds PTIME_BUF
 * bytes; returns the length (NUL-terminated). */
size_t pduration_format(int64_t us, char *buf);

/* ---- the inline parts of the parser -------------------------------------- */

/* Parsed dates, per thread: the events of millions of profiles fall on a
 * few hundred days, so most dates are found here instead of being
 * validated and converted again. Keyed by the 10 bytes themselves, so a
 * hit is exact. Internal to ptime.c and ptime_parse_utc20_cached(). */
enum { PTIME_DATE_CACHE_BITS = 11, PTIME_DATE_CACHE = 1 << PTIME_DATE_CACHE_BITS };
typedef struct PTimeDateEntry {
  uint64_t head; /* bytes 0..7 of "YYYY-MM-DD" */
  uint16_t tail; /* bytes 8..9 */
  bool valid;
  int64_t days;
} PTimeDateEntry;
extern _Thread_local PTimeDateEntry ptime_date_cache[PTIME_DATE_CACHE];

static inline uint32_t ptime_date_slot(uint64_t head, uint16_t tail) {
  uint64_t h = (head ^ (head >> 29) ^ ((uint64_t)tail << 7)) * UINT64_C(0x9E3779B97F4A7C15);
  return (uint32_t)(h >> (64 - PTIME_DATE_CACHE_BITS));
}

/* "YYYY-MM-DD" at s (10 bytes readable) when the cache has it: days since
 * the epoch. False when it is not there (valid or not). */
static inline bool ptime_date_cached(const char *s, int64_t *days) {
  uint64_t head;
  uint16_t tail;
  memcpy(&head, s, 8);
  memcpy(&tail, s + 8, 2);
  const PTimeDateEntry *e = &ptime_date_cache[ptime_date_slot(head, tail)];
  if (e->valid && e->head == head && e->tail == tail) {
    *days = e->days;
    return true;
  }
  return false;
}

/* "HH:MM:SS" at s (8 bytes readable): seconds into the day. */
static inline bool ptime_parse_clock(const char *s, int64_t *secs) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  /* All 8 bytes at once. XOR with "00:00:00" leaves each digit's value
   * (0..9 exactly when it was a digit) and 0 for each ':'; adding 0x76 to
   * a digit's byte and 0x7F to a colon's keeps it below 0x80 exactly when
   * it was right. Then t * 10 + (t >> 8) puts HH, MM and SS in bytes 0, 3
   * and 6 (each at most 99: no byte carries into the next). */
  uint64_t w;
  memcpy(&w, s, 8);
  uint64_t t = w ^ UINT64_C(0x30303A30303A3030);
  if (((t + UINT64_C(0x76767F76767F7676)) | t) & UINT64_C(0x8080808080808080)) return false;
  uint64_t v = t * 10 + (t >> 8);
  unsigned h = (unsigned)(v & 0xFF), mi = (unsigned)((v >> 24) & 0xFF), se = (unsigned)((v >> 48) & 0xFF);
#else
  unsigned d[8];
  for (int k = 0; k < 8; k++) d[k] = (unsigned)(unsigned char)s[k] - '0';
  if (s[2] != ':' || s[5] != ':' || d[0] > 9 || d[1] > 9 || d[3] > 9 || d[4] > 9 || d[6] > 9 || d[7] > 9)
    return false;
  unsigned h = d[0] * 10 + d[1], mi = d[3] * 10 + d[4], se = d[6] * 10 + d[7];
#endif
  if (h > 23 || mi > 59 || se > 59) return false;
  *secs = h * 3600 + mi * 60 + se;
  return true;
}

/* No call on the way (a miss is the caller's to handle), so the decoder's
 * loop keeps its registers. */
static inline bool ptime_parse_utc20_cached(const char *s, int64_t *out_us) {
  int64_t days, secs;
  /* 'T' or 't' (the same but for bit 5), or ' '; 'Z' or 'z'. */
  if (((s[10] | 0x20) != 't' && s[10] != ' ') || (s[19] | 0x20) != 'z') return false;
  if (!ptime_date_cached(s, &days) || !ptime_parse_clock(s + 11, &secs)) return false;
  *out_us = (days * 86400 + secs) * 1000000;
  return true;
}


#endif
