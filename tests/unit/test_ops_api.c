/* test_ops_api.c - what a host program needs to operate the library
 * (issue 17): error codes and field paths for every kind of record error,
 * NULL arguments as usage errors, a compile failure that names its first
 * error, one rule for "no state", introspection of a model's declarations,
 * and the batch call giving exactly what one call per record gives. */
#include <string.h>

#include <glib.h>

#include "persona.h"

static const char model_src[] =
    "model ops version \"3\"\n"
    "record event {\n  type: string\n  at: time\n}\n"
    "schema {\n  id: string key\n  n: int = 0\n  plan: string = \"free\"\n  events: list<event> = []\n}\n"
    "tag vip \"Very important\" when n > 10\n"
    "tag active when exists(events where type == \"login\")\n"
    "score fit = 100 / n\n"
    "lifecycle account {\n  initial trial\n  trial -> paying when plan != \"free\"\n}\n"
    "journey onboarding {\n  enter on account -> \"trial\"\n  send email \"hello\"\n  @pause wait 2d\n"
    "  send email \"tips\"\n}\n";

static PersonaModel *ops_model(void) {
  g_autoptr(GError) error = NULL;
  PersonaModel *m = persona_compile_source("ops.persona", model_src, strlen(model_src), NULL, NULL, &error);
  g_assert_no_error(error);
  return m;
}

#define NOW 1769904000000000 /* 2026-02-01T00:00:00Z */

typedef struct {
  const char *record, *state, *code, *field, *message_start;
  guint64 budget;
} ErrorCase;

/* Each code of docs/embedding.md, "Error codes", from the C API and in
 * the JSON error object, with the field path where there is one. */
static void test_error_codes(void) {
  g_autoptr(PersonaModel) m = ops_model();
  const ErrorCase cases[] = {
      {"{\"id\":\"a\",", NULL, "bad_json", NULL, "malformed JSON at byte 11", 0},
      {"[1]", NULL, "bad_json", NULL, "expected a JSON object, got an array", 0},
      {"{\"id\":\"a\xff\"}", NULL, "bad_utf8", NULL, "invalid UTF-8 at byte 9", 0},
      {"{\"id\":\"a\",\"n\":\"x\"}", NULL, "type_mismatch", "n", "n: expected an integer", 0},
      {"{\"id\":\"a\",\"events\":[{\"type\":\"login\",\"at\":\"2026-01-01\"},{\"type\":\"x\",\"at\":true}]}", NULL,
       "type_mismatch", "events[1].at", "events[1].at: expected a time", 0},
      {"{\"n\":1}", NULL, "missing_field", "id", "missing required field 'id'", 0},
      {"{\"id\":\"a\",\"events\":[{\"at\":\"2026-01-01\"}]}", NULL, "missing_field", "events[0].type",
       "events[0]: missing required field 'type'", 0},
      {"{\"id\":\"a\",\"n\":1e30}", NULL, "out_of_range", "n", "n: integer out of range", 0},
      {"{\"id\":\"a\",\"n\":1}", "{\"v\":2}", "bad_state", NULL, "state: state format version 2 is newer", 0},
      {"{\"id\":\"a\",\"n\":1}", "{\"lifecycles\":[]}", "bad_state", NULL, "state: the state has no format", 0},
      {"{\"id\":\"a\",\"n\":0}", NULL, "runtime", NULL, "division by zero in score fit", 0},
      {"{\"id\":\"a\",\"n\":1}", NULL, "budget", NULL, "instruction budget of 3 exceeded", 3},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    const ErrorCase *c = &cases[i];
    g_autoptr(PersonaVM) vm = persona_vm_new(m);
    persona_vm_set_budget(vm, c->budget);
    const PersonaResult *r = NULL;
    PersonaEvalStatus st = persona_vm_eval(vm, c->record, strlen(c->record), c->state,
                                           c->state ? strlen(c->state) : 0, NOW, &r);
    g_assert_cmpint(st, ==, PERSONA_EVAL_RECORD_ERROR);
    g_assert_cmpstr(persona_result_error_code(r), ==, c->code);
    g_assert_cmpstr(persona_result_error_field(r), ==, c->field);
    g_assert_true(g_str_has_prefix(persona_result_error(r), c->message_start));
    /* The JSON error object carries the same code and field. */
    g_autoptr(GString) json = g_string_new(NULL);
    persona_result_to_json(r, json);
    g_autofree char *code = g_strdup_printf(",\"code\":\"%s\"", c->code);
    g_assert_nonnull(strstr(json->str, code));
    if (c->field) {
      g_autofree char *field = g_strdup_printf(",\"field\":\"%s\"}", c->field);
      g_assert_true(g_str_has_suffix(json->str, field));
    } else {
      g_assert_null(strstr(json->str, "\"field\""));
    }
  }
  /* A success has neither. */
  g_autoptr(PersonaVM) vm = persona_vm_new(m);
  const PersonaResult *r = NULL;
  g_assert_cmpint(persona_vm_eval(vm, "{\"id\":\"a\",\"n\":5}", 16, NULL, 0, NOW, &r), ==, PERSONA_EVAL_OK);
  g_assert_null(persona_result_error_code(r));
  g_assert_null(persona_result_error_field(r));
}

