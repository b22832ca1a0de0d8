/* codegen_motion.c - the motion of an expression with `now` (codegen_motion.h). */
#include "codegen_motion.h"

#include <string.h>

#include "../stdlib/builtins.h"

static void fixed(PMotion *m) {
  memset(m, 0, sizeof *m);
  m->n_alt = 1;
}
static void other(PMotion *m) {
  fixed(m);
  m->other = true;
}
static void linear(PMotion *m, double rate) {
  fixed(m);
  m->alt[0].rate = rate;
}

bool pmotion_alt_fixed(const PMotionAlt *a) {
  if (a->rate != 0) return false;
  for (uint32_t i = 0; i < a->n; i++)
    if (a->coef[i] != 0) return false;
  return true;
}

bool pmotion_fixed(const PMotion *m) {
  if (m->other) return false;
  for (uint32_t i = 0; i < m->n_alt; i++)
    if (!pmotion_alt_fixed(&m->alt[i])) return false;
  return true;
}

/* a·x + b·y for one alternative each; false when the terms do not fit. */
static bool combine_alt(const PMotionAlt *x, double a, const PMotionAlt *y, double b, PMotionAlt *out) {
  PMotionAlt r;
  memset(&r, 0, sizeof r);
  r.rate = a * x->rate + b * y->rate;
  const PMotionAlt *src[2] = {x, y};
  double k[2] = {a, b};
  for (int s = 0; s < 2; s++)
    for (uint32_t i = 0; i < src[s]->n; i++) {
      uint32_t j = 0;
      while (j < r.n && r.slot[j] != src[s]->slot[i]) j++;
      if (j == r.n) {
        if (r.n == PMOTION_TERMS) return false;
        r.slot[r.n] = src[s]->slot[i];
        r.coef[r.n++] = 0;
      }
      r.coef[j] += k[s] * src[s]->coef[i];
    }
  *out = r;
  return true;
}

/* a·x + b·y: every pair of alternatives (the records decide which holds). */
static void combine(const PMotion *x, double a, const PMotion *y, double b, PMotion *out) {
  if (x->other || y->other || x->n_alt * y->n_alt > PMOTION_ALTS) {
    other(out);
    return;
  }
  PMotion r;
  fixed(&r);
  r.n_alt = 0;
  /* The branch tags survive when only one side has them. */
  r.coalesce = x->coalesce && y->coalesce ? NULL : x->coalesce ? x->coalesce : y->coalesce;
  for (uint32_t i = 0; i < x->n_alt; i++)
    for (uint32_t j = 0; j < y->n_alt; j++) {
      r.branch[r.n_alt] = x->coalesce ? x->branch[i] : y->branch[j];
      if (!combine_alt(&x->alt[i], a, &y->alt[j], b, &r.alt[r.n_alt++])) {
        other(out);
        return;
      }
    }
  *out = r;
}

void pmotion_diff(const PMotion *a, const PMotion *b, PMotion *out) { combine(b, 1, a, -1, out); }

/* `a ?? b`: either's alternatives. */
static void either(const PExpr *e, const PMotion *x, const PMotion *y, PMotion *out) {
  if (x->other || y->other || x->n_alt + y->n_alt > PMOTION_ALTS) {
    other(out);
    return;
  }
  PMotion r = *x;
  for (uint32_t j = 0; j < y->n_alt; j++) r.alt[r.n_alt++] = y->alt[j];
  bool tagged = !x->coalesce && !y->coalesce;
  r.coalesce = tagged ? e : NULL;
  for (uint32_t k = 0; tagged && k < r.n_alt; k++) r.branch[k] = k < x->n_alt ? 0 : 1;
  *out = r;
}

/* A literal number or duration (the scale of `x * 2`, `d / 1d`). */
static bool literal_scale(const PExpr *e, double *out) {
  if (e->kind == PE_INT || e->kind == PE_DURATION) {
    *out = (double)e->ival;
    return true;
  }
  if (e->kind == PE_NUMBER) {
    *out = e->nval;
    return true;
  }
  if (e->kind == PE_UNARY && e->op == POP_NEG && literal_scale(e->left, out)) {
    *out = -*out;
    return true;
  }
  return false;
}

static void motion_name(const PMotionCtx *ctx, const PExpr *e, PMotion *out) {
  fixed(out);
  if (e->local >= 0) return; /* an element's field: fixed */
  const PSym *s = e->sym;
  if (!s) {
    if (strcmp(e->name, "now") == 0) linear(out, 1);
    else if (strcmp(e->name, "assigned") == 0 && ctx->in_metric) return;
    else if (strcmp(e->name, "entered") == 0 && !ctx->in_journey) linear(out, 1);
    return;
  }
  switch (s->kind) {
  case PSYM_LET:
    if (s->decl && s->decl->expr) pmotion_of(ctx, s->decl->expr, out);
    return;
  case PSYM_SCORE:
    if (s->decl && s->decl->expr) {
      pmotion_of(ctx, s->decl->expr, out);
    } else if (s->decl && s->decl->decay) {
      out->alt[0].n = 1;
      out->alt[0].slot[0] = s->index;
      out->alt[0].coef[0] = 1;
    }
    return;
  default: return; /* fields, consts, tags, stages, arms: fixed */
  }
}

