/* testrun.c - running the `test` blocks of a model (spec section 7).
 *
 * A test block is a little script: `profile {…}` sets the record, `at T`
 * evaluates it at T with the state the previous evaluation left, and each
 * `expect` checks that last evaluation. A block passes when all its
 * expectations hold; a failure reports the place, the expectation as
 * written, and the values of its operands ("fit was 50").
 */
#include <math.h>
#include <string.h>

#include "persona.h"
#include "runtime/expstats.h"
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
  /* `profile from "FILE"` (docs/experiment.md): many profiles, each with its
   * own state, and per experiment and arm what the last `at` counted. */
  GPtrArray *many;          /* char* lines (borrowed from the model), or NULL */
  GPtrArray *many_states;   /* GString* per line */
  gint64 **n, **x;          /* per experiment: per arm, counted and converted */
  bool measured;            /* the last `at` over many profiles succeeded */
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

/* ---- many profiles: experiments measured over a list ----------------------------- */

static void gstring_free_all(gpointer s) { g_string_free(s, TRUE); }

static void many_clear(TestRun *r) {
  if (r->many) g_ptr_array_unref(r->many);
  if (r->many_states) g_ptr_array_unref(r->many_states);
  for (uint32_t e = 0; r->n && e < r->m->n_experiments; e++) {
    g_free(r->n[e]);
    g_free(r->x[e]);
  }
  g_free(r->n);
  g_free(r->x);
  r->many = r->many_states = NULL;
  r->n = r->x = NULL;
}

static void step_profiles(TestRun *r, const PTestStepCode *sc) {
  many_clear(r);
  r->many = g_ptr_array_new_with_free_func(g_free);
  r->many_states = g_ptr_array_new_with_free_func(gstring_free_all);
  g_auto(GStrv) lines = g_strsplit(sc->profile_json, "\n", -1);
  for (char **l = lines; *l; l++) {
    if (!**l || g_strstrip(*l)[0] == '\0') continue;
    g_ptr_array_add(r->many, g_strdup(*l));
    g_ptr_array_add(r->many_states, g_string_new(NULL));
  }
  r->n = g_new0(gint64 *, r->m->n_experiments + 1);
  r->x = g_new0(gint64 *, r->m->n_experiments + 1);
  for (uint32_t e = 0; e < r->m->n_experiments; e++) {
    r->n[e] = g_new0(gint64, r->m->experiments[e].n_arms + 1);
    r->x[e] = g_new0(gint64, r->m->experiments[e].n_arms + 1);
  }
  r->profile = NULL;
  r->evaluated = false;
}

/* One profile of the list at `at`: its evaluation from its state, then
 * each experiment's metric for a profile whose window has passed. */
static bool measure_one(TestRun *r, const PTestStepCode *sc, guint i) {
  PVMState *st = r->st;
  const char *line = g_ptr_array_index(r->many, i);
  GString *state = g_ptr_array_index(r->many_states, i);
  PDecodeResult dr;
  if (!pvm_begin_record(st, line, strlen(line), sc->at_us, &dr)) {
    fail_step(r, sc, "profile %u of the file could not be decoded: %s", i + 1, dr.error);
    return false;
  }
  if (!pstate_decode(st, state->str, state->len, st->error, sizeof st->error) || !pvm_eval_record(st)) {
    fail_step(r, sc, "the evaluation of profile %u failed: %s", i + 1, st->error);
    return false;
  }
  g_string_truncate(state, 0);
  pstate_encode(st, state);
  uint32_t ne = r->m->n_experiments;
  g_autofree PExpState *exps = g_memdup2(st->exps, sizeof(PExpState) * (ne + 1));
  for (uint32_t e = 0; e < ne; e++) {
    int64_t until = exps[e].assigned + r->m->experiments[e].window_us;
    if (until > sc->at_us) continue;
    bool converted = false;
    if (!pvm_begin_record(st, line, strlen(line), until, &dr) ||
        !pvm_experiment_metric(st, e, exps[e].assigned, &converted)) {
      fail_step(r, sc, "the metric of %s failed on profile %u: %s", r->m->experiments[e].name, i + 1,
                st->error[0] ? st->error : dr.error);
      return false;
    }
    r->n[e][exps[e].arm]++;
    r->x[e][exps[e].arm] += converted;
  }
  return true;
}

