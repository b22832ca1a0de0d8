/* json_decode_impl.h - what the general decoder (json_decode.c) and its
 * fast path (json_fast.c) share. Internal to the runtime; tests include it
 * to compare the two.
 *
 * Ownership: a plan's lookup is allocated by pdec_plan_prepare() and freed
 * by pdec_plan_release(); nothing here allocates.
 */
#ifndef PERSONA_JSON_DECODE_IMPL_H
#define PERSONA_JSON_DECODE_IMPL_H

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "json_decode.h"

/* A field's key as compact JSON writes it, `"name":`, in two words and
 * masks, to be compared with the next 16 bytes of text in two steps. At
 * most 15 bytes, so that a byte of the text follows a match. */
typedef struct {
  uint64_t word[2], mask[2];
  uint32_t len; /* 0: never matches (the name is too long or needs escaping) */
} PdecKeyPattern;

/* What the fast path does with the value of a key: by field, and one
 * more entry (index n_fields) for a key that is no field. */
typedef enum {
  PDEC_ACT_SKIP,   /* not decoded: validated and passed over */
  PDEC_ACT_STRING, /* decoded, inline */
  PDEC_ACT_TIME,   /* decoded, inline */
  PDEC_ACT_VALUE,  /* decoded by read_value */
} PdecAction;

/* A plan's key lookup (open addressing, linear probing, at most half
 * full) and what the fast path needs per field. */
typedef struct {
  uint32_t mask;
  bool plain_names;        /* no name needs escaping in JSON */
  bool flat;               /* <= 64 fields, and none decoded is a list or a record */
  uint64_t wanted;         /* bit f: field f is decoded (used, key or `at`); plans of <= 64 fields */
  uint64_t required;       /* bit f: decoded, and absent or null is an error */
  uint64_t all;            /* bit f for every field (plans of <= 64 fields) */
  uint32_t max_name_len;   /* a longer key is no field: no need to hash it */
  PdecKeyPattern *patterns; /* per field, then one that never matches */
  uint8_t *actions;        /* per field, then PDEC_ACT_SKIP for other keys */
  PValue *absent;          /* per field: its value when absent or null (default or null) */
  int32_t slots[];         /* field index, or -1 */
} PdecLookup;

/* Whether the 16 bytes at p (all readable) begin with the pattern. */
static inline bool pdec_key_pattern_at(const PdecKeyPattern *kp, const char *p) {
  return (((pv_load8(p) & kp->mask[0]) ^ kp->word[0]) |
          ((pv_load8(p + 8) & kp->mask[1]) ^ kp->word[1])) == 0;
}

#if defined(__SSE2__)
/* Bit k set when byte k of the 16 at p (all readable) ends a plain string
 * run: '"', '\\', a control character or a non-ASCII byte. SSE2 is part of
 * x86-64. */
static inline unsigned pdec_string_stops16(const unsigned char *p) {
  __m128i v = _mm_loadu_si128((const __m128i *)p);
  __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                          _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                             _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x1F)), _mm_set1_epi8(0x1F)));
  return (unsigned)_mm_movemask_epi8(_mm_or_si128(hit, v)); /* v: its sign bits are the non-ASCII bytes */
}
#endif

/* pdec_plain_run_end() on machines without SSE2: 8 bytes at a time
 * (SWAR), then one by one. */
const unsigned char *pdec_plain_run_swar(const unsigned char *p, const unsigned char *end);

/* The first byte at or after p that ends a plain run of string bytes
 * ('"', '\\', a control character or a non-ASCII byte), or end. With
 * SSE2, 16 bytes at a time and the last few one by one: no call, so the
 * decoders' loops that inline it keep their registers. */
static inline const unsigned char *pdec_plain_run_end(const unsigned char *p,
                                                       const unsigned char *end) {
#if defined(__SSE2__)
  while (end - p >= 16) {
    unsigned mask = pdec_string_stops16(p);
    if (mask) return p + __builtin_ctz(mask);
    p += 16;
  }
  while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') p++;
  return p;
#else
  return pdec_plain_run_swar(p, end);
#endif
}

