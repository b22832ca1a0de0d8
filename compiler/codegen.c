/* codegen.c - checked tree -> register bytecode; see codegen.h.
 *
 * Registers are allocated like a stack: an expression is compiled into a
 * destination register, and the temporaries it needs sit above `top` and
 * are released when it is done. Locals (quantifier variables and query
 * elements) live in registers bound while their body is compiled.
 */
#include "codegen.h"

#include <math.h>
#include <string.h>

#include "../runtime/bytecode.h" /* PBC_MAX_VALUE_DEPTH */
#include "../runtime/json_write.h"
#include "../runtime/natives.h"
#include "../runtime/ptime.h"
#include "../runtime/vm.h"
#include "../stdlib/builtins.h"
#include "check_internal.h"
#include "codegen_motion.h"

typedef struct PGen {
  PCheck *c;
  PModel *m;
  GArray *blocks;       /* PBlock */
  GArray *consts;       /* PValue */
  GHashTable *const_index; /* GBytes (kind, bytes) -> index + 1 */
  GArray *calls;        /* PCallSite */
  GArray *sets;         /* PConstSet */
  int *local_reg;       /* local id -> register */
  /* the block being built */
  GArray *code;         /* PInsn */
  GArray *locs;         /* PInsnLoc */
  uint32_t top, max_regs;
  PLoc loc;             /* source of the instructions being emitted */
  int journey_slot;     /* `entered` inside a journey: its global slot, else -1 */
  int assigned_slot;    /* `assigned` inside an experiment's metric: its global slot, else -1 */
  int score_slot;       /* while compiling a score: its global slot, else -1 */
  GHashTable *lsets;    /* PExpr* (an aggregate) -> its leave set + 1 (NCLADD) */
  uint32_t n_lsets;
  bool trace;           /* emit TRACE points and explanations (explain, coverage) */
  bool score_rules;     /* emit only the rules' RULE and RULE_RAW points, keep every optimisation */
  GArray *traces;       /* PTracePoint */
  uint32_t score_output;/* while compiling a score: its output index */
  uint32_t rule_index;  /* ... and the rule's index */
  GArray *skips;        /* in a fused loop: forward jumps to the next part */
  GHashTable *hoisted;  /* PExpr* / PScoreRule* -> global slot + 1 (fused queries) */
  int fused_elem;       /* in a fused loop: the element's register, else -1 */
  int *field_cache;     /* ... and each element field's register, or -1 */
  bool failed;
} PGen;

static char *source_text(PGen *g, const PLoc *loc);
static void explain_cond(PGen *g, PExpr *e, PExplainCond *out);

/* Emits TRACE R[reg] as a new trace point (only when tracing). */
static void emit_trace(PGen *g, uint32_t reg, PTraceKind kind, uint32_t plan);

/* ---- emitting ------------------------------------------------------------------ */

static uint32_t emit(PGen *g, uint8_t op, uint16_t a, uint16_t b, uint16_t c) {
  PInsn i = {.op = op, .a = a};
  i.b = b;
  i.c = c;
  PInsnLoc l = {g->loc.file, g->loc.line, g->loc.col};
  g_array_append_val(g->code, i);
  g_array_append_val(g->locs, l);
  return g->code->len - 1;
}

static uint32_t emit_x(PGen *g, uint8_t op, uint8_t x, uint16_t a, uint16_t b, uint16_t c) {
  uint32_t pc = emit(g, op, a, b, c);
  g_array_index(g->code, PInsn, pc).x = x;
  return pc;
}

static uint32_t emit_bx(PGen *g, uint8_t op, uint16_t a, uint32_t bx) {
  uint32_t pc = emit(g, op, a, 0, 0);
  g_array_index(g->code, PInsn, pc).bx = bx;
  return pc;
}

/* A forward jump whose target is patched later. */
static uint32_t emit_jump(PGen *g, uint8_t op, uint16_t a) { return emit_bx(g, op, a, 0); }

static void patch_here(PGen *g, uint32_t pc) {
  g_array_index(g->code, PInsn, pc).sbx = (int32_t)(g->code->len - pc - 1);
}

static void emit_jump_back(PGen *g, uint8_t op, uint16_t a, uint32_t target) {
  uint32_t pc = emit(g, op, a, 0, 0);
  g_array_index(g->code, PInsn, pc).sbx = (int32_t)target - (int32_t)pc - 1;
}

static void emit_trace(PGen *g, uint32_t reg, PTraceKind kind, uint32_t plan) {
  if (!g->trace && !(g->score_rules && (kind == PTRACE_RULE || kind == PTRACE_RULE_RAW))) return;
  PTracePoint p = {.kind = (uint8_t)kind, .score = g->score_output, .rule = g->rule_index, .plan = plan};
  g_array_append_val(g->traces, p);
  emit(g, OP_TRACE, (uint16_t)reg, (uint16_t)(g->traces->len - 1), 0);
}

/* Leaves the current element: back to the loop head, or, inside a fused
 * loop (g->skips set), forward to the next query's part of the body. */
static void emit_skip(PGen *g, uint8_t op, uint16_t a, uint32_t head) {
  if (!g->skips) {
    uint32_t pc = emit(g, op, a, 0, 0);
    g_array_index(g->code, PInsn, pc).sbx = (int32_t)head - (int32_t)pc - 1;
    return;
  }
  uint32_t pc = emit(g, op, a, 0, 0);
  g_array_append_val(g->skips, pc);
}

static uint32_t reg_alloc(PGen *g, uint32_t n) {
  uint32_t r = g->top;
  g->top += n;
  if (g->top > g->max_regs) g->max_regs = g->top;
  if (g->top > 60000 && !g->failed) {
    pdiag_error(g->c->diags, &g->loc, "expression too complex (more than 60000 registers)");
    g->failed = true;
  }
  return r;
}

/* ---- constants ----------------------------------------------------------------- */

/* The model's constants are copied into its arena: when the memory is not
 * there, the compilation fails with an error, never a crash (the model is
 * thrown away: there is an error). */
static void out_of_memory(PGen *g, const char *what) {
  if (g->failed) return;
  pdiag_error(g->c->diags, &g->loc, "out of memory while storing %s", what);
  g->failed = true;
}

/* Scalars are pooled by kind and bytes (GBytes keys: values may hold
 * NUL bytes); lists and records are never shared. */
static uint32_t const_add(PGen *g, PValue v) {
  GByteArray *key = g_byte_array_new();
  g_byte_array_append(key, &v.kind, 1);
  switch (v.kind) {
  case PV_STRING: g_byte_array_append(key, (const guint8 *)v.u.s, v.len); break;
  case PV_NUMBER: g_byte_array_append(key, (const guint8 *)&v.u.n, sizeof v.u.n); break;
  case PV_LIST:
  case PV_RECORD: g_byte_array_append(key, (const guint8 *)&g->consts->len, sizeof g->consts->len); break;
  default: g_byte_array_append(key, (const guint8 *)&v.u.i, sizeof v.u.i); break;
  }
  GBytes *bytes = g_byte_array_free_to_bytes(key);
  gpointer found = g_hash_table_lookup(g->const_index, bytes);
  if (found) {
    g_bytes_unref(bytes);
    return GPOINTER_TO_UINT(found) - 1;
  }
  PValue copy;
  if (!pvalue_deep_copy(&g->m->const_arena, v, &copy)) out_of_memory(g, "a constant");
  g_array_append_val(g->consts, copy);
  g_hash_table_insert(g->const_index, bytes, GUINT_TO_POINTER(g->consts->len));
  return g->consts->len - 1;
}

static void emit_loadk(PGen *g, uint32_t dst, PValue v) { emit_bx(g, OP_LOADK, (uint16_t)dst, const_add(g, v)); }

/* Keeps the model's tables current, so the VM can run blocks while the
 * model is still being built (const folding). */
static void sync_model(PGen *g) {
  PModel *m = g->m;
  m->consts = (PValue *)g->consts->data;
  m->n_consts = g->consts->len;
  m->blocks = (PBlock *)g->blocks->data;
  m->n_blocks = g->blocks->len;
  m->calls = (PCallSite *)g->calls->data;
  m->n_calls = g->calls->len;
  m->sets = (PConstSet *)g->sets->data;
  m->n_sets = g->sets->len;
}

/* ---- expressions --------------------------------------------------------------- */

static void cg_expr(PGen *g, PExpr *e, uint32_t dst);

static PTypeKind kind_of(const PExpr *e) { return e->type ? e->type->kind : PTY_ERROR; }

/* Compiles e into dst, widened to number when `want_number` and e is int. */
static void cg_expr_num(PGen *g, PExpr *e, uint32_t dst, bool want_number) {
  if (want_number && e->kind == PE_INT) {
    emit_loadk(g, dst, pv_number((double)e->ival));
    return;
  }
  cg_expr(g, e, dst);
  if (want_number && kind_of(e) == PTY_INT) emit(g, OP_I2N, (uint16_t)dst, (uint16_t)dst, 0);
}

/* A condition as a strict bool: only a `bool?` can be null and needs
 * TRUTH (null counts as false). */
static void cg_cond(PGen *g, PExpr *e, uint32_t dst) {
  cg_expr(g, e, dst);
  if (!e->type || e->type->optional || e->type->kind != PTY_BOOL)
    emit(g, OP_TRUTH, (uint16_t)dst, (uint16_t)dst, 0);
}

static uint8_t value_kind(PTypeKind k) {
  switch (k) {
  case PTY_BOOL: return PV_BOOL;
  case PTY_INT: return PV_INT;
  case PTY_NUMBER: return PV_NUMBER;
  case PTY_STRING:
  case PTY_STAGE: return PV_STRING;
  case PTY_TIME: return PV_TIME;
  case PTY_DURATION: return PV_DURATION;
  case PTY_LIST: return PV_LIST;
  case PTY_RECORD: return PV_RECORD;
  default: return PV_NULL;
  }
}

static bool literal_value(const PExpr *e, PValue *out) {
  switch (e->kind) {
  case PE_INT: *out = pv_int(e->ival); return true;
  case PE_NUMBER: *out = pv_number(e->nval); return true;
  case PE_STRING: *out = pv_string(e->sval, e->slen); return true;
  case PE_DURATION: *out = pv_duration(e->ival); return true;
  case PE_BOOL: *out = pv_bool(e->bval); return true;
  case PE_NULL: *out = pv_null(); return true;
  default: return false;
  }
}

/* A list literal of scalar literals, widened to number when its type says
 * so, as one constant. */
static bool const_list_value(PGen *g, PExpr *e, PValue *out) {
  if (e->kind != PE_LIST) return false;
  bool as_number = e->type && e->type->elem && e->type->elem->kind == PTY_NUMBER;
  PValue *items = pa_alloc(&g->m->const_arena, sizeof(PValue) * (e->items->len ? e->items->len : 1));
  if (!items) {
    out_of_memory(g, "a list constant");
    return false;
  }
  for (guint i = 0; i < e->items->len; i++) {
    if (!literal_value(g_ptr_array_index(e->items, i), &items[i])) return false;
    if (as_number && items[i].kind == PV_INT) items[i] = pv_number((double)items[i].u.i);
    /* The tree's strings die with the tree; the model's live on. */
    if (!pvalue_deep_copy(&g->m->const_arena, items[i], &items[i])) {
      out_of_memory(g, "a list constant");
      return false;
    }
  }
  *out = pv_list(items, e->items->len);
  return true;
}

/* The register holding field `field` of the element in R[elem] when the
 * fused pass loaded it once for every query, else -1. */
static int cached_field(const PGen *g, uint32_t elem, int field) {
  return field >= 0 && g->fused_elem == (int)elem ? g->field_cache[field] : -1;
}

/* The register that holds field `field` of the element in R[elem]: the
 * fused pass's cached one, or `scratch` after a GETF. */
static uint32_t elem_field(PGen *g, uint32_t elem, int field, uint32_t scratch) {
  int cached = cached_field(g, elem, field);
  if (cached >= 0) return (uint32_t)cached;
  emit(g, OP_GETF, (uint16_t)scratch, (uint16_t)elem, (uint16_t)field);
  return scratch;
}

static void cg_name(PGen *g, PExpr *e, uint32_t dst) {
  if (e->local >= 0) {
    uint32_t r = (uint32_t)g->local_reg[e->local];
    int cached = cached_field(g, r, e->field_index);
    if (cached >= 0)
      emit(g, OP_MOVE, (uint16_t)dst, (uint16_t)cached, 0);
    else if (e->field_index >= 0)
      emit(g, OP_GETF, (uint16_t)dst, (uint16_t)r, (uint16_t)e->field_index);
    else if (r != dst)
      emit(g, OP_MOVE, (uint16_t)dst, (uint16_t)r, 0);
    return;
  }
  if (e->sym) {
    if (e->sym->kind == PSYM_FIELD)
      emit_bx(g, OP_GETP, (uint16_t)dst, (uint32_t)e->sym->index);
    else
      emit_bx(g, OP_GETG, (uint16_t)dst, (uint32_t)e->sym->index);
    return;
  }
  if (strcmp(e->name, "now") == 0) {
    emit(g, OP_NOW, (uint16_t)dst, 0, 0);
    return;
  }
  /* `assigned` inside an experiment's metric: the assignment time. */
  if (g->assigned_slot >= 0 && strcmp(e->name, "assigned") == 0) {
    emit_bx(g, OP_GETG, (uint16_t)dst, (uint32_t)g->assigned_slot);
    return;
  }
  /* `entered` inside a journey: the journey's entry time. */
  if (g->journey_slot >= 0) emit_bx(g, OP_GETG, (uint16_t)dst, (uint32_t)g->journey_slot);
  else emit(g, OP_NOW, (uint16_t)dst, 0, 0);
}

static void cg_list(PGen *g, PExpr *e, uint32_t dst) {
  PValue v;
  if (const_list_value(g, e, &v)) {
    emit_loadk(g, dst, v);
    return;
  }
  bool as_number = e->type && e->type->elem && e->type->elem->kind == PTY_NUMBER;
  uint32_t mark = g->top;
  uint32_t base = reg_alloc(g, e->items->len);
  for (guint i = 0; i < e->items->len; i++)
    cg_expr_num(g, g_ptr_array_index(e->items, i), base + i, as_number);
  emit(g, OP_MKLIST, (uint16_t)dst, (uint16_t)base, (uint16_t)e->items->len);
  g->top = mark;
}

static void cg_record(PGen *g, PExpr *e, uint32_t dst) {
  uint32_t mark = g->top;
  uint32_t base = reg_alloc(g, e->items->len);
  for (guint i = 0; i < e->items->len; i++)
    cg_expr(g, ((PRecordField *)g_ptr_array_index(e->items, i))->value, base + i);
  emit(g, OP_MKREC, (uint16_t)dst, (uint16_t)base, (uint16_t)e->items->len);
  g->top = mark;
}

