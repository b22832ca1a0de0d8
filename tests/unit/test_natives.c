/* test_natives.c - host functions: extern fn from a shared library (only
 * when allowed), functions registered by the embedder, every argument and
 * result type, the null conventions, and the errors. */
#include <math.h>
#include <string.h>

#include <glib.h>

#include "persona.h"

#define NOW "2026-02-01T00:00:00Z"

static const char *const schema =
    "model n version \"1\"\n"
    "schema {\n  id: string key\n  n: int = 0\n  x: number = 0\n  name: string?\n  flag: bool?\n}\n";

/* Compiles schema + decls (with %s for the library's path); returns the
 * model or NULL, with the diagnostics' text in *text. */
static PersonaModel *compile(const char *decls_fmt, gboolean allow, PersonaNatives *natives, char **text) {
  g_autofree char *decls = g_strdup_printf(decls_fmt, PERSONA_TESTNATIVE);
  g_autofree char *src = g_strconcat(schema, decls, NULL);
  PersonaCompileOptions opts = {.allow_native = allow, .natives = natives};
  g_autoptr(PersonaDiagnostics) diags = NULL;
  PersonaModel *m = persona_compile_source("n.persona", src, strlen(src), &opts, &diags, NULL);
  if (text) *text = persona_diagnostics_to_text(diags, FALSE);
  return m;
}

static char *eval(PersonaModel *m, const char *profile) {
  g_autoptr(PersonaVM) vm = persona_vm_new(m);
  gint64 now;
  g_assert_true(persona_time_parse(NOW, &now));
  GString *out = g_string_new(NULL);
  persona_vm_eval_json(vm, profile, strlen(profile), now, 1, out);
  /* keep the part up to the stages: the rest is the same for every case */
  char *cut = strstr(out->str, ",\"stages\"");
  if (cut) g_string_truncate(out, (gsize)(cut - out->str));
  return g_string_free(out, FALSE);
}

static const char *const externs =
    "extern fn tn_add(a: int, b: int) -> int from \"%1$s\"\n"
    "extern fn tn_scale(x: number, k: number) -> number from \"%1$s\"\n"
    "extern fn tn_is_even(x: int) -> bool from \"%1$s\"\n"
    "extern fn tn_greet(name: string) -> string from \"%1$s\"\n"
    "extern fn tn_maybe_sqrt(x: number) -> number? from \"%1$s\"\n"
    "extern fn tn_upper_or_null(s: string?) -> string? from \"%1$s\"\n"
    "extern fn tn_double_or_null(x: int?) -> int? from \"%1$s\"\n"
    "extern fn tn_not(b: bool?) -> bool? from \"%1$s\"\n";

/* Without permission, a model that names a library does not compile. */
static void test_not_allowed(void) {
  g_autofree char *text = NULL;
  PersonaModel *m = compile("extern fn tn_add(a: int, b: int) -> int from \"%s\"\n", FALSE, NULL, &text);
  g_assert_null(m);
  g_assert_nonnull(strstr(text, "error: extern fn tn_add loads native code from \""));
  g_assert_nonnull(strstr(text, "\", which is not allowed\n"));
  g_assert_nonnull(strstr(text, "hint: allow it with --allow-native"));
}

/* Every type, both ways, through libffi. */
static void test_types(void) {
  g_autofree char *decls = g_strconcat(externs,
      "score sum = tn_add(n, 2)\n"
      "score scaled = tn_scale(x, 2)\n"
      "score widened = tn_scale(n, 0.5)\n"
      "tag even when tn_is_even(n)\n"
      "tag greeted when tn_greet(name ?? \"nobody\") == \"hello 上海\"\n", NULL);
  g_autofree char *text = NULL;
  g_autoptr(PersonaModel) m = compile(decls, TRUE, NULL, &text);
  g_assert_cmpstr(text, ==, "");
  g_assert_nonnull(m);
  g_autofree char *r = eval(m, "{\"id\":\"a\",\"n\":40,\"x\":1.25,\"name\":\"上海\"}");
  g_assert_cmpstr(r, ==, "{\"id\":\"a\",\"tags\":[\"even\",\"greeted\"],\"scores\":{\"sum\":42,\"scaled\":2.5,\"widened\":20}");
}

