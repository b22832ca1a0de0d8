/* test_parser.c - the grammar, through the tree dump (grammar/parse.h):
 * every declaration kind, operator precedence, keywords as names, the
 * spec's examples, node locations, and syntax errors pinned exactly
 * (message, hint and line:col), several per run. */
#include "grammar/parse.h"

#include <string.h>

typedef struct {
  char *tree;   /* pparse_dump_tree */
  char *errors; /* "LINE:COL: message[ | hint]\n" per diagnostic */
  guint n_errors;
} Parsed;

static void parsed_clear(Parsed *p) {
  g_free(p->tree);
  g_free(p->errors);
}

static Parsed parse_len(const char *text, size_t len) {
  g_autoptr(PSourceSet) src = psrc_new();
  uint32_t f = psrc_add(src, "t.persona", NULL, text, len);
  g_autoptr(PDiagList) diags = pdiag_new();
  g_autoptr(PAst) ast = past_new();
  PFileAst *file = pparse_file(ast, src, f, diags);
  g_assert_cmpuint(ast->files->len, ==, 1);
  GString *e = g_string_new(NULL);
  for (guint i = 0; i < diags->items->len; i++) {
    const PDiag *d = g_ptr_array_index(diags->items, i);
    g_string_append_printf(e, "%u:%u: %s", d->loc.line, d->loc.col, d->message);
    if (d->hint) g_string_append_printf(e, " | %s", d->hint);
    g_string_append_c(e, '\n');
  }
  return (Parsed){pparse_dump_tree(file), g_string_free(e, FALSE), diags->n_errors};
}

static Parsed parse(const char *text) {
  return parse_len(text, strlen(text));
}

typedef struct {
  const char *src;
  const char *want; /* tree dump, or error lines */
} Case;

/* Each source parses without a diagnostic into `want`. */
static void run_trees(const Case *cases, size_t n) {
  for (size_t i = 0; i < n; i++) {
    g_test_message("case %zu: %s", i, cases[i].src);
    Parsed p = parse(cases[i].src);
    g_assert_cmpstr(p.errors, ==, "");
    g_assert_cmpstr(p.tree, ==, cases[i].want);
    parsed_clear(&p);
  }
}

/* `let x = SRC` gives `(let x WANT)`. */
static void run_exprs(const Case *cases, size_t n) {
  for (size_t i = 0; i < n; i++) {
    g_autofree char *src = g_strdup_printf("let x = %s", cases[i].src);
    g_autofree char *want = g_strdup_printf("(let x %s)\n", cases[i].want);
    g_test_message("case %zu: %s", i, src);
    Parsed p = parse(src);
    g_assert_cmpstr(p.errors, ==, "");
    g_assert_cmpstr(p.tree, ==, want);
    parsed_clear(&p);
  }
}

/* Each source gives exactly the diagnostics `want`. */
static void run_errors(const Case *cases, size_t n) {
  for (size_t i = 0; i < n; i++) {
    g_test_message("case %zu: %s", i, cases[i].src);
    Parsed p = parse(cases[i].src);
    g_assert_cmpstr(p.errors, ==, cases[i].want);
    parsed_clear(&p);
  }
}

/* ---- declarations ------------------------------------------------------------ */

