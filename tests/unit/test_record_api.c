/* test_record_api.c - one record decoded once for several models
 * (persona_vm_eval_record) gives, for every model, exactly the result or
 * error that persona_vm_eval gives on the text: with the same schema, with
 * another schema, another `now`, a field only one model reads, and on the
 * shipped profiles. */
#include <string.h>

#include <glib.h>

#include "persona.h"

static PersonaModel *compile(const char *text) {
  g_autoptr(GError) error = NULL;
  PersonaModel *m = persona_compile_source("t.persona", text, strlen(text), NULL, NULL, &error);
  g_assert_no_error(error);
  return m;
}

#define SCHEMA                                                                                              \
  "record event { type: string\n at: time }\n"                                                             \
  "schema {\n id: string key\n employees: int = 0\n note: string = \"\"\n events: list<event> = []\n}\n"

/* Reads `employees` and the events. */
static const char *const OLD = "model t version \"1\"\n" SCHEMA
                               "tag big when employees >= 500\n"
                               "score act { +5 per events where type == \"visit\" }\n"
                               "lifecycle f {\n initial lead\n lead -> hot when act >= 10\n}\n";
/* The same schema; also reads `note`, not the events. */
static const char *const NEW = "model t version \"2\"\n" SCHEMA
                               "tag big when employees >= 300\n"
                               "tag noted when note != \"\"\n"
                               "score act { +1 when noted }\n"
                               "lifecycle f {\n initial lead\n lead -> hot when big\n}\n";
/* Another schema (employees is a number). */
static const char *const OTHER = "model t version \"3\"\n"
                                 "schema {\n id: string key\n employees: number = 0\n}\n"
                                 "tag big when employees >= 400\n";

/* The JSON of the result by persona_vm_eval_record and by persona_vm_eval
 * must be the same bytes (an error object's message included). */
static void expect_same(PersonaModel *m, PersonaVM *vm, PersonaRecord *rec, const char *state, gint64 now) {
  gsize len = 0;
  const char *text = persona_record_text(rec, &len);
  const PersonaResult *r = NULL;
  g_autoptr(GString) by_record = g_string_new(NULL), by_text = g_string_new(NULL);
  PersonaEvalStatus a = persona_vm_eval_record(vm, rec, state, state ? strlen(state) : 0, now, &r);
  if (a == PERSONA_EVAL_OK) persona_result_to_json(r, by_record);
  else g_string_append_printf(by_record, "%s: %s", persona_result_error_code(r), persona_result_error(r));
  g_autoptr(PersonaVM) fresh = persona_vm_new(m);
  PersonaEvalStatus b = persona_vm_eval(fresh, text, len, state, state ? strlen(state) : 0, now, &r);
  if (b == PERSONA_EVAL_OK) persona_result_to_json(r, by_text);
  else g_string_append_printf(by_text, "%s: %s", persona_result_error_code(r), persona_result_error(r));
  g_assert_cmpint(a, ==, b);
  g_assert_cmpstr(by_record->str, ==, by_text->str);
}

static const char *const LINES[] = {
    "{\"id\":\"a\",\"employees\":400,\"note\":\"x\",\"events\":[{\"type\":\"visit\",\"at\":\"2026-01-01T00:00:00Z\"},"
    "{\"type\":\"visit\",\"at\":\"2026-01-02T00:00:00Z\"}]}",
    "{\"id\":\"b\",\"employees\":600}",
    "{\"id\":\"c\",\"employees\":100,\"events\":[{\"type\":\"visit\",\"at\":\"2027-01-01T00:00:00Z\"}]}",
    /* `note` has the wrong type: OLD never reads it (no error), NEW does. */
    "{\"id\":\"d\",\"employees\":700,\"note\":5}",
    /* an event's time is bad: OLD reports it, NEW never reads events. */
    "{\"id\":\"e\",\"events\":[{\"type\":\"visit\",\"at\":\"yesterday\"}]}",
    "{\"id\":\"f\",\"employees\":",
    "",
    "{\"id\":\"g\",\"employees\":350.5}",
};

