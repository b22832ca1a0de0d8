/* test_check.c - the checker's diagnostics, pinned exactly: each case is a
 * model fragment and the full text `persona check` prints for it. */
#include <string.h>

#include <glib.h>

#include "persona.h"

static const char *const preamble =
    "model t version \"1\"\n"
    "record event {\n"
    "  type: string\n"
    "  at: time\n"
    "}\n"
    "schema {\n"
    "  id: string key\n"
    "  employees: int = 0\n"
    "  region: string?\n"
    "  events: list<event> = []\n"
    "}\n"; /* 11 lines: a case's first line is line 12 */

typedef struct {
  const char *name;
  const char *decls;
  const char *expected;
} CheckCase;

static const CheckCase cases[] = {
  {"unknown-name",
   "tag a when employes >= 500\n",
   "t.persona:12:12: error: unknown name 'employes'\n"
   "   12 | tag a when employes >= 500\n"
   "      |            ^~~~~~~~\n"
   "hint: did you mean 'employees'?\n"},

  {"optional-arithmetic",
   "tag b when region + \"x\" == \"y\"\n",
   "t.persona:12:12: error: arithmetic needs a value, but this is string? (it may be null)\n"
   "   12 | tag b when region + \"x\" == \"y\"\n"
   "      |            ^~~~~~\n"
   "hint: resolve it first, e.g. (region ?? default)\n"},

  {"cycle-path",
   "tag a when s > 1\n"
   "score s { +1 when b }\n"
   "tag b when a\n",
   "t.persona:12:5: error: dependency cycle: tag a -> score s -> tag b -> tag a\n"
   "   12 | tag a when s > 1\n"
   "      |     ^\n"},

  {"unknown-stage",
   "lifecycle funnel {\n  initial lead\n  lead -> mql when employees > 1\n}\n"
   "tag c when funnel == \"mq1\"\n",
   "t.persona:16:22: error: unknown stage 'mq1' in lifecycle funnel\n"
   "   16 | tag c when funnel == \"mq1\"\n"
   "      |                      ^~~~~\n"
   "hint: did you mean 'mql'?\n"},

  {"not-a-bool",
   "tag f when employees\n",
   "t.persona:12:12: error: the condition of a tag must be a bool, not int\n"
   "   12 | tag f when employees\n"
   "      |            ^~~~~~~~~\n"},

  {"several-errors",
   "tag a when nope\n"
   "tag b when count(events where typ == \"x\") > 1\n"
   "score s = \"text\"\n",
   "t.persona:12:12: error: unknown name 'nope'\n"
   "   12 | tag a when nope\n"
   "      |            ^~~~\n"
   "t.persona:13:31: error: unknown name 'typ'\n"
   "   13 | tag b when count(events where typ == \"x\") > 1\n"
   "      |                               ^~~\n"
   "hint: did you mean 'type'?\n"
   "t.persona:14:11: error: a score must be number, not string\n"
   "   14 | score s = \"text\"\n"
   "      |           ^~~~~~\n"},

  {"duplicate-name",
   "tag a when true\n"
   "let a = 1\n",
   "t.persona:13:5: error: 'a' is already declared (as a tag at t.persona:12:5)\n"
   "   13 | let a = 1\n"
   "      |     ^\n"},

  {"const-needs-compile-time",
   "const c = employees + 1\n",
   "t.persona:12:11: error: field 'employees' is not known when the model is compiled\n"
   "   12 | const c = employees + 1\n"
   "      |           ^~~~~~~~~\n"},

  {"window-needs-at",
   "record thing {\n  name: string\n}\n"
   "let things: int = 1\n",
   NULL /* a syntax error: checked by the parser tests */},

  {"bad-regex",
   "tag r when matches(region ?? \"\", \"([a-z]\")\n",
   NULL},

  {"tags-outside-output",
   "tag t when len(tags()) > 1\n",
   "t.persona:12:16: error: tags() is only available in 'output { … }'\n"
   "   12 | tag t when len(tags()) > 1\n"
   "      |                ^~~~~~\n"
   "hint: use it in the output declaration\n"},

  {"two-outputs",
   "output {id: id}\n"
   "output {key: id}\n",
   "t.persona:13:1: error: a model has at most one 'output' declaration\n"
   "   13 | output {key: id}\n"
   "      | ^~~~~~~~~~~~~~~~\n"},

  {"wrong-builtin-args",
   "tag w when starts_with(employees, \"x\")\n",
   "t.persona:12:12: error: starts_with(int, string) does not exist\n"
   "   12 | tag w when starts_with(employees, \"x\")\n"
   "      |            ^~~~~~~~~~~~~~~~~~~~~~~~~~~\n"
   "hint: starts_with(s: string, prefix: string) -> bool\n"},
  {"coalesce-comparison-right",
   "tag risky when region ?? \"\" == \"x\"\n",
   "t.persona:12:16: warning: '?\?' binds more loosely than '==': its right side is '\"\" == \"x\"'\n"
   "   12 | tag risky when region ?? \"\" == \"x\"\n"
   "      |                ^~~~~~~~~~~~~~~~~~~\n"
   "hint: write '(region ?? \"\") == \"x\"' to apply '?\?' first, or 'region ?? (\"\" == \"x\")' to keep this meaning\n"
   "t.persona:12:16: error: '?\?' does not apply to string? and bool\n"
   "   12 | tag risky when region ?? \"\" == \"x\"\n"
   "      |                ^~~~~~~~~~~~~~~~~~~\n"},

  {"split-weights-90",
   "journey j {\n"
   "  enter when employees > 0\n"
   "  split {\n"
   "    50%: send email \"a\"\n"
   "    40%: send email \"b\"\n"
   "  }\n"
   "}\n",
   "t.persona:14:3: error: the split's weights add up to 90%, not 100%\n"
   "   14 |   split {\n"
   "      |   ^~~~~~~\n"
   "hint: make the weights add up to 100%\n"},

  {"split-weights-120",
   "journey j {\n"
   "  enter when employees > 0\n"
   "  split {\n"
   "    60%: send email \"a\"\n"
   "    60%: { send email \"b\"  wait 1d }\n"
   "  }\n"
   "}\n",
   "t.persona:14:3: error: the split's weights add up to 120%, not 100%\n"
   "   14 |   split {\n"
   "      |   ^~~~~~~\n"
   "hint: make the weights add up to 100%\n"},
};

