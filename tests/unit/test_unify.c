/* test_unify.c - the unify component's pieces on their own: the
 * normalisers against hand-written E.164 and e-mail forms, and the JSON
 * line scanner on good and bad lines. (Joining, merging and the command
 * are tested end to end by the golden tests unify_* and
 * tests/unify/permute.py.) */
#include <glib.h>
#include <string.h>

#include "unify/json_scan.h"
#include "unify/normalize.h"

static const PersonaIdentityKey cn = {.kind = "phone", .normalize = PERSONA_NORMALIZE_PHONE, .region = "CN",
                                      .calling_code = "86", .national_max = 11};
static const PersonaIdentityKey us = {.kind = "phone", .normalize = PERSONA_NORMALIZE_PHONE, .region = "US",
                                      .calling_code = "1", .national_max = 10};
static const PersonaIdentityKey mail = {.kind = "email", .normalize = PERSONA_NORMALIZE_EMAIL};
static const PersonaIdentityKey plain = {.kind = "crm_id", .normalize = PERSONA_NORMALIZE_STRING};

typedef struct {
  const PersonaIdentityKey *key;
  const char *in;
  PuNormStatus status;
  const char *out;
} NormCase;

static void test_normalize(void) {
  static const NormCase cases[] = {
      {&cn, "13812345678", PU_NORM_OK, "+8613812345678"},
      {&cn, "138 1234 5678", PU_NORM_OK, "+8613812345678"},
      {&cn, "138-1234-5678", PU_NORM_OK, "+8613812345678"},
      {&cn, "+86 138 1234 5678", PU_NORM_OK, "+8613812345678"},
      {&cn, "+86-138-1234-5678", PU_NORM_OK, "+8613812345678"},
      {&cn, "(+86) 13812345678", PU_NORM_OK, "+8613812345678"},
      {&cn, "008613812345678", PU_NORM_OK, "+8613812345678"},
      {&cn, "8613812345678", PU_NORM_OK, "+8613812345678"},   /* longer than national: has the code */
      {&cn, "010-12345678", PU_NORM_OK, "+861012345678"},     /* Beijing: trunk 0 dropped */
      {&cn, "+1 415 555 0100", PU_NORM_OK, "+14155550100"},   /* international stays */
      {&cn, "  13812345678\t", PU_NORM_OK, "+8613812345678"},
      {&us, "(415) 555-0100", PU_NORM_OK, "+14155550100"},
      {&us, "1 415 555 0100", PU_NORM_OK, "+14155550100"},
      {&cn, "", PU_NORM_EMPTY, NULL},
      {&cn, "   ", PU_NORM_EMPTY, NULL},
      {&cn, "--", PU_NORM_EMPTY, NULL},
      {&cn, "138-CALL-ME", PU_NORM_MALFORMED, NULL},
      {&cn, "12345", PU_NORM_MALFORMED, NULL},                /* too short */
      {&cn, "+0086123456789", PU_NORM_MALFORMED, NULL},       /* E.164 never starts with 0 */
      {&cn, "+1234567890123456", PU_NORM_MALFORMED, NULL},    /* 16 digits */
      {&cn, "138+12345678", PU_NORM_MALFORMED, NULL},
      {&cn, "+", PU_NORM_MALFORMED, NULL},
      {&mail, "Ann@Example.COM", PU_NORM_OK, "ann@example.com"},
      {&mail, "  ann@example.com ", PU_NORM_OK, "ann@example.com"},
      {&mail, "ÄNN@Example.com", PU_NORM_OK, "änn@example.com"},
      {&mail, "ann", PU_NORM_MALFORMED, NULL},
      {&mail, "@example.com", PU_NORM_MALFORMED, NULL},
      {&mail, "ann@", PU_NORM_MALFORMED, NULL},
      {&mail, "a@b@c", PU_NORM_MALFORMED, NULL},
      {&mail, "ann smith@example.com", PU_NORM_MALFORMED, NULL},
      {&mail, " ", PU_NORM_EMPTY, NULL},
      {&plain, "  C0001 ", PU_NORM_OK, "C0001"},
      {&plain, "Mixed Case", PU_NORM_OK, "Mixed Case"},
      {&plain, "\t", PU_NORM_EMPTY, NULL},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    const NormCase *c = &cases[i];
    g_autoptr(GString) out = g_string_new("x");
    PuNormStatus st = pu_normalize(c->key, c->in, strlen(c->in), out);
    if (st != c->status) g_error("%s '%s': status %d, expected %d", c->key->kind, c->in, st, c->status);
    if (c->out)
      g_assert_cmpstr(out->str + 1, ==, c->out);
    else
      g_assert_cmpstr(out->str, ==, "x"); /* untouched */
  }
}

