/* bytecode.h - portable bytecode files (.pbc): writer, reader, verifier.
 *
 * A .pbc holds everything of a PModel that evaluation needs, in a fixed
 * little-endian layout (docs/bytecode.md describes it field by field):
 *
 *   header   magic, format version, flags, file length
 *   sections STRS META CNST GLOB PLAN BLKS UNIT OUTS LIFE JRNY CALL SETS
 *   trailer  SHA-256 of every byte before it
 *
 * Loading is: header (magic, then version, so that a newer file says so
 * rather than "damaged"), checksum, sections (every count checked against
 * the bytes left before anything is allocated), then pbc_verify() on the
 * whole model: every index, register, jump and table link is in range,
 * loops can only run over lists, registers are written before they are
 * read. Only then is the model handed out, so a damaged or hostile file is
 * an error and never a crash. Tests and trace points are not stored: a
 * model with trace points is refused by the writer.
 *
 * Ownership: pbc_write returns new bytes; pbc_read returns a new model
 * (refcount 1) that owns everything it points to.
 */
#ifndef PERSONA_BYTECODE_H
#define PERSONA_BYTECODE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "model.h"

#define PBC_MAGIC "\x89PBC\r\n\x1a\n" /* PNG-style: catches text-mode damage */
#define PBC_MAGIC_LEN 8
/* 1: the first format; 2: adds JNESK and JLTI; 3: adds UNPACK (older
 * files are still read: they mean the same). */
#define PBC_VERSION 7u
#define PBC_HEADER_LEN 24u  /* magic, version u32, flags u32, length u64 */
#define PBC_TRAILER_LEN 32u /* SHA-256 */
#define PBC_MAX_FILE ((gsize)256 << 20)
/* How deep the reader recurses. The compiler refuses models beyond them
 * (a const or a default nested deeper, a field type with more `list<`
 * inside one another), so that every model it builds can be saved and
 * loaded again: fuzz/fuzz_compile.c found models that compiled but whose
 * bytecode would not load. */
#define PBC_MAX_VALUE_DEPTH 64  /* nesting of constant lists/records */
#define PBC_MAX_TYPE_DEPTH 32   /* list<list<…>> in a decode plan */

/* Serialises a model. Fails (PERSONA_ERROR_BYTECODE) for a model compiled
 * with trace points. */
GBytes *pbc_write(const PModel *m, GError **error);

/* Reads and verifies a .pbc image. Errors are PERSONA_ERROR_BYTECODE with
 * a message without the file name ("checksum mismatch: …"). */
PModel *pbc_read(const guint8 *data, gsize len, GError **error);

/* True when `data` starts with the magic number. */
bool pbc_has_magic(const guint8 *data, gsize len);

/* Checks the loaded model's invariants that the VM relies on (see the
 * header comment); the message names the block and instruction. */
bool pbc_verify(const PModel *m, GError **error);
/* The same checks on a model the compiler has just built, whose trace
 * points and test blocks are allowed (TRACE B must name a trace point):
 * in builds with PERSONA_VERIFY_GENERATED the compiler driver runs it on
 * every model it makes, so a code-generator bug fails where the code is
 * made (compiler/compile.c). */
bool pbc_verify_generated(const PModel *m, GError **error);

/* The kind analysis (verify_kinds.c), run by both after every other check
 * passed: false when an instruction could read a register holding a kind
 * of value it does not accept (docs/bytecode.md, "Kinds"). */
bool pbc_verify_kinds(const PModel *m, GError **error);

/* The source hash as 64 lowercase hex digits plus NUL. */
void pbc_hash_hex(const uint8_t hash[32], char out[65]);

#endif
