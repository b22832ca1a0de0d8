/* disasm.h - the bytecode listing of a model: `persona disasm`,
 * persona_model_disasm and `eval --dump-bytecode`. Each operand is printed
 * as the opcode table (opcodes.h) lays it out, with a comment for the
 * roles worth one (a constant's value, a call site's builtin, a result
 * kind, a field count).
 *
 * Ownership: borrows the model and the source texts for the call; the
 * returned string is new (the caller frees it with g_free).
 */
#ifndef PERSONA_DISASM_H
#define PERSONA_DISASM_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* The listing of the whole model: every block, then the units. */
char *pmodel_disasm(const PModel *m);

/* Source texts for the listing, indexed like m->file_names; an entry may
 * be NULL (text not available). */
typedef struct PDisasmSource {
  const char *const *texts;
  const size_t *lens;
  uint32_t n;
} PDisasmSource;

/* The listing of `persona disasm`: a header with the model's name,
 * version and source hash, every block with each instruction's place and,
 * when `src` is given, the source line once per change of line; then the
 * units and call sites. */
char *pmodel_disasm_full(const PModel *m, const PDisasmSource *src);

#endif
