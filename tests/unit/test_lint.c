/* test_lint.c - the warnings of `persona check` (compiler/lint.c), pinned
 * exactly: each case is a model fragment and the full text printed for it,
 * and the "quiet/" cases must print nothing. */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

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
  const char *expected; /* the whole text; "" for no diagnostic at all */
  guint warnings;
} LintCase;

static const LintCase cases[] = {
  {"threshold/never-above-max",
   "score fit max 100 {\n"
   "  +60 when employees >= 500\n"
   "  +60 when region == \"上海\"\n"
   "}\n"
   "tag hot when fit >= 120\n",
   "t.persona:16:14: warning: 'fit >= 120' can never hold: fit is at most 100\n"
   "   16 | tag hot when fit >= 120\n"
   "      |              ^~~~~~~~~~\n"
   "hint: fit can only be between 0 and 100 (from the weights, caps and max/min of the score rules)\n",
   1},
  {"threshold/derived-sum",
   "score fit max 60 {\n"
   "  +70 when employees >= 500\n"
   "}\n"
   "score engagement {\n"
   "  +5 per events where type == \"visit\" cap 40\n"
   "}\n"
   "score total = fit + engagement\n"
   "tag hot when total >= 120\n",
   "t.persona:19:14: warning: 'total >= 120' can never hold: total is at most 100\n"
   "   19 | tag hot when total >= 120\n"
   "      |              ^~~~~~~~~~~~\n"
   "hint: total can only be between 0 and 100 (from the weights, caps and max/min of the score rules)\n",
   1},
  {"threshold/never-below-zero",
   "score fit {\n"
   "  +10 when employees >= 500\n"
   "  +5 per events cap 20\n"
   "}\n"
   "tag odd when fit < 0\n",
   "t.persona:16:14: warning: 'fit < 0' can never hold: fit is at least 0\n"
   "   16 | tag odd when fit < 0\n"
   "      |              ^~~~~~~\n"
   "hint: fit can only be between 0 and 30 (from the weights, caps and max/min of the score rules)\n",
   1},
  {"threshold/always-holds",
   "score fit max 100 {\n"
   "  +60 when employees >= 500\n"
   "  +60 when region == \"上海\"\n"
   "}\n"
   "tag any_fit when fit <= 100\n",
   "t.persona:16:18: warning: 'fit <= 100' always holds: fit is at most 100\n"
   "   16 | tag any_fit when fit <= 100\n"
   "      |                  ^~~~~~~~~~\n"
   "hint: fit can only be between 0 and 100 (from the weights, caps and max/min of the score rules)\n",
   1},
  {"threshold/constant-on-left",
   "score fit max 100 {\n"
   "  +60 when employees >= 500\n"
   "}\n"
   "tag hot when 150 <= fit\n",
   "t.persona:15:14: warning: '150 <= fit' can never hold: fit is at most 60\n"
   "   15 | tag hot when 150 <= fit\n"
   "      |              ^~~~~~~~~~\n"
   "hint: fit can only be between 0 and 60 (from the weights, caps and max/min of the score rules)\n",
   1},
  {"threshold/named-constant",
   "const hot_line = 120\n"
   "score fit max 100 {\n"
   "  +60 when employees >= 500\n"
   "}\n"
   "tag hot when fit >= hot_line\n",
   "t.persona:16:14: warning: 'fit >= hot_line' can never hold: fit is at most 60\n"
   "   16 | tag hot when fit >= hot_line\n"
   "      |              ^~~~~~~~~~~~~~~\n"
   "hint: fit can only be between 0 and 60 (from the weights, caps and max/min of the score rules)\n",
   1},
  {"threshold/negative-rules",
   "score penalty {\n"
   "  -20 when region == null\n"
   "  -5 per events where type == \"complaint\" cap 10\n"
   "}\n"
   "tag good when penalty > 0\n",
   "t.persona:16:15: warning: 'penalty > 0' can never hold: penalty is at most 0\n"
   "   16 | tag good when penalty > 0\n"
   "      |               ^~~~~~~~~~~\n"
   "hint: penalty can only be between -30 and 0 (from the weights, caps and max/min of the score rules)\n",
   1},
  {"threshold/min-clamp-point",
   "score s min 0 {\n"
   "  -10 when employees < 10\n"
   "}\n"
   "tag zero when s == 0\n",
   "t.persona:15:15: warning: 's == 0' always holds: s is always 0\n"
   "   15 | tag zero when s == 0\n"
   "      |               ^~~~~~\n"
   "hint: s is always 0 (from the weights, caps and max/min of the score rules)\n",
   1},
  {"threshold/scaled",
   "score fit max 50 {\n"
   "  +60 when employees >= 500\n"
   "}\n"
   "score doubled = 2 * fit - 10\n"
   "tag big when doubled > 90\n",
   "t.persona:16:14: warning: 'doubled > 90' can never hold: doubled is at most 90\n"
   "   16 | tag big when doubled > 90\n"
   "      |              ^~~~~~~~~~~~\n"
   "hint: doubled can only be between -10 and 90 (from the weights, caps and max/min of the score rules)\n",
   1},
  {"threshold/equality",
   "score fit max 50 {\n"
   "  +60 when employees >= 500\n"
   "}\n"
   "tag odd when fit != 70\n",
   "t.persona:15:14: warning: 'fit != 70' always holds: fit is at most 50\n"
   "   15 | tag odd when fit != 70\n"
   "      |              ^~~~~~~~~\n"
   "hint: fit can only be between 0 and 50 (from the weights, caps and max/min of the score rules)\n",
   1},
  {"threshold/transition",
   "score fit max 50 {\n"
   "  +60 when employees >= 500\n"
   "}\n"
   "lifecycle funnel {\n"
   "  initial lead\n"
   "  lead -> mql when fit >= 60\n"
   "}\n",
   "t.persona:17:20: warning: 'fit >= 60' can never hold: fit is at most 50\n"
   "   17 |   lead -> mql when fit >= 60\n"
   "      |                    ^~~~~~~~~\n"
   "hint: fit can only be between 0 and 50 (from the weights, caps and max/min of the score rules)\n",
   1},
  {"threshold/journey-if",
   "score fit max 50 {\n"
   "  +60 when employees >= 500\n"
   "}\n"
   "journey j {\n"
   "  enter when employees > 0\n"
   "  if fit > 50 {\n"
   "    send email \"hot\"\n"
   "  }\n"
   "}\n",
   "t.persona:17:6: warning: 'fit > 50' can never hold: fit is at most 50\n"
   "   17 |   if fit > 50 {\n"
   "      |      ^~~~~~~~\n"
   "hint: fit can only be between 0 and 50 (from the weights, caps and max/min of the score rules)\n",
   1},
  {"threshold/let-and-rule-condition",
   "score fit max 50 {\n"
   "  +60 when employees >= 500\n"
   "}\n"
   "let gap = 100 - fit\n"
   "score extra {\n"
   "  +1 when gap < 10\n"
   "}\n",
   "t.persona:17:11: warning: 'gap < 10' can never hold: gap is at least 50\n"
   "   17 |   +1 when gap < 10\n"
   "      |           ^~~~~~~~\n"
   "hint: gap can only be between 50 and 100 (from the weights, caps and max/min of the score rules)\n",
   1},
  {"threshold/test-expect",
   "score fit max 50 {\n"
   "  +60 when employees >= 500\n"
   "}\n"
   "test \"x\" {\n"
   "  profile {id: \"p\"}\n"
   "  at \"2026-02-01T00:00:00Z\"\n"
   "  expect fit > 50\n"
   "}\n",
   "t.persona:18:10: warning: 'fit > 50' can never hold: fit is at most 50\n"
   "   18 |   expect fit > 50\n"
   "      |          ^~~~~~~~\n"
   "hint: fit can only be between 0 and 50 (from the weights, caps and max/min of the score rules)\n",
   1},
  {"stage/only-from",
   "lifecycle funnel {\n"
   "  initial lead\n"
   "  lead -> mql when employees > 10\n"
   "  legacy -> lead when employees > 0\n"
   "}\n",
   "t.persona:15:3: warning: stage 'legacy' of lifecycle funnel can never be reached\n"
   "   15 |   legacy -> lead when employees > 0\n"
   "      |   ^~~~~~\n"
   "hint: no transition leads to it: add one, e.g. 'lead -> legacy when …'\n",
   1},
  {"stage/chain",
   "lifecycle funnel {\n"
   "  initial lead\n"
   "  lead -> mql when employees > 10\n"
   "  old -> older when employees > 0\n"
   "}\n",
   "t.persona:15:3: warning: stage 'old' of lifecycle funnel can never be reached\n"
   "   15 |   old -> older when employees > 0\n"
   "      |   ^~~\n"
   "hint: no transition leads to it: add one, e.g. 'lead -> old when …'\n"
   "t.persona:15:10: warning: stage 'older' of lifecycle funnel can never be reached\n"
   "   15 |   old -> older when employees > 0\n"
   "      |          ^~~~~\n"
   "hint: the transitions into it leave stages that cannot be reached either\n",
   2},
  {"journey/enter-unreachable-stage",
   "lifecycle funnel {\n"
   "  initial lead\n"
   "  lead -> mql when employees > 10\n"
   "  legacy -> lead when employees > 0\n"
   "}\n"
   "journey j {\n"
   "  enter on funnel -> \"legacy\"\n"
   "  send email \"x\"\n"
   "}\n",
   "t.persona:15:3: warning: stage 'legacy' of lifecycle funnel can never be reached\n"
   "   15 |   legacy -> lead when employees > 0\n"
   "      |   ^~~~~~\n"
   "hint: no transition leads to it: add one, e.g. 'lead -> legacy when …'\n"
   "t.persona:18:22: warning: journey j can never start: stage 'legacy' of lifecycle funnel can never be reached\n"
   "   18 |   enter on funnel -> \"legacy\"\n"
   "      |                      ^~~~~~~~\n",
   2},
  {"journey/if-false",
   "journey j {\n"
   "  enter when employees > 0\n"
   "  if false {\n"
   "    send email \"never\"\n"
   "    send email \"never-2\"\n"
   "  } else {\n"
   "    send email \"always\"\n"
   "  }\n"
   "}\n",
   "t.persona:15:5: warning: this branch can never run: the condition of its 'if' is always false\n"
   "   15 |     send email \"never\"\n"
   "      |     ^~~~~~~~~~~~~~~~~~\n"
   "hint: remove it, or change the condition\n",
   1},
  {"journey/if-true-else",
   "journey j {\n"
   "  enter when employees > 0\n"
   "  if true {\n"
   "    send email \"always\"\n"
   "  } else if employees > 5 {\n"
   "    send email \"never\"\n"
   "  }\n"
   "}\n",
   "t.persona:16:10: warning: this 'else' branch can never run: the condition of its 'if' is always true\n"
   "   16 |   } else if employees > 5 {\n"
   "      |          ^~~~~~~~~~~~~~~~~~\n"
   "hint: remove it, or change the condition\n",
   1},
  {"journey/enter-when-false",
   "journey j {\n"
   "  enter when false\n"
   "  send email \"x\"\n"
   "}\n",
   "t.persona:13:14: warning: journey j can never start: its entry condition is always false\n"
   "   13 |   enter when false\n"
   "      |              ^~~~~\n",
   1},
  {"journey/exit-when-true",
   "const off = true\n"
   "journey j {\n"
   "  enter when employees > 0\n"
   "  exit when off or employees > 5\n"
   "  send email \"x\"\n"
   "}\n",
   "t.persona:15:13: warning: journey j can never start: its exit condition always holds\n"
   "   15 |   exit when off or employees > 5\n"
   "      |             ^~~~~~~~~~~~~~~~~~~~\n",
   1},
  {"journey/split-zero-arm",
   "journey j {\n"
   "  enter when employees > 0\n"
   "  split {\n"
   "    100%: send email \"a\"\n"
   "    0%: send email \"b\"\n"
   "  }\n"
   "}\n",
   "t.persona:16:5: warning: this split arm can never run: its weight is 0%\n"
   "   16 |     0%: send email \"b\"\n"
   "      |     ^~~~~~~~~~~~~~~~~~\n"
   "hint: remove the arm, or give it a weight\n",
   1},
  {"unused/let",
   "let spare = employees + 1\n"
   "tag big when employees > 500\n",
   "t.persona:12:5: warning: let 'spare' is never used\n"
   "   12 | let spare = employees + 1\n"
   "      |     ^~~~~\n"
   "hint: nothing in the model reads it: remove it, or use it\n",
   1},
  {"unused/const",
   "const spare = 3\n"
   "tag big when employees > 500\n",
   "t.persona:12:7: warning: const 'spare' is never used\n"
   "   12 | const spare = 3\n"
   "      |       ^~~~~\n"
   "hint: nothing in the model reads it: remove it, or use it\n",
   1},
  {"unused/record",
   "record note {\n"
   "  text: string\n"
   "}\n",
   "t.persona:12:8: warning: record 'note' is never used\n"
   "   12 | record note {\n"
   "      |        ^~~~\n"
   "hint: nothing in the model reads it: remove it, or use it\n",
   1},
  {"unused/record-chain",
   "record note {\n"
   "  text: string\n"
   "}\n"
   "record box {\n"
   "  notes: list<note> = []\n"
   "}\n",
   "t.persona:15:8: warning: record 'box' is never used\n"
   "   15 | record box {\n"
   "      |        ^~~\n"
   "hint: nothing in the model reads it: remove it, or use it\n",
   1},
  {"quiet/reachable-threshold",
   "score fit max 100 {\n"
   "  +60 when employees >= 500\n"
   "  +60 when region == \"上海\"\n"
   "}\n"
   "tag hot when fit >= 100\n"
   "tag cold when fit <= 0\n"
   "tag mid when fit == 60\n",
   "",
   0},
  {"quiet/uncapped-per",
   "score visits {\n"
   "  +5 per events where type == \"visit\"\n"
   "}\n"
   "tag busy when visits >= 1000\n",
   "",
   0},
  {"quiet/non-constant-weight",
   "score size {\n"
   "  +(employees / 10) when employees > 0\n"
   "}\n"
   "tag huge when size >= 1000\n"
   "tag neg when size < 0\n",
   "",
   0},
  {"quiet/unknown-function",
   "score fit max 100 {\n"
   "  +60 when employees >= 500\n"
   "}\n"
   "score r = round(fit)\n"
   "tag odd when r > 1000 or len(events) < 0\n",
   "",
   0},
  {"quiet/shadowed-name",
   "score x max 10 {\n"
   "  +5 when employees > 0\n"
   "}\n"
   "tag t when any x in [200, 300]: x > 100\n",
   "",
   0},
  {"quiet/any-transition",
   "lifecycle funnel {\n"
   "  initial lead\n"
   "  lead -> mql when employees > 10\n"
   "  any -> churned when employees == 0\n"
   "  churned -> lead when employees > 0\n"
   "}\n",
   "",
   0},
  {"quiet/uses",
   "const big = 500\n"
   "const titles = [\"CEO\"]\n"
   "let seen = max(at of events)\n"
   "let n = count(events)\n"
   "let in_test = employees * 2\n"
   "tag enterprise when employees >= big and region in titles\n"
   "journey j {\n"
   "  enter when seen != null\n"
   "  if n > 3 {\n"
   "    send email \"x\"\n"
   "  }\n"
   "}\n"
   "test \"uses a let\" {\n"
   "  profile {id: \"p\"}\n"
   "  at \"2026-02-01T00:00:00Z\"\n"
   "  expect in_test == 0\n"
   "}\n",
   "",
   0},
  {"coalesce/arithmetic-right",
   "tag long when len(region ?? \"ab\" + \"c\" + \"d\") > 2\n",
   "t.persona:12:19: warning: '?\?' binds more loosely than '+': its right side is '\"ab\" + \"c\" + \"d\"'\n"
   "   12 | tag long when len(region ?? \"ab\" + \"c\" + \"d\") > 2\n"
   "      |                   ^~~~~~~~~~~~~~~~~~~~~~~~~~\n"
   "hint: write '(region ?? \"ab\") + \"c\" + \"d\"' to apply '?\?' first, "
   "or 'region ?? (\"ab\" + \"c\" + \"d\")' to keep this meaning\n",
   1},
  {"quiet/coalesce-parenthesised",
   "tag long when len((region ?? \"ab\") + \"c\") > 2 or len(region ?? (\"a\" + \"b\")) > 1\n"
   "tag minus when (region ?? \"x\") == \"y\" and employees * 2 > -1\n",
   "",
   0},
  {"quiet/constant-journey-if-unknown",
   "journey j {\n"
   "  enter when employees > 0\n"
   "  if employees > 5 or false {\n"
   "    send email \"x\"\n"
   "  }\n"
   "  split {\n"
   "    50%: send email \"a\"\n"
   "    50%: send email \"b\"\n"
   "  }\n"
   "}\n",
   "",
   0},
};

