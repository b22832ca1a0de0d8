/* json_write.h - building compact JSON output into a GString.
 *
 * Output is deterministic: callers emit keys in a fixed order, numbers via
 * numfmt.h, times via ptime.h. Strings must be valid UTF-8 (every string in
 * the VM is); they are written as-is except for the characters JSON
 * requires to be escaped (" \\ and U+0000..U+001F, as \n \t \r \b \f or
 * \u00XX) and U+2028/U+2029 (escaped so the output is also valid
 * JavaScript).
 *
 * Ownership: every function appends to a GString the caller owns; inputs
 * are borrowed for the call.
 */
#ifndef PERSONA_JSON_WRITE_H
#define PERSONA_JSON_WRITE_H

#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "value.h"

/* Appends n raw bytes. Inline: GLib's g_string_append_len is a call of
 * some 60 instructions, and the writer appends a few bytes at a time. */
static inline void pjw_raw(GString *out, const char *s, size_t n) {
  if (G_LIKELY(out->allocated_len - out->len > n)) { /* room for the NUL too */
    memcpy(out->str + out->len, s, n);
    out->len += n;
    out->str[out->len] = '\0';
  } else {
    g_string_append_len(out, s, (gssize)n);
  }
}

static inline void pjw_byte(GString *out, char c) { pjw_raw(out, &c, 1); }

/* A string literal, its length known at compile time. */
#define pjw_lit(out, lit) pjw_raw((out), "" lit, sizeof(lit) - 1)

void pjw_string(GString *out, const char *s, size_t len);
void pjw_cstring(GString *out, const char *s);
void pjw_double(GString *out, double d);
void pjw_int(GString *out, int64_t i);
void pjw_time(GString *out, int64_t us);      /* as a JSON string */
void pjw_duration(GString *out, int64_t us);  /* as a JSON string "7d" */

/* Generic value writer, for results, test messages and debugging. Records
 * need their field names: `field_names` gives them for the record type of
 * `v` (NULL prints records as lists). Lists of records are written with
 * the same names. */
void pjw_value(GString *out, PValue v, const char *const *field_names);

#endif
