/* eval_columns.c - `persona eval --select` and `--format jsonl|csv|tsv`:
 * chosen columns of each result — the key, tags, segments, scores and lifecycle
 * stages, read through the result accessors — as JSON Lines, CSV (RFC
 * 4180) or TSV. */
#include "cli.h"

#include <string.h>

/* COL_VALUE: a let or field (any expression), computed by the model as
 * column `index` (PersonaCompileOptions.columns). */
typedef enum { COL_ID, COL_TAG, COL_SEGMENT, COL_SCORE, COL_STAGE, COL_VALUE } ColumnKind;

typedef struct {
  ColumnKind kind;
  guint index;        /* among the model's tags, segments, scores or lifecycles */
  const char *name;   /* the model's (borrowed) */
  const char *header; /* the name, or the tag's label with --with-labels */
} Column;

struct PcliColumns {
  PersonaModel *model;
  PcliRowFormat format;
  GArray *cols; /* Column */
};

gboolean pcli_row_format_parse(const char *name, PcliRowFormat *out) {
  static const struct {
    const char *name;
    PcliRowFormat format;
  } formats[] = {{"jsonl", PCLI_ROWS_JSONL}, {"csv", PCLI_ROWS_CSV}, {"tsv", PCLI_ROWS_TSV}};
  for (gsize i = 0; i < G_N_ELEMENTS(formats); i++)
    if (strcmp(name, formats[i].name) == 0) {
      *out = formats[i].format;
      return TRUE;
    }
  return FALSE;
}

static void add(PcliColumns *c, ColumnKind kind, guint index, const char *name, const char *header) {
  Column col = {kind, index, name, header ? header : name};
  g_array_append_val(c->cols, col);
}

/* Every column: the key, each tag, each segment, each score, each lifecycle. */
static void add_all(PcliColumns *c, gboolean labels) {
  PersonaModel *m = c->model;
  add(c, COL_ID, 0, "id", NULL);
  for (guint i = 0; i < persona_model_n_items(m, PERSONA_ITEM_TAG); i++)
    add(c, COL_TAG, i, persona_model_item_name(m, PERSONA_ITEM_TAG, i), labels ? persona_model_tag_label(m, i) : NULL);
  for (guint i = 0; i < persona_model_n_items(m, PERSONA_ITEM_SEGMENT); i++)
    add(c, COL_SEGMENT, i, persona_model_item_name(m, PERSONA_ITEM_SEGMENT, i),
        labels ? persona_model_item_label(m, PERSONA_ITEM_SEGMENT, i) : NULL);
  for (guint i = 0; i < persona_model_n_items(m, PERSONA_ITEM_SCORE); i++) add(c, COL_SCORE, i, persona_model_item_name(m, PERSONA_ITEM_SCORE, i), NULL);
  for (guint i = 0; i < persona_model_n_items(m, PERSONA_ITEM_LIFECYCLE); i++)
    add(c, COL_STAGE, i, persona_model_item_name(m, PERSONA_ITEM_LIFECYCLE, i), NULL);
}

char **pcli_column_names(const char *select) {
  if (!select) return NULL;
  g_auto(GStrv) names = g_strsplit(select, ",", -1);
  GPtrArray *out = g_ptr_array_new();
  for (guint i = 0; names[i]; i++) {
    g_strstrip(names[i]);
    if (strcmp(names[i], "id") != 0) g_ptr_array_add(out, g_strdup(names[i]));
  }
  g_ptr_array_add(out, NULL);
  return (char **)g_ptr_array_free(out, FALSE);
}

/* One name of --select: the key, a tag, a segment, a score, a lifecycle,
 * or else the model's column `value_index` (a let or a field). */
