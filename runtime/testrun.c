/* testrun.c - running the `test` blocks of a model (spec section 7).
 *
 * A test block is a little script: `profile {…}` sets the record, `at T`
 * evaluates it at T with the state the previous evaluation left, and each
 * `expect` checks that last evaluation. A block passes when all its
 * expectations hold; a failure reports the place, the expectation as
 * written, and the values of its operands ("fit was 50").
 */
#include <string.h>

#include "persona.h"
#include "explain.h"
#include "json_decode.h"
#include "json_write.h"
#include "ptime.h"
#include "result.h"
#include "state.h"
#include "vm.h"

typedef struct TestRun {
  PVMState *st;
  const PModel *m;
  const char *profile;      /* JSON text of the current record, or NULL */
  GString *state;           /* the state the last evaluation left */
  bool evaluated;           /* the last `at` evaluated successfully */
  GString *failures;        /* this test's failure text */
  guint n_failures;
} TestRun;

static const char *file_of(const PModel *m, uint32_t file) {
  return file < m->n_files ? m->file_names[file] : "?";
}

static void fail_step(TestRun *r, const PTestStepCode *sc, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void fail_step(TestRun *r, const PTestStepCode *sc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_string_append_printf(r->failures, "  %s:%u: %s\n    %s\n", file_of(r->m, sc->loc.file), sc->loc.line,
                         sc->text, msg);
  r->n_failures++;
}

/* ---- at: evaluate with the carried state ------------------------------------ */

static void step_at(TestRun *r, const PTestStepCode *sc) {
  PVMState *st = r->st;
  const PModel *m = r->m;
  r->evaluated = false;
  pa_reset(&st->arena);
  st->now_us = sc->at_us;
  st->error[0] = '\0';
  PDecodeResult dr;
  memset(&dr, 0, sizeof dr);
  if (!pdec_decode(&m->plans[m->profile_plan], r->profile, strlen(r->profile), sc->at_us, &st->arena, &dr)) {
    fail_step(r, sc, "the profile could not be decoded: %s", dr.error);
    return;
  }
  st->profile = dr.fields;
  st->key = dr.key;
  if (!pstate_decode(st, r->state->str, r->state->len, st->error, sizeof st->error) || !pvm_eval_record(st)) {
    fail_step(r, sc, "the evaluation failed: %s", st->error);
    return;
  }
  g_string_truncate(r->state, 0);
  pstate_encode(st, r->state);
  r->evaluated = true;
}

/* ---- expect C ------------------------------------------------------------------- */

static void step_expect(TestRun *r, const PTestStepCode *sc) {
  PValue v;
  if (!pvm_exec(r->st, sc->block, &v)) {
    fail_step(r, sc, "%s", r->st->error);
    return;
  }
  if (v.kind == PV_BOOL && v.u.b) return;
  GString *why = g_string_new(NULL);
  pexplain_operands(r->st, &sc->why, why);
  if (why->len == 0) g_string_append(why, v.kind == PV_NULL ? "it was null" : "it was false");
  fail_step(r, sc, "%s", why->str);
  g_string_free(why, TRUE);
}

/* ---- expect action / expect no action ----------------------------------------------- */

static const char *action_kind(uint8_t kind) {
  switch (kind) {
  case PJS_SEND: return "send";
  case PJS_TASK: return "task";
  case PJS_NOTIFY: return "notify";
  default: return "webhook";
  }
}

/* "send email \"welcome-1\" at 2026-02-01T00:00:00Z" */
static void describe_action(GString *out, const PModel *m, const PActionRec *a) {
  const PJStep *s = &m->journeys[a->journey].steps[a->step];
  char at[PTIME_BUF];
  ptime_format(a->at_us, at);
  g_string_append(out, action_kind(s->kind));
  if (s->kind != PJS_WEBHOOK) g_string_append_printf(out, " %s", s->channel);
  g_string_append_c(out, ' ');
  pjw_cstring(out, s->text);
  g_string_append_printf(out, " at %s", at);
}

static bool action_matches(const PModel *m, const PActionRec *a, const PTestStepCode *sc) {
  const PJStep *s = &m->journeys[a->journey].steps[a->step];
  if (strcmp(sc->action_kind, action_kind(s->kind)) != 0) return false;
  const char *want[2] = {NULL, NULL};
  uint32_t n = s->kind == PJS_WEBHOOK ? 1 : 2;
  if (s->kind == PJS_WEBHOOK) want[0] = s->text;
  else { want[0] = s->channel; want[1] = s->text; }
  if (sc->n_args != n) return false;
  for (uint32_t i = 0; i < n; i++)
    if (strcmp(sc->args[i], want[i]) != 0) return false;
  return !sc->has_at || sc->at_us == a->at_us;
}

static void list_actions(GString *out, const TestRun *r) {
  GArray *acts = r->st->actions;
  if (acts->len == 0) {
    g_string_append(out, "no action");
    return;
  }
  for (guint i = 0; i < acts->len; i++) {
    g_string_append(out, i ? "; " : "");
    describe_action(out, r->m, &g_array_index(acts, PActionRec, i));
  }
}

static void step_expect_action(TestRun *r, const PTestStepCode *sc) {
  GArray *acts = r->st->actions;
  for (guint i = 0; i < acts->len; i++)
    if (action_matches(r->m, &g_array_index(acts, PActionRec, i), sc)) return;
  GString *got = g_string_new(NULL);
  list_actions(got, r);
  fail_step(r, sc, "not emitted; this evaluation emitted: %s", got->str);
  g_string_free(got, TRUE);
}

static void step_expect_no_action(TestRun *r, const PTestStepCode *sc) {
  if (r->st->actions->len == 0) return;
  GString *got = g_string_new(NULL);
  list_actions(got, r);
  fail_step(r, sc, "this evaluation emitted: %s", got->str);
  g_string_free(got, TRUE);
}

/* ---- a whole test block --------------------------------------------------------------- */

static void run_test(TestRun *r, const PTestCode *t) {
  for (uint32_t k = 0; k < t->n_steps; k++) {
    const PTestStepCode *sc = &t->steps[k];
    switch ((PTestOp)sc->kind) {
    case PT_PROFILE: r->profile = sc->profile_json; break;
    case PT_AT: step_at(r, sc); break;
    case PT_EXPECT:
    case PT_EXPECT_ACTION:
    case PT_EXPECT_NO_ACTION:
      if (!r->evaluated) {
        fail_step(r, sc, "not checked: the evaluation before it failed");
      } else if (sc->kind == PT_EXPECT) {
        step_expect(r, sc);
      } else if (sc->kind == PT_EXPECT_ACTION) {
        step_expect_action(r, sc);
      } else {
        step_expect_no_action(r, sc);
      }
      break;
    }
  }
}

static void junit_case(GString *junit, const char *file, const PTestCode *t, const char *failures) {
  g_autofree char *name = g_markup_escape_text(t->name, -1);
  g_autofree char *cls = g_markup_escape_text(file, -1);
  g_string_append_printf(junit, "  <testcase classname=\"%s\" name=\"%s\"", cls, name);
  if (!failures) {
    g_string_append(junit, "/>\n");
    return;
  }
  g_autofree char *text = g_markup_escape_text(failures, -1);
  g_string_append_printf(junit, ">\n    <failure message=\"expectation failed\">%s</failure>\n  </testcase>\n", text);
}

void persona_model_run_tests(PersonaModel *model, GString *report, GString *junit, guint *passed,
                             guint *failed) {
  const PModel *m = (const PModel *)model;
  PVMState st;
  pvm_state_init(&st, m);
  *passed = *failed = 0;
  GString *cases = g_string_new(NULL);
  for (uint32_t i = 0; i < m->n_tests; i++) {
    const PTestCode *t = &m->tests[i];
    TestRun r = {.st = &st, .m = m, .state = g_string_new(NULL), .failures = g_string_new(NULL)};
    run_test(&r, t);
    const char *file = file_of(m, t->loc.file);
    bool ok = r.n_failures == 0;
    g_string_append_printf(report, "%s %s:%u: test \"%s\"\n", ok ? "ok  " : "FAIL", file, t->loc.line, t->name);
    g_string_append(report, r.failures->str);
    if (ok) (*passed)++;
    else (*failed)++;
    if (junit) junit_case(cases, file, t, ok ? NULL : r.failures->str);
    g_string_free(r.state, TRUE);
    g_string_free(r.failures, TRUE);
  }
  if (junit) {
    g_autofree char *name = g_markup_escape_text(m->n_files ? m->file_names[0] : "model", -1);
    g_string_append_printf(junit, " <testsuite name=\"%s\" tests=\"%u\" failures=\"%u\">\n%s </testsuite>\n", name,
                           *passed + *failed, *failed, cases->str);
  }
  g_string_free(cases, TRUE);
  pvm_state_clear(&st);
}
