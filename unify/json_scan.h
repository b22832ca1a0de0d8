/* json_scan.h - the little JSON reading `persona unify` needs: the
 * top-level members of one object per line, each value as a span of the
 * line (not decoded), and string decoding on demand. The unify component
 * sees the library only through include/persona.h, which has no JSON
 * reader; this one validates what it skips (strings, nesting, literals) so
 * a malformed line is reported, never half-read.
 *
 * Ownership: spans point into the caller's text; decoded strings are
 * appended to the caller's GString.
 */
#ifndef PERSONA_UNIFY_JSON_SCAN_H
#define PERSONA_UNIFY_JSON_SCAN_H

#include <glib.h>
#include <string.h>

typedef enum { PU_JSTRING, PU_JNUMBER, PU_JTRUE, PU_JFALSE, PU_JNULL, PU_JOBJECT, PU_JARRAY } PuJsonType;

typedef struct PuMember {
  const char *key;   /* raw key text between the quotes (escapes not decoded) */
  gsize key_len;
  const char *val;   /* the value's text: a string with its quotes */
  gsize val_len;
  PuJsonType type;
} PuMember;

/* g_string_append_len without the call when there is room (GLib before
 * 2.76 does not inline it, and unify appends millions of short pieces). */
static inline void pu_append(GString *out, const char *p, gsize n) {
  if (G_UNLIKELY(out->len + n + 1 > out->allocated_len)) {
    g_string_append_len(out, p, (gssize)n);
    return;
  }
  memcpy(out->str + out->len, p, n);
  out->len += n;
  out->str[out->len] = '\0';
}

/* Reads the object in `s` (`len` bytes, surrounding blanks allowed) into
 * `members` (a GArray of PuMember, cleared first). FALSE with a static
 * message in *why and the byte offset in *at when the text is not one
 * JSON object. Nesting deeper than 64 levels is refused. */
gboolean pu_json_object(const char *s, gsize len, GArray *members, const char **why, gsize *at);

/* The member called `key`, or NULL. */
const PuMember *pu_json_get(const GArray *members, const char *key);

/* Appends the decoded text of a string value (with its quotes) to `out`;
 * FALSE for an escape that is not valid or text that is not UTF-8. */
gboolean pu_json_decode_string(const char *val, gsize len, GString *out);

#endif
