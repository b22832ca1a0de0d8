/* run_sink.c - where `persona run` hands its actions: the sinks.
 *
 * Every sink gets whole batches of JSON Lines, one action per line, each
 * with its stable "key". A batch is marked delivered only after the sink
 * took it, so after a crash at the wrong moment the same batch is handed
 * over again: stdout, jsonl: and exec: deliver at least once (the receiver
 * deduplicates by key). dir: is exactly once: a batch file is written in
 * two steps the database remembers (run_batch.c), and a batch file's name
 * never changes.
 *
 *   stdout        JSON Lines on standard output
 *   jsonl:FILE    appended to FILE, fsync'd before the batch counts as
 *                 delivered
 *   exec:COMMAND  `sh -c COMMAND` per batch, the batch on its stdin; exit
 *                 status 0 is success; killed after --sink-timeout seconds
 *   dir:DIR       DIR/batch-<first seq, 20 digits>.jsonl, written as
 *                 DIR/.batch-….jsonl.tmp, fsync'd, renamed, DIR fsync'd
 *   none          actions stay in the outbox
 */
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

gboolean prun_sink_parse(PrunSink *s, const char *spec, GError **error) {
  memset(s, 0, sizeof *s);
  s->fd = -1;
  static const struct {
    const char *prefix;
    PrunSinkKind kind;
  } kinds[] = {{"jsonl:", PRUN_SINK_JSONL}, {"exec:", PRUN_SINK_EXEC}, {"dir:", PRUN_SINK_DIR}};
  if (strcmp(spec, "stdout") == 0 || strcmp(spec, "-") == 0) {
    s->kind = PRUN_SINK_STDOUT;
    return TRUE;
  }
  if (strcmp(spec, "none") == 0) {
    s->kind = PRUN_SINK_NONE;
    return TRUE;
  }
  for (gsize i = 0; i < G_N_ELEMENTS(kinds); i++) {
    gsize n = strlen(kinds[i].prefix);
    if (strncmp(spec, kinds[i].prefix, n) != 0) continue;
    if (spec[n] == '\0') break;
    s->kind = kinds[i].kind;
    s->arg = g_strdup(spec + n);
    if (s->kind == PRUN_SINK_DIR) {
      struct stat st;
      if (stat(s->arg, &st) != 0 || !S_ISDIR(st.st_mode)) {
        g_set_error(error, PRUN_ERROR, PRUN_ERROR_SINK, "sink '%s': '%s' is not a directory", spec, s->arg);
        return FALSE;
      }
    }
    return TRUE;
  }
  g_set_error(error, PRUN_ERROR, PRUN_ERROR_SINK,
              "unknown sink '%s': expected stdout, none, jsonl:FILE, exec:COMMAND or dir:DIR", spec);
  return FALSE;
}

void prun_sink_clear(PrunSink *s) {
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
  g_clear_pointer(&s->arg, g_free);
}

static gboolean write_all(int fd, const char *p, gsize n, const char *what, GError **error) {
  int err = persona_write_fd(fd, p, n);
  if (err == 0) return TRUE;
  g_set_error(error, PRUN_ERROR, PRUN_ERROR_SINK, "cannot write %s: %s", what, g_strerror(err));
  return FALSE;
}

/* ---- stdout and jsonl: ---------------------------------------------------------- */

static gboolean deliver_stdout(const GString *lines, GError **error) {
  if (!write_all(STDOUT_FILENO, lines->str, lines->len, "to standard output", error)) return FALSE;
  /* A file behind stdout is synced; a pipe or terminal cannot be. */
  if (fsync(STDOUT_FILENO) != 0 && errno != EINVAL && errno != EROFS && errno != ENOTSUP) {
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_SINK, "cannot sync standard output: %s", g_strerror(errno));
    return FALSE;
  }
  return TRUE;
}

/* A crash in the middle of a write leaves a last line without its
 * newline; that batch was not marked delivered and comes again. Cutting
 * the file back to its last complete line keeps it JSON Lines: readers
 * see whole lines only (some of them twice: the batch in flight). */
