/* test_render.c - the preformatted block of the shared renderer
 * (render/render.h) in all four renderings: lines kept as written, escaped
 * where the format needs it, and a Markdown fence nothing inside can close. */
#include <glib.h>
#include <string.h>

#include "render/render.h"

static char *rendered(const char *text, RenderFormat format) {
  RenderDoc *doc = render_doc_new("T", NULL);
  RenderSection *s = render_section_add(doc, "s", "S");
  render_preformatted_add(s, text);
  GString *out = g_string_new(NULL);
  render_doc(doc, format, out);
  render_doc_free(doc);
  return g_string_free(out, FALSE);
}

static void test_text(void) {
  g_autofree char *t = rendered("a.persona:18:\n- +30 when x\n+ +22 when x\n", RENDER_TEXT);
  g_assert_cmpstr(t, ==, "T\n\n== S ==\n\n    a.persona:18:\n    - +30 when x\n    + +22 when x\n");
  g_autofree char *e = rendered("a\n\nb", RENDER_TEXT);
  g_assert_cmpstr(e, ==, "T\n\n== S ==\n\n    a\n\n    b\n");
}

static void test_markdown(void) {
  g_autofree char *t = rendered("- a | b\n+ c", RENDER_MARKDOWN);
  /* No table escaping inside a fence: the lines are as written. */
  g_assert_cmpstr(t, ==, "# T\n\n## S\n\n```\n- a | b\n+ c\n```\n");
  g_autofree char *q = rendered("x ```` y", RENDER_MARKDOWN);
  g_assert_cmpstr(q, ==, "# T\n\n## S\n\n`````\nx ```` y\n`````\n");
}

static void test_json(void) {
  g_autofree char *t = rendered("- \"a\"\n+ b", RENDER_JSON);
  g_assert_nonnull(strstr(t, "{\"type\":\"preformatted\",\"text\":\"- \\\"a\\\"\\n+ b\"}"));
}

static void test_html(void) {
  g_autofree char *t = rendered("- a < b & c\n+ d", RENDER_HTML);
  g_assert_nonnull(strstr(t, "<pre>- a &lt; b &amp; c\n+ d</pre>\n"));
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/render/preformatted/text", test_text);
  g_test_add_func("/render/preformatted/markdown", test_markdown);
  g_test_add_func("/render/preformatted/json", test_json);
  g_test_add_func("/render/preformatted/html", test_html);
  return g_test_run();
}
