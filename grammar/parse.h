/* parse.h - the front end: UTF-8 text -> tokens -> syntax tree.
 *
 * The scanner (lexer.l, reentrant flex) and the parser (parser.y, pure
 * bison with locations and LAC) are generated into the build directory.
 * Both report into the caller's PDiagList and never stop at the first
 * error: the parser recovers at declaration and statement boundaries.
 *
 * Ownership: nodes are allocated in the caller's PAst; the source text is
 * borrowed from the PSourceSet for the duration of the call.
 */
#ifndef PERSONA_PARSE_H
#define PERSONA_PARSE_H

#include "../compiler/ast.h"
#include "../compiler/diag.h"

/* The deepest expression the parser accepts, in levels of operators,
 * calls, lists, records and field accesses (`a + b` is 2 levels, and so
 * is `f(x)`). Deeper is an error, "expression too deeply nested (more than
 * N levels)": the checker, the code generator and the formatter recurse
 * over expressions, and a limit keeps them far from the end of a thread's
 * stack even under AddressSanitizer. No written model comes near; a
 * generated one should use `in [ … ]` for long chains of alternatives. */
#define PPARSE_MAX_EXPR_DEPTH 1000

/* Parses file `file` of `src`. Always returns a PFileAst added to
 * ast->files (with whatever declarations parsed cleanly); errors are in
 * `diags`. */
PFileAst *pparse_file(PAst *ast, const PSourceSet *src, uint32_t file,
                      PDiagList *diags);
/* The same, and also records every `#` comment in file->comments (for
 * `persona fmt`); the tree is the same as pparse_file's. */
PFileAst *pparse_file_with_comments(PAst *ast, const PSourceSet *src,
                                    uint32_t file, PDiagList *diags);

/* For tests and debugging: the token stream of `file` as one line per
 * token, "LINE:COL KIND text" (KIND is the token's display name). */
char *pparse_dump_tokens(const PSourceSet *src, uint32_t file,
                         PDiagList *diags);

/* For tests: the tree of one file as an S-expression, one declaration per
 * line, e.g. (tag hot "label" (>= employees 500)). Caller frees. */
char *pparse_dump_tree(const PFileAst *file);

#endif
