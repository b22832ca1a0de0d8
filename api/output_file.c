/* output_file.c - PersonaOutputFile: output that appears whole, over the
 * runtime's file targets (runtime/file_target.h). See include/persona.h.
 *
 * Ownership: a PersonaOutputFile owns its descriptor (not standard
 * output's), its temporary file until commit, and its path strings. */
#include "persona.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runtime/file_target.h"

struct PersonaOutputFile {
  int fd;
  gboolean own_fd;
  char *path;     /* as named, for messages; NULL for standard output */
  char *target;   /* what the temporary file replaces */
  char *tmp_path; /* NULL for standard output and for a target written in place */
};

static gboolean io_error(GError **error, int err, const char *what, const char *path) {
  if (path)
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_IO, "%s '%s': %s", what, path, g_strerror(err));
  else
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_IO, "%s: %s", what, g_strerror(err));
  return FALSE;
}

PersonaOutputFile *persona_output_file_open(const char *path, GError **error) {
  PersonaOutputFile *f = g_new0(PersonaOutputFile, 1);
  f->fd = STDOUT_FILENO;
  if (!path || strcmp(path, "-") == 0) return f;
  gboolean in_place;
  f->path = g_strdup(path);
  f->target = pfile_target(path, &in_place);
  int fd = in_place ? pfile_open_in_place(f->target) : pfile_create_beside(f->target, &f->tmp_path);
  if (fd < 0) {
    io_error(error, errno, in_place ? "cannot open" : "cannot create a file beside", path);
    persona_output_file_free(f);
    return NULL;
  }
  f->fd = fd;
  f->own_fd = TRUE;
  return f;
}

gboolean persona_output_file_write(PersonaOutputFile *f, const char *data, gsize len, GError **error) {
  g_return_val_if_fail(f && f->fd >= 0, FALSE);
  int err = pfile_write_fd(f->fd, data, len);
  return err == 0 || io_error(error, err, f->path ? "cannot write" : "cannot write to standard output", f->path);
}

gboolean persona_output_file_commit(PersonaOutputFile *f, GError **error) {
  g_return_val_if_fail(f, FALSE);
  if (!f->own_fd) return TRUE;
  int fd = f->fd;
  f->fd = -1;
  f->own_fd = FALSE;
  if (close(fd) != 0) return io_error(error, errno, "cannot write", f->path);
  if (!f->tmp_path) return TRUE; /* a device or FIFO, written in place */
  if (rename(f->tmp_path, f->target) != 0) return io_error(error, errno, "cannot replace", f->path);
  g_clear_pointer(&f->tmp_path, g_free);
  return TRUE;
}

void persona_output_file_free(PersonaOutputFile *f) {
  if (!f) return;
  if (f->own_fd && f->fd >= 0) close(f->fd);
  if (f->tmp_path) unlink(f->tmp_path);
  g_free(f->tmp_path);
  g_free(f->path);
  g_free(f->target);
  g_free(f);
}

int persona_write_fd(int fd, const char *data, gsize len) { return pfile_write_fd(fd, data, len); }
