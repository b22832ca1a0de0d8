/* test_json_tree.c - profiles read from a host's tree (persona_vm_eval_tree)
 * against the same profiles as JSON text (persona_vm_eval), for the shipped
 * models: every record either gives the same result, byte for byte, or is
 * declined, and only a record whose text is a record error is declined.
 *
 * The host here is a small tree of parsed JSON (as PostgreSQL's jsonb is
 * one): keys unescaped, a later duplicate key replacing an earlier one,
 * numbers kept as spelled. The text given to the text decoder is the
 * tree printed back as compact JSON, as the PostgreSQL extension prints
 * jsonb. Records: examples/profiles.jsonl, the extension's edge cases,
 * hand-made ones (deep nesting, escapes, numbers as times, future events)
 * and mutations of real profiles (each top-level value in turn replaced by
 * a value of every other JSON type).
 */
#include <string.h>

#include <glib.h>

#include "persona.h"
#include "runtime/json_decode_impl.h"
#include "runtime/json_write.h"

typedef struct Node {
  PersonaNodeKind kind;
  gboolean b;
  char *text; /* string value (unescaped) or number spelling */
  gsize len;
  GPtrArray *items; /* array: elements; object: key, value, key, value … */
} Node;

static void node_free(gpointer p) {
  Node *n = p;
  if (!n) return;
  g_free(n->text);
  if (n->items) g_ptr_array_unref(n->items);
  g_free(n);
}

static Node *node_new(PersonaNodeKind kind) {
  Node *n = g_new0(Node, 1);
  n->kind = kind;
  if (kind == PERSONA_NODE_ARRAY || kind == PERSONA_NODE_OBJECT) n->items = g_ptr_array_new_with_free_func(node_free);
  return n;
}

/* ---- a small parser of valid JSON into Nodes ---------------------------------- */

static const char *ws(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')) p++;
  return p;
}

/* A scalar token at *p: its end by the library's own skipper, a string's
 * value by its own scalar decoder. */
static Node *parse_scalar(const char **p, const char *end) {
  const char *e = pdec_skip_json(*p, end, 0);
  if (!e) return NULL;
  Node *n;
  if (**p == '"') {
    PArena arena;
    pa_init(&arena, 0);
    PValue v;
    char err[128];
    if (!pdec_scalar(*p, (size_t)(e - *p), PDT_STRING, &arena, &v, err, sizeof err)) {
      pa_free(&arena);
      return NULL;
    }
    n = node_new(PERSONA_NODE_STRING);
    n->text = g_strndup(v.u.s, v.len);
    n->len = v.len;
    pa_free(&arena);
  } else if (**p == 't' || **p == 'f') {
    n = node_new(PERSONA_NODE_BOOL);
    n->b = **p == 't';
  } else if (**p == 'n') {
    n = node_new(PERSONA_NODE_NULL);
  } else {
    n = node_new(PERSONA_NODE_NUMBER);
    n->text = g_strndup(*p, (gsize)(e - *p));
    n->len = (gsize)(e - *p);
  }
  *p = e;
  return n;
}

static Node *parse_value(const char **p, const char *end);

static Node *parse_container(const char **p, const char *end) {
  bool object = **p == '{';
  char close = object ? '}' : ']';
  Node *n = node_new(object ? PERSONA_NODE_OBJECT : PERSONA_NODE_ARRAY);
  *p = ws(*p + 1, end);
  if (*p < end && **p == close) {
    (*p)++;
    return n;
  }
  for (;;) {
    Node *key = NULL;
    if (object) {
      *p = ws(*p, end);
      if (*p >= end || **p != '"' || !(key = parse_scalar(p, end))) goto bad;
      *p = ws(*p, end);
      if (*p >= end || **p != ':') goto bad;
      (*p)++;
    }
    Node *v = parse_value(p, end);
    if (!v) {
      node_free(key);
      goto bad;
    }
    if (object) { /* a later duplicate replaces the earlier one */
      for (guint i = 0; i < n->items->len; i += 2) {
        Node *k = g_ptr_array_index(n->items, i);
        if (k->len == key->len && memcmp(k->text, key->text, k->len) == 0) {
          g_ptr_array_remove_range(n->items, i, 2);
          break;
        }
      }
      g_ptr_array_add(n->items, key);
    }
    g_ptr_array_add(n->items, v);
    *p = ws(*p, end);
    if (*p < end && **p == ',') {
      (*p)++;
      continue;
    }
    if (*p < end && **p == close) {
      (*p)++;
      return n;
    }
    goto bad;
  }
bad:
  node_free(n);
  return NULL;
}

