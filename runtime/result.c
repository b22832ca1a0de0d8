/* result.c - result objects; see result.h. */
#include "result.h"

#include <string.h>

#include "json_write.h"
#include "state.h"

static void write_key(GString *out, PValue key) {
  if (key.kind == PV_STRING) pjw_string(out, key.u.s, key.len);
  else if (key.kind == PV_INT) pjw_int(out, key.u.i);
  else pjw_lit(out, "null");
}

/* `,"tags":[…]` or `,"segments":[…]`: the names of those of `kind` that hold. */
static void write_held(GString *out, const PVMState *st, POutputKind kind) {
  const PModel *m = st->model;
  if (kind == POUT_SEGMENT) pjw_lit(out, ",\"segments\":[");
  else pjw_lit(out, ",\"tags\":[");
  bool first = true;
  for (uint32_t i = 0; i < m->n_outputs; i++) {
    const POutput *o = &m->outputs[i];
    PValue v = st->globals[o->slot];
    if (o->kind != kind || v.kind != PV_BOOL || !v.u.b) continue;
    if (!first) pjw_byte(out, ',');
    pjw_raw(out, o->json_name->str, o->json_name->len);
    first = false;
  }
  pjw_byte(out, ']');
}

/* The labels of the tags (segments) that hold and have one, as
 * {"tag":"label",…}. */
static void write_labels(GString *out, const PVMState *st, POutputKind kind) {
  const PModel *m = st->model;
  if (kind == POUT_SEGMENT) pjw_lit(out, ",\"segment_labels\":{");
  else pjw_lit(out, ",\"tag_labels\":{");
  bool first = true;
  for (uint32_t i = 0; i < m->n_outputs; i++) {
    const POutput *o = &m->outputs[i];
    PValue v = st->globals[o->slot];
    if (o->kind != kind || !o->label || v.kind != PV_BOOL || !v.u.b) continue;
    if (!first) pjw_byte(out, ',');
    pjw_raw(out, o->json_name->str, o->json_name->len);
    pjw_byte(out, ':');
    pjw_cstring(out, o->label);
    first = false;
  }
  pjw_byte(out, '}');
}

static void write_model(GString *out, const PModel *m) {
  pjw_lit(out, "\"model\":{\"name\":");
  pjw_cstring(out, m->name);
  pjw_lit(out, ",\"version\":");
  pjw_cstring(out, m->version);
  pjw_byte(out, '}');
}

static void write_scores(GString *out, const PVMState *st) {
  const PModel *m = st->model;
  pjw_lit(out, ",\"scores\":{");
  bool first = true;
  for (uint32_t i = 0; i < m->n_outputs; i++) {
    const POutput *o = &m->outputs[i];
    if (o->kind != POUT_SCORE) continue;
    if (!first) pjw_byte(out, ',');
    pjw_raw(out, o->json_name->str, o->json_name->len);
    pjw_byte(out, ':');
    PValue v = st->globals[o->slot];
    pjw_double(out, v.kind == PV_NUMBER ? v.u.n : 0.0);
    first = false;
  }
  pjw_byte(out, '}');
}

static void write_stages(GString *out, const PVMState *st) {
  const PModel *m = st->model;
  pjw_lit(out, ",\"stages\":{");
  for (uint32_t i = 0; i < m->n_lifecycles; i++) {
    const PLifecycleCode *lc = &m->lifecycles[i];
    PValue v = st->globals[lc->slot_stage];
    if (i) pjw_byte(out, ',');
    pjw_raw(out, lc->json_name->str, lc->json_name->len);
    pjw_byte(out, ':');
    if (v.kind == PV_STRING) pjw_string(out, v.u.s, v.len);
    else pjw_lit(out, "null");
  }
  pjw_byte(out, '}');
}

static void write_transitions(GString *out, const PVMState *st) {
  const PModel *m = st->model;
  pjw_lit(out, ",\"transitions\":[");
  for (guint i = 0; i < st->transitions->len; i++) {
    const PTransitionRec *t = &g_array_index(st->transitions, PTransitionRec, i);
    const PLifecycleCode *lc = &m->lifecycles[t->lifecycle];
    if (i) pjw_byte(out, ',');
    pjw_lit(out, "{\"lifecycle\":");
    pjw_raw(out, lc->json_name->str, lc->json_name->len);
    pjw_lit(out, ",\"from\":");
    if (t->from >= 0) pjw_raw(out, lc->json_stages[t->from]->str, lc->json_stages[t->from]->len);
    else pjw_lit(out, "null");
    pjw_lit(out, ",\"to\":");
    pjw_raw(out, lc->json_stages[t->to]->str, lc->json_stages[t->to]->len);
    pjw_lit(out, ",\"at\":");
    pjw_time(out, t->at_us);
    pjw_byte(out, '}');
  }
  pjw_byte(out, ']');
}

