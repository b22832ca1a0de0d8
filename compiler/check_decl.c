/* check_decl.c - declarations with inner structure: score rules, lifecycle
 * transitions, journey steps, test blocks. */
#include "check_internal.h"

#include <math.h>
#include <string.h>

#include <dlfcn.h>

#include "../runtime/natives.h"
#include "../runtime/ptime.h"

/* A constant that must be a positive number (cap, max, min) or duration. */
static void check_const_number(PCheck *c, PExpr *e, const char *what) {
  PType *t = pcheck_const_expr(c, e);
  if (t->kind == PTY_ERROR) return;
  if (t->optional || (t->kind != PTY_INT && t->kind != PTY_NUMBER)) {
    g_autofree char *ts = pcheck_type_str(c, t);
    pdiag_error(c->diags, &e->loc, "%s must be a number, not %s", what, ts);
  }
}

static void check_const_duration(PCheck *c, PExpr *e, const char *what) {
  PType *t = pcheck_const_expr(c, e);
  if (t->kind == PTY_ERROR) return;
  if (t->optional || t->kind != PTY_DURATION) {
    g_autofree char *ts = pcheck_type_str(c, t);
    pdiag_add(c->diags, PDIAG_ERROR, &e->loc, "write a duration such as 14d", "%s must be a duration, not %s",
              what, ts);
    return;
  }
  if (e->kind == PE_DURATION && e->ival <= 0)
    pdiag_error(c->diags, &e->loc, "%s must be longer than zero", what);
}

/* ---- scores --------------------------------------------------------------- */

static void check_rule(PCheck *c, PDecl *d, PScoreRule *r) {
  pcheck_expect(c, r->weight, PTY_NUMBER, "a rule's weight");
  if (r->kind == PRULE_WHEN) {
    pcheck_cond(c, r->cond, "the condition of a score rule");
  } else {
    PType *elem = NULL;
    PRecordType *rt = pcheck_query(c, r->query, "'per'", &elem);
    pcheck_pop_scope(c);
    if (!rt && elem && elem->kind != PTY_ERROR)
      pdiag_error(c->diags, &r->query->list->loc, "'per' counts records: it needs a list of records");
    if (d->decay && rt && rt->at_field < 0)
      pdiag_error(c->diags, &r->loc,
                  "decay needs each counted record's time, but %s has no field 'at: time'", rt->name);
  }
  if (r->cap) check_const_number(c, r->cap, "a cap");
  pcheck_no_pii_leaves(c, r->weight, "this weight");
}

void pcheck_score(PCheck *c, PSym *s) {
  PDecl *d = s->decl;
  if (d->decay) check_const_duration(c, d->decay, "the half-life of decay");
  if (d->max) check_const_number(c, d->max, "max");
  if (d->min) check_const_number(c, d->min, "min");
  if (d->expr) {
    pcheck_expect(c, d->expr, PTY_NUMBER, "a score");
    g_autofree char *what = g_strdup_printf("score %s", d->name);
    pcheck_no_pii_leaves(c, d->expr, what);
    if (d->decay)
      pdiag_error(c->diags, &d->decay->loc, "decay applies to 'per' rules; score %s has none", d->name);
    return;
  }
  if (!d->rules) return;
  for (guint i = 0; i < d->rules->len; i++) check_rule(c, d, g_ptr_array_index(d->rules, i));
}

/* ---- lifecycles ------------------------------------------------------------- */

void pcheck_lifecycle(PCheck *c, PSym *s) {
  PDecl *d = s->decl;
  for (guint i = 0; i < d->transitions->len; i++) {
    PTransition *t = g_ptr_array_index(d->transitions, i);
    if (t->from && strcmp(t->from, t->to) == 0)
      pdiag_error(c->diags, &t->loc, "a transition from %s to itself changes nothing", t->to);
    pcheck_cond(c, t->cond, "the condition of a transition");
  }
}

/* ---- journeys ------------------------------------------------------------------ */

static void check_steps(PCheck *c, GPtrArray *steps);

