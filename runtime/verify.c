/* verify.c - the bytecode verifier: what must hold of a model read from a
 * file before the VM may run it (bytecode.h).
 *
 * The VM trusts its code: it indexes registers, constants, globals and
 * tables without checks, and follows jumps blindly. The compiler upholds
 * those invariants by construction; a file may not, so this pass proves
 * them once, at load:
 *
 *  - tables: every block, global slot, lifecycle, stage, step, plan and
 *    call-site reference is in range; step graphs and record types have no
 *    cycles; strings the result writer prints are present;
 *  - instructions: opcode known, every register operand (including the
 *    A..A+2 of loops, the argument run of CALL, the element run of
 *    MKLIST/MKREC) below the block's register count, every constant,
 *    global, profile field, call site, set and distinct-set index in
 *    range, the x byte a valid kind, no TRACE (but in a model straight
 *    from the compiler, pbc_verify_generated), the last instruction RET.
 *    What each operand is, and where control goes next, is read from the
 *    opcode table (opcodes.h: the flow and role columns), not restated
 *    here;
 *  - control flow: every jump lands inside its block; a jump backwards
 *    must close a loop (land on the FORNEXT whose body holds it), loop
 *    bodies nest, are entered only through their head, and never write
 *    their own list or index register, so every loop runs at most once
 *    per element of a list that cannot change: evaluation terminates;
 *  - globals: each has one writer (a unit, a lifecycle, a journey, or the
 *    one fused pass that fills it with SETG); SETG only in a unit's block;
 *  - data flow (a forward "must" analysis to a fixpoint): every register
 *    is written before it is read on every path, so no value left over
 *    from an earlier block or record (pointing into memory since reused)
 *    is ever seen, and every distinct-set is cleared before it is used.
 *
 *  - kinds (verify_kinds.c): no instruction reads a register that may
 *    hold a kind of value it does not accept (the kinds column of the
 *    opcode table, the built-ins' signatures); values without a static
 *    kind are left to the VM's own guards (vm.c; docs/bytecode.md,
 *    "Kinds" and "Type confusion").
 */
#include <string.h>

#include "../include/persona.h"
#include "../stdlib/builtins.h"
#include "bytecode.h"
#include "natives.h"

#define VERIFY_MAX_REGS 65536u            /* 16-bit register operands */
#define VERIFY_MAX_BITS ((uint64_t)1 << 27) /* n_code × state bits per block */

typedef struct Verifier {
  const PModel *m;
  GError **error;
  uint32_t max_fields; /* the widest record: bound for GETF */
  bool allow_trace;    /* a model straight from the compiler: TRACE and tests allowed */
} Verifier;

