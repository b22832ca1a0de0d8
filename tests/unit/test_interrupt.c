/* test_interrupt.c - persona_vm_set_interrupt: a host can stop a long
 * evaluation (a PostgreSQL backend on a query cancel), the hook is polled
 * every PVM_INTERRUPT_EVERY instructions and not more, the VM goes on
 * normally afterwards, and the instruction budget means exactly the same
 * with and without a hook. */
#include <string.h>

#include <glib.h>

#include "persona.h"

#define NOW_US G_GINT64_CONSTANT(1769904000000000) /* 2026-02-01T00:00:00Z */

/* One query over the events: the VM loops over the list, so the number of
 * instructions grows with the number of events. */
static const char MODEL[] =
    "model spin version \"1\"\n"
    "record event {\n"
    "  type: string\n"
    "  at: time\n"
    "}\n"
    "schema {\n"
    "  id: string key\n"
    "  events: list<event> = []\n"
    "}\n"
    "let clicks = count(events where type == \"click\")\n"
    "tag busy when clicks >= 10\n"
    "score activity {\n"
    "  +1 per events where type == \"click\" cap 1000000\n"
    "}\n";

static PersonaModel *spin_model(void) {
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaDiagnostics) diags = NULL;
  PersonaModel *m = persona_compile_source("spin.persona", MODEL, strlen(MODEL), NULL, &diags, &error);
  if (!m) {
    g_autofree char *text = persona_diagnostics_to_text(diags, FALSE);
    g_printerr("%s", text);
  }
  g_assert_no_error(error);
  return m;
}

/* A profile with `n` events, every other one a click. */
static GString *profile(guint n) {
  GString *s = g_string_new("{\"id\":\"p1\",\"events\":[");
  for (guint i = 0; i < n; i++)
    g_string_append_printf(s, "%s{\"type\":\"%s\",\"at\":\"2026-01-%02uT10:00:00Z\"}", i ? "," : "",
                           i % 2 ? "click" : "view", 1 + i % 28);
  g_string_append(s, "]}");
  return s;
}

typedef struct {
  guint calls;
  guint stop_at; /* return TRUE on this call (1-based); 0: never */
} Poll;

static gboolean poll_check(gpointer data) {
  Poll *p = data;
  p->calls++;
  return p->stop_at != 0 && p->calls >= p->stop_at;
}

/* The JSON result of one evaluation (caller frees). */
static char *eval_json(PersonaVM *vm, const GString *json, PersonaEvalStatus *rc) {
  const PersonaResult *r = NULL;
  *rc = persona_vm_eval(vm, json->str, json->len, NULL, 0, NOW_US, &r);
  GString *out = g_string_new(NULL);
  persona_result_to_json(r, out);
  return g_string_free(out, FALSE);
}

static void test_stops_long_record(void) {
  g_autoptr(PersonaModel) m = spin_model();
  g_autoptr(PersonaVM) vm = persona_vm_new(m);
  g_autoptr(GString) big = profile(50000);
  Poll poll = {.stop_at = 3};
  persona_vm_set_interrupt(vm, poll_check, &poll);
  const PersonaResult *r = NULL;
  PersonaEvalStatus rc = persona_vm_eval(vm, big->str, big->len, NULL, 0, NOW_US, &r);
  g_assert_cmpint(rc, ==, PERSONA_EVAL_RECORD_ERROR);
  g_assert_cmpuint(poll.calls, ==, 3);
  g_assert_true(g_str_has_prefix(persona_result_error(r), "interrupted in "));
  /* The record's id is still known, as for any record error. */
  g_autoptr(GString) id = g_string_new(NULL);
  persona_result_id_json(r, id);
  g_assert_cmpstr(id->str, ==, "\"p1\"");
}

/* A hook that never stops changes nothing in the result, and is polled
 * about once per PVM_INTERRUPT_EVERY (4096) instructions: never for a small
 * record, often for a large one. */
