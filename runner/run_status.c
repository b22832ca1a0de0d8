/* run_status.c - the counts of a runner database, read in one read
 * transaction so that they are of one moment (a runner may be committing
 * batches meanwhile), and written as the text and JSON of --status or as
 * a Prometheus text file (--metrics). docs/runtime.md, "Logs and metrics",
 * shows each. */
#include "runner.h"

#include <string.h>

static void input_status_clear(gpointer p) { g_free(((PrunInputStatus *)p)->source); }

void prun_status_clear(PrunStatus *s) {
  g_free(s->model_name);
  g_free(s->model_version);
  g_free(s->model_hash);
  g_free(s->last_error);
  if (s->inputs) g_array_unref(s->inputs);
  memset(s, 0, sizeof *s);
}

/* The outbox in one statement: total, delivered and pending add up. */
static const char outbox_sql[] =
    "SELECT count(*), count(delivered_at), count(*) - count(delivered_at),"
    " coalesce(sum(delivered_at IS NULL AND last_error IS NOT NULL), 0) FROM outbox";
static const char profiles_sql[] =
    "SELECT count(*), count(next_wake), coalesce(sum(failed = 1), 0), (SELECT count(*) FROM eval_error),"
    " min(next_wake) FROM profile";
static const char last_error_sql[] =
    "SELECT last_error, attempts FROM outbox WHERE delivered_at IS NULL AND last_error IS NOT NULL"
    " ORDER BY seq LIMIT 1";
static const char inputs_sql[] = "SELECT source, line, offset FROM input_cursor ORDER BY source";

static gboolean read_counts(PrunDb *d, PrunStatus *s, GError **error) {
  sqlite3_stmt *st = prun_prepare(d, outbox_sql, error);
  if (!st) return FALSE;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    s->outbox_total = sqlite3_column_int64(st, 0);
    s->delivered = sqlite3_column_int64(st, 1);
    s->pending = sqlite3_column_int64(st, 2);
    s->pending_failing = sqlite3_column_int64(st, 3);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_ROW) return prun_db_fail(d, rc, "cannot read the outbox", error);
  if (!(st = prun_prepare(d, profiles_sql, error))) return FALSE;
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    s->profiles = sqlite3_column_int64(st, 0);
    s->scheduled = sqlite3_column_int64(st, 1);
    s->failing = sqlite3_column_int64(st, 2);
    s->errors = sqlite3_column_int64(st, 3);
    s->has_next_wake = sqlite3_column_type(st, 4) != SQLITE_NULL;
    s->next_wake = sqlite3_column_int64(st, 4);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_ROW) return prun_db_fail(d, rc, "cannot read the profiles", error);
  if (!(st = prun_prepare(d, last_error_sql, error))) return FALSE;
  if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    s->last_error = g_strdup((const char *)sqlite3_column_text(st, 0));
    s->last_error_attempts = sqlite3_column_int64(st, 1);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return prun_db_fail(d, rc, "cannot read the outbox", error);
  if (!(st = prun_prepare(d, inputs_sql, error))) return FALSE;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    PrunInputStatus in = {g_strdup((const char *)sqlite3_column_text(st, 0)), sqlite3_column_int64(st, 1),
                          sqlite3_column_int64(st, 2)};
    g_array_append_val(s->inputs, in);
  }
  sqlite3_reset(st);
  return rc == SQLITE_DONE || prun_db_fail(d, rc, "cannot read the inputs", error);
}

gboolean prun_status_read(PrunDb *d, PrunStatus *s, GError **error) {
  memset(s, 0, sizeof *s);
  s->inputs = g_array_new(FALSE, TRUE, sizeof(PrunInputStatus));
  g_array_set_clear_func(s->inputs, input_status_clear);
  /* A deferred transaction: its first read fixes the snapshot every
   * other read sees (WAL), while a runner goes on committing. */
  gboolean own_txn = sqlite3_get_autocommit(d->db) != 0;
  if (own_txn && !prun_exec(d, "BEGIN", error)) return FALSE;
  gboolean ok = prun_meta_get_text(d, "model_name", &s->model_name, error) &&
                prun_meta_get_text(d, "model_version", &s->model_version, error) &&
                prun_meta_get_text(d, "model_hash", &s->model_hash, error) &&
                prun_meta_get_int(d, "last_now", &s->last_now, &s->has_last_now, error) && read_counts(d, s, error);
  if (own_txn) sqlite3_exec(d->db, "COMMIT", NULL, NULL, NULL);
  return ok;
}