/* NULL where data was promised is the caller's mistake: USAGE_ERROR, code
 * "usage", never a crash and never a record error. */
static void test_null_arguments(void) {
  g_autoptr(PersonaModel) m = ops_model();
  g_autoptr(PersonaVM) vm = persona_vm_new(m);
  const PersonaResult *r = NULL;
  g_autoptr(GString) out = g_string_new(NULL);
  g_assert_cmpint(persona_vm_eval(NULL, "{}", 2, NULL, 0, NOW, &r), ==, PERSONA_EVAL_USAGE_ERROR);
  g_assert_cmpint(persona_vm_eval(vm, "{}", 2, NULL, 0, NOW, NULL), ==, PERSONA_EVAL_USAGE_ERROR);
  g_assert_cmpint(persona_vm_eval(vm, NULL, 5, NULL, 0, NOW, &r), ==, PERSONA_EVAL_USAGE_ERROR);
  g_assert_cmpstr(persona_result_error_code(r), ==, "usage");
  g_assert_cmpstr(persona_result_error(r), ==, "usage: the record is NULL");
  g_assert_cmpint(persona_vm_eval(vm, "{\"id\":\"a\"}", 10, NULL, 3, NOW, &r), ==, PERSONA_EVAL_USAGE_ERROR);
  g_assert_cmpstr(persona_result_error(r), ==, "usage: the state is NULL");
  g_assert_cmpint(persona_vm_eval_json(vm, "{}", 2, NOW, 1, NULL), ==, PERSONA_EVAL_USAGE_ERROR);
  g_assert_cmpint(persona_vm_eval_json(NULL, "{}", 2, NOW, 1, out), ==, PERSONA_EVAL_USAGE_ERROR);
  g_assert_cmpint(persona_vm_eval_json(vm, NULL, 4, NOW, 7, out), ==, PERSONA_EVAL_USAGE_ERROR);
  g_assert_cmpstr(out->str, ==, "{\"id\":null,\"line\":7,\"error\":\"usage: the record is NULL\",\"code\":\"usage\"}");
  g_assert_cmpint(persona_vm_eval_lines(vm, NULL, 3, NOW, 1, out, NULL, NULL), ==, PERSONA_EVAL_USAGE_ERROR);
  /* NULL with length 0 is an empty record, a record error like any. */
  g_assert_cmpint(persona_vm_eval(vm, NULL, 0, NULL, 0, NOW, &r), ==, PERSONA_EVAL_RECORD_ERROR);
  g_assert_cmpstr(persona_result_error_code(r), ==, "bad_json");
}

/* The GError of a failed compile names the first error and its place. */
static void test_compile_error_message(void) {
  static const char bad[] = "model x version \"1\"\nschema {\n  id: string key\n}\n"
                            "tag a when nope > 1\nscore s = also_nope\n";
  g_autoptr(GError) error = NULL;
  PersonaModel *m = persona_compile_source("bad.persona", bad, strlen(bad), NULL, NULL, &error);
  g_assert_null(m);
  g_assert_error(error, PERSONA_ERROR, PERSONA_ERROR_COMPILE);
  g_assert_cmpstr(error->message, ==, "bad.persona:5:12: unknown name 'nope' (and 1 more error)");
}

/* No state is NULL, empty or blank text, null, or {}: the same result as
 * a first sight, byte for byte; any other object needs "v". */
