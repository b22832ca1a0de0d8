/* io.c - reading JSON Lines and writing results for `persona eval` (and
 * every command that reads profiles): the CLI's shared I/O helpers.
 *
 * This is the tool's hot path: a benchmark pushes hundreds of megabytes
 * through it. Input is read with read(2) in 1 MiB blocks and split with
 * memchr; output is appended to one GString and written with write(2) once
 * it holds 1 MiB. Per line there is no system call and no allocation.
 * A line longer than the reader's max_line (64 MiB unless
 * --max-line-bytes says otherwise) is read through without being kept:
 * memory stays bounded whatever the input, and the line still counts.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_BLOCK ((gsize)1 << 20)

/* ---- files --------------------------------------------------------------- */

/* "cannot open 'x': No such file or directory"; `path` NULL means the
 * standard stream that `what` names. */
static gboolean set_errno_error(GError **error, int err, const char *what,
                                const char *path) {
  if (path)
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "%s '%s': %s", what,
                path, g_strerror(err));
  else
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "%s: %s", what,
                g_strerror(err));
  return FALSE;
}

static int open_retry(const char *path, int flags, mode_t mode) {
  int fd;
  do fd = open(path, flags, mode);
  while (fd < 0 && errno == EINTR);
  return fd;
}

gboolean pcli_check_readable(const char *path, GError **error) {
  int fd = open_retry(path, O_RDONLY | O_NONBLOCK, 0); /* a FIFO: no wait for a writer */
  if (fd < 0) return set_errno_error(error, errno, "cannot open", path);
  struct stat st;
  gboolean ok = TRUE;
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
    ok = set_errno_error(error, EISDIR, "cannot read", path);
  close(fd);
  return ok;
}

/* ---- reading lines ------------------------------------------------------- */

gboolean pcli_reader_open(PcliLineReader *r, const char *path, GError **error) {
  memset(r, 0, sizeof *r);
  if (!path || strcmp(path, "-") == 0) {
    r->fd = STDIN_FILENO;
    r->name = NULL;
  } else {
    r->fd = open_retry(path, O_RDONLY, 0);
    if (r->fd < 0) return set_errno_error(error, errno, "cannot open", path);
    r->own_fd = TRUE;
    r->name = path;
    struct stat st;
    if (fstat(r->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
      pcli_reader_close(r);
      return set_errno_error(error, EISDIR, "cannot read", path);
    }
  }
  r->cap = READ_BLOCK;
  r->buf = g_malloc(r->cap);
  r->max_line = PCLI_MAX_LINE_DEFAULT;
  return TRUE;
}

/* Makes room after the unfinished line: moves it to the front, and grows
 * the buffer when the line alone fills it. */
static gboolean reader_make_room(PcliLineReader *r, GError **error) {
  if (r->start > 0) {
    memmove(r->buf, r->buf + r->start, r->end - r->start);
    r->end -= r->start;
    r->scan -= r->start;
    r->start = 0;
  }
  if (r->end < r->cap) return TRUE;
  /* The buffer never needs more than max_line + 1 bytes: one byte more
   * than the longest line we keep shows that a line is too long. The
   * caller only gets here with a line of at most max_line bytes. */
  gsize cap = r->cap * 2;
  if (cap < r->cap || (r->max_line < G_MAXSIZE && cap > r->max_line + 1))
    cap = MAX(r->max_line + 1, r->cap + 1);
  char *buf = cap > r->cap ? g_try_realloc(r->buf, cap) : NULL;
  if (!buf) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOMEM,
                "a line of %s%s%s is too long (over %" G_GSIZE_FORMAT
                " bytes): out of memory",
                r->name ? "'" : "", r->name ? r->name : "standard input",
                r->name ? "'" : "", r->cap);
    return FALSE;
  }
  r->buf = buf;
  r->cap = cap;
  return TRUE;
}

/* Reads the next block; sets eof at the end of the input. */
static gboolean reader_fill(PcliLineReader *r, GError **error) {
  if (!reader_make_room(r, error)) return FALSE;
  ssize_t n;
  do n = read(r->fd, r->buf + r->end, r->cap - r->end);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return set_errno_error(error, errno, r->name ? "cannot read" : "cannot read standard input",
                           r->name);
  if (n == 0) r->eof = TRUE;
  r->end += (gsize)n;
  return TRUE;
}

/* Returns a line of `total` bytes that was too long: empty, flagged. */
static gboolean reader_too_long(PcliLineReader *r, const char **line, gsize *len, guint64 total) {
  r->too_long = TRUE;
  r->too_long_len = total;
  r->skipping = FALSE;
  r->skipped = 0;
  *line = r->buf + r->start;
  *len = 0;
  return TRUE;
}

/* Drops the unfinished line's bytes from the buffer once it is known to be
 * too long, so that a line of gigabytes costs no memory: only how many
 * bytes went is remembered. */
static void reader_discard(PcliLineReader *r) {
  r->skipping = TRUE;
  r->skipped += r->end - r->start;
  r->start = r->scan = r->end;
}

