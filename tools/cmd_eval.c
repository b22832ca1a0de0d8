/* cmd_eval.c - `persona eval MODEL [PROFILES.jsonl]`: JSON Lines in, one
 * result object per line out. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char eval_summary[] =
    "Evaluate profile records (JSON Lines) with a model.";

static const char eval_description[] =
    "MODEL is a .persona source file, or a .pbc bytecode file written by\n"
    "'persona compile'. Every line of PROFILES.jsonl (standard input when\n"
    "absent or '-') is one profile record; one JSON result per line is\n"
    "written, in input order, to standard output or to -o FILE.\n"
    "\n"
    "Every input line gives exactly one output line. A record that cannot be\n"
    "evaluated (bad JSON, a wrong field type, an empty line, a line longer\n"
    "than --max-line-bytes) gives\n"
    "  {\"id\":…,\"line\":N,\"error\":\"…\",\"code\":\"…\"}\n"
    "(and \"field\":\"PATH\" when it is about one field; the codes are listed\n"
    "in docs/embedding.md)\n"
    "and evaluation goes on with the next one. A last line without a newline\n"
    "is a record; a file ending in a newline has no empty record after it.\n"
    "\n"
    "TIME for --now: an RFC 3339 time (2026-02-01T00:00:00Z, or with an\n"
    "offset), a date (2026-02-01, midnight UTC) or Unix seconds. Default: the\n"
    "current time. With -o, the output appears only when the run completes.\n"
    "On a terminal, runs longer than a second show progress on stderr.\n"
    "\n"
    "With --state FILE, each profile's state (lifecycle stages, journey\n"
    "positions) is read from FILE, a JSON Lines file of {\"id\":…,\"state\":{…}},\n"
    "and the new states are written back when the run completes: atomically,\n"
    "with every profile not in the run keeping its line. A missing FILE means\n"
    "no state yet; a damaged one stops the run before anything is evaluated.\n"
    "A record that gives an error keeps its old state. See docs/state.md.\n"
    "\n"
    "Exit status: 0 every record evaluated, 3 some records gave an error object\n"
    "(the others were evaluated), 1 the model has errors, the state file is\n"
    "damaged, or a file could not be read or written, 2 usage error.\n"
    "\n"
    "Example:\n"
    "  persona eval examples/b2b_lead.persona examples/profiles.jsonl \\\n"
    "      --now 2026-02-01T00:00:00Z\n";

/* ---- progress on a terminal ---------------------------------------------- */

#define PROGRESS_AFTER_US G_USEC_PER_SEC /* quiet for short runs */
#define PROGRESS_EVERY_US (G_USEC_PER_SEC / 4)

typedef struct {
  gboolean enabled; /* stderr is a terminal */
  gint64 start, last;
  int shown; /* width of the line on screen, to clear it */
} Progress;

static void progress_init(Progress *p) {
  p->enabled = isatty(STDERR_FILENO);
  p->start = p->last = g_get_monotonic_time();
  p->shown = 0;
}

static void format_count(char *buf, gsize size, guint64 n) {
  if (n < 1000)
    g_snprintf(buf, size, "%" G_GUINT64_FORMAT, n);
  else if (n < 1000000)
    g_snprintf(buf, size, "%.1fk", (double)n / 1e3);
  else
    g_snprintf(buf, size, "%.1fM", (double)n / 1e6);
}

/* `\r1.2M records, 340 MB, 0.8 s`, at most four times a second. */
static void progress_tick(Progress *p, guint64 records, guint64 bytes) {
  gint64 t = g_get_monotonic_time();
  if (t - p->start < PROGRESS_AFTER_US || t - p->last < PROGRESS_EVERY_US) return;
  p->last = t;
  char count[32], line[96];
  format_count(count, sizeof count, records);
  double mb = (double)bytes / 1e6;
  int n = g_snprintf(line, sizeof line, "%s records, %.*f MB, %.1f s", count,
                     mb < 10 ? 1 : 0, mb, (double)(t - p->start) / 1e6);
  /* Spaces cover the rest of a longer previous line. */
  fprintf(stderr, "\r%s%*s", line, p->shown > n ? p->shown - n : 0, "");
  fflush(stderr);
  if (n > p->shown) p->shown = n;
}

static void progress_clear(Progress *p) {
  if (p->shown == 0) return;
  fprintf(stderr, "\r%*s\r", p->shown, "");
  fflush(stderr);
  p->shown = 0;
}

