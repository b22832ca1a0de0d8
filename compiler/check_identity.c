/* check_identity.c - the `identity { }` and `source NAME { }` declarations
 * (docs/unify.md): checks every clause against the schema and builds the
 * model's PIdentity table (runtime/identity.h).
 *
 * The grammar knows only the shapes of the clauses; the words (key,
 * block, limit, priority, never join, merge; key, field, time, event) are
 * contextual and checked here, so none of them is a reserved word.
 *
 * Ownership: the PIdentity built here belongs to the PCheck until the code
 * generator hands it to the model. */
#include "check_internal.h"

#include <string.h>

#include "../runtime/identity.h"

typedef struct {
  PCheck *c;
  PIdentity *id;
  PDecl *identity;
  GArray *keys, *rules, *fields; /* PIdKey, PIdRule, PIdField being built */
  GArray *sources;               /* PIdSource */
  int *field_of_schema;          /* schema index -> 1 when a source fills it, else -1 */
  int *merge_of_schema;          /* schema index -> PMergeRule written with `merge`, or -1 */
} IdCheck;

static int key_index(IdCheck *k, const char *kind) {
  for (guint i = 0; i < k->keys->len; i++)
    if (strcmp(g_array_index(k->keys, PIdKey, i).kind, kind) == 0) return (int)i;
  return -1;
}

static int need_key(IdCheck *k, const char *kind, const PLoc *loc) {
  int i = key_index(k, kind);
  if (i < 0) {
    if (k->identity)
      pdiag_error(k->c->diags, loc, "unknown identifier kind '%s' (declare it with 'key %s' in identity)", kind,
                  kind);
    else
      pdiag_error(k->c->diags, loc, "identifier kind '%s' needs an 'identity { key %s … }' declaration", kind,
                  kind);
  }
  return i;
}

static int schema_field(IdCheck *k, const char *name, const PLoc *loc) {
  int i = k->c->profile ? precord_field(k->c->profile, name) : -1;
  if (i < 0) pdiag_error(k->c->diags, loc, "unknown profile field '%s' (not in the schema)", name);
  return i;
}

static PType *schema_type(IdCheck *k, int i) {
  return g_array_index(k->c->profile->fields, PRecordFieldType, i).type;
}

static bool is_event_list(const PType *t) {
  return t && t->kind == PTY_LIST && t->elem && t->elem->kind == PTY_RECORD;
}

/* ---- identity { } ----------------------------------------------------------------- */

static void identity_key(IdCheck *k, PUnifyItem *u) {
  if (key_index(k, u->name) >= 0) {
    pdiag_error(k->c->diags, &u->name_loc, "identifier kind '%s' is declared twice", u->name);
    return;
  }
  if (u->from) {
    pdiag_error(k->c->diags, &u->from_loc, "'key K from F' belongs in a source; in identity write 'key K [= NORMALISER]'");
    return;
  }
  PIdKey key = {.kind = g_strdup(u->name), .norm = PNORM_STRING};
  const char *norm = u->arg ? u->arg : "string";
  if (strcmp(norm, "phone") == 0) {
    key.norm = PNORM_PHONE;
    const char *code = NULL;
    if (!u->text)
      pdiag_error(k->c->diags, &u->arg_loc, "phone needs its default region: phone(\"CN\")");
    else if (!pidentity_region(u->text, &code, &key.national_max))
      pdiag_add(k->c->diags, PDIAG_ERROR, &u->text_loc, pidentity_regions(), "unknown phone region \"%s\"",
                u->text);
    else {
      key.region = g_strdup(u->text);
      key.calling_code = g_strdup(code);
    }
  } else if (strcmp(norm, "email") == 0 || strcmp(norm, "string") == 0) {
    key.norm = norm[0] == 'e' ? PNORM_EMAIL : PNORM_STRING;
    if (u->text) pdiag_error(k->c->diags, &u->text_loc, "the %s normaliser takes no argument", norm);
  } else {
    pdiag_error(k->c->diags, &u->arg_loc, "unknown normaliser '%s' (phone(\"REGION\"), email or string)", norm);
  }
  key.rank = UINT32_MAX;
  g_array_append_val(k->keys, key);
}

