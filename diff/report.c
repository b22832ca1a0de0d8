/* report.c - `persona diff`'s report: freeing it, and its JSON, the
 * documented data shape (report.h, docs/diff.md; the text, Markdown and
 * HTML are report_doc.c). */
#include "diff/report.h"

#include <math.h>

void pd_profile_change_clear(PdProfileChange *c) {
  g_free(c->id_json);
  g_free(c->what);
  g_free(c->record);
  if (c->why) g_ptr_array_unref(c->why);
}

void pd_report_clear(PdReport *r) {
  for (guint i = 0; i < r->decls->len; i++) {
    PdDeclChange *c = &g_array_index(r->decls, PdDeclChange, i);
    g_free(c->key);
    g_free(c->old_text);
    g_free(c->new_text);
  }
  for (guint i = 0; i < r->tags->len; i++) g_free(g_array_index(r->tags, PdTagDiff, i).name);
  for (guint i = 0; i < r->lifecycles->len; i++) {
    PdLifecycleDiff *l = &g_array_index(r->lifecycles, PdLifecycleDiff, i);
    g_free(l->name);
    g_ptr_array_unref(l->stages);
    g_free(l->matrix);
    g_free(l->old_stage);
    g_free(l->new_stage);
  }
  for (guint i = 0; i < r->scores->len; i++) {
    g_free(g_array_index(r->scores, PdScoreDiff, i).name);
    g_array_unref(g_array_index(r->scores, PdScoreDiff, i).thresholds);
  }
  for (guint i = 0; i < r->top->len; i++) pd_profile_change_clear(&g_array_index(r->top, PdProfileChange, i));
  g_array_unref(r->decls);
  g_array_unref(r->tags);
  g_array_unref(r->lifecycles);
  g_array_unref(r->scores);
  for (guint i = 0; i < r->journeys->len; i++) g_free(g_array_index(r->journeys, PdJourneyDiff, i).name);
  g_array_unref(r->journeys);
  g_array_unref(r->top);
  g_ptr_array_unref(r->gate_lines);
  g_free(r->old_label);
  g_free(r->new_label);
  g_free(r->old_spec);
  g_free(r->new_spec);
}

static const char *decl_verb(const PdDeclChange *c) {
  return !c->old_text ? "added" : !c->new_text ? "removed" : "changed";
}

/* ---- JSON ------------------------------------------------------------------------- */

