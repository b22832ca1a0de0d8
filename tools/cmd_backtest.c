/* cmd_backtest.c - `persona backtest MODEL PROFILES --as-of T --horizon D
 * --outcome EXPR`: the options; the work is backtest/backtest.c. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "backtest/backtest.h"

static const char backtest_summary[] =
    "Check a model's scores and tags against what happened later.";

static const char backtest_description[] =
    "Every profile of PROFILES.jsonl is evaluated as of each --as-of time T\n"
    "(events after T are invisible to the model), and the --outcome\n"
    "expression as of T + --horizon, where the constant `cutoff` is T:\n"
    "  --outcome 'exists(events where type == \"deal_won\" and at > cutoff)'\n"
    "For snapshot data the outcome can be a boolean field (--outcome churned).\n"
    "\n"
    "Reported: the base rate; per score n, positives, AUC with its 95 %\n"
    "interval (DeLong), KS, Gini, the bands (--bands N, highest scores first:\n"
    "range, n, positives, rate, lift over the base rate, cumulative capture)\n"
    "and the share of positives the top --top P holds; per tag the\n"
    "prevalence, the rate when held and when not, lift, weight of evidence\n"
    "and information value; per lifecycle stage the rate; with several\n"
    "--as-of, each origin's AUC and the population stability (PSI) of every\n"
    "score against the first origin. docs/backtest.md gives every formula.\n"
    "\n"
    "Gates for CI (exit 1 naming the gate that failed, for any score):\n"
    "  --min-auc 0.7          AUC at least 0.7\n"
    "  --min-capture 20%:60%  the top 20 % by score holds at least 60 % of positives\n"
    "  --min-lift 15%         the top band converts at least 15 % above the base rate\n"
    "SHARE values are a percentage (\"20%\") or a fraction (0.2).\n"
    "\n"
    "Exit status: 0 done and every gate passed, 1 a gate failed or the backtest\n"
    "could not run (the outcome does not compile, one class only, a file cannot\n"
    "be read), 2 usage error.\n"
    "\n"
    "Example:\n"
    "  persona backtest examples/b2b_lead.persona examples/history.jsonl \\\n"
    "      --as-of 2025-10-01 --horizon 90d \\\n"
    "      --outcome 'exists(events where type == \"deal_won\" and at > cutoff)'\n";

static int usage(const char *fmt, const char *arg) {
  return pcli_usage_error("backtest", fmt, arg);
}

/* Options that turn into BtOptions after checking. */
typedef struct {
  char **as_of, *horizon, *outcome, *format, *top, *min_auc, *min_capture, *min_lift;
  gint bands;
} RawOptions;

static int check_options(RawOptions *raw, BtOptions *o, gint64 **as_of_us) {
  if (!raw->as_of) return pcli_usage_error("backtest", "no --as-of TIME given");
  if (!raw->horizon) return pcli_usage_error("backtest", "no --horizon given (e.g. --horizon 90d)");
  if (!raw->outcome) return pcli_usage_error("backtest", "no --outcome EXPR given");
  o->n_as_of = g_strv_length(raw->as_of);
  *as_of_us = g_new(gint64, o->n_as_of);
  for (guint i = 0; i < o->n_as_of; i++)
    if (!pcli_parse_time_option("backtest", "--as-of", raw->as_of[i], &(*as_of_us)[i])) return PCLI_EXIT_USAGE;
  o->as_of_us = *as_of_us;
  if (!bt_parse_duration(raw->horizon, &o->horizon_us))
    return usage("invalid --horizon '%s': expected a positive whole number and a unit, s m h d or w "
                 "(90d, 12w)",
                 raw->horizon);
  o->outcome = raw->outcome;
  if (raw->bands < 1 || raw->bands > 1000) return pcli_usage_error("backtest", "--bands must be between 1 and 1000");
  o->bands = (guint)raw->bands;
  if (raw->top && (!pcli_parse_share(raw->top, 1, &o->top_share) || o->top_share == 0))
    return usage("invalid --top '%s': expected a share above 0 and at most 100 %% (20%%)", raw->top);
  if (!raw->format || strcmp(raw->format, "text") == 0) o->format = BT_FORMAT_TEXT;
  else if (strcmp(raw->format, "json") == 0) o->format = BT_FORMAT_JSON;
  else if (strcmp(raw->format, "html") == 0) o->format = BT_FORMAT_HTML;
  else return usage("invalid --format '%s': expected text, json or html", raw->format);
  if (raw->min_auc && !pcli_parse_share(raw->min_auc, 1, &o->gates.min_auc))
    return usage("invalid --min-auc '%s': expected a number from 0 to 1", raw->min_auc);
  if (raw->min_lift && !pcli_parse_share(raw->min_lift, 1e6, &o->gates.min_lift))
    return usage("invalid --min-lift '%s': expected a percentage (15%%)", raw->min_lift);
  if (raw->min_capture) {
    g_auto(GStrv) parts = g_strsplit(raw->min_capture, ":", 2);
    if (g_strv_length(parts) != 2 || !pcli_parse_share(parts[0], 1, &o->gates.capture_top) ||
        o->gates.capture_top == 0 || !pcli_parse_share(parts[1], 1, &o->gates.capture_held))
      return usage("invalid --min-capture '%s': expected TOP:HELD, e.g. 20%%:60%%", raw->min_capture);
  }
  return PCLI_EXIT_OK;
}

