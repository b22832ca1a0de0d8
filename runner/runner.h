/* runner.h - the runner: the durable journey runtime of `persona run`, on
 * one SQLite file. A component over the public API, like the CLI; the
 * command (tools/cmd_run.c) only parses options and words messages.
 *
 * The pieces of the runtime, each in its own file:
 *   run_store.c  the database file: lock, checks (foreign, newer, damaged),
 *                schema, pragmas, meta values, messages for SQLite errors
 *   run_input.c  JSON Lines inputs (files, directories, stdin) and their
 *                cursors: each line is read once, across crashes and rotation
 *   run_batch.c  the scheduler: one transaction per batch (ingest, evaluate
 *                the due profiles in next_wake order, write states and the
 *                outbox), and the check a changed model must pass
 *   run_sink.c   the sinks (stdout, jsonl:, exec:, dir:) and delivery of the
 *                outbox, batch by batch, with retries
 *   run_loop.c   --once and --watch: drain batches, deliver, sleep until due
 *   run_view.c   the read-only views: --status, --errors, --check
 *   run_status.c the counts of --status (one read transaction), as text
 *                or JSON, and the Prometheus metrics file (--metrics)
 *   run_log.c    messages to the operator (stderr): text, or JSON lines
 *   run_unify.c  with a model that declares identity { }: input lines are
 *                source records, kept in the database and joined into
 *                profiles as they arrive; merged profiles' states merged
 * The guarantees and the schema are described in docs/runtime.md.
 *
 * Only include/persona.h is used from the library, and nothing of the CLI. Times are microseconds
 * since the epoch (UTC), as everywhere in Persona.
 *
 * Ownership: a PrunDb owns its connection, lock file and prepared
 * statements; a PrunRunner borrows the database, model and inputs it is
 * given and owns its VM and buffers. Strings passed in are borrowed.
 */
#ifndef PERSONA_RUNNER_H
#define PERSONA_RUNNER_H

#include <glib.h>
#include <sqlite3.h>
#include <stdio.h>

#include "persona.h"

/* 'PRSN' in the database header, so that `file` and persona know the file. */
#define PRUN_APPLICATION_ID 0x5052534E
/* The schema version in PRAGMA user_version; docs/runtime.md. */
#define PRUN_SCHEMA_VERSION 3

#define PRUN_ERROR (prun_error_quark())
GQuark prun_error_quark(void);

typedef enum {
  PRUN_ERROR_DB,      /* SQLite failed (message says how) */
  PRUN_ERROR_FOREIGN, /* not a persona run database */
  PRUN_ERROR_NEWER,   /* written by a newer persona */
  PRUN_ERROR_DAMAGED, /* the file is corrupt */
  PRUN_ERROR_LOCKED,  /* another runner holds the lock */
  PRUN_ERROR_MIGRATE, /* the model changed and journeys wait at missing steps */
  PRUN_ERROR_SINK,    /* a sink failed */
  PRUN_ERROR_INPUT,   /* an input could not be read */
  PRUN_ERROR_KEY,     /* the store key is missing, too short or not the database's */
} PrunErrorCode;

/* ---- fault injection (tests only) -------------------------------------------
 *
 * PERSONA_RUN_CRASH_AT=POINT[:N] makes the process end with _exit(99) the
 * N-th time (default 1) it reaches POINT, without closing anything, as a
 * crash would. Points: mid-ingest, mid-batch, before-commit, after-commit,
 * after-sink. Documented in docs/runtime.md; never set it in production. */
void prun_crash_point(const char *point);

/* PERSONA_RUN_PACE_US=N sleeps N microseconds before each evaluation, so
 * that a test's random SIGKILLs land inside runs however fast the build
 * is (tests only). */
void prun_test_pace(void);

/* PERSONA_RUN_TRACE=FILE appends one JSON line per evaluation to FILE
 * (run_batch.c), so that a benchmark can tell the evaluations that
 * changed nothing (bench/catchup.sh). Tests and benchmarks only. */

