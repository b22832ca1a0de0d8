/* cmd_report.c - `persona report MODEL [PROFILES.jsonl]`: the report
 * component (report/report.h) over every profile, rendered by the shared
 * renderer (render/render.h) as HTML, JSON, Markdown or text. */
#include "cli.h"

#include <string.h>

#include "render/render.h"
#include "report/report.h"

static const char report_summary[] = "Summarise what a model makes of a set of profiles.";

static const char report_description[] =
    "Evaluates every profile of PROFILES.jsonl (standard input when absent or\n"
    "'-') like 'persona eval' and writes one report of the whole set: the\n"
    "funnel of each lifecycle (profiles per stage, conversion, time in\n"
    "stage), each score's distribution, each tag's prevalence, where\n"
    "profiles stand in each journey, and data quality (records with errors\n"
    "by kind, fields without a value). No value of a profile's fields is\n"
    "ever shown. See docs/report.md.\n"
    "\n"
    "FORMAT: 'html' (one self-contained page with inline SVG charts),\n"
    "'json' (the same numbers), 'md' (Markdown) or 'text'. Default: from the\n"
    "extension of -o (.html .htm .json .md .txt), else text. With --state\n"
    "FILE the profiles' stored states are read (never written): stages and\n"
    "journeys move on from them, and time in stage counts from their entry.\n"
    "With --where EXPR only the profiles for which EXPR holds are reported (a\n"
    "segment: 'enterprise and east_china'); records with errors still are.\n"
    "\n"
    "Exit status: 0 the report was written (records that gave an error are\n"
    "counted in it), 1 the model has errors, the state file is damaged, or a\n"
    "file could not be read or written, 2 usage error.\n"
    "\n"
    "Example:\n"
    "  persona report examples/b2b_lead.persona examples/profiles.jsonl \\\n"
    "      --now 2026-02-01T00:00:00Z -o report.html\n";

/* The format named by -o's extension, else text. */
static RenderFormat format_for(const char *output) {
  static const struct {
    const char *ext;
    RenderFormat format;
  } exts[] = {{".html", RENDER_HTML}, {".htm", RENDER_HTML}, {".json", RENDER_JSON},
              {".md", RENDER_MARKDOWN}, {".txt", RENDER_TEXT}};
  for (gsize i = 0; output && i < G_N_ELEMENTS(exts); i++)
    if (g_str_has_suffix(output, exts[i].ext)) return exts[i].format;
  return RENDER_TEXT;
}

/* Feeds every record to the report; FALSE after printing a read error. */
static gboolean report_records(Report *rep, PersonaModel *model, const char *in_path,
                               const PersonaStateStore *store, gint64 now_us) {
  g_autoptr(GError) error = NULL;
  PersonaLineReader *r = NULL;
  if (!(r = persona_line_reader_open(in_path, &error))) {
    pcli_error("%s", error->message);
    return FALSE;
  }
  g_autoptr(PersonaVM) vm = persona_vm_new(model);
  GString *key = g_string_new(NULL);
  const char *line;
  gsize len;
  while (persona_line_reader_next(r, &line, &len, &error)) {
    if (persona_line_reader_too_long(r, NULL)) {
      report_add_error(rep, "too_large"); /* the code persona eval gives such a line */
      continue;
    }
    const char *state = NULL;
    if (store) {
      g_string_truncate(key, 0);
      if (persona_vm_profile_key(vm, line, len, key)) state = persona_state_store_get(store, key->str);
    }
    const PersonaResult *result = NULL;
    PersonaEvalStatus st = persona_vm_eval(vm, line, len, state, state ? strlen(state) : 0, now_us, &result);
    if (st == PERSONA_EVAL_OK && !persona_vm_where(vm)) continue; /* outside --where's segment */
    report_add(rep, line, len, st, result);
  }
  g_string_free(key, TRUE);
  persona_line_reader_free(r);
  if (error) {
    pcli_error("%s", error->message);
    return FALSE;
  }
  return TRUE;
}

