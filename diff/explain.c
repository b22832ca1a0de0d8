/* explain.c - the rule behind each change of the most changed profiles
 * (explain.h, docs/diff.md). */
#include "diff/explain.h"

#include <math.h>
#include <string.h>

#include "diff/decls.h"
#include "diff/json.h"

/* The two explanations of one profile, and what the report compared. */
typedef struct {
  const PdJson *old, *new;
  const PdReport *r;
  const PdDecls *old_decls, *new_decls;
} Pair;

/* ---- small texts ------------------------------------------------------------ */

/* Runs of white space (a condition written over several lines) as one space. */
static char *one_line(const char *text) {
  GString *s = g_string_new(NULL);
  for (const char *c = text; *c; c++) {
    if (g_ascii_isspace(*c)) {
      if (s->len && s->str[s->len - 1] != ' ') g_string_append_c(s, ' ');
    } else {
      g_string_append_c(s, *c);
    }
  }
  if (s->len && s->str[s->len - 1] == ' ') g_string_truncate(s, s->len - 1);
  return g_string_free(s, FALSE);
}

/* An operand's value as the explanation gives it (a pii-derived one is
 * the text "(hidden: pii)" there): numbers to 6 digits, strings quoted
 * and cut at 40 characters, lists and records elided. */
static char *value_text(const PdJson *v) {
  if (!v) return g_strdup("?");
  switch (v->kind) {
  case PD_JSON_NULL: return g_strdup("null");
  case PD_JSON_BOOL: return g_strdup(v->b ? "true" : "false");
  case PD_JSON_NUMBER: {
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    return g_strdup(g_ascii_formatd(buf, sizeof buf, "%.6g", v->n));
  }
  case PD_JSON_STRING: {
    g_autofree char *head = g_utf8_strlen(v->s, -1) > 40 ? g_utf8_substring(v->s, 0, 39) : NULL;
    g_autofree char *cut = head ? g_strconcat(head, "…", NULL) : g_strdup(v->s);
    GString *s = g_string_new(NULL);
    persona_json_append_string(s, cut, -1);
    return g_string_free(s, FALSE);
  }
  case PD_JSON_ARRAY: return g_strdup("[…]");
  case PD_JSON_OBJECT: return g_strdup("{…}");
  }
  return g_strdup("?");
}

/* The element of `arr` whose member `key` is the string `name`. */
static const PdJson *find_named(const PdJson *arr, const char *key, const char *name) {
  for (guint i = 0; i < pd_json_len(arr); i++) {
    const char *n = pd_json_str(pd_json_at(arr, i), key);
    if (n && strcmp(n, name) == 0) return pd_json_at(arr, i);
  }
  return NULL;
}

/* Tag or segment `name` in an explanation. */
static const PdJson *find_tag(const PdJson *ex, const char *name) {
  const PdJson *t = find_named(pd_json_get(ex, "tags"), "name", name);
  return t ? t : find_named(pd_json_get(ex, "segments"), "name", name);
}

/* `expr` is a tag of both models whose condition text differs: append
 * "; tag T: `old` → `new`", the change behind a changed operand. */
static void append_tag_change(GString *s, const Pair *p, const char *expr) {
  const PdJson *a = find_tag(p->old, expr), *b = find_tag(p->new, expr);
  const char *wa = pd_json_str(a, "when"), *wb = pd_json_str(b, "when");
  if (!wa || !wb) return;
  g_autofree char *la = one_line(wa), *lb = one_line(wb);
  if (strcmp(la, lb) != 0) g_string_append_printf(s, "; tag %s: `%s` → `%s`", expr, la, lb);
}

/* " (x = 4, y: 1 → 3; tag y: `…` → `…`)": the operands of the NEW side
 * (or of OLD when NEW has none), each with its old value when it differs. */
