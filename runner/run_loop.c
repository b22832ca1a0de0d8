/* run_loop.c - the two ways a runner runs: --once (every due profile and
 * every new record, then return) and --watch (until SIGINT, SIGTERM or
 * SIGHUP, sleeping until the earliest next_wake, delivery retry or
 * input). SIGHUP (a closed terminal, a supervisor's "reload") stops as
 * cleanly as SIGTERM: the batch in progress commits, its delivery is
 * tried, the lock is released; the supervisor starts the runner again,
 * which reads the model and the options afresh. */
#include "runner.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig) { stop_requested = sig; }

int prun_stop_signal(void) { return (int)stop_requested; }

void prun_catch_stop_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  /* No SA_RESTART: poll() returns at once with EINTR. */
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
}

/* Batches until there is neither input nor a due profile, delivering
 * after each committed batch. */
static gboolean drain(PrunRunner *r, gboolean *did_any, GError **error) {
  *did_any = FALSE;
  for (;;) {
    gboolean did;
    if (!prun_runner_batch(r, &did, error)) return FALSE;
    if (!prun_runner_deliver(r, error)) return FALSE;
    prun_write_metrics(r, !did);
    if (!did) return TRUE;
    *did_any = TRUE;
    if (stop_requested) return TRUE;
  }
}

gboolean prun_run_once(PrunRunner *r, GError **error) {
  gboolean did_any;
  if (!drain(r, &did_any, error)) return FALSE;
  /* Keep the WAL small between cron runs. */
  if (did_any) sqlite3_wal_checkpoint_v2(r->db->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
  return TRUE;
}

static gboolean advance_now(PrunRunner *r, GError **error) {
  gboolean clamped;
  gint64 last;
  return prun_runner_set_now(r, persona_time_now(), &clamped, &last, error);
}

/* How long to sleep (*ms): until the earliest next_wake, the next
 * delivery retry, or the next look at the input files, whichever comes
 * first. */
static gboolean sleep_ms(PrunRunner *r, gint poll_ms, int *ms, GError **error) {
  gint64 wall = persona_time_now();
  gint64 wait = 60 * G_USEC_PER_SEC; /* look again at least once a minute */
  gint64 next;
  gboolean found;
  if (!prun_db_next_wake(r->db, &next, &found, error)) return FALSE;
  if (found) wait = MIN(wait, MAX(next - wall, 0));
  if (r->retry_at > 0) wait = MIN(wait, MAX(r->retry_at - wall, 0));
  if (prun_inputs_has_files(r->inputs)) wait = MIN(wait, (gint64)poll_ms * 1000);
  *ms = (int)((wait + 999) / 1000);
  return TRUE;
}

gboolean prun_run_watch(PrunRunner *r, gint poll_ms, GError **error) {
  prun_catch_stop_signals();
  r->backoff = TRUE;
  gboolean dirty = FALSE;
  while (!stop_requested) {
    if (!advance_now(r, error)) return FALSE;
    r->retry_at = 0;
    gboolean did_any;
    if (!drain(r, &did_any, error)) return FALSE;
    dirty |= did_any;
    if (stop_requested) break;
    int ms;
    if (!sleep_ms(r, poll_ms, &ms, error)) return FALSE;
    if (ms > 0 && dirty) {
      /* Idle: a good moment to move the WAL into the database. */
      sqlite3_wal_checkpoint_v2(r->db->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
      dirty = FALSE;
    }
    int fd;
    struct pollfd p = {.fd = -1, .events = POLLIN};
    if (prun_inputs_stdin_fd(r->inputs, &fd)) p.fd = fd;
    if (ms > 0 && poll(p.fd >= 0 ? &p : NULL, p.fd >= 0 ? 1 : 0, ms) < 0 && errno != EINTR) {
      g_set_error(error, PRUN_ERROR, PRUN_ERROR_INPUT, "cannot wait for input: %s", g_strerror(errno));
      return FALSE;
    }
  }
  return TRUE;
}

char *prun_model_hash(PersonaModel *model) {
  char *hash = persona_model_source_hash(model);
  if (hash) return hash;
  g_autoptr(GBytes) code = persona_model_to_bytecode(model, NULL);
  return code ? g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, code) : g_strdup("unknown");
}

