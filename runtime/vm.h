/* vm.h - the bytecode interpreter and the per-record driver.
 *
 * A PVMState holds what one thread needs to evaluate records with one
 * model: registers, global slots, the per-record arena, scratch sets for
 * `distinct`, and the last error. pvm_eval_record() runs every unit of the
 * model in dependency order over one decoded profile; pvm_exec() runs one
 * block (also used at compile time to fold consts).
 *
 * Ownership: the state borrows the model (the caller keeps a reference)
 * and owns its registers, globals and arena. Values it produces point into
 * its arena, the input text and the model: valid until the next record.
 */
#ifndef PERSONA_VM_H
#define PERSONA_VM_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "../stdlib/builtins.h"
#include "model.h"

typedef struct PDistinctSet {
  PValue *slots;
  uint32_t mask;    /* capacity - 1, or 0 before first use */
  uint32_t count;
} PDistinctSet;

typedef struct PTransitionRec {
  uint32_t lifecycle;
  int32_t from;     /* -1: first evaluation (entry into `initial`) */
  uint32_t to;
  int64_t at_us;
} PTransitionRec;

typedef struct PVMState {
  const PModel *model;
  PValue *globals;         /* model->n_globals */
  const PValue *profile;   /* decoded profile fields */
  int64_t now_us;
  PArena arena;
  PValue *regs;
  uint32_t n_regs;
  PDistinctSet *dsets;
  uint32_t n_dsets;
  PCallCtx call;
  GArray *transitions;     /* PTransitionRec of the current record */
  char error[384];         /* the last runtime error, with its place */
} PVMState;

/* Prepares a state for `model` (globals initialised from the model). */
void pvm_state_init(PVMState *st, const PModel *model);
void pvm_state_clear(PVMState *st);
/* Makes room for the model's current register and set counts (the model
 * grows while consts are folded). */
bool pvm_state_fit(PVMState *st);

/* Runs one block; false with st->error set on a runtime error. */
bool pvm_exec(PVMState *st, uint32_t block, PValue *out);

/* Runs all units for the profile already set in st->profile and
 * st->now_us. Lifecycles start from `initial` (no stored state yet). */
bool pvm_eval_record(PVMState *st);

/* Copies a value and everything it points to into `arena`. */
PValue pvalue_deep_copy(PArena *arena, PValue v);

#endif
