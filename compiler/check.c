/* check.c - declarations: symbols, the schema, records, and the dependency
 * order of the per-record units. Expressions are checked in
 * check_expr.c. See check.h. */
#include "check_internal.h"

#include <dlfcn.h>
#include <string.h>

#include "../runtime/bytecode.h" /* PBC_MAX_TYPE_DEPTH */
#include "compile.h"                /* PCOMPILE_COLUMN_PREFIX */
#include "../runtime/identity.h"
#include "../runtime/natives.h"

static void psym_free(gpointer p) {
  PSym *s = p;
  if (s->deps) g_ptr_array_unref(s->deps);
  if (s->stages) g_ptr_array_unref(s->stages);
  if (s->thresholds) g_array_unref(s->thresholds);
  g_free(s);
}

PCheck *pcheck_new(PAst *ast, const PSourceSet *src, PDiagList *diags) {
  PCheck *c = g_new0(PCheck, 1);
  c->ast = ast;
  c->src = src;
  c->diags = diags;
  c->tt = ptype_table_new();
  c->globals = g_hash_table_new(g_str_hash, g_str_equal);
  c->syms = g_ptr_array_new_with_free_func(psym_free);
  c->record_types = g_hash_table_new(g_str_hash, g_str_equal);
  c->lifecycles = g_ptr_array_new();
  c->consts = g_ptr_array_new();
  c->units = g_ptr_array_new();
  c->tags = g_ptr_array_new();
  c->scores = g_ptr_array_new();
  c->journeys = g_ptr_array_new();
  c->experiments = g_ptr_array_new();
  c->tests = g_ptr_array_new();
  c->columns = g_ptr_array_new();
  c->test_syms = g_ptr_array_new();
  c->scope = g_array_new(FALSE, TRUE, sizeof(PScopeEntry));
  c->key_field = -1;
  c->natives = g_ptr_array_new_with_free_func((GDestroyNotify)pnative_free);
  c->dl_handles = g_ptr_array_new();
  return c;
}

void pcheck_free(PCheck *c) {
  if (!c) return;
  g_hash_table_unref(c->globals);
  g_hash_table_unref(c->record_types);
  g_ptr_array_unref(c->lifecycles);
  g_ptr_array_unref(c->consts);
  g_ptr_array_unref(c->units);
  g_ptr_array_unref(c->tags);
  g_ptr_array_unref(c->scores);
  g_ptr_array_unref(c->journeys);
  g_ptr_array_unref(c->experiments);
  g_ptr_array_unref(c->tests);
  g_ptr_array_unref(c->columns);
  g_ptr_array_unref(c->test_syms);
  g_ptr_array_unref(c->syms);
  g_array_unref(c->scope);
  g_free(c->lc_names);
  g_ptr_array_unref(c->natives);
  for (guint i = 0; i < c->dl_handles->len; i++) dlclose(g_ptr_array_index(c->dl_handles, i));
  g_ptr_array_unref(c->dl_handles);
  pidentity_free(c->identity);
  ptype_table_free(c->tt);
  g_free(c);
}

const char *const *pcheck_lifecycle_names(PCheck *c) {
  if (!c->lc_names) {
    c->lc_names = g_new0(const char *, c->lifecycles->len + 1);
    for (guint i = 0; i < c->lifecycles->len; i++)
      c->lc_names[i] = ((PSym *)g_ptr_array_index(c->lifecycles, i))->name;
  }
  return c->lc_names;
}

int pcheck_stage_index(const PSym *lc, const char *stage) {
  for (guint i = 0; i < lc->stages->len; i++)
    if (strcmp(g_ptr_array_index(lc->stages, i), stage) == 0) return (int)i;
  return -1;
}

char *pcheck_type_str(PCheck *c, const PType *t) {
  return ptype_to_string(t, pcheck_lifecycle_names(c));
}

/* ---- symbols --------------------------------------------------------------- */

