/* test_state_store.c - the profile state store and state files
 * (runtime/state_store.c, docs/state.md). */
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "persona.h"

/* ---- helpers ---------------------------------------------------------------- */

/* A fresh directory under the system's temporary directory. */
static char *make_dir(void) {
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp("persona-state-XXXXXX", &error);
  g_assert_no_error(error);
  return dir;
}

/* Removes a directory made by make_dir() and what is in it (one level). */
static void remove_dir(const char *dir) {
  g_chmod(dir, 0700);
  GDir *d = g_dir_open(dir, 0, NULL);
  if (d) {
    const char *name;
    while ((name = g_dir_read_name(d))) {
      g_autofree char *p = g_build_filename(dir, name, NULL);
      if (g_file_test(p, G_FILE_TEST_IS_DIR))
        g_rmdir(p);
      else
        g_unlink(p);
    }
    g_dir_close(d);
  }
  g_rmdir(dir);
}

static void write_text(const char *path, const char *text) {
  g_autoptr(GError) error = NULL;
  g_file_set_contents(path, text, -1, &error);
  g_assert_no_error(error);
}

static char *read_text(const char *path) {
  g_autoptr(GError) error = NULL;
  char *text = NULL;
  g_file_get_contents(path, &text, NULL, &error);
  g_assert_no_error(error);
  return text;
}

static gint cmp_names(gconstpointer a, gconstpointer b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in a directory, sorted, joined by spaces. */
static char *list_dir(const char *dir) {
  GDir *d = g_dir_open(dir, 0, NULL);
  g_assert_nonnull(d);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  const char *name;
  while ((name = g_dir_read_name(d))) g_ptr_array_add(names, g_strdup(name));
  g_dir_close(d);
  g_ptr_array_sort(names, cmp_names);
  g_ptr_array_add(names, NULL);
  return g_strjoinv(" ", (char **)names->pdata);
}

/* Loads `text` written to a file; NULL and *error when the load fails. */
static PersonaStateStore *load_text(const char *dir, const char *text, GError **error) {
  g_autofree char *path = g_build_filename(dir, "state.jsonl", NULL);
  write_text(path, text);
  return persona_state_store_load(path, error);
}

/* ---- the store in memory ------------------------------------------------------ */

static void test_set_get(void) {
  g_autoptr(PersonaStateStore) store = persona_state_store_new();
  g_assert_cmpuint(persona_state_store_size(store), ==, 0);
  g_assert_null(persona_state_store_get(store, "\"p1\""));

  persona_state_store_set(store, "\"p1\"", "{\"v\":1}");
  persona_state_store_set(store, "42", "{\"v\":1,\"lifecycles\":[]}");
  g_assert_cmpuint(persona_state_store_size(store), ==, 2);
  g_assert_cmpstr(persona_state_store_get(store, "\"p1\""), ==, "{\"v\":1}");
  g_assert_cmpstr(persona_state_store_get(store, "42"), ==, "{\"v\":1,\"lifecycles\":[]}");
  g_assert_null(persona_state_store_get(store, "\"42\"")); /* the string is another key */

  /* Replacing keeps the size; the strings are copies. */
  char state[] = "{\"v\":1,\"journeys\":[]}";
  persona_state_store_set(store, "\"p1\"", state);
  state[1] = 'X';
  g_assert_cmpuint(persona_state_store_size(store), ==, 2);
  g_assert_cmpstr(persona_state_store_get(store, "\"p1\""), ==, "{\"v\":1,\"journeys\":[]}");

  /* Setting a key to the state it already has (the same pointer). */
  persona_state_store_set(store, "42", persona_state_store_get(store, "42"));
  g_assert_cmpstr(persona_state_store_get(store, "42"), ==, "{\"v\":1,\"lifecycles\":[]}");
}

/* ---- loading and saving --------------------------------------------------------- */

static void test_missing_file(void) {
  g_autofree char *dir = make_dir();
  g_autofree char *path = g_build_filename(dir, "none.jsonl", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaStateStore) store = persona_state_store_load(path, &error);
  g_assert_no_error(error);
  g_assert_nonnull(store);
  g_assert_cmpuint(persona_state_store_size(store), ==, 0);
  /* Loading does not create it. */
  g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
  remove_dir(dir);
}

static void test_unreadable(void) {
  g_autofree char *dir = make_dir();
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaStateStore) store = persona_state_store_load(dir, &error); /* a directory */
  g_assert_null(store);
  g_assert_error(error, PERSONA_ERROR, PERSONA_ERROR_IO);
  g_assert_nonnull(strstr(error->message, dir));
  remove_dir(dir);
}

