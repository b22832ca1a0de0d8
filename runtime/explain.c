/* explain.c - `persona explain`: one profile's result, with reasons.
 *
 * The profile is evaluated once, with a trace callback that records each
 * score rule's contribution (before and after its cap) and the records a
 * `per` rule counted with their decay factors. Conditions are explained by
 * re-running the small blocks that compute their operands against the same
 * evaluation. The text form is written for the people who own the model
 * (marketing operations); the JSON form carries the same facts for
 * programs.
 */
#include "explain.h"

#include <math.h>
#include <string.h>

#include "persona.h"
#include "json_decode.h"
#include "json_write.h"
#include "ptime.h"
#include "result.h"
#include "state.h"

/* ---- operands ------------------------------------------------------------------ */

static void write_value(GString *out, PValue v) {
  if (v.kind == PV_NULL) g_string_append(out, "null");
  else pjw_value(out, v, NULL);
}

void pexplain_operands(PVMState *st, const PExplainCond *cond, GString *out) {
  for (uint32_t i = 0; i < cond->n_operands; i++) {
    PValue v;
    if (i) g_string_append(out, ", ");
    g_string_append_printf(out, "%s was ", cond->operand_text[i]);
    if (cond->operand_pii && cond->operand_pii[i]) g_string_append(out, "(hidden: pii)");
    else if (pvm_exec(st, cond->operand_block[i], &v)) write_value(out, v);
    else g_string_append(out, "an error");
  }
}

/* The operands as a JSON array of {"expr":…,"value":…}. */
static void operands_json(PVMState *st, const PExplainCond *cond, GString *out) {
  g_string_append_c(out, '[');
  for (uint32_t i = 0; i < cond->n_operands; i++) {
    PValue v;
    if (i) g_string_append_c(out, ',');
    g_string_append(out, "{\"expr\":");
    pjw_cstring(out, cond->operand_text[i]);
    g_string_append(out, ",\"value\":");
    if (cond->operand_pii && cond->operand_pii[i]) g_string_append(out, "\"(hidden: pii)\"");
    else if (pvm_exec(st, cond->operand_block[i], &v)) write_value(out, v);
    else g_string_append(out, "null");
    g_string_append_c(out, '}');
  }
  g_string_append_c(out, ']');
}

/* ---- what the trace points reported -------------------------------------------------- */

typedef struct EventTrace {
  PValue record;
  double factor;      /* NAN without decay */
} EventTrace;

typedef struct RuleTrace {
  bool fired;
  double raw, final;
  GArray *events;     /* EventTrace */
} RuleTrace;

typedef struct Explain {
  PVMState *st;
  const PModel *m;
  RuleTrace **rules;  /* per output (scores only): one per rule */
} Explain;

static RuleTrace *rule_of(Explain *x, const PTracePoint *p) {
  if (p->score >= x->m->n_outputs || !x->rules[p->score] || p->rule >= x->m->outputs[p->score].n_rules)
    return NULL;
  return &x->rules[p->score][p->rule];
}

static void on_trace(void *user, uint32_t point, PValue v) {
  Explain *x = user;
  if (point >= x->m->n_traces) return;
  const PTracePoint *p = &x->m->traces[point];
  RuleTrace *r = rule_of(x, p);
  if (!r) return;
  switch ((PTraceKind)p->kind) {
  case PTRACE_EVENT: {
    EventTrace e = {.record = v, .factor = NAN};
    g_array_append_val(r->events, e);
    break;
  }
  case PTRACE_FACTOR:
    if (r->events->len) g_array_index(r->events, EventTrace, r->events->len - 1).factor = v.u.n;
    break;
  case PTRACE_RULE_RAW: r->raw = v.u.n; break;
  case PTRACE_RULE:
    r->final = v.u.n;
    r->fired = true;
    break;
  }
}

static void explain_init(Explain *x, PVMState *st) {
  x->st = st;
  x->m = st->model;
  x->rules = g_new0(RuleTrace *, x->m->n_outputs + 1);
  for (uint32_t i = 0; i < x->m->n_outputs; i++) {
    const POutput *o = &x->m->outputs[i];
    if (o->kind != POUT_SCORE || !o->n_rules) continue;
    x->rules[i] = g_new0(RuleTrace, o->n_rules);
    for (uint32_t r = 0; r < o->n_rules; r++) x->rules[i][r].events = g_array_new(FALSE, FALSE, sizeof(EventTrace));
  }
}

