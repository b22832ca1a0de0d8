/* ptime.h - instants and durations in UTC, without the C library's time
 * zone or locale.
 *
 * An instant is microseconds since 1970-01-01T00:00:00Z (int64). Parsing
 * and printing are done here by hand, so results never depend on TZ or
 * LC_* of the process, and the fixed format of JSON timestamps parses at
 * the speed of reading digits.
 */
#ifndef PERSONA_PTIME_H
#define PERSONA_PTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Accepts RFC 3339 with an offset ("2026-01-28T10:00:00+08:00",
 * "…T10:00:00Z", "…T10:00:00.123456Z"; a space may stand for 'T'; 'z' and
 * 't' in lower case) or a date alone ("2026-01-28" = midnight UTC).
 * Years 0001..9999, real calendar dates (leap years), hours 00..23,
 * seconds 00..59 (a leap second 60 is refused: UTC instants here are POSIX
 * seconds), fractions of 1 to 9 digits (truncated to microseconds), offsets
 * -23:59..+23:59. Returns false for anything else. */
bool ptime_parse(const char *s, size_t len, int64_t *out_us);
/* The common JSON shape alone: exactly the 20 bytes "YYYY-MM-DDTHH:MM:SSZ"
 * at s; the same result as ptime_parse(s, 20, out_us), with less work. */
bool ptime_parse_utc20(const char *s, int64_t *out_us);

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

#endif
