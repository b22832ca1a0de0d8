/* cmd_run.c - `persona run MODEL --db FILE [INPUT…]`: keep every profile's
 * state in one SQLite file, evaluate each profile when its next_wake comes
 * or a new record arrives, and hand every action to a sink once.
 *
 * The runtime itself is in run_*.c (run.h); this file is the command:
 * options, the --once and --watch loops, and the read-only views
 * (--status, --errors, --check). docs/runtime.md is the user's guide.
 */
#include "run.h"

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
    "profile is evaluated when a new record for it arrives and when its\n"
    "next_wake comes; the actions go to the outbox in the same transaction as\n"
    "the new state, and from there to the sink, each with a stable key.\n"
    "\n"
    "  --once   evaluate everything due now, deliver, and exit (cron, tests)\n"
    "  --watch  keep running: sleep until the earliest next_wake or new input;\n"
    "           SIGINT or SIGTERM ends it after the current batch\n"
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
    "Without a MODEL: --status shows counts, --errors the recorded errors\n"
    "(JSON Lines), --check runs SQLite's integrity check.\n"
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
  gboolean allow_native;
  char **include;
  char **args;
} RunOptions;

static void run_options_clear(RunOptions *o) {
  g_free(o->db);
  g_free(o->now_text);
  g_free(o->durability);
  g_free(o->sink);
  g_free(o->migrate);
  g_strfreev(o->include);
  g_strfreev(o->args);
}

/* ---- read-only views --------------------------------------------------------------- */

static gint64 count_of(PrunDb *d, const char *sql, GError **error) {
  sqlite3_stmt *st = prun_prepare(d, sql, error);
  if (!st) return -1;
  int rc = sqlite3_step(st);
  gint64 n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_reset(st);
  if (rc != SQLITE_ROW) prun_db_fail(d, rc, "cannot read the database", error);
  return n;
}

static void print_time_or(const char *label, gboolean has, gint64 us, const char *none) {
  char buf[PRUN_TIME_BUF];
  if (has) prun_format_time(us, buf);
  printf("%-12s%s\n", label, has ? buf : none);
}

static int show_status(PrunDb *d) {
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL, *version = NULL, *hash = NULL;
  gint64 last_now = 0, next = 0;
  gboolean has_now = FALSE;
  if (!prun_meta_get_text(d, "model_name", &name, &error) || !prun_meta_get_text(d, "model_version", &version, &error) ||
      !prun_meta_get_text(d, "model_hash", &hash, &error) ||
      !prun_meta_get_int(d, "last_now", &last_now, &has_now, &error))
    goto fail;
  static const char *const sql[] = {
      "SELECT count(*) FROM profile",
      "SELECT count(*) FROM profile WHERE next_wake IS NOT NULL",
      "SELECT count(*) FROM profile WHERE failed = 1",
      "SELECT count(*) FROM outbox",
      "SELECT count(*) FROM outbox WHERE delivered_at IS NOT NULL",
      "SELECT count(*) FROM outbox WHERE delivered_at IS NULL",
      "SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND last_error IS NOT NULL",
      "SELECT count(*) FROM eval_error",
  };
  gint64 n[G_N_ELEMENTS(sql)];
  for (gsize i = 0; i < G_N_ELEMENTS(sql); i++)
    if ((n[i] = count_of(d, sql[i], &error)) < 0) goto fail;
  gboolean has_next;
  if (!prun_db_next_wake(d, &next, &has_next, &error)) goto fail;

  printf("%-12s%s (schema %d)\n", "database:", d->path, PRUN_SCHEMA_VERSION);
  if (hash)
    printf("%-12s%s%s%s (sha256 %.12s…)\n", "model:", name && *name ? name : "(unnamed)",
           version && *version ? " " : "", version ? version : "", hash);
  else
    printf("%-12s%s\n", "model:", "none yet");
  print_time_or("last now:", has_now, last_now, "never run");
  print_time_or("next wake:", has_next, next, "none");
  printf("%-12s%" G_GINT64_FORMAT " (%" G_GINT64_FORMAT " scheduled, %" G_GINT64_FORMAT " failing)\n",
         "profiles:", n[0], n[1], n[2]);
  printf("%-12s%" G_GINT64_FORMAT " actions (%" G_GINT64_FORMAT " delivered, %" G_GINT64_FORMAT
         " pending, %" G_GINT64_FORMAT " failing)\n",
         "outbox:", n[3], n[4], n[5], n[6]);
  sqlite3_stmt *st = prun_prepare(d,
                    "SELECT last_error, attempts FROM outbox WHERE delivered_at IS NULL AND last_error IS NOT NULL"
                    " ORDER BY seq LIMIT 1",
                    &error);
  if (!st) goto fail;
  if (sqlite3_step(st) == SQLITE_ROW) {
    gint64 attempts = sqlite3_column_int64(st, 1);
    printf("%-12s%s (after %" G_GINT64_FORMAT " attempt%s)\n", "last error:", sqlite3_column_text(st, 0),
           attempts, attempts == 1 ? "" : "s");
  }
  sqlite3_reset(st);
  printf("%-12s%" G_GINT64_FORMAT " recorded (persona run --errors)\n", "errors:", n[7]);
  st = prun_prepare(d, "SELECT source, line, offset FROM input_cursor ORDER BY source", &error);
  if (!st) goto fail;
  while (sqlite3_step(st) == SQLITE_ROW)
    printf("%-12s%s: %" G_GINT64_FORMAT " lines, %" G_GINT64_FORMAT " bytes\n", "input:", sqlite3_column_text(st, 0),
           (gint64)sqlite3_column_int64(st, 1), (gint64)sqlite3_column_int64(st, 2));
  sqlite3_reset(st);
  return fflush(stdout) == 0 ? PCLI_EXIT_OK : PCLI_EXIT_FAIL;
fail:
  pcli_error("%s", error->message);
  return PCLI_EXIT_FAIL;
}

