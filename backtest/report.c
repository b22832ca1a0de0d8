/* report.c - the backtest report as text for people and as JSON
 * (docs/backtest.md lists every key). Numbers in JSON have 17 significant
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

static void json_num(GString *out, double x) {
  if (!isfinite(x)) {
    g_string_append(out, "null");
    return;
  }
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_string_append(out, g_ascii_formatd(buf, sizeof buf, "%.17g", x));
}

static void json_key(GString *out, const char *key) {
  persona_json_append_string(out, key, -1);
  g_string_append_c(out, ':');
}

static void json_field(GString *out, const char *key, double x) {
  json_key(out, key);
  json_num(out, x);
  g_string_append_c(out, ',');
}

static void json_count(GString *out, const char *key, gsize n) {
  json_key(out, key);
  g_string_append_printf(out, "%" G_GSIZE_FORMAT ",", n);
}

static void json_string_field(GString *out, const char *key, const char *value) {
  json_key(out, key);
  if (value) persona_json_append_string(out, value, -1);
  else g_string_append(out, "null");
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
  json_key(out, "rules");
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
  json_key(out, "suggestion");
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
    json_key(out, "error");
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
    json_key(out, "capture");
    g_string_append_c(out, '{');
    json_field(out, "top", r->top_share);
    json_field(out, "held", s->capture);
    json_end(out, '}');
    g_string_append_c(out, ',');
    if (s->n_rules) {
      json_rules(out, s);
      json_suggestion(out, &s->suggestion);
    }
    json_key(out, "bands");
    json_bands(out, s->bands, r->n_bands);
  }
  json_end(out, '}');
}

static void json_scores(GString *out, const BtOriginStats *o, const BtReport *r, gboolean full) {
  json_key(out, "scores");
  g_string_append_c(out, '{');
  for (guint i = 0; i < r->n_scores; i++) {
    json_key(out, o->scores[i].name);
    json_score(out, &o->scores[i], r, full);
    g_string_append_c(out, ',');
  }
  json_end(out, '}');
  g_string_append_c(out, ',');
}

static void json_time(GString *out, const char *key, double us) {
  g_autofree char *t = time_text(us);
  json_key(out, key);
  persona_json_append_string(out, t, -1);
  g_string_append_c(out, ',');
}

static void json_tags(GString *out, const BtReport *r) {
  json_key(out, "tags");
  g_string_append_c(out, '{');
  for (guint i = 0; i < r->n_tags; i++) {
    const BtFeature *f = &r->tags[i].f;
    json_key(out, r->tags[i].name);
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
  json_key(out, "lifecycles");
  g_string_append_c(out, '{');
  const char *open = NULL;
  for (guint i = 0; i < r->stages->len; i++) {
    const BtStageStats *s = &g_array_index(r->stages, BtStageStats, i);
    if (!open || g_strcmp0(open, s->lifecycle) != 0) {
      if (open) {
        json_end(out, '}');
        g_string_append_c(out, ',');
      }
      json_key(out, s->lifecycle);
      g_string_append_c(out, '{');
      open = s->lifecycle;
    }
    json_key(out, s->stage);
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
  json_key(out, "origins");
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
  json_key(out, "psi");
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
  json_key(out, "gates");
  g_string_append_c(out, '[');
  for (guint i = 0; i < r->gates->len; i++) {
    const BtGateResult *g = &g_array_index(r->gates, BtGateResult, i);
    g_string_append_c(out, '{');
    json_string_field(out, "gate", g->gate);
    json_string_field(out, "score", g->score);
    json_field(out, "value", g->value);
    json_field(out, "threshold", g->threshold);
    json_key(out, "passed");
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

/* ---- text ------------------------------------------------------------------------ */

static void text_percent(GString *out, double x) {
  if (isfinite(x)) g_string_append_printf(out, "%7.1f %%", 100 * x);
  else g_string_append(out, "      –  ");
}

