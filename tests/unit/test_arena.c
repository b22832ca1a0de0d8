/* test_arena.c - the per-record arena gives memory back: after a record
 * that needed much, a reset keeps at most PA_KEEP_BYTES of chunks, and a
 * limit refuses an allocation without changing what is there. */
#include <string.h>

#include <glib.h>

#include "runtime/arena.h"
#include "runtime/value.h"

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


/* pvalue_deep_copy checks every allocation: an arena whose limit runs out
 * part way through a nested value gives false and a null, never a crash
 * (it once wrote through NULL under `ulimit -v`); with room, the copy is
 * equal and shares nothing with the original. */
static void test_deep_copy_checked(void) {
  char text[64];
  PValue leaves[8], inner[2], outer;
  for (int i = 0; i < 8; i++) {
    g_snprintf(text, sizeof text, "leaf-%d-%s", i, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    leaves[i] = pv_string(g_strdup(text), (uint32_t)strlen(text));
  }
  inner[0] = pv_list(leaves, 4);
  inner[1] = pv_list(leaves + 4, 4);
  outer = pv_list(inner, 2);
  size_t enough = 0;
  for (size_t limit = 16; limit <= 4096; limit += 16) {
    PArena a;
    pa_init(&a, limit);
    PValue copy;
    bool ok = pvalue_deep_copy(&a, outer, &copy);
    if (!ok) {
      g_assert_true(copy.kind == PV_NULL);
    } else {
      if (!enough) enough = limit;
      g_assert_true(pvalue_equal(copy, outer));
      g_assert_true(copy.u.items != outer.u.items);
      g_assert_true(copy.u.items[1].u.items[3].u.s != leaves[7].u.s);
    }
    pa_free(&a);
  }
  /* Some limits were too small and the larger ones all worked. */
  g_assert_cmpuint(enough, >, 16);
  for (int i = 0; i < 8; i++) g_free((char *)leaves[i].u.s);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/arena/reset-gives-back", test_reset_gives_back);
  g_test_add_func("/arena/limit", test_limit);
  g_test_add_func("/arena/deep-copy-checked", test_deep_copy_checked);
  return g_test_run();
}
