/* stats.h - the statistics of `persona backtest` (docs/backtest.md):
 * AUC with its DeLong interval, KS, Gini, score bands, top-k capture,
 * per-tag lift, weight of evidence and information value, and population
 * stability. Pure functions over arrays; nothing here knows about models.
 *
 * Every formula is the one docs/backtest.md states, and tests/backtest/
 * checks each against an independent Python implementation to 1e-9.
 *
 * Ownership: inputs are borrowed for the call. BtBand arrays returned are
 * owned by the caller (g_free). No function keeps a pointer.
 */
#ifndef PERSONA_BACKTEST_STATS_H
#define PERSONA_BACKTEST_STATS_H

#include <glib.h>

/* The 0.975 quantile of the standard normal: a two-sided 95 % interval. */
#define BT_Z_95 1.959963984540054

/* Discrimination of one score against a binary outcome. */
typedef struct {
  gsize n, positives;
  double auc;             /* P(score of a positive > score of a negative), ties half */
  double auc_se;          /* DeLong's standard error */
  double auc_low, auc_high; /* auc ± BT_Z_95·se, clamped to [0, 1] */
  double ks;              /* max |F_pos(t) − F_neg(t)| over the score's values */
  double gini;            /* 2·auc − 1 */
} BtDiscrimination;

/* Computes AUC (rank-sum with mid-ranks for ties), the DeLong interval,
 * KS and Gini of `score` against `positive` (n values each). FALSE with a
 * message in *error when n is 0 or the outcome has one class only (AUC is
 * undefined then). */
gboolean bt_discrimination(const double *score, const guint8 *positive, gsize n,
                           BtDiscrimination *out, GError **error);

/* One band of a score: profiles ranked by score, highest first. */
typedef struct {
  gsize n, positives;
  double lo, hi;    /* the lowest and highest score in the band (NaN when empty) */
  double rate;      /* positives / n (NaN when empty) */
  double lift;      /* rate / base rate (NaN when empty) */
  double capture;   /* positives of this band and every band above / all positives */
} BtBand;

/* Splits the n profiles into `n_bands` bands by score, highest first: the
 * profiles sorted by score descending, a run of equal scores starting at
 * position i (0-based) goes whole into band floor(i·n_bands/n). Equal
 * scores are never split, so a band can be empty. Needs n ≥ 1,
 * n_bands ≥ 1 and at least one positive (capture and lift divide by
 * them); FALSE with *error otherwise. Returns n_bands bands in *bands. */
gboolean bt_bands(const double *score, const guint8 *positive, gsize n, guint n_bands, BtBand **bands,
                  GError **error);

/* The share of all positives held by the top `fraction` (0 < f ≤ 1) of
 * profiles by score, k = fraction·n profiles (not rounded). Profiles tied
 * at the boundary count in proportion to the places left for them (the
 * expectation over every order of the ties). Needs a positive. */
gboolean bt_capture(const double *score, const guint8 *positive, gsize n, double fraction, double *capture,
                    GError **error);

/* A binary feature (a tag held or not) against the outcome. */
typedef struct {
  gsize n, held, positives, positives_held;
  double rate_held, rate_not; /* NaN when no profile is in that group */
  double lift;                /* rate_held / base rate, NaN when held is 0 */
  double woe_held, woe_not;   /* ln(share of positives / share of negatives), smoothed */
  double iv;                  /* Σ (share_pos − share_neg)·woe over held and not held */
} BtFeature;

/* The smoothing of WoE and IV: each of the four cells (held/not ×
 * positive/negative) gets BT_WOE_SMOOTHING added, so that a group without
 * positives or negatives has a finite weight:
 *   share_pos(g) = (pos_g + 0.5) / (P + 1),  share_neg(g) = (neg_g + 0.5) / (N + 1). */
#define BT_WOE_SMOOTHING 0.5

/* A feature held by every profile or by none has IV 0, WoE 0 for the
 * group that has everyone and NaN for the empty one. Needs n ≥ 1 and both
 * classes. */
gboolean bt_feature(const guint8 *held, const guint8 *positive, gsize n, BtFeature *out, GError **error);

/* Population stability of a score between a reference sample and a later
 * one, over the reference's `n_bins` bands (bt_bands' rule; empty bands
 * dropped): a value belongs to the first band from the top whose lowest
 * score it reaches, else to the last. Shares are smoothed like WoE:
 * (count + 0.5) / (n + 0.5·bins). PSI = Σ (q − p)·ln(q / p), p the
 * reference's shares. Needs both samples non-empty. */
gboolean bt_psi(const double *reference, gsize n_ref, const double *current, gsize n_cur, guint n_bins,
                double *psi, GError **error);

/* "stable" below 0.1, "shifted" below 0.25, else "unstable". */
const char *bt_psi_verdict(double psi);

#endif
