/* unify_output.c - what `persona unify` writes: the profiles, the report
 * and explanations; see unify.h and docs/unify.md.
 *
 * Within a profile the records are taken oldest first (their source's
 * `time`, then the source's name, then a hash of the record's bytes, then
 * the bytes), so `latest` and `first` depend on the data only; events are sorted by their `at`
 * and then their bytes. No identifier value is ever written here except
 * inside the profiles themselves (which are data, like the inputs). */
#include "unify_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json_scan.h"

/* ---- one profile ------------------------------------------------------------------- */

typedef struct {
  const char *val; /* the chosen value's text, or NULL */
  gsize len;
  double sum;
  gint64 isum;
  gboolean all_int, any;
} Acc;

typedef struct {
  gint64 at;
  gsize off, len; /* in the events buffer */
} Ev;

typedef struct {
  PuUnifier *u;
  GArray *members;
  GString *events;   /* every event's JSON text of the profile */
  GArray **ev;       /* per field: Ev */
  Acc *acc;
  GString *scratch;
} Merge;

static int cmp_rec_in_profile(const void *a, const void *b, void *data) {
  const PuUnifier *u = data;
  const PuRec *x = &g_array_index(u->recs, PuRec, *(const guint32 *)a);
  const PuRec *y = &g_array_index(u->recs, PuRec, *(const guint32 *)b);
  if (x->time != y->time) return x->time < y->time ? -1 : 1;
  const PuFile *fx = g_ptr_array_index(u->files, x->file), *fy = g_ptr_array_index(u->files, y->file);
  guint sx = u->sources[fx->source].name_rank, sy = u->sources[fy->source].name_rank;
  if (sx != sy) return sx < sy ? -1 : 1;
  if (x->text_hash != y->text_hash) return x->text_hash < y->text_hash ? -1 : 1;
  int c = memcmp(x->text, y->text, MIN(x->len, y->len));
  if (c) return c;
  return (x->len > y->len) - (x->len < y->len);
}

/* A profile has few records and events: insertion sort below a size
 * where GLib's merge sort pays off. */
static void sort_small(void *base, guint n, gsize size, GCompareDataFunc cmp, void *data) {
  if (n > 32) {
    g_qsort_with_data(base, (gint)n, size, cmp, data);
    return;
  }
  char *a = base, v[64];
  g_assert(size <= sizeof v);
  for (guint i = 1; i < n; i++) {
    memcpy(v, a + i * size, size);
    guint j = i;
    for (; j > 0 && cmp(a + (j - 1) * size, v, data) > 0; j--) memcpy(a + j * size, a + (j - 1) * size, size);
    memcpy(a + j * size, v, size);
  }
}

static gboolean is_empty_value(const PuMember *m) {
  if (m->type == PU_JNULL) return TRUE;
  if (m->type == PU_JSTRING || m->type == PU_JARRAY || m->type == PU_JOBJECT) {
    const char *p = m->val + 1, *end = m->val + m->val_len - 1;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return p >= end;
  }
  return FALSE;
}

/* The value as a number for `max`: a number, or a time as microseconds. */
static gboolean order_value(Merge *mg, const char *val, gsize len, double *out) {
  g_string_truncate(mg->scratch, 0);
  if (val[0] == '"') {
    if (!pu_json_decode_string(val, len, mg->scratch)) return FALSE;
    gint64 t;
    if (!persona_time_parse(mg->scratch->str, &t)) return FALSE;
    *out = (double)t;
    return TRUE;
  }
  pu_append(mg->scratch, val, len);
  char *end = NULL;
  *out = g_ascii_strtod(mg->scratch->str, &end);
  return end && *end == 0;
}

