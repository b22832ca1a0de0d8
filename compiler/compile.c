/* compile.c - the compiler driver; see compile.h. */
#include "compile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../grammar/parse.h"
#include "../runtime/file_target.h"
#include "../runtime/bytecode.h"
#include "check.h"
#include "codegen.h"
#include "lint.h"

static char *resolved_path(const char *path) {
  char *r = realpath(path, NULL);
  if (!r) return g_strdup(path);
  char *copy = g_strdup(r);
  free(r);
  return copy;
}

/* The places an import is looked for, in order: the importing file's
 * directory, the -I directories, then $PERSONA_PATH. */
static GPtrArray *import_dirs(const char *importer, const PCompileOptions *opts) {
  GPtrArray *dirs = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(dirs, g_path_get_dirname(importer));
  for (int i = 0; opts && opts->include_dirs && opts->include_dirs[i]; i++)
    g_ptr_array_add(dirs, g_strdup(opts->include_dirs[i]));
  const char *env = opts && opts->use_persona_path ? g_getenv("PERSONA_PATH") : NULL;
  if (env) {
    char **parts = g_strsplit(env, ":", -1);
    for (int i = 0; parts[i]; i++)
      if (parts[i][0]) g_ptr_array_add(dirs, g_strdup(parts[i]));
    g_strfreev(parts);
  }
  return dirs;
}

/* The directories imports may be read from (resolved): the root model's
 * directory, the -I directories and those of $PERSONA_PATH — the ones a
 * person chose. A file elsewhere (an absolute path, "../..", a symbolic
 * link out) is refused before it is opened: a diagnostic quotes the lines
 * of a file that does not parse, so reading /etc/shadow as a model would
 * print it. docs/language.md, "Imports". */
static GPtrArray *import_roots(const PSourceSet *src, const PCompileOptions *opts) {
  g_autoptr(GPtrArray) dirs = import_dirs(psrc_file(src, 0)->name, opts);
  GPtrArray *roots = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < dirs->len; i++) {
    char *r = realpath(g_ptr_array_index(dirs, i), NULL);
    if (!r) continue;
    g_ptr_array_add(roots, g_strdup(r));
    free(r);
  }
  return roots;
}

static bool inside_roots(const GPtrArray *roots, const char *real) {
  for (guint i = 0; i < roots->len; i++) {
    const char *root = g_ptr_array_index(roots, i);
    size_t n = strlen(root);
    if (strncmp(real, root, n) == 0 && (real[n] == '/' || (n > 0 && root[n - 1] == '/'))) return true;
  }
  return false;
}

static bool read_source(const char *path, char **text, gsize *len, char **why) {
  GError *err = NULL;
  /* Checked while reading: a huge or endless import never fills memory. */
  if (!pfile_read_bounded(path, PCOMPILE_MAX_SOURCE, text, len, &err)) {
    *why = g_strdup(err->message);
    g_error_free(err);
    return false;
  }
  return true;
}

/* Loads one `import "x"` of file `from`; adds and parses it unless it was
 * loaded before (imports form a set: cycles and repeats are harmless). */
static void load_import(PAst *ast, PSourceSet *src, PDiagList *diags, const PCompileOptions *opts,
                        uint32_t from, PDecl *d) {
  if (opts && opts->imports_refused) {
    pdiag_add(diags, PDIAG_ERROR, &d->loc, opts->imports_refused_hint, "%s", opts->imports_refused);
    return;
  }
  const PSourceFile *importer = psrc_file(src, from);
  g_autoptr(GPtrArray) dirs = import_dirs(importer->name, opts);
  GString *searched = g_string_new(NULL);
  for (guint i = 0; i < dirs->len; i++) {
    g_autofree char *cand = g_path_is_absolute(d->text)
                                ? g_strdup(d->text)
                                : g_build_filename(g_ptr_array_index(dirs, i), d->text, NULL);
    if (!g_file_test(cand, G_FILE_TEST_IS_REGULAR)) {
      g_string_append_printf(searched, "%s%s", searched->len ? ", " : "",
                             (const char *)g_ptr_array_index(dirs, i));
      continue;
    }
    g_autofree char *real = resolved_path(cand);
    g_autoptr(GPtrArray) roots = import_roots(src, opts);
    if (!inside_roots(roots, real)) {
      pdiag_add(diags, PDIAG_ERROR, &d->loc, "to allow it, give its directory with -I DIR",
                "import '%s' is outside the model's directory and the -I directories; it was not read", d->text);
      g_string_free(searched, TRUE);
      return;
    }
    if (psrc_find_path(src, real) >= 0) {
      g_string_free(searched, TRUE);
      return;
    }
    char *text = NULL, *why = NULL;
    gsize len = 0;
    if (!read_source(cand, &text, &len, &why)) {
      pdiag_error(diags, &d->loc, "cannot read import '%s': %s", d->text, why);
      g_free(why);
    } else {
      uint32_t f = psrc_add(src, cand, real, text, len);
      g_free(text);
      pparse_file(ast, src, f, diags);
    }
    g_string_free(searched, TRUE);
    return;
  }
  pdiag_add(diags, PDIAG_ERROR, &d->loc, NULL, "cannot find import '%s' (searched: %s)", d->text,
            searched->str);
  g_string_free(searched, TRUE);
}

