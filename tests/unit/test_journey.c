/* test_journey.c - journeys over several evaluations with the state
 * carried between them (spec 4.6, docs/state.md). The expected actions and
 * times follow from the spec's logical-time rules, worked out by hand in
 * the comments. */
#include <string.h>

#include <glib.h>

#include "persona.h"

static const char *const model_src =
    "model j version \"1\"\n"
    "record event {\n"
    "  type: string\n"
    "  at: time\n"
    "  campaign: string?\n"
    "}\n"
    "schema {\n"
    "  id: string key\n"
    "  unsubscribed: bool = false\n"
    "  promo: bool = false\n"
    "  events: list<event> = []\n"
    "}\n"
    "score total { +30 per events where type == \"visit\" }\n"
    "lifecycle funnel {\n"
    "  initial lead\n"
    "  lead -> mql when total >= 60\n"
    "  mql -> customer when exists(events where type == \"deal_won\")\n"
    "}\n"
    "journey welcome {\n"
    "  enter on funnel -> \"lead\"\n"
    "  exit when unsubscribed or funnel == \"customer\"\n"
    "  send email \"welcome-1\"\n"
    "  wait 3d\n"
    "  if exists(events where type == \"email_click\" and campaign == \"welcome-1\" since entered) {\n"
    "    send email \"product-intro\"\n"
    "  } else {\n"
    "    send email \"welcome-2\"\n"
    "  }\n"
    "  wait until total >= 60 for 14d\n"
    "  if total >= 60 {\n"
    "    task sales \"Follow up\"\n"
    "  }\n"
    "}\n"
    "journey promo_mail {\n"
    "  enter when promo\n"
    "  reenter after 10d\n"
    "  send email \"promo\"\n"
    "}\n"
    "journey once {\n"
    "  enter when promo\n"
    "  notify slack \"first promo\"\n"
    "}\n"
    "journey ab {\n"
    "  enter when true\n"
    "  split {\n"
    "    50%: send email \"a\"\n"
    "    50%: send email \"b\"\n"
    "  }\n"
    "}\n";

typedef struct {
  PersonaModel *model;
  PersonaVM *vm;
  GString *result;
  GString *state;
} Fixture;

static void fixture_setup(Fixture *f, gconstpointer data) {
  g_autoptr(PersonaDiagnostics) diags = NULL;
  f->model = persona_compile_source("j.persona", model_src, strlen(model_src), NULL, &diags, NULL);
  if (!f->model) {
    g_autofree char *text = persona_diagnostics_to_text(diags, FALSE);
    g_error("model does not compile:\n%s", text);
  }
  f->vm = persona_vm_new(f->model);
  f->result = g_string_new(NULL);
  f->state = g_string_new(NULL);
}

static void fixture_teardown(Fixture *f, gconstpointer data) {
  g_string_free(f->result, TRUE);
  g_string_free(f->state, TRUE);
  persona_vm_free(f->vm);
  persona_model_unref(f->model);
}

/* Evaluates `profile` at `now` with the state of the previous evaluation
 * and keeps the new one. Returns the status. */
static PersonaEvalStatus eval_at(Fixture *f, const char *profile, const char *now) {
  gint64 now_us;
  g_assert_true(persona_time_parse(now, &now_us));
  g_autofree char *old = g_strdup(f->state->str);
  g_string_truncate(f->result, 0);
  g_string_truncate(f->state, 0);
  PersonaEvalStatus rc = persona_vm_eval_json_state(f->vm, profile, strlen(profile), old, strlen(old),
                                                    now_us, 1, f->result, f->state);
  if (rc != PERSONA_EVAL_OK) g_string_assign(f->state, old); /* a failed record keeps its state */
  return rc;
}

/* The "actions":[…] part of the last result. */
static char *actions_of(Fixture *f) {
  const char *a = strstr(f->result->str, "\"actions\":");
  const char *b = a ? strstr(a, ",\"next_wake\"") : NULL;
  g_assert_nonnull(b);
  return g_strndup(a + 10, (gsize)(b - a - 10));
}

static char *next_wake_of(Fixture *f) {
  const char *a = strstr(f->result->str, "\"next_wake\":");
  const char *b = a ? strstr(a, ",\"next_change\"") : NULL;
  g_assert_nonnull(b);
  return g_strndup(a + 12, (gsize)(b - a - 12));
}

