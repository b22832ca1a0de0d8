/* report_doc.c - `persona diff` as text, Markdown or one self-contained
 * HTML page: one document of the shared renderer (render/render.h), like
 * persona report, backtest, experiment and segments (the JSON is the data
 * shape of report.c). Sections and ids are stable (docs/diff.md lists
 * them): summary, declarations, tags, lifecycle.NAME (its matrix), scores
 * (the statistics, a histogram and the thresholds per changed score),
 * journeys, most_changed, gates.
 *
 * Markdown is a summary for a pull-request comment: the same builders
 * make a compact document, without the charts, the declarations' text,
 * the tags no profile gains or loses and the thresholds no profile
 * crosses. */
#include <math.h>

#include "diff/report.h"
#include "render/render.h"

#define STAT 4 /* decimals of score changes */

static RenderCell stat_cell(double v) { return isfinite(v) ? render_num_cell(v, STAT) : render_none_cell(); }
static RenderCell count_cell(guint64 v) { return render_int_cell((gint64)v); }

/* The full document (text, HTML) or the compact one (Markdown). */
typedef struct {
  const PdReport *r;
  gboolean compact;
} Doc;

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

/* Each line of `text` prefixed with `prefix`. */
static void append_prefixed(GString *out, const char *prefix, const char *text) {
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    if (lines[i][0] || lines[i + 1]) g_string_append_printf(out, "%s%s\n", prefix, lines[i]);
}

/* The table of what changed; in the full document then each declaration's
 * old (-) and new (+) text as a patch. */
static void declarations(RenderDoc *doc, const Doc *d) {
  const PdReport *r = d->r;
  RenderSection *sec = render_section_add(doc, "declarations", "Declarations");
  if (!r->decls->len) {
    render_paragraph_add(sec, "No declaration changed.");
    return;
  }
  RenderTable *t = render_table_add(sec, "declarations", "Removed, added and changed declarations");
  render_table_column(t, "key", "Declaration", NULL);
  render_table_column(t, "change", "Change", NULL);
  GString *patch = g_string_new(NULL);
  for (guint i = 0; i < r->decls->len; i++) {
    const PdDeclChange *c = &g_array_index(r->decls, PdDeclChange, i);
    RenderCell row[] = {render_text_cell(c->key), render_text_cell(decl_verb(c))};
    render_table_row(t, row);
    g_string_append_printf(patch, "%s%s %s\n", i ? "\n" : "", decl_verb(c), c->key);
    if (c->old_text) append_prefixed(patch, "- ", c->old_text);
    if (c->new_text) append_prefixed(patch, "+ ", c->new_text);
  }
  if (!d->compact) render_preformatted_add(sec, patch->str);
  g_string_free(patch, TRUE);
}

/* Tags that some profile gains or loses, or that only one model has. */
static gboolean tag_worth_showing(const PdTagDiff *t) {
  return t->gained || t->lost || !t->in_old || !t->in_new;
}

