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

gboolean prun_show_status(PrunDb *d, GError **error) {
  g_autofree char *name = NULL, *version = NULL, *hash = NULL;
  gint64 last_now = 0, next = 0;
  gboolean has_now = FALSE;
  if (!prun_meta_get_text(d, "model_name", &name, error) || !prun_meta_get_text(d, "model_version", &version, error) ||
      !prun_meta_get_text(d, "model_hash", &hash, error) ||
      !prun_meta_get_int(d, "last_now", &last_now, &has_now, error))
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
    if ((n[i] = count_of(d, sql[i], error)) < 0) goto fail;
  gboolean has_next;
  if (!prun_db_next_wake(d, &next, &has_next, error)) goto fail;

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
                    error);
  if (!st) goto fail;
  if (sqlite3_step(st) == SQLITE_ROW) {
    gint64 attempts = sqlite3_column_int64(st, 1);
    printf("%-12s%s (after %" G_GINT64_FORMAT " attempt%s)\n", "last error:", sqlite3_column_text(st, 0),
           attempts, attempts == 1 ? "" : "s");
  }
  sqlite3_reset(st);
  printf("%-12s%" G_GINT64_FORMAT " recorded (persona run --errors)\n", "errors:", n[7]);
  st = prun_prepare(d, "SELECT source, line, offset FROM input_cursor ORDER BY source", error);
  if (!st) goto fail;
  while (sqlite3_step(st) == SQLITE_ROW)
    printf("%-12s%s: %" G_GINT64_FORMAT " lines, %" G_GINT64_FORMAT " bytes\n", "input:", sqlite3_column_text(st, 0),
           (gint64)sqlite3_column_int64(st, 1), (gint64)sqlite3_column_int64(st, 2));
  sqlite3_reset(st);
  return flush_stdout(error);
fail:
  return FALSE;
}

/* One JSON object per recorded error, oldest first. */
gboolean prun_show_errors(PrunDb *d, GError **error) {
  sqlite3_stmt *st = prun_prepare(
      d, "SELECT kind, profile_key, source, at, model_hash, message FROM eval_error ORDER BY id", error);
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

