/* weights.c - the logistic regression and the rule rewriting of
 * weights.h. */
#include "backtest/weights.h"

#include <math.h>
#include <string.h>

#include "persona.h"



/* Solves A·x = b in place for a symmetric positive definite A (m × m,
 * row-major) by Cholesky: A = L·Lᵀ. FALSE when A is not positive definite. */
static gboolean cholesky_solve(double *a, double *b, guint m) {
  for (guint j = 0; j < m; j++) {
    double d = a[j * m + j];
    for (guint k = 0; k < j; k++) d -= a[j * m + k] * a[j * m + k];
    if (!(d > 0)) return FALSE;
    a[j * m + j] = sqrt(d);
    for (guint i = j + 1; i < m; i++) {
      double s = a[i * m + j];
      for (guint k = 0; k < j; k++) s -= a[i * m + k] * a[j * m + k];
      a[i * m + j] = s / a[j * m + j];
    }
  }
  for (guint i = 0; i < m; i++) { /* L·z = b */
    for (guint k = 0; k < i; k++) b[i] -= a[i * m + k] * b[k];
    b[i] /= a[i * m + i];
  }
  for (guint i = m; i-- > 0;) { /* Lᵀ·x = z */
    for (guint k = i + 1; k < m; k++) b[i] -= a[k * m + i] * b[k];
    b[i] /= a[i * m + i];
  }
  return TRUE;
}

/* 1 / (1 + e^−η), without overflow for large |η|. */
static double logistic(double eta) {
  if (eta >= 0) return 1 / (1 + exp(-eta));
  double e = exp(eta);
  return e / (1 + e);
}

/* The rows used, with equal rows merged: each distinct row once, with how
 * many rows it stands for and how many of them are positive. Scores made
 * of `when` rules have few distinct rows, so each Newton step is cheap. */
typedef struct {
  double *z;          /* n_rows × (k + 1): 1, then the row */
  double *count, *positives;
  gsize n_rows;
} Rows;

static guint64 row_hash(const double *row, guint k) {
  guint64 h = 14695981039346656037ull;
  const guchar *b = (const guchar *)row;
  for (gsize i = 0; i < k * sizeof(double); i++) h = (h ^ b[i]) * 1099511628211ull;
  return h;
}

static void rows_merge(const double *x, const guint8 *y, const guint8 *use, gsize n, guint k, Rows *out) {
  guint m = k + 1;
  gsize size = 16;
  while (size < 2 * n) size *= 2;
  gsize *slot = g_new(gsize, size); /* index + 1 of the distinct row, 0 when free */
  memset(slot, 0, size * sizeof *slot);
  out->z = g_new(double, (n + 1) * m);
  out->count = g_new0(double, n + 1);
  out->positives = g_new0(double, n + 1);
  out->n_rows = 0;
  for (gsize i = 0; i < n; i++) {
    if (use && !use[i]) continue;
    const double *row = x + i * k;
    gsize at = row_hash(row, k) & (size - 1);
    while (slot[at] && memcmp(out->z + (slot[at] - 1) * m + 1, row, k * sizeof(double)) != 0)
      at = (at + 1) & (size - 1);
    if (!slot[at]) {
      slot[at] = ++out->n_rows;
      double *z = out->z + (out->n_rows - 1) * m;
      z[0] = 1;
      memcpy(z + 1, row, k * sizeof(double));
    }
    out->count[slot[at] - 1] += 1;
    out->positives[slot[at] - 1] += y[i];
  }
  g_free(slot);
}

static void rows_clear(Rows *r) {
  g_free(r->z);
  g_free(r->count);
  g_free(r->positives);
}

/* One Newton step: H·Δ = −g with g and H of the penalised objective. */
static gboolean newton_step(const Rows *rows, guint k, double lambda, const double *coef, double *h, double *step) {
  guint m = k + 1;
  memset(h, 0, sizeof(double) * m * m);
  memset(step, 0, sizeof(double) * m);
  for (gsize i = 0; i < rows->n_rows; i++) {
    const double *z = rows->z + i * m;
    double eta = 0;
    for (guint j = 0; j < m; j++) eta += coef[j] * z[j];
    double p = logistic(eta), w = rows->count[i] * p * (1 - p), r = rows->count[i] * p - rows->positives[i];
    for (guint a = 0; a < m; a++) {
      double wa = w * z[a];
      step[a] -= r * z[a];
      for (guint b = 0; b <= a; b++) h[a * m + b] += wa * z[b];
    }
  }
  for (guint a = 1; a < m; a++) {
    step[a] -= lambda * coef[a];
    h[a * m + a] += lambda;
  }
  for (guint a = 0; a < m; a++)
    for (guint b = a + 1; b < m; b++) h[a * m + b] = h[b * m + a];
  return cholesky_solve(h, step, m);
}

