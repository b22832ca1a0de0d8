/* json_decode.c - schema-directed, single-pass JSON decoding; see
 * json_decode.h.
 *
 * Shape of the decoder: one cursor over the bytes, typed decoding that
 * follows the plan (recursion bounded by the depth of the *type*, and by
 * PDEC_MAX_DEPTH), and an iterative skipper for everything the plan does
 * not want (its nesting is an explicit stack, so input cannot drive the C
 * stack). Nothing is malloc'ed per record: values, unescaped strings and
 * list elements come from the caller's arena.
 *
 * UTF-8 is validated where it can occur: inside strings, as they are
 * scanned (8 bytes at a time while they are plain ASCII). Any other byte
 * >= 0x80 is a syntax error, which is reported as "invalid UTF-8" when the
 * text has a bad sequence.
 *
 * Errors: a value error (wrong type, missing field) at the top level does
 * not stop the scan at once: the rest of the object is still read for the
 * key field, so the host can say which profile failed. Malformed JSON,
 * invalid UTF-8, limits and memory are fatal and win over a value error.
 */
#include "json_decode_impl.h"

#include <glib.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json_write.h"
#include "ptime.h"
#include "ptime_zone.h"

/* Placeholders in a record's field slots while its object is being read;
 * finish_record() replaces every one of them. */
enum { MARK_ABSENT = 0xFF, MARK_NULL = 0xFE };

/* How many bytes of an offending value an error message quotes. */
enum { QUOTE_MAX = 40 };

/* ---- UTF-8 ------------------------------------------------------------- */

#define ONES8 UINT64_C(0x0101010101010101)
#define HIGH8 UINT64_C(0x8080808080808080)
/* Nonzero when some byte of x is zero / is below n (n <= 128). The lowest
 * flag is exact (borrows only run upwards); the others may be false. */
#define HAS_ZERO(x) (((x) - ONES8) & ~(x) & HIGH8)
#define HAS_LESS(x, n) (((x) - ONES8 * (n)) & ~(x) & HIGH8)

const unsigned char *pdec_plain_run_swar(const unsigned char *p, const unsigned char *end) {
  while (end - p >= 8) {
    uint64_t w = pv_load8(p);
    uint64_t special = HAS_ZERO(w ^ (ONES8 * '"')) | HAS_ZERO(w ^ (ONES8 * '\\')) |
                       HAS_LESS(w, 0x20) | (w & HIGH8);
    if (special) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
      return p + (__builtin_ctzll(special) >> 3); /* the lowest flag is exact */
#else
      break;
#endif
    }
    p += 8;
  }
  while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') p++;
  return p;
}

size_t pdec_utf8_check(const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s, *end = p + len;
  while (p < end) {
    while (end - p >= 8 && !(pv_load8(p) & HIGH8)) p += 8;
    while (p < end && *p < 0x80) p++;
    if (p == end) break;
    size_t n = pdec_utf8_seq(p, end);
    if (n == 0) return (size_t)((const char *)p - s);
    p += n;
  }
  return len;
}

/* ---- plan lookup --------------------------------------------------------- */

static bool is_plain_name(const char *s, size_t len);

/* The fast path's `"name":` pattern of a field (json_decode_impl.h). */
static void key_pattern(PdecKeyPattern *kp, const char *name, size_t len) {
  memset(kp, 0, sizeof *kp);
  kp->word[0] = 1; /* under a zero mask: never matches */
  if (!name || len + 3 > 15 || !is_plain_name(name, len)) return;
  unsigned char bytes[16] = {0}, mask[16] = {0};
  bytes[0] = '"';
  memcpy(bytes + 1, name, len);
  bytes[len + 1] = '"';
  bytes[len + 2] = ':';
  memset(mask, 0xFF, len + 3);
  memcpy(kp->word, bytes, 16);
  memcpy(kp->mask, mask, 16);
  kp->len = (uint32_t)len + 3;
}

/* A name that appears in JSON text byte for byte, between quotes. */
static bool is_plain_name(const char *s, size_t len) {
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\' || c < 0x20) return false;
  }
  return true;
}

static uint32_t name_hash(const char *s, size_t len) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (size_t i = 0; i < len; i++) {
    h ^= (unsigned char)s[i];
    h *= 16777619u;
  }
  return h;
}

static void prepare_type(const PDecodeType *t);

/* What json_fast.c reads per field: its action, its value when absent or
 * null, and whether it is required. */
static void prepare_fast_path(const PDecodePlan *plan, PdecLookup *lk) {
  uint32_t n = plan->n_fields;
  lk->required = 0;
  lk->all = n >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << n) - 1;
  lk->flat = n <= 64;
  lk->actions = g_new0(uint8_t, n + 1); /* [n]: keys that are no field */
  lk->absent = g_new(PValue, n ? n : 1);
  for (uint32_t f = 0; f < n; f++) {
    const PDecodeField *fd = &plan->fields[f];
    bool wanted = f < 64 && (lk->wanted >> f & 1);
    lk->absent[f] = fd->has_default ? fd->default_value : pv_null();
    if (wanted && !fd->has_default && !fd->optional) lk->required |= UINT64_C(1) << f;
    if (!wanted)
      lk->actions[f] = PDEC_ACT_SKIP;
    else if (fd->type.kind == PDT_STRING)
      lk->actions[f] = PDEC_ACT_STRING;
    else if (fd->type.kind == PDT_TIME) /* not PDT_TIME_MS: its numbers are not seconds */
      lk->actions[f] = PDEC_ACT_TIME;
    else
      lk->actions[f] = PDEC_ACT_VALUE;
    if (wanted && (fd->type.kind == PDT_LIST || fd->type.kind == PDT_RECORD)) lk->flat = false;
  }
}

void pdec_plan_prepare(PDecodePlan *plan) {
  g_return_if_fail(plan != NULL);
  if (plan->lookup) return; /* done already (shared or recursive record) */
  uint32_t size = 8;
  while (size < 2 * plan->n_fields) size *= 2;
  PdecLookup *lk = g_malloc(sizeof(PdecLookup) + size * sizeof(int32_t));
  lk->mask = size - 1;
  lk->plain_names = true;
  lk->wanted = 0;
  lk->max_name_len = 0;
  lk->patterns = g_new(PdecKeyPattern, plan->n_fields + 1);
  for (uint32_t f = 0; f < plan->n_fields; f++)
    key_pattern(&lk->patterns[f], plan->fields[f].name, plan->fields[f].name_len);
  key_pattern(&lk->patterns[plan->n_fields], NULL, 0); /* after the last field */
  for (uint32_t i = 0; i < size; i++) lk->slots[i] = -1;
  for (uint32_t f = 0; f < plan->n_fields; f++) {
    const PDecodeField *fd = &plan->fields[f];
    if (!is_plain_name(fd->name, fd->name_len)) lk->plain_names = false;
    if (fd->name_len > lk->max_name_len) lk->max_name_len = fd->name_len;
    uint32_t h = name_hash(fd->name, fd->name_len) & lk->mask;
    bool dup = false;
    while (lk->slots[h] >= 0) {
      const PDecodeField *o = &plan->fields[lk->slots[h]];
      if (o->name_len == fd->name_len && memcmp(o->name, fd->name, fd->name_len) == 0) dup = true;
      h = (h + 1) & lk->mask;
    }
    if (!dup) lk->slots[h] = (int32_t)f;
  }
  for (uint32_t f = 0; f < plan->n_fields && f < 64; f++)
    if (plan->fields[f].used || (int)f == plan->key_field || (int)f == plan->at_field)
      lk->wanted |= UINT64_C(1) << f;
  prepare_fast_path(plan, lk);
  plan->lookup = lk;
  for (uint32_t f = 0; f < plan->n_fields; f++) prepare_type(&plan->fields[f].type);
}