/* Deep equality, numbers bit for bit (-0.0 is not 0.0): how the tests and
 * the fuzzer compare the fast path with the general decoder. */
static inline bool pdec_same_value(PValue a, PValue b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
  case PV_NULL: return true;
  case PV_BOOL: return a.u.b == b.u.b;
  case PV_NUMBER: return memcmp(&a.u.n, &b.u.n, sizeof a.u.n) == 0;
  case PV_STRING: return a.len == b.len && memcmp(a.u.s, b.u.s, a.len) == 0;
  case PV_LIST:
  case PV_RECORD:
    if (a.len != b.len) return false;
    for (uint32_t i = 0; i < a.len; i++)
      if (!pdec_same_value(a.u.items[i], b.u.items[i])) return false;
    return true;
  default: return a.u.i == b.u.i;
  }
}

/* Length of the valid multi-byte UTF-8 sequence at p (*p >= 0x80), or 0. */
static inline size_t pdec_utf8_seq(const unsigned char *p, const unsigned char *end) {
  unsigned c = p[0];
  size_t avail = (size_t)(end - p);
  if (c < 0xC2) return 0; /* stray continuation byte, or overlong 2-byte */
  if (c < 0xE0) return avail >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
  if (c < 0xF0) {
    if (avail < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 0;
    if (c == 0xE0 && p[1] < 0xA0) return 0;  /* overlong */
    if (c == 0xED && p[1] >= 0xA0) return 0; /* UTF-16 surrogates */
    return 3;
  }
  if (c < 0xF5) {
    if (avail < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
      return 0;
    if (c == 0xF0 && p[1] < 0x90) return 0;  /* overlong */
    if (c == 0xF4 && p[1] >= 0x90) return 0; /* above U+10FFFF */
    return 4;
  }
  return 0;
}

/* Index of the field named s[0..len) (raw bytes, no escapes), or -1.
 * `hint` is the field expected next; it moves past the field found. */
int pdec_find_field(const PDecodePlan *plan, const char *s, size_t len, uint32_t *hint);

/* Skips one JSON value at p, validating it as the general decoder does
 * with `depth` containers already open. Returns the byte after it, or NULL
 * when it is not valid JSON (the general decoder then says why). */
const char *pdec_skip_json(const char *p, const char *end, int depth);

/* The fast path: decodes a record that is well-formed and needs nothing
 * unusual, and returns true with exactly the values (and key) the general
 * decoder gives. Returns false ("not for me") otherwise, having written
 * nothing the caller keeps but arena memory: pdec_decode() rewinds the
 * arena and runs the general decoder, which alone reports errors. */
bool pdec_decode_fast(const PDecodePlan *plan, const char *json, size_t len, int64_t now_us,
                      PArena *arena, PDecodeResult *out);
/* The same, with the per-field next_visible of pdec_decode_tz_by_field
 * (both NULL: none). */
bool pdec_decode_fast_nv(const PDecodePlan *plan, const char *json, size_t len, int64_t now_us,
                         PArena *arena, PDecodeResult *out, int64_t *nv_field, int64_t *nv_field_pii);

/* The general decoder alone (what pdec_decode() falls back to). */
bool pdec_decode_general(const PDecodePlan *plan, const char *json, size_t len, int64_t now_us,
                         PArena *arena, PDecodeResult *out);
bool pdec_decode_general_tz(const PDecodePlan *plan, const char *json, size_t len, int64_t now_us,
                            GTimeZone *input_tz, PArena *arena, PDecodeResult *out);
bool pdec_decode_general_nv(const PDecodePlan *plan, const char *json, size_t len, int64_t now_us,
                            GTimeZone *input_tz, PArena *arena, PDecodeResult *out, int64_t *nv_field,
                            int64_t *nv_field_pii);

#endif