static void test_round_trip(void) {
  g_autofree char *dir = make_dir();
  /* Spacing inside a line is allowed; states are kept as given; a last
   * line without "\n" counts; a "\r" before "\n" is whitespace. */
  const char *text =
      "{\"id\":\"p2\",\"state\":{\"v\":1,\"lifecycles\":[{\"name\":\"funnel\",\"stage\":\"mql\"}]}}\n"
      " { \"state\" : {\"v\":1, \"journeys\":[]} , \"id\" : 7 , \"extra\":true }\r\n"
      "{\"id\":\"p1\",\"state\":{\"future_key\":[1,2],\"v\":1}}";
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaStateStore) store = load_text(dir, text, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(persona_state_store_size(store), ==, 3);
  g_assert_cmpstr(persona_state_store_get(store, "\"p2\""), ==,
                  "{\"v\":1,\"lifecycles\":[{\"name\":\"funnel\",\"stage\":\"mql\"}]}");
  g_assert_cmpstr(persona_state_store_get(store, "7"), ==, "{\"v\":1, \"journeys\":[]}");
  g_assert_cmpstr(persona_state_store_get(store, "\"p1\""), ==,
                  "{\"future_key\":[1,2],\"v\":1}");

  g_autofree char *out = g_build_filename(dir, "out.jsonl", NULL);
  g_assert_true(persona_state_store_save(store, out, &error));
  g_assert_no_error(error);
  g_autofree char *saved = read_text(out);
  g_assert_cmpstr(saved, ==,
                  "{\"id\":\"p2\",\"state\":{\"v\":1,\"lifecycles\":[{\"name\":\"funnel\","
                  "\"stage\":\"mql\"}]}}\n"
                  "{\"id\":7,\"state\":{\"v\":1, \"journeys\":[]}}\n"
                  "{\"id\":\"p1\",\"state\":{\"future_key\":[1,2],\"v\":1}}\n");

  /* What was saved loads back to the same file. */
  g_autoptr(PersonaStateStore) again = persona_state_store_load(out, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(persona_state_store_size(again), ==, 3);
  g_assert_true(persona_state_store_save(again, out, &error));
  g_autofree char *saved2 = read_text(out);
  g_assert_cmpstr(saved2, ==, saved);

  /* Nothing is left beside the files. */
  g_autofree char *names = list_dir(dir);
  g_assert_cmpstr(names, ==, "out.jsonl state.jsonl");
  remove_dir(dir);
}

static void test_empty(void) {
  g_autofree char *dir = make_dir();
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaStateStore) store = load_text(dir, "", &error);
  g_assert_no_error(error);
  g_assert_cmpuint(persona_state_store_size(store), ==, 0);
  g_autofree char *out = g_build_filename(dir, "out.jsonl", NULL);
  g_assert_true(persona_state_store_save(store, out, &error));
  g_autofree char *saved = read_text(out);
  g_assert_cmpstr(saved, ==, "");
  remove_dir(dir);
}

/* Lines keep the order in which keys were first added; replacing a state
 * keeps its line in place. */
static void test_order(void) {
  g_autofree char *dir = make_dir();
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaStateStore) store =
      load_text(dir,
                "{\"id\":\"b\",\"state\":{\"v\":1}}\n"
                "{\"id\":\"a\",\"state\":{\"v\":1}}\n"
                "{\"id\":3,\"state\":{\"v\":1}}\n",
                &error);
  g_assert_no_error(error);
  persona_state_store_set(store, "\"c\"", "{\"v\":1,\"n\":\"c\"}");
  persona_state_store_set(store, "\"a\"", "{\"v\":1,\"n\":\"a2\"}");
  persona_state_store_set(store, "1", "{\"v\":1,\"n\":1}");
  g_autofree char *path = g_build_filename(dir, "state.jsonl", NULL);
  g_assert_true(persona_state_store_save(store, path, &error));
  g_assert_no_error(error);
  g_autofree char *saved = read_text(path);
  g_assert_cmpstr(saved, ==,
                  "{\"id\":\"b\",\"state\":{\"v\":1}}\n"
                  "{\"id\":\"a\",\"state\":{\"v\":1,\"n\":\"a2\"}}\n"
                  "{\"id\":3,\"state\":{\"v\":1}}\n"
                  "{\"id\":\"c\",\"state\":{\"v\":1,\"n\":\"c\"}}\n"
                  "{\"id\":1,\"state\":{\"v\":1,\"n\":1}}\n");
  remove_dir(dir);
}

