/* report.c - gathering the counts of a report, one result at a time; see
 * report.h. The document is built in report_doc.c. */
#include <string.h>

#include "report_internal.h"

const char *const report_action_kinds[REPORT_N_ACTION_KINDS] = {"send", "task", "notify", "webhook"};

static guint stage_index(const PersonaModel *m, guint lc, const char *stage);

/* A stage every transition into which comes from `any` is an exit (churned,
 * lost): a profile can fall into it from anywhere, so it is not a step
 * after the stages written before it. The initial stage is never one. */
static gboolean *exit_stages(const PersonaModel *m, guint i, guint n_stages) {
  gboolean *from_any = g_new0(gboolean, n_stages), *from_stage = g_new0(gboolean, n_stages);
  guint n = persona_model_lifecycle_n_transitions(m, i);
  for (guint t = 0; t < n; t++) {
    const char *from, *to;
    persona_model_lifecycle_transition(m, i, t, &from, &to);
    guint s = stage_index(m, i, to);
    if (s >= n_stages) continue;
    if (from) from_stage[s] = TRUE;
    else from_any[s] = TRUE;
  }
  for (guint s = 0; s < n_stages; s++) from_any[s] = from_any[s] && !from_stage[s] && s > 0;
  g_free(from_stage);
  return from_any;
}

static void lifecycle_init(LifecycleCounts *lc, const PersonaModel *m, guint i) {
  lc->name = persona_model_item_name(m, PERSONA_ITEM_LIFECYCLE, i);
  lc->n_stages = persona_model_item_n_parts(m, PERSONA_ITEM_LIFECYCLE, i);
  lc->at_stage = g_new0(guint64, lc->n_stages);
  lc->days_in = g_new0(GArray *, lc->n_stages);
  for (guint s = 0; s < lc->n_stages; s++) lc->days_in[s] = g_array_new(FALSE, FALSE, sizeof(double));
  lc->moves = g_new0(guint64, (gsize)(lc->n_stages + 1) * lc->n_stages);
  lc->exit_stage = exit_stages(m, i, lc->n_stages);
}

Report *report_new(PersonaModel *model, gint64 now_us) {
  Report *rep = g_new0(Report, 1);
  rep->model = persona_model_ref(model);
  rep->now_us = now_us;
  rep->error_kinds = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
  rep->n_tags = persona_model_n_items(model, PERSONA_ITEM_TAG);
  rep->n_scores = persona_model_n_items(model, PERSONA_ITEM_SCORE);
  rep->n_lifecycles = persona_model_n_items(model, PERSONA_ITEM_LIFECYCLE);
  rep->n_journeys = persona_model_n_items(model, PERSONA_ITEM_JOURNEY);
  rep->n_fields = persona_model_n_fields(model);
  rep->tag_counts = g_new0(guint64, rep->n_tags);
  rep->n_segments = persona_model_n_items(model, PERSONA_ITEM_SEGMENT);
  rep->segment_counts = g_new0(guint64, rep->n_segments);
  rep->score_values = g_new0(GArray *, rep->n_scores);
  for (guint i = 0; i < rep->n_scores; i++) rep->score_values[i] = g_array_new(FALSE, FALSE, sizeof(double));
  rep->lifecycles = g_new0(LifecycleCounts, rep->n_lifecycles);
  for (guint i = 0; i < rep->n_lifecycles; i++) lifecycle_init(&rep->lifecycles[i], model, i);
  rep->journeys = g_new0(JourneyCounts, rep->n_journeys);
  for (guint i = 0; i < rep->n_journeys; i++) {
    rep->journeys[i].name = persona_model_item_name(model, PERSONA_ITEM_JOURNEY, i);
    rep->journeys[i].n_steps = persona_model_item_n_parts(model, PERSONA_ITEM_JOURNEY, i);
    rep->journeys[i].waiting_at = g_new0(guint64, rep->journeys[i].n_steps);
    rep->journeys[i].step_index = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint k = 0; k < rep->journeys[i].n_steps; k++)
      g_hash_table_insert(rep->journeys[i].step_index,
                          (gpointer)persona_model_item_part(model, PERSONA_ITEM_JOURNEY, i, k), GUINT_TO_POINTER(k + 1));
  }
  rep->actions = g_new0(guint64, (gsize)rep->n_journeys * REPORT_N_ACTION_KINDS);
  rep->field_missing = g_new0(guint64, rep->n_fields);
  rep->present = g_new0(gboolean, rep->n_fields);
  return rep;
}

