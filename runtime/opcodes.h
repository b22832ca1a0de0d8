/* opcodes.h - the one table of VM instructions.
 *
 * Every instruction is 8 bytes:
 *
 *    0       8       16              32              48             63
 *   +-------+-------+---------------+---------------+---------------+
 *   |  op   |   x   |       A       |       B       |       C       |
 *   +-------+-------+---------------+---------------+---------------+
 *                                   |     Bx (unsigned) / sBx       |
 *                                   +-------------------------------+
 *
 * A, B, C name registers (16 bits: at most 65 536 registers in a block,
 * far above what one expression needs) or small operands; Bx indexes the
 * constant pool, global slots, call sites (32 bits); sBx is a jump offset
 * relative to the next instruction. `x` is a result kind for the integer
 * ops that serve int, time and duration alike.
 *
 * This X-macro list is the one table of what every instruction is and
 * does to its operands. The opcode enum, the VM's dispatch table, the
 * listing (disasm.c), the bytecode reader and writer (bytecode.c), the
 * verifier (verify.c) and the opcode table of docs/bytecode.md
 * (runtime/gen_bytecode_doc.c) are all derived from it:
 *
 *   OP(name, format, flow, A, B, C, x, (kA, kB, kC, kResult), synopsis)
 *
 * format   how the operands are laid out: A, AB, ABC, ABx, AsBx, sBx.
 * flow     where control goes next (PERSONA_OP_FLOWS below).
 * A, B, C  the role of each operand (PERSONA_OP_ROLES below); for the
 *          formats ABx, AsBx and sBx the B column is the role of Bx or
 *          sBx and C is `_`.
 * x        the role of the x byte: `_` (then it must be 0), KIND, COUNT or
 *          PIIARGS (any value: the arguments an error message must not quote).
 * kinds    (kA, kB, kC, kResult): the kinds of value each register operand
 *          A, B, C may hold when it is read, and the kind of the result
 *          (PERSONA_OP_KINDS below; `_` for an operand that is not a
 *          register read, or no result). The verifier follows the kind of
 *          every register through the block and refuses an instruction
 *          that could read a value of another kind (verify.c).
 * synopsis one line (docs/bytecode.md and the listing print it).
 *
 * opcodes.c checks at compile time that every row is whole (a jump has
 * its offset, a span its count, an operand the format lacks is `_`).
 *
 * JNESK and JLTI test and jump in one dispatch: the jump is the JMP that
 * must follow them (the verifier checks it), read by the test itself.
 * UNPACK loads x consecutive fields of a record (a fused pass's element)
 * in one dispatch; its count is the x byte. New opcodes come last so that
 * the numbers of the older ones stay the same.
 *
 * Ownership: static tables only (popcode_info, opcodes.c); nothing is
 * allocated.
 */
#ifndef PERSONA_OPCODES_H
#define PERSONA_OPCODES_H

#include <stdbool.h>
#include <stdint.h>

/* Where control goes after an instruction: FLOW(name, meaning). */
#define PERSONA_OP_FLOWS(FLOW)                                                              \
  FLOW(NEXT, "the next instruction")                                                        \
  FLOW(BRANCH, "pc + 1 + sBx, or the next instruction")                                     \
  FLOW(GOTO, "pc + 1 + sBx")                                                                \
  FLOW(SKIP, "the JMP that follows (the jump taken) or the one after it (stepped over)")    \
  FLOW(RET, "out of the block")

/* What an operand is: ROLE(name, meaning). The verifier checks each
 * index against its table and follows each register read and write. */