/* One JSON object per recorded error, oldest first. */
static int show_errors(PrunDb *d) {
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *st = prun_prepare(
      d, "SELECT kind, profile_key, source, at, model_hash, message FROM eval_error ORDER BY id", &error);
  if (!st) {
    pcli_error("%s", error->message);
    return PCLI_EXIT_FAIL;
  }
  g_autoptr(GString) out = g_string_new(NULL);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    g_string_truncate(out, 0);
    g_string_append(out, "{\"kind\":");
    pcli_json_string(out, (const char *)sqlite3_column_text(st, 0));
    g_string_append(out, ",\"profile\":");
    /* The key is stored as its JSON text. */
    g_string_append(out, sqlite3_column_type(st, 1) == SQLITE_NULL ? "null" : (const char *)sqlite3_column_text(st, 1));
    if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
      g_string_append(out, ",\"source\":");
      pcli_json_string(out, (const char *)sqlite3_column_text(st, 2));
    }
    char at[PRUN_TIME_BUF];
    prun_format_time(sqlite3_column_int64(st, 3), at);
    g_string_append_printf(out, ",\"at\":\"%s\"", at);
    if (sqlite3_column_type(st, 4) != SQLITE_NULL)
      g_string_append_printf(out, ",\"model\":\"%.12s\"", sqlite3_column_text(st, 4));
    g_string_append(out, ",\"error\":");
    pcli_json_string(out, (const char *)sqlite3_column_text(st, 5));
    g_string_append(out, "}\n");
    fputs(out->str, stdout);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    prun_db_fail(d, rc, "cannot read the errors", &error);
    pcli_error("%s", error->message);
    return PCLI_EXIT_FAIL;
  }
  return fflush(stdout) == 0 ? PCLI_EXIT_OK : PCLI_EXIT_FAIL;
}

static int check_integrity(PrunDb *d) {
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *st = prun_prepare(d, "PRAGMA integrity_check", &error);
  if (!st) {
    pcli_error("%s", error->message);
    return PCLI_EXIT_FAIL;
  }
  gboolean ok = TRUE;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *line = (const char *)sqlite3_column_text(st, 0);
    if (strcmp(line, "ok") != 0) ok = FALSE;
    printf("%s\n", line);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    prun_db_fail(d, rc, "cannot check the database", &error);
    pcli_error("%s", error->message);
    return PCLI_EXIT_FAIL;
  }
  return ok ? PCLI_EXIT_OK : PCLI_EXIT_FAIL;
}

static int run_view(const RunOptions *o) {
  g_autoptr(GError) error = NULL;
  PrunDb d;
  if (!prun_db_open_readonly(&d, o->db, &error)) {
    pcli_error("%s", error->message);
    prun_db_close(&d);
    return PCLI_EXIT_FAIL;
  }
  int status = o->check ? check_integrity(&d) : o->errors ? show_errors(&d) : show_status(&d);
  prun_db_close(&d);
  return status;
}

