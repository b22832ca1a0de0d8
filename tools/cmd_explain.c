/* cmd_explain.c - `persona explain MODEL --id ID [PROFILES.jsonl]`. */
#include "cli.h"

#include <string.h>

static const char explain_summary[] = "Explain one profile's tags, scores, stages and journeys.";

static const char explain_description[] =
    "Finds the profile whose key is ID in PROFILES.jsonl (standard input when\n"
    "absent or '-'), evaluates it as `persona eval` would, and shows why:\n"
    "  - each tag, whether it holds, its condition and the values that decided it;\n"
    "  - each score rule's contribution, the records a 'per' rule counted with\n"
    "    their decay factors, and what a cap or max clipped;\n"
    "  - each lifecycle transition taken, and the ones that did not fire;\n"
    "  - each journey's position and what it waits for, and the actions emitted.\n"
    "With --state FILE the profile's stored state is used (the file is not\n"
    "changed). --format json writes the same facts as one JSON object.\n"
    "\n"
    "Exit status: 0 explained, 1 the model has errors or no profile has that\n"
    "ID, 3 the profile could not be evaluated (its error object is printed),\n"
    "2 usage error.\n";

/* The key as JSON text: ID as a string, and also as a number when it is
 * one, so that `--id 42` finds an int key. */
static gboolean key_matches(const GString *key_json, const char *id) {
  g_autoptr(GString) as_string = g_string_new(NULL);
  persona_json_append_string(as_string, id, -1);
  if (strcmp(key_json->str, as_string->str) == 0) return TRUE;
  return strcmp(key_json->str, id) == 0;
}

static int explain_found(PersonaVM *vm, const char *line, gsize len, guint64 line_no,
                         const GString *key_json, PersonaStateStore *store, gint64 now_us, gboolean json) {
  const char *state = store ? persona_state_store_get(store, key_json->str) : NULL;
  g_autoptr(GString) out = g_string_new(NULL);
  PersonaEvalStatus rc = persona_vm_explain(vm, line, len, state, state ? strlen(state) : 0, now_us, line_no,
                                             json, out);
  fwrite(out->str, 1, out->len, stdout);
  if (rc != PERSONA_EVAL_OK) {
    fputc('\n', stdout);
    return PCLI_EXIT_RECORDS;
  }
  return PCLI_EXIT_OK;
}

static int explain_search(PersonaModel *model, const char *in_path, const char *id, PersonaStateStore *store,
                          gint64 now_us, gboolean json, const char *input_tz) {
  g_autoptr(GError) error = NULL;
  PersonaLineReader *r = NULL;
  if (!(r = persona_line_reader_open(in_path, &error))) {
    pcli_error("%s", error->message);
    return PCLI_EXIT_FAIL;
  }
  g_autoptr(PersonaVM) vm = persona_vm_new(model);
  if (input_tz) persona_vm_set_input_timezone(vm, input_tz, NULL); /* checked by pcli_check_timezone */
  g_autoptr(GString) key = g_string_new(NULL);
  const char *line;
  gsize len;
  int status = -1;
  guint64 line_no = 0;
  while (status < 0 && persona_line_reader_next(r, &line, &len, &error)) {
    line_no++;
    g_string_truncate(key, 0);
    if (persona_vm_profile_key(vm, line, len, key) && key_matches(key, id))
      status = explain_found(vm, line, len, line_no, key, store, now_us, json);
  }
  persona_line_reader_free(r);
  if (error) {
    pcli_error("%s", error->message);
    return PCLI_EXIT_FAIL;
  }
  if (status < 0) {
    pcli_error("no profile with id '%s' in %s", id, in_path ? in_path : "standard input");
    return PCLI_EXIT_FAIL;
  }
  return status;
}

