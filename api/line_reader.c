/* line_reader.c - JSON Lines read in large blocks (persona.h, "Reading
 * JSON Lines"): the reader of `persona eval` and every command that reads
 * profiles, for any host.
 *
 * This is a hot path: a benchmark pushes hundreds of megabytes through
 * it. Input is read with read(2) in 1 MiB blocks and split with memchr;
 * per line there is no system call and no allocation. A line longer than
 * max_line is read through without being kept: memory stays bounded
 * whatever the input, and the line still counts.
 */
#include "persona.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_BLOCK ((gsize)1 << 20)

struct PersonaLineReader {
  int fd;
  gboolean own_fd;
  char *name; /* for messages; NULL for stdin */
  char *buf;
  gsize cap, start, end, scan;
  gboolean eof;
  guint64 bytes;     /* consumed so far */
  guint64 lines;     /* returned so far */
  gsize max_line;    /* longest line returned as it is */
  gboolean skipping; /* inside a line longer than max_line: discarding it */
  guint64 skipped;   /* bytes of that line discarded so far */
  gboolean too_long; /* the line just returned was too long ... */
  guint64 too_long_len; /* ... and this long */
};

/* "cannot open 'x': No such file or directory"; `path` NULL means the
 * standard input. */
static gboolean set_errno_error(GError **error, int err, const char *what, const char *path) {
  if (path) g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_IO, "%s '%s': %s", what, path, g_strerror(err));
  else g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_IO, "%s: %s", what, g_strerror(err));
  return FALSE;
}

PersonaLineReader *persona_line_reader_open(const char *path, GError **error) {
  PersonaLineReader *r = g_new0(PersonaLineReader, 1);
  if (!path || strcmp(path, "-") == 0) {
    r->fd = STDIN_FILENO;
  } else {
    do r->fd = open(path, O_RDONLY);
    while (r->fd < 0 && errno == EINTR);
    if (r->fd < 0) {
      set_errno_error(error, errno, "cannot open", path);
      g_free(r);
      return NULL;
    }
    r->own_fd = TRUE;
    r->name = g_strdup(path);
    struct stat st;
    if (fstat(r->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
      set_errno_error(error, EISDIR, "cannot read", path);
      persona_line_reader_free(r);
      return NULL;
    }
  }
  r->cap = READ_BLOCK;
  r->buf = g_malloc(r->cap);
  r->max_line = PERSONA_MAX_LINE_DEFAULT;
  return r;
}

void persona_line_reader_set_max_line(PersonaLineReader *r, gsize max_line) {
  g_return_if_fail(r != NULL && max_line > 0);
  r->max_line = max_line;
}

gsize persona_line_reader_max_line(const PersonaLineReader *r) { return r->max_line; }
guint64 persona_line_reader_bytes(const PersonaLineReader *r) { return r->bytes; }
guint64 persona_line_reader_line_no(const PersonaLineReader *r) { return r->lines; }

gboolean persona_line_reader_too_long(const PersonaLineReader *r, guint64 *real_len) {
  if (real_len) *real_len = r->too_long ? r->too_long_len : 0;
  return r->too_long;
}

/* Makes room after the unfinished line: moves it to the front, and grows
 * the buffer when the line alone fills it. */
static gboolean make_room(PersonaLineReader *r, GError **error) {
  if (r->start > 0) {
    memmove(r->buf, r->buf + r->start, r->end - r->start);
    r->end -= r->start;
    r->scan -= r->start;
    r->start = 0;
  }
  if (r->end < r->cap) return TRUE;
  /* The buffer never needs more than max_line + 1 bytes: one byte more
   * than the longest line kept shows that a line is too long. */
  gsize cap = r->cap * 2;
  if (cap < r->cap || (r->max_line < G_MAXSIZE && cap > r->max_line + 1)) cap = MAX(r->max_line + 1, r->cap + 1);
  char *buf = cap > r->cap ? g_try_realloc(r->buf, cap) : NULL;
  if (!buf) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_IO,
                "a line of %s%s%s is too long (over %" G_GSIZE_FORMAT " bytes): out of memory", r->name ? "'" : "",
                r->name ? r->name : "standard input", r->name ? "'" : "", r->cap);
    return FALSE;
  }
  r->buf = buf;
  r->cap = cap;
  return TRUE;
}

