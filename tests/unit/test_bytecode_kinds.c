/* test_bytecode_kinds.c - the verifier's kind analysis (runtime/verify_kinds.c):
 * crafted blocks that read a register of the wrong kind, one per class of
 * instruction, each refused with the block, the instruction, the register
 * and the kinds named; the shapes of records and lists (what MKREC and
 * MKLIST were given, constants, the schema), through merges and globals. */
#include <string.h>

#include <glib.h>

#include "persona.h"
#include "runtime/bytecode.h"

#define NOW G_GINT64_CONSTANT(1769904000000000) /* 2026-02-01T00:00:00Z */

/* The blocks the cases replace or read: "tag t1" (replaced by the crafted
 * code), "let sorted" (sort's call site), "tag t2" (reads the global
 * sorted), "score s" (its result must be a number). */
static const char kinds_source[] =
    "model k version \"1\"\n"
    "schema {\n"
    "  id: string key\n"
    "  name: string = \"\"\n"
    "  tags: list<string> = []\n"
    "}\n"
    "let sorted = sort(tags)\n"
    "tag t1 when len(name) > 0\n"
    "tag t2 when len(sorted) > 1\n"
    "score s {\n"
    "  +1 when t1\n"
    "}\n";

static const char *const kinds_profiles[] = {
    "{\"id\":\"a\",\"name\":\"ann\",\"tags\":[\"y\",\"x\"]}",
    "{\"id\":\"b\"}",
};

static PersonaModel *compile_text(const char *text) {
  g_autoptr(GError) error = NULL;
  PersonaModel *m = persona_compile_source("k.persona", text, strlen(text), NULL, NULL, &error);
  g_assert_no_error(error);
  return m;
}

static uint32_t block_named(const PModel *m, const char *name) {
  for (uint32_t i = 0; i < m->n_blocks; i++)
    if (strcmp(m->blocks[i].name, name) == 0) return i;
  g_assert_not_reached();
  return 0;
}

static const PInsn *find_op(const PModel *m, const char *block, uint8_t op) {
  const PBlock *b = &m->blocks[block_named(m, block)];
  for (uint32_t pc = 0; pc < b->n_code; pc++)
    if (b->code[pc].op == op) return &b->code[pc];
  g_assert_not_reached();
  return NULL;
}

static uint32_t string_const(const PModel *m) {
  for (uint32_t k = 0; k < m->n_consts; k++)
    if (m->consts[k].kind == PV_STRING) return k;
  g_assert_not_reached();
  return 0;
}

/* Replaces the code of block `name` (its locations: the block's first). */
static void set_code(PModel *m, const char *name, const PInsn *code, uint32_t n, uint32_t n_regs) {
  PBlock *b = &m->blocks[block_named(m, name)];
  PInsnLoc loc = b->locs[0];
  g_free(b->code);
  g_free(b->locs);
  b->code = g_memdup2(code, sizeof(PInsn) * n);
  b->locs = g_new(PInsnLoc, n);
  for (uint32_t k = 0; k < n; k++) b->locs[k] = loc;
  b->n_code = n;
  b->n_regs = n_regs;
}

/* Writes the model and reads it back: the reader verifies. */
static PersonaModel *round_trip(const PersonaModel *m, GError **error) {
  g_autoptr(GError) werr = NULL;
  g_autoptr(GBytes) b = persona_model_to_bytecode(m, &werr);
  g_assert_no_error(werr);
  gsize len;
  const guint8 *data = g_bytes_get_data(b, &len);
  return persona_model_from_bytecode(data, len, error);
}

/* Crafted code for "tag t1": a model whose constants, call sites and
 * record types the builder may use. */
typedef struct Craft {
  PInsn code[16];
  uint32_t n, regs;
} Craft;

typedef void (*CraftFn)(const PModel *m, Craft *c);

#define I(...) ((PInsn){__VA_ARGS__})
#define PUT(c, ...) ((c)->code[(c)->n++] = I(__VA_ARGS__))

