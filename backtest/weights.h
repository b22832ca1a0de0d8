/* weights.h - suggested weights for a score's rules (docs/backtest.md,
 * "Suggested weights"): an L2-penalised logistic regression of the outcome
 * on each rule's firing, fitted by Newton's method with a fixed plan, its
 * coefficients scaled to points on the score's current range, and each
 * rule's text rewritten with the suggested weight. Pure functions; nothing
 * here knows about models.
 *
 * Ownership: inputs are borrowed for the call; returned strings and
 * arrays belong to the caller (g_free).
 */
#ifndef PERSONA_BACKTEST_WEIGHTS_H
#define PERSONA_BACKTEST_WEIGHTS_H

#include <glib.h>

/* The penalty λ on every coefficient but the intercept. */
#define BT_LOGIT_LAMBDA 1.0
/* Newton's method stops after this many steps, or earlier when no
 * coefficient moves by more than BT_LOGIT_TOLERANCE. */
#define BT_LOGIT_MAX_STEPS 100
#define BT_LOGIT_TOLERANCE 1e-12

/* Minimises Σ_i [ln(1 + e^η_i) − y_i·η_i] + (λ/2)·Σ_{j≥1} β_j², η_i = β_0 +
 * Σ_j β_j·x_ij, over the rows i with use[i] set (use NULL: every row). x is
 * row-major, n rows of k values; coef gets k + 1 values, the intercept
 * first. FALSE with *error when the rows used have one class only or the
 * system is singular. *steps (may be NULL) gets the steps taken. */
gboolean bt_logistic_fit(const double *x, const guint8 *y, const guint8 *use, gsize n, guint k, double lambda,
                         double *coef, guint *steps, GError **error);

/* The rule's text with a new weight: `+30 when large` with 22 is `+22 when
 * large`, `-20 when x` with -12 is `-12 when x`, and with 5 `+5 when x`. A
 * `cap C` at the end is scaled by |new/old| so it caps the same number of
 * records. A rule whose weight is an expression `+(E) …` becomes
 * `+(F * (E)) …` with F = new (old = 1: the points it gave). `digits`
 * decimals (0: whole numbers). */
char *bt_rule_with_weight(const char *text, double old_weight, double new_weight, guint digits);

#endif