static void text_rules(GString *out, const BtScoreStats *s) {
  if (!s->n_rules) return;
  g_string_append(out, "  line  rule                                        fired   rate fired   rate not   lift\n");
  for (guint j = 0; j < s->n_rules; j++) {
    const BtRuleStats *rs = &s->rules[j];
    g_string_append_printf(out, "  %4u  %-40.40s ", rs->line, rs->text);
    text_percent(out, (double)rs->f.held / (double)rs->f.n);
    g_string_append(out, "    ");
    text_percent(out, rs->f.rate_held);
    g_string_append(out, "  ");
    text_percent(out, rs->f.rate_not);
    if (isfinite(rs->f.lift)) g_string_append_printf(out, " %6.2f\n", rs->f.lift);
    else g_string_append(out, "      –\n");
  }
}

static void text_auc(GString *out, double auc) {
  if (isfinite(auc)) g_string_append_printf(out, "%.3f", auc);
  else g_string_append(out, "– (one class)");
}

static void text_suggestion(GString *out, const BtScoreStats *s) {
  const BtSuggestion *sg = &s->suggestion;
  if (!s->n_rules) return;
  if (!sg->ok) {
    g_string_append_printf(out, "  suggested weights: none (%s)\n", sg->error);
    return;
  }
  g_string_append_printf(out, "  suggested weights (a suggestion, not a verdict: an L2 logistic regression on %"
                              G_GSIZE_FORMAT " profiles; check it before adopting it)\n",
                         sg->n_train);
  g_string_append_printf(out, "  held-out AUC (%" G_GSIZE_FORMAT " profiles): written ", sg->n_holdout);
  text_auc(out, sg->auc_current);
  g_string_append(out, ", suggested ");
  text_auc(out, sg->auc_suggested);
  g_string_append_c(out, '\n');
  for (guint j = 0; j < s->n_rules; j++) {
    const BtRuleStats *rs = &s->rules[j];
    if (!rs->suggested_text) {
      g_string_append_printf(out, "    %s:%u: %s   (never fired in training: kept)\n", rs->file ? rs->file : "",
                             rs->line, rs->text);
    } else if (g_strcmp0(rs->suggested_text, rs->text) == 0) {
      g_string_append_printf(out, "    %s:%u: %s   (unchanged)\n", rs->file ? rs->file : "", rs->line, rs->text);
    } else {
      g_string_append_printf(out, "    %s:%u:\n    - %s\n    + %s\n", rs->file ? rs->file : "", rs->line, rs->text,
                             rs->suggested_text);
    }
  }
}

static void text_score(GString *out, const BtScoreStats *s, const BtReport *r) {
  if (!s->ok) {
    g_string_append_printf(out, "score %s: no statistics: %s\n\n", s->name, s->error);
    return;
  }
  g_string_append_printf(out, "score %s: AUC %.3f (95 %% CI %.3f–%.3f, DeLong)  KS %.3f  Gini %.3f\n", s->name,
                         s->d.auc, s->d.auc_low, s->d.auc_high, s->d.ks, s->d.gini);
  g_string_append_printf(out, "  the top %.4g %% by %s holds %.1f %% of the positives\n", 100 * r->top_share,
                         s->name, 100 * s->capture);
  g_string_append(out, "  band              range        n   positives      rate   lift    capture\n");
  for (guint k = 0; k < r->n_bands; k++) {
    const BtBand *b = &s->bands[k];
    g_string_append_printf(out, "  %4u", k + 1);
    if (b->n) g_string_append_printf(out, "  %10.4g – %-10.4g", b->lo, b->hi);
    else g_string_append_printf(out, "  %23s", "(empty)");
    g_string_append_printf(out, " %8" G_GSIZE_FORMAT " %11" G_GSIZE_FORMAT " ", b->n, b->positives);
    text_percent(out, b->rate);
    if (b->n) g_string_append_printf(out, " %6.2f", b->lift);
    else g_string_append(out, "      –");
    g_string_append(out, " ");
    text_percent(out, b->capture);
    g_string_append_c(out, '\n');
  }
  text_rules(out, s);
  text_suggestion(out, s);
  g_string_append_c(out, '\n');
}