/* ---- the database file (run_store.c) ----------------------------------------- */

typedef enum {
  PRUN_DURABILITY_FULL,   /* synchronous=FULL: a commit survives power loss */
  PRUN_DURABILITY_NORMAL, /* synchronous=NORMAL: survives crashes of the process */
} PrunDurability;

typedef struct PrunDb {
  sqlite3 *db;
  char *path;
  int lock_fd; /* -1 when opened read-only */
  GHashTable *stmts; /* SQL text (static, by address) -> prepared statement */
} PrunDb;

/* Opens (creating when missing) the database for a runner: takes the lock
 * file PATH.lock (another runner: PRUN_ERROR_LOCKED), refuses foreign,
 * newer and damaged files, creates the schema on a new file, and sets WAL
 * and the durability. */
gboolean prun_db_open(PrunDb *d, const char *path, PrunDurability durability, GError **error);
/* Opens an existing database read-only, without the lock (--status,
 * --errors: a runner may be working on it). */
gboolean prun_db_open_readonly(PrunDb *d, const char *path, GError **error);
void prun_db_close(PrunDb *d);

/* Runs SQL without results; FALSE with the message. */
gboolean prun_exec(PrunDb *d, const char *sql, GError **error);
/* Sets *error from the connection's last error, with `what` as context;
 * damage (SQLITE_CORRUPT, SQLITE_NOTADB) becomes PRUN_ERROR_DAMAGED. */
gboolean prun_db_fail(PrunDb *d, int rc, const char *what, GError **error);
/* Steps a statement that returns no rows and resets it: TRUE when it is
 * done, else prun_db_fail() with `what`. sqlite3_changes() still tells
 * what it did. */
gboolean prun_step_done(PrunDb *d, sqlite3_stmt *st, const char *what, GError **error);
/* A prepared statement, cached on the connection (sqlite3 keeps it). */
sqlite3_stmt *prun_prepare(PrunDb *d, const char *sql, GError **error);

/* BEGIN IMMEDIATE (every write transaction), COMMIT, ROLLBACK. */
gboolean prun_begin(PrunDb *d, GError **error);
gboolean prun_commit(PrunDb *d, GError **error);
void prun_rollback(PrunDb *d);

/* meta(key, value): integers and text. */
gboolean prun_meta_get_int(PrunDb *d, const char *key, gint64 *value, gboolean *found, GError **error);
gboolean prun_meta_set_int(PrunDb *d, const char *key, gint64 value, GError **error);
/* *value is NULL when absent; caller frees. */
gboolean prun_meta_get_text(PrunDb *d, const char *key, char **value, GError **error);
gboolean prun_meta_set_text(PrunDb *d, const char *key, const char *value, GError **error);

/* "2026-02-01T00:00:00Z" (a fraction only when not zero: 3 digits for
 * whole milliseconds, else 6), like every time Persona prints. buf holds
 * at least PRUN_TIME_BUF bytes. */
#define PRUN_TIME_BUF 40
void prun_format_time(gint64 us, char *buf);

/* ---- records at rest (run_seal.c) ---------------------------------------------
 *
 * The records kept in profile.doc and .pending are sealed (encrypted and
 * authenticated) when the model reads a pii field or a key is given, and
 * from then on in that database. docs/runtime.md, "What is stored". */

#define PRUN_STORE_KEY_ENV PERSONA_STORE_KEY_ENV
#define PRUN_STORE_KEY_FILE_ENV PERSONA_STORE_KEY_FILE_ENV

typedef struct PrunSeal {
  gboolean on;         /* records are sealed */
  PersonaSealKey *key; /* from the operator's secret (persona_seal_key_from_env) */
} PrunSeal;

/* Reads the key from the environment and decides: a model that reads a
 * pii field, or a database that holds a key check, needs a key
 * (PRUN_ERROR_KEY names the variables); a wrong key is refused. A
 * database that gets its key now has its clear records sealed. */
