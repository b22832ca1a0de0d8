/* render_text.c - the document as plain text (aligned columns, bars of '#')
 * or as GitHub-flavoured Markdown (headings, pipe tables; a chart becomes a
 * table of its points). */
#include <string.h>

#include "render_internal.h"

/* Columns on a terminal: East Asian wide characters take two. */
static glong display_width(const char *s) {
  glong w = 0;
  for (const char *p = s; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    w += g_unichar_iswide(c) ? 2 : g_unichar_iszerowidth(c) ? 0 : 1;
  }
  return w;
}

static void pad(GString *out, glong n) {
  while (n-- > 0) g_string_append_c(out, ' ');
}

/* A Markdown cell: '|' escaped, line breaks as spaces. */
static void md_escape(GString *out, const char *s) {
  for (const char *p = s; *p; p++) {
    if (*p == '|') g_string_append(out, "\\|");
    else if (*p == '\n' || *p == '\r') g_string_append_c(out, ' ');
    else g_string_append_c(out, *p);
  }
}

static void cell_with_unit(GString *out, const RenderCell *c, const char *unit) {
  render_cell_append(out, c);
  if (unit && *unit && (c->kind == RENDER_CELL_INT || c->kind == RENDER_CELL_NUMBER))
    g_string_append(out, unit);
}

static char *cell_text(const RenderCell *c, const char *unit) {
  GString *s = g_string_new(NULL);
  cell_with_unit(s, c, unit);
  return g_string_free(s, FALSE);
}

static void figures(const GArray *figs, gboolean md, GString *out) {
  for (guint i = 0; i < figs->len; i++) {
    const RenderFigure *f = &g_array_index(figs, RenderFigure, i);
    g_string_append(out, md ? "- **" : "  ");
    g_string_append(out, f->label);
    g_string_append(out, md ? ":** " : ": ");
    render_cell_append(out, &f->value);
    g_string_append_c(out, '\n');
  }
  g_string_append_c(out, '\n');
}

/* Lines as written: indented in text, a fenced block in Markdown (a fence
 * longer than any run of backquotes in the text, so nothing closes it early). */
static void preformatted(const char *text, gboolean md, GString *out) {
  if (md) {
    guint run = 0, longest = 0;
    for (const char *p = text; *p; p++) {
      run = *p == '`' ? run + 1 : 0;
      longest = MAX(longest, run);
    }
    g_autofree char *fence = g_strnfill(MAX(3u, longest + 1), '`');
    g_string_append_printf(out, "%s\n%s\n%s\n\n", fence, text, fence);
    return;
  }
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (guint i = 0; lines[i]; i++) /* an empty line stays empty: no trailing blanks */
    g_string_append_printf(out, "%s%s\n", lines[i][0] ? "    " : "", lines[i]);
  g_string_append_c(out, '\n');
}

static gboolean is_number(const RenderCell *c) {
  return c->kind == RENDER_CELL_INT || c->kind == RENDER_CELL_NUMBER || c->kind == RENDER_CELL_NONE;
}

/* A grid of strings: header then rows, numbers right-aligned. */
static void grid(GString *out, guint n_cols, char **header, GPtrArray *rows, const gboolean *right, gboolean md) {
  glong *width = g_new0(glong, n_cols);
  for (guint c = 0; c < n_cols; c++) width[c] = display_width(header[c]);
  for (guint r = 0; r < rows->len; r++) {
    char **row = g_ptr_array_index(rows, r);
    for (guint c = 0; c < n_cols; c++) width[c] = MAX(width[c], display_width(row[c]));
  }
  for (guint r = 0; r <= rows->len + (md ? 1u : 0u); r++) {
    if (md && r == 1) { /* the delimiter row */
      for (guint c = 0; c < n_cols; c++) g_string_append(out, right[c] ? "|---:" : "|---");
      g_string_append(out, "|\n");
      continue;
    }
    char **row = r == 0 ? header : g_ptr_array_index(rows, r - 1 - (md ? 1 : 0));
    for (guint c = 0; c < n_cols; c++) {
      glong w = display_width(row[c]);
      if (md) {
        g_string_append(out, "| ");
        md_escape(out, row[c]);
        g_string_append_c(out, ' ');
        continue;
      }
      g_string_append(out, "  ");
      if (right[c] && r > 0) pad(out, width[c] - w);
      g_string_append(out, row[c]);
      if (!(right[c] && r > 0) && c + 1 < n_cols) pad(out, width[c] - w);
    }
    g_string_append(out, md ? "|\n" : "\n");
  }
  g_string_append_c(out, '\n');
  g_free(width);
}

static void free_row(gpointer p) { g_strfreev(p); }

