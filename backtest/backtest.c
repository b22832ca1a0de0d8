/* backtest.c - `persona backtest`: evaluates every profile as of each
 * origin, the outcome as of origin + horizon, and computes the report
 * (backtest.h, docs/backtest.md). */
#include "backtest/backtest.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "backtest/report.h"
#include "backtest/stats.h"
#include "backtest/weights.h"

/* The hidden tag the outcome expression becomes. Starts with "__" so no
 * model's own tag can be called the same (docs/backtest.md). */
#define OUTCOME_TAG "__backtest_outcome"

/* What one origin's evaluation keeps of each profile. */
typedef struct {
  gint64 as_of_us;
  gsize skipped;
  GArray *outcome;  /* guint8 */
  GArray **scores;  /* n_scores × double */
  GArray **tags;    /* n_tags × guint8 */
  GArray **stages;  /* n_lifecycles × guint16: index of the stage, G_MAXUINT16 for none */
  GArray **points;  /* n_rules × double: each score rule's points (after its cap) */
  GArray **fired;   /* n_rules × guint8 */
  GArray *holdout;  /* guint8: the profile is in the held-out part (hash of its key) */
} Sample;

/* The names a backtest reads from the model, in declaration order. */
typedef struct {
  guint n_scores, n_tags, n_lifecycles;
  const char **scores, **tags, **lifecycles;
  guint *rule_first;        /* n_scores + 1: score i's rules are rule_first[i] … rule_first[i + 1] − 1 */
  PersonaScoreRule *rules;  /* all scores' rules, flat */
  guint n_rules;
} ModelItems;

static void model_items(PersonaModel *m, ModelItems *it) {
  it->n_scores = persona_model_n_items(m, PERSONA_ITEM_SCORE);
  /* Segments are judged like tags, after them. */
  guint n_plain_tags = persona_model_n_items(m, PERSONA_ITEM_TAG);
  it->n_tags = n_plain_tags + persona_model_n_items(m, PERSONA_ITEM_SEGMENT);
  it->n_lifecycles = persona_model_n_items(m, PERSONA_ITEM_LIFECYCLE);
  it->scores = g_new0(const char *, it->n_scores + 1);
  it->tags = g_new0(const char *, it->n_tags + 1);
  it->lifecycles = g_new0(const char *, it->n_lifecycles + 1);
  for (guint i = 0; i < it->n_scores; i++) it->scores[i] = persona_model_item_name(m, PERSONA_ITEM_SCORE, i);
  for (guint i = 0; i < it->n_tags; i++)
    it->tags[i] = i < n_plain_tags ? persona_model_item_name(m, PERSONA_ITEM_TAG, i)
                                   : persona_model_item_name(m, PERSONA_ITEM_SEGMENT, i - n_plain_tags);
  for (guint i = 0; i < it->n_lifecycles; i++)
    it->lifecycles[i] = persona_model_item_name(m, PERSONA_ITEM_LIFECYCLE, i);
  it->rule_first = g_new0(guint, it->n_scores + 1);
  for (guint i = 0; i < it->n_scores; i++)
    it->rule_first[i + 1] = it->rule_first[i] + persona_model_score_n_rules(m, i);
  it->n_rules = it->rule_first[it->n_scores];
  it->rules = g_new0(PersonaScoreRule, it->n_rules + 1);
  for (guint i = 0; i < it->n_scores; i++)
    for (guint j = it->rule_first[i]; j < it->rule_first[i + 1]; j++)
      persona_model_score_rule(m, i, j - it->rule_first[i], &it->rules[j]);
}

static void model_items_clear(ModelItems *it) {
  g_free(it->scores);
  g_free(it->tags);
  g_free(it->lifecycles);
  g_free(it->rule_first);
  g_free(it->rules);
}

static Sample *sample_new(const ModelItems *it, gint64 as_of_us) {
  Sample *s = g_new0(Sample, 1);
  s->as_of_us = as_of_us;
  s->outcome = g_array_new(FALSE, FALSE, sizeof(guint8));
  s->scores = g_new0(GArray *, it->n_scores);
  s->tags = g_new0(GArray *, it->n_tags);
  s->stages = g_new0(GArray *, it->n_lifecycles);
  for (guint i = 0; i < it->n_scores; i++) s->scores[i] = g_array_new(FALSE, FALSE, sizeof(double));
  for (guint i = 0; i < it->n_tags; i++) s->tags[i] = g_array_new(FALSE, FALSE, sizeof(guint8));
  for (guint i = 0; i < it->n_lifecycles; i++) s->stages[i] = g_array_new(FALSE, FALSE, sizeof(guint16));
  s->points = g_new0(GArray *, it->n_rules + 1);
  s->fired = g_new0(GArray *, it->n_rules + 1);
  for (guint j = 0; j < it->n_rules; j++) {
    s->points[j] = g_array_new(FALSE, FALSE, sizeof(double));
    s->fired[j] = g_array_new(FALSE, FALSE, sizeof(guint8));
  }
  s->holdout = g_array_new(FALSE, FALSE, sizeof(guint8));
  return s;
}

