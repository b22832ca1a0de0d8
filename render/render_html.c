/* render_html.c - the document as one self-contained HTML page: the style
 * inline, charts as inline SVG (render_svg.c), no script, no external
 * resource of any kind, so it opens from a file:// URL, offline, as it is.
 * Every number cell carries its value in data-value (the same digits as
 * the JSON) for tests and for readers who copy the page into a sheet. */
#include <string.h>

#include "render_internal.h"

void render_html_escape(GString *out, const char *s) {
  for (const char *p = s ? s : ""; *p; p++) {
    switch (*p) {
    case '&': g_string_append(out, "&amp;"); break;
    case '<': g_string_append(out, "&lt;"); break;
    case '>': g_string_append(out, "&gt;"); break;
    case '"': g_string_append(out, "&quot;"); break;
    case '\'': g_string_append(out, "&#39;"); break;
    default: g_string_append_c(out, *p);
    }
  }
}

static const char style[] =
    "body{margin:0;font-family:system-ui,-apple-system,\"Segoe UI\",\"Noto Sans\",\"Noto Sans CJK SC\","
    "\"PingFang SC\",\"Microsoft YaHei\",sans-serif;color:#1f2933;background:#f5f7fa;line-height:1.45}\n"
    "header{background:#243b53;color:#fff;padding:20px 32px}\n"
    "header h1{margin:0 0 4px;font-size:24px}header p{margin:0;opacity:.85}\n"
    "nav{margin-top:10px;font-size:14px}nav a{color:#bcccdc;margin-right:14px;text-decoration:none}\n"
    "main{max-width:1100px;margin:0 auto;padding:8px 24px 40px}\n"
    "section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.1);margin:18px 0;"
    "padding:12px 24px 18px}\n"
    "h2{font-size:20px;margin:8px 0 12px;color:#243b53}\n"
    "dl.figures{display:flex;flex-wrap:wrap;gap:12px;margin:0 0 12px}\n"
    ".figure{background:#f0f4f8;border-radius:6px;padding:8px 14px;min-width:120px}\n"
    ".figure dt{font-size:12px;color:#627d98}.figure dd{margin:0;font-size:20px;font-weight:600}\n"
    "figure{margin:12px 0 16px}figcaption{font-weight:600;margin-bottom:6px;color:#334e68}\n"
    "table{border-collapse:collapse;font-size:14px}\n"
    "th,td{padding:4px 10px;border-bottom:1px solid #d9e2ec;text-align:left}\n"
    "th{background:#f0f4f8;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    "svg{max-width:100%;height:auto;font-size:12px}svg text{fill:#334e68}\n"
    ".bar{fill:#2680c2}.funnel{fill:#3ebd93}.hist{fill:#9446ed}\n"
    "p.none{color:#829ab1;font-style:italic}\n";

static void figures(GString *out, const GArray *figs) {
  g_string_append(out, "<dl class=\"figures\">\n");
  for (guint i = 0; i < figs->len; i++) {
    const RenderFigure *f = &g_array_index(figs, RenderFigure, i);
    GString *v = g_string_new(NULL);
    render_cell_append(v, &f->value);
    g_string_append(out, "<div class=\"figure\" data-key=\"");
    render_html_escape(out, f->key);
    if (f->value.kind == RENDER_CELL_INT || f->value.kind == RENDER_CELL_NUMBER) {
      g_string_append(out, "\" data-value=\"");
      render_html_escape(out, v->str);
    }
    g_string_append(out, "\"><dt>");
    render_html_escape(out, f->label);
    g_string_append(out, "</dt><dd>");
    render_html_escape(out, v->str);
    g_string_append(out, "</dd></div>\n");
    g_string_free(v, TRUE);
  }
  g_string_append(out, "</dl>\n");
}

static void table_cell(GString *out, const RenderCell *c, const char *unit) {
  GString *v = g_string_new(NULL);
  render_cell_append(v, c);
  if (c->kind == RENDER_CELL_TEXT) {
    g_string_append(out, "<td>");
  } else {
    g_string_append(out, "<td class=\"num\" data-value=\"");
    g_string_append(out, c->kind == RENDER_CELL_NONE ? "" : v->str);
    g_string_append(out, "\">");
  }
  render_html_escape(out, v->str);
  if (unit && c->kind != RENDER_CELL_TEXT && c->kind != RENDER_CELL_NONE) render_html_escape(out, unit);
  g_string_append(out, "</td>");
  g_string_free(v, TRUE);
}

static void table(GString *out, const RenderTable *t) {
  g_string_append(out, "<figure class=\"table\">");
  if (t->title) {
    g_string_append(out, "<figcaption>");
    render_html_escape(out, t->title);
    g_string_append(out, "</figcaption>");
  }
  if (t->rows->len == 0) {
    g_string_append(out, "<p class=\"none\">(none)</p></figure>\n");
    return;
  }
  g_string_append(out, "\n<table data-table=\"");
  render_html_escape(out, t->id);
  g_string_append(out, "\">\n<thead><tr>");
  for (guint c = 0; c < t->columns->len; c++) {
    const RenderColumn *col = &g_array_index(t->columns, RenderColumn, c);
    g_string_append(out, "<th data-key=\"");
    render_html_escape(out, col->key);
    g_string_append(out, "\">");
    render_html_escape(out, col->label);
    g_string_append(out, "</th>");
  }
  g_string_append(out, "</tr></thead>\n<tbody>\n");
  for (guint r = 0; r < t->rows->len; r++) {
    const RenderCell *cells = g_ptr_array_index(t->rows, r);
    g_string_append(out, "<tr>");
    for (guint c = 0; c < t->columns->len; c++)
      table_cell(out, &cells[c], g_array_index(t->columns, RenderColumn, c).unit);
    g_string_append(out, "</tr>\n");
  }
  g_string_append(out, "</tbody></table></figure>\n");
}

static void chart(GString *out, const RenderChart *c) {
  g_string_append(out, "<figure class=\"chart\">");
  if (c->title) {
    g_string_append(out, "<figcaption>");
    render_html_escape(out, c->title);
    g_string_append(out, "</figcaption>");
  }
  if (c->points->len == 0) {
    g_string_append(out, "<p class=\"none\">(no data)</p></figure>\n");
    return;
  }
  g_string_append_c(out, '\n');
  render_svg_chart(c, out);
  g_string_append(out, "</figure>\n");
}

static void section(GString *out, const RenderSection *s) {
  g_string_append(out, "<section id=\"");
  render_html_escape(out, s->id);
  g_string_append(out, "\">\n<h2>");
  render_html_escape(out, s->title);
  g_string_append(out, "</h2>\n");
  for (guint k = 0; k < s->blocks->len; k++) {
    const RenderBlock *b = g_ptr_array_index(s->blocks, k);
    switch (b->kind) {
    case BLOCK_FIGURES: figures(out, b->figures); break;
    case BLOCK_PARAGRAPH:
      g_string_append(out, "<p>");
      render_html_escape(out, b->text);
      g_string_append(out, "</p>\n");
      break;
    case BLOCK_PREFORMATTED:
      g_string_append(out, "<pre>");
      render_html_escape(out, b->text);
      g_string_append(out, "</pre>\n");
      break;
    case BLOCK_TABLE: table(out, b->table); break;
    case BLOCK_CHART: chart(out, b->chart); break;
    }
  }
  g_string_append(out, "</section>\n");
}

void render_html_doc(const RenderDoc *doc, GString *out) {
  g_string_append(out, "<!DOCTYPE html>\n<html lang=\"zh-Hans\">\n<head>\n<meta charset=\"utf-8\">\n"
                       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
  render_html_escape(out, doc->title);
  g_string_append(out, "</title>\n<style>\n");
  g_string_append(out, style);
  g_string_append(out, "</style>\n</head>\n<body>\n<header>\n<h1>");
  render_html_escape(out, doc->title);
  g_string_append(out, "</h1>\n");
  if (doc->subtitle) {
    g_string_append(out, "<p>");
    render_html_escape(out, doc->subtitle);
    g_string_append(out, "</p>\n");
  }
  g_string_append(out, "<nav>");
  for (guint i = 0; i < doc->sections->len; i++) {
    const RenderSection *s = g_ptr_array_index(doc->sections, i);
    g_string_append(out, "<a href=\"#");
    render_html_escape(out, s->id);
    g_string_append(out, "\">");
    render_html_escape(out, s->title);
    g_string_append(out, "</a>");
  }
  g_string_append(out, "</nav>\n</header>\n<main>\n");
  for (guint i = 0; i < doc->sections->len; i++) section(out, g_ptr_array_index(doc->sections, i));
  g_string_append(out, "</main>\n</body>\n</html>\n");
}
