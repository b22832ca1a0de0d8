/* test_diag.c - diagnostics: text and JSON rendering pinned byte for byte,
 * suggestions, ordering and the error cap. */
#include "compiler/diag.h"

#include <string.h>

/* ---- fixtures ------------------------------------------------------------- */

/* A location computed from byte offsets the way the lexer does it: lines
 * and byte columns, both 1-based, end column exclusive. */
static PLoc loc_span(const PSourceSet *src, uint32_t file, uint32_t off, uint32_t end_off) {
  const PSourceFile *f = psrc_file(src, file);
  g_assert_nonnull(f);
  g_assert_cmpuint(end_off, <=, f->len);
  PLoc loc = {.file = file, .offset = off, .end_offset = end_off};
  uint32_t line = 1, col = 1;
  for (uint32_t i = 0; i <= end_off; i++) {
    if (i == off) {
      loc.line = line;
      loc.col = col;
    }
    if (i == end_off) {
      loc.end_line = line;
      loc.end_col = col;
    }
    if (i < f->len && f->text[i] == '\n') {
      line++;
      col = 1;
    } else {
      col++;
    }
  }
  return loc;
}

/* The span of the first occurrence of `what` in the file's text. */
static PLoc loc_of(const PSourceSet *src, uint32_t file, const char *what) {
  const PSourceFile *f = psrc_file(src, file);
  const char *p = strstr(f->text, what);
  g_assert_nonnull(p);
  uint32_t off = (uint32_t)(p - f->text);
  return loc_span(src, file, off, off + (uint32_t)strlen(what));
}

static PSourceSet *one_file(const char *name, const char *text) {
  PSourceSet *src = psrc_new();
  psrc_add(src, name, NULL, text, strlen(text));
  return src;
}

static char *render_text(const PDiagList *list, const PSourceSet *src, gboolean color) {
  GString *out = g_string_new(NULL);
  pdiag_render_text(list, src, out, color);
  return g_string_free(out, FALSE);
}

static char *render_json(const PDiagList *list, const PSourceSet *src) {
  GString *out = g_string_new(NULL);
  pdiag_render_json(list, src, out);
  return g_string_free(out, FALSE);
}

static const char model_12[] =
    "model m version \"1\"\n"
    "schema {\n"
    "  id: string key\n"
    "  employees: int = 0\n"
    "}\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "tag big when employes >= 500\n";

/* ---- text ----------------------------------------------------------------- */

static void test_text_basic(void) {
  g_autoptr(PSourceSet) src = one_file("examples/m.persona", model_12);
  g_autoptr(PDiagList) list = pdiag_new();
  PLoc loc = loc_of(src, 0, "employes");
  g_assert_cmpuint(loc.line, ==, 12);
  g_assert_cmpuint(loc.col, ==, 14);
  pdiag_add(list, PDIAG_ERROR, &loc, "did you mean 'employees'?", "unknown name '%s'",
            "employes");
  g_autofree char *text = render_text(list, src, FALSE);
  g_assert_cmpstr(text, ==,
                  "examples/m.persona:12:14: error: unknown name 'employes'\n"
                  "   12 | tag big when employes >= 500\n"
                  "      |              ^~~~~~~~\n"
                  "hint: did you mean 'employees'?\n");
  g_assert_cmpuint(list->n_errors, ==, 1);
  g_assert_cmpuint(list->n_warnings, ==, 0);
}

static void test_text_cjk(void) {
  /* Five wide characters: 15 bytes, 10 display columns. The header keeps
   * the byte column (32 = 9 + 15 + 7 + 1); the caret is padded by display
   * columns (26 = 9 + 10 + 7). */
  g_autoptr(PSourceSet) src =
      one_file("cjk.persona", "tag hot \"高意向客户\" when scroe > 1\n");
  g_autoptr(PDiagList) list = pdiag_new();
  PLoc loc = loc_of(src, 0, "scroe");
  pdiag_add(list, PDIAG_ERROR, &loc, NULL, "unknown name 'scroe'");
  g_autofree char *text = render_text(list, src, FALSE);
  g_assert_cmpstr(text, ==,
                  "cjk.persona:1:32: error: unknown name 'scroe'\n"
                  "    1 | tag hot \"高意向客户\" when scroe > 1\n"
                  "      | " "                          ^~~~~\n");
}

