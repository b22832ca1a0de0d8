/* render_svg.c - charts as inline SVG: horizontal bars, a histogram
 * (vertical bars over bins, in order), a funnel (bars centred on one
 * axis, in stage order) and a line (points in order, joined). Coordinates are printed with one decimal through
 * g_ascii_formatd, so the bytes do not depend on the locale. Each bar is a
 * <rect> with data-label and data-value (the value as the JSON prints it)
 * and a <title> tooltip. */
#include <string.h>

#include "render_internal.h"

#define WIDTH 720.0
#define LABEL_W 220.0 /* bar and funnel charts: the labels' column */
#define VALUE_W 90.0  /* room for the value after the longest bar */
#define ROW_H 24.0
#define BAR_H 16.0

static void num(GString *out, double v) {
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_string_append(out, g_ascii_formatd(buf, sizeof buf, "%.1f", v));
}

static double max_value(const RenderChart *c) {
  double max = 0;
  for (guint i = 0; i < c->points->len; i++) max = MAX(max, g_array_index(c->points, RenderPoint, i).value);
  return max;
}

static void value_text(GString *out, const RenderChart *c, double v) {
  GString *s = g_string_new(NULL);
  render_chart_value_append(s, c, v);
  if (c->unit) g_string_append(s, c->unit);
  render_html_escape(out, s->str);
  g_string_free(s, TRUE);
}

static void open_svg(GString *out, const RenderChart *c, double height) {
  g_string_append(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" viewBox=\"0 0 ");
  num(out, WIDTH);
  g_string_append_c(out, ' ');
  num(out, height);
  g_string_append(out, "\" width=\"");
  num(out, WIDTH);
  g_string_append(out, "\" height=\"");
  num(out, height);
  g_string_append(out, "\" data-chart=\"");
  render_html_escape(out, c->id);
  g_string_append(out, "\" data-kind=\"");
  g_string_append(out, render_chart_kind_name(c->kind));
  g_string_append(out, "\">\n");
}

static void rect(GString *out, const char *cls, const RenderChart *c, const RenderPoint *p, double x, double y,
                 double w, double h) {
  g_string_append_printf(out, "<rect class=\"%s\" x=\"", cls);
  num(out, x);
  g_string_append(out, "\" y=\"");
  num(out, y);
  g_string_append(out, "\" width=\"");
  num(out, w);
  g_string_append(out, "\" height=\"");
  num(out, h);
  g_string_append(out, "\" data-label=\"");
  render_html_escape(out, p->label);
  g_string_append(out, "\" data-value=\"");
  GString *v = g_string_new(NULL);
  render_chart_value_append(v, c, p->value);
  g_string_append(out, v->str);
  g_string_free(v, TRUE);
  g_string_append(out, "\"><title>");
  render_html_escape(out, p->label);
  g_string_append(out, ": ");
  value_text(out, c, p->value);
  g_string_append(out, "</title></rect>\n");
}

static void text_at(GString *out, double x, double y, const char *anchor, const char *s_escaped_or_null,
                    const char *raw) {
  g_string_append(out, "<text x=\"");
  num(out, x);
  g_string_append(out, "\" y=\"");
  num(out, y);
  g_string_append_printf(out, "\" text-anchor=\"%s\">", anchor);
  if (s_escaped_or_null) g_string_append(out, s_escaped_or_null);
  else render_html_escape(out, raw);
  g_string_append(out, "</text>\n");
}

/* Bars left to right from the labels' column, or centred (funnel). */
static void rows_chart(const RenderChart *c, GString *out, gboolean centred) {
  double max = max_value(c), span = WIDTH - LABEL_W - VALUE_W;
  double height = c->points->len * ROW_H + 8;
  open_svg(out, c, height);
  for (guint i = 0; i < c->points->len; i++) {
    const RenderPoint *p = &g_array_index(c->points, RenderPoint, i);
    double y = 4 + i * ROW_H, w = max > 0 ? p->value / max * span : 0;
    double x = centred ? LABEL_W + (span - w) / 2 : LABEL_W;
    text_at(out, LABEL_W - 8, y + BAR_H - 3, "end", NULL, p->label);
    rect(out, centred ? "funnel" : "bar", c, p, x, y, w, BAR_H);
    GString *v = g_string_new(NULL);
    value_text(v, c, p->value);
    text_at(out, (centred ? LABEL_W + span : x + w) + 6, y + BAR_H - 3, "start", v->str, NULL);
    g_string_free(v, TRUE);
  }
  g_string_append(out, "</svg>\n");
}