static void merge_field(Merge *mg, const PuRec *rec, guint f, const PuMember *m) {
  Acc *a = &mg->acc[f];
  switch (mg->u->fields[f].merge) {
  case PERSONA_MERGE_LATEST:
    if (m->type != PU_JNULL) a->val = m->val, a->len = m->val_len;
    break;
  case PERSONA_MERGE_FIRST:
    if (!a->val && m->type != PU_JNULL) a->val = m->val, a->len = m->val_len;
    break;
  case PERSONA_MERGE_NON_EMPTY:
    if (!is_empty_value(m)) a->val = m->val, a->len = m->val_len;
    break;
  case PERSONA_MERGE_SUM:
    if (m->type == PU_JNUMBER) {
      double d = g_ascii_strtod(m->val, NULL);
      gboolean integral = !memchr(m->val, '.', m->val_len) && !memchr(m->val, 'e', m->val_len) &&
                          !memchr(m->val, 'E', m->val_len) && fabs(d) < 9e15;
      if (!a->any) a->all_int = TRUE;
      a->any = TRUE;
      a->all_int = a->all_int && integral;
      a->sum += d;
      if (integral) a->isum += (gint64)d;
    } /* anything else was reported when the record was read */
    break;
  case PERSONA_MERGE_MAX: {
    if (m->type == PU_JNULL) break;
    double x, y;
    if (!a->val) {
      a->val = m->val, a->len = m->val_len;
    } else if (order_value(mg, m->val, m->val_len, &x) && order_value(mg, a->val, a->len, &y)) {
      if (x > y) a->val = m->val, a->len = m->val_len;
    } else {
      int c = memcmp(m->val, a->val, MIN(m->val_len, a->len));
      if (c > 0 || (c == 0 && m->val_len > a->len)) a->val = m->val, a->len = m->val_len;
    }
    break;
  }
  case PERSONA_MERGE_EVENTS: break;
  }
}

/* `"NAME":` for a field name of the model: an identifier, so nothing in
 * it needs escaping (no quote, backslash or control character). */
static inline void append_name(GString *out, const char *name) {
  g_string_append_c(out, '"');
  pu_append(out, name, strlen(name));
  pu_append(out, "\":", 2);
}

/* The record's event for list field `f` (the maps of one `event` clause). */
static void add_event(Merge *mg, const PuSourceInfo *s, guint f) {
  Ev ev = {.at = G_MININT64, .off = mg->events->len};
  g_string_append_c(mg->events, '{');
  gboolean first = TRUE;
  for (guint j = 0; j < s->src.n_maps; j++) {
    const PersonaSourceMap *map = &s->maps[j];
    if (map->kind != PERSONA_MAP_EVENT || map->target != f) continue;
    const PuMember *m = map->from ? pu_json_get(mg->members, map->from) : NULL;
    if (map->from && (!m || m->type == PU_JNULL)) continue;
    if (!first) g_string_append_c(mg->events, ',');
    first = FALSE;
    append_name(mg->events, map->sub);
    if (m) {
      pu_append(mg->events, m->val, m->val_len);
      double t;
      if (strcmp(map->sub, "at") == 0 && order_value(mg, m->val, m->val_len, &t)) {
        if (m->type == PU_JNUMBER) t *= 1e6; /* Unix seconds */
        ev.at = (gint64)t;
      }
    } else {
      persona_json_append_string(mg->events, map->constant, -1);
    }
  }
  g_string_append_c(mg->events, '}');
  ev.len = mg->events->len - ev.off;
  g_array_append_val(mg->ev[f], ev);
}

static void merge_record(Merge *mg, const PuRec *rec) {
  PuUnifier *u = mg->u;
  const PuFile *file = g_ptr_array_index(u->files, rec->file);
  const PuSourceInfo *s = &u->sources[file->source];
  g_array_set_size(mg->members, 0);
  for (guint32 i = 0; i < rec->n_spans; i++) {
    const PuSpan *sp = &g_array_index(u->spans, PuSpan, rec->first_span + i);
    const char *from = s->maps[sp->map].from;
    PuMember m = {.key = from, .key_len = strlen(from), .val = rec->text + sp->off, .val_len = sp->len,
                  .type = (PuJsonType)sp->type};
    g_array_append_val(mg->members, m);
  }
  guint32 done_events = 0; /* event lists this record already fed (one event per clause) */
  for (guint j = 0; j < s->src.n_maps; j++) {
    const PersonaSourceMap *map = &s->maps[j];
    if (map->kind == PERSONA_MAP_FIELD) {
      const PuMember *m = pu_json_get(mg->members, map->from);
      if (m) merge_field(mg, rec, map->target, m);
    } else if (map->kind == PERSONA_MAP_EVENT && map->target < 32 && !(done_events & (1u << map->target))) {
      done_events |= 1u << map->target;
      add_event(mg, s, map->target);
    }
  }
}

