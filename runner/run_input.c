/* run_input.c - the inputs of `persona run`: JSON Lines profile records
 * from files, directories and stdin, each line ingested once.
 *
 * A file is known by its identity (device, inode) and a hash of its first
 * bytes, not by its name: the cursor table says how far each file was
 * read, and the cursor moves in the same transaction as the records it
 * covers, so a crash re-reads exactly the lines whose ingestion was rolled
 * back. Consequences (docs/runtime.md, "Inputs"):
 *   - a file renamed by log rotation is continued where it was left, under
 *     any name; a new file at the old name starts from its beginning;
 *   - a file that shrank, or whose first bytes changed (truncated and
 *     written again), starts from its beginning;
 *   - only complete lines (ending in "\n") are read from files: a writer
 *     may be in the middle of the last one. Standard input has no cursor;
 *     its last line needs no newline.
 * An open file is read to its end even after it was renamed or deleted,
 * so lines appended just before a rotation are not lost while persona
 * runs.
 */
#include "runner.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_BLOCK ((gsize)1 << 20)
/* The cursor's fingerprint covers at most the first 4 KiB of a file. */
#define PREFIX_MAX 4096

typedef struct {
  char *name; /* for messages and the cursor's `source`; "-" for stdin */
  gboolean is_stdin;
  int fd;
  dev_t dev;
  ino_t ino;
  char *buf;
  gsize cap, start, end, scan;
  guint64 base;      /* file offset of buf[0] */
  guint64 line;      /* lines consumed */
  gboolean skipping; /* inside a line longer than max_line */
  gboolean eof;      /* stdin: ended */
  gboolean at_end;   /* the last read found no more bytes */
  gboolean dirty;    /* the cursor must be written in this transaction */
  gboolean listed;   /* named by the last scan of the arguments */
  gsize prefix_len;  /* what the stored fingerprint covers */
  char *prefix_hash;
} Source;

struct PrunInputs {
  char **paths;
  GPtrArray *sources; /* Source*, in the order they were opened */
  gsize max_line;
  gboolean has_files;
  gboolean stdin_blocks; /* --once: wait for stdin's next line or its end */
  gboolean need_scan;    /* look at the arguments again before reading */
};

static void source_free(gpointer p) {
  Source *s = p;
  if (s->fd >= 0 && !s->is_stdin) close(s->fd);
  g_free(s->name);
  g_free(s->buf);
  g_free(s->prefix_hash);
  g_free(s);
}

PrunInputs *prun_inputs_new(const char *const *paths, gsize max_line) {
  PrunInputs *in = g_new0(PrunInputs, 1);
  in->paths = g_strdupv((char **)paths);
  in->sources = g_ptr_array_new_with_free_func(source_free);
  in->max_line = max_line;
  in->need_scan = TRUE;
  for (gsize i = 0; paths && paths[i]; i++) {
    if (strcmp(paths[i], "-") != 0) in->has_files = TRUE;
  }
  return in;
}

void prun_inputs_free(PrunInputs *in) {
  if (!in) return;
  g_strfreev(in->paths);
  g_ptr_array_unref(in->sources);
  g_free(in);
}

void prun_inputs_set_blocking(PrunInputs *in, gboolean block) {
  in->stdin_blocks = block;
}

gboolean prun_inputs_has_files(PrunInputs *in) {
  return in->has_files;
}

gboolean prun_inputs_stdin_fd(PrunInputs *in, int *fd) {
  for (guint i = 0; i < in->sources->len; i++) {
    Source *s = in->sources->pdata[i];
    if (s->is_stdin && !s->eof) {
      *fd = s->fd;
      return TRUE;
    }
  }
  return FALSE;
}

/* ---- fingerprints ------------------------------------------------------------- */

/* SHA-256 of the first `len` bytes of the file; NULL if they cannot all
 * be read (the file is shorter now). */
static char *hash_prefix(int fd, gsize len) {
  char buf[PREFIX_MAX];
  gsize got = 0;
  while (got < len) {
    ssize_t n = pread(fd, buf + got, len - got, (off_t)got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return NULL;
    got += (gsize)n;
  }
  return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)buf, len);
}

/* ---- opening files with their cursors --------------------------------------------- */

static Source *find_open(PrunInputs *in, dev_t dev, ino_t ino) {
  for (guint i = 0; i < in->sources->len; i++) {
    Source *s = in->sources->pdata[i];
    if (!s->is_stdin && s->dev == dev && s->ino == ino) return s;
  }
  return NULL;
}

