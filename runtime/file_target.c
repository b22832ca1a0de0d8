/* file_target.c - see file_target.h. */
#include "file_target.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "persona.h"
#include <glib/gstdio.h>

/* A link to a file that does not exist yet: the new file goes where the
 * chain of links ends (each relative to its link's directory). NULL when
 * the chain does not end (more than 40 links: a loop). */
static char *dangling_target(const char *path) {
  char *cur = g_strdup(path);
  for (int hops = 0; hops < 40; hops++) {
    struct stat st;
    if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode)) return cur;
    char *dest = g_file_read_link(cur, NULL);
    if (!dest) return cur;
    char *next;
    if (g_path_is_absolute(dest)) {
      next = dest;
    } else {
      g_autofree char *dir = g_path_get_dirname(cur);
      next = g_build_filename(dir, dest, NULL);
      g_free(dest);
    }
    g_free(cur);
    cur = next;
  }
  g_free(cur);
  return NULL;
}

char *pfile_target(const char *path, gboolean *in_place) {
  struct stat st;
  *in_place = FALSE;
  if (lstat(path, &st) != 0) return g_strdup(path); /* a new file */
  if (S_ISLNK(st.st_mode)) {
    char *real = realpath(path, NULL);
    if (!real) {
      /* A loop must not be renamed over (that replaced a link with a
       * regular file): written "in place", its open fails with ELOOP. */
      char *end = errno == ENOENT ? dangling_target(path) : NULL;
      if (end) return end;
      *in_place = TRUE;
      return g_strdup(path);
    }
    char *target = g_strdup(real);
    free(real);
    if (stat(target, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) *in_place = TRUE;
    return target;
  }
  /* A directory is left to rename(), which refuses it with a clear errno. */
  if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) *in_place = TRUE;
  return g_strdup(path);
}

/* Removes the ".BASE.XXXXXX" temporaries of `base` that a killed writer
 * left (kill -9 between create and rename): those whose lock nobody
 * holds. Writers lock theirs right after creating it; a failure here
 * changes nothing but the litter. */
static void remove_stale(const char *dir, const char *base, const char *own) {
  GDir *d = g_dir_open(dir, 0, NULL);
  if (!d) return;
  size_t blen = strlen(base);
  for (const char *name; (name = g_dir_read_name(d));) {
    if (strlen(name) != blen + 8 || name[0] != '.' || strncmp(name + 1, base, blen) != 0 || name[blen + 1] != '.')
      continue;
    g_autofree char *path = g_build_filename(dir, name, NULL);
    if (strcmp(path, own) == 0) continue;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) continue;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && flock(fd, LOCK_EX | LOCK_NB) == 0) (void)unlink(path);
    close(fd);
  }
  g_dir_close(d);
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
  /* Held until the descriptor is closed (after the rename): a temporary
   * that nobody holds belongs to a writer that died. */
  (void)flock(fd, LOCK_EX | LOCK_NB);
  /* Replacing a file changes nothing but its content. Failing to copy the
   * mode is not fatal: only the mode differs. */
  struct stat st;
  if (stat(target, &st) == 0 && S_ISREG(st.st_mode)) (void)fchmod(fd, st.st_mode & 07777);
  remove_stale(dir, base, tmp);
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

static gboolean read_fail(GError **error, int err, const char *what, const char *path) {
  g_autofree char *name = g_filename_display_name(path);
  g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "%s “%s”: %s", what, name, g_strerror(err));
  return FALSE;
}

gboolean pfile_read_bounded(const char *path, gsize max, char **text, gsize *len, GError **error) {
  /* O_NONBLOCK: opening a FIFO must not wait for a writer before it is
   * refused. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return read_fail(error, errno, "Failed to open file", path);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    return read_fail(error, err, "Failed to get attributes of file", path);
  }
  g_autofree char *name = g_filename_display_name(path);
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    return read_fail(error, EISDIR, "Failed to read from file", path);
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "“%s” is not a regular file (a device, FIFO or socket)", name);
    return FALSE;
  }
  if ((guint64)st.st_size > max) {
    close(fd);
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "“%s” is larger than %" G_GSIZE_FORMAT " MiB", name, max >> 20);
    return FALSE;
  }
  gsize cap = (gsize)st.st_size + 1, n = 0;
  char *buf = g_try_malloc(cap + 1);
  if (!buf) {
    close(fd);
    return read_fail(error, ENOMEM, "Failed to read from file", path);
  }
  for (;;) {
    if (n == cap) { /* it grew since fstat */
      if (n > max) break;
      cap = MIN(cap * 2, max + 1);
      char *bigger = g_try_realloc(buf, cap + 1);
      if (!bigger) {
        g_free(buf);
        close(fd);
        return read_fail(error, ENOMEM, "Failed to read from file", path);
      }
      buf = bigger;
    }
    ssize_t got = read(fd, buf + n, cap - n);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      int err = errno;
      g_free(buf);
      close(fd);
      return read_fail(error, err, "Failed to read from file", path);
    }
    if (got == 0) break;
    n += (gsize)got;
  }
  close(fd);
  if (n > max) {
    g_free(buf);
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "“%s” is larger than %" G_GSIZE_FORMAT " MiB", name, max >> 20);
    return FALSE;
  }
  buf[n] = '\0';
  *text = buf;
  *len = n;
  return TRUE;
}