static void test_text_wide_span(void) {
  /* A span over wide characters is underlined over their full width. */
  g_autoptr(PSourceSet) src = one_file("w.persona", "tag x \"上海\" when y\n");
  g_autoptr(PDiagList) list = pdiag_new();
  PLoc loc = loc_of(src, 0, "上海");
  pdiag_add(list, PDIAG_WARNING, &loc, NULL, "label");
  g_autofree char *text = render_text(list, src, FALSE);
  g_assert_cmpstr(text, ==,
                  "w.persona:1:8: warning: label\n"
                  "    1 | tag x \"上海\" when y\n"
                  "      |        ^~~~\n");
}

static void test_text_tab(void) {
  /* Tabs are copied into the caret line so both lines expand alike. */
  g_autoptr(PSourceSet) src = one_file("t.persona", "score s {\n\t+5 when\tbad\n}\n");
  g_autoptr(PDiagList) list = pdiag_new();
  PLoc loc = loc_of(src, 0, "bad");
  pdiag_add(list, PDIAG_ERROR, &loc, NULL, "unknown name 'bad'");
  g_autofree char *text = render_text(list, src, FALSE);
  g_assert_cmpstr(text, ==,
                  "t.persona:2:10: error: unknown name 'bad'\n"
                  "    2 | \t+5 when\tbad\n"
                  "      | \t       \t^~~\n");
}

static void test_text_multiline_span(void) {
  /* A span that runs on is underlined to the end of its first line. */
  g_autoptr(PSourceSet) src =
      one_file("ml.persona", "let x = count(events\n   where type == 1)\n");
  g_autoptr(PDiagList) list = pdiag_new();
  PLoc loc = loc_of(src, 0, "count(events\n   where type == 1)");
  g_assert_cmpuint(loc.end_line, ==, 2);
  pdiag_add(list, PDIAG_ERROR, &loc, NULL, "type mismatch");
  g_autofree char *text = render_text(list, src, FALSE);
  g_assert_cmpstr(text, ==,
                  "ml.persona:1:9: error: type mismatch\n"
                  "    1 | let x = count(events\n"
                  "      |         ^~~~~~~~~~~~\n");
}

static void test_text_end_of_line(void) {
  /* An error just past the last character (e.g. "expected '}'") puts the
   * caret one column after the line; an empty span still gets a caret. */
  g_autoptr(PSourceSet) src = one_file("e.persona", "schema {\n  id: string key");
  g_autoptr(PDiagList) list = pdiag_new();
  const PSourceFile *f = psrc_file(src, 0);
  PLoc loc = loc_span(src, 0, (uint32_t)f->len, (uint32_t)f->len);
  pdiag_add(list, PDIAG_ERROR, &loc, NULL, "expected '}' at the end of the file");
  g_autofree char *text = render_text(list, src, FALSE);
  g_assert_cmpstr(text, ==,
                  "e.persona:2:17: error: expected '}' at the end of the file\n"
                  "    2 |   id: string key\n"
                  "      |                 ^\n");
}

static void test_text_invalid_bytes(void) {
  /* Invalid UTF-8 and control characters are shown as U+FFFD, one column
   * each, so the terminal never sees them raw. */
  g_autoptr(PSourceSet) src = one_file("b.persona", "tag \xff\x1b x\n");
  g_autoptr(PDiagList) list = pdiag_new();
  PLoc loc = loc_span(src, 0, 4, 5);
  pdiag_add(list, PDIAG_ERROR, &loc, NULL, "invalid UTF-8 byte 0xff");
  PLoc loc2 = loc_of(src, 0, "x");
  pdiag_add(list, PDIAG_NOTE, &loc2, NULL, "here");
  g_autofree char *text = render_text(list, src, FALSE);
  g_assert_cmpstr(text, ==,
                  "b.persona:1:5: error: invalid UTF-8 byte 0xff\n"
                  "    1 | tag \xEF\xBF\xBD\xEF\xBF\xBD x\n"
                  "      |     ^\n"
                  "b.persona:1:8: note: here\n"
                  "    1 | tag \xEF\xBF\xBD\xEF\xBF\xBD x\n"
                  "      |        ^\n");
}

