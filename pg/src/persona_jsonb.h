/* persona_jsonb.h - jsonb in and out without jsonb's text functions:
 * profiles read in place through the PgcTreeReader over PostgreSQL's
 * jsonb containers, results laid out as jsonb from libpersona's JSON,
 * states written as compact JSON for libpersona (PostgreSQL side; no
 * GLib here).
 *
 * A node is a JsonbValue: a scalar, or a jbvBinary pointing into the
 * profile's jsonb datum, with the offsets of an array's elements once it
 * has been indexed. Nodes are carved from the caller's block
 * (PgjTree); further blocks and the text of numbers are palloc'ed in
 * CurrentMemoryContext while libpersona reads the profile: the caller
 * switches to a context it resets after the evaluation. String values
 * point into the datum itself, which must stay until the evaluation's
 * result has been read.
 *
 * The reader's callbacks never raise (palloc could only fail out of memory, where
 * GLib would abort anyway).
 */
#ifndef PERSONA_PG_JSONB_H
#define PERSONA_PG_JSONB_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/jsonb.h"

#include "persona_core.h"

extern PGC_INTERNAL const PgcTreeReader pgj_reader;

/* Whether jsonb can be read in place here: its strings are UTF-8 only in
 * a UTF8 database (elsewhere the text decoder checks the encoding). */
PGC_INTERNAL bool pgj_reader_usable(void);

/* The reader's context (its ctx argument): the block that nodes are
 * carved from. Set it up for each profile with pgj_tree_init on a block
 * the caller keeps (PGJ_TREE_BLOCK bytes, reused profile after profile);
 * further blocks are palloc'ed in CurrentMemoryContext. */
typedef struct
{
	char	   *next,
			   *end;
} PgjTree;

#define PGJ_TREE_BLOCK 8192

static inline void
pgj_tree_init(PgjTree *tree, char *block)
{
	tree->next = block;
	tree->end = block + PGJ_TREE_BLOCK;
}

/* The root node of a jsonb datum. */
PGC_INTERNAL const void *pgj_root(PgjTree *tree, Jsonb *jb);

/* A state object as compact JSON text in `out` (reset first), for
 * libpersona's state decoder: what JsonbToCString writes without the
 * spaces. False (and `out` empty) for anything but an object, or one
 * nested deeper than the writer goes: then use JsonbToCString, whose
 * text the decoder's byte offsets refer to. Allocates in
 * CurrentMemoryContext. */
PGC_INTERNAL bool pgj_state_text(StringInfo out, Jsonb *state);

/* A result object (libpersona's compact JSON, `len` bytes) as jsonb: the
 * value jsonb_in gives for the same text, built without its parser (and
 * by jsonb_in for anything unexpected). With `check`, also laid out by
 * PostgreSQL's JsonbValueToJsonb, and an ERROR unless the two datums are
 * the same bytes (for the tests). The tree of values in between is carved
 * from `tree` (set up as for a profile); the datum and the rest are
 * allocated in CurrentMemoryContext. May raise as jsonb_in does (a result
 * too large for jsonb). */
PGC_INTERNAL Datum pgj_result_jsonb(const char *json, size_t len, bool check, PgjTree *tree);

/* A tree of JsonbValues (an object or array at the root; objects' pairs
 * sorted and unique as jsonb keeps them) as a new jsonb datum, the bytes
 * JsonbValueToJsonb would give; NULL when it is too large for jsonb.
 * size_hint: the expected size in bytes. Allocates in
 * CurrentMemoryContext (persona_jsonb_layout.c). */
PGC_INTERNAL Jsonb *pgj_layout(const JsonbValue *root, size_t size_hint);

#endif
