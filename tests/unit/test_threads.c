/* test_threads.c - one model shared by many threads (persona.h: "a
 * PersonaModel ... may be shared by any number of threads; a PersonaVM
 * belongs to one thread at a time").
 *
 * Eight threads evaluate the 3000 profiles of examples/profiles.jsonl with
 * examples/b2b_journeys.persona on ONE shared model, each thread with its
 * own VM, and every result must equal the single-threaded result byte for
 * byte. Run once on a compiled model and once on a model loaded from
 * bytecode. scripts/test.sh also runs this test in a ThreadSanitizer
 * build (-DPERSONA_TSAN=ON), where it must give no report at all; its
 * ctest environment sets G_SLICE=always-malloc (tests/CMakeLists.txt says
 * why), and no suppression file is needed.
 */
#include <glib.h>
#include <string.h>

#include "persona.h"

#define N_THREADS 8

/* First sight on 02-01, then again two weeks later with the state the
 * first evaluation left: the second evaluation moves journeys on (waits
 * end, actions fire), so state decoding and encoding run in the threads
 * too. */
#define NOW1 "2026-02-01T00:00:00Z"
#define NOW2 "2026-02-15T00:00:00Z"

typedef struct {
  PersonaModel *model;   /* shared by every thread */
  GPtrArray *lines;      /* the profiles, shared, read-only */
  GPtrArray *expected;   /* one transcript per profile, from one thread */
  gint64 now1, now2;
} Shared;

typedef struct {
  const Shared *shared;
  guint first;           /* where this thread starts in the list */
  guint evaluated;
  guint mismatches;
  gint first_bad;        /* index of the first mismatch, or -1 */
  char *got;             /* its transcript (owned) */
} Worker;

/* ---- one profile's transcript ------------------------------------------------- */

/* Everything the accessors tell about the last evaluation, as text: what
 * an embedding program reads instead of JSON. */
static void append_accessors(GString *out, const PersonaResult *r) {
  const char *error = persona_result_error(r);
  if (error) {
    g_string_append_printf(out, "error=%s\n", error);
    return;
  }
  g_string_append(out, "tags=");
  for (guint i = 0; i < persona_result_n_tags(r); i++)
    g_string_append_printf(out, "%s%s", i ? "," : "", persona_result_tag(r, i));
  g_string_append(out, " scores=");
  for (guint i = 0; i < persona_result_n_scores(r); i++)
    g_string_append_printf(out, "%s%s:%.17g", i ? "," : "", persona_result_score_name(r, i),
                           persona_result_score_value(r, i));
  g_string_append(out, " stages=");
  for (guint i = 0; i < persona_result_n_stages(r); i++)
    g_string_append_printf(out, "%s%s:%s", i ? "," : "", persona_result_stage_lifecycle(r, i),
                           persona_result_stage(r, i));
  for (guint i = 0; i < persona_result_n_transitions(r); i++) {
    PersonaTransition t;
    persona_result_transition(r, i, &t);
    g_string_append_printf(out, " transition=%s:%s->%s@%" G_GINT64_FORMAT, t.lifecycle,
                           t.from ? t.from : "-", t.to, t.at_us);
  }
  for (guint i = 0; i < persona_result_n_actions(r); i++) {
    PersonaAction a;
    persona_result_action(r, i, &a);
    g_string_append_printf(out, " action=%s/%" G_GINT64_FORMAT "/%s:%s:%s:%s@%" G_GINT64_FORMAT,
                           a.journey, a.run, a.step, a.kind, a.channel ? a.channel : "-", a.text,
                           a.at_us);
  }
  gint64 wake;
  if (persona_result_next_wake(r, &wake)) g_string_append_printf(out, " wake=%" G_GINT64_FORMAT, wake);
  g_string_append_c(out, '\n');
}

/* The first evaluation through persona_vm_eval_json_state (its JSON
 * result and state), the second through persona_vm_eval: the accessors,
 * and the JSON result and state read back from the PersonaResult. */
