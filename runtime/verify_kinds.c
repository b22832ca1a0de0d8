/* verify_kinds.c - the verifier's kind analysis: which kinds of value each
 * register may hold at each instruction, and the refusal of any
 * instruction that could read an operand of a kind it does not accept
 * (bytecode.h, pbc_verify_kinds; docs/bytecode.md, "Kinds").
 *
 * Runs after verify.c has proved indexes in range and every register
 * written before it is read. An abstract value is a set of kinds (a bit
 * per PValueKind) and, for a list or a record, a *shape*: the kinds of
 * its elements or fields, shared by every value made at one place.
 *
 *  - constants, the profile's fields (the schema's types; a field's
 *    default must be of its type), a record's fields, a built-in's or
 *    host function's result (their signatures), and the result column of
 *    the opcode table (opcodes.h) give kinds;
 *  - each record type, list or record constant, and MKLIST or MKREC
 *    instruction has a shape; MKLIST and MKREC grow theirs by what they
 *    are given; where two shapes meet they become one (union-find, so a
 *    shape only grows);
 *  - a global holds its initial value or what its one writer stores (a
 *    unit's block's result, a fused pass's SETG, what the VM writes for a
 *    lifecycle, journey or experiment);
 *  - at a merge point the kinds are joined (a forward "may" analysis to a
 *    fixpoint, like the "must" analysis of verify.c), and the blocks are
 *    analysed again until no global and no shape grows (bounded).
 *
 * Then every register an instruction reads must hold only the kinds the
 * kinds column of opcodes.h (or the built-in's or host function's
 * signature) accepts; a failure names the block, the instruction, the
 * register and the kinds. The VM relies on it: arithmetic reads u.i/u.n
 * without looking at the kind (vm.c). A value of no known kind (a
 * built-in returning any list, which none does; never in a compiled
 * model) may only meet instructions that accept any kind, and CALL and
 * CALLN, which check their arguments at run time.
 *
 * Ownership: all memory is freed before returning.
 */
#include <string.h>

#include "../include/persona.h"
#include "../stdlib/builtins.h"
#include "bytecode.h"
#include "natives.h"

/* ---- abstract values ------------------------------------------------------------ */

/* bits 0..8: the kinds it may be; bit 9: unknown (any kind, unproved);
 * bits 16..31: the shape of a list (its elements), bits 32..47: the shape
 * of a record (its fields), as an index into Kinds.shapes, 0 for none.
 * 0 is "not written". */
typedef uint64_t AVal;

#define K(kind) (1u << (kind))
#define K_UNKNOWN (1u << 9)
_Static_assert(PV_NULL == 0 && PV_BOOL == 1 && PV_INT == 2 && PV_NUMBER == 3 && PV_STRING == 4 && PV_TIME == 5 &&
                   PV_DURATION == 6 && PV_LIST == 7 && PV_RECORD == 8,
               "the masks of PERSONA_OP_KINDS (opcodes.h) number the kinds so");
#define K_ALL 0x1ffu
#define SHAPES_MAX 0xffffu

static inline uint32_t av_kinds(AVal v) { return (uint32_t)(v & 0x3ff); }
static inline uint32_t av_list(AVal v) { return (uint32_t)((v >> 16) & 0xffff); }
static inline uint32_t av_rec(AVal v) { return (uint32_t)((v >> 32) & 0xffff); }
static inline AVal av_make(uint32_t kinds, uint32_t list, uint32_t rec) {
  return (AVal)kinds | (AVal)list << 16 | (AVal)rec << 32;
}
static const AVal AV_UNKNOWN = K_ALL | K_UNKNOWN;

/* A shape: the elements of a list (n = 1) or the fields of a record. Two
 * shapes that meet (a register that may hold a record of either) become
 * one, their fields joined: union-find, so a shape only grows. */
typedef struct Shape {
  uint32_t parent; /* itself when it is a root */
  uint32_t n;
  AVal *f;
} Shape;

/* ---- the model's sources of kinds ---------------------------------------------- */

typedef struct Kinds {
  const PModel *m;
  GError **error;
  Shape *shapes;       /* [0] unused */
  uint32_t n_shapes, cap_shapes;
  bool full;           /* more shapes than SHAPES_MAX: refused */
  AVal *consts;        /* per constant */
  AVal *plan_rec;      /* per record type: its record AVal */
  uint32_t *site;      /* per instruction of the model (block_base + pc): the shape MKLIST/MKREC builds */
  uint32_t *block_base;
  AVal strings;        /* a list of strings (TAGS, split, sort) */
  AVal *globals;       /* per slot */
  AVal *setg;          /* per slot: what SETG stores there */
  AVal *ret;           /* per block: what it returns */
  bool grew;           /* a global or a shape grew in this pass */
} Kinds;

