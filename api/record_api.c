/* record_api.c - one profile record decoded once for several models
 * (persona.h, "One record, several models"; docs/embedding.md).
 *
 * The first VM that evaluates a record decodes its text with its model's
 * plans that read every field (PModel.plans_all) into the record's own
 * arena. A later VM uses that decoding when its model reads profiles the
 * same way (pdec_plans_same_reading: same record types and fields) as of
 * the same `now` and input time zone; otherwise, and for a record whose
 * complete decoding failed, it evaluates the text as persona_vm_eval does,
 * so results and error messages are always those of persona_vm_eval. */
#include "persona.h"
#include "api_internal.h"

#include <string.h>

#include "runtime/json_decode.h"
#include "runtime/vm.h"

/* Whether two models read profiles the same way, remembered for the pairs
 * a record met (a caller evaluates with the same few models, line after
 * line). The record holds a reference on both. */
typedef struct {
  PModel *a, *b;
  bool same;
} SameReading;

#define RECORD_PAIRS 4

struct PersonaRecord {
  char *text; /* a copy of the JSON text; decoded strings point into it */
  gsize len, cap;
  PArena arena; /* the decoded values */
  bool tried;   /* a decoding was attempted for this text */
  bool ok;      /* ... and succeeded: fields and key are set */
  PValue *fields;
  PValue key;
  /* Per field of the profile: the first event after now in it (pii or
   * not), so that each model takes those of the fields it reads
   * (next_change); in the arena. */
  gint64 *nv_field, *nv_field_pii;
  guint n_fields;
  PModel *model;    /* whose plans decoded it (a reference, kept across texts) */
  gint64 now_us;    /* as of when */
  GTimeZone *zone;  /* in which input time zone (a reference, may be NULL) */
  SameReading pairs[RECORD_PAIRS];
  guint n_pairs, next_pair;
};

PersonaRecord *persona_record_new(const char *json, gsize len) {
  PersonaRecord *rec = g_new0(PersonaRecord, 1);
  pa_init(&rec->arena, PVM_ARENA_LIMIT);
  persona_record_set(rec, json, len);
  return rec;
}

/* Forgets the values decoded from the text; the model and zone of the
 * last decoding stay referenced (usually the next line's decoding is for
 * the same ones, so no reference changes hands per line). */
static void forget_decoding(PersonaRecord *rec) {
  rec->tried = rec->ok = false;
  rec->fields = NULL;
  rec->key = pv_null();
  pa_reset(&rec->arena);
}

void persona_record_set(PersonaRecord *rec, const char *json, gsize len) {
  g_return_if_fail(rec != NULL);
  g_return_if_fail(json != NULL || len == 0);
  forget_decoding(rec);
  if (len + 1 > rec->cap) {
    rec->cap = MAX(len + 1, 2 * rec->cap);
    g_free(rec->text);
    rec->text = g_malloc(rec->cap);
  }
  if (len) memcpy(rec->text, json, len);
  rec->text[len] = '\0';
  rec->len = len;
}

const char *persona_record_text(const PersonaRecord *rec, gsize *len) {
  g_return_val_if_fail(rec != NULL, NULL);
  if (len) *len = rec->len;
  return rec->text;
}

void persona_record_free(PersonaRecord *rec) {
  if (!rec) return;
  if (rec->model) pmodel_unref(rec->model);
  if (rec->zone) g_time_zone_unref(rec->zone);
  for (guint i = 0; i < rec->n_pairs; i++) {
    pmodel_unref(rec->pairs[i].a);
    pmodel_unref(rec->pairs[i].b);
  }
  pa_free(&rec->arena);
  g_free(rec->text);
  g_free(rec);
}

static bool same_zone(GTimeZone *x, GTimeZone *y) {
  if (x == y) return true;
  if (!x || !y) return false;
  return strcmp(g_time_zone_get_identifier(x), g_time_zone_get_identifier(y)) == 0;
}

