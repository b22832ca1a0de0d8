/* report.c - the backtest report's JSON, its documented data shape
 * (docs/backtest.md lists every key; the text and HTML are report_doc.c). Numbers in JSON have 17 significant
 * digits (they round-trip); undefined ones (an empty band's rate) are null. */
#include "backtest/report.h"

#include <math.h>

#include "persona.h"

static void free_scores(BtOriginStats *o, guint n_scores) {
  if (!o->scores) return;
  for (guint i = 0; i < n_scores; i++) {
    g_free(o->scores[i].name);
    g_free(o->scores[i].error);
    g_free(o->scores[i].bands);
    for (guint j = 0; j < o->scores[i].n_rules; j++) {
      g_free(o->scores[i].rules[j].text);
      g_free(o->scores[i].rules[j].file);
      g_free(o->scores[i].rules[j].suggested_text);
    }
    g_free(o->scores[i].rules);
    g_free(o->scores[i].suggestion.error);
  }
  g_free(o->scores);
}

void bt_report_free(BtReport *r) {
  g_free(r->model_name);
  g_free(r->outcome);
  g_free(r->horizon);
  free_scores(&r->pooled, r->n_scores);
  for (guint t = 0; r->origins && t < r->n_origins; t++) free_scores(&r->origins[t], r->n_scores);
  g_free(r->origins);
  for (guint i = 0; i < r->n_tags; i++) g_free(r->tags[i].name);
  g_free(r->tags);
  for (guint i = 0; r->stages && i < r->stages->len; i++) {
    g_free(g_array_index(r->stages, BtStageStats, i).lifecycle);
    g_free(g_array_index(r->stages, BtStageStats, i).stage);
  }
  for (guint i = 0; r->psi && i < r->psi->len; i++) g_free(g_array_index(r->psi, BtPsi, i).score);
  for (guint i = 0; r->gates && i < r->gates->len; i++) {
    g_free(g_array_index(r->gates, BtGateResult, i).gate);
    g_free(g_array_index(r->gates, BtGateResult, i).score);
  }
  if (r->stages) g_array_unref(r->stages);
  if (r->psi) g_array_unref(r->psi);
  if (r->gates) g_array_unref(r->gates);
}

static char *time_text(double us) {
  gint64 sec = (gint64)floor(us / 1e6);
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(sec);
  return t ? g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("?");
}

/* ---- JSON ---------------------------------------------------------------------- */

static void json_field(GString *out, const char *key, double x) {
  render_json_key(out, key);
  render_json_number(out, x);
  g_string_append_c(out, ',');
}

static void json_count(GString *out, const char *key, gsize n) {
  render_json_key(out, key);
  g_string_append_printf(out, "%" G_GSIZE_FORMAT ",", n);
}

static void json_string_field(GString *out, const char *key, const char *value) {
  render_json_key(out, key);
  render_json_string_or_null(out, value);
  g_string_append_c(out, ',');
}

static void json_end(GString *out, char close) {
  if (out->len && out->str[out->len - 1] == ',') g_string_truncate(out, out->len - 1);
  g_string_append_c(out, close);
}

static void json_bands(GString *out, const BtBand *b, guint n) {
  g_string_append_c(out, '[');
  for (guint k = 0; k < n; k++) {
    g_string_append_c(out, '{');
    json_count(out, "band", k + 1);
    json_field(out, "lo", b[k].lo);
    json_field(out, "hi", b[k].hi);
    json_count(out, "n", b[k].n);
    json_count(out, "positives", b[k].positives);
    json_field(out, "rate", b[k].rate);
    json_field(out, "lift", b[k].lift);
    json_field(out, "capture", b[k].capture);
    json_end(out, '}');
    g_string_append_c(out, ',');
  }
  json_end(out, ']');
}