static void append_operands(GString *s, const Pair *p, const PdJson *old_ops, const PdJson *new_ops) {
  const PdJson *ops = pd_json_len(new_ops) ? new_ops : old_ops;
  const PdJson *other = ops == new_ops ? old_ops : NULL;
  if (!pd_json_len(ops)) return;
  g_string_append(s, " (");
  for (guint i = 0; i < pd_json_len(ops); i++) {
    const PdJson *op = pd_json_at(ops, i);
    const char *expr = pd_json_str(op, "expr");
    if (!expr) continue;
    g_autofree char *e = one_line(expr);
    g_autofree char *now = value_text(pd_json_get(op, "value"));
    const PdJson *was_op = find_named(other, "expr", expr);
    g_autofree char *was = was_op ? value_text(pd_json_get(was_op, "value")) : NULL;
    if (i) g_string_append(s, ", ");
    if (was && strcmp(was, now) != 0) {
      g_string_append_printf(s, "%s: %s → %s", e, was, now);
      append_tag_change(s, p, expr);
    } else {
      g_string_append_printf(s, "%s = %s", e, now);
    }
  }
  g_string_append_c(s, ')');
}

/* ---- tags and segments ---------------------------------------------------------- */

static char *explain_tag(const Pair *p, const PdTagDiff *t, gboolean gained) {
  const PdJson *a = t->in_old ? find_tag(p->old, t->name) : NULL;
  const PdJson *b = t->in_new ? find_tag(p->new, t->name) : NULL;
  const char *wa = pd_json_str(a, "when"), *wb = pd_json_str(b, "when");
  g_autofree char *la = wa ? one_line(wa) : NULL, *lb = wb ? one_line(wb) : NULL;
  GString *s = g_string_new(NULL);
  g_string_append_printf(s, "tag %s %s: ", t->name, gained ? "gained" : "lost");
  if (!lb) g_string_append_printf(s, "removed, was `%s`", la ? la : "?");
  else if (!la) g_string_append_printf(s, "new, `%s`", lb);
  else if (strcmp(la, lb) != 0) g_string_append_printf(s, "`%s` → `%s`", la, lb);
  else g_string_append_printf(s, "`%s` %s", lb, gained ? "now holds" : "no longer holds");
  append_operands(s, p, pd_json_get(a, "operands"), pd_json_get(b, "operands"));
  return g_string_free(s, FALSE);
}

/* ---- lifecycles ------------------------------------------------------------------ */

/* "lead -> mql" for a transition of an explanation ("any" when from is null). */
static char *transition_key(const PdJson *t) {
  const char *from = pd_json_str(t, "from");
  return g_strdup_printf("%s -> %s", from ? from : "any", pd_json_str(t, "to") ? pd_json_str(t, "to") : "?");
}

static const PdJson *find_transition(const PdJson *list, const char *key) {
  for (guint i = 0; i < pd_json_len(list); i++) {
    g_autofree char *k = transition_key(pd_json_at(list, i));
    if (strcmp(k, key) == 0) return pd_json_at(list, i);
  }
  return NULL;
}

/* Each transition `mine` took that `theirs` did not: "`lead -> mql when
 * total >= 60` now taken (total: 50 → 70)" (now = taken under NEW). */
static void transitions_taken_once(GString *s, const Pair *p, const PdJson *mine, const PdJson *theirs,
                                   gboolean now) {
  const PdJson *taken = pd_json_get(mine, "taken");
  for (guint i = 0; i < pd_json_len(taken); i++) {
    const PdJson *t = pd_json_at(taken, i);
    g_autofree char *key = transition_key(t);
    const PdJson *same = find_transition(pd_json_get(theirs, "taken"), key);
    const PdJson *other = same ? same : find_transition(pd_json_get(theirs, "not_taken"), key);
    g_autofree char *w = one_line(pd_json_str(t, "when") ? pd_json_str(t, "when") : "?");
    g_autofree char *ow = other && pd_json_str(other, "when") ? one_line(pd_json_str(other, "when")) : NULL;
    if (same && ow && strcmp(w, ow) == 0) continue; /* taken under both */
    if (s->len && s->str[s->len - 1] != ' ') g_string_append(s, "; ");
    const char *old_w = now ? ow : w, *new_w = now ? w : ow;
    if (old_w && new_w && strcmp(old_w, new_w) != 0)
      g_string_append_printf(s, "`%s when %s` → `when %s`", key, old_w, new_w);
    else
      g_string_append_printf(s, "`%s when %s`", key, w);
    g_string_append(s, now ? " now taken" : " no longer taken");
    const PdJson *ops = pd_json_get(t, "operands"), *other_ops = other ? pd_json_get(other, "operands") : NULL;
    if (now) append_operands(s, p, other_ops, ops);
    else append_operands(s, p, ops, other_ops);
  }
}

