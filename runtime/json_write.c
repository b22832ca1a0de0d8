/* json_write.c - compact JSON output; see json_write.h. */
#include "json_write.h"

#include "numfmt.h"
#include "ptime.h"

#include <string.h>

/* 1 for bytes that cannot be copied as they are: '"', '\\', controls, and
 * 0xE2 (the lead byte of U+2028/U+2029, checked further when seen). */
static const unsigned char NEEDS_CARE[256] = {
    [0x00] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    ['"'] = 1, ['\\'] = 1, [0xE2] = 1,
};

static void put_escape(GString *out, unsigned char c) {
  static const char HEX[] = "0123456789abcdef";
  switch (c) {
  case '"': pjw_raw(out, "\\\"", 2); break;
  case '\\': pjw_raw(out, "\\\\", 2); break;
  case '\n': pjw_raw(out, "\\n", 2); break;
  case '\t': pjw_raw(out, "\\t", 2); break;
  case '\r': pjw_raw(out, "\\r", 2); break;
  case '\b': pjw_raw(out, "\\b", 2); break;
  case '\f': pjw_raw(out, "\\f", 2); break;
  default: {
    char u[6] = {'\\', 'u', '0', '0', HEX[c >> 4], HEX[c & 15]};
    pjw_raw(out, u, 6);
  }
  }
}

void pjw_string(GString *out, const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s, *end = p + len;
  const unsigned char *run = p; /* start of bytes not yet appended */
  pjw_byte(out, '"');
  while (p < end) {
    if (!NEEDS_CARE[*p]) {
      p++;
      continue;
    }
    if (*p == 0xE2) {
      /* U+2028 = E2 80 A8, U+2029 = E2 80 A9: fine in JSON, but line
       * terminators in JavaScript. */
      if (end - p >= 3 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) {
        pjw_raw(out, (const char *)run, p - run);
        pjw_raw(out, p[2] == 0xA8 ? "\\u2028" : "\\u2029", 6);
        p += 3;
        run = p;
      } else {
        p++;
      }
      continue;
    }
    pjw_raw(out, (const char *)run, p - run);
    put_escape(out, *p);
    run = ++p;
  }
  pjw_raw(out, (const char *)run, p - run);
  pjw_byte(out, '"');
}

void pjw_cstring(GString *out, const char *s) { pjw_string(out, s, strlen(s)); }

void pjw_double(GString *out, double d) {
  char buf[PNUM_BUF];
  size_t n = pnum_format_double(d, buf);
  pjw_raw(out, buf, n);
}

void pjw_int(GString *out, int64_t i) {
  char buf[PNUM_BUF];
  size_t n = pnum_format_int(i, buf);
  pjw_raw(out, buf, n);
}

void pjw_time(GString *out, int64_t us) {
  char buf[PTIME_BUF];
  size_t n = ptime_format(us, buf);
  pjw_byte(out, '"');
  pjw_raw(out, buf, n);
  pjw_byte(out, '"');
}

void pjw_duration(GString *out, int64_t us) {
  char buf[PTIME_BUF];
  size_t n = pduration_format(us, buf);
  pjw_byte(out, '"');
  pjw_raw(out, buf, n);
  pjw_byte(out, '"');
}

/* Values nested deeper than this are written as null: a model cannot build
 * them from source, but a damaged bytecode file could, and the writer must
 * not overflow the stack. */
#define PJW_MAX_DEPTH 1000

static void pjw_value_at(GString *out, PValue v, const char *const *field_names, int depth);

void pjw_value(GString *out, PValue v, const char *const *field_names) {
  pjw_value_at(out, v, field_names, 0);
}

static void pjw_value_at(GString *out, PValue v, const char *const *field_names, int depth) {
  if (depth > PJW_MAX_DEPTH) {
    pjw_raw(out, "null", 4);
    return;
  }
  switch ((PValueKind)v.kind) {
  case PV_NULL: pjw_raw(out, "null", 4); return;
  case PV_BOOL:
    if (v.u.b)
      pjw_raw(out, "true", 4);
    else
      pjw_raw(out, "false", 5);
    return;
  case PV_INT: pjw_int(out, v.u.i); return;
  case PV_NUMBER: pjw_double(out, v.u.n); return;
  case PV_STRING: pjw_string(out, v.u.s, v.len); return;
  case PV_TIME: pjw_time(out, v.u.i); return;
  case PV_DURATION: pjw_duration(out, v.u.i); return;
  case PV_LIST:
    pjw_byte(out, '[');
    for (uint32_t i = 0; i < v.len; i++) {
      if (i) pjw_byte(out, ',');
      /* Elements of a list of records share the record type's names. */
      pjw_value_at(out, v.u.items[i], field_names, depth + 1);
    }
    pjw_byte(out, ']');
    return;
  case PV_RECORD:
    if (!field_names) {
      PValue as_list = pv_list(v.u.items, v.len);
      pjw_value_at(out, as_list, NULL, depth + 1);
      return;
    }
    pjw_byte(out, '{');
    for (uint32_t i = 0; i < v.len; i++) {
      if (i) pjw_byte(out, ',');
      pjw_cstring(out, field_names[i]);
      pjw_byte(out, ':');
      /* Names of nested record types are not known here. */
      pjw_value_at(out, v.u.items[i], NULL, depth + 1);
    }
    pjw_byte(out, '}');
    return;
  }
  pjw_raw(out, "null", 4); /* unknown tag: stay valid JSON */
}
