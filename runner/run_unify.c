/* run_unify.c - `persona run` over source records (docs/runtime.md,
 * "Unifying sources as they arrive").
 *
 * With a model that declares `identity { }`, each input line is a record
 * of the source its file is named after (crm.jsonl: source crm). It is
 * kept in unify_record, in the batch's transaction; after the batch read
 * new records, every kept record is joined again (the hooks, i.e. the
 * unify component wired in by the CLI) and each profile whose records
 * changed gets its new merged record as pending, as an ingested profile
 * line would. Joining everything again, not just the new records, is what
 * keeps the result that of one join over all the data, whatever the
 * order the records came in (a later record may merge two profiles, or a
 * model's `never join` split one).
 *
 * Which old profile a new one continues: unify_record.profile remembers
 * the profile each record was placed in. An old profile's *heir* is the
 * new profile with its key that holds some of its records, else the new
 * profile holding most of its records (ties: the first in the join's
 * order). A new profile whose donors (the old profiles it is heir of) are
 * more than itself is a merge: the donors' rows are replaced by one row
 * whose state is merged by merge_states() below.
 *
 * Ownership: everything allocated here is freed before returning; the
 * hooks and the model are borrowed from the runner.
 */
#include "runner.h"

#include <string.h>

/* ---- keeping records ------------------------------------------------------------- */

/* Created on first use by a runner with a unifying model: a database of
 * whole-profile runs never has it. */
static const char unify_schema[] =
    "CREATE TABLE IF NOT EXISTS unify_record(\n"
    "  id INTEGER PRIMARY KEY,\n" /* the order records arrived in */
    "  source TEXT NOT NULL,\n"   /* the model's source it belongs to */
    "  origin TEXT NOT NULL,\n"   /* FILE:LINE it was read from */
    "  text TEXT NOT NULL,\n"     /* the line, as it came */
    "  profile TEXT\n"            /* the key of the profile it was last placed in; NULL: none */
    ") STRICT;\n";

/* The records are joined again when new ones came, and when the model
 * changed since the last join (meta unify_model): its identity rules may
 * join or split differently (a `never join` added). */
gboolean prun_runner_set_unify(PrunRunner *r, const PrunUnifyHooks *hooks, GError **error) {
  r->unify = hooks;
  g_autofree char *joined_with = NULL;
  if (!prun_begin(r->db, error)) return FALSE;
  if (!prun_exec(r->db, unify_schema, error) || !prun_meta_get_text(r->db, "unify_model", &joined_with, error)) {
    prun_rollback(r->db);
    return FALSE;
  }
  r->unify_stale = joined_with && g_strcmp0(joined_with, r->model_hash) != 0;
  return prun_commit(r->db, error);
}

gboolean prun_unify_keep(PrunRunner *r, const char *file, guint64 line_no, const char *line, gsize len,
                         GError **error) {
  g_autofree char *source = g_path_get_basename(file);
  char *dot = strchr(source, '.');
  if (dot && dot != source) *dot = '\0';
  g_autofree char *where = g_strdup_printf("%s:%" G_GUINT64_FORMAT, file, line_no);
  if (r->unify->source_of(r->unify->user, source) < 0) {
    r->stats.input_errors++;
    g_autofree char *msg =
        g_strdup_printf("the file's name (up to its first dot) names no source of the model (declared: %s)",
                        r->unify->source_names(r->unify->user));
    return prun_record_error(r, "input", NULL, where, r->now, msg, "usage", NULL, error);
  }
  sqlite3_stmt *st = prun_prepare(r->db, "INSERT INTO unify_record(source, origin, text) VALUES(?1, ?2, ?3)", error);
  if (!st) return FALSE;
  sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, where, -1, SQLITE_STATIC);
  /* Sealed like profile records (run_seal.c) when the store has a key: a
   * source line holds every field of its source, pii included. Its place
   * (FILE:LINE) is the associated data. */
  g_autofree char *text = g_strndup(line, len);
  prun_seal_bind(&r->seal, st, 3, where, text);
  r->unify_new++;
  return prun_step_done(r->db, st, "cannot keep a source record", error);
}

/* ---- merging states ----------------------------------------------------------------- */

/* One lifecycle or journey entry of a state, and its rank: of two entries
 * of the same name, the one with the larger rank (compared in order) is
 * kept. */