static void test_results_unchanged(void) {
  g_autoptr(PersonaModel) m = spin_model();
  const guint sizes[] = {0, 3, 1000, 50000};
  for (guint k = 0; k < G_N_ELEMENTS(sizes); k++) {
    g_autoptr(GString) json = profile(sizes[k]);
    g_autoptr(PersonaVM) plain = persona_vm_new(m);
    g_autoptr(PersonaVM) hooked = persona_vm_new(m);
    Poll poll = {0};
    persona_vm_set_interrupt(hooked, poll_check, &poll);
    PersonaEvalStatus rc1, rc2;
    g_autofree char *want = eval_json(plain, json, &rc1);
    g_autofree char *got = eval_json(hooked, json, &rc2);
    g_assert_cmpint(rc1, ==, PERSONA_EVAL_OK);
    g_assert_cmpint(rc2, ==, PERSONA_EVAL_OK);
    g_assert_cmpstr(got, ==, want);
    if (sizes[k] <= 3) g_assert_cmpuint(poll.calls, ==, 0);
    else if (sizes[k] == 50000) g_assert_cmpuint(poll.calls, >=, 20);
  }
}

/* After an interruption the VM evaluates the next record as a fresh VM
 * would; removing the hook stops the polls. */
static void test_next_record_and_removal(void) {
  g_autoptr(PersonaModel) m = spin_model();
  g_autoptr(PersonaVM) vm = persona_vm_new(m);
  g_autoptr(PersonaVM) fresh = persona_vm_new(m);
  g_autoptr(GString) big = profile(50000);
  Poll poll = {.stop_at = 1};
  persona_vm_set_interrupt(vm, poll_check, &poll);
  PersonaEvalStatus rc;
  g_autofree char *first = eval_json(vm, big, &rc);
  g_assert_cmpint(rc, ==, PERSONA_EVAL_RECORD_ERROR);
  g_assert_nonnull(strstr(first, "\"error\":\"interrupted in "));

  persona_vm_set_interrupt(vm, NULL, NULL);
  guint before = poll.calls;
  g_autofree char *again = eval_json(vm, big, &rc);
  g_assert_cmpint(rc, ==, PERSONA_EVAL_OK);
  g_assert_cmpuint(poll.calls, ==, before);
  g_autofree char *want = eval_json(fresh, big, &rc);
  g_assert_cmpstr(again, ==, want);
}

/* Whether `budget` suffices for `json` on a VM with or without a hook. */
static gboolean fits(PersonaModel *m, const GString *json, guint64 budget, gboolean hook) {
  g_autoptr(PersonaVM) vm = persona_vm_new(m);
  Poll poll = {0};
  persona_vm_set_budget(vm, budget);
  if (hook) persona_vm_set_interrupt(vm, poll_check, &poll);
  const PersonaResult *r = NULL;
  if (persona_vm_eval(vm, json->str, json->len, NULL, 0, NOW_US, &r) == PERSONA_EVAL_OK) return TRUE;
  g_assert_true(g_str_has_prefix(persona_result_error(r), "instruction budget of "));
  return FALSE;
}

/* The smallest budget that lets a record through is the same with a hook:
 * slices never lose or add an instruction, whether the budget ends inside
 * the first slice or after several. */
static void test_budget_unchanged(void) {
  g_autoptr(PersonaModel) m = spin_model();
  const guint sizes[] = {2, 100, 3000};
  for (guint k = 0; k < G_N_ELEMENTS(sizes); k++) {
    g_autoptr(GString) json = profile(sizes[k]);
    guint64 lo = 1, hi = 1;
    while (!fits(m, json, hi, FALSE)) hi *= 2;
    while (lo < hi) { /* the smallest budget that fits */
      guint64 mid = lo + (hi - lo) / 2;
      if (fits(m, json, mid, FALSE)) hi = mid;
      else lo = mid + 1;
    }
    if (sizes[k] == 3000) g_assert_cmpuint(lo, >, 3 * 4096); /* several slices */
    g_assert_true(fits(m, json, lo, TRUE));
    g_assert_false(fits(m, json, lo - 1, TRUE));
  }
}

