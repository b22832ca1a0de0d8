/* cmd_run.c - `persona run MODEL --db FILE [INPUT…]`: keep every profile's
 * state in one SQLite file, evaluate each profile when its next_wake comes
 * or a new record arrives, and hand every action to a sink once.
 *
 * The runtime itself is the runner component (runner/runner.h); this file
 * is the command: options, messages and exit codes. docs/runtime.md is the
 * user's guide.
 */
#include "cli.h"
#include "runner/runner.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static const char run_summary[] = "Run journeys durably: profile states, timers and an outbox in one SQLite file.";

static const char run_description[] =
    "Reads profile records (JSON Lines) from the INPUTs — files, directories\n"
    "(every file in them not starting with '.') or '-' for standard input —\n"
    "and keeps each profile's last record and state in the database FILE. A\n"
    "profile is evaluated when a new record for it arrives, when its\n"
    "next_wake comes, and at the instant its result changes by time alone\n"
    "(its next_change: a 'days_inactive > 60' becoming true), however late\n"
    "the run; the actions go to the outbox in the same transaction as the new\n"
    "state, and from there to the sink, each with a stable key.\n"
    "\n"
    "  --once   evaluate everything due now, deliver, and exit (cron, tests)\n"
    "  --watch  keep running: sleep until the earliest next_wake or new input;\n"
    "           SIGINT, SIGTERM or SIGHUP ends it after the current batch\n"
    "\n"
    "SINK: stdout (default), none, jsonl:FILE, exec:COMMAND (one 'sh -c\n"
    "COMMAND' per batch, the batch on its stdin) or dir:DIR (one file per\n"
    "batch, written atomically; exactly once). stdout, jsonl: and exec: deliver\n"
    "at least once: after a crash the batch in flight may come again, with the\n"
    "same keys.\n"
    "\n"
    "Time never goes backwards: a --now (or clock) before the last run's time\n"
    "is replaced by that time. --durability normal (synchronous=NORMAL) is for\n"
    "backfills: it survives a crash of persona but not of the machine.\n"
    "\n"
    "When the model changed and profiles wait at journey steps it no longer\n"
    "has, nothing runs until --migrate says what to do: 'exit' ends those\n"
    "journeys, 'keep' keeps their states (their evaluations fail, recorded).\n"
    "\n"
    "A database holds the states of one model: another model name, or a\n"
    "model that no longer declares a journey or lifecycle some profile has\n"
    "state in, is refused as well until --migrate.\n"
    "\n"
    "With a model that declares identity { }, INPUT files hold source records\n"
    "(crm.jsonl: source crm), joined into profiles as they arrive, as\n"
    "persona unify would; profiles that turn out to be one person merge their\n"
    "states (the further stage, the further journey position: no step twice).\n"
    "\n"
    "--log json writes every batch, delivery, retry and error as a JSON line\n"
    "on standard error; --metrics FILE keeps a Prometheus text file.\n"
    "\n"
    "Without a MODEL: --status shows counts (--format json for programs),\n"
    "--errors the recorded errors (JSON Lines), --check runs SQLite's\n"
    "integrity check.\n"
    "\n"
    "Exit status: 0 done, 1 the database, model, an input or the sink failed\n"
    "(undelivered actions stay in the outbox), 2 usage error, 3 some records\n"
    "could not be evaluated (see --errors). See docs/runtime.md.\n"
    "\n"
    "Example:\n"
    "  persona run examples/b2b_journeys.persona --db journeys.db profiles.jsonl \\\n"
    "      --once --sink jsonl:actions.jsonl\n";

/* ---- options ------------------------------------------------------------------- */

typedef struct {
  char *db;
  gboolean once, watch, status, errors, check, retry_errors, verbose;
  char *now_text;
  gint batch;
  gint sink_batch;
  gint sink_timeout;
  gint poll_ms;
  char *durability;
  char *sink;
  char *migrate;
  gint64 budget;
  gint64 max_line;
  char *input_tz;
  gboolean allow_native;
  char **include;
  char **args;
  char *log;     /* --log: text or json */
  char *metrics; /* --metrics FILE */
  char *format;  /* --format for --status: text or json */
} RunOptions;

