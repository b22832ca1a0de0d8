/* result.h - writing one evaluation's result as JSON (spec section 6).
 *
 * Keys in a fixed order: id, tags, segments (only when the model declares
 * one), scores, stages, transitions, actions, next_wake, state. Error
 * objects: {"id":…,"line":N,"error":"…","code":"…","field":"…"}.
 *
 * Ownership: results are appended to a GString the caller owns; the VM
 * state is borrowed and not changed.
 */
#ifndef PERSONA_RESULT_H
#define PERSONA_RESULT_H

#include <glib.h>

#include "vm.h"

/* What a result carries besides the standard keys (PersonaResultOptions
 * of persona.h, same bits). */
enum {
  PRESULT_MODEL = 1u << 0,      /* "model":{"name":…,"version":…} after "id" */
  PRESULT_TAG_LABELS = 1u << 1, /* "tag_labels":{TAG:LABEL,…} after "tags" */
  PRESULT_NO_OUTPUT = 1u << 2,  /* the `output { }` block is not run (PVMState.skip_output) */
};

/* The result of the record just evaluated by `st`. */
void presult_write(GString *out, const PVMState *st, PValue key);
/* The same with the PRESULT_* bits of `options`. */
void presult_write_opts(GString *out, const PVMState *st, PValue key, unsigned options);
/* An error object {"id":…,"line":N,"error":"…","code":"…"[,"field":"…"]};
 * `key` may be PV_NULL (the id could not be read), `code` NULL (written as
 * "runtime"), `field` NULL or empty (no "field" key). */
void presult_write_error(GString *out, PValue key, guint64 line, const char *message, const char *code,
                         const char *field);

#endif