static void identity_rule(IdCheck *k, PUnifyItem *u, PIdRuleKind kind) {
  int key = need_key(k, u->name, &u->name_loc);
  if (key < 0) return;
  if (kind == PIDRULE_BLOCK) {
    GError *err = NULL;
    GRegex *re = g_regex_new(u->text, G_REGEX_OPTIMIZE, 0, &err);
    if (!re) {
      pdiag_error(k->c->diags, &u->text_loc, "invalid regular expression: %s", err->message);
      g_error_free(err);
      return;
    }
    g_regex_unref(re);
  }
  PIdRule r = {.kind = kind, .key = (uint32_t)key, .text = g_strndup(u->text, u->text_len), .line = u->loc.line};
  g_array_append_val(k->rules, r);
}

static void identity_limit(IdCheck *k, PUnifyItem *u) {
  int key = need_key(k, u->name, &u->name_loc);
  if (key < 0) return;
  PIdKey *kk = &g_array_index(k->keys, PIdKey, key);
  if (u->ival < 1 || u->ival > 1000000)
    pdiag_error(k->c->diags, &u->loc, "a limit is a count from 1 to 1000000");
  else if (kk->limit)
    pdiag_error(k->c->diags, &u->loc, "identifier kind '%s' has two limits", u->name);
  else
    kk->limit = (uint32_t)u->ival;
}

static void identity_priority(IdCheck *k, PUnifyItem *u, bool *seen) {
  if (*seen) {
    pdiag_error(k->c->diags, &u->loc, "identity has at most one 'priority' list");
    return;
  }
  *seen = true;
  for (guint i = 0; i < u->list->len; i++) {
    PUnifyItem *n = g_ptr_array_index(u->list, i);
    int key = need_key(k, n->name, &n->name_loc);
    if (key < 0) continue;
    PIdKey *kk = &g_array_index(k->keys, PIdKey, key);
    if (kk->rank != UINT32_MAX)
      pdiag_error(k->c->diags, &n->name_loc, "'%s' appears twice in the priority list", n->name);
    else
      kk->rank = i;
  }
}

static const char *const merge_names[] = {"latest", "first", "non_empty", "sum", "max", NULL};

static void identity_merge(IdCheck *k, PUnifyItem *u) {
  int f = schema_field(k, u->name, &u->name_loc);
  if (f < 0) return;
  int rule = -1;
  for (int i = 0; merge_names[i]; i++)
    if (strcmp(u->arg, merge_names[i]) == 0) rule = i;
  PType *t = schema_type(k, f);
  if (rule < 0)
    pdiag_error(k->c->diags, &u->arg_loc, "unknown merge rule '%s' (latest, first, non_empty, sum or max)", u->arg);
  else if (is_event_list(t))
    pdiag_error(k->c->diags, &u->loc, "'%s' is a list of records: the events of every source are kept, not merged",
                u->name);
  else if (rule == PMERGE_SUM && t->kind != PTY_INT && t->kind != PTY_NUMBER)
    pdiag_error(k->c->diags, &u->arg_loc, "'sum' needs an int or number field");
  else if (rule == PMERGE_MAX && t->kind != PTY_INT && t->kind != PTY_NUMBER && t->kind != PTY_TIME &&
           t->kind != PTY_STRING)
    pdiag_error(k->c->diags, &u->arg_loc, "'max' needs an int, number, time or string field");
  else if (k->merge_of_schema[f] >= 0)
    pdiag_error(k->c->diags, &u->loc, "field '%s' has two merge rules", u->name);
  else
    k->merge_of_schema[f] = rule;
}

