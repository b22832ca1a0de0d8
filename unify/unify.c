/* unify.c - reading the sources and joining their records into profiles;
 * see unify.h and docs/unify.md.
 *
 * Identifiers are interned once (kind, normalised value) in an open
 * addressing table. Joining is a union-find whose result depends on
 * nothing but the set of records: identifiers are put in a canonical
 * order (priority of their kind, then a hash of the value, then the value
 * itself), each record's identifiers in that order, the records in the
 * order of their identifier lists; a set's root is always its first
 * identifier in canonical order. Limits are checked as each record's
 * identifiers join its best one, so which join a limit refuses is fixed
 * by that order too. */
/* MAP_POPULATE is Linux's: ask for it where the C library has it. */
#define _DEFAULT_SOURCE 1
#include "unify_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json_scan.h"
#include "normalize.h"

/* ---- set-up ------------------------------------------------------------------------- */

static guint32 add_rule(PuUnifier *u, char *name) {
  g_ptr_array_add(u->rule_names, name);
  return u->rule_names->len - 1;
}

static char *never_key(guint kind, const char *value, gsize len) {
  GString *s = g_string_new(NULL);
  g_string_append_printf(s, "%u\x1f", kind);
  g_string_append_len(s, value, (gssize)len);
  return g_string_free(s, FALSE);
}

/* Adds a value that never joins, normalised as its kind. */
static gboolean add_never(PuUnifier *u, guint kind, const char *text, gsize len, const char *where,
                          GError **error) {
  g_autoptr(GString) v = g_string_new(NULL);
  if (pu_normalize(&u->keys[kind], text, len, v) != PU_NORM_OK) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID, "%s: the %s value does not normalise", where,
                u->keys[kind].kind);
    return FALSE;
  }
  g_hash_table_add(u->never, never_key(kind, v->str, v->len));
  return TRUE;
}

static void read_tables(PuUnifier *u) {
  PersonaModel *m = u->model;
  u->n_keys = persona_model_identity_n_keys(m);
  u->keys = g_new0(PersonaIdentityKey, u->n_keys + 1);
  for (guint i = 0; i < u->n_keys; i++) persona_model_identity_key(m, i, &u->keys[i]);
  u->n_fields = persona_model_identity_n_fields(m);
  u->fields = g_new0(PersonaUnifyField, u->n_fields + 1);
  for (guint i = 0; i < u->n_fields; i++) persona_model_identity_field(m, i, &u->fields[i]);
  u->n_sources = persona_model_identity_n_sources(m);
  u->sources = g_new0(PuSourceInfo, u->n_sources + 1);
  for (guint i = 0; i < u->n_sources; i++) {
    PuSourceInfo *s = &u->sources[i];
    persona_model_identity_source(m, i, &s->src);
    s->maps = g_new0(PersonaSourceMap, s->src.n_maps + 1);
    for (guint j = 0; j < s->src.n_maps; j++) {
      persona_model_identity_source_map(m, i, j, &s->maps[j]);
      if (s->maps[j].kind == PERSONA_MAP_KEY) s->n_key_maps++;
    }
  }
  u->key_field = persona_model_identity_key_field(m);
  for (guint i = 0; i < u->n_sources; i++)
    for (guint j = 0; j < u->n_sources; j++)
      if (strcmp(u->sources[j].src.name, u->sources[i].src.name) < 0) u->sources[i].name_rank++;
}

PuUnifier *pu_new(PersonaModel *model, GError **error) {
  if (!persona_model_has_identity(model)) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID,
                "the model declares no 'identity { … }' (see docs/unify.md); a model read from bytecode has none");
    return NULL;
  }
  for (guint i = 0; i < persona_model_identity_n_sources(model); i++) {
    PersonaSource s;
    persona_model_identity_source(model, i, &s);
    if (s.n_maps > G_MAXUINT16) {
      g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID, "source %s has more than %u clauses", s.name,
                  G_MAXUINT16);
      return NULL;
    }
  }
  PuUnifier *u = g_new0(PuUnifier, 1);
  u->model = persona_model_ref(model);
  read_tables(u);
  u->rule_names = g_ptr_array_new_with_free_func(g_free);
  u->blocks = g_new0(GPtrArray *, u->n_keys + 1);
  u->block_rule = g_new0(guint32, u->n_keys + 1);
  u->never_rule = g_new0(guint32, u->n_keys + 1);
  u->limit_rule = g_new0(guint32, u->n_keys + 1);
  for (guint k = 0; k < u->n_keys; k++) {
    u->blocks[k] = g_ptr_array_new_with_free_func((GDestroyNotify)g_regex_unref);
    u->block_rule[k] = u->never_rule[k] = u->limit_rule[k] = PU_NONE;
    if (u->keys[k].limit)
      u->limit_rule[k] = add_rule(u, g_strdup_printf("limit %s %u", u->keys[k].kind, u->keys[k].limit));
  }
  u->never = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  gboolean ok = TRUE;
  for (guint i = 0; ok && i < persona_model_identity_n_rules(model); i++) {
    PersonaIdentityRule r;
    persona_model_identity_rule(model, i, &r);
    if (r.kind == PERSONA_IDENTITY_BLOCK) {
      /* The checker compiled it already; it cannot fail here. */
      GRegex *re = g_regex_new(r.text, G_REGEX_OPTIMIZE, 0, NULL);
      if (re) g_ptr_array_add(u->blocks[r.key], re);
      if (u->block_rule[r.key] == PU_NONE)
        u->block_rule[r.key] = add_rule(u, g_strdup_printf("block %s", u->keys[r.key].kind));
    } else {
      g_autofree char *where = g_strdup_printf("model line %u: never join", r.line);
      ok = add_never(u, r.key, r.text, strlen(r.text), where, error);
      if (u->never_rule[r.key] == PU_NONE)
        u->never_rule[r.key] = add_rule(u, g_strdup_printf("never join %s", u->keys[r.key].kind));
    }
  }
  u->files = g_ptr_array_new();
  u->recs = g_array_new(FALSE, FALSE, sizeof(PuRec));
  u->rec_idents = g_array_new(FALSE, FALSE, sizeof(guint32));
  u->spans = g_array_new(FALSE, FALSE, sizeof(PuSpan));
  u->idents = g_array_new(FALSE, FALSE, sizeof(PuIdent));
  u->values = g_string_chunk_new(1 << 20);
  u->n_slots = 1 << 16;
  u->slots = g_new(guint64, u->n_slots);
  memset(u->slots, 0xff, sizeof(guint64) * u->n_slots);
  u->problems = g_string_new(NULL);
  u->per_source = g_new0(guint64, u->n_sources + 1);
  GError *key_error = NULL;
  GBytes *key = ok ? persona_pseudonym_key(&key_error) : NULL;
  if (key) {
    gsize klen;
    const guchar *k = g_bytes_get_data(key, &klen);
    u->id_hmac = g_hmac_new(G_CHECKSUM_SHA256, k, klen);
    g_bytes_unref(key);
  } else if (key_error) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID, "the profile ids' key: %s", key_error->message);
    g_error_free(key_error);
    ok = FALSE;
  }
  if (!ok) {
    pu_free(u);
    return NULL;
  }
  return u;
}

