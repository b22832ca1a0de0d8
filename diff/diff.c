/* diff.c - `persona diff`: both models over the same profiles in one pass,
 * and the comparison (diff.h, docs/diff.md). */
#include "diff/diff.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff/decls.h"
#include "diff/report.h"

/* ---- reading and compiling the two models ------------------------------------ */

/* REV:PATH when no file `spec` exists and it has a ':' that is not the
 * first character. */
static gboolean is_git_spec(const char *spec) {
  const char *colon = strchr(spec, ':');
  return colon && colon != spec && !g_file_test(spec, G_FILE_TEST_EXISTS);
}

char *pd_read_model_source(const char *spec, gsize *len, GError **error) {
  char *text = NULL;
  if (!is_git_spec(spec)) {
    if (!g_file_test(spec, G_FILE_TEST_EXISTS)) {
      g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_IO, "cannot open '%s': %s", spec, g_strerror(ENOENT));
      return NULL;
    }
    if (!g_file_get_contents(spec, &text, len, error)) return NULL;
    return text;
  }
  const char *argv[] = {"git", "show", spec, NULL};
  g_autofree char *err_text = NULL;
  gint status = 0;
  if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &text, &err_text, &status,
                    error))
    return NULL;
  if (!g_spawn_check_wait_status(status, NULL)) {
    g_free(text);
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_IO, "cannot read '%s' with git show: %s", spec,
                err_text && *err_text ? g_strchomp(err_text) : "git failed");
    return NULL;
  }
  *len = strlen(text);
  return text;
}

/* The name a model is compiled under: the path of REV:PATH (imports are
 * then found beside the file in the working tree), else the file. */
static const char *compile_name(const char *spec) {
  return is_git_spec(spec) ? strchr(spec, ':') + 1 : spec;
}

static PersonaModel *load_model(const char *spec, const PersonaCompileOptions *copts, char **source) {
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  *source = pd_read_model_source(spec, &len, &error);
  if (!*source) {
    g_printerr("persona: %s\n", error->message);
    return NULL;
  }
  if (persona_is_bytecode((const guint8 *)*source, len)) {
    g_printerr("persona: diff compares model sources: '%s' is bytecode, give the .persona file\n", spec);
    return NULL;
  }
  PersonaDiagnostics *diags = NULL;
  PersonaModel *m = persona_compile_source(compile_name(spec), *source, len, copts, &diags, &error);
  if (!m) {
    g_printerr("persona: %s does not compile:\n", spec);
    g_autofree char *msg = diags ? persona_diagnostics_to_text(diags, FALSE) : NULL;
    g_printerr("%s", msg ? msg : error ? error->message : "");
  }
  if (diags) persona_diagnostics_free(diags);
  return m;
}

/* ---- declarations ---------------------------------------------------------- */

static void add_decl_change(PdReport *r, const char *key, const char *old_text, const char *new_text) {
  PdDeclChange c = {g_strdup(key), g_strdup(old_text), g_strdup(new_text)};
  g_array_append_val(r->decls, c);
}

/* Removed, then added, then changed, each in source order. */
static void diff_decls(const char *old_src, const char *new_src, PdReport *r) {
  PdDecls *a = pd_decls_split(old_src), *b = pd_decls_split(new_src);
  for (guint i = 0; i < a->items->len; i++) {
    const PdDecl *x = &g_array_index(a->items, PdDecl, i);
    if (!pd_decls_find(b, x->key)) add_decl_change(r, x->key, x->text, NULL);
  }
  for (guint i = 0; i < b->items->len; i++) {
    const PdDecl *y = &g_array_index(b->items, PdDecl, i);
    if (!pd_decls_find(a, y->key)) add_decl_change(r, y->key, NULL, y->text);
  }
  for (guint i = 0; i < b->items->len; i++) {
    const PdDecl *y = &g_array_index(b->items, PdDecl, i);
    const PdDecl *x = pd_decls_find(a, y->key);
    if (x && strcmp(x->text, y->text) != 0) add_decl_change(r, y->key, x->text, y->text);
  }
  pd_decls_free(a);
  pd_decls_free(b);
}

/* ---- what is compared --------------------------------------------------------- */

