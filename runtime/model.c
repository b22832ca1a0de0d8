/* model.c - compiled models: building (pmodel_new, pmodel_finish), sharing
 * and freeing; see model.h. */
#include "model.h"

#include <string.h>

#include <dlfcn.h>

#include "../stdlib/builtins.h"
#include "identity.h"
#include "natives.h"
#include "json_write.h"

void pexplain_cond_clear(PExplainCond *c) {
  g_free(c->text);
  g_free(c->operand_block);
  g_free(c->operand_pii);
  g_strfreev(c->operand_text);
  memset(c, 0, sizeof *c);
}

static GString *json_text(const char *name) {
  GString *s = g_string_new(NULL);
  pjw_cstring(s, name ? name : ""); /* NULL only in a model whose reading failed */
  return s;
}

static void shape_finish(POutShape *s) {
  if (!s) return;
  if (s->is_list) {
    shape_finish(s->children[0]);
    return;
  }
  s->keys = g_new0(GString *, s->n_fields + 1);
  for (uint32_t i = 0; i < s->n_fields; i++) {
    s->keys[i] = json_text(s->names[i]);
    g_string_append_c(s->keys[i], ':'); /* always written before its value */
    shape_finish(s->children[i]);
  }
}

/* Whether a value of type t (read by the model) can hold, at any depth, a
 * field the model does not read that holds events with `at`. */
static bool holds_events(const PDecodeType *t, int depth);
static bool skips_events(const PDecodeType *t, int depth) {
  if (depth > 64 || !t) return false;
  if (t->kind == PDT_LIST) return skips_events(t->elem, depth + 1);
  if (t->kind != PDT_RECORD) return false;
  const PDecodePlan *p = t->record;
  for (uint32_t f = 0; f < p->n_fields; f++) {
    const PDecodeType *ft = &p->fields[f].type;
    if (p->fields[f].used ? skips_events(ft, depth + 1) : holds_events(ft, depth + 1)) return true;
  }
  return false;
}

static bool holds_events(const PDecodeType *t, int depth) {
  if (depth > 64 || !t) return false;
  if (t->kind == PDT_LIST) return (t->elem && t->elem->kind == PDT_RECORD && t->elem->record->at_field >= 0) ||
                                  holds_events(t->elem, depth + 1);
  if (t->kind != PDT_RECORD) return false;
  for (uint32_t f = 0; f < t->record->n_fields; f++)
    if (holds_events(&t->record->fields[f].type, depth + 1)) return true;
  return false;
}

void pmodel_finish(PModel *m) {
  for (uint32_t i = 0; i < m->n_plans; i++) pdec_plan_prepare(&m->plans[i]);
  m->plans_all = pdec_plans_reading_all(m->plans, m->n_plans, &m->const_arena);
  if (m->profile_plan < m->n_plans) {
    const PDecodePlan *root = &m->plans[m->profile_plan];
    for (uint32_t f = 0; f < root->n_fields; f++)
      if (root->fields[f].used && skips_events(&root->fields[f].type, 1)) m->skips_nested_events = true;
  }
  m->has_segments = false;
  for (uint32_t i = 0; i < m->n_outputs; i++) {
    m->outputs[i].json_name = json_text(m->outputs[i].name);
    if (m->outputs[i].kind == POUT_SEGMENT) m->has_segments = true;
  }
  for (uint32_t i = 0; i < m->n_lifecycles; i++) {
    PLifecycleCode *lc = &m->lifecycles[i];
    lc->json_name = json_text(lc->name);
    lc->json_stages = g_new0(GString *, lc->n_stages + 1);
    for (uint32_t s = 0; s < lc->n_stages; s++) lc->json_stages[s] = json_text(lc->stages[s]);
  }
  shape_finish(m->output_shape);
}

static void free_texts(GString **texts, uint32_t n) {
  for (uint32_t i = 0; texts && i < n; i++)
    if (texts[i]) g_string_free(texts[i], TRUE);
  g_free(texts);
}

void poutshape_free(POutShape *s) {
  if (!s) return;
  free_texts(s->keys, s->n_fields);
  for (uint32_t i = 0; s->children && i < s->n_fields; i++) poutshape_free(s->children[i]);
  if (s->is_list && s->children) poutshape_free(s->children[0]);
  g_free(s->children);
  g_strfreev(s->names);
  g_free(s);
}

static void output_clear(POutput *o) {
  g_free(o->name);
  if (o->json_name) g_string_free(o->json_name, TRUE);
  g_free(o->label);
  g_free(o->header);
  pexplain_cond_clear(&o->why);
  for (uint32_t r = 0; r < o->n_rules; r++) {
    g_free(o->rules[r].text);
    pexplain_cond_clear(&o->rules[r].cond);
  }
  g_free(o->rules);
  g_free(o->thresholds);
}