gboolean prun_seal_setup(PrunSeal *s, PrunDb *d, PersonaModel *model, GError **error);
/* Forgets the key (overwritten). */
void prun_seal_clear(PrunSeal *s);
/* Binds `text` (a record, borrowed; NULL binds NULL) to parameter i,
 * sealed for the profile `profile_key` when sealing is on. */
void prun_seal_bind(const PrunSeal *s, sqlite3_stmt *st, int i, const char *profile_key, const char *text);
/* The record as stored (`stored`, borrowed, may be NULL) opened: *text is
 * newly allocated (free with prun_seal_free_text), NULL for NULL. A sealed
 * record that does not open is PRUN_ERROR_DAMAGED. */
gboolean prun_seal_open(const PrunSeal *s, const char *profile_key, const char *stored, char **text,
                        GError **error);
/* Overwrites and frees a record opened by prun_seal_open. */
void prun_seal_free_text(char *text);

/* ---- inputs (run_input.c) ------------------------------------------------------ */

typedef struct PrunInputs PrunInputs;

/* The inputs named on the command line: files, directories (every regular
 * file in it whose name does not start with '.', in name order, looked at
 * again each round) and "-" for stdin. */
PrunInputs *prun_inputs_new(const char *const *paths, gsize max_line);
void prun_inputs_free(PrunInputs *in);
/* --once: reading stdin waits for its next line (or its end); --watch:
 * it takes only what is there, and the caller polls the fd. */
void prun_inputs_set_blocking(PrunInputs *in, gboolean block);
/* TRUE when stdin is one of the inputs and has not ended: its fd for poll. */
gboolean prun_inputs_stdin_fd(PrunInputs *in, int *fd);
/* TRUE when some input is a file or directory (they are polled). */
gboolean prun_inputs_has_files(PrunInputs *in);

/* What ingesting does with one line; implemented by the scheduler. */
typedef gboolean (*PrunLineFunc)(gpointer user, const char *source, guint64 line_no, const char *line,
                                 gsize len, gboolean too_long, GError **error);

/* Reads at most `max_lines` complete lines from the inputs, in order, and
 * hands each to `fn`; updates the cursors in the open transaction. *n gets
 * the number of lines; 0 means nothing new now. */
gboolean prun_inputs_ingest(PrunInputs *in, PrunDb *d, guint max_lines, PrunLineFunc fn, gpointer user,
                            guint *n, GError **error);
/* After a commit: the positions reached become the committed ones. */
void prun_inputs_committed(PrunInputs *in);

/* ---- sinks (run_sink.c) ---------------------------------------------------------- */

typedef enum {
  PRUN_SINK_NONE,   /* actions stay in the outbox */
  PRUN_SINK_STDOUT, /* JSON Lines on standard output: at least once */
  PRUN_SINK_JSONL,  /* appended to a file, fsync'd: at least once */
  PRUN_SINK_EXEC,   /* a command fed each batch on stdin: at least once */
  PRUN_SINK_DIR,    /* one file per batch, atomically: exactly once */
} PrunSinkKind;

typedef struct PrunSink {
  PrunSinkKind kind;
  char *arg; /* file, command or directory */
  int fd;    /* jsonl: the open file */
  guint timeout_s; /* exec: a batch taking longer fails (the caller sets it: --sink-timeout) */
} PrunSink;

/* "stdout", "none", "jsonl:FILE", "exec:COMMAND", "dir:DIR". */
gboolean prun_sink_parse(PrunSink *s, const char *spec, GError **error);
void prun_sink_clear(PrunSink *s);
/* Hands one batch (JSON Lines, each ending in "\n") to the sink. `batch`
 * is the seq of its first action (the dir: file name). */
gboolean prun_sink_deliver(PrunSink *s, gint64 batch, const GString *lines, guint count, GError **error);

/* dir: in two steps, so that the database can remember between them
 * that a batch was staged (run_batch.c): stage writes and syncs the
 * temporary file DIR/.batch-N.jsonl.tmp; publish renames it to
 * DIR/batch-N.jsonl and syncs DIR, and does nothing when the temporary
 * file is gone (it was published before a crash). */
