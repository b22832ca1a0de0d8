/* expstats.h - the statistics of experiments (docs/experiment.md), for
 * `persona experiment` (through persona_stats_* in persona.h) and for the
 * `expect lift(…)` and `expect significant(…)` of test blocks:
 * Wilson intervals, the two-proportion z-test, the chi-square test across
 * arms, the sample-ratio-mismatch test, the minimum detectable effect and
 * the power of a comparison. Pure functions over counts; nothing here
 * knows about models.
 *
 * tests/experiment/check_experiment.py recomputes every formula with its own
 * implementation (Python's standard library only) and compares.
 *
 * Ownership: inputs are borrowed for the call; nothing is kept.
 */
#ifndef PERSONA_EXPSTATS_H
#define PERSONA_EXPSTATS_H

#include <glib.h>
#include <stdint.h>

#include "persona.h" /* PERSONA_STATS_Z_975, PERSONA_STATS_Z_80, PERSONA_STATS_SRM_ALPHA */

#define EXP_Z_975 PERSONA_STATS_Z_975
#define EXP_Z_80 PERSONA_STATS_Z_80

/* Φ(x), the standard normal distribution function. */
double pstat_normal_cdf(double x);

/* The Wilson score interval of x successes in n at z (EXP_Z_975 for 95 %):
 *   c = (p + z²/2n) / (1 + z²/n),  h = z·√(p(1−p)/n + z²/4n²) / (1 + z²/n).
 * Clamped to [0, 1]; exactly 0 when x = 0 and 1 when x = n. NaN bounds
 * when n is 0. */
void pstat_wilson(gint64 x, gint64 n, double z, double *low, double *high);

/* Two-sided p-value of the pooled two-proportion z-test of x1/n1 against
 * x2/n2: z = (p1 − p2) / √(p(1−p)(1/n1 + 1/n2)), p = (x1+x2)/(n1+n2);
 * p-value = erfc(|z|/√2). NaN when a group is empty; 1 when p is 0 or 1
 * (no variance: nothing differs). */
double pstat_two_prop_p(gint64 x1, gint64 n1, gint64 x2, gint64 n2);

/* Q(a, x), the regularised upper incomplete gamma function: the
 * chi-square survival function is Q(df/2, χ²/2). */
double pstat_gamma_q(double a, double x);

/* Pearson's chi-square test of independence of arm and conversion over k
 * arms (a 2×k table); arms with n = 0 are left out, df = arms kept − 1.
 * *chi2 and the p-value; NaN when fewer than two arms have profiles or no
 * expected count is positive in a column (all converted or none). */
double pstat_chi2_arms(const gint64 *x, const gint64 *n, guint k, double *chi2);

/* Sample-ratio mismatch: chi-square goodness of fit of the arms' sizes n
 * against the planned shares (summing to 1), df = k − 1; the p-value (NaN
 * when no profile). Flag a mismatch below EXP_SRM_ALPHA. */
#define EXP_SRM_ALPHA PERSONA_STATS_SRM_ALPHA
double pstat_srm_p(const gint64 *n, const double *share, guint k, double *chi2);

/* The smallest absolute difference of rates that a two-sided test at
 * α = 0.05 detects with power 0.8 between groups of n1 and n2 at base rate
 * p: (EXP_Z_975 + EXP_Z_80)·√(p(1−p)(1/n1 + 1/n2)). NaN when a group is
 * empty or p is 0 or 1 (no variance to size an effect by). */
double pstat_mde(double p, gint64 n1, gint64 n2);

/* The power of the two-sided two-proportion z-test at α = 0.05 to find
 * true rates p1 and p2 with n1 and n2 profiles (normal approximation):
 *   Φ((|p1 − p2| − EXP_Z_975·σ0) / σ1) with σ0 the pooled and σ1 the
 *   unpooled standard error. */
double pstat_power(double p1, gint64 n1, double p2, gint64 n2);

#endif