static void json_rules(GString *out, const BtScoreStats *s) {
  render_json_key(out, "rules");
  g_string_append_c(out, '[');
  for (guint j = 0; j < s->n_rules; j++) {
    const BtRuleStats *rs = &s->rules[j];
    const BtFeature *f = &rs->f;
    g_string_append_c(out, '{');
    json_string_field(out, "rule", rs->text);
    json_count(out, "line", rs->line);
    json_string_field(out, "kind", rs->per ? "per" : "when");
    json_field(out, "weight", rs->weight);
    json_count(out, "fired", f->held);
    json_count(out, "positives_fired", f->positives_held);
    json_field(out, "fired_share", (double)f->held / (double)f->n);
    json_field(out, "rate_fired", f->rate_held);
    json_field(out, "rate_not", f->rate_not);
    json_field(out, "difference", f->rate_held - f->rate_not);
    json_field(out, "lift", f->lift);
    json_field(out, "iv", f->iv);
    json_field(out, "mean_points", rs->mean_points);
    json_field(out, "coefficient", rs->coefficient);
    json_field(out, "suggested", rs->suggested);
    json_string_field(out, "suggested_rule", rs->suggested_text);
    json_end(out, '}');
    g_string_append_c(out, ',');
  }
  json_end(out, ']');
  g_string_append_c(out, ',');
}

static void json_suggestion(GString *out, const BtSuggestion *sg) {
  render_json_key(out, "suggestion");
  g_string_append_c(out, '{');
  if (!sg->ok) {
    json_string_field(out, "error", sg->error);
  } else {
    json_count(out, "train", sg->n_train);
    json_count(out, "holdout", sg->n_holdout);
    json_field(out, "intercept", sg->intercept);
    json_field(out, "scale", sg->scale);
    json_count(out, "steps", sg->steps);
    json_field(out, "auc_current", sg->auc_current);
    json_field(out, "auc_suggested", sg->auc_suggested);
  }
  json_end(out, '}');
  g_string_append_c(out, ',');
}

static void json_score(GString *out, const BtScoreStats *s, const BtReport *r, gboolean full) {
  g_string_append_c(out, '{');
  if (!s->ok) {
    render_json_key(out, "error");
    persona_json_append_string(out, s->error, -1);
    g_string_append_c(out, '}');
    return;
  }
  json_count(out, "n", s->d.n);
  json_count(out, "positives", s->d.positives);
  json_field(out, "auc", s->d.auc);
  json_field(out, "auc_se", s->d.auc_se);
  json_field(out, "auc_low", s->d.auc_low);
  json_field(out, "auc_high", s->d.auc_high);
  json_field(out, "ks", s->d.ks);
  json_field(out, "gini", s->d.gini);
  if (full) {
    render_json_key(out, "capture");
    g_string_append_c(out, '{');
    json_field(out, "top", r->top_share);
    json_field(out, "held", s->capture);
    json_end(out, '}');
    g_string_append_c(out, ',');
    if (s->n_rules) {
      json_rules(out, s);
      json_suggestion(out, &s->suggestion);
    }
    render_json_key(out, "bands");
    json_bands(out, s->bands, r->n_bands);
  }
  json_end(out, '}');
}

static void json_scores(GString *out, const BtOriginStats *o, const BtReport *r, gboolean full) {
  render_json_key(out, "scores");
  g_string_append_c(out, '{');
  for (guint i = 0; i < r->n_scores; i++) {
    render_json_key(out, o->scores[i].name);
    json_score(out, &o->scores[i], r, full);
    g_string_append_c(out, ',');
  }
  json_end(out, '}');
  g_string_append_c(out, ',');
}

static void json_time(GString *out, const char *key, double us) {
  g_autofree char *t = time_text(us);
  render_json_key(out, key);
  persona_json_append_string(out, t, -1);
  g_string_append_c(out, ',');
}

static void json_tags(GString *out, const BtReport *r) {
  render_json_key(out, "tags");
  g_string_append_c(out, '{');
  for (guint i = 0; i < r->n_tags; i++) {
    const BtFeature *f = &r->tags[i].f;
    render_json_key(out, r->tags[i].name);
    g_string_append_c(out, '{');
    json_count(out, "n", f->n);
    json_count(out, "held", f->held);
    json_count(out, "positives_held", f->positives_held);
    json_field(out, "prevalence", (double)f->held / (double)f->n);
    json_field(out, "rate_held", f->rate_held);
    json_field(out, "rate_not", f->rate_not);
    json_field(out, "lift", f->lift);
    json_field(out, "woe_held", f->woe_held);
    json_field(out, "woe_not", f->woe_not);
    json_field(out, "iv", f->iv);
    json_end(out, '}');
    g_string_append_c(out, ',');
  }
  json_end(out, '}');
  g_string_append_c(out, ',');
}