gboolean prun_sink_dir_stage(PrunSink *s, gint64 batch, const GString *lines, GError **error);
gboolean prun_sink_dir_publish(PrunSink *s, gint64 batch, GError **error);

/* ---- the runner (run_batch.c) ------------------------------------------------------ */

typedef enum {
  PRUN_MIGRATE_NONE, /* refuse to start: another model name, undeclared journeys or lifecycles
                        with state, journeys at steps that are gone */
  PRUN_MIGRATE_EXIT, /* end those journeys as "exited", remove the undeclared ones' states */
  PRUN_MIGRATE_KEEP, /* keep the states: evaluations at missing steps fail (recorded),
                        undeclared journeys and lifecycles are carried along unchanged */
} PrunMigrate;

typedef struct PrunStats {
  guint64 ingested, evaluated, failed, actions, input_errors;
  guint64 catch_up; /* evaluations at a profile's next_change: time alone changed its result */
  guint64 delivered, batches;
  guint64 delivery_failures;
  gint64 last_batch_us, last_delivery_us; /* how long the last of each took */
} PrunStats;

/* ---- unifying source records (run_unify.c) ------------------------------------------
 *
 * With a model that declares `identity { }`, input lines are source
 * records (docs/unify.md), not whole profiles. The runner keeps each in
 * its database (unify_record) and, after a batch read new ones, joins
 * every kept record into profiles again; a profile whose records changed
 * gets its new merged record, and when profiles merge (or one is split by
 * an exclusion) their states are merged by the rules of docs/runtime.md,
 * "Unifying sources as they arrive". How records join is not the
 * runner's business: the caller hands it the joining as these hooks (the
 * CLI wires the unify component in), so that the runner still uses only
 * the public API. */

/* What the joining reports, to the runner: each profile (its id, its
 * record as JSON, and the indexes of its records in the list given to
 * `resolve`), and each problem of a record (its index; the message names
 * no input value). Strings are borrowed for the call. */
typedef void (*PrunProfileFunc)(gpointer user, const char *id, const char *json, gsize len, const guint *records,
                                guint n);
typedef void (*PrunProblemFunc)(gpointer user, guint record, const char *message);

typedef struct PrunUnifyHooks {
  gpointer user;
  /* The source a file holds, from its name: -1 when the model has none by
   * that name (its lines are then input errors). */
  int (*source_of)(gpointer user, const char *file_name);
  /* The model's source names, comma-separated, for messages (static or
   * owned by the hooks). */
  const char *(*source_names)(gpointer user);
  /* Joins n records (the source of each, its text and length): calls
   * `profile` for every profile and `problem` for every bad record, with
   * `sink`. FALSE (and *error) only when it cannot run at all. */
  gboolean (*resolve)(gpointer user, guint n, const int *sources, const char *const *texts, const gsize *lens,
                      PrunProfileFunc profile, PrunProblemFunc problem, gpointer sink, GError **error);
} PrunUnifyHooks;

typedef struct PrunRunner {
  PrunDb *db;
  PersonaModel *model;
  PersonaVM *vm;
  char *model_hash;
  PrunInputs *inputs;
  PrunSink *sink;
  guint batch_size;
  guint sink_batch;
  gint64 now;      /* the logical now of this batch: never before the stored last_now */
  PrunStats stats;
  GString *key, *payload, *state, *buf;
  GString *doc;    /* an ingested record reduced to the fields the model reads */
  PrunSeal seal;   /* how records are stored (prun_seal_setup before the first batch) */
  gboolean backoff; /* --watch: wait between failed deliveries */
  gint64 retry_at;  /* when a backed-off delivery may be tried again (wall clock) */
  char *sink_error; /* the last delivery failure of this run */
  gboolean carry_unknown; /* --migrate keep left states of undeclared journeys or lifecycles: keep them */
  char *metrics_path;     /* --metrics FILE, or NULL (owned) */
  gint64 metrics_at;      /* when the metrics file was last written (monotonic) */
  const PrunUnifyHooks *unify; /* borrowed; NULL: input lines are whole profiles */
  guint64 unify_new;      /* source records ingested in this batch */
  gboolean unify_stale;   /* the model changed since the last join: join again even without new records */
  guint64 merged, split;  /* profiles merged into another, profiles split, by this process */
  gboolean warned_change; /* a next_change not after its evaluation was said (once a run) */
  GHashTable *tiny_steps; /* profile id (gint64 *) → its consecutive next_change steps under 1 ms in this run */
  gboolean warned_any_time; /* a profile stepping "at any time" was said (once a run) */
  FILE *trace;            /* PERSONA_RUN_TRACE (tests and benchmarks only), or NULL */
  gboolean trace_checked; /* the variable was looked at */
} PrunRunner;