static int cmp_ev(const void *a, const void *b, void *data) {
  const Ev *x = a, *y = b;
  const char *text = data;
  if (x->at != y->at) return x->at < y->at ? -1 : 1;
  int c = memcmp(text + x->off, text + y->off, MIN(x->len, y->len));
  if (c) return c;
  return (x->len > y->len) - (x->len < y->len);
}

static void write_number(GString *out, const Acc *a) {
  if (a->all_int) {
    g_string_append_printf(out, "%" G_GINT64_FORMAT, a->isum);
  } else {
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_string_append(out, g_ascii_dtostr(buf, sizeof buf, a->sum));
  }
}

static void write_profile(Merge *mg, guint32 c, GString *out) {
  PuUnifier *u = mg->u;
  guint32 first = u->cluster_first[c], n = u->cluster_first[c + 1] - first;
  guint32 *recs = u->by_cluster + first;
  sort_small(recs, n, sizeof(guint32), cmp_rec_in_profile, u);
  memset(mg->acc, 0, sizeof(Acc) * (u->n_fields + 1));
  g_string_truncate(mg->events, 0);
  for (guint f = 0; f < u->n_fields; f++) g_array_set_size(mg->ev[f], 0);
  for (guint32 i = 0; i < n; i++) merge_record(mg, &g_array_index(u->recs, PuRec, recs[i]));

  g_string_append_c(out, '{');
  persona_json_append_string(out, u->key_field ? u->key_field : "id", -1);
  pu_append(out, ":\"", 2);
  pu_append(out, u->cluster_ids[c].text, 18);
  g_string_append_c(out, '"');
  for (guint f = 0; f < u->n_fields; f++) {
    const Acc *a = &mg->acc[f];
    gboolean events = u->fields[f].merge == PERSONA_MERGE_EVENTS;
    if (!events && !a->val && !a->any) continue;
    g_string_append_c(out, ',');
    append_name(out, u->fields[f].name);
    if (events) {
      GArray *ev = mg->ev[f];
      sort_small(ev->data, ev->len, sizeof(Ev), cmp_ev, mg->events->str);
      g_string_append_c(out, '[');
      for (guint i = 0; i < ev->len; i++) {
        const Ev *e = &g_array_index(ev, Ev, i);
        if (i) g_string_append_c(out, ',');
        pu_append(out, mg->events->str + e->off, e->len);
      }
      g_string_append_c(out, ']');
    } else if (u->fields[f].merge == PERSONA_MERGE_SUM) {
      write_number(out, a);
    } else {
      pu_append(out, a->val, a->len);
    }
  }
  pu_append(out, "}\n", 2);
}

/* A profile's records lie anywhere in the input: waiting for each one's
 * line (and its entry and spans) to come from memory is most of the time
 * writing takes on a large input. So the entries of the records four
 * profiles ahead are asked for, and the lines and spans of those two
 * ahead (whose entries have arrived by then). */
static inline void prefetch_ahead(const PuUnifier *u, guint32 c) {
  if (c + 4 < u->n_clusters)
    for (guint32 i = u->cluster_first[c + 4]; i < u->cluster_first[c + 5]; i++)
      __builtin_prefetch(&g_array_index(u->recs, PuRec, u->by_cluster[i]));
  if (c + 2 < u->n_clusters)
    for (guint32 i = u->cluster_first[c + 2]; i < u->cluster_first[c + 3]; i++) {
      const PuRec *rec = &g_array_index(u->recs, PuRec, u->by_cluster[i]);
      __builtin_prefetch(rec->text);
      __builtin_prefetch(rec->text + 64);
      __builtin_prefetch(&g_array_index(u->spans, PuSpan, rec->first_span));
    }
}