int pcli_cmd_explain(int argc, char **argv, gboolean do_help) {
  g_auto(GStrv) include = NULL;
  g_auto(GStrv) args = NULL;
  g_autofree char *id = NULL, *now_text = NULL, *state_path = NULL, *format = NULL, *input_tz = NULL;
  gboolean allow_native = FALSE;
  const GOptionEntry entries[] = {
      {"allow-native", 0, 0, G_OPTION_ARG_NONE, &allow_native,
       "Let extern fn load the shared libraries the model names (native code)", NULL},
      {"id", 0, 0, G_OPTION_ARG_STRING, &id, "The key of the profile to explain (required)", "ID"},
      {"now", 0, 0, G_OPTION_ARG_STRING, &now_text, "Evaluate as of TIME (default: the current time)", "TIME"},
      {"state", 0, 0, G_OPTION_ARG_FILENAME, &state_path, "Use the profile's stored state from FILE (read only)", "FILE"},
      {"format", 0, 0, G_OPTION_ARG_STRING, &format, "'text' (default) or 'json'", "FORMAT"},
      {"input-tz", 0, 0, G_OPTION_ARG_STRING, &input_tz,
       "Read times without an offset in ZONE (IANA, e.g. Asia/Shanghai)", "ZONE"},
      {"include", 'I', 0, G_OPTION_ARG_FILENAME_ARRAY, &include, "Search DIR for imports (repeatable)", "DIR"},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args, NULL, NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) ctx =
      pcli_context_new("MODEL --id ID [PROFILES.jsonl]", explain_summary, explain_description, entries);
  if (do_help) {
    pcli_print_help(ctx);
    return PCLI_EXIT_OK;
  }
  if (!pcli_parse(ctx, "explain", &argc, &argv)) return PCLI_EXIT_USAGE;
  guint n_args = args ? g_strv_length(args) : 0;
  if (n_args < 1) return pcli_usage_error("explain", "no MODEL given");
  if (n_args > 2) return pcli_usage_error("explain", "too many arguments (expected MODEL [PROFILES.jsonl])");
  if (!id) return pcli_usage_error("explain", "which profile? give --id ID");
  if (input_tz && !pcli_check_timezone("explain", input_tz)) return PCLI_EXIT_USAGE;
  gboolean json = FALSE;
  if (format && strcmp(format, "json") == 0) json = TRUE;
  else if (format && strcmp(format, "text") != 0)
    return pcli_usage_error("explain", "unknown format '%s' (expected 'text' or 'json')", format);
  gint64 now_us = persona_time_now();
  if (now_text && !persona_time_parse(now_text, &now_us))
    return pcli_usage_error("explain", "invalid --now '%s'", now_text);

  PersonaCompileOptions opts = {.include_dirs = (const char *const *)include, .use_persona_path = TRUE,
                                .trace = TRUE,
                                .allow_native = allow_native};
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaDiagnostics) diags = NULL;
  g_autoptr(PersonaModel) model = NULL;
  gboolean readable = pcli_check_readable(args[0], &error);
  if (readable && pcli_is_bytecode_file(args[0])) {
    pcli_error("%s is bytecode: `persona explain` compiles the model's source with trace points, "
               "which bytecode does not hold; give the .persona file", args[0]);
    return PCLI_EXIT_FAIL;
  }
  if (readable) model = persona_compile_file(args[0], &opts, &diags, &error);
  if (!model) {
    if (diags && persona_diagnostics_errors(diags)) {
      g_autofree char *text = persona_diagnostics_to_text(diags, pcli_stderr_color());
      fputs(text, stderr);
    } else {
      pcli_error("%s", error ? error->message : "compilation failed");
    }
    return PCLI_EXIT_FAIL;
  }
  g_autoptr(PersonaStateStore) store = NULL;
  if (state_path) {
    store = persona_state_store_load(state_path, &error);
    if (!store) {
      pcli_error("%s", error->message);
      return PCLI_EXIT_FAIL;
    }
  }
  const char *in_path = n_args > 1 && strcmp(args[1], "-") != 0 ? args[1] : NULL;
  return explain_search(model, in_path, id, store, now_us, json, input_tz);
}
