/* codegen_motion.h - how a checked expression's value moves with `now`
 * when no input changes (docs/language.md, "When results change").
 *
 * The code generator asks for the motion of both sides of a comparison:
 * when either moves it emits an NC instruction after the comparison
 * (runtime/vm_motion.c computes the instant). A value that moves is
 * linear in now (`now`, `now - t`, `days_between(t, now)`), the sum of a
 * linear part and decay scores' decaying parts (`fit + engagement`), or
 * something else continuous that is not followed (`sqrt(now - t)`,
 * `round(score)`): only comparisons of such a value give instants, never
 * the value itself.
 *
 * `a ?? b` moves like a or like b, which only the record decides: a
 * motion holds up to PMOTION_ALTS alternatives, and a comparison notes the
 * instant of each (the one that applies is among them; the others can
 * only make next_change early).
 *
 * Ownership: reads the tree; allocates nothing.
 */
#ifndef PERSONA_CODEGEN_MOTION_H
#define PERSONA_CODEGEN_MOTION_H

#include <stdbool.h>
#include <stdint.h>

#include "ast.h"
#include "check.h"

#define PMOTION_TERMS 6
#define PMOTION_ALTS 4

/* One way the value can move: rate·Δ + Σ coef·(decay score's change). */
typedef struct PMotionAlt {
  double rate;               /* value units per µs (µs for times and durations) */
  uint32_t n;
  int slot[PMOTION_TERMS];   /* decay scores' global slots */
  double coef[PMOTION_TERMS];
} PMotionAlt;

typedef struct PMotion {
  bool other;                /* moves in a way that is not followed */
  uint32_t n_alt;            /* 1 … PMOTION_ALTS (unless other) */
  PMotionAlt alt[PMOTION_ALTS];
  /* When the alternatives come from one `L ?? R`: that expression, and for
   * each alternative 0 (L was not null) or 1 (R was taken), so that the
   * code can note only the one that applies; else NULL. */
  const PExpr *coalesce;
  uint8_t branch[PMOTION_ALTS];
} PMotion;

/* Where the expression is compiled: `entered` in a journey and `assigned`
 * in an experiment's metric are fixed times; elsewhere `entered` is now. */
typedef struct PMotionCtx {
  bool in_journey;
  bool in_metric;
} PMotionCtx;

void pmotion_of(const PMotionCtx *ctx, const PExpr *e, PMotion *out);

/* How a step built-in's steps are followed (NCSTEP, runtime/vm_motion.c). */
typedef enum { PSTEP_FLOOR, PSTEP_CEIL, PSTEP_OPEN } PStepShape;
typedef struct PStepMotion {
  double rate;   /* of the argument, per µs */
  PStepShape shape; /* held from each boundary up (floor), down (ceil), or neither (round) */
  double grid;   /* a time: the step in µs; a number: the decimals d (boundaries at k·10^-d) */
} PStepMotion;

/* A step built-in call (floor, ceil, round, hour, weekday: builtins.h)
 * whose argument moves linearly, in one way, with no decay, and whose
 * `digits` (round) is a literal: how its steps are followed. Its result
 * is then constant until the instant NCSTEP notes. */
bool pmotion_step(const PMotionCtx *ctx, const PExpr *call, PStepMotion *out);
/* b − a, for a comparison a OP b. */
void pmotion_diff(const PMotion *a, const PMotion *b, PMotion *out);
/* Whether an alternative does not move / the whole value never moves. */
bool pmotion_alt_fixed(const PMotionAlt *a);
bool pmotion_fixed(const PMotion *m);

#endif