static void sample_free(Sample *s, const ModelItems *it) {
  if (!s) return;
  g_array_unref(s->outcome);
  for (guint i = 0; i < it->n_scores; i++) g_array_unref(s->scores[i]);
  for (guint i = 0; i < it->n_tags; i++) g_array_unref(s->tags[i]);
  for (guint i = 0; i < it->n_lifecycles; i++) g_array_unref(s->stages[i]);
  for (guint j = 0; j < it->n_rules; j++) {
    g_array_unref(s->points[j]);
    g_array_unref(s->fired[j]);
  }
  g_free(s->points);
  g_free(s->fired);
  g_array_unref(s->holdout);
  g_free(s->scores);
  g_free(s->tags);
  g_free(s->stages);
  g_free(s);
}

/* ---- times ------------------------------------------------------------------ */

gboolean bt_parse_duration(const char *text, gint64 *out_us) {
  if (!text || !g_ascii_isdigit(text[0])) return FALSE;
  char *end = NULL;
  errno = 0;
  guint64 n = g_ascii_strtoull(text, &end, 10);
  if (errno || end == text || end[0] == '\0' || end[1] != '\0' || n == 0) return FALSE;
  gint64 unit;
  switch (end[0]) {
  case 's': unit = G_TIME_SPAN_SECOND; break;
  case 'm': unit = G_TIME_SPAN_MINUTE; break;
  case 'h': unit = G_TIME_SPAN_HOUR; break;
  case 'd': unit = G_TIME_SPAN_DAY; break;
  case 'w': unit = 7 * G_TIME_SPAN_DAY; break;
  default: return FALSE;
  }
  if (n > (guint64)(G_MAXINT64 / unit)) return FALSE;
  *out_us = (gint64)n * unit;
  return TRUE;
}

/* RFC 3339 in UTC: 2026-01-01T00:00:00Z (with microseconds when any). */
static char *format_time(gint64 us) {
  gint64 sec = us / G_USEC_PER_SEC, frac = us % G_USEC_PER_SEC;
  if (frac < 0) {
    sec--;
    frac += G_USEC_PER_SEC;
  }
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(sec);
  if (!t) return g_strdup_printf("%" G_GINT64_FORMAT, sec);
  g_autofree char *base = g_date_time_format(t, "%Y-%m-%dT%H:%M:%S");
  return frac ? g_strdup_printf("%s.%06" G_GINT64_FORMAT "Z", base, frac) : g_strdup_printf("%sZ", base);
}

/* ---- the outcome model -------------------------------------------------- */

/* --outcome FIELD on snapshot data: a model that reads FIELD scores with
 * the answer. A word match outside `#` comments (a string literal that
 * holds the word also matches: a warning, not an error); field
 * declarations are skipped. */
static void warn_outcome_leak(const char *source, const char *outcome) {
  if (!g_regex_match_simple("^[A-Za-z_][A-Za-z0-9_]*$", outcome, 0, 0)) return;
  g_autofree char *pattern = g_strdup_printf("\\b%s\\b", outcome);
  g_auto(GStrv) lines = g_strsplit(source, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    char *hash = strchr(lines[i], '#');
    if (hash) *hash = '\0';
    /* The field's own declaration in the schema (`churned: bool`) is no use of it. */
    if (g_regex_match_simple("^\\s*[A-Za-z_][A-Za-z0-9_]*\\s*:", lines[i], 0, 0)) continue;
    if (g_regex_match_simple(pattern, lines[i], 0, 0)) {
      g_printerr("persona: warning: the model itself reads '%s' (line %u), the --outcome: its scores may "
                 "already know the answer (a leak, docs/backtest.md)\n",
                 outcome, i + 1);
      return;
    }
  }
}

/* Declarations the outcome model can do without when the outcome does not
 * name them: evaluating them at T + D is most of its cost. */
