/* test_lexer.c - the scanner, through its token dump (grammar/parse.h):
 * literals, durations, percentages vs remainder, escapes, keywords as field
 * names, line tracking, and every lexical error at its exact line:col. */
#include "grammar/parse.h"

#include <string.h>

/* Token dump of `text`; *errors gets "LINE:COL: message" lines. */
static char *lex(const char *text, size_t len, char **errors) {
  g_autoptr(PSourceSet) src = psrc_new();
  uint32_t f = psrc_add(src, "t.persona", NULL, text, len);
  g_autoptr(PDiagList) diags = pdiag_new();
  char *out = pparse_dump_tokens(src, f, diags);
  GString *e = g_string_new(NULL);
  for (guint i = 0; i < diags->items->len; i++) {
    const PDiag *d = g_ptr_array_index(diags->items, i);
    g_string_append_printf(e, "%u:%u: %s\n", d->loc.line, d->loc.col, d->message);
  }
  *errors = g_string_free(e, FALSE);
  return out;
}

typedef struct {
  const char *src;
  const char *tokens; /* the dump without its end-of-file line */
  const char *errors; /* "" when none */
} LexCase;

static void run_cases(const LexCase *cases, size_t n) {
  for (size_t i = 0; i < n; i++) {
    g_autofree char *errors = NULL;
    g_autofree char *dump = lex(cases[i].src, strlen(cases[i].src), &errors);
    /* Drop the last line (end of file): its column depends on the input. */
    char *eof = g_strrstr(dump, "end of file");
    g_assert_nonnull(eof);
    while (eof > dump && eof[-1] != '\n') eof--;
    *eof = '\0';
    g_test_message("case %zu: %s", i, cases[i].src);
    g_assert_cmpstr(dump, ==, cases[i].tokens);
    g_assert_cmpstr(errors, ==, cases[i].errors);
  }
}

static void test_numbers(void) {
  static const LexCase cases[] = {
    {"42 0 007", "1:1 integer 42\n1:4 integer 0\n1:6 integer 007 = 7\n", ""},
    {"3.5 0.25 1e3 1.5e-7 2E+2",
     "1:1 number 3.5 = 3.5\n1:5 number 0.25 = 0.25\n1:10 number 1e3 = 1000.0\n"
     "1:14 number 1.5e-7 = 1.5e-07\n1:21 number 2E+2 = 200.0\n", ""},
    {"9223372036854775807", "1:1 integer 9223372036854775807\n", ""},
    {"9223372036854775808", "1:1 integer 9223372036854775808 = 0\n",
     "1:1: integer literal too large\n"},
    {"x = 99999999999999999999999", "1:1 identifier x\n1:3 '=' =\n1:5 integer 99999999999999999999999 = 0\n",
     "1:5: integer literal too large\n"},
    {"1e999", "1:1 number 1e999 = 0.0\n", "1:1: number literal out of range\n"},
    {"0.00000000000000000000000000000000000000000000000000000000000000000000000000000000"
     "000000000000000000000000000000000000000000000000000000000000000000000000000000001",
     "1:1 number 0.00000000000000000000000000000000000000000000000000000000000000000000000"
     "000000000000000000000000000000000000000000000000000000000000000000000000000000000"
     "000000001 = 1e-161\n", ""},
    {"12abc 1.5d", "1:1 integer 12abc = 0\n1:7 integer 1.5d = 0\n",
     "1:3: invalid suffix 'abc' in number literal '12abc'\n"
     "1:10: invalid suffix 'd' in number literal '1.5d'\n"},
  };
  run_cases(cases, G_N_ELEMENTS(cases));
}

