/* blocks.c - blocks that several components build alike from their
 * counts (render.h): one place for their layout, so that a tag's
 * prevalence in `persona report` and a segment's size in `persona
 * segments` read the same. */
#include "render.h"

/* The share in percent, none for a share of nothing. */
static RenderCell share_cell(guint64 part, guint64 whole, int decimals) {
  return whole ? render_num_cell(100.0 * (double)part / (double)whole, decimals) : render_none_cell();
}

void render_prevalence_add(RenderSection *s, const RenderPrevalence *p, guint n, const char *const *names,
                           const char *const *labels, const guint64 *counts, guint64 whole) {
  RenderChart *c = render_chart_add(s, RENDER_CHART_BAR, p->chart_id, p->chart_title, p->item_label, "Share", "%",
                                    p->decimals);
  RenderTable *t = render_table_add(s, p->table_id, p->table_title);
  render_table_column(t, p->item_key, p->item_label, NULL);
  render_table_column(t, "label", "Label", NULL);
  render_table_column(t, "profiles", "Profiles", NULL);
  render_table_column(t, "share", "Share", "%");
  for (guint i = 0; i < n; i++) {
    const char *label = labels[i];
    render_chart_point(c, label ? label : names[i], whole ? 100.0 * (double)counts[i] / (double)whole : 0);
    RenderCell row[] = {render_text_cell(names[i]), render_text_cell(label ? label : ""),
                        render_int_cell((gint64)counts[i]), share_cell(counts[i], whole, p->decimals)};
    render_table_row(t, row);
  }
}