static void test_decls(void) {
  static const Case cases[] = {
    {"model b2b_lead version \"2026.01\"", "(model b2b_lead \"2026.01\")\n"},
    {"import \"common/schema.persona\"", "(import \"common/schema.persona\")\n"},
    {"record event { type: string, at: time url: string? }",
     "(record event (type string) (at time) (url string?))\n"},
    /* Keywords as field names; modifiers in any order; nested list types. */
    {"record r {\n  state: string? pii key = \"x\"\n  key: int = 1 + 2,\n"
     "  when: list<list<int>?>?\n}",
     "(record r (state string? (default \"x\") key pii) (key int (default (+ 1 2))) "
     "(when (list (list int)?)?))\n"},
    {"schema { id: string key  events: list<event> = [] }",
     "(schema (id string key) (events (list event) (default (list))))\n"},
    {"schema {}", "(schema)\n"},
    {"const titles = [\"CEO\", \"CTO\",]", "(const titles (list \"CEO\" \"CTO\"))\n"},
    {"let seen = max(at of events)", "(let seen (call max (query (of at) events)))\n"},
    {"tag big when employees >= 500", "(tag big (>= employees 500))\n"},
    {"tag big \"大型企业\" when employees >= 500", "(tag big \"大型企业\" (>= employees 500))\n"},
    {"segment smart_mfg \"智能制造目标客户\" when east_china and large",
     "(segment smart_mfg \"智能制造目标客户\" (and east_china large))\n"},
    {"segment s when a\nsegment t when b", "(segment s a)\n(segment t b)\n"},
    /* `segment` is a word, not a keyword: a model may still use it as a name. */
    {"let segment = 1\ntag x when segment > 0\nsegment segment2 when segment == 1",
     "(let segment 1)\n(tag x (> segment 0))\n(segment segment2 (== segment 1))\n"},
    {"schema { segment: string }\ntag t when segment == \"a\"", "(schema (segment string))\n(tag t (== segment \"a\"))\n"},
    {"schema { at: time ms\n  b: time? s pii\n  c: time ms = 0 }",
     "(schema (at time ms) (b time? pii s) (c time (default 0) ms))\n"},
    {"score fit max 100 decay 7d min -5 { +30 when a }",
     "(score fit (decay 604800000000us) (max 100) (min (neg 5)) (+ 30 when a))\n"},
    {"score s {}", "(score s)\n"},
    {"score total min 0 max 100 = fit + engagement",
     "(score total (max 100) (min 0) (= (+ fit engagement)))\n"},
    {"lifecycle funnel {\n  initial lead\n  lead -> mql when total >= 60\n"
     "  any -> churned when gone\n}",
     "(lifecycle funnel (initial lead) (-> lead mql (>= total 60)) (-> any churned gone))\n"},
    {"lifecycle l { initial a }", "(lifecycle l (initial a))\n"},
    {"journey j {\n  enter on funnel -> \"lead\"\n  reenter after 90d\n  exit when x\n"
     "  send email \"w-1\"\n  task sales \"call\"\n  notify slack \"hi\"\n  webhook \"crm\"\n"
     "  wait 3d\n  wait until total >= 60 for 14d\n}",
     "(journey j (enter on funnel \"lead\") (reenter after 7776000000000us) (exit x) "
     "(send email \"w-1\") (task sales \"call\") (notify slack \"hi\") (webhook \"crm\") "
     "(wait 259200000000us) (wait-until (>= total 60) 1209600000000us))\n"},
    /* Header clauses in any order. */
    {"journey j { exit when b reenter never enter when a }",
     "(journey j (enter when a) (reenter never) (exit b))\n"},
    {"journey j {}", "(journey j)\n"},
    {"test \"t\" {\n  profile {id: \"p1\", at: 1}\n  at \"2026-01-31T00:00:00Z\"\n"
     "  expect fit == 60\n  expect action send email \"w-1\"\n"
     "  expect action webhook \"crm\" at \"2026-02-01\"\n  expect no action\n}",
     "(test \"t\" (profile (record (id \"p1\") (at 1))) (at \"2026-01-31T00:00:00Z\") "
     "(expect (== fit 60)) (expect-action send email \"w-1\") "
     "(expect-action webhook \"crm\" (at \"2026-02-01\")) (expect-no-action))\n"},
    {"extern fn churn_risk(days: number, tickets: int,) -> number from \"libchurn.so\"",
     "(extern churn_risk ((days number) (tickets int)) number \"libchurn.so\")\n"},
    {"extern fn now2() -> time? from \"x.so\"", "(extern now2 () time? \"x.so\")\n"},
    {"", ""},
    {"# only a comment\n", ""},
  };
  run_trees(cases, G_N_ELEMENTS(cases));
}

/* Score rules: W as int, decimal, percentage or (expr); `-` subtracts; a
 * rule after the first starts its line, so a line that starts with `+` or
 * `-` never continues the condition above it. */
