/* render_json.c - the document as one JSON object (the shape is in
 * render.h), with a newline at the end. Keys and texts go through
 * persona_json_append_string, so they are escaped like every other
 * Persona output. */
#include <math.h>
#include <string.h>

#include "persona.h"
#include "render_internal.h"

static void str(GString *out, const char *s) {
  if (s) persona_json_append_string(out, s, -1);
  else g_string_append(out, "null");
}

static void key(GString *out, const char *k) {
  persona_json_append_string(out, k, -1);
  g_string_append_c(out, ':');
}

static void cell(GString *out, const RenderCell *c) {
  if (c->kind == RENDER_CELL_TEXT) {
    str(out, c->text);
  } else if (c->kind == RENDER_CELL_NONE) {
    g_string_append(out, "null");
  } else {
    GString *v = g_string_new(NULL);
    render_cell_append(v, c);
    /* "–" for a number that is not finite */
    g_string_append(out, strcmp(v->str, "–") == 0 ? "null" : v->str);
    g_string_free(v, TRUE);
  }
}

static void figures(GString *out, const GArray *figs) {
  g_string_append(out, "{\"type\":\"figures\",\"items\":[");
  for (guint i = 0; i < figs->len; i++) {
    const RenderFigure *f = &g_array_index(figs, RenderFigure, i);
    g_string_append(out, i ? ",{" : "{");
    key(out, "key");
    str(out, f->key);
    g_string_append_c(out, ',');
    key(out, "label");
    str(out, f->label);
    g_string_append_c(out, ',');
    key(out, "value");
    cell(out, &f->value);
    g_string_append_c(out, '}');
  }
  g_string_append(out, "]}");
}

static void table(GString *out, const RenderTable *t) {
  g_string_append(out, "{\"type\":\"table\",\"id\":");
  str(out, t->id);
  g_string_append(out, ",\"title\":");
  str(out, t->title);
  g_string_append(out, ",\"columns\":[");
  for (guint c = 0; c < t->columns->len; c++) {
    const RenderColumn *col = &g_array_index(t->columns, RenderColumn, c);
    g_string_append(out, c ? ",{\"key\":" : "{\"key\":");
    str(out, col->key);
    g_string_append(out, ",\"label\":");
    str(out, col->label);
    g_string_append(out, ",\"unit\":");
    str(out, col->unit);
    g_string_append_c(out, '}');
  }
  g_string_append(out, "],\"rows\":[");
  for (guint r = 0; r < t->rows->len; r++) {
    const RenderCell *cells = g_ptr_array_index(t->rows, r);
    g_string_append(out, r ? ",{" : "{");
    for (guint c = 0; c < t->columns->len; c++) {
      if (c) g_string_append_c(out, ',');
      key(out, g_array_index(t->columns, RenderColumn, c).key);
      cell(out, &cells[c]);
    }
    g_string_append_c(out, '}');
  }
  g_string_append(out, "]}");
}

static void chart(GString *out, const RenderChart *c) {
  g_string_append(out, "{\"type\":\"chart\",\"id\":");
  str(out, c->id);
  g_string_append(out, ",\"kind\":");
  str(out, render_chart_kind_name(c->kind));
  g_string_append(out, ",\"title\":");
  str(out, c->title);
  g_string_append(out, ",\"label_name\":");
  str(out, c->label_name);
  g_string_append(out, ",\"value_name\":");
  str(out, c->value_name);
  g_string_append(out, ",\"unit\":");
  str(out, c->unit);
  g_string_append(out, ",\"points\":[");
  for (guint i = 0; i < c->points->len; i++) {
    const RenderPoint *p = &g_array_index(c->points, RenderPoint, i);
    g_string_append(out, i ? ",{\"label\":" : "{\"label\":");
    str(out, p->label);
    g_string_append(out, ",\"value\":");
    render_chart_value_append(out, c, p->value);
    g_string_append_c(out, '}');
  }
  g_string_append(out, "]}");
}

void render_json_doc(const RenderDoc *doc, GString *out) {
  g_string_append(out, "{\"title\":");
  str(out, doc->title);
  g_string_append(out, ",\"subtitle\":");
  str(out, doc->subtitle);
  g_string_append(out, ",\"sections\":[");
  for (guint i = 0; i < doc->sections->len; i++) {
    const RenderSection *s = g_ptr_array_index(doc->sections, i);
    g_string_append(out, i ? ",{\"id\":" : "{\"id\":");
    str(out, s->id);
    g_string_append(out, ",\"title\":");
    str(out, s->title);
    g_string_append(out, ",\"blocks\":[");
    for (guint k = 0; k < s->blocks->len; k++) {
      const RenderBlock *b = g_ptr_array_index(s->blocks, k);
      if (k) g_string_append_c(out, ',');
      switch (b->kind) {
      case BLOCK_FIGURES: figures(out, b->figures); break;
      case BLOCK_PARAGRAPH:
        g_string_append(out, "{\"type\":\"paragraph\",\"text\":");
        str(out, b->text);
        g_string_append_c(out, '}');
        break;
      case BLOCK_PREFORMATTED:
        g_string_append(out, "{\"type\":\"preformatted\",\"text\":");
        str(out, b->text);
        g_string_append_c(out, '}');
        break;
      case BLOCK_TABLE: table(out, b->table); break;
      case BLOCK_CHART: chart(out, b->chart); break;
      }
    }
    g_string_append(out, "]}");
  }
  g_string_append(out, "]}\n");
}

void render_json_number(GString *out, double x) {
  if (!isfinite(x)) {
    g_string_append(out, "null");
    return;
  }
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_string_append(out, g_ascii_formatd(buf, sizeof buf, "%.17g", x));
}

void render_json_key(GString *out, const char *key) {
  persona_json_append_string(out, key, -1);
  g_string_append_c(out, ':');
}

void render_json_string_or_null(GString *out, const char *s) {
  if (s) persona_json_append_string(out, s, -1);
  else g_string_append(out, "null");
}