#define WELCOME(step, tmpl, at)                                                                  \
  "{\"journey\":\"welcome\",\"run\":1,\"step\":\"welcome/" step "\",\"kind\":\"send\","          \
  "\"channel\":\"email\",\"template\":\"" tmpl "\",\"at\":\"" at "\"}"

static void assert_actions(Fixture *f, const char *want) {
  g_autofree char *got = actions_of(f);
  g_assert_cmpstr(got, ==, want);
}

/* Enters at Feb 1, then nothing until Feb 20: the 3-day wait woke on
 * Feb 4 (welcome-2 then, no click), the wait-until started Feb 4 and timed
 * out on Feb 18, the `if` was false: no task; the journey is done. Every
 * action carries its logical time, not Feb 20. */
static void test_late_catch_up(Fixture *f, gconstpointer data) {
  const char *p = "{\"id\":\"p1\"}";
  g_assert_cmpint(eval_at(f, p, "2026-02-01T00:00:00Z"), ==, PERSONA_EVAL_OK);
  assert_actions(f, "[" WELCOME("send:email:welcome-1", "welcome-1", "2026-02-01T00:00:00Z") ","
                    "{\"journey\":\"ab\",\"run\":1,\"step\":\"ab/split#1/arm2/send:email:b\",\"kind\":\"send\","
                    "\"channel\":\"email\",\"template\":\"b\",\"at\":\"2026-02-01T00:00:00Z\"}]");
  g_autofree char *wake = next_wake_of(f);
  g_assert_cmpstr(wake, ==, "\"2026-02-04T00:00:00Z\"");
  g_assert_cmpint(eval_at(f, p, "2026-02-20T00:00:00Z"), ==, PERSONA_EVAL_OK);
  assert_actions(f, "[" WELCOME("if#1/else/send:email:welcome-2", "welcome-2", "2026-02-04T00:00:00Z") "]");
  g_autofree char *wake2 = next_wake_of(f);
  g_assert_cmpstr(wake2, ==, "null");
  g_assert_nonnull(strstr(f->state->str, "\"name\":\"welcome\",\"status\":\"done\",\"run\":1"));
  g_assert_nonnull(strstr(f->state->str, "\"ended\":\"2026-02-18T00:00:00Z\""));
}

/* Clicked the welcome mail after entering: the `then` branch at Feb 4. */
static void test_if_branch(Fixture *f, gconstpointer data) {
  eval_at(f, "{\"id\":\"p1\"}", "2026-02-01T00:00:00Z");
  eval_at(f, "{\"id\":\"p1\",\"events\":[{\"type\":\"email_click\",\"campaign\":\"welcome-1\",\"at\":\"2026-02-02T09:00:00Z\"}]}",
          "2026-02-04T00:00:00Z");
  assert_actions(f, "[" WELCOME("if#1/then/send:email:product-intro", "product-intro", "2026-02-04T00:00:00Z") "]");
}

/* The wait-until ends by its condition: two visits make total 60 on
 * Feb 10; the evaluation then continues at logical time `now`. Since the
 * same evaluation moves the funnel to mql, nothing else interferes. */
static void test_wait_until_condition(Fixture *f, gconstpointer data) {
  eval_at(f, "{\"id\":\"p1\"}", "2026-02-01T00:00:00Z");
  eval_at(f, "{\"id\":\"p1\"}", "2026-02-05T00:00:00Z"); /* welcome-2 at Feb 4, now waiting until Feb 18 */
  g_autofree char *wake = next_wake_of(f);
  g_assert_cmpstr(wake, ==, "\"2026-02-18T00:00:00Z\"");
  eval_at(f, "{\"id\":\"p1\",\"events\":[{\"type\":\"visit\",\"at\":\"2026-02-09T00:00:00Z\"},"
             "{\"type\":\"visit\",\"at\":\"2026-02-10T00:00:00Z\"}]}",
          "2026-02-10T12:00:00Z");
  assert_actions(f, "[{\"journey\":\"welcome\",\"run\":1,\"step\":\"welcome/if#2/then/task:sales:Follow up\","
                    "\"kind\":\"task\",\"queue\":\"sales\",\"text\":\"Follow up\",\"at\":\"2026-02-10T12:00:00Z\"}]");
}

