/* vm_journey.c - running journeys (spec 4.6) with logical time.
 *
 * A journey's steps form a graph (model.h: PJStep with `next` links). Each
 * evaluation moves every journey as far as `now` allows: a `wait D` started
 * at logical time T ends at exactly T + D, and the steps after it happen at
 * T + D even when the evaluation that runs them comes later. Actions are
 * stamped with their logical time, so what a profile receives does not
 * depend on how often the host evaluates it. Conditions always see this
 * evaluation's values, as of `now`.
 */
#include <string.h>

#include "vm.h"

/* Runs a condition block; false on a runtime error (st->error set). */
static bool cond_holds(PVMState *st, uint32_t block, bool *holds) {
  PValue v;
  if (!pvm_exec(st, block, &v)) return false;
  *holds = v.kind == PV_BOOL && v.u.b;
  return true;
}

static bool duration_of(PVMState *st, uint32_t block, int64_t *us) {
  PValue v;
  if (!pvm_exec(st, block, &v)) return false;
  *us = v.kind == PV_DURATION ? v.u.i : 0;
  return true;
}

static void emit_action(PVMState *st, uint32_t journey, uint32_t step, int64_t at) {
  PActionRec a = {.journey = journey, .run = st->journeys[journey].run, .step = step, .at_us = at};
  g_array_append_val(st->actions, a);
}

/* The arm of a split: a stable hash of (profile key, journey, split step
 * id), so that a profile always takes the same arm, on every machine. */
static uint32_t split_arm(const PVMState *st, const PJourneyCode *j, const PJStep *s) {
  uint64_t h = UINT64_C(0xcbf29ce484222325);
  char buf[24];
  const char *parts[3];
  size_t lens[3];
  if (st->key.kind == PV_STRING) {
    parts[0] = st->key.u.s;
    lens[0] = st->key.len;
  } else {
    lens[0] = (size_t)g_snprintf(buf, sizeof buf, "%" G_GINT64_FORMAT, st->key.u.i);
    parts[0] = buf;
  }
  parts[1] = j->name;
  lens[1] = strlen(j->name);
  parts[2] = s->id;
  lens[2] = strlen(s->id);
  for (int p = 0; p < 3; p++) {
    for (size_t i = 0; i < lens[p]; i++) {
      h ^= (unsigned char)parts[p][i];
      h *= UINT64_C(0x100000001b3);
    }
    h ^= 0xff; /* separator: ("ab","c") and ("a","bc") differ */
    h *= UINT64_C(0x100000001b3);
  }
  double x = (double)(h % 1000000) / 1000000.0;
  double acc = 0;
  for (uint32_t i = 0; i < s->n_arms; i++) {
    acc += s->arm_weight[i];
    if (x < acc) return i;
  }
  return s->n_arms ? s->n_arms - 1 : 0;
}

/* Puts the journey to wait at `step` until `wake`. */
static void wait_at(PJState *js, uint32_t step, int64_t since, int64_t wake) {
  js->status = PJ_ACTIVE;
  js->step = step;
  js->since = since;
  js->wake = wake;
}

/* Runs steps from `p` at logical time `t` until the journey waits or ends. */
static bool run_from(PVMState *st, uint32_t ji, uint32_t p, int64_t t) {
  const PJourneyCode *j = &st->model->journeys[ji];
  PJState *js = &st->journeys[ji];
  while (p != PJ_END) {
    const PJStep *s = &j->steps[p];
    if (st->step_hook) st->step_hook(st->trace_user, ji, p);
    switch ((PJStepKind)s->kind) {
    case PJS_SEND:
    case PJS_TASK:
    case PJS_NOTIFY:
    case PJS_WEBHOOK:
      emit_action(st, ji, p, t);
      p = s->next;
      break;
    case PJS_IF: {
      bool holds;
      if (!cond_holds(st, s->cond, &holds)) return false;
      p = holds ? s->then_step : s->else_step;
      break;
    }
    case PJS_SPLIT:
      if (s->by_experiment) p = s->arm_step[st->exps[s->experiment].arm];
      else p = s->n_arms ? s->arm_step[split_arm(st, j, s)] : s->next;
      break;
    case PJS_WAIT: {
      int64_t d;
      if (!duration_of(st, s->duration, &d)) return false;
      int64_t wake = t + (d > 0 ? d : 0);
      if (wake > st->now_us) {
        wait_at(js, p, t, wake);
        return true;
      }
      t = wake;
      p = s->next;
      break;
    }
    case PJS_WAIT_UNTIL: {
      int64_t d;
      bool holds;
      if (!duration_of(st, s->duration, &d)) return false;
      int64_t deadline = t + (d > 0 ? d : 0);
      if (st->now_us >= deadline) {
        t = deadline; /* timed out: go on at the deadline */
        p = s->next;
        break;
      }
      if (!cond_holds(st, s->cond, &holds)) return false;
      if (!holds) {
        wait_at(js, p, t, deadline);
        return true;
      }
      t = st->now_us > t ? st->now_us : t;
      p = s->next;
      break;
    }
    case PJS_BLOCK: p = s->next; break;
    }
  }
  js->status = PJ_DONE;
  js->has_ended = true;
  js->ended = t;
  return true;
}

