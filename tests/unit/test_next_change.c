/* test_next_change.c - next_change (docs/language.md, "When results
 * change") as a property over generated models and profiles.
 *
 * For each case (fixed seed): a model drawn from templates (counts and
 * exists over windows, future events, day and duration thresholds with
 * `now`, `days_between`, `??`, `entered()`, decay scores compared with
 * thresholds with one and two half-lives), a profile, and `now`. The
 * profile is evaluated at now; then, with the state it left, at random
 * instants in (now, next_change), where every tag, stage and score that
 * does not decay must equal its value at now and no transition may
 * happen; and at next_change itself, where something must differ, unless
 * the model holds one of the documented conservative constructs (then the
 * early instants are counted, not failed). Decay crossings are computed
 * in floating point and rounded down: "differs" is also accepted a little
 * later (PNC_MARGIN). A pii case checks that the pii value's digits do not
 * appear in the result.
 */
#include <string.h>

#include <glib.h>

#include "persona.h"

#define CASES 1000
#define DAY ((gint64)86400000000)
#define NOW_US ((gint64)1769904000000000) /* 2026-02-01T00:00:00Z */

typedef struct {
  GString *src;
  gboolean conservative; /* may give an early next_change (documented) */
  gboolean decays;       /* compares a decaying score: allow the rounding margin */
  gboolean pii;
} Gen;

static const char *const TYPES[] = {"a", "b"};
static const int WINDOWS[] = {1, 3, 7, 30};
static const char *const OPS[] = {">=", ">", "<", "<=", "==", "!="};

static void add_tag(Gen *g, GRand *r, int i) {
  const char *type = TYPES[g_rand_int_range(r, 0, 2)];
  int d = WINDOWS[g_rand_int_range(r, 0, 4)];
  const char *op = OPS[g_rand_int_range(r, 0, 6)];
  int k = g_rand_int_range(r, 0, 4);
  switch (g_rand_int_range(r, 0, 10)) {
  case 0:
    g_string_append_printf(g->src, "tag t%d when count(events where type == \"%s\" within %dd) %s %d\n", i, type, d,
                           op, k);
    break;
  case 1:
    g_string_append_printf(g->src, "tag t%d when %sexists(events where type == \"%s\" within %dd)\n", i,
                           g_rand_boolean(r) ? "not " : "", type, d);
    break;
  case 2:
    g_string_append_printf(g->src, "tag t%d when signup != null and now - (signup ?? now) %s %dd\n", i, op, d);
    break;
  case 3:
    g_string_append_printf(g->src, "tag t%d when days_between(signup ?? now, now) %s %d\n", i, op, d);
    g->conservative = TRUE; /* `??`: the instant of the branch not taken is noted too */
    break;
  case 4:
    g_string_append_printf(g->src, "tag t%d when hours_between(deadline, now) %s %d\n", i, op, k * 24 - 36);
    break;
  case 5:
    g_string_append_printf(g->src, "tag t%d when d_eng %s %d\n", i, op[0] == '=' || op[0] == '!' ? ">=" : op,
                           g_rand_int_range(r, 1, 40));
    g->decays = TRUE;
    break;
  case 6:
    g_string_append_printf(g->src, "tag t%d when d_eng + d_slow %s %d\n", i, op[0] == '=' || op[0] == '!' ? "<" : op,
                           g_rand_int_range(r, 1, 60));
    g->decays = TRUE;
    break;
  case 7:
    g_string_append_printf(g->src, "tag t%d when (max(at of events where type == \"%s\" within %dd) ?? deadline) > deadline\n",
                           i, type, d);
    g->conservative = TRUE; /* a `max` compared: every leave of a selected event is noted */
    break;
  case 8: {
    /* Step functions: the instant is their next step, which need not flip
     * the comparison (documented: early then). */
    static const char *const STEPS[] = {"hour(now)", "weekday(now - 3h)", "floor(days_between(deadline, now))",
                                        "ceil(hours_between(now, deadline) / 24)", "round(hours_between(deadline, now) / 7, 1)"};
    g_string_append_printf(g->src, "tag t%d when %s %s %d\n", i, STEPS[g_rand_int_range(r, 0, 5)], op, k);
    g->conservative = TRUE;
    break;
  }
  default:
    g_string_append_printf(g->src, "tag t%d when now - entered(lc) %s %dd\n", i, op[0] == '=' || op[0] == '!' ? ">" : op,
                           k);
    break;
  }
}

