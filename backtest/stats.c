/* stats.c - the statistics of `persona backtest`; formulas in stats.h and
 * docs/backtest.md. */
#include "backtest/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "persona.h"

typedef struct {
  double score;
  guint8 positive;
} Point;

static int point_ascending(const void *a, const void *b) {
  double x = ((const Point *)a)->score, y = ((const Point *)b)->score;
  return (x > y) - (x < y);
}

static int point_descending(const void *a, const void *b) {
  return point_ascending(b, a);
}

/* A finite double as an unsigned key in the same order: the sign bit set
 * for the non-negative ones, every bit flipped for the negative ones (-0
 * and 0 get neighbouring keys; every statistic compares scores with ==,
 * so they still form one run). */
static guint64 order_key(double v) {
  guint64 u;
  memcpy(&u, &v, sizeof u);
  return (u >> 63) ? ~u : u | (G_GUINT64_CONSTANT(1) << 63);
}

typedef struct {
  guint64 key;
  gsize index;
} Keyed;

/* Sorts by key, least significant byte first (stable), skipping the bytes
 * every key shares (the low bytes of whole-number scores). */
static void radix_sort(Keyed *a, Keyed *tmp, gsize n) {
  for (guint shift = 0; shift < 64; shift += 8) {
    gsize count[257] = {0};
    for (gsize i = 0; i < n; i++) count[((a[i].key >> shift) & 0xff) + 1]++;
    if (count[((a[0].key >> shift) & 0xff) + 1] == n) continue;
    for (guint b = 0; b < 256; b++) count[b + 1] += count[b];
    for (gsize i = 0; i < n; i++) tmp[count[(a[i].key >> shift) & 0xff]++] = a[i];
    memcpy(a, tmp, n * sizeof *a);
  }
}

/* The points sorted by score (finite: the callers check); caller frees.
 * A radix sort: the backtest sorts every score several times, and a
 * comparison sort was a tenth of its time. The order of equal scores does
 * not matter to any statistic. */
static Point *sorted_points(const double *score, const guint8 *positive, gsize n, gboolean descending) {
  Point *p = g_new(Point, n ? n : 1);
  if (n == 0) return p;
  Keyed *a = g_new(Keyed, n), *tmp = g_new(Keyed, n);
  for (gsize i = 0; i < n; i++) a[i] = (Keyed){order_key(score[i]), i};
  radix_sort(a, tmp, n);
  for (gsize i = 0; i < n; i++) {
    gsize from = a[descending ? n - 1 - i : i].index;
    p[i].score = score[from];
    p[i].positive = positive[from] ? 1 : 0;
  }
  g_free(a);
  g_free(tmp);
  return p;
}

/* The end (exclusive) of the run of equal scores starting at i. */
static gsize run_end(const Point *p, gsize n, gsize i) {
  gsize j = i + 1;
  while (j < n && p[j].score == p[i].score) j++;
  return j;
}

static gsize count_positives(const guint8 *positive, gsize n) {
  gsize k = 0;
  for (gsize i = 0; i < n; i++) k += positive[i] ? 1 : 0;
  return k;
}

static gboolean check_finite(const double *score, gsize n, GError **error) {
  for (gsize i = 0; i < n; i++)
    if (!isfinite(score[i])) {
      g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID, "a score is not a finite number");
      return FALSE;
    }
  return TRUE;
}

/* Both classes present: AUC, IV and the rates need positives and negatives. */
static gboolean check_classes(gsize n, gsize positives, GError **error) {
  if (n == 0) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID, "no profiles to backtest");
    return FALSE;
  }
  if (positives == 0 || positives == n) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID,
                "the outcome is %s for all %" G_GSIZE_FORMAT " profiles: one class only, so "
                "the scores cannot be compared with it",
                positives == 0 ? "false" : "true", n);
    return FALSE;
  }
  return TRUE;
}