static gboolean model_has(PersonaModel *m, PersonaItemKind kind, const char *name, guint *index) {
  guint n = persona_model_n_items(m, kind);
  for (guint i = 0; i < n; i++)
    if (strcmp(persona_model_item_name(m, kind, i), name) == 0) {
      if (index) *index = i;
      return TRUE;
    }
  return FALSE;
}

/* Segments (`segment NAME when …`) are compared like tags: a name is one
 * or the other, never both. */
static gboolean has_tag_like(PersonaModel *m, const char *name) {
  return model_has(m, PERSONA_ITEM_TAG, name, NULL) || model_has(m, PERSONA_ITEM_SEGMENT, name, NULL);
}

static gboolean holds_tag_like(const PersonaResult *r, const char *name) {
  return persona_result_has_tag(r, name) || persona_result_has_segment(r, name);
}

/* Tags, then segments, of either model (old order, then the new model's
 * others); scores and lifecycles of both. */
static void plan(PersonaModel *a, PersonaModel *b, PdReport *r) {
  const PersonaItemKind kinds[] = {PERSONA_ITEM_TAG, PERSONA_ITEM_SEGMENT};
  for (guint k = 0; k < G_N_ELEMENTS(kinds); k++)
    for (guint i = 0; i < persona_model_n_items(a, kinds[k]); i++) {
      const char *name = persona_model_item_name(a, kinds[k], i);
      PdTagDiff t = {g_strdup(name), TRUE, has_tag_like(b, name), 0, 0, 0, 0};
      g_array_append_val(r->tags, t);
    }
  for (guint k = 0; k < G_N_ELEMENTS(kinds); k++)
    for (guint i = 0; i < persona_model_n_items(b, kinds[k]); i++) {
      const char *name = persona_model_item_name(b, kinds[k], i);
      if (has_tag_like(a, name)) continue;
      PdTagDiff t = {g_strdup(name), FALSE, TRUE, 0, 0, 0, 0};
      g_array_append_val(r->tags, t);
    }
  for (guint i = 0; i < persona_model_n_items(a, PERSONA_ITEM_SCORE); i++) {
    const char *name = persona_model_item_name(a, PERSONA_ITEM_SCORE, i);
    if (!model_has(b, PERSONA_ITEM_SCORE, name, NULL)) continue;
    PdScoreDiff s = {.name = g_strdup(name)};
    g_array_append_val(r->scores, s);
  }
  for (guint i = 0; i < persona_model_n_items(a, PERSONA_ITEM_LIFECYCLE); i++) {
    const char *name = persona_model_item_name(a, PERSONA_ITEM_LIFECYCLE, i);
    guint j = 0;
    if (!model_has(b, PERSONA_ITEM_LIFECYCLE, name, &j)) continue;
    PdLifecycleDiff l = {g_strdup(name), g_ptr_array_new_with_free_func(g_free), NULL, 0};
    for (guint k = 0; k < persona_model_item_n_parts(a, PERSONA_ITEM_LIFECYCLE, i); k++)
      g_ptr_array_add(l.stages, g_strdup(persona_model_item_part(a, PERSONA_ITEM_LIFECYCLE, i, k)));
    for (guint k = 0; k < persona_model_item_n_parts(b, PERSONA_ITEM_LIFECYCLE, j); k++) {
      const char *st = persona_model_item_part(b, PERSONA_ITEM_LIFECYCLE, j, k);
      if (!g_ptr_array_find_with_equal_func(l.stages, st, g_str_equal, NULL)) g_ptr_array_add(l.stages, g_strdup(st));
    }
    l.matrix = g_new0(guint64, (gsize)l.stages->len * l.stages->len);
    g_array_append_val(r->lifecycles, l);
  }
}

/* ---- one profile ---------------------------------------------------------------- */

static const char *result_stage(const PersonaResult *res, const char *lifecycle) {
  for (guint j = 0; j < persona_result_n_stages(res); j++)
    if (strcmp(persona_result_stage_lifecycle(res, j), lifecycle) == 0) return persona_result_stage(res, j);
  return NULL;
}

static guint stage_index(const PdLifecycleDiff *l, const char *stage) {
  guint k = 0;
  if (stage && g_ptr_array_find_with_equal_func(l->stages, stage, g_str_equal, &k)) return k;
  return 0; /* a stage outside the declared ones cannot occur: results only name declared stages */
}

