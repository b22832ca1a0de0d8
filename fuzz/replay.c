/* replay.c - runs a fuzz target's entry point once on each given file, or
 * on each file of each given directory (in name order), without libFuzzer.
 *
 *   fuzz_replay_TARGET fuzz/seeds/TARGET fuzz/regressions/TARGET
 *   fuzz_replay_TARGET --random N SEED     N pseudo-random inputs (1..600
 *                                          bytes) from SEED, the same on
 *                                          every machine
 *
 * This is how the inputs the fuzzers once crashed on stay tests of every
 * build (ctest fuzz/regress/TARGET): a crash, a sanitizer report or an
 * abort() of a target's own checks fails the test. Prints the number of
 * inputs replayed; exit status 2 when an argument cannot be read.
 */
#include <glib.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static int replay_file(const char *path) {
  gchar *text = NULL;
  gsize len = 0;
  GError *error = NULL;
  if (!g_file_get_contents(path, &text, &len, &error)) {
    fprintf(stderr, "%s\n", error->message);
    g_error_free(error);
    return 0;
  }
  LLVMFuzzerTestOneInput((const uint8_t *)text, len);
  g_free(text);
  return 1;
}

static gint compare_names(gconstpointer a, gconstpointer b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of dir, sorted; -1 when dir cannot be read. */
static int replay_dir(const char *dir) {
  GDir *d = g_dir_open(dir, 0, NULL);
  if (!d) return -1;
  GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
  for (const char *n; (n = g_dir_read_name(d));)
    if (n[0] != '.') g_ptr_array_add(names, g_build_filename(dir, n, NULL));
  g_dir_close(d);
  g_ptr_array_sort(names, compare_names);
  int count = 0;
  bool ok = true;
  for (guint i = 0; i < names->len; i++) {
    const char *path = g_ptr_array_index(names, i);
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) continue;
    fprintf(stderr, "replay %s\n", path); /* the last one named is the one that crashed */
    if (replay_file(path)) count++;
    else ok = false;
  }
  g_ptr_array_unref(names);
  return ok ? count : -1;
}

/* Random inputs without libFuzzer: what a target that builds its input
 * from the bytes (fuzz_insns) needs to be exercised in every build. */
static int replay_random(int n, guint32 seed) {
  GRand *rand = g_rand_new_with_seed(seed);
  guint8 buf[600];
  for (int k = 0; k < n; k++) {
    gsize len = (gsize)g_rand_int_range(rand, 1, (gint32)sizeof buf + 1);
    for (gsize i = 0; i < len; i++) buf[i] = (guint8)g_rand_int(rand);
    LLVMFuzzerTestOneInput(buf, len);
  }
  g_rand_free(rand);
  return n;
}

int main(int argc, char **argv) {
  LLVMFuzzerInitialize(&argc, &argv);
  if (argc == 4 && strcmp(argv[1], "--random") == 0) {
    int n = replay_random(atoi(argv[2]), (guint32)strtoul(argv[3], NULL, 10));
    printf("%d random inputs replayed\n", n);
    return 0;
  }
  int total = 0, status = 0;
  for (int i = 1; i < argc; i++) {
    bool dir = g_file_test(argv[i], G_FILE_TEST_IS_DIR);
    int n = dir ? replay_dir(argv[i]) : replay_file(argv[i]);
    if (n < 0 || (n == 0 && !dir)) {
      fprintf(stderr, "cannot read %s\n", argv[i]);
      status = 2;
      continue;
    }
    total += n;
  }
  printf("%d inputs replayed\n", total);
  return status;
}
