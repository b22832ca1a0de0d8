/* fields_api.c - which schema fields a model reads, and a record reduced
 * to them (persona check --fields, persona run's stored records).
 *
 * "Read" is the decoder's own rule: a field is decoded when the checker
 * marked it used, or when it is the key (or `at`); every other field is
 * skipped unchecked (runtime/json_decode.c, which also reduces records:
 * pdec_reduce). So a record reduced to the read fields, in nested records
 * too, decodes to the same values, and evaluates the same.
 *
 * Ownership: names point into the model; the reduced record is appended
 * to the caller's GString.
 */
#include <string.h>

#include "persona.h"
#include "runtime/json_decode.h"
#include "runtime/json_write.h"
#include "runtime/model.h"

static const PDecodePlan *profile_plan(const PersonaModel *model) {
  const PModel *m = (const PModel *)model;
  return &m->plans[m->profile_plan];
}

gboolean persona_model_reduce_record(const PersonaModel *model, const char *json, gsize len, GString *out,
                                     GError **error) {
  g_return_val_if_fail(model && json && out, FALSE);
  char msg[320];
  if (pdec_reduce(profile_plan(model), json, len, out, msg, sizeof msg)) return TRUE;
  g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID, "%s", msg);
  return FALSE;
}

static void add_key(void *user, const char *key, size_t len) {
  g_ptr_array_add(user, g_strndup(key, len));
}

gboolean persona_json_object_keys(const char *json, gsize len, GPtrArray *keys, GError **error) {
  g_return_val_if_fail(json && keys, FALSE);
  char msg[320];
  if (pdec_object_keys(json, len, add_key, keys, msg, sizeof msg)) return TRUE;
  g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID, "%s", msg);
  return FALSE;
}
