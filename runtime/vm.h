/* vm.h - the bytecode interpreter (vm.c), the per-record driver
 * (vm_record.c) and the journeys (vm_journey.c), over one state.
 *
 * A PVMState holds what one thread needs to evaluate records with one
 * model: registers, global slots, the per-record arena, scratch sets for
 * `distinct`, and the last error. pvm_eval_record() runs every unit of the
 * model in dependency order over one decoded profile; pvm_exec() runs one
 * block (also used at compile time to fold consts).
 *
 * Ownership: the state borrows the model (the caller keeps a reference)
 * and owns its registers, globals and arena. Values it produces point into
 * its arena, the input text and the model: valid until the next record.
 */
#ifndef PERSONA_VM_H
#define PERSONA_VM_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "../stdlib/builtins.h"
#include "model.h"

typedef struct PDistinctSet {
  PValue *slots;
  uint32_t mask;    /* capacity - 1, or 0 before first use */
  uint32_t count;
} PDistinctSet;

typedef struct PTransitionRec {
  uint32_t lifecycle;
  int32_t from;     /* -1: first evaluation (entry into `initial`) */
  uint32_t to;
  int64_t at_us;
} PTransitionRec;

/* What a profile's state says about one lifecycle / journey (docs/state.md). */
typedef struct PLcState {
  bool present;        /* false: first sight, start at `initial` */
  uint32_t stage;
  int64_t entered;
} PLcState;

typedef enum { PJ_IDLE = 0, PJ_ACTIVE, PJ_DONE, PJ_EXITED } PJStatus;

typedef struct PJState {
  uint8_t status;      /* PJStatus */
  int64_t run;         /* times entered */
  int64_t entered;     /* entry time of the current or last run */
  uint32_t step;       /* active: the step it waits at */
  int64_t since;       /* active: logical time the wait started */
  int64_t wake;        /* active: end of the wait, or its deadline */
  bool has_ended;
  int64_t ended;       /* end of the last run */
} PJState;

/* One profile's arm in one experiment (docs/experiment.md). */
typedef enum {
  PEXP_NEW = 0,     /* no arm in the state: assigned now */
  PEXP_KEPT,        /* the state's arm, still this bucket's */
  PEXP_MOVED,       /* new weights gave the bucket another arm: assigned now */
  PEXP_RESHUFFLED,  /* the salt changed: a new bucket, assigned now */
} PExpChange;

typedef struct PExpState {
  bool present;        /* the state had this experiment */
  bool same_salt;      /* … under the model's salt */
  int32_t stored_arm;  /* … and this arm of the model (-1: an arm it no longer has) */
  int64_t stored_assigned;
  /* after the assignment: */
  uint32_t bucket;
  uint32_t arm;
  int64_t assigned;
  uint8_t change;      /* PExpChange */
} PExpState;

typedef struct PActionRec {
  uint32_t journey;
  int64_t run;
  uint32_t step;
  int64_t at_us;       /* logical time */
} PActionRec;

/* What one decay score's value does as time passes with no new input
 * (vm_motion.c; NCDHALF/NCDRULE/NCDCLAMP fill it, per global slot):
 * value(t) = value(now) + amp·(x − 1) + Σ_j (capped(raw_j·x) − cap_j),
 * x = 0.5^((t − now)/half_life), while the events it counts stay. */
#define PVM_DECAY_CAPS 4
typedef struct PDecayAmp {
  int64_t half_life;   /* µs */
  double amp;          /* the decaying contributions whose caps do not bind */
  double mag;          /* Σ |contribution|: bounds any change */
  double raw[PVM_DECAY_CAPS], cap[PVM_DECAY_CAPS]; /* contributions held at a cap */
  uint8_t n_caps;
  bool exact;          /* false: a clamp binds or too many caps (use the bound) */
} PDecayAmp;

/* Called by TRACE instructions (models compiled with tracing only). */
typedef void (*PTraceFn)(void *user, uint32_t point, PValue value);