static void check_step(PCheck *c, PStep *st) {
  switch (st->kind) {
  case PSTEP_SEND:
  case PSTEP_TASK:
  case PSTEP_NOTIFY:
  case PSTEP_WEBHOOK: break;
  case PSTEP_WAIT: pcheck_expect(c, st->duration, PTY_DURATION, "the length of a wait"); break;
  case PSTEP_WAIT_UNTIL:
    pcheck_cond(c, st->cond, "the condition of 'wait until'");
    pcheck_expect(c, st->duration, PTY_DURATION, "the timeout of 'wait until'");
    break;
  case PSTEP_IF:
    pcheck_cond(c, st->cond, "the condition of 'if'");
    check_steps(c, st->body);
    if (st->else_body) check_steps(c, st->else_body);
    break;
  case PSTEP_SPLIT: {
    if (st->experiment) {
      pcheck_experiment_split(c, st);
      for (guint i = 0; i < st->arms->len; i++) check_step(c, ((PSplitArm *)g_ptr_array_index(st->arms, i))->step);
      break;
    }
    double total = 0;
    gboolean weights_read = TRUE;
    for (guint i = 0; i < st->arms->len; i++) {
      PSplitArm *arm = g_ptr_array_index(st->arms, i);
      if (arm->weight->kind != PE_NUMBER || arm->weight->nval < 0) {
        pdiag_error(c->diags, &arm->weight->loc, "a split arm's weight is a percentage such as 50%%");
        weights_read = FALSE;
      } else {
        total += arm->weight->nval;
      }
      check_step(c, arm->step);
    }
    /* An error, not a warning: with any other sum the arms would not get
     * the shares written (the rest would silently go to the last arm). */
    if (weights_read && fabs(total - 1.0) > 1e-9)
      pdiag_add(c->diags, PDIAG_ERROR, &st->loc, "make the weights add up to 100%",
                "the split's weights add up to %g%%, not 100%%", total * 100);
    break;
  }
  case PSTEP_BLOCK: check_steps(c, st->body); break;
  }
}

static void check_steps(PCheck *c, GPtrArray *steps) {
  if (!steps) return;
  for (guint i = 0; i < steps->len; i++) check_step(c, g_ptr_array_index(steps, i));
}

/* ---- step ids (spec 4.6): from the step's path and content, never from
 * line numbers, so that edits elsewhere do not move a journey in flight -- */

/* What a step is, as text: "send:email:welcome-1", "wait:3d", "if". */
static char *step_base(const PStep *st) {
  char dur[PTIME_BUF];
  switch (st->kind) {
  case PSTEP_SEND: return g_strdup_printf("send:%s:%s", st->channel, st->text);
  case PSTEP_TASK: return g_strdup_printf("task:%s:%s", st->channel, st->text);
  case PSTEP_NOTIFY: return g_strdup_printf("notify:%s:%s", st->channel, st->text);
  case PSTEP_WEBHOOK: return g_strdup_printf("webhook:%s", st->text);
  case PSTEP_WAIT:
  case PSTEP_WAIT_UNTIL: {
    const char *w = st->kind == PSTEP_WAIT ? "wait" : "wait-until";
    if (st->duration && st->duration->kind == PE_DURATION) {
      pduration_format(st->duration->ival, dur);
      return g_strdup_printf("%s:%s", w, dur);
    }
    return g_strdup(w);
  }
  case PSTEP_IF: return g_strdup("if");
  case PSTEP_SPLIT: return g_strdup("split");
  case PSTEP_BLOCK: return g_strdup("block");
  }
  return g_strdup("step");
}

static void assign_ids(PCheck *c, const char *journey, GPtrArray *steps, const char *prefix,
                       GHashTable *labels);

/* Ids of one step and its children. Structure steps (if, split, block) are
 * always numbered ("if#1"); actions and waits only when the same step
 * appears twice in one block ("wait:3d#2"). */