#define HIST_H 220.0
#define HIST_TOP 20.0
#define HIST_BOTTOM 40.0 /* room for the bin labels */
#define HIST_LEFT 20.0

static void histogram(const RenderChart *c, GString *out) {
  double max = max_value(c), plot_h = HIST_H - HIST_TOP - HIST_BOTTOM;
  double slot = (WIDTH - 2 * HIST_LEFT) / c->points->len;
  open_svg(out, c, HIST_H);
  for (guint i = 0; i < c->points->len; i++) {
    const RenderPoint *p = &g_array_index(c->points, RenderPoint, i);
    double h = max > 0 ? p->value / max * plot_h : 0;
    double x = HIST_LEFT + i * slot + 2, y = HIST_TOP + plot_h - h;
    rect(out, "hist", c, p, x, y, slot - 4, h);
    GString *v = g_string_new(NULL);
    value_text(v, c, p->value);
    text_at(out, x + (slot - 4) / 2, y - 4, "middle", v->str, NULL);
    g_string_free(v, TRUE);
    text_at(out, x + (slot - 4) / 2, HIST_TOP + plot_h + 16 + (i % 2) * 14, "middle", NULL, p->label);
  }
  g_string_append(out, "<line x1=\"");
  num(out, HIST_LEFT);
  g_string_append(out, "\" x2=\"");
  num(out, WIDTH - HIST_LEFT);
  g_string_append(out, "\" y1=\"");
  num(out, HIST_TOP + plot_h);
  g_string_append(out, "\" y2=\"");
  num(out, HIST_TOP + plot_h);
  g_string_append(out, "\" stroke=\"#829ab1\"/>\n</svg>\n");
}

/* Points in order, evenly spaced, joined by a polyline; each point is a
 * small square <rect> (data-label, data-value) so it reads like a bar. */
static void line_chart(const RenderChart *c, GString *out) {
  double max = max_value(c), plot_h = HIST_H - HIST_TOP - HIST_BOTTOM;
  guint n = c->points->len;
  double slot = (WIDTH - 2 * HIST_LEFT) / (n ? n : 1);
  open_svg(out, c, HIST_H);
  g_string_append(out, "<polyline fill=\"none\" stroke=\"#2f6f9f\" stroke-width=\"2\" points=\"");
  for (guint i = 0; i < n; i++) {
    const RenderPoint *p = &g_array_index(c->points, RenderPoint, i);
    if (i) g_string_append_c(out, ' ');
    num(out, HIST_LEFT + (i + 0.5) * slot);
    g_string_append_c(out, ',');
    num(out, HIST_TOP + plot_h - (max > 0 ? p->value / max * plot_h : 0));
  }
  g_string_append(out, "\"/>\n");
  for (guint i = 0; i < n; i++) {
    const RenderPoint *p = &g_array_index(c->points, RenderPoint, i);
    double x = HIST_LEFT + (i + 0.5) * slot, y = HIST_TOP + plot_h - (max > 0 ? p->value / max * plot_h : 0);
    rect(out, "point", c, p, x - 3, y - 3, 6, 6);
    GString *v = g_string_new(NULL);
    value_text(v, c, p->value);
    text_at(out, x, y - 8, "middle", v->str, NULL);
    g_string_free(v, TRUE);
    text_at(out, x, HIST_TOP + plot_h + 16 + (i % 2) * 14, "middle", NULL, p->label);
  }
  g_string_append(out, "<line x1=\"");
  num(out, HIST_LEFT);
  g_string_append(out, "\" x2=\"");
  num(out, WIDTH - HIST_LEFT);
  g_string_append(out, "\" y1=\"");
  num(out, HIST_TOP + plot_h);
  g_string_append(out, "\" y2=\"");
  num(out, HIST_TOP + plot_h);
  g_string_append(out, "\" stroke=\"#829ab1\"/>\n</svg>\n");
}

void render_svg_chart(const RenderChart *c, GString *out) {
  switch (c->kind) {
  case RENDER_CHART_HISTOGRAM: histogram(c, out); break;
  case RENDER_CHART_LINE: line_chart(c, out); break;
  case RENDER_CHART_FUNNEL: rows_chart(c, out, TRUE); break;
  default: rows_chart(c, out, FALSE); break;
  }
}