static gboolean droppable(const char *line) {
  static const char *const kinds[] = {"tag", "score", "lifecycle", "journey", "output", "test", "identity",
                                      "source"};
  for (gsize i = 0; i < G_N_ELEMENTS(kinds); i++) {
    gsize n = strlen(kinds[i]);
    if (strncmp(line, kinds[i], n) == 0 && (line[n] == ' ' || line[n] == '{' || line[n] == '\0')) return TRUE;
  }
  return FALSE;
}

/* The model's text in the canonical layout (persona fmt) without its tags,
 * scores, lifecycles, journeys, output, tests and identity blocks: the
 * schema, records, constants, lets and functions the outcome may read.
 * In that layout a declaration starts at column 0 with its keyword and
 * every line after it is indented, a closing brace or a comment. NULL when
 * the text does not format. */
static char *slim_source(const char *name, const char *text, gsize len) {
  gsize out_len = 0;
  g_autofree char *formatted = persona_format_source(name, text, len, &out_len, NULL);
  if (!formatted) return NULL;
  g_auto(GStrv) lines = g_strsplit(formatted, "\n", -1);
  GString *out = g_string_new(NULL);
  gboolean keep = TRUE;
  for (guint i = 0; lines[i]; i++) {
    if (g_ascii_isalpha(lines[i][0])) keep = !droppable(lines[i]);
    if (keep) g_string_append_printf(out, "%s\n", lines[i]);
  }
  return g_string_free(out, FALSE);
}

static PersonaModel *compile_with_outcome(const BtOptions *o, const char *source, const char *cutoff,
                                          PersonaDiagnostics **diags, GError **error) {
  g_autofree char *full = g_strdup_printf("%s\n# persona backtest --outcome\nconst cutoff = date(\"%s\")\n"
                                          "tag " OUTCOME_TAG " when (%s)\n",
                                          source, cutoff, o->outcome);
  PersonaCompileOptions plain = *o->compile;
  plain.score_rules = FALSE; /* the outcome needs no rule record */
  return persona_compile_source(o->model_path, full, strlen(full), &plain, diags, error);
}

/* The model's source with `const cutoff = date(T)` and the outcome as a
 * hidden tag appended: the outcome may use everything the model declares.
 * First without the declarations it may not need (slim_source): when the
 * outcome reads only fields, lets and constants that model is much faster
 * to evaluate; when it names a tag or score (or a let does), that does not
 * compile and the whole model is used. NULL after printing why. */
static PersonaModel *compile_outcome(const BtOptions *o, gint64 cutoff_us) {
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;
  if (!g_file_get_contents(o->model_path, &text, &len, &error)) {
    g_printerr("persona: %s\n", error->message);
    return NULL;
  }
  if (persona_is_bytecode((const guint8 *)text, len)) {
    g_printerr("persona: backtest compiles --outcome into the model, so MODEL must be a .persona source "
               "file, not bytecode\n");
    return NULL;
  }
  if (cutoff_us == o->as_of_us[0]) warn_outcome_leak(text, o->outcome);
  g_autofree char *cutoff = format_time(cutoff_us);
  g_autofree char *slim = slim_source(o->model_path, text, len);
  if (slim) {
    PersonaModel *m = compile_with_outcome(o, slim, cutoff, NULL, NULL);
    if (m) return m;
  }
  PersonaDiagnostics *diags = NULL;
  PersonaModel *m = compile_with_outcome(o, text, cutoff, &diags, &error);
  if (!m) {
    g_printerr("persona: the outcome '%s' does not compile with the model (it is appended to %s as "
               "`tag " OUTCOME_TAG " when (EXPR)`, with `const cutoff`):\n",
               o->outcome, o->model_path);
    if (diags) {
      g_autofree char *msg = persona_diagnostics_to_text(diags, FALSE);
      g_printerr("%s", msg);
    } else if (error) {
      g_printerr("%s\n", error->message);
    }
  }
  if (diags) persona_diagnostics_free(diags);
  return m;
}

/* ---- collecting one origin ------------------------------------------------ */

static guint16 stage_index(PersonaModel *m, guint lifecycle, const char *stage) {
  guint n = persona_model_item_n_parts(m, PERSONA_ITEM_LIFECYCLE, lifecycle);
  for (guint k = 0; k < n && k < G_MAXUINT16; k++)
    if (g_strcmp0(persona_model_item_part(m, PERSONA_ITEM_LIFECYCLE, lifecycle, k), stage) == 0)
      return (guint16)k;
  return G_MAXUINT16;
}

/* FNV-1a, 64 bits: the fixed hash of a profile's key that puts it in the
 * held-out part (docs/backtest.md). */
