/* diag.c - collecting, sorting and rendering diagnostics; see diag.h.
 *
 * The text form follows GCC and Clang: a `file:line:col:` header with a
 * byte column, the source line behind a line-number gutter, and a caret
 * line whose padding is measured in display columns so that the caret
 * sits under the right character even after tabs, CJK text (two columns
 * per wide character) or invalid bytes.
 */
#include "diag.h"

#include "../runtime/json_write.h"

#include <stdarg.h>
#include <string.h>

/* ANSI colours, as GCC uses them. */
#define C_RESET "\033[0m"
#define C_BOLD "\033[1m"
#define C_ERROR "\033[1;31m"
#define C_WARNING "\033[1;35m"
#define C_NOTE "\033[1;36m"
#define C_CARET "\033[1;32m"

/* Longest name pdiag_suggest compares: identifiers are short, and the
 * edit distance costs length × length. */
#define SUGGEST_MAX_LEN 256

/* ---- the list -------------------------------------------------------------- */

static void pdiag_item_free(gpointer p) {
  PDiag *d = p;
  g_free(d->message);
  g_free(d->hint);
  g_free(d);
}

PDiagList *pdiag_new(void) {
  PDiagList *list = g_new0(PDiagList, 1);
  list->items = g_ptr_array_new_with_free_func(pdiag_item_free);
  return list;
}

void pdiag_free(PDiagList *list) {
  if (!list) return;
  g_ptr_array_unref(list->items);
  g_free(list);
}

gboolean pdiag_full(const PDiagList *list) {
  g_return_val_if_fail(list != NULL, TRUE);
  return list->n_errors >= PDIAG_MAX_ERRORS;
}

/* Past the cap, errors are dropped, and so are the notes that follow a
 * dropped error (they would otherwise attach to the wrong diagnostic).
 * Warnings are few and cheap, so they are always kept. */
static gboolean pdiag_keep(PDiagList *list, PDiagSeverity sev) {
  switch (sev) {
  case PDIAG_ERROR:
    list->dropping = pdiag_full(list);
    return !list->dropping;
  case PDIAG_WARNING:
    list->dropping = FALSE;
    return TRUE;
  case PDIAG_NOTE:
    return !list->dropping;
  }
  return TRUE;
}

void pdiag_add(PDiagList *list, PDiagSeverity sev, const PLoc *loc,
               const char *hint, const char *fmt, ...) {
  g_return_if_fail(list != NULL && fmt != NULL);
  if (!pdiag_keep(list, sev)) return;

  PDiag *d = g_new0(PDiag, 1);
  d->severity = sev;
  if (loc) {
    d->loc = *loc;
    d->has_loc = TRUE;
  }
  va_list ap;
  va_start(ap, fmt);
  d->message = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  d->hint = g_strdup(hint);
  g_ptr_array_add(list->items, d);
  if (sev == PDIAG_ERROR) list->n_errors++;
  if (sev == PDIAG_WARNING) list->n_warnings++;
}

/* ---- sorting --------------------------------------------------------------- */

/* A diagnostic with the notes that follow it; groups move as a whole. */
typedef struct {
  const PDiag *head;
  guint start, count;
} DiagGroup;

static int pdiag_group_cmp(gconstpointer pa, gconstpointer pb) {
  const DiagGroup *ga = pa, *gb = pb;
  const PDiag *a = ga->head, *b = gb->head;
  /* Diagnostics about no place in particular come first, then each file
   * in the order it was read, the whole-file ones (line 0) before the
   * positioned ones. */
  if (a->has_loc != b->has_loc) return a->has_loc ? 1 : -1;
  if (a->has_loc) {
    if (a->loc.file != b->loc.file) return a->loc.file < b->loc.file ? -1 : 1;
    gboolean pa_ = a->loc.line != 0, pb_ = b->loc.line != 0;
    if (pa_ != pb_) return pa_ ? 1 : -1;
    if (a->loc.offset != b->loc.offset) return a->loc.offset < b->loc.offset ? -1 : 1;
  }
  /* Equal positions keep the order reported. */
  return ga->start < gb->start ? -1 : ga->start > gb->start;
}

