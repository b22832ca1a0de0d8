/* model.h - a compiled model: bytecode blocks plus the declarative tables
 * that drive them (outputs, lifecycles, decode plans).
 *
 * One evaluation runs the model's units in dependency order. A unit is
 * either a value (a tag, let or score: one block whose RET value goes into
 * a global slot) or a lifecycle (a small state machine whose transition
 * conditions are blocks). Consts are evaluated once, when the model is
 * built, into the first global slots.
 *
 * Ownership: the model owns everything reachable from it (code, constant
 * values and their memory in const_arena, plans, compiled regexes). It is
 * immutable once built, shared read-only by VMs, and reference counted.
 */
#ifndef PERSONA_MODEL_H
#define PERSONA_MODEL_H

#include <glib.h>
#include <stdint.h>

#include "arena.h"
#include "constset.h"
#include "json_decode.h"
#include "opcodes.h"
#include "value.h"

typedef struct PInsnLoc {
  uint32_t file, line, col;
} PInsnLoc;

typedef struct PBlock {
  char *name;          /* "tag enterprise", "score fit", "funnel: lead -> mql" */
  PInsn *code;
  PInsnLoc *locs;      /* one per instruction: the source it came from */
  uint32_t n_code;
  uint32_t n_regs;
} PBlock;

typedef enum { PUNIT_VALUE, PUNIT_LIFECYCLE } PUnitKind;

typedef struct PUnit {
  PUnitKind kind;
  uint32_t block;      /* PUNIT_VALUE */
  uint32_t slot;       /* PUNIT_VALUE: global slot of the result */
  uint32_t lifecycle;  /* PUNIT_LIFECYCLE */
} PUnit;

/* ---- explanations (models compiled with tracing) ----------------------------- */

/* A condition with the operands whose values explain it ("employees was
 * 800"). */
typedef struct PExplainCond {
  char *text;               /* the condition as written */
  uint32_t n_operands;
  uint32_t *operand_block;  /* a block computing each operand */
  char **operand_text;      /* NULL-terminated */
  bool *operand_pii;        /* the operand reads a pii field: never show its value */
} PExplainCond;

typedef struct PRuleInfo {
  char *text;               /* the rule as written: "+15 per events where …" */
  PInsnLoc loc;
  bool per;
  double weight;            /* the signed weight when a number literal (30, -20), else NAN */
  PExplainCond cond;        /* `when` rules */
} PRuleInfo;

typedef struct PTransitionCode {
  int32_t from;        /* stage index, or -1 for `any` */
  uint32_t to;
  uint32_t block;      /* condition */
  PInsnLoc loc;
  PExplainCond why;    /* models compiled with tracing only */
} PTransitionCode;

typedef struct PLifecycleCode {
  char *name;
  uint32_t n_stages;
  char **stages;       /* stage names, in order of first appearance */
  GString *json_name;    /* the name and the stages as JSON strings (pmodel_finish) */
  GString **json_stages;
  uint32_t initial;
  uint32_t slot_stage;   /* global: the current stage, a PV_STRING */
  uint32_t slot_entered; /* global: when the current stage was entered */
  uint32_t n_transitions;
  PTransitionCode *transitions; /* in the order written */
} PLifecycleCode;

/* ---- journeys: a step graph; conditions and durations are blocks ------- */

#define PJ_END UINT32_MAX
#define PJ_NO_BLOCK UINT32_MAX

typedef enum {
  PJS_SEND, PJS_TASK, PJS_NOTIFY, PJS_WEBHOOK, /* actions */
  PJS_WAIT, PJS_WAIT_UNTIL, PJS_IF, PJS_SPLIT, PJS_BLOCK,
} PJStepKind;

typedef struct PJStep {
  uint8_t kind;
  bool by_experiment;  /* split EXP { … }: arm_step is indexed by the experiment's arms */
  uint32_t experiment; /* … of this experiment */
  PInsnLoc loc;
  char *id;            /* stable step id, e.g. "welcome/if#1/else/send:email:welcome-2" */
  char *channel;       /* send/notify channel, task queue */
  char *text;          /* template, task or notify text, webhook name */
  uint32_t cond;       /* if, wait until: condition block */
  uint32_t duration;   /* wait, wait until: duration block */
  uint32_t next;       /* the step after this one, or PJ_END */
  uint32_t then_step;  /* if: first step of each branch (next when empty) */
  uint32_t else_step;
  uint32_t n_arms;     /* split */
  uint32_t *arm_step;
  double *arm_weight;  /* fractions, in order */
} PJStep;

typedef enum { PJ_ENTER_ON, PJ_ENTER_WHEN } PJEnterKind;

typedef struct PJourneyCode {
  char *name;
  uint32_t slot_entered;   /* global read by `entered` inside the journey */
  uint8_t enter_kind;
  uint32_t enter_lifecycle;
  uint32_t enter_stage;
  uint32_t enter_cond;     /* block, PJ_ENTER_WHEN */
  uint32_t exit_cond;      /* block or PJ_NO_BLOCK */
  uint32_t reenter_after;  /* duration block, or PJ_NO_BLOCK for `reenter never` */
  uint32_t first;          /* first step or PJ_END */
  uint32_t n_steps;
  PJStep *steps;
  uint32_t n_holdouts;     /* experiments split on in this journey: a profile in */
  uint32_t *holdouts;      /* the holdout of one of them never enters it */
} PJourneyCode;