static guint64 fnv1a(const char *text, gsize len) {
  guint64 h = 14695981039346656037ull;
  for (gsize i = 0; i < len; i++) {
    h ^= (guchar)text[i];
    h *= 1099511628211ull;
  }
  return h;
}

static void keep_rules(const ModelItems *it, Sample *s, const PersonaResult *r, GString *key) {
  for (guint i = 0; i < it->n_scores; i++)
    for (guint j = it->rule_first[i]; j < it->rule_first[i + 1]; j++) {
      double points = 0;
      guint8 fired = persona_result_rule(r, i, j - it->rule_first[i], &points) ? 1 : 0;
      g_array_append_val(s->points[j], points);
      g_array_append_val(s->fired[j], fired);
    }
  g_string_truncate(key, 0);
  persona_result_id_json(r, key);
  guint8 held_out = fnv1a(key->str, key->len) % 10 < BT_HOLDOUT_TENTHS;
  g_array_append_val(s->holdout, held_out);
}

static void keep_result(const BtOptions *o, const ModelItems *it, Sample *s, const PersonaResult *r,
                        gboolean outcome, GString *key) {
  guint8 y = outcome ? 1 : 0;
  g_array_append_val(s->outcome, y);
  keep_rules(it, s, r, key);
  for (guint i = 0; i < it->n_scores; i++) {
    double v = NAN;
    persona_result_score(r, it->scores[i], &v);
    g_array_append_val(s->scores[i], v);
  }
  for (guint i = 0; i < it->n_tags; i++) {
    guint8 held = persona_result_has_tag(r, it->tags[i]) || persona_result_has_segment(r, it->tags[i]) ? 1 : 0;
    g_array_append_val(s->tags[i], held);
  }
  for (guint i = 0; i < it->n_lifecycles; i++) {
    guint16 k = G_MAXUINT16;
    for (guint j = 0; j < persona_result_n_stages(r); j++)
      if (g_strcmp0(persona_result_stage_lifecycle(r, j), it->lifecycles[i]) == 0)
        k = stage_index(o->model, i, persona_result_stage(r, j));
    g_array_append_val(s->stages[i], k);
  }
}

/* Evaluates every record as of the origin and the outcome as of origin +
 * horizon. A record either evaluation rejects is skipped and counted (the
 * first one's line and error code are printed). NULL after printing why. */
static Sample *collect(const BtOptions *o, const ModelItems *it, gint64 as_of_us) {
  g_autoptr(PersonaModel) outcome_model = compile_outcome(o, as_of_us);
  if (!outcome_model) return NULL;
  g_autoptr(GError) error = NULL;
  /* The library's reader (1 MiB blocks, the 64 MiB line limit): getline on
   * stdio read 4 KiB per system call. */
  PersonaLineReader *lines = persona_line_reader_open(o->profiles_path, &error);
  if (!lines) {
    g_printerr("persona: %s\n", error->message);
    return NULL;
  }
  g_autoptr(PersonaVM) vm = persona_vm_new(o->model);
  g_autoptr(PersonaVM) vm_outcome = persona_vm_new(outcome_model);
  persona_vm_record_rules(vm, it->n_rules > 0);
  g_autoptr(GString) key = g_string_new(NULL);
  Sample *s = sample_new(it, as_of_us);
  const char *line;
  gsize len;
  while (persona_line_reader_next(lines, &line, &len, &error)) {
    guint64 line_no = persona_line_reader_line_no(lines);
    if (persona_line_reader_too_long(lines, NULL)) {
      if (s->skipped++ == 0)
        g_printerr("persona: line %" G_GUINT64_FORMAT " skipped (too_large); later skipped lines are only counted\n",
                   line_no);
      continue;
    }
    while (len > 0 && line[len - 1] == '\r') len--;
    if (len == 0) continue;
    const PersonaResult *later = NULL, *r = NULL;
    /* The outcome first: the model's result must stay valid while kept. */
    PersonaEvalStatus st = persona_vm_eval(vm_outcome, line, len, NULL, 0, as_of_us + o->horizon_us, &later);
    gboolean outcome = st == PERSONA_EVAL_OK && persona_result_has_tag(later, OUTCOME_TAG);
    if (st == PERSONA_EVAL_OK) st = persona_vm_eval(vm, line, len, NULL, 0, as_of_us, &r);
    if (st != PERSONA_EVAL_OK) {
      const PersonaResult *bad = r ? r : later;
      if (s->skipped++ == 0)
        g_printerr("persona: line %" G_GUINT64_FORMAT " skipped (%s); later skipped lines are only counted\n",
                   line_no, bad && persona_result_error_code(bad) ? persona_result_error_code(bad) : "error");
      continue;
    }
    keep_result(o, it, s, r, outcome, key);
  }
  persona_line_reader_free(lines);
  if (error) {
    g_printerr("persona: %s\n", error->message);
    sample_free(s, it);
    return NULL;
  }
  return s;
}

