/* backtest.h - `persona backtest`: do a model's scores and tags predict an
 * outcome? (docs/backtest.md). A component over the public API
 * (include/persona.h) and backtest/stats.h; the CLI file
 * tools/cmd_backtest.c only parses options and calls bt_run.
 *
 * Each profile is evaluated as of an origin T (the model sees nothing
 * later) and the outcome expression as of T + horizon, with the constant
 * `cutoff` = T, compiled into a copy of the model as a hidden tag. Only
 * the scores (8 bytes each), tags and stages (1 byte each) and the
 * outcome of every profile are kept: memory grows with profiles, never
 * with events.
 *
 * Ownership: BtOptions and everything it points to are borrowed for the
 * call; bt_run writes the report to `out` (the caller's GString).
 */
#ifndef PERSONA_BACKTEST_H
#define PERSONA_BACKTEST_H

#include <glib.h>

#include "persona.h"

typedef enum { BT_FORMAT_TEXT, BT_FORMAT_MD, BT_FORMAT_JSON, BT_FORMAT_HTML } BtFormat;

/* The CI gates; a value below 0 is "not set". */
typedef struct {
  double min_auc;           /* every score's pooled AUC */
  double capture_top;       /* --min-capture TOP:HELD as fractions: the top TOP … */
  double capture_held;      /* … must hold at least HELD of the positives */
  double min_lift;          /* top band's rate over the base rate, minus 1 (0.15 = 15 %) */
} BtGates;

typedef struct {
  PersonaModel *model;      /* the model, loaded by the caller */
  const char *model_path;   /* its source file, recompiled with the outcome */
  const PersonaCompileOptions *compile;
  const char *profiles_path;/* JSON Lines; NULL or "-" for standard input (one origin only) */
  const gint64 *as_of_us;   /* the origins, n_as_of ≥ 1 */
  guint n_as_of;
  gint64 horizon_us;        /* > 0 */
  const char *outcome;      /* a Persona boolean expression */
  guint bands;              /* ≥ 1 */
  double top_share;         /* the top-k share reported as capture, (0, 1] */
  BtFormat format;
  BtGates gates;
} BtOptions;

/* Runs the backtest and appends the report to `out`. Returns the exit
 * status: 0, 1 when a gate failed (each failure is named on stderr) or
 * the backtest could not run (the reason on stderr: the outcome does not
 * compile, no positives, one class only, a file cannot be read). */
int bt_run(const BtOptions *opts, GString *out);

/* Parses a horizon: a positive integer and a unit, s m h d or w ("90d").
 * FALSE for anything else, zero or negative included. */
gboolean bt_parse_duration(const char *text, gint64 *out_us);

#endif
