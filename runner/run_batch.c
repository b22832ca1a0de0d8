/* run_batch.c - the scheduler of `persona run`: one batch, one transaction.
 *
 *   BEGIN IMMEDIATE
 *     ingest at most B input lines: upsert each record as the profile's
 *       pending record, make the profile due now, advance the cursors
 *     take at most B due profiles, earliest next_wake first
 *     evaluate each at its own due time (never before its last
 *       evaluation), write its state and next_wake, add its actions to the
 *       outbox (each action_key once); a failure is recorded in eval_error
 *     remember the batch's now as last_now
 *   COMMIT
 *
 * Evaluating a profile at its due time, not at the batch's now, is what
 * makes a runner that was off for a month produce the same actions, at
 * the same logical times, with the same data visible, as one that never
 * stopped: catching up is the same sequence of evaluations, only later.
 * A record that arrived while the profile was also waiting for a timer is
 * kept aside (pending) until the evaluation at or after its arrival, so
 * the earlier timer still sees the record the profile had then.
 *
 * Delivery (prun_runner_deliver) takes the outbox in seq order, a fixed
 * batch at a time, and marks a batch delivered only after the sink took
 * it: a crash in between delivers that batch again.
 */
#include "runner.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- setup ------------------------------------------------------------------ */

void prun_runner_init(PrunRunner *r, PrunDb *db, PersonaModel *model, const char *model_hash,
                      PrunInputs *inputs, PrunSink *sink, guint batch_size, guint sink_batch, guint64 budget) {
  memset(r, 0, sizeof *r);
  r->db = db;
  r->model = model;
  r->vm = persona_vm_new(model);
  persona_vm_set_budget(r->vm, budget);
  r->model_hash = g_strdup(model_hash);
  r->inputs = inputs;
  r->sink = sink;
  r->batch_size = batch_size;
  r->sink_batch = sink_batch;
  r->key = g_string_new(NULL);
  r->payload = g_string_new(NULL);
  r->state = g_string_new(NULL);
  r->buf = g_string_new(NULL);
  r->doc = g_string_new(NULL);
}

void prun_runner_clear(PrunRunner *r) {
  g_clear_pointer(&r->vm, persona_vm_free);
  g_clear_pointer(&r->model_hash, g_free);
  g_clear_pointer(&r->sink_error, g_free);
  if (r->key) g_string_free(r->key, TRUE);
  if (r->payload) g_string_free(r->payload, TRUE);
  if (r->state) g_string_free(r->state, TRUE);
  if (r->buf) g_string_free(r->buf, TRUE);
  if (r->doc) g_string_free(r->doc, TRUE);
  r->key = r->payload = r->state = r->buf = r->doc = NULL;
  prun_seal_clear(&r->seal);
  if (r->trace) fclose(r->trace);
  if (r->tiny_steps) g_hash_table_destroy(r->tiny_steps);
  r->trace = NULL;
}

gboolean prun_runner_set_now(PrunRunner *r, gint64 wanted, gboolean *clamped, gint64 *last, GError **error) {
  gboolean found;
  *last = 0;
  if (!prun_meta_get_int(r->db, "last_now", last, &found, error)) return FALSE;
  *clamped = found && wanted < *last;
  r->now = *clamped ? *last : wanted;
  return TRUE;
}

/* ---- errors as data ------------------------------------------------------------- */

static const char error_sql[] =
    "INSERT INTO eval_error(kind, profile_key, source, at, logged_at, model_hash, message, code, field)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

/* `code` is the error's stable code (persona_result_error_code, or the
 * runner's own `unify`), `field` the path of the field it is about, or NULL. */
gboolean prun_record_error(PrunRunner *r, const char *kind, const char *profile_key, const char *source, gint64 at,
                           const char *message, const char *code, const char *field, GError **error) {
  sqlite3_stmt *st = prun_prepare(r->db, error_sql, error);
  if (!st) return FALSE;
  sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, profile_key, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, source, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, at);
  sqlite3_bind_int64(st, 5, g_get_real_time());
  sqlite3_bind_text(st, 6, r->model_hash, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 7, message, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 8, code ? code : "runtime", -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 9, field, -1, SQLITE_TRANSIENT);
  return prun_step_done(r->db, st, "cannot record an error", error);
}

/* ---- ingesting ------------------------------------------------------------------- */

/* A record makes its profile due now; an earlier due time (a timer that
 * has not been served yet) stays. A second record before the profile is
 * evaluated replaces the first but keeps its arrival time. */
static const char upsert_sql[] =
    "INSERT INTO profile(key, pending, pending_at, next_wake, records, updated_at) VALUES(?1, ?2, ?3, ?3, 1, ?4)"
    " ON CONFLICT(key) DO UPDATE SET pending = excluded.pending,"
    " pending_at = coalesce(pending_at, excluded.pending_at),"
    " next_wake = CASE WHEN next_wake IS NULL OR next_wake > excluded.pending_at"
    "   THEN excluded.pending_at ELSE next_wake END,"
    " records = records + 1, updated_at = excluded.updated_at";

/* Why a line has no usable key: the evaluator's own message when it has
 * one. */
static void line_error_message(PrunRunner *r, const char *line, gsize len, gboolean too_long, GString *out,
                               const char **code, char **field) {
  g_string_truncate(out, 0);
  *field = NULL;
  if (too_long) {
    g_string_append(out, "line is too long");
    *code = "too_large";
    return;
  }
  if (len == 0) {
    g_string_append(out, "empty line");
    *code = "bad_json";
    return;
  }
  const PersonaResult *res = NULL;
  PersonaEvalStatus st = persona_vm_eval(r->vm, line, len, NULL, 0, r->now, &res);
  const char *msg = st != PERSONA_EVAL_OK ? persona_result_error(res) : NULL;
  g_string_append(out, msg ? msg : "the record has no usable key");
  *code = msg ? persona_result_error_code(res) : "missing_field";
  *field = msg ? g_strdup(persona_result_error_field(res)) : NULL;
}

/* Only the fields the model reads are stored (docs/runtime.md, "What is
 * stored"): the record reduced to them evaluates exactly as the whole one,
 * and a phone number the model never reads never reaches the database. A
 * line that is not one well-formed JSON object cannot be reduced, and is
 * an input error like a line without a key: it is not stored either. */
static gboolean ingest_line(gpointer user, const char *source, guint64 line_no, const char *line, gsize len,
                            gboolean too_long, GError **error) {
  PrunRunner *r = user;
  r->stats.ingested++;
  if (r->unify && !too_long && len > 0) return prun_unify_keep(r, source, line_no, line, len, error);
  g_string_truncate(r->key, 0);
  g_string_truncate(r->doc, 0);
  if (too_long || len == 0 || !persona_vm_profile_key(r->vm, line, len, r->key) ||
      !persona_model_reduce_record(r->model, line, len, r->doc, NULL)) {
    const char *code = NULL;
    g_autofree char *field = NULL;
    line_error_message(r, line, len, too_long, r->buf, &code, &field);
    g_autofree char *where = g_strdup_printf("%s:%" G_GUINT64_FORMAT, source, line_no);
    r->stats.input_errors++;
    return prun_record_error(r, "input", NULL, where, r->now, r->buf->str, code, field, error);
  }
  return prun_upsert_record(r, r->key->str, r->doc->str, error);
}