static void cg_field(PGen *g, PExpr *e, uint32_t dst) {
  if (e->sym && e->sym->kind == PSYM_FIELD && e->left->kind == PE_NAME && e->left->local < 0 &&
      e->left->sym == NULL) {
    emit_bx(g, OP_GETP, (uint16_t)dst, (uint32_t)e->field_index);
    return;
  }
  cg_expr(g, e->left, dst);
  emit(g, OP_GETF, (uint16_t)dst, (uint16_t)dst, (uint16_t)e->field_index);
}

/* ---- operators ---------------------------------------------------------------------- */

static void cg_logic(PGen *g, PExpr *e, uint32_t dst) {
  cg_cond(g, e->left, dst);
  uint32_t j = emit_jump(g, e->op == POP_AND ? OP_JMPF : OP_JMPT, (uint16_t)dst);
  cg_cond(g, e->right, dst);
  patch_here(g, j);
}

static void cg_coalesce(PGen *g, PExpr *e, uint32_t dst) {
  bool num = kind_of(e) == PTY_NUMBER;
  cg_expr_num(g, e->left, dst, num);
  uint32_t j = emit_jump(g, OP_JMPNN, (uint16_t)dst);
  cg_expr_num(g, e->right, dst, num);
  patch_here(g, j);
}

/* Both operands into registers, widened to number when they mix. */
static void cg_operands(PGen *g, PExpr *e, uint32_t ra, uint32_t rb) {
  PTypeKind ka = kind_of(e->left), kb = kind_of(e->right);
  bool mix = (ka == PTY_INT && kb == PTY_NUMBER) || (ka == PTY_NUMBER && kb == PTY_INT);
  cg_expr_num(g, e->left, ra, mix);
  cg_expr_num(g, e->right, rb, mix);
}

static int32_t const_set_for(PGen *g, PExpr *list) {
  PValue v;
  if (list->kind == PE_LIST) {
    if (!const_list_value(g, list, &v)) return -1;
  } else if (list->kind == PE_NAME && list->sym && list->sym->kind == PSYM_CONST) {
    v = g->m->global_init[list->sym->index];
  } else {
    return -1;
  }
  if (v.kind != PV_LIST) return -1;
  for (uint32_t i = 0; i < v.len; i++) {
    uint8_t k = v.u.items[i].kind;
    if (k != PV_STRING && k != PV_INT && k != PV_NUMBER && k != PV_BOOL && k != PV_TIME && k != PV_DURATION)
      return -1;
  }
  PConstSet set;
  pconstset_init(&set, v.u.items, v.len);
  g_array_append_val(g->sets, set);
  return (int32_t)g->sets->len - 1;
}

static void cg_in(PGen *g, PExpr *e, uint32_t dst) {
  PType *lt = e->right->type;
  bool elem_number = lt && lt->elem && lt->elem->kind == PTY_NUMBER;
  uint32_t mark = g->top;
  uint32_t ra = reg_alloc(g, 1);
  cg_expr_num(g, e->left, ra, elem_number);
  int32_t set = const_set_for(g, e->right);
  if (set >= 0) {
    emit(g, OP_INSET, (uint16_t)dst, (uint16_t)ra, (uint16_t)set);
  } else {
    uint32_t rb = reg_alloc(g, 1);
    cg_expr(g, e->right, rb);
    emit(g, OP_IN, (uint16_t)dst, (uint16_t)ra, (uint16_t)rb);
  }
  g->top = mark;
}

/* `x == "literal"` (either side) for a string or stage x: one instruction
 * against the constant, no LOADK and no generic equality. */
/* `x == "literal"` or `x != "literal"` (either side) where x is a string
 * or a stage: sets *other to x and *kidx to the literal's constant. */
static bool string_literal_compare(PGen *g, const PExpr *e, PExpr **other, uint32_t *kidx) {
  if (e->kind != PE_BINARY || (e->op != POP_EQ && e->op != POP_NE)) return false;
  PExpr *lit = e->right->kind == PE_STRING ? e->right : e->left;
  *other = lit == e->right ? e->left : e->right;
  PTypeKind k = kind_of(*other);
  if (lit->kind != PE_STRING || (k != PTY_STRING && k != PTY_STAGE)) return false;
  *kidx = const_add(g, pv_string(lit->sval, lit->slen));
  return *kidx <= UINT16_MAX;
}

static bool cg_compare_string_const(PGen *g, PExpr *e, uint32_t dst) {
  PExpr *other;
  uint32_t kidx;
  if (!string_literal_compare(g, e, &other, &kidx)) return false;
  uint32_t mark = g->top;
  uint32_t r = reg_alloc(g, 1);
  cg_expr(g, other, r);
  emit(g, e->op == POP_EQ ? OP_EQSK : OP_NESK, (uint16_t)dst, (uint16_t)r, (uint16_t)kidx);
  g->top = mark;
  return true;
}

/* ---- next_change: notes after what moves with now (codegen_motion.h) ---------------------- */

static void motion_of(PGen *g, const PExpr *e, PMotion *out) {
  PMotionCtx ctx = {.in_journey = g->journey_slot >= 0, .in_metric = g->assigned_slot >= 0};
  pmotion_of(&ctx, e, out);
}

/* ---- leave sets: exact instants for counts compared with a constant and
 * for `exists` (runtime/vm_motion.c) ---------------------------------------------- */

/* `AGG(LIST … within D)` with a fixed D over events with `at`. */
static bool moving_window(PGen *g, const PExpr *e, PAgg agg) {
  if (e->kind != PE_CALL || e->agg != (int)agg || !e->query || e->query->window != PWIN_WITHIN) return false;
  PType *lt = e->query->list->type;
  PRecordType *rt = lt && lt->elem && lt->elem->kind == PTY_RECORD ? lt->elem->rec : NULL;
  if (!rt || rt->at_field < 0) return false;
  PMotion m;
  motion_of(g, e->query->window_expr, &m);
  return pmotion_fixed(&m);
}

static int lset_of(PGen *g, const PExpr *agg) {
  gpointer v = g->lsets ? g_hash_table_lookup(g->lsets, agg) : NULL;
  return v ? GPOINTER_TO_INT(v) - 1 : -1;
}

static int lset_new(PGen *g, const PExpr *agg) {
  int id = lset_of(g, agg);
  if (id >= 0 || g->n_lsets > UINT16_MAX) return id;
  if (!g->lsets) g->lsets = g_hash_table_new(NULL, NULL);
  id = (int)g->n_lsets++;
  g_hash_table_insert(g->lsets, (gpointer)agg, GINT_TO_POINTER(id + 1));
  return id;
}

static bool is_comparison(const PExpr *e) {
  return e->kind == PE_BINARY && (e->op == POP_EQ || e->op == POP_NE || e->op == POP_LT || e->op == POP_LE ||
                                  e->op == POP_GT || e->op == POP_GE);
}

/* `count(… within D) OP K` with K fixed: the count's leave instants go to a
 * set, and the comparison notes the one at which it flips (NCK*), not
 * every one. Called before the count is compiled (fused or inline). */
static void nc_mark_compare(PGen *g, const PExpr *e) {
  if (!is_comparison(e)) return;
  for (int side = 0; side < 2; side++) {
    const PExpr *agg = side ? e->right : e->left, *other = side ? e->left : e->right;
    if (!moving_window(g, agg, PAGG_COUNT)) continue;
    PMotion m;
    motion_of(g, other, &m);
    if (pmotion_fixed(&m)) lset_new(g, agg);
  }
}

/* After the comparison `ra OP rb` as emitted (swapped: the operands of
 * e are the other way round): the count's flip instant. */
static void emit_nc_count(PGen *g, const PExpr *e, uint8_t op, bool swapped, uint32_t ra, uint32_t rb) {
  for (int side = 0; side < 2; side++) {
    const PExpr *agg = side ? e->right : e->left;
    int set = moving_window(g, agg, PAGG_COUNT) ? lset_of(g, agg) : -1;
    if (set < 0) continue;
    bool count_is_b = (side == 1) != swapped;
    uint8_t flags = (uint8_t)((agg->query->list->pii ? 1 : 0) | (count_is_b ? 2 : 0));
    emit_x(g, op, flags, (uint16_t)(swapped ? rb : ra), (uint16_t)(swapped ? ra : rb), (uint16_t)set);
    return;
  }
}

/* The constant an NC comparison reads: [rate, slot, coef, …]. */
static uint32_t motion_const(PGen *g, const PMotionAlt *m) {
  PValue *items = pa_alloc(&g->m->const_arena, sizeof(PValue) * (1 + 2 * m->n));
  items[0] = pv_number(m->rate);
  for (uint32_t i = 0; i < m->n; i++) {
    items[1 + 2 * i] = pv_number((double)m->slot[i]);
    items[2 + 2 * i] = pv_number(m->coef[i]);
  }
  return const_add(g, pv_list(items, 1 + 2 * m->n));
}

/* Whether events selected from `q` are pii: a pii list, or a pii `at`. */
static bool query_pii(PQuery *q) {
  if (q->list->pii) return true;
  PType *lt = q->list->type;
  PRecordType *rt = lt && lt->elem && lt->elem->kind == PTY_RECORD ? lt->elem->rec : NULL;
  if (!rt || rt->at_field < 0) return false;
  const PRecordFieldType *at = &g_array_index(rt->fields, PRecordFieldType, rt->at_field);
  return at->decl && at->decl->is_pii;
}

/* Whether a decay score counts pii events (its crossings are pii). */
static bool score_slot_pii(PGen *g, int slot) {
  for (guint i = 0; i < g->c->scores->len; i++) {
    PSym *s = g_ptr_array_index(g->c->scores, i);
    if (s->index != slot || !s->decl || !s->decl->rules) continue;
    for (guint k = 0; k < s->decl->rules->len; k++) {
      PScoreRule *r = g_ptr_array_index(s->decl->rules, k);
      if (r->kind == PRULE_PER && query_pii(r->query)) return true;
    }
  }
  return false;
}

static bool motion_pii(PGen *g, const PMotion *m) {
  for (uint32_t i = 0; !m->other && i < m->n_alt; i++)
    for (uint32_t k = 0; k < m->alt[i].n; k++)
      if (score_slot_pii(g, m->alt[i].slot[k])) return true;
  return false;
}

/* After `a OP b` (op: OP_NCLT, OP_NCLE or OP_NCEQ) when either side moves:
 * one note per way their difference may move. An instant computed from a
 * pii value is rounded at run time (x = 1). */
static void emit_nc_compare(PGen *g, uint8_t op, const PExpr *ea, const PExpr *eb, uint32_t ra, uint32_t rb) {
  PMotion ma, mb, d;
  motion_of(g, ea, &ma);
  motion_of(g, eb, &mb);
  if (pmotion_fixed(&ma) && pmotion_fixed(&mb)) return;
  pmotion_diff(&ma, &mb, &d);
  if (d.other) {
    emit(g, OP_NCNEXT, (uint16_t)ra, 0, 0);
    return;
  }
  uint8_t pii = ea->pii || eb->pii || motion_pii(g, &d) ? 1 : 0;
  /* Alternatives of one `L ?? R` whose L is cheap to read again: note only
   * the one the record took. */
  const PExpr *c = d.coalesce;
  bool guard = c && (c->left->kind == PE_NAME || c->left->kind == PE_FIELD) && !c->left->agg;
  uint32_t skip = UINT32_MAX, done = UINT32_MAX, t = 0;
  if (guard) {
    t = reg_alloc(g, 1);
    cg_expr(g, c->left, t);
    skip = emit_jump(g, OP_JMPNULL, (uint16_t)t);
  }
  for (int pass = 0; pass < (guard ? 2 : 1); pass++) {
    if (pass == 1) {
      done = emit_jump(g, OP_JMP, 0);
      patch_here(g, skip);
    }
    for (uint32_t i = 0; i < d.n_alt; i++) {
      if (pmotion_alt_fixed(&d.alt[i]) || (guard && d.branch[i] != pass)) continue;
      uint32_t k = motion_const(g, &d.alt[i]);
      if (k > UINT16_MAX) emit(g, OP_NCNEXT, (uint16_t)ra, 0, 0);
      else emit_x(g, op, pii, (uint16_t)ra, (uint16_t)rb, (uint16_t)k);
    }
  }
  if (guard) {
    patch_here(g, done);
    g->top--;
  }
}

static bool is_int_like(const PExpr *e) {
  PTypeKind k = kind_of(e);
  return e->type && !e->type->optional && (k == PTY_INT || k == PTY_TIME || k == PTY_DURATION);
}

static void cg_compare(PGen *g, PExpr *e, uint32_t dst) {
  if (cg_compare_string_const(g, e, dst)) return;
  uint32_t mark = g->top;
  uint32_t ra = reg_alloc(g, 1), rb = reg_alloc(g, 1);
  cg_operands(g, e, ra, rb);
  /* Two non-null 64-bit values of one kind: compare the integers. */
  bool ints = is_int_like(e->left) && is_int_like(e->right) && kind_of(e->left) == kind_of(e->right);
  nc_mark_compare(g, e);
  uint8_t lt = ints ? OP_LTI : OP_LT, le = ints ? OP_LEI : OP_LE;
  switch (e->op) {
  case POP_EQ: emit(g, OP_EQ, (uint16_t)dst, (uint16_t)ra, (uint16_t)rb); break;
  case POP_NE: emit(g, OP_NE, (uint16_t)dst, (uint16_t)ra, (uint16_t)rb); break;
  case POP_LT: emit(g, lt, (uint16_t)dst, (uint16_t)ra, (uint16_t)rb); break;
  case POP_LE: emit(g, le, (uint16_t)dst, (uint16_t)ra, (uint16_t)rb); break;
  case POP_GT: emit(g, lt, (uint16_t)dst, (uint16_t)rb, (uint16_t)ra); break;
  case POP_GE: emit(g, le, (uint16_t)dst, (uint16_t)rb, (uint16_t)ra); break;
  default: break;
  }
  switch (e->op) {
  case POP_EQ: case POP_NE: emit_nc_count(g, e, OP_NCKEQ, false, ra, rb); break;
  case POP_LT: emit_nc_count(g, e, OP_NCKLT, false, ra, rb); break;
  case POP_LE: emit_nc_count(g, e, OP_NCKLE, false, ra, rb); break;
  case POP_GT: emit_nc_count(g, e, OP_NCKLT, true, ra, rb); break;
  case POP_GE: emit_nc_count(g, e, OP_NCKLE, true, ra, rb); break;
  default: break;
  }
  switch (e->op) {
  case POP_EQ: case POP_NE: emit_nc_compare(g, OP_NCEQ, e->left, e->right, ra, rb); break;
  case POP_LT: emit_nc_compare(g, OP_NCLT, e->left, e->right, ra, rb); break;
  case POP_LE: emit_nc_compare(g, OP_NCLE, e->left, e->right, ra, rb); break;
  case POP_GT: emit_nc_compare(g, OP_NCLT, e->right, e->left, rb, ra); break;
  case POP_GE: emit_nc_compare(g, OP_NCLE, e->right, e->left, rb, ra); break;
  default: break;
  }
  g->top = mark;
}

