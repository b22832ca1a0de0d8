/* check_experiment.c - `experiment NAME ["label"] { … }` declarations, the
 * experiment splits of journeys and `arm(EXP)` (docs/experiment.md).
 *
 * An experiment's arms split the 10 000 buckets of a keyed hash in the
 * order written; the weights are percentages with at most two decimals
 * (one bucket is 0.01 %) and add up to exactly 100 %. Its metric is a
 * condition in which `assigned` is the time the profile got its arm; the
 * window after `within` is a duration literal. The comparison arm is
 * `control ARM`, or else the arm named `holdout`.
 *
 * Ownership: nothing is allocated here beyond the symbols check.c owns. */
#include "check_internal.h"

#include "../runtime/model.h" /* PEXP_BUCKETS */

#include <math.h>
#include <string.h>

PSym *pcheck_experiment_sym(PCheck *c, const char *name) {
  PSym *s = name ? g_hash_table_lookup(c->globals, name) : NULL;
  return s && s->kind == PSYM_EXPERIMENT ? s : NULL;
}

int pcheck_experiment_arm(const PDecl *d, const char *arm) {
  for (guint i = 0; d->arms && i < d->arms->len; i++)
    if (strcmp(((PSplitArm *)g_ptr_array_index(d->arms, i))->name, arm) == 0) return (int)i;
  return -1;
}

/* The experiment names a split or arm() may use, for "did you mean". */
static void unknown_experiment(PCheck *c, const PLoc *loc, const char *name) {
  GPtrArray *names = g_ptr_array_new();
  for (guint i = 0; i < c->experiments->len; i++)
    g_ptr_array_add(names, (gpointer)((PSym *)g_ptr_array_index(c->experiments, i))->name);
  const char *sugg = pdiag_suggest(name, (const char *const *)names->pdata, names->len);
  g_autofree char *hint = sugg ? g_strdup_printf("did you mean '%s'?", sugg) : NULL;
  pdiag_add(c->diags, PDIAG_ERROR, loc, hint ? hint : "declare it: experiment NAME { arms … salt \"…\" metric … within 30d }",
            "unknown experiment '%s'", name);
  g_ptr_array_unref(names);
}

static void unknown_arm(PCheck *c, const PLoc *loc, const PDecl *exp, const char *arm) {
  GPtrArray *names = g_ptr_array_new();
  for (guint i = 0; i < exp->arms->len; i++)
    g_ptr_array_add(names, (gpointer)((PSplitArm *)g_ptr_array_index(exp->arms, i))->name);
  const char *sugg = pdiag_suggest(arm, (const char *const *)names->pdata, names->len);
  g_autofree char *hint = sugg ? g_strdup_printf("did you mean '%s'?", sugg) : NULL;
  pdiag_add(c->diags, PDIAG_ERROR, loc, hint, "experiment %s has no arm '%s'", exp->name, arm);
  g_ptr_array_unref(names);
}

static void check_arms(PCheck *c, PDecl *d) {
  if (!d->arms) {
    pdiag_add(c->diags, PDIAG_ERROR, &d->name_loc, "add: arms story 45%, roi 45%, holdout 10%",
              "experiment %s has no arms", d->name);
    return;
  }
  double total = 0;
  bool read = true;
  for (guint i = 0; i < d->arms->len; i++) {
    PSplitArm *a = g_ptr_array_index(d->arms, i);
    for (guint k = 0; k < i; k++)
      if (strcmp(((PSplitArm *)g_ptr_array_index(d->arms, k))->name, a->name) == 0)
        pdiag_error(c->diags, &a->name_loc, "arm '%s' is listed twice in experiment %s", a->name, d->name);
    double buckets = a->weight->nval * PEXP_BUCKETS;
    if (fabs(buckets - round(buckets)) > 1e-6) {
      pdiag_add(c->diags, PDIAG_ERROR, &a->weight->loc, "one bucket is 0.01%: write at most two decimals",
                "the weight of arm '%s' is not a whole number of buckets", a->name);
      read = false;
    } else if (a->weight->nval <= 0) {
      pdiag_error(c->diags, &a->weight->loc, "arm '%s' has no share: its weight is 0%%", a->name);
    }
    total += a->weight->nval;
  }
  if (read && fabs(total - 1.0) > 1e-9)
    pdiag_add(c->diags, PDIAG_ERROR, &d->arms_loc, "make the weights add up to 100%",
              "the weights of experiment %s add up to %g%%, not 100%%", d->name, total * 100);
  if (d->control) {
    if (pcheck_experiment_arm(d, d->control) < 0) unknown_arm(c, &d->control_loc, d, d->control);
  } else if (pcheck_experiment_arm(d, "holdout") < 0) {
    pdiag_add(c->diags, PDIAG_ERROR, &d->name_loc, "add an arm named holdout, or name one: control ARM",
              "experiment %s has no control to measure lift against", d->name);
  }
}

