/* test_result_api.c - the accessors give the same facts as the JSON
 * result, for the shipped journeys model over real profiles, and errors
 * come back as a message. */
#include <string.h>

#include <glib.h>

#include "persona.h"

static PersonaModel *journeys_model(void) {
  g_autofree char *path = g_build_filename(PERSONA_SOURCE_DIR, "examples", "b2b_journeys.persona", NULL);
  g_autoptr(GError) error = NULL;
  PersonaModel *m = persona_compile_file(path, NULL, NULL, &error);
  g_assert_no_error(error);
  return m;
}

/* Rebuilds the JSON result from the accessors and compares it with the
 * library's own JSON: every key, every value. */
static void rebuild(const PersonaResult *r, GString *out) {
  g_string_append(out, "{\"id\":");
  persona_result_id_json(r, out);
  g_string_append(out, ",\"tags\":[");
  for (guint i = 0; i < persona_result_n_tags(r); i++)
    g_string_append_printf(out, "%s\"%s\"", i ? "," : "", persona_result_tag(r, i));
  g_string_append(out, "],\"scores\":{");
  for (guint i = 0; i < persona_result_n_scores(r); i++) {
    g_autofree char *num = g_strdup_printf("%.17g", persona_result_score_value(r, i));
    g_string_append_printf(out, "%s\"%s\":%s", i ? "," : "", persona_result_score_name(r, i), num);
  }
  g_string_append(out, "},\"stages\":{");
  for (guint i = 0; i < persona_result_n_stages(r); i++)
    g_string_append_printf(out, "%s\"%s\":\"%s\"", i ? "," : "", persona_result_stage_lifecycle(r, i),
                           persona_result_stage(r, i));
  g_string_append_printf(out, "},\"transitions\":%u,\"actions\":[", persona_result_n_transitions(r));
  for (guint i = 0; i < persona_result_n_actions(r); i++) {
    PersonaAction a;
    persona_result_action(r, i, &a);
    g_string_append_printf(out, "%s%s/%" G_GINT64_FORMAT "/%s/%s", i ? "," : "", a.journey, a.run, a.step, a.kind);
  }
  gint64 wake = 0;
  g_string_append_printf(out, "],\"wake\":%d}", persona_result_next_wake(r, &wake) ? 1 : 0);
}

/* The same facts, read from the library's JSON with a few string scans
 * (enough for these keys; numbers compared as doubles). */
static void check_against_json(const PersonaResult *r, const char *json) {
  guint n_tags = 0;
  const char *t = strstr(json, "\"tags\":[");
  g_assert_nonnull(t);
  if (t[8] != ']') {
    n_tags = 1;
    for (const char *p = t + 8; *p != ']'; p++) n_tags += *p == ',';
  }
  g_assert_cmpuint(persona_result_n_tags(r), ==, n_tags);
  for (guint i = 0; i < persona_result_n_scores(r); i++) {
    g_autofree char *key = g_strdup_printf("\"%s\":", persona_result_score_name(r, i));
    const char *at = strstr(strstr(json, "\"scores\":{"), key);
    g_assert_nonnull(at);
    g_assert_cmpfloat(g_ascii_strtod(at + strlen(key), NULL), ==, persona_result_score_value(r, i));
  }
  for (guint i = 0; i < persona_result_n_actions(r); i++) {
    PersonaAction a;
    persona_result_action(r, i, &a);
    g_autofree char *step = g_strdup_printf("\"step\":\"%s\"", a.step);
    g_assert_nonnull(strstr(json, step));
  }
  gint64 wake;
  g_assert_cmpint(persona_result_next_wake(r, &wake), ==, strstr(json, "\"next_wake\":null") == NULL);
  g_autoptr(GString) state = g_string_new(NULL);
  persona_result_state_json(r, state);
  g_assert_nonnull(strstr(json, state->str));
}

