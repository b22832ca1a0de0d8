/* ast.h - the syntax tree that the parser builds and the checker annotates.
 *
 * Every node is allocated from the PAst that owns the whole tree (one per
 * compilation, across imported files); nothing in the tree is freed on its
 * own. Node lists are GPtrArray* created with past_list(), also owned by
 * the PAst. Strings in nodes (names, literal text) are copied into the
 * PAst's string chunk and live as long as it does.
 *
 * The checker fills the fields marked "checker:" in place; the parser
 * leaves them zero.
 */
#ifndef PERSONA_AST_H
#define PERSONA_AST_H

#include "source.h"
#include <stdbool.h>
#include <stdint.h>

typedef struct PType PType; /* types.h */
typedef struct PSym PSym;   /* check.h: a resolved declaration */

/* ---- type expressions as written: `list<event>?` ------------------------ */
typedef enum {
  PTE_NAME, /* bool int number string time duration, or a record name */
  PTE_LIST, /* list<elem> */
} PTypeExprKind;

typedef struct PTypeExpr {
  PTypeExprKind kind;
  PLoc loc;
  const char *name;          /* PTE_NAME */
  struct PTypeExpr *elem;    /* PTE_LIST */
  bool optional;             /* trailing `?` */
} PTypeExpr;

/* ---- expressions --------------------------------------------------------- */
typedef enum {
  PE_INT,      /* 42            -> ival */
  PE_NUMBER,   /* 3.5, 50%      -> nval (a percentage is already /100) */
  PE_STRING,   /* "text"        -> sval/slen (escapes decoded, valid UTF-8) */
  PE_DURATION, /* 7d            -> ival in microseconds */
  PE_BOOL,     /* true false    -> bval */
  PE_NULL,
  PE_LIST,     /* [a, b]        -> items */
  PE_RECORD,   /* {k: v, "k": v} -> fields (PRecordField*) */
  PE_NAME,     /* identifier    -> name */
  PE_FIELD,    /* a.b           -> left, name */
  PE_CALL,     /* f(args) or f(QUERY) -> name, items (args), query */
  PE_UNARY,    /* op left       -> op: PT_MINUS or PT_NOT */
  PE_BINARY,   /* left op right -> op: one of the binary PTok* below */
  PE_QUANT,    /* any x in L: C / all x in L: C -> quant_all, name(var), left(L), right(C) */
} PExprKind;

/* Operator codes for PE_UNARY / PE_BINARY. */
typedef enum {
  POP_NONE = 0,
  POP_COALESCE, /* ?? */
  POP_OR, POP_AND, POP_NOT,
  POP_EQ, POP_NE, POP_LT, POP_LE, POP_GT, POP_GE, POP_IN,
  POP_ADD, POP_SUB, POP_MUL, POP_DIV, POP_MOD,
  POP_NEG,
} POp;

/* The windowed-list form shared by aggregates and `per` rules:
 *   [FIELD of] LIST [where C] [within D | since T]                          */
typedef enum { PWIN_NONE, PWIN_WITHIN, PWIN_SINCE } PWindowKind;

typedef struct PQuery {
  PLoc loc;
  const char *field;      /* FIELD before `of`, or NULL */
  PLoc field_loc;
  struct PExpr *list;     /* LIST */
  struct PExpr *where;    /* or NULL */
  PWindowKind window;
  struct PExpr *window_expr; /* duration (within) or time (since), or NULL */
  int elem_local;         /* checker: local id of the element in `where` */
} PQuery;

typedef struct PRecordField {
  PLoc loc;
  const char *name;
  struct PExpr *value;
} PRecordField;

typedef struct PExpr {
  PExprKind kind;
  PLoc loc;
  POp op;
  int64_t ival;
  double nval;
  bool bval;
  bool quant_all;
  bool parens;       /* written in parentheses (kept by `persona fmt`) */
  const char *sval;
  uint32_t slen;
  const char *name;
  struct PExpr *left, *right;
  GPtrArray *items;  /* PE_LIST, PE_CALL args: PExpr*; PE_RECORD: PRecordField* */
  PQuery *query;     /* PE_CALL with the query form, else NULL */
  uint32_t depth;    /* parser: levels of nesting, 1 for a leaf (PPARSE_MAX_EXPR_DEPTH) */

  /* checker: */
  PType *type;
  PSym *sym;         /* PE_NAME resolved to a declaration, or NULL */
  int local;         /* PE_NAME bound to a quantifier/where element: slot >= 0, else -1 */
  int field_index;   /* PE_FIELD / element-field PE_NAME: index in its record */
  int builtin;       /* PE_CALL: index into the builtin table, or -1 */
  int native;        /* PE_CALL: index of a host function (check.h natives), or -1 */
  int agg;           /* PE_CALL: PAgg code (check.h) when an aggregate, else 0 */
  bool is_const;     /* value known at compile time */
  bool pii;          /* reads a field declared `pii` (never show its value) */
} PExpr;

