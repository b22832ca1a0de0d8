/* persona_core.h - the libpersona side of the PostgreSQL extension.
 *
 * persona_pg.c (the fmgr functions) includes PostgreSQL's headers and
 * never GLib's; persona_core.c includes GLib and persona.h and never
 * PostgreSQL's. This interface between the two uses plain C types only,
 * so neither set of macros can clash with the other.
 *
 * Nothing here raises a PostgreSQL error, longjmps, allocates with palloc
 * or aborts on data: failures come back as return values with a message,
 * and the PostgreSQL side raises them after it has let go of everything
 * this side owns. Strings returned as `char **` are g_malloc'ed: free them
 * with pgc_free. Everything else returned is owned by a PgcModel and valid
 * until its next evaluation.
 *
 * The backend is single-threaded and nothing here starts a thread: the
 * model cache is plain process-global state.
 */
#ifndef PERSONA_PG_CORE_H
#define PERSONA_PG_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Internal to persona.so: not exported (PostgreSQL 15 builds modules with
 * default visibility; only the fmgr functions need to be seen). */
#define PGC_INTERNAL __attribute__((visibility("hidden")))

/* A loaded model with its VM and output buffer, reference-counted: held by
 * the per-process cache and by each call site that uses it. */
typedef struct PgcModel PgcModel;

typedef enum {
  PGC_EVAL_OK = 0,
  PGC_EVAL_RECORD_ERROR, /* the profile (or its state) cannot be evaluated: a result, not a failure */
  PGC_EVAL_INTERRUPTED,  /* the interrupt check said stop; nothing was evaluated */
  PGC_EVAL_DECLINED,     /* pgc_eval_tree only: evaluate the profile's text instead */
} PgcEvalStatus;

/* A profile the caller has parsed (jsonb), read through callbacks: the
 * PersonaTreeReader of persona.h in plain C types. Kinds are those of
 * PersonaNodeKind, in its order. */
typedef enum {
  PGC_NODE_NULL, PGC_NODE_BOOL, PGC_NODE_NUMBER, PGC_NODE_STRING, PGC_NODE_ARRAY, PGC_NODE_OBJECT,
} PgcNodeKind;

typedef struct {
  PgcNodeKind (*kind)(void *ctx, const void *node);
  bool (*boolean)(void *ctx, const void *node);
  const char *(*text)(void *ctx, const void *node, size_t *len); /* string value, number spelling */
  unsigned (*length)(void *ctx, const void *array);
  const void *(*element)(void *ctx, const void *array, unsigned i);
  /* An object's value for a key, NULL when absent; the callback itself
   * may be NULL when `members` is given. */
  const void *(*member)(void *ctx, const void *object, const char *key, size_t key_len);
  bool (*deeper_than)(void *ctx, const void *node, unsigned levels);
  /* All members of an object in one walk (persona_vm_eval_tree_walk):
   * visit each, stop with false when visit says false. NULL: `member`. */
  bool (*members)(void *ctx, const void *object,
                  bool (*visit)(void *walk, const char *key, size_t len, const void *value), void *walk);
} PgcTreeReader;

typedef struct {
  uint64_t loads;       /* bytecode verified and loaded (cache misses) */
  uint64_t cache_hits;  /* found in the per-process cache by hash */
  uint64_t evictions;   /* models dropped from the full cache */
  uint64_t evaluations; /* records evaluated (ok or not) */
  uint64_t interrupts;  /* evaluations and compilations stopped by the interrupt check */
  uint32_t cached;      /* models in the cache now */
} PgcStats;

/* The check the VM polls during long evaluations (every few thousand
 * instructions); true means "stop". Set once, for every VM made after. */
PGC_INTERNAL void pgc_set_interrupt_check(bool (*check)(void));

PGC_INTERNAL void pgc_free(void *p);

/* Compiles one self-contained source (`import` is refused: a backend must
 * not read the server's files on a user's behalf; nor may `extern fn`
 * load libraries). True with the verified bytecode in *out and *out_len and
 * any warnings as text in *warnings (or NULL). False with the first
 * diagnostic line ("source:3:14: error: …") in *message and the rest of
 * the report (its source line and caret, the other diagnostics) in
 * *detail, or NULL when there is no more. The interrupt check is polled
 * while compiling (a 16 MiB source takes seconds): when it said stop,
 * false with *interrupted and no message (the caller raises the cancel). */
PGC_INTERNAL bool pgc_compile(const char *text, size_t len, char **out, size_t *out_len, char **warnings,
                 char **message, char **detail, bool *interrupted);

/* The model for this bytecode: from the per-process cache (keyed by the
 * SHA-256 of the bytes), or verified, loaded and cached. Returns a new
 * reference, or NULL with *message ("bad magic number", …). */
PGC_INTERNAL PgcModel *pgc_model_get(const void *bytecode, size_t len, char **message);
PGC_INTERNAL void pgc_model_unref(PgcModel *m);

/* Evaluates one profile (JSON text, need not be NUL-terminated) with a
 * state (NULL: first sight) as of now_us (microseconds since the Unix
 * epoch). The result is then readable through the pgc_result_* calls. */
PGC_INTERNAL PgcEvalStatus pgc_eval(PgcModel *m, const char *json, size_t len, const char *state, size_t state_len,
                       int64_t now_us);

/* The same for a profile given as a tree (persona_vm_eval_tree):
 * PGC_EVAL_DECLINED when the tree does not decode cleanly, and then the
 * caller evaluates its text with pgc_eval, whose error is the reference.
 * The callbacks must not raise: they run inside libpersona. */
PGC_INTERNAL PgcEvalStatus pgc_eval_tree(PgcModel *m, const PgcTreeReader *reader, void *ctx, const void *root,
                                         const char *state, size_t state_len, int64_t now_us);

/* The result object as compact JSON (NUL-terminated, owned by the model):
 * the object of `persona eval`, or {"id":…,"error":"…"} for a record error
 * (no "line": a row has none). */
PGC_INTERNAL const char *pgc_result_json(PgcModel *m, size_t *len);
/* NULL after a successful evaluation, else the record's error message. */
PGC_INTERNAL const char *pgc_result_error(PgcModel *m);
PGC_INTERNAL unsigned pgc_result_n_tags(PgcModel *m);
PGC_INTERNAL const char *pgc_result_tag(PgcModel *m, unsigned i);
/* False when the model has no score `name`. */
PGC_INTERNAL bool pgc_result_score(PgcModel *m, const char *name, double *value);
/* The model's score names, comma-separated (for a hint); g_malloc'ed. */
PGC_INTERNAL char *pgc_model_score_names(PgcModel *m);

/* {"name":…,"version":…,"source_sha256":…|null,"bytes":N} as JSON text
 * (g_malloc'ed). */
PGC_INTERNAL char *pgc_model_info_json(PgcModel *m);

PGC_INTERNAL void pgc_stats(PgcStats *out);

#endif
