/* diff.h - `persona diff OLD NEW PROFILES`: what a model change does to
 * real profiles (docs/diff.md). A component over the public API
 * (include/persona.h); the CLI file tools/cmd_diff.c only parses options
 * and calls pd_run.
 *
 * Both models are evaluated on every profile in one pass over the file
 * (each line is read once into a PersonaRecord that both VMs evaluate, so
 * it is decoded once when the two schemas read it the same way). Only
 * what the report needs is kept per profile: a stage index per lifecycle,
 * a bit per tag, a double per score.
 *
 * Ownership: PdOptions and everything it points to are borrowed for the
 * call; pd_run appends the report to `out` (the caller's GString).
 */
#ifndef PERSONA_DIFF_H
#define PERSONA_DIFF_H

#include <glib.h>

#include "persona.h"

typedef enum { PD_FORMAT_TEXT, PD_FORMAT_JSON, PD_FORMAT_MD, PD_FORMAT_HTML } PdFormat;

/* --max-changed-tag TAG:SHARE. */
typedef struct {
  const char *tag;
  double max_share;
} PdTagGate;

typedef struct {
  const char *old_spec;     /* FILE or REV:PATH (read with `git show`) */
  const char *new_spec;
  const PersonaCompileOptions *compile;
  const char *profiles_path;/* JSON Lines; NULL or "-" for standard input */
  const char *state_path;   /* a state file (docs/state.md) both models start from; NULL: none */
  gint64 now_us;
  guint top;                /* the N most changed profiles listed */
  PdFormat format;
  double max_changed;       /* --max-changed as a fraction; < 0: not set */
  const PdTagGate *tag_gates;
  guint n_tag_gates;
} PdOptions;

/* Runs the diff and appends the report to `out`. Returns the exit status:
 * 0, or 1 when a gate failed (each failure named on stderr) or the diff
 * could not run (a model does not compile, a file cannot be read; the
 * reason on stderr). */
int pd_run(const PdOptions *opts, GString *out);

/* Reads a model's source: FILE, or REV:PATH through `git show REV:PATH`
 * when no file of that name exists. Returns the text (caller frees) or
 * NULL with *error set. */
char *pd_read_model_source(const char *spec, gsize *len, GError **error);

#endif