static void assign_id(PCheck *c, const char *journey, PStep *st, const char *prefix,
                      GHashTable *counts, GHashTable *labels) {
  char *base = step_base(st);
  guint n = GPOINTER_TO_UINT(g_hash_table_lookup(counts, base)) + 1;
  g_hash_table_insert(counts, g_strdup(base), GUINT_TO_POINTER(n));
  bool structural = st->kind == PSTEP_IF || st->kind == PSTEP_SPLIT || st->kind == PSTEP_BLOCK;
  char *seg = structural || n > 1 ? g_strdup_printf("%s#%u", base, n) : g_strdup(base);
  char *id;
  if (st->label) {
    id = g_strdup_printf("%s/@%s", journey, st->label);
    if (g_hash_table_contains(labels, st->label))
      pdiag_error(c->diags, &st->loc, "label @%s is used twice in journey %s", st->label, journey);
    g_hash_table_add(labels, (gpointer)st->label);
  } else {
    id = g_strdup_printf("%s/%s", prefix, seg);
  }
  st->id = (char *)past_strdup(c->ast, id);
  if (st->kind == PSTEP_IF) {
    char *p = g_strdup_printf("%s/then", st->id);
    assign_ids(c, journey, st->body, p, labels);
    g_free(p);
    if (st->else_body) {
      p = g_strdup_printf("%s/else", st->id);
      assign_ids(c, journey, st->else_body, p, labels);
      g_free(p);
    }
  } else if (st->kind == PSTEP_SPLIT) {
    for (guint i = 0; i < st->arms->len; i++) {
      PSplitArm *arm = g_ptr_array_index(st->arms, i);
      char *p = arm->name ? g_strdup_printf("%s/%s", st->id, arm->name) : g_strdup_printf("%s/arm%u", st->id, i + 1);
      GHashTable *arm_counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
      assign_id(c, journey, arm->step, p, arm_counts, labels);
      g_hash_table_unref(arm_counts);
      g_free(p);
    }
  } else if (st->kind == PSTEP_BLOCK) {
    assign_ids(c, journey, st->body, st->id, labels);
  }
  g_free(id);
  g_free(seg);
  g_free(base);
}

static void assign_ids(PCheck *c, const char *journey, GPtrArray *steps, const char *prefix,
                       GHashTable *labels) {
  if (!steps) return;
  GHashTable *counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < steps->len; i++) assign_id(c, journey, g_ptr_array_index(steps, i), prefix, counts, labels);
  g_hash_table_unref(counts);
}

void pcheck_journey(PCheck *c, PSym *s) {
  PDecl *d = s->decl;
  c->current = s;
  c->current_journey = d;
  if (d->enter == PENTER_ON) {
    PSym *lc = g_hash_table_lookup(c->globals, d->enter_lifecycle);
    if (!lc || lc->kind != PSYM_LIFECYCLE) {
      pdiag_error(c->diags, &d->enter_lifecycle_loc, "'%s' is not a lifecycle", d->enter_lifecycle);
    } else {
      pcheck_depend(c, lc);
      pcheck_stage_literal(c, lc, d->enter_stage);
    }
  } else if (d->enter == PENTER_WHEN) {
    pcheck_cond(c, d->enter_cond, "the entry condition of a journey");
  } else {
    pdiag_add(c->diags, PDIAG_ERROR, &d->name_loc, "add: enter on funnel -> \"lead\"  or  enter when CONDITION",
              "journey %s has no 'enter' clause", d->name);
  }
  if (d->reenter_after) check_const_duration(c, d->reenter_after, "the re-entry delay");
  if (d->exit_cond) pcheck_cond(c, d->exit_cond, "the exit condition of a journey");
  check_steps(c, d->steps);
  GHashTable *labels = g_hash_table_new(g_str_hash, g_str_equal);
  assign_ids(c, d->name, d->steps, d->name, labels);
  g_hash_table_unref(labels);
  c->current = NULL;
  c->current_journey = NULL;
}

/* ---- tests ------------------------------------------------------------------------ */

