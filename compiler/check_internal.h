/* check_internal.h - shared between the checker's files (check.c:
 * declarations and order; check_expr.c: expressions; check_decl.c: scores,
 * lifecycles, journeys, tests). Not part of any public interface.
 *
 * Ownership: scope entries and the PCheck's tables point into the syntax
 * tree and the type arena of the PCheck, which owns them; nothing here is
 * freed on its own. */
#ifndef PERSONA_CHECK_INTERNAL_H
#define PERSONA_CHECK_INTERNAL_H

#include "check.h"

/* A name bound inside an expression: a quantifier variable (`any t in L`)
 * or the element of a query (`events where type == …`, whose fields are in
 * scope by name). */
typedef struct PScopeEntry {
  const char *name;    /* the variable, or NULL for an element scope */
  PRecordType *rec;    /* element scope: its record type */
  PType *type;         /* the variable's / element's type */
  int local;           /* local id, unique in the model */
  bool pii;            /* the elements come from a pii value */
} PScopeEntry;


char *pcheck_type_str(PCheck *c, const PType *t);
const char *pcheck_sym_word(const PSym *s);
PType *pcheck_resolve_type(PCheck *c, PTypeExpr *te);
void pcheck_depend(PCheck *c, PSym *on);
void pcheck_const_sym(PCheck *c, PSym *s);
void pcheck_let_sym(PCheck *c, PSym *s);

/* Expressions (check_expr.c). */
PType *pcheck_expr(PCheck *c, PExpr *e);
/* A condition: bool or bool? (null counts as false). `what` names it in
 * messages ("the condition of a tag"). */
void pcheck_cond(PCheck *c, PExpr *e, const char *what);
/* An expression that must be known at compile time. */
PType *pcheck_const_expr(PCheck *c, PExpr *e);
/* Expects a non-optional value of `kind` (int widens to number). */
void pcheck_expect(PCheck *c, PExpr *e, PTypeKind kind, const char *what);
/* The windowed list of a `per` rule or an aggregate: checks LIST, pushes
 * the element scope for `where`, checks the window. Returns the element
 * record type, or NULL when LIST is not a list of records. The caller pops
 * the scope with pcheck_pop_scope(). */
PRecordType *pcheck_query(PCheck *c, PQuery *q, const char *agg, PType **elem_out);
void pcheck_pop_scope(PCheck *c);

/* Reports a value computed from a pii field (see propagate_pii in
 * check_expr.c) that would leave the model as data; `what` names where. */
void pcheck_no_pii_leaves(PCheck *c, const PExpr *e, const char *what);
/* A string literal naming a stage of lifecycle `lc` (with "did you mean"). */
bool pcheck_stage_literal(PCheck *c, PSym *lc, PExpr *lit);

/* Declarations with structure (check_decl.c). */
void pcheck_score(PCheck *c, PSym *s);
void pcheck_lifecycle(PCheck *c, PSym *s);
void pcheck_journey(PCheck *c, PSym *s);
void pcheck_test(PCheck *c, PDecl *d);
void pcheck_output(PCheck *c);
void pcheck_extern(PCheck *c, PSym *s);

/* Experiments (check_experiment.c). */
void pcheck_experiment(PCheck *c, PSym *s);
/* `split EXP { ARM: … }`: the experiment exists and has these arms. */
void pcheck_experiment_split(PCheck *c, PStep *st);
/* arm(EXP): the name of the profile's arm, a string. */
PType *pcheck_arm_call(PCheck *c, PExpr *e);
/* The experiment symbol called `name`, or NULL. */
PSym *pcheck_experiment_sym(PCheck *c, const char *name);
/* Index of arm `arm` in experiment declaration `d`, or -1. */
int pcheck_experiment_arm(const PDecl *d, const char *arm);

/* identity { } and source NAME { } (check_identity.c): builds c->identity. */
void pcheck_identity(PCheck *c);

#endif