static void test_json_object(void) {
  g_autoptr(GArray) m = g_array_new(FALSE, FALSE, sizeof(PuMember));
  const char *why = NULL;
  gsize at = 0;
  const char *line = " {\"a\":\"x\\\"y\",\"n\":-1.5e3,\"o\":{\"k\":[1,{}]},\"t\":true,\"z\":null} ";
  g_assert_true(pu_json_object(line, strlen(line), m, &why, &at));
  g_assert_cmpuint(m->len, ==, 5);
  const PuMember *a = pu_json_get(m, "a"), *o = pu_json_get(m, "o");
  g_assert_nonnull(a);
  g_assert_cmpint(a->type, ==, PU_JSTRING);
  g_autoptr(GString) s = g_string_new(NULL);
  g_assert_true(pu_json_decode_string(a->val, a->val_len, s));
  g_assert_cmpstr(s->str, ==, "x\"y");
  g_assert_cmpint(o->type, ==, PU_JOBJECT);
  g_assert_cmpmem(o->val, o->val_len, "{\"k\":[1,{}]}", 12);
  g_assert_cmpint(pu_json_get(m, "z")->type, ==, PU_JNULL);
  g_assert_null(pu_json_get(m, "missing"));

  g_string_truncate(s, 0);
  const char *esc = "\"\\u4e0a\\ud83d\\ude00\\n\"";
  g_assert_true(pu_json_decode_string(esc, strlen(esc), s));
  g_assert_cmpstr(s->str, ==, "上\xf0\x9f\x98\x80\n");
  g_string_truncate(s, 0);
  const char *lone = "\"\\udc00\"";
  g_assert_false(pu_json_decode_string(lone, strlen(lone), s));

  static const struct {
    const char *line, *why;
  } bad[] = {
      {"", "expected a JSON object"},
      {"[1]", "expected a JSON object"},
      {"{\"a\":1", "unexpected end of text, expected ',' or '}'"},
      {"{\"a\" 1}", "expected ':'"},
      {"{a:1}", "expected a string key"},
      {"{\"a\":\"b}", "unterminated string"},
      {"{\"a\":tru}", "expected a value"},
      {"{\"a\":1.}", "malformed number"},
      {"{\"a\":1} x", "unexpected text after the object"},
      {"{\"a\":\"\\q\"}", "invalid escape in a string"},
      {"{\"a\":\"\x01\"}", "control character in a string"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    why = NULL;
    g_assert_false(pu_json_object(bad[i].line, strlen(bad[i].line), m, &why, &at));
    g_assert_cmpstr(why, ==, bad[i].why);
  }
  /* Nesting is bounded: 65 levels are refused, not recursed into. */
  g_autoptr(GString) deep = g_string_new("{\"a\":");
  for (int i = 0; i < 70; i++) g_string_append_c(deep, '[');
  for (int i = 0; i < 70; i++) g_string_append_c(deep, ']');
  g_string_append_c(deep, '}');
  g_assert_false(pu_json_object(deep->str, deep->len, m, &why, &at));
  g_assert_cmpstr(why, ==, "nested too deeply");
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/unify/normalize", test_normalize);
  g_test_add_func("/unify/json_object", test_json_object);
  return g_test_run();
}