static int write_document(const RenderDoc *doc, RenderFormat format, const char *output) {
  GString *text = g_string_new(NULL);
  render_doc(doc, format, text);
  int status = pcli_write_text(output, text);
  g_string_free(text, TRUE);
  return status;
}

int pcli_cmd_report(int argc, char **argv, gboolean do_help) {
  g_auto(GStrv) include = NULL;
  g_auto(GStrv) args = NULL;
  g_autofree char *now_text = NULL, *state_path = NULL, *format_name = NULL, *output = NULL, *where = NULL;
  gboolean allow_native = FALSE;
  const GOptionEntry entries[] = {
      {"allow-native", 0, 0, G_OPTION_ARG_NONE, &allow_native,
       "Let extern fn load the shared libraries the model names (native code)", NULL},
      {"now", 0, 0, G_OPTION_ARG_STRING, &now_text, "Evaluate as of TIME (default: the current time)", "TIME"},
      {"state", 0, 0, G_OPTION_ARG_FILENAME, &state_path, "Start from the profiles' states in FILE (read only)",
       "FILE"},
      {"format", 0, 0, G_OPTION_ARG_STRING, &format_name, "'html', 'json', 'md' or 'text'", "FORMAT"},
      {"where", 0, 0, G_OPTION_ARG_FILENAME, &where, /* bytes as given: no locale conversion */
       "Report only the profiles for which EXPR holds (as for eval)", "EXPR"},
      {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write the report to FILE (replaced when complete)",
       "FILE"},
      {"include", 'I', 0, G_OPTION_ARG_FILENAME_ARRAY, &include, "Search DIR for imports (repeatable)", "DIR"},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args, NULL, NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) ctx =
      pcli_context_new("MODEL [PROFILES.jsonl]", report_summary, report_description, entries);
  if (do_help) {
    pcli_print_help(ctx);
    return PCLI_EXIT_OK;
  }
  if (!pcli_parse(ctx, "report", &argc, &argv)) return PCLI_EXIT_USAGE;
  guint n_args = args ? g_strv_length(args) : 0;
  if (n_args < 1) return pcli_usage_error("report", "no MODEL given");
  if (n_args > 2) return pcli_usage_error("report", "too many arguments (expected MODEL [PROFILES.jsonl])");
  RenderFormat format = format_for(output);
  if (format_name && !render_format_parse(format_name, &format))
    return pcli_usage_error("report", "unknown format '%s' (expected 'html', 'json', 'md' or 'text')",
                            format_name);
  gint64 now_us = persona_time_now();
  if (now_text && !persona_time_parse(now_text, &now_us))
    return pcli_usage_error("report",
                            "invalid --now '%s': expected an RFC 3339 time "
                            "(2026-02-01T00:00:00Z), a date (2026-02-01) or Unix seconds",
                            now_text);

  if (where && pcli_is_bytecode_file(args[0]))
    return pcli_usage_error("report", "--where needs the model's source, not bytecode");
  PersonaCompileOptions opts = {.include_dirs = (const char *const *)include, .use_persona_path = TRUE,
                                .allow_native = allow_native, .where = where};
  g_autoptr(PersonaModel) model = pcli_load_model(args[0], &opts, NULL);
  if (!model) return PCLI_EXIT_FAIL;
  g_autoptr(PersonaStateStore) store = NULL;
  if (state_path) {
    g_autoptr(GError) error = NULL;
    store = persona_state_store_load(state_path, &error);
    if (!store) {
      pcli_error("%s", error->message);
      return PCLI_EXIT_FAIL;
    }
  }
  const char *in_path = n_args > 1 && strcmp(args[1], "-") != 0 ? args[1] : NULL;
  Report *rep = report_new(model, now_us);
  int status = PCLI_EXIT_FAIL;
  if (report_records(rep, model, in_path, store, now_us)) {
    RenderDoc *doc = report_document(rep, in_path);
    status = write_document(doc, format, output);
    render_doc_free(doc);
  }
  report_free(rep);
  return status;
}