static void explain_clear(Explain *x) {
  for (uint32_t i = 0; i < x->m->n_outputs; i++) {
    if (!x->rules[i]) continue;
    for (uint32_t r = 0; r < x->m->outputs[i].n_rules; r++) g_array_unref(x->rules[i][r].events);
    g_free(x->rules[i]);
  }
  g_free(x->rules);
}

/* ---- small formatting helpers ------------------------------------------------------------ */

/* Numbers for people: at most two decimals, no trailing zeros. */
static void human_number(GString *out, double d) {
  char buf[64];
  if (fabs(d) >= 1e15 || (d != 0 && fabs(d) < 0.005)) {
    pjw_double(out, d);
    return;
  }
  g_ascii_formatd(buf, sizeof buf, "%.2f", d); /* never the locale's decimal comma */
  char *dot = strchr(buf, '.');
  if (dot) {
    char *end = buf + strlen(buf) - 1;
    while (end > dot && *end == '0') *end-- = '\0';
    if (end == dot) *end = '\0';
  }
  if (strcmp(buf, "-0") == 0) strcpy(buf, "0");
  g_string_append(out, buf);
}

static void human_signed(GString *out, double d) {
  if (d > 0) g_string_append_c(out, '+');
  human_number(out, d);
}

static void time_text(GString *out, int64_t us) {
  char buf[PTIME_BUF];
  ptime_format(us, buf);
  g_string_append(out, buf);
}

/* A counted record, without its pii fields and without `at` (shown apart):
 * {"type":"visit","campaign":"spring"} */
static void record_text(GString *out, const PModel *m, uint32_t plan, PValue rec) {
  const PDecodePlan *p = plan < m->n_plans ? &m->plans[plan] : NULL;
  g_string_append_c(out, '{');
  bool first = true;
  for (uint32_t i = 0; p && rec.kind == PV_RECORD && i < p->n_fields && i < rec.len; i++) {
    const PDecodeField *f = &p->fields[i];
    PValue v = rec.u.items[i];
    if (f->pii || v.kind == PV_NULL || (int)i == p->at_field || !f->used) continue;
    if (!first) g_string_append_c(out, ',');
    first = false;
    pjw_cstring(out, f->name);
    g_string_append_c(out, ':');
    write_value(out, v);
  }
  g_string_append_c(out, '}');
}

static int64_t record_at(const PModel *m, uint32_t plan, PValue rec) {
  const PDecodePlan *p = plan < m->n_plans ? &m->plans[plan] : NULL;
  if (!p || p->at_field < 0 || rec.kind != PV_RECORD || (uint32_t)p->at_field >= rec.len) return INT64_MIN;
  PValue at = rec.u.items[p->at_field];
  return at.kind == PV_TIME ? at.u.i : INT64_MIN;
}

/* The plan of the records a rule counted: from its EVENT trace point. */
static uint32_t rule_plan(const PModel *m, uint32_t score, uint32_t rule) {
  for (uint32_t i = 0; i < m->n_traces; i++) {
    const PTracePoint *p = &m->traces[i];
    if (p->kind == PTRACE_EVENT && p->score == score && p->rule == rule) return p->plan;
  }
  return UINT32_MAX;
}

/* The records a rule counted come from a pii list (`calls: list<call>
 * pii`): their fields, times and decay factors are all pii. */
static bool rule_pii(const PModel *m, uint32_t score, uint32_t rule) {
  for (uint32_t i = 0; i < m->n_traces; i++) {
    const PTracePoint *p = &m->traces[i];
    if (p->kind == PTRACE_EVENT && p->score == score && p->rule == rule) return p->pii;
  }
  return false;
}

/* ---- text ----------------------------------------------------------------------------------- */

/* Tags, or segments (kind POUT_SEGMENT; the section is left out for a
 * model without segments). */
static void text_tags(Explain *x, GString *out, POutputKind kind) {
  const PModel *m = x->m;
  guint total = 0, holding = 0;
  if (kind == POUT_SEGMENT && !m->has_segments) return;
  for (uint32_t i = 0; i < m->n_outputs; i++) {
    if (m->outputs[i].kind != kind) continue;
    total++;
    PValue v = x->st->globals[m->outputs[i].slot];
    holding += v.kind == PV_BOOL && v.u.b;
  }
  g_string_append_printf(out, "\n%s: %u of %u hold\n", kind == POUT_SEGMENT ? "Segments" : "Tags", holding, total);
  for (uint32_t i = 0; i < m->n_outputs; i++) {
    const POutput *o = &m->outputs[i];
    if (o->kind != kind) continue;
    PValue v = x->st->globals[o->slot];
    bool holds = v.kind == PV_BOOL && v.u.b;
    g_string_append_printf(out, "  %s %s", holds ? "yes" : "no ", o->name);
    if (o->label) g_string_append_printf(out, " \"%s\"", o->label);
    g_string_append_printf(out, "\n      when %s", o->why.text ? o->why.text : "?");
    if (o->why.n_operands) {
      g_string_append(out, "\n      because ");
      pexplain_operands(x->st, &o->why, out);
    }
    g_string_append_c(out, '\n');
  }
}

