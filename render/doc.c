/* doc.c - building and freeing the document model (render.h), and the one
 * number formatter every rendering uses. */
#include <math.h>
#include <string.h>

#include "render_internal.h"

gboolean render_format_parse(const char *name, RenderFormat *out) {
  static const struct {
    const char *name;
    RenderFormat format;
  } formats[] = {{"text", RENDER_TEXT}, {"md", RENDER_MARKDOWN}, {"markdown", RENDER_MARKDOWN},
                 {"json", RENDER_JSON}, {"html", RENDER_HTML}};
  for (gsize i = 0; i < G_N_ELEMENTS(formats); i++)
    if (strcmp(name, formats[i].name) == 0) {
      *out = formats[i].format;
      return TRUE;
    }
  return FALSE;
}

/* Fixed decimals, '.' as the point whatever the locale (g_ascii_formatd),
 * and never "-0". */
static void append_fixed(GString *out, double v, int decimals) {
  char fmt[16], buf[G_ASCII_DTOSTR_BUF_SIZE];
  if (decimals < 0) decimals = 0;
  if (decimals > 9) decimals = 9;
  double scale = pow(10, decimals);
  if (fabs(v) * scale < 0.5) v = 0; /* rounds to zero: print 0, not -0 */
  g_snprintf(fmt, sizeof fmt, "%%.%df", decimals);
  g_string_append(out, g_ascii_formatd(buf, sizeof buf, fmt, v));
}

void render_cell_append(GString *out, const RenderCell *cell) {
  switch (cell->kind) {
  case RENDER_CELL_TEXT: g_string_append(out, cell->text ? cell->text : ""); break;
  case RENDER_CELL_INT: g_string_append_printf(out, "%" G_GINT64_FORMAT, cell->i); break;
  case RENDER_CELL_NUMBER:
    if (isfinite(cell->n)) append_fixed(out, cell->n, cell->decimals);
    else g_string_append(out, "–");
    break;
  case RENDER_CELL_NONE: g_string_append(out, "–"); break;
  }
}

void render_chart_value_append(GString *out, const RenderChart *c, double v) {
  append_fixed(out, v, c->decimals);
}

const char *render_chart_kind_name(RenderChartKind kind) {
  switch (kind) {
  case RENDER_CHART_HISTOGRAM: return "histogram";
  case RENDER_CHART_FUNNEL: return "funnel";
  case RENDER_CHART_LINE: return "line";
  default: return "bar";
  }
}

/* ---- building ----------------------------------------------------------------- */

RenderDoc *render_doc_new(const char *title, const char *subtitle) {
  RenderDoc *d = g_new0(RenderDoc, 1);
  d->title = g_strdup(title);
  d->subtitle = g_strdup(subtitle);
  d->sections = g_ptr_array_new();
  return d;
}

RenderSection *render_section_add(RenderDoc *doc, const char *id, const char *title) {
  RenderSection *s = g_new0(RenderSection, 1);
  s->id = g_strdup(id);
  s->title = g_strdup(title);
  s->blocks = g_ptr_array_new();
  g_ptr_array_add(doc->sections, s);
  return s;
}

static RenderBlock *block_add(RenderSection *s, BlockKind kind) {
  RenderBlock *b = g_new0(RenderBlock, 1);
  b->kind = kind;
  g_ptr_array_add(s->blocks, b);
  return b;
}

static RenderCell cell_copy(RenderCell c) {
  if (c.kind == RENDER_CELL_TEXT) c.text = g_strdup(c.text ? c.text : "");
  return c;
}

void render_figure_add(RenderSection *s, const char *key, const char *label, RenderCell value) {
  /* Consecutive figures form one block. */
  RenderBlock *last = s->blocks->len ? g_ptr_array_index(s->blocks, s->blocks->len - 1) : NULL;
  if (!last || last->kind != BLOCK_FIGURES) {
    last = block_add(s, BLOCK_FIGURES);
    last->figures = g_array_new(FALSE, TRUE, sizeof(RenderFigure));
  }
  RenderFigure f = {g_strdup(key), g_strdup(label), cell_copy(value)};
  g_array_append_val(last->figures, f);
}

void render_paragraph_add(RenderSection *s, const char *text) {
  block_add(s, BLOCK_PARAGRAPH)->text = g_strdup(text);
}

void render_preformatted_add(RenderSection *s, const char *text) {
  char *t = g_strdup(text);
  gsize n = strlen(t);
  while (n && t[n - 1] == '\n') t[--n] = '\0'; /* the renderers end the block */
  block_add(s, BLOCK_PREFORMATTED)->text = t;
}