static void prepare_type(const PDecodeType *t) {
  while (t && t->kind == PDT_LIST) t = t->elem;
  if (t && t->kind == PDT_RECORD && t->record)
    pdec_plan_prepare((PDecodePlan *)t->record);
}

static void release_type(const PDecodeType *t);

void pdec_plan_release(PDecodePlan *plan) {
  if (!plan || !plan->lookup) return;
  PdecLookup *lk = plan->lookup;
  g_free(lk->patterns);
  g_free(lk->actions);
  g_free(lk->absent);
  g_free(plan->lookup);
  plan->lookup = NULL;
  for (uint32_t f = 0; f < plan->n_fields; f++) release_type(&plan->fields[f].type);
}

static void release_type(const PDecodeType *t) {
  while (t && t->kind == PDT_LIST) t = t->elem;
  if (t && t->kind == PDT_RECORD && t->record)
    pdec_plan_release((PDecodePlan *)t->record);
}

/* Names are short: a byte loop beats a call to memcmp. */
static bool bytes_equal(const char *a, const char *b, size_t len) {
  if (len > 16) return memcmp(a, b, len) == 0;
  for (size_t i = 0; i < len; i++)
    if (a[i] != b[i]) return false;
  return true;
}

static bool name_is(const PDecodeField *f, const char *s, size_t len) {
  return f->name_len == len && bytes_equal(f->name, s, len);
}

/* The common case: the key at p ('"') is exactly the field expected next.
 * Comparing the bytes replaces scanning the key, which is valid JSON by
 * construction when the plan's names are plain. */
static int match_expected(const PDecodePlan *plan, const char *p, const char *end, uint32_t *hint) {
  const PdecLookup *lk = plan->lookup;
  if (!lk || !lk->plain_names || *hint >= plan->n_fields) return -1;
  const PDecodeField *f = &plan->fields[*hint];
  if ((size_t)(end - p) < (size_t)f->name_len + 2 || p[1 + f->name_len] != '"' ||
      !bytes_equal(p + 1, f->name, f->name_len))
    return -1;
  return (int)(*hint)++;
}

/* Index of the field named s, or -1. `hint` is the field expected next
 * (objects usually list keys in declaration order): one memcmp then. */
int pdec_find_field(const PDecodePlan *plan, const char *s, size_t len, uint32_t *hint) {
  if (*hint < plan->n_fields && name_is(&plan->fields[*hint], s, len)) return (int)(*hint)++;
  const PdecLookup *lk = plan->lookup;
  if (!lk) { /* not prepared: still correct, only slower */
    for (uint32_t f = 0; f < plan->n_fields; f++)
      if (name_is(&plan->fields[f], s, len)) return (int)(*hint = f + 1) - 1;
    return -1;
  }
  if (len > lk->max_name_len) return -1;
  for (uint32_t h = name_hash(s, len) & lk->mask; lk->slots[h] >= 0; h = (h + 1) & lk->mask) {
    uint32_t f = (uint32_t)lk->slots[h];
    if (name_is(&plan->fields[f], s, len)) {
      *hint = f + 1;
      return (int)f;
    }
  }
  return -1;
}

/* ---- decoder state and errors ---------------------------------------------- */

typedef enum { ERR_NONE, ERR_VALUE, ERR_FATAL } ErrKind;

typedef struct {
  const char *name; /* NULL for a list index */
  uint32_t name_len;
  uint32_t index;
} PathSeg;

typedef struct {
  const char *base, *p, *end;
  PArena *arena;
  int64_t now_us;
  int depth;                /* open arrays/objects */
  PValue *stack;            /* list elements being collected (arena) */
  uint32_t stack_top, stack_cap;
  PathSeg path[PDEC_MAX_DEPTH + 2];
  int path_len;
  ErrKind err;
  bool recovering;          /* after a top-level value error: key only */
  PDecodeResult *out;
  GTimeZone *input_tz;      /* times without an offset are read in it, or NULL */
  int top_field;            /* the record's field being read (next_change), or -1 */
  int64_t *nv_field, *nv_field_pii; /* pdec_decode_tz_by_field's, or NULL */
} Dec;

static int peek(const Dec *d) { return d->p < d->end ? (unsigned char)*d->p : -1; }

static void skip_ws_slow(Dec *d) {
  const char *p = d->p, *end = d->end;
  while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')) p++;
  d->p = p;
}

/* Machine-written JSON has no whitespace between tokens: one compare
 * decides that (every byte above ' ' is not whitespace). */
static inline void skip_ws(Dec *d) {
  if (G_LIKELY(d->p < d->end && (unsigned char)*d->p > ' ')) return;
  skip_ws_slow(d);
}

static bool is_digit(int c) { return (unsigned)c - '0' <= 9; }

/* Stores msg, its code and field path unless an error of the same or a
 * graver kind is stored. */
static bool set_error_at(Dec *d, ErrKind kind, const char *code, const char *field, const char *msg) {
  if (d->err == ERR_NONE || (kind == ERR_FATAL && d->err == ERR_VALUE)) {
    g_strlcpy(d->out->error, msg, sizeof d->out->error);
    d->out->error_code = code;
    g_strlcpy(d->out->error_field, field ? field : "", sizeof d->out->error_field);
    d->err = kind;
  }
  return false;
}

static bool set_error(Dec *d, ErrKind kind, const char *code, const char *msg) {
  return set_error_at(d, kind, code, NULL, msg);
}

static size_t byte_no(const Dec *d, const char *at) { return (size_t)(at - d->base) + 1; }

static bool fail_utf8(Dec *d, size_t offset) {
  char msg[64];
  snprintf(msg, sizeof msg, "invalid UTF-8 at byte %zu", offset + 1);
  return set_error(d, ERR_FATAL, "bad_utf8", msg);
}

/* Malformed JSON at `at`; `problem` is "expected …" or a description.
 * A byte >= 0x80 outside a string may be the start of invalid UTF-8, which
 * is the better message. */
static bool fail_syntax(Dec *d, const char *at, const char *problem) {
  size_t len = (size_t)(d->end - d->base);
  size_t bad = pdec_utf8_check(d->base, len);
  if (bad < len) return fail_utf8(d, bad);
  char msg[160];
  if (at >= d->end) {
    bool expected = strncmp(problem, "expected ", 9) == 0;
    snprintf(msg, sizeof msg, "malformed JSON at byte %zu: unexpected end of text%s%s%s",
             byte_no(d, at), expected ? ", " : " (", problem, expected ? "" : ")");
  } else {
    snprintf(msg, sizeof msg, "malformed JSON at byte %zu: %s", byte_no(d, at), problem);
  }
  return set_error(d, ERR_FATAL, "bad_json", msg);
}

static bool fail_depth(Dec *d, const char *at) {
  char msg[128];
  snprintf(msg, sizeof msg, "malformed JSON at byte %zu: nested deeper than %d levels",
           byte_no(d, at), PDEC_MAX_DEPTH);
  return set_error(d, ERR_FATAL, "bad_json", msg);
}

/* "events[3].at" into buf. */
static void render_path(const Dec *d, char *buf, size_t cap) {
  size_t n = 0;
  buf[0] = '\0';
  for (int i = 0; i < d->path_len && n + 1 < cap; i++) {
    const PathSeg *s = &d->path[i];
    int w;
    if (s->name)
      w = snprintf(buf + n, cap - n, "%s%.*s", i ? "." : "", (int)s->name_len, s->name);
    else
      w = snprintf(buf + n, cap - n, "[%u]", s->index);
    if (w < 0) break;
    n += (size_t)w;
  }
}

