/* state.c - one profile's state as JSON (docs/state.md): read into the
 * VM before an evaluation, written from it after.
 *
 * Reading goes through the schema-directed decoder with fixed plans, so a
 * state gets the same validation as a profile. The version is read first,
 * alone: a state of another version is refused before anything else in it
 * is interpreted.
 */
#include "state.h"

#include <string.h>

#include "json_decode.h"
#include "json_write.h"

#define F(n, k) {.name = n, .name_len = sizeof(n) - 1, .type = {.kind = k}, .used = true}
#define FOPT(n, k) {.name = n, .name_len = sizeof(n) - 1, .type = {.kind = k}, .optional = true, .used = true}

static PDecodeField lc_fields[] = {F("name", PDT_STRING), F("stage", PDT_STRING), F("entered", PDT_TIME)};
enum { LC_NAME, LC_STAGE, LC_ENTERED };

static PDecodeField j_fields[] = {
  F("name", PDT_STRING), F("status", PDT_STRING), F("run", PDT_INT), FOPT("entered", PDT_TIME),
  FOPT("step", PDT_STRING), FOPT("since", PDT_TIME), FOPT("wake", PDT_TIME), FOPT("ended", PDT_TIME),
};
enum { J_NAME, J_STATUS, J_RUN, J_ENTERED, J_STEP, J_SINCE, J_WAKE, J_ENDED };

static PDecodeField x_fields[] = {F("name", PDT_STRING), F("salt_id", PDT_STRING), F("arm", PDT_STRING),
                                   F("assigned", PDT_TIME)};
enum { X_NAME, X_SALT_ID, X_ARM, X_ASSIGNED };
static PDecodePlan x_plan = {.name = "experiment state", .n_fields = 4, .fields = x_fields,
                             .key_field = -1, .at_field = -1};
static const PDecodeType x_type = {.kind = PDT_RECORD, .record = &x_plan};

static PDecodePlan lc_plan = {.name = "lifecycle state", .n_fields = 3, .fields = lc_fields,
                              .key_field = -1, .at_field = -1};
static PDecodePlan j_plan = {.name = "journey state", .n_fields = 8, .fields = j_fields,
                             .key_field = -1, .at_field = -1};
static const PDecodeType lc_type = {.kind = PDT_RECORD, .record = &lc_plan};
static const PDecodeType j_type = {.kind = PDT_RECORD, .record = &j_plan};

static PDecodeField state_fields[] = {
  FOPT("v", PDT_INT),
  FOPT("next_change", PDT_TIME), /* written since issue 18; older states have none */
  {.name = "lifecycles", .name_len = 10, .type = {.kind = PDT_LIST, .elem = &lc_type}, .has_default = true,
   .default_value = {.kind = PV_LIST}, .used = true},
  {.name = "journeys", .name_len = 8, .type = {.kind = PDT_LIST, .elem = &j_type}, .has_default = true,
   .default_value = {.kind = PV_LIST}, .used = true},
  {.name = "experiments", .name_len = 11, .type = {.kind = PDT_LIST, .elem = &x_type}, .has_default = true,
   .default_value = {.kind = PV_LIST}, .used = true},
};
enum { S_V, S_NEXT_CHANGE, S_LIFECYCLES, S_JOURNEYS, S_EXPERIMENTS };
static PDecodePlan state_plan = {.name = "state", .n_fields = 5, .fields = state_fields,
                                 .key_field = -1, .at_field = -1};
/* The version alone: every other key is skipped. */
static PDecodePlan version_plan = {.name = "state", .n_fields = 1, .fields = state_fields,
                                   .key_field = -1, .at_field = -1};

static void prepare_plans(void) {
  static gsize done = 0;
  if (g_once_init_enter(&done)) {
    pdec_plan_prepare(&lc_plan);
    pdec_plan_prepare(&j_plan);
    pdec_plan_prepare(&x_plan);
    pdec_plan_prepare(&state_plan);
    pdec_plan_prepare(&version_plan);
    g_once_init_leave(&done, 1);
  }
}