/* Reads the next block; sets eof at the end of the input. */
static gboolean fill(PersonaLineReader *r, GError **error) {
  if (!make_room(r, error)) return FALSE;
  ssize_t n;
  do n = read(r->fd, r->buf + r->end, r->cap - r->end);
  while (n < 0 && errno == EINTR);
  if (n < 0) return set_errno_error(error, errno, r->name ? "cannot read" : "cannot read standard input", r->name);
  if (n == 0) r->eof = TRUE;
  r->end += (gsize)n;
  return TRUE;
}

/* Returns a line of `total` bytes that was too long: empty, flagged. */
static gboolean give_too_long(PersonaLineReader *r, const char **line, gsize *len, guint64 total) {
  r->too_long = TRUE;
  r->too_long_len = total;
  r->skipping = FALSE;
  r->skipped = 0;
  *line = r->buf + r->start;
  *len = 0;
  return TRUE;
}

/* Drops the unfinished line's bytes once it is known to be too long, so
 * that a line of gigabytes costs no memory. */
static void discard(PersonaLineReader *r) {
  r->skipping = TRUE;
  r->skipped += r->end - r->start;
  r->start = r->scan = r->end;
}

static gboolean next_line(PersonaLineReader *r, const char **line, gsize *len, GError **error) {
  r->too_long = FALSE;
  for (;;) {
    /* `scan` remembers how far the unfinished line was searched, so a
     * long line is scanned once however many blocks it spans. */
    char *nl = memchr(r->buf + r->scan, '\n', r->end - r->scan);
    if (nl) {
      gsize start = r->start, n = (gsize)(nl - (r->buf + start));
      r->start = r->scan = (gsize)(nl - r->buf) + 1;
      r->bytes += r->skipped + n + 1;
      if (r->skipping || n > r->max_line) return give_too_long(r, line, len, r->skipped + n);
      *line = r->buf + start;
      *len = n;
      return TRUE;
    }
    r->scan = r->end;
    if (r->skipping || r->end - r->start > r->max_line) discard(r);
    if (r->eof) {
      if (r->start == r->end && !r->skipping) return FALSE;
      /* The last line, without a newline, is still a line. */
      gsize n = r->end - r->start;
      r->bytes += r->skipped + n;
      if (r->skipping) return give_too_long(r, line, len, r->skipped);
      *line = r->buf + r->start;
      *len = n;
      r->start = r->scan = r->end;
      return TRUE;
    }
    if (!fill(r, error)) return FALSE;
  }
}

gboolean persona_line_reader_next(PersonaLineReader *r, const char **line, gsize *len, GError **error) {
  g_return_val_if_fail(r != NULL && line != NULL && len != NULL, FALSE);
  if (!next_line(r, line, len, error)) return FALSE;
  r->lines++;
  return TRUE;
}

void persona_line_reader_free(PersonaLineReader *r) {
  if (!r) return;
  if (r->own_fd && r->fd >= 0) close(r->fd);
  g_free(r->buf);
  g_free(r->name);
  g_free(r);
}

char *persona_format_size(guint64 bytes) {
  if (bytes >= ((guint64)1 << 30) && bytes % ((guint64)1 << 30) == 0)
    return g_strdup_printf("%" G_GUINT64_FORMAT " GiB", bytes >> 30);
  if (bytes >= ((guint64)1 << 20) && bytes % ((guint64)1 << 20) == 0)
    return g_strdup_printf("%" G_GUINT64_FORMAT " MiB", bytes >> 20);
  if (bytes >= ((guint64)1 << 10) && bytes % ((guint64)1 << 10) == 0)
    return g_strdup_printf("%" G_GUINT64_FORMAT " KiB", bytes >> 10);
  return g_strdup_printf("%" G_GUINT64_FORMAT " byte%s", bytes, bytes == 1 ? "" : "s");
}

char *persona_line_too_long_message(gsize max_line) {
  g_autofree char *size = persona_format_size(max_line);
  return g_strdup_printf("line is longer than %s", size);
}
