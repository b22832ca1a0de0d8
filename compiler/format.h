/* format.h - `persona fmt`: the one canonical layout of a Persona file.
 *
 * The printer walks the syntax tree in source order and puts every `#`
 * comment back (recorded by the scanner, see pparse_file_with_comments):
 * the layout rules are listed at the top of format.c and in docs/cli.md.
 * Formatting is idempotent, and the formatted text parses into the same
 * tree as the original, so it compiles to the same bytecode; only source
 * locations differ.
 *
 * Ownership: the source set and the diagnostics list are the caller's;
 * the returned text is newly allocated (g_free).
 */
#ifndef PERSONA_FORMAT_H
#define PERSONA_FORMAT_H

#include "diag.h"
#include "source.h"

/* Formats file `file` of `src`. Returns the canonical text (NUL-terminated;
 * its length in *len when len is not NULL), or NULL when the file has
 * syntax errors: they are added to `diags`, and nothing should be written.
 *
 * As a safety net the result is parsed again; if it would not give the
 * same tree and the same comments (a bug in the formatter), NULL is
 * returned with an error in `diags` instead of text that means something
 * else. */
char *pfmt_file(const PSourceSet *src, uint32_t file, PDiagList *diags, gsize *len);

#endif