static void test_text_wide_gutter(void) {
  /* Line numbers wider than four digits widen the gutter. */
  GString *big = g_string_new(NULL);
  for (int i = 1; i < 12345; i++) g_string_append_c(big, '\n');
  g_string_append(big, "oops\n");
  g_autoptr(PSourceSet) src = psrc_new();
  psrc_add(src, "big.persona", NULL, big->str, big->len);
  g_string_free(big, TRUE);
  g_autoptr(PDiagList) list = pdiag_new();
  PLoc loc = loc_of(src, 0, "oops");
  pdiag_add(list, PDIAG_ERROR, &loc, NULL, "unexpected name");
  g_autofree char *text = render_text(list, src, FALSE);
  g_assert_cmpstr(text, ==,
                  "big.persona:12345:1: error: unexpected name\n"
                  " 12345 | oops\n"
                  "       | ^~~~\n");
}

static void test_text_no_location(void) {
  g_autoptr(PSourceSet) src = one_file("m.persona", "model m\n");
  g_autoptr(PDiagList) list = pdiag_new();
  pdiag_add(list, PDIAG_ERROR, NULL, NULL, "no model declaration");
  PLoc whole = {.file = 0};
  pdiag_add(list, PDIAG_WARNING, &whole, "add 'version \"1\"'", "the model has no version");
  PLoc stray = {.file = 7, .line = 3, .col = 2};
  pdiag_add(list, PDIAG_NOTE, &stray, NULL, "from an unknown file");
  g_autofree char *text = render_text(list, src, FALSE);
  g_assert_cmpstr(text, ==,
                  "error: no model declaration\n"
                  "m.persona: warning: the model has no version\n"
                  "hint: add 'version \"1\"'\n"
                  "<unknown>:3:2: note: from an unknown file\n");
  /* Without a source set nothing is looked up. */
  g_autofree char *bare = render_text(list, NULL, FALSE);
  g_assert_cmpstr(bare, ==,
                  "error: no model declaration\n"
                  "<unknown>: warning: the model has no version\n"
                  "hint: add 'version \"1\"'\n"
                  "<unknown>:3:2: note: from an unknown file\n");
}

static void test_text_color(void) {
  g_autoptr(PSourceSet) src = one_file("c.persona", "tag a when b\n");
  g_autoptr(PDiagList) list = pdiag_new();
  PLoc loc = loc_of(src, 0, "b");
  pdiag_add(list, PDIAG_ERROR, &loc, "did you mean 'a'?", "unknown name 'b'");
  pdiag_add(list, PDIAG_WARNING, &loc, NULL, "w");
  pdiag_add(list, PDIAG_NOTE, NULL, NULL, "n");
  g_autofree char *text = render_text(list, src, TRUE);
  g_assert_cmpstr(text, ==,
                  "\033[1mc.persona:1:12:\033[0m \033[1;31merror:\033[0m unknown name 'b'\n"
                  "    1 | tag a when b\n"
                  "      |            \033[1;32m^\033[0m\n"
                  "\033[1mhint:\033[0m did you mean 'a'?\n"
                  "\033[1mc.persona:1:12:\033[0m \033[1;35mwarning:\033[0m w\n"
                  "    1 | tag a when b\n"
                  "      |            \033[1;32m^\033[0m\n"
                  "\033[1;36mnote:\033[0m n\n");
}

/* ---- JSON ----------------------------------------------------------------- */

