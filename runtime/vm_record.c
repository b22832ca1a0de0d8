/* vm_record.c - the per-record driver: a state's lifetime, the start of a
 * record, and the units of the model (values and lifecycles) run in
 * dependency order, then the journeys (vm_journey.c); see vm.h. The
 * interpreter itself is vm.c (kept apart: it is built with its own flags,
 * CMakeLists.txt). */
#include "vm.h"

#include <string.h>

void pvm_state_init(PVMState *st, const PModel *model) {
  memset(st, 0, sizeof *st);
  st->model = model;
  st->globals = g_new0(PValue, model->n_globals + 1);
  if (model->n_globals) memcpy(st->globals, model->global_init, sizeof(PValue) * model->n_globals);
  pa_init(&st->arena, PVM_ARENA_LIMIT);
  st->budget_left = UINT64_MAX;
  st->call.arena = &st->arena;
  st->call.charge = pvm_charge;
  st->call.charge_data = st;
  st->transitions = g_array_new(FALSE, FALSE, sizeof(PTransitionRec));
  st->actions = g_array_new(FALSE, FALSE, sizeof(PActionRec));
  st->lc = g_new0(PLcState, model->n_lifecycles + 1);
  st->journeys = g_new0(PJState, model->n_journeys + 1);
  st->exps = g_new0(PExpState, model->n_experiments + 1);
  st->damp = g_new0(PDecayAmp, model->n_globals + 1);
  st->next_change = INT64_MAX;
  pvm_state_fit(st);
}

bool pvm_begin_record(PVMState *st, const char *json, size_t len, int64_t now_us, PDecodeResult *dr) {
  const PModel *m = st->model;
  pa_reset(&st->arena);
  st->now_us = now_us;
  st->error[0] = '\0';
  st->error_code = NULL;
  memset(dr, 0, sizeof *dr);
  if (!pdec_decode_tz(&m->plans[m->profile_plan], json, len, now_us, st->input_tz, &st->arena, dr)) return false;
  st->profile = dr->fields;
  st->key = dr->key;
  pvm_nc_begin(st, dr->next_visible, dr->next_visible_pii);
  return true;
}

void pvm_state_reset_profile(PVMState *st) {
  memset(st->lc, 0, sizeof(PLcState) * st->model->n_lifecycles);
  memset(st->journeys, 0, sizeof(PJState) * st->model->n_journeys);
  memset(st->exps, 0, sizeof(PExpState) * st->model->n_experiments);
}

void pvm_state_clear(PVMState *st) {
  g_free(st->globals);
  g_free(st->regs);
  g_free(st->dsets);
  pa_free(&st->arena);
  if (st->transitions) g_array_unref(st->transitions);
  if (st->actions) g_array_unref(st->actions);
  g_free(st->lc);
  g_free(st->journeys);
  g_free(st->exps);
  g_free(st->damp);
  pvm_nc_free(st);
  memset(st, 0, sizeof *st);
}

bool pvm_state_fit(PVMState *st) {
  const PModel *m = st->model;
  if (m->max_regs + 1 > st->n_regs) {
    st->n_regs = m->max_regs + 1;
    st->regs = g_renew(PValue, st->regs, st->n_regs);
    memset(st->regs, 0, sizeof(PValue) * st->n_regs);
  }
  if (m->n_dsets > st->n_dsets) {
    st->dsets = g_renew(PDistinctSet, st->dsets, m->n_dsets);
    memset(st->dsets, 0, sizeof(PDistinctSet) * m->n_dsets);
    st->n_dsets = m->n_dsets;
  }
  return true;
}

/* ---- the units of one record ------------------------------------------------------------- */

static void lc_set(PVMState *st, const PLifecycleCode *lc, uint32_t index, uint32_t stage, int64_t entered) {
  st->globals[lc->slot_stage] = pv_string(lc->stages[stage], (uint32_t)strlen(lc->stages[stage]));
  st->globals[lc->slot_entered] = pv_time(entered);
  st->lc[index].present = true;
  st->lc[index].stage = stage;
  st->lc[index].entered = entered;
}