/* ---- the loops ------------------------------------------------------------------------ */

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static void install_stop_handlers(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  /* No SA_RESTART: poll() returns at once with EINTR. */
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

/* Batches until there is neither input nor a due profile, delivering
 * after each committed batch. */
static gboolean drain(PrunRunner *r, gboolean *did_any, GError **error) {
  *did_any = FALSE;
  for (;;) {
    gboolean did;
    if (!prun_runner_batch(r, &did, error)) return FALSE;
    if (!prun_runner_deliver(r, error)) return FALSE;
    if (!did) return TRUE;
    *did_any = TRUE;
    if (stop_requested) return TRUE;
  }
}

static gboolean run_once(PrunRunner *r, GError **error) {
  gboolean did_any;
  if (!drain(r, &did_any, error)) return FALSE;
  /* Keep the WAL small between cron runs. */
  if (did_any) sqlite3_wal_checkpoint_v2(r->db->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
  return TRUE;
}

static gboolean advance_now(PrunRunner *r, GError **error) {
  gboolean clamped;
  gint64 last;
  return prun_runner_set_now(r, persona_time_now(), &clamped, &last, error);
}

/* How long to sleep (*ms): until the earliest next_wake, the next
 * delivery retry, or the next look at the input files, whichever comes
 * first. */
static gboolean sleep_ms(PrunRunner *r, gint poll_ms, int *ms, GError **error) {
  gint64 wall = persona_time_now();
  gint64 wait = 60 * G_USEC_PER_SEC; /* look again at least once a minute */
  gint64 next;
  gboolean found;
  if (!prun_db_next_wake(r->db, &next, &found, error)) return FALSE;
  if (found) wait = MIN(wait, MAX(next - wall, 0));
  if (r->retry_at > 0) wait = MIN(wait, MAX(r->retry_at - wall, 0));
  if (prun_inputs_has_files(r->inputs)) wait = MIN(wait, (gint64)poll_ms * 1000);
  *ms = (int)((wait + 999) / 1000);
  return TRUE;
}

static gboolean run_watch(PrunRunner *r, gint poll_ms, GError **error) {
  install_stop_handlers();
  r->backoff = TRUE;
  gboolean dirty = FALSE;
  while (!stop_requested) {
    if (!advance_now(r, error)) return FALSE;
    r->retry_at = 0;
    gboolean did_any;
    if (!drain(r, &did_any, error)) return FALSE;
    dirty |= did_any;
    if (stop_requested) break;
    int ms;
    if (!sleep_ms(r, poll_ms, &ms, error)) return FALSE;
    if (ms > 0 && dirty) {
      /* Idle: a good moment to move the WAL into the database. */
      sqlite3_wal_checkpoint_v2(r->db->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
      dirty = FALSE;
    }
    int fd;
    struct pollfd p = {.fd = -1, .events = POLLIN};
    if (prun_inputs_stdin_fd(r->inputs, &fd)) p.fd = fd;
    if (ms > 0 && poll(p.fd >= 0 ? &p : NULL, p.fd >= 0 ? 1 : 0, ms) < 0 && errno != EINTR) {
      g_set_error(error, PRUN_ERROR, PRUN_ERROR_INPUT, "cannot wait for input: %s", g_strerror(errno));
      return FALSE;
    }
  }
  return TRUE;
}

/* ---- the command ------------------------------------------------------------------------ */

static char *model_hash_of(PersonaModel *model) {
  char *hash = persona_model_source_hash(model);
  if (hash) return hash;
  g_autoptr(GBytes) code = persona_model_to_bytecode(model, NULL);
  return code ? g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, code) : g_strdup("unknown");
}

static int report(PrunRunner *r, const RunOptions *o) {
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
  g_autofree char *hash = model_hash_of(model);
  PrunDb d;
  PrunRunner r;
  memset(&r, 0, sizeof r);
  int status = PCLI_EXIT_FAIL;
  PrunInputs *inputs = NULL;
  if (!prun_db_open(&d, o->db, durability, &error)) goto out;
  inputs = prun_inputs_new((const char *const *)(o->args ? o->args + 1 : NULL), (gsize)o->max_line);
  prun_inputs_set_blocking(inputs, o->once);
  prun_runner_init(&r, &d, model, hash, inputs, sink, (guint)o->batch, (guint)o->sink_batch, (guint64)o->budget);
  gboolean clamped;
  gint64 last;
  if (!prun_runner_set_now(&r, wanted_now, &clamped, &last, &error)) goto out;
  if (clamped && o->now_text) {
    char buf[PRUN_TIME_BUF];
    prun_format_time(last, buf);
    pcli_error("--now %s is before the last run's time %s: time never goes backwards, using %s", o->now_text, buf,
               buf);
  }
  if (!prun_runner_check_model(&r, migrate, &error)) goto out;
  if (o->retry_errors) {
    guint64 n = 0;
    if (!prun_begin(&d, &error)) goto out;
    if (!prun_runner_retry_errors(&r, &n, &error) || !prun_commit(&d, &error)) {
      prun_rollback(&d);
      goto out;
    }
  }
  if (!(o->once ? run_once(&r, &error) : run_watch(&r, o->poll_ms, &error))) goto out;
  status = report(&r, o);
out:
  if (error) {
    pcli_error("%s", error->message);
    status = PCLI_EXIT_FAIL;
  }
  prun_runner_clear(&r);
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
  if (o->status || o->errors || o->check) return -1;
  if (n_args < 1) return pcli_usage_error("run", "no MODEL given");
  if (o->once == o->watch) return pcli_usage_error("run", "give exactly one of --once and --watch");
  if (o->batch < 1 || o->batch > 1000000) return pcli_usage_error("run", "--batch must be between 1 and 1000000");
  if (o->sink_batch < 1 || o->sink_batch > 1000000)
    return pcli_usage_error("run", "--sink-batch must be between 1 and 1000000");
  if (o->sink_timeout < 1) return pcli_usage_error("run", "--sink-timeout must be 1 second or more");
  if (o->poll_ms < 10) return pcli_usage_error("run", "--poll must be 10 ms or more");
  if (o->budget < 0) return pcli_usage_error("run", "--budget must be 0 (no limit) or more");
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
                  .max_line = (gint64)PCLI_MAX_LINE_DEFAULT};
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
      {"budget", 0, 0, G_OPTION_ARG_INT64, &o.budget, "At most N VM instructions per evaluation", "N"},
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
