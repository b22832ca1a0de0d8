/* blocks.c - what components build the same way (render.h): tables and
 * key figures from arrays, and the prevalence block, one place for its
 * layout, so that a tag's prevalence in `persona report` and a segment's
 * size in `persona segments` read the same. */
#include "render.h"

/* The share in percent, none for a share of nothing. */
static RenderCell share_cell(guint64 part, guint64 whole, int decimals) {
  return whole ? render_num_cell(100.0 * (double)part / (double)whole, decimals) : render_none_cell();
}

RenderTable *render_table_add_columns(RenderSection *s, const char *id, const char *title,
                                      const RenderColumnSpec *columns, guint n) {
  RenderTable *t = render_table_add(s, id, title);
  for (guint i = 0; i < n; i++) render_table_column(t, columns[i].key, columns[i].label, columns[i].unit);
  return t;
}

void render_figures_add(RenderSection *s, const RenderFigureSpec *figures, guint n) {
  for (guint i = 0; i < n; i++) render_figure_add(s, figures[i].key, figures[i].label, figures[i].value);
}

void render_prevalence_add(RenderSection *s, const RenderPrevalence *p, guint n, const char *const *names,
                           const char *const *labels, const guint64 *counts, guint64 whole) {
  RenderChart *c = render_chart_add(s, RENDER_CHART_BAR, p->chart_id, p->chart_title, p->item_label, "Share", "%",
                                    p->decimals);
  const RenderColumnSpec columns[] = {
      {p->item_key, p->item_label, NULL},
      {"label", "Label", NULL},
      {"profiles", "Profiles", NULL},
      {"share", "Share", "%"},
  };
  RenderTable *t = render_table_add_columns(s, p->table_id, p->table_title, columns, G_N_ELEMENTS(columns));
  for (guint i = 0; i < n; i++) {
    const char *label = labels[i];
    render_chart_point(c, label ? label : names[i], whole ? 100.0 * (double)counts[i] / (double)whole : 0);
    RenderCell row[] = {render_text_cell(names[i]), render_text_cell(label ? label : ""),
                        render_int_cell((gint64)counts[i]), share_cell(counts[i], whole, p->decimals)};
    render_table_row(t, row);
  }
}

RenderDoc *render_doc_new_for_profiles(const char *prefix, const char *name, const char *version,
                                       guint64 records, const char *source, gint64 now_us) {
  GDateTime *now = g_date_time_new_from_unix_utc(now_us / G_USEC_PER_SEC);
  g_autofree char *when = now ? g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("?");
  if (now) g_date_time_unref(now);
  g_autofree char *title = g_strdup_printf("%s%s %s", prefix, name, version ? version : "");
  g_strchomp(title);
  g_autofree char *subtitle = g_strdup_printf("%" G_GUINT64_FORMAT " profiles from %s, evaluated as of %s", records,
                                              source ? source : "standard input", when);
  return render_doc_new(title, subtitle);
}
