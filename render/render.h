/* render.h - one document, four renderings: the shared renderer of the
 * commands that describe results (persona report, persona segments, and the
 * ones to come).
 *
 * A command builds a small document model — sections, each a list of
 * blocks: key figures, paragraphs, tables and charts — and renders it as
 * plain text, Markdown, JSON or one self-contained HTML page with inline
 * SVG charts (no script, no external style, font or image: it opens from a
 * file:// URL). Every rendering is a pure function of the document: the
 * same document gives the same bytes.
 *
 * Numbers are cells of a kind: an integer, or a number shown with a fixed
 * number of decimals, optionally with a unit ("%", "d"). Every rendering
 * prints a number through the same formatter, so the text in the page, the
 * Markdown and the JSON agree digit for digit. In HTML each number cell
 * also carries its value in data-value, and each chart's bars carry
 * data-label and data-value, so a test can compare the page with the JSON.
 *
 * JSON shape (docs/report.md documents it for readers):
 *   {"title":…,"subtitle":…,"sections":[{"id":…,"title":…,"blocks":[
 *     {"type":"figures","items":[{"key":…,"label":…,"value":…}]},
 *     {"type":"paragraph","text":…},
 *     {"type":"preformatted","text":…},
 *     {"type":"table","id":…,"title":…,"columns":[{"key":…,"label":…,"unit":…}],
 *      "rows":[{KEY:VALUE,…}]},
 *     {"type":"chart","id":…,"kind":"bar"|"histogram"|"funnel"|"line","title":…,
 *      "label_name":…,"value_name":…,"unit":…,
 *      "points":[{"label":…,"value":…}]}]}]}
 * Text values are strings, numbers are JSON numbers printed with the
 * cell's decimals, a missing number is null.
 *
 * Ownership: the document owns everything added to it; every string passed
 * in is copied. Blocks returned by the builders are borrowed from the
 * document and valid until render_doc_free().
 */
#ifndef PERSONA_RENDER_H
#define PERSONA_RENDER_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct RenderDoc RenderDoc;
typedef struct RenderSection RenderSection;
typedef struct RenderTable RenderTable;
typedef struct RenderChart RenderChart;

typedef enum { RENDER_TEXT, RENDER_MARKDOWN, RENDER_JSON, RENDER_HTML } RenderFormat;

/* "text", "md" (or "markdown"), "json", "html"; FALSE for anything else. */
gboolean render_format_parse(const char *name, RenderFormat *out);

/* A value in a table cell or a key figure. */
typedef enum { RENDER_CELL_TEXT, RENDER_CELL_INT, RENDER_CELL_NUMBER, RENDER_CELL_NONE } RenderCellKind;
typedef struct RenderCell {
  RenderCellKind kind;
  const char *text;   /* RENDER_CELL_TEXT (copied when added) */
  gint64 i;           /* RENDER_CELL_INT */
  double n;           /* RENDER_CELL_NUMBER */
  int decimals;       /* RENDER_CELL_NUMBER: digits after the point */
} RenderCell;

static inline RenderCell render_text_cell(const char *s) { return (RenderCell){.kind = RENDER_CELL_TEXT, .text = s}; }
static inline RenderCell render_int_cell(gint64 v) { return (RenderCell){.kind = RENDER_CELL_INT, .i = v}; }
static inline RenderCell render_num_cell(double v, int decimals) {
  return (RenderCell){.kind = RENDER_CELL_NUMBER, .n = v, .decimals = decimals};
}
/* A number that does not exist (a percentile of nothing): "–", JSON null. */
static inline RenderCell render_none_cell(void) { return (RenderCell){.kind = RENDER_CELL_NONE}; }

/* The cell's value as shown ("12", "45.3", "–"), without unit; appended. */
void render_cell_append(GString *out, const RenderCell *cell);

RenderDoc *render_doc_new(const char *title, const char *subtitle);
/* The document of a model's evaluation of a set of profiles: titled
 * "PREFIXNAME VERSION" (`version` may be NULL), subtitled "N profiles from
 * SOURCE, evaluated as of 2026-02-01T00:00:00Z" (`source` NULL: "standard
 * input"). */