/* R0 := a string; R1 := 1.0 */
static void str_and_num(const PModel *m, Craft *c) {
  PUT(c, .op = OP_LOADK, .a = 0, .bx = string_const(m));
  PUT(c, .op = OP_LOADINT, .a = 1, .sbx = 1);
  PUT(c, .op = OP_I2N, .a = 1, .b = 1);
}

/* R0 := record(1, 2), R1 and R2 the ints */
static void record_of_ints(Craft *c) {
  PUT(c, .op = OP_LOADINT, .a = 1, .sbx = 1);
  PUT(c, .op = OP_LOADINT, .a = 2, .sbx = 2);
  PUT(c, .op = OP_MKREC, .a = 0, .b = 1, .c = 2);
}

static void list_of_ints(Craft *c) {
  PUT(c, .op = OP_LOADINT, .a = 1, .sbx = 1);
  PUT(c, .op = OP_LOADINT, .a = 2, .sbx = 2);
  PUT(c, .op = OP_MKLIST, .a = 0, .b = 1, .c = 2);
}

static void ret(Craft *c, uint16_t r) { PUT(c, .op = OP_RET, .a = r); }

static void c_addn_string(const PModel *m, Craft *c) {
  str_and_num(m, c);
  PUT(c, .op = OP_ADDN, .a = 2, .b = 0, .c = 1);
  ret(c, 2);
}

static void c_divn_record(const PModel *m, Craft *c) {
  record_of_ints(c);
  PUT(c, .op = OP_DIVN, .a = 3, .b = 0, .c = 0);
  ret(c, 3);
}

static void c_maxv_list(const PModel *m, Craft *c) {
  list_of_ints(c);
  PUT(c, .op = OP_MAXV, .a = 3, .b = 0, .c = 0);
  ret(c, 3);
}

static void c_lti_string(const PModel *m, Craft *c) {
  str_and_num(m, c);
  PUT(c, .op = OP_LOADINT, .a = 1, .sbx = 3);
  PUT(c, .op = OP_LTI, .a = 2, .b = 1, .c = 0);
  ret(c, 2);
}

static void c_inci_string(const PModel *m, Craft *c) {
  str_and_num(m, c);
  PUT(c, .op = OP_INCI, .a = 0);
  ret(c, 0);
}

static void c_i2n_string(const PModel *m, Craft *c) {
  str_and_num(m, c);
  PUT(c, .op = OP_I2N, .a = 2, .b = 0);
  ret(c, 2);
}

static void c_decay_int(const PModel *m, Craft *c) {
  PUT(c, .op = OP_LOADINT, .a = 0, .sbx = 5);
  PUT(c, .op = OP_LOADK, .a = 1, .bx = string_const(m));
  PUT(c, .op = OP_DECAY, .a = 2, .b = 0, .c = 0);
  ret(c, 2);
}

/* len(s) given an int: the built-in would read the int's bits as a
 * pointer. */
static void c_call_int_as_string(const PModel *m, Craft *c) {
  PUT(c, .op = OP_LOADINT, .a = 0, .sbx = 5);
  PUT(c, .op = OP_CALL, .a = 0, .bx = find_op(m, "tag t1", OP_CALL)->bx);
  ret(c, 0);
}

/* sort() of a list of ints: each element read as a string. */
static void c_sort_ints(const PModel *m, Craft *c) {
  list_of_ints(c);
  PUT(c, .op = OP_CALL, .a = 0, .bx = find_op(m, "let sorted", OP_CALL)->bx);
  ret(c, 0);
}

static void c_getf_string(const PModel *m, Craft *c) {
  str_and_num(m, c);
  PUT(c, .op = OP_GETF, .a = 2, .b = 0, .c = 0);
  ret(c, 2);
}

static void c_len_string(const PModel *m, Craft *c) {
  str_and_num(m, c);
  PUT(c, .op = OP_LEN, .a = 2, .b = 0);
  ret(c, 2);
}