static const char *psym_kind_word(PSymKind k) {
  switch (k) {
  case PSYM_FIELD: return "field";
  case PSYM_CONST: return "const";
  case PSYM_LET: return "let";
  case PSYM_TAG: return "tag";
  case PSYM_SCORE: return "score";
  case PSYM_LIFECYCLE: return "lifecycle";
  case PSYM_JOURNEY: return "journey";
  case PSYM_EXTERN: return "extern fn";
  case PSYM_TEST: return "test";
  case PSYM_OUTPUT: return "output";
  case PSYM_EXPERIMENT: return "experiment";
  }
  return "name";
}

const char *pcheck_sym_word(const PSym *s) {
  /* A segment is a tag that results report apart; messages call it what it was written as. */
  if (s->kind == PSYM_TAG && s->decl && s->decl->is_segment) return "segment";
  return psym_kind_word(s->kind);
}

static PSym *psym_add(PCheck *c, PSymKind kind, const char *name,
                      const PLoc *loc, PDecl *decl) {
  PSym *prev = g_hash_table_lookup(c->globals, name);
  if (prev) {
    const PLoc *ploc = prev->decl ? &prev->decl->name_loc : &prev->field->loc;
    const PSourceFile *f = psrc_file(c->src, ploc->file);
    pdiag_error(c->diags, loc, "'%s' is already declared (as a %s at %s:%u:%u)",
                name, pcheck_sym_word(prev), f ? f->name : "?",
                ploc->line, ploc->col);
    return NULL;
  }
  PSym *s = g_new0(PSym, 1);
  s->kind = kind;
  s->name = name;
  s->decl = decl;
  s->index = -1;
  s->slot_entered = -1;
  s->lifecycle = -1;
  s->deps = g_ptr_array_new();
  g_ptr_array_add(c->syms, s);
  g_hash_table_insert(c->globals, (gpointer)name, s);
  if (decl) decl->sym = s;
  return s;
}

/* Names that the language gives a meaning of its own: declaring one would
 * make it unreachable. */
static bool pcheck_reserved_name(const char *name) {
  static const char *const names[] = {"now", "profile", "entered", NULL};
  for (int i = 0; names[i]; i++)
    if (strcmp(name, names[i]) == 0) return true;
  return false;
}

/* ---- type expressions ------------------------------------------------------ */

PType *pcheck_resolve_type(PCheck *c, PTypeExpr *te) {
  PType *t = NULL;
  if (te->kind == PTE_LIST) {
    /* Bytecode files hold at most PBC_MAX_TYPE_DEPTH lists inside one
     * another (a deeper type compiled, but its bytecode would not load).
     * Reported once, at the outermost list: the inner ones are not
     * resolved. */
    int lists = 0;
    for (const PTypeExpr *x = te; x && x->kind == PTE_LIST; x = x->elem) lists++;
    if (lists > PBC_MAX_TYPE_DEPTH) {
      pdiag_error(c->diags, &te->loc, "list types nested too deeply (more than %d levels)",
                  PBC_MAX_TYPE_DEPTH);
      return c->tt->t_error;
    }
    PType *elem = pcheck_resolve_type(c, te->elem);
    if (elem->optional && elem->kind != PTY_ERROR) {
      pdiag_error(c->diags, &te->elem->loc,
                  "list elements cannot be optional: write list<%s>",
                  te->elem->name ? te->elem->name : "…");
    }
    t = ptype_list(c->tt, ptype_required(c->tt, elem), te->optional);
    return t;
  }
  static const struct { const char *name; PTypeKind kind; } basic[] = {
    {"bool", PTY_BOOL}, {"int", PTY_INT}, {"number", PTY_NUMBER},
    {"string", PTY_STRING}, {"time", PTY_TIME}, {"duration", PTY_DURATION},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(basic); i++)
    if (strcmp(te->name, basic[i].name) == 0)
      return ptype_new(c->tt, basic[i].kind, te->optional);
  PRecordType *rt = g_hash_table_lookup(c->record_types, te->name);
  if (rt) {
    t = ptype_new(c->tt, PTY_RECORD, te->optional);
    t->rec = rt;
    return t;
  }
  GPtrArray *cands = g_ptr_array_new();
  for (size_t i = 0; i < G_N_ELEMENTS(basic); i++) g_ptr_array_add(cands, (gpointer)basic[i].name);
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init(&it, c->record_types);
  while (g_hash_table_iter_next(&it, &key, NULL)) g_ptr_array_add(cands, key);
  const char *sugg = pdiag_suggest(te->name, (const char *const *)cands->pdata, cands->len);
  char *hint = sugg ? g_strdup_printf("did you mean '%s'?", sugg) : NULL;
  pdiag_add(c->diags, PDIAG_ERROR, &te->loc, hint, "unknown type '%s'", te->name);
  g_free(hint);
  g_ptr_array_unref(cands);
  return c->tt->t_error;
}

