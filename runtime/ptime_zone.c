/* ptime_zone.c - local times in an input time zone; see ptime_zone.h. */
#include "ptime_zone.h"

#include <string.h>

#define USEC_PER_SEC INT64_C(1000000)

GTimeZone *ptime_zone_new(const char *identifier) {
  if (!identifier || !*identifier) return NULL;
  return g_time_zone_new_identifier(identifier);
}

/* The text as RFC 3339 in UTC ("YYYY-MM-DDTHH:MM:SS[.f]Z") into buf, so
 * that ptime_parse_status() checks every field; false when it does not
 * have the shape of a local time. */
static bool normalise(const char *s, size_t len, char *buf, size_t cap) {
  if (len < 16 || len + 4 > cap) return false;
  if (!((s[4] == '-' && s[7] == '-') || (s[4] == '/' && s[7] == '/'))) return false;
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return false;
  if (s[13] != ':') return false;
  size_t n = 0;
  memcpy(buf, s, 16);
  buf[4] = buf[7] = '-';
  buf[10] = 'T';
  n = 16;
  size_t i = 16;
  if (i == len) {
    memcpy(buf + n, ":00", 3); /* HH:MM */
    n += 3;
  } else {
    if (s[i] != ':') return false;
    memcpy(buf + n, s + i, len - i); /* :SS and any fraction */
    n += len - i;
    for (size_t k = i; k < len; k++) /* no offset of its own */
      if (s[k] == 'Z' || s[k] == 'z' || s[k] == '+' || s[k] == '-') return false;
  }
  buf[n++] = 'Z';
  buf[n] = '\0';
  return true;
}

PTimeStatus ptime_parse_local(const char *s, size_t len, GTimeZone *tz, int64_t *out_us) {
  char buf[96];
  int64_t wall_us;
  if (!tz || !normalise(s, len, buf, sizeof buf)) return PTIME_BAD;
  /* The wall clock read as if it were UTC: fields checked, fraction rounded. */
  PTimeStatus st = ptime_parse_status(buf, strlen(buf), &wall_us);
  if (st != PTIME_OK) return st;
  int64_t wall_secs = wall_us / USEC_PER_SEC - (wall_us % USEC_PER_SEC < 0);
  int64_t frac = wall_us - wall_secs * USEC_PER_SEC;
  /* The zone's offset at that wall time: GLib finds the interval whose
   * local time it is (the daylight one when two are). A time in a gap
   * GLib moves to the gap's end; it is read with the offset in force
   * before the gap instead, which moves it forward by the gap's length
   * (02:30 on a night that skips 02:00-03:00 is 03:30). */
  gint64 local = wall_secs;
  gint interval = g_time_zone_adjust_time(tz, G_TIME_TYPE_DAYLIGHT, &local);
  if (interval < 0) return PTIME_BAD;
  gint32 offset = g_time_zone_get_offset(tz, interval);
  if (local != wall_secs && interval > 0) offset = g_time_zone_get_offset(tz, interval - 1);
  int64_t utc_secs = wall_secs - offset;
  int64_t us = utc_secs * USEC_PER_SEC + frac;
  if (us < INT64_C(-62135596800) * USEC_PER_SEC || us >= INT64_C(253402300800) * USEC_PER_SEC)
    return PTIME_OUT_OF_RANGE;
  *out_us = us;
  return PTIME_OK;
}