#define PERSONA_OP_ROLES(ROLE)                                                               \
  ROLE(_, "unused")                                                                          \
  ROLE(R, "a register, read")                                                                \
  ROLE(W, "a register, written")                                                             \
  ROLE(RW, "a register, read and written")                                                   \
  ROLE(K, "a constant")                                                                      \
  ROLE(KS, "a constant that is a string")                                                    \
  ROLE(G, "a global slot")                                                                   \
  ROLE(P, "a profile field")                                                                 \
  ROLE(F, "a record field")                                                                  \
  ROLE(FSPAN, "record fields C … C+x−1")                                                     \
  ROLE(SET, "a constant set")                                                                \
  ROLE(I, "an immediate value")                                                              \
  ROLE(J, "a jump offset")                                                                   \
  ROLE(TRACE, "a trace point (models for explain and coverage only)")                        \
  ROLE(DCLR, "a distinct-set, cleared")                                                      \
  ROLE(DSET, "a distinct-set, used (it must be cleared before)")                             \
  ROLE(CALLSITE, "a call site")                                                              \
  ROLE(NATIVE, "a host function")                                                            \
  ROLE(ARGS, "registers A … A+n−1 read (n: the call site's arguments or the host function's parameters), A written") \
  ROLE(RSPAN, "registers B … B+C−1, read")                                                   \
  ROLE(WSPAN, "registers A … A+x−1, written")                                                \
  ROLE(LOOPINIT, "R[A+1] written (the index; R[A], the list, is not read)")                  \
  ROLE(LOOP, "R[A] (the list) and R[A+1] (the index) read, R[A+1] written, R[A+2] (the element) written when not jumping") \
  ROLE(COUNT, "a count (in x: at least 2)")                                                  \
  ROLE(KIND, "a result kind: int, time or duration")                                         \
  ROLE(PIIARGS, "which arguments are pii (bit k: argument k), for error messages only")                \
  ROLE(PII, "1: the instant is computed from a pii value and is rounded (next_change), else 0")      \
  ROLE(NCFLAGS, "bit 0: pii, as PII; bit 1: the count is R[B], else R[A]")

/* Which kinds of value a register operand accepts, or what an
 * instruction writes: KINDS(name, mask, meaning), the mask over
 * PValueKind (value.h: null 0, bool 1, int 2, number 3, string 4, time 5,
 * duration 6, list 7, record 8). Null is all zero bits (no pointer, 0, 0.0)
 * and every instruction reads it safely, so each read class accepts it. */
#define PERSONA_OP_KINDS(KINDS)                                                              \
  KINDS(_, 0x000, "not a register read; no result")                                         \
  KINDS(ANY, 0x1ff, "any value")                                                            \
  KINDS(NUL, 0x001, "null")                                                                 \
  KINDS(BOOL, 0x003, "a bool (or null)")                                                    \
  KINDS(INT, 0x005, "an int (or null)")                                                     \
  KINDS(NUM, 0x009, "a number (or null)")                                                   \
  KINDS(INUM, 0x00d, "an int or a number (or null)")                                        \
  KINDS(STR, 0x011, "a string (or null)")                                                   \
  KINDS(TIME, 0x021, "a time (or null)")                                                    \
  KINDS(DUR, 0x041, "a duration (or null)")                                                 \
  KINDS(I64, 0x065, "an int, time or duration (or null)")                                   \
  KINDS(LIST, 0x081, "a list (or null)")                                                    \
  KINDS(REC, 0x101, "a record (or null)")                                                   \
  KINDS(ORD, 0x07f, "a value compared or hashed by what it is: not a list or record")        \
  KINDS(DERIVED, 0x1ff, "as the instruction's operand says: the constant's, the global's, the field's, the built-in's or host function's signature, the x byte's kind, the list's elements")

/*  OP(name,   format flow    A         B         C      x,     (kA, kB, kC, kResult),
 *      synopsis)                                                             */