/* ---- records and the schema ------------------------------------------------ */

static void pcheck_declare_records(PCheck *c, PDecl *d) {
  if (g_hash_table_contains(c->record_types, d->name)) {
    pdiag_error(c->diags, &d->name_loc, "record '%s' is declared twice", d->name);
    return;
  }
  PRecordType *rt = precord_type_new(c->tt, d->name);
  g_hash_table_insert(c->record_types, (gpointer)d->name, rt);
}

/* Checks a field list (record or schema) into a record type. */
static void pcheck_fields(PCheck *c, PDecl *d, PRecordType *rt, bool is_schema) {
  for (guint i = 0; i < d->fields->len; i++) {
    PFieldDecl *f = g_ptr_array_index(d->fields, i);
    if (precord_field(rt, f->name) >= 0) {
      pdiag_error(c->diags, &f->loc, "field '%s' is declared twice in %s", f->name,
                  is_schema ? "the schema" : rt->name);
      continue;
    }
    PType *t = pcheck_resolve_type(c, f->type);
    if (f->default_value) {
      if (f->type->optional)
        pdiag_add(c->diags, PDIAG_ERROR, &f->default_value->loc,
                  "remove the '?' or the default: a field with a default is never null",
                  "field '%s' is optional and has a default", f->name);
      PType *dt = pcheck_const_expr(c, f->default_value);
      if (!ptype_assignable(dt, t)) {
        g_autofree char *a = pcheck_type_str(c, dt);
        g_autofree char *b = pcheck_type_str(c, t);
        pdiag_error(c->diags, &f->default_value->loc,
                    "default of field '%s' is %s, but the field is %s", f->name, a, b);
      }
    }
    if (f->has_unit && t->kind != PTY_TIME && t->kind != PTY_ERROR)
      pdiag_add(c->diags, PDIAG_ERROR, &f->unit_loc, "write 'NAME: time ms' for epoch milliseconds",
                "a unit ('ms' or 's') belongs only to a time field, and '%s' is not one", f->name);
    if (f->is_key) {
      if (!is_schema) {
        pdiag_error(c->diags, &f->loc, "'key' belongs in the schema, not in record %s", rt->name);
      } else if (c->key_field >= 0) {
        pdiag_error(c->diags, &f->loc, "the schema has two key fields: '%s' and '%s'",
                    g_array_index(rt->fields, PRecordFieldType, c->key_field).name, f->name);
      } else if ((t->kind != PTY_STRING && t->kind != PTY_INT && t->kind != PTY_ERROR) ||
                 t->optional || f->default_value) {
        pdiag_error(c->diags, &f->loc,
                    "the key field '%s' must be a required string or int", f->name);
      } else {
        if (f->is_pii)
          pdiag_add(c->diags, PDIAG_ERROR, &f->loc, "key the input by a pseudonym (an HMAC of it) made before Persona",
                    "the key field '%s' cannot be pii: the key is in every result, state and action", f->name);
        c->key_field = (int)rt->fields->len;
      }
    }
    PRecordFieldType ft = {.name = f->name, .type = t, .decl = f};
    if (strcmp(f->name, "at") == 0 && t->kind == PTY_TIME && !t->optional)
      rt->at_field = (int)rt->fields->len;
    g_array_append_val(rt->fields, ft);
    if (is_schema) {
      if (pcheck_reserved_name(f->name)) {
        pdiag_error(c->diags, &f->loc,
                    "'%s' has a meaning of its own in expressions; rename this field", f->name);
        continue;
      }
      PSym *s = psym_add(c, PSYM_FIELD, f->name, &f->loc, NULL);
      if (s) {
        s->field = f;
        s->type = t;
        s->index = (int)rt->fields->len - 1;
      }
    }
  }
}

