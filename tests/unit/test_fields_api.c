/* The fields a model reads (persona_model_field) and a record reduced to
 * them (persona_model_reduce_record): the reduced record keeps exactly the
 * read fields, byte for byte, and evaluates to the same result bytes as
 * the whole record. */
#include <glib.h>
#include <string.h>

#include "persona.h"

static const char model_src[] =
    "model f version \"1\"\n"
    "record event {\n  type: string\n  url: string?\n  at: time\n}\n"
    "schema {\n  id: string key\n  employees: int = 0\n  phone: string? pii\n  email: string? pii\n"
    "  title: string = \"\"\n  events: list<event> = []\n}\n"
    "tag big when employees >= 500\n"
    "tag reachable when phone != null\n"
    "score visits {\n  +5 per events where type == \"visit\"\n}\n";

static PersonaModel *model(void) {
  g_autoptr(GError) error = NULL;
  PersonaModel *m = persona_compile_source("f.persona", model_src, strlen(model_src), NULL, NULL, &error);
  g_assert_no_error(error);
  g_assert_nonnull(m);
  return m;
}

static void test_fields(void) {
  g_autoptr(PersonaModel) m = model();
  static const struct { const char *name; gboolean read, pii, key; } want[] = {
      {"id", TRUE, FALSE, TRUE},     {"employees", TRUE, FALSE, FALSE}, {"phone", TRUE, TRUE, FALSE},
      {"email", FALSE, TRUE, FALSE}, {"title", FALSE, FALSE, FALSE},    {"events", TRUE, FALSE, FALSE},
  };
  g_assert_cmpuint(persona_model_n_fields(m), ==, G_N_ELEMENTS(want));
  for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
    PersonaField f;
    persona_model_field(m, i, &f);
    g_assert_cmpstr(f.name, ==, want[i].name);
    g_assert_cmpint(f.read, ==, want[i].read);
    g_assert_cmpint(f.pii, ==, want[i].pii);
    g_assert_cmpint(f.key, ==, want[i].key);
  }
}

static void eval_bytes(PersonaModel *m, const char *json, GString *out) {
  g_autoptr(PersonaVM) vm = persona_vm_new(m);
  const PersonaResult *res = NULL;
  gint64 now = 0;
  g_assert_true(persona_time_parse("2026-02-01T00:00:00Z", &now));
  persona_vm_eval(vm, json, strlen(json), NULL, 0, now, &res);
  persona_result_to_json(res, out);
}

