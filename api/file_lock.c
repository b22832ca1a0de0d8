/* file_lock.c - PersonaFileLock: one process at a time on a state file.
 * See include/persona.h.
 *
 * Two `persona eval --state S` at once would each read S, evaluate, and
 * rename their own view over it: the states of one run are lost and the
 * next run repeats their actions. The lock is a separate file because S
 * itself is replaced (a lock on its inode would not outlive the rename).
 *
 * Ownership: a PersonaFileLock owns its descriptor (the flock goes with
 * it) and its path. */
#include "persona.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/file_target.h"

struct PersonaFileLock {
  int fd;
  char *lock_path;
};

/* The lock is ours: write the pid (for a second process's message). */
static PersonaFileLock *locked(int fd, char *lock_path) {
  char pid[32];
  int len = g_snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
    /* The pid is only for the message of a second process. */
  }
  PersonaFileLock *lock = g_new0(PersonaFileLock, 1);
  lock->fd = fd;
  lock->lock_path = lock_path;
  return lock;
}

/* flock() failed with err: names the holder when it is another process. */
static void refused(int fd, int err, const char *path, const char *lock_path, GError **error) {
  char pid[32] = {0};
  ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
  close(fd);
  g_strchomp(pid);
  gboolean has_pid = n > 0 && pid[0];
  if (err == EWOULDBLOCK)
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_LOCKED, "'%s' is in use by another persona process%s%s%s", path,
                has_pid ? " (pid " : "", has_pid ? pid : "", has_pid ? ")" : "");
  else
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_IO, "cannot lock '%s': %s", lock_path, g_strerror(err));
}

PersonaFileLock *persona_file_lock(const char *path, GError **error) {
  gboolean in_place = FALSE;
  g_autofree char *target = pfile_target(path, &in_place);
  if (!target) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_IO, "cannot lock '%s': %s", path, g_strerror(errno));
    return NULL;
  }
  if (in_place) { /* nothing to lock beside a device or FIFO (and it is refused as a state file) */
    struct stat st;
    if (stat(path, &st) != 0) { /* a loop of links */
      g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_IO, "cannot open '%s': %s", path, g_strerror(errno));
      return NULL;
    }
    g_autofree char *name = g_filename_display_name(path);
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_IO, "“%s” is not a regular file (a device, FIFO or socket)", name);
    return NULL;
  }
  char *lock_path = g_strdup_printf("%s.lock", target);
  int fd = -1;
  for (int attempt = 0;; attempt++) {
    fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (fd < 0) {
      g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_IO, "cannot open the lock file '%s': %s", lock_path,
                  g_strerror(errno));
      g_free(lock_path);
      return NULL;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) break; /* held by another process */
    /* The holder removes the file on release: a lock taken on a removed
     * file guards nothing, so take it again on the file that is there. */
    struct stat held, now;
    if (fstat(fd, &held) == 0 && stat(lock_path, &now) == 0 && held.st_dev == now.st_dev &&
        held.st_ino == now.st_ino)
      return locked(fd, lock_path);
    close(fd);
    if (attempt == 100) {
      g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_IO, "cannot lock '%s': it keeps being replaced", lock_path);
      g_free(lock_path);
      return NULL;
    }
  }
  refused(fd, errno, path, lock_path, error);
  g_free(lock_path);
  return NULL;
}

void persona_file_lock_free(PersonaFileLock *lock) {
  if (!lock) return;
  /* Removed while still held, so that nobody locks it in between; a
   * process that opened it before sees it is gone and opens the next. */
  (void)unlink(lock->lock_path);
  close(lock->fd);
  g_free(lock->lock_path);
  g_free(lock);
}
