/* file_target.c - see file_target.h. */
#include "file_target.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "persona.h"
#include <glib/gstdio.h>

/* A link to a file that does not exist yet: the new file goes where the
 * link points (one level, relative to the link's directory). */
static char *dangling_target(const char *path) {
  char *dest = g_file_read_link(path, NULL);
  if (!dest) return g_strdup(path);
  if (g_path_is_absolute(dest)) return dest;
  g_autofree char *dir = g_path_get_dirname(path);
  char *joined = g_build_filename(dir, dest, NULL);
  g_free(dest);
  return joined;
}

char *pfile_target(const char *path, gboolean *in_place) {
  struct stat st;
  *in_place = FALSE;
  if (lstat(path, &st) != 0) return g_strdup(path); /* a new file */
  if (S_ISLNK(st.st_mode)) {
    char *real = realpath(path, NULL);
    if (!real) return dangling_target(path);
    char *target = g_strdup(real);
    free(real);
    if (stat(target, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) *in_place = TRUE;
    return target;
  }
  /* A directory is left to rename(), which refuses it with a clear errno. */
  if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) *in_place = TRUE;
  return g_strdup(path);
}

int pfile_create_beside(const char *target, char **tmp_path) {
  g_autofree char *dir = g_path_get_dirname(target);
  g_autofree char *base = g_path_get_basename(target);
  char *tmp = g_strdup_printf("%s/.%s.XXXXXX", dir, base);
  int fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0666);
  if (fd < 0) {
    int err = errno;
    g_free(tmp);
    errno = err;
    return -1;
  }
  /* Replacing a file changes nothing but its content. Failing to copy the
   * mode is not fatal: only the mode differs. */
  struct stat st;
  if (stat(target, &st) == 0 && S_ISREG(st.st_mode)) (void)fchmod(fd, st.st_mode & 07777);
  *tmp_path = tmp;
  return fd;
}

int pfile_open_in_place(const char *path) { return open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY); }

int pfile_write_fd(int fd, const char *p, gsize n) {
  while (n > 0) {
    ssize_t k = write(fd, p, n);
    if (k < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    p += k;
    n -= (gsize)k;
  }
  return 0;
}

gboolean pfile_write_all(int fd, const char *p, gsize n, const char *path, GError **error) {
  int err = pfile_write_fd(fd, p, n);
  if (err == 0) return TRUE;
  g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_IO, "cannot write '%s': %s", path, g_strerror(err));
  return FALSE;
}