static void check_test_profile(PCheck *c, PExpr *e) {
  if (e->kind != PE_RECORD) {
    pdiag_error(c->diags, &e->loc, "'profile' takes a record literal: profile {id: \"p1\", …}");
    return;
  }
  pcheck_const_expr(c, e);
  for (guint i = 0; i < e->items->len; i++) {
    PRecordField *f = g_ptr_array_index(e->items, i);
    if (precord_field(c->profile, f->name) < 0) {
      const char **names = g_new0(const char *, c->profile->fields->len + 1);
      for (guint k = 0; k < c->profile->fields->len; k++)
        names[k] = g_array_index(c->profile->fields, PRecordFieldType, k).name;
      const char *s = pdiag_suggest(f->name, names, c->profile->fields->len);
      char *hint = s ? g_strdup_printf("did you mean '%s'?", s) : NULL;
      pdiag_add(c->diags, PDIAG_WARNING, &f->loc, hint, "the schema has no field '%s': it is ignored",
                f->name);
      g_free(hint);
      g_free(names);
    }
  }
}

static void check_test_time(PCheck *c, PExpr *e) {
  int64_t us;
  if (e->kind == PE_STRING && ptime_parse(e->sval, e->slen, &us)) {
    e->type = c->tt->t_time;
    e->is_const = true;
    return;
  }
  pdiag_add(c->diags, PDIAG_ERROR, &e->loc, "write e.g. at \"2026-02-01T00:00:00Z\"",
            "'at' takes a time as a string literal");
}

/* `profile from "FILE.jsonl"`: the file beside the model that declares the
 * test, read now (a test is reproducible from the sources). */
static void check_test_profiles(PCheck *c, PTestStep *ts) {
  const PSourceFile *f = psrc_file(c->src, ts->loc.file);
  g_autofree char *dir = g_path_get_dirname(f && f->name ? f->name : ".");
  g_autofree char *name = g_strndup(ts->value->sval, ts->value->slen);
  g_autofree char *path = g_path_is_absolute(name) ? g_strdup(name) : g_build_filename(dir, name, NULL);
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;
  if (!g_file_get_contents(path, &text, &len, &error)) {
    pdiag_error(c->diags, &ts->value->loc, "cannot read the profiles of this test: %s", error->message);
    return;
  }
  ts->profiles_text = past_strndup(c->ast, text, len);
  ts->profiles_len = (uint32_t)len;
}

static bool is_number_literal(const PExpr *e) { return e && (e->kind == PE_NUMBER || e->kind == PE_INT); }

/* `expect lift(EXP, "A", "B") OP X` and `expect significant(EXP, ALPHA)`:
 * checks over the whole list of profiles (docs/experiment.md), not an
 * expression of one. False when `e` is neither. */
static bool check_experiment_expect(PCheck *c, PTestStep *ts) {
  PExpr *e = ts->value, *call = e;
  bool lift = false, negated = false;
  if (e->kind == PE_UNARY && e->op == POP_NOT && e->left->kind == PE_CALL && strcmp(e->left->name, "significant") == 0) {
    call = e = e->left;
    negated = true;
  }
  if (e->kind == PE_BINARY && (e->op == POP_GE || e->op == POP_GT || e->op == POP_LE || e->op == POP_LT) &&
      e->left->kind == PE_CALL && strcmp(e->left->name, "lift") == 0) {
    call = e->left;
    lift = true;
  } else if (!(e->kind == PE_CALL && strcmp(e->name, "significant") == 0)) {
    return false;
  }
  const char *usage = lift ? "write: expect lift(content_test, \"story\", \"holdout\") >= 15%"
                           : "write: expect significant(content_test, 0.05)";
  guint want = lift ? 3 : 2;
  PExpr *x = call->items && call->items->len == want ? g_ptr_array_index(call->items, 0) : NULL;
  if (!x || x->kind != PE_NAME || (lift && !is_number_literal(e->right))) {
    pdiag_add(c->diags, PDIAG_ERROR, &e->loc, usage, "malformed experiment expectation");
    return true;
  }
  PSym *s = pcheck_experiment_sym(c, x->name);
  if (!s) {
    pdiag_error(c->diags, &x->loc, "unknown experiment '%s'", x->name);
    return true;
  }
  ts->experiment = s;
  ts->experiment_expect = lift ? 1 : negated ? 3 : 2;
  if (lift) {
    for (guint i = 1; i < 3; i++) {
      PExpr *a = g_ptr_array_index(call->items, i);
      if (a->kind != PE_STRING) pdiag_add(c->diags, PDIAG_ERROR, &a->loc, usage, "an arm is a string literal");
      else if (s->decl->arms && pcheck_experiment_arm(s->decl, a->sval) < 0)
        pdiag_error(c->diags, &a->loc, "experiment %s has no arm '%s'", s->name, a->sval);
    }
  } else {
    PExpr *a = g_ptr_array_index(call->items, 1);
    double alpha = a->kind == PE_NUMBER ? a->nval : a->kind == PE_INT ? (double)a->ival : -1;
    if (alpha <= 0 || alpha >= 1)
      pdiag_add(c->diags, PDIAG_ERROR, &a->loc, usage, "the significance level is a number between 0 and 1");
  }
  return true;
}

