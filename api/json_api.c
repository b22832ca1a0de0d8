/* json_api.c - persona_json_append_string and _number: the runtime's JSON
 * writers for the components above the library (CLI, runner, extension),
 * so every output escapes strings the same way. */
#include "persona.h"

#include <string.h>

#include "runtime/json_write.h"

void persona_json_append_number(GString *out, double d) {
  g_return_if_fail(out);
  pjw_double(out, d);
}

void persona_json_append_string(GString *out, const char *s, gssize len) {
  g_return_if_fail(out && (s || len <= 0));
  if (!s) s = "";
  gsize n = len < 0 ? strlen(s) : (gsize)len;
  if (g_utf8_validate_len(s, n, NULL)) {
    pjw_string(out, s, n);
    return;
  }
  /* JSON is UTF-8; a file name need not be. */
  g_autofree char *valid = g_utf8_make_valid(s, (gssize)n);
  pjw_cstring(out, valid);
}
