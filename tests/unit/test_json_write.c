/* test_json_write.c - compact, deterministic JSON output. */
#include <glib.h>
#include <string.h>

#include "runtime/json_write.h"

typedef struct {
  const char *in;
  size_t len;
  const char *out;
} StringCase;

#define S(lit) lit, sizeof(lit) - 1

static void test_string(void) {
  static const StringCase cases[] = {
      {S(""), "\"\""},
      {S("plain"), "\"plain\""},
      {S("a\"b"), "\"a\\\"b\""},
      {S("a\\b"), "\"a\\\\b\""},
      {S("line\nnext\ttab\rcr\bbs\fff"), "\"line\\nnext\\ttab\\rcr\\bbs\\fff\""},
      {S("\x01\x1f"), "\"\\u0001\\u001f\""},
      {S("nul\0byte"), "\"nul\\u0000byte\""},
      {S("/ stays"), "\"/ stays\""},
      {S("\x7f del stays"), "\"\x7f del stays\""},
      {S("高意向客户"), "\"高意向客户\""},
      {S("emoji 😀"), "\"emoji 😀\""},
      {S("ls\xe2\x80\xa8ps\xe2\x80\xa9"), "\"ls\\u2028ps\\u2029\""},
      {S("\xe2\x80\xa7 \xe2\x82\xac"), "\"\xe2\x80\xa7 \xe2\x82\xac\""}, /* U+2027, euro: as-is */
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    GString *out = g_string_new(NULL);
    pjw_string(out, cases[i].in, cases[i].len);
    g_assert_cmpstr(out->str, ==, cases[i].out);
    g_string_free(out, TRUE);
  }
  GString *out = g_string_new("x=");
  pjw_cstring(out, "tab\t");
  g_assert_cmpstr(out->str, ==, "x=\"tab\\t\"");
  g_string_free(out, TRUE);
}

/* The escaping written out byte by byte, to check pjw_string's 8-byte
 * skipping against. */
static void reference_escape(GString *out, const unsigned char *s, size_t len) {
  g_string_append_c(out, '"');
  for (size_t i = 0; i < len; i++) {
    unsigned c = s[i];
    if (c == 0xE2 && i + 2 < len && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
      g_string_append(out, s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029");
      i += 2;
    } else if (c == '"' || c == '\\') {
      g_string_append_c(out, '\\');
      g_string_append_c(out, (char)c);
    } else if (c < 0x20) {
      const char *named = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : c == '\b' ? "\\b" : c == '\f' ? "\\f" : NULL;
      if (named) g_string_append(out, named);
      else g_string_append_printf(out, "\\u%04x", c);
    } else {
      g_string_append_c(out, (char)c);
    }
  }
  g_string_append_c(out, '"');
}

/* Every special byte at every place of strings up to 40 bytes long. */
static void test_string_positions(void) {
  static const char *const specials[] = {"\"", "\\", "\n", "\x01", "\x1f", "\xe2\x80\xa8", "\xe2\x80\xa9",
                                         "\xe2\x82\xac", "中", " ", "\x7f"};
  for (size_t len = 0; len <= 40; len++)
    for (size_t pos = 0; pos <= len; pos++)
      for (size_t k = 0; k < G_N_ELEMENTS(specials); k++) {
        GString *in = g_string_new(NULL);
        for (size_t i = 0; i < len; i++) g_string_append_c(in, (char)('a' + i % 26));
        g_string_insert(in, (gssize)pos, specials[k]);
        GString *got = g_string_new(NULL), *want = g_string_new(NULL);
        pjw_string(got, in->str, in->len);
        reference_escape(want, (const unsigned char *)in->str, in->len);
        g_assert_cmpstr(got->str, ==, want->str);
        g_string_free(in, TRUE);
        g_string_free(got, TRUE);
        g_string_free(want, TRUE);
      }
}

static void test_scalars(void) {
  GString *out = g_string_new(NULL);
  pjw_int(out, -42);
  g_string_append_c(out, ' ');
  pjw_double(out, 31.25);
  g_string_append_c(out, ' ');
  pjw_double(out, 60.0);
  g_string_append_c(out, ' ');
  pjw_double(out, -0.0);
  g_string_append_c(out, ' ');
  pjw_time(out, INT64_C(1769904000000000));
  g_string_append_c(out, ' ');
  pjw_duration(out, INT64_C(604800000000));
  g_string_append_c(out, ' ');
  pjw_duration(out, 500000);
  g_assert_cmpstr(out->str, ==, "-42 31.25 60 0 \"2026-02-01T00:00:00Z\" \"7d\" \"0.5s\"");
  g_string_free(out, TRUE);
}

static void test_value(void) {
  static const char *const event_names[] = {"type", "at", "amount"};
  PValue ev1[] = {pv_string("visit", 5), pv_time(INT64_C(1769904000000000)), pv_number(0.1)};
  PValue ev2[] = {pv_string("buy", 3), pv_time(INT64_C(1769904000123000)), pv_null()};
  PValue events[] = {pv_record(ev1, 3), pv_record(ev2, 3)};
  PValue list = pv_list(events, 2);

  GString *out = g_string_new(NULL);
  pjw_value(out, list, event_names);
  g_assert_cmpstr(out->str, ==,
                  "[{\"type\":\"visit\",\"at\":\"2026-02-01T00:00:00Z\",\"amount\":0.1},"
                  "{\"type\":\"buy\",\"at\":\"2026-02-01T00:00:00.123Z\",\"amount\":null}]");

  /* Without names a record is written as a list. */
  g_string_truncate(out, 0);
  pjw_value(out, events[0], NULL);
  g_assert_cmpstr(out->str, ==, "[\"visit\",\"2026-02-01T00:00:00Z\",0.1]");

  PValue misc[] = {pv_bool(true), pv_bool(false), pv_null(), pv_int(INT64_MIN),
                   pv_duration(90000000), pv_list(NULL, 0), pv_string("q\"", 2)};
  g_string_truncate(out, 0);
  pjw_value(out, pv_list(misc, G_N_ELEMENTS(misc)), NULL);
  g_assert_cmpstr(out->str, ==, "[true,false,null,-9223372036854775808,\"90s\",[],\"q\\\"\"]");

  /* A record whose field is a record: inner names are not known. */
  static const char *const outer_names[] = {"id", "last"};
  PValue outer[] = {pv_string("p1", 2), pv_record(ev1, 3)};
  g_string_truncate(out, 0);
  pjw_value(out, pv_record(outer, 2), outer_names);
  g_assert_cmpstr(out->str, ==,
                  "{\"id\":\"p1\",\"last\":[\"visit\",\"2026-02-01T00:00:00Z\",0.1]}");
  g_string_free(out, TRUE);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/runtime/json_write/string", test_string);
  g_test_add_func("/runtime/json_write/string-positions", test_string_positions);
  g_test_add_func("/runtime/json_write/scalars", test_scalars);
  g_test_add_func("/runtime/json_write/value", test_value);
  return g_test_run();
}
