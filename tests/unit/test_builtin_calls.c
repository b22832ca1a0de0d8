/* test_builtin_calls.c - every entry of the one built-in table
 * (stdlib/builtins.c) is callable by its name from the language: for each
 * overload a model is generated that calls it with arguments of the
 * overload's parameter types, compiled with no diagnostics and evaluated
 * with no error. The list of calls comes from the table itself, so a
 * built-in added to the table is tested without touching this file (a
 * name the grammar does not accept after it, as `split` once was, fails
 * here). */
#include <string.h>

#include <glib.h>

#include "persona.h"
#include "stdlib/builtins.h"

/* An argument of type t, in source. Strings are a date so that `date()`
 * reads them and `matches()` takes them as a valid pattern. */
static const char *arg_source(PBuiltinType t) {
  switch (t) {
  case PBT_BOOL: return "flag";
  case PBT_INT: return "n";
  case PBT_NUMBER: return "x";
  case PBT_STRING: return "s";
  case PBT_TIME: return "now";
  case PBT_DURATION: return "1d";
  case PBT_LIST_STRING: return "words";
  case PBT_LIST_ANY: return "words";
  }
  return "?";
}

/* The arguments come from the profile, so nothing is folded at compile
 * time; the regex argument of PB_REGEX_ARG1 must be a constant. */
static char *call_source(const PBuiltin *b) {
  GString *call = g_string_new(b->name);
  g_string_append_c(call, '(');
  for (uint32_t i = 0; i < b->nparams; i++) {
    if (i > 0) g_string_append(call, ", ");
    if (i == 1 && (b->flags & PB_REGEX_ARG1)) g_string_append(call, "\"^2026\"");
    else g_string_append(call, arg_source(b->params[i]));
  }
  g_string_append_c(call, ')');
  return g_string_free(call, FALSE);
}

static void call_builtin(gconstpointer data) {
  const PBuiltin *b = data;
  g_autofree char *call = call_source(b);
  g_autofree char *src = g_strdup_printf(
      "model t version \"1\"\n"
      "schema {\n"
      "  id: string key\n"
      "  flag: bool = true\n"
      "  n: int = 2\n"
      "  x: number = 2.5\n"
      "  s: string = \"2026-01-31\"\n"
      "  words: list<string> = [\"b\", \"a\"]\n"
      "}\n"
      "output { v: %s }\n", call);
  g_test_message("%s", call);
  g_autoptr(PersonaDiagnostics) diags = NULL;
  g_autoptr(PersonaModel) model = persona_compile_source("t.persona", src, strlen(src), NULL, &diags, NULL);
  g_autofree char *text = persona_diagnostics_to_text(diags, FALSE);
  g_assert_cmpstr(text, ==, "");
  g_assert_nonnull(model);

  PersonaVM *vm = persona_vm_new(model);
  GString *out = g_string_new(NULL);
  const char *profile = "{\"id\":\"p\"}";
  PersonaEvalStatus st = persona_vm_eval_json(vm, profile, strlen(profile), 1769904000000000, 1, out);
  g_test_message("%s", out->str);
  g_assert_cmpint(st, ==, PERSONA_EVAL_OK);
  g_assert_true(g_str_has_prefix(out->str, "{\"v\":"));
  g_string_free(out, TRUE);
  persona_vm_free(vm);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  /* pseudonym() needs a key; any key will do for calling it. */
  g_setenv("PERSONA_PSEUDONYM_KEY", "test-key", TRUE);
  for (uint32_t i = 0; i < pbuiltins_count; i++) {
    g_autofree char *path = g_strdup_printf("/builtin-calls/%s/%u", pbuiltins[i].name, i);
    g_test_add_data_func(path, &pbuiltins[i], call_builtin);
  }
  return g_test_run();
}