/* Unsubscribing in the middle of the 3-day wait exits at once: nothing
 * more is sent, even when the wait is long over. */
static void test_exit_mid_wait(Fixture *f, gconstpointer data) {
  eval_at(f, "{\"id\":\"p1\"}", "2026-02-01T00:00:00Z");
  eval_at(f, "{\"id\":\"p1\",\"unsubscribed\":true}", "2026-02-02T00:00:00Z");
  assert_actions(f, "[]");
  g_assert_nonnull(strstr(f->state->str, "\"name\":\"welcome\",\"status\":\"exited\""));
  eval_at(f, "{\"id\":\"p1\",\"unsubscribed\":true}", "2026-03-01T00:00:00Z");
  assert_actions(f, "[]");
}

/* reenter after 10d: done at Feb 1; not again on Feb 6; again on Feb 11
 * (run 2). `once` has the default policy, never. */
static void test_reentry(Fixture *f, gconstpointer data) {
  const char *p = "{\"id\":\"p1\",\"promo\":true}";
  eval_at(f, p, "2026-02-01T00:00:00Z");
  g_autofree char *a1 = actions_of(f);
  g_assert_nonnull(strstr(a1, "\"journey\":\"promo_mail\",\"run\":1"));
  g_assert_nonnull(strstr(a1, "\"journey\":\"once\",\"run\":1,\"step\":\"once/notify:slack:first promo\",\"kind\":\"notify\",\"channel\":\"slack\",\"text\":\"first promo\""));
  eval_at(f, p, "2026-02-06T00:00:00Z");
  g_autofree char *a2 = actions_of(f);
  g_assert_null(strstr(a2, "promo")); /* (welcome-2 is due: the welcome journey runs too) */
  eval_at(f, p, "2026-02-11T00:00:00Z");
  assert_actions(f, "[{\"journey\":\"promo_mail\",\"run\":2,\"step\":\"promo_mail/send:email:promo\",\"kind\":\"send\","
                    "\"channel\":\"email\",\"template\":\"promo\",\"at\":\"2026-02-11T00:00:00Z\"}]");
}

/* The same state and the same `now` give no new actions, and the state
 * that comes out is the state that went in. */
static void test_idempotent(Fixture *f, gconstpointer data) {
  eval_at(f, "{\"id\":\"p1\"}", "2026-02-01T00:00:00Z");
  g_autofree char *state1 = g_strdup(f->state->str);
  eval_at(f, "{\"id\":\"p1\"}", "2026-02-01T00:00:00Z");
  assert_actions(f, "[]");
  g_assert_cmpstr(f->state->str, ==, state1);
  eval_at(f, "{\"id\":\"p1\"}", "2026-02-01T00:00:00Z");
  g_assert_cmpstr(f->state->str, ==, state1);
}

/* The arm depends only on (key, journey, split): the same across VMs and
 * runs, and about half of 10 000 profiles take each arm. */
static void test_split(Fixture *f, gconstpointer data) {
  int arm_a = 0;
  for (int i = 0; i < 10000; i++) {
    g_autofree char *p = g_strdup_printf("{\"id\":\"c%05d\"}", i);
    g_string_truncate(f->state, 0);
    eval_at(f, p, "2026-02-01T00:00:00Z");
    if (strstr(f->result->str, "\"template\":\"a\"")) arm_a++;
  }
  g_assert_cmpint(arm_a, >, 4800);
  g_assert_cmpint(arm_a, <, 5200);
  g_autoptr(PersonaVM) other = persona_vm_new(f->model);
  for (int i = 0; i < 50; i++) {
    g_autofree char *p = g_strdup_printf("{\"id\":\"c%05d\"}", i);
    g_autoptr(GString) r1 = g_string_new(NULL), r2 = g_string_new(NULL);
    persona_vm_eval_json(f->vm, p, strlen(p), 0, 1, r1);
    persona_vm_eval_json(other, p, strlen(p), 0, 1, r2);
    g_assert_cmpstr(r1->str, ==, r2->str);
  }
}

/* Stages come back from the state: no new transition into `initial`, and
 * `entered(funnel)` keeps its time. */
