/* ptime_zone.h - local times without an offset, read in an input time zone
 * (IANA rules through GLib's GTimeZone).
 *
 * CRM exports write "2026-01-31 10:00:00" or "2026/01/31 10:00": a wall
 * clock time with no offset. Given the zone the data was written in, such
 * a time names an instant, found here. Only times without an offset come
 * here: the decoder tries ptime_parse() first, so RFC 3339 times with `Z`
 * or an offset never pay for a zone lookup.
 *
 * Ownership: the zone is borrowed; results are plain int64 values.
 */
#ifndef PERSONA_PTIME_ZONE_H
#define PERSONA_PTIME_ZONE_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ptime.h"

/* Reads "YYYY-MM-DD HH:MM[:SS[.fraction]]" ('T' or 't' or a space between
 * date and time) or the same with '/' in the date ("2026/01/31 10:00") as
 * a wall clock time in `tz`, to microseconds since the epoch (UTC).
 * Fields are checked as ptime_parse() checks them (leap second, fraction
 * rounding included). A time that occurs twice (the hour repeated when
 * daylight saving time ends) is the first of the two, in daylight time; a
 * time that does not occur (the hour skipped when it starts) is moved
 * forward by the length of the gap. PTIME_BAD for any other text,
 * PTIME_OUT_OF_RANGE when the instant falls outside the years 0001..9999
 * in UTC. */
PTimeStatus ptime_parse_local(const char *s, size_t len, GTimeZone *tz, int64_t *out_us);

/* The zone of an IANA identifier ("Asia/Shanghai", "UTC"), or NULL when
 * the system does not know it. Caller unrefs. */
GTimeZone *ptime_zone_new(const char *identifier);

#endif
