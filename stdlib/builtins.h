/* builtins.h - the standard library of spec section 5.2 as a table.
 *
 * One table drives the checker (names, overloads, parameter and result
 * types), the code generator (CALL operands) and the VM (the C function).
 * Overloads are consecutive entries with the same name; the checker takes
 * the first entry whose parameters accept the arguments exactly, then the
 * first that accepts them with int widened to number.
 *
 * Not in this table, because the checker handles their syntax itself:
 * `now`, `entered(…)`, the aggregates (count exists sum avg min max first
 * last distinct over a list), `any`/`all`, and the `in` operator.
 *
 * Ownership: builtins never own their arguments; strings and lists they
 * return are allocated in ctx->arena.
 */
#ifndef PERSONA_BUILTINS_H
#define PERSONA_BUILTINS_H

#include <stdbool.h>
#include <stdint.h>

#include "../runtime/arena.h"
#include "../runtime/value.h"

typedef struct PCallCtx PCallCtx;

/* Charges `units` of work done inside a builtin (a regex match) to the
 * caller's instruction budget, one instruction per unit, polling the
 * interrupt hook as instructions do. False (with ctx->error set) when the
 * budget is spent or the hook stopped the record. */
typedef bool (*PChargeFn)(PCallCtx *ctx, uint64_t units);

struct PCallCtx {
  PArena *arena;      /* per-record memory for results */
  int64_t now_us;     /* the evaluation's `now` */
  PChargeFn charge;   /* NULL (constant folding): only the builtin's own limits */
  void *charge_data;  /* the VM's state, for charge */
  char error[256];    /* set by a function that returns false */
  /* Bit k: argument k is pii (bit 7: argument 7 or a later one), so its
   * value must not appear in ctx->error; messages write "(pii)" instead.
   * 0 on the fast path: the VM sets it only to rebuild the message of a
   * call that failed, from the x byte of its CALL (docs/bytecode.md). */
  uint8_t hide_args;
};

/* Computes out from args; false (with ctx->error set) on a runtime error of
 * this record, e.g. "sqrt of a negative number (-4)". `aux` is the
 * per-call-site data prepared at load time (a compiled regex), or NULL. */
typedef bool (*PBuiltinFn)(PCallCtx *ctx, const PValue *args, uint32_t nargs,
                           const void *aux, PValue *out);

typedef enum {
  PBT_BOOL, PBT_INT, PBT_NUMBER, PBT_STRING, PBT_TIME, PBT_DURATION,
  PBT_LIST_STRING, /* list<string> */
  PBT_LIST_ANY,    /* any list (len) */
} PBuiltinType;

enum {
  PB_VARIADIC = 1u << 0,        /* the last parameter repeats (>= nparams args) */
  PB_REGEX_ARG1 = 1u << 1,      /* argument 1 must be a constant string: a regex
                                   compiled once at load time, passed as aux */
  PB_CONST_FOLDABLE = 1u << 2,  /* pure: may be evaluated at compile time */
  PB_MASKS = 1u << 3,           /* the result does not reveal a pii argument
                                   (mask, pseudonym): it may leave the model */
};

#define PB_MAX_PARAMS 4

/* How a builtin's result moves when an argument moves with `now`
 * (compiler/codegen_motion.c; the "When results change" column of
 * docs/language.md). */
typedef enum {
  PBM_UNTRACKED = 0, /* continuous, not followed: a comparison of it changes "at any time" */
  PBM_FLOOR,         /* steps at whole numbers (10^-digits), held from each up (floor) */
  PBM_CEIL,          /* steps at whole numbers, held from each down (ceil) */
  PBM_ROUND,         /* steps at halves (of 10^-digits grids): changes at each */
  PBM_HOUR,          /* steps at each whole UTC hour of a time */
  PBM_WEEKDAY,       /* steps at each UTC midnight of a time */
  PBM_DAYS,          /* linear: (b − a) / 1 day, followed exactly */
  PBM_HOURS,         /* linear: (b − a) / 1 hour, followed exactly */
} PBuiltinMotion;