static void test_score_rules(void) {
  static const Case cases[] = {
    {"score s {\n  +10 when a\n  -5 when b - 1\n  +(w * 2) per events where x within 7d cap 3\n"
     "  +50% when c cap 1\n  +1.5 per e since t\n  - 2 per e\n}",
     "(score s (+ 10 when a) (- 5 when (- b 1)) "
     "(+ (* w 2) per (query events (where x) (within 604800000000us)) (cap 3)) "
     "(+ 0.5 when c (cap 1)) (+ 1.5 per (query e (since t))) (- 2 per (query e)))\n"},
    /* The first rule may share the line of `{`. */
    {"score s { -1 when a - 1\n +2 when b }", "(score s (- 1 when (- a 1)) (+ 2 when b))\n"},
  };
  run_trees(cases, G_N_ELEMENTS(cases));

  Parsed p = parse("score s { +1 when a }");
  g_assert_cmpstr(p.errors, ==, "");
  parsed_clear(&p);
}

static void test_journey_steps(void) {
  static const Case cases[] = {
    /* else-if is an else body holding one if step; labels wrap the step. */
    {"journey j {\n  @first send email \"a\"\n  if a { wait 1d } else if b { notify slack \"x\" }"
     " else { webhook \"h\" }\n  if c {}\n  split {\n    50%: @x task q \"t\"\n"
     "    50%: { wait 1s  wait until a for 2s }\n  }\n  { send email \"z\" }\n}",
     "(journey j (label first (send email \"a\")) "
     "(if a (then (wait 86400000000us)) (else (if b (then (notify slack \"x\")) "
     "(else (webhook \"h\"))))) (if c (then)) "
     "(split (0.5 (label x (task q \"t\"))) (0.5 (block (wait 1000000us) "
     "(wait-until a 2000000us)))) (block (send email \"z\")))\n"},
  };
  run_trees(cases, G_N_ELEMENTS(cases));
}

/* `at` first on a line is a new test step; on the line of an `expect
 * action`, it is that expectation's time. */
static void test_test_steps(void) {
  static const Case cases[] = {
    {"test \"t\" {\n  expect action send email \"a\"\n  at \"t2\"\n}",
     "(test \"t\" (expect-action send email \"a\") (at \"t2\"))\n"},
    {"test \"t\" {\n  expect action send email \"a\" at \"t1\"\n  at \"t2\"\n}",
     "(test \"t\" (expect-action send email \"a\" (at \"t1\")) (at \"t2\"))\n"},
    {"test \"t\" { at \"t0\" expect x at \"t1\" }",
     "(test \"t\" (at \"t0\") (expect x) (at \"t1\"))\n"},
    /* `action` and `at` are also names inside expressions. */
    {"test \"t\" {\n  expect action == \"x\"\n  expect at > 1\n}",
     "(test \"t\" (expect (== action \"x\")) (expect (> at 1)))\n"},
  };
  run_trees(cases, G_N_ELEMENTS(cases));
}

/* ---- expressions ------------------------------------------------------------- */

static void test_precedence(void) {
  static const Case cases[] = {
    {"a ?? b ?? c", "(?? a (?? b c))"},
    {"a ?? b or c", "(?? a (or b c))"},
    {"a or b and c", "(or a (and b c))"},
    {"a and b or c", "(or (and a b) c)"},
    {"not a and b", "(and (not a) b)"},
    {"not a == b", "(not (== a b))"},
    {"not a in b", "(not (in a b))"},
    {"not not a", "(not (not a))"},
    {"a == b + c * d", "(== a (+ b (* c d)))"},
    {"a + b < c - d", "(< (+ a b) (- c d))"},
    {"a - b - c", "(- (- a b) c)"},
    {"a / b % c * d", "(* (% (/ a b) c) d)"},
    {"-a * b", "(* (neg a) b)"},
    {"- - 1", "(neg (neg 1))"},
    {"-a.b.c", "(neg (. (. a b) c))"},
    {"(a + b) * c", "(* (+ a b) c)"},
    {"a != b", "(!= a b)"},
    {"a <= b", "(<= a b)"},
    {"a >= b", "(>= a b)"},
    {"a > b", "(> a b)"},
    {"a in [1, 2,]", "(in a (list 1 2))"},
    {"5 % 2 + 50%", "(+ (% 5 2) 0.5)"},
    {"x ?? y + 1 > 2 and z", "(?? x (and (> (+ y 1) 2) z))"},
    /* Quantifier bodies extend as far right as possible. */
    {"any x in L: x > 1 and y", "(any x L (and (> x 1) y))"},
    {"a or any x in L: b or c ?? d", "(or a (any x L (?? (or b c) d)))"},
    {"all x in a.b: any y in x: y", "(all x (. a b) (any y x y))"},
    {"any t in titles: starts_with(title, t)", "(any t titles (call starts_with title t))"},
  };
  run_exprs(cases, G_N_ELEMENTS(cases));
}