static void gen_model(Gen *g, GRand *r) {
  g_string_assign(g->src,
                  "model p version \"1\"\n"
                  "record event {\n  type: string\n  at: time\n}\n"
                  "schema {\n  id: string key\n  signup: time?\n  deadline: time\n  birthday: time? pii\n"
                  "  events: list<event> = []\n}\n");
  int h = g_rand_int_range(r, 1, 15);
  /* Caps that hold the score until they release, a clamp, a negative
   * rule: the shapes the crossing solver must follow. */
  g_autofree char *cap = g_rand_boolean(r) ? g_strdup_printf(" cap %d", g_rand_int_range(r, 5, 30)) : g_strdup("");
  g_string_append_printf(g->src, "score d_eng decay %dd {\n  +%d per events where type == \"a\"%s\n", h,
                         g_rand_int_range(r, 1, 20), cap);
  if (g_rand_boolean(r)) {
    g_string_append_printf(g->src, "  -%d per events where type == \"b\" within 20d\n", g_rand_int_range(r, 1, 5));
    /* A leave makes the decaying score jump: a change of the result this
     * test does not look at (it leaves decaying scores aside). */
    g->conservative = TRUE;
  }
  g_string_append(g->src, "}\n");
  g_string_append_printf(g->src, "score d_slow decay %dd%s {\n  +%d per events where type == \"b\"\n}\n", h * 3 + 1,
                         g_rand_boolean(r) ? " max 25" : "", g_rand_int_range(r, 1, 20));
  /* A piecewise-constant value in the result: changes at every leave. */
  g_string_append_printf(g->src, "score n_recent = count(events within %dd)\n", WINDOWS[g_rand_int_range(r, 0, 4)]);
  int n = g_rand_int_range(r, 2, 6);
  for (int i = 0; i < n; i++) add_tag(g, r, i);
  g_string_append_printf(g->src,
                         "lifecycle lc {\n  initial fresh\n  fresh -> settled when now - entered(lc) >= %dd\n"
                         "  settled -> gone when not exists(events within %dd)\n}\n",
                         g_rand_int_range(r, 1, 10), WINDOWS[g_rand_int_range(r, 0, 4)]);
  if (g_rand_int_range(r, 0, 5) == 0) {
    g_string_append(g->src, "tag grown when (birthday ?? now) + 30d < now\n");
    g->pii = TRUE;
    g->conservative = TRUE; /* pii instants are rounded down */
  }
}

static char *gen_profile(GRand *r) {
  GString *p = g_string_new("{\"id\":\"x\"");
  char buf[64];
  if (g_rand_boolean(r)) {
    g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(NOW_US / 1000000 - g_rand_int_range(r, 0, 40 * 86400));
    g_autofree char *s = g_date_time_format_iso8601(t);
    g_string_append_printf(p, ",\"signup\":\"%s\"", s);
  }
  g_autoptr(GDateTime) dl = g_date_time_new_from_unix_utc(NOW_US / 1000000 + g_rand_int_range(r, -5 * 86400, 5 * 86400));
  g_autofree char *dls = g_date_time_format_iso8601(dl);
  g_string_append_printf(p, ",\"deadline\":\"%s\"", dls);
  /* A pii birthday whose digits the result must never show. */
  g_string_append(p, ",\"birthday\":\"2026-01-17T13:47:29Z\"");
  g_string_append(p, ",\"events\":[");
  int n = g_rand_int_range(r, 0, 7);
  for (int i = 0; i < n; i++) {
    gint64 at = NOW_US / 1000000 - g_rand_int_range(r, -3 * 86400, 35 * 86400);
    g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(at);
    g_autofree char *s = g_date_time_format_iso8601(t);
    g_snprintf(buf, sizeof buf, "%s{\"type\":\"%s\",\"at\":\"%s\"}", i ? "," : "", TYPES[g_rand_int_range(r, 0, 2)], s);
    g_string_append(p, buf);
  }
  g_string_append(p, "]}");
  return g_string_free(p, FALSE);
}