static void merge_init(Merge *mg, PuUnifier *u) {
  *mg = (Merge){.u = u, .members = g_array_new(FALSE, FALSE, sizeof(PuMember)), .events = g_string_new(NULL),
                .acc = g_new0(Acc, u->n_fields + 1), .scratch = g_string_new(NULL)};
  mg->ev = g_new0(GArray *, u->n_fields + 1);
  for (guint f = 0; f < u->n_fields; f++) mg->ev[f] = g_array_new(FALSE, FALSE, sizeof(Ev));
}

static void merge_clear(Merge *mg) {
  for (guint f = 0; f < mg->u->n_fields; f++) g_array_unref(mg->ev[f]);
  g_free(mg->ev);
  g_free(mg->acc);
  g_array_unref(mg->members);
  g_string_free(mg->events, TRUE);
  g_string_free(mg->scratch, TRUE);
}

gboolean pu_write_profiles(PuUnifier *u, PersonaOutputFile *out, GError **error) {
  g_return_val_if_fail(u->resolved, FALSE);
  Merge mg;
  merge_init(&mg, u);
  GString *buf = g_string_sized_new(1 << 20);
  gboolean ok = TRUE;
  for (guint32 c = 0; ok && c < u->n_clusters; c++) {
    prefetch_ahead(u, c);
    write_profile(&mg, c, buf);
    if (buf->len >= (1 << 20) || c + 1 == u->n_clusters) {
      ok = persona_output_file_write(out, buf->str, buf->len, error);
      g_string_truncate(buf, 0);
    }
  }
  g_string_free(buf, TRUE);
  merge_clear(&mg);
  return ok;
}

void pu_foreach_profile(PuUnifier *u, PuProfileFunc fn, gpointer user) {
  g_return_if_fail(u->resolved);
  Merge mg;
  merge_init(&mg, u);
  GString *buf = g_string_new(NULL);
  GArray *places = g_array_new(FALSE, FALSE, sizeof(guint32));
  for (guint32 c = 0; c < u->n_clusters; c++) {
    g_string_truncate(buf, 0);
    write_profile(&mg, c, buf);
    g_array_set_size(places, 0);
    for (guint32 i = u->cluster_first[c]; i < u->cluster_first[c + 1]; i++) {
      const PuRec *rec = &g_array_index(u->recs, PuRec, u->by_cluster[i]);
      g_array_append_val(places, rec->file);
      g_array_append_val(places, rec->line);
    }
    fn(user, u->cluster_ids[c].text, buf->str, buf->len - 1, (const guint32 *)places->data, places->len / 2);
  }
  g_array_unref(places);
  g_string_free(buf, TRUE);
  merge_clear(&mg);
}

/* ---- sizes and the report ---------------------------------------------------------- */

guint64 pu_largest_profile(const PuUnifier *u, GString *id) {
  guint64 best = 0;
  guint32 at = 0;
  for (guint32 c = 0; c < u->n_clusters; c++) {
    guint64 n = u->cluster_first[c + 1] - u->cluster_first[c];
    if (n > best) best = n, at = c;
  }
  if (best && id) g_string_append(id, u->cluster_ids[at].text);
  return best;
}

static int cmp_u64(const void *a, const void *b) {
  guint64 x = *(const guint64 *)a, y = *(const guint64 *)b;
  return (x > y) - (x < y);
}