static gboolean cut_torn_line(int fd, const char *path, GError **error) {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) return TRUE;
  off_t end = st.st_size;
  char buf[4096];
  while (end > 0) {
    off_t start = end > (off_t)sizeof buf ? end - (off_t)sizeof buf : 0;
    ssize_t n = pread(fd, buf, (size_t)(end - start), start);
    if (n != end - start) break;
    for (ssize_t i = n - 1; i >= 0; i--) {
      if (buf[i] != '\n') continue;
      off_t keep = start + i + 1;
      if (keep == st.st_size) return TRUE;
      if (ftruncate(fd, keep) != 0) {
        g_set_error(error, PRUN_ERROR, PRUN_ERROR_SINK, "cannot cut the torn last line of '%s': %s", path,
                    g_strerror(errno));
        return FALSE;
      }
      prun_warn("'%s' ended with an incomplete line (a crash during a delivery): removed it; its batch is "
                 "delivered again", path);
      return TRUE;
    }
    end = start;
  }
  /* Not a single complete line: the first batch was torn. */
  if (ftruncate(fd, 0) != 0) {
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_SINK, "cannot cut the torn line of '%s': %s", path, g_strerror(errno));
    return FALSE;
  }
  return TRUE;
}

static gboolean deliver_jsonl(PrunSink *s, const GString *lines, GError **error) {
  g_autofree char *what = g_strdup_printf("to '%s'", s->arg);
  if (s->fd < 0) {
    s->fd = open(s->arg, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
    if (s->fd < 0) {
      g_set_error(error, PRUN_ERROR, PRUN_ERROR_SINK, "cannot open '%s': %s", s->arg, g_strerror(errno));
      return FALSE;
    }
    if (!cut_torn_line(s->fd, s->arg, error)) {
      close(s->fd);
      s->fd = -1;
      return FALSE;
    }
  }
  if (!write_all(s->fd, lines->str, lines->len, what, error)) return FALSE;
  if (fsync(s->fd) != 0) {
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_SINK, "cannot sync '%s': %s", s->arg, g_strerror(errno));
    return FALSE;
  }
  return TRUE;
}

/* ---- exec: ----------------------------------------------------------------------------- */

/* The command's standard error: passed on to ours in text mode (JSON log
 * lines must not be mixed with it), and its end kept, so that a failure
 * says what the command said (the outbox's last_error, --status). */
typedef struct {
  int fd;
  char tail[1024];
  gsize len;
} ErrTail;

static void drain_stderr(ErrTail *t) {
  char buf[4096];
  ssize_t n;
  while (t->fd >= 0 && (n = read(t->fd, buf, sizeof buf)) > 0) {
    if (!prun_log_is_json() && persona_write_fd(STDERR_FILENO, buf, (gsize)n) != 0) {
      /* our stderr is gone: the tail is still kept */
    }
    gsize k = (gsize)n;
    if (k >= sizeof t->tail) {
      memcpy(t->tail, buf + k - sizeof t->tail, sizeof t->tail);
      t->len = sizeof t->tail;
      continue;
    }
    if (t->len + k > sizeof t->tail) {
      gsize drop = t->len + k - sizeof t->tail;
      memmove(t->tail, t->tail + drop, t->len - drop);
      t->len -= drop;
    }
    memcpy(t->tail + t->len, buf, k);
    t->len += k;
  }
}

/* ": what it said" from the last lines of its stderr, on one line; empty
 * when it said nothing. */
static char *stderr_suffix(const ErrTail *t) {
  g_autofree char *text = g_strndup(t->tail, t->len);
  g_strstrip(text);
  if (!*text) return g_strdup("");
  g_autofree char *valid = g_utf8_make_valid(text, -1);
  for (char *c = valid; *c; c++)
    if (*c == '\n' || *c == '\r' || *c == '\t') *c = ' ';
  gsize n = strlen(valid);
  const char *start = n > 300 ? g_utf8_find_next_char(valid + n - 300, NULL) : valid;
  return g_strdup_printf(": %s%s", n > 300 ? "…" : "", start ? start : "");
}