RenderTable *render_table_add(RenderSection *s, const char *id, const char *title) {
  RenderTable *t = g_new0(RenderTable, 1);
  t->id = g_strdup(id);
  t->title = g_strdup(title);
  t->columns = g_array_new(FALSE, TRUE, sizeof(RenderColumn));
  t->rows = g_ptr_array_new();
  block_add(s, BLOCK_TABLE)->table = t;
  return t;
}

void render_table_column(RenderTable *t, const char *key, const char *label, const char *unit) {
  g_return_if_fail(t->rows->len == 0);
  RenderColumn c = {g_strdup(key), g_strdup(label), g_strdup(unit)};
  g_array_append_val(t->columns, c);
}

void render_table_row(RenderTable *t, const RenderCell *cells) {
  RenderCell *row = g_new(RenderCell, t->columns->len);
  for (guint i = 0; i < t->columns->len; i++) row[i] = cell_copy(cells[i]);
  g_ptr_array_add(t->rows, row);
}

RenderChart *render_chart_add(RenderSection *s, RenderChartKind kind, const char *id, const char *title,
                              const char *label_name, const char *value_name, const char *unit, int decimals) {
  RenderChart *c = g_new0(RenderChart, 1);
  c->kind = kind;
  c->id = g_strdup(id);
  c->title = g_strdup(title);
  c->unit = g_strdup(unit);
  c->label_name = g_strdup(label_name ? label_name : "");
  c->value_name = g_strdup(value_name ? value_name : "value");
  c->decimals = decimals;
  c->points = g_array_new(FALSE, TRUE, sizeof(RenderPoint));
  block_add(s, BLOCK_CHART)->chart = c;
  return c;
}

void render_chart_point(RenderChart *c, const char *label, double value) {
  RenderPoint p = {g_strdup(label), isfinite(value) && value > 0 ? value : 0};
  g_array_append_val(c->points, p);
}

/* ---- freeing ------------------------------------------------------------------ */

static void cell_clear(RenderCell *c) {
  if (c->kind == RENDER_CELL_TEXT) g_free((char *)c->text);
}

static void table_free(RenderTable *t) {
  for (guint r = 0; r < t->rows->len; r++) {
    RenderCell *row = g_ptr_array_index(t->rows, r);
    for (guint i = 0; i < t->columns->len; i++) cell_clear(&row[i]);
    g_free(row);
  }
  for (guint i = 0; i < t->columns->len; i++) {
    RenderColumn *c = &g_array_index(t->columns, RenderColumn, i);
    g_free(c->key);
    g_free(c->label);
    g_free(c->unit);
  }
  g_ptr_array_free(t->rows, TRUE);
  g_array_free(t->columns, TRUE);
  g_free(t->id);
  g_free(t->title);
  g_free(t);
}

static void chart_free(RenderChart *c) {
  for (guint i = 0; i < c->points->len; i++) g_free(g_array_index(c->points, RenderPoint, i).label);
  g_array_free(c->points, TRUE);
  g_free(c->id);
  g_free(c->title);
  g_free(c->unit);
  g_free(c->label_name);
  g_free(c->value_name);
  g_free(c);
}

static void block_free(RenderBlock *b) {
  if (b->figures) {
    for (guint i = 0; i < b->figures->len; i++) {
      RenderFigure *f = &g_array_index(b->figures, RenderFigure, i);
      g_free(f->key);
      g_free(f->label);
      cell_clear(&f->value);
    }
    g_array_free(b->figures, TRUE);
  }
  g_free(b->text);
  if (b->table) table_free(b->table);
  if (b->chart) chart_free(b->chart);
  g_free(b);
}

void render_doc_free(RenderDoc *doc) {
  if (!doc) return;
  for (guint i = 0; i < doc->sections->len; i++) {
    RenderSection *s = g_ptr_array_index(doc->sections, i);
    for (guint k = 0; k < s->blocks->len; k++) block_free(g_ptr_array_index(s->blocks, k));
    g_ptr_array_free(s->blocks, TRUE);
    g_free(s->id);
    g_free(s->title);
    g_free(s);
  }
  g_ptr_array_free(doc->sections, TRUE);
  g_free(doc->title);
  g_free(doc->subtitle);
  g_free(doc);
}

void render_doc(const RenderDoc *doc, RenderFormat format, GString *out) {
  switch (format) {
  case RENDER_TEXT: render_text_doc(doc, FALSE, out); break;
  case RENDER_MARKDOWN: render_text_doc(doc, TRUE, out); break;
  case RENDER_JSON: render_json_doc(doc, out); break;
  case RENDER_HTML: render_html_doc(doc, out); break;
  }
}
