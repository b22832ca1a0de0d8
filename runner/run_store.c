/* run_store.c - the database file of `persona run`: one SQLite file in WAL
 * mode, identified by its application_id and versioned by user_version.
 *
 * Opening is careful because the file outlives any one program: a second
 * runner is refused by a lock file, a file that is not ours, is newer than
 * us, or is damaged is refused with a message that says which, and a new
 * file gets the whole schema in one transaction. The schema is described
 * table by table in docs/runtime.md; keep the two in step.
 */
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK(persona-run-error-quark, prun_error)

/* ---- fault injection -------------------------------------------------------- */

void prun_crash_point(const char *point) {
  static gboolean parsed = FALSE;
  static char *target = NULL;
  static guint64 remaining = 0;
  if (!parsed) {
    parsed = TRUE;
    const char *env = getenv("PERSONA_RUN_CRASH_AT");
    if (env && *env) {
      const char *colon = strchr(env, ':');
      target = colon ? g_strndup(env, (gsize)(colon - env)) : g_strdup(env);
      remaining = colon ? g_ascii_strtoull(colon + 1, NULL, 10) : 1;
      if (remaining == 0) remaining = 1;
    }
  }
  if (!target || strcmp(target, point) != 0) return;
  if (--remaining > 0) return;
  /* No cleanup at all: not SQLite's, not stdio's. That is the point. */
  static const char msg[] = "persona: PERSONA_RUN_CRASH_AT: crashing at ";
  if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0 || write(STDERR_FILENO, point, strlen(point)) < 0 ||
      write(STDERR_FILENO, "\n", 1) < 0) {
    /* nothing to do: we are crashing anyway */
  }
  _exit(99);
}

void prun_test_pace(void) {
  static gint64 pace_us = -1;
  if (pace_us < 0) {
    const char *env = getenv("PERSONA_RUN_PACE_US");
    pace_us = env && *env ? (gint64)g_ascii_strtoull(env, NULL, 10) : 0;
  }
  if (pace_us > 0) g_usleep((gulong)pace_us);
}

/* ---- times -------------------------------------------------------------------- */

/* Civil date from days since 1970-01-01 (Howard Hinnant's algorithm). */
static void civil_from_days(gint64 z, gint64 *y, int *m, int *d) {
  z += 719468;
  gint64 era = (z >= 0 ? z : z - 146096) / 146097;
  gint64 doe = z - era * 146097;
  gint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  gint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  gint64 mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

void prun_format_time(gint64 us, char *buf) {
  gint64 secs = us >= 0 ? us / G_USEC_PER_SEC : -((-us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
  gint64 frac = us - secs * G_USEC_PER_SEC;
  gint64 days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  gint64 rem = secs - days * 86400;
  gint64 y;
  int m, d;
  civil_from_days(days, &y, &m, &d);
  int n = g_snprintf(buf, PRUN_TIME_BUF, "%04" G_GINT64_FORMAT "-%02d-%02dT%02d:%02d:%02d", y, m, d,
                     (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
  if (frac != 0 && frac % 1000 == 0)
    n += g_snprintf(buf + n, PRUN_TIME_BUF - n, ".%03d", (int)(frac / 1000));
  else if (frac != 0)
    n += g_snprintf(buf + n, PRUN_TIME_BUF - n, ".%06d", (int)frac);
  g_snprintf(buf + n, PRUN_TIME_BUF - n, "Z");
}

/* ---- errors --------------------------------------------------------------------- */

gboolean prun_step_done(PrunDb *d, sqlite3_stmt *st, const char *what, GError **error) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE || prun_db_fail(d, rc, what, error);
}

gboolean prun_db_fail(PrunDb *d, int rc, const char *what, GError **error) {
  int primary = rc & 0xff;
  const char *msg = d->db ? sqlite3_errmsg(d->db) : sqlite3_errstr(rc);
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB)
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_DAMAGED,
                "'%s' is damaged (%s): restore it from a backup (docs/runtime.md)", d->path, msg);
  else if (primary == SQLITE_BUSY)
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_LOCKED, "'%s' is busy (%s): %s", d->path, what, msg);
  else
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_DB, "'%s': %s: %s", d->path, what, msg);
  return FALSE;
}