gboolean prun_upsert_record(PrunRunner *r, const char *key, const char *doc, GError **error) {
  sqlite3_stmt *st = prun_prepare(r->db, upsert_sql, error);
  if (!st) return FALSE;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  prun_seal_bind(&r->seal, st, 2, key, doc);
  sqlite3_bind_int64(st, 3, r->now);
  sqlite3_bind_int64(st, 4, g_get_real_time());
  return prun_step_done(r->db, st, "cannot store a profile", error);
}

/* ---- the due profiles --------------------------------------------------------------- */

typedef struct {
  gint64 id;
  char *key, *state;
  char *doc_stored, *pending_stored; /* as in the row: sealed, or clear (run_seal.c) */
  char *doc, *pending;               /* opened */
  gboolean has_pending_at, has_last_eval, has_wake, has_change;
  gint64 pending_at, next_wake, last_eval, wake, next_change;
} DueRow;

static void due_row_clear(gpointer p) {
  DueRow *d = p;
  g_free(d->key);
  g_free(d->doc_stored);
  g_free(d->pending_stored);
  prun_seal_free_text(d->doc);
  prun_seal_free_text(d->pending);
  g_free(d->state);
}

static char *column_dup(sqlite3_stmt *st, int i) {
  const unsigned char *t = sqlite3_column_text(st, i);
  return t ? g_strndup((const char *)t, (gsize)sqlite3_column_bytes(st, i)) : NULL;
}

static const char due_sql[] =
    "SELECT id, key, doc, pending, pending_at, state, next_wake, last_eval, wake, next_change FROM profile"
    " WHERE next_wake <= ?1 ORDER BY next_wake LIMIT ?2";

/* The rows are copied out before any is updated: updating next_wake moves
 * a row in the index the SELECT walks. */
static GArray *select_due(PrunRunner *r, GError **error) {
  sqlite3_stmt *st = prun_prepare(r->db, due_sql, error);
  if (!st) return NULL;
  sqlite3_bind_int64(st, 1, r->now);
  sqlite3_bind_int64(st, 2, r->batch_size);
  GArray *rows = g_array_new(FALSE, TRUE, sizeof(DueRow));
  g_array_set_clear_func(rows, due_row_clear);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    DueRow d = {
        .id = sqlite3_column_int64(st, 0),
        .key = column_dup(st, 1),
        .doc_stored = column_dup(st, 2),
        .pending_stored = column_dup(st, 3),
        .has_pending_at = sqlite3_column_type(st, 4) != SQLITE_NULL,
        .pending_at = sqlite3_column_int64(st, 4),
        .state = column_dup(st, 5),
        .next_wake = sqlite3_column_int64(st, 6),
        .has_last_eval = sqlite3_column_type(st, 7) != SQLITE_NULL,
        .last_eval = sqlite3_column_int64(st, 7),
        .has_wake = sqlite3_column_type(st, 8) != SQLITE_NULL,
        .wake = sqlite3_column_int64(st, 8),
        .has_change = sqlite3_column_type(st, 9) != SQLITE_NULL,
        .next_change = sqlite3_column_int64(st, 9),
    };
    g_array_append_val(rows, d);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    g_array_unref(rows);
    prun_db_fail(r->db, rc, "cannot read the due profiles", error);
    return NULL;
  }
  for (guint i = 0; i < rows->len; i++) {
    DueRow *d = &g_array_index(rows, DueRow, i);
    if (!prun_seal_open(&r->seal, d->key, d->doc_stored, &d->doc, error) ||
        !prun_seal_open(&r->seal, d->key, d->pending_stored, &d->pending, error)) {
      g_array_unref(rows);
      return NULL;
    }
  }
  return rows;
}

/* ---- actions ------------------------------------------------------------------------- */

/* The action's arguments under the names `persona eval` gives them. */
static void append_arguments(GString *out, const PersonaAction *a) {
  const char *first = "channel", *second = "text";
  if (strcmp(a->kind, "send") == 0) second = "template";
  else if (strcmp(a->kind, "task") == 0) first = "queue";
  else if (strcmp(a->kind, "webhook") == 0) second = "name";
  if (a->channel) {
    g_string_append_printf(out, ",\"%s\":", first);
    persona_json_append_string(out, a->channel, -1);
  }
  if (a->text) {
    g_string_append_printf(out, ",\"%s\":", second);
    persona_json_append_string(out, a->text, -1);
  }
}

/* key: PROFILE/JOURNEY/RUN/STEP, with PROFILE the key's compact JSON
 * ("\"p1\"" or 42): unambiguous, because a JSON string or number ends
 * where it ends, a journey name is an identifier and a run a number; the
 * step id is the rest. */
static void build_action(PrunRunner *r, const char *profile_key, const PersonaAction *a) {
  g_string_truncate(r->key, 0);
  g_string_append_printf(r->key, "%s/%s/%" G_GINT64_FORMAT "/%s", profile_key, a->journey, a->run, a->step);
  GString *p = r->payload;
  g_string_truncate(p, 0);
  g_string_append(p, "{\"key\":");
  persona_json_append_string(p, r->key->str, -1);
  g_string_append(p, ",\"profile\":");
  g_string_append(p, profile_key);
  g_string_append(p, ",\"journey\":");
  persona_json_append_string(p, a->journey, -1);
  g_string_append_printf(p, ",\"run\":%" G_GINT64_FORMAT ",\"step\":", a->run);
  persona_json_append_string(p, a->step, -1);
  g_string_append(p, ",\"kind\":");
  persona_json_append_string(p, a->kind, -1);
  append_arguments(p, a);
  char at[PRUN_TIME_BUF];
  prun_format_time(a->at_us, at);
  g_string_append_printf(p, ",\"at\":\"%s\"}", at);
}

static const char outbox_sql[] =
    "INSERT INTO outbox(action_key, profile_key, at, evaluated_at, payload) VALUES(?1, ?2, ?3, ?4, ?5)"
    " ON CONFLICT(action_key) DO NOTHING";

static gboolean insert_action(PrunRunner *r, const char *profile_key, const PersonaAction *a, gint64 eval_at,
                              GError **error) {
  build_action(r, profile_key, a);
  sqlite3_stmt *st = prun_prepare(r->db, outbox_sql, error);
  if (!st) return FALSE;
  sqlite3_bind_text(st, 1, r->key->str, (int)r->key->len, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, profile_key, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, a->at_us);
  sqlite3_bind_int64(st, 4, eval_at);
  sqlite3_bind_text(st, 5, r->payload->str, (int)r->payload->len, SQLITE_STATIC);
  if (!prun_step_done(r->db, st, "cannot write the outbox", error)) return FALSE;
  if (sqlite3_changes(r->db->db) == 0) {
    /* Cannot happen while states are stored with their actions: an action
     * comes out of exactly one evaluation. Said, never silent. */
    prun_warn("warning: action %s is already in the outbox; not added again", r->key->str);
  } else {
    r->stats.actions++;
  }
  return TRUE;
}

/* ---- evaluating one profile ------------------------------------------------------------ */

/* --migrate keep of a journey or lifecycle the model no longer has: the
 * VM leaves out of the new state what its model does not declare, so
 * the entries of the old state whose names the new state lacks are added
 * back, unchanged, and a model that has them again resumes them. */
