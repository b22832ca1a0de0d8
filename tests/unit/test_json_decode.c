/* test_json_decode.c - the schema-directed decoder.
 *
 * The plans below are built by hand, as the compiler would build them for:
 *
 *   record event  { type: string  at: time  url: string?  amount: number = 0 }
 *   record addr   { city: string  zip: string? }
 *   schema {
 *     id: string key          industry: string?       employees: int = 0
 *     budget: bool = false    phone: string? pii      secret: int? pii
 *     score: number?          since: time?            window: duration?
 *     tags: list<string> = [] events: list<event> = [] matrix: list<list<int>>?
 *     home: addr?             legacy: string (never read by the model)
 *     code: string pii = "-"
 *   }
 */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "runtime/json_decode_impl.h"

enum { E_TYPE, E_AT, E_URL, E_AMOUNT, E_N };
enum { A_CITY, A_ZIP, A_N };
enum {
  F_ID, F_INDUSTRY, F_EMPLOYEES, F_BUDGET, F_PHONE, F_SECRET, F_SCORE, F_SINCE, F_WINDOW,
  F_TAGS, F_EVENTS, F_MATRIX, F_HOME, F_LEGACY, F_CODE, F_N
};

static PDecodeField event_fields[E_N], addr_fields[A_N], schema_fields[F_N];
static PDecodePlan event_plan, addr_plan, schema_plan;
static const PDecodeType t_string = {PDT_STRING, NULL, NULL};
static const PDecodeType t_int = {PDT_INT, NULL, NULL};
static const PDecodeType t_list_int = {PDT_LIST, &t_int, NULL};
static const PDecodeType t_event = {PDT_RECORD, NULL, &event_plan};

static PDecodeField field(const char *name, PDecodeKind kind) {
  PDecodeField f = {0};
  f.name = name;
  f.name_len = (uint32_t)strlen(name);
  f.type.kind = kind;
  f.used = true;
  return f;
}

static void build_plans(void) {
  event_fields[E_TYPE] = field("type", PDT_STRING);
  event_fields[E_AT] = field("at", PDT_TIME);
  event_fields[E_URL] = field("url", PDT_STRING);
  event_fields[E_URL].optional = true;
  event_fields[E_AMOUNT] = field("amount", PDT_NUMBER);
  event_fields[E_AMOUNT].has_default = true;
  event_fields[E_AMOUNT].default_value = pv_number(0);
  event_plan = (PDecodePlan){"event", E_N, event_fields, -1, E_AT, NULL};

  addr_fields[A_CITY] = field("city", PDT_STRING);
  addr_fields[A_ZIP] = field("zip", PDT_STRING);
  addr_fields[A_ZIP].optional = true;
  addr_plan = (PDecodePlan){"addr", A_N, addr_fields, -1, -1, NULL};

  PDecodeField *s = schema_fields;
  s[F_ID] = field("id", PDT_STRING);
  s[F_INDUSTRY] = field("industry", PDT_STRING);
  s[F_INDUSTRY].optional = true;
  s[F_EMPLOYEES] = field("employees", PDT_INT);
  s[F_EMPLOYEES].has_default = true;
  s[F_EMPLOYEES].default_value = pv_int(0);
  s[F_BUDGET] = field("budget", PDT_BOOL);
  s[F_BUDGET].has_default = true;
  s[F_BUDGET].default_value = pv_bool(false);
  s[F_PHONE] = field("phone", PDT_STRING);
  s[F_PHONE].optional = s[F_PHONE].pii = true;
  s[F_SECRET] = field("secret", PDT_INT);
  s[F_SECRET].optional = s[F_SECRET].pii = true;
  s[F_SCORE] = field("score", PDT_NUMBER);
  s[F_SCORE].optional = true;
  s[F_SINCE] = field("since", PDT_TIME);
  s[F_SINCE].optional = true;
  s[F_WINDOW] = field("window", PDT_DURATION);
  s[F_WINDOW].optional = true;
  s[F_TAGS] = field("tags", PDT_LIST);
  s[F_TAGS].type.elem = &t_string;
  s[F_TAGS].has_default = true;
  s[F_TAGS].default_value = pv_list(NULL, 0);
  s[F_EVENTS] = field("events", PDT_LIST);
  s[F_EVENTS].type.elem = &t_event;
  s[F_EVENTS].has_default = true;
  s[F_EVENTS].default_value = pv_list(NULL, 0);
  s[F_MATRIX] = field("matrix", PDT_LIST);
  s[F_MATRIX].type.elem = &t_list_int;
  s[F_MATRIX].optional = true;
  s[F_HOME] = field("home", PDT_RECORD);
  s[F_HOME].type.record = &addr_plan;
  s[F_HOME].optional = true;
  s[F_LEGACY] = field("legacy", PDT_STRING);
  s[F_LEGACY].used = false;
  s[F_CODE] = field("code", PDT_STRING);
  s[F_CODE].pii = true;
  s[F_CODE].has_default = true;
  s[F_CODE].default_value = pv_string("-", 1);
  schema_plan = (PDecodePlan){"profile", F_N, schema_fields, F_ID, -1, NULL};
  pdec_plan_prepare(&schema_plan);
}

/* 2026-02-01T00:00:00Z */
#define NOW INT64_C(1769904000000000)

static PArena arena;
static PDecodeResult res;

static PArena arena2;
static uint64_t fast_taken, fast_declined;

/* The fast path either declines or gives what the general decoder gives:
 * checked for every text this file decodes. */
static void check_fast_path(const char *json, size_t len) {
  PDecodeResult fast, general;
  pa_reset(&arena2);
  if (!pdec_decode_fast(&schema_plan, json, len, NOW, &arena2, &fast)) {
    fast_declined++;
    return;
  }
  fast_taken++;
  if (!pdec_decode_general(&schema_plan, json, len, NOW, &arena2, &general))
    g_error("the fast path accepted what the general decoder refuses (%s): %.*s", general.error,
            (int)len, json);
  g_assert_true(pdec_same_value(fast.key, general.key));
  for (uint32_t f = 0; f < schema_plan.n_fields; f++)
    if (!pdec_same_value(fast.fields[f], general.fields[f]))
      g_error("field %s differs between the fast path and the general decoder: %.*s",
              schema_fields[f].name, (int)len, json);
}

static bool decode_len(const char *json, size_t len) {
  check_fast_path(json, len);
  pa_reset(&arena);
  memset(&res, 0, sizeof res);
  return pdec_decode(&schema_plan, json, len, NOW, &arena, &res);
}

static bool decode(const char *json) { return decode_len(json, strlen(json)); }

static void assert_ok(const char *json) {
  bool ok = decode(json);
  if (!ok) g_test_message("unexpected error: %s", res.error);
  g_assert_cmpstr(ok ? "ok" : res.error, ==, "ok");
}

static void assert_error(const char *json, const char *error) {
  g_test_message("input: %s", json);
  g_assert_false(decode(json));
  g_assert_cmpstr(res.error, ==, error);
}

static void assert_str(PValue v, const char *s) {
  g_assert_cmpint(v.kind, ==, PV_STRING);
  g_assert_cmpuint(v.len, ==, strlen(s));
  g_assert_cmpmem(v.u.s, v.len, s, strlen(s));
}

static char *repeat(const char *s, int n) {
  GString *g = g_string_new(NULL);
  for (int i = 0; i < n; i++) g_string_append(g, s);
  return g_string_free(g, FALSE);
}

/* ---- whole records ---------------------------------------------------------- */