static void test_durations(void) {
  static const LexCase cases[] = {
    {"30s 15m 12h 7d 2w",
     "1:1 duration 30s = 30000000us\n1:5 duration 15m = 900000000us\n"
     "1:9 duration 12h = 43200000000us\n1:13 duration 7d = 604800000000us\n"
     "1:16 duration 2w = 1209600000000us\n", ""},
    {"0s", "1:1 duration 0s = 0us\n", ""},
    /* INT64_MAX us is 106751991 days and a bit. */
    {"106751991d", "1:1 duration 106751991d = 9223372022400000000us\n", ""},
    {"106751992d", "1:1 duration 106751992d = 0us\n", "1:1: duration literal too large\n"},
    {"99999999999999999999s", "1:1 duration 99999999999999999999s = 0us\n",
     "1:1: duration literal too large\n"},
    {"30sec", "1:1 integer 30sec = 0\n",
     "1:3: invalid suffix 'sec' in number literal '30sec'\n"},
    /* A unit needs the integer right before it. */
    {"7 d", "1:1 integer 7\n1:3 identifier d\n", ""},
  };
  run_cases(cases, G_N_ELEMENTS(cases));
}

static void test_percent_vs_remainder(void) {
  static const LexCase cases[] = {
    {"50%", "1:1 percentage 50% = 0.5\n", ""},
    {"12.5%", "1:1 percentage 12.5% = 0.125\n", ""},
    {"a % b", "1:1 identifier a\n1:3 '%' %\n1:5 identifier b\n", ""},
    {"5 % 2", "1:1 integer 5\n1:3 '%' %\n1:5 integer 2\n", ""},
    {"a%b", "1:1 identifier a\n1:2 '%' %\n1:3 identifier b\n", ""},
    {"(7)%2", "1:1 '(' (\n1:2 integer 7\n1:3 ')' )\n1:4 '%' %\n1:5 integer 2\n", ""},
    {"50%:", "1:1 percentage 50% = 0.5\n1:4 ':' :\n", ""},
  };
  run_cases(cases, G_N_ELEMENTS(cases));
}

static void test_strings(void) {
  static const LexCase cases[] = {
    {"\"plain\" \"\"", "1:1 string \"plain\"\n1:9 string \"\"\n", ""},
    {"\"a\\\"b\\\\c\\/d\"", "1:1 string \"a\\\"b\\\\c/d\"\n", ""},
    {"\"\\n\\t\\r\"", "1:1 string \"\\n\\t\\r\"\n", ""},
    {"\"\\b\\f\"", "1:1 string \"\\u{8}\\u{C}\"\n", ""},
    {"\"\\u{4E0A}\\u4e0a\\u{1F600}\"", "1:1 string \"上上😀\"\n", ""},
    {"\"\\uD83D\\uDE00\"", "1:1 string \"😀\"\n", ""},
    {"\"\\u{41}\\u0041\"", "1:1 string \"AA\"\n", ""},
    {"\"高意向客户\" x", "1:1 string \"高意向客户\"\n1:19 identifier x\n", ""},
  };
  run_cases(cases, G_N_ELEMENTS(cases));
}

static void test_bad_escapes(void) {
  static const LexCase cases[] = {
    {"\"a\\qb\"", "1:1 string \"ab\"\n", "1:3: unknown escape sequence '\\q'\n"},
    {"\"\\x41\"", "1:1 string \"41\"\n", "1:2: unknown escape sequence '\\x'\n"},
    {"\"\\uD800\"", "1:1 string \"\"\n", "1:2: unpaired surrogate '\\uD800' in escape\n"},
    {"\"\\uDC00\\uD800x\"", "1:1 string \"x\"\n",
     "1:2: unpaired surrogate '\\uDC00' in escape\n"
     "1:8: unpaired surrogate '\\uD800' in escape\n"},
    {"\"\\u{D800}\"", "1:1 string \"\"\n",
     "1:2: invalid code point U+D800 in escape (a surrogate)\n"},
    {"\"\\u{110000}\"", "1:1 string \"\"\n",
     "1:2: code point U+110000 in escape is out of range (the largest is U+10FFFF)\n"},
    {"\"\\u{}\"", "1:1 string \"}\"\n",
     "1:2: invalid escape: '\\u{' needs 1 to 6 hex digits and '}'\n"},
    {"\"\\u{1234567}\"", "1:1 string \"}\"\n",
     "1:2: invalid escape: '\\u{' needs 1 to 6 hex digits and '}'\n"},
    {"\"\\u12\"", "1:1 string \"12\"\n",
     "1:2: invalid escape: '\\u' needs 4 hex digits or {hex}\n"},
    {"x \"open\ny", "1:1 identifier x\n1:3 string \"open\"\n2:1 identifier y\n",
     "1:3: unterminated string literal\n"},
  };
  run_cases(cases, G_N_ELEMENTS(cases));
}

