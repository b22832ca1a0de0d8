/* test_builtins.c - the standard library, called only through pbuiltins[]:
 * every function is looked up by name and parameter types, as the checker
 * and the VM do. Time functions run with TZ=Asia/Shanghai (set again in
 * main) to prove they are UTC. */
#include <glib.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stdlib/builtins.h"

#define S(lit) pv_string((lit), (uint32_t)(sizeof(lit) - 1))
#define SEC(s) pv_time((int64_t)(s) * PV_USEC_PER_SEC)

/* ---- calling through the table ---------------------------------------------- */

static PBuiltinType type_of(const PValue *v) {
  switch (v->kind) {
  case PV_BOOL: return PBT_BOOL;
  case PV_INT: return PBT_INT;
  case PV_NUMBER: return PBT_NUMBER;
  case PV_STRING: return PBT_STRING;
  case PV_TIME: return PBT_TIME;
  case PV_DURATION: return PBT_DURATION;
  default: return PBT_LIST_ANY;
  }
}

static bool accepts(PBuiltinType param, PBuiltinType arg) {
  if (param == arg) return true;
  return param == PBT_LIST_ANY && arg == PBT_LIST_STRING;
}

/* The entry named `name` whose parameters are exactly `types` (variadic:
 * the last parameter repeats). Fails the test when there is none. */
static const PBuiltin *lookup(const char *name, const PBuiltinType *types, uint32_t n) {
  int first = pbuiltin_find(name);
  g_assert_cmpint(first, >=, 0);
  for (uint32_t i = (uint32_t)first; i < pbuiltins_count && strcmp(pbuiltins[i].name, name) == 0; i++) {
    const PBuiltin *b = &pbuiltins[i];
    bool variadic = (b->flags & PB_VARIADIC) != 0;
    if (n < b->nparams || (!variadic && n != b->nparams)) continue;
    bool ok = true;
    for (uint32_t k = 0; k < n && ok; k++) {
      PBuiltinType p = b->params[k < b->nparams ? k : b->nparams - 1u];
      ok = accepts(p, types[k]);
    }
    if (ok) return b;
  }
  g_test_message("no overload %s/%u", name, n);
  g_assert_not_reached();
  return NULL;
}

typedef struct {
  PArena arena;
  PCallCtx ctx;
} Env;

static Env env;

static void env_setup(void) {
  pa_init(&env.arena, 0);
  memset(&env.ctx, 0, sizeof env.ctx);
  env.ctx.arena = &env.arena;
}

/* Calls name(args…); returns the function's success and fills *out. Lists
 * passed in args are taken as list<string>. A regex argument is compiled
 * as the loader would. */
static bool callv(const char *name, PValue *out, uint32_t n, const PValue *args,
                  const PBuiltinType *types) {
  const PBuiltin *b = lookup(name, types, n);
  void *aux = NULL;
  if (b->flags & PB_REGEX_ARG1) {
    char *err = NULL;
    aux = pbuiltin_regex_compile(args[1].u.s, args[1].len, &err);
    g_assert_null(err);
    g_assert_nonnull(aux);
  }
  env.ctx.error[0] = '\0';
  *out = pv_null();
  bool ok = b->fn(&env.ctx, args, n, aux, out);
  pbuiltin_regex_free(aux);
  if (ok) {
    g_assert_cmpstr(env.ctx.error, ==, "");
    g_assert_cmpint(type_of(out) == b->ret || (b->ret == PBT_LIST_STRING && out->kind == PV_LIST), ==, 1);
    if (out->kind == PV_NUMBER) g_assert_true(isfinite(out->u.n));
  } else {
    g_assert_cmpstr(env.ctx.error, !=, "");
  }
  return ok;
}

static bool call(const char *name, PValue *out, uint32_t n, const PValue *args) {
  PBuiltinType types[8];
  g_assert_cmpuint(n, <=, G_N_ELEMENTS(types));
  for (uint32_t i = 0; i < n; i++) types[i] = type_of(&args[i]);
  return callv(name, out, n, args, types);
}

#define CALL(name, out, ...)                                                   \
  call(name, out, (uint32_t)(sizeof((PValue[]){__VA_ARGS__}) / sizeof(PValue)), \
       (PValue[]){__VA_ARGS__})

/* Expects an error with exactly this message. */
#define CALL_ERR(msg, name, ...)                                               \
  do {                                                                         \
    PValue out_;                                                               \
    g_assert_false(CALL(name, &out_, __VA_ARGS__));                             \
    g_assert_cmpstr(env.ctx.error, ==, (msg));                                 \
  } while (0)

static void assert_str(PValue v, const char *expect, size_t expect_len) {
  g_assert_cmpint(v.kind, ==, PV_STRING);
  g_assert_cmpuint(v.len, ==, expect_len);
  g_assert_true(memcmp(v.u.s, expect, expect_len) == 0);
}

#define ASSERT_STR(v, lit) assert_str((v), (lit), sizeof(lit) - 1)

static int64_t call_int(const char *name, uint32_t n, const PValue *args) {
  PValue out;
  g_assert_true(call(name, &out, n, args));
  g_assert_cmpint(out.kind, ==, PV_INT);
  return out.u.i;
}

static double call_num(const char *name, uint32_t n, const PValue *args) {
  PValue out;
  g_assert_true(call(name, &out, n, args));
  g_assert_cmpint(out.kind, ==, PV_NUMBER);
  return out.u.n;
}

static bool call_bool(const char *name, uint32_t n, const PValue *args) {
  PValue out;
  g_assert_true(call(name, &out, n, args));
  g_assert_cmpint(out.kind, ==, PV_BOOL);
  return out.u.b;
}

#define ARGS(...) (uint32_t)(sizeof((PValue[]){__VA_ARGS__}) / sizeof(PValue)), (PValue[]){__VA_ARGS__}
#define INT(name, ...) call_int(name, ARGS(__VA_ARGS__))
#define NUM(name, ...) call_num(name, ARGS(__VA_ARGS__))
#define BOOL(name, ...) call_bool(name, ARGS(__VA_ARGS__))

/* ---- the table ----------------------------------------------------------------- */