static void check_identity_decl(IdCheck *k, PDecl *d) {
  bool priority_seen = false;
  /* Keys first: the other clauses may name a kind declared after them. */
  for (guint i = 0; i < d->items->len; i++) {
    PUnifyItem *u = g_ptr_array_index(d->items, i);
    if (strcmp(u->word, "key") == 0) identity_key(k, u);
  }
  for (guint i = 0; i < d->items->len; i++) {
    PUnifyItem *u = g_ptr_array_index(d->items, i);
    const char *w = u->word;
    if (strcmp(w, "key") == 0) continue;
    if (strcmp(w, "block") == 0 && u->text && !u->list)
      identity_rule(k, u, PIDRULE_BLOCK);
    else if (strcmp(w, "never") == 0) {
      if (strcmp(u->arg, "join") != 0)
        pdiag_error(k->c->diags, &u->arg_loc, "expected 'never join KIND \"VALUE\"'");
      else
        identity_rule(k, u, PIDRULE_NEVER);
    } else if (strcmp(w, "limit") == 0 && u->has_int)
      identity_limit(k, u);
    else if (strcmp(w, "priority") == 0 && u->list && !u->name)
      identity_priority(k, u, &priority_seen);
    else if (strcmp(w, "merge") == 0 && u->has_eq && !u->text)
      identity_merge(k, u);
    else
      pdiag_add(k->c->diags, PDIAG_ERROR, &u->loc,
                "identity clauses: key K [= NORMALISER], block K \"REGEX\", limit K N, "
                "priority [K, …], never join K \"VALUE\", merge FIELD = RULE",
                "unknown identity clause '%s'", w);
  }
  /* Kinds not in the priority list come after it, in declaration order. */
  uint32_t next = 0;
  for (guint i = 0; i < k->keys->len; i++)
    if (g_array_index(k->keys, PIdKey, i).rank != UINT32_MAX) next++;
  for (guint i = 0; i < k->keys->len; i++) {
    PIdKey *kk = &g_array_index(k->keys, PIdKey, i);
    if (kk->rank == UINT32_MAX) kk->rank = next++;
  }
}

/* ---- source NAME { } -------------------------------------------------------------- */

/* Marks schema field `f` as filled by a source and returns it: maps name
 * schema fields until number_fields() renumbers them in schema order. */
static uint32_t filled_field(IdCheck *k, int f) {
  k->field_of_schema[f] = 1;
  return (uint32_t)f;
}

static void add_map(GArray *maps, PMapKind kind, uint32_t target, const char *sub, const char *from,
                    const char *constant, uint32_t constant_len) {
  PIdMap m = {.kind = kind, .target = target, .sub = g_strdup(sub), .from = g_strdup(from)};
  if (constant) m.constant = g_strndup(constant, constant_len);
  g_array_append_val(maps, m);
}

static void source_event(IdCheck *k, PUnifyItem *u, GArray *maps) {
  int f = schema_field(k, u->name, &u->name_loc);
  if (f < 0) return;
  PType *t = schema_type(k, f);
  if (!is_event_list(t)) {
    pdiag_error(k->c->diags, &u->name_loc, "'event %s { … }' needs a list of records; '%s' is not one", u->name,
                u->name);
    return;
  }
  PRecordType *rt = t->elem->rec;
  guint8 *mapped = g_new0(guint8, rt->fields->len + 1);
  for (guint i = 0; i < u->list->len; i++) {
    PUnifyItem *sub = g_ptr_array_index(u->list, i);
    int sf = precord_field(rt, sub->name);
    if (sf < 0) {
      pdiag_error(k->c->diags, &sub->name_loc, "record %s has no field '%s'", rt->name, sub->name);
      continue;
    }
    if (mapped[sf]++) pdiag_error(k->c->diags, &sub->name_loc, "field '%s' is mapped twice", sub->name);
    PType *st = g_array_index(rt->fields, PRecordFieldType, sf).type;
    if (sub->text && st->kind != PTY_STRING)
      pdiag_error(k->c->diags, &sub->text_loc, "a constant must go into a string field; '%s' is not one", sub->name);
    add_map(maps, PMAP_EVENT, filled_field(k, f), sub->name, sub->text ? NULL : (sub->from ? sub->from : sub->name),
            sub->text, sub->text_len);
  }
  /* A field without a default that is not optional must come from somewhere,
   * or every unified profile would fail in `persona eval`. */
  for (guint i = 0; i < rt->fields->len; i++) {
    PRecordFieldType *ft = &g_array_index(rt->fields, PRecordFieldType, i);
    if (!mapped[i] && !ft->type->optional && !(ft->decl && ft->decl->default_value))
      pdiag_error(k->c->diags, &u->loc, "field '%s' of record %s is required: map it (%s from F, or %s = \"TEXT\")",
                  ft->name, rt->name, ft->name, ft->name);
  }
  g_free(mapped);
}

