/* fuzz_insns.c - the verifier and the VM on instruction sequences.
 *
 * Byte flips of a .pbc file (fuzz_bytecode) rarely make a sequence that
 * both verifies and does something new. This target builds one: the
 * fixed model of fuzz_common.c, with the code of one of its blocks
 * replaced by instructions decoded from the input, eight bytes each:
 *
 *   byte 0      which block (modulo the number of blocks)
 *   byte 1      the block's register count (1..32)
 *   then, per instruction: opcode (modulo the opcode count), x, A, B, C
 *   (registers modulo the count, or raw when the top bit of byte 1 of the
 *   instruction is set), and a Bx/sBx folded from the last three bytes
 *   (small: globals, constants, jumps of a few instructions);
 *   LOADNULL of every register comes first and a RET of register 0 last.
 *
 * The model goes through the writer and the loader (so pbc_verify()
 * judges it, as it would a file). One that loads is evaluated on three
 * profiles with one VM and again with a new VM per profile: the outputs
 * must be the same, byte for byte (nothing of one record may reach the
 * next: globals, registers, distinct-sets), else abort(). Run under ASan
 * a stale pointer would also be reported.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "runtime/bytecode.h"

/* Block 5 is tag early (global 0), block 6 let greeting (global 1): the
 * seeds in fuzz/seeds/insns/ rely on these numbers. */
static const char insns_model[] =
    "model insns version \"1\"\n"
    "record ev {\n  kind: string\n  at: time\n  n: int = 0\n}\n"
    "schema {\n  id: string key\n  name: string = \"\"\n  email: string? pii\n"
    "  evs: list<ev> = []\n  tags: list<string> = []\n}\n"
    "tag early when name == \"zzz\"\n"
    "let greeting = \"hi \" + name\n"
    "let contact = (email ?? \"\") + \"!\"\n"
    "let labels = tags\n"
    "let kinds = distinct(kind of evs)\n"
    "tag late when len(greeting) > 3 and len(labels) > 0\n"
    "tag reachable when len(contact) > 1 and kinds > 0\n"
    "score s max 50 {\n  +10 per evs where kind == \"view\" cap 30\n}\n"
    "lifecycle st {\n  initial new\n  new -> active when s >= 5\n}\n";

static const char *const insns_profiles[3] = {
    "{\"id\":\"a\",\"name\":\"annabelle\",\"email\":\"secret@example.com\",\"tags\":[\"x\",\"y\"],"
    "\"evs\":[{\"kind\":\"view\",\"at\":\"2026-01-30T00:00:00Z\"},{\"kind\":\"buy\",\"at\":\"2026-01-31\",\"n\":3}]}",
    "{\"id\":\"b\"}",
    "{\"id\":\"c\",\"name\":\"cy\",\"tags\":[\"z\"],\"evs\":[{\"kind\":\"view\",\"at\":\"2026-01-29\"}]}",
};

static GBytes *template_image;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  PersonaModel *m = persona_compile_source("insns.persona", insns_model, strlen(insns_model), NULL, NULL, NULL);
  if (!m) abort();
  template_image = persona_model_to_bytecode(m, NULL);
  persona_model_unref(m);
  if (!template_image) abort();
  return 0;
}

static PModel *template_copy(void) {
  gsize n = 0;
  const guint8 *p = g_bytes_get_data(template_image, &n);
  PersonaModel *m = persona_model_from_bytecode(p, n, NULL);
  if (!m) abort();
  return (PModel *)m;
}

/* Instruction k of the input (8 bytes at data). */
static PInsn decode_insn(const uint8_t *d, uint32_t n_regs) {
  PInsn i = {0};
  i.op = (uint8_t)(d[0] % OP__COUNT);
  i.x = d[1] & 0x7f;
  bool raw = (d[1] & 0x80) != 0;
  i.a = raw ? d[2] : (uint16_t)(d[2] % n_regs);
  POpFormat fmt = (POpFormat)popcode_info[i.op].format;
  if (fmt == PFMT_ABx || fmt == PFMT_AsBx || fmt == PFMT_sBx) {
    int32_t v = (int32_t)((uint32_t)d[3] | (uint32_t)d[4] << 8) % 64;
    i.sbx = (d[5] & 1) ? -v : v;
    if (fmt == PFMT_ABx) i.bx = (uint32_t)(v < 0 ? -v : v);
  } else {
    i.b = raw ? (uint16_t)(d[3] | d[4] << 8) : (uint16_t)(d[3] % n_regs);
    i.c = raw ? (uint16_t)(d[5] | d[6] << 8) : (uint16_t)(d[5] % n_regs);
    if (i.op == OP_MKLIST || i.op == OP_MKREC || i.op == OP_GETF || i.op == OP_CALL) i.c = d[6] % 4;
  }
  return i;
}

static char *eval_profiles(PersonaModel *m, bool fresh_each) {
  GString *out = g_string_new(NULL);
  PersonaVM *vm = NULL;
  for (int k = 0; k < 3; k++) {
    if (!vm) {
      vm = persona_vm_new(m);
      persona_vm_set_budget(vm, FUZZ_BUDGET);
    }
    persona_vm_eval_json(vm, insns_profiles[k], strlen(insns_profiles[k]), FUZZ_NOW_US, k + 1, out);
    g_string_append_c(out, '\n');
    if (fresh_each) {
      persona_vm_free(vm);
      vm = NULL;
    }
  }
  if (vm) persona_vm_free(vm);
  return g_string_free(out, FALSE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2 || size > 2 + 8 * 512) return 0;
  PModel *pm = template_copy();
  PBlock *b = &pm->blocks[data[0] % pm->n_blocks];
  uint32_t n_regs = 1 + data[1] % 32;
  uint32_t n = (uint32_t)((size - 2) / 8);
  uint32_t total = n_regs + n + 1;
  g_free(b->code);
  g_free(b->locs);
  b->code = g_new0(PInsn, total);
  b->locs = g_new0(PInsnLoc, total);
  /* Every register starts null, so that the verifier's "written before
   * read" rule does not refuse nearly every sequence. */
  for (uint32_t r = 0; r < n_regs; r++) b->code[r] = (PInsn){.op = OP_LOADNULL, .a = (uint16_t)r};
  for (uint32_t k = 0; k < n; k++) b->code[n_regs + k] = decode_insn(data + 2 + 8 * k, n_regs);
  b->code[total - 1] = (PInsn){.op = OP_RET, .a = 0};
  b->n_code = total;
  b->n_regs = n_regs;
  if (pm->max_regs < n_regs) pm->max_regs = n_regs;

  GBytes *bytes = persona_model_to_bytecode((PersonaModel *)pm, NULL);
  persona_model_unref((PersonaModel *)pm);
  if (!bytes) return 0;
  gsize len = 0;
  const guint8 *p = g_bytes_get_data(bytes, &len);
  PersonaModel *m = persona_model_from_bytecode(p, len, NULL);
  g_bytes_unref(bytes);
  if (!m) return 0;
  char *together = eval_profiles(m, false);
  char *alone = eval_profiles(m, true);
  if (strcmp(together, alone) != 0) abort(); /* a record saw another's values */
  g_free(together);
  g_free(alone);
  persona_model_unref(m);
  return 0;
}