/* ---- the evaluation loop --------------------------------------------------- */

/* Evaluates every line of `in_path` into `out_path`, with and into `store`
 * when it is not NULL; returns the exit status. */
/* --budget: instructions per record, 0 = no limit. */
static guint64 eval_budget;
/* --with-model, --with-labels: PersonaResultOptions. */
static guint eval_result_options;
/* --input-tz: the zone of times written without an offset, or NULL. */
static const char *eval_input_tz;
/* --max-line-bytes: longer input lines are records that give an error. */
static gsize eval_max_line = PERSONA_MAX_LINE_DEFAULT;
/* --where: keep only the results for which the model's where expression
 * holds (records with an error keep their error object). */
static gboolean eval_where;
/* --count: print only how many results were kept. */
static gboolean eval_count;
/* --select / --format: chosen columns instead of whole results, or NULL. */
static PcliColumns *eval_columns;
/* --group-by: counts per value instead of results, or NULL. */
static PcliGroups *eval_groups;

/* Turns the record just appended to `buf` at `mark` (its result or error
 * object, without a newline) into what the options ask for: nothing when
 * --where leaves it out; nothing yet with --count or --group-by (counted);
 * its chosen columns with --select/--format (CSV and TSV have no room for
 * an error object: the summary on stderr counts it); else the line. */
static void shape_record(PersonaVM *vm, PersonaEvalStatus rc, GString *buf, gsize mark, guint64 *kept) {
  gboolean ok = rc == PERSONA_EVAL_OK;
  if (ok && eval_where && !persona_vm_where(vm)) {
    g_string_truncate(buf, mark);
    return;
  }
  if (ok) (*kept)++;
  if (eval_count || eval_groups) {
    g_string_truncate(buf, mark);
    if (ok && eval_groups) pcli_groups_add(eval_groups, persona_vm_last_result(vm));
    return;
  }
  if (eval_columns && (ok || !pcli_columns_keep_errors(eval_columns))) {
    g_string_truncate(buf, mark);
    if (ok) pcli_columns_row(eval_columns, persona_vm_last_result(vm), buf);
    return;
  }
  g_string_append_c(buf, '\n');
}

/* Per experiment, the profiles whose arm this run reshuffled (the salt
 * changed since their state was written): one warning each at the end,
 * as persona experiment gives. Only with --state. */
typedef struct Reshuffles {
  guint n;
  gint64 *counts;
} Reshuffles;

static void reshuffles_add(Reshuffles *rs, PersonaVM *vm) {
  const PersonaResult *r = persona_vm_last_result(vm);
  for (guint i = 0; i < rs->n; i++) {
    PersonaAssignment as;
    if (persona_result_experiment(r, i, &as) && strcmp(as.change, "reshuffled") == 0) rs->counts[i]++;
  }
}

static void reshuffles_warn(const Reshuffles *rs, PersonaModel *model) {
  for (guint i = 0; i < rs->n; i++) {
    PersonaExperimentInfo info;
    if (rs->counts[i] && persona_model_experiment(model, i, &info))
      pcli_error("warning: %s: %" G_GINT64_FORMAT " profiles reshuffled: the salt changed since their state "
                 "was written",
                 info.name, rs->counts[i]);
  }
}

