/* cmd_test.c - `persona test FILE…`: run the models' test blocks. */
#include "cli.h"

#include <string.h>

static const char test_summary[] = "Run the test blocks of models.";

static const char test_description[] =
    "Every `test \"name\" { … }` block of each FILE is run: `profile {…}` sets\n"
    "the record, `at TIME` evaluates it with the state the previous evaluation\n"
    "left, and each `expect` checks that evaluation. One line per test is\n"
    "printed (ok or FAIL); a failed expectation shows its place, the\n"
    "expectation, and the values of its operands:\n"
    "  FAIL model.persona:40: test \"CTO becomes SQL\"\n"
    "    model.persona:45: expect fit == 60\n"
    "      fit was 50\n"
    "The last line counts the tests: 'N passed, M failed'.\n"
    "\n"
    "Exit status: 0 all tests passed, 1 a test failed or a model has errors,\n"
    "2 usage error.\n";

/* Compiles and runs one file's tests; FALSE when it does not compile. */
static gboolean test_one(const char *path, const PersonaCompileOptions *opts, GString *junit,
                         guint *passed, guint *failed) {
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaDiagnostics) diags = NULL;
  g_autoptr(PersonaModel) model = NULL;
  if (pcli_check_readable(path, &error)) model = persona_compile_file(path, opts, &diags, &error);
  if (!model) {
    if (diags && persona_diagnostics_errors(diags) > 0) {
      g_autofree char *text = persona_diagnostics_to_text(diags, pcli_stderr_color());
      fputs(text, stderr);
    } else {
      pcli_error("%s", error ? error->message : "compilation failed");
    }
    return FALSE;
  }
  g_autoptr(GString) report = g_string_new(NULL);
  guint p = 0, f = 0;
  persona_model_run_tests(model, report, junit, &p, &f);
  fwrite(report->str, 1, report->len, stdout);
  *passed += p;
  *failed += f;
  return TRUE;
}

static gboolean write_junit(const char *path, GString *suites, GError **error) {
  g_autoptr(GString) doc = g_string_new("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
  g_string_append(doc, suites->str);
  g_string_append(doc, "</testsuites>\n");
  return g_file_set_contents(path, doc->str, (gssize)doc->len, error);
}

int pcli_cmd_test(int argc, char **argv, gboolean do_help) {
  g_auto(GStrv) include = NULL;
  g_auto(GStrv) args = NULL;
  g_autofree char *junit_path = NULL;
  const GOptionEntry entries[] = {
      {"include", 'I', 0, G_OPTION_ARG_FILENAME_ARRAY, &include, "Search DIR for imports (repeatable)", "DIR"},
      {"junit", 0, 0, G_OPTION_ARG_FILENAME, &junit_path, "Also write the results as JUnit XML to FILE", "FILE"},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args, NULL, NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) ctx = pcli_context_new("FILE…", test_summary, test_description, entries);
  if (do_help) {
    pcli_print_help(ctx);
    return PCLI_EXIT_OK;
  }
  if (!pcli_parse(ctx, "test", &argc, &argv)) return PCLI_EXIT_USAGE;
  guint n_files = args ? g_strv_length(args) : 0;
  if (n_files == 0) return pcli_usage_error("test", "no FILE to test");

  PersonaCompileOptions opts = {.include_dirs = (const char *const *)include, .use_persona_path = TRUE};
  g_autoptr(GString) junit = junit_path ? g_string_new(NULL) : NULL;
  guint passed = 0, failed = 0;
  gboolean all_compiled = TRUE;
  for (guint i = 0; i < n_files; i++)
    all_compiled = test_one(args[i], &opts, junit, &passed, &failed) && all_compiled;
  printf("%u passed, %u failed\n", passed, failed);
  fflush(stdout);
  if (junit) {
    g_autoptr(GError) error = NULL;
    if (!write_junit(junit_path, junit, &error)) {
      pcli_error("cannot write '%s': %s", junit_path, error->message);
      return PCLI_EXIT_FAIL;
    }
  }
  return all_compiled && failed == 0 ? PCLI_EXIT_OK : PCLI_EXIT_FAIL;
}
