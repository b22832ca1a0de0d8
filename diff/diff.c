/* diff.c - `persona diff`: both models over the same profiles in one pass,
 * and the comparison (diff.h, docs/diff.md). */
#include "diff/diff.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff/decls.h"
#include "diff/explain.h"
#include "diff/report.h"
#include "diff/stats.h"

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

/* The model again with `trace`, for persona_vm_explain: only when some
 * profile is to be explained (the pass does not need it). */
static PersonaModel *compile_traced(const char *spec, const char *source, const PersonaCompileOptions *copts) {
  PersonaCompileOptions traced = *copts;
  traced.trace = TRUE;
  return persona_compile_source(compile_name(spec), source, strlen(source), &traced, NULL, NULL);
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

/* The index of each of lifecycle `i`'s stages in model m among `stages`
 * (caller frees). */
static guint *stage_map(PersonaModel *m, guint i, GPtrArray *stages) {
  guint n = persona_model_item_n_parts(m, PERSONA_ITEM_LIFECYCLE, i);
  guint *map = g_new0(guint, n + 1);
  for (guint k = 0; k < n; k++)
    g_ptr_array_find_with_equal_func(stages, persona_model_item_part(m, PERSONA_ITEM_LIFECYCLE, i, k), g_str_equal,
                                     &map[k]);
  return map;
}

/* The constants model m compares score i with, those not listed yet. */
static void add_thresholds(GArray *list, PersonaModel *m, guint i) {
  for (guint k = 0; k < persona_model_score_n_thresholds(m, i); k++) {
    PdThreshold t = {0};
    persona_model_score_threshold(m, i, k, &t.op, &t.value);
    gboolean seen = FALSE;
    for (guint j = 0; j < list->len && !seen; j++) {
      const PdThreshold *o = &g_array_index(list, PdThreshold, j);
      seen = strcmp(o->op, t.op) == 0 && o->value == t.value;
    }
    if (!seen) g_array_append_val(list, t);
  }
}

/* Whether `x OP value` holds. */
static gboolean threshold_holds(const PdThreshold *t, double x) {
  if (t->op[0] == '<') return t->op[1] == '=' ? x <= t->value : x < t->value;
  return t->op[1] == '=' ? x >= t->value : x > t->value;
}

/* Segments (`segment NAME when …`) are compared like tags: a name is one
 * or the other, never both. Finds `name` among model m's tags, then its
 * segments: its kind and index. */
static gboolean find_tag_like(PersonaModel *m, const char *name, PersonaItemKind *kind, guint *index) {
  const PersonaItemKind kinds[] = {PERSONA_ITEM_TAG, PERSONA_ITEM_SEGMENT};
  for (guint k = 0; k < G_N_ELEMENTS(kinds); k++)
    if (model_has(m, kinds[k], name, index)) {
      *kind = kinds[k];
      return TRUE;
    }
  return FALSE;
}

/* Tags, then segments, of either model (old order, then the new model's
 * others); scores, journeys and lifecycles of both. Each with its index in
 * each model, so that a profile is compared without comparing names. */
static void plan(PersonaModel *a, PersonaModel *b, PdReport *r) {
  const PersonaItemKind kinds[] = {PERSONA_ITEM_TAG, PERSONA_ITEM_SEGMENT};
  for (guint k = 0; k < G_N_ELEMENTS(kinds); k++)
    for (guint i = 0; i < persona_model_n_items(a, kinds[k]); i++) {
      const char *name = persona_model_item_name(a, kinds[k], i);
      PdTagDiff t = {.name = g_strdup(name), .in_old = TRUE, .old_kind = kinds[k], .old_index = i};
      t.in_new = find_tag_like(b, name, &t.new_kind, &t.new_index);
      g_array_append_val(r->tags, t);
    }
  for (guint k = 0; k < G_N_ELEMENTS(kinds); k++)
    for (guint i = 0; i < persona_model_n_items(b, kinds[k]); i++) {
      const char *name = persona_model_item_name(b, kinds[k], i);
      PersonaItemKind kind;
      guint j;
      if (find_tag_like(a, name, &kind, &j)) continue;
      PdTagDiff t = {.name = g_strdup(name), .in_new = TRUE, .new_kind = kinds[k], .new_index = i};
      g_array_append_val(r->tags, t);
    }
  for (guint i = 0; i < persona_model_n_items(a, PERSONA_ITEM_SCORE); i++) {
    const char *name = persona_model_item_name(a, PERSONA_ITEM_SCORE, i);
    PdScoreDiff s = {.old_index = i};
    if (!model_has(b, PERSONA_ITEM_SCORE, name, &s.new_index)) continue;
    s.name = g_strdup(name);
    s.thresholds = g_array_new(FALSE, FALSE, sizeof(PdThreshold));
    add_thresholds(s.thresholds, a, i);
    add_thresholds(s.thresholds, b, s.new_index);
    g_array_append_val(r->scores, s);
  }
  for (guint i = 0; i < persona_model_n_items(a, PERSONA_ITEM_JOURNEY); i++) {
    const char *name = persona_model_item_name(a, PERSONA_ITEM_JOURNEY, i);
    PdJourneyDiff j = {.old_index = i};
    if (!model_has(b, PERSONA_ITEM_JOURNEY, name, &j.new_index)) continue;
    j.name = g_strdup(name);
    g_array_append_val(r->journeys, j);
  }
  for (guint i = 0; i < persona_model_n_items(a, PERSONA_ITEM_LIFECYCLE); i++) {
    const char *name = persona_model_item_name(a, PERSONA_ITEM_LIFECYCLE, i);
    guint j = 0;
    if (!model_has(b, PERSONA_ITEM_LIFECYCLE, name, &j)) continue;
    PdLifecycleDiff l = {g_strdup(name), g_ptr_array_new_with_free_func(g_free), NULL, 0, i, j, NULL, NULL};
    for (guint k = 0; k < persona_model_item_n_parts(a, PERSONA_ITEM_LIFECYCLE, i); k++)
      g_ptr_array_add(l.stages, g_strdup(persona_model_item_part(a, PERSONA_ITEM_LIFECYCLE, i, k)));
    for (guint k = 0; k < persona_model_item_n_parts(b, PERSONA_ITEM_LIFECYCLE, j); k++) {
      const char *st = persona_model_item_part(b, PERSONA_ITEM_LIFECYCLE, j, k);
      if (!g_ptr_array_find_with_equal_func(l.stages, st, g_str_equal, NULL)) g_ptr_array_add(l.stages, g_strdup(st));
    }
    l.old_stage = stage_map(a, i, l.stages);
    l.new_stage = stage_map(b, j, l.stages);
    l.matrix = g_new0(guint64, (gsize)l.stages->len * l.stages->len);
    g_array_append_val(r->lifecycles, l);
  }
}

/* ---- one profile ---------------------------------------------------------------- */

static gboolean holds(const PersonaResult *res, PersonaItemKind kind, guint i) {
  return kind == PERSONA_ITEM_SEGMENT ? persona_result_segment_holds(res, i) : persona_result_tag_holds(res, i);
}

static gboolean old_tag(const PdTagDiff *t, const PersonaResult *ra) {
  return t->in_old && holds(ra, t->old_kind, t->old_index);
}

static gboolean new_tag(const PdTagDiff *t, const PersonaResult *rb) {
  return t->in_new && holds(rb, t->new_kind, t->new_index);
}

/* A lifecycle's stage in each result as an index into l->stages (every
 * successful result has a stage in every lifecycle). */
static guint old_stage(const PdLifecycleDiff *l, const PersonaResult *ra) {
  return l->old_stage[persona_result_stage_index(ra, l->old_index)];
}

static guint new_stage(const PdLifecycleDiff *l, const PersonaResult *rb) {
  return l->new_stage[persona_result_stage_index(rb, l->new_index)];
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
    gboolean a = old_tag(t, ra), b = new_tag(t, rb);
    if (a != b) g_string_append_printf(s, "%stag %s %s", s->len ? "; " : "", t->name, b ? "gained" : "lost");
  }
  for (guint i = 0; i < r->lifecycles->len; i++) {
    const PdLifecycleDiff *l = &g_array_index(r->lifecycles, PdLifecycleDiff, i);
    guint a = old_stage(l, ra), b = new_stage(l, rb);
    if (a != b)
      g_string_append_printf(s, "%s%s: %s → %s", s->len ? "; " : "", l->name, (const char *)l->stages->pdata[a],
                             (const char *)l->stages->pdata[b]);
  }
  for (guint i = 0; i < r->scores->len; i++) {
    const PdScoreDiff *sd = &g_array_index(r->scores, PdScoreDiff, i);
    double a = persona_result_score_value(ra, sd->old_index), b = persona_result_score_value(rb, sd->new_index);
    if (a != b) g_string_append_printf(s, "%s%s %+.4g", s->len ? "; " : "", sd->name, b - a);
  }
  return g_string_free(s, FALSE);
}