static const char cursor_get_sql[] =
    "SELECT offset, line, prefix_len, prefix_hash FROM input_cursor WHERE dev = ?1 AND inode = ?2";

/* Where to start reading a newly opened file: its cursor's offset when the
 * cursor is of this very file, else 0. */
static gboolean position_source(Source *s, PrunDb *d, guint64 size, GError **error) {
  sqlite3_stmt *st = prun_prepare(d, cursor_get_sql, error);
  if (!st) return FALSE;
  sqlite3_bind_int64(st, 1, (gint64)s->dev);
  sqlite3_bind_int64(st, 2, (gint64)s->ino);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return prun_db_fail(d, rc, "cannot read the input cursors", error);
    return TRUE; /* never seen: from the start */
  }
  guint64 offset = (guint64)sqlite3_column_int64(st, 0);
  guint64 line = (guint64)sqlite3_column_int64(st, 1);
  gsize prefix_len = (gsize)sqlite3_column_int64(st, 2);
  g_autofree char *prefix_hash = g_strdup((const char *)sqlite3_column_text(st, 3));
  sqlite3_reset(st);
  g_autofree char *now_hash = prefix_len <= PREFIX_MAX ? hash_prefix(s->fd, prefix_len) : NULL;
  if (size < offset || !now_hash || !prefix_hash || strcmp(now_hash, prefix_hash) != 0) {
    prun_warn("input '%s' was truncated or rewritten since it was read: reading it from the start", s->name);
    s->dirty = TRUE;
    return TRUE;
  }
  s->base = offset;
  s->line = line;
  s->prefix_len = prefix_len;
  s->prefix_hash = g_steal_pointer(&prefix_hash);
  if (lseek(s->fd, (off_t)offset, SEEK_SET) < 0) {
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_INPUT, "cannot seek in '%s': %s", s->name, g_strerror(errno));
    return FALSE;
  }
  return TRUE;
}

/* A file being read that shrank, or whose first bytes changed, was
 * truncated or rewritten under us: read it again from its start. */
static gboolean check_open_file(Source *s, guint64 size, GError **error) {
  guint64 read_to = s->base + s->end;
  gboolean same = size >= read_to;
  if (same && s->prefix_hash && s->prefix_len > 0) {
    g_autofree char *now_hash = hash_prefix(s->fd, s->prefix_len);
    same = now_hash && strcmp(now_hash, s->prefix_hash) == 0;
  }
  if (same) return TRUE;
  prun_warn("input '%s' was truncated or rewritten while being read: reading it from the start", s->name);
  s->base = 0;
  s->start = s->end = s->scan = 0;
  s->line = 0;
  s->skipping = FALSE;
  s->at_end = FALSE;
  s->prefix_len = 0;
  g_clear_pointer(&s->prefix_hash, g_free);
  s->dirty = TRUE;
  if (lseek(s->fd, 0, SEEK_SET) != 0) {
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_INPUT, "cannot seek in '%s': %s", s->name, g_strerror(errno));
    return FALSE;
  }
  return TRUE;
}

static Source *source_new(const char *name) {
  Source *s = g_new0(Source, 1);
  s->name = g_strdup(name);
  s->fd = -1;
  s->cap = READ_BLOCK;
  s->buf = g_malloc(s->cap);
  return s;
}

/* Makes sure the file at `path` is being read; a file already open (by
 * identity) is only marked as listed. A file that vanished between the
 * listing and the open is skipped. */
static gboolean open_file(PrunInputs *in, PrunDb *d, const char *path, gboolean named, GError **error) {
  struct stat st;
  if (stat(path, &st) != 0) {
    if (errno == ENOENT && !named) return TRUE;
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_INPUT, "cannot open '%s': %s", path, g_strerror(errno));
    return FALSE;
  }
  if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
    if (!named) return TRUE;
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_INPUT, "cannot read '%s': not a regular file or directory", path);
    return FALSE;
  }
  Source *s = find_open(in, st.st_dev, st.st_ino);
  if (s) {
    s->listed = TRUE;
    return check_open_file(s, (guint64)st.st_size, error);
  }
  int fd;
  do fd = open(path, O_RDONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    if (errno == ENOENT && !named) return TRUE;
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_INPUT, "cannot open '%s': %s", path, g_strerror(errno));
    return FALSE;
  }
  /* The identity of what was opened, which may differ from the stat above
   * if the file was replaced in between. */
  if (fstat(fd, &st) != 0) {
    close(fd);
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_INPUT, "cannot read '%s': %s", path, g_strerror(errno));
    return FALSE;
  }
  s = source_new(path);
  s->fd = fd;
  s->dev = st.st_dev;
  s->ino = st.st_ino;
  s->listed = TRUE;
  if (!position_source(s, d, (guint64)st.st_size, error)) {
    source_free(s);
    return FALSE;
  }
  g_ptr_array_add(in->sources, s);
  return TRUE;
}