/* Writes the batch to the child's stdin: FALSE when it could not all be
 * written by the deadline (reap_child() then says so). */
static gboolean feed_child(int fd, const GString *lines, gint64 deadline, ErrTail *err) {
  gsize done = 0;
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  while (done < lines->len) {
    gint64 left = deadline - g_get_monotonic_time();
    if (left <= 0) return FALSE;
    /* Its stderr is read meanwhile: a command blocked writing it would
     * never read the rest of its input. */
    struct pollfd p[2] = {{.fd = fd, .events = POLLOUT}, {.fd = err->fd, .events = POLLIN}};
    int r = poll(p, err->fd >= 0 ? 2 : 1, (int)MIN(left / 1000 + 1, 1000));
    if (r < 0 && errno != EINTR) return FALSE; /* not fed: never a delivery */
    if (r > 0 && (p[1].revents & (POLLIN | POLLHUP))) drain_stderr(err);
    if (r <= 0 || !(p[0].revents & (POLLOUT | POLLERR | POLLHUP))) continue;
    ssize_t k = write(fd, lines->str + done, lines->len - done);
    if (k < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      /* EPIPE: the command closed its input; its exit status decides. */
      return TRUE;
    }
    done += (gsize)k;
  }
  return TRUE;
}

/* Waits for the child until the deadline; kills its process group then. */
static gboolean reap_child(pid_t pid, gint64 deadline, guint timeout_s, const char *cmd, gboolean fed,
                           ErrTail *err, GError **error) {
  int status = 0;
  for (;;) {
    drain_stderr(err);
    pid_t got = waitpid(pid, &status, WNOHANG);
    if (got == pid) break;
    if (got < 0 && errno != EINTR) {
      g_set_error(error, PRUN_ERROR, PRUN_ERROR_SINK, "exec: '%s': %s", cmd, g_strerror(errno));
      return FALSE;
    }
    if (g_get_monotonic_time() >= deadline) {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      g_set_error(error, PRUN_ERROR, PRUN_ERROR_SINK, "exec: '%s' timed out after %u s and was killed", cmd,
                  timeout_s);
      return FALSE;
    }
    g_usleep(2000);
  }
  drain_stderr(err);
  g_autofree char *said = stderr_suffix(err);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    if (!fed) {
      g_set_error(error, PRUN_ERROR, PRUN_ERROR_SINK, "exec: '%s' did not read its input in time", cmd);
      return FALSE;
    }
    return TRUE;
  }
  if (WIFEXITED(status))
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_SINK, "exec: '%s' exited with status %d%s", cmd, WEXITSTATUS(status),
                said);
  else if (WIFSIGNALED(status))
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_SINK, "exec: '%s' was killed by signal %d%s", cmd, WTERMSIG(status),
                said);
  else
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_SINK, "exec: '%s' failed%s", cmd, said);
  return FALSE;
}