/* In builds with PERSONA_VERIFY_GENERATED (CMakeLists.txt: Debug and
 * RelWithDebInfo, the builds the tests run in), every model the code
 * generator makes goes through the bytecode verifier, as a model read
 * from a file does: a code-generator bug then fails at once, in whichever
 * test compiles the model, instead of as a wrong result somewhere. */
static void verify_generated(const PModel *m) {
#ifdef PERSONA_VERIFY_GENERATED
  GError *err = NULL;
  if (!pbc_verify_generated(m, &err))
    g_error("the code generator made code the verifier refuses (model %s): %s", m->name, err->message);
#else
  (void)m;
#endif
}

/* Whether to stop: `already` (a phase saw the hook say stop) or the
 * host's interrupt hook says so now. The error is reported once; after it
 * *stopped stays true. */
static bool stop_here(const PCompileOptions *opts, bool *stopped, PDiagList *diags, bool already) {
  if (*stopped) return true;
  if (!already && !(opts && opts->interrupt && opts->interrupt(opts->interrupt_data))) return false;
  *stopped = true;
  pdiag_add(diags, PDIAG_ERROR, NULL, NULL, PCOMPILE_INTERRUPTED);
  return true;
}

static PModel *compile_tree(const char *name, const char *text, size_t len, const PCompileOptions *opts,
                            PSourceSet *src, PDiagList *diags, bool *stopped);

PModel *pcompile(const char *name, const char *text, size_t len, const PCompileOptions *opts,
                 PSourceSet *src, PDiagList *diags) {
  bool stopped = false;
  PModel *m = compile_tree(name, text, len, opts, src, diags, &stopped);
  if (opts && opts->interrupted) *opts->interrupted = stopped;
  pdiag_sort(diags);
  return m;
}

/* The phases, each polling the host's interrupt hook (PCompileOptions):
 * the parser every few thousand tokens, the checker per declaration, code
 * generation per unit and constant, and this function between them. */
static PModel *compile_tree(const char *name, const char *text, size_t len, const PCompileOptions *opts,
                            PSourceSet *src, PDiagList *diags, bool *stopped) {
  g_autoptr(PAst) ast = past_new();
  if (opts) {
    ast->interrupt = opts->interrupt;
    ast->interrupt_data = opts->interrupt_data;
  }
  g_autofree char *real = resolved_path(name);
  uint32_t root = psrc_add(src, name, real, text, len);
  pparse_file(ast, src, root, diags);
  /* ast->files grows as imports are parsed: walk it until it stops. */
  for (guint fi = 0; fi < ast->files->len; fi++) {
    if (stop_here(opts, stopped, diags, ast->interrupted)) return NULL;
    PFileAst *fa = g_ptr_array_index(ast->files, fi);
    for (guint k = 0; k < fa->decls->len; k++) {
      PDecl *d = g_ptr_array_index(fa->decls, k);
      if (d->kind == PD_IMPORT && d->text) load_import(ast, src, diags, opts, fa->file, d);
    }
  }
  if (opts && opts->where) {
    /* The expression alone on line 2, so a diagnostic quotes just it. */
    g_autofree char *where = g_strdup_printf("tag " PCOMPILE_WHERE_TAG " when (\n%s\n)\n", opts->where);
    uint32_t f = psrc_add(src, "--where", "", where, strlen(where));
    pparse_file(ast, src, f, diags);
  }
  for (guint i = 0; opts && opts->columns && opts->columns[i]; i++) {
    g_autofree char *column =
        g_strdup_printf("let " PCOMPILE_COLUMN_PREFIX "%u = (\n%s\n)\n", i, opts->columns[i]);
    uint32_t f = psrc_add(src, "--select", "", column, strlen(column));
    pparse_file(ast, src, f, diags);
  }
  if (stop_here(opts, stopped, diags, ast->interrupted)) return NULL;
  /* Names and types of a tree with syntax errors would only add cascades
   * (a declaration that did not parse is "unknown" everywhere). */
  if (diags->n_errors > 0) return NULL;
  g_autoptr(PCheck) c = pcheck_new(ast, src, diags);
  if (opts) {
    c->registry = opts->natives;
    c->allow_native = opts->allow_native;
    c->interrupt = opts->interrupt;
    c->interrupt_data = opts->interrupt_data;
  }
  /* Lints need a tree without errors: names resolved, every node
   * typed. */
  bool checked = pcheck_run(c);
  if (stop_here(opts, stopped, diags, c->interrupted) || !checked) return NULL;
  plint_run(c);
  PModel *m = pcodegen_model(c, opts && opts->trace, opts && opts->score_rules);
  if (stop_here(opts, stopped, diags, c->interrupted)) {
    if (m) pmodel_unref(m);
    return NULL;
  }
  if (m) verify_generated(m);
  return m;
}