static uint32_t shape_new(Kinds *k, uint32_t n) {
  if (k->n_shapes >= SHAPES_MAX) {
    k->full = true;
    return 0;
  }
  if (k->n_shapes == k->cap_shapes) {
    k->cap_shapes = k->cap_shapes ? k->cap_shapes * 2 : 64;
    k->shapes = g_renew(Shape, k->shapes, k->cap_shapes);
  }
  uint32_t id = k->n_shapes++;
  k->shapes[id] = (Shape){.parent = id, .n = n, .f = g_new0(AVal, n ? n : 1)};
  return id;
}

static uint32_t shape_find(Kinds *k, uint32_t id) {
  while (k->shapes[id].parent != id) {
    k->shapes[id].parent = k->shapes[k->shapes[id].parent].parent;
    id = k->shapes[id].parent;
  }
  return id;
}

static AVal av_join(Kinds *k, AVal a, AVal b);

static void shape_grow(Kinds *k, uint32_t id, uint32_t i, AVal v);

/* Shapes a and b become one (a 0 is no shape). b's fields are joined into
 * the root field by field, each through shape_grow, which finds the root
 * again: a join may itself merge shapes. */
static uint32_t shape_union(Kinds *k, uint32_t a, uint32_t b) {
  if (a == 0 || b == 0) return a ? shape_find(k, a) : b ? shape_find(k, b) : 0;
  a = shape_find(k, a);
  b = shape_find(k, b);
  if (a == b) return a;
  k->grew = true;
  k->shapes[b].parent = a;
  Shape *sa = &k->shapes[a];
  uint32_t nb = k->shapes[b].n;
  if (nb > sa->n) { /* a record with more fields: GETF of the shorter gives null */
    sa->f = g_renew(AVal, sa->f, nb);
    for (uint32_t i = sa->n; i < nb; i++) sa->f[i] = K(PV_NULL);
    sa->n = nb;
  } else {
    for (uint32_t i = nb; i < sa->n; i++) shape_grow(k, a, i, K(PV_NULL));
  }
  for (uint32_t i = 0; i < nb; i++) shape_grow(k, a, i, k->shapes[b].f[i]);
  return shape_find(k, a);
}

static AVal av_join(Kinds *k, AVal a, AVal b) {
  uint32_t list = shape_union(k, av_list(a), av_list(b));
  uint32_t rec = shape_union(k, av_rec(a), av_rec(b));
  return av_make(av_kinds(a) | av_kinds(b), list, rec);
}

/* Field i of shape `id` grows by v. The join may merge shapes (even this
 * one into another): read the root again, and join again when the field
 * changed meanwhile. */
static void shape_grow(Kinds *k, uint32_t id, uint32_t i, AVal v) {
  for (;;) {
    uint32_t r = shape_find(k, id);
    if (i >= k->shapes[r].n) return; /* a root has the most fields: not reached */
    AVal cur = k->shapes[r].f[i];
    AVal j = av_join(k, cur, v);
    r = shape_find(k, id);
    if (k->shapes[r].f[i] == cur) {
      if (j != cur) {
        k->grew = true;
        k->shapes[r].f[i] = j;
      }
      return;
    }
    v = j;
  }
}

/* A list of `elem`s, a new shape. */
static AVal av_list_of(Kinds *k, AVal elem) {
  uint32_t id = shape_new(k, 1);
  if (id) k->shapes[id].f[0] = elem;
  return id ? av_make(K(PV_LIST), id, 0) : AV_UNKNOWN;
}

/* The kind the decoder gives a field of type t. */
static uint32_t decode_kind(const PDecodeType *t) {
  switch (t->kind) {
  case PDT_BOOL: return K(PV_BOOL);
  case PDT_INT: return K(PV_INT);
  case PDT_NUMBER: return K(PV_NUMBER);
  case PDT_STRING: return K(PV_STRING);
  case PDT_TIME: case PDT_TIME_MS: return K(PV_TIME);
  case PDT_DURATION: return K(PV_DURATION);
  case PDT_RECORD: return K(PV_RECORD);
  case PDT_LIST: return K(PV_LIST);
  }
  return 0;
}

/* A field's type (the profile's and every record type's, built once). */
static AVal av_of_decode(Kinds *k, const PDecodeType *t) {
  if (t->kind == PDT_RECORD) return k->plan_rec[t->record - k->m->plans];
  if (t->kind == PDT_LIST) return av_list_of(k, av_of_decode(k, t->elem));
  return decode_kind(t);
}

/* Record types in dependency order (a record type's fields may be of
 * record types; they contain no cycle, verify.c). */
