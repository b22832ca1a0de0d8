/* store.c - the unify store; see store.h. */
#include "store.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#define SEALED_SUFFIX ".jsonl.sealed"
#define CLEAR_SUFFIX ".jsonl"
#define KEY_CHECK_FILE ".key_check"
static const char check_text[] = "persona unify store key check v1";
static const char key_hint[] = "set " PERSONA_STORE_KEY_ENV " (or " PERSONA_STORE_KEY_FILE_ENV
                               ", a file holding it) to a secret of at least 16 bytes";

static gboolean io_error(GError **error, const char *what, const char *path, int err) {
  g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_IO, "%s '%s': %s", what, path, g_strerror(err));
  return FALSE;
}

static gboolean read_whole(const char *path, char **text, gsize *len, GError **error) {
  GError *io = NULL;
  if (g_file_get_contents(path, text, len, &io)) return TRUE;
  g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_IO, "%s", io->message);
  g_error_free(io);
  return FALSE;
}

/* `len` bytes written to `target` whole (a temporary file renamed), and
 * a line break after them. */
static gboolean write_whole(const char *target, const char *text, gsize len, GError **error) {
  PersonaOutputFile *out = persona_output_file_open(target, error);
  gboolean ok = out && persona_output_file_write(out, text, len, error) &&
                persona_output_file_write(out, "\n", 1, error) && persona_output_file_commit(out, error);
  persona_output_file_free(out);
  return ok;
}

/* Seals `len` bytes of records of `source` into DIR/SOURCE/DIGEST.jsonl.sealed
 * unless that file exists (*added FALSE). */
static gboolean store_text(const char *dir, const char *source, const char *text, gsize len,
                           const PersonaSealKey *key, gboolean *added, GError **error) {
  *added = FALSE;
  g_autofree char *folder = g_build_filename(dir, source, NULL);
  if (g_mkdir_with_parents(folder, 0700) != 0) return io_error(error, "cannot create", folder, errno);
  char digest[65];
  persona_seal_digest(key, text, len, digest);
  g_autofree char *name = g_strdup_printf("%.32s" SEALED_SUFFIX, digest);
  g_autofree char *target = g_build_filename(folder, name, NULL);
  if (g_file_test(target, G_FILE_TEST_EXISTS)) return TRUE;
  /* The records, one per line: a last line without its newline gets one. */
  gboolean whole = len == 0 || text[len - 1] == '\n';
  g_autofree char *lines = NULL;
  if (!whole) {
    lines = g_malloc(len + 1);
    memcpy(lines, text, len);
    lines[len] = '\n';
  }
  g_autofree char *sealed = persona_seal(key, source, whole ? text : lines, whole ? len : len + 1);
  if (lines) memset(lines, 0, len + 1);
  *added = write_whole(target, sealed, strlen(sealed), error);
  return *added;
}

gboolean pu_store_add(const char *dir, const char *source, const char *path, const PersonaSealKey *key,
                      gboolean *added, GError **error) {
  *added = FALSE;
  g_autofree char *text = NULL;
  gsize len = 0;
  return read_whole(path, &text, &len, error) && store_text(dir, source, text, len, key, added, error);
}

/* Seals the files of DIR/SOURCE stored in the clear, then removes them. */
static gboolean seal_clear_files(const char *dir, const char *source, const PersonaSealKey *key, GError **error) {
  g_autofree char *folder = g_build_filename(dir, source, NULL);
  GDir *d = g_dir_open(folder, 0, NULL);
  if (!d) return TRUE; /* not a folder: pu_store_files says so */
  gboolean ok = TRUE;
  const char *f;
  while (ok && (f = g_dir_read_name(d))) {
    if (f[0] == '.' || !g_str_has_suffix(f, CLEAR_SUFFIX)) continue;
    g_autofree char *path = g_build_filename(folder, f, NULL);
    g_autofree char *text = NULL;
    gsize len = 0;
    gboolean added;
    ok = read_whole(path, &text, &len, error) && store_text(dir, source, text, len, key, &added, error);
    if (text) memset(text, 0, len);
    if (ok && g_unlink(path) != 0) ok = io_error(error, "cannot remove", path, errno);
  }
  g_dir_close(d);
  return ok;
}

gboolean pu_store_open(const char *dir, const PersonaSealKey *key, GError **error) {
  g_autofree char *check_path = g_build_filename(dir, KEY_CHECK_FILE, NULL);
  g_autofree char *stored_check = NULL;
  gboolean has_check = g_file_get_contents(check_path, &stored_check, NULL, NULL);
  if (!key) {
    if (has_check)
      g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID,
                  "the records in the store '%s' are stored encrypted and no key is given: %s, the one they were "
                  "stored with", dir, key_hint);
    else
      g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID,
                  "--store keeps the input records, and their identifiers are pii (e-mail addresses, phone "
                  "numbers): %s, so that they are stored encrypted (docs/unify.md, \"The store\")", key_hint);
    return FALSE;
  }
  char hex[65];
  persona_seal_digest(key, check_text, sizeof check_text - 1, hex);
  if (has_check && strcmp(g_strchomp(stored_check), hex) != 0) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID,
                "the key given is not the one the records in the store '%s' were stored with: give that key in "
                PERSONA_STORE_KEY_ENV " or " PERSONA_STORE_KEY_FILE_ENV " (without it they cannot be read)", dir);
    return FALSE;
  }
  if (g_mkdir_with_parents(dir, 0700) != 0) return io_error(error, "cannot create", dir, errno);
  if (!has_check && !write_whole(check_path, hex, strlen(hex), error)) return FALSE;
  GDir *d = g_dir_open(dir, 0, NULL);
  if (!d) return TRUE;
  gboolean ok = TRUE;
  const char *entry;
  while (ok && (entry = g_dir_read_name(d)))
    if (entry[0] != '.') ok = seal_clear_files(dir, entry, key, error);
  g_dir_close(d);
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
      if (f[0] != '.' && g_str_has_suffix(f, SEALED_SUFFIX))
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

gboolean pu_store_read(PuUnifier *u, guint source, const char *source_name, const char *path,
                       const PersonaSealKey *key, GError **error) {
  g_autofree char *sealed = NULL;
  gsize len = 0;
  if (!read_whole(path, &sealed, &len, error)) return FALSE;
  while (len > 0 && (sealed[len - 1] == '\n' || sealed[len - 1] == '\r')) len--;
  char *text = NULL;
  gsize text_len = 0;
  g_autoptr(GError) seal_error = NULL;
  if (!persona_unseal(key, source_name, sealed, len, &text, &text_len, &seal_error)) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_SEALED,
                "%s: %s (altered, damaged, or moved from another source's folder)", path, seal_error->message);
    return FALSE;
  }
  pu_add_data(u, source, path, text, text_len);
  return TRUE;
}