static Node *parse_value(const char **p, const char *end) {
  *p = ws(*p, end);
  if (*p >= end) return NULL;
  return **p == '{' || **p == '[' ? parse_container(p, end) : parse_scalar(p, end);
}

static Node *parse(const char *text) {
  const char *p = text, *end = text + strlen(text);
  Node *n = parse_value(&p, end);
  if (n && ws(p, end) != end) {
    node_free(n);
    return NULL;
  }
  return n;
}

/* The tree as compact JSON text. */
static void print(const Node *n, GString *out) {
  switch (n->kind) {
  case PERSONA_NODE_NULL: g_string_append(out, "null"); break;
  case PERSONA_NODE_BOOL: g_string_append(out, n->b ? "true" : "false"); break;
  case PERSONA_NODE_NUMBER: g_string_append_len(out, n->text, (gssize)n->len); break;
  case PERSONA_NODE_STRING: pjw_string(out, n->text, n->len); break;
  case PERSONA_NODE_ARRAY:
  case PERSONA_NODE_OBJECT: {
    bool object = n->kind == PERSONA_NODE_OBJECT;
    g_string_append_c(out, object ? '{' : '[');
    for (guint i = 0; i < n->items->len; i++) {
      if (i) g_string_append_c(out, object && i % 2 ? ':' : ',');
      print(g_ptr_array_index(n->items, i), out);
    }
    g_string_append_c(out, object ? '}' : ']');
    break;
  }
  }
}

/* ---- the reader over Nodes --------------------------------------------------------- */

static guint member_calls;

static PersonaNodeKind r_kind(gpointer ctx, gconstpointer node) { return ((const Node *)node)->kind; }
static gboolean r_boolean(gpointer ctx, gconstpointer node) { return ((const Node *)node)->b; }
static const char *r_text(gpointer ctx, gconstpointer node, gsize *len) {
  *len = ((const Node *)node)->len;
  return ((const Node *)node)->text;
}
static guint r_length(gpointer ctx, gconstpointer node) { return ((const Node *)node)->items->len; }
static gconstpointer r_element(gpointer ctx, gconstpointer node, guint i) {
  return g_ptr_array_index(((const Node *)node)->items, i);
}
static gconstpointer r_member(gpointer ctx, gconstpointer node, const char *key, gsize len) {
  const Node *n = node;
  member_calls++;
  for (guint i = 0; i < n->items->len; i += 2) {
    const Node *k = g_ptr_array_index(n->items, i);
    if (k->len == len && memcmp(k->text, key, len) == 0) return g_ptr_array_index(n->items, i + 1);
  }
  return NULL;
}
static guint depth_of(const Node *n) {
  guint d = 0;
  if (!n->items) return 0;
  for (guint i = 0; i < n->items->len; i++) {
    guint below = depth_of(g_ptr_array_index(n->items, i));
    if (below > d) d = below;
  }
  return d + 1;
}
static gboolean r_deeper_than(gpointer ctx, gconstpointer node, guint levels) {
  return depth_of(node) > levels;
}

static const PersonaTreeReader reader = {r_kind, r_boolean, r_text, r_length,
                                         r_element, r_member, r_deeper_than};

/* The walk of an object's members (persona_vm_eval_tree_walk), in the
 * tree's order, or backwards when ctx is not NULL: a walk may hand the
 * members over in any order. */