static void build_plan(Kinds *k, uint32_t p, uint8_t *state) {
  if (state[p]) return;
  state[p] = 1;
  const PDecodePlan *plan = &k->m->plans[p];
  for (uint32_t f = 0; f < plan->n_fields; f++) {
    const PDecodeType *t = &plan->fields[f].type;
    while (t->kind == PDT_LIST) t = t->elem;
    if (t->kind == PDT_RECORD) build_plan(k, (uint32_t)(t->record - k->m->plans), state);
  }
  uint32_t id = shape_new(k, plan->n_fields);
  k->plan_rec[p] = id ? av_make(K(PV_RECORD), 0, id) : AV_UNKNOWN;
  for (uint32_t f = 0; f < plan->n_fields && id; f++)
    k->shapes[id].f[f] = K(PV_NULL) | av_of_decode(k, &plan->fields[f].type); /* absent: null */
}

/* A field of a record (null when the record is null or shorter). */
static AVal av_field(Kinds *k, AVal rec, uint32_t field) {
  uint32_t id = av_rec(rec);
  if (av_kinds(rec) & K_UNKNOWN) return AV_UNKNOWN;
  if (id == 0) return K(PV_NULL);
  id = shape_find(k, id);
  return field < k->shapes[id].n ? K(PV_NULL) | k->shapes[id].f[field] : K(PV_NULL);
}

/* A constant (built once per constant: lists and records get shapes). */
static AVal av_of_value(Kinds *k, PValue v, int depth) {
  if (v.kind > PV_RECORD || depth > 64) return AV_UNKNOWN;
  if (v.kind == PV_LIST) {
    AVal e = 0;
    for (uint32_t i = 0; i < v.len; i++) e = av_join(k, e, av_of_value(k, v.u.items[i], depth + 1));
    return av_list_of(k, e);
  }
  if (v.kind == PV_RECORD) {
    uint32_t id = shape_new(k, v.len);
    for (uint32_t i = 0; i < v.len && id; i++) {
      AVal f = av_of_value(k, v.u.items[i], depth + 1);
      k->shapes[shape_find(k, id)].f[i] = f;
    }
    return id ? av_make(K(PV_RECORD), 0, id) : AV_UNKNOWN;
  }
  return K(v.kind);
}

static AVal av_of_builtin_type(Kinds *k, PBuiltinType t) {
  switch (t) {
  case PBT_BOOL: return K(PV_BOOL);
  case PBT_INT: return K(PV_INT);
  case PBT_NUMBER: return K(PV_NUMBER);
  case PBT_STRING: return K(PV_STRING);
  case PBT_TIME: return K(PV_TIME);
  case PBT_DURATION: return K(PV_DURATION);
  case PBT_LIST_STRING: return k->strings;
  case PBT_LIST_ANY: return AV_UNKNOWN;
  }
  return AV_UNKNOWN;
}

/* What a parameter of a built-in accepts (vm_args_ok agrees): null, and
 * an int where a number is expected; the elements of a list<string>. */
static uint32_t builtin_accepts(PBuiltinType t, uint32_t *elems) {
  *elems = K_ALL | K_UNKNOWN;
  switch (t) {
  case PBT_BOOL: return K(PV_NULL) | K(PV_BOOL);
  case PBT_INT: return K(PV_NULL) | K(PV_INT);
  case PBT_NUMBER: return K(PV_NULL) | K(PV_NUMBER) | K(PV_INT);
  case PBT_STRING: return K(PV_NULL) | K(PV_STRING);
  case PBT_TIME: return K(PV_NULL) | K(PV_TIME);
  case PBT_DURATION: return K(PV_NULL) | K(PV_DURATION);
  case PBT_LIST_STRING: *elems = K(PV_NULL) | K(PV_STRING) | K_UNKNOWN; return K(PV_NULL) | K(PV_LIST);
  case PBT_LIST_ANY: return K(PV_NULL) | K(PV_LIST);
  }
  return 0;
}

/* The VM kind of a host function's parameter or result type. */
static uint32_t native_kind(uint8_t t) {
  switch ((PNativeType)t) {
  case PNT_BOOL: return K(PV_BOOL);
  case PNT_INT: return K(PV_INT);
  case PNT_NUMBER: return K(PV_NUMBER);
  case PNT_STRING: return K(PV_STRING);
  }
  return 0;
}

/* ---- messages -------------------------------------------------------------------- */

static const char *const kind_names[] = {"null", "bool", "int", "number", "string",
                                         "time", "duration", "list", "record"};

/* "a string or a record", "an int, a time or a duration"; plural: "ints
 * or strings" (a list's elements). */
static void kinds_text(GString *s, uint32_t kinds, bool plural) {
  uint32_t n = 0, total = (uint32_t)__builtin_popcount(kinds & K_ALL);
  for (int k = 0; k <= PV_RECORD; k++) {
    if (!(kinds & K(k))) continue;
    if (n) g_string_append(s, n + 1 == total ? " or " : ", ");
    if (!plural) g_string_append(s, k == PV_INT ? "an " : "a ");
    g_string_append(s, kind_names[k]);
    if (plural) g_string_append_c(s, 's');
    n++;
  }
}