/* ---- statistics ------------------------------------------------------------- */

/* Appends the arrays of `from` to `to`. */
static void sample_append(Sample *to, const Sample *from, const ModelItems *it) {
  g_array_append_vals(to->outcome, from->outcome->data, from->outcome->len);
  for (guint i = 0; i < it->n_scores; i++)
    g_array_append_vals(to->scores[i], from->scores[i]->data, from->scores[i]->len);
  for (guint i = 0; i < it->n_tags; i++) g_array_append_vals(to->tags[i], from->tags[i]->data, from->tags[i]->len);
  for (guint i = 0; i < it->n_lifecycles; i++)
    g_array_append_vals(to->stages[i], from->stages[i]->data, from->stages[i]->len);
  for (guint j = 0; j < it->n_rules; j++) {
    g_array_append_vals(to->points[j], from->points[j]->data, from->points[j]->len);
    g_array_append_vals(to->fired[j], from->fired[j]->data, from->fired[j]->len);
  }
  g_array_append_vals(to->holdout, from->holdout->data, from->holdout->len);
  to->skipped += from->skipped;
}

static void score_stats(const BtOptions *o, const Sample *s, guint i, const char *name, gboolean full,
                        BtScoreStats *out) {
  const double *v = (const double *)(void *)s->scores[i]->data;
  const guint8 *y = (const guint8 *)s->outcome->data;
  gsize n = s->outcome->len;
  GError *error = NULL;
  out->name = g_strdup(name);
  out->ok = bt_discrimination(v, y, n, &out->d, &error) &&
            (!full || (bt_bands(v, y, n, o->bands, &out->bands, &error) &&
                       bt_capture(v, y, n, o->top_share, &out->capture, &error)));
  if (!out->ok) {
    out->error = g_strdup(error->message);
    g_error_free(error);
  }
}

/* ---- score rules and suggested weights ------------------------------------------ */

/* Rule j's value in the regression: its points over its written weight (1
 * when fired for a `when` rule, the (decayed, capped) count of a `per`
 * rule), or its points when the weight is an expression. */
static double rule_unit(const PersonaScoreRule *rule) {
  return isfinite(rule->weight) && rule->weight != 0 ? rule->weight : 1;
}

static void rule_stats(const ModelItems *it, const Sample *s, guint i, BtScoreStats *out) {
  const guint8 *y = (const guint8 *)s->outcome->data;
  gsize n = s->outcome->len;
  out->n_rules = it->rule_first[i + 1] - it->rule_first[i];
  out->rules = g_new0(BtRuleStats, out->n_rules + 1);
  for (guint r = 0; r < out->n_rules; r++) {
    guint j = it->rule_first[i] + r;
    BtRuleStats *rs = &out->rules[r];
    rs->text = g_strdup(it->rules[j].text);
    rs->file = g_strdup(it->rules[j].file);
    rs->line = it->rules[j].line;
    rs->per = it->rules[j].per;
    rs->weight = it->rules[j].weight;
    rs->coefficient = rs->suggested = NAN;
    bt_feature((const guint8 *)s->fired[j]->data, y, n, &rs->f, NULL);
    double sum = 0;
    for (gsize p = 0; p < n; p++) sum += g_array_index(s->points[j], double, p);
    rs->mean_points = sum / (double)n;
  }
}

/* The AUC of `score` over the held-out profiles; NaN with one class. */
static double holdout_auc(const double *score, const Sample *s, gsize n_holdout) {
  g_autofree double *v = g_new(double, n_holdout + 1);
  g_autofree guint8 *y = g_new(guint8, n_holdout + 1);
  gsize m = 0;
  for (gsize p = 0; p < s->outcome->len; p++)
    if (g_array_index(s->holdout, guint8, p)) {
      v[m] = score[p];
      y[m++] = g_array_index(s->outcome, guint8, p);
    }
  BtDiscrimination d;
  return bt_discrimination(v, y, m, &d, NULL) ? d.auc : NAN;
}

