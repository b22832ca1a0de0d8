/* cmd_experiment.c - `persona experiment MODEL [PROFILES.jsonl]`: the
 * experiment component (experiment/experiment.h) over every profile,
 * printed as JSON or rendered by the shared renderer; with gates for CI. */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "experiment/experiment.h"
#include "experiment/report.h"
#include "render/render.h"

static const char experiment_summary[] = "Measure the model's experiments: arms, conversions, lift, significance.";

static const char experiment_description[] =
    "Evaluates every profile of PROFILES.jsonl (standard input when absent or\n"
    "'-') at --now, from its stored state with --state FILE (read, never\n"
    "written), to learn its arm in each experiment and when it was assigned.\n"
    "A profile whose window has passed is counted: its conversion is the\n"
    "experiment's metric as of assigned + window. Per arm: n, conversions,\n"
    "rate with a Wilson 95% interval, lift over the control (relative and in\n"
    "points), a two-proportion z-test, the minimum detectable effect at this\n"
    "n (alpha 0.05, power 0.8) and the profiles still inside their window;\n"
    "per experiment a chi-square test across arms and a sample-ratio check\n"
    "(flagged below p = 0.001). No value of a profile's fields is shown. See\n"
    "docs/experiment.md.\n"
    "\n"
    "FORMAT: 'text' (default), 'json', 'md' or 'html'.\n"
    "\n"
    "Gates (exit status 1, naming the gate): --min-lift P fails when an arm's\n"
    "lift over its control is below P (e.g. 15%); --require-significant fails\n"
    "when an experiment's chi-square p-value is not below --alpha (0.05) or\n"
    "its sample ratio is off.\n"
    "\n"
    "Exit status: 0 written (and every gate holds), 1 a gate failed, the model\n"
    "has errors, or a file could not be read or written, 2 usage error.\n"
    "\n"
    "Example:\n"
    "  persona experiment examples/b2b_journeys.persona examples/profiles.jsonl \\\n"
    "      --state state.json --now 2026-04-01T00:00:00Z --min-lift 15%\n";

/* "15%" or "0.15"; FALSE when not a number. */
static gboolean parse_fraction(const char *text, double *out) {
  char *end = NULL;
  double v = g_ascii_strtod(text, &end);
  if (end == text || !isfinite(v)) return FALSE;
  if (*end == '%') {
    v /= 100;
    end++;
  }
  if (*end) return FALSE;
  *out = v;
  return TRUE;
}

static void add_profile(void *ex, PersonaVM *vm, const char *line, gsize len, PersonaEvalStatus st,
                        const PersonaResult *result) {
  experiments_add(ex, vm, line, len, st, result);
}

/* The gates; FALSE after naming each that failed on stderr. */
static gboolean check_gates(const Experiments *ex, gboolean has_min_lift, double min_lift, gboolean significant,
                            double alpha) {
  gboolean ok = TRUE;
  for (guint i = 0; i < experiments_count(ex); i++) {
    const ExpSummary *s = experiments_get(ex, i);
    for (guint a = 0; has_min_lift && a < s->n_arms; a++) {
      if (a == s->control || (gint)a == s->holdout) continue;
      const ExpArm *arm = &s->arms[a];
      if (!isnan(arm->lift) && arm->lift >= min_lift) continue;
      if (isnan(arm->lift))
        pcli_error("gate --min-lift failed: %s arm '%s' has no lift over '%s' (no counted profiles or no conversions)",
                   s->name, arm->name, s->arms[s->control].name);
      else
        pcli_error("gate --min-lift failed: %s arm '%s' lifts %.1f%% over '%s', below %.1f%%", s->name, arm->name,
                   arm->lift * 100, s->arms[s->control].name, min_lift * 100);
      ok = FALSE;
    }
    if (significant && (isnan(s->chi2_p_value) || s->chi2_p_value >= alpha)) {
      char p[32] = "undefined";
      if (!isnan(s->chi2_p_value)) g_snprintf(p, sizeof p, "%.4f", s->chi2_p_value);
      pcli_error("gate --require-significant failed: %s chi-square p = %s, not below %g", s->name, p, alpha);
      ok = FALSE;
    }
    if (significant && s->srm) {
      pcli_error("gate --require-significant failed: %s has a sample ratio mismatch (p = %.2g)", s->name,
                 s->srm_p_value);
      ok = FALSE;
    }
  }
  return ok;
}