/* ---- one block ---------------------------------------------------------------------- */

typedef struct Block {
  Kinds *k;
  uint32_t bi;
  const PBlock *b;
  bool check;           /* the last pass: refuse wrong kinds */
  AVal *cur;            /* n_regs: the state before the instruction */
  AVal *saved;          /* n_targets × n_regs: the state at each jump target */
  bool *saved_seen;
  int32_t *target_slot; /* pc -> index into saved, or -1 */
} Block;

/* "block 3 (score fit), instruction 7 (DIVN): register 2 may hold a
 * record, but DIVN reads a number" */
static bool kind_fail(Block *kb, uint32_t pc, uint32_t reg, const char *holds, const char *needs) {
  g_set_error(kb->k->error, PERSONA_ERROR, PERSONA_ERROR_BYTECODE,
              "block %u (%s), instruction %u (%s): register %u may hold %s, but %s", kb->bi, kb->b->name, pc,
              popcode_info[kb->b->code[pc].op].name, reg, holds, needs);
  return false;
}

/* R[reg] must hold only kinds in `accepts` (a list's elements only
 * `elems`). A value without a static kind is refused too, unless
 * `unknown_ok`: the arguments of CALL and CALLN, which the VM checks
 * before the call (vm_args_ok, natives.c). */
static bool check_reg(Block *kb, uint32_t pc, uint32_t reg, uint32_t accepts, uint32_t elems, bool unknown_ok,
                      const char *what) {
  AVal v = kb->cur[reg];
  uint32_t kinds = av_kinds(v);
  if (kinds & K_UNKNOWN) {
    if (unknown_ok || accepts == K_ALL) return true;
    g_autoptr(GString) needs = g_string_new(NULL);
    g_string_append_printf(needs, "%s reads ", what);
    kinds_text(needs, accepts & ~K(PV_NULL), false);
    return kind_fail(kb, pc, reg, "a value of no known kind", needs->str);
  }
  uint32_t list = av_list(v);
  uint32_t e = list ? av_kinds(kb->k->shapes[shape_find(kb->k, list)].f[0]) : 0;
  if (!(kinds & ~accepts) && (!(kinds & K(PV_LIST)) || (e & K_UNKNOWN) || !(e & ~elems))) return true;
  g_autoptr(GString) holds = g_string_new(NULL);
  g_autoptr(GString) needs = g_string_new(NULL);
  g_string_append_printf(needs, "%s reads ", what);
  if (kinds & ~accepts) {
    kinds_text(holds, kinds & ~accepts, false);
    kinds_text(needs, accepts & ~K(PV_NULL), false);
  } else {
    g_string_append(holds, "a list of ");
    kinds_text(holds, e & ~elems, true);
    g_string_append(needs, "a list of ");
    kinds_text(needs, elems & ~(K(PV_NULL) | K_UNKNOWN), true);
  }
  return kind_fail(kb, pc, reg, holds->str, needs->str);
}

static uint32_t class_mask(uint8_t cls) { return popkinds_mask[cls]; }

/* The arguments of CALL or CALLN against the signature. */
static bool check_args(Block *kb, uint32_t pc) {
  const PModel *m = kb->k->m;
  const PInsn *i = &kb->b->code[pc];
  if (i->op == OP_CALL) {
    const PCallSite *cs = &m->calls[i->bx];
    const PBuiltin *bi = &pbuiltins[cs->builtin];
    for (uint32_t a = 0; a < cs->nargs; a++) {
      PBuiltinType t = bi->params[a < bi->nparams ? a : (uint32_t)bi->nparams - 1];
      uint32_t elems;
      uint32_t accepts = builtin_accepts(t, &elems);
      g_autofree char *what = g_strdup_printf("argument %u of %s()", a + 1, bi->name);
      if (!check_reg(kb, pc, i->a + a, accepts, elems, true, what)) return false;
    }
    return true;
  }
  const PNative *n = (const PNative *)m->natives[i->bx];
  for (uint32_t a = 0; a < n->n_params; a++) {
    uint32_t accepts = K(PV_NULL) | native_kind(n->params[a]) | (n->params[a] == PNT_NUMBER ? K(PV_INT) : 0);
    g_autofree char *what = g_strdup_printf("argument %u of host function %s", a + 1, n->name);
    if (!check_reg(kb, pc, i->a + a, accepts, K_ALL | K_UNKNOWN, true, what)) return false;
  }
  return true;
}

/* Every register read of the instruction at `pc` against the kinds
 * column of the opcode table. */