static guint walk_calls;
static gboolean r_members(gpointer ctx, gconstpointer node, PersonaTreeVisit visit, gpointer walk) {
  const Node *n = node;
  guint pairs = n->items->len / 2;
  walk_calls++;
  for (guint j = 0; j < pairs; j++) {
    guint i = ctx ? pairs - 1 - j : j;
    const Node *k = g_ptr_array_index(n->items, 2 * i);
    if (!visit(walk, k->text, k->len, g_ptr_array_index(n->items, 2 * i + 1))) return FALSE;
  }
  return TRUE;
}

/* ---- the comparison ------------------------------------------------------------------ */

typedef struct {
  guint same, declined, errors;
} Tally;

#define NOW_US G_GINT64_CONSTANT(1769904000000000) /* 2026-02-01T00:00:00Z */

/* The same record walked, forwards and backwards (a VM remembers the
 * order of the last walk: the second walk contradicts it): the status and
 * the bytes of the lookups, and no lookup made. */
static void compare_walks(PersonaVM *vm, const Node *tree, PersonaEvalStatus by_tree, const char *want) {
  for (int backwards = 0; backwards < 2; backwards++) {
    const PersonaResult *r = NULL;
    guint members_before = member_calls, walks_before = walk_calls;
    PersonaEvalStatus by_walk = persona_vm_eval_tree_walk(vm, &reader, r_members, backwards ? vm : NULL, tree,
                                                          NULL, 0, NOW_US, &r);
    g_assert_cmpuint(member_calls, ==, members_before);
    if (by_walk != PERSONA_EVAL_DECLINED) g_assert_cmpuint(walk_calls, >, walks_before); /* decoded: walked */
    g_autoptr(GString) got = g_string_new(NULL);
    if (by_walk == PERSONA_EVAL_OK) persona_result_to_json(r, got);
    else if (by_walk != PERSONA_EVAL_DECLINED) g_string_append(got, persona_result_error(r));
    if (by_walk != by_tree || (by_walk != PERSONA_EVAL_DECLINED && !g_str_equal(got->str, want)))
      g_error("walked %s, the walk gives status %d\n  %s\nthe lookups status %d\n  %s",
              backwards ? "backwards" : "forwards", by_walk, got->str, by_tree, want);
  }
}

/* One record both ways; the tree must agree or decline, and decline only
 * a record error. The walk agrees with the lookups. */
static void compare(PersonaVM *vm, const Node *tree, Tally *tally) {
  g_autoptr(GString) text = g_string_new(NULL);
  print(tree, text);
  const PersonaResult *r = NULL;
  PersonaEvalStatus by_text = persona_vm_eval(vm, text->str, text->len, NULL, 0, NOW_US, &r);
  g_autoptr(GString) want = g_string_new(NULL);
  if (by_text == PERSONA_EVAL_OK) persona_result_to_json(r, want);
  else g_string_append(want, persona_result_error(r));

  PersonaEvalStatus by_tree = persona_vm_eval_tree(vm, &reader, NULL, tree, NULL, 0, NOW_US, &r);
  if (by_tree == PERSONA_EVAL_DECLINED) {
    if (by_text != PERSONA_EVAL_RECORD_ERROR) g_error("declined, but its text evaluates: %s", text->str);
    compare_walks(vm, tree, by_tree, "");
    tally->declined++;
    return;
  }
  g_autoptr(GString) got = g_string_new(NULL);
  if (by_tree == PERSONA_EVAL_OK) persona_result_to_json(r, got);
  else g_string_append(got, persona_result_error(r));
  if (by_tree != by_text || !g_str_equal(got->str, want->str))
    g_error("the tree gives\n  %s\nthe text %s gives\n  %s", got->str, text->str, want->str);
  compare_walks(vm, tree, by_tree, got->str);
  tally->same += by_tree == PERSONA_EVAL_OK;
  tally->errors += by_tree != PERSONA_EVAL_OK;
}

static PersonaModel *model(const char *name) {
  g_autofree char *path = g_build_filename(PERSONA_SOURCE_DIR, "examples", name, NULL);
  g_autoptr(GError) error = NULL;
  PersonaModel *m = persona_compile_file(path, NULL, NULL, &error);
  g_assert_no_error(error);
  return m;
}