static gint compare_names(gconstpointer a, gconstpointer b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static gboolean scan_directory(PrunInputs *in, PrunDb *d, const char *dir, GError **error) {
  DIR *dh = opendir(dir);
  if (!dh) {
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_INPUT, "cannot read the directory '%s': %s", dir, g_strerror(errno));
    return FALSE;
  }
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  struct dirent *e;
  while ((e = readdir(dh)) != NULL)
    if (e->d_name[0] != '.') g_ptr_array_add(names, g_build_filename(dir, e->d_name, NULL));
  closedir(dh);
  g_ptr_array_sort(names, compare_names);
  for (guint i = 0; i < names->len; i++) {
    struct stat st;
    const char *path = names->pdata[i];
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (!open_file(in, d, path, FALSE, error)) return FALSE;
  }
  return TRUE;
}

/* Looks at the arguments again: new files in directories, a new file at a
 * rotated name. */
static gboolean scan(PrunInputs *in, PrunDb *d, GError **error) {
  for (guint i = 0; i < in->sources->len; i++) ((Source *)in->sources->pdata[i])->listed = FALSE;
  for (gsize i = 0; in->paths && in->paths[i]; i++) {
    const char *path = in->paths[i];
    if (strcmp(path, "-") == 0) {
      gboolean have = FALSE;
      for (guint k = 0; k < in->sources->len; k++) have |= ((Source *)in->sources->pdata[k])->is_stdin;
      if (!have) {
        Source *s = source_new("-");
        s->is_stdin = TRUE;
        s->fd = STDIN_FILENO;
        g_ptr_array_add(in->sources, s);
      }
      continue;
    }
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
      if (!scan_directory(in, d, path, error)) return FALSE;
    } else if (!open_file(in, d, path, TRUE, error)) {
      return FALSE;
    }
  }
  return TRUE;
}

/* ---- reading lines ------------------------------------------------------------- */

static gboolean source_fill(Source *s, gsize max_line, gboolean block, gboolean *got, GError **error) {
  *got = FALSE;
  if (s->start > 0) {
    memmove(s->buf, s->buf + s->start, s->end - s->start);
    s->base += s->start;
    s->end -= s->start;
    s->scan -= s->start;
    s->start = 0;
  }
  if (s->end == s->cap) {
    gsize cap = MIN(MAX(s->cap * 2, s->cap + 1), max_line + 1);
    char *buf = cap > s->cap ? g_try_realloc(s->buf, cap) : NULL;
    if (!buf) {
      g_set_error(error, PRUN_ERROR, PRUN_ERROR_INPUT, "a line of '%s' is too long: out of memory", s->name);
      return FALSE;
    }
    s->buf = buf;
    s->cap = cap;
  }
  if (s->is_stdin && !block) {
    struct pollfd p = {.fd = s->fd, .events = POLLIN};
    if (poll(&p, 1, 0) <= 0) return TRUE; /* nothing there yet */
  }
  ssize_t n;
  do n = read(s->fd, s->buf + s->end, s->cap - s->end);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    g_set_error(error, PRUN_ERROR, PRUN_ERROR_INPUT, "cannot read '%s': %s",
                s->is_stdin ? "standard input" : s->name, g_strerror(errno));
    return FALSE;
  }
  s->at_end = n == 0;
  if (n == 0) {
    if (s->is_stdin) s->eof = TRUE;
    return TRUE;
  }
  s->end += (gsize)n;
  *got = TRUE;
  return TRUE;
}

/* The next complete line: 1 with a line (empty and *too_long when it was
 * longer than max_line, its bytes discarded), 0 when none is complete now,
 * -1 on error. */
