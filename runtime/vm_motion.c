/* vm_motion.c - next_change: the earliest instant after now at which,
 * with no new input, something the model computes could change
 * (docs/language.md, "When results change").
 *
 * The compiler knows which values move with `now` (compiler/codegen_motion.c):
 * a linear rate (`now`, `now - t`, `days_between(t, now)`), a decay
 * score's decaying part, or both. After every comparison one of whose
 * sides moves it emits NCLT/NCLE/NCEQ with the two operands and a
 * constant describing how their difference moves; each window test that
 * selected an event emits NCWIN (vm.c), or, for a count compared with a
 * constant, adds the leave instant to a set the comparison reads (NCLADD,
 * NCK*), or, for an `exists`, keeps the newest selected `at` (NCMAXAT);
 * before each step function (floor … hour) of a linearly moving value it
 * emits NCSTEP, which notes the value's next step (the result is then
 * constant until it, so comparisons of it note nothing);
 * each decay score reports its decaying part (NCDHALF/NCDRULE/NCDCLAMP).
 * The decoder reports the first event after now (it becomes visible at
 * its `at`). Each of these notes an instant; st->next_change is the
 * earliest.
 *
 * The rule that keeps this sound: with no new input, evaluation takes the
 * same path and computes the same piecewise-constant values for as long
 * as every comparison it made keeps its outcome and every event it
 * selected stays selected. An instant may be early (one evaluation that
 * changes nothing), never late: where a crossing is computed in floating
 * point it is rounded down.
 *
 * Ownership: works on the state's fields; the leave sets' arrays are the
 * state's (grown here, freed by pvm_nc_free).
 */
#include <math.h>
#include <string.h>

#include "vm.h"

/* Instants are µs; anything beyond this is "never" (no overflow when
 * added to now). */
#define NC_FAR ((int64_t)1 << 61)

bool pvm_next_change(const PVMState *st, int64_t *out) {
  if (!st->model || !st->model->tracks_change || st->next_change == INT64_MAX) return false;
  *out = st->next_change;
  return true;
}

void pvm_nc_note_pii(PVMState *st, int64_t t) {
  if (t <= st->now_us) return;
  uint64_t delta = (uint64_t)t - (uint64_t)st->now_us;
  /* The largest power of two not above the delay: says nothing finer than
   * its order of magnitude, and is never late. */
  int64_t p = (int64_t)(UINT64_C(1) << (63 - __builtin_clzll(delta)));
  pvm_nc_note(st, st->now_us + p);
}

void pvm_nc_begin(PVMState *st, int64_t next_visible, int64_t next_visible_pii) {
  st->next_change = INT64_MAX;
  pvm_nc_note(st, next_visible);
  if (next_visible_pii != INT64_MAX) pvm_nc_note_pii(st, next_visible_pii);
}

/* Notes now + delta (delta in µs, at least 1; beyond NC_FAR: none). */
static void note_after(PVMState *st, double delta, bool pii) {
  if (!(delta < (double)NC_FAR)) return;
  int64_t d = delta < 1.0 ? 1 : (int64_t)delta;
  if (st->now_us > INT64_MAX - d) return;
  if (pii) pvm_nc_note_pii(st, st->now_us + d);
  else pvm_nc_note(st, st->now_us + d);
}

/* ---- decay scores ----------------------------------------------------------------- */

void pvm_nc_decay_start(PVMState *st, uint32_t slot, PValue half_life) {
  if (slot >= st->model->n_globals) return;
  PDecayAmp *a = &st->damp[slot];
  memset(a, 0, sizeof *a);
  a->half_life = half_life.kind == PV_DURATION && half_life.u.i > 0 ? half_life.u.i : 0;
  a->exact = a->half_life > 0;
}

void pvm_nc_decay_rule(PVMState *st, uint32_t slot, PValue contrib, PValue raw) {
  if (slot >= st->model->n_globals || contrib.kind != PV_NUMBER || raw.kind != PV_NUMBER) return;
  PDecayAmp *a = &st->damp[slot];
  double c = contrib.u.n, r = raw.u.n;
  a->mag += fabs(c);
  if (c == r) {
    a->amp += c;
  } else if (a->n_caps < PVM_DECAY_CAPS) { /* held at its cap until raw·x passes it */
    a->raw[a->n_caps] = r;
    a->cap[a->n_caps++] = c;
  } else {
    a->exact = false;
  }
}