gboolean bt_discrimination(const double *score, const guint8 *positive, gsize n,
                           BtDiscrimination *out, GError **error) {
  gsize npos = count_positives(positive, n);
  if (!check_classes(n, npos, error) || !check_finite(score, n, error)) return FALSE;
  double P = (double)npos, N = (double)(n - npos);
  Point *p = sorted_points(score, positive, n, FALSE);

  /* AUC by the rank-sum: mid-ranks (1-based) for runs of equal scores. */
  double rank_sum = 0;
  for (gsize i = 0; i < n;) {
    gsize j = run_end(p, n, i), pos = 0;
    for (gsize k = i; k < j; k++) pos += p[k].positive;
    rank_sum += (double)pos * ((double)(i + 1) + (double)(j - i - 1) / 2.0);
    i = j;
  }
  double auc = (rank_sum - P * (P + 1) / 2.0) / (P * N);

  /* DeLong's placements: a positive's share of negatives below it, a
   * negative's share of positives above it, ties half. One value per run. */
  double s10 = 0, s01 = 0, cum_pos = 0, cum_neg = 0, ks = 0;
  for (gsize i = 0; i < n;) {
    gsize j = run_end(p, n, i), pos = 0;
    for (gsize k = i; k < j; k++) pos += p[k].positive;
    double gp = (double)pos, gn = (double)(j - i - pos);
    double v10 = (cum_neg + gn / 2.0) / N;                 /* each positive of the run */
    double v01 = (P - cum_pos - gp + gp / 2.0) / P;        /* each negative of the run */
    s10 += gp * (v10 - auc) * (v10 - auc);
    s01 += gn * (v01 - auc) * (v01 - auc);
    cum_pos += gp;
    cum_neg += gn;
    double d = fabs(cum_pos / P - cum_neg / N);
    if (d > ks) ks = d;
    i = j;
  }
  g_free(p);
  /* Sample variances; one observation of a class has none. */
  s10 = npos > 1 ? s10 / (P - 1) : 0;
  s01 = n - npos > 1 ? s01 / (N - 1) : 0;
  double se = sqrt(s10 / P + s01 / N);
  *out = (BtDiscrimination){
      .n = n,
      .positives = npos,
      .auc = auc,
      .auc_se = se,
      .auc_low = fmax(0.0, auc - BT_Z_95 * se),
      .auc_high = fmin(1.0, auc + BT_Z_95 * se),
      .ks = ks,
      .gini = 2 * auc - 1,
  };
  return TRUE;
}

/* The band of the run starting at position i of n: floor(i·bands/n). */
static guint band_of(gsize i, gsize n, guint n_bands) {
  return (guint)(((guint64)i * n_bands) / n);
}

gboolean bt_bands(const double *score, const guint8 *positive, gsize n, guint n_bands, BtBand **bands,
                  GError **error) {
  gsize npos = count_positives(positive, n);
  if (n == 0 || npos == 0) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID,
                n == 0 ? "no profiles to backtest" : "no positive outcome: capture and lift are undefined");
    return FALSE;
  }
  if (n_bands < 1) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID, "the number of bands must be 1 or more");
    return FALSE;
  }
  if (!check_finite(score, n, error)) return FALSE;
  Point *p = sorted_points(score, positive, n, TRUE);
  BtBand *b = g_new0(BtBand, n_bands);
  for (guint k = 0; k < n_bands; k++) b[k].lo = b[k].hi = NAN;
  for (gsize i = 0; i < n;) {
    gsize j = run_end(p, n, i);
    BtBand *band = &b[band_of(i, n, n_bands)];
    if (band->n == 0) band->hi = p[i].score;
    band->lo = p[i].score;
    for (gsize k = i; k < j; k++) band->positives += p[k].positive;
    band->n += j - i;
    i = j;
  }
  g_free(p);
  double base = (double)npos / (double)n, cum = 0;
  for (guint k = 0; k < n_bands; k++) {
    cum += (double)b[k].positives;
    b[k].capture = cum / (double)npos;
    b[k].rate = b[k].n ? (double)b[k].positives / (double)b[k].n : NAN;
    b[k].lift = b[k].n ? b[k].rate / base : NAN;
  }
  *bands = b;
  return TRUE;
}

gboolean bt_capture(const double *score, const guint8 *positive, gsize n, double fraction, double *capture,
                    GError **error) {
  gsize npos = count_positives(positive, n);
  if (n == 0 || npos == 0) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID,
                n == 0 ? "no profiles to backtest" : "no positive outcome: capture is undefined");
    return FALSE;
  }
  if (!(fraction > 0 && fraction <= 1)) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID, "the top share must be above 0 %% and at most 100 %%");
    return FALSE;
  }
  if (!check_finite(score, n, error)) return FALSE;
  Point *p = sorted_points(score, positive, n, TRUE);
  double k = fraction * (double)n, taken = 0, held = 0;
  for (gsize i = 0; i < n && taken < k;) {
    gsize j = run_end(p, n, i), pos = 0;
    for (gsize q = i; q < j; q++) pos += p[q].positive;
    double m = (double)(j - i);
    if (taken + m <= k) {
      held += (double)pos;
      taken += m;
    } else {
      held += (double)pos * (k - taken) / m; /* the ties share the places left */
      taken = k;
    }
    i = j;
  }
  g_free(p);
  *capture = held / (double)npos;
  return TRUE;
}

