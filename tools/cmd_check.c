/* cmd_check.c - `persona check FILE…`: compile and report diagnostics. */
#include "cli.h"

#include <string.h>

static const char check_summary[] = "Parse and type-check models.";

static const char check_description[] =
    "Each FILE is compiled with its imports (searched in the importing file's\n"
    "directory, then in the -I directories in order, then in $PERSONA_PATH).\n"
    "\n"
    "Text diagnostics go to standard error as 'file:line:col: error: message'\n"
    "with the source line and a caret, coloured on a terminal unless NO_COLOR\n"
    "is set. With --format json, standard output gets one JSON object per\n"
    "FILE, one per line, in the order given:\n"
    "  {\"file\":\"m.persona\",\"diagnostics\":[…],\"errors\":N,\"warnings\":M}\n"
    "A FILE that cannot be read counts as one error without a line.\n"
    "\n"
    "\n"
    "With --fields, the first FILE is the model and the others are profiles\n"
    "(JSON Lines, '-' for standard input): after its diagnostics, standard\n"
    "output gets the schema's fields, whether the model reads each one (a\n"
    "field it does not read is never decoded, checked or stored by persona run)\n"
    "and which are pii; then, given profiles, every input field the model\n"
    "ignores and in how many records it was, to collect only what is needed.\n"
    "A FILE of bytecode (a .pbc, or a file starting with the bytecode magic\n"
    "number) is loaded and verified instead of compiled, and its header is\n"
    "printed on standard output: model, version, source hash, files and\n"
    "sizes (in JSON: \"bytecode\":{\"model\":…,\"version\":…,\"source_sha256\":…}).\n"
    "\n"
    "Exit status: 0 no errors (warnings are allowed), 1 errors in any FILE or a\n"
    "FILE that cannot be read (the other FILEs are still checked), 2 usage\n"
    "error. With --werror, a warning in any FILE also gives 1.\n";

/* One JSON line for a file that produced no diagnostics of its own (it
 * could not be read): the same shape as the library's, so consumers need
 * one parser. */
static void json_failure(GString *out, const char *path, const char *message) {
  g_string_append(out, "{\"file\":");
  persona_json_append_string(out, path, -1);
  g_string_append(out, ",\"diagnostics\":[{\"file\":");
  persona_json_append_string(out, path, -1);
  g_string_append(out, ",\"line\":null,\"column\":null,\"end_line\":null,"
                       "\"end_column\":null,\"severity\":\"error\",\"message\":");
  persona_json_append_string(out, message, -1);
  g_string_append(out, ",\"hint\":null}],\"errors\":1,\"warnings\":0}\n");
}

/* The library's {"diagnostics":…} object with "file" put first. */
static void json_diagnostics(GString *out, const char *path, const PersonaDiagnostics *d) {
  g_autofree char *json = persona_diagnostics_to_json(d);
  gsize len = json ? strlen(json) : 0;
  while (len > 0 && (json[len - 1] == '\n' || json[len - 1] == '\r')) len--;
  if (len < 2 || json[0] != '{') {
    json_failure(out, path, "the library returned no diagnostics");
    return;
  }
  g_string_append(out, "{\"file\":");
  persona_json_append_string(out, path, -1);
  if (json[1] != '}') g_string_append_c(out, ',');
  g_string_append_len(out, json + 1, (gssize)(len - 1));
  g_string_append_c(out, '\n');
}

/* A bytecode FILE is loaded and verified (docs/bytecode.md), and its
 * header printed: the first paragraph of `persona disasm` as text, or the
 * model's name, version and source hash in the JSON line. */
static gboolean check_bytecode(const char *path, gboolean json) {
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaModel) model = persona_model_load_bytecode(path, &error);
  g_autoptr(GString) out = g_string_new(NULL);
  if (!model) {
    if (json) {
      json_failure(out, path, error->message);
      fwrite(out->str, 1, out->len, stdout);
    } else {
      pcli_error("%s", error->message);
    }
    return FALSE;
  }
  g_autofree char *hash = persona_model_source_hash(model);
  if (json) {
    g_string_append(out, "{\"file\":");
    persona_json_append_string(out, path, -1);
    g_string_append(out, ",\"diagnostics\":[],\"errors\":0,\"warnings\":0,\"bytecode\":{\"model\":");
    persona_json_append_string(out, persona_model_name(model), -1);
    g_string_append(out, ",\"version\":");
    persona_json_append_string(out, persona_model_version(model), -1);
    g_string_append(out, ",\"source_sha256\":");
    if (hash) persona_json_append_string(out, hash, -1);
    else g_string_append(out, "null");
    g_string_append(out, "}}\n");
  } else {
    g_autofree char *listing = persona_model_disasm_full(model, NULL);
    const char *end = strstr(listing, "\n\n");
    g_string_append_printf(out, "%s: bytecode, verified\n", path);
    g_string_append_len(out, listing, end ? end - listing + 1 : (gssize)strlen(listing));
  }
  fwrite(out->str, 1, out->len, stdout);
  return TRUE;
}