static void test_lifecycle_state(Fixture *f, gconstpointer data) {
  eval_at(f, "{\"id\":\"p1\",\"events\":[{\"type\":\"visit\",\"at\":\"2026-01-30T00:00:00Z\"},"
             "{\"type\":\"visit\",\"at\":\"2026-01-31T00:00:00Z\"}]}",
          "2026-02-01T00:00:00Z");
  g_assert_nonnull(strstr(f->result->str, "\"stages\":{\"funnel\":\"mql\"}"));
  eval_at(f, "{\"id\":\"p1\"}", "2026-02-02T00:00:00Z");
  g_assert_nonnull(strstr(f->result->str, "\"stages\":{\"funnel\":\"mql\"},\"transitions\":[]"));
  g_assert_nonnull(strstr(f->state->str, "{\"name\":\"funnel\",\"stage\":\"mql\",\"entered\":\"2026-02-01T00:00:00Z\"}"));
}

typedef struct {
  const char *state;
  const char *error;
} BadState;

static void test_bad_states(Fixture *f, gconstpointer data) {
  static const BadState cases[] = {
    {"{\"v\":2,\"lifecycles\":\"whatever\"}",
     "state: state format version 2 is newer than this persona understands (1)"},
    {"{\"lifecycles\":[]}", "state: the state has no format version \"v\""},
    {"{\"v\":1,\"lifecycles\":[{\"name\":\"funnel\",\"stage\":\"trial\",\"entered\":\"2026-01-01T00:00:00Z\"}]}",
     "state: stage 'trial' is not a stage of lifecycle funnel"},
    {"{\"v\":1,\"journeys\":[{\"name\":\"welcome\",\"status\":\"active\",\"run\":1,\"entered\":\"2026-01-01T00:00:00Z\","
     "\"step\":\"welcome/wait:5d\",\"since\":\"2026-01-01T00:00:00Z\",\"wake\":\"2026-01-06T00:00:00Z\",\"ended\":null}]}",
     "state: journey welcome waits at step 'welcome/wait:5d' which the model no longer has"},
    {"{\"v\":1,\"journeys\":[{\"name\":\"welcome\",\"status\":\"active\",\"run\":1,\"entered\":\"2026-01-01T00:00:00Z\","
     "\"step\":\"welcome/send:email:welcome-1\",\"since\":\"2026-01-01T00:00:00Z\",\"wake\":\"2026-01-06T00:00:00Z\",\"ended\":null}]}",
     "state: journey welcome cannot wait at step 'welcome/send:email:welcome-1': it is not a wait"},
    {"{\"v\":1,\"journeys\":[{\"name\":\"welcome\",\"status\":\"sleeping\",\"run\":1}]}",
     "state: journey welcome has an unknown status 'sleeping'"},
    {"{\"v\":1,", "state: malformed JSON at byte 8: unexpected end of text, expected a string key"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_string_assign(f->state, cases[i].state);
    g_assert_cmpint(eval_at(f, "{\"id\":\"p1\"}", "2026-02-01T00:00:00Z"), ==, PERSONA_EVAL_RECORD_ERROR);
    g_autofree char *want_json = NULL;
    /* the error text is a JSON string: quotes inside it are escaped */
    GString *w = g_string_new(NULL);
    for (const char *c = cases[i].error; *c; c++) {
      if (*c == '"') g_string_append(w, "\\\"");
      else g_string_append_c(w, *c);
    }
    want_json = g_strdup_printf("{\"id\":\"p1\",\"line\":1,\"error\":\"%s\",\"code\":\"bad_state\"}", w->str);
    g_string_free(w, TRUE);
    g_assert_cmpstr(f->result->str, ==, want_json);
    g_assert_cmpstr(f->state->str, ==, cases[i].state); /* kept as it was */
  }
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD("/journey/late-catch-up", test_late_catch_up);
  ADD("/journey/if-branch", test_if_branch);
  ADD("/journey/wait-until-condition", test_wait_until_condition);
  ADD("/journey/exit-mid-wait", test_exit_mid_wait);
  ADD("/journey/reentry", test_reentry);
  ADD("/journey/idempotent", test_idempotent);
  ADD("/journey/split", test_split);
  ADD("/journey/lifecycle-state", test_lifecycle_state);
  ADD("/journey/bad-states", test_bad_states);
  return g_test_run();
}