/* null as -1, INT64_MIN, NaN and NULL, in and out. */
static void test_null_conventions(void) {
  g_autofree char *decls = g_strconcat(externs,
      "tag sqrt_null when tn_maybe_sqrt(x) == null\n"
      "score root = tn_maybe_sqrt(x) ?? -1\n"
      "tag upper_null when tn_upper_or_null(name) == null\n"
      "tag upper_ok when tn_upper_or_null(name) == \"ANN\"\n"
      "tag dbl_null when tn_double_or_null(null) == null\n"
      "score dbl = tn_double_or_null(n) ?? -1\n"
      "tag not_null when tn_not(flag) == null\n"
      "tag not_false when tn_not(true) == false\n", NULL);
  g_autoptr(PersonaModel) m = compile(decls, TRUE, NULL, NULL);
  g_assert_nonnull(m);
  g_autofree char *r1 = eval(m, "{\"id\":\"a\",\"n\":3,\"x\":-4}");
  g_assert_cmpstr(r1, ==, "{\"id\":\"a\",\"tags\":[\"sqrt_null\",\"upper_null\",\"dbl_null\",\"not_null\",\"not_false\"],"
                          "\"scores\":{\"root\":-1,\"dbl\":6}");
  g_autofree char *r2 = eval(m, "{\"id\":\"b\",\"n\":3,\"x\":16,\"name\":\"ann\",\"flag\":true}");
  g_assert_cmpstr(r2, ==, "{\"id\":\"b\",\"tags\":[\"upper_ok\",\"dbl_null\",\"not_false\"],\"scores\":{\"root\":4,\"dbl\":6}");
}

/* A result that is not finite is an error of that record. */
static void test_bad_result(void) {
  g_autoptr(PersonaModel) m =
      compile("extern fn tn_inf(x: number) -> number from \"%s\"\nscore s = tn_inf(x)\n", TRUE, NULL, NULL);
  g_assert_nonnull(m);
  g_autofree char *r = eval(m, "{\"id\":\"a\",\"x\":1}");
  g_assert_cmpstr(r, ==, "{\"id\":\"a\",\"line\":1,\"error\":\"host function tn_inf returned a number that is not "
                         "finite in score s (n.persona:10:11)\",\"code\":\"runtime\"}");
}

typedef struct {
  const char *decls;
  const char *message;
} BadCase;

