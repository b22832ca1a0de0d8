/* json_fast.c - the decoder's fast path; see json_decode_impl.h.
 *
 * Almost every record of a real input is well-formed and plain: keys in
 * declaration order, strings without escapes, integers, short decimals,
 * `YYYY-MM-DDTHH:MM:SSZ` times. This decoder handles exactly such records,
 * in one pass with the cursor in a local variable (the general decoder
 * keeps it in its state struct, and pays a load and a store per token for
 * its error paths, paths and recovery).
 *
 * It never reports anything. The moment it meets what it does not handle
 * - an escape, an exponent, a wrong type, a missing required field, bad
 * UTF-8, any syntax error - it returns NULL up the chain and pdec_decode()
 * decodes the record again with the general decoder, the reference for
 * every value and every message. So for each input the two either agree
 * or the fast path declines; tests/unit/test_json_decode.c (both decoders
 * on every case, compared) and the fuzzer
 * (fuzz_decode) hold it to that.
 *
 * Whitespace between tokens is allowed (Python's json.dumps writes `, `
 * and `: `); it costs one compare where there is none.
 */
#include <glib.h>

#include "json_decode_impl.h"
#include "ptime.h"

typedef struct {
  const char *end;
  PArena *arena;
  int64_t now_us;
  int64_t next_visible; /* the earliest `at` left out as in the future */
  int64_t next_visible_pii; /* … of events inside a pii field */
  bool in_pii;          /* reading a pii field's value */
  int top_field;        /* the record's field being read, or -1 */
  int64_t *nv_field, *nv_field_pii; /* PDecodeResult's, or NULL */
  PValue *stack; /* list elements being collected (arena) */
  uint32_t top, cap;
  int depth;     /* open arrays/objects, as the general decoder counts them */
} Fast;

static inline bool is_digit(char c) { return (unsigned)(c - '0') <= 9; }

/* Out of line: compact JSON never comes here, and inlined, its test of
 * four bytes costs a constant load at every token. */
static __attribute__((noinline)) const char *skip_ws_slow(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')) p++;
  return p;
}

/* Every byte above ' ' is not whitespace: one compare in compact JSON. */
static inline const char *skip_ws(const char *p, const char *end) {
  if (G_LIKELY(p < end && (unsigned char)*p > ' ')) return p;
  return skip_ws_slow(p, end);
}

/* After a member or an element: ',' (*more) or the closing bracket,
 * consumed; NULL for anything else. The separator usually comes at once. */
static inline const char *after_item(const char *p, const char *end, char close, bool *more) {
  if (G_UNLIKELY(p >= end || (unsigned char)*p <= ' ')) {
    p = skip_ws_slow(p, end);
    if (p >= end) return NULL;
  }
  *more = *p == ',';
  return *p == ',' || *p == close ? p + 1 : NULL;
}

/* The closing quote of the string whose opening quote is at p, or NULL
 * when the string has an escape or a control character, is not valid
 * UTF-8 or does not end. */
static inline const char *string_end(const char *p, const char *end) {
  const unsigned char *q = (const unsigned char *)p + 1, *e = (const unsigned char *)end;
  for (;;) {
    q = pdec_plain_run_end(q, e);
    if (q >= e) return NULL;
    if (*q == '"') return (const char *)q;
    if (*q < 0x80) return NULL; /* backslash or control character */
    size_t n = pdec_utf8_seq(q, e);
    if (n == 0) return NULL;
    q += n;
  }
}

/* The end of a JSON number at p, or NULL when p holds none. */
static const char *number_end(const char *p, const char *end) {
  if (p < end && *p == '-') p++;
  if (p >= end || !is_digit(*p)) return NULL;
  if (*p == '0') {
    p++;
  } else {
    while (p < end && is_digit(*p)) p++;
  }
  if (p < end && *p == '.') {
    if (++p >= end || !is_digit(*p)) return NULL;
    while (p < end && is_digit(*p)) p++;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    p++;
    if (p < end && (*p == '+' || *p == '-')) p++;
    if (p >= end || !is_digit(*p)) return NULL;
    while (p < end && is_digit(*p)) p++;
  }
  return p;
}

static const char *literal(const char *p, const char *end, const char *word, size_t n) {
  return (size_t)(end - p) >= n && memcmp(p, word, n) == 0 ? p + n : NULL;
}