/* for x in "a string": FORNEXT reads its list */
static void c_loop_string(const PModel *m, Craft *c) {
  PUT(c, .op = OP_LOADK, .a = 0, .bx = string_const(m));
  PUT(c, .op = OP_FORPREP, .a = 0);
  PUT(c, .op = OP_FORNEXT, .a = 0, .sbx = 1);
  PUT(c, .op = OP_JMP, .sbx = -2);
  PUT(c, .op = OP_LOADBOOL, .a = 3, .b = 1);
  ret(c, 3);
}

/* Lists compared: their order would be their addresses'. */
static void c_lt_lists(const PModel *m, Craft *c) {
  list_of_ints(c);
  PUT(c, .op = OP_LT, .a = 3, .b = 0, .c = 0);
  ret(c, 3);
}

static void c_concat_int(const PModel *m, Craft *c) {
  str_and_num(m, c);
  PUT(c, .op = OP_LOADINT, .a = 1, .sbx = 3);
  PUT(c, .op = OP_CONCAT, .a = 2, .b = 0, .c = 1);
  ret(c, 2);
}

static void c_jmpf_int(const PModel *m, Craft *c) {
  PUT(c, .op = OP_LOADINT, .a = 0, .sbx = 1);
  PUT(c, .op = OP_JMPF, .a = 0, .sbx = 0);
  ret(c, 0);
}

static void c_eqsk_int(const PModel *m, Craft *c) {
  PUT(c, .op = OP_LOADINT, .a = 0, .sbx = 1);
  PUT(c, .op = OP_EQSK, .a = 1, .b = 0, .c = (uint16_t)string_const(m));
  ret(c, 1);
}

/* An int on one path, a string on the other: at the merge R1 may be
 * either, and ADDI reads it. */
static void c_join(const PModel *m, Craft *c) {
  PUT(c, .op = OP_LOADBOOL, .a = 0, .b = 1);
  PUT(c, .op = OP_JMPF, .a = 0, .sbx = 2);
  PUT(c, .op = OP_LOADINT, .a = 1, .sbx = 5);
  PUT(c, .op = OP_JMP, .sbx = 1);
  PUT(c, .op = OP_LOADK, .a = 1, .bx = string_const(m));
  PUT(c, .op = OP_ADDI, .x = PV_INT, .a = 2, .b = 1, .c = 1);
  ret(c, 2);
}

/* A tag whose value is a string. */
static void c_tag_string(const PModel *m, Craft *c) {
  PUT(c, .op = OP_LOADK, .a = 0, .bx = string_const(m));
  ret(c, 0);
}

