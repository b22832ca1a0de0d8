/* cmd_check_fields.c - `persona check MODEL --fields [PROFILES…]`: the
 * schema fields the model reads and which are pii, and, given profiles,
 * the input fields it ignores (collect only what the model needs).
 *
 * Ownership: everything here is local to one call; the model is the
 * caller's.
 */
#include "cli.h"

#include <string.h>

/* An input key the model does not read, and in how many records it was. */
typedef struct {
  char *name;
  guint64 records;
  int field; /* schema field index, or -1 when the schema does not name it */
} Ignored;

typedef struct {
  GPtrArray *ignored;  /* Ignored*, in order of first appearance */
  GHashTable *by_name; /* name -> Ignored* */
  guint64 records, not_objects;
} Scan;

static void ignored_free(gpointer p) {
  Ignored *ig = p;
  g_free(ig->name);
  g_free(ig);
}

static int schema_field(const PersonaModel *model, const char *name) {
  guint n = persona_model_n_fields(model);
  for (guint i = 0; i < n; i++) {
    PersonaField f;
    persona_model_field(model, i, &f);
    if (strcmp(f.name, name) == 0) return (int)i;
  }
  return -1;
}

/* Counts each key of one record that the model does not read (once per
 * record, even when the record repeats it). */
static void scan_record(const PersonaModel *model, Scan *s, const char *line, gsize len) {
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
  if (!persona_json_object_keys(line, len, keys, NULL)) {
    s->not_objects++;
    return;
  }
  s->records++;
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; i < keys->len; i++) {
    const char *k = g_ptr_array_index(keys, i);
    if (!g_hash_table_add(seen, (gpointer)k)) continue;
    int fi = schema_field(model, k);
    if (fi >= 0) {
      PersonaField f;
      persona_model_field(model, (guint)fi, &f);
      if (f.read) continue;
    }
    Ignored *ig = g_hash_table_lookup(s->by_name, k);
    if (!ig) {
      ig = g_new0(Ignored, 1);
      ig->name = g_strdup(k);
      ig->field = fi;
      g_ptr_array_add(s->ignored, ig);
      g_hash_table_insert(s->by_name, ig->name, ig);
    }
    ig->records++;
  }
}

static gboolean scan_file(const PersonaModel *model, Scan *s, const char *path) {
  PersonaLineReader *r = NULL;
  g_autoptr(GError) error = NULL;
  if (!(r = persona_line_reader_open(path, &error))) {
    pcli_error("%s", error->message);
    return FALSE;
  }
  const char *line;
  gsize len;
  while (persona_line_reader_next(r, &line, &len, &error)) {
    if (persona_line_reader_too_long(r, NULL) || len == 0) {
      s->not_objects++;
      continue;
    }
    scan_record(model, s, line, len);
  }
  persona_line_reader_free(r);
  if (error) {
    pcli_error("%s", error->message);
    return FALSE;
  }
  return TRUE;
}

static void text_report(const PersonaModel *model, const Scan *s, gboolean scanned, GString *out) {
  guint n = persona_model_n_fields(model);
  int width = 5;
  for (guint i = 0; i < n; i++) {
    PersonaField f;
    persona_model_field(model, i, &f);
    width = MAX(width, (int)g_utf8_strlen(f.name, -1));
  }
  for (guint i = 0; s && i < s->ignored->len; i++)
    width = MAX(width, (int)g_utf8_strlen(((Ignored *)g_ptr_array_index(s->ignored, i))->name, -1));
  g_string_append_printf(out, "%-*s  read  pii\n", width, "field");
  for (guint i = 0; i < n; i++) {
    PersonaField f;
    persona_model_field(model, i, &f);
    int pad = width - (int)g_utf8_strlen(f.name, -1);
    g_string_append_printf(out, "%s%*s  %-4s  %s\n", f.name, pad, "", f.key ? "key" : f.read ? "yes" : "no",
                           f.pii ? "pii" : "-");
  }
  if (!scanned) return;
  g_string_append_printf(out, "\n%" G_GUINT64_FORMAT " record%s read", s->records, s->records == 1 ? "" : "s");
  if (s->not_objects)
    g_string_append_printf(out, " (%" G_GUINT64_FORMAT " %s skipped)", s->not_objects,
                           s->not_objects == 1 ? "line that is not a JSON object" : "lines that are not JSON objects");
  if (s->ignored->len == 0) {
    g_string_append(out, "; the model reads every field they carry\n");
    return;
  }
  g_string_append(out, "; fields they carry that the model ignores (need they be collected?):\n");
  for (guint i = 0; i < s->ignored->len; i++) {
    const Ignored *ig = g_ptr_array_index(s->ignored, i);
    int pad = width - (int)g_utf8_strlen(ig->name, -1);
    g_string_append_printf(out, "%s%*s  in %" G_GUINT64_FORMAT " record%s, %s\n", ig->name, pad, "",
                           ig->records, ig->records == 1 ? "" : "s",
                           ig->field >= 0 ? "in the schema but never read" : "not in the schema");
  }
}

static void json_report(const PersonaModel *model, const Scan *s, gboolean scanned, GString *out) {
  g_string_append(out, "{\"fields\":[");
  guint n = persona_model_n_fields(model);
  for (guint i = 0; i < n; i++) {
    PersonaField f;
    persona_model_field(model, i, &f);
    if (i) g_string_append_c(out, ',');
    g_string_append(out, "{\"name\":");
    persona_json_append_string(out, f.name, -1);
    g_string_append_printf(out, ",\"read\":%s,\"pii\":%s,\"key\":%s}", f.read ? "true" : "false",
                           f.pii ? "true" : "false", f.key ? "true" : "false");
  }
  g_string_append_c(out, ']');
  if (scanned) {
    g_string_append_printf(out, ",\"records\":%" G_GUINT64_FORMAT ",\"not_objects\":%" G_GUINT64_FORMAT
                                ",\"ignored\":[", s->records, s->not_objects);
    for (guint i = 0; i < s->ignored->len; i++) {
      const Ignored *ig = g_ptr_array_index(s->ignored, i);
      if (i) g_string_append_c(out, ',');
      g_string_append(out, "{\"name\":");
      persona_json_append_string(out, ig->name, -1);
      g_string_append_printf(out, ",\"records\":%" G_GUINT64_FORMAT ",\"in_schema\":%s}", ig->records,
                             ig->field >= 0 ? "true" : "false");
    }
    g_string_append_c(out, ']');
  }
  g_string_append(out, "}\n");
}

int pcli_check_fields(const PersonaModel *model, char **profiles, guint n_profiles, gboolean json) {
  Scan s = {
      .ignored = g_ptr_array_new_with_free_func(ignored_free),
      .by_name = g_hash_table_new(g_str_hash, g_str_equal),
  };
  gboolean ok = TRUE;
  for (guint i = 0; i < n_profiles && ok; i++) ok = scan_file(model, &s, profiles[i]);
  if (ok) {
    g_autoptr(GString) out = g_string_new(NULL);
    if (json) json_report(model, &s, n_profiles > 0, out);
    else text_report(model, &s, n_profiles > 0, out);
    fwrite(out->str, 1, out->len, stdout);
  }
  g_hash_table_unref(s.by_name);
  g_ptr_array_unref(s.ignored);
  return ok ? PCLI_EXIT_OK : PCLI_EXIT_FAIL;
}