typedef struct {
  char *name, *json;
  gint64 rank[4];
} Entry;

static void entry_free(gpointer p) {
  Entry *e = p;
  g_free(e->name);
  g_free(e->json);
  g_free(e);
}

static int part_index(PersonaModel *m, PersonaItemKind kind, const char *item, const char *part) {
  if (!item || !part) return -1;
  for (guint i = 0; i < persona_model_n_items(m, kind); i++) {
    if (strcmp(persona_model_item_name(m, kind, i), item) != 0) continue;
    for (guint k = 0; k < persona_model_item_n_parts(m, kind, i); k++)
      if (strcmp(persona_model_item_part(m, kind, i, k), part) == 0) return (int)k;
  }
  return -1;
}

/* Earlier is better: the negated time, and an unreadable one the worst. */
static gint64 earlier_first(const unsigned char *text) {
  gint64 us;
  return text && persona_time_parse((const char *)text, &us) ? -us : G_MININT64;
}

static int cmp_rank(const Entry *a, const Entry *b) {
  for (int i = 0; i < 4; i++)
    if (a->rank[i] != b->rank[i]) return a->rank[i] < b->rank[i] ? -1 : 1;
  return 0;
}

typedef struct {
  GPtrArray *order; /* Entry*, by first appearance (owned) */
  GHashTable *by_name; /* name -> Entry* (borrowed from order) */
} Entries;

static void entries_offer(Entries *es, Entry *e) {
  Entry *have = g_hash_table_lookup(es->by_name, e->name);
  if (!have) {
    g_ptr_array_add(es->order, e);
    g_hash_table_insert(es->by_name, e->name, e);
  } else if (cmp_rank(e, have) > 0) {
    /* the further one, in the first one's place */
    g_free(have->json);
    have->json = e->json;
    memcpy(have->rank, e->rank, sizeof have->rank);
    e->json = NULL;
    entry_free(e);
  } else {
    entry_free(e);
  }
}

static const char lifecycles_sql[] =
    "SELECT json_extract(value, '$.name'), json_extract(value, '$.stage'), json_extract(value, '$.entered'),"
    " json(value) FROM json_each(?1, '$.lifecycles')";
static const char journeys_sql[] =
    "SELECT json_extract(value, '$.name'), json_extract(value, '$.status'), json_extract(value, '$.run'),"
    " json_extract(value, '$.step'), json_extract(value, '$.entered'), json(value)"
    " FROM json_each(?1, '$.journeys')";

/* Lifecycles: the further stage (later in the lifecycle's order of
 * stages), then the earlier `entered`. */
static gboolean offer_lifecycles(PrunRunner *r, const char *state, Entries *es, GError **error) {
  sqlite3_stmt *st = prun_prepare(r->db, lifecycles_sql, error);
  if (!st) return FALSE;
  sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (sqlite3_column_type(st, 0) != SQLITE_TEXT) continue;
    Entry *e = g_new0(Entry, 1);
    e->name = g_strdup((const char *)sqlite3_column_text(st, 0));
    e->rank[0] = part_index(r->model, PERSONA_ITEM_LIFECYCLE, e->name, (const char *)sqlite3_column_text(st, 1));
    e->rank[1] = earlier_first(sqlite3_column_text(st, 2));
    e->json = g_strdup((const char *)sqlite3_column_text(st, 3));
    entries_offer(es, e);
  }
  sqlite3_reset(st);
  return rc == SQLITE_DONE || prun_db_fail(r->db, rc, "cannot read a state to merge", error);
}

static gint64 status_rank(const unsigned char *status) {
  if (!status) return 0;
  if (strcmp((const char *)status, "active") == 0) return 1;
  return 2; /* done, exited: past every step of the run */
}

/* Journeys: the later run, then an ended run over an active one, then the
 * later step in the journey's source order, then the earlier `entered`. */