/* ---- experiments (docs/experiment.md) ------------------------------------------ */

/* A keyed hash puts every profile in one of PEXP_BUCKETS buckets; the arms
 * take consecutive ranges of buckets in the order written. */
#define PEXP_BUCKETS 10000

typedef struct PExperimentCode {
  char *name;
  char *label;            /* or NULL */
  char *salt;             /* the HMAC key */
  uint32_t salt_len;
  char salt_id[17];       /* the first 16 hex digits of SHA-256(salt): kept in the state */
  uint32_t n_arms;
  char **arms;            /* names, in the order written */
  uint32_t *arm_buckets;  /* each arm's share, in buckets */
  int32_t holdout;        /* the arm named `holdout`, or -1 */
  uint32_t control;       /* the arm lifts are measured against */
  uint32_t slot_arm;      /* global: the arm's name */
  uint32_t slot_assigned; /* global: when the profile got its arm */
  uint32_t metric;        /* block: the conversion condition */
  int64_t window_us;      /* the metric is read at assigned + window */
  PInsnLoc loc;
} PExperimentCode;

/* ---- test blocks (spec 7) -------------------------------------------------- */

typedef enum {
  PT_PROFILE, PT_AT, PT_EXPECT, PT_EXPECT_ACTION, PT_EXPECT_NO_ACTION,
  PT_PROFILES,           /* profile from "FILE": profile_json holds the file's JSON Lines */
  PT_EXPECT_LIFT,        /* lift(EXP, args[0], args[1]) OP threshold */
  PT_EXPECT_SIGNIFICANT, /* significant(EXP, threshold) */
} PTestOp;

typedef struct PTestStepCode {
  uint8_t kind;
  PInsnLoc loc;
  char *text;            /* the expectation as written, for messages */
  char *profile_json;    /* PT_PROFILE */
  int64_t at_us;         /* PT_AT; PT_EXPECT_ACTION with has_at */
  bool has_at;
  uint32_t block;        /* PT_EXPECT: the condition */
  PExplainCond why;      /* PT_EXPECT: operands whose values explain a failure */
  char *action_kind;     /* PT_EXPECT_ACTION: send task notify webhook */
  uint32_t experiment;   /* PT_EXPECT_LIFT, PT_EXPECT_SIGNIFICANT */
  uint8_t op;            /* PT_EXPECT_LIFT: 0 >=, 1 >, 2 <=, 3 <; PT_EXPECT_SIGNIFICANT: 1 for `not` */
  double threshold;      /* the lift (a fraction) or the significance level */
  uint32_t n_args;
  char **args;
} PTestStepCode;

typedef struct PTestCode {
  char *name;
  PInsnLoc loc;
  uint32_t n_steps;
  PTestStepCode *steps;
} PTestCode;

/* ---- trace points: only in models compiled for explain/coverage ----------- */

typedef enum {
  PTRACE_RULE,        /* a score rule's contribution (after its cap) */
  PTRACE_RULE_RAW,    /* the same before the cap */
  PTRACE_EVENT,       /* a `per` rule counted this record (value: the record) */
  PTRACE_FACTOR,      /* ... with this decay factor */
} PTraceKind;

typedef struct PTracePoint {
  uint8_t kind;
  uint32_t score;      /* output index of the score */
  uint32_t rule;       /* rule index within the score */
  uint32_t plan;       /* PTRACE_EVENT: the record's decode plan (field names) */
  bool pii;            /* PTRACE_EVENT: the list is pii: show no record, time or decay */
} PTracePoint;

/* A segment (`segment NAME when C`) is a tag that results report under
 * "segments"; its value is a boolean like a tag's. */
typedef enum { POUT_TAG, POUT_SCORE, POUT_SEGMENT } POutputKind;

/* The field names of the `output` record, and of the record literals and
 * lists of record literals nested in it, for writing it as JSON. */
typedef struct POutShape {
  uint32_t n_fields;
  char **names;                 /* NULL-terminated */
  GString **keys;               /* per field: `"name":`, the JSON text before its value (pmodel_finish) */
  struct POutShape **children;  /* per field, or NULL; for a list: its elements' shape */
  bool is_list;
} POutShape;

/* A constant a score is compared with, read `score OP value` (a comparison
 * written the other way round is turned: `60 <= total` is `total >= 60`).
 * op is "<", "<=", ">" or ">=" (static). */
typedef struct PThreshold {
  const char *op;
  double value;
} PThreshold;

