/* run_unify_hooks.c - `persona run` with a unifying model: the unify
 * component (unify/) handed to the runner (runner/) as its joining hooks.
 * The two components stay apart (each uses only the public API); the CLI,
 * which may use both, wires them here.
 *
 * Ownership: a PcliRunUnify holds a unifier of the model (for source
 * names) until pcli_run_unify_free; each join makes and frees its own.
 */
#include "cli.h"

#include <string.h>

#include "runner/runner.h"
#include "unify/unify.h"

struct PcliRunUnify {
  PrunUnifyHooks hooks;
  PersonaModel *model;
  PuUnifier *names; /* for source_of and source_names only */
  char *source_names;
};

typedef struct {
  GArray **by_input;     /* per input given to the unifier: record indexes, by line - 1 */
  PrunProfileFunc profile;
  PrunProblemFunc problem;
  gpointer sink;
  GArray *records;       /* guint: scratch */
} Join;

static int hook_source_of(gpointer user, const char *name) {
  struct PcliRunUnify *ru = user;
  return pu_source_index(ru->names, name);
}

static const char *hook_source_names(gpointer user) { return ((struct PcliRunUnify *)user)->source_names; }

static void on_problem(gpointer user, guint input, guint line, const char *message) {
  Join *j = user;
  j->problem(j->sink, g_array_index(j->by_input[input], guint, line - 1), message);
}

static void on_profile(gpointer user, const char *id, const char *json, gsize len, const guint32 *places, guint n) {
  Join *j = user;
  g_array_set_size(j->records, 0);
  for (guint i = 0; i < n; i++) {
    guint rec = g_array_index(j->by_input[places[2 * i]], guint, places[2 * i + 1] - 1);
    g_array_append_val(j->records, rec);
  }
  j->profile(j->sink, id, json, len, (const guint *)j->records->data, n);
}

/* Each source's records become one input of the unifier, one line each,
 * in the order given: line k of input s is the k-th record of source s. */
static gboolean hook_resolve(gpointer user, guint n, const int *sources, const char *const *texts, const gsize *lens,
                             PrunProfileFunc profile, PrunProblemFunc problem, gpointer sink, GError **error) {
  struct PcliRunUnify *ru = user;
  PuUnifier *u = pu_new(ru->model, error);
  if (!u) return FALSE;
  g_autofree const char **names = pu_source_list(u);
  guint n_sources = g_strv_length((char **)names);
  GString **text = g_new0(GString *, n_sources + 1);
  GArray **index = g_new0(GArray *, n_sources + 1);
  for (guint s = 0; s < n_sources; s++) {
    text[s] = g_string_new(NULL);
    index[s] = g_array_new(FALSE, FALSE, sizeof(guint));
  }
  for (guint i = 0; i < n; i++) {
    g_string_append_len(text[sources[i]], texts[i], (gssize)lens[i]);
    g_string_append_c(text[sources[i]], '\n');
    g_array_append_val(index[sources[i]], i);
  }
  Join j = {.by_input = g_new0(GArray *, n_sources + 1), .profile = profile, .problem = problem, .sink = sink,
            .records = g_array_new(FALSE, FALSE, sizeof(guint))};
  pu_set_problem_func(u, on_problem, &j);
  guint inputs = 0;
  for (guint s = 0; s < n_sources; s++) {
    if (index[s]->len == 0) {
      g_string_free(text[s], TRUE);
      continue;
    }
    j.by_input[inputs++] = index[s];
    gsize len = text[s]->len;
    pu_add_data(u, s, names[s], g_string_free(text[s], FALSE), len);
  }
  pu_resolve(u);
  pu_foreach_profile(u, on_profile, &j);
  pu_free(u);
  for (guint s = 0; s < n_sources; s++) g_array_unref(index[s]);
  g_free(index);
  g_free(text);
  g_free(j.by_input);
  g_array_unref(j.records);
  return TRUE;
}

void pcli_warn_unkeyed_ids(void) {
  pcli_error("warning: no pseudonym key (PERSONA_PSEUDONYM_KEY or PERSONA_PSEUDONYM_KEY_FILE): profile ids are "
             "unkeyed hashes that anyone can recompute from an identifier (docs/unify.md, \"Profile ids\")");
}

PcliRunUnify *pcli_run_unify_new(PersonaModel *model, GError **error) {
  PuUnifier *names = pu_new(model, error);
  if (!names) return NULL;
  if (!pu_ids_keyed(names)) pcli_warn_unkeyed_ids();
  struct PcliRunUnify *ru = g_new0(struct PcliRunUnify, 1);
  ru->model = persona_model_ref(model);
  ru->names = names;
  ru->source_names = pu_source_names(names);
  ru->hooks = (PrunUnifyHooks){.user = ru, .source_of = hook_source_of, .source_names = hook_source_names,
                               .resolve = hook_resolve};
  return ru;
}

const PrunUnifyHooks *pcli_run_unify_hooks(PcliRunUnify *ru) { return &ru->hooks; }

void pcli_run_unify_free(PcliRunUnify *ru) {
  if (!ru) return;
  pu_free(ru->names);
  g_free(ru->source_names);
  persona_model_unref(ru->model);
  g_free(ru);
}
