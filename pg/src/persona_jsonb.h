/* persona_jsonb.h - jsonb in and out without JSON text in between:
 * profiles read in place through the PgcTreeReader over PostgreSQL's
 * jsonb containers, results built with pushJsonbValue (PostgreSQL side;
 * no GLib here).
 *
 * A node is a JsonbValue: a scalar, or a jbvBinary pointing into the
 * profile's jsonb datum. Nodes, and the text of numbers, are palloc'ed in
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

#include "utils/jsonb.h"

#include "persona_core.h"

extern PGC_INTERNAL const PgcTreeReader pgj_reader;

/* Whether jsonb can be read in place here: its strings are UTF-8 only in
 * a UTF8 database (elsewhere the text decoder checks the encoding). */
PGC_INTERNAL bool pgj_reader_usable(void);

/* The root node of a jsonb datum, in *slot. */
PGC_INTERNAL const void *pgj_root(Jsonb *jb, JsonbValue *slot);

/* A result object (libpersona's compact JSON, `len` bytes) as jsonb: the
 * value jsonb_in gives for the same text, built without its parser (and
 * by jsonb_in for anything unexpected). Allocates in CurrentMemoryContext;
 * may raise as jsonb_in does (a result too large for jsonb). */
PGC_INTERNAL Datum pgj_result_jsonb(const char *json, size_t len);

#endif
