/* json_tree.c - a profile decoded from the host's tree; see json_tree.h.
 *
 * It follows the plan, not the tree: each field the model reads (and the
 * key, and a record's `at`) is looked up by name, so keys the plan does
 * not name and fields nobody reads cost nothing. Scalars are read as the
 * text decoder reads them: numbers from their JSON spelling through
 * pdec_scalar() (so 5.0 is the int 5, and rounding is the same), times and
 * durations from text with ptime_parse()/pduration_parse() or from a
 * number of seconds. Anything the text decoder would report - a wrong
 * type, a missing required field, a null element, a limit - is declined.
 */
#include "json_tree.h"

#include <glib.h>

#include "json_decode_impl.h"
#include "ptime.h"
#include "ptime_zone.h"

#define WALK_NONE 0xFF /* in a PTreeMemoSlot: no field */

typedef struct {
  const PersonaTreeReader *r;
  PersonaTreeMembers members; /* NULL: fields are looked up with r->member */
  void *ctx;
  PArena *arena;
  int64_t now_us;
  GTimeZone *input_tz; /* times without an offset are read in it, or NULL (borrowed) */
  PTreeMemo *memo;     /* with members */
  int64_t next_visible; /* the earliest `at` left out as in the future */
  int64_t next_visible_pii; /* … of events inside a pii field */
  bool in_pii;          /* reading a pii field's value */
} Tree;

static bool tree_value(Tree *t, const PDecodeType *type, const void *node, PValue *out);

/* A number, time or duration from a number node: its JSON spelling
 * decoded as the text decoder decodes a value of that kind. */
static bool tree_number(Tree *t, PDecodeKind kind, const void *node, PValue *out) {
  gsize len = 0;
  const char *text = t->r->text(t->ctx, node, &len);
  return text && pdec_scalar(text, len, kind, t->arena, out, NULL, 0);
}

static bool tree_string(Tree *t, const void *node, const char **s, size_t *len) {
  gsize n = 0;
  *s = t->r->text(t->ctx, node, &n);
  *len = n;
  return *s && n <= PDEC_MAX_STRING;
}

/* Time or duration from text or a number of seconds. */
static bool tree_instant(Tree *t, PDecodeKind kind, PersonaNodeKind nk, const void *node, PValue *out) {
  if (nk == PERSONA_NODE_NUMBER) return tree_number(t, kind, node, out);
  const char *s;
  size_t len;
  int64_t us;
  if (nk != PERSONA_NODE_STRING || !tree_string(t, node, &s, &len)) return false;
  if (kind == PDT_TIME || kind == PDT_TIME_MS) {
    /* As the text decoder: a time without an offset in the input zone. */
    PTimeStatus ts = ptime_parse_status(s, len, &us);
    if (ts == PTIME_BAD && t->input_tz) ts = ptime_parse_local(s, len, t->input_tz, &us);
    if (ts != PTIME_OK) return false;
  } else if (!pduration_parse(s, len, &us)) {
    return false;
  }
  *out = kind == PDT_DURATION ? pv_duration(us) : pv_time(us);
  return true;
}

/* As-of semantics, as in the text decoder: an event after `now` is
 * invisible to the model. */
static bool in_future(Tree *t, const PDecodePlan *plan, PValue rec) {
  if (plan->at_field < 0 || (uint32_t)plan->at_field >= plan->n_fields) return false;
  PValue at = rec.u.items[plan->at_field];
  if (!(at.kind == PV_TIME && at.u.i > t->now_us)) return false;
  int64_t *nv = t->in_pii || plan->fields[plan->at_field].pii ? &t->next_visible_pii : &t->next_visible;
  if (at.u.i < *nv) *nv = at.u.i; /* it becomes visible then */
  return true;
}

static bool always_decoded(const PDecodePlan *plan, uint32_t f) {
  return (int)f == plan->key_field || (int)f == plan->at_field;
}

/* The fields of one object, in plan order: absent and null fields get
 * their default, or null when optional or never read; a required one is
 * declined. */
static bool walk_record(Tree *t, const PDecodePlan *plan, const void *node, PValue *out, PValue *key);

