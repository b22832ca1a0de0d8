/* builtins.c - the standard library of spec section 5.2; see builtins.h.
 *
 * Conventions shared by every function here:
 * - Arguments are never null (the checker rejects T? arguments), but a
 *   `number` parameter may receive a PV_INT when the caller did not widen
 *   it; num_arg() accepts both.
 * - A function that fails writes a message naming itself and the bad
 *   value into ctx->error and returns false; the VM turns that into a
 *   runtime error of the record. Results are never NaN or infinite (they
 *   have no JSON form): those cases are errors.
 * - Strings are (pointer, byte length) of valid UTF-8 that may contain
 *   U+0000. Since UTF-8 is self-synchronising, byte-wise search for a
 *   valid UTF-8 needle only ever matches at code point boundaries, so
 *   contains/replace/split work on bytes.
 * - Memory for results comes from ctx->arena; a result equal to (a slice
 *   of) an argument is returned without a copy.
 * - Time is UTC microseconds; calendar fields are computed here with
 *   integer arithmetic and never depend on TZ.
 */
#include "builtins.h"

#include <glib.h>
#include <inttypes.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../runtime/ptime.h"

#define US_PER_HOUR (INT64_C(3600) * PV_USEC_PER_SEC)
#define US_PER_DAY (INT64_C(86400) * PV_USEC_PER_SEC)

/* ---- helpers ------------------------------------------------------------ */

G_GNUC_PRINTF(2, 3)
static bool fail(PCallCtx *ctx, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ctx->error, sizeof ctx->error, fmt, ap);
  va_end(ap);
  return false;
}

static bool fail_oom(PCallCtx *ctx) {
  return fail(ctx, "out of memory for this record");
}

/* A number parameter: the VM normally widens ints first, but accepting
 * both kinds costs nothing and keeps constant folding simple. */
static double num_arg(const PValue *v) {
  return v->kind == PV_INT ? (double)v->u.i : v->u.n;
}

/* A string's bytes; never NULL, so that memcmp/memcpy and pointer
 * arithmetic stay defined for empty strings that carry no pointer. */
static const char *str_ptr(const PValue *v) {
  return v->u.s ? v->u.s : "";
}

/* Shortest text that reads back as d, for error messages. Uses GLib's
 * locale-independent formatter, so the decimal point is always '.'. */
typedef struct { char s[G_ASCII_DTOSTR_BUF_SIZE]; } NumText;

static NumText num_text(double d) {
  NumText t;
  if (d == 0) d = 0.0; /* "-0" would only confuse */
  static const char *const formats[] = {"%.15g", "%.16g", "%.17g"};
  for (size_t i = 0; i < G_N_ELEMENTS(formats); i++) {
    g_ascii_formatd(t.s, sizeof t.s, formats[i], d);
    if (g_ascii_strtod(t.s, NULL) == d) break;
  }
  return t;
}

/* Argument k is pii: its value must not appear in a message. */
static bool hidden(const PCallCtx *ctx, uint32_t k) {
  return ctx->hide_args >> (k < 7 ? k : 7) & 1;
}

/* num_text() of argument k, or "(pii)". */
static NumText arg_num_text(const PCallCtx *ctx, uint32_t k, double d) {
  if (!hidden(ctx, k)) return num_text(d);
  NumText t;
  g_strlcpy(t.s, "(pii)", sizeof t.s);
  return t;
}

/* "(-4)": argument k in parentheses, or "(pii)". */
static NumText arg_num_paren(const PCallCtx *ctx, uint32_t k, double d) {
  NumText t;
  if (hidden(ctx, k)) g_strlcpy(t.s, "(pii)", sizeof t.s);
  else g_snprintf(t.s, sizeof t.s, "(%s)", num_text(d).s);
  return t;
}

/* An int argument k as decimal text, or "(pii)". */
static NumText arg_int_text(const PCallCtx *ctx, uint32_t k, int64_t x) {
  NumText t;
  if (hidden(ctx, k)) g_strlcpy(t.s, "(pii)", sizeof t.s);
  else g_snprintf(t.s, sizeof t.s, "%" PRId64, x);
  return t;
}

/* Quotes user text for an error message like a JSON string, cut to a
 * readable length at a code point boundary. */
static void quote_text(const char *s, uint32_t len, char *buf, size_t size) {
  enum { SHOWN = 60 };
  size_t o = 0;
  buf[o++] = '"';
  uint32_t i = 0;
  for (; i < len && i < SHOWN; i++) {
    unsigned char c = (unsigned char)s[i];
    if (o + 8 >= size) break;
    if (c == '"' || c == '\\') {
      buf[o++] = '\\';
      buf[o++] = (char)c;
    } else if (c < 0x20) {
      o += (size_t)snprintf(buf + o, size - o, "\\u%04x", c);
    } else {
      buf[o++] = (char)c;
    }
  }
  if (i < len) {
    /* Do not leave half a UTF-8 sequence behind: drop the bytes copied of
     * the character that s[i] continues. */
    uint32_t j = i;
    while (j > 0 && ((unsigned char)s[j] & 0xC0) == 0x80) j--;
    o -= i - j;
    memcpy(buf + o, "\xE2\x80\xA6", 3); /* … */
    o += 3;
  }
  buf[o++] = '"';
  buf[o] = '\0';
}

/* Byte offset of the first occurrence of needle in hay at or after
 * `from`, or -1. needle is non-empty. */
static int64_t find_bytes(const char *hay, uint32_t hay_len, uint32_t from,
                          const char *needle, uint32_t needle_len) {
  if (needle_len > hay_len) return -1;
  uint32_t last = hay_len - needle_len; /* last possible start */
  const char *p = hay + from;
  while (from <= last) {
    const char *hit = memchr(p, needle[0], last - from + 1);
    if (!hit) return -1;
    uint32_t at = (uint32_t)(hit - hay);
    if (memcmp(hit, needle, needle_len) == 0) return at;
    from = at + 1;
    p = hay + from;
  }
  return -1;
}

/* ---- strings ------------------------------------------------------------ */

/* len(s): code points, i.e. bytes that are not UTF-8 continuation bytes. */
static bool bi_len_string(PCallCtx *ctx, const PValue *a, uint32_t n,
                          const void *aux, PValue *out) {
  const unsigned char *s = (const unsigned char *)str_ptr(&a[0]);
  int64_t count = 0;
  for (uint32_t i = 0; i < a[0].len; i++) count += (s[i] & 0xC0) != 0x80;
  *out = pv_int(count);
  return true;
}

static bool bi_len_list(PCallCtx *ctx, const PValue *a, uint32_t n,
                        const void *aux, PValue *out) {
  *out = pv_int(a[0].len);
  return true;
}

/* Decodes the code point starting at s[i] (valid UTF-8); *size gets its
 * byte length. */