static void write_action(GString *out, const PModel *m, const PActionRec *a) {
  const PJourneyCode *j = &m->journeys[a->journey];
  const PJStep *s = &j->steps[a->step];
  static const char *const kinds[] = {[PJS_SEND] = "send", [PJS_TASK] = "task",
                                      [PJS_NOTIFY] = "notify", [PJS_WEBHOOK] = "webhook"};
  pjw_lit(out, "{\"journey\":");
  pjw_cstring(out, j->name);
  g_string_append_printf(out, ",\"run\":%" G_GINT64_FORMAT ",\"step\":", a->run);
  pjw_cstring(out, s->id);
  pjw_lit(out, ",\"kind\":");
  pjw_cstring(out, kinds[s->kind]);
  switch (s->kind) {
  case PJS_SEND:
    pjw_lit(out, ",\"channel\":");
    pjw_cstring(out, s->channel);
    pjw_lit(out, ",\"template\":");
    pjw_cstring(out, s->text);
    break;
  case PJS_TASK:
    pjw_lit(out, ",\"queue\":");
    pjw_cstring(out, s->channel);
    pjw_lit(out, ",\"text\":");
    pjw_cstring(out, s->text);
    break;
  case PJS_NOTIFY:
    pjw_lit(out, ",\"channel\":");
    pjw_cstring(out, s->channel);
    pjw_lit(out, ",\"text\":");
    pjw_cstring(out, s->text);
    break;
  default:
    pjw_lit(out, ",\"name\":");
    pjw_cstring(out, s->text);
    break;
  }
  pjw_lit(out, ",\"at\":");
  pjw_time(out, a->at_us);
  pjw_byte(out, '}');
}

static void write_journeys(GString *out, const PVMState *st) {
  pjw_lit(out, ",\"actions\":[");
  for (guint i = 0; i < st->actions->len; i++) {
    if (i) pjw_byte(out, ',');
    write_action(out, st->model, &g_array_index(st->actions, PActionRec, i));
  }
  pjw_lit(out, "],\"next_wake\":");
  int64_t wake;
  if (pvm_next_wake(st, &wake)) pjw_time(out, wake);
  else pjw_lit(out, "null");
  /* With no new input nothing differs before this instant (docs/language.md,
   * "When results change"). */
  pjw_lit(out, ",\"next_change\":");
  int64_t change;
  if (pvm_next_change(st, &change)) pjw_time(out, change);
  else pjw_lit(out, "null");
}

/* A value of the output record, with the keys the model wrote. */
static void write_shaped(GString *out, PValue v, const POutShape *shape, int depth) {
  if (depth > 1000) shape = NULL; /* a damaged bytecode file: plain values from here */
  if (shape && shape->is_list && v.kind == PV_LIST) {
    pjw_byte(out, '[');
    for (uint32_t i = 0; i < v.len; i++) {
      if (i) pjw_byte(out, ',');
      write_shaped(out, v.u.items[i], shape->children[0], depth + 1);
    }
    pjw_byte(out, ']');
    return;
  }
  if (shape && !shape->is_list && v.kind == PV_RECORD) {
    pjw_byte(out, '{');
    for (uint32_t i = 0; i < shape->n_fields && i < v.len; i++) {
      if (i) pjw_byte(out, ',');
      pjw_raw(out, shape->keys[i]->str, shape->keys[i]->len);
      write_shaped(out, v.u.items[i], shape->children[i], depth + 1);
    }
    pjw_byte(out, '}');
    return;
  }
  if (v.kind == PV_NULL) pjw_lit(out, "null");
  else pjw_value(out, v, NULL);
}

void presult_write(GString *out, const PVMState *st, PValue key) {
  presult_write_opts(out, st, key, 0);
}

void presult_write_opts(GString *out, const PVMState *st, PValue key, unsigned options) {
  if (st->model->output_block != PJ_NO_BLOCK && !st->skip_output) {
    /* The model's own record; "model" goes first, labels are the
     * model's to print. */
    gsize at = out->len;
    write_shaped(out, st->output, st->model->output_shape, 0);
    if ((options & PRESULT_MODEL) && out->len > at + 1 && out->str[at] == '{') {
      g_autoptr(GString) head = g_string_new(NULL);
      write_model(head, st->model);
      if (out->str[at + 1] != '}') g_string_append_c(head, ',');
      g_string_insert_len(out, (gssize)at + 1, head->str, (gssize)head->len);
    }
    return;
  }
  pjw_lit(out, "{\"id\":");
  write_key(out, key);
  if (options & PRESULT_MODEL) {
    pjw_byte(out, ',');
    write_model(out, st->model);
  }
  write_held(out, st, POUT_TAG);
  if (options & PRESULT_TAG_LABELS) write_labels(out, st, POUT_TAG);
  /* Only a model that declares segments has the key: results of every
   * other model stay as they were. */
  if (st->model->has_segments) {
    write_held(out, st, POUT_SEGMENT);
    if (options & PRESULT_TAG_LABELS) write_labels(out, st, POUT_SEGMENT);
  }
  write_scores(out, st);
  write_stages(out, st);
  write_transitions(out, st);
  write_journeys(out, st);
  pjw_lit(out, ",\"state\":");
  pstate_encode(st, out);
  pjw_byte(out, '}');
}

void presult_write_error(GString *out, PValue key, guint64 line, const char *message, const char *code,
                         const char *field) {
  pjw_lit(out, "{\"id\":");
  write_key(out, key);
  g_string_append_printf(out, ",\"line\":%" G_GUINT64_FORMAT ",\"error\":", line);
  pjw_cstring(out, message);
  pjw_lit(out, ",\"code\":");
  pjw_cstring(out, code ? code : "runtime");
  if (field && field[0]) {
    pjw_lit(out, ",\"field\":");
    pjw_cstring(out, field);
  }
  pjw_byte(out, '}');
}
