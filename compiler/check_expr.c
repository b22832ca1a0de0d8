/* check_expr.c - typing of expressions (spec sections 3 and 5). */
#include "check_internal.h"

#include <string.h>

#include "../runtime/ptime.h"
#include "../runtime/natives.h"
#include "../stdlib/builtins.h"

static PType *pcheck_expr_inner(PCheck *c, PExpr *e);

static PType *set_type(PExpr *e, PType *t) {
  e->type = t;
  return t;
}

static bool is_error(const PType *t) { return t->kind == PTY_ERROR; }

/* "employees ?? 0": a short hint for resolving an optional operand. */
static char *optional_hint(PExpr *e) {
  if (e->kind == PE_NAME)
    return g_strdup_printf("resolve it first, e.g. (%s ?? default)", e->name);
  return g_strdup("resolve it first with ?? default");
}

/* Reports an optional operand where a value is needed; returns TRUE if it
 * was optional. */
static bool reject_optional(PCheck *c, PExpr *e, const char *what) {
  if (!e->type->optional || is_error(e->type)) return false;
  g_autofree char *ts = pcheck_type_str(c, e->type);
  g_autofree char *hint = optional_hint(e);
  pdiag_add(c->diags, PDIAG_ERROR, &e->loc, hint, "%s needs a value, but this is %s (it may be null)",
            what, ts);
  return true;
}

void pcheck_expect(PCheck *c, PExpr *e, PTypeKind kind, const char *what) {
  PType *t = pcheck_expr(c, e);
  if (is_error(t)) return;
  if (reject_optional(c, e, what)) return;
  bool ok = t->kind == kind || (kind == PTY_NUMBER && t->kind == PTY_INT);
  if (!ok) {
    PType want = {.kind = kind};
    g_autofree char *a = pcheck_type_str(c, t);
    g_autofree char *b = pcheck_type_str(c, &want);
    pdiag_error(c->diags, &e->loc, "%s must be %s, not %s", what, b, a);
  }
}

void pcheck_cond(PCheck *c, PExpr *e, const char *what) {
  PType *t = pcheck_expr(c, e);
  if (is_error(t) || t->kind == PTY_BOOL || t->kind == PTY_NULL) return;
  g_autofree char *ts = pcheck_type_str(c, t);
  pdiag_error(c->diags, &e->loc, "%s must be a bool, not %s", what, ts);
}

PType *pcheck_const_expr(PCheck *c, PExpr *e) {
  bool saved = c->const_context;
  c->const_context = true;
  PType *t = pcheck_expr(c, e);
  c->const_context = saved;
  if (!e->is_const && !is_error(t))
    pdiag_add(c->diags, PDIAG_ERROR, &e->loc,
              "use literals, consts and built-in functions of them here",
              "this must be known when the model is compiled");
  return t;
}

/* ---- scopes ------------------------------------------------------------------ */

static int push_scope(PCheck *c, const char *name, PRecordType *rec, PType *type, bool pii) {
  PScopeEntry se = {.name = name, .rec = rec, .type = type, .local = c->n_locals++, .pii = pii};
  g_array_append_val(c->scope, se);
  return se.local;
}

void pcheck_pop_scope(PCheck *c) { g_array_set_size(c->scope, c->scope->len - 1); }

/* ---- names --------------------------------------------------------------------- */

static void add_candidates(PCheck *c, GPtrArray *cands) {
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init(&it, c->globals);
  while (g_hash_table_iter_next(&it, &key, NULL)) g_ptr_array_add(cands, key);
  for (guint i = 0; i < c->scope->len; i++) {
    PScopeEntry *se = &g_array_index(c->scope, PScopeEntry, i);
    if (se->name) g_ptr_array_add(cands, (gpointer)se->name);
    if (se->rec)
      for (guint k = 0; k < se->rec->fields->len; k++)
        g_ptr_array_add(cands, (gpointer)g_array_index(se->rec->fields, PRecordFieldType, k).name);
  }
  g_ptr_array_add(cands, "now");
}