static void test_refusals(void) {
  static const struct {
    CraftFn craft;
    uint32_t regs;
    const char *message; /* %u: the block of tag t1 */
  } cases[] = {
      {c_addn_string, 4, "instruction 3 (ADDN): register 0 may hold a string, but ADDN reads a number"},
      {c_divn_record, 4, "instruction 3 (DIVN): register 0 may hold a record, but DIVN reads a number"},
      {c_maxv_list, 4, "instruction 3 (MAXV): register 0 may hold a list, but MAXV reads a number"},
      {c_lti_string, 4,
       "instruction 4 (LTI): register 0 may hold a string, but LTI reads an int, a time or a duration"},
      {c_inci_string, 4, "instruction 3 (INCI): register 0 may hold a string, but INCI reads an int"},
      {c_i2n_string, 4, "instruction 3 (I2N): register 0 may hold a string, but I2N reads an int or a number"},
      {c_decay_int, 4, "instruction 2 (DECAY): register 0 may hold an int, but DECAY reads a time"},
      {c_call_int_as_string, 4,
       "instruction 1 (CALL): register 0 may hold an int, but argument 1 of len() reads a string"},
      {c_sort_ints, 4,
       "instruction 3 (CALL): register 0 may hold a list of ints, but argument 1 of sort() reads a list of strings"},
      {c_getf_string, 4, "instruction 3 (GETF): register 0 may hold a string, but GETF reads a record"},
      {c_len_string, 4, "instruction 3 (LEN): register 0 may hold a string, but LEN reads a list"},
      {c_loop_string, 4, "instruction 2 (FORNEXT): register 0 may hold a string, but FORNEXT reads a list"},
      {c_lt_lists, 4,
       "instruction 3 (LT): register 0 may hold a list, but LT reads a bool, an int, a number, a string, a time or a "
       "duration"},
      {c_concat_int, 4, "instruction 4 (CONCAT): register 1 may hold an int, but CONCAT reads a string"},
      {c_jmpf_int, 4, "instruction 1 (JMPF): register 0 may hold an int, but JMPF reads a bool"},
      {c_eqsk_int, 4, "instruction 1 (EQSK): register 0 may hold an int, but EQSK reads a string"},
      {c_join, 4, "instruction 5 (ADDI): register 1 may hold a string, but ADDI reads an int, a time or a duration"},
  };
  for (gsize k = 0; k < G_N_ELEMENTS(cases); k++) {
    g_autoptr(PersonaModel) m = compile_text(kinds_source);
    PModel *pm = (PModel *)m;
    Craft c = {.n = 0};
    cases[k].craft(pm, &c);
    set_code(pm, "tag t1", c.code, c.n, cases[k].regs);
    g_autoptr(GError) error = NULL;
    g_autoptr(PersonaModel) loaded = round_trip(m, &error);
    g_assert_null(loaded);
    g_autofree char *want = g_strdup_printf("block %u (tag t1), %s", block_named(pm, "tag t1"), cases[k].message);
    g_test_message("case %" G_GSIZE_FORMAT ": %s", k, error->message);
    g_assert_error(error, PERSONA_ERROR, PERSONA_ERROR_BYTECODE);
    g_assert_cmpstr(error->message, ==, want);
  }
}

/* The kinds of a global follow its writer: let sorted returns a record,
 * and tag t2's len(sorted) (the list overload) is refused. */
static void test_global_kinds(void) {
  g_autoptr(PersonaModel) m = compile_text(kinds_source);
  PModel *pm = (PModel *)m;
  Craft c = {.n = 0};
  record_of_ints(&c);
  ret(&c, 0);
  set_code(pm, "let sorted", c.code, c.n, 4);
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaModel) loaded = round_trip(m, &error);
  g_assert_null(loaded);
  g_autofree char *want = g_strdup_printf(
      "block %u (tag t2), instruction 1 (CALL): register 3 may hold a record, but argument 1 of len() reads a list",
      block_named(pm, "tag t2"));
  g_assert_cmpstr(error->message, ==, want);
}

/* A tag that is a string, a score that is a string: the VM would write
 * them as false and 0, the verifier says the file is wrong. */
static void test_result_kinds(void) {
  g_autoptr(PersonaModel) m = compile_text(kinds_source);
  PModel *pm = (PModel *)m;
  Craft c = {.n = 0};
  c_tag_string(pm, &c);
  set_code(pm, "tag t2", c.code, c.n, 1); /* t1 is read as a bool by score s: refused there */
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaModel) loaded = round_trip(m, &error);
  g_assert_null(loaded);
  g_assert_cmpstr(error->message, ==, "tag t2 may be a string, not a bool");

  g_autoptr(PersonaModel) m2 = compile_text(kinds_source);
  set_code((PModel *)m2, "score s", c.code, c.n, 1);
  g_autoptr(GError) error2 = NULL;
  g_autoptr(PersonaModel) loaded2 = round_trip(m2, &error2);
  g_assert_null(loaded2);
  g_assert_cmpstr(error2->message, ==, "score s may be a string, not a number");
}

/* The default of `name: string` made an int: the decoder would give an
 * int where the analysis assumes the schema's string. */