/* ---- a regex match is work like instructions ------------------------------------------ */

/* \w+\s*\w+\s*= over "aaa…a!=": quadratic backtracking, the case that
 * once held a record (and a PostgreSQL backend) for minutes. */
static const char REGEX_MODEL[] =
    "model re version \"1\"\n"
    "schema {\n"
    "  id: string key\n"
    "  s: string = \"\"\n"
    "}\n"
    "tag hit when matches(s, \"\\\\w+\\\\s*\\\\w+\\\\s*=\")\n";

static GString *regex_profile(guint n) {
  GString *s = g_string_new("{\"id\":\"r\",\"s\":\"");
  for (guint i = 0; i < n; i++) g_string_append_c(s, 'a');
  g_string_append(s, "!=\"}");
  return s;
}

static PersonaModel *regex_model(void) {
  g_autoptr(GError) error = NULL;
  PersonaModel *m = persona_compile_source("re.persona", REGEX_MODEL, strlen(REGEX_MODEL), NULL, NULL, &error);
  g_assert_no_error(error);
  return m;
}

/* The hook is polled inside one long match, and stops it. */
static void test_regex_interrupted(void) {
  g_autoptr(PersonaModel) m = regex_model();
  g_autoptr(PersonaVM) vm = persona_vm_new(m);
  g_autoptr(GString) json = regex_profile(250); /* about 5.3 M steps (cubic): within the limit */
  Poll poll = {.stop_at = 5};
  persona_vm_set_interrupt(vm, poll_check, &poll);
  const PersonaResult *r = NULL;
  g_assert_cmpint(persona_vm_eval(vm, json->str, json->len, NULL, 0, NOW_US, &r), ==, PERSONA_EVAL_RECORD_ERROR);
  g_assert_cmpuint(poll.calls, ==, 5);
  g_assert_cmpstr(persona_result_error(r), ==, "interrupted in tag hit (re.persona:6:14)");
  /* Without a hook the same record runs to its end (no match). */
  g_autoptr(PersonaVM) plain = persona_vm_new(m);
  g_assert_cmpint(persona_vm_eval(plain, json->str, json->len, NULL, 0, NOW_US, &r), ==, PERSONA_EVAL_OK);
}

/* The budget counts the match's steps: a budget that a short text fits in
 * stops the long one inside matches(). */
static void test_regex_budget(void) {
  g_autoptr(PersonaModel) m = regex_model();
  g_autoptr(GString) small = regex_profile(10), big = regex_profile(250);
  g_autoptr(PersonaVM) vm = persona_vm_new(m);
  persona_vm_set_budget(vm, 100000);
  const PersonaResult *r = NULL;
  g_assert_cmpint(persona_vm_eval(vm, small->str, small->len, NULL, 0, NOW_US, &r), ==, PERSONA_EVAL_OK);
  g_assert_cmpint(persona_vm_eval(vm, big->str, big->len, NULL, 0, NOW_US, &r), ==, PERSONA_EVAL_RECORD_ERROR);
  g_assert_cmpstr(persona_result_error(r), ==, "instruction budget of 100000 exceeded in tag hit (re.persona:6:14)");
}

/* Past the fixed limit (10 M steps + 64 per byte of text) a match is an
 * error of the record whatever the budget: 524 288 characters once took
 * 451 s. */
