/* rules_api.c - a score's rules and what each contributed in the last
 * evaluation (persona.h, "score rules"): the trace points of a model
 * compiled with `trace`, collected into flat per-rule arrays owned by the
 * VM (PRuleRecord, api_internal.h). */
#include <math.h>
#include <string.h>

#include "api_internal.h"
#include "runtime/model.h"

static const PModel *pm(const PersonaModel *model) { return (const PModel *)model; }

/* The score with index `score` (declaration order) as an output, or NULL. */
static const POutput *score_output(const PModel *m, guint score) {
  for (uint32_t k = 0; k < m->n_outputs; k++) {
    if (m->outputs[k].kind != POUT_SCORE) continue;
    if (score-- == 0) return &m->outputs[k];
  }
  return NULL;
}

guint persona_model_score_n_rules(const PersonaModel *model, guint score) {
  g_return_val_if_fail(model, 0);
  const POutput *o = score_output(pm(model), score);
  return o && pm(model)->n_traces ? o->n_rules : 0;
}

gboolean persona_model_score_rule(const PersonaModel *model, guint score, guint rule, PersonaScoreRule *out) {
  g_return_val_if_fail(model && out, FALSE);
  const PModel *m = pm(model);
  if (rule >= persona_model_score_n_rules(model, score)) return FALSE;
  const PRuleInfo *ri = &score_output(m, score)->rules[rule];
  *out = (PersonaScoreRule){.text = ri->text,
                            .file = ri->loc.file < m->n_files ? m->file_names[ri->loc.file] : NULL,
                            .line = ri->loc.line,
                            .col = ri->loc.col,
                            .per = ri->per,
                            .weight = ri->weight};
  return TRUE;
}

/* TRACE callback: a rule's points (after its cap) and whether it fired. A
 * `when` rule reports its points only when its condition held; a `per`
 * rule always reports them, and its points before the cap, which are not
 * 0 once it counted a record (unless its weight is 0). The points come
 * from RULE and RULE_RAW, the two kinds a `score_rules` build has. */
static void on_rule_trace(void *user, uint32_t point, PValue v) {
  PersonaVM *vm = user;
  const PModel *m = vm->st.model;
  PRuleRecord *r = vm->rules;
  if (point >= m->n_traces) return;
  const PTracePoint *p = &m->traces[point];
  if (p->score >= m->n_outputs || p->rule >= m->outputs[p->score].n_rules) return;
  uint32_t at = r->flat_of[p->score] + p->rule;
  switch ((PTraceKind)p->kind) {
  case PTRACE_RULE:
    r->points[at] = v.kind == PV_NUMBER ? v.u.n : 0;
    if (!m->outputs[p->score].rules[p->rule].per) r->fired[at] = 1;
    break;
  case PTRACE_RULE_RAW: /* a `per` rule counted a record: W × count (or Σ decay) is not 0 */
    if (m->outputs[p->score].rules[p->rule].per && v.kind == PV_NUMBER && v.u.n != 0) r->fired[at] = 1;
    break;
  case PTRACE_EVENT:
  case PTRACE_FACTOR: break;
  }
}

void papi_rules_free(PRuleRecord *r) {
  if (!r) return;
  g_free(r->output);
  g_free(r->first);
  g_free(r->flat_of);
  g_free(r->points);
  g_free(r->fired);
  g_free(r);
}

void papi_rules_reset(PersonaVM *vm) {
  PRuleRecord *r = vm->rules;
  if (!r) return;
  uint32_t n = r->first[r->n_scores];
  memset(r->points, 0, sizeof(double) * n);
  memset(r->fired, 0, n);
}

static PRuleRecord *rules_new(const PModel *m) {
  PRuleRecord *r = g_new0(PRuleRecord, 1);
  for (uint32_t k = 0; k < m->n_outputs; k++) r->n_scores += m->outputs[k].kind == POUT_SCORE;
  r->output = g_new0(uint32_t, r->n_scores + 1);
  r->first = g_new0(uint32_t, r->n_scores + 1);
  r->flat_of = g_new0(uint32_t, m->n_outputs + 1);
  uint32_t n = 0, i = 0;
  for (uint32_t k = 0; k < m->n_outputs; k++) {
    r->flat_of[k] = n;
    if (m->outputs[k].kind != POUT_SCORE) continue;
    r->output[i] = k;
    r->first[i++] = n;
    n += m->outputs[k].n_rules;
  }
  r->first[r->n_scores] = n;
  r->points = g_new0(double, n + 1);
  r->fired = g_new0(guint8, n + 1);
  return r;
}

gboolean persona_vm_record_rules(PersonaVM *vm, gboolean on) {
  g_return_val_if_fail(vm, FALSE);
  const PModel *m = vm->st.model;
  papi_rules_free(vm->rules);
  vm->rules = NULL;
  vm->st.trace = NULL;
  vm->st.trace_user = NULL;
  if (!on) return TRUE;
  if (m->n_traces == 0) return FALSE;
  vm->rules = rules_new(m);
  vm->st.trace = on_rule_trace;
  vm->st.trace_user = vm;
  return TRUE;
}

gboolean persona_result_rule(const PersonaResult *res, guint score, guint rule, double *contribution) {
  const PersonaVM *vm = (const PersonaVM *)res;
  if (contribution) *contribution = 0;
  g_return_val_if_fail(vm, FALSE);
  const PRuleRecord *r = vm->rules;
  if (!r || !vm->last_ok || score >= r->n_scores || rule >= r->first[score + 1] - r->first[score]) return FALSE;
  uint32_t at = r->first[score] + rule;
  if (contribution) *contribution = r->points[at];
  return r->fired[at] != 0;
}
