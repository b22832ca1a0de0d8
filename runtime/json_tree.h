/* json_tree.h - decoding a profile from a tree the host has already
 * parsed (a PostgreSQL jsonb value, say), through the host's
 * PersonaTreeReader (persona.h), with the plan of the text decoder
 * (json_decode.h).
 *
 * The tree decoder handles the records that decode without an error and
 * declines every other one, having reported nothing: the host then passes
 * the record's JSON text to the text decoder, which alone words errors.
 * So for each record the two give the same values, or the tree decoder
 * declines (tests/unit/test_json_tree.c holds it to that).
 *
 * A tree is valid JSON by construction and has no duplicate keys, so
 * what the text decoder checks in the text itself (syntax, UTF-8, escapes)
 * has nothing to find; fields the model never reads are not visited at
 * all, except that a tree nested deeper than PDEC_MAX_DEPTH is declined,
 * as its text would be an error.
 *
 * Ownership: decoded strings point into the host's tree (which must
 * outlive the evaluation), everything else into `arena`.
 */
#ifndef PERSONA_JSON_TREE_H
#define PERSONA_JSON_TREE_H

#include "json_decode.h"
#include "persona.h"

/* What a walk (PersonaTreeMembers) remembers of the records of a plan:
 * the field the k-th member of the last object matched. Objects of one
 * kind usually keep their keys in one order, so a key is then matched by
 * one comparison. Kept by the caller from record to record (zeroed at
 * first), one per thread: the VM's. */
#define PDEC_TREE_MEMO_PLANS 8
#define PDEC_TREE_MEMO_KEYS 64

typedef struct {
  const PDecodePlan *plan;
  uint8_t field[PDEC_TREE_MEMO_KEYS];
} PTreeMemoSlot;

typedef struct {
  PTreeMemoSlot slots[PDEC_TREE_MEMO_PLANS];
  uint32_t next; /* the slot a new plan takes */
} PTreeMemo;

/* Decodes the object `root` with `plan`, as pdec_decode_tz() decodes its
 * text: times without an offset are read in `input_tz` (borrowed; NULL:
 * such a time is declined). With `members` (may be NULL), each object is
 * read in one walk of its members instead of a lookup per field, with
 * `memo` (not NULL then). False: declined (out->error is empty; nothing is
 * to be kept but arena memory). */
bool pdec_decode_tree(const PDecodePlan *plan, const PersonaTreeReader *reader, PersonaTreeMembers members,
                      PTreeMemo *memo, void *ctx,
                      const void *root, int64_t now_us, GTimeZone *input_tz, PArena *arena,
                      PDecodeResult *out);

#endif
