/* fields_api.c - which schema fields a model reads, and a record reduced
 * to them (persona check --fields, persona run's stored records).
 *
 * "Read" is the decoder's own rule: a field is decoded when the checker
 * marked it used, or when it is the key (or `at`); every other field is
 * skipped unchecked (runtime/json_decode.c). So a record reduced to the
 * read fields decodes to the same values, and evaluates the same.
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

static gboolean field_read(const PDecodePlan *plan, guint i) {
  return plan->fields[i].used || (int)i == plan->key_field || (int)i == plan->at_field;
}

gboolean persona_model_reduce_record(const PersonaModel *model, const char *json, gsize len, GString *out,
                                     GError **error) {
  g_return_val_if_fail(model && json && out, FALSE);
  const PDecodePlan *plan = profile_plan(model);
  const char **keys = g_new0(const char *, plan->n_fields + 1);
  guint *index = g_new0(guint, plan->n_fields + 1);
  guint n = 0;
  for (guint i = 0; i < plan->n_fields; i++) {
    if (!field_read(plan, i)) continue;
    keys[n] = plan->fields[i].name;
    index[n++] = i;
  }
  PDecodeSpan *spans = g_new0(PDecodeSpan, n + 1);
  char msg[320];
  gboolean ok = pdec_object_spans(json, len, keys, n, spans, msg, sizeof msg);
  if (!ok) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID, "%s", msg);
  } else {
    g_string_append_c(out, '{');
    gboolean first = TRUE;
    for (guint k = 0; k < n; k++) {
      if (!spans[k].found) continue;
      if (!first) g_string_append_c(out, ',');
      first = FALSE;
      const PDecodeField *f = &plan->fields[index[k]];
      pjw_string(out, f->name, f->name_len);
      g_string_append_c(out, ':');
      g_string_append_len(out, json + spans[k].offset, (gssize)spans[k].len);
    }
    g_string_append_c(out, '}');
  }
  g_free(spans);
  g_free(index);
  g_free(keys);
  return ok;
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
