/* fuzz_compile.c - the compiler on arbitrary source text.
 *
 * The bytes are one .persona file. Every input is lexed, parsed and, when
 * it parses, checked; the diagnostics are rendered as text and JSON. A
 * model that compiles is also
 *   - listed (persona_model_disasm),
 *   - run on a fixed profile twice, the second time a week later with the
 *     state the first left (the code generator's output through the VM),
 *   - written as bytecode and read back, and the reloaded model must give
 *     byte for byte the same results (else the target aborts: a finding),
 *   - compiled again with trace points, explained (text and JSON, with
 *     the state of a first evaluation) and tested with coverage (its `test`
 *     blocks, which need no input but the model).
 * Imports resolve against a directory that does not exist, so only an
 * absolute path could read a file, and native libraries stay disallowed
 * (the default options).
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

/* A profile in the shape of the shipped examples' schemas (id, employees,
 * title, region, events with type/at/url/campaign): most fuzzed models
 * are mutations of those, so most runs get past decoding. */
static const char compile_profile[] =
    "{\"id\":\"p1\",\"industry\":\"manufacturing\",\"region\":\"上海\",\"employees\":800,"
    "\"title\":\"CTO\",\"budget_confirmed\":true,\"unsubscribed\":false,\"phone\":\"13800000000\","
    "\"plan\":\"pro\",\"seats\":12,\"mrr\":1200.5,\"activated\":true,\"paid\":false,"
    "\"events\":[{\"type\":\"page_view\",\"at\":\"2026-01-28T10:00:00Z\",\"url\":\"/pricing\"},"
    "{\"type\":\"email_click\",\"at\":\"2026-01-29T10:00:00Z\",\"campaign\":\"welcome-1\"},"
    "{\"type\":\"deal_won\",\"at\":\"2026-01-30T10:00:00Z\",\"amount\":600000}]}";

/* The result lines of two evaluations (now, then a week later with the
 * state carried over) appended to `out`. */
static void eval_twice(PersonaModel *model, GString *out) {
  PersonaVM *vm = persona_vm_new(model);
  persona_vm_set_budget(vm, FUZZ_BUDGET);
  GString *state = g_string_new(NULL);
  gsize len = strlen(compile_profile);
  persona_vm_eval_json_state(vm, compile_profile, len, NULL, 0, FUZZ_NOW_US, 1, out, state);
  g_string_append_c(out, '\n');
  persona_vm_eval_json_state(vm, compile_profile, len, state->str, state->len,
                             FUZZ_NOW_US + 7 * FUZZ_DAY_US, 2, out, NULL);
  g_string_free(state, TRUE);
  persona_vm_free(vm);
}

/* The model read back from its own bytecode must load and behave the
 * same. */
static void check_bytecode_round_trip(PersonaModel *model, const GString *expected) {
  GBytes *bytes = persona_model_to_bytecode(model, NULL);
  if (!bytes) abort(); /* only a model with trace points is refused */
  gsize n = 0;
  const guint8 *p = g_bytes_get_data(bytes, &n);
  PersonaModel *again = persona_model_from_bytecode(p, n, NULL);
  g_bytes_unref(bytes);
  if (!again) abort(); /* the loader refused what the writer wrote */
  GString *got = g_string_new(NULL);
  eval_twice(again, got);
  if (!g_string_equal(got, expected)) abort(); /* the reloaded model computes differently */
  g_string_free(got, TRUE);
  persona_model_unref(again);
}

/* The model compiled with trace points (it compiled without, so it
 * must compile with): explanations and test coverage. */
static void explain_and_test(const char *text, size_t size) {
  PersonaCompileOptions opts = {.trace = TRUE};
  PersonaModel *model = persona_compile_source("/nonexistent/fuzz.persona", text, size, &opts,
                                               NULL, NULL);
  if (!model) abort();
  PersonaVM *vm = persona_vm_new(model);
  persona_vm_set_budget(vm, FUZZ_BUDGET);
  GString *out = g_string_new(NULL), *state = g_string_new(NULL);
  gsize len = strlen(compile_profile);
  persona_vm_eval_json_state(vm, compile_profile, len, NULL, 0, FUZZ_NOW_US, 1, out, state);
  persona_vm_explain(vm, compile_profile, len, state->str, state->len, FUZZ_NOW_US + FUZZ_DAY_US, 1,
                     FALSE, out);
  persona_vm_explain(vm, compile_profile, len, NULL, 0, FUZZ_NOW_US, 1, TRUE, out);
  persona_vm_free(vm);

  GString *report = g_string_new(NULL), *junit = g_string_new(NULL), *coverage = g_string_new(NULL);
  guint passed = 0, failed = 0, covered = 0, coverable = 0;
  persona_model_run_tests_full(model, report, junit, coverage, &passed, &failed, &covered,
                               &coverable);
  g_string_free(report, TRUE);
  g_string_free(junit, TRUE);
  g_string_free(coverage, TRUE);
  g_string_free(state, TRUE);
  g_string_free(out, TRUE);
  persona_model_unref(model);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  PersonaDiagnostics *diags = NULL;
  PersonaModel *model = persona_compile_source("/nonexistent/fuzz.persona", (const char *)data,
                                               size, NULL, &diags, NULL);
  g_free(persona_diagnostics_to_text(diags, FALSE));
  g_free(persona_diagnostics_to_json(diags));
  persona_diagnostics_free(diags);
  if (!model) return 0;

  g_free(persona_model_disasm(model));
  GString *out = g_string_new(NULL);
  eval_twice(model, out);
  check_bytecode_round_trip(model, out);
  g_string_free(out, TRUE);

  persona_model_unref(model);
  explain_and_test((const char *)data, size);
  return 0;
}