static void pcheck_schema(PCheck *c) {
  if (!c->schema_decl) {
    pdiag_add(c->diags, PDIAG_ERROR, NULL,
              "declare the profile's fields: schema { id: string key … }",
              "the model has no schema");
    c->profile = precord_type_new(c->tt, "profile");
    return;
  }
  c->profile = precord_type_new(c->tt, "profile");
  pcheck_fields(c, c->schema_decl, c->profile, true);
  if (c->key_field < 0 && c->schema_decl->fields->len > 0)
    pdiag_add(c->diags, PDIAG_ERROR, &c->schema_decl->loc,
              "mark the field that identifies a profile, e.g. 'id: string key'",
              "the schema has no key field");
}

/* ---- first pass: collect every declaration's name --------------------------- */

static void pcheck_collect(PCheck *c, PFileAst *fa, bool root) {
  for (guint i = 0; i < fa->decls->len; i++) {
    PDecl *d = g_ptr_array_index(fa->decls, i);
    if (d->name && pcheck_reserved_name(d->name) && d->kind != PD_MODEL &&
        d->kind != PD_TEST && d->kind != PD_RECORD) {
      pdiag_error(c->diags, &d->name_loc,
                  "'%s' has a meaning of its own in expressions; choose another name", d->name);
      continue;
    }
    switch (d->kind) {
    case PD_MODEL:
      if (!root) break; /* an imported file's model line names that file only */
      if (c->model_decl)
        pdiag_error(c->diags, &d->loc, "a model has exactly one 'model' declaration");
      else
        c->model_decl = d;
      if (d->timezone) {
        GTimeZone *tz = d->timezone_len ? g_time_zone_new_identifier(d->timezone) : NULL;
        if (tz) g_time_zone_unref(tz);
        else
          pdiag_add(c->diags, PDIAG_ERROR, &d->timezone_loc, "an IANA name such as \"Asia/Shanghai\" or \"America/New_York\"",
                    "unknown time zone \"%s\"", d->timezone);
      }
      break;
    case PD_IMPORT: break;
    case PD_RECORD: pcheck_declare_records(c, d); break;
    case PD_SCHEMA:
      if (c->schema_decl)
        pdiag_error(c->diags, &d->loc, "a model has exactly one schema");
      else
        c->schema_decl = d;
      break;
    case PD_CONST: psym_add(c, PSYM_CONST, d->name, &d->name_loc, d); break;
    case PD_LET: {
      PSym *s = psym_add(c, PSYM_LET, d->name, &d->name_loc, d);
      if (s && g_str_has_prefix(d->name, PCOMPILE_COLUMN_PREFIX)) g_ptr_array_add(c->columns, s);
      break;
    }
    case PD_TAG: {
      PSym *s = psym_add(c, PSYM_TAG, d->name, &d->name_loc, d);
      if (s) { s->type = c->tt->t_bool; g_ptr_array_add(c->tags, s); }
      break;
    }
    case PD_SCORE: {
      PSym *s = psym_add(c, PSYM_SCORE, d->name, &d->name_loc, d);
      if (s) { s->type = c->tt->t_number; g_ptr_array_add(c->scores, s); }
      break;
    }
    case PD_LIFECYCLE: {
      PSym *s = psym_add(c, PSYM_LIFECYCLE, d->name, &d->name_loc, d);
      if (s) {
        s->lifecycle = (int)c->lifecycles->len;
        g_ptr_array_add(c->lifecycles, s);
        s->type = ptype_stage(c->tt, s->lifecycle, false);
        s->stages = g_ptr_array_new();
      }
      break;
    }
    case PD_JOURNEY: {
      PSym *s = psym_add(c, PSYM_JOURNEY, d->name, &d->name_loc, d);
      if (s) g_ptr_array_add(c->journeys, s);
      break;
    }
    case PD_TEST:
      if (root) g_ptr_array_add(c->tests, d);
      break;
    case PD_OUTPUT:
      if (!root) break; /* an imported file's output shape is not this model's */
      if (c->output_decl)
        pdiag_error(c->diags, &d->loc, "a model has at most one 'output' declaration");
      else
        c->output_decl = d;
      break;
    case PD_EXTERN: psym_add(c, PSYM_EXTERN, d->name, &d->name_loc, d); break;
    case PD_IDENTITY:
    case PD_SOURCE: break; /* check_identity.c reads them from the tree */
    case PD_EXPERIMENT: {
      PSym *s = psym_add(c, PSYM_EXPERIMENT, d->name, &d->name_loc, d);
      if (s) { s->type = c->tt->t_string; g_ptr_array_add(c->experiments, s); }
      break;
    }
    }
  }
}

