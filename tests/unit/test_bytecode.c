/* test_bytecode.c - .pbc files: the round trip (same results, byte for
 * byte, as the source), the verifier's messages for hand-made damage, and
 * a corpus of mutated files that must each be refused with an error or
 * load and evaluate without a crash (run it under ASan). */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "persona.h"
#include "runtime/bytecode.h"

/* A small model that uses every table of a PModel: record types, defaults,
 * pii, consts, a set (in vip), IN over a list, distinct, decay, a regex, a
 * lifecycle, a journey with wait, if, wait until and split. */
static const char mini_source[] =
    "model mini version \"1\"\n"
    "record ev {\n"
    "  kind: string\n"
    "  at: time\n"
    "  amount: number = 0\n"
    "}\n"
    "schema {\n"
    "  id: string key\n"
    "  name: string = \"\"\n"
    "  age: int?\n"
    "  email: string? pii\n"
    "  evs: list<ev> = []\n"
    "  tags: list<string> = []\n"
    "}\n"
    "const vip = [\"gold\", \"platinum\"]\n"
    "const start = date(\"2026-01-01\")\n"
    "let spent = sum(amount of evs where kind == \"buy\" within 30d)\n"
    "let kinds = distinct(kind of evs)\n"
    "let last_at = max(at of evs)\n"
    "let greeting = \"hi \" + name\n"
    "tag vipish when any t in tags: t in vip\n"
    "tag adult when (age ?? 0) >= 18\n"
    "tag mail when matches(email ?? \"\", \"^[a-z]+@example[.]com$\")\n"
    "tag big when spent > 100 and len(name) > 0\n"
    "tag listed when name in tags\n"
    "tag chatty when kinds >= 2 and len(greeting) > 3 and last_at != null\n"
    "tag recent when count(evs where kind == \"view\" since start) > 1\n"
    "score s max 50 decay 7d {\n"
    "  +10 per evs where kind == \"view\" within 14d cap 30\n"
    "  +5 when vipish\n"
    "  -3 when not adult\n"
    "}\n"
    "lifecycle st {\n"
    "  initial new\n"
    "  new -> active when s >= 5\n"
    "  active -> new when s < 2\n"
    "}\n"
    "journey j {\n"
    "  enter on st -> \"active\"\n"
    "  exit when not adult\n"
    "  send email \"hi\"\n"
    "  wait 1d\n"
    "  if big {\n"
    "    task sales \"call\"\n"
    "  } else {\n"
    "    notify slack \"meh\"\n"
    "  }\n"
    "  wait until vipish for 2d\n"
    "  split {\n"
    "    50%: send email \"a\"\n"
    "    50%: webhook \"hook\"\n"
    "  }\n"
    "}\n";

static const char *const mini_profiles[] = {
    "{\"id\":\"a\",\"name\":\"ann\",\"age\":30,\"email\":\"ann@example.com\",\"tags\":[\"gold\",\"ann\"],"
    "\"evs\":[{\"kind\":\"view\",\"at\":\"2026-01-30T00:00:00Z\"},{\"kind\":\"view\",\"at\":\"2026-01-31T00:00:00Z\"},"
    "{\"kind\":\"buy\",\"at\":\"2026-01-20T00:00:00Z\",\"amount\":250.5}]}",
    "{\"id\":\"b\",\"age\":12,\"evs\":[{\"kind\":\"view\",\"at\":\"2026-01-29T00:00:00Z\"}]}",
    "{\"id\":\"c\",\"name\":\"carl\",\"tags\":[],\"evs\":[]}",
    "{\"id\":\"d\",\"name\":\"dora\",\"age\":40,\"tags\":[\"platinum\"],\"evs\":[{\"kind\":\"view\","
    "\"at\":\"2026-01-25T00:00:00Z\"},{\"kind\":\"buy\",\"at\":\"2026-01-28T00:00:00Z\",\"amount\":500},"
    "{\"kind\":\"view\",\"at\":\"2026-01-31T12:00:00Z\"}]}",
    "{\"id\":7}",
};

#define NOW_1 G_GINT64_CONSTANT(1769904000000000) /* 2026-02-01T00:00:00Z */
#define NOW_2 G_GINT64_CONSTANT(1770249600000000) /* 2026-02-05T00:00:00Z */
#define NOW_3 G_GINT64_CONSTANT(1771545600000000) /* 2026-02-20T00:00:00Z */

/* ---- helpers ----------------------------------------------------------------------- */

static PersonaModel *compile_text(const char *text) {
  g_autoptr(GError) error = NULL;
  PersonaModel *m = persona_compile_source("mini.persona", text, strlen(text), NULL, NULL, &error);
  g_assert_no_error(error);
  return m;
}

static PersonaModel *compile_example(const char *name) {
  g_autofree char *path = g_build_filename(PERSONA_SOURCE_DIR, "examples", name, NULL);
  g_autoptr(GError) error = NULL;
  PersonaModel *m = persona_compile_file(path, NULL, NULL, &error);
  g_assert_no_error(error);
  return m;
}

static GBytes *to_bytes(const PersonaModel *m) {
  g_autoptr(GError) error = NULL;
  GBytes *b = persona_model_to_bytecode(m, &error);
  g_assert_no_error(error);
  return b;
}

static PersonaModel *from_bytes(GBytes *b, GError **error) {
  gsize len;
  const guint8 *data = g_bytes_get_data(b, &len);
  return persona_model_from_bytecode(data, len, error);
}

/* The lines of examples/profiles.jsonl. */
static GPtrArray *example_profiles(void) {
  g_autofree char *path = g_build_filename(PERSONA_SOURCE_DIR, "examples", "profiles.jsonl", NULL);
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
  char **parts = g_strsplit(text, "\n", -1);
  for (char **p = parts; *p; p++)
    if (**p) g_ptr_array_add(lines, g_strdup(*p));
  g_strfreev(parts);
  return lines;
}

/* Every result line for `lines` at `now`, carrying journey state in `store`
 * (NULL: none). */