/* Two spellings of one key are one key; keys are saved in the form the VM
 * writes them. */
static void test_key_normalisation(void) {
  static const struct {
    const char *id;    /* as written in the file */
    const char *key;   /* the key it is stored under */
  } cases[] = {
      {"\"p\\u0031\"", "\"p1\""},
      {"\"a\\/b\"", "\"a/b\""},
      {"\"caf\\u00e9\"", "\"caf\xc3\xa9\""},
      {"\"caf\xc3\xa9\"", "\"caf\xc3\xa9\""},
      {"\"tab\\u0009\"", "\"tab\\t\""},
      {"\"\\u0001\"", "\"\\u0001\""},
      {"\"\\ud83d\\ude00\"", "\"\xf0\x9f\x98\x80\""},
      {"42", "42"},
      {"42.0", "42"},
      {"4.2e1", "42"},
      {"-0", "0"},
      {"-9223372036854775808", "-9223372036854775808"},
  };
  g_autofree char *dir = make_dir();
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *line = g_strdup_printf("{\"id\":%s,\"state\":{\"v\":1,\"i\":%zu}}\n",
                                            cases[i].id, i);
    g_autoptr(GError) error = NULL;
    g_autoptr(PersonaStateStore) store = load_text(dir, line, &error);
    g_assert_no_error(error);
    g_autofree char *want = g_strdup_printf("{\"v\":1,\"i\":%zu}", i);
    g_assert_cmpstr(persona_state_store_get(store, cases[i].key), ==, want);
    g_autofree char *out = g_build_filename(dir, "out.jsonl", NULL);
    g_assert_true(persona_state_store_save(store, out, &error));
    g_autofree char *saved = read_text(out);
    g_autofree char *want_line = g_strdup_printf("{\"id\":%s,\"state\":%s}\n", cases[i].key, want);
    g_assert_cmpstr(saved, ==, want_line);
  }
  remove_dir(dir);
}

