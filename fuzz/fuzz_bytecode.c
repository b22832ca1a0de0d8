/* fuzz_bytecode.c - the bytecode loader and verifier on arbitrary bytes.
 *
 * A .pbc file ends in a SHA-256 of everything before it, and its header
 * holds the file's length: almost every mutation of a real file would
 * stop at those two checks. So the bytes are loaded twice:
 *   1. as they are (the magic, version, length and checksum checks);
 *   2. as a file whose header and trailer are made right: the magic,
 *      version 1, flags 0 and the length written into the header, and the
 *      checksum recomputed, so the fuzzer reaches the section readers and
 *      pbc_verify() (the bytes after the header and before the trailer are
 *      the fuzzer's).
 * A model that loads is listed, evaluated on two profiles with an
 * instruction budget, and written and read back again (which must work:
 * the writer's output of a verified model must verify).
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "runtime/bytecode.h"

/* A profile in the shape of the examples' schemas (most seeds are the
 * examples compiled), and the fixed model's rich profile. */
static const char bytecode_profile[] =
    "{\"id\":\"p1\",\"industry\":\"manufacturing\",\"region\":\"上海\",\"employees\":800,"
    "\"title\":\"CTO\",\"budget_confirmed\":true,\"phone\":\"13800000000\",\"activated\":true,"
    "\"events\":[{\"type\":\"page_view\",\"at\":\"2026-01-28T10:00:00Z\",\"url\":\"/pricing\"},"
    "{\"type\":\"deal_won\",\"at\":\"2026-01-30T10:00:00Z\",\"amount\":600000}]}";

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  return 0;
}

static void put_u32(guint8 *p, guint32 v) {
  for (int i = 0; i < 4; i++) p[i] = (guint8)(v >> (8 * i));
}

static void put_u64(guint8 *p, guint64 v) {
  for (int i = 0; i < 8; i++) p[i] = (guint8)(v >> (8 * i));
}

/* A copy of data with a valid header and trailer (caller frees). */
static guint8 *fix_up(const uint8_t *data, size_t size) {
  guint8 *copy = g_memdup2(data, size);
  memcpy(copy, PBC_MAGIC, PBC_MAGIC_LEN);
  put_u32(copy + 8, PBC_VERSION);
  put_u32(copy + 12, 0);
  put_u64(copy + 16, size);
  GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
  g_checksum_update(ck, copy, size - PBC_TRAILER_LEN);
  gsize n = PBC_TRAILER_LEN;
  g_checksum_get_digest(ck, copy + size - PBC_TRAILER_LEN, &n);
  g_checksum_free(ck);
  return copy;
}

static void run_model(PersonaModel *model) {
  g_free(persona_model_disasm(model));
  g_free(persona_model_source_hash(model));
  PersonaVM *vm = persona_vm_new(model);
  persona_vm_set_budget(vm, FUZZ_BUDGET);
  GString *out = g_string_new(NULL), *state = g_string_new(NULL);
  persona_vm_eval_json_state(vm, bytecode_profile, strlen(bytecode_profile), NULL, 0, FUZZ_NOW_US,
                             1, out, state);
  persona_vm_eval_json_state(vm, fuzz_profile, strlen(fuzz_profile), state->str, state->len,
                             FUZZ_NOW_US, 2, out, NULL);
  g_string_free(state, TRUE);
  g_string_free(out, TRUE);
  persona_vm_free(vm);

  GBytes *bytes = persona_model_to_bytecode(model, NULL);
  if (!bytes) abort();
  gsize n = 0;
  const guint8 *p = g_bytes_get_data(bytes, &n);
  PersonaModel *again = persona_model_from_bytecode(p, n, NULL);
  g_bytes_unref(bytes);
  if (!again) abort(); /* a verified model, written out, no longer verifies */
  persona_model_unref(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  PersonaModel *model = persona_model_from_bytecode(data, size, NULL);
  if (model) { /* already a valid file: fixing it up changes nothing */
    run_model(model);
    persona_model_unref(model);
    return 0;
  }
  if (size < PBC_HEADER_LEN + PBC_TRAILER_LEN) return 0;
  guint8 *fixed = fix_up(data, size);
  model = persona_model_from_bytecode(fixed, size, NULL);
  g_free(fixed);
  if (model) {
    run_model(model);
    persona_model_unref(model);
  }
  return 0;
}
