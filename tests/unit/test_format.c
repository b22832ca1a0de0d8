/* test_format.c - `persona fmt` (compiler/format.h): the layout of every
 * construct pinned as input -> output, comments and blank lines kept,
 * idempotency and "same tree, same bytecode" over every model in
 * examples/ and tests/, and over truncated variants of them. */
#include "compiler/format.h"
#include "grammar/parse.h"
#include "persona.h"

#include <string.h>

/* Formats `text`; NULL on syntax errors (their count in *errors). */
static char *fmt_len(const char *name, const char *text, gsize len, guint *errors) {
  g_autoptr(PSourceSet) src = psrc_new();
  uint32_t f = psrc_add(src, name, NULL, text, len);
  g_autoptr(PDiagList) diags = pdiag_new();
  char *out = pfmt_file(src, f, diags, NULL);
  if (errors) *errors = diags->n_errors;
  return out;
}

static char *fmt(const char *text) {
  return fmt_len("t.persona", text, strlen(text), NULL);
}

typedef struct {
  const char *src;
  const char *want;
} Case;

/* Each case formats to `want`, and `want` is a fixed point. */
static void run_cases(const Case *cases, gsize n) {
  for (gsize i = 0; i < n; i++) {
    g_test_message("case %zu:\n%s", i, cases[i].src);
    g_autofree char *got = fmt(cases[i].src);
    g_assert_cmpstr(got, ==, cases[i].want);
    g_autofree char *again = fmt(got);
    g_assert_cmpstr(again, ==, cases[i].want);
  }
}

static void test_decls(void) {
  static const Case cases[] = {
      {"model   m   version  \"1\"\nimport   \"lib/x.persona\"\n",
       "model m version \"1\"\nimport \"lib/x.persona\"\n"},
      {"record ev { type: string, at: time , n: int = 0 pii key }\n",
       "record ev {\n  type: string\n  at: time\n  n: int = 0 key pii\n}\n"},
      {"schema {\n\n  id: string key\n  events: list<ev>? = []\n\n}\nrecord e {}\n",
       "schema {\n  id: string key\n  events: list<ev>? = []\n}\nrecord e {}\n"},
      {"extern fn f(a:int,b:list<int>?)->number from \"lib.so\"\n",
       "extern fn f(a: int, b: list<int>?) -> number from \"lib.so\"\n"},
      /* consts and lets line up their `=` within a run of one kind */
      {"const a = 1\nconst long_name = 2\nlet x = a\nlet yy = 1\n",
       "const a         = 1\nconst long_name = 2\nlet x  = a\nlet yy = 1\n"},
      /* a blank line or a comment line ends a run */
      {"const a = 1\n\nconst long_name = 2\n# c\nconst b = 3\n",
       "const a = 1\n\nconst long_name = 2\n# c\nconst b = 3\n"},
      /* tags: label and `when` columns; a missing label leaves its cell
       * empty; wide characters count twice */
      {"tag enterprise \"大型企业\" when e\ntag x when y\ntag long_one \"ab\" when z\n",
       "tag enterprise \"大型企业\" when e\n"
       "tag x                     when y\n"
       "tag long_one   \"ab\"       when z\n"},
      {"tag a when x\ntag bb when y\n", "tag a  when x\ntag bb when y\n"},
      /* one much wider cell stays out of the alignment */
      {"tag a \"x\" when p\ntag b \"yy\" when q\ntag c \"a very very very long label\" when r\n",
       "tag a \"x\"  when p\ntag b \"yy\" when q\n"
       "tag c \"a very very very long label\" when r\n"},
  };
  run_cases(cases, G_N_ELEMENTS(cases));
}