static void text_events(Explain *x, GString *out, uint32_t score, uint32_t rule, const RuleTrace *r) {
  const PModel *m = x->m;
  uint32_t plan = rule_plan(m, score, rule);
  g_string_append_printf(out, "        %u record%s counted", r->events->len, r->events->len == 1 ? "" : "s");
  if (r->events->len == 0) {
    g_string_append_c(out, '\n');
    return;
  }
  if (rule_pii(m, score, rule)) {
    g_string_append(out, ": (hidden: pii)\n");
    return;
  }
  g_string_append(out, ":\n");
  guint shown = r->events->len < 20 ? r->events->len : 20;
  for (guint k = 0; k < shown; k++) {
    const EventTrace *e = &g_array_index(r->events, EventTrace, k);
    int64_t at = record_at(m, plan, e->record);
    g_string_append(out, "          ");
    if (at != INT64_MIN) time_text(out, at);
    g_string_append_c(out, ' ');
    record_text(out, m, plan, e->record);
    if (!isnan(e->factor)) {
      g_string_append(out, "  decay ×");
      human_number(out, e->factor);
    }
    g_string_append_c(out, '\n');
  }
  if (shown < r->events->len) g_string_append_printf(out, "          … and %u more\n", r->events->len - shown);
}

static void text_rule(Explain *x, GString *out, uint32_t score, uint32_t rule) {
  const PRuleInfo *ri = &x->m->outputs[score].rules[rule];
  const RuleTrace *r = &x->rules[score][rule];
  GString *amount = g_string_new(NULL);
  if (r->fired) human_signed(amount, r->final);
  else g_string_append(amount, "0");
  g_string_append_printf(out, "    %-8s %s\n", amount->str, ri->text);
  g_string_free(amount, TRUE);
  if (!ri->per && ri->cond.n_operands) {
    g_string_append(out, "        because ");
    pexplain_operands(x->st, &ri->cond, out);
    g_string_append_c(out, '\n');
  }
  if (ri->per) text_events(x, out, score, rule, r);
  if (r->fired && r->raw != r->final) {
    g_string_append(out, "        capped: ");
    human_number(out, r->raw);
    g_string_append(out, " became ");
    human_number(out, r->final);
    g_string_append_c(out, '\n');
  }
}

static void text_scores(Explain *x, GString *out) {
  const PModel *m = x->m;
  g_string_append(out, "\nScores\n");
  for (uint32_t i = 0; i < m->n_outputs; i++) {
    const POutput *o = &m->outputs[i];
    if (o->kind != POUT_SCORE) continue;
    PValue v = x->st->globals[o->slot];
    double value = v.kind == PV_NUMBER ? v.u.n : 0;
    g_string_append_printf(out, "  %s = ", o->name);
    human_number(out, value);
    if (o->header && *o->header) g_string_append_printf(out, "   (%s)", o->header);
    g_string_append_c(out, '\n');
    double sum = 0;
    for (uint32_t r = 0; r < o->n_rules; r++) {
      text_rule(x, out, i, r);
      if (x->rules[i][r].fired) sum += x->rules[i][r].final;
    }
    if (o->n_rules && fabs(sum - value) > 1e-9) {
      g_string_append(out, "    the rules add up to ");
      human_number(out, sum);
      g_string_append(out, "; max/min clamp it to ");
      human_number(out, value);
      g_string_append_c(out, '\n');
    }
  }
}

/* The transition code that a recorded transition took. */
static const PTransitionCode *taken(const PLifecycleCode *lc, const PTransitionRec *t) {
  for (uint32_t k = 0; k < lc->n_transitions; k++) {
    const PTransitionCode *tc = &lc->transitions[k];
    if (tc->to == t->to && (tc->from == t->from || tc->from < 0)) return tc;
  }
  return NULL;
}