void report_free(Report *rep) {
  if (!rep) return;
  for (guint i = 0; i < rep->n_scores; i++) g_array_free(rep->score_values[i], TRUE);
  for (guint i = 0; i < rep->n_lifecycles; i++) {
    LifecycleCounts *lc = &rep->lifecycles[i];
    for (guint s = 0; s < lc->n_stages; s++) g_array_free(lc->days_in[s], TRUE);
    g_free(lc->days_in);
    g_free(lc->at_stage);
    g_free(lc->exit_stage);
    g_free(lc->moves);
  }
  for (guint i = 0; i < rep->n_journeys; i++) {
    g_free(rep->journeys[i].waiting_at);
    g_hash_table_destroy(rep->journeys[i].step_index);
  }
  g_free(rep->journeys);
  g_free(rep->lifecycles);
  g_free(rep->score_values);
  g_free(rep->tag_counts);
  g_free(rep->segment_counts);
  g_free(rep->actions);
  g_free(rep->field_missing);
  g_free(rep->present);
  g_hash_table_destroy(rep->error_kinds);
  persona_model_unref(rep->model);
  g_free(rep);
}

/* ---- errors ------------------------------------------------------------------- */

/* Records with an error are counted by the error's stable code
 * (persona_result_error_code): never by its message, which names field
 * paths and quotes values. */
void report_add_error(Report *rep, const char *code) {
  rep->records++;
  rep->failed++;
  const char *kind = code ? g_intern_string(code) : "runtime";
  guint64 *n = g_hash_table_lookup(rep->error_kinds, kind);
  if (!n) {
    n = g_new0(guint64, 1);
    g_hash_table_insert(rep->error_kinds, (gpointer)kind, n);
  }
  (*n)++;
}

/* ---- one evaluated profile ------------------------------------------------------ */

/* Result strings are the model's own (the same pointers); a name compare
 * covers a model whose accessors copy. */
static gboolean same_name(const char *a, const char *b) { return a == b || (a && b && strcmp(a, b) == 0); }

static void add_tags(Report *rep, const PersonaResult *r) {
  guint n = persona_result_n_tags(r), j = 0;
  for (guint i = 0; i < n; i++) {
    const char *tag = persona_result_tag(r, i);
    /* Both lists are in declaration order: one pass. */
    while (j < rep->n_tags && !same_name(persona_model_item_name(rep->model, PERSONA_ITEM_TAG, j), tag)) j++;
    if (j < rep->n_tags) rep->tag_counts[j++]++;
  }
  n = persona_result_n_segments(r);
  j = 0;
  for (guint i = 0; i < n; i++) {
    const char *segment = persona_result_segment(r, i);
    while (j < rep->n_segments && !same_name(persona_model_item_name(rep->model, PERSONA_ITEM_SEGMENT, j), segment))
      j++;
    if (j < rep->n_segments) rep->segment_counts[j++]++;
  }
}

static void add_scores(Report *rep, const PersonaResult *r) {
  for (guint i = 0; i < rep->n_scores; i++) {
    double v = persona_result_score_value(r, i);
    g_array_append_val(rep->score_values[i], v);
  }
}

static guint stage_index(const PersonaModel *m, guint lc, const char *stage) {
  guint n = persona_model_item_n_parts(m, PERSONA_ITEM_LIFECYCLE, lc);
  for (guint s = 0; s < n; s++)
    if (same_name(persona_model_item_part(m, PERSONA_ITEM_LIFECYCLE, lc, s), stage)) return s;
  return n;
}