/* Whether the profile is in journey i (entered, now or before) and has
 * exited it. */
static void journey_status(const PersonaResult *res, guint i, gboolean *in, gboolean *exited) {
  PersonaJourneyPosition pos = {0};
  gboolean ok = persona_result_journey(res, i, &pos);
  *in = ok && strcmp(pos.status, "idle") != 0;
  *exited = ok && strcmp(pos.status, "exited") == 0;
}

static void compare_journey(PdJourneyDiff *j, const PersonaResult *ra, const PersonaResult *rb) {
  gboolean in_a, in_b, out_a, out_b;
  journey_status(ra, j->old_index, &in_a, &out_a);
  journey_status(rb, j->new_index, &in_b, &out_b);
  j->in_old += in_a;
  j->in_new += in_b;
  j->enter_only_new += in_b && !in_a;
  j->enter_only_old += in_a && !in_b;
  j->exit_only_new += out_b && !out_a;
  j->exit_only_old += out_a && !out_b;
}

typedef struct {
  const PdOptions *o;
  PdReport *r;
  GArray *deltas; /* double new − old: a row of r->scores->len per profile (one append per profile) */
  const char *line; /* the profile being compared, kept for a most changed one */
  gsize line_len;
} Pass;

static void compare_profile(Pass *p, const PersonaResult *ra, const PersonaResult *rb, guint64 line_no) {
  PdReport *r = p->r;
  PdProfileChange c = {.line = line_no};
  for (guint i = 0; i < r->tags->len; i++) {
    PdTagDiff *t = &g_array_index(r->tags, PdTagDiff, i);
    gboolean a = old_tag(t, ra), b = new_tag(t, rb);
    t->held_old += a;
    t->held_new += b;
    t->gained += b && !a;
    t->lost += a && !b;
    c.changes += a != b;
  }
  gboolean stage_changed = FALSE;
  for (guint i = 0; i < r->lifecycles->len; i++) {
    PdLifecycleDiff *l = &g_array_index(r->lifecycles, PdLifecycleDiff, i);
    guint a = old_stage(l, ra), b = new_stage(l, rb);
    l->matrix[a * l->stages->len + b]++;
    if (a != b) {
      l->changed++;
      c.changes++;
      stage_changed = TRUE;
    }
  }
  r->stage_changed += stage_changed;
  for (guint i = 0; i < r->journeys->len; i++) compare_journey(&g_array_index(r->journeys, PdJourneyDiff, i), ra, rb);
  gsize row = p->deltas->len;
  g_array_set_size(p->deltas, row + r->scores->len);
  for (guint i = 0; i < r->scores->len; i++) {
    PdScoreDiff *s = &g_array_index(r->scores, PdScoreDiff, i);
    double a = persona_result_score_value(ra, s->old_index), b = persona_result_score_value(rb, s->new_index);
    double d = b - a;
    g_array_index(p->deltas, double, row + i) = d;
    for (guint k = 0; a != b && k < s->thresholds->len; k++) {
      PdThreshold *t = &g_array_index(s->thresholds, PdThreshold, k);
      gboolean ha = threshold_holds(t, a), hb = threshold_holds(t, b);
      t->up += hb && !ha;
      t->down += ha && !hb;
    }
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
  c.record = g_strndup(p->line, p->line_len);
  c.record_len = p->line_len;
  g_array_insert_val(r->top, pos, c);
  if (r->top->len > p->o->top) {
    pd_profile_change_clear(&g_array_index(r->top, PdProfileChange, r->top->len - 1));
    g_array_set_size(r->top, r->top->len - 1);
  }
}

/* ---- the pass ------------------------------------------------------------------- */

/* Names the first record skipped (a later one is only counted): the
 * error code and the model that rejected it, or (which NULL) a line too
 * long to read. */
static void note_skipped(Pass *p, guint64 line_no, const char *code, const char *which) {
  if (p->r->skipped++ > 0) return;
  g_autofree char *why = which ? g_strdup_printf("%s in the %s model", code ? code : "error", which)
                               : persona_line_too_long_message(PERSONA_MAX_LINE_DEFAULT);
  g_printerr("persona: line %" G_GUINT64_FORMAT " skipped (%s); later skipped lines are only counted\n", line_no,
             why);
}

static gboolean evaluate_all(Pass *p, PersonaModel *a, PersonaModel *b, PersonaStateStore *store) {
  const PdOptions *o = p->o;
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaLineReader) in = persona_line_reader_open(o->profiles_path, &error);
  if (!in) {
    g_printerr("persona: %s\n", error->message);
    return FALSE;
  }
  g_autoptr(PersonaVM) vm_a = persona_vm_new(a);
  g_autoptr(PersonaVM) vm_b = persona_vm_new(b);
  /* Nothing here reads an `output { }` record: not running it saves about
   * a tenth of each model's work on the benchmark model. */
  persona_vm_set_result_options(vm_a, PERSONA_RESULT_NO_OUTPUT);
  persona_vm_set_result_options(vm_b, PERSONA_RESULT_NO_OUTPUT);
  g_autoptr(GString) key = g_string_new(NULL);
  g_autoptr(PersonaRecord) rec = persona_record_new(NULL, 0);
  const char *line;
  gsize len;
  while (persona_line_reader_next(in, &line, &len, &error)) {
    guint64 line_no = persona_line_reader_line_no(in);
    if (persona_line_reader_too_long(in, NULL)) {
      note_skipped(p, line_no, "too_large", NULL);
      continue;
    }
    while (len > 0 && line[len - 1] == '\r') len--;
    if (len == 0) continue;
    persona_record_set(rec, line, len);
    const char *state = NULL;
    g_string_truncate(key, 0);
    if (store && persona_vm_profile_key(vm_a, line, len, key)) state = persona_state_store_get(store, key->str);
    gsize state_len = state ? strlen(state) : 0;
    const PersonaResult *ra = NULL, *rb = NULL;
    PersonaEvalStatus st = persona_vm_eval_record(vm_a, rec, state, state_len, o->now_us, &ra);
    if (st == PERSONA_EVAL_OK) st = persona_vm_eval_record(vm_b, rec, state, state_len, o->now_us, &rb);
    if (st != PERSONA_EVAL_OK) {
      const PersonaResult *bad = rb ? rb : ra;
      note_skipped(p, line_no, bad ? persona_result_error_code(bad) : NULL, rb ? "new" : "old");
      continue;
    }
    p->r->n++;
    p->line = line;
    p->line_len = len;
    compare_profile(p, ra, rb, line_no);
  }
  if (error) g_printerr("persona: %s\n", error->message);
  return error == NULL;
}

