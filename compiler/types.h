/* types.h - the static types of Persona (spec section 3).
 *
 * Every expression has a type known at compile time. Types are allocated
 * in a PTypeTable owned by the compilation and compared structurally;
 * record types are nominal (one PRecordType per `record`/`schema`).
 */
#ifndef PERSONA_TYPES_H
#define PERSONA_TYPES_H

#include <glib.h>
#include <stdbool.h>

#include "ast.h"

typedef enum {
  PTY_ERROR,    /* an error was already reported: accept silently */
  PTY_NULL,     /* the type of the literal `null`: fits any T? */
  PTY_BOOL,
  PTY_INT,
  PTY_NUMBER,
  PTY_STRING,
  PTY_TIME,
  PTY_DURATION,
  PTY_LIST,     /* elem; elem NULL for the empty list literal `[]` */
  PTY_RECORD,   /* rec */
  PTY_STAGE,    /* a stage of lifecycle `lifecycle` (a string at run time) */
} PTypeKind;

typedef struct PRecordType PRecordType;

struct PType {
  PTypeKind kind;
  bool optional;
  PType *elem;
  PRecordType *rec;
  int lifecycle;   /* PTY_STAGE: index of the lifecycle symbol */
};

typedef struct PRecordFieldType {
  const char *name;
  PType *type;
  PFieldDecl *decl;   /* NULL for record literals */
  bool used;          /* read by some expression: the decoder skips the others */
} PRecordFieldType;

struct PRecordType {
  const char *name;          /* "event", "profile" for the schema, "record" for literals */
  GArray *fields;            /* PRecordFieldType */
  int at_field;              /* index of `at: time`, or -1 */
  int index;                 /* index among the model's record types */
};

typedef struct PTypeTable {
  GPtrArray *owned;          /* PType* */
  GPtrArray *records;        /* PRecordType*, in creation order */
  PType *t_error, *t_null, *t_bool, *t_int, *t_number, *t_string, *t_time,
      *t_duration, *t_empty_list;
} PTypeTable;

PTypeTable *ptype_table_new(void);
void ptype_table_free(PTypeTable *tt);

PType *ptype_new(PTypeTable *tt, PTypeKind kind, bool optional);
PType *ptype_list(PTypeTable *tt, PType *elem, bool optional);
PType *ptype_optional(PTypeTable *tt, PType *t);  /* t itself if already optional */
PType *ptype_required(PTypeTable *tt, PType *t);  /* the non-optional form */
PType *ptype_stage(PTypeTable *tt, int lifecycle, bool optional);
PRecordType *precord_type_new(PTypeTable *tt, const char *name);
int precord_field(const PRecordType *rt, const char *name);

bool ptype_equal(const PType *a, const PType *b);
/* May a value of type `from` be used where `to` is expected (int widens to
 * number, T fits T?, null fits T?, [] fits any list)? */
bool ptype_assignable(const PType *from, const PType *to);
bool ptype_is_numeric(const PType *t);  /* int or number, not optional */
/* The common type of two branches/elements (int+number -> number,
 * optional if either is), or NULL when they have none. */
PType *ptype_unify(PTypeTable *tt, PType *a, PType *b);

/* "list<event>?", "number", "stage of funnel" (needs the lifecycle names
 * for stages: pass NULL to print "stage"). Caller frees. */
char *ptype_to_string(const PType *t, const char *const *lifecycle_names);

#endif