static void test_comments(void) {
  static const Case cases[] = {
      /* blank lines: at most one, none at the start or the end */
      {"\n\n# head\n\n\n\nmodel m version \"1\"\n\n\n", "# head\n\nmodel m version \"1\"\n"},
      /* trailing comments line up; a comment line ends the run */
      {"const a = 1   # one\nconst bbbb = 22 # two\n# own\ntag t when a # three\n",
       "const a    = 1   # one\nconst bbbb = 22  # two\n# own\ntag t when a  # three\n"},
      /* inside blocks: own-line comments indented, trailing kept; before
       * the closing brace; after it */
      {"schema {  # open\n  # first\n  id: string key # k\n\n  # last\n}  # close\n",
       "schema {  # open\n  # first\n  id: string key  # k\n\n  # last\n}  # close\n"},
      /* a comment where no break is kept moves to the end of the line */
      {"tag y # weird\n  when x\n", "tag y when x  # weird\n"},
      /* comments at kept breaks */
      {"let x = a +   # first\n  # own\n  b\n",
       "let x = a +  # first\n        # own\n        b\n"},
      /* only comments */
      {"# a\n\n\n# b\n", "# a\n\n# b\n"},
      {"", ""},
      {"\n\n", ""},
      /* trailing blanks and CR removed from comment text */
      {"# a  \t\r\nconst x = 1\r\n", "# a\nconst x = 1\n"},
  };
  run_cases(cases, G_N_ELEMENTS(cases));
}