static void test_regex_work_limit(void) {
  g_autoptr(PersonaModel) m = regex_model();
  g_autoptr(PersonaVM) vm = persona_vm_new(m);
  g_autoptr(GString) json = regex_profile(524288);
  const PersonaResult *r = NULL;
  g_assert_cmpint(persona_vm_eval(vm, json->str, json->len, NULL, 0, NOW_US, &r), ==, PERSONA_EVAL_RECORD_ERROR);
  g_assert_cmpstr(persona_result_error(r), ==,
                  "matches(): the regular expression needs too much work on this text (more than 43554560 steps) "
                  "in tag hit (re.persona:6:14)");
}


/* ---- compilation (PersonaCompileOptions.interrupt) ---------------------------- */

/* A model long enough that every phase polls many times: `n` tags, each a
 * few dozen tokens, and constants that are computed. */
static GString *long_model(guint n) {
  GString *s = g_string_new("model long version \"1\"\nschema {\n  id: string key\n  n: int = 0\n}\n"
                            "const a = \"x,x,x,x\"\n");
  for (guint i = 0; i < n; i++) {
    g_string_append_printf(s, "const c%u = replace(a, \"x\", \"%u\")\n", i, i);
    g_string_append_printf(s, "tag t%u when n > %u and n < %u + 5 or len(c%u) == %u\n", i, i, i, i, i);
  }
  return s;
}

static GBytes *compile_bytes(const GString *text, Poll *poll, GError **error) {
  PersonaCompileOptions opts = {0};
  if (poll) {
    opts.interrupt = poll_check;
    opts.interrupt_data = poll;
  }
  g_autoptr(PersonaModel) m = persona_compile_source("long.persona", text->str, text->len, &opts, NULL, error);
  return m ? persona_model_to_bytecode(m, error) : NULL;
}

/* A hook that never stops changes nothing; one that stops at its k-th
 * poll, for k across the whole compilation (parser, checker, constants,
 * code generation), always gives NULL and PERSONA_ERROR_INTERRUPTED. */
static void test_compile_interrupted(void) {
  g_autoptr(GString) text = long_model(2000);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) plain = compile_bytes(text, NULL, &error);
  g_assert_no_error(error);
  Poll never = {0};
  g_autoptr(GBytes) hooked = compile_bytes(text, &never, &error);
  g_assert_no_error(error);
  g_assert_true(g_bytes_equal(plain, hooked));
  /* 2000 constants and 2000 units are polled one by one, the parser every
   * 4096 of its ~70 000 tokens. */
  g_assert_cmpuint(never.calls, >, 2 * 2000);
  guint total = never.calls;
  for (guint k = 1; k <= total; k += total / 37 + 1) {
    Poll stop = {.stop_at = k};
    g_autoptr(GError) err = NULL;
    g_autoptr(GBytes) none = compile_bytes(text, &stop, &err);
    g_assert_null(none);
    g_assert_error(err, PERSONA_ERROR, PERSONA_ERROR_INTERRUPTED);
    g_assert_cmpstr(err->message, ==, "long.persona: compilation interrupted");
    /* It stops at once: no poll after the one that said stop. */
    g_assert_cmpuint(stop.calls, ==, k);
  }
  Poll last = {.stop_at = total};
  g_autoptr(GBytes) none = compile_bytes(text, &last, &error);
  g_assert_null(none);
  g_assert_error(error, PERSONA_ERROR, PERSONA_ERROR_INTERRUPTED);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/runtime/interrupt/regex-interrupted", test_regex_interrupted);
  g_test_add_func("/runtime/interrupt/regex-budget", test_regex_budget);
  g_test_add_func("/runtime/interrupt/regex-work-limit", test_regex_work_limit);
  g_test_add_func("/runtime/interrupt/stops-long-record", test_stops_long_record);
  g_test_add_func("/runtime/interrupt/results-unchanged", test_results_unchanged);
  g_test_add_func("/runtime/interrupt/next-record-and-removal", test_next_record_and_removal);
  g_test_add_func("/runtime/interrupt/budget-unchanged", test_budget_unchanged);
  g_test_add_func("/runtime/interrupt/compile-interrupted", test_compile_interrupted);
  return g_test_run();
}