static bool vfail(Verifier *v, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static bool vfail(Verifier *v, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error(v->error, PERSONA_ERROR, PERSONA_ERROR_BYTECODE, "%s", msg);
  g_free(msg);
  return false;
}

/* ---- what an instruction does with its operands ------------------------------- */

/* Room for any row of the opcode table: A reads at most two registers
 * (LOOP) and writes one, B and C read or write one each; the spans and
 * the fall-through write are kept apart. */
typedef struct Effects {
  uint32_t reads[4], n_reads;
  uint32_t span_base, span_n;   /* reads R[base .. base+n-1] (CALL, CALLN, MKLIST, MKREC) */
  uint32_t writes[3], n_writes;
  uint32_t wspan_base, wspan_n; /* writes R[base .. base+n-1] (UNPACK) */
  uint32_t fall_write;          /* FORNEXT: R[A+2] is written on the fall-through edge only */
  bool has_fall_write;
  int64_t dset_clear, dset_use; /* distinct-set operands, or -1 */
  bool is_jump;
  int64_t target;               /* absolute jump target */
} Effects;

static void rd(Effects *e, uint32_t r) { e->reads[e->n_reads++] = r; }
static void wr(Effects *e, uint32_t r) { e->writes[e->n_writes++] = r; }

/* How many registers an ARGS operand reads: the call site's argument
 * count or the host function's parameter count (its index already
 * checked). */
static uint32_t args_count(const PModel *m, const PInsn *i) {
  return popcode_info[i->op].b == PROLE_CALLSITE ? m->calls[i->bx].nargs
                                                 : ((const PNative *)m->natives[i->bx])->n_params;
}

/* Where control goes after `pc` (the flow column of the opcode table). */
static bool flow_effects(Verifier *v, const PBlock *b, uint32_t pc, Effects *e) {
  const PInsn *i = &b->code[pc];
  switch ((POpFlow)popcode_info[i->op].flow) {
  case PFLOW_BRANCH: case PFLOW_GOTO:
    e->is_jump = true;
    e->target = (int64_t)pc + 1 + i->sbx;
    break;
  case PFLOW_SKIP:
    /* Modelled as a jump over the JMP that follows (when the test passes)
     * and a fall into that JMP (when it fails): the same edges. */
    if (pc + 1 >= b->n_code || b->code[pc + 1].op != OP_JMP) return vfail(v, "not followed by the JMP it takes");
    e->is_jump = true;
    e->target = (int64_t)pc + 2;
    break;
  case PFLOW_NEXT: case PFLOW_RET: case PFLOW__COUNT: break;
  }
  return true;
}

static bool index_ok(Verifier *v, uint32_t k, uint32_t n, const char *what, const char *plural) {
  return k < n || vfail(v, "%s %u out of range (%u %s)", what, k, n, plural);
}

/* One operand `val` of role `role`: its index checked, its registers
 * recorded in `e`. */
static bool operand_effects(Verifier *v, const PInsn *i, POpRole role, uint32_t val, Effects *e) {
  const PModel *m = v->m;
  switch (role) {
  case PROLE__: case PROLE_I: case PROLE_J: case PROLE_COUNT: case PROLE_KIND: case PROLE_PIIARGS: case PROLE_PII:
  case PROLE_NCFLAGS: case PROLE__COUNT: return true;
  case PROLE_R: rd(e, val); return true;
  case PROLE_W: wr(e, val); return true;
  case PROLE_RW: rd(e, val); wr(e, val); return true;
  case PROLE_KS:
    /* The VM reads the constant as a string without looking: it must be one. */
    if (!index_ok(v, val, m->n_consts, "constant", "constants")) return false;
    return m->consts[val].kind == PV_STRING || vfail(v, "constant %u compared as a string is not one", val);
  case PROLE_K: return index_ok(v, val, m->n_consts, "constant", "constants");
  case PROLE_G: return index_ok(v, val, m->n_globals, "global", "globals");
  case PROLE_P: return index_ok(v, val, m->plans[m->profile_plan].n_fields, "profile field", "fields");
  case PROLE_F:
    return val < v->max_fields || vfail(v, "field %u out of range (the widest record has %u)", val, v->max_fields);
  case PROLE_FSPAN:
    return val + i->x <= v->max_fields || vfail(v, "fields %u..%u out of range (the widest record has %u)", val,
                                                val + i->x - 1, v->max_fields);
  case PROLE_SET: return index_ok(v, val, m->n_sets, "constant set", "sets");
  case PROLE_CALLSITE: return index_ok(v, val, m->n_calls, "call site", "call sites");
  case PROLE_NATIVE: return val < m->n_natives || vfail(v, "host function %u out of range (%u)", val, m->n_natives);
  case PROLE_TRACE:
    if (!v->allow_trace) return vfail(v, "trace instruction in a model for evaluation");
    return index_ok(v, val, m->n_traces, "trace point", "trace points");
  case PROLE_DCLR: e->dset_clear = val; return true;
  case PROLE_DSET: e->dset_use = val; return true;
  case PROLE_ARGS: /* the count is the B operand's, checked by now */
    e->span_base = val;
    e->span_n = args_count(m, i);
    wr(e, val);
    return true;
  case PROLE_RSPAN:
    e->span_base = val;
    e->span_n = i->c;
    return true;
  case PROLE_WSPAN:
    e->wspan_base = val;
    e->wspan_n = i->x;
    return true;
  case PROLE_LOOPINIT: wr(e, val + 1); return true;
  case PROLE_LOOP:
    rd(e, val);
    rd(e, val + 1);
    wr(e, val + 1);
    e->fall_write = val + 2;
    e->has_fall_write = true;
    return true;
  }
  return true;
}

/* Fills `e` from the opcode table's flow and operand roles; false (with
 * the message set) for an index out of range. The B operand (an index
 * an ARGS operand counts by) is checked before A. */
static bool insn_effects(Verifier *v, const PBlock *b, uint32_t pc, Effects *e) {
  const PInsn *i = &b->code[pc];
  const POpInfo *info = &popcode_info[i->op];
  memset(e, 0, sizeof *e);
  e->dset_clear = e->dset_use = -1;
  if (!flow_effects(v, b, pc, e) || !operand_effects(v, i, info->b, pinsn_b(i), e) ||
      !operand_effects(v, i, info->a, i->a, e) || !operand_effects(v, i, info->c, i->c, e))
    return false;
  const PModel *m = v->m;
  if (e->dset_clear >= (int64_t)m->n_dsets || e->dset_use >= (int64_t)m->n_dsets)
    return vfail(v, "distinct-set %" G_GINT64_FORMAT " out of range (%u sets)",
                 e->dset_clear > e->dset_use ? e->dset_clear : e->dset_use, m->n_dsets);
  return true;
}

/* Registers, the x byte, the jump target. */
static bool check_operands(Verifier *v, const PBlock *b, uint32_t pc, const Effects *e) {
  const PInsn *i = &b->code[pc];
  switch ((POpRole)popcode_info[i->op].x) {
  case PROLE_KIND:
    if (i->x != PV_INT && i->x != PV_TIME && i->x != PV_DURATION)
      return vfail(v, "result kind %u is not int, time or duration", i->x);
    break;
  case PROLE_COUNT: /* UNPACK: fewer fields would be a GETF */
    if (i->x < 2) return vfail(v, "field count %u is below 2", i->x);
    break;
  case PROLE_PIIARGS: /* CALL: any bits; read only to word an error message */
    break;
  case PROLE_PII: /* NC instructions: round the instant or not */
    if (i->x > 1) return vfail(v, "pii flag %u is not 0 or 1", i->x);
    break;
  case PROLE_NCFLAGS:
    if (i->x > 3) return vfail(v, "next-change flags %u are not 0 … 3", i->x);
    break;
  default:
    if (i->x != 0) return vfail(v, "unused x byte is %u", i->x);
    break;
  }
  for (uint32_t k = 0; k < e->n_reads; k++)
    if (e->reads[k] >= b->n_regs)
      return vfail(v, "register %u out of range (the block has %u)", e->reads[k], b->n_regs);
  for (uint32_t k = 0; k < e->n_writes; k++)
    if (e->writes[k] >= b->n_regs)
      return vfail(v, "register %u out of range (the block has %u)", e->writes[k], b->n_regs);
  if (e->has_fall_write && e->fall_write >= b->n_regs)
    return vfail(v, "register %u out of range (the block has %u)", e->fall_write, b->n_regs);
  if ((uint64_t)e->span_base + e->span_n > b->n_regs)
    return vfail(v, "registers %u..%u out of range (the block has %u)", e->span_base,
                 e->span_base + e->span_n - 1, b->n_regs);
  if ((uint64_t)e->wspan_base + e->wspan_n > b->n_regs)
    return vfail(v, "registers %u..%u out of range (the block has %u)", e->wspan_base,
                 e->wspan_base + e->wspan_n - 1, b->n_regs);
  if (e->is_jump && (e->target < 0 || e->target >= b->n_code))
    return vfail(v, "jump target %" G_GINT64_FORMAT " outside the block (0..%u)", e->target, b->n_code - 1);
  return true;
}

/* ---- loops ------------------------------------------------------------------------ */

/* The structure that makes every loop finite (see the header comment),
 * in one pass: a stack of the loops open at each instruction (bodies must
 * nest), and per register the number of open loops whose list or index it
 * is (a write to one of those inside the body is refused). */
typedef struct Loop {
  uint32_t head, exit; /* body: head < pc < exit */
} Loop;

static bool inside(const Loop *l, int64_t pc) { return l->head < pc && pc < l->exit; }

static bool check_loops(Verifier *v, const PBlock *b, const Effects *fx, uint32_t *bad_pc) {
  Loop *stack = g_new(Loop, b->n_code + 1);
  int32_t *inner = g_new(int32_t, b->n_code); /* innermost loop whose body holds pc, or -1 */
  Loop *loops = g_new(Loop, b->n_code + 1);  /* by head pc order */
  uint32_t *loop_of = g_new(uint32_t, b->n_code);
  uint32_t *protected_regs = g_new0(uint32_t, b->n_regs + 2);
  uint32_t sp = 0, n_loops = 0;
  bool ok = true;
  for (uint32_t pc = 0; pc < b->n_code && ok; pc++) {
    *bad_pc = pc;
    while (sp > 0 && stack[sp - 1].exit <= pc) {
      sp--;
      protected_regs[b->code[stack[sp].head].a]--;
      protected_regs[b->code[stack[sp].head].a + 1]--;
    }
    inner[pc] = sp > 0 ? (int32_t)loop_of[stack[sp - 1].head] : -1;
    const Effects *e = &fx[pc];
    for (uint32_t k = 0; k < e->n_writes + e->has_fall_write && ok; k++) {
      uint32_t r = k < e->n_writes ? e->writes[k] : e->fall_write;
      if (protected_regs[r] > 0)
        ok = vfail(v, "writes register %u, the list or index of a loop around it", r);
    }
    for (uint32_t k = 0; k < e->wspan_n && ok; k++)
      if (protected_regs[e->wspan_base + k] > 0)
        ok = vfail(v, "writes register %u, the list or index of a loop around it", e->wspan_base + k);
    if (ok && b->code[pc].op == OP_FORNEXT) {
      Loop l = {pc, (uint32_t)e->target};
      if (e->target <= pc) ok = vfail(v, "a loop must exit forwards");
      else if (sp > 0 && l.exit > stack[sp - 1].exit) ok = vfail(v, "loop overlaps the loop at %u", stack[sp - 1].head);
      if (ok) {
        loop_of[pc] = n_loops;
        loops[n_loops++] = l;
        stack[sp++] = l;
        protected_regs[b->code[pc].a]++;
        protected_regs[b->code[pc].a + 1]++;
      }
    }
  }
  /* Jumps: backwards only to the head of a loop whose body holds the
   * jump; forwards never into a body from outside it. */
  for (uint32_t pc = 0; pc < b->n_code && ok; pc++) {
    *bad_pc = pc;
    if (!fx[pc].is_jump) continue;
    int64_t t = fx[pc].target;
    if (t <= pc) {
      if (b->code[t].op != OP_FORNEXT || !inside(&loops[loop_of[t]], pc))
        ok = vfail(v, "jump back to %" G_GINT64_FORMAT " does not close a loop", t);
    } else if (inner[t] >= 0 && !inside(&loops[inner[t]], pc)) {
      ok = vfail(v, "jump into the body of the loop at %u", loops[inner[t]].head);
    }
  }
  g_free(stack);
  g_free(inner);
  g_free(loops);
  g_free(loop_of);
  g_free(protected_regs);
  return ok;
}

/* ---- data flow -------------------------------------------------------------------- */

/* The state at an instruction: bit r = register r written on every path
 * here; bit n_regs + k = the k-th distinct-set of this block cleared. */
typedef struct Flow {
  uint32_t words;     /* uint64 words per state */
  uint64_t *in;       /* n_code states */
  bool *seen;
  uint32_t *dset_ids; /* local index -> model distinct-set */
  uint32_t n_dsets;
  uint32_t n_regs;
} Flow;

static inline bool bit(const uint64_t *s, uint32_t k) { return (s[k >> 6] >> (k & 63)) & 1; }
static inline void set_bit(uint64_t *s, uint32_t k) { s[k >> 6] |= UINT64_C(1) << (k & 63); }

static uint32_t local_dset(const Flow *f, int64_t d) {
  for (uint32_t k = 0; k < f->n_dsets; k++)
    if (f->dset_ids[k] == (uint32_t)d) return f->n_regs + k;
  return UINT32_MAX;
}

/* The state after `pc` along the fall-through (fall) or jump edge. */
static void transfer(const Flow *f, const Effects *e, const uint64_t *in, uint64_t *out, bool fall) {
  memcpy(out, in, f->words * sizeof(uint64_t));
  for (uint32_t k = 0; k < e->n_writes; k++) set_bit(out, e->writes[k]);
  for (uint32_t k = 0; k < e->wspan_n; k++) set_bit(out, e->wspan_base + k);
  if (fall && e->has_fall_write) set_bit(out, e->fall_write);
  if (e->dset_clear >= 0) set_bit(out, local_dset(f, e->dset_clear));
}

/* Meets `out` into the state at `to`; true when that state changed. */
static bool meet(Flow *f, uint32_t to, const uint64_t *out) {
  uint64_t *s = &f->in[(size_t)to * f->words];
  if (!f->seen[to]) {
    f->seen[to] = true;
    memcpy(s, out, f->words * sizeof(uint64_t));
    return true;
  }
  bool changed = false;
  for (uint32_t w = 0; w < f->words; w++) {
    uint64_t x = s[w] & out[w];
    changed = changed || x != s[w];
    s[w] = x;
  }
  return changed;
}

static bool falls_through(uint8_t op) {
  return popcode_info[op].flow != PFLOW_GOTO && popcode_info[op].flow != PFLOW_RET;
}

/* Passes in instruction order until nothing changes: with loops entered
 * only through their heads this converges in a few passes (one more than
 * the nesting depth); the work is bounded all the same. */
static bool run_flow(Flow *f, const PBlock *b, const Effects *fx) {
  uint64_t *out = g_new0(uint64_t, f->words);
  uint64_t work = 0;
  f->seen[0] = true; /* nothing written at entry */
  bool changed = true;
  while (changed) {
    changed = false;
    work += (uint64_t)b->n_code * f->words;
    if (work > VERIFY_MAX_BITS) break;
    for (uint32_t pc = 0; pc < b->n_code; pc++) {
      if (!f->seen[pc]) continue;
      const uint64_t *in = &f->in[(size_t)pc * f->words];
      if (falls_through(b->code[pc].op) && pc + 1 < b->n_code) {
        transfer(f, &fx[pc], in, out, true);
        changed = meet(f, pc + 1, out) || changed;
      }
      if (fx[pc].is_jump) {
        transfer(f, &fx[pc], in, out, false);
        changed = meet(f, (uint32_t)fx[pc].target, out) || changed;
      }
    }
  }
  g_free(out);
  return !changed;
}

static bool check_flow(Verifier *v, const PBlock *b, const Effects *fx, uint32_t *bad_pc) {
  Flow f = {.n_regs = b->n_regs};
  f.dset_ids = g_new0(uint32_t, b->n_code);
  for (uint32_t pc = 0; pc < b->n_code; pc++) {
    int64_t d = fx[pc].dset_clear >= 0 ? fx[pc].dset_clear : fx[pc].dset_use;
    if (d >= 0 && local_dset(&f, d) == UINT32_MAX) f.dset_ids[f.n_dsets++] = (uint32_t)d;
  }
  uint32_t bits = b->n_regs + f.n_dsets;
  f.words = (bits + 63) / 64;
  if ((uint64_t)f.words * 64 * b->n_code > VERIFY_MAX_BITS) {
    g_free(f.dset_ids);
    *bad_pc = 0;
    return vfail(v, "too large to verify (%u instructions, %u registers)", b->n_code, b->n_regs);
  }
  f.in = g_new0(uint64_t, (size_t)f.words * b->n_code);
  f.seen = g_new0(bool, b->n_code);
  bool ok = run_flow(&f, b, fx);
  if (!ok) {
    *bad_pc = 0;
    ok = vfail(v, "too complex to verify (%u instructions, %u registers)", b->n_code, b->n_regs);
  }
  for (uint32_t pc = 0; pc < b->n_code && ok; pc++) {
    if (!f.seen[pc]) continue; /* unreachable: never runs */
    const uint64_t *in = &f.in[(size_t)pc * f.words];
    const Effects *e = &fx[pc];
    *bad_pc = pc;
    for (uint32_t k = 0; k < e->n_reads && ok; k++)
      if (!bit(in, e->reads[k])) ok = vfail(v, "register %u is read before it is written", e->reads[k]);
    for (uint32_t k = 0; k < e->span_n && ok; k++)
      if (!bit(in, e->span_base + k))
        ok = vfail(v, "register %u is read before it is written", e->span_base + k);
    if (ok && e->dset_use >= 0 && !bit(in, local_dset(&f, e->dset_use)))
      ok = vfail(v, "distinct-set %" G_GINT64_FORMAT " is used before it is cleared", e->dset_use);
  }
  g_free(f.in);
  g_free(f.seen);
  g_free(f.dset_ids);
  return ok;
}

/* ---- blocks ------------------------------------------------------------------------ */

/* Prefixes the message of a failed check with the block and instruction. */
static bool block_fail_at(Verifier *v, uint32_t bi, const PBlock *b, uint32_t pc) {
  const char *op = b->code[pc].op < OP__COUNT ? popcode_info[b->code[pc].op].name : "?";
  g_prefix_error(v->error, "block %u (%s), instruction %u (%s): ", bi, b->name, pc, op);
  return false;
}

static bool check_block(Verifier *v, uint32_t bi) {
  const PModel *m = v->m;
  const PBlock *b = &m->blocks[bi];
  if (b->n_code == 0) return vfail(v, "block %u (%s) is empty", bi, b->name);
  if (b->n_regs == 0 || b->n_regs > m->max_regs)
    return vfail(v, "block %u (%s) has %u registers (the model allows 1..%u)", bi, b->name, b->n_regs,
                 m->max_regs);
  Effects *fx = g_new0(Effects, b->n_code);
  bool ok = true;
  uint32_t pc = 0;
  for (; pc < b->n_code && ok; pc++) {
    const PInsn *i = &b->code[pc];
    if (i->op >= OP__COUNT) {
      ok = vfail(v, "block %u (%s), instruction %u: unknown opcode %u", bi, b->name, pc, i->op);
      g_free(fx);
      return false;
    }
    if (b->locs[pc].file >= m->n_files)
      ok = vfail(v, "source file %u out of range (%u files)", b->locs[pc].file, m->n_files);
    ok = ok && insn_effects(v, b, pc, &fx[pc]) && check_operands(v, b, pc, &fx[pc]);
  }
  if (!ok) {
    g_free(fx);
    return block_fail_at(v, bi, b, pc - 1);
  }
  if (b->code[b->n_code - 1].op != OP_RET) {
    g_free(fx);
    return vfail(v, "block %u (%s) does not end with RET", bi, b->name);
  }
  uint32_t bad = 0;
  ok = check_loops(v, b, fx, &bad) && check_flow(v, b, fx, &bad);
  g_free(fx);
  return ok || block_fail_at(v, bi, b, bad);
}

/* ---- tables --------------------------------------------------------------------------- */

static bool check_block_ref(Verifier *v, uint32_t block, bool optional, const char *what) {
  if (optional && block == PJ_NO_BLOCK) return true;
  if (block >= v->m->n_blocks) return vfail(v, "%s: block %u out of range (%u blocks)", what, block, v->m->n_blocks);
  return true;
}

static bool check_slot(Verifier *v, uint32_t slot, const char *what) {
  if (slot >= v->m->n_globals) return vfail(v, "%s: global %u out of range (%u globals)", what, slot, v->m->n_globals);
  return true;
}

static bool check_units(Verifier *v) {
  const PModel *m = v->m;
  for (uint32_t u = 0; u < m->n_units; u++) {
    const PUnit *unit = &m->units[u];
    g_autofree char *what = g_strdup_printf("unit %u", u);
    if (unit->kind == PUNIT_LIFECYCLE) {
      if (unit->lifecycle >= m->n_lifecycles)
        return vfail(v, "%s: lifecycle %u out of range (%u lifecycles)", what, unit->lifecycle, m->n_lifecycles);
    } else if (!check_block_ref(v, unit->block, false, what) || !check_slot(v, unit->slot, what)) {
      return false;
    }
  }
  for (uint32_t o = 0; o < m->n_outputs; o++) {
    g_autofree char *what = g_strdup_printf("output %s", m->outputs[o].name);
    if (!check_slot(v, m->outputs[o].slot, what)) return false;
  }
  return check_block_ref(v, m->output_block, true, "the output record");
}

static bool check_lifecycles(Verifier *v) {
  const PModel *m = v->m;
  for (uint32_t i = 0; i < m->n_lifecycles; i++) {
    const PLifecycleCode *lc = &m->lifecycles[i];
    g_autofree char *what = g_strdup_printf("lifecycle %s", lc->name);
    if (lc->n_stages == 0 || lc->initial >= lc->n_stages)
      return vfail(v, "%s: initial stage %u of %u", what, lc->initial, lc->n_stages);
    if (!check_slot(v, lc->slot_stage, what) || !check_slot(v, lc->slot_entered, what)) return false;
    for (uint32_t t = 0; t < lc->n_transitions; t++) {
      const PTransitionCode *tc = &lc->transitions[t];
      if ((tc->from < -1 || tc->from >= (int64_t)lc->n_stages) || tc->to >= lc->n_stages)
        return vfail(v, "%s: transition %u: stage out of range", what, t);
      if (!check_block_ref(v, tc->block, false, what)) return false;
    }
  }
  return true;
}

static bool step_ref_ok(const PJourneyCode *j, uint32_t s) { return s == PJ_END || s < j->n_steps; }

/* The steps a step may go to next (as vm_journey.c follows them): link k
 * of 2 + n_arms, PJ_END when unused. */
static uint32_t step_n_links(const PJStep *s) { return 3 + (s->kind == PJS_SPLIT ? s->n_arms : 0); }

static uint32_t step_link(const PJStep *s, uint32_t k) {
  if (k == 0) return s->next;
  if (k <= 2) return s->kind != PJS_IF ? PJ_END : k == 1 ? s->then_step : s->else_step;
  return s->arm_step[k - 3];
}

static bool check_step(Verifier *v, const PJourneyCode *j, uint32_t k, const char *what) {
  const PJStep *s = &j->steps[k];
  bool action = s->kind <= PJS_WEBHOOK;
  if (action && (!s->text || (s->kind != PJS_WEBHOOK && !s->channel)))
    return vfail(v, "%s: step %u: action without its channel or text", what, k);
  bool needs_cond = s->kind == PJS_IF || s->kind == PJS_WAIT_UNTIL;
  bool needs_duration = s->kind == PJS_WAIT || s->kind == PJS_WAIT_UNTIL;
  if (!check_block_ref(v, s->cond, !needs_cond, what) || !check_block_ref(v, s->duration, !needs_duration, what))
    return false;
  if (s->by_experiment &&
      (s->kind != PJS_SPLIT || s->experiment >= v->m->n_experiments ||
       s->n_arms != v->m->experiments[s->experiment].n_arms))
    return vfail(v, "%s: step %u: split on experiment %u, which is not there or has other arms", what, k,
                 s->experiment);
  for (uint32_t l = 0; l < step_n_links(s); l++)
    if (!step_ref_ok(j, step_link(s, l)))
      return vfail(v, "%s: step %u links to a step out of range (%u steps)", what, k, j->n_steps);
  return true;
}

/* Steps run in a loop until one waits; a cycle would never end. Iterative
 * depth-first search (a journey may have many steps). */
static bool check_step_graph(Verifier *v, const PJourneyCode *j, const char *what) {
  uint8_t *color = g_new0(uint8_t, j->n_steps + 1); /* 0 new, 1 on the path, 2 done */
  uint32_t *stack = g_new(uint32_t, j->n_steps + 1), *next_link = g_new0(uint32_t, j->n_steps + 1);
  bool ok = true;
  for (uint32_t root = 0; root < j->n_steps && ok; root++) {
    if (color[root]) continue;
    uint32_t sp = 0;
    stack[sp++] = root;
    color[root] = 1;
    while (sp > 0 && ok) {
      uint32_t s = stack[sp - 1];
      const PJStep *st = &j->steps[s];
      if (next_link[s] == step_n_links(st)) {
        color[s] = 2;
        sp--;
        continue;
      }
      uint32_t t = step_link(st, next_link[s]++);
      if (t == PJ_END || color[t] == 2) continue;
      if (color[t] == 1) {
        ok = vfail(v, "%s: steps %u and %u form a cycle", what, s, t);
      } else {
        color[t] = 1;
        stack[sp++] = t;
      }
    }
  }
  g_free(color);
  g_free(stack);
  g_free(next_link);
  return ok;
}

static bool check_journeys(Verifier *v) {
  const PModel *m = v->m;
  for (uint32_t i = 0; i < m->n_journeys; i++) {
    const PJourneyCode *j = &m->journeys[i];
    g_autofree char *what = g_strdup_printf("journey %s", j->name);
    if (!check_slot(v, j->slot_entered, what)) return false;
    if (j->enter_kind == PJ_ENTER_ON) {
      if (j->enter_lifecycle >= m->n_lifecycles || j->enter_stage >= m->lifecycles[j->enter_lifecycle].n_stages)
        return vfail(v, "%s: entry stage out of range", what);
    } else if (j->enter_kind != PJ_ENTER_WHEN || !check_block_ref(v, j->enter_cond, false, what)) {
      return j->enter_kind != PJ_ENTER_WHEN ? vfail(v, "%s: unknown entry kind %u", what, j->enter_kind) : false;
    }
    if (!check_block_ref(v, j->exit_cond, true, what) || !check_block_ref(v, j->reenter_after, true, what))
      return false;
    if (!step_ref_ok(j, j->first)) return vfail(v, "%s: first step %u out of range", what, j->first);
    for (uint32_t k = 0; k < j->n_steps; k++)
      if (!check_step(v, j, k, what)) return false;
    if (!check_step_graph(v, j, what)) return false;
    for (uint32_t h = 0; h < j->n_holdouts; h++)
      if (j->holdouts[h] >= m->n_experiments || m->experiments[j->holdouts[h]].holdout < 0)
        return vfail(v, "%s: holdout of experiment %u, which is not there or has none", what, j->holdouts[h]);
  }
  return true;
}

/* The arms take every one of the PEXP_BUCKETS buckets, in ranges that
 * pexp_arm_of finds; the slots and the metric block are in range. */
static bool check_experiment(Verifier *v, const PExperimentCode *x) {
  g_autofree char *what = g_strdup_printf("experiment %s", x->name);
  if (x->salt_len == 0) return vfail(v, "%s: empty salt", what);
  if (x->n_arms == 0) return vfail(v, "%s: no arms", what);
  uint64_t total = 0;
  for (uint32_t a = 0; a < x->n_arms; a++) {
    if (x->arm_buckets[a] == 0) return vfail(v, "%s: arm %s has no buckets", what, x->arms[a]);
    total += x->arm_buckets[a];
  }
  if (total != PEXP_BUCKETS) return vfail(v, "%s: the arms take %" G_GUINT64_FORMAT " buckets, not %u", what, total, PEXP_BUCKETS);
  if (x->holdout < -1 || x->holdout >= (int64_t)x->n_arms ||
      (x->holdout >= 0 && strcmp(x->arms[x->holdout], "holdout") != 0))
    return vfail(v, "%s: holdout arm %d is not the arm named holdout", what, x->holdout);
  if (x->control >= x->n_arms) return vfail(v, "%s: control arm %u of %u", what, x->control, x->n_arms);
  if (x->window_us <= 0) return vfail(v, "%s: the metric's window is not positive", what);
  return check_slot(v, x->slot_arm, what) && check_slot(v, x->slot_assigned, what) &&
         check_block_ref(v, x->metric, false, what);
}

static bool check_experiments(Verifier *v) {
  for (uint32_t i = 0; i < v->m->n_experiments; i++)
    if (!check_experiment(v, &v->m->experiments[i])) return false;
  return true;
}

/* ---- decode plans ------------------------------------------------------------------------ */

static const PDecodeType *elem_type(const PDecodeType *t) {
  while (t && t->kind == PDT_LIST) t = t->elem;
  return t;
}

static bool check_plan_fields(Verifier *v, const PDecodePlan *p) {
  if (p->key_field < -1 || p->key_field >= (int64_t)p->n_fields || p->at_field < -1 ||
      p->at_field >= (int64_t)p->n_fields)
    return vfail(v, "record type %s: key or at field out of range", p->name);
  if (p->key_field >= 0) {
    PDecodeKind k = p->fields[p->key_field].type.kind;
    if (k != PDT_STRING && k != PDT_INT) return vfail(v, "record type %s: the key is not a string or int", p->name);
  }
  if (p->at_field >= 0 && p->fields[p->at_field].type.kind != PDT_TIME &&
      p->fields[p->at_field].type.kind != PDT_TIME_MS)
    return vfail(v, "record type %s: the at field is not a time", p->name);
  return true;
}

/* Record types that contain themselves (through lists too) cannot be
 * written in the language; refuse them rather than recurse on them. */
static bool plan_reaches(const PModel *m, uint32_t from, uint32_t target, uint8_t *seen) {
  const PDecodePlan *p = &m->plans[from];
  for (uint32_t f = 0; f < p->n_fields; f++) {
    const PDecodeType *t = elem_type(&p->fields[f].type);
    if (!t || t->kind != PDT_RECORD) continue;
    uint32_t to = (uint32_t)(t->record - m->plans);
    if (to == target) return true;
    if (seen[to]) continue;
    seen[to] = 1;
    if (plan_reaches(m, to, target, seen)) return true;
  }
  return false;
}

#define VERIFY_MAX_PLANS 4096u /* plan_reaches recurses once per record type */

static bool check_plans(Verifier *v) {
  const PModel *m = v->m;
  if (m->n_plans == 0 || m->profile_plan >= m->n_plans)
    return vfail(v, "profile record type %u out of range (%u record types)", m->profile_plan, m->n_plans);
  if (m->n_plans > VERIFY_MAX_PLANS) return vfail(v, "more than %u record types", VERIFY_MAX_PLANS);
  uint8_t *seen = g_new0(uint8_t, m->n_plans);
  bool ok = true;
  for (uint32_t i = 0; i < m->n_plans && ok; i++) {
    const PDecodePlan *p = &m->plans[i];
    ok = check_plan_fields(v, p);
    if (p->n_fields > v->max_fields) v->max_fields = p->n_fields;
    for (uint32_t f = 0; f < p->n_fields && ok; f++)
      if (!elem_type(&p->fields[f].type)) ok = vfail(v, "record type %s: field without a type", p->name);
    memset(seen, 0, m->n_plans);
    if (ok && plan_reaches(m, i, i, seen)) ok = vfail(v, "record type %s contains itself", p->name);
  }
  g_free(seen);
  return ok;
}

/* ---- who writes each global ------------------------------------------------------------------- */

/* Each global has one writer, as the compiler makes them: the VM writes
 * a unit's result into its slot, a lifecycle's stage and entered time
 * into its two, a journey's entered time into its own, an experiment's
 * arm and assigned time into its two; a fused pass (a
 * unit's block) writes the query results it computes with SETG, into
 * slots nothing else writes. A crafted file that gives a slot two writers,
 * or writes with SETG outside a unit's block or into a slot the VM fills,
 * is refused: a global then holds only what its one writer computed in
 * this evaluation (globals start every record from their initial values,
 * vm.c). */
static bool claim_global(Verifier *v, const char **writer, uint32_t slot, const char *what) {
  if (writer[slot]) return vfail(v, "global %u is written by both %s and %s", slot, writer[slot], what);
  writer[slot] = what;
  return true;
}

static bool check_global_writes(Verifier *v) {
  const PModel *m = v->m;
  const char **writer = g_new0(const char *, m->n_globals + 1);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  uint8_t *unit_block = g_new0(uint8_t, m->n_blocks + 1);
  bool ok = true;
  for (uint32_t u = 0; u < m->n_units && ok; u++) {
    if (m->units[u].kind == PUNIT_LIFECYCLE) continue;
    char *what = g_strdup_printf("unit %u", u);
    g_ptr_array_add(names, what);
    ok = claim_global(v, writer, m->units[u].slot, what);
    unit_block[m->units[u].block] = 1;
  }
  for (uint32_t i = 0; i < m->n_lifecycles && ok; i++) {
    char *what = g_strdup_printf("lifecycle %s", m->lifecycles[i].name);
    g_ptr_array_add(names, what);
    ok = claim_global(v, writer, m->lifecycles[i].slot_stage, what) &&
         claim_global(v, writer, m->lifecycles[i].slot_entered, what);
  }
  for (uint32_t i = 0; i < m->n_journeys && ok; i++) {
    char *what = g_strdup_printf("journey %s", m->journeys[i].name);
    g_ptr_array_add(names, what);
    ok = claim_global(v, writer, m->journeys[i].slot_entered, what);
  }
  for (uint32_t i = 0; i < m->n_experiments && ok; i++) {
    char *what = g_strdup_printf("experiment %s", m->experiments[i].name);
    g_ptr_array_add(names, what);
    ok = claim_global(v, writer, m->experiments[i].slot_arm, what) &&
         claim_global(v, writer, m->experiments[i].slot_assigned, what);
  }
  /* Written with SETG: the slot is taken by the first block that writes
   * it; the same block may write it again, no other block may. */
  for (uint32_t bi = 0; bi < m->n_blocks && ok; bi++) {
    const PBlock *b = &m->blocks[bi];
    for (uint32_t pc = 0; pc < b->n_code && ok; pc++) {
      if (b->code[pc].op != OP_SETG) continue;
      uint32_t slot = b->code[pc].bx;
      if (!unit_block[bi]) {
        ok = vfail(v, "block %u (%s), instruction %u (SETG): writes global %u outside a unit's block", bi,
                   b->name ? b->name : "?", pc, slot);
        break;
      }
      char *what = g_strdup_printf("block %u (%s)", bi, b->name ? b->name : "?");
      g_ptr_array_add(names, what);
      if (writer[slot] && strcmp(writer[slot], what) == 0) continue;
      ok = claim_global(v, writer, slot, what);
    }
  }
  g_free(writer);
  g_free(unit_block);
  return ok;
}

/* ---- the model ------------------------------------------------------------------------------ */

static bool verify_model(Verifier *v) {
  const PModel *m = v->m;
  if (m->max_regs == 0 || m->max_regs > VERIFY_MAX_REGS)
    return vfail(v, "%u registers (at most %u)", m->max_regs, VERIFY_MAX_REGS);
  if (m->n_dsets > VERIFY_MAX_REGS) return vfail(v, "%u distinct-sets (at most %u)", m->n_dsets, VERIFY_MAX_REGS);
  if (!check_plans(v)) return false;
  /* GETF may also read records built by MKREC. */
  for (uint32_t bi = 0; bi < m->n_blocks; bi++)
    for (uint32_t pc = 0; pc < m->blocks[bi].n_code; pc++)
      if (m->blocks[bi].code[pc].op == OP_MKREC && m->blocks[bi].code[pc].c > v->max_fields)
        v->max_fields = m->blocks[bi].code[pc].c;
  for (uint32_t bi = 0; bi < m->n_blocks; bi++)
    if (!check_block(v, bi)) return false;
  return check_units(v) && check_lifecycles(v) && check_experiments(v) && check_journeys(v) &&
         check_global_writes(v) && pbc_verify_kinds(m, v->error);
}

bool pbc_verify(const PModel *m, GError **error) {
  Verifier v = {.m = m, .error = error};
  if (m->n_traces > 0 || m->n_tests > 0) return vfail(&v, "trace points or tests in a model for evaluation");
  return verify_model(&v);
}

bool pbc_verify_generated(const PModel *m, GError **error) {
  Verifier v = {.m = m, .error = error, .allow_trace = true};
  return verify_model(&v);
}