static char **lines_of(const char *relative) {
  g_autofree char *path = g_build_filename(PERSONA_SOURCE_DIR, relative, NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, &error));
  return g_strsplit(text, "\n", -1);
}

/* Every profile of examples/profiles.jsonl, with both shipped models: all
 * read from the tree (none declined), the same bytes. */
static void test_profiles(void) {
  g_auto(GStrv) lines = lines_of("examples/profiles.jsonl");
  const char *models[] = {"b2b_lead.persona", "b2b_journeys.persona"};
  for (guint m = 0; m < G_N_ELEMENTS(models); m++) {
    g_autoptr(PersonaModel) pm = model(models[m]);
    g_autoptr(PersonaVM) vm = persona_vm_new(pm);
    Tally t = {0};
    for (guint i = 0; lines[i]; i++) {
      if (!lines[i][0]) continue;
      Node *tree = parse(lines[i]);
      g_assert_nonnull(tree);
      compare(vm, tree, &t);
      node_free(tree);
    }
    g_assert_cmpuint(t.same, ==, 3000);
    g_assert_cmpuint(t.declined, ==, 0);
  }
}

/* The extension's edge cases and hand-made records: each one agrees or is
 * declined as a record error; the clean ones are read from the tree. */
static void test_edge_cases(void) {
  g_autoptr(PersonaModel) pm = model("b2b_lead.persona");
  g_autoptr(PersonaVM) vm = persona_vm_new(pm);
  g_auto(GStrv) edge = lines_of("pg/test/data/edge.jsonl");
  Tally t = {0};
  for (guint i = 0; edge[i]; i++) {
    Node *tree = edge[i][0] ? parse(edge[i]) : NULL;
    if (!tree) continue; /* not JSON at all: a tree cannot hold it */
    compare(vm, tree, &t);
    node_free(tree);
  }
  g_test_message("edge.jsonl: %u the same, %u record errors, %u declined", t.same, t.errors, t.declined);
  g_assert_cmpuint(t.declined, >=, 8);
  g_assert_cmpuint(t.same, >=, 4);

  g_autofree char *deep128 = NULL, *deep129 = NULL;
  {
    g_autoptr(GString) a = g_string_new("{\"id\":\"d\",\"unused\":");
    g_autoptr(GString) b = g_string_new("{\"id\":\"d\",\"unused\":");
    for (int k = 0; k < 127; k++) g_string_append_c(a, '[');
    for (int k = 0; k < 127; k++) g_string_append_c(a, ']');
    for (int k = 0; k < 128; k++) g_string_append_c(b, '[');
    for (int k = 0; k < 128; k++) g_string_append_c(b, ']');
    g_string_append_c(a, '}');
    g_string_append_c(b, '}');
    deep128 = g_string_free(g_steal_pointer(&a), FALSE);
    deep129 = g_string_free(g_steal_pointer(&b), FALSE);
  }
  struct {
    const char *json;
    bool from_tree; /* read from the tree (else declined) */
  } cases[] = {
      {"{\"id\":\"h1\",\"employees\":5.0,\"budget_confirmed\":true}", true},
      {"{\"id\":\"h2\",\"employees\":1e3}", true},
      {"{\"id\":\"h3\",\"employees\":1.5}", false},
      {"{\"id\":\"h4\",\"employees\":99999999999999999999}", false},
      {"{\"\\u0069d\":\"h5\",\"title\":\"C\\u0054O\"}", true},
      {"{\"id\":\"h6\",\"events\":[{\"type\":\"visit\",\"at\":1769000000}]}", true},
      {"{\"id\":\"h7\",\"events\":[{\"type\":\"visit\",\"at\":\"2027-01-01T00:00:00Z\"}]}", true},
      {"{\"id\":\"h8\",\"events\":[null]}", false},
      {"{\"id\":\"h9\",\"events\":[{\"type\":\"visit\",\"at\":\"soon\"}]}", false},
      {"{\"id\":\"h10\",\"id\":\"h10b\"}", true},
      {"{\"id\":null}", false},
      {"{\"id\":7}", false}, /* the key is a string */
      {"{\"id\":\"h13\",\"unknown\":{\"deep\":[1,{\"x\":null}]}}", true},
      {deep128, true},
      {deep129, false},
      {"[{\"id\":\"h16\"}]", false},
      {"{}", false},
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    Node *tree = parse(cases[i].json);
    g_assert_nonnull(tree);
    Tally c = {0};
    compare(vm, tree, &c);
    if (c.declined != !cases[i].from_tree) g_error("case %u (%s): declined %u", i, cases[i].json, c.declined);
    node_free(tree);
  }
}