gboolean prun_exec(PrunDb *d, const char *sql, GError **error) {
  int rc = sqlite3_exec(d->db, sql, NULL, NULL, NULL);
  if (rc != SQLITE_OK) return prun_db_fail(d, rc, "cannot update the database", error);
  return TRUE;
}

sqlite3_stmt *prun_prepare(PrunDb *d, const char *sql, GError **error) {
  /* Statements are kept by the address of their SQL text (callers pass
   * static strings), so a statement is prepared once per connection. */
  sqlite3_stmt *st = g_hash_table_lookup(d->stmts, sql);
  if (st) {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
  }
  int rc = sqlite3_prepare_v3(d->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
  if (rc != SQLITE_OK) {
    prun_db_fail(d, rc, "cannot read the database", error);
    return NULL;
  }
  g_hash_table_insert(d->stmts, (gpointer)sql, st);
  return st;
}

gboolean prun_begin(PrunDb *d, GError **error) {
  /* IMMEDIATE: a deferred transaction that reads and then writes can fail
   * with SQLITE_BUSY_SNAPSHOT at once, whatever the busy timeout. */
  return prun_exec(d, "BEGIN IMMEDIATE", error);
}

gboolean prun_commit(PrunDb *d, GError **error) {
  return prun_exec(d, "COMMIT", error);
}

void prun_rollback(PrunDb *d) {
  if (d->db && !sqlite3_get_autocommit(d->db)) sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- meta ------------------------------------------------------------------------- */

static const char meta_get_sql[] = "SELECT value FROM meta WHERE key = ?1";
static const char meta_set_sql[] =
    "INSERT INTO meta(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value";

gboolean prun_meta_get_int(PrunDb *d, const char *key, gint64 *value, gboolean *found, GError **error) {
  sqlite3_stmt *st = prun_prepare(d, meta_get_sql, error);
  if (!st) return FALSE;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  *found = rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_INTEGER;
  if (*found) *value = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return prun_db_fail(d, rc, "cannot read meta", error);
  return TRUE;
}

gboolean prun_meta_set_int(PrunDb *d, const char *key, gint64 value, GError **error) {
  sqlite3_stmt *st = prun_prepare(d, meta_set_sql, error);
  if (!st) return FALSE;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, value);
  return prun_step_done(d, st, "cannot write meta", error);
}

gboolean prun_meta_get_text(PrunDb *d, const char *key, char **value, GError **error) {
  *value = NULL;
  sqlite3_stmt *st = prun_prepare(d, meta_get_sql, error);
  if (!st) return FALSE;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_TEXT)
    *value = g_strdup((const char *)sqlite3_column_text(st, 0));
  sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return prun_db_fail(d, rc, "cannot read meta", error);
  return TRUE;
}

gboolean prun_meta_set_text(PrunDb *d, const char *key, const char *value, GError **error) {
  sqlite3_stmt *st = prun_prepare(d, meta_set_sql, error);
  if (!st) return FALSE;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
  return prun_step_done(d, st, "cannot write meta", error);
}

/* ---- the schema ------------------------------------------------------------------- */

/* Version 1. Times are INTEGER microseconds since the epoch (UTC); profile
 * keys are the compact JSON of the schema's key ("\"p1\"" or "42"). */