static void text_tags(GString *out, const BtReport *r) {
  if (r->n_tags == 0) return;
  g_string_append(out, "tag                       held   rate held   rate not   lift      IV\n");
  for (guint i = 0; i < r->n_tags; i++) {
    const BtFeature *f = &r->tags[i].f;
    g_string_append_printf(out, "%-22s ", r->tags[i].name);
    text_percent(out, (double)f->held / (double)f->n);
    g_string_append(out, "  ");
    text_percent(out, f->rate_held);
    g_string_append(out, "  ");
    text_percent(out, f->rate_not);
    if (isfinite(f->lift)) g_string_append_printf(out, " %6.2f", f->lift);
    else g_string_append(out, "      –");
    g_string_append_printf(out, " %7.3f\n", f->iv);
  }
  g_string_append_c(out, '\n');
}

static void text_stages(GString *out, const BtReport *r) {
  for (guint i = 0; i < r->stages->len; i++) {
    const BtStageStats *s = &g_array_index(r->stages, BtStageStats, i);
    g_string_append_printf(out, "lifecycle %s, stage %-12s %8" G_GSIZE_FORMAT " profiles, rate ", s->lifecycle,
                           s->stage, s->n);
    text_percent(out, s->n ? (double)s->positives / (double)s->n : NAN);
    g_string_append_c(out, '\n');
  }
  if (r->stages->len) g_string_append_c(out, '\n');
}

static void text_origins(GString *out, const BtReport *r) {
  if (r->n_origins < 2) return;
  for (guint t = 0; t < r->n_origins; t++) {
    const BtOriginStats *o = &r->origins[t];
    g_autofree char *when = time_text((double)o->as_of_us);
    g_string_append_printf(out, "as of %s: %" G_GSIZE_FORMAT " profiles, base rate", when, o->n);
    text_percent(out, o->n ? (double)o->positives / (double)o->n : NAN);
    for (guint i = 0; i < r->n_scores; i++) {
      if (o->scores[i].ok) g_string_append_printf(out, ", %s AUC %.3f", o->scores[i].name, o->scores[i].d.auc);
      else g_string_append_printf(out, ", %s AUC –", o->scores[i].name);
    }
    g_string_append_c(out, '\n');
  }
  for (guint i = 0; i < r->psi->len; i++) {
    const BtPsi *p = &g_array_index(r->psi, BtPsi, i);
    g_autofree char *from = time_text(p->reference_us);
    g_autofree char *to = time_text(p->current_us);
    g_string_append_printf(out, "population stability of %s, %s → %s: PSI %.3f (%s)\n", p->score, from, to,
                           p->psi, isfinite(p->psi) ? bt_psi_verdict(p->psi) : "undefined");
  }
  g_string_append_c(out, '\n');
}

void bt_report_text(const BtReport *r, GString *out) {
  g_string_append_printf(out, "backtest of %s: outcome `%s` within %s of each origin\n", r->model_name, r->outcome,
                         r->horizon);
  g_string_append_printf(out, "%" G_GSIZE_FORMAT " profiles (%" G_GSIZE_FORMAT " skipped), %" G_GSIZE_FORMAT
                              " positive, base rate",
                         r->pooled.n, r->pooled.skipped, r->pooled.positives);
  text_percent(out, (double)r->pooled.positives / (double)r->pooled.n);
  g_string_append(out, "\n\n");
  for (guint i = 0; i < r->n_scores; i++) text_score(out, &r->pooled.scores[i], r);
  text_tags(out, r);
  text_stages(out, r);
  text_origins(out, r);
  for (guint i = 0; i < r->gates->len; i++) {
    const BtGateResult *g = &g_array_index(r->gates, BtGateResult, i);
    g_string_append_printf(out, "gate --%s on %s: %.4g against %.4g: %s\n", g->gate, g->score, g->value,
                           g->threshold, g->passed ? "passed" : "FAILED");
  }
}