/* Real profiles with one top-level value replaced by each JSON type in
 * turn: hundreds of wrong types, nulls and missing values. */
static void test_mutations(void) {
  g_autoptr(PersonaModel) pm = model("b2b_journeys.persona");
  g_autoptr(PersonaVM) vm = persona_vm_new(pm);
  g_auto(GStrv) lines = lines_of("examples/profiles.jsonl");
  const char *replacements[] = {"null", "true", "0", "-2.5", "1e400", "\"x\"", "\"2026-01-05\"", "[]",
                                "[null]", "[{}]", "{}", "{\"at\":\"x\"}"};
  Tally t = {0};
  for (guint i = 0; lines[i] && i < 60; i++) {
    Node *tree = parse(lines[i]);
    g_assert_nonnull(tree);
    for (guint k = 1; k < tree->items->len; k += 2) {
      for (guint r = 0; r < G_N_ELEMENTS(replacements); r++) {
        Node *repl = parse(replacements[r]);
        Node *orig = tree->items->pdata[k];
        tree->items->pdata[k] = repl;
        compare(vm, tree, &t);
        tree->items->pdata[k] = orig;
        node_free(repl);
      }
    }
    node_free(tree);
  }
  g_test_message("mutations: %u the same, %u record errors, %u declined", t.same, t.errors, t.declined);
  g_assert_cmpuint(t.declined, >, 100);
  g_assert_cmpuint(t.same, >, 100);
}

/* Fields the model never reads are not looked up: a profile with many
 * keys costs a lookup per field read, not per key. */
static void test_only_read_fields(void) {
  g_autoptr(PersonaModel) pm = model("b2b_lead.persona");
  g_autoptr(PersonaVM) vm = persona_vm_new(pm);
  g_autoptr(GString) json = g_string_new("{\"id\":\"wide\"");
  for (int k = 0; k < 500; k++) g_string_append_printf(json, ",\"extra%d\":%d", k, k);
  g_string_append_c(json, '}');
  Node *tree = parse(json->str);
  Node *narrow = parse("{\"id\":\"wide\"}");
  const PersonaResult *r;
  member_calls = 0;
  g_assert_cmpint(persona_vm_eval_tree(vm, &reader, NULL, narrow, NULL, 0, NOW_US, &r), ==, PERSONA_EVAL_OK);
  guint narrow_calls = member_calls;
  member_calls = 0;
  g_assert_cmpint(persona_vm_eval_tree(vm, &reader, NULL, tree, NULL, 0, NOW_US, &r), ==, PERSONA_EVAL_OK);
  g_assert_cmpuint(member_calls, ==, narrow_calls);
  g_assert_cmpuint(narrow_calls, <, 20);
  node_free(tree);
  node_free(narrow);
}

/* A schema of 301 fields, more than a walk's memo holds (64 positions,
 * field numbers up to 254): walked and looked up alike, forwards and
 * backwards, with all fields, some absent, one of a wrong type. */