static bool tree_record(Tree *t, const PDecodePlan *plan, const void *node, PValue *out, PValue *key) {
  if (t->members) return walk_record(t, plan, node, out, key);
  PValue *fields = pa_alloc(t->arena, (plan->n_fields ? plan->n_fields : 1) * sizeof(PValue));
  if (!fields) return false;
  for (uint32_t f = 0; f < plan->n_fields; f++) {
    const PDecodeField *fd = &plan->fields[f];
    PValue absent = fd->has_default ? fd->default_value : pv_null();
    if (!fd->used && !always_decoded(plan, f)) {
      fields[f] = absent; /* never read, so never checked: as the text decoder */
      continue;
    }
    const void *v = t->r->member(t->ctx, node, fd->name, fd->name_len);
    if (!v || t->r->kind(t->ctx, v) == PERSONA_NODE_NULL) {
      if (!fd->has_default && !fd->optional) return false; /* required */
      fields[f] = absent;
      continue;
    }
    bool was_pii = t->in_pii;
    t->in_pii |= fd->pii;
    bool ok = tree_value(t, &fd->type, v, &fields[f]);
    t->in_pii = was_pii;
    if (!ok) return false;
  }
  if (key && plan->key_field >= 0) *key = fields[plan->key_field];
  *out = pv_record(fields, plan->n_fields);
  return true;
}

/* One record walked: the members the host hands over are matched to the
 * plan's fields and decoded as they come. */
typedef struct {
  Tree *t;
  const PDecodePlan *plan;
  PValue *fields;
  uint8_t *memo; /* the plan's PTreeMemoSlot.field */
  uint8_t *seen; /* seen[f]: field f had a member */
  uint32_t k;    /* members visited so far */
} Walk;

static bool field_named(const PDecodeField *fd, const char *key, size_t len) {
  return fd->name_len == len && memcmp(fd->name, key, len) == 0;
}

static gboolean walk_visit(gpointer walk, const char *key, gsize len, gconstpointer value) {
  Walk *w = walk;
  Tree *t = w->t;
  const PDecodePlan *plan = w->plan;
  uint32_t k = w->k++;
  int f;
  if (k < PDEC_TREE_MEMO_KEYS && w->memo[k] < plan->n_fields && field_named(&plan->fields[w->memo[k]], key, len)) {
    f = w->memo[k];
  } else {
    uint32_t hint = 0;
    f = pdec_find_field(plan, key, len, &hint);
    if (k < PDEC_TREE_MEMO_KEYS) w->memo[k] = f < 0 || f >= WALK_NONE ? WALK_NONE : (uint8_t)f;
  }
  if (f < 0) return TRUE;      /* a key the model does not name */
  if (w->seen[f]) return FALSE; /* a key twice: the text decoder decides */
  w->seen[f] = 1;
  const PDecodeField *fd = &plan->fields[f];
  if (!fd->used && !always_decoded(plan, (uint32_t)f)) { /* never read, never checked: as tree_record */
    w->fields[f] = fd->has_default ? fd->default_value : pv_null();
    return TRUE;
  }
  if (t->r->kind(t->ctx, value) == PERSONA_NODE_NULL) {
    if (!fd->has_default && !fd->optional) return FALSE; /* required */
    w->fields[f] = fd->has_default ? fd->default_value : pv_null();
    return TRUE;
  }
  /* As tree_record: events inside a pii field keep their instants apart. */
  bool was_pii = t->in_pii;
  t->in_pii |= fd->pii;
  bool ok = tree_value(t, &fd->type, value, &w->fields[f]);
  t->in_pii = was_pii;
  return ok;
}

/* The memo of `plan`'s objects: its slot, or the oldest one's, cleared. */
static uint8_t *memo_for(PTreeMemo *memo, const PDecodePlan *plan) {
  for (uint32_t i = 0; i < PDEC_TREE_MEMO_PLANS; i++)
    if (memo->slots[i].plan == plan) return memo->slots[i].field;
  PTreeMemoSlot *slot = &memo->slots[memo->next++ % PDEC_TREE_MEMO_PLANS];
  slot->plan = plan;
  memset(slot->field, WALK_NONE, sizeof slot->field);
  return slot->field;
}

/* tree_record with one walk of the object (t->members): the same values,
 * declined in the same cases. */