static void test_no_state_rule(void) {
  g_autoptr(PersonaModel) m = ops_model();
  g_autoptr(PersonaVM) vm = persona_vm_new(m);
  static const char rec[] = "{\"id\":\"a\",\"n\":20}";
  g_autoptr(GString) want = g_string_new(NULL);
  g_autoptr(GString) want_state = g_string_new(NULL);
  g_assert_cmpint(persona_vm_eval_json_state(vm, rec, strlen(rec), NULL, 0, NOW, 1, want, want_state), ==,
                  PERSONA_EVAL_OK);
  g_assert_nonnull(strstr(want_state->str, "\"onboarding\""));
  const char *none[] = {"", "  \n", "null", " null ", "{}", " { \t} "};
  for (gsize i = 0; i < G_N_ELEMENTS(none); i++) {
    g_autoptr(GString) got = g_string_new(NULL);
    g_autoptr(GString) got_state = g_string_new(NULL);
    g_assert_cmpint(persona_vm_eval_json_state(vm, rec, strlen(rec), none[i], strlen(none[i]), NOW, 1, got,
                                               got_state),
                    ==, PERSONA_EVAL_OK);
    g_assert_cmpstr(got->str, ==, want->str);
    g_assert_cmpstr(got_state->str, ==, want_state->str);
  }
  const char *bad[] = {"{\"x\":1}", "nul", "[]", "{} {}"};
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    const PersonaResult *r = NULL;
    g_assert_cmpint(persona_vm_eval(vm, rec, strlen(rec), bad[i], strlen(bad[i]), NOW, &r), ==,
                    PERSONA_EVAL_RECORD_ERROR);
    g_assert_cmpstr(persona_result_error_code(r), ==, "bad_state");
  }
}

static void test_introspection(void) {
  g_autoptr(PersonaModel) m = ops_model();
  g_assert_cmpuint(persona_model_n_items(m, PERSONA_ITEM_TAG), ==, 2);
  g_assert_cmpstr(persona_model_item_name(m, PERSONA_ITEM_TAG, 0), ==, "vip");
  g_assert_cmpstr(persona_model_item_name(m, PERSONA_ITEM_TAG, 1), ==, "active");
  g_assert_null(persona_model_item_name(m, PERSONA_ITEM_TAG, 2));
  g_assert_cmpstr(persona_model_tag_label(m, 0), ==, "Very important");
  g_assert_null(persona_model_tag_label(m, 1));
  g_assert_cmpuint(persona_model_n_items(m, PERSONA_ITEM_SCORE), ==, 1);
  g_assert_cmpstr(persona_model_item_name(m, PERSONA_ITEM_SCORE, 0), ==, "fit");
  g_assert_cmpuint(persona_model_n_items(m, PERSONA_ITEM_LIFECYCLE), ==, 1);
  g_assert_cmpstr(persona_model_item_name(m, PERSONA_ITEM_LIFECYCLE, 0), ==, "account");
  g_assert_cmpuint(persona_model_item_n_parts(m, PERSONA_ITEM_LIFECYCLE, 0), ==, 2);
  g_assert_cmpstr(persona_model_item_part(m, PERSONA_ITEM_LIFECYCLE, 0, 0), ==, "trial");
  g_assert_cmpstr(persona_model_item_part(m, PERSONA_ITEM_LIFECYCLE, 0, 1), ==, "paying");
  g_assert_cmpuint(persona_model_n_items(m, PERSONA_ITEM_JOURNEY), ==, 1);
  g_assert_cmpstr(persona_model_item_name(m, PERSONA_ITEM_JOURNEY, 0), ==, "onboarding");
  g_assert_cmpuint(persona_model_item_n_parts(m, PERSONA_ITEM_JOURNEY, 0), ==, 3);
  g_assert_cmpstr(persona_model_item_part(m, PERSONA_ITEM_JOURNEY, 0, 1), ==, "onboarding/@pause");
  g_assert_null(persona_model_item_part(m, PERSONA_ITEM_JOURNEY, 0, 3));
  g_assert_cmpuint(persona_model_item_n_parts(m, PERSONA_ITEM_TAG, 0), ==, 0);
  /* The names agree with what an evaluation reports. */
  g_autoptr(PersonaVM) vm = persona_vm_new(m);
  const PersonaResult *r = NULL;
  g_assert_cmpint(persona_vm_eval(vm, "{\"id\":\"a\",\"n\":50}", 17, NULL, 0, NOW, &r), ==, PERSONA_EVAL_OK);
  g_assert_cmpstr(persona_result_tag(r, 0), ==, persona_model_item_name(m, PERSONA_ITEM_TAG, 0));
  g_assert_cmpstr(persona_result_score_name(r, 0), ==, persona_model_item_name(m, PERSONA_ITEM_SCORE, 0));
  g_assert_cmpstr(persona_result_stage_lifecycle(r, 0), ==, persona_model_item_name(m, PERSONA_ITEM_LIFECYCLE, 0));
}

