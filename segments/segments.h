/* segments.h - `persona segments`: how large each segment of a model is
 * over a set of profiles, and how much the segments overlap, as one
 * document (render/render.h).
 *
 * A component over the public API: it feeds on PersonaResults one record
 * at a time and keeps only counts — per segment, the profiles in it, and
 * per pair of segments, the profiles in both. A segment is a boolean of
 * the model (`segment NAME when C`); no field value is ever read, so no
 * pii value can reach the document.
 *
 * Definitions (docs/segments.md): share = size / evaluated profiles;
 * for segments A and B, both = |A ∩ B|, either = |A ∪ B| = |A| + |B| -
 * both, Jaccard = both / either (none when either is 0).
 *
 * Usage:
 *   Segments *seg = segments_new(model);
 *   for each record: persona_vm_eval(…, &result); segments_add(seg, status, result);
 *   RenderDoc *doc = segments_document(seg, source);   render_doc(doc, RENDER_TEXT, out);
 *
 * Ownership: the counter holds a reference to the model; the document is
 * the caller's (render_doc_free). Nothing passed in is kept.
 */
#ifndef PERSONA_SEGMENTS_H
#define PERSONA_SEGMENTS_H

#include <glib.h>

#include "persona.h"
#include "render/render.h"

G_BEGIN_DECLS

typedef struct Segments Segments;

Segments *segments_new(PersonaModel *model);
void segments_free(Segments *seg);

/* One evaluated record (a record with an error counts as an error only). */
void segments_add(Segments *seg, PersonaEvalStatus status, const PersonaResult *result);
/* A record that was not evaluated (a line too long). */
void segments_add_error(Segments *seg);

/* The counts, for tests and callers that want numbers, not a document:
 * profiles in segment i, in both i and j, evaluated records, errors. */
guint64 segments_size(const Segments *seg, guint i);
guint64 segments_both(const Segments *seg, guint i, guint j);
guint64 segments_evaluated(const Segments *seg);

/* The document: an overview, one table and chart of the sizes, and the
 * overlap of every pair (caller frees). `source` names the profiles in the
 * subtitle (a file name, or NULL for standard input), `now_us` the time
 * of the evaluation. */
RenderDoc *segments_document(const Segments *seg, const char *source, gint64 now_us);

G_END_DECLS

#endif
