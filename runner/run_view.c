/* run_view.c - the read-only views of a runner database: --status,
 * --errors and --check of `persona run` (docs/runtime.md). Each writes to
 * standard output and returns FALSE with *error set when the database
 * cannot be read. */
#include "runner.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static gboolean flush_stdout(GError **error) {
  if (fflush(stdout) == 0) return TRUE;
  g_set_error(error, PRUN_ERROR, PRUN_ERROR_DB, "cannot write to standard output: %s", g_strerror(errno));
  return FALSE;
}

static void print_time_or(const char *label, gboolean has, gint64 us, const char *none) {
  char buf[PRUN_TIME_BUF];
  if (has) prun_format_time(us, buf);
  printf("%-12s%s\n", label, has ? buf : none);
}

static void print_status_text(const PrunStatus *s, const char *path) {
  printf("%-12s%s (schema %d)\n", "database:", path, PRUN_SCHEMA_VERSION);
  if (s->model_hash)
    printf("%-12s%s%s%s (sha256 %.12s…)\n", "model:", s->model_name && *s->model_name ? s->model_name : "(unnamed)",
           s->model_version && *s->model_version ? " " : "", s->model_version ? s->model_version : "", s->model_hash);
  else
    printf("%-12s%s\n", "model:", "none yet");
  print_time_or("last now:", s->has_last_now, s->last_now, "never run");
  print_time_or("next wake:", s->has_next_wake, s->next_wake, "none");
  printf("%-12s%" G_GINT64_FORMAT " (%" G_GINT64_FORMAT " scheduled, %" G_GINT64_FORMAT " failing)\n",
         "profiles:", s->profiles, s->scheduled, s->failing);
  printf("%-12s%" G_GINT64_FORMAT " actions (%" G_GINT64_FORMAT " delivered, %" G_GINT64_FORMAT
         " pending, %" G_GINT64_FORMAT " failing)\n",
         "outbox:", s->outbox_total, s->delivered, s->pending, s->pending_failing);
  if (s->last_error)
    printf("%-12s%s (after %" G_GINT64_FORMAT " attempt%s)\n", "last error:", s->last_error, s->last_error_attempts,
           s->last_error_attempts == 1 ? "" : "s");
  printf("%-12s%" G_GINT64_FORMAT " recorded (persona run --errors)\n", "errors:", s->errors);
  for (guint i = 0; i < s->inputs->len; i++) {
    const PrunInputStatus *in = &g_array_index(s->inputs, PrunInputStatus, i);
    printf("%-12s%s: %" G_GINT64_FORMAT " lines, %" G_GINT64_FORMAT " bytes\n", "input:", in->source, in->lines,
           in->bytes);
  }
}

/* The counts come from one read transaction (run_status.c): they add up
 * even while a runner commits batches. */
gboolean prun_show_status(PrunDb *d, PrunFormat format, GError **error) {
  PrunStatus s;
  if (!prun_status_read(d, &s, error)) {
    prun_status_clear(&s);
    return FALSE;
  }
  if (format == PRUN_FORMAT_JSON) {
    g_autoptr(GString) out = g_string_new(NULL);
    prun_status_json(&s, d->path, out);
    fputs(out->str, stdout);
  } else {
    print_status_text(&s, d->path);
  }
  prun_status_clear(&s);
  return flush_stdout(error);
}

/* One JSON object per recorded error, oldest first. */
gboolean prun_show_errors(PrunDb *d, GError **error) {
  /* A database of schema 1 (not migrated yet: views do not write) has no
   * codes: "unknown", as the migration gives its rows. */
  gint64 version = 0;
  sqlite3_stmt *vs = prun_prepare(d, "PRAGMA user_version", error);
  if (!vs) return FALSE;
  if (sqlite3_step(vs) == SQLITE_ROW) version = sqlite3_column_int64(vs, 0);
  sqlite3_reset(vs);
  sqlite3_stmt *st = prun_prepare(
      d,
      version >= 2 ? "SELECT kind, profile_key, source, at, model_hash, message, code, field FROM eval_error ORDER BY id"
                   : "SELECT kind, profile_key, source, at, model_hash, message, 'unknown', NULL FROM eval_error"
                     " ORDER BY id",
      error);
  if (!st) return FALSE;
  g_autoptr(GString) out = g_string_new(NULL);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    g_string_truncate(out, 0);
    g_string_append(out, "{\"kind\":");
    persona_json_append_string(out, (const char *)sqlite3_column_text(st, 0), -1);
    g_string_append(out, ",\"profile\":");
    /* The key is stored as its JSON text. */
    g_string_append(out, sqlite3_column_type(st, 1) == SQLITE_NULL ? "null" : (const char *)sqlite3_column_text(st, 1));
    if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
      g_string_append(out, ",\"source\":");
      persona_json_append_string(out, (const char *)sqlite3_column_text(st, 2), -1);
    }
    char at[PRUN_TIME_BUF];
    prun_format_time(sqlite3_column_int64(st, 3), at);
    g_string_append_printf(out, ",\"at\":\"%s\"", at);
    if (sqlite3_column_type(st, 4) != SQLITE_NULL)
      g_string_append_printf(out, ",\"model\":\"%.12s\"", sqlite3_column_text(st, 4));
    g_string_append(out, ",\"code\":");
    persona_json_append_string(out, (const char *)sqlite3_column_text(st, 6), -1);
    if (sqlite3_column_type(st, 7) != SQLITE_NULL) {
      g_string_append(out, ",\"field\":");
      persona_json_append_string(out, (const char *)sqlite3_column_text(st, 7), -1);
    }
    g_string_append(out, ",\"error\":");
    persona_json_append_string(out, (const char *)sqlite3_column_text(st, 5), -1);
    g_string_append(out, "}\n");
    fputs(out->str, stdout);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    prun_db_fail(d, rc, "cannot read the errors", error);
    return FALSE;
  }
  return flush_stdout(error);
}

gboolean prun_check_integrity(PrunDb *d, gboolean *healthy, GError **error) {
  sqlite3_stmt *st = prun_prepare(d, "PRAGMA integrity_check", error);
  if (!st) return FALSE;
  gboolean ok = TRUE;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *line = (const char *)sqlite3_column_text(st, 0);
    if (strcmp(line, "ok") != 0) ok = FALSE;
    printf("%s\n", line);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    prun_db_fail(d, rc, "cannot check the database", error);
    return FALSE;
  }
  *healthy = ok;
  return flush_stdout(error);
}

