/* source.c - the files of one compilation; see source.h. */
#include "source.h"

#include <string.h>

static void psrc_file_free(gpointer p) {
  PSourceFile *f = p;
  g_free(f->name);
  g_free(f->path);
  g_free(f->text);
  g_free(f);
}

PSourceSet *psrc_new(void) {
  PSourceSet *set = g_new0(PSourceSet, 1);
  set->files = g_ptr_array_new_with_free_func(psrc_file_free);
  return set;
}

void psrc_free(PSourceSet *set) {
  if (!set) return;
  g_ptr_array_unref(set->files);
  g_free(set);
}

uint32_t psrc_add(PSourceSet *set, const char *name, const char *path,
                  const char *text, size_t len) {
  PSourceFile *f = g_new0(PSourceFile, 1);
  f->name = g_strdup(name);
  f->path = g_strdup(path ? path : name);
  f->text = g_malloc(len + 1);
  memcpy(f->text, text, len);
  f->text[len] = '\0';
  f->len = len;
  g_ptr_array_add(set->files, f);
  return set->files->len - 1;
}

int psrc_find_path(const PSourceSet *set, const char *path) {
  for (guint i = 0; i < set->files->len; i++) {
    const PSourceFile *f = g_ptr_array_index(set->files, i);
    if (strcmp(f->path, path) == 0) return (int)i;
  }
  return -1;
}

const PSourceFile *psrc_file(const PSourceSet *set, uint32_t file) {
  if (file >= set->files->len) return NULL;
  return g_ptr_array_index(set->files, file);
}

char *psrc_line_text(const PSourceSet *set, uint32_t file, uint32_t line) {
  const PSourceFile *f = psrc_file(set, file);
  if (!f || line == 0) return NULL;
  const char *p = f->text, *end = f->text + f->len;
  for (uint32_t l = 1; l < line; l++) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl) return NULL;
    p = nl + 1;
  }
  const char *eol = memchr(p, '\n', (size_t)(end - p));
  if (!eol) eol = end;
  if (eol > p && eol[-1] == '\r') eol--;
  return g_strndup(p, (gsize)(eol - p));
}