/* One call over JSON Lines gives exactly the lines of one call per record. */
static void test_eval_lines(void) {
  g_autoptr(PersonaModel) m = ops_model();
  static const char lines[] = "{\"id\":\"a\",\"n\":20}\n\n{\"id\":\"b\",\"n\":\"x\"}\n  \n{\"id\":\"c\",\"n\":0}\n"
                              "{\"id\":\"d\"}";
  g_autoptr(PersonaVM) vm = persona_vm_new(m);
  g_autoptr(GString) got = g_string_new(NULL);
  guint64 n = 0, errors = 0;
  g_assert_cmpint(persona_vm_eval_lines(vm, lines, strlen(lines), NOW, 10, got, &n, &errors), ==,
                  PERSONA_EVAL_RECORD_ERROR);
  g_assert_cmpuint(n, ==, 4);
  g_assert_cmpuint(errors, ==, 3); /* "x", and 100 / 0 twice */
  g_autoptr(GString) want = g_string_new(NULL);
  g_auto(GStrv) split = g_strsplit(lines, "\n", -1);
  g_autoptr(PersonaVM) one = persona_vm_new(m);
  for (guint i = 0; split[i]; i++) {
    g_autofree char *trimmed = g_strstrip(g_strdup(split[i]));
    if (!*trimmed) continue;
    persona_vm_eval_json(one, split[i], strlen(split[i]), NOW, 10 + i, want);
    g_string_append_c(want, '\n');
  }
  g_assert_cmpstr(got->str, ==, want->str);
  g_assert_nonnull(strstr(got->str, "\"line\":12,"));
  /* All good: OK. */
  g_string_truncate(got, 0);
  g_assert_cmpint(persona_vm_eval_lines(vm, "{\"id\":\"z\",\"n\":1}", 16, NOW, 1, got, NULL, NULL), ==,
                  PERSONA_EVAL_OK);
}

/* A per-VM memory bound: a record over it is a too_large error object,
 * the next record is evaluated normally, and 0 restores the default. */
static void test_memory_limit(void) {
  g_autoptr(PersonaModel) m = ops_model();
  g_autoptr(PersonaVM) vm = persona_vm_new(m);
  /* 2 MiB of events: the decoded list and its records live in the arena. */
  g_autoptr(GString) big = g_string_new("{\"id\":\"big\",\"events\":[");
  for (int i = 0; i < 40000; i++)
    g_string_append_printf(big, "%s{\"type\":\"login\",\"at\":\"2026-01-01\"}", i ? "," : "");
  g_string_append(big, "]}");
  const PersonaResult *r = NULL;
  persona_vm_set_memory_limit(vm, 1 << 20);
  g_assert_cmpint(persona_vm_eval(vm, big->str, big->len, NULL, 0, NOW, &r), ==, PERSONA_EVAL_RECORD_ERROR);
  g_assert_cmpstr(persona_result_error_code(r), ==, "too_large");
  g_assert_cmpint(persona_vm_eval(vm, "{\"id\":\"a\",\"n\":5}", 16, NULL, 0, NOW, &r), ==, PERSONA_EVAL_OK);
  persona_vm_set_memory_limit(vm, 0);
  g_assert_cmpint(persona_vm_eval(vm, big->str, big->len, NULL, 0, NOW, &r), ==, PERSONA_EVAL_RECORD_ERROR);
  g_assert_cmpstr(persona_result_error_code(r), ==, "runtime"); /* n defaults to 0: 100 / 0, not memory */
}

static void test_version(void) {
  g_assert_true(g_regex_match_simple("^[0-9]+\\.[0-9]+\\.[0-9]+$", persona_version(), 0, 0));
  g_assert_cmpstr(persona_version(), ==, PERSONA_EXPECTED_VERSION);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/ops/error-codes", test_error_codes);
  g_test_add_func("/ops/null-arguments", test_null_arguments);
  g_test_add_func("/ops/compile-error-message", test_compile_error_message);
  g_test_add_func("/ops/no-state-rule", test_no_state_rule);
  g_test_add_func("/ops/introspection", test_introspection);
  g_test_add_func("/ops/eval-lines", test_eval_lines);
  g_test_add_func("/ops/memory-limit", test_memory_limit);
  g_test_add_func("/ops/version", test_version);
  return g_test_run();
}
