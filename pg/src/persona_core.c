/* persona_core.c - the libpersona side of the PostgreSQL extension: compile
 * in memory, the per-process model cache, evaluation into a reusable
 * buffer. See persona_core.h; no PostgreSQL header is included here. */
#include "persona_core.h"

#include <string.h>

#include <glib.h>

#include "persona.h"


/* The name a source compiled by persona.compile has in diagnostics and
 * in runtime error places: "source:3:14: error: …". */
#define PGC_SOURCE_NAME "source"

/* How many models one backend keeps loaded. A query uses one or two;
 * pg_jsonschema keeps 128 schemas, but a model holds a VM with its arena,
 * so fewer. */
#define PGC_CACHE_SIZE 16

struct PgcModel {
  int refs;                 /* the cache's and the call sites' */
  guint8 hash[32];          /* SHA-256 of the bytecode */
  gsize len;                /* bytecode length */
  guint64 last_used;        /* LRU clock */
  PersonaModel *model;
  PersonaVM *vm;
  const PersonaResult *result; /* of the last evaluation, or NULL */
  GString *json;            /* the last result as JSON (pgc_result_json) */
};

static PgcModel *cache[PGC_CACHE_SIZE];
static guint64 cache_clock;
static PgcStats stats;
static bool (*interrupt_check)(void);

void pgc_free(void *p) { g_free(p); }

/* ---- the interrupt hook --------------------------------------------------------- */

typedef struct {
  gboolean fired;
} InterruptFlag;

/* One flag for the process: one evaluation at a time. */
static InterruptFlag interrupt_flag;

static gboolean vm_interrupt(gpointer data) {
  InterruptFlag *flag = data;
  if (!interrupt_check || !interrupt_check()) return FALSE;
  flag->fired = TRUE;
  return TRUE;
}

void pgc_set_interrupt_check(bool (*check)(void)) { interrupt_check = check; }

/* ---- compiling ----------------------------------------------------------------- */

/* The first line of a rendered diagnostic text, as a new string. */
static char *first_line(const char *text) {
  const char *nl = strchr(text, '\n');
  return nl ? g_strndup(text, (gsize)(nl - text)) : g_strdup(text);
}

/* What follows the first line (the source line, the caret, more
 * diagnostics), without the final newline; NULL when nothing does. */
static char *after_first_line(const char *text) {
  const char *nl = strchr(text, '\n');
  if (!nl || !nl[1]) return NULL;
  char *s = g_strdup(nl + 1);
  g_strchomp(s);
  return s;
}

static char *chomp_dup(const char *text) {
  char *s = g_strdup(text);
  gsize n = strlen(s);
  while (n > 0 && s[n - 1] == '\n') s[--n] = '\0';
  return s;
}

bool pgc_compile(const char *text, size_t len, char **out, size_t *out_len, char **warnings,
                 char **message, char **detail, bool *interrupted) {
  *out = NULL;
  *out_len = 0;
  *warnings = *message = *detail = NULL;
  *interrupted = false;
  interrupt_flag.fired = FALSE;
  g_autoptr(PersonaDiagnostics) diags = NULL;
  g_autoptr(GError) error = NULL;
  /* No include dirs, no $PERSONA_PATH, no native code, and no import at
   * all: the compiler would look for the file relative to the backend's
   * working directory (the data directory) or at an absolute path, and
   * quote its lines in diagnostics. */
  PersonaCompileOptions opts = {
      .imports_refused = "import is not available in persona.compile (the database server's files are not "
                         "readable from SQL)",
      .imports_refused_hint = "put the imported declarations into this source, or compile outside the "
                              "database with `persona compile` and pass the bytecode",
      .interrupt = vm_interrupt,
      .interrupt_data = &interrupt_flag,
  };
  g_autoptr(PersonaModel) model = persona_compile_source(PGC_SOURCE_NAME, text, len, &opts, &diags, &error);
  if (!model && g_error_matches(error, PERSONA_ERROR, PERSONA_ERROR_INTERRUPTED)) {
    stats.interrupts++;
    *interrupted = true;
    return false;
  }
  g_autofree char *report = diags ? persona_diagnostics_to_text(diags, FALSE) : NULL;
  if (!model) {
    if (report && report[0]) {
      *message = first_line(report);
      *detail = after_first_line(report);
    } else {
      *message = g_strdup(error ? error->message : "the model does not compile");
    }
    return false;
  }
  if (report && report[0]) *warnings = chomp_dup(report);

  g_autoptr(GBytes) bytes = persona_model_to_bytecode(model, &error);
  if (!bytes) {
    *message = g_strdup(error->message);
    return false;
  }
  /* Read back what was written: the bytes handed to SQL verify. */
  gsize n = 0;
  const guint8 *data = g_bytes_get_data(bytes, &n);
  g_autoptr(PersonaModel) check = persona_model_from_bytecode(data, n, &error);
  if (!check) {
    *message = g_strdup_printf("the compiled bytecode does not verify: %s", error->message);
    return false;
  }
  *out = g_memdup2(data, n);
  *out_len = n;
  return true;
}

