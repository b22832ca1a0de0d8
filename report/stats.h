/* stats.h - the summary statistics of the report, one definition each
 * (docs/report.md states them for readers).
 *
 * Ownership: functions sort the caller's array in place and keep nothing.
 */
#ifndef PERSONA_REPORT_STATS_H
#define PERSONA_REPORT_STATS_H

#include <glib.h>

/* Sorts `v` (n values) ascending. */
void stats_sort(double *v, gsize n);
/* The nearest-rank percentile of sorted values: the value at rank
 * ceil(p/100 × n) (1-based), the smallest for p = 0; NAN when n is 0. */
double stats_percentile(const double *sorted, gsize n, double p);
double stats_mean(const double *v, gsize n);

/* Equal-width bins over sorted values: the width is 1, 2 or 5 times a power
 * of ten, the smallest such that at most `max_bins` bins cover
 * [min, max]; the first bin starts at a multiple of the width. Bin k is
 * [start + k·width, start + (k+1)·width). All values equal: one bin. */
typedef struct StatsBins {
  double start, width;
  guint n;
  guint64 *counts; /* n counts, caller frees */
} StatsBins;
void stats_bins(const double *sorted, gsize n, guint max_bins, StatsBins *out);

#endif
