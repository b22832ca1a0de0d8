/* constset.c - constant sets: the hash set an `in` over a constant list
 * becomes (INSET); see constset.h. */
#include "constset.h"

#include <glib.h>

void pconstset_init(PConstSet *set, const PValue *values, uint32_t n) {
  uint32_t cap = 8;
  while (cap < n * 2 + 2) cap *= 2;
  set->mask = cap - 1;
  set->count = 0;
  set->slots = g_new0(PValue, cap);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t h = (uint32_t)pvalue_hash(values[i]) & set->mask;
    while (set->slots[h].kind != PV_NULL) {
      if (pvalue_equal(set->slots[h], values[i])) break;
      h = (h + 1) & set->mask;
    }
    if (set->slots[h].kind == PV_NULL) {
      set->slots[h] = values[i];
      set->count++;
    }
  }
}

bool pconstset_has(const PConstSet *set, PValue v) {
  if (v.kind == PV_NULL) return false;
  uint32_t h = (uint32_t)pvalue_hash(v) & set->mask;
  while (set->slots[h].kind != PV_NULL) {
    if (pvalue_equal(set->slots[h], v)) return true;
    h = (h + 1) & set->mask;
  }
  return false;
}