void pvm_nc_decay_clamp(PVMState *st, uint32_t slot, PValue after, PValue before) {
  if (slot >= st->model->n_globals) return;
  if (after.kind != PV_NUMBER || before.kind != PV_NUMBER || after.u.n != before.u.n) st->damp[slot].exact = false;
}

/* A decay score's value at x = 0.5^(Δ/H) minus its value now. */
static double decay_change(const PDecayAmp *a, double x) {
  double v = a->amp * (x - 1.0);
  for (uint8_t j = 0; j < a->n_caps; j++) {
    double m = a->raw[j] * x, c = a->cap[j];
    double held = c >= 0 ? fmin(m, c) : fmax(m, c); /* the cap of a negative rule is a floor */
    v += held - c;
  }
  return v;
}

/* ---- comparisons ------------------------------------------------------------------ */

typedef struct Motion {
  double rate;            /* of b − a, per µs */
  uint32_t n;             /* decay terms */
  const PDecayAmp *amp[8];
  double coef[8];
  bool exact;             /* every term's shape is known */
} Motion;

static bool read_motion(const PVMState *st, PValue k, Motion *m) {
  memset(m, 0, sizeof *m);
  m->exact = true;
  if (k.kind != PV_LIST || k.len < 1 || k.u.items[0].kind != PV_NUMBER) return false;
  m->rate = k.u.items[0].u.n;
  for (uint32_t i = 1; i + 1 < k.len && m->n < 8; i += 2) {
    PValue s = k.u.items[i], c = k.u.items[i + 1];
    if (s.kind != PV_NUMBER || c.kind != PV_NUMBER || s.u.n < 0 || s.u.n >= st->model->n_globals) return false;
    const PDecayAmp *a = &st->damp[(uint32_t)s.u.n];
    if (a->half_life <= 0) return false;
    if (!a->exact) m->exact = false;
    m->amp[m->n] = a;
    m->coef[m->n++] = c.u.n;
  }
  return true;
}

/* The difference's change after delta µs. */
static double change_at(const Motion *m, double delta) {
  double v = m->rate * delta;
  for (uint32_t i = 0; i < m->n; i++)
    v += m->coef[i] * decay_change(m->amp[i], exp2(-delta / (double)m->amp[i]->half_life));
  return v;
}

/* An upper bound of |change| after delta µs, increasing in delta. */
static double bound_at(const Motion *m, double delta) {
  double v = fabs(m->rate) * delta;
  for (uint32_t i = 0; i < m->n; i++)
    v += fabs(m->coef[i]) * m->amp[i]->mag * (1.0 - exp2(-delta / (double)m->amp[i]->half_life));
  return v;
}

/* +1 / -1 when the difference only rises / falls, 0 when it does not
 * move, 2 when it may do both. Each decay term moves toward its rest
 * value: down when its contributions are positive. */
static int direction(const Motion *m) {
  int dir = m->rate > 0 ? 1 : m->rate < 0 ? -1 : 0;
  for (uint32_t i = 0; i < m->n; i++) {
    const PDecayAmp *a = m->amp[i];
    double parts[1 + PVM_DECAY_CAPS];
    uint32_t np = 0;
    parts[np++] = a->amp;
    for (uint8_t j = 0; j < a->n_caps; j++) parts[np++] = a->raw[j];
    for (uint32_t j = 0; j < np; j++) {
      double s = -m->coef[i] * parts[j];
      int d = s > 0 ? 1 : s < 0 ? -1 : 0;
      if (d == 0) continue;
      if (dir == 0) dir = d;
      else if (dir != d) return 2;
    }
  }
  return dir;
}

/* The smallest delta in [1, NC_FAR] with g(delta) >= target, g
 * increasing; NC_FAR when none. Bisection to the microsecond. */
static double first_reach(const Motion *m, double (*g)(const Motion *, double), double target, int sign) {
  double lo = 0, hi = 1;
  while (sign * g(m, hi) < target) {
    lo = hi;
    hi *= 4;
    if (hi >= (double)NC_FAR) return (double)NC_FAR;
  }
  while (hi - lo > 1) {
    double mid = floor((lo + hi) / 2);
    if (sign * g(m, mid) >= target) hi = mid; else lo = mid;
  }
  return hi;
}