static void test_same_as_text(void) {
  g_autoptr(PersonaModel) mo = compile(OLD), mn = compile(NEW), mx = compile(OTHER);
  g_autoptr(PersonaVM) vo = persona_vm_new(mo), vn = persona_vm_new(mn), vx = persona_vm_new(mx);
  g_autoptr(PersonaRecord) rec = persona_record_new(NULL, 0);
  gint64 now = 0;
  g_assert_true(persona_time_parse("2026-02-01T00:00:00Z", &now));
  for (guint i = 0; i < G_N_ELEMENTS(LINES); i++) {
    persona_record_set(rec, LINES[i], strlen(LINES[i]));
    expect_same(mo, vo, rec, NULL, now);
    expect_same(mn, vn, rec, NULL, now);
    expect_same(mx, vx, rec, NULL, now);
    expect_same(mo, vo, rec, NULL, now + G_GINT64_CONSTANT(400) * 86400 * G_USEC_PER_SEC); /* another now */
    expect_same(mn, vn, rec, "{}", now);
  }
}

/* Both results stay readable until the record is set again: the second
 * evaluation does not overwrite what the first one decoded. */
static void test_both_results_live(void) {
  g_autoptr(PersonaModel) mo = compile(OLD), mn = compile(NEW);
  g_autoptr(PersonaVM) vo = persona_vm_new(mo), vn = persona_vm_new(mn);
  g_autoptr(PersonaRecord) rec = persona_record_new(LINES[0], strlen(LINES[0]));
  const PersonaResult *ra = NULL, *rb = NULL;
  g_assert_cmpint(persona_vm_eval_record(vo, rec, NULL, 0, G_GINT64_CONSTANT(1769904000) * G_USEC_PER_SEC, &ra), ==, PERSONA_EVAL_OK);
  g_assert_cmpint(persona_vm_eval_record(vn, rec, NULL, 0, G_GINT64_CONSTANT(1769904000) * G_USEC_PER_SEC, &rb), ==, PERSONA_EVAL_OK);
  g_autoptr(GString) id = g_string_new(NULL);
  persona_result_id_json(ra, id);
  g_assert_cmpstr(id->str, ==, "\"a\"");
  g_assert_false(persona_result_tag_holds(ra, 0)); /* 400 < 500 */
  g_assert_true(persona_result_tag_holds(rb, 0));  /* 400 >= 300 */
  g_assert_true(persona_result_tag_holds(rb, 1));
  g_assert_cmpfloat(persona_result_score_value(ra, 0), ==, 10);
  g_assert_cmpfloat(persona_result_score_value(rb, 0), ==, 1);
  g_assert_cmpint(persona_result_stage_index(ra, 0), ==, 1); /* hot */
  g_assert_cmpint(persona_result_stage_index(rb, 0), ==, 1);
  g_assert_cmpint(persona_result_stage_index(rb, 5), ==, -1);
  g_assert_cmpint(persona_vm_eval_record(NULL, rec, NULL, 0, 0, &ra), ==, PERSONA_EVAL_USAGE_ERROR);
}

/* The shipped model over the shipped profiles, two VMs of one model and a
 * VM of another model that shares the schema shape of none. */
static void test_shipped_profiles(void) {
  g_autofree char *path = g_build_filename(PERSONA_SOURCE_DIR, "examples", "b2b_lead.persona", NULL);
  g_autofree char *data_path = g_build_filename(PERSONA_SOURCE_DIR, "examples", "profiles.jsonl", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaModel) m = persona_compile_file(path, NULL, NULL, &error);
  g_assert_no_error(error);
  g_autoptr(PersonaModel) mo = compile(OLD);
  g_autoptr(PersonaVM) v1 = persona_vm_new(m), v2 = persona_vm_new(m), vo = persona_vm_new(mo);
  g_autofree char *data = NULL;
  g_assert_true(g_file_get_contents(data_path, &data, NULL, &error));
  g_auto(GStrv) lines = g_strsplit(data, "\n", -1);
  g_autoptr(PersonaRecord) rec = persona_record_new(NULL, 0);
  for (guint i = 0; lines[i]; i++) {
    persona_record_set(rec, lines[i], strlen(lines[i]));
    expect_same(m, v1, rec, NULL, G_GINT64_CONSTANT(1769904000) * G_USEC_PER_SEC);
    expect_same(m, v2, rec, NULL, G_GINT64_CONSTANT(1769904000) * G_USEC_PER_SEC);
    expect_same(mo, vo, rec, NULL, G_GINT64_CONSTANT(1769904000) * G_USEC_PER_SEC);
  }
}

