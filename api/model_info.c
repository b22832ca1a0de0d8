/* model_info.c - what a model declares, for tools that describe its
 * outputs (persona.h, "what a model declares"), and the two result
 * accessors they need beyond result_api.c: stage entry times and journey
 * positions. Everything returned is borrowed from the model or static. */
#include <string.h>

#include "api_internal.h"
#include "runtime/json_decode.h"
#include "runtime/model.h"

/* ---- tags and scores: the model's outputs, by position among their kind ---- */

static const POutput *nth_output(const PersonaModel *model, POutputKind kind, guint i) {
  const PModel *m = (const PModel *)model;
  for (uint32_t k = 0; k < m->n_outputs; k++) {
    if (m->outputs[k].kind != kind) continue;
    if (i-- == 0) return &m->outputs[k];
  }
  return NULL;
}

static guint count_outputs(const PersonaModel *model, POutputKind kind) {
  const PModel *m = (const PModel *)model;
  guint n = 0;
  for (uint32_t k = 0; k < m->n_outputs; k++) n += m->outputs[k].kind == kind;
  return n;
}

guint persona_model_n_tags(const PersonaModel *model) { return count_outputs(model, POUT_TAG); }

const char *persona_model_tag_name(const PersonaModel *model, guint i) {
  const POutput *o = nth_output(model, POUT_TAG, i);
  return o ? o->name : NULL;
}

const char *persona_model_tag_label(const PersonaModel *model, guint i) {
  const POutput *o = nth_output(model, POUT_TAG, i);
  return o ? o->label : NULL;
}

guint persona_model_n_scores(const PersonaModel *model) { return count_outputs(model, POUT_SCORE); }

const char *persona_model_score_name(const PersonaModel *model, guint i) {
  const POutput *o = nth_output(model, POUT_SCORE, i);
  return o ? o->name : NULL;
}

/* ---- lifecycles and journeys ---------------------------------------------- */

static const PModel *pm(const PersonaModel *model) { return (const PModel *)model; }

guint persona_model_n_lifecycles(const PersonaModel *model) { return pm(model)->n_lifecycles; }

const char *persona_model_lifecycle_name(const PersonaModel *model, guint i) {
  return i < pm(model)->n_lifecycles ? pm(model)->lifecycles[i].name : NULL;
}

guint persona_model_lifecycle_n_stages(const PersonaModel *model, guint i) {
  return i < pm(model)->n_lifecycles ? pm(model)->lifecycles[i].n_stages : 0;
}

const char *persona_model_lifecycle_stage(const PersonaModel *model, guint i, guint stage) {
  if (stage >= persona_model_lifecycle_n_stages(model, i)) return NULL;
  return pm(model)->lifecycles[i].stages[stage];
}

guint persona_model_lifecycle_n_transitions(const PersonaModel *model, guint i) {
  return i < pm(model)->n_lifecycles ? pm(model)->lifecycles[i].n_transitions : 0;
}

gboolean persona_model_lifecycle_transition(const PersonaModel *model, guint i, guint t, const char **from,
                                            const char **to) {
  if (t >= persona_model_lifecycle_n_transitions(model, i)) return FALSE;
  const PLifecycleCode *lc = &pm(model)->lifecycles[i];
  const PTransitionCode *tc = &lc->transitions[t];
  if (from) *from = tc->from >= 0 ? lc->stages[tc->from] : NULL;
  if (to) *to = lc->stages[tc->to];
  return TRUE;
}

guint persona_model_n_journeys(const PersonaModel *model) { return pm(model)->n_journeys; }

const char *persona_model_journey_name(const PersonaModel *model, guint i) {
  return i < pm(model)->n_journeys ? pm(model)->journeys[i].name : NULL;
}

guint persona_model_journey_n_steps(const PersonaModel *model, guint i) {
  return i < pm(model)->n_journeys ? pm(model)->journeys[i].n_steps : 0;
}