void pdiag_sort(PDiagList *list) {
  g_return_if_fail(list != NULL);
  GPtrArray *items = list->items;
  if (items->len < 2) return;

  g_autoptr(GArray) groups = g_array_new(FALSE, FALSE, sizeof(DiagGroup));
  for (guint i = 0; i < items->len; i++) {
    const PDiag *d = g_ptr_array_index(items, i);
    if (d->severity == PDIAG_NOTE && groups->len > 0) {
      g_array_index(groups, DiagGroup, groups->len - 1).count++;
    } else {
      DiagGroup g = {d, i, 1};
      g_array_append_val(groups, g);
    }
  }
  g_array_sort(groups, pdiag_group_cmp);

  /* Rebuild the item order without freeing anything: steal the pointers
   * into a plain copy first. */
  gpointer *old = g_memdup2(items->pdata, sizeof(gpointer) * items->len);
  guint k = 0;
  for (guint gi = 0; gi < groups->len; gi++) {
    const DiagGroup *g = &g_array_index(groups, DiagGroup, gi);
    for (guint j = 0; j < g->count; j++) items->pdata[k++] = old[g->start + j];
  }
  g_free(old);
}

/* ---- UTF-8 helpers --------------------------------------------------------- */

/* Decodes the character at p (p < end). Returns its length in bytes and
 * sets *c, or (gunichar)-1 for a byte that does not start a valid UTF-8
 * sequence (then the length is 1: every bad byte stands for itself). */
static gsize utf8_next(const char *p, const char *end, gunichar *c) {
  gunichar u = g_utf8_get_char_validated(p, (gssize)(end - p));
  if (u == (gunichar)-1 || u == (gunichar)-2) {
    *c = (gunichar)-1;
    return 1;
  }
  *c = u;
  return (gsize)(g_utf8_next_char(p) - p);
}

/* Characters a terminal would act on instead of showing. */
static gboolean is_control(gunichar c) {
  return c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0);
}

/* Display columns of one character of a source line as it is shown:
 * invalid bytes and control characters are shown as U+FFFD (one column). */
static guint display_width(gunichar c) {
  if (c == (gunichar)-1 || is_control(c)) return 1;
  if (g_unichar_iszerowidth(c)) return 0;
  return g_unichar_iswide(c) ? 2 : 1;
}

/* ---- text rendering -------------------------------------------------------- */

static const char *sev_word(PDiagSeverity sev) {
  switch (sev) {
  case PDIAG_ERROR: return "error";
  case PDIAG_WARNING: return "warning";
  case PDIAG_NOTE: return "note";
  }
  return "error";
}

static const char *sev_color(PDiagSeverity sev) {
  switch (sev) {
  case PDIAG_ERROR: return C_ERROR;
  case PDIAG_WARNING: return C_WARNING;
  case PDIAG_NOTE: return C_NOTE;
  }
  return C_ERROR;
}

static const char *file_name(const PSourceSet *src, uint32_t file) {
  const PSourceFile *f = src ? psrc_file(src, file) : NULL;
  return f ? f->name : NULL;
}

/* `file:line:col: error: message` (or shorter forms without a place). */
static void render_header(const PDiag *d, const PSourceSet *src, GString *out,
                          gboolean color) {
  const char *name = d->has_loc ? file_name(src, d->loc.file) : NULL;
  if (d->has_loc) {
    if (color) g_string_append(out, C_BOLD);
    g_string_append(out, name ? name : "<unknown>");
    if (d->loc.line > 0)
      g_string_append_printf(out, ":%u:%u", (unsigned)d->loc.line,
                             (unsigned)(d->loc.col ? d->loc.col : 1));
    g_string_append_c(out, ':');
    if (color) g_string_append(out, C_RESET);
    g_string_append_c(out, ' ');
  }
  if (color) g_string_append(out, sev_color(d->severity));
  g_string_append(out, sev_word(d->severity));
  g_string_append_c(out, ':');
  if (color) g_string_append(out, C_RESET);
  g_string_append_c(out, ' ');
  g_string_append(out, d->message);
  g_string_append_c(out, '\n');
}

/* The source line, with anything a terminal would interpret (control
 * characters, invalid bytes) replaced by U+FFFD; tabs are kept. */
static void append_shown_line(GString *out, const char *line, gsize len) {
  const char *p = line, *end = line + len;
  while (p < end) {
    gunichar c;
    gsize n = utf8_next(p, end, &c);
    if (c != '\t' && (c == (gunichar)-1 || is_control(c)))
      g_string_append(out, "\xEF\xBF\xBD");
    else
      g_string_append_len(out, p, (gssize)n);
    p += n;
  }
}

