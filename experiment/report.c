/* report.c - the JSON and the rendered document of `persona experiment`;
 * see report.h. Only names, counts and statistics are written. */
#include "report.h"

#include <math.h>


/* A number, or null when it does not exist. */
static void json_num(GString *out, const char *key, double v) {
  g_string_append_printf(out, ",\"%s\":", key);
  if (isnan(v) || isinf(v)) g_string_append(out, "null");
  else persona_json_append_number(out, v);
}

static void json_str(GString *out, const char *key, const char *s) {
  g_string_append_printf(out, "\"%s\":", key);
  if (s) persona_json_append_string(out, s, -1);
  else g_string_append(out, "null");
}

static void json_arm(GString *out, const ExpArm *a) {
  g_string_append_c(out, '{');
  json_str(out, "name", a->name);
  json_num(out, "planned_share", a->planned_share);
  g_string_append_printf(out, ",\"n\":%" G_GINT64_FORMAT ",\"conversions\":%" G_GINT64_FORMAT
                              ",\"pending\":%" G_GINT64_FORMAT,
                         a->n, a->conversions, a->pending);
  json_num(out, "rate", a->rate);
  json_num(out, "rate_low", a->rate_low);
  json_num(out, "rate_high", a->rate_high);
  json_num(out, "lift", a->lift);
  json_num(out, "lift_abs", a->lift_abs);
  json_num(out, "p_value", a->p_value);
  json_num(out, "mde", a->mde);
  g_string_append_c(out, '}');
}

void experiments_json(const Experiments *e, GString *out) {
  char now[PERSONA_TIME_BUF];
  persona_time_format(experiments_now(e), now);
  g_string_append(out, "{\"now\":");
  persona_json_append_string(out, now, -1);
  g_string_append_printf(out, ",\"profiles\":%" G_GINT64_FORMAT ",\"errors\":%" G_GINT64_FORMAT
                              ",\"experiments\":[",
                         experiments_profiles(e), experiments_errors(e));
  for (guint i = 0; i < experiments_count(e); i++) {
    const ExpSummary *s = experiments_get(e, i);
    g_string_append(out, i ? ",{" : "{");
    json_str(out, "name", s->name);
    g_string_append_c(out, ',');
    json_str(out, "label", s->label);
    g_string_append_c(out, ',');
    json_str(out, "control", s->arms[s->control].name);
    g_string_append_c(out, ',');
    json_str(out, "holdout", s->holdout >= 0 ? s->arms[s->holdout].name : NULL);
    g_string_append_printf(out, ",\"window_days\":%g", (double)s->window_us / 86400e6);
    json_num(out, "srm_p_value", s->srm_p_value);
    g_string_append_printf(out, ",\"srm\":%s", s->srm ? "true" : "false");
    json_num(out, "chi2", s->chi2);
    json_num(out, "chi2_p_value", s->chi2_p_value);
    json_num(out, "mde", s->mde);
    g_string_append_printf(out, ",\"moved\":%" G_GINT64_FORMAT ",\"reshuffled\":%" G_GINT64_FORMAT ",\"arms\":[",
                           s->moved, s->reshuffled);
    for (guint a = 0; a < s->n_arms; a++) {
      if (a) g_string_append_c(out, ',');
      json_arm(out, &s->arms[a]);
    }
    g_string_append(out, "]}");
  }
  g_string_append(out, "]}\n");
}

static RenderCell num_or_none(double v, int decimals) {
  return isnan(v) || isinf(v) ? render_none_cell() : render_num_cell(v, decimals);
}