static const char carry_sql[] =
    "SELECT json_set(?1,"
    " '$.lifecycles', (SELECT json_group_array(json(value)) FROM (SELECT value FROM json_each(?1, '$.lifecycles')"
    "   UNION ALL SELECT value FROM json_each(?2, '$.lifecycles') WHERE json_extract(value, '$.name') NOT IN"
    "   (SELECT json_extract(value, '$.name') FROM json_each(?1, '$.lifecycles')))),"
    " '$.journeys', (SELECT json_group_array(json(value)) FROM (SELECT value FROM json_each(?1, '$.journeys')"
    "   UNION ALL SELECT value FROM json_each(?2, '$.journeys') WHERE json_extract(value, '$.name') NOT IN"
    "   (SELECT json_extract(value, '$.name') FROM json_each(?1, '$.journeys')))))";

static gboolean carry_unknown(PrunRunner *r, const char *old_state, GError **error) {
  sqlite3_stmt *st = prun_prepare(r->db, carry_sql, error);
  if (!st) return FALSE;
  sqlite3_bind_text(st, 1, r->state->str, (int)r->state->len, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, old_state, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_TEXT) {
    g_string_truncate(r->state, 0);
    g_string_append_len(r->state, (const char *)sqlite3_column_text(st, 0), sqlite3_column_bytes(st, 0));
  }
  sqlite3_reset(st);
  return rc == SQLITE_ROW || prun_db_fail(r->db, rc, "cannot keep the states the model does not declare", error);
}

static const char update_ok_sql[] =
    "UPDATE profile SET doc = ?2, pending = ?3, pending_at = ?4, state = ?5, model_hash = ?6, wake = ?7,"
    " next_wake = ?8, last_eval = ?9, failed = 0, evals = evals + 1, updated_at = ?10, next_change = ?11"
    " WHERE id = ?1";
static const char update_failed_sql[] =
    "UPDATE profile SET doc = ?2, pending = ?3, pending_at = ?4, next_wake = ?4, last_eval = ?5, failed = 1,"
    " evals = evals + 1, updated_at = ?6, next_change = NULL WHERE id = ?1";

static void earliest(gboolean *has, gint64 *at, gboolean has_other, gint64 other) {
  if (has_other && (!*has || other < *at)) *at = other, *has = TRUE;
}

static void bind_opt_int(sqlite3_stmt *st, int i, gboolean has, gint64 v) {
  if (has) sqlite3_bind_int64(st, i, v);
  else sqlite3_bind_null(st, i);
}

/* The instant the result could next change by time alone, for the
 * schedule: the VM's next_change when it is after `at`. One at or before
 * `at` would evaluate the profile again at the same instant, forever: it
 * is a bug of the evaluator, said once per run, and the profile is
 * evaluated next at the run's now instead (or not at all when `at` is the
 * run's now), so that every step moves strictly forward. */
static gboolean next_change_after(PrunRunner *r, const PersonaResult *res, gint64 at, gint64 *change) {
  if (!persona_result_next_change(res, change)) return FALSE;
  if (*change > at) return TRUE;
  if (!r->warned_change) {
    char when[PRUN_TIME_BUF], eval_at[PRUN_TIME_BUF];
    prun_format_time(*change, when);
    prun_format_time(at, eval_at);
    prun_warn("warning: an evaluation at %s said its result changes at %s, not after it (a bug of the evaluator): "
              "evaluated again at the run's now instead",
              eval_at, when);
    r->warned_change = TRUE;
  }
  *change = r->now;
  return at < r->now;
}

/* A result whose next_change keeps coming within a millisecond holds a
 * value that changes "at any time" (docs/language.md, "When results
 * change": a continuous value compared while `now` moves, which Persona
 * does not follow). Stepping it a microsecond at a time would never catch
 * up, so after PRUN_TINY_STEPS_MAX such steps in a row (a floating-point
 * crossing settles in a few) the profile is evaluated next at the run's
 * now, or, when this evaluation was at the run's now (--watch), a minute
 * later. Said once a run. */
#define PRUN_TINY_STEP_US 1000
#define PRUN_TINY_STEPS_MAX 32
#define PRUN_ANY_TIME_STEP_US (60 * G_USEC_PER_SEC)

static void limit_tiny_steps(PrunRunner *r, gint64 id, gint64 at, gboolean has_change, gint64 *change) {
  if (!has_change || *change - at >= PRUN_TINY_STEP_US) {
    /* The common case, once per evaluation: no table, no hashing. */
    if (r->tiny_steps && g_hash_table_size(r->tiny_steps)) g_hash_table_remove(r->tiny_steps, &id);
    return;
  }
  if (!r->tiny_steps) r->tiny_steps = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
  guint n = GPOINTER_TO_UINT(g_hash_table_lookup(r->tiny_steps, &id)) + 1;
  g_hash_table_replace(r->tiny_steps, g_memdup2(&id, sizeof id), GUINT_TO_POINTER(MIN(n, G_MAXUINT - 1)));
  if (n <= PRUN_TINY_STEPS_MAX) return;
  *change = at < r->now ? r->now : at + PRUN_ANY_TIME_STEP_US;
  if (r->warned_any_time) return;
  r->warned_any_time = TRUE;
  prun_warn("warning: a profile's result changes at any time (a value compared while now moves that Persona does "
            "not follow: docs/language.md, \"When results change\"); after %d steps under a millisecond it is "
            "evaluated at the run's now, or a minute later under --watch (docs/runtime.md)",
            PRUN_TINY_STEPS_MAX);
}

/* PERSONA_RUN_TRACE=FILE (tests and benchmarks only): one line per
 * evaluation, {"key":KEY,"at":TIME,"catch_up":BOOL,"result":RESULT}, RESULT
 * being the object `persona eval` prints (null when the evaluation
 * failed). It holds what `persona eval` would print, no more: a pii value
 * only masked. Lines of a batch that is rolled back stay in it. */
static void test_trace(PrunRunner *r, const char *key, gint64 at, gboolean catch_up, const PersonaResult *res) {
  if (!r->trace_checked) {
    r->trace_checked = TRUE;
    const char *path = getenv("PERSONA_RUN_TRACE");
    if (path && *path && !(r->trace = fopen(path, "a")))
      prun_warn("cannot open PERSONA_RUN_TRACE '%s': %s", path, g_strerror(errno));
  }
  if (!r->trace) return;
  char when[PRUN_TIME_BUF];
  prun_format_time(at, when);
  GString *line = r->buf;
  g_string_truncate(line, 0);
  g_string_append_printf(line, "{\"key\":%s,\"at\":\"%s\",\"catch_up\":%s,\"result\":", key, when,
                         catch_up ? "true" : "false");
  if (res) persona_result_to_json(res, line);
  else g_string_append(line, "null");
  g_string_append(line, "}\n");
  fwrite(line->str, 1, line->len, r->trace);
}

/* Was this evaluation made for time alone (the profile's next_change came,
 * not a record or a journey's wake-up)? */
static gboolean due_to_change(const DueRow *d, gboolean consumed) {
  return d->has_change && d->next_change == d->next_wake && !consumed && !(d->has_wake && d->wake == d->next_wake);
}