gboolean bt_logistic_fit(const double *x, const guint8 *y, const guint8 *use, gsize n, guint k, double lambda,
                         double *coef, guint *steps, GError **error) {
  gsize used = 0, positives = 0;
  for (gsize i = 0; i < n; i++)
    if (!use || use[i]) {
      used++;
      positives += y[i];
    }
  if (positives == 0 || positives == used) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID, "the training part has %s", used ? "one class only" : "no profile");
    return FALSE;
  }
  guint m = k + 1;
  memset(coef, 0, sizeof(double) * m);
  g_autofree double *h = g_new(double, (gsize)m * m);
  g_autofree double *step = g_new(double, m);
  Rows rows;
  rows_merge(x, y, use, n, k, &rows);
  guint s = 0;
  while (s < BT_LOGIT_MAX_STEPS) {
    if (!newton_step(&rows, k, lambda, coef, h, step)) {
      g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID, "the regression's system is singular");
      rows_clear(&rows);
      return FALSE;
    }
    s++;
    double moved = 0;
    for (guint a = 0; a < m; a++) {
      coef[a] += step[a];
      moved = MAX(moved, fabs(step[a]));
    }
    if (moved <= BT_LOGIT_TOLERANCE) break;
  }
  rows_clear(&rows);
  if (steps) *steps = s;
  return TRUE;
}

/* ---- rewriting a rule -------------------------------------------------------------- */

static void append_number(GString *out, double v, guint digits) {
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_ascii_formatd(buf, sizeof buf, digits ? "%.2f" : "%.0f", v);
  if (digits && strchr(buf, '.')) { /* 2.50 → 2.5, 3.00 → 3 */
    char *end = buf + strlen(buf) - 1;
    while (*end == '0') *end-- = '\0';
    if (*end == '.') *end = '\0';
  }
  if (strcmp(buf, "-0") == 0) g_strlcpy(buf, "0", sizeof buf);
  g_string_append(out, buf);
}

/* The end of the parenthesised expression starting at text[0] == '(' (the
 * index of its ')'), or 0 when unbalanced. Strings in it are skipped. */
static gsize closing_paren(const char *text) {
  int depth = 0;
  for (gsize i = 0; text[i]; i++) {
    if (text[i] == '"') {
      for (i++; text[i] && text[i] != '"'; i++)
        if (text[i] == '\\' && text[i + 1]) i++;
      if (!text[i]) return 0;
    } else if (text[i] == '(') {
      depth++;
    } else if (text[i] == ')' && --depth == 0) {
      return i;
    }
  }
  return 0;
}

/* `cap C` at the end of `rest` with C scaled by `factor`. */
static void append_rest(GString *out, const char *rest, double factor, guint digits) {
  g_autoptr(GMatchInfo) mi = NULL;
  g_autoptr(GRegex) cap = g_regex_new("\\bcap\\s+([0-9]+(?:\\.[0-9]+)?)\\s*$", 0, 0, NULL);
  int start, end;
  if (g_regex_match(cap, rest, 0, &mi) && g_match_info_fetch_pos(mi, 1, &start, &end)) {
    g_string_append_len(out, rest, start);
    append_number(out, g_ascii_strtod(rest + start, NULL) * fabs(factor), digits);
    g_string_append(out, rest + end);
  } else {
    g_string_append(out, rest);
  }
}

char *bt_rule_with_weight(const char *text, double old_weight, double new_weight, guint digits) {
  GString *out = g_string_new(NULL);
  const char *p = text;
  if (*p == '+' || *p == '-') p++;
  while (*p == ' ' || *p == '\t') p++;
  if (*p == '(' && !isfinite(old_weight)) {
    gsize close = closing_paren(p);
    if (close == 0) {
      g_string_append(out, text);
      return g_string_free(out, FALSE);
    }
    g_string_append_c(out, text[0]);
    g_string_append_c(out, '(');
    append_number(out, new_weight, 2);
    g_string_append(out, " * ");
    g_string_append_len(out, p, (gssize)close + 1);
    g_string_append_c(out, ')');
    append_rest(out, p + close + 1, new_weight, digits);
    return g_string_free(out, FALSE);
  }
  const char *q = p;
  while (g_ascii_isdigit(*q) || *q == '.' || *q == '_') q++;
  if (*q == '%') q++;
  g_string_append_c(out, new_weight < 0 ? '-' : '+');
  append_number(out, fabs(new_weight), digits);
  append_rest(out, q, old_weight != 0 && isfinite(old_weight) ? new_weight / old_weight : 1, digits);
  return g_string_free(out, FALSE);
}