/* The record is decoded once for models that read profiles the same way
 * (what persona diff relies on): after the first VM decoded it, its text
 * is damaged where a number was; a VM of the same schema still evaluates
 * it from the shared decoding, a VM of another schema decodes the text and
 * fails. (A white-box check: the text is written through the pointer the
 * record lends, which no program should do.) */
static void test_decoded_once(void) {
  g_autoptr(PersonaModel) mo = compile(OLD), mn = compile(NEW), mx = compile(OTHER);
  g_autoptr(PersonaVM) vo = persona_vm_new(mo), vn = persona_vm_new(mn), vx = persona_vm_new(mx);
  static const char line[] = "{\"id\":\"a\",\"employees\":400}";
  g_autoptr(PersonaRecord) rec = persona_record_new(line, strlen(line));
  gint64 now = G_GINT64_CONSTANT(1769904000) * G_USEC_PER_SEC;
  const PersonaResult *r = NULL;
  g_assert_cmpint(persona_vm_eval_record(vo, rec, NULL, 0, now, &r), ==, PERSONA_EVAL_OK);
  char *text = (char *)persona_record_text(rec, NULL);
  char *digit = strstr(text, "400");
  g_assert_nonnull(digit);
  *digit = 'x';
  g_assert_cmpint(persona_vm_eval_record(vn, rec, NULL, 0, now, &r), ==, PERSONA_EVAL_OK);
  g_assert_true(persona_result_tag_holds(r, 0)); /* 400 >= 300: the decoded value */
  g_assert_cmpint(persona_vm_eval_record(vx, rec, NULL, 0, now, &r), ==, PERSONA_EVAL_RECORD_ERROR);
  g_assert_cmpstr(persona_result_error_code(r), ==, "bad_json");
}

/* PERSONA_RESULT_NO_OUTPUT: the `output { }` block is not run, so the
 * result is the standard result of the same model without the block, and
 * an error only the block raises (an int overflow here) fails nothing. */
static void test_no_output(void) {
  static const char *const BODY = "model t version \"1\"\n" SCHEMA
                                  "tag big when employees >= 500\n"
                                  "score s { +5 when big }\n";
  g_autofree char *with_output =
      g_strconcat(BODY, "output { id: id, huge: employees * 4611686018427387904 }\n", NULL);
  g_autoptr(PersonaModel) mo = compile(with_output), plain = compile(BODY);
  g_autoptr(PersonaVM) vo = persona_vm_new(mo), vskip = persona_vm_new(mo), vp = persona_vm_new(plain);
  persona_vm_set_result_options(vskip, PERSONA_RESULT_NO_OUTPUT);
  static const char line[] = "{\"id\":\"a\",\"employees\":600}";
  const PersonaResult *r = NULL;
  g_assert_cmpint(persona_vm_eval(vo, line, strlen(line), NULL, 0, 0, &r), ==, PERSONA_EVAL_RECORD_ERROR);
  g_assert_cmpstr(persona_result_error_code(r), ==, "runtime");
  g_autoptr(GString) skipped = g_string_new(NULL), standard = g_string_new(NULL);
  g_assert_cmpint(persona_vm_eval(vskip, line, strlen(line), NULL, 0, 0, &r), ==, PERSONA_EVAL_OK);
  g_assert_true(persona_result_tag_holds(r, 0));
  g_assert_cmpfloat(persona_result_score_value(r, 0), ==, 5);
  persona_result_to_json(r, skipped);
  g_assert_cmpint(persona_vm_eval(vp, line, strlen(line), NULL, 0, 0, &r), ==, PERSONA_EVAL_OK);
  persona_result_to_json(r, standard);
  g_assert_cmpstr(skipped->str, ==, standard->str);
  /* Off again: the block runs (and fails) as before. */
  persona_vm_set_result_options(vskip, 0);
  g_assert_cmpint(persona_vm_eval(vskip, line, strlen(line), NULL, 0, 0, &r), ==, PERSONA_EVAL_RECORD_ERROR);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/api/record/same-as-text", test_same_as_text);
  g_test_add_func("/api/record/both-results-live", test_both_results_live);
  g_test_add_func("/api/record/shipped-profiles", test_shipped_profiles);
  g_test_add_func("/api/record/no-output", test_no_output);
  g_test_add_func("/api/record/decoded-once", test_decoded_once);
  return g_test_run();
}
