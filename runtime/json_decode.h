/* json_decode.h - schema-directed decoding of one JSON profile record.
 *
 * The decoder reads one JSON text (one line of JSON Lines) and fills the
 * profile's fields as PValues, guided by a PDecodePlan built from the
 * model's schema. It is the hot path of `persona eval`, so:
 *  - fields the plan does not name, and fields the model never reads
 *    (`used == false`), are skipped without being decoded (strings are only
 *    scanned for their closing quote, numbers for their end);
 *  - strings without escapes point into the input buffer (no copy);
 *  - records in a list whose record type has an `at: time` field are
 *    dropped when `at > now` (as-of semantics: such events are invisible to
 *    every expression, so they are never materialised).
 *
 * Plain records go through a fast path (json_fast.c) that gives the same
 * values or declines; see json_decode_impl.h.
 *
 * The whole text is still validated: malformed JSON anywhere, invalid
 * UTF-8 anywhere, nesting deeper than PDEC_MAX_DEPTH, each gives an error.
 * (Skipped strings are checked for grammar and UTF-8; a lone \uD800-style
 * surrogate escape is an error only in a string that is decoded.)
 *
 * Decisions worth knowing:
 *  - Duplicate keys: the last one wins (a later null also replaces an
 *    earlier value, giving the default).
 *  - Unused fields (`used == false`) are not checked at all, not even for
 *    presence: their value is the default, else PV_NULL, even when the
 *    field is required. The key field and a record's `at` field (for the
 *    as-of filter) are always decoded and checked.
 *  - int accepts any JSON number with an integral value that fits int64
 *    (5, 5.0, 1e3); number is correctly rounded; time accepts text
 *    (ptime_parse) or Unix seconds; duration accepts text
 *    (pduration_parse) or seconds; list elements may not be null.
 *  - Events after `now` are dropped after they are decoded, so an invalid
 *    future event is still an error.
 *  - Error texts: "<path>: <problem>" for values ("events[3].at: expected
 *    a time (RFC 3339 text, a date, or Unix seconds), got \"yesterday\"",
 *    "missing required field 'id'", "id: required field is null"), with
 *    the offending value quoted as it appears in the input, cut to 40
 *    bytes, or only its JSON type for pii fields; "malformed JSON at byte
 *    N: expected ',' or '}'" and "invalid UTF-8 at byte N" (N counts from
 *    1) for the text itself; "empty record"; "expected a JSON object, got
 *    an array".
 *  - After a value error in the profile the rest of the object is still
 *    scanned, to fill `key` and to validate the text: a later malformed
 *    JSON or UTF-8 error replaces the value error.
 *
 * Ownership: plans are built and owned by the model (compiler); decoded
 * values point into `json` (which must outlive them) and into `arena`.
 */
#ifndef PERSONA_JSON_DECODE_H
#define PERSONA_JSON_DECODE_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "value.h"

#define PDEC_MAX_DEPTH 128          /* nesting of arrays/objects in one record */
#define PDEC_MAX_STRING (16u << 20) /* bytes in one decoded string */
#define PDEC_MAX_LIST 1000000u      /* elements in one decoded list */

typedef enum {
  PDT_BOOL, PDT_INT, PDT_NUMBER, PDT_STRING, PDT_TIME, PDT_DURATION,
  PDT_LIST, PDT_RECORD,
  PDT_TIME_MS, /* a time (`at: time ms`) whose numbers are epoch milliseconds; text as PDT_TIME */
} PDecodeKind;

struct PDecodePlan;

typedef struct PDecodeType {
  PDecodeKind kind;
  const struct PDecodeType *elem;     /* PDT_LIST: element type (never optional) */
  const struct PDecodePlan *record;   /* PDT_RECORD */
} PDecodeType;

typedef struct PDecodeField {
  const char *name;       /* JSON key, UTF-8 */
  uint32_t name_len;
  PDecodeType type;
  bool optional;          /* T?: absent or null -> PV_NULL */
  bool has_default;       /* absent or null -> default_value */
  PValue default_value;   /* owned by the model (constant pool) */
  bool pii;               /* never quote this field's value in an error */
  bool used;              /* false: skip without decoding; value = default or null */
} PDecodeField;

/* A field that is neither optional nor has a default is required: absent
 * or null is an error ("missing required field 'id'", "id: required field is null"). */

typedef struct PDecodePlan {
  const char *name;       /* "profile" for the schema, else the record name */
  uint32_t n_fields;
  PDecodeField *fields;   /* in declaration order = index in the record */
  int key_field;          /* schema only: the `key` field, else -1 */
  int at_field;           /* index of field `at` of type time, else -1 */
  void *lookup;           /* private: filled by pdec_plan_prepare() */
} PDecodePlan;

/* Builds the key lookup of a plan (and of the record plans it refers to).
 * Call once after filling the fields; pdec_plan_release() frees it. */
void pdec_plan_prepare(PDecodePlan *plan);
void pdec_plan_release(PDecodePlan *plan);

typedef struct PDecodeResult {
  PValue *fields;        /* plan->n_fields values, in the arena (meaningless
                            when pdec_decode() returns false) */
  PValue key;            /* the key field if it could be read (even when
                            decoding failed elsewhere), else PV_NULL */
  char error[320];       /* set when pdec_decode() returns false */
  /* With `error`: its stable code (docs/embedding.md, "Error codes"): a
   * static string, "bad_json", "bad_utf8", "type_mismatch",
   * "missing_field", "out_of_range" or "too_large"; and the path of the
   * field it is about ("events[3].at"), empty when none. */
  const char *error_code;
  char error_field[192];
  /* The earliest `at` of an event left out because it is after now (it
   * becomes visible then: next_change), INT64_MAX when none. */
  int64_t next_visible;
  /* The same for events read from a pii field (or with a pii `at`): the
   * VM rounds it so that the result does not reveal it. */
  int64_t next_visible_pii;
} PDecodeResult;