void pmodel_remove_output(PModel *m, uint32_t i) {
  if (i >= m->n_outputs) return;
  output_clear(&m->outputs[i]);
  memmove(&m->outputs[i], &m->outputs[i + 1], (m->n_outputs - i - 1) * sizeof m->outputs[0]);
  m->n_outputs--;
}

PModel *pmodel_new(void) {
  PModel *m = g_new0(PModel, 1);
  m->refcount = 1;
  m->output_block = PJ_NO_BLOCK;
  pa_init(&m->const_arena, 0);
  return m;
}

PModel *pmodel_ref(PModel *m) {
  g_atomic_int_inc(&m->refcount);
  return m;
}

static void pmodel_free_tables(PModel *m) {
  for (uint32_t i = 0; i < m->n_blocks; i++) {
    g_free(m->blocks[i].name);
    g_free(m->blocks[i].code);
    g_free(m->blocks[i].locs);
  }
  g_free(m->blocks);
  for (uint32_t i = 0; i < m->n_lifecycles; i++) {
    PLifecycleCode *lc = &m->lifecycles[i];
    g_free(lc->name);
    g_strfreev(lc->stages);
    if (lc->json_name) g_string_free(lc->json_name, TRUE);
    free_texts(lc->json_stages, lc->n_stages);
    for (uint32_t t = 0; t < lc->n_transitions; t++) pexplain_cond_clear(&lc->transitions[t].why);
    g_free(lc->transitions);
  }
  g_free(m->lifecycles);
  for (uint32_t i = 0; i < m->n_journeys; i++) {
    PJourneyCode *j = &m->journeys[i];
    for (uint32_t k = 0; k < j->n_steps; k++) {
      g_free(j->steps[k].id);
      g_free(j->steps[k].channel);
      g_free(j->steps[k].text);
      g_free(j->steps[k].arm_step);
      g_free(j->steps[k].arm_weight);
    }
    g_free(j->steps);
    g_free(j->name);
    g_free(j->holdouts);
  }
  g_free(m->journeys);
  for (uint32_t i = 0; i < m->n_experiments; i++) {
    PExperimentCode *x = &m->experiments[i];
    g_free(x->name);
    g_free(x->label);
    g_free(x->salt);
    g_strfreev(x->arms);
    g_free(x->arm_buckets);
  }
  g_free(m->experiments);
  for (uint32_t i = 0; i < m->n_tests; i++) {
    PTestCode *t = &m->tests[i];
    for (uint32_t k = 0; k < t->n_steps; k++) {
      PTestStepCode *ts = &t->steps[k];
      g_free(ts->text);
      g_free(ts->profile_json);
      pexplain_cond_clear(&ts->why);
      g_free(ts->action_kind);
      g_strfreev(ts->args);
    }
    g_free(t->steps);
    g_free(t->name);
  }
  g_free(m->tests);
  g_free(m->traces);
  poutshape_free(m->output_shape);
  for (uint32_t i = 0; i < m->n_outputs; i++) output_clear(&m->outputs[i]);
  g_free(m->outputs);
  for (uint32_t i = 0; i < m->n_calls; i++)
    if (m->calls[i].aux) pbuiltin_regex_free(m->calls[i].aux);
  g_free(m->calls);
  for (uint32_t i = 0; i < m->n_natives; i++) pnative_free(m->natives[i]);
  g_free(m->natives);
  for (uint32_t i = 0; i < m->n_dl_handles; i++) dlclose(m->dl_handles[i]);
  g_free(m->dl_handles);
  for (uint32_t i = 0; i < m->n_sets; i++) g_free(m->sets[i].slots);
  g_free(m->sets);
  for (uint32_t i = 0; i < m->n_plans; i++) pdec_plan_release(&m->plans[i]);
  g_free(m->plans);
  pdec_plans_free(m->plans_all, m->n_plans);
}

void pmodel_unref(PModel *m) {
  if (!m || !g_atomic_int_dec_and_test(&m->refcount)) return;
  pmodel_free_tables(m);
  pidentity_free(m->identity);
  g_free(m->column_slots);
  g_free(m->consts);
  g_free(m->units);
  g_free(m->global_init);
  g_strfreev(m->file_names);
  g_strfreev(m->profile_field_names);
  g_free(m->name);
  g_free(m->version);
  g_free(m->input_tz);
  pa_free(&m->const_arena);
  g_free(m);
}