/* Every keyword of spec section 2 is one, with its quoted display name. */
static void test_keywords(void) {
  static const char *const keywords[] = {
    "model", "version", "import", "schema", "record", "const", "let", "tag",
    "score", "lifecycle", "initial", "journey", "enter", "exit", "reenter",
    "never", "after", "when", "per", "cap", "max", "min", "decay", "within",
    "since", "where", "of", "in", "not", "and", "or", "true", "false", "null",
    "if", "else", "wait", "until", "for", "split", "send", "task", "notify",
    "webhook", "test", "profile", "state", "at", "expect", "action", "no",
    "on", "key", "pii", "any", "all", "extern", "fn", "from",
  };
  for (size_t i = 0; i < G_N_ELEMENTS(keywords); i++) {
    g_autofree char *src = g_strdup_printf("x %s", keywords[i]);
    g_autofree char *want = g_strdup_printf("1:1 identifier x\n1:3 '%s' %s\n1:%zu end of file\n",
                                            keywords[i], keywords[i],
                                            3 + strlen(keywords[i]));
    g_autofree char *errors = NULL;
    g_autofree char *dump = lex(src, strlen(src), &errors);
    g_assert_cmpstr(dump, ==, want);
    g_assert_cmpstr(errors, ==, "");
  }
  static const LexCase near[] = {
    {"whence atx _at At", "1:1 identifier whence\n1:8 identifier atx\n1:12 identifier _at\n"
                          "1:16 identifier At\n", ""},
  };
  run_cases(near, G_N_ELEMENTS(near));
}

/* A word before `:` is a field name (shown as identifier), keyword or not. */
static void test_field_names(void) {
  static const LexCase cases[] = {
    {"at: time", "1:1 identifier at\n1:3 ':' :\n1:5 identifier time\n", ""},
    {"state :", "1:1 identifier state\n1:7 ':' :\n", ""},
    {"{when: 1}", "1:1 '{' {\n1:2 identifier when\n1:6 ':' :\n1:8 integer 1\n1:9 '}' }\n", ""},
    {"x.at", "1:1 identifier x\n1:2 '.' .\n1:3 'at' at\n", ""},
    {"at\n:", "1:1 'at' at\n2:1 ':' :\n", ""},
  };
  run_cases(cases, G_N_ELEMENTS(cases));
}

static void test_operators(void) {
  static const LexCase cases[] = {
    {"-> ?\? == != <= >= < > = ? @ .",
     "1:1 '->' ->\n1:4 '?\?' ?\?\n1:7 '==' ==\n1:10 '!=' !=\n1:13 '<=' <=\n1:16 '>=' >=\n"
     "1:19 '<' <\n1:21 '>' >\n1:23 '=' =\n1:25 '?' ?\n1:27 '@' @\n1:29 '.' .\n", ""},
    {"a->b", "1:1 identifier a\n1:2 '->' ->\n1:4 identifier b\n", ""},
    {"x\n  -1 + 2", "1:1 identifier x\n2:3 '-' -\n2:4 integer 1\n2:6 '+' +\n2:8 integer 2\n", ""},
  };
  run_cases(cases, G_N_ELEMENTS(cases));
}