static void arms_table(RenderSection *sec, const ExpSummary *s) {
  g_autofree char *id = g_strdup_printf("%s-arms", s->name);
  static const RenderColumnSpec columns[] = {
      {"arm", "arm", NULL},
      {"planned", "planned", "%"},
      {"n", "n", NULL},
      {"conversions", "conversions", NULL},
      {"rate", "rate", "%"},
      {"rate_low", "95% low", "%"},
      {"rate_high", "95% high", "%"},
      {"lift", "lift", "%"},
      {"lift_abs", "lift (points)", "%"},
      {"p_value", "p", NULL},
      {"mde", "MDE (points)", "%"},
      {"pending", "in window", NULL},
  };
  RenderTable *t = render_table_add_columns(sec, id, "Arms", columns, G_N_ELEMENTS(columns));
  for (guint a = 0; a < s->n_arms; a++) {
    const ExpArm *arm = &s->arms[a];
    g_autofree char *name = a == s->control ? g_strdup_printf("%s (control)", arm->name) : g_strdup(arm->name);
    RenderCell cells[] = {
      render_text_cell(name),
      render_num_cell(arm->planned_share * 100, 2),
      render_int_cell(arm->n),
      render_int_cell(arm->conversions),
      num_or_none(arm->rate * 100, 2),
      num_or_none(arm->rate_low * 100, 2),
      num_or_none(arm->rate_high * 100, 2),
      num_or_none(arm->lift * 100, 1),
      num_or_none(arm->lift_abs * 100, 2),
      num_or_none(arm->p_value, 4),
      num_or_none(arm->mde * 100, 2),
      render_int_cell(arm->pending),
    };
    render_table_row(t, cells);
  }
}

static void experiment_section(RenderDoc *doc, const ExpSummary *s) {
  g_autofree char *title = s->label ? g_strdup_printf("%s (%s)", s->name, s->label) : g_strdup(s->name);
  RenderSection *sec = render_section_add(doc, s->name, title);
  const RenderFigureSpec figures[] = {
      {"chi2_p_value", "chi-square p (all arms)", num_or_none(s->chi2_p_value, 4)},
      {"srm_p_value", "sample ratio p", num_or_none(s->srm_p_value, 4)},
      {"mde", "MDE (points, α 0.05, power 0.8)", num_or_none(s->mde * 100, 2)},
      {"window_days", "window (days)", render_num_cell((double)s->window_us / 86400e6, 0)},
  };
  render_figures_add(sec, figures, G_N_ELEMENTS(figures));
  if (s->srm)
    render_paragraph_add(sec, "SAMPLE RATIO MISMATCH: the arms' sizes differ from the planned shares "
                              "(p < 0.001). Find why before trusting any lift.");
  if (s->reshuffled) {
    g_autofree char *p = g_strdup_printf("%" G_GINT64_FORMAT " profiles were reshuffled: the experiment's salt "
                                         "changed since their state was written, so they got new arms now.",
                                         s->reshuffled);
    render_paragraph_add(sec, p);
  }
  if (s->moved) {
    g_autofree char *p = g_strdup_printf("%" G_GINT64_FORMAT " profiles moved to another arm: the weights "
                                         "changed, and their buckets changed owner.",
                                         s->moved);
    render_paragraph_add(sec, p);
  }
  arms_table(sec, s);
  g_autofree char *cid = g_strdup_printf("%s-rates", s->name);
  RenderChart *c = render_chart_add(sec, RENDER_CHART_BAR, cid, "Conversion rate by arm", "arm", "rate", "%", 2);
  for (guint a = 0; a < s->n_arms; a++)
    render_chart_point(c, s->arms[a].name, isnan(s->arms[a].rate) ? 0 : s->arms[a].rate * 100);
}

RenderDoc *experiments_document(const Experiments *e) {
  char now[PERSONA_TIME_BUF];
  persona_time_format(experiments_now(e), now);
  g_autofree char *sub = g_strdup_printf("as of %s · %" G_GINT64_FORMAT " profiles · %" G_GINT64_FORMAT
                                         " with errors",
                                         now, experiments_profiles(e), experiments_errors(e));
  RenderDoc *doc = render_doc_new("Experiments", sub);
  for (guint i = 0; i < experiments_count(e); i++) experiment_section(doc, experiments_get(e, i));
  if (experiments_count(e) == 0)
    render_paragraph_add(render_section_add(doc, "none", "No experiments"), "The model declares no experiment.");
  return doc;
}