/* The caret line's content after the gutter: padding up to byte column
 * `col` (tabs copied, wide characters two spaces), then `^` and `~` for
 * the span's display width on this line. */
static void append_caret(GString *out, const char *line, gsize len, const PLoc *loc,
                         gboolean color) {
  const char *p = line, *end = line + len;
  gsize start = loc->col > 0 ? loc->col - 1 : 0;
  while (p < end && (gsize)(p - line) < start) {
    gunichar c;
    gsize n = utf8_next(p, end, &c);
    if (c == '\t')
      g_string_append_c(out, '\t');
    else
      for (guint w = display_width(c); w > 0; w--) g_string_append_c(out, ' ');
    p += n;
  }
  /* A column past the end of the line (an error at the end of the line or
   * of the file) keeps one column per missing byte. */
  for (gsize b = (gsize)(p - line); b < start; b++) g_string_append_c(out, ' ');

  /* The span on this line: to end_col when it ends here, to the end of
   * the line when it runs on to later lines. */
  gsize stop = (gsize)(p - line);
  if (loc->end_line == loc->line && loc->end_col > loc->col)
    stop = loc->end_col - 1;
  else if (loc->end_line > loc->line)
    stop = len;
  if (stop > len) stop = len;
  guint width = 0;
  while (p < end && (gsize)(p - line) < stop) {
    gunichar c;
    gsize n = utf8_next(p, end, &c);
    width += c == '\t' ? 1 : display_width(c);
    p += n;
  }
  if (color) g_string_append(out, C_CARET);
  g_string_append_c(out, '^');
  for (guint i = 1; i < width; i++) g_string_append_c(out, '~');
  if (color) g_string_append(out, C_RESET);
}

static void render_snippet(const PDiag *d, const PSourceSet *src, GString *out,
                           gboolean color) {
  if (!d->has_loc || d->loc.line == 0 || !src) return;
  g_autofree char *line = psrc_line_text(src, d->loc.file, d->loc.line);
  if (!line) return;
  gsize len = strlen(line);

  /* Gutter as GCC draws it: at least four digits wide, one space before. */
  char num[16];
  int digits = g_snprintf(num, sizeof num, "%u", (unsigned)d->loc.line);
  int width = digits > 4 ? digits : 4;
  g_string_append_printf(out, " %*s | ", width, num);
  append_shown_line(out, line, len);
  g_string_append_c(out, '\n');
  g_string_append_printf(out, " %*s | ", width, "");
  append_caret(out, line, len, &d->loc, color);
  g_string_append_c(out, '\n');
}

void pdiag_render_text(const PDiagList *list, const PSourceSet *src,
                       GString *out, gboolean color) {
  g_return_if_fail(list != NULL && out != NULL);
  for (guint i = 0; i < list->items->len; i++) {
    const PDiag *d = g_ptr_array_index(list->items, i);
    render_header(d, src, out, color);
    render_snippet(d, src, out, color);
    if (d->hint) {
      g_string_append(out, color ? C_BOLD "hint:" C_RESET " " : "hint: ");
      g_string_append(out, d->hint);
      g_string_append_c(out, '\n');
    }
  }
  if (pdiag_full(list)) {
    g_string_append(out, color ? C_NOTE "note:" C_RESET " " : "note: ");
    g_string_append_printf(out, "too many errors; stopped after the first %d\n",
                           PDIAG_MAX_ERRORS);
  }
}

/* ---- JSON rendering -------------------------------------------------------- */

/* A JSON string; invalid UTF-8 (a file name is bytes) becomes U+FFFD so
 * the output is always valid JSON. */
static void json_string(GString *out, const char *s) {
  if (!s) {
    g_string_append(out, "null");
    return;
  }
  if (g_utf8_validate(s, -1, NULL)) {
    pjw_cstring(out, s);
    return;
  }
  g_autofree char *valid = g_utf8_make_valid(s, -1);
  pjw_cstring(out, valid);
}

static void json_uint_or_null(GString *out, gboolean present, uint32_t v) {
  if (present)
    g_string_append_printf(out, "%u", (unsigned)v);
  else
    g_string_append(out, "null");
}

/* Every object has every key, with null where a value does not apply, so
 * that consumers need no existence checks. */
