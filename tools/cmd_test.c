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
    "The last line counts the tests: 'N passed, M failed'. Errors and\n"
    "warnings are printed on standard error as `persona check` prints them;\n"
    "a FILE that does not compile gets the line 'FAIL FILE: does not compile\n"
    "(N errors)' and is counted: 'N passed, M failed, K files not tested'.\n"
    "\n"
    "With --coverage, each model's report also says what the tests exercised:\n"
    "the tags that held, the score rules that fired (or counted a record), the\n"
    "lifecycle transitions taken and the journey steps run, as a percentage,\n"
    "and lists by file:line everything never exercised. --min-coverage=PCT\n"
    "fails the run when the total is below PCT.\n"
    "\n"
    "Exit status: 0 all tests passed (and coverage reached --min-coverage), 1 a\n"
    "test failed, coverage is too low, or a model has errors, 2 usage error.\n";

typedef struct CoverageTotals {
  gboolean on;
  guint hit, all;
} CoverageTotals;

/* Compiles and runs one file's tests; FALSE when it does not compile. */
static gboolean test_one(const char *path, const PersonaCompileOptions *opts, GString *junit,
                         CoverageTotals *cov, guint *passed, guint *failed) {
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaDiagnostics) diags = NULL;
  g_autoptr(PersonaModel) model = NULL;
  gboolean readable = pcli_check_readable(path, &error);
  if (readable && pcli_is_bytecode_file(path)) {
    /* Test blocks are not stored in bytecode (docs/bytecode.md). */
    pcli_error("%s is bytecode: `persona test` runs the test blocks of a model's source, "
               "which bytecode does not hold; give the .persona file", path);
    printf("FAIL %s: bytecode, not a model's source\n", path);
    return FALSE;
  }
  if (readable) model = persona_compile_file(path, opts, &diags, &error);
  /* Errors and warnings as `persona check` prints them: a misspelt field
   * in a test block is a warning that explains a failed expectation. */
  if (diags && persona_diagnostics_errors(diags) + persona_diagnostics_warnings(diags) > 0) {
    g_autofree char *text = persona_diagnostics_to_text(diags, pcli_stderr_color());
    fputs(text, stderr);
  }
  if (!model) {
    guint errors = diags ? persona_diagnostics_errors(diags) : 0;
    if (errors == 0) pcli_error("%s", error ? error->message : "compilation failed");
    /* Said on standard output too, next to the tests' lines. */
    if (errors > 0) printf("FAIL %s: does not compile (%u error%s)\n", path, errors, errors == 1 ? "" : "s");
    else printf("FAIL %s: cannot be compiled\n", path);
    return FALSE;
  }
  g_autoptr(GString) report = g_string_new(NULL);
  g_autoptr(GString) coverage = cov->on ? g_string_new(NULL) : NULL;
  guint p = 0, f = 0, hit = 0, all = 0;
  persona_model_run_tests_full(model, report, junit, coverage, &p, &f, &hit, &all);
  fwrite(report->str, 1, report->len, stdout);
  if (coverage) fwrite(coverage->str, 1, coverage->len, stdout);
  cov->hit += hit;
  cov->all += all;
  *passed += p;
  *failed += f;
  return TRUE;
}

static gboolean write_junit(const char *path, GString *suites, GError **error) {
  g_autoptr(GString) doc = g_string_new("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
  g_string_append(doc, suites->str);
  g_string_append(doc, "</testsuites>\n");
  PcliWriter w;
  if (!pcli_writer_open(&w, path, error)) {
    pcli_writer_close(&w);
    return FALSE;
  }
  g_string_append_len(w.buf, doc->str, (gssize)doc->len);
  gboolean ok = pcli_writer_commit(&w, error);
  pcli_writer_close(&w);
  return ok;
}

int pcli_cmd_test(int argc, char **argv, gboolean do_help) {
  g_auto(GStrv) include = NULL;
  g_auto(GStrv) args = NULL;
  g_autofree char *junit_path = NULL;
  gboolean coverage = FALSE;
  double min_coverage = -1;
  gboolean allow_native = FALSE;
  const GOptionEntry entries[] = {
      {"allow-native", 0, 0, G_OPTION_ARG_NONE, &allow_native,
       "Let extern fn load the shared libraries the model names (native code)", NULL},
      {"coverage", 0, 0, G_OPTION_ARG_NONE, &coverage, "Report what the tests exercised, and what never", NULL},
      {"min-coverage", 0, 0, G_OPTION_ARG_DOUBLE, &min_coverage,
       "Fail when coverage is below PCT percent (implies --coverage)", "PCT"},
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

  if (min_coverage > 100) return pcli_usage_error("test", "--min-coverage is a percentage, 0 to 100");
  CoverageTotals cov = {.on = coverage || min_coverage >= 0};
  /* Rules are only measured in a model compiled with trace points. */
  PersonaCompileOptions opts = {.include_dirs = (const char *const *)include, .use_persona_path = TRUE,
                                .trace = cov.on,
                                .allow_native = allow_native};
  g_autoptr(GString) junit = junit_path ? g_string_new(NULL) : NULL;
  guint passed = 0, failed = 0;
  guint not_compiled = 0;
  for (guint i = 0; i < n_files; i++)
    not_compiled += test_one(args[i], &opts, junit, &cov, &passed, &failed) ? 0 : 1;
  double pct = cov.all ? 100.0 * cov.hit / cov.all : 100.0;
  gboolean cov_ok = min_coverage < 0 || pct + 1e-9 >= min_coverage;
  if (cov.on && n_files > 1) printf("coverage: %.1f%% (%u of %u)\n", pct, cov.hit, cov.all);
  if (!cov_ok) printf("coverage %.1f%% is below the minimum of %g%%\n", pct, min_coverage);
  if (not_compiled > 0)
    printf("%u passed, %u failed, %u file%s not tested\n", passed, failed, not_compiled,
           not_compiled == 1 ? "" : "s");
  else
    printf("%u passed, %u failed\n", passed, failed);
  fflush(stdout);
  if (junit) {
    g_autoptr(GError) error = NULL;
    if (!write_junit(junit_path, junit, &error)) {
      pcli_error("cannot write '%s': %s", junit_path, error->message);
      return PCLI_EXIT_FAIL;
    }
  }
  return not_compiled == 0 && failed == 0 && cov_ok ? PCLI_EXIT_OK : PCLI_EXIT_FAIL;
}
