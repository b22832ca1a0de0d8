/* result.c - result objects; see result.h. */
#include "result.h"

#include <string.h>

#include "json_write.h"

static void write_key(GString *out, PValue key) {
  if (key.kind == PV_STRING) pjw_string(out, key.u.s, key.len);
  else if (key.kind == PV_INT) pjw_int(out, key.u.i);
  else g_string_append(out, "null");
}

static void write_tags(GString *out, const PVMState *st) {
  const PModel *m = st->model;
  g_string_append(out, ",\"tags\":[");
  bool first = true;
  for (uint32_t i = 0; i < m->n_outputs; i++) {
    const POutput *o = &m->outputs[i];
    PValue v = st->globals[o->slot];
    if (o->kind != POUT_TAG || v.kind != PV_BOOL || !v.u.b) continue;
    if (!first) g_string_append_c(out, ',');
    pjw_cstring(out, o->name);
    first = false;
  }
  g_string_append_c(out, ']');
}

static void write_scores(GString *out, const PVMState *st) {
  const PModel *m = st->model;
  g_string_append(out, ",\"scores\":{");
  bool first = true;
  for (uint32_t i = 0; i < m->n_outputs; i++) {
    const POutput *o = &m->outputs[i];
    if (o->kind != POUT_SCORE) continue;
    if (!first) g_string_append_c(out, ',');
    pjw_cstring(out, o->name);
    g_string_append_c(out, ':');
    PValue v = st->globals[o->slot];
    pjw_double(out, v.kind == PV_NUMBER ? v.u.n : 0.0);
    first = false;
  }
  g_string_append_c(out, '}');
}

static void write_stages(GString *out, const PVMState *st) {
  const PModel *m = st->model;
  g_string_append(out, ",\"stages\":{");
  for (uint32_t i = 0; i < m->n_lifecycles; i++) {
    const PLifecycleCode *lc = &m->lifecycles[i];
    PValue v = st->globals[lc->slot_stage];
    if (i) g_string_append_c(out, ',');
    pjw_cstring(out, lc->name);
    g_string_append_c(out, ':');
    if (v.kind == PV_STRING) pjw_string(out, v.u.s, v.len);
    else g_string_append(out, "null");
  }
  g_string_append_c(out, '}');
}

static void write_transitions(GString *out, const PVMState *st) {
  const PModel *m = st->model;
  g_string_append(out, ",\"transitions\":[");
  for (guint i = 0; i < st->transitions->len; i++) {
    const PTransitionRec *t = &g_array_index(st->transitions, PTransitionRec, i);
    const PLifecycleCode *lc = &m->lifecycles[t->lifecycle];
    if (i) g_string_append_c(out, ',');
    g_string_append(out, "{\"lifecycle\":");
    pjw_cstring(out, lc->name);
    g_string_append(out, ",\"from\":");
    if (t->from >= 0) pjw_cstring(out, lc->stages[t->from]);
    else g_string_append(out, "null");
    g_string_append(out, ",\"to\":");
    pjw_cstring(out, lc->stages[t->to]);
    g_string_append(out, ",\"at\":");
    pjw_time(out, t->at_us);
    g_string_append_c(out, '}');
  }
  g_string_append_c(out, ']');
}

void presult_write(GString *out, const PVMState *st, PValue key) {
  g_string_append(out, "{\"id\":");
  write_key(out, key);
  write_tags(out, st);
  write_scores(out, st);
  write_stages(out, st);
  write_transitions(out, st);
  g_string_append_c(out, '}');
}

void presult_write_error(GString *out, PValue key, guint64 line, const char *message) {
  g_string_append(out, "{\"id\":");
  write_key(out, key);
  g_string_append_printf(out, ",\"line\":%" G_GUINT64_FORMAT ",\"error\":", line);
  pjw_cstring(out, message);
  g_string_append_c(out, '}');
}