static void test_full_record(void) {
  const char *json =
      "{\"id\":\"p1\",\"industry\":\"saas\",\"employees\":250,\"budget\":true,"
      "\"phone\":\"+86 138\",\"secret\":7,\"score\":31.25,\"since\":\"2025-01-01\","
      "\"window\":\"7d\",\"tags\":[\"a\",\"b\"],"
      "\"events\":[{\"type\":\"visit\",\"at\":\"2026-01-28T10:00:00+08:00\",\"url\":\"/pricing\","
      "\"amount\":12.5},{\"type\":\"call\",\"at\":1769000000}],"
      "\"matrix\":[[1,2],[],[3]],\"home\":{\"city\":\"Shanghai\"},\"legacy\":\"old\",\"code\":\"X\"}";
  assert_ok(json);
  PValue *f = res.fields;
  assert_str(f[F_ID], "p1");
  assert_str(res.key, "p1");
  assert_str(f[F_INDUSTRY], "saas");
  g_assert_cmpint(f[F_EMPLOYEES].kind, ==, PV_INT);
  g_assert_cmpint(f[F_EMPLOYEES].u.i, ==, 250);
  g_assert_cmpint(f[F_BUDGET].kind, ==, PV_BOOL);
  g_assert_true(f[F_BUDGET].u.b);
  assert_str(f[F_PHONE], "+86 138");
  g_assert_cmpint(f[F_SECRET].u.i, ==, 7);
  g_assert_cmpint(f[F_SCORE].kind, ==, PV_NUMBER);
  g_assert_cmpfloat(f[F_SCORE].u.n, ==, 31.25);
  g_assert_cmpint(f[F_SINCE].kind, ==, PV_TIME);
  g_assert_cmpint(f[F_SINCE].u.i, ==, INT64_C(1735689600000000));
  g_assert_cmpint(f[F_WINDOW].kind, ==, PV_DURATION);
  g_assert_cmpint(f[F_WINDOW].u.i, ==, INT64_C(604800000000));
  g_assert_cmpint(f[F_TAGS].kind, ==, PV_LIST);
  g_assert_cmpuint(f[F_TAGS].len, ==, 2);
  assert_str(f[F_TAGS].u.items[0], "a");
  assert_str(f[F_TAGS].u.items[1], "b");

  PValue ev = f[F_EVENTS];
  g_assert_cmpint(ev.kind, ==, PV_LIST);
  g_assert_cmpuint(ev.len, ==, 2);
  g_assert_cmpint(ev.u.items[0].kind, ==, PV_RECORD);
  g_assert_cmpuint(ev.u.items[0].len, ==, E_N);
  const PValue *e0 = ev.u.items[0].u.items, *e1 = ev.u.items[1].u.items;
  assert_str(e0[E_TYPE], "visit");
  g_assert_cmpint(e0[E_AT].u.i, ==, INT64_C(1769565600000000));
  assert_str(e0[E_URL], "/pricing");
  g_assert_cmpfloat(e0[E_AMOUNT].u.n, ==, 12.5);
  assert_str(e1[E_TYPE], "call");
  g_assert_cmpint(e1[E_AT].kind, ==, PV_TIME);
  g_assert_cmpint(e1[E_AT].u.i, ==, INT64_C(1769000000000000));
  g_assert_cmpint(e1[E_URL].kind, ==, PV_NULL);
  g_assert_cmpint(e1[E_AMOUNT].kind, ==, PV_NUMBER);
  g_assert_cmpfloat(e1[E_AMOUNT].u.n, ==, 0);

  PValue m = f[F_MATRIX];
  g_assert_cmpuint(m.len, ==, 3);
  g_assert_cmpuint(m.u.items[0].len, ==, 2);
  g_assert_cmpint(m.u.items[0].u.items[1].u.i, ==, 2);
  g_assert_cmpuint(m.u.items[1].len, ==, 0);
  g_assert_cmpint(m.u.items[2].u.items[0].u.i, ==, 3);

  g_assert_cmpint(f[F_HOME].kind, ==, PV_RECORD);
  assert_str(f[F_HOME].u.items[A_CITY], "Shanghai");
  g_assert_cmpint(f[F_HOME].u.items[A_ZIP].kind, ==, PV_NULL);
  /* Not used by the model: skipped, not decoded. */
  g_assert_cmpint(f[F_LEGACY].kind, ==, PV_NULL);
  assert_str(f[F_CODE], "X");
}

static void test_defaults_and_optional(void) {
  static const char *const inputs[] = {
      "{\"id\":\"p\"}",
      "{\"id\":\"p\",\"industry\":null,\"employees\":null,\"budget\":null,\"phone\":null,"
      "\"secret\":null,\"score\":null,\"since\":null,\"window\":null,\"tags\":null,"
      "\"events\":null,\"matrix\":null,\"home\":null,\"legacy\":null,\"code\":null}",
  };
  for (size_t i = 0; i < G_N_ELEMENTS(inputs); i++) {
    assert_ok(inputs[i]);
    PValue *f = res.fields;
    assert_str(f[F_ID], "p");
    g_assert_cmpint(f[F_INDUSTRY].kind, ==, PV_NULL);
    g_assert_cmpint(f[F_EMPLOYEES].kind, ==, PV_INT);
    g_assert_cmpint(f[F_EMPLOYEES].u.i, ==, 0);
    g_assert_cmpint(f[F_BUDGET].kind, ==, PV_BOOL);
    g_assert_false(f[F_BUDGET].u.b);
    g_assert_cmpint(f[F_PHONE].kind, ==, PV_NULL);
    g_assert_cmpint(f[F_SECRET].kind, ==, PV_NULL);
    g_assert_cmpint(f[F_SCORE].kind, ==, PV_NULL);
    g_assert_cmpint(f[F_SINCE].kind, ==, PV_NULL);
    g_assert_cmpint(f[F_WINDOW].kind, ==, PV_NULL);
    g_assert_cmpint(f[F_TAGS].kind, ==, PV_LIST);
    g_assert_cmpuint(f[F_TAGS].len, ==, 0);
    g_assert_cmpint(f[F_EVENTS].kind, ==, PV_LIST);
    g_assert_cmpint(f[F_MATRIX].kind, ==, PV_NULL);
    g_assert_cmpint(f[F_HOME].kind, ==, PV_NULL);
    g_assert_cmpint(f[F_LEGACY].kind, ==, PV_NULL); /* required but unused: not checked */
    assert_str(f[F_CODE], "-");
  }
}

static void test_required(void) {
  assert_error("{}", "missing required field 'id'");
  assert_error("{\"employees\":3}", "missing required field 'id'");
  assert_error("{\"id\":null}", "id: required field is null");
  assert_error("{\"id\":\"p\",\"events\":[{\"at\":\"2026-01-01\"}]}",
               "events[0]: missing required field 'type'");
  assert_error("{\"id\":\"p\",\"events\":[{\"type\":\"a\",\"at\":\"2026-01-01\"},{\"type\":\"b\"}]}",
               "events[1]: missing required field 'at'");
  assert_error("{\"id\":\"p\",\"events\":[{\"type\":null,\"at\":\"2026-01-01\"}]}",
               "events[0].type: required field is null");
  assert_error("{\"id\":\"p\",\"home\":{\"zip\":\"200000\"}}", "home: missing required field 'city'");
}

/* The key is reported even when another field fails, before or after it. */
static void test_key_on_error(void) {
  assert_error("{\"employees\":\"many\",\"id\":\"p9\",\"tags\":[1]}",
               "employees: expected an integer, got \"many\"");
  assert_str(res.key, "p9");
  assert_error("{\"id\":\"p8\",\"events\":[{\"type\":\"x\",\"at\":\"soon\"}]}",
               "events[0].at: expected a time (RFC 3339 text, a date, or Unix seconds), got \"soon\"");
  assert_str(res.key, "p8");
  assert_error("{\"events\":[{\"type\":\"x\"}],\"id\":\"p7\"}", "events[0]: missing required field 'at'");
  assert_str(res.key, "p7");
  /* A value error then malformed JSON: the text is broken, that wins. */
  assert_error("{\"employees\":\"many\",\"id\":\"p9\",}", "malformed JSON at byte 31: expected a string key");
  assert_str(res.key, "p9");
  /* The key itself is wrong. */
  assert_error("{\"id\":5}", "id: expected a string, got 5");
  g_assert_cmpint(res.key.kind, ==, PV_NULL);
}

/* ---- types ------------------------------------------------------------------ */

typedef struct {
  const char *json_value;
  int64_t value;
} IntGood;

typedef struct {
  const char *json_value;
  const char *error;
} Bad;