static bool check_reads(Block *kb, uint32_t pc) {
  const PInsn *i = &kb->b->code[pc];
  const POpInfo *info = &popcode_info[i->op];
  const uint8_t roles[3] = {info->a, info->b, info->c};
  const uint32_t vals[3] = {i->a, pinsn_b(i), i->c};
  g_autofree char *what = g_strdup(info->name);
  for (int k = 0; k < 3; k++) {
    uint32_t accepts = class_mask(info->kinds[k]);
    switch ((POpRole)roles[k]) {
    case PROLE_R: case PROLE_RW:
      if (!check_reg(kb, pc, vals[k], accepts, K_ALL | K_UNKNOWN, false, what)) return false;
      break;
    case PROLE_LOOP: /* the list, and the index */
      if (!check_reg(kb, pc, vals[k], accepts, K_ALL | K_UNKNOWN, false, what) ||
          !check_reg(kb, pc, vals[k] + 1, K(PV_INT), K_ALL | K_UNKNOWN, false, "the loop's index"))
        return false;
      break;
    case PROLE_ARGS:
      if (!check_args(kb, pc)) return false;
      break;
    default: break; /* RSPAN: any kind (MKLIST, MKREC) */
    }
  }
  return true;
}

/* ---- what an instruction writes ---------------------------------------------------- */

static AVal call_result(Kinds *k, const PInsn *i) {
  const PModel *m = k->m;
  if (i->op == OP_CALL) {
    const PBuiltin *bi = &pbuiltins[m->calls[i->bx].builtin];
    return K(PV_NULL) | av_of_builtin_type(k, bi->ret);
  }
  const PNative *n = (const PNative *)m->natives[i->bx];
  return K(PV_NULL) | native_kind(n->ret);
}

/* The elements of a list (unknown when the list's kind is). */
static AVal av_elem(Kinds *k, AVal list) {
  if (av_kinds(list) & K_UNKNOWN) return AV_UNKNOWN;
  uint32_t id = av_list(list);
  return id ? k->shapes[shape_find(k, id)].f[0] : 0;
}

/* The state after `pc` on the fall-through edge (fall) or the jump edge. */
static void transfer(Block *kb, uint32_t pc, AVal *s, bool fall) {
  Kinds *k = kb->k;
  const PModel *m = k->m;
  const PInsn *i = &kb->b->code[pc];
  const POpInfo *info = &popcode_info[i->op];
  AVal r = class_mask(info->kinds[3]);
  switch ((POpcode)i->op) {
  case OP_LOADK: r = k->consts[i->bx]; break;
  case OP_MOVE: r = s[i->b]; break;
  case OP_GETG: r = k->globals[i->bx]; break;
  case OP_GETP: r = av_field(k, k->plan_rec[m->profile_plan], i->bx); break;
  case OP_GETF: r = av_field(k, s[i->b], i->c); break;
  case OP_ADDI: case OP_SUBI: case OP_NEGI: r = K(i->x); break;
  case OP_I2N: r = K(PV_NUMBER) | (av_kinds(s[i->b]) & (K(PV_NULL) | K_UNKNOWN)); break;
  case OP_CALL: case OP_CALLN: r = call_result(k, i); break;
  case OP_AGGMIN: case OP_AGGMAX: r = av_join(k, s[i->a], s[i->b]); break;
  case OP_TAGS: r = k->strings; break;
  case OP_MKREC: case OP_MKLIST: {
    /* One shape per instruction, grown by what it is given. */
    uint32_t id = k->site[k->block_base[kb->bi] + pc];
    for (uint32_t j = 0; j < i->c && id; j++)
      shape_grow(k, id, i->op == OP_MKREC ? j : 0, s[i->b + j]);
    id = id ? shape_find(k, id) : 0;
    r = !id ? AV_UNKNOWN : i->op == OP_MKREC ? av_make(K(PV_RECORD), 0, id) : av_make(K(PV_LIST), id, 0);
    break;
  }
  case OP_UNPACK: {
    AVal rec = s[i->b];
    for (uint32_t j = 0; j < i->x; j++) s[i->a + j] = av_field(k, rec, i->c + j);
    return;
  }
  case OP_FORPREP: s[i->a + 1] = K(PV_INT); return;
  case OP_FORNEXT:
    s[i->a + 1] = K(PV_INT);
    if (fall) s[i->a + 2] = av_elem(k, s[i->a]);
    return;
  default: break;
  }
  if (r == 0) return; /* writes no register */
  s[i->a] = r;
}

/* ---- the fixpoint over one block ------------------------------------------------- */

#define KINDS_MAX_STATES (1u << 22) /* jump targets × registers per block */
#define KINDS_MAX_PASSES 64u

static int64_t jump_target(const PBlock *b, uint32_t pc) {
  const PInsn *i = &b->code[pc];
  switch ((POpFlow)popcode_info[i->op].flow) {
  case PFLOW_BRANCH: case PFLOW_GOTO: return (int64_t)pc + 1 + i->sbx;
  case PFLOW_SKIP: return (int64_t)pc + 2;
  default: return -1;
  }
}