static double abs_bound(const Motion *m, double delta) { return bound_at(m, delta); }

/* With one half-life and no linear part the change is, in x = 0.5^(Δ/H),
 * piecewise linear (a held cap releases at x = cap/raw): the x in (0, 1)
 * where d0 + change(x) reaches 0, solved segment by segment from x = 1
 * down, with no power per step; false when it is never reached. */
static double change_x(const Motion *m, double x) {
  double v = 0;
  for (uint32_t i = 0; i < m->n; i++) v += m->coef[i] * decay_change(m->amp[i], x);
  return v;
}

static bool solve_x(const Motion *m, double d0, double *x_out) {
  double kinks[8 * PVM_DECAY_CAPS + 1];
  uint32_t nk = 0;
  for (uint32_t i = 0; i < m->n; i++)
    for (uint8_t j = 0; j < m->amp[i]->n_caps; j++) {
      double r = m->amp[i]->raw[j], c = m->amp[i]->cap[j];
      double x = r != 0 ? c / r : 0;
      if (x > 0 && x < 1 && nk < G_N_ELEMENTS(kinks) - 1) kinks[nk++] = x;
    }
  kinks[nk++] = 0;
  /* descending: insertion sort, a handful of kinks */
  for (uint32_t a = 1; a < nk; a++)
    for (uint32_t b = a; b > 0 && kinks[b] > kinks[b - 1]; b--) {
      double t = kinks[b];
      kinks[b] = kinks[b - 1];
      kinks[b - 1] = t;
    }
  double hi = 1, f_hi = d0;
  for (uint32_t k = 0; k < nk; k++) {
    double lo = kinks[k], f_lo = d0 + change_x(m, lo);
    if ((f_hi > 0) != (f_lo > 0) || f_lo == 0) {
      *x_out = f_lo == f_hi ? lo : hi + (0 - f_hi) * (lo - hi) / (f_lo - f_hi);
      return *x_out > 0;
    }
    hi = lo;
    f_hi = f_lo;
  }
  return false;
}

/* Rounds a crossing computed in floating point down, so that it is never
 * late: by 2 µs and a part in 10¹² of the delay, far more than the
 * rounding of the values compared (docs: "a few microseconds early"). */
static void note_crossing(PVMState *st, double delta, bool pii) {
  if (delta >= (double)NC_FAR) return;
  note_after(st, floor(delta * (1.0 - 1e-12)) - 2.0, pii);
}

/* Integer operands moving at ±1 per µs: the exact instant. d0 = b − a. */
static void compare_int(PVMState *st, uint8_t op, int64_t d0, int r, bool pii) {
  /* a < b holds while d > 0; a <= b while d >= 0; a == b while d == 0. */
  int64_t delta = 0;
  bool ok = false;
  if (op == OP_NCLT) {
    if (r > 0 && d0 <= 0) ok = !__builtin_sub_overflow(1, d0, &delta);
    if (r < 0 && d0 > 0) ok = true, delta = d0;
  } else if (op == OP_NCLE) {
    if (r > 0 && d0 < 0) ok = true, delta = -d0;
    if (r < 0 && d0 >= 0) ok = !__builtin_add_overflow(d0, 1, &delta);
  } else {
    if (d0 == 0) ok = true, delta = 1;
    else if ((d0 < 0) == (r > 0)) ok = true, delta = d0 < 0 ? -d0 : d0;
  }
  if (ok && delta < NC_FAR) note_after(st, (double)delta, pii);
}