static void transcript(PersonaVM *vm, const Shared *s, const char *line, GString *out) {
  gsize len = strlen(line);
  g_autoptr(GString) state = g_string_new(NULL);
  persona_vm_eval_json_state(vm, line, len, NULL, 0, s->now1, 1, out, state);
  g_string_append_c(out, '\n');
  g_string_append(out, state->str);
  g_string_append_c(out, '\n');

  const PersonaResult *r = NULL;
  persona_vm_eval(vm, line, len, state->str, state->len, s->now2, &r);
  append_accessors(out, r);
  persona_result_to_json(r, out);
  g_string_append_c(out, '\n');
  persona_result_state_json(r, out);
  g_string_append_c(out, '\n');
}

/* ---- the threads ---------------------------------------------------------------- */

static gpointer worker_main(gpointer data) {
  Worker *w = data;
  const Shared *s = w->shared;
  /* Its own VM on the shared model: persona_vm_new takes a reference, so
   * the model's reference count changes on eight threads at once. */
  PersonaVM *vm = persona_vm_new(s->model);
  GString *got = g_string_new(NULL);
  guint n = s->lines->len;
  for (guint k = 0; k < n; k++) {
    guint i = (w->first + k) % n; /* each thread starts elsewhere in the list */
    g_string_truncate(got, 0);
    transcript(vm, s, g_ptr_array_index(s->lines, i), got);
    w->evaluated++;
    if (strcmp(got->str, g_ptr_array_index(s->expected, i)) != 0 && w->mismatches++ == 0) {
      w->first_bad = (gint)i;
      w->got = g_strdup(got->str);
    }
  }
  g_string_free(got, TRUE);
  persona_vm_free(vm);
  return NULL;
}

/* Runs N_THREADS workers on `model` and checks every transcript. */
static void run_threads(Shared *s, PersonaModel *model) {
  s->model = model;
  Worker workers[N_THREADS];
  GThread *threads[N_THREADS];
  for (guint t = 0; t < N_THREADS; t++) {
    workers[t] = (Worker){.shared = s, .first = t * s->lines->len / N_THREADS, .first_bad = -1};
    threads[t] = g_thread_new("persona-test", worker_main, &workers[t]);
  }
  for (guint t = 0; t < N_THREADS; t++) g_thread_join(threads[t]);
  for (guint t = 0; t < N_THREADS; t++) {
    Worker *w = &workers[t];
    g_assert_cmpuint(w->evaluated, ==, s->lines->len);
    if (w->mismatches) /* show the first difference */
      g_assert_cmpstr(w->got, ==, g_ptr_array_index(s->expected, w->first_bad));
    g_assert_cmpuint(w->mismatches, ==, 0);
    g_free(w->got);
  }
}

/* ---- fixtures ---------------------------------------------------------------- */

static GPtrArray *read_profiles(void) {
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_file_get_contents(PERSONA_SOURCE_DIR "/examples/profiles.jsonl", &text, NULL, &error);
  g_assert_no_error(error);
  GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
  char **split = g_strsplit(text, "\n", -1);
  for (char **p = split; *p; p++)
    if (**p) g_ptr_array_add(lines, g_strdup(*p));
  g_strfreev(split);
  return lines;
}

static PersonaModel *compile_example(void) {
  g_autoptr(GError) error = NULL;
  PersonaModel *m =
      persona_compile_file(PERSONA_SOURCE_DIR "/examples/b2b_journeys.persona", NULL, NULL, &error);
  g_assert_no_error(error);
  g_assert_nonnull(m);
  return m;
}

/* The expected transcripts, computed on the calling thread alone. */
static GPtrArray *single_threaded(const Shared *s, PersonaModel *model) {
  GPtrArray *expected = g_ptr_array_new_with_free_func(g_free);
  PersonaVM *vm = persona_vm_new(model);
  for (guint i = 0; i < s->lines->len; i++) {
    GString *out = g_string_new(NULL);
    transcript(vm, s, g_ptr_array_index(s->lines, i), out);
    g_ptr_array_add(expected, g_string_free(out, FALSE));
  }
  persona_vm_free(vm);
  return expected;
}

