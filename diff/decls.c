/* decls.c - splitting a model's source at its top-level declarations
 * (decls.h). */
#include "diff/decls.h"

#include <string.h>

/* Keywords whose declaration has no name after them. */
static gboolean unnamed_kind(const char *word) {
  return strcmp(word, "model") == 0 || strcmp(word, "schema") == 0 || strcmp(word, "output") == 0;
}

/* The first `n` words of `line` (words: runs of characters other than
 * space, tab, `{` and `=`). */
static char *first_words(const char *line, guint n) {
  static const char separators[] = " \t{=";
  GString *key = g_string_new(NULL);
  const char *p = line;
  for (guint taken = 0; taken < n; taken++) {
    while (*p && strchr(separators, *p)) p++;
    if (!*p) break;
    gsize len = strcspn(p, separators);
    if (key->len) g_string_append_c(key, ' ');
    g_string_append_len(key, p, (gssize)len);
    p += len;
  }
  return g_string_free(key, FALSE);
}

/* "tag vip", "schema", "extern fn name", `test "name"` (a test's name may
 * hold spaces: the rest of the line up to `{`). */
static char *decl_key(const char *line) {
  g_autofree char *kind = first_words(line, 1);
  if (unnamed_kind(kind)) return g_steal_pointer(&kind);
  if (strcmp(kind, "extern") == 0) return first_words(line, 3);
  if (strcmp(kind, "test") == 0) {
    const char *brace = strchr(line, '{');
    g_autofree char *head = g_strndup(line, brace ? (gsize)(brace - line) : strlen(line));
    return g_strstrip(g_steal_pointer(&head));
  }
  return first_words(line, 2);
}

/* The brace depth after `line`, from `depth`: braces inside "strings" and
 * after `#` do not count. */
static int depth_after(const char *line, int depth) {
  gboolean in_string = FALSE;
  for (const char *p = line; *p; p++) {
    if (in_string) {
      if (*p == '\\' && p[1]) p++;
      else if (*p == '"') in_string = FALSE;
    } else if (*p == '"') in_string = TRUE;
    else if (*p == '#') break;
    else if (*p == '{') depth++;
    else if (*p == '}' && depth > 0) depth--;
  }
  return depth;
}

static gboolean blank_or_comment(const char *line) {
  while (*line == ' ' || *line == '\t') line++;
  return *line == '\0' || *line == '#';
}

/* Ends the declaration being built: drops its trailing blank and comment
 * lines. */
static void finish(PdDecls *d, char *key, guint line_no, GPtrArray *lines) {
  if (!key) return;
  while (lines->len && blank_or_comment(g_ptr_array_index(lines, lines->len - 1)))
    g_ptr_array_remove_index(lines, lines->len - 1);
  GString *text = g_string_new(NULL);
  for (guint i = 0; i < lines->len; i++) {
    g_string_append(text, g_ptr_array_index(lines, i));
    g_string_append_c(text, '\n');
  }
  PdDecl decl = {key, g_string_free(text, FALSE), line_no};
  g_array_append_val(d->items, decl);
  g_ptr_array_set_size(lines, 0);
}

PdDecls *pd_decls_split(const char *text) {
  PdDecls *d = g_new0(PdDecls, 1);
  d->items = g_array_new(FALSE, FALSE, sizeof(PdDecl));
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  g_autoptr(GPtrArray) current = g_ptr_array_new();
  char *key = NULL;
  guint start = 0;
  int depth = 0;
  for (guint i = 0; lines[i]; i++) {
    g_strchomp(lines[i]);
    if (depth == 0 && g_ascii_isalpha(lines[i][0])) {
      finish(d, key, start, current);
      key = decl_key(lines[i]);
      start = i + 1;
    }
    if (key) g_ptr_array_add(current, lines[i]);
    depth = depth_after(lines[i], depth);
  }
  finish(d, key, start, current);
  return d;
}

void pd_decls_free(PdDecls *d) {
  if (!d) return;
  for (guint i = 0; i < d->items->len; i++) {
    PdDecl *x = &g_array_index(d->items, PdDecl, i);
    g_free(x->key);
    g_free(x->text);
  }
  g_array_unref(d->items);
  g_free(d);
}

const PdDecl *pd_decls_find(const PdDecls *d, const char *key) {
  for (guint i = 0; i < d->items->len; i++)
    if (strcmp(g_array_index(d->items, PdDecl, i).key, key) == 0) return &g_array_index(d->items, PdDecl, i);
  return NULL;
}