/* An active journey continues from the step it waits at. */
static bool resume(PVMState *st, uint32_t ji) {
  const PJourneyCode *j = &st->model->journeys[ji];
  PJState *js = &st->journeys[ji];
  const PJStep *s = &j->steps[js->step];
  if (st->now_us >= js->wake) return run_from(st, ji, s->next, js->wake);
  if (s->kind == PJS_WAIT) return true;
  bool holds;
  if (!cond_holds(st, s->cond, &holds)) return false;
  if (!holds) return true;
  return run_from(st, ji, s->next, st->now_us);
}

/* Did this evaluation move lifecycle `lc` into stage `stage`? */
static bool moved_into(const PVMState *st, uint32_t lc, uint32_t stage) {
  for (guint i = 0; i < st->transitions->len; i++) {
    const PTransitionRec *t = &g_array_index(st->transitions, PTransitionRec, i);
    if (t->lifecycle == lc && t->to == stage) return true;
  }
  return false;
}

static bool may_enter(PVMState *st, const PJourneyCode *j, const PJState *js, bool *allowed) {
  if (js->run == 0) {
    *allowed = true;
    return true;
  }
  *allowed = false;
  if (j->reenter_after == PJ_NO_BLOCK || !js->has_ended) return true;
  int64_t after;
  if (!duration_of(st, j->reenter_after, &after)) return false;
  *allowed = js->ended + after <= st->now_us;
  return true;
}

/* A profile in the holdout of an experiment this journey splits on never
 * enters it: the holdout gets no actions from it. */
static bool in_holdout(const PVMState *st, const PJourneyCode *j) {
  for (uint32_t h = 0; h < j->n_holdouts; h++) {
    const PExperimentCode *x = &st->model->experiments[j->holdouts[h]];
    if ((int32_t)st->exps[j->holdouts[h]].arm == x->holdout) return true;
  }
  return false;
}

static bool run_journey(PVMState *st, uint32_t ji) {
  const PJourneyCode *j = &st->model->journeys[ji];
  PJState *js = &st->journeys[ji];
  bool exits = false;
  if (js->status == PJ_ACTIVE) {
    st->globals[j->slot_entered] = pv_time(js->entered);
    if (j->exit_cond != PJ_NO_BLOCK && !cond_holds(st, j->exit_cond, &exits)) return false;
    if (exits) {
      js->status = PJ_EXITED;
      js->has_ended = true;
      js->ended = st->now_us;
      return true;
    }
    return resume(st, ji);
  }
  bool triggered = false, allowed = false;
  st->globals[j->slot_entered] = pv_time(st->now_us);
  if (j->enter_kind == PJ_ENTER_ON) triggered = moved_into(st, j->enter_lifecycle, j->enter_stage);
  else if (!cond_holds(st, j->enter_cond, &triggered)) return false;
  if (!triggered || in_holdout(st, j)) return true;
  if (!may_enter(st, j, js, &allowed)) return false;
  if (!allowed) return true;
  if (j->exit_cond != PJ_NO_BLOCK && !cond_holds(st, j->exit_cond, &exits)) return false;
  if (exits) return true;
  js->status = PJ_ACTIVE;
  js->run++;
  js->entered = st->now_us;
  return run_from(st, ji, j->first, st->now_us);
}

bool pvm_run_journeys(PVMState *st) {
  for (uint32_t i = 0; i < st->model->n_journeys; i++)
    if (!run_journey(st, i)) return false;
  return true;
}

bool pvm_next_wake(const PVMState *st, int64_t *out) {
  bool any = false;
  for (uint32_t i = 0; i < st->model->n_journeys; i++) {
    const PJState *js = &st->journeys[i];
    if (js->status != PJ_ACTIVE) continue;
    if (!any || js->wake < *out) *out = js->wake;
    any = true;
  }
  return any;
}