/* Stage names of a lifecycle: `initial` first, then in order of appearance. */
static void pcheck_lifecycle_stages(PCheck *c, PSym *s) {
  PDecl *d = s->decl;
  if (!d->initial) {
    pdiag_error(c->diags, &d->name_loc, "lifecycle %s has no 'initial' stage", d->name);
  } else {
    g_ptr_array_add(s->stages, (gpointer)d->initial);
  }
  for (guint i = 0; i < d->transitions->len; i++) {
    PTransition *t = g_ptr_array_index(d->transitions, i);
    if (t->from && pcheck_stage_index(s, t->from) < 0) g_ptr_array_add(s->stages, (gpointer)t->from);
    if (pcheck_stage_index(s, t->to) < 0) g_ptr_array_add(s->stages, (gpointer)t->to);
  }
}

/* ---- second pass: check each declaration --------------------------------------- */

static void pcheck_value_decl(PCheck *c, PSym *s) {
  if (s->checked) return;
  s->checked = true;
  PDecl *d = s->decl;
  c->current = s;
  switch (s->kind) {
  case PSYM_LET: {
    PType *t = pcheck_expr(c, d->expr);
    s->type = t;
    s->pii = d->expr->pii; /* a let computed from a pii field is pii */
    break;
  }
  case PSYM_TAG:
    pcheck_cond(c, d->expr, d->is_segment ? "the condition of a segment" : "the condition of a tag");
    break;
  case PSYM_SCORE: pcheck_score(c, s); break;
  case PSYM_LIFECYCLE: pcheck_lifecycle(c, s); break;
  default: break;
  }
  c->current = NULL;
}

/* Consts are checked on demand (a const may use a const declared below). */
void pcheck_const_sym(PCheck *c, PSym *s) {
  if (s->checked) return;
  if (s->mark == 1) {
    pdiag_error(c->diags, &s->decl->name_loc, "const %s is defined in terms of itself", s->name);
    s->type = c->tt->t_error;
    return;
  }
  s->mark = 1;
  PSym *saved = c->current;
  bool saved_const = c->const_context;
  c->current = s;
  s->type = pcheck_const_expr(c, s->decl->expr);
  c->current = saved;
  c->const_context = saved_const;
  s->mark = 2;
  s->checked = true;
  g_ptr_array_add(c->consts, s);
}

/* A let's type is needed by whoever reads it: check lets on demand too. */
void pcheck_let_sym(PCheck *c, PSym *s) {
  if (s->checked || s->mark == 1) return; /* a cycle is reported by the sort */
  s->mark = 1;
  PSym *saved = c->current;
  GArray *saved_scope = c->scope;
  c->scope = g_array_new(FALSE, TRUE, sizeof(PScopeEntry));
  PDecl *saved_journey = c->current_journey;
  c->current_journey = NULL;
  pcheck_value_decl(c, s);
  g_array_unref(c->scope);
  c->scope = saved_scope;
  c->current_journey = saved_journey;
  c->current = saved;
  s->mark = 0;
}

/* ---- dependency order ------------------------------------------------------------ */

static void pcheck_cycle_error(PCheck *c, GPtrArray *stack, PSym *again) {
  GString *path = g_string_new(NULL);
  guint start = 0;
  for (guint i = 0; i < stack->len; i++)
    if (g_ptr_array_index(stack, i) == again) start = i;
  for (guint i = start; i < stack->len; i++) {
    PSym *s = g_ptr_array_index(stack, i);
    g_string_append_printf(path, "%s %s -> ", pcheck_sym_word(s), s->name);
  }
  g_string_append_printf(path, "%s %s", pcheck_sym_word(again), again->name);
  pdiag_error(c->diags, &again->decl->name_loc, "dependency cycle: %s", path->str);
  g_string_free(path, TRUE);
}