static int write_output(const Experiments *ex, RenderFormat format, gboolean json, const char *output) {
  GString *text = g_string_new(NULL);
  if (json) {
    experiments_json(ex, text);
  } else {
    RenderDoc *doc = experiments_document(ex);
    render_doc(doc, format, text);
    render_doc_free(doc);
  }
  int status = pcli_write_text(output, text);
  g_string_free(text, TRUE);
  return status;
}

static const PcliStart experiment_start = {
    "experiment", "MODEL [PROFILES.jsonl]", experiment_summary, experiment_description, 1, 2, "no MODEL given"};

int pcli_cmd_experiment(int argc, char **argv, gboolean do_help) {
  g_auto(GStrv) include = NULL;
  g_auto(GStrv) args = NULL;
  g_autofree char *now_text = NULL, *state_path = NULL, *format_name = NULL, *output = NULL, *min_lift_text = NULL,
                  *alpha_text = NULL;
  gboolean require_significant = FALSE;
  const GOptionEntry entries[] = {
      {"now", 0, 0, G_OPTION_ARG_STRING, &now_text, "Measure as of TIME (default: the current time)", "TIME"},
      {"state", 0, 0, G_OPTION_ARG_FILENAME, &state_path, "Read the profiles' states (their arms) from FILE",
       "FILE"},
      {"format", 0, 0, G_OPTION_ARG_STRING, &format_name, "'text', 'json', 'md' or 'html'", "FORMAT"},
      {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write to FILE (replaced when complete)", "FILE"},
      {"min-lift", 0, 0, G_OPTION_ARG_STRING, &min_lift_text, "Fail unless every arm lifts at least P over its control",
       "P"},
      {"require-significant", 0, 0, G_OPTION_ARG_NONE, &require_significant,
       "Fail unless every experiment's chi-square p is below --alpha and its sample ratio holds", NULL},
      {"alpha", 0, 0, G_OPTION_ARG_STRING, &alpha_text, "Significance level of --require-significant (0.05)", "A"},
      PCLI_ENTRY_INCLUDE(&include),
      PCLI_ENTRY_OPERANDS(&args),
      PCLI_ENTRY_END,
  };
  guint n_args;
  int go = pcli_start(&experiment_start, entries, do_help, &argc, &argv, &args, &n_args);
  if (go != PCLI_GO) return go;
  RenderFormat format = RENDER_TEXT;
  gboolean json = format_name && strcmp(format_name, "json") == 0;
  if (format_name && !json && !render_format_parse(format_name, &format))
    return pcli_usage_error("experiment", "unknown format '%s' (expected 'text', 'json', 'md' or 'html')",
                            format_name);
  double min_lift = 0, alpha = 0.05;
  if (min_lift_text && !parse_fraction(min_lift_text, &min_lift))
    return pcli_usage_error("experiment", "invalid --min-lift '%s': expected a percentage such as 15%%",
                            min_lift_text);
  if (alpha_text && (!parse_fraction(alpha_text, &alpha) || alpha <= 0 || alpha >= 1))
    return pcli_usage_error("experiment", "invalid --alpha '%s': expected a level such as 0.05", alpha_text);
  gint64 now_us;
  if (!pcli_parse_time_option("experiment", "--now", now_text, &now_us)) return PCLI_EXIT_USAGE;
  PersonaCompileOptions opts = {.include_dirs = (const char *const *)include, .use_persona_path = TRUE};
  g_autoptr(PersonaModel) model = pcli_load_model(args[0], &opts, NULL);
  if (!model) return PCLI_EXIT_FAIL;
  g_autoptr(PersonaStateStore) store = NULL;
  if (!pcli_load_state(state_path, &store)) return PCLI_EXIT_FAIL;
  const char *in_path = n_args > 1 && strcmp(args[1], "-") != 0 ? args[1] : NULL;
  Experiments *ex = experiments_new(model, now_us);
  int status = PCLI_EXIT_FAIL;
  PcliProfiles in = {.in_path = in_path, .store = store, .now_us = now_us};
  if (pcli_eval_profiles(model, &in, add_profile, ex)) {
    experiments_finish(ex);
    for (guint i = 0; i < experiments_count(ex); i++) {
      const ExpSummary *s = experiments_get(ex, i);
      if (s->reshuffled)
        pcli_error("warning: %s: %" G_GINT64_FORMAT " profiles reshuffled: the salt changed since their state "
                   "was written",
                   s->name, s->reshuffled);
    }
    status = write_output(ex, format, json, output);
    if (status == PCLI_EXIT_OK &&
        !check_gates(ex, min_lift_text != NULL, min_lift, require_significant, alpha))
      status = PCLI_EXIT_FAIL;
  }
  experiments_free(ex);
  return status;
}