static gunichar utf8_at(const unsigned char *s, uint32_t i, uint32_t *size) {
  unsigned char c = s[i];
  if (c < 0x80) { *size = 1; return c; }
  if (c < 0xE0) { *size = 2; return ((gunichar)(c & 0x1F) << 6) | (s[i + 1] & 0x3F); }
  if (c < 0xF0) {
    *size = 3;
    return ((gunichar)(c & 0x0F) << 12) | ((gunichar)(s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F);
  }
  *size = 4;
  return ((gunichar)(c & 0x07) << 18) | ((gunichar)(s[i + 1] & 0x3F) << 12) |
         ((gunichar)(s[i + 2] & 0x3F) << 6) | (s[i + 3] & 0x3F);
}

/* Case mapping. g_utf8_strup/strdown give the full Unicode mapping ("ß"
 * -> "SS", final sigma), but they also read LC_CTYPE on every call and
 * switch to Turkic or Lithuanian rules under tr/az/lt locales, and they
 * stop at U+0000. So GLib only ever sees runs of non-ASCII characters
 * that no locale rule touches; ASCII (where the Turkic dotted/dotless i
 * rules live), U+0000 and the few locale- or context-dependent
 * characters are mapped here, by the root (locale-free) rules. */

/* The non-ASCII characters GLib maps differently under some locale, plus
 * capital sigma, whose lower case depends on the next character (which
 * may lie outside the run given to GLib). */
static bool case_special(gunichar c, bool up) {
  if (up) return false; /* upper case rules of tr/az/lt all start at ASCII 'i' */
  switch (c) {
  case 0x00CC: case 0x00CD: case 0x0128: case 0x012E: /* Lithuanian Ì Í Ĩ Į */
  case 0x0130:                                        /* İ */
  case 0xFF29: case 0xFF2A:                           /* fullwidth I J */
  case 0x03A3:                                        /* Σ */
    return true;
  default:
    return false;
  }
}

/* Root lower case of a case_special() character c; `end` is the offset
 * just after it in s[0..len). */
static void case_special_lower(GString *acc, gunichar c, const unsigned char *s,
                               uint32_t len, uint32_t end) {
  if (c == 0x0130) {
    g_string_append(acc, "i\xCC\x87"); /* SpecialCasing: i + COMBINING DOT ABOVE */
  } else if (c == 0x03A3) {
    /* Final sigma unless a letter follows, GLib's and ICU's test. */
    gunichar next = 0;
    uint32_t size;
    if (end < len) next = utf8_at(s, end, &size);
    g_string_append_unichar(acc, g_unichar_isalpha(next) ? 0x03C3 : 0x03C2);
  } else {
    g_string_append_unichar(acc, g_unichar_tolower(c));
  }
}

/* GLib honours the length for most characters, but some rules (marks
 * after U+0345 in upper case) read on until a NUL: give it a terminated
 * copy of the run, on the stack when it is short. */
static void glib_case_run(GString *acc, const unsigned char *s, uint32_t len, bool up) {
  char small[256];
  char *run = len < sizeof small ? small : g_malloc((gsize)len + 1);
  memcpy(run, s, len);
  run[len] = '\0';
  gchar *m = up ? g_utf8_strup(run, (gssize)len) : g_utf8_strdown(run, (gssize)len);
  g_string_append(acc, m);
  g_free(m);
  if (run != small) g_free(run);
}

/* The general path: returns a g_malloc'd string of *out_len bytes. */
static gchar *case_map_unicode(const unsigned char *s, uint32_t len, bool up,
                               size_t *out_len) {
  GString *acc = g_string_sized_new((gsize)len + 16);
  uint32_t i = 0;
  while (i < len) {
    if (s[i] < 0x80) {
      g_string_append_c(acc, up ? g_ascii_toupper((gchar)s[i]) : g_ascii_tolower((gchar)s[i]));
      i++;
      continue;
    }
    uint32_t size;
    gunichar c = utf8_at(s, i, &size);
    if (case_special(c, up)) {
      case_special_lower(acc, c, s, len, i + size);
      i += size;
      continue;
    }
    /* A maximal run of ordinary non-ASCII characters goes to GLib. */
    uint32_t run = i + size;
    while (run < len && s[run] >= 0x80) {
      uint32_t sz;
      if (case_special(utf8_at(s, run, &sz), up)) break;
      run += sz;
    }
    glib_case_run(acc, s + i, run - i, up);
    i = run;
  }
  *out_len = acc->len;
  return g_string_free(acc, FALSE);
}

static bool case_map(PCallCtx *ctx, const PValue *v, bool up, PValue *out) {
  const unsigned char *s = (const unsigned char *)str_ptr(v);
  uint32_t len = v->len;
  bool ascii = true, changes = false;
  for (uint32_t i = 0; i < len; i++) {
    if (s[i] >= 0x80) { ascii = false; break; }
    changes |= up ? (s[i] >= 'a' && s[i] <= 'z') : (s[i] >= 'A' && s[i] <= 'Z');
  }
  if (ascii) {
    /* Fast path: no GLib, and no copy when nothing changes. */
    if (!changes) { *out = *v; return true; }
    char *p = pa_alloc(ctx->arena, len);
    if (!p) return fail_oom(ctx);
    for (uint32_t i = 0; i < len; i++)
      p[i] = up ? g_ascii_toupper((gchar)s[i]) : g_ascii_tolower((gchar)s[i]);
    *out = pv_string(p, len);
    return true;
  }
  size_t glen;
  gchar *g = case_map_unicode(s, len, up, &glen);
  if (glen > UINT32_MAX) {
    g_free(g);
    return fail(ctx, "%s(): the result is longer than 4294967295 bytes", up ? "upper" : "lower");
  }
  char *p = pa_alloc(ctx->arena, glen);
  if (!p) {
    g_free(g);
    return fail_oom(ctx);
  }
  memcpy(p, g, glen);
  g_free(g);
  *out = pv_string(p, (uint32_t)glen);
  return true;
}

static bool bi_lower(PCallCtx *ctx, const PValue *a, uint32_t n,
                     const void *aux, PValue *out) {
  return case_map(ctx, &a[0], false, out);
}

static bool bi_upper(PCallCtx *ctx, const PValue *a, uint32_t n,
                     const void *aux, PValue *out) {
  return case_map(ctx, &a[0], true, out);
}

/* The Unicode White_Space property (PropList.txt), fixed here rather than
 * taken from GLib so that trim() cannot change with the GLib version.
 * Not included: U+200B ZERO WIDTH SPACE and U+FEFF, which are not White_Space. */
static bool is_white_space(gunichar c) {
  if (c <= 0x20) return c == 0x20 || (c >= 0x09 && c <= 0x0D);
  if (c < 0x85) return false;
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
         c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* trim(s): a slice of s without White_Space at either end; no copy. */
static bool bi_trim(PCallCtx *ctx, const PValue *a, uint32_t n,
                    const void *aux, PValue *out) {
  const unsigned char *s = (const unsigned char *)str_ptr(&a[0]);
  uint32_t start = 0, end = a[0].len, size;
  while (start < end && is_white_space(utf8_at(s, start, &size))) start += size;
  while (end > start) {
    uint32_t i = end - 1;
    while (i > start && (s[i] & 0xC0) == 0x80) i--; /* start of last char */
    if (!is_white_space(utf8_at(s, i, &size))) break;
    end = i;
  }
  *out = pv_string(str_ptr(&a[0]) + start, end - start);
  return true;
}

static bool bi_contains(PCallCtx *ctx, const PValue *a, uint32_t n,
                        const void *aux, PValue *out) {
  bool hit = a[1].len == 0 ||
             find_bytes(str_ptr(&a[0]), a[0].len, 0, str_ptr(&a[1]), a[1].len) >= 0;
  *out = pv_bool(hit);
  return true;
}

static bool bi_starts_with(PCallCtx *ctx, const PValue *a, uint32_t n,
                           const void *aux, PValue *out) {
  bool hit = a[1].len <= a[0].len && memcmp(str_ptr(&a[0]), str_ptr(&a[1]), a[1].len) == 0;
  *out = pv_bool(hit);
  return true;
}

static bool bi_ends_with(PCallCtx *ctx, const PValue *a, uint32_t n,
                         const void *aux, PValue *out) {
  bool hit = a[1].len <= a[0].len &&
             memcmp(str_ptr(&a[0]) + (a[0].len - a[1].len), str_ptr(&a[1]), a[1].len) == 0;
  *out = pv_bool(hit);
  return true;
}

/* ---- regular expressions: PCRE2 with every match's work counted ------------------ */

typedef struct PRegex {
  pcre2_code *code;
  char *pattern; /* as written, for the bytecode writer */
} PRegex;

/* One match in progress: the work so far, and what to charge it to. */
typedef struct RegexRun {
  PCallCtx *ctx;
  uint64_t work, limit, charged;
  PCRE2_SIZE last_pos;
  bool over_limit, stopped; /* stopped: the budget or the interrupt hook */
} RegexRun;

enum { REGEX_CHARGE_EVERY = 4096 };

static int regex_count_work(pcre2_callout_block *cb, void *data) {
  RegexRun *r = data;
  PCRE2_SIZE pos = cb->current_position;
  r->work += 1 + (pos > r->last_pos ? pos - r->last_pos : r->last_pos - pos);
  r->last_pos = pos;
  if (r->work > r->limit) {
    r->over_limit = true;
    return PCRE2_ERROR_CALLOUT;
  }
  if (r->ctx->charge && r->work - r->charged >= REGEX_CHARGE_EVERY) {
    uint64_t units = r->work - r->charged;
    r->charged = r->work;
    if (!r->ctx->charge(r->ctx, units)) {
      r->stopped = true;
      return PCRE2_ERROR_CALLOUT;
    }
  }
  return 0;
}

/* Searches s for re; false (ctx->error set) when the match could not be
 * run to its end within the limits. */
static bool regex_search(PCallCtx *ctx, const void *regex, const char *s, uint32_t len, bool *hit) {
  const PRegex *re = regex;
  RegexRun run = {.ctx = ctx, .limit = PB_REGEX_WORK_BASE + (uint64_t)PB_REGEX_WORK_PER_BYTE * len};
  pcre2_match_context *mc = pcre2_match_context_create(NULL);
  pcre2_match_data *md = pcre2_match_data_create(1, NULL);
  if (!mc || !md) {
    pcre2_match_context_free(mc);
    pcre2_match_data_free(md);
    return fail_oom(ctx);
  }
  pcre2_set_callout(mc, regex_count_work, &run);
  pcre2_set_depth_limit(mc, PB_REGEX_DEPTH_LIMIT);
  pcre2_set_heap_limit(mc, PB_REGEX_HEAP_LIMIT_KIB);
  /* Strings of a record are valid UTF-8 (the decoder checked them). */
  int rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, 0, PCRE2_NO_UTF_CHECK, md, mc);
  pcre2_match_data_free(md);
  pcre2_match_context_free(mc);
  if (rc >= 0 || rc == PCRE2_ERROR_NOMATCH) {
    *hit = rc >= 0;
    /* The rest of the work, so that the budget sees all of it. */
    if (ctx->charge && run.work > run.charged && !ctx->charge(ctx, run.work - run.charged)) return false;
    return true;
  }
  if (run.stopped) return false; /* the message is the budget's or the hook's */
  if (run.over_limit)
    return fail(ctx, "matches(): the regular expression needs too much work on this text (more than %" G_GUINT64_FORMAT
                " steps)", run.limit);
  PCRE2_UCHAR msg[160];
  pcre2_get_error_message(rc, msg, sizeof msg);
  return fail(ctx, "matches(): the regular expression could not be run on this text (%s)", (const char *)msg);
}

/* matches(s, re): unanchored search, like grep. aux is the regex compiled
 * at load time; when it is missing (e.g. constant folding in the
 * compiler) the pattern in args[1] is compiled for this one call. */
static bool bi_matches(PCallCtx *ctx, const PValue *a, uint32_t n,
                       const void *aux, PValue *out) {
  void *own = NULL;
  const void *re = aux;
  if (!re) {
    char *msg = NULL;
    own = pbuiltin_regex_compile(str_ptr(&a[1]), a[1].len, &msg);
    if (!own) {
      fail(ctx, "matches(): %s", msg);
      g_free(msg);
      return false;
    }
    re = own;
  }
  bool hit = false;
  bool ok = regex_search(ctx, re, str_ptr(&a[0]), a[0].len, &hit);
  if (own) pbuiltin_regex_free(own);
  if (!ok) return false;
  *out = pv_bool(hit);
  return true;
}

/* replace(s, from, to): every non-overlapping occurrence, left to right. */
static bool bi_replace(PCallCtx *ctx, const PValue *a, uint32_t n,
                       const void *aux, PValue *out) {
  const PValue *s = &a[0], *from = &a[1], *to = &a[2];
  if (from->len == 0) { *out = *s; return true; }
  uint64_t count = 0;
  for (int64_t at = 0; (at = find_bytes(str_ptr(s), s->len, (uint32_t)at, str_ptr(from), from->len)) >= 0;
       at += from->len)
    count++;
  if (count == 0) { *out = *s; return true; }
  /* count <= 2^32 and to->len < 2^32, so this cannot overflow 64 bits. */
  uint64_t size = (uint64_t)s->len - count * from->len + count * to->len;
  if (size > UINT32_MAX)
    return fail(ctx, "replace(): the result is longer than 4294967295 bytes");
  char *p = pa_alloc(ctx->arena, (size_t)size);
  if (!p) return fail_oom(ctx);
  uint32_t src = 0;
  size_t o = 0;
  for (int64_t at; (at = find_bytes(str_ptr(s), s->len, src, str_ptr(from), from->len)) >= 0;) {
    memcpy(p + o, str_ptr(s) + src, (size_t)at - src);
    o += (size_t)at - src;
    memcpy(p + o, str_ptr(to), to->len);
    o += to->len;
    src = (uint32_t)at + from->len;
  }
  memcpy(p + o, str_ptr(s) + src, s->len - src);
  *out = pv_string(p, (uint32_t)size);
  return true;
}

/* split(s, sep): n separators give n + 1 slices of s, empty ones included
 * (adjacent separators, or a separator at either end). */
static bool bi_split(PCallCtx *ctx, const PValue *a, uint32_t n,
                     const void *aux, PValue *out) {
  const PValue *s = &a[0], *sep = &a[1];
  if (sep->len == 0) return fail(ctx, "split(): the separator is empty");
  uint64_t parts = 1;
  for (int64_t at = 0; (at = find_bytes(str_ptr(s), s->len, (uint32_t)at, str_ptr(sep), sep->len)) >= 0;
       at += sep->len)
    parts++;
  if (parts > UINT32_MAX) return fail(ctx, "split(): too many parts");
  PValue *items = pa_alloc(ctx->arena, (size_t)parts * sizeof *items);
  if (!items) return fail_oom(ctx);
  uint32_t k = 0, start = 0;
  for (int64_t at; (at = find_bytes(str_ptr(s), s->len, start, str_ptr(sep), sep->len)) >= 0;) {
    items[k++] = pv_string(str_ptr(s) + start, (uint32_t)at - start);
    start = (uint32_t)at + sep->len;
  }
  items[k++] = pv_string(str_ptr(s) + start, s->len - start);
  *out = pv_list(items, k);
  return true;
}

/* Byte order of UTF-8 is code point order, as for `<` on strings. */
static int cmp_strings(const void *pa, const void *pb) {
  const PValue *a = pa, *b = pb;
  uint32_t n = a->len < b->len ? a->len : b->len;
  int c = n ? memcmp(str_ptr(a), str_ptr(b), n) : 0;
  if (c) return c;
  return a->len < b->len ? -1 : a->len > b->len ? 1 : 0;
}

static bool bi_sort(PCallCtx *ctx, const PValue *a, uint32_t n,
                    const void *aux, PValue *out) {
  uint32_t len = a[0].len;
  PValue *items = pa_alloc(ctx->arena, (size_t)(len ? len : 1) * sizeof *items);
  if (!items) return fail_oom(ctx);
  if (len) memcpy(items, a[0].u.items, (size_t)len * sizeof *items);
  /* qsort is not stable, but equal strings are indistinguishable. */
  qsort(items, len, sizeof *items, cmp_strings);
  *out = pv_list(items, len);
  return true;
}

/* ---- numbers -------------------------------------------------------------- */

static bool bi_abs_int(PCallCtx *ctx, const PValue *a, uint32_t n,
                       const void *aux, PValue *out) {
  int64_t x = a[0].u.i;
  if (x == INT64_MIN) return fail(ctx, "abs(%s) overflows int", arg_int_text(ctx, 0, x).s);
  *out = pv_int(x < 0 ? -x : x);
  return true;
}

static bool bi_abs_num(PCallCtx *ctx, const PValue *a, uint32_t n,
                       const void *aux, PValue *out) {
  *out = pv_number(fabs(num_arg(&a[0])));
  return true;
}

static bool bi_min_int(PCallCtx *ctx, const PValue *a, uint32_t n,
                       const void *aux, PValue *out) {
  if (n < 2) return fail(ctx, "min() needs at least 2 arguments");
  int64_t r = a[0].u.i;
  for (uint32_t i = 1; i < n; i++) if (a[i].u.i < r) r = a[i].u.i;
  *out = pv_int(r);
  return true;
}

static bool bi_max_int(PCallCtx *ctx, const PValue *a, uint32_t n,
                       const void *aux, PValue *out) {
  if (n < 2) return fail(ctx, "max() needs at least 2 arguments");
  int64_t r = a[0].u.i;
  for (uint32_t i = 1; i < n; i++) if (a[i].u.i > r) r = a[i].u.i;
  *out = pv_int(r);
  return true;
}

static bool bi_min_num(PCallCtx *ctx, const PValue *a, uint32_t n,
                       const void *aux, PValue *out) {
  if (n < 2) return fail(ctx, "min() needs at least 2 arguments");
  double r = num_arg(&a[0]);
  for (uint32_t i = 1; i < n; i++) if (num_arg(&a[i]) < r) r = num_arg(&a[i]);
  *out = pv_number(r);
  return true;
}

static bool bi_max_num(PCallCtx *ctx, const PValue *a, uint32_t n,
                       const void *aux, PValue *out) {
  if (n < 2) return fail(ctx, "max() needs at least 2 arguments");
  double r = num_arg(&a[0]);
  for (uint32_t i = 1; i < n; i++) if (num_arg(&a[i]) > r) r = num_arg(&a[i]);
  *out = pv_number(r);
  return true;
}

/* round/floor/ceil of an int: already whole. */
static bool bi_int_identity(PCallCtx *ctx, const PValue *a, uint32_t n,
                            const void *aux, PValue *out) {
  *out = a[0];
  return true;
}

/* `+ 0.0` turns -0 into 0: round(-0.4) is 0, as a user expects. */
static bool bi_round(PCallCtx *ctx, const PValue *a, uint32_t n,
                     const void *aux, PValue *out) {
  *out = pv_number(round(num_arg(&a[0])) + 0.0);
  return true;
}

static bool bi_floor(PCallCtx *ctx, const PValue *a, uint32_t n,
                     const void *aux, PValue *out) {
  *out = pv_number(floor(num_arg(&a[0])) + 0.0);
  return true;
}

static bool bi_ceil(PCallCtx *ctx, const PValue *a, uint32_t n,
                    const void *aux, PValue *out) {
  *out = pv_number(ceil(num_arg(&a[0])) + 0.0);
  return true;
}

/* round(x, d): round(x * 10^d) / 10^d for d >= 0, round(x / 10^-d) * 10^-d
 * for d < 0, halves away from zero. 10^d is exact for |d| <= 15, so the
 * result is the double nearest to the decimal chosen from the binary
 * value of x: round(1.005, 2) is 1 because 1.005 is stored as
 * 1.00499999999999989…, exactly as in Python and JavaScript. When
 * x * 10^d is 2^52 or more, x has no digits at that precision and is
 * returned unchanged (rescaling would only add rounding noise). */
static bool bi_round_digits(PCallCtx *ctx, const PValue *a, uint32_t n,
                            const void *aux, PValue *out) {
  static const double pow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  double x = num_arg(&a[0]);
  int64_t d = a[1].u.i;
  if (d < -15 || d > 15)
    return fail(ctx, "round(): digits must be between -15 and 15 (got %s)", arg_int_text(ctx, 1, d).s);
  double p = pow10[d < 0 ? -d : d], r;
  if (d >= 0) {
    double scaled = x * p;
    r = fabs(scaled) >= 0x1p52 ? x : round(scaled) / p;
  } else {
    r = round(x / p) * p;
  }
  /* Only |x| near DBL_MAX with d < 0 can round up past the largest double. */
  if (!isfinite(r))
    return fail(ctx, "round(%s, %s) is too large for a number", arg_num_text(ctx, 0, x).s,
                arg_int_text(ctx, 1, d).s);
  *out = pv_number(r + 0.0);
  return true;
}

static bool bi_sqrt(PCallCtx *ctx, const PValue *a, uint32_t n,
                    const void *aux, PValue *out) {
  double x = num_arg(&a[0]);
  if (x < 0) return fail(ctx, "sqrt of a negative number %s", arg_num_paren(ctx, 0, x).s);
  *out = pv_number(sqrt(x));
  return true;
}

static bool bi_log(PCallCtx *ctx, const PValue *a, uint32_t n,
                   const void *aux, PValue *out) {
  double x = num_arg(&a[0]);
  if (x <= 0) return fail(ctx, "log of a number that is not positive %s", arg_num_paren(ctx, 0, x).s);
  *out = pv_number(log(x));
  return true;
}

static bool bi_exp(PCallCtx *ctx, const PValue *a, uint32_t n,
                   const void *aux, PValue *out) {
  double x = num_arg(&a[0]);
  double r = exp(x);
  if (isinf(r)) return fail(ctx, "exp(%s) is too large for a number", arg_num_text(ctx, 0, x).s);
  *out = pv_number(r);
  return true;
}

static bool bi_pow(PCallCtx *ctx, const PValue *a, uint32_t n,
                   const void *aux, PValue *out) {
  double x = num_arg(&a[0]), y = num_arg(&a[1]);
  if (x == 0 && y < 0)
    return fail(ctx, "pow(%s, %s) divides by zero", arg_num_text(ctx, 0, x).s, arg_num_text(ctx, 1, y).s);
  double r = pow(x, y);
  if (isnan(r))
    return fail(ctx, "pow(%s, %s) is not a real number", arg_num_text(ctx, 0, x).s,
                arg_num_text(ctx, 1, y).s);
  if (isinf(r))
    return fail(ctx, "pow(%s, %s) is too large for a number", arg_num_text(ctx, 0, x).s,
                arg_num_text(ctx, 1, y).s);
  *out = pv_number(r);
  return true;
}

static bool bi_clamp_int(PCallCtx *ctx, const PValue *a, uint32_t n,
                         const void *aux, PValue *out) {
  int64_t x = a[0].u.i, lo = a[1].u.i, hi = a[2].u.i;
  if (lo > hi)
    return fail(ctx, "clamp(): lower bound %s is greater than upper bound %s",
                arg_int_text(ctx, 1, lo).s, arg_int_text(ctx, 2, hi).s);
  *out = pv_int(x < lo ? lo : x > hi ? hi : x);
  return true;
}

static bool bi_clamp_num(PCallCtx *ctx, const PValue *a, uint32_t n,
                         const void *aux, PValue *out) {
  double x = num_arg(&a[0]), lo = num_arg(&a[1]), hi = num_arg(&a[2]);
  if (lo > hi)
    return fail(ctx, "clamp(): lower bound %s is greater than upper bound %s",
                arg_num_text(ctx, 1, lo).s, arg_num_text(ctx, 2, hi).s);
  *out = pv_number(x < lo ? lo : x > hi ? hi : x);
  return true;
}

/* 1 / (1 + e^-x), written so that exp() only ever sees a non-positive
 * argument: no overflow for large |x|, and the result stays in [0, 1]. */
static bool bi_sigmoid(PCallCtx *ctx, const PValue *a, uint32_t n,
                       const void *aux, PValue *out) {
  double x = num_arg(&a[0]);
  double r;
  if (x >= 0) {
    r = 1.0 / (1.0 + exp(-x));
  } else {
    double e = exp(x);
    r = e / (1.0 + e);
  }
  *out = pv_number(r);
  return true;
}

/* ---- time ------------------------------------------------------------------ */

/* (b - a) / unit; the int64 difference is exact, and its conversion to
 * double is exact for spans under 285 years. */
static double time_diff(int64_t a, int64_t b, int64_t unit) {
  int64_t d;
  if (__builtin_sub_overflow(b, a, &d)) return ((double)b - (double)a) / (double)unit;
  return (double)d / (double)unit;
}

static bool bi_days_between(PCallCtx *ctx, const PValue *a, uint32_t n,
                            const void *aux, PValue *out) {
  *out = pv_number(time_diff(a[0].u.i, a[1].u.i, US_PER_DAY));
  return true;
}

static bool bi_hours_between(PCallCtx *ctx, const PValue *a, uint32_t n,
                             const void *aux, PValue *out) {
  *out = pv_number(time_diff(a[0].u.i, a[1].u.i, US_PER_HOUR));
  return true;
}

static bool bi_date(PCallCtx *ctx, const PValue *a, uint32_t n,
                    const void *aux, PValue *out) {
  int64_t us;
  if (!ptime_parse(str_ptr(&a[0]), a[0].len, &us)) {
    char q[128];
    if (hidden(ctx, 0)) g_strlcpy(q, "(pii)", sizeof q);
    else quote_text(str_ptr(&a[0]), a[0].len, q, sizeof q);
    return fail(ctx, "date(): cannot read %s as a time", q);
  }
  *out = pv_time(us);
  return true;
}

/* Floor division and modulo, so instants before 1970 fall on the right
 * day and hour (C's / and % truncate toward zero). */
static int64_t floor_mod(int64_t x, int64_t m) {
  int64_t r = x % m;
  return r < 0 ? r + m : r;
}

static int64_t floor_div(int64_t x, int64_t m) {
  return x / m - (x % m < 0);
}

/* 1970-01-01 was a Thursday (4). */
static bool bi_weekday(PCallCtx *ctx, const PValue *a, uint32_t n,
                       const void *aux, PValue *out) {
  int64_t days = floor_div(a[0].u.i, US_PER_DAY);
  *out = pv_int(floor_mod(days + 3, 7) + 1);
  return true;
}

static bool bi_hour(PCallCtx *ctx, const PValue *a, uint32_t n,
                    const void *aux, PValue *out) {
  *out = pv_int(floor_mod(a[0].u.i, US_PER_DAY) / US_PER_HOUR);
  return true;
}

/* ---- masking: the only ways a pii value may leave the model ------------------ */

/* mask(s, keep_start, keep_end): the first keep_start and the last
 * keep_end characters kept, every other one written as '*', so the length
 * shows but the hidden characters do not. When the kept parts would
 * cover the whole text, everything is masked: mask never returns its
 * argument unchanged. */
static bool bi_mask(PCallCtx *ctx, const PValue *a, uint32_t n,
                    const void *aux, PValue *out) {
  int64_t keep_start = a[1].u.i, keep_end = a[2].u.i;
  if (keep_start < 0 || keep_end < 0)
    return fail(ctx, "mask(): the characters to keep must be 0 or more (got %s and %s)",
                arg_int_text(ctx, 1, keep_start).s, arg_int_text(ctx, 2, keep_end).s);
  const unsigned char *s = (const unsigned char *)str_ptr(&a[0]);
  uint32_t len = a[0].len;
  int64_t chars = 0;
  for (uint32_t i = 0; i < len; i++) chars += (s[i] & 0xC0) != 0x80;
  if (keep_start >= chars || keep_end >= chars - keep_start) keep_start = keep_end = 0;
  /* Bytes: the kept head, one '*' per hidden character, the kept tail. */
  uint32_t head = 0, tail = len;
  for (int64_t k = 0; k < keep_start; k++) {
    uint32_t size;
    utf8_at(s, head, &size);
    head += size;
  }
  for (int64_t k = 0; k < keep_end; k++) {
    tail--;
    while (tail > head && (s[tail] & 0xC0) == 0x80) tail--;
  }
  uint64_t stars = (uint64_t)(chars - keep_start - keep_end);
  uint64_t size = (uint64_t)head + stars + (len - tail);
  if (size > UINT32_MAX) return fail(ctx, "mask(): the result is longer than 4294967295 bytes");
  char *p = pa_alloc(ctx->arena, size ? (size_t)size : 1);
  if (!p) return fail_oom(ctx);
  memcpy(p, s, head);
  memset(p + head, '*', (size_t)stars);
  memcpy(p + head + stars, s + tail, len - tail);
  *out = pv_string(p, (uint32_t)size);
  return true;
}

/* The pseudonym key, read once per process from the environment; NULL
 * (with the reason in key_error) when none is configured. */
static GBytes *pseudonym_key;
static char *pseudonym_key_error;

static void pseudonym_key_load(void) {
  const char *k = g_getenv(PBUILTIN_PSEUDONYM_KEY_ENV);
  if (k && *k) {
    pseudonym_key = g_bytes_new(k, strlen(k));
    return;
  }
  const char *path = g_getenv(PBUILTIN_PSEUDONYM_KEY_FILE_ENV);
  if (!path || !*path) {
    pseudonym_key_error = g_strdup("pseudonym(): no key is configured: set " PBUILTIN_PSEUDONYM_KEY_ENV
                                   " or " PBUILTIN_PSEUDONYM_KEY_FILE_ENV);
    return;
  }
  gchar *text = NULL;
  gsize len = 0;
  GError *err = NULL;
  if (!g_file_get_contents(path, &text, &len, &err)) {
    pseudonym_key_error = g_strdup_printf("pseudonym(): cannot read the key file named by "
                                          PBUILTIN_PSEUDONYM_KEY_FILE_ENV ": %s", err->message);
    g_error_free(err);
    return;
  }
  /* One line break at the end is how editors save a file, not key. */
  if (len && text[len - 1] == '\n') len--;
  if (len && text[len - 1] == '\r') len--;
  if (len == 0) {
    pseudonym_key_error = g_strdup("pseudonym(): the key file named by " PBUILTIN_PSEUDONYM_KEY_FILE_ENV
                                   " is empty");
    g_free(text);
    return;
  }
  pseudonym_key = g_bytes_new_take(text, len);
}

static void pseudonym_key_once(void) {
  static gsize loaded = 0;
  if (g_once_init_enter(&loaded)) {
    pseudonym_key_load();
    g_once_init_leave(&loaded, 1);
  }
}

const void *pbuiltin_pseudonym_key(size_t *len, bool *configured, const char **error) {
  pseudonym_key_once();
  const char *k = g_getenv(PBUILTIN_PSEUDONYM_KEY_ENV), *f = g_getenv(PBUILTIN_PSEUDONYM_KEY_FILE_ENV);
  *configured = (k && *k) || (f && *f);
  *error = pseudonym_key_error;
  *len = 0;
  return pseudonym_key ? g_bytes_get_data(pseudonym_key, len) : NULL;
}

/* pseudonym(s): HMAC-SHA-256 of s under the configured key, as 64
 * lowercase hex digits: the same text gives the same pseudonym on every
 * run and machine that has the same key, and it cannot be computed (or
 * reversed by trying candidates) without the key. */
static bool bi_pseudonym(PCallCtx *ctx, const PValue *a, uint32_t n,
                         const void *aux, PValue *out) {
  pseudonym_key_once();
  if (!pseudonym_key) return fail(ctx, "%s", pseudonym_key_error);
  gsize klen = 0;
  const guchar *key = g_bytes_get_data(pseudonym_key, &klen);
  GHmac *h = g_hmac_new(G_CHECKSUM_SHA256, key, klen);
  g_hmac_update(h, (const guchar *)str_ptr(&a[0]), a[0].len);
  const gchar *hex = g_hmac_get_string(h);
  char *p = pa_alloc(ctx->arena, 64);
  if (!p) {
    g_hmac_unref(h);
    return fail_oom(ctx);
  }
  memcpy(p, hex, 64);
  g_hmac_unref(h);
  *out = pv_string(p, 64);
  return true;
}

/* ---- the table ------------------------------------------------------------- */

#define F PB_CONST_FOLDABLE
#define T1(a) 1, {a}
#define T2(a, b) 2, {a, b}
#define T3(a, b, c) 3, {a, b, c}

/* Overloads are consecutive; int overloads come before number ones, so an
 * all-int call keeps int precision and the result type int. */
const PBuiltin pbuiltins[] = {
  /* strings */
  {"len", T1(PBT_STRING), PBT_INT, false, F, bi_len_string,
   "len(s: string) -> int: number of characters (Unicode code points, not bytes)"},
  {"len", T1(PBT_LIST_ANY), PBT_INT, false, F, bi_len_list,
   "len(l: list<T>) -> int: number of elements (events after `now` are not in the list)"},
  {"lower", T1(PBT_STRING), PBT_STRING, false, F, bi_lower,
   "lower(s: string) -> string: `s` in lower case (Unicode)"},
  {"upper", T1(PBT_STRING), PBT_STRING, false, F, bi_upper,
   "upper(s: string) -> string: `s` in upper case (Unicode; `\"ß\"` becomes `\"SS\"`)"},
  {"trim", T1(PBT_STRING), PBT_STRING, false, F, bi_trim,
   "trim(s: string) -> string: `s` without Unicode white space at either end"},
  {"contains", T2(PBT_STRING, PBT_STRING), PBT_BOOL, false, F, bi_contains,
   "contains(s: string, sub: string) -> bool: `sub` occurs in `s` (always true for `\"\"`)"},
  {"starts_with", T2(PBT_STRING, PBT_STRING), PBT_BOOL, false, F, bi_starts_with,
   "starts_with(s: string, prefix: string) -> bool: `s` begins with `prefix` (case-sensitive)"},
  {"ends_with", T2(PBT_STRING, PBT_STRING), PBT_BOOL, false, F, bi_ends_with,
   "ends_with(s: string, suffix: string) -> bool: `s` ends with `suffix` (case-sensitive)"},
  {"matches", T2(PBT_STRING, PBT_STRING), PBT_BOOL, false, F | PB_REGEX_ARG1, bi_matches,
   "matches(s: string, re: string) -> bool: the regular expression `re` (Perl-compatible "
   "syntax) matches somewhere in `s`; anchor with `^…$`. `re` must be a constant string; an "
   "invalid pattern is a compile error"},
  {"replace", T3(PBT_STRING, PBT_STRING, PBT_STRING), PBT_STRING, false, F, bi_replace,
   "replace(s: string, from: string, to: string) -> string: every non-overlapping "
   "`from`, left to right, replaced by `to` (plain text, not a pattern)"},
  {"split", T2(PBT_STRING, PBT_STRING), PBT_LIST_STRING, false, F, bi_split,
   "split(s: string, sep: string) -> list<string>: the parts of `s` between "
   "separators, empty parts kept: `split(\"a,,b\", \",\")` is `[\"a\", \"\", \"b\"]`"},
  {"mask", T3(PBT_STRING, PBT_INT, PBT_INT), PBT_STRING, false, F | PB_MASKS, bi_mask,
   "mask(s: string, keep_start: int, keep_end: int) -> string: `s` with every character "
   "but the first `keep_start` and the last `keep_end` written as `*` (`mask(\"13812345678\", 3, 4)` "
   "is `\"138****5678\"`); all of them when those would cover `s`. The result is not pii: it may "
   "leave the model"},
  {"pseudonym", T1(PBT_STRING), PBT_STRING, false, PB_MASKS, bi_pseudonym,
   "pseudonym(s: string) -> string: HMAC-SHA-256 of `s` under the key in `$PERSONA_PSEUDONYM_KEY` "
   "(or the file named by `$PERSONA_PSEUDONYM_KEY_FILE`), 64 lowercase hex digits, stable across "
   "runs and machines with the same key; no key is a runtime error. The result is not pii: it "
   "may leave the model"},
  {"sort", T1(PBT_LIST_STRING), PBT_LIST_STRING, false, F, bi_sort,
   "sort(l: list<string>) -> list<string>: the strings in code point order"},

  /* numbers */
  {"abs", T1(PBT_INT), PBT_INT, false, F, bi_abs_int,
   "abs(x: int) -> int: absolute value"},
  {"abs", T1(PBT_NUMBER), PBT_NUMBER, false, F, bi_abs_num,
   "abs(x: number) -> number: absolute value"},
  {"min", T2(PBT_INT, PBT_INT), PBT_INT, false, F | PB_VARIADIC, bi_min_int,
   "min(a: int, b: int, …) -> int: the smallest of two or more arguments (over a list of records, `min` is an aggregate)"},
  {"min", T2(PBT_NUMBER, PBT_NUMBER), PBT_NUMBER, false, F | PB_VARIADIC, bi_min_num,
   "min(a: number, b: number, …) -> number: the smallest of two or more arguments"},
  {"max", T2(PBT_INT, PBT_INT), PBT_INT, false, F | PB_VARIADIC, bi_max_int,
   "max(a: int, b: int, …) -> int: the largest of two or more arguments (over a list of records, `max` is an aggregate)"},
  {"max", T2(PBT_NUMBER, PBT_NUMBER), PBT_NUMBER, false, F | PB_VARIADIC, bi_max_num,
   "max(a: number, b: number, …) -> number: the largest of two or more arguments"},
  {"round", T1(PBT_INT), PBT_INT, false, F, bi_int_identity,
   "round(x: int) -> int: `x`"},
  {"round", T1(PBT_NUMBER), PBT_NUMBER, false, F, bi_round,
   "round(x: number) -> number: nearest whole number, halves away from zero: `round(2.5)` is 3, `round(-2.5)` is −3", PBM_ROUND},
  {"round", T2(PBT_NUMBER, PBT_INT), PBT_NUMBER, false, F, bi_round_digits,
   "round(x: number, digits: int) -> number: `x` rounded to `digits` decimals "
   "(−15 … 15; negative rounds to tens, hundreds …), halves away from zero; `round(1.005, 2)` "
   "is 1 because 1.005 is stored as 1.00499999…", PBM_ROUND},
  {"floor", T1(PBT_INT), PBT_INT, false, F, bi_int_identity,
   "floor(x: int) -> int: `x`"},
  {"floor", T1(PBT_NUMBER), PBT_NUMBER, false, F, bi_floor,
   "floor(x: number) -> number: largest whole number ≤ `x`", PBM_FLOOR},
  {"ceil", T1(PBT_INT), PBT_INT, false, F, bi_int_identity,
   "ceil(x: int) -> int: `x`"},
  {"ceil", T1(PBT_NUMBER), PBT_NUMBER, false, F, bi_ceil,
   "ceil(x: number) -> number: smallest whole number ≥ `x`", PBM_CEIL},
  {"sqrt", T1(PBT_NUMBER), PBT_NUMBER, false, F, bi_sqrt,
   "sqrt(x: number) -> number: square root; `x < 0` is a runtime error"},
  {"log", T1(PBT_NUMBER), PBT_NUMBER, false, F, bi_log,
   "log(x: number) -> number: natural logarithm; `x <= 0` is a runtime error"},
  {"exp", T1(PBT_NUMBER), PBT_NUMBER, false, F, bi_exp,
   "exp(x: number) -> number: eˣ; a result too large is a runtime error"},
  {"pow", T2(PBT_NUMBER, PBT_NUMBER), PBT_NUMBER, false, F, bi_pow,
   "pow(x: number, y: number) -> number: xʸ; infinite or "
   "non-real results are runtime errors"},
  {"clamp", T3(PBT_INT, PBT_INT, PBT_INT), PBT_INT, false, F, bi_clamp_int,
   "clamp(x: int, lo: int, hi: int) -> int: `x` limited to `lo … hi`; `lo > hi` is a runtime error"},
  {"clamp", T3(PBT_NUMBER, PBT_NUMBER, PBT_NUMBER), PBT_NUMBER, false, F, bi_clamp_num,
   "clamp(x: number, lo: number, hi: number) -> number: `x` limited to `lo … hi`; "
   "`lo > hi` is a runtime error"},
  {"sigmoid", T1(PBT_NUMBER), PBT_NUMBER, false, F, bi_sigmoid,
   "sigmoid(x: number) -> number: 1 / (1 + e⁻ˣ), between 0 and 1"},

  /* time */
  {"days_between", T2(PBT_TIME, PBT_TIME), PBT_NUMBER, false, F, bi_days_between,
   "days_between(a: time, b: time) -> number: days from `a` to `b`, fractional "
   "(86400 s per day); negative when `b` is before `a`", PBM_DAYS},
  {"hours_between", T2(PBT_TIME, PBT_TIME), PBT_NUMBER, false, F, bi_hours_between,
   "hours_between(a: time, b: time) -> number: hours from `a` to `b`, fractional", PBM_HOURS},
  {"date", T1(PBT_STRING), PBT_TIME, false, F, bi_date,
   "date(s: string) -> time: an RFC 3339 instant or `YYYY-MM-DD` (midnight UTC); "
   "text that is not a time is a runtime error of the record (a compile error for a "
   "constant argument)"},
  {"weekday", T1(PBT_TIME), PBT_INT, false, F, bi_weekday,
   "weekday(t: time) -> int: day of the week in UTC, 1 = Monday … 7 = Sunday", PBM_WEEKDAY},
  {"hour", T1(PBT_TIME), PBT_INT, false, F, bi_hour,
   "hour(t: time) -> int: hour of the day in UTC, 0 … 23", PBM_HOUR},
};

#undef F
#undef T1
#undef T2
#undef T3

const uint32_t pbuiltins_count = G_N_ELEMENTS(pbuiltins);

const PBuiltinForm pbuiltin_forms[] = {
  {"now", "now", "time",
   "the evaluation time (a name, written without parentheses)",
   "moves at rate 1: compared with a fixed value, the exact instant; in a result, continuous (no instant)"},
  {"entered", "entered(LIFECYCLE)", "time",
   "when the lifecycle's current stage was entered; inside a journey, `entered` alone is "
   "when the profile entered the journey",
   "fixed (it changes only with a transition); `now - entered(L)` moves: compared, the exact instant"},
  {"tags", "tags()", "list<string>",
   "the names of the tags that hold, in declaration order; only in `output`",
   "when a tag changes"},
  {"arm", "arm(EXPERIMENT)", "string", "the profile's arm in the experiment (see [Experiments](#experiments))",
   "fixed"},
  {"count", "count(LIST [where C] [within D | since T])", "int",
   "how many records are selected (an aggregate, see below)",
   "`within D`: compared with a fixed value, exactly when the comparison flips (the (c−k+1)-th leave for `>= k`); "
   "otherwise at every leave (`at + D`); an event after now: at its `at`"},
  {"exists", "exists(LIST [where C] …)", "bool", "whether any record is selected (an aggregate)",
   "`within D`: when the newest selected record leaves (exact); an event after now: at its `at`"},
  {"sum", "sum(F of LIST …)", "int or number", "the sum of field F over the selected records (an aggregate)",
   "`within D`: at every leave (exact as a value, early when only compared)"},
  {"avg", "avg(F of LIST …)", "number?", "the mean of field F (an aggregate)",
   "`within D`: at every leave"},
  {"first", "first(F of LIST …)", "the field's type, optional",
   "field F of the earliest selected record (an aggregate)",
   "`within D`: at every leave"},
  {"last", "last(F of LIST …)", "the field's type, optional",
   "field F of the latest selected record (an aggregate)",
   "`within D`: at every leave"},
  {"distinct", "distinct(F of LIST …)", "int",
   "how many different values field F takes (an aggregate)",
   "`within D`: at every leave"},
};

const uint32_t pbuiltin_forms_count = G_N_ELEMENTS(pbuiltin_forms);

static bool can_move(PBuiltinType t) { return t == PBT_TIME || t == PBT_NUMBER || t == PBT_DURATION; }

const char *pbuiltin_change_rule(const PBuiltin *b) {
  bool moves = false;
  for (uint8_t i = 0; i < b->nparams; i++) moves |= can_move(b->params[i]);
  if (!moves) return "fixed: no argument moves with time";
  switch ((PBuiltinMotion)b->motion) {
  case PBM_DAYS: return "linear: (b − a) / 1 day; compared with a fixed value, the exact instant";
  case PBM_HOURS: return "linear: (b − a) / 1 hour; compared with a fixed value, the exact instant";
  case PBM_FLOOR:
  case PBM_CEIL:
    return "step: of an argument moving linearly, the instant it reaches the next whole number in its "
           "direction (a few µs early); of a decaying value, continuous like it";
  case PBM_ROUND:
    return "step: of an argument moving linearly, the instant it reaches the next half (of 10^−digits "
           "when `digits` is a constant) in its direction (a few µs early); of a decaying value, "
           "continuous like it";
  case PBM_HOUR:
    return "step: of a time moving with now (`now`, `now ± d`), the next whole UTC hour (exact); "
           "otherwise at any time (the next µs)";
  case PBM_WEEKDAY:
    return "step: of a time moving with now (`now`, `now ± d`), the next UTC midnight (exact); "
           "otherwise at any time (the next µs)";
  default: return "continuous, not followed: compared while an argument moves, at any time (the next µs)";
  }
}

int pbuiltin_find(const char *name) {
  for (uint32_t i = 0; i < pbuiltins_count; i++)
    if (strcmp(pbuiltins[i].name, name) == 0) return (int)i;
  return -1;
}

/* ---- regular expressions ---------------------------------------------------- */

/* A compiled pattern is read-only once made, so one
 * serves every worker thread; each match has its own match data. */
void *pbuiltin_regex_compile(const char *pattern, uint32_t len, char **error) {
  if (memchr(pattern, '\0', len)) {
    *error = g_strdup("a regular expression may not contain the character U+0000");
    return NULL;
  }
  pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
  if (!cc) {
    *error = g_strdup("out of memory");
    return NULL;
  }
  pcre2_set_newline(cc, PCRE2_NEWLINE_ANY);
  int code = 0;
  PCRE2_SIZE offset = 0;
  /* AUTO_CALLOUT: a callout before every item, which counts the work. */
  pcre2_code *c = pcre2_compile((PCRE2_SPTR)pattern, len, PCRE2_UTF | PCRE2_UCP | PCRE2_AUTO_CALLOUT, &code,
                                &offset, cc);
  pcre2_compile_context_free(cc);
  if (!c) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(code, msg, sizeof msg);
    *error = g_strdup_printf("invalid regular expression: %s at offset %zu", (const char *)msg, (size_t)offset);
    return NULL;
  }
  /* No JIT: with callouts before every item it is no faster than PCRE2's
   * interpreter, and the interpreter's work is what the callouts count. */
  PRegex *re = g_new0(PRegex, 1);
  re->code = c;
  re->pattern = g_strndup(pattern, len);
  return re;
}

void pbuiltin_regex_free(void *regex) {
  PRegex *re = regex;
  if (!re) return;
  pcre2_code_free(re->code);
  g_free(re->pattern);
  g_free(re);
}

const char *pbuiltin_regex_pattern(const void *regex) { return ((const PRegex *)regex)->pattern; }
