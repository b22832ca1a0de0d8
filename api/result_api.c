/* result_api.c - reading an evaluation's result without JSON (persona.h,
 * "results without JSON"). A PersonaResult is the PersonaVM that made it:
 * the values are the VM's globals, transitions and actions, valid until
 * its next evaluation. */
#include <string.h>

#include "api_internal.h"
#include "runtime/json_write.h"
#include "runtime/result.h"
#include "runtime/state.h"

static const PersonaVM *vm_of(const PersonaResult *r) { return (const PersonaVM *)r; }
static const PVMState *st_of(const PersonaResult *r) { return &vm_of(r)->st; }
static const PModel *model_of(const PersonaResult *r) { return st_of(r)->model; }

/* The outputs of one kind, by position among that kind. */
static const POutput *nth_output(const PersonaResult *r, POutputKind kind, guint i) {
  const PersonaVM *vm = vm_of(r);
  if (i >= vm->n_outputs_of_kind[kind]) return NULL;
  return &model_of(r)->outputs[vm->outputs_of_kind[kind][i]];
}

static bool tag_holds(const PersonaResult *r, const POutput *o) {
  PValue v = st_of(r)->globals[o->slot];
  return v.kind == PV_BOOL && v.u.b;
}

const char *persona_result_error(const PersonaResult *r) {
  g_return_val_if_fail(r, NULL);
  return vm_of(r)->last_ok ? NULL : vm_of(r)->last_error;
}

const char *persona_result_error_code(const PersonaResult *r) {
  if (!r || vm_of(r)->last_ok) return NULL;
  return vm_of(r)->last_code ? vm_of(r)->last_code : "runtime";
}

const char *persona_result_error_field(const PersonaResult *r) {
  if (!r || vm_of(r)->last_ok || !vm_of(r)->last_field[0]) return NULL;
  return vm_of(r)->last_field;
}

void persona_result_id_json(const PersonaResult *r, GString *out) {
  PValue k = vm_of(r)->last_key;
  if (k.kind == PV_STRING) pjw_string(out, k.u.s, k.len);
  else if (k.kind == PV_INT) pjw_int(out, k.u.i);
  else g_string_append(out, "null");
}

/* How many outputs of `kind` (tags or segments) hold. */
static guint count_held(const PersonaResult *r, POutputKind kind) {
  if (!vm_of(r)->last_ok) return 0;
  const PModel *m = model_of(r);
  guint n = 0;
  for (uint32_t k = 0; k < m->n_outputs; k++)
    if (m->outputs[k].kind == kind && tag_holds(r, &m->outputs[k])) n++;
  return n;
}

/* The name of the i-th output of `kind` that holds, or NULL. */
static const char *nth_held(const PersonaResult *r, POutputKind kind, guint i) {
  const PModel *m = model_of(r);
  if (!vm_of(r)->last_ok) return NULL;
  for (uint32_t k = 0; k < m->n_outputs; k++) {
    const POutput *o = &m->outputs[k];
    if (o->kind != kind || !tag_holds(r, o)) continue;
    if (i-- == 0) return o->name;
  }
  return NULL;
}

static gboolean named_holds(const PersonaResult *r, POutputKind kind, const char *name) {
  const PModel *m = model_of(r);
  if (!vm_of(r)->last_ok) return FALSE;
  for (uint32_t k = 0; k < m->n_outputs; k++) {
    const POutput *o = &m->outputs[k];
    if (o->kind == kind && strcmp(o->name, name) == 0) return tag_holds(r, o);
  }
  return FALSE;
}

guint persona_result_n_tags(const PersonaResult *r) { return count_held(r, POUT_TAG); }
const char *persona_result_tag(const PersonaResult *r, guint i) { return nth_held(r, POUT_TAG, i); }
gboolean persona_result_has_tag(const PersonaResult *r, const char *name) {
  return named_holds(r, POUT_TAG, name);
}

guint persona_result_n_segments(const PersonaResult *r) { return count_held(r, POUT_SEGMENT); }
const char *persona_result_segment(const PersonaResult *r, guint i) { return nth_held(r, POUT_SEGMENT, i); }
gboolean persona_result_has_segment(const PersonaResult *r, const char *name) {
  return named_holds(r, POUT_SEGMENT, name);
}

guint persona_model_n_columns(const PersonaModel *model) {
  g_return_val_if_fail(model, 0);
  return ((const PModel *)model)->n_columns;
}

gboolean persona_result_column_json(const PersonaResult *r, guint i, GString *out) {
  const PModel *m = model_of(r);
  if (i >= m->n_columns) return FALSE;
  PValue v = vm_of(r)->last_ok ? st_of(r)->globals[m->column_slots[i]] : pv_null();
  if (v.kind == PV_NULL) g_string_append(out, "null");
  else pjw_value(out, v, NULL);
  return TRUE;
}

gboolean persona_result_tag_holds(const PersonaResult *r, guint i) {
  const POutput *o = nth_output(r, POUT_TAG, i);
  return o && vm_of(r)->last_ok && tag_holds(r, o);
}