/* Every kind of damage, with its message and line; nothing is loaded. */
static void test_damaged(void) {
  static const struct {
    const char *text;
    const char *message; /* after "PATH:" */
  } cases[] = {
      {"{\"id\":\"p1\",\"state\":{\"v\":1}\n", "1: malformed JSON at byte 27: unexpected end of text, expected ',' or '}'"},
      {"{\"id\":\"p1\",\"state\":{\"v\":1}}\n{\"id\":\"p2\" \"state\":{}}\n",
       "2: malformed JSON at byte 12: expected ',' or '}'"},
      {"{\"id\":\"p1\",\"state\":{\"v\":1}} x\n", "1: malformed JSON at byte 29: unexpected text after the object"},
      {"{\"id\":\"\xc3\",\"state\":{\"v\":1}}\n", "1: invalid UTF-8 at byte 8"},
      {"[1,2]\n", "1: expected a JSON object, got an array"},
      {"{\"id\":\"p1\",\"state\":{\"v\":1}}\n\n{\"id\":\"p2\",\"state\":{\"v\":1}}\n", "2: empty line"},
      {"{\"id\":\"p1\",\"state\":{\"v\":1}}\n  \r\n", "2: empty line"},
      {"{\"state\":{\"v\":1}}\n", "1: missing \"id\""},
      {"{\"id\":\"p1\"}\n", "1: missing \"state\""},
      {"{\"id\":null,\"state\":{\"v\":1}}\n", "1: \"id\" must be a string or an integer, got null"},
      {"{\"id\":true,\"state\":{\"v\":1}}\n", "1: \"id\" must be a string or an integer, got a boolean"},
      {"{\"id\":[1],\"state\":{\"v\":1}}\n", "1: \"id\" must be a string or an integer, got an array"},
      {"{\"id\":4.5,\"state\":{\"v\":1}}\n", "1: id: expected an integer, got 4.5"},
      {"{\"id\":1e19,\"state\":{\"v\":1}}\n", "1: id: integer out of range: 1e19"},
      {"{\"id\":\"\\udc00\",\"state\":{\"v\":1}}\n",
       "1: id: invalid string: a \\u escape is a lone UTF-16 surrogate"},
      {"{\"id\":\"p1\",\"state\":[]}\n", "1: \"state\" must be an object, got an array"},
      /* null is no state, and still counts for duplicates. */
      {"{\"id\":\"p1\",\"state\":null}\n{\"id\":\"p1\",\"state\":{}}\n",
       "2: profile \"p1\" appears twice (first at line 1)"},
      {"{\"id\":\"p1\",\"state\":{\"lifecycles\":[]}}\n", "1: state has no format version \"v\""},
      {"{\"id\":\"p1\",\"state\":{\"w\":{\"v\":1}}}\n", "1: state has no format version \"v\""},
      {"{\"id\":\"p1\",\"state\":{\"v\":1}}\n{\"id\":\"p2\",\"state\":{\"v\":2}}\n",
       "2: state format version 2 is newer than this persona understands (1)"},
      {"{\"id\":\"p1\",\"state\":{\"v\":0}}\n", "1: state format version 0 is not valid (expected 1)"},
      {"{\"id\":\"p1\",\"state\":{\"v\":\"1\"}}\n",
       "1: state format version \"1\" is not valid (expected 1)"},
      {"{\"id\":\"p1\",\"state\":{\"v\":1.5}}\n",
       "1: state format version 1.5 is not valid (expected 1)"},
      {"{\"id\":\"p1\",\"state\":{\"v\":null}}\n",
       "1: state format version null is not valid (expected 1)"},
      {"{\"id\":\"p1\",\"state\":{\"v\":1e99}}\n",
       "1: state format version 1e99 is not valid (expected 1)"},
      {"{\"id\":\"p1\",\"state\":{\"v\":1}}\n{\"id\":2,\"state\":{\"v\":1}}\n"
       "{\"id\":\"p1\",\"state\":{\"v\":1}}\n",
       "3: profile \"p1\" appears twice (first at line 1)"},
      /* Two spellings of one key are a duplicate too. */
      {"{\"id\":2,\"state\":{\"v\":1}}\n{\"id\":\"p\\u0031\",\"state\":{\"v\":1}}\n"
       "{\"id\":\"p1\",\"state\":{\"v\":1}}\n",
       "3: profile \"p1\" appears twice (first at line 2)"},
      {"{\"id\":42,\"state\":{\"v\":1}}\n{\"id\":42.0,\"state\":{\"v\":1}}",
       "2: profile 42 appears twice (first at line 1)"},
      /* The last line counts without its newline. */
      {"{\"id\":\"p1\",\"state\":{\"v\":1}}\n{\"id\":\"p2\",\"state\":{\"v\":3}}",
       "2: state format version 3 is newer than this persona understands (1)"},
  };
  g_autofree char *dir = make_dir();
  g_autofree char *path = g_build_filename(dir, "state.jsonl", NULL);
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_test_message("case %zu", i);
    g_autoptr(GError) error = NULL;
    g_autoptr(PersonaStateStore) store = load_text(dir, cases[i].text, &error);
    g_assert_null(store);
    g_assert_error(error, PERSONA_ERROR, PERSONA_ERROR_STATE);
    g_autofree char *want = g_strdup_printf("%s:%s", path, cases[i].message);
    g_assert_cmpstr(error->message, ==, want);
  }
  remove_dir(dir);
}

/* A long duplicate key is quoted cut, not whole. */
static void test_damaged_long_key(void) {
  g_autofree char *dir = make_dir();
  g_autofree char *id = g_strnfill(100, 'k');
  g_autofree char *text = g_strdup_printf(
      "{\"id\":\"%s\",\"state\":{\"v\":1}}\n{\"id\":\"%s\",\"state\":{\"v\":1}}\n", id, id);
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaStateStore) store = load_text(dir, text, &error);
  g_assert_null(store);
  g_autofree char *path = g_build_filename(dir, "state.jsonl", NULL);
  g_autofree char *cut = g_strnfill(59, 'k');
  g_autofree char *want =
      g_strdup_printf("%s:2: profile \"%s... appears twice (first at line 1)", path, cut);
  g_assert_cmpstr(error->message, ==, want);
  remove_dir(dir);
}