/* Both operands widened to number, then one number instruction. */
static void cg_num_op(PGen *g, PExpr *e, uint8_t op, uint32_t dst, uint32_t ra, uint32_t rb) {
  cg_expr_num(g, e->left, ra, true);
  cg_expr_num(g, e->right, rb, true);
  emit(g, op, (uint16_t)dst, (uint16_t)ra, (uint16_t)rb);
}

/* Operands as they are (int, time, duration, string), one instruction
 * whose x byte is the result kind. */
static void cg_raw_op(PGen *g, PExpr *e, uint8_t op, uint8_t x, uint32_t dst, uint32_t ra, uint32_t rb) {
  cg_operands(g, e, ra, rb);
  emit_x(g, op, x, (uint16_t)dst, (uint16_t)ra, (uint16_t)rb);
}

/* duration × number in either order, or duration / number. */
static void cg_duration_op(PGen *g, PExpr *d, PExpr *n, uint8_t op, uint32_t dst, uint32_t ra, uint32_t rb) {
  cg_expr(g, d, ra);
  cg_expr_num(g, n, rb, true);
  emit(g, op, (uint16_t)dst, (uint16_t)ra, (uint16_t)rb);
}

/* Picks the instruction for + - * / % from the operand types (as the
 * checker's arith_result allowed them). */
static void cg_arith(PGen *g, PExpr *e, uint32_t dst) {
  PTypeKind ka = kind_of(e->left), kb = kind_of(e->right), kr = kind_of(e);
  uint32_t mark = g->top;
  uint32_t ra = reg_alloc(g, 1), rb = reg_alloc(g, 1);
  bool ints = ka != PTY_NUMBER && kb != PTY_NUMBER && kr != PTY_NUMBER;
  uint8_t x = value_kind(kr);
  switch (e->op) {
  case POP_ADD:
    if (kr == PTY_STRING) cg_raw_op(g, e, OP_CONCAT, 0, dst, ra, rb);
    else if (ints) cg_raw_op(g, e, OP_ADDI, x, dst, ra, rb);
    else cg_num_op(g, e, OP_ADDN, dst, ra, rb);
    break;
  case POP_SUB:
    if (ints) cg_raw_op(g, e, OP_SUBI, x, dst, ra, rb);
    else cg_num_op(g, e, OP_SUBN, dst, ra, rb);
    break;
  case POP_MUL:
    if (kr == PTY_DURATION && ka == PTY_DURATION) cg_duration_op(g, e->left, e->right, OP_MULDN, dst, ra, rb);
    else if (kr == PTY_DURATION) cg_duration_op(g, e->right, e->left, OP_MULDN, dst, ra, rb);
    else if (kr == PTY_INT) cg_raw_op(g, e, OP_MULI, 0, dst, ra, rb);
    else cg_num_op(g, e, OP_MULN, dst, ra, rb);
    break;
  case POP_DIV:
    if (ka == PTY_DURATION && kb == PTY_DURATION) cg_raw_op(g, e, OP_DIVDD, 0, dst, ra, rb);
    else if (ka == PTY_DURATION) cg_duration_op(g, e->left, e->right, OP_DIVDN, dst, ra, rb);
    else cg_num_op(g, e, OP_DIVN, dst, ra, rb);
    break;
  case POP_MOD:
    if (kr == PTY_INT) cg_raw_op(g, e, OP_MODI, 0, dst, ra, rb);
    else cg_num_op(g, e, OP_MODN, dst, ra, rb);
    break;
  default: break;
  }
  g->top = mark;
}

static void cg_binary(PGen *g, PExpr *e, uint32_t dst) {
  switch (e->op) {
  case POP_AND:
  case POP_OR: cg_logic(g, e, dst); return;
  case POP_COALESCE: cg_coalesce(g, e, dst); return;
  case POP_IN: cg_in(g, e, dst); return;
  case POP_EQ: case POP_NE: case POP_LT: case POP_LE: case POP_GT: case POP_GE:
    cg_compare(g, e, dst);
    return;
  default: cg_arith(g, e, dst); return;
  }
}

static void cg_unary(PGen *g, PExpr *e, uint32_t dst) {
  cg_expr(g, e->left, dst);
  if (e->op == POP_NOT) {
    emit(g, OP_NOT, (uint16_t)dst, (uint16_t)dst, 0);
  } else if (kind_of(e) == PTY_NUMBER) {
    emit(g, OP_NEGN, (uint16_t)dst, (uint16_t)dst, 0);
  } else {
    emit_x(g, OP_NEGI, value_kind(kind_of(e)), (uint16_t)dst, (uint16_t)dst, 0);
  }
}

/* ---- loops: quantifiers, aggregates, `per` ------------------------------------------ */

/* Opens a loop over the list in R[rl]: R[rl+1] index, R[rl+2] element.
 * Returns the pc of FORNEXT (the loop head); the exit jump is patched by
 * loop_close. */
static uint32_t loop_open(PGen *g, uint32_t rl, uint32_t *exit_jump) {
  emit(g, OP_FORPREP, (uint16_t)rl, 0, 0);
  uint32_t head = g->code->len;
  *exit_jump = emit_jump(g, OP_FORNEXT, (uint16_t)rl);
  return head;
}

static void loop_close(PGen *g, uint32_t head, uint32_t exit_jump) {
  emit_jump_back(g, OP_JMP, 0, head);
  patch_here(g, exit_jump);
}

static void cg_quant(PGen *g, PExpr *e, uint32_t dst) {
  uint32_t mark = g->top;
  uint32_t rl = reg_alloc(g, 3), t = reg_alloc(g, 1);
  cg_expr(g, e->left, rl);
  emit(g, OP_LOADBOOL, (uint16_t)dst, e->quant_all ? 1 : 0, 0);
  uint32_t exit_jump;
  uint32_t head = loop_open(g, rl, &exit_jump);
  g->local_reg[e->local] = (int)(rl + 2);
  cg_cond(g, e->right, t);
  /* any: the first true ends the loop; all: the first false does. */
  emit_jump_back(g, e->quant_all ? OP_JMPT : OP_JMPF, (uint16_t)t, head);
  emit(g, OP_LOADBOOL, (uint16_t)dst, e->quant_all ? 0 : 1, 0);
  uint32_t done = emit_jump(g, OP_JMP, 0);
  loop_close(g, head, exit_jump);
  patch_here(g, done);
  g->top = mark;
}

/* The register that already holds `e` when it is an element's field kept
 * in the fused pass's cache or a loop variable, else -1. */
static int expr_in_register(PGen *g, const PExpr *e) {
  if (e->kind != PE_NAME || e->local < 0) return -1;
  int r = g->local_reg[e->local];
  return e->field_index < 0 ? r : cached_field(g, (uint32_t)r, e->field_index);
}

/* A `where` condition as jumps: each conjunct of an `and` chain that is
 * not true leaves the element (a null conjunct, like a null condition,
 * selects nothing), and `s == "literal"` tests and jumps in one JNESK. Not
 * in explain builds, whose traces report the condition's value. */
static void cg_filter(PGen *g, PExpr *e, uint32_t t, uint32_t head) {
  if (!g->trace && e->kind == PE_BINARY && e->op == POP_AND) {
    cg_filter(g, e->left, t, head);
    cg_filter(g, e->right, t, head);
    return;
  }
  PExpr *other;
  uint32_t kidx;
  if (!g->trace && e->op == POP_EQ && string_literal_compare(g, e, &other, &kidx)) {
    int r = expr_in_register(g, other);
    if (r < 0) {
      cg_expr(g, other, t);
      r = (int)t;
    }
    emit(g, OP_JNESK, (uint16_t)r, (uint16_t)kidx, 0);
    emit_skip(g, OP_JMP, 0, head);
    return;
  }
  cg_cond(g, e, t);
  emit_skip(g, OP_JMPF, (uint16_t)t, head);
}

/* The filters of a query inside its loop: the window and `where`. Each
 * failed filter jumps back to the loop head. `lo` holds the window's
 * lower bound (computed before the loop). */
static void cg_query_filters(PGen *g, PQuery *q, PRecordType *rt, uint32_t elem, uint32_t lo,
                             uint32_t head, bool window_checked, int lset, int newest) {
  uint32_t mark = g->top;
  uint32_t t = reg_alloc(g, 1), scratch = reg_alloc(g, 1);
  if (q->window != PWIN_NONE && rt && rt->at_field >= 0 && !window_checked) {
    uint32_t at = elem_field(g, elem, rt->at_field, scratch);
    emit(g, OP_JLTI, (uint16_t)at, (uint16_t)lo, 0); /* both non-null times */
    emit_skip(g, OP_JMP, 0, head);
  }
  if (q->where) cg_filter(g, q->where, t, head);
  /* Selected: it stops being selected when it leaves a moving window. */
  if (q->window != PWIN_NONE && rt && rt->at_field >= 0) {
    PMotion mw;
    motion_of(g, q->window_expr, &mw);
    bool fixed = pmotion_fixed(&mw);
    /* `within D`: lo = now − D moves at 1; `since T`: lo = T, fixed unless T
     * is `now`-like. */
    bool rate1 = q->window == PWIN_WITHIN ? fixed
                                          : !mw.other && mw.n_alt == 1 && mw.alt[0].n == 0 && mw.alt[0].rate == 1;
    uint32_t at = rate1 ? elem_field(g, elem, rt->at_field, scratch) : 0;
    if (rate1 && newest >= 0) emit(g, OP_NCMAXAT, (uint16_t)newest, (uint16_t)at, 0);
    else if (rate1 && lset >= 0) emit_x(g, OP_NCLADD, query_pii(q) ? 1 : 0, (uint16_t)at, (uint16_t)lo, (uint16_t)lset);
    else if (rate1) emit_x(g, OP_NCWIN, query_pii(q) ? 1 : 0, (uint16_t)at, (uint16_t)lo, 0);
    else if (q->window == PWIN_WITHIN || !fixed) emit(g, OP_NCNEXT, (uint16_t)lo, 0, 0);
  }
  g->top = mark;
}

/* Evaluates the window's lower bound into `lo` before the loop. */
static void cg_window_bound(PGen *g, PQuery *q, uint32_t lo) {
  if (q->window == PWIN_WITHIN) {
    uint32_t d = reg_alloc(g, 1);
    emit(g, OP_NOW, (uint16_t)lo, 0, 0);
    cg_expr(g, q->window_expr, d);
    emit_x(g, OP_SUBI, PV_TIME, (uint16_t)lo, (uint16_t)lo, (uint16_t)d);
    g->top--;
  } else if (q->window == PWIN_SINCE) {
    cg_expr(g, q->window_expr, lo);
  }
}

static PRecordType *query_record(PQuery *q) {
  PType *lt = q->list->type;
  return lt && lt->elem && lt->elem->kind == PTY_RECORD ? lt->elem->rec : NULL;
}

static void cg_agg_init(PGen *g, PAgg agg, PTypeKind rk, uint32_t acc, uint32_t aux) {
  switch (agg) {
  case PAGG_COUNT:
  case PAGG_DISTINCT: emit_bx(g, OP_LOADINT, (uint16_t)acc, 0); break;
  case PAGG_EXISTS: emit(g, OP_LOADBOOL, (uint16_t)acc, 0, 0); break;
  case PAGG_SUM:
    if (rk == PTY_NUMBER) emit_loadk(g, acc, pv_number(0));
    else if (rk == PTY_DURATION) emit_loadk(g, acc, pv_duration(0));
    else emit_bx(g, OP_LOADINT, (uint16_t)acc, 0);
    break;
  case PAGG_AVG:
    emit_loadk(g, acc, pv_number(0));
    emit_bx(g, OP_LOADINT, (uint16_t)aux, 0);
    break;
  default:
    emit(g, OP_LOADNULL, (uint16_t)acc, 0, 0);
    emit(g, OP_LOADNULL, (uint16_t)aux, 0, 0);
    break;
  }
}

/* One selected element: fold its value `v` into the accumulator. */
static void cg_agg_step(PGen *g, PExpr *e, PAgg agg, PRecordType *rt, uint32_t elem, uint32_t v,
                        uint32_t acc, uint32_t aux, uint32_t head, uint32_t *exists_exit, int dset) {
  PTypeKind rk = kind_of(e);
  bool has_field = e->query->field != NULL;
  switch (agg) {
  case PAGG_COUNT:
    if (has_field) emit_skip(g, OP_JMPNULL, (uint16_t)v, head);
    emit(g, OP_INCI, (uint16_t)acc, 0, 0);
    break;
  case PAGG_EXISTS:
    emit(g, OP_LOADBOOL, (uint16_t)acc, 1, 0);
    /* Alone, the loop can stop here; in a fused loop, later elements skip
     * this part (JMPT at its start). */
    if (!g->skips && exists_exit) *exists_exit = emit_jump(g, OP_JMP, 0);
    break;
  case PAGG_SUM:
    emit_skip(g, OP_JMPNULL, (uint16_t)v, head);
    if (rk == PTY_NUMBER) {
      emit(g, OP_I2N, (uint16_t)v, (uint16_t)v, 0);
      emit(g, OP_ADDN, (uint16_t)acc, (uint16_t)acc, (uint16_t)v);
    } else {
      emit_x(g, OP_ADDI, value_kind(rk), (uint16_t)acc, (uint16_t)acc, (uint16_t)v);
    }
    break;
  case PAGG_AVG:
    emit_skip(g, OP_JMPNULL, (uint16_t)v, head);
    emit(g, OP_I2N, (uint16_t)v, (uint16_t)v, 0);
    emit(g, OP_ADDN, (uint16_t)acc, (uint16_t)acc, (uint16_t)v);
    emit(g, OP_INCI, (uint16_t)aux, 0, 0);
    break;
  case PAGG_MIN: emit(g, OP_AGGMIN, (uint16_t)acc, (uint16_t)v, 0); break;
  case PAGG_MAX: emit(g, OP_AGGMAX, (uint16_t)acc, (uint16_t)v, 0); break;
  case PAGG_FIRST:
  case PAGG_LAST: {
    /* aux: the best `at` so far; ties keep the first (first) or take the
     * later (last) record in input order. */
    uint32_t at = reg_alloc(g, 1), t = reg_alloc(g, 1);
    emit(g, OP_GETF, (uint16_t)at, (uint16_t)elem, (uint16_t)rt->at_field);
    uint32_t take = emit_jump(g, OP_JMPNULL, (uint16_t)aux);
    emit(g, OP_LT, (uint16_t)t, (uint16_t)at, (uint16_t)aux);
    emit_skip(g, agg == PAGG_FIRST ? OP_JMPF : OP_JMPT, (uint16_t)t, head);
    patch_here(g, take);
    emit(g, OP_MOVE, (uint16_t)aux, (uint16_t)at, 0);
    emit(g, OP_MOVE, (uint16_t)acc, (uint16_t)v, 0);
    g->top -= 2;
    break;
  }
  case PAGG_DISTINCT: emit(g, OP_DSETADD, (uint16_t)dset, (uint16_t)v, 0); break;
  case PAGG_NONE: break;
  }
}

