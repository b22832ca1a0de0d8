/* run_log.c - the runner's messages to the operator, on stderr: plain
 * "persona: …" lines (the default), or with --log json one JSON object
 * per line for every batch, delivery, retry, warning and error, with
 * counts and durations (docs/runtime.md, "Logs and metrics"). A log line
 * never holds a value of a record: only counts, names, times and the
 * messages of the runner and the sink. */
#include "runner.h"

#include <stdio.h>
#include <unistd.h>

static PrunLogFormat log_format = PRUN_LOG_TEXT;

void prun_log_set_format(PrunLogFormat format) { log_format = format; }

gboolean prun_log_is_json(void) { return log_format == PRUN_LOG_JSON; }

GString *prun_log_begin(const char *level, const char *event) {
  if (log_format != PRUN_LOG_JSON) return NULL;
  char ts[PRUN_TIME_BUF];
  /* Whole milliseconds: short, and enough to order the lines. */
  gint64 now = g_get_real_time();
  prun_format_time(now - now % 1000, ts);
  GString *ev = g_string_new("{\"ts\":");
  persona_json_append_string(ev, ts, -1);
  g_string_append(ev, ",\"level\":");
  persona_json_append_string(ev, level, -1);
  g_string_append(ev, ",\"event\":");
  persona_json_append_string(ev, event, -1);
  return ev;
}

void prun_log_int(GString *ev, const char *key, gint64 value) {
  if (ev) g_string_append_printf(ev, ",\"%s\":%" G_GINT64_FORMAT, key, value);
}

void prun_log_str(GString *ev, const char *key, const char *value) {
  if (!ev) return;
  g_string_append_printf(ev, ",\"%s\":", key);
  if (value) persona_json_append_string(ev, value, -1);
  else g_string_append(ev, "null");
}

void prun_log_ms(GString *ev, const char *key, gint64 us) {
  if (ev) g_string_append_printf(ev, ",\"%s\":%" G_GINT64_FORMAT ".%03d", key, us / 1000, (int)(us % 1000));
}

void prun_log_time(GString *ev, const char *key, gint64 us) {
  if (!ev) return;
  char buf[PRUN_TIME_BUF];
  prun_format_time(us, buf);
  prun_log_str(ev, key, buf);
}

void prun_log_end(GString *ev) {
  if (!ev) return;
  g_string_append(ev, "}\n");
  /* One write per line: lines of concurrent writers do not interleave. */
  if (persona_write_fd(STDERR_FILENO, ev->str, ev->len) != 0) {
    /* stderr is gone: nothing left to tell */
  }
  g_string_free(ev, TRUE);
}

void prun_warn(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  if (log_format == PRUN_LOG_JSON) {
    GString *ev = prun_log_begin("warning", "warning");
    prun_log_str(ev, "message", msg);
    prun_log_end(ev);
    return;
  }
  fprintf(stderr, "persona: %s\n", msg);
}