static void test_literals(void) {
  static const Case cases[] = {
    {"42", "42"},
    {"3.5", "3.5"},
    {"1e3", "1000.0"},
    {"2.5e-3", "0.0025"},
    {"12.5%", "0.125"},
    {"30s", "30000000us"},
    {"\"a\\n\\u{4E0A}\"", "\"a\\n上\""},
    {"true", "true"},
    {"false", "false"},
    {"null", "null"},
    {"[]", "(list)"},
    {"[1, [2], \"x\"]", "(list 1 (list 2) \"x\")"},
    {"{}", "(record)"},
    {"{a: 1, \"b c\": [], when: null,}", "(record (a 1) (\"b c\" (list)) (when null))"},
    {"{\"id\": \"p1\", \"n\": {\"x\": true}}", "(record (id \"p1\") (n (record (x true))))"},
  };
  run_exprs(cases, G_N_ELEMENTS(cases));
}

static void test_calls_and_queries(void) {
  static const Case cases[] = {
    {"f()", "(call f)"},
    {"f(1, 2,)", "(call f 1 2)"},
    {"max(a, b) + min(1)", "(+ (call max a b) (call min 1))"},
    {"count(events)", "(call count events)"},
    {"count(events where type == \"x\" and y within 7d)",
     "(call count (query events (where (and (== type \"x\") y)) (within 604800000000us)))"},
    {"exists(events since entered)", "(call exists (query events (since entered)))"},
    {"sum(amount of events where x since t)",
     "(call sum (query (of amount) events (where x) (since t)))"},
    {"max(at of events)", "(call max (query (of at) events))"},
    {"first(when of e.list)", "(call first (query (of when) (. e list)))"},
    {"days_between(last ?? now, now)", "(call days_between (?? last now) now)"},
  };
  run_exprs(cases, G_N_ELEMENTS(cases));
}

/* The keywords that are names inside expressions, and any word after `.`. */
static void test_keyword_names(void) {
  static const Case cases[] = {
    {"at + state + key + action + on + from + version + model + record + initial",
     "(+ (+ (+ (+ (+ (+ (+ (+ (+ at state) key) action) on) from) version) model) record) initial)"},
    {"profile.state", "(. profile state)"},
    {"x.when.not.any.max.at", "(. (. (. (. (. x when) not) any) max) at)"},
    {"count(events where at > since_t and state == \"x\")",
     "(call count (query events (where (and (> at since_t) (== state \"x\")))))"},
    {"any x in profile: x", "(any x profile x)"},
  };
  run_exprs(cases, G_N_ELEMENTS(cases));
}

/* ---- the spec's examples ------------------------------------------------------- */

static char *read_data(const char *name, size_t *len) {
  g_autofree char *path =
      g_build_filename(PERSONA_SOURCE_DIR, "tests", "unit", "data", "grammar", name, NULL);
  char *text = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok = g_file_get_contents(path, &text, len, &error);
  g_assert_no_error(error);
  g_assert_true(ok);
  return text;
}

/* LANGUAGE.md's snippets of sections 4 to 4.7 and 7, verbatim, parse
 * without a diagnostic into the tree pinned in spec_examples.tree. */
static void test_spec_examples(void) {
  size_t len, tree_len;
  g_autofree char *text = read_data("spec_examples.persona", &len);
  g_autofree char *want = read_data("spec_examples.tree", &tree_len);
  Parsed p = parse_len(text, len);
  g_assert_cmpstr(p.errors, ==, "");
  g_assert_cmpstr(p.tree, ==, want);
  parsed_clear(&p);
}

/* ---- locations ------------------------------------------------------------------ */

#define assert_loc(loc, l, c, el, ec)            \
  do {                                           \
    g_assert_cmpuint((loc).line, ==, (l));       \
    g_assert_cmpuint((loc).col, ==, (c));        \
    g_assert_cmpuint((loc).end_line, ==, (el));  \
    g_assert_cmpuint((loc).end_col, ==, (ec));   \
  } while (0)