static bool fail(char *err, size_t size, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static bool fail(char *err, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char msg[256];
  g_vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  g_snprintf(err, size, "state: %s", msg);
  return false;
}

static bool str_is(PValue v, const char *s) {
  size_t n = strlen(s);
  return v.kind == PV_STRING && v.len == n && memcmp(v.u.s, s, n) == 0;
}

static int find_name(PValue name, char *const *names, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    if (str_is(name, names[i])) return (int)i;
  return -1;
}

static bool read_lifecycle(PVMState *st, const PValue *f, char *err, size_t size) {
  const PModel *m = st->model;
  for (uint32_t i = 0; i < m->n_lifecycles; i++) {
    const PLifecycleCode *lc = &m->lifecycles[i];
    if (!str_is(f[LC_NAME], lc->name)) continue;
    int stage = find_name(f[LC_STAGE], lc->stages, lc->n_stages);
    if (stage < 0)
      return fail(err, size, "stage '%.*s' is not a stage of lifecycle %s", (int)f[LC_STAGE].len,
                  f[LC_STAGE].u.s, lc->name);
    st->lc[i] = (PLcState){.present = true, .stage = (uint32_t)stage, .entered = f[LC_ENTERED].u.i};
    return true;
  }
  return true; /* a lifecycle the model no longer has: dropped */
}

static int find_step(const PJourneyCode *j, PValue id) {
  for (uint32_t k = 0; k < j->n_steps; k++)
    if (str_is(id, j->steps[k].id)) return (int)k;
  return -1;
}

static bool read_status(PValue v, uint8_t *status) {
  if (str_is(v, "active")) *status = PJ_ACTIVE;
  else if (str_is(v, "done")) *status = PJ_DONE;
  else if (str_is(v, "exited")) *status = PJ_EXITED;
  else return false;
  return true;
}

static bool read_journey(PVMState *st, const PValue *f, char *err, size_t size) {
  const PModel *m = st->model;
  for (uint32_t i = 0; i < m->n_journeys; i++) {
    const PJourneyCode *j = &m->journeys[i];
    if (!str_is(f[J_NAME], j->name)) continue;
    PJState js = {.run = f[J_RUN].u.i};
    /* A run count is never negative, and entering again adds one: a forged
     * INT64_MAX made that `run++` a signed overflow (found by
     * fuzz/fuzz_state.c; fuzz/regressions/state/run_count_max.jsonl). */
    if (js.run < 0 || js.run == INT64_MAX)
      return fail(err, size, "journey %s has an invalid run count %" G_GINT64_FORMAT, j->name,
                  (gint64)js.run);
    if (!read_status(f[J_STATUS], &js.status))
      return fail(err, size, "journey %s has an unknown status '%.*s'", j->name, (int)f[J_STATUS].len,
                  f[J_STATUS].u.s);
    js.entered = f[J_ENTERED].kind == PV_TIME ? f[J_ENTERED].u.i : 0;
    js.has_ended = f[J_ENDED].kind == PV_TIME;
    js.ended = js.has_ended ? f[J_ENDED].u.i : 0;
    if (js.status == PJ_ACTIVE) {
      if (f[J_STEP].kind != PV_STRING || f[J_WAKE].kind != PV_TIME || f[J_SINCE].kind != PV_TIME)
        return fail(err, size, "active journey %s needs \"step\", \"since\" and \"wake\"", j->name);
      int step = find_step(j, f[J_STEP]);
      if (step < 0)
        return fail(err, size, "journey %s waits at step '%.*s' which the model no longer has", j->name,
                    (int)f[J_STEP].len, f[J_STEP].u.s);
      uint8_t kind = j->steps[step].kind;
      if (kind != PJS_WAIT && kind != PJS_WAIT_UNTIL)
        return fail(err, size, "journey %s cannot wait at step '%.*s': it is not a wait", j->name,
                    (int)f[J_STEP].len, f[J_STEP].u.s);
      js.step = (uint32_t)step;
      js.since = f[J_SINCE].u.i;
      js.wake = f[J_WAKE].u.i;
    }
    st->journeys[i] = js;
    return true;
  }
  return true; /* a journey the model no longer has: dropped */
}

/* An experiment's arm and assignment time; a salt other than the model's
 * makes pvm_assign_experiments reshuffle. */
static void read_experiment(PVMState *st, const PValue *f) {
  const PModel *m = st->model;
  for (uint32_t i = 0; i < m->n_experiments; i++) {
    const PExperimentCode *x = &m->experiments[i];
    if (!str_is(f[X_NAME], x->name)) continue;
    st->exps[i] = (PExpState){.present = true, .same_salt = str_is(f[X_SALT_ID], x->salt_id),
                              .stored_arm = find_name(f[X_ARM], x->arms, x->n_arms),
                              .stored_assigned = f[X_ASSIGNED].u.i};
    return;
  }
  /* an experiment the model no longer has: dropped */
}

static size_t skip_blanks(const char *s, size_t i, size_t len) {
  while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
  return i;
}

bool pstate_is_none(const char *json, size_t len) {
  if (!json) return true;
  size_t i = skip_blanks(json, 0, len);
  if (i == len) return true;
  if (len - i >= 4 && memcmp(json + i, "null", 4) == 0) return skip_blanks(json, i + 4, len) == len;
  if (json[i] != '{') return false;
  i = skip_blanks(json, i + 1, len);
  if (i == len || json[i] != '}') return false;
  return skip_blanks(json, i + 1, len) == len;
}

bool pstate_decode(PVMState *st, const char *json, size_t len, char *err, size_t size) {
  prepare_plans();
  pvm_state_reset_profile(st);
  /* No state: one rule for every host (docs/state.md, "No state"). */
  if (pstate_is_none(json, len)) return true;
  PDecodeResult r;
  if (!pdec_decode(&version_plan, json, len, st->now_us, &st->arena, &r)) return fail(err, size, "%s", r.error);
  if (r.fields[S_V].kind == PV_NULL) return fail(err, size, "the state has no format version \"v\"");
  if (r.fields[S_V].u.i != PSTATE_VERSION) {
    if (r.fields[S_V].u.i > PSTATE_VERSION)
      return fail(err, size, "state format version %" G_GINT64_FORMAT " is newer than this persona understands (%d)",
                  r.fields[S_V].u.i, PSTATE_VERSION);
    return fail(err, size, "unknown state format version %" G_GINT64_FORMAT, r.fields[S_V].u.i);
  }
  if (!pdec_decode(&state_plan, json, len, st->now_us, &st->arena, &r)) return fail(err, size, "%s", r.error);
  PValue lcs = r.fields[S_LIFECYCLES], js = r.fields[S_JOURNEYS];
  for (uint32_t i = 0; i < lcs.len; i++)
    if (!read_lifecycle(st, lcs.u.items[i].u.items, err, size)) return false;
  for (uint32_t i = 0; i < js.len; i++)
    if (!read_journey(st, js.u.items[i].u.items, err, size)) return false;
  PValue xs = r.fields[S_EXPERIMENTS];
  for (uint32_t i = 0; i < xs.len; i++) read_experiment(st, xs.u.items[i].u.items);
  return true;
}

static void write_time_or_null(GString *out, bool has, int64_t us) {
  if (has) pjw_time(out, us);
  else g_string_append(out, "null");
}

static const char *status_name(uint8_t status) {
  switch (status) {
  case PJ_ACTIVE: return "active";
  case PJ_DONE: return "done";
  case PJ_EXITED: return "exited";
  default: return "idle";
  }
}

static void write_journey(GString *out, const PJourneyCode *j, const PJState *js) {
  g_string_append(out, "{\"name\":");
  pjw_cstring(out, j->name);
  g_string_append(out, ",\"status\":");
  pjw_cstring(out, status_name(js->status));
  g_string_append_printf(out, ",\"run\":%" G_GINT64_FORMAT ",\"entered\":", js->run);
  pjw_time(out, js->entered);
  bool active = js->status == PJ_ACTIVE;
  g_string_append(out, ",\"step\":");
  if (active) pjw_cstring(out, j->steps[js->step].id);
  else g_string_append(out, "null");
  g_string_append(out, ",\"since\":");
  write_time_or_null(out, active, js->since);
  g_string_append(out, ",\"wake\":");
  write_time_or_null(out, active, js->wake);
  g_string_append(out, ",\"ended\":");
  write_time_or_null(out, js->has_ended, js->ended);
  g_string_append_c(out, '}');
}

void pstate_encode(const PVMState *st, GString *out) {
  const PModel *m = st->model;
  g_string_append_printf(out, "{\"v\":%d,\"lifecycles\":[", PSTATE_VERSION);
  bool first = true;
  for (uint32_t i = 0; i < m->n_lifecycles; i++) {
    const PLifecycleCode *lc = &m->lifecycles[i];
    if (!st->lc[i].present) continue;
    if (!first) g_string_append_c(out, ',');
    first = false;
    g_string_append(out, "{\"name\":");
    pjw_cstring(out, lc->name);
    g_string_append(out, ",\"stage\":");
    pjw_cstring(out, lc->stages[st->lc[i].stage]);
    g_string_append(out, ",\"entered\":");
    pjw_time(out, st->lc[i].entered);
    g_string_append_c(out, '}');
  }
  g_string_append(out, "],\"journeys\":[");
  first = true;
  for (uint32_t i = 0; i < m->n_journeys; i++) {
    if (st->journeys[i].status == PJ_IDLE) continue;
    if (!first) g_string_append_c(out, ',');
    first = false;
    write_journey(out, &m->journeys[i], &st->journeys[i]);
  }
  g_string_append_c(out, ']');
  /* Only a result that can change by time alone writes the key: other
   * states keep their bytes. */
  int64_t change;
  if (pvm_next_change(st, &change)) {
    g_string_append(out, ",\"next_change\":");
    pjw_time(out, change);
  }
  /* Only a model with experiments writes the key: every other state keeps
   * its bytes. */
  if (m->n_experiments) {
    g_string_append(out, ",\"experiments\":[");
    for (uint32_t i = 0; i < m->n_experiments; i++) {
      const PExperimentCode *x = &m->experiments[i];
      if (i) g_string_append_c(out, ',');
      g_string_append(out, "{\"name\":");
      pjw_cstring(out, x->name);
      g_string_append(out, ",\"salt_id\":");
      pjw_cstring(out, x->salt_id);
      g_string_append(out, ",\"arm\":");
      pjw_cstring(out, x->arms[st->exps[i].arm]);
      g_string_append(out, ",\"assigned\":");
      pjw_time(out, st->exps[i].assigned);
      g_string_append_c(out, '}');
    }
    g_string_append_c(out, ']');
  }
  g_string_append_c(out, '}');
}