static gboolean evaluate_one(PrunRunner *r, DueRow *d, GError **error) {
  /* Its own due time; never before its last evaluation (time goes
   * forward for every profile), never after the batch's now. */
  gint64 at = d->next_wake;
  if (d->has_last_eval && d->last_eval > at) at = d->last_eval;
  if (at > r->now) at = r->now;
  const char *doc = d->doc;
  /* The row keeps the record as stored: a sealed record is not sealed
   * again (the pending one becomes the doc as it is, same profile). */
  const char *doc_stored = d->doc_stored;
  gboolean consumed = FALSE;
  if (d->pending && d->has_pending_at && d->pending_at <= at) {
    doc = d->pending;
    doc_stored = d->pending_stored;
    consumed = TRUE;
  }
  gboolean still_pending = d->pending && !consumed;
  if (!doc) {
    /* Nothing to evaluate yet (cannot happen: a profile without a record
     * is never due); wait for the pending record. */
    doc = doc_stored = "";
  }
  const PersonaResult *res = NULL;
  PersonaEvalStatus status =
      persona_vm_eval(r->vm, doc, strlen(doc), d->state, d->state ? strlen(d->state) : 0, at, &res);
  gint64 wall = g_get_real_time();
  sqlite3_stmt *st;
  if (status != PERSONA_EVAL_OK) {
    r->stats.failed++;
    const char *msg = persona_result_error(res);
    if (!prun_record_error(r, "eval", d->key, NULL, at, msg ? msg : "evaluation failed", persona_result_error_code(res),
                           persona_result_error_field(res), error))
      return FALSE;
    /* Not due again until something changes: a new record, a new model
     * (prun_runner_check_model), or --retry-errors. The state is kept. */
    st = prun_prepare(r->db, update_failed_sql, error);
    if (!st) return FALSE;
    sqlite3_bind_int64(st, 1, d->id);
    sqlite3_bind_text(st, 2, doc_stored, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, still_pending ? d->pending_stored : NULL, -1, SQLITE_STATIC);
    bind_opt_int(st, 4, still_pending, d->pending_at); /* due again only for that record */
    sqlite3_bind_int64(st, 5, at);
    sqlite3_bind_int64(st, 6, wall);
  } else {
    r->stats.evaluated++;
    if (due_to_change(d, consumed)) r->stats.catch_up++;
    guint n = persona_result_n_actions(res);
    for (guint i = 0; i < n; i++) {
      PersonaAction a;
      persona_result_action(res, i, &a);
      if (!insert_action(r, d->key, &a, at, error)) return FALSE;
    }
    g_string_truncate(r->state, 0);
    persona_result_state_json(res, r->state);
    if (r->carry_unknown && d->state && !carry_unknown(r, d->state, error)) return FALSE;
    gint64 wake = 0, change = 0;
    gboolean has_wake = persona_result_next_wake(res, &wake);
    gboolean has_change = next_change_after(r, res, at, &change);
    limit_tiny_steps(r, d->id, at, has_change, &change);
    /* Due at the earliest of the journeys' wake-up, the next change by
     * time alone and the pending record's arrival. */
    gboolean has_next = FALSE;
    gint64 next = 0;
    earliest(&has_next, &next, has_wake, wake);
    earliest(&has_next, &next, has_change, change);
    earliest(&has_next, &next, still_pending, d->pending_at);
    st = prun_prepare(r->db, update_ok_sql, error);
    if (!st) return FALSE;
    sqlite3_bind_int64(st, 1, d->id);
    sqlite3_bind_text(st, 2, doc_stored, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, still_pending ? d->pending_stored : NULL, -1, SQLITE_STATIC);
    bind_opt_int(st, 4, still_pending, d->pending_at);
    sqlite3_bind_text(st, 5, r->state->str, (int)r->state->len, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, r->model_hash, -1, SQLITE_STATIC);
    bind_opt_int(st, 7, has_wake, wake);
    bind_opt_int(st, 8, has_next, next);
    sqlite3_bind_int64(st, 9, at);
    sqlite3_bind_int64(st, 10, wall);
    bind_opt_int(st, 11, has_change, change);
  }
  test_trace(r, d->key, at, due_to_change(d, consumed), status == PERSONA_EVAL_OK ? res : NULL);
  return prun_step_done(r->db, st, "cannot store a profile's state", error);
}

/* ---- one batch --------------------------------------------------------------------------- */

/* One "batch" log event: what this batch did and how long it took. */
static void log_batch(PrunRunner *r, const PrunStats *before, guint n_due, gint64 took_us) {
  GString *ev = prun_log_begin("info", "batch");
  if (!ev) return;
  prun_log_int(ev, "records", (gint64)(r->stats.ingested - before->ingested));
  prun_log_int(ev, "due", n_due);
  prun_log_int(ev, "evaluated", (gint64)(r->stats.evaluated - before->evaluated));
  prun_log_int(ev, "catch_up", (gint64)(r->stats.catch_up - before->catch_up));
  prun_log_int(ev, "failed", (gint64)(r->stats.failed - before->failed));
  prun_log_int(ev, "input_errors", (gint64)(r->stats.input_errors - before->input_errors));
  prun_log_int(ev, "actions", (gint64)(r->stats.actions - before->actions));
  prun_log_time(ev, "now", r->now);
  prun_log_ms(ev, "ms", took_us);
  prun_log_end(ev);
}

gboolean prun_runner_batch(PrunRunner *r, gboolean *did_work, GError **error) {
  *did_work = FALSE;
  PrunStats before = r->stats;
  gint64 started = g_get_monotonic_time();
  if (!prun_begin(r->db, error)) return FALSE;
  guint n_in = 0;
  g_autoptr(GArray) due = NULL;
  /* Unifying joins every kept record again after new ones came: it reads
   * all new lines at once, to join once. */
  guint max_in = r->unify ? G_MAXUINT : r->batch_size;
  r->unify_new = 0;
  if (r->inputs && !prun_inputs_ingest(r->inputs, r->db, max_in, ingest_line, r, &n_in, error)) goto fail;
  if ((r->unify_new || r->unify_stale) && !prun_unify_apply(r, error)) goto fail;
  due = select_due(r, error);
  if (!due) goto fail;
  if (n_in == 0 && due->len == 0 && !r->unify_stale) {
    prun_rollback(r->db); /* nothing to write: no commit, no fsync */
    return TRUE;
  }
  for (guint i = 0; i < due->len; i++) {
    if (i == due->len / 2) prun_crash_point("mid-batch");
    prun_test_pace();
    if (!evaluate_one(r, &g_array_index(due, DueRow, i), error)) goto fail;
  }
  if (!prun_meta_set_int(r->db, "last_now", r->now, error)) goto fail;
  prun_crash_point("before-commit");
  if (!prun_commit(r->db, error)) goto fail;
  if (r->inputs) prun_inputs_committed(r->inputs);
  r->unify_stale = FALSE;
  r->stats.batches++;
  r->stats.last_batch_us = g_get_monotonic_time() - started;
  log_batch(r, &before, due->len, r->stats.last_batch_us);
  prun_crash_point("after-commit");
  *did_work = TRUE;
  return TRUE;
fail:
  prun_rollback(r->db);
  return FALSE;
}

gboolean prun_db_next_wake(PrunDb *d, gint64 *at, gboolean *found, GError **error) {
  sqlite3_stmt *st = prun_prepare(d, "SELECT min(next_wake) FROM profile WHERE next_wake IS NOT NULL", error);
  if (!st) return FALSE;
  int rc = sqlite3_step(st);
  *found = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
  if (*found) *at = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return rc == SQLITE_ROW || prun_db_fail(d, rc, "cannot read the next wake-up", error);
}

