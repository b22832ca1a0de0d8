/* vm.c - the interpreter loop: one block run on a state (pvm_exec), its
 * helpers and the instruction budget; see vm.h. The per-record driver is
 * vm_record.c. */
#include "vm.h"

#include "natives.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- errors ------------------------------------------------------------------- */

static bool vm_fail(PVMState *st, const PBlock *b, uint32_t pc, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

/* "division by zero in score fit (model.persona:12:9)" */
static bool vm_fail(PVMState *st, const PBlock *b, uint32_t pc, const char *fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  g_vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  const PInsnLoc *l = &b->locs[pc];
  const PModel *m = st->model;
  if (!st->error_code) st->error_code = "runtime";
  g_snprintf(st->error, sizeof st->error, "%s in %s (%s:%u:%u)", msg, b->name,
             l->file < m->n_files ? m->file_names[l->file] : "?", l->line, l->col);
  return false;
}

static bool vm_fail_memory(PVMState *st, const PBlock *b, uint32_t pc) {
  st->error_code = "too_large";
  return vm_fail(st, b, pc, "out of memory for this record");
}

/* A builtin failed. When arguments are pii (bits in the CALL's x byte), the
 * message is built again by the same pure function told which arguments
 * to write as "(pii)": the flag costs nothing on calls that succeed. */
static bool vm_call_fail(PVMState *st, const PBlock *b, uint32_t pc, const PCallSite *cs,
                         const PValue *args, uint8_t pii_args) {
  if (pii_args) {
    PValue ignored;
    st->call.hide_args = pii_args;
    if (pbuiltins[cs->builtin].fn(&st->call, args, cs->nargs, cs->aux, &ignored))
      g_strlcpy(st->call.error, "a built-in function failed", sizeof st->call.error);
    st->call.hide_args = 0;
  }
  return vm_fail(st, b, pc, "%s", st->call.error);
}

/* ---- comparisons ------------------------------------------------------------------ */

/* <0, 0, >0 for two non-null values of one orderable kind. Values of
 * different kinds (only bytecode from a hostile file makes them) compare
 * by kind, so a string is never read through an int's bits; int and
 * number compare as numbers. */
static int vm_compare(PValue a, PValue b) {
  if (a.kind != b.kind) {
    if (a.kind == PV_INT && b.kind == PV_NUMBER) a = pv_number((double)a.u.i);
    else if (a.kind == PV_NUMBER && b.kind == PV_INT) b = pv_number((double)b.u.i);
    else return a.kind < b.kind ? -1 : 1;
  }
  switch (a.kind) {
  case PV_NUMBER: return a.u.n < b.u.n ? -1 : a.u.n > b.u.n ? 1 : 0;
  case PV_STRING: {
    uint32_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.u.s, b.u.s, n) : 0;
    if (c) return c;
    return a.len < b.len ? -1 : a.len > b.len ? 1 : 0;
  }
  case PV_LIST: case PV_RECORD: return 0; /* not ordered: never by their addresses */
  default: return a.u.i < b.u.i ? -1 : a.u.i > b.u.i ? 1 : 0;
  }
}

static inline bool vm_truthy(PValue v) { return v.kind == PV_BOOL && v.u.b; }

/* ---- distinct sets ------------------------------------------------------------------ */

static bool dset_clear(PVMState *st, PDistinctSet *s) {
  s->mask = 15;
  s->count = 0;
  s->slots = pa_alloc(&st->arena, sizeof(PValue) * 16);
  if (!s->slots) return false;
  memset(s->slots, 0, sizeof(PValue) * 16);
  return true;
}

static bool dset_insert(PDistinctSet *s, PValue v) {
  uint32_t h = (uint32_t)pvalue_hash(v) & s->mask;
  while (s->slots[h].kind != PV_NULL) {
    if (pvalue_equal(s->slots[h], v)) return false;
    h = (h + 1) & s->mask;
  }
  s->slots[h] = v;
  s->count++;
  return true;
}