static bool falls_through(uint8_t op) {
  return popcode_info[op].flow != PFLOW_GOTO && popcode_info[op].flow != PFLOW_RET;
}

/* Joins `s` into the saved state of `pc`; true when it changed. */
static bool join_into(Block *kb, uint32_t pc, const AVal *s) {
  uint32_t n = kb->b->n_regs;
  AVal *t = &kb->saved[(size_t)kb->target_slot[pc] * n];
  bool changed = !kb->saved_seen[pc];
  kb->saved_seen[pc] = true;
  for (uint32_t r = 0; r < n; r++) {
    AVal j = av_join(kb->k, t[r], s[r]);
    changed = changed || j != t[r];
    t[r] = j;
  }
  return changed;
}

/* One pass in instruction order; true when a backward edge changed a
 * state (another pass is needed). With `check`, refuses wrong kinds. */
static bool one_pass(Block *kb, bool *again) {
  const PBlock *b = kb->b;
  uint32_t n = b->n_regs;
  AVal *out = g_new(AVal, n);
  bool reach = true, ok = true;
  *again = false;
  memset(kb->cur, 0, n * sizeof(AVal));
  for (uint32_t pc = 0; pc < b->n_code && ok; pc++) {
    if (kb->target_slot[pc] >= 0) {
      if (reach) join_into(kb, pc, kb->cur);
      if (kb->saved_seen[pc]) {
        memcpy(kb->cur, &kb->saved[(size_t)kb->target_slot[pc] * n], n * sizeof(AVal));
        reach = true;
      }
    }
    if (!reach) continue; /* never runs */
    const PInsn *i = &b->code[pc];
    if (kb->check) ok = check_reads(kb, pc);
    if (i->op == OP_RET) kb->k->ret[kb->bi] = av_join(kb->k, kb->k->ret[kb->bi], kb->cur[i->a]);
    if (i->op == OP_SETG) kb->k->setg[i->bx] = av_join(kb->k, kb->k->setg[i->bx], kb->cur[i->a]);
    int64_t t = jump_target(b, pc);
    if (t >= 0) {
      memcpy(out, kb->cur, n * sizeof(AVal));
      transfer(kb, pc, out, false);
      if (join_into(kb, (uint32_t)t, out) && t <= pc) *again = true;
    }
    if (falls_through(i->op)) transfer(kb, pc, kb->cur, true);
    else reach = false;
  }
  g_free(out);
  return ok;
}

static bool analyse_block(Kinds *k, uint32_t bi, bool check) {
  const PBlock *b = &k->m->blocks[bi];
  Block kb = {.k = k, .bi = bi, .b = b};
  kb.target_slot = g_new(int32_t, b->n_code);
  memset(kb.target_slot, 0xff, b->n_code * sizeof(int32_t));
  uint32_t n_targets = 0;
  for (uint32_t pc = 0; pc < b->n_code; pc++) {
    int64_t t = jump_target(b, pc);
    if (t >= 0 && kb.target_slot[t] < 0) kb.target_slot[t] = (int32_t)n_targets++;
  }
  bool ok = true;
  if ((uint64_t)n_targets * b->n_regs > KINDS_MAX_STATES) {
    ok = false;
    g_set_error(k->error, PERSONA_ERROR, PERSONA_ERROR_BYTECODE,
                "block %u (%s): too large to verify (%u jump targets, %u registers)", bi, b->name, n_targets,
                b->n_regs);
  }
  if (ok) {
    kb.cur = g_new(AVal, b->n_regs);
    kb.saved = g_new0(AVal, (size_t)n_targets * b->n_regs + 1);
    kb.saved_seen = g_new0(bool, b->n_code);
    bool again = true;
    uint32_t passes = 0;
    /* Loops are entered only through their heads (verify.c), so this
     * settles in about one pass per level of nesting and kind lattice. */
    while (ok && again && passes++ < KINDS_MAX_PASSES) ok = one_pass(&kb, &again);
    if (ok && again) {
      ok = false;
      g_set_error(k->error, PERSONA_ERROR, PERSONA_ERROR_BYTECODE, "block %u (%s): too complex to verify", bi,
                  b->name);
    }
    if (ok && check) {
      kb.check = true;
      ok = one_pass(&kb, &again);
    }
    g_free(kb.cur);
    g_free(kb.saved);
    g_free(kb.saved_seen);
  }
  g_free(kb.target_slot);
  return ok;
}

/* ---- globals ---------------------------------------------------------------------- */

static void grow(Kinds *k, uint32_t slot, AVal v) {
  AVal j = av_join(k, k->globals[slot], v);
  if (j != k->globals[slot]) k->grew = true;
  k->globals[slot] = j;
}