/* The most changed profiles, a short sorted array (r->top, at most `top`). */
static gboolean more_changed(const PdProfileChange *x, const PdProfileChange *y) {
  if (x->changes != y->changes) return x->changes > y->changes;
  /* Sums of decayed scores differ in the last bits with the order of
   * additions: closer than 1e-9 (relative) is a tie, broken by line. */
  double scale = fmax(1, fmax(fabs(x->score_moved), fabs(y->score_moved)));
  if (fabs(x->score_moved - y->score_moved) > 1e-9 * scale) return x->score_moved > y->score_moved;
  return x->line < y->line;
}

static guint top_position(const PdReport *r, guint top, const PdProfileChange *c) {
  guint pos = r->top->len;
  while (pos > 0 && more_changed(c, &g_array_index(r->top, PdProfileChange, pos - 1))) pos--;
  return pos < top ? pos : G_MAXUINT;
}

/* What changed for one profile, for the most-changed list. */
static char *describe(const PdReport *r, const PersonaResult *ra, const PersonaResult *rb) {
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < r->tags->len; i++) {
    const PdTagDiff *t = &g_array_index(r->tags, PdTagDiff, i);
    gboolean a = t->in_old && holds_tag_like(ra, t->name);
    gboolean b = t->in_new && holds_tag_like(rb, t->name);
    if (a != b) g_string_append_printf(s, "%stag %s %s", s->len ? "; " : "", t->name, b ? "gained" : "lost");
  }
  for (guint i = 0; i < r->lifecycles->len; i++) {
    const PdLifecycleDiff *l = &g_array_index(r->lifecycles, PdLifecycleDiff, i);
    const char *a = result_stage(ra, l->name), *b = result_stage(rb, l->name);
    if (g_strcmp0(a, b) != 0)
      g_string_append_printf(s, "%s%s: %s → %s", s->len ? "; " : "", l->name, a ? a : "–", b ? b : "–");
  }
  for (guint i = 0; i < r->scores->len; i++) {
    const char *name = g_array_index(r->scores, PdScoreDiff, i).name;
    double a = NAN, b = NAN;
    persona_result_score(ra, name, &a);
    persona_result_score(rb, name, &b);
    if (a != b) g_string_append_printf(s, "%s%s %+.4g", s->len ? "; " : "", name, b - a);
  }
  return g_string_free(s, FALSE);
}

typedef struct {
  const PdOptions *o;
  PdReport *r;
  GArray **deltas; /* per score: double new − old */
} Pass;

static void compare_profile(Pass *p, const PersonaResult *ra, const PersonaResult *rb, guint64 line_no) {
  PdReport *r = p->r;
  PdProfileChange c = {.line = line_no};
  for (guint i = 0; i < r->tags->len; i++) {
    PdTagDiff *t = &g_array_index(r->tags, PdTagDiff, i);
    gboolean a = t->in_old && holds_tag_like(ra, t->name);
    gboolean b = t->in_new && holds_tag_like(rb, t->name);
    t->held_old += a;
    t->held_new += b;
    t->gained += b && !a;
    t->lost += a && !b;
    c.changes += a != b;
  }
  gboolean stage_changed = FALSE;
  for (guint i = 0; i < r->lifecycles->len; i++) {
    PdLifecycleDiff *l = &g_array_index(r->lifecycles, PdLifecycleDiff, i);
    const char *a = result_stage(ra, l->name), *b = result_stage(rb, l->name);
    l->matrix[stage_index(l, a) * l->stages->len + stage_index(l, b)]++;
    if (g_strcmp0(a, b) != 0) {
      l->changed++;
      c.changes++;
      stage_changed = TRUE;
    }
  }
  r->stage_changed += stage_changed;
  for (guint i = 0; i < r->scores->len; i++) {
    PdScoreDiff *s = &g_array_index(r->scores, PdScoreDiff, i);
    double a = NAN, b = NAN;
    persona_result_score(ra, s->name, &a);
    persona_result_score(rb, s->name, &b);
    double d = b - a;
    g_array_append_val(p->deltas[i], d);
    if (a != b) {
      s->changed++;
      c.score_moved += fabs(d);
    }
  }
  if (c.changes == 0 && c.score_moved == 0) return;
  guint pos = top_position(r, p->o->top, &c);
  if (pos == G_MAXUINT) return;
  GString *id = g_string_new(NULL);
  persona_result_id_json(rb, id);
  c.id_json = g_string_free(id, FALSE);
  c.what = describe(r, ra, rb);
  g_array_insert_val(r->top, pos, c);
  if (r->top->len > p->o->top) {
    PdProfileChange *last = &g_array_index(r->top, PdProfileChange, r->top->len - 1);
    g_free(last->id_json);
    g_free(last->what);
    g_array_set_size(r->top, r->top->len - 1);
  }
}

