/* report.c - `persona diff` as text, Markdown and JSON (report.h,
 * docs/diff.md). */
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

static double pct(guint64 k, guint64 n) { return n ? 100.0 * (double)k / (double)n : 0; }

/* Tags that some profile gains or loses, or that only one model has. */
static gboolean tag_worth_showing(const PdTagDiff *t) {
  return t->gained || t->lost || !t->in_old || !t->in_new;
}

/* Each line of `text` prefixed with `prefix`. */
static void append_prefixed(GString *out, const char *prefix, const char *text) {
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    if (lines[i][0] || lines[i + 1]) g_string_append_printf(out, "%s%s\n", prefix, lines[i]);
}

/* ---- text -------------------------------------------------------------------- */

static void text_matrix(const PdLifecycleDiff *l, GString *out) {
  guint n = l->stages->len;
  g_string_append_printf(out, "\nlifecycle %s: %" G_GUINT64_FORMAT " profiles change stage (rows old, columns new)\n",
                         l->name, l->changed);
  g_string_append_printf(out, "  %-14s", "");
  for (guint j = 0; j < n; j++) g_string_append_printf(out, " %10s", (const char *)g_ptr_array_index(l->stages, j));
  g_string_append_c(out, '\n');
  for (guint i = 0; i < n; i++) {
    g_string_append_printf(out, "  %-14s", (const char *)g_ptr_array_index(l->stages, i));
    for (guint j = 0; j < n; j++) g_string_append_printf(out, " %10" G_GUINT64_FORMAT, l->matrix[i * n + j]);
    g_string_append_c(out, '\n');
  }
}

void pd_report_text(const PdReport *r, GString *out) {
  g_string_append_printf(out, "diff %s (%s) → %s (%s)\n", r->old_label, r->old_spec, r->new_label, r->new_spec);
  g_string_append_printf(out, "%" G_GUINT64_FORMAT " profiles (%" G_GUINT64_FORMAT " skipped), %" G_GUINT64_FORMAT
                              " change stage (%.1f %%)\n",
                         r->n, r->skipped, r->stage_changed, pct(r->stage_changed, r->n));
  g_string_append(out, "\ndeclarations\n");
  if (r->decls->len == 0) g_string_append(out, "  (none changed)\n");
  for (guint i = 0; i < r->decls->len; i++) {
    const PdDeclChange *c = &g_array_index(r->decls, PdDeclChange, i);
    g_string_append_printf(out, "  %-8s %s\n", decl_verb(c), c->key);
    if (c->old_text) append_prefixed(out, "    - ", c->old_text);
    if (c->new_text) append_prefixed(out, "    + ", c->new_text);
  }
  g_string_append_printf(out, "\n%-24s %10s %10s %10s %10s\n", "tag", "old", "new", "gained", "lost");
  for (guint i = 0; i < r->tags->len; i++) {
    const PdTagDiff *t = &g_array_index(r->tags, PdTagDiff, i);
    if (!tag_worth_showing(t)) continue;
    g_string_append_printf(out, "%-24s %10" G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT
                                " %10" G_GUINT64_FORMAT "%s\n",
                           t->name, t->held_old, t->held_new, t->gained, t->lost,
                           !t->in_old ? "  (new tag)" : !t->in_new ? "  (removed tag)" : "");
  }
  for (guint i = 0; i < r->lifecycles->len; i++) text_matrix(&g_array_index(r->lifecycles, PdLifecycleDiff, i), out);
  g_string_append_printf(out, "\n%-24s %9s %9s %9s %9s %9s %9s %9s\n", "score (new − old)", "changed", "mean", "p10",
                         "p50", "p90", "min", "max");
  for (guint i = 0; i < r->scores->len; i++) {
    const PdScoreDiff *s = &g_array_index(r->scores, PdScoreDiff, i);
    g_string_append_printf(out, "%-24s %9" G_GUINT64_FORMAT " %9.4g %9.4g %9.4g %9.4g %9.4g %9.4g\n", s->name,
                           s->changed, s->mean, s->p10, s->p50, s->p90, s->min, s->max);
  }
  for (guint i = 0; i < r->scores->len; i++) {
    const PdScoreDiff *s = &g_array_index(r->scores, PdScoreDiff, i);
    if (s->changed == 0) continue;
    g_string_append_printf(out, "\nscore %s: change in %u bins from %.4g to %.4g:", s->name, s->n_bins, s->min, s->max);
    for (guint b = 0; b < s->n_bins; b++) g_string_append_printf(out, " %" G_GUINT64_FORMAT, s->hist[b]);
    g_string_append_c(out, '\n');
    for (guint k = 0; k < s->thresholds->len; k++) {
      const PdThreshold *t = &g_array_index(s->thresholds, PdThreshold, k);
      g_string_append_printf(out, "  %s %s %.6g: %" G_GUINT64_FORMAT " profiles now hold it, %" G_GUINT64_FORMAT
                                  " no longer\n",
                             s->name, t->op, t->value, t->up, t->down);
    }
  }
  for (guint i = 0; i < r->journeys->len; i++) {
    const PdJourneyDiff *j = &g_array_index(r->journeys, PdJourneyDiff, i);
    g_string_append_printf(out,
                           "%sjourney %s: %" G_GUINT64_FORMAT " profiles in it under OLD, %" G_GUINT64_FORMAT
                           " under NEW; enter only under NEW %" G_GUINT64_FORMAT ", only under OLD %" G_GUINT64_FORMAT
                           "; exit only under NEW %" G_GUINT64_FORMAT ", only under OLD %" G_GUINT64_FORMAT "\n",
                           i ? "" : "\n", j->name, j->in_old, j->in_new, j->enter_only_new, j->enter_only_old,
                           j->exit_only_new, j->exit_only_old);
  }
  if (r->top->len) g_string_append(out, "\nmost changed profiles\n");
  for (guint i = 0; i < r->top->len; i++) {
    const PdProfileChange *c = &g_array_index(r->top, PdProfileChange, i);
    g_string_append_printf(out, "  %s (line %" G_GUINT64_FORMAT "): %s\n", c->id_json, c->line, c->what);
    for (guint k = 0; c->why && k < c->why->len; k++)
      g_string_append_printf(out, "    %s\n", (const char *)g_ptr_array_index(c->why, k));
  }
  if (r->gate_lines->len) g_string_append_c(out, '\n');
  for (guint i = 0; i < r->gate_lines->len; i++)
    g_string_append_printf(out, "%s\n", (const char *)g_ptr_array_index(r->gate_lines, i));
}