/* An error about the value at the current path: "path: message". */
G_GNUC_PRINTF(4, 5)
static bool fail_path(Dec *d, ErrKind kind, const char *code, const char *fmt, ...) {
  char path[192], msg[256], full[sizeof d->out->error];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  render_path(d, path, sizeof path);
  full[0] = '\0';
  if (path[0]) {
    g_strlcat(full, path, sizeof full);
    g_strlcat(full, ": ", sizeof full);
  }
  g_strlcat(full, msg, sizeof full); /* long messages are cut, not overrun */
  return set_error_at(d, kind, code, path, full);
}

static bool fail_memory(Dec *d) {
  return fail_path(d, ERR_FATAL, "too_large", "record too large (out of memory or over the memory limit)");
}

static void push_field(Dec *d, const PDecodeField *f) {
  d->path[d->path_len++] = (PathSeg){f->name, f->name_len, 0};
}

static void push_index(Dec *d, uint32_t i) { d->path[d->path_len++] = (PathSeg){NULL, 0, i}; }

/* ---- scanning tokens ------------------------------------------------------- */

static bool scan_literal(Dec *d, const char *lit, size_t n) {
  if ((size_t)(d->end - d->p) < n || memcmp(d->p, lit, n) != 0)
    return fail_syntax(d, d->p, "expected a value");
  d->p += n;
  return true;
}

