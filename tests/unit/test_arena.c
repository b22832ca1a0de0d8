/* test_arena.c - the per-record arena gives memory back: after a record
 * that needed much, a reset keeps at most PA_KEEP_BYTES of chunks, and a
 * limit refuses an allocation without changing what is there. */
#include <string.h>

#include <glib.h>

#include "runtime/arena.h"

static void test_reset_gives_back(void) {
  PArena a;
  pa_init(&a, 0);
  /* An ordinary record: one small chunk, kept across resets. */
  g_assert_nonnull(pa_alloc(&a, 1000));
  pa_reset(&a);
  gsize small = pa_retained(&a);
  g_assert_cmpuint(small, >, 0);
  g_assert_cmpuint(small, <=, PA_KEEP_BYTES);
  /* A huge record: 64 MiB in 1 MiB pieces and one 32 MiB piece. */
  for (int i = 0; i < 64; i++) memset(pa_alloc(&a, 1 << 20), 1, 1 << 20);
  g_assert_nonnull(pa_alloc(&a, (gsize)32 << 20));
  g_assert_cmpuint(pa_retained(&a), >=, (gsize)96 << 20);
  pa_reset(&a);
  g_assert_cmpuint(pa_retained(&a), <=, PA_KEEP_BYTES);
  g_assert_cmpuint(pa_retained(&a), >=, small); /* the small chunk stays for the next record */
  /* The arena still works after the trim. */
  char *p = pa_strndup(&a, "still here", 10);
  g_assert_cmpstr(p, ==, "still here");
  pa_free(&a);
}

static void test_limit(void) {
  PArena a;
  pa_init(&a, (gsize)1 << 20);
  g_assert_nonnull(pa_alloc(&a, 512 << 10));
  g_assert_null(pa_alloc(&a, 1 << 20)); /* over the limit: refused */
  g_assert_nonnull(pa_alloc(&a, 256 << 10)); /* what fits still does */
  pa_free(&a);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/arena/reset-gives-back", test_reset_gives_back);
  g_test_add_func("/arena/limit", test_limit);
  return g_test_run();
}
