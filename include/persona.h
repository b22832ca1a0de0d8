/* persona.h - the public API of libpersona.
 *
 * Compile a .persona model once, then evaluate profile records with it:
 *
 *   g_autoptr(PersonaDiagnostics) diags = NULL;
 *   g_autoptr(GError) error = NULL;
 *   PersonaModel *model = persona_compile_file("b2b.persona", NULL, &diags, &error);
 *   PersonaVM *vm = persona_vm_new(model);
 *   GString *out = g_string_new(NULL);
 *   persona_vm_eval_json(vm, line, len, now_us, line_no, out);   // one JSON object
 *
 * Threads: a PersonaModel is immutable after compilation and may be shared
 * by any number of threads; a PersonaVM belongs to one thread at a time.
 *
 * Ownership is stated on every function. Nothing here starts threads,
 * installs signal handlers, reads the time zone or the locale, or aborts on
 * bad input: bad input comes back as diagnostics, GErrors, or error results.
 */
#ifndef PERSONA_H
#define PERSONA_H

#include <glib.h>

G_BEGIN_DECLS

#if defined(PERSONA_BUILDING_LIBRARY)
#define PERSONA_API __attribute__((visibility("default")))
#else
#define PERSONA_API
#endif

#define PERSONA_ERROR (persona_error_quark())
PERSONA_API GQuark persona_error_quark(void);

typedef enum {
  PERSONA_ERROR_IO,       /* a file could not be read or written */
  PERSONA_ERROR_COMPILE,  /* the model has errors (see the diagnostics) */
  PERSONA_ERROR_INVALID,  /* an argument is malformed (e.g. a time) */
} PersonaErrorCode;

typedef struct PersonaModel PersonaModel;
typedef struct PersonaVM PersonaVM;
typedef struct PersonaDiagnostics PersonaDiagnostics;

typedef struct PersonaCompileOptions {
  /* Directories searched for `import "x"` after the importing file's own
   * directory, in order; NULL-terminated, borrowed for the call. */
  const char *const *include_dirs;
  /* Also search the directories of $PERSONA_PATH (colon-separated) after
   * include_dirs. */
  gboolean use_persona_path;
} PersonaCompileOptions;

/* Compiles the model in `path` and its imports. Returns a new model (free
 * with persona_model_unref) or NULL. Diagnostics (errors and warnings) are
 * returned in *diags when diags is not NULL, whether or not compilation
 * succeeded (the caller owns them). *error is set when NULL is returned:
 * PERSONA_ERROR_IO if the file could not be read, PERSONA_ERROR_COMPILE if
 * the model has errors. */
PERSONA_API PersonaModel *persona_compile_file(const char *path,
                                               const PersonaCompileOptions *opts,
                                               PersonaDiagnostics **diags,
                                               GError **error);
/* Same, from text in memory; `name` is used in diagnostics and as the base
 * for relative imports. The text is copied. */
PERSONA_API PersonaModel *persona_compile_source(const char *name,
                                                 const char *text, gsize len,
                                                 const PersonaCompileOptions *opts,
                                                 PersonaDiagnostics **diags,
                                                 GError **error);

PERSONA_API PersonaModel *persona_model_ref(PersonaModel *model);
PERSONA_API void persona_model_unref(PersonaModel *model);
/* The `model NAME version "V"` declaration; borrowed from the model. */
PERSONA_API const char *persona_model_name(const PersonaModel *model);
PERSONA_API const char *persona_model_version(const PersonaModel *model);
/* A readable listing of the model's bytecode (caller frees). */
PERSONA_API char *persona_model_disasm(const PersonaModel *model);

PERSONA_API guint persona_diagnostics_errors(const PersonaDiagnostics *d);
PERSONA_API guint persona_diagnostics_warnings(const PersonaDiagnostics *d);
/* `file:line:col: error: message`, source line, caret, hint; caller frees. */
PERSONA_API char *persona_diagnostics_to_text(const PersonaDiagnostics *d,
                                              gboolean color);
/* {"diagnostics":[…],"errors":N,"warnings":M}\n; caller frees. */
PERSONA_API char *persona_diagnostics_to_json(const PersonaDiagnostics *d);
PERSONA_API void persona_diagnostics_free(PersonaDiagnostics *d);

/* A VM for one thread; it keeps a reference to the model. */
PERSONA_API PersonaVM *persona_vm_new(PersonaModel *model);
PERSONA_API void persona_vm_free(PersonaVM *vm);

typedef enum {
  PERSONA_EVAL_OK = 0,
  PERSONA_EVAL_RECORD_ERROR = 1, /* the record could not be evaluated */
} PersonaEvalStatus;

/* Evaluates one profile record given as JSON text (`json` need not be
 * NUL-terminated) as of `now_us` (microseconds since the Unix epoch, UTC).
 * Appends exactly one compact JSON object, without a newline, to `out`:
 * the result of spec section 6, or {"id":…,"line":LINE_NO,"error":"…"}
 * when the record cannot be evaluated (then PERSONA_EVAL_RECORD_ERROR is
 * returned). */
PERSONA_API PersonaEvalStatus persona_vm_eval_json(PersonaVM *vm,
                                                   const char *json, gsize len,
                                                   gint64 now_us,
                                                   guint64 line_no,
                                                   GString *out);

/* Parses an RFC 3339 time, a date, or Unix seconds (as text) into
 * microseconds since the epoch. */
PERSONA_API gboolean persona_time_parse(const char *text, gint64 *out_us);
/* The wall clock now, in microseconds since the epoch (UTC). */
PERSONA_API gint64 persona_time_now(void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PersonaModel, persona_model_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PersonaVM, persona_vm_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PersonaDiagnostics, persona_diagnostics_free)

G_END_DECLS

#endif