static gboolean deliver_exec(PrunSink *s, gint64 batch, const GString *lines, guint count, GError **error) {
  int fds[2], efds[2];
  if (pipe(fds) != 0) {
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_SINK, "exec: cannot make a pipe: %s", g_strerror(errno));
    return FALSE;
  }
  if (pipe(efds) != 0) {
    close(fds[0]);
    close(fds[1]);
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_SINK, "exec: cannot make a pipe: %s", g_strerror(errno));
    return FALSE;
  }
  fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  fcntl(efds[0], F_SETFD, FD_CLOEXEC);
  fcntl(efds[0], F_SETFL, fcntl(efds[0], F_GETFL) | O_NONBLOCK);
  char batch_text[32], count_text[32];
  g_snprintf(batch_text, sizeof batch_text, "%" G_GINT64_FORMAT, batch);
  g_snprintf(count_text, sizeof count_text, "%u", count);
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    close(efds[0]);
    close(efds[1]);
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_SINK, "exec: cannot start '%s': %s", s->arg, g_strerror(errno));
    return FALSE;
  }
  if (pid == 0) {
    /* The child: its own process group (a timeout kills the whole
     * pipeline), the batch on stdin, default SIGPIPE again. */
    setpgid(0, 0);
    dup2(fds[0], STDIN_FILENO);
    if (fds[0] != STDIN_FILENO) close(fds[0]);
    dup2(efds[1], STDERR_FILENO);
    if (efds[1] != STDERR_FILENO) close(efds[1]);
    signal(SIGPIPE, SIG_DFL);
    setenv("PERSONA_RUN_BATCH", batch_text, 1);
    setenv("PERSONA_RUN_COUNT", count_text, 1);
    execl("/bin/sh", "sh", "-c", s->arg, (char *)NULL);
    _exit(127);
  }
  setpgid(pid, pid); /* also here: whichever runs first */
  close(fds[0]);
  close(efds[1]);
  ErrTail err = {.fd = efds[0]};
  gint64 deadline = g_get_monotonic_time() + (gint64)s->timeout_s * G_USEC_PER_SEC;
  gboolean fed = feed_child(fds[1], lines, deadline, &err);
  close(fds[1]);
  gboolean ok = reap_child(pid, deadline, s->timeout_s, s->arg, fed, &err, error);
  close(efds[0]);
  return ok;
}

/* ---- dir: ---------------------------------------------------------------------------------- */

static char *dir_name(const PrunSink *s, gint64 batch, gboolean tmp) {
  return g_strdup_printf(tmp ? "%s/.batch-%020" G_GINT64_FORMAT ".jsonl.tmp" : "%s/batch-%020" G_GINT64_FORMAT ".jsonl",
                         s->arg, batch);
}

static gboolean sync_dir(const char *dir, GError **error) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || fsync(fd) != 0) {
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_SINK, "cannot sync the directory '%s': %s", dir, g_strerror(errno));
    if (fd >= 0) close(fd);
    return FALSE;
  }
  close(fd);
  return TRUE;
}

gboolean prun_sink_dir_stage(PrunSink *s, gint64 batch, const GString *lines, GError **error) {
  g_autofree char *tmp = dir_name(s, batch, TRUE);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) {
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_SINK, "cannot create '%s': %s", tmp, g_strerror(errno));
    return FALSE;
  }
  g_autofree char *what = g_strdup_printf("to '%s'", tmp);
  gboolean ok = write_all(fd, lines->str, lines->len, what, error);
  if (ok && fsync(fd) != 0) {
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_SINK, "cannot sync '%s': %s", tmp, g_strerror(errno));
    ok = FALSE;
  }
  close(fd);
  return ok;
}

gboolean prun_sink_dir_publish(PrunSink *s, gint64 batch, GError **error) {
  g_autofree char *tmp = dir_name(s, batch, TRUE);
  g_autofree char *final = dir_name(s, batch, FALSE);
  if (rename(tmp, final) != 0) {
    /* No temporary file: it was renamed before a crash (only persona
     * touches dot files), and the batch is published already. */
    if (errno == ENOENT) return TRUE;
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_SINK, "cannot rename '%s': %s", tmp, g_strerror(errno));
    return FALSE;
  }
  return sync_dir(s->arg, error);
}

/* ---- dispatch ------------------------------------------------------------------------------ */

gboolean prun_sink_deliver(PrunSink *s, gint64 batch, const GString *lines, guint count, GError **error) {
  switch (s->kind) {
  case PRUN_SINK_NONE: return TRUE;
  case PRUN_SINK_STDOUT: return deliver_stdout(lines, error);
  case PRUN_SINK_JSONL: return deliver_jsonl(s, lines, error);
  case PRUN_SINK_EXEC: return deliver_exec(s, batch, lines, count, error);
  case PRUN_SINK_DIR:
    return prun_sink_dir_stage(s, batch, lines, error) && prun_sink_dir_publish(s, batch, error);
  }
  return TRUE;
}
