/* constset.h - constant sets: a constant list used with `in` becomes an
 * open-addressing hash set over its values, built once when the model is
 * built or read (INSET looks values up in it).
 *
 * Ownership: the set owns its slot array (freed with g_free by the model
 * that holds it); the values are copied by value, so their strings, lists
 * and records must live as long as the set (the model's constant arena).
 */
#ifndef PERSONA_CONSTSET_H
#define PERSONA_CONSTSET_H

#include <stdbool.h>
#include <stdint.h>

#include "value.h"

typedef struct PConstSet {
  uint32_t mask;       /* capacity - 1 (power of two) */
  uint32_t count;
  PValue *slots;       /* PV_NULL = empty */
} PConstSet;

/* Builds a set from constant scalar values (duplicates are kept once). */
void pconstset_init(PConstSet *set, const PValue *values, uint32_t n);
/* `v in set`: false for null. */
bool pconstset_has(const PConstSet *set, PValue v);

#endif