static void motion_arith(const PMotionCtx *ctx, const PExpr *e, PMotion *out) {
  PMotion l, r;
  pmotion_of(ctx, e->left, &l);
  pmotion_of(ctx, e->right, &r);
  if (pmotion_fixed(&l) && pmotion_fixed(&r)) {
    fixed(out);
    return;
  }
  double k;
  switch (e->op) {
  case POP_ADD: combine(&l, 1, &r, 1, out); return;
  case POP_SUB: combine(&l, 1, &r, -1, out); return;
  case POP_MUL:
    if (pmotion_fixed(&r) && literal_scale(e->right, &k)) combine(&l, k, &r, 0, out);
    else if (pmotion_fixed(&l) && literal_scale(e->left, &k)) combine(&r, k, &l, 0, out);
    else other(out);
    return;
  case POP_DIV:
    if (pmotion_fixed(&r) && literal_scale(e->right, &k) && k != 0) combine(&l, 1 / k, &r, 0, out);
    else other(out);
    return;
  default: other(out); return;
  }
}

bool pmotion_step(const PMotionCtx *ctx, const PExpr *e, PStepMotion *out) {
  if (e->kind != PE_CALL || e->agg || e->builtin < 0 || !e->items || e->items->len < 1) return false;
  PBuiltinMotion bm = (PBuiltinMotion)pbuiltins[e->builtin].motion;
  if (!pbuiltin_motion_step(bm)) return false;
  PMotion a;
  pmotion_of(ctx, g_ptr_array_index(e->items, 0), &a);
  if (a.other || a.n_alt != 1 || a.alt[0].n != 0 || a.alt[0].rate == 0) return false;
  double digits = 0;
  if (e->items->len > 1) {
    const PExpr *d = g_ptr_array_index(e->items, 1);
    if (e->items->len > 2 || !literal_scale(d, &digits) || digits != (double)(int)digits || digits < -15 ||
        digits > 15)
      return false;
  }
  out->rate = a.alt[0].rate;
  switch (bm) {
  case PBM_HOUR:
  case PBM_WEEKDAY: /* times are whole µs: exact only at rate ±1 */
    if (out->rate != 1 && out->rate != -1) return false;
    out->shape = PSTEP_FLOOR;
    out->grid = bm == PBM_HOUR ? 3600e6 : 86400e6;
    return true;
  default:
    out->shape = bm == PBM_FLOOR ? PSTEP_FLOOR : bm == PBM_CEIL ? PSTEP_CEIL : PSTEP_OPEN;
    out->grid = digits;
    return true;
  }
}

static void motion_call(const PMotionCtx *ctx, const PExpr *e, PMotion *out) {
  fixed(out);
  if (e->agg) return; /* aggregates change only as events come and go (NCWIN) */
  if (e->builtin < 0) {
    if (e->native < 0 && strcmp(e->name, "now") == 0) linear(out, 1);
    else if (e->native >= 0)
      for (guint i = 0; e->items && i < e->items->len; i++) {
        PMotion a;
        pmotion_of(ctx, g_ptr_array_index(e->items, i), &a);
        if (!pmotion_fixed(&a)) other(out);
      }
    return; /* entered(f), tags(), arm(x): fixed */
  }
  PMotion args[PB_MAX_PARAMS];
  bool moves = false;
  for (guint i = 0; e->items && i < e->items->len; i++) {
    PMotion a;
    pmotion_of(ctx, g_ptr_array_index(e->items, i), &a);
    if (i < PB_MAX_PARAMS) args[i] = a;
    if (!pmotion_fixed(&a)) moves = true;
  }
  if (!moves) return;
  switch ((PBuiltinMotion)pbuiltins[e->builtin].motion) {
  case PBM_DAYS: combine(&args[1], 1.0 / 86400e6, &args[0], -1.0 / 86400e6, out); return;
  case PBM_HOURS: combine(&args[1], 1.0 / 3600e6, &args[0], -1.0 / 3600e6, out); return;
  default: {
    PStepMotion st; /* a followed step function is constant until its step (NCSTEP) */
    if (!pmotion_step(ctx, e, &st)) other(out);
    return;
  }
  }
}

void pmotion_of(const PMotionCtx *ctx, const PExpr *e, PMotion *out) {
  fixed(out);
  if (!e || e->is_const) return;
  switch (e->kind) {
  case PE_NAME: motion_name(ctx, e, out); return;
  case PE_CALL: motion_call(ctx, e, out); return;
  case PE_UNARY:
    if (e->op == POP_NEG) {
      PMotion l, z;
      pmotion_of(ctx, e->left, &l);
      fixed(&z);
      combine(&l, -1, &z, 0, out);
    }
    return;
  case PE_BINARY:
    switch (e->op) {
    case POP_ADD: case POP_SUB: case POP_MUL: case POP_DIV: case POP_MOD: motion_arith(ctx, e, out); return;
    case POP_COALESCE: {
      PMotion l, r;
      pmotion_of(ctx, e->left, &l);
      pmotion_of(ctx, e->right, &r);
      if (!pmotion_fixed(&l) || !pmotion_fixed(&r)) either(e, &l, &r, out);
      return;
    }
    default: return; /* comparisons, and/or, in: booleans, fixed */
    }
  case PE_FIELD: {
    PMotion l;
    pmotion_of(ctx, e->left, &l);
    if (!pmotion_fixed(&l)) other(out);
    return;
  }
  default: return; /* literals; lists and records are compared only with == / in */
  }
}