static void step_at_many(TestRun *r, const PTestStepCode *sc) {
  r->measured = false;
  for (uint32_t e = 0; e < r->m->n_experiments; e++) {
    memset(r->n[e], 0, sizeof(gint64) * r->m->experiments[e].n_arms);
    memset(r->x[e], 0, sizeof(gint64) * r->m->experiments[e].n_arms);
  }
  for (guint i = 0; i < r->many->len; i++)
    if (!measure_one(r, sc, i)) return;
  r->measured = true;
}

static int arm_index(const PExperimentCode *x, const char *arm) {
  for (uint32_t a = 0; a < x->n_arms; a++)
    if (strcmp(x->arms[a], arm) == 0) return (int)a;
  return -1;
}

static void step_expect_lift(TestRun *r, const PTestStepCode *sc) {
  const PExperimentCode *x = &r->m->experiments[sc->experiment];
  int a = arm_index(x, sc->args[0]), b = arm_index(x, sc->args[1]);
  gint64 na = r->n[sc->experiment][a], nb = r->n[sc->experiment][b];
  gint64 xa = r->x[sc->experiment][a], xb = r->x[sc->experiment][b];
  if (na == 0 || nb == 0 || xb == 0) {
    fail_step(r, sc, "no lift to compare: %s has %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
                     " converted, %s %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " (profiles inside the window "
                     "are not counted)",
              x->arms[a], xa, na, x->arms[b], xb, nb);
    return;
  }
  double ra = (double)xa / (double)na, rb = (double)xb / (double)nb, lift = (ra - rb) / rb;
  static const char *const ops[] = {">=", ">", "<=", "<"};
  bool ok = sc->op == 0 ? lift >= sc->threshold : sc->op == 1 ? lift > sc->threshold
          : sc->op == 2 ? lift <= sc->threshold : lift < sc->threshold;
  if (!ok)
    fail_step(r, sc, "the lift of %s over %s was %.1f%% (%.2f%% of %" G_GINT64_FORMAT " against %.2f%% of %" G_GINT64_FORMAT
                     "), not %s %g%%",
              x->arms[a], x->arms[b], lift * 100, ra * 100, na, rb * 100, nb, ops[sc->op & 3], sc->threshold * 100);
}

static void step_expect_significant(TestRun *r, const PTestStepCode *sc) {
  const PExperimentCode *x = &r->m->experiments[sc->experiment];
  double chi2;
  double p = pstat_chi2_arms(r->x[sc->experiment], r->n[sc->experiment], x->n_arms, &chi2);
  bool significant = p < sc->threshold; /* false for an undefined p */
  if (significant != (sc->op == 1)) return;
  char text[64] = "undefined (too few counted profiles or conversions)";
  if (!isnan(p)) g_snprintf(text, sizeof text, "%.4g", p);
  fail_step(r, sc, "the chi-square p of %s across its arms was %s, %s %g", x->name, text,
            significant ? "below" : "not below", sc->threshold);
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
    case PT_PROFILE:
      many_clear(r);
      r->profile = sc->profile_json;
      break;
    case PT_PROFILES: step_profiles(r, sc); break;
    case PT_AT:
      if (r->many) step_at_many(r, sc);
      else step_at(r, sc);
      break;
    case PT_EXPECT_LIFT:
    case PT_EXPECT_SIGNIFICANT:
      if (!r->many) fail_step(r, sc, "not checked: it needs a list of profiles (profile from \"FILE.jsonl\")");
      else if (!r->measured) fail_step(r, sc, "not checked: the evaluation before it failed");
      else if (sc->kind == PT_EXPECT_LIFT) step_expect_lift(r, sc);
      else step_expect_significant(r, sc);
      break;
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
    many_clear(&r);
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