/* ---- Markdown: a compact summary for a pull-request comment ------------------------- */

void pd_report_md(const PdReport *r, GString *out) {
  g_string_append_printf(out, "### persona diff: `%s` → `%s`\n\n", r->old_label, r->new_label);
  g_string_append_printf(out, "%" G_GUINT64_FORMAT " profiles (%" G_GUINT64_FORMAT " skipped); **%" G_GUINT64_FORMAT
                              " change stage (%.1f %%)**.\n",
                         r->n, r->skipped, r->stage_changed, pct(r->stage_changed, r->n));
  if (r->decls->len) {
    g_string_append(out, "\n| declaration | change |\n|---|---|\n");
    for (guint i = 0; i < r->decls->len; i++) {
      const PdDeclChange *c = &g_array_index(r->decls, PdDeclChange, i);
      g_string_append_printf(out, "| `%s` | %s |\n", c->key, decl_verb(c));
    }
  }
  gboolean header = FALSE;
  for (guint i = 0; i < r->tags->len; i++) {
    const PdTagDiff *t = &g_array_index(r->tags, PdTagDiff, i);
    if (!tag_worth_showing(t)) continue;
    if (!header) g_string_append(out, "\n| tag | old | new | gained | lost |\n|---|---:|---:|---:|---:|\n");
    header = TRUE;
    g_string_append_printf(out, "| `%s` | %" G_GUINT64_FORMAT " | %" G_GUINT64_FORMAT " | +%" G_GUINT64_FORMAT
                                " | −%" G_GUINT64_FORMAT " |\n",
                           t->name, t->held_old, t->held_new, t->gained, t->lost);
  }
  for (guint i = 0; i < r->lifecycles->len; i++) {
    const PdLifecycleDiff *l = &g_array_index(r->lifecycles, PdLifecycleDiff, i);
    guint n = l->stages->len;
    g_string_append_printf(out, "\n**%s** (rows old, columns new)\n\n| |", l->name);
    for (guint j = 0; j < n; j++) g_string_append_printf(out, " %s |", (const char *)g_ptr_array_index(l->stages, j));
    g_string_append(out, "\n|---|");
    for (guint j = 0; j < n; j++) g_string_append(out, "---:|");
    g_string_append_c(out, '\n');
    for (guint a = 0; a < n; a++) {
      g_string_append_printf(out, "| %s |", (const char *)g_ptr_array_index(l->stages, a));
      for (guint b = 0; b < n; b++) g_string_append_printf(out, " %" G_GUINT64_FORMAT " |", l->matrix[a * n + b]);
      g_string_append_c(out, '\n');
    }
  }
  if (r->scores->len) g_string_append(out, "\n| score | changed | mean Δ | p10 | p50 | p90 |\n|---|---:|---:|---:|---:|---:|\n");
  for (guint i = 0; i < r->scores->len; i++) {
    const PdScoreDiff *s = &g_array_index(r->scores, PdScoreDiff, i);
    g_string_append_printf(out, "| `%s` | %" G_GUINT64_FORMAT " | %.4g | %.4g | %.4g | %.4g |\n", s->name, s->changed,
                           s->mean, s->p10, s->p50, s->p90);
  }
  gboolean crossed = FALSE;
  for (guint i = 0; i < r->scores->len; i++) {
    const PdScoreDiff *s = &g_array_index(r->scores, PdScoreDiff, i);
    for (guint k = 0; k < s->thresholds->len; k++) {
      const PdThreshold *t = &g_array_index(s->thresholds, PdThreshold, k);
      if (t->up == 0 && t->down == 0) continue;
      if (!crossed) g_string_append(out, "\n| threshold | now hold | no longer |\n|---|---:|---:|\n");
      crossed = TRUE;
      g_string_append_printf(out, "| `%s %s %.6g` | %" G_GUINT64_FORMAT " | %" G_GUINT64_FORMAT " |\n", s->name, t->op,
                             t->value, t->up, t->down);
    }
  }
  if (r->journeys->len)
    g_string_append(out, "\n| journey | in it (old → new) | enter only new | enter only old | exit only new | exit only "
                         "old |\n|---|---:|---:|---:|---:|---:|\n");
  for (guint i = 0; i < r->journeys->len; i++) {
    const PdJourneyDiff *j = &g_array_index(r->journeys, PdJourneyDiff, i);
    g_string_append_printf(out,
                           "| `%s` | %" G_GUINT64_FORMAT " → %" G_GUINT64_FORMAT " | %" G_GUINT64_FORMAT " | %" G_GUINT64_FORMAT
                           " | %" G_GUINT64_FORMAT " | %" G_GUINT64_FORMAT " |\n",
                           j->name, j->in_old, j->in_new, j->enter_only_new, j->enter_only_old, j->exit_only_new,
                           j->exit_only_old);
  }
  if (r->top->len) g_string_append(out, "\n<details><summary>most changed profiles</summary>\n\n");
  for (guint i = 0; i < r->top->len; i++) {
    const PdProfileChange *c = &g_array_index(r->top, PdProfileChange, i);
    g_string_append_printf(out, "- `%s` (line %" G_GUINT64_FORMAT "): %s\n", c->id_json, c->line, c->what);
    for (guint k = 0; c->why && k < c->why->len; k++)
      g_string_append_printf(out, "  - %s\n", (const char *)g_ptr_array_index(c->why, k));
  }
  if (r->top->len) g_string_append(out, "\n</details>\n");
  if (r->gate_lines->len) g_string_append_c(out, '\n');
  for (guint i = 0; i < r->gate_lines->len; i++)
    g_string_append_printf(out, "- %s\n", (const char *)g_ptr_array_index(r->gate_lines, i));
}