/* One query inside a loop over a list: an aggregate, or the count / decay
 * sum of a `per` rule. Alone it has a loop of its own; fused, it is one
 * part of a loop that several queries over the same list share. */
typedef struct LoopPart {
  PExpr *agg_expr;     /* an aggregate, or NULL for a `per` rule */
  PQuery *q;
  PExpr *decay;        /* `per` with decay: the half-life */
  gconstpointer key;   /* what reads the result: the aggregate, or the rule */
  int lset;            /* its leave set (NCLADD), or -1 */
  int newest;          /* an `exists` over a moving window: the register of the newest
                          selected event's `at` (NCMAXAT), or -1 */
  uint32_t lo, acc, aux, v, h;
  int dset;
  uint32_t slot;       /* fused: the global slot of the result */
} LoopPart;

static bool part_decays(const LoopPart *p) {
  PRecordType *rt = query_record(p->q);
  return p->decay && rt && rt->at_field >= 0;
}

/* The length of a part's `within D` window when D is a literal and the
 * element has its `at` (the part's own test can then be replaced by a
 * guard), else -1. */
static int64_t fixed_window(LoopPart *p) {
  PRecordType *rt = query_record(p->q);
  if (p->q->window != PWIN_WITHIN || !rt || rt->at_field < 0) return -1;
  const PExpr *d = p->q->window_expr;
  return d && d->kind == PE_DURATION && d->ival >= 0 ? d->ival : -1;
}

/* Before the loop: registers, the window's bound, the accumulators. */
static void part_setup(PGen *g, LoopPart *p) {
  p->lo = reg_alloc(g, 1);
  p->acc = reg_alloc(g, 1);
  p->aux = reg_alloc(g, 1);
  p->v = reg_alloc(g, 1);
  p->h = reg_alloc(g, 1);
  p->dset = -1;
  p->lset = p->newest = -1;
  if (p->agg_expr && moving_window(g, p->agg_expr, PAGG_EXISTS)) {
    p->newest = (int)reg_alloc(g, 1);
    emit(g, OP_LOADNULL, (uint16_t)p->newest, 0, 0);
  } else if (p->agg_expr && moving_window(g, p->agg_expr, PAGG_COUNT)) {
    p->lset = lset_of(g, p->agg_expr);
  }
  if (p->lset >= 0) emit(g, OP_NCLCLR, (uint16_t)p->lset, 0, 0);
  cg_window_bound(g, p->q, p->lo);
  if (!p->agg_expr) {
    if (part_decays(p)) {
      emit_loadk(g, p->acc, pv_number(0));
      cg_expr(g, p->decay, p->h);
    } else {
      emit_bx(g, OP_LOADINT, (uint16_t)p->acc, 0);
    }
    return;
  }
  PAgg agg = (PAgg)p->agg_expr->agg;
  if (agg == PAGG_DISTINCT) {
    p->dset = (int)g->m->n_dsets++;
    emit(g, OP_DSETCLR, (uint16_t)p->dset, 0, 0);
  }
  cg_agg_init(g, agg, kind_of(p->agg_expr), p->acc, p->aux);
}

/* Inside the loop, for the element in `elem`: filters, then the fold. */
static void part_body(PGen *g, LoopPart *p, uint32_t elem, uint32_t head, uint32_t *exists_exit) {
  PQuery *q = p->q;
  PRecordType *rt = query_record(q);
  g->local_reg[q->elem_local] = (int)elem;
  /* An `exists` whose window moves sees every event: its next change is
   * when the newest one it selects leaves. */
  if (p->newest >= 0) exists_exit = NULL;
  if (p->agg_expr && p->agg_expr->agg == PAGG_EXISTS && g->skips && p->newest < 0)
    emit_skip(g, OP_JMPT, (uint16_t)p->acc, head); /* found already */
  /* In a fused pass a guard before the part has tested a fixed window. */
  cg_query_filters(g, q, rt, elem, p->lo, head, g->skips && fixed_window(p) >= 0, p->lset, p->newest);
  if (!p->agg_expr) {
    emit_trace(g, elem, PTRACE_EVENT, rt ? (uint32_t)rt->index : 0);
    if (g->trace) g_array_index(g->traces, PTracePoint, g->traces->len - 1).pii = q->list->pii;
    if (part_decays(p)) {
      uint32_t at = elem_field(g, elem, rt->at_field, p->v);
      emit(g, OP_DECAY, (uint16_t)p->v, (uint16_t)at, (uint16_t)p->h);
      emit_trace(g, p->v, PTRACE_FACTOR, 0);
      emit(g, OP_ADDN, (uint16_t)p->acc, (uint16_t)p->acc, (uint16_t)p->v);
    } else {
      emit(g, OP_INCI, (uint16_t)p->acc, 0, 0);
    }
    return;
  }
  PExpr *e = p->agg_expr;
  if (q->field)
    emit(g, OP_GETF, (uint16_t)p->v, (uint16_t)elem, (uint16_t)e->field_index);
  else if (e->agg != PAGG_COUNT && e->agg != PAGG_EXISTS) /* those two never read it */
    emit(g, OP_MOVE, (uint16_t)p->v, (uint16_t)elem, 0);
  cg_agg_step(g, e, (PAgg)e->agg, rt, elem, p->v, p->acc, p->aux, head, exists_exit, p->dset);
}

/* After the loop: the result in p->acc (a number for `per`). */
static void part_finish(PGen *g, LoopPart *p) {
  if (p->newest >= 0)
    emit_x(g, OP_NCWIN, query_pii(p->q) ? 1 : 0, (uint16_t)p->newest, (uint16_t)p->lo, 0);
  if (!p->agg_expr) {
    if (!part_decays(p)) emit(g, OP_I2N, (uint16_t)p->acc, (uint16_t)p->acc, 0);
    return;
  }
  PAgg agg = (PAgg)p->agg_expr->agg;
  if (agg == PAGG_AVG) {
    /* avg of nothing is null */
    emit(g, OP_MOVE, (uint16_t)p->v, (uint16_t)p->acc, 0);
    emit(g, OP_LOADNULL, (uint16_t)p->acc, 0, 0);
    emit_bx(g, OP_LOADINT, (uint16_t)p->lo, 0);
    emit(g, OP_EQ, (uint16_t)p->lo, (uint16_t)p->aux, (uint16_t)p->lo);
    uint32_t skip = emit_jump(g, OP_JMPT, (uint16_t)p->lo);
    emit(g, OP_I2N, (uint16_t)p->aux, (uint16_t)p->aux, 0);
    emit(g, OP_DIVN, (uint16_t)p->acc, (uint16_t)p->v, (uint16_t)p->aux);
    patch_here(g, skip);
  } else if (agg == PAGG_DISTINCT) {
    emit(g, OP_DSETCNT, (uint16_t)p->acc, (uint16_t)p->dset, 0);
  }
}

/* A query with a loop of its own; the result goes to `dst`. A query that
 * was fused into the profile's pass is read from its slot. */
static void cg_loop_query(PGen *g, LoopPart *p, gconstpointer key, uint32_t dst) {
  gpointer slot = g->hoisted ? g_hash_table_lookup(g->hoisted, key) : NULL;
  if (slot) {
    emit_bx(g, OP_GETG, (uint16_t)dst, GPOINTER_TO_UINT(slot) - 1);
    return;
  }
  uint32_t mark = g->top;
  uint32_t rl = reg_alloc(g, 3);
  cg_expr(g, p->q->list, rl);
  part_setup(g, p);
  uint32_t exit_jump, exists_exit = UINT32_MAX;
  uint32_t head = loop_open(g, rl, &exit_jump);
  part_body(g, p, rl + 2, head, &exists_exit);
  loop_close(g, head, exit_jump);
  if (exists_exit != UINT32_MAX) patch_here(g, exists_exit);
  part_finish(g, p);
  if (p->acc != dst) emit(g, OP_MOVE, (uint16_t)dst, (uint16_t)p->acc, 0);
  g->top = mark;
}

static void cg_aggregate(PGen *g, PExpr *e, uint32_t dst) {
  LoopPart p = {.agg_expr = e, .q = e->query};
  cg_loop_query(g, &p, e, dst);
}

/* The x byte of CALL: bit k says argument k is computed from a
 * pii field (bit 7: argument 7 or a later one), so that a failing call's
 * message never quotes it. Read only when the call fails. */
static uint8_t call_pii_bits(const PExpr *e) {
  uint8_t bits = 0;
  for (guint i = 0; i < e->items->len; i++)
    if (((const PExpr *)g_ptr_array_index(e->items, i))->pii) bits |= (uint8_t)(1u << (i < 7 ? i : 7));
  return bits;
}

/* A host function: arguments in consecutive registers, widened to number
 * where the signature says number, then one CALLN. */
static void cg_native_call(PGen *g, PExpr *e, uint32_t dst) {
  const PNative *n = g_ptr_array_index(g->c->natives, e->native);
  uint32_t mark = g->top;
  uint32_t count = e->items->len;
  uint32_t base = reg_alloc(g, count ? count : 1);
  for (uint32_t i = 0; i < count; i++)
    cg_expr_num(g, g_ptr_array_index(e->items, i), base + i, n->params[i] == PNT_NUMBER);
  emit_bx(g, OP_CALLN, (uint16_t)base, (uint32_t)e->native);
  if (base != dst) emit(g, OP_MOVE, (uint16_t)dst, (uint16_t)base, 0);
  g->top = mark;
}

/* Before a step function's CALL (floor, hour, …; its argument in R[base]):
 * of a value moving linearly, NCSTEP notes the instant of its next step
 * (the result's motion is then fixed: codegen_motion.c); of one moving in
 * another way (`x ?? now`, a rate other than 1 for a time), the next µs.
 * Of a decaying value it is continuous like the value (only comparisons
 * count). */
static void emit_nc_step(PGen *g, const PExpr *e, uint32_t base) {
  PMotionCtx ctx = {.in_journey = g->journey_slot >= 0, .in_metric = g->assigned_slot >= 0};
  PStepMotion st;
  if (pmotion_step(&ctx, e, &st)) {
    PValue *items = pa_alloc(&g->m->const_arena, sizeof(PValue) * 3);
    items[0] = pv_number(st.rate);
    items[1] = pv_number((double)st.shape);
    items[2] = pv_number(st.grid);
    uint32_t k = const_add(g, pv_list(items, 3));
    const PExpr *arg = g_ptr_array_index(e->items, 0);
    if (k <= UINT16_MAX) {
      emit_x(g, OP_NCSTEP, arg->pii ? 1 : 0, (uint16_t)base, (uint16_t)k, 0);
      return;
    }
  }
  bool linear_arg = false;
  for (uint32_t i = 0; i < e->items->len; i++) {
    PMotion ma;
    motion_of(g, g_ptr_array_index(e->items, i), &ma);
    for (uint32_t k = 0; !ma.other && k < ma.n_alt; k++)
      if (ma.alt[k].n == 0 && ma.alt[k].rate != 0) linear_arg = true;
  }
  if (linear_arg) emit(g, OP_NCNEXT, (uint16_t)base, 0, 0);
}

static void cg_call(PGen *g, PExpr *e, uint32_t dst) {
  if (e->agg) {
    cg_aggregate(g, e, dst);
    return;
  }
  if (strcmp(e->name, "now") == 0 && e->builtin < 0) {
    emit(g, OP_NOW, (uint16_t)dst, 0, 0);
    return;
  }
  if (strcmp(e->name, "tags") == 0 && e->builtin < 0) {
    emit(g, OP_TAGS, (uint16_t)dst, 0, 0);
    return;
  }
  if (strcmp(e->name, "entered") == 0 && e->builtin < 0) {
    emit_bx(g, OP_GETG, (uint16_t)dst, (uint32_t)e->sym->slot_entered);
    return;
  }
  if (e->sym && e->sym->kind == PSYM_EXPERIMENT && e->builtin < 0 && e->native < 0) {
    emit_bx(g, OP_GETG, (uint16_t)dst, (uint32_t)e->sym->index); /* arm(EXP) */
    return;
  }
  if (e->native >= 0) {
    cg_native_call(g, e, dst);
    return;
  }
  const PBuiltin *b = &pbuiltins[e->builtin];
  uint32_t mark = g->top;
  uint32_t n = e->items->len;
  uint32_t base = reg_alloc(g, n ? n : 1);
  for (uint32_t i = 0; i < n; i++) {
    PBuiltinType pt = b->params[i < b->nparams ? i : (uint32_t)b->nparams - 1];
    cg_expr_num(g, g_ptr_array_index(e->items, i), base + i, pt == PBT_NUMBER);
  }
  PCallSite site = {.builtin = (uint32_t)e->builtin, .nargs = n};
  if (b->flags & PB_REGEX_ARG1) {
    PExpr *pat = g_ptr_array_index(e->items, 1);
    char *err = NULL;
    site.aux = pbuiltin_regex_compile(pat->sval, pat->slen, &err);
    g_free(err);
  }
  g_array_append_val(g->calls, site);
  if (pbuiltin_motion_step(b->motion)) emit_nc_step(g, e, base);
  uint32_t pc = emit_bx(g, OP_CALL, (uint16_t)base, g->calls->len - 1);
  g_array_index(g->code, PInsn, pc).x = call_pii_bits(e);
  if (base != dst) emit(g, OP_MOVE, (uint16_t)dst, (uint16_t)base, 0);
  g->top = mark;
}

static void cg_expr(PGen *g, PExpr *e, uint32_t dst) {
  PLoc saved = g->loc;
  g->loc = e->loc;
  PValue v;
  switch (e->kind) {
  case PE_INT:
    if (e->ival >= INT32_MIN && e->ival <= INT32_MAX)
      emit_bx(g, OP_LOADINT, (uint16_t)dst, (uint32_t)(int32_t)e->ival);
    else
      emit_loadk(g, dst, pv_int(e->ival));
    break;
  case PE_BOOL: emit(g, OP_LOADBOOL, (uint16_t)dst, e->bval ? 1 : 0, 0); break;
  case PE_NULL: emit(g, OP_LOADNULL, (uint16_t)dst, 0, 0); break;
  case PE_NUMBER:
  case PE_STRING:
  case PE_DURATION:
    literal_value(e, &v);
    emit_loadk(g, dst, v);
    break;
  case PE_LIST: cg_list(g, e, dst); break;
  case PE_RECORD: cg_record(g, e, dst); break;
  case PE_NAME: cg_name(g, e, dst); break;
  case PE_FIELD: cg_field(g, e, dst); break;
  case PE_CALL: cg_call(g, e, dst); break;
  case PE_UNARY: cg_unary(g, e, dst); break;
  case PE_BINARY: cg_binary(g, e, dst); break;
  case PE_QUANT: cg_quant(g, e, dst); break;
  }
  g->loc = saved;
}