/* ---- the pass ------------------------------------------------------------------- */

static gboolean evaluate_all(Pass *p, PersonaModel *a, PersonaModel *b, PersonaStateStore *store) {
  const PdOptions *o = p->o;
  gboolean from_stdin = !o->profiles_path || strcmp(o->profiles_path, "-") == 0;
  FILE *f = from_stdin ? stdin : fopen(o->profiles_path, "r");
  if (!f) {
    g_printerr("persona: cannot open '%s': %s\n", o->profiles_path, g_strerror(errno));
    return FALSE;
  }
  g_autoptr(PersonaVM) vm_a = persona_vm_new(a);
  g_autoptr(PersonaVM) vm_b = persona_vm_new(b);
  g_autoptr(GString) key = g_string_new(NULL);
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  guint64 line_no = 0;
  while ((len = getline(&line, &cap, f)) >= 0) {
    line_no++;
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
    if (len == 0) continue;
    const char *state = NULL;
    g_string_truncate(key, 0);
    if (store && persona_vm_profile_key(vm_a, line, (gsize)len, key)) state = persona_state_store_get(store, key->str);
    gsize state_len = state ? strlen(state) : 0;
    const PersonaResult *ra = NULL, *rb = NULL;
    PersonaEvalStatus st = persona_vm_eval(vm_a, line, (gsize)len, state, state_len, o->now_us, &ra);
    if (st == PERSONA_EVAL_OK) st = persona_vm_eval(vm_b, line, (gsize)len, state, state_len, o->now_us, &rb);
    if (st != PERSONA_EVAL_OK) {
      const PersonaResult *bad = rb ? rb : ra;
      if (p->r->skipped++ == 0)
        g_printerr("persona: line %" G_GUINT64_FORMAT " skipped (%s in the %s model); later skipped lines are "
                   "only counted\n",
                   line_no, bad && persona_result_error_code(bad) ? persona_result_error_code(bad) : "error",
                   rb ? "new" : "old");
      continue;
    }
    p->r->n++;
    compare_profile(p, ra, rb, line_no);
  }
  gboolean read_error = ferror(f);
  free(line);
  if (!from_stdin) fclose(f);
  if (read_error) g_printerr("persona: cannot read '%s'\n", from_stdin ? "standard input" : o->profiles_path);
  return !read_error;
}

/* ---- statistics of the score changes -------------------------------------------------- */

static int cmp_double(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return (a > b) - (a < b);
}

/* The q-quantile of sorted v by linear interpolation between order
 * statistics (h = (n − 1)q; "type 7", numpy's default). */
static double quantile(const double *v, gsize n, double q) {
  double h = (double)(n - 1) * q;
  gsize lo = (gsize)floor(h);
  if (lo + 1 >= n) return v[n - 1];
  return v[lo] + (h - (double)lo) * (v[lo + 1] - v[lo]);
}

static void score_stats(PdScoreDiff *s, GArray *deltas) {
  gsize n = deltas->len;
  double *v = (double *)(void *)deltas->data;
  if (n == 0) {
    s->mean = s->p10 = s->p50 = s->p90 = s->min = s->max = NAN;
    return;
  }
  qsort(v, n, sizeof(double), cmp_double);
  double sum = 0;
  for (gsize k = 0; k < n; k++) sum += v[k];
  s->mean = sum / (double)n;
  s->p10 = quantile(v, n, 0.1);
  s->p50 = quantile(v, n, 0.5);
  s->p90 = quantile(v, n, 0.9);
  s->min = v[0];
  s->max = v[n - 1];
}

/* ---- gates -------------------------------------------------------------------- */

static double share(guint64 k, guint64 n) { return n ? (double)k / (double)n : 0; }