RenderDoc *render_doc_new_for_profiles(const char *prefix, const char *name, const char *version,
                                       guint64 records, const char *source, gint64 now_us);
void render_doc_free(RenderDoc *doc);

/* A section; `id` is a stable identifier ([a-z0-9_-.]), used as the HTML
 * anchor and in JSON. */
RenderSection *render_section_add(RenderDoc *doc, const char *id, const char *title);

/* Key figures: a short list of labelled values shown prominently. */
void render_figure_add(RenderSection *s, const char *key, const char *label, RenderCell value);
void render_paragraph_add(RenderSection *s, const char *text);
/* Lines shown exactly as written, in a fixed-width font: a patch, source
 * lines. `text` is lines joined by '\n' (no final newline needed). Text
 * indents each line; Markdown fences them (```), HTML puts them in <pre>. */
void render_preformatted_add(RenderSection *s, const char *text);

/* A table with columns given as key, label and unit (unit may be NULL),
 * then rows of exactly that many cells. */
RenderTable *render_table_add(RenderSection *s, const char *id, const char *title);
void render_table_column(RenderTable *t, const char *key, const char *label, const char *unit);
void render_table_row(RenderTable *t, const RenderCell *cells);

/* A table's columns, or key figures, given as one array each (a table
 * of the facts instead of a call per column or figure). */
typedef struct RenderColumnSpec {
  const char *key, *label, *unit; /* unit may be NULL */
} RenderColumnSpec;
/* render_table_add, then render_table_column for each of the n columns. */
RenderTable *render_table_add_columns(RenderSection *s, const char *id, const char *title,
                                      const RenderColumnSpec *columns, guint n);
typedef struct RenderFigureSpec {
  const char *key, *label;
  RenderCell value;
} RenderFigureSpec;
/* render_figure_add for each of the n figures, in order. */
void render_figures_add(RenderSection *s, const RenderFigureSpec *figures, guint n);

/* A chart of labelled non-negative values: horizontal bars, a histogram
 * (vertical bars over bins, in order), a funnel (bars centred, in stage
 * order) or a line (points in order joined, from 0 at the bottom: a gain or
 * lift curve; each point a small square marker). `label_name` and `value_name` head the two columns where a
 * chart is written as a table (Markdown, text); values are shown with
 * `decimals` digits and `unit`. */
typedef enum { RENDER_CHART_BAR, RENDER_CHART_HISTOGRAM, RENDER_CHART_FUNNEL, RENDER_CHART_LINE } RenderChartKind;
RenderChart *render_chart_add(RenderSection *s, RenderChartKind kind, const char *id, const char *title,
                              const char *label_name, const char *value_name, const char *unit, int decimals);
void render_chart_point(RenderChart *c, const char *label, double value);

/* How many of `whole` profiles hold each of `n` items (tags, segments):
 * a bar chart of the shares in percent (each item by its label, else its
 * name; 0 when `whole` is 0) and a table of name (column `item_key`,
 * headed `item_label`), label, profiles and share (none when `whole` is
 * 0). `labels[i]` may be NULL. Nothing passed in is kept. */
typedef struct RenderPrevalence {
  const char *chart_id, *chart_title;
  const char *table_id, *table_title;
  const char *item_key, *item_label; /* "segment", "Segment" */
  int decimals;                      /* of the shares */
} RenderPrevalence;
void render_prevalence_add(RenderSection *s, const RenderPrevalence *p, guint n, const char *const *names,
                           const char *const *labels, const guint64 *counts, guint64 whole);

/* The whole document in `format`, appended to `out`. */
void render_doc(const RenderDoc *doc, RenderFormat format, GString *out);

/* Pieces for a command's own data JSON (backtest, diff: documented shapes,
 * not a document): a number printed with 17 significant digits, null when
 * not finite; `"key":`; a string, null for NULL. Appended to out. */
void render_json_number(GString *out, double x);
void render_json_key(GString *out, const char *key);
void render_json_string_or_null(GString *out, const char *s);

G_END_DECLS

#endif