/* Checks one file; returns TRUE when it has no errors (and, with
 * `werror`, no warnings). */
static gboolean check_one(const char *path, const PersonaCompileOptions *opts,
                          gboolean json, gboolean color, gboolean werror, PersonaModel **model_out) {
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaDiagnostics) diags = NULL;
  g_autoptr(PersonaModel) model = NULL;
  gboolean readable = pcli_check_readable(path, &error);
  if (readable && pcli_is_bytecode_file(path)) return check_bytecode(path, json);
  if (readable)
    model = persona_compile_file(path, opts, &diags, &error);

  guint n_errors = diags ? persona_diagnostics_errors(diags) : 0;
  guint n_warnings = diags ? persona_diagnostics_warnings(diags) : 0;
  /* A failure the diagnostics do not explain (the file could not be
   * read) is reported from the GError instead. */
  gboolean unexplained = !model && n_errors == 0;
  const char *message = error ? error->message : "compilation failed";

  if (json) {
    g_autoptr(GString) out = g_string_new(NULL);
    if (unexplained)
      json_failure(out, path, message);
    else if (diags)
      json_diagnostics(out, path, diags);
    else
      json_failure(out, path, "the library returned no diagnostics");
    fwrite(out->str, 1, out->len, stdout);
  } else {
    if (diags) {
      g_autofree char *text = persona_diagnostics_to_text(diags, color);
      if (text) fputs(text, stderr);
    }
    if (unexplained) pcli_error("%s", message);
  }
  gboolean ok = model != NULL && n_errors == 0 && !(werror && n_warnings > 0);
  if (model_out && ok) *model_out = g_steal_pointer(&model);
  return ok;
}

int pcli_cmd_check(int argc, char **argv, gboolean do_help) {
  g_auto(GStrv) include = NULL;
  g_auto(GStrv) args = NULL; /* the positional arguments, after any "--" */
  g_autofree char *format = NULL;
  gboolean werror = FALSE;
  gboolean allow_native = FALSE;
  gboolean fields = FALSE;
  const GOptionEntry entries[] = {
      {"allow-native", 0, 0, G_OPTION_ARG_NONE, &allow_native,
       "Let extern fn load the shared libraries the model names (native code)", NULL},
      {"include", 'I', 0, G_OPTION_ARG_FILENAME_ARRAY, &include,
       "Search DIR for imports (repeatable)", "DIR"},
      {"format", 0, 0, G_OPTION_ARG_STRING, &format,
       "Diagnostics as 'text' (default, on stderr) or 'json' (on stdout)", "FORMAT"},
      {"werror", 0, 0, G_OPTION_ARG_NONE, &werror,
       "Fail (exit 1) when a FILE has warnings", NULL},
      {"fields", 0, 0, G_OPTION_ARG_NONE, &fields,
       "List the fields the model (the first FILE) reads and which are pii; the other FILEs are "
       "profiles, whose fields the model ignores are listed", NULL},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args, NULL, NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) ctx =
      pcli_context_new("FILE…  |  MODEL --fields [PROFILES…]", check_summary, check_description, entries);
  if (do_help) {
    pcli_print_help(ctx);
    return PCLI_EXIT_OK;
  }
  if (!pcli_parse(ctx, "check", &argc, &argv)) return PCLI_EXIT_USAGE;

  gboolean json = FALSE;
  if (format && strcmp(format, "json") == 0)
    json = TRUE;
  else if (format && strcmp(format, "text") != 0)
    return pcli_usage_error("check", "unknown format '%s' (expected 'text' or 'json')",
                            format);
  guint n_files = args ? g_strv_length(args) : 0;
  if (n_files == 0) return pcli_usage_error("check", "no FILE to check");

  PersonaCompileOptions opts = {
      .include_dirs = (const char *const *)include,
      .use_persona_path = TRUE,
      .allow_native = allow_native,
  };
  gboolean color = !json && pcli_stderr_color();
  if (fields) {
    /* Diagnostics on stderr even with --format json: stdout holds the report. */
    g_autoptr(PersonaModel) model = NULL;
    if (!check_one(args[0], &opts, FALSE, pcli_stderr_color(), werror, &model)) return PCLI_EXIT_FAIL;
    return pcli_check_fields(model, args + 1, n_files - 1, json);
  }
  gboolean all_ok = TRUE;
  for (guint i = 0; i < n_files; i++)
    if (!check_one(args[i], &opts, json, color, werror, NULL)) all_ok = FALSE;
  if (fflush(stdout) != 0) {
    pcli_error("cannot write to standard output");
    return PCLI_EXIT_FAIL;
  }
  return all_ok ? PCLI_EXIT_OK : PCLI_EXIT_FAIL;
}
