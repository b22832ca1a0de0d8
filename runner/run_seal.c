/* run_seal.c - the records `persona run` stores, encrypted at rest.
 *
 * The runner keeps each profile's record (profile.doc and .pending) so
 * that a later wake-up can evaluate it again; the record holds the pii
 * fields the model reads, and "no value derived from a pii field appears
 * in any database row". So a database whose model reads a pii field (or
 * that was given a key) stores every record sealed: XChaCha20-Poly1305
 * (libsodium) under a key derived from the operator's secret, with a
 * random nonce per write and the profile key as associated data (a sealed
 * record moved to another profile's row does not open). The sealed text is
 *
 *   "$sealed1$" base64url(nonce || ciphertext || tag)
 *
 * in the same TEXT columns (the tables are STRICT): a record is always a
 * JSON object, so the first character tells the two apart. meta holds a
 * check value (store_key_check: a MAC of a constant under the key), so a
 * wrong key is refused before anything is read or written.
 *
 * The secret comes from the environment, as pseudonym()'s does, but from
 * variables of its own (PRUN_STORE_KEY_ENV, PRUN_STORE_KEY_FILE_ENV): a
 * pseudonym key is shared by every system that joins on the pseudonyms,
 * the store key protects one database. docs/runtime.md, "What is stored".
 */
#include "runner.h"

#include <sodium.h>
#include <string.h>

#define SEAL_PREFIX "$sealed1$"
#define SEAL_B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING
/* The secret is hashed with this as BLAKE2b's key: a domain of its own. */
static const char derive_domain[] = "persona store key v1";
static const char check_text[] = "persona store key check v1";

static const char key_hint[] = "set " PRUN_STORE_KEY_ENV " (or " PRUN_STORE_KEY_FILE_ENV
                               ", a file holding it) to a secret of at least 16 bytes";

/* The operator's secret: the variable, else the file it names (one line
 * break at its end is not part of it). *secret is NULL when neither is set. */
static gboolean read_secret(GBytes **secret, GError **error) {
  *secret = NULL;
  const char *k = g_getenv(PRUN_STORE_KEY_ENV);
  if (k && *k) {
    *secret = g_bytes_new(k, strlen(k));
    return TRUE;
  }
  const char *path = g_getenv(PRUN_STORE_KEY_FILE_ENV);
  if (!path || !*path) return TRUE;
  char *text = NULL;
  gsize len = 0;
  g_autoptr(GError) err = NULL;
  if (!g_file_get_contents(path, &text, &len, &err)) {
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_KEY, "cannot read the key file named by " PRUN_STORE_KEY_FILE_ENV ": %s",
                err->message);
    return FALSE;
  }
  if (len > 0 && text[len - 1] == '\n') len--;
  if (len > 0 && text[len - 1] == '\r') len--;
  *secret = g_bytes_new_take(text, len);
  return TRUE;
}

static void derive_key(PrunSeal *s, GBytes *secret) {
  gsize len = 0;
  const guchar *data = g_bytes_get_data(secret, &len);
  crypto_generichash(s->key, sizeof s->key, data, len, (const guchar *)derive_domain, sizeof derive_domain - 1);
}

/* The check value of the key, as hex (64 digits and NUL). */
static void key_check(const PrunSeal *s, char hex[65]) {
  guchar mac[32];
  crypto_generichash(mac, sizeof mac, (const guchar *)check_text, sizeof check_text - 1, s->key, sizeof s->key);
  sodium_bin2hex(hex, 65, mac, sizeof mac);
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
    if (row->doc) sodium_memzero(row->doc, strlen(row->doc));
    if (row->pending) sodium_memzero(row->pending, strlen(row->pending));
    g_free(row->doc);
    g_free(row->pending);
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
  if (sodium_init() < 0) {
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_KEY, "cannot initialise libsodium");
    return FALSE;
  }
  g_autofree char *stored_check = NULL;
  if (!prun_meta_get_text(d, "store_key_check", &stored_check, error)) return FALSE;
  g_autoptr(GBytes) secret = NULL;
  if (!read_secret(&secret, error)) return FALSE;
  const char *pii = pii_field_read(model);
  if (!secret) {
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
  if (g_bytes_get_size(secret) < 16) {
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_KEY,
                "the key given in " PRUN_STORE_KEY_ENV " or " PRUN_STORE_KEY_FILE_ENV
                " has %" G_GSIZE_FORMAT " bytes: it must have at least 16 (e.g. 32 random bytes in base64)",
                g_bytes_get_size(secret));
    return FALSE;
  }
  derive_key(s, secret);
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
  sodium_memzero(s, sizeof *s);
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
  gsize raw_len = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + len + crypto_aead_xchacha20poly1305_ietf_ABYTES;
  guchar *raw = g_malloc(raw_len);
  randombytes_buf(raw, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  unsigned long long ct_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(raw + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &ct_len,
                                             (const guchar *)text, len, (const guchar *)profile_key,
                                             strlen(profile_key), NULL, raw, s->key);
  gsize prefix = sizeof SEAL_PREFIX - 1;
  gsize b64_len = sodium_base64_ENCODED_LEN(raw_len, SEAL_B64);
  char *out = g_malloc(prefix + b64_len);
  memcpy(out, SEAL_PREFIX, prefix);
  sodium_bin2base64(out + prefix, b64_len, raw, raw_len, SEAL_B64);
  g_free(raw);
  sqlite3_bind_text(st, i, out, -1, g_free);
}

gboolean prun_seal_open(const PrunSeal *s, const char *profile_key, const char *stored, char **text,
                        GError **error) {
  *text = NULL;
  if (!stored) return TRUE;
  gsize prefix = sizeof SEAL_PREFIX - 1;
  if (strncmp(stored, SEAL_PREFIX, prefix) != 0) {
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
  const char *b64 = stored + prefix;
  gsize b64_len = strlen(b64);
  gsize max = b64_len / 4 * 3 + 3;
  g_autofree guchar *raw = g_malloc(max);
  size_t raw_len = 0;
  const gsize head = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, tail = crypto_aead_xchacha20poly1305_ietf_ABYTES;
  if (sodium_base642bin(raw, max, b64, b64_len, NULL, &raw_len, NULL, SEAL_B64) != 0 || raw_len < head + tail) {
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_DAMAGED,
                "the stored record of profile %s is damaged (not a sealed record): restore the database from a "
                "backup (docs/runtime.md)", profile_key);
    return FALSE;
  }
  char *out = g_malloc(raw_len - head - tail + 1);
  unsigned long long out_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt((guchar *)out, &out_len, NULL, raw + head, raw_len - head,
                                                 (const guchar *)profile_key, strlen(profile_key), raw, s->key) != 0) {
    g_free(out);
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_DAMAGED,
                "the stored record of profile %s does not open with the key (altered, or moved from another "
                "profile's row): restore the database from a backup (docs/runtime.md)", profile_key);
    return FALSE;
  }
  out[out_len] = '\0';
  *text = out;
  return TRUE;
}

void prun_seal_free_text(char *text) {
  if (!text) return;
  sodium_memzero(text, strlen(text));
  g_free(text);
}