static bool walk_record(Tree *t, const PDecodePlan *plan, const void *node, PValue *out, PValue *key) {
  uint32_t n = plan->n_fields ? plan->n_fields : 1;
  PValue *fields = pa_alloc(t->arena, n * sizeof(PValue));
  uint8_t *seen = pa_alloc(t->arena, n);
  if (!fields || !seen) return false;
  memset(seen, 0, n);
  Walk w = {t, plan, fields, memo_for(t->memo, plan), seen, 0};
  if (!t->members(t->ctx, node, walk_visit, &w)) return false;
  for (uint32_t f = 0; f < plan->n_fields; f++) {
    if (seen[f]) continue;
    const PDecodeField *fd = &plan->fields[f];
    if ((fd->used || always_decoded(plan, f)) && !fd->has_default && !fd->optional) return false; /* required */
    fields[f] = fd->has_default ? fd->default_value : pv_null();
  }
  if (key && plan->key_field >= 0) *key = fields[plan->key_field];
  *out = pv_record(fields, plan->n_fields);
  return true;
}

static bool tree_list(Tree *t, const PDecodeType *type, const void *node, PValue *out) {
  guint n = t->r->length(t->ctx, node);
  if (n > PDEC_MAX_LIST) return false;
  PValue *items = n ? pa_alloc(t->arena, (size_t)n * sizeof(PValue)) : NULL;
  if (n && !items) return false;
  uint32_t kept = 0;
  const PDecodePlan *rec = type->elem->kind == PDT_RECORD ? type->elem->record : NULL;
  for (guint i = 0; i < n; i++) {
    const void *e = t->r->element(t->ctx, node, i);
    if (!e || t->r->kind(t->ctx, e) == PERSONA_NODE_NULL) return false; /* elements may not be null */
    PValue v;
    if (!tree_value(t, type->elem, e, &v)) return false;
    if (rec && in_future(t, rec, v)) continue;
    items[kept++] = v;
  }
  *out = pv_list(kept ? items : NULL, kept);
  return true;
}

/* A non-null node as a value of `type`. */
static bool tree_value(Tree *t, const PDecodeType *type, const void *node, PValue *out) {
  PersonaNodeKind nk = t->r->kind(t->ctx, node);
  switch (type->kind) {
  case PDT_BOOL:
    if (nk != PERSONA_NODE_BOOL) return false;
    *out = pv_bool(t->r->boolean(t->ctx, node) != FALSE);
    return true;
  case PDT_INT:
  case PDT_NUMBER:
    return nk == PERSONA_NODE_NUMBER && tree_number(t, type->kind, node, out);
  case PDT_STRING: {
    const char *s;
    size_t len;
    if (nk != PERSONA_NODE_STRING || !tree_string(t, node, &s, &len)) return false;
    *out = pv_string(s, (uint32_t)len);
    return true;
  }
  case PDT_TIME:
  case PDT_TIME_MS:
  case PDT_DURATION:
    return tree_instant(t, type->kind, nk, node, out);
  case PDT_LIST:
    return nk == PERSONA_NODE_ARRAY && tree_list(t, type, node, out);
  case PDT_RECORD:
    return nk == PERSONA_NODE_OBJECT && tree_record(t, type->record, node, out, NULL);
  }
  return false;
}

bool pdec_decode_tree(const PDecodePlan *plan, const PersonaTreeReader *reader, PersonaTreeMembers members,
                      PTreeMemo *memo, void *ctx, const void *root, int64_t now_us, GTimeZone *input_tz,
                      PArena *arena, PDecodeResult *out) {
  Tree t = {.r = reader,
            .members = members && memo ? members : NULL,
            .ctx = ctx,
            .arena = arena,
            .now_us = now_us,
            .input_tz = input_tz,
            .memo = memo,
            .next_visible = INT64_MAX,
            .next_visible_pii = INT64_MAX,
            .in_pii = false};
  out->key = pv_null();
  out->next_visible = out->next_visible_pii = INT64_MAX;
  out->error[0] = '\0';
  out->error_code = NULL;
  out->error_field[0] = '\0';
  out->fields = NULL;
  if (!root || reader->kind(ctx, root) != PERSONA_NODE_OBJECT) return false;
  /* The text decoder reads every level of the text, read by the model or
   * not, and refuses one nested too deep. */
  if (reader->deeper_than(ctx, root, PDEC_MAX_DEPTH)) return false;
  PValue rec;
  PValue key = pv_null();
  if (!tree_record(&t, plan, root, &rec, &key)) return false;
  out->fields = (PValue *)rec.u.items;
  out->key = key;
  out->next_visible = t.next_visible;
  out->next_visible_pii = t.next_visible_pii;
  return true;
}
