/* test_seal.c - sealing at rest (persona_seal…, include/persona.h): the
 * key from the environment (variable, file, none, too short, unreadable),
 * the keyed digest against Python's hashlib (an independent BLAKE2b), the
 * sealed text's layout, a round trip, and that another associated data,
 * another key or an altered byte does not open. */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "persona.h"

static const char secret[] = "unit-test-secret-0123456789";

static PersonaSealKey *key_from(const char *value) {
  g_setenv(PERSONA_STORE_KEY_ENV, value, TRUE);
  g_unsetenv(PERSONA_STORE_KEY_FILE_ENV);
  PersonaSealKey *key = NULL;
  g_autoptr(GError) error = NULL;
  g_assert_true(persona_seal_key_from_env(&key, &error));
  g_assert_no_error(error);
  g_assert_nonnull(key);
  return key;
}

static void test_key_sources(void) {
  g_unsetenv(PERSONA_STORE_KEY_ENV);
  g_unsetenv(PERSONA_STORE_KEY_FILE_ENV);
  PersonaSealKey *key = NULL;
  g_autoptr(GError) error = NULL;
  g_assert_true(persona_seal_key_from_env(&key, &error));
  g_assert_null(key); /* none configured: not an error */

  g_setenv(PERSONA_STORE_KEY_ENV, "short", TRUE);
  g_assert_false(persona_seal_key_from_env(&key, &error));
  g_assert_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID);
  g_assert_nonnull(strstr(error->message, "has 5 bytes: it must have at least 16"));
  g_clear_error(&error);

  /* The file's key with its line break equals the variable's without. */
  char *path = NULL;
  int fd = g_file_open_tmp("persona-seal-XXXXXX", &path, &error);
  g_assert_no_error(error);
  close(fd);
  g_autofree char *line = g_strconcat(secret, "\n", NULL);
  g_assert_true(g_file_set_contents(path, line, -1, &error));
  g_unsetenv(PERSONA_STORE_KEY_ENV);
  g_setenv(PERSONA_STORE_KEY_FILE_ENV, path, TRUE);
  g_autoptr(PersonaSealKey) from_file = NULL;
  g_assert_true(persona_seal_key_from_env(&from_file, &error));
  g_autoptr(PersonaSealKey) from_env = key_from(secret);
  char a[65], b[65];
  persona_seal_digest(from_file, "abc", 3, a);
  persona_seal_digest(from_env, "abc", 3, b);
  g_assert_cmpstr(a, ==, b);
  g_unlink(path);
  g_free(path);

  g_unsetenv(PERSONA_STORE_KEY_ENV);
  g_setenv(PERSONA_STORE_KEY_FILE_ENV, "/nonexistent/persona.key", TRUE);
  g_assert_false(persona_seal_key_from_env(&key, &error));
  g_assert_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID);
  g_assert_true(g_str_has_prefix(error->message, "cannot read the key file named by PERSONA_STORE_KEY_FILE: "));
  g_unsetenv(PERSONA_STORE_KEY_FILE_ENV);
}

/* python3: k = blake2b(secret, key=b"persona store key v1", digest_size=32);
 * blake2b(b"abc", key=k, digest_size=32).hexdigest() */
static void test_digest(void) {
  g_autoptr(PersonaSealKey) key = key_from(secret);
  char hex[65];
  persona_seal_digest(key, "abc", 3, hex);
  g_assert_cmpstr(hex, ==, "81aec756695bd06aec086660dfeaa0557e6993b712f1eac529fb4b0658f65850");
}

static void test_round_trip(void) {
  g_autoptr(PersonaSealKey) key = key_from(secret);
  static const char data[] = "{\"id\":\"c1\",\"email\":\"ann@example.com\"}\n";
  gsize len = sizeof data - 1;
  g_autofree char *sealed = persona_seal(key, "crm", data, len);
  g_assert_true(g_str_has_prefix(sealed, "$sealed1$"));
  g_assert_true(persona_is_sealed(sealed, strlen(sealed)));
  g_assert_false(persona_is_sealed(data, len));
  g_assert_null(strstr(sealed, "ann@example.com"));
  /* base64url without padding of nonce (24) + data + tag (16) */
  gsize raw = 24 + len + 16;
  g_assert_cmpuint(strlen(sealed) - 9, ==, raw / 3 * 4 + (raw % 3 ? raw % 3 + 1 : 0));
  g_assert_cmpuint(strspn(sealed + 9, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), ==,
                   strlen(sealed) - 9);
  g_autofree char *again = persona_seal(key, "crm", data, len);
  g_assert_cmpstr(again, !=, sealed); /* a nonce of its own */

  char *out = NULL;
  gsize out_len = 0;
  g_autoptr(GError) error = NULL;
  g_assert_true(persona_unseal(key, "crm", sealed, strlen(sealed), &out, &out_len, &error));
  g_assert_no_error(error);
  g_assert_cmpmem(out, out_len, data, len);
  g_assert_cmpint(out[out_len], ==, '\0');
  persona_unsealed_free(out, out_len);
}

static void test_does_not_open(void) {
  g_autoptr(PersonaSealKey) key = key_from(secret);
  g_autoptr(PersonaSealKey) other = key_from("another-secret-of-enough-bytes");
  g_autofree char *sealed = persona_seal(key, "crm", "x", 1);
  gsize n = strlen(sealed);
  char *out = NULL;
  g_autoptr(GError) error = NULL;
  g_assert_false(persona_unseal(key, "web", sealed, n, &out, NULL, &error));
  g_assert_error(error, PERSONA_ERROR, PERSONA_ERROR_SEALED);
  g_clear_error(&error);
  g_assert_false(persona_unseal(other, "crm", sealed, n, &out, NULL, &error));
  g_assert_error(error, PERSONA_ERROR, PERSONA_ERROR_SEALED);
  g_clear_error(&error);
  sealed[n - 2] = sealed[n - 2] == 'A' ? 'B' : 'A'; /* a bit of the tag */
  g_assert_false(persona_unseal(key, "crm", sealed, n, &out, NULL, &error));
  g_assert_error(error, PERSONA_ERROR, PERSONA_ERROR_SEALED);
  g_clear_error(&error);
  g_assert_false(persona_unseal(key, "crm", "$sealed1$AAAA", 13, &out, NULL, &error));
  g_assert_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID);
  g_clear_error(&error);
  g_assert_false(persona_unseal(key, "crm", "{}", 2, &out, NULL, &error));
  g_assert_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID);
  g_assert_null(out);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/seal/key_sources", test_key_sources);
  g_test_add_func("/seal/digest", test_digest);
  g_test_add_func("/seal/round_trip", test_round_trip);
  g_test_add_func("/seal/does_not_open", test_does_not_open);
  return g_test_run();
}