void prun_runner_init(PrunRunner *r, PrunDb *db, PersonaModel *model, const char *model_hash,
                      PrunInputs *inputs, PrunSink *sink, guint batch_size, guint sink_batch, guint64 budget);
void prun_runner_clear(PrunRunner *r);

/* Input lines become source records, joined by `hooks` (borrowed; see
 * PrunUnifyHooks). Creates the tables the joining needs when missing. */
gboolean prun_runner_set_unify(PrunRunner *r, const PrunUnifyHooks *hooks, GError **error);
/* In the open transaction, with r->unify set: keeps one ingested source
 * record (run_batch.c's line handler calls it). */
gboolean prun_unify_keep(PrunRunner *r, const char *file, guint64 line_no, const char *line, gsize len,
                         GError **error);
/* In the open transaction: joins every kept record again and applies the
 * changed profiles (new records, merges, splits) to the profile table. */
gboolean prun_unify_apply(PrunRunner *r, GError **error);
/* Stores `doc` as profile `key`'s pending record, due now (run_batch.c):
 * what an ingested whole-profile line does. */
gboolean prun_upsert_record(PrunRunner *r, const char *key, const char *doc, GError **error);
/* Records an error of kind `kind` in eval_error (run_batch.c), with its
 * stable `code` and the `field` it is about (NULL: none). */
gboolean prun_record_error(PrunRunner *r, const char *kind, const char *profile_key, const char *source, gint64 at,
                           const char *message, const char *code, const char *field, GError **error);

/* The logical now for a run: max(wanted, stored last_now). *clamped is
 * TRUE when `wanted` was earlier (time never goes backwards). */
gboolean prun_runner_set_now(PrunRunner *r, gint64 wanted, gboolean *clamped, gint64 *last, GError **error);
/* Checks a changed model against the stored states and applies `migrate`;
 * PRUN_ERROR_MIGRATE when journeys wait at steps that are gone and no
 * policy was given. Records the model's hash. */
gboolean prun_runner_check_model(PrunRunner *r, PrunMigrate migrate, GError **error);
/* Makes every failing profile due again (--retry-errors). */
gboolean prun_runner_retry_errors(PrunRunner *r, guint64 *n, GError **error);
/* One batch in one transaction. *did_work is FALSE when there was neither
 * input nor a due profile. */
gboolean prun_runner_batch(PrunRunner *r, gboolean *did_work, GError **error);
/* The earliest next_wake in *at, when *found (some profile waits); FALSE
 * only for a database error. */
gboolean prun_db_next_wake(PrunDb *d, gint64 *at, gboolean *found, GError **error);
/* Delivers pending actions in seq order until none is left or the sink
 * fails (then r->sink_error says why, and FALSE is NOT returned: only
 * database errors return FALSE). */
gboolean prun_runner_deliver(PrunRunner *r, GError **error);

/* ---- running (run_loop.c) ------------------------------------------------------- */

/* Every new record and every due profile, batch after batch, delivering
 * after each committed batch; returns when nothing is left. */
gboolean prun_run_once(PrunRunner *r, GError **error);
/* Runs until SIGINT, SIGTERM or SIGHUP (handlers installed here: each
 * ends the run after the current batch and delivery), following the wall
 * clock; looks at input files every poll_ms. */