static void test_reduce(void) {
  g_autoptr(PersonaModel) m = model();
  static const struct { const char *in, *out; } cases[] = {
      /* unread schema fields and unknown keys go, in records of lists too
       * (url); values stay as written */
      {"{\"id\":\"a\",\"employees\":8e2,\"phone\":\"555-0100\",\"email\":\"a@x.com\",\"nick\":{\"x\":[1]},"
       "\"events\":[{\"type\":\"visit\",\"url\":\"/p\",\"at\":\"2026-01-01\"}]}",
       "{\"id\":\"a\",\"employees\":8e2,\"phone\":\"555-0100\","
       "\"events\":[{\"type\":\"visit\",\"at\":\"2026-01-01\"}]}"},
      /* nested: the order written, duplicates kept (each is checked), escaped keys, empty
       * objects and lists; the first events has an error, as in the input */
      {"{\"events\":[ {\"at\":\"2026-01-02\",\"url\":\"/x\",\"\\u0074ype\":\"a\",\"type\":\"visit\"} , {},"
       "{\"type\":\"mail\",\"at\":1767225600}],\"id\":\"n\",\"events\":[] ,\"events\":[{\"type\":\"visit\","
       "\"at\":\"2026-01-03\",\"url\":null}, {\"type\":\"x\",\"at\":\"2026-01-04\"}]}",
       "{\"events\":[{\"at\":\"2026-01-02\",\"type\":\"a\",\"type\":\"visit\"},{},{\"type\":\"mail\",\"at\":1767225600}],"
       "\"id\":\"n\",\"events\":[],\"events\":[{\"type\":\"visit\",\"at\":\"2026-01-03\"},{\"type\":\"x\",\"at\":\"2026-01-04\"}]}"},
      /* the same without the error: the last events wins */
      {"{\"events\":[{\"type\":\"visit\",\"at\":\"2026-01-02\"}],\"id\":\"m\",\"events\":[{\"type\":\"x\",\"at\":\"2026-01-04\"}]}",
       "{\"events\":[{\"type\":\"visit\",\"at\":\"2026-01-02\"}],\"id\":\"m\",\"events\":[{\"type\":\"x\",\"at\":\"2026-01-04\"}]}"},
      /* a value of the wrong JSON type is kept as it is: it fails the same way */
      {"{\"id\":\"w\",\"events\":{\"type\":\"visit\"},\"employees\":\"many\"}",
       "{\"id\":\"w\",\"events\":{\"type\":\"visit\"},\"employees\":\"many\"}"},
      {"{\"id\":\"v\",\"events\":[{\"type\":\"visit\",\"at\":\"2026-01-03\"},7]}",
       "{\"id\":\"v\",\"events\":[{\"type\":\"visit\",\"at\":\"2026-01-03\"},7]}"},
      /* escaped keys are matched unescaped; duplicates stay (evaluation takes the last) */
      {" { \"\\u0069d\" : 7 , \"phone\":\"1\", \"phone\" : null, \"title\":\"CTO\" } ",
       "{\"id\":7,\"phone\":\"1\",\"phone\":null}"},
      /* a record without the key is reduced all the same (its evaluation fails the same way) */
      {"{\"email\":\"b@x.com\"}", "{}"},
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(GError) error = NULL;
    g_assert_true(persona_model_reduce_record(m, cases[i].in, strlen(cases[i].in), out, &error));
    g_assert_no_error(error);
    g_assert_cmpstr(out->str, ==, cases[i].out);
    g_autoptr(GString) whole = g_string_new(NULL), reduced = g_string_new(NULL);
    eval_bytes(m, cases[i].in, whole);
    eval_bytes(m, out->str, reduced);
    g_assert_cmpstr(whole->str, ==, reduced->str);
  }
}

static void test_reduce_refuses(void) {
  g_autoptr(PersonaModel) m = model();
  static const char *const bad[] = {"", "[1]", "{\"id\":\"a\",\"phone\":\"555-0100\"", "{\"id\":\"a\"} x",
                                    "{\"id\":\"a\",\"phone\":\"555\xff\"}"};
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GString) out = g_string_new("kept");
    g_autoptr(GError) error = NULL;
    g_assert_false(persona_model_reduce_record(m, bad[i], strlen(bad[i]), out, &error));
    g_assert_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID);
    g_assert_null(strstr(error->message, "555"));
    g_assert_cmpstr(out->str, ==, "kept");
  }
}

static void test_object_keys(void) {
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
  const char *json = "{\"b\":1,\"\\u00e9\":[{\"x\":2}],\"b\":{}}";
  g_assert_true(persona_json_object_keys(json, strlen(json), keys, NULL));
  g_assert_cmpuint(keys->len, ==, 3);
  g_assert_cmpstr(g_ptr_array_index(keys, 0), ==, "b");
  g_assert_cmpstr(g_ptr_array_index(keys, 1), ==, "\xC3\xA9");
  g_assert_cmpstr(g_ptr_array_index(keys, 2), ==, "b");
  g_autoptr(GError) error = NULL;
  g_assert_false(persona_json_object_keys("{\"a\":", 5, keys, &error));
  g_assert_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/api/fields/list", test_fields);
  g_test_add_func("/api/fields/reduce", test_reduce);
  g_test_add_func("/api/fields/reduce-refuses", test_reduce_refuses);
  g_test_add_func("/api/fields/object-keys", test_object_keys);
  return g_test_run();
}