/* max and the 99th percentile (nearest rank) of `v`, sorted here. */
static void append_dist(GString *out, const char *name, guint64 *v, guint32 n) {
  qsort(v, n, sizeof(guint64), cmp_u64);
  guint64 max = n ? v[n - 1] : 0, p99 = 0;
  if (n) {
    guint64 rank = (99 * (guint64)n + 99) / 100; /* ceil(0.99 n) */
    p99 = v[rank - 1];
  }
  double sum = 0;
  for (guint32 i = 0; i < n; i++) sum += (double)v[i];
  char mean[G_ASCII_DTOSTR_BUF_SIZE];
  g_ascii_formatd(mean, sizeof mean, "%.3f", n ? sum / n : 0.0);
  g_string_append_printf(out, ",\"%s\":{\"max\":%" G_GUINT64_FORMAT ",\"p99\":%" G_GUINT64_FORMAT ",\"mean\":%s}",
                         name, max, p99, mean);
}

void pu_report_json(const PuUnifier *u, GString *out) {
  guint64 records = u->recs->len;
  g_string_append_printf(out, "{\"records\":%" G_GUINT64_FORMAT ",\"sources\":{", records);
  for (guint s = 0; s < u->n_sources; s++) {
    if (s) g_string_append_c(out, ',');
    persona_json_append_string(out, u->sources[s].src.name, -1);
    g_string_append_printf(out, ":%" G_GUINT64_FORMAT, u->per_source[s]);
  }
  guint64 singletons = 0;
  guint64 *sizes = g_new0(guint64, u->n_clusters + 1), *ids = g_new0(guint64, u->n_clusters + 1);
  guint32 *per_root = g_new0(guint32, u->idents->len + 1);
  for (guint32 p = 0; p < u->idents->len; p++) per_root[u->parent[p]]++;
  for (guint32 c = 0; c < u->n_clusters; c++) {
    sizes[c] = u->cluster_first[c + 1] - u->cluster_first[c];
    ids[c] = per_root[u->cluster_root[c]];
    if (sizes[c] == 1) singletons++;
  }
  guint32 joining = 0; /* blocked and excluded values are interned too, but join nothing */
  for (guint32 i = 0; i < u->idents->len; i++)
    if (g_array_index(u->idents, PuIdent, i).dropped == PU_NONE) joining++;
  g_string_append_printf(out, "},\"profiles\":%u,\"singletons\":%" G_GUINT64_FORMAT ",\"identifiers\":%u",
                         u->n_clusters, singletons, joining);
  append_dist(out, "records_per_profile", sizes, u->n_clusters);
  append_dist(out, "identifiers_per_profile", ids, u->n_clusters);
  g_string_append(out, ",\"joins\":");
  g_string_append_printf(out, "%u,\"rules\":{", u->edges ? u->edges->len : 0);
  for (guint r = 0; r < u->rule_names->len; r++) {
    if (r) g_string_append_c(out, ',');
    persona_json_append_string(out, g_ptr_array_index(u->rule_names, r), -1);
    g_string_append_printf(out, ":%" G_GUINT64_FORMAT, u->rule_counts ? u->rule_counts[r] : 0);
  }
  g_string_append_printf(out, "},\"left_out\":%" G_GUINT64_FORMAT ",\"bad_records\":%" G_GUINT64_FORMAT "}\n",
                         u->n_left_out, u->n_bad);
  g_free(sizes);
  g_free(ids);
  g_free(per_root);
}

/* ---- explain ---------------------------------------------------------------------- */

static const char *rec_place(const PuUnifier *u, guint32 rec, GString *buf) {
  const PuRec *r = &g_array_index(u->recs, PuRec, rec);
  const PuFile *f = g_ptr_array_index(u->files, r->file);
  g_string_printf(buf, "%s:%u", f->path, r->line);
  return buf->str;
}

/* "phone#2": identifiers are named by kind and their number within the
 * profile, never by value. */
static void ident_name(const PuUnifier *u, const guint32 *number, guint32 pos, GString *out) {
  const PuIdent *id = &g_array_index(u->idents, PuIdent, u->order[pos]);
  g_string_append_printf(out, "%s#%u", u->keys[id->kind].kind, number[pos]);
}

