/* report_internal.h - the counts a Report gathers (report.c) and the
 * document built from them (report_doc.c). Not used outside report/.
 *
 * Ownership: the Report owns every array here.
 */
#ifndef PERSONA_REPORT_INTERNAL_H
#define PERSONA_REPORT_INTERNAL_H

#include "report.h"

typedef struct LifecycleCounts {
  const char *name;     /* borrowed from the model */
  guint n_stages;
  guint64 *at_stage;    /* profiles now at each stage */
  gboolean *exit_stage; /* entered only from `any` (churned, lost): outside the funnel's order */
  GArray **days_in;     /* per stage: days since it was entered (double) */
  guint64 *moves;       /* (n_stages + 1) × n_stages: from (0 = entry on first sight) → to */
} LifecycleCounts;

typedef struct JourneyCounts {
  const char *name;
  guint n_steps;        /* steps in source order (persona_model_item_part) */
  GHashTable *step_index; /* step id (the model's) -> its index in source order + 1 */
  guint64 idle, active, done, exited;
  guint64 *waiting_at;  /* per step: active profiles waiting there */
} JourneyCounts;

/* The action kinds, in the order shown. */
#define REPORT_N_ACTION_KINDS 4
extern const char *const report_action_kinds[REPORT_N_ACTION_KINDS];

struct Report {
  PersonaModel *model;
  gint64 now_us;
  guint64 records, ok, failed;
  GHashTable *error_kinds;   /* error code (static) -> guint64 * count */
  guint n_tags, n_scores, n_lifecycles, n_journeys, n_fields;
  guint64 *tag_counts;
  guint n_segments;
  guint64 *segment_counts; /* profiles in each segment */
  GArray **score_values;     /* per score: double */
  LifecycleCounts *lifecycles;
  JourneyCounts *journeys;
  guint64 *actions;          /* n_journeys × REPORT_N_ACTION_KINDS */
  guint64 *field_missing;    /* per field: records without a value (absent or null) */
  guint64 records_scanned;   /* records whose text was read for field presence */
  gboolean *present;         /* scratch, n_fields */
};

#endif