static void pcheck_visit(PCheck *c, PSym *s, GPtrArray *stack) {
  if (s->mark == 2) return;
  if (s->mark == 1) {
    pcheck_cycle_error(c, stack, s);
    return;
  }
  s->mark = 1;
  g_ptr_array_add(stack, s);
  for (guint i = 0; i < s->deps->len; i++) {
    PSym *d = g_ptr_array_index(s->deps, i);
    if (d->kind == PSYM_LET || d->kind == PSYM_TAG || d->kind == PSYM_SCORE ||
        d->kind == PSYM_LIFECYCLE)
      pcheck_visit(c, d, stack);
  }
  g_ptr_array_remove_index(stack, stack->len - 1);
  s->mark = 2;
  s->reachable = true;
  s->index = c->n_globals++;
  if (s->kind == PSYM_LIFECYCLE) s->slot_entered = c->n_globals++;
  g_ptr_array_add(c->units, s);
}

/* Every tag, score and lifecycle is computed (they are all reported);
 * lets only when something computed reads them. */
static void pcheck_order(PCheck *c) {
  for (guint i = 0; i < c->consts->len; i++) {
    PSym *s = g_ptr_array_index(c->consts, i);
    s->index = c->n_globals++;
  }
  for (guint i = 0; i < c->syms->len; i++) {
    PSym *s = g_ptr_array_index(c->syms, i);
    if (s->kind == PSYM_LET) s->mark = 0;
  }
  GPtrArray *stack = g_ptr_array_new();
  for (guint i = 0; i < c->syms->len; i++) {
    PSym *s = g_ptr_array_index(c->syms, i);
    if (s->kind == PSYM_TAG || s->kind == PSYM_SCORE || s->kind == PSYM_LIFECYCLE)
      pcheck_visit(c, s, stack);
  }
  /* Experiments: the arm and the assignment time are set before any unit
   * (so tags may read arm()); the metric reads values like a journey. */
  for (guint i = 0; i < c->experiments->len; i++) {
    PSym *e = g_ptr_array_index(c->experiments, i);
    for (guint k = 0; k < e->deps->len; k++) pcheck_visit(c, g_ptr_array_index(e->deps, k), stack);
    e->index = c->n_globals++;
    e->slot_entered = c->n_globals++;
  }
  /* Selected columns are reported too: computed like a tag. */
  for (guint i = 0; i < c->columns->len; i++) pcheck_visit(c, g_ptr_array_index(c->columns, i), stack);
  /* Journeys and tests read values too: make sure what they read is
   * computed. Each journey also gets a slot for its entry time. */
  for (guint i = 0; i < c->journeys->len; i++) {
    PSym *j = g_ptr_array_index(c->journeys, i);
    for (guint k = 0; k < j->deps->len; k++) pcheck_visit(c, g_ptr_array_index(j->deps, k), stack);
    j->slot_entered = c->n_globals++;
  }
  for (guint i = 0; i < c->test_syms->len; i++) {
    PSym *t = g_ptr_array_index(c->test_syms, i);
    for (guint k = 0; k < t->deps->len; k++) pcheck_visit(c, g_ptr_array_index(t->deps, k), stack);
  }
  if (c->output_sym)
    for (guint k = 0; k < c->output_sym->deps->len; k++) pcheck_visit(c, g_ptr_array_index(c->output_sym->deps, k), stack);
  g_ptr_array_unref(stack);
}

/* Records a dependency of the declaration being checked. */
void pcheck_depend(PCheck *c, PSym *on) {
  if (!c->current || c->current == on) {
    if (c->current == on && on->kind != PSYM_CONST && on->kind != PSYM_LIFECYCLE) {
      /* A value that reads itself: reported as a cycle by the sort. */
      g_ptr_array_add(on->deps, on);
    }
    return;
  }
  for (guint i = 0; i < c->current->deps->len; i++)
    if (g_ptr_array_index(c->current->deps, i) == on) return;
  g_ptr_array_add(c->current->deps, on);
}

