/* normalize.c - identifier normalisers; see normalize.h. */
#include "normalize.h"

#include "json_scan.h"

#include <string.h>

static void trim(const char **s, gsize *len) {
  while (*len > 0 && g_ascii_isspace((*s)[0])) (*s)++, (*len)--;
  while (*len > 0 && g_ascii_isspace((*s)[*len - 1])) (*len)--;
}

/* E.164: `+` and 8 to 15 digits, the first not 0. Separators people write
 * (blanks, - . / ( )) are dropped; `+` or `00` starts an international
 * number; a national number loses its trunk prefix 0 and gains the
 * region's calling code, unless it is longer than any national number of
 * the region and already starts with that code. */
static PuNormStatus norm_phone(const PersonaIdentityKey *key, const char *s, gsize len, GString *out) {
  char digits[64];
  gsize n = 0;
  gboolean plus = FALSE;
  for (gsize i = 0; i < len; i++) {
    char c = s[i];
    if (g_ascii_isdigit(c)) {
      if (n >= sizeof digits - 1) return PU_NORM_MALFORMED;
      digits[n++] = c;
    } else if (c == '+' && n == 0 && !plus) {
      plus = TRUE;
    } else if (!strchr(" -./()", c)) {
      return PU_NORM_MALFORMED;
    }
  }
  if (n == 0) return plus ? PU_NORM_MALFORMED : PU_NORM_EMPTY;
  digits[n] = 0;
  const char *num = digits;
  char buf[80];
  if (!plus && n > 2 && digits[0] == '0' && digits[1] == '0') {
    num = digits + 2; /* 00 international prefix */
  } else if (!plus) {
    const char *cc = key->calling_code ? key->calling_code : "";
    gsize ccl = strlen(cc);
    if (n > key->national_max && n > ccl && strncmp(digits, cc, ccl) == 0) {
      num = digits;
    } else {
      const char *national = digits[0] == '0' ? digits + 1 : digits;
      g_snprintf(buf, sizeof buf, "%s%s", cc, national);
      num = buf;
    }
  }
  gsize nl = strlen(num);
  if (nl < 8 || nl > 15 || num[0] == '0') return PU_NORM_MALFORMED;
  g_string_append_c(out, '+');
  g_string_append(out, num);
  return PU_NORM_OK;
}

static PuNormStatus norm_email(const char *s, gsize len, GString *out) {
  const char *at = NULL;
  for (gsize i = 0; i < len; i++) {
    if (s[i] == '@') {
      if (at) return PU_NORM_MALFORMED;
      at = s + i;
    } else if (g_ascii_isspace(s[i]) || s[i] == ',' || s[i] == ';' || s[i] == '<' || s[i] == '>') {
      return PU_NORM_MALFORMED;
    }
  }
  if (!at || at == s || at == s + len - 1) return PU_NORM_MALFORMED;
  gboolean ascii = TRUE;
  for (gsize i = 0; i < len && ascii; i++) ascii = (guchar)s[i] < 0x80;
  if (ascii) { /* the common case, without an allocation */
    gsize at0 = out->len;
    pu_append(out, s, len);
    for (gsize i = at0; i < out->len; i++) {
      char c = out->str[i];
      if (c >= 'A' && c <= 'Z') out->str[i] = (char)(c + ('a' - 'A'));
    }
    return PU_NORM_OK;
  }
  char *lower = g_utf8_strdown(s, (gssize)len);
  g_string_append(out, lower);
  g_free(lower);
  return PU_NORM_OK;
}

PuNormStatus pu_normalize(const PersonaIdentityKey *key, const char *text, gsize len, GString *out) {
  trim(&text, &len);
  if (len == 0) return PU_NORM_EMPTY;
  switch (key->normalize) {
  case PERSONA_NORMALIZE_PHONE: return norm_phone(key, text, len, out);
  case PERSONA_NORMALIZE_EMAIL: return norm_email(text, len, out);
  case PERSONA_NORMALIZE_STRING: break;
  }
  pu_append(out, text, len);
  return PU_NORM_OK;
}