/* The profiles, the compiled model and the single-threaded transcripts,
 * made once for both tests (the baseline is the slow part under TSan). */
static Shared the_fixture;
static PersonaModel *the_model;

static Shared *fixture(PersonaModel **compiled) {
  if (!the_fixture.lines) {
    g_assert_true(persona_time_parse(NOW1, &the_fixture.now1));
    g_assert_true(persona_time_parse(NOW2, &the_fixture.now2));
    the_fixture.lines = read_profiles();
    g_assert_cmpuint(the_fixture.lines->len, ==, 3000);
    the_model = compile_example();
    the_fixture.expected = single_threaded(&the_fixture, the_model);
  }
  *compiled = the_model;
  return &the_fixture;
}

static void fixture_free(void) {
  if (!the_fixture.lines) return;
  persona_model_unref(the_model);
  g_ptr_array_unref(the_fixture.lines);
  g_ptr_array_unref(the_fixture.expected);
}

/* ---- tests ---------------------------------------------------------------------- */

/* The baseline says something (every profile got a result, and journeys
 * produced actions), so equal transcripts mean equal work. */
static void test_baseline(void) {
  PersonaModel *model = NULL;
  Shared *s = fixture(&model);
  guint errors = 0, with_actions = 0;
  for (guint i = 0; i < s->expected->len; i++) {
    const char *t = g_ptr_array_index(s->expected, i);
    if (strstr(t, "\"error\":") || strstr(t, "error=")) errors++;
    if (strstr(t, " action=")) with_actions++;
  }
  g_assert_cmpuint(errors, ==, 0);
  g_assert_cmpuint(with_actions, >, 1000);
}

static void test_compiled_model(void) {
  PersonaModel *model = NULL;
  Shared *s = fixture(&model);
  run_threads(s, model);
}

/* The same on a model loaded from bytecode, against the compiled model's
 * single-threaded results: loading must give the same model. */
static void test_bytecode_model(void) {
  PersonaModel *compiled = NULL;
  Shared *s = fixture(&compiled);
  g_autoptr(GError) error = NULL;
  GBytes *bytes = persona_model_to_bytecode(compiled, &error);
  g_assert_no_error(error);
  gsize len = 0;
  const guint8 *data = g_bytes_get_data(bytes, &len);
  PersonaModel *loaded = persona_model_from_bytecode(data, len, &error);
  g_assert_no_error(error);
  g_bytes_unref(bytes);
  run_threads(s, loaded);
  persona_model_unref(loaded);
}

/* Compiling is thread-safe too: models compiled at the same time on
 * several threads (each its own) all list the same bytecode. */
static gpointer compile_main(gpointer data) {
  PersonaModel *m = compile_example();
  char *listing = persona_model_disasm(m);
  persona_model_unref(m);
  return listing;
}

static void test_compile_concurrently(void) {
  PersonaModel *m = compile_example();
  g_autofree char *want = persona_model_disasm(m);
  persona_model_unref(m);
  GThread *threads[4];
  for (guint t = 0; t < G_N_ELEMENTS(threads); t++)
    threads[t] = g_thread_new("persona-compile", compile_main, NULL);
  for (guint t = 0; t < G_N_ELEMENTS(threads); t++) {
    g_autofree char *got = g_thread_join(threads[t]);
    g_assert_cmpstr(got, ==, want);
  }
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/api/threads/baseline", test_baseline);
  g_test_add_func("/api/threads/shared-compiled-model", test_compiled_model);
  g_test_add_func("/api/threads/shared-bytecode-model", test_bytecode_model);
  g_test_add_func("/api/threads/compile-concurrently", test_compile_concurrently);
  int rc = g_test_run();
  fixture_free();
  return rc;
}
