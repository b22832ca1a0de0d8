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
#include "runtime/explain.h"
#include "runtime/json_decode.h"
#include "runtime/json_write.h"
#include "runtime/ptime.h"
#include "runtime/ptime_zone.h"
#include "runtime/result.h"
#include "runtime/state.h"
#include "runtime/vm.h"

/* What the tests exercised: every tag that held, every score rule that
 * fired (a `when` rule whose condition held, a `per` rule that counted a
 * record), every transition taken, every journey step run. */
typedef struct Coverage {
  const PModel *m;
  bool *tags;          /* per output */
  bool **rules;        /* per output: per rule */
  bool **transitions;  /* per lifecycle: per transition */
  bool **steps;        /* per journey: per step */
} Coverage;

typedef struct TestRun {
  PVMState *st;
  const PModel *m;
  const char *profile;      /* JSON text of the current record, or NULL */
  GString *state;           /* the state the last evaluation left */
  bool evaluated;           /* the last `at` evaluated successfully */
  GString *failures;        /* this test's failure text */
  guint n_failures;
  Coverage *cov;            /* or NULL */
} TestRun;

static void cov_init(Coverage *c, const PModel *m) {
  c->m = m;
  c->tags = g_new0(bool, m->n_outputs + 1);
  c->rules = g_new0(bool *, m->n_outputs + 1);
  for (uint32_t i = 0; i < m->n_outputs; i++) c->rules[i] = g_new0(bool, m->outputs[i].n_rules + 1);
  c->transitions = g_new0(bool *, m->n_lifecycles + 1);
  for (uint32_t i = 0; i < m->n_lifecycles; i++) c->transitions[i] = g_new0(bool, m->lifecycles[i].n_transitions + 1);
  c->steps = g_new0(bool *, m->n_journeys + 1);
  for (uint32_t i = 0; i < m->n_journeys; i++) c->steps[i] = g_new0(bool, m->journeys[i].n_steps + 1);
}

static void cov_clear(Coverage *c) {
  for (uint32_t i = 0; i < c->m->n_outputs; i++) g_free(c->rules[i]);
  for (uint32_t i = 0; i < c->m->n_lifecycles; i++) g_free(c->transitions[i]);
  for (uint32_t i = 0; i < c->m->n_journeys; i++) g_free(c->steps[i]);
  g_free(c->tags);
  g_free(c->rules);
  g_free(c->transitions);
  g_free(c->steps);
}

static void cov_trace(void *user, uint32_t point, PValue v) {
  Coverage *c = user;
  if (point >= c->m->n_traces) return;
  const PTracePoint *p = &c->m->traces[point];
  if (p->score >= c->m->n_outputs || p->rule >= c->m->outputs[p->score].n_rules) return;
  const PRuleInfo *ri = &c->m->outputs[p->score].rules[p->rule];
  /* a `when` rule fired when it reports its contribution; a `per` rule
   * when it counted a record */
  if ((ri->per && p->kind == PTRACE_EVENT) || (!ri->per && p->kind == PTRACE_RULE)) c->rules[p->score][p->rule] = true;
}

static void cov_step(void *user, uint32_t journey, uint32_t step) {
  Coverage *c = user;
  c->steps[journey][step] = true;
}

/* After an evaluation: the tags that hold and the transitions taken. */
static void cov_evaluated(Coverage *c, const PVMState *st) {
  const PModel *m = c->m;
  for (uint32_t i = 0; i < m->n_outputs; i++) {
    PValue v = st->globals[m->outputs[i].slot];
    if (m->outputs[i].kind != POUT_SCORE && v.kind == PV_BOOL && v.u.b) c->tags[i] = true;
  }
  for (guint k = 0; k < st->transitions->len; k++) {
    const PTransitionRec *t = &g_array_index(st->transitions, PTransitionRec, k);
    if (t->from < 0) continue;
    const PLifecycleCode *lc = &m->lifecycles[t->lifecycle];
    for (uint32_t x = 0; x < lc->n_transitions; x++) {
      const PTransitionCode *tc = &lc->transitions[x];
      if (tc->to == t->to && (tc->from == t->from || tc->from < 0)) {
        c->transitions[t->lifecycle][x] = true;
        break;
      }
    }
  }
}

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
  r->evaluated = false;
  PDecodeResult dr;
  if (!pvm_begin_record(st, r->profile, strlen(r->profile), sc->at_us, &dr)) {
    fail_step(r, sc, "the profile could not be decoded: %s", dr.error);
    return;
  }
  if (!pstate_decode(st, r->state->str, r->state->len, st->error, sizeof st->error) || !pvm_eval_record(st)) {
    fail_step(r, sc, "the evaluation failed: %s", st->error);
    return;
  }
  g_string_truncate(r->state, 0);
  pstate_encode(st, r->state);
  r->evaluated = true;
  if (r->cov) cov_evaluated(r->cov, st);
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