static const PcliStart backtest_start = {
    "backtest", "MODEL PROFILES.jsonl", backtest_summary, backtest_description, 1, 2, "no MODEL given"};

int pcli_cmd_backtest(int argc, char **argv, gboolean do_help) {
  g_auto(GStrv) include = NULL;
  g_auto(GStrv) args = NULL;
  g_auto(GStrv) as_of = NULL;
  g_autofree char *horizon = NULL, *outcome = NULL, *format = NULL, *top = NULL, *min_auc = NULL,
                  *min_capture = NULL, *min_lift = NULL;
  gint bands = 10;
  gboolean allow_native = FALSE;
  const GOptionEntry entries[] = {
      {"as-of", 0, 0, G_OPTION_ARG_STRING_ARRAY, &as_of,
       "Evaluate the model as of TIME (repeatable: several origins, reported each and pooled)", "TIME"},
      {"horizon", 0, 0, G_OPTION_ARG_STRING, &horizon, "Evaluate the outcome as of TIME + D (90d, 12w, 24h)", "D"},
      {"outcome", 0, 0, G_OPTION_ARG_STRING, &outcome,
       "The outcome: a boolean expression of the model's language; `cutoff` is the --as-of time", "EXPR"},
      {"bands", 0, 0, G_OPTION_ARG_INT, &bands, "Split each score into N bands (default: 10, deciles)", "N"},
      {"top", 0, 0, G_OPTION_ARG_STRING, &top, "Report the positives held by the top SHARE (default: 20%)",
       "SHARE"},
      {"format", 0, 0, G_OPTION_ARG_STRING, &format, "text (default), json or html (one self-contained page)", "FORMAT"},
      {"min-auc", 0, 0, G_OPTION_ARG_STRING, &min_auc, "Fail unless every score's AUC is at least X", "X"},
      {"min-capture", 0, 0, G_OPTION_ARG_STRING, &min_capture,
       "Fail unless the top TOP of every score holds at least HELD of the positives", "TOP:HELD"},
      {"min-lift", 0, 0, G_OPTION_ARG_STRING, &min_lift,
       "Fail unless every score's top band converts SHARE above the base rate", "SHARE"},
      PCLI_ENTRY_INCLUDE(&include),
      PCLI_ENTRY_ALLOW_NATIVE(&allow_native),
      PCLI_ENTRY_OPERANDS(&args),
      PCLI_ENTRY_END,
  };
  guint n_args;
  int go = pcli_start(&backtest_start, entries, do_help, &argc, &argv, &args, &n_args);
  if (go != PCLI_GO) return go;

  BtOptions o = {.top_share = 0.2, .gates = {.min_auc = -1, .min_lift = -1}};
  RawOptions raw = {as_of, horizon, outcome, format, top, min_auc, min_capture, min_lift, bands};
  g_autofree gint64 *as_of_us = NULL;
  int status = check_options(&raw, &o, &as_of_us);
  if (status != PCLI_EXIT_OK) return status;
  o.profiles_path = n_args > 1 ? args[1] : NULL;
  gboolean from_stdin = !o.profiles_path || strcmp(o.profiles_path, "-") == 0;
  if (from_stdin && o.n_as_of > 1)
    return pcli_usage_error("backtest", "several --as-of read PROFILES once each: give a file, not standard input");

  PersonaCompileOptions copts = {
      .include_dirs = (const char *const *)include,
      .use_persona_path = TRUE,
      .allow_native = allow_native,
      .score_rules = TRUE, /* which rules fired (persona_vm_record_rules) */
  };
  g_autoptr(PersonaModel) model = pcli_load_model(args[0], &copts, NULL);
  if (!model) return PCLI_EXIT_FAIL;
  o.model = model;
  o.model_path = args[0];
  o.compile = &copts;

  g_autoptr(GString) out = g_string_new(NULL);
  status = bt_run(&o, out);
  if (out->len && persona_write_fd(1, out->str, out->len) != 0) {
    pcli_error("cannot write to standard output");
    return PCLI_EXIT_FAIL;
  }
  return status;
}