static const char *step_kind_name(uint8_t kind) {
  static const char *const names[] = {
      [PJS_SEND] = "send", [PJS_TASK] = "task", [PJS_NOTIFY] = "notify", [PJS_WEBHOOK] = "webhook",
      [PJS_WAIT] = "wait", [PJS_WAIT_UNTIL] = "wait until", [PJS_IF] = "if", [PJS_SPLIT] = "split",
      [PJS_BLOCK] = "block",
  };
  return kind < G_N_ELEMENTS(names) && names[kind] ? names[kind] : "step";
}

const char *persona_model_journey_step(const PersonaModel *model, guint i, guint step, const char **kind) {
  if (step >= persona_model_journey_n_steps(model, i)) return NULL;
  const PJStep *s = &pm(model)->journeys[i].steps[step];
  if (kind) *kind = step_kind_name(s->kind);
  return s->id;
}

/* ---- the schema's fields --------------------------------------------------- */

static const PDecodePlan *schema_plan(const PersonaModel *model) {
  const PModel *m = pm(model);
  return m->n_plans ? &m->plans[m->profile_plan] : NULL;
}

guint persona_model_n_fields(const PersonaModel *model) {
  const PDecodePlan *p = schema_plan(model);
  return p ? p->n_fields : 0;
}

void persona_model_field(const PersonaModel *model, guint i, PersonaField *out) {
  memset(out, 0, sizeof *out);
  const PDecodePlan *p = schema_plan(model);
  if (!p || i >= p->n_fields) return;
  const PDecodeField *f = &p->fields[i];
  out->name = f->name;
  out->optional = f->optional;
  out->has_default = f->has_default;
  out->pii = f->pii;
  out->key = p->key_field == (int)i;
}

/* The number of fields whose spans fit on the stack; a larger schema
 * allocates. */
#define FIELDS_ON_STACK 64

gboolean persona_model_fields_present(const PersonaModel *model, const char *json, gsize len,
                                      gboolean *present) {
  const PDecodePlan *p = schema_plan(model);
  if (!p) return FALSE;
  const char *names_stack[FIELDS_ON_STACK];
  PDecodeSpan spans_stack[FIELDS_ON_STACK];
  bool big = p->n_fields > FIELDS_ON_STACK;
  const char **names = big ? g_new(const char *, p->n_fields) : names_stack;
  PDecodeSpan *spans = big ? g_new(PDecodeSpan, p->n_fields) : spans_stack;
  for (uint32_t i = 0; i < p->n_fields; i++) names[i] = p->fields[i].name;
  char error[160];
  bool ok = pdec_object_spans(json, len, names, p->n_fields, spans, error, sizeof error);
  for (uint32_t i = 0; ok && i < p->n_fields; i++) {
    const PDecodeSpan *s = &spans[i];
    present[i] = s->found && !(s->len == 4 && memcmp(json + s->offset, "null", 4) == 0);
  }
  if (big) {
    g_free(names);
    g_free(spans);
  }
  return ok;
}

/* ---- result accessors for stage times and journey positions ------------------ */

static const PersonaVM *vm_of(const PersonaResult *r) { return (const PersonaVM *)r; }

gboolean persona_result_stage_entered(const PersonaResult *r, guint i, gint64 *out_us) {
  const PersonaVM *vm = vm_of(r);
  if (!vm->last_ok || i >= vm->st.model->n_lifecycles) return FALSE;
  if (out_us) *out_us = vm->st.lc[i].entered;
  return TRUE;
}

gboolean persona_result_journey(const PersonaResult *r, guint i, PersonaJourneyPosition *out) {
  static const char *const status[] = {[PJ_IDLE] = "idle", [PJ_ACTIVE] = "active", [PJ_DONE] = "done",
                                       [PJ_EXITED] = "exited"};
  const PersonaVM *vm = vm_of(r);
  memset(out, 0, sizeof *out);
  if (!vm->last_ok || i >= vm->st.model->n_journeys) return FALSE;
  const PJState *js = &vm->st.journeys[i];
  out->status = js->status < G_N_ELEMENTS(status) ? status[js->status] : "idle";
  out->step = js->status == PJ_ACTIVE ? js->step : 0;
  out->run = js->run;
  return TRUE;
}