static void text_lifecycles(Explain *x, GString *out) {
  const PModel *m = x->m;
  for (uint32_t i = 0; i < m->n_lifecycles; i++) {
    const PLifecycleCode *lc = &m->lifecycles[i];
    const PLcState *ls = &x->st->lc[i];
    g_string_append_printf(out, "\nLifecycle %s: %s since ", lc->name, lc->stages[ls->stage]);
    time_text(out, ls->entered);
    g_string_append_c(out, '\n');
    for (guint k = 0; k < x->st->transitions->len; k++) {
      const PTransitionRec *t = &g_array_index(x->st->transitions, PTransitionRec, k);
      if (t->lifecycle != i) continue;
      if (t->from < 0) {
        g_string_append_printf(out, "  first seen: starts at %s\n", lc->stages[t->to]);
        continue;
      }
      const PTransitionCode *tc = taken(lc, t);
      g_string_append_printf(out, "  moved %s -> %s\n      when %s", lc->stages[t->from], lc->stages[t->to],
                             tc && tc->why.text ? tc->why.text : "?");
      if (tc && tc->why.n_operands) {
        g_string_append(out, "\n      because ");
        pexplain_operands(x->st, &tc->why, out);
      }
      g_string_append_c(out, '\n');
    }
    for (uint32_t k = 0; k < lc->n_transitions; k++) {
      const PTransitionCode *tc = &lc->transitions[k];
      bool leaves = tc->from >= 0 ? (uint32_t)tc->from == ls->stage : tc->to != ls->stage;
      if (!leaves) continue;
      g_string_append_printf(out, "  stays: %s -> %s when %s", tc->from >= 0 ? lc->stages[tc->from] : "any",
                             lc->stages[tc->to], tc->why.text ? tc->why.text : "?");
      if (tc->why.n_operands) {
        g_string_append(out, "\n      because ");
        pexplain_operands(x->st, &tc->why, out);
      }
      g_string_append_c(out, '\n');
    }
  }
}

static const char *step_kind_text(uint8_t k) {
  switch (k) {
  case PJS_WAIT: return "wait";
  case PJS_WAIT_UNTIL: return "wait until";
  default: return "step";
  }
}

static void text_journeys(Explain *x, GString *out) {
  const PModel *m = x->m;
  if (m->n_journeys == 0) return;
  g_string_append(out, "\nJourneys\n");
  for (uint32_t i = 0; i < m->n_journeys; i++) {
    const PJourneyCode *j = &m->journeys[i];
    const PJState *js = &x->st->journeys[i];
    g_string_append_printf(out, "  %s: ", j->name);
    switch (js->status) {
    case PJ_IDLE: g_string_append(out, "not entered\n"); continue;
    case PJ_DONE: g_string_append_printf(out, "done (run %" G_GINT64_FORMAT ", ended ", js->run); break;
    case PJ_EXITED: g_string_append_printf(out, "exited (run %" G_GINT64_FORMAT ", at ", js->run); break;
    default: {
      const PJStep *s = &j->steps[js->step];
      g_string_append_printf(out, "active (run %" G_GINT64_FORMAT "), at %s %s until ", js->run,
                             step_kind_text(s->kind), s->id);
      time_text(out, js->wake);
      g_string_append_printf(out, "%s\n", s->kind == PJS_WAIT_UNTIL ? " at the latest" : "");
      continue;
    }
    }
    time_text(out, js->ended);
    g_string_append(out, ")\n");
  }
}

static void text_actions(Explain *x, GString *out) {
  const PModel *m = x->m;
  GArray *acts = x->st->actions;
  if (m->n_journeys == 0) return;
  g_string_append_printf(out, "\nActions emitted: %u\n", acts->len);
  for (guint i = 0; i < acts->len; i++) {
    const PActionRec *a = &g_array_index(acts, PActionRec, i);
    const PJStep *s = &m->journeys[a->journey].steps[a->step];
    g_string_append(out, "  ");
    time_text(out, a->at_us);
    g_string_append_printf(out, "  %s: %s", m->journeys[a->journey].name, s->id);
    g_string_append_c(out, '\n');
  }
  int64_t wake;
  if (pvm_next_wake(x->st, &wake)) {
    g_string_append(out, "Next wake: ");
    time_text(out, wake);
    g_string_append_c(out, '\n');
  }
}

static void explain_text(Explain *x, PValue key, GString *out) {
  g_string_append(out, "Profile ");
  write_value(out, key);
  g_string_append(out, " as of ");
  time_text(out, x->st->now_us);
  g_string_append_c(out, '\n');
  text_tags(x, out, POUT_TAG);
  text_tags(x, out, POUT_SEGMENT);
  text_scores(x, out);
  text_lifecycles(x, out);
  text_journeys(x, out);
  text_actions(x, out);
}

