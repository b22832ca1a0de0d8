/* format_api.c - persona_format_source: `persona fmt` through the public
 * API, so the command needs no compiler header (compiler/format.h does the
 * work). */
#include "api_internal.h"

#include "compiler/compile.h"
#include "compiler/format.h"
#include "runtime/file_target.h"

char *persona_format_source(const char *name, const char *text, gsize len, gsize *out_len,
                            PersonaDiagnostics **diags) {
  g_return_val_if_fail(name && (text || len == 0), NULL);
  if (diags) *diags = NULL;
  PSourceSet *src = psrc_new();
  PDiagList *list = pdiag_new();
  char *out = NULL;
  if (len > PCOMPILE_MAX_SOURCE) {
    /* As the compiler: a model is text a person writes. */
    pdiag_add(list, PDIAG_ERROR, NULL, NULL, "%s: the model is larger than %zu MiB", name,
              PCOMPILE_MAX_SOURCE >> 20);
  } else {
    uint32_t id = psrc_add(src, name, NULL, text ? text : "", len);
    out = pfmt_file(src, id, list, out_len);
  }
  pdiag_sort(list);
  papi_give_diagnostics(list, src, diags);
  return out;
}

gboolean persona_read_source(const char *path, char **text, gsize *len, GError **error) {
  g_return_val_if_fail(path && text && len, FALSE);
  *text = NULL;
  *len = 0;
  GError *io = NULL;
  if (!pfile_read_bounded(path, PCOMPILE_MAX_SOURCE, text, len, &io)) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_IO, "%s", io->message);
    g_error_free(io);
    return FALSE;
  }
  return TRUE;
}