gboolean prun_run_watch(PrunRunner *r, gint poll_ms, GError **error);
/* Installs the handlers of SIGINT, SIGTERM and SIGHUP that prun_run_watch
 * uses (again, harmlessly): a host calls it before its first log line, so
 * that a signal sent once the runner has said "start" is never fatal. */
void prun_catch_stop_signals(void);
/* The signal that stopped prun_run_watch, or 0. */
int prun_stop_signal(void);
/* The hash the database records for `model`: its source hash, or the
 * SHA-256 of its bytecode (newly allocated). */
char *prun_model_hash(PersonaModel *model);

/* ---- status and metrics (run_status.c) ------------------------------------------- */

typedef struct PrunInputStatus {
  char *source;
  gint64 lines, bytes;
} PrunInputStatus;

/* Everything --status shows, read in one read transaction, so that the
 * counts are of one moment: outbox_total == delivered + pending. */
typedef struct PrunStatus {
  char *model_name, *model_version, *model_hash; /* NULL: no model yet */
  gboolean has_last_now, has_next_wake;
  gint64 last_now, next_wake;
  gint64 profiles, scheduled, failing;
  gint64 outbox_total, delivered, pending, pending_failing;
  char *last_error; /* the oldest failing action's, NULL when none */
  gint64 last_error_attempts;
  gint64 errors;
  GArray *inputs; /* of PrunInputStatus */
} PrunStatus;

gboolean prun_status_read(PrunDb *d, PrunStatus *s, GError **error);
void prun_status_clear(PrunStatus *s);
/* One JSON object and "\n" (docs/runtime.md, "--status --format json"). */
void prun_status_json(const PrunStatus *s, const char *path, GString *out);
/* The Prometheus text format: the database's gauges, and when `stats` is
 * not NULL this process's counters. */
void prun_status_prometheus(const PrunStatus *s, const PrunStats *stats, gint64 written_at, GString *out);
/* Rewrites r->metrics_path atomically (temporary file, rename) when it is
 * set and `force` or a second has passed since the last time. A failure
 * is logged, never fatal: metrics must not stop the journeys. */
void prun_write_metrics(PrunRunner *r, gboolean force);

/* ---- views (run_view.c): standard output ---------------------------------------- */

typedef enum { PRUN_FORMAT_TEXT, PRUN_FORMAT_JSON } PrunFormat;

gboolean prun_show_status(PrunDb *d, PrunFormat format, GError **error);
/* One JSON object per recorded error, oldest first. */
gboolean prun_show_errors(PrunDb *d, GError **error);
/* SQLite's integrity check, line by line; *healthy when it said "ok". */
gboolean prun_check_integrity(PrunDb *d, gboolean *healthy, GError **error);

/* ---- messages (run_log.c) ----------------------------------------------------------- */

typedef enum {
  PRUN_LOG_TEXT, /* "persona: MESSAGE" lines for warnings and errors only (the default) */
  PRUN_LOG_JSON, /* one JSON object per line for every event (--log json) */
} PrunLogFormat;

void prun_log_set_format(PrunLogFormat format);
gboolean prun_log_is_json(void);
/* A JSON log line {"ts":…,"level":LEVEL,"event":EVENT, fields…}: begin,
 * add fields, end (writes it to stderr in one write and frees it). In text
 * mode begin returns NULL and the others do nothing. */
GString *prun_log_begin(const char *level, const char *event);
void prun_log_int(GString *ev, const char *key, gint64 value);
void prun_log_str(GString *ev, const char *key, const char *value);
void prun_log_ms(GString *ev, const char *key, gint64 us); /* microseconds, written as milliseconds */
void prun_log_time(GString *ev, const char *key, gint64 us);
void prun_log_end(GString *ev);

/* What the operator should know while the run goes on (an input
 * rewritten, a model change accepted): "persona: MESSAGE" on stderr, or a
 * "warning" event with --log json. */
void prun_warn(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

#endif