/* ---- blocks ------------------------------------------------------------------------- */

static void block_begin(PGen *g, const PLoc *loc) {
  g->code = g_array_new(FALSE, TRUE, sizeof(PInsn));
  g->locs = g_array_new(FALSE, TRUE, sizeof(PInsnLoc));
  g->top = 1; /* R[0] holds the result */
  g->max_regs = 1;
  g->loc = *loc;
}

static uint32_t block_end(PGen *g, char *name) {
  emit(g, OP_RET, 0, 0, 0);
  PBlock b = {.name = name};
  b.n_code = g->code->len;
  b.code = (PInsn *)g_array_free(g->code, FALSE);
  b.locs = (PInsnLoc *)g_array_free(g->locs, FALSE);
  b.n_regs = g->max_regs;
  if (b.n_regs > g->m->max_regs) g->m->max_regs = b.n_regs;
  g_array_append_val(g->blocks, b);
  sync_model(g);
  return g->blocks->len - 1;
}

/* ---- fused passes over a profile list ----------------------------------------------- */

/* A query can join the profile's fused pass when everything it reads is
 * known before any unit runs: its element's fields, the profile's fields,
 * consts, literals and `now`. */
static bool hoist_safe(const PExpr *e, int elem_local) {
  if (!e) return true;
  switch (e->kind) {
  case PE_INT: case PE_NUMBER: case PE_STRING: case PE_DURATION: case PE_BOOL: case PE_NULL: return true;
  case PE_NAME:
    if (e->local >= 0) return e->local == elem_local;
    if (e->sym) return e->sym->kind == PSYM_FIELD || e->sym->kind == PSYM_CONST;
    return strcmp(e->name, "now") == 0;
  case PE_FIELD:
    if (e->sym && e->sym->kind == PSYM_FIELD && e->left->kind == PE_NAME && e->left->local < 0) return true;
    return hoist_safe(e->left, elem_local);
  case PE_CALL:
    if (e->agg || (e->builtin < 0 && strcmp(e->name, "now") != 0)) return false;
    for (guint i = 0; i < e->items->len; i++)
      if (!hoist_safe(g_ptr_array_index(e->items, i), elem_local)) return false;
    return true;
  case PE_UNARY: return hoist_safe(e->left, elem_local);
  case PE_BINARY: return hoist_safe(e->left, elem_local) && hoist_safe(e->right, elem_local);
  case PE_LIST:
    for (guint i = 0; i < e->items->len; i++)
      if (!hoist_safe(g_ptr_array_index(e->items, i), elem_local)) return false;
    return true;
  case PE_RECORD:
    for (guint i = 0; i < e->items->len; i++)
      if (!hoist_safe(((PRecordField *)g_ptr_array_index(e->items, i))->value, elem_local)) return false;
    return true;
  case PE_QUANT: return false;
  }
  return false;
}

/* The profile list field a query walks, or -1 when it cannot be fused. */
static int fusable_list(const PQuery *q) {
  const PExpr *l = q->list;
  if (l->kind != PE_NAME || l->local >= 0 || !l->sym || l->sym->kind != PSYM_FIELD) return -1;
  if (!hoist_safe(q->where, q->elem_local) || !hoist_safe(q->window_expr, -1)) return -1;
  return l->sym->index;
}

/* The queries that share one pass over one profile list. */
typedef struct FuseGroup {
  GPtrArray *parts;      /* LoopPart*, owned */
  uint32_t result_slot;  /* where the fused block's unit puts its (unused) value */
} FuseGroup;

static void fuse_group_free(gpointer p) {
  FuseGroup *fg = p;
  g_ptr_array_unref(fg->parts);
  g_free(fg);
}

static gint compare_keys(gconstpointer a, gconstpointer b) {
  return GPOINTER_TO_INT(a) - GPOINTER_TO_INT(b);
}

typedef struct Fuser {
  PGen *g;
  GHashTable *by_field;  /* field index + 1 -> GPtrArray of LoopPart* */
  bool total_only;       /* take only queries without `where` (they cannot fail) */
} Fuser;

static void fuse_add(Fuser *f, LoopPart *p, int field) {
  gpointer k = GINT_TO_POINTER(field + 1);
  GPtrArray *list = g_hash_table_lookup(f->by_field, k);
  if (!list) {
    list = g_ptr_array_new_with_free_func(g_free);
    g_hash_table_insert(f->by_field, k, list);
  }
  g_ptr_array_add(list, p);
}

static void fuse_walk(Fuser *f, PExpr *e) {
  if (!e) return;
  nc_mark_compare(f->g, e);
  if (e->kind == PE_CALL && e->agg && e->query) {
    int field = fusable_list(e->query);
    if (field >= 0 && (!f->total_only || !e->query->where)) {
      LoopPart *p = g_new0(LoopPart, 1);
      p->agg_expr = e;
      p->q = e->query;
      p->key = e;
      fuse_add(f, p, field);
      return;
    }
  }
  fuse_walk(f, e->left);
  fuse_walk(f, e->right);
  if (e->items && e->kind != PE_RECORD)
    for (guint i = 0; i < e->items->len; i++) fuse_walk(f, g_ptr_array_index(e->items, i));
  if (e->kind == PE_RECORD)
    for (guint i = 0; i < e->items->len; i++) fuse_walk(f, ((PRecordField *)g_ptr_array_index(e->items, i))->value);
  if (e->query) {
    fuse_walk(f, e->query->list);
    fuse_walk(f, e->query->where);
    fuse_walk(f, e->query->window_expr);
  }
}

static void fuse_walk_score(Fuser *f, PDecl *d) {
  if (d->expr) fuse_walk(f, d->expr);
  for (guint i = 0; d->rules && i < d->rules->len; i++) {
    PScoreRule *r = g_ptr_array_index(d->rules, i);
    fuse_walk(f, r->weight);
    fuse_walk(f, r->cond);
    if (r->kind != PRULE_PER) continue;
    int field = fusable_list(r->query);
    if (field < 0 || (d->decay && !hoist_safe(d->decay, -1))) continue;
    LoopPart *p = g_new0(LoopPart, 1);
    p->q = r->query;
    p->decay = d->decay;
    p->key = r; /* cg_per looks the rule up */
    fuse_add(f, p, field);
  }
}

/* An `any -> S` transition is tried in nearly every evaluation (in every
 * stage but S), so its queries are worth computing in the shared pass —
 * those without `where` only: computing a query that is never needed must
 * not be able to fail the record. */
static void fuse_walk_any_transitions(Fuser *f, PDecl *d) {
  f->total_only = true;
  for (guint i = 0; d->transitions && i < d->transitions->len; i++) {
    PTransition *t = g_ptr_array_index(d->transitions, i);
    if (!t->from) fuse_walk(f, t->cond);
  }
  f->total_only = false;
}

/* Finds the queries that can share one pass per profile list (only lists
 * walked by two or more of them are worth it) and gives each a global slot.
 * Returns the groups (GPtrArray of GPtrArray of LoopPart*) and grows
 * *n_globals. Only the units that run are looked at. */
static GPtrArray *fuse_plan(PGen *g, int *n_globals) {
  PCheck *c = g->c;
  Fuser f = {.g = g, .by_field = g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify)g_ptr_array_unref)};
  g->hoisted = g_hash_table_new(NULL, NULL);
  for (guint i = 0; i < c->units->len; i++) {
    PSym *s = g_ptr_array_index(c->units, i);
    PDecl *d = s->decl;
    /* Only what every evaluation computes anyway: a query in a transition
     * or a journey step runs only when that is reached, and fusing it would
     * make every profile pay for it. */
    if (s->kind == PSYM_SCORE) fuse_walk_score(&f, d);
    else if (s->kind == PSYM_TAG || s->kind == PSYM_LET) fuse_walk(&f, d->expr);
    else if (s->kind == PSYM_LIFECYCLE) fuse_walk_any_transitions(&f, d);
  }
  GPtrArray *groups = g_ptr_array_new_with_free_func(fuse_group_free);
  GList *keys = g_list_sort(g_hash_table_get_keys(f.by_field), compare_keys);
  for (GList *k = keys; k; k = k->next) {
    GPtrArray *parts = g_hash_table_lookup(f.by_field, k->data);
    if (parts->len < 2) continue; /* one walk: nothing to share */
    FuseGroup *fg = g_new0(FuseGroup, 1);
    fg->parts = g_ptr_array_ref(parts);
    for (guint i = 0; i < parts->len; i++) {
      LoopPart *p = g_ptr_array_index(parts, i);
      p->slot = (uint32_t)(*n_globals)++;
      g_hash_table_insert(g->hoisted, (gpointer)p->key, GUINT_TO_POINTER(p->slot + 1));
    }
    fg->result_slot = (uint32_t)(*n_globals)++;
    g_ptr_array_add(groups, fg);
  }
  g_list_free(keys);
  g_hash_table_unref(f.by_field);
  return groups;
}

static bool expr_reads_field(const PExpr *e, int elem_local, uint32_t field) {
  if (!e) return false;
  if (e->kind == PE_NAME && e->local == elem_local && e->field_index == (int)field) return true;
  if (expr_reads_field(e->left, elem_local, field) || expr_reads_field(e->right, elem_local, field)) return true;
  if (e->items && e->kind != PE_RECORD)
    for (guint i = 0; i < e->items->len; i++)
      if (expr_reads_field(g_ptr_array_index(e->items, i), elem_local, field)) return true;
  return false;
}

/* Does any part read field `k` of the element (in `where`, as its FIELD,
 * or as `at` for a window or decay)? */
static bool fused_reads_field(GPtrArray *parts, PRecordType *rt, uint32_t k) {
  for (guint i = 0; i < parts->len; i++) {
    LoopPart *p = g_ptr_array_index(parts, i);
    PQuery *q = p->q;
    if ((int)k == rt->at_field && (q->window != PWIN_NONE || part_decays(p))) return true;
    if (p->agg_expr && q->field && p->agg_expr->field_index == (int)k) return true;
    if (expr_reads_field(q->where, q->elem_local, k)) return true;
  }
  return false;
}

static gint compare_windows(gconstpointer a, gconstpointer b) {
  int64_t wa = fixed_window(*(LoopPart *const *)a), wb = fixed_window(*(LoopPart *const *)b);
  return wa > wb ? -1 : wa < wb; /* longest first */
}

/* The order of the parts in the loop body: those without a fixed window
 * as written, then the others, longest window first. Before each new
 * window length one guard sends an older element straight to the next
 * one: most events are older than every window, and then pay one test
 * instead of one per part. The parts are independent, so their order
 * changes no result. */
static GPtrArray *fused_order(GPtrArray *parts) {
  GPtrArray *order = g_ptr_array_new(), *windowed = g_ptr_array_new();
  for (guint i = 0; i < parts->len; i++) {
    LoopPart *p = g_ptr_array_index(parts, i);
    g_ptr_array_add(fixed_window(p) >= 0 ? windowed : order, p);
  }
  g_ptr_array_sort(windowed, compare_windows); /* stable: ties keep their order */
  for (guint i = 0; i < windowed->len; i++) g_ptr_array_add(order, g_ptr_array_index(windowed, i));
  g_ptr_array_unref(windowed);
  return order;
}

/* Loads every field the parts read into g->field_cache: with one UNPACK
 * when they lie close together (the fields between them come along),
 * else one GETF each. */
static void cg_load_fields(PGen *g, GPtrArray *parts, PRecordType *rt, uint32_t elem) {
  uint32_t n_fields = rt ? rt->fields->len : 0, n_read = 0, lo = UINT32_MAX, hi = 0;
  for (uint32_t k = 0; k < n_fields; k++) {
    if (!fused_reads_field(parts, rt, k)) continue;
    n_read++;
    if (k < lo) lo = k;
    hi = k;
  }
  if (n_read >= 2 && hi - lo + 1 <= n_read + 4 && hi - lo + 1 <= 255) {
    uint32_t base = reg_alloc(g, hi - lo + 1);
    for (uint32_t k = lo; k <= hi; k++)
      if (fused_reads_field(parts, rt, k)) g->field_cache[k] = (int)(base + k - lo);
    emit_x(g, OP_UNPACK, (uint8_t)(hi - lo + 1), (uint16_t)base, (uint16_t)elem, (uint16_t)lo);
    return;
  }
  for (uint32_t k = 0; k < n_fields; k++) {
    if (!fused_reads_field(parts, rt, k)) continue;
    g->field_cache[k] = (int)reg_alloc(g, 1);
    emit(g, OP_GETF, (uint16_t)g->field_cache[k], (uint16_t)elem, (uint16_t)k);
  }
}

/* One block per list: every query's setup, one loop with each query's
 * part in turn (a failed filter skips to the next part), each result to
 * its slot. */
static void cg_fused_block(PGen *g, GPtrArray *parts) {
  LoopPart *first = g_ptr_array_index(parts, 0);
  block_begin(g, &first->q->loc);
  uint32_t rl = reg_alloc(g, 3);
  cg_expr(g, first->q->list, rl);
  for (guint i = 0; i < parts->len; i++) part_setup(g, g_ptr_array_index(parts, i));
  uint32_t exit_jump;
  uint32_t head = loop_open(g, rl, &exit_jump);
  /* Every field the parts read, loaded once per element. */
  PRecordType *rt = query_record(first->q);
  uint32_t n_fields = rt ? rt->fields->len : 0;
  g->field_cache = g_new(int, n_fields + 1);
  for (uint32_t k = 0; k <= n_fields; k++) g->field_cache[k] = -1;
  cg_load_fields(g, parts, rt, rl + 2);
  g->fused_elem = (int)(rl + 2);
  GPtrArray *order = fused_order(parts);
  int64_t guarded = -1; /* the window the last guard tested */
  for (guint i = 0; i < order->len; i++) {
    LoopPart *p = g_ptr_array_index(order, i);
    g->loc = p->q->loc;
    int64_t w = fixed_window(p);
    if (w >= 0 && w != guarded) {
      /* Older than this window: older than every window after it too.
       * `at` is in the cache: fused_reads_field() counts it for a window. */
      uint32_t at = (uint32_t)g->field_cache[rt->at_field];
      emit(g, OP_JLTI, (uint16_t)at, (uint16_t)p->lo, 0);
      emit_jump_back(g, OP_JMP, 0, head);
      guarded = w;
    }
    GArray *skips = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    g->skips = skips;
    part_body(g, p, rl + 2, head, NULL);
    g->skips = NULL;
    for (guint k = 0; k < skips->len; k++) patch_here(g, g_array_index(skips, uint32_t, k));
    g_array_unref(skips);
  }
  g_ptr_array_unref(order);
  g->fused_elem = -1;
  g_free(g->field_cache);
  g->field_cache = NULL;
  loop_close(g, head, exit_jump);
  for (guint i = 0; i < parts->len; i++) {
    LoopPart *p = g_ptr_array_index(parts, i);
    part_finish(g, p);
    emit_bx(g, OP_SETG, (uint16_t)p->acc, p->slot);
  }
  emit(g, OP_LOADBOOL, 0, 1, 0);
  block_end(g, g_strdup_printf("fused pass over profile.%s", first->q->list->name));
}