void pu_free(PuUnifier *u) {
  if (!u) return;
  for (guint i = 0; i < u->files->len; i++) {
    PuFile *f = g_ptr_array_index(u->files, i);
    if (f->data && f->mapped) munmap(f->data, f->len);
    if (!f->mapped) g_free(f->data);
    g_free(f->path);
    g_free(f);
  }
  g_ptr_array_unref(u->files);
  for (guint k = 0; k < u->n_keys; k++) g_ptr_array_unref(u->blocks[k]);
  g_free(u->blocks);
  g_free(u->block_rule);
  g_free(u->never_rule);
  g_free(u->limit_rule);
  g_hash_table_unref(u->never);
  g_ptr_array_unref(u->rule_names);
  g_free(u->rule_counts);
  for (guint i = 0; i < u->n_sources; i++) g_free(u->sources[i].maps);
  g_free(u->sources);
  g_free(u->keys);
  g_free(u->fields);
  g_array_unref(u->recs);
  g_array_unref(u->rec_idents);
  g_array_unref(u->spans);
  g_array_unref(u->idents);
  g_string_chunk_free(u->values);
  g_free(u->slots);
  g_string_free(u->problems, TRUE);
  g_free(u->per_source);
  g_free(u->order);
  g_free(u->parent);
  if (u->edges) g_array_unref(u->edges);
  if (u->refused) g_array_unref(u->refused);
  g_free(u->cluster_first);
  g_free(u->cluster_root);
  g_free(u->by_cluster);
  g_free(u->cluster_ids);
  if (u->id_hmac) g_hmac_unref(u->id_hmac);
  persona_model_unref(u->model);
  g_free(u);
}

int pu_source_index(const PuUnifier *u, const char *name) {
  for (guint i = 0; i < u->n_sources; i++)
    if (strcmp(u->sources[i].src.name, name) == 0) return (int)i;
  return -1;
}

char *pu_source_names(const PuUnifier *u) {
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < u->n_sources; i++) g_string_append_printf(s, "%s%s", i ? ", " : "", u->sources[i].src.name);
  return g_string_free(s, FALSE);
}

const char **pu_source_list(const PuUnifier *u) {
  const char **names = g_new0(const char *, u->n_sources + 1);
  for (guint i = 0; i < u->n_sources; i++) names[i] = u->sources[i].src.name;
  return names;
}

gboolean pu_ids_keyed(const PuUnifier *u) { return u->id_hmac != NULL; }
const char *pu_problems(const PuUnifier *u) { return u->problems->str; }
guint64 pu_n_bad(const PuUnifier *u) { return u->n_bad; }

/* ---- exclusion files ------------------------------------------------------------------ */

static int kind_index(const PuUnifier *u, const char *kind, gsize len) {
  for (guint k = 0; k < u->n_keys; k++)
    if (strlen(u->keys[k].kind) == len && memcmp(u->keys[k].kind, kind, len) == 0) return (int)k;
  return -1;
}