static void gates(const PdOptions *o, PdReport *r) {
  if (o->max_changed >= 0) {
    double x = share(r->stage_changed, r->n);
    gboolean fail = x > o->max_changed;
    g_ptr_array_add(r->gate_lines, g_strdup_printf("gate --max-changed: %.1f %% of profiles change stage, at most "
                                                   "%.4g %%: %s",
                                                   100 * x, 100 * o->max_changed, fail ? "FAILED" : "passed"));
    if (fail)
      g_printerr("persona: gate --max-changed failed: %.1f %% of profiles change stage, above %.4g %%\n", 100 * x,
                 100 * o->max_changed);
    r->gate_failed |= fail;
  }
  for (guint g = 0; g < o->n_tag_gates; g++) {
    const PdTagGate *tg = &o->tag_gates[g];
    const PdTagDiff *t = NULL;
    for (guint i = 0; i < r->tags->len; i++)
      if (strcmp(g_array_index(r->tags, PdTagDiff, i).name, tg->tag) == 0) t = &g_array_index(r->tags, PdTagDiff, i);
    double x = t ? share(t->gained + t->lost, r->n) : 0;
    gboolean fail = !t || x > tg->max_share;
    if (!t) {
      g_printerr("persona: gate --max-changed-tag failed: neither model has a tag '%s'\n", tg->tag);
      g_ptr_array_add(r->gate_lines, g_strdup_printf("gate --max-changed-tag %s: no such tag: FAILED", tg->tag));
    } else {
      g_ptr_array_add(r->gate_lines,
                      g_strdup_printf("gate --max-changed-tag %s: %.1f %% of profiles gain or lose it, at most %.4g "
                                      "%%: %s",
                                      tg->tag, 100 * x, 100 * tg->max_share, fail ? "FAILED" : "passed"));
      if (fail)
        g_printerr("persona: gate --max-changed-tag failed: %.1f %% of profiles gain or lose tag %s, above %.4g "
                   "%%\n",
                   100 * x, tg->tag, 100 * tg->max_share);
    }
    r->gate_failed |= fail;
  }
}

/* ---- the command ------------------------------------------------------------------ */

static char *label(PersonaModel *m) {
  return g_strdup_printf("%s %s", persona_model_name(m), persona_model_version(m));
}

int pd_run(const PdOptions *o, GString *out) {
  g_autofree char *old_src = NULL, *new_src = NULL;
  g_autoptr(PersonaModel) a = load_model(o->old_spec, o->compile, &old_src);
  if (!a) return 1;
  g_autoptr(PersonaModel) b = load_model(o->new_spec, o->compile, &new_src);
  if (!b) return 1;
  g_autoptr(PersonaStateStore) store = NULL;
  if (o->state_path) {
    g_autoptr(GError) error = NULL;
    store = persona_state_store_load(o->state_path, &error);
    if (!store) {
      g_printerr("persona: %s\n", error->message);
      return 1;
    }
  }
  PdReport r = {
      .old_label = label(a),
      .new_label = label(b),
      .old_spec = g_strdup(o->old_spec),
      .new_spec = g_strdup(o->new_spec),
      .decls = g_array_new(FALSE, FALSE, sizeof(PdDeclChange)),
      .tags = g_array_new(FALSE, FALSE, sizeof(PdTagDiff)),
      .lifecycles = g_array_new(FALSE, FALSE, sizeof(PdLifecycleDiff)),
      .scores = g_array_new(FALSE, FALSE, sizeof(PdScoreDiff)),
      .top = g_array_new(FALSE, FALSE, sizeof(PdProfileChange)),
      .gate_lines = g_ptr_array_new_with_free_func(g_free),
  };
  diff_decls(old_src, new_src, &r);
  plan(a, b, &r);
  Pass p = {o, &r, g_new0(GArray *, r.scores->len)};
  for (guint i = 0; i < r.scores->len; i++) p.deltas[i] = g_array_new(FALSE, FALSE, sizeof(double));
  gboolean ok = evaluate_all(&p, a, b, store);
  for (guint i = 0; i < r.scores->len; i++) {
    score_stats(&g_array_index(r.scores, PdScoreDiff, i), p.deltas[i]);
    g_array_unref(p.deltas[i]);
  }
  g_free(p.deltas);
  int status = 1;
  if (ok) {
    gates(o, &r);
    if (o->format == PD_FORMAT_JSON) pd_report_json(&r, out);
    else if (o->format == PD_FORMAT_MD) pd_report_md(&r, out);
    else pd_report_text(&r, out);
    status = r.gate_failed ? 1 : 0;
  }
  pd_report_clear(&r);
  return status;
}