/* A step function (floor … hour): the compiler follows its steps when
 * the argument moves linearly (NCSTEP, runtime/vm_motion.c). */
static inline bool pbuiltin_motion_step(int m) { return m >= PBM_FLOOR && m <= PBM_WEEKDAY; }

typedef struct PBuiltin {
  const char *name;
  uint8_t nparams;
  PBuiltinType params[PB_MAX_PARAMS];
  PBuiltinType ret;
  bool ret_optional;    /* the result may be null */
  uint32_t flags;
  PBuiltinFn fn;
  const char *synopsis; /* "len(s: string) -> int: number of characters" */
  uint8_t motion;       /* PBuiltinMotion */
} PBuiltin;

extern const PBuiltin pbuiltins[];
extern const uint32_t pbuiltins_count;

/* The names the checker handles itself (see the top of this file): not
 * entries of pbuiltins, but listed once here for "did you mean" and for
 * the function table of docs/language.md (runtime/gen_builtin_doc.c). */
typedef struct PBuiltinForm {
  const char *name;
  const char *form;    /* how it is written: "count(LIST [where C] …)" */
  const char *result;  /* its type, in words */
  const char *meaning; /* Markdown */
  const char *change;  /* when its value changes with no new input (next_change), Markdown */
} PBuiltinForm;

extern const PBuiltinForm pbuiltin_forms[];
extern const uint32_t pbuiltin_forms_count;

/* The "when it changes" cell of a builtin's row (docs/language.md, "When
 * results change"), from its motion and parameter types. Static text. */
const char *pbuiltin_change_rule(const PBuiltin *b);

/* Index of the first entry named `name`, or -1. */
int pbuiltin_find(const char *name);

/* Work of one regex match: each step of the matcher (an automatic callout
 * before every item of the pattern) plus each byte its position moves,
 * forwards or back. A match may do at most PB_REGEX_WORK_BASE +
 * PB_REGEX_WORK_PER_BYTE × the subject's length, so linear patterns run
 * on any string the decoder accepts and quadratic ones stop early:
 * "matches(): the regular expression needs too much work on this text
 * (more than N steps)". The work is charged to the instruction budget too. */
#define PB_REGEX_WORK_BASE 10000000u
#define PB_REGEX_WORK_PER_BYTE 64u
/* PCRE2's own limits per match: backtracking depth and heap (KiB). */
#define PB_REGEX_DEPTH_LIMIT 100000u
#define PB_REGEX_HEAP_LIMIT_KIB 65536u

/* Compiles a regex argument once (PCRE2: UTF-8 with Unicode properties for
 * \w, \d, \s and [[:alpha:]], any Unicode newline). Returns NULL
 * with a message in *error (caller frees with g_free) when the pattern is
 * invalid. Free the result with pbuiltin_regex_free(). The result is
 * read-only and may be shared by threads. A PB_REGEX_ARG1 function called
 * with aux == NULL (e.g. constant folding) compiles argument 1 itself. */
void *pbuiltin_regex_compile(const char *pattern, uint32_t len, char **error);
void pbuiltin_regex_free(void *regex);
/* The pattern a compiled regex was made from (NUL-terminated, owned by it). */
const char *pbuiltin_regex_pattern(const void *regex);

/* The environment variables pseudonym() reads its key from, once per
 * process: the key itself, or the path of a file that holds it. */
#define PBUILTIN_PSEUDONYM_KEY_ENV "PERSONA_PSEUDONYM_KEY"
#define PBUILTIN_PSEUDONYM_KEY_FILE_ENV "PERSONA_PSEUDONYM_KEY_FILE"
/* The key pseudonym() uses (borrowed, for the process's life; *len
 * bytes), or NULL: then *configured says whether one was set at all, and
 * *error why it cannot be used (static). Read once per process. */
const void *pbuiltin_pseudonym_key(size_t *len, bool *configured, const char **error);

#endif
