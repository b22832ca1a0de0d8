/* json.c - a small JSON tree (json.h). */
#include "diff/json.h"

#include <math.h>
#include <string.h>

#define PD_JSON_MAX_DEPTH 64

typedef struct {
  const char *s;
  gsize len, i;
  const char *const *skip;
} Parser;

static void skip_ws(Parser *p) {
  while (p->i < p->len && strchr(" \t\r\n", p->s[p->i]) && p->s[p->i]) p->i++;
}

static gboolean literal(Parser *p, const char *word) {
  gsize n = strlen(word);
  if (p->len - p->i < n || memcmp(p->s + p->i, word, n) != 0) return FALSE;
  p->i += n;
  return TRUE;
}

static int hex4(const char *s) {
  int v = 0;
  for (int k = 0; k < 4; k++) {
    int d = g_ascii_xdigit_value(s[k]);
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/* \uXXXX (and a following low surrogate) at p->i (after the backslash
 * and 'u' are consumed by the caller: p->i at the digits). */
static gboolean unicode_escape(Parser *p, GString *out) {
  if (p->len - p->i < 4) return FALSE;
  int c = hex4(p->s + p->i);
  if (c < 0) return FALSE;
  p->i += 4;
  if (c >= 0xD800 && c < 0xDC00) {
    if (p->len - p->i < 6 || p->s[p->i] != '\\' || p->s[p->i + 1] != 'u') return FALSE;
    int lo = hex4(p->s + p->i + 2);
    if (lo < 0xDC00 || lo >= 0xE000) return FALSE;
    p->i += 6;
    c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
  } else if (c >= 0xDC00 && c < 0xE000) {
    return FALSE;
  }
  g_string_append_unichar(out, (gunichar)c);
  return TRUE;
}

static char *parse_string(Parser *p) {
  p->i++; /* the opening quote */
  /* Most strings have no escape: copied at once. */
  gsize end = p->i;
  while (end < p->len && p->s[end] != '"' && p->s[end] != '\\' && (unsigned char)p->s[end] >= 0x20) end++;
  if (end < p->len && p->s[end] == '"') {
    if (!g_utf8_validate(p->s + p->i, (gssize)(end - p->i), NULL)) return NULL;
    char *plain = g_strndup(p->s + p->i, end - p->i);
    p->i = end + 1;
    return plain;
  }
  GString *out = g_string_new_len(p->s + p->i, (gssize)(end - p->i));
  p->i = end;
  while (p->i < p->len) {
    unsigned char c = (unsigned char)p->s[p->i++];
    if (c == '"') {
      if (!g_utf8_validate(out->str, (gssize)out->len, NULL)) break;
      return g_string_free(out, FALSE);
    }
    if (c < 0x20) break;
    if (c != '\\') {
      g_string_append_c(out, (char)c);
      continue;
    }
    if (p->i >= p->len) break;
    char e = p->s[p->i++];
    const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
    const char *at = strchr(from, e);
    if (e && at) g_string_append_c(out, to[at - from]);
    else if (e != 'u' || !unicode_escape(p, out)) break;
  }
  g_string_free(out, TRUE);
  return NULL;
}

static gboolean parse_number(Parser *p, double *out) {
  gsize start = p->i;
  if (p->i < p->len && p->s[p->i] == '-') p->i++;
  gsize digits = p->i;
  while (p->i < p->len && g_ascii_isdigit(p->s[p->i])) p->i++;
  if (p->i == digits || (p->s[digits] == '0' && p->i - digits > 1)) return FALSE;
  if (p->i < p->len && p->s[p->i] == '.') {
    gsize f = ++p->i;
    while (p->i < p->len && g_ascii_isdigit(p->s[p->i])) p->i++;
    if (p->i == f) return FALSE;
  }
  if (p->i < p->len && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
    p->i++;
    if (p->i < p->len && (p->s[p->i] == '+' || p->s[p->i] == '-')) p->i++;
    gsize e = p->i;
    while (p->i < p->len && g_ascii_isdigit(p->s[p->i])) p->i++;
    if (p->i == e) return FALSE;
  }
  g_autofree char *text = g_strndup(p->s + start, p->i - start);
  *out = g_ascii_strtod(text, NULL);
  return TRUE;
}

static PdJson *parse_value(Parser *p, int depth);

static gboolean skipped(const Parser *p, const char *key) {
  for (const char *const *k = p->skip; k && *k; k++)
    if (strcmp(*k, key) == 0) return TRUE;
  return FALSE;
}

/* Passes over a value without building it: strings and the nesting of
 * brackets are followed, scalars run to the next delimiter. */
static gboolean skip_value(Parser *p) {
  skip_ws(p);
  int depth = 0;
  do {
    if (p->i >= p->len) return FALSE;
    char c = p->s[p->i];
    if (c == '"') {
      for (p->i++; p->i < p->len && p->s[p->i] != '"'; p->i++)
        if (p->s[p->i] == '\\') p->i++;
      if (p->i >= p->len) return FALSE;
      p->i++;
    } else if (c == '{' || c == '[') {
      depth++;
      p->i++;
    } else if (c == '}' || c == ']') {
      if (--depth < 0) return FALSE;
      p->i++;
    } else if (depth > 0) {
      p->i++; /* ',', ':', white space, scalars inside */
    } else {
      gsize start = p->i;
      while (p->i < p->len && !strchr(",}] \t\r\n", p->s[p->i])) p->i++;
      if (p->i == start) return FALSE;
    }
  } while (depth > 0);
  return TRUE;
}

/* One value into the container's items. */
static gboolean add_value(Parser *p, PdJson *j, int depth) {
  PdJson *v = parse_value(p, depth + 1);
  if (v) g_ptr_array_add(j->items, v);
  return v != NULL;
}

/* One member of an object: its key and value, or nothing when the key is
 * to be skipped. */
static gboolean add_member(Parser *p, PdJson *j, int depth) {
  if (p->i >= p->len || p->s[p->i] != '"') return FALSE;
  g_autofree char *key = parse_string(p);
  if (!key) return FALSE;
  skip_ws(p);
  if (p->i >= p->len || p->s[p->i++] != ':') return FALSE;
  if (skipped(p, key)) return skip_value(p);
  if (!add_value(p, j, depth)) return FALSE;
  g_ptr_array_add(j->keys, g_steal_pointer(&key));
  return TRUE;
}

/* The elements of an array or the members of an object, after its
 * opening bracket. */
static gboolean parse_container(Parser *p, PdJson *j, int depth) {
  char close = j->kind == PD_JSON_OBJECT ? '}' : ']';
  p->i++;
  skip_ws(p);
  if (p->i < p->len && p->s[p->i] == close) {
    p->i++;
    return TRUE;
  }
  for (;;) {
    skip_ws(p);
    if (!(j->kind == PD_JSON_OBJECT ? add_member(p, j, depth) : add_value(p, j, depth))) return FALSE;
    skip_ws(p);
    if (p->i >= p->len) return FALSE;
    char c = p->s[p->i++];
    if (c == close) return TRUE;
    if (c != ',') return FALSE;
  }
}

static PdJson *parse_value(Parser *p, int depth) {
  skip_ws(p);
  if (p->i >= p->len || depth > PD_JSON_MAX_DEPTH) return NULL;
  PdJson *j = g_new0(PdJson, 1);
  char c = p->s[p->i];
  gboolean ok;
  if (c == '{' || c == '[') {
    j->kind = c == '{' ? PD_JSON_OBJECT : PD_JSON_ARRAY;
    j->items = g_ptr_array_new_with_free_func((GDestroyNotify)pd_json_free);
    if (c == '{') j->keys = g_ptr_array_new_with_free_func(g_free);
    ok = parse_container(p, j, depth);
  } else if (c == '"') {
    j->kind = PD_JSON_STRING;
    ok = (j->s = parse_string(p)) != NULL;
  } else if (literal(p, "true") || literal(p, "false")) {
    j->kind = PD_JSON_BOOL;
    j->b = c == 't';
    ok = TRUE;
  } else if (literal(p, "null")) {
    ok = TRUE;
  } else {
    j->kind = PD_JSON_NUMBER;
    ok = parse_number(p, &j->n);
  }
  if (!ok) {
    pd_json_free(j);
    return NULL;
  }
  return j;
}

PdJson *pd_json_parse(const char *text, gsize len, const char *const *skip) {
  Parser p = {text, len, 0, skip};
  PdJson *j = parse_value(&p, 1);
  skip_ws(&p);
  if (j && p.i != p.len) {
    pd_json_free(j);
    return NULL;
  }
  return j;
}

void pd_json_free(PdJson *j) {
  if (!j) return;
  g_free(j->s);
  if (j->items) g_ptr_array_unref(j->items);
  if (j->keys) g_ptr_array_unref(j->keys);
  g_free(j);
}

const PdJson *pd_json_get(const PdJson *obj, const char *key) {
  if (!obj || obj->kind != PD_JSON_OBJECT) return NULL;
  for (guint i = obj->keys->len; i-- > 0;)
    if (strcmp(g_ptr_array_index(obj->keys, i), key) == 0) return g_ptr_array_index(obj->items, i);
  return NULL;
}

const char *pd_json_str(const PdJson *obj, const char *key) {
  const PdJson *v = pd_json_get(obj, key);
  return v && v->kind == PD_JSON_STRING ? v->s : NULL;
}

gboolean pd_json_bool(const PdJson *obj, const char *key) {
  const PdJson *v = pd_json_get(obj, key);
  return v && v->kind == PD_JSON_BOOL && v->b;
}

double pd_json_num(const PdJson *obj, const char *key) {
  const PdJson *v = pd_json_get(obj, key);
  return v && v->kind == PD_JSON_NUMBER ? v->n : NAN;
}

guint pd_json_len(const PdJson *arr) { return arr && arr->kind == PD_JSON_ARRAY ? arr->items->len : 0; }

const PdJson *pd_json_at(const PdJson *arr, guint i) {
  return i < pd_json_len(arr) ? g_ptr_array_index(arr->items, i) : NULL;
}
