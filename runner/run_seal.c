/* run_seal.c - the records `persona run` stores, encrypted at rest.
 *
 * The runner keeps each profile's record (profile.doc and .pending) so
 * that a later wake-up can evaluate it again; the record holds the pii
 * fields the model reads, and "no value derived from a pii field appears
 * in any database row". So a database whose model reads a pii field (or
 * that was given a key) stores every record sealed by the library
 * (persona_seal, include/persona.h: XChaCha20-Poly1305 under a key derived
 * from the operator's secret, a random nonce per write) with the profile
 * key as associated data (a sealed record moved to another profile's row
 * does not open). The sealed text, "$sealed1$…", goes in the same TEXT
 * columns (the tables are STRICT): a record is always a JSON object, so
 * the first character tells the two apart. meta holds a check value
 * (store_key_check: a digest of a constant under the key), so a wrong key
 * is refused before anything is read or written.
 *
 * The secret comes from the environment, as pseudonym()'s does, but from
 * variables of its own (PRUN_STORE_KEY_ENV, PRUN_STORE_KEY_FILE_ENV): a
 * pseudonym key is shared by every system that joins on the pseudonyms,
 * the store key protects one database. docs/runtime.md, "What is stored".
 */
#include "runner.h"

#include <string.h>

#define SEAL_PREFIX "$sealed1$"
static const char check_text[] = "persona store key check v1";

static const char key_hint[] = "set " PRUN_STORE_KEY_ENV " (or " PRUN_STORE_KEY_FILE_ENV
                               ", a file holding it) to a secret of at least 16 bytes";

/* The check value of the key, as hex (64 digits and NUL). */
static void key_check(const PrunSeal *s, char hex[65]) {
  persona_seal_digest(s->key, check_text, sizeof check_text - 1, hex);
}

/* The first pii field the model reads, or NULL. */
static const char *pii_field_read(PersonaModel *model) {
  guint n = persona_model_n_fields(model);
  for (guint i = 0; i < n; i++) {
    PersonaField f;
    persona_model_field(model, i, &f);
    if (f.pii && f.read) return f.name;
  }
  return NULL;
}

static const char plain_rows_sql[] =
    "SELECT id, key, doc, pending FROM profile WHERE (doc != '' AND substr(doc, 1, 9) != '" SEAL_PREFIX "')"
    " OR (pending != '' AND substr(pending, 1, 9) != '" SEAL_PREFIX "')";
static const char reseal_sql[] = "UPDATE profile SET doc = ?2, pending = ?3 WHERE id = ?1";

/* A database that gets its key now may hold records stored in the clear
 * before (a model that read no pii field then): they are sealed, with
 * secure_delete so that the old text does not stay behind in free pages,
 * and the log is truncated so that it does not keep it either. */
static gboolean seal_plain_rows(PrunSeal *s, PrunDb *d, GError **error) {
  typedef struct {
    gint64 id;
    char *key, *doc, *pending;
  } Row;
  sqlite3_stmt *st = prun_prepare(d, plain_rows_sql, error);
  if (!st) return FALSE;
  g_autoptr(GArray) rows = g_array_new(FALSE, TRUE, sizeof(Row));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    Row row = {.id = sqlite3_column_int64(st, 0),
               .key = g_strdup((const char *)sqlite3_column_text(st, 1)),
               .doc = g_strdup((const char *)sqlite3_column_text(st, 2)),
               .pending = g_strdup((const char *)sqlite3_column_text(st, 3))};
    g_array_append_val(rows, row);
  }
  sqlite3_reset(st);
  gboolean ok = rc == SQLITE_DONE || prun_db_fail(d, rc, "cannot read the stored records", error);
  for (guint i = 0; ok && i < rows->len; i++) {
    Row *row = &g_array_index(rows, Row, i);
    st = prun_prepare(d, reseal_sql, error);
    if (!st) {
      ok = FALSE;
      break;
    }
    sqlite3_bind_int64(st, 1, row->id);
    prun_seal_bind(s, st, 2, row->key, row->doc);
    prun_seal_bind(s, st, 3, row->key, row->pending);
    ok = prun_step_done(d, st, "cannot seal the stored records", error);
  }
  for (guint i = 0; i < rows->len; i++) {
    Row *row = &g_array_index(rows, Row, i);
    g_free(row->key);
    prun_seal_free_text(row->doc);
    prun_seal_free_text(row->pending);
  }
  return ok;
}