static void test_int(void) {
  static const IntGood good[] = {
      {"5", 5}, {"5.0", 5}, {"1e3", 1000}, {"1E3", 1000}, {"1e+3", 1000}, {"-0", 0}, {"0", 0},
      {"0.000", 0}, {"0e999999", 0}, {"15e-1", 0 /* not integral: see bad */},
      {"1.5e1", 15}, {"-42", -42}, {"100e-2", 1}, {"12300e-2", 123},
      {"9223372036854775807", INT64_MAX}, {"-9223372036854775808", INT64_MIN},
      {"9.223372036854775807e18", INT64_MAX}, {"922337203685477580.7e1", INT64_MAX},
      {"10000000000000000000000e-22", 1}, {"10000000000000000000000e-21", 10},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
    if (strcmp(good[i].json_value, "15e-1") == 0) continue;
    char *json = g_strdup_printf("{\"id\":\"p\",\"employees\":%s}", good[i].json_value);
    g_test_message("%s", json);
    assert_ok(json);
    g_assert_cmpint(res.fields[F_EMPLOYEES].kind, ==, PV_INT);
    g_assert_cmpint(res.fields[F_EMPLOYEES].u.i, ==, good[i].value);
    g_free(json);
  }
  static const Bad bad[] = {
      {"5.5", "employees: expected an integer, got 5.5"},
      {"15e-1", "employees: expected an integer, got 15e-1"},
      {"1e-400", "employees: expected an integer, got 1e-400"},
      {"0.1", "employees: expected an integer, got 0.1"},
      {"99999999999999999999", "employees: integer out of range: 99999999999999999999"},
      {"9223372036854775808", "employees: integer out of range: 9223372036854775808"},
      {"-9223372036854775809", "employees: integer out of range: -9223372036854775809"},
      {"1e19", "employees: integer out of range: 1e19"},
      {"1e999999999999", "employees: integer out of range: 1e999999999999"},
      {"\"5\"", "employees: expected an integer, got \"5\""},
      {"true", "employees: expected an integer, got true"},
      {"[5]", "employees: expected an integer, got an array"},
      {"{}", "employees: expected an integer, got an object"},
      {"12345678901234567890123456789012345678901234567890",
       "employees: integer out of range: 1234567890123456789012345678901234567890..."},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
    char *json = g_strdup_printf("{\"id\":\"p\",\"employees\":%s}", bad[i].json_value);
    assert_error(json, bad[i].error);
    g_free(json);
  }
}

static double decode_number_text(const char *text) {
  char *json = g_strdup_printf("{\"id\":\"p\",\"score\":%s}", text);
  bool ok = decode(json);
  if (!ok) g_test_message("%s: %s", json, res.error);
  g_assert_true(ok);
  g_free(json);
  g_assert_cmpint(res.fields[F_SCORE].kind, ==, PV_NUMBER);
  return res.fields[F_SCORE].u.n;
}