/* ---- scores ---------------------------------------------------------------------- */

/* Clamps R[r] to at most R[hi] / at least R[lo] with constant bounds. */
static void cg_clamp(PGen *g, uint32_t r, PExpr *max, PExpr *min) {
  uint32_t t = reg_alloc(g, 1);
  if (max) {
    cg_expr_num(g, max, t, true);
    emit(g, OP_MINV, (uint16_t)r, (uint16_t)r, (uint16_t)t);
  }
  if (min) {
    cg_expr_num(g, min, t, true);
    emit(g, OP_MAXV, (uint16_t)r, (uint16_t)r, (uint16_t)t);
  }
  g->top--;
}

/* `per`: W × count, or W × Σ 0.5^((now − at)/H) with decay. */
static void cg_per(PGen *g, PDecl *score, PScoreRule *r, uint32_t contrib) {
  uint32_t mark = g->top;
  uint32_t acc = reg_alloc(g, 1);
  LoopPart p = {.q = r->query, .decay = score->decay};
  cg_loop_query(g, &p, r, acc);
  cg_expr_num(g, r->weight, contrib, true);
  emit(g, OP_MULN, (uint16_t)contrib, (uint16_t)contrib, (uint16_t)acc);
  g->top = mark;
}

/* The global slot of the decay score being compiled, else -1 (its `per`
 * rules report their decaying contributions: NCDRULE). */
static int decay_slot(PGen *g, PDecl *score) {
  return score->decay && !score->expr ? g->score_slot : -1;
}

static void cg_rule(PGen *g, PDecl *score, PScoreRule *r, uint32_t sum) {
  g->loc = r->loc;
  uint32_t mark = g->top;
  uint32_t c = reg_alloc(g, 1);
  int dslot = r->kind == PRULE_PER ? decay_slot(g, score) : -1;
  uint32_t raw = dslot >= 0 ? reg_alloc(g, 1) : 0;
  uint32_t skip = UINT32_MAX;
  if (r->kind == PRULE_WHEN) {
    cg_cond(g, r->cond, c);
    skip = emit_jump(g, OP_JMPF, (uint16_t)c);
    cg_expr_num(g, r->weight, c, true);
  } else {
    cg_per(g, score, r, c);
  }
  if (r->negative) emit(g, OP_NEGN, (uint16_t)c, (uint16_t)c, 0);
  emit_trace(g, c, PTRACE_RULE_RAW, 0);
  if (dslot >= 0) emit(g, OP_MOVE, (uint16_t)raw, (uint16_t)c, 0);
  if (r->cap) {
    uint32_t t = reg_alloc(g, 1);
    cg_expr_num(g, r->cap, t, true);
    if (r->negative) {
      emit(g, OP_NEGN, (uint16_t)t, (uint16_t)t, 0);
      emit(g, OP_MAXV, (uint16_t)c, (uint16_t)c, (uint16_t)t);
    } else {
      emit(g, OP_MINV, (uint16_t)c, (uint16_t)c, (uint16_t)t);
    }
  }
  emit_trace(g, c, PTRACE_RULE, 0);
  if (dslot >= 0) emit(g, OP_NCDRULE, (uint16_t)c, (uint16_t)raw, (uint16_t)dslot);
  emit(g, OP_ADDN, (uint16_t)sum, (uint16_t)sum, (uint16_t)c);
  if (skip != UINT32_MAX) patch_here(g, skip);
  g->top = mark;
}

static uint32_t cg_score_block(PGen *g, PSym *s) {
  PDecl *d = s->decl;
  block_begin(g, &d->loc);
  g->score_slot = s->index;
  int dslot = decay_slot(g, d);
  if (d->expr) {
    cg_expr_num(g, d->expr, 0, true);
  } else {
    if (dslot >= 0) {
      uint32_t h = reg_alloc(g, 1);
      cg_expr(g, d->decay, h);
      emit(g, OP_NCDHALF, (uint16_t)h, (uint16_t)dslot, 0);
      g->top--;
    }
    emit_loadk(g, 0, pv_number(0));
    for (guint i = 0; d->rules && i < d->rules->len; i++) {
      g->rule_index = i;
      cg_rule(g, d, g_ptr_array_index(d->rules, i), 0);
    }
  }
  g->loc = d->loc;
  if (dslot >= 0 && (d->max || d->min)) {
    uint32_t before = reg_alloc(g, 1);
    emit(g, OP_MOVE, (uint16_t)before, 0, 0);
    cg_clamp(g, 0, d->max, d->min);
    emit(g, OP_NCDCLAMP, 0, (uint16_t)before, (uint16_t)dslot);
    g->top--;
  } else {
    cg_clamp(g, 0, d->max, d->min);
  }
  g->score_slot = -1;
  return block_end(g, g_strdup_printf("score %s", s->name));
}

static uint32_t cg_expr_block(PGen *g, PExpr *e, bool cond, char *name) {
  block_begin(g, &e->loc);
  if (cond) cg_cond(g, e, 0); else cg_expr(g, e, 0);
  return block_end(g, name);
}

/* ---- consts: run now, keep the value ----------------------------------------------- */

/* True when v nests lists and records at most `room` levels deep (a
 * scalar is 0 levels); recurses no deeper than `room`. */
static bool fits_depth(PValue v, int room) {
  if (v.kind != PV_LIST && v.kind != PV_RECORD) return true;
  if (room == 0) return false;
  for (uint32_t i = 0; i < v.len; i++)
    if (!fits_depth(v.u.items[i], room - 1)) return false;
  return true;
}

/* The bytes a value holds (strings, and 16 per element), counting no
 * further than `limit`: a constant's size before it is copied. */
static uint64_t value_bytes(PValue v, uint64_t limit) {
  if (v.kind == PV_STRING) return v.len;
  if (v.kind != PV_LIST && v.kind != PV_RECORD) return 0;
  uint64_t n = (uint64_t)v.len * sizeof(PValue);
  for (uint32_t i = 0; i < v.len && n <= limit; i++) n += value_bytes(v.u.items[i], limit - n);
  return n;
}

static bool fold_block(PGen *g, uint32_t block, const PLoc *loc, PValue *out) {
  /* The host may stop a compilation (persona.compile of a cancelled
   * query): polled before each constant and while it is computed. Once
   * stopped, nothing more is computed; compile.c reports it. */
  if (pcheck_poll(g->c)) return false;
  PVMState st;
  pvm_state_init(&st, g->m);
  st.now_us = 0;
  st.interrupt = g->c->interrupt;
  st.interrupt_data = g->c->interrupt_data;
  pvm_budget_start(&st);
  /* A hostile model (nested replace() of replace()) once built a 100 MB
   * constant twenty times: 8 GB and 81 s for a 1.3 KB file. */
  st.arena.limit = PCODEGEN_FOLD_MEMORY;
  bool ok = pvm_state_fit(&st) && pvm_exec(&st, block, out);
  /* A constant is stored in the model and in bytecode files, whose reader
   * stops at PBC_MAX_VALUE_DEPTH: refuse what could not be loaded again. */
  if (!ok && st.interrupted) {
    g->c->interrupted = true;
  } else if (ok && !fits_depth(*out, PBC_MAX_VALUE_DEPTH)) {
    pdiag_error(g->c->diags, loc, "constant nested too deeply (more than %d levels of lists and records)",
                PBC_MAX_VALUE_DEPTH);
    ok = false;
  } else if (ok && value_bytes(*out, PCODEGEN_MAX_CONST) > PCODEGEN_MAX_CONST) {
    pdiag_error(g->c->diags, loc, "constant larger than %u MiB", PCODEGEN_MAX_CONST >> 20);
    ok = false;
  } else if (ok) {
    if (!pvalue_deep_copy(&g->m->const_arena, *out, out)) {
      out_of_memory(g, "a constant");
      ok = false;
    }
  } else if (strstr(st.error, "out of memory")) {
    pdiag_error(g->c->diags, loc, "constant needs more than %u MiB of memory to compute", PCODEGEN_FOLD_MEMORY >> 20);
  } else {
    pdiag_error(g->c->diags, loc, "%s", st.error);
  }
  pvm_state_clear(&st);
  return ok;
}

static void cg_consts(PGen *g) {
  for (guint i = 0; i < g->c->consts->len; i++) {
    PSym *s = g_ptr_array_index(g->c->consts, i);
    uint32_t b = cg_expr_block(g, s->decl->expr, false, g_strdup_printf("const %s", s->name));
    PValue v;
    if (fold_block(g, b, &s->decl->expr->loc, &v)) g->m->global_init[s->index] = v;
  }
}

/* ---- decode plans --------------------------------------------------------------------- */

static void plan_type(PGen *g, PType *t, PDecodeType *out);

static PDecodeType *plan_type_new(PGen *g, PType *t) {
  PDecodeType *dt = pa_alloc(&g->m->const_arena, sizeof *dt);
  memset(dt, 0, sizeof *dt);
  plan_type(g, t, dt);
  return dt;
}

static void plan_type(PGen *g, PType *t, PDecodeType *out) {
  switch (t->kind) {
  case PTY_BOOL: out->kind = PDT_BOOL; break;
  case PTY_INT: out->kind = PDT_INT; break;
  case PTY_NUMBER: out->kind = PDT_NUMBER; break;
  case PTY_TIME: out->kind = PDT_TIME; break;
  case PTY_DURATION: out->kind = PDT_DURATION; break;
  case PTY_LIST:
    out->kind = PDT_LIST;
    out->elem = t->elem ? plan_type_new(g, t->elem) : NULL;
    break;
  case PTY_RECORD:
    out->kind = PDT_RECORD;
    out->record = &g->m->plans[t->rec->index];
    break;
  default: out->kind = PDT_STRING; break;
  }
}

static void plan_fill(PGen *g, PRecordType *rt, PDecodePlan *plan, bool is_schema) {
  plan->name = pa_strndup(&g->m->const_arena, is_schema ? "profile" : rt->name,
                          strlen(is_schema ? "profile" : rt->name));
  plan->n_fields = rt->fields->len;
  plan->fields = pa_alloc(&g->m->const_arena, sizeof(PDecodeField) * (rt->fields->len ? rt->fields->len : 1));
  memset(plan->fields, 0, sizeof(PDecodeField) * rt->fields->len);
  plan->key_field = is_schema ? g->c->key_field : -1;
  plan->at_field = rt->at_field;
  for (guint i = 0; i < rt->fields->len; i++) {
    PRecordFieldType *ft = &g_array_index(rt->fields, PRecordFieldType, i);
    PDecodeField *f = &plan->fields[i];
    f->name = pa_strndup(&g->m->const_arena, ft->name, strlen(ft->name));
    f->name_len = (uint32_t)strlen(ft->name);
    plan_type(g, ft->type, &f->type);
    if (f->type.kind == PDT_TIME && ft->decl && ft->decl->epoch_ms) f->type.kind = PDT_TIME_MS;
    f->optional = ft->type->optional;
    f->pii = ft->decl && ft->decl->is_pii;
    /* The key names the result and `at` drives the as-of filter: always
     * decoded. Other fields only when some expression reads them. */
    f->used = ft->used || (int)i == plan->key_field || (int)i == rt->at_field;
    if (ft->decl && ft->decl->default_value) {
      uint32_t b = cg_expr_block(g, ft->decl->default_value, false,
                                 g_strdup_printf("default %s.%s", plan->name, ft->name));
      PValue v;
      if (fold_block(g, b, &ft->decl->default_value->loc, &v)) {
        if (ft->type->kind == PTY_NUMBER && v.kind == PV_INT) v = pv_number((double)v.u.i);
        f->has_default = true;
        f->default_value = v;
      }
    }
  }
}

static void cg_plans(PGen *g) {
  GPtrArray *records = g->c->tt->records;
  PModel *m = g->m;
  m->n_plans = records->len;
  m->plans = g_new0(PDecodePlan, records->len ? records->len : 1);
  for (guint i = 0; i < records->len; i++) {
    PRecordType *rt = g_ptr_array_index(records, i);
    plan_fill(g, rt, &m->plans[i], rt == g->c->profile);
  }
  m->profile_plan = g->c->profile ? (uint32_t)g->c->profile->index : 0;
}

/* ---- units and outputs ---------------------------------------------------------------- */

static void cg_lifecycle(PGen *g, PSym *s, PLifecycleCode *lc) {
  PDecl *d = s->decl;
  lc->name = g_strdup(s->name);
  lc->n_stages = s->stages->len;
  lc->stages = g_new0(char *, s->stages->len + 1);
  for (guint i = 0; i < s->stages->len; i++) lc->stages[i] = g_strdup(g_ptr_array_index(s->stages, i));
  lc->initial = 0;
  lc->slot_stage = (uint32_t)s->index;
  lc->slot_entered = (uint32_t)s->slot_entered;
  lc->n_transitions = d->transitions->len;
  lc->transitions = g_new0(PTransitionCode, d->transitions->len ? d->transitions->len : 1);
  for (guint i = 0; i < d->transitions->len; i++) {
    PTransition *t = g_ptr_array_index(d->transitions, i);
    PTransitionCode *tc = &lc->transitions[i];
    tc->from = t->from ? pcheck_stage_index(s, t->from) : -1;
    tc->to = (uint32_t)pcheck_stage_index(s, t->to);
    tc->block = cg_expr_block(g, t->cond, true,
                              g_strdup_printf("%s: %s -> %s", s->name, t->from ? t->from : "any", t->to));
    tc->loc = (PInsnLoc){t->loc.file, t->loc.line, t->loc.col};
    if (g->trace) explain_cond(g, t->cond, &tc->why);
  }
}