#define PERSONA_OPCODES(OP)                                                        \
  OP(NOP,      A,    NEXT,   _,        _,        _,     _, (_, _, _, _),              \
      "no operation") \
  OP(LOADK,    ABx,  NEXT,   W,        K,        _,     _, (_, _, _, DERIVED),        \
      "R[A] := K[Bx]") \
  OP(LOADNULL, A,    NEXT,   W,        _,        _,     _, (_, _, _, NUL),            \
      "R[A] := null") \
  OP(LOADBOOL, AB,   NEXT,   W,        I,        _,     _, (_, _, _, BOOL),           \
      "R[A] := (B != 0)") \
  OP(LOADINT,  AsBx, NEXT,   W,        I,        _,     _, (_, _, _, INT),            \
      "R[A] := int sBx") \
  OP(MOVE,     AB,   NEXT,   W,        R,        _,     _, (_, ANY, _, DERIVED),      \
      "R[A] := R[B]") \
  OP(GETG,     ABx,  NEXT,   W,        G,        _,     _, (_, _, _, DERIVED),        \
      "R[A] := G[Bx]  (a tag, let, score, stage or const)") \
  OP(SETG,     ABx,  NEXT,   R,        G,        _,     _, (ANY, _, _, _),            \
      "G[Bx] := R[A]  (a query computed in a fused pass)") \
  OP(GETP,     ABx,  NEXT,   W,        P,        _,     _, (_, _, _, DERIVED),        \
      "R[A] := profile field Bx") \
  OP(GETF,     ABC,  NEXT,   W,        R,        F,     _, (_, REC, _, DERIVED),      \
      "R[A] := R[B].field[C]  (null when R[B] is null)") \
  OP(NOW,      A,    NEXT,   W,        _,        _,     _, (_, _, _, TIME),           \
      "R[A] := now") \
  OP(ADDI,     ABC,  NEXT,   W,        R,        R,     KIND, (_, I64, I64, DERIVED),    \
      "R[A] := R[B] + R[C]  (64-bit, kind x; overflow: error)") \
  OP(SUBI,     ABC,  NEXT,   W,        R,        R,     KIND, (_, I64, I64, DERIVED),    \
      "R[A] := R[B] - R[C]  (64-bit, kind x; overflow: error)") \
  OP(MULI,     ABC,  NEXT,   W,        R,        R,     _, (_, INT, INT, INT),        \
      "R[A] := R[B] * R[C]  (int; overflow: error)") \
  OP(MODI,     ABC,  NEXT,   W,        R,        R,     _, (_, INT, INT, INT),        \
      "R[A] := R[B] % R[C]  (int, sign of R[B]; zero: error)") \
  OP(NEGI,     AB,   NEXT,   W,        R,        _,     KIND, (_, I64, _, DERIVED),      \
      "R[A] := -R[B]  (64-bit, kind x; overflow: error)") \
  OP(ADDN,     ABC,  NEXT,   W,        R,        R,     _, (_, NUM, NUM, NUM),        \
      "R[A] := R[B] + R[C]  (number)") \
  OP(SUBN,     ABC,  NEXT,   W,        R,        R,     _, (_, NUM, NUM, NUM),        \
      "R[A] := R[B] - R[C]  (number)") \
  OP(MULN,     ABC,  NEXT,   W,        R,        R,     _, (_, NUM, NUM, NUM),        \
      "R[A] := R[B] * R[C]  (number)") \
  OP(DIVN,     ABC,  NEXT,   W,        R,        R,     _, (_, NUM, NUM, NUM),        \
      "R[A] := R[B] / R[C]  (number; zero: error)") \
  OP(MODN,     ABC,  NEXT,   W,        R,        R,     _, (_, NUM, NUM, NUM),        \
      "R[A] := fmod(R[B], R[C])  (number; zero: error)") \
  OP(NEGN,     AB,   NEXT,   W,        R,        _,     _, (_, NUM, _, NUM),          \
      "R[A] := -R[B]  (number)") \
  OP(I2N,      AB,   NEXT,   W,        R,        _,     _, (_, INUM, _, DERIVED),      \
      "R[A] := number(R[B])  (a number or null stays as it is)") \
  OP(MULDN,    ABC,  NEXT,   W,        R,        R,     _, (_, DUR, NUM, DUR),        \
      "R[A] := R[B] * R[C]  (duration times number)") \
  OP(DIVDN,    ABC,  NEXT,   W,        R,        R,     _, (_, DUR, NUM, DUR),        \
      "R[A] := R[B] / R[C]  (duration by number)") \
  OP(DIVDD,    ABC,  NEXT,   W,        R,        R,     _, (_, DUR, DUR, NUM),        \
      "R[A] := R[B] / R[C]  (duration by duration: number)") \
  OP(CONCAT,   ABC,  NEXT,   W,        R,        R,     _, (_, STR, STR, STR),        \
      "R[A] := R[B] + R[C]  (strings)") \
  OP(EQ,       ABC,  NEXT,   W,        R,        R,     _, (_, ANY, ANY, BOOL),       \
      "R[A] := R[B] == R[C]  (null equals only null)") \
  OP(NE,       ABC,  NEXT,   W,        R,        R,     _, (_, ANY, ANY, BOOL),       \
      "R[A] := R[B] != R[C]") \
  OP(EQSK,     ABC,  NEXT,   W,        R,        KS,    _, (_, STR, _, BOOL),         \
      "R[A] := R[B] == K[C]  (R[B] a string or null, K[C] a string)") \
  OP(NESK,     ABC,  NEXT,   W,        R,        KS,    _, (_, STR, _, BOOL),         \
      "R[A] := R[B] != K[C]  (R[B] a string or null, K[C] a string)") \
  OP(LT,       ABC,  NEXT,   W,        R,        R,     _, (_, ORD, ORD, BOOL),       \
      "R[A] := R[B] < R[C]  (false when either is null)") \
  OP(LE,       ABC,  NEXT,   W,        R,        R,     _, (_, ORD, ORD, BOOL),       \
      "R[A] := R[B] <= R[C]  (false when either is null)") \
  OP(LTI,      ABC,  NEXT,   W,        R,        R,     _, (_, I64, I64, BOOL),       \
      "R[A] := R[B] < R[C]  (int, time or duration, neither null)") \
  OP(LEI,      ABC,  NEXT,   W,        R,        R,     _, (_, I64, I64, BOOL),       \
      "R[A] := R[B] <= R[C]  (int, time or duration, neither null)") \
  OP(IN,       ABC,  NEXT,   W,        R,        R,     _, (_, ANY, LIST, BOOL),      \
      "R[A] := R[B] in list R[C]  (false for null)") \
  OP(INSET,    ABC,  NEXT,   W,        R,        SET,   _, (_, ANY, _, BOOL),         \
      "R[A] := R[B] in constant set C  (false for null)") \
  OP(NOT,      AB,   NEXT,   W,        R,        _,     _, (_, BOOL, _, BOOL),        \
      "R[A] := not R[B]  (not null = true)") \
  OP(TRUTH,    AB,   NEXT,   W,        R,        _,     _, (_, BOOL, _, BOOL),        \
      "R[A] := R[B] is true  (null = false)") \
  OP(JMP,      sBx,  GOTO,   _,        J,        _,     _, (_, _, _, _),              \
      "pc += sBx") \
  OP(JMPF,     AsBx, BRANCH, R,        J,        _,     _, (BOOL, _, _, _),           \
      "if R[A] is not true: pc += sBx") \
  OP(JMPT,     AsBx, BRANCH, R,        J,        _,     _, (BOOL, _, _, _),           \
      "if R[A] is true: pc += sBx") \
  OP(JMPNULL,  AsBx, BRANCH, R,        J,        _,     _, (ANY, _, _, _),            \
      "if R[A] is null: pc += sBx") \
  OP(JMPNN,    AsBx, BRANCH, R,        J,        _,     _, (ANY, _, _, _),            \
      "if R[A] is not null: pc += sBx") \
  OP(CALL,     ABx,  NEXT,   ARGS,     CALLSITE, _,     PIIARGS, (DERIVED, _, _, DERIVED),  \
      "R[A] := call site Bx applied to R[A], R[A+1], …") \
  OP(CALLN,    ABx,  NEXT,   ARGS,     NATIVE,   _,     _, (DERIVED, _, _, DERIVED),  \
      "R[A] := host function Bx applied to R[A], R[A+1], …  (libffi)") \
  OP(LEN,      AB,   NEXT,   W,        R,        _,     _, (_, LIST, _, INT),         \
      "R[A] := len(R[B])  (list elements)") \
  OP(FORPREP,  A,    NEXT,   LOOPINIT, _,        _,     _, (_, _, _, INT),            \
      "R[A+1] := 0  (R[A] is the list; null is empty)") \
  OP(FORNEXT,  AsBx, BRANCH, LOOP,     J,        _,     _, (LIST, _, _, DERIVED),     \
      "if R[A+1] < len(R[A]): R[A+2] := R[A][R[A+1]++] else pc += sBx") \
  OP(INCI,     A,    NEXT,   RW,       _,        _,     _, (INT, _, _, INT),          \
      "R[A] := R[A] + 1  (int)") \
  OP(DECAY,    ABC,  NEXT,   W,        R,        R,     _, (_, TIME, DUR, NUM),       \
      "R[A] := 0.5 ^ ((now - R[B]) / R[C])  (time, half-life)") \
  OP(MINV,     ABC,  NEXT,   W,        R,        R,     _, (_, NUM, NUM, NUM),        \
      "R[A] := min(R[B], R[C])  (numbers)") \
  OP(MAXV,     ABC,  NEXT,   W,        R,        R,     _, (_, NUM, NUM, NUM),        \
      "R[A] := max(R[B], R[C])  (numbers)") \
  OP(AGGMIN,   AB,   NEXT,   RW,       R,        _,     _, (ORD, ORD, _, DERIVED),    \
      "if R[B] is not null and (R[A] is null or R[B] < R[A]): R[A] := R[B]") \
  OP(AGGMAX,   AB,   NEXT,   RW,       R,        _,     _, (ORD, ORD, _, DERIVED),    \
      "if R[B] is not null and (R[A] is null or R[B] > R[A]): R[A] := R[B]") \
  OP(DSETCLR,  A,    NEXT,   DCLR,     _,        _,     _, (_, _, _, _),              \
      "empty distinct-set A") \
  OP(DSETADD,  AB,   NEXT,   DSET,     R,        _,     _, (_, ORD, _, _),            \
      "add R[B] to distinct-set A  (null is skipped)") \
  OP(DSETCNT,  AB,   NEXT,   W,        DSET,     _,     _, (_, _, _, INT),            \
      "R[A] := number of values in distinct-set B") \
  OP(MKLIST,   ABC,  NEXT,   W,        RSPAN,    COUNT, _, (_, ANY, _, DERIVED),      \
      "R[A] := [R[B], …, R[B+C-1]]") \
  OP(MKREC,    ABC,  NEXT,   W,        RSPAN,    COUNT, _, (_, ANY, _, DERIVED),      \
      "R[A] := record(R[B], …, R[B+C-1])") \
  OP(TAGS,     A,    NEXT,   W,        _,        _,     _, (_, _, _, DERIVED),        \
      "R[A] := the names of the tags that hold, in declaration order") \
  OP(TRACE,    AB,   NEXT,   R,        TRACE,    _,     _, (ANY, _, _, _),            \
      "report R[A] under trace point B  (explain/coverage builds only)") \
  OP(RET,      A,    RET,    R,        _,        _,     _, (ANY, _, _, _),            \
      "return R[A]") \
  OP(JNESK,    AB,   SKIP,   R,        KS,       _,     _, (STR, _, _, _),            \
      "if R[A] != K[B]: take the JMP that follows, else step over it") \
  OP(JLTI,     AB,   SKIP,   R,        R,        _,     _, (I64, I64, _, _),          \
      "if R[A] < R[B] (int, time or duration, neither null): take the JMP that follows, else step over it") \
  OP(UNPACK,   ABC,  NEXT,   WSPAN,    R,        FSPAN, COUNT, (_, REC, _, DERIVED),      \
      "R[A+j] := R[B].field[C+j] for j < x  (null when R[B] is null)") \
  OP(NCWIN,    AB,   NEXT,   R,        R,        _,     PII, (TIME, TIME, _, _),       \
      "next change: the event at time R[A] leaves the window whose lower bound R[B] moves with now") \
  OP(NCLT,     ABC,  NEXT,   R,        R,        K,     PII, (ORD, ORD, _, _),         \
      "next change: when R[A] < R[B] flips, R[B] - R[A] moving as the motion K[C] says") \
  OP(NCLE,     ABC,  NEXT,   R,        R,        K,     PII, (ORD, ORD, _, _),         \
      "next change: when R[A] <= R[B] flips (motion K[C])") \
  OP(NCEQ,     ABC,  NEXT,   R,        R,        K,     PII, (ANY, ANY, _, _),         \
      "next change: when R[A] == R[B] flips (motion K[C])") \
  OP(NCNEXT,   A,    NEXT,   R,        _,        _,     _, (ANY, _, _, _),             \
      "next change: now + 1 microsecond (R[A] moves in a way that is not followed)") \
  OP(NCDHALF,  AB,   NEXT,   R,        I,        _,     _, (DUR, _, _, _),             \
      "decay score B starts: half-life R[A], decaying amplitude 0") \
  OP(NCDRULE,  ABC,  NEXT,   R,        R,        I,     _, (NUM, NUM, _, _),           \
      "decay score C: add the capped decaying contribution R[A] (R[B] before the cap)") \
  OP(NCDCLAMP, ABC,  NEXT,   R,        R,        I,     _, (NUM, NUM, _, _),           \
      "decay score C: clamped to R[A] from R[B]") \
  OP(NCLCLR,   A,    NEXT,   I,        _,        _,     _, (_, _, _, _),               \
      "empty leave set A (the instants selected events leave a window)") \
  OP(NCLADD,   ABC,  NEXT,   R,        R,        I,     PII, (TIME, TIME, _, _),       \
      "add to leave set C the instant the event at time R[A] leaves the window whose lower bound R[B] moves with now") \
  OP(NCKLT,    ABC,  NEXT,   R,        R,        I,     NCFLAGS, (INUM, INUM, _, _),   \
      "next change: when R[A] < R[B] flips as the count loses one per instant of leave set C") \
  OP(NCKLE,    ABC,  NEXT,   R,        R,        I,     NCFLAGS, (INUM, INUM, _, _),   \
      "next change: when R[A] <= R[B] flips (count, leave set C)") \
  OP(NCKEQ,    ABC,  NEXT,   R,        R,        I,     NCFLAGS, (INUM, INUM, _, _),   \
      "next change: when R[A] == R[B] flips (count, leave set C)") \
  OP(NCMAXAT,  AB,   NEXT,   RW,       R,        _,     _, (TIME, TIME, _, TIME),      \
      "if R[B] is a time and (R[A] is null or R[B] > R[A]): R[A] := R[B]  (the newest event an `exists` selects)") \
  OP(NCSTEP,   AB,   NEXT,   R,        K,        _,     PII, (ORD, _, _, _),           \
      "next change: when a step function of R[A] (floor, ceil, round, hour, weekday) steps, R[A] moving as K[B] = [rate, shape, grid] says")