static void run_options_clear(RunOptions *o) {
  g_free(o->db);
  g_free(o->now_text);
  g_free(o->durability);
  g_free(o->sink);
  g_free(o->migrate);
  g_free(o->log);
  g_free(o->metrics);
  g_free(o->format);
  g_free(o->input_tz);
  g_strfreev(o->include);
  g_strfreev(o->args);
}

static int run_view(const RunOptions *o) {
  g_autoptr(GError) error = NULL;
  PrunDb d;
  if (!prun_db_open_readonly(&d, o->db, &error)) {
    pcli_error("%s", error->message);
    prun_db_close(&d);
    return PCLI_EXIT_FAIL;
  }
  gboolean healthy = TRUE;
  PrunFormat format = o->format && strcmp(o->format, "json") == 0 ? PRUN_FORMAT_JSON : PRUN_FORMAT_TEXT;
  gboolean ok = o->check ? prun_check_integrity(&d, &healthy, &error)
                : o->errors ? prun_show_errors(&d, &error) : prun_show_status(&d, format, &error);
  prun_db_close(&d);
  if (!ok) pcli_error("%s", error->message);
  return ok && healthy ? PCLI_EXIT_OK : PCLI_EXIT_FAIL;
}

/* ---- the command ------------------------------------------------------------------------ */

/* An error for the operator: a "persona: …" line, or an "error" event
 * with --log json. */
static void run_error(const char *message) {
  GString *ev = prun_log_begin("error", "error");
  if (!ev) {
    pcli_error("%s", message);
    return;
  }
  prun_log_str(ev, "message", message);
  prun_log_end(ev);
}

static const char *signal_name(int sig) {
  switch (sig) {
  case SIGINT: return "SIGINT";
  case SIGTERM: return "SIGTERM";
  case SIGHUP: return "SIGHUP";
  default: return NULL;
  }
}

static void log_start(PrunRunner *r, const RunOptions *o) {
  GString *ev = prun_log_begin("info", "start");
  if (!ev) return;
  prun_log_str(ev, "version", persona_version());
  prun_log_int(ev, "pid", (gint64)getpid());
  prun_log_str(ev, "db", o->db);
  prun_log_str(ev, "model", persona_model_name(r->model));
  prun_log_str(ev, "model_version", persona_model_version(r->model));
  g_autofree char *short_hash = g_strndup(r->model_hash, 12);
  prun_log_str(ev, "model_sha256", short_hash);
  prun_log_str(ev, "mode", o->once ? "once" : "watch");
  prun_log_time(ev, "now", r->now);
  prun_log_end(ev);
}

/* The run's totals: a "stop" event with --log json. */
static void log_stop(PrunRunner *r, int status) {
  GString *ev = prun_log_begin(status == PCLI_EXIT_OK ? "info" : "warning", "stop");
  if (!ev) return;
  prun_log_str(ev, "signal", signal_name(prun_stop_signal()));
  prun_log_int(ev, "exit", status);
  prun_log_int(ev, "records", (gint64)r->stats.ingested);
  prun_log_int(ev, "evaluated", (gint64)r->stats.evaluated);
  prun_log_int(ev, "catch_up", (gint64)r->stats.catch_up);
  prun_log_int(ev, "failed", (gint64)r->stats.failed);
  prun_log_int(ev, "input_errors", (gint64)r->stats.input_errors);
  prun_log_int(ev, "actions", (gint64)r->stats.actions);
  prun_log_int(ev, "delivered", (gint64)r->stats.delivered);
  prun_log_int(ev, "delivery_failures", (gint64)r->stats.delivery_failures);
  prun_log_int(ev, "batches", (gint64)r->stats.batches);
  prun_log_end(ev);
}

static int report(PrunRunner *r, const RunOptions *o) {
  if (prun_log_is_json()) {
    int status = r->stats.failed + r->stats.input_errors > 0 ? PCLI_EXIT_RECORDS : PCLI_EXIT_OK;
    if (r->sink_error) status = PCLI_EXIT_FAIL;
    log_stop(r, status);
    return status;
  }
  if (o->verbose)
    pcli_error("%" G_GUINT64_FORMAT " records read, %" G_GUINT64_FORMAT " evaluations, %" G_GUINT64_FORMAT
               " actions, %" G_GUINT64_FORMAT " delivered, %" G_GUINT64_FORMAT " batches",
               r->stats.ingested, r->stats.evaluated + r->stats.failed, r->stats.actions, r->stats.delivered,
               r->stats.batches);
  int status = PCLI_EXIT_OK;
  if (r->stats.failed + r->stats.input_errors > 0) {
    pcli_error("%" G_GUINT64_FORMAT " evaluation%s failed and %" G_GUINT64_FORMAT
               " input line%s had no usable record; see persona run --db %s --errors",
               r->stats.failed, r->stats.failed == 1 ? "" : "s", r->stats.input_errors,
               r->stats.input_errors == 1 ? "" : "s", o->db);
    status = PCLI_EXIT_RECORDS;
  }
  if (r->sink_error) {
    pcli_error("delivery failed: %s; the actions stay in the outbox and are tried again by the next run",
               r->sink_error);
    status = PCLI_EXIT_FAIL;
  }
  return status;
}