/* ---- statistics of the score changes -------------------------------------------------- */

static void score_stats(PdScoreDiff *s, GArray *deltas) {
  gsize n = deltas->len;
  double *v = (double *)(void *)deltas->data;
  if (n == 0) {
    s->mean = s->p10 = s->p50 = s->p90 = s->min = s->max = NAN;
    return;
  }
  double sum = 0, min = v[0], max = v[0];
  for (gsize k = 0; k < n; k++) {
    sum += v[k];
    min = fmin(min, v[k]);
    max = fmax(max, v[k]);
  }
  s->mean = sum / (double)n;
  s->min = min;
  s->max = max;
  /* The histogram before the quantiles reorder v (the order does not
   * matter to it). */
  s->n_bins = max > min ? PD_HIST_BINS : 1;
  for (gsize k = 0; k < n; k++) {
    guint bin = max > min ? (guint)floor((v[k] - min) / (max - min) * PD_HIST_BINS) : 0;
    s->hist[MIN(bin, s->n_bins - 1)]++;
  }
  s->p10 = pd_quantile(v, n, 0.1);
  s->p50 = pd_quantile(v, n, 0.5);
  s->p90 = pd_quantile(v, n, 0.9);
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
      .journeys = g_array_new(FALSE, FALSE, sizeof(PdJourneyDiff)),
      .top = g_array_new(FALSE, FALSE, sizeof(PdProfileChange)),
      .gate_lines = g_ptr_array_new_with_free_func(g_free),
  };
  diff_decls(old_src, new_src, &r);
  plan(a, b, &r);
  Pass p = {o, &r, g_array_new(FALSE, FALSE, sizeof(double))};
  gboolean ok = evaluate_all(&p, a, b, store);
  guint n_scores = r.scores->len;
  g_autoptr(GArray) column = g_array_sized_new(FALSE, FALSE, sizeof(double), n_scores ? p.deltas->len / n_scores : 0);
  for (guint i = 0; i < n_scores; i++) {
    g_array_set_size(column, p.deltas->len / n_scores);
    for (gsize k = 0; k < column->len; k++)
      g_array_index(column, double, k) = g_array_index(p.deltas, double, k * n_scores + i);
    score_stats(&g_array_index(r.scores, PdScoreDiff, i), column);
  }
  g_array_unref(p.deltas);
  int status = 1;
  if (ok && r.top->len) {
    g_autoptr(PersonaModel) ta = compile_traced(o->old_spec, old_src, o->compile);
    g_autoptr(PersonaModel) tb = compile_traced(o->new_spec, new_src, o->compile);
    PdExplainInput in = {ta, tb, old_src, new_src, store, o->now_us};
    if (ta && tb) pd_explain_top(&r, &in);
  }
  if (ok) {
    gates(o, &r);
    if (o->format == PD_FORMAT_JSON) pd_report_json(&r, out);
    else if (o->format == PD_FORMAT_MD) pd_report_md(&r, out);
    else if (o->format == PD_FORMAT_HTML) pd_report_html(&r, out);
    else pd_report_text(&r, out);
    status = r.gate_failed ? 1 : 0;
  }
  pd_report_clear(&r);
  return status;
}