static char *compile_text(const char *src, guint *errors, guint *warnings) {
  g_autoptr(PersonaDiagnostics) diags = NULL;
  g_autoptr(PersonaModel) model =
      persona_compile_source("t.persona", src, strlen(src), NULL, &diags, NULL);
  *errors = persona_diagnostics_errors(diags);
  *warnings = persona_diagnostics_warnings(diags);
  return persona_diagnostics_to_text(diags, FALSE);
}

static void run_case(gconstpointer data) {
  const LintCase *tc = data;
  g_autofree char *src = g_strconcat(preamble, tc->decls, NULL);
  guint errors = 0, warnings = 0;
  g_autofree char *text = compile_text(src, &errors, &warnings);
  g_assert_cmpstr(text, ==, tc->expected);
  g_assert_cmpuint(errors, ==, 0);
  g_assert_cmpuint(warnings, ==, tc->warnings);
}

/* Lints look at a checked tree only: with an error, none is reported. */
static void test_not_after_errors(void) {
  g_autofree char *src = g_strconcat(preamble,
                                     "let spare = 1\n"
                                     "tag bad when nope\n", NULL);
  guint errors = 0, warnings = 0;
  g_autofree char *text = compile_text(src, &errors, &warnings);
  g_assert_cmpuint(errors, ==, 1);
  g_assert_cmpuint(warnings, ==, 0);
}