/* ---- atomic saving ------------------------------------------------------------------ */

static PersonaStateStore *sample_store(void) {
  PersonaStateStore *store = persona_state_store_new();
  persona_state_store_set(store, "\"new\"", "{\"v\":1}");
  return store;
}

/* A directory that cannot be written: the save fails with an I/O error and
 * leaves the old file as it was. Root ignores permissions, so the check
 * runs in a subprocess that gives up root first. */
static void test_save_readonly_dir(void) {
  if (g_test_subprocess()) {
    const char *dir = g_getenv("PERSONA_TEST_DIR");
    if (geteuid() == 0) {
      g_assert_cmpint(setgid(65534), ==, 0);
      g_assert_cmpint(setuid(65534), ==, 0);
    }
    g_autofree char *path = g_build_filename(dir, "state.jsonl", NULL);
    g_autoptr(PersonaStateStore) store = sample_store();
    g_autoptr(GError) error = NULL;
    g_assert_false(persona_state_store_save(store, path, &error));
    g_assert_error(error, PERSONA_ERROR, PERSONA_ERROR_IO);
    g_autofree char *want = g_strdup_printf("cannot create a file beside '%s': Permission denied",
                                            path);
    g_assert_cmpstr(error->message, ==, want);
    return;
  }
  g_autofree char *dir = make_dir();
  g_autofree char *path = g_build_filename(dir, "state.jsonl", NULL);
  const char *old = "{\"id\":\"old\",\"state\":{\"v\":1}}\n";
  write_text(path, old);
  g_assert_cmpint(g_chmod(path, 0644), ==, 0);
  g_assert_cmpint(g_chmod(dir, 0555), ==, 0);
  g_setenv("PERSONA_TEST_DIR", dir, TRUE);
  g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed();
  g_test_trap_assert_stderr("");
  g_autofree char *after = read_text(path);
  g_assert_cmpstr(after, ==, old);
  g_autofree char *names = list_dir(dir);
  g_assert_cmpstr(names, ==, "state.jsonl");
  remove_dir(dir);
}

/* A failure after the temporary file was written (the rename: the target
 * is a directory) removes the temporary file. */
static void test_save_cleans_up(void) {
  g_autofree char *dir = make_dir();
  g_autofree char *target = g_build_filename(dir, "state.jsonl", NULL);
  g_assert_cmpint(g_mkdir(target, 0700), ==, 0);
  g_autofree char *inside = g_build_filename(target, "keep", NULL);
  write_text(inside, "x");
  g_autoptr(PersonaStateStore) store = sample_store();
  g_autoptr(GError) error = NULL;
  g_assert_false(persona_state_store_save(store, target, &error));
  g_assert_error(error, PERSONA_ERROR, PERSONA_ERROR_IO);
  g_assert_true(g_str_has_prefix(error->message, "cannot replace '"));
  g_autofree char *names = list_dir(dir);
  g_assert_cmpstr(names, ==, "state.jsonl");
  g_autofree char *kept = read_text(inside);
  g_assert_cmpstr(kept, ==, "x");
  g_unlink(inside);

  /* A directory that does not exist. */
  g_autofree char *nowhere = g_build_filename(dir, "no", "state.jsonl", NULL);
  g_clear_error(&error);
  g_assert_false(persona_state_store_save(store, nowhere, &error));
  g_assert_error(error, PERSONA_ERROR, PERSONA_ERROR_IO);
  g_autofree char *want =
      g_strdup_printf("cannot create a file beside '%s': No such file or directory", nowhere);
  g_assert_cmpstr(error->message, ==, want);
  remove_dir(dir);
}

/* A write that fails half-way (here: the file size limit) removes the
 * temporary file and leaves the old file. */