static bool same_reading(PersonaRecord *rec, PModel *a, PModel *b) {
  if (a == b) return true;
  for (guint i = 0; i < rec->n_pairs; i++)
    if ((rec->pairs[i].a == a && rec->pairs[i].b == b) || (rec->pairs[i].a == b && rec->pairs[i].b == a))
      return rec->pairs[i].same;
  bool same = a->plans_all && b->plans_all &&
              pdec_plans_same_reading(a->plans_all, a->n_plans, a->profile_plan, b->plans_all, b->n_plans,
                                      b->profile_plan);
  SameReading *slot = &rec->pairs[rec->n_pairs < RECORD_PAIRS ? rec->n_pairs++ : rec->next_pair++ % RECORD_PAIRS];
  if (slot->a) {
    pmodel_unref(slot->a);
    pmodel_unref(slot->b);
  }
  *slot = (SameReading){pmodel_ref(a), pmodel_ref(b), same};
  return same;
}

/* Decodes the text for `vm`'s model into the record, once per text. */
static void decode(PersonaRecord *rec, PersonaVM *vm, gint64 now_us) {
  PModel *m = (PModel *)vm->st.model;
  rec->tried = true;
  if (rec->model != m) {
    if (rec->model) pmodel_unref(rec->model);
    rec->model = pmodel_ref(m);
  }
  if (rec->zone != vm->st.input_tz) {
    if (rec->zone) g_time_zone_unref(rec->zone);
    rec->zone = vm->st.input_tz ? g_time_zone_ref(vm->st.input_tz) : NULL;
  }
  rec->now_us = now_us;
  if (!m->plans_all) return;
  rec->arena.limit = vm->st.arena.limit;
  PDecodeResult dr;
  memset(&dr, 0, sizeof dr);
  guint n = m->plans_all[m->profile_plan].n_fields;
  rec->n_fields = 0;
  rec->nv_field = pa_alloc(&rec->arena, sizeof(gint64) * (n ? n : 1));
  rec->nv_field_pii = pa_alloc(&rec->arena, sizeof(gint64) * (n ? n : 1));
  if (rec->nv_field && rec->nv_field_pii) {
    for (guint i = 0; i < n; i++) rec->nv_field[i] = rec->nv_field_pii[i] = INT64_MAX;
    rec->n_fields = n;
  }
  rec->ok = rec->n_fields == n &&
            pdec_decode_tz_by_field(&m->plans_all[m->profile_plan], rec->text, rec->len, now_us, vm->st.input_tz,
                                    &rec->arena, &dr, rec->nv_field, rec->nv_field_pii);
  rec->fields = dr.fields;
  rec->key = dr.key;
}

/* The first future event of the fields `m` reads, as its own decoding
 * would have seen it. */
static void begin_next_change(PersonaRecord *rec, PVMState *st) {
  const PDecodePlan *own = &st->model->plans[st->model->profile_plan];
  gint64 nv = INT64_MAX, nvp = INT64_MAX;
  for (guint i = 0; i < rec->n_fields && i < own->n_fields; i++) {
    if (!own->fields[i].used) continue;
    if (rec->nv_field[i] < nv) nv = rec->nv_field[i];
    if (rec->nv_field_pii[i] < nvp) nvp = rec->nv_field_pii[i];
  }
  pvm_nc_begin(st, nv, nvp);
}

/* TRUE when `vm` may use the record's decoding. */
static bool shared(PersonaRecord *rec, PersonaVM *vm, gint64 now_us) {
  if (!rec->tried) decode(rec, vm, now_us);
  return rec->ok && rec->now_us == now_us && !vm->st.model->skips_nested_events && same_zone(rec->zone, vm->st.input_tz) &&
         same_reading(rec, rec->model, (PModel *)vm->st.model);
}

PersonaEvalStatus persona_vm_eval_record(PersonaVM *vm, PersonaRecord *rec, const char *state_json,
                                         gsize state_len, gint64 now_us, const PersonaResult **result) {
  if (!vm || !rec || !result) return PERSONA_EVAL_USAGE_ERROR;
  if ((!state_json && state_len > 0) || !shared(rec, vm, now_us))
    return persona_vm_eval(vm, rec->text, rec->len, state_json, state_len, now_us, result);
  *result = (const PersonaResult *)vm;
  /* What pvm_begin_record() does before it decodes text. */
  PVMState *st = &vm->st;
  pa_reset(&st->arena);
  st->now_us = now_us;
  st->error[0] = '\0';
  st->error_code = NULL;
  vm->last_ok = false;
  vm->last_field[0] = '\0';
  st->profile = rec->fields;
  st->key = rec->key;
  begin_next_change(rec, st);
  return papi_eval_decoded(vm, rec->key, state_json, state_len, 0, NULL, NULL);
}
