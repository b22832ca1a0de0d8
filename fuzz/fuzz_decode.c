/* fuzz_decode.c - the profile decoder on arbitrary JSON.
 *
 * The bytes are one profile record for the fixed model of fuzz_common.c,
 * whose schema has a field of every type and reads all of them (a field
 * the model never reads is skipped, not decoded). The record is
 *   - evaluated as JSON (persona_vm_eval_json),
 *   - evaluated through the result accessors (persona_vm_eval), which
 *     walk every tag, score, stage, transition and action,
 *   - searched for its key (persona_vm_profile_key),
 * and the same bytes are then given as the *state* of a fixed profile
 * (persona_vm_eval_json_state), which runs the state decoder.
 *
 * The decoder's fast path is also held to its promise on every input:
 * when it takes a record, the general decoder gives the same values (a
 * difference aborts, which the fuzzer reports as a crash).
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "runtime/json_decode_impl.h"
#include "runtime/model.h"

static PersonaVM *vm;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  vm = fuzz_schema_vm_new();
  return 0;
}

/* Reads everything a result offers, as a host would. */
static void walk_result(const PersonaResult *r, GString *out) {
  if (persona_result_error(r)) return;
  persona_result_id_json(r, out);
  for (guint i = 0; i < persona_result_n_tags(r); i++)
    g_string_append(out, persona_result_tag(r, i));
  for (guint i = 0; i < persona_result_n_scores(r); i++)
    g_string_append_printf(out, "%s=%g", persona_result_score_name(r, i),
                           persona_result_score_value(r, i));
  for (guint i = 0; i < persona_result_n_stages(r); i++)
    g_string_append(out, persona_result_stage(r, i));
  for (guint i = 0; i < persona_result_n_transitions(r); i++) {
    PersonaTransition t;
    persona_result_transition(r, i, &t);
    g_string_append(out, t.to);
  }
  for (guint i = 0; i < persona_result_n_actions(r); i++) {
    PersonaAction a;
    persona_result_action(r, i, &a);
    g_string_append(out, a.step);
  }
  gint64 wake;
  if (persona_result_next_wake(r, &wake)) g_string_append_printf(out, "%" G_GINT64_FORMAT, wake);
  persona_result_state_json(r, out);
  persona_result_to_json(r, out);
}

static void check_fast_path(const char *json, size_t size) {
  const PModel *m = (const PModel *)fuzz_schema_model_get(); /* a PersonaModel is a PModel */
  const PDecodePlan *plan = &m->plans[m->profile_plan];
  PArena arena;
  PDecodeResult fast, general;
  pa_init(&arena, 0);
  if (pdec_decode_fast(plan, json, size, FUZZ_NOW_US, &arena, &fast)) {
    bool same = pdec_decode_general(plan, json, size, FUZZ_NOW_US, &arena, &general) &&
                pdec_same_value(fast.key, general.key);
    for (uint32_t f = 0; same && f < plan->n_fields; f++) same = pdec_same_value(fast.fields[f], general.fields[f]);
    if (!same) abort();
  }
  pa_free(&arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *json = (const char *)data;
  check_fast_path(json, size);
  GString *out = g_string_new(NULL);
  persona_vm_eval_json(vm, json, size, FUZZ_NOW_US, 1, out);

  const PersonaResult *r = NULL;
  persona_vm_eval(vm, json, size, NULL, 0, FUZZ_NOW_US, &r);
  walk_result(r, out);

  g_string_truncate(out, 0);
  persona_vm_profile_key(vm, json, size, out);

  GString *state = g_string_new(NULL);
  persona_vm_eval_json_state(vm, fuzz_profile, strlen(fuzz_profile), json, size, FUZZ_NOW_US, 2,
                             out, state);
  g_string_free(state, TRUE);
  g_string_free(out, TRUE);
  return 0;
}
