/* cli.h - the pieces the `persona` commands share.
 *
 * The tool is a thin client of include/persona.h, built like GLib's `gio`:
 * persona.c holds a table of {name, summary, handler}; each command lives
 * in its own cmd_*.c with its own GOptionContext. Nothing here reaches
 * into the library's internals.
 *
 * Ownership: readers and writers own their buffers and file descriptors;
 * strings passed in are borrowed for the call.
 */
#ifndef PERSONA_CLI_H
#define PERSONA_CLI_H

#include <glib.h>
#include <stdint.h>
#include <stdio.h>

#include "persona.h"
#include "render/render.h"


/* Exit codes, spec section 8. */
enum {
  PCLI_EXIT_OK = 0,
  PCLI_EXIT_FAIL = 1,    /* compile errors, failed tests, I/O errors */
  PCLI_EXIT_USAGE = 2,   /* bad command line */
  PCLI_EXIT_RECORDS = 3, /* some records could not be evaluated */
};

/* A command's handler. argv[0] is "persona CMD"; with `do_help` the
 * handler prints its help to stdout and returns 0 without running. */
typedef int (*PcliHandler)(int argc, char **argv, gboolean do_help);

int pcli_cmd_check(int argc, char **argv, gboolean do_help);
int pcli_cmd_eval(int argc, char **argv, gboolean do_help);
int pcli_cmd_test(int argc, char **argv, gboolean do_help);
int pcli_cmd_compile(int argc, char **argv, gboolean do_help);
int pcli_cmd_disasm(int argc, char **argv, gboolean do_help);
int pcli_cmd_fmt(int argc, char **argv, gboolean do_help);
int pcli_cmd_explain(int argc, char **argv, gboolean do_help);
/* `persona backtest` (cmd_backtest.c over backtest/backtest.h). */
int pcli_cmd_backtest(int argc, char **argv, gboolean do_help);
/* `persona report` (cmd_report.c): the report component, rendered. */
int pcli_cmd_report(int argc, char **argv, gboolean do_help);
/* `persona segments` (cmd_segments.c): segment sizes and overlap, rendered. */
int pcli_cmd_segments(int argc, char **argv, gboolean do_help);
/* `persona unify` (cmd_unify.c over unify/unify.h). */
int pcli_cmd_unify(int argc, char **argv, gboolean do_help);
/* `persona diff` (cmd_diff.c over diff/diff.h). */
int pcli_cmd_diff(int argc, char **argv, gboolean do_help);
/* `persona experiment` (cmd_experiment.c over experiment/experiment.h). */
int pcli_cmd_experiment(int argc, char **argv, gboolean do_help);
/* `persona run` (cmd_run.c, run_*.c): the durable journey runtime. */
int pcli_cmd_run(int argc, char **argv, gboolean do_help);

/* `persona run` with a model that declares identity { } (run_unify_hooks.c):
 * the unify component as the runner's joining hooks (PrunUnifyHooks in
 * runner/runner.h). NULL with *error when the model's identity cannot be
 * used (pu_new). The hooks belong to the PcliRunUnify. */
typedef struct PcliRunUnify PcliRunUnify;
/* The warning of `persona unify` and `persona run` when profile ids are
 * not keyed (no pseudonym key configured): one line on stderr. */
void pcli_warn_unkeyed_ids(void);
PcliRunUnify *pcli_run_unify_new(PersonaModel *model, GError **error);
struct PrunUnifyHooks;
const struct PrunUnifyHooks *pcli_run_unify_hooks(PcliRunUnify *ru);
void pcli_run_unify_free(PcliRunUnify *ru);

/* `persona eval -j N` (cmd_eval_jobs.c): N worker threads, the same output
 * bytes as one thread. */
int pcli_eval_parallel(PersonaModel *model, const char *in_path, const char *out_path, gint64 now_us,
                       guint64 budget, guint result_options, const char *input_tz, gsize max_line,
                       guint jobs);