/* ---- JSON ------------------------------------------------------------------------------------ */

/* "tags", or "segments" (only for a model that declares some). */
static void json_tags(Explain *x, GString *out, POutputKind kind) {
  const PModel *m = x->m;
  if (kind == POUT_SEGMENT && !m->has_segments) return;
  g_string_append(out, kind == POUT_SEGMENT ? ",\"segments\":[" : ",\"tags\":[");
  bool first = true;
  for (uint32_t i = 0; i < m->n_outputs; i++) {
    const POutput *o = &m->outputs[i];
    if (o->kind != kind) continue;
    PValue v = x->st->globals[o->slot];
    if (!first) g_string_append_c(out, ',');
    first = false;
    g_string_append(out, "{\"name\":");
    pjw_cstring(out, o->name);
    g_string_append(out, ",\"label\":");
    if (o->label) pjw_cstring(out, o->label);
    else g_string_append(out, "null");
    g_string_append_printf(out, ",\"holds\":%s,\"when\":", v.kind == PV_BOOL && v.u.b ? "true" : "false");
    pjw_cstring(out, o->why.text ? o->why.text : "");
    g_string_append(out, ",\"operands\":");
    operands_json(x->st, &o->why, out);
    g_string_append_c(out, '}');
  }
  g_string_append_c(out, ']');
}

static void json_rule(Explain *x, GString *out, uint32_t score, uint32_t rule) {
  const PModel *m = x->m;
  const PRuleInfo *ri = &m->outputs[score].rules[rule];
  const RuleTrace *r = &x->rules[score][rule];
  g_string_append(out, "{\"rule\":");
  pjw_cstring(out, ri->text);
  g_string_append_printf(out, ",\"line\":%u,\"fired\":%s,\"contribution\":", ri->loc.line, r->fired ? "true" : "false");
  pjw_double(out, r->fired ? r->final : 0);
  g_string_append(out, ",\"before_cap\":");
  pjw_double(out, r->fired ? r->raw : 0);
  if (!ri->per) {
    g_string_append(out, ",\"operands\":");
    operands_json(x->st, &ri->cond, out);
  } else {
    uint32_t plan = rule_plan(m, score, rule);
    bool pii = rule_pii(m, score, rule);
    g_string_append(out, ",\"counted\":[");
    for (guint k = 0; k < r->events->len; k++) {
      const EventTrace *e = &g_array_index(r->events, EventTrace, k);
      if (k) g_string_append_c(out, ',');
      if (pii) {
        g_string_append(out, "{\"at\":null,\"record\":\"(hidden: pii)\",\"decay\":null}");
        continue;
      }
      g_string_append(out, "{\"at\":");
      int64_t at = record_at(m, plan, e->record);
      if (at != INT64_MIN) pjw_time(out, at);
      else g_string_append(out, "null");
      g_string_append(out, ",\"record\":");
      record_text(out, m, plan, e->record);
      g_string_append(out, ",\"decay\":");
      if (isnan(e->factor)) g_string_append(out, "null");
      else pjw_double(out, e->factor);
      g_string_append_c(out, '}');
    }
    g_string_append_c(out, ']');
  }
  g_string_append_c(out, '}');
}

static void json_scores(Explain *x, GString *out) {
  const PModel *m = x->m;
  g_string_append(out, ",\"scores\":[");
  bool first = true;
  for (uint32_t i = 0; i < m->n_outputs; i++) {
    const POutput *o = &m->outputs[i];
    if (o->kind != POUT_SCORE) continue;
    PValue v = x->st->globals[o->slot];
    if (!first) g_string_append_c(out, ',');
    first = false;
    g_string_append(out, "{\"name\":");
    pjw_cstring(out, o->name);
    g_string_append(out, ",\"value\":");
    pjw_double(out, v.kind == PV_NUMBER ? v.u.n : 0);
    g_string_append(out, ",\"rules\":[");
    for (uint32_t r = 0; r < o->n_rules; r++) {
      if (r) g_string_append_c(out, ',');
      json_rule(x, out, i, r);
    }
    g_string_append(out, "]}");
  }
  g_string_append_c(out, ']');
}