/* ---- JSON ---------------------------------------------------------------------------- */

static void json_time_or_null(GString *out, gboolean has, gint64 us) {
  char buf[PRUN_TIME_BUF];
  if (!has) {
    g_string_append(out, "null");
    return;
  }
  prun_format_time(us, buf);
  g_string_append_printf(out, "\"%s\"", buf);
}

static void json_string_or_null(GString *out, const char *s) {
  if (s) persona_json_append_string(out, s, -1);
  else g_string_append(out, "null");
}

void prun_status_json(const PrunStatus *s, const char *path, GString *out) {
  g_string_append(out, "{\"database\":");
  persona_json_append_string(out, path, -1);
  g_string_append_printf(out, ",\"schema\":%d,\"model\":", PRUN_SCHEMA_VERSION);
  if (s->model_hash) {
    g_string_append(out, "{\"name\":");
    json_string_or_null(out, s->model_name);
    g_string_append(out, ",\"version\":");
    json_string_or_null(out, s->model_version);
    g_string_append(out, ",\"sha256\":");
    persona_json_append_string(out, s->model_hash, -1);
    g_string_append(out, "}");
  } else {
    g_string_append(out, "null");
  }
  g_string_append(out, ",\"last_now\":");
  json_time_or_null(out, s->has_last_now, s->last_now);
  g_string_append(out, ",\"next_wake\":");
  json_time_or_null(out, s->has_next_wake, s->next_wake);
  g_string_append_printf(out,
                         ",\"profiles\":{\"total\":%" G_GINT64_FORMAT ",\"scheduled\":%" G_GINT64_FORMAT
                         ",\"failing\":%" G_GINT64_FORMAT "}",
                         s->profiles, s->scheduled, s->failing);
  g_string_append_printf(out,
                         ",\"outbox\":{\"total\":%" G_GINT64_FORMAT ",\"delivered\":%" G_GINT64_FORMAT
                         ",\"pending\":%" G_GINT64_FORMAT ",\"failing\":%" G_GINT64_FORMAT ",\"last_error\":",
                         s->outbox_total, s->delivered, s->pending, s->pending_failing);
  json_string_or_null(out, s->last_error);
  g_string_append_printf(out, ",\"last_error_attempts\":%" G_GINT64_FORMAT "}", s->last_error_attempts);
  g_string_append_printf(out, ",\"errors\":%" G_GINT64_FORMAT ",\"inputs\":[", s->errors);
  for (guint i = 0; i < s->inputs->len; i++) {
    const PrunInputStatus *in = &g_array_index(s->inputs, PrunInputStatus, i);
    g_string_append(out, i ? ",{\"source\":" : "{\"source\":");
    persona_json_append_string(out, in->source, -1);
    g_string_append_printf(out, ",\"lines\":%" G_GINT64_FORMAT ",\"bytes\":%" G_GINT64_FORMAT "}", in->lines,
                           in->bytes);
  }
  g_string_append(out, "]}\n");
}

/* ---- Prometheus ----------------------------------------------------------------------- */

static void metric(GString *out, const char *name, const char *type, const char *help, const char *labels,
                   double value) {
  if (help) g_string_append_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
  char num[G_ASCII_DTOSTR_BUF_SIZE];
  g_ascii_formatd(num, sizeof num, "%.15g", value); /* counts stay exact below 10^15 */
  g_string_append_printf(out, "%s%s %s\n", name, labels ? labels : "", num);
}