static char *eval_all(PersonaModel *m, const char *const *lines, guint n, gint64 now,
                      PersonaStateStore *store) {
  g_autoptr(PersonaVM) vm = persona_vm_new(m);
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < n; i++) {
    persona_vm_eval_json_store(vm, lines[i], strlen(lines[i]), store, now, i + 1, out);
    g_string_append_c(out, '\n');
  }
  return g_string_free(out, FALSE);
}

/* Rewrites the length field and the SHA-256 trailer of a (mutated) image,
 * so that the reader gets past them and the verifier is exercised. */
static void fix_image(guint8 *data, gsize len) {
  if (len < PBC_HEADER_LEN + PBC_TRAILER_LEN) return;
  for (int i = 0; i < 8; i++) data[16 + i] = (guint8)((guint64)len >> (8 * i));
  GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
  g_checksum_update(ck, data, len - PBC_TRAILER_LEN);
  gsize dlen = PBC_TRAILER_LEN;
  g_checksum_get_digest(ck, data + len - PBC_TRAILER_LEN, &dlen);
  g_checksum_free(ck);
}

/* ---- round trip ---------------------------------------------------------------------- */

/* Everything evaluation needs survives: writing the loaded model again
 * gives the same bytes (string table, constants, plans, blocks, sets,
 * call sites, journeys: every field the writer knows). */
static void test_rewrite_identical(void) {
  const char *names[] = {"b2b_lead.persona", "b2b_journeys.persona"};
  for (gsize k = 0; k < G_N_ELEMENTS(names); k++) {
    g_autoptr(PersonaModel) m = compile_example(names[k]);
    g_autoptr(GBytes) b1 = to_bytes(m);
    g_autoptr(GError) error = NULL;
    g_autoptr(PersonaModel) m2 = from_bytes(b1, &error);
    g_assert_no_error(error);
    g_autoptr(GBytes) b2 = to_bytes(m2);
    g_assert_cmpuint(g_bytes_get_size(b1), ==, g_bytes_get_size(b2));
    g_assert_true(g_bytes_equal(b1, b2));
    g_assert_cmpstr(persona_model_name(m2), ==, persona_model_name(m));
    g_assert_cmpstr(persona_model_version(m2), ==, persona_model_version(m));
    g_autofree char *h1 = persona_model_source_hash(m);
    g_autofree char *h2 = persona_model_source_hash(m2);
    g_assert_cmpuint(strlen(h1), ==, 64);
    g_assert_cmpstr(h1, ==, h2);
    /* The listing of the loaded model is the listing of the compiled one. */
    g_autofree char *d1 = persona_model_disasm(m);
    g_autofree char *d2 = persona_model_disasm(m2);
    g_assert_cmpstr(d1, ==, d2);
  }
}

static void test_eval_lead_identical(void) {
  g_autoptr(PersonaModel) src = compile_example("b2b_lead.persona");
  g_autoptr(GBytes) b = to_bytes(src);
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaModel) pbc = from_bytes(b, &error);
  g_assert_no_error(error);
  g_autoptr(GPtrArray) lines = example_profiles();
  g_assert_cmpuint(lines->len, >=, 1000);
  g_autofree char *a = eval_all(src, (const char *const *)lines->pdata, lines->len, NOW_1, NULL);
  g_autofree char *c = eval_all(pbc, (const char *const *)lines->pdata, lines->len, NOW_1, NULL);
  g_assert_cmpuint(strlen(a), >, 100000);
  g_assert_true(strcmp(a, c) == 0);
}

/* Journeys over three evaluations, the state carried in a store: the
 * results and the final states are the same. */
static void test_eval_journeys_identical(void) {
  g_autoptr(PersonaModel) src = compile_example("b2b_journeys.persona");
  g_autoptr(GBytes) b = to_bytes(src);
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaModel) pbc = from_bytes(b, &error);
  g_assert_no_error(error);
  g_autoptr(GPtrArray) lines = example_profiles();
  g_autoptr(PersonaStateStore) s1 = persona_state_store_new();
  g_autoptr(PersonaStateStore) s2 = persona_state_store_new();
  const gint64 nows[] = {NOW_1, NOW_2, NOW_3};
  guint actions = 0;
  /* A third of the profiles keeps the test quick under ASan; the golden
   * test compile_journeys_state runs them all through the CLI. */
  guint n = lines->len / 3;
  for (gsize k = 0; k < G_N_ELEMENTS(nows); k++) {
    g_autofree char *a = eval_all(src, (const char *const *)lines->pdata, n, nows[k], s1);
    g_autofree char *c = eval_all(pbc, (const char *const *)lines->pdata, n, nows[k], s2);
    g_assert_true(strcmp(a, c) == 0);
    for (const char *p = a; (p = strstr(p, "\"kind\":\"send\"")); p++) actions++;
  }
  g_assert_cmpuint(actions, >, 100); /* the journeys did run */
  g_autofree char *dir = g_dir_make_tmp("pbc-XXXXXX", NULL);
  g_autofree char *p1 = g_build_filename(dir, "s1.jsonl", NULL);
  g_autofree char *p2 = g_build_filename(dir, "s2.jsonl", NULL);
  g_assert_true(persona_state_store_save(s1, p1, NULL));
  g_assert_true(persona_state_store_save(s2, p2, NULL));
  g_autofree char *t1 = NULL, *t2 = NULL;
  g_assert_true(g_file_get_contents(p1, &t1, NULL, NULL));
  g_assert_true(g_file_get_contents(p2, &t2, NULL, NULL));
  g_assert_cmpstr(t1, ==, t2);
  g_unlink(p1);
  g_unlink(p2);
  g_rmdir(dir);
}