static gboolean offer_journeys(PrunRunner *r, const char *state, Entries *es, GError **error) {
  sqlite3_stmt *st = prun_prepare(r->db, journeys_sql, error);
  if (!st) return FALSE;
  sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (sqlite3_column_type(st, 0) != SQLITE_TEXT) continue;
    Entry *e = g_new0(Entry, 1);
    e->name = g_strdup((const char *)sqlite3_column_text(st, 0));
    e->rank[0] = sqlite3_column_int64(st, 2);
    e->rank[1] = status_rank(sqlite3_column_text(st, 1));
    e->rank[2] = part_index(r->model, PERSONA_ITEM_JOURNEY, e->name, (const char *)sqlite3_column_text(st, 3));
    e->rank[3] = earlier_first(sqlite3_column_text(st, 4));
    e->json = g_strdup((const char *)sqlite3_column_text(st, 5));
    entries_offer(es, e);
  }
  sqlite3_reset(st);
  return rc == SQLITE_DONE || prun_db_fail(r->db, rc, "cannot read a state to merge", error);
}

static void entries_init(Entries *es) {
  es->order = g_ptr_array_new_with_free_func(entry_free);
  es->by_name = g_hash_table_new(g_str_hash, g_str_equal);
}

static void entries_clear(Entries *es) {
  g_hash_table_unref(es->by_name);
  g_ptr_array_unref(es->order);
}

static void entries_append(const Entries *es, GString *out) {
  g_string_append_c(out, '[');
  for (guint i = 0; i < es->order->len; i++) {
    if (i) g_string_append_c(out, ',');
    g_string_append(out, ((Entry *)es->order->pdata[i])->json);
  }
  g_string_append_c(out, ']');
}

static gboolean is_no_state(const char *s) {
  if (!s) return TRUE;
  while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
  return *s == '\0' || strcmp(s, "{}") == 0 || strcmp(s, "null") == 0;
}

/* The state of a merged profile from its donors' states (in the donors'
 * order: ties keep the first). *out is NULL when no donor had a state. */
static gboolean merge_states(PrunRunner *r, char *const *states, guint n, char **out, GError **error) {
  *out = NULL;
  Entries lc, jn;
  entries_init(&lc);
  entries_init(&jn);
  gboolean any = FALSE, ok = TRUE;
  for (guint i = 0; ok && i < n; i++) {
    if (is_no_state(states[i])) continue;
    any = TRUE;
    ok = offer_lifecycles(r, states[i], &lc, error) && offer_journeys(r, states[i], &jn, error);
  }
  if (ok && any) {
    GString *s = g_string_new("{\"v\":1,\"lifecycles\":");
    entries_append(&lc, s);
    g_string_append(s, ",\"journeys\":");
    entries_append(&jn, s);
    g_string_append_c(s, '}');
    *out = g_string_free(s, FALSE);
  }
  entries_clear(&lc);
  entries_clear(&jn);
  return ok;
}

/* ---- joining again ------------------------------------------------------------------ */

typedef struct {
  gint64 id;
  char *source, *origin, *text, *profile; /* profile: the key it was last placed in, or NULL */
  gsize len;
  int src;         /* the model's source index; -1: the model has no such source any more */
  gint64 placed;   /* the index of its new profile, or -1 */
} Rec;

typedef struct {
  char *key;       /* compact JSON of the id */
  char *doc;       /* the merged record */
  guint *recs;     /* indexes into the Rec array */
  guint n;
} NewProfile;

typedef struct {
  guint rec;
  char *message;
} Problem;

/* An old profile: where its records went. */
typedef struct {
  gint64 heir;      /* index of its heir among the new profiles */
  guint heir_count; /* of its records in the heir */
  guint total;      /* of its records placed anywhere */
  gboolean self;    /* the heir has its key */
  guint places;     /* new profiles holding some of its records */
} Heir;

typedef struct {
  Rec *recs;
  guint *list;     /* the records handed to the hooks -> index in recs */
  GArray *profiles; /* NewProfile */
  GArray *problems; /* Problem */
} Joined;

static void on_profile(gpointer user, const char *id, const char *json, gsize len, const guint *records, guint n) {
  Joined *j = user;
  GString *key = g_string_new(NULL);
  persona_json_append_string(key, id, -1);
  NewProfile p = {.key = g_string_free(key, FALSE), .doc = g_strndup(json, len), .recs = g_new(guint, n + 1),
                  .n = n};
  for (guint i = 0; i < n; i++) {
    p.recs[i] = j->list[records[i]];
    j->recs[p.recs[i]].placed = j->profiles->len;
  }
  g_array_append_val(j->profiles, p);
}

