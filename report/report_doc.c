/* report_doc.c - the report's document (render/render.h) from the counts
 * of report.c: overview, one funnel per lifecycle, scores, tags, journeys,
 * data quality. The definitions of every number are in docs/report.md. */
#include <math.h>
#include <string.h>

#include "report_internal.h"
#include "stats.h"

#define PCT_DECIMALS 1
#define DAYS_DECIMALS 1
#define SCORE_DECIMALS 2
#define HISTOGRAM_BINS 10

static double pct(guint64 part, guint64 whole) { return whole ? 100.0 * (double)part / (double)whole : NAN; }

static RenderCell pct_cell(guint64 part, guint64 whole) {
  return whole ? render_num_cell(pct(part, whole), PCT_DECIMALS) : render_none_cell();
}

static RenderCell maybe_num(double v, int decimals) {
  return isfinite(v) ? render_num_cell(v, decimals) : render_none_cell();
}

/* ---- overview ------------------------------------------------------------------ */

static void overview(const Report *rep, RenderDoc *doc) {
  RenderSection *s = render_section_add(doc, "overview", "Overview");
  render_figure_add(s, "records", "Records", render_int_cell((gint64)rep->records));
  render_figure_add(s, "evaluated", "Evaluated", render_int_cell((gint64)rep->ok));
  render_figure_add(s, "errors", "Errors", render_int_cell((gint64)rep->failed));
  render_figure_add(s, "error_rate", "Error rate %", pct_cell(rep->failed, rep->records));
  render_figure_add(s, "tags", "Tags", render_int_cell(rep->n_tags));
  if (rep->n_segments) render_figure_add(s, "segments", "Segments", render_int_cell(rep->n_segments));
  render_figure_add(s, "scores", "Scores", render_int_cell(rep->n_scores));
  render_figure_add(s, "lifecycles", "Lifecycles", render_int_cell(rep->n_lifecycles));
  render_figure_add(s, "journeys", "Journeys", render_int_cell(rep->n_journeys));
}

/* ---- funnels ------------------------------------------------------------------- */

/* Profiles at funnel stage s or a later one in stage order: those that got
 * at least that far. Exit stages (report.c) count for none. */
static guint64 reached(const LifecycleCounts *lc, guint s) {
  guint64 n = 0;
  for (guint k = s; k < lc->n_stages; k++) n += lc->exit_stage[k] ? 0 : lc->at_stage[k];
  return n;
}

/* The next funnel stage after s, or n_stages. */
static guint next_funnel_stage(const LifecycleCounts *lc, guint s) {
  for (guint k = s + 1; k < lc->n_stages; k++)
    if (!lc->exit_stage[k]) return k;
  return lc->n_stages;
}

static void funnel_stages(const Report *rep, guint i, RenderSection *s, const char *id_prefix) {
  const LifecycleCounts *lc = &rep->lifecycles[i];
  g_autofree char *chart_id = g_strconcat(id_prefix, ".stages", NULL);
  RenderChart *c = render_chart_add(s, RENDER_CHART_FUNNEL, chart_id, "Profiles per stage", "Stage",
                                    "Profiles", NULL, 0);
  for (guint k = 0; k < lc->n_stages; k++)
    render_chart_point(c, persona_model_item_part(rep->model, PERSONA_ITEM_LIFECYCLE, i, k), (double)lc->at_stage[k]);

  g_autofree char *table_id = g_strconcat(id_prefix, ".conversion", NULL);
  RenderTable *t = render_table_add(s, table_id, "Stages in order: conversion and time in stage");
  render_table_column(t, "stage", "Stage", NULL);
  render_table_column(t, "profiles", "Profiles", NULL);
  render_table_column(t, "share", "Share", "%");
  render_table_column(t, "reached", "Reached", NULL);
  render_table_column(t, "next_conversion", "To next stage", "%");
  render_table_column(t, "cumulative_conversion", "From first stage", "%");
  render_table_column(t, "days_p50", "Days in stage p50", NULL);
  render_table_column(t, "days_p90", "Days in stage p90", NULL);
  guint64 first = reached(lc, 0);
  for (guint k = 0; k < lc->n_stages; k++) {
    GArray *days = lc->days_in[k];
    stats_sort((double *)days->data, days->len);
    guint64 here = reached(lc, k);
    guint next = next_funnel_stage(lc, k);
    gboolean in_funnel = !lc->exit_stage[k];
    RenderCell row[] = {
        render_text_cell(persona_model_item_part(rep->model, PERSONA_ITEM_LIFECYCLE, i, k)),
        render_int_cell((gint64)lc->at_stage[k]),
        pct_cell(lc->at_stage[k], rep->ok),
        in_funnel ? render_int_cell((gint64)here) : render_none_cell(),
        in_funnel && next < lc->n_stages ? pct_cell(reached(lc, next), here) : render_none_cell(),
        in_funnel ? pct_cell(here, first) : render_none_cell(),
        maybe_num(stats_percentile((double *)days->data, days->len, 50), DAYS_DECIMALS),
        maybe_num(stats_percentile((double *)days->data, days->len, 90), DAYS_DECIMALS),
    };
    render_table_row(t, row);
  }
}

