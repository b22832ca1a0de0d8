/* value.h - the runtime value: 16 bytes, tagged, never owning.
 *
 * Types are checked at compile time, so the VM's opcodes are typed and the
 * tag is needed only to tell null from a value (and by generic helpers such
 * as the result writer and the test runner). Strings, lists and records
 * point into memory owned elsewhere: the input line being evaluated, the
 * per-record arena, or the model's constant pool. A value therefore never
 * outlives the evaluation that made it, except constants.
 *
 * Ownership: a PValue owns nothing; pvalue_deep_copy copies into an arena
 * the caller owns (value.c).
 */
#ifndef PERSONA_VALUE_H
#define PERSONA_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"

typedef enum {
  PV_NULL = 0,
  PV_BOOL,
  PV_INT,      /* u.i */
  PV_NUMBER,   /* u.n */
  PV_STRING,   /* u.s, len bytes of valid UTF-8 (not NUL-terminated) */
  PV_TIME,     /* u.i: microseconds since 1970-01-01T00:00:00Z */
  PV_DURATION, /* u.i: microseconds */
  PV_LIST,     /* u.items, len elements */
  PV_RECORD,   /* u.items, one per field of the record type (count is static) */
} PValueKind;

typedef struct PValue {
  union {
    int64_t i;
    double n;
    bool b;
    const char *s;
    const struct PValue *items;
  } u;
  uint32_t len;
  uint8_t kind;
} PValue;

#define PV_USEC_PER_SEC INT64_C(1000000)

static inline PValue pv_null(void) { PValue v = {0}; return v; }
static inline PValue pv_bool(bool b) { PValue v = {0}; v.kind = PV_BOOL; v.u.b = b; return v; }
static inline PValue pv_int(int64_t i) { PValue v = {0}; v.kind = PV_INT; v.u.i = i; return v; }
static inline PValue pv_number(double n) { PValue v = {0}; v.kind = PV_NUMBER; v.u.n = n; return v; }
static inline PValue pv_time(int64_t us) { PValue v = {0}; v.kind = PV_TIME; v.u.i = us; return v; }
static inline PValue pv_duration(int64_t us) { PValue v = {0}; v.kind = PV_DURATION; v.u.i = us; return v; }
static inline PValue pv_string(const char *s, uint32_t len) {
  PValue v = {0}; v.kind = PV_STRING; v.u.s = s; v.len = len; return v;
}
static inline PValue pv_list(const PValue *items, uint32_t len) {
  PValue v = {0}; v.kind = PV_LIST; v.u.items = items; v.len = len; return v;
}
static inline PValue pv_record(const PValue *fields, uint32_t n) {
  PValue v = {0}; v.kind = PV_RECORD; v.u.items = fields; v.len = n; return v;
}
static inline bool pv_is_null(PValue v) { return v.kind == PV_NULL; }

/* 8 and 4 bytes at p, unaligned, in machine order. */
static inline uint64_t pv_load8(const void *p) {
  uint64_t w;
  memcpy(&w, p, 8);
  return w;
}
static inline uint32_t pv_load4(const void *p) {
  uint32_t w;
  memcpy(&w, p, 4);
  return w;
}

/* The bytes of two strings of length n are equal. Most compared strings
 * (event types, codes) are short: two overlapping loads from each end
 * instead of a call to memcmp. */
static inline bool pv_bytes_equal(const char *a, const char *b, uint32_t n) {
  if (n >= 8 && n <= 16) return pv_load8(a) == pv_load8(b) && pv_load8(a + n - 8) == pv_load8(b + n - 8);
  if (n >= 4 && n < 8) return pv_load4(a) == pv_load4(b) && pv_load4(a + n - 4) == pv_load4(b + n - 4);
  return n == 0 || memcmp(a, b, n) == 0;
}

/* ---- value.c ---------------------------------------------------------------- */

/* Equality as `==` means it: null equals only null, an int equals the
 * same number, lists and records element by element. */
bool pvalue_equal(PValue a, PValue b);
/* Hash of a scalar value, consistent with pvalue_equal for same-kind
 * values (and for an int and the equal number). */
uint64_t pvalue_hash(PValue v);
/* Copies a value and everything it points to into `arena`, into *out.
 * False when the arena cannot give the memory (its limit, or the system's
 * memory is exhausted): *out is then null and what was copied stays in the
 * arena until it is freed. */
bool pvalue_deep_copy(PArena *arena, PValue v, PValue *out);

#endif