static void test_number(void) {
  static const char *const texts[] = {
      "0", "-0", "1", "0.1", "31.25", "1e21", "5e-324", "1.7976931348623157e308",
      "2.2250738585072011e-308", "2.2250738585072014e-308", "0.30000000000000004",
      "123456789012345678901234567890", "9007199254740993", "1e22", "1e23", "4.35",
      "1.0000000000000002", "-1.5e-7", "123456789012345e10", "1e-400", "0.000001",
      "3.141592653589793238462643383279", "1E+2", "100000000000000000000000000000e-20",
  };
  for (size_t i = 0; i < G_N_ELEMENTS(texts); i++) {
    double want = g_ascii_strtod(texts[i], NULL);
    double got = decode_number_text(texts[i]);
    g_test_message("%s", texts[i]);
    g_assert_cmpfloat(got, ==, want);
    g_assert_cmpint(signbit(got), ==, signbit(want));
  }
  g_assert_true(signbit(decode_number_text("-0")));
  g_assert_true(signbit(decode_number_text("-0.0e5")));

  /* Correct rounding on random decimals of every length: the fast path
   * must agree with strtod bit for bit. */
  GRand *rng = g_rand_new_with_seed(7);
  for (int i = 0; i < 5000; i++) {
    char text[64];
    int digits = g_rand_int_range(rng, 1, 20);
    int exp10 = g_rand_int_range(rng, -30, 30);
    GString *g = g_string_new(g_rand_boolean(rng) ? "-" : "");
    g_string_append_printf(g, "%d", g_rand_int_range(rng, 1, 10));
    if (digits > 1) {
      g_string_append_c(g, '.');
      for (int k = 1; k < digits; k++) g_string_append_printf(g, "%d", g_rand_int_range(rng, 0, 10));
    }
    g_string_append_printf(g, "e%d", exp10);
    g_strlcpy(text, g->str, sizeof text);
    g_string_free(g, TRUE);
    double want = g_ascii_strtod(text, NULL);
    double got = decode_number_text(text);
    if (got != want) g_test_message("%s", text);
    g_assert_cmpfloat(got, ==, want);
  }
  g_rand_free(rng);

  static const Bad bad[] = {
      {"1e999", "score: number out of range: 1e999"},
      {"-1e999", "score: number out of range: -1e999"},
      {"\"1.5\"", "score: expected a number, got \"1.5\""},
      {"false", "score: expected a number, got false"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
    char *json = g_strdup_printf("{\"id\":\"p\",\"score\":%s}", bad[i].json_value);
    assert_error(json, bad[i].error);
    g_free(json);
  }
}

static void test_bool(void) {
  assert_ok("{\"id\":\"p\",\"budget\":false}");
  g_assert_cmpint(res.fields[F_BUDGET].kind, ==, PV_BOOL);
  g_assert_false(res.fields[F_BUDGET].u.b);
  assert_ok("{\"id\":\"p\",\"budget\":true}");
  g_assert_true(res.fields[F_BUDGET].u.b);
  assert_error("{\"id\":\"p\",\"budget\":1}", "budget: expected true or false, got 1");
  assert_error("{\"id\":\"p\",\"budget\":\"yes\"}", "budget: expected true or false, got \"yes\"");
  assert_error("{\"id\":\"p\",\"budget\":tru}", "malformed JSON at byte 20: expected a value");
  assert_error("{\"id\":\"p\",\"budget\":True}", "malformed JSON at byte 20: expected a value");
}

typedef struct {
  const char *json_string; /* JSON text of a string */
  const char *bytes;       /* the decoded bytes */
  size_t len;
} StringGood;

static void test_string(void) {
  static const StringGood good[] = {
      {"\"\"", "", 0},
      {"\"plain\"", "plain", 5},
      {"\"q\\\"b\\\\s\\/\"", "q\"b\\s/", 6},
      {"\"\\b\\f\\n\\r\\t\"", "\b\f\n\r\t", 5},
      {"\"\\u00e9\\u00E9\"", "\xc3\xa9\xc3\xa9", 4},
      {"\"\\u4e0a\"", "\xe4\xb8\x8a", 3},
      {"\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 4},
      {"\"\\uD83D\\uDE00!\"", "\xf0\x9f\x98\x80!", 5},
      {"\"\\u0000\"", "\0", 1},
      {"\"\\u0041\\u0042c\"", "ABc", 3},
      {"\"高意向客户\"", "高意向客户", 15},
      {"\"😀 emoji\"", "😀 emoji", 10},
      {"\"long string without escapes, more than eight bytes\"",
       "long string without escapes, more than eight bytes", 50},
      {"\"1234567\\\"\"", "1234567\"", 8},
      {"\"12345678\\n\"", "12345678\n", 9},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
    char *json = g_strdup_printf("{\"id\":\"p\",\"industry\":%s}", good[i].json_string);
    g_test_message("%s", json);
    assert_ok(json);
    PValue v = res.fields[F_INDUSTRY];
    g_assert_cmpint(v.kind, ==, PV_STRING);
    g_assert_cmpmem(v.u.s, v.len, good[i].bytes, good[i].len);
    /* Strings without escapes are not copied. */
    bool in_input = v.u.s >= json && v.u.s < json + strlen(json);
    g_assert_cmpint(in_input, ==, strchr(good[i].json_string, '\\') == NULL);
    g_free(json);
  }
  static const Bad bad[] = {
      {"\"\\ud800\"", "industry: invalid string: a \\u escape is a lone UTF-16 surrogate"},
      {"\"\\udc00x\"", "industry: invalid string: a \\u escape is a lone UTF-16 surrogate"},
      {"\"\\ud800\\u0041\"", "industry: invalid string: a \\u escape is a lone UTF-16 surrogate"},
      {"\"\\ud800\\n\"", "industry: invalid string: a \\u escape is a lone UTF-16 surrogate"},
      {"\"\\x\"", "malformed JSON at byte 23: invalid escape in a string"},
      {"\"\\u12\"", "malformed JSON at byte 23: expected four hex digits after \\u"},
      {"\"\\u12g4\"", "malformed JSON at byte 23: expected four hex digits after \\u"},
      {"\"a\tb\"", "malformed JSON at byte 24: control character in a string (must be escaped)"},
      {"\"a\nb\"", "malformed JSON at byte 24: control character in a string (must be escaped)"},
      {"'single'", "malformed JSON at byte 22: expected a value"},
      {"5", "industry: expected a string, got 5"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
    char *json = g_strdup_printf("{\"id\":\"p\",\"industry\":%s}", bad[i].json_value);
    assert_error(json, bad[i].error);
    g_free(json);
  }
  assert_error("{\"id\":\"p\",\"industry\":\"abc", "malformed JSON at byte 26: unexpected end of text (unterminated string)");
  assert_error("{\"id\":\"p\",\"industry\":\"abc\\", "malformed JSON at byte 27: unexpected end of text (unterminated string)");
  /* A long offending value is cut in the message. */
  assert_error("{\"id\":\"p\",\"employees\":\"aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeee\"}",
               "employees: expected an integer, got \"aaaaaaaaaabbbbbbbbbbccccccccccddddddddd...\"");
  /* ... on a character boundary. */
  assert_error("{\"id\":\"p\",\"employees\":\"上上上上上上上上上上上上上上上上上上上上\"}",
               "employees: expected an integer, got \"上上上上上上上上上上上上上...\"");
}

static void test_time(void) {
  typedef struct {
    const char *json_value;
    int64_t us;
  } TimeGood;
  static const TimeGood good[] = {
      {"\"2026-02-01T00:00:00Z\"", NOW},
      {"\"2026-02-01T08:00:00+08:00\"", NOW},
      {"\"2026-02-01\"", NOW},
      {"\"2026-02-01T00:00:00.25Z\"", NOW + 250000},
      {"1769904000", NOW},
      {"1769904000.5", NOW + 500000},
      {"1.769904e9", NOW},
      {"\"\\u0032026-02-01T00:00:00Z\"", NOW}, /* escaped digit: decoded first */
  };
  for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
    char *json = g_strdup_printf("{\"id\":\"p\",\"since\":%s}", good[i].json_value);
    assert_ok(json);
    g_assert_cmpint(res.fields[F_SINCE].kind, ==, PV_TIME);
    g_assert_cmpint(res.fields[F_SINCE].u.i, ==, good[i].us);
    g_free(json);
  }
  static const Bad bad[] = {
      {"\"yesterday\"", "since: expected a time (RFC 3339 text, a date, or Unix seconds), got \"yesterday\""},
      {"\"2026-02-30\"", "since: expected a time (RFC 3339 text, a date, or Unix seconds), got \"2026-02-30\""},
      {"\"2026-02-01T00:00:00\"",
       "since: \"2026-02-01T00:00:00\" has no offset: give an input time zone (--input-tz ZONE, or "
       "timezone \"ZONE\" on the model line)"},
      {"1e300", "since: expected a time (RFC 3339 text, a date, or Unix seconds), got 1e300"},
      {"1e999", "since: expected a time (RFC 3339 text, a date, or Unix seconds), got 1e999"},
      {"true", "since: expected a time (RFC 3339 text, a date, or Unix seconds), got true"},
      {"[]", "since: expected a time (RFC 3339 text, a date, or Unix seconds), got an array"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
    char *json = g_strdup_printf("{\"id\":\"p\",\"since\":%s}", bad[i].json_value);
    assert_error(json, bad[i].error);
    g_free(json);
  }
}

static void test_duration(void) {
  typedef struct {
    const char *json_value;
    int64_t us;
  } DurGood;
  static const DurGood good[] = {
      {"\"7d\"", INT64_C(604800000000)}, {"\"30s\"", 30000000}, {"\"2w\"", INT64_C(1209600000000)},
      {"90", 90000000}, {"0.5", 500000}, {"-1", -1000000}, {"\"0.5s\"", 500000},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
    char *json = g_strdup_printf("{\"id\":\"p\",\"window\":%s}", good[i].json_value);
    assert_ok(json);
    g_assert_cmpint(res.fields[F_WINDOW].kind, ==, PV_DURATION);
    g_assert_cmpint(res.fields[F_WINDOW].u.i, ==, good[i].us);
    g_free(json);
  }
  assert_error("{\"id\":\"p\",\"window\":\"7 days\"}",
               "window: expected a duration (text like \"7d\", or a number of seconds), got \"7 days\"");
  assert_error("{\"id\":\"p\",\"window\":1e300}",
               "window: expected a duration (text like \"7d\", or a number of seconds), got 1e300");
}

static void test_list(void) {
  assert_ok("{\"id\":\"p\",\"tags\":[]}");
  g_assert_cmpint(res.fields[F_TAGS].kind, ==, PV_LIST);
  g_assert_cmpuint(res.fields[F_TAGS].len, ==, 0);
  assert_error("{\"id\":\"p\",\"tags\":[\"a\",1]}", "tags[1]: expected a string, got 1");
  assert_error("{\"id\":\"p\",\"tags\":[null]}", "tags[0]: expected a string, got null");
  assert_error("{\"id\":\"p\",\"tags\":\"a\"}", "tags: expected a list, got \"a\"");
  assert_error("{\"id\":\"p\",\"tags\":[\"a\",]}", "malformed JSON at byte 23: expected a value");
  assert_error("{\"id\":\"p\",\"tags\":[\"a\" \"b\"]}", "malformed JSON at byte 23: expected ',' or ']'");
  assert_error("{\"id\":\"p\",\"tags\":[,]}", "malformed JSON at byte 19: expected a value");
  assert_error("{\"id\":\"p\",\"matrix\":[[1],[2,[3]]]}",
               "matrix[1][1]: expected an integer, got an array");
  assert_error("{\"id\":\"p\",\"events\":[{\"type\":\"a\",\"at\":\"2026-01-01\"},5]}",
               "events[1]: expected an object, got 5");

  /* Long lists, nested ones growing the scratch while the outer is open. */
  GString *g = g_string_new("{\"id\":\"p\",\"matrix\":[");
  for (int r = 0; r < 50; r++) {
    g_string_append_printf(g, "%s[", r ? "," : "");
    for (int c = 0; c < 300; c++) g_string_append_printf(g, "%s%d", c ? "," : "", r * 1000 + c);
    g_string_append_c(g, ']');
  }
  g_string_append(g, "],\"tags\":[");
  for (int i = 0; i < 5000; i++) g_string_append_printf(g, "%s\"t%d\"", i ? "," : "", i);
  g_string_append(g, "]}");
  assert_ok(g->str);
  PValue m = res.fields[F_MATRIX];
  g_assert_cmpuint(m.len, ==, 50);
  for (int r = 0; r < 50; r++) {
    g_assert_cmpuint(m.u.items[r].len, ==, 300);
    for (int c = 0; c < 300; c++) g_assert_cmpint(m.u.items[r].u.items[c].u.i, ==, r * 1000 + c);
  }
  g_assert_cmpuint(res.fields[F_TAGS].len, ==, 5000);
  assert_str(res.fields[F_TAGS].u.items[4999], "t4999");
  g_string_free(g, TRUE);
}

/* ---- as-of, pii, unknown and unused fields ------------------------------------ */

static void test_as_of(void) {
  const char *json =
      "{\"id\":\"p\",\"events\":["
      "{\"type\":\"past\",\"at\":\"2026-01-31T23:59:59Z\"},"
      "{\"type\":\"future\",\"at\":\"2026-02-01T00:00:01Z\"},"
      "{\"type\":\"now\",\"at\":\"2026-02-01T08:00:00+08:00\"},"
      "{\"at\":1769904000.000001,\"type\":\"just-after\"},"
      "{\"type\":\"far\",\"at\":\"9999-12-31\"},"
      "{\"type\":\"old\",\"at\":0}]}";
  assert_ok(json);
  PValue ev = res.fields[F_EVENTS];
  g_assert_cmpuint(ev.len, ==, 3);
  assert_str(ev.u.items[0].u.items[E_TYPE], "past");
  assert_str(ev.u.items[1].u.items[E_TYPE], "now");
  assert_str(ev.u.items[2].u.items[E_TYPE], "old");
  /* `at` is decoded and checked even when the model never reads it. */
  event_fields[E_AT].used = false;
  event_fields[E_URL].used = false;
  assert_ok(json);
  g_assert_cmpuint(res.fields[F_EVENTS].len, ==, 3);
  g_assert_cmpint(res.fields[F_EVENTS].u.items[0].u.items[E_URL].kind, ==, PV_NULL);
  assert_error("{\"id\":\"p\",\"events\":[{\"type\":\"t\"}]}", "events[0]: missing required field 'at'");
  event_fields[E_AT].used = true;
  event_fields[E_URL].used = true;
  /* Paths use the index in the input, dropped events included. */
  assert_error("{\"id\":\"p\",\"events\":[{\"type\":\"f\",\"at\":\"2030-01-01\"},{\"type\":1,\"at\":0}]}",
               "events[1].type: expected a string, got 1");
}

static void test_pii(void) {
  static const Bad bad[] = {
      {"\"phone\":12345678", "phone: expected a string, got a number"},
      {"\"phone\":true", "phone: expected a string, got a boolean"},
      {"\"phone\":[\"138\"]", "phone: expected a string, got an array"},
      {"\"secret\":5.5", "secret: expected an integer, got a number"},
      {"\"secret\":\"s3cr3t\"", "secret: expected an integer, got a string"},
      {"\"secret\":99999999999999999999", "secret: integer out of range"},
      {"\"code\":4242", "code: expected a string, got a number"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
    char *json = g_strdup_printf("{\"id\":\"p\",%s}", bad[i].json_value);
    assert_error(json, bad[i].error);
    g_assert_null(strstr(res.error, "138"));
    g_assert_null(strstr(res.error, "s3cr3t"));
    g_assert_null(strstr(res.error, "999"));
    g_assert_null(strstr(res.error, "4242"));
    g_free(json);
  }
}

static void test_unknown_fields(void) {
  const char *json =
      "{\"zzz\":{\"a\":[1,{\"b\":[true,false,null,\"s\\\"\\\\\",-1.5e3,{}]}],\"c\":[[[]]]},"
      "\"id\":\"p\",\"x\":\"\\u00e9\\ud800\",\"y\":[],\"z\":{},\"w\":-0.0e-0,\"v\":\"高\"}";
  assert_ok(json);
  assert_str(res.key, "p");
  static const Bad bad[] = {
      {"\"x\":[1,]", "malformed JSON at byte 18: expected a value"},
      {"\"x\":{\"a\":1,}", "malformed JSON at byte 22: expected a string key"},
      {"\"x\":{\"a\" 1}", "malformed JSON at byte 20: expected ':'"},
      {"\"x\":{1:2}", "malformed JSON at byte 16: expected a string key"},
      {"\"x\":[1 2]", "malformed JSON at byte 18: expected ',' or ']'"},
      {"\"x\":{\"a\":1]", "malformed JSON at byte 21: expected ',' or '}'"},
      {"\"x\":01", "malformed JSON at byte 16: leading zero in a number"},
      {"\"x\":-", "malformed JSON at byte 16: expected a digit"},
      {"\"x\":1.", "malformed JSON at byte 17: expected a digit after '.'"},
      {"\"x\":.5", "malformed JSON at byte 15: expected a value"},
      {"\"x\":+1", "malformed JSON at byte 15: expected a value"},
      {"\"x\":1e", "malformed JSON at byte 17: expected a digit in the exponent"},
      {"\"x\":1e+", "malformed JSON at byte 18: expected a digit in the exponent"},
      {"\"x\":1.5.3", "malformed JSON at byte 18: expected ',' or '}'"},
      {"\"x\":NaN", "malformed JSON at byte 15: expected a value"},
      {"\"x\":nul", "malformed JSON at byte 15: expected a value"},
      {"\"x\":\"a\\qb\"", "malformed JSON at byte 17: invalid escape in a string"},
      {"\"x\":\"\x01\"", "malformed JSON at byte 16: control character in a string (must be escaped)"},
      {"\"x\":[\"a\x1f\"]", "malformed JSON at byte 18: control character in a string (must be escaped)"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
    char *json2 = g_strdup_printf("{\"id\":\"p\",%s}", bad[i].json_value);
    assert_error(json2, bad[i].error);
    g_free(json2);
  }
  /* Unused fields are skipped like unknown ones, whatever their value. */
  assert_ok("{\"id\":\"p\",\"legacy\":[1,{\"deep\":\"x\"}]}");
  g_assert_cmpint(res.fields[F_LEGACY].kind, ==, PV_NULL);
  assert_error("{\"id\":\"p\",\"legacy\":[1,}", "malformed JSON at byte 23: expected a value");
}

static void test_duplicate_keys(void) {
  assert_ok("{\"id\":\"a\",\"employees\":1,\"employees\":2,\"id\":\"b\"}");
  assert_str(res.fields[F_ID], "b");
  assert_str(res.key, "b");
  g_assert_cmpint(res.fields[F_EMPLOYEES].u.i, ==, 2);
  assert_ok("{\"id\":\"a\",\"employees\":1,\"employees\":null}");
  g_assert_cmpint(res.fields[F_EMPLOYEES].u.i, ==, 0);
  assert_ok("{\"id\":\"a\",\"tags\":[\"x\"],\"tags\":[\"y\",\"z\"]}");
  g_assert_cmpuint(res.fields[F_TAGS].len, ==, 2);
  assert_str(res.fields[F_TAGS].u.items[0], "y");
}

static void test_escaped_keys(void) {
  assert_ok("{\"\\u0069d\":\"p\",\"employ\\u0065es\":3}");
  assert_str(res.key, "p");
  g_assert_cmpint(res.fields[F_EMPLOYEES].u.i, ==, 3);
  assert_error("{\"id\":\"p\",\"\\ud800\":3}", "malformed JSON at byte 11: lone UTF-16 surrogate in a key");
}

/* The 8-byte scan must stop at a special byte wherever it sits. */
/* The SWAR scan (machines without SSE2) stops where the SSE2 one does:
 * each stop byte at each place of texts of every length up to 40. */
static void test_plain_run_swar(void) {
  static const unsigned char stops[] = {'"', '\\', 0x00, 0x1F, 0x80, 0xE4, 0xFF};
  unsigned char text[40];
  for (size_t len = 0; len <= sizeof text; len++) {
    memset(text, 'a', sizeof text);
    const unsigned char *e = text + len;
    g_assert_true(pdec_plain_run_swar(text, e) == e);
    g_assert_true(pdec_plain_run_end(text, e) == e);
    for (size_t at = 0; at < len; at++)
      for (size_t k = 0; k < sizeof stops; k++) {
        memset(text, ' ', sizeof text);
        text[at] = stops[k];
        g_assert_true(pdec_plain_run_swar(text, e) == text + at);
        g_assert_true(pdec_plain_run_end(text, e) == text + at);
      }
  }
}

static void test_string_positions(void) {
  static const char *const specials[] = {"\\n", "\\\"", "\\u00e9", "\xc3\xa9", "\xe4\xb8\x8a"};
  static const char *const decoded[] = {"\n", "\"", "\xc3\xa9", "\xc3\xa9", "\xe4\xb8\x8a"};
  for (size_t k = 0; k < G_N_ELEMENTS(specials); k++) {
    for (int before = 0; before < 20; before++) {
      for (int after = 0; after < 12; after += 5) {
        char *a = repeat("a", before), *b = repeat("b", after);
        char *json = g_strdup_printf("{\"id\":\"p\",\"industry\":\"%s%s%s\",\"employees\":1}", a, specials[k], b);
        char *want = g_strdup_printf("%s%s%s", a, decoded[k], b);
        assert_ok(json);
        assert_str(res.fields[F_INDUSTRY], want);
        g_assert_cmpint(res.fields[F_EMPLOYEES].u.i, ==, 1);
        g_free(json);
        g_free(want);
        /* A control character at the same place is an error there. */
        json = g_strdup_printf("{\"id\":\"p\",\"industry\":\"%s\x01%s\"}", a, b);
        char *err = g_strdup_printf("malformed JSON at byte %d: control character in a string (must be escaped)",
                                    23 + before);
        assert_error(json, err);
        g_free(json);
        g_free(err);
        g_free(a);
        g_free(b);
      }
    }
  }
}

/* Keys that are prefixes or extensions of the expected one, out of order. */
static void test_key_order(void) {
  assert_ok("{\"idx\":\"zz\",\"i\":1,\"id\":\"p\",\"\":2,\"employeesx\":3,\"budget\":true,"
            "\"employees\":4,\"industry\":\"i\"}");
  assert_str(res.key, "p");
  g_assert_cmpint(res.fields[F_EMPLOYEES].u.i, ==, 4);
  g_assert_true(res.fields[F_BUDGET].u.b);
  assert_str(res.fields[F_INDUSTRY], "i");
  assert_ok("{\"code\":\"c\",\"tags\":[\"t\"],\"id\":\"q\"}");
  assert_str(res.key, "q");
  assert_str(res.fields[F_CODE], "c");
  g_assert_cmpuint(res.fields[F_TAGS].len, ==, 1);
}

static void mutate(const char *json) {
  size_t len = strlen(json);
  assert_ok(json);
  for (size_t cut = 0; cut < len; cut++) {
    char *part = g_memdup2(json, cut ? cut : 1); /* exactly cut bytes: ASan sees over-reads */
    g_assert_false(decode_len(part, cut));
    g_assert_cmpuint(strlen(res.error), >, 0);
    g_free(part);
  }
  static const char alphabet[] = "{}[]\":,\\ 0-1.eE+tfnu\x80\xff\xc3\x01a";
  GRand *rng = g_rand_new_with_seed(42);
  char *buf = g_malloc(len);
  for (int i = 0; i < 20000; i++) {
    memcpy(buf, json, len);
    int changes = g_rand_int_range(rng, 1, 4);
    for (int c = 0; c < changes; c++)
      buf[g_rand_int_range(rng, 0, (gint32)len)] = alphabet[g_rand_int_range(rng, 0, sizeof alphabet - 1)];
    /* Decode a heap copy of exactly len bytes: ASan sees any over-read. */
    if (!decode_len(buf, len)) g_assert_cmpuint(strlen(res.error), >, 0);
  }
  g_free(buf);
  g_rand_free(rng);
}

/* Every truncation of a valid record is an error; random byte changes give
 * a result or an error, never a crash (run under ASan/UBSan too). The
 * first text has escapes, exponents and numeric times (the general
 * decoder's); the second is plain (the fast path's, until a change makes
 * it decline). decode_len() compares the two decoders on each. */
static void test_mutations(void) {
  mutate("{\"id\":\"p1\",\"industry\":\"s\\u00e9as\",\"employees\":2.5e2,\"budget\":true,"
         "\"score\":-31.25e-1,\"since\":1769000000,\"window\":\"7d\",\"tags\":[\"a\",\"\\ud83d\\ude00\"],"
         "\"events\":[{\"type\":\"v\",\"at\":\"2026-01-28T10:00:00+08:00\",\"url\":null}],"
         "\"matrix\":[[1],[]],\"home\":{\"city\":\"上海\"},\"x\":{\"y\":[null,{}]}}");
  uint64_t taken = fast_taken;
  mutate("{\"id\":\"p1\",\"industry\":\"séas\",\"employees\":250,\"budget\":true,\"score\":-3.125,"
         "\"since\":\"2026-01-28T10:00:00Z\",\"window\":\"7d\",\"tags\":[\"a\",\"😀\"],"
         "\"events\":[{\"type\":\"v\",\"at\":\"2026-01-28T10:00:00Z\",\"url\":null,\"amount\":1}],"
         "\"matrix\":[[1],[]],\"home\":{\"city\":\"上海\",\"zip\":\"200000\"},\"x\":[1,2]}");
  g_assert_cmpuint(fast_taken - taken, >, 1000);
}

/* ---- the fast path ---------------------------------------------------------------- */

static void assert_fast(const char *json, bool taken) {
  PDecodeResult r;
  g_test_message("input: %s", json);
  pa_reset(&arena2);
  g_assert_cmpint(pdec_decode_fast(&schema_plan, json, strlen(json), NOW, &arena2, &r), ==, taken);
  check_fast_path(json, strlen(json));
}

/* What the fast path takes (plain records, as machines write them) and
 * what it leaves to the general decoder; either way decode_len() has
 * compared the two on every text of this file. */
static void test_fast_path(void) {
  assert_fast("{\"id\":\"p1\",\"industry\":\"制造\",\"employees\":250,\"budget\":true,"
              "\"score\":-31.25,\"since\":\"2026-01-28T10:00:00Z\",\"window\":\"7d\","
              "\"tags\":[\"a\",\"b\"],\"events\":[{\"type\":\"v\",\"at\":\"2026-01-28T10:00:00Z\","
              "\"url\":null,\"amount\":12.5},{\"type\":\"later\",\"at\":\"2027-01-01T00:00:00Z\"}],"
              "\"matrix\":[[1,-2],[]],\"home\":{\"city\":\"上海\"},\"legacy\":{\"x\":[1,{\"y\":\"\\n\"}]},"
              "\"code\":\"c\",\"extra\":[true,false,null,1.5e3,\"s\"],\"n\":-0.0}", true);
  g_assert_true(decode("{\"id\":\"p1\",\"events\":[{\"type\":\"v\",\"at\":\"2026-01-28T10:00:00Z\"},"
                       "{\"type\":\"later\",\"at\":\"2027-01-01T00:00:00Z\"}]}"));
  g_assert_cmpuint(res.fields[F_EVENTS].len, ==, 1); /* the future event is dropped */
  /* Python's json.dumps: spaces after ',' and ':'; keys in any order. */
  assert_fast("{\"tags\": [\"a\", \"b\"], \"id\": \"p2\", \"events\": [{\"at\": "
              "\"2026-01-28T10:00:00+08:00\", \"type\": \"v\"}], \"score\": 0.1 }\n", true);
  assert_fast(" { \"id\" : \"p3\" , \"id\" : \"p4\", \"industry\": \"x\", \"industry\": null } ", true);
  /* Events are read inline (a flat record: nothing in it recurses); a
   * required member that ends absent or null declines, a later value
   * after a null counts, and what is not read may nest. */
  assert_fast("{\"id\":\"p\",\"events\":[{\"type\":null,\"at\":\"2026-01-28T10:00:00Z\",\"type\":\"v\","
              "\"x\":[[{\"y\":[]}]],\"amount\":null,\"url\":null}]}", true);
  g_assert_true(decode("{\"id\":\"p\",\"events\":[{\"type\":\"v\",\"at\":\"2026-01-28T10:00:00Z\","
                       "\"amount\":2,\"amount\":null,\"url\":\"u\",\"url\":null}]}"));
  g_assert_cmpfloat(res.fields[F_EVENTS].u.items[0].u.items[E_AMOUNT].u.n, ==, 0);
  g_assert_cmpint(res.fields[F_EVENTS].u.items[0].u.items[E_URL].kind, ==, PV_NULL);
  assert_fast("{\"id\":\"p\",\"events\":[{\"at\":\"2026-01-28T10:00:00Z\"}]}", false);
  assert_fast("{\"id\":\"p\",\"events\":[{\"type\":\"v\",\"at\":\"2026-01-28T10:00:00Z\",\"type\":null}]}",
              false);
  assert_fast("{\"id\":\"p\",\"events\":[{}]}", false);
  assert_fast("{\"id\":\"p\",\"events\":[{\"type\":\"v\",\"at\":\"2026-01-28T10:00:00Z\"},]}", false);
  assert_fast("{\"id\":\"p5\",\"employees\":-9223372036854775807}", false); /* 19 digits */
  assert_fast("{\"id\":\"p5\",\"employees\":922337203685477580}", true);  /* 18 */
  assert_fast("{\"id\":\"p5\",\"score\":1234567890.12345}", true);          /* 15 digits */
  assert_fast("{\"id\":\"p5\",\"score\":1234567890.123456}", false);         /* 16 */
  /* Left to the general decoder: escapes in what is read, exponents, times
   * as numbers, wrong types, missing fields, and every error. */
  assert_fast("{\"id\":\"p\\u0031\"}", false);
  assert_fast("{\"\\u0069d\":\"p1\"}", false);
  assert_fast("{\"id\":\"p1\",\"employees\":2.5e2}", false);
  assert_fast("{\"id\":\"p1\",\"employees\":5.0}", false);
  assert_fast("{\"id\":\"p1\",\"since\":1769000000}", false);
  assert_fast("{\"id\":\"p1\",\"employees\":\"5\"}", false);
  assert_fast("{\"industry\":\"x\"}", false);
  assert_fast("{\"id\":null}", false);
  assert_fast("{\"id\":\"p1\",}", false);
  assert_fast("{\"id\":\"p1\"} x", false);
  assert_fast("{\"id\":\"p1\",\"x\":01}", false);
  assert_fast("{\"id\":\"\xff\"}", false);
  assert_fast("[]", false);
  assert_fast("", false);
}

/* ---- the whole text --------------------------------------------------------------- */

static void test_top_level(void) {
  assert_error("", "empty record");
  assert_error(" \t\r\n ", "empty record");
  assert_error("[]", "expected a JSON object, got an array");
  assert_error("\"x\"", "expected a JSON object, got a string");
  assert_error("42", "expected a JSON object, got a number");
  assert_error("null", "expected a JSON object, got null");
  assert_error("true", "expected a JSON object, got a boolean");
  assert_error("hello", "malformed JSON at byte 1: expected '{'");
  assert_error("{", "malformed JSON at byte 2: unexpected end of text, expected a string key");
  assert_error("{\"id\":\"p\"", "malformed JSON at byte 10: unexpected end of text, expected ',' or '}'");
  assert_error("{\"id\":\"p\",}", "malformed JSON at byte 11: expected a string key");
  assert_error("{\"id\":\"p\"} x", "malformed JSON at byte 12: unexpected text after the object");
  assert_error("{\"id\":\"p\"}{}", "malformed JSON at byte 11: unexpected text after the object");
  assert_error("{\"id\" \"p\"}", "malformed JSON at byte 7: expected ':'");
  assert_error("{\"id\":\"p\" \"x\":1}", "malformed JSON at byte 11: expected ',' or '}'");
  assert_error("{\"id\":}", "malformed JSON at byte 7: expected a value");
  assert_error("{id:\"p\"}", "malformed JSON at byte 2: expected a string key");
  /* Whitespace everywhere (and only JSON whitespace). */
  assert_ok(" \t\r\n{ \"id\" : \"p\" ,\n\"tags\" :\t[ \"a\" , \"b\" ] , \"events\" : [ { \"type\" : \"t\" ,"
            " \"at\" : 0 } ] , \"home\" : { \"city\" : \"c\" } } \r\n");
  assert_str(res.key, "p");
  g_assert_cmpuint(res.fields[F_TAGS].len, ==, 2);
  g_assert_cmpuint(res.fields[F_EVENTS].len, ==, 1);
  assert_error("{\"id\":\"p\"}\f", "malformed JSON at byte 11: unexpected text after the object");
  /* The length is honoured: no NUL terminator needed, bytes after len unseen. */
  g_assert_true(decode_len("{\"id\":\"p\"}garbage", 10));
  g_assert_false(decode_len("{\"id\":\"p\"}", 9));
}

static void test_depth(void) {
  /* 127 nested arrays in an unknown field: with the object, 128 levels. */
  char *open = repeat("[", 127), *close = repeat("]", 127);
  char *json = g_strdup_printf("{\"id\":\"p\",\"x\":%s%s}", open, close);
  assert_ok(json);
  g_free(json);
  g_free(open);
  g_free(close);
  open = repeat("[", 128);
  close = repeat("]", 128);
  json = g_strdup_printf("{\"id\":\"p\",\"x\":%s%s}", open, close);
  assert_error(json, "malformed JSON at byte 142: nested deeper than 128 levels");
  g_free(json);
  g_free(open);
  g_free(close);

  /* 100000 brackets and objects: an error, never a stack overflow. */
  static const char *const units[] = {"[", "{\"a\":", "[{\"a\":"};
  for (size_t i = 0; i < G_N_ELEMENTS(units); i++) {
    open = repeat(units[i], 100000);
    json = g_strdup_printf("{\"id\":\"p\",\"x\":%s", open);
    g_assert_false(decode(json));
    g_assert_nonnull(strstr(res.error, "nested deeper than 128 levels"));
    g_free(json);
    json = g_strdup_printf("{\"id\":\"p\",\"matrix\":%s", open);
    g_assert_false(decode(json));
    g_free(json);
    g_free(open);
  }
  /* Not an object, and malformed: the syntax error is the one reported. */
  open = repeat("[", 100000);
  g_assert_false(decode(open));
  g_assert_cmpstr(res.error, ==, "malformed JSON at byte 129: nested deeper than 128 levels");
  g_free(open);
}

static void test_utf8(void) {
  static const Bad bad[] = {
      {"{\"id\":\"p\xff\"}", "invalid UTF-8 at byte 9"},
      {"{\"id\":\"p\",\"x\":\"\xc0\xaf\"}", "invalid UTF-8 at byte 16"},         /* overlong '/' */
      {"{\"id\":\"p\",\"x\":\"\xed\xa0\x80\"}", "invalid UTF-8 at byte 16"},     /* surrogate */
      {"{\"id\":\"p\",\"x\":\"\xf4\x90\x80\x80\"}", "invalid UTF-8 at byte 16"}, /* > U+10FFFF */
      {"{\"id\":\"p\",\"x\":\"\xe4\xb8\"}", "invalid UTF-8 at byte 16"},         /* truncated */
      {"{\"id\":\"p\",\"\x80\":1}", "invalid UTF-8 at byte 12"},                 /* in a key */
      {"{\"id\":\"p\",\"x\":\x80}", "invalid UTF-8 at byte 15"},                 /* outside strings */
      {"{\"id\":\"p\"}\xfe", "invalid UTF-8 at byte 11"},
      {"{\"id\":\"p\",\"employees\":\"\xff\"}", "invalid UTF-8 at byte 24"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) assert_error(bad[i].json_value, bad[i].error);
  /* Valid non-ASCII outside a string is still a syntax error. */
  assert_error("{\"id\":\"p\"}é", "malformed JSON at byte 11: unexpected text after the object");
}

typedef struct {
  const char *s;
  size_t len;
  size_t bad_at;
} Utf8Case;

static void test_utf8_check(void) {
#define U(lit, at) {lit, sizeof(lit) - 1, at}
  static const Utf8Case cases[] = {
      U("", 0),
      U("plain ascii text longer than eight", 34),
      U("\xc3\xa9", 2),
      U("\xe4\xb8\x8a\xe4\xb8\x8a", 6),
      U("\xf0\x9f\x98\x80", 4),
      U("\xf4\x8f\xbf\xbf", 4),          /* U+10FFFF */
      U("\xef\xbf\xbf", 3),              /* U+FFFF */
      U("12345678\x80", 8),              /* lone continuation */
      U("\xc0\x80", 0),                  /* overlong NUL */
      U("\xc1\xbf", 0),                  /* overlong */
      U("\xe0\x9f\xbf", 0),              /* overlong 3-byte */
      U("\xf0\x8f\xbf\xbf", 0),          /* overlong 4-byte */
      U("abc\xed\xa0\x80", 3),           /* U+D800 */
      U("abc\xed\xbf\xbf", 3),           /* U+DFFF */
      U("\xed\x9f\xbf", 3),              /* U+D7FF ok */
      U("\xf4\x90\x80\x80", 0),          /* U+110000 */
      U("\xf5\x80\x80\x80", 0),
      U("\xff", 0),
      U("ab\xc3", 2),                    /* truncated at the end */
      U("ab\xe4\xb8", 2),
      U("\xc3\x28", 0),                  /* bad continuation */
      U("0123456789abcdef\xe4\xb8\x8axyz\xff", 22),
  };
#undef U
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_test_message("case %zu", i);
    g_assert_cmpuint(pdec_utf8_check(cases[i].s, cases[i].len), ==, cases[i].bad_at);
  }
}

static void test_limits(void) {
  /* An arena too small for the record: an error, not a crash. */
  PArena small;
  pa_init(&small, 4096);
  GString *g = g_string_new("{\"id\":\"p\",\"tags\":[");
  for (int i = 0; i < 2000; i++) g_string_append_printf(g, "%s\"t\"", i ? "," : "");
  g_string_append(g, "]}");
  PDecodeResult r;
  g_assert_false(pdec_decode(&schema_plan, g->str, g->len, NOW, &small, &r));
  g_assert_cmpstr(r.error, ==, "tags: record too large (out of memory or over the memory limit)");
  assert_str(r.key, "p");
  pa_free(&small);
  g_string_free(g, TRUE);
}

/* A plan used without pdec_plan_prepare(), and a record plan shared by
 * two fields: prepare/release are idempotent. */
static void test_plan_lookup(void) {
  PDecodeField fs[40];
  char names[40][8];
  for (int i = 0; i < 40; i++) {
    g_snprintf(names[i], sizeof names[i], "f%d", i);
    fs[i] = field(names[i], PDT_INT);
    fs[i].optional = true;
  }
  PDecodePlan plan = {"profile", 40, fs, -1, -1, NULL};
  const char *json = "{\"f39\":39,\"f0\":0,\"nope\":1,\"f17\":17,\"f18\":18}";
  PDecodeResult r;
  for (int round = 0; round < 2; round++) {
    pa_reset(&arena);
    g_assert_true(pdec_decode(&plan, json, strlen(json), NOW, &arena, &r));
    g_assert_cmpint(r.fields[39].u.i, ==, 39);
    g_assert_cmpint(r.fields[0].u.i, ==, 0);
    g_assert_cmpint(r.fields[17].u.i, ==, 17);
    g_assert_cmpint(r.fields[18].u.i, ==, 18);
    g_assert_cmpint(r.fields[1].kind, ==, PV_NULL);
    pdec_plan_prepare(&plan);
    pdec_plan_prepare(&plan);
  }
  pdec_plan_release(&plan);
  pdec_plan_release(&plan);
  g_assert_null(plan.lookup);
}

/* pdec_object_spans: the raw text of chosen top-level values. */
static void test_object_spans(void) {
  static const char *const keys[] = {"id", "state", "v"};
  static const struct {
    const char *json;
    const char *id, *state, *v; /* expected raw text, NULL = absent */
  } cases[] = {
      {"{\"id\":\"p1\",\"state\":{\"v\":1}}", "\"p1\"", "{\"v\":1}", NULL},
      {" { \"state\" : [1, {\"id\":2}] , \"id\" : 42 } ", "42", "[1, {\"id\":2}]", NULL},
      {"{\"\\u0069d\":\"a\\\"b\",\"v\":null}", "\"a\\\"b\"", NULL, "null"},
      {"{\"id\":1,\"id\":2,\"x\":{\"v\":3}}", "2", NULL, NULL}, /* last wins; nested ignored */
      {"{}", NULL, NULL, NULL},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    PDecodeSpan spans[3];
    char err[200] = "";
    const char *j = cases[i].json;
    g_assert_true(pdec_object_spans(j, strlen(j), keys, 3, spans, err, sizeof err));
    g_assert_cmpstr(err, ==, "");
    const char *want[] = {cases[i].id, cases[i].state, cases[i].v};
    for (int k = 0; k < 3; k++) {
      g_assert_cmpint(spans[k].found, ==, want[k] != NULL);
      if (!want[k]) {
        g_assert_cmpuint(spans[k].len, ==, 0);
        continue;
      }
      g_autofree char *got = g_strndup(j + spans[k].offset, spans[k].len);
      g_assert_cmpstr(got, ==, want[k]);
    }
  }
}

static void test_object_spans_errors(void) {
  static const char *const keys[] = {"id"};
  static const struct {
    const char *json;
    const char *error;
  } cases[] = {
      {"", "empty text"},
      {"  ", "empty text"},
      {"[1]", "expected a JSON object, got an array"},
      {"\"id\"", "expected a JSON object, got a string"},
      {"nope", "malformed JSON at byte 1: expected a value"},
      {"{\"id\":1", "malformed JSON at byte 8: unexpected end of text, expected ',' or '}'"},
      {"{\"id\":1} x", "malformed JSON at byte 10: unexpected text after the object"},
      {"{\"id\":[1,}", "malformed JSON at byte 10: expected a value"},
      {"{\"x\":\"\xff\"}", "invalid UTF-8 at byte 7"},
      {"{\"\\udc00\":1}", "malformed JSON at byte 2: lone UTF-16 surrogate in a key"},
      {"{id:1}", "malformed JSON at byte 2: expected a string key"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    PDecodeSpan span;
    char err[200] = "";
    g_assert_false(pdec_object_spans(cases[i].json, strlen(cases[i].json), keys, 1, &span, err,
                                     sizeof err));
    g_assert_cmpstr(err, ==, cases[i].error);
  }
  /* Depth is limited as in pdec_decode. */
  GString *deep = g_string_new("{\"id\":");
  for (int i = 0; i < PDEC_MAX_DEPTH; i++) g_string_append_c(deep, '[');
  for (int i = 0; i < PDEC_MAX_DEPTH; i++) g_string_append_c(deep, ']');
  g_string_append_c(deep, '}');
  PDecodeSpan span;
  char err[200] = "";
  g_assert_false(pdec_object_spans(deep->str, deep->len, keys, 1, &span, err, sizeof err));
  g_assert_cmpstr(err, ==, "malformed JSON at byte 134: nested deeper than 128 levels");
  g_string_free(deep, TRUE);
}

/* pdec_scalar: one value with the rules of a field of that type. */
static void test_scalar(void) {
  static const struct {
    const char *json;
    PDecodeKind kind;
    bool ok;
    const char *expect; /* the string, the int in decimal, or the error */
  } cases[] = {
      {"\"p1\"", PDT_STRING, true, "p1"},
      {" \"\\u0070\\u0031\" ", PDT_STRING, true, "p1"},
      {"\"caf\\u00e9\"", PDT_STRING, true, "caf\xc3\xa9"},
      {"42", PDT_INT, true, "42"},
      {"42.0", PDT_INT, true, "42"},
      {"-4.2e1", PDT_INT, true, "-42"},
      {"4.5", PDT_INT, false, "expected an integer, got 4.5"},
      {"1e30", PDT_INT, false, "integer out of range: 1e30"},
      {"\"42\"", PDT_INT, false, "expected an integer, got \"42\""},
      {"null", PDT_STRING, false, "expected a string, got null"},
      {"1 2", PDT_INT, false, "malformed JSON at byte 3: unexpected text after the value"},
      {"4.5 x", PDT_INT, false, "malformed JSON at byte 5: unexpected text after the value"},
      {"\"\\ud800\"", PDT_STRING, false, "invalid string: a \\u escape is a lone UTF-16 surrogate"},
      {"", PDT_INT, false, "empty text"},
      {"[1]", PDT_LIST, false, "pdec_scalar: not a scalar kind"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    PValue v = pv_null();
    char err[200] = "";
    const char *j = cases[i].json;
    bool ok = pdec_scalar(j, strlen(j), cases[i].kind, &arena, &v, err, sizeof err);
    g_assert_cmpint(ok, ==, cases[i].ok);
    if (!ok) {
      g_assert_cmpstr(err, ==, cases[i].expect);
    } else if (cases[i].kind == PDT_STRING) {
      g_assert_cmpint(v.kind, ==, PV_STRING);
      g_autofree char *s = g_strndup(v.u.s, v.len);
      g_assert_cmpstr(s, ==, cases[i].expect);
    } else {
      g_assert_cmpint(v.kind, ==, PV_INT);
      g_autofree char *s = g_strdup_printf("%" G_GINT64_FORMAT, (gint64)v.u.i);
      g_assert_cmpstr(s, ==, cases[i].expect);
    }
  }
  pa_reset(&arena);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  build_plans();
  pa_init(&arena, 0);
  pa_init(&arena2, 0);
  g_test_add_func("/runtime/json_decode/fast-path", test_fast_path);
  g_test_add_func("/runtime/json_decode/full-record", test_full_record);
  g_test_add_func("/runtime/json_decode/defaults-and-optional", test_defaults_and_optional);
  g_test_add_func("/runtime/json_decode/required", test_required);
  g_test_add_func("/runtime/json_decode/key-on-error", test_key_on_error);
  g_test_add_func("/runtime/json_decode/int", test_int);
  g_test_add_func("/runtime/json_decode/number", test_number);
  g_test_add_func("/runtime/json_decode/bool", test_bool);
  g_test_add_func("/runtime/json_decode/string", test_string);
  g_test_add_func("/runtime/json_decode/time", test_time);
  g_test_add_func("/runtime/json_decode/duration", test_duration);
  g_test_add_func("/runtime/json_decode/list", test_list);
  g_test_add_func("/runtime/json_decode/as-of", test_as_of);
  g_test_add_func("/runtime/json_decode/pii", test_pii);
  g_test_add_func("/runtime/json_decode/unknown-fields", test_unknown_fields);
  g_test_add_func("/runtime/json_decode/duplicate-keys", test_duplicate_keys);
  g_test_add_func("/runtime/json_decode/escaped-keys", test_escaped_keys);
  g_test_add_func("/runtime/json_decode/string-positions", test_string_positions);
  g_test_add_func("/runtime/json_decode/plain-run-swar", test_plain_run_swar);
  g_test_add_func("/runtime/json_decode/key-order", test_key_order);
  g_test_add_func("/runtime/json_decode/mutations", test_mutations);
  g_test_add_func("/runtime/json_decode/top-level", test_top_level);
  g_test_add_func("/runtime/json_decode/depth", test_depth);
  g_test_add_func("/runtime/json_decode/utf8", test_utf8);
  g_test_add_func("/runtime/json_decode/utf8-check", test_utf8_check);
  g_test_add_func("/runtime/json_decode/limits", test_limits);
  g_test_add_func("/runtime/json_decode/plan-lookup", test_plan_lookup);
  g_test_add_func("/runtime/json_decode/object-spans", test_object_spans);
  g_test_add_func("/runtime/json_decode/object-spans-errors", test_object_spans_errors);
  g_test_add_func("/runtime/json_decode/scalar", test_scalar);
  int rc = g_test_run();
  pdec_plan_release(&schema_plan);
  g_test_message("fast path: %" G_GUINT64_FORMAT " texts taken, %" G_GUINT64_FORMAT " declined",
                 fast_taken, fast_declined);
  pa_free(&arena);
  pa_free(&arena2);
  return rc;
}