void pcheck_test(PCheck *c, PDecl *d) {
  bool have_profile = false, have_at = false;
  for (guint i = 0; i < d->test_steps->len; i++) {
    PTestStep *ts = g_ptr_array_index(d->test_steps, i);
    switch (ts->kind) {
    case PTSTEP_PROFILE:
      check_test_profile(c, ts->value);
      have_profile = true;
      break;
    case PTSTEP_AT:
      check_test_time(c, ts->value);
      if (!have_profile)
        pdiag_error(c->diags, &ts->loc, "'at' evaluates the profile: give it with 'profile {…}' first");
      have_at = true;
      break;
    case PTSTEP_PROFILES:
      check_test_profiles(c, ts);
      have_profile = true;
      break;
    case PTSTEP_EXPECT:
      if (check_experiment_expect(c, ts)) {
        if (!have_at) pdiag_error(c->diags, &ts->loc, "'expect' checks an evaluation: write 'at TIME' first");
        break;
      }
      pcheck_cond(c, ts->value, "an expectation");
      if (!have_at) pdiag_error(c->diags, &ts->loc, "'expect' checks an evaluation: write 'at TIME' first");
      break;
    case PTSTEP_EXPECT_ACTION:
      if (ts->at) check_test_time(c, ts->at);
      if (!have_at) pdiag_error(c->diags, &ts->loc, "'expect' checks an evaluation: write 'at TIME' first");
      break;
    case PTSTEP_EXPECT_NO_ACTION:
      if (!have_at) pdiag_error(c->diags, &ts->loc, "'expect' checks an evaluation: write 'at TIME' first");
      break;
    }
  }
}

/* ---- output { … }: the shape of every result line --------------------------------- */

/* Every field of a declared record type (and of the record types inside
 * it) is read: a value printed whole is decoded whole. */
static void mark_type_read(PType *t, int depth) {
  if (!t || depth > 64) return;
  if (t->kind == PTY_LIST) {
    mark_type_read(t->elem, depth + 1);
    return;
  }
  if (t->kind != PTY_RECORD || !t->rec) return;
  for (guint i = 0; i < t->rec->fields->len; i++) {
    PRecordFieldType *f = &g_array_index(t->rec->fields, PRecordFieldType, i);
    f->used = true;
    mark_type_read(f->type, depth + 1);
  }
}

/* The values of the output literal: literals are walked into, anything
 * else is printed whole. */
static void mark_output_read(PExpr *e) {
  if (e->kind == PE_RECORD) {
    for (guint i = 0; i < e->items->len; i++)
      mark_output_read(((PRecordField *)g_ptr_array_index(e->items, i))->value);
  } else if (e->kind == PE_LIST) {
    for (guint i = 0; i < e->items->len; i++) mark_output_read(g_ptr_array_index(e->items, i));
  } else {
    mark_type_read(e->type, 0);
  }
}

void pcheck_output(PCheck *c) {
  PDecl *d = c->output_decl;
  PSym *o = g_new0(PSym, 1);
  o->kind = PSYM_OUTPUT;
  o->name = "output";
  o->decl = d;
  o->index = -1;
  o->deps = g_ptr_array_new();
  g_ptr_array_add(c->syms, o);
  c->output_sym = o;
  if (d->expr->kind != PE_RECORD) {
    pdiag_add(c->diags, PDIAG_ERROR, &d->expr->loc, "write output {id: id, tags: tags(), …}",
              "'output' takes a record literal");
    return;
  }
  c->current = o;
  c->in_output = true;
  pcheck_expr(c, d->expr);
  c->in_output = false;
  pcheck_no_pii_leaves(c, d->expr, "output");
  c->current = NULL;
  mark_output_read(d->expr);
}