/* ---- the coverage report ---------------------------------------------------------------- */

static const char *file_of_loc(const PModel *m, const PInsnLoc *l) { return file_of(m, l->file); }

static void cov_item(GString *out, const PModel *m, const PInsnLoc *loc, bool hit, guint *n_hit, guint *n_all,
                     const char *fmt, ...) G_GNUC_PRINTF(7, 8);
static void cov_item(GString *out, const PModel *m, const PInsnLoc *loc, bool hit, guint *n_hit, guint *n_all,
                     const char *fmt, ...) {
  (*n_all)++;
  if (hit) {
    (*n_hit)++;
    return;
  }
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *what = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_string_append_printf(out, "  %s:%u: %s\n", file_of_loc(m, loc), loc->line, what);
}

static void cov_report(const Coverage *c, GString *out, guint *n_hit, guint *n_all) {
  const PModel *m = c->m;
  GString *missed = g_string_new(NULL);
  for (uint32_t i = 0; i < m->n_outputs; i++) {
    const POutput *o = &m->outputs[i];
    if (o->kind != POUT_SCORE) {
      cov_item(missed, m, &o->loc, c->tags[i], n_hit, n_all, "%s %s never held",
               o->kind == POUT_SEGMENT ? "segment" : "tag", o->name);
      continue;
    }
    for (uint32_t r = 0; r < o->n_rules; r++)
      cov_item(missed, m, &o->rules[r].loc, c->rules[i][r], n_hit, n_all, "score %s: rule `%s` never %s",
               o->name, o->rules[r].text, o->rules[r].per ? "counted a record" : "fired");
  }
  for (uint32_t i = 0; i < m->n_lifecycles; i++) {
    const PLifecycleCode *lc = &m->lifecycles[i];
    for (uint32_t t = 0; t < lc->n_transitions; t++) {
      const PTransitionCode *tc = &lc->transitions[t];
      cov_item(missed, m, &tc->loc, c->transitions[i][t], n_hit, n_all, "%s: %s -> %s never taken", lc->name,
               tc->from >= 0 ? lc->stages[tc->from] : "any", lc->stages[tc->to]);
    }
  }
  for (uint32_t i = 0; i < m->n_journeys; i++) {
    const PJourneyCode *j = &m->journeys[i];
    for (uint32_t k = 0; k < j->n_steps; k++)
      cov_item(missed, m, &j->steps[k].loc, c->steps[i][k], n_hit, n_all, "journey step %s never ran",
               j->steps[k].id);
  }
  g_string_append_printf(out, "coverage of %s: %.1f%% (%u of %u", m->n_files ? m->file_names[0] : "model",
                         *n_all ? 100.0 * *n_hit / *n_all : 100.0, *n_hit, *n_all);
  g_string_append(out, " tags, score rules, transitions and journey steps exercised)\n");
  if (missed->len) {
    g_string_append(out, "never exercised:\n");
    g_string_append(out, missed->str);
  }
  g_string_free(missed, TRUE);
}

void persona_model_run_tests_full(PersonaModel *model, GString *report, GString *junit, GString *coverage,
                                  guint *passed, guint *failed, guint *covered, guint *coverable) {
  const PModel *m = (const PModel *)model;
  PVMState st;
  pvm_state_init(&st, m);
  /* Test profiles are read like input: in the model line's zone. */
  GTimeZone *input_tz = m->input_tz && *m->input_tz ? ptime_zone_new(m->input_tz) : NULL;
  st.input_tz = input_tz;
  *passed = *failed = 0;
  Coverage cov;
  if (coverage) {
    cov_init(&cov, m);
    st.trace = cov_trace;
    st.step_hook = cov_step;
    st.trace_user = &cov;
  }
  GString *cases = g_string_new(NULL);
  for (uint32_t i = 0; i < m->n_tests; i++) {
    const PTestCode *t = &m->tests[i];
    TestRun r = {.st = &st, .m = m, .state = g_string_new(NULL), .failures = g_string_new(NULL),
                 .cov = coverage ? &cov : NULL};
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
  if (coverage) {
    guint hit = 0, all = 0;
    cov_report(&cov, coverage, &hit, &all);
    if (covered) *covered = hit;
    if (coverable) *coverable = all;
    cov_clear(&cov);
  }
  g_string_free(cases, TRUE);
  pvm_state_clear(&st);
  if (input_tz) g_time_zone_unref(input_tz);
}

void persona_model_run_tests(PersonaModel *model, GString *report, GString *junit, guint *passed,
                             guint *failed) {
  persona_model_run_tests_full(model, report, junit, NULL, passed, failed, NULL, NULL);
}
