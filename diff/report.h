/* report.h - what `persona diff` found, and its text, Markdown and JSON
 * renderings (docs/diff.md). Filled by diff.c, rendered by report.c.
 *
 * Ownership: a PdReport owns every string and array in it
 * (pd_report_clear).
 */
#ifndef PERSONA_DIFF_REPORT_H
#define PERSONA_DIFF_REPORT_H

#include <glib.h>

#include "diff/diff.h"

typedef struct {
  char *key;
  char *old_text, *new_text; /* NULL when added (old) or removed (new) */
} PdDeclChange;

typedef struct {
  char *name;
  gboolean in_old, in_new;
  guint64 held_old, held_new, gained, lost;
} PdTagDiff;

typedef struct {
  char *name;
  GPtrArray *stages;  /* char*: the old model's stages, then the new model's others */
  guint64 *matrix;    /* stages->len²: [old * n + new] */
  guint64 changed;    /* profiles whose stage differs */
} PdLifecycleDiff;

typedef struct {
  char *name;
  guint64 changed;                 /* profiles whose value differs */
  double mean, p10, p50, p90, min, max; /* of new − old */
} PdScoreDiff;

typedef struct {
  char *id_json;   /* the profile's key as JSON */
  guint64 line;
  guint changes;   /* stage changes + tag flips */
  double score_moved; /* Σ |new − old| over the scores */
  char *what;      /* "tag vip lost; funnel: lead → active; fit +10" */
} PdProfileChange;

typedef struct {
  char *old_label, *new_label;       /* "name version" of each model */
  char *old_spec, *new_spec;
  guint64 n, skipped, stage_changed; /* profiles compared, skipped, with any stage change */
  GArray *decls;                     /* PdDeclChange: removed, added, changed */
  GArray *tags;                      /* PdTagDiff */
  GArray *lifecycles;                /* PdLifecycleDiff */
  GArray *scores;                    /* PdScoreDiff */
  GArray *top;                       /* PdProfileChange, most changed first */
  GPtrArray *gate_lines;             /* char*: "gate --max-changed: 7.5 % against 5 %: FAILED" */
  gboolean gate_failed;
} PdReport;

void pd_report_clear(PdReport *r);
void pd_report_text(const PdReport *r, GString *out);
void pd_report_md(const PdReport *r, GString *out);
void pd_report_json(const PdReport *r, GString *out);

#endif
