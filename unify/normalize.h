/* normalize.h - identifier normalisers of `persona unify` (docs/unify.md):
 * phone numbers to E.164 for a default region, e-mail addresses trimmed
 * and lower-cased, plain strings trimmed.
 *
 * Ownership: the normalised text is appended to the caller's GString.
 */
#ifndef PERSONA_UNIFY_NORMALIZE_H
#define PERSONA_UNIFY_NORMALIZE_H

#include <glib.h>

#include "persona.h"

typedef enum {
  PU_NORM_OK,
  PU_NORM_EMPTY,     /* nothing left after trimming */
  PU_NORM_MALFORMED, /* not a phone number / e-mail address */
} PuNormStatus;

/* Normalises `len` bytes of UTF-8 text as identifier kind `key`. On
 * PU_NORM_OK the value is appended to `out`; otherwise `out` is left as it
 * was. */
PuNormStatus pu_normalize(const PersonaIdentityKey *key, const char *text, gsize len, GString *out);

#endif