static int run_eval(PersonaModel *model, const char *in_path, const char *out_path,
                    PersonaStateStore *store, gint64 now_us) {
  g_autoptr(GError) error = NULL;
  PersonaLineReader *r = NULL;
  PcliWriter w;
  if (!pcli_open_eval_io(&r, in_path, eval_max_line, &w, out_path)) return PCLI_EXIT_FAIL;

  g_autoptr(PersonaVM) vm = persona_vm_new(model);
  persona_vm_set_budget(vm, eval_budget);
  persona_vm_set_result_options(vm, eval_result_options);
  if (eval_input_tz && !persona_vm_set_input_timezone(vm, eval_input_tz, &error)) {
    pcli_error("%s", error->message);
    return PCLI_EXIT_FAIL;
  }
  Progress progress;
  progress_init(&progress);
  guint64 line_no = 0, failed = 0, kept = 0;
  const char *line;
  gsize len;
  gboolean ok = TRUE;
  if (eval_columns && !eval_count && !eval_groups) pcli_columns_header(eval_columns, w.buf);
  Reshuffles rs = {.n = store ? persona_model_n_items(model, PERSONA_ITEM_EXPERIMENT) : 0};
  g_autofree gint64 *counts = rs.counts = g_new0(gint64, rs.n + 1);
  while (persona_line_reader_next(r, &line, &len, &error)) {
    line_no++;
    PersonaEvalStatus rc;
    gsize mark = w.buf->len;
    if (persona_line_reader_too_long(r, NULL)) {
      /* Its bytes are gone; it keeps its state, like any failed record. */
      pcli_line_too_long(w.buf, line_no, persona_line_reader_max_line(r));
      rc = PERSONA_EVAL_RECORD_ERROR;
    } else {
      rc = store ? persona_vm_eval_json_store(vm, line, len, store, now_us, line_no, w.buf)
                 : persona_vm_eval_json(vm, line, len, now_us, line_no, w.buf);
    }
    if (rc != PERSONA_EVAL_OK) failed++;
    else if (rs.n) reshuffles_add(&rs, vm);
    shape_record(vm, rc, w.buf, mark, &kept);
    if (!pcli_writer_maybe_flush(&w, &error)) {
      ok = FALSE;
      break;
    }
    /* The clock is read every 1024 records (or per long record), not per
     * record. */
    if (progress.enabled && ((line_no & 1023) == 0 || len >= PCLI_WRITE_CHUNK || persona_line_reader_too_long(r, NULL)))
      progress_tick(&progress, line_no, persona_line_reader_bytes(r));
  }
  if (error) ok = FALSE;
  if (eval_count) g_string_append_printf(w.buf, "%" G_GUINT64_FORMAT "\n", kept);
  else if (eval_groups) pcli_groups_write(eval_groups, w.buf);
  progress_clear(&progress);
  reshuffles_warn(&rs, model);
  return pcli_finish_eval(r, &w, ok, error, failed, line_no);
}

/* The absolute path of `path` with its directory's links resolved (the
 * file itself need not exist yet). */
static char *resolved_parent(const char *path) {
  g_autofree char *dir = g_path_get_dirname(path);
  g_autofree char *base = g_path_get_basename(path);
  char *real_dir = realpath(dir, NULL);
  char *joined = g_build_filename(real_dir ? real_dir : dir, base, NULL);
  free(real_dir);
  return joined;
}

/* Whether two names are one file: the same inode when both exist (links,
 * hard links, "./x" and "x"), else the same resolved path. `persona eval
 * -o S --state S` once renamed the states over the results. */
static gboolean same_file(const char *a, const char *b) {
  struct stat sa, sb;
  if (stat(a, &sa) == 0 && stat(b, &sb) == 0) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  g_autofree char *ra = resolved_parent(a);
  g_autofree char *rb = resolved_parent(b);
  return strcmp(ra, rb) == 0;
}

/* Evaluates with the states of `state_path`, and writes them back only
 * when the whole run succeeded (results written): a run that fails
 * half-way leaves the file as it was. Results reach the output before the
 * states are saved, so a failed save means the next run repeats actions
 * rather than losing them. */
static int run_eval_with_state(PersonaModel *model, const char *in_path, const char *out_path,
                               const char *state_path, gint64 now_us, const char *now_text) {
  g_autoptr(GError) error = NULL;
  /* Held from before the read to after the rename: a second run on the
   * same file is refused instead of losing this run's states. */
  g_autoptr(PersonaFileLock) lock = persona_file_lock(state_path, &error);
  if (!lock) {
    pcli_error("%s", error->message);
    return PCLI_EXIT_FAIL;
  }
  g_autoptr(PersonaStateStore) store = persona_state_store_load(state_path, &error);
  if (!store) {
    pcli_error("%s", error->message);
    return PCLI_EXIT_FAIL;
  }
  /* Time never goes backwards, as in `persona run`: a now before the
   * last evaluation that wrote the file is replaced by that time. */
  gint64 last;
  if (persona_state_store_last_time(store, &last) && now_us < last) {
    char buf[PERSONA_TIME_BUF];
    persona_time_format(last, buf);
    if (now_text)
      pcli_error("--now %s is before the last evaluation in %s, %s: time never goes backwards, using %s",
                 now_text, state_path, buf, buf);
    else
      pcli_error("the clock is before the last evaluation in %s, %s: time never goes backwards, using %s",
                 state_path, buf, buf);
    now_us = last;
  }
  int status = run_eval(model, in_path, out_path, store, now_us);
  if (status != PCLI_EXIT_OK && status != PCLI_EXIT_RECORDS) return status;
  if (!persona_state_store_save(store, state_path, &error)) {
    pcli_error("%s", error->message);
    return PCLI_EXIT_FAIL;
  }
  return status;
}

