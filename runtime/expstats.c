/* expstats.c - see expstats.h; every formula is the one written there. */
#include "expstats.h"

#include <math.h>

double pstat_normal_cdf(double x) { return 0.5 * erfc(-x / G_SQRT2); }

void pstat_wilson(gint64 x, gint64 n, double z, double *low, double *high) {
  if (n <= 0) {
    *low = *high = NAN;
    return;
  }
  double p = (double)x / (double)n, nn = (double)n, z2 = z * z;
  double denom = 1 + z2 / nn;
  double centre = (p + z2 / (2 * nn)) / denom;
  double half = z * sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn)) / denom;
  /* At x = 0 and x = n the bounds are exactly 0 and 1 (not rounding noise). */
  *low = x == 0 ? 0.0 : MAX(0.0, centre - half);
  *high = x == n ? 1.0 : MIN(1.0, centre + half);
}

double pstat_two_prop_p(gint64 x1, gint64 n1, gint64 x2, gint64 n2) {
  if (n1 <= 0 || n2 <= 0) return NAN;
  double p1 = (double)x1 / (double)n1, p2 = (double)x2 / (double)n2;
  double p = (double)(x1 + x2) / (double)(n1 + n2);
  double var = p * (1 - p) * (1.0 / (double)n1 + 1.0 / (double)n2);
  if (var <= 0) return 1.0;
  double z = (p1 - p2) / sqrt(var);
  return erfc(fabs(z) / G_SQRT2);
}

/* The series of P(a, x), for x < a + 1. */
static double gamma_p_series(double a, double x) {
  double sum = 1.0 / a, term = sum;
  for (int n = 1; n < 10000; n++) {
    term *= x / (a + n);
    sum += term;
    if (fabs(term) < fabs(sum) * 1e-16) break;
  }
  return sum * exp(-x + a * log(x) - lgamma(a));
}

/* The continued fraction of Q(a, x), for x ≥ a + 1 (modified Lentz). */
static double gamma_q_fraction(double a, double x) {
  const double tiny = 1e-300;
  double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
  for (int i = 1; i < 10000; i++) {
    double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (fabs(d) < tiny) d = tiny;
    c = b + an / c;
    if (fabs(c) < tiny) c = tiny;
    d = 1 / d;
    double delta = d * c;
    h *= delta;
    if (fabs(delta - 1) < 1e-16) break;
  }
  return exp(-x + a * log(x) - lgamma(a)) * h;
}

double pstat_gamma_q(double a, double x) {
  if (x <= 0) return 1.0;
  if (x < a + 1) return 1.0 - gamma_p_series(a, x);
  return gamma_q_fraction(a, x);
}

double pstat_chi2_arms(const gint64 *x, const gint64 *n, guint k, double *chi2) {
  gint64 total = 0, conv = 0;
  guint arms = 0;
  for (guint i = 0; i < k; i++) {
    if (n[i] <= 0) continue;
    total += n[i];
    conv += x[i];
    arms++;
  }
  *chi2 = NAN;
  if (arms < 2 || conv == 0 || conv == total) return NAN;
  double rate = (double)conv / (double)total, sum = 0;
  for (guint i = 0; i < k; i++) {
    if (n[i] <= 0) continue;
    double e1 = (double)n[i] * rate, e0 = (double)n[i] * (1 - rate);
    double o1 = (double)x[i], o0 = (double)(n[i] - x[i]);
    sum += (o1 - e1) * (o1 - e1) / e1 + (o0 - e0) * (o0 - e0) / e0;
  }
  *chi2 = sum;
  return pstat_gamma_q((arms - 1) / 2.0, sum / 2);
}

double pstat_srm_p(const gint64 *n, const double *share, guint k, double *chi2) {
  gint64 total = 0;
  for (guint i = 0; i < k; i++) total += n[i];
  *chi2 = NAN;
  if (total <= 0 || k < 2) return NAN;
  double sum = 0;
  for (guint i = 0; i < k; i++) {
    double e = (double)total * share[i];
    if (e > 0) sum += ((double)n[i] - e) * ((double)n[i] - e) / e;
  }
  *chi2 = sum;
  return pstat_gamma_q((k - 1) / 2.0, sum / 2);
}

double pstat_mde(double p, gint64 n1, gint64 n2) {
  if (n1 <= 0 || n2 <= 0 || isnan(p) || p <= 0 || p >= 1) return NAN;
  return (EXP_Z_975 + EXP_Z_80) * sqrt(p * (1 - p) * (1.0 / (double)n1 + 1.0 / (double)n2));
}

double pstat_power(double p1, gint64 n1, double p2, gint64 n2) {
  if (n1 <= 0 || n2 <= 0) return NAN;
  double a = 1.0 / (double)n1, b = 1.0 / (double)n2;
  double p = (p1 * (double)n1 + p2 * (double)n2) / (double)(n1 + n2);
  double s0 = sqrt(p * (1 - p) * (a + b));
  double s1 = sqrt(p1 * (1 - p1) * a + p2 * (1 - p2) * b);
  if (s1 <= 0) return NAN;
  return pstat_normal_cdf((fabs(p1 - p2) - EXP_Z_975 * s0) / s1);
}