static double woe(double pos, double neg, double P, double N) {
  return log(((pos + BT_WOE_SMOOTHING) / (P + 2 * BT_WOE_SMOOTHING)) /
             ((neg + BT_WOE_SMOOTHING) / (N + 2 * BT_WOE_SMOOTHING)));
}

gboolean bt_feature(const guint8 *held, const guint8 *positive, gsize n, BtFeature *out, GError **error) {
  gsize npos = count_positives(positive, n);
  if (!check_classes(n, npos, error)) return FALSE;
  gsize nheld = 0, pos_held = 0;
  for (gsize i = 0; i < n; i++)
    if (held[i]) {
      nheld++;
      pos_held += positive[i] ? 1 : 0;
    }
  double P = (double)npos, N = (double)(n - npos);
  double ph = (double)pos_held, nh = (double)(nheld - pos_held);
  double pn = P - ph, nn = N - nh;
  double base = P / (double)n;
  BtFeature f = {.n = n, .held = nheld, .positives = npos, .positives_held = pos_held};
  f.rate_held = nheld ? ph / (double)nheld : NAN;
  f.rate_not = nheld < n ? pn / (double)(n - nheld) : NAN;
  f.lift = nheld ? f.rate_held / base : NAN;
  if (nheld == 0 || nheld == n) {
    /* One group only: it holds every positive and every negative, so its
     * weight is ln(1/1) = 0 and nothing is informative; smoothing would
     * invent a value for the empty group (docs/backtest.md). */
    f.woe_held = nheld ? 0 : NAN;
    f.woe_not = nheld ? NAN : 0;
    f.iv = 0;
    *out = f;
    return TRUE;
  }
  f.woe_held = woe(ph, nh, P, N);
  f.woe_not = woe(pn, nn, P, N);
  double sp = 2 * BT_WOE_SMOOTHING;
  f.iv = ((ph + BT_WOE_SMOOTHING) / (P + sp) - (nh + BT_WOE_SMOOTHING) / (N + sp)) * f.woe_held +
         ((pn + BT_WOE_SMOOTHING) / (P + sp) - (nn + BT_WOE_SMOOTHING) / (N + sp)) * f.woe_not;
  *out = f;
  return TRUE;
}

/* The bin of x among the bands' lowest scores (descending): the first
 * whose lowest score x reaches, else the last. */
static guint psi_bin(const double *lows, guint n_lows, double x) {
  guint lo = 0, hi = n_lows - 1; /* answer in [lo, hi] */
  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    if (x >= lows[mid])
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

gboolean bt_psi(const double *reference, gsize n_ref, const double *current, gsize n_cur, guint n_bins,
                double *psi, GError **error) {
  if (n_ref == 0 || n_cur == 0 || n_bins < 1) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID,
                "population stability needs profiles at both origins and at least one band");
    return FALSE;
  }
  if (!check_finite(reference, n_ref, error) || !check_finite(current, n_cur, error)) return FALSE;
  /* The reference's non-empty bands, by bt_bands' rule. */
  Point *p = g_new(Point, n_ref);
  for (gsize i = 0; i < n_ref; i++) p[i] = (Point){reference[i], 0};
  qsort(p, n_ref, sizeof *p, point_descending);
  double *lows = g_new(double, n_bins);
  guint n_lows = 0, last_band = G_MAXUINT;
  for (gsize i = 0; i < n_ref;) {
    gsize j = run_end(p, n_ref, i);
    guint band = band_of(i, n_ref, n_bins);
    if (band != last_band) n_lows++;
    lows[n_lows - 1] = p[i].score;
    last_band = band;
    i = j;
  }
  g_free(p);
  double *ref_count = g_new0(double, n_lows), *cur_count = g_new0(double, n_lows);
  for (gsize i = 0; i < n_ref; i++) ref_count[psi_bin(lows, n_lows, reference[i])] += 1;
  for (gsize i = 0; i < n_cur; i++) cur_count[psi_bin(lows, n_lows, current[i])] += 1;
  double sum = 0, bins = (double)n_lows;
  for (guint b = 0; b < n_lows; b++) {
    double e = (ref_count[b] + BT_WOE_SMOOTHING) / ((double)n_ref + BT_WOE_SMOOTHING * bins);
    double a = (cur_count[b] + BT_WOE_SMOOTHING) / ((double)n_cur + BT_WOE_SMOOTHING * bins);
    sum += (a - e) * log(a / e);
  }
  g_free(lows);
  g_free(ref_count);
  g_free(cur_count);
  *psi = sum;
  return TRUE;
}

const char *bt_psi_verdict(double psi) {
  return psi < 0.1 ? "stable" : psi < 0.25 ? "shifted" : "unstable";
}
