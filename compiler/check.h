/* check.h - name resolution and type checking: syntax tree -> checked tree.
 *
 * The checker resolves every name over the whole model (root file and
 * imports), types every expression (spec section 3), folds nothing but
 * marks constant expressions, builds the dependency graph between tags,
 * lets, scores and lifecycles, reports cycles with their path, and orders
 * the per-record units so that each is computed after what it reads.
 *
 * Errors go to the PDiagList; checking goes on after an error (an
 * erroneous expression gets the type PTY_ERROR, which is accepted
 * everywhere) so that independent errors are all reported in one run.
 *
 * Ownership: a PCheck borrows the tree, the sources and the diagnostics;
 * it owns its symbols, types and tables. The tree's checker fields point
 * into the PCheck, so the tree must not be used after pcheck_free().
 */
#ifndef PERSONA_CHECK_H
#define PERSONA_CHECK_H

#include "ast.h"
#include "diag.h"
#include "types.h"

typedef enum {
  PSYM_FIELD,     /* a schema field: index = field index in the profile */
  PSYM_CONST,
  PSYM_LET,
  PSYM_TAG,
  PSYM_SCORE,
  PSYM_LIFECYCLE,
  PSYM_JOURNEY,
  PSYM_EXTERN,
  PSYM_TEST,      /* a test block: not a name, only a holder of dependencies */
  PSYM_OUTPUT,    /* the output declaration: likewise */
  PSYM_EXPERIMENT,/* index: global slot of the arm; slot_entered: of `assigned` */
} PSymKind;

typedef enum {
  PAGG_NONE, PAGG_COUNT, PAGG_EXISTS, PAGG_SUM, PAGG_AVG, PAGG_MIN, PAGG_MAX,
  PAGG_FIRST, PAGG_LAST, PAGG_DISTINCT,
} PAgg;

struct PSym {
  PSymKind kind;
  const char *name;
  PDecl *decl;           /* NULL for schema fields */
  PFieldDecl *field;     /* schema fields */
  PType *type;           /* value type (tags: bool; scores: number; lifecycles: stage) */
  int index;             /* field index, or global slot for values */
  int slot_entered;      /* lifecycles, journeys: global slot of the entry time */
  int lifecycle;         /* lifecycles: index among lifecycles */
  GPtrArray *stages;     /* lifecycles: const char* stage names */
  GPtrArray *deps;       /* PSym*: values this one reads */
  GArray *thresholds;    /* scores: PThreshold, the constants the model compares it
                            with (lint.c), in source order, each once; or NULL */
  int mark;              /* topological sort: 0 new, 1 on stack, 2 done */
  bool reachable;        /* computed per record (lets only when used) */
  bool checked;
  bool pii;              /* lets: the value is computed from a pii field */
};

typedef struct PCheck {
  PAst *ast;
  const PSourceSet *src;
  PDiagList *diags;
  PTypeTable *tt;

  GHashTable *globals;     /* name -> PSym* */
  GPtrArray *syms;         /* every PSym, owned, in declaration order */
  PDecl *model_decl;
  PRecordType *profile;    /* the schema */
  PDecl *schema_decl;
  int key_field;
  GHashTable *record_types;/* name -> PRecordType* */
  GPtrArray *lifecycles;   /* PSym* in declaration order */
  GPtrArray *consts;       /* PSym* consts in dependency order */
  GPtrArray *units;        /* PSym* lets/tags/scores/lifecycles in dependency order */
  GPtrArray *tags, *scores;/* PSym* in declaration order */
  GPtrArray *columns;      /* PSym*: the hidden lets of PCompileOptions.columns, in order */
  GPtrArray *journeys;     /* PSym* */
  GPtrArray *experiments;  /* PSym* (PSYM_EXPERIMENT) in declaration order */
  GPtrArray *tests;        /* PDecl* of the root file */
  GPtrArray *test_syms;    /* PSym* (PSYM_TEST), one per test, same order */
  PDecl *output_decl;      /* `output { … }` of the root file, or NULL */
  PSym *output_sym;        /* its dependencies */
  bool in_output;          /* checking the output declaration: tags() allowed */
  /* host functions */
  const struct PersonaNatives *registry; /* registered by the embedder, or NULL */
  bool allow_native;       /* extern fn may dlopen its library */
  /* The host's interrupt hook (PCompileOptions.interrupt), or NULL; code
   * generation polls it while constants are computed and sets interrupted
   * when it said stop. */
  gboolean (*interrupt)(gpointer data);
  gpointer interrupt_data;
  bool interrupted;
  GPtrArray *natives;      /* PNative* the model calls (owned), index = PExpr.native */
  GPtrArray *dl_handles;   /* dlopen handles of extern libraries (owned until codegen takes them) */
  struct PIdentity *identity; /* identity and sources (runtime/identity.h), or NULL; owned until codegen takes it */
  int n_globals;
  int n_dsets;             /* distinct-sets needed */

  /* while checking */
  PSym *current;           /* the declaration whose expression is checked */
  PDecl *current_journey;
  PDecl *current_experiment; /* checking its metric: `assigned` is a time */
  GArray *scope;           /* PScopeEntry, innermost last */
  int n_locals;            /* locals live in the block's registers: count */
  bool const_context;
  const char **lc_names;   /* cache for pcheck_lifecycle_names */
} PCheck;

PCheck *pcheck_new(PAst *ast, const PSourceSet *src, PDiagList *diags);
/* Polls the host's interrupt hook: true (and c->interrupted) when it said
 * stop, now or before. The checker calls it per declaration and code
 * generation per unit and constant. */
bool pcheck_poll(PCheck *c);
void pcheck_free(PCheck *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PCheck, pcheck_free)

/* Checks the whole tree. Returns TRUE when no error was reported. */
gboolean pcheck_run(PCheck *c);

/* Names of the lifecycles by index, for ptype_to_string; NULL-terminated,
 * owned by the PCheck. */
const char *const *pcheck_lifecycle_names(PCheck *c);

/* Index of `stage` in lifecycle symbol `lc`, or -1. */
int pcheck_stage_index(const PSym *lc, const char *stage);

#endif