int pcli_cmd_eval(int argc, char **argv, gboolean do_help) {
  g_auto(GStrv) include = NULL;
  g_auto(GStrv) args = NULL; /* the positional arguments, after any "--" */
  g_autofree char *now_text = NULL;
  g_autofree char *output = NULL;
  g_autofree char *state = NULL;
  gboolean dump = FALSE;
  gint64 budget = 0;
  gint64 max_line = (gint64)PERSONA_MAX_LINE_DEFAULT;
  gint jobs = 1;
  gboolean allow_native = FALSE, count = FALSE, labels = FALSE;
  g_autofree char *where = NULL, *select = NULL, *format = NULL, *group_by = NULL;
  gboolean with_model = FALSE, with_labels = FALSE;
  g_autofree char *input_tz = NULL;
  const GOptionEntry entries[] = {
      {"group-by", 0, 0, G_OPTION_ARG_FILENAME, &group_by,
       "Print how many results have each value of NAME (a tag, score or lifecycle)", "NAME"},
      {"select", 0, 0, G_OPTION_ARG_FILENAME, &select,
       "Write only these columns: id, tags, scores, lifecycles (comma-separated)", "A,B,…"},
      {"format", 0, 0, G_OPTION_ARG_STRING, &format,
       "'jsonl' (default), 'csv' (RFC 4180) or 'tsv'; csv and tsv have a header row", "FORMAT"},
      /* The name of an earlier release, kept working: one option says "labels". */
      {"labels", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &labels, "The same as --with-labels", NULL},
      {"where", 0, 0, G_OPTION_ARG_FILENAME, &where, /* bytes as given: no locale conversion */
       "Keep only the profiles for which EXPR holds (a Persona expression)", "EXPR"},
      {"count", 0, 0, G_OPTION_ARG_NONE, &count, "Print only the number of results (kept by --where)", NULL},
      {"allow-native", 0, 0, G_OPTION_ARG_NONE, &allow_native,
       "Let extern fn load the shared libraries the model names (native code)", NULL},
      {"input-tz", 0, 0, G_OPTION_ARG_STRING, &input_tz,
       "Read times without an offset in ZONE (IANA, e.g. Asia/Shanghai)", "ZONE"},
      {"with-model", 0, 0, G_OPTION_ARG_NONE, &with_model,
       "Put the model's name and version into each result (\"model\")", NULL},
      {"with-labels", 0, 0, G_OPTION_ARG_NONE, &with_labels,
       "Labels of tags and segments: into each result (\"tag_labels\"), or as the column headers of --select/--format", NULL},
      {"jobs", 'j', 0, G_OPTION_ARG_INT, &jobs,
       "Evaluate on N threads (output in input order; without --state)", "N"},
      {"now", 0, 0, G_OPTION_ARG_STRING, &now_text,
       "Evaluate as of TIME (default: the current time)", "TIME"},
      {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
       "Write the results to FILE (replaced when the run completes)", "FILE"},
      {"state", 0, 0, G_OPTION_ARG_FILENAME, &state,
       "Read profile states from FILE and write the new ones back to it", "FILE"},
      {"include", 'I', 0, G_OPTION_ARG_FILENAME_ARRAY, &include,
       "Search DIR for imports (repeatable)", "DIR"},
      {"dump-bytecode", 0, 0, G_OPTION_ARG_NONE, &dump,
       "Print the compiled bytecode and exit", NULL},
      {"budget", 0, 0, G_OPTION_ARG_INT64, &budget,
       "At most N VM instructions per record (default: no limit)", "N"},
      {"max-line-bytes", 0, 0, G_OPTION_ARG_INT64, &max_line,
       "Input lines longer than N bytes are errors (default: 67108864, 64 MiB)", "N"},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args, NULL, NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) ctx = pcli_context_new(
      "MODEL [PROFILES.jsonl]", eval_summary, eval_description, entries);
  if (do_help) {
    pcli_print_help(ctx);
    return PCLI_EXIT_OK;
  }
  if (!pcli_parse(ctx, "eval", &argc, &argv)) return PCLI_EXIT_USAGE;
  guint n_args = args ? g_strv_length(args) : 0;
  if (n_args < 1) return pcli_usage_error("eval", "no MODEL given");
  if (n_args > 2)
    return pcli_usage_error("eval", "too many arguments (expected MODEL [PROFILES.jsonl])");
  if (budget < 0) return pcli_usage_error("eval", "--budget must be 0 (no limit) or more");
  if (jobs < 1 || jobs > 256) return pcli_usage_error("eval", "--jobs must be between 1 and 256");
  if (max_line < 1 || (guint64)max_line >= G_MAXSIZE)
    return pcli_usage_error("eval", "--max-line-bytes must be 1 or more");
  if ((where || count) && jobs > 1)
    return pcli_usage_error("eval", "--where and --count run on one thread: leave out --jobs");
  if (where && pcli_is_bytecode_file(args[0]))
    return pcli_usage_error("eval", "--where needs the model's source, not bytecode");
  PcliRowFormat row_format = PCLI_ROWS_JSONL;
  if (format && !pcli_row_format_parse(format, &row_format))
    return pcli_usage_error("eval", "unknown format '%s' (expected 'jsonl', 'csv' or 'tsv')", format);
  with_labels = with_labels || labels;
  gboolean columns = select || format || group_by;
  if (group_by && (select || count))
    return pcli_usage_error("eval", "--group-by counts one column: leave out --select and --count");
  if (columns && jobs > 1)
    return pcli_usage_error("eval", "--select, --format and --group-by run on one thread: leave out --jobs");
  eval_where = where != NULL;
  eval_count = count;
  eval_budget = (guint64)budget;
  eval_max_line = (gsize)max_line;
  if (input_tz && !pcli_check_timezone("eval", input_tz)) return PCLI_EXIT_USAGE;
  eval_input_tz = input_tz;
  eval_result_options = (with_model ? PERSONA_RESULT_MODEL : 0u) | (with_labels ? PERSONA_RESULT_TAG_LABELS : 0u);

  gint64 now_us;
  if (now_text) {
    if (!persona_time_parse(now_text, &now_us))
      return pcli_usage_error("eval",
                              "invalid --now '%s': expected an RFC 3339 time "
                              "(2026-02-01T00:00:00Z), a date (2026-02-01) or Unix seconds",
                              now_text);
  } else {
    now_us = persona_time_now();
  }

  if (group_by && strchr(group_by, ',')) return pcli_usage_error("eval", "--group-by takes one name");
  g_auto(GStrv) column_names = pcli_column_names(group_by ? group_by : select);
  PersonaCompileOptions opts = {
      .include_dirs = (const char *const *)include,
      .use_persona_path = TRUE,
      .allow_native = allow_native,
      .where = where,
      .columns = (const char *const *)column_names,
  };
  g_autoptr(PersonaModel) model = pcli_load_model(args[0], &opts, NULL);
  if (!model) return PCLI_EXIT_FAIL;

  if (dump) {
    g_autofree char *listing = persona_model_disasm(model);
    if (listing) fputs(listing, stdout);
    if (fflush(stdout) != 0) {
      pcli_error("cannot write to standard output");
      return PCLI_EXIT_FAIL;
    }
    return PCLI_EXIT_OK;
  }
  const char *in_path = n_args > 1 ? args[1] : NULL;
  if (state && output && strcmp(output, "-") != 0 && same_file(output, state))
    return pcli_usage_error("eval", "-o and --state name the same file ('%s'): the states would replace the results",
                            output);
  if (!state && jobs > 1)
    return pcli_eval_parallel(model, in_path, output, now_us, eval_budget, eval_result_options,
                              eval_input_tz, eval_max_line, (guint)jobs);
  if (columns) {
    g_autoptr(GError) error = NULL;
    eval_columns = pcli_columns_new(model, group_by ? group_by : select, row_format, with_labels, &error);
    if (!eval_columns) return pcli_usage_error("eval", "%s", error->message);
    if (group_by) {
      eval_groups = pcli_groups_new(eval_columns); /* owns the columns */
      eval_columns = NULL;
    }
  }
  int status = state ? run_eval_with_state(model, in_path, output, state, now_us, now_text)
                     : run_eval(model, in_path, output, NULL, now_us);
  pcli_columns_free(eval_columns);
  eval_columns = NULL;
  pcli_groups_free(eval_groups);
  eval_groups = NULL;
  return status;
}