void pvm_nc_compare(PVMState *st, uint8_t op, PValue a, PValue b, PValue motion, bool pii) {
  if (a.kind == PV_NULL || b.kind == PV_NULL) return; /* null does not move */
  bool ia = a.kind == PV_INT || a.kind == PV_TIME || a.kind == PV_DURATION;
  bool ib = b.kind == PV_INT || b.kind == PV_TIME || b.kind == PV_DURATION;
  if ((!ia && a.kind != PV_NUMBER) || (!ib && b.kind != PV_NUMBER)) return;
  Motion m;
  if (!read_motion(st, motion, &m)) {
    note_after(st, 1, false); /* unreadable: anything may change */
    return;
  }
  if (m.n == 0 && m.rate == 0) return;
  if (ia && ib && m.n == 0 && (m.rate == 1 || m.rate == -1)) {
    int64_t d0;
    if (__builtin_sub_overflow(b.u.i, a.u.i, &d0)) return;
    compare_int(st, op, d0, m.rate > 0 ? 1 : -1, pii);
    return;
  }
  double d0 = (ib ? (double)b.u.i : b.u.n) - (ia ? (double)a.u.i : a.u.n);
  if (isnan(d0)) return;
  int dir = direction(&m);
  if (d0 == 0) { /* on the boundary: moving the right way makes it differ at once */
    bool up = dir > 0 || dir == 2, down = dir < 0 || dir == 2;
    if (op == OP_NCEQ ? dir != 0 : op == OP_NCLT ? up : down) note_after(st, 1, false);
    return;
  }
  if (dir == 0) return;
  if (dir == 2 || !m.exact) { /* the bound: no crossing before |change| can reach |d0| */
    note_crossing(st, first_reach(&m, abs_bound, fabs(d0), 1), pii);
    return;
  }
  /* Monotone: a crossing only when moving toward zero. */
  if ((d0 > 0) == (dir > 0)) return;
  double delta;
  bool one_half_life = m.rate == 0;
  for (uint32_t i = 1; one_half_life && i < m.n; i++) one_half_life = m.amp[i]->half_life == m.amp[0]->half_life;
  if (one_half_life) {
    double x;
    if (!solve_x(&m, d0, &x)) return; /* never reached: x → 0 */
    delta = -log2(x) * (double)m.amp[0]->half_life;
  } else {
    delta = first_reach(&m, change_at, fabs(d0), dir > 0 ? 1 : -1);
  }
  note_crossing(st, delta, pii);
}

/* ---- step functions: floor, ceil, round, hour, weekday ----------------------------------- */

/* A time moving at ±1 per µs; the step function is held from each
 * multiple of `step` up (hour, weekday: floor of t / step). Exact. */
static void step_time(PVMState *st, int64_t t, int64_t step, int dir, bool pii) {
  int64_t m = t % step;
  if (m < 0) m += step;
  /* up: the next multiple; down: 1 µs below the multiple at or under t */
  note_after(st, (double)(dir > 0 ? step - m : m + 1), pii);
}

/* A number moving at `rate` per µs; boundaries at k·10^-d (+ half a step
 * for round). floor is held from a boundary up, ceil from one down, round
 * changes at each: on a boundary moving the other way, the next µs. */
static void step_number(PVMState *st, double x, double rate, int shape, int d, bool pii) {
  static const double pow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  double p = pow10[d < 0 ? -d : d]; /* as round(x, d) scales (stdlib/builtins.c) */
  double y = d >= 0 ? x * p : x / p, ry = d >= 0 ? rate * p : rate / p;
  if (!isfinite(y) || !isfinite(ry) || ry == 0) return;
  if (fabs(y) >= 0x1p52) { /* no fraction left: the value moves with x */
    note_after(st, 1, false);
    return;
  }
  double u = shape == 2 ? y - 0.5 : y, lo = floor(u);
  bool on = lo == u;
  double target;
  if (ry > 0) {
    if (on && shape != 0) {
      note_after(st, 1, false);
      return;
    }
    target = lo + 1;
  } else {
    if (on && shape != 1) {
      note_after(st, 1, false);
      return;
    }
    target = on ? u - 1 : lo;
  }
  note_crossing(st, fabs(target - u) / fabs(ry), pii);
}

void pvm_nc_step(PVMState *st, PValue x, PValue step, bool pii) {
  bool readable = step.kind == PV_LIST && step.len == 3;
  for (uint32_t i = 0; readable && i < 3; i++) readable = step.u.items[i].kind == PV_NUMBER;
  double sh = readable ? step.u.items[1].u.n : -1;
  if (!readable || !(sh == 0 || sh == 1 || sh == 2)) {
    note_after(st, 1, false); /* unreadable (a file not written by the compiler): anything may change */
    return;
  }
  double rate = step.u.items[0].u.n, grid = step.u.items[2].u.n;
  int shape = (int)sh;
  if (x.kind == PV_TIME) {
    if ((rate == 1 || rate == -1) && grid >= 1 && grid < (double)NC_FAR)
      step_time(st, x.u.i, (int64_t)grid, rate > 0 ? 1 : -1, pii);
    else
      note_after(st, 1, false);
  } else if (x.kind == PV_NUMBER || x.kind == PV_INT) {
    double v = x.kind == PV_INT ? (double)x.u.i : x.u.n;
    if (grid >= -15 && grid <= 15 && grid == floor(grid) && !isnan(v)) step_number(st, v, rate, shape, (int)grid, pii);
    else note_after(st, 1, false);
  }
}