static gboolean add_named(PcliColumns *c, const char *name, guint value_index, gboolean labels, GError **error) {
  PersonaModel *m = c->model;
  if (strcmp(name, "id") == 0) {
    add(c, COL_ID, 0, "id", NULL);
    return TRUE;
  }
  for (guint i = 0; i < persona_model_n_items(m, PERSONA_ITEM_TAG); i++)
    if (strcmp(name, persona_model_item_name(m, PERSONA_ITEM_TAG, i)) == 0) {
      add(c, COL_TAG, i, persona_model_item_name(m, PERSONA_ITEM_TAG, i), labels ? persona_model_tag_label(m, i) : NULL);
      return TRUE;
    }
  for (guint i = 0; i < persona_model_n_items(m, PERSONA_ITEM_SEGMENT); i++)
    if (strcmp(name, persona_model_item_name(m, PERSONA_ITEM_SEGMENT, i)) == 0) {
      add(c, COL_SEGMENT, i, persona_model_item_name(m, PERSONA_ITEM_SEGMENT, i),
          labels ? persona_model_item_label(m, PERSONA_ITEM_SEGMENT, i) : NULL);
      return TRUE;
    }
  for (guint i = 0; i < persona_model_n_items(m, PERSONA_ITEM_SCORE); i++)
    if (strcmp(name, persona_model_item_name(m, PERSONA_ITEM_SCORE, i)) == 0) {
      add(c, COL_SCORE, i, persona_model_item_name(m, PERSONA_ITEM_SCORE, i), NULL);
      return TRUE;
    }
  for (guint i = 0; i < persona_model_n_items(m, PERSONA_ITEM_LIFECYCLE); i++)
    if (strcmp(name, persona_model_item_name(m, PERSONA_ITEM_LIFECYCLE, i)) == 0) {
      add(c, COL_STAGE, i, persona_model_item_name(m, PERSONA_ITEM_LIFECYCLE, i), NULL);
      return TRUE;
    }
  if (value_index < persona_model_n_columns(m)) {
    add(c, COL_VALUE, value_index, g_intern_string(name), NULL); /* the name outlives --select's text */
    return TRUE;
  }
  g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID,
              "--select: '%s' is not a column: name id, a tag, a segment, a score, a lifecycle, a let or a field "
              "of the model (lets and fields need the model's source, not bytecode)", name);
  return FALSE;
}

PcliColumns *pcli_columns_new(PersonaModel *model, const char *select, PcliRowFormat format, gboolean labels,
                              GError **error) {
  PcliColumns *c = g_new0(PcliColumns, 1);
  c->model = persona_model_ref(model);
  c->format = format;
  c->cols = g_array_new(FALSE, FALSE, sizeof(Column));
  if (!select) {
    add_all(c, labels);
    return c;
  }
  g_auto(GStrv) names = g_strsplit(select, ",", -1);
  guint value_index = 0; /* the position among the names other than id, as pcli_column_names() */
  for (guint i = 0; names[i]; i++) {
    g_strstrip(names[i]);
    gboolean is_id = strcmp(names[i], "id") == 0;
    if (!add_named(c, names[i], value_index, labels, error)) {
      pcli_columns_free(c);
      return NULL;
    }
    if (!is_id) value_index++;
  }
  return c;
}

void pcli_columns_free(PcliColumns *c) {
  if (!c) return;
  g_array_free(c->cols, TRUE);
  persona_model_unref(c->model);
  g_free(c);
}

/* ---- one value in each format ---------------------------------------------------- */

/* RFC 4180: a field with a comma, quote or line break is quoted, its
 * quotes doubled. */
static void csv_field(GString *out, const char *s, gsize len) {
  gboolean quote = FALSE;
  for (gsize i = 0; i < len && !quote; i++) quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
  if (!quote) {
    g_string_append_len(out, s, (gssize)len);
    return;
  }
  g_string_append_c(out, '"');
  for (gsize i = 0; i < len; i++) {
    if (s[i] == '"') g_string_append_c(out, '"');
    g_string_append_c(out, s[i]);
  }
  g_string_append_c(out, '"');
}

/* TSV has no quoting: a tab, line break or backslash is escaped as \t, \n,
 * \r, \\ (the convention of PostgreSQL's text format and linear TSV). */
