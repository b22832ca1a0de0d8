/* lint.h - warnings about models that compile but are probably wrong.
 *
 * A pass of its own: the compiler driver (compile.c) runs it after the
 * checker, on a checked tree without errors, and before code generation.
 * Each lint is a warning added to the checker's PDiagList; none changes
 * the tree or the generated code. The lints (docs/language.md, "Warnings"):
 *
 *   - a comparison of a score (or an expression built from scores with
 *     + - and constant factors) with a constant that can never hold, or
 *     always holds, given the static range of the scores: every rule's
 *     weight and cap and every score's max/min;
 *   - a lifecycle stage that no chain of transitions from `initial` leads
 *     to;
 *   - journey steps that can never run: the branch of an `if` whose
 *     condition is a constant, a split arm of weight 0%, and a whole
 *     journey that can never start (`enter on L -> "s"` with s unreachable,
 *     `enter when false`, `exit when true`);
 *   - a `const`, `let` or `record` of the root file that nothing uses.
 *
 * (Split weights that do not add up to 100% are warned about by the
 * checker itself, check_decl.c.)
 *
 * Ownership: borrows the PCheck; allocates nothing that outlives the call.
 */
#ifndef PERSONA_LINT_H
#define PERSONA_LINT_H

#include "check.h"

/* Adds the warnings of every lint to c->diags. */
void plint_run(PCheck *c);

#endif
