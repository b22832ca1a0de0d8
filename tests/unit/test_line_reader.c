/* test_line_reader.c - the public JSON Lines reader: lines and their
 * numbers, a last line without "\n", a line over the limit read through
 * and flagged (the lines after it intact, across block boundaries), the
 * message for it, and a missing file. */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "persona.h"

static char *write_temp(const char *data, gsize len) {
  g_autoptr(GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp("persona-lines-XXXXXX", &path, &error);
  g_assert_no_error(error);
  close(fd);
  g_assert_true(g_file_set_contents(path, data, (gssize)len, &error));
  return path;
}

static void test_lines(void) {
  static const char data[] = "{\"a\":1}\n\n{\"b\":2}\r\n{\"c\":3}";
  g_autofree char *path = write_temp(data, sizeof data - 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaLineReader) r = persona_line_reader_open(path, &error);
  g_assert_no_error(error);
  const char *want[] = {"{\"a\":1}", "", "{\"b\":2}\r", "{\"c\":3}"};
  const char *line;
  gsize len;
  for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
    g_assert_true(persona_line_reader_next(r, &line, &len, &error));
    g_assert_cmpmem(line, len, want[i], strlen(want[i]));
    g_assert_cmpuint(persona_line_reader_line_no(r), ==, i + 1);
    g_assert_false(persona_line_reader_too_long(r, NULL));
  }
  g_assert_false(persona_line_reader_next(r, &line, &len, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(persona_line_reader_bytes(r), ==, sizeof data - 1);
  g_remove(path);
}

/* A 3 MiB line (it spans blocks) over a 1 MiB limit, between two short
 * lines. */
static void test_too_long(void) {
  gsize big = (gsize)3 << 20;
  GString *data = g_string_new("first\n");
  for (gsize i = 0; i < big; i++) g_string_append_c(data, 'x');
  g_string_append(data, "\nlast\n");
  g_autofree char *path = write_temp(data->str, data->len);
  g_string_free(data, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaLineReader) r = persona_line_reader_open(path, &error);
  g_assert_cmpuint(persona_line_reader_max_line(r), ==, PERSONA_MAX_LINE_DEFAULT);
  persona_line_reader_set_max_line(r, (gsize)1 << 20);
  const char *line;
  gsize len;
  guint64 real = 0;
  g_assert_true(persona_line_reader_next(r, &line, &len, &error));
  g_assert_cmpmem(line, len, "first", 5);
  g_assert_true(persona_line_reader_next(r, &line, &len, &error));
  g_assert_true(persona_line_reader_too_long(r, &real));
  g_assert_cmpuint(len, ==, 0);
  g_assert_cmpuint(real, ==, big);
  g_assert_cmpuint(persona_line_reader_line_no(r), ==, 2);
  g_assert_true(persona_line_reader_next(r, &line, &len, &error));
  g_assert_false(persona_line_reader_too_long(r, NULL));
  g_assert_cmpmem(line, len, "last", 4);
  g_assert_false(persona_line_reader_next(r, &line, &len, &error));
  g_assert_no_error(error);
  g_autofree char *msg = persona_line_too_long_message((gsize)1 << 20);
  g_assert_cmpstr(msg, ==, "line is longer than 1 MiB");
  g_autofree char *odd = persona_format_size(1000);
  g_assert_cmpstr(odd, ==, "1000 bytes");
  g_remove(path);
}

static void test_missing(void) {
  g_autoptr(GError) error = NULL;
  g_assert_null(persona_line_reader_open("/nonexistent/profiles.jsonl", &error));
  g_assert_error(error, PERSONA_ERROR, PERSONA_ERROR_IO);
  g_assert_cmpstr(error->message, ==, "cannot open '/nonexistent/profiles.jsonl': No such file or directory");
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/api/lines/lines", test_lines);
  g_test_add_func("/api/lines/too-long", test_too_long);
  g_test_add_func("/api/lines/missing", test_missing);
  return g_test_run();
}
