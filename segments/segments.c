/* segments.c - sizes and pairwise overlap of a model's segments; see
 * segments.h. The definitions of every number are in docs/segments.md. */
#include "segments.h"

#include <math.h>
#include <string.h>

#define PCT_DECIMALS 1
#define JACCARD_DECIMALS 3

struct Segments {
  PersonaModel *model;
  guint n;           /* segments the model declares */
  guint64 records, ok, failed;
  guint64 *both;     /* n × n: both[i*n+j] profiles in i and j; the diagonal is each size */
  guint *held;       /* scratch: the indexes of the segments one result holds */
};

Segments *segments_new(PersonaModel *model) {
  Segments *seg = g_new0(Segments, 1);
  seg->model = persona_model_ref(model);
  seg->n = persona_model_n_items(model, PERSONA_ITEM_SEGMENT);
  seg->both = g_new0(guint64, (gsize)seg->n * seg->n + 1);
  seg->held = g_new0(guint, seg->n + 1);
  return seg;
}

void segments_free(Segments *seg) {
  if (!seg) return;
  g_free(seg->both);
  g_free(seg->held);
  persona_model_unref(seg->model);
  g_free(seg);
}

void segments_add_error(Segments *seg) {
  seg->records++;
  seg->failed++;
}

/* Result strings are the model's own (the same pointers); a name compare
 * covers a model whose accessors copy. */
static gboolean same_name(const char *a, const char *b) { return a == b || (a && b && strcmp(a, b) == 0); }

void segments_add(Segments *seg, PersonaEvalStatus status, const PersonaResult *result) {
  if (status != PERSONA_EVAL_OK || !result) {
    segments_add_error(seg);
    return;
  }
  seg->records++;
  seg->ok++;
  /* Both lists are in declaration order: one pass finds the indexes. */
  guint n_held = 0, j = 0, n = persona_result_n_segments(result);
  for (guint i = 0; i < n; i++) {
    const char *name = persona_result_segment(result, i);
    while (j < seg->n && !same_name(persona_model_item_name(seg->model, PERSONA_ITEM_SEGMENT, j), name)) j++;
    if (j < seg->n) seg->held[n_held++] = j++;
  }
  for (guint a = 0; a < n_held; a++)
    for (guint b = a; b < n_held; b++) {
      seg->both[(gsize)seg->held[a] * seg->n + seg->held[b]]++;
      if (a != b) seg->both[(gsize)seg->held[b] * seg->n + seg->held[a]]++;
    }
}

guint64 segments_size(const Segments *seg, guint i) { return i < seg->n ? seg->both[(gsize)i * seg->n + i] : 0; }

guint64 segments_both(const Segments *seg, guint i, guint j) {
  return i < seg->n && j < seg->n ? seg->both[(gsize)i * seg->n + j] : 0;
}

guint64 segments_evaluated(const Segments *seg) { return seg->ok; }

/* ---- the document ---------------------------------------------------------------- */

static const char *name_of(const Segments *seg, guint i) {
  return persona_model_item_name(seg->model, PERSONA_ITEM_SEGMENT, i);
}

static void overview(const Segments *seg, RenderDoc *doc) {
  RenderSection *s = render_section_add(doc, "overview", "Overview");
  render_figure_add(s, "records", "Records", render_int_cell((gint64)seg->records));
  render_figure_add(s, "evaluated", "Evaluated", render_int_cell((gint64)seg->ok));
  render_figure_add(s, "errors", "Errors", render_int_cell((gint64)seg->failed));
  render_figure_add(s, "segments", "Segments", render_int_cell(seg->n));
}

static void sizes(const Segments *seg, RenderDoc *doc) {
  static const RenderPrevalence p = {
      .chart_id = "segments.share",
      .chart_title = "Share of profiles in each segment",
      .table_id = "segments.sizes",
      .table_title = "Profiles per segment",
      .item_key = "segment",
      .item_label = "Segment",
      .decimals = PCT_DECIMALS,
  };
  const char **names = g_new(const char *, seg->n + 1), **labels = g_new(const char *, seg->n + 1);
  guint64 *sizes = g_new(guint64, seg->n + 1);
  for (guint i = 0; i < seg->n; i++) {
    names[i] = name_of(seg, i);
    labels[i] = persona_model_item_label(seg->model, PERSONA_ITEM_SEGMENT, i);
    sizes[i] = segments_size(seg, i);
  }
  render_prevalence_add(render_section_add(doc, "segments", "Segments"), &p, seg->n, names, labels, sizes, seg->ok);
  g_free(names);
  g_free(labels);
  g_free(sizes);
}

/* Every pair once, in declaration order: sizes, both, either, Jaccard. */
static void overlap(const Segments *seg, RenderDoc *doc) {
  if (seg->n < 2) return;
  RenderSection *s = render_section_add(doc, "overlap", "Overlap");
  RenderTable *t = render_table_add(s, "overlap.pairs", "Profiles in both segments of each pair");
  render_table_column(t, "a", "Segment A", NULL);
  render_table_column(t, "b", "Segment B", NULL);
  render_table_column(t, "size_a", "In A", NULL);
  render_table_column(t, "size_b", "In B", NULL);
  render_table_column(t, "both", "In both", NULL);
  render_table_column(t, "either", "In either", NULL);
  render_table_column(t, "jaccard", "Jaccard", NULL);
  for (guint i = 0; i < seg->n; i++)
    for (guint j = i + 1; j < seg->n; j++) {
      guint64 a = segments_size(seg, i), b = segments_size(seg, j), both = segments_both(seg, i, j);
      guint64 either = a + b - both;
      RenderCell row[] = {render_text_cell(name_of(seg, i)),
                          render_text_cell(name_of(seg, j)),
                          render_int_cell((gint64)a),
                          render_int_cell((gint64)b),
                          render_int_cell((gint64)both),
                          render_int_cell((gint64)either),
                          either ? render_num_cell((double)both / (double)either, JACCARD_DECIMALS)
                                 : render_none_cell()};
      render_table_row(t, row);
    }
}

RenderDoc *segments_document(const Segments *seg, const char *source, gint64 now_us) {
  RenderDoc *doc = render_doc_new_for_profiles("Segments of ", persona_model_name(seg->model),
                                               persona_model_version(seg->model), seg->records, source, now_us);
  overview(seg, doc);
  sizes(seg, doc);
  overlap(seg, doc);
  return doc;
}