static void on_problem(gpointer user, guint record, const char *message) {
  Joined *j = user;
  Problem p = {.rec = j->list[record], .message = g_strdup(message)};
  g_array_append_val(j->problems, p);
}

static char *column_dup(sqlite3_stmt *st, int i) {
  const unsigned char *t = sqlite3_column_text(st, i);
  return t ? g_strndup((const char *)t, (gsize)sqlite3_column_bytes(st, i)) : NULL;
}

static void records_free(GArray *recs) {
  for (guint i = 0; i < recs->len; i++) {
    Rec *x = &g_array_index(recs, Rec, i);
    g_free(x->source);
    g_free(x->origin);
    g_free(x->text);
    g_free(x->profile);
  }
  g_array_unref(recs);
}

static GArray *load_records(PrunRunner *r, GError **error) {
  sqlite3_stmt *st =
      prun_prepare(r->db, "SELECT id, source, origin, text, profile FROM unify_record ORDER BY id", error);
  if (!st) return NULL;
  GArray *recs = g_array_new(FALSE, TRUE, sizeof(Rec));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    Rec x = {.id = sqlite3_column_int64(st, 0), .source = column_dup(st, 1), .origin = column_dup(st, 2),
             .profile = column_dup(st, 4), .placed = -1};
    g_autofree char *stored = column_dup(st, 3);
    char *opened = NULL;
    if (!prun_seal_open(&r->seal, x.origin ? x.origin : "", stored, &opened, error)) {
      sqlite3_reset(st);
      g_free(x.source);
      g_free(x.origin);
      g_free(x.profile);
      records_free(recs);
      return NULL;
    }
    x.text = g_strdup(opened ? opened : "");
    x.len = strlen(x.text);
    prun_seal_free_text(opened);
    x.src = r->unify->source_of(r->unify->user, x.source);
    g_array_append_val(recs, x);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    prun_db_fail(r->db, rc, "cannot read the source records", error);
    g_array_unref(recs);
    return NULL;
  }
  return recs;
}


static gboolean join_all(PrunRunner *r, GArray *recs, Joined *j, GError **error) {
  guint n = 0;
  j->recs = (Rec *)recs->data;
  j->list = g_new(guint, recs->len + 1);
  int *sources = g_new(int, recs->len + 1);
  const char **texts = g_new(const char *, recs->len + 1);
  gsize *lens = g_new(gsize, recs->len + 1);
  for (guint i = 0; i < recs->len; i++) {
    Rec *x = &j->recs[i];
    if (x->src < 0) continue; /* a source the model no longer declares: never placed */
    j->list[n] = i;
    sources[n] = x->src;
    texts[n] = x->text;
    lens[n] = x->len;
    n++;
  }
  gboolean ok = r->unify->resolve(r->unify->user, n, sources, texts, lens, on_profile, on_problem, j, error);
  g_free(sources);
  g_free(texts);
  g_free(lens);
  return ok;
}

/* ---- applying the new profiles --------------------------------------------------------- */

typedef struct {
  gboolean exists;
  char *doc, *state, *model_hash;
  gboolean has_next, has_last;
  gint64 next_wake, last_eval, records, evals;
} OldRow;

static void old_row_free(gpointer p) {
  OldRow *o = p;
  g_free(o->doc);
  g_free(o->state);
  g_free(o->model_hash);
  g_free(o);
}

static gboolean read_row(PrunRunner *r, const char *key, OldRow *o, GError **error) {
  sqlite3_stmt *st = prun_prepare(
      r->db, "SELECT doc, state, model_hash, next_wake, last_eval, records, evals FROM profile WHERE key = ?1", error);
  if (!st) return FALSE;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    o->exists = TRUE;
    o->doc = column_dup(st, 0);
    o->state = column_dup(st, 1);
    o->model_hash = column_dup(st, 2);
    o->has_next = sqlite3_column_type(st, 3) != SQLITE_NULL;
    o->next_wake = sqlite3_column_int64(st, 3);
    o->has_last = sqlite3_column_type(st, 4) != SQLITE_NULL;
    o->last_eval = sqlite3_column_int64(st, 4);
    o->records = sqlite3_column_int64(st, 5);
    o->evals = sqlite3_column_int64(st, 6);
  }
  sqlite3_reset(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE || prun_db_fail(r->db, rc, "cannot read a profile", error);
}

