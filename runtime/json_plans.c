/* json_plans.c - whole sets of decode plans: a copy that reads every
 * field, and whether two sets read a profile the same way (json_decode.h,
 * "Plans for sharing one decoding"). */
#include "json_decode.h"

#include <string.h>

/* `t` with its record plans moved from `from` to `to` (the same index);
 * list element types are copied into `arena`. */
static bool copy_type(PDecodeType *t, const PDecodePlan *from, PDecodePlan *to, PArena *arena) {
  if (t->kind == PDT_RECORD && t->record) t->record = &to[t->record - from];
  if (t->kind != PDT_LIST || !t->elem) return true;
  PDecodeType *elem = pa_alloc(arena, sizeof *elem);
  if (!elem) return false;
  *elem = *t->elem;
  t->elem = elem;
  return copy_type(elem, from, to, arena);
}

PDecodePlan *pdec_plans_reading_all(const PDecodePlan *plans, uint32_t n, PArena *arena) {
  PDecodePlan *all = g_new0(PDecodePlan, n ? n : 1);
  for (uint32_t i = 0; i < n; i++) {
    all[i] = plans[i];
    all[i].lookup = NULL;
    all[i].fields = pa_alloc(arena, sizeof(PDecodeField) * (plans[i].n_fields ? plans[i].n_fields : 1));
    if (!all[i].fields) goto fail;
    for (uint32_t f = 0; f < plans[i].n_fields; f++) {
      all[i].fields[f] = plans[i].fields[f];
      all[i].fields[f].used = true;
      if (!copy_type(&all[i].fields[f].type, plans, all, arena)) goto fail;
    }
  }
  for (uint32_t i = 0; i < n; i++) pdec_plan_prepare(&all[i]);
  return all;
fail:
  g_free(all);
  return NULL;
}

void pdec_plans_free(PDecodePlan *plans, uint32_t n) {
  if (!plans) return;
  for (uint32_t i = 0; i < n; i++) pdec_plan_release(&plans[i]);
  g_free(plans);
}

static bool same_type(const PDecodeType *x, const PDecodePlan *a, const PDecodeType *y, const PDecodePlan *b) {
  for (;;) {
    if (x->kind != y->kind) return false;
    if (x->kind == PDT_RECORD) return (x->record - a) == (y->record - b);
    if (x->kind != PDT_LIST) return true;
    x = x->elem;
    y = y->elem;
    if (!x || !y) return x == y;
  }
}

static bool same_field(const PDecodeField *x, const PDecodePlan *a, const PDecodeField *y, const PDecodePlan *b) {
  return x->name_len == y->name_len && memcmp(x->name, y->name, x->name_len) == 0 && x->optional == y->optional &&
         x->has_default == y->has_default && x->pii == y->pii && x->used == y->used &&
         (!x->has_default || pvalue_equal(x->default_value, y->default_value)) && same_type(&x->type, a, &y->type, b);
}

bool pdec_plans_same_reading(const PDecodePlan *a, uint32_t na, uint32_t root_a, const PDecodePlan *b,
                             uint32_t nb, uint32_t root_b) {
  if (na != nb || root_a != root_b) return false;
  for (uint32_t i = 0; i < na; i++) {
    const PDecodePlan *p = &a[i], *q = &b[i];
    if (p->n_fields != q->n_fields || p->key_field != q->key_field || p->at_field != q->at_field ||
        strcmp(p->name, q->name) != 0)
      return false;
    for (uint32_t f = 0; f < p->n_fields; f++)
      if (!same_field(&p->fields[f], a, &q->fields[f], b)) return false;
  }
  return true;
}