gboolean pu_add_exclusions(PuUnifier *u, const char *path, GError **error) {
  g_autofree char *text = NULL;
  gsize len = 0;
  GError *io = NULL;
  if (!g_file_get_contents(path, &text, &len, &io)) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_IO, "%s", io->message);
    g_error_free(io);
    return FALSE;
  }
  guint line = 0;
  for (char *p = text, *next; p && p < text + len; p = next) {
    char *nl = memchr(p, '\n', (gsize)(text + len - p));
    next = nl ? nl + 1 : NULL;
    gsize n = nl ? (gsize)(nl - p) : (gsize)(text + len - p);
    line++;
    while (n > 0 && g_ascii_isspace(*p)) p++, n--;
    if (n == 0 || *p == '#') continue;
    gsize w = 0;
    while (w < n && !g_ascii_isspace(p[w])) w++;
    int kind = kind_index(u, p, w);
    if (kind < 0 || w == n) {
      g_autofree char *names = NULL;
      GString *s = g_string_new(NULL);
      for (guint k = 0; k < u->n_keys; k++) g_string_append_printf(s, "%s%s", k ? ", " : "", u->keys[k].kind);
      names = g_string_free(s, FALSE);
      g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID,
                  "%s:%u: expected 'KIND VALUE' with KIND one of %s", path, line, names);
      return FALSE;
    }
    g_autofree char *where = g_strdup_printf("%s:%u", path, line);
    if (!add_never(u, (guint)kind, p + w, n - w, where, error)) return FALSE;
    if (u->never_rule[kind] == PU_NONE)
      u->never_rule[kind] = add_rule(u, g_strdup_printf("never join %s", u->keys[kind].kind));
  }
  return TRUE;
}

/* ---- interning ------------------------------------------------------------------------- */

static guint64 hash_value(guint32 kind, const char *s, gsize len) {
  guint64 h = 1469598103934665603ULL ^ kind;
  for (gsize i = 0; i < len; i++) {
    h ^= (guchar)s[i];
    h *= 1099511628211ULL;
  }
  return h ^ (h >> 29);
}

/* A slot holds an identifier's index and the high half of its hash, so a
 * probe that meets another value rarely reads the identifier itself. */
#define SLOT_EMPTY G_MAXUINT64
#define SLOT(h, id) ((guint64)((h) >> 32) << 32 | (id))