/* Lines and byte columns, across comments, CRLF and multi-byte text. */
static void test_locations(void) {
  static const LexCase cases[] = {
    {"# comment\n\ntag  x # trailing\n\twhen",
     "3:1 'tag' tag\n3:6 identifier x\n4:2 'when' when\n", ""},
    {"a\r\nb", "1:1 identifier a\n2:1 identifier b\n", ""},
    {"\"上\" x", "1:1 string \"上\"\n1:7 identifier x\n", ""},
    /* A byte order mark: skipped at the start (columns still count its
     * bytes), a stray character elsewhere. */
    {"\xEF\xBB\xBF" "a \xEF\xBB\xBF", "1:4 identifier a\n",
     "1:6: unexpected character U+FEFF '\xEF\xBB\xBF'\n"},
  };
  run_cases(cases, G_N_ELEMENTS(cases));
  g_autofree char *errors = NULL;
  g_autofree char *dump = lex("a\n  ", 4, &errors);
  g_assert_cmpstr(dump, ==, "1:1 identifier a\n2:3 end of file\n");
}

static void test_invalid_utf8(void) {
  static const LexCase cases[] = {
    /* Outside tokens, in a string, in a comment; scanning continues. */
    {"a \xff b", "1:1 identifier a\n1:5 identifier b\n", "1:3: invalid UTF-8 byte 0xff\n"},
    {"x\n  \"ok\xfe\" y", "1:1 identifier x\n2:3 string \"ok\"\n2:9 identifier y\n",
     "2:6: invalid UTF-8 byte 0xfe\n"},
    {"# caf\xc3 \nz", "2:1 identifier z\n", "1:6: invalid UTF-8 byte 0xc3\n"},
    /* A truncated sequence is one error; an overlong form and a surrogate
     * are errors byte by byte. */
    {"\xe4\xb8 q", "1:4 identifier q\n", "1:1: invalid UTF-8 byte 0xe4\n"},
    {"\xc0\xaf", "", "1:1: invalid UTF-8 byte 0xc0\n1:2: invalid UTF-8 byte 0xaf\n"},
    {"\"\xed\xa0\x80\"", "1:1 string \"\"\n",
     "1:2: invalid UTF-8 byte 0xed\n1:3: invalid UTF-8 byte 0xa0\n1:4: invalid UTF-8 byte 0x80\n"},
    /* Well-formed but not allowed outside strings. */
    {"\xc3\xa9 $ ;", "", "1:1: unexpected character U+00E9 'é'\n1:4: unexpected character '$'\n"
                         "1:6: unexpected character ';'\n"},
  };
  run_cases(cases, G_N_ELEMENTS(cases));

  /* A NUL byte is a stray character, and does not end the text. */
  g_autofree char *errors = NULL;
  g_autofree char *dump = lex("a\0b", 3, &errors);
  g_assert_cmpstr(dump, ==, "1:1 identifier a\n1:3 identifier b\n1:4 end of file\n");
  g_assert_cmpstr(errors, ==, "1:2: unexpected character U+0000\n");
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/grammar/lexer/numbers", test_numbers);
  g_test_add_func("/grammar/lexer/durations", test_durations);
  g_test_add_func("/grammar/lexer/percent-vs-remainder", test_percent_vs_remainder);
  g_test_add_func("/grammar/lexer/strings", test_strings);
  g_test_add_func("/grammar/lexer/bad-escapes", test_bad_escapes);
  g_test_add_func("/grammar/lexer/keywords", test_keywords);
  g_test_add_func("/grammar/lexer/field-names", test_field_names);
  g_test_add_func("/grammar/lexer/operators", test_operators);
  g_test_add_func("/grammar/lexer/locations", test_locations);
  g_test_add_func("/grammar/lexer/invalid-utf8", test_invalid_utf8);
  return g_test_run();
}
