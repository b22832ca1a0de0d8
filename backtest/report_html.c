/* report_html.c - the backtest report as one self-contained HTML page
 * through the shared renderer (render/render.h): per score the key
 * figures, the gain curve (cumulative capture), the lift and calibration
 * (conversion rate) by band, conversions per band as bars, the band, rule
 * and suggested-weight tables; then tags, stages, origins and gates.
 * Shares are in percent with one decimal, lift and AUC-like statistics
 * with three. Ids are stable (docs/backtest.md lists them). */
#include <math.h>

#include "backtest/report.h"
#include "render/render.h"

#define PCT 1
#define STAT 3

static RenderCell pct_cell(double share) {
  return isfinite(share) ? render_num_cell(100 * share, PCT) : render_none_cell();
}

static RenderCell stat_cell(double v) { return isfinite(v) ? render_num_cell(v, STAT) : render_none_cell(); }

static char *id_of(const char *what, const char *name) { return g_strdup_printf("%s.%s", what, name); }

static void band_charts(RenderSection *sec, const BtScoreStats *s, const BtReport *r) {
  g_autofree char *gain_id = id_of("gain", s->name), *lift_id = id_of("lift", s->name),
                  *cal_id = id_of("calibration", s->name), *bars_id = id_of("band_positives", s->name);
  RenderChart *gain = render_chart_add(sec, RENDER_CHART_LINE, gain_id,
                                       "Gain: share of all positives in the top bands", "Down to band",
                                       "Positives captured", "%", PCT);
  RenderChart *lift = render_chart_add(sec, RENDER_CHART_LINE, lift_id, "Lift over the base rate, by band", "Band",
                                       "Lift", NULL, STAT);
  RenderChart *cal = render_chart_add(sec, RENDER_CHART_LINE, cal_id,
                                      "Calibration: conversion rate by band, highest scores first", "Band",
                                      "Rate", "%", PCT);
  RenderChart *bars = render_chart_add(sec, RENDER_CHART_HISTOGRAM, bars_id, "Positives per band", "Band",
                                       "Positives", NULL, 0);
  for (guint k = 0; k < r->n_bands; k++) {
    const BtBand *b = &s->bands[k];
    g_autofree char *label = g_strdup_printf("%u", k + 1);
    render_chart_point(gain, label, 100 * b->capture);
    render_chart_point(bars, label, (double)b->positives);
    if (!b->n) continue; /* an empty band has no rate */
    render_chart_point(lift, label, b->lift);
    render_chart_point(cal, label, 100 * b->rate);
  }
}

static void band_table(RenderSection *sec, const BtScoreStats *s, const BtReport *r) {
  g_autofree char *id = id_of("bands", s->name);
  static const RenderColumnSpec columns[] = {
      {"band", "Band", NULL},
      {"lo", "Lowest", NULL},
      {"hi", "Highest", NULL},
      {"n", "Profiles", NULL},
      {"positives", "Positives", NULL},
      {"rate", "Rate", "%"},
      {"lift", "Lift", NULL},
      {"capture", "Capture", "%"},
  };
  RenderTable *t = render_table_add_columns(sec, id, "Bands, highest scores first", columns, G_N_ELEMENTS(columns));
  for (guint k = 0; k < r->n_bands; k++) {
    const BtBand *b = &s->bands[k];
    RenderCell row[] = {render_int_cell(k + 1), stat_cell(b->lo), stat_cell(b->hi),
                        render_int_cell((gint64)b->n), render_int_cell((gint64)b->positives), pct_cell(b->rate),
                        stat_cell(b->lift), pct_cell(b->capture)};
    render_table_row(t, row);
  }
}

static void rule_table(RenderSection *sec, const BtScoreStats *s) {
  if (!s->n_rules) return;
  g_autofree char *id = id_of("rules", s->name);
  static const RenderColumnSpec columns[] = {
      {"line", "Line", NULL},
      {"rule", "Rule", NULL},
      {"fired_share", "Fired", "%"},
      {"rate_fired", "Rate fired", "%"},
      {"rate_not", "Rate not", "%"},
      {"lift", "Lift", NULL},
      {"suggested_rule", "Suggested (a suggestion)", NULL},
  };
  RenderTable *t = render_table_add_columns(sec, id, "Rules: how often each fired and the conversion it marks",
                                            columns, G_N_ELEMENTS(columns));
  for (guint j = 0; j < s->n_rules; j++) {
    const BtRuleStats *rs = &s->rules[j];
    RenderCell row[] = {render_int_cell(rs->line), render_text_cell(rs->text),
                        pct_cell((double)rs->f.held / (double)rs->f.n), pct_cell(rs->f.rate_held),
                        pct_cell(rs->f.rate_not), stat_cell(rs->f.lift),
                        render_text_cell(rs->suggested_text ? rs->suggested_text : "–")};
    render_table_row(t, row);
  }
  const BtSuggestion *sg = &s->suggestion;
  g_autofree char *text =
      sg->ok ? g_strdup_printf("Suggested weights are a suggestion, not a verdict: an L2 logistic regression on "
                               "%" G_GSIZE_FORMAT " profiles. On the %" G_GSIZE_FORMAT
                               " held-out profiles the written weights have AUC %.3f, the suggested ones %.3f.",
                               sg->n_train, sg->n_holdout, sg->auc_current, sg->auc_suggested)
             : g_strdup_printf("No suggested weights: %s.", sg->error);
  render_paragraph_add(sec, text);
}