/* TRUE when ZONE is a time zone the system knows (--input-tz); else a
 * usage error of `command` is reported. */
gboolean pcli_check_timezone(const char *command, const char *zone);

/* ---- chosen columns of results (eval_columns.c) ----------------------------- */

/* `persona eval --select a,b --format jsonl|csv|tsv [--with-labels]`: the key
 * ("id"), tags (true/false), scores and lifecycle stages of each result.
 * Ownership: the columns hold a reference to the model. */
typedef enum { PCLI_ROWS_JSONL, PCLI_ROWS_CSV, PCLI_ROWS_TSV } PcliRowFormat;
typedef struct PcliColumns PcliColumns;

gboolean pcli_row_format_parse(const char *name, PcliRowFormat *out);
/* `select` NULL: every column (the key, each tag, score and lifecycle).
 * `labels`: a tag's column is headed by its label when it has one. NULL
 * with a message naming the unknown column. */
/* The names of --select (or --group-by) other than `id`, stripped, in
 * order: what the model is compiled with as columns
 * (PersonaCompileOptions.columns), so that lets and fields can be
 * selected. NULL for NULL; caller frees (g_strfreev). */
char **pcli_column_names(const char *select);
PcliColumns *pcli_columns_new(PersonaModel *model, const char *select, PcliRowFormat format, gboolean labels,
                              GError **error);
void pcli_columns_free(PcliColumns *c);
/* TRUE when a record's error object has a place in the output (JSON
 * Lines); CSV and TSV leave it out. */
gboolean pcli_columns_keep_errors(const PcliColumns *c);
/* The header row (CSV, TSV; nothing for JSON Lines), appended. */
void pcli_columns_header(const PcliColumns *c, GString *out);
/* One row with its line end (CRLF for CSV, as RFC 4180 writes), appended. */
void pcli_columns_row(const PcliColumns *c, const PersonaResult *r, GString *out);

/* `--group-by NAME`: how many results per value of one column (`key`,
 * owned by the groups from then on), written sorted by count, most first,
 * each as the column's row plus "count" (a header row for CSV and TSV). */
typedef struct PcliGroups PcliGroups;
PcliGroups *pcli_groups_new(PcliColumns *key);
void pcli_groups_free(PcliGroups *g);
void pcli_groups_add(PcliGroups *g, const PersonaResult *r);
void pcli_groups_write(const PcliGroups *g, GString *out);

/* `persona check MODEL --fields [PROFILES…]` (cmd_check_fields.c): the
 * fields the model reads, and the input fields it ignores. */
int pcli_check_fields(const PersonaModel *model, char **profiles, guint n_profiles, gboolean json);

/* ---- messages ------------------------------------------------------------ */

/* "persona: MESSAGE\n" on stderr. */
void pcli_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* "persona: MESSAGE" and a pointer to `persona CMD --help`; returns
 * PCLI_EXIT_USAGE. */