static void test_table(void) {
  g_assert_cmpuint(pbuiltins_count, >=, 30);
  for (uint32_t i = 0; i < pbuiltins_count; i++) {
    const PBuiltin *b = &pbuiltins[i];
    /* Overloads are consecutive: a name never reappears after another. */
    g_assert_cmpint(pbuiltin_find(b->name), <=, (int)i);
    if (i > 0 && strcmp(pbuiltins[i - 1].name, b->name) != 0)
      g_assert_cmpint(pbuiltin_find(b->name), ==, (int)i);
    g_assert_cmpuint(b->nparams, >=, 1);
    g_assert_cmpuint(b->nparams, <=, PB_MAX_PARAMS);
    g_assert_nonnull(b->fn);
    /* Pure functions fold; pseudonym() alone needs the run's key. */
    g_assert_cmpuint(b->flags & PB_CONST_FOLDABLE, ==, strcmp(b->name, "pseudonym") ? PB_CONST_FOLDABLE : 0);
    /* The synopsis starts with the call shape and names the result. */
    g_autofree char *prefix = g_strdup_printf("%s(", b->name);
    g_assert_true(g_str_has_prefix(b->synopsis, prefix));
    g_assert_nonnull(strstr(b->synopsis, ") -> "));
    g_assert_nonnull(strstr(b->synopsis, ": "));
    /* An int overload comes before the number one of the same arity. */
    if (b->params[0] == PBT_NUMBER)
      for (uint32_t j = i + 1; j < pbuiltins_count && strcmp(pbuiltins[j].name, b->name) == 0; j++)
        g_assert_false(pbuiltins[j].nparams == b->nparams && pbuiltins[j].params[0] == PBT_INT);
  }
  g_assert_cmpint(pbuiltin_find("len"), ==, 0);
  g_assert_cmpint(pbuiltin_find("nope"), ==, -1);
  g_assert_cmpint(pbuiltin_find("now"), ==, -1);     /* the checker's */
  g_assert_cmpint(pbuiltin_find("count"), ==, -1);   /* an aggregate */
  g_assert_cmpuint(pbuiltins[pbuiltin_find("matches")].flags & PB_REGEX_ARG1, !=, 0);
  g_assert_cmpuint(pbuiltins[pbuiltin_find("min")].flags & PB_VARIADIC, !=, 0);
  g_assert_cmpuint(pbuiltins[pbuiltin_find("max")].flags & PB_VARIADIC, !=, 0);
}

/* Every name of spec section 5.2 that the table should hold. */
static void test_table_names(void) {
  static const char *const names[] = {
    "len", "lower", "upper", "trim", "contains", "starts_with", "ends_with",
    "matches", "replace", "split", "abs", "min", "max", "round", "floor",
    "ceil", "sqrt", "log", "exp", "pow", "clamp", "sigmoid", "days_between",
    "hours_between", "date", "weekday", "hour"};
  for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
    g_test_message("%s", names[i]);
    g_assert_cmpint(pbuiltin_find(names[i]), >=, 0);
  }
}

/* ---- strings ---------------------------------------------------------------------- */