static void table(const RenderTable *t, gboolean md, GString *out) {
  guint n = t->columns->len;
  if (t->title) g_string_append_printf(out, md ? "**%s**\n\n" : "  %s\n", t->title);
  char **header = g_new0(char *, n + 1);
  gboolean *right = g_new0(gboolean, n);
  for (guint c = 0; c < n; c++) {
    const RenderColumn *col = &g_array_index(t->columns, RenderColumn, c);
    header[c] = g_strdup(col->label);
  }
  GPtrArray *rows = g_ptr_array_new_with_free_func(free_row);
  for (guint r = 0; r < t->rows->len; r++) {
    const RenderCell *cells = g_ptr_array_index(t->rows, r);
    char **row = g_new0(char *, n + 1);
    for (guint c = 0; c < n; c++) {
      row[c] = cell_text(&cells[c], g_array_index(t->columns, RenderColumn, c).unit);
      if (r == 0) right[c] = is_number(&cells[c]);
    }
    g_ptr_array_add(rows, row);
  }
  if (rows->len == 0) g_string_append(out, md ? "_(none)_\n\n" : "  (none)\n\n");
  else grid(out, n, header, rows, right, md);
  g_ptr_array_free(rows, TRUE);
  g_strfreev(header);
  g_free(right);
}

#define TEXT_BAR_WIDTH 30

static void chart(const RenderChart *c, gboolean md, GString *out) {
  double max = 0;
  for (guint i = 0; i < c->points->len; i++) max = MAX(max, g_array_index(c->points, RenderPoint, i).value);
  if (c->title) g_string_append_printf(out, md ? "**%s**\n\n" : "  %s\n", c->title);
  if (c->points->len == 0) {
    g_string_append(out, md ? "_(no data)_\n\n" : "  (no data)\n\n");
    return;
  }
  GPtrArray *rows = g_ptr_array_new_with_free_func(free_row);
  for (guint i = 0; i < c->points->len; i++) {
    const RenderPoint *p = &g_array_index(c->points, RenderPoint, i);
    char **row = g_new0(char *, 4);
    row[0] = g_strdup(p->label);
    GString *v = g_string_new(NULL);
    render_chart_value_append(v, c, p->value);
    if (c->unit) g_string_append(v, c->unit);
    row[1] = g_string_free(v, FALSE);
    int bar = max > 0 ? (int)(p->value / max * TEXT_BAR_WIDTH + 0.5) : 0;
    row[2] = md ? NULL : g_strnfill(bar, '#');
    g_ptr_array_add(rows, row);
  }
  char *header[] = {"", "", "", NULL};
  static const gboolean right[] = {FALSE, TRUE, FALSE};
  if (md) {
    char *md_header[] = {c->label_name, c->value_name, NULL};
    grid(out, 2, md_header, rows, right, TRUE);
  } else {
    /* No header line for a text chart: label, value, bar. */
    GString *body = g_string_new(NULL);
    grid(body, 3, header, rows, right, FALSE);
    const char *first_nl = strchr(body->str, '\n');
    g_string_append(out, first_nl ? first_nl + 1 : body->str);
    g_string_free(body, TRUE);
  }
  g_ptr_array_free(rows, TRUE);
}

void render_text_doc(const RenderDoc *doc, gboolean md, GString *out) {
  if (md) {
    g_string_append_printf(out, "# %s\n\n", doc->title);
    if (doc->subtitle) g_string_append_printf(out, "%s\n\n", doc->subtitle);
  } else {
    g_string_append_printf(out, "%s\n", doc->title);
    if (doc->subtitle) g_string_append_printf(out, "%s\n", doc->subtitle);
    g_string_append_c(out, '\n');
  }
  for (guint i = 0; i < doc->sections->len; i++) {
    const RenderSection *s = g_ptr_array_index(doc->sections, i);
    g_string_append_printf(out, md ? "## %s\n\n" : "== %s ==\n\n", s->title);
    for (guint k = 0; k < s->blocks->len; k++) {
      const RenderBlock *b = g_ptr_array_index(s->blocks, k);
      switch (b->kind) {
      case BLOCK_FIGURES: figures(b->figures, md, out); break;
      case BLOCK_PARAGRAPH: g_string_append_printf(out, md ? "%s\n\n" : "  %s\n\n", b->text); break;
      case BLOCK_PREFORMATTED: preformatted(b->text, md, out); break;
      case BLOCK_TABLE: table(b->table, md, out); break;
      case BLOCK_CHART: chart(b->chart, md, out); break;
      }
    }
  }
  /* One newline at the end, not a blank line. */
  while (out->len >= 2 && out->str[out->len - 1] == '\n' && out->str[out->len - 2] == '\n')
    g_string_truncate(out, out->len - 1);
}
