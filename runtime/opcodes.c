/* opcodes.c - the rows of the opcode table (opcodes.h) as data, and the
 * consistency of its columns checked at compile time. */
#include "opcodes.h"

#define PERSONA_OP_KINDS4(ka, kb, kc, kr) {PKC_##ka, PKC_##kb, PKC_##kc, PKC_##kr}
#define PERSONA_OP_INFO(name, fmt, flow, a, b, c, x, kinds, syn) \
  {#name, syn, PFMT_##fmt, PFLOW_##flow, PROLE_##a, PROLE_##b, PROLE_##c, PROLE_##x, PERSONA_OP_KINDS4 kinds},
const POpInfo popcode_info[OP__COUNT] = {PERSONA_OPCODES(PERSONA_OP_INFO)};
#undef PERSONA_OP_INFO

#define PERSONA_OP_KIND_MASK(name, mask, meaning) mask,
const uint16_t popkinds_mask[PKC__COUNT] = {PERSONA_OP_KINDS(PERSONA_OP_KIND_MASK)};
#undef PERSONA_OP_KIND_MASK

/* What one row may say, so that a new opcode cannot be half described:
 *  - a jump (flow BRANCH or GOTO) has its offset in sBx, role J, and only
 *    a jump has a J operand;
 *  - an operand the format does not have is unused (`_`);
 *  - the spans come with their count: RSPAN with C a COUNT, WSPAN and
 *    FSPAN with x a COUNT; ARGS with a CALLSITE or NATIVE;
 *  - the x byte is unused, a KIND or a COUNT. */
#define PERSONA_IS_SBX(fmt) (PFMT_##fmt == PFMT_AsBx || PFMT_##fmt == PFMT_sBx)
#define PERSONA_HAS_B(fmt) (PFMT_##fmt != PFMT_A)
#define PERSONA_HAS_C(fmt) (PFMT_##fmt == PFMT_ABC)
/* The kinds column: a kind exactly for each register read, a result kind
 * exactly when A is written. */
#define PERSONA_KA(ka, kb, kc, kr) PKC_##ka
#define PERSONA_KB(ka, kb, kc, kr) PKC_##kb
#define PERSONA_KC(ka, kb, kc, kr) PKC_##kc
#define PERSONA_KR(ka, kb, kc, kr) PKC_##kr
#define PERSONA_READS(r) (PROLE_##r == PROLE_R || PROLE_##r == PROLE_RW || PROLE_##r == PROLE_LOOP || \
                          PROLE_##r == PROLE_ARGS || PROLE_##r == PROLE_RSPAN)
#define PERSONA_WRITES(r) (PROLE_##r == PROLE_W || PROLE_##r == PROLE_RW || PROLE_##r == PROLE_LOOP ||  \
                           PROLE_##r == PROLE_LOOPINIT || PROLE_##r == PROLE_ARGS || PROLE_##r == PROLE_WSPAN)
#define PERSONA_OP_CHECK(name, fmt, flow, a, b, c, x, kinds, syn)                                              \
  _Static_assert((PFLOW_##flow == PFLOW_BRANCH || PFLOW_##flow == PFLOW_GOTO) == (PROLE_##b == PROLE_J),  \
                 #name ": a jump and only a jump has a J operand");                                       \
  _Static_assert(PROLE_##b != PROLE_J || PERSONA_IS_SBX(fmt), #name ": a jump offset is in sBx");         \
  _Static_assert(PROLE_##a != PROLE_J && PROLE_##c != PROLE_J, #name ": a jump offset is in sBx");        \
  _Static_assert(PERSONA_HAS_B(fmt) || PROLE_##b == PROLE__, #name ": B is not in the format");             \
  _Static_assert(PERSONA_HAS_C(fmt) || PROLE_##c == PROLE__, #name ": C is not in the format");             \
  _Static_assert(PFMT_##fmt != PFMT_sBx || PROLE_##a == PROLE__, #name ": A is not in the format");         \
  _Static_assert((PROLE_##b == PROLE_RSPAN) == (PROLE_##c == PROLE_COUNT), #name ": RSPAN counts with C");  \
  _Static_assert((PROLE_##a == PROLE_WSPAN || PROLE_##c == PROLE_FSPAN) == (PROLE_##x == PROLE_COUNT),      \
                 #name ": WSPAN and FSPAN count with x");                                                 \
  _Static_assert((PROLE_##a == PROLE_ARGS) == (PROLE_##b == PROLE_CALLSITE || PROLE_##b == PROLE_NATIVE),   \
                 #name ": ARGS count with a call site or host function");                                 \
  _Static_assert(PROLE_##x == PROLE__ || PROLE_##x == PROLE_KIND || PROLE_##x == PROLE_COUNT ||             \
                     PROLE_##x == PROLE_PIIARGS || PROLE_##x == PROLE_PII ||                              \
                     PROLE_##x == PROLE_NCFLAGS,                                                          \
                 #name ": x is unused, a KIND, a COUNT, PIIARGS, PII or NCFLAGS");                       \
  _Static_assert(PERSONA_READS(a) == (PERSONA_KA kinds != PKC__), #name ": a kind for A exactly when read");  \
  _Static_assert(PERSONA_READS(b) == (PERSONA_KB kinds != PKC__), #name ": a kind for B exactly when read");  \
  _Static_assert(PERSONA_READS(c) == (PERSONA_KC kinds != PKC__), #name ": a kind for C exactly when read");  \
  _Static_assert(PERSONA_WRITES(a) == (PERSONA_KR kinds != PKC__), #name ": a result kind exactly when A is written");
PERSONA_OPCODES(PERSONA_OP_CHECK)
#undef PERSONA_OP_CHECK