/* What the VM itself stores (vm_record.c, vm_journey.c, vm_experiment.c)
 * and the initial values. */
static void fixed_globals(Kinds *k) {
  const PModel *m = k->m;
  for (uint32_t g = 0; g < m->n_globals; g++) k->globals[g] = av_of_value(k, m->global_init[g], 0);
  for (uint32_t i = 0; i < m->n_lifecycles; i++) {
    grow(k, m->lifecycles[i].slot_stage, K(PV_STRING));
    grow(k, m->lifecycles[i].slot_entered, K(PV_TIME));
  }
  for (uint32_t i = 0; i < m->n_journeys; i++) grow(k, m->journeys[i].slot_entered, K(PV_TIME));
  for (uint32_t i = 0; i < m->n_experiments; i++) {
    grow(k, m->experiments[i].slot_arm, K(PV_STRING));
    grow(k, m->experiments[i].slot_assigned, K(PV_TIME));
  }
}

/* ---- defaults: the decoder's values must have the schema's kinds ---------------------- */

/* A field's default (a constant of the file) is what the decoder gives
 * for an absent field, so GETP and GETF may read it where the analysis
 * assumes the field's type: it must be of that type (or null). */
static bool value_fits(const PModel *m, PValue v, const PDecodeType *t, int depth) {
  if (v.kind == PV_NULL) return true;
  if (depth > 64) return false;
  switch (t->kind) {
  case PDT_LIST:
    if (v.kind != PV_LIST) return false;
    for (uint32_t i = 0; i < v.len; i++)
      if (!value_fits(m, v.u.items[i], t->elem, depth + 1)) return false;
    return true;
  case PDT_RECORD:
    if (v.kind != PV_RECORD || v.len != t->record->n_fields) return false;
    for (uint32_t i = 0; i < v.len; i++)
      if (!value_fits(m, v.u.items[i], &t->record->fields[i].type, depth + 1)) return false;
    return true;
  default: return decode_kind(t) == K(v.kind);
  }
}

static bool check_defaults(const Kinds *k) {
  const PModel *m = k->m;
  for (uint32_t p = 0; p < m->n_plans; p++)
    for (uint32_t f = 0; f < m->plans[p].n_fields; f++) {
      const PDecodeField *fd = &m->plans[p].fields[f];
      if (fd->has_default && !value_fits(m, fd->default_value, &fd->type, 0)) {
        g_set_error(k->error, PERSONA_ERROR, PERSONA_ERROR_BYTECODE,
                    "record type %s: the default of field %s is not of the field's type", m->plans[p].name,
                    fd->name);
        return false;
      }
    }
  return true;
}

/* ---- what the VM does with a block's result --------------------------------------- */

/* The block's result (or the global it fills) holds only `accepts`: a
 * tag that is a bool, a score that is a number, a condition that is a
 * bool, a wait that is a duration. The VM reads a result by its kind
 * (a string where a score should be is written as 0), so this is the
 * verifier's promise, not the VM's safety. */
static bool check_result(Kinds *k, AVal v, uint32_t accepts, const char *what) {
  if ((av_kinds(v) & K_UNKNOWN) || !(av_kinds(v) & ~accepts)) return true;
  g_autoptr(GString) holds = g_string_new(NULL);
  g_autoptr(GString) needs = g_string_new(NULL);
  kinds_text(holds, av_kinds(v) & ~accepts, false);
  kinds_text(needs, accepts & ~K(PV_NULL), false);
  g_set_error(k->error, PERSONA_ERROR, PERSONA_ERROR_BYTECODE, "%s may be %s, not %s", what, holds->str,
              needs->str);
  return false;
}

static bool check_block_result(Kinds *k, uint32_t block, uint32_t accepts, const char *what) {
  if (block == PJ_NO_BLOCK) return true;
  g_autofree char *full = g_strdup_printf("%s (block %u, %s)", what, block, k->m->blocks[block].name);
  return check_result(k, k->ret[block], accepts, full);
}

