/* store.c - the unify store; see store.h. */
#include "store.h"

#include <errno.h>
#include <string.h>

#include "persona.h"

gboolean pu_store_add(const char *dir, const char *source, const char *path, gboolean *added, GError **error) {
  *added = FALSE;
  g_autofree char *text = NULL;
  gsize len = 0;
  GError *io = NULL;
  if (!g_file_get_contents(path, &text, &len, &io)) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_IO, "%s", io->message);
    g_error_free(io);
    return FALSE;
  }
  g_autofree char *hash = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)text, len);
  g_autofree char *folder = g_build_filename(dir, source, NULL);
  if (g_mkdir_with_parents(folder, 0777) != 0) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_IO, "cannot create '%s': %s", folder, g_strerror(errno));
    return FALSE;
  }
  g_autofree char *name = g_strdup_printf("%.32s.jsonl", hash);
  g_autofree char *target = g_build_filename(folder, name, NULL);
  if (g_file_test(target, G_FILE_TEST_EXISTS)) return TRUE;
  PersonaOutputFile *out = persona_output_file_open(target, error);
  gboolean ok = out && persona_output_file_write(out, text, len, error);
  /* A last line without its newline would run into nothing: the store's
   * files are read one by one, but keep them whole lines all the same. */
  if (ok && len > 0 && text[len - 1] != '\n') ok = persona_output_file_write(out, "\n", 1, error);
  ok = ok && persona_output_file_commit(out, error);
  persona_output_file_free(out);
  *added = ok;
  return ok;
}

static int cmp_str(gconstpointer a, gconstpointer b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

GPtrArray *pu_store_files(const char *dir, const char *const *sources, GError **error) {
  GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
  GError *io = NULL;
  GDir *d = g_dir_open(dir, 0, &io);
  if (!d) {
    if (g_error_matches(io, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
      g_error_free(io);
      return files;
    }
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_IO, "%s", io->message);
    g_error_free(io);
    g_ptr_array_unref(files);
    return NULL;
  }
  const char *entry;
  gboolean ok = TRUE;
  while (ok && (entry = g_dir_read_name(d))) {
    if (entry[0] == '.') continue;
    if (!g_strv_contains(sources, entry)) {
      g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID,
                  "the store '%s' holds records of source '%s', which the model does not declare", dir, entry);
      ok = FALSE;
      break;
    }
    g_autofree char *folder = g_build_filename(dir, entry, NULL);
    GDir *sd = g_dir_open(folder, 0, &io);
    if (!sd) {
      g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_IO, "%s", io->message);
      g_clear_error(&io);
      ok = FALSE;
      break;
    }
    const char *f;
    while ((f = g_dir_read_name(sd)))
      if (f[0] != '.' && g_str_has_suffix(f, ".jsonl"))
        g_ptr_array_add(files, g_strdup_printf("%s=%s%s%s", entry, folder, G_DIR_SEPARATOR_S, f));
    g_dir_close(sd);
  }
  g_dir_close(d);
  if (!ok) {
    g_ptr_array_unref(files);
    return NULL;
  }
  g_ptr_array_sort(files, cmp_str);
  return files;
}