static bool dset_add(PVMState *st, PDistinctSet *s, PValue v) {
  if (v.kind == PV_NULL) return true;
  if ((s->count + 1) * 2 > s->mask + 1) {
    PDistinctSet bigger = {.mask = s->mask * 2 + 1};
    bigger.slots = pa_alloc(&st->arena, sizeof(PValue) * (bigger.mask + 1));
    if (!bigger.slots) return false;
    memset(bigger.slots, 0, sizeof(PValue) * (bigger.mask + 1));
    for (uint32_t i = 0; i <= s->mask; i++)
      if (s->slots[i].kind != PV_NULL) dset_insert(&bigger, s->slots[i]);
    *s = bigger;
  }
  dset_insert(s, v);
  return true;
}

/* ---- the interpreter ----------------------------------------------------------------- */

/* `type == "page_view"`: the comparison that filters most event queries. */
static inline bool vm_str_eq(PValue x, PValue k) {
  return x.kind == PV_STRING && x.len == k.len && pv_bytes_equal(x.u.s, k.u.s, k.len);
}

static bool vm_in_list(PValue x, PValue list) {
  if (x.kind == PV_NULL || list.kind != PV_LIST) return false;
  for (uint32_t i = 0; i < list.len; i++)
    if (pvalue_equal(x, list.u.items[i])) return true;
  return false;
}

static bool vm_number_ok(double d) { return isfinite(d); }

/* Kind guard for CALL: builtins read their arguments as the kinds their
 * parameters say (a string's pointer, a list's items). The checker
 * guarantees that for compiled code and the verifier for a file
 * (verify_kinds.c) wherever a kind is known; it lets a value of no known
 * kind reach CALL, so the kinds are checked here too (a few instructions
 * per call). Null is let through: it is all zeros (no pointer, length
 * 0), which every builtin reads safely. */
static bool vm_args_ok(const PCallSite *cs, const PValue *args) {
#define K(kind) (1u << (kind))
  /* Per parameter type, the kinds it accepts (null always): a bit test
   * per argument instead of a switch. */
  static const uint32_t accepts[] = {
      [PBT_BOOL] = K(PV_NULL) | K(PV_BOOL),
      [PBT_INT] = K(PV_NULL) | K(PV_INT),
      [PBT_NUMBER] = K(PV_NULL) | K(PV_NUMBER) | K(PV_INT),
      [PBT_STRING] = K(PV_NULL) | K(PV_STRING),
      [PBT_TIME] = K(PV_NULL) | K(PV_TIME),
      [PBT_DURATION] = K(PV_NULL) | K(PV_DURATION),
      [PBT_LIST_STRING] = K(PV_NULL) | K(PV_LIST),
      [PBT_LIST_ANY] = K(PV_NULL) | K(PV_LIST),
  };
#undef K
  const PBuiltin *bi = &pbuiltins[cs->builtin];
  for (uint32_t k = 0; k < cs->nargs; k++) {
    PBuiltinType t = bi->params[k < bi->nparams ? k : (uint32_t)bi->nparams - 1];
    uint8_t kind = args[k].kind;
    if (kind >= 32 || !(accepts[t] >> kind & 1)) return false;
    /* sort() reads its elements as strings: an int's bits (and a length
     * left over in the register) would be a pointer. The verifier proves
     * the elements' kind wherever it knows them; this covers the rest. */
    if (t == PBT_LIST_STRING && kind == PV_LIST)
      for (uint32_t e = 0; e < args[k].len; e++)
        if (args[k].u.items[e].kind != PV_STRING && args[k].u.items[e].kind != PV_NULL) return false;
  }
  return true;
}

/* ---- the budget and the interrupt hook ------------------------------------------------ */

/* Sets the counters for a new record. Without a hook, budget_left is the
 * whole budget (+1: it fails when it reaches 0). With one, it is the first
 * slice of at most PVM_INTERRUPT_EVERY and the rest waits in
 * budget_reserve. */
void pvm_budget_start(PVMState *st) {
  uint64_t total = st->budget ? st->budget + 1 : UINT64_MAX;
  st->interrupted = false;
  uint64_t slice = st->interrupt && total > PVM_INTERRUPT_EVERY ? PVM_INTERRUPT_EVERY : total;
  st->budget_left = slice;
  st->budget_reserve = total - slice;
}

