/* json_scan.c - top-level members of a JSON object; see json_scan.h. */
#include "json_scan.h"

#include <string.h>

#define PU_JSON_MAX_DEPTH 64

typedef struct {
  const char *s;
  gsize len, i;
  const char *why;
} Scan;

static inline void skip_ws(Scan *sc) {
  if (G_LIKELY(sc->i < sc->len && (unsigned char)sc->s[sc->i] > ' ')) return;
  while (sc->i < sc->len) {
    char c = sc->s[sc->i];
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') break;
    sc->i++;
  }
}

static gboolean fail(Scan *sc, const char *why) {
  if (!sc->why) sc->why = why;
  return FALSE;
}

/* Bytes that end a plain run inside a string: '"', '\\' and controls. */
static const guint8 string_stop[256] = {
    [0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1,
};

static gboolean scan_string(Scan *sc) {
  sc->i++; /* the opening quote */
  while (sc->i < sc->len) {
    while (sc->i < sc->len && !string_stop[(unsigned char)sc->s[sc->i]]) sc->i++;
    if (sc->i >= sc->len) break;
    unsigned char c = (unsigned char)sc->s[sc->i];
    if (c == '"') {
      sc->i++;
      return TRUE;
    }
    if (c < 0x20) return fail(sc, "control character in a string");
    if (c == '\\') {
      if (sc->i + 1 >= sc->len) break;
      char e = sc->s[sc->i + 1];
      if (!strchr("\"\\/bfnrtu", e)) return fail(sc, "invalid escape in a string");
      sc->i += 2;
      continue;
    }
    sc->i++;
  }
  return fail(sc, "unterminated string");
}

static gboolean scan_value(Scan *sc, int depth, PuJsonType *type);

static gboolean scan_container(Scan *sc, int depth, char close) {
  if (depth > PU_JSON_MAX_DEPTH) return fail(sc, "nested too deeply");
  sc->i++;
  skip_ws(sc);
  if (sc->i < sc->len && sc->s[sc->i] == close) {
    sc->i++;
    return TRUE;
  }
  for (;;) {
    PuJsonType t;
    skip_ws(sc);
    if (close == '}') {
      if (sc->i >= sc->len || sc->s[sc->i] != '"') return fail(sc, "expected a string key");
      if (!scan_string(sc)) return FALSE;
      skip_ws(sc);
      if (sc->i >= sc->len || sc->s[sc->i] != ':') return fail(sc, "expected ':'");
      sc->i++;
      skip_ws(sc);
    }
    if (!scan_value(sc, depth + 1, &t)) return FALSE;
    skip_ws(sc);
    if (sc->i >= sc->len) return fail(sc, "unexpected end of text");
    if (sc->s[sc->i] == close) {
      sc->i++;
      return TRUE;
    }
    if (sc->s[sc->i] != ',') return fail(sc, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
    sc->i++;
  }
}

static gboolean scan_literal(Scan *sc, const char *word) {
  gsize n = strlen(word);
  if (sc->len - sc->i < n || memcmp(sc->s + sc->i, word, n) != 0) return fail(sc, "expected a value");
  sc->i += n;
  return TRUE;
}

static gboolean scan_number(Scan *sc) {
  gsize start = sc->i;
  if (sc->s[sc->i] == '-') sc->i++;
  gsize digits = sc->i;
  while (sc->i < sc->len && g_ascii_isdigit(sc->s[sc->i])) sc->i++;
  if (sc->i == digits) return fail(sc, "expected a value");
  if (sc->i < sc->len && sc->s[sc->i] == '.') {
    sc->i++;
    gsize f = sc->i;
    while (sc->i < sc->len && g_ascii_isdigit(sc->s[sc->i])) sc->i++;
    if (sc->i == f) return fail(sc, "malformed number");
  }
  if (sc->i < sc->len && (sc->s[sc->i] == 'e' || sc->s[sc->i] == 'E')) {
    sc->i++;
    if (sc->i < sc->len && (sc->s[sc->i] == '+' || sc->s[sc->i] == '-')) sc->i++;
    gsize f = sc->i;
    while (sc->i < sc->len && g_ascii_isdigit(sc->s[sc->i])) sc->i++;
    if (sc->i == f) return fail(sc, "malformed number");
  }
  return sc->i > start;
}

static gboolean scan_value(Scan *sc, int depth, PuJsonType *type) {
  if (sc->i >= sc->len) return fail(sc, "unexpected end of text");
  switch (sc->s[sc->i]) {
  case '"': *type = PU_JSTRING; return scan_string(sc);
  case '{': *type = PU_JOBJECT; return scan_container(sc, depth, '}');
  case '[': *type = PU_JARRAY; return scan_container(sc, depth, ']');
  case 't': *type = PU_JTRUE; return scan_literal(sc, "true");
  case 'f': *type = PU_JFALSE; return scan_literal(sc, "false");
  case 'n': *type = PU_JNULL; return scan_literal(sc, "null");
  default: *type = PU_JNUMBER; return scan_number(sc);
  }
}

/* Members are written in place: the array is grown ahead (doubling) and
 * cut to its length at the end, not appended to one by one. */
static inline PuMember *next_member(GArray *members, guint *n) {
  if (*n >= members->len) g_array_set_size(members, MAX(16, members->len * 2));
  return &g_array_index(members, PuMember, (*n)++);
}

gboolean pu_json_object(const char *s, gsize len, GArray *members, const char **why, gsize *at) {
  Scan sc = {.s = s, .len = len};
  guint n = 0;
  skip_ws(&sc);
  gboolean ok = TRUE;
  if (sc.i >= len || s[sc.i] != '{') {
    ok = fail(&sc, "expected a JSON object");
    goto out;
  }
  sc.i++;
  skip_ws(&sc);
  if (sc.i < len && s[sc.i] == '}') {
    sc.i++;
  } else {
    for (;;) {
      skip_ws(&sc);
      if (sc.i >= len || s[sc.i] != '"') { ok = fail(&sc, "expected a string key"); goto out; }
      PuMember m = {.key = s + sc.i + 1};
      if (!scan_string(&sc)) { ok = FALSE; goto out; }
      m.key_len = (gsize)(s + sc.i - 1 - m.key);
      skip_ws(&sc);
      if (sc.i >= len || s[sc.i] != ':') { ok = fail(&sc, "expected ':'"); goto out; }
      sc.i++;
      skip_ws(&sc);
      m.val = s + sc.i;
      if (!scan_value(&sc, 1, &m.type)) { ok = FALSE; goto out; }
      m.val_len = (gsize)(s + sc.i - m.val);
      *next_member(members, &n) = m;
      skip_ws(&sc);
      if (sc.i >= len) { ok = fail(&sc, "unexpected end of text, expected ',' or '}'"); goto out; }
      if (s[sc.i] == '}') { sc.i++; break; }
      if (s[sc.i] != ',') { ok = fail(&sc, "expected ',' or '}'"); goto out; }
      sc.i++;
    }
  }
  skip_ws(&sc);
  if (sc.i < len) ok = fail(&sc, "unexpected text after the object");
out:
  g_array_set_size(members, n);
  if (!ok) {
    *why = sc.why;
    *at = sc.i + 1;
  }
  return ok;
}

const PuMember *pu_json_get(const GArray *members, const char *key) {
  gsize n = strlen(key);
  for (guint i = 0; i < members->len; i++) {
    const PuMember *m = &g_array_index(members, PuMember, i);
    if (m->key_len == n && memcmp(m->key, key, n) == 0) return m;
  }
  return NULL;
}

static int hex4(const char *p) {
  int v = 0;
  for (int i = 0; i < 4; i++) {
    int c = p[i], d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return -1;
    v = v * 16 + d;
  }
  return v;
}

gboolean pu_json_decode_string(const char *val, gsize len, GString *out) {
  /* Most values are plain ASCII: nothing to decode, nothing to validate. */
  guint8 any = 0;
  for (gsize i = 1; i + 1 < len; i++) any |= (guint8)((guint8)val[i] >= 0x80 || val[i] == '\\');
  if (!any) {
    pu_append(out, val + 1, len - 2);
    return TRUE;
  }
  gsize start = out->len;
  const char *p = val + 1, *end = val + len - 1;
  while (p < end) {
    const char *q = p;
    while (q < end && *q != '\\') q++;
    pu_append(out, p, (gsize)(q - p));
    if (q >= end) break;
    char e = q[1];
    p = q + 2;
    switch (e) {
    case 'b': g_string_append_c(out, '\b'); break;
    case 'f': g_string_append_c(out, '\f'); break;
    case 'n': g_string_append_c(out, '\n'); break;
    case 'r': g_string_append_c(out, '\r'); break;
    case 't': g_string_append_c(out, '\t'); break;
    case 'u': {
      if (end - p < 4) return FALSE;
      int cp = hex4(p);
      p += 4;
      if (cp < 0) return FALSE;
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (end - p < 6 || p[0] != '\\' || p[1] != 'u') return FALSE;
        int lo = hex4(p + 2);
        if (lo < 0xDC00 || lo > 0xDFFF) return FALSE;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        p += 6;
      } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        return FALSE;
      }
      g_string_append_unichar(out, (gunichar)cp);
      break;
    }
    default: g_string_append_c(out, e); break; /* " \ / */
    }
  }
  return g_utf8_validate(out->str + start, (gssize)(out->len - start), NULL);
}