static void tags(RenderDoc *doc, const Doc *dd) {
  const PdReport *r = dd->r;
  guint shown = 0;
  for (guint i = 0; i < r->tags->len; i++)
    shown += !dd->compact || tag_worth_showing(&g_array_index(r->tags, PdTagDiff, i));
  if (!shown) return;
  RenderSection *sec = render_section_add(doc, "tags", "Tags and segments");
  RenderTable *t = render_table_add(sec, "tags", "Profiles holding each tag under OLD and NEW");
  render_table_column(t, "name", "Tag", NULL);
  render_table_column(t, "in", "Declared in", NULL);
  render_table_column(t, "old", "Old", NULL);
  render_table_column(t, "new", "New", NULL);
  render_table_column(t, "gained", "Gained", NULL);
  render_table_column(t, "lost", "Lost", NULL);
  RenderChart *flips = dd->compact ? NULL
                                    : render_chart_add(sec, RENDER_CHART_BAR, "tag_flips",
                                                       "Profiles that gain or lose each tag", "Tag", "Profiles", NULL, 0);
  for (guint i = 0; i < r->tags->len; i++) {
    const PdTagDiff *d = &g_array_index(r->tags, PdTagDiff, i);
    if (dd->compact && !tag_worth_showing(d)) continue;
    RenderCell row[] = {render_text_cell(d->name),
                        render_text_cell(d->in_old && d->in_new ? "both" : d->in_old ? "old" : "new"),
                        count_cell(d->held_old), count_cell(d->held_new), count_cell(d->gained), count_cell(d->lost)};
    render_table_row(t, row);
    if (flips && (d->gained || d->lost)) render_chart_point(flips, d->name, (double)(d->gained + d->lost));
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

static void scores(RenderDoc *doc, const Doc *d) {
  const PdReport *r = d->r;
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
  guint crossed = 0; /* the compact document shows only the thresholds some profile crosses */
  for (guint i = 0; i < r->scores->len; i++) {
    const GArray *ths = g_array_index(r->scores, PdScoreDiff, i).thresholds;
    for (guint k = 0; k < ths->len; k++) {
      const PdThreshold *x = &g_array_index(ths, PdThreshold, k);
      crossed += x->up || x->down;
    }
  }
  static const RenderColumnSpec columns[] = {
      {"threshold", "Threshold", NULL}, {"up", "Now hold it", NULL}, {"down", "No longer", NULL}};
  RenderTable *th = d->compact && !crossed
                        ? NULL
                        : render_table_add_columns(sec, "thresholds",
                                                   "Thresholds each score is compared with: profiles crossing them",
                                                   columns, G_N_ELEMENTS(columns));
  for (guint i = 0; i < r->scores->len; i++) {
    const PdScoreDiff *s = &g_array_index(r->scores, PdScoreDiff, i);
    if (s->changed && !d->compact) histogram(sec, s);
    for (guint k = 0; th && k < s->thresholds->len; k++) {
      const PdThreshold *x = &g_array_index(s->thresholds, PdThreshold, k);
      if (d->compact && !x->up && !x->down) continue;
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
  /* The reasons, one a line under each profile (explain.c wrote them;
   * a pii value is already masked there). */
  g_autoptr(GString) why = g_string_new(NULL);
  for (guint i = 0; i < r->top->len; i++) {
    const PdProfileChange *c = &g_array_index(r->top, PdProfileChange, i);
    RenderCell row[] = {render_text_cell(c->id_json), count_cell(c->line), render_text_cell(c->what)};
    render_table_row(t, row);
    if (!c->why || !c->why->len) continue;
    g_string_append_printf(why, "%s (line %" G_GUINT64_FORMAT "):\n", c->id_json, c->line);
    for (guint k = 0; k < c->why->len; k++)
      g_string_append_printf(why, "  %s\n", (const char *)g_ptr_array_index(c->why, k));
  }
  if (why->len) render_preformatted_add(sec, why->str);
}

static void gate_lines(RenderDoc *doc, const PdReport *r) {
  if (!r->gate_lines->len) return;
  RenderSection *sec = render_section_add(doc, "gates", r->gate_failed ? "Gates: FAILED" : "Gates: passed");
  /* One block, one gate a line: they read as the list they are. */
  g_autoptr(GString) lines = g_string_new(NULL);
  for (guint i = 0; i < r->gate_lines->len; i++)
    g_string_append_printf(lines, "%s\n", (const char *)g_ptr_array_index(r->gate_lines, i));
  render_preformatted_add(sec, lines->str);
}

void pd_report_render(const PdReport *r, RenderFormat format, GString *out) {
  const Doc d = {r, format == RENDER_MARKDOWN};
  g_autofree char *title = g_strdup_printf("persona diff: %s → %s", r->old_label, r->new_label);
  g_autofree char *subtitle = g_strdup_printf("%s → %s", r->old_spec, r->new_spec);
  RenderDoc *doc = render_doc_new(title, subtitle);
  summary(doc, r);
  declarations(doc, &d);
  tags(doc, &d);
  for (guint i = 0; i < r->lifecycles->len; i++) lifecycle(doc, &g_array_index(r->lifecycles, PdLifecycleDiff, i));
  scores(doc, &d);
  journeys(doc, r);
  most_changed(doc, r);
  gate_lines(doc, r);
  render_doc(doc, format, out);
  render_doc_free(doc);
}