/* What must stay the same: tags, stages, the scores that do not decay. */
static char *signature(const PersonaResult *res) {
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < persona_result_n_tags(res); i++) g_string_append_printf(s, "%s ", persona_result_tag(res, i));
  for (guint i = 0; i < persona_result_n_stages(res); i++) g_string_append_printf(s, "|%s", persona_result_stage(res, i));
  for (guint i = 0; i < persona_result_n_scores(res); i++)
    if (!g_str_has_prefix(persona_result_score_name(res, i), "d_"))
      g_string_append_printf(s, "|%s=%.17g", persona_result_score_name(res, i), persona_result_score_value(res, i));
  return g_string_free(s, FALSE);
}

typedef struct {
  char *sig;
  guint transitions;
} Seen;

static void eval_at(PersonaVM *vm, const char *profile, const char *state, gint64 now, Seen *out, GString *state_out,
                    gint64 *nc, gboolean *has_nc, GString *json) {
  const PersonaResult *res = NULL;
  PersonaEvalStatus st = persona_vm_eval(vm, profile, strlen(profile), state, state ? strlen(state) : 0, now, &res);
  if (st != PERSONA_EVAL_OK) g_error("eval failed: %s", persona_result_error(res));
  out->sig = signature(res);
  out->transitions = persona_result_n_transitions(res);
  if (state_out) {
    g_string_truncate(state_out, 0);
    persona_result_state_json(res, state_out);
  }
  if (has_nc) *has_nc = persona_result_next_change(res, nc);
  if (json) {
    g_string_truncate(json, 0);
    persona_result_to_json(res, json);
  }
}

static void test_property(void) {
  GRand *r = g_rand_new_with_seed(18);
  Gen g = {.src = g_string_new(NULL)};
  guint exact = 0, early = 0, none = 0, samples = 0;
  g_autoptr(GString) state = g_string_new(NULL), json = g_string_new(NULL);
  for (int c = 0; c < CASES; c++) {
    g.conservative = g.decays = g.pii = FALSE;
    gen_model(&g, r);
    g_autoptr(GError) error = NULL;
    g_autoptr(PersonaModel) m = persona_compile_source("p.persona", g.src->str, g.src->len, NULL, NULL, &error);
    if (!m) g_error("case %d does not compile: %s\n%s", c, error->message, g.src->str);
    g_autoptr(PersonaVM) vm = persona_vm_new(m);
    g_autofree char *profile = gen_profile(r);
    gint64 now = NOW_US + g_rand_int_range(r, 0, 86400) * G_GINT64_CONSTANT(1000000);
    Seen s0;
    gint64 nc = 0;
    gboolean has_nc = FALSE;
    eval_at(vm, profile, NULL, now, &s0, state, &nc, &has_nc, json);
    if (g.pii) /* the birthday's digits never appear */
      g_assert_null(strstr(json->str, "13:47:29"));
    g_autofree char *st0 = g_strdup(state->str);
    gint64 end = has_nc ? nc : now + 90 * DAY;
    if (has_nc) g_assert_cmpint(nc, >, now);
    for (int k = 0; k < 4 && end - now > 1; k++, samples++) {
      gint64 t = now + 1 + (gint64)(g_rand_double(r) * (double)(end - now - 1));
      if (k == 0) t = end - 1; /* the last instant before */
      Seen s;
      eval_at(vm, profile, st0, t, &s, NULL, NULL, NULL, NULL);
      if (strcmp(s.sig, s0.sig) != 0 || s.transitions)
        g_error("case %d: changed at %" G_GINT64_FORMAT " before next_change %" G_GINT64_FORMAT " (now %" G_GINT64_FORMAT
                ")\n%s\n%s\nnow:   %s\nlater: %s",
                c, t, end, now, g.src->str, profile, s0.sig, s.sig);
      g_free(s.sig);
    }
    if (!has_nc) {
      none++;
      g_free(s0.sig);
      continue;
    }
    Seen s;
    eval_at(vm, profile, st0, nc, &s, NULL, NULL, NULL, NULL);
    gboolean differs = strcmp(s.sig, s0.sig) != 0 || s.transitions;
    g_free(s.sig);
    /* A crossing computed in floating point is rounded down: it follows
     * within the margin (an `==` may hold at that one microsecond only). */
    gint64 margin = (gint64)((double)(nc - now) * 2e-12) + 4;
    for (gint64 k = 1; !differs && k <= margin; k++) {
      eval_at(vm, profile, st0, nc + k, &s, NULL, NULL, NULL, NULL);
      differs = strcmp(s.sig, s0.sig) != 0 || s.transitions;
      g_free(s.sig);
    }
    if (differs) {
      exact++;
    } else {
      early++;
      if (!g.conservative)
        g_error("case %d: nothing differs at next_change %" G_GINT64_FORMAT " (now %" G_GINT64_FORMAT ")\n%s\n%s\n%s", c,
                nc, now, g.src->str, profile, s0.sig);
    }
    g_free(s0.sig);
  }
  g_test_message("%u cases: %u exact, %u early (documented conservative cases), %u without next_change; %u samples",
                 CASES, exact, early, none, samples);
  g_assert_cmpuint(exact, >, CASES / 2);
  g_string_free(g.src, TRUE);
  g_rand_free(r);
}

