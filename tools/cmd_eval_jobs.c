/* cmd_eval_jobs.c - `persona eval -j N`: evaluation on N threads, output in
 * input order, the same bytes as one thread.
 *
 * The main thread reads the input in batches (about 1 MiB of lines, copied
 * out of the reader's buffer), hands each to a queue, and writes the
 * results of the oldest batch as soon as it is done. Each worker has its
 * own PersonaVM over the one shared, immutable model. At most 2 × N + 2
 * batches are in flight, so memory stays flat however long the input.
 */
#include "cli.h"

#include <string.h>

enum { BATCH_BYTES = 1 << 20, BATCH_LINES = 4096 };
#define TOO_LONG G_MAXSIZE

typedef struct Batch {
  GString *in;          /* the lines, each followed by '\0' (not part of the line) */
  GArray *spans;        /* gsize pairs: offset, length; offset TOO_LONG for a
                           line over the limit (its bytes were never read in) */
  guint64 first_line;
  GString *out;
  guint64 failed;
  gboolean done;
} Batch;

typedef struct Pool {
  PersonaModel *model;
  gint64 now_us;
  guint64 budget;
  guint result_options; /* PersonaResultOptions */
  const char *input_tz; /* checked by the caller (pcli_check_timezone) */
  gsize max_line;
  GAsyncQueue *todo;    /* Batch*, or the pool itself as the stop sign */
  GMutex lock;
  GCond done_cond;
} Pool;

static Batch *batch_new(guint64 first_line) {
  Batch *b = g_new0(Batch, 1);
  b->in = g_string_sized_new(BATCH_BYTES + BATCH_BYTES / 8);
  b->spans = g_array_new(FALSE, FALSE, sizeof(gsize) * 2);
  b->out = g_string_sized_new(BATCH_BYTES / 2);
  b->first_line = first_line;
  return b;
}

static void batch_free(Batch *b) {
  g_string_free(b->in, TRUE);
  g_array_unref(b->spans);
  g_string_free(b->out, TRUE);
  g_free(b);
}

static void batch_add(Batch *b, const char *line, gsize len, gboolean too_long) {
  gsize span[2] = {too_long ? TOO_LONG : b->in->len, len};
  g_string_append_len(b->in, line, (gssize)len);
  g_string_append_c(b->in, '\0');
  g_array_append_val(b->spans, span);
}

static void batch_eval(Pool *p, PersonaVM *vm, Batch *b) {
  for (guint i = 0; i < b->spans->len; i++) {
    const gsize *span = &g_array_index(b->spans, gsize, i * 2);
    if (span[0] == TOO_LONG) {
      pcli_line_too_long(b->out, b->first_line + i, p->max_line);
      b->failed++;
    } else if (persona_vm_eval_json(vm, b->in->str + span[0], span[1], p->now_us, b->first_line + i,
                                    b->out) != PERSONA_EVAL_OK) {
      b->failed++;
    }
    g_string_append_c(b->out, '\n');
  }
}

static gpointer worker(gpointer data) {
  Pool *p = data;
  PersonaVM *vm = persona_vm_new(p->model);
  persona_vm_set_budget(vm, p->budget);
  persona_vm_set_result_options(vm, p->result_options);
  if (p->input_tz) persona_vm_set_input_timezone(vm, p->input_tz, NULL);
  for (;;) {
    gpointer item = g_async_queue_pop(p->todo);
    if (item == p) break;
    Batch *b = item;
    batch_eval(p, vm, b);
    g_mutex_lock(&p->lock);
    b->done = TRUE;
    g_cond_broadcast(&p->done_cond);
    g_mutex_unlock(&p->lock);
  }
  persona_vm_free(vm);
  return NULL;
}

/* Writes the oldest batch once it is done. */
static gboolean write_oldest(Pool *p, GQueue *pending, PcliWriter *w, guint64 *failed, GError **error) {
  Batch *b = g_queue_pop_head(pending);
  g_mutex_lock(&p->lock);
  while (!b->done) g_cond_wait(&p->done_cond, &p->lock);
  g_mutex_unlock(&p->lock);
  *failed += b->failed;
  g_string_append_len(w->buf, b->out->str, (gssize)b->out->len);
  batch_free(b);
  return pcli_writer_maybe_flush(w, error);
}

int pcli_eval_parallel(PersonaModel *model, const char *in_path, const char *out_path, gint64 now_us,
                       guint64 budget, guint result_options, const char *input_tz, gsize max_line,
                       guint jobs) {
  g_autoptr(GError) error = NULL;
  PersonaLineReader *r = NULL;
  PcliWriter w;
  if (!pcli_open_eval_io(&r, in_path, max_line, &w, out_path)) return PCLI_EXIT_FAIL;
  Pool p = {.model = model,
            .now_us = now_us,
            .budget = budget,
            .result_options = result_options,
            .input_tz = input_tz,
            .max_line = max_line,
            .todo = g_async_queue_new()};
  g_mutex_init(&p.lock);
  g_cond_init(&p.done_cond);
  GThread **threads = g_new0(GThread *, jobs);
  for (guint i = 0; i < jobs; i++) threads[i] = g_thread_new("persona-eval", worker, &p);

  GQueue pending = G_QUEUE_INIT;
  guint64 line_no = 0, failed = 0;
  gboolean ok = TRUE, more = TRUE;
  const char *line;
  gsize len;
  while (ok && more) {
    Batch *b = batch_new(line_no + 1);
    while (b->in->len < BATCH_BYTES && b->spans->len < BATCH_LINES) {
      if (!persona_line_reader_next(r, &line, &len, &error)) {
        more = FALSE;
        break;
      }
      batch_add(b, line, len, persona_line_reader_too_long(r, NULL));
      line_no++;
    }
    if (b->spans->len == 0) {
      batch_free(b);
      break;
    }
    g_queue_push_tail(&pending, b);
    g_async_queue_push(p.todo, b);
    while (ok && pending.length >= 2 * jobs + 2) ok = write_oldest(&p, &pending, &w, &failed, &error);
  }
  if (error) ok = FALSE;
  while (pending.length > 0) {
    if (!write_oldest(&p, &pending, &w, &failed, ok ? &error : NULL)) ok = FALSE;
  }
  for (guint i = 0; i < jobs; i++) g_async_queue_push(p.todo, &p);
  for (guint i = 0; i < jobs; i++) g_thread_join(threads[i]);
  g_free(threads);
  g_async_queue_unref(p.todo);
  g_mutex_clear(&p.lock);
  g_cond_clear(&p.done_cond);

  return pcli_finish_eval(r, &w, ok, error, failed, line_no);
}