static char *check_text(const char *decls, guint *errors) {
  g_autofree char *src = g_strconcat(preamble, decls, NULL);
  g_autoptr(PersonaDiagnostics) diags = NULL;
  g_autoptr(PersonaModel) model = persona_compile_source("t.persona", src, strlen(src), NULL, &diags, NULL);
  *errors = persona_diagnostics_errors(diags);
  return persona_diagnostics_to_text(diags, FALSE);
}

static void run_case(gconstpointer data) {
  const CheckCase *tc = data;
  guint errors = 0;
  g_autofree char *text = check_text(tc->decls, &errors);
  g_assert_cmpuint(errors, >, 0);
  if (tc->expected) g_assert_cmpstr(text, ==, tc->expected);
}

/* The checker accepts the spec's own examples (sections 4.1 to 4.5). */
static void test_spec_examples(void) {
  const char *decls =
      "const decision_titles = [\"CEO\", \"CTO\", \"CIO\", \"VP\", \"Director\"]\n"
      "let last_seen = max(at of events)\n"
      "let days_inactive = days_between(last_seen ?? now, now)\n"
      "tag enterprise \"大型企业\" when employees >= 500\n"
      "tag east_china \"华东地区\" when region in [\"上海\", \"江苏\"]\n"
      "tag pricing_interest when count(events where type == \"page_view\" within 7d) >= 3\n"
      "tag smart when east_china and enterprise\n"
      "tag titled when any t in decision_titles: starts_with(region ?? \"\", t)\n"
      "score fit max 100 {\n  +30 when employees >= 500\n  +10 when smart\n}\n"
      "score engagement decay 14d {\n  +15 per events where type == \"offline_event\" within 90d cap 45\n"
      "  -20 when region == null\n  +5 per events where type == \"email_open\" cap 25\n}\n"
      "score total = fit + engagement\n"
      "lifecycle funnel {\n  initial lead\n  lead -> mql when total >= 60\n"
      "  mql -> sql when pricing_interest\n  mql -> lead when total < 30\n"
      "  any -> churned when days_inactive > 180\n}\n";
  guint errors = 0;
  g_autofree char *text = check_text(decls, &errors);
  g_assert_cmpstr(text, ==, "");
  g_assert_cmpuint(errors, ==, 0);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *path = g_strdup_printf("/check/%s", cases[i].name);
    g_test_add_data_func(path, &cases[i], run_case);
  }
  g_test_add_func("/check/spec-examples", test_spec_examples);
  return g_test_run();
}
