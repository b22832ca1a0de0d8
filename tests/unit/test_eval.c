/* test_eval.c - language semantics end to end: a model fragment, one
 * profile, the exact result line. Expected values were computed by hand
 * (and the decay sums with Python's 0.5 ** x) from the spec's rules, not
 * copied from the implementation's output. */
#include <string.h>

#include <glib.h>

#include "persona.h"

/* Every case is compiled with this preamble in front of its declarations. */
static const char *const preamble =
    "model t version \"1\"\n"
    "record event {\n"
    "  type: string\n"
    "  at: time\n"
    "  url: string?\n"
    "  amount: number = 0\n"
    "  n: int?\n"
    "}\n"
    "schema {\n"
    "  id: string key\n"
    "  employees: int = 0\n"
    "  score_in: number?\n"
    "  title: string = \"\"\n"
    "  region: string?\n"
    "  flag: bool?\n"
    "  labels: list<string> = []\n"
    "  events: list<event> = []\n"
    "}\n";

/* Three visible events and one after `now` (invisible to everything). */
static const char *const profile =
    "{\"id\":\"p\",\"employees\":10,\"region\":\"上海\",\"events\":["
    "{\"type\":\"view\",\"at\":\"2026-01-31T00:00:00Z\",\"url\":\"/pricing\",\"amount\":1,\"n\":2},"
    "{\"type\":\"view\",\"at\":\"2026-01-20T00:00:00Z\",\"amount\":2.5},"
    "{\"type\":\"buy\",\"at\":\"2026-01-31T00:00:00Z\",\"amount\":10,\"n\":5},"
    "{\"type\":\"view\",\"at\":\"2026-03-01T00:00:00Z\",\"amount\":100,\"n\":7}]}";

#define NOW "2026-02-01T00:00:00Z"

typedef struct {
  const char *name;
  const char *decls;
  const char *expected; /* the result line up to the transitions (or the error object) */
  const char *state;    /* the "state" that follows, when the model has lifecycles */
  /* next_change, computed by hand (docs/language.md, "When results
   * change"), NULL for null. The event of Mar 1 is after now: a model that
   * reads the events changes then at the latest. */
  const char *next_change;
} EvalCase;

#define NO_STATE "{\"v\":1,\"lifecycles\":[],\"journeys\":[]}"

