/* cmd_diff.c - `persona diff OLD NEW PROFILES`: the options; the work is
 * diff/diff.c. */
#include "cli.h"

#include <string.h>

#include "diff/diff.h"

static const char diff_summary[] = "Show what a model change does to real profiles.";

static const char diff_description[] =
    "Both models are evaluated on every profile of PROFILES.jsonl, as of --now\n"
    "(and from the states of --state, which is only read). OLD and NEW are\n"
    ".persona files or git revisions, REV:PATH (HEAD~1:models/lead.persona),\n"
    "read with `git show` in the current directory.\n"
    "\n"
    "Reported: the declarations added, removed and changed (with their text);\n"
    "per tag how many profiles hold it in each model, gain it and lose it;\n"
    "per lifecycle the old-stage × new-stage matrix; per score how many\n"
    "profiles' values change and the change's mean, p10, p50, p90, min and\n"
    "max; the --top N most changed profiles, what changed for each and the rule\n"
    "behind each change (from explain). --format md is a summary for a pull\n"
    "request, html one self-contained page. docs/diff.md describes every part.\n"
    "\n"
    "Gates for CI (exit 1 naming the gate that failed):\n"
    "  --max-changed 5%               at most 5 % of profiles change stage\n"
    "  --max-changed-tag vip:2%       at most 2 % of profiles gain or lose tag vip\n"
    "\n"
    "Exit status: 0 done and every gate passed, 1 a gate failed or the diff could\n"
    "not run (a model does not compile, a file cannot be read), 2 usage error.\n"
    "\n"
    "Example:\n"
    "  persona diff HEAD~1:examples/b2b_lead.persona examples/b2b_lead.persona \\\n"
    "      examples/profiles.jsonl --now 2026-02-01 --format md --max-changed 5%\n";

/* --max-changed-tag TAG:SHARE, repeatable; *gates owned by the caller. */
static int parse_tag_gates(char **specs, PdTagGate **gates, guint *n) {
  *n = specs ? g_strv_length(specs) : 0;
  *gates = g_new0(PdTagGate, *n + 1);
  for (guint i = 0; i < *n; i++) {
    const char *colon = strrchr(specs[i], ':');
    if (!colon || colon == specs[i] || !pcli_parse_share(colon + 1, 1, &(*gates)[i].max_share))
      return pcli_usage_error("diff", "invalid --max-changed-tag '%s': expected TAG:SHARE, e.g. vip:2%%", specs[i]);
    specs[i][colon - specs[i]] = '\0';
    (*gates)[i].tag = specs[i];
  }
  return PCLI_EXIT_OK;
}

static const PcliStart diff_start = {
    "diff", "OLD NEW PROFILES.jsonl", diff_summary, diff_description, 2, 3, "expected OLD NEW PROFILES.jsonl"};

int pcli_cmd_diff(int argc, char **argv, gboolean do_help) {
  g_auto(GStrv) include = NULL;
  g_auto(GStrv) args = NULL;
  g_auto(GStrv) tag_gates = NULL;
  g_autofree char *now = NULL, *state = NULL, *format = NULL, *max_changed = NULL;
  gint top = 10;
  gboolean allow_native = FALSE;
  const GOptionEntry entries[] = {
      PCLI_ENTRY_NOW(&now),
      {"state", 0, 0, G_OPTION_ARG_FILENAME, &state, "Start every profile from its state in FILE (read only)",
       "FILE"},
      {"format", 0, 0, G_OPTION_ARG_STRING, &format, "text (default), md, json or html", "FORMAT"},
      {"top", 0, 0, G_OPTION_ARG_INT, &top, "List the N most changed profiles (default: 10)", "N"},
      {"max-changed", 0, 0, G_OPTION_ARG_STRING, &max_changed,
       "Fail when more than SHARE of the profiles change stage", "SHARE"},
      {"max-changed-tag", 0, 0, G_OPTION_ARG_STRING_ARRAY, &tag_gates,
       "Fail when more than SHARE of the profiles gain or lose TAG (repeatable)", "TAG:SHARE"},
      PCLI_ENTRY_INCLUDE(&include),
      {"allow-native", 0, 0, G_OPTION_ARG_NONE, &allow_native,
       "Let extern fn load the shared libraries the models name (native code)", NULL},
      PCLI_ENTRY_OPERANDS(&args),
      PCLI_ENTRY_END,
  };
  guint n_args;
  int go = pcli_start(&diff_start, entries, do_help, &argc, &argv, &args, &n_args);
  if (go != PCLI_GO) return go;

  PdOptions o = {.old_spec = args[0], .new_spec = args[1], .profiles_path = n_args > 2 ? args[2] : NULL,
                 .state_path = state, .max_changed = -1};
  if (!pcli_parse_time_option("diff", "--now", now, &o.now_us)) return PCLI_EXIT_USAGE;
  if (!format || strcmp(format, "text") == 0) o.format = PD_FORMAT_TEXT;
  else if (strcmp(format, "json") == 0) o.format = PD_FORMAT_JSON;
  else if (strcmp(format, "md") == 0) o.format = PD_FORMAT_MD;
  else if (strcmp(format, "html") == 0) o.format = PD_FORMAT_HTML;
  else return pcli_usage_error("diff", "invalid --format '%s': expected text, md, json or html", format);
  if (top < 0 || top > 10000) return pcli_usage_error("diff", "--top must be between 0 and 10000");
  o.top = (guint)top;
  if (max_changed && !pcli_parse_share(max_changed, 1, &o.max_changed))
    return pcli_usage_error("diff", "invalid --max-changed '%s': expected a share from 0 to 100 %% (5%%)", max_changed);
  g_autofree PdTagGate *gates = NULL;
  int status = parse_tag_gates(tag_gates, &gates, &o.n_tag_gates);
  if (status != PCLI_EXIT_OK) return status;
  o.tag_gates = gates;

  PersonaCompileOptions copts = {
      .include_dirs = (const char *const *)include,
      .use_persona_path = TRUE,
      .allow_native = allow_native,
  };
  o.compile = &copts;
  g_autoptr(GString) out = g_string_new(NULL);
  status = pd_run(&o, out);
  if (out->len && persona_write_fd(1, out->str, out->len) != 0) {
    pcli_error("cannot write to standard output");
    return PCLI_EXIT_FAIL;
  }
  return status;
}
