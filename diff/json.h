/* json.h - a small JSON tree, to read `persona_vm_explain`'s JSON (the
 * public API gives explanations as JSON text only) for the most changed
 * profiles of `persona diff` (explain.c).
 *
 * The parser accepts RFC 8259 JSON (nesting at most 64 deep) and nothing
 * else; it is used on a few explanations per run, so it favours brevity
 * over speed.
 *
 * Ownership: a tree is owned by its root (pd_json_free); the accessors
 * return borrowed nodes and strings.
 */
#ifndef PERSONA_DIFF_JSON_H
#define PERSONA_DIFF_JSON_H

#include <glib.h>

typedef enum { PD_JSON_NULL, PD_JSON_BOOL, PD_JSON_NUMBER, PD_JSON_STRING, PD_JSON_ARRAY, PD_JSON_OBJECT } PdJsonKind;

typedef struct PdJson {
  PdJsonKind kind;
  gboolean b;       /* BOOL */
  double n;         /* NUMBER */
  char *s;          /* STRING, unescaped UTF-8 */
  GPtrArray *items; /* ARRAY: PdJson*; OBJECT: the values, PdJson* */
  GPtrArray *keys;  /* OBJECT: char*, one per value */
} PdJson;

/* The tree of `text`, or NULL when it is not one well-formed JSON value.
 * Object members named in `skip` (NULL-terminated; may be NULL) are left
 * out of the tree: only their brackets and strings are checked (an
 * explanation's counted records and result are large and not needed). */
PdJson *pd_json_parse(const char *text, gsize len, const char *const *skip);
void pd_json_free(PdJson *j);

/* Member `key` of an object (the last when repeated), or NULL. */
const PdJson *pd_json_get(const PdJson *obj, const char *key);
/* Member `key` when it is a string / a boolean (FALSE otherwise) / a
 * number (NaN otherwise). */
const char *pd_json_str(const PdJson *obj, const char *key);
gboolean pd_json_bool(const PdJson *obj, const char *key);
double pd_json_num(const PdJson *obj, const char *key);
/* Elements of an array (0 and NULL for anything else). */
guint pd_json_len(const PdJson *arr);
const PdJson *pd_json_at(const PdJson *arr, guint i);

#endif