static void cg_units(PGen *g, GPtrArray *fused) {
  PCheck *c = g->c;
  PModel *m = g->m;
  m->n_lifecycles = c->lifecycles->len;
  m->lifecycles = g_new0(PLifecycleCode, c->lifecycles->len ? c->lifecycles->len : 1);
  uint32_t n_fused = fused ? fused->len : 0;
  m->n_units = c->units->len + n_fused;
  m->units = g_new0(PUnit, m->n_units ? m->n_units : 1);
  /* The fused passes read only the profile: they run first. */
  for (uint32_t i = 0; i < n_fused; i++) {
    FuseGroup *fg = g_ptr_array_index(fused, i);
    m->units[i].kind = PUNIT_VALUE;
    m->units[i].slot = fg->result_slot;
    cg_fused_block(g, fg->parts);
    m->units[i].block = m->n_blocks - 1;
  }
  for (guint i = 0; i < c->units->len; i++) {
    if (pcheck_poll(c)) break; /* the model is thrown away */
    PSym *s = g_ptr_array_index(c->units, i);
    PUnit *u = &m->units[n_fused + i];
    u->slot = (uint32_t)s->index;
    switch (s->kind) {
    case PSYM_LIFECYCLE:
      u->kind = PUNIT_LIFECYCLE;
      u->lifecycle = (uint32_t)s->lifecycle;
      cg_lifecycle(g, s, &m->lifecycles[s->lifecycle]);
      break;
    case PSYM_SCORE: {
      u->kind = PUNIT_VALUE;
      guint k;
      for (k = 0; k < c->scores->len && g_ptr_array_index(c->scores, k) != s; k++) {}
      g->score_output = c->tags->len + k;
      u->block = cg_score_block(g, s);
      break;
    }
    case PSYM_TAG:
      u->kind = PUNIT_VALUE;
      u->block = cg_expr_block(g, s->decl->expr, true, g_strdup_printf("tag %s", s->name));
      break;
    default:
      u->kind = PUNIT_VALUE;
      u->block = cg_expr_block(g, s->decl->expr, false, g_strdup_printf("let %s", s->name));
      break;
    }
  }
}

/* ---- journeys: flatten the step tree into a graph of `next` links ---------------- */

static uint32_t flatten_list(PGen *g, GArray *steps, GPtrArray *list, uint32_t cont);

static uint32_t block_or_none(PGen *g, PExpr *e, bool cond, const char *what, const char *id) {
  if (!e) return PJ_NO_BLOCK;
  return cg_expr_block(g, e, cond, g_strdup_printf("%s %s", what, id));
}

static uint32_t experiment_index(PCheck *c, const PSym *x) {
  for (guint i = 0; i < c->experiments->len; i++)
    if (g_ptr_array_index(c->experiments, i) == x) return i;
  return 0;
}

static uint32_t flatten_step(PGen *g, GArray *steps, PStep *st, uint32_t cont) {
  if (st->kind == PSTEP_BLOCK) return flatten_list(g, steps, st->body, cont);
  PJStep js = {.id = g_strdup(st->id), .next = cont, .cond = PJ_NO_BLOCK, .duration = PJ_NO_BLOCK,
               .loc = {st->loc.file, st->loc.line, st->loc.col}};
  static const uint8_t kinds[] = {
    [PSTEP_SEND] = PJS_SEND, [PSTEP_TASK] = PJS_TASK, [PSTEP_NOTIFY] = PJS_NOTIFY,
    [PSTEP_WEBHOOK] = PJS_WEBHOOK, [PSTEP_WAIT] = PJS_WAIT, [PSTEP_WAIT_UNTIL] = PJS_WAIT_UNTIL,
    [PSTEP_IF] = PJS_IF, [PSTEP_SPLIT] = PJS_SPLIT, [PSTEP_BLOCK] = PJS_BLOCK,
  };
  js.kind = kinds[st->kind];
  js.channel = g_strdup(st->channel);
  js.text = g_strdup(st->text);
  js.cond = block_or_none(g, st->cond, true, "condition of", st->id);
  js.duration = block_or_none(g, st->duration, false, "duration of", st->id);
  g_array_append_val(steps, js);
  uint32_t idx = steps->len - 1;
  if (st->kind == PSTEP_IF) {
    uint32_t then_step = flatten_list(g, steps, st->body, cont);
    uint32_t else_step = st->else_body ? flatten_list(g, steps, st->else_body, cont) : cont;
    g_array_index(steps, PJStep, idx).then_step = then_step;
    g_array_index(steps, PJStep, idx).else_step = else_step;
  } else if (st->kind == PSTEP_SPLIT && st->experiment) {
    /* One entry per arm of the experiment; an arm the split does not list
     * goes on after it. */
    PSym *x = pcheck_experiment_sym(g->c, st->experiment);
    uint32_t n = x->decl->arms->len;
    uint32_t *arm_step = g_new0(uint32_t, n ? n : 1);
    for (uint32_t i = 0; i < n; i++) arm_step[i] = cont;
    for (guint i = 0; i < st->arms->len; i++) {
      PSplitArm *arm = g_ptr_array_index(st->arms, i);
      arm_step[pcheck_experiment_arm(x->decl, arm->name)] = flatten_step(g, steps, arm->step, cont);
    }
    PJStep *p = &g_array_index(steps, PJStep, idx);
    p->by_experiment = true;
    p->experiment = experiment_index(g->c, x);
    p->n_arms = n;
    p->arm_step = arm_step;
    p->arm_weight = g_new0(double, n ? n : 1);
  } else if (st->kind == PSTEP_SPLIT) {
    uint32_t n = st->arms->len;
    uint32_t *arm_step = g_new0(uint32_t, n ? n : 1);
    double *arm_weight = g_new0(double, n ? n : 1);
    for (uint32_t i = 0; i < n; i++) {
      PSplitArm *arm = g_ptr_array_index(st->arms, i);
      arm_step[i] = flatten_step(g, steps, arm->step, cont);
      arm_weight[i] = arm->weight->kind == PE_NUMBER ? arm->weight->nval : 0;
    }
    PJStep *p = &g_array_index(steps, PJStep, idx);
    p->n_arms = n;
    p->arm_step = arm_step;
    p->arm_weight = arm_weight;
  }
  return idx;
}

static uint32_t flatten_list(PGen *g, GArray *steps, GPtrArray *list, uint32_t cont) {
  if (!list) return cont;
  /* Backwards, so that each step knows the one after it. */
  uint32_t next = cont;
  for (guint i = list->len; i-- > 0;) next = flatten_step(g, steps, g_ptr_array_index(list, i), next);
  return next;
}

static void cg_journey(PGen *g, PSym *s, PJourneyCode *jc) {
  PDecl *d = s->decl;
  jc->name = g_strdup(s->name);
  jc->slot_entered = (uint32_t)s->slot_entered;
  g->journey_slot = s->slot_entered;
  if (d->enter == PENTER_ON) {
    PSym *lc = g_hash_table_lookup(g->c->globals, d->enter_lifecycle);
    jc->enter_kind = PJ_ENTER_ON;
    jc->enter_lifecycle = (uint32_t)lc->lifecycle;
    jc->enter_stage = (uint32_t)pcheck_stage_index(lc, d->enter_stage->sval);
    jc->enter_cond = PJ_NO_BLOCK;
  } else {
    jc->enter_kind = PJ_ENTER_WHEN;
    jc->enter_cond = block_or_none(g, d->enter_cond, true, "entry condition of", s->name);
  }
  jc->exit_cond = block_or_none(g, d->exit_cond, true, "exit condition of", s->name);
  jc->reenter_after = block_or_none(g, d->reenter_after, false, "re-entry delay of", s->name);
  GArray *steps = g_array_new(FALSE, TRUE, sizeof(PJStep));
  jc->first = flatten_list(g, steps, d->steps, PJ_END);
  jc->n_steps = steps->len;
  jc->steps = (PJStep *)g_array_free(steps, FALSE);
  g->journey_slot = -1;
  /* The experiments this journey splits on, once each: their holdouts
   * never enter it. */
  jc->holdouts = g_new0(uint32_t, jc->n_steps ? jc->n_steps : 1);
  for (uint32_t k = 0; k < jc->n_steps; k++) {
    const PJStep *st = &jc->steps[k];
    if (!st->by_experiment || g->m->experiments[st->experiment].holdout < 0) continue;
    bool seen = false;
    for (uint32_t h = 0; h < jc->n_holdouts; h++) seen |= jc->holdouts[h] == st->experiment;
    if (!seen) jc->holdouts[jc->n_holdouts++] = st->experiment;
  }
}

/* ---- experiments ------------------------------------------------------------------------- */

static void cg_experiment(PGen *g, PSym *s, PExperimentCode *x) {
  PDecl *d = s->decl;
  x->name = g_strdup(d->name);
  x->label = d->text ? g_strndup(d->text, d->text_len) : NULL;
  x->salt = g_strndup(d->salt, d->salt_len);
  x->salt_len = d->salt_len;
  g_autofree char *hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)d->salt, d->salt_len);
  g_strlcpy(x->salt_id, hex, sizeof x->salt_id);
  x->n_arms = d->arms->len;
  x->arms = g_new0(char *, x->n_arms + 1);
  x->arm_buckets = g_new0(uint32_t, x->n_arms ? x->n_arms : 1);
  x->holdout = -1;
  for (uint32_t i = 0; i < x->n_arms; i++) {
    PSplitArm *a = g_ptr_array_index(d->arms, i);
    x->arms[i] = g_strdup(a->name);
    x->arm_buckets[i] = (uint32_t)lround(a->weight->nval * PEXP_BUCKETS);
    if (strcmp(a->name, "holdout") == 0) x->holdout = (int32_t)i;
  }
  x->control = (uint32_t)pcheck_experiment_arm(d, d->control ? d->control : "holdout");
  x->slot_arm = (uint32_t)s->index;
  x->slot_assigned = (uint32_t)s->slot_entered;
  x->window_us = d->metric_window->ival;
  x->loc = (PInsnLoc){d->loc.file, d->loc.line, d->loc.col};
  g->assigned_slot = s->slot_entered;
  x->metric = cg_expr_block(g, d->expr, true, g_strdup_printf("metric of experiment %s", d->name));
  g->assigned_slot = -1;
}

static void cg_experiments(PGen *g) {
  PCheck *c = g->c;
  g->m->n_experiments = c->experiments->len;
  g->m->experiments = g_new0(PExperimentCode, c->experiments->len ? c->experiments->len : 1);
  for (guint i = 0; i < c->experiments->len; i++)
    cg_experiment(g, g_ptr_array_index(c->experiments, i), &g->m->experiments[i]);
}

static void cg_journeys(PGen *g) {
  PCheck *c = g->c;
  g->m->n_journeys = c->journeys->len;
  g->m->journeys = g_new0(PJourneyCode, c->journeys->len ? c->journeys->len : 1);
  for (guint i = 0; i < c->journeys->len; i++)
    cg_journey(g, g_ptr_array_index(c->journeys, i), &g->m->journeys[i]);
}

/* ---- output { … } ---------------------------------------------------------------------- */

/* The names of a record type's fields (and of the record types inside
 * it): a record value printed whole is written as an object. */
static POutShape *type_shape(const PType *t, int depth) {
  if (!t || depth > 64) return NULL;
  if (t->kind == PTY_LIST) {
    POutShape *child = type_shape(t->elem, depth + 1);
    if (!child) return NULL;
    POutShape *s = g_new0(POutShape, 1);
    s->is_list = true;
    s->children = g_new0(POutShape *, 1);
    s->children[0] = child;
    return s;
  }
  if (t->kind != PTY_RECORD || !t->rec) return NULL;
  POutShape *s = g_new0(POutShape, 1);
  s->n_fields = t->rec->fields->len;
  s->names = g_new0(char *, s->n_fields + 1);
  s->children = g_new0(POutShape *, s->n_fields + 1);
  for (guint i = 0; i < t->rec->fields->len; i++) {
    const PRecordFieldType *f = &g_array_index(t->rec->fields, PRecordFieldType, i);
    s->names[i] = g_strdup(f->name);
    s->children[i] = type_shape(f->type, depth + 1);
  }
  return s;
}

/* The names of a record literal (and of record literals inside it), so the
 * value can be written back as JSON with its keys. */
static POutShape *out_shape(const PExpr *e) {
  if (e->kind == PE_LIST && e->items->len && ((PExpr *)g_ptr_array_index(e->items, 0))->kind == PE_RECORD) {
    POutShape *s = g_new0(POutShape, 1);
    s->is_list = true;
    s->children = g_new0(POutShape *, 1);
    s->children[0] = out_shape(g_ptr_array_index(e->items, 0));
    return s;
  }
  if (e->kind != PE_RECORD) return type_shape(e->type, 0);
  POutShape *s = g_new0(POutShape, 1);
  s->n_fields = e->items->len;
  s->names = g_new0(char *, s->n_fields + 1);
  s->children = g_new0(POutShape *, s->n_fields + 1);
  for (guint i = 0; i < e->items->len; i++) {
    PRecordField *f = g_ptr_array_index(e->items, i);
    s->names[i] = g_strdup(f->name);
    s->children[i] = out_shape(f->value);
  }
  return s;
}

static void cg_output(PGen *g) {
  PDecl *d = g->c->output_decl;
  if (!d || d->expr->kind != PE_RECORD) return;
  g->m->output_block = cg_expr_block(g, d->expr, false, g_strdup("output"));
  g->m->output_shape = out_shape(d->expr);
}

/* ---- tests ---------------------------------------------------------------------------- */

static char *source_text(PGen *g, const PLoc *loc) {
  const PSourceFile *f = psrc_file(g->c->src, loc->file);
  if (!f || loc->end_offset > f->len || loc->end_offset < loc->offset) return g_strdup("?");
  return g_strndup(f->text + loc->offset, loc->end_offset - loc->offset);
}

/* A literal as JSON text: what a test's `profile {…}` feeds the decoder. */
static void literal_json(PGen *g, GString *out, PExpr *e) {
  switch (e->kind) {
  case PE_RECORD:
    g_string_append_c(out, '{');
    for (guint i = 0; i < e->items->len; i++) {
      PRecordField *f = g_ptr_array_index(e->items, i);
      if (i) g_string_append_c(out, ',');
      pjw_cstring(out, f->name);
      g_string_append_c(out, ':');
      literal_json(g, out, f->value);
    }
    g_string_append_c(out, '}');
    return;
  case PE_LIST:
    g_string_append_c(out, '[');
    for (guint i = 0; i < e->items->len; i++) {
      if (i) g_string_append_c(out, ',');
      literal_json(g, out, g_ptr_array_index(e->items, i));
    }
    g_string_append_c(out, ']');
    return;
  default: break;
  }
  /* Anything else is a constant expression: fold it with the VM. */
  uint32_t b = cg_expr_block(g, e, false, g_strdup("test profile value"));
  PValue v;
  if (fold_block(g, b, &e->loc, &v)) pjw_value(out, v, NULL);
  else g_string_append(out, "null");
}

/* The values that explain a failed expectation: the non-constant operands
 * of the comparisons inside it (through and/or/not), each once. For
 * `expect fit == 60 and funnel == "sql"` that is fit and funnel. */