/* ---- extern fn: host functions from a shared library (spec 4.7) -------------------- */

static bool native_type(PCheck *c, PTypeExpr *te, uint8_t *type, bool *optional) {
  static const struct { const char *name; PNativeType t; } types[] = {
    {"bool", PNT_BOOL}, {"int", PNT_INT}, {"number", PNT_NUMBER}, {"string", PNT_STRING},
  };
  for (size_t i = 0; te->kind == PTE_NAME && i < G_N_ELEMENTS(types); i++) {
    if (strcmp(te->name, types[i].name) == 0) {
      *type = (uint8_t)types[i].t;
      *optional = te->optional;
      return true;
    }
  }
  pdiag_add(c->diags, PDIAG_ERROR, &te->loc, "use bool, int, number or string (with ? for null)",
            "a host function's parameters and result are bool, int, number or string");
  return false;
}

/* The library named by the model: beside the model file when it is there,
 * else as dlopen finds it (LD_LIBRARY_PATH, the system's directories). */
static char *library_path(PCheck *c, PDecl *d) {
  if (g_path_is_absolute(d->text)) return g_strdup(d->text);
  const PSourceFile *f = psrc_file(c->src, d->loc.file);
  g_autofree char *dir = g_path_get_dirname(f ? f->name : ".");
  char *beside = g_build_filename(dir, d->text, NULL);
  if (g_file_test(beside, G_FILE_TEST_IS_REGULAR)) return beside;
  g_free(beside);
  return g_strdup(d->text);
}

void pcheck_extern(PCheck *c, PSym *s) {
  PDecl *d = s->decl;
  PNative *n = g_new0(PNative, 1);
  n->name = g_strdup(d->name);
  bool ok = true;
  if (d->fields->len > PNATIVE_MAX_PARAMS) {
    pdiag_error(c->diags, &d->loc, "a host function takes at most %d parameters", PNATIVE_MAX_PARAMS);
    ok = false;
  }
  for (guint i = 0; ok && i < d->fields->len; i++) {
    PFieldDecl *p = g_ptr_array_index(d->fields, i);
    ok = native_type(c, p->type, &n->params[i], &n->params_optional[i]) && ok;
    n->n_params = i + 1;
  }
  ok = native_type(c, d->ret_type, &n->ret, &n->ret_optional) && ok;
  if (ok && !c->allow_native) {
    pdiag_add(c->diags, PDIAG_ERROR, &d->loc,
              "allow it with --allow-native (allow_native in PersonaCompileOptions) if you trust the library",
              "extern fn %s loads native code from \"%s\", which is not allowed", d->name, d->text);
    ok = false;
  }
  void *handle = NULL;
  if (ok) {
    g_autofree char *path = library_path(c, d);
    handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      pdiag_error(c->diags, &d->loc, "cannot load \"%s\": %s", d->text, dlerror());
      ok = false;
    }
  }
  if (ok) {
    dlerror();
    void *sym = dlsym(handle, d->name);
    if (!sym) {
      pdiag_error(c->diags, &d->name_loc, "\"%s\" has no function %s", d->text, d->name);
      dlclose(handle);
      ok = false;
    } else {
      /* dlsym gives an object pointer; the function pointer is the same
       * address (POSIX requires this conversion to work). */
      memcpy(&n->fn, &sym, sizeof sym);
    }
  }
  char *err = NULL;
  if (ok && !pnative_prepare(n, &err)) {
    pdiag_error(c->diags, &d->loc, "%s", err);
    g_free(err);
    dlclose(handle);
    ok = false;
  }
  if (!ok) {
    pnative_free(n);
    return;
  }
  g_ptr_array_add(c->dl_handles, handle);
  s->index = (int)c->natives->len;
  g_ptr_array_add(c->natives, n);
}