void pd_report_json(const PdReport *r, GString *out) {
  g_string_append(out, "{\"old\":");
  persona_json_append_string(out, r->old_label, -1);
  g_string_append(out, ",\"new\":");
  persona_json_append_string(out, r->new_label, -1);
  g_string_append_printf(out, ",\"profiles\":%" G_GUINT64_FORMAT ",\"skipped\":%" G_GUINT64_FORMAT
                              ",\"stage_changed\":%" G_GUINT64_FORMAT ",\"declarations\":[",
                         r->n, r->skipped, r->stage_changed);
  for (guint i = 0; i < r->decls->len; i++) {
    const PdDeclChange *c = &g_array_index(r->decls, PdDeclChange, i);
    g_string_append(out, i ? ",{" : "{");
    render_json_key(out, "key");
    persona_json_append_string(out, c->key, -1);
    g_string_append_printf(out, ",\"change\":\"%s\",\"old\":", decl_verb(c));
    render_json_string_or_null(out, c->old_text);
    g_string_append(out, ",\"new\":");
    render_json_string_or_null(out, c->new_text);
    g_string_append_c(out, '}');
  }
  g_string_append(out, "],\"tags\":[");
  for (guint i = 0; i < r->tags->len; i++) {
    const PdTagDiff *t = &g_array_index(r->tags, PdTagDiff, i);
    g_string_append(out, i ? ",{" : "{");
    render_json_key(out, "name");
    persona_json_append_string(out, t->name, -1);
    g_string_append_printf(out, ",\"in_old\":%s,\"in_new\":%s,\"old\":%" G_GUINT64_FORMAT ",\"new\":%" G_GUINT64_FORMAT
                                ",\"gained\":%" G_GUINT64_FORMAT ",\"lost\":%" G_GUINT64_FORMAT "}",
                           t->in_old ? "true" : "false", t->in_new ? "true" : "false", t->held_old, t->held_new,
                           t->gained, t->lost);
  }
  g_string_append(out, "],\"lifecycles\":[");
  for (guint i = 0; i < r->lifecycles->len; i++) {
    const PdLifecycleDiff *l = &g_array_index(r->lifecycles, PdLifecycleDiff, i);
    guint n = l->stages->len;
    g_string_append(out, i ? ",{" : "{");
    render_json_key(out, "name");
    persona_json_append_string(out, l->name, -1);
    g_string_append_printf(out, ",\"changed\":%" G_GUINT64_FORMAT ",\"stages\":[", l->changed);
    for (guint j = 0; j < n; j++) {
      if (j) g_string_append_c(out, ',');
      persona_json_append_string(out, g_ptr_array_index(l->stages, j), -1);
    }
    g_string_append(out, "],\"matrix\":[");
    for (guint a = 0; a < n; a++) {
      g_string_append(out, a ? ",[" : "[");
      for (guint b = 0; b < n; b++)
        g_string_append_printf(out, "%s%" G_GUINT64_FORMAT, b ? "," : "", l->matrix[a * n + b]);
      g_string_append_c(out, ']');
    }
    g_string_append(out, "]}");
  }
  g_string_append(out, "],\"scores\":[");
  for (guint i = 0; i < r->scores->len; i++) {
    const PdScoreDiff *s = &g_array_index(r->scores, PdScoreDiff, i);
    g_string_append(out, i ? ",{" : "{");
    render_json_key(out, "name");
    persona_json_append_string(out, s->name, -1);
    g_string_append_printf(out, ",\"changed\":%" G_GUINT64_FORMAT, s->changed);
    const char *keys[] = {"mean", "p10", "p50", "p90", "min", "max"};
    const double vals[] = {s->mean, s->p10, s->p50, s->p90, s->min, s->max};
    for (guint k = 0; k < G_N_ELEMENTS(keys); k++) {
      g_string_append_c(out, ',');
      render_json_key(out, keys[k]);
      render_json_number(out, vals[k]);
    }
    g_string_append(out, ",\"histogram\":[");
    for (guint b = 0; b < s->n_bins; b++)
      g_string_append_printf(out, "%s%" G_GUINT64_FORMAT, b ? "," : "", s->hist[b]);
    g_string_append(out, "],\"thresholds\":[");
    for (guint k = 0; k < s->thresholds->len; k++) {
      const PdThreshold *t = &g_array_index(s->thresholds, PdThreshold, k);
      g_string_append_printf(out, "%s{\"op\":\"%s\",\"value\":", k ? "," : "", t->op);
      render_json_number(out, t->value);
      g_string_append_printf(out, ",\"up\":%" G_GUINT64_FORMAT ",\"down\":%" G_GUINT64_FORMAT "}", t->up, t->down);
    }
    g_string_append(out, "]}");
  }
  g_string_append(out, "],\"journeys\":[");
  for (guint i = 0; i < r->journeys->len; i++) {
    const PdJourneyDiff *j = &g_array_index(r->journeys, PdJourneyDiff, i);
    g_string_append(out, i ? ",{" : "{");
    render_json_key(out, "name");
    persona_json_append_string(out, j->name, -1);
    g_string_append_printf(out,
                           ",\"in_old\":%" G_GUINT64_FORMAT ",\"in_new\":%" G_GUINT64_FORMAT
                           ",\"enter_only_new\":%" G_GUINT64_FORMAT ",\"enter_only_old\":%" G_GUINT64_FORMAT
                           ",\"exit_only_new\":%" G_GUINT64_FORMAT ",\"exit_only_old\":%" G_GUINT64_FORMAT "}",
                           j->in_old, j->in_new, j->enter_only_new, j->enter_only_old, j->exit_only_new,
                           j->exit_only_old);
  }
  g_string_append(out, "],\"most_changed\":[");
  for (guint i = 0; i < r->top->len; i++) {
    const PdProfileChange *c = &g_array_index(r->top, PdProfileChange, i);
    g_string_append_printf(out, "%s{\"id\":%s,\"line\":%" G_GUINT64_FORMAT ",\"changes\":%u,\"score_moved\":",
                           i ? "," : "", c->id_json, c->line, c->changes);
    render_json_number(out, c->score_moved);
    g_string_append(out, ",\"what\":");
    persona_json_append_string(out, c->what, -1);
    g_string_append(out, ",\"why\":");
    if (!c->why) g_string_append(out, "null");
    for (guint k = 0; c->why && k < c->why->len; k++) {
      g_string_append_c(out, k ? ',' : '[');
      persona_json_append_string(out, g_ptr_array_index(c->why, k), -1);
    }
    if (c->why) g_string_append(out, c->why->len ? "]" : "[]");
    g_string_append_c(out, '}');
  }
  g_string_append(out, "],\"gates\":[");
  for (guint i = 0; i < r->gate_lines->len; i++) {
    if (i) g_string_append_c(out, ',');
    persona_json_append_string(out, g_ptr_array_index(r->gate_lines, i), -1);
  }
  g_string_append_printf(out, "],\"gate_failed\":%s}\n", r->gate_failed ? "true" : "false");
}
