/* identity.h - a model's `identity { }` and `source NAME { }` declarations
 * as tables (docs/unify.md): which identifiers join records into one
 * person, how each is normalised, which values never join, how many of a
 * kind one person may have, how each input's records map onto profile
 * fields and events, and how fields merge. The checker builds it
 * (compiler/check_identity.c); the model owns it; include/persona.h reads
 * it (persona_model_identity_*); `persona unify` (unify/) runs it.
 *
 * Ownership: a PIdentity owns every array and string in it; freed with
 * pidentity_free (the model does so when it is freed).
 */
#ifndef PERSONA_IDENTITY_H
#define PERSONA_IDENTITY_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum { PNORM_STRING, PNORM_EMAIL, PNORM_PHONE } PNormKind;

typedef struct PIdKey {
  char *kind;             /* "phone" */
  PNormKind norm;
  char *region;           /* phone: "CN"; else NULL */
  char *calling_code;     /* phone: "86"; else NULL */
  uint32_t national_max;  /* phone: longest national number of the region */
  uint32_t limit;         /* most identifiers of this kind per person; 0: no limit */
  uint32_t rank;          /* 0 = highest priority */
} PIdKey;

typedef enum { PIDRULE_BLOCK, PIDRULE_NEVER } PIdRuleKind;

typedef struct PIdRule {
  PIdRuleKind kind;
  uint32_t key;           /* index into keys */
  char *text;             /* block: a regular expression; never: a value */
  uint32_t line;          /* in the model's file */
} PIdRule;

typedef enum {
  PMERGE_LATEST, PMERGE_FIRST, PMERGE_NON_EMPTY, PMERGE_SUM, PMERGE_MAX, PMERGE_EVENTS,
} PMergeRule;

/* A profile field some source fills, in schema order. */
typedef struct PIdField {
  char *name;
  PMergeRule merge;
} PIdField;

typedef enum { PMAP_KEY, PMAP_FIELD, PMAP_EVENT } PMapKind;

typedef struct PIdMap {
  PMapKind kind;
  uint32_t target;        /* KEY: key index; FIELD, EVENT: field index */
  char *sub;              /* EVENT: the field of the event record */
  char *from;             /* the field of the input record; NULL with a constant */
  char *constant;         /* EVENT: a constant string (UTF-8), or NULL */
} PIdMap;

typedef struct PIdSource {
  char *name;
  char *time_from;        /* the input field with the record's time, or NULL */
  PIdMap *maps;
  uint32_t n_maps;
} PIdSource;

typedef struct PIdentity {
  PIdKey *keys;
  uint32_t n_keys;
  PIdRule *rules;
  uint32_t n_rules;
  PIdField *fields;
  uint32_t n_fields;
  PIdSource *sources;
  uint32_t n_sources;
  char *key_field;        /* the schema's key field: receives the profile id */
} PIdentity;

void pidentity_free(PIdentity *id);

/* The calling code ("86") and the longest national number of a region
 * ("CN"), for phone normalisation; FALSE for a region not in the table. */
bool pidentity_region(const char *region, const char **calling_code, uint32_t *national_max);
/* The regions known, comma-separated (for messages). */
const char *pidentity_regions(void);

#endif
