/* file_target.h - where a file that is "replaced atomically" is written.
 *
 * Persona writes its outputs (results, states, bytecode, JUnit reports)
 * to a temporary file beside the target and renames it over the target,
 * so that a reader never sees half a file. That is only right for a
 * regular file: renaming over /dev/null, a FIFO or a terminal would
 * replace the device node itself, and renaming over a symbolic link would
 * replace the link instead of the file it points to. */
#ifndef PERSONA_FILE_TARGET_H
#define PERSONA_FILE_TARGET_H

#include <glib.h>

/* The path to replace for `path`: itself, or, for a symbolic link, the
 * file it points to (newly allocated; the caller frees it). Sets
 * *in_place when `path` names something that is not a regular file (a
 * device, FIFO or socket), or a chain of links that never ends (a loop):
 * then it must be opened and written as it is, never renamed over (the
 * open of a loop fails with ELOOP). */
char *pfile_target(const char *path, gboolean *in_place);

/* Creates the temporary file that will replace `target`: ".NAME.XXXXXX"
 * in the same directory, with the mode of the file it replaces (a new
 * file: 0666 less the umask), locked (flock) until the descriptor is
 * closed. Temporaries of the same target that nobody holds locked (left by
 * a writer that was killed) are removed. Returns the descriptor and sets
 * *tmp_path (newly allocated); -1 with errno set. */
int pfile_create_beside(const char *target, char **tmp_path);

/* Opens such an in-place target for writing: -1 with errno set. */
int pfile_open_in_place(const char *path);

/* Writes all n bytes to fd, retrying short writes and EINTR: 0, or the
 * errno of the write that failed (the caller words the error). */
int pfile_write_fd(int fd, const char *p, gsize n);

/* pfile_write_fd() with the error as PERSONA_ERROR_IO naming `path`. */
gboolean pfile_write_all(int fd, const char *p, gsize n, const char *path, GError **error);

/* Reads a whole input file (a model, a bytecode file, a state file) of at
 * most `max` bytes, checking while reading: a regular file only (a
 * device, FIFO or socket is refused before a byte is read: /dev/zero
 * would never end), its size checked before the read and the read
 * stopped past `max` (a file that grows meanwhile). On success *text is
 * NUL-terminated (g_free it). Errors are G_FILE_ERROR, worded as
 * g_file_get_contents() words them ("Failed to open file “x”: …"), or
 * "“x” is not a regular file" / "“x” is larger than N MiB". */
gboolean pfile_read_bounded(const char *path, gsize max, char **text, gsize *len, GError **error);

#endif
