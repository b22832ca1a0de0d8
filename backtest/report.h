/* report.h - the computed backtest (statistics of every score, tag and
 * stage, per origin and pooled), its JSON and its rendered forms. Internal to
 * backtest/.
 *
 * Ownership: a BtReport owns all its arrays and strings (bt_report_free);
 * names are copied from the model.
 */
#ifndef PERSONA_BACKTEST_REPORT_H
#define PERSONA_BACKTEST_REPORT_H

#include <glib.h>

#include "backtest/stats.h"
#include "render/render.h"

/* Tenths of the profiles held out of the regression (by a hash of their key). */
#define BT_HOLDOUT_TENTHS 3

/* One rule of a score (pooled sample): how often it fired and the
 * conversion it marks, and its suggested weight. */
typedef struct {
  char *text, *file;
  guint line;
  gboolean per;
  double weight;         /* the written weight, NaN for an expression */
  BtFeature f;           /* "held" = fired */
  double mean_points;    /* over every profile */
  double coefficient;    /* of the regression, NaN without a fit */
  double suggested;      /* the suggested weight (points), NaN: none */
  char *suggested_text;  /* the rule rewritten with it, or NULL */
} BtRuleStats;

/* The suggestion for one score's weights (docs/backtest.md). */
typedef struct {
  gboolean ok;           /* FALSE: `error` says why (NULL: the score has no rules) */
  char *error;
  gsize n_train, n_holdout;
  double intercept, scale;
  guint steps;
  double auc_current, auc_suggested; /* on the held-out part; NaN when it has one class */
} BtSuggestion;

typedef struct {
  char *name;
  gboolean ok;           /* FALSE: `error` says why there are no statistics */
  char *error;
  BtDiscrimination d;
  BtBand *bands;         /* n_bands, pooled only */
  double capture;        /* of the top `top_share`, pooled only */
  BtRuleStats *rules;    /* n_rules, pooled only */
  guint n_rules;
  BtSuggestion suggestion; /* pooled only */
} BtScoreStats;

typedef struct {
  char *name;
  BtFeature f;
} BtTagStats;

typedef struct {
  char *lifecycle, *stage;
  gsize n, positives;
} BtStageStats;

/* One origin, or all pooled. */
typedef struct {
  gint64 as_of_us;       /* 0 for the pooled sample */
  gsize n, positives, skipped;
  BtScoreStats *scores;  /* n_scores */
} BtOriginStats;

typedef struct {
  double reference_us, current_us; /* origins compared */
  char *score;
  double psi;
} BtPsi;

typedef struct {
  char *gate;            /* "min-auc", "min-capture", "min-lift" */
  char *score;
  double value, threshold;
  gboolean passed;
} BtGateResult;

typedef struct {
  char *model_name, *outcome, *horizon;
  guint n_bands;
  double top_share;
  BtOriginStats pooled;
  BtOriginStats *origins;
  guint n_origins, n_scores;
  BtTagStats *tags;
  guint n_tags;
  GArray *stages;        /* BtStageStats */
  GArray *psi;           /* BtPsi */
  GArray *gates;         /* BtGateResult */
} BtReport;

void bt_report_free(BtReport *r);
/* The documented data shape (report.c, docs/backtest.md). */
void bt_report_json(const BtReport *r, GString *out);
/* The report as text, Markdown or one self-contained HTML page: one
 * document of the shared renderer (report_doc.c). */
void bt_report_render(const BtReport *r, RenderFormat format, GString *out);

#endif
