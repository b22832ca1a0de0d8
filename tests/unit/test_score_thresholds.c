/* test_score_thresholds.c - persona_model_score_threshold lists the
 * constants each score is compared with: in tags, transitions and lets,
 * turned round when written `constant OP score`, through a const and a
 * constant expression, each once, in source order; not equality, not a
 * comparison with a non-constant; none after a bytecode round trip. */
#include <string.h>

#include <glib.h>

#include "persona.h"

static const char *const MODEL =
    "model t version \"1\"\n"
    "schema {\n id: string key\n n: int = 0\n}\n"
    "const hot = 60\n"
    "score fit { +10 when n > 3 }\n"
    "score other { +1 when n > 0 }\n"
    "tag high when fit >= hot\n"
    "tag low when 20 > fit\n"
    "tag again when fit >= 60\n"
    "tag eq when fit == 5\n"
    "tag vs when fit > other\n"
    "let half = fit <= 2 * 25\n"
    "lifecycle f {\n initial a\n a -> b when half and other >= 1.5\n}\n";

static void test_thresholds(void) {
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaModel) m = persona_compile_source("t.persona", MODEL, strlen(MODEL), NULL, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(persona_model_score_n_thresholds(m, 0), ==, 3);
  const char *want_op[] = {">=", "<", "<="};
  double want_value[] = {60, 20, 50};
  for (guint k = 0; k < 3; k++) {
    const char *op = NULL;
    double v = 0;
    g_assert_true(persona_model_score_threshold(m, 0, k, &op, &v));
    g_assert_cmpstr(op, ==, want_op[k]);
    g_assert_cmpfloat(v, ==, want_value[k]);
  }
  g_assert_false(persona_model_score_threshold(m, 0, 3, NULL, NULL));
  g_assert_cmpuint(persona_model_score_n_thresholds(m, 1), ==, 1);
  const char *op = NULL;
  double v = 0;
  g_assert_true(persona_model_score_threshold(m, 1, 0, &op, &v));
  g_assert_cmpstr(op, ==, ">=");
  g_assert_cmpfloat(v, ==, 1.5);
  g_assert_cmpuint(persona_model_score_n_thresholds(m, 2), ==, 0);
  g_autoptr(GBytes) pbc = persona_model_to_bytecode(m, &error);
  g_assert_no_error(error);
  g_autoptr(PersonaModel) loaded =
      persona_model_from_bytecode(g_bytes_get_data(pbc, NULL), g_bytes_get_size(pbc), &error);
  g_assert_no_error(error);
  g_assert_cmpuint(persona_model_score_n_thresholds(loaded, 0), ==, 0);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/api/model/score-thresholds", test_thresholds);
  return g_test_run();
}