static bool check_results(Kinds *k) {
  const PModel *m = k->m;
  const uint32_t BOOLS = K(PV_NULL) | K(PV_BOOL), DURATIONS = K(PV_NULL) | K(PV_DURATION);
  for (uint32_t o = 0; o < m->n_outputs; o++) {
    const POutput *out = &m->outputs[o];
    uint32_t accepts = out->kind == POUT_SCORE ? K(PV_NULL) | K(PV_NUMBER) : BOOLS;
    g_autofree char *what = g_strdup_printf("%s %s", out->kind == POUT_SCORE ? "score" : "tag", out->name);
    if (!check_result(k, k->globals[out->slot], accepts, what)) return false;
  }
  for (uint32_t i = 0; i < m->n_lifecycles; i++)
    for (uint32_t t = 0; t < m->lifecycles[i].n_transitions; t++)
      if (!check_block_result(k, m->lifecycles[i].transitions[t].block, BOOLS, "a transition's condition"))
        return false;
  for (uint32_t i = 0; i < m->n_journeys; i++) {
    const PJourneyCode *j = &m->journeys[i];
    if (!check_block_result(k, j->enter_kind == PJ_ENTER_WHEN ? j->enter_cond : PJ_NO_BLOCK, BOOLS,
                            "a journey's entry condition") ||
        !check_block_result(k, j->exit_cond, BOOLS, "a journey's exit condition") ||
        !check_block_result(k, j->reenter_after, DURATIONS, "a journey's re-entry wait"))
      return false;
    for (uint32_t s = 0; s < j->n_steps; s++)
      if (!check_block_result(k, j->steps[s].cond, BOOLS, "a step's condition") ||
          !check_block_result(k, j->steps[s].duration, DURATIONS, "a step's wait"))
        return false;
  }
  for (uint32_t i = 0; i < m->n_experiments; i++)
    if (!check_block_result(k, m->experiments[i].metric, BOOLS, "an experiment's metric")) return false;
  return true;
}

/* ---- the model ------------------------------------------------------------------------- */

#define KINDS_MAX_MODEL_PASSES 64u

/* The shapes every analysis shares: lists of strings, the record types,
 * the constants, one per MKLIST and MKREC instruction. */
static void build_shapes(Kinds *k) {
  const PModel *m = k->m;
  shape_new(k, 0); /* 0: no shape */
  k->strings = av_list_of(k, K(PV_STRING));
  k->plan_rec = g_new0(AVal, m->n_plans + 1);
  uint8_t *state = g_new0(uint8_t, m->n_plans + 1);
  for (uint32_t p = 0; p < m->n_plans; p++) build_plan(k, p, state);
  g_free(state);
  k->consts = g_new0(AVal, m->n_consts + 1);
  for (uint32_t c = 0; c < m->n_consts; c++) k->consts[c] = av_of_value(k, m->consts[c], 0);
  k->block_base = g_new0(uint32_t, m->n_blocks + 1);
  size_t total = 0;
  for (uint32_t bi = 0; bi < m->n_blocks; bi++) {
    k->block_base[bi] = (uint32_t)total;
    total += m->blocks[bi].n_code;
  }
  k->site = g_new0(uint32_t, total + 1);
  for (uint32_t bi = 0; bi < m->n_blocks; bi++)
    for (uint32_t pc = 0; pc < m->blocks[bi].n_code; pc++) {
      const PInsn *i = &m->blocks[bi].code[pc];
      if (i->op == OP_MKREC || i->op == OP_MKLIST)
        k->site[k->block_base[bi] + pc] = shape_new(k, i->op == OP_MKREC ? i->c : 1);
    }
}

bool pbc_verify_kinds(const PModel *m, GError **error) {
  Kinds k = {.m = m, .error = error};
  build_shapes(&k);
  k.globals = g_new0(AVal, m->n_globals + 1);
  k.setg = g_new0(AVal, m->n_globals + 1);
  k.ret = g_new0(AVal, m->n_blocks + 1);
  fixed_globals(&k);
  bool ok = check_defaults(&k);
  uint32_t passes = 0;
  /* Globals and shapes only grow; units run in order, so this settles in
   * a few passes. */
  do {
    k.grew = false;
    for (uint32_t bi = 0; bi < m->n_blocks && ok; bi++) ok = analyse_block(&k, bi, false);
    for (uint32_t u = 0; u < m->n_units && ok; u++)
      if (m->units[u].kind == PUNIT_VALUE) grow(&k, m->units[u].slot, k.ret[m->units[u].block]);
    for (uint32_t g = 0; g < m->n_globals && ok; g++)
      if (k.setg[g]) grow(&k, g, k.setg[g]);
  } while (ok && k.grew && !k.full && ++passes < KINDS_MAX_MODEL_PASSES);
  if (ok && (k.grew || k.full)) {
    ok = false;
    if (k.full)
      g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_BYTECODE, "more than %u list and record shapes to verify",
                  SHAPES_MAX);
    else
      g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_BYTECODE, "the kinds of the globals do not settle");
  }
  for (uint32_t bi = 0; bi < m->n_blocks && ok; bi++) ok = analyse_block(&k, bi, true);
  ok = ok && check_results(&k);
  for (uint32_t i = 0; i < k.n_shapes; i++) g_free(k.shapes[i].f);
  g_free(k.shapes);
  g_free(k.consts);
  g_free(k.plan_rec);
  g_free(k.site);
  g_free(k.block_base);
  g_free(k.globals);
  g_free(k.setg);
  g_free(k.ret);
  return ok;
}