#define PERSONA_OP_ENUM(name, ...) OP_##name,
typedef enum { PERSONA_OPCODES(PERSONA_OP_ENUM) OP__COUNT } POpcode;
#undef PERSONA_OP_ENUM

typedef enum { PFMT_A, PFMT_AB, PFMT_ABC, PFMT_ABx, PFMT_AsBx, PFMT_sBx } POpFormat;

#define PERSONA_OP_FLOW_ENUM(name, meaning) PFLOW_##name,
typedef enum { PERSONA_OP_FLOWS(PERSONA_OP_FLOW_ENUM) PFLOW__COUNT } POpFlow;
#undef PERSONA_OP_FLOW_ENUM

#define PERSONA_OP_ROLE_ENUM(name, meaning) PROLE_##name,
typedef enum { PERSONA_OP_ROLES(PERSONA_OP_ROLE_ENUM) PROLE__COUNT } POpRole;
#undef PERSONA_OP_ROLE_ENUM

#define PERSONA_OP_KIND_ENUM(name, mask, meaning) PKC_##name,
typedef enum { PERSONA_OP_KINDS(PERSONA_OP_KIND_ENUM) PKC__COUNT } POpKinds;
#undef PERSONA_OP_KIND_ENUM

/* The mask of a kind class (PERSONA_OP_KINDS). */
extern const uint16_t popkinds_mask[PKC__COUNT];