static gboolean record_key(PrunSeal *s, PrunDb *d, GError **error) {
  char hex[65];
  key_check(s, hex);
  if (!prun_exec(d, "PRAGMA secure_delete = ON", error) || !prun_begin(d, error)) return FALSE;
  if (!prun_meta_set_text(d, "store_key_check", hex, error) || !seal_plain_rows(s, d, error) ||
      !prun_commit(d, error)) {
    prun_rollback(d);
    return FALSE;
  }
  return prun_exec(d, "PRAGMA secure_delete = OFF", error) &&
         prun_exec(d, "PRAGMA wal_checkpoint(TRUNCATE)", error);
}

gboolean prun_seal_setup(PrunSeal *s, PrunDb *d, PersonaModel *model, GError **error) {
  memset(s, 0, sizeof *s);
  g_autofree char *stored_check = NULL;
  if (!prun_meta_get_text(d, "store_key_check", &stored_check, error)) return FALSE;
  g_autoptr(GError) key_error = NULL;
  if (!persona_seal_key_from_env(&s->key, &key_error)) {
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_KEY, "%s", key_error->message);
    return FALSE;
  }
  const char *pii = pii_field_read(model);
  if (!s->key) {
    if (stored_check) {
      g_set_error(error, PRUN_ERROR, PRUN_ERROR_KEY,
                  "the records in '%s' are stored encrypted and no key is given: %s, the one they were stored with",
                  d->path, key_hint);
      return FALSE;
    }
    if (pii) {
      g_set_error(error, PRUN_ERROR, PRUN_ERROR_KEY,
                  "the model reads the pii field '%s', and persona run keeps the records it evaluates: %s, so that "
                  "they are stored encrypted (docs/runtime.md, \"What is stored\")",
                  pii, key_hint);
      return FALSE;
    }
    return TRUE; /* records hold no pii: stored as they are */
  }
  s->on = TRUE;
  if (!stored_check) return record_key(s, d, error);
  char hex[65];
  key_check(s, hex);
  if (strcmp(hex, stored_check) != 0) {
    prun_seal_clear(s);
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_KEY,
                "the key given is not the one the records in '%s' were stored with: give that key in "
                PRUN_STORE_KEY_ENV " or " PRUN_STORE_KEY_FILE_ENV " (without it they cannot be read)",
                d->path);
    return FALSE;
  }
  return TRUE;
}

void prun_seal_clear(PrunSeal *s) {
  g_clear_pointer(&s->key, persona_seal_key_free);
  s->on = FALSE;
}

void prun_seal_bind(const PrunSeal *s, sqlite3_stmt *st, int i, const char *profile_key, const char *text) {
  if (!text) {
    sqlite3_bind_null(st, i);
    return;
  }
  gsize len = strlen(text);
  if (!s->on || len == 0) {
    sqlite3_bind_text(st, i, text, (int)len, SQLITE_TRANSIENT);
    return;
  }
  sqlite3_bind_text(st, i, persona_seal(s->key, profile_key, text, len), -1, g_free);
}

gboolean prun_seal_open(const PrunSeal *s, const char *profile_key, const char *stored, char **text,
                        GError **error) {
  *text = NULL;
  if (!stored) return TRUE;
  gsize len = strlen(stored);
  if (!persona_is_sealed(stored, len)) {
    *text = g_strdup(stored);
    return TRUE;
  }
  if (!s->on) {
    /* Cannot happen: a sealed record means a key check in meta, and then
     * prun_seal_setup wants the key. */
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_KEY, "the record of profile %s is stored encrypted: %s", profile_key,
                key_hint);
    return FALSE;
  }
  g_autoptr(GError) seal_error = NULL;
  if (persona_unseal(s->key, profile_key, stored, len, text, NULL, &seal_error)) return TRUE;
  if (!g_error_matches(seal_error, PERSONA_ERROR, PERSONA_ERROR_SEALED))
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_DAMAGED,
                "the stored record of profile %s is damaged (not a sealed record): restore the database from a "
                "backup (docs/runtime.md)", profile_key);
  else
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_DAMAGED,
                "the stored record of profile %s does not open with the key (altered, or moved from another "
                "profile's row): restore the database from a backup (docs/runtime.md)", profile_key);
  return FALSE;
}

void prun_seal_free_text(char *text) {
  if (text) persona_unsealed_free(text, strlen(text));
}