static const char schema_v1[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value ANY) STRICT, WITHOUT ROWID;\n"
    /* One row per profile: the record evaluated last (doc), a record that
     * arrived but is not evaluated yet (pending, since pending_at), the
     * state, the journeys' wake-up (wake), and when the profile is due:
     * next_wake = min(wake, pending_at), NULL when nothing is due (version
     * 3 adds next_change, and next_wake becomes the earliest of the three). */
    "CREATE TABLE profile(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  key TEXT NOT NULL UNIQUE,\n"
    "  doc TEXT,\n"
    "  pending TEXT,\n"
    "  pending_at INTEGER,\n"
    "  state TEXT,\n"
    "  model_hash TEXT,\n"
    "  wake INTEGER,\n"
    "  next_wake INTEGER,\n"
    "  last_eval INTEGER,\n"
    "  failed INTEGER NOT NULL DEFAULT 0,\n"
    "  records INTEGER NOT NULL DEFAULT 0,\n"
    "  evals INTEGER NOT NULL DEFAULT 0,\n"
    "  updated_at INTEGER NOT NULL\n"
    ") STRICT;\n"
    "CREATE INDEX profile_due ON profile(next_wake) WHERE next_wake IS NOT NULL;\n"
    /* Every action once (action_key is unique), in the order it was made
     * (seq, never reused); `batch` fixes which delivery batch it goes in
     * before the sink sees it, so a redelivery after a crash is the same
     * batch. */
    "CREATE TABLE outbox(\n"
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  action_key TEXT NOT NULL UNIQUE,\n"
    "  profile_key TEXT NOT NULL,\n"
    "  at INTEGER NOT NULL,\n"
    "  evaluated_at INTEGER NOT NULL,\n"
    "  payload TEXT NOT NULL,\n"
    "  batch INTEGER,\n"
    "  attempts INTEGER NOT NULL DEFAULT 0,\n"
    "  next_attempt INTEGER,\n"
    "  last_error TEXT,\n"
    "  delivered_at INTEGER\n"
    ") STRICT;\n"
    "CREATE INDEX outbox_pending ON outbox(seq) WHERE delivered_at IS NULL;\n"
    "CREATE INDEX outbox_batch ON outbox(batch) WHERE delivered_at IS NULL AND batch IS NOT NULL;\n"
    /* How far each input file has been read, by the file's identity
     * (device and inode, whatever its name now: a file renamed by log
     * rotation keeps its cursor) and a hash of its first prefix_len bytes
     * (a truncated or rewritten file, or a reused inode, starts again);
     * offset is the first byte not yet ingested. */
    "CREATE TABLE input_cursor(\n"
    "  dev INTEGER NOT NULL,\n"
    "  inode INTEGER NOT NULL,\n"
    "  source TEXT NOT NULL,\n"
    "  offset INTEGER NOT NULL,\n"
    "  line INTEGER NOT NULL,\n"
    "  prefix_len INTEGER NOT NULL,\n"
    "  prefix_hash TEXT NOT NULL,\n"
    "  updated_at INTEGER NOT NULL,\n"
    "  PRIMARY KEY(dev, inode)\n"
    ") STRICT, WITHOUT ROWID;\n"
    /* Everything that went wrong with data: records that failed to
     * evaluate (kind 'eval'), input lines without a usable key ('input'),
     * journeys ended by --migrate exit ('migrate'). Never deleted by
     * persona. */
    "CREATE TABLE eval_error(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  kind TEXT NOT NULL,\n"
    "  profile_key TEXT,\n"
    "  source TEXT,\n"
    "  at INTEGER NOT NULL,\n"
    "  logged_at INTEGER NOT NULL,\n"
    "  model_hash TEXT,\n"
    "  message TEXT NOT NULL\n"
    ") STRICT;\n"
    "CREATE INDEX eval_error_profile ON eval_error(profile_key);\n";

/* Version 2: each error's stable code (persona_result_error_code) and the
 * path of the field it is about. Rows of version 1 get the code
 * "unknown". */
static const char schema_v2_step[] =
    "ALTER TABLE eval_error ADD COLUMN code TEXT NOT NULL DEFAULT 'unknown';\n"
    "ALTER TABLE eval_error ADD COLUMN field TEXT;\n";

/* Version 3: next_change, when the result of the last evaluation could
 * change by time alone (persona_result_next_change), and next_wake = the
 * earliest of wake, next_change and pending_at. A profile of version 2
 * has no next_change yet: it is made due at its last evaluation's time,
 * so that one evaluation (the same instant and state again: no new
 * transition, no action) tells it. */
static const char schema_v3_step[] = "ALTER TABLE profile ADD COLUMN next_change INTEGER;\n";
static const char schema_v3_due[] =
    "UPDATE profile SET next_wake = last_eval"
    " WHERE failed = 0 AND state IS NOT NULL AND last_eval IS NOT NULL"
    " AND (next_wake IS NULL OR next_wake > last_eval);\n";