static void test_json(void) {
  g_autoptr(PSourceSet) src = one_file("dir/\"q\".persona", model_12);
  g_autoptr(PDiagList) list = pdiag_new();
  PLoc loc = loc_of(src, 0, "employes");
  pdiag_add(list, PDIAG_ERROR, &loc, "did you mean 'employees'?", "unknown name '%s'",
            "employes");
  pdiag_add(list, PDIAG_WARNING, NULL, NULL, "tab\there \\ \"q\" \x01 \xe2\x80\xa8 \xff 上海");
  PLoc whole = {.file = 0};
  pdiag_add(list, PDIAG_NOTE, &whole, NULL, "whole file");
  g_autofree char *json = render_json(list, src);
  g_assert_cmpstr(json, ==,
                  "{\"diagnostics\":["
                  "{\"file\":\"dir/\\\"q\\\".persona\",\"line\":12,\"column\":14,"
                  "\"end_line\":12,\"end_column\":22,\"severity\":\"error\","
                  "\"message\":\"unknown name 'employes'\","
                  "\"hint\":\"did you mean 'employees'?\"},"
                  "{\"file\":null,\"line\":null,\"column\":null,\"end_line\":null,"
                  "\"end_column\":null,\"severity\":\"warning\","
                  "\"message\":\"tab\\there \\\\ \\\"q\\\" \\u0001 \\u2028 � 上海\","
                  "\"hint\":null},"
                  "{\"file\":\"dir/\\\"q\\\".persona\",\"line\":null,\"column\":null,"
                  "\"end_line\":null,\"end_column\":null,\"severity\":\"note\","
                  "\"message\":\"whole file\",\"hint\":null}"
                  "],\"errors\":1,\"warnings\":1}\n");
}

static void test_json_empty(void) {
  g_autoptr(PDiagList) list = pdiag_new();
  g_autofree char *json = render_json(list, NULL);
  g_assert_cmpstr(json, ==, "{\"diagnostics\":[],\"errors\":0,\"warnings\":0}\n");
  g_autofree char *text = render_text(list, NULL, FALSE);
  g_assert_cmpstr(text, ==, "");
}

/* ---- suggestions ---------------------------------------------------------- */

typedef struct {
  const char *name;
  const char *expected; /* NULL: no suggestion */
} SuggestCase;

static void test_suggest(void) {
  static const char *const names[] = {"employees", "engagement", "enterprise", "fit",
                                      "total",     "lead",       "Leaf",       "mql",
                                      "sql",       "customer",   "region"};
  static const SuggestCase cases[] = {
      {"employes", "employees"},   /* deletion */
      {"emplyoees", "employees"},  /* adjacent swap counts as one edit */
      {"enterprize", "enterprise"},
      {"engagment", "engagement"},
      {"mq1", "mql"},              /* length 3: one edit allowed */
      {"fti", "fit"},              /* swap */
      {"totl", "total"},
      {"custmr", "customer"},      /* two insertions, within 6 / 3 */
      {"Lead", "lead"},            /* tie with "Leaf" (1 edit each): */
      {"leaf", "Leaf"},            /* the case-insensitively closer wins */
      {"employees", NULL},         /* the name itself is never suggested */
      {"xyz", NULL},
      {"rgn", NULL},               /* three edits from "region" */
      {"cust", NULL},              /* four insertions from "customer" */
      {"", NULL},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    const char *got = pdiag_suggest(cases[i].name, names, G_N_ELEMENTS(names));
    g_assert_cmpstr(got, ==, cases[i].expected);
  }
  /* The result points into the candidates. */
  g_assert_true(pdiag_suggest("fir", names, G_N_ELEMENTS(names)) == names[3]);
  g_assert_null(pdiag_suggest("fit", NULL, 0));
  static const char *const with_null[] = {NULL, "score"};
  g_assert_cmpstr(pdiag_suggest("scor", with_null, 2), ==, "score");
  /* Very long names are not compared (cost is quadratic). */
  g_autofree char *longname = g_strnfill(300, 'a');
  g_autofree char *longname2 = g_strnfill(299, 'a');
  const char *const longc[] = {longname2};
  g_assert_null(pdiag_suggest(longname, longc, 1));
  /* Ties of every kind resolve to the earlier candidate. */
  static const char *const twins[] = {"abcx", "abcy"};
  g_assert_cmpstr(pdiag_suggest("abcz", twins, 2), ==, "abcx");
}

/* ---- sorting and the cap --------------------------------------------------- */