static int source_next(Source *s, gsize max_line, gboolean block, const char **line, gsize *len,
                       gboolean *too_long, GError **error) {
  for (;;) {
    char *nl = memchr(s->buf + s->scan, '\n', s->end - s->scan);
    if (nl) {
      gsize start = s->start, n = (gsize)(nl - (s->buf + start));
      s->start = s->scan = (gsize)(nl - s->buf) + 1;
      *too_long = s->skipping || n > max_line;
      s->skipping = FALSE;
      *line = s->buf + start;
      *len = *too_long ? 0 : n;
      s->line++;
      return 1;
    }
    s->scan = s->end;
    if (s->skipping || s->end - s->start > max_line) {
      /* Too long: forget its bytes, remember only that we are in it. */
      s->skipping = TRUE;
      s->base += s->end;
      s->start = s->scan = s->end = 0;
    }
    if (s->eof) {
      if (s->start == s->end && !s->skipping) return 0;
      /* stdin's last line needs no newline. */
      *too_long = s->skipping;
      s->skipping = FALSE;
      *line = s->buf + s->start;
      *len = *too_long ? 0 : s->end - s->start;
      s->start = s->scan = s->end;
      s->line++;
      return 1;
    }
    gboolean got;
    if (!source_fill(s, max_line, block, &got, error)) return -1;
    if (!got && !s->eof) return 0;
  }
}

/* ---- cursors -------------------------------------------------------------------- */

static const char cursor_put_sql[] =
    "INSERT INTO input_cursor(dev, inode, source, offset, line, prefix_len, prefix_hash, updated_at)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(dev, inode) DO UPDATE SET source = excluded.source,"
    " offset = excluded.offset, line = excluded.line, prefix_len = excluded.prefix_len,"
    " prefix_hash = excluded.prefix_hash, updated_at = excluded.updated_at";

static gboolean write_cursor(Source *s, PrunDb *d, GError **error) {
  guint64 offset = s->base + s->start;
  gsize want = (gsize)MIN(offset, (guint64)PREFIX_MAX);
  if (want != s->prefix_len || !s->prefix_hash) {
    char *hash = hash_prefix(s->fd, want);
    if (!hash) {
      g_set_error(error, PRUN_ERROR, PRUN_ERROR_INPUT, "cannot read '%s' again: it shrank while being read",
                  s->name);
      return FALSE;
    }
    g_free(s->prefix_hash);
    s->prefix_hash = hash;
    s->prefix_len = want;
  }
  sqlite3_stmt *st = prun_prepare(d, cursor_put_sql, error);
  if (!st) return FALSE;
  sqlite3_bind_int64(st, 1, (gint64)s->dev);
  sqlite3_bind_int64(st, 2, (gint64)s->ino);
  sqlite3_bind_text(st, 3, s->name, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, (gint64)offset);
  sqlite3_bind_int64(st, 5, (gint64)s->line);
  sqlite3_bind_int64(st, 6, (gint64)s->prefix_len);
  sqlite3_bind_text(st, 7, s->prefix_hash, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 8, g_get_real_time());
  return prun_step_done(d, st, "cannot write an input cursor", error);
}

/* ---- ingesting ---------------------------------------------------------------------- */

gboolean prun_inputs_ingest(PrunInputs *in, PrunDb *d, guint max_lines, PrunLineFunc fn, gpointer user,
                            guint *n, GError **error) {
  *n = 0;
  /* The arguments are looked at again only when what is open ran dry: a
   * directory listing per batch would cost more than the batch. */
  if (in->need_scan) {
    if (!scan(in, d, error)) return FALSE;
    in->need_scan = FALSE;
  }
  for (guint i = 0; i < in->sources->len && *n < max_lines; i++) {
    Source *s = in->sources->pdata[i];
    for (;;) {
      if (*n >= max_lines) break;
      const char *line;
      gsize len;
      gboolean too_long;
      int got = source_next(s, in->max_line, in->stdin_blocks, &line, &len, &too_long, error);
      if (got < 0) return FALSE;
      if (got == 0) break;
      if (!s->is_stdin) s->dirty = TRUE;
      /* Half-way through the lines of a batch: the transaction holds some
       * upserts and no cursor yet. */
      if (*n == max_lines / 2) prun_crash_point("mid-ingest");
      if (!fn(user, s->name, s->line, line, len, too_long, error)) return FALSE; /* stdin's is "-" */
      (*n)++;
    }
  }
  if (*n < max_lines) in->need_scan = TRUE;
  for (guint i = 0; i < in->sources->len; i++) {
    Source *s = in->sources->pdata[i];
    if (s->dirty && !write_cursor(s, d, error)) return FALSE;
  }
  return TRUE;
}

void prun_inputs_committed(PrunInputs *in) {
  /* A source no longer named by the arguments (renamed away, deleted) and
   * read to its end is closed; it is found again by its cursor if it
   * comes back. */
  for (guint i = 0; i < in->sources->len;) {
    Source *s = in->sources->pdata[i];
    s->dirty = FALSE;
    if (!s->is_stdin && !s->listed && s->at_end && s->start == s->end) {
      g_ptr_array_remove_index(in->sources, i);
      continue;
    }
    i++;
  }
}