static guint file_warnings(const char *path, char **text) {
  g_autoptr(PersonaDiagnostics) diags = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaModel) model = persona_compile_file(path, NULL, &diags, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(persona_diagnostics_errors(diags), ==, 0);
  *text = persona_diagnostics_to_text(diags, FALSE);
  return persona_diagnostics_warnings(diags);
}

/* The shipped examples have none of the problems the lints look for. */
static void test_examples_are_clean(void) {
  static const char *const names[] = {"b2b_lead.persona", "b2b_journeys.persona"};
  for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
    g_autofree char *path = g_build_filename(PERSONA_SOURCE_DIR, "examples", names[i], NULL);
    g_autofree char *text = NULL;
    guint n = file_warnings(path, &text);
    g_assert_cmpstr(text, ==, "");
    g_assert_cmpuint(n, ==, 0);
  }
}

/* An imported file is a library: what the root model does not use of it is
 * not reported, but checking the library on its own reports it. */
static void test_imported_unused(void) {
  g_autofree char *dir = g_dir_make_tmp("persona-lint-XXXXXX", NULL);
  g_assert_nonnull(dir);
  g_autofree char *lib = g_build_filename(dir, "lib.persona", NULL);
  g_autofree char *root = g_build_filename(dir, "root.persona", NULL);
  g_assert_true(g_file_set_contents(lib,
                                    "model lib version \"1\"\n"
                                    "schema {\n  id: string key\n  employees: int = 0\n}\n"
                                    "const big = 500\n"
                                    "let spare = employees + 1\n", -1, NULL));
  g_assert_true(g_file_set_contents(root,
                                    "model root version \"1\"\n"
                                    "import \"lib.persona\"\n"
                                    "tag enterprise when employees >= big\n", -1, NULL));
  g_autofree char *root_text = NULL, *lib_text = NULL;
  g_assert_cmpuint(file_warnings(root, &root_text), ==, 0);
  g_assert_cmpuint(file_warnings(lib, &lib_text), ==, 2);
  g_assert_nonnull(strstr(lib_text, "warning: const 'big' is never used"));
  g_assert_nonnull(strstr(lib_text, "warning: let 'spare' is never used"));
  g_assert_cmpint(g_remove(lib), ==, 0);
  g_assert_cmpint(g_remove(root), ==, 0);
  g_assert_cmpint(g_rmdir(dir), ==, 0);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *path = g_strdup_printf("/lint/%s", cases[i].name);
    g_test_add_data_func(path, &cases[i], run_case);
  }
  g_test_add_func("/lint/not-after-errors", test_not_after_errors);
  g_test_add_func("/lint/examples-are-clean", test_examples_are_clean);
  g_test_add_func("/lint/imported-unused", test_imported_unused);
  return g_test_run();
}