static void test_sort(void) {
  g_autoptr(PSourceSet) src = psrc_new();
  psrc_add(src, "a.persona", NULL, "aaaa bbbb cccc\n", 15);
  psrc_add(src, "b.persona", NULL, "xxxx yyyy\n", 10);
  g_autoptr(PDiagList) list = pdiag_new();
  PLoc b_y = loc_of(src, 1, "yyyy"), a_c = loc_of(src, 0, "cccc"), a_a = loc_of(src, 0, "aaaa");
  PLoc a_whole = {.file = 0};
  pdiag_add(list, PDIAG_ERROR, &b_y, NULL, "1 b:y");
  pdiag_add(list, PDIAG_ERROR, &a_c, NULL, "2 a:c");
  pdiag_add(list, PDIAG_NOTE, &a_a, NULL, "3 note of a:c, at a:a");
  pdiag_add(list, PDIAG_WARNING, &a_c, NULL, "4 a:c again");
  pdiag_add(list, PDIAG_ERROR, &a_a, NULL, "5 a:a");
  pdiag_add(list, PDIAG_ERROR, NULL, NULL, "6 nowhere");
  pdiag_add(list, PDIAG_WARNING, &a_whole, NULL, "7 a whole");
  pdiag_sort(list);
  static const char *const expected[] = {"6 nowhere", "7 a whole", "5 a:a", "2 a:c",
                                         "3 note of a:c, at a:a", "4 a:c again", "1 b:y"};
  g_assert_cmpuint(list->items->len, ==, G_N_ELEMENTS(expected));
  for (guint i = 0; i < list->items->len; i++) {
    const PDiag *d = g_ptr_array_index(list->items, i);
    g_assert_cmpstr(d->message, ==, expected[i]);
  }
  g_assert_cmpuint(list->n_errors, ==, 4);
  g_assert_cmpuint(list->n_warnings, ==, 2);
}

static void test_cap(void) {
  g_autoptr(PSourceSet) src = one_file("m.persona", "x\n");
  g_autoptr(PDiagList) list = pdiag_new();
  PLoc loc = loc_of(src, 0, "x");
  for (int i = 0; i < PDIAG_MAX_ERRORS - 1; i++) pdiag_error(list, &loc, "e%d", i);
  g_assert_false(pdiag_full(list));
  pdiag_error(list, &loc, "last");
  pdiag_add(list, PDIAG_NOTE, &loc, NULL, "note of last");
  g_assert_true(pdiag_full(list));
  guint kept = list->items->len;
  g_assert_cmpuint(kept, ==, PDIAG_MAX_ERRORS + 1);

  pdiag_error(list, &loc, "dropped");
  pdiag_add(list, PDIAG_NOTE, &loc, NULL, "note of dropped");
  g_assert_cmpuint(list->items->len, ==, kept);
  g_assert_cmpuint(list->n_errors, ==, PDIAG_MAX_ERRORS);

  pdiag_warning(list, &loc, "warnings still count");
  pdiag_add(list, PDIAG_NOTE, &loc, NULL, "note of the warning");
  g_assert_cmpuint(list->items->len, ==, kept + 2);
  g_assert_cmpuint(list->n_warnings, ==, 1);

  g_autofree char *text = render_text(list, src, FALSE);
  g_assert_true(g_str_has_suffix(text, "note: too many errors; stopped after the first 50\n"));
  g_assert_null(strstr(text, "dropped"));
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/compiler/diag/text/basic", test_text_basic);
  g_test_add_func("/compiler/diag/text/cjk", test_text_cjk);
  g_test_add_func("/compiler/diag/text/wide-span", test_text_wide_span);
  g_test_add_func("/compiler/diag/text/tab", test_text_tab);
  g_test_add_func("/compiler/diag/text/multiline-span", test_text_multiline_span);
  g_test_add_func("/compiler/diag/text/end-of-line", test_text_end_of_line);
  g_test_add_func("/compiler/diag/text/invalid-bytes", test_text_invalid_bytes);
  g_test_add_func("/compiler/diag/text/wide-gutter", test_text_wide_gutter);
  g_test_add_func("/compiler/diag/text/no-location", test_text_no_location);
  g_test_add_func("/compiler/diag/text/color", test_text_color);
  g_test_add_func("/compiler/diag/json/escapes", test_json);
  g_test_add_func("/compiler/diag/json/empty", test_json_empty);
  g_test_add_func("/compiler/diag/suggest", test_suggest);
  g_test_add_func("/compiler/diag/sort", test_sort);
  g_test_add_func("/compiler/diag/cap", test_cap);
  return g_test_run();
}