static void test_len(void) {
  static const struct { const char *s; uint32_t bytes; int64_t chars; } cases[] = {
    {"", 0, 0},
    {"abc", 3, 3},
    {"上海市", 9, 3},
    {"高意向客户 ok", 18, 8},
    {"e\xCC\x81", 3, 2},          /* e + combining acute: two code points */
    {"\xF0\x9F\x98\x80!", 5, 2},  /* 😀! */
    {"a\0b", 3, 3},               /* U+0000 counts */
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
    g_assert_cmpint(INT("len", pv_string(cases[i].s, cases[i].bytes)), ==, cases[i].chars);

  PValue items[3] = {S("a"), S("b"), S("c")};
  PValue list = pv_list(items, 3);
  PBuiltinType t = PBT_LIST_ANY;
  PValue out;
  g_assert_true(callv("len", &out, 1, &list, &t));
  g_assert_cmpint(out.u.i, ==, 3);
  list = pv_list(NULL, 0);
  g_assert_true(callv("len", &out, 1, &list, &t));
  g_assert_cmpint(out.u.i, ==, 0);
}

static void test_case(void) {
  static const struct { const char *fn, *in, *out; } cases[] = {
    {"lower", "Hello World", "hello world"},
    {"upper", "Hello World", "HELLO WORLD"},
    {"lower", "", ""},
    {"upper", "", ""},
    {"lower", "ÀÉÎÕÜ", "àéîõü"},
    {"upper", "àéîõü", "ÀÉÎÕÜ"},
    {"upper", "straße", "STRASSE"},          /* grows: ß -> SS */
    {"lower", "高意向客户ABC", "高意向客户abc"},  /* Han has no case */
    {"upper", "高意向客户abc", "高意向客户ABC"},
    {"lower", "ΑΘΗΝΑ", "αθηνα"},
    {"upper", "ǆ", "Ǆ"},
    {"lower", "ΟΔΟΣ", "οδος"},               /* final sigma */
    {"lower", "ΣΟΦΙΑ", "σοφια"},
    {"lower", "ΟΣ ΟΣ", "ος ος"},
    {"lower", "ΟΣA", "οσa"},                 /* a letter follows, even ASCII */
    {"lower", "ΟΣ1", "ος1"},
    {"lower", "İSTANBUL", "i̇stanbul"},      /* root rule: i + U+0307 */
    {"upper", "istanbul ı", "ISTANBUL I"},
    {"lower", "ÌÍĨĮ", "ìíĩį"},
    {"lower", "ＩＪ", "ｉｊ"},
    {"upper", "ﬁx", "FIX"},                  /* ligature expands */
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    PValue out;
    g_test_message("%s(%s)", cases[i].fn, cases[i].in);
    g_assert_true(CALL(cases[i].fn, &out, pv_string(cases[i].in, (uint32_t)strlen(cases[i].in))));
    assert_str(out, cases[i].out, strlen(cases[i].out));
  }
}

static void test_case_edges(void) {
  PValue out;
  /* ASCII with nothing to change: the argument itself, no copy. */
  PValue in = S("already lower 123");
  g_assert_true(CALL("lower", &out, in));
  g_assert_true(out.u.s == in.u.s);
  /* A changed ASCII string is a copy in the arena; the input is untouched. */
  char buf[] = "MiXeD";
  g_assert_true(CALL("lower", &out, pv_string(buf, 5)));
  ASSERT_STR(out, "mixed");
  g_assert_cmpstr(buf, ==, "MiXeD");
  /* U+0000 inside non-ASCII text: GLib would stop there; we do not. */
  g_assert_true(CALL("lower", &out, S("Ä\0Ö")));
  ASSERT_STR(out, "ä\0ö");
  g_assert_true(CALL("upper", &out, S("ä\0ö\0")));
  ASSERT_STR(out, "Ä\0Ö\0");
  /* GLib moves marks after U+0345 and looks for them up to a NUL: the
   * text after the string (here "\xCC\x81") must not be read. */
  static const char buf2[] = "\xCD\x85\xCC\x81";
  g_assert_true(CALL("upper", &out, pv_string(buf2, 2)));
  ASSERT_STR(out, "\xCE\x99");
  /* A run longer than the stack buffer. */
  GString *big = g_string_new(NULL);
  for (int i = 0; i < 200; i++) g_string_append(big, "é");
  g_assert_true(CALL("upper", &out, pv_string(big->str, (uint32_t)big->len)));
  g_assert_cmpuint(out.len, ==, big->len);
  g_assert_true(memcmp(out.u.s, "ÉÉÉ", 6) == 0);
  g_assert_true(memcmp(out.u.s + out.len - 2, "É", 2) == 0);
  g_string_free(big, TRUE);
}

/* lower/upper give the same bytes under a Turkish or Lithuanian LC_CTYPE,
 * where g_utf8_strup/strdown alone would not. Needs such a locale (e.g.
 * built with `localedef -i tr_TR -f UTF-8 DIR/tr_TR.UTF-8` and LOCPATH=DIR). */
static void test_case_locale(void) {
  static const char *const inputs[] = {
    "Istanbul iğne İzmir ı", "ÌÍĨĮ IJ Ịj", "iè i̇ ÏÎ", "ΟΣ İ ＩＪ", "ǅ ß ﬁ",
  };
  static const char *const locales[] = {"tr_TR.UTF-8", "az_AZ.UTF-8", "lt_LT.UTF-8"};
  enum { N = G_N_ELEMENTS(inputs) };
  char *expect[2][N];
  for (int up = 0; up < 2; up++)
    for (size_t i = 0; i < N; i++) {
      PValue out;
      g_assert_true(CALL(up ? "upper" : "lower", &out,
                         pv_string(inputs[i], (uint32_t)strlen(inputs[i]))));
      expect[up][i] = g_strndup(out.u.s, out.len);
    }
  int tried = 0;
  for (size_t l = 0; l < G_N_ELEMENTS(locales); l++) {
    if (!setlocale(LC_CTYPE, locales[l])) continue;
    tried++;
    g_test_message("LC_CTYPE=%s", locales[l]);
    for (int up = 0; up < 2; up++)
      for (size_t i = 0; i < N; i++) {
        PValue out;
        g_assert_true(CALL(up ? "upper" : "lower", &out,
                           pv_string(inputs[i], (uint32_t)strlen(inputs[i]))));
        g_autofree char *got = g_strndup(out.u.s, out.len);
        g_assert_cmpstr(got, ==, expect[up][i]);
      }
    setlocale(LC_CTYPE, "C");
  }
  for (int up = 0; up < 2; up++)
    for (size_t i = 0; i < N; i++) g_free(expect[up][i]);
  if (!tried) g_test_skip("no tr_TR, az_AZ or lt_LT locale installed");
}

static void test_trim(void) {
  static const struct { const char *in, *out; } cases[] = {
    {"", ""},
    {"   ", ""},
    {"abc", "abc"},
    {"  a b  ", "a b"},
    {"\t\n\v\f\r x \r\n", "x"},
    {"\xE3\x80\x80客户\xE3\x80\x80", "客户"},       /* U+3000 ideographic space */
    {"\xC2\xA0x\xE2\x80\x83", "x"},                 /* NBSP, EM SPACE */
    {"\xC2\x85x\xE2\x80\xA8\xE2\x80\xA9", "x"},     /* NEL, LS, PS */
    {"\xE2\x80\x8Bx", "\xE2\x80\x8Bx"},             /* ZWSP is not white space */
    {"\xEF\xBB\xBFx", "\xEF\xBB\xBFx"},             /* nor is the BOM */
    {" 上 海 ", "上 海"},
    {"客", "客"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    PValue out;
    PValue in = pv_string(cases[i].in, (uint32_t)strlen(cases[i].in));
    g_test_message("trim(%s)", cases[i].in);
    g_assert_true(CALL("trim", &out, in));
    assert_str(out, cases[i].out, strlen(cases[i].out));
    /* A slice of the input, never a copy. */
    g_assert_true(out.u.s >= in.u.s && out.u.s + out.len <= in.u.s + in.len);
  }
}

static void test_search(void) {
  static const struct { const char *fn, *s, *sub; bool expect; } cases[] = {
    {"contains", "hello", "ell", true},
    {"contains", "hello", "", true},
    {"contains", "", "", true},
    {"contains", "", "a", false},
    {"contains", "hel", "hello", false},
    {"contains", "aaab", "aab", true},
    {"contains", "上海市浦东", "浦东", true},
    {"contains", "上海市", "北京", false},
    {"contains", "ab", "b\xCC\x81", false},
    {"starts_with", "pricing page", "pricing", true},
    {"starts_with", "pricing", "pricing page", false},
    {"starts_with", "abc", "", true},
    {"starts_with", "", "", true},
    {"starts_with", "abc", "b", false},
    {"starts_with", "上海市", "上海", true},
    {"ends_with", "report.pdf", ".pdf", true},
    {"ends_with", "pdf", "x.pdf", false},
    {"ends_with", "abc", "", true},
    {"ends_with", "abc", "b", false},
    {"ends_with", "上海市", "海市", true},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_test_message("%s(%s, %s)", cases[i].fn, cases[i].s, cases[i].sub);
    bool got = BOOL(cases[i].fn, pv_string(cases[i].s, (uint32_t)strlen(cases[i].s)),
                    pv_string(cases[i].sub, (uint32_t)strlen(cases[i].sub)));
    g_assert_cmpint(got, ==, cases[i].expect);
  }
  /* Empty strings that carry no pointer at all. */
  g_assert_true(BOOL("contains", pv_string(NULL, 0), pv_string(NULL, 0)));
  g_assert_true(BOOL("starts_with", pv_string(NULL, 0), pv_string(NULL, 0)));
  g_assert_true(BOOL("ends_with", S("x"), pv_string(NULL, 0)));
}

static void test_matches(void) {
  static const struct { const char *s, *re; bool expect; } cases[] = {
    {"abc", "b", true},                 /* unanchored, like grep */
    {"abc", "^b", false},
    {"abc", "^a.c$", true},
    {"", "^$", true},
    {"", "x", false},
    {"客户123", "^客户\\d+$", true},
    {"客", "^.$", true},                /* . is one code point, not one byte */
    {"ab客cd", "\\p{Han}", true},
    {"abcd", "\\p{Han}", false},
    {"Straße", "(?i)STRASSE", false},   /* no full case folding in PCRE */
    {"PRICING", "(?i)pricing", true},
    {"/pricing/enterprise", "^/pricing(/|$)", true},
    {"/pricingx", "^/pricing(/|$)", false},
    {"a\0b", "a\\x00b", true},          /* text with U+0000 is searched whole */
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_test_message("matches(%s, %s)", cases[i].s, cases[i].re);
    uint32_t slen = (uint32_t)strlen(cases[i].s);
    if (i == G_N_ELEMENTS(cases) - 1) slen = 3;
    bool got = BOOL("matches", pv_string(cases[i].s, slen),
                    pv_string(cases[i].re, (uint32_t)strlen(cases[i].re)));
    g_assert_cmpint(got, ==, cases[i].expect);
  }
}

/* Catastrophic backtracking ends as an error of the record, not a hang:
 * every match may do at most PB_REGEX_WORK_BASE + PB_REGEX_WORK_PER_BYTE
 * × the text's length steps. Nested quantifiers (exponential) and the
 * quadratic \w+\s*\w+\s*= on a long word. */
static void test_matches_backtracking(void) {
  static const struct {
    const char *re;
    char fill;
    uint32_t n;
    const char *tail;
  } cases[] = {
      {"^(a+)+$", 'a', 40, "!"},
      {"(a|aa)*b$", 'a', 60, "b!"}, /* the required 'b' is there: no shortcut */
      {"^(a*)*b$", 'a', 40, "bc"},
      {"^(x+x+)+y$", 'x', 50, "yz"},
      {"\\w+\\s*\\w+\\s*=", 'a', 524288, "!="},
  };
  for (size_t k = 0; k < G_N_ELEMENTS(cases); k++) {
    GString *text = g_string_new(NULL);
    for (uint32_t i = 0; i < cases[k].n; i++) g_string_append_c(text, cases[k].fill);
    g_string_append(text, cases[k].tail);
    PValue out;
    g_test_message("matches(%c x %u, %s)", cases[k].fill, cases[k].n, cases[k].re);
    g_assert_false(CALL("matches", &out, pv_string(text->str, (uint32_t)text->len),
                        pv_string(cases[k].re, (uint32_t)strlen(cases[k].re))));
    g_autofree char *want = g_strdup_printf(
        "matches(): the regular expression needs too much work on this text (more than %" G_GUINT64_FORMAT " steps)",
        (guint64)PB_REGEX_WORK_BASE + (guint64)PB_REGEX_WORK_PER_BYTE * text->len);
    g_assert_cmpstr(env.ctx.error, ==, want);
    g_string_free(text, TRUE);
  }
  /* A linear search of a long text stays within the limit. */
  GString *big = g_string_new(NULL);
  for (int i = 0; i < 1 << 20; i++) g_string_append_c(big, "ab c"[i % 4]);
  g_string_append(big, "x=1");
  g_assert_true(BOOL("matches", pv_string(big->str, (uint32_t)big->len), S("\\w+=\\d")));
  g_string_free(big, TRUE);
}

/* The work is charged through ctx->charge, in batches and all of it; a
 * charge that refuses stops the match with the charger's message. */
typedef struct {
  uint64_t total, refuse_after;
} Charges;

static Charges charges;

static bool count_charge(PCallCtx *ctx, uint64_t units) {
  charges.total += units;
  if (charges.refuse_after && charges.total > charges.refuse_after) {
    g_strlcpy(ctx->error, "instruction budget of 7 exceeded", sizeof ctx->error);
    return false;
  }
  return true;
}

static void test_matches_charges(void) {
  GString *text = g_string_new(NULL);
  for (int i = 0; i < 200; i++) g_string_append_c(text, 'a');
  g_string_append(text, "!=");
  PValue args[2] = {pv_string(text->str, (uint32_t)text->len), S("\\w+\\s*\\w+\\s*=")};
  const PBuiltin *b = &pbuiltins[pbuiltin_find("matches")];
  PValue out;
  env.ctx.charge = count_charge;
  charges = (Charges){0};
  g_assert_true(b->fn(&env.ctx, args, 2, NULL, &out));
  g_assert_false(out.u.b);
  uint64_t quadratic = charges.total;
  g_assert_cmpuint(quadratic, >, 200ull * 200 * 200 / 6); /* cubic: two \\w+ backtrack at each start */
  charges = (Charges){.refuse_after = 10000};
  g_assert_false(b->fn(&env.ctx, args, 2, NULL, &out));
  g_assert_cmpstr(env.ctx.error, ==, "instruction budget of 7 exceeded");
  g_assert_cmpuint(charges.total, <, 10000 + 4096 + 1);
  /* A short match is charged too, and little. */
  charges = (Charges){0};
  PValue short_args[2] = {S("visited pricing"), S("pric(e|ing)")};
  g_assert_true(b->fn(&env.ctx, short_args, 2, NULL, &out));
  g_assert_true(out.u.b);
  g_assert_cmpuint(charges.total, >, 0);
  g_assert_cmpuint(charges.total, <, 200);
  env.ctx.charge = NULL;
  g_string_free(text, TRUE);
}

static void test_matches_no_aux(void) {
  /* Constant folding may call the function before any regex is compiled. */
  const PBuiltin *b = &pbuiltins[pbuiltin_find("matches")];
  PValue args[2] = {S("visited pricing"), S("pric(e|ing)")};
  PValue out;
  g_assert_true(b->fn(&env.ctx, args, 2, NULL, &out));
  g_assert_cmpint(out.u.b, ==, true);
  args[1] = S("(unclosed");
  g_assert_false(b->fn(&env.ctx, args, 2, NULL, &out));
  g_assert_true(g_str_has_prefix(env.ctx.error, "matches(): invalid regular expression: "));
}

static void test_regex_compile_errors(void) {
  char *err = NULL;
  void *re = pbuiltin_regex_compile("(abc", 4, &err);
  g_assert_null(re);
  g_assert_nonnull(err);
  g_assert_true(g_str_has_prefix(err, "invalid regular expression: "));
  g_free(err);
  err = NULL;
  re = pbuiltin_regex_compile("a\0b", 3, &err);
  g_assert_null(re);
  g_assert_cmpstr(err, ==, "a regular expression may not contain the character U+0000");
  g_free(err);
  /* Only `len` bytes are the pattern: "ab" here, not "abc". */
  err = NULL;
  re = pbuiltin_regex_compile("abc", 2, &err);
  g_assert_nonnull(re);
  g_assert_null(err);
  const PBuiltin *b = &pbuiltins[pbuiltin_find("matches")];
  PValue args[2] = {S("xaby"), S("ab")};
  PValue out;
  g_assert_true(b->fn(&env.ctx, args, 2, re, &out));
  g_assert_cmpint(out.u.b, ==, true);
  args[0] = S("xacy");
  g_assert_true(b->fn(&env.ctx, args, 2, re, &out));
  g_assert_cmpint(out.u.b, ==, false);
  pbuiltin_regex_free(re);
  pbuiltin_regex_free(NULL);
}

/* One compiled regex, shared read-only by several threads. */
typedef struct {
  void *re;
  int hits;
} RegexJob;

static gpointer regex_worker(gpointer data) {
  RegexJob *job = data;
  const PBuiltin *b = &pbuiltins[pbuiltin_find("matches")];
  PArena arena;
  pa_init(&arena, 0);
  PCallCtx ctx = {.arena = &arena};
  for (int i = 0; i < 2000; i++) {
    PValue args[2] = {i % 2 ? S("客户-42-上海") : S("no digits here"), S("客户-\\d+")};
    PValue out;
    if (b->fn(&ctx, args, 2, job->re, &out) && out.u.b) job->hits++;
  }
  pa_free(&arena);
  return NULL;
}

static void test_matches_threads(void) {
  char *err = NULL;
  void *re = pbuiltin_regex_compile("客户-\\d+", (uint32_t)strlen("客户-\\d+"), &err);
  g_assert_nonnull(re);
  RegexJob jobs[4];
  GThread *threads[4];
  for (int i = 0; i < 4; i++) {
    jobs[i] = (RegexJob){re, 0};
    threads[i] = g_thread_new("regex", regex_worker, &jobs[i]);
  }
  for (int i = 0; i < 4; i++) {
    g_thread_join(threads[i]);
    g_assert_cmpint(jobs[i].hits, ==, 1000);
  }
  pbuiltin_regex_free(re);
}

static void test_replace(void) {
  static const struct { const char *s, *from, *to, *out; } cases[] = {
    {"a,b,c", ",", ";", "a;b;c"},
    {"aaa", "aa", "b", "ba"},           /* non-overlapping, left to right */
    {"aaaa", "aa", "b", "bb"},
    {"abab", "aba", "X", "Xb"},
    {"abc", "", "x", "abc"},            /* empty `from`: unchanged */
    {"", "a", "b", ""},
    {"", "", "b", ""},
    {"abc", "abc", "", ""},
    {"a-b-c", "-", "", "abc"},          /* deletion */
    {"aaa", "a", "xyz", "xyzxyzxyz"},   /* growth */
    {"上海市上海", "上海", "SH", "SH市SH"},
    {"a b", " ", "　", "a　b"},
    {"no match", "zz", "y", "no match"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    PValue out;
    g_test_message("replace(%s, %s, %s)", cases[i].s, cases[i].from, cases[i].to);
    g_assert_true(CALL("replace", &out, pv_string(cases[i].s, (uint32_t)strlen(cases[i].s)),
                       pv_string(cases[i].from, (uint32_t)strlen(cases[i].from)),
                       pv_string(cases[i].to, (uint32_t)strlen(cases[i].to))));
    assert_str(out, cases[i].out, strlen(cases[i].out));
  }
  /* No occurrence: the argument itself comes back. */
  PValue in = S("unchanged"), out;
  g_assert_true(CALL("replace", &out, in, S("x"), S("y")));
  g_assert_true(out.u.s == in.u.s);
  g_assert_true(CALL("replace", &out, S("a"), S("a"), pv_string(NULL, 0)));
  ASSERT_STR(out, "");
}

static void test_split(void) {
  static const struct { const char *s, *sep; const char *parts[5]; uint32_t n; } cases[] = {
    {"a,b,c", ",", {"a", "b", "c"}, 3},
    {"a,,b", ",", {"a", "", "b"}, 3},          /* adjacent separators */
    {",a,", ",", {"", "a", ""}, 3},            /* at both ends */
    {"", ",", {""}, 1},                        /* one empty part */
    {"abc", ",", {"abc"}, 1},
    {",", ",", {"", ""}, 2},
    {"a::b::", "::", {"a", "b", ""}, 3},
    {"aaa", "aa", {"", "a"}, 2},               /* left to right, no overlap */
    {"上海，北京，深圳", "，", {"上海", "北京", "深圳"}, 3},
    {"x客y", "客", {"x", "y"}, 2},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    PValue out;
    PValue in = pv_string(cases[i].s, (uint32_t)strlen(cases[i].s));
    g_test_message("split(%s, %s)", cases[i].s, cases[i].sep);
    g_assert_true(CALL("split", &out, in, pv_string(cases[i].sep, (uint32_t)strlen(cases[i].sep))));
    g_assert_cmpint(out.kind, ==, PV_LIST);
    g_assert_cmpuint(out.len, ==, cases[i].n);
    for (uint32_t k = 0; k < out.len; k++) {
      assert_str(out.u.items[k], cases[i].parts[k], strlen(cases[i].parts[k]));
      /* Parts are slices of the input. */
      g_assert_true(out.u.items[k].u.s >= in.u.s &&
                    out.u.items[k].u.s + out.u.items[k].len <= in.u.s + in.len);
    }
  }
  CALL_ERR("split(): the separator is empty", "split", S("a,b"), S(""));
  CALL_ERR("split(): the separator is empty", "split", S(""), S(""));
}

/* ---- numbers ------------------------------------------------------------------------ */

static void test_abs(void) {
  g_assert_cmpint(INT("abs", pv_int(-5)), ==, 5);
  g_assert_cmpint(INT("abs", pv_int(0)), ==, 0);
  g_assert_cmpint(INT("abs", pv_int(INT64_MAX)), ==, INT64_MAX);
  g_assert_cmpint(INT("abs", pv_int(-INT64_MAX)), ==, INT64_MAX);
  CALL_ERR("abs(-9223372036854775808) overflows int", "abs", pv_int(INT64_MIN));
  g_assert_cmpfloat(NUM("abs", pv_number(-2.5)), ==, 2.5);
  g_assert_cmpfloat(NUM("abs", pv_number(1e308)), ==, 1e308);
  g_assert_false(signbit(NUM("abs", pv_number(-0.0))));
}

static void test_min_max(void) {
  g_assert_cmpint(INT("min", pv_int(3), pv_int(-1)), ==, -1);
  g_assert_cmpint(INT("max", pv_int(3), pv_int(-1)), ==, 3);
  g_assert_cmpint(INT("min", pv_int(5), pv_int(2), pv_int(9), pv_int(2), pv_int(7)), ==, 2);
  g_assert_cmpint(INT("max", pv_int(5), pv_int(2), pv_int(9), pv_int(2), pv_int(7)), ==, 9);
  g_assert_cmpint(INT("min", pv_int(INT64_MIN), pv_int(INT64_MAX)), ==, INT64_MIN);
  g_assert_cmpint(INT("max", pv_int(INT64_MIN), pv_int(INT64_MAX)), ==, INT64_MAX);
  g_assert_cmpfloat(NUM("min", pv_number(0.5), pv_number(0.25), pv_number(1)), ==, 0.25);
  g_assert_cmpfloat(NUM("max", pv_number(0.5), pv_number(0.25), pv_number(1)), ==, 1);
  g_assert_cmpfloat(NUM("max", pv_number(-1e308), pv_number(-1.5e308)), ==, -1e308);

  /* The number overload tolerates an int the caller did not widen. */
  const PBuiltin *b = &pbuiltins[pbuiltin_find("min") + 1];
  g_assert_cmpint(b->params[0], ==, PBT_NUMBER);
  PValue args[2] = {pv_int(2), pv_number(2.5)}, out;
  g_assert_true(b->fn(&env.ctx, args, 2, NULL, &out));
  g_assert_cmpfloat(out.u.n, ==, 2.0);
  g_assert_false(b->fn(&env.ctx, args, 1, NULL, &out));
  g_assert_cmpstr(env.ctx.error, ==, "min() needs at least 2 arguments");
}

static void test_round(void) {
  static const struct { double x, round, floor, ceil; } cases[] = {
    {2.5, 3, 2, 3},
    {-2.5, -3, -3, -2},   /* halves away from zero */
    {0.5, 1, 0, 1},
    {1.4999999999999998, 1, 1, 2},
    {0.49999999999999994, 0, 0, 1},
    {-1.5, -2, -2, -1},
    {7, 7, 7, 7},
    {1e300, 1e300, 1e300, 1e300},
    {4503599627370497.0, 4503599627370497.0, 4503599627370497.0, 4503599627370497.0},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_test_message("x = %.17g", cases[i].x);
    g_assert_cmpfloat(NUM("round", pv_number(cases[i].x)), ==, cases[i].round);
    g_assert_cmpfloat(NUM("floor", pv_number(cases[i].x)), ==, cases[i].floor);
    g_assert_cmpfloat(NUM("ceil", pv_number(cases[i].x)), ==, cases[i].ceil);
  }
  /* No negative zero: it would print as "-0". */
  g_assert_false(signbit(NUM("round", pv_number(-0.4))));
  g_assert_false(signbit(NUM("ceil", pv_number(-0.5))));
  g_assert_false(signbit(NUM("floor", pv_number(-0.0))));
  /* int overloads keep ints. */
  g_assert_cmpint(INT("round", pv_int(INT64_MAX)), ==, INT64_MAX);
  g_assert_cmpint(INT("floor", pv_int(-7)), ==, -7);
  g_assert_cmpint(INT("ceil", pv_int(INT64_MIN)), ==, INT64_MIN);
}

static void test_round_digits(void) {
  static const struct { double x; int64_t d; double expect; } cases[] = {
    {3.14159, 2, 3.14},
    {3.14159, 0, 3},
    {2.5, 0, 3},
    {-2.25, 1, -2.3},       /* -22.5 rounds away from zero */
    {0.125, 2, 0.13},
    {1.005, 2, 1.0},        /* 1.005 is stored as 1.00499999999999989… */
    {1234.5, -2, 1200},
    {1250, -2, 1300},
    {-1250, -2, -1300},
    {0.1 + 0.2, 15, 0.3},
    {123456789.123456789, 15, 123456789.123456789},  /* no digits that far: unchanged */
    {1e300, 15, 1e300},
    {1e300, -15, 1e300},
    {5e14, -15, 1e15},
    {4e14, -15, 0},
    {1.7976931348623157e308, -15, 1.7976931348623157e308},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_test_message("round(%.17g, %" G_GINT64_FORMAT ")", cases[i].x, cases[i].d);
    g_assert_cmpfloat(NUM("round", pv_number(cases[i].x), pv_int(cases[i].d)), ==, cases[i].expect);
  }
  g_assert_false(signbit(NUM("round", pv_number(-0.001), pv_int(2))));
  CALL_ERR("round(): digits must be between -15 and 15 (got 16)", "round", pv_number(1), pv_int(16));
  CALL_ERR("round(): digits must be between -15 and 15 (got -16)", "round", pv_number(1), pv_int(-16));
  CALL_ERR("round(): digits must be between -15 and 15 (got -9223372036854775808)", "round",
           pv_number(1), pv_int(INT64_MIN));
}

static void test_sqrt_log_exp(void) {
  g_assert_cmpfloat(NUM("sqrt", pv_number(4)), ==, 2);
  g_assert_cmpfloat(NUM("sqrt", pv_number(0)), ==, 0);
  g_assert_cmpfloat(NUM("sqrt", pv_number(2)), ==, sqrt(2.0));
  CALL_ERR("sqrt of a negative number (-4)", "sqrt", pv_number(-4));
  CALL_ERR("sqrt of a negative number (-1)", "sqrt", pv_number(-1));
  CALL_ERR("sqrt of a negative number (-0.1)", "sqrt", pv_number(-0.1));
  CALL_ERR("sqrt of a negative number (-1e-300)", "sqrt", pv_number(-1e-300));

  g_assert_cmpfloat(NUM("log", pv_number(1)), ==, 0);
  g_assert_cmpfloat_with_epsilon(NUM("log", pv_number(10)), 2.302585092994046, 1e-15);
  g_assert_cmpfloat(NUM("log", pv_number(1e-300)), <, -690);
  CALL_ERR("log of a number that is not positive (0)", "log", pv_number(0));
  CALL_ERR("log of a number that is not positive (0)", "log", pv_number(-0.0));
  CALL_ERR("log of a number that is not positive (-2.5)", "log", pv_number(-2.5));

  g_assert_cmpfloat(NUM("exp", pv_number(0)), ==, 1);
  g_assert_cmpfloat(NUM("exp", pv_number(-1000)), ==, 0);
  g_assert_cmpfloat(NUM("exp", pv_number(709)), >, 8e307);
  CALL_ERR("exp(1000) is too large for a number", "exp", pv_number(1000));
  CALL_ERR("exp(710) is too large for a number", "exp", pv_number(710));
}

static void test_pow(void) {
  g_assert_cmpfloat(NUM("pow", pv_number(2), pv_number(10)), ==, 1024);
  g_assert_cmpfloat(NUM("pow", pv_number(-8), pv_number(3)), ==, -512);
  g_assert_cmpfloat(NUM("pow", pv_number(0), pv_number(0)), ==, 1);
  g_assert_cmpfloat(NUM("pow", pv_number(4), pv_number(0.5)), ==, 2);
  g_assert_cmpfloat(NUM("pow", pv_number(10), pv_number(-400)), ==, 0);
  CALL_ERR("pow(10, 400) is too large for a number", "pow", pv_number(10), pv_number(400));
  CALL_ERR("pow(1e+200, 2) is too large for a number", "pow", pv_number(1e200), pv_number(2));
  CALL_ERR("pow(-8, 0.5) is not a real number", "pow", pv_number(-8), pv_number(0.5));
  CALL_ERR("pow(0, -1) divides by zero", "pow", pv_number(0), pv_number(-1));
  CALL_ERR("pow(0, -0.5) divides by zero", "pow", pv_number(-0.0), pv_number(-0.5));
}

static void test_clamp(void) {
  g_assert_cmpint(INT("clamp", pv_int(5), pv_int(1), pv_int(3)), ==, 3);
  g_assert_cmpint(INT("clamp", pv_int(0), pv_int(1), pv_int(3)), ==, 1);
  g_assert_cmpint(INT("clamp", pv_int(2), pv_int(1), pv_int(3)), ==, 2);
  g_assert_cmpint(INT("clamp", pv_int(2), pv_int(2), pv_int(2)), ==, 2);
  g_assert_cmpint(INT("clamp", pv_int(INT64_MIN), pv_int(INT64_MIN), pv_int(INT64_MAX)), ==, INT64_MIN);
  CALL_ERR("clamp(): lower bound 3 is greater than upper bound 1", "clamp", pv_int(2), pv_int(3), pv_int(1));
  g_assert_cmpfloat(NUM("clamp", pv_number(1.5), pv_number(0), pv_number(1)), ==, 1);
  g_assert_cmpfloat(NUM("clamp", pv_number(-0.5), pv_number(0), pv_number(1)), ==, 0);
  g_assert_cmpfloat(NUM("clamp", pv_number(0.75), pv_number(0), pv_number(1)), ==, 0.75);
  CALL_ERR("clamp(): lower bound 0.5 is greater than upper bound 0.25", "clamp",
           pv_number(0), pv_number(0.5), pv_number(0.25));
}

static void test_sigmoid(void) {
  g_assert_cmpfloat(NUM("sigmoid", pv_number(0)), ==, 0.5);
  g_assert_cmpfloat_with_epsilon(NUM("sigmoid", pv_number(2)), 0.8807970779778823, 1e-15);
  g_assert_cmpfloat_with_epsilon(NUM("sigmoid", pv_number(-2)), 1 - 0.8807970779778823, 1e-15);
  /* Stable at the extremes: no overflow, no NaN, still in [0, 1]. */
  g_assert_cmpfloat(NUM("sigmoid", pv_number(1000)), ==, 1);
  g_assert_cmpfloat(NUM("sigmoid", pv_number(-1000)), ==, 0);
  g_assert_cmpfloat(NUM("sigmoid", pv_number(1.7976931348623157e308)), ==, 1);
  g_assert_cmpfloat(NUM("sigmoid", pv_number(-1.7976931348623157e308)), ==, 0);
  double tiny = NUM("sigmoid", pv_number(-700));
  g_assert_cmpfloat(tiny, >, 0);
  g_assert_cmpfloat(tiny, <, 1e-300);
}

/* ---- time ------------------------------------------------------------------------------ */

enum { JAN1_2026 = 1767225600 }; /* 2026-01-01T00:00:00Z, a Thursday */

static void test_between(void) {
  PValue a = SEC(JAN1_2026), b = SEC(JAN1_2026 + 36 * 3600);
  g_assert_cmpfloat(NUM("days_between", a, b), ==, 1.5);
  g_assert_cmpfloat(NUM("days_between", b, a), ==, -1.5);
  g_assert_cmpfloat(NUM("days_between", a, a), ==, 0);
  g_assert_cmpfloat(NUM("hours_between", a, b), ==, 36);
  g_assert_cmpfloat(NUM("hours_between", b, a), ==, -36);
  g_assert_cmpfloat(NUM("hours_between", a, pv_time(a.u.i + 1)), ==, 1.0 / 3600e6);
  /* 86400 s per day, whatever the calendar says. */
  g_assert_cmpfloat(NUM("days_between", SEC(0), SEC(JAN1_2026)), ==, 20454);
  /* The difference overflows int64: still a finite number. */
  double d = NUM("days_between", pv_time(INT64_MIN), pv_time(INT64_MAX));
  g_assert_cmpfloat_with_epsilon(d, 2.0 * 9223372036854775807.0 / 86400e6, 1);
}

static void test_date(void) {
  PValue out;
  g_assert_true(CALL("date", &out, S("2026-01-28T10:00:00+08:00")));
  g_assert_cmpint(out.kind, ==, PV_TIME);
  g_assert_cmpint(out.u.i, ==, INT64_C(1769565600) * PV_USEC_PER_SEC);
  g_assert_true(CALL("date", &out, S("2026-01-01")));
  g_assert_cmpint(out.u.i, ==, (int64_t)JAN1_2026 * PV_USEC_PER_SEC);
  g_assert_true(CALL("date", &out, S("2026-01-01T00:00:00.5Z")));
  g_assert_cmpint(out.u.i, ==, (int64_t)JAN1_2026 * PV_USEC_PER_SEC + 500000);

  CALL_ERR("date(): cannot read \"xyz\" as a time", "date", S("xyz"));
  CALL_ERR("date(): cannot read \"\" as a time", "date", S(""));
  CALL_ERR("date(): cannot read \"2026-02-30\" as a time", "date", S("2026-02-30"));
  CALL_ERR("date(): cannot read \"say \\\"hi\\\"\\u000a\" as a time", "date", S("say \"hi\"\n"));
  /* Long text is cut, at a character boundary, with an ellipsis. */
  CALL_ERR("date(): cannot read \"一二三四五六七八九十一二三四五六七八九十…\" as a time", "date",
           S("一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十"));
  CALL_ERR("date(): cannot read \"" "x一二三四五六七八九十一二三四五六七八九…\" as a time", "date",
           S("x一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十"));
}

static void test_weekday_hour(void) {
  static const struct { int64_t sec; int64_t weekday, hour; } cases[] = {
    {0, 4, 0},                        /* 1970-01-01, Thursday */
    {JAN1_2026, 4, 0},
    {1769385600, 1, 0},               /* 2026-01-26, Monday */
    {1769947200, 7, 12},              /* 2026-02-01 12:00, Sunday */
    /* Sunday 23:30 UTC is Monday 07:30 in Shanghai: UTC wins. */
    {1769383800, 7, 23},
    {-1, 3, 23},                      /* 1969-12-31T23:59:59Z, Wednesday */
    {-86400, 3, 0},
    {-86401, 2, 23},
    {-62135596800, 1, 0},             /* 0001-01-01, a Monday (proleptic) */
    {253402300799, 5, 23},            /* 9999-12-31T23:59:59Z, Friday */
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_test_message("t = %" G_GINT64_FORMAT, cases[i].sec);
    g_assert_cmpint(INT("weekday", SEC(cases[i].sec)), ==, cases[i].weekday);
    g_assert_cmpint(INT("hour", SEC(cases[i].sec)), ==, cases[i].hour);
  }
  g_assert_cmpint(INT("hour", pv_time(-1)), ==, 23);
  g_assert_cmpint(INT("weekday", pv_time(-1)), ==, 3);
  /* Extreme instants do not overflow. */
  int64_t w = INT("weekday", pv_time(INT64_MIN));
  g_assert_cmpint(w, >=, 1);
  g_assert_cmpint(w, <=, 7);
  int64_t h = INT("hour", pv_time(INT64_MAX));
  g_assert_cmpint(h, >=, 0);
  g_assert_cmpint(h, <=, 23);
}

/* ---- memory ------------------------------------------------------------------------------ */

static void test_out_of_memory(void) {
  PArena small;
  pa_init(&small, 64 * 1024);
  PArena *saved = env.ctx.arena;
  env.ctx.arena = &small;
  /* Fill the arena so that the next allocation fails. */
  while (pa_alloc(&small, 4096)) {}
  CALL_ERR("out of memory for this record", "lower", S("ABC"));
  CALL_ERR("out of memory for this record", "upper", S("straße"));
  CALL_ERR("out of memory for this record", "replace", S("abc"), S("b"), S("x"));
  CALL_ERR("out of memory for this record", "split", S("a,b"), S(","));
  /* Functions that need no memory still work. */
  PValue out;
  g_assert_true(CALL("trim", &out, S(" a ")));
  ASSERT_STR(out, "a");
  env.ctx.arena = saved;
  pa_free(&small);
}

/* ---- pii: hidden arguments, mask, pseudonym ------------------------------------- */

/* With argument k marked pii, every message writes "(pii)" for it and
 * still shows the arguments that are not. */
static void test_hidden_args(void) {
  env.ctx.hide_args = 1;
  CALL_ERR("sqrt of a negative number (pii)", "sqrt", pv_number(-12345.678));
  CALL_ERR("log of a number that is not positive (pii)", "log", pv_number(-5));
  CALL_ERR("exp((pii)) is too large for a number", "exp", pv_number(1000));
  CALL_ERR("pow((pii), 400) is too large for a number", "pow", pv_number(10), pv_number(400));
  CALL_ERR("abs((pii)) overflows int", "abs", pv_int(INT64_MIN));
  CALL_ERR("round((pii), -6) is too large for a number", "round", pv_number(DBL_MAX), pv_int(-6));
  CALL_ERR("date(): cannot read (pii) as a time", "date", S("555-0100"));
  CALL_ERR("clamp(): lower bound 3 is greater than upper bound 1", "clamp", pv_int(2), pv_int(3), pv_int(1));
  env.ctx.hide_args = 2;
  CALL_ERR("pow(10, (pii)) is too large for a number", "pow", pv_number(10), pv_number(400));
  CALL_ERR("pow(0, (pii)) divides by zero", "pow", pv_number(0), pv_number(-1));
  CALL_ERR("round(): digits must be between -15 and 15 (got (pii))", "round", pv_number(1), pv_int(-16));
  CALL_ERR("clamp(): lower bound (pii) is greater than upper bound 1", "clamp", pv_int(2), pv_int(3), pv_int(1));
  env.ctx.hide_args = 4;
  CALL_ERR("clamp(): lower bound 3 is greater than upper bound (pii)", "clamp", pv_number(2), pv_number(3),
           pv_number(1.5));
  env.ctx.hide_args = 6;
  CALL_ERR("mask(): the characters to keep must be 0 or more (got (pii) and (pii))", "mask", S("x"),
           pv_int(-1), pv_int(2));
  env.ctx.hide_args = 0;
}

static void test_mask(void) {
  PValue out;
  g_assert_true(CALL("mask", &out, S("13812345678"), pv_int(3), pv_int(4)));
  ASSERT_STR(out, "138****5678");
  g_assert_true(CALL("mask", &out, S("13812345678"), pv_int(0), pv_int(0)));
  ASSERT_STR(out, "***********");
  g_assert_true(CALL("mask", &out, S("alice@example.com"), pv_int(1), pv_int(12)));
  ASSERT_STR(out, "a****@example.com");
  /* Characters, not bytes: a multi-byte character becomes one '*'. */
  g_assert_true(CALL("mask", &out, S("张三丰先生"), pv_int(1), pv_int(1)));
  ASSERT_STR(out, "张***生");
  /* Keeping as much as the text or more masks all of it: never the input. */
  g_assert_true(CALL("mask", &out, S("1234"), pv_int(2), pv_int(2)));
  ASSERT_STR(out, "****");
  g_assert_true(CALL("mask", &out, S("1234"), pv_int(INT64_MAX), pv_int(INT64_MAX)));
  ASSERT_STR(out, "****");
  g_assert_true(CALL("mask", &out, S(""), pv_int(1), pv_int(1)));
  ASSERT_STR(out, "");
  CALL_ERR("mask(): the characters to keep must be 0 or more (got -1 and 2)", "mask", S("x"), pv_int(-1),
           pv_int(2));
}

/* HMAC-SHA-256 with the key "key" (set in main, before the first call):
 * the published example value for this message. */
static void test_pseudonym(void) {
  PValue out;
  g_assert_true(CALL("pseudonym", &out, S("The quick brown fox jumps over the lazy dog")));
  ASSERT_STR(out, "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
  g_assert_true(CALL("pseudonym", &out, S("")));
  ASSERT_STR(out, "5d5d139563c95b5967b9bd9a8c9b233a9dedb45072794cd232dc1b74832607d0");
}

int main(int argc, char **argv) {
  g_setenv(PBUILTIN_PSEUDONYM_KEY_ENV, "key", TRUE);
  /* Calendar functions must be UTC whatever the process time zone. */
  g_setenv("TZ", "Asia/Shanghai", TRUE);
  tzset();
  g_test_init(&argc, &argv, NULL);
  env_setup();
  g_test_add_func("/stdlib/builtins/table", test_table);
  g_test_add_func("/stdlib/builtins/table-names", test_table_names);
  g_test_add_func("/stdlib/builtins/len", test_len);
  g_test_add_func("/stdlib/builtins/lower-upper", test_case);
  g_test_add_func("/stdlib/builtins/lower-upper-edges", test_case_edges);
  g_test_add_func("/stdlib/builtins/lower-upper-locale", test_case_locale);
  g_test_add_func("/stdlib/builtins/trim", test_trim);
  g_test_add_func("/stdlib/builtins/contains-starts-ends", test_search);
  g_test_add_func("/stdlib/builtins/matches", test_matches);
  g_test_add_func("/stdlib/builtins/matches-backtracking", test_matches_backtracking);
  g_test_add_func("/stdlib/builtins/matches-charges", test_matches_charges);
  g_test_add_func("/stdlib/builtins/matches-no-aux", test_matches_no_aux);
  g_test_add_func("/stdlib/builtins/regex-compile-errors", test_regex_compile_errors);
  g_test_add_func("/stdlib/builtins/matches-threads", test_matches_threads);
  g_test_add_func("/stdlib/builtins/replace", test_replace);
  g_test_add_func("/stdlib/builtins/split", test_split);
  g_test_add_func("/stdlib/builtins/abs", test_abs);
  g_test_add_func("/stdlib/builtins/min-max", test_min_max);
  g_test_add_func("/stdlib/builtins/round-floor-ceil", test_round);
  g_test_add_func("/stdlib/builtins/round-digits", test_round_digits);
  g_test_add_func("/stdlib/builtins/sqrt-log-exp", test_sqrt_log_exp);
  g_test_add_func("/stdlib/builtins/pow", test_pow);
  g_test_add_func("/stdlib/builtins/clamp", test_clamp);
  g_test_add_func("/stdlib/builtins/sigmoid", test_sigmoid);
  g_test_add_func("/stdlib/builtins/days-hours-between", test_between);
  g_test_add_func("/stdlib/builtins/date", test_date);
  g_test_add_func("/stdlib/builtins/weekday-hour", test_weekday_hour);
  g_test_add_func("/stdlib/builtins/out-of-memory", test_out_of_memory);
  g_test_add_func("/stdlib/builtins/hidden-args", test_hidden_args);
  g_test_add_func("/stdlib/builtins/mask", test_mask);
  g_test_add_func("/stdlib/builtins/pseudonym", test_pseudonym);
  int rc = g_test_run();
  pa_free(&env.arena);
  return rc;
}