static int run_runtime(RunOptions *o, PersonaModel *model, gint64 wanted_now, PrunDurability durability,
                       PrunMigrate migrate, PrunSink *sink) {
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = prun_model_hash(model);
  PrunDb d;
  PrunRunner r;
  memset(&r, 0, sizeof r);
  int status = PCLI_EXIT_FAIL;
  PrunInputs *inputs = NULL;
  PcliRunUnify *unify = NULL;
  if (!prun_db_open(&d, o->db, durability, &error)) goto out;
  inputs = prun_inputs_new((const char *const *)(o->args ? o->args + 1 : NULL), (gsize)o->max_line);
  prun_inputs_set_blocking(inputs, o->once);
  prun_runner_init(&r, &d, model, hash, inputs, sink, (guint)o->batch, (guint)o->sink_batch, (guint64)o->budget);
  r.metrics_path = g_strdup(o->metrics);
  if (persona_model_has_identity(model)) {
    unify = pcli_run_unify_new(model, &error);
    if (!unify || !prun_runner_set_unify(&r, pcli_run_unify_hooks(unify), &error)) goto out;
  }
  if (o->input_tz && !persona_vm_set_input_timezone(r.vm, o->input_tz, &error)) goto out;
  gboolean clamped;
  gint64 last;
  if (!prun_runner_set_now(&r, wanted_now, &clamped, &last, &error)) goto out;
  if (clamped && o->now_text) {
    char buf[PRUN_TIME_BUF];
    prun_format_time(last, buf);
    pcli_error("--now %s is before the last run's time %s: time never goes backwards, using %s", o->now_text, buf,
               buf);
  }
  if (!prun_seal_setup(&r.seal, &d, model, &error)) goto out;
  if (!prun_runner_check_model(&r, migrate, &error)) goto out;
  if (!o->once) prun_catch_stop_signals(); /* before "start": a supervisor may signal as soon as it reads it */
  log_start(&r, o);
  if (o->retry_errors) {
    guint64 n = 0;
    if (!prun_begin(&d, &error)) goto out;
    if (!prun_runner_retry_errors(&r, &n, &error) || !prun_commit(&d, &error)) {
      prun_rollback(&d);
      goto out;
    }
  }
  if (!(o->once ? prun_run_once(&r, &error) : prun_run_watch(&r, o->poll_ms, &error))) goto out;
  prun_write_metrics(&r, TRUE);
  status = report(&r, o);
out:
  if (error) {
    run_error(error->message);
    status = PCLI_EXIT_FAIL;
  }
  g_clear_pointer(&r.metrics_path, g_free);
  prun_runner_clear(&r);
  pcli_run_unify_free(unify);
  prun_inputs_free(inputs);
  prun_db_close(&d);
  return status;
}