static void check_metric(PCheck *c, PSym *s) {
  PDecl *d = s->decl;
  if (!d->expr) {
    pdiag_add(c->diags, PDIAG_ERROR, &d->name_loc,
              "add: metric exists(events where type == \"deal_won\" since assigned) within 30d",
              "experiment %s has no metric", d->name);
    return;
  }
  c->current = s;
  c->current_experiment = d;
  pcheck_cond(c, d->expr, "an experiment's metric");
  c->current_experiment = NULL;
  c->current = NULL;
  PExpr *w = d->metric_window;
  if (w->kind != PE_DURATION || w->ival <= 0)
    pdiag_add(c->diags, PDIAG_ERROR, &w->loc, "write a duration such as 30d",
              "the metric's window must be a duration literal longer than zero");
}

void pcheck_experiment(PCheck *c, PSym *s) {
  PDecl *d = s->decl;
  check_arms(c, d);
  if (!d->salt)
    pdiag_add(c->diags, PDIAG_ERROR, &d->name_loc, "add: salt \"2026-q1\" (changing it later reshuffles every profile)",
              "experiment %s has no salt", d->name);
  else if (d->salt_len == 0)
    pdiag_error(c->diags, &d->salt_loc, "the salt of experiment %s is empty", d->name);
  check_metric(c, s);
}

void pcheck_experiment_split(PCheck *c, PStep *st) {
  PSym *e = pcheck_experiment_sym(c, st->experiment);
  if (!e) {
    unknown_experiment(c, &st->experiment_loc, st->experiment);
    return;
  }
  PDecl *d = e->decl;
  for (guint i = 0; i < st->arms->len; i++) {
    PSplitArm *a = g_ptr_array_index(st->arms, i);
    for (guint k = 0; k < i; k++)
      if (strcmp(((PSplitArm *)g_ptr_array_index(st->arms, k))->name, a->name) == 0)
        pdiag_error(c->diags, &a->name_loc, "arm '%s' appears twice in this split", a->name);
    if (!d->arms) continue;
    if (pcheck_experiment_arm(d, a->name) < 0) unknown_arm(c, &a->name_loc, d, a->name);
    else if (strcmp(a->name, "holdout") == 0)
      pdiag_add(c->diags, PDIAG_ERROR, &a->name_loc, "remove this arm: the holdout's profiles never enter the journey",
                "the holdout of experiment %s gets no actions", d->name);
  }
}

PType *pcheck_arm_call(PCheck *c, PExpr *e) {
  PExpr *a = e->items->len == 1 ? g_ptr_array_index(e->items, 0) : NULL;
  if (!a || a->kind != PE_NAME) {
    pdiag_error(c->diags, &e->loc, "arm() takes the name of an experiment: arm(content_test)");
    e->type = c->tt->t_error;
    return e->type;
  }
  PSym *s = pcheck_experiment_sym(c, a->name);
  if (!s) {
    unknown_experiment(c, &a->loc, a->name);
    e->type = c->tt->t_error;
    return e->type;
  }
  a->sym = s;
  a->type = c->tt->t_string;
  e->sym = s;
  e->type = c->tt->t_string;
  return e->type;
}
