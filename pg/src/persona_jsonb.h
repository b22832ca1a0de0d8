/* persona_jsonb.h - jsonb profiles read in place: the PgcTreeReader over
 * PostgreSQL's jsonb containers (PostgreSQL side; no GLib here).
 *
 * A node is a JsonbValue: a scalar, or a jbvBinary pointing into the
 * profile's jsonb datum. Nodes, and the text of numbers, are palloc'ed in
 * CurrentMemoryContext while libpersona reads the profile: the caller
 * switches to a context it resets after the evaluation. String values
 * point into the datum itself, which must stay until the evaluation's
 * result has been read.
 *
 * The callbacks never raise (palloc could only fail out of memory, where
 * GLib would abort anyway).
 */
#ifndef PERSONA_PG_JSONB_H
#define PERSONA_PG_JSONB_H

#include "postgres.h"

#include "utils/jsonb.h"

#include "persona_core.h"

extern PGC_INTERNAL const PgcTreeReader pgj_reader;

/* Whether jsonb can be read in place here: its strings are UTF-8 only in
 * a UTF8 database (elsewhere the text decoder checks the encoding). */
PGC_INTERNAL bool pgj_reader_usable(void);

/* The root node of a jsonb datum, in *slot. */
PGC_INTERNAL const void *pgj_root(Jsonb *jb, JsonbValue *slot);

#endif