void prun_status_prometheus(const PrunStatus *s, const PrunStats *stats, gint64 written_at, GString *out) {
  metric(out, "persona_run_profiles", "gauge", "Profiles in the database.", NULL, (double)s->profiles);
  metric(out, "persona_run_profiles_scheduled", "gauge", "Profiles with a next_wake.", NULL, (double)s->scheduled);
  metric(out, "persona_run_profiles_failing", "gauge", "Profiles whose last evaluation failed.", NULL,
         (double)s->failing);
  metric(out, "persona_run_outbox_actions", "gauge", "Actions in the outbox, by delivery status.",
         "{status=\"delivered\"}", (double)s->delivered);
  metric(out, "persona_run_outbox_actions", "gauge", NULL, "{status=\"pending\"}", (double)s->pending);
  metric(out, "persona_run_outbox_failing", "gauge", "Pending actions whose last delivery failed.", NULL,
         (double)s->pending_failing);
  metric(out, "persona_run_errors_recorded", "gauge", "Rows of the error table (persona run --errors).", NULL,
         (double)s->errors);
  if (s->has_last_now)
    metric(out, "persona_run_last_now_seconds", "gauge", "The logical time of the last batch (Unix seconds).", NULL,
           (double)s->last_now / G_USEC_PER_SEC);
  if (s->has_next_wake)
    metric(out, "persona_run_next_wake_seconds", "gauge", "The earliest next_wake (Unix seconds).", NULL,
           (double)s->next_wake / G_USEC_PER_SEC);
  if (stats) {
    metric(out, "persona_run_records_read_total", "counter", "Input lines read by this process.", NULL,
           (double)stats->ingested);
    metric(out, "persona_run_evaluations_total", "counter", "Evaluations by this process, by result.",
           "{result=\"ok\"}", (double)stats->evaluated);
    metric(out, "persona_run_evaluations_total", "counter", NULL, "{result=\"failed\"}", (double)stats->failed);
    metric(out, "persona_run_catch_up_evaluations_total", "counter",
           "Evaluations at a profile's next_change (its result changed by time alone), by this process.", NULL,
           (double)stats->catch_up);
    metric(out, "persona_run_input_errors_total", "counter", "Input lines without a usable record.", NULL,
           (double)stats->input_errors);
    metric(out, "persona_run_actions_total", "counter", "Actions added to the outbox by this process.", NULL,
           (double)stats->actions);
    metric(out, "persona_run_delivered_total", "counter", "Actions delivered by this process.", NULL,
           (double)stats->delivered);
    metric(out, "persona_run_delivery_failures_total", "counter", "Failed deliveries (batches) by this process.",
           NULL, (double)stats->delivery_failures);
    metric(out, "persona_run_batches_total", "counter", "Batches committed by this process.", NULL,
           (double)stats->batches);
    metric(out, "persona_run_last_batch_seconds", "gauge", "How long the last batch took.", NULL,
           (double)stats->last_batch_us / G_USEC_PER_SEC);
  }
  metric(out, "persona_run_metrics_written_seconds", "gauge", "When this file was written (Unix seconds).", NULL,
         (double)written_at / G_USEC_PER_SEC);
}

void prun_write_metrics(PrunRunner *r, gboolean force) {
  if (!r->metrics_path) return;
  gint64 mono = g_get_monotonic_time();
  if (!force && r->metrics_at && mono - r->metrics_at < G_USEC_PER_SEC) return;
  r->metrics_at = mono;
  g_autoptr(GError) error = NULL;
  PrunStatus s;
  g_autoptr(GString) text = g_string_new(NULL);
  gboolean ok = prun_status_read(r->db, &s, &error);
  if (ok) prun_status_prometheus(&s, &r->stats, g_get_real_time(), text);
  prun_status_clear(&s);
  if (ok) {
    g_autoptr(PersonaOutputFile) f = persona_output_file_open(r->metrics_path, &error);
    ok = f && persona_output_file_write(f, text->str, text->len, &error) && persona_output_file_commit(f, &error);
  }
  if (!ok) prun_warn("cannot write the metrics file: %s", error ? error->message : "unknown error");
}