static void check_source_decl(IdCheck *k, PDecl *d) {
  for (guint i = 0; i < k->sources->len; i++)
    if (strcmp(g_array_index(k->sources, PIdSource, i).name, d->name) == 0) {
      pdiag_error(k->c->diags, &d->name_loc, "source '%s' is declared twice", d->name);
      return;
    }
  PIdSource src = {.name = g_strdup(d->name)};
  GArray *maps = g_array_new(FALSE, TRUE, sizeof(PIdMap));
  bool any_key = false;
  for (guint i = 0; i < d->items->len; i++) {
    PUnifyItem *u = g_ptr_array_index(d->items, i);
    const char *w = u->word;
    bool plain = !u->has_eq && !u->has_int && !u->text && !u->list;
    if (strcmp(w, "key") == 0 && !u->has_eq) {
      int key = need_key(k, u->name, &u->name_loc);
      if (key >= 0) add_map(maps, PMAP_KEY, (uint32_t)key, NULL, u->from ? u->from : u->name, NULL, 0);
      any_key = true;
    } else if (strcmp(w, "field") == 0 && plain) {
      int f = schema_field(k, u->name, &u->name_loc);
      if (f < 0) continue;
      if (f == k->c->key_field)
        pdiag_error(k->c->diags, &u->name_loc, "'%s' is the profile's key: unify sets it", u->name);
      else if (is_event_list(schema_type(k, f)))
        pdiag_error(k->c->diags, &u->name_loc, "'%s' is a list of records: map it with 'event %s { … }'", u->name,
                    u->name);
      else
        add_map(maps, PMAP_FIELD, filled_field(k, f), NULL, u->from ? u->from : u->name, NULL, 0);
    } else if (strcmp(w, "time") == 0 && plain && !u->from) {
      if (src.time_from)
        pdiag_error(k->c->diags, &u->loc, "source '%s' has two 'time' clauses", d->name);
      else
        src.time_from = g_strdup(u->name);
    } else if (strcmp(w, "event") == 0 && u->list && u->name) {
      source_event(k, u, maps);
    } else {
      pdiag_add(k->c->diags, PDIAG_ERROR, &u->loc,
                "source clauses: key K [from F], field NAME [from F], time F, event LIST { FIELD [from F | = \"TEXT\"], … }",
                "unknown source clause '%s'", w);
    }
  }
  if (!any_key) pdiag_error(k->c->diags, &d->name_loc, "source '%s' maps no identifier: add 'key K [from F]'", d->name);
  src.n_maps = maps->len;
  src.maps = (PIdMap *)g_array_free(maps, FALSE);
  g_array_append_val(k->sources, src);
}

/* ---- the table -------------------------------------------------------------------- */