static void test_save_write_fails(void) {
  if (g_test_subprocess()) {
    const char *dir = g_getenv("PERSONA_TEST_DIR");
    g_autofree char *path = g_build_filename(dir, "state.jsonl", NULL);
    g_autoptr(PersonaStateStore) store = persona_state_store_new();
    g_autofree char *pad = g_strnfill(4000, 'x');
    g_autofree char *state = g_strdup_printf("{\"v\":1,\"pad\":\"%s\"}", pad);
    persona_state_store_set(store, "\"big\"", state);
    signal(SIGXFSZ, SIG_IGN); /* write() fails with EFBIG instead */
    struct rlimit limit = {1000, 1000};
    g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &limit), ==, 0);
    g_autoptr(GError) error = NULL;
    g_assert_false(persona_state_store_save(store, path, &error));
    g_assert_error(error, PERSONA_ERROR, PERSONA_ERROR_IO);
    g_autofree char *want = g_strdup_printf("cannot write '%s': File too large", path);
    g_assert_cmpstr(error->message, ==, want);
    return;
  }
  g_autofree char *dir = make_dir();
  g_autofree char *path = g_build_filename(dir, "state.jsonl", NULL);
  const char *old = "{\"id\":\"old\",\"state\":{\"v\":1}}\n";
  write_text(path, old);
  g_setenv("PERSONA_TEST_DIR", dir, TRUE);
  g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed();
  g_autofree char *after = read_text(path);
  g_assert_cmpstr(after, ==, old);
  g_autofree char *names = list_dir(dir);
  g_assert_cmpstr(names, ==, "state.jsonl");
  remove_dir(dir);
}

/* Replacing a file keeps its mode. */
static void test_save_keeps_mode(void) {
  g_autofree char *dir = make_dir();
  g_autofree char *path = g_build_filename(dir, "state.jsonl", NULL);
  write_text(path, "");
  g_assert_cmpint(g_chmod(path, 0640), ==, 0);
  g_autoptr(PersonaStateStore) store = sample_store();
  g_autoptr(GError) error = NULL;
  g_assert_true(persona_state_store_save(store, path, &error));
  GStatBuf st;
  g_assert_cmpint(g_stat(path, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 07777, ==, 0640);
  g_autofree char *saved = read_text(path);
  g_assert_cmpstr(saved, ==, "{\"id\":\"new\",\"state\":{\"v\":1}}\n");
  remove_dir(dir);
}

/* Many profiles: more than one write block, order kept. */
static void test_save_large(void) {
  g_autofree char *dir = make_dir();
  g_autofree char *path = g_build_filename(dir, "state.jsonl", NULL);
  g_autoptr(PersonaStateStore) store = persona_state_store_new();
  g_autofree char *pad = g_strnfill(100, 'x');
  enum { N = 20000 };
  for (int i = N; i > 0; i--) {
    char key[32];
    g_snprintf(key, sizeof key, "%d", i);
    g_autofree char *state = g_strdup_printf("{\"v\":1,\"pad\":\"%s\"}", pad);
    persona_state_store_set(store, key, state);
  }
  g_autoptr(GError) error = NULL;
  g_assert_true(persona_state_store_save(store, path, &error));
  g_autoptr(PersonaStateStore) back = persona_state_store_load(path, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(persona_state_store_size(back), ==, N);
  g_autofree char *text = read_text(path);
  g_assert_true(g_str_has_prefix(text, "{\"id\":20000,"));
  g_assert_true(g_str_has_suffix(text, "{\"id\":1,\"state\":{\"v\":1,\"pad\":\"" 
                                       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                                       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}}\n"));
  remove_dir(dir);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/runtime/state_store/set-get", test_set_get);
  g_test_add_func("/runtime/state_store/missing-file", test_missing_file);
  g_test_add_func("/runtime/state_store/unreadable", test_unreadable);
  g_test_add_func("/runtime/state_store/round-trip", test_round_trip);
  g_test_add_func("/runtime/state_store/empty", test_empty);
  g_test_add_func("/runtime/state_store/order", test_order);
  g_test_add_func("/runtime/state_store/key-normalisation", test_key_normalisation);
  g_test_add_func("/runtime/state_store/damaged", test_damaged);
  g_test_add_func("/runtime/state_store/damaged-long-key", test_damaged_long_key);
  g_test_add_func("/runtime/state_store/save-readonly-dir", test_save_readonly_dir);
  g_test_add_func("/runtime/state_store/save-cleans-up", test_save_cleans_up);
  g_test_add_func("/runtime/state_store/save-write-fails", test_save_write_fails);
  g_test_add_func("/runtime/state_store/save-keeps-mode", test_save_keeps_mode);
  g_test_add_func("/runtime/state_store/save-large", test_save_large);
  return g_test_run();
}