typedef struct POutput {
  POutputKind kind;
  char *name;
  GString *json_name;  /* the name as a JSON string (pmodel_finish) */
  char *label;         /* tag label or NULL */
  uint32_t slot;
  PInsnLoc loc;        /* the declaration */
  /* Models compiled with tracing only: */
  PExplainCond why;    /* tags: the condition */
  char *header;        /* scores: the first line as written ("score fit max 100 {") */
  uint32_t n_rules;    /* scores: the rules, in order */
  PRuleInfo *rules;
  /* Scores compiled from source (not stored in bytecode): the constants
   * the model compares the score with, in source order, each once. */
  uint32_t n_thresholds;
  PThreshold *thresholds;
} POutput;

typedef struct PCallSite {
  uint32_t builtin;    /* index into pbuiltins */
  uint32_t nargs;
  void *aux;           /* compiled regex, owned */
} PCallSite;

typedef struct PModel {
  gint refcount;
  char *name, *version;
  char *input_tz;          /* `timezone "…"` of the model line, "" when none */
  char **file_names;       /* for runtime error locations */
  uint32_t n_files;

  PValue *consts;          /* K: the constant pool */
  uint32_t n_consts;
  PArena const_arena;      /* strings, lists and records of constants */

  PBlock *blocks;
  uint32_t n_blocks;
  PUnit *units;            /* per-record units, in dependency order */
  uint32_t n_units;
  uint32_t n_globals;
  /* next_change is computed (the compiler's NC instructions are there):
   * true for a compiled model and one read from format version 7 or one
   * that nothing makes move with time (bytecode.c); false for an older
   * file, whose results then have no next_change. */
  bool tracks_change;
  /* Some events the profile may hold are in fields, inside a field the
   * model reads, that it does not read (pmodel_finish): a decoding that
   * reads every field would see future events of them, which this model's
   * own decoding skips, so persona_vm_eval_record does not share one with
   * it (next_change; unread fields of the profile itself are told apart
   * by PDecodeResult.nv_field). */
  bool skips_nested_events;
  PValue *global_init;     /* initial globals: consts set, others null */

  POutput *outputs;        /* tags and segments, then scores, each in declaration order */
  uint32_t n_outputs;
  bool has_segments;       /* some output is a segment: results carry "segments" (pmodel_finish) */
  PLifecycleCode *lifecycles;
  uint32_t n_lifecycles;
  PJourneyCode *journeys;
  uint32_t n_journeys;
  PExperimentCode *experiments; /* section EXPS of bytecode format 6 */
  uint32_t n_experiments;
  PTestCode *tests;
  uint32_t n_tests;
  uint32_t output_block;   /* `output { … }`: its block, or PJ_NO_BLOCK for the standard result */
  POutShape *output_shape;
  PTracePoint *traces;     /* TRACE B indexes this; none in ordinary builds */
  uint32_t n_traces;

  PCallSite *calls;
  uint32_t n_calls;
  struct PNative **natives; /* host functions (owned), CALLN Bx indexes this */
  uint32_t n_natives;
  void **dl_handles;        /* libraries of extern fns, closed with the model */
  uint32_t n_dl_handles;
  PConstSet *sets;
  uint32_t n_sets;
  uint32_t n_dsets;        /* distinct-sets used by `distinct` */
  uint32_t max_regs;

  PDecodePlan *plans;      /* one per record type (and the schema) */
  uint32_t profile_plan;   /* index of the schema's plan */
  uint32_t n_plans;
  /* The same plans reading every field (pdec_plans_reading_all), built by
   * pmodel_finish: a decoding any model of the same schema can share
   * (persona_vm_eval_record). NULL when memory ran out. */
  PDecodePlan *plans_all;
  char **profile_field_names; /* for messages and debugging */

  /* SHA-256 of the source texts (root file, then imports in order; see
   * docs/bytecode.md), set by the compiler front door or read from a .pbc. */
  uint8_t source_hash[32];
  bool has_source_hash;

  /* `persona eval --where`: the global slot of the expression's value (a
   * tag taken out of the outputs, so no result shows it). Not stored in
   * bytecode files. */
  bool has_where;
  uint32_t where_slot;
  /* `persona eval --select` of lets and fields: the global slot of each
   * selected column's value (PCompileOptions.columns, in order). Not
   * stored in bytecode files. */
  uint32_t n_columns;
  uint32_t *column_slots;

  /* `identity { }` and `source { }` (identity.h), or NULL. Not stored in
   * bytecode files: `persona unify` reads a model from its source. */
  struct PIdentity *identity;
} PModel;

PModel *pmodel_new(void);
/* Derives what the runtime reads from a model's complete tables, for the
 * code generator and the bytecode reader alike: each decode plan's lookup,
 * and the JSON text of every name a result repeats (tags, scores,
 * lifecycles, stages, the keys of `output { }`), encoded once instead of
 * for every record. */
void pmodel_finish(PModel *m);
void poutshape_free(POutShape *s);
/* Takes output i out of the model (freeing what it owns); its unit still
 * computes its global slot. Only for a model without trace points, whose
 * code never names an output by index. */
void pmodel_remove_output(PModel *m, uint32_t i);
void pexplain_cond_clear(PExplainCond *c);
PModel *pmodel_ref(PModel *m);
void pmodel_unref(PModel *m);

#endif