/* A value nobody reads, validated. Containers and strings with escapes go
 * to the general skipper (which validates them the same way). */
static const char *skip_unread(const Fast *f, const char *p) {
  const char *end = f->end;
  switch (*p) {
  case '"': {
    const char *q = string_end(p, end);
    return q ? q + 1 : pdec_skip_json(p, end, f->depth);
  }
  case 't': return literal(p, end, "true", 4);
  case 'f': return literal(p, end, "false", 5);
  case 'n': return literal(p, end, "null", 4);
  case '{':
  case '[': return pdec_skip_json(p, end, f->depth);
  default: return number_end(p, end);
  }
}

/* A string without escapes: it points into the text. */
static inline const char *read_string(const char *p, const char *end, PValue *out) {
  if (*p != '"') return NULL;
  const char *q = string_end(p, end);
  if (!q || (size_t)(q - p - 1) > PDEC_MAX_STRING) return NULL;
  *out = pv_string(p + 1, (uint32_t)(q - p - 1));
  return q + 1;
}

/* -?(0|[1-9][0-9]{0,17}) not followed by a fraction or exponent: exact in
 * int64. Anything else (5.0, 1e3, 19 digits) is the general decoder's. */
static const char *read_int(const char *p, const char *end, PValue *out) {
  bool neg = *p == '-';
  const char *q = p + neg, *digits = q;
  uint64_t v = 0;
  while (q < end && is_digit(*q)) {
    if (q - digits == 18) return NULL;
    v = v * 10 + (uint64_t)(*q - '0');
    q++;
  }
  if (q == digits || (*digits == '0' && q - digits > 1)) return NULL;
  if (q < end && (*q == '.' || *q == 'e' || *q == 'E')) return NULL;
  *out = pv_int(neg ? -(int64_t)v : (int64_t)v);
  return q;
}

static const double POW10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                               1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

/* -?digits(.digits)? with at most 15 digits in all: the digits are an
 * exact double and so is the power of ten, so one division rounds
 * correctly, as the general decoder's Clinger fast path does. */
static const char *read_number(const char *p, const char *end, PValue *out) {
  bool neg = *p == '-';
  const char *q = p + neg, *digits = q;
  uint64_t mant = 0;
  int n = 0, frac = 0;
  for (; q < end && is_digit(*q); q++, n++) {
    if (n == 15) return NULL;
    mant = mant * 10 + (uint64_t)(*q - '0');
  }
  if (n == 0 || (*digits == '0' && n > 1)) return NULL;
  if (q < end && *q == '.') {
    q++;
    for (; q < end && is_digit(*q); q++, n++, frac++) {
      if (n == 15) return NULL;
      mant = mant * 10 + (uint64_t)(*q - '0');
    }
    if (frac == 0) return NULL;
  }
  if (q < end && (*q == 'e' || *q == 'E')) return NULL;
  double v = (double)mant / POW10[frac];
  *out = pv_number(neg ? -v : v);
  return q;
}

/* The instant's text in general (ptime_parse / pduration_parse). */
static __attribute__((noinline)) const char *read_instant_text(const char *p, const char *end,
                                                               PDecodeKind kind, PValue *out) {
  int64_t us;
  if (*p != '"') return NULL;
  const char *q = string_end(p, end);
  if (!q) return NULL;
  size_t len = (size_t)(q - p - 1);
  bool ok = kind == PDT_TIME ? ptime_parse(p + 1, len, &us) : pduration_parse(p + 1, len, &us);
  if (!ok) return NULL;
  *out = kind == PDT_TIME ? pv_time(us) : pv_duration(us);
  return q + 1;
}

/* A time or duration as text (numbers of seconds are the general
 * decoder's). The usual UTC form is parsed in place, inline: one per
 * event. */
static inline const char *read_instant(const char *p, const char *end, PDecodeKind kind, PValue *out) {
  int64_t us;
  if (kind == PDT_TIME && end - p >= 22 && p[0] == '"' && p[21] == '"' &&
      ptime_parse_utc20_cached(p + 1, &us)) {
    *out = pv_time(us);
    return p + 22;
  }
  return read_instant_text(p, end, kind, out);
}

/* A non-null bool, int, number or duration at p (p < end); NULL for any
 * other type. */