/* A hash of a whole line, eight bytes at a step. */
static guint64 line_hash(const char *s, gsize len) {
  guint64 h = 0x9e3779b97f4a7c15ULL ^ len;
  gsize i = 0;
  for (; i + 8 <= len; i += 8) {
    guint64 w;
    memcpy(&w, s + i, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
  }
  for (; i < len; i++) h = (h ^ (guchar)s[i]) * 0x100000001b3ULL;
  return h ^ (h >> 29);
}

static void grow_slots(PuUnifier *u) {
  guint32 n = u->n_slots * 2;
  guint64 *slots = g_new(guint64, n);
  memset(slots, 0xff, sizeof(guint64) * n);
  for (guint32 i = 0; i < u->idents->len; i++) {
    guint64 h = g_array_index(u->idents, PuIdent, i).hash;
    guint32 j = (guint32)h & (n - 1);
    while (slots[j] != SLOT_EMPTY) j = (j + 1) & (n - 1);
    slots[j] = SLOT(h, i);
  }
  g_free(u->slots);
  u->slots = slots;
  u->n_slots = n;
}

static gboolean is_blocked(PuUnifier *u, guint kind, const char *v) {
  GPtrArray *res = u->blocks[kind];
  for (guint i = 0; i < res->len; i++)
    if (g_regex_match(g_ptr_array_index(res, i), v, 0, NULL)) return TRUE;
  return FALSE;
}

/* The rule that keeps a value from joining, or PU_NONE; asked once per
 * distinct value, when it is first interned. */
static guint32 dropped_by(PuUnifier *u, guint32 kind, const char *s, gsize len) {
  if (g_hash_table_size(u->never)) {
    g_autofree char *nk = never_key(kind, s, len);
    if (g_hash_table_contains(u->never, nk)) return u->never_rule[kind];
  }
  if (u->blocks[kind]->len) {
    g_autofree char *v = g_strndup(s, len);
    if (is_blocked(u, kind, v)) return u->block_rule[kind];
  }
  return PU_NONE;
}

static guint32 intern(PuUnifier *u, guint32 kind, const char *s, gsize len, guint32 rec, guint64 h) {
  guint32 mask = u->n_slots - 1, j = (guint32)h & mask;
  for (; u->slots[j] != SLOT_EMPTY; j = (j + 1) & mask) {
    if (u->slots[j] >> 32 != h >> 32) continue;
    guint32 at = (guint32)u->slots[j];
    const PuIdent *id = &g_array_index(u->idents, PuIdent, at);
    if (id->hash == h && id->kind == kind && id->len == len && memcmp(id->value, s, len) == 0) return at;
  }
  PuIdent id = {.value = g_string_chunk_insert_len(u->values, s, (gssize)len), .len = (guint32)len, .kind = kind,
                .hash = h, .first_rec = rec, .dropped = dropped_by(u, kind, s, len)};
  guint32 index = u->idents->len;
  g_array_append_val(u->idents, id);
  u->slots[j] = SLOT(h, index);
  if ((guint64)u->idents->len * 2 > u->n_slots) grow_slots(u);
  return index;
}

/* ---- reading records ---------------------------------------------------------------- */

/* An identifier of the record being read, normalised, not yet interned:
 * all of a record's identifiers are normalised first and their hash slots
 * asked for from memory, then interned, so that their cache misses
 * overlap instead of following one another. */
typedef struct {
  guint32 kind, off, len;
  guint64 hash;
} Pending;

typedef struct {
  PuUnifier *u;
  const PuFile *file;
  guint32 line;
  GArray *members;
  GString *scratch, *value;
  GArray *pending;  /* Pending, of the current record */
  GString *held;    /* their values, one after the other */
} Reader;

static void problem(Reader *r, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void problem(Reader *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  g_string_append_printf(r->u->problems, "%s:%u: ", r->file->path, r->line);
  gsize from = r->u->problems->len;
  g_string_append_vprintf(r->u->problems, fmt, ap);
  if (r->u->problem_fn)
    r->u->problem_fn(r->u->problem_user, r->u->files->len - 1, r->line, r->u->problems->str + from);
  g_string_append_c(r->u->problems, '\n');
  va_end(ap);
}

/* The record's time: RFC 3339 text, a date, or Unix seconds. */
static gint64 record_time(Reader *r, const PuSourceInfo *s) {
  if (!s->src.time_field) return G_MININT64;
  const PuMember *m = pu_json_get(r->members, s->src.time_field);
  if (!m || m->type == PU_JNULL) return G_MININT64;
  g_string_truncate(r->scratch, 0);
  if (m->type == PU_JSTRING)
    pu_json_decode_string(m->val, m->val_len, r->scratch);
  else if (m->type == PU_JNUMBER)
    g_string_append_len(r->scratch, m->val, (gssize)m->val_len);
  gint64 t;
  if (r->scratch->len && persona_time_parse(r->scratch->str, &t)) return t;
  problem(r, "%s: expected a time (RFC 3339 text, a date, or Unix seconds)", s->src.time_field);
  return G_MININT64 + 1; /* known bad: counted once below */
}

/* One identifier of the record: TRUE when it joins; `bad` when it was
 * malformed; `ruled` when a block or never rule dropped it. */
static gboolean read_identifier(Reader *r, const PersonaSourceMap *map, guint32 rec, gboolean *bad,
                                gboolean *ruled, gboolean *present) {
  PuUnifier *u = r->u;
  const PersonaIdentityKey *key = &u->keys[map->target];
  const PuMember *m = pu_json_get(r->members, map->from);
  if (!m || m->type == PU_JNULL) return FALSE;
  *present = TRUE;
  g_string_truncate(r->scratch, 0);
  if (m->type == PU_JSTRING) {
    if (!pu_json_decode_string(m->val, m->val_len, r->scratch)) {
      problem(r, "%s (from %s): the string is not valid UTF-8 or has a bad escape", key->kind, map->from);
      *bad = TRUE;
      return FALSE;
    }
  } else if (m->type == PU_JNUMBER && memchr(m->val, '.', m->val_len) == NULL &&
             memchr(m->val, 'e', m->val_len) == NULL && memchr(m->val, 'E', m->val_len) == NULL) {
    g_string_append_len(r->scratch, m->val, (gssize)m->val_len);
  } else {
    problem(r, "%s (from %s): expected a string or an integer", key->kind, map->from);
    *bad = TRUE;
    return FALSE;
  }
  g_string_truncate(r->value, 0);
  switch (pu_normalize(key, r->scratch->str, r->scratch->len, r->value)) {
  case PU_NORM_OK: break;
  case PU_NORM_EMPTY:
    problem(r, "%s (from %s): empty after normalising", key->kind, map->from);
    *bad = TRUE;
    return FALSE;
  case PU_NORM_MALFORMED:
    problem(r, "%s (from %s): not a valid %s", key->kind, map->from,
            key->normalize == PERSONA_NORMALIZE_PHONE ? "phone number" : "e-mail address");
    *bad = TRUE;
    return FALSE;
  }
  (void)rec;
  Pending p = {.kind = map->target, .off = (guint32)r->held->len, .len = (guint32)r->value->len,
               .hash = hash_value(map->target, r->value->str, r->value->len)};
  __builtin_prefetch(&u->slots[(guint32)p.hash & (u->n_slots - 1)]);
  pu_append(r->held, r->value->str, r->value->len);
  g_array_append_val(r->pending, p);
  return TRUE;
}

/* Interns the record's pending identifiers (their values in r->held):
 * a dropped one (block, never join) only counts; the same identifier
 * twice in one record joins nothing new. */
static void place_identifiers(Reader *r, guint32 rec, gboolean *ruled) {
  PuUnifier *u = r->u;
  guint32 first = g_array_index(u->recs, PuRec, rec).first_ident;
  for (guint k = 0; k < r->pending->len; k++) {
    const Pending *p = &g_array_index(r->pending, Pending, k);
    guint32 id = intern(u, p->kind, r->held->str + p->off, p->len, rec, p->hash);
    guint32 dropped = g_array_index(u->idents, PuIdent, id).dropped;
    if (dropped != PU_NONE) {
      u->rule_counts[dropped]++;
      *ruled = TRUE;
      continue;
    }
    gboolean again = FALSE;
    for (guint32 i = first; i < u->rec_idents->len && !again; i++)
      again = g_array_index(u->rec_idents, guint32, i) == id;
    if (!again) g_array_append_val(u->rec_idents, id);
  }
}

/* The values the record's field and event maps read. A value a `sum`
 * cannot add is bad input: reported here, with the record's place. */
static void keep_spans(Reader *r, const PuSourceInfo *s, PuRec *rec, const GArray *members, gboolean *bad) {
  PuUnifier *u = r->u;
  rec->first_span = u->spans->len;
  for (guint j = 0; j < s->src.n_maps; j++) {
    const PersonaSourceMap *map = &s->maps[j];
    if (map->kind == PERSONA_MAP_KEY || !map->from) continue;
    const PuMember *m = pu_json_get(members, map->from);
    if (!m) continue;
    if (map->kind == PERSONA_MAP_FIELD && u->fields[map->target].merge == PERSONA_MERGE_SUM &&
        m->type != PU_JNUMBER && m->type != PU_JNULL) {
      problem(r, "%s (from %s): expected a number to sum", u->fields[map->target].name, map->from);
      *bad = TRUE;
      continue;
    }
    PuSpan sp = {.off = (guint32)(m->val - rec->text), .len = (guint32)m->val_len, .map = (guint16)j,
                 .type = (guint16)m->type};
    g_array_append_val(u->spans, sp);
  }
  rec->n_spans = u->spans->len - rec->first_span;
}

/* Offsets within a line are 32-bit. */
#define PU_MAX_LINE ((gsize)1 << 30)

static void read_record(Reader *r, const char *text, gsize len) {
  PuUnifier *u = r->u;
  const PuSourceInfo *s = &u->sources[r->file->source];
  const char *why = NULL;
  gsize at = 0;
  u->per_source[r->file->source]++;
  if (!pu_json_object(text, len, r->members, &why, &at)) {
    problem(r, "malformed JSON at byte %zu: %s", at, why);
    u->n_bad++;
    return;
  }
  PuRec rec = {.text = text, .len = (guint32)len, .file = u->files->len - 1, .line = r->line,
               .first_ident = u->rec_idents->len, .text_hash = line_hash(text, len)};
  rec.time = record_time(r, s);
  gboolean bad = rec.time == G_MININT64 + 1, ruled = FALSE, present = FALSE;
  if (bad) rec.time = G_MININT64;
  guint32 index = u->recs->len;
  g_array_append_val(u->recs, rec);
  g_array_set_size(r->pending, 0);
  g_string_truncate(r->held, 0);
  for (guint j = 0; j < s->src.n_maps; j++)
    if (s->maps[j].kind == PERSONA_MAP_KEY) read_identifier(r, &s->maps[j], index, &bad, &ruled, &present);
  place_identifiers(r, index, &ruled);
  PuRec *stored = &g_array_index(u->recs, PuRec, index);
  stored->n_idents = u->rec_idents->len - stored->first_ident;
  if (stored->n_idents > 0) keep_spans(r, s, stored, r->members, &bad);
  if (stored->n_idents == 0) {
    if (!present) {
      GString *names = g_string_new(NULL);
      for (guint j = 0; j < s->src.n_maps; j++)
        if (s->maps[j].kind == PERSONA_MAP_KEY)
          g_string_append_printf(names, "%s%s", names->len ? ", " : "", s->maps[j].from);
      problem(r, "no identifier (source %s reads %s)", s->src.name, names->str);
      g_string_free(names, TRUE);
      bad = TRUE;
    } else if (ruled && !bad) {
      problem(r, "left out: every identifier is blocked or excluded (see the report's rules)");
      u->n_left_out++;
    } else {
      problem(r, "no usable identifier: the record is left out");
    }
    g_array_set_size(u->recs, index);
  }
  if (bad) u->n_bad++;
}

/* Room for what a file of `bytes` probably holds (a record per ~100
 * bytes, about two new identifiers per record), so that the tables do not
 * grow and copy themselves many times over while it is read. */
static void reserve(PuUnifier *u, gsize bytes) {
  guint64 recs = bytes / 100, idents = recs;
  if (u->recs->len == 0 && recs > 1024) {
    g_array_unref(u->recs);
    u->recs = g_array_sized_new(FALSE, FALSE, sizeof(PuRec), (guint)MIN(recs, G_MAXINT32 / 64));
    g_array_unref(u->rec_idents);
    u->rec_idents = g_array_sized_new(FALSE, FALSE, sizeof(guint32), (guint)MIN(recs * 3, G_MAXINT32 / 8));
  }
  if (u->idents->len == 0 && idents > 1024) {
    g_array_unref(u->idents);
    u->idents = g_array_sized_new(FALSE, FALSE, sizeof(PuIdent), (guint)MIN(idents, G_MAXINT32 / 64));
  }
  guint32 want = u->n_slots;
  while ((guint64)want < (u->idents->len + idents) * 2 && want < (1u << 30)) want *= 2;
  if (want > u->n_slots) {
    u->n_slots = want / 2;
    grow_slots(u);
  }
}

/* A pipe or standard input ("-"): read to the end into memory. */
static gboolean read_stream(int fd, const char *path, char **data, gsize *len, GError **error) {
  GString *buf = g_string_new(NULL);
  char block[65536];
  for (;;) {
    ssize_t n = read(fd, block, sizeof block);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_IO, "cannot read '%s': %s", path, g_strerror(errno));
      g_string_free(buf, TRUE);
      return FALSE;
    }
    if (n == 0) break;
    g_string_append_len(buf, block, n);
  }
  *len = buf->len;
  *data = g_string_free(buf, FALSE);
  return TRUE;
}