/* ---- schema / records ---------------------------------------------------- */
typedef struct PFieldDecl {
  PLoc loc;
  const char *name;
  PTypeExpr *type;
  PExpr *default_value; /* `= expr` or NULL */
  bool is_key;
  bool is_pii;
  /* `at: time ms`: numbers in the input are epoch milliseconds (`s`, the
   * default, is seconds); unit_loc is where the word is, for messages. */
  bool epoch_ms;
  bool has_unit;
  PLoc unit_loc;
} PFieldDecl;

/* ---- score rules --------------------------------------------------------- */
typedef enum { PRULE_WHEN, PRULE_PER } PRuleKind;

typedef struct PScoreRule {
  PLoc loc;
  PRuleKind kind;
  bool negative;     /* written with `-` */
  PExpr *weight;     /* number literal or parenthesised expression (positive as written) */
  PExpr *cond;       /* PRULE_WHEN */
  PQuery *query;     /* PRULE_PER (field is NULL) */
  PExpr *cap;        /* `cap C` or NULL */
} PScoreRule;

/* ---- lifecycles ---------------------------------------------------------- */
typedef struct PTransition {
  PLoc loc;
  const char *from;  /* stage name, or NULL for `any` */
  PLoc from_loc;
  const char *to;
  PLoc to_loc;
  PExpr *cond;
} PTransition;

/* ---- journeys ------------------------------------------------------------ */
typedef enum {
  PSTEP_SEND,    /* send CHANNEL "template"  -> channel, text */
  PSTEP_TASK,    /* task QUEUE "text"        -> channel, text */
  PSTEP_NOTIFY,  /* notify CHANNEL "text"    -> channel, text */
  PSTEP_WEBHOOK, /* webhook "name"           -> text */
  PSTEP_WAIT,    /* wait D                   -> duration */
  PSTEP_WAIT_UNTIL, /* wait until C for D    -> cond, duration */
  PSTEP_IF,      /* if C BLOCK [else BLOCK | else if …] -> cond, body, else_body (else-if is an else body of one PSTEP_IF) */
  PSTEP_SPLIT,   /* split { W: STEP … }     -> arms (PSplitArm*);
                    split EXP { ARM: STEP … } -> experiment, arms (named) */
  PSTEP_BLOCK,   /* { STEP … }              -> body */
} PStepKind;

typedef struct PStep {
  PStepKind kind;
  PLoc loc;
  const char *label;      /* `@label` before the step, or NULL */
  const char *channel;    /* identifier after send/task/notify */
  const char *text;       /* the string argument */
  uint32_t text_len;
  PExpr *cond;
  PExpr *duration;
  GPtrArray *body;        /* PStep* */
  GPtrArray *else_body;   /* PStep* or NULL */
  GPtrArray *arms;        /* PSplitArm* */
  const char *experiment; /* PSTEP_SPLIT by an experiment: its name, else NULL */
  PLoc experiment_loc;
  PLoc else_loc;          /* PSTEP_IF: `else` to the end, or empty at the end of the body */
  /* checker: */
  char *id;               /* stable step id (spec 4.6), owned by the PAst */
} PStep;

typedef struct PSplitArm {
  PLoc loc;
  PExpr *weight;          /* a percentage literal (PE_NUMBER); NULL for a named arm */
  const char *name;       /* `story: STEP` in `split EXP { … }`, and the arms of an
                             experiment; else NULL */
  PLoc name_loc;
  PStep *step;            /* NULL in an experiment's `arms` list */
} PSplitArm;

typedef enum { PENTER_NONE, PENTER_ON, PENTER_WHEN } PEnterKind;

/* ---- tests --------------------------------------------------------------- */
typedef enum {
  PTSTEP_PROFILE,   /* profile {…}            -> value */
  PTSTEP_AT,        /* at "time"              -> value */
  PTSTEP_EXPECT,    /* expect C               -> value */
  PTSTEP_EXPECT_ACTION,    /* expect action KIND ARGS [at T] -> kind_name, args, at */
  PTSTEP_EXPECT_NO_ACTION, /* expect no action */
  PTSTEP_PROFILES,  /* profile from "FILE.jsonl" -> value (a string: the file, beside the model) */
} PTestStepKind;

