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
  PersonaItemKind old_kind, new_kind; /* PERSONA_ITEM_TAG or _SEGMENT in each model (when in it) */
  guint old_index, new_index; /* its index among those of its kind in each model */
} PdTagDiff;

typedef struct {
  char *name;
  GPtrArray *stages;  /* char*: the old model's stages, then the new model's others */
  guint64 *matrix;    /* stages->len²: [old * n + new] */
  guint64 changed;    /* profiles whose stage differs */
  guint old_index, new_index; /* the lifecycle's index in each model */
  guint *old_stage, *new_stage; /* a model's stage index -> index in `stages` */
} PdLifecycleDiff;

/* A constant a score is compared with (`total >= 60`), from either model:
 * the profiles for which `score OP value` holds under NEW but not OLD
 * (up) and the reverse (down). */
typedef struct {
  const char *op;  /* static: "<", "<=", ">", ">=" */
  double value;
  guint64 up, down;
} PdThreshold;

#define PD_HIST_BINS 10

typedef struct {
  char *name;
  guint64 changed;                 /* profiles whose value differs */
  GArray *thresholds;              /* PdThreshold: the old model's, then the new model's others */
  guint n_bins;                    /* of hist: PD_HIST_BINS, 1 when min == max, 0 with no profile */
  guint64 hist[PD_HIST_BINS];      /* new − old in equal bins from min to max (the last one closed) */
  double mean, p10, p50, p90, min, max; /* of new − old */
  guint old_index, new_index;      /* the score's index in each model */
} PdScoreDiff;

/* A journey both models declare: a profile is *in* it after the
 * evaluation when its status is not "idle" (it entered, now or before),
 * and has *exited* when its status is "exited". */
typedef struct {
  char *name;
  guint old_index, new_index;
  guint64 in_old, in_new;             /* profiles in the journey under each model */
  guint64 enter_only_new, enter_only_old;
  guint64 exit_only_new, exit_only_old;
} PdJourneyDiff;

typedef struct {
  char *id_json;   /* the profile's key as JSON */
  guint64 line;
  guint changes;   /* stage changes + tag flips */
  double score_moved; /* Σ |new − old| over the scores */
  char *what;      /* "tag vip lost; funnel: lead → active; fit +10" */
  char *record;    /* the profile's line, to explain it after the pass */
  gsize record_len;
  GPtrArray *why;  /* char*: the rule behind each change (explain.c); NULL until explained */
} PdProfileChange;

void pd_profile_change_clear(PdProfileChange *c);

typedef struct {
  char *old_label, *new_label;       /* "name version" of each model */
  char *old_spec, *new_spec;
  guint64 n, skipped, stage_changed; /* profiles compared, skipped, with any stage change */
  GArray *decls;                     /* PdDeclChange: removed, added, changed */
  GArray *tags;                      /* PdTagDiff */
  GArray *lifecycles;                /* PdLifecycleDiff */
  GArray *scores;                    /* PdScoreDiff */
  GArray *journeys;                  /* PdJourneyDiff */
  GArray *top;                       /* PdProfileChange, most changed first */
  GPtrArray *gate_lines;             /* char*: "gate --max-changed: 7.5 % against 5 %: FAILED" */
  gboolean gate_failed;
} PdReport;

void pd_report_clear(PdReport *r);
void pd_report_text(const PdReport *r, GString *out);
void pd_report_md(const PdReport *r, GString *out);
void pd_report_json(const PdReport *r, GString *out);
/* One self-contained page through the shared renderer (report_html.c). */
void pd_report_html(const PdReport *r, GString *out);

#endif