/* A selected column leaves the VM as data, one cell each: no record, and
 * no value computed from a pii field unless the model masks it (mask(),
 * pseudonym()). */
static void pcheck_columns(PCheck *c) {
  for (guint i = 0; i < c->columns->len; i++) {
    PSym *s = g_ptr_array_index(c->columns, i);
    const PType *t = s->type;
    if (t && t->kind == PTY_LIST && t->elem) t = t->elem;
    if (t && t->kind == PTY_RECORD) {
      /* A cell has no room for field names: a record would print as a bare list. */
      pdiag_add(c->diags, PDIAG_ERROR, &s->decl->expr->loc, "select a value of it: NAME.field, or count(NAME)",
                "a record (or a list of records) cannot be a column");
      continue;
    }
    if (!s->pii) continue;
    const PExpr *e = s->decl->expr;
    const char *hint =
        "select a masked value instead: let masked = mask(NAME ?? \"\", 3, 4) in the model, then --select masked";
    if (e->kind == PE_NAME)
      pdiag_add(c->diags, PDIAG_ERROR, &e->loc, hint,
                "'%s' is pii: its value never leaves unmasked, not even as a selected column", e->name);
    else
      pdiag_add(c->diags, PDIAG_ERROR, &e->loc, hint,
                "this column is computed from a pii field: its value never leaves unmasked");
  }
}

bool pcheck_poll(PCheck *c) {
  if (!c->interrupted && c->interrupt && c->interrupt(c->interrupt_data)) c->interrupted = true;
  return c->interrupted;
}

gboolean pcheck_run(PCheck *c) {
  for (guint i = 0; i < c->ast->files->len; i++)
    pcheck_collect(c, g_ptr_array_index(c->ast->files, i), i == 0);
  if (!c->model_decl)
    pdiag_add(c->diags, PDIAG_ERROR, NULL, "start the file with: model NAME version \"1\"",
              "the model has no 'model' declaration");

  /* Record types may refer to each other: create all, then fill. */
  for (guint i = 0; i < c->ast->files->len; i++) {
    PFileAst *fa = g_ptr_array_index(c->ast->files, i);
    for (guint k = 0; k < fa->decls->len; k++) {
      PDecl *d = g_ptr_array_index(fa->decls, k);
      if (d->kind != PD_RECORD) continue;
      PRecordType *rt = g_hash_table_lookup(c->record_types, d->name);
      if (rt && rt->fields->len == 0) pcheck_fields(c, d, rt, false);
    }
  }
  pcheck_schema(c);
  for (guint i = 0; i < c->lifecycles->len; i++)
    pcheck_lifecycle_stages(c, g_ptr_array_index(c->lifecycles, i));

  for (guint i = 0; i < c->syms->len; i++) {
    PSym *s = g_ptr_array_index(c->syms, i);
    if (pdiag_full(c->diags) || pcheck_poll(c)) break;
    switch (s->kind) {
    case PSYM_CONST: pcheck_const_sym(c, s); break;
    case PSYM_LET: pcheck_let_sym(c, s); break;
    case PSYM_TAG:
    case PSYM_SCORE:
    case PSYM_LIFECYCLE: pcheck_value_decl(c, s); break;
    case PSYM_JOURNEY: pcheck_journey(c, s); break;
    case PSYM_EXTERN: pcheck_extern(c, s); break;
    case PSYM_EXPERIMENT: pcheck_experiment(c, s); break;
    default: break;
    }
  }
  for (guint i = 0; i < c->tests->len; i++) {
    PDecl *d = g_ptr_array_index(c->tests, i);
    PSym *t = g_new0(PSym, 1);
    t->kind = PSYM_TEST;
    t->name = d->text;
    t->decl = d;
    t->index = -1;
    t->deps = g_ptr_array_new();
    g_ptr_array_add(c->syms, t);
    g_ptr_array_add(c->test_syms, t);
    c->current = t;
    pcheck_test(c, d);
    c->current = NULL;
  }
  if (c->output_decl) pcheck_output(c);
  pcheck_identity(c);
  pcheck_columns(c);
  pcheck_order(c);
  return c->diags->n_errors == 0;
}