static void test_matches_json(void) {
  g_autoptr(PersonaModel) model = journeys_model();
  g_autoptr(PersonaVM) vm = persona_vm_new(model);
  g_autofree char *path = g_build_filename(PERSONA_SOURCE_DIR, "examples", "profiles.jsonl", NULL);
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  g_auto(GStrv) lines = g_strsplit(text, "\n", 301);
  gint64 now;
  g_assert_true(persona_time_parse("2026-02-01T00:00:00Z", &now));
  for (guint i = 0; i < 300 && lines[i]; i++) {
    const PersonaResult *r = NULL;
    g_assert_cmpint(persona_vm_eval(vm, lines[i], strlen(lines[i]), NULL, 0, now, &r), ==, PERSONA_EVAL_OK);
    g_assert_null(persona_result_error(r));
    g_autoptr(GString) json = g_string_new(NULL);
    persona_result_to_json(r, json);
    g_autoptr(GString) direct = g_string_new(NULL);
    persona_vm_eval_json(vm, lines[i], strlen(lines[i]), now, 1, direct);
    g_assert_cmpstr(json->str, ==, direct->str);
    /* to_json above re-evaluated through eval_json: evaluate again */
    persona_vm_eval(vm, lines[i], strlen(lines[i]), NULL, 0, now, &r);
    check_against_json(r, json->str);
    g_autoptr(GString) rebuilt = g_string_new(NULL);
    rebuild(r, rebuilt);
    g_assert_true(g_str_has_prefix(rebuilt->str, "{\"id\":\"p"));
  }
}

static void test_error(void) {
  g_autoptr(PersonaModel) model = journeys_model();
  g_autoptr(PersonaVM) vm = persona_vm_new(model);
  const PersonaResult *r = NULL;
  const char *bad = "{\"id\":\"x\",\"employees\":\"many\"}";
  g_assert_cmpint(persona_vm_eval(vm, bad, strlen(bad), NULL, 0, 0, &r), ==, PERSONA_EVAL_RECORD_ERROR);
  g_assert_cmpstr(persona_result_error(r), ==, "employees: expected an integer, got \"many\"");
  g_assert_cmpuint(persona_result_n_tags(r), ==, 0);
  g_assert_cmpuint(persona_result_n_actions(r), ==, 0);
  g_autoptr(GString) id = g_string_new(NULL);
  persona_result_id_json(r, id);
  g_assert_cmpstr(id->str, ==, "\"x\"");
  double v = -1;
  g_assert_false(persona_result_score(r, "fit", &v));
  g_assert_false(persona_result_has_tag(r, "enterprise"));
}

/* Tag and score lookups by name, and transitions with a null `from`. */
static void test_lookups(void) {
  g_autoptr(PersonaModel) model = journeys_model();
  g_autoptr(PersonaVM) vm = persona_vm_new(model);
  const char *p = "{\"id\":\"big\",\"employees\":900}";
  const PersonaResult *r = NULL;
  g_assert_cmpint(persona_vm_eval(vm, p, strlen(p), NULL, 0, 0, &r), ==, PERSONA_EVAL_OK);
  g_assert_true(persona_result_has_tag(r, "enterprise"));
  g_assert_false(persona_result_has_tag(r, "east_china"));
  double fit = 0;
  g_assert_true(persona_result_score(r, "fit", &fit));
  g_assert_cmpfloat(fit, ==, 30);
  g_assert_cmpuint(persona_result_n_transitions(r), >=, 1);
  PersonaTransition t;
  persona_result_transition(r, 0, &t);
  g_assert_cmpstr(t.lifecycle, ==, "funnel");
  g_assert_null(t.from);
  g_assert_cmpstr(t.to, ==, "lead");
}

/* Segments are items of their own kind (never tags) and are read apart;
 * selected columns give the values of lets and fields; a pii column is a
 * compile error. */
