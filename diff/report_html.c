/* report_html.c - `persona diff --format html`: the report as one
 * self-contained page through the shared renderer (render/render.h), like
 * persona report, backtest, experiment and segments. Sections and ids are
 * stable (docs/diff.md lists them): summary, declarations, tags,
 * lifecycle.NAME (its matrix), scores (the statistics, a histogram and the
 * thresholds per changed score), journeys, most_changed, gates. */
#include <math.h>

#include "diff/report.h"
#include "render/render.h"

#define STAT 4 /* decimals of score changes */

static RenderCell stat_cell(double v) { return isfinite(v) ? render_num_cell(v, STAT) : render_none_cell(); }
static RenderCell count_cell(guint64 v) { return render_int_cell((gint64)v); }

static const char *decl_verb(const PdDeclChange *c) {
  return !c->old_text ? "added" : !c->new_text ? "removed" : "changed";
}

static void summary(RenderDoc *doc, const PdReport *r) {
  RenderSection *sec = render_section_add(doc, "summary", "Summary");
  render_figure_add(sec, "profiles", "Profiles compared", count_cell(r->n));
  render_figure_add(sec, "skipped", "Skipped", count_cell(r->skipped));
  render_figure_add(sec, "stage_changed", "Change stage", count_cell(r->stage_changed));
  render_figure_add(sec, "stage_changed_share", "Change stage, %",
                    r->n ? render_num_cell(100.0 * (double)r->stage_changed / (double)r->n, 1) : render_none_cell());
}

static void declarations(RenderDoc *doc, const PdReport *r) {
  RenderSection *sec = render_section_add(doc, "declarations", "Declarations");
  if (!r->decls->len) {
    render_paragraph_add(sec, "No declaration changed.");
    return;
  }
  RenderTable *t = render_table_add(sec, "declarations", "Removed, added and changed declarations");
  render_table_column(t, "key", "Declaration", NULL);
  render_table_column(t, "change", "Change", NULL);
  render_table_column(t, "old", "Old text", NULL);
  render_table_column(t, "new", "New text", NULL);
  for (guint i = 0; i < r->decls->len; i++) {
    const PdDeclChange *c = &g_array_index(r->decls, PdDeclChange, i);
    RenderCell row[] = {render_text_cell(c->key), render_text_cell(decl_verb(c)),
                        render_text_cell(c->old_text ? c->old_text : "–"),
                        render_text_cell(c->new_text ? c->new_text : "–")};
    render_table_row(t, row);
  }
}

static void tags(RenderDoc *doc, const PdReport *r) {
  if (!r->tags->len) return;
  RenderSection *sec = render_section_add(doc, "tags", "Tags and segments");
  RenderTable *t = render_table_add(sec, "tags", "Profiles holding each tag under OLD and NEW");
  render_table_column(t, "name", "Tag", NULL);
  render_table_column(t, "in", "Declared in", NULL);
  render_table_column(t, "old", "Old", NULL);
  render_table_column(t, "new", "New", NULL);
  render_table_column(t, "gained", "Gained", NULL);
  render_table_column(t, "lost", "Lost", NULL);
  RenderChart *flips = render_chart_add(sec, RENDER_CHART_BAR, "tag_flips", "Profiles that gain or lose each tag",
                                        "Tag", "Profiles", NULL, 0);
  for (guint i = 0; i < r->tags->len; i++) {
    const PdTagDiff *d = &g_array_index(r->tags, PdTagDiff, i);
    RenderCell row[] = {render_text_cell(d->name),
                        render_text_cell(d->in_old && d->in_new ? "both" : d->in_old ? "old" : "new"),
                        count_cell(d->held_old), count_cell(d->held_new), count_cell(d->gained), count_cell(d->lost)};
    render_table_row(t, row);
    if (d->gained || d->lost) render_chart_point(flips, d->name, (double)(d->gained + d->lost));
  }
}

static void lifecycle(RenderDoc *doc, const PdLifecycleDiff *l) {
  g_autofree char *id = g_strdup_printf("lifecycle.%s", l->name);
  g_autofree char *title = g_strdup_printf("Lifecycle %s: %" G_GUINT64_FORMAT " profiles change stage", l->name,
                                           l->changed);
  RenderSection *sec = render_section_add(doc, id, title);
  g_autofree char *table_id = g_strdup_printf("matrix.%s", l->name);
  RenderTable *t = render_table_add(sec, table_id, "Old stage (rows) × new stage (columns)");
  guint n = l->stages->len;
  render_table_column(t, "old_stage", "Old \\ new", NULL);
  for (guint j = 0; j < n; j++) {
    g_autofree char *key = g_strdup_printf("to_%s", (const char *)g_ptr_array_index(l->stages, j));
    render_table_column(t, key, g_ptr_array_index(l->stages, j), NULL);
  }
  RenderCell *row = g_new0(RenderCell, n + 1);
  for (guint a = 0; a < n; a++) {
    row[0] = render_text_cell(g_ptr_array_index(l->stages, a));
    for (guint b = 0; b < n; b++) row[b + 1] = count_cell(l->matrix[a * n + b]);
    render_table_row(t, row);
  }
  g_free(row);
}

/* A histogram's bin labels: each bin's lower edge. */
static void histogram(RenderSection *sec, const PdScoreDiff *s) {
  g_autofree char *id = g_strdup_printf("histogram.%s", s->name);
  g_autofree char *title = g_strdup_printf("%s: the change (new − old) in equal bins from min to max", s->name);
  RenderChart *c = render_chart_add(sec, RENDER_CHART_HISTOGRAM, id, title, "From", "Profiles", NULL, 0);
  double width = s->n_bins > 1 ? (s->max - s->min) / s->n_bins : 0;
  for (guint b = 0; b < s->n_bins; b++) {
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    render_chart_point(c, g_ascii_formatd(buf, sizeof buf, "%.4g", s->min + b * width), (double)s->hist[b]);
  }
}

