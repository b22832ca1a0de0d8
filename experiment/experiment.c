/* experiment.c - counting arms and conversions over profiles; see
 * experiment.h. */
#include "experiment.h"

#include <math.h>
#include <string.h>


struct Experiments {
  PersonaModel *model;
  gint64 now_us;
  guint n;
  ExpSummary *s;
  gint64 profiles, errors;
};

Experiments *experiments_new(PersonaModel *model, gint64 now_us) {
  Experiments *e = g_new0(Experiments, 1);
  e->model = persona_model_ref(model);
  e->now_us = now_us;
  e->n = persona_model_n_items(model, PERSONA_ITEM_EXPERIMENT);
  e->s = g_new0(ExpSummary, e->n ? e->n : 1);
  for (guint i = 0; i < e->n; i++) {
    PersonaExperimentInfo info;
    persona_model_experiment(model, i, &info);
    ExpSummary *s = &e->s[i];
    s->name = info.name;
    s->label = info.label;
    s->n_arms = info.n_arms;
    s->control = info.control;
    s->holdout = info.holdout;
    s->window_us = info.window_us;
    s->arms = g_new0(ExpArm, info.n_arms ? info.n_arms : 1);
    for (guint a = 0; a < info.n_arms; a++)
      s->arms[a].name = persona_model_experiment_arm(model, i, a, &s->arms[a].planned_share);
  }
  return e;
}

void experiments_free(Experiments *e) {
  if (!e) return;
  for (guint i = 0; i < e->n; i++) g_free(e->s[i].arms);
  g_free(e->s);
  persona_model_unref(e->model);
  g_free(e);
}

void experiments_add(Experiments *e, PersonaVM *vm, const char *line, gsize len, PersonaEvalStatus status,
                     const PersonaResult *r) {
  e->profiles++;
  if (status != PERSONA_EVAL_OK || !r) {
    e->errors++;
    return;
  }
  /* Read every assignment before the metric runs: it reuses the VM. */
  PersonaAssignment *as = g_new0(PersonaAssignment, e->n ? e->n : 1);
  for (guint i = 0; i < e->n; i++) persona_result_experiment(r, i, &as[i]);
  for (guint i = 0; i < e->n; i++) {
    ExpSummary *s = &e->s[i];
    ExpArm *arm = &s->arms[as[i].arm];
    s->moved += strcmp(as[i].change, "moved") == 0;
    s->reshuffled += strcmp(as[i].change, "reshuffled") == 0;
    gint64 until = as[i].assigned_us + s->window_us;
    if (until > e->now_us) {
      arm->pending++;
      continue;
    }
    gboolean converted = FALSE;
    if (persona_vm_experiment_metric(vm, line, len, i, as[i].assigned_us, until, &converted) != PERSONA_EVAL_OK) {
      e->errors++;
      continue;
    }
    arm->n++;
    arm->conversions += converted != FALSE;
  }
  g_free(as);
}

void exp_summary_compute(ExpSummary *s) {
  const ExpArm *c = &s->arms[s->control];
  double c_rate = c->n ? (double)c->conversions / (double)c->n : NAN;
  gint64 *x = g_new0(gint64, s->n_arms + 1), *n = g_new0(gint64, s->n_arms + 1),
         *all = g_new0(gint64, s->n_arms + 1);
  double *share = g_new0(double, s->n_arms + 1);
  gint64 tx = 0, tn = 0;
  for (guint a = 0; a < s->n_arms; a++) {
    tx += s->arms[a].conversions;
    tn += s->arms[a].n;
  }
  double pooled = tn ? (double)tx / (double)tn : NAN;
  s->mde = NAN;
  for (guint a = 0; a < s->n_arms; a++) {
    ExpArm *arm = &s->arms[a];
    x[a] = arm->conversions;
    n[a] = arm->n;
    all[a] = arm->n + arm->pending;
    share[a] = arm->planned_share;
    arm->rate = arm->n ? (double)arm->conversions / (double)arm->n : NAN;
    persona_stats_wilson(arm->conversions, arm->n, &arm->rate_low, &arm->rate_high);
    if (a == s->control) {
      arm->lift = arm->lift_abs = arm->p_value = arm->mde = NAN;
      continue;
    }
    arm->lift_abs = arm->rate - c_rate;
    arm->lift = c_rate > 0 ? arm->lift_abs / c_rate : NAN;
    arm->p_value = persona_stats_two_prop_p(arm->conversions, arm->n, c->conversions, c->n);
    /* At the control's rate when it has one, else at the pooled rate. */
    arm->mde = persona_stats_mde(c->n ? c_rate : pooled, arm->n, c->n);
    if (!isnan(arm->mde) && (isnan(s->mde) || arm->mde > s->mde)) s->mde = arm->mde;
  }
  s->chi2_p_value = persona_stats_chi2_arms(x, n, s->n_arms, &s->chi2);
  s->srm_p_value = persona_stats_srm_p(all, share, s->n_arms, &s->srm_chi2);
  s->srm = !isnan(s->srm_p_value) && s->srm_p_value < PERSONA_STATS_SRM_ALPHA;
  g_free(x);
  g_free(n);
  g_free(all);
  g_free(share);
}

void experiments_finish(Experiments *e) {
  for (guint i = 0; i < e->n; i++) exp_summary_compute(&e->s[i]);
}

guint experiments_count(const Experiments *e) { return e->n; }
const ExpSummary *experiments_get(const Experiments *e, guint i) { return i < e->n ? &e->s[i] : NULL; }
gint64 experiments_profiles(const Experiments *e) { return e->profiles; }
gint64 experiments_errors(const Experiments *e) { return e->errors; }
gint64 experiments_now(const Experiments *e) { return e->now_us; }