static void json_stages(GString *out, const BtReport *r) {
  render_json_key(out, "lifecycles");
  g_string_append_c(out, '{');
  const char *open = NULL;
  for (guint i = 0; i < r->stages->len; i++) {
    const BtStageStats *s = &g_array_index(r->stages, BtStageStats, i);
    if (!open || g_strcmp0(open, s->lifecycle) != 0) {
      if (open) {
        json_end(out, '}');
        g_string_append_c(out, ',');
      }
      render_json_key(out, s->lifecycle);
      g_string_append_c(out, '{');
      open = s->lifecycle;
    }
    render_json_key(out, s->stage);
    g_string_append_c(out, '{');
    json_count(out, "n", s->n);
    json_count(out, "positives", s->positives);
    json_field(out, "rate", s->n ? (double)s->positives / (double)s->n : NAN);
    json_end(out, '}');
    g_string_append_c(out, ',');
  }
  if (open) {
    json_end(out, '}');
    g_string_append_c(out, ',');
  }
  json_end(out, '}');
  g_string_append_c(out, ',');
}

static void json_origins(GString *out, const BtReport *r) {
  render_json_key(out, "origins");
  g_string_append_c(out, '[');
  for (guint t = 0; t < r->n_origins; t++) {
    const BtOriginStats *o = &r->origins[t];
    g_string_append_c(out, '{');
    json_time(out, "as_of", (double)o->as_of_us);
    json_count(out, "n", o->n);
    json_count(out, "positives", o->positives);
    json_count(out, "skipped", o->skipped);
    json_field(out, "base_rate", o->n ? (double)o->positives / (double)o->n : NAN);
    json_scores(out, o, r, FALSE);
    json_end(out, '}');
    g_string_append_c(out, ',');
  }
  json_end(out, ']');
  g_string_append_c(out, ',');
}

static void json_psi_and_gates(GString *out, const BtReport *r) {
  render_json_key(out, "psi");
  g_string_append_c(out, '[');
  for (guint i = 0; i < r->psi->len; i++) {
    const BtPsi *p = &g_array_index(r->psi, BtPsi, i);
    g_string_append_c(out, '{');
    json_string_field(out, "score", p->score);
    json_time(out, "reference", p->reference_us);
    json_time(out, "current", p->current_us);
    json_field(out, "psi", p->psi);
    json_string_field(out, "verdict", isfinite(p->psi) ? bt_psi_verdict(p->psi) : "undefined");
    json_end(out, '}');
    g_string_append_c(out, ',');
  }
  json_end(out, ']');
  g_string_append_c(out, ',');
  render_json_key(out, "gates");
  g_string_append_c(out, '[');
  for (guint i = 0; i < r->gates->len; i++) {
    const BtGateResult *g = &g_array_index(r->gates, BtGateResult, i);
    g_string_append_c(out, '{');
    json_string_field(out, "gate", g->gate);
    json_string_field(out, "score", g->score);
    json_field(out, "value", g->value);
    json_field(out, "threshold", g->threshold);
    render_json_key(out, "passed");
    g_string_append(out, g->passed ? "true" : "false");
    g_string_append_c(out, '}');
    g_string_append_c(out, ',');
  }
  json_end(out, ']');
}

void bt_report_json(const BtReport *r, GString *out) {
  g_string_append_c(out, '{');
  json_string_field(out, "model", r->model_name);
  json_string_field(out, "outcome", r->outcome);
  json_string_field(out, "horizon", r->horizon);
  json_count(out, "n", r->pooled.n);
  json_count(out, "positives", r->pooled.positives);
  json_count(out, "skipped", r->pooled.skipped);
  json_field(out, "base_rate", (double)r->pooled.positives / (double)r->pooled.n);
  json_scores(out, &r->pooled, r, TRUE);
  json_tags(out, r);
  json_stages(out, r);
  json_origins(out, r);
  json_psi_and_gates(out, r);
  g_string_append(out, "}\n");
}