gboolean prun_runner_retry_errors(PrunRunner *r, guint64 *n, GError **error) {
  sqlite3_stmt *st = prun_prepare(r->db,
                                  "UPDATE profile SET next_wake = CASE WHEN next_wake IS NULL OR next_wake >"
                                  " coalesce(last_eval, ?1) THEN coalesce(last_eval, ?1) ELSE next_wake END"
                                  " WHERE failed = 1",
                                  error);
  if (!st) return FALSE;
  sqlite3_bind_int64(st, 1, r->now);
  if (!prun_step_done(r->db, st, "cannot schedule the failed profiles", error)) return FALSE;
  *n = (guint64)sqlite3_changes(r->db->db);
  return TRUE;
}

/* ---- a changed model -------------------------------------------------------------------- */

typedef struct {
  gboolean journey; /* else a lifecycle */
  gboolean gone;    /* the model does not declare it at all */
  char *name, *where; /* journey and step, or lifecycle and stage */
  gint64 count;
  char *message;
} Problem;

static void problem_clear(gpointer p) {
  Problem *x = p;
  g_free(x->name);
  g_free(x->where);
  g_free(x->message);
}

static const char journeys_sql[] =
    "SELECT json_extract(j.value, '$.name'), json_extract(j.value, '$.step'), count(*), min(p.id)"
    " FROM profile p, json_each(p.state, '$.journeys') j"
    " WHERE p.state IS NOT NULL AND json_valid(p.state) AND json_extract(j.value, '$.status') = 'active'"
    " GROUP BY 1, 2 ORDER BY 1, 2";
static const char journey_sample_sql[] =
    "SELECT coalesce(p.doc, p.pending), p.last_eval, j.value, p.key FROM profile p, json_each(p.state, '$.journeys') j"
    " WHERE p.id = ?1 AND json_extract(j.value, '$.status') = 'active' AND json_extract(j.value, '$.name') IS ?2"
    " AND json_extract(j.value, '$.step') IS ?3 LIMIT 1";
static const char lifecycles_sql[] =
    "SELECT json_extract(l.value, '$.name'), json_extract(l.value, '$.stage'), count(*), min(p.id)"
    " FROM profile p, json_each(p.state, '$.lifecycles') l"
    " WHERE p.state IS NOT NULL AND json_valid(p.state) GROUP BY 1, 2 ORDER BY 1, 2";
static const char lifecycle_sample_sql[] =
    "SELECT coalesce(p.doc, p.pending), p.last_eval, l.value, p.key FROM profile p, json_each(p.state, '$.lifecycles') l"
    " WHERE p.id = ?1 AND json_extract(l.value, '$.name') IS ?2 AND json_extract(l.value, '$.stage') IS ?3 LIMIT 1";

/* Does the new model accept this one piece of stored state? The sample
 * profile is evaluated with a state holding only that piece, and with an
 * empty state: an error with the piece and none without it is the
 * piece's fault. Returns the message, or NULL when the piece is fine. */
static char *try_piece(PrunRunner *r, const char *doc, gint64 at, const char *piece, gboolean journey) {
  if (!doc) return NULL;
  const PersonaResult *res = NULL;
  static const char empty[] = "{\"v\":1,\"lifecycles\":[],\"journeys\":[]}";
  if (persona_vm_eval(r->vm, doc, strlen(doc), empty, strlen(empty), at, &res) != PERSONA_EVAL_OK) return NULL;
  g_autofree char *state = journey ? g_strdup_printf("{\"v\":1,\"lifecycles\":[],\"journeys\":[%s]}", piece)
                                   : g_strdup_printf("{\"v\":1,\"lifecycles\":[%s],\"journeys\":[]}", piece);
  if (persona_vm_eval(r->vm, doc, strlen(doc), state, strlen(state), at, &res) == PERSONA_EVAL_OK) return NULL;
  const char *msg = persona_result_error(res);
  return g_strdup(msg ? msg : "the state is not accepted");
}

static gboolean find_problems(PrunRunner *r, gboolean journeys, GArray *problems, GError **error) {
  sqlite3_stmt *st = prun_prepare(r->db, journeys ? journeys_sql : lifecycles_sql, error);
  if (!st) return FALSE;
  g_autoptr(GArray) groups = g_array_new(FALSE, TRUE, sizeof(Problem));
  g_array_set_clear_func(groups, problem_clear);
  g_autoptr(GArray) samples = g_array_new(FALSE, TRUE, sizeof(gint64));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    Problem p = {.journey = journeys, .name = column_dup(st, 0), .where = column_dup(st, 1),
                 .count = sqlite3_column_int64(st, 2)};
    gint64 sample = sqlite3_column_int64(st, 3);
    g_array_append_val(groups, p);
    g_array_append_val(samples, sample);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return prun_db_fail(r->db, rc, "cannot read the stored states", error);
  for (guint i = 0; i < groups->len; i++) {
    Problem *p = &g_array_index(groups, Problem, i);
    st = prun_prepare(r->db, journeys ? journey_sample_sql : lifecycle_sample_sql, error);
    if (!st) return FALSE;
    sqlite3_bind_int64(st, 1, g_array_index(samples, gint64, i));
    sqlite3_bind_text(st, 2, p->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, p->where, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      g_autofree char *stored = column_dup(st, 0);
      gint64 at = sqlite3_column_type(st, 1) == SQLITE_NULL ? r->now : sqlite3_column_int64(st, 1);
      g_autofree char *piece = column_dup(st, 2);
      g_autofree char *key = column_dup(st, 3);
      sqlite3_reset(st);
      char *doc = NULL;
      if (!prun_seal_open(&r->seal, key, stored, &doc, error)) return FALSE;
      p->message = try_piece(r, doc, at, piece, journeys);
      prun_seal_free_text(doc);
    } else {
      sqlite3_reset(st);
      if (rc != SQLITE_DONE) return prun_db_fail(r->db, rc, "cannot read the stored states", error);
    }
    if (p->message) {
      Problem copy = *p;
      memset(p, 0, sizeof *p);
      g_array_append_val(problems, copy);
    }
  }
  return TRUE;
}

static const char migrate_log_sql[] =
    "INSERT INTO eval_error(kind, profile_key, source, at, logged_at, model_hash, message, code)"
    " SELECT 'migrate', p.key, NULL, ?3, ?4, ?5, ?6, 'bad_state' FROM profile p, json_each(p.state, '$.journeys') j"
    " WHERE p.state IS NOT NULL AND json_valid(p.state) AND json_extract(j.value, '$.status') = 'active'"
    " AND json_extract(j.value, '$.name') IS ?1 AND json_extract(j.value, '$.step') IS ?2";
/* The journey's entry becomes what an exit leaves: status "exited", no
 * position, ended now. Other entries are copied as they are. */
static const char migrate_exit_sql[] =
    "UPDATE profile SET updated_at = ?4, state = json_set(state, '$.journeys', (SELECT json_group_array(json("
    "   CASE WHEN json_extract(j.value, '$.status') = 'active' AND json_extract(j.value, '$.name') IS ?1"
    "     AND json_extract(j.value, '$.step') IS ?2"
    "   THEN json_set(j.value, '$.status', 'exited', '$.step', NULL, '$.since', NULL, '$.wake', NULL,"
    "     '$.ended', ?3)"
    "   ELSE j.value END)) FROM json_each(profile.state, '$.journeys') j))"
    " WHERE id IN (SELECT p.id FROM profile p, json_each(p.state, '$.journeys') j"
    "   WHERE p.state IS NOT NULL AND json_valid(p.state) AND json_extract(j.value, '$.status') = 'active'"
    "   AND json_extract(j.value, '$.name') IS ?1 AND json_extract(j.value, '$.step') IS ?2)";