static void test_locations(void) {
  const char *text = "# header\ntag hot \"x\" when\n  employees >= 500\n"
                     "score s {\n  +10 when a\n}\n"
                     "record r { at: time? }\n";
  g_autoptr(PSourceSet) src = psrc_new();
  uint32_t f = psrc_add(src, "t.persona", NULL, text, strlen(text));
  g_autoptr(PDiagList) diags = pdiag_new();
  g_autoptr(PAst) ast = past_new();
  PFileAst *file = pparse_file(ast, src, f, diags);
  g_assert_cmpuint(diags->items->len, ==, 0);
  g_assert_cmpuint(file->decls->len, ==, 3);
  g_assert_cmpuint(file->file, ==, f);

  const PDecl *tag = g_ptr_array_index(file->decls, 0);
  assert_loc(tag->loc, 2, 1, 3, 19);
  assert_loc(tag->name_loc, 2, 5, 2, 8);
  g_assert_cmpuint(tag->loc.file, ==, f);
  g_assert_cmpuint(tag->loc.offset, ==, 9);
  g_assert_cmpuint(tag->loc.end_offset, ==, strlen("# header\ntag hot \"x\" when\n  employees >= 500"));
  assert_loc(tag->expr->loc, 3, 3, 3, 19);
  assert_loc(tag->expr->left->loc, 3, 3, 3, 12);
  assert_loc(tag->expr->right->loc, 3, 16, 3, 19);
  g_assert_cmpint(tag->expr->left->local, ==, -1);

  const PDecl *score = g_ptr_array_index(file->decls, 1);
  assert_loc(score->loc, 4, 1, 6, 2);
  const PScoreRule *rule = g_ptr_array_index(score->rules, 0);
  assert_loc(rule->loc, 5, 3, 5, 13);
  assert_loc(rule->weight->loc, 5, 4, 5, 6);

  const PDecl *rec = g_ptr_array_index(file->decls, 2);
  const PFieldDecl *fd = g_ptr_array_index(rec->fields, 0);
  assert_loc(fd->loc, 7, 12, 7, 21);
  assert_loc(fd->type->loc, 7, 16, 7, 21);
  g_assert_true(fd->type->optional);
}

/* ---- syntax errors ---------------------------------------------------------------- */

static void test_errors(void) {
  static const Case cases[] = {
    {"tag hot employees >= 5",
     "1:9: unexpected identifier 'employees', expected one of: string, 'when' | "
     "write 'when' before the condition\n"},
    {"tag hot \"label\" employees >= 5",
     "1:17: unexpected identifier 'employees', expected 'when' | write 'when' before the condition\n"},
    {"let x = 1 +", "1:12: unexpected end of file, expected expression\n"},
    {"let x = a = b", "1:11: unexpected '=' | to compare two values, write '=='\n"},
    {"let x = a < b < c",
     "1:15: unexpected '<' | comparisons do not chain: write 'a < b and b < c'\n"},
    {"let x = 1\n  - 2",
     "2:3: unexpected '-' | a line cannot start with a binary '+' or '-': "
     "end the previous line with the operator instead\n"},
    {"score s { +10 when a +5 when b }",
     "1:25: unexpected 'when' | each score rule after the first starts on its own line\n"},
    {"lifecycle f { a -> b when c }",
     "1:15: unexpected identifier 'a', expected 'initial' | a lifecycle starts with 'initial STAGE'\n"},
    {"journey j { send email \"a\"\n  exit when x }",
     "2:3: unexpected 'exit' | a journey's enter, reenter and exit clauses come before its steps\n"},
    {"record r { a int }",
     "1:12: unexpected identifier 'a', expected one of: field name, '}' | "
     "a field is written 'name: type'\n"},
    {"test \"t\" { expect action fly \"x\" }",
     "1:26: unexpected identifier 'fly' | an action is one of: send, task, notify, webhook\n"},
    {"journey j {\n  fly email \"x\"\n}",
     "2:3: unexpected identifier 'fly' | a journey step is one of: send, task, notify, webhook, "
     "wait, if, split, { … }\n"},
    {"const = 5", "1:7: unexpected '=', expected identifier\n"},
    {"model m \"1\"", "1:9: unexpected string, expected 'version'\n"},
    {"foo bar",
     "1:1: unexpected identifier 'foo' | a declaration starts with one of: model import "
     "schema record const let tag score lifecycle journey test extern identity source segment\n"},
    {"segment when a", "1:9: unexpected 'when', expected one of: identifier, string, '{'\n"},
    {"segment big { }", "1:9: a segment has a condition: 'segment NAME when …'\n"},
    {"identity big when a", "1:1: 'identity' takes a block, not 'when': 'identity { … }'\n"},
    {"tag x when (a", "1:14: unexpected end of file, expected one of: operator, ')'\n"},
    {"let x = [1 2]", "1:12: unexpected integer, expected one of: operator, ']', ','\n"},
    {"journey j { split { 50% send email \"a\" } }",
     "1:25: unexpected 'send', expected ':'\n"},
    {"journey j { split { 0.5: send email \"a\" } }",
     "1:21: unexpected number, expected one of: percentage, '}'\n"},
    /* Errors found by the grammar's actions. */
    {"record r { a: set<int> }", "1:15: unknown type constructor 'set' (the only one is list<T>)\n"},
    {"score s max 1 max 2 { }", "1:15: duplicate 'max' clause\n"},
    {"score s decay 7d = a", "1:15: a derived score ('score s = …') cannot have 'decay'\n"},
    {"journey j { enter when a enter when b }", "1:26: duplicate 'enter' clause\n"},
    {"journey j { reenter never reenter after 1d }", "1:27: duplicate 'reenter' clause\n"},
    {"record r { a: int key pii key }", "1:27: duplicate 'key' on one field\n"},
    {"record r { a: int = 1 = 2 }", "1:23: a field has at most one default value\n"},
    /* Lexical errors come with the token's position, and parsing goes on. */
    {"tag t when x == \"a\\q\"", "1:19: unknown escape sequence '\\q'\n"},
  };
  run_errors(cases, G_N_ELEMENTS(cases));
}

