/* report.h - `persona report`: what a model made of a set of profiles, as
 * one document (render/render.h) a marketing team reads: the funnel of
 * each lifecycle, time in stage, score distributions, tag prevalence,
 * journeys and data quality.
 *
 * A component over the public API: it feeds on PersonaResults one record
 * at a time (no result is kept, only counts and the numeric values the
 * percentiles need), then builds the document. It never reads a field's
 * value, so no pii value can reach it: only which fields were present.
 *
 * Usage:
 *   Report *rep = report_new(model, now_us);
 *   for each record: persona_vm_eval(…, &result); report_add(rep, json, len, status, result);
 *   RenderDoc *doc = report_document(rep);   render_doc(doc, RENDER_HTML, out);
 *
 * Ownership: the report holds a reference to the model; the document is the
 * caller's (render_doc_free). Nothing passed in is kept.
 */
#ifndef PERSONA_REPORT_H
#define PERSONA_REPORT_H

#include <glib.h>

#include "persona.h"
#include "render/render.h"

G_BEGIN_DECLS

typedef struct Report Report;

Report *report_new(PersonaModel *model, gint64 now_us);
void report_free(Report *rep);

/* One record: its text (for which fields it gives), and how its evaluation
 * went. */
void report_add(Report *rep, const char *json, gsize len, PersonaEvalStatus status,
                const PersonaResult *result);
/* A record that was not evaluated, with the error code it would get (a line
 * too long: "too_large"). */
void report_add_error(Report *rep, const char *code);

/* The report as a document (caller frees). `source` names the profiles in
 * the subtitle (a file name, or NULL for standard input). */
RenderDoc *report_document(const Report *rep, const char *source);

G_END_DECLS

#endif
