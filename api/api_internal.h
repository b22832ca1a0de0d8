/* api_internal.h - what the library facade's files (api/) share: the VM
 * behind a PersonaVM and the lists behind a PersonaDiagnostics. Not
 * installed; nothing outside api/ includes it.
 *
 * Ownership: a PersonaVM owns its PVMState and holds a reference to its
 * model; a PersonaDiagnostics owns its diagnostics list and the source
 * texts they quote.
 */
#ifndef PERSONA_API_INTERNAL_H
#define PERSONA_API_INTERNAL_H

#include "persona.h"
#include "compiler/diag.h"
#include "compiler/source.h"
#include "runtime/json_tree.h"
#include "runtime/vm.h"

/* What persona_vm_record_rules keeps (api/rules_api.c): per score (index
 * in declaration order) its output and the first of its rules in the flat
 * arrays, which hold each rule's points and whether it fired in the last
 * evaluation. */
typedef struct PRuleRecord {
  guint n_scores;
  uint32_t *output;   /* n_scores: the score's index in PModel.outputs */
  uint32_t *first;    /* n_scores + 1: its first rule; first[n_scores] = all rules */
  uint32_t *flat_of;  /* per output: its first rule, for the trace callback */
  double *points;
  guint8 *fired;
} PRuleRecord;

/* Clears the rules' record before an evaluation (no-op when not recording). */
void papi_rules_reset(PersonaVM *vm);
/* Frees the record (persona_vm_free). */
void papi_rules_free(PRuleRecord *r);

struct PersonaVM {
  PersonaModel *model;
  PVMState st;
  /* The last evaluation, for the PersonaResult accessors (a PersonaResult
   * is the VM itself): its key and whether it succeeded. */
  PValue last_key;
  bool last_ok;
  unsigned result_options; /* PersonaResultOptions for the JSON results */
  GTimeZone *input_tz;     /* owned; lent to st.input_tz */
  char last_error[384];
  const char *last_code;  /* static: the error's stable code */
  char last_field[192];   /* the error's field path, empty when none */
  PRuleRecord *rules;     /* owned: persona_vm_record_rules is on; else NULL */
  /* Per POutputKind, the index in PModel.outputs of each output of that
   * kind in order (owned): the accessors that take "the i-th tag" or "the
   * i-th score" find it at once (persona diff reads every one per record). */
  uint32_t *outputs_of_kind[3];
  uint32_t n_outputs_of_kind[3];
  PTreeMemo tree_memo;    /* persona_vm_eval_tree_walk's, from record to record */
};

/* The profile is decoded and set in vm->st (st->profile, st->key, the
 * arena reset, now set): reads its state, evaluates, and writes the result
 * or the error object to `out` and the new state to `state_out` (either may
 * be NULL). api.c; persona_vm_eval_record (record_api.c) shares it. */
PersonaEvalStatus papi_eval_decoded(PersonaVM *vm, PValue key, const char *state_json, gsize state_len,
                                    guint64 line_no, GString *out, GString *state_out);

struct PersonaDiagnostics {
  PDiagList *list;
  PSourceSet *src;
};

/* Hands `list` and `src` to the caller as a PersonaDiagnostics when `out`
 * is not NULL, else frees them: the end of every call that may return
 * diagnostics. */
static inline void papi_give_diagnostics(PDiagList *list, PSourceSet *src, PersonaDiagnostics **out) {
  if (out) {
    PersonaDiagnostics *d = g_new0(PersonaDiagnostics, 1);
    d->list = list;
    d->src = src;
    *out = d;
  } else {
    pdiag_free(list);
    psrc_free(src);
  }
}

#endif