static gboolean delete_row(PrunRunner *r, const char *key, GError **error) {
  sqlite3_stmt *st = prun_prepare(r->db, "DELETE FROM profile WHERE key = ?1", error);
  if (!st) return FALSE;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  return prun_step_done(r->db, st, "cannot remove a merged profile", error);
}

static const char insert_merged_sql[] =
    "INSERT OR REPLACE INTO profile(key, doc, pending, pending_at, state, model_hash, next_wake, last_eval, records, evals,"
    " updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

/* One row for a merged profile: the donors' states merged, the record
 * joined now pending (due now, or at a donor's earlier wake-up, which then
 * sees the first donor's record, as it would have), time never going back
 * (its last evaluation is the latest donor's). */
static gboolean write_merged(PrunRunner *r, const char *key, const char *doc, GPtrArray *donors, GHashTable *rows,
                             GError **error) {
  guint n = donors->len;
  char **states = g_new0(char *, n + 1);
  const OldRow *first = NULL; /* whose record a wake-up before now sees */
  gint64 next = r->now, last = 0, records = 0, evals = 0;
  gboolean has_last = FALSE;
  for (guint i = 0; i < n; i++) {
    const OldRow *o = g_hash_table_lookup(rows, donors->pdata[i]);
    states[i] = o->state;
    if (!first || strcmp(donors->pdata[i], key) == 0) first = o; /* its own row, else the first donor's */
    if (o->has_next && o->next_wake < next) next = o->next_wake;
    if (o->has_last && (!has_last || o->last_eval > last)) last = o->last_eval, has_last = TRUE;
    records += o->records;
    evals += o->evals;
  }
  char *state = NULL;
  gboolean ok = merge_states(r, states, n, &state, error);
  g_free(states);
  sqlite3_stmt *st = ok ? prun_prepare(r->db, insert_merged_sql, error) : NULL;
  if (st) {
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, first->doc, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, doc, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, r->now);
    sqlite3_bind_text(st, 5, state, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, first->model_hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, next);
    if (has_last) sqlite3_bind_int64(st, 8, last);
    else sqlite3_bind_null(st, 8);
    sqlite3_bind_int64(st, 9, records + 1);
    sqlite3_bind_int64(st, 10, evals);
    sqlite3_bind_int64(st, 11, g_get_real_time());
    ok = prun_step_done(r->db, st, "cannot store a merged profile", error);
  } else {
    ok = FALSE;
  }
  g_free(state);
  return ok;
}

static void set_placed(PrunRunner *r, gint64 id, const char *key, gboolean *ok, GError **error) {
  if (!*ok) return;
  sqlite3_stmt *st = prun_prepare(r->db, "UPDATE unify_record SET profile = ?2 WHERE id = ?1", error);
  if (!st) {
    *ok = FALSE;
    return;
  }
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
  *ok = prun_step_done(r->db, st, "cannot remember where a record was placed", error);
}

/* Where each old profile's records went; heirs[K] for every old key K
 * some placed record had. */
static GHashTable *find_heirs(const Joined *j) {
  GHashTable *heirs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
  GHashTable *here = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint p = 0; p < j->profiles->len; p++) {
    const NewProfile *np = &g_array_index(j->profiles, NewProfile, p);
    g_hash_table_remove_all(here);
    for (guint i = 0; i < np->n; i++) {
      const char *k = j->recs[np->recs[i]].profile;
      if (k) g_hash_table_insert(here, (gpointer)k, GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(here, k)) + 1));
    }
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, here);
    while (g_hash_table_iter_next(&it, &k, &v)) {
      guint count = GPOINTER_TO_UINT(v);
      Heir *h = g_hash_table_lookup(heirs, k);
      if (!h) {
        h = g_new0(Heir, 1);
        h->heir = -1;
        g_hash_table_insert(heirs, k, h);
      }
      h->total += count;
      h->places++;
      gboolean self = strcmp(k, np->key) == 0;
      /* ties: the first profile in the join's order keeps it */
      if (self || (!h->self && count > h->heir_count)) {
        h->heir = p;
        h->heir_count = count;
        h->self = self;
      }
    }
  }
  g_hash_table_unref(here);
  return heirs;
}