static void lc_enter(PVMState *st, const PLifecycleCode *lc, int32_t from, uint32_t to, uint32_t index) {
  lc_set(st, lc, index, to, st->now_us);
  PTransitionRec rec = {.lifecycle = index, .from = from, .to = to, .at_us = st->now_us};
  g_array_append_val(st->transitions, rec);
}

/* Fires transitions until none applies; a stage is entered at most once
 * per evaluation (the starting stage counts), so this ends. */
static bool vm_lifecycle(PVMState *st, uint32_t index) {
  const PLifecycleCode *lc = &st->model->lifecycles[index];
  bool *visited = pa_alloc(&st->arena, lc->n_stages ? lc->n_stages : 1);
  if (!visited) return false;
  memset(visited, 0, lc->n_stages);
  uint32_t cur;
  if (st->lc[index].present) {
    /* A stored stage: no transition to report for it. */
    cur = st->lc[index].stage;
    lc_set(st, lc, index, cur, st->lc[index].entered);
  } else {
    cur = lc->initial;
    lc_enter(st, lc, -1, cur, index);
  }
  visited[cur] = true;
  for (;;) {
    bool moved = false;
    for (uint32_t t = 0; t < lc->n_transitions; t++) {
      const PTransitionCode *tc = &lc->transitions[t];
      bool leaves = tc->from >= 0 ? (uint32_t)tc->from == cur : tc->to != cur;
      if (!leaves || visited[tc->to]) continue;
      PValue holds;
      if (!pvm_exec(st, tc->block, &holds)) return false;
      if (holds.kind == PV_BOOL && holds.u.b) {
        lc_enter(st, lc, (int32_t)cur, tc->to, index);
        cur = tc->to;
        visited[cur] = true;
        moved = true;
        break;
      }
    }
    if (!moved) return true;
  }
}

static bool run_units(PVMState *st);

bool pvm_eval_record(PVMState *st) {
  if (!run_units(st)) return false;
  const PModel *m = st->model;
  if (!pvm_run_journeys(st)) return false;
  if (m->output_block != PJ_NO_BLOCK && !st->skip_output) return pvm_exec(st, m->output_block, &st->output);
  return true;
}

bool pvm_experiment_metric(PVMState *st, uint32_t x, int64_t assigned_us, bool *converted) {
  const PExperimentCode *xc = &st->model->experiments[x];
  pvm_state_reset_profile(st);
  if (!run_units(st)) return false;
  st->globals[xc->slot_assigned] = pv_time(assigned_us);
  PValue v;
  if (!pvm_exec(st, xc->metric, &v)) return false;
  *converted = v.kind == PV_BOOL && v.u.b;
  return true;
}

/* The experiments' assignment, then every unit in dependency order. */
static bool run_units(PVMState *st) {
  const PModel *m = st->model;
  /* Nothing of an earlier record survives into this one: its values point
   * into the arena, reset since. A block that reads a global before this
   * record wrote it (possible in a crafted file) sees the initial value. */
  if (m->n_globals) memcpy(st->globals, m->global_init, sizeof(PValue) * m->n_globals);
  g_array_set_size(st->transitions, 0);
  g_array_set_size(st->actions, 0);
  st->call.now_us = st->now_us;
  pvm_budget_start(st);
  pvm_assign_experiments(st);
  for (uint32_t u = 0; u < m->n_units; u++) {
    const PUnit *unit = &m->units[u];
    if (unit->kind == PUNIT_LIFECYCLE) {
      if (!vm_lifecycle(st, unit->lifecycle)) {
        if (!st->error[0]) {
          g_strlcpy(st->error, "out of memory for this record", sizeof st->error);
          st->error_code = "too_large";
        }
        return false;
      }
    } else if (!pvm_exec(st, unit->block, &st->globals[unit->slot])) {
      return false;
    }
  }
  return true;
}