int pcli_usage_error(const char *cmd, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Colour on stderr: only on a terminal, and not when NO_COLOR is set
 * (https://no-color.org) or TERM is "dumb". */
gboolean pcli_stderr_color(void);

/* ---- options ------------------------------------------------------------- */

/* A context for `persona CMD`, with its parameter string, a one-line
 * summary and a description (shown after the options). */
GOptionContext *pcli_context_new(const char *params, const char *summary,
                                 const char *description, const GOptionEntry *entries);
/* Parses; on a bad option prints a usage error and returns FALSE. */
gboolean pcli_parse(GOptionContext *ctx, const char *cmd, int *argc, char ***argv);
void pcli_print_help(GOptionContext *ctx);
/* A command that reads a MODEL (report, segments, experiment, backtest,
 * diff): what pcli_start needs to start it. */
typedef struct {
  const char *name;    /* "report" */
  const char *params;  /* "MODEL [PROFILES.jsonl]", also in "too many arguments (expected …)" */
  const char *summary, *description;
  guint min_operands, max_operands;
  const char *missing; /* the usage error for too few operands: "no MODEL given" */
} PcliStart;
/* pcli_start's answer when the command goes on. */
#define PCLI_GO (-1)
/* The start of `cmd`: with `do_help` its help printed (returns 0); else
 * the options parsed and the operands G_OPTION_REMAINING left in *args
 * counted into *n_args: PCLI_GO, or PCLI_EXIT_USAGE after a usage error. */
int pcli_start(const PcliStart *cmd, const GOptionEntry *entries, gboolean do_help, int *argc, char ***argv,
               char **const *args, guint *n_args);
/* "20%" → 0.2, "0.2" → 0.2 (--top, --min-lift, --max-changed…): TRUE with
 * *out; FALSE for anything else or outside [0, max]. */
gboolean pcli_parse_share(const char *text, double max, double *out);
/* `option` (--now, --as-of) given as `text`, NULL meaning the current
 * time: TRUE with *out; else FALSE after a usage error of `cmd`. */
gboolean pcli_parse_time_option(const char *cmd, const char *option, const char *text, gint64 *out);

/* The entries that commands reading a MODEL have alike, for their
 * GOptionEntry tables (each command words its own --now and --state). */
#define PCLI_ENTRY_INCLUDE(var)                                                                                       \
  {"include", 'I', 0, G_OPTION_ARG_FILENAME_ARRAY, (var), "Search DIR for imports (repeatable)", "DIR"}
#define PCLI_ENTRY_ALLOW_NATIVE(var)                                                                                  \
  {"allow-native", 0, 0, G_OPTION_ARG_NONE, (var),                                                                   \
   "Let extern fn load the shared libraries the model names (native code)", NULL}
#define PCLI_ENTRY_INPUT_TZ(var)                                                                                      \
  {"input-tz", 0, 0, G_OPTION_ARG_STRING, (var), "Read times without an offset in ZONE (IANA, e.g. Asia/Shanghai)",  \
   "ZONE"}
#define PCLI_ENTRY_NOW(var)                                                                                           \
  {"now", 0, 0, G_OPTION_ARG_STRING, (var), "Evaluate as of TIME (default: the current time)", "TIME"}
#define PCLI_ENTRY_STATE(var)                                                                                         \
  {"state", 0, 0, G_OPTION_ARG_FILENAME, (var), "Start from the profiles' states in FILE (read only)", "FILE"}
#define PCLI_ENTRY_OPERANDS(var) {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, (var), NULL, NULL}
#define PCLI_ENTRY_END {NULL, 0, 0, 0, NULL, NULL, NULL}

/* ---- files --------------------------------------------------------------- */

/* Checks that `path` can be opened for reading and is not a directory, so
 * that the message names the file the user gave ("cannot open 'x': No such
 * file or directory"). */
gboolean pcli_check_readable(const char *path, GError **error);


/* ---- models (cmd_compile.c) ---------------------------------------------- */

/* True for a path ending in ".pbc" or a file starting with the bytecode
 * magic number. */
gboolean pcli_is_bytecode_file(const char *path);
/* A model from source (compiled; diagnostics, warnings too, printed on
 * stderr) or from bytecode (loaded and verified), by pcli_is_bytecode_file.
 * NULL after printing why. From source, *diags_out (when not NULL)
 * receives the diagnostics, which hold the source texts. */
PersonaModel *pcli_load_model(const char *path, const PersonaCompileOptions *opts,
                              PersonaDiagnostics **diags_out);

/* ---- reading lines ------------------------------------------------------- */

/* Lines are read with the library's PersonaLineReader (persona.h): the
 * longest line kept is PERSONA_MAX_LINE_DEFAULT (64 MiB) unless
 * `--max-line-bytes` says otherwise; a longer line is one record that
 * gives an error object. */

/* Every profile of a JSON Lines input evaluated in turn, each handed to
 * `fn` (pcli_eval_profiles): the loop of `persona report`, `segments` and
 * `experiment`. */
typedef struct {
  const char *in_path;            /* NULL: standard input */
  const PersonaStateStore *store; /* NULL: every profile starts afresh */
  const char *input_tz;           /* NULL: the model's zone */
  gint64 now_us;
} PcliProfiles;
/* One record: `st` and `result` of persona_vm_eval (the VM's, borrowed
 * for the call). A line longer than the reader keeps comes with `line`
 * empty, PERSONA_EVAL_RECORD_ERROR and `result` NULL, not evaluated. */
typedef void (*PcliProfileFn)(void *data, PersonaVM *vm, const char *line, gsize len, PersonaEvalStatus st,
                              const PersonaResult *result);
/* Evaluates every profile of in->in_path with one VM over `model`, from
 * its stored state in in->store when it has one. FALSE after printing
 * why the input could not be read (or --input-tz set). */
gboolean pcli_eval_profiles(PersonaModel *model, const PcliProfiles *in, PcliProfileFn fn, void *data);
/* --state FILE: *store loaded from `path` (NULL when `path` is NULL);
 * FALSE after printing why it could not be. */
gboolean pcli_load_state(const char *path, PersonaStateStore **store);

/* Appends the error object of a line that was too long:
 * {"id":null,"line":N,"error":"line is longer than 64 MiB"}. */
void pcli_line_too_long(GString *out, guint64 line_no, gsize max_line);

/* ---- writing output ------------------------------------------------------ */

/* Buffered output to stdout or to a file that appears only when complete:
 * the data goes to a temporary file in the same directory, renamed over
 * the target by pcli_writer_commit. */
typedef struct PcliWriter {
  PersonaOutputFile *out;
  GString *buf;   /* callers append here; flushed at ~1 MiB */
  guint64 bytes;
} PcliWriter;

#define PCLI_WRITE_CHUNK ((gsize)1 << 20)

/* `path` NULL or "-": stdout. */
gboolean pcli_writer_open(PcliWriter *w, const char *path, GError **error);
/* Writes the buffer out when it holds PCLI_WRITE_CHUNK or more. */
static inline gboolean pcli_writer_maybe_flush(PcliWriter *w, GError **error);
gboolean pcli_writer_flush(PcliWriter *w, GError **error);
/* Flushes, closes and renames into place. */
gboolean pcli_writer_commit(PcliWriter *w, GError **error);
/* Discards a temporary file that was not committed; frees everything.
 * Safe after commit. */
void pcli_writer_close(PcliWriter *w);

static inline gboolean pcli_writer_maybe_flush(PcliWriter *w, GError **error) {
  return w->buf->len < PCLI_WRITE_CHUNK || pcli_writer_flush(w, error);
}

/* Writes `text` whole to `path` (NULL or "-": stdout; a file is replaced
 * only when complete): the end of every command that renders a document.
 * Prints the error; returns the exit status. */
int pcli_write_text(const char *path, const GString *text);
/* A document of the shared renderer in `format`, written as by
 * pcli_write_text. */
int pcli_write_doc(const RenderDoc *doc, RenderFormat format, const char *path);

/* ---- evaluation runs (cmd_eval.c) ------------------------------------------- */

/* Opens the input (lines of at most `max_line` bytes) and the output of
 * an evaluation; on failure prints the message, closes what was opened
 * and returns FALSE. */
gboolean pcli_open_eval_io(PersonaLineReader **r, const char *in_path, gsize max_line, PcliWriter *w,
                           const char *out_path);
/* The end of an evaluation: commits the output when `ok` (else reports
 * the error), closes both, and returns the exit status for `failed` of
 * `records` records. */
int pcli_finish_eval(PersonaLineReader *r, PcliWriter *w, gboolean ok, GError *error, guint64 failed,
                     guint64 records);

#endif