/* Step functions of values moving linearly (floor, ceil, round, hour,
 * weekday): next_change is the exact instant the value steps, never
 * "now + 1 µs" (now is off every boundary: a random microsecond), the
 * value (a score in the result) and the tag comparing it stay the same
 * before it, and the value differs at it (within the floating-point
 * margin; hour and weekday exactly). */
static const char *const STEP_EXPRS[] = {
    "hour(now)", "hour(now + 90m)", "weekday(now)", "weekday(now - 5h)",
    "floor(days_between(deadline, now))", "floor(hours_between(now, deadline) / 5)",
    "ceil(days_between(deadline, now))", "ceil(hours_between(now, deadline))",
    "round(hours_between(deadline, now))", "round(days_between(now, deadline))",
    "round(days_between(deadline, now), 1)", "round(hours_between(deadline, now) * 3, -1)",
};

static void test_steps(void) {
  GRand *r = g_rand_new_with_seed(19);
  g_autoptr(GString) src = g_string_new(NULL), state = g_string_new(NULL);
  guint exact_int = 0;
  for (int c = 0; c < 400; c++) {
    guint e = (guint)g_rand_int_range(r, 0, G_N_ELEMENTS(STEP_EXPRS));
    const char *x = STEP_EXPRS[e];
    g_string_printf(src,
                    "model s version \"1\"\nschema {\n  id: string key\n  deadline: time\n}\n"
                    "score v = %s\ntag t when %s %s %d\n",
                    x, x, OPS[g_rand_int_range(r, 0, 6)], g_rand_int_range(r, -3, 10));
    g_autoptr(GError) error = NULL;
    g_autoptr(PersonaModel) m = persona_compile_source("s.persona", src->str, src->len, NULL, NULL, &error);
    if (!m) g_error("step case %d does not compile: %s\n%s", c, error->message, src->str);
    g_autoptr(PersonaVM) vm = persona_vm_new(m);
    g_autoptr(GDateTime) dl = g_date_time_new_from_unix_utc(NOW_US / 1000000 + g_rand_int_range(r, -9 * 86400, 9 * 86400));
    g_autofree char *dls = g_date_time_format_iso8601(dl);
    g_autofree char *profile = g_strdup_printf("{\"id\":\"x\",\"deadline\":\"%s\"}", dls);
    gint64 now = NOW_US + g_rand_int_range(r, 0, 7 * 86400) * G_GINT64_CONSTANT(1000000) + g_rand_int_range(r, 1, 1000000);
    Seen s0;
    gint64 nc = 0;
    gboolean has_nc = FALSE;
    eval_at(vm, profile, NULL, now, &s0, state, &nc, &has_nc, NULL);
    if (!has_nc) g_error("step case %d: no next_change\n%s", c, src->str);
    if (nc <= now + 1) g_error("step case %d: next_change is the next µs\n%s%s", c, src->str, profile);
    g_autofree char *st0 = g_strdup(state->str);
    for (int k = 0; k < 4; k++) {
      gint64 t = k == 0 ? nc - 1 : now + 1 + (gint64)(g_rand_double(r) * (double)(nc - now - 1));
      Seen s;
      eval_at(vm, profile, st0, t, &s, NULL, NULL, NULL, NULL);
      if (strcmp(s.sig, s0.sig) != 0)
        g_error("step case %d: changed at %" G_GINT64_FORMAT " before next_change %" G_GINT64_FORMAT
                " (now %" G_GINT64_FORMAT ")\n%s%s\nnow:   %s\nlater: %s",
                c, t, nc, now, src->str, profile, s0.sig, s.sig);
      g_free(s.sig);
    }
    /* hour and weekday: exact; the others rounded down (PNC margin). */
    gboolean whole = e < 4;
    gint64 margin = whole ? 0 : (gint64)((double)(nc - now) * 2e-12) + 4;
    gboolean differs = FALSE;
    for (gint64 k = 0; !differs && k <= margin; k++) {
      Seen s;
      eval_at(vm, profile, st0, nc + k, &s, NULL, NULL, NULL, NULL);
      differs = strcmp(s.sig, s0.sig) != 0;
      g_free(s.sig);
    }
    if (!differs)
      g_error("step case %d: the value does not step at next_change %" G_GINT64_FORMAT " (now %" G_GINT64_FORMAT
              ")\n%s%s\n%s",
              c, nc, now, src->str, profile, s0.sig);
    if (whole) {
      exact_int++;
      g_assert_cmpint(nc % (e < 2 ? 3600 * G_GINT64_CONSTANT(1000000) : DAY), ==, e == 1 ? 1800 * G_GINT64_CONSTANT(1000000) : e == 3 ? 5 * 3600 * G_GINT64_CONSTANT(1000000) : 0);
    }
    g_free(s0.sig);
  }
  g_assert_cmpuint(exact_int, >, 50);
  g_rand_free(r);
}

