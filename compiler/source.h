/* source.h - source files and locations.
 *
 * A PSourceSet owns the text of every file read during one compilation
 * (the root model and its imports). Locations refer to a file by index and
 * carry byte offsets plus 1-based line and column (columns count bytes,
 * as compilers do); diagnostics render the source line from the set.
 *
 * Ownership: the set owns every file name and text; pointers returned by
 * psrc_text() and psrc_name() live as long as the set.
 */
#ifndef PERSONA_SOURCE_H
#define PERSONA_SOURCE_H

#include <glib.h>
#include <stdint.h>

typedef struct PLoc {
  uint32_t file;      /* index into the PSourceSet */
  uint32_t line, col; /* 1-based start */
  uint32_t end_line, end_col; /* 1-based, exclusive end column */
  uint32_t offset, end_offset; /* byte offsets into the file text */
} PLoc;

typedef struct PSourceFile {
  char *name;   /* as given (relative or absolute) */
  char *path;   /* resolved path used to read it, for import dedup */
  char *text;   /* NUL-terminated */
  size_t len;
} PSourceFile;

typedef struct PSourceSet {
  GPtrArray *files; /* of PSourceFile*, owned */
} PSourceSet;

PSourceSet *psrc_new(void);
void psrc_free(PSourceSet *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PSourceSet, psrc_free)

/* Adds a file whose text is given; the set copies name, path and text.
 * Returns the file index. */
uint32_t psrc_add(PSourceSet *set, const char *name, const char *path,
                  const char *text, size_t len);
/* Index of a file already added with this resolved path, or -1. */
int psrc_find_path(const PSourceSet *set, const char *path);
const PSourceFile *psrc_file(const PSourceSet *set, uint32_t file);

/* Copies the line `line` (1-based, without its newline) of a file into a
 * newly allocated string (caller frees); NULL if out of range. */
char *psrc_line_text(const PSourceSet *set, uint32_t file, uint32_t line);

#endif