static void test_save_load_file(void) {
  g_autoptr(PersonaModel) m = compile_text(mini_source);
  g_autofree char *dir = g_dir_make_tmp("pbc-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(dir, "mini.pbc", NULL);
  g_autoptr(GError) error = NULL;
  g_assert_true(persona_model_save_bytecode(m, path, &error));
  g_autofree char *data = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(path, &data, &len, NULL));
  g_assert_true(persona_is_bytecode((const guint8 *)data, len));
  g_autoptr(PersonaModel) m2 = persona_model_load_bytecode(path, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(persona_model_name(m2), ==, "mini");
  /* Damaged: the message names the file. */
  data[len / 2] ^= 0x10;
  g_assert_true(g_file_set_contents(path, data, (gssize)len, NULL));
  g_autoptr(PersonaModel) m3 = persona_model_load_bytecode(path, &error);
  g_assert_null(m3);
  g_assert_error(error, PERSONA_ERROR, PERSONA_ERROR_BYTECODE);
  g_autofree char *want = g_strdup_printf("%s: checksum mismatch: the file is damaged", path);
  g_assert_cmpstr(error->message, ==, want);
  g_unlink(path);
  g_rmdir(dir);
}

/* ---- hand-made damage: exact messages --------------------------------------------------- */

static char *load_error(const guint8 *data, gsize len) {
  g_autoptr(GError) error = NULL;
  PersonaModel *m = persona_model_from_bytecode(data, len, &error);
  if (m) {
    persona_model_unref(m);
    return g_strdup("(loaded)");
  }
  g_assert_error(error, PERSONA_ERROR, PERSONA_ERROR_BYTECODE);
  return g_strdup(error->message);
}

static void test_version3_when_plain(void) {
  g_autoptr(PersonaModel) m = compile_text("model plain version \"1\"\n"
                                           "schema {\n  id: string key\n  n: int = 0\n}\n"
                                           "tag big when n > 10\n");
  g_autoptr(GBytes) b = to_bytes(m);
  gsize len;
  const guint8 *data = g_bytes_get_data(b, &len);
  g_assert_cmpuint(len, >, 8);
  g_assert_cmpuint(data[8], ==, 3);
}

static void test_header_errors(void) {
  g_autoptr(PersonaModel) m = compile_text(mini_source);
  g_autoptr(GBytes) b = to_bytes(m);
  gsize len;
  const void *image = g_bytes_get_data(b, &len);
  guint8 *data = g_memdup2(image, len);

  g_autofree char *e0 = load_error((const guint8 *)"model x version \"1\"\n", 19);
  g_assert_cmpstr(e0, ==, "not a Persona bytecode file (bad magic number)");
  data[1] ^= 0x20;
  g_autofree char *e1 = load_error(data, len);
  g_assert_cmpstr(e1, ==, "not a Persona bytecode file (bad magic number)");
  data[1] ^= 0x20;

  /* 7: the model has events with `at` (a future one becomes visible at
   * its `at`: next_change), so it is written in the format with the NC
   * instructions; a model that nothing moves with time is written as 3
   * (test_version3_when_plain). */
  guint8 written = data[8];
  g_assert_cmpuint(written, ==, 7);
  data[8] = 8; /* format version 8, checksum not fixed: the version is checked first */
  g_autofree char *e2 = load_error(data, len);
  g_assert_cmpstr(e2, ==, "bytecode format version 8 is newer than this persona supports (7): "
                          "recompile the model with this persona");
  data[8] = written;

  data[len / 2] ^= 1;
  g_autofree char *e3 = load_error(data, len);
  g_assert_cmpstr(e3, ==, "checksum mismatch: the file is damaged");
  data[len / 2] ^= 1;

  g_autofree char *e4 = load_error(data, len - 1);
  g_autofree char *want4 = g_strdup_printf("truncated file: %" G_GSIZE_FORMAT " bytes where the header says %" G_GSIZE_FORMAT,
                                           len - 1, len);
  g_assert_cmpstr(e4, ==, want4);
  g_autofree char *e5 = load_error(data, 12);
  g_assert_cmpstr(e5, ==, "truncated file (12 bytes)");

  g_autofree char *ok = load_error(data, len);
  g_assert_cmpstr(ok, ==, "(loaded)");
  g_free(data);
}

/* Damage made in the model before writing it: the writer does not check,
 * so the file carries it to the reader's verifier. */
typedef void (*DamageFn)(PModel *m);

static uint32_t block_named(const PModel *m, const char *name) {
  for (uint32_t i = 0; i < m->n_blocks; i++)
    if (strcmp(m->blocks[i].name, name) == 0) return i;
  g_assert_not_reached();
  return 0;
}

static PInsn *find_op(PModel *m, const char *block, uint8_t op) {
  PBlock *b = &m->blocks[block_named(m, block)];
  for (uint32_t pc = 0; pc < b->n_code; pc++)
    if (b->code[pc].op == op) return &b->code[pc];
  g_assert_not_reached();
  return NULL;
}

static void dmg_jump(PModel *m) { find_op(m, "tag big", OP_JMPF)->sbx = 1000; }
static void dmg_register(PModel *m) { m->blocks[block_named(m, "tag big")].code[0].a = 70; }
static void dmg_back_jump(PModel *m) { find_op(m, "tag big", OP_JMPF)->sbx = -3; }
static void dmg_unwritten(PModel *m) { find_op(m, "tag adult", OP_GETP)->op = OP_NOP; }
static void dmg_constant(PModel *m) { find_op(m, "tag mail", OP_LOADK)->bx = 999; }
/* The event queries of the lets run in the fused pass over evs. */
#define FUSED "fused pass over profile.evs"
static void dmg_kind(PModel *m) { find_op(m, FUSED, OP_SUBI)->x = PV_STRING; }
static void dmg_no_ret(PModel *m) {
  PBlock *b = &m->blocks[block_named(m, "tag adult")];
  b->code[b->n_code - 1].op = OP_NOP;
}
static void dmg_loop_write(PModel *m) {
  PInsn *i = find_op(m, FUSED, OP_DSETADD);
  PInsn *head = find_op(m, FUSED, OP_FORNEXT);
  i->op = OP_LOADNULL;
  i->a = (uint16_t)(head->a + 1);
}
static void dmg_dset(PModel *m) { find_op(m, FUSED, OP_DSETCLR)->op = OP_NOP; }
/* JNESK and JLTI read the JMP after them: it must be there. */
static void dmg_test_no_jmp(PModel *m) {
  PInsn *i = find_op(m, FUSED, OP_JNESK);
  i[1].op = OP_NOP;
}
static void dmg_test_kind(PModel *m) {
  find_op(m, FUSED, OP_JNESK)->b = 0; /* K[0] is the list vip */
}
static void dmg_window_register(PModel *m) {
  PInsn *i = find_op(m, FUSED, OP_JLTI);
  i->b = 9999;
}
static void dmg_unpack_count(PModel *m) { find_op(m, FUSED, OP_UNPACK)->x = 1; }
static void dmg_unpack_registers(PModel *m) { find_op(m, FUSED, OP_UNPACK)->a = 9999; }
static void dmg_unpack_fields(PModel *m) { find_op(m, FUSED, OP_UNPACK)->c = 60000; }
static void dmg_unpack_loop(PModel *m) {
  find_op(m, FUSED, OP_UNPACK)->a = (uint16_t)(find_op(m, FUSED, OP_FORNEXT)->a + 1);
}
static void dmg_step_cycle(PModel *m) {
  PJourneyCode *j = &m->journeys[0];
  for (uint32_t s = 0; s < j->n_steps; s++)
    if (j->steps[s].kind == PJS_WEBHOOK) j->steps[s].next = j->first;
}
static void dmg_slot(PModel *m) { m->units[0].slot = 5000; }
static void dmg_stage(PModel *m) { m->lifecycles[0].initial = 9; }
/* Globals with two writers, or written where nothing may write them. */
static uint32_t unit_of_block(const PModel *m, const char *name) {
  uint32_t b = block_named(m, name);
  for (uint32_t u = 0; u < m->n_units; u++)
    if (m->units[u].kind != PUNIT_LIFECYCLE && m->units[u].block == b) return u;
  g_assert_not_reached();
  return 0;
}
static void dmg_setg_unit_slot(PModel *m) {
  find_op(m, FUSED, OP_SETG)->bx = m->units[unit_of_block(m, "let greeting")].slot;
}
static void dmg_setg_outside_unit(PModel *m) {
  m->units[unit_of_block(m, FUSED)].block = block_named(m, "tag big");
}
static void dmg_two_units_one_slot(PModel *m) {
  m->units[unit_of_block(m, "tag big")].slot = m->units[unit_of_block(m, "tag adult")].slot;
}
static void dmg_setg_lifecycle_slot(PModel *m) { find_op(m, FUSED, OP_SETG)->bx = m->lifecycles[0].slot_stage; }

/* Files of older versions are still read, unless they hold an opcode of a
 * later one: JNESK and JLTI came with version 2, UNPACK with 3. */
static void test_older_versions(void) {
  static const char plain[] = "model p version \"1\"\nschema {\n  id: string key\n  n: int = 0\n}\ntag big when n > 3\n";
  g_autoptr(PersonaModel) m = compile_text(plain);
  g_autoptr(GBytes) b = to_bytes(m);
  gsize len;
  const guint8 *image = g_bytes_get_data(b, &len);
  guint8 *data = g_memdup2(image, len);
  data[8] = 1;
  fix_image(data, len);
  g_autofree char *ok = load_error(data, len);
  g_assert_cmpstr(ok, ==, "(loaded)");
  g_free(data);

  /* A model with windows, `where` tests and a fused pass but without
   * `now` or decay, so that it is written as version 3 (a version 4 file's
   * META holds the time zone, which older versions do not read: patching
   * its version byte would misread it). */
  static const char since_only[] =
      "model p version \"1\"\nrecord ev {\n  kind: string\n  at: time\n  amount: number = 0\n}\n"
      "schema {\n  id: string key\n  evs: list<ev> = []\n}\n"
      "tag a when count(evs where kind == \"x\" since date(\"2026-01-01\")) > 1\n"
      "score s = sum(amount of evs where kind == \"y\" since date(\"2026-01-02\"))\n";
  g_autoptr(PersonaModel) mini = compile_text(since_only);
  g_autoptr(GBytes) b2 = to_bytes(mini);
  image = g_bytes_get_data(b2, &len);
  data = g_memdup2(image, len);
  g_assert_cmpuint(data[8], ==, 3);
  data[8] = 1;
  fix_image(data, len);
  g_autofree char *refused = load_error(data, len);
  g_assert_nonnull(strstr(refused, "is not in format version 1"));
  data[8] = 2;
  fix_image(data, len);
  g_autofree char *refused2 = load_error(data, len);
  g_assert_cmpstr(refused2, ==, "section BLKS: opcode 65 is not in format version 2");
  g_free(data);

  /* The NC instructions of next_change came with version 7: the mini
   * model (windows, `now`) as a version 6 file is refused. */
  g_autoptr(PersonaModel) mini7 = compile_text(mini_source);
  g_autoptr(GBytes) b7 = to_bytes(mini7);
  image = g_bytes_get_data(b7, &len);
  data = g_memdup2(image, len);
  g_assert_cmpuint(data[8], ==, 7);
  data[8] = 6;
  fix_image(data, len);
  g_autofree char *refused6 = load_error(data, len);
  g_assert_nonnull(strstr(refused6, "is not in format version 6"));
  g_free(data);

  /* A model that reads `now` without comparing it has no NC instruction:
   * as a version 6 file it loads, but its results cannot know when they
   * change (an older compiler left the instructions out): next_change is
   * null, where the version 7 file answers the future event's `at`. */
  static const char now_only[] =
      "model n version \"1\"\nrecord ev {\n  at: time\n}\n"
      "schema {\n  id: string key\n  evs: list<ev> = []\n}\n"
      "score age = count(evs) + (now - date(\"2026-01-01\")) / 1d\n";
  const char *profile = "{\"id\":\"x\",\"evs\":[{\"at\":\"2026-03-01T00:00:00Z\"}]}";
  g_autoptr(PersonaModel) mn = compile_text(now_only);
  g_autoptr(GBytes) bn = to_bytes(mn);
  image = g_bytes_get_data(bn, &len);
  data = g_memdup2(image, len);
  g_assert_cmpuint(data[8], ==, 7);
  for (int v = 7; v >= 6; v--) {
    data[8] = (guint8)v;
    fix_image(data, len);
    g_autoptr(GError) err = NULL;
    g_autoptr(PersonaModel) loaded = persona_model_from_bytecode(data, len, &err);
    g_assert_no_error(err);
    g_autoptr(PersonaVM) vm = persona_vm_new(loaded);
    const PersonaResult *res = NULL;
    g_assert_cmpint(persona_vm_eval(vm, profile, strlen(profile), NULL, 0, G_GINT64_CONSTANT(1769904000000000), &res),
                    ==, PERSONA_EVAL_OK);
    gint64 nc = 0;
    g_assert_cmpint(persona_result_next_change(res, &nc), ==, v == 7);
    if (v == 7) g_assert_cmpint(nc, ==, G_GINT64_CONSTANT(1772323200000000)); /* 2026-03-01 */
  }
  g_free(data);

  /* Format 4: a CALL whose x byte marks pii arguments is written as
   * version 4 (whose META also holds the time zone, empty here) and loads. */
  static const char pii_source[] =
      "model p version \"1\"\nschema {\n  id: string key\n  b: string? pii\n}\n"
      "tag t when date(b ?? \"\") < date(\"2026-01-01\")\n";
  g_autoptr(PersonaModel) pii = compile_text(pii_source);
  g_autoptr(GBytes) b3 = to_bytes(pii);
  image = g_bytes_get_data(b3, &len);
  g_assert_cmpuint(((const guint8 *)image)[8], ==, 4);
  g_autofree char *ok4 = load_error(image, len);
  g_assert_cmpstr(ok4, ==, "(loaded)");
}

static void test_verifier_errors(void) {
  static const struct {
    DamageFn damage;
    const char *message;
  } cases[] = {
      {dmg_jump, "block 11 (tag big), instruction 3 (JMPF): jump target 1004 outside the block (0..9)"},
      {dmg_register, "block 11 (tag big), instruction 0 (GETG): register 70 out of range (the block has 4)"},
      {dmg_back_jump, "block 11 (tag big), instruction 3 (JMPF): jump back to 1 does not close a loop"},
      {dmg_unwritten, "block 8 (tag adult), instruction 1 (JMPNN): register 1 is read before it is written"},
      {dmg_constant, "block 9 (tag mail), instruction 2 (LOADK): constant 999 out of range (24 constants)"},
      {dmg_kind, "block 6 (fused pass over profile.evs), instruction 3 (SUBI): result kind 4 is not int, time or duration"},
      {dmg_no_ret, "block 8 (tag adult) does not end with RET"},
      {dmg_loop_write, "block 6 (fused pass over profile.evs), instruction 20 (LOADNULL): writes register 2, "
                       "the list or index of a loop around it"},
      {dmg_dset, "block 6 (fused pass over profile.evs), instruction 20 (DSETADD): distinct-set 0 is used before it is cleared"},
      {dmg_test_no_jmp, "block 6 (fused pass over profile.evs), instruction 25 (JNESK): not followed by the JMP it takes"},
      {dmg_test_kind, "block 6 (fused pass over profile.evs), instruction 25 (JNESK): constant 0 compared as a string is not one"},
      {dmg_window_register, "block 6 (fused pass over profile.evs), instruction 23 (JLTI): register 9999 out of range (the block has 34)"},
      {dmg_unpack_count, "block 6 (fused pass over profile.evs), instruction 18 (UNPACK): field count 1 is below 2"},
      {dmg_unpack_registers, "block 6 (fused pass over profile.evs), instruction 18 (UNPACK): registers 9999..10001 out of range (the block has 34)"},
      {dmg_unpack_fields, "block 6 (fused pass over profile.evs), instruction 18 (UNPACK): fields 60000..60002 out of range (the widest record has 6)"},
      {dmg_unpack_loop, "block 6 (fused pass over profile.evs), instruction 18 (UNPACK): writes register 2, the list or index of a loop around it"},
      {dmg_step_cycle, "journey j: steps 3 and 0 form a cycle"},
      {dmg_slot, "unit 0: global 5000 out of range (23 globals)"},
      {dmg_stage, "lifecycle st: initial stage 9 of 2"},
      {dmg_setg_unit_slot, "global 9 is written by both unit 8 and block 6 (fused pass over profile.evs)"},
      {dmg_setg_outside_unit, "block 6 (fused pass over profile.evs), instruction 45 (SETG): writes global 17 outside a unit's block"},
      {dmg_two_units_one_slot, "global 3 is written by both unit 2 and unit 5"},
      {dmg_setg_lifecycle_slot, "global 14 is written by both lifecycle st and block 6 (fused pass over profile.evs)"},
  };
  for (gsize k = 0; k < G_N_ELEMENTS(cases); k++) {
    g_autoptr(PersonaModel) m = compile_text(mini_source);
    cases[k].damage((PModel *)m);
    g_autoptr(GBytes) b = to_bytes(m);
    gsize len;
    const guint8 *data = g_bytes_get_data(b, &len);
    g_autofree char *msg = load_error(data, len);
    g_test_message("case %" G_GSIZE_FORMAT, k);
    g_assert_cmpstr(msg, ==, cases[k].message);
  }
}

static void test_refuses_traces(void) {
  g_autoptr(PersonaModel) m = compile_text(mini_source);
  PModel *pm = (PModel *)m;
  PTracePoint tp = {0};
  pm->traces = g_memdup2(&tp, sizeof tp);
  pm->n_traces = 1;
  g_autoptr(GError) error = NULL;
  GBytes *b = persona_model_to_bytecode(m, &error);
  g_assert_null(b);
  g_assert_error(error, PERSONA_ERROR, PERSONA_ERROR_BYTECODE);
  g_assert_cmpstr(error->message, ==,
                  "a model compiled with trace points (for explain or coverage) cannot be written as bytecode");
}

/* ---- type confusion: verified, but the kinds are wrong ------------------------------------- */

static uint32_t string_const(const PModel *m) {
  for (uint32_t k = 0; k < m->n_consts; k++)
    if (m->consts[k].kind == PV_STRING) return k;
  g_assert_not_reached();
  return 0;
}

/* The subject of matches() becomes an int. */
static void conf_call(PModel *m) {
  PInsn *i = find_op(m, "tag mail", OP_GETP);
  i->op = OP_LOADINT;
  i->sbx = 5;
}

/* The counter of count() starts as a string. */
static void conf_inci(PModel *m) {
  PBlock *b = &m->blocks[block_named(m, FUSED)];
  uint16_t acc = find_op(m, FUSED, OP_INCI)->a;
  for (uint32_t pc = 0; pc < b->n_code; pc++)
    if (b->code[pc].op == OP_LOADINT && b->code[pc].a == acc) {
      b->code[pc].op = OP_LOADK;
      b->code[pc].bx = string_const(m);
      return;
    }
  g_assert_not_reached();
}

/* "hi " + name where "hi " became an int: adds nothing. */
static void conf_concat(PModel *m) {
  PInsn *i = find_op(m, "let greeting", OP_LOADK);
  i->op = OP_LOADINT;
  i->sbx = 7;
}

/* Damage that leaves every index and register in range but mixes up
 * kinds: the verifier's kind analysis refuses it (more classes in
 * test_bytecode_kinds.c). */
static void test_type_confusion(void) {
  static const struct {
    DamageFn damage;
    const char *message;
  } cases[] = {
      {conf_call, "block 9 (tag mail), instruction 4 (CALL): register 1 may hold an int, but argument 1 of matches() "
                  "reads a string"},
      {conf_inci, "block 6 (fused pass over profile.evs), instruction 27 (INCI): register 20 may hold a string, but "
                  "INCI reads an int"},
      {conf_concat, "block 14 (let greeting), instruction 2 (CONCAT): register 1 may hold an int, but CONCAT reads a "
                    "string"},
  };
  for (gsize k = 0; k < G_N_ELEMENTS(cases); k++) {
    g_autoptr(PersonaModel) m = compile_text(mini_source);
    cases[k].damage((PModel *)m);
    g_autoptr(GBytes) b = to_bytes(m);
    gsize len;
    const guint8 *data = g_bytes_get_data(b, &len);
    g_autofree char *msg = load_error(data, len);
    g_test_message("case %" G_GSIZE_FORMAT ": %s", k, msg);
    g_assert_cmpstr(msg, ==, cases[k].message);
  }
}

/* ---- crafted globals: nothing of one record reaches the next ------------------------------- */

/* Units run in order: tag early (G0), let greeting (G1, a string built in
 * the record's arena), tag late (G2, reads G1). The crafted files below
 * make a block read or fill a global across that order. */
static const char globals_source[] =
    "model g version \"1\"\n"
    "schema {\n"
    "  id: string key\n"
    "  name: string = \"\"\n"
    "  email: string? pii\n"
    "}\n"
    "let greeting = \"hi \" + name\n"
    "tag early when name == \"zzz\"\n"
    "tag late when len(greeting) > 3\n"
    "let contact = (email ?? \"\") + \"!\"\n"
    "tag reachable when len(contact) > 1\n";

static const char *const globals_profiles[] = {
    "{\"id\":\"a\",\"name\":\"annabelle-longname\",\"email\":\"secret@example.com\"}",
    "{\"id\":\"b\",\"name\":\"bo\"}",
    "{\"id\":\"c\"}",
};

/* tag early := len(G[greeting]) > 3, read before greeting ran: before the
 * fix it saw the previous record's string (pointing into reused memory). */
static void glob_read_early(PModel *m) {
  PBlock *early = &m->blocks[block_named(m, "tag early")];
  const PBlock *late = &m->blocks[block_named(m, "tag late")];
  g_free(early->code);
  g_free(early->locs);
  early->code = g_memdup2(late->code, sizeof(PInsn) * late->n_code);
  early->locs = g_memdup2(late->locs, sizeof(PInsnLoc) * late->n_code);
  early->n_code = late->n_code;
  early->n_regs = late->n_regs;
}

/* let greeting := a record [ "hi ", name ] (MKREC, in the arena), and tag
 * early := len(G[greeting].field[1]) > 3 before greeting runs: the record
 * of the previous profile, followed through memory since reused. */
static void glob_record(PModel *m) {
  PInsn *concat = find_op(m, "let greeting", OP_CONCAT);
  concat->op = OP_MKREC;
  concat->c = 2; /* R[A] := record(R[B], R[B+1]) */
  glob_read_early(m);
  PBlock *early = &m->blocks[block_named(m, "tag early")];
  PInsn *getg = find_op(m, "tag early", OP_GETG);
  /* GETG, then GETF r := r.field[1], then the rest (CALL len, ...). */
  PInsn *code = g_new0(PInsn, early->n_code + 1);
  PInsnLoc *locs = g_new0(PInsnLoc, early->n_code + 1);
  code[0] = *getg;
  code[1] = (PInsn){.op = OP_GETF, .a = getg->a, .b = getg->a, .c = 1};
  memcpy(code + 2, early->code + 1, sizeof(PInsn) * (early->n_code - 1));
  g_free(early->code);
  g_free(early->locs);
  early->code = code;
  early->locs = locs;
  early->n_code++;
  /* tag late reads greeting the same way (as a string it would be refused
   * by the kind analysis: the global may hold a record); the field of a
   * record built by MKREC has no static kind, so the file loads. */
  PBlock *late = &m->blocks[block_named(m, "tag late")];
  g_free(late->code);
  g_free(late->locs);
  late->code = g_memdup2(early->code, sizeof(PInsn) * early->n_code);
  late->locs = g_memdup2(early->locs, sizeof(PInsnLoc) * early->n_code);
  late->n_code = early->n_code;
  late->n_regs = early->n_regs;
}

/* let contact (built from pii) is read by tag early, before it runs. */
static void glob_pii(PModel *m) {
  glob_read_early(m);
  PInsn *getg = find_op(m, "tag early", OP_GETG);
  const PBlock *late = &m->blocks[block_named(m, "tag reachable")];
  for (uint32_t pc = 0; pc < late->n_code; pc++)
    if (late->code[pc].op == OP_GETG) getg->bx = late->code[pc].bx;
}

/* A crafted file that loads must give each record the result it gives
 * that record alone: one VM over all the profiles, against a new VM per
 * profile. Under ASan a stale read would also be reported. */
static void test_crafted_globals(void) {
  static const struct {
    DamageFn damage;
    const char *name;
  } cases[] = {
      {glob_read_early, "a string of the previous record"},
      {glob_record, "a record of the previous record"},
      {glob_pii, "a pii value of the previous record"},
  };
  for (gsize k = 0; k < G_N_ELEMENTS(cases); k++) {
    g_autoptr(PersonaModel) m = compile_text(globals_source);
    cases[k].damage((PModel *)m);
    g_autoptr(GBytes) b = to_bytes(m);
    g_autoptr(GError) error = NULL;
    g_autoptr(PersonaModel) loaded = from_bytes(b, &error);
    g_assert_no_error(error);
    g_autofree char *together = eval_all(loaded, globals_profiles, G_N_ELEMENTS(globals_profiles), NOW_1, NULL);
    GString *alone = g_string_new(NULL);
    for (guint i = 0; i < G_N_ELEMENTS(globals_profiles); i++) {
      g_autoptr(PersonaVM) vm = persona_vm_new(loaded);
      persona_vm_eval_json_store(vm, globals_profiles[i], strlen(globals_profiles[i]), NULL, NOW_1, i + 1, alone);
      g_string_append_c(alone, '\n');
    }
    g_test_message("case %s:\n%s", cases[k].name, together);
    g_assert_cmpstr(together, ==, alone->str);
    /* The first record sees the initial value (null): early never holds. */
    g_assert_null(strstr(together, "\"early\""));
    g_string_free(alone, TRUE);
  }
}

/* ---- the mutation corpus ------------------------------------------------------------------ */

typedef struct Corpus {
  guint refused, loaded;
  GHashTable *messages; /* distinct refusals, for the log */
} Corpus;

/* Loads one mutant; when it loads, evaluates the sample profiles twice
 * with the state carried over. Only a crash (or an ASan report) fails. */
static void try_mutant(Corpus *c, const guint8 *data, gsize len) {
  GError *error = NULL;
  PersonaModel *m = persona_model_from_bytecode(data, len, &error);
  if (!m) {
    g_assert_true(error != NULL && error->domain == PERSONA_ERROR && error->code == PERSONA_ERROR_BYTECODE);
    g_assert_cmpuint(strlen(error->message), >, 0);
    if (c->messages && g_hash_table_size(c->messages) < 5000)
      g_hash_table_add(c->messages, g_strdup(error->message));
    g_error_free(error);
    c->refused++;
    return;
  }
  c->loaded++;
  PersonaVM *vm = persona_vm_new(m);
  /* The verifier proves that every loop runs over a list: the budget is
   * only a net, and hitting it would mean a hole in that proof. */
  persona_vm_set_budget(vm, 1000000);
  GString *out = g_string_new(NULL), *state = g_string_new(NULL), *state2 = g_string_new(NULL);
  for (gsize i = 0; i < G_N_ELEMENTS(mini_profiles); i++) {
    const char *p = mini_profiles[i];
    g_string_truncate(state, 0);
    persona_vm_eval_json_state(vm, p, strlen(p), NULL, 0, NOW_1, i + 1, out, state);
    persona_vm_eval_json_state(vm, p, strlen(p), state->str, state->len, NOW_2, i + 1, out, state2);
  }
  g_assert_null(strstr(out->str, "instruction budget"));
  g_string_free(out, TRUE);
  g_string_free(state, TRUE);
  g_string_free(state2, TRUE);
  persona_vm_free(vm);
  persona_model_unref(m);
}

static GBytes *mini_image(void) {
  g_autoptr(PersonaModel) m = compile_text(mini_source);
  return to_bytes(m);
}

static void test_corpus_truncations(void) {
  g_autoptr(GBytes) b = mini_image();
  gsize len;
  const guint8 *data = g_bytes_get_data(b, &len);
  Corpus c = {0};
  for (gsize n = 0; n < len; n++) try_mutant(&c, data, n);
  g_assert_cmpuint(c.loaded, ==, 0);
  g_assert_cmpuint(c.refused, ==, len);
  /* Truncated with the length and checksum made consistent: the sections
   * themselves must notice. */
  guint8 *copy = g_malloc(len);
  for (gsize n = PBC_HEADER_LEN + PBC_TRAILER_LEN; n < len; n += 7) {
    memcpy(copy, data, n - PBC_TRAILER_LEN);
    fix_image(copy, n);
    try_mutant(&c, copy, n);
  }
  g_assert_cmpuint(c.loaded, ==, 0);
  g_free(copy);
}

/* Every byte flipped (with a mask that changes with the position), the
 * length and checksum fixed so that the reader and verifier see it. */
static void test_corpus_flips(void) {
  g_autoptr(GBytes) b = mini_image();
  gsize len;
  const guint8 *data = g_bytes_get_data(b, &len);
  guint8 *copy = g_malloc(len);
  static const guint8 masks[] = {0x01, 0x80, 0xff, 0x02, 0x40, 0x10, 0x08, 0x20, 0x04};
  Corpus c = {.messages = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL)};
  for (gsize pos = 0; pos < len - PBC_TRAILER_LEN; pos++) {
    memcpy(copy, data, len);
    copy[pos] ^= masks[pos % G_N_ELEMENTS(masks)];
    fix_image(copy, len);
    try_mutant(&c, copy, len);
  }
  g_test_message("%u flips refused (%u distinct messages), %u loaded and evaluated", c.refused,
                 g_hash_table_size(c.messages), c.loaded);
  /* Both outcomes occur: flips in names, texts and numbers load; flips in
   * opcodes, registers and indexes are refused. */
  g_assert_cmpuint(c.refused, >, len / 4);
  g_assert_cmpuint(c.loaded, >, len / 20);
  g_hash_table_unref(c.messages);
  g_free(copy);
}