/* A regular file is mapped read-only, with its pages asked for at once (on
 * Linux, MAP_POPULATE): the records are read from start to end anyway, and
 * one request costs less than a fault per page. Anything else (a pipe,
 * "-" for standard input) is read into memory. */
static gboolean load_file(const char *path, char **data, gsize *len, gboolean *mapped, GError **error) {
  gboolean is_stdin = strcmp(path, "-") == 0;
  int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    int e = errno;
    if (fd >= 0 && !is_stdin) close(fd);
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_IO, "cannot open '%s': %s", path, g_strerror(e));
    return FALSE;
  }
  *data = NULL;
  *len = 0;
  *mapped = S_ISREG(st.st_mode);
  gboolean ok = TRUE;
  if (!*mapped) {
    ok = read_stream(fd, path, data, len, error);
  } else if (st.st_size > 0) {
    int flags = MAP_PRIVATE;
#ifdef MAP_POPULATE
    flags |= MAP_POPULATE;
#endif
    void *p = mmap(NULL, (gsize)st.st_size, PROT_READ, flags, fd, 0);
    if (p == MAP_FAILED) {
      g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_IO, "cannot read '%s': %s", path, g_strerror(errno));
      ok = FALSE;
    } else {
      *data = p;
      *len = (gsize)st.st_size;
    }
  }
  if (!is_stdin) close(fd);
  return ok;
}