/* `let x = SRC` formats to `let x = WANT`. */
static void test_expressions(void) {
  static const Case cases[] = {
      {"a+b*c", "a + b * c"},
      {"(a+b)*c", "(a + b) * c"},
      {"((a))", "(a)"},
      {"a-(b-c)", "a - (b - c)"},
      {"a - -1", "a - -1"},
      {"-(-a)", "-(-a)"},
      {"not a==b", "not a == b"},
      {"(not a)==b", "(not a) == b"},
      {"a ?? b ?? c", "a ?? b ?? c"},
      {"a or b and c", "a or b and c"},
      {"a in [1,2,]", "a in [1, 2]"},
      {"f( a ,b )", "f(a, b)"},
      {"f()", "f()"},
      {"r . a . b", "r.a.b"},
      {"(a + b).c", "(a + b).c"},
      {"x.at", "x.at"},
      {"any t in l : t == 1", "any t in l: t == 1"},
      {"(any t in l: t) and b", "(any t in l: t) and b"},
      {"b and any t in l: t", "b and any t in l: t"},
      {"count( events where type==\"v\" within 7d )", "count(events where type == \"v\" within 7d)"},
      {"max(at of events where a since t)", "max(at of events where a since t)"},
      {"sum(amount of events)", "sum(amount of events)"},
      {"7 % 3 + 7%", "7 % 3 + 7%"},
      /* literals as written */
      {"1e3 + 0.50 + 2.5e-3 + 007 + 12.5% + 30s + 2w", "1e3 + 0.50 + 2.5e-3 + 007 + 12.5% + 30s + 2w"},
      /* strings re-escaped canonically */
      {"\"a\\u{4E0A}\\u4E0A\\/\\\"\\\\\"", "\"a上上/\\\"\\\\\""},
      {"\"\\u0001\\t\\n\\r\\b\\f\\uD83D\\uDE00\"", "\"\\u{1}\\t\\n\\r\\b\\f😀\""},
      {"\"\\u{200B}\\u{202E}\\u{7F}\"", "\"\\u{200B}\\u{202E}\\u{7F}\""},
      /* records: keys bare when they are words */
      {"{ \"type\": 1, \"a b\": [], at: {} }", "{type: 1, \"a b\": [], at: {}}"},
      {"{}", "{}"},
      {"[]", "[]"},
      {"true and false or null == x", "true and false or null == x"},
      /* breaks: kept after an operator (moved there from before one) */
      {"a +\n b", "a +\n        b"},
      {"a\n and b\n and c", "a and\n        b and\n        c"},
      {"f(a and\n b)", "f(a and\n          b)"},
      {"a or (b and\n c)", "a or (b and\n              c)"},
      /* other breaks are removed */
      {"f(\na)", "f(\n  a,\n)"},
      {"[a,\n b, c,\n d]", "[a,\n         b, c,\n         d]"},
      {"[\n a, b,\n c\n]", "[\n  a, b,\n  c,\n]"},
      {"{k: 1,\n  \"j\": [1,\n 2]}", "{k: 1,\n         j: [1,\n             2]}"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *src = g_strdup_printf("let x = %s\n", cases[i].src);
    g_autofree char *want = g_strdup_printf("let x = %s\n", cases[i].want);
    g_test_message("case %zu: %s", i, src);
    g_autofree char *got = fmt(src);
    g_assert_cmpstr(got, ==, want);
    g_autofree char *again = fmt(got);
    g_assert_cmpstr(again, ==, want);
  }
}

static void test_scores_lifecycles(void) {
  static const Case cases[] = {
      {"score fit max 100 decay 7d {\n+30 when a # big\n  -5 when b cap 3\n"
       "  +(a*2) per events where x within 7d cap 50%\n  +0.50 when x\n}\n",
       "score fit max 100 decay 7d {\n"
       "  +30      when a  # big\n"
       "  -5       when b cap 3\n"
       "  +(a * 2) per events where x within 7d cap 50%\n"
       "  +0.50    when x\n"
       "}\n"},
      /* a rule's weight in parentheses that is much wider stays out */
      {"score s {\n  +30 when a\n  +5 when b\n  +(2 * campaigns_clicked) when c\n}\n",
       "score s {\n  +30 when a\n  +5  when b\n  +(2 * campaigns_clicked) when c\n}\n"},
      /* one rule on one line stays so; an empty score is {} */
      {"score s {+1 per events}\nscore e {}\n", "score s { +1 per events }\nscore e {}\n"},
      {"score s { +1 per events\n}\n", "score s {\n  +1 per events\n}\n"},
      {"score t = a + b\nscore total min 0 = t\n", "score t           = a + b\nscore total min 0 = t\n"},
      /* a rule's condition broken after an operator: the next line starts
       * with the operand, never with a binary + or - */
      {"score s {\n  +1 when a\n    + b > 2\n}\n", NULL},
      {"score s {\n  +1 when a +\n    b > 2\n  -2 when c\n}\n",
       "score s {\n  +1 when a +\n          b > 2\n  -2 when c\n}\n"},
      {"lifecycle f {\n# c\ninitial lead\nlead->mql when x\nany -> churned when y # gone\n}\n",
       "lifecycle f {\n  # c\n  initial lead\n  lead -> mql     when x\n  any  -> churned when y  # gone\n}\n"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_test_message("case %zu:\n%s", i, cases[i].src);
    guint errors = 0;
    g_autofree char *got = fmt_len("t.persona", cases[i].src, strlen(cases[i].src), &errors);
    if (!cases[i].want) { /* a syntax error: not formatted */
      g_assert_null(got);
      g_assert_cmpuint(errors, >, 0);
      continue;
    }
    g_assert_cmpstr(got, ==, cases[i].want);
    g_autofree char *again = fmt(got);
    g_assert_cmpstr(again, ==, cases[i].want);
  }
}

static void test_journeys(void) {
  static const Case cases[] = {
      {"journey j {\n  exit when x   # first\n  enter on f -> \"lead\"\n  reenter after 90d\n\n"
       "  send email \"a\"\n  @lbl wait 3d\n"
       "  if a { send email \"b\" } else if b {\n    task q \"t\"\n  } else {\n    # only\n  }\n"
       "  if c {\n  } else { if d { wait 1d } }\n"
       "  split {\n    50%: send email \"x\"\n    50%: {\n      wait 1d\n    }\n  }\n"
       "  {\n    notify slack \"z\"\n  }\n  @w wait until x and\n    y for 2w\n  webhook \"w\"\n}\n",
       "journey j {\n"
       "  exit when x  # first\n"
       "  enter on f -> \"lead\"\n"
       "  reenter after 90d\n"
       "\n"
       "  send email \"a\"\n"
       "  @lbl wait 3d\n"
       "  if a {\n    send email \"b\"\n  } else if b {\n    task q \"t\"\n  } else {\n    # only\n  }\n"
       "  if c {} else {\n    if d {\n      wait 1d\n    }\n  }\n"
       "  split {\n    50%: send email \"x\"\n    50%: {\n      wait 1d\n    }\n  }\n"
       "  {\n    notify slack \"z\"\n  }\n"
       "  @w wait until x and\n                y for 2w\n"
       "  webhook \"w\"\n"
       "}\n"},
      {"journey j { reenter never }\njourney k {}\n",
       "journey j {\n  reenter never\n}\njourney k {}\n"},
      /* comments around else */
      {"journey j {\n  if a {\n    send email \"x\"\n    # end of then\n  } else {\n    wait 1d\n  }\n}\n",
       "journey j {\n  if a {\n    send email \"x\"\n    # end of then\n  } else {\n    wait 1d\n  }\n}\n"},
  };
  run_cases(cases, G_N_ELEMENTS(cases));
}

static void test_tests(void) {
  static const Case cases[] = {
      {"test \"t\" {\n  profile {id: \"a\", n: 1,\n    events: [{type: \"v\", at: \"2026\"},\n"
       "      {type: \"w\", at: \"2027\"}]}\n  at \"2026-01-01\"   # c\n  expect x\n"
       "  expect action send email \"x\" at \"2026-01-02\"\n  expect action webhook \"y\"\n"
       "  at \"2026-01-02\"\n  expect no action\n}\n",
       "test \"t\" {\n"
       "  profile {id: \"a\", n: 1,\n"
       "           events: [{type: \"v\", at: \"2026\"},\n"
       "                    {type: \"w\", at: \"2027\"}]}\n"
       "  at \"2026-01-01\"  # c\n"
       "  expect x\n"
       "  expect action send email \"x\" at \"2026-01-02\"\n"
       "  expect action webhook \"y\"\n"
       "  at \"2026-01-02\"\n"
       "  expect no action\n"
       "}\n"},
      /* `at` as a name starting a continuation line stays a name */
      {"test \"t\" {\n  expect x ==\n  at\n  at \"T\"\n}\n",
       "test \"t\" {\n  expect x ==\n         at\n  at \"T\"\n}\n"},
      {"test \"t\" {}\n", "test \"t\" {}\n"},
  };
  run_cases(cases, G_N_ELEMENTS(cases));
}

/* A file with syntax errors is not formatted. */
static void test_syntax_errors(void) {
  static const char *bad[] = {
      "tag x when (a\n",
      "score s {\n  +1 when 1.5d\n}\n",
      "tag x when \"\\q\"\n",
      "tag x \xff when y\n",
      "record r { a: int key key }\n",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    guint errors = 0;
    g_autofree char *out = fmt_len("t.persona", bad[i], strlen(bad[i]), &errors);
    g_assert_null(out);
    g_assert_cmpuint(errors, >, 0);
  }
}

/* ---- every model of the repository ---------------------------------------------- */

static void collect(const char *dir, GPtrArray *out) {
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  if (!d) return;
  const char *name;
  while ((name = g_dir_read_name(d))) {
    g_autofree char *path = g_build_filename(dir, name, NULL);
    if (g_file_test(path, G_FILE_TEST_IS_DIR))
      collect(path, out);
    else if (g_str_has_suffix(name, ".persona"))
      g_ptr_array_add(out, g_steal_pointer(&path));
  }
}

static GPtrArray *repository_models(void) {
  GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
  collect(PERSONA_SOURCE_DIR "/examples", files);
  collect(PERSONA_SOURCE_DIR "/tests", files);
  return files;
}

static bool parses(const char *name, const char *text, gsize len) {
  g_autoptr(PSourceSet) src = psrc_new();
  uint32_t f = psrc_add(src, name, NULL, text, len);
  g_autoptr(PDiagList) diags = pdiag_new();
  g_autoptr(PAst) ast = past_new();
  pparse_file(ast, src, f, diags);
  return diags->n_errors == 0;
}

/* The listing without its `@file:line:col` suffixes: the instructions and
 * constants only. */
static char *strip_locations(const char *listing) {
  GString *out = g_string_new(NULL);
  for (const char *p = listing; *p;) {
    const char *nl = strchr(p, '\n');
    gsize n = nl ? (gsize)(nl - p) : strlen(p);
    const char *at = g_strrstr_len(p, (gssize)n, "\t@");
    g_string_append_len(out, p, (gssize)(at ? (gsize)(at - p) : n));
    g_string_append_c(out, '\n');
    p += n + (nl ? 1 : 0);
  }
  return g_string_free(out, FALSE);
}

/* The bytecode listing of a model compiled from `text` (named `path`, so
 * that its imports resolve), or NULL when it does not compile. */
static char *listing(const char *path, const char *text, gsize len) {
  g_autoptr(PersonaDiagnostics) diags = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaModel) m = persona_compile_source(path, text, len, NULL, &diags, &error);
  if (!m) return NULL;
  g_autofree char *dis = persona_model_disasm(m);
  return strip_locations(dis);
}

static void test_repository_models(void) {
  g_autoptr(GPtrArray) files = repository_models();
  guint formatted = 0, compiled = 0;
  for (guint i = 0; i < files->len; i++) {
    const char *path = g_ptr_array_index(files, i);
    g_autofree char *text = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(path, &text, &len, NULL));
    if (!parses(path, text, len)) {
      g_test_message("skipped (does not parse): %s", path);
      continue;
    }
    g_test_message("%s", path);
    g_autofree char *once = fmt_len(path, text, len, NULL);
    g_assert_nonnull(once);
    g_autofree char *twice = fmt_len(path, once, strlen(once), NULL);
    g_assert_cmpstr(twice, ==, once);
    formatted++;

    g_autofree char *before = listing(path, text, len);
    g_autofree char *after = listing(path, once, strlen(once));
    g_assert_cmpint(before != NULL, ==, after != NULL);
    if (before) {
      g_assert_cmpstr(after, ==, before);
      compiled++;
    }
  }
  g_assert_cmpuint(formatted, >=, 10);
  g_assert_cmpuint(compiled, >=, 5);
}

