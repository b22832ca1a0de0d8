/* model_api.c - what a model declares (persona.h, "introspection") and the
 * batch call persona_vm_eval_lines. Names are borrowed from the model. */
#include <string.h>

#include "api_internal.h"
#include "runtime/model.h"

static const PModel *pm(const PersonaModel *model) { return (const PModel *)model; }

/* The i-th output of one kind (tags and scores share one table). */
static const POutput *nth_output(const PModel *m, POutputKind kind, guint i) {
  for (uint32_t k = 0; k < m->n_outputs; k++) {
    if (m->outputs[k].kind != kind) continue;
    if (i-- == 0) return &m->outputs[k];
  }
  return NULL;
}

static guint count_outputs(const PModel *m, POutputKind kind) {
  guint n = 0;
  for (uint32_t k = 0; k < m->n_outputs; k++) n += m->outputs[k].kind == kind;
  return n;
}

/* The output kind of a tag, segment or score item. */
static POutputKind output_kind(PersonaItemKind kind) {
  if (kind == PERSONA_ITEM_SEGMENT) return POUT_SEGMENT;
  return kind == PERSONA_ITEM_TAG ? POUT_TAG : POUT_SCORE;
}

guint persona_model_n_items(const PersonaModel *model, PersonaItemKind kind) {
  g_return_val_if_fail(model, 0);
  const PModel *m = pm(model);
  switch (kind) {
  case PERSONA_ITEM_TAG: return count_outputs(m, POUT_TAG);
  case PERSONA_ITEM_SEGMENT: return count_outputs(m, POUT_SEGMENT);
  case PERSONA_ITEM_SCORE: return count_outputs(m, POUT_SCORE);
  case PERSONA_ITEM_LIFECYCLE: return m->n_lifecycles;
  case PERSONA_ITEM_JOURNEY: return m->n_journeys;
  case PERSONA_ITEM_EXPERIMENT: return m->n_experiments;
  }
  return 0;
}

const char *persona_model_item_name(const PersonaModel *model, PersonaItemKind kind, guint i) {
  g_return_val_if_fail(model, NULL);
  const PModel *m = pm(model);
  const POutput *o;
  switch (kind) {
  case PERSONA_ITEM_TAG:
  case PERSONA_ITEM_SEGMENT:
  case PERSONA_ITEM_SCORE:
    o = nth_output(m, output_kind(kind), i);
    return o ? o->name : NULL;
  case PERSONA_ITEM_LIFECYCLE: return i < m->n_lifecycles ? m->lifecycles[i].name : NULL;
  case PERSONA_ITEM_JOURNEY: return i < m->n_journeys ? m->journeys[i].name : NULL;
  case PERSONA_ITEM_EXPERIMENT: return i < m->n_experiments ? m->experiments[i].name : NULL;
  }
  return NULL;
}

guint persona_model_score_n_thresholds(const PersonaModel *model, guint i) {
  g_return_val_if_fail(model, 0);
  const POutput *o = nth_output(pm(model), POUT_SCORE, i);
  return o ? o->n_thresholds : 0;
}

gboolean persona_model_score_threshold(const PersonaModel *model, guint i, guint k, const char **op,
                                       double *value) {
  g_return_val_if_fail(model, FALSE);
  const POutput *o = nth_output(pm(model), POUT_SCORE, i);
  if (!o || k >= o->n_thresholds) return FALSE;
  if (op) *op = o->thresholds[k].op;
  if (value) *value = o->thresholds[k].value;
  return TRUE;
}

const char *persona_model_tag_label(const PersonaModel *model, guint i) {
  g_return_val_if_fail(model, NULL);
  const POutput *o = nth_output(pm(model), POUT_TAG, i);
  return o ? o->label : NULL;
}

const char *persona_model_item_label(const PersonaModel *model, PersonaItemKind kind, guint i) {
  g_return_val_if_fail(model, NULL);
  if (kind != PERSONA_ITEM_TAG && kind != PERSONA_ITEM_SEGMENT) return NULL;
  const POutput *o = nth_output(pm(model), output_kind(kind), i);
  return o ? o->label : NULL;
}

guint persona_model_item_n_parts(const PersonaModel *model, PersonaItemKind kind, guint i) {
  g_return_val_if_fail(model, 0);
  const PModel *m = pm(model);
  if (kind == PERSONA_ITEM_LIFECYCLE && i < m->n_lifecycles) return m->lifecycles[i].n_stages;
  if (kind == PERSONA_ITEM_JOURNEY && i < m->n_journeys) return m->journeys[i].n_steps;
  if (kind == PERSONA_ITEM_EXPERIMENT && i < m->n_experiments) return m->experiments[i].n_arms;
  return 0;
}

static int loc_cmp(const PInsnLoc *a, const PInsnLoc *b) {
  if (a->file != b->file) return a->file < b->file ? -1 : 1;
  if (a->line != b->line) return a->line < b->line ? -1 : 1;
  return a->col < b->col ? -1 : a->col > b->col;
}

/* The k-th step of a journey in source order (the compiler stores them
 * in its own order): the step with exactly k steps before it. */
static const PJStep *step_in_source_order(const PJourneyCode *j, guint k) {
  for (uint32_t s = 0; s < j->n_steps; s++) {
    guint before = 0;
    for (uint32_t t = 0; t < j->n_steps; t++) {
      int c = loc_cmp(&j->steps[t].loc, &j->steps[s].loc);
      before += c < 0 || (c == 0 && t < s);
    }
    if (before == k) return &j->steps[s];
  }
  return NULL;
}

const char *persona_model_item_part(const PersonaModel *model, PersonaItemKind kind, guint i, guint k) {
  if (k >= persona_model_item_n_parts(model, kind, i)) return NULL;
  const PModel *m = pm(model);
  if (kind == PERSONA_ITEM_LIFECYCLE) return m->lifecycles[i].stages[k];
  if (kind == PERSONA_ITEM_EXPERIMENT) return m->experiments[i].arms[k];
  const PJStep *step = step_in_source_order(&m->journeys[i], k);
  return step ? step->id : NULL;
}

/* ---- many records in one call ------------------------------------------------------ */

static gboolean is_blank(const char *s, gsize len) {
  for (gsize i = 0; i < len; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') return FALSE;
  return TRUE;
}

PersonaEvalStatus persona_vm_eval_lines(PersonaVM *vm, const char *lines, gsize len, gint64 now_us,
                                        guint64 first_line, GString *out, guint64 *n_records,
                                        guint64 *n_errors) {
  if (n_records) *n_records = 0;
  if (n_errors) *n_errors = 0;
  if (!vm || !out || (!lines && len > 0)) return PERSONA_EVAL_USAGE_ERROR;
  guint64 records = 0, errors = 0, line_no = first_line;
  gsize pos = 0;
  while (pos < len) {
    const char *nl = memchr(lines + pos, '\n', len - pos);
    gsize end = nl ? (gsize)(nl - lines) : len;
    if (!is_blank(lines + pos, end - pos)) {
      records++;
      if (persona_vm_eval_json(vm, lines + pos, end - pos, now_us, line_no, out) != PERSONA_EVAL_OK) errors++;
      g_string_append_c(out, '\n');
    }
    line_no++;
    pos = end + 1;
  }
  if (n_records) *n_records = records;
  if (n_errors) *n_errors = errors;
  return errors ? PERSONA_EVAL_RECORD_ERROR : PERSONA_EVAL_OK;
}