static guint lifecycle_index(const Report *rep, const char *name) {
  for (guint i = 0; i < rep->n_lifecycles; i++)
    if (same_name(rep->lifecycles[i].name, name)) return i;
  return rep->n_lifecycles;
}

#define US_PER_DAY (86400.0 * 1e6)

static void add_lifecycles(Report *rep, const PersonaResult *r) {
  for (guint i = 0; i < rep->n_lifecycles; i++) {
    LifecycleCounts *lc = &rep->lifecycles[i];
    guint s = stage_index(rep->model, i, persona_result_stage(r, i));
    if (s >= lc->n_stages) continue;
    lc->at_stage[s]++;
    gint64 entered;
    if (persona_result_stage_entered(r, i, &entered)) {
      double days = (double)(rep->now_us - entered) / US_PER_DAY;
      g_array_append_val(lc->days_in[s], days);
    }
  }
  guint n = persona_result_n_transitions(r);
  for (guint t = 0; t < n; t++) {
    PersonaTransition tr;
    persona_result_transition(r, t, &tr);
    guint i = lifecycle_index(rep, tr.lifecycle);
    if (i >= rep->n_lifecycles) continue;
    LifecycleCounts *lc = &rep->lifecycles[i];
    guint from = tr.from ? stage_index(rep->model, i, tr.from) + 1 : 0;
    guint to = stage_index(rep->model, i, tr.to);
    if (from <= lc->n_stages && to < lc->n_stages) lc->moves[(gsize)from * lc->n_stages + to]++;
  }
}

static guint journey_index(const Report *rep, const char *name) {
  for (guint i = 0; i < rep->n_journeys; i++)
    if (same_name(rep->journeys[i].name, name)) return i;
  return rep->n_journeys;
}

static void add_journeys(Report *rep, const PersonaResult *r) {
  for (guint i = 0; i < rep->n_journeys; i++) {
    JourneyCounts *j = &rep->journeys[i];
    PersonaJourneyPosition pos;
    if (!persona_result_journey(r, i, &pos)) continue;
    if (strcmp(pos.status, "active") == 0) {
      j->active++;
      guint k = pos.step ? GPOINTER_TO_UINT(g_hash_table_lookup(j->step_index, pos.step)) : 0;
      if (k) j->waiting_at[k - 1]++;
    } else if (strcmp(pos.status, "done") == 0) {
      j->done++;
    } else if (strcmp(pos.status, "exited") == 0) {
      j->exited++;
    } else {
      j->idle++;
    }
  }
  guint n = persona_result_n_actions(r);
  for (guint a = 0; a < n; a++) {
    PersonaAction act;
    persona_result_action(r, a, &act);
    guint j = journey_index(rep, act.journey);
    for (guint k = 0; j < rep->n_journeys && k < REPORT_N_ACTION_KINDS; k++)
      if (strcmp(act.kind, report_action_kinds[k]) == 0) rep->actions[(gsize)j * REPORT_N_ACTION_KINDS + k]++;
  }
}

static void add_presence(Report *rep, const char *json, gsize len) {
  if (rep->n_fields == 0 || !persona_model_fields_present(rep->model, json, len, rep->present)) return;
  rep->records_scanned++;
  for (guint i = 0; i < rep->n_fields; i++) rep->field_missing[i] += !rep->present[i];
}

void report_add(Report *rep, const char *json, gsize len, PersonaEvalStatus status,
                const PersonaResult *result) {
  if (status != PERSONA_EVAL_OK || !result) {
    report_add_error(rep, result ? persona_result_error_code(result) : NULL);
    if (json) add_presence(rep, json, len);
    return;
  }
  rep->records++;
  rep->ok++;
  if (json) add_presence(rep, json, len);
  add_tags(rep, result);
  add_scores(rep, result);
  add_lifecycles(rep, result);
  add_journeys(rep, result);
}