typedef struct PVMState {
  const PModel *model;
  PValue *globals;         /* model->n_globals */
  const PValue *profile;   /* decoded profile fields */
  int64_t now_us;
  PArena arena;
  PValue *regs;
  uint32_t n_regs;
  PDistinctSet *dsets;
  uint32_t n_dsets;
  PCallCtx call;
  GArray *transitions;     /* PTransitionRec of the current record */
  PLcState *lc;            /* per lifecycle: stored state in, final stage out */
  PJState *journeys;       /* per journey: stored state in, new state out */
  PExpState *exps;         /* per experiment: stored state in, the assignment out */
  GArray *actions;         /* PActionRec of the current record */
  PValue key;              /* the profile's key (split hashing) */
  PTraceFn trace;          /* or NULL */
  void (*step_hook)(void *user, uint32_t journey, uint32_t step); /* or NULL: each journey step run */
  void *trace_user;
  PValue output;           /* the `output { … }` value of the record, if the model has one */
  bool skip_output;        /* do not run `output { }`: results are the standard result (PRESULT_NO_OUTPUT) */
  uint64_t budget;         /* instructions per record, 0 = unlimited */
  uint64_t budget_left;
  /* The interrupt hook (persona_vm_set_interrupt), or NULL. With a hook,
   * budget_left counts down one slice of at most PVM_INTERRUPT_EVERY
   * instructions; when it runs out the hook is polled and the next slice
   * is taken from budget_reserve, so the per-instruction cost stays the
   * one decrement there is anyway. */
  gboolean (*interrupt)(gpointer data);
  gpointer interrupt_data;
  uint64_t budget_reserve; /* instructions of the budget beyond the current slice */
  bool interrupted;        /* the last record was stopped by the hook */
  GTimeZone *input_tz;     /* borrowed: times without an offset are read in it, or NULL */
  /* next_change (vm_motion.c): the earliest instant after now noted so
   * far at which something could change; INT64_MAX: none. Reset (to the
   * first future event's `at`) when a record starts. */
  int64_t next_change;
  PDecayAmp *damp;         /* per global slot (decay scores only) */
  struct PLeaveSet *lsets; /* NCLCLR/NCLADD: per leave set, grown on use */
  uint32_t n_lsets;
  char error[384];         /* the last runtime error, with its place */
  const char *error_code;  /* its stable code (static): "runtime", "budget", "interrupted", "too_large" */
} PVMState;

/* The memory one record may take from the arena, unless the host sets
 * another limit (persona_vm_set_memory_limit). */
#define PVM_ARENA_LIMIT ((size_t)512 << 20)

/* How many instructions run between two polls of the interrupt hook: a
 * few microseconds of work, so a cancel is seen at once, while the poll
 * costs nothing measurable. */
#define PVM_INTERRUPT_EVERY 4096u

/* Prepares a state for `model` (globals initialised from the model). */
void pvm_state_init(PVMState *st, const PModel *model);
void pvm_state_clear(PVMState *st);
/* Makes room for the model's current register and set counts (the model
 * grows while consts are folded). */
bool pvm_state_fit(PVMState *st);

/* Runs one block; false with st->error set on a runtime error. */
bool pvm_exec(PVMState *st, uint32_t block, PValue *out);
/* Sets the instruction budget's counters for a new record (vm.c): the
 * budget counts every pvm_exec of the record together. */
void pvm_budget_start(PVMState *st);
/* Work a built-in did (a regex match's steps) charged to the budget like
 * instructions (vm.c); the PCallCtx's `charge` hook, set by
 * pvm_state_init. False with ctx->error set when the budget ran out or the
 * interrupt hook said stop. */
bool pvm_charge(PCallCtx *ctx, uint64_t units);

/* Starts a record: resets the arena, sets `now`, decodes `json` with the
 * model's profile plan and sets st->profile and st->key. False when the
 * record cannot be decoded (dr->error says why; dr->key is set when it
 * could be read). */
bool pvm_begin_record(PVMState *st, const char *json, size_t len, int64_t now_us, PDecodeResult *dr);

/* Forgets any stored state: the next record is a first sight. */
void pvm_state_reset_profile(PVMState *st);

/* Runs all units and then the journeys for the profile already set in
 * st->profile, st->key and st->now_us, starting from st->lc and
 * st->journeys (set them with pstate_decode or pvm_state_reset_profile);
 * leaves the new state there. */