static const EvalCase cases[] = {
  {"null-rules",
   "tag t1 when flag\n"
   "tag t2 when not flag\n"
   "tag t3 when flag == null\n"
   "tag t4 when score_in < 5\n"
   "tag t5 when (score_in ?? 1) < 5\n"
   "tag t6 when region in [\"上海\"]\n"
   "tag t7 when flag in [true]\n"
   "tag t8 when score_in != null or region != null\n",
   "{\"id\":\"p\",\"tags\":[\"t2\",\"t3\",\"t5\",\"t6\",\"t8\"],\"scores\":{},\"stages\":{},\"transitions\":[]}"},

  {"aggregates",
   "score c_all = count(events)\n"
   "score c_view = count(events where type == \"view\")\n"
   "score c_7d = count(events within 7d)\n"
   "score c_since = count(events since date(\"2026-01-25\"))\n"
   "score s_amount = sum(amount of events)\n"
   "score s_n = sum(n of events)\n"
   "score a_n = avg(n of events) ?? -1\n"
   "score mn = min(amount of events) ?? -1\n"
   "score mx = max(amount of events) ?? -1\n"
   "score d_type = distinct(type of events)\n"
   "score c_n = count(n of events)\n"
   "score s_none = sum(amount of events where type == \"zzz\")\n",
   "{\"id\":\"p\",\"tags\":[],\"scores\":{\"c_all\":3,\"c_view\":2,\"c_7d\":2,\"c_since\":2,"
   "\"s_amount\":13.5,\"s_n\":7,\"a_n\":3.5,\"mn\":1,\"mx\":10,\"d_type\":2,\"c_n\":2,\"s_none\":0},"
   "\"stages\":{},\"transitions\":[]}",
   NULL, "2026-02-07T00:00:00.000001Z"},

  {"first-last-exists",
   "tag first_is_view when first(type of events) == \"view\"\n"
   "tag last_is_buy when last(type of events) == \"buy\"\n"
   "tag bought when exists(events where type == \"buy\")\n"
   "tag avg_nothing_null when avg(n of events where type == \"zzz\") == null\n"
   "tag last_seen_jan31 when max(at of events) == date(\"2026-01-31\")\n",
   "{\"id\":\"p\",\"tags\":[\"first_is_view\",\"last_is_buy\",\"bought\",\"avg_nothing_null\",\"last_seen_jan31\"],"
   "\"scores\":{},\"stages\":{},\"transitions\":[]}",
   NULL, "2026-03-01T00:00:00Z"},

  {"aggregates-windowed",
   "score s7 = sum(amount of events within 7d)\n"
   "score mn7 = min(amount of events within 7d) ?? -1\n"
   "score mx_since = max(amount of events since date(\"2026-01-25\")) ?? -1\n"
   "score d7 = distinct(type of events within 7d)\n"
   "score avg7 = avg(amount of events within 7d) ?? -1\n"
   "score views30 = count(events where type == \"view\" within 30d)\n"
   "tag first7_view when first(type of events within 7d) == \"view\"\n"
   "tag last7_buy when last(type of events within 7d) == \"buy\"\n"
   "tag edge_inclusive when exists(events where type == \"view\" within 1d)\n"
   "tag nothing when exists(events where type == \"zzz\" within 1d)\n",
   /* within 7d keeps the two events of Jan 31 (amounts 1 and 10); ties on
    * `at` go to input order: first = view, last = buy */
   "{\"id\":\"p\",\"tags\":[\"first7_view\",\"last7_buy\",\"edge_inclusive\"],"
   "\"scores\":{\"s7\":11,\"mn7\":1,\"mx_since\":10,\"d7\":2,\"avg7\":5.5,\"views30\":2},"
   "\"stages\":{},\"transitions\":[]}",
   NULL, "2026-02-01T00:00:00.000001Z"},

  {"fused-window-guards",
   /* One fused pass, its parts reordered longest window first behind
    * guards: the Jan 20 event is older than every window (11 days at
    * most) and must still reach the parts without one; bounds stay
    * inclusive (the Jan 31 events are exactly 1 day old). */
   "score c1 = count(events within 1d)\n"
   "score c11 = count(events where type == \"view\" within 11d)\n"
   "score n_all = count(events)\n"
   "score c10 = count(events within 10d)\n"
   "score v_all = count(events where type == \"view\")\n",
   "{\"id\":\"p\",\"tags\":[],"
   "\"scores\":{\"c1\":2,\"c11\":1,\"n_all\":3,\"c10\":2,\"v_all\":2},"
   "\"stages\":{},\"transitions\":[]}",
   NULL, "2026-02-01T00:00:00.000001Z"},

  {"record-literal-const",
   "const cfg = {threshold: 5, \"regions\": [\"上海\", \"江苏\"]}\n"
   "tag big when employees >= cfg.threshold\n"
   "tag east when region in cfg.regions\n",
   "{\"id\":\"p\",\"tags\":[\"big\",\"east\"],\"scores\":{},\"stages\":{},\"transitions\":[]}"},

  {"decay-and-caps",
   "score dv decay 14d { +10 per events where type == \"view\" }\n"
   "score cp { +5 per events cap 12 }\n"
   "score ncp { -5 per events cap 12 }\n"
   "score mx max 20 { +15 when true\n +15 when true }\n"
   "score mn min 0 { -5 when true }\n"
   "score w { +(employees / 4) when true }\n",
   /* dv = 10 × (0.5^(1/14) + 0.5^(12/14)) */
   "{\"id\":\"p\",\"tags\":[],\"scores\":{\"dv\":15.037399098475257,\"cp\":12,\"ncp\":-12,\"mx\":20,\"mn\":0,\"w\":2.5},"
   "\"stages\":{},\"transitions\":[]}",
   NULL, "2026-03-01T00:00:00Z"},

  {"lifecycle-chain",
   "lifecycle lc {\n"
   "  initial a\n"
   "  a -> b when true\n"
   "  b -> c when true\n"
   "  c -> a when true\n"
   "  any -> d when false\n"
   "}\n"
   "tag at_c when lc == \"c\"\n"
   "tag entered_now when entered(lc) == now\n",
   "{\"id\":\"p\",\"tags\":[\"at_c\",\"entered_now\"],\"scores\":{},\"stages\":{\"lc\":\"c\"},\"transitions\":["
   "{\"lifecycle\":\"lc\",\"from\":null,\"to\":\"a\",\"at\":\"2026-02-01T00:00:00Z\"},"
   "{\"lifecycle\":\"lc\",\"from\":\"a\",\"to\":\"b\",\"at\":\"2026-02-01T00:00:00Z\"},"
   "{\"lifecycle\":\"lc\",\"from\":\"b\",\"to\":\"c\",\"at\":\"2026-02-01T00:00:00Z\"}]}",
   "{\"v\":1,\"lifecycles\":[{\"name\":\"lc\",\"stage\":\"c\",\"entered\":\"2026-02-01T00:00:00Z\"}],\"journeys\":[]}",
   "2026-02-01T00:00:00.000001Z"},

  {"lifecycle-any-and-order",
   "lifecycle lc {\n"
   "  initial lead\n"
   "  lead -> mql when employees >= 5\n"
   "  lead -> sql when true\n"
   "  any -> churned when count(events) < 10\n"
   "}\n",
   /* lead -> mql (first written wins), then mql has no own rule: any -> churned */
   "{\"id\":\"p\",\"tags\":[],\"scores\":{},\"stages\":{\"lc\":\"churned\"},\"transitions\":["
   "{\"lifecycle\":\"lc\",\"from\":null,\"to\":\"lead\",\"at\":\"2026-02-01T00:00:00Z\"},"
   "{\"lifecycle\":\"lc\",\"from\":\"lead\",\"to\":\"mql\",\"at\":\"2026-02-01T00:00:00Z\"},"
   "{\"lifecycle\":\"lc\",\"from\":\"mql\",\"to\":\"churned\",\"at\":\"2026-02-01T00:00:00Z\"}]}",
   "{\"v\":1,\"lifecycles\":[{\"name\":\"lc\",\"stage\":\"churned\",\"entered\":\"2026-02-01T00:00:00Z\"}],\"journeys\":[]}",
   "2026-03-01T00:00:00Z"},

  {"lifecycle-any-fused",
   /* The queries of `any` transitions join the tag's pass over events:
    * Jan 20 is exactly 12 days old (inclusive), so cold fires; the Jan 31
    * events keep churned from firing. */
   "tag recent when exists(events within 1d)\n"
   "lifecycle lc {\n"
   "  initial lead\n"
   "  any -> cold when count(events within 12d) >= 3\n"
   "  any -> churned when not exists(events within 11d)\n"
   "}\n",
   "{\"id\":\"p\",\"tags\":[\"recent\"],\"scores\":{},\"stages\":{\"lc\":\"cold\"},\"transitions\":["
   "{\"lifecycle\":\"lc\",\"from\":null,\"to\":\"lead\",\"at\":\"2026-02-01T00:00:00Z\"},"
   "{\"lifecycle\":\"lc\",\"from\":\"lead\",\"to\":\"cold\",\"at\":\"2026-02-01T00:00:00Z\"}]}",
   "{\"v\":1,\"lifecycles\":[{\"name\":\"lc\",\"stage\":\"cold\",\"entered\":\"2026-02-01T00:00:00Z\"}],\"journeys\":[]}",
   "2026-02-01T00:00:00.000001Z"},

  {"arithmetic",
   "score q = 7 / 2\n"
   "score r = 7 % 3\n"
   "score r2 = -7 % 3\n"
   "score days = (now - date(\"2026-01-01\")) / 1d\n"
   "score mix = employees + 0.5\n"
   "tag dur when 2 * 1d == 2d and 1d / 2 == 12h\n"
   "tag later when date(\"2026-01-01\") + 31d == now\n"
   "tag concat when title + \"x\" == \"x\"\n",
   "{\"id\":\"p\",\"tags\":[\"dur\",\"later\",\"concat\"],\"scores\":{\"q\":3.5,\"r\":1,\"r2\":-1,\"days\":31,\"mix\":10.5},"
   "\"stages\":{},\"transitions\":[]}",
   NULL, "2026-02-01T00:00:00.000001Z"},

  {"quantifiers-and-sets",
   "const nums = [1, 2.5]\n"
   "const titles = [\"CEO\", \"CTO\"]\n"
   "tag any_x when any t in labels: t == \"x\"\n"
   "tag all_x when all t in labels: t == \"x\"\n"
   "tag in_nums when employees in nums\n"
   "tag one_in_nums when 1 in nums\n"
   "tag big_amount when any e in events: e.amount > 5\n"
   "tag no_title when not (any t in titles: starts_with(title, t))\n",
   "{\"id\":\"p\",\"tags\":[\"all_x\",\"one_in_nums\",\"big_amount\",\"no_title\"],\"scores\":{},\"stages\":{},\"transitions\":[]}",
   NULL, "2026-03-01T00:00:00Z"},

  {"division-by-zero",
   "score z = 1 / (employees - 10)\n",
   "{\"id\":\"p\",\"line\":1,\"error\":\"division by zero in score z (t.persona:19:11)\",\"code\":\"runtime\"}"},

  {"int-overflow",
   "score o = employees * 9223372036854775807\n",
   "{\"id\":\"p\",\"line\":1,\"error\":\"integer overflow in '*' in score o (t.persona:19:11)\",\"code\":\"runtime\"}"},
};