static int hex_value(int c) {
  if (is_digit(c)) return c - '0';
  c |= 0x20;
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A string token at d->p ('"'): validates escapes, control characters and
 * UTF-8, and returns the raw content [*cs, *ce) and whether it has
 * backslashes. Leaves d->p after the closing quote. */
static inline bool scan_string(Dec *d, const char **cs, const char **ce, bool *has_esc) {
  const unsigned char *p = (const unsigned char *)d->p + 1;
  const unsigned char *end = (const unsigned char *)d->end;
  bool esc = false;
  *cs = (const char *)p;
  for (;;) {
    p = pdec_plain_run_end(p, end);
    if (p >= end) return fail_syntax(d, (const char *)p, "unterminated string");
    unsigned c = *p;
    if (c == '"') break;
    if (c == '\\') {
      esc = true;
      if (end - p < 2) return fail_syntax(d, (const char *)end, "unterminated string");
      switch (p[1]) {
      case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
        p += 2;
        continue;
      case 'u':
        if (end - p < 6 || hex_value(p[2]) < 0 || hex_value(p[3]) < 0 || hex_value(p[4]) < 0 ||
            hex_value(p[5]) < 0)
          return fail_syntax(d, (const char *)p, "expected four hex digits after \\u");
        p += 6;
        continue;
      default:
        return fail_syntax(d, (const char *)p, "invalid escape in a string");
      }
    }
    if (c < 0x20) return fail_syntax(d, (const char *)p, "control character in a string (must be escaped)");
    if (c >= 0x80) {
      size_t n = pdec_utf8_seq(p, end);
      if (n == 0) return fail_utf8(d, (size_t)((const char *)p - d->base));
      p += n;
    }
  }
  *ce = (const char *)p;
  *has_esc = esc;
  d->p = (const char *)p + 1;
  return true;
}

static void put_utf8(char **o, uint32_t cp) {
  unsigned char *q = (unsigned char *)*o;
  if (cp < 0x80) {
    *q++ = (unsigned char)cp;
  } else if (cp < 0x800) {
    *q++ = (unsigned char)(0xC0 | cp >> 6);
    *q++ = (unsigned char)(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *q++ = (unsigned char)(0xE0 | cp >> 12);
    *q++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    *q++ = (unsigned char)(0x80 | (cp & 0x3F));
  } else {
    *q++ = (unsigned char)(0xF0 | cp >> 18);
    *q++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    *q++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    *q++ = (unsigned char)(0x80 | (cp & 0x3F));
  }
  *o = (char *)q;
}

static uint32_t hex4(const char *s) {
  return (uint32_t)(hex_value((unsigned char)s[0]) << 12 | hex_value((unsigned char)s[1]) << 8 |
                    hex_value((unsigned char)s[2]) << 4 | hex_value((unsigned char)s[3]));
}

typedef enum { UNESC_OK, UNESC_SURROGATE, UNESC_MEMORY } UnescResult;

/* Decodes the escapes of scanned (so well-formed) raw string content into
 * the arena. Decoded text is never longer than the raw text: \uXXXX (6
 * bytes) gives at most 3, a surrogate pair (12) gives 4. */
static UnescResult unescape(Dec *d, const char *s, const char *e, const char **out, size_t *out_len) {
  char *buf = pa_alloc(d->arena, (size_t)(e - s) + 1);
  if (!buf) return UNESC_MEMORY;
  char *o = buf;
  while (s < e) {
    const char *bs = memchr(s, '\\', (size_t)(e - s));
    if (!bs) bs = e;
    memcpy(o, s, (size_t)(bs - s));
    o += bs - s;
    s = bs;
    if (s == e) break;
    char c = s[1];
    s += 2;
    switch (c) {
    case 'b': *o++ = '\b'; break;
    case 'f': *o++ = '\f'; break;
    case 'n': *o++ = '\n'; break;
    case 'r': *o++ = '\r'; break;
    case 't': *o++ = '\t'; break;
    case 'u': {
      uint32_t cp = hex4(s);
      s += 4;
      if (cp >= 0xDC00 && cp <= 0xDFFF) return UNESC_SURROGATE;
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (e - s < 6 || s[0] != '\\' || s[1] != 'u') return UNESC_SURROGATE;
        uint32_t lo = hex4(s + 2);
        if (lo < 0xDC00 || lo > 0xDFFF) return UNESC_SURROGATE;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        s += 6;
      }
      put_utf8(&o, cp);
      break;
    }
    default: *o++ = c; break; /* " \ / */
    }
  }
  *o = '\0';
  *out = buf;
  *out_len = (size_t)(o - buf);
  return UNESC_OK;
}

/* A number token: value = mant × 10^exp10, with the significant digits in
 * mant (leading and trailing zeros stripped) when nsig <= 19. */
typedef struct {
  const char *start, *end;
  uint64_t mant;
  int64_t nsig;
  int64_t exp10;
  bool neg;
} NumTok;

static const double P10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                             1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                             1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
static const uint64_t U10[] = {1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u,
                               10000000u, 100000000u, 1000000000u, 10000000000u,
                               100000000000u, 1000000000000u, 10000000000000u,
                               100000000000000u, 1000000000000000u,
                               10000000000000000u, 100000000000000000u,
                               1000000000000000000u, 10000000000000000000u};

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? at d->p. */
static bool scan_number(Dec *d, NumTok *n) {
  const char *p = d->p, *end = d->end;
  uint64_t mant = 0;
  int64_t nsig = 0, zeros = 0, frac = 0;
  n->start = p;
  n->neg = p < end && *p == '-';
  if (n->neg) p++;
  if (p >= end || !is_digit((unsigned char)*p)) return fail_syntax(d, p, "expected a digit");
  if (*p == '0' && p + 1 < end && is_digit((unsigned char)p[1]))
    return fail_syntax(d, p + 1, "leading zero in a number");
  bool in_frac = false;
  for (;;) {
    for (; p < end && is_digit((unsigned char)*p); p++) {
      unsigned dg = (unsigned)(*p - '0');
      frac += in_frac;
      if (dg == 0) {
        zeros += nsig > 0; /* trailing zeros so far; leading ones vanish */
        continue;
      }
      if (nsig + zeros < 19) {
        mant = mant * U10[zeros + 1] + dg;
      }
      nsig += zeros + 1; /* nsig > 19: mant is no longer exact */
      zeros = 0;
    }
    if (in_frac || p >= end || *p != '.') break;
    p++;
    if (p >= end || !is_digit((unsigned char)*p)) return fail_syntax(d, p, "expected a digit after '.'");
    in_frac = true;
  }
  int64_t e = 0;
  if (p < end && (*p == 'e' || *p == 'E')) {
    p++;
    bool eneg = p < end && *p == '-';
    if (p < end && (*p == '-' || *p == '+')) p++;
    if (p >= end || !is_digit((unsigned char)*p)) return fail_syntax(d, p, "expected a digit in the exponent");
    for (; p < end && is_digit((unsigned char)*p); p++)
      if (e < 1000000000) e = e * 10 + (*p - '0'); /* past that it is 0 or inf anyway */
    if (eneg) e = -e;
  }
  n->mant = mant;
  n->nsig = nsig;
  n->exp10 = e - frac + zeros;
  n->end = p;
  d->p = p;
  return true;
}

typedef enum { INT_OK, INT_FRACTION, INT_RANGE } IntResult;

static IntResult num_to_int(const NumTok *n, int64_t *out) {
  if (n->nsig == 0) { /* 0, -0, 0.000, 0e99 */
    *out = 0;
    return INT_OK;
  }
  if (n->exp10 < 0) return INT_FRACTION;
  if (n->nsig > 19 || n->nsig + n->exp10 > 19) return INT_RANGE; /* >= 10^19 */
  uint64_t v = n->mant;
  for (int64_t i = 0; i < n->exp10; i++) {
    if (v > UINT64_MAX / 10) return INT_RANGE;
    v *= 10;
  }
  uint64_t limit = (uint64_t)INT64_MAX + n->neg;
  if (v > limit) return INT_RANGE;
  *out = n->neg ? (int64_t)(0 - v) : (int64_t)v;
  return INT_OK;
}

typedef enum { DBL_OK, DBL_RANGE, DBL_FATAL } DblResult;

/* Correctly rounded: Clinger's fast path when the digits and the power of
 * ten are both exact doubles, strtod (on a NUL-terminated copy) else.
 * DBL_RANGE when the magnitude overflows. */
static DblResult num_to_double(Dec *d, const NumTok *n, double *out) {
  double v;
  if (n->nsig == 0) {
    v = 0.0;
  } else if (n->nsig <= 15 && n->exp10 >= -22 && n->exp10 <= 22 + 15 - n->nsig) {
    /* mant < 10^15 < 2^53: exact; so is 10^k for k <= 22. */
    if (n->exp10 < 0) {
      v = (double)n->mant / P10[-n->exp10];
    } else if (n->exp10 <= 22) {
      v = (double)n->mant * P10[n->exp10];
    } else { /* shift the excess into the (still exact) integer */
      v = (double)(n->mant * U10[n->exp10 - 22]) * 1e22;
    }
  } else {
    size_t len = (size_t)(n->end - n->start);
    char small[64];
    char *copy = len < sizeof small ? small : pa_alloc(d->arena, len + 1);
    if (!copy) {
      fail_memory(d);
      return DBL_FATAL;
    }
    memcpy(copy, n->start, len);
    copy[len] = '\0';
    v = g_ascii_strtod(copy, NULL);
    if (!isfinite(v)) return DBL_RANGE;
    *out = v; /* strtod has the sign */
    return DBL_OK;
  }
  *out = n->neg ? -v : v;
  return DBL_OK;
}

/* ---- skipping ------------------------------------------------------------------ */

/* A string key and its ':' inside a skipped object. */
static bool skip_key(Dec *d) {
  const char *cs = NULL, *ce = NULL;
  bool esc = false;
  skip_ws(d);
  if (peek(d) != '"') return fail_syntax(d, d->p, "expected a string key");
  if (!scan_string(d, &cs, &ce, &esc)) return false;
  skip_ws(d);
  if (peek(d) != ':') return fail_syntax(d, d->p, "expected ':'");
  d->p++;
  return true;
}

/* Scans one scalar (string, number, true, false, null) starting with `c`;
 * malformed JSON, or a `c` that starts no scalar, is a syntax error. */
static bool skip_scalar(Dec *d, int c) {
  if (c == '"') {
    const char *cs = NULL, *ce = NULL;
    bool esc = false;
    return scan_string(d, &cs, &ce, &esc);
  }
  if (c == '-' || is_digit(c)) {
    NumTok n;
    return scan_number(d, &n);
  }
  if (c == 't') return scan_literal(d, "true", 4);
  if (c == 'f') return scan_literal(d, "false", 5);
  if (c == 'n') return scan_literal(d, "null", 4);
  return fail_syntax(d, d->p, "expected a value");
}

/* Skips one value at d->p, validating it. Iterative: `open` is the stack
 * of enclosing containers ('{' or '['), bounded by PDEC_MAX_DEPTH. */
static bool skip_value(Dec *d) {
  char open[PDEC_MAX_DEPTH];
  int sp = 0;
  for (;;) {
    /* A value is expected here. */
    skip_ws(d);
    int c = peek(d);
    if (c == '{' || c == '[') {
      if (d->depth + sp + 1 > PDEC_MAX_DEPTH) return fail_depth(d, d->p);
      open[sp++] = (char)c;
      d->p++;
      skip_ws(d);
      int close = c == '{' ? '}' : ']';
      if (peek(d) == close) {
        d->p++;
        sp--;
      } else {
        if (c == '{' && !skip_key(d)) return false;
        continue;
      }
    } else if (!skip_scalar(d, c)) {
      return false;
    }
    /* After a value: close containers, or move to the next element. */
    for (;;) {
      if (sp == 0) return true;
      skip_ws(d);
      c = peek(d);
      if (c == ',') {
        d->p++;
        if (open[sp - 1] == '{' && !skip_key(d)) return false;
        break;
      }
      if (c == (open[sp - 1] == '{' ? '}' : ']')) {
        d->p++;
        sp--;
        continue;
      }
      return fail_syntax(d, d->p, open[sp - 1] == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
    }
  }
}

const char *pdec_skip_json(const char *p, const char *end, int depth) {
  PDecodeResult scratch; /* takes the message nobody reads */
  Dec d;
  /* Only what skip_value() touches: the path (1 KB) stays uninitialised. */
  d.base = d.p = p;
  d.end = end;
  d.depth = depth;
  d.err = ERR_NONE;
  d.out = &scratch;
  return skip_value(&d) ? d.p : NULL;
}

/* ---- typed decoding -------------------------------------------------------------- */

/* What a wrong value was, for an error: its text (cut to QUOTE_MAX bytes)
 * or, for pii fields and containers, only its JSON type. */
static void describe(const char *s, const char *e, bool pii, char *buf, size_t cap) {
  switch (*s) {
  case '[': snprintf(buf, cap, "an array"); return;
  case '{': snprintf(buf, cap, "an object"); return;
  case 'n': snprintf(buf, cap, "null"); return;
  case '"': if (pii) { snprintf(buf, cap, "a string"); return; } break;
  case 't': case 'f': if (pii) { snprintf(buf, cap, "a boolean"); return; } break;
  default: if (pii) { snprintf(buf, cap, "a number"); return; } break;
  }
  size_t len = (size_t)(e - s);
  if (len <= QUOTE_MAX) {
    snprintf(buf, cap, "%.*s", (int)len, s);
    return;
  }
  size_t cut = QUOTE_MAX;
  while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80) cut--; /* whole characters */
  snprintf(buf, cap, "%.*s...%s", (int)cut, s, *s == '"' ? "\"" : "");
}

static const char *expected_text(PDecodeKind k) {
  switch (k) {
  case PDT_BOOL: return "expected true or false";
  case PDT_INT: return "expected an integer";
  case PDT_NUMBER: return "expected a number";
  case PDT_STRING: return "expected a string";
  case PDT_TIME: return "expected a time (RFC 3339 text, a date, or Unix seconds)";
  case PDT_TIME_MS: return "expected a time (RFC 3339 text, a date, or Unix milliseconds)";
  case PDT_DURATION: return "expected a duration (text like \"7d\", or a number of seconds)";
  case PDT_LIST: return "expected a list";
  case PDT_RECORD: return "expected an object";
  }
  return "unexpected value";
}

/* "<path>: expected …, got <value>" for the token [s, e). */
static bool fail_type(Dec *d, PDecodeKind k, bool pii, const char *s, const char *e) {
  char what[QUOTE_MAX + 16];
  describe(s, e, pii, what, sizeof what);
  return fail_path(d, ERR_VALUE, "type_mismatch", "%s, got %s", expected_text(k), what);
}

/* The value at d->p has the wrong JSON type for k: scan it (it must still
 * be valid JSON) to quote it. */
static bool fail_type_here(Dec *d, PDecodeKind k, bool pii) {
  const char *s = d->p;
  int c = peek(d);
  if (c != '[' && c != '{' && !skip_scalar(d, c)) return false;
  return fail_type(d, k, pii, s, d->p);
}

/* A string value: the raw bytes when there are no escapes (no copy), else
 * decoded into the arena. */
static inline bool read_string(Dec *d, const char **out, size_t *out_len, const char **tok_start) {
  const char *cs = NULL, *ce = NULL;
  bool esc = false;
  *tok_start = d->p;
  if (!scan_string(d, &cs, &ce, &esc)) return false;
  if (!esc) {
    *out = cs;
    *out_len = (size_t)(ce - cs);
  } else {
    switch (unescape(d, cs, ce, out, out_len)) {
    case UNESC_OK: break;
    case UNESC_MEMORY: return fail_memory(d);
    case UNESC_SURROGATE:
      return fail_path(d, ERR_VALUE, "bad_utf8", "invalid string: a \\u escape is a lone UTF-16 surrogate");
    }
  }
  if (*out_len > PDEC_MAX_STRING)
    return fail_path(d, ERR_FATAL, "too_large", "string longer than the limit of %u bytes", PDEC_MAX_STRING);
  return true;
}

static bool decode_value(Dec *d, const PDecodeType *t, bool pii, PValue *out);
static bool decode_object(Dec *d, const PDecodePlan *plan, PValue *fields, bool pii, bool top);
static bool finish_record(Dec *d, const PDecodePlan *plan, PValue *fields);

static bool decode_int(Dec *d, bool pii, PValue *out) {
  NumTok n;
  int64_t i;
  if (!scan_number(d, &n)) return false;
  switch (num_to_int(&n, &i)) {
  case INT_OK: *out = pv_int(i); return true;
  case INT_FRACTION: return fail_type(d, PDT_INT, pii, n.start, n.end);
  case INT_RANGE: break;
  }
  if (pii) return fail_path(d, ERR_VALUE, "out_of_range", "integer out of range");
  char what[QUOTE_MAX + 16];
  describe(n.start, n.end, false, what, sizeof what);
  return fail_path(d, ERR_VALUE, "out_of_range", "integer out of range: %s", what);
}

static bool decode_number(Dec *d, bool pii, PValue *out) {
  NumTok n;
  double v;
  if (!scan_number(d, &n)) return false;
  DblResult r = num_to_double(d, &n, &v);
  if (r == DBL_FATAL) return false;
  if (r == DBL_RANGE) {
    if (pii) return fail_path(d, ERR_VALUE, "out_of_range", "number out of range");
    char what[QUOTE_MAX + 16];
    describe(n.start, n.end, false, what, sizeof what);
    return fail_path(d, ERR_VALUE, "out_of_range", "number out of range: %s", what);
  }
  *out = pv_number(v);
  return true;
}

/* A wall clock time without an offset, which an input time zone would
 * read (the error path only: it builds a zone). */
static bool looks_local(const char *s, size_t len) {
  GTimeZone *utc = g_time_zone_new_utc();
  int64_t us;
  bool local = ptime_parse_local(s, len, utc, &us) != PTIME_BAD;
  g_time_zone_unref(utc);
  return local;
}

/* Time or duration from text or a number of seconds. */
static bool decode_instant(Dec *d, PDecodeKind k, bool pii, PValue *out) {
  const char *tok = d->p;
  int64_t us = 0;
  bool ok;
  if (peek(d) == '"') {
    const char *s;
    size_t len;
    if (!read_string(d, &s, &len, &tok)) return false;
    if (k == PDT_TIME || k == PDT_TIME_MS) {
      PTimeStatus ts = ptime_parse_status(s, len, &us);
      /* Only a time without an offset gets here with a zone to try. */
      if (ts == PTIME_BAD && d->input_tz) ts = ptime_parse_local(s, len, d->input_tz, &us);
      /* A time its offset moves out of 0001..9999 could not be printed
       * back in RFC 3339 (nor read from the state it would go into). */
      if (ts == PTIME_OUT_OF_RANGE) {
        char what[QUOTE_MAX + 16];
        describe(tok, d->p, pii, what, sizeof what);
        return fail_path(d, ERR_VALUE, "out_of_range", "%s is outside the years 0001 to 9999 in UTC", what);
      }
      if (ts == PTIME_BAD && !d->input_tz && looks_local(s, len)) {
        char what[QUOTE_MAX + 16];
        describe(tok, d->p, pii, what, sizeof what);
        return fail_path(d, ERR_VALUE, "type_mismatch",
                         "%s has no offset: give an input time zone (--input-tz ZONE, or timezone \"ZONE\" "
                         "on the model line)", what);
      }
      ok = ts == PTIME_OK;
    } else {
      ok = pduration_parse(s, len, &us);
    }
  } else {
    NumTok n;
    double secs;
    if (!scan_number(d, &n)) return false;
    DblResult r = num_to_double(d, &n, &secs);
    if (r == DBL_FATAL) return false;
    ok = r == DBL_OK;
    if (ok && k == PDT_TIME_MS) {
      ok = ptime_from_unix_seconds(secs / 1000.0, &us);
      if (!ok) {
        char what[QUOTE_MAX + 16];
        describe(tok, d->p, pii, what, sizeof what);
        return fail_path(d, ERR_VALUE, "out_of_range",
                         "%s is outside the years 0001 to 9999 in UTC as Unix milliseconds", what);
      }
    } else if (ok && k == PDT_TIME) {
      ok = ptime_from_unix_seconds(secs, &us);
      if (!ok && ptime_from_unix_seconds(secs / 1000.0, &us)) {
        /* The usual mistake: an app's epoch milliseconds in a seconds field. */
        char what[QUOTE_MAX + 16];
        describe(tok, d->p, pii, what, sizeof what);
        return fail_path(d, ERR_VALUE, "out_of_range",
                         "%s is outside the years 0001 to 9999 as Unix seconds; for epoch milliseconds "
                         "declare the field 'time ms'", what);
      }
    } else if (ok) {
      double x = secs * 1e6;
      ok = x > -9.2e18 && x < 9.2e18;
      if (ok) us = (int64_t)llround(x);
    }
  }
  if (!ok) return fail_type(d, k, pii, tok, d->p);
  *out = k == PDT_DURATION ? pv_duration(us) : pv_time(us);
  return true;
}

/* After a list element or an object member: ',' (*more) or the closing
 * bracket `close` (!*more), consumed; anything else is a syntax error. */
static bool after_item(Dec *d, char close, bool *more) {
  skip_ws(d);
  int c = peek(d);
  *more = c == ',';
  if (c == ',' || c == close) {
    d->p++;
    return true;
  }
  return fail_syntax(d, d->p, close == ']' ? "expected ',' or ']'" : "expected ',' or '}'");
}

static bool stack_push(Dec *d, PValue v) {
  if (d->stack_top == d->stack_cap) {
    uint32_t cap = d->stack_cap ? d->stack_cap * 2 : 64;
    PValue *grown = pa_alloc(d->arena, (size_t)cap * sizeof(PValue));
    if (!grown) return fail_memory(d);
    if (d->stack_top) memcpy(grown, d->stack, d->stack_top * sizeof(PValue));
    d->stack = grown; /* the old block stays in the arena until reset */
    d->stack_cap = cap;
  }
  d->stack[d->stack_top++] = v;
  return true;
}

/* A record value (a JSON object) decoded with its plan. */
static bool decode_record(Dec *d, const PDecodePlan *plan, bool pii, PValue *out) {
  if (peek(d) != '{') return fail_type_here(d, PDT_RECORD, pii);
  PValue *fields = pa_alloc(d->arena, (plan->n_fields ? plan->n_fields : 1) * sizeof(PValue));
  if (!fields) return fail_memory(d);
  if (!decode_object(d, plan, fields, pii, false)) return false;
  if (!finish_record(d, plan, fields)) return false;
  *out = pv_record(fields, plan->n_fields);
  return true;
}

/* As-of semantics: an event after `now` is invisible to the model. */
static bool in_future(Dec *d, const PDecodePlan *plan, PValue rec, bool pii) {
  if (plan->at_field < 0 || (uint32_t)plan->at_field >= plan->n_fields) return false;
  PValue at = rec.u.items[plan->at_field];
  if (!(at.kind == PV_TIME && at.u.i > d->now_us)) return false;
  if (d->out) { /* it becomes visible then */
    bool p = pii || plan->fields[plan->at_field].pii;
    int64_t *nv = p ? &d->out->next_visible_pii : &d->out->next_visible;
    if (at.u.i < *nv) *nv = at.u.i;
    if (d->nv_field && d->top_field >= 0) {
      int64_t *fv = &(p ? d->nv_field_pii : d->nv_field)[d->top_field];
      if (at.u.i < *fv) *fv = at.u.i;
    }
  }
  return true;
}

/* list<T> := '[' (value (',' value)*)? ']' */
static bool decode_list(Dec *d, const PDecodeType *t, bool pii, PValue *out) {
  if (peek(d) != '[') return fail_type_here(d, PDT_LIST, pii);
  if (d->depth + 1 > PDEC_MAX_DEPTH) return fail_depth(d, d->p);
  d->depth++;
  d->p++;
  uint32_t base = d->stack_top, index = 0;
  skip_ws(d);
  if (peek(d) == ']') {
    d->p++;
  } else {
    for (;;) {
      skip_ws(d);
      if (index >= PDEC_MAX_LIST)
        return fail_path(d, ERR_FATAL, "too_large", "list longer than the limit of %u elements", PDEC_MAX_LIST);
      push_index(d, index);
      PValue v;
      bool keep = true;
      if (t->elem->kind == PDT_RECORD) {
        if (!decode_record(d, t->elem->record, pii, &v)) return false;
        keep = !in_future(d, t->elem->record, v, pii);
      } else if (!decode_value(d, t->elem, pii, &v)) {
        return false;
      }
      d->path_len--;
      if (keep && !stack_push(d, v)) return false;
      index++;
      bool more;
      if (!after_item(d, ']', &more)) return false;
      if (!more) break;
    }
  }
  uint32_t n = d->stack_top - base;
  PValue *items = NULL;
  if (n) {
    items = pa_alloc(d->arena, (size_t)n * sizeof(PValue));
    if (!items) return fail_memory(d);
    memcpy(items, d->stack + base, (size_t)n * sizeof(PValue));
  }
  d->stack_top = base;
  d->depth--;
  *out = pv_list(items, n);
  return true;
}

/* A non-null value of type t at d->p. */
static bool decode_value(Dec *d, const PDecodeType *t, bool pii, PValue *out) {
  int c = peek(d);
  switch (t->kind) {
  case PDT_BOOL:
    if (c == 't' && d->end - d->p >= 4 && memcmp(d->p, "true", 4) == 0) {
      d->p += 4;
      *out = pv_bool(true);
      return true;
    }
    if (c == 'f' && d->end - d->p >= 5 && memcmp(d->p, "false", 5) == 0) {
      d->p += 5;
      *out = pv_bool(false);
      return true;
    }
    break;
  case PDT_INT:
    if (c == '-' || is_digit(c)) return decode_int(d, pii, out);
    break;
  case PDT_NUMBER:
    if (c == '-' || is_digit(c)) return decode_number(d, pii, out);
    break;
  case PDT_STRING:
    if (c == '"') {
      const char *s, *tok;
      size_t len;
      if (!read_string(d, &s, &len, &tok)) return false;
      *out = pv_string(s, (uint32_t)len);
      return true;
    }
    break;
  case PDT_TIME:
  case PDT_TIME_MS:
  case PDT_DURATION:
    if (c == '"' || c == '-' || is_digit(c)) return decode_instant(d, t->kind, pii, out);
    break;
  case PDT_LIST: return decode_list(d, t, pii, out);
  case PDT_RECORD: return decode_record(d, t->record, pii, out);
  }
  return fail_type_here(d, t->kind, pii);
}

/* Looks up a key; keys with escapes are decoded first ("\u0069d" is "id"). */
static bool lookup_key(Dec *d, const PDecodePlan *plan, const char *cs, const char *ce, bool esc,
                       uint32_t *hint, int *idx) {
  if (!esc) {
    *idx = pdec_find_field(plan, cs, (size_t)(ce - cs), hint);
    return true;
  }
  const char *key;
  size_t len;
  switch (unescape(d, cs, ce, &key, &len)) {
  case UNESC_OK: *idx = pdec_find_field(plan, key, len, hint); return true;
  case UNESC_MEMORY: return fail_memory(d);
  case UNESC_SURROGATE: break;
  }
  return fail_syntax(d, cs - 1, "lone UTF-16 surrogate in a key");
}

/* Fields decoded even when the model never reads them: the key (results
 * carry it) and a record's `at` (the as-of filter needs it). */
static bool always_decoded(const PDecodePlan *plan, int idx) {
  return idx == plan->key_field || idx == plan->at_field;
}

/* Whether the value of field idx is skipped rather than decoded. */
static bool skip_field(const Dec *d, const PDecodePlan *plan, int idx, bool top) {
  if (idx < 0) return true;
  if (d->recovering) return !(top && idx == plan->key_field);
  return !plan->fields[idx].used && !always_decoded(plan, idx);
}

/* object := '{' (key ':' value (',' key ':' value)*)? '}' into fields[];
 * fields not seen stay MARK_ABSENT, explicit nulls become MARK_NULL. A later
 * duplicate key replaces an earlier one. */
static bool decode_object(Dec *d, const PDecodePlan *plan, PValue *fields, bool pii, bool top) {
  if (d->depth + 1 > PDEC_MAX_DEPTH) return fail_depth(d, d->p);
  d->depth++;
  d->p++;
  for (uint32_t i = 0; i < plan->n_fields; i++) fields[i].kind = MARK_ABSENT;
  uint32_t hint = 0;
  skip_ws(d);
  if (peek(d) == '}') {
    d->p++;
    d->depth--;
    return true;
  }
  for (;;) {
    skip_ws(d);
    if (peek(d) != '"') return fail_syntax(d, d->p, "expected a string key");
    int idx = match_expected(plan, d->p, d->end, &hint);
    if (idx >= 0) {
      d->p += plan->fields[idx].name_len + 2;
    } else {
      const char *cs = NULL, *ce = NULL;
      bool esc = false;
      if (!scan_string(d, &cs, &ce, &esc)) return false;
      if (!lookup_key(d, plan, cs, ce, esc, &hint, &idx)) return false;
    }
    skip_ws(d);
    if (peek(d) != ':') return fail_syntax(d, d->p, "expected ':'");
    d->p++;
    skip_ws(d);
    const char *vstart = d->p;
    if (skip_field(d, plan, idx, top)) {
      if (!skip_value(d)) return false;
    } else if (peek(d) == 'n') {
      if (!scan_literal(d, "null", 4)) return false;
      fields[idx].kind = MARK_NULL;
    } else {
      const PDecodeField *f = &plan->fields[idx];
      int saved_path = d->path_len;
      push_field(d, f);
      if (top) d->top_field = (int)idx; /* next_change: the field a future event is in */
      bool ok = decode_value(d, &f->type, pii || f->pii, &fields[idx]);
      if (top) d->top_field = -1;
      if (ok) {
        d->path_len = saved_path;
        if (top && idx == plan->key_field) d->out->key = fields[idx];
      } else {
        if (!top || d->err == ERR_FATAL) return false;
        /* A value error in the profile: note it, then read on for the
         * key (and to validate the rest of the text). */
        d->recovering = true;
        d->p = vstart;
        d->depth = 1;
        d->path_len = 0;
        d->stack_top = 0;
        if (!skip_value(d)) return false;
      }
    }
    bool more;
    if (!after_item(d, '}', &more)) return false;
    if (!more) break;
  }
  d->depth--;
  return true;
}

/* Absent and null fields: default, null, or an error. */
static bool finish_record(Dec *d, const PDecodePlan *plan, PValue *fields) {
  for (uint32_t i = 0; i < plan->n_fields; i++) {
    PValue *v = &fields[i];
    if (v->kind != MARK_ABSENT && v->kind != MARK_NULL) continue;
    const PDecodeField *f = &plan->fields[i];
    bool was_null = v->kind == MARK_NULL;
    if (f->has_default) {
      *v = f->default_value;
    } else if (f->optional || (!f->used && !always_decoded(plan, (int)i))) {
      /* Unused fields are not checked: the model never reads them. */
      *v = pv_null();
    } else if (was_null) {
      push_field(d, f);
      return fail_path(d, ERR_VALUE, "missing_field", "required field is null");
    } else {
      /* The message names the field after the record's path; the field
       * path is the missing field's own. */
      char rec[192], field[192], full[sizeof d->out->error];
      render_path(d, rec, sizeof rec);
      push_field(d, f);
      render_path(d, field, sizeof field);
      d->path_len--;
      snprintf(full, sizeof full, "%s%smissing required field '%.*s'", rec, rec[0] ? ": " : "", (int)f->name_len,
               f->name);
      return set_error_at(d, ERR_VALUE, "missing_field", field, full);
    }
  }
  return true;
}

static const char *json_type_name(int c) {
  switch (c) {
  case '[': return "an array";
  case '"': return "a string";
  case 't': case 'f': return "a boolean";
  case 'n': return "null";
  default: return "a number";
  }
}

/* The text starts with `c`, not '{': malformed, or "not an object" when
 * it is well-formed JSON (`not json` is malformed, not null). */
static bool fail_not_object(Dec *d, int c) {
  if (c != '[' && c != '"' && c != 't' && c != 'f' && c != 'n' && c != '-' && !is_digit(c))
    return fail_syntax(d, d->p, "expected '{'");
  if (!skip_value(d)) return false;
  skip_ws(d);
  if (d->p != d->end) return fail_syntax(d, d->p, "unexpected text after the value");
  char msg[64];
  snprintf(msg, sizeof msg, "expected a JSON object, got %s", json_type_name(c));
  return set_error(d, ERR_VALUE, "bad_json", msg);
}

bool pdec_decode(const PDecodePlan *plan, const char *json, size_t len, int64_t now_us,
                 PArena *arena, PDecodeResult *out) {
  return pdec_decode_tz(plan, json, len, now_us, NULL, arena, out);
}

/* The fast decoder reads only times with `Z` or an offset; a record with
 * a local time fails there and is read again here, with the zone. */
bool pdec_decode_tz(const PDecodePlan *plan, const char *json, size_t len, int64_t now_us,
                    GTimeZone *input_tz, PArena *arena, PDecodeResult *out) {
  return pdec_decode_tz_by_field(plan, json, len, now_us, input_tz, arena, out, NULL, NULL);
}

bool pdec_decode_tz_by_field(const PDecodePlan *plan, const char *json, size_t len, int64_t now_us,
                             GTimeZone *input_tz, PArena *arena, PDecodeResult *out, int64_t *nv_field,
                             int64_t *nv_field_pii) {
  PArenaMark mark = pa_mark(arena);
  if (pdec_decode_fast_nv(plan, json, len, now_us, arena, out, nv_field, nv_field_pii)) return true;
  pa_rewind(arena, mark);
  return pdec_decode_general_nv(plan, json, len, now_us, input_tz, arena, out, nv_field, nv_field_pii);
}

bool pdec_decode_general(const PDecodePlan *plan, const char *json, size_t len, int64_t now_us,
                         PArena *arena, PDecodeResult *out) {
  return pdec_decode_general_tz(plan, json, len, now_us, NULL, arena, out);
}

bool pdec_decode_general_tz(const PDecodePlan *plan, const char *json, size_t len, int64_t now_us,
                            GTimeZone *input_tz, PArena *arena, PDecodeResult *out) {
  return pdec_decode_general_nv(plan, json, len, now_us, input_tz, arena, out, NULL, NULL);
}

bool pdec_decode_general_nv(const PDecodePlan *plan, const char *json, size_t len, int64_t now_us,
                            GTimeZone *input_tz, PArena *arena, PDecodeResult *out, int64_t *nv_field,
                            int64_t *nv_field_pii) {
  Dec d = {.base = json, .p = json, .end = json + len, .arena = arena, .now_us = now_us, .out = out,
           .input_tz = input_tz, .top_field = -1, .nv_field = nv_field, .nv_field_pii = nv_field_pii};
  out->key = pv_null();
  out->next_visible = out->next_visible_pii = INT64_MAX;
  out->error[0] = '\0';
  out->error_code = NULL;
  out->error_field[0] = '\0';
  out->fields = pa_alloc(arena, (plan->n_fields ? plan->n_fields : 1) * sizeof(PValue));
  if (!out->fields) return fail_memory(&d);
  skip_ws(&d);
  int c = peek(&d);
  if (c < 0) return set_error(&d, ERR_VALUE, "bad_json", "empty record");
  if (c != '{') return fail_not_object(&d, c);
  if (!decode_object(&d, plan, out->fields, false, true)) return false;
  skip_ws(&d);
  if (d.p != d.end) return fail_syntax(&d, d.p, "unexpected text after the object");
  if (d.recovering) return false;
  return finish_record(&d, plan, out->fields);
}

/* ---- generic access ------------------------------------------------------------ */

/* Sets *which to the index in keys[] of the scanned key [cs, ce), or -1. */
static bool match_span_key(Dec *d, const char *cs, const char *ce, bool esc,
                           const char *const *keys, size_t n_keys, long *which,
                           PDecodeKeyFn on_key, void *user) {
  const char *key = cs;
  size_t len = (size_t)(ce - cs);
  if (esc) {
    switch (unescape(d, cs, ce, &key, &len)) {
    case UNESC_OK: break;
    case UNESC_MEMORY: return fail_memory(d);
    case UNESC_SURROGATE: return fail_syntax(d, cs - 1, "lone UTF-16 surrogate in a key");
    }
  }
  if (on_key) on_key(user, key, len);
  *which = -1;
  for (size_t i = 0; i < n_keys; i++)
    if (strlen(keys[i]) == len && memcmp(keys[i], key, len) == 0) *which = (long)i;
  return true;
}

/* object := '{' (key ':' value (',' key ':' value)*)? '}', every value
 * skipped (so validated) and the wanted ones noted. */
static bool scan_spans(Dec *d, const char *const *keys, size_t n_keys, PDecodeSpan *spans,
                       PDecodeKeyFn on_key, void *user) {
  skip_ws(d);
  int c = peek(d);
  if (c < 0) return set_error(d, ERR_VALUE, "bad_json", "empty text");
  if (c != '{') return fail_not_object(d, c);
  d->depth = 1;
  d->p++;
  skip_ws(d);
  if (peek(d) == '}') {
    d->p++;
  } else {
    for (;;) {
      skip_ws(d);
      if (peek(d) != '"') return fail_syntax(d, d->p, "expected a string key");
      const char *cs = NULL, *ce = NULL;
      bool esc = false;
      long which = -1;
      if (!scan_string(d, &cs, &ce, &esc)) return false;
      if (!match_span_key(d, cs, ce, esc, keys, n_keys, &which, on_key, user)) return false;
      skip_ws(d);
      if (peek(d) != ':') return fail_syntax(d, d->p, "expected ':'");
      d->p++;
      skip_ws(d);
      const char *vstart = d->p;
      if (!skip_value(d)) return false;
      if (which >= 0)
        spans[which] = (PDecodeSpan){(size_t)(vstart - d->base), (size_t)(d->p - vstart), true};
      skip_ws(d);
      c = peek(d);
      if (c == ',') {
        d->p++;
        continue;
      }
      if (c == '}') {
        d->p++;
        break;
      }
      return fail_syntax(d, d->p, "expected ',' or '}'");
    }
  }
  d->depth = 0;
  skip_ws(d);
  if (d->p != d->end) return fail_syntax(d, d->p, "unexpected text after the object");
  return true;
}

bool pdec_object_spans(const char *json, size_t len, const char *const *keys, size_t n_keys,
                       PDecodeSpan *spans_out, char *error, size_t error_size) {
  PDecodeResult res;
  PArena arena; /* only for keys with escapes */
  res.error[0] = '\0';
  pa_init(&arena, 0);
  Dec d = {.base = json, .p = json, .end = json + len, .arena = &arena, .out = &res, .top_field = -1};
  for (size_t i = 0; i < n_keys; i++) spans_out[i] = (PDecodeSpan){0, 0, false};
  bool ok = scan_spans(&d, keys, n_keys, spans_out, NULL, NULL);
  pa_free(&arena);
  if (!ok && error && error_size) g_strlcpy(error, res.error, error_size);
  return ok;
}

bool pdec_object_keys(const char *json, size_t len, PDecodeKeyFn on_key, void *user, char *error,
                      size_t error_size) {
  PDecodeResult res;
  PArena arena; /* only for keys with escapes */
  res.error[0] = '\0';
  pa_init(&arena, 0);
  Dec d = {.base = json, .p = json, .end = json + len, .arena = &arena, .out = &res, .top_field = -1};
  bool ok = scan_spans(&d, NULL, 0, NULL, on_key, user);
  pa_free(&arena);
  if (!ok && error && error_size) g_strlcpy(error, res.error, error_size);
  return ok;
}

bool pdec_scalar(const char *json, size_t len, PDecodeKind kind, PArena *arena, PValue *out,
                 char *error, size_t error_size) {
  PDecodeResult res;
  res.error[0] = '\0';
  Dec d = {.base = json, .p = json, .end = json + len, .arena = arena, .out = &res, .top_field = -1};
  const PDecodeType type = {kind, NULL, NULL};
  bool ok;
  skip_ws(&d);
  if (kind == PDT_LIST || kind == PDT_RECORD) {
    ok = set_error(&d, ERR_FATAL, "bad_json", "pdec_scalar: not a scalar kind");
  } else if (peek(&d) < 0) {
    ok = set_error(&d, ERR_VALUE, "bad_json", "empty text");
  } else {
    const char *start = d.p;
    ok = decode_value(&d, &type, false, out);
    if (!ok && d.err == ERR_VALUE) {
      /* As in pdec_decode(): malformed text wins over a wrong value. */
      d.p = start;
      if (skip_value(&d)) skip_ws(&d);
    } else {
      skip_ws(&d);
    }
    if (d.err != ERR_FATAL && d.p != d.end) ok = fail_syntax(&d, d.p, "unexpected text after the value");
  }
  if (!ok && error && error_size) g_strlcpy(error, res.error, error_size);
  return ok;
}

/* ---- a record reduced to the fields a model reads ------------------------------------ */

/* The decoder's own rule: what decode_object() does not skip. */
static bool field_read(const PDecodePlan *plan, uint32_t i) {
  return plan->fields[i].used || always_decoded(plan, (int)i);
}

static void reduce_value(Dec *d, const PDecodeType *t, GString *out);

/* An object of `plan` (well-formed, at '{'): its read fields in the order
 * written, repeated keys included (decoding checks every occurrence and
 * keeps the last, so the reduced object decodes to the same values and
 * fails with the same message), each value reduced by its type. */
static void reduce_object(Dec *d, const PDecodePlan *plan, GString *out) {
  const char **names = g_new0(const char *, plan->n_fields + 1);
  for (uint32_t i = 0; i < plan->n_fields; i++) names[i] = plan->fields[i].name;
  d->p++; /* '{' */
  skip_ws(d);
  g_string_append_c(out, '{');
  bool first = true;
  while (peek(d) == '"') {
    const char *cs = NULL, *ce = NULL;
    bool esc = false;
    long which = -1;
    scan_string(d, &cs, &ce, &esc);
    match_span_key(d, cs, ce, esc, names, plan->n_fields, &which, NULL, NULL);
    skip_ws(d);
    d->p++; /* ':' */
    skip_ws(d);
    if (which >= 0 && field_read(plan, (uint32_t)which)) {
      if (!first) g_string_append_c(out, ',');
      first = false;
      pjw_string(out, plan->fields[which].name, plan->fields[which].name_len);
      g_string_append_c(out, ':');
      reduce_value(d, &plan->fields[which].type, out);
    } else {
      skip_value(d);
    }
    skip_ws(d);
    if (peek(d) == ',') d->p++;
    skip_ws(d);
  }
  d->p++; /* '}' */
  g_string_append_c(out, '}');
  g_free(names);
}

/* One value: records and lists of them are reduced, anything else (and a
 * value of the wrong JSON type, which evaluation refuses the same way) is
 * copied byte for byte. */
static void reduce_value(Dec *d, const PDecodeType *t, GString *out) {
  skip_ws(d);
  int c = peek(d);
  if (t->kind == PDT_RECORD && c == '{') {
    reduce_object(d, t->record, out);
    return;
  }
  if (t->kind == PDT_LIST && c == '[' && (t->elem->kind == PDT_RECORD || t->elem->kind == PDT_LIST)) {
    d->p++;
    g_string_append_c(out, '[');
    skip_ws(d);
    bool first = true;
    while (peek(d) != ']') {
      if (!first) g_string_append_c(out, ',');
      first = false;
      reduce_value(d, t->elem, out);
      skip_ws(d);
      if (peek(d) == ',') d->p++;
      skip_ws(d);
    }
    d->p++;
    g_string_append_c(out, ']');
    return;
  }
  const char *start = d->p;
  skip_value(d);
  g_string_append_len(out, start, d->p - start);
}

bool pdec_reduce(const PDecodePlan *plan, const char *json, size_t len, GString *out, char *error,
                 size_t error_size) {
  /* Validate the whole text first; the reduction then reads well-formed JSON. */
  if (!pdec_object_keys(json, len, NULL, NULL, error, error_size)) return false;
  PDecodeResult res;
  PArena arena; /* only for keys with escapes */
  res.error[0] = '\0';
  pa_init(&arena, 0);
  Dec d = {.base = json, .p = json, .end = json + len, .arena = &arena, .out = &res, .top_field = -1};
  skip_ws(&d);
  reduce_object(&d, plan, out);
  pa_free(&arena);
  return true;
}