static void tsv_field(GString *out, const char *s, gsize len) {
  for (gsize i = 0; i < len; i++) {
    switch (s[i]) {
    case '\t': g_string_append(out, "\\t"); break;
    case '\n': g_string_append(out, "\\n"); break;
    case '\r': g_string_append(out, "\\r"); break;
    case '\\': g_string_append(out, "\\\\"); break;
    default: g_string_append_c(out, s[i]);
    }
  }
}

static void field(const PcliColumns *c, GString *out, const char *s, gsize len) {
  if (c->format == PCLI_ROWS_CSV) csv_field(out, s, len);
  else tsv_field(out, s, len);
}

/* The key as text: a string key unquoted, an integer as digits. */
static void key_text(const PersonaResult *r, GString *out) {
  GString *json = g_string_new(NULL);
  persona_result_id_json(r, json);
  if (json->len >= 2 && json->str[0] == '"') {
    /* Undo the JSON escapes of a string key (\" \\ \n \uXXXX …). */
    g_autofree char *raw = g_strcompress(json->str + 1);
    raw[strlen(raw) - 1] = '\0'; /* the closing quote */
    g_string_append(out, raw);
  } else {
    g_string_append_len(out, json->str, (gssize)json->len);
  }
  g_string_free(json, TRUE);
}

/* A JSON value as a CSV/TSV cell: a string without its quotes and escapes,
 * null as an empty cell, anything else (numbers, booleans, lists) as
 * written. */
static void json_as_text(const GString *json, GString *out) {
  if (strcmp(json->str, "null") == 0) return;
  if (json->len >= 2 && json->str[0] == '"') {
    g_autofree char *raw = g_strcompress(json->str + 1);
    raw[strlen(raw) - 1] = '\0'; /* the closing quote */
    g_string_append(out, raw);
    return;
  }
  g_string_append_len(out, json->str, (gssize)json->len);
}

static const char *stage_of(const PersonaResult *r, guint lifecycle) {
  return persona_result_stage(r, lifecycle);
}

/* A column's value as JSON (jsonl) or as text (csv, tsv). */
static void value(const PcliColumns *c, const Column *col, const PersonaResult *r, GString *out) {
  gboolean json = c->format == PCLI_ROWS_JSONL;
  GString *text = g_string_new(NULL);
  switch (col->kind) {
  case COL_ID:
    if (json) persona_result_id_json(r, out);
    else key_text(r, text);
    break;
  case COL_TAG: g_string_append(json ? out : text, persona_result_has_tag(r, col->name) ? "true" : "false"); break;
  case COL_SEGMENT:
    g_string_append(json ? out : text, persona_result_has_segment(r, col->name) ? "true" : "false");
    break;
  case COL_SCORE: persona_json_append_number(json ? out : text, persona_result_score_value(r, col->index)); break;
  case COL_STAGE:
    if (json) persona_json_append_string(out, stage_of(r, col->index), -1);
    else g_string_append(text, stage_of(r, col->index));
    break;
  case COL_VALUE:
    if (json) {
      persona_result_column_json(r, col->index, out);
    } else {
      GString *v = g_string_new(NULL);
      persona_result_column_json(r, col->index, v);
      json_as_text(v, text);
      g_string_free(v, TRUE);
    }
    break;
  }
  if (!json) field(c, out, text->str, text->len);
  g_string_free(text, TRUE);
}

gboolean pcli_columns_keep_errors(const PcliColumns *c) { return c->format == PCLI_ROWS_JSONL; }

void pcli_columns_header(const PcliColumns *c, GString *out) {
  if (c->format == PCLI_ROWS_JSONL) return;
  for (guint i = 0; i < c->cols->len; i++) {
    const Column *col = &g_array_index(c->cols, Column, i);
    if (i) g_string_append_c(out, c->format == PCLI_ROWS_CSV ? ',' : '\t');
    field(c, out, col->header, strlen(col->header));
  }
  g_string_append(out, c->format == PCLI_ROWS_CSV ? "\r\n" : "\n");
}