/* Whole points when every written weight of the score is whole. */
static guint weight_digits(const BtScoreStats *out) {
  for (guint r = 0; r < out->n_rules; r++)
    if (isfinite(out->rules[r].weight) && out->rules[r].weight != floor(out->rules[r].weight)) return 2;
  return 0;
}

static double round_to(double v, guint digits) { return digits ? round(v * 100) / 100 : round(v); }

/* The regression on the training part, its coefficients scaled so that the
 * suggested weights span as many points as the written ones, and both
 * compared on the held-out part. */
static void suggest_weights(const ModelItems *it, const Sample *s, guint i, BtScoreStats *out) {
  guint k = out->n_rules;
  BtSuggestion *sg = &out->suggestion;
  if (k == 0) return;
  gsize n = s->outcome->len;
  const guint8 *y = (const guint8 *)s->outcome->data;
  g_autofree double *x = g_new(double, n * k + 1);
  g_autofree guint8 *train = g_new(guint8, n + 1);
  for (gsize p = 0; p < n; p++) {
    train[p] = !g_array_index(s->holdout, guint8, p);
    sg->n_train += train[p];
    for (guint r = 0; r < k; r++) {
      guint j = it->rule_first[i] + r;
      x[p * k + r] = g_array_index(s->points[j], double, p) / rule_unit(&it->rules[j]);
    }
  }
  sg->n_holdout = n - sg->n_train;
  g_autofree double *coef = g_new(double, k + 1);
  GError *error = NULL;
  if (!bt_logistic_fit(x, y, train, n, k, BT_LOGIT_LAMBDA, coef, &sg->steps, &error)) {
    sg->error = g_strdup(error->message);
    g_error_free(error);
    return;
  }
  sg->ok = TRUE;
  sg->intercept = coef[0];
  /* The largest value each rule took in training: the points it can give. */
  double written = 0, fitted = 0;
  g_autofree double *largest = g_new0(double, k + 1);
  for (gsize p = 0; p < n; p++)
    for (guint r = 0; train[p] && r < k; r++) largest[r] = MAX(largest[r], fabs(x[p * k + r]));
  for (guint r = 0; r < k; r++) {
    written += fabs(rule_unit(&it->rules[it->rule_first[i] + r])) * largest[r];
    fitted += fabs(coef[r + 1]) * largest[r];
  }
  sg->scale = fitted > 0 ? written / fitted : NAN;
  guint digits = weight_digits(out);
  g_autofree double *suggested = g_new0(double, n + 1);
  for (guint r = 0; r < k; r++) {
    BtRuleStats *rs = &out->rules[r];
    rs->coefficient = coef[r + 1];
    double unit = rule_unit(&it->rules[it->rule_first[i] + r]);
    double w = unit;  /* a rule that never fired in training keeps its weight */
    if (largest[r] > 0 && isfinite(sg->scale)) {
      rs->suggested = round_to(sg->scale * coef[r + 1], isfinite(rs->weight) ? digits : 2);
      rs->suggested_text = bt_rule_with_weight(rs->text, rs->weight, rs->suggested, digits);
      w = rs->suggested;
    }
    for (gsize p = 0; p < n; p++) suggested[p] += w * x[p * k + r];
  }
  sg->auc_current = holdout_auc((const double *)(void *)s->scores[i]->data, s, sg->n_holdout);
  sg->auc_suggested = holdout_auc(suggested, s, sg->n_holdout);
}

static void origin_stats(const BtOptions *o, const ModelItems *it, const Sample *s, gboolean full,
                         BtOriginStats *out) {
  out->as_of_us = s->as_of_us;
  out->n = s->outcome->len;
  out->skipped = s->skipped;
  for (guint k = 0; k < s->outcome->len; k++) out->positives += g_array_index(s->outcome, guint8, k);
  out->scores = g_new0(BtScoreStats, it->n_scores);
  for (guint i = 0; i < it->n_scores; i++) score_stats(o, s, i, it->scores[i], full, &out->scores[i]);
}