typedef struct PTestStep {
  PTestStepKind kind;
  PLoc loc;
  PExpr *value;
  const char *kind_name;  /* send / task / notify / webhook */
  GPtrArray *args;        /* PExpr*: identifiers (PE_NAME) and strings */
  PExpr *at;              /* or NULL */
  /* checker: */
  const char *profiles_text; /* PTSTEP_PROFILES: the file's text, owned by the PAst */
  uint32_t profiles_len;
  int experiment_expect;  /* PTSTEP_EXPECT over an experiment: 1 lift(…) OP X, 2 significant(…),
                             3 not significant(…); else 0 */
  PSym *experiment;       /* … its experiment */
} PTestStep;

/* ---- identity and source declarations (docs/unify.md) --------------------
 * One clause of an `identity { }` or `source NAME { }` block. The grammar
 * only knows the shapes; the checker (check_identity.c) knows the words.
 *   key K [= NORM[("CC")]]    word "key", name K, arg NORM, text CC
 *   key K from F              word "key", name K, from F
 *   WORD NAME [from F]        field/time: name, from
 *   WORD NAME = RULE          merge: name, arg RULE
 *   WORD NAME INT             limit: name, ival
 *   WORD NAME "TEXT"          block: name, text
 *   never WORD NAME "TEXT"    word "never", arg (join), name, text
 *   WORD [A, B, …]            priority: list of PUnifyItem (names)
 *   WORD NAME { SUB, … }      event: list of PUnifyItem: name [from F | = "TEXT"] */
typedef struct PUnifyItem {
  PLoc loc;
  const char *word;
  PLoc word_loc;
  const char *name;
  PLoc name_loc;
  const char *arg;      /* NULL when absent */
  PLoc arg_loc;
  const char *from;     /* `from F`: a field of the input record, or NULL */
  PLoc from_loc;
  const char *text;     /* string argument, or NULL */
  uint32_t text_len;
  PLoc text_loc;
  int64_t ival;
  bool has_int;
  bool has_eq;          /* written with `=` */
  GPtrArray *list;      /* priority names, event sub-items; else NULL */
} PUnifyItem;

/* ---- declarations -------------------------------------------------------- */
typedef enum {
  PD_MODEL,     /* model NAME version "v"        -> name, text */
  PD_IMPORT,    /* import "path"                 -> text */
  PD_RECORD,    /* record NAME { fields }        -> name, fields */
  PD_SCHEMA,    /* schema { fields }             -> fields */
  PD_CONST,     /* const NAME = expr             -> name, expr */
  PD_LET,       /* let NAME = expr               -> name, expr */
  PD_TAG,       /* tag NAME ["label"] when expr  -> name, text (label), expr;
                 * also segment NAME ["label"] when expr (is_segment) */
  PD_SCORE,     /* score NAME [decay D] [max M] [min M] { rules } | score NAME [max M] [min M] = expr */
  PD_LIFECYCLE, /* lifecycle NAME { initial S  transitions } */
  PD_JOURNEY,   /* journey NAME { enter… reenter… exit… steps } */
  PD_TEST,      /* test "name" { steps }         -> text, test_steps */
  PD_EXTERN,    /* extern fn NAME(params) -> type from "lib" -> name, params, ret_type, text */
  PD_OUTPUT,    /* output { key: expr, … }       -> expr (a record literal): the result's shape */
  PD_IDENTITY,  /* identity { clauses }          -> items */
  PD_SOURCE,    /* source NAME { clauses }       -> name, items */
  PD_EXPERIMENT, /* experiment NAME ["label"] { arms … salt "s" metric C within D [control A] }
                    -> name, text (label), arms (PSplitArm*, named), salt, expr (metric),
                       metric_window, control */
} PDeclKind;