/* Reads every line of `f` (already in u->files) as a record of its source. */
static void read_lines(PuUnifier *u, PuFile *f) {
  Reader r = {.u = u, .file = f, .members = g_array_new(FALSE, FALSE, sizeof(PuMember)),
              .scratch = g_string_new(NULL), .value = g_string_new(NULL),
              .pending = g_array_new(FALSE, FALSE, sizeof(Pending)), .held = g_string_new(NULL)};
  const char *p = f->data, *end = f->data + f->len;
  while (p && p < end) {
    const char *nl = memchr(p, '\n', (gsize)(end - p));
    const char *stop = nl ? nl : end;
    r.line++;
    u->n_lines++;
    const char *q = p;
    while (q < stop && (*q == ' ' || *q == '\t' || *q == '\r')) q++;
    if (q < stop && (gsize)(stop - p) > PU_MAX_LINE) {
      problem(&r, "the line is longer than 1 GiB");
      u->n_bad++;
    } else if (q < stop) {
      read_record(&r, p, (gsize)(stop - p));
    }
    p = nl ? nl + 1 : end;
  }
  g_array_unref(r.members);
  g_string_free(r.scratch, TRUE);
  g_string_free(r.value, TRUE);
  g_array_unref(r.pending);
  g_string_free(r.held, TRUE);
}

static PuFile *add_input(PuUnifier *u, guint source, const char *path, char *data, gsize len, gboolean mapped) {
  if (!u->rule_counts) u->rule_counts = g_new0(guint64, u->rule_names->len + 1);
  reserve(u, len);
  PuFile *f = g_new0(PuFile, 1);
  f->path = g_strdup(path);
  f->data = data;
  f->len = len;
  f->mapped = mapped;
  f->source = source;
  g_ptr_array_add(u->files, f);
  return f;
}

gboolean pu_add_file(PuUnifier *u, guint source, const char *path, GError **error) {
  g_return_val_if_fail(!u->resolved && source < u->n_sources, FALSE);
  char *data;
  gsize len;
  gboolean mapped;
  if (!load_file(path, &data, &len, &mapped, error)) return FALSE;
  read_lines(u, add_input(u, source, path, data, len, mapped));
  return TRUE;
}

void pu_add_data(PuUnifier *u, guint source, const char *name, char *data, gsize len) {
  g_return_if_fail(!u->resolved && source < u->n_sources);
  read_lines(u, add_input(u, source, name, data, len, FALSE));
}

void pu_set_problem_func(PuUnifier *u, PuProblemFunc fn, gpointer user) {
  u->problem_fn = fn;
  u->problem_user = user;
}

/* ---- joining ------------------------------------------------------------------------- */

/* Sort keys: the leading part of the canonical order packed into 64 bits,
 * so that the sort touches one array; ties fall back to the full order. */
typedef struct {
  guint64 key;
  guint32 index;
  guint32 unused;
} SortKey;

/* Sorts by key with an LSD radix sort (a byte per pass, passes in which
 * every key has the same byte skipped), then puts each run of equal keys
 * in the order of `tie` (such runs are rare and short). */
static void sort_keys(SortKey *a, guint32 n, GCompareDataFunc tie, void *data) {
  SortKey *tmp = g_new(SortKey, n + 1), *src = a, *dst = tmp;
  for (int shift = 0; shift < 64; shift += 8) {
    guint32 count[257] = {0};
    for (guint32 i = 0; i < n; i++) count[((src[i].key >> shift) & 0xff) + 1]++;
    gboolean one_bucket = FALSE;
    for (int b = 1; b <= 256; b++)
      if (count[b] == n) one_bucket = TRUE;
    if (one_bucket) continue;
    for (int b = 1; b <= 256; b++) count[b] += count[b - 1];
    for (guint32 i = 0; i < n; i++) dst[count[(src[i].key >> shift) & 0xff]++] = src[i];
    SortKey *t = src;
    src = dst;
    dst = t;
  }
  if (src != a) memcpy(a, src, sizeof(SortKey) * n);
  g_free(tmp);
  for (guint32 i = 0; i < n;) {
    guint32 j = i + 1;
    while (j < n && a[j].key == a[i].key) j++;
    for (guint32 x = i + 1; x < j; x++) { /* insertion sort of the run */
      SortKey v = a[x];
      guint32 y = x;
      for (; y > i && tie(&a[y - 1], &v, data) > 0; y--) a[y] = a[y - 1];
      a[y] = v;
    }
    i = j;
  }
}

static int cmp_ident_key(const void *a, const void *b, void *data) {
  const SortKey *p = a, *q = b;
  if (p->key != q->key) return p->key < q->key ? -1 : 1;
  const PuUnifier *u = data;
  const PuIdent *x = &g_array_index(u->idents, PuIdent, p->index);
  const PuIdent *y = &g_array_index(u->idents, PuIdent, q->index);
  if (x->kind != y->kind) return x->kind < y->kind ? -1 : 1;
  if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
  guint32 n = MIN(x->len, y->len);
  int c = memcmp(x->value, y->value, n);
  if (c) return c;
  return (x->len > y->len) - (x->len < y->len);
}