static int cmp_str_ptr(gconstpointer a, gconstpointer b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Per new profile: its donors, the old keys it is heir of, in byte order. */
static GPtrArray **collect_donors(const Joined *j, GHashTable *heirs) {
  GPtrArray **donors = g_new0(GPtrArray *, j->profiles->len + 1);
  for (guint p = 0; p < j->profiles->len; p++) donors[p] = g_ptr_array_new();
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, heirs);
  while (g_hash_table_iter_next(&it, &k, &v)) g_ptr_array_add(donors[((Heir *)v)->heir], k);
  for (guint p = 0; p < j->profiles->len; p++) g_ptr_array_sort(donors[p], cmp_str_ptr);
  return donors;
}

/* A profile whose records and donors are exactly those of the old
 * profile with its key needs nothing. */
static gboolean unchanged(const Joined *j, guint p, GPtrArray *donors, GHashTable *heirs) {
  const NewProfile *np = &g_array_index(j->profiles, NewProfile, p);
  if (donors->len != 1 || strcmp(donors->pdata[0], np->key) != 0) return FALSE;
  for (guint i = 0; i < np->n; i++) {
    const char *k = j->recs[np->recs[i]].profile;
    if (!k || strcmp(k, np->key) != 0) return FALSE;
  }
  const Heir *h = g_hash_table_lookup(heirs, np->key);
  return h->places == 1;
}

static void log_merge(const char *event, const char *key, guint donors) {
  GString *ev = prun_log_begin("info", event);
  if (!ev) return;
  prun_log_str(ev, "profile", key);
  prun_log_int(ev, "from", donors);
  prun_log_end(ev);
}

/* Applies profile p: a new person or more records of one (the plain
 * upsert), or a merge (the donors' rows replaced by one). */
static gboolean apply_profile(PrunRunner *r, const Joined *j, guint p, GPtrArray *donors, GHashTable *rows,
                              GError **error) {
  const NewProfile *np = &g_array_index(j->profiles, NewProfile, p);
  g_string_truncate(r->doc, 0);
  if (!persona_model_reduce_record(r->model, np->doc, strlen(np->doc), r->doc, NULL)) {
    g_string_truncate(r->doc, 0);
    g_string_append(r->doc, np->doc);
  }
  gboolean merge = donors->len > 1 || (donors->len == 1 && strcmp(donors->pdata[0], np->key) != 0);
  gboolean ok;
  if (!merge) {
    ok = prun_upsert_record(r, np->key, r->doc->str, error);
  } else {
    ok = (!g_hash_table_contains(rows, np->key) || delete_row(r, np->key, error)) &&
         write_merged(r, np->key, r->doc->str, donors, rows, error);
    r->merged += donors->len - (g_hash_table_contains(rows, np->key) ? 1 : 0);
    log_merge("merge", np->key, donors->len);
  }
  for (guint i = 0; ok && i < np->n; i++) {
    const Rec *x = &j->recs[np->recs[i]];
    if (!x->profile || strcmp(x->profile, np->key) != 0) set_placed(r, x->id, np->key, &ok, error);
  }
  return ok;
}

/* The old rows of every donor of a merge, read before any is removed. */
static gboolean read_donor_rows(PrunRunner *r, const Joined *j, GPtrArray **donors, GHashTable *rows,
                                GError **error) {
  for (guint p = 0; p < j->profiles->len; p++) {
    const NewProfile *np = &g_array_index(j->profiles, NewProfile, p);
    gboolean merge = donors[p]->len > 1 || (donors[p]->len == 1 && strcmp(donors[p]->pdata[0], np->key) != 0);
    for (guint d = 0; merge && d < donors[p]->len; d++) {
      OldRow *o = g_new0(OldRow, 1);
      if (!read_row(r, donors[p]->pdata[d], o, error)) {
        old_row_free(o);
        return FALSE;
      }
      if (o->exists) g_hash_table_insert(rows, donors[p]->pdata[d], o);
      else old_row_free(o);
    }
    /* a donor without a row (cannot happen: rows go with their records) merges as no state */
    for (guint d = 0; merge && d < donors[p]->len; d++)
      if (!g_hash_table_contains(rows, donors[p]->pdata[d])) g_hash_table_insert(rows, donors[p]->pdata[d], g_new0(OldRow, 1));
  }
  return TRUE;
}

