/* test_numfmt.c - shortest round-trip number text. */
#include <glib.h>
#include <locale.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "runtime/numfmt.h"

typedef struct {
  double d;
  const char *text;
} DoubleCase;

static const DoubleCase DOUBLES[] = {
    {0.0, "0"},
    {-0.0, "0"},
    {60.0, "60"},
    {-60.0, "-60"},
    {1.0, "1"},
    {0.1, "0.1"},
    {0.3, "0.3"},
    {1.0 / 3.0, "0.3333333333333333"},
    {2.0 / 3.0, "0.6666666666666666"},
    {31.25, "31.25"},
    {91.25, "91.25"},
    {-1.5, "-1.5"},
    {4.35, "4.35"},
    {123.456, "123.456"},
    {0.1 + 0.2, "0.30000000000000004"},
    {0.0001, "0.0001"},
    {1e-5, "1e-05"},
    {1e-7, "1e-07"},
    {2.5e-8, "2.5e-08"},
    {5e-324, "5e-324"},
    {2.2250738585072014e-308, "2.2250738585072014e-308"},
    {1.7976931348623157e308, "1.7976931348623157e+308"},
    {-1.7976931348623157e308, "-1.7976931348623157e+308"},
    {1.5e300, "1.5e+300"},
    {1e15, "1000000000000000"},
    {1e16, "10000000000000000"},
    {9007199254740992.0, "9007199254740992"},  /* 2^53 */
    {9007199254740994.0, "9007199254740994"},  /* 2^53 + 2 */
    {123456789012345680.0, "123456789012345680"},
    {-123456789012345680.0, "-123456789012345680"},
    {1152921504606846976.0, "1152921504606847000"}, /* 2^60: shortest digits, as JS */
    {1e20, "100000000000000000000"},
    {1e21, "1e+21"},
    {-1e21, "-1e+21"},
    {1e22, "1e+22"},
    {1.5e21, "1.5e+21"},
    {0.5, "0.5"},
    {100.5, "100.5"},
};

static void test_double_table(void) {
  for (size_t i = 0; i < G_N_ELEMENTS(DOUBLES); i++) {
    char buf[PNUM_BUF];
    size_t n = pnum_format_double(DOUBLES[i].d, buf);
    g_assert_cmpstr(buf, ==, DOUBLES[i].text);
    g_assert_cmpuint(n, ==, strlen(buf));
    g_assert_cmpfloat(g_ascii_strtod(buf, NULL), ==, DOUBLES[i].d);
  }
}

/* The reference: the first %.{p}g, p = 1..17, that reads back (C locale,
 * which the tests run in). */
static void shortest_g(double d, char *out, size_t cap) {
  for (int p = 1; p <= 17; p++) {
    snprintf(out, cap, "%.*g", p, d);
    if (g_ascii_strtod(out, NULL) == d) return;
  }
}

static void check_against_reference(double d) {
  char buf[PNUM_BUF], want[64];
  size_t n = pnum_format_double(d, buf);
  g_assert_cmpuint(n, ==, strlen(buf));
  g_assert_cmpfloat(g_ascii_strtod(buf, NULL), ==, d);
  if (d == trunc(d) && fabs(d) < 1e21) return; /* plain digits: checked by the table */
  shortest_g(d, want, sizeof want);
  if (strcmp(buf, want) != 0) g_test_message("%.17g", d);
  g_assert_cmpstr(buf, ==, want);
}

/* Random bit patterns and random short decimals (the fast path, including
 * exact and near ties such as 31.25 and 0.125): the same text as the
 * shortest %g. */
static void test_double_random(void) {
  GRand *rng = g_rand_new_with_seed(20260201);
  for (int i = 0; i < 20000; i++) {
    uint64_t bits = (uint64_t)g_rand_int(rng) << 32 | g_rand_int(rng);
    double d;
    memcpy(&d, &bits, sizeof d);
    if (isfinite(d)) check_against_reference(d);
  }
  static const double scales[] = {1, 10, 100, 1000, 8, 16, 1024, 1e5, 1e7, 1e9, 3, 7};
  for (int i = 0; i < 100000; i++) {
    double n = (double)g_rand_int_range(rng, -2000000, 2000000);
    double d = n / scales[i % G_N_ELEMENTS(scales)];
    if (i % 5 == 0) d *= (double)g_rand_int_range(rng, 1, 1000000);
    if (i % 7 == 0) d += 0.005;
    check_against_reference(d);
  }
  for (int i = 0; i < 20000; i++) /* scores: sums and products of weights */
    check_against_reference(g_rand_double_range(rng, 0, 200) * 0.5 + 0.1 * (i % 13));
  g_rand_free(rng);
}

static void test_double_locale(void) {
  /* A locale with a decimal comma must not leak into the output. */
  static const char *const commas[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8"};
  const char *got = NULL;
  for (size_t i = 0; i < G_N_ELEMENTS(commas) && !got; i++) got = setlocale(LC_NUMERIC, commas[i]);
  if (!got) {
    g_test_skip("no locale with a decimal comma is installed");
    return;
  }
  char buf[PNUM_BUF];
  pnum_format_double(31.25, buf);
  g_assert_cmpstr(buf, ==, "31.25");
  pnum_format_double(1.0 / 3.0, buf);
  g_assert_cmpstr(buf, ==, "0.3333333333333333");
  setlocale(LC_NUMERIC, "C");
}

typedef struct {
  int64_t i;
  const char *text;
} IntCase;

static void test_int(void) {
  static const IntCase cases[] = {
      {0, "0"},
      {7, "7"},
      {-7, "-7"},
      {10, "10"},
      {1234567890, "1234567890"},
      {INT64_MAX, "9223372036854775807"},
      {INT64_MIN, "-9223372036854775808"},
      {-1000000, "-1000000"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    char buf[PNUM_BUF];
    size_t n = pnum_format_int(cases[i].i, buf);
    g_assert_cmpstr(buf, ==, cases[i].text);
    g_assert_cmpuint(n, ==, strlen(buf));
  }
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/runtime/numfmt/double-table", test_double_table);
  g_test_add_func("/runtime/numfmt/double-random", test_double_random);
  g_test_add_func("/runtime/numfmt/double-locale", test_double_locale);
  g_test_add_func("/runtime/numfmt/int", test_int);
  return g_test_run();
}