/* The mini model with an experiment (format version 6: section EXPS and
 * the journeys' links to it): every byte flipped, as above. */
static const char exp_extra[] =
    "experiment ex \"实验\" {\n"
    "  arms a 50%, b 30%, holdout 20%\n"
    "  salt \"s1\"\n"
    "  metric big within 14d\n"
    "}\n"
    "tag in_a when arm(ex) == \"a\"\n"
    "journey k {\n"
    "  enter when adult\n"
    "  split ex {\n"
    "    a: send email \"x\"\n"
    "    b: notify slack \"y\"\n"
    "  }\n"
    "}\n";

static void test_corpus_flips_experiment(void) {
  g_autofree char *text = g_strconcat(mini_source, exp_extra, NULL);
  g_autoptr(PersonaModel) m = compile_text(text);
  g_autoptr(GBytes) b = to_bytes(m);
  gsize len;
  const guint8 *data = g_bytes_get_data(b, &len);
  g_assert_cmpuint(data[8], ==, 7);
  guint8 *copy = g_malloc(len);
  Corpus c = {.messages = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL)};
  for (gsize pos = 0; pos < len - PBC_TRAILER_LEN; pos++) {
    memcpy(copy, data, len);
    copy[pos] ^= (guint8)(1u << (pos % 8));
    fix_image(copy, len);
    try_mutant(&c, copy, len);
  }
  /* A flip in a bucket count breaks the sum of 10 000: the verifier says so. */
  gboolean bucket_refusal = FALSE;
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init(&it, c.messages);
  while (g_hash_table_iter_next(&it, &key, NULL))
    bucket_refusal |= strstr(key, "experiment ex: the arms take") != NULL;
  g_test_message("%u flips refused (%u distinct messages), %u loaded", c.refused, g_hash_table_size(c.messages),
                 c.loaded);
  g_assert_true(bucket_refusal);
  g_assert_cmpuint(c.refused, >, len / 4);
  g_assert_cmpuint(c.loaded, >, len / 20);
  g_hash_table_unref(c.messages);
  g_free(copy);
}