static void score_section(RenderDoc *doc, const BtScoreStats *s, const BtReport *r) {
  g_autofree char *id = id_of("score", s->name);
  g_autofree char *title = g_strdup_printf("Score %s", s->name);
  RenderSection *sec = render_section_add(doc, id, title);
  if (!s->ok) {
    render_paragraph_add(sec, s->error);
    return;
  }
  g_autofree char *cap = g_strdup_printf("Top %.4g %% holds, %%", 100 * r->top_share);
  const RenderFigureSpec figures[] = {
      {"auc", "AUC", stat_cell(s->d.auc)},
      {"auc_low", "95 % CI low", stat_cell(s->d.auc_low)},
      {"auc_high", "95 % CI high", stat_cell(s->d.auc_high)},
      {"ks", "KS", stat_cell(s->d.ks)},
      {"gini", "Gini", stat_cell(s->d.gini)},
      {"capture", cap, pct_cell(s->capture)},
  };
  render_figures_add(sec, figures, G_N_ELEMENTS(figures));
  band_charts(sec, s, r);
  band_table(sec, s, r);
  rule_table(sec, s);
}

static void tag_section(RenderDoc *doc, const BtReport *r) {
  if (!r->n_tags) return;
  RenderSection *sec = render_section_add(doc, "tags", "Tags");
  static const RenderColumnSpec columns[] = {
      {"tag", "Tag", NULL},
      {"prevalence", "Held", "%"},
      {"rate_held", "Rate held", "%"},
      {"rate_not", "Rate not", "%"},
      {"lift", "Lift", NULL},
      {"iv", "IV", NULL},
  };
  RenderTable *t =
      render_table_add_columns(sec, "tags", "Tags: conversion when held and not", columns, G_N_ELEMENTS(columns));
  for (guint i = 0; i < r->n_tags; i++) {
    const BtFeature *f = &r->tags[i].f;
    RenderCell row[] = {render_text_cell(r->tags[i].name), pct_cell((double)f->held / (double)f->n),
                        pct_cell(f->rate_held), pct_cell(f->rate_not), stat_cell(f->lift), stat_cell(f->iv)};
    render_table_row(t, row);
  }
}

static void stage_section(RenderDoc *doc, const BtReport *r) {
  if (!r->stages->len) return;
  RenderSection *sec = render_section_add(doc, "stages", "Lifecycle stages");
  static const RenderColumnSpec columns[] = {
      {"lifecycle", "Lifecycle", NULL},
      {"stage", "Stage", NULL},
      {"n", "Profiles", NULL},
      {"rate", "Rate", "%"},
  };
  RenderTable *t = render_table_add_columns(sec, "stages", "Conversion by stage as of the origin", columns,
                                            G_N_ELEMENTS(columns));
  for (guint i = 0; i < r->stages->len; i++) {
    const BtStageStats *st = &g_array_index(r->stages, BtStageStats, i);
    RenderCell row[] = {render_text_cell(st->lifecycle), render_text_cell(st->stage), render_int_cell((gint64)st->n),
                        st->n ? pct_cell((double)st->positives / (double)st->n) : render_none_cell()};
    render_table_row(t, row);
  }
}

static void gate_section(RenderDoc *doc, const BtReport *r) {
  if (!r->gates->len) return;
  RenderSection *sec = render_section_add(doc, "gates", "Gates");
  static const RenderColumnSpec columns[] = {
      {"gate", "Gate", NULL},
      {"score", "Score", NULL},
      {"value", "Value", NULL},
      {"threshold", "Threshold", NULL},
      {"verdict", "Verdict", NULL},
  };
  RenderTable *t = render_table_add_columns(sec, "gates", "Gates", columns, G_N_ELEMENTS(columns));
  for (guint i = 0; i < r->gates->len; i++) {
    const BtGateResult *g = &g_array_index(r->gates, BtGateResult, i);
    RenderCell row[] = {render_text_cell(g->gate), render_text_cell(g->score), stat_cell(g->value),
                        stat_cell(g->threshold), render_text_cell(g->passed ? "passed" : "FAILED")};
    render_table_row(t, row);
  }
}

void bt_report_html(const BtReport *r, GString *out) {
  g_autofree char *title = g_strdup_printf("Backtest of %s", r->model_name);
  g_autofree char *subtitle = g_strdup_printf("outcome `%s` within %s of each origin", r->outcome, r->horizon);
  RenderDoc *doc = render_doc_new(title, subtitle);
  RenderSection *sec = render_section_add(doc, "overview", "Overview");
  const RenderFigureSpec figures[] = {
      {"profiles", "Profiles", render_int_cell((gint64)r->pooled.n)},
      {"positives", "Positives", render_int_cell((gint64)r->pooled.positives)},
      {"base_rate", "Base rate %", pct_cell((double)r->pooled.positives / (double)r->pooled.n)},
      {"origins", "Origins", render_int_cell(r->n_origins)},
  };
  render_figures_add(sec, figures, G_N_ELEMENTS(figures));
  for (guint i = 0; i < r->n_scores; i++) score_section(doc, &r->pooled.scores[i], r);
  tag_section(doc, r);
  stage_section(doc, r);
  gate_section(doc, r);
  render_doc(doc, RENDER_HTML, out);
  render_doc_free(doc);
}