static const char *const schema_tables[] = {"meta", "profile", "outbox", "input_cursor", "eval_error"};

static gboolean pragma_int(PrunDb *d, const char *sql, gint64 *out, GError **error) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(d->db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      *out = sqlite3_column_int64(st, 0);
      rc = SQLITE_OK;
    }
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_OK) return prun_db_fail(d, rc, "cannot read the file's header", error);
  return TRUE;
}

static gboolean create_schema(PrunDb *d, GError **error) {
  if (!prun_begin(d, error)) return FALSE;
  /* Checked again inside the write lock: two runners started at once on a
   * new file must not both create it (the lock file prevents it, but the
   * database should not depend on that). */
  gint64 n = 0;
  if (!pragma_int(d, "SELECT count(*) FROM sqlite_schema", &n, error)) goto fail;
  if (n == 0) {
    g_autofree char *pragmas = g_strdup_printf("PRAGMA application_id = %d; PRAGMA user_version = %d;",
                                               PRUN_APPLICATION_ID, PRUN_SCHEMA_VERSION);
    if (!prun_exec(d, schema_v1, error) || !prun_exec(d, schema_v2_step, error) ||
        !prun_exec(d, schema_v3_step, error) || !prun_exec(d, pragmas, error))
      goto fail;
    g_autofree char *created_by = g_strconcat("persona ", persona_version(), NULL);
    if (!prun_meta_set_text(d, "created_by", created_by, error)) goto fail;
    if (!prun_meta_set_int(d, "created_at", g_get_real_time(), error)) goto fail;
  }
  return prun_commit(d, error);
fail:
  prun_rollback(d);
  return FALSE;
}

/* One version step of an older file, in its own transaction: the schema
 * change, then what the data needs (or NULL). */
static gboolean migrate_step(PrunDb *d, const char *schema, const char *data, int version, GError **error) {
  g_autofree char *pragma = g_strdup_printf("PRAGMA user_version = %d", version);
  if (!prun_begin(d, error)) return FALSE;
  if (!prun_exec(d, schema, error) || (data && !prun_exec(d, data, error)) || !prun_exec(d, pragma, error) ||
      !prun_commit(d, error)) {
    prun_rollback(d);
    return FALSE;
  }
  return TRUE;
}

/* The file is ours, of a version we understand, with every table; an
 * older version is migrated when `may_migrate` (a runner, not a view). */
static gboolean check_identity(PrunDb *d, gboolean may_create, gboolean may_migrate, GError **error) {
  gint64 app_id = 0, version = 0, n_objects = 0;
  if (!pragma_int(d, "PRAGMA application_id", &app_id, error) ||
      !pragma_int(d, "PRAGMA user_version", &version, error) ||
      !pragma_int(d, "SELECT count(*) FROM sqlite_schema", &n_objects, error))
    return FALSE;
  if (app_id == 0 && version == 0 && n_objects == 0) {
    if (!may_create) {
      g_set_error(error, PRUN_ERROR, PRUN_ERROR_FOREIGN, "'%s' is an empty database: no runner has used it yet",
                  d->path);
      return FALSE;
    }
    /* WAL before the schema, so that even the first transaction is one. */
    if (!prun_exec(d, "PRAGMA journal_mode = WAL", error) || !create_schema(d, error)) return FALSE;
    return check_identity(d, FALSE, FALSE, error);
  }
  if (app_id != PRUN_APPLICATION_ID) {
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_FOREIGN,
                "'%s' is not a persona run database (an SQLite file with application_id %" G_GINT64_FORMAT
                ", not %d): refusing to touch it",
                d->path, app_id, PRUN_APPLICATION_ID);
    return FALSE;
  }
  if (version > PRUN_SCHEMA_VERSION) {
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_NEWER,
                "'%s' was written by a newer persona (schema version %" G_GINT64_FORMAT
                "; this persona understands up to %d): upgrade persona",
                d->path, version, PRUN_SCHEMA_VERSION);
    return FALSE;
  }
  if (version < 1) {
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_DAMAGED, "'%s' is damaged: schema version %" G_GINT64_FORMAT,
                d->path, version);
    return FALSE;
  }
  /* An older schema is migrated here, one version at a time, each step in
   * its own transaction (a read-only open reads it as it is). */
  if (version < 2 && may_migrate && !migrate_step(d, schema_v2_step, NULL, 2, error)) return FALSE;
  if (version < 3 && may_migrate && !migrate_step(d, schema_v3_step, schema_v3_due, 3, error)) return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS(schema_tables); i++) {
    g_autofree char *sql =
        g_strdup_printf("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '%s'", schema_tables[i]);
    gint64 n = 0;
    if (!pragma_int(d, sql, &n, error)) return FALSE;
    if (n != 1) {
      g_set_error(error, PRUN_ERROR, PRUN_ERROR_DAMAGED, "'%s' is damaged: the table %s is missing", d->path,
                  schema_tables[i]);
      return FALSE;
    }
  }
  return TRUE;
}

