/* io.c - writing results for `persona eval` (and every command that
 * reads profiles): the CLI's shared I/O helpers. Lines are read with the
 * library's PersonaLineReader (persona.h).
 *
 * This is the tool's hot path: a benchmark pushes hundreds of megabytes
 * through it. Output is appended to one GString and written with write(2)
 * once it holds 1 MiB: per line there is no system call and no
 * allocation.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

void pcli_line_too_long(GString *out, guint64 line_no, gsize max_line) {
  g_autofree char *message = persona_line_too_long_message(max_line);
  g_string_append_printf(out, "{\"id\":null,\"line\":%" G_GUINT64_FORMAT ",\"error\":", line_no);
  persona_json_append_string(out, message, -1);
  g_string_append(out, ",\"code\":\"too_large\"}");
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

gboolean pcli_open_eval_io(PersonaLineReader **r, const char *in_path, gsize max_line, PcliWriter *w,
                           const char *out_path) {
  g_autoptr(GError) error = NULL;
  if (!(*r = persona_line_reader_open(in_path, &error))) {
    pcli_error("%s", error->message);
    return FALSE;
  }
  persona_line_reader_set_max_line(*r, max_line);
  if (!pcli_writer_open(w, out_path, &error)) {
    pcli_error("%s", error->message);
    pcli_writer_close(w);
    g_clear_pointer(r, persona_line_reader_free);
    return FALSE;
  }
  return TRUE;
}

int pcli_finish_eval(PersonaLineReader *r, PcliWriter *w, gboolean ok, GError *error, guint64 failed,
                     guint64 records) {
  g_autoptr(GError) commit_error = NULL;
  if (ok) ok = pcli_writer_commit(w, &commit_error);
  if (!ok) {
    const GError *e = commit_error ? commit_error : error;
    pcli_error("%s", e ? e->message : "evaluation failed");
  }
  pcli_writer_close(w);
  persona_line_reader_free(r);
  if (!ok) return PCLI_EXIT_FAIL;
  if (failed > 0) {
    pcli_error("%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
               " records could not be evaluated (see their \"error\" objects)",
               failed, records);
    return PCLI_EXIT_RECORDS;
  }
  return PCLI_EXIT_OK;
}

int pcli_write_text(const char *path, const GString *text) {
  g_autoptr(GError) error = NULL;
  PersonaOutputFile *f = persona_output_file_open(path, &error);
  gboolean ok = f && persona_output_file_write(f, text->str, text->len, &error) &&
                persona_output_file_commit(f, &error);
  persona_output_file_free(f);
  if (!ok) {
    pcli_error("%s", error->message);
    return PCLI_EXIT_FAIL;
  }
  return PCLI_EXIT_OK;
}

int pcli_write_doc(const RenderDoc *doc, RenderFormat format, const char *path) {
  GString *text = g_string_new(NULL);
  render_doc(doc, format, text);
  int status = pcli_write_text(path, text);
  g_string_free(text, TRUE);
  return status;
}

/* ---- evaluating every profile ------------------------------------------------ */

gboolean pcli_load_state(const char *path, PersonaStateStore **store) {
  *store = NULL;
  if (!path) return TRUE;
  g_autoptr(GError) error = NULL;
  *store = persona_state_store_load(path, &error);
  if (*store) return TRUE;
  pcli_error("%s", error->message);
  return FALSE;
}

/* The profile's stored state, or NULL (`key` is scratch). */
static const char *stored_state(PersonaVM *vm, const PersonaStateStore *store, const char *line, gsize len,
                                GString *key) {
  if (!store) return NULL;
  g_string_truncate(key, 0);
  return persona_vm_profile_key(vm, line, len, key) ? persona_state_store_get(store, key->str) : NULL;
}

gboolean pcli_eval_profiles(PersonaModel *model, const PcliProfiles *in, PcliProfileFn fn, void *data) {
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaVM) vm = persona_vm_new(model);
  if (in->input_tz && !persona_vm_set_input_timezone(vm, in->input_tz, &error)) {
    pcli_error("%s", error->message);
    return FALSE;
  }
  PersonaLineReader *r = persona_line_reader_open(in->in_path, &error);
  if (!r) {
    pcli_error("%s", error->message);
    return FALSE;
  }
  GString *key = g_string_new(NULL);
  const char *line;
  gsize len;
  while (persona_line_reader_next(r, &line, &len, &error)) {
    if (persona_line_reader_too_long(r, NULL)) {
      fn(data, vm, line, len, PERSONA_EVAL_RECORD_ERROR, NULL);
      continue;
    }
    const char *state = stored_state(vm, in->store, line, len, key);
    const PersonaResult *result = NULL;
    PersonaEvalStatus st =
        persona_vm_eval(vm, line, len, state, state ? strlen(state) : 0, in->now_us, &result);
    fn(data, vm, line, len, st, result);
  }
  g_string_free(key, TRUE);
  persona_line_reader_free(r);
  if (error) {
    pcli_error("%s", error->message);
    return FALSE;
  }
  return TRUE;
}