static void render_json_item(const PDiag *d, const PSourceSet *src, GString *out) {
  gboolean pos = d->has_loc && d->loc.line > 0;
  g_string_append(out, "{\"file\":");
  json_string(out, d->has_loc ? file_name(src, d->loc.file) : NULL);
  g_string_append(out, ",\"line\":");
  json_uint_or_null(out, pos, d->loc.line);
  g_string_append(out, ",\"column\":");
  json_uint_or_null(out, pos, d->loc.col);
  g_string_append(out, ",\"end_line\":");
  json_uint_or_null(out, pos, d->loc.end_line);
  g_string_append(out, ",\"end_column\":");
  json_uint_or_null(out, pos, d->loc.end_col);
  g_string_append(out, ",\"severity\":");
  json_string(out, sev_word(d->severity));
  g_string_append(out, ",\"message\":");
  json_string(out, d->message);
  g_string_append(out, ",\"hint\":");
  json_string(out, d->hint);
  g_string_append_c(out, '}');
}

void pdiag_render_json(const PDiagList *list, const PSourceSet *src,
                       GString *out) {
  g_return_if_fail(list != NULL && out != NULL);
  g_string_append(out, "{\"diagnostics\":[");
  for (guint i = 0; i < list->items->len; i++) {
    if (i) g_string_append_c(out, ',');
    render_json_item(g_ptr_array_index(list->items, i), src, out);
  }
  g_string_append_printf(out, "],\"errors\":%u,\"warnings\":%u}\n", list->n_errors,
                         list->n_warnings);
}

/* ---- suggestions ------------------------------------------------------------ */

/* Optimal-string-alignment Damerau–Levenshtein distance over bytes
 * (identifiers are ASCII): insert, delete, substitute, swap two adjacent.
 * `rows` has room for 3 × (lb + 1) entries. `fold` compares ASCII letters
 * without case. */
static guint osa_distance(const char *a, gsize la, const char *b, gsize lb,
                          gboolean fold, guint *rows) {
  guint *prev2 = rows, *prev = rows + lb + 1, *cur = rows + 2 * (lb + 1);
  for (gsize j = 0; j <= lb; j++) prev[j] = (guint)j;
  for (gsize i = 1; i <= la; i++) {
    cur[0] = (guint)i;
    char ai = fold ? g_ascii_tolower(a[i - 1]) : a[i - 1];
    for (gsize j = 1; j <= lb; j++) {
      char bj = fold ? g_ascii_tolower(b[j - 1]) : b[j - 1];
      guint cost = ai != bj;
      guint v = MIN(prev[j] + 1, cur[j - 1] + 1);
      v = MIN(v, prev[j - 1] + cost);
      if (i > 1 && j > 1) {
        char ap = fold ? g_ascii_tolower(a[i - 2]) : a[i - 2];
        char bp = fold ? g_ascii_tolower(b[j - 2]) : b[j - 2];
        if (ai == bp && ap == bj) v = MIN(v, prev2[j - 2] + 1);
      }
      cur[j] = v;
    }
    guint *t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  return prev[lb];
}

const char *pdiag_suggest(const char *name, const char *const *candidates,
                          guint n_candidates) {
  g_return_val_if_fail(name != NULL, NULL);
  if (!candidates) return NULL;
  gsize la = strlen(name);
  if (la == 0 || la > SUGGEST_MAX_LEN) return NULL;
  guint limit = MAX(1u, (guint)(la / 3));

  /* No candidate further than `limit` in length can be close enough, so
   * the rows never need more than la + limit + 1 entries. */
  g_autofree guint *rows = g_new(guint, 3 * (la + limit + 1));
  const char *best = NULL;
  guint best_d = G_MAXUINT, best_fold = G_MAXUINT;
  for (guint i = 0; i < n_candidates; i++) {
    const char *c = candidates[i];
    if (!c || strcmp(c, name) == 0) continue;
    gsize lb = strlen(c);
    if ((lb > la ? lb - la : la - lb) > limit) continue;
    guint d = osa_distance(name, la, c, lb, FALSE, rows);
    if (d > limit || d > best_d) continue;
    /* Ties go to the candidate that differs least when case is ignored
     * (for "Lead": "lead" rather than "Leaf"), then to the earlier one. */
    guint fold = osa_distance(name, la, c, lb, TRUE, rows);
    if (d < best_d || fold < best_fold) {
      best = c;
      best_d = d;
      best_fold = fold;
    }
  }
  return best;
}