static void funnel_moves(const Report *rep, guint i, RenderSection *s, const char *id_prefix) {
  const LifecycleCounts *lc = &rep->lifecycles[i];
  g_autofree char *id = g_strconcat(id_prefix, ".transitions", NULL);
  RenderTable *t = render_table_add(s, id, "Transitions this evaluation took");
  render_table_column(t, "from", "From", NULL);
  render_table_column(t, "to", "To", NULL);
  render_table_column(t, "profiles", "Profiles", NULL);
  for (guint from = 0; from <= lc->n_stages; from++)
    for (guint to = 0; to < lc->n_stages; to++) {
      guint64 n = lc->moves[(gsize)from * lc->n_stages + to];
      if (n == 0) continue;
      RenderCell row[] = {
          render_text_cell(from ? persona_model_item_part(rep->model, PERSONA_ITEM_LIFECYCLE, i, from - 1) : "(first sight)"),
          render_text_cell(persona_model_item_part(rep->model, PERSONA_ITEM_LIFECYCLE, i, to)),
          render_int_cell((gint64)n),
      };
      render_table_row(t, row);
    }
}

static void funnels(const Report *rep, RenderDoc *doc) {
  for (guint i = 0; i < rep->n_lifecycles; i++) {
    const char *name = rep->lifecycles[i].name;
    g_autofree char *id = g_strconcat("lifecycle.", name, NULL);
    g_autofree char *title = g_strdup_printf("Funnel: %s", name);
    RenderSection *s = render_section_add(doc, id, title);
    funnel_stages(rep, i, s, id);
    funnel_moves(rep, i, s, id);
  }
}

/* ---- scores ------------------------------------------------------------------- */

static char *bin_label(const StatsBins *b, guint k) {
  char lo[G_ASCII_DTOSTR_BUF_SIZE], hi[G_ASCII_DTOSTR_BUF_SIZE];
  if (b->width == 0) return g_strdup(g_ascii_formatd(lo, sizeof lo, "%g", b->start));
  g_ascii_formatd(lo, sizeof lo, "%g", b->start + k * b->width);
  g_ascii_formatd(hi, sizeof hi, "%g", b->start + (k + 1) * b->width);
  return g_strdup_printf("%s–%s", lo, hi);
}

