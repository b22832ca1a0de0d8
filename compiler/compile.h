/* compile.h - the compiler driver: files and imports -> parse -> check ->
 * lint -> code generation (-> verify, in builds with
 * PERSONA_VERIFY_GENERATED).
 *
 * Ownership: `src` and `diags` are the caller's and receive every file
 * read and every diagnostic; the returned model is new (or NULL when any
 * error was reported).
 */
#ifndef PERSONA_COMPILE_H
#define PERSONA_COMPILE_H

#include "../runtime/model.h"
#include "diag.h"
#include "source.h"

/* Sources larger than this are refused: a model is text a person writes. */
#define PCOMPILE_MAX_SOURCE ((size_t)16 << 20)

typedef struct PCompileOptions {
  const char *const *include_dirs; /* NULL-terminated, or NULL */
  bool use_persona_path;           /* also search $PERSONA_PATH */
  bool trace;                      /* a model for explain and coverage */
  bool score_rules;                /* only the score rules' trace points (PersonaCompileOptions) */
  const struct PersonaNatives *natives; /* host functions registered by the embedder */
  bool allow_native;               /* extern fn may load its library */
  /* Not NULL: no import is read; each is an error with this message and
   * hint (PersonaCompileOptions.imports_refused). */
  const char *imports_refused;
  const char *imports_refused_hint;
  /* Not NULL: a boolean expression over the model's names, compiled as the
   * hidden tag PCOMPILE_WHERE_TAG in a source of its own named "--where"
   * (the expression on its line 2), for `persona eval --where`. */
  const char *where;
  /* Not NULL: NULL-terminated names (or expressions) whose values each
   * result carries as extra columns, each compiled as a hidden let
   * PCOMPILE_COLUMN_PREFIX N in a source of its own named "--select" (the
   * expression on its line 2), always computed; a pii value is an error. */
  const char *const *columns;
  /* Not NULL: polled (with interrupt_data) for each file, between phases
   * and while constants are computed; true stops the compilation with the
   * error PCOMPILE_INTERRUPTED and sets *interrupted (when not NULL). */
  gboolean (*interrupt)(gpointer data);
  gpointer interrupt_data;
  bool *interrupted;
} PCompileOptions;

#define PCOMPILE_INTERRUPTED "compilation interrupted"

#define PCOMPILE_WHERE_TAG "__persona_where"
#define PCOMPILE_COLUMN_PREFIX "__persona_column_"

/* Compiles the root text `text` named `name` (its directory is the base
 * for relative imports). */
PModel *pcompile(const char *name, const char *text, size_t len, const PCompileOptions *opts,
                 PSourceSet *src, PDiagList *diags);

#endif
