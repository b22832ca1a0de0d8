/* store.h - the unify store (`persona unify --store DIR`, docs/unify.md):
 * every source file ever unified, kept under DIR/SOURCE/, so that a later
 * run with new files equals one run over everything and any merge can
 * still be undone by an exclusion.
 *
 * The files hold whole input records, identifiers and all, and
 * identifiers are pii (e-mail addresses, phone numbers): so the store
 * keeps them sealed (persona_seal, include/persona.h) under the store key
 * (PERSONA_STORE_KEY or PERSONA_STORE_KEY_FILE), as persona run keeps its
 * records, and is refused without a key. A file is named by a keyed
 * digest of its bytes (DIR/SOURCE/DIGEST.jsonl.sealed: storing the same
 * file twice stores it once, and the name tells nothing to whoever lacks
 * the key) and sealed with its source's name as associated data (moved to
 * another source's folder, it does not open). DIR/.key_check holds the
 * key's check value, so a wrong key is refused before anything is read or
 * written. A crash leaves either the whole file or none of it (written to
 * a temporary file and renamed).
 *
 * Ownership: paths and the key are borrowed; returned arrays belong to the
 * caller.
 */
#ifndef PERSONA_UNIFY_STORE_H
#define PERSONA_UNIFY_STORE_H

#include <glib.h>

#include "persona.h"
#include "unify.h"

/* Opens the store DIR with `key` (NULL: none configured): refused
 * (PERSONA_ERROR_INVALID, naming the variables) without a key or with
 * another key than the one DIR was first stored with. The first time,
 * writes the key check; every time, seals any file stored in the clear
 * (by a version before sealing) and removes the clear one. */
gboolean pu_store_open(const char *dir, const PersonaSealKey *key, GError **error);

/* Stores `path` as a file of source `source`, sealed with `key`. *added
 * is FALSE when the same bytes were stored before. PERSONA_ERROR_IO on
 * failure. */
gboolean pu_store_add(const char *dir, const char *source, const char *path, const PersonaSealKey *key,
                      gboolean *added, GError **error);

/* The stored files as "SOURCE=PATH" strings (caller frees), sources and
 * files in byte order. A folder that names no source in `sources` (a
 * NULL-terminated list) is an error (PERSONA_ERROR_INVALID): its records
 * would be silently left out. A missing DIR is an empty store. */
GPtrArray *pu_store_files(const char *dir, const char *const *sources, GError **error);

/* Reads the stored file `path` of source number `source` (named
 * `source_name`) into the unifier, opened with `key`. PERSONA_ERROR_IO
 * when it cannot be read, PERSONA_ERROR_SEALED when it does not open. */
gboolean pu_store_read(PuUnifier *u, guint source, const char *source_name, const char *path,
                       const PersonaSealKey *key, GError **error);

#endif
