/* unify_internal.h - what unify.c (reading and joining) and
 * unify_output.c (profiles, report, explain) share. Not installed.
 *
 * Ownership: every table belongs to the PuUnifier; identifier values live
 * in its string chunk, record texts in its mapped input files.
 */
#ifndef PERSONA_UNIFY_INTERNAL_H
#define PERSONA_UNIFY_INTERNAL_H

#include "unify.h"

#define PU_NONE G_MAXUINT32

typedef struct PuIdent {
  const char *value;    /* normalised, in u->values */
  guint32 len;
  guint32 kind;
  guint64 hash;
  guint32 first_rec;    /* the record it was first read from */
  guint32 dropped;      /* PU_NONE, or the rule (block, never join) that keeps it from joining */
} PuIdent;

typedef struct PuRec {
  const char *text;     /* the JSON line, in its mapped file */
  guint32 len;
  guint32 file;         /* index in u->files */
  guint32 line;
  guint32 first_ident;  /* into u->rec_idents */
  guint32 n_idents;
  guint32 first_span;   /* into u->spans: the values its fields and events read */
  guint32 n_spans;
  gint64 time;          /* G_MININT64 without one */
  guint64 text_hash;    /* of the JSON line: orders records of equal time cheaply */
} PuRec;

/* Where a value a field or event map reads lies in its record's line, kept
 * when the record is read so that writing the profiles parses no line
 * twice. */
typedef struct PuSpan {
  guint32 off, len;     /* of the value's text, from the start of the line */
  guint16 map;          /* index of the source map that reads it */
  guint16 type;         /* PuJsonType */
} PuSpan;

typedef struct PuFile {
  char *path;
  char *data;           /* the file's bytes (NULL when empty) */
  gsize len;
  gboolean mapped;      /* data is mapped read-only (a regular file), else read into memory (a pipe) */
  guint source;
} PuFile;

/* A join that took place (an identifier edge) or was refused. */
typedef struct PuEdge {
  guint32 a, b;         /* identifier positions (canonical order) */
  guint32 rec;
  guint32 rule;         /* refused: index in u->rule_names; else PU_NONE */
} PuEdge;

typedef struct PuProfileId {
  char text[19];        /* "p-" and 16 hex digits */
} PuProfileId;

typedef struct PuSourceInfo {
  PersonaSource src;
  guint name_rank;      /* position of the name in byte order among the sources */
  PersonaSourceMap *maps;
  guint n_key_maps;
} PuSourceInfo;

struct PuUnifier {
  PersonaModel *model;
  PersonaIdentityKey *keys;
  guint n_keys;
  PersonaUnifyField *fields;
  guint n_fields;
  PuSourceInfo *sources;
  guint n_sources;
  const char *key_field;
  GPtrArray **blocks;         /* per kind: GRegex* */
  GHashTable *never;          /* "KIND\x1fVALUE" of values that never join */
  GPtrArray *rule_names;      /* "block email", "limit phone", … (char*, owned) */
  guint64 *rule_counts;       /* per rule name, after resolve (dropped + refused) */
  guint32 *block_rule, *never_rule, *limit_rule; /* per kind: index in rule_names */

  GPtrArray *files;           /* PuFile* */
  GArray *recs;               /* PuRec */
  GArray *rec_idents;         /* guint32: identifier ids, then canonical positions */
  GArray *spans;              /* PuSpan, each record's from first_span */
  GArray *idents;             /* PuIdent */
  GStringChunk *values;
  guint64 *slots;             /* open addressing: hash tag and ident id (unify.c) */
  guint32 n_slots;
  GString *problems;
  PuProblemFunc problem_fn;   /* told of each problem too (pu_set_problem_func), or NULL */
  gpointer problem_user;
  guint64 n_bad, n_left_out, n_lines;
  guint64 *per_source;        /* records read per source */

  /* after pu_resolve */
  gboolean resolved;
  guint32 *order;             /* canonical position -> identifier id */
  guint32 *parent;            /* union-find over canonical positions */
  GArray *edges, *refused;    /* PuEdge */
  guint32 *cluster_first;     /* per profile: its first record in by_cluster */
  guint32 *cluster_root;      /* per profile: its root position */
  guint32 n_clusters;
  guint32 *by_cluster;        /* record indexes grouped by profile */
  GHmac *id_hmac;             /* keyed with the pseudonym key, or NULL: unkeyed ids */
  PuProfileId *cluster_ids;   /* per profile: its id (docs/unify.md, "Profile ids") */
};

/* After pu_resolve every position points at its root directly. */
static inline guint32 pu_root(const PuUnifier *u, guint32 pos) { return u->parent[pos]; }

#endif