void pcli_columns_row(const PcliColumns *c, const PersonaResult *r, GString *out) {
  gboolean json = c->format == PCLI_ROWS_JSONL;
  if (json) g_string_append_c(out, '{');
  for (guint i = 0; i < c->cols->len; i++) {
    const Column *col = &g_array_index(c->cols, Column, i);
    if (json) {
      if (i) g_string_append_c(out, ',');
      persona_json_append_string(out, col->header, -1);
      g_string_append_c(out, ':');
    } else if (i) {
      g_string_append_c(out, c->format == PCLI_ROWS_CSV ? ',' : '\t');
    }
    value(c, col, r, out);
  }
  g_string_append(out, json ? "}\n" : c->format == PCLI_ROWS_CSV ? "\r\n" : "\n");
}

/* ---- --group-by: how many results per value of one column ----------------------- */

struct PcliGroups {
  PcliColumns *key;
  GHashTable *counts; /* row text (with its line end) -> guint64 * */
};

PcliGroups *pcli_groups_new(PcliColumns *key) {
  PcliGroups *g = g_new0(PcliGroups, 1);
  g->key = key;
  g->counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  return g;
}

void pcli_groups_free(PcliGroups *g) {
  if (!g) return;
  g_hash_table_destroy(g->counts);
  pcli_columns_free(g->key);
  g_free(g);
}

void pcli_groups_add(PcliGroups *g, const PersonaResult *r) {
  GString *row = g_string_new(NULL);
  pcli_columns_row(g->key, r, row);
  guint64 *n = g_hash_table_lookup(g->counts, row->str);
  if (!n) {
    n = g_new0(guint64, 1);
    g_hash_table_insert(g->counts, g_strdup(row->str), n);
  }
  (*n)++;
  g_string_free(row, TRUE);
}

typedef struct {
  const char *row;
  guint64 n;
} Group;

/* Most results first; equal counts in byte order of the value. */
static int by_count(const void *a, const void *b) {
  const Group *x = a, *y = b;
  if (x->n != y->n) return x->n < y->n ? 1 : -1;
  return strcmp(x->row, y->row);
}

/* A row without its line end, then the count in the row's format. */
static void group_line(const PcliColumns *c, const char *row, const char *count_json, GString *out) {
  gsize len = strlen(row);
  const char *end = c->format == PCLI_ROWS_JSONL ? "}\n" : c->format == PCLI_ROWS_CSV ? "\r\n" : "\n";
  len -= strlen(end);
  g_string_append_len(out, row, (gssize)len);
  if (c->format == PCLI_ROWS_JSONL) g_string_append_printf(out, ",\"count\":%s", count_json);
  else g_string_append_printf(out, "%c%s", c->format == PCLI_ROWS_CSV ? ',' : '\t', count_json);
  g_string_append(out, end);
}

void pcli_groups_write(const PcliGroups *g, GString *out) {
  if (g->key->format != PCLI_ROWS_JSONL) {
    GString *header = g_string_new(NULL);
    pcli_columns_header(g->key, header);
    group_line(g->key, header->str, "count", out);
    g_string_free(header, TRUE);
  }
  GArray *groups = g_array_new(FALSE, FALSE, sizeof(Group));
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, g->counts);
  while (g_hash_table_iter_next(&it, &k, &v)) {
    Group gr = {k, *(guint64 *)v};
    g_array_append_val(groups, gr);
  }
  g_array_sort(groups, by_count);
  for (guint i = 0; i < groups->len; i++) {
    const Group *gr = &g_array_index(groups, Group, i);
    char n[32];
    g_snprintf(n, sizeof n, "%" G_GUINT64_FORMAT, gr->n);
    group_line(g->key, gr->row, n, out);
  }
  g_array_free(groups, TRUE);
}