/* A file that exists but does not start like an SQLite database is
 * refused before SQLite sees it (SQLite would only say "file is not a
 * database"). Empty files are new databases. */
static gboolean check_header(const char *path, gboolean *exists, GError **error) {
  *exists = FALSE;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return TRUE;
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_DB, "cannot open '%s': %s", path, g_strerror(errno));
    return FALSE;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_FOREIGN, "'%s' is not a regular file", path);
    return FALSE;
  }
  char head[16] = {0};
  ssize_t n = read(fd, head, sizeof head);
  close(fd);
  *exists = st.st_size > 0;
  if (st.st_size == 0) return TRUE;
  if (n != (ssize_t)sizeof head || memcmp(head, "SQLite format 3", 16) != 0) {
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_FOREIGN, "'%s' is not a persona run database (not an SQLite file)",
                path);
    return FALSE;
  }
  if (st.st_size < 512) {
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_DAMAGED,
                "'%s' is damaged (truncated to %lld bytes): restore it from a backup (docs/runtime.md)", path,
                (long long)st.st_size);
    return FALSE;
  }
  return TRUE;
}

/* The database file's own path, symbolic links resolved (a file not made
 * yet: its directory's), so that every name of one file takes one lock:
 * `--db r.db` and `--db link-to-r.db` once ran together and delivered
 * actions twice. (Hard links share an inode, not a path: SQLite's own
 * locks still keep two writers from corrupting the file, but only this
 * lock keeps two runners apart: docs/runtime.md.) */
static char *resolved_path(const char *path) {
  char *real = realpath(path, NULL);
  if (!real) {
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *base = g_path_get_basename(path);
    char *real_dir = realpath(dir, NULL);
    if (!real_dir) return g_strdup(path);
    char *joined = g_build_filename(real_dir, base, NULL);
    free(real_dir);
    return joined;
  }
  char *copy = g_strdup(real);
  free(real);
  return copy;
}

/* PATH.lock beside the resolved file, held with flock for the life of the
 * runner: the kernel releases it when the process ends, however it ends,
 * so a crash never leaves a stale lock. The file holds the pid for the
 * message. */
static gboolean take_lock(PrunDb *d, GError **error) {
  g_autofree char *real = resolved_path(d->path);
  g_autofree char *lock_path = g_strdup_printf("%s.lock", real);
  int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) {
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_DB, "cannot open the lock file '%s': %s", lock_path,
                g_strerror(errno));
    return FALSE;
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    char pid[32] = {0};
    ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
    close(fd);
    if (err == EWOULDBLOCK) {
      g_strchomp(pid);
      g_set_error(error, PRUN_ERROR, PRUN_ERROR_LOCKED,
                  "'%s' is in use by another persona run%s%s%s: only one runner may use a database", d->path,
                  n > 0 ? " (pid " : "", n > 0 ? pid : "", n > 0 ? ")" : "");
    } else {
      g_set_error(error, PRUN_ERROR, PRUN_ERROR_DB, "cannot lock '%s': %s", lock_path, g_strerror(err));
    }
    return FALSE;
  }
  char pid[32];
  int len = g_snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
    /* The pid is only for the message of a second runner. */
  }
  d->lock_fd = fd;
  return TRUE;
}