/* Several random bytes changed, inserted or deleted, on a large model. */
static void test_corpus_random(void) {
  g_autoptr(PersonaModel) src = compile_example("b2b_journeys.persona");
  g_autoptr(GBytes) big = to_bytes(src);
  g_autoptr(GBytes) small = mini_image();
  GBytes *images[] = {small, big};
  GRand *rand = g_rand_new_with_seed(20260201);
  Corpus c = {0};
  for (gsize k = 0; k < G_N_ELEMENTS(images); k++) {
    gsize len;
    const guint8 *data = g_bytes_get_data(images[k], &len);
    for (int round = 0; round < 1500; round++) {
      GByteArray *a = g_byte_array_sized_new((guint)len + 16);
      g_byte_array_append(a, data, (guint)len);
      int edits = g_rand_int_range(rand, 1, 9);
      for (int e = 0; e < edits; e++) {
        guint body = a->len - PBC_TRAILER_LEN - PBC_HEADER_LEN;
        guint pos = PBC_HEADER_LEN + (guint)g_rand_int_range(rand, 0, (gint32)body);
        int what = g_rand_int_range(rand, 0, 10);
        if (what == 0) {
          g_byte_array_remove_index(a, pos);
        } else if (what == 1) {
          guint8 x = (guint8)g_rand_int(rand);
          g_byte_array_append(a, &x, 1); /* grow by one, then shift the tail */
          memmove(a->data + pos + 1, a->data + pos, a->len - pos - 1);
          a->data[pos] = x;
        } else if (what == 2) {
          a->data[pos] = 0xff; /* large counts and indexes */
        } else {
          a->data[pos] = (guint8)g_rand_int(rand);
        }
      }
      fix_image(a->data, a->len);
      try_mutant(&c, a->data, a->len);
      g_byte_array_unref(a);
    }
  }
  g_test_message("%u random mutants refused, %u loaded and evaluated", c.refused, c.loaded);
  g_assert_cmpuint(c.refused + c.loaded, ==, 3000);
  g_assert_cmpuint(c.refused, >, 1000);
  g_rand_free(rand);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/runtime/bytecode/rewrite-identical", test_rewrite_identical);
  g_test_add_func("/runtime/bytecode/eval-lead-identical", test_eval_lead_identical);
  g_test_add_func("/runtime/bytecode/eval-journeys-identical", test_eval_journeys_identical);
  g_test_add_func("/runtime/bytecode/save-load-file", test_save_load_file);
  g_test_add_func("/runtime/bytecode/header-errors", test_header_errors);
  g_test_add_func("/runtime/bytecode/version3-when-plain", test_version3_when_plain);
  g_test_add_func("/runtime/bytecode/verifier-errors", test_verifier_errors);
  g_test_add_func("/runtime/bytecode/older-versions", test_older_versions);
  g_test_add_func("/runtime/bytecode/refuses-traces", test_refuses_traces);
  g_test_add_func("/runtime/bytecode/type-confusion", test_type_confusion);
  g_test_add_func("/runtime/bytecode/crafted-globals", test_crafted_globals);
  g_test_add_func("/runtime/bytecode/corpus/truncations", test_corpus_truncations);
  g_test_add_func("/runtime/bytecode/corpus/flips", test_corpus_flips);
  g_test_add_func("/runtime/bytecode/corpus/random", test_corpus_random);
  g_test_add_func("/runtime/bytecode/corpus/flips-experiment", test_corpus_flips_experiment);
  return g_test_run();
}