bool pvm_eval_record(PVMState *st);

/* Experiments (vm_experiment.c): every profile gets an arm before the
 * units run (so tags may read arm()); sets each experiment's globals. */
void pvm_assign_experiments(PVMState *st);
/* The bucket of a profile key in experiment x: HMAC-SHA256 keyed by the
 * salt over "NAME" NUL "KEY", first 8 bytes big-endian, mod PEXP_BUCKETS. */
uint32_t pexp_bucket(const PExperimentCode *x, PValue key);
/* The arm whose range holds `bucket` (arms take consecutive ranges in
 * the order written). */
uint32_t pexp_arm_of(const PExperimentCode *x, uint32_t bucket);
/* Runs the units for the profile in st (as pvm_eval_record, without the
 * journeys and ignoring any stored state), then experiment x's metric
 * with `assigned` set to assigned_us; false on a runtime error. */
bool pvm_experiment_metric(PVMState *st, uint32_t x, int64_t assigned_us, bool *converted);

/* Journeys (vm_journey.c): run after every unit. */
bool pvm_run_journeys(PVMState *st);
/* The earliest wake time of an active journey, or false when none. */
bool pvm_next_wake(const PVMState *st, int64_t *out);
/* next_change (vm_motion.c; docs/language.md "When results change"). */
/* The earliest instant after now at which, with no new input, a tag,
 * segment, transition or journey condition, or a piecewise-constant value
 * of the result could change; false when none can. */
bool pvm_next_change(const PVMState *st, int64_t *out);
/* Starts a record's next_change: the first event after now, when the
 * decoder left one out (PDecodeResult.next_visible), becomes visible at
 * its `at`. Every host that decodes a profile itself calls it. */
void pvm_nc_begin(PVMState *st, int64_t next_visible, int64_t next_visible_pii);
/* Notes an instant at which something could change (ignored unless after
 * now). */
static inline void pvm_nc_note(PVMState *st, int64_t t) {
  if (t > st->now_us && t < st->next_change) st->next_change = t;
}
/* The same for an instant computed from a pii value: it is rounded down
 * so that it does not reveal the value (docs/language.md, "When results
 * change": the delay from now, rounded down to a power of two µs). */
void pvm_nc_note_pii(PVMState *st, int64_t t);
/* NCLT/NCLE/NCEQ: the comparison a OP b (op: OP_NCLT …) whose difference
 * b − a moves as `motion` says (a list: rate per µs, then pairs of a decay
 * score's slot and its coefficient). */
void pvm_nc_compare(PVMState *st, uint8_t op, PValue a, PValue b, PValue motion, bool pii);
/* NCSTEP: the next step of floor, ceil, round, hour or weekday of x, x
 * moving as step = [rate per µs, shape (0 floor, 1 ceil, 2 round), grid]
 * says (compiler/codegen_motion.h, PStepMotion). */
void pvm_nc_step(PVMState *st, PValue x, PValue step, bool pii);
/* Leave sets: the instants the events an aggregate selected leave its
 * window, for an exact instant where the aggregate is compared with a
 * constant (NCK*). */
typedef struct PLeaveSet {
  int64_t *t;
  uint32_t n, cap;
} PLeaveSet;
void pvm_nc_leave_clear(PVMState *st, uint32_t set);
/* The pii flag is the reader's: NCK* rounds the instant it notes. */
void pvm_nc_leave_add(PVMState *st, uint32_t set, PValue at, PValue lo, bool pii);
/* NCKLT/NCKLE/NCKEQ: a OP b, one of them the set's count (flags bit 1:
 * b), losing one per leave instant. */
void pvm_nc_count(PVMState *st, uint8_t op, PValue a, PValue b, uint32_t set, uint8_t flags);
void pvm_nc_free(PVMState *st);
void pvm_nc_decay_start(PVMState *st, uint32_t slot, PValue half_life);
void pvm_nc_decay_rule(PVMState *st, uint32_t slot, PValue contrib, PValue raw);
void pvm_nc_decay_clamp(PVMState *st, uint32_t slot, PValue after, PValue before);

#endif