static void test_default_kind(void) {
  g_autoptr(PersonaModel) m = compile_text(kinds_source);
  PModel *pm = (PModel *)m;
  PDecodePlan *profile = &pm->plans[pm->profile_plan];
  gboolean found = FALSE;
  for (uint32_t f = 0; f < profile->n_fields; f++)
    if (strcmp(profile->fields[f].name, "name") == 0) {
      g_assert_true(profile->fields[f].has_default);
      profile->fields[f].default_value = (PValue){.kind = PV_INT, .u.i = 7};
      found = TRUE;
    }
  g_assert_true(found);
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaModel) loaded = round_trip(m, &error);
  g_assert_null(loaded);
  g_autofree char *want =
      g_strdup_printf("record type %s: the default of field name is not of the field's type", profile->name);
  g_assert_cmpstr(error->message, ==, want);
}

/* The fields of a record built by MKREC, and the elements of a list built
 * by MKLIST, have the kinds of what went in (one shape per instruction):
 * the string in field 0 reaches DIVN, the ints in the list reach sort(). */
static void c_record_field(const PModel *m, Craft *c) {
  PUT(c, .op = OP_LOADK, .a = 1, .bx = string_const(m));
  PUT(c, .op = OP_LOADINT, .a = 2, .sbx = 2);
  PUT(c, .op = OP_MKREC, .a = 0, .b = 1, .c = 2);
  PUT(c, .op = OP_GETF, .a = 3, .b = 0, .c = 0);
  PUT(c, .op = OP_DIVN, .a = 3, .b = 3, .c = 3);
  PUT(c, .op = OP_LOADBOOL, .a = 3, .b = 1);
  ret(c, 3);
}

static void c_list_of_fields(const PModel *m, Craft *c) {
  PUT(c, .op = OP_LOADINT, .a = 1, .sbx = 7);
  PUT(c, .op = OP_LOADINT, .a = 2, .sbx = 8);
  PUT(c, .op = OP_MKREC, .a = 0, .b = 1, .c = 2);
  PUT(c, .op = OP_GETF, .a = 1, .b = 0, .c = 0);
  PUT(c, .op = OP_GETF, .a = 2, .b = 0, .c = 1);
  PUT(c, .op = OP_MKLIST, .a = 0, .b = 1, .c = 2);
  PUT(c, .op = OP_CALL, .a = 0, .bx = find_op(m, "let sorted", OP_CALL)->bx);
  PUT(c, .op = OP_LOADBOOL, .a = 0, .b = 1);
  ret(c, 0);
}

/* Two record shapes meet at a merge: the shapes become one, and the
 * string of one reaches ADDN through the other's field. */
static void c_shapes_merge(const PModel *m, Craft *c) {
  PUT(c, .op = OP_LOADBOOL, .a = 0, .b = 1);
  PUT(c, .op = OP_LOADINT, .a = 3, .sbx = 0);
  PUT(c, .op = OP_LOADINT, .a = 2, .sbx = 1);
  PUT(c, .op = OP_I2N, .a = 2, .b = 2);
  PUT(c, .op = OP_JMPF, .a = 0, .sbx = 2);
  PUT(c, .op = OP_MKREC, .a = 1, .b = 2, .c = 2); /* (1.0, R3) */
  PUT(c, .op = OP_JMP, .sbx = 2);
  PUT(c, .op = OP_LOADK, .a = 2, .bx = string_const(m));
  PUT(c, .op = OP_MKREC, .a = 1, .b = 2, .c = 2); /* ("…", R3) */
  PUT(c, .op = OP_GETF, .a = 2, .b = 1, .c = 0);
  PUT(c, .op = OP_ADDN, .a = 2, .b = 2, .c = 2);
  ret(c, 0);
}

