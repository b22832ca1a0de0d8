/* diag.h - compile diagnostics: collected, then rendered for people or
 * machines.
 *
 * Every phase (lexer, parser, checker) appends to one PDiagList. Rendering
 * follows the compilers people know:
 *
 *   model.persona:12:9: error: unknown name 'employes'
 *      12 | tag big when employes >= 500
 *         |              ^~~~~~~~
 *   hint: did you mean 'employees'?
 *
 * Ownership: the list owns its diagnostics and their strings.
 */
#ifndef PERSONA_DIAG_H
#define PERSONA_DIAG_H

#include "source.h"

typedef enum { PDIAG_ERROR, PDIAG_WARNING, PDIAG_NOTE } PDiagSeverity;

typedef struct PDiag {
  PDiagSeverity severity;
  PLoc loc;
  gboolean has_loc;
  char *message; /* one line, no trailing period, no "error:" prefix */
  char *hint;    /* optional second line ("did you mean 'x'?"), or NULL */
} PDiag;

typedef struct PDiagList {
  GPtrArray *items; /* of PDiag*, owned, in the order reported */
  guint n_errors;
  guint n_warnings;
  /* diag.c bookkeeping: TRUE after an error was dropped because the list
   * was full, so that the notes that belong to it are dropped too. */
  gboolean dropping;
} PDiagList;

/* After this many errors the phases stop reporting: the rest are usually
 * cascades of the first ones. */
#define PDIAG_MAX_ERRORS 50

PDiagList *pdiag_new(void);
void pdiag_free(PDiagList *list);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PDiagList, pdiag_free)

/* `loc` NULL: no location ("error: msg"); a loc with line 0: the whole
 * file ("file: error: msg"). A note belongs to the error or warning added
 * just before it: pdiag_sort keeps them together, and it is dropped with
 * it when the list is full. */
void pdiag_add(PDiagList *list, PDiagSeverity sev, const PLoc *loc,
               const char *hint, const char *fmt, ...) G_GNUC_PRINTF(5, 6);
#define pdiag_error(list, loc, ...) pdiag_add((list), PDIAG_ERROR, (loc), NULL, __VA_ARGS__)
#define pdiag_warning(list, loc, ...) pdiag_add((list), PDIAG_WARNING, (loc), NULL, __VA_ARGS__)

gboolean pdiag_full(const PDiagList *list);

/* Sorts diagnostics by file, then position (stable for equal positions). */
void pdiag_sort(PDiagList *list);

/* Human form, as in the header comment. `color`: ANSI colours. */
void pdiag_render_text(const PDiagList *list, const PSourceSet *src,
                       GString *out, gboolean color);
/* Machine form: {"diagnostics":[{"file":…,"line":…,"column":…,
 * "end_line":…,"end_column":…,"severity":"error","message":…,"hint":…}],
 * "errors":N,"warnings":M} followed by a newline. */
void pdiag_render_json(const PDiagList *list, const PSourceSet *src,
                       GString *out);

/* "did you mean" helper: the candidate closest to `name` by edit distance,
 * if close enough to be a plausible typo; NULL otherwise. Candidates are
 * borrowed; the result points at one of them. */
const char *pdiag_suggest(const char *name, const char *const *candidates,
                          guint n_candidates);

#endif