/* Identifiers in canonical order: the priority of their kind, the kind,
 * a hash of the value, the value. */
static void order_identifiers(PuUnifier *u) {
  guint32 n = u->idents->len;
  SortKey *keys = g_new(SortKey, n + 1);
  for (guint32 i = 0; i < n; i++) {
    const PuIdent *id = &g_array_index(u->idents, PuIdent, i);
    guint64 rank = MIN(u->keys[id->kind].rank, 63u), kind = MIN(id->kind, 63u);
    keys[i] = (SortKey){.key = rank << 58 | kind << 52 | id->hash >> 12, .index = i};
  }
  sort_keys(keys, n, (GCompareDataFunc)cmp_ident_key, u);
  u->order = g_new(guint32, n + 1);
  for (guint32 p = 0; p < n; p++) u->order[p] = keys[p].index;
  g_free(keys);
}

/* Insertion sort: a record has a handful of identifiers. */
static void sort_small(guint32 *v, guint32 n) {
  for (guint32 i = 1; i < n; i++) {
    guint32 x = v[i], j = i;
    for (; j > 0 && v[j - 1] > x; j--) v[j] = v[j - 1];
    v[j] = x;
  }
}

static int cmp_rec_key(const void *a, const void *b, void *data) {
  const SortKey *p = a, *q = b;
  if (p->key != q->key) return p->key < q->key ? -1 : 1;
  const PuUnifier *u = data;
  const PuRec *x = &g_array_index(u->recs, PuRec, p->index);
  const PuRec *y = &g_array_index(u->recs, PuRec, q->index);
  const guint32 *ix = &g_array_index(u->rec_idents, guint32, x->first_ident);
  const guint32 *iy = &g_array_index(u->rec_idents, guint32, y->first_ident);
  guint32 n = MIN(x->n_idents, y->n_idents);
  for (guint32 i = 0; i < n; i++)
    if (ix[i] != iy[i]) return ix[i] < iy[i] ? -1 : 1;
  return (x->n_idents > y->n_idents) - (x->n_idents < y->n_idents);
}

/* Records in the lexicographic order of their identifier lists (a list
 * before its extensions): the first two positions make the key. */
static guint32 *order_records(PuUnifier *u) {
  guint32 n = u->recs->len;
  SortKey *keys = g_new(SortKey, n + 1);
  for (guint32 i = 0; i < n; i++) {
    const PuRec *rec = &g_array_index(u->recs, PuRec, i);
    const guint32 *ids = &g_array_index(u->rec_idents, guint32, rec->first_ident);
    guint64 second = rec->n_idents > 1 ? (guint64)ids[1] + 1 : 0;
    keys[i] = (SortKey){.key = (guint64)ids[0] << 32 | second, .index = i};
  }
  sort_keys(keys, n, (GCompareDataFunc)cmp_rec_key, u);
  guint32 *order = g_new(guint32, n + 1);
  for (guint32 i = 0; i < n; i++) order[i] = keys[i].index;
  g_free(keys);
  return order;
}