gboolean pcli_reader_next(PcliLineReader *r, const char **line, gsize *len,
                          GError **error) {
  r->too_long = FALSE;
  for (;;) {
    /* `scan` remembers how far the unfinished line was searched, so a
     * long line is scanned once however many blocks it spans. */
    char *nl = memchr(r->buf + r->scan, '\n', r->end - r->scan);
    if (nl) {
      gsize start = r->start, n = (gsize)(nl - (r->buf + start));
      r->start = r->scan = (gsize)(nl - r->buf) + 1;
      r->bytes += r->skipped + n + 1;
      if (r->skipping || n > r->max_line) return reader_too_long(r, line, len, r->skipped + n);
      *line = r->buf + start;
      *len = n;
      return TRUE;
    }
    r->scan = r->end;
    if (r->skipping || r->end - r->start > r->max_line) reader_discard(r);
    if (r->eof) {
      if (r->start == r->end && !r->skipping) return FALSE;
      /* The last line, without a newline, is still a record. */
      gsize n = r->end - r->start;
      r->bytes += r->skipped + n;
      if (r->skipping) return reader_too_long(r, line, len, r->skipped);
      *line = r->buf + r->start;
      *len = n;
      r->start = r->scan = r->end;
      return TRUE;
    }
    if (!reader_fill(r, error)) return FALSE;
  }
}

char *pcli_format_size(guint64 bytes) {
  if (bytes >= ((guint64)1 << 30) && bytes % ((guint64)1 << 30) == 0)
    return g_strdup_printf("%" G_GUINT64_FORMAT " GiB", bytes >> 30);
  if (bytes >= ((guint64)1 << 20) && bytes % ((guint64)1 << 20) == 0)
    return g_strdup_printf("%" G_GUINT64_FORMAT " MiB", bytes >> 20);
  if (bytes >= ((guint64)1 << 10) && bytes % ((guint64)1 << 10) == 0)
    return g_strdup_printf("%" G_GUINT64_FORMAT " KiB", bytes >> 10);
  return g_strdup_printf("%" G_GUINT64_FORMAT " byte%s", bytes, bytes == 1 ? "" : "s");
}

void pcli_line_too_long(GString *out, guint64 line_no, gsize max_line) {
  g_autofree char *size = pcli_format_size(max_line);
  g_string_append_printf(out, "{\"id\":null,\"line\":%" G_GUINT64_FORMAT
                              ",\"error\":\"line is longer than %s\",\"code\":\"too_large\"}",
                         line_no, size);
}

void pcli_reader_close(PcliLineReader *r) {
  if (r->own_fd && r->fd >= 0) close(r->fd);
  r->fd = -1;
  r->own_fd = FALSE;
  g_clear_pointer(&r->buf, g_free);
}

/* ---- writing --------------------------------------------------------------- */

gboolean pcli_writer_open(PcliWriter *w, const char *path, GError **error) {
  memset(w, 0, sizeof *w);
  w->out = persona_output_file_open(path, error);
  if (!w->out) return FALSE;
  w->buf = g_string_sized_new(PCLI_WRITE_CHUNK + PCLI_WRITE_CHUNK / 4);
  return TRUE;
}

gboolean pcli_writer_flush(PcliWriter *w, GError **error) {
  if (w->buf->len == 0) return TRUE;
  if (!persona_output_file_write(w->out, w->buf->str, w->buf->len, error)) return FALSE;
  w->bytes += w->buf->len;
  /* Keeps the allocation: the next megabyte reuses it. */
  g_string_truncate(w->buf, 0);
  return TRUE;
}

gboolean pcli_writer_commit(PcliWriter *w, GError **error) {
  return pcli_writer_flush(w, error) && persona_output_file_commit(w->out, error);
}

void pcli_writer_close(PcliWriter *w) {
  g_clear_pointer(&w->out, persona_output_file_free);
  if (w->buf) g_string_free(w->buf, TRUE);
  w->buf = NULL;
}

/* ---- evaluation runs --------------------------------------------------------- */

gboolean pcli_open_eval_io(PcliLineReader *r, const char *in_path, gsize max_line, PcliWriter *w,
                           const char *out_path) {
  g_autoptr(GError) error = NULL;
  if (!pcli_reader_open(r, in_path, &error)) {
    pcli_error("%s", error->message);
    return FALSE;
  }
  r->max_line = max_line;
  if (!pcli_writer_open(w, out_path, &error)) {
    pcli_error("%s", error->message);
    pcli_writer_close(w);
    pcli_reader_close(r);
    return FALSE;
  }
  return TRUE;
}

int pcli_finish_eval(PcliLineReader *r, PcliWriter *w, gboolean ok, GError *error, guint64 failed,
                     guint64 records) {
  g_autoptr(GError) commit_error = NULL;
  if (ok) ok = pcli_writer_commit(w, &commit_error);
  if (!ok) {
    const GError *e = commit_error ? commit_error : error;
    pcli_error("%s", e ? e->message : "evaluation failed");
  }
  pcli_writer_close(w);
  pcli_reader_close(r);
  if (!ok) return PCLI_EXIT_FAIL;
  if (failed > 0) {
    pcli_error("%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
               " records could not be evaluated (see their \"error\" objects)",
               failed, records);
    return PCLI_EXIT_RECORDS;
  }
  return PCLI_EXIT_OK;
}
