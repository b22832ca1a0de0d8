/* store.h - the unify store (`persona unify --store DIR`, docs/unify.md):
 * every source file ever unified, kept under DIR/SOURCE/HASH.jsonl, so
 * that a later run with new files equals one run over everything and any
 * merge can still be undone by an exclusion. A file is stored under the
 * SHA-256 of its bytes: storing the same file twice stores it once, and a
 * crash leaves either the whole file or none of it (it is written to a
 * temporary file and renamed).
 *
 * Ownership: paths are borrowed; returned arrays belong to the caller.
 */
#ifndef PERSONA_UNIFY_STORE_H
#define PERSONA_UNIFY_STORE_H

#include <glib.h>

/* Stores `path` as a file of source `source`. *added is FALSE when the
 * same bytes were stored before. PERSONA_ERROR_IO on failure. */
gboolean pu_store_add(const char *dir, const char *source, const char *path, gboolean *added, GError **error);

/* The stored files as "SOURCE=PATH" strings (caller frees), sources and
 * files in byte order. A folder that names no source in `sources` (a
 * NULL-terminated list) is an error (PERSONA_ERROR_INVALID): its records
 * would be silently left out. A missing DIR is an empty store. */
GPtrArray *pu_store_files(const char *dir, const char *const *sources, GError **error);

#endif
