/* experiment.h - `persona experiment` (docs/experiment.md): each
 * experiment of a model measured over a set of profiles.
 *
 * Every profile is evaluated at `now` (from its stored state, when there is
 * one) to learn its arm and when it was assigned. A profile whose window
 * has passed (assigned + window <= now) is counted: its conversion is the
 * experiment's metric evaluated as of assigned + window. One still inside
 * its window is pending and not counted. The statistics (persona_stats_*
 * in persona.h, runtime/expstats.c) compare
 * each arm with the control.
 *
 * Nothing here reads a profile's values beyond what the model's metric
 * does: only arm names, counts and statistics come out, never a field.
 *
 * Ownership: an Experiments holds a reference to its model and owns its
 * summaries; the summaries' strings are the model's.
 */
#ifndef PERSONA_EXPERIMENT_EXPERIMENT_H
#define PERSONA_EXPERIMENT_EXPERIMENT_H

#include <glib.h>

#include "persona.h"

/* One arm's counts and statistics. Rates are fractions; a number that does
 * not exist (no profile, the control's own lift) is NaN. */
typedef struct ExpArm {
  const char *name;
  double planned_share;
  gint64 n;            /* profiles counted: their window has passed */
  gint64 conversions;
  gint64 pending;      /* assigned, still inside the window */
  double rate, rate_low, rate_high; /* Wilson 95 % */
  double lift;         /* (rate − control rate) / control rate */
  double lift_abs;     /* rate − control rate */
  double p_value;      /* two-proportion z-test against the control */
  double mde;          /* absolute, against the control, at these n */
} ExpArm;

typedef struct ExpSummary {
  const char *name, *label;
  guint n_arms;
  ExpArm *arms;
  guint control;
  gint holdout;        /* -1 when none */
  gint64 window_us;
  gint64 moved, reshuffled; /* assignments this run changed (see docs) */
  double chi2, chi2_p_value;
  double srm_chi2, srm_p_value;
  gboolean srm;        /* srm_p_value < PERSONA_STATS_SRM_ALPHA */
  double mde;          /* the largest arm MDE: what every arm can detect */
} ExpSummary;

typedef struct Experiments Experiments;

Experiments *experiments_new(PersonaModel *model, gint64 now_us);
void experiments_free(Experiments *e);

/* One profile (one line of JSON) as `vm` evaluated it at the experiments'
 * now_us (`status`, `result`; result NULL when the line was not
 * evaluated). The VM is used again for each metric, so the result is read
 * first. A record that gives an error is counted, never shown. */
void experiments_add(Experiments *e, PersonaVM *vm, const char *line, gsize len, PersonaEvalStatus status,
                     const PersonaResult *r);

/* Computes every statistic from the counts; call once after the last add. */
void experiments_finish(Experiments *e);
/* The statistics of a summary whose counts are filled (used by
 * experiments_finish, and by tests that make counts directly). */
void exp_summary_compute(ExpSummary *s);

guint experiments_count(const Experiments *e);
const ExpSummary *experiments_get(const Experiments *e, guint i);
gint64 experiments_profiles(const Experiments *e);
gint64 experiments_errors(const Experiments *e);
gint64 experiments_now(const Experiments *e);

#endif