static char *explain_lifecycle(const Pair *p, const PdLifecycleDiff *l) {
  const PdJson *a = find_named(pd_json_get(p->old, "lifecycles"), "name", l->name);
  const PdJson *b = find_named(pd_json_get(p->new, "lifecycles"), "name", l->name);
  GString *s = g_string_new(NULL);
  g_string_append_printf(s, "%s: ", l->name);
  gsize head = s->len;
  transitions_taken_once(s, p, b, a, TRUE);
  transitions_taken_once(s, p, a, b, FALSE);
  if (s->len == head) g_string_append(s, "no transition differs (the stage it starts from does)");
  return g_string_free(s, FALSE);
}

/* ---- scores ------------------------------------------------------------------------ */

static const PdJson *find_rule(const PdJson *rules, const char *text) {
  g_autofree char *want = one_line(text);
  for (guint i = 0; i < pd_json_len(rules); i++) {
    const char *t = pd_json_str(pd_json_at(rules, i), "rule");
    g_autofree char *have = t ? one_line(t) : NULL;
    if (have && strcmp(have, want) == 0) return pd_json_at(rules, i);
  }
  return NULL;
}

static double contribution(const PdJson *rule) {
  double c = pd_json_num(rule, "contribution");
  return isfinite(c) ? c : 0;
}

/* A rule of one model: compared with the rule of the same text in the
 * other. `in_new`: the rule is NEW's (else OLD's, with no NEW twin). */
static void explain_rule(GString *s, const Pair *p, const PdJson *rule, const PdJson *twin, gboolean in_new) {
  const char *text = pd_json_str(rule, "rule");
  if (!text) return;
  double c = contribution(rule), tc = twin ? contribution(twin) : 0;
  if (twin && c == tc) return;
  if (!twin && c == 0) return;
  g_autofree char *t = one_line(text);
  if (s->len && s->str[s->len - 1] != ' ') g_string_append(s, "; ");
  if (!twin) {
    g_string_append_printf(s, "`%s` %s, %+.4g", t, in_new ? "added" : "removed", in_new ? c : -c);
    append_operands(s, p, NULL, pd_json_get(rule, "operands"));
    return;
  }
  gboolean fired = pd_json_bool(rule, "fired") && c != 0, twin_fired = pd_json_bool(twin, "fired") && tc != 0;
  if (fired != twin_fired)
    g_string_append_printf(s, "`%s` %s", t, fired ? "now fires" : "no longer fires");
  else
    g_string_append_printf(s, "`%s` gives %+.4g, was %+.4g", t, c, tc);
  append_operands(s, p, pd_json_get(twin, "operands"), pd_json_get(rule, "operands"));
}

/* A derived score (`score s = EXPR`): its declaration, old → new when it
 * changed. */
static void explain_derived(GString *s, const Pair *p, const char *name) {
  g_autofree char *key = g_strdup_printf("score %s", name);
  const PdDecl *a = pd_decls_find(p->old_decls, key), *b = pd_decls_find(p->new_decls, key);
  g_autofree char *la = a ? one_line(a->text) : NULL, *lb = b ? one_line(b->text) : NULL;
  if (la && lb && strcmp(la, lb) != 0) g_string_append_printf(s, "derived, `%s` → `%s`", la, lb);
  else if (lb) g_string_append_printf(s, "derived, `%s`: its inputs changed", lb);
  else g_string_append(s, "derived: its inputs changed");
}

static char *explain_score(const Pair *p, const PdScoreDiff *sd) {
  const PdJson *a = find_named(pd_json_get(p->old, "scores"), "name", sd->name);
  const PdJson *b = find_named(pd_json_get(p->new, "scores"), "name", sd->name);
  const PdJson *ra = pd_json_get(a, "rules"), *rb = pd_json_get(b, "rules");
  GString *s = g_string_new(NULL);
  g_string_append_printf(s, "score %s: ", sd->name);
  gsize head = s->len;
  if (!pd_json_len(ra) && !pd_json_len(rb)) {
    explain_derived(s, p, sd->name);
    return g_string_free(s, FALSE);
  }
  for (guint i = 0; i < pd_json_len(rb); i++) {
    const PdJson *rule = pd_json_at(rb, i);
    const char *text = pd_json_str(rule, "rule");
    explain_rule(s, p, rule, text ? find_rule(ra, text) : NULL, TRUE);
  }
  for (guint i = 0; i < pd_json_len(ra); i++) {
    const PdJson *rule = pd_json_at(ra, i);
    const char *text = pd_json_str(rule, "rule");
    if (text && !find_rule(rb, text)) explain_rule(s, p, rule, NULL, FALSE);
  }
  if (s->len == head) g_string_append(s, "no rule's points differ (its max, min or decay changed)");
  return g_string_free(s, FALSE);
}