static gint compare_names(gconstpointer a, gconstpointer b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static PType *unknown_name(PCheck *c, PExpr *e) {
  GPtrArray *cands = g_ptr_array_new();
  add_candidates(c, cands);
  /* Sorted, so that the pick among equally close candidates does not
   * depend on hash table order. */
  g_ptr_array_sort(cands, compare_names);
  const char *s = pdiag_suggest(e->name, (const char *const *)cands->pdata, cands->len);
  char *hint = s ? g_strdup_printf("did you mean '%s'?", s) : NULL;
  pdiag_add(c->diags, PDIAG_ERROR, &e->loc, hint, "unknown name '%s'", e->name);
  g_free(hint);
  g_ptr_array_unref(cands);
  return set_type(e, c->tt->t_error);
}

/* Marks a record field as read, so that the decoder decodes it; notes on
 * the expression whether the field is pii. */
static void mark_used(PExpr *e, PRecordType *rt, int field) {
  if (!rt || field < 0 || (guint)field >= rt->fields->len) return;
  PRecordFieldType *f = &g_array_index(rt->fields, PRecordFieldType, field);
  f->used = true;
  if (e && f->decl && f->decl->is_pii) e->pii = true;
}

static PType *check_sym_ref(PCheck *c, PExpr *e, PSym *s) {
  e->sym = s;
  switch (s->kind) {
  case PSYM_FIELD:
    e->is_const = false;
    if (c->const_context) break;
    mark_used(e, c->profile, s->index);
    return set_type(e, s->type);
  case PSYM_CONST:
    pcheck_const_sym(c, s);
    e->is_const = true;
    pcheck_depend(c, s);
    return set_type(e, s->type ? s->type : c->tt->t_error);
  case PSYM_LET:
    if (c->const_context) break;
    pcheck_let_sym(c, s);
    pcheck_depend(c, s);
    e->pii = s->pii;
    return set_type(e, s->type ? s->type : c->tt->t_error);
  case PSYM_TAG:
  case PSYM_SCORE:
  case PSYM_LIFECYCLE:
    if (c->const_context) break;
    pcheck_depend(c, s);
    return set_type(e, s->type);
  case PSYM_EXPERIMENT:
    {
      g_autofree char *hint = g_strdup_printf("write arm(%s) for the profile's arm", e->name);
      pdiag_add(c->diags, PDIAG_ERROR, &e->loc, hint, "experiment '%s' is not a value", e->name);
    }
    return set_type(e, c->tt->t_error);
  case PSYM_JOURNEY:
  case PSYM_EXTERN:
  case PSYM_TEST:
  case PSYM_OUTPUT:
    pdiag_error(c->diags, &e->loc, "%s '%s' is not a value", pcheck_sym_word(s), e->name);
    return set_type(e, c->tt->t_error);
  }
  pdiag_error(c->diags, &e->loc, "%s '%s' is not known when the model is compiled",
              pcheck_sym_word(s), e->name);
  return set_type(e, c->tt->t_error);
}

static PType *check_name(PCheck *c, PExpr *e) {
  for (guint i = c->scope->len; i-- > 0;) {
    PScopeEntry *se = &g_array_index(c->scope, PScopeEntry, i);
    if (se->name && strcmp(se->name, e->name) == 0) {
      e->local = se->local;
      e->pii = se->pii;
      return set_type(e, se->type);
    }
    if (se->rec) {
      int fi = precord_field(se->rec, e->name);
      if (fi >= 0) {
        e->local = se->local;
        e->field_index = fi;
        e->pii = se->pii;
        mark_used(e, se->rec, fi);
        return set_type(e, g_array_index(se->rec->fields, PRecordFieldType, fi).type);
      }
    }
  }
  if (strcmp(e->name, "now") == 0) {
    if (c->const_context) {
      pdiag_error(c->diags, &e->loc, "'now' is not known when the model is compiled");
      return set_type(e, c->tt->t_error);
    }
    return set_type(e, c->tt->t_time);
  }
  if (strcmp(e->name, "entered") == 0 && c->current_journey)
    return set_type(e, c->tt->t_time);
  if (strcmp(e->name, "assigned") == 0 && c->current_experiment)
    return set_type(e, c->tt->t_time);
  if (strcmp(e->name, "profile") == 0) {
    pdiag_add(c->diags, PDIAG_ERROR, &e->loc, "write profile.FIELD",
              "'profile' is not a value by itself");
    return set_type(e, c->tt->t_error);
  }
  PSym *s = g_hash_table_lookup(c->globals, e->name);
  if (s) return check_sym_ref(c, e, s);
  return unknown_name(c, e);
}

static PType *unknown_field(PCheck *c, PExpr *e, PRecordType *rt) {
  const char **names = g_new0(const char *, rt->fields->len + 1);
  for (guint i = 0; i < rt->fields->len; i++)
    names[i] = g_array_index(rt->fields, PRecordFieldType, i).name;
  const char *s = pdiag_suggest(e->name, names, rt->fields->len);
  char *hint = s ? g_strdup_printf("did you mean '%s'?", s) : NULL;
  pdiag_add(c->diags, PDIAG_ERROR, &e->loc, hint, "%s has no field '%s'", rt->name, e->name);
  g_free(hint);
  g_free(names);
  return set_type(e, c->tt->t_error);
}

static PType *check_field(PCheck *c, PExpr *e) {
  PExpr *l = e->left;
  if (l->kind == PE_NAME && strcmp(l->name, "profile") == 0 && l->local < 0) {
    bool shadowed = false;
    for (guint i = 0; i < c->scope->len; i++) {
      PScopeEntry *se = &g_array_index(c->scope, PScopeEntry, i);
      if (se->name && strcmp(se->name, "profile") == 0) shadowed = true;
    }
    if (!shadowed) {
      if (c->const_context) {
        pdiag_error(c->diags, &e->loc, "profile fields are not known when the model is compiled");
        return set_type(e, c->tt->t_error);
      }
      int fi = precord_field(c->profile, e->name);
      if (fi < 0) return unknown_field(c, e, c->profile);
      l->type = c->tt->t_error; /* 'profile' itself has no value */
      e->field_index = fi;
      mark_used(e, c->profile, fi);
      e->sym = g_hash_table_lookup(c->globals, e->name);
      return set_type(e, g_array_index(c->profile->fields, PRecordFieldType, fi).type);
    }
  }
  PType *lt = pcheck_expr(c, l);
  if (is_error(lt)) return set_type(e, lt);
  if (lt->kind != PTY_RECORD) {
    g_autofree char *ts = pcheck_type_str(c, lt);
    pdiag_error(c->diags, &e->loc, "'.%s' needs a record, but this is %s", e->name, ts);
    return set_type(e, c->tt->t_error);
  }
  int fi = precord_field(lt->rec, e->name);
  if (fi < 0) return unknown_field(c, e, lt->rec);
  e->field_index = fi;
  mark_used(e, lt->rec, fi);
  e->is_const = l->is_const;
  PType *ft = g_array_index(lt->rec->fields, PRecordFieldType, fi).type;
  return set_type(e, lt->optional ? ptype_optional(c->tt, ft) : ft);
}

/* ---- literals ------------------------------------------------------------------ */

static bool is_literal_record(const PType *t) {
  return t->kind == PTY_RECORD && t->rec && strcmp(t->rec->name, "record") == 0;
}

/* Two record literals in one list (JSON data such as events with
 * different keys): one record type with every key of both, a key missing
 * from either being optional. NULL when a shared key's types differ. */
static PType *merge_literal_records(PCheck *c, PType *a, PType *b) {
  PRecordType *rt = precord_type_new(c->tt, "record");
  PRecordType *sides[2] = {a->rec, b->rec};
  for (int s = 0; s < 2; s++) {
    for (guint i = 0; i < sides[s]->fields->len; i++) {
      PRecordFieldType *f = &g_array_index(sides[s]->fields, PRecordFieldType, i);
      if (precord_field(rt, f->name) >= 0) continue;
      int other = precord_field(sides[1 - s], f->name);
      PType *t = f->type;
      if (other < 0) {
        t = ptype_optional(c->tt, t);
      } else {
        t = ptype_unify(c->tt, t, g_array_index(sides[1 - s]->fields, PRecordFieldType, other).type);
        if (!t) return NULL;
      }
      PRecordFieldType nf = {.name = f->name, .type = t};
      g_array_append_val(rt->fields, nf);
    }
  }
  PType *t = ptype_new(c->tt, PTY_RECORD, false);
  t->rec = rt;
  return t;
}

static PType *check_list_literal(PCheck *c, PExpr *e) {
  PType *elem = NULL;
  bool all_const = true;
  for (guint i = 0; i < e->items->len; i++) {
    PExpr *x = g_ptr_array_index(e->items, i);
    PType *t = pcheck_expr(c, x);
    all_const = all_const && x->is_const;
    if (is_error(t)) { elem = t; continue; }
    if (t->optional) {
      pdiag_error(c->diags, &x->loc, "list elements cannot be null");
      elem = c->tt->t_error;
      continue;
    }
    if (!elem) { elem = t; continue; }
    PType *u = is_literal_record(elem) && is_literal_record(t) ? merge_literal_records(c, elem, t)
                                                               : ptype_unify(c->tt, elem, t);
    if (!u) {
      g_autofree char *a = pcheck_type_str(c, elem);
      g_autofree char *b = pcheck_type_str(c, t);
      pdiag_error(c->diags, &x->loc, "list elements must have one type: %s, then %s", a, b);
      elem = c->tt->t_error;
    } else {
      elem = u;
    }
  }
  e->is_const = all_const;
  if (!elem) return set_type(e, c->tt->t_empty_list);
  return set_type(e, ptype_list(c->tt, elem, false));
}

static PType *check_record_literal(PCheck *c, PExpr *e) {
  PRecordType *rt = precord_type_new(c->tt, "record");
  bool all_const = true;
  for (guint i = 0; i < e->items->len; i++) {
    PRecordField *f = g_ptr_array_index(e->items, i);
    PType *t = pcheck_expr(c, f->value);
    all_const = all_const && f->value->is_const;
    if (precord_field(rt, f->name) >= 0) {
      pdiag_error(c->diags, &f->loc, "key '%s' appears twice in this record", f->name);
      continue;
    }
    PRecordFieldType ft = {.name = f->name, .type = t};
    g_array_append_val(rt->fields, ft);
  }
  e->is_const = all_const;
  PType *t = ptype_new(c->tt, PTY_RECORD, false);
  t->rec = rt;
  return set_type(e, t);
}

/* ---- operators ----------------------------------------------------------------- */

static PType *binary_mismatch(PCheck *c, PExpr *e, PType *a, PType *b) {
  g_autofree char *as = pcheck_type_str(c, a);
  g_autofree char *bs = pcheck_type_str(c, b);
  pdiag_error(c->diags, &e->loc, "'%s' does not apply to %s and %s", pop_text(e->op), as, bs);
  return set_type(e, c->tt->t_error);
}

/* `funnel == "mql"`: a string literal compared with a stage must name one. */
bool pcheck_stage_literal(PCheck *c, PSym *lc, PExpr *lit) {
  if (lit->kind != PE_STRING) {
    pdiag_add(c->diags, PDIAG_ERROR, &lit->loc, "write the stage as a string: \"mql\"",
              "a stage of lifecycle %s is compared with a string literal", lc->name);
    return false;
  }
  if (pcheck_stage_index(lc, lit->sval) >= 0) {
    lit->type = ptype_stage(c->tt, lc->lifecycle, false);
    return true;
  }
  const char *s = pdiag_suggest(lit->sval, (const char *const *)lc->stages->pdata, lc->stages->len);
  char *hint = s ? g_strdup_printf("did you mean '%s'?", s) : NULL;
  pdiag_add(c->diags, PDIAG_ERROR, &lit->loc, hint, "unknown stage '%s' in lifecycle %s",
            lit->sval, lc->name);
  g_free(hint);
  return false;
}

static PSym *stage_lifecycle(PCheck *c, PType *t) {
  if (t->kind != PTY_STAGE || t->lifecycle < 0) return NULL;
  return g_ptr_array_index(c->lifecycles, t->lifecycle);
}

static PType *check_equality(PCheck *c, PExpr *e, PType *a, PType *b) {
  PSym *lc = stage_lifecycle(c, a);
  if (lc && b->kind == PTY_STRING) {
    pcheck_stage_literal(c, lc, e->right);
    return set_type(e, c->tt->t_bool);
  }
  lc = stage_lifecycle(c, b);
  if (lc && a->kind == PTY_STRING) {
    pcheck_stage_literal(c, lc, e->left);
    return set_type(e, c->tt->t_bool);
  }
  if (!ptype_unify(c->tt, a, b) || a->kind == PTY_LIST || a->kind == PTY_RECORD)
    return binary_mismatch(c, e, a, b);
  return set_type(e, c->tt->t_bool);
}

static bool orderable(PTypeKind k) {
  return k == PTY_INT || k == PTY_NUMBER || k == PTY_STRING || k == PTY_TIME || k == PTY_DURATION;
}

static PType *check_ordering(PCheck *c, PExpr *e, PType *a, PType *b) {
  PType *u = ptype_unify(c->tt, a, b);
  if (!u || !orderable(u->kind) || a->kind == PTY_NULL || b->kind == PTY_NULL)
    return binary_mismatch(c, e, a, b);
  return set_type(e, c->tt->t_bool);
}

static PType *check_in(PCheck *c, PExpr *e, PType *a, PType *b) {
  if (b->kind != PTY_LIST || b->optional) {
    g_autofree char *bs = pcheck_type_str(c, b);
    pdiag_error(c->diags, &e->right->loc, "'in' needs a list on its right, not %s", bs);
    return set_type(e, c->tt->t_error);
  }
  PSym *lc = stage_lifecycle(c, a);
  if (lc && e->right->kind == PE_LIST) {
    for (guint i = 0; i < e->right->items->len; i++)
      pcheck_stage_literal(c, lc, g_ptr_array_index(e->right->items, i));
    return set_type(e, c->tt->t_bool);
  }
  if (b->elem && !ptype_unify(c->tt, ptype_required(c->tt, a), b->elem))
    return binary_mismatch(c, e, a, b);
  return set_type(e, c->tt->t_bool);
}

/* + - * / % on numbers, strings, times and durations (spec 5.1). */
static PType *arith_result(PCheck *c, POp op, PType *a, PType *b) {
  PTypeKind ka = a->kind, kb = b->kind;
  bool na = ka == PTY_INT || ka == PTY_NUMBER, nb = kb == PTY_INT || kb == PTY_NUMBER;
  PTypeTable *tt = c->tt;
  switch (op) {
  case POP_ADD:
    if (ka == PTY_STRING && kb == PTY_STRING) return tt->t_string;
    if (ka == PTY_TIME && kb == PTY_DURATION) return tt->t_time;
    if (ka == PTY_DURATION && kb == PTY_TIME) return tt->t_time;
    if (ka == PTY_DURATION && kb == PTY_DURATION) return tt->t_duration;
    /* fall through */
  case POP_MUL:
    if (op == POP_MUL && ((ka == PTY_DURATION && nb) || (na && kb == PTY_DURATION)))
      return tt->t_duration;
    /* fall through */
  case POP_MOD:
    if (ka == PTY_INT && kb == PTY_INT) return tt->t_int;
    if (na && nb) return tt->t_number;
    return NULL;
  case POP_SUB:
    if (ka == PTY_TIME && kb == PTY_TIME) return tt->t_duration;
    if (ka == PTY_TIME && kb == PTY_DURATION) return tt->t_time;
    if (ka == PTY_DURATION && kb == PTY_DURATION) return tt->t_duration;
    if (ka == PTY_INT && kb == PTY_INT) return tt->t_int;
    if (na && nb) return tt->t_number;
    return NULL;
  case POP_DIV:
    if (ka == PTY_DURATION && kb == PTY_DURATION) return tt->t_number;
    if (ka == PTY_DURATION && nb) return tt->t_duration;
    if (na && nb) return tt->t_number;
    return NULL;
  default: return NULL;
  }
}

/* An arithmetic or comparison operator, which binds tighter than `??`. */
static bool binds_tighter_than_coalesce(const PExpr *e) {
  return e->kind == PE_BINARY && !e->parens && e->op >= POP_EQ && e->op <= POP_MOD;
}

/* `x ?? 0 * 100` is `x ?? (0 * 100)`: `??` binds loosest, which a reader
 * rarely expects. Warn on an unparenthesised arithmetic or comparison
 * right of `??`, with both parenthesisations as the hint. The operand
 * that `??` would take if it bound tightest is the leftmost leaf of the
 * right side. */
static void warn_coalesce_precedence(PCheck *c, const PExpr *e) {
  if (!binds_tighter_than_coalesce(e->right) || !c->src) return;
  const PExpr *leaf = e->right;
  while (binds_tighter_than_coalesce(leaf)) leaf = leaf->left;
  const PSourceFile *f = psrc_file(c->src, e->loc.file);
  uint32_t start = e->loc.offset, mid = leaf->loc.end_offset, end = e->loc.end_offset;
  uint32_t rstart = e->right->loc.offset;
  if (!f || start > mid || mid > end || end > f->len || rstart < start || rstart > end) return;
  const char *t = f->text;
  char *hint = g_strdup_printf("write '(%.*s)%.*s' to apply '?\?' first, or '%.*s(%.*s)' to keep this meaning",
                               (int)(mid - start), t + start, (int)(end - mid), t + mid,
                               (int)(rstart - start), t + start, (int)(end - rstart), t + rstart);
  pdiag_add(c->diags, PDIAG_WARNING, &e->loc, hint,
            "'?\?' binds more loosely than '%s': its right side is '%.*s'",
            pop_text(e->right->op), (int)(end - rstart), t + rstart);
  g_free(hint);
}

static PType *check_binary(PCheck *c, PExpr *e) {
  switch (e->op) {
  case POP_AND:
  case POP_OR:
    pcheck_cond(c, e->left, "an operand of 'and'/'or'");
    pcheck_cond(c, e->right, "an operand of 'and'/'or'");
    e->is_const = e->left->is_const && e->right->is_const;
    return set_type(e, c->tt->t_bool);
  case POP_COALESCE: warn_coalesce_precedence(c, e); break;
  default: break;
  }
  PType *a = pcheck_expr(c, e->left);
  PType *b = pcheck_expr(c, e->right);
  e->is_const = e->left->is_const && e->right->is_const;
  if (is_error(a) || is_error(b)) return set_type(e, c->tt->t_error);
  switch (e->op) {
  case POP_COALESCE: {
    if (!a->optional) {
      pdiag_add(c->diags, PDIAG_WARNING, &e->left->loc, "remove '?\? …'",
                "the left side of '?\?' is never null");
    }
    PType *u = ptype_unify(c->tt, ptype_required(c->tt, a), b);
    if (!u) return binary_mismatch(c, e, a, b);
    return set_type(e, u);
  }
  case POP_EQ:
  case POP_NE: return check_equality(c, e, a, b);
  case POP_LT: case POP_LE: case POP_GT: case POP_GE: return check_ordering(c, e, a, b);
  case POP_IN: return check_in(c, e, a, b);
  default: break;
  }
  if (a->optional || b->optional) {
    PExpr *opt = a->optional ? e->left : e->right;
    reject_optional(c, opt, "arithmetic");
    return set_type(e, c->tt->t_error);
  }
  PType *r = arith_result(c, e->op, a, b);
  if (!r) return binary_mismatch(c, e, a, b);
  return set_type(e, r);
}

static PType *check_unary(PCheck *c, PExpr *e) {
  if (e->op == POP_NOT) {
    pcheck_cond(c, e->left, "the operand of 'not'");
    e->is_const = e->left->is_const;
    return set_type(e, c->tt->t_bool);
  }
  PType *t = pcheck_expr(c, e->left);
  e->is_const = e->left->is_const;
  if (is_error(t)) return set_type(e, t);
  if (reject_optional(c, e->left, "'-'")) return set_type(e, c->tt->t_error);
  if (t->kind != PTY_INT && t->kind != PTY_NUMBER && t->kind != PTY_DURATION) {
    g_autofree char *ts = pcheck_type_str(c, t);
    pdiag_error(c->diags, &e->loc, "'-' does not apply to %s", ts);
    return set_type(e, c->tt->t_error);
  }
  return set_type(e, t);
}

static PType *check_quant(PCheck *c, PExpr *e) {
  PType *lt = pcheck_expr(c, e->left);
  e->is_const = false;
  PType *elem = c->tt->t_error;
  if (!is_error(lt)) {
    if (lt->kind != PTY_LIST || lt->optional) {
      g_autofree char *ts = pcheck_type_str(c, lt);
      pdiag_error(c->diags, &e->left->loc, "'%s %s in …' needs a list, not %s",
                  e->quant_all ? "all" : "any", e->name, ts);
    } else if (lt->elem) {
      elem = lt->elem;
    }
  }
  e->local = push_scope(c, e->name, NULL, elem, e->left->pii);
  pcheck_cond(c, e->right, "the condition of a quantifier");
  pcheck_pop_scope(c);
  return set_type(e, c->tt->t_bool);
}

/* ---- queries and aggregates ------------------------------------------------------ */

PRecordType *pcheck_query(PCheck *c, PQuery *q, const char *agg, PType **elem_out) {
  PType *lt = pcheck_expr(c, q->list);
  PRecordType *rt = NULL;
  PType *elem = c->tt->t_error;
  if (!is_error(lt)) {
    if (lt->kind != PTY_LIST || lt->optional) {
      g_autofree char *ts = pcheck_type_str(c, lt);
      pdiag_error(c->diags, &q->list->loc, "%s needs a list, not %s", agg, ts);
    } else if (lt->elem) {
      elem = lt->elem;
      if (elem->kind == PTY_RECORD) rt = elem->rec;
    }
  }
  if ((q->where || q->window != PWIN_NONE) && !rt && !is_error(elem) && !is_error(lt)) {
    pdiag_error(c->diags, &q->list->loc, "'where', 'within' and 'since' need a list of records");
  }
  push_scope(c, NULL, rt, elem, q->list->pii);
  q->elem_local = g_array_index(c->scope, PScopeEntry, c->scope->len - 1).local;
  if (q->where) pcheck_cond(c, q->where, "a 'where' condition");
  if (q->window != PWIN_NONE) {
    /* The window is evaluated once, outside the element's scope. */
    PScopeEntry saved = g_array_index(c->scope, PScopeEntry, c->scope->len - 1);
    pcheck_pop_scope(c);
    if (q->window == PWIN_WITHIN)
      pcheck_expect(c, q->window_expr, PTY_DURATION, "the length of 'within'");
    else
      pcheck_expect(c, q->window_expr, PTY_TIME, "the start of 'since'");
    g_array_append_val(c->scope, saved);
    if (rt && rt->at_field < 0)
      pdiag_error(c->diags, &q->loc, "'%s' needs records with a field 'at: time'; %s has none",
                  q->window == PWIN_WITHIN ? "within" : "since", rt->name);
  }
  if (elem_out) *elem_out = elem;
  return rt;
}

static PAgg agg_code(const char *name) {
  static const struct { const char *name; PAgg agg; } aggs[] = {
    {"count", PAGG_COUNT}, {"exists", PAGG_EXISTS}, {"sum", PAGG_SUM}, {"avg", PAGG_AVG},
    {"min", PAGG_MIN}, {"max", PAGG_MAX}, {"first", PAGG_FIRST}, {"last", PAGG_LAST},
    {"distinct", PAGG_DISTINCT},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(aggs); i++)
    if (strcmp(name, aggs[i].name) == 0) return aggs[i].agg;
  return PAGG_NONE;
}

/* The type an aggregate gives over values of type `ft` (spec 5.3). */
static PType *agg_type(PCheck *c, PExpr *e, PAgg agg, PType *ft, PRecordType *rt) {
  PTypeTable *tt = c->tt;
  PTypeKind k = ft ? ft->kind : PTY_ERROR;
  switch (agg) {
  case PAGG_COUNT: return tt->t_int;
  case PAGG_EXISTS: return tt->t_bool;
  case PAGG_DISTINCT: return tt->t_int;
  case PAGG_SUM:
    if (k == PTY_INT) return tt->t_int;
    if (k == PTY_NUMBER) return tt->t_number;
    if (k == PTY_DURATION) return tt->t_duration;
    break;
  case PAGG_AVG:
    if (k == PTY_INT || k == PTY_NUMBER) return ptype_optional(tt, tt->t_number);
    break;
  case PAGG_MIN:
  case PAGG_MAX:
    if (orderable(k)) return ptype_optional(tt, ptype_required(tt, ft));
    break;
  case PAGG_FIRST:
  case PAGG_LAST:
    if (rt && rt->at_field < 0) {
      pdiag_error(c->diags, &e->loc, "%s orders records by 'at', but %s has no field 'at: time'",
                  e->name, rt->name);
      return tt->t_error;
    }
    if (!rt) {
      pdiag_error(c->diags, &e->loc, "%s needs a list of records with 'at'", e->name);
      return tt->t_error;
    }
    return ptype_optional(tt, ft);
  case PAGG_NONE: break;
  }
  if (k == PTY_ERROR) return tt->t_error;
  g_autofree char *ts = pcheck_type_str(c, ft);
  pdiag_error(c->diags, &e->loc, "%s does not apply to values of type %s", e->name, ts);
  return tt->t_error;
}

/* AGG([FIELD of] LIST [where C] [within D | since T]). */
static PType *check_aggregate(PCheck *c, PExpr *e, PAgg agg) {
  PQuery *q = e->query;
  e->agg = agg;
  e->is_const = false;
  PType *elem = NULL;
  PRecordType *rt = pcheck_query(c, q, e->name, &elem);
  PType *ft = elem;
  if (q->field) {
    if (!rt) {
      if (!is_error(elem))
        pdiag_error(c->diags, &q->field_loc, "'%s of' needs a list of records", q->field);
      ft = c->tt->t_error;
    } else {
      int fi = precord_field(rt, q->field);
      if (fi < 0) {
        PExpr fake = {.name = q->field, .loc = q->field_loc};
        unknown_field(c, &fake, rt);
        ft = c->tt->t_error;
      } else {
        e->field_index = fi;
        mark_used(e, rt, fi);
        ft = g_array_index(rt->fields, PRecordFieldType, fi).type;
      }
    }
  } else if (rt && agg != PAGG_COUNT && agg != PAGG_EXISTS) {
    pdiag_add(c->diags, PDIAG_ERROR, &e->loc, "name the field: e.g. max(at of events)",
              "%s over records needs a field", e->name);
    ft = c->tt->t_error;
  }
  pcheck_pop_scope(c);
  if (agg == PAGG_FIRST || agg == PAGG_LAST) {
    if (!q->field) return set_type(e, c->tt->t_error);
  }
  return set_type(e, agg_type(c, e, agg, ft ? ft : c->tt->t_error, rt));
}

/* ---- calls ------------------------------------------------------------------------ */

static bool builtin_accepts(PBuiltinType bt, const PType *t, bool widen) {
  switch (bt) {
  case PBT_BOOL: return t->kind == PTY_BOOL;
  case PBT_INT: return t->kind == PTY_INT;
  case PBT_NUMBER: return t->kind == PTY_NUMBER || (widen && t->kind == PTY_INT);
  case PBT_STRING: return t->kind == PTY_STRING || t->kind == PTY_STAGE;
  case PBT_TIME: return t->kind == PTY_TIME;
  case PBT_DURATION: return t->kind == PTY_DURATION;
  case PBT_LIST_STRING: return t->kind == PTY_LIST && (!t->elem || t->elem->kind == PTY_STRING);
  case PBT_LIST_ANY: return t->kind == PTY_LIST;
  }
  return false;
}

static PType *builtin_type(PCheck *c, PBuiltinType bt) {
  switch (bt) {
  case PBT_BOOL: return c->tt->t_bool;
  case PBT_INT: return c->tt->t_int;
  case PBT_NUMBER: return c->tt->t_number;
  case PBT_STRING: return c->tt->t_string;
  case PBT_TIME: return c->tt->t_time;
  case PBT_DURATION: return c->tt->t_duration;
  case PBT_LIST_STRING: return ptype_list(c->tt, c->tt->t_string, false);
  case PBT_LIST_ANY: return c->tt->t_empty_list;
  }
  return c->tt->t_error;
}

static bool builtin_matches(const PBuiltin *b, GPtrArray *args, bool widen) {
  guint n = args->len;
  if (b->flags & PB_VARIADIC) {
    if (n < b->nparams) return false;
  } else if (n != b->nparams) {
    return false;
  }
  for (guint i = 0; i < n; i++) {
    PExpr *a = g_ptr_array_index(args, i);
    PBuiltinType bt = b->params[i < b->nparams ? i : (guint)b->nparams - 1];
    if (!builtin_accepts(bt, a->type, widen)) return false;
  }
  return true;
}

static void builtin_signatures(GString *s, int first) {
  for (uint32_t i = (uint32_t)first; i < pbuiltins_count && strcmp(pbuiltins[i].name, pbuiltins[first].name) == 0; i++) {
    const char *syn = pbuiltins[i].synopsis;
    /* "name(a: T) -> R: what it does": keep the signature part. */
    const char *arrow = syn ? strstr(syn, "->") : NULL;
    const char *colon = arrow ? strchr(arrow, ':') : NULL;
    g_string_append_printf(s, "%s%.*s", s->len ? "; " : "",
                           colon ? (int)(colon - syn) : (int)strlen(syn ? syn : ""), syn ? syn : "");
  }
}

static void check_regex_arg(PCheck *c, PExpr *arg) {
  if (arg->kind != PE_STRING) {
    pdiag_add(c->diags, PDIAG_ERROR, &arg->loc, "write the pattern as a string literal",
              "the regular expression must be a constant string (it is compiled once)");
    return;
  }
  char *err = NULL;
  void *re = pbuiltin_regex_compile(arg->sval, arg->slen, &err);
  if (!re) {
    pdiag_error(c->diags, &arg->loc, "invalid regular expression: %s", err ? err : "?");
    g_free(err);
    return;
  }
  pbuiltin_regex_free(re);
}

static PType *check_builtin(PCheck *c, PExpr *e, int first) {
  bool all_const = true, any_error = false;
  for (guint i = 0; i < e->items->len; i++) {
    PExpr *a = g_ptr_array_index(e->items, i);
    PType *t = pcheck_expr(c, a);
    all_const = all_const && a->is_const;
    if (is_error(t)) any_error = true;
  }
  if (any_error) return set_type(e, c->tt->t_error);
  for (guint i = 0; i < e->items->len; i++) {
    PExpr *a = g_ptr_array_index(e->items, i);
    char what[96];
    g_snprintf(what, sizeof what, "argument %u of %s", i + 1, e->name);
    if (reject_optional(c, a, what)) return set_type(e, c->tt->t_error);
  }
  int found = -1;
  for (int pass = 0; pass < 2 && found < 0; pass++) {
    for (uint32_t i = (uint32_t)first; i < pbuiltins_count && strcmp(pbuiltins[i].name, e->name) == 0; i++) {
      if (builtin_matches(&pbuiltins[i], e->items, pass == 1)) { found = (int)i; break; }
    }
  }
  if (found < 0) {
    GString *args = g_string_new(NULL);
    for (guint i = 0; i < e->items->len; i++) {
      g_autofree char *ts = pcheck_type_str(c, ((PExpr *)g_ptr_array_index(e->items, i))->type);
      g_string_append_printf(args, "%s%s", i ? ", " : "", ts);
    }
    GString *sigs = g_string_new(NULL);
    builtin_signatures(sigs, first);
    pdiag_add(c->diags, PDIAG_ERROR, &e->loc, sigs->str, "%s(%s) does not exist", e->name, args->str);
    g_string_free(args, TRUE);
    g_string_free(sigs, TRUE);
    return set_type(e, c->tt->t_error);
  }
  const PBuiltin *b = &pbuiltins[found];
  e->builtin = found;
  if (b->flags & PB_REGEX_ARG1) check_regex_arg(c, g_ptr_array_index(e->items, 1));
  if (strcmp(e->name, "date") == 0) {
    PExpr *a = g_ptr_array_index(e->items, 0);
    int64_t us;
    if (a->kind == PE_STRING && !ptime_parse(a->sval, a->slen, &us))
      pdiag_error(c->diags, &a->loc, "date(): cannot read \"%s\" as a time", a->sval);
  }
  e->is_const = all_const && (b->flags & PB_CONST_FOLDABLE);
  PType *rt = builtin_type(c, b->ret);
  return set_type(e, b->ret_optional ? ptype_optional(c->tt, rt) : rt);
}

static PType *check_entered(PCheck *c, PExpr *e) {
  if (e->items->len != 1) {
    pdiag_error(c->diags, &e->loc, "entered() takes one lifecycle: entered(funnel)");
    return set_type(e, c->tt->t_error);
  }
  PExpr *a = g_ptr_array_index(e->items, 0);
  PSym *s = a->kind == PE_NAME ? g_hash_table_lookup(c->globals, a->name) : NULL;
  if (!s || s->kind != PSYM_LIFECYCLE) {
    pdiag_error(c->diags, &a->loc, "entered() takes the name of a lifecycle");
    return set_type(e, c->tt->t_error);
  }
  a->sym = s;
  a->type = s->type;
  e->sym = s;
  pcheck_depend(c, s);
  return set_type(e, c->tt->t_time);
}

/* ---- host functions ---------------------------------------------------------------- */

/* Index in c->natives of the host function `name` (an extern fn of the
 * model, or one the embedder registered, added on first use); -1 for an
 * extern fn that could not be loaded (already reported); -2 when there is
 * no such function. */
static int find_native(PCheck *c, const char *name) {
  PSym *s = g_hash_table_lookup(c->globals, name);
  if (s && s->kind == PSYM_EXTERN) return s->index;
  for (guint i = 0; i < c->natives->len; i++)
    if (strcmp(((PNative *)g_ptr_array_index(c->natives, i))->name, name) == 0) return (int)i;
  if (!c->registry) return -2;
  for (guint i = 0; i < c->registry->items->len; i++) {
    const PNative *n = g_ptr_array_index(c->registry->items, i);
    if (strcmp(n->name, name) != 0) continue;
    g_ptr_array_add(c->natives, pnative_copy(n));
    return (int)c->natives->len - 1;
  }
  return -2;
}

static PType *native_param_type(PCheck *c, uint8_t t, bool optional) {
  PType *base = t == PNT_BOOL ? c->tt->t_bool : t == PNT_INT ? c->tt->t_int
              : t == PNT_NUMBER ? c->tt->t_number : c->tt->t_string;
  return optional ? ptype_optional(c->tt, base) : base;
}

static PType *check_native_call(PCheck *c, PExpr *e, int index) {
  e->is_const = false; /* a host function is not known at compile time */
  for (guint i = 0; i < e->items->len; i++) pcheck_expr(c, g_ptr_array_index(e->items, i));
  if (index < 0) return set_type(e, c->tt->t_error);
  const PNative *n = g_ptr_array_index(c->natives, index);
  g_autofree char *sig = pnative_signature_text(n);
  if (e->items->len != n->n_params) {
    pdiag_add(c->diags, PDIAG_ERROR, &e->loc, NULL, "%s takes %u argument%s (%s), not %u", e->name, n->n_params,
              n->n_params == 1 ? "" : "s", sig, e->items->len);
    return set_type(e, c->tt->t_error);
  }
  for (guint i = 0; i < e->items->len; i++) {
    PExpr *a = g_ptr_array_index(e->items, i);
    PType *want = native_param_type(c, n->params[i], n->params_optional[i]);
    if (a->type->kind == PTY_ERROR || ptype_assignable(a->type, want) ||
        (a->type->kind == PTY_STAGE && n->params[i] == PNT_STRING))
      continue;
    g_autofree char *ts = pcheck_type_str(c, a->type);
    g_autofree char *ws = pcheck_type_str(c, want);
    pdiag_add(c->diags, PDIAG_ERROR, &a->loc, NULL, "argument %u of %s must be %s, not %s (%s)", i + 1, e->name,
              ws, ts, sig);
    return set_type(e, c->tt->t_error);
  }
  e->native = index;
  return set_type(e, native_param_type(c, n->ret, n->ret_optional));
}

static PType *check_call(PCheck *c, PExpr *e) {
  PAgg agg = agg_code(e->name);
  if (e->query) {
    if (!agg) {
      pdiag_error(c->diags, &e->loc, "'%s' is not an aggregate (count exists sum avg min max first last distinct)",
                  e->name);
      return set_type(e, c->tt->t_error);
    }
    if (c->const_context) {
      pdiag_error(c->diags, &e->loc, "aggregates are not known when the model is compiled");
      return set_type(e, c->tt->t_error);
    }
    return check_aggregate(c, e, agg);
  }
  if (strcmp(e->name, "now") == 0 && e->items->len == 0) {
    if (c->const_context) {
      pdiag_error(c->diags, &e->loc, "'now' is not known when the model is compiled");
      return set_type(e, c->tt->t_error);
    }
    return set_type(e, c->tt->t_time);
  }
  if (strcmp(e->name, "entered") == 0) return check_entered(c, e);
  if (strcmp(e->name, "arm") == 0 && !c->const_context) return pcheck_arm_call(c, e);
  if (strcmp(e->name, "tags") == 0 && e->items->len == 0) {
    /* The tags that hold, in declaration order: it reads every tag, so it
     * belongs where nothing else can depend on it. */
    if (!c->in_output) {
      pdiag_add(c->diags, PDIAG_ERROR, &e->loc, "use it in the output declaration",
                "tags() is only available in 'output { … }'");
      return set_type(e, c->tt->t_error);
    }
    for (guint i = 0; i < c->tags->len; i++) pcheck_depend(c, g_ptr_array_index(c->tags, i));
    return set_type(e, ptype_list(c->tt, c->tt->t_string, false));
  }
  /* count(events), max(list_of_numbers): an aggregate over a whole list. */
  if (agg && e->items->len == 1) {
    PExpr *a = g_ptr_array_index(e->items, 0);
    PType *t = pcheck_expr(c, a);
    if (t->kind == PTY_LIST || (agg != PAGG_MIN && agg != PAGG_MAX)) {
      PQuery *q = past_new_node(c->ast, PQuery);
      q->loc = a->loc;
      q->list = a;
      e->query = q;
      return check_aggregate(c, e, agg);
    }
  }
  int first = pbuiltin_find(e->name);
  if (first < 0) {
    int native = find_native(c, e->name);
    if (native != -2) return check_native_call(c, e, native);
    const char **names = g_new0(const char *, pbuiltins_count + pbuiltin_forms_count);
    uint32_t n = 0;
    for (uint32_t i = 0; i < pbuiltins_count; i++)
      if (n == 0 || strcmp(names[n - 1], pbuiltins[i].name) != 0) names[n++] = pbuiltins[i].name;
    for (uint32_t i = 0; i < pbuiltin_forms_count; i++) names[n++] = pbuiltin_forms[i].name;
    const char *s = pdiag_suggest(e->name, names, n);
    char *hint = s ? g_strdup_printf("did you mean '%s'?", s) : NULL;
    pdiag_add(c->diags, PDIAG_ERROR, &e->loc, hint, "unknown function '%s'", e->name);
    g_free(hint);
    g_free(names);
    for (guint i = 0; i < e->items->len; i++) pcheck_expr(c, g_ptr_array_index(e->items, i));
    return set_type(e, c->tt->t_error);
  }
  return check_builtin(c, e, first);
}

/* ---- dispatch ---------------------------------------------------------------------- */

static PType *pcheck_expr_inner(PCheck *c, PExpr *e) {
  switch (e->kind) {
  case PE_INT: e->is_const = true; return set_type(e, c->tt->t_int);
  case PE_NUMBER: e->is_const = true; return set_type(e, c->tt->t_number);
  case PE_STRING: e->is_const = true; return set_type(e, c->tt->t_string);
  case PE_DURATION: e->is_const = true; return set_type(e, c->tt->t_duration);
  case PE_BOOL: e->is_const = true; return set_type(e, c->tt->t_bool);
  case PE_NULL: e->is_const = true; return set_type(e, c->tt->t_null);
  case PE_LIST: return check_list_literal(c, e);
  case PE_RECORD: return check_record_literal(c, e);
  case PE_NAME: return check_name(c, e);
  case PE_FIELD: return check_field(c, e);
  case PE_CALL: return check_call(c, e);
  case PE_UNARY: return check_unary(c, e);
  case PE_BINARY: return check_binary(c, e);
  case PE_QUANT: return check_quant(c, e);
  }
  return set_type(e, c->tt->t_error);
}

/* ---- pii: a value computed from a pii field is pii ------------------------------- */

/* Does the value of child carry pii into its parent? A test (a bool) does
 * not: `phone != null` may be printed like a tag, and a count of records
 * chosen by a test reveals no field. Every other value computed from a
 * pii field does, through operators, lets, quantifier and query elements,
 * and function arguments. */
static bool carries_pii(const PExpr *child) {
  return child && child->pii && child->type && child->type->kind != PTY_BOOL;
}

static void propagate_pii(PExpr *e) {
  bool pii = carries_pii(e->left) || carries_pii(e->right);
  if (e->items)
    for (guint i = 0; i < e->items->len && !pii; i++) {
      void *item = g_ptr_array_index(e->items, i);
      pii = carries_pii(e->kind == PE_RECORD ? ((PRecordField *)item)->value : item);
    }
  if (e->query) pii = pii || carries_pii(e->query->list);
  /* The masking functions are the way out (mask, pseudonym). */
  if (e->kind == PE_CALL && e->builtin >= 0 && (pbuiltins[e->builtin].flags & PB_MASKS)) return;
  /* A field of a pii record (`r.x` of `r: rec pii`) is pii. */
  if (pii) e->pii = true;
}

PType *pcheck_expr(PCheck *c, PExpr *e) {
  if (e->type) return e->type; /* already checked (a call re-checking an argument) */
  PType *t = pcheck_expr_inner(c, e);
  propagate_pii(e);
  return t;
}

/* A value that leaves the model as data (an `output` value, a score) must
 * not be pii; a record or list literal is looked into, so that the error
 * points at the value. `what` names the place ("output.p", "score pay"). */
void pcheck_no_pii_leaves(PCheck *c, const PExpr *e, const char *what) {
  if (!e || !e->pii || !e->type || e->type->kind == PTY_BOOL) return;
  if (e->kind == PE_RECORD) {
    for (guint i = 0; i < e->items->len; i++) {
      const PRecordField *f = g_ptr_array_index(e->items, i);
      g_autofree char *inner = g_strdup_printf("%s.%s", what, f->name);
      pcheck_no_pii_leaves(c, f->value, inner);
    }
    return;
  }
  if (e->kind == PE_LIST) {
    for (guint i = 0; i < e->items->len; i++) pcheck_no_pii_leaves(c, g_ptr_array_index(e->items, i), what);
    return;
  }
  const char *hint = e->type->kind == PTY_STRING
                         ? "pass it through mask(s, keep_start, keep_end) or pseudonym(s), or leave it out"
                         : "only text can be masked: leave it out, or print a test of it (a bool) instead";
  pdiag_add(c->diags, PDIAG_ERROR, &e->loc, hint, "%s is computed from a pii field and would leave the model", what);
}
