/* types.c - static types; see types.h. */
#include "types.h"

#include <string.h>

static void precord_type_free(gpointer p) {
  PRecordType *rt = p;
  g_array_unref(rt->fields);
  g_free(rt);
}

PTypeTable *ptype_table_new(void) {
  PTypeTable *tt = g_new0(PTypeTable, 1);
  tt->owned = g_ptr_array_new_with_free_func(g_free);
  tt->records = g_ptr_array_new_with_free_func(precord_type_free);
  tt->t_error = ptype_new(tt, PTY_ERROR, false);
  tt->t_null = ptype_new(tt, PTY_NULL, true);
  tt->t_bool = ptype_new(tt, PTY_BOOL, false);
  tt->t_int = ptype_new(tt, PTY_INT, false);
  tt->t_number = ptype_new(tt, PTY_NUMBER, false);
  tt->t_string = ptype_new(tt, PTY_STRING, false);
  tt->t_time = ptype_new(tt, PTY_TIME, false);
  tt->t_duration = ptype_new(tt, PTY_DURATION, false);
  tt->t_empty_list = ptype_list(tt, NULL, false);
  return tt;
}

void ptype_table_free(PTypeTable *tt) {
  if (!tt) return;
  g_ptr_array_unref(tt->owned);
  g_ptr_array_unref(tt->records);
  g_free(tt);
}

PType *ptype_new(PTypeTable *tt, PTypeKind kind, bool optional) {
  PType *t = g_new0(PType, 1);
  t->kind = kind;
  t->optional = optional;
  t->lifecycle = -1;
  g_ptr_array_add(tt->owned, t);
  return t;
}

PType *ptype_list(PTypeTable *tt, PType *elem, bool optional) {
  PType *t = ptype_new(tt, PTY_LIST, optional);
  t->elem = elem;
  return t;
}

static PType *ptype_copy(PTypeTable *tt, const PType *t) {
  PType *c = ptype_new(tt, t->kind, t->optional);
  c->elem = t->elem;
  c->rec = t->rec;
  c->lifecycle = t->lifecycle;
  return c;
}

PType *ptype_optional(PTypeTable *tt, PType *t) {
  if (t->optional || t->kind == PTY_ERROR) return t;
  PType *c = ptype_copy(tt, t);
  c->optional = true;
  return c;
}

PType *ptype_required(PTypeTable *tt, PType *t) {
  if (!t->optional || t->kind == PTY_NULL) return t;
  PType *c = ptype_copy(tt, t);
  c->optional = false;
  return c;
}

PType *ptype_stage(PTypeTable *tt, int lifecycle, bool optional) {
  PType *t = ptype_new(tt, PTY_STAGE, optional);
  t->lifecycle = lifecycle;
  return t;
}

PRecordType *precord_type_new(PTypeTable *tt, const char *name) {
  PRecordType *rt = g_new0(PRecordType, 1);
  rt->name = name;
  rt->fields = g_array_new(FALSE, TRUE, sizeof(PRecordFieldType));
  rt->at_field = -1;
  rt->index = (int)tt->records->len;
  g_ptr_array_add(tt->records, rt);
  return rt;
}

int precord_field(const PRecordType *rt, const char *name) {
  for (guint i = 0; i < rt->fields->len; i++) {
    if (strcmp(g_array_index(rt->fields, PRecordFieldType, i).name, name) == 0)
      return (int)i;
  }
  return -1;
}

bool ptype_equal(const PType *a, const PType *b) {
  if (a == b) return true;
  if (a->kind != b->kind || a->optional != b->optional) return false;
  switch (a->kind) {
  case PTY_LIST:
    if (!a->elem || !b->elem) return a->elem == b->elem;
    return ptype_equal(a->elem, b->elem);
  case PTY_RECORD: return a->rec == b->rec;
  case PTY_STAGE: return a->lifecycle == b->lifecycle;
  default: return true;
  }
}

bool ptype_assignable(const PType *from, const PType *to) {
  if (from->kind == PTY_ERROR || to->kind == PTY_ERROR) return true;
  if (from->kind == PTY_NULL) return to->optional;
  if (from->optional && !to->optional) return false;
  if (from->kind == PTY_INT && to->kind == PTY_NUMBER) return true;
  if (from->kind != to->kind) return false;
  switch (from->kind) {
  case PTY_LIST:
    if (!from->elem || !to->elem) return true;
    return ptype_assignable(from->elem, to->elem) &&
           (from->elem->kind == to->elem->kind || from->elem->kind == PTY_ERROR ||
            to->elem->kind == PTY_ERROR);
  case PTY_RECORD: return from->rec == to->rec;
  case PTY_STAGE: return from->lifecycle == to->lifecycle;
  default: return true;
  }
}

bool ptype_is_numeric(const PType *t) {
  return !t->optional && (t->kind == PTY_INT || t->kind == PTY_NUMBER);
}

PType *ptype_unify(PTypeTable *tt, PType *a, PType *b) {
  if (a->kind == PTY_ERROR) return a;
  if (b->kind == PTY_ERROR) return b;
  if (a->kind == PTY_NULL) return b->kind == PTY_NULL ? a : ptype_optional(tt, b);
  if (b->kind == PTY_NULL) return ptype_optional(tt, a);
  bool opt = a->optional || b->optional;
  if ((a->kind == PTY_INT && b->kind == PTY_NUMBER) ||
      (a->kind == PTY_NUMBER && b->kind == PTY_INT))
    return opt ? ptype_optional(tt, tt->t_number) : tt->t_number;
  if (a->kind != b->kind) return NULL;
  if (a->kind == PTY_LIST) {
    if (!a->elem) return opt ? ptype_optional(tt, b) : ptype_required(tt, b);
    if (!b->elem) return opt ? ptype_optional(tt, a) : ptype_required(tt, a);
    PType *e = ptype_unify(tt, a->elem, b->elem);
    return e ? ptype_list(tt, e, opt) : NULL;
  }
  if (a->kind == PTY_RECORD && a->rec != b->rec) return NULL;
  if (a->kind == PTY_STAGE && a->lifecycle != b->lifecycle) return NULL;
  return opt ? ptype_optional(tt, a) : ptype_required(tt, a);
}

static void ptype_append(GString *s, const PType *t, const char *const *lc_names) {
  switch (t->kind) {
  case PTY_ERROR: g_string_append(s, "<error>"); break;
  case PTY_NULL: g_string_append(s, "null"); return;
  case PTY_BOOL: g_string_append(s, "bool"); break;
  case PTY_INT: g_string_append(s, "int"); break;
  case PTY_NUMBER: g_string_append(s, "number"); break;
  case PTY_STRING: g_string_append(s, "string"); break;
  case PTY_TIME: g_string_append(s, "time"); break;
  case PTY_DURATION: g_string_append(s, "duration"); break;
  case PTY_LIST:
    g_string_append(s, "list<");
    if (t->elem) ptype_append(s, t->elem, lc_names); else g_string_append(s, "?");
    g_string_append_c(s, '>');
    break;
  case PTY_RECORD: g_string_append(s, t->rec ? t->rec->name : "record"); break;
  case PTY_STAGE:
    if (lc_names && t->lifecycle >= 0)
      g_string_append_printf(s, "stage of %s", lc_names[t->lifecycle]);
    else
      g_string_append(s, "stage");
    break;
  }
  if (t->optional) g_string_append_c(s, '?');
}

char *ptype_to_string(const PType *t, const char *const *lifecycle_names) {
  GString *s = g_string_new(NULL);
  ptype_append(s, t, lifecycle_names);
  return g_string_free(s, FALSE);
}