static void test_errors(void) {
  static const BadCase cases[] = {
    {"extern fn tn_nope(a: int) -> int from \"%s\"\n", "has no function tn_nope"},
    {"extern fn tn_add(a: int, b: int) -> int from \"/nonexistent/libnothing.so\"\n",
     "error: cannot load \"/nonexistent/libnothing.so\": "},
    {"extern fn tn_add(a: list<int>, b: int) -> int from \"%s\"\n",
     "error: a host function's parameters and result are bool, int, number or string"},
    {"extern fn tn_add(a: int, b: int) -> int from \"%s\"\nscore s = tn_add(n)\n",
     "error: tn_add takes 2 arguments (int(int, int)), not 1"},
    {"extern fn tn_add(a: int, b: int) -> int from \"%s\"\nscore s = tn_add(n, x)\n",
     "error: argument 2 of tn_add must be int, not number (int(int, int))"},
    {"extern fn tn_greet(s: string) -> string from \"%s\"\ntag t when tn_greet(name) == \"x\"\n",
     "error: argument 1 of tn_greet must be string, not string? (string(string))"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *text = NULL;
    PersonaModel *m = compile(cases[i].decls, TRUE, NULL, &text);
    if (m) persona_model_unref(m);
    g_assert_null(m);
    if (!strstr(text, cases[i].message)) g_test_message("case %zu: %s", i, text);
    g_assert_nonnull(strstr(text, cases[i].message));
  }
}

/* ---- functions the embedder registers ------------------------------------------------ */

static double risk(double days, int64_t tickets) { return days / 10.0 + (double)tickets; }
static const char *region_of(const char *city) { return strcmp(city, "苏州") == 0 ? "江苏" : NULL; }

static void test_registered(void) {
  g_autoptr(PersonaNatives) natives = persona_natives_new();
  g_autoptr(GError) error = NULL;
  g_assert_true(persona_natives_add(natives, "churn_risk", "number(number, int)", (void (*)(void))risk, &error));
  g_assert_true(persona_natives_add(natives, "region_of", "string?(string)", (void (*)(void))region_of, &error));
  g_assert_no_error(error);
  /* Registered functions need no permission: the host chose them. */
  g_autoptr(PersonaModel) m = compile("score r = churn_risk(x, n)\n"
                                      "tag jiangsu when region_of(name ?? \"\") == \"江苏\"\n",
                                      FALSE, natives, NULL);
  g_assert_nonnull(m);
  g_autofree char *r = eval(m, "{\"id\":\"a\",\"n\":2,\"x\":30,\"name\":\"苏州\"}");
  g_assert_cmpstr(r, ==, "{\"id\":\"a\",\"tags\":[\"jiangsu\"],\"scores\":{\"r\":5}");
  /* A model that calls host functions is not written as bytecode. */
  g_autoptr(GError) berr = NULL;
  g_autoptr(GBytes) bytes = persona_model_to_bytecode(m, &berr);
  g_assert_null(bytes);
  g_assert_error(berr, PERSONA_ERROR, PERSONA_ERROR_BYTECODE);
}

/* Each argument weighed by its position: a swapped or missing one shows. */
static int64_t digits5(int64_t a, int64_t b, int64_t c, int64_t d, int64_t e) {
  return a + 10 * b + 100 * c + 1000 * d + 10000 * e;
}

/* More arguments than the verifier once had room for (three): the call's
 * registers are a span, checked whole (in the test builds every compiled
 * model is verified, so this compiles through the verifier too). */
static void test_registered_many_params(void) {
  g_autoptr(PersonaNatives) natives = persona_natives_new();
  g_autoptr(GError) error = NULL;
  g_assert_true(persona_natives_add(natives, "digits5", "int(int, int, int, int, int)", (void (*)(void))digits5,
                                    &error));
  g_assert_no_error(error);
  g_autoptr(PersonaModel) m = compile("score d = digits5(n, n + 1, n + 2, n + 3, n + 4)\n", FALSE, natives, NULL);
  g_assert_nonnull(m);
  g_autofree char *r = eval(m, "{\"id\":\"a\",\"n\":1}");
  g_assert_cmpstr(r, ==, "{\"id\":\"a\",\"tags\":[],\"scores\":{\"d\":54321}");
}

static void test_register_errors(void) {
  static const struct {
    const char *sig;
    const char *message;
  } cases[] = {
    {"number(number", "host function 'f': signature 'number(number': expected ',' or ')'"},
    {"list(int)", "host function 'f': signature 'list(int)': expected a result type (bool, int, number or string)"},
    {"int(int, date)", "host function 'f': signature 'int(int, date)': parameter 2 is not bool, int, number or string"},
    {"int(int) x", "host function 'f': signature 'int(int) x': unexpected text after ')'"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(PersonaNatives) natives = persona_natives_new();
    g_autoptr(GError) error = NULL;
    g_assert_false(persona_natives_add(natives, "f", cases[i].sig, (void (*)(void))risk, &error));
    g_assert_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID);
    g_assert_cmpstr(error->message, ==, cases[i].message);
  }
  g_autoptr(PersonaNatives) natives = persona_natives_new();
  g_autoptr(GError) error = NULL;
  g_assert_true(persona_natives_add(natives, "f", "int()", (void (*)(void))risk, NULL));
  g_assert_false(persona_natives_add(natives, "f", "int()", (void (*)(void))risk, &error));
  g_assert_cmpstr(error->message, ==, "host function 'f' is registered twice");
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/natives/extern/not-allowed", test_not_allowed);
  g_test_add_func("/natives/extern/types", test_types);
  g_test_add_func("/natives/extern/null-conventions", test_null_conventions);
  g_test_add_func("/natives/extern/bad-result", test_bad_result);
  g_test_add_func("/natives/extern/errors", test_errors);
  g_test_add_func("/natives/registered/call", test_registered);
  g_test_add_func("/natives/registered/many-params", test_registered_many_params);
  g_test_add_func("/natives/registered/errors", test_register_errors);
  return g_test_run();
}
