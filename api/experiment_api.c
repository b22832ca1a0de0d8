/* experiment_api.c - experiments through the public API (persona.h,
 * "experiments"): what a model declares, a profile's assignment after an
 * evaluation, and the metric as of a given time. See docs/experiment.md. */
#include <string.h>

#include "api_internal.h"
#include "runtime/expstats.h"

static const PModel *model_of(const PersonaModel *model) { return (const PModel *)model; }

gboolean persona_model_experiment(const PersonaModel *model, guint i, PersonaExperimentInfo *out) {
  g_return_val_if_fail(model && out, FALSE);
  memset(out, 0, sizeof *out);
  const PModel *m = model_of(model);
  if (i >= m->n_experiments) return FALSE;
  const PExperimentCode *x = &m->experiments[i];
  *out = (PersonaExperimentInfo){.name = x->name, .label = x->label, .n_arms = x->n_arms,
                                 .control = x->control, .holdout = x->holdout, .window_us = x->window_us};
  return TRUE;
}

const char *persona_model_experiment_arm(const PersonaModel *model, guint i, guint a, double *share) {
  g_return_val_if_fail(model, NULL);
  const PModel *m = model_of(model);
  if (i >= m->n_experiments || a >= m->experiments[i].n_arms) return NULL;
  if (share) *share = (double)m->experiments[i].arm_buckets[a] / PEXP_BUCKETS;
  return m->experiments[i].arms[a];
}

gboolean persona_result_experiment(const PersonaResult *r, guint i, PersonaAssignment *out) {
  static const char *const change[] = {[PEXP_NEW] = "new", [PEXP_KEPT] = "kept", [PEXP_MOVED] = "moved",
                                       [PEXP_RESHUFFLED] = "reshuffled"};
  g_return_val_if_fail(r && out, FALSE);
  const PersonaVM *vm = (const PersonaVM *)r;
  memset(out, 0, sizeof *out);
  if (!vm->last_ok || i >= vm->st.model->n_experiments) return FALSE;
  const PExpState *e = &vm->st.exps[i];
  out->arm = e->arm;
  out->arm_name = vm->st.model->experiments[i].arms[e->arm];
  out->assigned_us = e->assigned;
  out->change = e->change < G_N_ELEMENTS(change) ? change[e->change] : "new";
  return TRUE;
}

PersonaEvalStatus persona_vm_experiment_metric(PersonaVM *vm, const char *json, gsize len, guint i,
                                               gint64 assigned_us, gint64 as_of_us, gboolean *converted) {
  if (!vm || !converted || (!json && len > 0) || i >= vm->st.model->n_experiments) return PERSONA_EVAL_USAGE_ERROR;
  PVMState *st = &vm->st;
  PDecodeResult dr;
  vm->last_ok = false;
  vm->last_field[0] = '\0';
  if (!pvm_begin_record(st, json ? json : "", len, as_of_us, &dr)) {
    vm->last_key = dr.key;
    g_strlcpy(vm->last_error, dr.error, sizeof vm->last_error);
    vm->last_code = dr.error_code ? dr.error_code : "bad_json";
    g_strlcpy(vm->last_field, dr.error_field, sizeof vm->last_field);
    return PERSONA_EVAL_RECORD_ERROR;
  }
  vm->last_key = dr.key;
  bool c = false;
  if (!pvm_experiment_metric(st, i, assigned_us, &c)) {
    g_strlcpy(vm->last_error, st->error, sizeof vm->last_error);
    vm->last_code = st->error_code ? st->error_code : "runtime";
    return PERSONA_EVAL_RECORD_ERROR;
  }
  *converted = c;
  return PERSONA_EVAL_OK;
}

/* ---- the statistics (runtime/expstats.c) -------------------------------------- */

void persona_stats_wilson(gint64 x, gint64 n, double *low, double *high) {
  pstat_wilson(x, n, PERSONA_STATS_Z_975, low, high);
}
double persona_stats_two_prop_p(gint64 x1, gint64 n1, gint64 x2, gint64 n2) {
  return pstat_two_prop_p(x1, n1, x2, n2);
}
double persona_stats_chi2_arms(const gint64 *x, const gint64 *n, guint k, double *chi2) {
  return pstat_chi2_arms(x, n, k, chi2);
}
double persona_stats_srm_p(const gint64 *n, const double *share, guint k, double *chi2) {
  return pstat_srm_p(n, share, k, chi2);
}
double persona_stats_mde(double p, gint64 n1, gint64 n2) { return pstat_mde(p, n1, n2); }
double persona_stats_power(double p1, gint64 n1, double p2, gint64 n2) { return pstat_power(p1, n1, p2, n2); }
double persona_stats_gamma_q(double a, double x) { return pstat_gamma_q(a, x); }