/* Rows that go away before the new ones are written: donors merged into
 * a profile of another key, and profiles none of whose records is placed
 * any more (their state goes with them). */
static gboolean remove_gone(PrunRunner *r, const Joined *j, GArray *recs, GHashTable *heirs, GError **error) {
  GHashTable *done = g_hash_table_new(g_str_hash, g_str_equal);
  gboolean ok = TRUE;
  for (guint i = 0; ok && i < recs->len; i++) {
    const Rec *x = &g_array_index(recs, Rec, i);
    if (!x->profile || g_hash_table_contains(done, x->profile)) continue;
    g_hash_table_add(done, x->profile);
    const Heir *h = g_hash_table_lookup(heirs, x->profile);
    if (!h) {
      ok = delete_row(r, x->profile, error);
      prun_warn("profile %s lost every record (its sources or identifiers no longer place them): removed with its state",
                x->profile);
    } else if (!h->self) {
      ok = delete_row(r, x->profile, error);
    }
    if (ok && h && h->places > 1) {
      r->split++;
      log_merge("split", x->profile, h->places);
    }
  }
  for (guint i = 0; ok && i < recs->len; i++) {
    const Rec *x = &g_array_index(recs, Rec, i);
    if (x->profile && x->placed < 0) set_placed(r, x->id, NULL, &ok, error);
  }
  (void)j;
  g_hash_table_unref(done);
  return ok;
}

/* Problems of records that arrived since the last join are recorded as
 * input errors, once: older ones were recorded when they came. */
static gboolean record_problems(PrunRunner *r, const Joined *j, gint64 seen, GError **error) {
  for (guint i = 0; i < j->problems->len; i++) {
    const Problem *pb = &g_array_index(j->problems, Problem, i);
    const Rec *x = &j->recs[pb->rec];
    if (x->id <= seen) continue;
    r->stats.input_errors++;
    if (!prun_record_error(r, "input", NULL, x->origin, r->now, pb->message, "unify", NULL, error)) return FALSE;
  }
  return TRUE;
}

static void joined_clear(Joined *j) {
  for (guint p = 0; j->profiles && p < j->profiles->len; p++) {
    NewProfile *np = &g_array_index(j->profiles, NewProfile, p);
    g_free(np->key);
    g_free(np->doc);
    g_free(np->recs);
  }
  for (guint i = 0; j->problems && i < j->problems->len; i++)
    g_free(g_array_index(j->problems, Problem, i).message);
  if (j->profiles) g_array_unref(j->profiles);
  if (j->problems) g_array_unref(j->problems);
  g_free(j->list);
}

gboolean prun_unify_apply(PrunRunner *r, GError **error) {
  gint64 seen = 0;
  gboolean found;
  if (!prun_meta_get_int(r->db, "unify_seen", &seen, &found, error)) return FALSE;
  GArray *recs = load_records(r, error);
  if (!recs) return FALSE;
  Joined j = {.profiles = g_array_new(FALSE, FALSE, sizeof(NewProfile)),
              .problems = g_array_new(FALSE, FALSE, sizeof(Problem))};
  gboolean ok = join_all(r, recs, &j, error) && record_problems(r, &j, seen, error);
  GHashTable *heirs = ok ? find_heirs(&j) : NULL;
  GPtrArray **donors = ok ? collect_donors(&j, heirs) : NULL;
  GHashTable *rows = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, old_row_free);
  ok = ok && read_donor_rows(r, &j, donors, rows, error) && remove_gone(r, &j, recs, heirs, error);
  for (guint p = 0; ok && p < j.profiles->len; p++)
    if (!unchanged(&j, p, donors[p], heirs)) ok = apply_profile(r, &j, p, donors[p], rows, error);
  if (ok && recs->len)
    ok = prun_meta_set_int(r->db, "unify_seen", g_array_index(recs, Rec, recs->len - 1).id, error);
  if (ok) ok = prun_meta_set_text(r->db, "unify_model", r->model_hash, error);
  for (guint p = 0; donors && p < j.profiles->len; p++) g_ptr_array_unref(donors[p]);
  g_free(donors);
  if (heirs) g_hash_table_unref(heirs);
  g_hash_table_unref(rows);
  joined_clear(&j);
  records_free(recs);
  return ok;
}