typedef struct PDecl {
  PDeclKind kind;
  PLoc loc;          /* the whole declaration */
  PLoc name_loc;
  const char *name;
  const char *text;  /* model version, import path, tag label, test name, extern library */
  uint32_t text_len;
  PExpr *expr;       /* const/let/tag/derived score */
  bool is_segment;   /* tag: written `segment NAME when …` (reported under "segments") */
  GPtrArray *fields; /* PFieldDecl*: record, schema; extern params (name + type) */

  /* model: `timezone "Asia/Shanghai"`, the zone of input times written
   * without an offset, or NULL */
  const char *timezone;
  uint32_t timezone_len;
  PLoc timezone_loc;

  /* score */
  PExpr *decay;      /* half-life or NULL */
  PExpr *max, *min;  /* or NULL */
  GPtrArray *rules;  /* PScoreRule*; NULL for a derived score (expr is set) */

  /* lifecycle */
  const char *initial;
  PLoc initial_loc;
  GPtrArray *transitions; /* PTransition* */

  /* journey */
  PEnterKind enter;
  const char *enter_lifecycle; /* enter on L -> "s" */
  PLoc enter_lifecycle_loc;
  PExpr *enter_stage;          /* the "s" string literal */
  PExpr *enter_cond;           /* enter when C */
  bool has_reenter;
  bool reenter_never;          /* `reenter never` (also the default) */
  PExpr *reenter_after;        /* `reenter after D` */
  PExpr *exit_cond;            /* `exit when C` or NULL */
  PLoc enter_loc, reenter_loc, exit_loc; /* the clauses' keywords (for `persona fmt`) */
  GPtrArray *steps;            /* PStep* */

  /* test */
  GPtrArray *test_steps;       /* PTestStep* */

  /* extern */
  PTypeExpr *ret_type;

  /* identity, source */
  GPtrArray *items;  /* PUnifyItem* */

  /* experiment (docs/experiment.md); `arms` as in a split, with names */
  GPtrArray *arms;             /* PSplitArm*: name and weight, no step */
  const char *salt;            /* or NULL */
  uint32_t salt_len;
  PLoc salt_loc;
  PExpr *metric_window;        /* the duration after `within`, or NULL */
  const char *control;         /* `control ARM`, or NULL (the holdout) */
  PLoc control_loc;
  PLoc arms_loc, metric_loc;   /* the clauses' words */

  /* checker: */
  PSym *sym;
} PDecl;

/* A `#` comment, recorded only when asked for (pparse_file_with_comments). */
typedef struct PComment {
  PLoc loc;
  const char *text;   /* from `#` to the end of the line, without the newline */
  bool own_line;      /* nothing but blanks before it on its line */
} PComment;

/* One parsed file. */
typedef struct PFileAst {
  uint32_t file;      /* index in the PSourceSet */
  GPtrArray *decls;   /* PDecl*, in source order */
  GPtrArray *comments; /* PComment*, in source order; NULL unless asked for */
} PFileAst;

/* The tree of one compilation: the root file and its imports. */
typedef struct PAst {
  GPtrArray *files;   /* PFileAst*, root first */
  GPtrArray *owned;   /* every node, freed with g_free */
  GPtrArray *lists;   /* every list, freed with g_ptr_array_unref */
  GStringChunk *strings;
  /* The host's interrupt hook (PCompileOptions.interrupt), or NULL: the
   * parser polls it every PAST_POLL_TOKENS tokens and, when it says stop,
   * sets `interrupted` and ends the file there. */
  gboolean (*interrupt)(gpointer data);
  gpointer interrupt_data;
  bool interrupted;
} PAst;

#define PAST_POLL_TOKENS 4096u

PAst *past_new(void);
void past_free(PAst *ast);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PAst, past_free)

/* Zeroed allocation owned by the tree. */
gpointer past_alloc(PAst *ast, gsize size);
#define past_new_node(ast, T) ((T *)past_alloc((ast), sizeof(T)))
/* A list owned by the tree (no element free function). */
GPtrArray *past_list(PAst *ast);
/* Copies a string (len bytes, may contain NUL) into the tree; NUL-terminated. */
const char *past_strndup(PAst *ast, const char *s, gsize len);
const char *past_strdup(PAst *ast, const char *s);

/* Constructors used by the parser; each sets kind and loc and the checker
 * fields to their "unresolved" values (local = -1, builtin = -1). */
PExpr *past_expr(PAst *ast, PExprKind kind, const PLoc *loc);
PDecl *past_decl(PAst *ast, PDeclKind kind, const PLoc *loc);
PStep *past_step(PAst *ast, PStepKind kind, const PLoc *loc);

/* Joins two locations into one spanning both (same file). */
PLoc ploc_span(const PLoc *a, const PLoc *b);

const char *pop_text(POp op); /* "+", "and", "??" … for messages */

#endif