/* ---- one profile ------------------------------------------------------------------- */

static gboolean tag_held(const PdJson *ex, const char *name) { return pd_json_bool(find_tag(ex, name), "holds"); }

/* What the report counted as changed, each with its reason. The
 * explanations are the models' own results, so they agree with the pass. */
static GPtrArray *explain_pair(const Pair *p) {
  GPtrArray *why = g_ptr_array_new_with_free_func(g_free);
  const PdReport *r = p->r;
  for (guint i = 0; i < r->tags->len; i++) {
    const PdTagDiff *t = &g_array_index(r->tags, PdTagDiff, i);
    gboolean a = t->in_old && tag_held(p->old, t->name), b = t->in_new && tag_held(p->new, t->name);
    if (a != b) g_ptr_array_add(why, explain_tag(p, t, b));
  }
  for (guint i = 0; i < r->lifecycles->len; i++) {
    const PdLifecycleDiff *l = &g_array_index(r->lifecycles, PdLifecycleDiff, i);
    const char *sa = pd_json_str(find_named(pd_json_get(p->old, "lifecycles"), "name", l->name), "stage");
    const char *sb = pd_json_str(find_named(pd_json_get(p->new, "lifecycles"), "name", l->name), "stage");
    if (sa && sb && strcmp(sa, sb) != 0) g_ptr_array_add(why, explain_lifecycle(p, l));
  }
  for (guint i = 0; i < r->scores->len; i++) {
    const PdScoreDiff *sd = &g_array_index(r->scores, PdScoreDiff, i);
    double a = pd_json_num(find_named(pd_json_get(p->old, "scores"), "name", sd->name), "value");
    double b = pd_json_num(find_named(pd_json_get(p->new, "scores"), "name", sd->name), "value");
    if (a != b) g_ptr_array_add(why, explain_score(p, sd));
  }
  return why;
}

/* The explanation of one record by one model as a tree, or NULL. */
static PdJson *explain_record(PersonaVM *vm, const PdProfileChange *c, const PdExplainInput *in) {
  const char *state = NULL;
  if (in->store) {
    g_autoptr(GString) key = g_string_new(NULL);
    if (persona_vm_profile_key(vm, c->record, c->record_len, key)) state = persona_state_store_get(in->store, key->str);
  }
  g_autoptr(GString) out = g_string_new(NULL);
  if (persona_vm_explain(vm, c->record, c->record_len, state, state ? strlen(state) : 0, in->now_us, c->line, TRUE,
                         out) != PERSONA_EVAL_OK)
    return NULL;
  /* Not read here: the records a `per` rule counted, the result. */
  static const char *const skip[] = {"counted", "result", "label", NULL};
  return pd_json_parse(out->str, out->len, skip);
}

void pd_explain_top(PdReport *r, const PdExplainInput *in) {
  if (!r->top->len) return;
  g_autoptr(PersonaVM) vm_a = persona_vm_new(in->old_model);
  g_autoptr(PersonaVM) vm_b = persona_vm_new(in->new_model);
  PdDecls *da = pd_decls_split(in->old_src), *db = pd_decls_split(in->new_src);
  for (guint i = 0; i < r->top->len; i++) {
    PdProfileChange *c = &g_array_index(r->top, PdProfileChange, i);
    PdJson *a = explain_record(vm_a, c, in), *b = explain_record(vm_b, c, in);
    if (a && b) {
      Pair p = {a, b, r, da, db};
      c->why = explain_pair(&p);
    }
    pd_json_free(a);
    pd_json_free(b);
  }
  pd_decls_free(da);
  pd_decls_free(db);
}
