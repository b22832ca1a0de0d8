/* embed.c - a small service over libpersona: scores profiles from stdin.
 *
 *   embed MODEL [NOW] < profiles.jsonl
 *
 * MODEL is a .persona source or a compiled .pbc file. NOW (an RFC 3339
 * time, a date, or Unix seconds) is the time every profile is evaluated
 * as of; without it, the clock at each profile. Each input line is one
 * profile (JSON); the same profile may come again later in the stream and
 * then continues from the state its last evaluation left (kept in memory,
 * by profile id). One line per profile goes to stdout:
 *
 *   "p1" tags=a,b scores=fit:40.00,total:74.27 stages=funnel:mql
 *     actions=[send email "welcome-1" at 2026-02-01T00:00:00Z
 *              key=(welcome,1,welcome/send:email:welcome-1)]
 *     next_wake=2026-02-04T00:00:00Z next_change=2026-02-01T03:16:05Z
 *
 * (on one line: next_wake when a journey's timer ends, next_change when
 * the result changes by time alone; "-" for never; a service evaluates
 * the profile again at the earlier of the two), or `"p1" error: MESSAGE` for a profile that could not be
 * evaluated. Everything is read through the result accessors of
 * persona.h; nothing here parses JSON.
 *
 * Exit status: 0, 1 when some profile could not be evaluated, 2 when the
 * model cannot be loaded or the arguments are wrong.
 *
 * docs/embedding.md walks through this file.
 */
#define _POSIX_C_SOURCE 200809L /* getline */
#include <persona.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A bound on the work one profile may cost: a model with a runaway rule
 * gives that profile an error instead of stalling the service. */
#define BUDGET 10000000

/* ---- loading the model ---------------------------------------------------------- */

/* Compiles a source file or loads a bytecode file, whichever MODEL is.
 * Diagnostics (errors, and warnings of a model that compiles) go to
 * stderr. */
static PersonaModel *load_model(const char *path) {
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;
  if (!g_file_get_contents(path, &text, &len, &error)) {
    fprintf(stderr, "embed: %s\n", error->message);
    return NULL;
  }
  PersonaModel *model = NULL;
  if (persona_is_bytecode((const guint8 *)text, len)) {
    model = persona_model_from_bytecode((const guint8 *)text, len, &error);
  } else {
    g_autoptr(PersonaDiagnostics) diags = NULL;
    model = persona_compile_source(path, text, len, NULL, &diags, &error);
    if (diags && persona_diagnostics_errors(diags) + persona_diagnostics_warnings(diags) > 0) {
      g_autofree char *report = persona_diagnostics_to_text(diags, FALSE);
      fputs(report, stderr);
    }
  }
  if (!model) fprintf(stderr, "embed: %s: %s\n", path, error->message);
  return model;
}

/* ---- printing a result ------------------------------------------------------------ */

/* A time as RFC 3339 in UTC, with a fraction when it has one (a
 * next_change is often a microsecond after a whole second); the library
 * formats it, so the process's time zone and locale play no part. */
static void append_time(GString *out, gint64 us) {
  char buf[PERSONA_TIME_BUF];
  g_string_append_len(out, buf, (gssize)persona_time_format(us, buf));
}

static void append_tags(GString *out, const PersonaResult *r) {
  g_string_append(out, " tags=");
  for (guint i = 0; i < persona_result_n_tags(r); i++)
    g_string_append_printf(out, "%s%s", i ? "," : "", persona_result_tag(r, i));
}

static void append_scores(GString *out, const PersonaResult *r) {
  g_string_append(out, " scores=");
  for (guint i = 0; i < persona_result_n_scores(r); i++) {
    /* g_ascii_formatd: a '.' whatever the locale of the host process. */
    char num[G_ASCII_DTOSTR_BUF_SIZE];
    g_ascii_formatd(num, sizeof num, "%.2f", persona_result_score_value(r, i));
    g_string_append_printf(out, "%s%s:%s", i ? "," : "", persona_result_score_name(r, i), num);
  }
}

static void append_stages(GString *out, const PersonaResult *r) {
  g_string_append(out, " stages=");
  for (guint i = 0; i < persona_result_n_stages(r); i++)
    g_string_append_printf(out, "%s%s:%s", i ? "," : "", persona_result_stage_lifecycle(r, i),
                           persona_result_stage(r, i));
}