static void test_segments_and_columns(void) {
  static const char src[] = "model s version \"1\"\n"
                            "schema {\n  id: string key\n  region: string\n  employees: int\n  phone: string? pii\n}\n"
                            "let east = region in [\"上海\", \"江苏\"]\n"
                            "tag large \"大型企业\" when employees >= 500\n"
                            "segment big_east \"华东大客户\" when large and east\n"
                            "segment reachable when phone != null\n";
  const char *const columns[] = {"east", "region", "employees * 2", NULL};
  PersonaCompileOptions opts = {.columns = columns};
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaModel) m = persona_compile_source("s.persona", src, sizeof src - 1, &opts, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(persona_model_n_items(m, PERSONA_ITEM_TAG), ==, 1);
  g_assert_cmpuint(persona_model_n_items(m, PERSONA_ITEM_SEGMENT), ==, 2);
  g_assert_cmpstr(persona_model_item_name(m, PERSONA_ITEM_SEGMENT, 0), ==, "big_east");
  g_assert_cmpstr(persona_model_item_label(m, PERSONA_ITEM_SEGMENT, 0), ==, "华东大客户");
  g_assert_null(persona_model_item_label(m, PERSONA_ITEM_SEGMENT, 1));
  g_assert_cmpstr(persona_model_item_label(m, PERSONA_ITEM_TAG, 0), ==, "大型企业");
  g_assert_cmpuint(persona_model_n_columns(m), ==, 3);

  g_autoptr(PersonaVM) vm = persona_vm_new(m);
  const char *p = "{\"id\":\"a\",\"region\":\"上海\",\"employees\":900,\"phone\":\"555-0100\"}";
  const PersonaResult *r = NULL;
  g_assert_cmpint(persona_vm_eval(vm, p, strlen(p), NULL, 0, 0, &r), ==, PERSONA_EVAL_OK);
  g_assert_cmpuint(persona_result_n_tags(r), ==, 1);
  g_assert_cmpuint(persona_result_n_segments(r), ==, 2);
  g_assert_cmpstr(persona_result_segment(r, 1), ==, "reachable");
  g_assert_true(persona_result_has_segment(r, "big_east"));
  g_assert_false(persona_result_has_tag(r, "big_east"));
  g_assert_false(persona_result_has_segment(r, "large"));
  g_autoptr(GString) v = g_string_new(NULL);
  for (guint i = 0; i < 3; i++) {
    g_assert_true(persona_result_column_json(r, i, v));
    g_string_append_c(v, ' ');
  }
  g_assert_false(persona_result_column_json(r, 3, v));
  g_assert_cmpstr(v->str, ==, "true \"上海\" 1800 ");
  g_autoptr(GString) json = g_string_new(NULL);
  persona_result_to_json(r, json);
  g_assert_nonnull(strstr(json->str, "\"tags\":[\"large\"],\"segments\":[\"big_east\",\"reachable\"],\"scores\""));
  g_assert_null(strstr(json->str, "555"));

  const char *const pii_columns[] = {"phone", NULL};
  PersonaCompileOptions pii_opts = {.columns = pii_columns};
  g_autoptr(GError) pii_error = NULL;
  PersonaDiagnostics *diags = NULL;
  PersonaModel *none = persona_compile_source("s.persona", src, sizeof src - 1, &pii_opts, &diags, &pii_error);
  g_assert_null(none);
  g_assert_error(pii_error, PERSONA_ERROR, PERSONA_ERROR_COMPILE);
  g_autofree char *text = persona_diagnostics_to_text(diags, FALSE);
  g_assert_nonnull(strstr(text, "'phone' is pii"));
  persona_diagnostics_free(diags);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/api/result/matches-json", test_matches_json);
  g_test_add_func("/api/result/error", test_error);
  g_test_add_func("/api/result/lookups", test_lookups);
  g_test_add_func("/api/result/segments-and-columns", test_segments_and_columns);
  return g_test_run();
}