static gboolean open_connection(PrunDb *d, int flags, GError **error) {
  int rc = sqlite3_open_v2(d->path, &d->db, flags, NULL);
  if (rc != SQLITE_OK) {
    if (!d->db) {
      g_set_error(error, PRUN_ERROR, PRUN_ERROR_DB, "cannot open '%s': %s", d->path, sqlite3_errstr(rc));
      return FALSE;
    }
    return prun_db_fail(d, rc, "cannot open", error);
  }
  sqlite3_extended_result_codes(d->db, 1);
  sqlite3_busy_timeout(d->db, 5000);
  return TRUE;
}

/* A closed PrunDb for `path`, ready for prun_db_close() whatever follows. */
static void db_init(PrunDb *d, const char *path) {
  memset(d, 0, sizeof *d);
  d->lock_fd = -1;
  d->path = g_strdup(path);
  d->stmts = g_hash_table_new(g_direct_hash, g_direct_equal);
}

gboolean prun_db_open(PrunDb *d, const char *path, PrunDurability durability, GError **error) {
  db_init(d, path);
  if (!take_lock(d, error)) return FALSE;
  gboolean exists;
  if (!check_header(path, &exists, error)) return FALSE;
  if (!open_connection(d, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, error)) return FALSE;
  /* Nothing is written before the file is known to be ours (or new): not
   * even the journal mode of someone else's database. */
  if (!check_identity(d, TRUE, TRUE, error)) return FALSE;
  if (!prun_exec(d, "PRAGMA journal_mode = WAL", error)) return FALSE;
  const char *sync = durability == PRUN_DURABILITY_FULL ? "PRAGMA synchronous = FULL"
                                                        : "PRAGMA synchronous = NORMAL";
  /* journal_size_limit: the WAL is truncated back to 64 MiB after a
   * checkpoint instead of keeping its largest size for ever. */
  return prun_exec(d, sync, error) && prun_exec(d, "PRAGMA journal_size_limit = 67108864", error) &&
         prun_exec(d, "PRAGMA cache_size = -32768", error);
}

gboolean prun_db_open_readonly(PrunDb *d, const char *path, GError **error) {
  db_init(d, path);
  gboolean exists;
  if (!check_header(path, &exists, error)) return FALSE;
  if (!exists) {
    if (access(path, F_OK) == 0)
      g_set_error(error, PRUN_ERROR, PRUN_ERROR_FOREIGN, "'%s' is empty: no runner has used it yet", path);
    else
      g_set_error(error, PRUN_ERROR, PRUN_ERROR_DB, "cannot open '%s': %s", path, g_strerror(ENOENT));
    return FALSE;
  }
  /* Read-write when the file allows it, but querying only: closing the
   * last connection then checkpoints and removes the -wal and -shm files,
   * which a read-only connection would leave behind. */
  if (access(path, W_OK) == 0 && access(".", F_OK) == 0) {
    if (!open_connection(d, SQLITE_OPEN_READWRITE, error)) return FALSE;
    if (!prun_exec(d, "PRAGMA query_only = 1", error)) return FALSE;
  } else if (!open_connection(d, SQLITE_OPEN_READONLY, error)) {
    return FALSE;
  }
  return check_identity(d, FALSE, FALSE, error);
}

void prun_db_close(PrunDb *d) {
  if (d->db) {
    sqlite3_stmt *st;
    /* Every statement, cached or not, so that close cannot fail busy. */
    while ((st = sqlite3_next_stmt(d->db, NULL)) != NULL) sqlite3_finalize(st);
    sqlite3_close(d->db);
    d->db = NULL;
  }
  g_clear_pointer(&d->stmts, g_hash_table_unref);
  /* A clean end leaves an empty lock file; a crash leaves the pid. */
  if (d->lock_fd >= 0 && ftruncate(d->lock_fd, 0) != 0) {
    /* only the pid for the message of a second runner is stale */
  }
  if (d->lock_fd >= 0) close(d->lock_fd);
  d->lock_fd = -1;
  g_clear_pointer(&d->path, g_free);
}