static void test_wide_schema(void) {
  g_autoptr(GString) src = g_string_new("model wide version \"1\"\nschema {\n  id: string key\n");
  for (int k = 0; k < 300; k++) g_string_append_printf(src, "  f%d: int = %d\n", k, k);
  g_string_append(src, "}\noutput { who: id, s: f0 + f63 + f64 + f200 + f254 + f299 }\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaModel) pm = persona_compile_source("wide.persona", src->str, src->len, NULL, NULL, &error);
  g_assert_no_error(error);
  g_autoptr(PersonaVM) vm = persona_vm_new(pm);
  Tally t = {0};
  for (int variant = 0; variant < 3; variant++) {
    g_autoptr(GString) json = g_string_new("{\"id\":\"w\"");
    for (int k = 299; k >= 0; k--) {
      if (variant == 1 && k % 3 == 0) continue; /* absent: the default */
      if (variant == 2 && k == 299) g_string_append(json, ",\"f299\":\"x\""); /* declined */
      else g_string_append_printf(json, ",\"f%d\":%d", k, 1000 + k);
    }
    g_string_append_c(json, '}');
    Node *tree = parse(json->str);
    compare(vm, tree, &t);
    node_free(tree);
  }
  g_assert_cmpuint(t.same, ==, 2);
  g_assert_cmpuint(t.declined, ==, 1);
  /* One sum by hand: all six given (1000 + k each). */
  Node *tree = parse("{\"id\":\"w\",\"f0\":1,\"f63\":2,\"f64\":3,\"f200\":4,\"f254\":5,\"f299\":6}");
  const PersonaResult *r = NULL;
  g_assert_cmpint(persona_vm_eval_tree_walk(vm, &reader, r_members, NULL, tree, NULL, 0, NOW_US, &r), ==,
                  PERSONA_EVAL_OK);
  g_autoptr(GString) got = g_string_new(NULL);
  persona_result_to_json(r, got);
  g_assert_cmpstr(got->str, ==, "{\"who\":\"w\",\"s\":21}");
  node_free(tree);
}

/* Local times (no offset) read in the model's zone, and in a zone the host
 * sets, the same way from the tree as from the text: across the
 * daylight-saving changes of America/New_York (a skipped and a repeated
 * hour) and in Asia/Shanghai. Each is read from the tree, none declined. */
static void test_local_times(void) {
  static const char src[] = "model tz version \"1\" timezone \"America/New_York\"\n"
                            "schema {\n  id: string key\n  seen: time\n  events: list<ev> = []\n}\n"
                            "record ev {\n  at: time\n  kind: string\n}\n"
                            "output { who: id, seen: seen, n: count(events), last: max(at of events) }\n";
  static const char *const records[] = {
      "{\"id\":\"winter\",\"seen\":\"2026-01-31 10:00:00\"}",
      "{\"id\":\"slash\",\"seen\":\"2026/01/31 10:00\"}",
      "{\"id\":\"t\",\"seen\":\"2026-01-31T10:00:00\"}",
      "{\"id\":\"before-spring\",\"seen\":\"2026-03-08 01:59:59\"}",
      "{\"id\":\"skipped\",\"seen\":\"2026-03-08 02:30:00\"}",
      "{\"id\":\"after-spring\",\"seen\":\"2026-03-08 03:00:00\"}",
      "{\"id\":\"repeated\",\"seen\":\"2025-11-02 01:30:00\"}",
      "{\"id\":\"after-fall\",\"seen\":\"2025-11-02 02:00:00\"}",
      "{\"id\":\"offset\",\"seen\":\"2026-01-31T10:00:00+08:00\"}",
      "{\"id\":\"ev\",\"seen\":\"2026-01-01 00:00\",\"events\":[{\"at\":\"2026-01-30 23:00:00\",\"kind\":\"a\"},"
      "{\"at\":\"2026-01-31 08:00:00\",\"kind\":\"b\"}]}",
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaModel) pm = persona_compile_source("tz.persona", src, sizeof src - 1, NULL, NULL, &error);
  g_assert_no_error(error);
  const char *zones[] = {NULL /* the model's */, "Asia/Shanghai", "America/New_York"};
  for (guint z = 0; z < G_N_ELEMENTS(zones); z++) {
    g_autoptr(PersonaVM) vm = persona_vm_new(pm);
    if (zones[z]) g_assert_true(persona_vm_set_input_timezone(vm, zones[z], &error));
    Tally t = {0};
    for (guint i = 0; i < G_N_ELEMENTS(records); i++) {
      Node *tree = parse(records[i]);
      g_assert_nonnull(tree);
      compare(vm, tree, &t);
      node_free(tree);
    }
    g_assert_cmpuint(t.declined, ==, 0);
    g_assert_cmpuint(t.same, ==, G_N_ELEMENTS(records));
  }
  /* One value checked by hand: 10:00 in Shanghai (UTC+8, no DST) is 02:00Z. */
  g_autoptr(PersonaVM) vm = persona_vm_new(pm);
  g_assert_true(persona_vm_set_input_timezone(vm, "Asia/Shanghai", &error));
  Node *tree = parse(records[0]);
  const PersonaResult *r = NULL;
  g_assert_cmpint(persona_vm_eval_tree(vm, &reader, NULL, tree, NULL, 0, NOW_US, &r), ==, PERSONA_EVAL_OK);
  g_autoptr(GString) json = g_string_new(NULL);
  persona_result_to_json(r, json);
  g_assert_nonnull(strstr(json->str, "\"seen\":\"2026-01-31T02:00:00Z\""));
  node_free(tree);
}

/* `time ms` fields: numbers are epoch milliseconds from the tree as from
 * the text, text times unchanged; out-of-range values are record errors
 * (declined by the tree, refused by the text). */
static void test_epoch_ms(void) {
  static const char src[] = "model ms version \"1\"\n"
                            "schema {\n  id: string key\n  signup: time ms\n  legacy: time\n  events: list<ev> = []\n}\n"
                            "record ev {\n  at: time ms\n  kind: string\n}\n"
                            "output { who: id, signup: signup, legacy: legacy, first: min(at of events) }\n";
  static const struct {
    const char *json;
    bool from_tree;
  } cases[] = {
      {"{\"id\":\"a\",\"signup\":1769904000123,\"legacy\":1769904000}", true},
      {"{\"id\":\"b\",\"signup\":\"2026-01-31T10:00:00Z\",\"legacy\":\"2026-01-31\"}", true},
      {"{\"id\":\"c\",\"signup\":-62135596800000,\"legacy\":0}", true},
      {"{\"id\":\"d\",\"signup\":1769904000000.5,\"legacy\":0}", true},
      {"{\"id\":\"e\",\"signup\":0,\"legacy\":0,\"events\":[{\"at\":1769900000000,\"kind\":\"x\"},"
       "{\"at\":1769999999999,\"kind\":\"future\"}]}", true},
      {"{\"id\":\"f\",\"signup\":253402300800000,\"legacy\":0}", false},
      {"{\"id\":\"g\",\"signup\":0,\"legacy\":1769904000123}", false},
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaModel) pm = persona_compile_source("ms.persona", src, sizeof src - 1, NULL, NULL, &error);
  g_assert_no_error(error);
  g_autoptr(PersonaVM) vm = persona_vm_new(pm);
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    Node *tree = parse(cases[i].json);
    g_assert_nonnull(tree);
    Tally c = {0};
    compare(vm, tree, &c);
    if (c.declined != !cases[i].from_tree) g_error("case %u (%s): declined %u", i, cases[i].json, c.declined);
    node_free(tree);
  }
  /* By hand: 1769904000123 ms is 2026-02-01T00:00:00.123Z. */
  Node *tree = parse(cases[0].json);
  const PersonaResult *r = NULL;
  g_assert_cmpint(persona_vm_eval_tree(vm, &reader, NULL, tree, NULL, 0, NOW_US, &r), ==, PERSONA_EVAL_OK);
  g_autoptr(GString) json = g_string_new(NULL);
  persona_result_to_json(r, json);
  g_assert_nonnull(strstr(json->str, "\"signup\":\"2026-02-01T00:00:00.123Z\""));
  node_free(tree);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/runtime/json_tree/profiles", test_profiles);
  g_test_add_func("/runtime/json_tree/edge-cases", test_edge_cases);
  g_test_add_func("/runtime/json_tree/mutations", test_mutations);
  g_test_add_func("/runtime/json_tree/only-read-fields", test_only_read_fields);
  g_test_add_func("/runtime/json_tree/wide-schema", test_wide_schema);
  g_test_add_func("/runtime/json_tree/local-times", test_local_times);
  g_test_add_func("/runtime/json_tree/epoch-ms", test_epoch_ms);
  return g_test_run();
}