/* budget_left reached 0: the budget is spent (false), or a slice ended and
 * the hook says whether to stop (false, st->interrupted) or go on with the
 * next slice (true). Every instruction still counts once against the
 * budget, so the budget means the same with and without a hook. */
static bool vm_next_slice(PVMState *st) {
  if (!st->interrupt || st->budget_reserve == 0) return false;
  if (st->interrupt(st->interrupt_data)) {
    st->interrupted = true;
    return false;
  }
  uint64_t slice = st->budget_reserve < PVM_INTERRUPT_EVERY ? st->budget_reserve : PVM_INTERRUPT_EVERY;
  st->budget_left = slice;
  st->budget_reserve -= slice;
  return true;
}

/* Work a builtin did (a regex match's steps) counts against the budget
 * like instructions, and long work polls the hook between slices. */
bool pvm_charge(PCallCtx *ctx, uint64_t units) {
  PVMState *st = ctx->charge_data;
  while (units >= st->budget_left) {
    units -= st->budget_left;
    st->budget_left = 0;
    if (!vm_next_slice(st)) {
      if (st->interrupted) g_strlcpy(ctx->error, "interrupted", sizeof ctx->error);
      else snprintf(ctx->error, sizeof ctx->error, "instruction budget of %" G_GUINT64_FORMAT " exceeded", st->budget);
      return false;
    }
  }
  st->budget_left -= units;
  return true;
}

/* Dispatch: with GCC/Clang each instruction jumps straight to the next
 * one's code (computed goto, one indirect branch per instruction site,
 * which predicts far better than a single switch jump; CMakeLists.txt
 * keeps GCC from merging those jumps again); elsewhere, or with
 * -DPERSONA_NO_COMPUTED_GOTO, the same body runs as a plain switch. Both
 * share the code below: CASE opens an instruction, NEXT ends it. The
 * budget check is one decrement and a never-taken branch. */
#if defined(__GNUC__) && !defined(PERSONA_NO_COMPUTED_GOTO)
#define PVM_THREADED 1
#define CASE(op) L_##op: case OP_##op
#define NEXT                                                                 \
  do {                                                                       \
    i = ip++;                                                                \
    if (G_UNLIKELY(--st->budget_left == 0)) goto over_budget;               \
    goto *labels[i->op];                                                     \
  } while (0)
#else
#define PVM_THREADED 0
#define CASE(op) case OP_##op
#define NEXT break
#endif

/* The index of the running instruction, for messages. */
#define HERE ((uint32_t)(i - code))
/* Arithmetic reads u.i/u.n of its operands without looking at the kind:
 * the verifier proves that no operand of ADDI … DECAY can be a string,
 * list or record (runtime/verify_kinds.c; docs/bytecode.md, "Kinds"),
 * whose u.i/u.n would be the bits of a pointer. */