static void test_shapes(void) {
  static const struct {
    CraftFn craft;
    const char *message;
  } cases[] = {
      {c_record_field, "instruction 4 (DIVN): register 3 may hold a string, but DIVN reads a number"},
      {c_list_of_fields,
       "instruction 6 (CALL): register 0 may hold a list of ints, but argument 1 of sort() reads a list of strings"},
      {c_shapes_merge, "instruction 10 (ADDN): register 2 may hold a string, but ADDN reads a number"},
  };
  for (gsize k = 0; k < G_N_ELEMENTS(cases); k++) {
    g_autoptr(PersonaModel) m = compile_text(kinds_source);
    PModel *pm = (PModel *)m;
    Craft c = {.n = 0};
    cases[k].craft(pm, &c);
    set_code(pm, "tag t1", c.code, c.n, 4);
    g_autoptr(GError) error = NULL;
    g_autoptr(PersonaModel) loaded = round_trip(m, &error);
    g_assert_null(loaded);
    g_autofree char *want = g_strdup_printf("block %u (tag t1), %s", block_named(pm, "tag t1"), cases[k].message);
    g_test_message("case %" G_GSIZE_FORMAT ": %s", k, error->message);
    g_assert_cmpstr(error->message, ==, want);
  }
}

/* Record literals, constant records and lists of lists in arithmetic:
 * every kind is known, so the file verifies (the VM no longer checks
 * the operands of arithmetic) and evaluates. */
static const char shapes_source[] =
    "model shapes version \"1\"\n"
    "record ev {\n"
    "  kind: string\n"
    "  at: time\n"
    "  amount: number = 0\n"
    "}\n"
    "schema {\n"
    "  id: string key\n"
    "  n: int = 0\n"
    "  evs: list<ev> = []\n"
    "  grid: list<list<int>> = []\n"
    "}\n"
    "const cfg = {a: 1, b: 2.5, c: [1, 2, 3]}\n"
    "let x = cfg.a + n\n"
    "let z = {p: n, r: {s: 2.0}}\n"
    "let v = z.r.s * cfg.b + z.p\n"
    "let total = sum(amount of evs where kind == \"buy\")\n"
    "let cells = any g in grid: any c in g: c * 2 > 5\n"
    "tag t when x > 1 and v > 5.0 and total > 4 and cells\n";

static void test_shapes_compiled(void) {
  g_autoptr(PersonaModel) m = compile_text(shapes_source);
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaModel) loaded = round_trip(m, &error);
  g_assert_no_error(error);
  g_autoptr(PersonaVM) vm = persona_vm_new(loaded);
  GString *out = g_string_new(NULL);
  const char *p = "{\"id\":\"a\",\"n\":3,\"grid\":[[1,2],[3]],"
                  "\"evs\":[{\"kind\":\"buy\",\"at\":\"2026-01-01T00:00:00Z\",\"amount\":5}]}";
  persona_vm_eval_json_store(vm, p, strlen(p), NULL, NOW, 1, out);
  g_test_message("%s", out->str);
  g_assert_nonnull(strstr(out->str, "\"tags\":[\"t\"]"));
  g_string_free(out, TRUE);
}

/* The model as compiled verifies, and evaluates. */
static void test_compiled_passes(void) {
  g_autoptr(PersonaModel) m = compile_text(kinds_source);
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaModel) loaded = round_trip(m, &error);
  g_assert_no_error(error);
  g_autoptr(PersonaVM) vm = persona_vm_new(loaded);
  GString *out = g_string_new(NULL);
  persona_vm_eval_json_store(vm, kinds_profiles[0], strlen(kinds_profiles[0]), NULL, NOW, 1, out);
  g_assert_nonnull(strstr(out->str, "\"tags\":[\"t1\",\"t2\"]"));
  g_string_free(out, TRUE);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/runtime/bytecode-kinds/compiled-passes", test_compiled_passes);
  g_test_add_func("/runtime/bytecode-kinds/refusals", test_refusals);
  g_test_add_func("/runtime/bytecode-kinds/global-kinds", test_global_kinds);
  g_test_add_func("/runtime/bytecode-kinds/result-kinds", test_result_kinds);
  g_test_add_func("/runtime/bytecode-kinds/default-kind", test_default_kind);
  g_test_add_func("/runtime/bytecode-kinds/shapes", test_shapes);
  g_test_add_func("/runtime/bytecode-kinds/shapes-compiled", test_shapes_compiled);
  return g_test_run();
}