static void collect_operands(PGen *g, PExpr *e, GPtrArray *blocks, GPtrArray *texts, GPtrArray *exprs) {
  if (e->kind == PE_UNARY && e->op == POP_NOT) {
    collect_operands(g, e->left, blocks, texts, exprs);
    return;
  }
  if (e->kind == PE_BINARY && (e->op == POP_AND || e->op == POP_OR)) {
    collect_operands(g, e->left, blocks, texts, exprs);
    collect_operands(g, e->right, blocks, texts, exprs);
    return;
  }
  PExpr *sides[2] = {e, NULL};
  if (e->kind == PE_BINARY && e->op != POP_COALESCE) {
    sides[0] = e->left;
    sides[1] = e->right;
  }
  for (int i = 0; i < 2 && sides[i]; i++) {
    PExpr *x = sides[i];
    if (x->is_const) continue; /* `60` explains nothing */
    char *text = source_text(g, &x->loc);
    bool seen = false;
    for (guint k = 0; k < texts->len; k++) seen = seen || strcmp(g_ptr_array_index(texts, k), text) == 0;
    if (seen) {
      g_free(text);
      continue;
    }
    uint32_t b = cg_expr_block(g, x, false, g_strdup("operand"));
    g_ptr_array_add(blocks, GUINT_TO_POINTER(b + 1));
    g_ptr_array_add(texts, text);
    g_ptr_array_add(exprs, x);
  }
}

/* Does the expression read a `pii` field (of the profile or of a record)? */
static bool mentions_pii(const PExpr *e) {
  if (!e) return false;
  if (e->pii || mentions_pii(e->left) || mentions_pii(e->right)) return true;
  if (e->items && e->kind != PE_RECORD)
    for (guint i = 0; i < e->items->len; i++)
      if (mentions_pii(g_ptr_array_index(e->items, i))) return true;
  return e->query && (mentions_pii(e->query->list) || mentions_pii(e->query->where));
}

/* A condition and the operands that explain its value. */
static void explain_cond(PGen *g, PExpr *e, PExplainCond *out) {
  out->text = source_text(g, &e->loc);
  GPtrArray *blocks = g_ptr_array_new();
  GPtrArray *texts = g_ptr_array_new();
  GPtrArray *exprs = g_ptr_array_new();
  collect_operands(g, e, blocks, texts, exprs);
  out->n_operands = blocks->len;
  out->operand_block = g_new0(uint32_t, blocks->len + 1);
  out->operand_pii = g_new0(bool, blocks->len + 1);
  for (guint i = 0; i < blocks->len; i++) {
    out->operand_block[i] = GPOINTER_TO_UINT(g_ptr_array_index(blocks, i)) - 1;
    out->operand_pii[i] = mentions_pii(g_ptr_array_index(exprs, i));
  }
  g_ptr_array_unref(exprs);
  g_ptr_array_add(texts, NULL);
  out->operand_text = (char **)g_ptr_array_free(texts, FALSE);
  g_ptr_array_unref(blocks);
}

static void cg_expect(PGen *g, PTestStep *ts, PTestStepCode *sc) {
  sc->block = cg_expr_block(g, ts->value, true, g_strdup_printf("expectation %s", sc->text));
  explain_cond(g, ts->value, &sc->why);
}

static double literal_number(const PExpr *e) { return e->kind == PE_INT ? (double)e->ival : e->nval; }

/* lift(EXP, "A", "B") OP X and significant(EXP, ALPHA): the experiment,
 * the arms in args, the comparison and the number. */
static void cg_experiment_expect(PGen *g, PTestStep *ts, PTestStepCode *sc) {
  sc->experiment = experiment_index(g->c, ts->experiment);
  const PExpr *e = ts->value;
  if (ts->experiment_expect >= 2) {
    if (ts->experiment_expect == 3) e = e->left; /* not significant(…) */
    sc->kind = PT_EXPECT_SIGNIFICANT;
    sc->op = ts->experiment_expect == 3; /* 1: expect it NOT to be significant */
    sc->threshold = literal_number(g_ptr_array_index(e->items, 1));
    return;
  }
  sc->kind = PT_EXPECT_LIFT;
  sc->op = e->op == POP_GE ? 0 : e->op == POP_GT ? 1 : e->op == POP_LE ? 2 : 3;
  sc->threshold = literal_number(e->right);
  sc->n_args = 2;
  sc->args = g_new0(char *, 3);
  for (int i = 0; i < 2; i++) sc->args[i] = g_strdup(((PExpr *)g_ptr_array_index(e->left->items, i + 1))->sval);
}

static void cg_test_step(PGen *g, PTestStep *ts, PTestStepCode *sc) {
  sc->loc = (PInsnLoc){ts->loc.file, ts->loc.line, ts->loc.col};
  sc->text = source_text(g, &ts->loc);
  switch (ts->kind) {
  case PTSTEP_PROFILE: {
    sc->kind = PT_PROFILE;
    GString *json = g_string_new(NULL);
    literal_json(g, json, ts->value);
    sc->profile_json = g_string_free(json, FALSE);
    break;
  }
  case PTSTEP_AT:
    sc->kind = PT_AT;
    ptime_parse(ts->value->sval, ts->value->slen, &sc->at_us);
    break;
  case PTSTEP_PROFILES:
    sc->kind = PT_PROFILES;
    sc->profile_json = g_strndup(ts->profiles_text ? ts->profiles_text : "", ts->profiles_len);
    break;
  case PTSTEP_EXPECT:
    if (ts->experiment_expect) {
      cg_experiment_expect(g, ts, sc);
      break;
    }
    sc->kind = PT_EXPECT;
    cg_expect(g, ts, sc);
    break;
  case PTSTEP_EXPECT_ACTION:
    sc->kind = PT_EXPECT_ACTION;
    sc->action_kind = g_strdup(ts->kind_name);
    sc->n_args = ts->args ? ts->args->len : 0;
    sc->args = g_new0(char *, sc->n_args + 1);
    for (uint32_t i = 0; i < sc->n_args; i++) {
      PExpr *a = g_ptr_array_index(ts->args, i);
      sc->args[i] = g_strdup(a->kind == PE_STRING ? a->sval : a->name ? a->name : "");
    }
    if (ts->at && ts->at->kind == PE_STRING) {
      sc->has_at = ptime_parse(ts->at->sval, ts->at->slen, &sc->at_us);
    }
    break;
  case PTSTEP_EXPECT_NO_ACTION: sc->kind = PT_EXPECT_NO_ACTION; break;
  }
}

static void cg_tests(PGen *g) {
  PCheck *c = g->c;
  g->m->n_tests = c->tests->len;
  g->m->tests = g_new0(PTestCode, c->tests->len ? c->tests->len : 1);
  for (guint i = 0; i < c->tests->len; i++) {
    PDecl *d = g_ptr_array_index(c->tests, i);
    PTestCode *tc = &g->m->tests[i];
    tc->name = g_strdup(d->text);
    tc->loc = (PInsnLoc){d->loc.file, d->loc.line, d->loc.col};
    tc->n_steps = d->test_steps->len;
    tc->steps = g_new0(PTestStepCode, tc->n_steps ? tc->n_steps : 1);
    for (uint32_t k = 0; k < tc->n_steps; k++) cg_test_step(g, g_ptr_array_index(d->test_steps, k), &tc->steps[k]);
  }
}

/* The first line of a declaration as written: "score fit max 100 {". */
static char *first_line(PGen *g, const PLoc *loc) {
  char *text = source_text(g, loc);
  char *nl = strchr(text, '\n');
  if (nl) *nl = '\0';
  return g_strchomp(text);
}

/* "max 100, decay 14d" or "= fit + engagement": what follows the name. */
static char *score_header(PGen *g, PDecl *d) {
  g_autofree char *line = first_line(g, &d->loc);
  /* What follows `score NAME`: the name is found as the word after the
   * keyword (a score named `sc` once matched inside "score": "(ore sc"). */
  const char *p = line;
  while (*p == ' ' || *p == '\t') p++;
  if (g_str_has_prefix(p, "score")) p += strlen("score");
  while (*p == ' ' || *p == '\t') p++;
  if (g_str_has_prefix(p, d->name)) p += strlen(d->name);
  else p = line;
  char *h = g_strstrip(g_strdup(p));
  size_t n = strlen(h);
  if (n && h[n - 1] == '{') h[n - 1] = '\0';
  return g_strstrip(h);
}

/* The rules of a score as written (persona_model_score_rule) and, for
 * explain (`trace` only), its header and each condition's operands. */
static void score_explanations(PGen *g, PDecl *d, POutput *o) {
  if (g->trace) o->header = score_header(g, d);
  if (!d->rules) return;
  o->n_rules = d->rules->len;
  o->rules = g_new0(PRuleInfo, o->n_rules ? o->n_rules : 1);
  for (guint i = 0; i < d->rules->len; i++) {
    PScoreRule *r = g_ptr_array_index(d->rules, i);
    PRuleInfo *ri = &o->rules[i];
    ri->text = source_text(g, &r->loc);
    ri->loc = (PInsnLoc){r->loc.file, r->loc.line, r->loc.col};
    ri->per = r->kind == PRULE_PER;
    ri->weight = NAN;
    if (r->weight->kind == PE_NUMBER || r->weight->kind == PE_INT) {
      double w = r->weight->kind == PE_INT ? (double)r->weight->ival : r->weight->nval;
      ri->weight = r->negative ? -w : w;
    }
    if (r->kind == PRULE_WHEN && g->trace) explain_cond(g, r->cond, &ri->cond);
  }
}

static void cg_outputs(PGen *g) {
  PCheck *c = g->c;
  PModel *m = g->m;
  m->n_outputs = c->tags->len + c->scores->len;
  m->outputs = g_new0(POutput, m->n_outputs ? m->n_outputs : 1);
  uint32_t n = 0;
  for (guint i = 0; i < c->tags->len; i++) {
    PSym *s = g_ptr_array_index(c->tags, i);
    POutput *o = &m->outputs[n++];
    *o = (POutput){.kind = s->decl->is_segment ? POUT_SEGMENT : POUT_TAG, .name = g_strdup(s->name), .label = g_strdup(s->decl->text),
                   .slot = (uint32_t)s->index};
    o->loc = (PInsnLoc){s->decl->loc.file, s->decl->loc.line, s->decl->loc.col};
    if (g->trace) explain_cond(g, s->decl->expr, &o->why);
  }
  for (guint i = 0; i < c->scores->len; i++) {
    PSym *s = g_ptr_array_index(c->scores, i);
    POutput *o = &m->outputs[n++];
    *o = (POutput){.kind = POUT_SCORE, .name = g_strdup(s->name), .slot = (uint32_t)s->index};
    o->loc = (PInsnLoc){s->decl->loc.file, s->decl->loc.line, s->decl->loc.col};
    if (s->thresholds && s->thresholds->len) {
      o->n_thresholds = s->thresholds->len;
      o->thresholds = g_memdup2(s->thresholds->data, sizeof(PThreshold) * s->thresholds->len);
    }
    if (g->trace || g->score_rules) score_explanations(g, s->decl, o);
  }
}

/* The slots of the selected columns (hidden lets, always computed). */
static void cg_columns(PGen *g) {
  PCheck *c = g->c;
  g->m->n_columns = c->columns->len;
  g->m->column_slots = g_new0(uint32_t, c->columns->len + 1);
  for (guint i = 0; i < c->columns->len; i++)
    g->m->column_slots[i] = (uint32_t)((PSym *)g_ptr_array_index(c->columns, i))->index;
}

static void cg_identity(PGen *g) {
  PCheck *c = g->c;
  PModel *m = g->m;
  m->name = g_strdup(c->model_decl ? c->model_decl->name : "model");
  m->version = g_strdup(c->model_decl && c->model_decl->text ? c->model_decl->text : "");
  m->input_tz = g_strdup(c->model_decl && c->model_decl->timezone ? c->model_decl->timezone : "");
  m->n_files = c->src->files->len;
  m->file_names = g_new0(char *, m->n_files + 1);
  for (uint32_t i = 0; i < m->n_files; i++) m->file_names[i] = g_strdup(psrc_file(c->src, i)->name);
}

PModel *pcodegen_model(PCheck *c, bool trace, bool score_rules) {
  PGen g = {.c = c, .journey_slot = -1, .assigned_slot = -1, .score_slot = -1, .trace = trace, .score_rules = score_rules, .fused_elem = -1};
  g.traces = g_array_new(FALSE, TRUE, sizeof(PTracePoint));
  g.m = pmodel_new();
  g.m->tracks_change = true;
  g.blocks = g_array_new(FALSE, TRUE, sizeof(PBlock));
  g.consts = g_array_new(FALSE, TRUE, sizeof(PValue));
  g.const_index = g_hash_table_new_full(g_bytes_hash, g_bytes_equal, (GDestroyNotify)g_bytes_unref, NULL);
  g.calls = g_array_new(FALSE, TRUE, sizeof(PCallSite));
  g.sets = g_array_new(FALSE, TRUE, sizeof(PConstSet));
  g.local_reg = g_new0(int, c->n_locals + 1);
  cg_identity(&g);
  int n_globals = c->n_globals;
  /* Tracing builds keep one loop per rule: explain reports each rule's
   * records from inside its own loop. */
  g_autoptr(GPtrArray) fused = trace ? NULL : fuse_plan(&g, &n_globals);
  g.m->n_globals = (uint32_t)n_globals;
  g.m->global_init = g_new0(PValue, n_globals + 1);
  sync_model(&g);
  cg_consts(&g);
  cg_plans(&g);
  cg_units(&g, fused);
  cg_experiments(&g); /* before the journeys: they read each holdout */
  cg_journeys(&g);
  cg_output(&g);
  cg_tests(&g);
  cg_outputs(&g);
  cg_columns(&g);
  sync_model(&g);
  /* The model now owns the arrays' storage. */
  g_array_free(g.blocks, FALSE);
  g_array_free(g.consts, FALSE);
  g_array_free(g.calls, FALSE);
  g_array_free(g.sets, FALSE);
  /* The model takes the host functions and keeps their libraries open. */
  g.m->n_natives = c->natives->len;
  g.m->natives = g_new0(PNative *, c->natives->len + 1);
  for (guint i = 0; i < c->natives->len; i++) g.m->natives[i] = pnative_copy(g_ptr_array_index(c->natives, i));
  g.m->n_dl_handles = c->dl_handles->len;
  /* steal leaves the checker's array empty: it closes nothing now. */
  g.m->dl_handles = (void **)g_ptr_array_steal(c->dl_handles, NULL);
  g.m->identity = c->identity; /* the model takes the identity tables */
  c->identity = NULL;
  g.m->n_traces = g.traces->len;
  g.m->traces = (PTracePoint *)g_array_free(g.traces, FALSE);
  g_hash_table_unref(g.const_index);
  g_free(g.local_reg);
  if (g.hoisted) g_hash_table_unref(g.hoisted);
  if (g.lsets) g_hash_table_unref(g.lsets);
  if (c->diags->n_errors > 0) {
    pmodel_unref(g.m);
    return NULL;
  }
  /* A model with only a schema has no block: one register anyway, which
   * the bytecode loader requires (it once refused such a file). */
  if (g.m->max_regs == 0) g.m->max_regs = 1;
  pmodel_finish(g.m);
  return g.m;
}