gboolean persona_result_segment_holds(const PersonaResult *r, guint i) {
  const POutput *o = nth_output(r, POUT_SEGMENT, i);
  return o && vm_of(r)->last_ok && tag_holds(r, o);
}

guint persona_result_n_scores(const PersonaResult *r) {
  const PModel *m = model_of(r);
  guint n = 0;
  for (uint32_t k = 0; vm_of(r)->last_ok && k < m->n_outputs; k++) n += m->outputs[k].kind == POUT_SCORE;
  return n;
}

const char *persona_result_score_name(const PersonaResult *r, guint i) {
  const POutput *o = nth_output(r, POUT_SCORE, i);
  return o ? o->name : NULL;
}

double persona_result_score_value(const PersonaResult *r, guint i) {
  const POutput *o = nth_output(r, POUT_SCORE, i);
  if (!o || !vm_of(r)->last_ok) return 0;
  PValue v = st_of(r)->globals[o->slot];
  return v.kind == PV_NUMBER ? v.u.n : 0;
}

gboolean persona_result_score(const PersonaResult *r, const char *name, double *value) {
  const PModel *m = model_of(r);
  for (uint32_t k = 0; vm_of(r)->last_ok && k < m->n_outputs; k++) {
    const POutput *o = &m->outputs[k];
    if (o->kind != POUT_SCORE || strcmp(o->name, name) != 0) continue;
    PValue v = st_of(r)->globals[o->slot];
    if (value) *value = v.kind == PV_NUMBER ? v.u.n : 0;
    return TRUE;
  }
  return FALSE;
}

guint persona_result_n_stages(const PersonaResult *r) {
  return vm_of(r)->last_ok ? model_of(r)->n_lifecycles : 0;
}

const char *persona_result_stage_lifecycle(const PersonaResult *r, guint i) {
  return i < model_of(r)->n_lifecycles ? model_of(r)->lifecycles[i].name : NULL;
}

gint persona_result_stage_index(const PersonaResult *r, guint i) {
  if (!vm_of(r)->last_ok || i >= model_of(r)->n_lifecycles) return -1;
  return (gint)st_of(r)->lc[i].stage;
}

const char *persona_result_stage(const PersonaResult *r, guint i) {
  const PModel *m = model_of(r);
  if (!vm_of(r)->last_ok || i >= m->n_lifecycles) return NULL;
  return m->lifecycles[i].stages[st_of(r)->lc[i].stage];
}

guint persona_result_n_transitions(const PersonaResult *r) {
  return vm_of(r)->last_ok ? st_of(r)->transitions->len : 0;
}

void persona_result_transition(const PersonaResult *r, guint i, PersonaTransition *out) {
  memset(out, 0, sizeof *out);
  if (i >= persona_result_n_transitions(r)) return;
  const PTransitionRec *t = &g_array_index(st_of(r)->transitions, PTransitionRec, i);
  const PLifecycleCode *lc = &model_of(r)->lifecycles[t->lifecycle];
  out->lifecycle = lc->name;
  out->from = t->from >= 0 ? lc->stages[t->from] : NULL;
  out->to = lc->stages[t->to];
  out->at_us = t->at_us;
}

guint persona_result_n_actions(const PersonaResult *r) {
  return vm_of(r)->last_ok ? st_of(r)->actions->len : 0;
}

void persona_result_action(const PersonaResult *r, guint i, PersonaAction *out) {
  static const char *const kinds[] = {[PJS_SEND] = "send", [PJS_TASK] = "task", [PJS_NOTIFY] = "notify",
                                      [PJS_WEBHOOK] = "webhook"};
  memset(out, 0, sizeof *out);
  if (i >= persona_result_n_actions(r)) return;
  const PActionRec *a = &g_array_index(st_of(r)->actions, PActionRec, i);
  const PJourneyCode *j = &model_of(r)->journeys[a->journey];
  const PJStep *s = &j->steps[a->step];
  out->journey = j->name;
  out->run = a->run;
  out->step = s->id;
  out->kind = kinds[s->kind];
  out->channel = s->kind == PJS_WEBHOOK ? NULL : s->channel;
  out->text = s->text;
  out->at_us = a->at_us;
}

gboolean persona_result_next_wake(const PersonaResult *r, gint64 *out_us) {
  int64_t w;
  if (!vm_of(r)->last_ok || !pvm_next_wake(st_of(r), &w)) return FALSE;
  if (out_us) *out_us = w;
  return TRUE;
}

gboolean persona_result_next_change(const PersonaResult *r, gint64 *out_us) {
  int64_t c;
  if (!vm_of(r)->last_ok || !pvm_next_change(st_of(r), &c)) return FALSE;
  if (out_us) *out_us = c;
  return TRUE;
}

void persona_result_state_json(const PersonaResult *r, GString *out) {
  if (vm_of(r)->last_ok) pstate_encode(st_of(r), out);
}

void persona_result_to_json(const PersonaResult *r, GString *out) {
  const PersonaVM *vm = vm_of(r);
  if (vm->last_ok) presult_write_opts(out, &vm->st, vm->last_key, vm->result_options);
  else presult_write_error(out, vm->last_key, 0, vm->last_error, vm->last_code, vm->last_field);
}