/* Several independent errors in one run; the good declarations between
 * them survive. */
static void test_multiple_errors(void) {
  const char *text =
      "model m version \"1\"\n"
      "tag a when x ==\n"          /* error at the next line's `tag` */
      "tag b when y\n"
      "score s {\n"
      "  +10 when\n"               /* error in a rule; the next rule survives */
      "  +5 when ok\n"
      "}\n"
      "let c = 1 +* 2\n"
      "journey j {\n"
      "  send email\n"             /* error in a step; the next step survives */
      "  wait 1d\n"
      "}\n"
      "test \"t\" {\n"
      "  expect\n"
      "  expect fine\n"
      "}\n"
      "let d = 2\n";
  Parsed p = parse(text);
  g_assert_cmpstr(p.errors, ==,
                  "3:1: unexpected 'tag', expected expression\n"
                  "6:3: unexpected '+', expected expression\n"
                  "8:12: unexpected '*', expected expression\n"
                  "11:3: unexpected 'wait', expected string\n"
                  "15:3: unexpected 'expect', expected one of: expression, 'no'\n");
  g_assert_cmpuint(p.n_errors, ==, 5);
  g_assert_cmpstr(p.tree, ==,
                  "(model m \"1\")\n"
                  "(tag b y)\n"
                  "(score s (+ 5 when ok))\n"
                  "(journey j (wait 86400000000us))\n"
                  "(test \"t\" (expect fine))\n"
                  "(let d 2)\n");
  parsed_clear(&p);
}

/* Recovery inside record fields, lifecycle transitions and split arms. A
 * construct complete but not yet reduced when the error is seen (`a: int`
 * below, whose end only the next token shows) goes with the error. */
static void test_recovery_in_blocks(void) {
  Parsed p = parse("record r {\n  a: int\n  b int\n  c: string\n}\n"
                   "lifecycle f {\n  initial a\n  a -> when x\n  b -> c when y\n}\n"
                   "journey j {\n  split {\n    50%: send\n    50%: wait 1d\n  }\n}\n"
                   "let ok = 1\n");
  g_assert_cmpstr(p.errors, ==,
                  "3:3: unexpected identifier 'b' | a field is written 'name: type'\n"
                  "8:8: unexpected 'when', expected identifier\n"
                  "14:5: unexpected percentage, expected identifier\n");
  g_assert_cmpstr(p.tree, ==,
                  "(record r (c string))\n"
                  "(lifecycle f (initial a) (-> b c y))\n"
                  "(journey j (split (0.5 (wait 86400000000us))))\n"
                  "(let ok 1)\n");
  parsed_clear(&p);
}

