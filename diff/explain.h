/* explain.h - the rule behind each change of the most changed profiles of
 * `persona diff` (docs/diff.md, "Most changed profiles").
 *
 * After the pass, each of the --top profiles is explained by both models
 * (persona_vm_explain, JSON, on models compiled with `trace`) and the two
 * explanations are compared: for each tag or segment it gained or lost,
 * the condition (old → new when its text changed) and the operands whose
 * values differ; for each lifecycle whose stage differs, the transitions
 * taken under one model only; for each score that moved, the rules whose
 * contribution differs (matched by their text), or a derived score's
 * definition. Values come from the explanations, which show a pii-derived
 * value as "(hidden: pii)" and never the value.
 *
 * Ownership: fills PdProfileChange.why (owned by the report).
 */
#ifndef PERSONA_DIFF_EXPLAIN_H
#define PERSONA_DIFF_EXPLAIN_H

#include "diff/report.h"

typedef struct {
  PersonaModel *old_model, *new_model; /* compiled with `trace` */
  const char *old_src, *new_src;       /* the root sources (for a derived score's definition) */
  PersonaStateStore *store;            /* NULL: no state */
  gint64 now_us;
} PdExplainInput;

/* Sets `why` of every profile in r->top (those whose record cannot be
 * explained get none). */
void pd_explain_top(PdReport *r, const PdExplainInput *in);

#endif