static guint32 find(guint32 *parent, guint32 x) {
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

/* Counts of the limited kinds per set, at the set's root. */
typedef struct {
  guint32 *count; /* n_positions × n_limited */
  guint *limited; /* the kinds with a limit */
  guint n_limited;
} Limits;

/* The limit that joining sets `ra` and `rb` would break, or -1. */
static int broken_limit(const PuUnifier *u, const Limits *l, guint32 ra, guint32 rb) {
  for (guint i = 0; i < l->n_limited; i++) {
    guint k = l->limited[i];
    if (l->count[(gsize)ra * l->n_limited + i] + l->count[(gsize)rb * l->n_limited + i] > u->keys[k].limit)
      return (int)k;
  }
  return -1;
}

static void join_records(PuUnifier *u, guint32 *rec_order, Limits *l) {
  u->edges = g_array_new(FALSE, FALSE, sizeof(PuEdge));
  u->refused = g_array_new(FALSE, FALSE, sizeof(PuEdge));
  for (guint32 i = 0; i < u->recs->len; i++) {
    const PuRec *rec = &g_array_index(u->recs, PuRec, rec_order[i]);
    const guint32 *ids = &g_array_index(u->rec_idents, guint32, rec->first_ident);
    guint32 a = ids[0];
    for (guint32 j = 1; j < rec->n_idents; j++) {
      guint32 ra = find(u->parent, a), rb = find(u->parent, ids[j]);
      if (ra == rb) continue;
      PuEdge e = {.a = a, .b = ids[j], .rec = rec_order[i], .rule = PU_NONE};
      int k = l->n_limited ? broken_limit(u, l, ra, rb) : -1;
      if (k >= 0) {
        e.rule = u->limit_rule[k];
        u->rule_counts[e.rule]++;
        g_array_append_val(u->refused, e);
        continue;
      }
      guint32 root = MIN(ra, rb), child = MAX(ra, rb);
      u->parent[child] = root;
      for (guint x = 0; x < l->n_limited; x++)
        l->count[(gsize)root * l->n_limited + x] += l->count[(gsize)child * l->n_limited + x];
      g_array_append_val(u->edges, e);
    }
  }
}

/* Profiles in the order of their roots; each profile's records in
 * by_cluster from cluster_first[c] to cluster_first[c + 1]. */
static void group_records(PuUnifier *u) {
  guint32 n = u->idents->len, nr = u->recs->len;
  guint32 *count = g_new0(guint32, n + 1);
  for (guint32 i = 0; i < nr; i++) {
    const PuRec *rec = &g_array_index(u->recs, PuRec, i);
    count[u->parent[g_array_index(u->rec_idents, guint32, rec->first_ident)]]++;
  }
  guint32 clusters = 0;
  for (guint32 p = 0; p < n; p++)
    if (count[p]) clusters++;
  u->n_clusters = clusters;
  u->cluster_first = g_new0(guint32, clusters + 1);
  u->cluster_root = g_new0(guint32, clusters + 1);
  guint32 *start = g_new0(guint32, n + 1);
  guint32 c = 0, at = 0;
  for (guint32 p = 0; p < n; p++) {
    if (!count[p]) continue;
    u->cluster_first[c] = at;
    u->cluster_root[c] = p;
    start[p] = at;
    at += count[p];
    c++;
  }
  u->cluster_first[clusters] = at;
  u->by_cluster = g_new0(guint32, nr + 1);
  for (guint32 i = 0; i < nr; i++) {
    const PuRec *rec = &g_array_index(u->recs, PuRec, i);
    u->by_cluster[start[u->parent[g_array_index(u->rec_idents, guint32, rec->first_ident)]]++] = i;
  }
  g_free(count);
  g_free(start);
}

/* The unkeyed id: FNV-1a over the kind, a 0x1f and the value, then
 * splitmix64's finaliser (every input bit reaches every output bit). */
static guint64 plain_id(const char *kind, const PuIdent *id) {
  guint64 h = 0x9e3779b97f4a7c15ULL;
  for (const char *p = kind; *p; p++) h = (h ^ (guchar)*p) * 0x100000001b3ULL;
  h = (h ^ 0x1f) * 0x100000001b3ULL;
  for (guint32 i = 0; i < id->len; i++) h = (h ^ (guchar)id->value[i]) * 0x100000001b3ULL;
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

/* The keyed id: the first 8 bytes of HMAC-SHA-256(key, kind 0x1f value),
 * from a copy of the keyed HMAC (the key's blocks are hashed once). */
static guint64 keyed_id(GHmac *keyed, const char *kind, const PuIdent *id) {
  GHmac *h = g_hmac_copy(keyed);
  g_hmac_update(h, (const guchar *)kind, (gssize)strlen(kind));
  g_hmac_update(h, (const guchar *)"\x1f", 1);
  g_hmac_update(h, (const guchar *)id->value, id->len);
  guint8 digest[32];
  gsize len = sizeof digest;
  g_hmac_get_digest(h, digest, &len);
  g_hmac_unref(h);
  guint64 v = 0;
  for (int i = 0; i < 8; i++) v = v << 8 | digest[i];
  return v;
}

/* "p-" and 16 hex digits of the kind and value of the profile's first
 * identifier in canonical order, keyed when a pseudonym key is configured
 * (docs/unify.md, "Profile ids"). */
static void name_profiles(PuUnifier *u) {
  static const char hex[] = "0123456789abcdef";
  u->cluster_ids = g_new(PuProfileId, u->n_clusters + 1);
  for (guint32 c = 0; c < u->n_clusters; c++) {
    const PuIdent *id = &g_array_index(u->idents, PuIdent, u->order[u->cluster_root[c]]);
    const char *kind = u->keys[id->kind].kind;
    guint64 h = u->id_hmac ? keyed_id(u->id_hmac, kind, id) : plain_id(kind, id);
    char *t = u->cluster_ids[c].text;
    t[0] = 'p', t[1] = '-';
    for (int k = 0; k < 16; k++) t[2 + k] = hex[(h >> (60 - 4 * k)) & 15];
    t[18] = 0;
  }
}

void pu_resolve(PuUnifier *u) {
  g_return_if_fail(!u->resolved);
  u->resolved = TRUE;
  if (!u->rule_counts) u->rule_counts = g_new0(guint64, u->rule_names->len + 1);
  guint32 n = u->idents->len;
  order_identifiers(u);
  guint32 *pos = g_new(guint32, n + 1);
  for (guint32 p = 0; p < n; p++) pos[u->order[p]] = p;
  guint32 *ri = (guint32 *)u->rec_idents->data;
  for (guint32 i = 0; i < u->rec_idents->len; i++) ri[i] = pos[ri[i]];
  g_free(pos);
  for (guint32 i = 0; i < u->recs->len; i++) {
    const PuRec *rec = &g_array_index(u->recs, PuRec, i);
    sort_small(ri + rec->first_ident, rec->n_idents);
  }
  guint32 *rec_order = order_records(u);

  u->parent = g_new(guint32, n + 1);
  for (guint32 p = 0; p < n; p++) u->parent[p] = p;
  Limits l = {.limited = g_new0(guint, u->n_keys + 1)};
  for (guint k = 0; k < u->n_keys; k++)
    if (u->keys[k].limit) l.limited[l.n_limited++] = k;
  l.count = g_new0(guint32, (gsize)n * l.n_limited + 1);
  for (guint32 p = 0; p < n; p++) {
    guint kind = g_array_index(u->idents, PuIdent, u->order[p]).kind;
    for (guint x = 0; x < l.n_limited; x++)
      if (l.limited[x] == kind) l.count[(gsize)p * l.n_limited + x] = 1;
  }
  join_records(u, rec_order, &l);
  for (guint32 p = 0; p < n; p++) u->parent[p] = find(u->parent, p);
  group_records(u);
  name_profiles(u);
  g_free(l.count);
  g_free(l.limited);
  g_free(rec_order);
}
