/* render_internal.h - the document model behind render.h, shared by its
 * renderers (render_text.c, render_json.c, render_html.c). Not used
 * outside render/.
 *
 * Ownership: the document owns its sections, a section its blocks, a block
 * its strings and cells (all freed by render_doc_free).
 */
#ifndef PERSONA_RENDER_INTERNAL_H
#define PERSONA_RENDER_INTERNAL_H

#include "render.h"

typedef enum { BLOCK_FIGURES, BLOCK_PARAGRAPH, BLOCK_PREFORMATTED, BLOCK_TABLE, BLOCK_CHART } BlockKind;

typedef struct RenderFigure {
  char *key, *label;
  RenderCell value; /* text owned */
} RenderFigure;

typedef struct RenderColumn {
  char *key, *label, *unit; /* unit may be NULL */
} RenderColumn;

struct RenderTable {
  char *id, *title;
  GArray *columns;  /* RenderColumn */
  GPtrArray *rows;  /* RenderCell[n_columns], texts owned */
};

typedef struct RenderPoint {
  char *label;
  double value;
} RenderPoint;

struct RenderChart {
  RenderChartKind kind;
  char *id, *title, *unit;
  char *label_name, *value_name;
  int decimals;
  GArray *points; /* RenderPoint */
};

typedef struct RenderBlock {
  BlockKind kind;
  GArray *figures;   /* BLOCK_FIGURES: RenderFigure */
  char *text;        /* BLOCK_PARAGRAPH, BLOCK_PREFORMATTED */
  RenderTable *table;
  RenderChart *chart;
} RenderBlock;

struct RenderSection {
  char *id, *title;
  GPtrArray *blocks; /* RenderBlock */
};

struct RenderDoc {
  char *title, *subtitle;
  GPtrArray *sections; /* RenderSection */
};

const char *render_chart_kind_name(RenderChartKind kind);
/* A chart value with the chart's decimals, no unit ("12", "45.3"). */
void render_chart_value_append(GString *out, const RenderChart *c, double v);

void render_text_doc(const RenderDoc *doc, gboolean markdown, GString *out);
void render_json_doc(const RenderDoc *doc, GString *out);
void render_html_doc(const RenderDoc *doc, GString *out);
/* One chart as an inline <svg> element (render_svg.c). */
void render_svg_chart(const RenderChart *c, GString *out);
/* Text escaped for HTML element content and attribute values. */
void render_html_escape(GString *out, const char *s);

#endif