static void tag_and_stage_stats(const BtOptions *o, const ModelItems *it, const Sample *s, BtReport *r) {
  const guint8 *y = (const guint8 *)s->outcome->data;
  gsize n = s->outcome->len;
  r->tags = g_new0(BtTagStats, it->n_tags);
  for (guint i = 0; i < it->n_tags; i++) {
    r->tags[r->n_tags].name = g_strdup(it->tags[i]);
    if (bt_feature((const guint8 *)s->tags[i]->data, y, n, &r->tags[r->n_tags].f, NULL)) r->n_tags++;
    else g_free(r->tags[r->n_tags].name);
  }
  for (guint i = 0; i < it->n_lifecycles; i++) {
    guint n_stages = persona_model_item_n_parts(o->model, PERSONA_ITEM_LIFECYCLE, i);
    for (guint k = 0; k < n_stages; k++) {
      BtStageStats st = {g_strdup(it->lifecycles[i]),
                         g_strdup(persona_model_item_part(o->model, PERSONA_ITEM_LIFECYCLE, i, k)), 0, 0};
      for (gsize p = 0; p < n; p++)
        if (g_array_index(s->stages[i], guint16, p) == k) {
          st.n++;
          st.positives += y[p];
        }
      g_array_append_val(r->stages, st);
    }
  }
}

static void psi_stats(const BtOptions *o, const ModelItems *it, Sample **samples, BtReport *r) {
  for (guint t = 1; t < o->n_as_of; t++)
    for (guint i = 0; i < it->n_scores; i++) {
      BtPsi p = {(double)samples[0]->as_of_us, (double)samples[t]->as_of_us, g_strdup(it->scores[i]), NAN};
      bt_psi((const double *)(void *)samples[0]->scores[i]->data, samples[0]->scores[i]->len,
             (const double *)(void *)samples[t]->scores[i]->data, samples[t]->scores[i]->len, o->bands, &p.psi,
             NULL);
      g_array_append_val(r->psi, p);
    }
}

/* One origin is the pooled sample: its statistics are the pooled ones
 * (without bands, capture and rules), not computed again. */
static void copy_origin(const BtOriginStats *pooled, gint64 as_of_us, guint n_scores, BtOriginStats *out) {
  *out = (BtOriginStats){.as_of_us = as_of_us, .n = pooled->n, .positives = pooled->positives,
                         .skipped = pooled->skipped};
  out->scores = g_new0(BtScoreStats, n_scores + 1);
  for (guint i = 0; i < n_scores; i++) {
    const BtScoreStats *from = &pooled->scores[i];
    out->scores[i] = (BtScoreStats){.name = g_strdup(from->name), .ok = from->ok, .error = g_strdup(from->error),
                                    .d = from->d};
  }
}

/* ---- gates ---------------------------------------------------------------- */

static gboolean gate(BtReport *r, const char *name, const char *score, double value, double threshold) {
  BtGateResult g = {g_strdup(name), g_strdup(score), value, threshold, value >= threshold};
  g_array_append_val(r->gates, g);
  return g.passed;
}

/* The top band that has profiles (equal scores can leave band 1 empty). */
static const BtBand *top_band(const BtScoreStats *s, guint n_bands) {
  for (guint k = 0; k < n_bands; k++)
    if (s->bands[k].n) return &s->bands[k];
  return NULL;
}

static int check_gates(const BtOptions *o, const Sample *pooled, BtReport *r) {
  int failed = 0;
  for (guint i = 0; i < r->n_scores; i++) {
    const BtScoreStats *s = &r->pooled.scores[i];
    if (!s->ok) {
      if (o->gates.min_auc >= 0 || o->gates.capture_top > 0 || o->gates.min_lift >= 0) {
        g_printerr("persona: gates failed: score %s has no statistics (%s)\n", s->name, s->error);
        failed++;
      }
      continue;
    }
    if (o->gates.min_auc >= 0 && !gate(r, "min-auc", s->name, s->d.auc, o->gates.min_auc)) {
      g_printerr("persona: gate --min-auc failed: score %s has AUC %.4f, below %.4g\n", s->name, s->d.auc,
                 o->gates.min_auc);
      failed++;
    }
    if (o->gates.capture_top > 0) {
      double held = 0;
      bt_capture((const double *)(void *)pooled->scores[i]->data, (const guint8 *)pooled->outcome->data,
                 pooled->outcome->len, o->gates.capture_top, &held, NULL);
      if (!gate(r, "min-capture", s->name, held, o->gates.capture_held)) {
        g_printerr("persona: gate --min-capture failed: the top %.4g %% by %s holds %.1f %% of the positives, "
                   "below %.4g %%\n",
                   100 * o->gates.capture_top, s->name, 100 * held, 100 * o->gates.capture_held);
        failed++;
      }
    }
    if (o->gates.min_lift >= 0) {
      const BtBand *top = top_band(s, r->n_bands);
      double lift = top ? top->lift - 1 : 0;
      if (!gate(r, "min-lift", s->name, lift, o->gates.min_lift)) {
        g_printerr("persona: gate --min-lift failed: the top band of %s converts %.1f %% above the base rate, "
                   "below %.4g %%\n",
                   s->name, 100 * lift, 100 * o->gates.min_lift);
        failed++;
      }
    }
  }
  return failed;
}