static const char *read_scalar(const PDecodeType *t, const char *p, const char *end, PValue *out) {
  switch (t->kind) {
  case PDT_STRING: return read_string(p, end, out);
  case PDT_TIME:
  case PDT_DURATION: return read_instant(p, end, t->kind, out);
  case PDT_TIME_MS: return read_instant(p, end, PDT_TIME, out); /* text only: a number is the general decoder's */
  case PDT_INT: return *p == '-' || is_digit(*p) ? read_int(p, end, out) : NULL;
  case PDT_NUMBER: return *p == '-' || is_digit(*p) ? read_number(p, end, out) : NULL;
  case PDT_BOOL:
    *out = pv_bool(*p == 't');
    return *p == 't' ? literal(p, end, "true", 4) : literal(p, end, "false", 5);
  case PDT_LIST:
  case PDT_RECORD: break;
  }
  return NULL;
}

static const char *read_value(Fast *f, const PDecodeType *t, const char *p, PValue *out);

static bool push(Fast *f, PValue v) {
  if (f->top == f->cap) {
    uint32_t cap = f->cap ? f->cap * 2 : 64;
    PValue *grown = pa_alloc(f->arena, (size_t)cap * sizeof(PValue));
    if (!grown) return false;
    if (f->top) memcpy(grown, f->stack, f->top * sizeof(PValue));
    f->stack = grown;
    f->cap = cap;
  }
  f->stack[f->top++] = v;
  return true;
}

/* The key at p (after whitespace) and its colon, when it is not the
 * expected field's pattern: *idx is the field, or n_fields for a key the
 * plan does not have. Out of line: the pattern matches most keys. */
static __attribute__((noinline)) const char *read_key_slow(const PDecodePlan *plan, const char *p,
                                                           const char *end, uint32_t *hint,
                                                           uint32_t *idx) {
  p = skip_ws(p, end);
  if (p >= end || *p != '"') return NULL;
  const char *q = string_end(p, end);
  if (!q) return NULL;
  int found = pdec_find_field(plan, p + 1, (size_t)(q - p - 1), hint);
  *idx = found >= 0 ? (uint32_t)found : plan->n_fields;
  p = skip_ws(q + 1, end);
  return p < end && *p == ':' ? p + 1 : NULL;
}

/* The members of the object at p ('{') into fields[]: the last of
 * duplicate keys wins, and a null takes the field back to absent, as in
 * the general decoder. A field that ends absent gets its absent value
 * (default or null), or declines when it is required. `key_out`: the
 * top-level object's key field, as the general decoder sets it (the last
 * non-null value read).
 * `flat`: the plan decodes no list or record (nothing recurses), a
 * constant, so that the loop is inlined into read_list for the elements
 * of a list. */