bool pvm_exec(PVMState *st, uint32_t block, PValue *out) {
  const PModel *m = st->model;
  const PBlock *b = &m->blocks[block];
  const PInsn *code = b->code;
  PValue *R = st->regs;
  const PInsn *ip = code; /* the next instruction */
  const PInsn *i;         /* the one running */
#if PVM_THREADED
  G_STATIC_ASSERT(OP__COUNT <= 256);
  /* One entry per value of the op byte: an unknown one (which the
   * verifier never lets through) lands on bad_op without a range check. */
  static const void *const labels[256] = {
#define PERSONA_OP_LABEL(name, ...) &&L_##name,
      PERSONA_OPCODES(PERSONA_OP_LABEL)
#undef PERSONA_OP_LABEL
      [OP__COUNT ... 255] = &&bad_op,
  };
  NEXT;
#endif
  for (;;) {
    i = ip++;
    /* Unlimited is UINT64_MAX: one decrement and a branch that is never
     * taken. */
    if (G_UNLIKELY(--st->budget_left == 0)) goto over_budget;
  dispatch: /* back from a poll of the interrupt hook, to run `i` */
    switch ((POpcode)i->op) {
    CASE(NOP): NEXT;
    CASE(LOADK): R[i->a] = m->consts[i->bx]; NEXT;
    CASE(LOADNULL): R[i->a] = pv_null(); NEXT;
    CASE(LOADBOOL): R[i->a] = pv_bool(i->b != 0); NEXT;
    CASE(LOADINT): R[i->a] = pv_int(i->sbx); NEXT;
    CASE(MOVE): R[i->a] = R[i->b]; NEXT;
    CASE(GETG): R[i->a] = st->globals[i->bx]; NEXT;
    CASE(SETG): st->globals[i->bx] = R[i->a]; NEXT;
    CASE(GETP): R[i->a] = st->profile[i->bx]; NEXT;
    CASE(GETF): {
      PValue r = R[i->b];
      R[i->a] = r.kind == PV_RECORD && i->c < r.len ? r.u.items[i->c] : pv_null();
      NEXT;
    }
    CASE(UNPACK): {
      PValue r = R[i->b];
      uint32_t n = i->x, c = i->c;
      PValue *dst = &R[i->a];
      if (G_LIKELY(r.kind == PV_RECORD && c + n <= r.len)) {
        const PValue *src = r.u.items + c;
        dst[0] = src[0]; /* n >= 2: the verifier sees to it */
        dst[1] = src[1];
        for (uint32_t k = 2; k < n; k++) dst[k] = src[k];
      } else { /* null (or a record of another type: hostile bytecode) */
        for (uint32_t k = 0; k < n; k++)
          dst[k] = r.kind == PV_RECORD && c + k < r.len ? r.u.items[c + k] : pv_null();
      }
      NEXT;
    }
    CASE(NOW): R[i->a] = pv_time(st->now_us); NEXT;
    CASE(ADDI): {
      int64_t v;
      if (__builtin_add_overflow(R[i->b].u.i, R[i->c].u.i, &v))
        return vm_fail(st, b, HERE, "integer overflow in '+'");
      R[i->a].u.i = v;
      R[i->a].kind = i->x;
      NEXT;
    }
    CASE(SUBI): {
      int64_t v;
      if (__builtin_sub_overflow(R[i->b].u.i, R[i->c].u.i, &v))
        return vm_fail(st, b, HERE, "integer overflow in '-'");
      R[i->a].u.i = v;
      R[i->a].kind = i->x;
      NEXT;
    }
    CASE(MULI): {
      int64_t v;
      if (__builtin_mul_overflow(R[i->b].u.i, R[i->c].u.i, &v))
        return vm_fail(st, b, HERE, "integer overflow in '*'");
      R[i->a] = pv_int(v);
      NEXT;
    }
    CASE(MODI): {
      int64_t d = R[i->c].u.i;
      if (d == 0) return vm_fail(st, b, HERE, "remainder of division by zero");
      R[i->a] = pv_int(d == -1 ? 0 : R[i->b].u.i % d);
      NEXT;
    }
    CASE(NEGI): {
      int64_t v = R[i->b].u.i;
      if (v == INT64_MIN) return vm_fail(st, b, HERE, "integer overflow in '-'");
      R[i->a].u.i = -v;
      R[i->a].kind = i->x;
      NEXT;
    }
    CASE(ADDN): {
      double v = R[i->b].u.n + R[i->c].u.n;
      if (!vm_number_ok(v)) return vm_fail(st, b, HERE, "number out of range in '+'");
      R[i->a] = pv_number(v);
      NEXT;
    }
    CASE(SUBN): {
      double v = R[i->b].u.n - R[i->c].u.n;
      if (!vm_number_ok(v)) return vm_fail(st, b, HERE, "number out of range in '-'");
      R[i->a] = pv_number(v);
      NEXT;
    }
    CASE(MULN): {
      double v = R[i->b].u.n * R[i->c].u.n;
      if (!vm_number_ok(v)) return vm_fail(st, b, HERE, "number out of range in '*'");
      R[i->a] = pv_number(v);
      NEXT;
    }
    CASE(DIVN): {
      double d = R[i->c].u.n;
      if (d == 0) return vm_fail(st, b, HERE, "division by zero");
      double v = R[i->b].u.n / d;
      if (!vm_number_ok(v)) return vm_fail(st, b, HERE, "number out of range in '/'");
      R[i->a] = pv_number(v);
      NEXT;
    }
    CASE(MODN): {
      double d = R[i->c].u.n;
      if (d == 0) return vm_fail(st, b, HERE, "remainder of division by zero");
      R[i->a] = pv_number(fmod(R[i->b].u.n, d));
      NEXT;
    }
    CASE(NEGN): {
      R[i->a] = pv_number(-R[i->b].u.n);
      NEXT;
    }
    CASE(I2N):
      if (R[i->b].kind == PV_INT) R[i->a] = pv_number((double)R[i->b].u.i);
      else R[i->a] = R[i->b];
      NEXT;
    CASE(MULDN): {
      double v = (double)R[i->b].u.i * R[i->c].u.n;
      if (!(v > -9.2e18 && v < 9.2e18)) return vm_fail(st, b, HERE, "duration out of range in '*'");
      R[i->a] = pv_duration(llround(v));
      NEXT;
    }
    CASE(DIVDN): {
      double d = R[i->c].u.n;
      if (d == 0) return vm_fail(st, b, HERE, "division by zero");
      double v = (double)R[i->b].u.i / d;
      if (!(v > -9.2e18 && v < 9.2e18)) return vm_fail(st, b, HERE, "duration out of range in '/'");
      R[i->a] = pv_duration(llround(v));
      NEXT;
    }
    CASE(DIVDD): {
      int64_t d = R[i->c].u.i;
      if (d == 0) return vm_fail(st, b, HERE, "division by a zero duration");
      R[i->a] = pv_number((double)R[i->b].u.i / (double)d);
      NEXT;
    }
    CASE(CONCAT): {
      PValue x = R[i->b], y = R[i->c];
      /* Kind guard: anything but a string (null included) adds nothing. */
      if (x.kind != PV_STRING) x.len = 0;
      if (y.kind != PV_STRING) y.len = 0;
      if ((uint64_t)x.len + y.len > UINT32_MAX / 2)
        return vm_fail(st, b, HERE, "string too long in '+'");
      char *s = pa_alloc(&st->arena, (size_t)x.len + y.len + 1);
      if (!s) return vm_fail_memory(st, b, HERE);
      if (x.len) memcpy(s, x.u.s, x.len);
      if (y.len) memcpy(s + x.len, y.u.s, y.len);
      R[i->a] = pv_string(s, x.len + y.len);
      NEXT;
    }
    CASE(EQ): R[i->a] = pv_bool(pvalue_equal(R[i->b], R[i->c])); NEXT;
    CASE(EQSK): R[i->a] = pv_bool(vm_str_eq(R[i->b], m->consts[i->c])); NEXT;
    CASE(NESK): R[i->a] = pv_bool(!vm_str_eq(R[i->b], m->consts[i->c])); NEXT;
    CASE(NE): R[i->a] = pv_bool(!pvalue_equal(R[i->b], R[i->c])); NEXT;
    CASE(LT): {
      PValue x = R[i->b], y = R[i->c];
      R[i->a] = pv_bool(x.kind != PV_NULL && y.kind != PV_NULL && vm_compare(x, y) < 0);
      NEXT;
    }
    CASE(LE): {
      PValue x = R[i->b], y = R[i->c];
      R[i->a] = pv_bool(x.kind != PV_NULL && y.kind != PV_NULL && vm_compare(x, y) <= 0);
      NEXT;
    }
    /* The checker proved both sides are non-null 64-bit values of one kind;
     * the verifier, for a file, that neither is a string, list or record. */
    CASE(LTI): {
      R[i->a] = pv_bool(R[i->b].u.i < R[i->c].u.i);
      NEXT;
    }
    CASE(LEI): {
      R[i->a] = pv_bool(R[i->b].u.i <= R[i->c].u.i);
      NEXT;
    }
    CASE(IN): R[i->a] = pv_bool(vm_in_list(R[i->b], R[i->c])); NEXT;
    CASE(INSET): R[i->a] = pv_bool(pconstset_has(&m->sets[i->c], R[i->b])); NEXT;
    CASE(NOT): R[i->a] = pv_bool(!vm_truthy(R[i->b])); NEXT;
    CASE(TRUTH): R[i->a] = pv_bool(vm_truthy(R[i->b])); NEXT;
    CASE(JMP): ip += i->sbx; NEXT;
    CASE(JMPF): if (!vm_truthy(R[i->a])) ip += i->sbx; NEXT;
    CASE(JMPT): if (vm_truthy(R[i->a])) ip += i->sbx; NEXT;
    CASE(JMPNULL): if (R[i->a].kind == PV_NULL) ip += i->sbx; NEXT;
    CASE(JMPNN): if (R[i->a].kind != PV_NULL) ip += i->sbx; NEXT;
    /* The JMP after these two is theirs (the verifier checks it): taking
     * it here saves its dispatch. */
    CASE(JNESK): ip += vm_str_eq(R[i->a], m->consts[i->b]) ? 1 : 1 + ip->sbx; NEXT;
    CASE(JLTI): {
      ip += R[i->a].u.i < R[i->b].u.i ? 1 + ip->sbx : 1;
      NEXT;
    }
    CASE(CALL): {
      const PCallSite *cs = &m->calls[i->bx];
      PValue res;
      if (G_UNLIKELY(!vm_args_ok(cs, &R[i->a])))
        return vm_fail(st, b, HERE, "invalid bytecode: an argument of %s() has the wrong kind",
                       pbuiltins[cs->builtin].name);
      if (!pbuiltins[cs->builtin].fn(&st->call, &R[i->a], cs->nargs, cs->aux, &res))
        return vm_call_fail(st, b, HERE, cs, &R[i->a], i->x);
      R[i->a] = res;
      NEXT;
    }
    CASE(CALLN): {
      PValue res;
      char msg[256];
      if (!pnative_call(m->natives[i->bx], &R[i->a], &st->arena, &res, msg, sizeof msg))
        return vm_fail(st, b, HERE, "%s", msg);
      R[i->a] = res;
      NEXT;
    }
    CASE(LEN): R[i->a] = pv_int(R[i->b].kind == PV_LIST ? R[i->b].len : 0); NEXT;
    CASE(FORPREP): R[i->a + 1] = pv_int(0); NEXT;
    CASE(FORNEXT): {
      PValue list = R[i->a];
      int64_t k = R[i->a + 1].u.i;
      /* Kind guards: the index is an int in 0..len (FORPREP's, unless the
       * bytecode is hostile). */
      if (list.kind == PV_LIST && R[i->a + 1].kind == PV_INT && k >= 0 && k < (int64_t)list.len) {
        R[i->a + 2] = list.u.items[k];
        R[i->a + 1].u.i = k + 1;
      } else {
        ip += i->sbx;
      }
      NEXT;
    }
    CASE(INCI):
      if (R[i->a].kind != PV_INT || R[i->a].u.i == INT64_MAX)
        return vm_fail(st, b, HERE, "invalid bytecode: INCI of a value that is not a counter");
      R[i->a].u.i++;
      NEXT;
    CASE(DECAY): {
      int64_t age_us;
      /* A time of the wrong kind could be any 64 bits: no signed overflow. */
      if (__builtin_sub_overflow(st->now_us, R[i->b].u.i, &age_us))
        return vm_fail(st, b, HERE, "time out of range in decay");
      double age = (double)age_us;
      R[i->a] = pv_number(pow(0.5, age / (double)R[i->c].u.i));
      NEXT;
    }
    CASE(MINV): {
      R[i->a] = pv_number(fmin(R[i->b].u.n, R[i->c].u.n));
      NEXT;
    }
    CASE(MAXV): {
      R[i->a] = pv_number(fmax(R[i->b].u.n, R[i->c].u.n));
      NEXT;
    }
    CASE(AGGMIN): {
      PValue v = R[i->b];
      if (v.kind != PV_NULL && (R[i->a].kind == PV_NULL || vm_compare(v, R[i->a]) < 0)) R[i->a] = v;
      NEXT;
    }
    CASE(AGGMAX): {
      PValue v = R[i->b];
      if (v.kind != PV_NULL && (R[i->a].kind == PV_NULL || vm_compare(v, R[i->a]) > 0)) R[i->a] = v;
      NEXT;
    }
    CASE(DSETCLR):
      if (!dset_clear(st, &st->dsets[i->a])) return vm_fail_memory(st, b, HERE);
      NEXT;
    CASE(DSETADD):
      if (!dset_add(st, &st->dsets[i->a], R[i->b]))
        return vm_fail_memory(st, b, HERE);
      NEXT;
    CASE(DSETCNT): R[i->a] = pv_int(st->dsets[i->b].count); NEXT;
    CASE(MKLIST):
    CASE(MKREC): {
      PValue *items = pa_alloc(&st->arena, sizeof(PValue) * (i->c ? i->c : 1));
      if (!items) return vm_fail_memory(st, b, HERE);
      memcpy(items, &R[i->b], sizeof(PValue) * i->c);
      R[i->a] = i->op == OP_MKLIST ? pv_list(items, i->c) : pv_record(items, i->c);
      NEXT;
    }
    CASE(TAGS): {
      uint32_t n = 0;
      PValue *names = pa_alloc(&st->arena, sizeof(PValue) * (m->n_outputs ? m->n_outputs : 1));
      if (!names) return vm_fail_memory(st, b, HERE);
      for (uint32_t k = 0; k < m->n_outputs; k++) {
        const POutput *o = &m->outputs[k];
        PValue v = st->globals[o->slot];
        if (o->kind == POUT_TAG && v.kind == PV_BOOL && v.u.b)
          names[n++] = pv_string(o->name, (uint32_t)strlen(o->name));
      }
      R[i->a] = pv_list(names, n);
      NEXT;
    }
    CASE(TRACE):
      if (st->trace) st->trace(st->trace_user, i->b, R[i->a]);
      NEXT;
    CASE(NCWIN): {
      /* In the window while at >= now' - (now - lo): leaves 1 µs after at + now - lo. */
      PValue at = R[i->a], lo = R[i->b];
      int64_t t;
      if (at.kind == PV_TIME && lo.kind == PV_TIME && !__builtin_sub_overflow(at.u.i, lo.u.i, &t) &&
          !__builtin_add_overflow(t, st->now_us + 1, &t) && t < st->next_change) {
        if (i->x) pvm_nc_note_pii(st, t);
        else if (t > st->now_us) st->next_change = t;
      }
      NEXT;
    }
    CASE(NCLT):
    CASE(NCLE):
    CASE(NCEQ): pvm_nc_compare(st, i->op, R[i->a], R[i->b], m->consts[i->c], i->x != 0); NEXT;
    CASE(NCSTEP): pvm_nc_step(st, R[i->a], m->consts[i->b], i->x != 0); NEXT;
    CASE(NCNEXT): pvm_nc_note(st, st->now_us < INT64_MAX ? st->now_us + 1 : st->now_us); NEXT;
    CASE(NCDHALF): pvm_nc_decay_start(st, i->b, R[i->a]); NEXT;
    CASE(NCDRULE): pvm_nc_decay_rule(st, i->c, R[i->a], R[i->b]); NEXT;
    CASE(NCDCLAMP): pvm_nc_decay_clamp(st, i->c, R[i->a], R[i->b]); NEXT;
    CASE(NCLCLR): pvm_nc_leave_clear(st, i->a); NEXT;
    CASE(NCLADD): pvm_nc_leave_add(st, i->c, R[i->a], R[i->b], i->x != 0); NEXT;
    CASE(NCKLT):
    CASE(NCKLE):
    CASE(NCKEQ): pvm_nc_count(st, i->op, R[i->a], R[i->b], i->c, i->x); NEXT;
    CASE(NCMAXAT):
      if (R[i->b].kind == PV_TIME && (R[i->a].kind != PV_TIME || R[i->b].u.i > R[i->a].u.i)) R[i->a] = R[i->b];
      NEXT;
    CASE(RET): *out = R[i->a]; return true;
    default: return vm_fail(st, b, HERE, "bad instruction %u", i->op);
    }
  }
over_budget:
  if (vm_next_slice(st)) goto dispatch;
  st->error_code = st->interrupted ? "interrupted" : "budget";
  if (st->interrupted) return vm_fail(st, b, HERE, "interrupted");
  return vm_fail(st, b, HERE, "instruction budget of %" G_GUINT64_FORMAT " exceeded", st->budget);
bad_op:
  return vm_fail(st, b, HERE, "bad instruction %u", i->op);
}