/* Each action as KIND [CHANNEL] "TEXT" at TIME key=(JOURNEY,RUN,STEP),
 * separated by "; ". Journey, run and step together are the action's
 * idempotency key: a service that performs actions records the keys it
 * has performed, so a profile evaluated twice (a retry, a replay) never
 * gets the same email twice. */
static void append_actions(GString *out, const PersonaResult *r) {
  g_string_append(out, " actions=[");
  for (guint i = 0; i < persona_result_n_actions(r); i++) {
    PersonaAction a;
    persona_result_action(r, i, &a);
    g_string_append_printf(out, "%s%s ", i ? "; " : "", a.kind);
    if (a.channel) g_string_append_printf(out, "%s ", a.channel);
    g_string_append_printf(out, "\"%s\" at ", a.text);
    append_time(out, a.at_us);
    g_string_append_printf(out, " key=(%s,%" G_GINT64_FORMAT ",%s)", a.journey, a.run, a.step);
  }
  g_string_append_c(out, ']');
}

/* When to evaluate the profile again: the earlier of the two. */
static void append_next_times(GString *out, const PersonaResult *r) {
  gint64 t;
  g_string_append(out, " next_wake=");
  if (persona_result_next_wake(r, &t)) append_time(out, t);
  else g_string_append(out, "-");
  g_string_append(out, " next_change=");
  if (persona_result_next_change(r, &t)) append_time(out, t);
  else g_string_append(out, "-");
}

/* ---- the service ---------------------------------------------------------------------- */

typedef struct {
  PersonaVM *vm;        /* one VM: this service evaluates on one thread */
  GHashTable *states;   /* profile id (JSON text) -> state (JSON text), both owned */
  gboolean use_clock;
  gint64 now_us;
  guint profiles, errors;
} Service;

/* Evaluates one profile with the state it had, prints its line, and keeps
 * the new state. A profile that fails keeps its old state. */
static void serve_line(Service *svc, const char *line, gsize len, GString *out) {
  g_autoptr(GString) id = g_string_new(NULL);
  const char *state = NULL;
  if (persona_vm_profile_key(svc->vm, line, len, id))
    state = g_hash_table_lookup(svc->states, id->str);

  gint64 now = svc->use_clock ? persona_time_now() : svc->now_us;
  const PersonaResult *r = NULL;
  PersonaEvalStatus rc = persona_vm_eval(svc->vm, line, len, state, state ? strlen(state) : 0, now, &r);
  svc->profiles++;

  g_string_truncate(out, 0);
  persona_result_id_json(r, out);
  if (rc != PERSONA_EVAL_OK) {
    svc->errors++;
    g_string_append_printf(out, " error: %s\n", persona_result_error(r));
    return;
  }
  append_tags(out, r);
  append_scores(out, r);
  append_stages(out, r);
  append_actions(out, r);
  append_next_times(out, r);
  g_string_append_c(out, '\n');

  /* The result and its strings belong to the VM until its next
   * evaluation: copy what outlives it. */
  GString *new_state = g_string_new(NULL);
  persona_result_state_json(r, new_state);
  g_hash_table_replace(svc->states, g_string_free(g_steal_pointer(&id), FALSE),
                       g_string_free(new_state, FALSE));
}

static int serve(Service *svc, FILE *in) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  g_autoptr(GString) out = g_string_new(NULL);
  while ((n = getline(&line, &cap, in)) >= 0) {
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
    if (n == 0) continue;
    serve_line(svc, line, (gsize)n, out);
    fwrite(out->str, 1, out->len, stdout);
  }
  free(line);
  fflush(stdout);
  return svc->errors ? 1 : 0;
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: embed MODEL [NOW] < profiles.jsonl\n");
    return 2;
  }
  Service svc = {.use_clock = argc < 3};
  if (argc == 3 && !persona_time_parse(argv[2], &svc.now_us)) {
    fprintf(stderr, "embed: '%s' is not a time (RFC 3339, a date, or Unix seconds)\n", argv[2]);
    return 2;
  }
  g_autoptr(PersonaModel) model = load_model(argv[1]);
  if (!model) return 2;

  svc.vm = persona_vm_new(model); /* takes its own reference to the model */
  persona_vm_set_budget(svc.vm, BUDGET);
  svc.states = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

  int status = serve(&svc, stdin);
  fprintf(stderr, "embed: %u profiles, %u errors, %u states kept\n", svc.profiles, svc.errors,
          g_hash_table_size(svc.states));

  g_hash_table_destroy(svc.states);
  persona_vm_free(svc.vm);
  return status;
}