/* The id of the profile whose root is `root`, or "no profile" when no
 * record is placed there (an identifier whose only join was refused). */
static void profile_of_root(const PuUnifier *u, guint32 root, GString *out) {
  guint32 lo = 0, hi = u->n_clusters;
  while (lo < hi) { /* cluster_root is increasing */
    guint32 mid = lo + (hi - lo) / 2;
    if (u->cluster_root[mid] < root) lo = mid + 1; else hi = mid;
  }
  g_string_append(out, lo < u->n_clusters && u->cluster_root[lo] == root ? u->cluster_ids[lo].text : "no profile");
}

gboolean pu_explain(const PuUnifier *u, const char *id, GString *out) {
  guint32 c = 0;
  while (c < u->n_clusters && strcmp(u->cluster_ids[c].text, id) != 0) c++;
  if (c == u->n_clusters) return FALSE;
  guint32 root = u->cluster_root[c], n = u->cluster_first[c + 1] - u->cluster_first[c];
  g_autoptr(GString) place = g_string_new(NULL);
  guint32 *number = g_new0(guint32, u->idents->len + 1);
  guint32 count = 0;
  for (guint32 p = 0; p < u->idents->len; p++)
    if (u->parent[p] == root) number[p] = ++count;
  const PuIdent *best = &g_array_index(u->idents, PuIdent, u->order[root]);
  g_string_append_printf(out, "profile %s: %u record%s, %u identifier%s; its id comes from %s#1 "
                         "(identifier values are not shown)\n",
                         id, n, n == 1 ? "" : "s", count, count == 1 ? "" : "s", u->keys[best->kind].kind);
  g_string_append(out, "identifiers (first seen):\n");
  for (guint32 p = 0; p < u->idents->len; p++) {
    if (u->parent[p] != root) continue;
    g_string_append(out, "  ");
    ident_name(u, number, p, out);
    g_string_append_printf(out, "  %s\n", rec_place(u, g_array_index(u->idents, PuIdent, u->order[p]).first_rec, place));
  }
  g_string_append(out, "joined by:\n");
  guint joins = 0;
  for (guint i = 0; i < u->edges->len; i++) {
    const PuEdge *e = &g_array_index(u->edges, PuEdge, i);
    if (u->parent[e->a] != root) continue;
    g_string_append(out, "  ");
    ident_name(u, number, e->a, out);
    g_string_append(out, " -- ");
    ident_name(u, number, e->b, out);
    g_string_append_printf(out, "  %s\n", rec_place(u, e->rec, place));
    joins++;
  }
  if (!joins) g_string_append(out, "  (nothing: one identifier)\n");
  g_autoptr(GString) other = g_string_new(NULL);
  for (guint i = 0; i < u->refused->len; i++) {
    const PuEdge *e = &g_array_index(u->refused, PuEdge, i);
    gboolean here_a = u->parent[e->a] == root, here_b = u->parent[e->b] == root;
    if (!here_a && !here_b) continue;
    guint32 mine = here_a ? e->a : e->b, theirs = here_a ? e->b : e->a;
    g_string_truncate(other, 0);
    profile_of_root(u, u->parent[theirs], other);
    g_string_append(out, "refused: ");
    ident_name(u, number, mine, out);
    g_string_append_printf(out, " -- %s of %s (%s)  %s\n",
                           u->keys[g_array_index(u->idents, PuIdent, u->order[theirs]).kind].kind, other->str,
                           (const char *)g_ptr_array_index(u->rule_names, e->rule), rec_place(u, e->rec, place));
  }
  g_string_append(out, "records:\n");
  for (guint32 i = 0; i < n; i++) {
    guint32 r = u->by_cluster[u->cluster_first[c] + i];
    const PuFile *f = g_ptr_array_index(u->files, g_array_index(u->recs, PuRec, r).file);
    g_string_append_printf(out, "  %s  (source %s)\n", rec_place(u, r, place), u->sources[f->source].src.name);
  }
  g_free(number);
  return TRUE;
}
