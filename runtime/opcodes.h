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
 * This X-macro list drives the opcode enum, the VM's dispatch table, the
 * disassembler and the verifier; keep every synopsis one line.
 *   OP(name, format, synopsis)
 * Formats: A, AB, ABC, ABx, AsBx, sBx.
 *
 * JNESK and JLTI test and jump in one dispatch: the jump is the JMP that
 * must follow them (the verifier checks it), read by the test itself.
 * UNPACK loads x consecutive fields of a record (a fused pass's element)
 * in one dispatch; its count is the x byte. New opcodes come last so that
 * the numbers of the older ones stay the same.
 */
#ifndef PERSONA_OPCODES_H
#define PERSONA_OPCODES_H

#include <stdint.h>

#define PERSONA_OPCODES(OP)                                                        \
  OP(NOP,      A,    "no operation")                                               \
  OP(LOADK,    ABx,  "R[A] := K[Bx]")                                              \
  OP(LOADNULL, A,    "R[A] := null")                                               \
  OP(LOADBOOL, AB,   "R[A] := (B != 0)")                                           \
  OP(LOADINT,  AsBx, "R[A] := int sBx")                                            \
  OP(MOVE,     AB,   "R[A] := R[B]")                                               \
  OP(GETG,     ABx,  "R[A] := G[Bx]  (a tag, let, score, stage or const)")         \
  OP(SETG,     ABx,  "G[Bx] := R[A]  (a query computed in a fused pass)")           \
  OP(GETP,     ABx,  "R[A] := profile field Bx")                                   \
  OP(GETF,     ABC,  "R[A] := R[B].field[C]  (null when R[B] is null)")            \
  OP(NOW,      A,    "R[A] := now")                                                \
  OP(ADDI,     ABC,  "R[A] := R[B] + R[C]  (64-bit, kind x; overflow: error)")     \
  OP(SUBI,     ABC,  "R[A] := R[B] - R[C]  (64-bit, kind x; overflow: error)")     \
  OP(MULI,     ABC,  "R[A] := R[B] * R[C]  (int; overflow: error)")                \
  OP(MODI,     ABC,  "R[A] := R[B] % R[C]  (int, sign of R[B]; zero: error)")      \
  OP(NEGI,     AB,   "R[A] := -R[B]  (64-bit, kind x; overflow: error)")           \
  OP(ADDN,     ABC,  "R[A] := R[B] + R[C]  (number)")                              \
  OP(SUBN,     ABC,  "R[A] := R[B] - R[C]  (number)")                              \
  OP(MULN,     ABC,  "R[A] := R[B] * R[C]  (number)")                              \
  OP(DIVN,     ABC,  "R[A] := R[B] / R[C]  (number; zero: error)")                 \
  OP(MODN,     ABC,  "R[A] := fmod(R[B], R[C])  (number; zero: error)")            \
  OP(NEGN,     AB,   "R[A] := -R[B]  (number)")                                    \
  OP(I2N,      AB,   "R[A] := number(R[B])  (null stays null)")                    \
  OP(MULDN,    ABC,  "R[A] := R[B] * R[C]  (duration times number)")               \
  OP(DIVDN,    ABC,  "R[A] := R[B] / R[C]  (duration by number)")                  \
  OP(DIVDD,    ABC,  "R[A] := R[B] / R[C]  (duration by duration: number)")        \
  OP(CONCAT,   ABC,  "R[A] := R[B] + R[C]  (strings)")                             \
  OP(EQ,       ABC,  "R[A] := R[B] == R[C]  (null equals only null)")              \
  OP(NE,       ABC,  "R[A] := R[B] != R[C]")                                       \
  OP(EQSK,     ABC,  "R[A] := R[B] == K[C]  (R[B] a string or null, K[C] a string)") \
  OP(NESK,     ABC,  "R[A] := R[B] != K[C]  (R[B] a string or null, K[C] a string)") \
  OP(LT,       ABC,  "R[A] := R[B] < R[C]  (false when either is null)")           \
  OP(LE,       ABC,  "R[A] := R[B] <= R[C]  (false when either is null)")          \
  OP(LTI,      ABC,  "R[A] := R[B] < R[C]  (int, time or duration, neither null)")  \
  OP(LEI,      ABC,  "R[A] := R[B] <= R[C]  (int, time or duration, neither null)") \
  OP(IN,       ABC,  "R[A] := R[B] in list R[C]  (false for null)")                \
  OP(INSET,    ABC,  "R[A] := R[B] in constant set C  (false for null)")           \
  OP(NOT,      AB,   "R[A] := not R[B]  (not null = true)")                        \
  OP(TRUTH,    AB,   "R[A] := R[B] is true  (null = false)")                       \
  OP(JMP,      sBx,  "pc += sBx")                                                  \
  OP(JMPF,     AsBx, "if R[A] is not true: pc += sBx")                             \
  OP(JMPT,     AsBx, "if R[A] is true: pc += sBx")                                 \
  OP(JMPNULL,  AsBx, "if R[A] is null: pc += sBx")                                 \
  OP(JMPNN,    AsBx, "if R[A] is not null: pc += sBx")                             \
  OP(CALL,     ABx,  "R[A] := call site Bx applied to R[A], R[A+1], …")            \
  OP(CALLN,    ABx,  "R[A] := host function Bx applied to R[A], R[A+1], …  (libffi)") \
  OP(LEN,      AB,   "R[A] := len(R[B])  (list elements)")                         \
  OP(FORPREP,  A,    "R[A+1] := 0  (R[A] is the list; null is empty)")             \
  OP(FORNEXT,  AsBx, "if R[A+1] < len(R[A]): R[A+2] := R[A][R[A+1]++] else pc += sBx") \
  OP(INCI,     A,    "R[A] := R[A] + 1  (int)")                                    \
  OP(DECAY,    ABC,  "R[A] := 0.5 ^ ((now - R[B]) / R[C])  (time, half-life)")     \
  OP(MINV,     ABC,  "R[A] := min(R[B], R[C])  (numbers)")                         \
  OP(MAXV,     ABC,  "R[A] := max(R[B], R[C])  (numbers)")                         \
  OP(AGGMIN,   AB,   "if R[B] is not null and (R[A] is null or R[B] < R[A]): R[A] := R[B]") \
  OP(AGGMAX,   AB,   "if R[B] is not null and (R[A] is null or R[B] > R[A]): R[A] := R[B]") \
  OP(DSETCLR,  A,    "empty distinct-set A")                                       \
  OP(DSETADD,  AB,   "add R[B] to distinct-set A  (null is skipped)")              \
  OP(DSETCNT,  AB,   "R[A] := number of values in distinct-set B")                 \
  OP(MKLIST,   ABC,  "R[A] := [R[B], …, R[B+C-1]]")                                \
  OP(MKREC,    ABC,  "R[A] := record(R[B], …, R[B+C-1])")                          \
  OP(TAGS,     A,    "R[A] := the names of the tags that hold, in declaration order") \
  OP(TRACE,    AB,   "report R[A] under trace point B  (explain/coverage builds only)") \
  OP(RET,      A,    "return R[A]")                                                \
  OP(JNESK,    AB,   "if R[A] != K[B]: take the JMP that follows, else step over it") \
  OP(JLTI,     AB,   "if R[A] < R[B] (int, time or duration, neither null): take the JMP that follows, else step over it") \
  OP(UNPACK,   ABC,  "R[A+j] := R[B].field[C+j] for j < x  (null when R[B] is null)")

typedef enum {
#define PERSONA_OP_ENUM(name, fmt, syn) OP_##name,
  PERSONA_OPCODES(PERSONA_OP_ENUM)
#undef PERSONA_OP_ENUM
  OP__COUNT
} POpcode;

typedef enum { PFMT_A, PFMT_AB, PFMT_ABC, PFMT_ABx, PFMT_AsBx, PFMT_sBx } POpFormat;

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

extern const char *const popcode_names[OP__COUNT];
extern const POpFormat popcode_formats[OP__COUNT];
extern const char *const popcode_synopsis[OP__COUNT];

#endif
