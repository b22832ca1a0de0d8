/* codegen.h - checked tree -> bytecode model.
 *
 * Each tag, let, score and lifecycle transition becomes a block of
 * register code; consts are run once here (with the VM) and stored in the
 * model; the schema becomes the decode plans. Runtime errors found while
 * folding consts (a division by zero in a const) are reported as compile
 * errors.
 *
 * Ownership: the returned model is new (refcount 1) and owns everything
 * it refers to; it borrows nothing from the tree or the checker.
 */
#ifndef PERSONA_CODEGEN_H
#define PERSONA_CODEGEN_H

#include "../runtime/model.h"
#include "check.h"

/* Constants computed at compile time: each at most PCODEGEN_MAX_CONST
 * bytes ("constant larger than 1 MiB"), computed in at most
 * PCODEGEN_FOLD_MEMORY ("constant needs more than 64 MiB of memory to
 * compute"). */
#define PCODEGEN_MAX_CONST (1u << 20)
#define PCODEGEN_FOLD_MEMORY (64u << 20)

/* NULL when errors were reported (in c->diags). With `trace`, the model
 * also carries TRACE points and the explanations that `persona explain`
 * and test coverage read (slower to run; never needed to evaluate). */
PModel *pcodegen_model(PCheck *c, bool trace, bool score_rules);

#endif