static gboolean exit_orphans(PrunRunner *r, const Problem *p, GError **error) {
  char ended[PRUN_TIME_BUF];
  prun_format_time(r->now, ended);
  g_autofree char *msg = g_strdup_printf("migrate: %s; the journey was ended as exited (--migrate exit)", p->message);
  sqlite3_stmt *st = prun_prepare(r->db, migrate_log_sql, error);
  if (!st) return FALSE;
  sqlite3_bind_text(st, 1, p->name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, p->where, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, r->now);
  sqlite3_bind_int64(st, 4, g_get_real_time());
  sqlite3_bind_text(st, 5, r->model_hash, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 6, msg, -1, SQLITE_STATIC);
  if (!prun_step_done(r->db, st, "cannot record the migration", error)) return FALSE;
  st = prun_prepare(r->db, migrate_exit_sql, error);
  if (!st) return FALSE;
  sqlite3_bind_text(st, 1, p->name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, p->where, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, ended, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, g_get_real_time());
  return prun_step_done(r->db, st, "cannot migrate the states", error);
}

/* Journeys and lifecycles in stored states that the model does not
 * declare at all: the VM would leave them out of every new state, and a
 * profile that re-enters later would start again from nothing. Any
 * entry counts, ended journeys too: their run counts decide re-entry. */
static const char names_sql[] =
    "SELECT json_extract(j.value, '$.name'), count(*), sum(json_extract(j.value, '$.status') = 'active')"
    " FROM profile p, json_each(p.state, '$.journeys') j WHERE p.state IS NOT NULL AND json_valid(p.state)"
    " GROUP BY 1 ORDER BY 1";
static const char lc_names_sql[] =
    "SELECT json_extract(l.value, '$.name'), count(*), 0"
    " FROM profile p, json_each(p.state, '$.lifecycles') l WHERE p.state IS NOT NULL AND json_valid(p.state)"
    " GROUP BY 1 ORDER BY 1";

static gboolean model_declares(PersonaModel *m, PersonaItemKind kind, const char *name) {
  guint n = persona_model_n_items(m, kind);
  for (guint i = 0; i < n; i++)
    if (name && strcmp(persona_model_item_name(m, kind, i), name) == 0) return TRUE;
  return FALSE;
}

static gboolean find_gone(PrunRunner *r, gboolean journeys, GArray *problems, GError **error) {
  sqlite3_stmt *st = prun_prepare(r->db, journeys ? names_sql : lc_names_sql, error);
  if (!st) return FALSE;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    g_autofree char *name = column_dup(st, 0);
    if (model_declares(r->model, journeys ? PERSONA_ITEM_JOURNEY : PERSONA_ITEM_LIFECYCLE, name)) continue;
    gint64 count = sqlite3_column_int64(st, 1), active = sqlite3_column_int64(st, 2);
    Problem p = {.journey = journeys, .gone = TRUE, .name = g_strdup(name ? name : "?"), .count = count};
    if (journeys)
      p.message = g_strdup_printf("state of journey %s, which the model does not declare (%" G_GINT64_FORMAT
                                  " active, %" G_GINT64_FORMAT " ended)",
                                  p.name, active, count - active);
    else
      p.message = g_strdup_printf("state of lifecycle %s, which the model does not declare", p.name);
    g_array_append_val(problems, p);
  }
  sqlite3_reset(st);
  return rc == SQLITE_DONE || prun_db_fail(r->db, rc, "cannot read the stored states", error);
}

static const char drop_log_sql[] =
    "INSERT INTO eval_error(kind, profile_key, source, at, logged_at, model_hash, message, code)"
    " SELECT 'migrate', p.key, NULL, ?2, ?3, ?4, ?5, 'bad_state' FROM profile p"
    " WHERE p.state IS NOT NULL AND json_valid(p.state) AND EXISTS (SELECT 1 FROM json_each(p.state, ?6) j"
    "   WHERE json_extract(j.value, '$.name') IS ?1)";
static const char drop_sql[] =
    "UPDATE profile SET updated_at = ?2, state = json_set(state, ?3, (SELECT json_group_array(json(j.value))"
    "   FROM json_each(profile.state, ?3) j WHERE json_extract(j.value, '$.name') IS NOT ?1))"
    " WHERE state IS NOT NULL AND json_valid(state) AND EXISTS (SELECT 1 FROM json_each(state, ?3) j"
    "   WHERE json_extract(j.value, '$.name') IS ?1)";

/* --migrate exit of a journey or lifecycle the model does not declare:
 * its entries leave the states, each profile's loss recorded. */
static gboolean drop_gone(PrunRunner *r, const Problem *p, GError **error) {
  const char *path = p->journey ? "$.journeys" : "$.lifecycles";
  g_autofree char *msg = g_strdup_printf("migrate: %s; its state was removed (--migrate exit)", p->message);
  sqlite3_stmt *st = prun_prepare(r->db, drop_log_sql, error);
  if (!st) return FALSE;
  sqlite3_bind_text(st, 1, p->name, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, r->now);
  sqlite3_bind_int64(st, 3, g_get_real_time());
  sqlite3_bind_text(st, 4, r->model_hash, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, msg, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 6, path, -1, SQLITE_STATIC);
  if (!prun_step_done(r->db, st, "cannot record the migration", error)) return FALSE;
  st = prun_prepare(r->db, drop_sql, error);
  if (!st) return FALSE;
  sqlite3_bind_text(st, 1, p->name, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, g_get_real_time());
  sqlite3_bind_text(st, 3, path, -1, SQLITE_STATIC);
  return prun_step_done(r->db, st, "cannot migrate the states", error);
}

static void describe_problems(GString *out, GArray *problems) {
  for (guint i = 0; i < problems->len; i++) {
    const Problem *p = &g_array_index(problems, Problem, i);
    g_string_append_printf(out, "\n  %" G_GINT64_FORMAT " profile%s: %s", p->count, p->count == 1 ? "" : "s",
                           p->message);
  }
}

/* Another model entirely (another `model NAME`): refused until the
 * operator says it is meant. */
static gboolean check_model_name(PrunRunner *r, PrunMigrate migrate, GError **error) {
  g_autofree char *stored = NULL;
  if (!prun_meta_get_text(r->db, "model_name", &stored, error)) return FALSE;
  const char *name = persona_model_name(r->model);
  if (!stored || !*stored || g_strcmp0(stored, name) == 0) return TRUE;
  if (migrate == PRUN_MIGRATE_NONE) {
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_MIGRATE,
                "'%s' holds the states of model '%s'; this is model '%s': nothing was evaluated.\nIf the model was "
                "renamed, run again with --migrate keep (or exit); the stored states are then checked against it "
                "like any new version. To run another model, give it a database of its own. See docs/runtime.md, "
                "\"Model upgrades\".",
                r->db->path, stored, name ? name : "");
    return FALSE;
  }
  prun_warn("the model is now '%s' (was '%s'): accepted (--migrate)", name ? name : "", stored);
  return TRUE;
}