static void json_transition(Explain *x, GString *out, const PLifecycleCode *lc, const PTransitionCode *tc) {
  g_string_append(out, "{\"from\":");
  if (tc->from >= 0) pjw_cstring(out, lc->stages[tc->from]);
  else g_string_append(out, "\"any\"");
  g_string_append(out, ",\"to\":");
  pjw_cstring(out, lc->stages[tc->to]);
  g_string_append(out, ",\"when\":");
  pjw_cstring(out, tc->why.text ? tc->why.text : "");
  g_string_append(out, ",\"operands\":");
  operands_json(x->st, &tc->why, out);
  g_string_append_c(out, '}');
}

static void json_lifecycles(Explain *x, GString *out) {
  const PModel *m = x->m;
  g_string_append(out, ",\"lifecycles\":[");
  for (uint32_t i = 0; i < m->n_lifecycles; i++) {
    const PLifecycleCode *lc = &m->lifecycles[i];
    const PLcState *ls = &x->st->lc[i];
    if (i) g_string_append_c(out, ',');
    g_string_append(out, "{\"name\":");
    pjw_cstring(out, lc->name);
    g_string_append(out, ",\"stage\":");
    pjw_cstring(out, lc->stages[ls->stage]);
    g_string_append(out, ",\"taken\":[");
    bool first = true;
    for (guint k = 0; k < x->st->transitions->len; k++) {
      const PTransitionRec *t = &g_array_index(x->st->transitions, PTransitionRec, k);
      const PTransitionCode *tc = t->lifecycle == i && t->from >= 0 ? taken(lc, t) : NULL;
      if (!tc) continue;
      if (!first) g_string_append_c(out, ',');
      first = false;
      json_transition(x, out, lc, tc);
    }
    g_string_append(out, "],\"not_taken\":[");
    first = true;
    for (uint32_t k = 0; k < lc->n_transitions; k++) {
      const PTransitionCode *tc = &lc->transitions[k];
      bool leaves = tc->from >= 0 ? (uint32_t)tc->from == ls->stage : tc->to != ls->stage;
      if (!leaves) continue;
      if (!first) g_string_append_c(out, ',');
      first = false;
      json_transition(x, out, lc, tc);
    }
    g_string_append(out, "]}");
  }
  g_string_append_c(out, ']');
}

static void explain_json(Explain *x, PValue key, GString *out) {
  g_string_append(out, "{\"id\":");
  write_value(out, key);
  g_string_append(out, ",\"now\":");
  pjw_time(out, x->st->now_us);
  json_tags(x, out, POUT_TAG);
  json_tags(x, out, POUT_SEGMENT);
  json_scores(x, out);
  json_lifecycles(x, out);
  g_string_append(out, ",\"result\":");
  presult_write(out, x->st, key);
  g_string_append(out, "}\n");
}

/* ---- the API ---------------------------------------------------------------------------------- */

PersonaEvalStatus pexplain_record(PVMState *st, const char *json, size_t len, const char *state_json,
                                  size_t state_len, int64_t now_us, uint64_t line_no, bool as_json,
                                  GString *out) {
  const PModel *m = st->model;
  /* A traced model explains each tag (why) and score (header); one built
   * for the score rules only (score_rules) has neither. */
  if (m->n_outputs > 0 && !m->outputs[0].why.text && !m->outputs[0].header) {
    g_string_append(out, "this model was not compiled for explanations (compile it with tracing)\n");
    return PERSONA_EVAL_RECORD_ERROR;
  }
  PDecodeResult dr;
  if (!pvm_begin_record(st, json, len, now_us, &dr)) {
    presult_write_error(out, dr.key, line_no, dr.error, dr.error_code, dr.error_field);
    return PERSONA_EVAL_RECORD_ERROR;
  }
  Explain x;
  explain_init(&x, st);
  /* The host's own trace (persona_vm_record_rules) is put back after. */
  PTraceFn host_trace = st->trace;
  void *host_user = st->trace_user;
  st->trace = on_trace;
  st->trace_user = &x;
  bool ok = pstate_decode(st, state_json, state_json ? state_len : 0, st->error, sizeof st->error) &&
            pvm_eval_record(st);
  st->trace = host_trace;
  st->trace_user = host_user;
  if (!ok) {
    presult_write_error(out, dr.key, line_no, st->error, st->error_code ? st->error_code : "bad_state", NULL);
    explain_clear(&x);
    return PERSONA_EVAL_RECORD_ERROR;
  }
  if (as_json) explain_json(&x, dr.key, out);
  else explain_text(&x, dr.key, out);
  explain_clear(&x);
  return PERSONA_EVAL_OK;
}