static inline __attribute__((always_inline)) const char *
read_members(Fast *f, const PDecodePlan *plan, const char *p, PValue *fields, PValue *key_out,
             bool flat) {
  const PdecLookup *lk = plan->lookup;
  const char *end = f->end;
  uint32_t hint = 0;
  uint64_t got = 0;
  uint64_t key_bit = key_out && plan->key_field >= 0 ? UINT64_C(1) << plan->key_field : 0;
  p = skip_ws(p + 1, end);
  if (p < end && *p == '}') {
    p++;
    goto done;
  }
  for (;;) {
    uint32_t idx;
    const PdecKeyPattern *kp = &lk->patterns[hint];
    if (G_LIKELY(end - p >= 16 && pdec_key_pattern_at(kp, p))) {
      idx = hint++;
      p += kp->len;
    } else {
      uint32_t next = hint; /* a copy: `hint` itself stays in a register */
      if (!(p = read_key_slow(plan, p, end, &next, &idx))) return NULL;
      hint = next;
    }
    if (G_UNLIKELY(p >= end || (unsigned char)*p <= ' ')) {
      p = skip_ws_slow(p, end);
      if (p >= end) return NULL;
    }
    unsigned act = lk->actions[idx];
    if (act == PDEC_ACT_SKIP) {
      p = skip_unread(f, p);
    } else if (*p == 'n') {
      p = literal(p, end, "null", 4);
      got &= ~(UINT64_C(1) << idx);
    } else {
      if (act == PDEC_ACT_STRING)
        p = read_string(p, end, &fields[idx]);
      else if (act == PDEC_ACT_TIME)
        p = read_instant(p, end, PDT_TIME, &fields[idx]);
      else if (flat)
        p = read_scalar(&plan->fields[idx].type, p, end, &fields[idx]);
      else if (G_UNLIKELY(f->nv_field != NULL) && key_out) { /* the record: which field holds a future event */
        bool was = f->in_pii;
        f->top_field = (int)idx;
        f->in_pii |= plan->fields[idx].pii;
        p = read_value(f, &plan->fields[idx].type, p, &fields[idx]);
        f->in_pii = was;
        f->top_field = -1;
      } else if (G_UNLIKELY(plan->fields[idx].pii) && !f->in_pii) {
        f->in_pii = true; /* future events inside are pii (next_change) */
        p = read_value(f, &plan->fields[idx].type, p, &fields[idx]);
        f->in_pii = false;
      } else {
        p = read_value(f, &plan->fields[idx].type, p, &fields[idx]);
      }
      uint64_t bit = UINT64_C(1) << idx;
      got |= bit;
      if (G_UNLIKELY(bit & key_bit) && p) *key_out = fields[idx];
    }
    bool more; /* whitespace before the next key: read_key's */
    if (!p || !(p = after_item(p, end, '}', &more))) return NULL;
    if (!more) break;
  }
done:
  if (lk->required & ~got) return NULL;
  for (uint64_t todo = lk->all & ~got; todo; todo &= todo - 1) {
    int i = __builtin_ctzll(todo);
    fields[i] = lk->absent[i];
  }
  return p;
}

/* A plan the fast path can read: prepared, at most 64 fields. */
static inline bool plan_fits(const PDecodePlan *plan) {
  return plan->lookup && plan->n_fields <= 64;
}

static const char *read_object(Fast *f, const PDecodePlan *plan, const char *p, PValue *fields,
                               PValue *key_out) {
  if (!plan_fits(plan) || f->depth + 1 > PDEC_MAX_DEPTH) return NULL;
  f->depth++;
  p = read_members(f, plan, p, fields, key_out, false);
  f->depth--;
  return p;
}

static const char *read_record(Fast *f, const PDecodePlan *plan, const char *p, PValue *out) {
  if (*p != '{') return NULL;
  PValue *fields = pa_alloc(f->arena, (plan->n_fields ? plan->n_fields : 1) * sizeof(PValue));
  if (!fields) return NULL;
  p = read_object(f, plan, p, fields, NULL);
  *out = pv_record(fields, plan->n_fields);
  return p;
}

/* The index of a record plan's `at` field (the as-of filter's), or -1. */
static inline int at_index(const PDecodePlan *plan) {
  return plan->at_field >= 0 && (uint32_t)plan->at_field < plan->n_fields ? plan->at_field : -1;
}

/* As-of: a record whose `at` is after now is dropped. */
static inline bool in_future(Fast *f, const PDecodePlan *rec, int at, const PValue *fields) {
  if (!(at >= 0 && fields[at].kind == PV_TIME && fields[at].u.i > f->now_us)) return false;
  bool pii = f->in_pii || rec->fields[at].pii;
  int64_t *nv = pii ? &f->next_visible_pii : &f->next_visible;
  if (fields[at].u.i < *nv) *nv = fields[at].u.i;
  if (f->nv_field && f->top_field >= 0) {
    int64_t *fv = &(pii ? f->nv_field_pii : f->nv_field)[f->top_field];
    if (fields[at].u.i < *fv) *fv = fields[at].u.i;
  }
  return true;
}

/* A record of a flat plan (see read_members) at p, its object read inline. */
static inline const char *read_flat_record(Fast *f, const PDecodePlan *plan, const char *p, PValue *v) {
  uint32_t n = plan->n_fields;
  if (*p != '{') return NULL;
  PValue *fields = pa_alloc(f->arena, (n ? n : 1) * sizeof(PValue));
  if (!fields) return NULL;
  *v = pv_record(fields, n);
  return read_members(f, plan, p, fields, NULL, true);
}

/* The elements of a list after its '[' (and whitespace), up to and
 * including the ']', pushed on f->stack, records of the future dropped.
 * `flat`: the elements are records of a flat plan, read inline; a
 * constant, so that each case gets its own loop. */