/* Checks the options that do not need the model; returns -1 when fine. */
static int check_options(RunOptions *o, gint64 *now, PrunDurability *durability, PrunMigrate *migrate) {
  guint n_args = o->args ? g_strv_length(o->args) : 0;
  if (!o->db) return pcli_usage_error("run", "no database given (--db FILE)");
  if (o->status + o->errors + o->check > 1)
    return pcli_usage_error("run", "--status, --errors and --check cannot be combined");
  if (o->format && strcmp(o->format, "text") != 0 && strcmp(o->format, "json") != 0)
    return pcli_usage_error("run", "invalid --format '%s': expected text or json", o->format);
  if (o->format && !o->status) return pcli_usage_error("run", "--format is for --status");
  if (o->log && strcmp(o->log, "text") != 0 && strcmp(o->log, "json") != 0)
    return pcli_usage_error("run", "invalid --log '%s': expected text or json", o->log);
  prun_log_set_format(o->log && strcmp(o->log, "json") == 0 ? PRUN_LOG_JSON : PRUN_LOG_TEXT);
  if (o->status || o->errors || o->check) return -1;
  if (n_args < 1) return pcli_usage_error("run", "no MODEL given");
  if (o->once == o->watch) return pcli_usage_error("run", "give exactly one of --once and --watch");
  if (o->batch < 1 || o->batch > 1000000) return pcli_usage_error("run", "--batch must be between 1 and 1000000");
  if (o->sink_batch < 1 || o->sink_batch > 1000000)
    return pcli_usage_error("run", "--sink-batch must be between 1 and 1000000");
  if (o->sink_timeout < 1) return pcli_usage_error("run", "--sink-timeout must be 1 second or more");
  if (o->poll_ms < 10) return pcli_usage_error("run", "--poll must be 10 ms or more");
  if (o->budget < 0) return pcli_usage_error("run", "--budget must be 0 (no limit) or more");
  if (o->input_tz && !pcli_check_timezone("run", o->input_tz)) return PCLI_EXIT_USAGE;
  if (o->max_line < 1 || (guint64)o->max_line >= G_MAXSIZE / 2)
    return pcli_usage_error("run", "--max-line-bytes must be 1 or more");
  if (o->now_text && o->watch)
    return pcli_usage_error("run", "--now is for --once (tests, replays); --watch follows the clock");
  *durability = PRUN_DURABILITY_FULL;
  if (o->durability && strcmp(o->durability, "normal") == 0) *durability = PRUN_DURABILITY_NORMAL;
  else if (o->durability && strcmp(o->durability, "full") != 0)
    return pcli_usage_error("run", "invalid --durability '%s': expected full or normal", o->durability);
  *migrate = PRUN_MIGRATE_NONE;
  if (o->migrate && strcmp(o->migrate, "exit") == 0) *migrate = PRUN_MIGRATE_EXIT;
  else if (o->migrate && strcmp(o->migrate, "keep") == 0) *migrate = PRUN_MIGRATE_KEEP;
  else if (o->migrate)
    return pcli_usage_error("run", "invalid --migrate '%s': expected exit or keep", o->migrate);
  *now = persona_time_now();
  if (o->now_text && !persona_time_parse(o->now_text, now))
    return pcli_usage_error("run",
                            "invalid --now '%s': expected an RFC 3339 time (2026-02-01T00:00:00Z), a date "
                            "(2026-02-01) or Unix seconds",
                            o->now_text);
  return -1;
}

/* Parses the sink, loads the model, and runs. */
static int run_with_model(RunOptions *o, gint64 now, PrunDurability durability, PrunMigrate migrate) {
  PrunSink sink;
  g_autoptr(GError) error = NULL;
  if (!prun_sink_parse(&sink, o->sink ? o->sink : "stdout", &error)) {
    prun_sink_clear(&sink);
    return pcli_usage_error("run", "%s", error->message);
  }
  sink.timeout_s = (guint)o->sink_timeout;
  PersonaCompileOptions copts = {
      .include_dirs = (const char *const *)o->include,
      .use_persona_path = TRUE,
      .allow_native = o->allow_native,
  };
  PersonaModel *model = pcli_load_model(o->args[0], &copts, NULL);
  if (!model) {
    prun_sink_clear(&sink);
    return PCLI_EXIT_FAIL;
  }
  /* A sink that goes away (a closed pipe, an exec: command that exits
   * early) is an error of that delivery, not a reason to die. */
  signal(SIGPIPE, SIG_IGN);
  int status = run_runtime(o, model, now, durability, migrate, &sink);
  persona_model_unref(model);
  prun_sink_clear(&sink);
  return status;
}