static void scores(const Report *rep, RenderDoc *doc) {
  if (rep->n_scores == 0) return;
  RenderSection *s = render_section_add(doc, "scores", "Scores");
  RenderTable *t = render_table_add(s, "scores.summary", "Distribution of each score");
  const char *const cols[][2] = {{"score", "Score"}, {"mean", "Mean"}, {"min", "Min"}, {"p10", "p10"},
                                 {"p50", "p50"}, {"p90", "p90"}, {"max", "Max"}};
  for (gsize c = 0; c < G_N_ELEMENTS(cols); c++) render_table_column(t, cols[c][0], cols[c][1], NULL);
  for (guint i = 0; i < rep->n_scores; i++) {
    GArray *v = rep->score_values[i];
    double *d = (double *)v->data;
    stats_sort(d, v->len);
    RenderCell row[] = {
        render_text_cell(persona_model_item_name(rep->model, PERSONA_ITEM_SCORE, i)),
        maybe_num(stats_mean(d, v->len), SCORE_DECIMALS),
        maybe_num(stats_percentile(d, v->len, 0), SCORE_DECIMALS),
        maybe_num(stats_percentile(d, v->len, 10), SCORE_DECIMALS),
        maybe_num(stats_percentile(d, v->len, 50), SCORE_DECIMALS),
        maybe_num(stats_percentile(d, v->len, 90), SCORE_DECIMALS),
        maybe_num(stats_percentile(d, v->len, 100), SCORE_DECIMALS),
    };
    render_table_row(t, row);
  }
  for (guint i = 0; i < rep->n_scores; i++) {
    GArray *v = rep->score_values[i];
    const char *name = persona_model_item_name(rep->model, PERSONA_ITEM_SCORE, i);
    StatsBins b;
    stats_bins((double *)v->data, v->len, HISTOGRAM_BINS, &b);
    g_autofree char *id = g_strconcat("score.", name, ".histogram", NULL);
    g_autofree char *title = g_strdup_printf("%s: profiles per range", name);
    RenderChart *c = render_chart_add(s, RENDER_CHART_HISTOGRAM, id, title, name, "Profiles", NULL, 0);
    for (guint k = 0; k < b.n; k++) {
      g_autofree char *label = bin_label(&b, k);
      render_chart_point(c, label, (double)b.counts[k]);
    }
    g_free(b.counts);
  }
}

/* ---- tags and segments ------------------------------------------------------------ */

/* The prevalence of each tag (kind PERSONA_ITEM_TAG) or segment: one chart
 * and one table, the same for both. */
static void prevalence(const Report *rep, RenderDoc *doc, PersonaItemKind kind) {
  gboolean seg = kind == PERSONA_ITEM_SEGMENT;
  guint n = seg ? rep->n_segments : rep->n_tags;
  if (n == 0) return;
  const RenderPrevalence p = {
      .chart_id = seg ? "segments.prevalence" : "tags.prevalence",
      .chart_title = seg ? "Share of profiles in each segment" : "Share of profiles with each tag",
      .table_id = seg ? "segments.counts" : "tags.counts",
      .table_title = seg ? "Profiles per segment" : "Profiles per tag",
      .item_key = seg ? "segment" : "tag",
      .item_label = seg ? "Segment" : "Tag",
      .decimals = PCT_DECIMALS,
  };
  const char **names = g_new(const char *, n), **labels = g_new(const char *, n);
  for (guint i = 0; i < n; i++) {
    names[i] = persona_model_item_name(rep->model, kind, i);
    labels[i] = persona_model_item_label(rep->model, kind, i);
  }
  RenderSection *s = render_section_add(doc, seg ? "segments" : "tags", seg ? "Segments" : "Tags");
  render_prevalence_add(s, &p, n, names, labels, seg ? rep->segment_counts : rep->tag_counts, rep->ok);
  g_free(names);
  g_free(labels);
}

/* ---- journeys ------------------------------------------------------------------- */

static void journey(const Report *rep, guint i, RenderDoc *doc) {
  const JourneyCounts *j = &rep->journeys[i];
  g_autofree char *id = g_strconcat("journey.", j->name, NULL);
  g_autofree char *title = g_strdup_printf("Journey: %s", j->name);
  RenderSection *s = render_section_add(doc, id, title);
  g_autofree char *status_id = g_strconcat(id, ".status", NULL);
  RenderChart *c = render_chart_add(s, RENDER_CHART_BAR, status_id, "Profiles by status", "Status", "Profiles",
                                   NULL, 0);
  const struct {
    const char *label;
    guint64 n;
  } status[] = {{"not entered", j->idle}, {"waiting", j->active}, {"done", j->done}, {"exited", j->exited}};
  for (gsize k = 0; k < G_N_ELEMENTS(status); k++) render_chart_point(c, status[k].label, (double)status[k].n);

  g_autofree char *steps_id = g_strconcat(id, ".waiting", NULL);
  RenderTable *t = render_table_add(s, steps_id, "Profiles waiting at each step");
  render_table_column(t, "step", "Step", NULL);
  render_table_column(t, "kind", "Kind", NULL);
  render_table_column(t, "profiles", "Profiles", NULL);
  for (guint k = 0; k < j->n_steps; k++) {
    const char *step = persona_model_item_part(rep->model, PERSONA_ITEM_JOURNEY, i, k);
    const char *kind = persona_model_journey_step_kind(rep->model, i, step);
    if (!kind || (strcmp(kind, "wait") != 0 && strcmp(kind, "wait until") != 0)) continue; /* only waits hold profiles */
    RenderCell row[] = {render_text_cell(step), render_text_cell(kind), render_int_cell((gint64)j->waiting_at[k])};
    render_table_row(t, row);
  }
  g_autofree char *actions_id = g_strconcat(id, ".actions", NULL);
  RenderTable *a = render_table_add(s, actions_id, "Actions emitted by this evaluation, by kind");
  render_table_column(a, "kind", "Kind", NULL);
  render_table_column(a, "actions", "Actions", NULL);
  for (guint k = 0; k < REPORT_N_ACTION_KINDS; k++) {
    RenderCell row[] = {render_text_cell(report_action_kinds[k]),
                        render_int_cell((gint64)rep->actions[(gsize)i * REPORT_N_ACTION_KINDS + k])};
    render_table_row(a, row);
  }
}