static inline __attribute__((always_inline)) const char *read_elements(Fast *f, const PDecodeType *elem,
                                                                       const char *p, bool flat) {
  const char *end = f->end;
  const PDecodePlan *rec = elem->kind == PDT_RECORD ? elem->record : NULL;
  int at = rec ? at_index(rec) : -1;
  for (uint32_t count = 0;; count++) {
    PValue v;
    if (count >= PDEC_MAX_LIST || p >= end) return NULL;
    p = flat ? read_flat_record(f, rec, p, &v) : read_value(f, elem, p, &v);
    if (!p || (!in_future(f, rec, at, v.u.items) && !push(f, v))) return NULL;
    bool more;
    if (!(p = after_item(p, end, ']', &more))) return NULL;
    if (!more) return p;
    p = skip_ws(p, end);
  }
}

/* read_elements' two cases, each its own function: kept apart, each loop
 * has the registers to itself. */
static __attribute__((noinline)) const char *read_flat_elements(Fast *f, const PDecodeType *elem,
                                                                const char *p) {
  return read_elements(f, elem, p, true);
}

static __attribute__((noinline)) const char *read_any_elements(Fast *f, const PDecodeType *elem,
                                                               const char *p) {
  return read_elements(f, elem, p, false);
}

static const char *read_list(Fast *f, const PDecodeType *t, const char *p, PValue *out) {
  const char *end = f->end;
  const PDecodePlan *rec = t->elem->kind == PDT_RECORD ? t->elem->record : NULL;
  const PdecLookup *rlk = rec ? rec->lookup : NULL;
  bool flat = rlk && rlk->flat;
  /* A flat record opens its object here, so the list and it count as two. */
  int opened = flat ? 2 : 1;
  if (*p != '[' || f->depth + opened > PDEC_MAX_DEPTH) return NULL;
  f->depth += opened;
  uint32_t base = f->top;
  p = skip_ws(p + 1, end);
  if (p < end && *p == ']')
    p++;
  else
    p = flat ? read_flat_elements(f, t->elem, p) : read_any_elements(f, t->elem, p);
  if (!p) return NULL;
  uint32_t kept = f->top - base;
  PValue *items = NULL;
  if (kept) {
    items = pa_alloc(f->arena, (size_t)kept * sizeof(PValue));
    if (!items) return NULL;
    memcpy(items, f->stack + base, (size_t)kept * sizeof(PValue));
  }
  f->top = base;
  f->depth -= opened;
  *out = pv_list(items, kept);
  return p;
}

/* A non-null value of type t at p (p < end). */
static const char *read_value(Fast *f, const PDecodeType *t, const char *p, PValue *out) {
  if (t->kind == PDT_LIST) return read_list(f, t, p, out);
  if (t->kind == PDT_RECORD) return read_record(f, t->record, p, out);
  return read_scalar(t, p, f->end, out);
}

bool pdec_decode_fast(const PDecodePlan *plan, const char *json, size_t len, int64_t now_us,
                      PArena *arena, PDecodeResult *out) {
  return pdec_decode_fast_nv(plan, json, len, now_us, arena, out, NULL, NULL);
}

bool pdec_decode_fast_nv(const PDecodePlan *plan, const char *json, size_t len, int64_t now_us,
                         PArena *arena, PDecodeResult *out, int64_t *nv_field, int64_t *nv_field_pii) {
  Fast f = {.end = json + len, .arena = arena, .now_us = now_us, .next_visible = INT64_MAX,
            .next_visible_pii = INT64_MAX, .top_field = -1, .nv_field = nv_field,
            .nv_field_pii = nv_field_pii};
  const char *p = skip_ws(json, f.end);
  out->key = pv_null();
  out->error[0] = '\0';
  if (p >= f.end || *p != '{') return false;
  out->fields = pa_alloc(arena, (plan->n_fields ? plan->n_fields : 1) * sizeof(PValue));
  if (!out->fields) return false;
  p = read_object(&f, plan, p, out->fields, &out->key);
  if (p) p = skip_ws(p, f.end);
  out->next_visible = f.next_visible;
  out->next_visible_pii = f.next_visible_pii;
  if (p == f.end) return true;
  out->key = pv_null();
  return false;
}