static void run_case(gconstpointer data) {
  const EvalCase *tc = data;
  g_autofree char *src = g_strconcat(preamble, tc->decls, NULL);
  g_autoptr(PersonaDiagnostics) diags = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaModel) model = persona_compile_source("t.persona", src, strlen(src), NULL, &diags, &error);
  if (!model) {
    g_autofree char *text = persona_diagnostics_to_text(diags, FALSE);
    g_test_message("%s", text);
  }
  g_assert_no_error(error);
  g_assert_nonnull(model);
  gint64 now;
  g_assert_true(persona_time_parse(NOW, &now));
  g_autoptr(PersonaVM) vm = persona_vm_new(model);
  g_autoptr(GString) out = g_string_new(NULL);
  persona_vm_eval_json(vm, profile, strlen(profile), now, 1, out);
  g_autofree char *want = NULL;
  if (strstr(tc->expected, "\"error\":")) {
    want = g_strdup(tc->expected);
  } else {
    /* no journeys here: no actions, nothing to wake for */
    g_autofree char *nc = tc->next_change ? g_strdup_printf("\"%s\"", tc->next_change) : g_strdup("null");
    g_autofree char *state = g_strdup(tc->state ? tc->state : NO_STATE);
    if (tc->next_change) { /* the state carries it too */
      g_autofree char *head = g_strndup(state, strlen(state) - 1);
      g_free(state);
      state = g_strdup_printf("%s,\"next_change\":%s}", head, nc);
    }
    want = g_strdup_printf("%.*s,\"actions\":[],\"next_wake\":null,\"next_change\":%s,\"state\":%s}",
                           (int)strlen(tc->expected) - 1, tc->expected, nc, state);
  }
  g_assert_cmpstr(out->str, ==, want);
}