/* ---- the run ---------------------------------------------------------------- */

static char *format_duration(gint64 us) {
  static const struct { gint64 unit; char c; } units[] = {
      {7 * G_TIME_SPAN_DAY, 'w'}, {G_TIME_SPAN_DAY, 'd'}, {G_TIME_SPAN_HOUR, 'h'}, {G_TIME_SPAN_MINUTE, 'm'}};
  for (gsize i = 0; i < G_N_ELEMENTS(units); i++)
    if (us % units[i].unit == 0) return g_strdup_printf("%" G_GINT64_FORMAT "%c", us / units[i].unit, units[i].c);
  return g_strdup_printf("%" G_GINT64_FORMAT "s", us / G_USEC_PER_SEC);
}

int bt_run(const BtOptions *o, GString *out) {
  ModelItems it;
  model_items(o->model, &it);
  if (it.n_scores == 0 && it.n_tags == 0) {
    g_printerr("persona: the model declares no score and no tag: nothing to backtest\n");
    model_items_clear(&it);
    return 1;
  }
  Sample **samples = g_new0(Sample *, o->n_as_of);
  /* One origin is its own pooled sample: no copy (half the memory). */
  Sample *pooled = o->n_as_of > 1 ? sample_new(&it, 0) : NULL;
  int status = 0;
  for (guint t = 0; t < o->n_as_of && status == 0; t++) {
    samples[t] = collect(o, &it, o->as_of_us[t]);
    if (!samples[t]) status = 1;
    else if (pooled) sample_append(pooled, samples[t], &it);
  }
  Sample *own_pooled = pooled;
  if (!pooled) pooled = samples[0];
  BtReport r = {0};
  if (status == 0) {
    r.model_name = g_strdup(persona_model_name(o->model));
    r.outcome = g_strdup(o->outcome);
    r.horizon = format_duration(o->horizon_us);
    r.n_bands = o->bands;
    r.top_share = o->top_share;
    r.n_scores = it.n_scores;
    r.n_origins = o->n_as_of;
    r.stages = g_array_new(FALSE, TRUE, sizeof(BtStageStats));
    r.psi = g_array_new(FALSE, TRUE, sizeof(BtPsi));
    r.gates = g_array_new(FALSE, TRUE, sizeof(BtGateResult));
    origin_stats(o, &it, pooled, TRUE, &r.pooled);
    for (guint i = 0; i < it.n_scores; i++) {
      rule_stats(&it, pooled, i, &r.pooled.scores[i]);
      if (r.pooled.positives > 0 && r.pooled.positives < r.pooled.n) suggest_weights(&it, pooled, i, &r.pooled.scores[i]);
    }
    if (r.pooled.n == 0) {
      g_printerr("persona: no profile could be evaluated: nothing to backtest\n");
      status = 1;
    } else if (r.pooled.positives == 0 || r.pooled.positives == r.pooled.n) {
      g_printerr("persona: the outcome '%s' is %s for all %" G_GSIZE_FORMAT
                 " profiles: one class only, so nothing can be compared with it\n",
                 o->outcome, r.pooled.positives ? "true" : "false", r.pooled.n);
      status = 1;
    }
  }
  if (status == 0) {
    r.origins = g_new0(BtOriginStats, o->n_as_of);
    if (o->n_as_of == 1) copy_origin(&r.pooled, o->as_of_us[0], it.n_scores, &r.origins[0]);
    else
      for (guint t = 0; t < o->n_as_of; t++) origin_stats(o, &it, samples[t], FALSE, &r.origins[t]);
    tag_and_stage_stats(o, &it, pooled, &r);
    psi_stats(o, &it, samples, &r);
    if (check_gates(o, pooled, &r) > 0) status = 1;
    if (o->format == BT_FORMAT_JSON) bt_report_json(&r, out);
    else
      bt_report_render(&r, o->format == BT_FORMAT_HTML ? RENDER_HTML
                           : o->format == BT_FORMAT_MD ? RENDER_MARKDOWN
                                                       : RENDER_TEXT,
                       out);
  }
  bt_report_free(&r);
  for (guint t = 0; t < o->n_as_of; t++) sample_free(samples[t], &it);
  g_free(samples);
  sample_free(own_pooled, &it);
  model_items_clear(&it);
  return status;
}