/* One row of the table: everything but the VM's own code. */
typedef struct POpInfo {
  const char *name;
  const char *synopsis;
  uint8_t format;    /* POpFormat */
  uint8_t flow;      /* POpFlow */
  uint8_t a, b, c;   /* POpRole of A, of B (or Bx/sBx), of C */
  uint8_t x;         /* POpRole of the x byte */
  uint8_t kinds[4];  /* POpKinds read at A, B, C; the kind of the result */
} POpInfo;

typedef struct PInsn {
  uint8_t op;
  uint8_t x;
  uint16_t a;
  union {
    struct { uint16_t b, c; };
    uint32_t bx;
    int32_t sbx;
  };
} PInsn;

_Static_assert(sizeof(PInsn) == 8, "instructions are 8 bytes");

extern const POpInfo popcode_info[OP__COUNT];

/* The format's second operand is the 32-bit Bx or sBx (B and C are not
 * there). */
static inline bool pformat_has_bx(POpFormat f) { return f == PFMT_ABx || f == PFMT_AsBx || f == PFMT_sBx; }

/* The second operand as the format lays it out: B, or Bx (sBx as bits).
 * `i->op` must be known. */
static inline uint32_t pinsn_b(const PInsn *i) {
  return pformat_has_bx((POpFormat)popcode_info[i->op].format) ? i->bx : i->b;
}

#endif