/* ---- data quality ---------------------------------------------------------------- */

typedef struct {
  const char *kind;
  guint64 n;
} KindCount;

static int by_count_then_kind(const void *a, const void *b) {
  const KindCount *x = a, *y = b;
  if (x->n != y->n) return x->n < y->n ? 1 : -1;
  return strcmp(x->kind, y->kind);
}

static void errors_by_kind(const Report *rep, RenderSection *s) {
  GArray *kinds = g_array_new(FALSE, FALSE, sizeof(KindCount));
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, rep->error_kinds);
  while (g_hash_table_iter_next(&it, &k, &v)) {
    KindCount kc = {k, *(guint64 *)v};
    g_array_append_val(kinds, kc);
  }
  g_array_sort(kinds, by_count_then_kind); /* the hash order is not stable: sort */
  RenderTable *t = render_table_add(s, "quality.errors", "Records with errors, by error code");
  render_table_column(t, "code", "Code", NULL);
  render_table_column(t, "records", "Records", NULL);
  render_table_column(t, "share", "Share of records", "%");
  for (guint i = 0; i < kinds->len; i++) {
    const KindCount *kc = &g_array_index(kinds, KindCount, i);
    RenderCell row[] = {render_text_cell(kc->kind), render_int_cell((gint64)kc->n), pct_cell(kc->n, rep->records)};
    render_table_row(t, row);
  }
  g_array_free(kinds, TRUE);
}

static void fields(const Report *rep, RenderSection *s) {
  RenderTable *t = render_table_add(s, "quality.fields", "Fields without a value (absent or null)");
  render_table_column(t, "field", "Field", NULL);
  render_table_column(t, "missing", "Missing", NULL);
  render_table_column(t, "missing_share", "Share", "%");
  render_table_column(t, "then", "Then", NULL);
  for (guint i = 0; i < rep->n_fields; i++) {
    PersonaField f;
    persona_model_field(rep->model, i, &f);
    const char *then = f.has_default ? "default" : f.optional ? "null" : "error (required)";
    RenderCell row[] = {render_text_cell(f.name), render_int_cell((gint64)rep->field_missing[i]),
                        pct_cell(rep->field_missing[i], rep->records_scanned), render_text_cell(then)};
    render_table_row(t, row);
  }
}

static void quality(const Report *rep, RenderDoc *doc) {
  RenderSection *s = render_section_add(doc, "quality", "Data quality");
  render_figure_add(s, "records_with_errors", "Records with errors", render_int_cell((gint64)rep->failed));
  render_figure_add(s, "records_read", "Records read as JSON objects", render_int_cell((gint64)rep->records_scanned));
  errors_by_kind(rep, s);
  fields(rep, s);
}

/* ---- the document ---------------------------------------------------------------- */

RenderDoc *report_document(const Report *rep, const char *source) {
  RenderDoc *doc = render_doc_new_for_profiles("", persona_model_name(rep->model), persona_model_version(rep->model),
                                               rep->records, source, rep->now_us);
  overview(rep, doc);
  funnels(rep, doc);
  scores(rep, doc);
  prevalence(rep, doc, PERSONA_ITEM_TAG);
  prevalence(rep, doc, PERSONA_ITEM_SEGMENT);
  for (guint i = 0; i < rep->n_journeys; i++) journey(rep, i, doc);
  quality(rep, doc);
  return doc;
}
