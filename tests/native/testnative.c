/* testnative.c - a shared library of host functions for test_natives: one
 * function per argument and result type, the null conventions of
 * persona.h ("host functions"), and misbehaving results. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The library's interface (what a model declares with extern fn). */
int64_t tn_add(int64_t a, int64_t b);
double tn_scale(double x, double k);
int tn_is_even(int64_t x);
const char *tn_greet(const char *name);
double tn_maybe_sqrt(double x);
const char *tn_upper_or_null(const char *s);
int64_t tn_double_or_null(int64_t x);
int tn_not(int b);
double tn_inf(double x);

int64_t tn_add(int64_t a, int64_t b) { return a + b; }
double tn_scale(double x, double k) { return x * k; }
int tn_is_even(int64_t x) { return x % 2 == 0; }

/* A string result in a thread-local buffer: Persona copies it at once. */
const char *tn_greet(const char *name) {
  static _Thread_local char buf[128];
  snprintf(buf, sizeof buf, "hello %s", name);
  return buf;
}

/* number? result: NaN is null. */
double tn_maybe_sqrt(double x) { return x < 0 ? NAN : sqrt(x); }
/* string? argument and result: NULL is null. */
const char *tn_upper_or_null(const char *s) {
  static _Thread_local char buf[128];
  if (!s || !*s) return NULL;
  size_t n = strlen(s) < sizeof buf - 1 ? strlen(s) : sizeof buf - 1;
  for (size_t i = 0; i < n; i++) buf[i] = (char)((s[i] >= 'a' && s[i] <= 'z') ? s[i] - 32 : s[i]);
  buf[n] = '\0';
  return buf;
}
/* int? argument and result: INT64_MIN is null. */
int64_t tn_double_or_null(int64_t x) { return x == INT64_MIN ? INT64_MIN : x * 2; }
/* bool? argument and result: -1 is null. */
int tn_not(int b) { return b < 0 ? -1 : !b; }
/* Not finite: an error of the record. */
double tn_inf(double x) { return x / 0.0; }