/* The stored next_change of every profile is the old model's: when its
 * results change by time alone is a question of the model's conditions.
 * Every profile the old model evaluated is due now, so that the new model
 * tells its own next_change (and takes at now what it holds already);
 * from then on its changes are taken at their instants. */
static gboolean reschedule_for_model(PrunRunner *r, GError **error) {
  sqlite3_stmt *st = prun_prepare(r->db,
                                  "UPDATE profile SET next_wake = max(?1, coalesce(last_eval, ?1))"
                                  " WHERE failed = 0 AND state IS NOT NULL AND (next_wake IS NULL OR next_wake >"
                                  " max(?1, coalesce(last_eval, ?1)))",
                                  error);
  if (!st) return FALSE;
  sqlite3_bind_int64(st, 1, r->now);
  return prun_step_done(r->db, st, "cannot schedule the profiles for the new model", error);
}

static gboolean apply_model_change(PrunRunner *r, PrunMigrate migrate, const char *old_hash, GError **error) {
  g_autoptr(GArray) problems = g_array_new(FALSE, TRUE, sizeof(Problem));
  g_array_set_clear_func(problems, problem_clear);
  if (!check_model_name(r, migrate, error)) return FALSE;
  if (!find_gone(r, TRUE, problems, error) || !find_gone(r, FALSE, problems, error)) return FALSE;
  if (!find_problems(r, TRUE, problems, error) || !find_problems(r, FALSE, problems, error)) return FALSE;
  if (problems->len > 0 && migrate == PRUN_MIGRATE_NONE) {
    g_autoptr(GString) msg = g_string_new(NULL);
    g_string_append_printf(msg,
                           "the model changed (sha256 %.12s… before, %.12s… now) and stored states do "
                           "not fit it; nothing was evaluated:",
                           old_hash, r->model_hash);
    describe_problems(msg, problems);
    g_string_append(msg, "\nRun again with --migrate exit to end those journeys as exited (and remove the states "
                         "of journeys and lifecycles the model does not declare), or --migrate keep to keep the "
                         "states as they are (profiles waiting at missing steps fail, recorded in --errors, until a "
                         "model has their steps again; undeclared journeys and lifecycles are carried along "
                         "unchanged). See docs/runtime.md, \"Model upgrades\".");
    g_set_error_literal(error, PRUN_ERROR, PRUN_ERROR_MIGRATE, msg->str);
    return FALSE;
  }
  gboolean carry = FALSE;
  for (guint i = 0; i < problems->len; i++) {
    const Problem *p = &g_array_index(problems, Problem, i);
    if (migrate == PRUN_MIGRATE_EXIT && p->gone) {
      if (!drop_gone(r, p, error)) return FALSE;
    } else if (migrate == PRUN_MIGRATE_EXIT && p->journey) {
      if (!exit_orphans(r, p, error)) return FALSE;
    } else if (p->gone) {
      carry = TRUE;
    }
  }
  r->carry_unknown = carry;
  if (!prun_meta_set_int(r->db, "carry_unknown", carry, error)) return FALSE;
  if (problems->len > 0) {
    g_autoptr(GString) msg = g_string_new("the model changed; stored states that do not fit it:");
    describe_problems(msg, problems);
    g_string_append(msg, migrate == PRUN_MIGRATE_EXIT
                             ? "\njourneys at missing steps were ended as exited, the states of undeclared journeys "
                               "and lifecycles removed (--migrate exit)"
                             : "\nkept as they are (--migrate keep): evaluations at missing steps fail until a model "
                               "fits; undeclared journeys and lifecycles are carried along unchanged");
    prun_warn("%s", msg->str);
  }
  /* Profiles that failed with the old model get another chance. */
  guint64 n;
  return prun_runner_retry_errors(r, &n, error) && reschedule_for_model(r, error);
}

gboolean prun_runner_check_model(PrunRunner *r, PrunMigrate migrate, GError **error) {
  if (!prun_begin(r->db, error)) return FALSE;
  g_autofree char *stored = NULL;
  if (!prun_meta_get_text(r->db, "model_hash", &stored, error)) goto fail;
  gint64 carry = 0;
  gboolean found;
  if (!prun_meta_get_int(r->db, "carry_unknown", &carry, &found, error)) goto fail;
  r->carry_unknown = found && carry;
  if (stored && strcmp(stored, r->model_hash) == 0) return prun_commit(r->db, error);
  if (stored) {
    if (!apply_model_change(r, migrate, stored, error)) goto fail;
    if (!prun_meta_set_text(r->db, "previous_model_hash", stored, error)) goto fail;
  }
  const char *name = persona_model_name(r->model), *version = persona_model_version(r->model);
  if (!prun_meta_set_text(r->db, "model_hash", r->model_hash, error) ||
      !prun_meta_set_text(r->db, "model_name", name ? name : "", error) ||
      !prun_meta_set_text(r->db, "model_version", version ? version : "", error) ||
      !prun_meta_set_int(r->db, "model_since", r->now, error))
    goto fail;
  return prun_commit(r->db, error);
fail:
  prun_rollback(r->db);
  return FALSE;
}

/* ---- delivery ------------------------------------------------------------------------------ */

static const char head_sql[] =
    "SELECT seq, batch, next_attempt FROM outbox WHERE delivered_at IS NULL ORDER BY seq LIMIT 1";
static const char claim_end_sql[] =
    "SELECT max(seq) FROM (SELECT seq FROM outbox WHERE delivered_at IS NULL ORDER BY seq LIMIT ?1)";
static const char claim_sql[] =
    "UPDATE outbox SET batch = ?1 WHERE seq BETWEEN ?1 AND ?2 AND delivered_at IS NULL";
static const char batch_rows_sql[] =
    "SELECT payload FROM outbox WHERE batch = ?1 AND delivered_at IS NULL ORDER BY seq";
static const char mark_sql[] =
    "UPDATE outbox SET delivered_at = ?2, attempts = attempts + 1, last_error = NULL, next_attempt = NULL"
    " WHERE batch = ?1 AND delivered_at IS NULL";
/* Backoff: 1 s after the first failure, doubling, at most 5 minutes. */
static const char failed_sql[] =
    "UPDATE outbox SET attempts = attempts + 1, last_error = ?2,"
    " next_attempt = ?3 + min(300000000, 1000000 * (1 << min(attempts, 9)))"
    " WHERE batch = ?1 AND delivered_at IS NULL";

/* The next batch to deliver: the one a crashed attempt left claimed, or
 * the next sink_batch pending actions, claimed now (committed before the
 * sink sees them, so that a redelivery is the very same batch). */
