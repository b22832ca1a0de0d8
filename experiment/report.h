/* report.h - what `persona experiment` prints (docs/experiment.md): the
 * JSON document with the fields docs/experiment.md lists, and a document
 * of the shared renderer (render/render.h) for text, Markdown and HTML.
 *
 * Ownership: the returned document belongs to the caller
 * (render_doc_free); JSON is appended to the caller's string.
 */
#ifndef PERSONA_EXPERIMENT_REPORT_H
#define PERSONA_EXPERIMENT_REPORT_H

#include "experiment.h"
#include "render/render.h"

void experiments_json(const Experiments *e, GString *out);
RenderDoc *experiments_document(const Experiments *e);

#endif