/* ---- the per-process model cache ------------------------------------------------ */

static void model_free(PgcModel *m) {
  persona_vm_free(m->vm);
  persona_model_unref(m->model);
  g_string_free(m->json, TRUE);
  g_free(m);
}

void pgc_model_unref(PgcModel *m) {
  if (m && --m->refs == 0) model_free(m);
}

static PgcModel *cache_find(const guint8 *hash, gsize len) {
  for (guint i = 0; i < PGC_CACHE_SIZE; i++)
    if (cache[i] && cache[i]->len == len && memcmp(cache[i]->hash, hash, sizeof cache[i]->hash) == 0)
      return cache[i];
  return NULL;
}

/* Puts `m` in a free slot, or in place of the least recently used model
 * (whose memory goes when the last call site using it lets go). */
static void cache_insert(PgcModel *m) {
  guint victim = 0;
  for (guint i = 0; i < PGC_CACHE_SIZE; i++) {
    if (!cache[i]) {
      victim = i;
      break;
    }
    if (cache[i]->last_used < cache[victim]->last_used) victim = i;
  }
  if (cache[victim]) {
    stats.evictions++;
    pgc_model_unref(cache[victim]);
  }
  cache[victim] = m;
  m->refs++;
}

PgcModel *pgc_model_get(const void *bytecode, size_t len, char **message) {
  *message = NULL;
  guint8 hash[32];
  gsize hash_len = sizeof hash;
  GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
  g_checksum_update(ck, bytecode, (gssize)len);
  g_checksum_get_digest(ck, hash, &hash_len);
  g_checksum_free(ck);

  PgcModel *m = cache_find(hash, len);
  if (m) {
    stats.cache_hits++;
  } else {
    g_autoptr(GError) error = NULL;
    PersonaModel *model = persona_model_from_bytecode(bytecode, len, &error);
    if (!model) {
      *message = g_strdup(error->message);
      return NULL;
    }
    stats.loads++;
    m = g_new0(PgcModel, 1);
    memcpy(m->hash, hash, sizeof hash);
    m->len = len;
    m->model = model;
    m->vm = persona_vm_new(model);
    m->json = g_string_sized_new(1024);
    persona_vm_set_interrupt(m->vm, vm_interrupt, &interrupt_flag);
    cache_insert(m);
  }
  m->last_used = ++cache_clock;
  m->refs++;
  return m;
}

/* ---- evaluating ------------------------------------------------------------------- */

PgcEvalStatus pgc_eval(PgcModel *m, const char *json, size_t len, const char *state, size_t state_len,
                       int64_t now_us) {
  interrupt_flag.fired = FALSE;
  m->last_used = ++cache_clock;
  stats.evaluations++;
  PersonaEvalStatus rc = persona_vm_eval(m->vm, json, len, state, state ? state_len : 0, now_us, &m->result);
  if (rc == PERSONA_EVAL_OK) return PGC_EVAL_OK;
  if (interrupt_flag.fired) {
    stats.interrupts++;
    m->result = NULL;
    return PGC_EVAL_INTERRUPTED;
  }
  return PGC_EVAL_RECORD_ERROR;
}

/* ---- profiles as trees --------------------------------------------------------------- */

/* persona_vm_eval_tree's reader over the caller's PgcTreeReader: the same
 * calls in GLib's types. */
typedef struct {
  const PgcTreeReader *r;
  void *ctx;
} TreeCall;

static PersonaNodeKind tree_kind(gpointer c, gconstpointer node) {
  TreeCall *t = c;
  return (PersonaNodeKind)t->r->kind(t->ctx, node);
}
static gboolean tree_boolean(gpointer c, gconstpointer node) {
  TreeCall *t = c;
  return t->r->boolean(t->ctx, node);
}
static const char *tree_text(gpointer c, gconstpointer node, gsize *len) {
  TreeCall *t = c;
  size_t n = 0;
  const char *s = t->r->text(t->ctx, node, &n);
  *len = n;
  return s;
}
static guint tree_length(gpointer c, gconstpointer node) {
  TreeCall *t = c;
  return t->r->length(t->ctx, node);
}
static gconstpointer tree_element(gpointer c, gconstpointer node, guint i) {
  TreeCall *t = c;
  return t->r->element(t->ctx, node, i);
}
static gconstpointer tree_member(gpointer c, gconstpointer node, const char *key, gsize len) {
  TreeCall *t = c;
  return t->r->member(t->ctx, node, key, len);
}
static gboolean tree_deeper_than(gpointer c, gconstpointer node, guint levels) {
  TreeCall *t = c;
  return t->r->deeper_than(t->ctx, node, levels);
}