static void number_fields(IdCheck *k) {
  guint n = k->c->profile->fields->len;
  int *index = g_new0(int, n + 1);
  for (guint f = 0; f < n; f++) {
    index[f] = -1;
    if (k->field_of_schema[f] < 0) {
      if (k->merge_of_schema[f] >= 0)
        pdiag_error(k->c->diags, &k->identity->loc, "a merge rule for '%s', which no source fills",
                    g_array_index(k->c->profile->fields, PRecordFieldType, f).name);
      continue;
    }
    PType *t = schema_type(k, f);
    PIdField fd = {.name = g_strdup(g_array_index(k->c->profile->fields, PRecordFieldType, f).name)};
    fd.merge = is_event_list(t) ? PMERGE_EVENTS
               : k->merge_of_schema[f] >= 0 ? (PMergeRule)k->merge_of_schema[f] : PMERGE_LATEST;
    index[f] = (int)k->fields->len;
    g_array_append_val(k->fields, fd);
  }
  /* Maps named schema indexes; make them indexes into the filled fields. */
  for (guint s = 0; s < k->sources->len; s++) {
    PIdSource *src = &g_array_index(k->sources, PIdSource, s);
    for (uint32_t j = 0; j < src->n_maps; j++)
      if (src->maps[j].kind != PMAP_KEY) src->maps[j].target = (uint32_t)index[src->maps[j].target];
  }
  g_free(index);
}

void pcheck_identity(PCheck *c) {
  IdCheck k = {.c = c};
  GPtrArray *sources = g_ptr_array_new();
  for (guint i = 0; i < c->ast->files->len; i++) {
    PFileAst *fa = g_ptr_array_index(c->ast->files, i);
    for (guint j = 0; j < fa->decls->len; j++) {
      PDecl *d = g_ptr_array_index(fa->decls, j);
      if (d->kind == PD_IDENTITY) {
        if (k.identity)
          pdiag_error(c->diags, &d->loc, "a model has at most one 'identity' declaration");
        else
          k.identity = d;
      } else if (d->kind == PD_SOURCE) {
        g_ptr_array_add(sources, d);
      }
    }
  }
  if (!k.identity && sources->len == 0) {
    g_ptr_array_unref(sources);
    return;
  }
  k.keys = g_array_new(FALSE, TRUE, sizeof(PIdKey));
  k.rules = g_array_new(FALSE, TRUE, sizeof(PIdRule));
  k.fields = g_array_new(FALSE, TRUE, sizeof(PIdField));
  k.sources = g_array_new(FALSE, TRUE, sizeof(PIdSource));
  guint n_schema = c->profile ? c->profile->fields->len : 0;
  k.field_of_schema = g_new0(int, n_schema + 1);
  k.merge_of_schema = g_new0(int, n_schema + 1);
  for (guint f = 0; f < n_schema; f++) k.field_of_schema[f] = k.merge_of_schema[f] = -1;

  if (k.identity) check_identity_decl(&k, k.identity);
  for (guint i = 0; i < sources->len; i++) check_source_decl(&k, g_ptr_array_index(sources, i));
  if (k.identity && sources->len == 0)
    pdiag_error(c->diags, &k.identity->loc, "identity without any 'source NAME { … }' to read");
  if (c->profile && c->key_field >= 0) {
    PType *kt = schema_type(&k, c->key_field);
    if (kt->kind != PTY_STRING)
      pdiag_error(c->diags, k.identity ? &k.identity->loc : NULL,
                  "unify gives each profile a string id: the schema's key field must be a string");
  }
  if (c->profile) number_fields(&k);

  PIdentity *id = g_new0(PIdentity, 1);
  id->n_keys = k.keys->len;
  id->keys = (PIdKey *)g_array_free(k.keys, FALSE);
  id->n_rules = k.rules->len;
  id->rules = (PIdRule *)g_array_free(k.rules, FALSE);
  id->n_fields = k.fields->len;
  id->fields = (PIdField *)g_array_free(k.fields, FALSE);
  id->n_sources = k.sources->len;
  id->sources = (PIdSource *)g_array_free(k.sources, FALSE);
  if (c->profile && c->key_field >= 0)
    id->key_field = g_strdup(g_array_index(c->profile->fields, PRecordFieldType, c->key_field).name);
  g_free(k.field_of_schema);
  g_free(k.merge_of_schema);
  g_ptr_array_unref(sources);
  c->identity = id;
}
