/* stats.c - percentiles, means and histogram bins; see stats.h. */
#include "stats.h"

#include <math.h>
#include <stdlib.h>

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

void stats_sort(double *v, gsize n) {
  if (n > 1) qsort(v, n, sizeof *v, cmp_double);
}

double stats_percentile(const double *sorted, gsize n, double p) {
  if (n == 0) return NAN;
  double rank = ceil(p / 100.0 * (double)n);
  gsize i = rank < 1 ? 0 : (gsize)rank - 1;
  return sorted[i < n ? i : n - 1];
}

double stats_mean(const double *v, gsize n) {
  if (n == 0) return NAN;
  double sum = 0;
  for (gsize i = 0; i < n; i++) sum += v[i];
  return sum / (double)n;
}

/* The smallest of 1, 2, 5 × 10^k that is >= x (x > 0). */
static double nice_width(double x) {
  double p = pow(10, floor(log10(x)));
  static const double steps[] = {1, 2, 5, 10};
  for (gsize i = 0; i < G_N_ELEMENTS(steps); i++)
    if (steps[i] * p >= x * (1 - 1e-12)) return steps[i] * p;
  return 10 * p;
}

void stats_bins(const double *sorted, gsize n, guint max_bins, StatsBins *out) {
  out->n = 0;
  out->counts = NULL;
  if (n == 0) return;
  double min = sorted[0], max = sorted[n - 1];
  if (min == max) {
    out->start = min;
    out->width = 0;
    out->n = 1;
    out->counts = g_new0(guint64, 1);
    out->counts[0] = n;
    return;
  }
  double width = nice_width((max - min) / max_bins);
  double start = floor(min / width) * width;
  guint bins = (guint)floor((max - start) / width) + 1;
  /* floor() of a quotient can land one short or long; max_bins + 1 is the most. */
  if (bins > max_bins + 1) bins = max_bins + 1;
  out->start = start;
  out->width = width;
  out->n = bins;
  out->counts = g_new0(guint64, bins);
  for (gsize i = 0; i < n; i++) {
    double k = floor((sorted[i] - start) / width);
    guint b = k < 0 ? 0 : k >= bins ? bins - 1 : (guint)k;
    out->counts[b]++;
  }
}