/* ---- JSON ------------------------------------------------------------------------- */

static void json_number(GString *out, double x) {
  if (!isfinite(x)) g_string_append(out, "null");
  else {
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_string_append(out, g_ascii_formatd(buf, sizeof buf, "%.17g", x));
  }
}

static void json_key(GString *out, const char *key) {
  persona_json_append_string(out, key, -1);
  g_string_append_c(out, ':');
}

static void json_text_or_null(GString *out, const char *s) {
  if (s) persona_json_append_string(out, s, -1);
  else g_string_append(out, "null");
}

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
    json_key(out, "key");
    persona_json_append_string(out, c->key, -1);
    g_string_append_printf(out, ",\"change\":\"%s\",\"old\":", decl_verb(c));
    json_text_or_null(out, c->old_text);
    g_string_append(out, ",\"new\":");
    json_text_or_null(out, c->new_text);
    g_string_append_c(out, '}');
  }
  g_string_append(out, "],\"tags\":[");
  for (guint i = 0; i < r->tags->len; i++) {
    const PdTagDiff *t = &g_array_index(r->tags, PdTagDiff, i);
    g_string_append(out, i ? ",{" : "{");
    json_key(out, "name");
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
    json_key(out, "name");
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
    json_key(out, "name");
    persona_json_append_string(out, s->name, -1);
    g_string_append_printf(out, ",\"changed\":%" G_GUINT64_FORMAT, s->changed);
    const char *keys[] = {"mean", "p10", "p50", "p90", "min", "max"};
    const double vals[] = {s->mean, s->p10, s->p50, s->p90, s->min, s->max};
    for (guint k = 0; k < G_N_ELEMENTS(keys); k++) {
      g_string_append_c(out, ',');
      json_key(out, keys[k]);
      json_number(out, vals[k]);
    }
    g_string_append(out, ",\"histogram\":[");
    for (guint b = 0; b < s->n_bins; b++)
      g_string_append_printf(out, "%s%" G_GUINT64_FORMAT, b ? "," : "", s->hist[b]);
    g_string_append(out, "],\"thresholds\":[");
    for (guint k = 0; k < s->thresholds->len; k++) {
      const PdThreshold *t = &g_array_index(s->thresholds, PdThreshold, k);
      g_string_append_printf(out, "%s{\"op\":\"%s\",\"value\":", k ? "," : "", t->op);
      json_number(out, t->value);
      g_string_append_printf(out, ",\"up\":%" G_GUINT64_FORMAT ",\"down\":%" G_GUINT64_FORMAT "}", t->up, t->down);
    }
    g_string_append(out, "]}");
  }
  g_string_append(out, "],\"journeys\":[");
  for (guint i = 0; i < r->journeys->len; i++) {
    const PdJourneyDiff *j = &g_array_index(r->journeys, PdJourneyDiff, i);
    g_string_append(out, i ? ",{" : "{");
    json_key(out, "name");
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
    json_number(out, c->score_moved);
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