static void scores(RenderDoc *doc, const PdReport *r) {
  if (!r->scores->len) return;
  RenderSection *sec = render_section_add(doc, "scores", "Scores: the change new − old");
  RenderTable *t = render_table_add(sec, "scores", "Per score, over all compared profiles");
  const char *keys[] = {"changed", "mean", "p10", "p50", "p90", "min", "max"};
  const char *labels[] = {"Changed", "Mean", "p10", "p50", "p90", "Min", "Max"};
  render_table_column(t, "name", "Score", NULL);
  for (guint k = 0; k < G_N_ELEMENTS(keys); k++) render_table_column(t, keys[k], labels[k], NULL);
  for (guint i = 0; i < r->scores->len; i++) {
    const PdScoreDiff *s = &g_array_index(r->scores, PdScoreDiff, i);
    RenderCell row[] = {render_text_cell(s->name), count_cell(s->changed), stat_cell(s->mean), stat_cell(s->p10),
                        stat_cell(s->p50), stat_cell(s->p90), stat_cell(s->min), stat_cell(s->max)};
    render_table_row(t, row);
  }
  RenderTable *th = render_table_add(sec, "thresholds", "Thresholds each score is compared with: profiles crossing them");
  render_table_column(th, "threshold", "Threshold", NULL);
  render_table_column(th, "up", "Now hold it", NULL);
  render_table_column(th, "down", "No longer", NULL);
  for (guint i = 0; i < r->scores->len; i++) {
    const PdScoreDiff *s = &g_array_index(r->scores, PdScoreDiff, i);
    if (s->changed) histogram(sec, s);
    for (guint k = 0; k < s->thresholds->len; k++) {
      const PdThreshold *x = &g_array_index(s->thresholds, PdThreshold, k);
      g_autofree char *name = g_strdup_printf("%s %s %.6g", s->name, x->op, x->value);
      RenderCell row[] = {render_text_cell(name), count_cell(x->up), count_cell(x->down)};
      render_table_row(th, row);
    }
  }
}

static void journeys(RenderDoc *doc, const PdReport *r) {
  if (!r->journeys->len) return;
  RenderSection *sec = render_section_add(doc, "journeys", "Journeys");
  RenderTable *t = render_table_add(sec, "journeys", "Profiles in each journey, entering and exiting it differently");
  const char *keys[] = {"in_old", "in_new", "enter_only_new", "enter_only_old", "exit_only_new", "exit_only_old"};
  const char *labels[] = {"In it, old", "In it, new", "Enter only new", "Enter only old", "Exit only new",
                          "Exit only old"};
  render_table_column(t, "name", "Journey", NULL);
  for (guint k = 0; k < G_N_ELEMENTS(keys); k++) render_table_column(t, keys[k], labels[k], NULL);
  for (guint i = 0; i < r->journeys->len; i++) {
    const PdJourneyDiff *j = &g_array_index(r->journeys, PdJourneyDiff, i);
    RenderCell row[] = {render_text_cell(j->name),       count_cell(j->in_old),         count_cell(j->in_new),
                        count_cell(j->enter_only_new), count_cell(j->enter_only_old), count_cell(j->exit_only_new),
                        count_cell(j->exit_only_old)};
    render_table_row(t, row);
  }
}

static void most_changed(RenderDoc *doc, const PdReport *r) {
  if (!r->top->len) return;
  RenderSection *sec = render_section_add(doc, "most_changed", "Most changed profiles");
  RenderTable *t = render_table_add(sec, "most_changed", "What changed, and the rule behind each change");
  render_table_column(t, "id", "Profile", NULL);
  render_table_column(t, "line", "Line", NULL);
  render_table_column(t, "what", "What changed", NULL);
  render_table_column(t, "why", "Why", NULL);
  for (guint i = 0; i < r->top->len; i++) {
    const PdProfileChange *c = &g_array_index(r->top, PdProfileChange, i);
    g_autoptr(GString) why = g_string_new(NULL);
    for (guint k = 0; c->why && k < c->why->len; k++)
      g_string_append_printf(why, "%s%s", k ? "; " : "", (const char *)g_ptr_array_index(c->why, k));
    RenderCell row[] = {render_text_cell(c->id_json), count_cell(c->line), render_text_cell(c->what),
                        render_text_cell(why->len ? why->str : "–")};
    render_table_row(t, row);
  }
}

static void gate_lines(RenderDoc *doc, const PdReport *r) {
  if (!r->gate_lines->len) return;
  RenderSection *sec = render_section_add(doc, "gates", r->gate_failed ? "Gates: FAILED" : "Gates: passed");
  for (guint i = 0; i < r->gate_lines->len; i++) render_paragraph_add(sec, g_ptr_array_index(r->gate_lines, i));
}

void pd_report_html(const PdReport *r, GString *out) {
  g_autofree char *title = g_strdup_printf("persona diff: %s → %s", r->old_label, r->new_label);
  g_autofree char *subtitle = g_strdup_printf("%s → %s", r->old_spec, r->new_spec);
  RenderDoc *doc = render_doc_new(title, subtitle);
  summary(doc, r);
  declarations(doc, r);
  tags(doc, r);
  for (guint i = 0; i < r->lifecycles->len; i++) lifecycle(doc, &g_array_index(r->lifecycles, PdLifecycleDiff, i));
  scores(doc, r);
  journeys(doc, r);
  most_changed(doc, r);
  gate_lines(doc, r);
  render_doc(doc, RENDER_HTML, out);
  render_doc_free(doc);
}