/* After PDIAG_MAX_ERRORS the parse stops. */
static void test_error_cap(void) {
  GString *text = g_string_new(NULL);
  for (int i = 0; i < 3 * PDIAG_MAX_ERRORS; i++) g_string_append(text, "tag x when )\n");
  Parsed p = parse_len(text->str, text->len);
  g_assert_cmpuint(p.n_errors, ==, PDIAG_MAX_ERRORS);
  g_assert_true(g_str_has_prefix(p.errors, "1:12: unexpected ')', expected expression\n"
                                           "2:12: unexpected ')', expected expression\n"));
  parsed_clear(&p);
  g_string_free(text, TRUE);
}

static void test_deep_nesting(void) {
  GString *text = g_string_new("let x = ");
  for (int i = 0; i < 20000; i++) g_string_append_c(text, '[');
  Parsed p = parse_len(text->str, text->len);
  g_assert_true(strstr(p.errors, "nested too deeply for the parser") != NULL);
  parsed_clear(&p);
  g_string_free(text, TRUE);
}

/* No message may show a grammar-internal name ("IDENT", "$end", "error"):
 * parse every prefix of the spec's examples, and the file without each of
 * its lines. */
static void assert_no_internal_names(const char *errors) {
  static const char *const internal[] = {
    "PT_", "YY", "$", "IDENT", "LABEL", "LPLUS", "LMINUS", "AT_NL", "line start",
    "error", "invalid token", "UMINUS", "QUANT", "NUMBER", "STRING", "_",
  };
  for (size_t i = 0; i < G_N_ELEMENTS(internal); i++) {
    /* Identifiers quoted from the source may contain `_`: check the text
     * outside quotes only. */
    g_autofree char *stripped = g_strdup(errors);
    gboolean in_quote = FALSE;
    for (char *c = stripped; *c; c++) {
      if (*c == '\'' || *c == '"') in_quote = !in_quote;
      else if (in_quote) *c = ' ';
      if (*c == '\n') in_quote = FALSE;
    }
    if (strstr(stripped, internal[i])) g_test_message("%s", errors);
    g_assert_null(strstr(stripped, internal[i]));
  }
}

static void test_no_internal_names(void) {
  size_t len;
  g_autofree char *text = read_data("spec_examples.persona", &len);
  guint with_errors = 0;
  for (size_t cut = 0; cut < len; cut += 7) {
    Parsed p = parse_len(text, cut);
    assert_no_internal_names(p.errors);
    with_errors += p.n_errors > 0;
    parsed_clear(&p);
  }
  g_assert_cmpuint(with_errors, >, 100);
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (guint skip = 0; lines[skip]; skip++) {
    GString *t = g_string_new(NULL);
    for (guint i = 0; lines[i]; i++)
      if (i != skip) g_string_append_printf(t, "%s\n", lines[i]);
    Parsed p = parse_len(t->str, t->len);
    assert_no_internal_names(p.errors);
    parsed_clear(&p);
    g_string_free(t, TRUE);
  }
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/grammar/parser/decls", test_decls);
  g_test_add_func("/grammar/parser/score-rules", test_score_rules);
  g_test_add_func("/grammar/parser/journey-steps", test_journey_steps);
  g_test_add_func("/grammar/parser/test-steps", test_test_steps);
  g_test_add_func("/grammar/parser/precedence", test_precedence);
  g_test_add_func("/grammar/parser/literals", test_literals);
  g_test_add_func("/grammar/parser/calls-and-queries", test_calls_and_queries);
  g_test_add_func("/grammar/parser/keyword-names", test_keyword_names);
  g_test_add_func("/grammar/parser/spec-examples", test_spec_examples);
  g_test_add_func("/grammar/parser/locations", test_locations);
  g_test_add_func("/grammar/parser/errors", test_errors);
  g_test_add_func("/grammar/parser/multiple-errors", test_multiple_errors);
  g_test_add_func("/grammar/parser/recovery-in-blocks", test_recovery_in_blocks);
  g_test_add_func("/grammar/parser/error-cap", test_error_cap);
  g_test_add_func("/grammar/parser/deep-nesting", test_deep_nesting);
  g_test_add_func("/grammar/parser/no-internal-names", test_no_internal_names);
  return g_test_run();
}