static gboolean claim_batch(PrunRunner *r, gint64 *batch, gint64 *next_attempt, gboolean *any, GError **error) {
  *any = FALSE;
  *next_attempt = 0;
  if (!prun_begin(r->db, error)) return FALSE;
  sqlite3_stmt *st = prun_prepare(r->db, head_sql, error);
  if (!st) goto fail;
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
      prun_db_fail(r->db, rc, "cannot read the outbox", error);
      goto fail;
    }
    prun_rollback(r->db);
    return TRUE;
  }
  gint64 first = sqlite3_column_int64(st, 0);
  gboolean claimed = sqlite3_column_type(st, 1) != SQLITE_NULL;
  *batch = claimed ? sqlite3_column_int64(st, 1) : first;
  if (sqlite3_column_type(st, 2) != SQLITE_NULL) *next_attempt = sqlite3_column_int64(st, 2);
  sqlite3_reset(st);
  *any = TRUE;
  if (claimed) {
    prun_rollback(r->db);
    return TRUE;
  }
  st = prun_prepare(r->db, claim_end_sql, error);
  if (!st) goto fail;
  sqlite3_bind_int64(st, 1, r->sink_batch);
  rc = sqlite3_step(st);
  gint64 last = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : first;
  sqlite3_reset(st);
  if (rc != SQLITE_ROW) {
    prun_db_fail(r->db, rc, "cannot read the outbox", error);
    goto fail;
  }
  st = prun_prepare(r->db, claim_sql, error);
  if (!st) goto fail;
  sqlite3_bind_int64(st, 1, first);
  sqlite3_bind_int64(st, 2, last);
  if (!prun_step_done(r->db, st, "cannot claim a delivery batch", error)) goto fail;
  return prun_commit(r->db, error);
fail:
  prun_rollback(r->db);
  return FALSE;
}

static gboolean read_batch(PrunRunner *r, gint64 batch, GString *lines, guint *count, GError **error) {
  g_string_truncate(lines, 0);
  *count = 0;
  sqlite3_stmt *st = prun_prepare(r->db, batch_rows_sql, error);
  if (!st) return FALSE;
  sqlite3_bind_int64(st, 1, batch);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    g_string_append_len(lines, (const char *)sqlite3_column_text(st, 0), sqlite3_column_bytes(st, 0));
    g_string_append_c(lines, '\n');
    (*count)++;
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return prun_db_fail(r->db, rc, "cannot read the outbox", error);
  return TRUE;
}

static gboolean finish_batch(PrunRunner *r, gint64 batch, const char *failure, GError **error) {
  if (!prun_begin(r->db, error)) return FALSE;
  sqlite3_stmt *st = prun_prepare(r->db, failure ? failed_sql : mark_sql, error);
  if (!st) goto fail;
  sqlite3_bind_int64(st, 1, batch);
  if (failure) {
    sqlite3_bind_text(st, 2, failure, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, g_get_real_time());
  } else {
    sqlite3_bind_int64(st, 2, g_get_real_time());
  }
  if (!prun_step_done(r->db, st, "cannot mark a delivery", error)) goto fail;
  return prun_commit(r->db, error);
fail:
  prun_rollback(r->db);
  return FALSE;
}

/* dir: is exactly once because the database knows, across a crash,
 * whether the batch file may already be published: "dir_staged" is
 * committed after the temporary file is synced and before it is renamed.
 * After a crash with the batch staged, a temporary file still there is
 * renamed now, and a missing one was renamed already (whatever the
 * receiver did with the published file since). Without the mark the
 * batch is staged again from scratch. */
static gboolean deliver_dir(PrunRunner *r, gint64 batch, const GString *lines, GError **sink_error,
                            GError **error) {
  gint64 staged = 0;
  gboolean found;
  if (!prun_meta_get_int(r->db, "dir_staged", &staged, &found, error)) return FALSE;
  if (!found || staged != batch) {
    if (!prun_sink_dir_stage(r->sink, batch, lines, sink_error)) return TRUE;
    if (!prun_begin(r->db, error)) return FALSE;
    if (!prun_meta_set_int(r->db, "dir_staged", batch, error) || !prun_commit(r->db, error)) {
      prun_rollback(r->db);
      return FALSE;
    }
  }
  prun_sink_dir_publish(r->sink, batch, sink_error);
  return TRUE;
}

/* Hands a batch to the sink: *sink_error on the sink's failure; FALSE
 * only for database errors. */
static gboolean hand_over(PrunRunner *r, gint64 batch, const GString *lines, guint count, GError **sink_error,
                          GError **error) {
  if (r->sink->kind == PRUN_SINK_DIR) return deliver_dir(r, batch, lines, sink_error, error);
  prun_sink_deliver(r->sink, batch, lines, count, sink_error);
  return TRUE;
}

static const char *const sink_names[] = {"none", "stdout", "jsonl", "exec", "dir"};

/* A "delivery" or "delivery_failed" log event; a failure says how many
 * attempts the batch has had and when it is tried again (--watch). */
static void log_delivery(PrunRunner *r, const char *level, const char *event, gint64 batch, guint count,
                         const char *failure) {
  GString *ev = prun_log_begin(level, event);
  if (!ev) {
    /* Text: a failure under --watch is said as it happens (--once says it
     * at the end); successes are not. */
    if (failure && r->backoff)
      prun_warn("delivery of %u action%s failed, tried again later: %s", count, count == 1 ? "" : "s", failure);
    return;
  }
  prun_log_str(ev, "sink", sink_names[r->sink->kind]);
  prun_log_int(ev, "batch", batch);
  prun_log_int(ev, "actions", count);
  prun_log_ms(ev, "ms", r->stats.last_delivery_us);
  if (failure) {
    sqlite3_stmt *st =
        prun_prepare(r->db, "SELECT attempts, next_attempt FROM outbox WHERE batch = ?1 LIMIT 1", NULL);
    if (st) {
      sqlite3_bind_int64(st, 1, batch);
      if (sqlite3_step(st) == SQLITE_ROW) {
        prun_log_int(ev, "attempts", sqlite3_column_int64(st, 0));
        /* --watch waits for it; --once leaves the batch to the next run. */
        if (r->backoff) prun_log_time(ev, "next_attempt", sqlite3_column_int64(st, 1));
      }
      sqlite3_reset(st);
    }
    prun_log_str(ev, "error", failure);
  }
  prun_log_end(ev);
}

gboolean prun_runner_deliver(PrunRunner *r, GError **error) {
  if (!r->sink || r->sink->kind == PRUN_SINK_NONE) return TRUE;
  /* --once tries a failed sink once per run; --watch waits for the
   * backoff and tries again. */
  if (!r->backoff && r->sink_error) return TRUE;
  g_autoptr(GString) lines = g_string_new(NULL);
  for (;;) {
    gint64 batch = 0, next_attempt = 0;
    gboolean any;
    if (!claim_batch(r, &batch, &next_attempt, &any, error)) return FALSE;
    if (!any) return TRUE;
    if (r->backoff && next_attempt > g_get_real_time()) {
      r->retry_at = next_attempt;
      return TRUE;
    }
    guint count;
    if (!read_batch(r, batch, lines, &count, error)) return FALSE;
    g_autoptr(GError) sink_error = NULL;
    gint64 started = g_get_monotonic_time();
    if (!hand_over(r, batch, lines, count, &sink_error, error)) return FALSE;
    r->stats.last_delivery_us = g_get_monotonic_time() - started;
    if (sink_error) {
      g_free(r->sink_error);
      r->sink_error = g_strdup(sink_error->message);
      r->stats.delivery_failures++;
      if (!finish_batch(r, batch, sink_error->message, error)) return FALSE;
      if (r->backoff) {
        /* The first retry comes a second later at the earliest. */
        r->retry_at = g_get_real_time() + G_USEC_PER_SEC;
      }
      log_delivery(r, "warning", "delivery_failed", batch, count, sink_error->message);
      return TRUE;
    }
    prun_crash_point("after-sink");
    if (!finish_batch(r, batch, NULL, error)) return FALSE;
    g_clear_pointer(&r->sink_error, g_free);
    r->stats.delivered += count;
    log_delivery(r, "info", "delivery", batch, count, NULL);
  }
}