/* ---- leave sets: exact instants for counts compared ------------------------------------ */

/* The set, grown to hold index `set` (C is 16 bits: at most 65 536 sets). */
static PLeaveSet *leave_set(PVMState *st, uint32_t set) {
  if (set >= st->n_lsets) {
    uint32_t n = set + 1 > 2 * st->n_lsets ? set + 1 : 2 * st->n_lsets;
    st->lsets = g_renew(PLeaveSet, st->lsets, n);
    memset(st->lsets + st->n_lsets, 0, sizeof(PLeaveSet) * (n - st->n_lsets));
    st->n_lsets = n;
  }
  return &st->lsets[set];
}

void pvm_nc_leave_clear(PVMState *st, uint32_t set) { leave_set(st, set)->n = 0; }

void pvm_nc_leave_add(PVMState *st, uint32_t set, PValue at, PValue lo, bool pii) {
  (void)pii; /* the instants stay inside the VM; what reads them rounds */
  if (at.kind != PV_TIME || lo.kind != PV_TIME) return;
  int64_t d, t;
  if (__builtin_sub_overflow(at.u.i, lo.u.i, &d) || __builtin_add_overflow(d, st->now_us, &t) || t == INT64_MAX)
    return;
  PLeaveSet *s = leave_set(st, set);
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 16;
    s->t = g_renew(int64_t, s->t, s->cap);
  }
  s->t[s->n++] = t + 1; /* still selected at t, gone 1 µs later */
}

static void note_maybe_pii(PVMState *st, int64_t t, bool pii) {
  if (pii) pvm_nc_note_pii(st, t);
  else pvm_nc_note(st, t);
}

static int cmp_i64(const void *x, const void *y) {
  int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
  return (a > b) - (a < b);
}

static bool count_truth(uint8_t op, double a, double b) {
  return op == OP_NCKLT ? a < b : op == OP_NCKLE ? a <= b : a == b;
}

void pvm_nc_count(PVMState *st, uint8_t op, PValue a, PValue b, uint32_t set, uint8_t flags) {
  bool count_is_b = (flags & 2) != 0, pii = (flags & 1) != 0;
  PValue c = count_is_b ? b : a, k = count_is_b ? a : b;
  if (c.kind != PV_INT || (k.kind != PV_INT && k.kind != PV_NUMBER)) return;
  if (set >= st->n_lsets || st->lsets[set].n == 0) return;
  PLeaveSet *s = &st->lsets[set];
  double cv = (double)c.u.i, kv = k.kind == PV_INT ? (double)k.u.i : k.u.n;
  bool now_truth = count_is_b ? count_truth(op, kv, cv) : count_truth(op, cv, kv);
  /* The count loses one at each instant (a superset of the instants it
   * really loses one at, when some selected events are not counted: so
   * never late). The first j whose truth differs. */
  if (op != OP_NCKEQ) { /* monotone in j: nothing changes unless at j = n */
    double cn = cv - (double)s->n;
    if ((count_is_b ? count_truth(op, kv, cn) : count_truth(op, cn, kv)) == now_truth) return;
  }
  uint32_t j = 1;
  for (; j <= s->n; j++) {
    double cj = cv - (double)j;
    bool t = count_is_b ? count_truth(op, kv, cj) : count_truth(op, cj, kv);
    if (t != now_truth) break;
  }
  if (j > s->n) return;
  qsort(s->t, s->n, sizeof *s->t, cmp_i64);
  note_maybe_pii(st, s->t[j - 1], pii);
}

void pvm_nc_free(PVMState *st) {
  for (uint32_t k = 0; k < st->n_lsets; k++) g_free(st->lsets[k].t);
  g_free(st->lsets);
  st->lsets = NULL;
  st->n_lsets = 0;
}
