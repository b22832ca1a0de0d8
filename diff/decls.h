/* decls.h - a model's top-level declarations as source text, for the
 * "declarations added, removed, changed" part of `persona diff`.
 *
 * The public API names tags, scores, lifecycles and journeys but does not
 * give their text, and a change of a `let`, `const` or `schema` matters as
 * much; so the source itself is split. A declaration starts at a line
 * that begins in column 0 with a word, outside any { } block (braces in
 * strings and `#` comments do not count), and runs to the next one; the
 * blank and comment-only lines that end it belong to no declaration.
 * Imports are not followed: the root file is compared.
 *
 * Ownership: every string is owned by its PdDecls (pd_decls_free).
 */
#ifndef PERSONA_DIFF_DECLS_H
#define PERSONA_DIFF_DECLS_H

#include <glib.h>

typedef struct {
  char *key;   /* "tag vip", "score fit", "schema", "extern fn churn_risk" */
  char *text;  /* the declaration's lines, trailing spaces cut */
  guint line;  /* 1-based line of its first line */
} PdDecl;

typedef struct {
  GArray *items; /* PdDecl, in source order */
} PdDecls;

PdDecls *pd_decls_split(const char *text);
void pd_decls_free(PdDecls *d);
/* The declaration called `key`, or NULL. */
const PdDecl *pd_decls_find(const PdDecls *d, const char *key);

#endif
