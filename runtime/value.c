/* value.c - what is done with values wherever they are: equality,
 * hashing and deep copies; see value.h. */
#include "value.h"

#include <math.h>

/* Lists nest only as deep as an expression does (the parser bounds that);
 * a hostile bytecode file could nest them in a loop, so the recursion is
 * bounded too: deeper values compare unequal instead of overflowing the
 * stack. */
#define PVALUE_MAX_DEPTH 1000

static bool value_equal(PValue a, PValue b, int depth) {
  if (a.kind == PV_NULL || b.kind == PV_NULL) return a.kind == b.kind;
  if (a.kind == PV_INT && b.kind == PV_NUMBER) return (double)a.u.i == b.u.n;
  if (a.kind == PV_NUMBER && b.kind == PV_INT) return a.u.n == (double)b.u.i;
  if (a.kind != b.kind) return false;
  switch (a.kind) {
  case PV_BOOL: return a.u.b == b.u.b;
  case PV_NUMBER: return a.u.n == b.u.n;
  case PV_STRING: return a.len == b.len && pv_bytes_equal(a.u.s, b.u.s, a.len);
  case PV_LIST:
  case PV_RECORD:
    if (a.len != b.len || depth >= PVALUE_MAX_DEPTH) return false;
    for (uint32_t i = 0; i < a.len; i++)
      if (!value_equal(a.u.items[i], b.u.items[i], depth + 1)) return false;
    return true;
  default: return a.u.i == b.u.i;
  }
}

bool pvalue_equal(PValue a, PValue b) { return value_equal(a, b, 0); }

static uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= UINT64_C(0xff51afd7ed558ccd);
  x ^= x >> 33;
  x *= UINT64_C(0xc4ceb9fe1a85ec53);
  x ^= x >> 33;
  return x;
}

uint64_t pvalue_hash(PValue v) {
  switch (v.kind) {
  case PV_STRING: {
    /* FNV-1a: the keys are short (regions, titles, event types). */
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (uint32_t i = 0; i < v.len; i++) {
      h ^= (unsigned char)v.u.s[i];
      h *= UINT64_C(0x100000001b3);
    }
    return mix64(h);
  }
  case PV_NUMBER: {
    double d = v.u.n == 0 ? 0.0 : v.u.n; /* -0 and 0 are equal */
    if (d == floor(d) && fabs(d) < 9.2e18) return mix64((uint64_t)(int64_t)d);
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return mix64(bits);
  }
  case PV_BOOL: return mix64(v.u.b ? 1 : 0);
  /* Not the address: equal lists (records) must hash alike, and the
   * address would make a distinct count depend on where memory lies. */
  case PV_LIST: case PV_RECORD: return mix64(v.len);
  default: return mix64((uint64_t)v.u.i);
  }
}

bool pvalue_deep_copy(PArena *arena, PValue v, PValue *out) {
  *out = pv_null();
  switch (v.kind) {
  case PV_STRING: {
    char *s = pa_strndup(arena, v.u.s ? v.u.s : "", v.len);
    if (!s) return false;
    *out = pv_string(s, v.len);
    return true;
  }
  case PV_LIST:
  case PV_RECORD: {
    PValue *items = pa_alloc(arena, sizeof(PValue) * (v.len ? v.len : 1));
    if (!items) return false;
    for (uint32_t i = 0; i < v.len; i++)
      if (!pvalue_deep_copy(arena, v.u.items[i], &items[i])) return false;
    *out = v;
    out->u.items = items;
    return true;
  }
  default: *out = v; return true;
  }
}