int pcli_cmd_run(int argc, char **argv, gboolean do_help) {
  RunOptions o = {.batch = 1000, .sink_batch = 500, .sink_timeout = 30, .poll_ms = 1000,
                  .max_line = (gint64)PERSONA_MAX_LINE_DEFAULT};
  const GOptionEntry entries[] = {
      {"db", 0, 0, G_OPTION_ARG_FILENAME, &o.db, "The database (created when missing)", "FILE"},
      {"once", 0, 0, G_OPTION_ARG_NONE, &o.once, "Evaluate everything due, deliver, and exit", NULL},
      {"watch", 0, 0, G_OPTION_ARG_NONE, &o.watch, "Keep running: wake at each next_wake and on new input", NULL},
      {"now", 0, 0, G_OPTION_ARG_STRING, &o.now_text, "With --once: run as of TIME (tests, replays)", "TIME"},
      {"sink", 0, 0, G_OPTION_ARG_STRING, &o.sink, "Where actions go (default: stdout)", "SINK"},
      {"batch", 0, 0, G_OPTION_ARG_INT, &o.batch, "Profiles (and input lines) per transaction (default: 1000)",
       "N"},
      {"sink-batch", 0, 0, G_OPTION_ARG_INT, &o.sink_batch, "Actions per delivery (default: 500)", "N"},
      {"sink-timeout", 0, 0, G_OPTION_ARG_INT, &o.sink_timeout,
       "exec: a delivery taking longer fails (default: 30)", "SECONDS"},
      {"durability", 0, 0, G_OPTION_ARG_STRING, &o.durability,
       "full (default: survives power loss) or normal (backfills: survives crashes)", "LEVEL"},
      {"migrate", 0, 0, G_OPTION_ARG_STRING, &o.migrate,
       "After a model change, journeys at steps that are gone: exit or keep", "POLICY"},
      {"retry-errors", 0, 0, G_OPTION_ARG_NONE, &o.retry_errors, "Evaluate the failing profiles again", NULL},
      {"poll", 0, 0, G_OPTION_ARG_INT, &o.poll_ms, "With --watch: look at input files every MS (default: 1000)",
       "MS"},
      {"status", 0, 0, G_OPTION_ARG_NONE, &o.status, "Show the database's counts and exit", NULL},
      {"errors", 0, 0, G_OPTION_ARG_NONE, &o.errors, "Print the recorded errors (JSON Lines) and exit", NULL},
      {"check", 0, 0, G_OPTION_ARG_NONE, &o.check, "Check the database's integrity and exit", NULL},
      {"verbose", 'v', 0, G_OPTION_ARG_NONE, &o.verbose, "Print counts at the end", NULL},
      {"log", 0, 0, G_OPTION_ARG_STRING, &o.log,
       "text (default: warnings and errors) or json (every batch, delivery and error as a JSON line)", "FORMAT"},
      {"metrics", 0, 0, G_OPTION_ARG_FILENAME, &o.metrics,
       "Rewrite FILE (Prometheus text format) after batches, at most once a second", "FILE"},
      {"format", 0, 0, G_OPTION_ARG_STRING, &o.format, "With --status: text (default) or json", "FORMAT"},
      {"budget", 0, 0, G_OPTION_ARG_INT64, &o.budget, "At most N VM instructions per evaluation", "N"},
      {"input-tz", 0, 0, G_OPTION_ARG_STRING, &o.input_tz,
       "Read times without an offset in ZONE (IANA, e.g. Asia/Shanghai)", "ZONE"},
      {"max-line-bytes", 0, 0, G_OPTION_ARG_INT64, &o.max_line,
       "Input lines longer than N bytes are errors (default: 64 MiB)", "N"},
      {"include", 'I', 0, G_OPTION_ARG_FILENAME_ARRAY, &o.include, "Search DIR for imports (repeatable)", "DIR"},
      {"allow-native", 0, 0, G_OPTION_ARG_NONE, &o.allow_native,
       "Let extern fn load the shared libraries the model names", NULL},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o.args, NULL, NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) ctx =
      pcli_context_new("MODEL --db FILE [INPUT…] (--once | --watch)", run_summary, run_description, entries);
  int status = PCLI_EXIT_OK;
  if (do_help) {
    pcli_print_help(ctx);
    goto out;
  }
  if (!pcli_parse(ctx, "run", &argc, &argv)) {
    status = PCLI_EXIT_USAGE;
    goto out;
  }
  gint64 now = 0;
  PrunDurability durability = PRUN_DURABILITY_FULL;
  PrunMigrate migrate = PRUN_MIGRATE_NONE;
  status = check_options(&o, &now, &durability, &migrate);
  if (status >= 0) goto out;
  if (o.status || o.errors || o.check) {
    status = run_view(&o);
    goto out;
  }
  status = run_with_model(&o, now, durability, migrate);
out:
  run_options_clear(&o);
  return status;
}