typedef struct {
  PersonaTreeVisit visit;
  gpointer walk;
} VisitCall;

static bool tree_visit(void *c, const char *key, size_t len, const void *value) {
  VisitCall *v = c;
  return v->visit(v->walk, key, len, value) != FALSE;
}
static gboolean tree_members(gpointer c, gconstpointer node, PersonaTreeVisit visit, gpointer walk) {
  TreeCall *t = c;
  VisitCall v = {visit, walk};
  return t->r->members(t->ctx, node, tree_visit, &v);
}

static const PersonaTreeReader tree_reader = {tree_kind,    tree_boolean, tree_text,       tree_length,
                                              tree_element, tree_member,  tree_deeper_than};

PgcEvalStatus pgc_eval_tree(PgcModel *m, const PgcTreeReader *reader, void *ctx, const void *root,
                            const char *state, size_t state_len, int64_t now_us) {
  TreeCall call = {reader, ctx};
  interrupt_flag.fired = FALSE;
  m->last_used = ++cache_clock;
  PersonaEvalStatus rc =
      reader->members
          ? persona_vm_eval_tree_walk(m->vm, &tree_reader, tree_members, &call, root, state,
                                      state ? state_len : 0, now_us, &m->result)
          : persona_vm_eval_tree(m->vm, &tree_reader, &call, root, state, state ? state_len : 0, now_us,
                                 &m->result);
  if (rc == PERSONA_EVAL_DECLINED) {
    m->result = NULL;
    return PGC_EVAL_DECLINED;
  }
  stats.evaluations++;
  if (rc == PERSONA_EVAL_OK) return PGC_EVAL_OK;
  if (interrupt_flag.fired) {
    stats.interrupts++;
    m->result = NULL;
    return PGC_EVAL_INTERRUPTED;
  }
  return PGC_EVAL_RECORD_ERROR;
}

/* A JSON string, or null. */
static void append_json_string(GString *out, const char *s) {
  if (s) persona_json_append_string(out, s, -1);
  else g_string_append(out, "null");
}

/* Read once per evaluation (as jsonb or as text): built on each call. */
const char *pgc_result_json(PgcModel *m, size_t *len) {
  g_string_truncate(m->json, 0);
  const char *error = m->result ? persona_result_error(m->result) : "not evaluated";
  if (!error) {
    persona_result_to_json(m->result, m->json);
  } else {
    /* The CLI's error object without "line": a row has no line number.
     * "code" and "field" as everywhere (docs/language.md, Error objects). */
    g_string_append(m->json, "{\"id\":");
    if (m->result) persona_result_id_json(m->result, m->json);
    else g_string_append(m->json, "null");
    g_string_append(m->json, ",\"error\":");
    append_json_string(m->json, error);
    const char *code = m->result ? persona_result_error_code(m->result) : NULL;
    const char *field = m->result ? persona_result_error_field(m->result) : NULL;
    g_string_append(m->json, ",\"code\":");
    append_json_string(m->json, code ? code : "runtime");
    if (field) {
      g_string_append(m->json, ",\"field\":");
      append_json_string(m->json, field);
    }
    g_string_append_c(m->json, '}');
  }
  *len = m->json->len;
  return m->json->str;
}

const char *pgc_result_error(PgcModel *m) {
  return m->result ? persona_result_error(m->result) : "not evaluated";
}

unsigned pgc_result_n_tags(PgcModel *m) { return m->result ? persona_result_n_tags(m->result) : 0; }

const char *pgc_result_tag(PgcModel *m, unsigned i) { return persona_result_tag(m->result, i); }

bool pgc_result_score(PgcModel *m, const char *name, double *value) {
  return m->result && persona_result_score(m->result, name, value);
}

char *pgc_model_score_names(PgcModel *m) {
  GString *names = g_string_new(NULL);
  guint n = m->result ? persona_result_n_scores(m->result) : 0;
  for (guint i = 0; i < n; i++)
    g_string_append_printf(names, "%s%s", i ? ", " : "", persona_result_score_name(m->result, i));
  return g_string_free(names, FALSE);
}

char *pgc_model_info_json(PgcModel *m) {
  GString *out = g_string_new("{\"name\":");
  append_json_string(out, persona_model_name(m->model));
  g_string_append(out, ",\"version\":");
  append_json_string(out, persona_model_version(m->model));
  g_string_append(out, ",\"source_sha256\":");
  g_autofree char *hash = persona_model_source_hash(m->model);
  append_json_string(out, hash);
  g_string_append_printf(out, ",\"bytes\":%zu}", m->len);
  return g_string_free(out, FALSE);
}

void pgc_stats(PgcStats *out) {
  *out = stats;
  out->cached = 0;
  for (guint i = 0; i < PGC_CACHE_SIZE; i++) out->cached += cache[i] != NULL;
}
