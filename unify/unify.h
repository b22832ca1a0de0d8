/* unify.h - `persona unify`: one profile per person from the records of
 * several sources (docs/unify.md). A component over the public API: it
 * reads the model's `identity { }` and `source { }` declarations through
 * persona_model_identity_* and nothing else of the library.
 *
 *   PuUnifier *u = pu_new(model, &error);
 *   pu_add_exclusions(u, "exclude.txt", &error);     // optional, before the inputs
 *   pu_add_file(u, "crm", "crm.jsonl", &error);      // each input, any order
 *   pu_resolve(u);                                   // union-find, deterministic
 *   pu_write_profiles(u, out, &error);               // JSON Lines for persona eval
 *
 * Bad input (malformed JSON, a record without identifiers, a value that
 * is not a phone number, …) does not stop the run: each problem is kept as
 * "FILE:LINE: message" (pu_problems) and counted (pu_n_bad); no message
 * ever contains an identifier's value or any other input value, since
 * identifiers are usually pii.
 *
 * Ownership: a PuUnifier holds a reference to its model and owns the
 * inputs it read (mapped, not copied) until pu_free. Strings passed in are
 * borrowed for the call.
 */
#ifndef PERSONA_UNIFY_H
#define PERSONA_UNIFY_H

#include <glib.h>

#include "persona.h"

typedef struct PuUnifier PuUnifier;

/* NULL with PERSONA_ERROR_INVALID when the model declares no identity,
 * one of its `never join` values does not normalise, or a pseudonym key
 * is configured but cannot be read (persona_pseudonym_key). */
PuUnifier *pu_new(PersonaModel *model, GError **error);
/* TRUE when profile ids are keyed with the pseudonym key; FALSE: no key
 * is configured and ids are unkeyed hashes anyone can recompute from an
 * identifier (docs/unify.md, "Profile ids"). */
gboolean pu_ids_keyed(const PuUnifier *u);
void pu_free(PuUnifier *u);

/* The index of source `name`, or -1. */
int pu_source_index(const PuUnifier *u, const char *name);
/* The declared sources' names, comma-separated (for messages; caller frees). */
char *pu_source_names(const PuUnifier *u);
/* The declared sources' names as a NULL-terminated array (caller frees the
 * array only: the names are the model's). */
const char **pu_source_list(const PuUnifier *u);

/* An exclusion file: lines `KIND VALUE` (blank lines and `#` comments
 * skipped); each value never joins, like `never join` in the model. FALSE
 * on an unreadable file, an unknown kind or a malformed value
 * (PERSONA_ERROR_INVALID, "FILE:LINE: …"). */
gboolean pu_add_exclusions(PuUnifier *u, const char *path, GError **error);

/* Reads every record of `path` as source number `source`. FALSE only when
 * the file cannot be read (PERSONA_ERROR_IO); bad records are problems. */
gboolean pu_add_file(PuUnifier *u, guint source, const char *path, GError **error);

/* Reads the records of `data` (JSON Lines, `len` bytes) as source number
 * `source`, named `name` in problems, like a file. Takes ownership of
 * `data` (g_malloc'd). For a host that keeps the records itself (persona
 * run keeps them in its database). */
void pu_add_data(PuUnifier *u, guint source, const char *name, char *data, gsize len);

/* Also told of each problem as it is found: the input's number (the order
 * of pu_add_file / pu_add_data calls, from 0), the line in it, and the
 * message without the "FILE:LINE: " prefix (borrowed for the call). Set it
 * before the inputs. */
typedef void (*PuProblemFunc)(gpointer user, guint input, guint line, const char *message);
void pu_set_problem_func(PuUnifier *u, PuProblemFunc fn, gpointer user);

/* Joins the records into profiles. Call once, after the last input. */
void pu_resolve(PuUnifier *u);

/* Problems found so far, one "FILE:LINE: message\n" each, in input order. */
const char *pu_problems(const PuUnifier *u);
/* Records that could not be read or placed (exit 3 in the CLI). */
guint64 pu_n_bad(const PuUnifier *u);

/* After pu_resolve: the profile with the most records, its id appended to
 * `id` (may be NULL); 0 when there are none. */
guint64 pu_largest_profile(const PuUnifier *u, GString *id);

/* After pu_resolve: every profile as one JSON object per line, in a fixed
 * order, to `out`. FALSE on a write error. */
gboolean pu_write_profiles(PuUnifier *u, PersonaOutputFile *out, GError **error);

/* After pu_resolve: each profile in the order pu_write_profiles writes
 * them, with its id, its JSON object (without a newline; borrowed for the
 * call) and its records as pairs (input number, line), n of them. */
typedef void (*PuProfileFunc)(gpointer user, const char *id, const char *json, gsize len, const guint32 *places,
                              guint n);
void pu_foreach_profile(PuUnifier *u, PuProfileFunc fn, gpointer user);

/* After pu_resolve: the report (docs/unify.md) as one JSON object and a
 * newline, appended. */
void pu_report_json(const PuUnifier *u, GString *out);

/* After pu_resolve: how profile `id` was joined (its records, identifiers
 * by kind and number, the edges between them with the file and line of
 * each, refused joins), appended as text. FALSE when there is no such
 * profile. */
gboolean pu_explain(const PuUnifier *u, const char *id, GString *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PuUnifier, pu_free)

#endif