/* The same VM evaluates records one after another: nothing leaks from one
 * record into the next. */
static void test_vm_reuse(void) {
  const char *src =
      "model t version \"1\"\n"
      "schema { id: string key\n n: int = 0 }\n"
      "score s = n * 2\n";
  g_autoptr(PersonaModel) model = persona_compile_source("t.persona", src, strlen(src), NULL, NULL, NULL);
  g_assert_nonnull(model);
  g_autoptr(PersonaVM) vm = persona_vm_new(model);
  const char *in[] = {"{\"id\":\"a\",\"n\":1}", "{\"id\":\"b\",\"n\":\"x\"}", "{\"id\":\"c\"}"};
  const char *want[] = {
      "{\"id\":\"a\",\"tags\":[],\"scores\":{\"s\":2},\"stages\":{},\"transitions\":[],"
      "\"actions\":[],\"next_wake\":null,\"next_change\":null,\"state\":" NO_STATE "}",
      "{\"id\":\"b\",\"line\":2,\"error\":\"n: expected an integer, got \\\"x\\\"\",\"code\":\"type_mismatch\",\"field\":\"n\"}",
      "{\"id\":\"c\",\"tags\":[],\"scores\":{\"s\":0},\"stages\":{},\"transitions\":[],"
      "\"actions\":[],\"next_wake\":null,\"next_change\":null,\"state\":" NO_STATE "}",
  };
  for (int i = 0; i < 3; i++) {
    g_autoptr(GString) out = g_string_new(NULL);
    PersonaEvalStatus st = persona_vm_eval_json(vm, in[i], strlen(in[i]), 0, (guint64)i + 1, out);
    g_assert_cmpint(st, ==, i == 1 ? PERSONA_EVAL_RECORD_ERROR : PERSONA_EVAL_OK);
    g_assert_cmpstr(out->str, ==, want[i]);
  }
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *path = g_strdup_printf("/eval/%s", cases[i].name);
    g_test_add_data_func(path, &cases[i], run_case);
  }
  g_test_add_func("/eval/vm-reuse", test_vm_reuse);
  return g_test_run();
}
