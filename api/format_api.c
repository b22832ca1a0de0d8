/* format_api.c - persona_format_source: `persona fmt` through the public
 * API, so the command needs no compiler header (compiler/format.h does the
 * work). */
#include "api_internal.h"

#include "compiler/format.h"

char *persona_format_source(const char *name, const char *text, gsize len, gsize *out_len,
                            PersonaDiagnostics **diags) {
  g_return_val_if_fail(name && (text || len == 0), NULL);
  if (diags) *diags = NULL;
  PSourceSet *src = psrc_new();
  PDiagList *list = pdiag_new();
  uint32_t id = psrc_add(src, name, NULL, text ? text : "", len);
  char *out = pfmt_file(src, id, list, out_len);
  pdiag_sort(list);
  papi_give_diagnostics(list, src, diags);
  return out;
}
