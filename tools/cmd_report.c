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

static void report_profile(void *rep, PersonaVM *vm, const char *line, gsize len, PersonaEvalStatus st,
                           const PersonaResult *result) {
  if (!result) {
    report_add_error(rep, "too_large"); /* the code persona eval gives such a line */
    return;
  }
  if (st == PERSONA_EVAL_OK && !persona_vm_where(vm)) return; /* outside --where's segment */
  report_add(rep, line, len, st, result);
}

static const PcliStart report_start = {
    "report", "MODEL [PROFILES.jsonl]", report_summary, report_description, 1, 2, "no MODEL given"};

int pcli_cmd_report(int argc, char **argv, gboolean do_help) {
  g_auto(GStrv) include = NULL;
  g_auto(GStrv) args = NULL;
  g_autofree char *now_text = NULL, *state_path = NULL, *format_name = NULL, *output = NULL, *where = NULL;
  gboolean allow_native = FALSE;
  const GOptionEntry entries[] = {
      PCLI_ENTRY_ALLOW_NATIVE(&allow_native),
      PCLI_ENTRY_NOW(&now_text),
      PCLI_ENTRY_STATE(&state_path),
      {"format", 0, 0, G_OPTION_ARG_STRING, &format_name, "'html', 'json', 'md' or 'text'", "FORMAT"},
      {"where", 0, 0, G_OPTION_ARG_FILENAME, &where, /* bytes as given: no locale conversion */
       "Report only the profiles for which EXPR holds (as for eval)", "EXPR"},
      {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write the report to FILE (replaced when complete)",
       "FILE"},
      PCLI_ENTRY_INCLUDE(&include),
      PCLI_ENTRY_OPERANDS(&args),
      PCLI_ENTRY_END,
  };
  guint n_args;
  int go = pcli_start(&report_start, entries, do_help, &argc, &argv, &args, &n_args);
  if (go != PCLI_GO) return go;
  RenderFormat format = format_for(output);
  if (format_name && !render_format_parse(format_name, &format))
    return pcli_usage_error("report", "unknown format '%s' (expected 'html', 'json', 'md' or 'text')",
                            format_name);
  gint64 now_us;
  if (!pcli_parse_time_option("report", "--now", now_text, &now_us)) return PCLI_EXIT_USAGE;

  if (where && pcli_is_bytecode_file(args[0]))
    return pcli_usage_error("report", "--where needs the model's source, not bytecode");
  PersonaCompileOptions opts = {.include_dirs = (const char *const *)include, .use_persona_path = TRUE,
                                .allow_native = allow_native, .where = where};
  g_autoptr(PersonaModel) model = pcli_load_model(args[0], &opts, NULL);
  if (!model) return PCLI_EXIT_FAIL;
  g_autoptr(PersonaStateStore) store = NULL;
  if (!pcli_load_state(state_path, &store)) return PCLI_EXIT_FAIL;
  const char *in_path = n_args > 1 && strcmp(args[1], "-") != 0 ? args[1] : NULL;
  Report *rep = report_new(model, now_us);
  int status = PCLI_EXIT_FAIL;
  PcliProfiles in = {.in_path = in_path, .store = store, .now_us = now_us};
  if (pcli_eval_profiles(model, &in, report_profile, rep)) {
    RenderDoc *doc = report_document(rep, in_path);
    status = pcli_write_doc(doc, format, output);
    render_doc_free(doc);
  }
  report_free(rep);
  return status;
}