/* A state written before next_change existed (no key) still loads, and a
 * state with the key loads too (it is not read back). */
static void test_old_state_loads(void) {
  const char *src =
      "model s version \"1\"\nrecord event {\n  type: string\n  at: time\n}\n"
      "schema {\n  id: string key\n  events: list<event> = []\n}\n"
      "lifecycle lc {\n  initial a\n  a -> b when exists(events within 1d)\n}\n";
  g_autoptr(PersonaModel) m = persona_compile_source("s.persona", src, strlen(src), NULL, NULL, NULL);
  g_assert_nonnull(m);
  g_autoptr(PersonaVM) vm = persona_vm_new(m);
  const char *profile = "{\"id\":\"x\",\"events\":[{\"type\":\"v\",\"at\":\"2026-01-31T12:00:00Z\"}]}";
  const char *states[] = {
      "{\"v\":1,\"lifecycles\":[{\"name\":\"lc\",\"stage\":\"a\",\"entered\":\"2026-01-01T00:00:00Z\"}],\"journeys\":[]}",
      "{\"v\":1,\"lifecycles\":[{\"name\":\"lc\",\"stage\":\"a\",\"entered\":\"2026-01-01T00:00:00Z\"}],\"journeys\":[],"
      "\"next_change\":\"2026-01-20T00:00:00Z\"}",
  };
  for (int i = 0; i < 2; i++) {
    const PersonaResult *res = NULL;
    g_assert_cmpint(persona_vm_eval(vm, profile, strlen(profile), states[i], strlen(states[i]), NOW_US, &res), ==,
                    PERSONA_EVAL_OK);
    g_assert_cmpstr(persona_result_stage(res, 0), ==, "b");
    /* The condition of `a`, tried before the profile left it, still
     * counts (an early instant, documented): the event leaves the window
     * at Feb 1 12:00 and 1 µs. */
    gint64 nc;
    g_assert_true(persona_result_next_change(res, &nc));
    g_assert_cmpint(nc, ==, NOW_US + 12 * 3600 * G_GINT64_CONSTANT(1000000) + 1);
    g_autoptr(GString) st = g_string_new(NULL);
    persona_result_state_json(res, st);
    g_assert_nonnull(strstr(st->str, ",\"next_change\":\"2026-02-01T12:00:00.000001Z\"}"));
  }
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/next_change/property", test_property);
  g_test_add_func("/next_change/steps", test_steps);
  g_test_add_func("/next_change/old_state_loads", test_old_state_loads);
  return g_test_run();
}