/* Decodes one record. `now_us` drives the as-of filter. Returns false with
 * a message naming the field path ("events[3].at: expected a time …") and
 * never a pii value. */
bool pdec_decode(const PDecodePlan *plan, const char *json, size_t len,
                 int64_t now_us, PArena *arena, PDecodeResult *out);
/* The same, reading a time without an offset ("2026-01-31 10:00:00",
 * "2026/01/31 10:00") as a wall clock time in `input_tz` (borrowed; NULL:
 * such a time is an error, as in pdec_decode). */
bool pdec_decode_tz(const PDecodePlan *plan, const char *json, size_t len, int64_t now_us,
                    GTimeZone *input_tz, PArena *arena, PDecodeResult *out);
/* The same, also telling per field of the record's plan which first
 * future event it held (next_visible of that field, at any depth; pii or
 * not): nv_field and nv_field_pii are plan->n_fields long, filled with
 * INT64_MAX by the caller. For a decoding shared by models that read
 * different fields (persona_vm_eval_record). */
bool pdec_decode_tz_by_field(const PDecodePlan *plan, const char *json, size_t len, int64_t now_us,
                             GTimeZone *input_tz, PArena *arena, PDecodeResult *out, int64_t *nv_field,
                             int64_t *nv_field_pii);

/* ---- plans for sharing one decoding ---------------------------------------
 *
 * Two models whose schemas read a profile the same way can share one
 * decoding of it (persona_vm_eval_record). Each model keeps, beside its
 * plans, a copy that reads every field (`used` true throughout): what one
 * decodes with it, any model with the same schema can use, whichever of
 * the fields each reads. (A record whose complete decoding fails, say in a
 * field one model never reads, is decoded again by each model's own plan,
 * which alone words errors.) */

/* A copy of the n plans `plans` in which every field is used, prepared;
 * list element types go into `arena` (which must outlive the copy). NULL
 * when the arena is out of memory. Free with pdec_plans_free(). */
PDecodePlan *pdec_plans_reading_all(const PDecodePlan *plans, uint32_t n, PArena *arena);
void pdec_plans_free(PDecodePlan *plans, uint32_t n);
/* True when the two sets of plans (each with the index of its profile
 * plan) decode every text to the same values or fail alike: the same
 * record types in the same order, with the same fields, types, defaults
 * and flags. */
bool pdec_plans_same_reading(const PDecodePlan *a, uint32_t na, uint32_t root_a, const PDecodePlan *b,
                             uint32_t nb, uint32_t root_b);

/* ---- generic access, for JSON that has no schema (state files) ---------- */

/* Where the value of one top-level key sits in an object's text. */
typedef struct PDecodeSpan {
  size_t offset; /* byte offset of the value's first byte in the text */
  size_t len;    /* length of the value's text; 0 when the key is absent */
  bool found;
} PDecodeSpan;

/* Validates `json` as one JSON object, like pdec_decode() does (the whole
 * text, UTF-8, depth), and fills spans_out[i] with the raw text of the
 * value of keys[i] (NUL-terminated UTF-8) among the object's top-level
 * keys. Keys are compared after unescaping ("\u0069d" is "id"); when a key
 * occurs more than once the last one wins, as in pdec_decode(). Returns
 * false with the decoder's message in `error` ("malformed JSON at byte N:
 * …", "invalid UTF-8 at byte N", "expected a JSON object, got an array",
 * "empty text"). */
bool pdec_object_spans(const char *json, size_t len, const char *const *keys, size_t n_keys,
                       PDecodeSpan *spans_out, char *error, size_t error_size);

/* Validates `json` as pdec_object_spans() does and calls on_key with each
 * top-level key, unescaped (not NUL-terminated; valid only during the
 * call), in the order written, duplicates included. */
typedef void (*PDecodeKeyFn)(void *user, const char *key, size_t len);
bool pdec_object_keys(const char *json, size_t len, PDecodeKeyFn on_key, void *user, char *error,
                      size_t error_size);

/* Appends to `out` the JSON object `json` reduced to what decoding it
 * with `plan` reads: the plan's used fields (and the key and `at`), in
 * the order written, repeated keys included, records and lists of
 * records reduced the same way by their own plans, every other value byte
 * for byte. Decoding the result gives the same values. False (out
 * unchanged) with the decoder's message when `json` is not one
 * well-formed JSON object. */
bool pdec_reduce(const PDecodePlan *plan, const char *json, size_t len, GString *out, char *error,
                 size_t error_size);

/* Decodes one whole JSON text that is a single scalar of `kind` (PDT_BOOL,
 * PDT_INT, PDT_NUMBER, PDT_STRING, PDT_TIME or PDT_DURATION) with the same
 * rules as a field of that type: "\u00e9" decodes, 5.0 is the int 5.
 * Strings with escapes are decoded into `arena`, others point into
 * `json`. Returns false with a message ("expected an integer, got 4.5",
 * "integer out of range: 1e30", "malformed JSON at byte N: …") in `error`. */
bool pdec_scalar(const char *json, size_t len, PDecodeKind kind, PArena *arena, PValue *out,
                 char *error, size_t error_size);

/* Validates UTF-8 (no overlongs, no surrogates, <= U+10FFFF). Returns the
 * byte offset of the first bad sequence, or len when all is valid. */
size_t pdec_utf8_check(const char *s, size_t len);

#endif
