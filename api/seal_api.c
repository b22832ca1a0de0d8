/* seal_api.c - data sealed at rest (include/persona.h, "Sealing"): the one
 * implementation of the store key and of the sealed text, for every host
 * that keeps records holding pii (persona run's database, persona unify's
 * store).
 *
 * XChaCha20-Poly1305 (libsodium) under a key derived from the operator's
 * secret, with a random nonce per seal and the caller's associated data
 * (a sealed record moved to another place does not open). The sealed text
 * is "$sealed1$" base64url(nonce || ciphertext || tag), the format persona
 * run's databases have always held. docs/runtime.md, "Records at rest".
 *
 * Ownership: a PersonaSealKey owns its 32 key bytes and overwrites them
 * when freed; texts passed in are borrowed.
 */
#include "persona.h"

#include <sodium.h>
#include <string.h>

#define SEAL_PREFIX "$sealed1$"
#define SEAL_PREFIX_LEN (sizeof SEAL_PREFIX - 1)
#define SEAL_B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_LEN crypto_aead_xchacha20poly1305_ietf_ABYTES
/* The secret is hashed with this as BLAKE2b's key: a domain of its own. */
static const char derive_domain[] = "persona store key v1";

struct PersonaSealKey {
  guint8 key[32];
};

/* The operator's secret: the variable, else the file it names (one line
 * break at its end is not part of it). *secret is NULL when neither is set. */
static gboolean read_secret(GBytes **secret, GError **error) {
  *secret = NULL;
  const char *k = g_getenv(PERSONA_STORE_KEY_ENV);
  if (k && *k) {
    *secret = g_bytes_new(k, strlen(k));
    return TRUE;
  }
  const char *path = g_getenv(PERSONA_STORE_KEY_FILE_ENV);
  if (!path || !*path) return TRUE;
  char *text = NULL;
  gsize len = 0;
  g_autoptr(GError) err = NULL;
  if (!g_file_get_contents(path, &text, &len, &err)) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID,
                "cannot read the key file named by " PERSONA_STORE_KEY_FILE_ENV ": %s", err->message);
    return FALSE;
  }
  if (len > 0 && text[len - 1] == '\n') len--;
  if (len > 0 && text[len - 1] == '\r') len--;
  *secret = g_bytes_new_with_free_func(text, len, g_free, text);
  return TRUE;
}

/* Overwrites the secret's bytes before they are freed. */
static void forget_secret(GBytes *secret) {
  if (!secret) return;
  gsize len = 0;
  gconstpointer data = g_bytes_get_data(secret, &len);
  if (len) sodium_memzero((void *)data, len);
  g_bytes_unref(secret);
}

gboolean persona_seal_key_from_env(PersonaSealKey **key, GError **error) {
  *key = NULL;
  if (sodium_init() < 0) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID, "cannot initialise libsodium");
    return FALSE;
  }
  GBytes *secret = NULL;
  if (!read_secret(&secret, error)) return FALSE;
  if (!secret) return TRUE;
  gsize len = 0;
  const guchar *data = g_bytes_get_data(secret, &len);
  if (len < 16) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID,
                "the key given in " PERSONA_STORE_KEY_ENV " or " PERSONA_STORE_KEY_FILE_ENV
                " has %" G_GSIZE_FORMAT " bytes: it must have at least 16 (e.g. 32 random bytes in base64)",
                len);
    forget_secret(secret);
    return FALSE;
  }
  *key = g_new0(PersonaSealKey, 1);
  crypto_generichash((*key)->key, sizeof (*key)->key, data, len, (const guchar *)derive_domain,
                     sizeof derive_domain - 1);
  forget_secret(secret);
  return TRUE;
}

void persona_seal_key_free(PersonaSealKey *key) {
  if (!key) return;
  sodium_memzero(key, sizeof *key);
  g_free(key);
}

void persona_seal_digest(const PersonaSealKey *key, const void *data, gsize len, char hex[65]) {
  guchar mac[32];
  crypto_generichash(mac, sizeof mac, data, len, key->key, sizeof key->key);
  sodium_bin2hex(hex, 65, mac, sizeof mac);
}

gboolean persona_is_sealed(const char *text, gsize len) {
  return len >= SEAL_PREFIX_LEN && memcmp(text, SEAL_PREFIX, SEAL_PREFIX_LEN) == 0;
}

char *persona_seal(const PersonaSealKey *key, const char *ad, const void *data, gsize len) {
  gsize raw_len = NONCE_LEN + len + TAG_LEN;
  guchar *raw = g_malloc(raw_len);
  randombytes_buf(raw, NONCE_LEN);
  unsigned long long ct_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(raw + NONCE_LEN, &ct_len, data, len, (const guchar *)ad, strlen(ad),
                                             NULL, raw, key->key);
  gsize b64_len = sodium_base64_ENCODED_LEN(raw_len, SEAL_B64);
  char *out = g_malloc(SEAL_PREFIX_LEN + b64_len);
  memcpy(out, SEAL_PREFIX, SEAL_PREFIX_LEN);
  sodium_bin2base64(out + SEAL_PREFIX_LEN, b64_len, raw, raw_len, SEAL_B64);
  g_free(raw);
  return out;
}

gboolean persona_unseal(const PersonaSealKey *key, const char *ad, const char *sealed, gsize len, char **out,
                        gsize *out_len, GError **error) {
  *out = NULL;
  if (out_len) *out_len = 0;
  if (!persona_is_sealed(sealed, len)) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID, "not a sealed text");
    return FALSE;
  }
  const char *b64 = sealed + SEAL_PREFIX_LEN;
  gsize b64_len = len - SEAL_PREFIX_LEN;
  gsize max = b64_len / 4 * 3 + 3;
  g_autofree guchar *raw = g_malloc(max);
  size_t raw_len = 0;
  if (sodium_base642bin(raw, max, b64, b64_len, NULL, &raw_len, NULL, SEAL_B64) != 0 ||
      raw_len < NONCE_LEN + TAG_LEN) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID, "not a sealed text");
    return FALSE;
  }
  char *text = g_malloc(raw_len - NONCE_LEN - TAG_LEN + 1);
  unsigned long long text_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt((guchar *)text, &text_len, NULL, raw + NONCE_LEN,
                                                 raw_len - NONCE_LEN, (const guchar *)ad, strlen(ad), raw,
                                                 key->key) != 0) {
    g_free(text);
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_SEALED, "does not open with the key");
    return FALSE;
  }
  text[text_len] = '\0';
  *out = text;
  if (out_len) *out_len = (gsize)text_len;
  return TRUE;
}

void persona_unsealed_free(char *text, gsize len) {
  if (!text) return;
  sodium_memzero(text, len);
  g_free(text);
}