/* Prefixes and one-line deletions of the repository's models: whatever
 * parses formats without tripping the safety check, idempotently. */
static void test_variants(void) {
  g_autoptr(GPtrArray) files = repository_models();
  guint tried = 0;
  for (guint i = 0; i < files->len; i++) {
    const char *path = g_ptr_array_index(files, i);
    g_autofree char *text = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(path, &text, &len, NULL));
    g_autoptr(GPtrArray) variants = g_ptr_array_new_with_free_func(g_free);
    for (gsize cut = 0; cut < len; cut += 61) g_ptr_array_add(variants, g_strndup(text, cut));
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    guint n_lines = g_strv_length(lines);
    for (guint skip = 0; skip < n_lines; skip += 3) {
      GString *t = g_string_new(NULL);
      for (guint k = 0; lines[k]; k++)
        if (k != skip) g_string_append_printf(t, "%s\n", lines[k]);
      g_ptr_array_add(variants, g_string_free(t, FALSE));
    }
    for (guint v = 0; v < variants->len; v++) {
      const char *src = g_ptr_array_index(variants, v);
      if (!parses(path, src, strlen(src))) continue;
      g_autofree char *once = fmt_len(path, src, strlen(src), NULL);
      if (!once) g_test_message("variant of %s:\n%s", path, src);
      g_assert_nonnull(once);
      g_autofree char *twice = fmt_len(path, once, strlen(once), NULL);
      g_assert_cmpstr(twice, ==, once);
      tried++;
    }
  }
  g_assert_cmpuint(tried, >, 100);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/compiler/format/decls", test_decls);
  g_test_add_func("/compiler/format/comments", test_comments);
  g_test_add_func("/compiler/format/expressions", test_expressions);
  g_test_add_func("/compiler/format/scores-lifecycles", test_scores_lifecycles);
  g_test_add_func("/compiler/format/journeys", test_journeys);
  g_test_add_func("/compiler/format/tests", test_tests);
  g_test_add_func("/compiler/format/syntax-errors", test_syntax_errors);
  g_test_add_func("/compiler/format/repository-models", test_repository_models);
  g_test_add_func("/compiler/format/variants", test_variants);
  return g_test_run();
}
